// An execution's page (/ui/executions/<id>): the workflow's graph with the
// tasks coloured by state, kept live by polling /v2 while anything runs;
// the side panel shows the execution or the selected task; pause, resume
// and cancel go through PUT /v2/executions/<id> like the CLI.

import * as api from '../api.js';
import {h, stateBadge, fmtTime, fmtDuration, facts, section, codeBlock, errorBox, shortId,
        FINAL_STATES} from '../dom.js';
import {GraphView, edgeKey} from '../graph.js';
import {parseDefinition} from '../spec.js';
import {TaskPanel} from './task_panel.js';

const POLL_MS = 1000;
const PAUSED_POLL_MS = 3000;
const WF_FINAL = new Set(['SUCCESS', 'ERROR', 'CANCELLED']);

/** Task executions grouped by name, oldest first, and the edges that fired. */
export function runsAndTaken(tasks, graphType) {
  const sorted = [...tasks].sort((a, b) => (a.created_at || '').localeCompare(b.created_at || '') ||
                                           (a.id < b.id ? -1 : 1));
  const runs = new Map();
  const nameOf = new Map();
  for (const t of sorted) {
    nameOf.set(t.id, t.name);
    if (!runs.has(t.name)) runs.set(t.name, []);
    runs.get(t.name).push(t);
  }
  const taken = new Set();
  for (const t of sorted) {
    const rc = api.parseJson(t.runtime_context) || {};
    for (const trigger of rc.triggered_by || []) {
      const from = nameOf.get(trigger.task_id);
      if (from && trigger.event) taken.add(edgeKey(from, t.name, trigger.event));
    }
  }
  return {runs, taken, graphType};
}

