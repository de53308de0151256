// Phago dashboard: live stats, the concept graph, queries, ingestion and agents. Plain ES modules.
import { ForceGraph, communityColour } from "./graph.js";

const $ = (sel) => document.querySelector(sel);
const TOKEN_KEY = "phago.token";
const THEME_KEY = "phago.theme";

const state = {
  token: localStorage.getItem(TOKEN_KEY) || "",
  me: null,
  paused: false,
  dropped: 0,
  agents: [],
  selectedAgent: null,
  maxNodes: 1000,
  timers: {},
  ws: null,
  wsRetry: 500,
};

// -- small helpers -------------------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "style") Object.assign(node.style, v); // CSSOM, allowed by the CSP (inline attributes are not)
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function fmt(n, digits = 0) {
  if (n === null || n === undefined) return "–";
  return Number(n).toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// Run `fn` at most once per `ms` (trailing call guaranteed).
function throttle(name, ms, fn) {
  const t = state.timers[name] || (state.timers[name] = { last: 0, pending: null });
  const now = performance.now();
  if (t.pending) return;
  const wait = Math.max(0, t.last + ms - now);
  t.pending = setTimeout(() => {
    t.pending = null;
    t.last = performance.now();
    fn();
  }, wait);
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, { method = "GET", body, headers = {} } = {}) {
  const h = { ...headers };
  if (state.token) h.Authorization = `Bearer ${state.token}`;
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(path, { method, headers: h, body: payload });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) {
    if (res.status === 401) askForKey();
    throw new ApiError(res.status, data);
  }
  return data;
}

function showError(message) {
  const banner = $("#banner");
  banner.replaceChildren(el("span", {}, message), el("button", { class: "ghost", "aria-label": "Dismiss", onclick: () => { banner.hidden = true; } }, "×"));
  banner.hidden = false;
}

function toast(message) {
  const t = el("div", { class: "toast", role: "status" }, message);
  $("#toasts").append(t);
  setTimeout(() => t.remove(), 4000);
}

function guard(fn) {
  return async (...args) => {
    try { return await fn(...args); } catch (err) { showError(err.message); return undefined; }
  };
}

// -- theme ---------------------------------------------------------------------------------------------
function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  const css = getComputedStyle(document.documentElement);
  graph.setColours({
    background: css.getPropertyValue("--canvas").trim(),
    edge: css.getPropertyValue("--edge").trim(),
    label: css.getPropertyValue("--fg").trim(),
    ring: css.getPropertyValue("--ring").trim(),
  });
  drawSubstrate();
}

function initialTheme() {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === "dark" || saved === "light") return saved;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

// -- auth ----------------------------------------------------------------------------------------------
function askForKey() {
  const dialog = $("#key-dialog");
  if (!dialog.open) dialog.showModal();
}

// -- stats ---------------------------------------------------------------------------------------------
function renderStats(s) {
  const values = {
    documents: fmt(s.documents), concepts: fmt(s.concepts), edges: fmt(s.edges), agents: fmt(s.agents_total),
    tick: fmt(s.tick), modularity: s.modularity === null ? "–" : fmt(s.modularity, 2),
  };
  for (const [k, v] of Object.entries(values)) {
    const dd = document.querySelector(`[data-stat="${k}"]`);
    if (dd) dd.textContent = v;
  }
  document.body.dataset.tick = s.tick;
}

const loadStats = guard(async () => renderStats(await api("/api/stats")));

// -- graph ---------------------------------------------------------------------------------------------
const graph = new ForceGraph($("#graph"), {
  onSelect: (label) => showConcept(label),
  onFrame: () => {},
});

const loadGraph = guard(async () => {
  const status = $("#graph-status");
  if (!graph.nodes.length) { status.textContent = "Loading graph…"; status.hidden = false; }
  const data = await api(`/api/graph?max_nodes=${state.maxNodes}&max_edges=${state.maxNodes * 3}`);
  graph.setData(data.nodes, data.edges);
  const canvas = $("#graph");
  canvas.dataset.nodes = data.nodes.length;
  canvas.dataset.edges = data.edges.length;
  $("#graph-info").textContent = `${fmt(data.nodes.length)} of ${fmt(data.total_nodes)} concepts · ${fmt(data.edges.length)} edges`;
  if (!data.nodes.length) {
    status.textContent = "No concepts yet — drop some documents on the left; agents digest them over ticks.";
    status.hidden = false;
  } else {
    status.hidden = true;
    if (!state.fitted) { setTimeout(() => graph.fit(), 600); state.fitted = true; }
  }
  loadCommunities();
});

