# Sourced by benchmarks/cluster-bench.sh and benchmarks/cluster-tls-bench.sh (not run alone):
# release builds of tmi-server and tmi-loadtest in $SCRATCH, a work directory, a throwaway
# PostgreSQL (scripts/pg-test-cluster) and redis-server on 127.0.0.1, every process started
# through `pids` stopped and everything removed on exit. Sets BIN, work, DBURL, RPORT, SECRET,
# JWT and defines free_port and start_node. Needs: the caller's `cd` to the repository root.
SCRATCH=${SCRATCH:-.build-release}
swift build -c release --scratch-path "$SCRATCH" --product tmi-server >&2
swift build -c release --scratch-path "$SCRATCH" --product tmi-loadtest >&2
BIN="$SCRATCH/release"
work=$(mktemp -d)
pids=()
pgdir=
redis_pid=
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null || true
  [[ -n $pgdir ]] && scripts/pg-test-cluster stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/pg-test-cluster start | grep -E '^TMI_TEST_(DATABASE_URL|PG_DIR)=' | sed 's/^/export /')"
pgdir=$TMI_TEST_PG_DIR
DBURL=$TMI_TEST_DATABASE_URL
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
redis_pid=$!
for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
SECRET=bench-cluster-secret-0123456789
JWT=bench-jwt-secret-0123456789abcdef0123

# Starts a node (the build in $NODE_BIN when set); echoes "PID URL". ARGS...
start_node() {
  local dir out
  dir=$(mktemp -d -p "$work")
  out="$dir/out"
  "${NODE_BIN:-$BIN/tmi-server}" --port 0 --data-dir "$dir" --log-level warning --jwt-alg HS256 --jwt-secret "$JWT" \
    "$@" >"$out" 2>"$dir/err" &
  local p=$!
  for _ in $(seq 300); do grep -q '^listening on ' "$out" 2>/dev/null && break; sleep 0.05; done
  echo "$p $(sed -n 's/^listening on //p' "$out")"
}
