// Pagination for long lists: "第 x / y 页（共 n 条）" with previous / next and a page-size choice.
// Server-side lists pass total and offset; client-side lists use slicePage.
import {h} from './dom.js';

export const PAGE_SIZES = [20, 50, 100];

// pager({total, offset, limit, onPage(offset), label}) -> <nav class="pager">
export function pager({total, offset, limit, onPage, label = '分页'}) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.min(pages, Math.floor(offset / limit) + 1);
  const prev = h('button', {type: 'button', class: 'btn btn-small', disabled: page <= 1}, '上一页');
  const next = h('button', {type: 'button', class: 'btn btn-small', disabled: page >= pages}, '下一页');
  prev.addEventListener('click', () => onPage(Math.max(0, (page - 2) * limit)));
  next.addEventListener('click', () => onPage(page * limit));
  return h('nav', {class: 'pager', 'aria-label': label},
    prev, h('span', {class: 'pager-text', role: 'status'}, `第 ${page} / ${pages} 页（共 ${total} 条）`), next);
}

// The rows of one page of a list held in the browser.
export function slicePage(list, offset, limit) {
  return list.slice(offset, offset + limit);
}

// Names in pinyin order (the browser's ICU collation for zh-CN), then by login name.
const collator = new Intl.Collator('zh-CN', {numeric: true, sensitivity: 'base'});
export function byPinyin(a, b) {
  return collator.compare(a || '', b || '');
}