const loadCommunities = guard(async () => {
  const data = await api("/api/explore/communities?top=3&min_size=2");
  const select = $("#community");
  const current = select.value;
  const options = [el("option", { value: "" }, "All communities")];
  for (const c of data.communities.slice(0, 40)) {
    const opt = el("option", { value: String(c.id) }, `● ${c.id} · ${c.size} · ${c.top_concepts.join(", ")}`);
    opt.style.color = communityColour(c.id);
    options.push(opt);
  }
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === current) ? current : "";
  graph.setFilter(select.value);
});

const showConcept = guard(async (label) => {
  const box = $("#details");
  box.hidden = false;
  box.replaceChildren(el("p", { class: "muted" }, `Loading “${label}”…`));
  const enc = encodeURIComponent(label);
  const [c, passages] = await Promise.all([api(`/api/concepts/${enc}`), api(`/api/concepts/${enc}/passages?k=5`)]);
  box.replaceChildren(
    el("header", {},
      el("h3", {}, el("span", { class: "dot", style: { background: communityColour(c.community) } }), c.label),
      el("button", { class: "ghost", "aria-label": "Close", onclick: () => { box.hidden = true; graph.select(null); } }, "×")),
    el("p", { class: "muted" }, `${c.kind} · community ${c.community ?? "–"} · ${fmt(c.occurrences)} occurrences in ${fmt(c.passages)} passages`),
    el("h4", {}, "Neighbours"),
    el("div", { class: "chips" }, c.neighbours.slice(0, 15).map((n) =>
      el("button", { class: "chip", title: `weight ${n.weight.toFixed(3)}`, onclick: () => { graph.select(n.label); graph.focus([n.label]); showConcept(n.label); } },
        `${n.label} ${n.weight.toFixed(2)}`))),
    el("h4", {}, "Passages"),
    passages.length
      ? el("ol", { class: "passages" }, passages.map((p) => el("li", {}, el("strong", {}, p.title), el("p", {}, p.text))))
      : el("p", { class: "muted" }, "No passages."),
  );
});

// -- query ---------------------------------------------------------------------------------------------
function resultConcepts(r) {
  const e = r.explanation;
  const labels = new Set([...e.passage_concepts, ...e.query_concepts, ...e.matched_terms.map((t) => t[0])]);
  for (const [a, b] of e.edges) { labels.add(a); labels.add(b); }
  return [...labels];
}

function feedbackButton(query, passageId, signal, label, title) {
  const canWrite = state.me?.role !== "read";
  return el("button", {
    class: "ghost vote", title: canWrite ? title : "Needs a write key", "aria-label": title, disabled: !canWrite,
    onclick: guard(async (ev) => {
      ev.stopPropagation();
      const r = await api("/api/feedback", { method: "POST", body: { query, passage_id: passageId, signal } });
      toast(`${r.edges_changed} edge${r.edges_changed === 1 ? "" : "s"} ${signal > 0 ? "strengthened" : "weakened"}`);
    }),
  }, label);
}

