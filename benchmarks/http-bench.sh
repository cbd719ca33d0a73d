#!/usr/bin/env bash
# Reproduces benchmarks/http.md: release build of tmi-httpbench, wrk -t1 -c64 -d10s three times on
# GET / and GET /json1k (127.0.0.1 only), then RSS idle and with 1,000 idle keep-alive connections.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
swift build -c release --scratch-path .build-release --product tmi-httpbench
out=$(mktemp)
.build-release/release/tmi-httpbench --port 0 >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$out")
echo "RSS idle: $(awk '/VmRSS/ {print $2}' /proc/$pid/status) KiB"
for path in / /json1k; do
  wrk -t1 -c64 -d3s "http://127.0.0.1:$port$path" >/dev/null  # warm-up
  for run in 1 2 3; do
    echo "== GET $path run $run"
    wrk -t1 -c64 -d10s --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|99%"
  done
done
# The RSS figure above is from a fresh start; this one follows the load runs.
python3 benchmarks/idle-connections.py "$port" "$pid" 1000
