// The one door to the /v2 API: where it is, the user's token, errors.
//
// The console is served at <prefix>/ui/ by the API process itself, so the
// API is <prefix>/v2 on the same origin. Every call carries the token the
// user signed in with (X-Auth-Token), exactly like python-mistralclient:
// the API decides what the user may see and do.

const TOKEN_KEY = 'mistral_clone.console.token';

/** Path of the console's root, e.g. "/ui/" (the server writes it into
 * index.html: the API may sit behind a prefix). */
export const uiRoot = (document.querySelector('meta[name="mc-ui-root"]') || {}).content || '/ui/';
/** Path of the API root, e.g. "/v2". */
export const apiRoot = uiRoot.replace(/ui\/$/, '') + 'v2';

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** A 401: the user must sign in (again). `keystone` is Keystone's URL
 * when the API told it (WWW-Authenticate: Keystone uri="..."). */
export class AuthRequired extends ApiError {
  constructor(message, keystone) {
    super(401, message);
    this.keystone = keystone;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function keystoneFromHeader(header) {
  const m = /uri="([^"]+)"/i.exec(header || '');
  return m ? m[1] : null;
}

function faultString(body, fallback) {
  if (body && typeof body === 'object' && body.faultstring) {
    return body.faultstring;
  }
  return typeof body === 'string' && body ? body.slice(0, 500) : fallback;
}

/** Call the API: `path` is below /v2 ("/executions/ID"). */
export async function call(method, path, {query, body} = {}) {
  const url = new URL(apiRoot + path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') {
      url.searchParams.set(key, value);
    }
  }
  const headers = {Accept: 'application/json'};
  const tok = token();
  if (tok) headers['X-Auth-Token'] = tok;
  const init = {method, headers, cache: 'no-store'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, `The API at ${url.origin}${apiRoot} cannot be reached (${e.message}).`);
  }
  const text = await resp.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = text;
  }
  if (resp.status === 401) {
    throw new AuthRequired(faultString(data, 'Authentication required.'),
                           keystoneFromHeader(resp.headers.get('WWW-Authenticate')));
  }
  if (!resp.ok) {
    throw new ApiError(resp.status, faultString(data, `${resp.status} ${resp.statusText}`), data);
  }
  return data;
}

export const get = (path, query) => call('GET', path, {query});
export const put = (path, body) => call('PUT', path, {body});

/** The marker of a collection's `next` link (null on the last page). */
export function nextMarker(page) {
  if (!page || !page.next) return null;
  return new URL(page.next, location.origin).searchParams.get('marker');
}

/** Every item of a collection, following the `next` links. */
export async function getAll(path, key, query = {}) {
  const items = [];
  let marker = null;
  for (;;) {
    const page = await get(path, {limit: 1000, ...query, marker});
    items.push(...(page[key] || []));
    marker = nextMarker(page);
    if (!marker) return items;
  }
}

/** Fields the API sends as JSON text ("input", "published"...), parsed. */
export function parseJson(value) {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (e) {
    return value;
  }
}
