#!/usr/bin/env bash
# Reproduces benchmarks/websocket.md: release build of tmi-wsecho, then each measurement against a
# fresh server on 127.0.0.1 (so one run's freed memory does not hide the next one's growth).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --scratch-path .build-release --product tmi-wsecho >/dev/null
bin=.build-release/release/tmi-wsecho
for mode in echo broadcast memory-plain memory-deflate; do
  out=$(mktemp)
  "$bin" --port 0 >"$out" &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$out")
  "$bin" bench --port "$port" --only "$mode" ${QUICK:+--quick}
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
done
