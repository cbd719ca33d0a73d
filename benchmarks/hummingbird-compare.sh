#!/usr/bin/env bash
# Side-by-side HTTP benchmark: a Hummingbird 2.28.1 server doing the same work as
# benchmarks/tmi-httpbench (GET / -> the same 325-byte ApiInfo-shaped JSON, GET /json1k -> the
# same 1,179-byte JSON), against tmi-httpbench and the full tmi-server. Results: benchmarks/hummingbird.md.
#
# The Hummingbird package is generated OUTSIDE the repo (HB_DIR, default /tmp/tmi-hb-compare) so
# our Package.swift gains no dependency; it resolves offline from the machine's package mirror.
# Loopback only; every wrk run is bounded (-d). Knobs: ROUNDS (3), DURATION (10s), WARMUP (3s).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
hb_dir=${HB_DIR:-/tmp/tmi-hb-compare}
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
warmup=${WARMUP:-3s}

# --- (a) the Hummingbird twin of tmi-httpbench -------------------------------------------------
mkdir -p "$hb_dir/Sources/hb-bench"
# Files are replaced only when their text changed, so a re-run does not recompile the twin.
put() { if cmp -s "$1.new" "$1"; then rm "$1.new"; else mv "$1.new" "$1"; fi; }
cat >"$hb_dir/Package.swift.new" <<'EOF'
// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "hb-bench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1")],
    targets: [
        .executableTarget(
            name: "hb-bench", dependencies: [.product(name: "Hummingbird", package: "hummingbird")])
    ]
)
EOF
put "$hb_dir/Package.swift"
cat >"$hb_dir/Sources/hb-bench/main.swift.new" <<'EOF'
// Same bodies as benchmarks/tmi-httpbench/main.swift, served as static bytes by Hummingbird's
// default setup (Router, NIO's default event loop group = one loop per core).
// Usage: hb-bench [--port P]   prints "listening on http://127.0.0.1:PORT"
import Glibc
import Hummingbird
import NIOCore

let apiInfo =
    #"{"status":{"code":"OK","time":"2025-09-01T12:00:00Z"},"#
    + #""service":{"name":"TMI (Threat Modeling Improved) API","build":"1.0.0-bench+swift"},"#
    + #""api":{"version":"1.0.0","specification":"https://github.com/ericfitz/tmi/blob/main/docs/reference/apis/tmi-openapi.json"},"#
    + #""operator":{"name":"TMI benchmark","contact":"ops@example.com"}}"#
let json1k =
    "["
    + (0..<12).map { i in
        #"{"id":"6f1c2a3b-0000-4000-8000-00000000000\#(i % 10)","name":"Threat \#(i)","severity":"high","status":"open"}"#
    }.joined(separator: ",") + "]"

let apiInfoBuffer = ByteBuffer(string: apiInfo)
let json1kBuffer = ByteBuffer(string: json1k)
let jsonHeaders: HTTPFields = [.contentType: "application/json"]

var port = 0
if let i = CommandLine.arguments.firstIndex(of: "--port"), i + 1 < CommandLine.arguments.count {
    port = Int(CommandLine.arguments[i + 1]) ?? 0
}

let router = Router()
router.get("/") { _, _ in
    Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: apiInfoBuffer))
}
router.get("/json1k") { _, _ in
    Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: json1kBuffer))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { channel in
        // write(2), not print: stdout is a file here and must not sit in a buffer.
        let line = Array("listening on http://127.0.0.1:\(channel.localAddress?.port ?? -1)\n".utf8)
        _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
)
try await app.runService()
EOF
put "$hb_dir/Sources/hb-bench/main.swift"

# --- (b) release builds (one at a time: the machine has two shared cores) -----------------------
echo "== building Hummingbird twin in $hb_dir (release)"
swift build -c release --package-path "$hb_dir" --product hb-bench 2>&1 | tail -n 3
echo "== building tmi-httpbench and tmi-server (release, .build-release)"
swift build -c release --scratch-path .build-release --product tmi-httpbench 2>&1 | tail -n 1
swift build -c release --scratch-path .build-release --product tmi-server 2>&1 | tail -n 1
hb_bin="$hb_dir/.build/release/hb-bench"
bench_bin="$repo/.build-release/release/tmi-httpbench"
tmi_bin="$repo/.build-release/release/tmi-server"

# --- (c) wrk ---------------------------------------------------------------------------------------
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }

# --- (d) start the three servers on free ports ----------------------------------------------------
tmp=$(mktemp -d /tmp/tmi-hb-run.XXXXXX)
data_dir=$(mktemp -d /tmp/tmi-hb-data.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp" "$data_dir"
}
trap cleanup EXIT

