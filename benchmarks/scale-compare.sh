#!/usr/bin/env bash
# Issue 15, one diagram at 1 op/s per editor: this tree's release tmi-server + tmi-loadtest against
# a baseline pair (BASE=dir holding tmi-server and tmi-loadtest built from another commit), the
# runs interleaved in one session, loopback only, bounded in time. Prints one JSON line per run:
# delivery p50/p99, operations sent/acked/refused (by reason), errors, convergence, messages in,
# and the CPU seconds each process used over the whole run (/proc and /usr/bin/time), plus the
# load average before and after (the machine is shared: quote it).
#
#   BASE=/tmp/base RUNS=1 benchmarks/scale-compare.sh            # 200 and 500 editors
#   BASE=/tmp/base EDITORS="200" DURATION=20 benchmarks/scale-compare.sh
#   STEP=1 benchmarks/scale-compare.sh                           # step mode only (this tree)
set -euo pipefail
cd "$(dirname "$0")/.."
SCRATCH=${SCRATCH:-.build-release}
OUT=${OUT:-/tmp/tmi-scale-compare}
RUNS=${RUNS:-1}
DURATION=${DURATION:-15}
EDITORS=${EDITORS:-200 500}
mkdir -p "$OUT"
if [[ -z ${SKIP_BUILD:-} ]]; then
    swift build -c release --scratch-path "$SCRATCH" --product tmi-server >&2
    swift build -c release --scratch-path "$SCRATCH" --product tmi-loadtest >&2
fi
NEW="$SCRATCH/release"

run() {  # name server-dir loadtest-dir editors [loadtest flags...]
    local name=$1 sbin=$2 lbin=$3 n=$4
    shift 4
    local data
    data=$(mktemp -d /tmp/tmi-scale-compare.XXXXXX)
    "$sbin/tmi-server" --port 0 --data-dir "$data/data" >"$data/stdout" 2>/dev/null &
    local server=$!
    for _ in $(seq 100); do grep -q '^listening on' "$data/stdout" && break; sleep 0.1; done
    local url
    url=$(sed -n 's/^listening on //p' "$data/stdout")
    local l0 s0 s1 l1
    l0=$(cut -d' ' -f1 /proc/loadavg)
    s0=$(awk '{print $14+$15}' "/proc/$server/stat")
    /usr/bin/time -f "%U %S" -o "$OUT/$name.time" "$lbin/tmi-loadtest" --url "$url" --quiet \
        --server-pid "$server" --seed 1 --diagrams 1 --editors "$n" --rate 1 --warmup 3 \
        --deflate off --json "$OUT/$name.json" "$@" >"$OUT/$name.txt" 2>&1 || true
    s1=$(awk '{print $14+$15}' "/proc/$server/stat")
    l1=$(cut -d' ' -f1 /proc/loadavg)
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -rf "$data"
    local tool
    tool=$(awk '{print $1 + $2}' "$OUT/$name.time")
    jq -c --arg name "$name" --arg tool "$tool" --arg srv "$(awk -v a="$s0" -v b="$s1" 'BEGIN{print (b-a)/100}')" \
        --arg load "$l0 -> $l1" \
        '{run: $name, p50_ms: .delivery_latency_ms.p50, p99_ms: .delivery_latency_ms.p99, sent: .ops_sent,
          acked: .ops_acked, refused: .rejected, errors, converged, msgs_in: .messages_in,
          server_cpu_pct_window: .server.cpu_percent_mean, tool_cpu_pct_window: .loadtest.cpu_percent_mean,
          server_cpu_s: ($srv | tonumber), tool_cpu_s: ($tool | tonumber), load: $load}' "$OUT/$name.json"
}

if [[ -n ${STEP:-} ]]; then
    # Editors at 1 op/s, 50 more per step, until delivery p99 passes 50 ms.
    run step50 "$NEW" "$NEW" 50 --duration 10 --step-until-p99-ms 50 --max-steps 10
    jq -r '.steps[] | "step: \(.total_editors) editors, \(.offered_ops_per_s) op/s, p99 \(.delivery_latency_ms.p99) ms, held \(.held)"' "$OUT/step50.json"
    exit 0
fi
for i in $(seq "$RUNS"); do
    for n in $EDITORS; do
        if [[ -n ${BASE:-} ]]; then run "base-$n-$i" "$BASE" "$BASE" "$n" --duration "$DURATION"; fi
        run "new-$n-$i" "$NEW" "$NEW" "$n" --duration "$DURATION"
    done
done