export async function executionPage(main, ctx) {
  const id = ctx.params[0];
  let ex = await api.get('/executions/' + encodeURIComponent(id));
  const [graph, parent] = await Promise.all([loadGraph(ex), loadParent(ex)]);
  if (ctx.signal.aborted) return;
  main.classList.add('full');

  const stateSlot = h('span', {class: 'state-slot'});
  const meta = h('span', {class: 'meta'});
  const actions = h('div', {class: 'actions'});
  const flash = h('div', {class: 'flash', role: 'status'});
  const graphBox = h('div', {class: 'graph'});
  const side = h('aside', {class: 'side'});
  const crumbs = h('nav', {class: 'crumbs'},
    h('a', {href: api.uiRoot + 'executions', text: 'Executions'}),
    parent ? [' \u203A ', h('a', {class: 'parent-link', href: `${api.uiRoot}executions/${parent.workflow_execution_id}?task=` +
                                     encodeURIComponent(parent.name),
                                   text: `\u2191 ${parent.workflow_name} (task ${parent.name})`})] : null,
    ' \u203A ', h('span', {class: 'mono', text: shortId(ex.id)}));
  main.replaceChildren(h('div', {class: 'detail execution', 'data-id': ex.id},
    h('div', {class: 'detail-head'},
      h('div', {class: 'title'}, crumbs,
        h('div', {class: 'title-row'},
          h('span', {class: 'kind', text: parent ? 'Sub-workflow execution' : 'Execution'}),
          h('h1', {}, h('a', {href: api.uiRoot + 'workflows/' + ex.workflow_id, class: 'plain',
                              title: 'The workflow', text: ex.workflow_name})),
          stateSlot, meta)),
      actions),
    flash,
    h('div', {class: 'detail-body'}, graphBox, side)));

  let tasks = [];
  let overlay = {runs: new Map(), taken: new Set()};
  let selected = ctx.query.get('task');
  const view = graph.error
    ? (graphBox.replaceChildren(errorBox(graph.error)), null)
    : new GraphView(graphBox, graph, {onSelect: (name) => select(name)});

  const say = (text, kind = 'info') => {
    flash.replaceChildren(text ? h('div', {class: `flash-${kind}`, text}) : '');
  };
  const act = async (label, fn) => {
    say('');
    try {
      await fn();
      kick();
    } catch (e) {
      if (e instanceof api.AuthRequired) window.dispatchEvent(new CustomEvent('mc-page-error', {detail: e}));
      else say(`${label} failed: ${e.message}`, 'error');
    }
  };

  const panel = new TaskPanel(side, {
    onRerun: (task, reset) => act('Rerun', () => api.put('/tasks/' + task.id,
                                                          {id: task.id, state: 'RUNNING', reset})),
    onClose: () => select(null),
  });

  function select(name) {
    selected = name;
    const url = new URL(location.href);
    if (name) url.searchParams.set('task', name);
    else url.searchParams.delete('task');
    history.replaceState(null, '', url);
    if (view) view.select(name);
    drawSide();
  }

  let overviewKey = null;
  function drawSide() {
    if (selected && overlay.runs.has(selected)) {
      overviewKey = null;
      panel.show(selected, overlay.runs.get(selected), graph.nodes && graph.nodes.get(selected));
    } else if (selected && graph.nodes && graph.nodes.has(selected)) {
      overviewKey = null;
      panel.showNotRun(graph.nodes.get(selected));
    } else {
      // Redrawn only when something changed: the user may be reading it.
      const key = [ex.state, ex.updated_at, ...tasks.map((t) => t.id + t.state + t.updated_at)].join();
      if (key === overviewKey) return;
      overviewKey = key;
      panel.hide();
      side.replaceChildren(...overview(ex, tasks, (name) => select(name)).filter(Boolean));
    }
  }

  function drawHead() {
    stateSlot.replaceChildren(stateBadge(ex.state));
    const done = tasks.filter((t) => FINAL_STATES.has(t.state)).length;
    const final = WF_FINAL.has(ex.state);
    const took = fmtDuration(ex.created_at, final ? ex.updated_at : null);
    meta.textContent = `started ${fmtTime(ex.created_at)} \u00B7 ${final ? 'took ' + took : took + ' so far'}` +
      ` \u00B7 ${done}/${tasks.length} tasks done`;
    const update = (state, label, cls = '') => h('button', {
      type: 'button', class: `action ${cls}`, 'data-action': label.toLowerCase(), text: label,
      onclick: () => {
        if (state === 'CANCELLED' && !window.confirm(`Cancel execution ${ex.id}?`)) return;
        act(label, () => api.put('/executions/' + ex.id, {state}));
      }});
    if (actions.dataset.state === ex.state) return;  // keep the buttons under the pointer
    actions.dataset.state = ex.state;
    actions.replaceChildren(...[
      ex.state === 'RUNNING' ? update('PAUSED', 'Pause') : null,
      ex.state === 'PAUSED' ? update('RUNNING', 'Resume', 'primary') : null,
      ['RUNNING', 'PAUSED', 'IDLE'].includes(ex.state) ? update('CANCELLED', 'Cancel', 'danger') : null,
    ].filter(Boolean));
  }

  async function refresh() {
    const [fresh, list] = await Promise.all([
      api.get('/executions/' + encodeURIComponent(id)),
      api.getAll(`/executions/${encodeURIComponent(id)}/tasks`, 'tasks')]);
    if (ctx.signal.aborted) return;
    ex = fresh;
    tasks = list;
    overlay = runsAndTaken(tasks, graph.type);
    if (view) {
      // Without a definition, the transitions that fired are the edges.
      const fired = graph.fromRuns ? [...overlay.taken].map((key) => {
        const [from, to, kind] = key.split('\u0001');
        return {from, to, kind, guard: null};
      }) : [];
      if (view.grow([...overlay.runs.keys()], fired) && graph.fromRuns) view.fitReadable();
      markInferred(graph, overlay);
      view.setOverlay(overlay);
    }
    drawHead();
    if (selected && overlay.runs.has(selected)) panel.update(overlay.runs.get(selected));
    else drawSide();
    main.querySelector('.detail').dataset.state = ex.state;
  }

  const finished = () => WF_FINAL.has(ex.state) && tasks.every((t) => FINAL_STATES.has(t.state));
  let looping = false;
  let wake = null;
  const sleep = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); resolve(); };
  });
  async function loop() {
    looping = true;
    try {
      for (;;) {
        try {
          await refresh();
          if (flash.querySelector('.flash-warn')) say('');
        } catch (e) {
          if (e instanceof api.AuthRequired || e.status === 404) throw e;
          say(`Lost contact with the API (${e.message}); retrying…`, 'warn');
        }
        if (ctx.signal.aborted || finished()) return;
        await sleep(ex.state === 'PAUSED' || document.hidden ? PAUSED_POLL_MS : POLL_MS);
        if (ctx.signal.aborted) return;
      }
    } finally {
      looping = false;
    }
  }
  function kick() {
    if (looping) {
      if (wake) wake();
      return;
    }
    loop().catch((e) => {
      if (!ctx.signal.aborted) window.dispatchEvent(new CustomEvent('mc-page-error', {detail: e}));
    });
  }

  await refresh();
  if (view && selected) view.select(selected);
  drawSide();
  if (!finished()) kick();
  // Back to a tab left open: catch up (a rerun from the CLI, say).
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && !ctx.signal.aborted) kick();
  }, {signal: ctx.signal});
}

