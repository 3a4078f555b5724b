// The side panel of a selected task: its state_info, input, published,
// result, action executions (with-items: one per item) or sub-workflow
// executions, and "Rerun" for a failed task (PUT /v2/tasks/<id> with
// state RUNNING and reset, as `mistral task-rerun` sends).

import * as api from '../api.js';
import {h, stateBadge, fmtTime, fmtDuration, facts, section, codeBlock, shortId, pretty,
        FINAL_STATES} from '../dom.js';
import {taskYaml} from '../spec.js';

const CHILD_LIMIT = 500;

/** One line of JSON (a sub-workflow's input next to its link). */
function compact(value) {
  const text = JSON.stringify(api.parseJson(value));
  return text && text.length > 80 ? text.slice(0, 79) + '\u2026' : text || '';
}

export class TaskPanel {
  constructor(container, {onRerun, onClose}) {
    this.container = container;
    this.onRerun = onRerun;
    this.onClose = onClose;
    this.name = null;
    this.generation = 0;
    this.openItems = new Set();
  }

  hide() {
    this.name = null;
    this.notRun = null;
    this.generation++;
  }

  get run() {
    return this.runIndex === null ? this.runs[this.runs.length - 1] : this.runs[this.runIndex];
  }

  show(name, runs, node) {
    const fresh = this.name !== name;
    this.name = name;
    this.node = node;
    this.runs = runs;
    if (fresh) {
      this.runIndex = null;
      this.openItems.clear();
      this.signature = null;
      this.container.replaceChildren(h('div', {class: 'task-panel loading', 'data-task': name},
        this._head(this.run), h('p', {class: 'muted', text: 'Loading…'})));
    }
    this._load();
  }

  showNotRun(node) {
    if (this.notRun === node.name && this.container.querySelector(`.task-panel[data-task="${CSS.escape(node.name)}"]`)) {
      return;  // already shown
    }
    this.hide();
    this.notRun = node.name;
    this.container.replaceChildren(
      h('div', {class: 'task-panel', 'data-task': node.name, 'data-state': ''}, this._back(),
        h('div', {class: 'panel-title'}, h('h2', {text: node.name}), h('span', {class: 'badge', text: 'not run'})),
        h('p', {class: 'muted', text: 'This task has not run in this execution.'}),
        section('Definition', h('pre', {class: 'code yaml', text: taskYaml(node)}))));
  }

  /** New poll results: reload the details when the task moved on. */
  update(runs) {
    this.runs = runs;
    const run = this.run;
    if (!run) return;
    const signature = `${runs.length}|${run.id}|${run.state}|${run.updated_at}`;
    if (signature !== this.signature || !FINAL_STATES.has(run.state)) this._load();
  }

  _load() {
    this._fetch().catch((e) => {
      if (e instanceof api.AuthRequired) {
        window.dispatchEvent(new CustomEvent('mc-page-error', {detail: e}));
      } else if (this.name) {
        this.container.querySelector('.task-panel').append(
          h('div', {class: 'error-box', role: 'alert', text: `Cannot load the task: ${e.message}`}));
      }
    });
  }

  async _fetch() {
    const run = this.run;
    const generation = ++this.generation;
    const signature = `${this.runs.length}|${run.id}|${run.state}|${run.updated_at}`;
    const isWorkflow = run.type === 'WORKFLOW';
    const [task, children] = await Promise.all([
      api.get('/tasks/' + run.id),
      isWorkflow
        ? api.get('/executions', {task_execution_id: run.id, limit: CHILD_LIMIT})
        : api.get('/action_executions', {task_execution_id: run.id, include_output: 'true',
                                         limit: CHILD_LIMIT})]);
    if (generation !== this.generation) return;
    this.signature = signature;
    const list = isWorkflow ? children.executions : children.action_executions;
    const scrollTop = this.container.scrollTop;
    this.container.replaceChildren(h('div', {class: 'task-panel', 'data-task': task.name, 'data-state': task.state},
      this._head(task), ...this._body(task, list, !!children.next)));
    this.container.scrollTop = scrollTop;
  }

  _back() {
    return h('button', {type: 'button', class: 'link back', text: '\u2190 Execution',
                        onclick: () => this.onClose()});
  }

