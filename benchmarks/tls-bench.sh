#!/usr/bin/env bash
# Reproduces benchmarks/tls.md: release tmi-server with and without TLS and nginx (1 worker, TLS,
# the same certificate and the same GET / body), side by side in one run on 127.0.0.1 only:
#   1. wrk -t1 -c64 -d10s keep-alive GET /, ROUNDS rounds interleaved (tmi plain, tmi TLS, nginx TLS);
#   2. new TLS handshakes per second: wrk with "Connection: close" (one handshake per request);
#   3. idle wss vs ws connection memory on tmi-server (RSS delta over N idle connections).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
idle=${IDLE:-1000}
for tool in wrk nginx openssl; do command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
swift build -c release --scratch-path .build-release --product tmi-server
bin=.build-release/release/tmi-server
work=$(mktemp -d)
trap 'kill ${pids:-} 2>/dev/null || true; rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

start_tmi() {  # start_tmi NAME [flags...]: prints the port
  local name=$1; shift
  "$bin" --port 0 --data-dir "$work/data-$name" --conformance-echo "$@" >"$work/$name.out" 2>/dev/null &
  pids="${pids:-} $!"
  echo $! >"$work/$name.pid"
  for _ in $(seq 100); do grep -q listening "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
  sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/$name.out"
}
plain=$(start_tmi plain)
tls=$(start_tmi tls --tls-cert "$work/cert.pem" --tls-key "$work/key.pem")

# nginx answers GET / with the very bytes tmi-server's GET / returns.
body=$(curl -s "http://127.0.0.1:$plain/")
nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = / { default_type application/json; return 200 '$body'; }
  }
}
CONF
nginx -c "$work/nginx.conf" &
pids="$pids $!"
for _ in $(seq 50); do curl -sk "https://127.0.0.1:$nginx_port/" >/dev/null && break; sleep 0.1; done
[[ $(curl -sk "https://127.0.0.1:$nginx_port/") == "$body" ]] || { echo "nginx body differs" >&2; exit 1; }
[[ $(curl -sk "https://127.0.0.1:$tls/") == "$body" ]] || { echo "tmi TLS body differs" >&2; exit 1; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A targets=([tmi-plain]="http://127.0.0.1:$plain/" [tmi-tls]="https://127.0.0.1:$tls/"
  [nginx-tls]="https://127.0.0.1:$nginx_port/")
for name in tmi-plain tmi-tls nginx-tls; do wrk -t1 -c16 -d2s "${targets[$name]}" >/dev/null; done  # warm-up
for round in $(seq "$rounds"); do
  for name in tmi-plain tmi-tls nginx-tls; do
    printf 'keepalive round %s %-10s ' "$round" "$name"
    wrk -t1 -c64 -d10s --latency "${targets[$name]}" | awk '/Requests\/sec/ {r=$2} /^ +99%/ {p=$2} END {print r" req/s p99 "p}'
  done
  for name in tmi-tls nginx-tls; do
    printf 'handshakes round %s %-10s ' "$round" "$name"
    wrk -t1 -c16 -d10s -H 'Connection: close' "${targets[$name]}" |
      awk '/Requests\/sec/ {r=$2} /Socket errors/ {e=$0} END {print r" new TLS connections/s " e}'
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Idle connections on fresh servers (the load runs above grew the heaps).
kill $(cat "$work/plain.pid") $(cat "$work/tls.pid")
for round in $(seq "$rounds"); do
  p=$(start_tmi "idle-ws-$round")
  python3 benchmarks/idle-wss.py "$p" "$(cat "$work/idle-ws-$round.pid")" "$idle"
  kill "$(cat "$work/idle-ws-$round.pid")"
  t=$(start_tmi "idle-wss-$round" --tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  python3 benchmarks/idle-wss.py "$t" "$(cat "$work/idle-wss-$round.pid")" "$idle" --tls
  kill "$(cat "$work/idle-wss-$round.pid")"
done
