#!/usr/bin/env python3
"""Browser test of the operator console (docs/console.md), run by .ci/run.

Starts tmi-server on port 0 with a fresh data directory, has two scripted WebSocket editors open
two sessions, then drives Debian's chromium through Playwright: signs in as the test user alice,
sees both sessions, watches the table update, opens one session, sees its SVG follow edits,
cursor and selections, removes a participant and ends the session as host. Screenshots (light,
dark, phone width) go to a temporary directory whose path is printed as the artefact location.

usage: console-browser-test.py TMI_SERVER_BINARY [--docs-screenshot docs/console.png]
"""

import base64
import json
import os
import queue
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

from playwright.sync_api import expect, sync_playwright

# Every wait is bounded; the browser and server run on a busy, shared machine.
WAIT_MS = 30_000


class Editor:
    """A scripted collaborator: a minimal RFC 6455 client (masked text frames, ping answers)."""

    def __init__(self, port, path, token, email):
        self.email = email
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path}?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("connection closed during the handshake")
            head += chunk
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            raise RuntimeError(f"handshake refused: {status!r}")
        self.buffer = head.split(b"\r\n\r\n", 1)[1]
        self.inbox = queue.Queue()
        self.lock = threading.Lock()
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()

    def _exact(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _read(self):
        parts = []
        try:
            while True:
                b0, b1 = self._exact(2)
                n = b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack(">H", self._exact(2))
                elif n == 127:
                    (n,) = struct.unpack(">Q", self._exact(8))
                payload = self._exact(n)
                opcode = b0 & 0x0F
                if opcode == 0x9:
                    self._send(0xA, payload)
                elif opcode == 0x8:
                    break
                elif opcode in (0x1, 0x0):
                    parts.append(payload)
                    if b0 & 0x80:
                        self.inbox.put(json.loads(b"".join(parts)))
                        parts = []
        except (EOFError, OSError):
            pass
        self.inbox.put(None)

    def _send(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.lock:
            self.sock.sendall(head + mask + body)

    def send(self, message):
        self._send(0x1, json.dumps(message).encode())

    def next(self, message_type, predicate=lambda m: True, timeout=30):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.email}: no {message_type}")
            m = self.inbox.get(timeout=left)
            if m is None:
                raise EOFError(f"{self.email}: connection closed while waiting for {message_type}")
            if m.get("message_type") == message_type and predicate(m):
                return m

    def operate(self, cells):
        op_id = str(uuid.uuid4())
        self.send({"message_type": "diagram_operation", "operation_id": op_id,
                   "operation": {"type": "patch", "cells": cells}})
        return self.next("diagram_operation", lambda m: m.get("operation_id") == op_id)

    def close(self):
        try:
            self._send(0x8, struct.pack(">H", 1000))
            self.sock.close()
        except OSError:
            pass


def node(cell_id, shape, x, y, label, w=140, h=70):
    return {"id": cell_id, "shape": shape, "x": x, "y": y, "width": w, "height": h,
            "attrs": {"text": {"text": label}}}


def edge(cell_id, source, target, label):
    return {"id": cell_id, "shape": "edge", "source": {"cell": source}, "target": {"cell": target},
            "labels": [{"attrs": {"text": {"text": label}}}]}


def add(cell):
    return {"id": cell["id"], "operation": "add", "data": cell}


class Server:
    def __init__(self, binary, workdir):
        self.out = open(os.path.join(workdir, "server.out"), "w+")
        self.err = open(os.path.join(workdir, "server.err"), "w+")
        self.proc = subprocess.Popen(
            [binary, "--port", "0", "--data-dir", os.path.join(workdir, "data")],
            stdout=self.out, stderr=self.err)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.out.seek(0)
            line = self.out.readline()
            if line.startswith("listening on "):
                self.base = line.split()[-1].strip()
                self.port = int(self.base.rsplit(":", 1)[1])
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.err.seek(0)
        raise RuntimeError("tmi-server did not start: " + self.err.read())

    def login(self, hint):
        url = f"{self.base}/oauth2/authorize?idp=test&login_hint={hint}&scope=openid&state=s"
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.load(r)["access_token"]

    def call(self, method, path, token, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
            return json.loads(text) if text else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    binary = sys.argv[1]
    docs_shot = sys.argv[sys.argv.index("--docs-screenshot") + 1] if "--docs-screenshot" in sys.argv else None
    shots = tempfile.mkdtemp(prefix="tmi-console-screenshots-")
    print(f"console screenshots (CI artefacts): {shots}", flush=True)
    work = tempfile.mkdtemp(prefix="tmi-console-test-")
    server = Server(binary, work)
    editors = []
    try:
        alice, bob = server.login("alice"), server.login("bob")
        # Alice's model (bob may write) and bob's model (alice may read): alice sees both sessions.
        pay = server.call("POST", "/threat_models", alice, {
            "name": "Payments", "authorization": [{"subject": "bob@test.tmi", "role": "writer"}]})["id"]
        idn = server.call("POST", "/threat_models", bob, {
            "name": "Identity", "authorization": [{"subject": "alice@test.tmi", "role": "reader"}]})["id"]
        hidden = server.call("POST", "/threat_models", bob, {"name": "Bob only"})["id"]
        d_pay = server.call("POST", f"/threat_models/{pay}/diagrams", alice,
                            {"name": "Checkout flow", "type": "DFD-1.0.0"})["id"]
        d_idn = server.call("POST", f"/threat_models/{idn}/diagrams", bob,
                            {"name": "Login", "type": "DFD-1.0.0"})["id"]
        d_hidden = server.call("POST", f"/threat_models/{hidden}/diagrams", bob,
                               {"name": "Secret", "type": "DFD-1.0.0"})["id"]

        # Editor 1: alice opens (and hosts) the Payments session and draws a small flow.
        ed_alice = Editor(server.port, f"/threat_models/{pay}/diagrams/{d_pay}/ws", alice, "alice")
        editors.append(ed_alice)
        ed_alice.next("diagram_state_sync")
        user, api, db, boundary = (str(uuid.uuid4()) for _ in range(4))
        ed_alice.operate([
            add(node(boundary, "security-boundary", 250, 20, "Data centre", w=420, h=300)),
            add(node(user, "actor", 20, 120, "Customer")),
            add(node(api, "process", 290, 60, "Checkout API")),
            add(node(db, "store", 480, 220, "Orders DB")),
            add(edge(str(uuid.uuid4()), user, api, "order")),
            add(edge(str(uuid.uuid4()), api, db, "insert")),
        ])
        # Editor 2: bob opens the Identity session, then also joins Payments.
        ed_bob = Editor(server.port, f"/threat_models/{idn}/diagrams/{d_idn}/ws", bob, "bob")
        editors.append(ed_bob)
        ed_bob.next("diagram_state_sync")
        ed_bob.operate([add(node(str(uuid.uuid4()), "process", 40, 40, "Token service"))])
        ed_bob_pay = Editor(server.port, f"/threat_models/{pay}/diagrams/{d_pay}/ws", bob, "bob")
        editors.append(ed_bob_pay)
        ed_bob_pay.next("diagram_state_sync")
        # A session alice may not see: it must not reach her console.
        ed_hidden = Editor(server.port, f"/threat_models/{hidden}/diagrams/{d_hidden}/ws", bob, "bob")
        editors.append(ed_hidden)
        ed_hidden.next("diagram_state_sync")

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=["--no-sandbox"])
            context = browser.new_context(viewport={"width": 1366, "height": 768})
            page = context.new_page()
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            # The page is served with a strict CSP.
            response = page.goto(server.base + "/console")
            csp = response.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, csp

            # Sign in through the normal OAuth flow (test provider).
            expect(page.locator("#idp option[value=test]")).to_have_count(1, timeout=WAIT_MS)
            page.fill("#login-hint", "alice")
            page.click("#sign-in")
            rows = page.locator("#rows tr")
            expect(rows).to_have_count(2, timeout=WAIT_MS)
            expect(page.locator("#who-name")).to_have_text("Alice (Test User)")
            assert page.url == server.base + "/console", page.url  # tokens left the address bar
            expect(page.locator(f'#rows tr[data-diagram="{d_hidden}"]')).to_have_count(0)
            row_pay = page.locator(f'#rows tr[data-diagram="{d_pay}"]')
            expect(row_pay).to_contain_text("Checkout flow")
            expect(row_pay).to_contain_text("Bob (Test User)")
            expect(page.locator(f'#rows tr[data-diagram="{d_idn}"]')).to_contain_text("Login")

            # The table updates live: a new operation raises the revision and the rate.
            expect(row_pay.locator(".revision")).to_have_text("1")
            ed_alice.operate([add(node(str(uuid.uuid4()), "text-box", 20, 300, "Note: PCI scope"))])
            expect(row_pay.locator(".revision")).to_have_text("2", timeout=WAIT_MS)
            expect(row_pay.locator(".ops")).not_to_have_text("0.00", timeout=WAIT_MS)

            # Sorting and filtering by name.
            page.click('th button[data-key="diagram_name"]')
            expect(rows.first).to_contain_text("Checkout flow")
            page.click('th button[data-key="diagram_name"]')
            expect(rows.first).to_contain_text("Login")
            page.fill("#filter", "ident")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("Identity")
            page.fill("#filter", "")
            expect(rows).to_have_count(2)
            page.screenshot(path=os.path.join(shots, "table-light-1366.png"))

            # Open the Payments session: the SVG shows the diagram and follows every edit.
            row_pay.locator("button.open").click()
            svg = page.locator("#diagram")
            expect(svg.locator("g.node")).to_have_count(5, timeout=WAIT_MS)
            expect(svg.locator(f'g.node[data-cell-id="{api}"] ellipse')).to_have_count(1)
            expect(svg.locator(f'g.node[data-cell-id="{db}"] line.store-line')).to_have_count(2)
            expect(svg.locator("g.edge polyline[marker-end]")).to_have_count(2)
            expect(svg.locator(f'g.node[data-cell-id="{api}"] text')).to_have_text("Checkout API")
            updated = node(api, "process", 300, 80, "Payment gateway")
            ed_alice.operate([{"id": api, "operation": "update", "data": updated}])
            expect(svg.locator(f'g.node[data-cell-id="{api}"] text')).to_have_text(
                "Payment gateway", timeout=WAIT_MS)
            expect(svg).to_have_attribute("data-revision", "3")
            # The presenter's cursor and a participant's selection.
            ed_alice.send({"message_type": "presenter_cursor", "cursor_position": {"x": 330, "y": 150}})
            expect(svg.locator("g.cursor")).to_have_count(1, timeout=WAIT_MS)
            ed_bob_pay.send({"message_type": "presenter_selection", "selected_cells": [db]})
            expect(svg.locator(f'g.node.selected[data-cell-id="{db}"]')).to_have_count(1, timeout=WAIT_MS)
            expect(page.locator("#end-session")).to_be_visible()
            page.screenshot(path=os.path.join(shots, "session-light-1366.png"))

            # Dark mode and phone width, for the eye (and the checked-in screenshot).
            page.emulate_media(color_scheme="dark")
            page.screenshot(path=os.path.join(shots, "session-dark-1366.png"))
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=os.path.join(shots, "session-dark-390.png"), full_page=True)
            page.emulate_media(color_scheme="light")
            page.keyboard.press("Escape")
            expect(rows).to_have_count(2, timeout=WAIT_MS)
            page.screenshot(path=os.path.join(shots, "table-light-390.png"), full_page=True)
            page.set_viewport_size({"width": 1366, "height": 768})
            # Keyboard: Tab reaches the session button and Enter opens it.
            page.locator(f'#rows tr[data-diagram="{d_pay}"] button.open').focus()
            page.keyboard.press("Enter")
            expect(svg.locator("g.node")).to_have_count(5, timeout=WAIT_MS)

            # The host removes bob, then ends the session.
            page.click(f'#detail-participants button.remove[data-user]')
            ed_bob_pay.next("error", lambda m: m.get("code") == "removed_by_host")
            expect(page.locator("#detail-participants li")).to_have_count(1, timeout=WAIT_MS)
            page.click("#end-session")
            page.click("#end-yes")
            expect(page.locator("#detail-status")).to_have_text("The session has ended.", timeout=WAIT_MS)
            ed_alice.next("error", lambda m: m.get("error") == "session_ended")
            page.emulate_media(color_scheme="dark")
            page.click("#back")
            expect(rows).to_have_count(1, timeout=WAIT_MS)
            page.screenshot(path=os.path.join(shots, "table-dark-1366.png"))
            assert not errors, f"browser errors: {errors}"
            browser.close()
        if docs_shot:
            shutil.copy(os.path.join(shots, "session-light-1366.png"), docs_shot)
        print(f"console browser test passed; screenshots in {shots}: {sorted(os.listdir(shots))}")
    finally:
        for e in editors:
            e.close()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
