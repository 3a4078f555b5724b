// Signing in: a Keystone token, pasted or obtained from Keystone's
// /v3/auth/tokens with a user, password and project.
//
// Keystone's address comes from the API's 401 (WWW-Authenticate:
// Keystone uri="...") and can be edited. A browser only lets the console
// read Keystone's answer when Keystone allows the console's origin
// ([cors] allowed_origin in keystone.conf); the error says so.

import * as api from './api.js';
import {h} from './dom.js';

const REMEMBER_KEY = 'mistral_clone.console.login';

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(REMEMBER_KEY)) || {};
  } catch (e) {
    return {};
  }
}

function v3(url) {
  const trimmed = url.trim().replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : trimmed + '/v3';
}

/** Exchange user/password/project for a project-scoped token. */
export async function passwordToken(keystone, {user, password, project, userDomain, projectDomain}) {
  const url = v3(keystone) + '/auth/tokens';
  const body = {auth: {
    identity: {methods: ['password'], password: {user: {
      name: user, domain: {name: userDomain || 'Default'}, password}}},
    scope: {project: {name: project, domain: {name: projectDomain || 'Default'}}},
  }};
  let resp;
  try {
    resp = await fetch(url, {method: 'POST', body: JSON.stringify(body),
                             headers: {'Content-Type': 'application/json'}});
  } catch (e) {
    throw new Error(`Keystone at ${url} cannot be reached from this page (${e.message}). ` +
                    `Check the address, and that Keystone allows this origin ` +
                    `(${location.origin}) in [cors] allowed_origin.`);
  }
  if (!resp.ok) {
    let message = `${resp.status} ${resp.statusText}`;
    try {
      message = (await resp.json()).error.message || message;
    } catch (e) { /* not Keystone's JSON error */ }
    throw new Error(`Keystone refused the sign-in: ${message}`);
  }
  const tok = resp.headers.get('X-Subject-Token');
  if (!tok) {
    throw new Error('Keystone answered without a readable X-Subject-Token header: ' +
                    'add it to [cors] expose_headers in keystone.conf.');
  }
  return tok;
}

/** Show the sign-in form in `container`; resolves once a token is set. */
export function showLogin(container, err) {
  const saved = remembered();
  return new Promise((resolve) => {
    const field = (label, name, attrs = {}) => h('label', {class: 'field'},
      h('span', {text: label}), h('input', {name, ...attrs}));
    const message = h('p', {class: 'login-message', text: err && err.message});
    const error = h('p', {class: 'login-error', role: 'alert'});
    let mode = 'password';
    const passwordFields = h('div', {class: 'login-fields'},
      field('Keystone URL', 'keystone', {value: (err && err.keystone) || saved.keystone || '',
                                         placeholder: 'http://keystone:5000/v3'}),
      field('User', 'user', {value: saved.user || '', autocomplete: 'username'}),
      field('Password', 'password', {type: 'password', autocomplete: 'current-password'}),
      field('Project', 'project', {value: saved.project || ''}),
      h('div', {class: 'row'},
        field('User domain', 'userDomain', {value: saved.userDomain || 'Default'}),
        field('Project domain', 'projectDomain', {value: saved.projectDomain || 'Default'})));
    const tokenFields = h('div', {class: 'login-fields', hidden: true},
      h('label', {class: 'field'}, h('span', {text: 'Token (X-Auth-Token)'}),
        h('textarea', {name: 'token', rows: 4, spellcheck: 'false'})));
    const tabs = h('div', {class: 'tabs'},
      h('button', {type: 'button', class: 'tab active', 'data-mode': 'password', text: 'User & password'}),
      h('button', {type: 'button', class: 'tab', 'data-mode': 'token', text: 'Token'}));
    tabs.addEventListener('click', (ev) => {
      const button = ev.target.closest('button[data-mode]');
      if (!button) return;
      mode = button.dataset.mode;
      for (const b of tabs.children) b.classList.toggle('active', b === button);
      passwordFields.hidden = mode !== 'password';
      tokenFields.hidden = mode !== 'token';
    });
    const submit = h('button', {type: 'submit', class: 'primary', text: 'Sign in'});
    const form = h('form', {class: 'card login', id: 'login'},
      h('h1', {text: 'Sign in'}),
      h('p', {class: 'muted', text: 'This Mistral API is protected by Keystone. ' +
                                    'The console sends your token with every call.'}),
      message, tabs, passwordFields, tokenFields, error, submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      const values = Object.fromEntries(new FormData(form).entries());
      submit.disabled = true;
      try {
        let tok;
        if (mode === 'token') {
          tok = values.token.trim();
          if (!tok) throw new Error('Paste a token.');
        } else {
          if (!values.keystone) throw new Error("Keystone's URL is needed.");
          tok = await passwordToken(values.keystone, values);
          const {password, token, ...keep} = values;
          localStorage.setItem(REMEMBER_KEY, JSON.stringify(keep));
        }
        api.setToken(tok);
        resolve(tok);
      } catch (e) {
        error.textContent = e.message;
      } finally {
        submit.disabled = false;
      }
    });
    container.replaceChildren(form);
    const first = form.querySelector(mode === 'password' && !saved.user ? 'input[name=user]'
                                                                        : 'input[name=password]');
    if (first) first.focus();
  });
}
