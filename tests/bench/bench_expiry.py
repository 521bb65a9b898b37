"""Mass expiry benchmark (issue #17): N open attempts (40 questions, ~90 % answered) created directly
in SQL share one deadline, as when a session's window closes; the time from deadline + grace until
the last of them is auto-submitted, and the autosave latency of other examinees during the wave.

Usage (after a build): EXAMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres \
    python3 tests/bench/bench_expiry.py [--attempts 20000] [--processes 1] [--grace 2] [--savers 8]
"""
import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import http.client

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Examd, fresh_database  # noqa: E402
import massfill  # noqa: E402


def saver(port, tokens, stop, lat, errors):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    seq = 0
    while not stop.is_set():
        token, aid, qids = random.choice(tokens)
        seq += 1
        body = json.dumps({"answer": random.choice("ABCD"), "seq": seq})
        t = time.time()
        try:
            conn.request("PUT", "/api/v1/attempts/%s/answers/%s" % (aid, random.choice(qids)), body=body,
                         headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                errors.append(r.status)
        except OSError:
            errors.append(0)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        lat.append((t, time.time() - t))


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100.0 * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--attempts", type=int, default=20000)
    ap.add_argument("--processes", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--grace", type=int, default=2)
    ap.add_argument("--savers", type=int, default=8, help="threads saving answers of other examinees meanwhile")
    ap.add_argument("--concurrency", type=int, default=3, help="EXAMD_CLOSE_CONCURRENCY")
    ap.add_argument("--batch", type=int, default=250, help="EXAMD_CLOSE_BATCH")
    ap.add_argument("--lead", type=int, default=6, help="seconds from setting the deadline to the deadline")
    args = ap.parse_args()

    db = fresh_database("bx")
    env = {"EXAMD_GRACE_SECONDS": str(args.grace), "EXAMD_LOG_LEVEL": "warning", "EXAMD_STATS_REFRESH_SECONDS": "0",
           "EXAMD_CLOSE_CONCURRENCY": str(args.concurrency), "EXAMD_CLOSE_BATCH": str(args.batch)}
    apps = [Examd(database=db, env=env, workers=args.workers)]
    apps[0].start()
    seconds, tokens = massfill.fill(apps[0], args.attempts, others=200 if args.savers else 0)
    print("created %d attempts in %.1f s" % (args.attempts, seconds), flush=True)
    for _ in range(args.processes - 1):
        apps.append(Examd(database=db, env=env, workers=args.workers).start())

    stop = threading.Event()
    lat, errors = [], []
    threads = [threading.Thread(target=saver, args=(apps[i % len(apps)].port, tokens, stop, lat, errors))
               for i in range(args.savers)]
    for t in threads:
        t.start()
    deadline = massfill.set_deadline(apps[0], args.lead)
    due = deadline + args.grace
    samples = []
    while time.time() < due + 120:
        time.sleep(0.5)
        still = int(apps[0].sql("SELECT count(*) FROM attempts WHERE status = 'open' AND username LIKE 'm%' "
                                "AND username NOT LIKE 'mo%'"))
        samples.append((time.time() - due, args.attempts - still))
        if time.time() > due and still == 0:
            break
    stop.set()
    for t in threads:
        t.join()
    n, closed, still, latest, audits, dup = massfill.closing_report(apps[0])
    last = latest - args.grace
    metrics = apps[0].get("/metrics").body.decode()
    for a in apps:
        a.stop()
    before = [d for t, d in lat if t < due]
    during = [d for t, d in lat if due <= t <= due + max(last, 0)]
    print("attempts %d, closed %d, open %d, audit entries %d, attempts closed twice %d" % (n, closed, still, audits, dup))
    print("last close %.2f s after deadline + grace (goal 10 s)" % last)
    print("closed by second after deadline + grace: " +
          ", ".join("%+.1fs:%d" % (t, c) for t, c in samples if -0.5 <= t <= last + 0.5))
    print("autosave of other examinees: before the wave %d saves p50 %.1f ms p99 %.1f ms; during the wave %d saves "
          "p50 %.1f ms p99 %.1f ms; errors %d" % (
              len(before), 1000 * pct(before, 50), 1000 * pct(before, 99), len(during), 1000 * pct(during, 50),
              1000 * pct(during, 99), len(errors)))
    for line in metrics.splitlines():
        if line.startswith("examd_autosubmit_") or line.startswith("examd_attempts_"):
            print("  " + line)


if __name__ == "__main__":
    main()
