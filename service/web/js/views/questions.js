// 试题浏览: search and filter questions (item, subtopic, level, type, state, stem text) page by
// page; preview a question as the employee sees it; edit it (a new version, through the bank
// import with the same external_id); retire it after seeing which blueprints it would break;
// re-activate a retired one; export the active bank as CSV.
import {h, field, select, replace, confirmDialog, download, labelled} from '../dom.js';
import {get, post, del, api, qs, errorText} from '../api.js';
import {model, itemName, levelName, subtopicName, levels, TYPE_NAMES} from '../model.js';
import {rowErrorText} from '../messages.js';
import {pager, PAGE_SIZES} from '../pager.js';

const LETTERS = 'ABCDEFGH';

function answerText(q) {
  if (q.type === 'truefalse') return q.answer === true || q.answer === 'true' ? '正确' : '错误';
  if (Array.isArray(q.answer)) return q.answer.join(q.type === 'fill' ? ' | ' : '');
  return String(q.answer ?? '');
}

// "第 n 号题" for screen readers and titles.
const qLabel = (q) => `第 ${q.id} 号题`;

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const limit = PAGE_SIZES.includes(Number(p.get('limit'))) ? Number(p.get('limit')) : 20;
  const offset = Math.max(0, Number(p.get('offset')) || 0);
  const state = {
    item: p.get('item') || '', subtopic: p.get('subtopic') || '', level: p.get('level') || '',
    type: p.get('type') || '', active: p.has('active') ? p.get('active') : 'true', q: p.get('q') || '',
  };

  const search = h('input', {type: 'search', value: state.q, placeholder: '题干或编号中的文字', maxlength: '100'});
  const itemSel = select([{value: '', label: '全部知识项'}, ...m.examItems.map((i) => ({value: i.code, label: i.name_zh}))], state.item);
  const subSel = select([], '');
  const levelSel = select([{value: '', label: '全部级别'}, ...levels().map((l) => ({value: l.code, label: l.name_zh}))], state.level);
  const typeSel = select([{value: '', label: '全部题型'}, ...Object.entries(TYPE_NAMES).map(([value, label]) => ({value, label}))], state.type);
  const activeSel = select([{value: 'true', label: '在用'}, {value: 'false', label: '已停用'}, {value: '', label: '全部'}], state.active);
  const sizeSel = select(PAGE_SIZES.map((n) => ({value: String(n), label: `每页 ${n} 题`})), String(limit));
  const fillSubs = (val) => {
    replace(subSel);
    subSel.appendChild(h('option', {value: ''}, '全部知识点'));
    const it = m.itemByCode.get(itemSel.value);
    for (const s of it ? it.subtopics : []) subSel.appendChild(h('option', {value: s.code, selected: s.code === val}, s.name_zh));
    subSel.disabled = !it;
  };
  fillSubs(state.subtopic);
  itemSel.addEventListener('change', () => fillSubs(''));

  const go = (over = {}) => {
    const q = new URLSearchParams();
    const v = {item: itemSel.value, subtopic: subSel.value, level: levelSel.value, type: typeSel.value,
      q: search.value.trim(), limit: sizeSel.value, offset: 0, ...over};
    for (const [k, x] of Object.entries(v)) if (x !== '' && x !== undefined && x !== 0 && x !== '0') q.set(k, x);
    q.set('active', activeSel.value);
    ctx.navigate('#/trainer/questions?' + q);
  };
  const form = h('form', {class: 'filters panel', 'aria-label': '筛选试题', role: 'search'},
    field('搜索', search).wrap, field('知识项', itemSel).wrap, field('知识点', subSel).wrap, field('级别', levelSel).wrap,
    field('题型', typeSel).wrap, field('状态', activeSel).wrap, field('每页', sizeSel).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => { e.preventDefault(); go(); });

  const exportBtn = h('button', {type: 'button', class: 'btn', id: 'export-bank'}, '导出在用题库（CSV）');
  exportBtn.addEventListener('click', async () => {
    exportBtn.disabled = true;
    try {
      const blob = await api('GET', '/questions' + qs({item: state.item, active: 'true', format: 'csv'}), {blob: true, timeout: 60000});
      download(`题库${state.item ? '-' + itemName(state.item) : ''}.csv`, blob);
    } catch (e) {
      ctx.showBanner('导出失败：' + errorText(e));
    } finally {
      exportBtn.disabled = false;
    }
  });

  const out = h('div', {id: 'question-list'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '试题浏览'),
    h('p', {class: 'muted'}, '搜索、预览、修改和停用题目。修改会生成新版本（旧版本停用，已考答卷保留原题）；停用前会列出受影响的试卷蓝图。'),
    h('div', {class: 'actions'}, exportBtn,
      h('span', {class: 'muted small'}, '导出的文件用中文表头，可在 Excel 中修改后到“题库管理”重新导入（未改动的题目显示为“未变化”）。'))),
  form, out);

  const params = {item: state.item, subtopic: state.subtopic, level: state.level, type: state.type,
    active: state.active, q: state.q, limit, offset};
  const data = await get('/questions' + qs(params));
  const list = data.questions || [];
  const total = data.total ?? list.length;
  const reload = () => ctx.navigate(location.hash);
  const cards = list.map((q) => card(q, ctx, reload));
  const pages = () => pager({total, offset, limit, onPage: (o) => go({offset: o}), label: '试题分页'});
  replace(out, h('p', {class: 'muted', role: 'status', id: 'question-total'}, `共 ${total} 题`),
    list.length ? [pages(), h('ul', {class: 'q-cards', 'aria-label': '试题列表'}, cards), pages()]
      : h('p', {class: 'panel'}, '没有符合条件的题目。'));
}

