// The answer queue of one attempt. Every change gets the next per-question `seq` and is sent at
// once; the seqs and the changes not yet acknowledged are kept in localStorage, so a reload, a
// lost network or a crash loses nothing: the queue is retried (with backoff, and at once when
// the browser says it is online again) with the same seq, which the server applies only if no
// newer one is stored (SPEC §4.4).
import {api, ApiError, errorText} from './api.js';

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

export class AnswerQueue {
  constructor(attemptId, hooks) {
    this.id = String(attemptId);
    this.key = 'examd.attempt.' + this.id;
    this.hooks = hooks; // onStatus(status), onClosed(), onError(qid, message), onStale(qid, seq), onServerTime(ms, rtt)
    this.seqs = {};
    this.pending = {};
    this.inflight = {};
    this.offline = !navigator.onLine;
    this.failures = 0;
    this.timer = null;
    this.closed = false;
    this.stopped = false;
    this.lastError = null;
    this.restore();
    this.onOnline = () => { this.offline = false; this.failures = 0; this.retryAll(); };
    this.onOffline = () => { this.offline = true; this.emit(); };
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
  }

  restore() {
    try {
      const s = JSON.parse(localStorage.getItem(this.key) || 'null');
      if (s) {
        this.seqs = s.seqs || {};
        this.pending = s.pending || {};
      }
    } catch { /* a damaged entry is ignored: the server's copy wins */ }
  }

  persist() {
    try {
      localStorage.setItem(this.key, JSON.stringify({seqs: this.seqs, pending: this.pending, at: Date.now()}));
    } catch { /* storage full: the queue still lives in memory */ }
  }

  // Merges the server's answers and seqs with what this browser holds; returns the answers to show.
  merge(serverAnswers, serverSeqs) {
    const shown = {...(serverAnswers || {})};
    for (const [qid, seq] of Object.entries(serverSeqs || {})) {
      if ((this.seqs[qid] || 0) < seq) this.seqs[qid] = seq;
      const p = this.pending[qid];
      if (p && p.seq <= seq && !this.inflight[qid]) delete this.pending[qid];
    }
    for (const [qid, p] of Object.entries(this.pending)) shown[qid] = p.answer;
    this.persist();
    return shown;
  }

  count() { return Object.keys(this.pending).length; }
  busy() { return Object.keys(this.inflight).length > 0; }

  status() {
    const n = this.count();
    if (this.closed) return {state: 'closed', pending: n};
    if (n && (this.offline || this.failures > 0)) return {state: 'offline', pending: n};
    if (n || this.busy()) return {state: 'saving', pending: n};
    if (this.lastError) return {state: 'error', pending: 0, message: this.lastError};
    return {state: 'saved', pending: 0, offline: this.offline};
  }

  emit() { if (!this.stopped) this.hooks.onStatus(this.status()); }

  set(qid, answer) {
    qid = String(qid);
    const seq = (this.seqs[qid] || 0) + 1;
    this.seqs[qid] = seq;
    this.pending[qid] = {answer, seq};
    this.lastError = null;
    this.persist();
    this.send(qid);
    this.emit();
  }

  retryAll() {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    for (const qid of Object.keys(this.pending)) this.send(qid);
    this.emit();
  }

  scheduleRetry() {
    if (this.timer || this.stopped) return;
    const delay = BACKOFF_MS[Math.min(this.failures - 1, BACKOFF_MS.length - 1)] || 1000;
    this.timer = setTimeout(() => { this.timer = null; this.retryAll(); }, delay);
  }

  async send(qid) {
    if (this.closed || this.stopped || this.inflight[qid]) return;
    const p = this.pending[qid];
    if (!p) return;
    this.inflight[qid] = p.seq;
    this.emit();
    const t0 = performance.now();
    try {
      const r = await api('PUT', `/attempts/${this.id}/answers/${qid}`, {json: {answer: p.answer, seq: p.seq}, timeout: 12000});
      const rtt = performance.now() - t0;
      this.failures = 0;
      this.offline = false;
      const cur = this.pending[qid];
      if (cur && cur.seq <= p.seq) delete this.pending[qid];
      if (r && r.seq > (this.seqs[qid] || 0)) this.seqs[qid] = r.seq;
      this.persist();
      if (r && r.saved_at && !r.stale && this.hooks.onServerTime) this.hooks.onServerTime(Date.parse(r.saved_at), rtt, t0);
      if (r && r.stale && this.hooks.onStale) this.hooks.onStale(qid, r.seq);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'attempt_closed') {
        this.closed = true;
        delete this.inflight[qid];
        this.emit();
        this.hooks.onClosed();
        return;
      }
      if (e instanceof ApiError && (e.retryable || e.status >= 500)) {
        this.failures += 1;
        if (e.status === 0) this.offline = true;
        this.scheduleRetry();
      } else if (e instanceof ApiError && e.status === 401) {
        // the session ended: keep the queue for after the next login
        this.stopped = true;
      } else {
        // The server refused this answer (400/403/404): retrying cannot help.
        const cur = this.pending[qid];
        if (cur && cur.seq <= p.seq) delete this.pending[qid];
        this.persist();
        this.lastError = errorText(e);
        if (this.hooks.onError) this.hooks.onError(qid, errorText(e));
      }
    } finally {
      delete this.inflight[qid];
    }
    const again = this.pending[qid];
    if (again && again.seq > p.seq && !this.timer) this.send(qid);
    this.emit();
  }

  // Waits until every queued answer is acknowledged; false when the network did not allow it in time.
  async flush(timeoutMs = 8000) {
    const end = performance.now() + timeoutMs;
    this.failures = 0;
    this.retryAll();
    let last = performance.now();
    while (performance.now() < end) {
      if (this.closed) return true;
      if (!this.count() && !this.busy()) return true;
      await new Promise((r) => setTimeout(r, 100));
      if (this.count() && !this.busy() && performance.now() - last > 1000) {
        last = performance.now();
        this.retryAll();
      }
    }
    return !this.count();
  }

  forget() {
    try { localStorage.removeItem(this.key); } catch { /* ignore */ }
  }

  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
  }
}
