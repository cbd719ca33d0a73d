#!/usr/bin/env python3
"""Opens N keep-alive connections to 127.0.0.1:PORT, makes one request on each, holds them open,
and prints the server's RSS (from /proc/PID/status) before and while they are held.
Usage: idle-connections.py PORT PID [N]"""
import resource, socket, sys, time

port, pid = int(sys.argv[1]), int(sys.argv[2])
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, count + 100)), hard))

def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

before = rss_kib()
sockets = []
for _ in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
    sockets.append(s)
for s in sockets:
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(4096)
time.sleep(1)  # let the server settle before sampling
held = rss_kib()
print(f"RSS before: {before/1024:.1f} MiB; with {count} idle keep-alive connections: {held/1024:.1f} MiB; "
      f"delta {(held-before)/1024:.1f} MiB ({(held-before)*1024/count/1024:.1f} KiB per connection)")
for s in sockets:
    s.close()
