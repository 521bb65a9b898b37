// 考试成绩 (trainer, admin): the closed attempts of one exam (item × level): employee, 第 n 次 of
// the blueprint's maximum, standard score, band, time; name/工号 search, pages and CSV export.
// Names only: trainers do not open profiles.
import {h, field, select, replace, download, fmtNum, fmtTime, table} from '../dom.js';
import {get, api, qs, errorText} from '../api.js';
import {model, levels, levelName, itemName} from '../model.js';
import {pager, PAGE_SIZES} from '../pager.js';
import {bandTag} from './exams.js';

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const item = m.itemByCode.has(p.get('item')) ? p.get('item') : m.examItems[0].code;
  const level = p.get('level') || 'junior';
  const limit = PAGE_SIZES.includes(Number(p.get('limit'))) ? Number(p.get('limit')) : 20;
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  const text = p.get('q') || '';

  const itemSel = select(m.examItems.map((i) => ({value: i.code, label: i.name_zh})), item);
  const levelSel = select(levels().map((l) => ({value: l.code, label: l.name_zh})), level);
  const search = h('input', {type: 'search', value: text, placeholder: '姓名、工号或部门', maxlength: '100'});
  const go = (over = {}) => ctx.navigate('#/trainer/results' + qs({item: itemSel.value, level: levelSel.value,
    q: search.value.trim(), limit: limit === 20 ? '' : limit, offset: '', ...over}));
  const form = h('form', {class: 'filters panel', 'aria-label': '选择考试', role: 'search'},
    field('知识项', itemSel).wrap, field('级别', levelSel).wrap, field('查找员工', search).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => { e.preventDefault(); go(); });
  const csvBtn = h('button', {type: 'button', class: 'btn', id: 'results-csv'}, '下载 CSV');
  csvBtn.addEventListener('click', async () => {
    csvBtn.disabled = true;
    try {
      const blob = await api('GET', `/blueprints/${item}/${level}/results` + qs({q: text, format: 'csv'}), {blob: true, timeout: 60000});
      download(`考试成绩-${itemName(item)}-${levelName(level)}.csv`, blob);
    } catch (e) {
      ctx.showBanner('下载失败：' + errorText(e));
    } finally {
      csvBtn.disabled = false;
    }
  });
  const printBtn = h('button', {type: 'button', class: 'btn'}, '打印');
  printBtn.addEventListener('click', () => window.print());
  const out = h('div', {id: 'results-list'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '考试成绩'),
    h('p', {class: 'muted'}, '每门考试已交卷的答卷：第几次作答、标准分和等级。按姓名拼音排序。'),
    h('div', {class: 'actions'}, csvBtn, printBtn)), form, out);

  let data;
  try {
    data = await get(`/blueprints/${item}/${level}/results` + qs({q: text, limit, offset}));
  } catch (e) {
    replace(out, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取成绩：' + errorText(e)));
    return;
  }
  const list = data.results || [];
  const maxA = data.max_attempts;
  const head = h('h2', null, `${itemName(item)} · ${levelName(level)}`);
  if (!list.length) {
    replace(out, head, h('p', {class: 'panel'}, text ? '没有符合条件的答卷。' : '这门考试还没有人交卷。'));
    return;
  }
  const rows = list.map((x) => h('tr', {dataset: {attempt: String(x.attempt_id)}},
    h('td', {translate: 'no'}, x.name), h('td', {translate: 'no'}, x.username), h('td', {translate: 'no'}, x.department || '—'),
    h('td', {class: 'attempt-no'}, `第 ${x.attempt_no} 次` + (maxA ? `（共 ${maxA} 次）` : '')),
    h('td', {class: 'num'}, fmtNum(x.standard_score)), h('td', null, bandTag(x.band, x.band_name_zh)),
    h('td', null, fmtTime(x.submitted_at), x.status === 'auto_submitted' ? h('span', {class: 'muted small'}, '（超时自动交卷）') : null)));
  const pages = () => pager({total: data.total, offset, limit, label: '成绩分页', onPage: (o) => go({offset: o || ''})});
  replace(out, head, h('p', {class: 'muted', role: 'status'}, `共 ${data.total} 份答卷，${data.employees} 人`),
    pages(), table(['姓名', '工号', '部门', '第几次', ['标准分', 'num'], '等级', '交卷时间'], rows,
      {caption: '考试成绩列表', scrollable: true, class: 'results-table'}), pages());
}
