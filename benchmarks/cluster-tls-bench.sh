#!/usr/bin/env bash
# Reproduces BENCHMARKS.md "Several nodes" / TLS between nodes (docs/cluster.md): 127.0.0.1 only,
# bounded, release builds, plain and TLS interleaved in each round so both see the same load.
#   1. Relayed minus direct delivery p50: three nodes with ws links vs three nodes serving TLS
#      with wss links (a CA and a 127.0.0.1 certificate made here with openssl), tmi-loadtest
#      $DIAGRAMS diagrams x $EDITORS editors x $RATE op/s for $LOAD_SECONDS s, editors spread
#      over the nodes (about two thirds relayed).
#   2. What a forwarded REST write costs: $WRITES sequential PATCHes of a live diagram, sent by
#      curl over keep-alive alternately to the owner A (direct) and to node B (forwarded to A),
#      over http and over https: forwarded minus direct is what the hop from B to A costs. B keeps
#      its connections to A alive (PeerClientPool). BASELINE=/path/to/older/tmi-server runs the
#      same writes against clusters of that build too ("base-plain", "base-tls"), interleaved.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
DIAGRAMS=${DIAGRAMS:-20}
EDITORS=${EDITORS:-10}
RATE=${RATE:-2}
LOAD_SECONDS=${LOAD_SECONDS:-15}
WRITES=${WRITES:-200}
for tool in jq redis-server openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 2; }
done
source benchmarks/cluster-bench-setup.sh

# A throwaway CA and a certificate for 127.0.0.1 signed by it (ECDSA P-256).
pki="$work/pki"
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/ca.key" \
  -out "$pki/ca.pem" -days 2 -subj "/CN=bench CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$pki/node.key" \
  -out "$pki/node.csr" -subj "/CN=localhost" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' \
  >"$pki/node.ext"
openssl x509 -req -in "$pki/node.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -set_serial 1 -days 2 \
  -extfile "$pki/node.ext" -out "$pki/node.pem" 2>/dev/null
TLS_ARGS=(--tls-cert "$pki/node.pem" --tls-key "$pki/node.key" --cluster-ca "$pki/ca.pem")

