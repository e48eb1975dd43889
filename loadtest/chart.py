#!/usr/bin/env python3
"""The benchmark chart for loadtest/report.py, drawn with matplotlib: one horizontal bar panel per
measurement (throughput, CPU per GB, memory, latency...), strait and Java MM2 side by side, each
panel on its own scale, the measured text at the end of each bar.

  chart.py OUT.png < panels.json

panels.json: {"title": str, "subtitle": str, "footer": str, "panels": [{"title": str, "bars":
[{"label": str, "value": float, "text": str, "color": "strait"|"mm2"|"ceiling"|"other"}]}]}
A bar whose value is missing or 0 is drawn empty with its text (or "n/a").
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")  # no display on benchmark machines
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"strait": "#1f77b4", "mm2": "#d62728", "ceiling": "#7f7f7f", "other": "#9467bd"}


def draw(spec, out):
    panels = [p for p in spec["panels"] if p["bars"]]
    if not panels:
        panels = [{"title": "no measurements", "bars": []}]
    heights = [max(1, len(p["bars"])) * 0.45 + 0.9 for p in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, sum(heights) + 1.6),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    fig.suptitle(spec.get("title", ""), fontsize=15, fontweight="bold", x=0.02, ha="left")
    fig.text(0.02, 1 - 0.55 / (sum(heights) + 1.6), spec.get("subtitle", ""), fontsize=8, ha="left")
    for ax, p in zip(axes[:, 0], panels):
        bars = p["bars"]
        labels = [b["label"] for b in bars]
        values = [b.get("value") or 0 for b in bars]
        colors = [COLORS.get(b.get("color"), COLORS["other"]) for b in bars]
        ys = range(len(bars))
        ax.barh(ys, values, color=colors, height=0.7)
        ax.set_yticks(list(ys), labels)
        ax.invert_yaxis()
        ax.set_title(p["title"], fontsize=11, loc="left")
        top = max(values + [0]) or 1
        ax.set_xlim(0, top * 1.35)
        for y, b, v in zip(ys, bars, values):
            ax.text(v + top * 0.01, y, b.get("text") or ("n/a" if not v else f"{v:g}"),
                    va="center", fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(axis="x", labelsize=8)
    fig.text(0.02, 0.005, spec.get("footer", ""), fontsize=7, ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.02, 1, 1 - 0.45 / (sum(heights) + 1.6)))
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    spec = json.load(sys.stdin)
    draw(spec, sys.argv[1])


if __name__ == "__main__":
    main()
