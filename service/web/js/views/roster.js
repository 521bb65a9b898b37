// 考试监控 (the session's creator, hr, admin): the live roster of one session (refreshed every 10 s),
// proctor actions (提前收卷, 作废 with a reason), personal overrides and the CSV export.
import {h, table, field, confirmDialog, fmtNum, fmtDuration, download} from '../dom.js';
import {api, get, post, errorText} from '../api.js';
import {itemName, levelName} from '../model.js';
import {fmtShanghai, shanghaiToUtc, STATE_ZH} from './sessions.js';

const ROW_STATE_ZH = {not_started: '未开始', in_progress: '作答中', submitted: '已交卷', absent: '缺考', voided: '已作废'};

export async function render(main, ctx) {
  const id = ctx.params.id;
  const head = h('div', {class: 'page-head'});
  const totalsEl = h('p', {class: 'totals', id: 'roster-totals', role: 'status'});
  const tableBox = h('div', {id: 'roster-table'});
  const csvBtn = h('button', {type: 'button', class: 'btn', id: 'roster-csv'}, '下载 CSV');
  main.append(head, h('section', {class: 'panel'}, h('div', {class: 'toolbar'}, totalsEl, csvBtn), tableBox),
    overrideForm(id, ctx, () => load()));
  csvBtn.addEventListener('click', async () => {
    try {
      const blob = await api('GET', `/sessions/${id}/roster?format=csv`, {blob: true, timeout: 60000});
      download(`考试监控-${id}.csv`, new Blob([blob], {type: 'text/csv;charset=utf-8'}));
    } catch (e) {
      ctx.showBanner('下载失败：' + errorText(e));
    }
  });

  async function act(row, kind) {
    let reason = '';
    const input = h('input', {type: 'text', id: 'void-reason', maxlength: '500'});
    const ok = await confirmDialog({
      title: kind === 'void' ? '作废试卷' : '提前收卷',
      body: kind === 'void'
        ? [h('p', null, `作废 ${row.name}（${row.username}）的${itemName(row.item)}试卷。作废后不计入成绩，员工可看到原因。`),
          field('原因', input).wrap]
        : [h('p', null, `立即收取 ${row.name}（${row.username}）的试卷，按已保存的答案评分。`)],
      ok: kind === 'void' ? '作废' : '收卷', danger: true,
      onConfirm: async () => {
        reason = input.value.trim();
        try {
          if (kind === 'void') await post(`/attempts/${row.attempt_id}/void`, {reason});
          else await post(`/attempts/${row.attempt_id}/close`);
        } catch (e) {
          throw new Error(errorText(e));
        }
      },
    });
    if (ok) await load();
  }

  async function load() {
    const data = await get(`/sessions/${id}/roster`);
    const s = data.session;
    head.replaceChildren(h('h1', null, `考试监控：${s.title}`),
      h('p', {class: 'muted'}, `${fmtShanghai(s.opens_at)} 至 ${fmtShanghai(s.closes_at)}（北京时间）· ${STATE_ZH[s.state] || s.state} · ` +
        (s.results === 'after_close' ? '截止后公布成绩' : '交卷后显示成绩')));
    const t = data.totals;
    totalsEl.textContent = `应考 ${t.invitees} 人：未开始 ${t.not_started}，作答中 ${t.in_progress}，已交卷 ${t.submitted}，` +
      `缺考 ${t.absent}，已作废 ${t.voided}`;
    const rows = data.rows.map((r) => {
      const actions = [];
      if (r.state === 'in_progress') {
        const b = h('button', {type: 'button', class: 'btn btn-ghost'}, '提前收卷');
        b.addEventListener('click', () => act(r, 'close'));
        actions.push(b);
      }
      if (r.attempt_id && r.state !== 'voided') {
        const b = h('button', {type: 'button', class: 'btn btn-ghost'}, '作废');
        b.addEventListener('click', () => act(r, 'void'));
        actions.push(b);
      }
      return h('tr', {dataset: {user: r.username, state: r.state}},
        h('td', null, `${r.name}（${r.username}）`), h('td', null, r.department), h('td', {class: 'num'}, String(r.grade ?? '')),
        h('td', null, `${itemName(r.item)} · ${levelName(r.level)}`),
        h('td', null, h('span', {class: 'tag state-' + r.state}, ROW_STATE_ZH[r.state] || r.state)),
        h('td', {class: 'num'}, r.questions ? `${r.answered} / ${r.questions}` : '—'),
        h('td', null, r.last_save ? fmtShanghai(r.last_save) : '—'),
        h('td', {class: 'num'}, r.time_left_seconds != null ? fmtDuration(r.time_left_seconds) : '—'),
        h('td', {class: 'num'}, r.standard_score != null ? `${fmtNum(r.standard_score)}（${r.band}）` : '—'),
        h('td', null, r.override || ''), h('td', null, actions));
    });
    tableBox.replaceChildren(table(['员工', '部门', ['职级', 'num'], '考试', '状态', ['已答', 'num'], '最后保存',
      ['剩余时间', 'num'], ['成绩（等级）', 'num'], '个人调整', '操作'], rows, {caption: '考试名单', scrollable: true}));
  }
  await load();
  const timer = setInterval(() => { load().catch(() => {}); }, 10000);
  return () => clearInterval(timer);
}

function overrideForm(id, ctx, reload) {
  const user = h('input', {type: 'text', id: 'ov-user', required: true});
  const reason = h('input', {type: 'text', id: 'ov-reason', required: true, maxlength: '500'});
  const extra = h('input', {type: 'number', id: 'ov-extra', min: '0', max: '1440', value: '0'});
  const attempts = h('input', {type: 'number', id: 'ov-attempts', min: '0', max: '100', value: '0'});
  const opens = h('input', {type: 'datetime-local', id: 'ov-opens'});
  const closes = h('input', {type: 'datetime-local', id: 'ov-closes'});
  const msg = h('p', {class: 'form-msg', role: 'status'});
  const f = h('form', {class: 'panel form-grid', id: 'override-form', 'aria-label': '个人调整'},
    h('h2', null, '个人调整（延时、加次、补考窗口）'),
    field('用户名', user).wrap, field('原因', reason).wrap, field('延长时间（分钟）', extra).wrap,
    field('增加次数', attempts).wrap, field('补考开始（北京时间，可空）', opens).wrap, field('补考截止（北京时间，可空）', closes).wrap,
    h('button', {type: 'submit', class: 'btn btn-primary'}, '保存'), msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {username: user.value.trim(), reason: reason.value.trim(),
      extra_seconds: Math.round(Number(extra.value || 0) * 60), extra_attempts: Number(attempts.value || 0)};
    if (opens.value) body.opens_at = shanghaiToUtc(opens.value);
    if (closes.value) body.closes_at = shanghaiToUtc(closes.value);
    try {
      await post(`/sessions/${id}/overrides`, body);
      msg.textContent = `已保存 ${body.username} 的个人调整`;
      f.reset();
      await reload();
    } catch (e) {
      msg.textContent = '保存失败：' + errorText(e);
    }
  });
  return f;
}
