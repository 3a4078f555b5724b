// Workflows: the list, and a workflow's page (its graph and definition).

import * as api from '../api.js';
import {h, fmtTime, facts, section, errorBox} from '../dom.js';
import {GraphView} from '../graph.js';
import {parseDefinition, taskYaml, startTasks} from '../spec.js';

const PAGE = 50;

export async function workflowsPage(main, ctx) {
  const limit = Math.max(1, Math.min(1000, parseInt(ctx.query.get('limit'), 10) || PAGE));
  const marker = ctx.query.get('marker') || '';
  const page = await api.get('/workflows', {limit, marker, sort_keys: 'name', sort_dirs: 'asc'});
  const rows = page.workflows || [];
  const next = api.nextMarker(page);
  const url = (m) => api.uiRoot + 'workflows' + (m || limit !== PAGE ? '?' + new URLSearchParams(
    Object.entries({marker: m || '', limit: limit !== PAGE ? limit : ''}).filter(([, v]) => v)) : '');
  main.replaceChildren(h('div', {class: 'page'},
    h('div', {class: 'page-head'}, h('h1', {text: 'Workflows'})),
    rows.length ? h('table', {class: 'list workflows'},
      h('thead', {}, h('tr', {}, ['Name', 'Namespace', 'Scope', 'Tags', 'Input', 'Updated']
        .map((t) => h('th', {text: t})))),
      h('tbody', {}, rows.map((wf) => h('tr', {'data-id': wf.id},
        h('td', {}, h('a', {href: api.uiRoot + 'workflows/' + wf.id, text: wf.name})),
        h('td', {text: wf.namespace || ''}),
        h('td', {text: wf.scope}),
        h('td', {}, (wf.tags || []).map((t) => h('span', {class: 'tag', text: t}))),
        h('td', {class: 'mono small', text: wf.input || ''}),
        h('td', {class: 'nowrap', text: fmtTime(wf.updated_at || wf.created_at)})))))
      : h('p', {class: 'empty', text: 'No workflows.'}),
    h('nav', {class: 'pager'},
      marker ? h('a', {class: 'button', href: url(''), text: '\u2039 First page'}) : null,
      next ? h('a', {class: 'button next', href: url(next), text: 'Next page \u203A'}) : null)));
}

export async function workflowPage(main, ctx) {
  const wf = await api.get('/workflows/' + encodeURIComponent(ctx.params[0]));
  main.classList.add('full');
  const graphBox = h('div', {class: 'graph'});
  const side = h('aside', {class: 'side'});
  main.replaceChildren(h('div', {class: 'detail'},
    h('div', {class: 'detail-head'},
      h('div', {class: 'title single'},
        h('span', {class: 'kind', text: 'Workflow'}),
        h('h1', {text: wf.name}),
        wf.namespace ? h('span', {class: 'tag', text: `namespace ${wf.namespace}`}) : null,
        h('span', {class: 'tag', text: wf.scope}),
        (wf.tags || []).map((t) => h('span', {class: 'tag', text: t}))),
      h('div', {class: 'actions'},
        h('a', {class: 'button', href: api.uiRoot + 'executions?workflow_name=' + encodeURIComponent(wf.name),
                text: 'Executions of this workflow'}))),
    h('div', {class: 'detail-body'}, graphBox, side)));

  const overview = () => side.replaceChildren(
    section('Workflow', facts([['ID', h('span', {class: 'mono', text: wf.id})], ['Input', wf.input],
                               ['Created', fmtTime(wf.created_at)], ['Updated', fmtTime(wf.updated_at)],
                               ['Project', wf.project_id]])),
    section('Definition', h('pre', {class: 'code yaml definition', text: wf.definition})));
  let graph;
  try {
    graph = parseDefinition(wf.definition, wf.name);
  } catch (e) {
    graphBox.replaceChildren(errorBox(`The definition cannot be drawn: ${e.message}`));
    overview();
    return;
  }
  const view = new GraphView(graphBox, graph, {onSelect: (name) => {
    const node = graph.nodes.get(name);
    side.replaceChildren(h('div', {class: 'task-panel', 'data-task': name},
      h('button', {type: 'button', class: 'link back', text: '\u2190 Workflow', onclick: () => {
        view.select(null);
        overview();
      }}),
      h('div', {class: 'panel-title'}, h('h2', {text: name}),
        h('span', {class: 'tag', text: node.kind === 'workflow' ? 'sub-workflow' : 'action'})),
      section('Task', facts([
        [node.kind === 'workflow' ? 'Sub-workflow' : 'Action', node.target],
        ['Join', node.join], ['With-items', node.withItems ? 'yes' : null],
        ['Start task', graph.type === 'direct' && startTasks(graph).includes(name) ? 'yes' : null]]),
      h('pre', {class: 'code yaml', text: taskYaml(node)}))));
  }});
  overview();
}
