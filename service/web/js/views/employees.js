// 员工查询: find employees by name or 工号, department (part of its name), grade and state, page by
// page; edit department, grade (with the date it takes effect), state and password; add an employee.
import {h, field, select, table, replace, uid, confirmDialog} from '../dom.js';
import {pager, byPinyin} from '../pager.js';
import {get, post, patch, qs, errorText} from '../api.js';
import {gradeName} from '../model.js';

const LIMIT = 20;

export async function render(main, ctx) {
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort(byPinyin);
  const listId = uid('depts');
  const text = h('input', {type: 'search', value: p.get('q') || '', placeholder: '姓名或工号', maxlength: '100'});
  const dept = h('input', {type: 'text', list: listId, value: p.get('department_like') || p.get('department') || '', placeholder: '全部部门（可只填部分文字）'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const active = select([{value: '', label: '全部'}, {value: 'true', label: '在职'}, {value: 'false', label: '已停用'}], p.get('active') || '');
  const form = h('form', {class: 'filters panel', 'aria-label': '查询员工'},
    field('姓名或工号', text).wrap,
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('职级', grade).wrap, field('状态', active).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  const go = (over = {}) => ctx.navigate('#/hr/employees' + qs({q: text.value.trim(), department_like: dept.value.trim(),
    grade: grade.value, active: active.value, ...over}));
  form.addEventListener('submit', (e) => { e.preventDefault(); go(); });

  const offset = Math.max(0, Number(p.get('offset')) || 0);
  const data = await get('/users' + qs({role: 'employee', q: p.get('q'), department_like: p.get('department_like') || p.get('department'),
    grade: p.get('grade'), active: p.get('active'), limit: LIMIT, offset}));
  const users = data.users || [];
  const total = data.total ?? users.length;
  const reload = () => ctx.navigate(location.hash);
  const rows = users.map((u) => {
    // The label names the person (user data): kept out of the English-text scan like other names.
    const edit = h('button', {type: 'button', class: 'btn btn-small', translate: 'no', 'aria-label': `编辑：${u.name || u.username}`}, '编辑');
    edit.addEventListener('click', () => editUser(u, departments, ctx, reload));
    return h('tr', {class: u.active === false ? 'row-retired' : null, dataset: {username: u.username}},
      h('td', {translate: 'no'}, h('a', {href: `#/hr/employee/${encodeURIComponent(u.username)}`}, u.name || u.username)),
      h('td', {translate: 'no'}, u.username),
      h('td', {translate: 'no'}, u.department || '—'),
      h('td', {class: 'grade-cell'}, gradeName(u.grade)),
      h('td', null, u.active === false ? '已停用' : '在职'),
      h('td', null, h('div', {class: 'actions', style: null}, edit,
        h('a', {href: `#/hr/employee/${encodeURIComponent(u.username)}`, class: 'btn btn-small'}, '能力画像'))));
  });
  const pages = () => pager({total, offset, limit: LIMIT, label: '员工分页', onPage: (o) => go({offset: o || ''})});

  main.append(h('div', {class: 'page-head'}, h('h1', null, '员工查询'),
    h('p', {class: 'muted'}, h('a', {href: '#/hr/profiles' + qs({department: p.get('department'), grade: p.get('grade')})}, '查看部门能力画像与差距热力图'))),
  form,
  h('p', {class: 'muted', role: 'status'}, `共 ${total} 人`),
  users.length ? h('div', null, pages(), table(['姓名', '工号', '部门', '职级', '状态', '操作'], rows, {caption: '员工列表', scrollable: true}), pages())
    : h('p', {class: 'panel'}, '没有符合条件的员工。'),
  createForm(ctx, departments));
}

// Today's date in Beijing time, as a date input holds it.
function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// 编辑: department, grade with the date it takes effect, state, a new password (PATCH /users/{u}).
function editUser(u, departments, ctx, reload) {
  const dept = h('input', {type: 'text', value: u.department || '', maxlength: '200', list: 'edit-depts'});
  const grade = select([4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)})), String(u.grade ?? ''));
  const from = h('input', {type: 'date', value: today()});
  const state = select([{value: 'true', label: '在职'}, {value: 'false', label: '停用（不能登录）'}], String(u.active !== false));
  const password = h('input', {type: 'password', autocomplete: 'new-password', minlength: '8', placeholder: '不修改请留空'});
  const fromField = field('职级生效日期', from, '默认今天；填过去的日期会按新职级重算该日之后的能力画像');
  const syncFrom = () => { fromField.wrap.hidden = grade.value === String(u.grade ?? ''); };
  grade.addEventListener('change', syncFrom);
  syncFrom();
  return confirmDialog({
    title: `编辑员工：${u.name || u.username}`,
    body: [h('p', {class: 'muted small', translate: 'no'}, `工号 ${u.username}`),
      h('datalist', {id: 'edit-depts'}, departments.map((d) => h('option', {value: d}))),
      field('部门', dept).wrap, field('职级', grade).wrap, fromField.wrap, field('状态', state).wrap,
      field('重置密码', password, '至少 8 位；保存后该员工需用新密码重新登录').wrap],
    ok: '保存',
    onConfirm: async () => {
      const body = {};
      if (dept.value.trim() !== (u.department || '')) body.department = dept.value.trim();
      if (grade.value !== String(u.grade ?? '')) {
        body.grade = Number(grade.value);
        if (from.value && from.value !== today()) body.grade_effective_from = `${from.value}T00:00:00+08:00`;
      }
      if (state.value !== String(u.active !== false)) body.active = state.value === 'true';
      if (password.value) body.password = password.value;
      if (!Object.keys(body).length) return;
      try {
        await patch(`/users/${encodeURIComponent(u.username)}`, body);
      } catch (e) {
        throw new Error('保存失败：' + (e.code === 'validation_failed' && body.password ? '密码不符合要求（至少 8 位，且不能过于简单）' : errorText(e)));
      }
      const notes = [];
      if (body.grade) notes.push(`职级改为${gradeName(body.grade)}${body.grade_effective_from ? `（自 ${from.value} 起）` : ''}`);
      if (body.department !== undefined) notes.push(`部门改为“${body.department || '无'}”`);
      if (body.active !== undefined) notes.push(body.active ? '已恢复在职' : '已停用');
      if (body.password) notes.push('密码已重置');
      ctx.showBanner(`${u.name || u.username}：${notes.join('，')}。`, 'info');
      setTimeout(reload, 0);
    },
  });
}

