// 考试安排 (trainer, hr, admin): the sessions one may manage, and a form to schedule a new one.
// Times are entered and shown in Asia/Shanghai; the API speaks UTC.
import {h, table, field, select, labelled} from '../dom.js';
import {get, post, errorText} from '../api.js';
import {itemName, levelName} from '../model.js';

const EXAM_ITEMS = ['general_knowledge', 'professional_knowledge', 'job_knowledge', 'job_skills'];
const LEVELS = ['junior', 'intermediate', 'senior', 'expert'];
export const STATE_ZH = {upcoming: '未开始', open: '进行中', closed: '已结束'};

// An ISO time shown in Beijing time.
export function fmtShanghai(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false});
}

// A datetime-local value read as Beijing time, as RFC 3339 UTC.
export function shanghaiToUtc(value) {
  if (!value) return null;
  const d = new Date(value + (value.length === 16 ? ':00' : '') + '+08:00');
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function listOf(text) {
  return text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
}

export async function render(main, ctx) {
  main.appendChild(h('div', {class: 'page-head'}, h('h1', null, '考试安排'),
    h('p', {class: 'muted'}, '按部门、职级或指定人员安排考试窗口；时间均为北京时间。')));
  const listBox = h('div', {id: 'session-list'});
  main.appendChild(h('section', {class: 'panel'}, h('h2', null, '已安排的考试'), listBox));
  main.appendChild(form(ctx, () => load()));
  async function load() {
    const data = await get('/sessions');
    const rows = (data.sessions || []).map((s) => h('tr', {dataset: {id: String(s.id)}},
      h('td', null, h('a', {href: '#/sessions/' + s.id}, s.title)),
      h('td', null, (s.items || []).map((i) => itemName(i.item) + (i.level ? `（${levelName(i.level)}）` : '')).join('、')),
      h('td', null, fmtShanghai(s.opens_at)), h('td', null, fmtShanghai(s.closes_at)),
      h('td', null, STATE_ZH[s.state] || s.state), h('td', {class: 'num'}, String(s.invitees ?? '')),
      h('td', null, h('a', {href: '#/sessions/' + s.id, class: 'btn btn-ghost'}, '监控'))));
    listBox.replaceChildren(rows.length
      ? table(['标题', '考试', '开始（北京时间）', '截止（北京时间）', '状态', ['人数', 'num'], '操作'], rows, {caption: '考试安排'})
      : h('p', {class: 'muted'}, '还没有考试安排。'));
  }
  await load();
}

function form(ctx, reload) {
  const title = h('input', {type: 'text', id: 'session-title', required: true, maxlength: '200'});
  const itemBoxes = EXAM_ITEMS.map((code) => {
    const cb = h('input', {type: 'checkbox', value: code, id: 'item-' + code});
    const lv = select([{value: '', label: '按职级要求'}, ...LEVELS.map((l) => ({value: l, label: levelName(l)}))], '', {id: 'level-' + code});
    return {code, cb, lv, el: h('div', {class: 'inline'}, h('label', {for: cb.id}, cb, ' ', itemName(code)), ' ',
      labelled(itemName(code) + ' 等级', lv))};
  });
  const depts = h('input', {type: 'text', id: 'session-departments', placeholder: '如：政企客户部，多个用逗号分隔'});
  const grades = [1, 2, 3, 4].map((g) => h('input', {type: 'checkbox', value: String(g), id: 'grade-' + g}));
  const users = h('input', {type: 'text', id: 'session-usernames', placeholder: '用户名，多个用逗号分隔'});
  const opens = h('input', {type: 'datetime-local', id: 'session-opens', required: true});
  const closes = h('input', {type: 'datetime-local', id: 'session-closes', required: true});
  const limit = h('input', {type: 'number', id: 'session-limit', min: '1', max: '1440', placeholder: '留空：按试卷蓝图'});
  const attemptsIn = h('input', {type: 'number', id: 'session-attempts', min: '1', max: '100', value: '1'});
  const results = select([{value: 'at_submit', label: '交卷后立即显示'}, {value: 'after_close', label: '考试截止后显示'}], 'at_submit', {id: 'session-results'});
  const msg = h('p', {class: 'form-msg', role: 'status'});
  const f = h('form', {class: 'panel form-grid', id: 'session-form', 'aria-label': '新建考试安排'},
    h('h2', null, '新建考试安排'),
    field('标题', title).wrap,
    h('fieldset', null, h('legend', null, '考试科目'), itemBoxes.map((i) => i.el)),
    h('fieldset', null, h('legend', null, '参考人员（部门与职级同时满足，或在名单中）'),
      field('部门', depts).wrap,
      h('div', {class: 'inline'}, '职级：', grades.map((g) => h('label', {for: g.id}, g, ` ${g.value}级 `))),
      field('指定人员', users).wrap),
    field('开始时间（北京时间）', opens).wrap, field('截止时间（北京时间）', closes).wrap,
    field('考试时长（分钟）', limit).wrap, field('允许次数', attemptsIn).wrap, field('成绩与解析', results).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '创建'), msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      title: title.value.trim(),
      items: itemBoxes.filter((i) => i.cb.checked).map((i) => (i.lv.value ? {item: i.code, level: i.lv.value} : {item: i.code})),
      cohort: {departments: listOf(depts.value), grades: grades.filter((g) => g.checked).map((g) => Number(g.value)),
        usernames: listOf(users.value)},
      opens_at: shanghaiToUtc(opens.value), closes_at: shanghaiToUtc(closes.value),
      attempts_allowed: Number(attemptsIn.value || 1), results: results.value,
    };
    if (limit.value) body.time_limit_seconds = Math.round(Number(limit.value) * 60);
    try {
      const s = await post('/sessions', body);
      msg.textContent = `已创建：${s.title}（${s.invitees} 人）`;
      f.reset();
      await reload();
    } catch (e) {
      msg.textContent = '创建失败：' + errorText(e);
    }
  });
  return f;
}