function card(q, ctx, reload) {
  const state = h('span', {class: ['chip', q.active ? 'status-meets' : 'status-missing']}, q.active ? '在用' : '已停用');
  const actions = h('div', {class: 'actions'});
  const preview = h('button', {type: 'button', class: 'btn btn-small', 'aria-label': `预览${qLabel(q)}`}, '预览');
  preview.addEventListener('click', () => showPreview(q));
  actions.append(preview);
  if (q.active) {
    const edit = h('button', {type: 'button', class: 'btn btn-small', 'aria-label': `修改${qLabel(q)}`}, '修改');
    edit.addEventListener('click', () => editQuestion(q, ctx, reload));
    const retire = h('button', {type: 'button', class: 'btn btn-small btn-danger-ghost', 'aria-label': `停用${qLabel(q)}`}, '停用');
    retire.addEventListener('click', () => retireQuestion(q, ctx, reload));
    actions.append(edit, retire);
  } else {
    const activate = h('button', {type: 'button', class: 'btn btn-small', 'aria-label': `重新启用${qLabel(q)}`}, '重新启用');
    activate.addEventListener('click', () => activateQuestion(q, ctx, reload));
    actions.append(activate);
  }
  return h('li', {class: ['q-card', 'panel', q.active ? null : 'row-retired'], dataset: {qid: String(q.id), ext: q.external_id || ''}},
    h('div', {class: 'q-card-head'},
      h('span', null, `${q.id} 号`), q.external_id ? h('span', {translate: 'no'}, '编号 ' + q.external_id) : null,
      h('span', {class: 'tag'}, itemName(q.item)), h('span', null, subtopicName(q.item, q.subtopic)),
      h('span', {class: 'tag tag-light'}, levelName(q.level)), h('span', {class: 'tag tag-light'}, TYPE_NAMES[q.type] || q.type),
      h('span', null, `${q.points} 分`), h('span', {class: 'q-version'}, `第 ${q.version ?? 1} 版`), state),
    h('p', {class: 'q-card-stem', translate: 'no'}, q.stem),
    q.options && q.options.length ? h('ol', {class: 'opt-list', type: 'A', translate: 'no'}, q.options.map((o) => h('li', null, o))) : null,
    h('p', {class: 'q-card-answer'}, '答案：', h('strong', {translate: 'no'}, answerText(q))),
    q.explanation ? h('p', {class: 'muted small'}, '解析：', h('span', {translate: 'no'}, q.explanation)) : null,
    actions);
}

