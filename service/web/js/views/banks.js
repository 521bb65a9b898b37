// 题库管理: upload a bank file (CSV or JSON), always as a dry run first; the row/column error
// report is shown as a table; the real import is offered once the dry run is clean. The report
// also shows the bank checks (warnings, never refusals) and the surface-cue baseline of each exam
// beside the exam bands (SPEC §4.6a).
import {h, field, table, replace, download} from '../dom.js';
import {rowErrorText, columnZh, excelRow} from '../messages.js';
import {api, errorText} from '../api.js';
import {loadModel, model, itemName, levelName} from '../model.js';

// One Chinese text per warning code (the server's English message is for API clients).
export const WARNING_ZH = {
  key_longest: '正确答案是最长的选项',
  few_options: '单选题选项少于 4 个',
  few_distractors: '多选题错误选项少于 2 个',
  absolute_wording: '判断题含绝对化用词（如“一定”“所有”）',
  answer_leak: '填空答案出现在同一知识项的其他题目中',
  stem_gives_answer: '题干泄露了答案（含答案原文或英文首字母缩写）',
  near_duplicate: '与另一道题几乎相同',
  single_fill_answer: '填空题只接受一种答案写法',
  key_position_bias: '同一知识点同一级别中正确答案过多集中在同一字母',
};

// The band a standard score reaches (bands of the model in force; the score rounded as for results).
function bandOf(score) {
  const m = model();
  if (!m || !Array.isArray(m.exam_bands) || score === null || score === undefined) return null;
  const s = Math.round(Number(score));
  let best = 0;
  for (const b of m.exam_bands) if (s >= Number(b.min) && b.score > best) best = b.score;
  return best;
}

function bandsText() {
  const m = model();
  if (!m || !Array.isArray(m.exam_bands)) return '';
  return [...m.exam_bands].sort((a, b) => a.score - b.score).map((b) => `${b.score} 级 ≥ ${b.min}`).join('，');
}

export function warningsView(warnings, total) {
  if (!warnings || !warnings.length) return h('p', {class: 'hint', id: 'bank-warnings-none'}, '质量检查：未发现问题。');
  const counts = {};
  for (const w of warnings) counts[w.code] = (counts[w.code] || 0) + 1;
  const summary = Object.entries(counts).map(([c, n]) => `${WARNING_ZH[c] || c}：${n}`).join('；');
  return h('div', {id: 'bank-warnings'},
    h('h3', null, `质量检查提示（${total ?? warnings.length} 条，仅提示，不影响导入）`),
    h('p', {class: 'hint'}, summary),
    table(['行 / 题号', '编号', '问题'], warnings.map((w) => h('tr', {'data-code': w.code},
      h('td', {class: 'num'}, w.row !== undefined && w.row !== null ? `第 ${excelRow(w.row) ?? w.row} 行` : (w.id !== undefined ? `${w.id} 号题` : '—')),
      h('td', {translate: 'no'}, w.external_id || '—'),
      h('td', {class: 'warn-code'}, WARNING_ZH[w.code] || '其他提示'))), {caption: '质量检查提示', class: 'warning-table', scrollable: true}));
}

export function baselinesView(baselines) {
  if (!baselines || !baselines.length) return null;
  return h('div', {id: 'bank-baselines'},
    h('h3', null, '猜题基线分（只凭答题技巧、不懂知识时的期望标准分）'),
    table(['知识项', '级别', ['基线分', 'num'], '对应等级', '依据'], baselines.map((b) => {
      const band = bandOf(b.score);
      return h('tr', {class: band !== null && band >= 2 ? 'baseline-high' : null},
        h('td', null, itemName(b.item)),
        h('td', null, levelName(b.level)),
        h('td', {class: 'num'}, b.score === null || b.score === undefined ? '—' : Number(b.score).toFixed(2)),
        h('td', null, band === null ? '—' : `${band} 级${band >= 2 ? '（偏高：应低于 2 级线）' : ''}`),
        h('td', null, b.blueprint ? '试卷蓝图' : '本文件的知识点（等权）'));
    }), {caption: '猜题基线分', class: 'baseline-table'}),
    h('p', {class: 'hint'}, `考试等级线：${bandsText() || '—'}。基线分应低于 2 级线，否则不懂知识的人也能靠技巧得到等级。`));
}

// Wording of an import report: banks (题目) or ratings (评价).
const WORDING = {
  bank: {noun: '题目', unit: '道'},
  ratings: {noun: '评价', unit: '条'},
};

