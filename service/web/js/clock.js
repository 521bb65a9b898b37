// The server's clock as seen from this page. Anchored to performance.now() (monotonic), so a wrong
// or changing PC clock does not matter; re-anchored from every server timestamp we receive.
export class ServerClock {
  constructor() {
    this.anchorServer = null;
    this.anchorPerf = 0;
    this.bestRtt = Infinity;
    this.syncedAt = 0;
  }

  // serverMs: a server timestamp produced while a request was in flight; sentPerf/rtt: when the
  // request left and how long it took (the timestamp is taken to be from the middle).
  sync(serverMs, rtt, sentPerf, force = false) {
    if (!Number.isFinite(serverMs)) return;
    const now = performance.now();
    const fresh = force || now - this.syncedAt > 30000;
    if (this.anchorServer !== null && !fresh && rtt > this.bestRtt + 200) return;
    this.anchorServer = serverMs;
    this.anchorPerf = sentPerf + rtt / 2;
    this.bestRtt = fresh ? rtt : Math.min(this.bestRtt, rtt);
    this.syncedAt = now;
  }

  now() {
    if (this.anchorServer === null) return Date.now();
    return this.anchorServer + (performance.now() - this.anchorPerf);
  }
}
