// The console's entry point: routes, navigation without reloads, sign-in.
//
// Pages: /ui/ and /ui/executions (executions), /ui/executions/<id>,
// /ui/workflows, /ui/workflows/<id>. A page is a function
// (main, ctx) -> Promise that draws into <main>; it stops its timers when
// ctx.signal aborts (the user went elsewhere).

import * as api from './api.js';
import {showLogin} from './auth.js';
import {h, errorBox} from './dom.js';
import {executionsPage} from './views/executions.js';
import {executionPage} from './views/execution.js';
import {workflowsPage, workflowPage} from './views/workflows.js';

const ROUTES = [
  [/^executions\/([^/]+)\/?$/, executionPage, 'executions'],
  [/^executions\/?$/, executionsPage, 'executions'],
  [/^workflows\/([^/]+)\/?$/, workflowPage, 'workflows'],
  [/^workflows\/?$/, workflowsPage, 'workflows'],
  [/^$/, executionsPage, 'executions'],
];

const main = document.getElementById('view');
let running = null;

export function navigate(url, {replace = false} = {}) {
  const target = new URL(url, location.href);
  if (replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  render();
}

function renderSession() {
  const box = document.getElementById('session');
  if (!api.token()) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(h('span', {class: 'muted', text: 'Signed in'}),
    h('button', {type: 'button', class: 'link', id: 'sign-out', text: 'Sign out', onclick: () => {
      api.setToken(null);
      render();
    }}));
}

async function render() {
  if (running) running.abort();
  const controller = new AbortController();
  running = controller;
  renderSession();
  const rel = decodeURI(location.pathname.startsWith(api.uiRoot)
    ? location.pathname.slice(api.uiRoot.length) : '');
  const route = ROUTES.find(([re]) => re.test(rel));
  for (const link of document.querySelectorAll('.topbar nav a')) {
    link.classList.toggle('active', !!route && link.dataset.section === route[2]);
  }
  if (!route) {
    main.replaceChildren(errorBox(`No such page: ${location.pathname}`));
    return;
  }
  const [re, page] = route;
  const params = rel.match(re).slice(1).map(decodeURIComponent);
  const ctx = {
    params,
    query: new URLSearchParams(location.search),
    signal: controller.signal,
    navigate,
  };
  main.classList.remove('full');
  try {
    await page(main, ctx);
  } catch (err) {
    if (controller.signal.aborted) return;
    await showError(err);
  }
}

/** Errors a page did not handle: sign-in, or a message. */
export async function showError(err) {
  if (err instanceof api.AuthRequired) {
    if (api.token()) {
      err.message = `The API refused the token: ${err.message} Sign in again.`;
      api.setToken(null);
    }
    renderSession();
    main.classList.remove('full');
    await showLogin(main, err);
    render();
    return;
  }
  main.replaceChildren(errorBox(err.status === 404 ? err.message : `Error: ${err.message}`));
  console.error(err);
}

document.addEventListener('click', (ev) => {
  const link = ev.target.closest('a[href]');
  if (!link || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey ||
      ev.shiftKey || ev.altKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(api.uiRoot)) return;
  ev.preventDefault();
  navigate(url);
});
window.addEventListener('popstate', render);
window.addEventListener('mc-page-error', (ev) => showError(ev.detail));
render();
