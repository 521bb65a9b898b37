// The single-page app: hash routes, a role-aware navigation bar, the error banner.
import {h, replace, clear} from './dom.js';
import {session, post, get, errorText} from './api.js';
import {loadModel, resetModel, ROLE_NAMES} from './model.js';

const EMPLOYEE = ['employee'];
const TRAINER = ['trainer', 'admin'];
const HR = ['hr', 'admin'];
const STAFF = ['trainer', 'hr', 'admin'];

// pattern, module, roles (null: anyone signed in), navigation label
const ROUTES = [
  {path: 'login', load: () => import('./views/login.js'), public: true, title: '登录'},
  {path: 'exams', load: () => import('./views/exams.js'), roles: EMPLOYEE, title: '我的考试'},
  {path: 'exam/:id', load: () => import('./views/exam.js'), roles: EMPLOYEE, title: '考试'},
  {path: 'result/:id', load: () => import('./views/result.js'), roles: ['employee', 'hr', 'admin'], title: '考试成绩'},
  {path: 'me/profile', load: () => import('./views/profile.js'), roles: EMPLOYEE, title: '我的能力画像'},
  {path: 'trainer/banks', load: () => import('./views/banks.js'), roles: TRAINER, title: '题库管理'},
  {path: 'trainer/questions', load: () => import('./views/questions.js'), roles: TRAINER, title: '试题浏览'},
  {path: 'trainer/blueprints', load: () => import('./views/blueprints.js'), roles: TRAINER, title: '试卷蓝图'},
  {path: 'trainer/stats', load: () => import('./views/stats.js'), roles: TRAINER, title: '题目统计'},
  {path: 'trainer/results', load: () => import('./views/examresults.js'), roles: TRAINER, title: '考试成绩'},
  {path: 'sessions', load: () => import('./views/sessions.js'), roles: STAFF, title: '考试安排'},
  {path: 'sessions/:id', load: () => import('./views/roster.js'), roles: STAFF, title: '考试监控'},
  {path: 'hr/employees', load: () => import('./views/employees.js'), roles: HR, title: '员工查询'},
  {path: 'hr/employee/:u', load: () => import('./views/profile.js'), roles: HR, title: '员工能力画像'},
  {path: 'hr/profiles', load: () => import('./views/profiles.js'), roles: HR, title: '部门能力画像'},
  {path: 'hr/readiness', load: () => import('./views/readiness.js'), roles: HR, title: '晋级准备度'},
  {path: 'hr/summary', load: () => import('./views/summary.js'), roles: HR, title: '部门汇总'},
  {path: 'hr/gaps', load: () => import('./views/gaps.js'), roles: HR, title: '差距报告'},
  {path: 'hr/raters', load: () => import('./views/raters.js'), roles: HR, title: '评价人质量'},
  {path: 'hr/trends', load: () => import('./views/trends.js'), roles: HR, title: '趋势'},
  {path: 'hr/ratings', load: () => import('./views/ratings.js'), roles: HR, title: '行为评价'},
  {path: 'hr/model', load: () => import('./views/modeledit.js'), roles: HR, title: '模型版本'},
];

const NAV = {
  employee: [['exams', '我的考试'], ['me/profile', '我的能力画像']],
  trainer: [['trainer/banks', '题库管理'], ['trainer/questions', '试题浏览'], ['trainer/blueprints', '试卷蓝图'], ['trainer/stats', '题目统计'], ['trainer/results', '考试成绩'], ['sessions', '考试安排']],
  hr: [['hr/employees', '员工查询'], ['hr/profiles', '部门能力画像'], ['hr/summary', '部门汇总'], ['hr/gaps', '差距报告'], ['hr/readiness', '晋级准备度'], ['hr/trends', '趋势'], ['hr/raters', '评价人质量'], ['hr/ratings', '行为评价'], ['hr/model', '模型版本'], ['sessions', '考试安排']],
};
NAV.admin = [...NAV.trainer, ...NAV.hr.filter(([p]) => p !== 'sessions')];

export function homeFor(user) {
  if (!user) return '#/login';
  return '#/' + (NAV[user.role] || NAV.employee)[0][0];
}