// As the employee sees it: options shuffled and labelled A, B, … in the shown order; no key.
function showPreview(q) {
  const order = (q.options || []).map((o, i) => ({o, r: Math.random(), i})).sort((a, b) => a.r - b.r);
  let body;
  if (q.type === 'fill') {
    body = h('div', {class: 'fill-wrap'}, labelled('填写答案', h('input', {type: 'text', placeholder: '在此填写答案', disabled: true})));
  } else if (q.type === 'truefalse') {
    body = h('div', {class: 'options'}, ['正确', '错误'].map((t, i) => h('label', {class: 'option'},
      h('input', {type: 'radio', name: 'pv', disabled: true}), h('span', {class: 'opt-id'}, LETTERS[i]), h('span', {class: 'opt-text'}, t))));
  } else {
    body = h('div', {class: 'options'}, order.map((x, k) => h('label', {class: 'option'},
      h('input', {type: q.type === 'multiple' ? 'checkbox' : 'radio', name: 'pv', disabled: true}),
      h('span', {class: 'opt-id'}, LETTERS[k]), h('span', {class: 'opt-text', translate: 'no'}, x.o))));
  }
  confirmDialog({
    title: '预览（员工看到的样子）',
    body: [h('p', {class: 'q-meta'}, h('span', {class: 'tag'}, TYPE_NAMES[q.type]), ` ${subtopicName(q.item, q.subtopic)} · ${q.points} 分`),
      h('p', {class: 'q-stem', translate: 'no'}, q.stem), body,
      h('p', {class: 'muted small'}, '选项顺序每次考试随机打乱，字母按显示顺序重新编排；交卷前不显示答案和解析。')],
    ok: '关闭', cancel: '返回', wide: true,
  });
}

// The edit form: a one-question JSON bank with the same external_id (a new version, as re-import).
function editQuestion(q, ctx, reload) {
  const m = model();
  const it = m.itemByCode.get(q.item);
  const sub = select(it.subtopics.map((s) => ({value: s.code, label: s.name_zh})), q.subtopic);
  const lv = select(levels().map((l) => ({value: l.code, label: l.name_zh})), q.level);
  const type = select(Object.entries(TYPE_NAMES).map(([value, label]) => ({value, label})), q.type);
  const stem = h('textarea', {rows: '3', required: true}, q.stem);
  stem.value = q.stem;
  const opts = LETTERS.split('').map((L, i) => h('input', {type: 'text', value: (q.options || [])[i] || ''}));
  const optFields = opts.map((o, i) => field(`选项 ${LETTERS[i]}`, o).wrap);
  const optBox = h('div', {class: 'edit-options'}, optFields);
  const answer = h('input', {type: 'text', value: q.type === 'truefalse' ? (q.answer === true ? '对' : '错') : answerText(q).replace(/ \| /g, '|')});
  const points = h('input', {type: 'number', min: '0.5', step: '0.5', value: String(q.points)});
  const expl = h('textarea', {rows: '2'});
  expl.value = q.explanation || '';
  const ext = h('input', {type: 'text', value: q.external_id || '', required: !q.external_id, readOnly: !!q.external_id, maxlength: '100'});
  const hint = h('p', {class: 'hint'});
  const sync = () => {
    const t = type.value;
    optBox.hidden = t === 'truefalse' || t === 'fill';
    hint.textContent = {single: '答案填一个字母，如 B', multiple: '答案填两个以上字母，如 ACD', truefalse: '答案填“对”或“错”',
      fill: '可接受的多种写法用“|”分隔，如 第五代|5G'}[t];
  };
  type.addEventListener('change', sync);
  sync();
  const errBox = h('div', {'aria-live': 'polite'});
  return confirmDialog({
    title: `修改${qLabel(q)}`,
    wide: true,
    body: [
      h('p', {class: 'muted small'}, `保存后生成第 ${(q.version ?? 1) + 1} 版，旧版本停用；已考答卷保留当时的题目。`),
      h('div', {class: 'form-row'}, field('知识点', sub).wrap, field('级别', lv).wrap, field('题型', type).wrap,
        field('分值', points).wrap),
      field('题干', stem).wrap, optBox, field('答案', answer).wrap, hint, field('解析', expl).wrap,
      field('编号', ext, q.external_id ? '编号不变：导入时按编号识别为同一题的新版本' : '此题没有编号：请填写一个编号，保存后旧题停用').wrap,
      errBox],
    ok: '保存为新版本',
    onConfirm: async () => {
      replace(errBox);
      const t = type.value;
      const row = {item: q.item, subtopic: sub.value, level: lv.value, type: t, stem: stem.value.trim(),
        points: Number(points.value), explanation: expl.value.trim(), external_id: ext.value.trim()};
      if (t === 'single' || t === 'multiple') {
        const o = opts.map((x) => x.value.trim());
        while (o.length && !o[o.length - 1]) o.pop();
        row.options = o;
      }
      const a = answer.value.trim();
      row.answer = t === 'truefalse' ? a : t === 'fill' ? a.split('|').map((x) => x.trim()) : a.toUpperCase().replace(/[\s,，]/g, '');
      if (!row.external_id) throw new Error('请填写编号。');
      let res;
      try {
        res = await api('POST', '/banks', {json: {questions: [row]}, timeout: 60000});
      } catch (e) {
        const errs = e.body && e.body.errors;
        if (errs && errs.length) {
          replace(errBox, h('ul', {class: 'form-error'}, errs.map((x) => h('li', null, rowErrorText(x)))));
          throw new Error('内容校验未通过，请按提示修改。');
        }
        throw new Error('保存失败：' + errorText(e));
      }
      if (res.unchanged) throw new Error('内容没有变化。');
      // A question without an external_id became a new question: retire the old one.
      if (!q.external_id) {
        try { await del(`/questions/${q.id}`); } catch (e) { ctx.showBanner('新版本已保存，但旧题停用失败：' + errorText(e), 'warn'); }
      }
      ctx.showBanner(`${qLabel(q)}已修改：新版本已启用，旧版本已停用。`, 'info');
      setTimeout(reload, 0);
    },
  });
}

