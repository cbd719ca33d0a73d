#!/usr/bin/env python3
"""Opens N WebSocket connections (ws, or wss with --tls) to 127.0.0.1:PORT/echo, completes the
upgrade (and the TLS handshake) on each, holds them idle, and prints the server's RSS
(/proc/PID/status) before and while they are held.
Usage: idle-wss.py PORT PID N [--tls]"""
import base64, os, resource, socket, ssl, sys, time

port, pid, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tls = "--tls" in sys.argv
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the benchmark's throwaway self-signed certificate

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

def open_one():
    s = socket.create_connection(("127.0.0.1", port))
    if tls:
        s = context.wrap_socket(s, server_hostname="127.0.0.1")
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("server closed during the upgrade")
        data += chunk
    if not data.startswith(b"HTTP/1.1 101"):
        raise SystemExit(f"upgrade refused: {data[:80]!r}")
    return s

before = rss_kib()
held = [open_one() for _ in range(count)]
time.sleep(2)  # let the server settle (its reader tasks park) before sampling
during = rss_kib()
kind = "wss" if tls else "ws"
print(f"{kind}: RSS before {before/1024:.1f} MiB, with {count} idle {kind} connections {during/1024:.1f} MiB, "
      f"{(during-before)/count:.1f} KiB per connection")
for s in held:
    s.close()
