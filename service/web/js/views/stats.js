// 题目统计: item statistics of one exam (item × level) from its closed attempts: the blueprint's
// reliability and measurement error, a facility-vs-discrimination scatter chart (inline SVG) and a
// sortable table of the questions with their flags.
import {h, fmtNum, replace} from '../dom.js';
import {get, session} from '../api.js';
import {model, levels, subtopicName} from '../model.js';

export const FLAG_NAMES = {
  too_hard: '过难',
  too_easy: '过易',
  low_discrimination: '区分度低',
  negative_discrimination: '区分度为负',
  unused_distractor: '无人选择的干扰项',
  distractor_beats_key: '干扰项强于正确答案',
};

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

// Facility (x, 0..1) against the discrimination index (y, -1..1), with the flag thresholds shaded.
function scatter(questions, t) {
  const W = 520, H = 360, L = 48, R = 12, T = 12, B = 40;
  const x = (v) => L + v * (W - L - R);
  const y = (v) => T + (1 - (v + 1) / 2) * (H - T - B);
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, class: 'stats-chart', role: 'img',
    'aria-label': '难度（通过率）与区分度散点图'});
  svg.appendChild(s('rect', {x: x(0), y: y(1), width: x(t.too_hard) - x(0), height: y(-1) - y(1), fill: '#fdecea'}));
  svg.appendChild(s('rect', {x: x(t.too_easy), y: y(1), width: x(1) - x(t.too_easy), height: y(-1) - y(1), fill: '#fdecea'}));
  svg.appendChild(s('rect', {x: x(0), y: y(t.low_discrimination), width: x(1) - x(0),
    height: y(-1) - y(t.low_discrimination), fill: '#fff4e5', 'fill-opacity': 0.8}));
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.appendChild(s('line', {x1: x(v), x2: x(v), y1: y(-1), y2: y(1), stroke: '#ddd'}));
    svg.appendChild(s('text', {x: x(v), y: H - B + 16, 'text-anchor': 'middle', 'font-size': 11}, fmtNum(v, 2, true)));
  }
  for (const v of [-1, -0.5, 0, 0.5, 1]) {
    svg.appendChild(s('line', {x1: x(0), x2: x(1), y1: y(v), y2: y(v), stroke: v === 0 ? '#999' : '#ddd'}));
    svg.appendChild(s('text', {x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11}, fmtNum(v, 1, true)));
  }
  svg.appendChild(s('text', {x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle', 'font-size': 12}, '通过率（难度）'));
  svg.appendChild(s('text', {x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', 'font-size': 12,
    transform: `rotate(-90 12 ${(T + H - B) / 2})`}, '区分度'));
  for (const q of questions) {
    if (q.facility == null || q.discrimination == null) continue;
    const bad = q.flags.length > 0;
    const dot = s('circle', {cx: x(q.facility), cy: y(q.discrimination), r: 5,
      fill: bad ? '#c62828' : '#1565c0', 'fill-opacity': 0.75, stroke: '#fff'});
    dot.appendChild(s('title', {}, `${q.external_id || '#' + q.id}：通过率 ${fmtNum(q.facility)}，区分度 ${fmtNum(q.discrimination)}` +
      (bad ? '；' + q.flags.map((f) => FLAG_NAMES[f] || f).join('、') : '')));
    svg.appendChild(dot);
  }
  return svg;
}

const COLUMNS = [
  ['external_id', '编号', (q) => q.external_id || `#${q.id}`],
  ['subtopic', '知识点', (q, item) => subtopicName(item, q.subtopic)],
  ['responses', '作答数', (q) => q.responses, true],
  ['facility', '通过率', (q) => fmtNum(q.facility), true],
  ['sd', '标准差', (q) => fmtNum(q.sd), true],
  ['discrimination', '区分度', (q) => fmtNum(q.discrimination), true],
  ['point_biserial', '点二列相关', (q) => fmtNum(q.point_biserial), true],
  ['options', '选项选择率', (q) => q.options.map((o) => `${o.label}${o.key ? '✓' : ''} ${fmtNum(o.share * 100, 0)}%`).join('  ') || '—'],
  ['flags', '提示', (q) => q.flags.map((f) => FLAG_NAMES[f] || f).join('、') || '—'],
];

function sortValue(q, key) {
  if (key === 'flags') return q.flags.length;
  if (key === 'options') return q.options.length;
  const v = q[key];
  return v === null || v === undefined ? -Infinity : v;
}

export async function render(main, ctx) {
  const m = model();
  const item = ctx.query.get('item') || m.examItems[0].code;
  const level = ctx.query.get('level') || 'junior';
  const mode = ctx.query.get('attempts') === 'all' ? 'all' : 'first';

  const nav = h('nav', {class: 'bp-list panel', 'aria-label': '选择考试'});
  for (const it of m.examItems) {
    const ul = h('ul', null);
    for (const lv of levels()) {
      const cur = it.code === item && lv.code === level;
      ul.appendChild(h('li', null, h('a', {href: `#/trainer/stats?item=${it.code}&level=${lv.code}&attempts=${mode}`,
        class: cur ? 'active' : null, 'aria-current': cur ? 'page' : null}, lv.name_zh)));
    }
    nav.appendChild(h('div', {class: 'bp-group'}, h('h2', {class: 'small-head'}, it.name_zh), ul));
  }
  const body = h('section', {class: 'bp-editor', 'aria-label': '题目统计'});
  main.append(h('div', {class: 'page-head'}, h('h1', null, '题目统计'),
    h('p', {class: 'muted'}, '根据已交卷的答卷计算（默认每名员工的第一次答卷）。提示阈值：通过率 < 0.20 过难、> 0.90 过易，区分度 < 0.20 偏低。')),
  h('div', {class: 'bp-layout'}, nav, body));

  let st;
  try {
    st = await get(`/blueprints/${item}/${level}/stats?attempts=${mode}`);
  } catch (e) {
    body.append(h('p', {class: 'panel'}, e.status === 404 ? '这门考试还没有试卷蓝图。' : String(e.message || e)));
    return;
  }
  const other = mode === 'all' ? 'first' : 'all';
  const csvLink = h('button', {type: 'button', class: 'btn btn-small'}, '导出 CSV');
  csvLink.addEventListener('click', async () => {
    const r = await fetch(`/api/v1/blueprints/${item}/${level}/stats?attempts=${mode}&format=csv`,
      {headers: {Authorization: 'Bearer ' + session.token}});
    const blob = await r.blob();
    const a = h('a', {href: URL.createObjectURL(blob), download: `stats-${item}-${level}.csv`});
    a.click();
  });
  const alphaText = st.alpha == null ? '—' : fmtNum(st.alpha) + (st.alpha_unsatisfactory ? '（不理想）' : '');
  body.append(h('div', {class: 'panel'},
    h('dl', {class: 'facts'},
      h('dt', null, '答卷数'), h('dd', {id: 'stats-attempts'}, String(st.attempts)),
      h('dt', null, '平均分'), h('dd', null, fmtNum(st.mean)),
      h('dt', null, '标准差'), h('dd', null, fmtNum(st.sd)),
      h('dt', null, '信度（α）'), h('dd', {id: 'stats-alpha'}, alphaText),
      h('dt', null, '测量误差'), h('dd', {id: 'stats-sem'}, st.sem == null ? '尚未确定' : `±${fmtNum(st.sem, 1)} 分`)),
    h('p', null,
      h('a', {href: `#/trainer/stats?item=${item}&level=${level}&attempts=${other}`, class: 'btn btn-small'},
        other === 'all' ? '改为统计全部答卷' : '改为只统计第一次答卷'), ' ', csvLink)));

  const qs = st.questions || [];
  if (!qs.length) {
    body.append(h('p', {class: 'panel'}, '还没有已交卷的答卷。'));
    return;
  }
  body.append(h('div', {class: 'panel'}, h('h2', null, '通过率与区分度'), scatter(qs, st.thresholds),
    h('p', {class: 'muted small'}, '红点为有提示的题目；浅色区域为过难、过易或区分度偏低的范围。')));

  let sortKey = 'flags', desc = true;
  const tableBox = h('div', {class: 'panel'});
  function draw() {
    const rows = [...qs].sort((a, b) => {
      const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      const c = typeof x === 'string' ? x.localeCompare(y) : x - y;
      return desc ? -c : c;
    });
    const head = h('tr', null, COLUMNS.map(([key, label, , num]) => {
      const btn = h('button', {type: 'button', class: 'th-sort'}, label + (key === sortKey ? (desc ? ' ▼' : ' ▲') : ''));
      btn.addEventListener('click', () => {
        if (sortKey === key) desc = !desc;
        else { sortKey = key; desc = true; }
        draw();
      });
      return h('th', {scope: 'col', class: num ? 'num' : null,
        'aria-sort': key === sortKey ? (desc ? 'descending' : 'ascending') : 'none'}, btn);
    }));
    const body2 = rows.map((q) => h('tr', {class: q.flags.length ? 'row-short' : null, title: q.stem, translate: 'no'},
      COLUMNS.map(([key, , fn, num]) => h('td', {class: num ? 'num' : null}, String(fn(q, item))))));
    replace(tableBox, h('h2', null, '题目'), h('div', {class: 'table-wrap'},
      h('table', {class: 'data', id: 'stats-table'}, h('caption', {class: 'sr-only'}, '题目统计'),
        h('thead', null, head), h('tbody', null, body2))));
  }
  draw();
  body.append(tableBox);
}
