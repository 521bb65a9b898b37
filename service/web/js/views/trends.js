// 趋势: an employee's 18 values per period as a line chart, and a department's band distribution per
// item and period as a heat map (GET /api/v1/employees/{u}/trends, /departments/{d}/trends), both
// drawn here as inline SVG / a coloured table. A period's values are the profile at the end of it.
import {h, field, replace, fmtNum, download} from '../dom.js';
import {api, get, qs, errorText} from '../api.js';
import {model, itemName, gradeName} from '../model.js';

const NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22',
  '#17becf', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#e6550d', '#31a354'];

function lineChart(t) {
  const periods = t.periods, W = 760, H = 320, L = 40, R = 20, T = 16, B = 40;
  const x = (k) => L + (periods.length === 1 ? (W - L - R) / 2 : k * (W - L - R) / (periods.length - 1));
  const y = (v) => T + (6 - v) * (H - T - B) / 6;
  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, width: '100%', role: 'img', id: 'trend-chart', 'aria-label': '各项得分随周期的变化'});
  for (let v = 0; v <= 6; v++) {
    svg.append(s('line', {x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: v === 5 ? '#d62728' : '#ddd', 'stroke-dasharray': v === 5 ? '4 3' : ''}));
    svg.append(s('text', {x: L - 8, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11}, String(v)));
  }
  periods.forEach((p, k) => svg.append(s('text', {x: x(k), y: H - B + 18, 'text-anchor': 'middle', 'font-size': 12}, p.period)));
  t.items.forEach((item, i) => {
    const pts = periods.map((p, k) => [k, p.values[item]]).filter(([, v]) => v != null);
    const g = s('g', {class: 'trend-line', 'data-item': item}, s('title', {}, itemName(item)));
    if (pts.length > 1) g.append(s('polyline', {points: pts.map(([k, v]) => `${x(k)},${y(v)}`).join(' '), fill: 'none', stroke: COLOURS[i], 'stroke-width': 2}));
    for (const [k, v] of pts) g.append(s('circle', {cx: x(k), cy: y(v), r: 3.5, fill: COLOURS[i]}, s('title', {}, `${itemName(item)} ${periods[k].period}：${fmtNum(v, 1, true)}`)));
    svg.append(g);
  });
  const legend = h('div', {class: 'chips'}, t.items.map((item, i) => h('span', {class: 'chip'},
    h('span', {class: 'legend-swatch', 'data-colour': String(i)}, '■ '), itemName(item))));
  // CSP forbids inline style attributes set from markup; colour the swatches through the DOM.
  legend.querySelectorAll('.legend-swatch').forEach((el) => { el.style.color = COLOURS[Number(el.dataset.colour)]; });
  return [svg, legend];
}

function valueTable(t) {
  return h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '各周期得分'},
    h('table', {class: 'data', id: 'trend-table'},
      h('thead', null, h('tr', null, h('th', {scope: 'col'}, '项目'), t.periods.map((p) => h('th', {scope: 'col'}, p.period)))),
      h('tbody', null, t.items.map((item) => h('tr', null, h('th', {scope: 'row'}, itemName(item)),
        t.periods.map((p) => h('td', {class: 'num'}, p.values[item] == null ? '—' : fmtNum(p.values[item], 1, true))))))));
}

// Share of employees meeting the standard -> a colour from red (0) to green (1).
function heat(share) {
  const r = Math.round(220 - 150 * share), g = Math.round(90 + 110 * share);
  return `rgb(${r},${g},110)`;
}

function heatMap(t) {
  const cells = new Map();
  const table = h('table', {class: 'data heatmap', id: 'dept-heatmap'},
    h('thead', null, h('tr', null, h('th', {scope: 'col'}, '项目'), t.periods.map((p) => h('th', {scope: 'col'}, p.period)))),
    h('tbody', null, t.items.map((item, i) => h('tr', null, h('th', {scope: 'row'}, itemName(item)),
      t.periods.map((p) => {
        const c = p.items[i];
        const rated = t.employees - c.missing;
        const td = h('td', {class: 'num', title: `${itemName(item)} ${p.period}：` +
          c.counts.map((n, b) => `${b} 分 ${n} 人`).join('，') + `，缺少证据 ${c.missing} 人`},
        rated ? `${c.met}/${rated} 达标` : '无证据');
        cells.set(td, rated ? c.met / rated : null);
        return td;
      })))));
  for (const [td, share] of cells) {
    if (share == null) continue;
    td.style.backgroundColor = heat(share);
    td.style.color = '#fff';
  }
  return h('div', {class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': '部门趋势热力图'}, table);
}

function reportButton(department, ctx) {
  const b = h('button', {type: 'button', class: 'btn', id: 'dept-report-pdf'}, '下载部门报告 PDF');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const blob = await api('GET', `/departments/${encodeURIComponent(department)}/report.pdf`, {blob: true, timeout: 60000});
      download(`部门能力素质报告-${department}.pdf`, new Blob([blob], {type: 'application/pdf'}));
    } catch (e) {
      ctx.showBanner('报告生成失败：' + errorText(e));
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

export async function render(main, ctx) {
  model();
  const p = ctx.query;
  const who = h('input', {type: 'text', value: p.get('employee') || '', placeholder: '员工用户名', id: 'trends-employee'});
  const dept = h('input', {type: 'text', value: p.get('department') || '', placeholder: '部门名称', id: 'trends-department'});
  const form = h('form', {class: 'filters panel', 'aria-label': '趋势查询条件'},
    field('员工', who).wrap, field('部门', dept).wrap, h('button', {type: 'submit', class: 'btn btn-primary'}, '查询'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    ctx.navigate('#/hr/trends' + qs({employee: who.value.trim(), department: dept.value.trim()}));
  });
  const empOut = h('section'), deptOut = h('section');
  main.append(h('div', {class: 'page-head'}, h('h1', null, '趋势'),
    h('p', {class: 'muted'}, '每个评价周期的数值是该周期结束时（该周期最后一条评价的时间）的能力画像：该周期的行为评价，以及到那时为止按规则计入的考试成绩。')),
  form, empOut, deptOut);
  if (p.get('employee')) {
    try {
      const t = await get(`/employees/${encodeURIComponent(p.get('employee'))}/trends`);
      const e = t.employee;
      replace(empOut, h('h2', {translate: 'no'}, `${e.name || e.username}（${e.username}）${e.grade != null ? ' · ' + gradeName(e.grade) : ''}`),
        t.periods.length ? [...lineChart(t), valueTable(t)] : h('p', {class: 'panel'}, '该员工还没有任何周期的评价。'));
    } catch (err) {
      replace(empOut, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取员工趋势：' + errorText(err)));
    }
  }
  if (p.get('department')) {
    try {
      const t = await get(`/departments/${encodeURIComponent(p.get('department'))}/trends`, {timeout: 60000});
      replace(deptOut, h('h2', {translate: 'no'}, `${t.department}：${t.employees} 人，各项达标人数（5 分及以上）`),
        h('p', {class: 'no-print'}, reportButton(t.department, ctx)),
        t.periods.length ? heatMap(t) : h('p', {class: 'panel'}, '该部门还没有任何周期的评价。'));
    } catch (err) {
      replace(deptOut, h('p', {class: 'panel error-text', role: 'alert'}, '无法读取部门趋势：' + errorText(err)));
    }
  }
}
