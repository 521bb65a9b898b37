// 评价人质量: per rater and period, ratings given, mean, leniency against the other raters of the same
// employees and items, the share of the single most frequent value and the supervisor-peer agreement,
// with the flags in Chinese (GET /api/v1/raters/quality); CSV.
import {h, field, replace, download, fmtNum} from '../dom.js';
import {api, get, qs, errorText} from '../api.js';
import {model, relationName} from '../model.js';

const FLAG_CLASS = {lenient: 'status-below', severe: 'status-below', single_value: 'status-below', low_agreement: 'status-missing'};
const OP_TEXT = {'>=': '≥', '<=': '≤', '<': '<'};
const METRIC_TEXT = {leniency: '宽严度', mode_share: '单一分值占比', kappa: '加权κ系数'};
const COUNT_TEXT = {leniency: '共同评价', mode_share: '评价', kappa: '上级-同事配对'};

const pct = (x) => (x == null ? '—' : fmtNum(x * 100, 1, true) + '%');
const signed = (x) => (x == null ? '—' : (x > 0 ? '+' : '') + fmtNum(x, 2, true));

export async function render(main, ctx) {
  model();
  const p = ctx.query;
  const period = h('input', {type: 'text', value: p.get('period') || '', placeholder: '最近的周期', id: 'raters-period'});
  const dept = h('input', {type: 'text', value: p.get('department') || '', placeholder: '全部部门', id: 'raters-department'});
  const csvBtn = h('button', {type: 'button', class: 'btn', id: 'raters-csv'}, '下载 CSV');
  const form = h('form', {class: 'filters panel', 'aria-label': '评价人质量查询条件'},
    field('评价周期', period).wrap, field('被评价人部门', dept).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'), csvBtn);
  const filters = () => ({period: period.value.trim(), department: dept.value.trim()});
  form.addEventListener('submit', (e) => { e.preventDefault(); ctx.navigate('#/hr/raters' + qs(filters())); });
  csvBtn.addEventListener('click', async () => {
    csvBtn.disabled = true;
    try {
      const blob = await api('GET', '/raters/quality' + qs({...filters(), format: 'csv'}), {blob: true, timeout: 60000});
      download(`评价人质量-${filters().period || '最近周期'}.csv`, new Blob([blob], {type: 'text/csv;charset=utf-8'}));
    } catch (e) {
      ctx.showBanner('下载失败：' + errorText(e));
    } finally {
      csvBtn.disabled = false;
    }
  });
  const out = h('div');
  main.append(h('div', {class: 'page-head'}, h('h1', null, '评价人质量'),
    h('p', {class: 'muted'}, '每位评价人在一个周期内给出的评价（每位被评价人每项取其最近一次）：宽严度 = 其评分减去其他评价人对同一员工同一项目评分的平均，' +
      '再对各项取平均；一致性为上级与同事对同一员工同一项目评价的配对比较（线性加权κ系数，0..6 分）。')), form, out);
  let data;
  try {
    data = await get('/raters/quality' + qs({period: p.get('period'), department: p.get('department')}), {timeout: 60000});
  } catch (e) {
    replace(out, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取评价人质量：' + errorText(e)));
    return;
  }
  const rules = data.rules || [];
  const ruleName = Object.fromEntries(rules.map((r) => [r.flag, r.name_zh]));
  const a = data.agreement || {};
  const counts = data.counts || {};
  const head = h('div', {class: 'panel'},
    h('p', {id: 'raters-summary', role: 'status'}, `周期 ${data.period || '—'}：${data.raters_count} 位评价人，${data.ratings} 条评价，` +
      `${data.employees} 名被评价人；被标记的评价人 ${counts.flagged_raters ?? 0} 位。`),
    h('p', null, `上级与同事评价一致性：${a.pairs} 对，完全一致 ${pct(a.exact)}，相差不超过 1 分 ${pct(a.within_one)}，` +
      `加权κ系数 ${a.kappa == null ? '无法计算' : fmtNum(a.kappa, 3, true)}。`),
    h('div', {class: 'chips'}, rules.map((r) => h('span', {class: ['chip', FLAG_CLASS[r.flag] || 'status-missing'],
      title: `${METRIC_TEXT[r.metric] || r.metric} ${OP_TEXT[r.op] || r.op} ${r.threshold}，至少 ${r.min_count} 条${COUNT_TEXT[r.metric] || ''}`},
    `${r.name_zh}：${counts[r.flag] ?? 0} 位（${METRIC_TEXT[r.metric] || r.metric} ${OP_TEXT[r.op] || r.op} ${r.metric === 'mode_share' ? pct(r.threshold) : r.threshold}，至少 ${r.min_count} 条${COUNT_TEXT[r.metric] || ''}）`))));
  const raters = data.raters || [];
  if (!raters.length) { replace(out, head, h('p', {class: 'panel'}, '该周期没有评价。')); return; }
  const body = raters.map((r) => h('tr', {'data-rater': r.rater, 'data-flags': (r.flags || []).join(' ')},
    h('th', {scope: 'row', translate: 'no'}, r.name || r.rater, r.name ? h('span', {class: 'muted small'}, ` ${r.rater}`) : null),
    h('td', null, (r.relations || []).map(relationName).join('、')),
    h('td', {class: 'num'}, String(r.ratings)),
    h('td', {class: 'num'}, fmtNum(r.mean, 2, true)),
    h('td', {class: 'num'}, String(r.shared)),
    h('td', {class: 'num'}, signed(r.leniency)),
    h('td', {class: 'num'}, r.mode == null ? '—' : `${r.mode} 分（${pct(r.mode_share)}）`),
    h('td', {class: 'num'}, String(r.agreement.pairs)),
    h('td', {class: 'num'}, pct(r.agreement.exact)),
    h('td', {class: 'num'}, pct(r.agreement.within_one)),
    h('td', {class: 'num'}, r.agreement.kappa == null ? '—' : fmtNum(r.agreement.kappa, 3, true)),
    h('td', null, (r.flags || []).length ? r.flags.map((f) => h('span', {class: ['chip', FLAG_CLASS[f] || 'status-missing']}, ruleName[f] || f))
      : h('span', {class: 'muted'}, '无'))));
  replace(out, head,
    h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '评价人质量'},
      h('table', {class: 'data', id: 'raters-table'},
        h('thead', null, h('tr', null, ['评价人', '关系', '评价数', '平均分', '共同评价', '宽严度', '最常见分值', '配对数', '完全一致', '相差≤1', '加权κ系数', '标记']
          .map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', null, body))));
}
