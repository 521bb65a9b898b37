// 我的考试: the exams open to the employee, with attempts left and the counted result.
import {h, confirmDialog, fmtNum, fmtLimit, fmtDuration} from '../dom.js';
import {fmtShanghai} from './sessions.js';
import {get, post, errorText} from '../api.js';
import {levelName, itemName, GRADING_NAMES, gradeName} from '../model.js';

export async function render(main, ctx) {
  const [data, sdata] = await Promise.all([get('/exams'), get('/sessions')]);
  const exams = data.exams || [];
  main.appendChild(h('div', {class: 'page-head'},
    h('h1', null, '我的考试'),
    h('p', {class: 'muted'}, `${ctx.user.name || ctx.user.username} · ${gradeName(ctx.user.grade)}。` +
      '每门考试按您当前职级要求的等级出题。')));
  const stop = sessionsPanel(main, (sdata.sessions || []).filter((s) => s.your_state !== 'closed'), ctx);
  if (!exams.length) {
    main.appendChild(h('p', {class: 'panel'}, '目前没有向您开放的考试。'));
    return stop;
  }
  main.appendChild(h('h2', {class: 'section-head'}, '自主考试与练习'));
  main.appendChild(h('p', {class: 'muted'}, '练习不计入成绩和能力画像；正式成绩以考试安排和自主考试为准。'));
  const list = h('ul', {class: 'exam-grid', 'aria-label': '考试列表'});
  for (const ex of exams) list.appendChild(card(ex, ctx));
  main.appendChild(list);
  return stop;
}

// 考试安排: upcoming and open sessions with a countdown to the start (or to the close).
function sessionsPanel(main, sessions, ctx) {
  if (!sessions.length) return null;
  const ticks = [];
  const items = sessions.map((s) => {
    const countdown = h('span', {class: 'countdown', role: 'timer', 'aria-live': 'off'});
    const opens = Date.parse(s.your_opens_at);
    const closes = Date.parse(s.your_closes_at);
    const offset = Date.parse(s.server_time) - Date.now();
    const actions = h('div', {class: 'exam-card-actions'});
    const tick = () => {
      const now = Date.now() + offset;
      if (now < opens) countdown.textContent = `距开始 ${fmtDuration((opens - now) / 1000)}`;
      else if (now <= closes) countdown.textContent = `距截止 ${fmtDuration((closes - now) / 1000)}`;
      else countdown.textContent = '已截止';
      const open = now >= opens && now <= closes;
      for (const b of actions.querySelectorAll('button')) b.disabled = !open;
    };
    for (const it of s.items || []) {
      const name = it.name_zh || itemName(it.item);
      let b;
      if (it.open_attempt_id) {
        b = h('a', {href: '#/exam/' + it.open_attempt_id, class: 'btn btn-primary'}, `继续：${name}`);
      } else {
        b = h('button', {type: 'button', class: 'btn btn-primary', dataset: {session: String(s.id), item: it.item}},
          `开始：${name}`);
        b.addEventListener('click', async () => {
          try {
            const a = await post(`/sessions/${s.id}/attempts`, {item: it.item});
            ctx.navigate('#/exam/' + a.attempt_id);
          } catch (e) {
            ctx.showBanner('无法开始考试：' + errorText(e));
          }
        });
      }
      actions.appendChild(b);
    }
    ticks.push(tick);
    tick();
    return h('li', {class: 'exam-card panel session-card', dataset: {session: String(s.id)}},
      h('div', {class: 'exam-card-head'}, h('h3', null, s.title), h('span', {class: 'tag'}, s.your_state === 'open' ? '进行中' : '未开始')),
      h('dl', {class: 'facts'},
        h('dt', null, '考试时间'), h('dd', null, `${fmtShanghai(s.your_opens_at)} 至 ${fmtShanghai(s.your_closes_at)}`),
        h('dt', null, '科目'), h('dd', null, (s.items || []).map((i) => `${i.name_zh || itemName(i.item)}（${levelName(i.your_level)}）`).join('、')),
        h('dt', null, '倒计时'), h('dd', null, countdown)),
      actions);
  });
  main.appendChild(h('section', {class: 'sessions', 'aria-label': '考试安排'}, h('h2', {class: 'section-head'}, '考试安排'),
    h('ul', {class: 'exam-grid'}, items)));
  const timer = setInterval(() => ticks.forEach((t) => t()), 1000);
  return () => clearInterval(timer);
}