// Whether a page may be opened by this user (used to return to a page after signing in).
export function allowedFor(hash, user) {
  const m = match(hash || '');
  return !!(m && user && !m.route.public && (!m.route.roles || m.route.roles.includes(user.role)));
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

// ------------------------------------------------------------------ banner
const banner = () => document.getElementById('banner');

export function showBanner(message, kind = 'error') {
  const b = banner();
  const close = h('button', {type: 'button', class: 'banner-close', 'aria-label': '关闭提示'}, '×');
  close.addEventListener('click', hideBanner);
  replace(b, h('span', {class: 'banner-text'}, message), close);
  b.className = 'banner banner-' + kind;
  b.hidden = false;
}
export function hideBanner() {
  const b = banner();
  b.hidden = true;
  clear(b);
}

// ------------------------------------------------------------------ chrome
function renderChrome(route) {
  const user = session.user;
  const nav = document.getElementById('nav');
  const box = document.getElementById('userbox');
  clear(nav);
  clear(box);
  if (!user || !session.token) return;
  const links = NAV[user.role] || [];
  const current = route ? route.path.split('/:')[0] : '';
  for (const [path, label] of links) {
    const active = current === path || (path === 'exams' && current === 'exam') ||
      (path === 'hr/employees' && current === 'hr/employee') || (path === 'sessions' && current === 'sessions');
    nav.appendChild(h('a', {href: '#/' + path, class: active ? 'active' : null, 'aria-current': active ? 'page' : null}, label));
  }
  const logout = h('button', {type: 'button', class: 'btn btn-small btn-ghost', id: 'logout'}, '退出');
  logout.addEventListener('click', async () => {
    // During an exam the clock keeps running on the server: ask first.
    if (/^#\/exam\/\d+/.test(location.hash)) {
      const {confirmDialog} = await import('./dom.js');
      const ok = await confirmDialog({
        title: '考试尚未交卷',
        body: [h('p', null, '退出登录不会暂停考试计时：时间到后系统会按已保存的答案自动交卷。'),
          h('p', null, '已作答的题目都已保存，在时限内重新登录可以继续作答。确定要退出吗？')],
        ok: '仍然退出', cancel: '继续考试', danger: true,
      });
      if (!ok) return;
    }
    try { await post('/logout'); } catch { /* the token is dropped either way */ }
    session.clear();
    resetModel();
    navigate('#/login');
  });
  box.appendChild(h('span', {class: 'who'}, h('strong', null, user.name || user.username),
    h('span', {class: 'role'}, ROLE_NAMES[user.role] || user.role)));
  box.appendChild(logout);
}

// ------------------------------------------------------------------ router
let cleanup = null;
let seq = 0;

function match(hash) {
  const path = hash.replace(/^#\/?/, '').split('?')[0];
  const parts = path.split('/').filter(Boolean);
  for (const r of ROUTES) {
    const pp = r.path.split('/');
    if (pp.length !== parts.length) continue;
    const params = {};
    let ok = true;
    pp.forEach((p, i) => {
      if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(parts[i]);
      else if (p !== parts[i]) ok = false;
    });
    if (ok) return {route: r, params};
  }
  return null;
}

function queryOf(hash) {
  const i = hash.indexOf('?');
  return new URLSearchParams(i >= 0 ? hash.slice(i + 1) : '');
}

async function route() {
  const my = ++seq;
  if (cleanup) {
    try { cleanup(); } catch { /* ignore */ }
    cleanup = null;
  }
  const main = document.getElementById('main');
  const user = session.user;
  const signedIn = !!(session.token && user);
  const m = match(location.hash);
  if (!m) {
    location.replace(signedIn ? homeFor(user) : '#/login');
    return;
  }
  if (!m.route.public && !signedIn) {
    const back = location.hash;
    sessionStorage.setItem('examd.after-login', back);
    location.replace('#/login');
    return;
  }
  if (m.route.path === 'login' && signedIn) {
    location.replace(homeFor(user));
    return;
  }
  renderChrome(m.route);
  document.title = m.route.title + ' · 客户经理能力素质测评系统';
  if (m.route.roles && !m.route.roles.includes(user.role)) {
    replace(main, h('section', {class: 'panel'}, h('h1', null, '无权访问'),
      h('p', null, '当前账号的角色不能使用此页面。'), h('a', {href: homeFor(user), class: 'btn'}, '返回首页')));
    return;
  }
  replace(main, h('p', {class: 'loading'}, '正在加载…'));
  try {
    const [mod] = await Promise.all([m.route.load(), signedIn ? loadModel() : null]);
    if (my !== seq) return;
    clear(main);
    const ctx = {params: m.params, query: queryOf(location.hash), user, navigate, showBanner, hideBanner,
      isCurrent: () => my === seq};
    const r = await mod.render(main, ctx);
    if (my !== seq) { if (typeof r === 'function') r(); return; }
    if (typeof r === 'function') cleanup = r;
  } catch (e) {
    if (my !== seq) return;
    if (e && e.status === 401) return;
    replace(main, h('section', {class: 'panel'}, h('h1', null, '页面加载失败'), h('p', {class: 'error-text'}, errorText(e)),
      h('button', {type: 'button', class: 'btn', onclick: () => route()}, '重试')));
  }
}

window.addEventListener('hashchange', () => { hideBanner(); route(); });
window.addEventListener('examd:unauthenticated', () => {
  resetModel();
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('examd.after-login', location.hash);
    sessionStorage.setItem('examd.login-reason', '登录已过期，请重新登录。');
    location.hash = '#/login';
  }
});

// Another tab signed in or out: follow it.
window.addEventListener('storage', (e) => {
  if (e.key === 'examd.token' && !e.newValue && !location.hash.startsWith('#/login')) location.hash = '#/login';
});

async function boot() {
  // A stored session is checked once so that a stale token does not show a broken page.
  if (session.token) {
    try {
      session.setUser(await get('/me'));
    } catch (e) {
      if (e.status !== 401 && e.status !== 0) session.clear();
    }
  }
  route();
}

boot();
