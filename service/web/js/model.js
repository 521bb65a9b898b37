// The competency model in force (GET /api/v1/model), cached for the page's life: Chinese names
// of items, subtopics, levels, grades, relations and the rating scale.
import {get} from './api.js';

let current = null;
let loading = null;

export async function loadModel(force = false) {
  if (current && !force) return current;
  if (!loading || force) {
    loading = get('/model').then((m) => { current = index(m); return current; })
      .finally(() => { loading = null; });
  }
  return loading;
}

export function model() { return current; }
export function resetModel() { current = null; }

function index(m) {
  m.itemByCode = new Map(m.items.map((i) => [i.code, i]));
  m.levelByCode = new Map((m.levels || []).map((l) => [l.code, l]));
  m.categoryByCode = new Map((m.categories || []).map((c) => [c.code, c]));
  m.subtopicName = new Map();
  for (const it of m.items) for (const s of it.subtopics || []) m.subtopicName.set(it.code + '/' + s.code, s.name_zh);
  m.examItems = m.items.filter((i) => i.assessment === 'exam');
  m.behaviourItems = m.items.filter((i) => i.assessment !== 'exam');
  return m;
}

const FALLBACK_LEVELS = {junior: '初级', intermediate: '中级', senior: '高级', expert: '资深'};
const FALLBACK_RELATIONS = {self: '自评', supervisor: '上级', peer: '同事', subordinate: '下属', customer: '客户', hr: '人力资源'};
const FALLBACK_SCALE = ['尚不具备', '差距很大', '差距明显', '大部分达标', '基本达标', '达标', '超标'];

export function itemName(code) {
  const it = current && current.itemByCode.get(code);
  return it ? it.name_zh : code;
}
export function subtopicName(item, code) {
  return (current && current.subtopicName.get(item + '/' + code)) || code;
}
export function levelName(code) {
  const l = current && current.levelByCode.get(code);
  return l ? l.name_zh : FALLBACK_LEVELS[code] || code || '—';
}
export function categoryName(code) {
  const c = current && current.categoryByCode.get(code);
  return c ? c.name_zh : code;
}
export function gradeName(g) {
  if (g === null || g === undefined || g === '') return '—';
  const x = current && (current.grades || []).find((x) => String(x.grade) === String(g));
  return x ? x.name_zh : `${g} 级`;
}
export function relationName(code) {
  const r = current && (current.relations || []).find((x) => x.code === code);
  return r ? r.name_zh : FALLBACK_RELATIONS[code] || code;
}
export function relations() {
  return (current && current.relations) || Object.entries(FALLBACK_RELATIONS).map(([code, name_zh]) => ({code, name_zh}));
}
export function scaleName(score) {
  const r = current && (current.rating_scale || []).find((x) => x.score === Number(score));
  return r ? r.name_zh : FALLBACK_SCALE[Math.round(Number(score))] || '';
}
export function levels() {
  return (current && current.levels) || Object.entries(FALLBACK_LEVELS).map(([code, name_zh]) => ({code, name_zh}));
}

export const TYPE_NAMES = {single: '单选', multiple: '多选', truefalse: '判断', fill: '填空'};
export const GRADING_NAMES = {highest: '取最高分', latest: '取最近一次', first: '取首次', average: '取平均分'};
export const ROLE_NAMES = {employee: '客户经理', trainer: '培训管理员', hr: '人力资源', admin: '系统管理员'};
export const STATUS_NAMES = {below: '未达标', meets: '达标', exceeds: '超标', missing: '无数据'};
