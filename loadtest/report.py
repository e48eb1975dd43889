#!/usr/bin/env python3
"""Turns loadtest/run.sh's results.tsv (lines "scenario/param what {json}") into the markdown report on
stdout and the PNG chart (loadtest/chart.py) at --chart. Every ratio compares measurements of one run."""
import argparse
import json
import os
import subprocess
import sys
from collections import OrderedDict

NAMES = {"strait": "strait", "mm2": "Java MM2", "ceiling": "ceiling (raw produce of the same batches)",
         "pperf": "ProducerPerformance (reference)", "floor": "probe alone, one cluster (floor)",
         "strait-exact": "strait, exact batch forwarding (`strait.batch.join.enabled = false`)"}


def absent(r):
    """What a chart bar shows instead of a value for a replicator that did not catch up: "did not
    start" when not one record arrived (a bar of 0 would read as a measurement), else how far it got."""
    done = r.get("records_done") or 0
    return "did not start" if done == 0 else f"did not catch up ({done:,} records)"


def fmt(x, nd=1):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    return f"{x:,.{nd}f}"


def ratio(a, b):
    return a / b if (a is not None and b) else None


def rfmt(x, nd=2):
    return "n/a" if x is None else f"{x:.{nd}f}"


def met(x, goal, higher=True):
    if x is None:
        return "n/a"
    return "**met**" if (x >= goal if higher else x <= goal) else "**not met**"


