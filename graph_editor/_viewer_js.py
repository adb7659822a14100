"""The offline viewer's script (private): layout, pan/zoom, search, details, scopes.

Hand-written, no dependency; ``_viewer_page.page`` inlines it into the HTML file. It reads
the graph from the page's JSON data element (``_viewer_page.DATA_ID``).
"""

__all__ = ["JS"]

JS = r"""
(function () {
'use strict';
const D = JSON.parse(document.getElementById('ge-data').textContent);
const OPS = D.ops, SC = D.scopes, EDGES = D.edges;
const NS = 'http://www.w3.org/2000/svg';
const expanded = new Set(D.expanded), WRAPPERS = new Set(D.wrappers);
const opIndex = new Map(OPS.map((o, i) => [o.n, i]));
const chainMemo = new Map();
function chain(s) {              // scope indices from the top down to s
  if (s < 0) return [];
  if (chainMemo.has(s)) return chainMemo.get(s);
  const c = chain(SC[s].p).concat([s]);
  chainMemo.set(s, c);
  return c;
}
const consumers = OPS.map(() => []), producers = OPS.map(() => []);
for (const e of EDGES) {
  const a = opIndex.get(e[0]), b = opIndex.get(e[1]);
  if (a === undefined || b === undefined) continue;
  consumers[a].push([b, e]); producers[b].push([a, e]);
}
const kids = SC.map(() => []), opsIn = SC.map(() => []);
SC.forEach((s, i) => { if (s.p >= 0) kids[s.p].push(i); });
OPS.forEach((o, i) => { for (const s of chain(o.s)) opsIn[s].push(i); });

function el(tag, attrs, ...children) {
  const isSvg = ['svg', 'g', 'rect', 'path', 'text', 'title', 'marker', 'defs']
    .includes(tag);
  const n = isSvg ? document.createElementNS(NS, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') n.addEventListener('click', v);
    else if (v !== undefined && v !== null) n.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    n.appendChild(typeof c === 'string' || typeof c === 'number'
      ? document.createTextNode(String(c)) : c);
  }
  return n;
}
const base = n => n.slice(n.lastIndexOf('/') + 1);
function fmtInt(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ','); }

// ------------------------------------------------------------------ visible graph
function repOf(i) {
  for (const s of chain(OPS[i].s)) if (!expanded.has(s)) return 's' + s;
  return 'o' + i;
}
function statusOfScope(s) {
  const c = { added: 0, removed: 0, rewired: 0, changed: 0 };
  let n = 0;
  for (const i of opsIn[s]) { n++; if (OPS[i].st) c[OPS[i].st]++; }
  return [c, n];
}
function nodeFor(key) {
  const kind = key[0], idx = +key.slice(1);
  if (kind === 'o') {
    const o = OPS[idx];
    let cls = 'node';
    if (o.t === 'Placeholder' || o.t === 'PlaceholderWithDefault') cls += ' src';
    if (o.st) cls += ' ' + o.st;
    const sub = o.t + (o.o.length ? ' ' + o.o[0].replace(/^float32/, '') : '');
    let pc = 0;
    for (const f of o.f || []) pc += f[3] || 0;
    return { key, cls, label: base(o.n), sub, params: pc ? fmtInt(pc) : '', title: o.n };
  }
  const s = SC[idx];
  let cls = 'node scope' + (s.k ? ' layer' : '');
  let sub = (s.k || s.ty) + (s.sh ? ' ' + s.sh.replace(/^float32/, '') : '');
  if (D.mode === 'diff') {
    const [c, n] = statusOfScope(idx);
    const ch = c.added + c.removed + c.rewired + c.changed;
    if (ch) {
      const only = ['added', 'removed'].find(k => c[k] === n);
      cls += ' ' + (only || 'mixed');
      sub = (c.added ? '+' + c.added + ' ' : '') + (c.removed ? '-' + c.removed + ' ' : '')
        + (c.rewired ? '~' + c.rewired + ' ' : '') + (c.changed ? '*' + c.changed + ' ' : '')
        + '| ' + sub;
    }
  }
  return { key, cls, label: (s.ln || base(s.n)) + ' \u25B8', sub,
           params: s.pc ? fmtInt(s.pc) : '',
           title: s.n + '/ (' + s.c + ' ops) - double-click to open' };
}
function visibleGraph() {
  const nodes = new Map(), rep = new Array(OPS.length);
  OPS.forEach((o, i) => {
    const k = repOf(i); rep[i] = k;
    if (!nodes.has(k)) nodes.set(k, nodeFor(k));
  });
  const edges = new Map();
  for (const e of EDGES) {
    const a = opIndex.get(e[0]), b = opIndex.get(e[1]);
    if (a === undefined || b === undefined) continue;
    const ka = rep[a], kb = rep[b];
    if (ka === kb) continue;
    const id = ka + '>' + kb;
    let x = edges.get(id);
    if (!x) {
      x = { a: ka, b: kb, ctl: true, st: null, sts: new Set(), tensors: [] };
      edges.set(id, x);
    }
    if (!e[4]) x.ctl = false;
    x.sts.add(e[5] || 'same');
    if (x.tensors.length < 4) x.tensors.push(e[2] + ' ' + e[3]);
  }
  for (const x of edges.values()) {
    const s = x.sts.size === 1 ? [...x.sts][0] : 'same';
    x.st = s === 'same' ? null : s;
  }
  return { nodes, edges: [...edges.values()] };
}

// ------------------------------------------------------------------ layout
const RANK_GAP = 70, NODE_H = 38, GAP = 24;
function nodeWidth(n) {
  const chars = Math.max(n.label.length + (n.params ? n.params.length * 0.8 + 2 : 0),
                         n.sub.length * 0.88);
  return Math.max(70, Math.min(280, chars * 6.9 + 22));
}
function layout(G) {
  const keys = [...G.nodes.keys()], id = new Map(keys.map((k, i) => [k, i]));
  const N = keys.length, out = keys.map(() => []), inn = keys.map(() => []);
  const E = [];
  for (const e of G.edges) E.push([id.get(e.a), id.get(e.b), e]);
  // Break cycles: iterative DFS; edges to nodes on the stack are reversed.
  const state = new Uint8Array(N), adj = keys.map(() => []);
  E.forEach((e, j) => adj[e[0]].push(j));
  const rev = new Uint8Array(E.length);
  for (let r = 0; r < N; r++) {
    if (state[r]) continue;
    const stack = [[r, 0]]; state[r] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1], v = top[0];
      if (top[1] < adj[v].length) {
        const j = adj[v][top[1]++], w = E[j][1];
        if (state[w] === 1) rev[j] = 1;
        else if (!state[w]) { state[w] = 1; stack.push([w, 0]); }
      } else { state[v] = 2; stack.pop(); }
    }
  }
  E.forEach((e, j) => {
    const [a, b] = rev[j] ? [e[1], e[0]] : [e[0], e[1]];
    if (a !== b) { out[a].push(b); inn[b].push(a); }
  });
  // Longest-path ranks (Kahn order), then sources pulled down next to their first reader.
  const rank = new Int32Array(N), deg = inn.map(x => x.length), order = [];
  for (let v = 0; v < N; v++) if (!deg[v]) order.push(v);
  for (let h = 0; h < order.length; h++) {
    const v = order[h];
    for (const w of out[v]) {
      rank[w] = Math.max(rank[w], rank[v] + 1);
      if (--deg[w] === 0) order.push(w);
    }
  }
  for (let h = order.length - 1; h >= 0; h--) {
    const v = order[h];
    if (!inn[v].length && out[v].length) {
      let m = Infinity; for (const w of out[v]) m = Math.min(m, rank[w]);
      rank[v] = m - 1;
    }
  }
  // Layers with dummy nodes on long edges.
  const L = [], pos = [];        // L[r] = list of vertex ids; vertex >= N are dummies
  const vr = Array.from(rank), up = keys.map(() => []), down = keys.map(() => []);
  const routes = [];
  E.forEach((e, j) => {
    let [a, b] = rev[j] ? [e[1], e[0]] : [e[0], e[1]];
    if (a === b) return;
    const path = [a];
    for (let r = vr[a] + 1; r < vr[b]; r++) {
      const d = vr.length; vr.push(r); up.push([]); down.push([]);
      path.push(d);
    }
    path.push(b);
    for (let k = 0; k + 1 < path.length; k++) {
      down[path[k]].push(path[k + 1]); up[path[k + 1]].push(path[k]);
    }
    routes.push({ path: rev[j] ? path.reverse() : path, e: e[2] });
  });
  const V = vr.length;
  for (let v = 0; v < V; v++) (L[vr[v]] = L[vr[v]] || []).push(v);
  for (let r = 0; r < L.length; r++) L[r] = L[r] || [];
  // Initial order: depth-first from the sources, then barycentre sweeps.
  const seen = new Uint8Array(V), first = new Float64Array(V);
  let cnt = 0;
  for (const s of order.concat([...Array(V).keys()])) {
    if (seen[s]) continue;
    const st = [s];
    while (st.length) {
      const v = st.pop();
      if (seen[v]) continue;
      seen[v] = 1; first[v] = cnt++;
      for (let k = down[v].length - 1; k >= 0; k--) if (!seen[down[v][k]]) st.push(down[v][k]);
    }
  }
  for (const l of L) l.sort((a, b) => first[a] - first[b]);
  // Open scopes each node is in (as prefix keys), so their members stay side by side;
  // a dummy is in the scopes both ends of its edge are in.
  const pk = [];
  for (let v = 0; v < N; v++) {
    const k = keys[v], idx = +k.slice(1);
    const ch = k[0] === 'o' ? chain(OPS[idx].s) : chain(SC[idx].p);
    let key = '';
    pk.push(ch.map(s => (key += s + '/')));
  }
  for (const rt of routes) {
    const a = pk[rt.path[0]], b = pk[rt.path[rt.path.length - 1]];
    let d = 0;
    while (d < a.length && d < b.length && a[d] === b[d]) d++;
    for (let k = 1; k + 1 < rt.path.length; k++) pk[rt.path[k]] = a.slice(0, d);
  }
  const p = new Float64Array(V);
  const setPos = () => { for (const l of L) l.forEach((v, i) => { p[v] = i; }); };
  setPos();
  for (let it = 0; it < 6; it++) {
    const dn = it % 2 === 0;
    const rs = dn ? [...L.keys()] : [...L.keys()].reverse();
    for (const r of rs) {
      const nb = dn ? up : down;
      const bc = new Map();
      for (const v of L[r]) {
        const ns = nb[v];
        bc.set(v, ns.length ? ns.reduce((s, w) => s + p[w], 0) / ns.length : p[v]);
      }
      sortGrouped(L[r], bc, p, pk);
      L[r].forEach((v, i) => { p[v] = i; });
    }
  }
  // x: packed, then the priority method: in each layer, nodes in priority order (dummies
  // first: long edges stay straight; then by degree) move towards the mean x of their
  // neighbours in the layer before, pushing only lower-priority nodes aside.
  const w = new Float64Array(V), x = new Float64Array(V);
  for (let v = 0; v < V; v++) w[v] = v < N ? G.nodes.get(keys[v]).w : 8;
  for (const l of L) {
    let cx = 0;
    for (const v of l) { x[v] = cx + w[v] / 2; cx += w[v] + GAP; }
  }
  const prio = v => v >= N ? 1e9 : up[v].length + down[v].length;
  const sep = (a, b) => (w[a] + w[b]) / 2 + GAP;
  for (let it = 0; it < 6; it++) {
    const dn = it % 2 === 0;
    const rs = dn ? [...L.keys()] : [...L.keys()].reverse();
    for (const r of rs) {
      const l = L[r], fixed = new Uint8Array(l.length);
      const byPrio = l.map((v, i) => i).sort((i, j) => prio(l[j]) - prio(l[i]) || i - j);
      for (const i of byPrio) {
        const v = l[i], ns = dn ? up[v] : down[v];
        if (ns.length) {
          let want = 0;
          for (const u of ns) want += x[u];
          want /= ns.length;
          if (want < x[v]) {          // the furthest left v may go
            let lim = -Infinity, acc = 0;
            for (let j = i - 1; j >= 0; j--) {
              acc += sep(l[j], l[j + 1]);
              if (fixed[j]) { lim = x[l[j]] + acc; break; }
            }
            x[v] = Math.max(want, lim);
            for (let j = i - 1; j >= 0 && x[l[j]] > x[l[j + 1]] - sep(l[j], l[j + 1]); j--) {
              x[l[j]] = x[l[j + 1]] - sep(l[j], l[j + 1]);
            }
          } else if (want > x[v]) {
            let lim = Infinity, acc = 0;
            for (let j = i + 1; j < l.length; j++) {
              acc += sep(l[j - 1], l[j]);
              if (fixed[j]) { lim = x[l[j]] - acc; break; }
            }
            x[v] = Math.min(want, lim);
            for (let j = i + 1; j < l.length && x[l[j]] < x[l[j - 1]] + sep(l[j - 1], l[j]); j++) {
              x[l[j]] = x[l[j - 1]] + sep(l[j - 1], l[j]);
            }
          }
        }
        fixed[i] = 1;
      }
    }
  }
  let minX = Infinity;
  for (let v = 0; v < V; v++) minX = Math.min(minX, x[v] - w[v] / 2);
  const pts = new Map();
  keys.forEach((k, v) => {
    const n = G.nodes.get(k);
    n.x = x[v] - minX + 40; n.y = vr[v] * RANK_GAP + 50;
  });
  for (const rt of routes) {
    rt.pts = rt.path.map(v => v < N ? null : [x[v] - minX + 40, vr[v] * RANK_GAP + 50]);
    rt.keys = [keys[rt.path[0]], keys[rt.path[rt.path.length - 1]]];
  }
  return { routes, width: Math.max(...[...G.nodes.values()].map(n => n.x + n.w / 2)) + 40,
           height: L.length * RANK_GAP + 60, pts };
}

function sortGrouped(l, bc, p, pk) {
  const sum = new Map(), cnt = new Map();
  for (const v of l) {
    for (const k of pk[v]) {
      sum.set(k, (sum.get(k) || 0) + bc.get(v));
      cnt.set(k, (cnt.get(k) || 0) + 1);
    }
  }
  const at = (v, d) => d < pk[v].length ? sum.get(pk[v][d]) / cnt.get(pk[v][d]) : bc.get(v);
  l.sort((a, b) => {
    const ga = pk[a], gb = pk[b];
    let d = 0;
    while (d < ga.length && d < gb.length && ga[d] === gb[d]) d++;
    return at(a, d) - at(b, d) || p[a] - p[b];
  });
}

// ------------------------------------------------------------------ drawing
const svg = document.getElementById('canvas');
const view = { x: 0, y: 0, k: 1 };
let G = null, LAY = null, selected = null, matches = new Set(), first = true;
const nodeEls = new Map();
function applyView() {
  document.getElementById('viewport').setAttribute('transform',
    'translate(' + view.x + ',' + view.y + ') scale(' + view.k + ')');
}
function edgePath(rt) {
  const A = G.nodes.get(rt.keys[0]), B = G.nodes.get(rt.keys[1]);
  const P = [[A.x, A.y + NODE_H / 2]];
  for (let k = 1; k + 1 < rt.pts.length; k++) P.push(rt.pts[k]);
  P.push([B.x, B.y - NODE_H / 2]);
  let d = 'M' + P[0][0] + ',' + P[0][1];
  for (let k = 1; k < P.length; k++) {
    const [x0, y0] = P[k - 1], [x1, y1] = P[k], m = (y0 + y1) / 2;
    d += ' C' + x0 + ',' + m + ' ' + x1 + ',' + m + ' ' + x1 + ',' + y1;
  }
  return d;
}
function clusterShapes() {
  // Per open scope, per layer: the extent of its members; drawn as a staircase outline so
  // that nodes of other scopes in other layers stay outside.
  const rows = new Map();
  for (const n of G.nodes.values()) {
    const idx = +n.key.slice(1);
    const ch = n.key[0] === 'o' ? chain(OPS[idx].s) : chain(SC[idx].p);
    ch.forEach((s, j) => {
      const lvl = ch.length - j - 1, pad = 10 + 10 * lvl;
      if (!rows.has(s)) rows.set(s, new Map());
      const m = rows.get(s), r = m.get(n.y) || [Infinity, -Infinity, lvl];
      r[0] = Math.min(r[0], n.x - n.w / 2 - pad); r[1] = Math.max(r[1], n.x + n.w / 2 + pad);
      r[2] = Math.max(r[2], lvl);
      m.set(n.y, r);
    });
  }
  const shapes = new Map();
  for (const [s, m] of rows) {
    const ys = [...m.keys()].sort((a, b) => a - b), R = [];
    for (let k = 0; k < ys.length; k++) {
      if (k && ys[k] - ys[k - 1] > RANK_GAP * 1.5) {
        const prev = R[R.length - 1];
        for (let y = ys[k - 1] + RANK_GAP; y < ys[k]; y += RANK_GAP) {
          R.push([y, prev[1], prev[2], prev[3]]);
        }
      }
      R.push([ys[k], ...m.get(ys[k])]);
    }
    const top = R[0][0] - NODE_H / 2 - 6 - 14 * (R[0][3] + 1);
    const bot = R[R.length - 1][0] + NODE_H / 2 + 6 + 4 * R[R.length - 1][3];
    if (WRAPPERS.has(s)) {           // a model's outer scope: one plain box
      const l = Math.min(...R.map(r => r[1])), r = Math.max(...R.map(r => r[2]));
      shapes.set(s, { d: 'M' + l + ',' + top + ' H' + r + ' V' + bot + ' H' + l + ' Z',
                      x: l, y: top });
      continue;
    }
    const mid = k => (R[k][0] + R[k + 1][0]) / 2;
    let d = 'M' + R[0][1] + ',' + top + ' H' + R[0][2];
    for (let k = 0; k + 1 < R.length; k++) d += ' V' + mid(k) + ' H' + R[k + 1][2];
    d += ' V' + bot + ' H' + R[R.length - 1][1];
    for (let k = R.length - 2; k >= 0; k--) d += ' V' + mid(k) + ' H' + R[k][1];
    shapes.set(s, { d: d + ' Z', x: R[0][1], y: top });
  }
  return shapes;
}
function draw() {
  G = visibleGraph();
  for (const n of G.nodes.values()) n.w = nodeWidth(n);
  LAY = layout(G);
  const vp = el('g', { id: 'viewport' });
  const cl = el('g', { class: 'clusters' }), eg = el('g'), ng = el('g');
  LAY.top = 0;
  for (const [s, b] of [...clusterShapes()].sort((p, q) => chain(p[0]).length
       - chain(q[0]).length)) {
    const sc = SC[s];
    LAY.top = Math.min(LAY.top, b.y - 6);
    const label = el('text', { x: b.x + 8, y: b.y + 12 },
      '\u25BE ' + base(sc.n) + (sc.k ? '  (' + sc.k + ')' : ''));
    label.addEventListener('click', ev => { ev.stopPropagation(); toggle(s); });
    cl.appendChild(el('g', { class: 'cluster' },
      el('path', { d: b.d }), label, el('title', {}, sc.n + '/ - click the label to collapse')));
  }
  for (const rt of LAY.routes) {
    const e = rt.e;
    const cls = 'edge' + (e.ctl ? ' ctl' : '') + (e.st ? ' ' + e.st : '');
    eg.appendChild(el('path', { class: cls, d: edgePath(rt), 'marker-end': 'url(#arrow)',
      'data-a': e.a, 'data-b': e.b }, el('title', {}, e.tensors.join('\n'))));
  }
  nodeEls.clear();
  for (const n of G.nodes.values()) {
    const g = el('g', { class: n.cls, transform: 'translate(' + (n.x - n.w / 2) + ','
      + (n.y - NODE_H / 2) + ')', 'data-key': n.key },
      el('rect', { width: n.w, height: NODE_H }),
      el('text', { x: 8, y: 15 }, clipText(n.label, n.w)),
      el('text', { x: 8, y: 30, class: 'sub' }, clipText(n.sub, n.w * 1.12)),
      n.params ? el('text', { x: n.w - 6, y: 14, class: 'pc' }, n.params) : null,
      el('title', {}, n.title));
    g.addEventListener('click', ev => { ev.stopPropagation(); select(n.key); });
    g.addEventListener('dblclick', ev => {
      ev.stopPropagation();
      if (n.key[0] === 's') toggle(+n.key.slice(1));
    });
    nodeEls.set(n.key, g);
    ng.appendChild(g);
  }
  vp.append(cl, eg, ng);
  const old = document.getElementById('viewport');
  old.replaceWith(vp);
  applyView(); markClasses();
  document.getElementById('stats').textContent = OPS.length + ' ops shown as '
    + G.nodes.size + ' nodes' + (D.folded ? ', ' + D.folded + ' folded' : '')
    + ' \u00B7 ' + SC.length + ' scopes';
  if (first) { first = false; home(); }
}
function clipText(t, w) {
  const m = Math.max(6, Math.floor((w - 14) / 6.6));
  return t.length > m ? t.slice(0, m - 1) + '\u2026' : t;
}
function markClasses() {
  for (const [k, g] of nodeEls) {
    g.classList.toggle('sel', k === selected);
    g.classList.toggle('match', matches.has(k));
  }
  for (const p of document.querySelectorAll('path.edge')) {
    p.classList.toggle('hot', !!selected && (p.dataset.a === selected
      || p.dataset.b === selected));
  }
}
function home() {             // all of it if readable, else its top at a readable zoom
  const r = svg.getBoundingClientRect(), h = LAY.height - LAY.top;
  const kf = Math.min(r.width / LAY.width, r.height / h, 1);
  if (kf >= 0.45) return fit(1);
  view.k = Math.max(0.45, Math.min(1, r.width / LAY.width));
  let top = null;
  for (const n of G.nodes.values()) if (!top || n.y < top.y) top = n;
  view.x = r.width / 2 - top.x * view.k; view.y = 8 - LAY.top * view.k;
  applyView();
}
function fit(kmax) {
  const r = svg.getBoundingClientRect(), h = LAY.height - LAY.top;
  view.k = Math.min(r.width / LAY.width, r.height / h, typeof kmax === 'number' ? kmax : 2);
  view.x = (r.width - LAY.width * view.k) / 2;
  view.y = (r.height - h * view.k) / 2 - LAY.top * view.k;
  applyView();
}
function centerOn(key) {
  const n = G.nodes.get(key); if (!n) return;
  const r = svg.getBoundingClientRect();
  if (view.k < 0.6) view.k = 0.9;
  view.x = r.width / 2 - n.x * view.k; view.y = r.height / 2 - n.y * view.k;
  applyView();
}
function toggle(s) {
  if (expanded.has(s)) {
    expanded.delete(s);
    for (const k of descendants(s)) expanded.delete(k);
  } else expanded.add(s);
  const keep = selected;
  draw();
  const key = 's' + s;
  if (G.nodes.has(key)) { selected = key; showDetails(key); centerOn(key); }
  else if (keep && G.nodes.has(keep)) selected = keep;
  markClasses();
}
function descendants(s) {
  const res = [], st = [...kids[s]];
  while (st.length) { const k = st.pop(); res.push(k); st.push(...kids[k]); }
  return res;
}
function reveal(key) {
  const idx = +key.slice(1);
  const ch = key[0] === 'o' ? chain(OPS[idx].s) : chain(SC[idx].p);
  let changed = false;
  for (const s of ch) if (!expanded.has(s)) { expanded.add(s); changed = true; }
  if (changed || !G.nodes.has(key)) draw();
  select(key); centerOn(key);
}

// ------------------------------------------------------------------ details
function opLink(name, text) {
  const i = opIndex.get(name);
  if (i === undefined) return el('span', {}, text || name);
  return el('span', { class: 'link', onclick: () => reveal('o' + i) }, text || name);
}
function table(rows) {
  return el('table', {}, ...rows.map(r => el('tr', {}, ...r.map(c => el('td', {}, c)))));
}
function ioList(rows) {
  if (!rows.length) return el('div', { class: 'muted' }, 'none');
  return el('div', {}, ...rows.map(r => el('div', { class: 'io' },
    r[0] === null ? null : el('span', { class: 'idx' }, r[0]), ...r.slice(1))));
}
const muted = t => el('span', { class: 'muted' }, ' ' + t);
function opDetails(i, box) {
  const o = OPS[i];
  box.append(el('h2', {}, o.n), el('div', {}, el('span', { class: 'type' }, o.t),
    o.st ? el('span', { class: 'muted' }, '  ' + o.st) : null));
  const rows = [['scope', o.s >= 0 ? SC[o.s].n + '/' : '(top)']];
  if (o.d) rows.push(['device', o.d]);
  box.append(table(rows));
  box.append(el('h3', {}, 'Outputs'));
  box.append(ioList(o.o.map((t, k) => [':' + k, t,
    ...consumers[i].filter(c => c[1][2] === o.n + ':' + k)
      .map(c => el('span', {}, ' \u2192 ', opLink(OPS[c[0]].n),
        c[1][5] ? muted('(' + c[1][5] + ')') : null))])));
  box.append(el('h3', {}, 'Inputs'));
  box.append(ioList(o.i.map((x, k) => [String(k),
    opLink(x[0].replace(/^\^/, '').replace(/:\d+$/, ''), x[0]), muted(x[1])])));
  if (o.bi) {
    box.append(el('h3', {}, 'Inputs before the edit'));
    box.append(ioList(o.bi.map((x, k) => [String(k), x[0], muted(x[1])])));
  }
  if (o.f) {
    box.append(el('h3', {}, 'Folded into this op'));
    box.append(ioList(o.f.map(f => [f[0], f[1], muted(f[2])])));
  }
  const at = Object.entries(o.a);
  if (at.length) { box.append(el('h3', {}, 'Attributes')); box.append(table(at)); }
}
function scopeDetails(s, box) {
  const sc = SC[s];
  box.append(el('h2', {}, sc.ln || base(sc.n)));
  box.append(el('div', {}, el('span', { class: 'type' }, sc.k || sc.ty),
    sc.k ? el('span', { class: 'muted' }, '  Keras layer') : null));
  box.append(el('div', { class: 'muted' }, 'scope ' + sc.n + '/'));
  const rows = [['ops', String(sc.c)]];
  if (sc.pc) rows.push(['parameters', fmtInt(sc.pc)]);
  if (sc.sh) rows.push(['output', sc.sh]);
  box.append(table(rows));
  box.append(el('div', { style: 'margin-top:8px' }, el('button', {
    onclick: () => toggle(s) }, expanded.has(s) ? 'Collapse' : 'Expand')));
  const members = opsIn[s];
  const inside = new Set(members), ins = [], outs = [];
  for (const i of members) {
    for (const [a, e] of producers[i]) if (!inside.has(a) && !e[4]) ins.push(e);
    for (const [b, e] of consumers[i]) if (!inside.has(b) && !e[4]) outs.push(e);
  }
  const uniq = es => [...new Map(es.map(e => [e[2], e])).values()];
  box.append(el('h3', {}, 'Inputs'));
  box.append(ioList(uniq(ins).map(e => [null, opLink(e[0], e[2]), muted(e[3])])));
  box.append(el('h3', {}, 'Outputs'));
  box.append(ioList(uniq(outs).map(e => [null, opLink(e[0], e[2]), muted(e[3])])));
  const vars = new Map();
  for (const i of members) for (const f of OPS[i].f || []) if (f[0] === 'var') vars.set(f[1], f);
  if (vars.size) {
    box.append(el('h3', {}, 'Variables read'));
    box.append(ioList([...vars.values()].map(f => [null, f[1], muted(f[2])])));
  }
  const hist = {};
  for (const i of members) hist[OPS[i].t] = (hist[OPS[i].t] || 0) + 1;
  box.append(el('h3', {}, 'Op types'));
  box.append(table(Object.entries(hist).sort((a, b) => b[1] - a[1])
    .map(([t, n]) => [String(n), t])));
  if (members.length === 1) {
    box.append(el('h3', {}, 'The op inside'));
    opDetails(members[0], box);
  } else {
    box.append(el('h3', {}, 'Ops (' + members.length + ')'));
    box.append(el('div', {}, ...members.slice(0, 60).map(i => el('div', {},
      opLink(OPS[i].n, OPS[i].n.slice(sc.n.length + 1)), ' ',
      el('span', { class: 'muted' }, OPS[i].t)))));
  }
}
function showDetails(key) {
  const box = document.getElementById('details');
  box.textContent = '';
  if (!key) return;
  if (key[0] === 'o') opDetails(+key.slice(1), box); else scopeDetails(+key.slice(1), box);
}
function select(key) { selected = key; showDetails(key); markClasses(); }

// ------------------------------------------------------------------ search
const input = document.getElementById('search'), results = document.getElementById('results');
let hits = [];
function search(q) {
  q = q.trim().toLowerCase();
  hits = []; matches = new Set(); results.textContent = '';
  if (q) {
    SC.forEach((s, i) => {
      if (s.n.toLowerCase().includes(q) || s.k.toLowerCase() === q
          || (s.ln && s.ln.toLowerCase().includes(q))) hits.push('s' + i);
    });
    OPS.forEach((o, i) => {
      if (o.n.toLowerCase().includes(q) || o.t.toLowerCase() === q) hits.push('o' + i);
    });
    const score = k => {
      const n = (k[0] === 's' ? SC[+k.slice(1)].n : OPS[+k.slice(1)].n).toLowerCase();
      const b = n.slice(n.lastIndexOf('/') + 1);
      return (b === q ? 0 : b.startsWith(q) ? 1 : 2) * 1e6 + n.split('/').length * 1e4
        + (k[0] === 's' ? 0 : 1);
    };
    hits.sort((a, b) => score(a) - score(b));
    for (const k of hits) {
      const i = +k.slice(1);
      if (k[0] === 'o') matches.add(repOf(i));
      else for (const m of opsIn[i]) matches.add(repOf(m));
    }
    for (const k of hits.slice(0, 200)) {
      const i = +k.slice(1), isS = k[0] === 's';
      const name = isS ? SC[i].n + '/' : OPS[i].n;
      const kind = isS ? (SC[i].k || 'scope') : OPS[i].t;
      results.appendChild(el('div', { 'data-key': k, title: name,
        onclick: () => reveal(k) }, el('span', { class: 'kind' }, kind), ' ', name));
    }
    if (!hits.length) results.appendChild(el('div', { class: 'muted' }, 'no match'));
  }
  markClasses();
}
input.addEventListener('input', () => search(input.value));
input.addEventListener('keydown', ev => {
  if (ev.key === 'Enter' && hits.length) reveal(hits[0]);
  if (ev.key === 'Escape') { input.value = ''; search(''); }
});
document.addEventListener('keydown', ev => {
  if (ev.key === '/' && document.activeElement !== input) { ev.preventDefault(); input.focus(); }
});

// ------------------------------------------------------------------ pan and zoom
let drag = null, dragged = false;
svg.addEventListener('mousedown', ev => {
  drag = [ev.clientX, ev.clientY, view.x, view.y]; dragged = false;
  svg.classList.add('dragging');
});
window.addEventListener('mousemove', ev => {
  if (!drag) return;
  if (Math.abs(ev.clientX - drag[0]) + Math.abs(ev.clientY - drag[1]) > 3) dragged = true;
  view.x = drag[2] + ev.clientX - drag[0]; view.y = drag[3] + ev.clientY - drag[1];
  applyView();
});
window.addEventListener('mouseup', () => { drag = null; svg.classList.remove('dragging'); });
svg.addEventListener('click', () => { if (!dragged) { selected = null; markClasses(); } });
function zoomAt(f, cx, cy) {
  const k = Math.max(0.02, Math.min(4, view.k * f));
  view.x = cx - (cx - view.x) * k / view.k; view.y = cy - (cy - view.y) * k / view.k;
  view.k = k; applyView();
}
svg.addEventListener('wheel', ev => {
  ev.preventDefault();
  const r = svg.getBoundingClientRect();
  if (ev.ctrlKey || ev.metaKey || (!ev.shiftKey && Math.abs(ev.deltaX) < 1)) {
    zoomAt(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
  } else { view.x -= ev.deltaX; view.y -= ev.deltaY; applyView(); }
}, { passive: false });
const center = () => { const r = svg.getBoundingClientRect(); return [r.width / 2, r.height / 2]; };
const buttons = {
  'zoom-in': () => zoomAt(1.25, ...center()), 'zoom-out': () => zoomAt(0.8, ...center()),
  'fit': fit, 'home': home,
  'expand-all': () => { SC.forEach((s, i) => expanded.add(i)); draw(); },
  'collapse-all': () => { expanded.clear(); for (const i of D.wrappers) expanded.add(i); draw(); },
};
for (const [id, f] of Object.entries(buttons)) document.getElementById(id).onclick = f;

// ------------------------------------------------------------------ legend (diff)
if (D.mode === 'diff') {
  const lg = document.getElementById('legend');
  const colours = { added: '#16a34a', removed: '#dc2626', rewired: '#d97706',
                    changed: '#7c3aed' };
  for (const k of ['added', 'removed', 'rewired', 'changed']) {
    const names = D.diff[k];
    const row = el('div', { 'data-status': k, onclick: () => {
      results.textContent = '';
      hits = names.filter(n => opIndex.has(n)).map(n => 'o' + opIndex.get(n));
      for (const h of hits) {
        const o = OPS[+h.slice(1)];
        results.appendChild(el('div', { 'data-key': h, onclick: () => reveal(h) },
          el('span', { class: 'kind' }, k), ' ', o.n));
      }
      if (hits.length < names.length) {
        results.appendChild(el('div', { class: 'muted' }, (names.length - hits.length)
          + ' more not drawn (folded constants and variable reads)'));
      }
    } }, el('span', { class: 'sw', style: 'border-color:' + colours[k] }),
      k + ' (' + names.length + ')');
    lg.appendChild(row);
  }
  lg.appendChild(el('div', { class: 'muted' }, 'on closed scopes: +added -removed'
    + ' ~rewired *changed ops'));
} else document.getElementById('legend').remove();

window.geViewer = { reveal, select, search, toggle, expanded, data: D,
                    visibleCount: () => G.nodes.size };
draw();
})();
"""
