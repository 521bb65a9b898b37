"""Fault injection (SPEC §4.4, §4.6): examd killed with SIGKILL under autosave load, PostgreSQL
restarted under load, PostgreSQL down while deadlines pass, statement timeouts behind a table
lock, and a full disk under the answers table. Invariants: every 5xx is a 503 `unavailable` with
Retry-After, examd never crashes, an answer acknowledged with a 200 is never lost, and an expired
attempt is closed exactly once.

All tests run against one PostgreSQL cluster of this file's own (PrivateCluster), each on a fresh
database, so the shared test cluster is never stopped."""
import collections
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import unittest
import uuid

from harness import PASSWORD, Examd, PrivateCluster, psql

HEADER = "external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation\n"
GRACE = 10
DB_OUTAGE_SECONDS = 30  # the issue asks for a 30 s outage


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def short_value(aid, qid, seq):
    return "v%d-%d-%d" % (aid, qid, seq)


def long_value(aid, qid, seq):
    return short_value(aid, qid, seq).ljust(1000, "x")  # the longest fill answer allowed


def put_answer(port, token, aid, qid, value, seq=None, timeout=10):
    """One save on a fresh connection: (status, body bytes, Retry-After). Raises OSError (and
    http.client errors) when the connection fails or is dropped without a status."""
    body = {"answer": value}
    if seq is not None:
        body["seq"] = seq
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("PUT", "/api/v1/attempts/%d/answers/%d" % (aid, qid), body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        r = conn.getresponse()
        return r.status, r.read(), r.getheader("Retry-After")
    finally:
        conn.close()


def error_code(body):
    try:
        return json.loads(body.decode())["error"]["code"]
    except Exception:  # noqa: BLE001 - anything unparsable is reported as such
        return "<unparsable: %r>" % body[:200]


def notable(log, limit=40):
    """The log lines that are not request lines (warnings, errors), the last `limit`."""
    lines = [line for line in log.splitlines() if '"msg":"request"' not in line]
    return "\n".join(lines[-limit:])


Event = collections.namedtuple("Event", "t0 t1 phase status code retry_after err")


class Load:
    """Continuous autosave from `threads` threads. Each (attempt, question) belongs to one thread,
    which saves it with seq 1, 2, 3...; `acked` keeps the highest seq answered 200 (not stale),
    `sent` the highest seq sent. `phase` tags every request with what the test was doing."""

    def __init__(self, app, examinees, threads=8, value=short_value, pause=0.0):
        self.app = app
        self.value = value
        self.pause = pause
        self.phase = "before"
        self.events = []
        self.acked = {}
        self.sent = {}
        self.anomalies = []  # stale replies to a fresh seq, replies whose seq is not ours
        self._stop = threading.Event()
        pairs = [(tok, aid, qid) for tok, aid, qids in examinees for qid in qids]
        self._slices = [pairs[i::threads] for i in range(threads)]
        self._threads = [threading.Thread(target=self._run, args=(s,), daemon=True) for s in self._slices if s]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(30)
        return self

    def _run(self, pairs):
        seqs = collections.Counter()
        i = 0
        while not self._stop.is_set():
            tok, aid, qid = pairs[i % len(pairs)]
            i += 1
            seqs[(aid, qid)] += 1
            seq = seqs[(aid, qid)]
            self.sent[(aid, qid)] = seq
            phase = self.phase
            t0 = time.time()
            try:
                status, body, retry = put_answer(self.app.port, tok, aid, qid, self.value(aid, qid, seq), seq)
            except (OSError, http.client.HTTPException) as e:
                self.events.append(Event(t0, time.time(), phase, None, None, None, repr(e)))
                time.sleep(0.02)
                continue
            code = None
            if status == 200:
                doc = json.loads(body.decode())
                if doc.get("stale") or doc.get("seq") != seq:
                    self.anomalies.append((aid, qid, seq, doc))
                else:
                    self.acked[(aid, qid)] = max(seq, self.acked.get((aid, qid), 0))
            else:
                code = error_code(body)
            self.events.append(Event(t0, time.time(), phase, status, code, retry, None))
            if status != 200:
                time.sleep(0.02)
            elif self.pause:
                time.sleep(self.pause)

    def summary(self):
        by_phase = collections.defaultdict(collections.Counter)
        for e in self.events:
            by_phase[e.phase][e.status or "dropped"] += 1
        return "; ".join("%s %s" % (p, dict(c)) for p, c in by_phase.items()) + "; %d answers acknowledged" % len(
            self.acked)

    def statuses(self, phase=None):
        return collections.Counter(e.status for e in self.events if phase is None or e.phase == phase)


class FaultTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = PrivateCluster().init().start()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.remove()

    def setUp(self):
        self.t_start = time.time()
        self.cluster.start()  # idempotent; a test that stopped it has started it again
        self.dbname = "f_" + uuid.uuid4().hex[:10]
        psql("CREATE DATABASE %s" % self.dbname, self.cluster.url())
        self.app = Examd(database=self.dbname, env={"EXAMD_DATABASE_URL": self.cluster.url(self.dbname),
                                                    "EXAMD_GRACE_SECONDS": str(GRACE)})
        self.app.url = self.cluster.url(self.dbname)
        self.app.start()
        self.app.add_user("admin", "admin")
        self.app.add_user("trainer1", "trainer")
        self.load = None

    def tearDown(self):
        if self.load:
            self.load.stop()
        if os.environ.get("EXAMD_FAULT_VERBOSE"):
            print("\n    %.1f s; load: %s" % (time.time() - self.t_start, self.load and self.load.summary()),
                  end=" ", file=sys.stderr)
        if self.app.proc is None:
            return
        alive = self.app.proc.poll() is None
        rc = self.app.stop()
        self.assertTrue(alive and rc == 0, "examd exited with %s:\n%s" % (rc, self.app.logtext()[-4000:]))

    # ------------------------------------------------------------ helpers
    def make_exam(self, n, prefix="e"):
        """A bank of 5 fill questions (key "ok") for job_skills/junior, a blueprint drawing 3 of
        them, and n grade-4 examinees with an open attempt each: [(token, attempt, [qids], username)]."""
        app = self.app
        rows = ["F-%d,job_skills,computer_operation,junior,fill,填空题 %d：____,,,,,ok,1,解析" % (i, i)
                for i in range(5)]
        trainer = app.login("trainer1")
        r = app.request("POST", "/api/v1/banks", raw=(HEADER + "\n".join(rows) + "\n").encode(), token=trainer,
                        headers={"Content-Type": "text/csv"})
        self.assertEqual(r.status, 200, r)
        r = app.request("PUT", "/api/v1/blueprints/job_skills/junior",
                        {"time_limit_seconds": 600, "max_attempts": 3, "grading": "highest",
                         "draws": [{"subtopic": "computer_operation", "level": "junior", "count": 3}]},
                        token=trainer)
        self.assertEqual(r.status, 200, r)
        admin = app.login("admin")
        out = []
        for i in range(n):
            name = "%s%d" % (prefix, i)
            r = app.post("/api/v1/users", {"username": name, "name": name, "role": "employee", "grade": 4,
                                           "department": "政企客户部", "password": PASSWORD}, token=admin)
            self.assertEqual(r.status, 201, r)
            token = app.login(name)
            r = app.post("/api/v1/attempts", {"item": "job_skills"}, token=token)
            self.assertEqual(r.status, 201, r)
            out.append((token, r.json["attempt_id"], [q["id"] for q in r.json["questions"]], name))
        return out

    def stored(self):
        rows = self.app.sql("SELECT attempt_id, question_id, seq, answer #>> '{}' FROM answers")
        result = {}
        for line in rows.splitlines():
            aid, qid, seq, value = line.split("|", 3)
            result[(int(aid), int(qid))] = (int(seq), value)
        return result

    def assertNothingLost(self, load, log=""):
        """Every acknowledged answer is stored with a seq >= the acknowledged one (and <= the
        highest sent), and the stored answer is the one sent with the stored seq."""
        stored = self.stored()
        lost = []
        for (aid, qid), seq in sorted(load.acked.items()):
            got = stored.get((aid, qid))
            if (got is None or got[0] < seq or got[0] > load.sent[(aid, qid)]
                    or got[1] != load.value(aid, qid, got[0])):
                lost.append(((aid, qid), "acked seq %d, sent up to %d" % (seq, load.sent[(aid, qid)]),
                             "stored %r" % ((got if got is None else (got[0], got[1][:40])),)))
        self.assertTrue(load.acked, "no save was ever acknowledged")
        self.assertEqual(lost, [], "acknowledged answers lost (%d of %d):\n%s" % (len(lost), len(load.acked), log))
        self.assertEqual(load.anomalies, [], "stale or mismatched replies to fresh seqs")

    def assertOnly200or503(self, events, log=""):
        bad = [e for e in events if e.status is not None and e.status not in (200, 503)]
        self.assertEqual(bad[:10], [], "responses other than 200/503 (%d):\n%s" % (len(bad), log))
        bad503 = [e for e in events if e.status == 503 and (e.code != "unavailable" or not e.retry_after)]
        self.assertEqual(bad503[:10], [], "503 without code unavailable or Retry-After")

    def probe(self, method, path, token=None, body=None):
        try:
            r = self.app.request(method, path, body=body, token=token, timeout=10)
            code = r.json.get("error", {}).get("code") if r.status != 200 and r.body else None
            return (path, r.status, code, bool(r.header("Retry-After")) if r.status == 503 else None)
        except (OSError, http.client.HTTPException) as e:
            return (path, None, repr(e), None)

    # ------------------------------------------------------------ (a)
    def test_a_kill_9_under_autosave_load(self):
        examinees = self.make_exam(40)
        self.load = load = Load(self.app, [(t, a, q) for t, a, q, _ in examinees], threads=8).start()
        time.sleep(2.0)
        load.phase = "killed"
        t_kill = time.time()
        first_log = self.app.logtext()
        self.assertEqual(self.app.stop(sig=signal.SIGKILL), -signal.SIGKILL)
        self.app.start()
        t_up = time.time()
        load.phase = "restarted"
        time.sleep(2.0)
        load.stop()
        log = "first examd:\n%s\nsecond examd:\n%s" % (notable(first_log), notable(self.app.logtext()))
        before = load.statuses("before")
        after = load.statuses("restarted")
        self.assertGreater(before[200], 50, before)
        self.assertGreater(after[200], 50, after)
        self.assertOnly200or503(load.events, log)
        # Dropped connections only while examd was down: in flight at the kill, or sent before it listened again.
        dropped_late = [e for e in load.events if e.status is None and not (e.t1 >= t_kill and e.t0 <= t_up)]
        self.assertEqual(dropped_late[:5], [], log)
        self.assertNothingLost(load, log)

    # ------------------------------------------------------------ (b)
    def test_b_postgresql_restart_under_load(self):
        examinees = self.make_exam(40)
        self.load = load = Load(self.app, [(t, a, q) for t, a, q, _ in examinees], threads=8).start()
        time.sleep(1.5)
        load.phase = "restart"
        self.cluster.stop()  # pg_ctl stop -m fast
        self.cluster.start()
        t_back = time.time()
        load.phase = "back"
        ready = wait_for(lambda: self.probe("GET", "/readyz")[1] == 200, 10, 0.05)
        t_ready = time.time() - t_back
        time.sleep(2.0)
        load.stop()
        log = notable(self.app.logtext())
        self.assertIsNone(self.app.proc.poll(), "examd crashed:\n" + log)
        self.assertTrue(ready and t_ready < 5.0, "not ready %.1f s after PostgreSQL was back:\n%s" % (t_ready, log))
        self.assertGreater(sum(load.statuses("restart").values()), 0, "no request during the restart")
        self.assertOnly200or503(load.events, log)
        dropped = [e for e in load.events if e.status is None]
        self.assertEqual(dropped[:5], [], "connections dropped without a status (%d):\n%s" % (len(dropped), log))
        late = [e for e in load.events if e.status == 503 and e.t0 > t_back + t_ready + 2.0]
        self.assertEqual(late[:5], [], "503 more than 2 s after /readyz was 200 again")
        self.assertGreater(load.statuses("back")[200], 50, load.statuses("back"))
        self.assertNothingLost(load, log)

    def test_b_postgresql_crash_under_load(self):
        """A crash of PostgreSQL (immediate stop: its WAL buffers are gone, the next start recovers)
        loses nothing that was answered 200: a save is answered after its commit reached the WAL
        (SPEC: committed before the 200). Answering a group before that, as a group committed with
        synchronous_commit off would be, lost 10-33 of 120 acknowledged answers here (2026-12-02)."""
        examinees = self.make_exam(40)
        self.load = load = Load(self.app, [(t, a, q) for t, a, q, _ in examinees], threads=8).start()
        time.sleep(2.0)
        load.phase = "crash"
        self.cluster.crash()
        # No save after the crash: a later seq would cover an acknowledged one that was lost.
        load.stop()
        self.cluster.start()
        ready = wait_for(lambda: self.probe("GET", "/readyz")[1] == 200, 15, 0.05)
        log = notable(self.app.logtext())
        self.assertIsNone(self.app.proc.poll(), "examd crashed:\n" + log)
        self.assertTrue(ready, "not ready after PostgreSQL came back:\n" + log)
        self.assertGreater(sum(load.statuses("before").values()), 100, load.summary())
        self.assertOnly200or503(load.events, log)
        self.assertNothingLost(load, log)

    # ------------------------------------------------------------ (c)
    def test_c_database_down_while_deadlines_pass(self):
        app = self.app
        examinees = self.make_exam(5)
        expiring, control = examinees[:4], examinees[4]
        expected = {}
        for k, (token, aid, qids, _) in enumerate(expiring):  # k of 3 answers right
            for j, qid in enumerate(qids):
                r = put_answer(app.port, token, aid, qid, "ok" if j < k else "no", seq=1)
                self.assertEqual(r[0], 200, r)
            expected[aid] = [0.0, 33.33, 66.67, 100.0][k]
        self.assertEqual(put_answer(app.port, control[0], control[1], control[2][0], "ok", seq=1)[0], 200)
        ids = ",".join(str(aid) for aid in expected)
        # deadline + grace falls 3, 4, 5, 6 s from now: inside the outage that starts right away.
        app.sql("UPDATE attempts SET deadline = now() - interval '%d seconds' + (id - %d + 3) * interval '1 second' "
                "WHERE id IN (%s)" % (GRACE, min(expected), ids))
        t_stop_db = app.sql("SELECT now()")
        self.cluster.stop()
        t_down = time.time()
        probes = []
        token, aid, qids, _ = control
        while time.time() - t_down < DB_OUTAGE_SECONDS:
            probes.append(self.probe("GET", "/readyz"))
            probes.append(self.probe("GET", "/api/v1/me", token))
            probes.append(self.probe("GET", "/api/v1/attempts/%d" % expiring[0][1], expiring[0][0]))
            probes.append(self.probe("PUT", "/api/v1/attempts/%d/answers/%d" % (aid, qids[1]), token,
                                     {"answer": "ok", "seq": 2}))
            self.assertEqual(self.probe("GET", "/healthz")[1], 200)
            time.sleep(0.5)
        self.assertIsNone(app.proc.poll(), "examd crashed during the outage:\n" + app.logtext()[-3000:])
        self.cluster.start()
        t_back = time.time()
        bad = [p for p in probes if p[1:] != (503, "unavailable", True)]
        self.assertEqual(bad[:10], [], "during the outage every request needs 503 unavailable with Retry-After")
        closed = wait_for(lambda: app.sql("SELECT count(*) FROM attempts WHERE id IN (%s) AND status = 'open'"
                                          % ids, check=False) == "0", 15, 0.1)
        t_closed = time.time() - t_back
        log = notable(app.logtext())
        self.assertTrue(closed and t_closed < 5.0,
                        "expired attempts not closed %.1f s after the database returned:\n%s" % (t_closed, log))
        time.sleep(2.0)  # a second close would show up by now
        self.assertEqual(app.sql("SELECT count(*) FROM attempts WHERE id IN (%s) AND status = 'auto_submitted' "
                                 "AND submitted_at > '%s'" % (ids, t_stop_db)), "4",
                         "each attempt auto_submitted after its deadline passed in the outage")
        closes = app.sql("SELECT string_agg(target || '=' || c, ',' ORDER BY target) FROM (SELECT target, count(*) c "
                         "FROM audit_log WHERE action = 'attempt.auto_submitted' GROUP BY target) x")
        self.assertEqual(closes, ",".join("attempt:%d=1" % a for a in sorted(expected, key=lambda a: "attempt:%d" % a)),
                         log)
        for token, aid, qids, _ in expiring:
            doc = app.get("/api/v1/attempts/%d" % aid, token=token).json
            self.assertEqual((doc["status"], doc["result"]["status"], len(doc["answers"])),
                             ("auto_submitted", "auto_submitted", 3), doc)
            self.assertAlmostEqual(doc["result"]["standard_score"], expected[aid], places=2)
        self.assertEqual(app.sql("SELECT status FROM attempts WHERE id = %d" % control[1]), "open")
        self.assertEqual(put_answer(app.port, token=control[0], aid=control[1], qid=control[2][1],
                                    value="ok", seq=3)[0], 200)

    # ------------------------------------------------------------ (d)
    def test_d_statement_timeout_behind_a_table_lock(self):
        app = self.app
        examinees = self.make_exam(12)
        psql("ALTER DATABASE %s SET statement_timeout = '200ms'" % self.dbname, self.cluster.url())
        self.assertEqual(app.stop(), 0)  # new connections pick the setting up
        app.start()
        self.load = load = Load(app, [(t, a, q) for t, a, q, _ in examinees], threads=4).start()
        time.sleep(1.0)
        load.phase = "locking"
        env = dict(os.environ, PGOPTIONS="-c statement_timeout=0")
        t_spawn = time.time()
        locker = subprocess.Popen(["psql", app.url, "-v", "ON_ERROR_STOP=1", "-c",
                                   "BEGIN; LOCK TABLE answers IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2.5); COMMIT;"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.assertTrue(wait_for(lambda: app.sql(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'answers' "
            "AND l.granted AND l.mode = 'AccessExclusiveLock'", check=False) == "1", 10, 0.05), "no lock")
        load.phase = "locked"
        t_locked = time.time()
        health = []
        while locker.poll() is None:
            t0 = time.time()
            health.append((self.probe("GET", "/healthz")[1], time.time() - t0))
            time.sleep(0.1)
        load.phase = "after"
        self.assertEqual(locker.returncode, 0, locker.communicate()[1])
        time.sleep(1.5)
        load.stop()
        log = notable(app.logtext())
        self.assertIsNone(app.proc.poll(), "examd crashed:\n" + log)
        self.assertOnly200or503(load.events, log)
        self.assertEqual([e for e in load.events if e.status is None][:5], [], "dropped connections")
        locked = [e for e in load.events if e.phase == "locked"]
        timed_out = [e for e in locked if e.status == 503]
        self.assertTrue(timed_out, "no save timed out behind the lock: %s" % load.statuses("locked"))
        # The lock was held from before t_locked until at least t_spawn + 2.5 s: no save can succeed then.
        false_ok = [e for e in locked if e.status == 200 and e.t0 >= t_locked and e.t1 < t_spawn + 2.5]
        self.assertEqual(false_ok[:5], [], "saves answered 200 while the answers table was locked")
        self.assertLess(min(e.t1 - e.t0 for e in timed_out), 1.5, "the 503 came only after the lock was released")
        self.assertTrue(health and all(s == 200 and dt < 1.0 for s, dt in health), health)
        self.assertGreater(load.statuses("after")[200], 20, load.statuses("after"))
        late = [e for e in load.events if e.phase == "after" and e.status != 200 and e.t0 > time.time() - 1.0]
        self.assertEqual(late[:5], [], "saves still failing after the lock was released")
        self.assertNothingLost(load, log)

    # ------------------------------------------------------------ (e)
    def test_e_disk_full_under_the_answers_table(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        app = self.app
        mnt = os.path.join(os.environ.get("EXAMD_TEST_TMP", "/tmp"), "tiny-" + uuid.uuid4().hex[:8])
        os.makedirs(mnt)
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", mnt], capture_output=True,
                           text=True)
        if p.returncode != 0:
            os.rmdir(mnt)
            self.skipTest("cannot mount a tmpfs here: %s" % p.stderr.strip())
        ts = "tiny_" + uuid.uuid4().hex[:8]

        def cleanup():
            if self.app.proc is not None:
                self.app.stop()
            psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.dbname, self.cluster.url(), check=False)
            psql("DROP TABLESPACE IF EXISTS %s" % ts, self.cluster.url(), check=False)
            subprocess.run(["umount", mnt], capture_output=True)
            if os.path.ismount(mnt):
                subprocess.run(["umount", "-l", mnt], capture_output=True)
            os.rmdir(mnt)

        self.addCleanup(cleanup)
        subprocess.run(["chown", "postgres:postgres", mnt], check=True)
        examinees = self.make_exam(12)  # 36 answers of 1000 characters: about 5 heap pages; none saved yet
        psql("CREATE TABLESPACE %s LOCATION '%s'" % (ts, mnt), self.cluster.url())
        app.sql("ALTER TABLE answers SET TABLESPACE %s; ALTER INDEX answers_pkey SET TABLESPACE %s" % (ts, ts))
        self.assertEqual(app.sql("SELECT string_agg(DISTINCT t.spcname, ',') FROM pg_class c "
                                 "JOIN pg_tablespace t ON t.oid = c.reltablespace "
                                 "WHERE c.relname IN ('answers', 'answers_pkey')"), ts)
        # Fill the tmpfs, then leave 16 kB (two pages) free: the first few answers fit, then relation
        # extension fails with ENOSPC (updates of answers already stored still fit, as HOT updates).
        filler = os.path.join(mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=4096"], capture_output=True)
        os.truncate(filler, max(0, os.path.getsize(filler) - 16 * 1024))
        self.load = load = Load(app, [(t, a, q) for t, a, q, _ in examinees], threads=1, value=long_value)
        server_log = os.path.join(self.cluster.dir, "server.log")
        log_offset = os.path.getsize(server_log)
        load.phase = "full"
        load.start()
        full = wait_for(lambda: sum(1 for e in load.events if e.status == 503) >= 60, 20, 0.05)
        load.phase = "freed"
        os.remove(filler)
        time.sleep(1.5)
        load.stop()
        log = notable(app.logtext())
        self.assertIsNone(app.proc.poll(), "examd crashed:\n" + log)
        self.assertTrue(full, "the disk never filled: %s" % load.statuses("full"))
        self.assertGreater(load.statuses("full")[200], 0, "nothing fitted in the free space")
        with open(server_log, errors="replace") as f:
            f.seek(log_offset)
            pg_log = f.read()
        self.assertIn("No space left on device", pg_log, "the 503s were not caused by a full disk")
        self.assertOnly200or503(load.events, log)
        self.assertEqual([e for e in load.events if e.status is None][:5], [], "dropped connections")
        self.assertGreater(load.statuses("freed")[200], 5, "saves did not recover once space was freed")
        # A checkpoint writes every dirty page out: an acknowledged answer must have reached the disk.
        psql("CHECKPOINT", self.cluster.url())
        self.assertNothingLost(load, log)


if __name__ == "__main__":
    unittest.main(verbosity=2)
