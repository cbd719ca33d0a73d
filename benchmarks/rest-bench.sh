#!/usr/bin/env bash
# Reproduces benchmarks/rest.md (127.0.0.1 only, bounded in time and count).
# 1. Throughput on a model of 1,000 threats: GET / (baseline), GET one threat, PATCH a threat,
#    POST a threat, interleaved, ROUNDS rounds of `wrk -t1 -c64 -d10s --latency`; fdatasync calls
#    during each write run are counted with perf (when available) to give the journal's batch size.
# 2. Start-up with 10,000 threats on disk, journal-only and with a snapshot, 5 runs each.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
swift build -c release --scratch-path .build-release --product tmi-server
BIN=.build-release/release/tmi-server
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -INT $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

start_server() { # DATADIR -> sets pid, port
  "$BIN" --port 0 --data-dir "$1" >"$work/out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" && break; sleep 0.1; done
  port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/out")
}
stop_server() { kill -INT "$pid"; wait "$pid" || true; pid=; }

# fdatasync calls made by the server while the command runs, or "n/a" without perf tracepoints.
count_syncs() { # CMD... ; prints the command's output, then "fdatasyncs: N"
  if perf stat -e syscalls:sys_enter_fdatasync -p "$pid" -x, -o "$work/perf" -- sleep 0 2>/dev/null; then
    perf stat -e syscalls:sys_enter_fdatasync -p "$pid" -x, -o "$work/perf" &
    local perfpid=$!
    "$@"
    kill -INT $perfpid; wait $perfpid || true
    echo "fdatasyncs: $(grep fdatasync "$work/perf" | cut -d, -f1)"
  else
    "$@"; echo "fdatasyncs: n/a"
  fi
}

echo "### 1. throughput, model of 1,000 threats"
mkdir -p "$work/post"
start_server "$work/d1k"
python3 benchmarks/rest-seed.py "$port" 1000 "$work"
url="http://127.0.0.1:$port"
threats() { wrk -t1 -c64 -d"$2" --latency -s benchmarks/rest-threats.lua "$url" -- \
  "$1" "$(cat $work/token)" "$(cat $work/model)" "${3:-$work/ids}"; }
wrk -t1 -c64 -d2s "$url/" >/dev/null                  # warm-up
threats get 2s >/dev/null
for round in $(seq "$ROUNDS"); do
  echo "== round $round: GET /"
  wrk -t1 -c64 -d"$DURATION" --latency "$url/" | grep -E "Requests/sec|99%|Non-2xx"
  echo "== round $round: GET threat"
  threats get "$DURATION" | grep -E "Requests/sec|99%|errors:"
  echo "== round $round: PATCH threat"
  count_syncs threats patch "$DURATION" | grep -E "Requests/sec|99%|errors:|requests in|fdatasyncs"
  echo "== round $round: POST threat"
  # A model holds at most 10,000 threats: each round posts round-robin into 12 fresh models of
  # 1,000 threats (room for 108,000 creates).
  python3 benchmarks/rest-seed.py "$port" 1000 "$work/post" --models 12 >/dev/null
  count_syncs threats post "$DURATION" "$work/post/models" | grep -E "Requests/sec|99%|errors:|requests in|fdatasyncs"
done
echo "RSS after the runs: $(awk '/VmRSS/ {print $2}' /proc/$pid/status) KiB"
stop_server

echo "### 2. start-up with 10,000 threats on disk"
# 10,000 threats in bulk calls of 20 = 500 journal records + 1 for the model: below the store's
# snapshot threshold (5,000 records), so this directory is journal-only.
start_server "$work/journal"
python3 benchmarks/rest-seed.py "$port" 10000 "$work"
stop_server
echo "journal-only: $(cd "$work/journal/store" && ls -l | awk 'NR > 1 {printf "%s %s B; ", $9, $5}')"
python3 benchmarks/rest-startup.py "$BIN" "$work/journal" 5
# The same plus 4,600 single PATCHes: 5,101 records, so a snapshot is taken at record 5,000.
# The journal generation that was current when the compaction started stays on disk while it
# holds records after the snapshot; start-up reads it and skips what the snapshot covers.
start_server "$work/snap"
python3 benchmarks/rest-seed.py "$port" 10000 "$work" --extra-writes 4600
stop_server
echo "with snapshot: $(cd "$work/snap/store" && ls -l | awk 'NR > 1 {printf "%s %s B; ", $9, $5}')"
python3 benchmarks/rest-startup.py "$BIN" "$work/snap" 5
