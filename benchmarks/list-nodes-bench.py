#!/usr/bin/env python3
"""GET /threat_models over PostgreSQL, two tmi-server builds side by side (docs/cluster.md "Lists").

Starts, for each binary, one node alone and a pair of cluster nodes (--redis-url), each on its own
schema seeded with --models models (through the node that lists: the old build would not show
another node's); then runs wrk against the list in interleaved rounds and prints the medians and
the after/before ratios. Nothing changes during the rounds: what is measured is the steady-state
cost of checking (one (id, revision) query per list in the new build's cluster mode). Loopback only, bounded in time. Needs wrk, a PostgreSQL URL and a
Redis URL (scripts/pg-test-cluster, scripts/redis-test-server).

  benchmarks/list-nodes-bench.py --before OLD/tmi-server --after .build/release/tmi-server \\
      --database-url URL --redis-url URL [--models 100] [--rounds 5] [--seconds 5]
"""
import argparse, base64, hashlib, hmac, json, os, re, shutil, statistics, subprocess, sys, tempfile, time
import threading, urllib.request

SECRET = "bench-list-jwt-secret-0123456789abcdef"
ISSUER = "http://tmi.bench.test"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(user: str) -> str:
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"sub": "sub-" + user, "email": user + "@bench.tmi", "name": user, "iss": ISSUER, "aud": ISSUER,
               "iat": now - 5, "nbf": now - 5, "exp": now + 7200, "jti": os.urandom(8).hex(), "idp": "test",
               "groups": []}
    signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(payload).encode())
    return signing + "." + b64(hmac.new(SECRET.encode(), signing.encode(), hashlib.sha256).digest())


def start(binary, args, directory):
    proc = subprocess.Popen([binary, "--port", "0", "--host", "127.0.0.1", "--data-dir", directory,
                             "--public-url", ISSUER, "--jwt-alg", "HS256", "--jwt-secret", SECRET,
                             "--log-level", "error"] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    m = re.match(r"listening on .*:(\d+)", line)
    if not m:
        proc.kill()
        sys.exit(f"{binary} did not start: {line!r}")
    # Keep reading what it prints so a full pipe never blocks it.
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, int(m.group(1))


def call(port, method, path, body=None, user="alice"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("Authorization", "Bearer " + token(user))
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def wrk(port, seconds, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H",
                          "Authorization: Bearer " + token("alice"),
                          f"http://127.0.0.1:{port}/threat_models?limit=20"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit("wrk saw errors:\n" + out)
    return rps, float(m.group(1)) * scale


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--before", required=True)
    p.add_argument("--after", required=True)
    p.add_argument("--database-url", required=True)
    p.add_argument("--redis-url", required=True)
    p.add_argument("--models", type=int, default=100)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--connections", type=int, default=8)
    a = p.parse_args()
    tag = os.urandom(3).hex()
    procs, dirs, targets = [], [], {}
    try:
        for variant, binary in (("before", a.before), ("after", a.after)):
            for mode in ("single", "cluster"):
                schema = f"bench_{tag}_{variant}_{mode}"
                nodes = []
                for i in range(1 if mode == "single" else 2):
                    d = tempfile.mkdtemp(prefix="tmi-bench-")
                    dirs.append(d)
                    args = ["--database-url", a.database_url, "--database-schema", schema]
                    if mode == "cluster":
                        args += ["--redis-url", a.redis_url, "--node-id", f"{variant}{tag}{i}",
                                 "--cluster-secret", "bench-cluster-secret-0123456789"]
                    proc, port = start(binary, args, d)
                    procs.append(proc)
                    nodes.append(port)
                # Through the node that lists, so the old build (which never reads back what
                # another node wrote) lists the same models: both render the same page.
                for n in range(a.models):
                    call(nodes[-1], "POST", "/threat_models", {"name": f"model {n}", "description": "bench"})
                listed = call(nodes[-1], "GET", "/threat_models?limit=1")
                assert listed["pagination"]["total"] == a.models, listed["pagination"]
                targets[f"{mode}/{variant}"] = nodes[-1]
        results = {k: [] for k in targets}
        for r in range(a.rounds):
            order = list(targets) if r % 2 == 0 else list(reversed(list(targets)))
            for k in order:
                results[k].append(wrk(targets[k], a.seconds, a.connections))
        print(f"GET /threat_models?limit=20, {a.models} models, wrk -t2 -c{a.connections} -d{a.seconds}s, "
              f"{a.rounds} interleaved rounds (medians)")
        for mode in ("single", "cluster"):
            med = {}
            for variant in ("before", "after"):
                rs = results[f"{mode}/{variant}"]
                med[variant] = (statistics.median(x[0] for x in rs), statistics.median(x[1] for x in rs))
                print(f"  {mode:7} {variant:6}: {med[variant][0]:9.0f} req/s  p50 {med[variant][1]:.3f} ms   "
                      f"rounds: {', '.join(f'{x[0]:.0f}' for x in rs)}")
            print(f"  {mode:7} after/before: throughput {med['after'][0] / med['before'][0]:.3f}, "
                  f"p50 latency {med['after'][1] / med['before'][1]:.3f}")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
