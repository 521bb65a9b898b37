// 行为评价: enter one behaviour rating, or import a CSV of ratings (all or nothing, with the
// row/column error table).
import {h, field, select, replace} from '../dom.js';
import {get, api, post, errorText} from '../api.js';
import {model, relations, levels, gradeName} from '../model.js';
import {reportView, csvTemplate} from './banks.js';

function defaultPeriod() {
  const d = new Date();
  return `${d.getFullYear()}H${d.getMonth() < 6 ? 1 : 2}`;
}

export async function render(main, ctx) {
  const m = model();
  const users = (await get('/users?role=employee')).users || [];
  const employee = select(users.map((u) => ({value: u.username, label: `${u.name || u.username}（${u.username} · ${u.department || ''} · ${gradeName(u.grade)}）`})),
    ctx.query.get('employee') || '', {translate: 'no'});
  const item = select(m.behaviourItems.map((i) => ({value: i.code, label: i.name_zh})), '');
  const score = select((m.rating_scale || []).map((s) => ({value: String(s.score), label: `${s.score} · ${s.name_zh}`})), '5');
  const relation = select(relations().map((r) => ({value: r.code, label: r.name_zh})), 'supervisor');
  const period = h('input', {type: 'text', value: defaultPeriod(), required: true});
  const ratedLevel = select([{value: '', label: '按评价时职级的要求等级'}, ...levels().map((l) => ({value: l.code, label: l.name_zh}))], '');
  const rater = h('input', {type: 'text', placeholder: '留空：记录为当前登录人'});
  const note = h('textarea', {rows: '2', maxlength: '2000'});
  const msg = h('div', {'aria-live': 'polite'});
  const descr = h('p', {class: 'muted small item-descr'});
  const showDescr = () => {
    const it = m.itemByCode.get(item.value);
    descr.textContent = it ? it.definition_zh || '' : '';
  };
  item.addEventListener('change', showDescr);
  showDescr();

  const form = h('form', {class: 'panel grid-form', 'aria-label': '录入行为评价'},
    h('h2', {class: 'span-all'}, '录入一条评价'),
    field('被评价员工', employee).wrap, field('能力项', item).wrap, descr,
    field('评分（0–6）', score, '5 = 达标').wrap, field('评价关系', relation).wrap,
    field('周期', period, '如 2026H1（上半年）、2026H2（下半年）').wrap, field('评价等级', ratedLevel).wrap,
    field('评价人', rater).wrap, field('备注', note).wrap,
    h('div', {class: 'actions span-all'}, h('button', {type: 'submit', class: 'btn btn-primary'}, '保存评价')), msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!employee.value) { replace(msg, h('p', {class: 'form-error', role: 'alert'}, '请选择员工。')); return; }
    const rec = {employee: employee.value, item: item.value, score: Number(score.value), relation: relation.value,
      period: period.value.trim()};
    if (ratedLevel.value) rec.rated_level = ratedLevel.value;
    if (rater.value.trim()) rec.rater = rater.value.trim();
    if (note.value.trim()) rec.note = note.value.trim();
    try {
      await post('/behaviour-ratings', [rec]);
      replace(msg, h('p', {class: 'notice notice-ok', role: 'status'}, '评价已保存。 ',
        h('a', {href: `#/hr/employee/${encodeURIComponent(rec.employee)}?period=${encodeURIComponent(rec.period)}`}, '查看该员工能力画像')));
      note.value = '';
    } catch (err) {
      if (err.body && Array.isArray(err.body.errors)) replace(msg, reportView(err.body, false, 'ratings'));
      else replace(msg, h('p', {class: 'form-error', role: 'alert'}, '保存失败：' + errorText(err)));
    }
  });

  const file = h('input', {type: 'file', accept: '.csv,text/csv', id: 'ratings-file'});
  const out = h('div', {id: 'ratings-result'});
  const dryBtn = h('button', {type: 'submit', class: 'btn btn-primary', id: 'ratings-dry-run'}, '试运行（不导入）');
  const importBtn = h('button', {type: 'button', class: 'btn', id: 'ratings-import', disabled: true}, '正式导入');
  let checkedFile = null;
  const importForm = h('form', {class: 'panel upload-form', 'aria-label': '导入行为评价'},
    h('h2', null, '批量导入（CSV）'),
    field('评价文件（CSV）', file, '表头：员工（工号）、能力项、评分、周期为必填，关系、评价级别、评价时间、备注、评价人可选。Excel 另存为“CSV（逗号分隔）”即可，GBK 与 UTF-8 编码都能识别。全部或不导入：只要有一行有错，整个文件都不会导入。').wrap,
    h('div', {class: 'actions'}, dryBtn, importBtn,
      h('button', {type: 'button', class: 'btn btn-ghost', id: 'ratings-template', onclick: () => csvTemplate('行为评价导入模板.csv', [
        ['员工', '能力项', '评分', '关系', '周期', '评价级别', '评价时间', '备注'],
        [users[0] ? users[0].username : 'emp3', m.behaviourItems[0] ? m.behaviourItems[0].name_zh : '成就导向', '5', '上级', defaultPeriod(), '', '', '示例：评价级别留空表示按职级要求'],
      ])}, '下载导入模板')));
  async function upload(dryRun) {
    const f = file.files && file.files[0];
    if (!f) { replace(out, h('p', {class: 'form-error', role: 'alert'}, '请先选择文件。')); return; }
    dryBtn.disabled = true;
    importBtn.disabled = true;
    replace(out, h('p', {class: 'loading'}, dryRun ? '正在试运行…' : '正在导入…'));
    try {
      const rep = await api('POST', `/behaviour-ratings?dry_run=${dryRun}`, {body: f, type: 'text/csv', timeout: 120000});
      replace(out, reportView(rep || {}, dryRun, 'ratings'));
      checkedFile = dryRun ? f : null;
      importBtn.disabled = !dryRun;
      if (!dryRun) file.value = '';
    } catch (err) {
      if (err.body && Array.isArray(err.body.errors)) replace(out, reportView(err.body, dryRun, 'ratings'));
      else replace(out, h('p', {class: 'form-error', role: 'alert'}, '导入失败：' + errorText(err)));
      checkedFile = null;
    } finally {
      dryBtn.disabled = false;
    }
  }
  importForm.addEventListener('submit', (e) => { e.preventDefault(); upload(true); });
  importBtn.addEventListener('click', () => { if (checkedFile && file.files[0] === checkedFile) upload(false); });
  file.addEventListener('change', () => { importBtn.disabled = true; checkedFile = null; replace(out); });

  main.append(h('div', {class: 'page-head'}, h('h1', null, '行为评价'),
    h('p', {class: 'muted'}, '14 项行为能力按 0–6 分评价（5 = 达标）。同一评价人对同一项的多次评价以最新一次为准。')),
  h('div', {class: 'two-col'}, form, h('div', null, importForm, out)));
}
