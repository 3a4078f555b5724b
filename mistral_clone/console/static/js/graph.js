// The task graph as SVG: layout (dagre), drawing, pan/zoom, selection and
// the overlay of an execution's task states.
//
// Layout runs once per graph (and again only when the direction changes or
// tasks the definition does not know show up); live updates only change
// attributes of the drawn nodes and edges, so a 200-task graph stays fast.

import dagre from '../vendor/dagre.esm.js';
import {h, s} from './dom.js';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const NAME_FONT = `600 13px ${FONT}`;
const SUB_FONT = `12px ${FONT}`;
const BADGE_FONT = `600 10px ${FONT}`;
const TASK_H = 52;
const COMMAND_H = 26;
const MIN_W = 132;
const MAX_W = 300;
const PAD = 16;
const READABLE = 0.45;   // the smallest zoom at which names can be read
const INSET_TOP = 52;    // the toolbar floats over the canvas' top...
const INSET_BOTTOM = 40; // ...and the legend over its bottom
// Above this many nodes the crossing-reduction sweeps are skipped: they
// are most of dagre's time and a big graph is read by zooming anyway.
const FAST_LAYOUT_NODES = 150;
const KINDS = ['on-success', 'on-error', 'on-complete', 'on-skip', 'requires'];

let measureCtx = null;
function textWidth(text, font) {
  measureCtx = measureCtx || document.createElement('canvas').getContext('2d');
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

function ellipsize(text, font, max) {
  if (textWidth(text, font) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(text.slice(0, mid) + '\u2026', font) <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '\u2026';
}

/** An SVG path through dagre's points (a uniform B-spline, like d3's curveBasis). */
function splinePath(p) {
  const xy = (q) => `${q.x.toFixed(1)},${q.y.toFixed(1)}`;
  if (p.length < 3) return `M${p.map(xy).join('L')}`;
  const seg = (a, b, c) => 'C' + xy({x: (2 * a.x + b.x) / 3, y: (2 * a.y + b.y) / 3}) + ' ' +
    xy({x: (a.x + 2 * b.x) / 3, y: (a.y + 2 * b.y) / 3}) + ' ' +
    xy({x: (a.x + 4 * b.x + c.x) / 6, y: (a.y + 4 * b.y + c.y) / 6});
  let d = `M${xy(p[0])}L${xy({x: (5 * p[0].x + p[1].x) / 6, y: (5 * p[0].y + p[1].y) / 6})}`;
  for (let i = 2; i < p.length; i++) d += seg(p[i - 2], p[i - 1], p[i]);
  const n = p.length;
  return d + seg(p[n - 2], p[n - 1], p[n - 1]) + `L${xy(p[n - 1])}`;
}

function badgesOf(node) {
  const badges = [];
  if (node.join) badges.push({cls: 'join', text: `join ${node.join}`});
  if (node.withItems) badges.push({cls: 'items', text: 'with-items'});
  return badges;
}

export function edgeKey(from, to, kind) {
  return `${from}\u0001${to}\u0001${kind}`;
}

export class GraphView {
  /**
   * @param container element to draw in (emptied)
   * @param graph {type, nodes: Map, edges: []} from spec.js
   * @param onSelect called with a task name when a task node is clicked
   */
  constructor(container, graph, {onSelect} = {}) {
    this.container = container;
    this.graph = graph;
    this.onSelect = onSelect || (() => {});
    this.direction = localStorage.getItem('mistral_clone.console.direction') || 'TB';
    this.view = {x: 0, y: 0, k: 1};
    this.nodeEls = new Map();
    this.edgeEls = [];
    this.overlay = null;
    this.selected = null;

    this.svg = s('svg', {class: 'graph-svg', 'aria-label': 'Task graph', tabindex: '0'});
    this.svg.append(this._markers());
    this.viewport = s('g', {class: 'viewport'});
    this.edgeLayer = s('g', {class: 'edges'});
    this.nodeLayer = s('g', {class: 'nodes'});
    this.viewport.append(this.edgeLayer, this.nodeLayer);
    this.svg.append(this.viewport);
    this.canvas = h('div', {class: 'graph-canvas'}, this.svg);
    container.replaceChildren(this._toolbar(), this.canvas, this._legend());
    this._bindPanZoom();
    this.layout();
    // Fit once the canvas has its size.
    requestAnimationFrame(() => this.fitReadable());
  }

  // --- toolbar & legend ------------------------------------------------------

  _toolbar() {
    const button = (label, title, action, cls = '') => h('button', {
      type: 'button', class: `tool ${cls}`, title, 'aria-label': title, text: label, onclick: action});
    const names = [...this.graph.nodes.values()].filter((n) => n.type === 'task').map((n) => n.name);
    const list = h('datalist', {id: 'graph-task-names'}, names.map((n) => h('option', {value: n})));
    const find = h('input', {class: 'find', type: 'search', placeholder: `Find a task (${names.length})`,
                             list: 'graph-task-names', 'aria-label': 'Find a task'});
    find.addEventListener('change', () => {
      if (this.graph.nodes.has(find.value)) {
        this.focus(find.value);
        this.select(find.value, true);
      }
    });
    this.directionButton = button(this.direction === 'TB' ? '\u2193' : '\u2192',
                                  'Layout direction', () => this.toggleDirection(), 'direction');
    return h('div', {class: 'graph-toolbar'},
      button('+', 'Zoom in', () => this.zoomCenter(1.25), 'zoom-in'),
      button('\u2212', 'Zoom out', () => this.zoomCenter(0.8), 'zoom-out'),
      button('Fit', 'Show the whole graph', () => this.fitAll(), 'fit'),
      button('1:1', 'Actual size', () => this.zoomCenter(1 / this.view.k), 'actual'),
      this.directionButton, find, list);
  }

  _legend() {
    const present = new Set(this.graph.edges.map((e) => e.kind));
    const items = KINDS.filter((k) => present.has(k)).map((k) => h('span', {class: 'legend-item'},
      h('span', {class: `legend-line kind-${k}`}), k));
    if (this.graph.edges.some((e) => e.guard)) {
      items.push(h('span', {class: 'legend-item'}, h('span', {class: 'legend-line guarded'}), 'conditional'));
    }
    const nodes = [...this.graph.nodes.values()];
    if (nodes.some((n) => n.kind === 'workflow')) {
      items.push(h('span', {class: 'legend-item'}, h('span', {class: 'legend-node subwf'}), 'sub-workflow'));
    }
    return h('div', {class: 'graph-legend'}, items);
  }

  _markers() {
    const defs = s('defs');
    for (const kind of KINDS) {
      defs.append(s('marker', {id: `mc-arrow-${kind}`, class: `marker kind-${kind}`, viewBox: '0 0 10 10',
                               refX: '9', refY: '5', markerWidth: '12', markerHeight: '12',
                               markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse'},
        s('path', {d: 'M0,0L10,5L0,10z'})));
    }
    return defs;
  }

  // --- layout & drawing -----------------------------------------------------

  _size(node) {
    if (node.type === 'command') {
      return {width: Math.max(52, textWidth(node.name, SUB_FONT) + 26), height: COMMAND_H};
    }
    const badges = badgesOf(node).reduce((w, b) => w + textWidth(b.text, BADGE_FONT) + 14, 0);
    const name = textWidth(node.name, NAME_FONT) + badges;
    const sub = textWidth(node.target, SUB_FONT) + 18 + 80;  // + room for the state
    return {width: Math.min(MAX_W, Math.max(MIN_W, name, sub) + 2 * PAD), height: TASK_H};
  }

  layout() {
    const g = new dagre.graphlib.Graph({multigraph: true});
    g.setGraph({rankdir: this.direction, nodesep: 26, ranksep: 54, edgesep: 14,
                marginx: 30, marginy: 30});
    g.setDefaultEdgeLabel(() => ({}));
    for (const node of this.graph.nodes.values()) g.setNode(node.id, this._size(node));
    this.graph.edges.forEach((e, i) => {
      const label = e.guard ? this._guardLabel(e.guard) : null;
      g.setEdge(e.from, e.to, label ? {width: textWidth(label, BADGE_FONT) + 10, height: 16, label}
                                    : {}, `e${i}`);
    });
    const opts = g.nodeCount() > FAST_LAYOUT_NODES ? {disableOptimalOrderHeuristic: true} : {};
    const started = performance.now();
    dagre.layout(g, opts);
    this.layoutMs = performance.now() - started;
    const {width, height} = g.graph();
    this.size = {width: Number.isFinite(width) && width > 0 ? width : 1,
                 height: Number.isFinite(height) && height > 0 ? height : 1};
    this._draw(g);
    this.svg.dataset.layoutMs = String(Math.round(this.layoutMs));
  }

  _guardLabel(guard) {
    const text = guard.replace(/^\s*<%\s*|\s*%>\s*$|^\s*\{\{\s*|\s*\}\}\s*$/g, '').trim();
    return text.length > 28 ? text.slice(0, 27) + '\u2026' : text;
  }

  _draw(g) {
    this.edgeLayer.replaceChildren();
    this.nodeLayer.replaceChildren();
    this.nodeEls.clear();
    this.edgeEls = [];
    this.graph.edges.forEach((e, i) => {
      const laid = g.edge(e.from, e.to, `e${i}`);
      const path = s('path', {class: 'edge-line', d: splinePath(laid.points),
                              'marker-end': `url(#mc-arrow-${e.kind})`});
      const el = s('g', {class: `edge kind-${e.kind}${e.guard ? ' guarded' : ''}${e.fromDefaults ? ' from-defaults' : ''}`,
                         'data-from': e.from, 'data-to': this.graph.nodes.get(e.to).name, 'data-kind': e.kind},
        s('title', {text: `${e.from} \u2192 ${this.graph.nodes.get(e.to).name} (${e.kind}` +
                          `${e.guard ? ', if ' + e.guard : ''}${e.fromDefaults ? ', from task-defaults' : ''})`}),
        path);
      if (laid.label) {
        el.append(s('text', {class: 'edge-label', x: laid.x, y: laid.y + 4, 'text-anchor': 'middle',
                             text: laid.label}));
      }
      this.edgeLayer.append(el);
      this.edgeEls.push({edge: e, el});
    });
    for (const node of this.graph.nodes.values()) {
      const box = g.node(node.id);
      const el = node.type === 'command' ? this._commandNode(node, box) : this._taskNode(node, box);
      el.setAttribute('transform', `translate(${(box.x - box.width / 2).toFixed(1)},${(box.y - box.height / 2).toFixed(1)})`);
      this.nodeEls.set(node.id, {node, el, box});
      this.nodeLayer.append(el);
    }
    if (this.overlay) this.setOverlay(this.overlay);
    if (this.selected) this.select(this.selected);
  }

  _taskNode(node, {width: w, height: hgt}) {
    const el = s('g', {class: `node task kind-${node.kind}`, 'data-task': node.name, 'data-state': ''});
    el.append(s('title', {text: `${node.name}\n${node.kind === 'workflow' ? 'sub-workflow' : 'action'}: ${node.target}`}));
    el.append(s('rect', {class: 'box', width: w, height: hgt, rx: 7}));
    if (node.kind === 'workflow') {
      el.append(s('rect', {class: 'inner', x: 3.5, y: 3.5, width: w - 7, height: hgt - 7, rx: 5}));
    }
    el.append(s('path', {class: 'stripe', d: `M7,0H6A6,6 0 0 0 0,6V${hgt - 6}A6,6 0 0 0 6,${hgt}H7Z`}));
    let badgeX = w - 10;
    const badges = badgesOf(node);
    for (const b of badges.reverse()) {
      const bw = textWidth(b.text, BADGE_FONT) + 10;
      badgeX -= bw;
      el.append(s('g', {class: `badge-svg ${b.cls}`, transform: `translate(${badgeX},8)`},
        s('rect', {width: bw, height: 16, rx: 8}),
        s('text', {x: bw / 2, y: 11.5, 'text-anchor': 'middle', text: b.text})));
      badgeX -= 4;
    }
    el.append(s('text', {class: 'name', x: PAD, y: 21,
                         text: ellipsize(node.name, NAME_FONT, badgeX - PAD - 2)}));
    let subX = PAD;
    if (node.kind === 'workflow') {
      // Two stacked frames: "runs a workflow" (no font has a reliable glyph).
      el.append(s('path', {class: 'subwf-icon', transform: `translate(${PAD},30)`,
                           d: 'M0.5,3.5h7v6h-7zM3.5,3.5v-3h7v6h-3'}));
      subX += 15;
    }
    el.append(s('text', {class: 'sub', x: subX, y: 40,
                         text: ellipsize(node.target, SUB_FONT, w - subX - 92)}));
    el.append(s('text', {class: 'state-label', x: w - 10, y: 40, 'text-anchor': 'end'}));
    return el;
  }

  _commandNode(node, {width: w, height: hgt}) {
    const el = s('g', {class: `node command command-${node.name}`, 'data-command': node.name});
    el.append(s('title', {text: `engine command: ${node.text}`}));
    el.append(s('rect', {class: 'box', width: w, height: hgt, rx: hgt / 2}));
    el.append(s('text', {x: w / 2, y: 17, 'text-anchor': 'middle', text: node.name}));
    return el;
  }

  /**
   * Tasks (and transitions) the definition does not have: it changed
   * since the run, or the workflow was deleted. Lays out again if needed.
   */
  grow(names, edges = []) {
    let added = false;
    for (const name of names) {
      if (!this.graph.nodes.has(name)) {
        this.graph.nodes.set(name, {id: name, name, type: 'task', kind: 'action', target: '(not in the definition)',
                                    join: null, withItems: false, spec: {}});
        added = true;
      }
    }
    const known = new Set(this.graph.edges.map((e) => edgeKey(e.from, e.to, e.kind)));
    for (const e of edges) {
      if (!known.has(edgeKey(e.from, e.to, e.kind)) && this.graph.nodes.has(e.from) && this.graph.nodes.has(e.to)) {
        this.graph.edges.push(e);
        added = true;
      }
    }
    if (added) this.layout();
    return added;
  }

  toggleDirection() {
    this.direction = this.direction === 'TB' ? 'LR' : 'TB';
    localStorage.setItem('mistral_clone.console.direction', this.direction);
    this.directionButton.textContent = this.direction === 'TB' ? '\u2193' : '\u2192';
    this.layout();
    this.fitReadable();
  }

  // --- execution overlay & selection ----------------------------------------

  /**
   * @param runs Map task name -> its task executions, oldest first
   * @param taken Set of edgeKey(from, to, kind) that fired
   */
  setOverlay({runs, taken}) {
    this.overlay = {runs, taken};
    this.svg.classList.add('has-overlay');
    for (const {node, el} of this.nodeEls.values()) {
      if (node.type !== 'task') continue;
      const list = runs.get(node.name) || [];
      const latest = list[list.length - 1];
      const state = latest ? latest.state : '';
      el.dataset.state = state;
      el.classList.toggle('not-run', !latest);
      el.querySelector('.state-label').textContent =
        state ? state + (list.length > 1 ? ` \u00D7${list.length}` : '') : '';
      el.querySelector('title').textContent = `${node.name}\n${node.kind === 'workflow' ? 'sub-workflow' : 'action'}: ` +
        `${node.target}\n${state || 'not run'}${latest && latest.state_info ? '\n' + latest.state_info.slice(0, 300) : ''}`;
    }
    for (const {edge, el} of this.edgeEls) {
      const on = taken.has(edgeKey(edge.from, this.graph.nodes.get(edge.to).name, edge.kind));
      el.classList.toggle('taken', on);
      if (this.graph.nodes.get(edge.to).type === 'command') {
        this.nodeEls.get(edge.to).el.classList.toggle('reached', on);
      }
    }
  }

  /** Highlight a task; `notify` also tells the page (a user's click). */
  select(name, notify = false) {
    this.selected = name;
    for (const {node, el} of this.nodeEls.values()) {
      el.classList.toggle('selected', node.type === 'task' && node.name === name);
    }
    if (notify) this.onSelect(name);
  }

  // --- pan & zoom -----------------------------------------------------------

  _apply() {
    const {x, y, k} = this.view;
    this.viewport.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(4)})`);
    this.svg.dataset.zoom = k.toFixed(3);
  }

  _canvasSize() {
    const r = this.svg.getBoundingClientRect();
    return {cw: r.width || 800, ch: r.height || 500};
  }

  zoomAt(factor, px, py) {
    const k = Math.min(3, Math.max(0.03, this.view.k * factor));
    const f = k / this.view.k;
    this.view = {x: px - (px - this.view.x) * f, y: py - (py - this.view.y) * f, k};
    this._apply();
  }

  zoomCenter(factor) {
    const {cw, ch} = this._canvasSize();
    this.zoomAt(factor, cw / 2, ch / 2);
  }

  /** The room left for the graph: the toolbar and legend float over the canvas. */
  _room() {
    const {cw, ch} = this._canvasSize();
    return {left: 10, top: INSET_TOP, width: Math.max(50, cw - 20), height: Math.max(50, ch - INSET_TOP - INSET_BOTTOM)};
  }

  /** The whole graph in view, however small. */
  fitAll() {
    const room = this._room();
    const k = Math.min(1, room.width / this.size.width, room.height / this.size.height);
    this.view = {k, x: room.left + (room.width - this.size.width * k) / 2,
                 y: room.top + (room.height - this.size.height * k) / 2};
    this._apply();
  }

  /** The whole graph if it can be read that way, else its start at a readable size. */
  fitReadable() {
    const room = this._room();
    const k = Math.min(1, room.width / this.size.width, room.height / this.size.height);
    if (k >= READABLE) return this.fitAll();
    const kr = Math.max(READABLE, Math.min(1, room.width / this.size.width));
    const w = this.size.width * kr;
    this.view = {k: kr, x: room.left + (w <= room.width ? (room.width - w) / 2 : 0), y: room.top};
    this._apply();
  }

  focus(name) {
    const entry = [...this.nodeEls.values()].find((n) => n.node.type === 'task' && n.node.name === name);
    if (!entry) return;
    const {cw, ch} = this._canvasSize();
    const k = Math.max(this.view.k, 0.9);
    this.view = {k, x: cw / 2 - entry.box.x * k, y: ch / 2 - entry.box.y * k};
    this._apply();
  }

  _bindPanZoom() {
    this.svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      const r = this.svg.getBoundingClientRect();
      const scale = ev.deltaMode === 1 ? 0.05 : 0.0015;
      this.zoomAt(Math.exp(-ev.deltaY * scale), ev.clientX - r.left, ev.clientY - r.top);
    }, {passive: false});
    let drag = null;
    this.svg.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      drag = {x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y, moved: false,
              node: ev.target.closest('.node.task')};
      this.svg.setPointerCapture(ev.pointerId);
    });
    this.svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      const dx = ev.clientX - drag.x;
      const dy = ev.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      drag.moved = true;
      this.svg.classList.add('panning');
      this.view = {...this.view, x: drag.vx + dx, y: drag.vy + dy};
      this._apply();
    });
    const end = () => {
      if (drag && !drag.moved && drag.node) this.select(drag.node.dataset.task, true);
      drag = null;
      this.svg.classList.remove('panning');
    };
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointercancel', () => { drag = null; });
    this.svg.addEventListener('keydown', (ev) => {
      if (ev.key === '+' || ev.key === '=') this.zoomCenter(1.25);
      else if (ev.key === '-') this.zoomCenter(0.8);
      else if (ev.key === '0') this.fitAll();
    });
  }
}
