#!/usr/bin/env python3
"""Cheap Kafka end-offset polling and /proc sampling for loadtest/run.sh (no JVM per poll).

  kwatch.py offsets --bootstrap H:P --topic T --partitions N
      prints the end offsets of partitions 0..N-1, space-separated.
  kwatch.py wait --bootstrap H:P --topic T --expect "o0 o1 ..." --pid PID [--broker-pid BPID]
                 --start-ns NS [--timeout S] [--interval S] [--label L] [--bytes B]
      polls the end offsets of T until they equal --expect, sampling PID's CPU time (utime+stime, plus
      reaped children) and peak RSS (VmHWM), printing a progress line every ~2 s on stderr. Prints one
      JSON line on stdout: wall_s (from NS), data_s (first record on target -> caught up), cpu_s,
      cpu_data_s (CPU from the first record on the target to catch-up), hwm_mb, broker_cpu_s (delta while waiting), caught_up.

  kwatch.py batches --dir DATA --topic T
      walks the record batch headers in T's log segments under a broker's data directory and prints
      {"source_batches": N, "source_records": R} (R from the headers' lastOffsetDelta + 1).
  kwatch.py sample --pid PID
      prints one JSON line: cpu_s (utime+stime, plus reaped children), rss_mb (VmRSS), hwm_mb (VmHWM).

ListOffsets v1 over one plain socket to a single-node cluster (the broker leads every partition).
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

CLK = os.sysconf("SC_CLK_TCK")


class Conn:
    def __init__(self, bootstrap):
        host, port = bootstrap.split(",")[0].rsplit(":", 1)
        self.addr = (host, int(port))
        self.sock = None
        self.corr = 0

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            buf += chunk
        return buf

    def end_offsets(self, topic, partitions):
        if self.sock is None:
            self.sock = socket.create_connection(self.addr, timeout=10)
        self.corr += 1
        cid = b"strait-loadtest"
        t = topic.encode()
        body = struct.pack(">hhih", 2, 1, self.corr, len(cid)) + cid
        body += struct.pack(">ii", -1, 1) + struct.pack(">h", len(t)) + t + struct.pack(">i", partitions)
        for p in range(partitions):
            body += struct.pack(">iq", p, -1)
        try:
            self.sock.sendall(struct.pack(">i", len(body)) + body)
            (size,) = struct.unpack(">i", self._recv(4))
            resp = self._recv(size)
        except OSError:
            self.sock.close()
            self.sock = None
            raise
        pos = 4  # correlation id
        (ntopics,) = struct.unpack_from(">i", resp, pos)
        pos += 4
        out = {}
        for _ in range(ntopics):
            (ln,) = struct.unpack_from(">h", resp, pos)
            pos += 2 + ln
            (np_,) = struct.unpack_from(">i", resp, pos)
            pos += 4
            for _ in range(np_):
                p, err, _ts, off = struct.unpack_from(">ihqq", resp, pos)
                pos += 22
                out[p] = off if err == 0 else None
        return [out.get(p) for p in range(partitions)]


def cpu_s(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is state (field 3); utime, stime, cutime, cstime are fields 14..17
        return sum(int(x) for x in fields[11:15]) / CLK
    except OSError:
        return None


def status_mb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def hwm_mb(pid):
    return status_mb(pid, "VmHWM")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["offsets", "wait", "sample", "batches"])
    ap.add_argument("--dir")
    ap.add_argument("--bootstrap")
    ap.add_argument("--topic")
    ap.add_argument("--partitions", type=int)
    ap.add_argument("--expect")
    ap.add_argument("--pid", type=int)
    ap.add_argument("--broker-pid", type=int)
    ap.add_argument("--start-ns", type=int)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--label", default="")
    ap.add_argument("--bytes", type=float, default=0)
    a = ap.parse_args()
    if a.mode == "batches":
        nb = nr = 0
        for d in sorted(os.listdir(a.dir)):
            if d.rsplit("-", 1)[0] != a.topic:
                continue
            for f in sorted(os.listdir(os.path.join(a.dir, d))):
                if not f.endswith(".log"):
                    continue
                with open(os.path.join(a.dir, d, f), "rb") as fh:
                    data = fh.read()
                pos = 0
                while pos + 61 <= len(data):
                    length = struct.unpack_from(">i", data, pos + 8)[0]
                    nb += 1
                    nr += struct.unpack_from(">i", data, pos + 23)[0] + 1  # lastOffsetDelta
                    pos += 12 + length
        print(json.dumps({"source_batches": nb, "source_records": nr}))
        return 0
    if a.mode == "sample":
        c, r, h = cpu_s(a.pid), status_mb(a.pid, "VmRSS"), hwm_mb(a.pid)
        print(json.dumps({"cpu_s": c, "rss_mb": round(r, 1) if r else None, "hwm_mb": round(h, 1) if h else None}))
        return 0 if c is not None else 2
    conn = Conn(a.bootstrap)
    if a.mode == "offsets":
        print(" ".join(str(o) for o in conn.end_offsets(a.topic, a.partitions)))
        return 0

    expect = [int(x) for x in a.expect.split()]
    total = sum(expect)
    start = a.start_ns / 1e9 if a.start_ns else time.time()
    b0 = cpu_s(a.broker_pid) if a.broker_pid else None
    first = None
    cpu_first = None
    last_print = 0.0
    last_cpu = last_hwm = None
    caught = False
    done = 0
    while True:
        now = time.time()
        c, h = cpu_s(a.pid), hwm_mb(a.pid)
        gone = c is None
        if not gone:
            last_cpu, last_hwm = c, h
        try:
            offs = conn.end_offsets(a.topic, len(expect))
        except (OSError, ConnectionError, struct.error):
            offs = [None] * len(expect)
        if gone and offs != expect:  # the process ended without getting there
            print(f"   {a.label}: process {a.pid} exited", file=sys.stderr)
            break
        done = sum(o or 0 for o in offs)
        if done > 0 and first is None:
            first, cpu_first = now, c
        if offs == expect:
            caught = True
            # final CPU/RSS right at catch-up, before anyone stops the process
            last_cpu, last_hwm = cpu_s(a.pid) or last_cpu, hwm_mb(a.pid) or last_hwm  # (a process that already exited keeps its last sample)
            break
        if now - last_print >= 2:
            last_print = now
            el = now - start
            mbps = (done / total * a.bytes / 1e6 / (now - first)) if (first and a.bytes and now > first) else 0
            print(f"   {a.label} {el:6.1f}s  {done:>11,}/{total:,} records ({100.0 * done / total:5.1f}%)"
                  f"  {mbps:6.1f} MB/s since first record  cpu {c or 0:6.1f}s  peak rss {h or 0:6.0f} MB",
                  file=sys.stderr, flush=True)
        if now - start > a.timeout:
            print(f"   {a.label}: timed out after {a.timeout:.0f}s", file=sys.stderr)
            break
        time.sleep(a.interval)
    end = time.time()
    b1 = cpu_s(a.broker_pid) if a.broker_pid else None
    print(json.dumps({
        "caught_up": caught,
        "records_done": done,
        "wall_s": round(end - start, 3),
        "data_s": round(end - first, 3) if first else None,
        "cpu_s": last_cpu,
        "cpu_data_s": round(last_cpu - cpu_first, 2) if (cpu_first is not None and last_cpu is not None) else None,
        "hwm_mb": round(last_hwm, 1) if last_hwm else None,
        "broker_cpu_s": round(b1 - b0, 2) if (b0 is not None and b1 is not None) else None,
    }))
    return 0 if caught else 2


if __name__ == "__main__":
    sys.exit(main())
