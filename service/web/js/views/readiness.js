// 晋级准备度: each employee held against the levels of the next grade (GET /api/v1/profiles/readiness),
// ordered 已就绪, 接近就绪, 未就绪, 已是最高职级; filters, counts, the items below or missing, CSV.
import {h, field, select, replace, download, fmtNum, uid} from '../dom.js';
import {get, api, qs, errorText} from '../api.js';
import {model, gradeName, levelName, itemName} from '../model.js';

export const READINESS_NAMES = {ready: '已就绪', nearly: '接近就绪', not_ready: '未就绪', top_grade: '已是最高职级'};
const CHIP = {ready: 'status-exceeds', nearly: 'status-meets', not_ready: 'status-below', top_grade: 'status-missing'};

function shortfalls(e) {
  const out = [];
  for (const it of e.items || []) {
    if (it.status === 'met') continue;
    const name = itemName(it.item);
    out.push(h('span', {class: ['chip', it.status === 'below' ? 'status-below' : 'status-missing'],
      title: `${name}：要求${levelName(it.required_level)}，${it.status === 'below' ? '实际 ' + fmtNum(it.actual, 1, true) : '暂无该级别的证据'}`},
    it.status === 'below' ? `${name} ${fmtNum(it.actual, 1, true)}` : `${name} 无证据`));
  }
  return out;
}

export async function render(main, ctx) {
  model();
  const p = ctx.query;
  const all = (await get('/users?role=employee')).users || [];
  const departments = [...new Set(all.map((u) => u.department).filter(Boolean))].sort();
  const listId = uid('depts');
  const dept = h('input', {type: 'text', list: listId, value: p.get('department') || '', placeholder: '全部部门', id: 'readiness-department'});
  const grade = select([{value: '', label: '全部职级'}, ...[4, 3, 2, 1].map((g) => ({value: String(g), label: gradeName(g)}))], p.get('grade') || '');
  const period = h('input', {type: 'text', value: p.get('period') || '', placeholder: '各人最近的周期'});
  const csvBtn = h('button', {type: 'button', class: 'btn', id: 'readiness-csv'}, '下载 CSV');
  const form = h('form', {class: 'filters panel', 'aria-label': '晋级准备度查询条件'},
    field('部门', dept).wrap, h('datalist', {id: listId}, departments.map((d) => h('option', {value: d}))),
    field('当前职级', grade).wrap, field('评价周期', period).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'), csvBtn);
  const filters = () => ({department: dept.value.trim(), grade: grade.value, period: period.value.trim()});
  form.addEventListener('submit', (e) => { e.preventDefault(); ctx.navigate('#/hr/readiness' + qs(filters())); });
  csvBtn.addEventListener('click', async () => {
    csvBtn.disabled = true;
    try {
      const blob = await api('GET', '/profiles/readiness' + qs({...filters(), format: 'csv'}), {blob: true, timeout: 60000});
      const f = filters();
      download(`晋级准备度-${f.department || '全部部门'}${f.grade ? '-' + f.grade + '级' : ''}-${new Date().toISOString().slice(0, 10)}.csv`,
        new Blob([blob], {type: 'text/csv;charset=utf-8'}));
    } catch (e) {
      ctx.showBanner('下载失败：' + errorText(e));
    } finally {
      csvBtn.disabled = false;
    }
  });
  const out = h('div');
  main.append(h('div', {class: 'page-head'}, h('h1', null, '晋级准备度'),
    h('p', {class: 'muted'}, '按下一职级（职级 g−1）各项的要求级别衡量：证据只在其考试或评价的级别上计入。' +
      '接近就绪 = 无缺项，至多 2 项低于要求且每项差距不超过 1 分。')), form, out);

  let data;
  try {
    data = await get('/profiles/readiness' + qs({department: p.get('department'), grade: p.get('grade'), period: p.get('period')}),
      {timeout: 60000});
  } catch (e) {
    replace(out, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取晋级准备度：' + errorText(e)));
    return;
  }
  const rows = data.employees || [];
  if (!rows.length) { replace(out, h('p', {class: 'panel'}, '没有符合条件的员工。')); return; }
  const counts = data.counts || {};
  const summary = h('div', {class: 'chips', role: 'status', id: 'readiness-counts'},
    Object.keys(READINESS_NAMES).map((k) => h('span', {class: ['chip', CHIP[k]]}, `${READINESS_NAMES[k]} ${counts[k] ?? 0} 人`)));
  const shown = rows.slice(0, 2000);
  const body = shown.map((e) => h('tr', {'data-status': e.status},
    h('th', {scope: 'row', translate: 'no'}, h('a', {href: `#/hr/employee/${encodeURIComponent(e.username)}` + (e.period ? '?period=' + encodeURIComponent(e.period) : '')},
      e.name || e.username), h('span', {class: 'muted small'}, ` ${e.username}`)),
    h('td', {translate: 'no'}, e.department || '—'),
    h('td', null, e.grade != null ? gradeName(e.grade) : '—'),
    h('td', null, e.next_grade != null ? gradeName(e.next_grade) : '—'),
    h('td', null, h('span', {class: ['chip', CHIP[e.status]]}, READINESS_NAMES[e.status] || e.status)),
    h('td', {class: 'num'}, e.status === 'top_grade' ? '—' : String(e.met ?? '—')),
    h('td', {class: 'num'}, e.status === 'top_grade' ? '—' : String(e.below ?? '—')),
    h('td', {class: 'num'}, e.status === 'top_grade' ? '—' : String(e.missing ?? '—')),
    h('td', {class: 'shortfalls'}, e.status === 'top_grade' ? h('span', {class: 'muted'}, '无更高职级') : shortfalls(e))));
  replace(out, summary,
    h('p', {class: 'muted'}, `共 ${rows.length} 人${rows.length > shown.length ? `，显示前 ${shown.length} 人（完整名单请下载 CSV）` : ''}`),
    h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '晋级准备度名单'},
      h('table', {class: 'data', id: 'readiness-table'},
        h('thead', null, h('tr', null, ['员工', '部门', '当前职级', '下一职级', '准备度', '达标', '低于要求', '缺少证据', '差距与缺项']
          .map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', null, body))));
}
