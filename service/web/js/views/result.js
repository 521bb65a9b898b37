// 考试成绩: the standard score, the band with its Chinese name, subtopic scores and the review.
import {h, fmtNum, fmtTime, table} from '../dom.js';
import {get} from '../api.js';
import {itemName, levelName, subtopicName, scaleName, TYPE_NAMES} from '../model.js';
import {bandTag} from './exams.js';

const STATUS = {submitted: '已交卷', auto_submitted: '超时自动交卷', open: '作答中'};

function answerText(q, a) {
  if (a === undefined || a === null || a === '' || (Array.isArray(a) && !a.length)) return '未作答';
  if (q.type === 'truefalse') return a === true || a === 'true' ? '正确' : '错误';
  if (q.type === 'fill') return Array.isArray(a) ? a.join(' 或 ') : String(a);
  const ids = Array.isArray(a) ? a : [a];
  return ids.map((x) => {
    const o = (q.options || []).find((o) => o.id === x);
    return o ? `${x}. ${o.text}` : String(x);
  }).join('；');
}

// The blueprint's standard error of measurement, once at least 30 attempts are scored.
function semText(r) {
  if (r.sem === null || r.sem === undefined) return '尚未确定';
  const certain = r.band_certain === true ? '（等级确定）' : r.band_certain === false ? '（可能跨越等级）' : '';
  return `测量误差 ±${fmtNum(r.sem, 1)} 分${certain}`;
}