start() { # name, command...
    local name=$1
    shift
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    echo $! >"$tmp/$name.pid"
    for _ in $(seq 100); do grep -q "listening on" "$tmp/$name.out" && break; sleep 0.1; done
    sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/$name.out" | head -n 1 >"$tmp/$name.port"
    [ -s "$tmp/$name.port" ] || { echo "$name did not start:"; cat "$tmp/$name.err"; exit 1; }
}
start hummingbird "$hb_bin" --port 0
start tmi-httpbench "$bench_bin" --port 0
# tmi-server as shipped (info level: one access-log line per request on stderr, to a file here),
# and a second instance at warning level, which is closer to what the Hummingbird twin does (no log).
start tmi-server "$tmi_bin" --port 0 --data-dir "$data_dir"
mkdir -p "$data_dir/quiet"
start tmi-server-quiet "$tmi_bin" --port 0 --data-dir "$data_dir/quiet" --log-level warning
servers=(hummingbird tmi-httpbench tmi-server tmi-server-quiet)
port() { cat "$tmp/$1.port"; }
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$(cat "$tmp/$1.pid")/status"; }

echo "== servers"
for s in "${servers[@]}"; do
    for path in / /json1k; do
        code_size=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$(port "$s")$path" || true)
        echo "$s GET $path -> $code_size bytes (port $(port "$s"))"
    done
done
declare -A rss_idle rss_after
for s in "${servers[@]}"; do rss_idle[$s]=$(rss "$s"); done

echo "== uptime before: $(uptime)"
results="$tmp/results.tsv"
: >"$results"
# wrk prints latencies as 123.45us / 1.23ms / 1.23s: normalise to ms.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }
# CPU time (user + system, clock ticks) the server has used so far: divided by the requests a run
# served, it gives CPU per request, which a busy shared machine disturbs far less than req/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$(cat "$tmp/$1.pid")/stat"; }
ticks_per_second=$(getconf CLK_TCK)
run_wrk() { # server, path, round
    local out before after
    before=$(cpu_ticks "$1")
    out=$(wrk -t1 -c64 -d"$duration" --latency "http://127.0.0.1:$(port "$1")$2")
    after=$(cpu_ticks "$1")
    local rps p50 p99 errors requests cpu_us
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu_us=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$ticks_per_second" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr '\n' ' ' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$rps" "$p50" "$p99" "$cpu_us" >>"$results"
    printf '%-16s GET %-7s round %s: %10s req/s  p50 %8s ms  p99 %8s ms  server CPU %6s us/req %s\n' \
        "$1" "$2" "$3" "$rps" "$p50" "$p99" "$cpu_us" "$errors"
}
for path in / /json1k; do
    targets=("${servers[@]}")
    [ "$path" = / ] || targets=(hummingbird tmi-httpbench) # tmi-server has no static 1 KB route
    for s in "${targets[@]}"; do wrk -t1 -c64 -d"$warmup" "http://127.0.0.1:$(port "$s")$path" >/dev/null; done
    for round in $(seq "$rounds"); do
        for s in "${targets[@]}"; do run_wrk "$s" "$path" "$round"; done
    done
done
echo "== uptime after: $(uptime)"
[ -z "${KEEP_RESULTS:-}" ] || cp "$results" "$KEEP_RESULTS"
for s in "${servers[@]}"; do rss_after[$s]=$(rss "$s"); done

# --- (e) table of medians, ratios vs Hummingbird; (f) RSS -----------------------------------------
echo
echo "| Server | Path | req/s (runs) | median req/s | vs HB | median p50 | median p99 | p99 vs HB | CPU µs/req | vs HB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
python3 - "$results" <<'EOF'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for server, path, _round, rps, p50, p99, cpu in rows:
    d = by.setdefault((path, server), {"rps": [], "p50": [], "p99": [], "cpu": []})
    d["rps"].append(float(rps)); d["p50"].append(float(p50)); d["p99"].append(float(p99))
    d["cpu"].append(float(cpu))
for path in ("/", "/json1k"):
    hb = by.get((path, "hummingbird"))
    for server in ("hummingbird", "tmi-httpbench", "tmi-server", "tmi-server-quiet"):
        d = by.get((path, server))
        if not d:
            continue
        rps, p50, p99, cpu = (statistics.median(d[k]) for k in ("rps", "p50", "p99", "cpu"))
        runs = " · ".join(f"{v:,.0f}" for v in d["rps"])
        ratio = f"{rps / statistics.median(hb['rps']):.2f}×" if hb else "n/a"
        p99r = f"{p99 / statistics.median(hb['p99']):.2f}×" if hb else "n/a"
        cpur = f"{cpu / statistics.median(hb['cpu']):.2f}×" if hb else "n/a"
        print(f"| {server} | `GET {path}` | {runs} | **{rps:,.0f}** | {ratio} | {p50:.2f} ms | {p99:.2f} ms | {p99r} | {cpu:.1f} | {cpur} |")
EOF
echo
echo "| Server | RSS idle (MiB) | RSS after the runs (MiB) |"
echo "| --- | --- | --- |"
for s in "${servers[@]}"; do echo "| $s | ${rss_idle[$s]} | ${rss_after[$s]} |"; done