const runQuery = guard(async (ev) => {
  ev?.preventDefault();
  const q = $("#q").value.trim();
  if (!q) return;
  const list = $("#results");
  list.setAttribute("aria-busy", "true");
  list.replaceChildren(el("li", { class: "muted" }, "Searching…"));
  const body = { query: q, k: Number($("#k").value) || 10, alpha: Number($("#alpha").value) };
  try {
    const data = await api("/api/query", { method: "POST", body });
    list.replaceChildren(...(data.results.length ? data.results.map((r, i) => {
      const item = el("li", { class: "result", tabindex: "0", dataset: { index: i } },
        el("div", { class: "result-head" }, el("strong", {}, r.title), el("span", { class: "score" }, r.score.toFixed(2))),
        el("p", {}, r.text.length > 280 ? r.text.slice(0, 280) + "…" : r.text),
        el("div", { class: "chips" }, r.explanation.matched_terms.map(([t, s]) => el("span", { class: "chip", title: s.toFixed(3) }, t))),
        el("div", { class: "feedback" },
          feedbackButton(q, r.passage_id, 1, "▲", "This result helped: strengthen its edges"),
          feedbackButton(q, r.passage_id, -1, "▼", "Not relevant: weaken its edges")));
      const pick = () => {
        list.querySelectorAll(".result.active").forEach((x) => x.classList.remove("active"));
        item.classList.add("active");
        const labels = resultConcepts(r);
        const shown = graph.setHighlight(labels);
        graph.focus([...graph.highlight]);
        $("#graph-info").textContent = `${shown} of ${labels.length} concepts of this result are in the graph`;
      };
      item.addEventListener("click", pick);
      item.addEventListener("keydown", (e) => { if (e.key === "Enter") pick(); });
      return item;
    }) : [el("li", { class: "muted" }, "No results.")]));
  } finally {
    list.removeAttribute("aria-busy");
  }
});

// -- ingestion -----------------------------------------------------------------------------------------
function upload(files) {
  if (!files.length) return;
  const form = new FormData();
  for (const f of files) form.append("files", f, f.name);
  const bar = el("progress", { max: "100", value: "0" });
  const status = el("span", { class: "muted" }, "uploading…");
  const names = files.map((f) => f.name).join(", ");
  const item = el("li", { class: "upload", dataset: { state: "uploading" } }, el("div", { class: "names" }, names), bar, status);
  $("#uploads").prepend(item);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/documents");
  if (state.token) xhr.setRequestHeader("Authorization", `Bearer ${state.token}`);
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
  xhr.upload.onload = () => { bar.removeAttribute("value"); status.textContent = "ingesting…"; };
  xhr.onload = () => {
    let body = null;
    try { body = JSON.parse(xhr.responseText); } catch { body = null; }
    if (xhr.status === 201) {
      bar.value = 100;
      const n = body.ids.length;
      status.textContent = `${n} document${n === 1 ? "" : "s"} ingested`;
      item.dataset.state = "done";
      loadStats();
      throttle("graph", 1500, loadGraph);
    } else {
      item.dataset.state = "error";
      status.textContent = body?.error?.message || `failed (HTTP ${xhr.status})`;
      if (xhr.status === 401) askForKey();
    }
  };
  xhr.onerror = () => { item.dataset.state = "error"; status.textContent = "network error"; };
  xhr.send(form);
}

function bindDrop() {
  const zone = $("#drop");
  const over = (on) => (ev) => { ev.preventDefault(); zone.classList.toggle("over", on); };
  zone.addEventListener("dragenter", over(true));
  zone.addEventListener("dragover", over(true));
  zone.addEventListener("dragleave", over(false));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    upload([...(ev.dataTransfer?.files || [])]);
  });
  $("#file-input").addEventListener("change", (ev) => { upload([...ev.target.files]); ev.target.value = ""; });
  zone.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") $("#file-input").click(); });
  // Dropping a file anywhere else must not navigate away from the dashboard.
  window.addEventListener("dragover", (ev) => ev.preventDefault());
  window.addEventListener("drop", (ev) => ev.preventDefault());
}

// -- agents --------------------------------------------------------------------------------------------
const KIND_COLOURS = { digester: "#59a14f", synthesizer: "#4e79a7", sentinel: "#e15759" };

