#!/usr/bin/env bash
# Side-by-side HTTP benchmark (issue 15): the full tmi-server (router, request id, access log,
# CORS, auth), the same at --log-level warning ("tmi-quiet": no access line, as neither the twin
# nor nginx without a log writes one), a Hummingbird 2.28.1 twin answering the same bytes, our own
# HTTP layer with no gateway (tmi-httpbench, "tmi-bare", the same bytes) and nginx (static
# `return 200`: 1 worker and 2 workers without a log, 1 worker writing nginx's default access log,
# and nginx as Debian's nginx.conf sets it up, `worker_processes auto` with the access log on), on
# two paths:
#   GET /                      the 325-byte ApiInfo JSON (tmi-server: the real handler)
#   GET /threat_models/{id}    the ~1 KB JSON of a seeded threat model, with a bearer token
#                              (tmi-server: auth, access check, store; the others: the same bytes)
# Release builds, wrk -t2 -c64 (WRK_THREADS), ROUNDS interleaved rounds, medians, p99, server CPU
# per request from /proc/PID/stat. Results: BENCHMARKS.md, benchmarks/hummingbird.md.
#
# The Hummingbird package is generated OUTSIDE the repo (HB_DIR, default /tmp/tmi-hb-compare) so
# our Package.swift gains no dependency; it resolves offline from the machine's package mirror.
# Loopback only; every wrk run is bounded (-d). Knobs: ROUNDS (3), DURATION (10s), WARMUP (3s),
# WRK_THREADS (2), QUIET=0 (leaves tmi-quiet out), IO_THREADS (tmi-server --io-threads; default
# one per core), PIN=1 (one core each: wrk on CPU 0, every server on CPU 1, our servers with one
# I/O loop unless IO_THREADS says otherwise; the load generator then never takes the server's
# core).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
hb_dir=${HB_DIR:-/tmp/tmi-hb-compare}
rounds=${ROUNDS:-3}
duration=${DURATION:-10s}
warmup=${WARMUP:-3s}
wrk_threads=${WRK_THREADS:-2}
pin_server=()
pin_client=()
if [ -n "${PIN:-}" ]; then
    pin_server=(taskset -c 1)
    pin_client=(taskset -c 0)
    export TMI_IO_THREADS=${IO_THREADS:-1}  # tmi-bare and a baseline read it; tmi-server too
fi

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

