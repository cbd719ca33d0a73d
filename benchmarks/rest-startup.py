#!/usr/bin/env python3
"""Start-up time of tmi-server on an existing data directory (benchmarks/rest-bench.sh).

rest-startup.py BINARY DATADIR RUNS [EXTRA ARGS...]
Each run: spawn `BINARY --port 0 --data-dir DATADIR EXTRA ARGS...` (e.g. `--database-url URL`), time from spawn to the `listening on`
line on stdout (the store is loaded before that line is printed), read VmRSS, stop with SIGINT
and wait. Prints each run, then the median and the RSS after load.
"""
import os, signal, statistics, subprocess, sys, time

binary, datadir, runs, extra = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
times, rss = [], []
for run in range(runs):
    start = time.perf_counter()
    p = subprocess.Popen([binary, "--port", "0", "--data-dir", datadir] + extra,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        line = p.stdout.readline().decode()
        elapsed = time.perf_counter() - start
        if "listening on" not in line:
            raise SystemExit(f"unexpected first line: {line!r}")
        with open(f"/proc/{p.pid}/status") as f:
            kib = next(int(l.split()[1]) for l in f if l.startswith("VmRSS"))
    finally:
        p.send_signal(signal.SIGINT)
        try:
            if p.wait(timeout=30) not in (0, -signal.SIGINT, 130):
                print(f"  (exit status {p.returncode})")
        except subprocess.TimeoutExpired:
            print("  (did not stop within 30 s of SIGINT; killed)")
            p.kill()
            p.wait()
    times.append(elapsed)
    rss.append(kib)
    print(f"  run {run + 1}: {elapsed * 1000:.0f} ms to listening, RSS {kib / 1024:.1f} MiB")
print(f"median start-up {statistics.median(times) * 1000:.0f} ms, "
      f"median RSS after load {statistics.median(rss) / 1024:.1f} MiB")
