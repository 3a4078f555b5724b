// The executions list: state and workflow filters, newest first, paged
// with the API's marker; refreshes itself while shown executions run.

import * as api from '../api.js';
import {h, stateBadge, fmtTime, shortId, FINAL_STATES, WORKFLOW_STATES} from '../dom.js';

const PAGE = 50;
const REFRESH_MS = 3000;

export async function executionsPage(main, ctx) {
  const q = ctx.query;
  const filters = {state: q.get('state') || '', workflow_name: q.get('workflow_name') || ''};
  const limit = Math.max(1, Math.min(1000, parseInt(q.get('limit'), 10) || PAGE));
  const marker = q.get('marker') || '';
  const pageUrl = (extra) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries({...filters, ...extra})) if (v) params.set(k, v);
    if (limit !== PAGE) params.set('limit', limit);
    const text = params.toString();
    return api.uiRoot + 'executions' + (text ? '?' + text : '');
  };

  const stateSelect = h('select', {name: 'state', 'aria-label': 'State'},
    h('option', {value: '', text: 'Any state'}),
    WORKFLOW_STATES.map((st) => h('option', {value: st, text: st, selected: st === filters.state})));
  const nameInput = h('input', {name: 'workflow_name', type: 'search', placeholder: 'Workflow name',
                                value: filters.workflow_name, 'aria-label': 'Workflow name'});
  const form = h('form', {class: 'filters'}, stateSelect, nameInput,
    h('button', {type: 'submit', class: 'primary', text: 'Filter'}),
    (filters.state || filters.workflow_name)
      ? h('a', {class: 'button', href: api.uiRoot + 'executions', text: 'Clear'}) : null);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    filters.state = stateSelect.value;
    filters.workflow_name = nameInput.value.trim();
    ctx.navigate(pageUrl({}));
  });
  const body = h('div', {class: 'list-body'}, h('p', {class: 'muted', text: 'Loading…'}));
  main.replaceChildren(h('div', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {text: 'Executions'}), form), body));

  const load = async () => {
    const page = await api.get('/executions', {
      limit, marker, sort_keys: 'created_at', sort_dirs: 'desc',
      state: filters.state, workflow_name: filters.workflow_name});
    if (ctx.signal.aborted) return null;
    const rows = page.executions || [];
    const next = api.nextMarker(page);
    body.replaceChildren(
      rows.length ? table(rows) : h('p', {class: 'empty', text: 'No executions.'}),
      h('nav', {class: 'pager'},
        marker ? h('a', {class: 'button', href: pageUrl({}), text: '\u2039 First page'}) : null,
        next ? h('a', {class: 'button next', href: pageUrl({marker: next}), text: 'Next page \u203A'}) : null));
    return rows;
  };
  let rows = await load();
  // Keep the states fresh while something on this page is still going.
  while (rows && rows.some((r) => !FINAL_STATES.has(r.state)) && !ctx.signal.aborted) {
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS));
    if (ctx.signal.aborted) return;
    rows = await load();
  }
}

function table(rows) {
  return h('table', {class: 'list executions'},
    h('thead', {}, h('tr', {},
      ['Execution', 'Workflow', 'State', 'Created', 'Updated', 'State info'].map((t) => h('th', {text: t})))),
    h('tbody', {}, rows.map((ex) => h('tr', {'data-id': ex.id},
      h('td', {}, h('a', {href: api.uiRoot + 'executions/' + ex.id, class: 'mono', title: ex.id,
                          text: shortId(ex.id)}),
        ex.task_execution_id ? h('span', {class: 'tag', title: 'started by a task of another execution',
                                          text: 'sub-workflow'}) : null),
      h('td', {}, h('a', {href: api.uiRoot + 'executions?workflow_name=' + encodeURIComponent(ex.workflow_name),
                          text: ex.workflow_name}),
        ex.description && !ex.task_execution_id ? h('div', {class: 'muted small', text: ex.description}) : null),
      h('td', {}, stateBadge(ex.state)),
      h('td', {class: 'nowrap', text: fmtTime(ex.created_at)}),
      h('td', {class: 'nowrap', text: fmtTime(ex.updated_at)}),
      h('td', {class: 'info', title: ex.state_info || '', text: (ex.state_info || '').slice(0, 140)})))));
}
