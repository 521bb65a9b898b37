// 登录: username and password; on success the role's home page (or the page that asked for a login).
import {h, field} from '../dom.js';
import {post, session, errorText} from '../api.js';
import {homeFor, allowedFor} from '../app.js';

export function render(main, ctx) {
  const user = h('input', {type: 'text', name: 'username', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false'});
  const pass = h('input', {type: 'password', name: 'password', autocomplete: 'current-password', required: true});
  const btn = h('button', {type: 'submit', class: 'btn btn-primary btn-block', id: 'login-button'}, '登录');
  const msg = h('p', {class: 'form-error', role: 'alert', hidden: true});
  const reason = sessionStorage.getItem('examd.login-reason');
  sessionStorage.removeItem('examd.login-reason');
  const form = h('form', {class: 'login-form', novalidate: true},
    field('用户名', user).wrap,
    field('密码', pass).wrap,
    msg,
    btn);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.hidden = true;
    if (!user.value.trim() || !pass.value) {
      msg.textContent = '请输入用户名和密码。';
      msg.hidden = false;
      (user.value.trim() ? pass : user).focus();
      return;
    }
    btn.disabled = true;
    btn.textContent = '正在登录…';
    try {
      const r = await post('/login', {username: user.value.trim(), password: pass.value});
      session.set(r.token, r.user);
      const back = sessionStorage.getItem('examd.after-login');
      sessionStorage.removeItem('examd.after-login');
      ctx.navigate(allowedFor(back, r.user) ? back : homeFor(r.user));
    } catch (err) {
      msg.textContent = err.status === 401 ? '用户名或密码错误。' : '登录失败：' + errorText(err);
      msg.hidden = false;
      btn.disabled = false;
      btn.textContent = '登录';
      pass.select();
      pass.focus();
    }
  });
  main.appendChild(h('section', {class: 'login-page'},
    h('div', {class: 'login-card panel'},
      h('h1', null, '登录'),
      h('p', {class: 'muted'}, '政企客户部 · 客户经理能力素质测评'),
      reason ? h('p', {class: 'notice'}, reason) : null,
      form)));
  user.focus();
}
