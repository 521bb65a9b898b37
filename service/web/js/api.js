// The public API of examd (/api/v1), with the session token kept in localStorage so that a
// reload (or a crash of the browser) resumes where the user was.

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

const ERROR_ZH = {
  unauthenticated: '未登录或登录已过期',
  forbidden: '没有权限',
  not_found: '未找到',
  attempt_closed: '本次考试已结束',
  attempts_exhausted: '考试次数已用完',
  conflict: '状态冲突',
  too_large: '文件过大',
  validation_failed: '校验未通过',
  pool_too_small: '题库中可用题目不足',
  exam_unavailable: '该考试尚未开放',
  rate_limited: '操作过于频繁，请稍后再试',
  unavailable: '服务暂时不可用，请稍后再试',
  invalid_field: '输入有误',
  bad_json: '请求格式有误',
};

export function errorText(e) {
  if (!(e instanceof ApiError)) return String(e && e.message || e);
  if (e.status === 0) return '网络连接失败';
  const zh = ERROR_ZH[e.code];
  if (zh && e.message && e.message !== zh) return `${zh}（${e.message}）`;
  return zh || e.message || `HTTP ${e.status}`;
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
