// Small DOM helpers shared by the views.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, value);
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** An HTML element: h('a', {href, class, text, onclick}, ...children). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export const FINAL_STATES = new Set(['SUCCESS', 'ERROR', 'CANCELLED', 'SKIPPED']);
export const WORKFLOW_STATES = ['IDLE', 'RUNNING', 'PAUSED', 'SUCCESS', 'ERROR', 'CANCELLED'];

export function stateBadge(state) {
  return h('span', {class: `badge state state-${state || 'NONE'}`, 'data-state': state || '',
                    text: state || '—'});
}

/** Pretty JSON for a value the API may have sent as JSON text. */
export function pretty(value, limit = 200000) {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      return value;
    }
  }
  const text = value === undefined ? '' : JSON.stringify(value, null, 2);
  return text.length > limit ? text.slice(0, limit) + `\n… (${text.length - limit} more characters)` : text;
}

export function codeBlock(value, cls = 'json') {
  return h('pre', {class: `code ${cls}`, text: pretty(value)});
}

/** API timestamps are UTC "YYYY-MM-DD HH:MM:SS". */
export function parseTime(text) {
  return text ? new Date(text.replace(' ', 'T') + 'Z') : null;
}

export function fmtTime(text) {
  return text ? text + ' UTC' : '—';
}

export function fmtDuration(start, end) {
  const a = parseTime(start);
  if (!a) return '—';
  const b = end ? parseTime(end) : new Date();
  let seconds = Math.max(0, Math.round((b - a) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  seconds %= 60;
  if (minutes < 60) return `${minutes}m ${seconds}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

export function shortId(id) {
  return id ? id.slice(0, 8) : '';
}

/** A definition list from [label, value] pairs, skipping empty values. */
export function facts(pairs) {
  const dl = h('dl', {class: 'facts'});
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(h('dt', {text: label}), h('dd', {}, value));
  }
  return dl;
}

export function section(title, ...content) {
  return h('section', {class: 'panel-section'}, h('h3', {text: title}), ...content);
}

export function errorBox(message) {
  return h('div', {class: 'error-box', role: 'alert', text: message});
}
