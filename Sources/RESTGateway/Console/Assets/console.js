// TMI operator console (docs/console.md). Plain JavaScript, no dependencies, served by the server
// itself under a strict Content-Security-Policy: no inline code, no eval, no other origin.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const store = window.sessionStorage;

  const state = {
    token: null,
    refresh: null,
    viewer: null,
    sessions: [],
    receivedAt: 0,
    serverNow: 0,
    sort: { key: "threat_model_name", dir: 1 },
    filter: "",
    feed: null,
    feedRetry: 0,
    lastRevision: new Map(),
    watch: null,
  };

  // ---------- small helpers ----------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, String(v));
    }
    return e;
  }
  const personName = (u) => (u ? u.name || u.displayName || u.email || u.user_id : "—");
  function clock(iso) {
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }
  function duration(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
    return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
  }
  function socketURL(path) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + path + "?token=" + encodeURIComponent(state.token);
  }
  function show(section) {
    for (const id of ["login", "sessions", "detail"]) $(id).hidden = id !== section;
  }
  function setFeedState(text, cls) {
    const s = $("feed-state");
    s.textContent = text;
    s.className = "feed-state " + (cls || "");
  }

  // ---------- sign-in through the normal OAuth flow ----------
  function randomState() {
    const a = new Uint8Array(16);
    crypto.getRandomValues(a);
    return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function takeTokensFromURL() {
    const q = new URLSearchParams(location.search);
    if (!q.has("access_token") && !q.has("error")) return;
    const expected = store.getItem("tmi.console.state");
    store.removeItem("tmi.console.state");
    if (q.has("error")) {
      $("login-error").textContent = "Sign-in failed: " + (q.get("error_description") || q.get("error"));
    } else if (!expected || q.get("state") !== expected) {
      $("login-error").textContent = "Sign-in failed: the answer did not match this browser's request.";
    } else {
      store.setItem("tmi.console.token", q.get("access_token"));
      if (q.get("refresh_token")) store.setItem("tmi.console.refresh", q.get("refresh_token"));
    }
    // Tokens never stay in the address bar or history.
    history.replaceState(null, "", location.pathname + location.hash);
  }

  async function loadProviders() {
    const select = $("idp");
    select.replaceChildren();
    try {
      const r = await fetch("/oauth2/providers");
      const body = await r.json();
      for (const p of body.providers || []) select.append(el("option", { value: p.id, text: p.name || p.id }));
    } catch (e) {
      $("login-error").textContent = "Could not load the login providers.";
    }
    if (!select.options.length) $("login-error").textContent = "No login provider is configured.";
  }

  function signIn(ev) {
    ev.preventDefault();
    const s = randomState();
    store.setItem("tmi.console.state", s);
    const q = new URLSearchParams({
      idp: $("idp").value,
      client_callback: location.origin + location.pathname,
      state: s,
      scope: "openid",
    });
    const hint = $("login-hint").value.trim();
    if (hint) q.set("login_hint", hint);
    location.assign("/oauth2/authorize?" + q.toString());
  }

  function signOut() {
    const refresh = state.refresh;
    if (state.token) {
      fetch("/oauth2/revoke", {
        method: "POST",
        headers: { Authorization: "Bearer " + state.token, "Content-Type": "application/json" },
        body: JSON.stringify(refresh ? { refresh_token: refresh } : {}),
      }).catch(() => {});
    }
    store.removeItem("tmi.console.token");
    store.removeItem("tmi.console.refresh");
    state.token = state.refresh = null;
    closeFeed();
    closeWatch();
    $("who").hidden = true;
    setFeedState("");
    showLogin();
  }

  function showLogin() {
    show("login");
    loadProviders();
    $("login-hint").focus();
  }

  /// A token the server refuses: try the refresh token once, else back to sign-in.
  async function tokenRefused() {
    if (state.refresh) {
      const refresh = state.refresh;
      state.refresh = null;
      store.removeItem("tmi.console.refresh");
      try {
        const r = await fetch("/oauth2/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: refresh }),
        });
        if (r.ok) {
          const t = await r.json();
          state.token = t.access_token;
          state.refresh = t.refresh_token || null;
          store.setItem("tmi.console.token", state.token);
          if (state.refresh) store.setItem("tmi.console.refresh", state.refresh);
          return true;
        }
      } catch (e) {}
    }
    signOut();
    $("login-error").textContent = "Your sign-in has expired; please sign in again.";
    return false;
  }

  async function api(method, path) {
    const r = await fetch(path, { method, headers: { Authorization: "Bearer " + state.token } });
    if (r.status === 401 && (await tokenRefused())) return api(method, path);
    return r;
  }

  // ---------- the live table ----------
  function openFeed() {
    closeFeed();
    setFeedState("connecting…");
    const ws = new WebSocket(socketURL("/console/ws"));
    state.feed = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      state.feedRetry = 0;
      setFeedState("live", "live");
    };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.message_type !== "console_sessions") return;
      state.viewer = m.viewer;
      $("who-name").textContent = personName(m.viewer);
      $("who").hidden = false;
      state.sessions = m.sessions || [];
      state.serverNow = Date.parse(m.server_time) || Date.now();
      state.receivedAt = Date.now();
      renderTable();
      if (state.watch) renderFacts();
    };
    ws.onclose = async () => {
      if (state.feed !== ws) return;
      state.feed = null;
      setFeedState("reconnecting…", "down");
      if (!opened) {
        // A refused handshake is often an expired token: ask a plain endpoint why.
        const r = await fetch("/oauth2/userinfo", { headers: { Authorization: "Bearer " + state.token } }).catch(() => null);
        if (r && r.status === 401 && !(await tokenRefused())) return;
      }
      const delay = Math.min(15000, 500 * 2 ** state.feedRetry++);
      setTimeout(() => { if (state.token && !state.feed) openFeed(); }, delay);
    };
  }
  function closeFeed() {
    const ws = state.feed;
    state.feed = null;
    if (ws) ws.close();
  }

  function idleSeconds(s) {
    return s.idle_seconds + (Date.now() - state.receivedAt) / 1000;
  }
  function sortValue(s, key) {
    switch (key) {
      case "host": return personName(s.host).toLowerCase();
      case "presenter": return personName(s.presenter).toLowerCase();
      case "participants": return s.participants.length;
      case "threat_model_name": case "diagram_name": return (s[key] || "").toLowerCase();
      default: return s[key];
    }
  }
  function visibleSessions() {
    const f = state.filter.trim().toLowerCase();
    const list = state.sessions.filter((s) =>
      !f || s.threat_model_name.toLowerCase().includes(f) || s.diagram_name.toLowerCase().includes(f));
    const { key, dir } = state.sort;
    return list.sort((a, b) => {
      const x = sortValue(a, key), y = sortValue(b, key);
      if (x < y) return -dir;
      if (x > y) return dir;
      return a.diagram_id < b.diagram_id ? -1 : 1;
    });
  }

  function renderTable() {
    const list = visibleSessions();
    const body = $("rows");
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.diagram : null;
    const rows = list.map((s) => {
      const changed = state.lastRevision.has(s.diagram_id) && state.lastRevision.get(s.diagram_id) !== s.revision;
      state.lastRevision.set(s.diagram_id, s.revision);
      const people = el("div", { class: "people-cell" },
        ...s.participants.map((p) => el("span", { class: "person" },
          personName(p.user) + " ", el("time", { datetime: p.joined_at, text: clock(p.joined_at) }))));
      if (!s.participants.length) people.append(el("span", { class: "muted", text: "nobody connected" }));
      const open = el("button", { type: "button", class: "open", "data-diagram": s.diagram_id, text: s.diagram_name || s.diagram_id });
      open.addEventListener("click", () => openSession(s));
      const tr = el("tr", { "data-diagram": s.diagram_id, "data-revision": s.revision, class: changed ? "changed" : null },
        el("td", { "data-label": "Threat model", text: s.threat_model_name }),
        el("td", { "data-label": "Diagram" }, open),
        el("td", { "data-label": "Host", text: personName(s.host) }),
        el("td", { "data-label": "Presenter", text: personName(s.presenter) }),
        el("td", { "data-label": "Participants" }, people),
        el("td", { "data-label": "Ops/s", class: "num ops", text: s.operations_per_second.toFixed(2) }),
        el("td", { "data-label": "Revision", class: "num revision", text: String(s.revision) }),
        el("td", { "data-label": "Idle", class: "num idle" }, duration(idleSeconds(s))));
      tr.addEventListener("click", (ev) => { if (ev.target === tr || ev.target.tagName === "TD") openSession(s); });
      return tr;
    });
    body.replaceChildren(...rows);
    if (focused) {
      const again = body.querySelector('button[data-diagram="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
    $("count").textContent = "(" + list.length + (list.length !== state.sessions.length ? " of " + state.sessions.length : "") + ")";
    $("empty").hidden = list.length > 0;
    for (const th of document.querySelectorAll("#table th")) {
      const key = th.querySelector("button").dataset.key;
      th.setAttribute("aria-sort", key === state.sort.key ? (state.sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  }

  /// Idle times advance locally between feed messages (no polling).
  function tickIdle() {
    const byID = new Map(state.sessions.map((s) => [s.diagram_id, s]));
    for (const tr of $("rows").children) {
      const s = byID.get(tr.dataset.diagram);
      if (s) tr.querySelector(".idle").textContent = duration(idleSeconds(s));
    }
    if (state.watch) {
      const s = byID.get(state.watch.diagram);
      const idle = $("fact-idle");
      if (s && idle) idle.textContent = duration(idleSeconds(s));
    }
  }

  // ---------- one session: read-only live diagram ----------
  function route() {
    const m = /^#\/sessions\/([0-9a-f-]{36})\/([0-9a-f-]{36})$/.exec(location.hash);
    if (!state.token) return;
    if (m) startWatch(m[1], m[2]);
    else {
      closeWatch();
      show("sessions");
      renderTable();
    }
  }
  function openSession(s) {
    location.hash = "#/sessions/" + s.threat_model_id + "/" + s.diagram_id;
  }

  function closeWatch() {
    const w = state.watch;
    state.watch = null;
    if (w && w.ws) { w.closing = true; w.ws.close(); }
  }

  function startWatch(model, diagram) {
    if (state.watch && state.watch.diagram === diagram) return;
    closeWatch();
    const w = {
      model, diagram, cells: new Map(), revision: null, presenter: null, cursor: null,
      selections: new Map(), participants: [], colors: new Map(), ended: false, closing: false,
    };
    state.watch = w;
    show("detail");
    $("detail-message").textContent = "";
    $("end-confirm").hidden = true;
    $("end-session").hidden = false;
    $("detail-status").textContent = "connecting…";
    renderFacts();
    drawDiagram();
    $("back").focus();
    const ws = new WebSocket(socketURL("/console/threat_models/" + model + "/diagrams/" + diagram + "/ws"));
    w.ws = ws;
    ws.onmessage = (ev) => {
      if (state.watch !== w) return;
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      applyMessage(w, m);
    };
    ws.onclose = (ev) => {
      if (state.watch !== w || w.closing) return;
      $("detail-status").textContent = w.ended
        ? "The session has ended."
        : "Not connected (" + (ev.reason || "the session is not live") + ").";
      $("host-actions").hidden = true;
    };
  }

  function colorOf(w, userID) {
    if (!w.colors.has(userID)) w.colors.set(userID, w.colors.size % 6);
    return w.colors.get(userID);
  }

  function applyMessage(w, m) {
    switch (m.message_type) {
      case "diagram_state_sync":
        w.cells = new Map((m.cells || []).map((c) => [c.id, c]));
        w.revision = m.update_vector;
        break;
      case "diagram_operation":
        for (const op of (m.operation && m.operation.cells) || []) {
          if (op.operation === "remove") w.cells.delete(op.id);
          else if (op.data) w.cells.set(op.id, op.data);
        }
        if (typeof m.update_vector === "number") w.revision = m.update_vector;
        break;
      case "current_presenter":
        w.presenter = m.current_presenter;
        break;
      case "presenter_cursor":
        w.cursor = m.cursor_position;
        break;
      case "presenter_selection":
        if (w.presenter) w.selections.set(w.presenter.user_id, m.selected_cells || []);
        break;
      case "participant_selection":
        w.selections.set(m.user.user_id, m.selected_cells || []);
        break;
      case "participants_update":
        w.participants = m.participants || [];
        for (const id of [...w.selections.keys()]) {
          if (!w.participants.some((p) => p.user.user_id === id)) w.selections.delete(id);
        }
        break;
      case "error":
        if (m.error === "session_ended") {
          w.ended = true;
          $("detail-status").textContent = "The session has ended.";
        }
        break;
      default:
        return;
    }
    drawDiagram();
    renderFacts();
  }

  function fact(dl, term, value, id) {
    dl.append(el("dt", { text: term }), el("dd", { id, text: value }));
  }

  function renderFacts() {
    const w = state.watch;
    if (!w) return;
    const s = state.sessions.find((x) => x.diagram_id === w.diagram);
    $("detail-title").textContent = s ? s.threat_model_name + " / " + s.diagram_name : "Diagram " + w.diagram;
    const dl = $("detail-facts");
    dl.replaceChildren();
    fact(dl, "Revision", w.revision === null ? "…" : String(w.revision), "fact-revision");
    if (s) {
      fact(dl, "Host", personName(s.host));
      fact(dl, "Presenter", personName(s.presenter));
      fact(dl, "Ops/s (1 min)", s.operations_per_second.toFixed(2));
      fact(dl, "Idle", duration(idleSeconds(s)), "fact-idle");
      fact(dl, "Started", clock(s.created_at));
    }
    const isHost = !!(s && s.viewer_is_host) && !w.ended;
    $("host-actions").hidden = !isHost;
    const list = $("detail-participants");
    list.replaceChildren();
    const rows = s ? s.participants : w.participants.map((p) => ({ user: p.user, permissions: p.permissions }));
    for (const p of rows) {
      const id = p.user.user_id;
      const sel = w.selections.get(id) || [];
      const li = el("li", { "data-user": id },
        el("span", { class: "swatch sel-" + colorOf(w, id), "aria-hidden": "true" }),
        el("span", { text: personName(p.user) }),
        el("span", { class: "badge", text: p.permissions }));
      if (p.joined_at) li.append(el("time", { class: "muted", datetime: p.joined_at, text: "joined " + clock(p.joined_at) }));
      if (sel.length) li.append(el("span", { class: "muted", text: sel.length + " selected" }));
      if (isHost && state.viewer && id !== state.viewer.user_id) {
        const b = el("button", { type: "button", class: "small danger remove", "data-user": id, text: "Remove" });
        b.setAttribute("aria-label", "Remove " + personName(p.user) + " from the session");
        b.addEventListener("click", () => removeParticipant(w, p.user));
        li.append(b);
      }
      list.append(li);
    }
    if (!rows.length) list.append(el("li", { class: "muted", text: "Nobody is connected." }));
    if (!w.ended && w.revision !== null) {
      $("detail-status").textContent = "Live: " + w.cells.size + " cells, revision " + w.revision + ". Read-only view.";
    }
  }

  // ---------- drawing ----------
  function geometry(c) {
    const x = num(c.x, c.position && c.position.x), y = num(c.y, c.position && c.position.y);
    const width = num(c.width, c.size && c.size.width, 120), height = num(c.height, c.size && c.size.height, 60);
    return { x: x || 0, y: y || 0, width, height };
  }
  function num(...vs) {
    for (const v of vs) if (typeof v === "number" && isFinite(v)) return v;
    return undefined;
  }
  function nodeLabel(c) {
    const t = c.attrs && c.attrs.text && c.attrs.text.text;
    if (typeof t === "string") return t;
    if (typeof c.label === "string") return c.label;
    return "";
  }
  function edgeLabel(c) {
    const l = Array.isArray(c.labels) && c.labels[0];
    if (!l) return typeof c.label === "string" ? c.label : "";
    if (typeof l === "string") return l;
    if (l.attrs && l.attrs.text && typeof l.attrs.text.text === "string") return l.attrs.text.text;
    return typeof l.text === "string" ? l.text : "";
  }
  function endpointID(e) { return e && typeof e === "object" ? e.cell : undefined; }
  function center(g) { return { x: g.x + g.width / 2, y: g.y + g.height / 2 }; }
  /// Where the segment from the box centre towards `p` leaves the box (so arrowheads show).
  function boxExit(g, p) {
    const c = center(g), dx = p.x - c.x, dy = p.y - c.y;
    if (!dx && !dy) return c;
    const sx = dx ? (g.width / 2) / Math.abs(dx) : Infinity, sy = dy ? (g.height / 2) / Math.abs(dy) : Infinity;
    const s = Math.min(sx, sy, 1);
    return { x: c.x + dx * s, y: c.y + dy * s };
  }
  function wrapText(parent, text, cx, cy, maxWidth) {
    const words = text.split(/\s+/).filter(Boolean), per = Math.max(4, Math.floor(maxWidth / 7.2));
    const lines = [];
    let line = "";
    for (const w of words) {
      if ((line + " " + w).trim().length > per && line) { lines.push(line); line = w; } else line = (line + " " + w).trim();
    }
    if (line) lines.push(line);
    const t = svg("text", { x: cx, y: cy - (lines.length - 1) * 8, "text-anchor": "middle", "dominant-baseline": "middle", class: "label" });
    lines.slice(0, 4).forEach((l, i) => t.append(svg("tspan", { x: cx, dy: i ? 16 : 0, text: l })));
    parent.append(t);
  }

  function selectionOwners(w) {
    const owners = new Map();
    for (const [user, cells] of w.selections) for (const id of cells) if (!owners.has(id)) owners.set(id, user);
    return owners;
  }

  function drawDiagram() {
    const w = state.watch;
    const root = $("diagram");
    root.replaceChildren();
    if (!w) return;
    root.setAttribute("data-revision", w.revision === null ? "" : w.revision);
    const defs = svg("defs");
    const marker = svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: "auto-start-reverse" });
    marker.append(svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
    defs.append(marker);
    root.append(defs);
    const owners = selectionOwners(w);
    const nodes = [], edges = [];
    for (const c of w.cells.values()) (c.shape === "edge" ? edges : nodes).push(c);
    // Boundaries first so everything else draws over them.
    nodes.sort((a, b) => (a.shape === "security-boundary" ? 0 : 1) - (b.shape === "security-boundary" ? 0 : 1)
      || num(a.zIndex, 0) - num(b.zIndex, 0));
    const boxes = new Map(nodes.map((n) => [n.id, geometry(n)]));
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    const grow = (x, y) => { minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); };
    const layerNodes = svg("g", { class: "nodes" }), layerEdges = svg("g", { class: "edges" });
    for (const n of nodes) {
      const g = boxes.get(n.id);
      grow(g.x, g.y); grow(g.x + g.width, g.y + g.height);
      const owner = owners.get(n.id);
      const cls = "node shape-" + (n.shape || "unknown") + (owner ? " selected sel-" + colorOf(w, owner) : "");
      const grp = svg("g", { class: cls, "data-cell-id": n.id, "data-shape": n.shape || "" });
      const label = nodeLabel(n);
      grp.append(svg("title", { text: (n.shape || "node") + (label ? ": " + label : "") }));
      switch (n.shape) {
        case "process":
          grp.append(svg("ellipse", { class: "node-body", cx: g.x + g.width / 2, cy: g.y + g.height / 2, rx: g.width / 2, ry: g.height / 2 }));
          break;
        case "store":
          grp.append(svg("rect", { class: "node-body", x: g.x, y: g.y, width: g.width, height: g.height, "stroke-opacity": 0 }));
          grp.append(svg("line", { class: "store-line", x1: g.x, y1: g.y, x2: g.x + g.width, y2: g.y }));
          grp.append(svg("line", { class: "store-line", x1: g.x, y1: g.y + g.height, x2: g.x + g.width, y2: g.y + g.height }));
          break;
        case "security-boundary":
          grp.append(svg("rect", { class: "node-body", x: g.x, y: g.y, width: g.width, height: g.height, rx: 10 }));
          break;
        default:
          grp.append(svg("rect", { class: "node-body", x: g.x, y: g.y, width: g.width, height: g.height, rx: n.shape === "text-box" ? 0 : 3 }));
      }
      if (owner) {
        grp.append(svg("rect", { class: "ring sel-" + colorOf(w, owner), x: g.x - 6, y: g.y - 6, width: g.width + 12, height: g.height + 12, rx: 6 }));
      }
      if (label) {
        if (n.shape === "security-boundary") grp.append(svg("text", { x: g.x + 8, y: g.y + 16, class: "label", text: label }));
        else wrapText(grp, label, g.x + g.width / 2, g.y + g.height / 2, g.width - 8);
      }
      layerNodes.append(grp);
    }
    for (const e of edges) {
      const sBox = boxes.get(endpointID(e.source)), tBox = boxes.get(endpointID(e.target));
      const vertices = Array.isArray(e.vertices) ? e.vertices.filter((v) => v && isFinite(v.x) && isFinite(v.y)) : [];
      const sp = sBox ? center(sBox) : (e.source && isFinite(e.source.x) ? e.source : null);
      const tp = tBox ? center(tBox) : (e.target && isFinite(e.target.x) ? e.target : null);
      if (!sp || !tp) continue;
      const first = vertices[0] || tp, last = vertices[vertices.length - 1] || sp;
      const a = sBox ? boxExit(sBox, first) : sp, b = tBox ? boxExit(tBox, last) : tp;
      const pts = [a, ...vertices, b];
      for (const p of pts) grow(p.x, p.y);
      const owner = owners.get(e.id);
      const grp = svg("g", { class: "edge" + (owner ? " selected sel-" + colorOf(w, owner) : ""), "data-cell-id": e.id });
      grp.append(svg("polyline", { class: "edge-line", points: pts.map((p) => p.x + "," + p.y).join(" "), "marker-end": "url(#arrow)" }));
      const label = edgeLabel(e);
      if (label) {
        const mid = pts[Math.floor(pts.length / 2) - (pts.length % 2 ? 0 : 1)], nxt = pts[Math.floor(pts.length / 2)];
        grp.append(svg("text", { class: "edge-label", x: (mid.x + nxt.x) / 2, y: (mid.y + nxt.y) / 2 - 6, "text-anchor": "middle", text: label }));
      }
      grp.prepend(svg("title", { text: "flow" + (label ? ": " + label : "") }));
      layerEdges.append(grp);
    }
    root.append(layerNodes, layerEdges);
    if (w.cursor && isFinite(w.cursor.x) && isFinite(w.cursor.y)) {
      const { x, y } = w.cursor;
      grow(x, y);
      const cur = svg("g", { class: "cursor", "data-x": x, "data-y": y });
      cur.append(svg("path", { d: `M${x},${y} l0,18 l5,-5 l7,0 z` }));
      cur.append(svg("text", { x: x + 12, y: y + 24, text: personName(w.presenter) }));
      root.append(cur);
    }
    if (!isFinite(minX)) {
      root.setAttribute("viewBox", "0 0 800 450");
      root.append(svg("text", { x: 400, y: 225, "text-anchor": "middle", class: "empty-note", text: w.revision === null ? "Loading…" : "The diagram is empty." }));
      return;
    }
    const pad = 40;
    root.setAttribute("viewBox", [minX - pad, minY - pad, maxX - minX + 2 * pad, maxY - minY + 2 * pad].join(" "));
  }

  // ---------- host actions (the existing endpoints) ----------
  async function endSession(w) {
    $("detail-message").textContent = "";
    const r = await api("DELETE", "/threat_models/" + w.model + "/diagrams/" + w.diagram + "/collaborate");
    if (r.status === 204) {
      w.ended = true;
      $("detail-status").textContent = "The session has ended.";
      $("host-actions").hidden = true;
    } else {
      const body = await r.json().catch(() => ({}));
      $("detail-message").textContent = "Could not end the session: " + (body.error_description || r.status);
    }
  }

  /// `remove_participant` is a host's message on the diagram socket: connect as the host's user,
  /// send it once the session has greeted us, and leave again.
  function removeParticipant(w, user) {
    $("detail-message").textContent = "";
    const ws = new WebSocket(socketURL("/threat_models/" + w.model + "/diagrams/" + w.diagram + "/ws"));
    let sent = false;
    const finish = (text) => { if (text) $("detail-message").textContent = text; ws.close(); };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (!sent && m.message_type === "participants_update") {
        sent = true;
        ws.send(JSON.stringify({
          message_type: "remove_participant",
          initiating_user: { user_id: state.viewer.user_id, email: state.viewer.email },
          removed_user: { user_id: user.user_id, email: user.email },
        }));
      } else if (sent && m.message_type === "participant_left" && m.departed_user.user_id === user.user_id) {
        finish("");
      } else if (m.message_type === "error") {
        finish("Could not remove " + personName(user) + ": " + m.message);
      }
    };
    ws.onerror = () => finish("Could not reach the session to remove " + personName(user) + ".");
  }

  // ---------- start ----------
  function wire() {
    $("login-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", signOut);
    $("filter").addEventListener("input", (ev) => { state.filter = ev.target.value; renderTable(); });
    for (const b of document.querySelectorAll("#table th button")) {
      b.addEventListener("click", () => {
        const key = b.dataset.key;
        state.sort = { key, dir: state.sort.key === key ? -state.sort.dir : 1 };
        renderTable();
      });
    }
    $("back").addEventListener("click", () => { location.hash = ""; });
    $("end-session").addEventListener("click", () => {
      $("end-session").hidden = true;
      $("end-confirm").hidden = false;
      $("end-yes").focus();
    });
    $("end-no").addEventListener("click", () => {
      $("end-confirm").hidden = true;
      $("end-session").hidden = false;
      $("end-session").focus();
    });
    $("end-yes").addEventListener("click", () => {
      $("end-confirm").hidden = true;
      $("end-session").hidden = false;
      if (state.watch) endSession(state.watch);
    });
    window.addEventListener("hashchange", route);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape" && state.watch) location.hash = "";
    });
    setInterval(tickIdle, 1000);
  }

  function start() {
    wire();
    takeTokensFromURL();
    state.token = store.getItem("tmi.console.token");
    state.refresh = store.getItem("tmi.console.refresh");
    if (!state.token) return showLogin();
    show("sessions");
    openFeed();
    route();
  }

  start();
})();
