// DOM helpers. Every piece of data reaches the page through textContent or an attribute,
// never through innerHTML, so no user or server text is ever parsed as HTML.

let uidCounter = 0;
export function uid(prefix = 'f') {
  uidCounter += 1;
  return `${prefix}-${uidCounter}`;
}

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'multiple', 'readOnly', 'required',
  'indeterminate', 'open']);

// h('button', {class: 'btn', onclick: fn}, '保存') -> <button class="btn">保存</button>
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, val] of Object.entries(attrs)) {
      if (val === undefined || val === null || val === false && !PROPS.has(key)) continue;
      if (key === 'class') el.className = Array.isArray(val) ? val.filter(Boolean).join(' ') : val;
      else if (key === 'text') el.textContent = String(val);
      else if (key === 'for') el.htmlFor = val;
      else if (key === 'dataset') Object.assign(el.dataset, val);
      else if (key.startsWith('on') && typeof val === 'function') el.addEventListener(key.slice(2), val);
      else if (PROPS.has(key)) el[key] = val;
      else el.setAttribute(key, val === true ? '' : String(val));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// A labelled form field: returns {wrap, input, id}.
export function field(label, control, hint) {
  const id = control.id || uid('f');
  control.id = id;
  const hintEl = hint ? h('span', {class: 'hint', id: id + '-hint'}, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const wrap = h('div', {class: 'field'}, h('label', {for: id}, label), control, hintEl);
  return {wrap, input: control, id};
}

// A control with a visually hidden <label for> (for controls inside table cells).
export function labelled(text, control) {
  if (!control.id) control.id = uid('f');
  return [h('label', {for: control.id, class: 'sr-only'}, text), control];
}

export function select(options, value, attrs = {}) {
  const sel = h('select', attrs);
  for (const o of options) {
    const opt = h('option', {value: o.value}, o.label);
    if (String(o.value) === String(value ?? '')) opt.selected = true;
    sel.appendChild(opt);
  }
  return sel;
}

export function table(headers, rows, attrs = {}) {
  // a header is a text, or [text, class] (e.g. ['分值', 'num'] to right-align a numeric column)
  const thead = h('thead', null, h('tr', null, headers.map((t) => (Array.isArray(t)
    ? h('th', {scope: 'col', class: t[1]}, t[0]) : h('th', {scope: 'col'}, t)))));
  const tbody = h('tbody', null, rows);
  return h('div', {class: 'table-wrap', tabindex: attrs.scrollable ? '0' : null, role: attrs.scrollable ? 'region' : null,
    'aria-label': attrs.scrollable ? attrs.caption : null},
  h('table', {class: ['data', attrs.class]}, attrs.caption ? h('caption', {class: 'sr-only'}, attrs.caption) : null, thead, tbody));
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString('zh-CN', {hour12: false});
}

// fmtNum(85, 2) -> "85.00"; fmtNum(1.50, 2, true) -> "1.5" (trailing zeros trimmed).
export function fmtNum(x, digits = 2, trim = false) {
  if (x === null || x === undefined || x === '') return '—';
  const n = Number(x);
  if (!Number.isFinite(n)) return String(x);
  const s = n.toFixed(digits);
  return trim && s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

// A time limit in words: "30 秒", "20 分钟", "1.5 分钟".
export function fmtLimit(seconds) {
  return seconds < 60 ? `${seconds} 秒` : `${Math.round(seconds / 6) / 10} 分钟`;
}

export function fmtDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const p = (n) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${p(mm)}:${p(ss)}` : `${p(mm)}:${p(ss)}`;
}

// A modal confirmation built on <dialog> (focus is kept inside, Esc cancels).
export function confirmDialog({title, body, ok = '确定', cancel = '取消', danger = false, onConfirm, wide = false}) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const err = h('p', {class: 'dialog-error', role: 'alert', hidden: true});
    const okBtn = h('button', {type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary']}, ok);
    const cancelBtn = h('button', {type: 'button', class: 'btn'}, cancel);
    const dlg = h('dialog', {class: wide ? 'dialog dialog-wide' : 'dialog', 'aria-labelledby': titleId},
      h('h2', {id: titleId}, title),
      h('div', {class: 'dialog-body'}, body),
      err,
      h('div', {class: 'dialog-actions'}, cancelBtn, okBtn));
    let done = false;
    const finish = (v) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancelBtn.addEventListener('click', () => finish(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); finish(false); });
    okBtn.addEventListener('click', async () => {
      if (!onConfirm) return finish(true);
      okBtn.disabled = true;
      cancelBtn.disabled = true;
      err.hidden = true;
      try {
        const r = await onConfirm();
        if (r === false) throw new Error('');
        finish(true);
      } catch (e) {
        if (e && e.message) {
          err.textContent = e.message;
          err.hidden = false;
        }
        okBtn.disabled = false;
        cancelBtn.disabled = false;
      }
    });
    document.body.appendChild(dlg);
    dlg.showModal();
    cancelBtn.focus();
  });
}

// Triggers a download of text content without navigating away.
export function download(filename, blob) {
  const url = URL.createObjectURL(blob);
  const a = h('a', {href: url, download: filename, class: 'sr-only'}, filename);
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}