stop_nodes() {
  local p
  for p in "${pids[@]}"; do kill -INT "$p"; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

schemas=0
# Starts N nodes in cluster mode (plain or tls); sets NODE_URLS.
start_cluster() { # MODE N
  local mode=$1 n=$2 i p u first=
  schemas=$((schemas + 1))
  local common=(--database-url "$DBURL" --database-schema "tls_bench_$schemas"
    --redis-url "redis://127.0.0.1:$RPORT/0" --cluster-secret "$SECRET")
  [[ $mode == tls ]] && common+=("${TLS_ARGS[@]}")
  NODE_URLS=()
  for i in $(seq "$n"); do
    if [[ -z $first ]]; then
      read -r p u < <(start_node "${common[@]}" --node-id "$mode$schemas-$i")
      first=$u
    else
      read -r p u < <(start_node "${common[@]}" --node-id "$mode$schemas-$i" --public-url "$first")
    fi
    pids+=("$p")
    NODE_URLS+=("$u")
  done
}

relay_run() { # MODE ROUND
  start_cluster "$1" 3
  local urls=() u json="$work/relay-$1-$2.json"
  for u in "${NODE_URLS[@]}"; do urls+=(--url "$u"); done
  "$BIN/tmi-loadtest" "${urls[@]}" --ca-file "$pki/ca.pem" --diagrams "$DIAGRAMS" --editors "$EDITORS" \
    --rate "$RATE" --duration "$LOAD_SECONDS" --warmup 5 --quiet --json "$json" --max-error-rate 1 \
    >/dev/null || true
  stop_nodes
  jq -r --arg l "$1 #$2" '[$l, (.converged|tostring), .ops_sent, .delivery_latency_ms.p50,
    .delivery_latency_direct_ms.p50, .delivery_latency_relayed_ms.p50,
    ((.delivery_latency_relayed_ms.p50 - .delivery_latency_direct_ms.p50) * 1000 | round / 1000)] | @tsv' "$json"
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

forward_run() { # MODE ROUND
  start_cluster "$1" 2
  local a=${NODE_URLS[0]} b=${NODE_URLS[1]} token model diagram i cfg="$work/forward-$1-$2.curl"
  local c=(curl -sS --cacert "$pki/ca.pem")
  token=$("${c[@]}" -L "$a/oauth2/authorize?idp=test&login_hint=bench&scope=openid&state=s$2" |
    jq -r .access_token)
  local auth=(-H "Authorization: Bearer $token" -H "Content-Type: application/json")
  model=$("${c[@]}" "${auth[@]}" -d '{"name":"tls bench"}' "$a/threat_models" | jq -r .id)
  diagram=$("${c[@]}" "${auth[@]}" -d '{"name":"D","type":"DFD-1.0.0"}' "$a/threat_models/$model/diagrams" |
    jq -r .id)
  # A live session on A (empty sessions live 60 s), with one cell to move.
  "${c[@]}" "${auth[@]}" -X POST -o /dev/null "$a/threat_models/$model/diagrams/$diagram/collaborate"
  "${c[@]}" "${auth[@]}" -X PATCH -o /dev/null -d '[{"op":"add","path":"/cells/-","value":{"id":"b0000000-0000-4000-8000-000000000001","shape":"process","x":1,"y":1,"width":80,"height":40}}]' \
    "$a/threat_models/$model/diagrams/$diagram"
  : >"$cfg"
  for i in $(seq "$WRITES"); do
    local node=$a label=direct
    if ((i % 2 == 0)); then node=$b label=forwarded; fi
    ((i > 1)) && echo next >>"$cfg"
    cat >>"$cfg" <<EOF
url = "$node/threat_models/$model/diagrams/$diagram"
request = "PATCH"
header = "Authorization: Bearer $token"
header = "Content-Type: application/json-patch+json"
data = "[{\"op\":\"replace\",\"path\":\"/cells/0/x\",\"value\":$i}]"
output = "/dev/null"
cacert = "$pki/ca.pem"
write-out = "$label %{http_code} %{time_total}\n"
EOF
  done
  curl -sS -K "$cfg" >"$work/forward-$1-$2.txt"
  stop_nodes
  local bad direct forwarded
  bad=$(awk '$2 != 200' "$work/forward-$1-$2.txt" | wc -l)
  direct=$(awk '$1 == "direct" {print $3 * 1000}' "$work/forward-$1-$2.txt" | median)
  forwarded=$(awk '$1 == "forwarded" {print $3 * 1000}' "$work/forward-$1-$2.txt" | median)
  printf '%s%s #%s\t%s\t%s\t%s\t%s\n' "${NODE_LABEL:-}" "$1" "$2" "$bad" "$direct" "$forwarded" \
    "$(python3 -c "print(round($forwarded - $direct, 3))")"
}

RELAY_ROUNDS=${RELAY_ROUNDS:-$ROUNDS}
printf 'relay run\tconverged\tops_sent\tdelivery_p50_ms\tdirect_p50\trelayed_p50\trelayed_minus_direct_ms\n'
for round in $(seq "$RELAY_ROUNDS"); do
  relay_run plain "$round"
  relay_run tls "$round"
done
printf '\nforward run\tnon_200\tdirect_p50_ms\tforwarded_p50_ms\tforwarded_minus_direct_ms\n'
for round in $(seq "$ROUNDS"); do
  forward_run plain "$round"
  forward_run tls "$round"
  if [[ -n ${BASELINE:-} ]]; then
    NODE_BIN=$BASELINE NODE_LABEL=base- forward_run plain "$round"
    NODE_BIN=$BASELINE NODE_LABEL=base- forward_run tls "$round"
  fi
done
