// 部门能力画像: one row per employee with the 18 actual values as a heat map of gaps, the status
// counts, and the CSV download (GET /api/v1/profiles?format=json|csv).
import {h, field, select, replace, download, fmtNum, uid} from '../dom.js';
import {get, api, qs, errorText} from '../api.js';
import {model, gradeName, STATUS_NAMES} from '../model.js';
import {gapClass} from './profile.js';
import {pager} from '../pager.js';

function rowsOf(data) {
  if (Array.isArray(data)) return data;
  return data.profiles || data.rows || data.employees || data.items || [];
}

// The row's actual value of an item, whatever the row's exact shape.
function actualOf(row, code, index) {
  const src = row.actual || row.actuals || row.values || row.items;
  if (Array.isArray(src)) {
    const x = src.find((i) => i && typeof i === 'object' && i.item === code);
    if (x) return x.actual;
    const v = src[index];
    return v !== null && typeof v === 'object' ? v.actual : v;
  }
  if (src && typeof src === 'object') {
    const v = src[code];
    return v !== null && typeof v === 'object' ? v.actual : v;
  }
  return row[code];
}

function countOf(row, k) {
  const s = row.summary && typeof row.summary === 'object' ? (row.summary.counts || row.summary) : row;
  return s[k] ?? row[k];
}

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort();
  const listId = uid('depts');
  const dept = h('input', {type: 'text', list: listId, value: p.get('department') || '', placeholder: '全部部门'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const period = h('input', {type: 'text', value: p.get('period') || '', placeholder: '各人最近的周期'});
  const csvBtn = h('button', {type: 'button', class: 'btn', id: 'csv-download'}, '下载 CSV');
  const form = h('form', {class: 'filters panel', 'aria-label': '画像查询条件'},
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('职级', grade).wrap, field('评价周期', period).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'), csvBtn);
  const filters = () => ({department: dept.value.trim(), grade: grade.value, period: period.value.trim()});
  form.addEventListener('submit', (e) => { e.preventDefault(); ctx.navigate('#/hr/profiles' + qs(filters())); });
  csvBtn.addEventListener('click', async () => {
    csvBtn.disabled = true;
    try {
      const blob = await api('GET', '/profiles' + qs({...filters(), format: 'csv'}), {blob: true, timeout: 60000});
      const f = filters();
      download(`能力画像-${f.department || '全部部门'}${f.grade ? '-' + f.grade + '级' : ''}-${new Date().toISOString().slice(0, 10)}.csv`,
        new Blob([blob], {type: 'text/csv;charset=utf-8'}));
    } catch (e) {
      ctx.showBanner('下载失败：' + errorText(e));
    } finally {
      csvBtn.disabled = false;
    }
  });
  const out = h('div');
  main.append(h('div', {class: 'page-head'}, h('h1', null, '部门能力画像'),
    h('p', {class: 'muted'}, '每格为该项实际水平（0–6），颜色表示与达标线 5 的差距。')), form, out);

  let data;
  try {
    data = await get('/profiles' + qs({department: p.get('department'), grade: p.get('grade'), period: p.get('period'), format: 'json'}));
  } catch (e) {
    replace(out, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取能力画像：' + errorText(e)));
    return;
  }
  const rows = rowsOf(data);
  if (!rows.length) { replace(out, h('p', {class: 'panel'}, '没有符合条件的员工。')); return; }
  const items = m.items;
  const head = h('tr', null, h('th', {scope: 'col', class: 'sticky-col'}, '员工'), h('th', {scope: 'col'}, '职级'),
    items.map((it) => h('th', {scope: 'col', class: 'vert', title: it.name_zh}, h('span', null, it.name_zh))),
    ['below', 'meets', 'exceeds', 'missing'].map((k) => h('th', {scope: 'col', class: 'vert'}, h('span', null, STATUS_NAMES[k]))));
  const rowHtml = (r) => {
    const username = r.username || (r.employee && (r.employee.username || r.employee)) || '';
    const name = r.name || (r.employee && r.employee.name) || username;
    return h('tr', null,
      h('th', {scope: 'row', class: 'sticky-col', translate: 'no'}, h('a', {href: `#/hr/employee/${encodeURIComponent(username)}` +
        (r.period ? '?period=' + encodeURIComponent(r.period) : '')}, name),
      h('span', {class: 'muted small'}, ` ${r.department || ''}${r.period ? ' · ' + r.period : ''}`)),
      h('td', null, String(r.grade ?? '—')),
      items.map((it, i) => {
        const v = actualOf(r, it.code, i);
        const missing = v === null || v === undefined || v === '';
        const gap = missing ? null : Number(v) - 5;
        return h('td', {class: ['heat', gapClass(gap)], translate: 'no', title: `${name} · ${it.name_zh}：${missing ? '无数据' : fmtNum(v, 2, true)}`},
          missing ? '—' : fmtNum(v, 1, true));
      }),
      ['below', 'meets', 'exceeds', 'missing'].map((k) => h('td', {class: 'num'}, String(countOf(r, k) ?? '—'))));
  };
  const legend = h('p', {class: 'legend heat-legend'}, '图例：',
    [['gap-m4', '差 4 及以上'], ['gap-m3', '差 3'], ['gap-m2', '差 2'], ['gap-m1', '差 1 以内'], ['gap-0', '达标'], ['gap-pos', '超标'], ['gap-none', '无数据']]
      .map(([c, t]) => h('span', {class: 'legend-item'}, h('span', {class: ['swatch', c]}), t)));
  // Name or 工号 search and pages of 50, in the browser (the listing comes whole, names in pinyin order).
  const PAGE = 50;
  const find = h('input', {type: 'search', placeholder: '姓名或工号', id: 'heat-search'});
  const tbody = h('tbody');
  const status = h('p', {class: 'muted', role: 'status'});
  const pagerBox = h('div', {class: 'no-print'});
  let offset = 0;
  const show = () => {
    const t = find.value.trim().toLowerCase();
    const hits = t ? rows.filter((r) => String(r.name || '').toLowerCase().includes(t) || String(r.username || '').toLowerCase().includes(t)) : rows;
    if (offset >= hits.length) offset = 0;
    replace(tbody, hits.slice(offset, offset + PAGE).map(rowHtml));
    status.textContent = t ? `共 ${rows.length} 人，找到 ${hits.length} 人` : `共 ${rows.length} 人`;
    replace(pagerBox, hits.length > PAGE ? pager({total: hits.length, offset, limit: PAGE, label: '热力图分页',
      onPage: (o) => { offset = o; show(); }}) : null);
  };
  find.addEventListener('input', () => { offset = 0; show(); });
  show();
  replace(out, h('div', {class: 'filters no-print'}, field('查找员工', find).wrap), status, legend, pagerBox,
    h('div', {class: 'table-wrap heat-wrap table-scroll sticky-head', tabindex: '0', role: 'region', 'aria-label': '能力差距热力图'},
      h('table', {class: 'data heatmap'}, h('caption', {class: 'sr-only'}, '能力差距热力图'), h('thead', null, head), tbody)));
}
