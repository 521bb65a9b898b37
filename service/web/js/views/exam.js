// 考试: one attempt. The countdown follows the server's deadline and clock; every change is saved
// at once through the answer queue (saved / saving / offline); a confirmation before 交卷.
import {h, uid, confirmDialog, fmtDuration, fmtLimit} from '../dom.js';
import {api, get, post, errorText} from '../api.js';
import {itemName, levelName, subtopicName, TYPE_NAMES} from '../model.js';
import {AnswerQueue} from '../answers.js';
import {ServerClock} from '../clock.js';

function isAnswered(a) {
  if (a === undefined || a === null) return false;
  if (Array.isArray(a)) return a.length > 0;
  if (typeof a === 'string') return a.trim() !== '';
  return true;
}

async function fetchAttempt(id, clock, force) {
  const t0 = performance.now();
  const doc = await api('GET', `/attempts/${id}`);
  clock.sync(Date.parse(doc.server_time), performance.now() - t0, t0, force);
  return doc;
}

export async function render(main, ctx) {
  const id = ctx.params.id;
  const clock = new ServerClock();
  let doc = await fetchAttempt(id, clock, true);
  if (doc.status !== 'open') {
    ctx.navigate(`#/result/${id}`);
    return;
  }
  const deadline = Date.parse(doc.deadline);
  const questions = doc.questions || [];
  const byId = new Map(questions.map((q) => [String(q.id), q]));
  let current = 0;
  let ended = false;
  let answers = {};
  const cards = new Map();   // qid -> {card, setUI(answer), inputs}
  const navBtns = new Map(); // qid -> button

  // ---------------------------------------------------------------- status widgets
  const timerEl = h('span', {class: 'timer', id: 'timer', role: 'timer', 'aria-live': 'off', 'aria-atomic': 'true'}, '--:--');
  const timerBox = h('div', {class: 'timer-box'}, h('span', {class: 'timer-label'}, '剩余时间'), timerEl);
  const timeAnnounce = h('p', {class: 'sr-only', 'aria-live': 'assertive'});
  const saveEl = h('div', {class: 'save-status', id: 'save-status', role: 'status', 'aria-live': 'polite'}, '已保存');
  const progressEl = h('p', {class: 'progress-text'});
  const submitBtn = h('button', {type: 'button', class: 'btn btn-primary btn-block', id: 'submit-exam'}, '交卷');
  const endedEl = h('div', {class: 'ended-notice', role: 'alert', hidden: true});

  const queue = new AnswerQueue(id, {
    onStatus: (s) => showStatus(s),
    onClosed: () => closedByServer(),
    onError: (qid, msg) => {
      const n = questions.findIndex((q) => String(q.id) === String(qid)) + 1;
      ctx.showBanner(`保存失败：第 ${n} 题，${msg}`);
    },
    onStale: () => resync(false),
    onServerTime: (ms, rtt, t0) => clock.sync(ms, rtt, t0),
  });
  answers = queue.merge(doc.answers, doc.answer_seqs);

  function showStatus(s) {
    saveEl.className = 'save-status save-' + s.state;
    if (s.state === 'saved') saveEl.textContent = s.offline ? '已保存（网络离线）' : '已保存';
    else if (s.state === 'saving') saveEl.textContent = '保存中…';
    else if (s.state === 'offline') saveEl.textContent = `离线（${s.pending} 条待同步）`;
    else if (s.state === 'error') saveEl.textContent = '保存失败';
    else if (s.state === 'closed') saveEl.textContent = '考试已结束';
    if (s.state === 'offline' || (s.state === 'saved' && s.offline)) offlineEl.hidden = false;
    // A submit that waited for the network: once everything is saved its message goes.
    const waiting = document.querySelector('dialog[open] .dialog-error.sync-wait');
    if (waiting && s.state === 'saved' && !queue.count()) {
      waiting.textContent = '答案已全部同步到服务器，现在可以交卷。';
      waiting.classList.remove('sync-wait');
      waiting.classList.add('sync-done');
    }
  }

  function updateProgress() {
    const n = questions.filter((q) => isAnswered(answers[String(q.id)])).length;
    progressEl.textContent = `已答 ${n} / ${questions.length} 题`;
    for (const q of questions) {
      const b = navBtns.get(String(q.id));
      const done = isAnswered(answers[String(q.id)]);
      b.classList.toggle('answered', done);
      b.setAttribute('aria-label', `第 ${b.dataset.n} 题，${done ? '已作答' : '未作答'}`);
    }
  }

  function change(qid, value) {
    if (ended) return;
    answers[qid] = value;
    queue.set(qid, value);
    updateProgress();
  }

  // ---------------------------------------------------------------- questions
  function questionCard(q, index) {
    const qid = String(q.id);
    const headId = uid('qh');
    const meta = h('p', {class: 'q-meta'},
      h('span', {class: 'q-num'}, `第 ${index + 1} 题`), ` / 共 ${questions.length} 题`,
      h('span', {class: 'tag'}, TYPE_NAMES[q.type] || q.type),
      h('span', {class: 'tag tag-light'}, `${q.points} 分`),
      h('span', {class: 'q-subtopic'}, subtopicName(doc.item, q.subtopic)));
    const card = h('article', {class: 'question', id: 'q-' + qid, 'aria-labelledby': headId, dataset: {qid}, hidden: true});
    const note = h('p', {class: 'q-note', hidden: true, role: 'status'});
    let setUI;
    const inputs = [];
    if (q.type === 'fill') {
      const input = h('input', {type: 'text', id: uid('fill'), autocomplete: 'off', class: 'fill-input', maxlength: '500'});
      inputs.push(input);
      let t = null;
      const commit = () => {
        if (t) { clearTimeout(t); t = null; }
        if ((answers[qid] ?? '') !== input.value) change(qid, input.value);
      };
      input.addEventListener('input', () => { if (t) clearTimeout(t); t = setTimeout(commit, 500); });
      input.addEventListener('change', commit);
      input.addEventListener('blur', commit);
      setUI = (a) => { if (document.activeElement !== input) input.value = typeof a === 'string' ? a : ''; };
      card.append(meta,
        h('h2', {class: 'q-stem', id: headId}, h('label', {for: input.id}, q.stem)),
        h('div', {class: 'fill-wrap'}, input, h('span', {class: 'hint'}, '输入答案，停顿后自动保存')));
    } else {
      const multiple = q.type === 'multiple';
      const opts = q.type === 'truefalse'
        ? [{id: 'true', text: '正确', value: true}, {id: 'false', text: '错误', value: false}]
        : (q.options || []).map((o) => ({id: o.id, text: o.text, value: o.id}));
      const name = 'q-' + qid;
      const list = h('div', {class: 'options'});
      for (const o of opts) {
        const inp = h('input', {type: multiple ? 'checkbox' : 'radio', name, id: uid('opt'), value: o.id});
        inp._value = o.value;
        inputs.push(inp);
        inp.addEventListener('change', () => {
          if (multiple) {
            const chosen = inputs.filter((x) => x.checked).map((x) => x._value).sort();
            if (!chosen.length) {
              note.textContent = '多选题至少选择一项；清空选择不会被保存，已保存的答案仍有效。';
              note.hidden = false;
              return;
            }
            note.hidden = true;
            change(qid, chosen);
          } else if (inp.checked) {
            change(qid, o.value);
          }
        });
        list.appendChild(h('label', {class: 'option', for: inp.id}, inp,
          q.type === 'truefalse' ? null : h('span', {class: 'opt-id', 'aria-hidden': 'true'}, o.id),
          h('span', {class: 'opt-text'}, q.type === 'truefalse' ? o.text : `${o.text}`)));
      }
      setUI = (a) => {
        for (const inp of inputs) {
          if (multiple) inp.checked = Array.isArray(a) && a.includes(inp._value);
          else inp.checked = a !== undefined && a !== null && inp._value === a;
        }
      };
      card.append(meta, h('fieldset', {class: 'q-fieldset'},
        h('legend', {class: 'q-stem', id: headId}, q.stem),
        multiple ? h('p', {class: 'hint'}, '多选题：选出全部正确选项') : null,
        list));
    }
    card.appendChild(note);
    setUI(answers[qid]);
    cards.set(qid, {card, setUI, inputs});
    return card;
  }

  const navGrid = h('div', {class: 'q-nav-grid'});
  questions.forEach((q, i) => {
    const b = h('button', {type: 'button', class: 'q-nav-btn', dataset: {n: String(i + 1), qid: String(q.id)}}, String(i + 1));
    b.addEventListener('click', () => show(i, true));
    navBtns.set(String(q.id), b);
    navGrid.appendChild(b);
  });

  const prevBtn = h('button', {type: 'button', class: 'btn', id: 'prev-q'}, '上一题');
  const nextBtn = h('button', {type: 'button', class: 'btn btn-primary', id: 'next-q'}, '下一题');
  prevBtn.addEventListener('click', () => show(current - 1, true));
  nextBtn.addEventListener('click', () => show(current + 1, true));

  const qArea = h('div', {class: 'q-area'});
  questions.forEach((q, i) => qArea.appendChild(questionCard(q, i)));

  function show(i, focus) {
    if (i < 0 || i >= questions.length) return;
    const prev = questions[current];
    cards.get(String(prev.id)).card.hidden = true;
    navBtns.get(String(prev.id)).removeAttribute('aria-current');
    navBtns.get(String(prev.id)).classList.remove('current');
    current = i;
    const q = questions[i];
    const c = cards.get(String(q.id));
    c.card.hidden = false;
    navBtns.get(String(q.id)).setAttribute('aria-current', 'step');
    navBtns.get(String(q.id)).classList.add('current');
    prevBtn.disabled = i === 0;
    nextBtn.disabled = i === questions.length - 1;
    try { sessionStorage.setItem('examd.current.' + id, String(i)); } catch { /* ignore */ }
    if (focus) {
      const first = c.inputs.find((x) => x.checked) || c.inputs[0];
      if (first) first.focus({preventScroll: true});
      c.card.scrollIntoView({block: 'nearest'});
    }
  }

  // ---------------------------------------------------------------- offline banner
  const offlineEl = h('div', {class: 'offline-banner', id: 'offline-banner', role: 'status', hidden: navigator.onLine},
    '网络已断开：答案先保存在本机，恢复网络后自动同步到服务器。考试计时不会暂停。');
  const onNet = () => { offlineEl.hidden = navigator.onLine; };
  window.addEventListener('online', onNet);
  window.addEventListener('offline', onNet);

  // ---------------------------------------------------------------- layout
  main.appendChild(offlineEl);
  main.appendChild(h('div', {class: 'exam-layout'},
    h('div', {class: 'exam-head'},
      h('h1', null, itemName(doc.item)),
      h('p', {class: 'muted'}, `${levelName(doc.level)} · 共 ${questions.length} 题 · 限时 ${fmtLimit(doc.time_limit_seconds)}`),
      doc.session ? h('p', {class: 'session-line', id: 'exam-session'}, `考试安排：${doc.session.title} · 截止 ` +
        new Date(doc.session.closes_at).toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai', hour12: false}) + '（北京时间）') : null,
      doc.practice ? h('p', {class: 'session-line', id: 'exam-practice'}, '练习模式：本次成绩不计入能力画像') : null),
    h('aside', {class: 'exam-status panel', 'aria-label': '考试状态'}, timerBox, saveEl, progressEl, submitBtn, timeAnnounce),
    h('section', {class: 'exam-main', 'aria-label': '试题'}, endedEl, qArea,
      h('div', {class: 'q-pager'}, prevBtn, nextBtn)),
    h('nav', {class: 'exam-nav panel', 'aria-label': '题目导航'},
      h('h2', {class: 'small-head'}, '题目导航'),
      navGrid,
      h('p', {class: 'legend'}, h('span', {class: 'legend-dot answered'}), '已答 ',
        h('span', {class: 'legend-dot'}), '未答 ', h('span', {class: 'legend-dot current'}), '当前'))));

  const saved = Number(sessionStorage.getItem('examd.current.' + id) || 0);
  current = Math.min(Math.max(0, saved), Math.max(0, questions.length - 1));
  if (questions.length) show(current, false);
  updateProgress();
  showStatus(queue.status());
  if (queue.count()) queue.retryAll();

  // ---------------------------------------------------------------- clock
  let warned5 = false;
  let warned1 = false;
  function tick() {
    if (ended) return;
    const remaining = (deadline - clock.now()) / 1000;
    timerEl.textContent = fmtDuration(Math.ceil(Math.max(0, remaining)));
    timerBox.classList.toggle('warn', remaining <= 300 && remaining > 60);
    timerBox.classList.toggle('danger', remaining <= 60);
    if (remaining <= 300 && !warned5 && doc.time_limit_seconds > 300) { warned5 = true; timeAnnounce.textContent = '剩余 5 分钟'; }
    if (remaining <= 60 && !warned1 && doc.time_limit_seconds > 60) { warned1 = true; timeAnnounce.textContent = '剩余 1 分钟'; }
    if (remaining <= 0) timeUp();
  }
  const interval = setInterval(tick, 250);
  tick();

  async function resync(force) {
    if (ended) return;
    try {
      const fresh = await fetchAttempt(id, clock, force);
      if (fresh.status !== 'open') { closedByServer(); return; }
      doc = fresh;
      // Answers written elsewhere (another computer) with a newer seq replace ours.
      const before = {...answers};
      answers = queue.merge(fresh.answers, fresh.answer_seqs);
      for (const [qid, a] of Object.entries(answers)) {
        if (JSON.stringify(before[qid]) !== JSON.stringify(a) && cards.get(qid)) cards.get(qid).setUI(a);
      }
      updateProgress();
      tick();
    } catch (e) {
      if (e.code === 'attempt_closed') closedByServer();
    }
  }
  const onVisible = () => { if (document.visibilityState === 'visible') resync(true); };
  document.addEventListener('visibilitychange', onVisible);
  window.addEventListener('focus', onVisible);
  const resyncTimer = setInterval(() => resync(false), 60000);
  const onOnline = () => resync(true);
  window.addEventListener('online', onOnline);
  const beforeUnload = (e) => {
    if (!ended && queue.count()) { e.preventDefault(); e.returnValue = ''; }
  };
  window.addEventListener('beforeunload', beforeUnload);

  // ---------------------------------------------------------------- ending
  function lockInputs(message) {
    ended = true;
    for (const c of cards.values()) for (const inp of c.inputs) inp.disabled = true;
    submitBtn.disabled = true;
    endedEl.textContent = message;
    endedEl.hidden = false;
  }

  function closedByServer() {
    if (ended && !pollTimer) return;
    if (!ended) lockInputs('本次考试已结束，试卷已提交。正在打开成绩…');
    finish('closed');
  }

  let pollTimer = null;
  function finish(reason) {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
    queue.forget();
    queue.stop();
    setTimeout(() => { if (ctx.isCurrent()) ctx.navigate(`#/result/${id}?${reason}=1`); }, reason === 'timeout' ? 1200 : 600);
  }

  async function timeUp() {
    if (ended) return;
    timerEl.textContent = '00:00';
    lockInputs('考试时间到，正在提交试卷…');
    await queue.flush(Math.max(2000, ((doc.grace_seconds || 10) - 2) * 1000));
    try {
      await post(`/attempts/${id}/submit`);
      endedEl.textContent = '考试时间到，试卷已提交。';
      finish('timeout');
    } catch (e) {
      if (e.code === 'attempt_closed') { endedEl.textContent = '考试时间到，试卷已提交。'; finish('timeout'); return; }
      endedEl.textContent = `考试时间到。暂时无法连接服务器（${errorText(e)}），系统会在截止后自动交卷；恢复网络后将显示成绩。`;
      pollTimer = setInterval(async () => {
        try {
          const d = await get(`/attempts/${id}`);
          if (d.status !== 'open') { endedEl.textContent = '考试时间到，试卷已提交。'; finish('timeout'); }
        } catch { /* still offline */ }
      }, 3000);
    }
  }

  submitBtn.addEventListener('click', async () => {
    const unanswered = questions.map((q, i) => (isAnswered(answers[String(q.id)]) ? null : i + 1)).filter(Boolean);
    const ok = await confirmDialog({
      title: '确认交卷',
      body: [
        h('p', null, `已答 ${questions.length - unanswered.length} 题，未答 ${unanswered.length} 题。`),
        unanswered.length ? h('p', {class: 'warn-text'}, `未答题号：${unanswered.slice(0, 30).join('、')}${unanswered.length > 30 ? '…' : ''}`) : null,
        h('p', null, '交卷后不能再修改答案。确定要交卷吗？'),
      ],
      ok: '确认交卷',
      cancel: '继续作答',
      onConfirm: async () => {
        const note = document.querySelector('dialog[open] .dialog-error');
        const waitNote = (text) => {
          if (!note) return;
          note.textContent = text;
          note.hidden = false;
          note.classList.add('sync-wait');
        };
        if (queue.count() && !navigator.onLine) {
          waitNote(`网络已断开：还有 ${queue.count()} 条答案只保存在本机，尚未同步到服务器。恢复网络后会自动同步，届时再点“确认交卷”。`);
          throw new Error('');
        }
        if (queue.count()) waitNote(`正在把 ${queue.count()} 条答案同步到服务器，请稍候（最多约 6 秒）…`);
        const flushed = await queue.flush(6000);
        if (!flushed) {
          waitNote(`还有 ${queue.count()} 条答案未同步到服务器（网络不通或服务器暂时无法访问）。恢复后会自动同步，届时再点“确认交卷”。`);
          throw new Error('');
        }
        if (note) { note.hidden = true; note.classList.remove('sync-wait'); }
        try {
          await post(`/attempts/${id}/submit`);
        } catch (e) {
          if (e.code !== 'attempt_closed') throw new Error('交卷失败：' + errorText(e));
        }
      },
    });
    if (ok) {
      lockInputs('试卷已提交，正在打开成绩…');
      finish('submitted');
    }
  });

  return () => {
    clearInterval(interval);
    clearInterval(resyncTimer);
    if (pollTimer) clearInterval(pollTimer);
    document.removeEventListener('visibilitychange', onVisible);
    window.removeEventListener('focus', onVisible);
    window.removeEventListener('online', onOnline);
    window.removeEventListener('online', onNet);
    window.removeEventListener('offline', onNet);
    window.removeEventListener('beforeunload', beforeUnload);
    queue.stop();
  };
}
