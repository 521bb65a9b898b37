// 能力画像: one employee's combined profile — the radar chart (the API's SVG) and the 18-item table
// with required level, actual, gap and evidence. Used for #/me/profile and #/hr/employee/{u}.
import {h, field, table, fmtNum, fmtTime, replace, download} from '../dom.js';
import {get, api, qs, errorText} from '../api.js';
import {itemName, levelName, categoryName, gradeName, relationName, scaleName, STATUS_NAMES, model} from '../model.js';

export function evidenceNodes(ev, source) {
  if (!Array.isArray(ev) || !ev.length) return h('span', {class: 'muted'}, '—');
  return h('ul', {class: 'evidence'}, ev.map((e) => {
    if (e === null || typeof e !== 'object') return h('li', null, String(e));
    const attempt = e.attempt_id ?? (source === 'exam' ? e.id : undefined);
    if (attempt !== undefined) {
      const score = e.standard_score ?? e.score;
      return h('li', null, h('a', {href: `#/result/${encodeURIComponent(attempt)}`}, `答卷 #${attempt}`),
        score !== undefined ? `：${fmtNum(score)} 分` : '', e.band != null ? `（${e.band} 级）` : '',
        e.submitted_at ? ` · ${fmtTime(e.submitted_at)}` : '');
    }
    // What an employee gets for their own behaviour items (SPEC §4.5): per relation, anonymous.
    if (e.count !== undefined && e.mean !== undefined && e.rater === undefined) {
      return h('li', {class: 'evidence-relation'}, `${relationName(e.relation)} ${e.count} 人：平均 ${fmtNum(e.mean, 1)} 分`);
    }
    if (e.rater !== undefined || e.relation !== undefined) {
      return h('li', null, `${relationName(e.relation)} ${e.rater ?? ''}：${fmtNum(e.score, 1)} 分`,
        e.weight !== undefined ? ` ×${fmtNum(e.weight, 3, true)}` : '', e.rated_at ? ` · ${fmtTime(e.rated_at)}` : '',
        e.period ? ` · ${e.period}` : '');
    }
    return h('li', null, Object.entries(e).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join('，'));
  }));
}

export function actualText(it) {
  if (it.actual === null || it.actual === undefined) return '—';
  return it.source === 'exam' ? fmtNum(it.actual, 2, true) : fmtNum(it.actual, 1);
}

export function gapClass(gap) {
  if (gap === null || gap === undefined || gap === '') return 'gap-none';
  const g = Number(gap);
  if (g >= 1) return 'gap-pos';
  if (g >= 0) return 'gap-0';
  if (g >= -1) return 'gap-m1';
  if (g >= -2) return 'gap-m2';
  if (g >= -3) return 'gap-m3';
  return 'gap-m4';
}

function summaryNodes(sum) {
  if (!sum || typeof sum !== 'object') return null;
  const counts = sum.counts && typeof sum.counts === 'object' ? sum.counts : sum;
  const chips = ['below', 'meets', 'exceeds', 'missing'].filter((k) => counts[k] !== undefined)
    .map((k) => h('span', {class: ['chip', 'status-' + k]}, `${STATUS_NAMES[k]} ${counts[k]}`));
  let means = sum.category_means || sum.mean_by_category || sum.categories || sum.means || null;
  const meanRows = [];
  if (Array.isArray(means)) {
    for (const m of means) meanRows.push([m.category || m.code, m.mean ?? m.mean_actual ?? m.value]);
  } else if (means && typeof means === 'object') {
    for (const [k, v] of Object.entries(means)) meanRows.push([k, v && typeof v === 'object' ? (v.mean ?? v.mean_actual) : v]);
  }
  return h('div', {class: 'summary'},
    h('div', {class: 'chips'}, chips),
    meanRows.length ? h('dl', {class: 'facts facts-inline'},
      meanRows.map(([c, v]) => [h('dt', null, `${categoryName(c)} 平均`), h('dd', null, v === null || v === undefined ? '—' : fmtNum(v, 2))])) : null);
}

// 下载 PDF 报告 (GET /employees/{u}/report.pdf: A4, real text) and 打印 (this page with the print stylesheet).
function reportButtons(username, params, emp, ctx) {
  const pdf = h('button', {type: 'button', class: 'btn', id: 'report-pdf'}, '下载 PDF 报告');
  pdf.addEventListener('click', async () => {
    pdf.disabled = true;
    try {
      const blob = await api('GET', `/employees/${encodeURIComponent(username)}/report.pdf${qs(params)}`, {blob: true, timeout: 60000});
      download(`能力素质测评报告-${emp.name || username}.pdf`, new Blob([blob], {type: 'application/pdf'}));
    } catch (e) {
      ctx.showBanner('报告生成失败：' + errorText(e));
    } finally {
      pdf.disabled = false;
    }
  });
  const print = h('button', {type: 'button', class: 'btn btn-ghost', id: 'report-print'}, '打印本页');
  print.addEventListener('click', () => window.print());
  return h('div', {class: 'report-actions no-print'}, pdf, print);
}

