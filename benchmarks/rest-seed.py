#!/usr/bin/env python3
"""Seeds a tmi-server for benchmarks/rest-bench.sh (127.0.0.1 only, bounded counts).

rest-seed.py PORT THREATS OUTDIR [--extra-writes N] [--models K]
Logs in as the test user alice, creates K threat models (default 1), adds THREATS threats to
each through POST .../threats/bulk (20 per call, 8 connections), then optionally N single
PATCHes (to push the journal past the store's snapshot threshold). Writes OUTDIR/token,
OUTDIR/model and OUTDIR/ids (the first model and its threats) and OUTDIR/models (all models).
"""
import http.client, json, sys, threading

port, count, outdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def option(name):
    return int(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else 0

extra, model_count = option("--extra-writes"), max(1, option("--models"))

def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)

def login():
    c = conn()
    path = "/oauth2/authorize?idp=test&login_hint=alice&scope=openid&state=s1"
    for _ in range(5):  # follow the redirects through /oauth2/callback
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        if r.status in (301, 302, 303, 307, 308):
            loc = r.getheader("Location")
            path = loc[loc.index("/", loc.index("//") + 2):] if "//" in loc else loc
            continue
        return json.loads(body)["access_token"]
    raise SystemExit("login did not finish")

token = login()
H = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

def call(c, method, path, body, headers=H, expect=(200, 201)):
    c.request(method, path, body=json.dumps(body), headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status not in expect:
        raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return json.loads(data) if data else None

c = conn()
models = [call(c, "POST", "/threat_models", {"name": f"bench {count} #{k}"})["id"] for k in range(model_count)]
model = models[0]
base = f"/threat_models/{model}/threats"

def threat(i):
    return {"name": f"threat {i}", "severity": "High", "priority": "P1", "mitigated": False,
            "status": "open", "threat_type": "Tampering", "description": "seeded for the benchmark"}

ids, lock = [], threading.Lock()
batches = [(m, list(range(s, min(s + 20, count)))) for m in models for s in range(0, count, 20)]

def bulk_worker(mine):
    c = conn()
    for m, b in mine:
        made = call(c, "POST", f"/threat_models/{m}/threats/bulk", [threat(i) for i in b])
        if m == model:
            with lock:
                ids.extend(t["id"] for t in made)

def patch_worker(mine):
    c = conn()
    ph = dict(H, **{"Content-Type": "application/json-patch+json"})
    for k, tid in mine:
        call(c, "PATCH", f"{base}/{tid}", [{"op": "replace", "path": "/name", "value": f"p{k}"}], ph)

def run(worker, items, n=8):
    ts = [threading.Thread(target=worker, args=(items[i::n],)) for i in range(n)]
    for t in ts: t.start()
    for t in ts: t.join()

run(bulk_worker, batches)
if len(ids) != count:
    raise SystemExit(f"seeded {len(ids)} threats, wanted {count}")
if extra:
    run(patch_worker, [(k, ids[k % len(ids)]) for k in range(extra)])
files = (("token", token), ("model", model), ("ids", "\n".join(ids) + "\n"), ("models", "\n".join(models) + "\n"))
for name, value in files:
    with open(f"{outdir}/{name}", "w") as f:
        f.write(value)
print(f"seeded {model_count} model(s) ({model}...) with {count} threats each, {extra} extra writes")
