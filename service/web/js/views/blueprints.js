// 试卷蓝图: the blueprint of each exam (item × level): time limit, attempts, grading and the draw
// rows, with the pool size (active questions available) shown next to each draw row.
import {h, field, select, replace, fmtLimit, labelled} from '../dom.js';
import {get, put, errorText} from '../api.js';
import {model, levelName, levels, GRADING_NAMES} from '../model.js';

export async function render(main, ctx) {
  const m = model();
  const data = await get('/blueprints');
  const bps = new Map((data.blueprints || []).map((b) => [b.item + '/' + b.level, b]));
  const selItem = ctx.query.get('item') || m.examItems[0].code;
  const selLevel = ctx.query.get('level') || 'junior';

  const nav = h('nav', {class: 'bp-list panel', 'aria-label': '选择试卷'});
  for (const it of m.examItems) {
    const group = h('div', {class: 'bp-group'}, h('h2', {class: 'small-head'}, it.name_zh));
    const ul = h('ul', null);
    for (const lv of levels()) {
      const bp = bps.get(it.code + '/' + lv.code);
      const cur = it.code === selItem && lv.code === selLevel;
      ul.appendChild(h('li', null, h('a', {href: `#/trainer/blueprints?item=${it.code}&level=${lv.code}`,
        class: cur ? 'active' : null, 'aria-current': cur ? 'page' : null},
      lv.name_zh, h('span', {class: 'muted small'}, bp ? ` ${bp.question_count ?? ''} 题 · ${fmtLimit(bp.time_limit_seconds)}` : ' 未设置'),
      bp && bp.broken ? h('span', {class: 'bp-broken small', dataset: {broken: it.code + '/' + lv.code}}, ' · 题量不足，无法组卷') : null)));
    }
    group.appendChild(ul);
    nav.appendChild(group);
  }
  const editor = h('section', {class: 'panel bp-editor', 'aria-label': '蓝图编辑'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '试卷蓝图'),
    h('p', {class: 'muted'}, '每门考试（知识项 × 级别）按蓝图从题库随机抽题。可用题数为当前在用题目数。'),
    (data.blueprints || []).some((b) => b.broken)
      ? h('p', {class: 'form-error', role: 'status'}, `${(data.blueprints || []).filter((b) => b.broken).length} 份蓝图的在用题目不足，员工暂时无法开始这些考试：请补充题目或减少抽题数量。`) : null),
  h('div', {class: 'bp-layout'}, nav, editor));

  const item = m.itemByCode.get(selItem);
  if (!item || item.assessment !== 'exam') { editor.append(h('p', null, '请选择一门考试。')); return; }
  const bp = bps.get(selItem + '/' + selLevel) || {time_limit_seconds: 1800, max_attempts: 3, grading: 'highest',
    draws: item.subtopics.map((s) => ({subtopic: s.code, level: selLevel, count: 3}))};

  // Pool sizes from the active questions of the item, so that edited rows are counted too.
  const pool = new Map();
  let poolLoaded = false;
  const poolOf = (sub, lv) => pool.get(sub + '/' + lv) || 0;

  const minutes = h('input', {type: 'number', min: '0.5', max: '1440', step: '0.5', value: String(bp.time_limit_seconds / 60), required: true});
  const attempts = h('input', {type: 'number', min: '1', max: '100', step: '1', value: String(bp.max_attempts), required: true});
  const grading = select(Object.entries(GRADING_NAMES).map(([value, label]) => ({value, label})), bp.grading);
  const tbody = h('tbody');
  const total = h('p', {class: 'total', role: 'status'});
  const msg = h('div', {'aria-live': 'polite'});
  const rows = [];

  function refresh() {
    let n = 0;
    let short = 0;
    for (const r of rows) {
      const c = Number(r.count.value) || 0;
      n += c;
      const avail = poolLoaded ? poolOf(r.sub.value, r.lv.value) : r.serverAvail;
      r.avail.textContent = avail === undefined ? '…' : String(avail);
      const bad = avail !== undefined && c > avail;
      if (bad) short += 1;
      r.tr.classList.toggle('row-short', bad);
      r.availNote.textContent = bad ? `（不足 ${c - avail} 题）` : '';
    }
    total.textContent = `合计 ${n} 题` + (short ? `；${short} 行可用题目不足，保存会被拒绝` : '');
    total.classList.toggle('warn-text', short > 0);
  }

  function addRow(d) {
    const n = rows.length + 1;
    const sub = select(item.subtopics.map((s) => ({value: s.code, label: s.name_zh})), d.subtopic);
    const lv = select(levels().map((l) => ({value: l.code, label: l.name_zh})), d.level);
    const count = h('input', {type: 'number', min: '1', max: '500', step: '1', value: String(d.count), class: 'count-input'});
    const avail = h('span', {class: 'avail'});
    const availNote = h('span', {class: 'warn-text small'});
    const rm = h('button', {type: 'button', class: 'btn btn-small btn-danger-ghost'}, '删除');
    const tr = h('tr', null, h('td', null, labelled(`第 ${n} 行 知识点`, sub)), h('td', null, labelled(`第 ${n} 行 题目级别`, lv)),
      h('td', null, labelled(`第 ${n} 行 抽题数量`, count)),
      h('td', {class: 'num'}, avail, availNote), h('td', null, rm));
    const r = {tr, sub, lv, count, avail, availNote, serverAvail: d.available};
    rm.setAttribute('aria-label', '删除此抽题行');
    rm.addEventListener('click', () => { rows.splice(rows.indexOf(r), 1); tr.remove(); refresh(); });
    for (const el of [sub, lv, count]) el.addEventListener('input', () => { r.serverAvail = undefined; refresh(); });
    rows.push(r);
    tbody.appendChild(tr);
  }
  for (const d of bp.draws || []) addRow(d);

  const addBtn = h('button', {type: 'button', class: 'btn btn-small'}, '添加抽题行');
  addBtn.addEventListener('click', () => {
    addRow({subtopic: item.subtopics[0].code, level: selLevel, count: 1});
    refresh();
    rows[rows.length - 1].sub.focus();
  });
  const saveBtn = h('button', {type: 'submit', class: 'btn btn-primary'}, '保存蓝图');
  const form = h('form', {class: 'bp-form'},
    h('h2', null, `${item.name_zh} · ${levelName(selLevel)}`),
    bps.has(selItem + '/' + selLevel) ? null : h('p', {class: 'notice'}, '此考试尚无蓝图：以下为建议的初始值，保存后员工即可参加考试。'),
    h('div', {class: 'form-row'},
      field('时间限制（分钟）', minutes).wrap, field('最多考试次数', attempts).wrap, field('计分方式', grading).wrap),
    h('div', {class: 'table-wrap'}, h('table', {class: 'data draws-table'}, h('caption', {class: 'sr-only'}, '抽题规则'),
      h('thead', null, h('tr', null, ['知识点', '题目级别', '抽题数量', '可用题数', ''].map((t) => h('th', {scope: 'col'}, t)))), tbody)),
    h('div', {class: 'actions'}, addBtn, total),
    msg,
    h('div', {class: 'actions'}, saveBtn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      time_limit_seconds: Math.round(Number(minutes.value) * 60),
      max_attempts: Number(attempts.value),
      grading: grading.value,
      draws: rows.map((r) => ({subtopic: r.sub.value, level: r.lv.value, count: Number(r.count.value)})),
    };
    saveBtn.disabled = true;
    replace(msg);
    try {
      await put(`/blueprints/${selItem}/${selLevel}`, body);
      replace(msg, h('p', {class: 'notice notice-ok', role: 'status'}, '蓝图已保存。'));
    } catch (err) {
      replace(msg, h('p', {class: 'form-error', role: 'alert'}, '保存失败：' + errorText(err)));
    } finally {
      saveBtn.disabled = false;
    }
  });
  editor.appendChild(form);
  refresh();

  try {
    const qsData = await get(`/questions?item=${encodeURIComponent(selItem)}&active=true`);
    for (const q of qsData.questions || []) pool.set(q.subtopic + '/' + q.level, (pool.get(q.subtopic + '/' + q.level) || 0) + 1);
    poolLoaded = true;
    refresh();
  } catch (e) {
    ctx.showBanner('无法读取题库数量：' + errorText(e), 'warn');
  }
}
