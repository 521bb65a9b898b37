"""Mass expiry (issue #17, SPEC §4.4): thousands of attempts sharing one deadline are auto-submitted
exactly once, within seconds, by several processes that share the work, also when one of them is
killed while it holds claims; an attempt that cannot be closed is parked and does not block the rest."""
import os
import re
import signal
import sys
import time
import unittest

import massfill
from harness import Examd, fresh_database

GRACE = 2


def sanitized(pid):
    """Whether the process runs under AddressSanitizer (several times slower: the time bound of the
    SPEC is asserted on the plain build, and a looser one on the sanitized build)."""
    with open("/proc/%d/maps" % pid) as f:
        return "asan" in f.read()


def exact_scores_differ(app, prefix="m"):
    """Attempts whose stored score is not 100 x right / asked (the fill's questions are worth 1 point,
    10 per subtopic, equal weights: S = 2.5 x right exactly)."""
    return int(app.sql("""
        SELECT count(*) FROM (
            SELECT a.id, a.standard_score, 2.5 * count(*) FILTER (WHERE s.answer = q.answer) AS expected
            FROM attempts a JOIN attempt_questions q ON q.attempt_id = a.id
            LEFT JOIN answers s ON s.attempt_id = q.attempt_id AND s.question_id = q.question_id
            WHERE a.username LIKE '%s%%' AND a.status <> 'open'
            GROUP BY a.id, a.standard_score) x
        WHERE x.standard_score IS DISTINCT FROM x.expected""" % prefix))


class MassExpiryTest(unittest.TestCase):
    def setUp(self):
        self.apps = []

    def tearDown(self):
        for a in self.apps:
            a.stop()

    def examd(self, db, **env):
        e = {"EXAMD_GRACE_SECONDS": str(GRACE), "EXAMD_STATS_REFRESH_SECONDS": "0"}
        e.update(env)
        app = Examd(database=db, env=e, workers=2).start()
        self.apps.append(app)
        return app

    def test_two_processes_one_killed_at_the_deadline(self):
        db = fresh_database("mx")
        a = self.examd(db)
        massfill.fill(a, 2000)
        b = self.examd(db)
        deadline = massfill.set_deadline(a, 4)
        due = deadline + GRACE
        owner = "%%:%d" % a.proc.pid
        killed_holding = 0
        # Kill A as soon as it holds claims past deadline + grace (or at due + 1 s at the latest).
        while time.time() < due + 1.0:
            if time.time() >= due - 0.05:
                held = int(a.sql("SELECT count(*) FROM attempts WHERE status = 'open' AND close_owner LIKE '%s' "
                                 "AND close_after > now()" % owner))
                if held:
                    killed_holding = held
                    break
            time.sleep(0.01)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        killed_at = time.time() - due
        # SPEC §4.4 and the issue: within 5 s of deadline + grace; under AddressSanitizer, 15 s.
        bound = 15.0 if sanitized(b.proc.pid) else 5.0
        while time.time() < due + bound + 3:
            if int(b.sql("SELECT count(*) FROM attempts WHERE status = 'open' AND username LIKE 'm%'")) == 0:
                break
            time.sleep(0.1)
        n, closed, still, latest, audits, dup = massfill.closing_report(b)
        print("killed A %.2f s after deadline + grace holding %d claims; last close %.2f s after deadline + grace"
              % (killed_at, killed_holding, latest - GRACE), file=sys.stderr)
        self.assertGreater(killed_holding, 0, "A held no claims when it was killed (%.2f s after due)" % killed_at)
        self.assertEqual((n, closed, still), (2000, 2000, 0))
        # latest = last submitted_at - deadline: within the bound of deadline + grace
        self.assertLessEqual(latest - GRACE, bound, "the last attempt closed %.2f s after deadline + grace" % (latest - GRACE))
        self.assertGreaterEqual(latest - GRACE, 0.0)
        self.assertEqual(audits, 2000, "one close entry per attempt")
        self.assertEqual(dup, 0, "no attempt closed twice")
        self.assertEqual(exact_scores_differ(b), 0)
        # Every attempt A held when it died was closed by B (its lease ran out).
        self.assertEqual(int(b.sql("SELECT count(*) FROM attempts WHERE username LIKE 'm%' "
                                   "AND status = 'auto_submitted' AND submitted_at IS NOT NULL")), 2000)
        metrics = b.get("/metrics").body.decode()
        self.assertRegex(metrics, r"examd_autosubmit_closes_total [1-9]")
        self.assertIn("examd_attempts_due 0", metrics)

    def test_an_attempt_that_cannot_be_closed_is_parked(self):
        db = fresh_database("mp")
        app = self.examd(db, EXAMD_CLOSE_BATCH="50")
        massfill.fill(app, 300)
        # One attempt whose snapshot names a subtopic without a weight: the exact scorer refuses it.
        broken = app.sql("SELECT min(id) FROM attempts WHERE username LIKE 'm%'")
        app.sql("UPDATE attempt_questions SET subtopic = 'no_such_subtopic' WHERE attempt_id = %s "
                "AND position = 1" % broken)
        deadline = massfill.set_deadline(app, 2)
        due = deadline + GRACE
        while time.time() < due + 10:
            if int(app.sql("SELECT count(*) FROM attempts WHERE status = 'open' AND username LIKE 'm%'")) <= 1:
                break
            time.sleep(0.1)
        n, closed, still, latest, audits, dup = massfill.closing_report(app)
        self.assertEqual((n, closed, still), (300, 299, 1))
        self.assertLessEqual(latest - GRACE, 15.0 if sanitized(app.proc.pid) else 5.0)
        # Parked: still open, failed at least once, its next try later (5 s, doubling; on a slow run it
        # may have been tried and parked again by now).
        row = app.sql("SELECT status, close_failures >= 1, close_after > now() FROM attempts WHERE id = %s" % broken)
        self.assertEqual(row, "open|t|t", "the broken attempt is parked for a later try")
        metrics = app.get("/metrics").body.decode()
        self.assertIn("examd_attempts_parked 1", metrics)
        self.assertIn("examd_attempts_due 1", metrics)
        self.assertRegex(metrics, r"examd_autosubmit_parked_total [1-9]")
        self.assertTrue(re.search(r"examd_attempts_oldest_overdue_seconds [0-9.]+", metrics))
        self.assertEqual(exact_scores_differ(app), 0)
        # Repaired, it is closed on a later try.
        app.sql("UPDATE attempt_questions SET subtopic = 'company_overview' WHERE attempt_id = %s AND position = 1"
                % broken)
        app.sql("UPDATE attempts SET close_after = now() WHERE id = %s" % broken)
        end = time.time() + 5
        while time.time() < end and app.sql("SELECT status FROM attempts WHERE id = %s" % broken) == "open":
            time.sleep(0.1)
        self.assertEqual(app.sql("SELECT status FROM attempts WHERE id = %s" % broken), "auto_submitted")


if __name__ == "__main__":
    unittest.main()