// The 1 KB JSON read: the exact bytes tmi-server answers for the seeded model (the script saves
// them), served for any id under the same path, with the same content type.
let modelBuffer: ByteBuffer = {
    guard let i = CommandLine.arguments.firstIndex(of: "--json-file"), i + 1 < CommandLine.arguments.count,
        let file = fopen(CommandLine.arguments[i + 1], "rb")
    else { return ByteBuffer(string: "{}") }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    fclose(file)
    return ByteBuffer(bytes: bytes)
}()
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
router.get("/threat_models/:id") { _, _ in
    Response(status: .ok, headers: jsonHeaders, body: .init(byteBuffer: modelBuffer))
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
# SKIP_HB=1 leaves the Hummingbird twin out (its first release build takes long on a busy machine);
# SKIP_BUILD=1 uses the binaries as they are.
if [ -z "${SKIP_BUILD:-}" ]; then
    if [ -z "${SKIP_HB:-}" ]; then
        echo "== building Hummingbird twin in $hb_dir (release)"
        swift build -c release --package-path "$hb_dir" --product hb-bench 2>&1 | tail -n 3
    fi
    echo "== building tmi-server and tmi-httpbench (release, .build-release)"
    swift build -c release --scratch-path .build-release --product tmi-server 2>&1 | tail -n 1
    swift build -c release --scratch-path .build-release --product tmi-httpbench 2>&1 | tail -n 1
fi
hb_bin="$hb_dir/.build/release/hb-bench"
tmi_bin="$repo/.build-release/release/tmi-server"
bare_bin="$repo/.build-release/release/tmi-httpbench"

# --- (c) wrk, nginx ------------------------------------------------------------------------------
command -v wrk >/dev/null || { apt-get update -q && apt-get install -y -q wrk; }
command -v nginx >/dev/null || { apt-get update -q && apt-get install -y -q nginx-light || apt-get install -y -q nginx; }

# --- (d) start the servers on free ports ---------------------------------------------------------
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
    "${pin_server[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    echo $! >"$tmp/$name.pid"
    for _ in $(seq 100); do grep -q "listening on" "$tmp/$name.out" && break; sleep 0.1; done
    sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$tmp/$name.out" | head -n 1 >"$tmp/$name.port"
    [ -s "$tmp/$name.port" ] || { echo "$name did not start:"; cat "$tmp/$name.err"; exit 1; }
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# tmi-server as shipped: info level, one access-log line per request (to a file here).
io_flag=()
[ -z "${IO_THREADS:-}" ] || io_flag=(--io-threads "$IO_THREADS")
start tmi-server "$tmi_bin" --port 0 --data-dir "$data_dir" "${io_flag[@]}"
tmi_port=$(cat "$tmp/tmi-server.port")
# Seed one threat model (~1 KB of JSON) as the test user alice; keep the token, the model's id
# and the bytes in the directory given (a baseline server is seeded the same way, into its own).
seed() { # port, directory
python3 - "$1" "$2" <<'PY'
import http.client, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
path = "/oauth2/authorize?idp=test&login_hint=alice&scope=openid&state=s1"
for _ in range(5):
    c.request("GET", path); r = c.getresponse(); body = r.read()
    if r.status in (301, 302, 303, 307, 308):
        loc = r.getheader("Location"); path = loc[loc.index("/", loc.index("//") + 2):] if "//" in loc else loc
        continue
    token = json.loads(body)["access_token"]; break
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
model = {"name": "Payments platform", "description": "Card payments: the API gateway, the ledger service, "
         "the settlement batch and the fraud scorer, with their data stores and the partner bank link.",
         "threat_model_framework": "STRIDE", "issue_url": "https://issues.example.com/SEC-1234"}
c.request("POST", "/threat_models", body=json.dumps(model), headers=H); r = c.getresponse(); tm = json.loads(r.read())["id"]
for i in range(2):
    threat = {"name": f"Threat {i}", "severity": "High", "priority": "P1", "mitigated": False, "status": "open",
              "threat_type": "Tampering", "description": "seeded for the benchmark"}
    c.request("POST", f"/threat_models/{tm}/threats", body=json.dumps(threat), headers=H); r = c.getresponse(); r.read()
c.request("GET", f"/threat_models/{tm}", headers=H); r = c.getresponse(); data = r.read()
assert r.status == 200, r.status
open(f"{out}/token", "w").write(token); open(f"{out}/model", "w").write(tm); open(f"{out}/model.json", "wb").write(data)
PY
}
seed "$tmi_port" "$tmp"
model_path="/threat_models/$(cat "$tmp/model")"
token=$(cat "$tmp/token")
[ -n "${SKIP_HB:-}" ] || start hummingbird "$hb_bin" --port 0 --json-file "$tmp/model.json"
# Our HTTP layer alone (tmi-httpbench: the same static bytes, no gateway): the ceiling of
# tmi-server on this machine, and how much of the gap to nginx is the wire layer's.
start tmi-bare "$bare_bin" --port 0 --json-file "$tmp/model.json"
# The same ApiInfo bytes tmi-server answers, for the static servers.
curl -s "http://127.0.0.1:$tmi_port/" -o "$tmp/root.json"
start_nginx() { # name, workers, access_log setting
    local name=$1 port
    port=$(free_port)
    mkdir -p "$tmp/$name"
    cat >"$tmp/$name/nginx.conf" <<NGINX
worker_processes $2;
daemon off;
pid $tmp/$name/nginx.pid;
error_log $tmp/$name/error.log;
events { worker_connections 1024; }
http {
    access_log ${3:-off};
    client_body_temp_path $tmp/$name; proxy_temp_path $tmp/$name; fastcgi_temp_path $tmp/$name;
    uwsgi_temp_path $tmp/$name; scgi_temp_path $tmp/$name;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$port;
        default_type application/json;
        location = / { return 200 '$(cat "$tmp/root.json")'; }
        location /threat_models/ { return 200 '$(cat "$tmp/model.json")'; }
    }
}
NGINX
    "${pin_server[@]}" nginx -c "$tmp/$name/nginx.conf" -p "$tmp/$name" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pids+=($!)
    echo $! >"$tmp/$name.pid"
    echo "$port" >"$tmp/$name.port"
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
}
start_nginx nginx-1w 1
start_nginx nginx-2w 2
# As nginx ships: every request logged (the combined format, one write per request) to a file, as
# tmi-server logs every request (to a file here).
start_nginx nginx-1w-log 1 "$tmp/nginx-1w-log/access.log"
# As Debian's /etc/nginx/nginx.conf sets nginx up: a worker per core (`worker_processes auto`) and
# the access log on. tmi-server's defaults are the same pair (an I/O loop per core, an access line
# per request), so this is the like-for-like row for the server as shipped.
start_nginx nginx-auto-log auto "$tmp/nginx-auto-log/access.log"
servers=(tmi-server tmi-bare nginx-1w nginx-2w nginx-1w-log nginx-auto-log)
[ -n "${SKIP_HB:-}" ] || servers=(hummingbird "${servers[@]}")
# A tmi-server of its own (name, binary, extra flags): its own data directory, seeded like
# tmi-server with its own model and token (in $tmp/NAME.seed), and added to the runs.
start_seeded() {
    local name=$1 binary=$2
    shift 2
    mkdir -p "$data_dir/$name" "$tmp/$name.seed"
    start "$name" "$binary" --port 0 --data-dir "$data_dir/$name" "$@"
    seed "$(cat "$tmp/$name.port")" "$tmp/$name.seed"
    servers+=("$name")
}
# BASELINE=/path/to/tmi-server adds an older build of ours (e.g. main before this work) as "tmi-base",
# so both paths compare in the same run.
[ -z "${BASELINE:-}" ] || start_seeded tmi-base "$BASELINE"
# tmi-server at --log-level warning ("tmi-quiet"): the same gateway and middleware, the access
# log off. Hummingbird's twin and nginx-1w log nothing; this is the like-for-like row against them
# (an access line costs tmi-server about 1.7 µs per request, benchmarks/perf.md fifteenth pass,
# about what nginx's own log costs it). QUIET=0 leaves it out.
[ "${QUIET:-1}" = 0 ] || start_seeded tmi-quiet "$tmi_bin" --log-level warning "${io_flag[@]}"
port() { cat "$tmp/$1.port"; }
# The baseline and tmi-quiet have their own keys and models; every other server answers tmi-server's.
token_for() { if [ -f "$tmp/$1.seed/token" ]; then cat "$tmp/$1.seed/token"; else echo "$token"; fi; }
path_for() { # server, label
    if [ "$2" = root ]; then echo /
    elif [ -f "$tmp/$1.seed/model" ]; then echo "/threat_models/$(cat "$tmp/$1.seed/model")"
    else echo "$model_path"; fi
}
# The server's CPU: nginx's master plus its workers.
tree_pids() { echo "$1" $(pgrep -P "$1" || true); }
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$(cat "$tmp/$1.pid")/status"; }

