#!/usr/bin/env bash
# Reproduces benchmarks/store.md: the embedded store and PostgreSQL side by side in one run,
# interleaved (embedded, then PostgreSQL, round after round), 127.0.0.1 only, bounded in time.
#   1. REST create threat: `wrk -t1 -c64 -d$DURATION --latency`, POST /threat_models/{m}/threats
#      (benchmarks/rest-threats.lua), req/s and p99, ROUNDS rounds.
#   2. tmi-loadtest, one diagram, 50 editors x 10 op/s, $LOAD_SECONDS s (+5 s warm-up): delivery
#      p99, ROUNDS rounds.
#   3. Start-up with 10,000 threat models (empty models; rest-bench.sh times 10,000 threats in
#      one model), 3 runs each: spawn to `listening on`.
# PostgreSQL is a throwaway cluster from scripts/pg-test-cluster (fsync=on), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
LOAD_SECONDS=${LOAD_SECONDS:-20}
SCRATCH=${SCRATCH:-.build-release}
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is missing (apt-get install jq)" >&2; exit 2; }
swift build -c release --scratch-path "$SCRATCH" --product tmi-server >&2
swift build -c release --scratch-path "$SCRATCH" --product tmi-loadtest >&2
BIN="$SCRATCH/release"
work=$(mktemp -d)
pid=
pgdir=
cleanup() {
  if [[ -n $pid ]]; then kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [[ -n $pgdir ]]; then scripts/pg-test-cluster stop "$pgdir" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/pg-test-cluster start | grep -E '^TMI_TEST_(DATABASE_URL|PG_DIR)=' | sed 's/^/export /')"
pgdir=$TMI_TEST_PG_DIR
DBURL=$TMI_TEST_DATABASE_URL
schemas=0

# The flags of one backend; every PostgreSQL server gets a fresh schema (no leftovers).
backend_args() { # BACKEND
  if [[ $1 == postgresql ]]; then
    schemas=$((schemas + 1))
    echo "--database-url $DBURL --database-schema bench_$schemas"
  fi
}

start_server() { # DATADIR ARGS... -> sets pid, port, url
  local dir=$1
  shift
  mkdir -p "$dir"
  "$BIN/tmi-server" --port 0 --data-dir "$dir" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 300); do grep -q '^listening on' "$work/out" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/out")
  [[ -n $url ]] || { cat "$work/err" >&2; echo "tmi-server did not start" >&2; exit 2; }
  port=${url##*:}
}
stop_server() { kill -INT "$pid"; wait "$pid" || true; pid=; }

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
to_ms() { # wrk latency (e.g. 812.00us, 3.10ms, 1.02s) -> ms
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) }
         else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.2f\n", v }'
}

echo "### 1. REST create threat (wrk -t1 -c64 -d$DURATION), $ROUNDS rounds, interleaved"
for round in $(seq "$ROUNDS"); do
  for backend in embedded postgresql; do
    # shellcheck disable=SC2046
    start_server "$work/rest-$backend-$round" $(backend_args "$backend")
    python3 benchmarks/rest-seed.py "$port" 0 "$work" --models 12 >/dev/null
    wrk -t1 -c64 -d2s -s benchmarks/rest-threats.lua "$url" -- post "$(cat "$work/token")" x \
      "$work/models" >/dev/null # warm-up
    wrk -t1 -c64 -d"$DURATION" --latency -s benchmarks/rest-threats.lua "$url" -- \
      post "$(cat "$work/token")" x "$work/models" >"$work/wrk.txt"
    rps=$(awk '/Requests\/sec/ { print $2 }' "$work/wrk.txt")
    p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.txt" | to_ms)
    errors=$(awk '/^errors: status/ { print $3 }' "$work/wrk.txt")
    echo "rest $backend round $round: $rps req/s, p99 $p99 ms, non-2xx $errors"
    echo "$rps" >>"$work/rest-$backend.rps"
    echo "$p99" >>"$work/rest-$backend.p99"
    stop_server
  done
done

echo "### 2. tmi-loadtest, 1 diagram, 50 editors x 10 op/s, ${LOAD_SECONDS}s, $ROUNDS rounds, interleaved"
for round in $(seq "$ROUNDS"); do
  for backend in embedded postgresql; do
    # shellcheck disable=SC2046
    start_server "$work/load-$backend-$round" $(backend_args "$backend")
    "$BIN/tmi-loadtest" --url "$url" --quiet --server-pid "$pid" --seed "$round" \
      --json "$work/load.json" --diagrams 1 --editors 50 --rate 10 --duration "$LOAD_SECONDS" \
      --warmup 5 >"$work/load.txt" || true
    stop_server
    jq -r --arg b "$backend" --arg r "$round" '"loadtest \($b) round \($r): sent \(.ops_sent), acked \(.ops_acked), errors \(.errors), delivery p50 \(.delivery_latency_ms.p50) ms, p99 \(.delivery_latency_ms.p99) ms, ack p99 \(.ack_latency_ms.p99) ms, converged \(.converged)"' "$work/load.json"
    jq -r '.delivery_latency_ms.p99' "$work/load.json" >>"$work/load-$backend.p99"
    jq -r '.ack_latency_ms.p99' "$work/load.json" >>"$work/load-$backend.ack"
  done
done

echo "### 3. start-up with 10,000 threat models, 3 runs each"
for backend in embedded postgresql; do
  args=$(backend_args "$backend")
  # shellcheck disable=SC2086
  start_server "$work/start-$backend" $args
  python3 benchmarks/rest-seed.py "$port" 0 "$work" --models 10000 >/dev/null
  stop_server
  echo "startup $backend:"
  # shellcheck disable=SC2086
  python3 benchmarks/rest-startup.py "$BIN/tmi-server" "$work/start-$backend" 3 $args | tee "$work/startup-$backend.txt"
done

echo "### summary (medians of $ROUNDS)"
for backend in embedded postgresql; do
  echo "$backend: REST create $(median <"$work/rest-$backend.rps") req/s, p99 $(median <"$work/rest-$backend.p99") ms;" \
    "loadtest delivery p99 $(median <"$work/load-$backend.p99") ms, ack p99 $(median <"$work/load-$backend.ack") ms;" \
    "$(tail -1 "$work/startup-$backend.txt")"
done