function shortageText(x) {
  return `${itemName(x.item)}（${levelName(x.level)}）· ${subtopicName(x.item, x.subtopic)} ${levelName(x.draw_level)}：需 ${x.count} 题，停用后仅剩 ${x.available_after ?? x.available} 题`;
}

async function retireQuestion(q, ctx, reload) {
  let impact;
  try {
    impact = await get(`/questions/${q.id}/impact`);
  } catch (e) {
    ctx.showBanner('无法检查受影响的试卷蓝图：' + errorText(e));
    return;
  }
  const broken = impact.blueprints || [];
  const ok = await confirmDialog({
    title: '停用试题',
    body: [h('p', null, `确定停用${qLabel(q)}？`), h('p', {class: 'muted', translate: 'no'}, q.stem),
      broken.length
        ? h('div', {class: 'form-error', id: 'retire-impact'}, h('p', null, `停用后以下 ${broken.length} 份试卷蓝图将无法组卷，员工将看不到“开始考试”：`),
          h('ul', null, broken.map((x) => h('li', null, shortageText(x)))))
        : h('p', {id: 'retire-impact'}, '不影响任何试卷蓝图。'),
      h('p', null, '停用后该题不再被抽取；已有答卷保留原题快照；可随时重新启用。')],
    ok: broken.length ? '仍然停用' : '停用', danger: true,
    onConfirm: async () => {
      try { await del(`/questions/${q.id}`); } catch (e) { throw new Error('停用失败：' + errorText(e)); }
    },
  });
  if (!ok) return;
  ctx.showBanner(broken.length ? `${qLabel(q)}已停用。请到“试卷蓝图”调整受影响的蓝图。` : `${qLabel(q)}已停用。`, broken.length ? 'warn' : 'info');
  reload();
}

async function activateQuestion(q, ctx, reload) {
  try {
    await post(`/questions/${q.id}/activate`);
    ctx.showBanner(`${qLabel(q)}已重新启用。`, 'info');
    reload();
  } catch (e) {
    ctx.showBanner(e.code === 'conflict' ? `${qLabel(q)}不能重新启用：同一编号的较新版本（或内容相同的题目）正在使用，请修改那一题。`
      : '重新启用失败：' + errorText(e));
  }
}
