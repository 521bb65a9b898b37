// 模型版本: the version list, and a form to create a new version — required levels as a
// grade × item matrix, subtopic weights, exam bands and rater weights — with a live preview of
// what changes against the version in force. Only the changed parts are sent as overrides.
import {h, field, select, table, replace, fmtTime, confirmDialog, labelled} from '../dom.js';
import {actorName} from '../messages.js';
import {get, post, errorText} from '../api.js';
import {loadModel, levels, levelName, itemName, subtopicName, relationName, gradeName, categoryName} from '../model.js';

export async function render(main, ctx) {
  const m = await loadModel(true);
  const [versions, usersData] = await Promise.all([get('/model/versions'), get('/users?role=employee').catch(() => ({users: []}))]);
  const perGrade = {};
  for (const u of usersData.users || []) if (u.active !== false) perGrade[u.grade] = (perGrade[u.grade] || 0) + 1;
  const grades = (m.grades || []).map((g) => g.grade).sort((a, b) => b - a);

  // ------------------------------------------------------------ required levels
  const reqNow = new Map(m.required_levels.map((r) => [r.grade + '/' + r.item, r.level]));
  const reqSel = new Map();
  const matrixRows = m.items.map((it) => h('tr', null,
    h('th', {scope: 'row'}, it.name_zh, h('span', {class: 'muted small'}, ` ${categoryName(it.category)}`)),
    grades.map((g) => {
      const cur = reqNow.get(g + '/' + it.code);
      const s = select(levels().map((l) => ({value: l.code, label: l.name_zh})), cur, {class: 'compact'});
      s.addEventListener('change', () => { s.classList.toggle('changed', s.value !== cur); preview(); });
      reqSel.set(g + '/' + it.code, s);
      return h('td', null, labelled(`${gradeName(g)} · ${it.name_zh} 的要求等级`, s));
    })));
  const matrix = h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '要求等级矩阵'},
    h('table', {class: 'data matrix'}, h('caption', {class: 'sr-only'}, '职级 × 能力项 要求等级'),
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, '能力项'), grades.map((g) => h('th', {scope: 'col'}, gradeName(g))))),
      h('tbody', null, matrixRows)));

  // ------------------------------------------------------------ subtopic weights
  const wNow = new Map(m.subtopic_weights.map((w) => [w.item + '/' + w.level, w.weights]));
  const wInputs = new Map(); // item/level -> {subtopic: input}
  const weightGroups = [];
  for (const it of m.examItems) {
    for (const lv of levels()) {
      const cur = wNow.get(it.code + '/' + lv.code) || {};
      const inputs = {};
      const fields = it.subtopics.map((s) => {
        const inp = h('input', {type: 'number', min: '0', step: 'any', value: String(cur[s.code] ?? 1), class: 'weight-input'});
        inp.addEventListener('input', () => { inp.classList.toggle('changed', Number(inp.value) !== Number(cur[s.code] ?? 1)); preview(); });
        inputs[s.code] = inp;
        return field(s.name_zh, inp).wrap;
      });
      wInputs.set(it.code + '/' + lv.code, inputs);
      weightGroups.push(h('fieldset', {class: 'weights'}, h('legend', null, `${it.name_zh} · ${lv.name_zh}`), fields));
    }
  }

  // ------------------------------------------------------------ bands, rater weights
  const bandsNow = [...m.exam_bands].sort((a, b) => b.score - a.score);
  const bandInputs = new Map();
  const bandFields = bandsNow.map((b) => {
    const inp = h('input', {type: 'number', min: '0', max: '100', step: '1', value: String(b.min)});
    inp.addEventListener('input', () => { inp.classList.toggle('changed', Number(inp.value) !== Number(b.min)); preview(); });
    bandInputs.set(b.score, inp);
    return field(`${b.score} 级最低分`, inp).wrap;
  });
  const raterNow = m.rater_weights || {};
  const raterInputs = new Map();
  const raterFields = Object.keys(raterNow).map((rel) => {
    const inp = h('input', {type: 'number', min: '0', step: 'any', value: String(raterNow[rel])});
    inp.addEventListener('input', () => { inp.classList.toggle('changed', Number(inp.value) !== Number(raterNow[rel])); preview(); });
    raterInputs.set(rel, inp);
    return field(relationName(rel), inp).wrap;
  });

  const note = h('input', {type: 'text', required: true, maxlength: '500', placeholder: '调整原因，如：2027 年起 3 级客户经理主动营销要求提高到高级'});
  const eff = h('input', {type: 'datetime-local'});
  const previewBox = h('div', {class: 'preview', 'aria-live': 'polite', id: 'model-preview'});
  const msg = h('div', {'aria-live': 'polite'});
  const createBtn = h('button', {type: 'submit', class: 'btn btn-primary'}, '创建新版本');

  // ------------------------------------------------------------ diff
  function diff() {
    const changes = [];
    const body = {};
    const req = [];
    for (const [key, s] of reqSel) {
      const [g, item] = key.split('/');
      if (s.value !== reqNow.get(key)) {
        req.push({grade: Number(g), item, level: s.value});
        changes.push(`要求等级：${gradeName(g)} · ${itemName(item)}：${levelName(reqNow.get(key))} → ${levelName(s.value)}` +
          (perGrade[g] ? `（影响 ${perGrade[g]} 名员工）` : ''));
      }
    }
    if (req.length) body.required_levels = req;
    const sw = [];
    let badWeights = null;
    for (const [key, inputs] of wInputs) {
      const [item, level] = key.split('/');
      const cur = wNow.get(key) || {};
      const weights = {};
      let changed = false;
      let sum = 0;
      for (const [sub, inp] of Object.entries(inputs)) {
        const v = Number(inp.value);
        weights[sub] = v;
        sum += Number.isFinite(v) ? v : 0;
        if (!Number.isFinite(v) || v < 0) badWeights = `${itemName(item)} · ${levelName(level)} 的权重必须是非负数`;
        if (v !== Number(cur[sub] ?? 1)) {
          changed = true;
          changes.push(`知识点权重：${itemName(item)} · ${levelName(level)} · ${subtopicName(item, sub)}：${cur[sub] ?? 1} → ${inp.value}`);
        }
      }
      if (changed && sum <= 0) badWeights = `${itemName(item)} · ${levelName(level)} 的权重之和必须大于 0`;
      if (changed) sw.push({item, level, weights});
    }
    if (sw.length) body.subtopic_weights = sw;
    let bandsChanged = false;
    const bands = bandsNow.map((b) => {
      const v = Number(bandInputs.get(b.score).value);
      if (v !== Number(b.min)) {
        bandsChanged = true;
        changes.push(`考试等级线：${b.score} 级：≥ ${b.min} → ≥ ${v}`);
      }
      return {score: b.score, min: v};
    });
    if (bandsChanged) body.exam_bands = bands;
    let raterChanged = false;
    const rw = {};
    for (const [rel, inp] of raterInputs) {
      rw[rel] = Number(inp.value);
      if (rw[rel] !== Number(raterNow[rel])) {
        raterChanged = true;
        changes.push(`评价关系权重：${relationName(rel)}：${raterNow[rel]} → ${inp.value}`);
      }
    }
    if (raterChanged) body.rater_weights = rw;
    return {changes, body, error: badWeights};
  }

  function preview() {
    const {changes, error} = diff();
    replace(previewBox,
      h('h2', null, `变更预览（${changes.length} 项）`),
      changes.length ? h('ul', {class: 'change-list'}, changes.map((c) => h('li', null, c)))
        : h('p', {class: 'muted'}, '尚未修改：新版本将与当前版本相同。'),
      error ? h('p', {class: 'form-error', role: 'alert'}, error) : null);
    createBtn.disabled = !!error;
  }

  const form = h('form', {class: 'model-form'},
    h('section', {class: 'panel'}, h('h2', null, '新版本'),
      h('div', {class: 'form-row'}, field('说明（必填）', note).wrap, field('生效时间', eff, '留空：立即生效；不能早于现在').wrap)),
    h('section', {class: 'panel'}, h('h2', null, '要求等级（职级 × 能力项）'), matrix),
    h('section', {class: 'panel'}, h('details', null, h('summary', null, '知识点权重（考试项 × 级别）'),
      h('p', {class: 'hint'}, '相对权重，≥ 0，和须大于 0。'), h('div', {class: 'weights-grid'}, weightGroups))),
    h('section', {class: 'panel'}, h('h2', null, '考试等级线（标准分四舍五入后）'), h('div', {class: 'form-row'}, bandFields)),
    h('section', {class: 'panel'}, h('h2', null, '评价关系权重'), h('div', {class: 'form-row'}, raterFields)),
    h('section', {class: 'panel preview-panel'}, previewBox, msg, h('div', {class: 'actions'}, createBtn)));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const {changes, body, error} = diff();
    if (error) return;
    if (!note.value.trim()) {
      replace(msg, h('p', {class: 'form-error', role: 'alert'}, '请填写说明。'));
      note.focus();
      return;
    }
    body.note = note.value.trim();
    if (eff.value) body.effective_from = new Date(eff.value).toISOString();
    let created = null;
    const ok = await confirmDialog({
      title: '创建模型版本',
      body: [h('p', null, `将在第 ${m.version} 版的基础上创建新版本，${eff.value ? '于 ' + fmtTime(body.effective_from) + ' 生效' : '立即生效'}。旧版本不会被修改。`),
        changes.length ? h('ul', {class: 'change-list'}, changes.slice(0, 40).map((c) => h('li', null, c))) : h('p', null, '没有修改项。')],
      ok: '创建',
      onConfirm: async () => {
        try { created = await post('/model/versions', body); } catch (err) { throw new Error('创建失败：' + errorText(err)); }
      },
    });
    if (ok && created) {
      ctx.showBanner(`已创建模型第 ${created.version} 版。`, 'info');
      ctx.navigate('#/hr/model?v=' + created.version);
    }
  });

  const vrows = (versions.versions || []).slice().reverse().map((v) => h('tr', null,
    h('td', {class: 'num'}, String(v.version), v.version === versions.current ? h('span', {class: 'chip status-meets'}, '现行') : null),
    h('td', null, Date.parse(v.effective_from) <= 0 ? '初始版本' : fmtTime(v.effective_from)), h('td', null, v.version === 1 || /^seed\b/i.test(v.note || '') ? '系统初始版本' : v.note || ''), h('td', null, actorName(v.created_by)), h('td', null, fmtTime(v.created_at))));
  main.append(h('div', {class: 'page-head'}, h('h1', null, '模型版本'),
    h('p', {class: 'muted'}, `现行第 ${m.version} 版${Date.parse(m.effective_from) > 0 ? `（${fmtTime(m.effective_from)} 起）` : ''}。新版本 = 现行版本 + 修改项；历史版本不会被改写。`)),
  h('section', {class: 'panel'}, h('h2', null, '版本历史'),
    table(['版本', '生效时间', '说明', '创建人', '创建时间'], vrows, {caption: '版本历史', scrollable: true})),
  form);
  preview();
}