function createForm(ctx, departments) {
  const username = h('input', {type: 'text', required: true, autocomplete: 'off', pattern: '[A-Za-z0-9._-]{1,64}'});
  const name = h('input', {type: 'text', required: true});
  const dept = h('input', {type: 'text', value: departments[0] || '政企客户部'});
  const grade = select([4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)})), '4');
  const password = h('input', {type: 'password', required: true, autocomplete: 'new-password', minlength: '8'});
  const msg = h('div', {'aria-live': 'polite'});
  const form = h('form', {class: 'grid-form'},
    field('用户名', username).wrap, field('姓名', name).wrap, field('部门', dept).wrap, field('职级', grade).wrap,
    field('初始密码', password, '至少 8 位').wrap,
    h('div', {class: 'actions'}, h('button', {type: 'submit', class: 'btn btn-primary'}, '新建员工')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/users', {username: username.value.trim(), name: name.value.trim(), role: 'employee',
        grade: Number(grade.value), department: dept.value.trim(), password: password.value});
      replace(msg, h('p', {class: 'notice notice-ok', role: 'status'}, `已新建员工 ${username.value.trim()}。`));
      form.reset();
    } catch (err) {
      replace(msg, h('p', {class: 'form-error', role: 'alert'}, '新建失败：' + errorText(err)));
    }
  });
  return h('details', {class: 'panel'}, h('summary', null, '新建员工'), form);
}
