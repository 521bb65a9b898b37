// 我的考试: the exams open to the employee, with attempts left and the counted result.
import {h, confirmDialog, fmtNum, fmtLimit} from '../dom.js';
import {get, post, errorText} from '../api.js';
import {levelName, itemName, GRADING_NAMES, gradeName} from '../model.js';

export async function render(main, ctx) {
  const data = await get('/exams');
  const exams = data.exams || [];
  main.appendChild(h('div', {class: 'page-head'},
    h('h1', null, '我的考试'),
    h('p', {class: 'muted'}, `${ctx.user.name || ctx.user.username} · ${gradeName(ctx.user.grade)}。` +
      '每门考试按您当前职级要求的等级出题。')));
  if (!exams.length) {
    main.appendChild(h('p', {class: 'panel'}, '目前没有向您开放的考试。'));
    return;
  }
  const list = h('ul', {class: 'exam-grid', 'aria-label': '考试列表'});
  for (const ex of exams) list.appendChild(card(ex, ctx));
  main.appendChild(list);
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
    h('div', {class: 'exam-card-actions'}, action, resultLink));
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
