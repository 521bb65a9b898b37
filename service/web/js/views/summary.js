// 部门汇总 (hr, admin): per item, the department's mean actual value, 达标率 (meets or exceeds among
// those with evidence) and the distribution of values 0..6 (GET /api/v1/profiles/summary).
import {h, field, select, replace, fmtNum, uid, table} from '../dom.js';
import {get, qs} from '../api.js';
import {model, gradeName, categoryName, scaleName} from '../model.js';

const DIST_COLOURS = ['#b71c1c', '#e53935', '#f4a09c', '#fde3c0', '#f7e08a', '#7cc892', '#6f9df0'];

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort();
  const listId = uid('depts');
  const dept = h('input', {type: 'text', list: listId, value: p.get('department') || '', placeholder: '全部部门'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const period = h('input', {type: 'text', value: p.get('period') || '', placeholder: '各人最近的周期'});
  const form = h('form', {class: 'filters panel', 'aria-label': '汇总条件'},
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('职级', grade).wrap, field('评价周期', period).wrap, h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('#/hr/summary' + qs({department: dept.value.trim(), grade: grade.value, period: period.value.trim()}));
  });
  const printBtn = h('button', {type: 'button', class: 'btn'}, '打印');
  printBtn.addEventListener('click', () => window.print());
  const out = h('div', {id: 'summary'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '部门汇总'),
    h('p', {class: 'muted'}, `${p.get('department') || '全部部门'}${p.get('grade') ? ' · ' + gradeName(p.get('grade')) : ''}：各能力项的平均水平、达标率（达标或超标人数 ÷ 有数据人数）与分布。`),
    h('div', {class: 'actions'}, printBtn)), form, out);

  const data = await get('/profiles/summary' + qs({department: p.get('department'), grade: p.get('grade'), period: p.get('period')}));
  if (!data.employees) { replace(out, h('p', {class: 'panel'}, '没有符合条件的员工。')); return; }
  const rows = data.summary.map((s) => {
    const it = m.itemByCode.get(s.item);
    const n = s.assessed || 0;
    const bar = h('span', {class: 'dist-bar', role: 'img', 'aria-label': s.distribution.map((c, v) => `${v} 分 ${c} 人`).join('，')},
      n ? s.distribution.map((c, v) => (c ? h('span', {style: null, class: 'dist-' + v, title: `${v} 分（${scaleName(v)}）：${c} 人`}) : null)) : null);
    // Widths are set through the CSSOM (no inline style attribute: the CSP allows no inline style).
    if (n) [...bar.children].forEach((el) => { const v = Number(el.className.slice(5)); el.style.width = (100 * s.distribution[v] / n) + '%'; el.style.background = DIST_COLOURS[v]; });
    const rate = s.meets_rate === null ? null : Number(s.meets_rate);
    return h('tr', {dataset: {item: s.item}},
      h('th', {scope: 'row'}, s.name_zh || (it && it.name_zh) || s.item, h('span', {class: 'muted small'}, ` ${categoryName(it && it.category)}`)),
      h('td', {class: 'num'}, `${n} / ${data.employees}`),
      h('td', {class: 'num mean'}, fmtNum(s.mean)),
      h('td', {class: ['num', 'rate', rate === null ? null : rate >= 80 ? 'status-meets' : rate < 50 ? 'status-below' : null]}, rate === null ? '—' : fmtNum(rate, 1) + '%'),
      h('td', {class: 'num'}, String(s.below)), h('td', {class: 'num'}, String(s.meets + s.exceeds)), h('td', {class: 'num'}, String(s.missing)),
      h('td', {class: 'bar-cell-dist'}, bar));
  });
  const st = data.statuses;
  const legend = h('p', {class: 'legend heat-legend'}, '分布图例：', DIST_COLOURS.map((c, v) => {
    const sw = h('span', {class: 'swatch'});
    sw.style.background = c;
    return h('span', {class: 'legend-item'}, sw, `${v} 分`);
  }));
  replace(out, h('dl', {class: 'facts facts-row panel'}, h('dt', null, '人数'), h('dd', null, String(data.employees)),
    h('dt', null, '未达标项次'), h('dd', null, String(st.below)), h('dt', null, '达标项次'), h('dd', null, String(st.meets)),
    h('dt', null, '超标项次'), h('dd', null, String(st.exceeds)), h('dt', null, '无数据项次'), h('dd', null, String(st.missing))),
  legend,
  h('div', {class: 'table-scroll sticky-head'}, table(['能力项', ['有数据', 'num'], ['平均', 'num'], ['达标率', 'num'], ['未达标', 'num'], ['达标及以上', 'num'], ['无数据', 'num'], '分布（0–6 分）'], rows,
    {caption: '部门汇总', class: 'summary-table'})));
}