echo "== servers"
for s in "${servers[@]}"; do
    for label in root json; do
        path=$(path_for "$s" "$label")
        code_size=$(curl -s -o /dev/null -H "Authorization: Bearer $(token_for "$s")" -w '%{http_code} %{size_download}' \
            "http://127.0.0.1:$(port "$s")$path" || true)
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
# The kernel's part alone (system time: loopback TCP, epoll, wake-ups) is field 15.
cpu_ticks() { # server [awk expression over the stat fields; default user + system]
    local total=0 p
    for p in $(tree_pids "$(cat "$tmp/$1.pid")"); do
        total=$((total + $(awk "{print ${2:-\$14 + \$15}}" "/proc/$p/stat")))
    done
    echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)
run_wrk() { # server, label, path, round
    local out before after sys_before sys_after
    before=$(cpu_ticks "$1")
    sys_before=$(cpu_ticks "$1" '$15')
    # wrk's own CPU too: it shares the two cores, so the rate is bounded by both costs together.
    out=$(/usr/bin/time -f "wrk-cpu %U %S" "${pin_client[@]}" wrk -t"$wrk_threads" -c64 -d"$duration" --latency \
        -H "Authorization: Bearer $(token_for "$1")" "http://127.0.0.1:$(port "$1")$3" 2>&1)
    after=$(cpu_ticks "$1")
    sys_after=$(cpu_ticks "$1" '$15')
    local rps p50 p99 errors requests cpu_us sys_us wrk_us
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    per_request() { awk -v t="$1" -v n="$requests" -v hz="$ticks_per_second" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }'; }
    cpu_us=$(per_request $((after - before)))
    sys_us=$(per_request $((sys_after - sys_before)))
    wrk_us=$(awk -v n="$requests" '/^wrk-cpu/ { printf "%.1f", ($2 + $3) * 1e6 / n }' <<<"$out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr '\n' ' ' || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$4" "$rps" "$p50" "$p99" "$cpu_us" "$sys_us" \
        "$wrk_us" >>"$results"
    printf '%-12s %-6s round %s: %10s req/s  p50 %8s ms  p99 %8s ms  server CPU %6s us/req (kernel %s)  wrk %s us/req %s\n' \
        "$1" "$2" "$4" "$rps" "$p50" "$p99" "$cpu_us" "$sys_us" "$wrk_us" "$errors"
}
for label in root json; do
    for s in "${servers[@]}"; do
        "${pin_client[@]}" wrk -t"$wrk_threads" -c64 -d"$warmup" -H "Authorization: Bearer $(token_for "$s")" \
            "http://127.0.0.1:$(port "$s")$(path_for "$s" "$label")" >/dev/null
    done
    for round in $(seq "$rounds"); do
        for s in "${servers[@]}"; do run_wrk "$s" "$label" "$(path_for "$s" "$label")" "$round"; done
    done
done
echo "== uptime after: $(uptime)"
[ -z "${KEEP_RESULTS:-}" ] || cp "$results" "$KEEP_RESULTS"
for s in "${servers[@]}"; do rss_after[$s]=$(rss "$s"); done

# --- (e) table of medians, ratios vs Hummingbird and nginx; (f) RSS -------------------------------
echo
echo "| Path | Server | req/s (runs) | median req/s | vs HB | vs nginx 1w | vs nginx 2w | vs nginx 1w logging | vs nginx auto logging | p50 | p99 | CPU µs/req | of it kernel | wrk µs/req |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
python3 - "$results" <<'EOF2'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for server, label, _round, rps, p50, p99, cpu, sys_cpu, wrk_cpu in rows:
    d = by.setdefault((label, server), {"rps": [], "p50": [], "p99": [], "cpu": [], "sys": [], "wrk": []})
    d["rps"].append(float(rps)); d["p50"].append(float(p50)); d["p99"].append(float(p99)); d["cpu"].append(float(cpu))
    d["sys"].append(float(sys_cpu)); d["wrk"].append(float(wrk_cpu))
names = {"root": "`GET /`", "json": "`GET /threat_models/{id}`"}
for label in ("root", "json"):
    med = lambda s, k: statistics.median(by[(label, s)][k]) if (label, s) in by else None
    for server in ("tmi-server", "tmi-quiet", "tmi-base", "tmi-bare", "hummingbird", "nginx-1w", "nginx-2w", "nginx-1w-log",
                   "nginx-auto-log"):
        d = by.get((label, server))
        if not d:
            continue
        rps = med(server, "rps")
        ratio = lambda other: f"{rps / med(other, 'rps'):.2f}×" if med(other, "rps") else "n/a"
        runs = " · ".join(f"{v:,.0f}" for v in d["rps"])
        print(f"| {names[label]} | {server} | {runs} | **{rps:,.0f}** | {ratio('hummingbird')} | {ratio('nginx-1w')} "
              f"| {ratio('nginx-2w')} | {ratio('nginx-1w-log')} | {ratio('nginx-auto-log')} | {med(server, 'p50'):.2f} ms | {med(server, 'p99'):.2f} ms | {med(server, 'cpu'):.1f} "
              f"| {med(server, 'sys'):.1f} | {med(server, 'wrk'):.1f} |")
EOF2
echo
echo "| Server | RSS idle (MiB) | RSS after the runs (MiB) |"
echo "| --- | --- | --- |"
for s in "${servers[@]}"; do echo "| $s | ${rss_idle[$s]} | ${rss_after[$s]} |"; done