def main():
    ap = argparse.ArgumentParser()
    for k in ["results", "size", "parts", "tasks", "command", "rev", "cpu", "cores", "mem", "load", "load-after",
              "java", "kafka", "rate", "latency-seconds", "warmup", "latency-linger", "target-warmup",
              "idle-seconds", "chart"]:
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    size = int(a.size)
    data = OrderedDict()  # group -> what -> [json, ...]
    for line in open(a.results):
        group, what, js = line.rstrip("\n").split(" ", 2)
        data.setdefault(group, OrderedDict()).setdefault(what, []).append(json.loads(js))

    out = []
    p = out.append
    goals = []  # (goal, value text, status)
    chart = []
    p("# strait vs Java MirrorMaker 2: benchmark run")
    p("")
    p("Reproduce (from the repository root):")
    p("")
    p("```")
    p(a.command)
    p("```")
    p("")
    p(f"- Machine: {a.cores} cores ({a.cpu}), {a.mem}; load average before the run: {a.load}, after: "
      f"{a.load_after}. Brokers, loaders, replicators and pollers all share these cores; other work on the "
      "machine is not controlled.")
    p(f"- Kafka: {a.kafka}, two single-node KRaft clusters on 127.0.0.1 (broker heap 512 MB); {a.java}.")
    p(f"- strait: `{a.rev}`, release build. Java MM2: `scripts/java-mm2.sh` (dedicated mode, heap 1 GB), "
      "heartbeats, checkpoints, offset syncs, group/ACL/config sync off; consumer `max.poll.records=5000`, "
      "`fetch.max.bytes=50MiB`; producer `batch.size=256KiB`, `linger.ms=10` (catch-up) or 0 (latency, "
      "many partitions), idempotent, 5 in flight, same codec as the source. "
      f"`tasks.max={a.tasks}` for both. Both read the same `mm2.properties` (kept in the run's log directory).")
    p("")

    # ---- catch-up + ceiling
    cu = [(g.split("/", 1)[1], d) for g, d in data.items() if g.startswith("catchup/")]
    if cu:
        p("## Catch-up (scenario 1) and the target broker's ceiling (scenario 3)")
        p("")
        p(f"- Backlog: {a.parts} partitions of {size}-byte values (printable pseudo-random), written by "
          "`StraitTestClient bulk` (Java producer, batch.size 256 KiB, linger 20 ms) before any replicator starts. "
          "Each measurement gets a freshly started target cluster with the topic pre-created.")
        p("- **MB/s** = record value bytes (10^6) / seconds from the first record visible on the target until "
          "the target's end offsets equal the source's (ListOffsets every 0.1 s). *Wall* includes process "
          "start-up. **CPU-s/GB** = the replicator's utime+stime at catch-up (start-up included) per 10^9 value "
          "bytes; *data phase* counts only CPU from the first record on the target on. **Peak RSS** = VmHWM. "
          "**Broker CPU-s/GB** = the target broker's CPU meanwhile.")
        p("- **Ceiling** = `loadtest/produce_ceiling.rs`: the backlog's own batches, read from the source "
          "broker's log segments and rewritten once before sending starts (non-idempotent), produced raw to a "
          "fresh topic on a fresh target (acks=all, one connection per task, 5 requests in flight, one batch "
          "per partition per request as Kafka requires): the target broker's ingest rate for these bytes with "
          "no source fetch and no client-side work. Its MB/s is polled exactly like a replicator's (first "
          "record visible to caught up); *self-timed* is its own first-send-to-last-ack clock.")
        p("")
        p("| codec | run | replicator | MB/s | records/s | wall s | CPU-s/GB | CPU-s/GB data phase | peak RSS MB | target broker CPU-s/GB |")
        p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        ratios = []
        for codec, d in cu:
            src = d.get("source", [{}])[0]
            gbytes = src.get("value_bytes", 0) / 1e9
            nrec = src.get("records", 0)
            for r in d.get("pperf", []):
                mbps = r["records_per_s"] * size / 1e6
                p(f"| {codec} | | {NAMES['pperf']} | {fmt(mbps)} | {fmt(r['records_per_s'], 0)} | | | | | "
                  f"{fmt(r['broker_cpu_s'] / gbytes if gbytes else None, 2)} |")
            reps = sorted({r.get("rep", 1) for w in ("ceiling", "strait", "mm2") for r in d.get(w, [])})
            for rep in reps:
                row = {}
                for what in ("ceiling", "strait", "mm2"):
                    for r in d.get(what, []):
                        if r.get("rep", 1) != rep:
                            continue
                        if what == "ceiling" and "data_s" not in r:  # self-timed only (older results)
                            secs = r["seconds"]
                            mbps = r["records"] * size / 1e6 / secs if secs else None
                            row[what] = {"mbps": mbps}
                            p(f"| {codec} | {rep} | {NAMES[what]} | {fmt(mbps)} | {fmt(r['records'] / secs if secs else None, 0)} "
                              f"| {fmt(secs)} | | | | {fmt(r['broker_cpu_s'] / gbytes if gbytes else None, 2)} |")
                            continue
                        ok = r.get("caught_up")
                        ds = r.get("data_s")
                        short = ok and (ds is None or ds < 3)
                        if short:
                            ds = r.get("wall_s")
                        mbps = src["value_bytes"] / 1e6 / ds if ok and ds else None
                        rps = nrec / ds if ok and ds else None
                        cpu = r["cpu_s"] / gbytes if ok and r.get("cpu_s") is not None and gbytes else None
                        cpud = r["cpu_data_s"] / gbytes if ok and r.get("cpu_data_s") is not None and gbytes else None
                        bcpu = r["broker_cpu_s"] / gbytes if ok and r.get("broker_cpu_s") is not None and gbytes else None
                        name = NAMES[what]
                        if what == "ceiling" and r.get("self", {}).get("seconds"):
                            name += f"; self-timed {r['self']['records'] * size / 1e6 / r['self']['seconds']:.1f} MB/s"
                        if short:
                            name += " (under 3 s of data: MB/s over wall time)"
                        if not ok:
                            name += f" (did not catch up: {r.get('records_done', 0):,} of {nrec:,} records)"
                        row[what] = {"mbps": mbps, "cpu": cpu, "rss": r.get("hwm_mb") if ok else None,
                                     "why": None if ok else absent(r)}
                        if what == "ceiling":  # the loader's own CPU and memory are not the point
                            cpu = cpud = None
                            r = dict(r, hwm_mb=None)
                        p(f"| {codec} | {rep} | {name} | {fmt(mbps)} | {fmt(rps, 0)} | {fmt(r.get('wall_s'))} | "
                          f"{fmt(cpu, 2)} | {fmt(cpud, 2)} | {fmt(r.get('hwm_mb'), 0)} | {fmt(bcpu, 2)} |")
                ratios.append((codec, rep, src, row))
        p("")
        p("Ratios (each from one run of the table above; goals from the issue):")
        p("")
        p("| codec | run | source log bytes / value bytes | strait / ceiling MB/s (goal ≥ 0.9) | strait / MM2 MB/s (goal ≥ 3) "
          "| MM2 / strait CPU-s per GB (goal ≥ 10) | MM2 / strait peak RSS (goal ≥ 10) | MM2 / ceiling MB/s |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|")
        agg = {}
        for codec, rep, src, row in ratios:
            g = lambda w, k: (row.get(w) or {}).get(k)  # noqa: E731
            vals = (ratio(g("strait", "mbps"), g("ceiling", "mbps")), ratio(g("strait", "mbps"), g("mm2", "mbps")),
                    ratio(g("mm2", "cpu"), g("strait", "cpu")), ratio(g("mm2", "rss"), g("strait", "rss")))
            for k, v in enumerate(vals):
                if v is not None:
                    agg.setdefault((codec, k), []).append(v)
            p(f"| {codec} | {rep} | {rfmt(ratio(src.get('log_bytes'), src.get('value_bytes')))} | {rfmt(vals[0])} | "
              f"{rfmt(vals[1])} | {rfmt(vals[2], 1)} | {rfmt(vals[3], 1)} | "
              f"{rfmt(ratio(g('mm2', 'mbps'), g('ceiling', 'mbps')))} |")
        p("")
        labels = [("catch-up strait / ceiling MB/s", 0.9), ("catch-up strait / MM2 MB/s", 3),
                  ("MM2 / strait CPU-s per GB", 10), ("MM2 / strait peak RSS", 10)]
        for codec, _ in cu:
            for k, (lab, goal) in enumerate(labels):
                vs = agg.get((codec, k), [])
                worst = min(vs) if vs else None
                txt = "n/a" if not vs else (f"{vs[0]:.2f}" if len(vs) == 1 else
                                            f"{min(vs):.2f} to {max(vs):.2f} over {len(vs)} runs")
                goals.append((f"{lab} ({codec})", f"≥ {goal}", txt, met(worst, goal)))
        for codec, rep, src, row in ratios:
            if rep != 1:
                continue
            bars = []
            for what, color in (("ceiling", "ceiling"), ("strait", "strait"), ("mm2", "mm2")):
                if what in row:
                    v = row[what]["mbps"]
                    bars.append({"label": {"ceiling": "broker ceiling", "strait": "strait", "mm2": "Java MM2"}[what],
                                 "value": v, "text": f"{v:.1f} MB/s" if v else (row[what]["why"] or "n/a"),
                                 "color": color})
            chart.append({"title": f"Catch-up throughput, {codec} (MB/s, higher is better)", "bars": bars})
            cb = [{"label": NAMES[w], "value": row[w]["cpu"],
                   "text": f"{row[w]['cpu']:.2f}" if row[w]["cpu"] else (row[w]["why"] or "n/a"),
                   "color": w} for w in ("strait", "mm2") if w in row]
            chart.append({"title": f"Replicator CPU-seconds per GB, {codec} (lower is better)", "bars": cb})
            rb = [{"label": NAMES[w], "value": row[w]["rss"],
                   "text": f"{row[w]['rss']:.0f} MB" if row[w]["rss"] else (row[w]["why"] or "n/a"),
                   "color": w} for w in ("strait", "mm2") if w in row]
            chart.append({"title": f"Peak resident memory, {codec} (MB, lower is better)", "bars": rb})

    # ---- latency
    lat = [(g.split("/", 1)[1].replace(",linger.ms=", ", linger.ms "), d)
           for g, d in data.items() if g.startswith("latency/")]
    if lat:
        p("## Steady-state latency (scenario 2)")
        p("")
        p(f"`loadtest/LatencyProbe.java`: one Java producer writes {a.rate} records/s of {size} B (linger.ms as given in each table: {a.latency_linger}, "
          f"acks=all) to the source for {a.latency_seconds} s, each stamped with the wall clock (CreateTime); a "
          "consumer on the target, assigned to every partition of the remote topic, records (wall clock when "
          "poll() returns the record) - (record timestamp) in an HdrHistogram (ms, 3 significant digits). "
          f"Records produced in the first {a.warmup} s are not measured. The replicator is started first and "
          "counted ready when one record per partition written after its start has reached the target. "
          + (f"Before each replicator starts, its fresh target broker is warmed by {a.target_warmup} s of "
             "ProducerPerformance at the same rate into a scratch topic. " if int(a.target_warmup) > 0 else "")
          + "The "
          "latency includes the source producer's send and the target consumer's fetch, the same for both "
          "replicators. The *floor* row is the probe producing and consuming one topic of the source cluster with "
          "no replicator: what the measurement itself costs on this machine. **CPU %** = the replicator's CPU "
          "over the probe's run / its wall time; **target broker CPU %** the same for the target broker. Records per "
          "batch are counted in the log segments of the source topic and of the remote topic on the target "
          "(strait forwards the source's batches, joining small ones that wait; MM2's producer makes its own).")
        for codec, d in lat:
            p("")
            p("| codec | replicator | rate asked / achieved | records measured | p50 ms | p99 ms | p99.9 ms | max ms | replicator CPU % | RSS MB | target broker CPU % | records per batch, source / target |")
            p("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for what in ("floor", "strait", "strait-exact", "mm2"):
                for r in d.get(what, []):
                    cpu_pct = 100 * r["cpu_s"] / float(a.latency_seconds) if r.get("cpu_s") is not None else None
                    bcpu_pct = (100 * r["broker_cpu_s"] / float(a.latency_seconds)
                                if r.get("broker_cpu_s") is not None else None)
                    lost = "" if r.get("received") == r.get("sent") else f" ({r.get('received', 0):,} of {r.get('sent', 0):,} arrived)"
                    p(f"| {codec} | {NAMES[what]}{lost} | {fmt(r.get('rate'), 0)} / {fmt(r.get('achieved_rate'), 0)} | "
                      f"{fmt(r.get('measured'), 0)} | {fmt(r.get('p50_ms'), 0)} | {fmt(r.get('p99_ms'), 0)} | "
                      f"{fmt(r.get('p999_ms'), 0)} | {fmt(r.get('max_ms'), 0)} | {fmt(cpu_pct)} | {fmt(r.get('rss_mb'), 0)} | "
                      f"{fmt(bcpu_pct)} | {fmt(ratio(r.get('source_records'), r.get('source_batches')))} / "
                      f"{fmt(ratio(r.get('target_records'), r.get('target_batches')))} |")
            s, m = (d.get("strait") or [{}])[0], (d.get("mm2") or [{}])[0]
            rr = ratio(m.get("p99_ms"), max(s.get("p99_ms") or 0, 1) if s.get("p99_ms") is not None else None)
            p("")
            p(f"MM2 p99 / strait p99 ({codec}): {rfmt(rr, 1)} (goal ≥ 5; a p99 of 0 ms is counted as 1 ms)")
            fl = (d.get("floor") or [{}])[0].get("p99_ms")
            if (fl is not None and s.get("p99_ms") is not None and m.get("p99_ms") is not None
                    and min(s["p99_ms"], m["p99_ms"]) >= fl):
                p("")
                p(f"Above the probe's own floor (p99 {fl} ms): strait +{s['p99_ms'] - fl} ms, Java MM2 "
                  f"+{m['p99_ms'] - fl} ms; ratio {rfmt(ratio(m['p99_ms'] - fl, max(s['p99_ms'] - fl, 1)), 1)} "
                  "(p99s do not subtract exactly; indicative only).")
            goals.append((f"p99 latency MM2 / strait at {a.rate} records/s ({codec})", "≥ 5", rfmt(rr, 1), met(rr, 5)))
            chart.append({"title": f"Replication latency p99 at {a.rate} records/s, {codec} (ms, lower is better)",
                          "bars": [{"label": NAMES[w], "value": x.get("p99_ms"),
                                    "text": f"p99 {x.get('p99_ms')} ms, p50 {x.get('p50_ms')} ms, p99.9 {x.get('p999_ms')} ms",
                                    "color": w} for w, x in (("floor", (d.get("floor") or [{}])[0]), ("strait", s),
                                                              ("strait-exact", (d.get("strait-exact") or [{}])[0]), ("mm2", m)) if x]})
        p("")

    # ---- distance
    wan = OrderedDict()  # codec -> rtt -> what -> [json]
    for g, d in data.items():
        if g.startswith("wan/") and "/rtt=" in g:
            codec, rtt = g[len("wan/"):].split("/rtt=")
            wan.setdefault(codec, OrderedDict())[rtt] = d
    if wan:
        p("## Distance: catch-up through a delay proxy (scenario 5)")
        p("")
        p("The catch-up of scenario 1, each replicator reaching the source through toxiproxy (`loadtest/wan.sh`): "
          "the source broker advertises the proxy, so every connection to it crosses the proxy, and a latency toxic "
          "of RTT/2 each way makes the round trip. *direct* = no proxy; RTT 0 = the proxy with nothing added "
          "(direct / 0 is the proxy's own cost). **MB/s**, **CPU-s per GB** and **peak RSS** as in scenario 1. "
          "The proxy adds delay, not loss, and TCP's own windows stay those of loopback.")
        p("")
        p("| codec | RTT ms | replicator | MB/s | CPU-s per GB | peak RSS MB | strait / MM2 MB/s |")
        p("|---|---:|---|---:|---:|---:|---:|")
        for codec, by_rtt in wan.items():
            vb = ((data.get(f"wan/{codec}") or {}).get("source") or [{}])[0].get("value_bytes")
            bars = []
            for rtt in sorted(by_rtt, key=lambda r: -1 if r == "direct" else int(r)):
                got = {}
                for what in ("strait", "mm2"):
                    for r in by_rtt[rtt].get(what, []):
                        ok = r.get("caught_up")
                        ds = r.get("data_s") if (r.get("data_s") or 0) >= 3 else r.get("wall_s")
                        mbps = vb / 1e6 / ds if ok and vb and ds else None
                        cpu = r["cpu_s"] / (vb / 1e9) if ok and vb and r.get("cpu_s") is not None else None
                        got[what] = (mbps, cpu, r.get("hwm_mb") if ok else None)
                        bars.append({"label": f"{NAMES[what]}, RTT {rtt}", "value": mbps,
                                     "text": f"{mbps:.1f} MB/s" if mbps else absent(r), "color": what})
                rr = ratio((got.get("strait") or (None,))[0], (got.get("mm2") or (None,))[0])
                for what, (mbps, cpu, hwm) in got.items():
                    p(f"| {codec} | {rtt} | {NAMES[what]} | {fmt(mbps)} | {fmt(cpu, 2)} | {fmt(hwm, 0)} | "
                      f"{rfmt(rr) if what == 'strait' else ''} |")
                if rtt in ("50", "100"):
                    goals.append((f"catch-up strait / MM2 MB/s at {rtt} ms RTT ({codec})", "≥ 3", rfmt(rr), met(rr, 3)))
            chart.append({"title": f"Catch-up across distance, {codec} (MB/s, higher is better)", "bars": bars})
        p("")

    # ---- many partitions
    parts = [(int(g.split("/", 1)[1]), d) for g, d in data.items() if g.startswith("partitions/")]
    if parts:
        p("## Many mostly idle partitions (scenario 4)")
        p("")
        p(f"One topic of N partitions with one record in each; the replicator replicates it (time to catch up "
          f"below, start-up included), then sits idle for {a.idle_seconds} s: **idle CPU %** is its CPU in that "
          "window / the window, **RSS** its resident memory at the end of it, **peak RSS** its VmHWM. (Idle "
          "means no new records at all; the replicator's own fetch and metadata polling is what is measured.)")
        p("")
        p("| partitions | replicator | caught up after s | idle CPU % | RSS MB | peak RSS MB |")
        p("|---:|---|---:|---:|---:|---:|")
        per = {}
        for n, d in sorted(parts):
            for what in ("strait", "mm2"):
                for r in d.get(what, []):
                    ok = r.get("caught_up")
                    pct = 100 * r["idle_cpu_s"] / r["idle_s"] if r.get("idle_cpu_s") is not None and r.get("idle_s") else None
                    per.setdefault(what, []).append((n, pct, r.get("rss_mb")))
                    name = NAMES[what] + ("" if ok else f" ({absent(r)} of {n:,})")
                    if r.get("attempts", 1) > 1:
                        name += f" (attempt {r['attempts']}; earlier ones did not start)"
                    p(f"| {n:,} | {name} | {fmt(r.get('wall_s'))} | {fmt(pct, 2)} | {fmt(r.get('rss_mb'), 0)} | "
                      f"{fmt(r.get('hwm_mb'), 0)} |")
        p("")
        for what, xs in per.items():
            if len(xs) >= 2:
                (n0, c0, m0), (n1, c1, m1) = xs[0], xs[-1]
                gm = ratio(m1, m0)
                gc = ratio(c1, c0) if c0 else None
                p(f"- {NAMES[what]}: {n1 // n0}x the partitions -> RSS x{rfmt(gm)}, idle CPU x{rfmt(gc)} "
                  "(linear or better means at most the partition factor).")
                if what == "strait":
                    okm = gm is not None and gm <= n1 / n0
                    okc = (gc is None and c1 is not None) or (gc is not None and gc <= n1 / n0)
                    goals.append((f"strait memory and idle CPU grow at most linearly ({n0:,} -> {n1:,} partitions)",
                                  f"≤ x{n1 // n0}", f"RSS x{rfmt(gm)}, CPU x{rfmt(gc)}",
                                  "**met**" if okm and okc else "**not met**"))
        p("")
        for n, d in sorted(parts):
            bars = []
            for what in ("strait", "mm2"):
                for r in d.get(what, []):
                    if not r.get("caught_up"):
                        bars.append({"label": NAMES[what], "value": None, "text": absent(r), "color": what})
                        continue
                    bars.append({"label": NAMES[what], "value": r.get("rss_mb"),
                                 "text": f"{r.get('rss_mb') or 0:.0f} MB, idle CPU "
                                         f"{100 * (r.get('idle_cpu_s') or 0) / (r.get('idle_s') or 1):.1f}%",
                                 "color": what})
            chart.append({"title": f"{n:,} idle partitions: resident memory (MB, lower is better)", "bars": bars})

    if goals:
        p("## Goals (issue 5) in this run")
        p("")
        p("| goal | target | this run | |")
        p("|---|---:|---:|---|")
        for g in goals:
            p(f"| {g[0]} | {g[1]} | {g[2]} | {g[3]} |")
        p("")
    p(f"Chart: `{os.path.basename(a.chart)}` (same numbers, drawn by `loadtest/chart.py`).")
    print("\n".join(out))

    spec = {"title": "strait vs Java MirrorMaker 2", "panels": chart,
            "subtitle": f"{a.cores} cores, load average before {a.load}, after {a.load_after}; strait {a.rev}; {a.kafka}",
            "footer": a.command}
    subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "chart.py"), a.chart],
                   input=json.dumps(spec).encode(), check=True)


if __name__ == "__main__":
    main()
