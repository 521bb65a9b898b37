// 员工查询: find employees by department and grade; open a profile; add an employee.
import {h, field, select, table, replace, uid} from '../dom.js';
import {get, post, qs, errorText} from '../api.js';
import {gradeName} from '../model.js';

export async function render(main, ctx) {
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort();
  const listId = uid('depts');
  const dept = h('input', {type: 'text', list: listId, value: p.get('department') || '', placeholder: '全部部门'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const form = h('form', {class: 'filters panel', 'aria-label': '查询员工'},
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('职级', grade).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('#/hr/employees' + qs({department: dept.value.trim(), grade: grade.value}));
  });

  const users = p.get('department') || p.get('grade')
    ? (await get('/users' + qs({role: 'employee', department: p.get('department'), grade: p.get('grade')}))).users || []
    : all;
  const rows = users.map((u) => h('tr', {class: u.active === false ? 'row-retired' : null},
    h('td', {translate: 'no'}, h('a', {href: `#/hr/employee/${encodeURIComponent(u.username)}`}, u.name || u.username)),
    h('td', {translate: 'no'}, u.username),
    h('td', null, u.department || '—'),
    h('td', null, gradeName(u.grade)),
    h('td', null, u.active === false ? '已停用' : '在职'),
    h('td', null, h('a', {href: `#/hr/employee/${encodeURIComponent(u.username)}`, class: 'btn btn-small'}, '能力画像'))));

  main.append(h('div', {class: 'page-head'}, h('h1', null, '员工查询'),
    h('p', {class: 'muted'}, h('a', {href: '#/hr/profiles' + qs({department: p.get('department'), grade: p.get('grade')})}, '查看部门能力画像与差距热力图'))),
  form,
  h('p', {class: 'muted', role: 'status'}, `共 ${users.length} 人`),
  users.length ? table(['姓名', '用户名', '部门', '职级', '状态', ''], rows, {caption: '员工列表', scrollable: true})
    : h('p', {class: 'panel'}, '没有符合条件的员工。'),
  createForm(ctx, departments));
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