// How the standard score comes about: each sub-topic's 得分率 × its weight, summed, over the sum of
// the weights (SPEC §3.1), then the band from the thresholds of the attempt's model version.
function explanation(subs, r, bands, doc) {
  const used = subs.filter((s) => s.possible > 0);
  const wsum = used.reduce((a, s) => a + Number(s.weight || 0), 0);
  const equal = wsum === 0;
  const terms = used.map((s) => `${fmtNum(s.score)} × ${equal ? 1 : fmtNum(s.weight, 4, true)}`).join(' + ');
  const sorted = [...bands].sort((a, b) => b.score - a.score);
  const R = Math.floor(Number(r.standard_score) + 0.5);
  return h('div', {class: 'score-explain', id: 'score-explain'},
    h('h3', null, '标准分怎么算'),
    h('p', null, '每个知识点的得分率 = 该知识点得分 ÷ 满分 × 100；标准分 = Σ（得分率 × 权重）÷ Σ 权重' +
      (equal ? '（本次各知识点权重相同）' : '') + '，四舍五入到两位小数。'),
    used.length ? h('p', {class: 'small', translate: 'no'}, `（${terms}）÷ ${equal ? used.length : fmtNum(wsum, 4, true)} = ${fmtNum(r.standard_score)}`) : null,
    sorted.length ? [h('p', null, `等级按标准分四舍五入到整数（${R}）对照下表（模型第 ${r.model_version} 版）：`),
      table(['等级', ['标准分不低于', 'num']], sorted.map((b) => h('tr', {class: Number(b.score) === Number(r.band) ? 'row-current' : null},
        h('td', null, bandTag(b.score, scaleName(b.score))), h('td', {class: 'num'}, fmtNum(b.min, 0)))), {caption: '等级对照表', class: 'band-table'})] : null,
    h('p', {class: 'muted small'}, `${itemName(doc.item)}的等级 5（达标）即满足当前职级要求。`));
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  const doc = await get(`/attempts/${id}`);
  if (doc.status === 'open' && ctx.user.role === 'employee') {
    ctx.navigate(`#/exam/${id}`);
    return;
  }
  try { localStorage.removeItem('examd.attempt.' + id); } catch { /* ignore */ }
  const r = doc.result;
  const q = ctx.query;
  const timedOut = doc.status === 'auto_submitted' || q.get('timeout') ||
    (r && r.submitted_at && Date.parse(r.submitted_at) >= Date.parse(doc.deadline));
  const back = ctx.user.role === 'employee'
    ? h('a', {href: '#/exams', class: 'btn'}, '返回我的考试')
    : h('a', {href: doc.username ? `#/hr/employee/${encodeURIComponent(doc.username)}` : '#/hr/employees', class: 'btn'}, '返回能力画像');

  main.appendChild(h('div', {class: 'page-head'},
    h('h1', null, `考试成绩 · ${itemName(doc.item)}`),
    h('p', {class: 'muted', id: 'attempt-title'}, levelName(doc.level) + (doc.username && ctx.user.role !== 'employee' ? ` · ${doc.username}` : ''))));
  // 第 n 次 (this exam's attempts of this employee in start order, not the global id) and the others.
  const history = await get('/attempts' + (ctx.user.role === 'employee' ? `?item=${doc.item}`
    : `?item=${doc.item}&username=${encodeURIComponent(doc.username || '')}`)).catch(() => null);
  const mine = history ? (history.attempts || []).filter((a) => a.level === doc.level) : [];
  const me = mine.find((a) => String(a.attempt_id) === String(id));
  if (me) main.querySelector('#attempt-title').prepend(`第 ${me.attempt_no} 次作答 · `);

  if (timedOut) main.appendChild(h('p', {class: 'notice', role: 'status', id: 'timeout-notice'}, '考试时间已到，试卷已自动提交。'));
  else if (q.get('closed')) main.appendChild(h('p', {class: 'notice', role: 'status'}, '本次考试已结束，试卷已提交。'));
  else if (q.get('submitted')) main.appendChild(h('p', {class: 'notice notice-ok', role: 'status'}, '交卷成功。'));

  if (doc.voided) {
    main.appendChild(h('p', {class: 'notice', role: 'alert', id: 'void-notice'},
      `本次试卷已被作废，不计入成绩。原因：${doc.void && doc.void.reason ? doc.void.reason : '—'}`));
  }
  if (doc.practice) main.appendChild(h('p', {class: 'notice', role: 'status'}, '这是一次练习，成绩不计入能力画像。'));
  if (doc.session) main.appendChild(h('p', {class: 'muted'}, `考试安排：${doc.session.title}`));
  if (r && r.hidden_until) {
    main.appendChild(h('p', {class: 'panel', id: 'hidden-notice'}, '试卷已提交。成绩与解析将在 ' +
      new Date(r.hidden_until).toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false}) + '（北京时间）考试截止后公布。'), back);
    return;
  }
  if (!r) {
    main.appendChild(h('p', {class: 'panel'}, '成绩尚未生成。'), back);
    return;
  }
  main.appendChild(h('section', {class: 'score-panel panel', 'aria-label': '总成绩'},
    h('div', {class: 'score-main'},
      h('span', {class: 'score-label'}, '标准分'),
      h('span', {class: 'score-value', id: 'standard-score'}, fmtNum(r.standard_score))),
    h('div', {class: 'score-main'},
      h('span', {class: 'score-label'}, '等级'),
      h('span', {class: 'score-band', id: 'band'}, bandTag(r.band, r.band_name_zh))),
    h('dl', {class: 'facts'},
      h('dt', null, '状态'), h('dd', null, STATUS[r.status] || r.status),
      h('dt', null, '交卷时间'), h('dd', null, fmtTime(r.submitted_at)),
      h('dt', null, '模型版本'), h('dd', null, r.model_version != null ? `第 ${r.model_version} 版` : '—'),
      h('dt', null, '是否计入'), h('dd', null, r.counted === false ? '否' : '是'),
      h('dt', null, '测量误差'), h('dd', {id: 'sem'}, semText(r)))));

  const subs = r.subtopic_scores || [];
  const bands = await get(`/model/versions/${r.model_version}`).then((v) => v.exam_bands || []).catch(() => []);
  main.appendChild(h('section', {class: 'panel'},
    h('h2', null, '知识点得分'),
    table(['知识点', ['得分 / 满分', 'num'], ['得分率', 'num'], ['权重', 'num'], ''], subs.map((s) => {
      const pct = Math.max(0, Math.min(100, Number(s.score) || 0));
      const bar = h('span', {class: 'bar'}, h('span', {class: 'bar-fill'}));
      bar.firstChild.style.width = pct + '%';
      return h('tr', null,
        h('th', {scope: 'row'}, subtopicName(doc.item, s.subtopic)),
        h('td', {class: 'num'}, `${fmtNum(s.earned, 2, true)} / ${fmtNum(s.possible, 2, true)}`),
        h('td', {class: 'num'}, fmtNum(s.score)),
        h('td', {class: 'num'}, fmtNum(s.weight, 4, true)),
        h('td', {class: 'bar-cell', 'aria-hidden': 'true'}, bar));
    }), {caption: '知识点得分'}),
    explanation(subs, r, bands, doc)));
  if (mine.length > 1) {
    main.appendChild(h('section', {class: 'panel', id: 'attempt-history'}, h('h2', null, '本门考试的作答记录'),
      h('ol', {class: 'explain-list'}, mine.map((a) => h('li', null,
        String(a.attempt_id) === String(id) ? h('strong', null, `第 ${a.attempt_no} 次（本次）`)
          : h('a', {href: `#/result/${a.attempt_id}`}, `第 ${a.attempt_no} 次`),
        a.status === 'open' ? ' · 作答中' : ` · ${fmtNum(a.standard_score)} 分 · `, a.status === 'open' ? null : bandTag(a.band, a.band_name_zh),
        ` · ${fmtTime(a.submitted_at || a.started_at)}`)))));
  }

  const qs = doc.questions || [];
  if (qs.length && qs.some((x) => 'key' in x)) {
    const list = h('ol', {class: 'review-list'});
    qs.forEach((x) => {
      const mine = (doc.answers || {})[String(x.id)];
      list.appendChild(h('li', {class: ['review', x.correct ? 'is-correct' : 'is-wrong']},
        h('p', {class: 'q-meta'}, h('span', {class: 'tag'}, TYPE_NAMES[x.type] || x.type),
          h('span', {class: ['mark', x.correct ? 'mark-ok' : 'mark-bad']}, x.correct ? '✓ 正确' : '✗ 错误'),
          h('span', {class: 'muted'}, `得分 ${fmtNum(x.earned, 2, true)} / ${fmtNum(x.points, 2, true)}`)),
        h('p', {class: 'review-stem'}, x.stem),
        h('dl', {class: 'facts facts-inline'},
          h('dt', null, '我的答案'), h('dd', null, answerText(x, mine)),
          h('dt', null, '正确答案'), h('dd', null, answerText(x, x.key)),
          x.explanation ? [h('dt', null, '解析'), h('dd', null, x.explanation)] : null)));
    });
    main.appendChild(h('section', {class: 'panel'}, h('details', null, h('summary', null, `答题回顾（${qs.length} 题）`), list)));
  }
  main.appendChild(h('p', {class: 'actions'}, back));
}
