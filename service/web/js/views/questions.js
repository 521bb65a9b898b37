// 试题浏览: browse questions by item, subtopic, level and state; retire (停用) a question.
import {h, field, select, table, replace, confirmDialog} from '../dom.js';
import {get, del, qs, errorText} from '../api.js';
import {model, itemName, levelName, subtopicName, levels, TYPE_NAMES} from '../model.js';

function answerText(q) {
  if (q.type === 'truefalse') return q.answer === true || q.answer === 'true' ? '正确' : '错误';
  if (Array.isArray(q.answer)) return q.answer.join(q.type === 'fill' ? ' | ' : '');
  return String(q.answer ?? '');
}

export async function render(main, ctx) {
  const m = model();
  const p = ctx.query;
  const itemSel = select([{value: '', label: '全部知识项'}, ...m.examItems.map((i) => ({value: i.code, label: i.name_zh}))], p.get('item') || '');
  const subSel = select([], '');
  const levelSel = select([{value: '', label: '全部级别'}, ...levels().map((l) => ({value: l.code, label: l.name_zh}))], p.get('level') || '');
  const activeSel = select([{value: 'true', label: '在用'}, {value: 'false', label: '已停用'}, {value: '', label: '全部'}],
    p.has('active') ? p.get('active') : 'true');
  const fillSubs = (val) => {
    replace(subSel);
    subSel.appendChild(h('option', {value: ''}, '全部知识点'));
    const it = m.itemByCode.get(itemSel.value);
    for (const s of it ? it.subtopics : []) subSel.appendChild(h('option', {value: s.code, selected: s.code === val}, s.name_zh));
    subSel.disabled = !it;
  };
  fillSubs(p.get('subtopic') || '');
  itemSel.addEventListener('change', () => fillSubs(''));
  const form = h('form', {class: 'filters panel', 'aria-label': '筛选试题'},
    field('知识项', itemSel).wrap, field('知识点', subSel).wrap, field('级别', levelSel).wrap, field('状态', activeSel).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (itemSel.value) q.set('item', itemSel.value);
    if (subSel.value) q.set('subtopic', subSel.value);
    if (levelSel.value) q.set('level', levelSel.value);
    q.set('active', activeSel.value);
    ctx.navigate('#/trainer/questions?' + q);
  });
  const out = h('div');
  main.append(h('div', {class: 'page-head'}, h('h1', null, '试题浏览'),
    h('p', {class: 'muted'}, '按知识项、知识点与级别查看题目；停用的题目不再被抽取，已考答卷保留原题。')), form, out);

  const params = {item: p.get('item'), subtopic: p.get('subtopic'), level: p.get('level'),
    active: p.has('active') ? p.get('active') : 'true'};
  const data = await get('/questions' + qs(params));
  const list = data.questions || [];
  const rows = list.map((q) => {
    const retire = q.active ? h('button', {type: 'button', class: 'btn btn-small btn-danger-ghost', 'aria-label': `停用第 ${q.id} 号题`}, '停用') : null;
    const state = h('span', {class: ['chip', q.active ? 'status-meets' : 'status-missing']}, q.active ? '在用' : '已停用');
    const tr = h('tr', {class: q.active ? null : 'row-retired'},
      h('td', {class: 'num'}, String(q.id)),
      h('td', {translate: 'no'}, q.external_id || '—'),
      h('td', null, itemName(q.item), h('br'), h('span', {class: 'muted small'}, subtopicName(q.item, q.subtopic))),
      h('td', null, levelName(q.level)),
      h('td', null, TYPE_NAMES[q.type] || q.type),
      h('td', {class: 'stem-cell', translate: 'no'}, h('span', null, q.stem),
        q.options && q.options.length ? h('ol', {class: 'opt-list', type: 'A'}, q.options.map((o) => h('li', null, o))) : null,
        q.explanation ? h('p', {class: 'muted small'}, '解析：' + q.explanation) : null),
      h('td', null, answerText(q)),
      h('td', {class: 'num'}, String(q.points)),
      h('td', {class: 'num'}, String(q.version ?? 1)),
      h('td', null, state),
      h('td', null, retire));
    if (retire) {
      retire.addEventListener('click', async () => {
        let warnings = null;
        const ok = await confirmDialog({
          title: '停用试题',
          body: [h('p', null, `确定停用第 ${q.id} 号题？`), h('p', {class: 'muted', translate: 'no'}, q.stem),
            h('p', null, '停用后该题不再被抽取；已有答卷保留原题快照。')],
          ok: '停用', danger: true,
          onConfirm: async () => {
            try { warnings = (await del(`/questions/${q.id}`)) || {}; } catch (e) { throw new Error('停用失败：' + errorText(e)); }
          },
        });
        if (!ok) return;
        replace(state, '已停用');
        state.className = 'chip status-missing';
        tr.classList.add('row-retired');
        retire.remove();
        const w = warnings && warnings.blueprint_warnings;
        if (w && w.length) {
          ctx.showBanner('注意：停用后以下试卷蓝图题量不足：' + w.map((x) => typeof x === 'string' ? x
            : `${itemName(x.item)}（${levelName(x.level)}）· ${subtopicName(x.item, x.subtopic)} ${levelName(x.draw_level)}：需 ${x.count} 题，仅剩 ${x.available} 题`).join('；'), 'warn');
        } else {
          ctx.showBanner(`第 ${q.id} 号题已停用。`, 'info');
        }
      });
    }
    return tr;
  });
  replace(out, h('p', {class: 'muted', role: 'status'}, `共 ${list.length} 题`),
    list.length ? table(['ID', '编号', '知识项 / 知识点', '级别', '题型', '题干与选项', '答案', '分值', '版本', '状态', '操作'], rows,
      {caption: '试题列表', scrollable: true, class: 'questions-table'}) : h('p', {class: 'panel'}, '没有符合条件的题目。'));
}