export function reportView(rep, dryRun, kind = 'bank') {
  const w = WORDING[kind] || WORDING.bank;
  const errors = rep.errors || [];
  const ok = !errors.length && !(rep.rejected > 0);
  const facts = kind === 'bank'
    ? h('dl', {class: 'facts facts-row'},
      h('dt', null, dryRun ? '将新增' : '新增'), h('dd', {id: 'rep-created'}, String(rep.created ?? 0)),
      h('dt', null, dryRun ? '将更新' : '更新'), h('dd', null, String(rep.updated ?? 0)),
      h('dt', null, '未变'), h('dd', null, String(rep.unchanged ?? 0)),
      h('dt', null, '有错误的行'), h('dd', null, String(rep.rejected ?? 0)))
    : h('dl', {class: 'facts facts-row'},
      h('dt', null, dryRun ? '可导入' : '已导入'), h('dd', {id: 'rep-created'}, String(ok ? rep.created ?? 0 : 0)),
      h('dt', null, '有错误的行'), h('dd', null, String(rep.rejected ?? 0)));
  const title = ok ? (dryRun ? '试运行通过：可以正式导入' : '导入成功')
    : (dryRun ? `试运行发现错误：未导入任何${w.noun}` : `导入失败：未导入任何${w.noun}`);
  const enc = rep.encoding === 'gb18030' ? h('p', {class: 'hint', id: 'rep-encoding'}, '已识别为 GBK（Excel 默认的中文 CSV 编码）并自动转换。') : null;
  return h('section', {class: ['panel', 'report', ok ? 'report-ok' : 'report-bad'], 'aria-live': 'polite', id: kind === 'bank' ? 'bank-report' : 'ratings-report'},
    h('h2', null, title), facts, enc,
    errors.length ? table(['行', '列', '错误说明'], errors.map((e) => h('tr', {'data-code': e.code || ''},
      h('td', {class: 'num err-row'}, excelRow(e.row) ? `第 ${excelRow(e.row)} 行` : '表头 / 整个文件'),
      h('td', {class: 'err-col'}, columnZh(e.column) || '—'),
      h('td', null, rowErrorText(e)))), {caption: '错误明细', class: 'error-table', scrollable: true}) : null,
    errors.length ? h('p', {class: 'hint'}, `行号与 Excel 中的行号一致（表头为第 1 行）。修正文件后请${kind === 'bank' || dryRun ? '重新试运行' : '重新导入'}。`) : null,
    Array.isArray(rep.warnings) ? warningsView(rep.warnings) : null,
    baselinesView(rep.baselines));
}

// A template with Chinese headers and one example row, as UTF-8 with BOM (Excel opens it as is).
export function csvTemplate(name, rows) {
  const cell = (v) => (/[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v);
  const text = '\uFEFF' + rows.map((r) => r.map((v) => cell(String(v))).join(',')).join('\r\n') + '\r\n';
  download(name, new Blob([text], {type: 'text/csv;charset=utf-8'}));
}

const BANK_TEMPLATE = [
  ['编号', '知识项', '知识点', '级别', '题型', '题干', 'A', 'B', 'C', 'D', '答案', '分值', '解析'],
  ['GK-001', '通用基础知识', '电信行业概况', '初级', '单选', '对全国电信业实施监督管理的国务院主管部门是？', '工业和信息化部', '国家发展和改革委员会', '国家市场监督管理总局', '国家互联网信息办公室', 'A', '1', '示例：解析在交卷后显示。'],
  ['GK-002', '通用基础知识', '电信行业概况', '初级', '判断', '示例判断题：题干写成一句陈述。', '', '', '', '', '对', '1', ''],
  ['GK-003', '通用基础知识', '电信行业概况', '初级', '填空', '示例填空题：多个可接受答案用竖线分隔。', '', '', '', '', '答案一|答案二', '1', ''],
];

export async function render(main, ctx) {
  await loadModel().catch(() => null); // the bands beside the baselines; the page works without
  const file = h('input', {type: 'file', accept: '.csv,.json,text/csv,application/json', id: 'bank-file'});
  const dryBtn = h('button', {type: 'submit', class: 'btn btn-primary', id: 'dry-run'}, '试运行（不导入）');
  const importBtn = h('button', {type: 'button', class: 'btn', id: 'do-import', disabled: true}, '正式导入');
  const out = h('div', {id: 'bank-result'});
  let checkedFile = null;

  const form = h('form', {class: 'panel upload-form'},
    field('题库文件（CSV 或 JSON）', file, '表头可用中文：知识项、知识点、级别、题型、题干、A…H、答案、分值、解析、编号。Excel 另存为“CSV（逗号分隔）”即可，GBK 与 UTF-8 编码都能识别。').wrap,
    h('div', {class: 'actions'}, dryBtn, importBtn,
      h('button', {type: 'button', class: 'btn btn-ghost', id: 'bank-template', onclick: () => csvTemplate('题库导入模板.csv', BANK_TEMPLATE)}, '下载导入模板')),
    h('p', {class: 'hint'}, '全部或不导入：只要有一行被拒绝，整个文件都不会导入。同一编号且内容相同的题目计为“未变”。'));

  async function upload(dryRun) {
    const f = file.files && file.files[0];
    if (!f) {
      replace(out, h('p', {class: 'form-error', role: 'alert'}, '请先选择题库文件。'));
      file.focus();
      return;
    }
    const type = /\.json$/i.test(f.name) || f.type === 'application/json' ? 'application/json' : 'text/csv';
    dryBtn.disabled = true;
    importBtn.disabled = true;
    replace(out, h('p', {class: 'loading'}, dryRun ? '正在试运行…' : '正在导入…'));
    try {
      const rep = await api('POST', `/banks?dry_run=${dryRun ? 'true' : 'false'}`, {body: f, type, timeout: 120000});
      replace(out, reportView(rep, dryRun));
      checkedFile = dryRun ? f : null;
      importBtn.disabled = !dryRun;
      if (!dryRun) file.value = '';
    } catch (e) {
      if (e.body && Array.isArray(e.body.errors)) replace(out, reportView(e.body, dryRun));
      else replace(out, h('p', {class: 'form-error', role: 'alert'}, '上传失败：' + errorText(e)));
      checkedFile = null;
    } finally {
      dryBtn.disabled = false;
    }
  }

  form.addEventListener('submit', (e) => { e.preventDefault(); upload(true); });
  importBtn.addEventListener('click', () => { if (checkedFile && file.files[0] === checkedFile) upload(false); });
  file.addEventListener('change', () => { importBtn.disabled = true; checkedFile = null; replace(out); });

  main.append(h('div', {class: 'page-head'}, h('h1', null, '题库管理'),
    h('p', {class: 'muted'}, '上传题库文件：先试运行检查，再正式导入。'),
    h('p', null, h('a', {href: '#/trainer/questions'}, '浏览与停用试题'), ' · ', h('a', {href: '#/trainer/blueprints'}, '编辑试卷蓝图'))),
  form, out);
}