export async function render(main, ctx) {
  const username = ctx.params.u || ctx.user.username;
  const isMe = !ctx.params.u;
  const head = h('div', {class: 'page-head'});
  const body = h('div');
  main.append(head, body);

  const period = h('input', {type: 'text', placeholder: '最近一次评价的周期', value: ctx.query.get('period') || ''});
  const at = h('input', {type: 'datetime-local', value: ctx.query.get('at') || ''});
  const go = h('button', {type: 'submit', class: 'btn'}, '查询');
  const form = h('form', {class: 'filters', 'aria-label': '画像查询条件'},
    field('评价周期', period).wrap,
    field('计算时点', at).wrap, go,
    h('p', {class: 'hint filters-note'}, '留空时：评价周期取该员工最近一次评价的周期（如 2026H2），计算时点为现在。'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (period.value.trim()) p.set('period', period.value.trim());
    if (at.value) p.set('at', at.value);
    const base = isMe ? '#/me/profile' : `#/hr/employee/${encodeURIComponent(username)}`;
    ctx.navigate(base + (p.toString() ? '?' + p : ''));
  });

  const params = {period: ctx.query.get('period'), at: ctx.query.get('at') ? new Date(ctx.query.get('at')).toISOString() : null};
  let prof;
  try {
    prof = await get(`/employees/${encodeURIComponent(username)}/profile${qs(params)}`);
  } catch (e) {
    replace(head, h('h1', null, isMe ? '我的能力画像' : `能力画像 · ${username}`));
    body.append(form, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取能力画像：' + errorText(e)));
    return;
  }
  const emp = prof.employee && typeof prof.employee === 'object' ? prof.employee : {username};
  replace(head,
    h('h1', null, isMe ? '我的能力画像' : `能力画像 · ${emp.name || emp.username || username}`),
    h('p', {class: 'muted', translate: 'no'}, [emp.username || username, emp.department, emp.grade != null ? gradeName(emp.grade) : null,
      prof.model_version != null ? `模型第 ${prof.model_version} 版` : null, prof.period ? `评价周期 ${prof.period}` : '暂无行为评价周期']
      .filter(Boolean).join(' · ')),
    reportButtons(username, params, emp, ctx));

  // On a phone the chart is drawn at the screen's width, so that its labels stay readable.
  const chartSize = window.innerWidth < 600 ? Math.max(300, Math.min(600, Math.round(window.innerWidth - 24))) : 600;
  const img = h('img', {class: 'radar', alt: `${emp.name || username} 的能力画像雷达图：蓝色为实际水平，红色圆为达标标准（5）`,
    width: String(chartSize < 600 ? chartSize : 520), height: String(chartSize < 600 ? chartSize : 520)});
  const radarBox = h('figure', {class: 'radar-box'}, img,
    h('figcaption', null, '雷达图：18 项能力，0–6 分，红色圆圈为达标线 5 分；缺少数据的项单独标出。'));
  api('GET', `/employees/${encodeURIComponent(username)}/profile.svg${qs({...params, size: chartSize < 600 ? chartSize : undefined})}`, {text: true})
    .then((svg) => { img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg); })
    .catch((e) => { replace(radarBox, h('p', {class: 'error-text'}, '雷达图加载失败：' + errorText(e))); });

  const items = prof.items || [];
  const rows = items.map((it) => h('tr', {class: 'status-row-' + it.status},
    h('td', null, categoryName(it.category || (model().itemByCode.get(it.item) || {}).category)),
    h('th', {scope: 'row'}, itemName(it.item)),
    h('td', null, levelName(it.required_level)),
    h('td', {class: 'num'}, it.standard ?? 5),
    h('td', {class: 'num'}, actualText(it), it.actual != null && it.source === 'behaviour'
      ? h('span', {class: 'muted small'}, ` ${scaleName(Math.round(it.actual))}`) : null),
    h('td', {class: ['num', 'gap', gapClass(it.gap)]}, it.gap === null || it.gap === undefined ? '—'
      : (Number(it.gap) > 0 ? '+' : '') + fmtNum(it.gap, 2, true)),
    h('td', null, h('span', {class: ['chip', 'status-' + it.status]}, STATUS_NAMES[it.status] || it.status)),
    h('td', null, it.source === 'exam' ? '考试' : it.source === 'behaviour' ? '行为评价' : (it.source || '—')),
    h('td', null, evidenceNodes(it.evidence, it.source))));
  const anonymous = items.some((it) => it.evidence_kind === 'relations');

  body.append(form,
    h('div', {class: 'profile-grid'},
      h('section', {class: 'panel'}, h('h2', null, '雷达图'), radarBox),
      h('section', {class: 'panel'}, h('h2', null, '概况'), summaryNodes(prof.summary))),
    h('section', {class: 'panel'}, h('h2', null, '18 项能力明细'),
      table(['类别', '能力项', '要求等级', '标准', '实际', '差距', '状态', '来源', '依据'], rows,
        {caption: '18 项能力明细', scrollable: true, class: 'profile-table'}),
      anonymous ? h('p', {class: 'hint'}, '行为评价按评价关系汇总（人数与平均分），不显示评价人、单项评分和备注。') : null));
}