function drawSubstrate() {
  const canvas = $("#substrate");
  const ctx = canvas.getContext("2d");
  const dpr = window.devicePixelRatio || 1;
  const size = canvas.clientWidth;
  canvas.width = canvas.height = Math.round(size * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const css = getComputedStyle(document.documentElement);
  ctx.fillStyle = css.getPropertyValue("--canvas").trim();
  ctx.fillRect(0, 0, size, size);
  const side = state.me?.substrate_size || 100;
  for (const a of state.agents) {
    ctx.fillStyle = KIND_COLOURS[a.kind] || "#999";
    ctx.globalAlpha = 0.35 + 0.65 * a.health;
    ctx.beginPath();
    ctx.arc((a.x / side) * size, (a.y / side) * size, a.id === state.selectedAgent ? 6 : 3.5, 0, Math.PI * 2);
    ctx.fill();
    if (a.id === state.selectedAgent) {
      ctx.globalAlpha = 1;
      ctx.strokeStyle = css.getPropertyValue("--ring").trim();
      ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
}

function renderAgents() {
  const list = $("#agents");
  $("#agent-count").textContent = `(${state.agents.length})`;
  list.replaceChildren(...state.agents.map((a) =>
    el("li", { class: `agent${a.id === state.selectedAgent ? " active" : ""}`, tabindex: "0", dataset: { id: a.id, kind: a.kind },
      onclick: () => showAgent(a.id), onkeydown: (e) => { if (e.key === "Enter") showAgent(a.id); } },
      el("span", { class: "dot", style: { background: KIND_COLOURS[a.kind] || "#999" } }),
      el("span", { class: "name" }, `#${a.id} ${a.kind}`),
      el("meter", { min: "0", max: "1", value: String(a.health), title: `energy ${a.energy.toFixed(0)}` }),
      el("span", { class: "muted" }, `age ${a.age}`))));
  drawSubstrate();
}

const loadAgents = guard(async () => {
  state.agents = await api("/api/agents");
  renderAgents();
  if (state.selectedAgent !== null && !state.agents.some((a) => a.id === state.selectedAgent)) {
    const box = $("#agent-detail");
    if (!box.hidden) box.querySelector(".status")?.replaceChildren("This agent has died.");
  }
});

const showAgent = guard(async (id) => {
  state.selectedAgent = id;
  renderAgents();
  const box = $("#agent-detail");
  box.hidden = false;
  box.replaceChildren(el("p", { class: "muted" }, `Loading agent #${id}…`));
  const a = await api(`/api/agents/${id}`);
  const admin = state.me?.role === "admin";
  const kill = el("button", { class: "danger", id: "apoptosis", disabled: !admin, title: admin ? "Force this agent's programmed death" : "Needs an admin key" }, "Apoptosis");
  let armed = false;
  kill.addEventListener("click", guard(async () => {
    if (!armed) {
      armed = true;
      kill.textContent = "Confirm apoptosis";
      setTimeout(() => { armed = false; kill.textContent = "Apoptosis"; }, 4000);
      return;
    }
    kill.disabled = true;
    await api(`/api/agents/${id}/apoptosis`, { method: "POST" });
    box.querySelector(".status").textContent = `Agent #${id} underwent apoptosis.`;
    box.dataset.state = "dead";
    toast(`Agent #${id} died (forced apoptosis)`);
    state.selectedAgent = null;
    loadAgents();
    loadStats();
  }));
  box.dataset.state = "alive";
  box.replaceChildren(
    el("header", {}, el("h3", {}, `Agent #${a.id} · ${a.kind}`),
      el("button", { class: "ghost", "aria-label": "Close", onclick: () => { box.hidden = true; state.selectedAgent = null; renderAgents(); } }, "×")),
    el("dl", { class: "facts" },
      el("dt", {}, "Position"), el("dd", {}, `${a.x.toFixed(1)}, ${a.y.toFixed(1)}`),
      el("dt", {}, "Energy"), el("dd", {}, el("meter", { min: "0", max: "1", value: String(a.health) }), ` ${a.energy.toFixed(1)}`),
      el("dt", {}, "Age"), el("dd", {}, `${a.age} ticks (generation ${a.generation})`),
      el("dt", {}, "Idle"), el("dd", {}, `${a.idle_ticks} ticks`),
      el("dt", {}, "Digested"), el("dd", {}, `${a.passages_digested} passages`),
      el("dt", {}, "Fitness"), el("dd", {}, a.fitness.toFixed(3)),
      el("dt", {}, "Working on"), el("dd", {}, a.document || "–")),
    el("h4", {}, `Vocabulary (${a.vocabulary.length})`),
    el("div", { class: "chips" }, a.vocabulary.length ? a.vocabulary.map((v) =>
      el("button", { class: "chip", onclick: () => { if (graph.index.has(v)) { graph.select(v); graph.focus([v]); showConcept(v); } } }, v))
      : el("span", { class: "muted" }, "empty")),
    el("p", { class: "status muted" }),
    kill,
  );
});

// -- live events ---------------------------------------------------------------------------------------
function setConn(stateName, text) {
  const c = $("#conn");
  c.dataset.state = stateName;
  c.textContent = text + (state.dropped ? ` · ${state.dropped} dropped` : "");
}

function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const q = state.token ? `?token=${encodeURIComponent(state.token)}` : "";
  const ws = new WebSocket(`${proto}://${location.host}/ws/events${q}`);
  state.ws = ws;
  setConn("connecting", "connecting…");
  ws.onopen = () => { state.wsRetry = 500; setConn("live", "live"); };
  ws.onmessage = (ev) => onEvent(JSON.parse(ev.data));
  ws.onclose = () => {
    setConn("offline", "offline — reconnecting");
    setTimeout(connect, state.wsRetry);
    state.wsRetry = Math.min(10000, state.wsRetry * 2);
  };
}

function onEvent(e) {
  switch (e.type) {
    case "snapshot":
      renderStats(e.stats);
      state.paused = e.paused;
      $("#pause").textContent = e.paused ? "Resume" : "Pause";
      break;
    case "error":
      showError(e.message);
      if (e.status === 401) askForKey();
      break;
    case "dropped":
      state.dropped = e.total;
      setConn("live", "live");
      break;
    case "tick_completed":
      document.body.dataset.tick = e.tick;
      throttle("stats", 1000, loadStats);
      if (e.concepts_formed || e.edges_formed || e.edges_pruned) throttle("graph", 4000, loadGraph);
      throttle("agents", 2500, loadAgents);
      break;
    case "agent_born":
    case "agent_died":
      throttle("agents", 1000, loadAgents);
      break;
    case "document_ingested":
    case "document_forgotten":
    case "document_digested":
    case "insight_reported":
    case "anomaly_flagged":
      throttle("stats", 1000, loadStats);
      if (e.type === "document_forgotten") throttle("graph", 2000, loadGraph);
      break;
    default:
      break;
  }
}

// -- start ---------------------------------------------------------------------------------------------
async function start() {
  try {
    state.me = await api("/api/whoami");
  } catch (err) {
    if (err.status !== 401) showError(err.message);
    return;
  }
  $("#tenant").textContent = `${state.me.tenant} · ${state.me.role}${state.me.auth ? "" : " · local"}`;
  $("#key-btn").hidden = !state.me.auth;
  document.body.dataset.role = state.me.role;
  await Promise.all([loadStats(), loadGraph(), loadAgents()]);
  connect();
  document.body.dataset.ready = "true";
}

function bind() {
  $("#query-form").addEventListener("submit", runQuery);
  const alpha = $("#alpha");
  alpha.addEventListener("input", () => { $("#alpha-out").textContent = Number(alpha.value).toFixed(2); });
  $("#community").addEventListener("change", (ev) => { graph.setFilter(ev.target.value); graph.fit(); });
  $("#max-nodes").addEventListener("change", (ev) => { state.maxNodes = Number(ev.target.value); state.fitted = false; loadGraph(); });
  $("#fit").addEventListener("click", () => graph.fit());
  $("#theme").addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "dark" ? "light" : "dark";
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
  $("#pause").addEventListener("click", guard(async () => {
    const t = await api("/api/ticker", { method: "PUT", body: { paused: !state.paused } });
    state.paused = t.paused;
    $("#pause").textContent = t.paused ? "Resume" : "Pause";
  }));
  $("#key-btn").addEventListener("click", askForKey);
  $("#key-form").addEventListener("submit", () => {
    state.token = $("#key-input").value.trim();
    localStorage.setItem(TOKEN_KEY, state.token);
    if (state.ws) { state.ws.onclose = null; state.ws.close(); }
    start();
  });
  bindDrop();
}

bind();
applyTheme(initialTheme());
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => { if (!localStorage.getItem(THEME_KEY)) applyTheme(initialTheme()); });
window.phago = { graph, state, api, measureFps: (ms) => graph.measureFps(ms), reloadGraph: loadGraph };
start();
