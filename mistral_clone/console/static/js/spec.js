// A workflow definition (the YAML text /v2/workflows/{id} returns) turned
// into the graph to draw: task nodes, engine-command nodes and edges.
//
// Direct workflows: one edge per entry of on-success / on-error /
// on-complete / on-skip (the task's own clause, else task-defaults'),
// guarded entries marked `guard`, engine commands (fail, succeed, pause,
// noop) as small nodes of their own. Reverse workflows: one edge from each
// required task to the task that requires it. Pure: no DOM, no API.

import yaml from '../vendor/js-yaml.js';

export const ENGINE_COMMANDS = new Set(['fail', 'succeed', 'pause', 'noop']);
export const CLAUSES = ['on-success', 'on-error', 'on-complete', 'on-skip'];

/** The one workflow of a definition text, as a graph. */
export function parseDefinition(text, name) {
  const doc = yaml.load(text || '') || {};
  if (typeof doc !== 'object') throw new Error('The definition is not a YAML mapping.');
  const keys = Object.keys(doc).filter((k) => k !== 'version');
  // A workbook's workflow is stored under its short name ("wb.main" -> "main").
  const short = name ? name.split('.').pop() : null;
  const key = keys.find((k) => k === name) || keys.find((k) => k === short) || keys[0];
  if (!key) throw new Error('The definition holds no workflow.');
  return buildGraph(doc[key] || {});
}

function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** "task_name", "fail msg='x'" or "fail(msg='x y')" -> its name. */
export function entryName(text) {
  return String(text).trim().split(/[\s(]/, 1)[0];
}

/** The entries of one transition clause: [{name, guard, params}]. */
export function clauseEntries(clause) {
  if (clause && typeof clause === 'object' && !Array.isArray(clause) &&
      ('next' in clause || 'publish' in clause) &&
      Object.keys(clause).every((k) => k === 'next' || k === 'publish')) {
    return clauseEntries(clause.next);
  }
  const entries = [];
  for (const item of asList(clause)) {
    if (item && typeof item === 'object') {
      for (const [text, guard] of Object.entries(item)) {
        entries.push({name: entryName(text), text, guard: guard == null ? null : String(guard)});
      }
    } else if (item !== null && item !== undefined) {
      entries.push({name: entryName(item), text: String(item), guard: null});
    }
  }
  return entries;
}

function firstWord(value) {
  return value === undefined || value === null ? null : String(value).trim().split(/\s/, 1)[0];
}

function taskNode(name, spec) {
  const join = spec.join;
  return {
    id: name,
    name,
    type: 'task',
    kind: spec.workflow !== undefined ? 'workflow' : 'action',
    target: firstWord(spec.workflow !== undefined ? spec.workflow : spec.action) || 'std.noop',
    join: join === undefined || join === null || join === 0 || join === false ? null : String(join),
    withItems: spec['with-items'] !== undefined,
    spec,
  };
}

/** The graph of one workflow (the mapping under its name). */
export function buildGraph(wf) {
  const type = wf.type === 'reverse' ? 'reverse' : 'direct';
  const tasks = wf.tasks && typeof wf.tasks === 'object' ? wf.tasks : {};
  const defaults = wf['task-defaults'] || {};
  const nodes = new Map();
  const edges = [];
  for (const [name, spec] of Object.entries(tasks)) {
    nodes.set(name, taskNode(name, spec || {}));
  }
  if (type === 'reverse') {
    for (const [name, spec] of Object.entries(tasks)) {
      const required = new Set([...asList((spec || {}).requires), ...asList(defaults.requires)]);
      required.delete(name);
      for (const req of required) {
        if (nodes.has(req)) edges.push({from: req, to: name, kind: 'requires', guard: null});
      }
    }
    return {type, nodes, edges};
  }
  for (const [name, spec] of Object.entries(tasks)) {
    for (const kind of CLAUSES) {
      const own = (spec || {})[kind];
      const fromDefaults = own === undefined;
      for (const entry of clauseEntries(fromDefaults ? defaults[kind] : own)) {
        if (fromDefaults && entry.name === name) continue;
        let to = entry.name;
        if (ENGINE_COMMANDS.has(to)) {
          // A transition to an engine command always runs the command,
          // even where a task has the same name.
          to = `${name}\u0000${kind}\u0000${entry.name}`;
          nodes.set(to, {id: to, name: entry.name, type: 'command', text: entry.text});
        } else if (!nodes.has(to)) {
          continue;
        }
        edges.push({from: name, to, kind, guard: entry.guard, fromDefaults});
      }
    }
  }
  return {type, nodes, edges};
}

/** Names of the tasks with no inbound edge (a direct workflow's starts). */
export function startTasks(graph) {
  const inbound = new Set(graph.edges.map((e) => e.to));
  return [...graph.nodes.values()].filter((n) => n.type === 'task' && !inbound.has(n.id))
    .map((n) => n.name);
}

/** The YAML text of one task's spec (for the side panel). */
export function taskYaml(node) {
  return yaml.dump({[node.name]: node.spec}, {lineWidth: 100, noRefs: true});
}