/**
 * Edges the API does not record: a reverse workflow's `requires` (both
 * tasks ran) and unguarded engine commands (fail, succeed, pause) after a
 * task whose final state fires that clause. An on-complete command does
 * not fire when an on-success/on-error command already did.
 */
function markInferred(graph, {runs, taken}) {
  const FIRES = {'on-success': ['SUCCESS'], 'on-error': ['ERROR'], 'on-complete': ['SUCCESS', 'ERROR'],
                 'on-skip': ['SKIPPED']};
  const stops = new Set();
  for (const e of graph.edges) {
    if (graph.type === 'reverse') {
      if (runs.has(e.from) && runs.has(e.to)) taken.add(edgeKey(e.from, e.to, e.kind));
      continue;
    }
    const target = graph.nodes.get(e.to);
    const list = runs.get(e.from);
    if (target.type !== 'command' || e.guard || !list || e.kind === 'on-complete') continue;
    if ((FIRES[e.kind] || []).includes(list[list.length - 1].state)) {
      taken.add(edgeKey(e.from, target.name, e.kind));
      if (target.name !== 'noop') stops.add(e.from);
    }
  }
  for (const e of graph.edges) {
    const target = graph.nodes.get(e.to);
    const list = runs.get(e.from);
    if (e.kind !== 'on-complete' || target.type !== 'command' || e.guard || !list || stops.has(e.from)) continue;
    if (FIRES[e.kind].includes(list[list.length - 1].state)) taken.add(edgeKey(e.from, target.name, e.kind));
  }
}

async function loadGraph(ex) {
  let wf;
  try {
    wf = await api.get('/workflows/' + encodeURIComponent(ex.workflow_id));
  } catch (e) {
    if (e.status !== 404) throw e;
    // The workflow was deleted: draw the tasks that ran and the
    // transitions that fired.
    return {type: 'direct', nodes: new Map(), edges: [], fromRuns: true};
  }
  try {
    return parseDefinition(wf.definition, wf.name);
  } catch (e) {
    return {error: `The workflow's definition cannot be drawn: ${e.message}`};
  }
}

async function loadParent(ex) {
  if (!ex.task_execution_id) return null;
  try {
    return await api.get('/tasks/' + encodeURIComponent(ex.task_execution_id));
  } catch (e) {
    if (e instanceof api.AuthRequired) throw e;
    return null;
  }
}

function overview(ex, tasks, onSelect) {
  const sorted = [...tasks].sort((a, b) => (a.created_at || '').localeCompare(b.created_at || ''));
  const params = api.parseJson(ex.params) || {};
  return [
    ex.state_info ? section('State info', h('pre', {class: `code state-info ${ex.state === 'ERROR' ? 'error' : ''}`,
                                                    text: ex.state_info})) : null,
    section('Execution', facts([
      ['ID', h('span', {class: 'mono', text: ex.id})],
      ['Workflow', h('a', {href: api.uiRoot + 'workflows/' + ex.workflow_id, text: ex.workflow_name})],
      ['Namespace', ex.workflow_namespace],
      ['Description', ex.description],
      ['Created', fmtTime(ex.created_at)],
      ['Updated', fmtTime(ex.updated_at)],
      ['Duration', fmtDuration(ex.created_at, WF_FINAL.has(ex.state) ? ex.updated_at : null)],
      ['Root', ex.root_execution_id && ex.root_execution_id !== ex.id
        ? h('a', {href: api.uiRoot + 'executions/' + ex.root_execution_id, class: 'mono',
                  text: shortId(ex.root_execution_id)}) : null],
      ['Environment', params.env ? codeBlock(params.env) : null],
    ])),
    section('Input', codeBlock(ex.input)),
    WF_FINAL.has(ex.state) ? section('Output', codeBlock(ex.output)) : null,
    section(`Tasks (${tasks.length})`, sorted.length ? h('table', {class: 'list compact tasks'},
      h('thead', {}, h('tr', {}, ['Task', 'State', 'Started', 'Duration'].map((t) => h('th', {text: t})))),
      h('tbody', {}, sorted.map((t) => h('tr', {class: 'clickable', 'data-task': t.name, onclick: () => onSelect(t.name)},
        h('td', {}, h('button', {type: 'button', class: 'link', text: t.name})),
        h('td', {}, stateBadge(t.state)),
        h('td', {class: 'nowrap small', text: (t.started_at || '').slice(11) || '—'}),
        h('td', {class: 'nowrap small', text: fmtDuration(t.started_at, t.finished_at)})))))
      : h('p', {class: 'muted', text: 'No task has started yet.'})),
  ];
}
