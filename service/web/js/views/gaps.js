// 差距报告 (hr, admin): who is below the standard on which item, worst first
// (GET /api/v1/profiles/gaps), with department, grade and item filters, name/工号 search and pages.
import {h, field, select, replace, fmtNum, uid, table} from '../dom.js';
import {get, qs} from '../api.js';
import {model, gradeName} from '../model.js';
import {gapClass} from './profile.js';
import {pager} from '../pager.js';

const PAGE = 50;

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort();
  const listId = uid('depts');
  const dept = h('input', {type: 'text', list: listId, value: p.get('department') || '', placeholder: '全部部门'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const item = select([{value: '', label: '全部能力项'}, ...m.items.map((i) => ({value: i.code, label: i.name_zh}))], p.get('item') || '');
  const period = h('input', {type: 'text', value: p.get('period') || '', placeholder: '各人最近的周期'});
  const form = h('form', {class: 'filters panel', 'aria-label': '差距报告条件'},
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('职级', grade).wrap, field('能力项', item).wrap, field('评价周期', period).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('#/hr/gaps' + qs({department: dept.value.trim(), grade: grade.value, item: item.value, period: period.value.trim()}));
  });
  const printBtn = h('button', {type: 'button', class: 'btn'}, '打印');
  printBtn.addEventListener('click', () => window.print());
  const out = h('div', {id: 'gaps-list'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '差距报告'),
    h('p', {class: 'muted'}, '未达标（实际水平低于 5）的员工与能力项，差距最大的排在最前。'), h('div', {class: 'actions'}, printBtn)), form, out);

  const data = await get('/profiles/gaps' + qs({department: p.get('department'), grade: p.get('grade'), item: p.get('item'),
    period: p.get('period'), limit: 100000}));
  const gaps = data.gaps || [];
  if (!gaps.length) { replace(out, h('p', {class: 'panel'}, '没有未达标的项目。')); return; }
  const people = new Set(gaps.map((g) => g.username)).size;
  const find = h('input', {type: 'search', placeholder: '姓名或工号', id: 'gaps-search'});
  const tbodyBox = h('div');
  const status = h('p', {class: 'muted', role: 'status'});
  let offset = 0;
  const show = () => {
    const t = find.value.trim().toLowerCase();
    const hits = t ? gaps.filter((g) => String(g.name).toLowerCase().includes(t) || String(g.username).toLowerCase().includes(t)) : gaps;
    if (offset >= hits.length) offset = 0;
    status.textContent = `共 ${gaps.length} 项未达标，涉及 ${people} 人` + (t ? `；找到 ${hits.length} 项` : '');
    const rows = hits.slice(offset, offset + PAGE).map((g) => h('tr', null,
      h('td', {translate: 'no'}, h('a', {href: `#/hr/employee/${encodeURIComponent(g.username)}` + (g.period ? '?period=' + encodeURIComponent(g.period) : '')}, g.name)),
      h('td', {translate: 'no'}, g.username), h('td', {translate: 'no'}, g.department || '—'), h('td', null, gradeName(g.grade)),
      h('td', null, g.name_zh || m.itemByCode.get(g.item)?.name_zh || g.item, h('span', {class: 'muted small'}, g.source === 'exam' ? '（考试）' : '（行为）')),
      h('td', {class: 'num'}, fmtNum(g.actual, 1, true)),
      h('td', {class: ['num', 'gap', gapClass(Number(g.gap))]}, fmtNum(g.gap, 1, true))));
    replace(tbodyBox, hits.length > PAGE ? pager({total: hits.length, offset, limit: PAGE, label: '差距分页', onPage: (o) => { offset = o; show(); }}) : null,
      h('div', {class: 'table-scroll sticky-head'}, table(['姓名', '工号', '部门', '职级', '能力项', ['实际', 'num'], ['差距', 'num']], rows,
        {caption: '差距报告', class: 'gaps-table'})));
  };
  find.addEventListener('input', () => { offset = 0; show(); });
  show();
  replace(out, h('div', {class: 'filters no-print'}, field('查找员工', find).wrap), status, tbodyBox);
}