function card(ex, ctx) {
  const left = Math.max(0, ex.max_attempts - ex.attempts_used);
  const name = ex.name_zh || itemName(ex.item);
  const cr = ex.counted_result;
  const minutes = fmtLimit(ex.time_limit_seconds);
  let action;
  if (ex.open_attempt_id) {
    action = h('a', {href: '#/exam/' + ex.open_attempt_id, class: 'btn btn-primary', 'aria-label': `继续考试：${name}`}, '继续考试');
  } else if (ex.available === false) {
    // The pool cannot fill the blueprint: no start button that would only fail.
    action = h('span', {class: 'notice exam-unavailable'}, '暂不能开考：题库题目不足，培训管理员补充后即可参加。');
  } else if (left > 0) {
    action = h('button', {type: 'button', class: 'btn btn-primary', 'aria-label': `开始考试：${name}`}, '开始考试');
    action.addEventListener('click', () => start(ex, name, minutes, ctx));
  } else {
    action = h('button', {type: 'button', class: 'btn', disabled: true}, '次数已用完');
  }
  let practice = null;
  if (ex.practice_allowed && !ex.open_attempt_id) {
    practice = h('button', {type: 'button', class: 'btn btn-ghost', 'aria-label': `练习：${name}（不计入成绩）`}, '练习');
    practice.addEventListener('click', async () => {
      try {
        const a = await post('/attempts', {item: ex.item, practice: true});
        ctx.navigate('#/exam/' + a.attempt_id);
      } catch (e) {
        ctx.showBanner('无法开始练习：' + errorText(e));
      }
    });
  }
  const resultLink = cr && cr.attempt_ids && cr.attempt_ids.length
    ? h('a', {href: '#/result/' + cr.attempt_ids[cr.attempt_ids.length - 1], class: 'btn btn-ghost'}, '查看成绩') : null;
  return h('li', {class: 'exam-card panel', dataset: {item: ex.item}},
    h('div', {class: 'exam-card-head'},
      h('h2', null, name),
      h('span', {class: 'tag'}, levelName(ex.level))),
    h('dl', {class: 'facts'},
      h('dt', null, '时间限制'), h('dd', null, minutes),
      ex.question_count != null ? [h('dt', null, '题目数量'), h('dd', null, `${ex.question_count} 题`)] : null,
      h('dt', null, '剩余次数'), h('dd', null, `${left} / ${ex.max_attempts}`),
      h('dt', null, '计分方式'), h('dd', null, GRADING_NAMES[ex.grading] || ex.grading || '取最高分'),
      h('dt', null, '计入成绩'),
      h('dd', {class: 'counted'}, cr
        ? [h('strong', null, fmtNum(cr.standard_score)), ' 分 · ', bandTag(cr.band, cr.band_name_zh)]
        : h('span', {class: 'muted'}, '暂无'))),
    ex.practice_allowed ? h('p', {class: 'hint'}, `练习不计入成绩（已练习 ${ex.practice_attempts_used || 0} 次）`) : null,
    h('div', {class: 'exam-card-actions'}, action, practice, resultLink));
}

export function bandTag(band, name) {
  if (band === null || band === undefined) return h('span', {class: 'muted'}, '—');
  return h('span', {class: ['band', 'band-' + band]}, `${band} · ${name || ''}`);
}

async function start(ex, name, minutes, ctx) {
  let attempt = null;
  const ok = await confirmDialog({
    title: '开始考试',
    body: [
      h('p', null, `${name}（${levelName(ex.level)}）`),
      h('p', null, `共 ${ex.question_count ?? '若干'} 题，限时 ${minutes}。开始后立即计时，中途离开计时不会暂停；` +
        '每道题作答后自动保存，可在其他电脑登录后继续。'),
      h('p', null, `这将使用 1 次考试机会（剩余 ${ex.max_attempts - ex.attempts_used} 次）。`),
    ],
    ok: '确定开始',
    onConfirm: async () => {
      try {
        attempt = await post('/attempts', {item: ex.item});
      } catch (e) {
        throw new Error('无法开始考试：' + errorText(e));
      }
    },
  });
  if (ok && attempt) ctx.navigate('#/exam/' + attempt.attempt_id);
}
