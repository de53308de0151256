// A force-directed concept graph drawn on a <canvas>: no dependencies.
//
// Layout: springs along edges (stronger for heavier edges), short-range repulsion found through a uniform
// grid (so a frame costs O(nodes + edges), not O(nodes²)), weak gravity to the centre, and a cooling
// "alpha" so the layout settles and the loop goes idle. Positions of known nodes survive data refreshes.
// Drawing batches edges into a few width buckets and nodes into one path per colour.

const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
  "#b07aa1", "#ff9da7", "#9c755f", "#79706e", "#86bcb6", "#d37295",
];
const REPULSION_RANGE = 80;
const REPULSION = 900;
const SPRING = 0.04;
const GRAVITY = 0.012;
const DAMPING = 0.55;
const ALPHA_MIN = 0.004;
const ALPHA_DECAY = 0.985;
const MAX_SPEED = 40;
const EDGE_PX = [0.6, 0.9, 1.5, 2.2, 3.0]; // device pixels per weight bucket
const EDGE_ALPHA = [0.55, 0.75, 0.9, 1, 1];
const THICK_EDGES = 600;

export function communityColour(id) {
  return id === null || id === undefined ? "#9aa0a6" : PALETTE[id % PALETTE.length];
}

function hash(label) {
  // FNV-1a: deterministic starting positions for a label.
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class ForceGraph {
  constructor(canvas, { onSelect = () => {}, onFrame = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.onSelect = onSelect;
    this.onFrame = onFrame;
    this.nodes = [];
    this.index = new Map();
    this.edges = { source: new Int32Array(0), target: new Int32Array(0), weight: new Float32Array(0) };
    this.x = new Float32Array(0);
    this.y = new Float32Array(0);
    this.vx = new Float32Array(0);
    this.vy = new Float32Array(0);
    this.alpha = 0;
    this.view = { x: 0, y: 0, k: 1 };
    this.filter = null;
    this.highlight = new Set();
    this.selected = null;
    this.dirty = true;
    this.frames = 0;
    this.pinned = -1;
    this.labelled = new Set();
    this.colours = { background: "#fff", edge: "rgba(0,0,0,0.25)", label: "#222", ring: "#000" };
    this._bind();
    this._resize();
    this._loop = this._loop.bind(this);
    requestAnimationFrame(this._loop);
  }

  // -- data -----------------------------------------------------------------------------------------
  setData(nodes, edges) {
    const old = new Map(this.nodes.map((n, i) => [n.label, i]));
    const n = nodes.length;
    const x = new Float32Array(n), y = new Float32Array(n), vx = new Float32Array(n), vy = new Float32Array(n);
    const index = new Map();
    let fresh = 0;
    const maxDegree = nodes.reduce((m, node) => Math.max(m, node.degree), 1);
    nodes.forEach((node, i) => {
      index.set(node.label, i);
      node.radius = 2.5 + 9 * Math.sqrt(node.degree / maxDegree); // area grows with degree
      node.colour = communityColour(node.community);
      const j = old.get(node.label);
      if (j !== undefined) {
        x[i] = this.x[j]; y[i] = this.y[j]; vx[i] = this.vx[j]; vy[i] = this.vy[j];
      } else {
        const h = hash(node.label);
        const angle = ((h & 0xffff) / 0xffff) * Math.PI * 2;
        const r = 40 + ((h >>> 16) / 0xffff) * 12 * Math.sqrt(n);
        x[i] = Math.cos(angle) * r; y[i] = Math.sin(angle) * r;
        fresh++;
      }
    });
    const src = [], dst = [], w = [];
    for (const e of edges) {
      const a = index.get(e.source), b = index.get(e.target);
      if (a === undefined || b === undefined) continue;
      src.push(a); dst.push(b); w.push(e.weight);
    }
    this.nodes = nodes; this.index = index;
    this.x = x; this.y = y; this.vx = vx; this.vy = vy;
    this.edges = { source: Int32Array.from(src), target: Int32Array.from(dst), weight: Float32Array.from(w) };
    this.labelled = this._pickLabels();
    if (this.selected !== null && !index.has(this.selected)) this.selected = null;
    this.highlight = new Set([...this.highlight].filter((l) => index.has(l)));
    this.reheat(fresh > 0 ? Math.max(0.3, Math.min(1, fresh / Math.max(1, n) + 0.2)) : 0.08);
  }

  setFilter(community) {
    this.filter = community === "" || community === null ? null : Number(community);
    this.labelled = this._pickLabels();
    this.dirty = true;
  }

  setHighlight(labels) {
    this.highlight = new Set(labels.filter((l) => this.index.has(l)));
    this.dirty = true;
    return this.highlight.size;
  }

  select(label) {
    this.selected = label;
    this.dirty = true;
  }

  reheat(alpha = 1) {
    this.alpha = Math.max(this.alpha, alpha);
    this.dirty = true;
  }

  visible(i) {
    return this.filter === null || this.nodes[i].community === this.filter;
  }

  _pickLabels() {
    const order = this.nodes.map((_, i) => i).filter((i) => this.visible(i));
    order.sort((a, b) => this.nodes[b].degree - this.nodes[a].degree);
    return new Set(order.slice(0, 40));
  }

  // -- simulation -----------------------------------------------------------------------------------
  step() {
    const n = this.nodes.length;
    if (n === 0) return;
    const { x, y, vx, vy } = this;
    const a = this.alpha;
    // Repulsion through a uniform grid (cell-linked lists in typed arrays): only nodes in neighbouring
    // cells interact, so the cost grows with local density, not with n².
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      if (x[i] < minX) minX = x[i]; if (x[i] > maxX) maxX = x[i];
      if (y[i] < minY) minY = y[i]; if (y[i] > maxY) maxY = y[i];
    }
    const cell = Math.max(REPULSION_RANGE, (maxX - minX) / 256, (maxY - minY) / 256);
    const cols = Math.floor((maxX - minX) / cell) + 1, rows = Math.floor((maxY - minY) / cell) + 1;
    const head = new Int32Array(cols * rows).fill(-1);
    const next = new Int32Array(n);
    const cx = new Int32Array(n), cy = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      cx[i] = Math.floor((x[i] - minX) / cell); cy[i] = Math.floor((y[i] - minY) / cell);
      const c = cy[i] * cols + cx[i];
      next[i] = head[c]; head[c] = i;
    }
    const r2max = REPULSION_RANGE * REPULSION_RANGE;
    const strength = REPULSION * a;
    for (let i = 0; i < n; i++) {
      let fx = 0, fy = 0;
      const xi = x[i], yi = y[i];
      for (let gy = Math.max(0, cy[i] - 1); gy <= Math.min(rows - 1, cy[i] + 1); gy++) {
        for (let gx = Math.max(0, cx[i] - 1); gx <= Math.min(cols - 1, cx[i] + 1); gx++) {
          for (let j = head[gy * cols + gx]; j !== -1; j = next[j]) {
            if (j === i) continue;
            let dx = xi - x[j], dy = yi - y[j];
            let d2 = dx * dx + dy * dy;
            if (d2 > r2max) continue;
            if (d2 < 0.01) { dx = ((i * 7919) % 13) - 6 || 1; dy = ((j * 104729) % 11) - 5 || 1; d2 = dx * dx + dy * dy; }
            const f = strength / (d2 * Math.sqrt(d2));
            fx += dx * f; fy += dy * f;
          }
        }
      }
      vx[i] += fx - xi * GRAVITY * a;
      vy[i] += fy - yi * GRAVITY * a;
    }
    // Springs: rest length shrinks as the edge gets heavier.
    const { source, target, weight } = this.edges;
    for (let e = 0; e < source.length; e++) {
      const i = source[e], j = target[e];
      const dx = x[j] - x[i], dy = y[j] - y[i];
      const d = Math.sqrt(dx * dx + dy * dy) || 1;
      const rest = 30 + 40 * (1 - weight[e]);
      const f = SPRING * (0.3 + weight[e]) * (d - rest) / d * a;
      vx[i] += dx * f; vy[i] += dy * f;
      vx[j] -= dx * f; vy[j] -= dy * f;
    }
    for (let i = 0; i < n; i++) {
      if (i === this.pinned) { vx[i] = 0; vy[i] = 0; continue; }
      vx[i] *= DAMPING; vy[i] *= DAMPING;
      const speed = Math.hypot(vx[i], vy[i]);
      if (speed > MAX_SPEED) { vx[i] *= MAX_SPEED / speed; vy[i] *= MAX_SPEED / speed; }
      x[i] += vx[i]; y[i] += vy[i];
    }
    this.alpha = a * ALPHA_DECAY;
    if (this.alpha < ALPHA_MIN) this.alpha = 0;
  }

  // -- drawing --------------------------------------------------------------------------------------
  draw() {
    const { ctx, canvas } = this;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = this.colours.background;
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const { k } = this.view;
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * (canvas.clientWidth / 2 + this.view.x), dpr * (canvas.clientHeight / 2 + this.view.y));
    const { x, y } = this;
    const { source, target, weight } = this.edges;
    const dim = this.highlight.size > 0;
    // Edges, bucketed by weight; each bucket is one stroke. Lines up to one device pixel wide are
    // "hairlines", which a software rasteriser draws ~10x faster than wider strokes, so only the heaviest
    // edges (at most THICK_EDGES) get their full width.
    const buckets = [[], [], [], [], []];
    for (let e = 0; e < source.length; e++) {
      if (!this.visible(source[e]) || !this.visible(target[e])) continue;
      buckets[Math.min(4, Math.floor(weight[e] * 5))].push(e);
    }
    let thick = 0;
    const perPixel = 1 / (dpr * k);
    ctx.strokeStyle = this.colours.edge;
    for (let b = 4; b >= 0; b--) {
      const bucket = buckets[b];
      if (!bucket.length) continue;
      const wide = EDGE_PX[b] > 1 && thick + bucket.length <= THICK_EDGES;
      if (wide) thick += bucket.length;
      ctx.lineWidth = (wide ? EDGE_PX[b] : Math.min(1, EDGE_PX[b])) * perPixel;
      ctx.globalAlpha = (dim ? 0.3 : 1) * EDGE_ALPHA[b];
      ctx.beginPath();
      for (const e of bucket) {
        ctx.moveTo(x[source[e]], y[source[e]]);
        ctx.lineTo(x[target[e]], y[target[e]]);
      }
      ctx.stroke();
    }
    ctx.globalAlpha = dim ? 0.35 : 1;
    // Nodes, one path per colour.
    const byColour = new Map();
    for (let i = 0; i < this.nodes.length; i++) {
      if (!this.visible(i)) continue;
      const c = this.nodes[i].colour;
      let list = byColour.get(c);
      if (!list) byColour.set(c, (list = []));
      list.push(i);
    }
    for (const [colour, list] of byColour) {
      ctx.fillStyle = colour;
      ctx.beginPath();
      for (const i of list) {
        const r = this.nodes[i].radius;
        ctx.moveTo(x[i] + r, y[i]);
        ctx.arc(x[i], y[i], r, 0, Math.PI * 2);
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    // Highlighted and selected nodes: rings, and always labelled.
    const ringed = new Set(this.highlight);
    if (this.selected !== null) ringed.add(this.selected);
    ctx.lineWidth = 2.5 / k;
    ctx.strokeStyle = this.colours.ring;
    for (const label of ringed) {
      const i = this.index.get(label);
      if (i === undefined) continue;
      ctx.beginPath();
      ctx.arc(x[i], y[i], this.nodes[i].radius + 3 / k, 0, Math.PI * 2);
      ctx.stroke();
    }
    ctx.fillStyle = this.colours.label;
    ctx.font = `${12 / k}px system-ui, sans-serif`;
    ctx.textBaseline = "middle";
    const labels = new Set(ringed);
    if (!dim) for (const i of this.labelled) labels.add(this.nodes[i].label);
    for (const label of labels) {
      const i = this.index.get(label);
      if (i === undefined || !this.visible(i)) continue;
      ctx.fillText(label, x[i] + this.nodes[i].radius + 3 / k, y[i]);
    }
  }

  _loop() {
    requestAnimationFrame(this._loop); // first, so one failing frame cannot stop the animation
    if (this.alpha > 0) {
      this.step();
      this.dirty = true;
    }
    if (this.dirty) {
      this.draw();
      this.dirty = false;
      this.frames++;
      this.onFrame(this);
    }
  }

  // Frames per second over `ms` with the layout running (every frame steps and redraws).
  measureFps(ms = 3000) {
    return new Promise((resolve) => {
      const start = performance.now();
      let frames = 0;
      const tick = (now) => {
        this.reheat(1);
        frames++;
        if (now - start < ms) requestAnimationFrame(tick);
        else resolve({ fps: (frames * 1000) / (now - start), frames, nodes: this.nodes.length, edges: this.edges.source.length });
      };
      requestAnimationFrame(tick);
    });
  }

  fit() {
    const idx = this.nodes.map((_, i) => i).filter((i) => this.visible(i));
    if (!idx.length) return;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const i of idx) {
      minX = Math.min(minX, this.x[i]); maxX = Math.max(maxX, this.x[i]);
      minY = Math.min(minY, this.y[i]); maxY = Math.max(maxY, this.y[i]);
    }
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    const k = Math.min(2, 0.9 * Math.min(w / Math.max(40, maxX - minX), h / Math.max(40, maxY - minY)));
    this.view = { k, x: -k * (minX + maxX) / 2, y: -k * (minY + maxY) / 2 };
    this.dirty = true;
  }

  focus(labels) {
    const idx = labels.map((l) => this.index.get(l)).filter((i) => i !== undefined);
    if (!idx.length) return;
    const cx = idx.reduce((s, i) => s + this.x[i], 0) / idx.length;
    const cy = idx.reduce((s, i) => s + this.y[i], 0) / idx.length;
    this.view.x = -cx * this.view.k;
    this.view.y = -cy * this.view.k;
    this.dirty = true;
  }

  // -- interaction ----------------------------------------------------------------------------------
  toWorld(px, py) {
    const { k } = this.view;
    return [(px - this.canvas.clientWidth / 2 - this.view.x) / k, (py - this.canvas.clientHeight / 2 - this.view.y) / k];
  }

  nodeAt(px, py) {
    const [wx, wy] = this.toWorld(px, py);
    let best = -1, bestD = Infinity;
    for (let i = 0; i < this.nodes.length; i++) {
      if (!this.visible(i)) continue;
      const d = Math.hypot(this.x[i] - wx, this.y[i] - wy);
      const reach = this.nodes[i].radius + 4 / this.view.k;
      if (d < reach && d < bestD) { best = i; bestD = d; }
    }
    return best;
  }

  screenPosition(label) {
    const i = this.index.get(label);
    if (i === undefined) return null;
    const { k } = this.view;
    return [this.x[i] * k + this.canvas.clientWidth / 2 + this.view.x, this.y[i] * k + this.canvas.clientHeight / 2 + this.view.y];
  }

  _bind() {
    const c = this.canvas;
    let drag = null;
    c.addEventListener("pointerdown", (ev) => {
      const i = this.nodeAt(ev.offsetX, ev.offsetY);
      drag = { i, sx: ev.offsetX, sy: ev.offsetY, vx: this.view.x, vy: this.view.y, moved: false };
      if (i >= 0) this.pinned = i;
      c.setPointerCapture(ev.pointerId);
    });
    c.addEventListener("pointermove", (ev) => {
      if (!drag) {
        c.style.cursor = this.nodeAt(ev.offsetX, ev.offsetY) >= 0 ? "pointer" : "grab";
        return;
      }
      const dx = ev.offsetX - drag.sx, dy = ev.offsetY - drag.sy;
      if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
      if (drag.i >= 0) {
        const [wx, wy] = this.toWorld(ev.offsetX, ev.offsetY);
        this.x[drag.i] = wx; this.y[drag.i] = wy;
        this.reheat(0.15);
      } else {
        this.view.x = drag.vx + dx; this.view.y = drag.vy + dy;
      }
      this.dirty = true;
    });
    const end = (ev) => {
      if (!drag) return;
      if (!drag.moved && drag.i >= 0) {
        this.select(this.nodes[drag.i].label);
        this.onSelect(this.nodes[drag.i].label);
      }
      this.pinned = -1;
      drag = null;
      c.releasePointerCapture?.(ev.pointerId);
    };
    c.addEventListener("pointerup", end);
    c.addEventListener("pointercancel", end);
    c.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const factor = Math.exp(-ev.deltaY * 0.0015);
      const k = Math.min(8, Math.max(0.05, this.view.k * factor));
      const mx = ev.offsetX - c.clientWidth / 2, my = ev.offsetY - c.clientHeight / 2;
      this.view.x = mx - (mx - this.view.x) * (k / this.view.k);
      this.view.y = my - (my - this.view.y) * (k / this.view.k);
      this.view.k = k;
      this.dirty = true;
    }, { passive: false });
    new ResizeObserver(() => this._resize()).observe(c);
  }

  _resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    this.dirty = true;
  }

  setColours(colours) {
    this.colours = { ...this.colours, ...colours };
    this.dirty = true;
  }
}
