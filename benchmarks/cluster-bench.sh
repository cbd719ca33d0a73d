#!/usr/bin/env bash
# Reproduces BENCHMARKS.md "Several nodes" (docs/cluster.md): in one run, 127.0.0.1 only, bounded.
#   1. One node vs three nodes, both on PostgreSQL (a throwaway scripts/pg-test-cluster), the three
#      sharing a throwaway redis-server: tmi-loadtest, $DIAGRAMS diagrams x $EDITORS editors x
#      $RATE op/s, $LOAD_SECONDS s (+5 s warm-up), editors spread over the nodes in turn. Prints
#      delivery p50/p99 and, for three nodes, receipts by editors on the owner (direct) vs relayed.
#   2. ROUNDS rounds, 1 node then 3 nodes in each, so both see the same machine load.
# Failover time is measured by the end-to-end test (ClusterFailoverEndToEndTests prints it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
DIAGRAMS=${DIAGRAMS:-100}
EDITORS=${EDITORS:-10}
RATE=${RATE:-2}
LOAD_SECONDS=${LOAD_SECONDS:-20}
command -v jq >/dev/null || { echo "jq is missing (apt-get install jq)" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server is missing (apt-get install redis-server)" >&2; exit 2; }
source benchmarks/cluster-bench-setup.sh
schemas=0

run_load() { # JSON URL...
  local json=$1
  shift
  local urls=()
  local u
  for u in "$@"; do urls+=(--url "$u"); done
  "$BIN/tmi-loadtest" "${urls[@]}" --diagrams "$DIAGRAMS" --editors "$EDITORS" --rate "$RATE" \
    --duration "$LOAD_SECONDS" --warmup 5 --quiet --json "$json" --max-error-rate 1 >/dev/null || true
}

summary() { # JSON LABEL
  jq -r --arg l "$2" '[$l, (.converged|tostring), .ops_sent, .delivery_latency_ms.p50, .delivery_latency_ms.p99,
    (.delivery_latency_direct_ms.p50 // "-"), (.delivery_latency_relayed_ms.p50 // "-"),
    (.delivery_latency_direct_ms.p99 // "-"), (.delivery_latency_relayed_ms.p99 // "-")] | @tsv' "$1"
}

printf 'run\tconverged\tops_sent\tdelivery_p50_ms\tdelivery_p99_ms\tdirect_p50\trelayed_p50\tdirect_p99\trelayed_p99\n'
for round in $(seq "$ROUNDS"); do
  schemas=$((schemas + 1))
  read -r p1 u1 < <(start_node --database-url "$DBURL" --database-schema "one_$schemas")
  pids=("$p1")
  run_load "$work/one-$round.json" "$u1"
  kill -INT "$p1"; wait "$p1" 2>/dev/null || true
  pids=()
  summary "$work/one-$round.json" "1 node #$round"

  common=(--database-url "$DBURL" --database-schema "three_$schemas" --redis-url "redis://127.0.0.1:$RPORT/0"
    --cluster-secret "$SECRET")
  read -r a ua < <(start_node "${common[@]}" --node-id "a$round")
  read -r b ub < <(start_node "${common[@]}" --node-id "b$round" --public-url "$ua")
  read -r c uc < <(start_node "${common[@]}" --node-id "c$round" --public-url "$ua")
  pids=("$a" "$b" "$c")
  run_load "$work/three-$round.json" "$ua" "$ub" "$uc"
  for p in "${pids[@]}"; do kill -INT "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  summary "$work/three-$round.json" "3 nodes #$round"
done
