#!/usr/bin/env python3
"""Turns loadtest/run.sh's results.tsv (lines "codec what {json}") into the markdown report on stdout."""
import argparse
import json
from collections import OrderedDict


def fmt(x, nd=1):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    return f"{x:,.{nd}f}"


def ratio(a, b, nd=2):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    for k in ["results", "size", "parts", "tasks", "command", "rev", "cpu", "cores", "mem", "load", "java", "kafka"]:
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    size = int(a.size)
    data = OrderedDict()
    for line in open(a.results):
        codec, what, js = line.rstrip("\n").split(" ", 2)
        data.setdefault(codec, OrderedDict())[what] = json.loads(js)

    out = []
    p = out.append
    p("# Catch-up benchmark: strait vs Java MirrorMaker 2")
    p("")
    p("Reproduce (from the repository root):")
    p("")
    p("```")
    p(a.command)
    p("```")
    p("")
    p(f"- Machine: {a.cores} cores ({a.cpu}), {a.mem}; load average before the run: {a.load}. "
      "Brokers, loader, replicator and poller all share these cores.")
    p(f"- Kafka: {a.kafka}, two single-node KRaft clusters on 127.0.0.1 (broker heap 512 MB); {a.java}.")
    p(f"- strait: `{a.rev}`, release build. Java MM2: `scripts/java-mm2.sh` (dedicated mode), heartbeats, "
      "checkpoints, offset syncs, group/ACL/config sync off; consumer `max.poll.records=5000`; producer "
      "`batch.size=256KiB linger.ms=10`, idempotent, 5 in flight, same codec as the source. "
      f"`tasks.max={a.tasks}` for both.")
    p(f"- Backlog: {a.parts} partitions, {size}-byte record values (printable pseudo-random), written by "
      "`StraitTestClient bulk` (Java producer, batch.size 256 KiB, linger 20 ms) before the replicator starts. "
      "Each replicator gets a freshly started target cluster with the remote topic pre-created.")
    p("- **MB/s** = record value bytes (10^6) / seconds from the first record visible on the target until the "
      "target's end offsets equal the source's (polled every 0.5 s with ListOffsets). *Wall* includes "
      "process start-up. **CPU-s/GB** = the replicator's utime+stime at catch-up (start-up included) per "
      "10^9 value bytes; *data phase* counts only the CPU from the first record on the target on. **Peak RSS** = VmHWM. **Broker CPU-s/GB** = the target broker's CPU while "
      "replicating, per GB.")
    p("- **Ceiling** = `ProducerPerformance` (same record count and size, same codec, batch.size 256 KiB, "
      "linger 20 ms, acks=all, idempotent) into a fresh topic on a fresh target broker: what the broker "
      "takes from Kafka's own producer on this machine.")
    p("")
    p("| codec | replicator | MB/s | records/s | wall s | CPU-s/GB | CPU-s/GB data phase | peak RSS MB | target broker CPU-s/GB |")
    p("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = []
    for codec, d in data.items():
        src = d.get("source", {})
        gbytes = src.get("value_bytes", 0) / 1e9
        nrec = src.get("records", 0)
        rows = {}
        for what in ["ceiling", "strait", "mm2"]:
            r = d.get(what)
            if r is None:
                continue
            if what == "ceiling":
                rps = r["records_per_s"]
                mbps = rps * size / 1e6
                bcpu = r.get("broker_cpu_s")
                rows[what] = {"mbps": mbps, "cpu": None}
                p(f"| {codec} | ceiling (ProducerPerformance) | {fmt(mbps)} | {fmt(rps, 0)} | | | | | "
                  f"{fmt(bcpu / gbytes if bcpu is not None and gbytes else None, 2)} |")
                continue
            ok = r.get("caught_up")
            ds = r.get("data_s")
            short = ok and (ds is None or ds < 3)
            if short:  # too short to time between 0.5 s polls: use the wall time (start-up included)
                ds = r.get("wall_s")
            mbps = src["value_bytes"] / 1e6 / ds if ok and ds else None
            rps = nrec / ds if ok and ds else None
            cpu = r["cpu_s"] / gbytes if ok and r.get("cpu_s") is not None and gbytes else None
            cpud = r["cpu_data_s"] / gbytes if ok and r.get("cpu_data_s") is not None and gbytes else None
            bcpu = r["broker_cpu_s"] / gbytes if ok and r.get("broker_cpu_s") is not None and gbytes else None
            name = "strait" if what == "strait" else "Java MM2"
            if short:
                name += " (under 3 s of data: MB/s over wall time)"
            if not ok:
                name += f" (did not catch up: {r.get('records_done', 0):,} of {nrec:,} records)"
            rows[what] = {"mbps": mbps, "cpu": cpu, "rss": r.get("hwm_mb")}
            p(f"| {codec} | {name} | {fmt(mbps)} | {fmt(rps, 0)} | {fmt(r.get('wall_s'))} | {fmt(cpu, 2)} | {fmt(cpud, 2)} | "
              f"{fmt(r.get('hwm_mb'), 0)} | {fmt(bcpu, 2)} |")
        s, m, c = rows.get("strait"), rows.get("mm2"), rows.get("ceiling")
        summary.append((codec, src, s, m, c))
    p("")
    p("Ratios (same run):")
    p("")
    p("| codec | source log bytes / value bytes | strait / MM2 MB/s | strait / ceiling MB/s | MM2 / ceiling MB/s "
      "| MM2 / strait CPU-s per GB | MM2 / strait peak RSS |")
    p("|---|---:|---:|---:|---:|---:|---:|")
    for codec, src, s, m, c in summary:
        g = lambda r, k: r.get(k) if r else None  # noqa: E731
        comp = ratio(src.get("log_bytes"), src.get("value_bytes"))
        p(f"| {codec} | {comp} | {ratio(g(s, 'mbps'), g(m, 'mbps'))} | {ratio(g(s, 'mbps'), g(c, 'mbps'))} | "
          f"{ratio(g(m, 'mbps'), g(c, 'mbps'))} | {ratio(g(m, 'cpu'), g(s, 'cpu'), 1)} | "
          f"{ratio(g(m, 'rss'), g(s, 'rss'), 1)} |")
    p("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