  _head(task) {
    const runs = this.runs.length > 1 ? h('div', {class: 'runs'}, h('span', {class: 'muted', text: 'Runs:'}),
      this.runs.map((r, i) => h('button', {
        type: 'button', class: `run ${r.id === task.id ? 'active' : ''} state-${r.state}`, title: r.state,
        text: String(i + 1), onclick: () => {
          this.runIndex = i;
          this.openItems.clear();
          this._load();
        }}))) : null;
    return h('div', {class: 'task-head'}, this._back(),
      h('div', {class: 'panel-title'}, h('h2', {text: task.name}), stateBadge(task.state)), runs);
  }

  _body(task, children, more) {
    const rc = api.parseJson(task.runtime_context) || {};
    const withItems = !!rc.with_items || !!(this.node && this.node.withItems);
    const isWorkflow = task.type === 'WORKFLOW';
    const out = [];
    const buttons = [];
    if (task.state === 'ERROR') {
      const keep = withItems ? h('input', {type: 'checkbox', name: 'keep-items'}) : null;
      buttons.push(h('button', {type: 'button', class: 'primary action', 'data-action': 'rerun', text: 'Rerun task',
                                title: 'PUT /v2/tasks/<id> {"state": "RUNNING", "reset": …}',
                                onclick: () => this.onRerun(task, !(keep && keep.checked))}));
      if (keep) buttons.push(h('label', {class: 'check'}, keep, ' keep succeeded items'));
    }
    if (isWorkflow && children.length === 1) {
      buttons.push(h('a', {class: 'button sub-workflow-link', href: api.uiRoot + 'executions/' + children[0].id,
                           'data-id': children[0].id}, 'Open sub-workflow execution \u2192'));
    }
    if (buttons.length) out.push(h('div', {class: 'panel-actions'}, buttons));
    if (task.state_info) {
      out.push(section('State info', h('pre', {class: `code state-info ${task.state === 'ERROR' ? 'error' : ''}`,
                                                text: task.state_info})));
    }
    const target = this.node ? this.node.target : null;
    out.push(section('Task', facts([
      ['ID', h('span', {class: 'mono', text: task.id})],
      [isWorkflow ? 'Sub-workflow' : 'Action', target],
      ['Started', fmtTime(task.started_at)],
      ['Finished', task.finished_at ? fmtTime(task.finished_at) : null],
      ['Duration', fmtDuration(task.started_at, task.finished_at)],
      ['With-items', withItems ? `${children.length} item(s)` : null],
    ])));
    if (!withItems && children.length === 1) out.push(section('Input', codeBlock(children[0].input)));
    out.push(section('Published', codeBlock(task.published)));
    out.push(section('Result', codeBlock(task.result)));
    if (isWorkflow) {
      out.push(section(withItems ? `Sub-workflow executions (${children.length})` : 'Sub-workflow execution',
        children.length ? h('ul', {class: 'children'}, children.map((c) => h('li', {},
          h('a', {href: api.uiRoot + 'executions/' + c.id, class: 'mono sub-workflow-link', 'data-id': c.id,
                  text: shortId(c.id)}),
          stateBadge(c.state), h('span', {class: 'mono small muted child-input', title: pretty(c.input),
                                          text: compact(c.input)}))))
          : h('p', {class: 'muted', text: 'Not started yet.'})));
    } else {
      out.push(section(withItems ? `Items (${children.length}${more ? '+' : ''})`
                                 : `Action executions (${children.length})`,
        children.length ? h('div', {class: 'items'}, children.map((a, i) => this._item(a, i)))
          : h('p', {class: 'muted', text: 'None yet.'})));
    }
    return out;
  }

  _item(a, index) {
    const details = h('details', {class: 'item', 'data-id': a.id, open: this.openItems.has(a.id)},
      h('summary', {}, h('span', {class: 'index', text: `#${index}`}), ' ', h('span', {class: 'mono', text: a.name}),
        ' ', stateBadge(a.state), a.accepted === false && FINAL_STATES.has(a.state) ? h('span', {class: 'tag', text: 'not accepted'}) : null),
      a.state_info ? h('pre', {class: 'code state-info', text: a.state_info}) : null,
      h('div', {class: 'kv'}, h('h4', {text: 'Input'}), codeBlock(a.input)),
      h('div', {class: 'kv'}, h('h4', {text: 'Output'}), codeBlock(a.output)),
      h('p', {class: 'muted small', text: `${shortId(a.id)} \u00B7 ${fmtTime(a.created_at)}`}));
    details.addEventListener('toggle', () => {
      if (details.open) this.openItems.add(a.id);
      else this.openItems.delete(a.id);
    });
    return details;
  }
}
