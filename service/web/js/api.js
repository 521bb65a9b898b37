// The public API of examd (/api/v1), with the session token kept in localStorage so that a
// reload (or a crash of the browser) resumes where the user was.

import {errorTextOf} from './messages.js';

const TOKEN_KEY = 'examd.token';
const USER_KEY = 'examd.user';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
  // A failure that may succeed later unchanged: no network, timeout, 503, 429.
  get retryable() {
    return this.status === 0 || this.status === 503 || this.status === 429 || this.status === 502 ||
      this.status === 504;
  }
}

export const session = {
  get token() { return localStorage.getItem(TOKEN_KEY); },
  get user() {
    try { return JSON.parse(localStorage.getItem(USER_KEY) || 'null'); } catch { return null; }
  },
  set(token, user) {
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  setUser(user) { localStorage.setItem(USER_KEY, JSON.stringify(user)); },
  clear() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
  },
};

export function errorText(e) {
  if (!(e instanceof ApiError)) return '操作未成功，请重试';
  return errorTextOf(e.status, e.code, e.body, e.retryAfter);
}

// api('GET', '/exams') -> parsed JSON. Options: json (a body to send as JSON), body + type
// (a raw body), text / blob (return the body as text or a Blob), timeout (ms).
export async function api(method, path, opts = {}) {
  const headers = {Accept: opts.text || opts.blob ? '*/*' : 'application/json'};
  const token = session.token;
  if (token) headers.Authorization = 'Bearer ' + token;
  let body;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = opts.type || 'application/octet-stream';
    body = opts.body;
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout || 20000);
  let res;
  try {
    res = await fetch('/api/v1' + path, {method, headers, body, signal: ctl.signal, cache: 'no-store',
      credentials: 'omit'});
  } catch (e) {
    throw new ApiError(0, 'network', '网络连接失败', null);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 204) return null;
  const ctype = res.headers.get('Content-Type') || '';
  let data = null;
  let text = null;
  try {
    if (opts.blob && res.ok) return await res.blob();
    if (opts.text && res.ok) text = await res.text();
    else if (ctype.includes('json')) data = await res.json();
    else text = await res.text();
  } catch (e) {
    if (res.ok) throw new ApiError(0, 'network', '网络连接中断', null);
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    const e = new ApiError(res.status, err.code || 'http_' + res.status, err.message || text || res.statusText, data);
    e.retryAfter = res.headers.get('Retry-After');
    if (res.status === 401 && path !== '/login') {
      session.clear();
      window.dispatchEvent(new CustomEvent('examd:unauthenticated'));
    }
    throw e;
  }
  return opts.text ? text : data;
}

export const get = (path, opts) => api('GET', path, opts);
export const post = (path, json, opts = {}) => api('POST', path, {...opts, json});
export const put = (path, json, opts = {}) => api('PUT', path, {...opts, json});
export const patch = (path, json, opts = {}) => api('PATCH', path, {...opts, json});
export const del = (path, opts) => api('DELETE', path, opts);

export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, v);
  const s = p.toString();
  return s ? '?' + s : '';
}
