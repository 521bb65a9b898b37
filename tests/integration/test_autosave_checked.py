"""Saves checked in memory (issue #20, api/saves.c, api/shapes.c): once a process holds an attempt's
question snapshot it checks each save's question and answer itself and sends it to the set-wise
upsert of examd_answer_save_group, guarded in the transaction by the session, the owner and the
attempt still open. These tests drive that path (examd_autosave_checked_total proves it) across two
processes: it stores what the per-save check stores, refuses what it refuses, and a logout, a
deactivation, a password change, a moved deadline, a proctor's close or a submit hold on the other
process at once; saves racing a close are saved and scored, or refused with 409, never saved after."""
import hashlib
import re
import threading
import time

from harness import Examd, ExamdTestCase
import test_autosave_groups as groups
from test_exams import GK_SUBTOPICS, answer, blueprint, tf_rows, upload

ENV = {"EXAMD_DB_POOL_SIZE": "4", "EXAMD_SAVE_SLOT_WAIT_MS": "30000"}


def metric(app, name):
    text = app.get("/metrics").body.decode()
    return int(re.search(r"^%s (-?\d+)$" % name, text, re.M).group(1))


def wait_for(what, fn, timeout=15):
    deadline = time.time() + timeout
    while not fn():
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class CheckedSavesTest(ExamdTestCase):
    workers = 1
    env = ENV
    hold = groups.AutosaveGroupsTest.hold
    release = groups.AutosaveGroupsTest.release
    saves_waiting = groups.AutosaveGroupsTest.saves_waiting

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        rows = []
        for s in GK_SUBTOPICS:
            rows += tf_rows("general_knowledge", s, "intermediate", 10, "C-" + s)
        rows.append("CS-1,job_knowledge,professional_conduct,intermediate,single,单选题,甲,乙,丙,丁,C,2,")
        rows.append("CS-2,job_knowledge,professional_conduct,intermediate,multiple,多选题,对一,错一,对二,错二,AC,1,")
        rows.append("CS-3,job_knowledge,professional_conduct,intermediate,fill,填空题____。,,,,,5G|第五代,1,")
        rows.append("CS-4,job_knowledge,professional_conduct,intermediate,truefalse,判断题,,,,,false,1,")
        upload(app, rows)
        blueprint(app, "general_knowledge", "intermediate", [(s, "intermediate", 10) for s in GK_SUBTOPICS])
        blueprint(app, "job_knowledge", "intermediate", [("professional_conduct", "intermediate", 4)])
        cls.other = Examd(database=app.database, workers=1, env=ENV).start()

    @classmethod
    def tearDownClass(cls):
        cls.other.stop()
        super().tearDownClass()

    # ------------------------------------------------------------ helpers
    def employee(self, name, item="general_knowledge"):
        self.app.add_user(name, "employee", grade=3)
        token = self.app.login(name)
        r = self.app.post("/api/v1/attempts", {"item": item}, token=token)
        self.assertEqual(r.status, 201, r)
        return token, r.json["attempt_id"], r.json["questions"]

    def warm(self, app, token, attempt, qid, value=True):
        """Saves until app checks this attempt's saves in memory (its snapshot is loaded after the first
        save) and trusts the session from memory (the first checked save checks it in full and leaves
        the trust); returns the next free seq for qid. Every test below that revokes something does
        so to a session that app trusts."""
        seq = 1
        deadline = time.time() + 10
        while True:
            before = metric(app, "examd_autosave_trusted_total")
            r = answer(app, token, attempt, qid, value, seq)
            self.assertEqual(r.status, 200, r)
            seq += 1
            if metric(app, "examd_autosave_trusted_total") > before:
                return seq
            if time.time() > deadline:
                self.fail("the session was never trusted from memory: %s" % [
                    (m, metric(app, m)) for m in ("examd_auth_listener_up", "examd_auth_epoch", "examd_autosave_trusts",
                                                  "examd_autosave_checked_total", "examd_auth_notifications_total")]
                          + [self.app.sql("SELECT n FROM auth_epoch")])
            time.sleep(0.05)

    def checked(self, app, fn):
        """Runs fn and asserts that app sent at least one save of it through the checked path."""
        before = metric(app, "examd_autosave_checked_total")
        out = fn()
        self.assertGreater(metric(app, "examd_autosave_checked_total"), before, "no save took the checked path")
        return out

    def stored(self, attempt, qid):
        return self.app.sql("SELECT answer::text || '/' || seq FROM answers WHERE attempt_id = %s AND question_id = %s"
                            % (attempt, qid))

    # ------------------------------------------------------------ what is stored and refused
    def test_checked_saves_refresh_a_valid_session_and_never_revive_an_idle_one(self):
        token, aid, qs = self.employee("c15")
        qid = qs[0]["id"]
        o = self.other
        seq = self.warm(o, token, aid, qid)
        r = answer(o, token, aid, qid, True, seq)
        self.assertEqual(r.status, 200, r)
        stored_at = self.app.sql("SELECT examd_ts(saved_at) FROM answers WHERE attempt_id = %s AND question_id = %s"
                                 % (aid, qid))
        self.assertEqual(r.json["saved_at"], stored_at)
        # A stale save names the stored seq and saved_at and leaves the row as it was.
        r = self.checked(o, lambda: answer(o, token, aid, qid, False, seq - 1))
        self.assertEqual((r.status, r.json["seq"], r.json.get("stale"), r.json["saved_at"]),
                         (200, seq, True, stored_at), r)
        self.assertEqual(self.stored(aid, qid), "true/%d" % seq)
        # A second session of the same employee, last seen 5 minutes ago (within the idle limit): its
        # first checked save on this process refreshes it; the first session is left as it was.
        token2 = self.app.login("c15")
        self.app.sql("UPDATE sessions SET last_seen = now() - interval '5 minutes' WHERE username = 'c15'")
        r = self.checked(o, lambda: answer(o, token2, aid, qid, False, seq + 1))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.app.sql("SELECT count(*) FROM sessions WHERE username = 'c15'"
                                      " AND last_seen > now() - interval '1 minute'"), "1")
        # Sessions past the idle limit (7200 s) are refused and stay idle, whatever the process asked.
        self.app.sql("UPDATE sessions SET last_seen = now() - interval '7201 seconds' WHERE username = 'c15'")
        token3 = self.app.login("c15")
        self.app.sql("UPDATE sessions SET last_seen = now() - interval '7201 seconds' WHERE username = 'c15'")
        for t in (token, token2, token3):
            self.assertError(answer(o, t, aid, qid, True, seq + 2), 401, "unauthenticated")
        self.assertEqual(self.app.sql("SELECT count(*) FROM sessions WHERE username = 'c9'"
                                      " AND last_seen > now() - interval '7200 seconds'"), "0")
        self.assertEqual(self.stored(aid, qid), "false/%d" % (seq + 1))

    def test_checked_saves_store_and_refuse_what_the_database_check_does(self):
        token, aid, qs = self.employee("c1", "job_knowledge")
        q = {x["type"]: x["id"] for x in qs}
        self.warm(self.other, token, aid, q["truefalse"])
        o = self.other
        # Every type, normalised as examd_answer_save_typed stores it (multiple: sorted labels).
        for qid, value, want in [(q["single"], "B", '"B"/5'), (q["multiple"], ["C", "A"], '["A", "C"]/5'),
                                 (q["fill"], " ５ｇ \"引号\"", '" ５ｇ \\"引号\\""/5'), (q["truefalse"], False, "false/5")]:
            r = self.checked(o, lambda: answer(o, token, aid, qid, value, 5))
            self.assertEqual((r.status, r.json["seq"], r.json.get("stale")), (200, 5, None), r)
            self.assertEqual(self.stored(aid, qid), want)
        # A lower seq is stale and reports the stored one; an equal one applies; null clears.
        r = self.checked(o, lambda: answer(o, token, aid, q["single"], "D", 4))
        self.assertEqual((r.status, r.json["seq"], r.json.get("stale")), (200, 5, True), r)
        self.assertEqual(self.stored(aid, q["single"]), '"B"/5')
        r = self.checked(o, lambda: answer(o, token, aid, q["single"], None, 5))
        self.assertEqual((r.status, r.json.get("stale")), (200, None), r)
        self.assertEqual(self.stored(aid, q["single"]), "null/5")
        # What examd cannot check goes to the database, which names the refusal.
        for qid, value in [(q["single"], "E"), (q["single"], "b"), (q["multiple"], ["A", "A"]), (q["multiple"], []),
                           (q["fill"], 7), (q["fill"], "x" * 1001), (q["truefalse"], "true")]:
            self.assertError(answer(o, token, aid, qid, value, 9), 400, "invalid_field")
        self.assertError(answer(o, token, aid, 999999, "x", 9), 404, "not_found")
        # Another employee's token, HR's token and a made-up one on a checked attempt.
        other_token, _, _ = self.employee("c2", "job_knowledge")
        self.assertError(self.checked(o, lambda: answer(o, other_token, aid, q["single"], "A", 9)), 404, "not_found")
        self.assertError(self.checked(o, lambda: answer(o, self.app.login("hr1"), aid, q["single"], "A", 9)), 403)
        self.assertError(self.checked(o, lambda: answer(o, "z" * 43, aid, q["single"], "A", 9)), 401)
        self.assertEqual(self.stored(aid, q["single"]), "null/5")

    def test_the_snapshot_examd_keeps_cannot_change(self):
        _, aid, qs = self.employee("c14", "job_knowledge")
        for change in ("options = '[]'", "type = 'fill'", "question_id = question_id + 1000000"):
            with self.assertRaisesRegex(AssertionError, "are fixed at its start"):
                self.app.sql("UPDATE attempt_questions SET %s WHERE attempt_id = %s" % (change, aid))
        self.app.sql("UPDATE attempt_questions SET subtopic = subtopic WHERE attempt_id = %s" % aid)

    def test_a_group_of_checked_saves_with_the_same_question_twice(self):
        """Saves that wait for a slot go together; two of the same question keep their arrival order."""
        users = {}
        for u in ("c3", "c4", "c5", "c6"):
            token, aid, qs = self.employee(u)
            self.warm(self.app, token, aid, qs[0]["id"])
            users[u] = (token, aid, [x["id"] for x in qs])
        holder = self.hold([users["c3"][1], users["c4"][1]])
        results, threads = {}, []

        def fire(key, u, qi, value, seq):
            token, aid, qids = users[u]
            t = threading.Thread(target=lambda: results.__setitem__(key, answer(self.app, token, aid, qids[qi], value,
                                                                                seq)))
            t.start()
            threads.append(t)
            time.sleep(0.05)

        fire("busy1", "c3", 1, True, 10)
        fire("busy2", "c4", 1, True, 10)
        self.saves_waiting(2)
        grouped = metric(self.app, "examd_autosave_grouped_total")
        checked = metric(self.app, "examd_autosave_checked_total")
        fire("first", "c5", 3, False, 10)
        fire("second", "c5", 3, True, 11)
        fire("alone", "c6", 3, False, 10)
        fire("stale", "c6", 0, False, 0)
        time.sleep(0.3)
        self.release(holder)
        for t in threads:
            t.join(30)
        for k in ("busy1", "busy2", "first", "second", "alone"):
            self.assertEqual(results[k].status, 200, (k, results[k]))
        self.assertTrue(results["stale"].json.get("stale"), results["stale"])
        self.assertEqual(self.stored(users["c5"][1], users["c5"][2][3]), "true/11")
        self.assertEqual(self.stored(users["c6"][1], users["c6"][2][3]), "false/10")
        self.assertGreaterEqual(metric(self.app, "examd_autosave_grouped_total") - grouped, 4)
        self.assertGreaterEqual(metric(self.app, "examd_autosave_checked_total") - checked, 2)

    # ------------------------------------------------------------ changes on another process hold at once
    def test_logout_on_one_process_stops_checked_saves_on_another(self):
        token, aid, qs = self.employee("c7")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        self.assertEqual(self.app.post("/api/v1/logout", token=token).status, 204)
        self.assertError(answer(self.other, token, aid, qs[0]["id"], False, seq), 401)
        self.assertEqual(self.stored(aid, qs[0]["id"]), "true/%d" % (seq - 1))

    def test_deactivation_and_password_change_hold_at_once(self):
        hr = self.app.login("hr1")
        token, aid, qs = self.employee("c8")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        r = self.app.request("PATCH", "/api/v1/users/c8", {"active": False}, token=hr)
        self.assertEqual(r.status, 200, r)
        self.assertError(answer(self.other, token, aid, qs[0]["id"], False, seq), 401)
        token, aid, qs = self.employee("c9")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        r = self.app.request("PATCH", "/api/v1/users/c9", {"password": "another-password-2026"}, token=hr)
        self.assertEqual(r.status, 200, r)
        self.assertError(answer(self.other, token, aid, qs[0]["id"], False, seq), 401)

    def test_a_moved_deadline_a_proctor_close_and_a_submit_hold_at_once(self):
        token, aid, qs = self.employee("c10")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        self.app.sql("UPDATE attempts SET deadline = now() - interval '1 hour' WHERE id = %s" % aid)
        r = answer(self.other, token, aid, qs[1]["id"], True, seq)
        self.assertError(r, 409, "attempt_closed")
        self.assertEqual(self.app.sql("SELECT count(*) FROM answers WHERE attempt_id = %s" % aid), "1")
        token, aid, qs = self.employee("c13")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        r = self.app.post("/api/v1/attempts/%s/close" % aid, token=self.app.login("admin"))
        self.assertEqual(r.status, 200, r)
        self.assertError(answer(self.other, token, aid, qs[2]["id"], True, seq), 409, "attempt_closed")
        token, aid, qs = self.employee("c11")
        seq = self.warm(self.other, token, aid, qs[0]["id"])
        self.assertEqual(self.app.post("/api/v1/attempts/%s/submit" % aid, token=token).status, 200)
        self.assertError(answer(self.other, token, aid, qs[1]["id"], True, seq), 409, "attempt_closed")
        self.assertEqual(self.app.sql("SELECT count(*) FROM answers WHERE attempt_id = %s" % aid), "1")

    def test_saves_racing_a_close_are_saved_and_scored_or_refused(self):
        """40 writers, half on each process, save their own question again and again (alternating values,
        rising seq) while the attempt is submitted: each question's last 200 is what is stored and scored,
        every later save got 409, and nothing was saved after the close."""
        token, aid, qs = self.employee("c12")
        qids = [x["id"] for x in qs]
        for app in (self.app, self.other):
            self.warm(app, token, aid, qids[0])
        last, refused, errors = {}, {}, []
        start = threading.Event()

        def writer(i, app):
            start.wait()
            seq = 100
            give_up = time.time() + 20  # a save accepted after the close would keep the writer going
            while time.time() < give_up:
                value = seq % 2 == 0
                try:
                    r = answer(app, token, aid, qids[i], value, seq)
                except OSError as e:
                    errors.append(e)
                    return
                if r.status == 200:
                    last[i] = (value, seq)
                elif r.status == 409 and r.json["error"]["code"] == "attempt_closed":
                    refused[i] = seq
                    return
                else:
                    errors.append(r)
                    return
                seq += 1

        threads = [threading.Thread(target=writer, args=(i, self.app if i % 2 else self.other))
                   for i in range(len(qids))]
        checked = metric(self.other, "examd_autosave_checked_total")
        for t in threads:
            t.start()
        start.set()
        time.sleep(0.4)
        # A close that keeps finding new answers gives up after a few rounds (503, api/closer.c), and the
        # browser submits again.
        for _ in range(30):
            r = self.app.post("/api/v1/attempts/%s/submit" % aid, token=token)
            if r.status != 503:
                break
        self.assertEqual(r.status, 200, r)
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(refused), len(qids), "every writer ends with a 409")
        self.assertGreater(metric(self.other, "examd_autosave_checked_total") - checked, len(qids))
        doc = self.app.get("/api/v1/attempts/%s" % aid, token=token).json
        self.assertEqual(doc["status"], "submitted")
        keys = {q["id"]: q for q in doc["questions"]}
        for i, qid in enumerate(qids):
            self.assertIn(i, last, "question %d was never saved before the close" % i)
            value, seq = last[i]
            self.assertEqual(self.stored(aid, qid), "%s/%d" % ("true" if value else "false", seq))
            self.assertEqual(doc["answers"][str(qid)], value)
            self.assertEqual(keys[qid]["correct"], value == keys[qid]["key"], (qid, value, keys[qid]))
        self.assertEqual(self.app.sql("SELECT count(*) FROM answers s JOIN attempts a ON a.id = s.attempt_id "
                                      "WHERE a.id = %s AND s.saved_at > a.submitted_at" % aid), "0")

    # ------------------------------------------------------------ sessions trusted from memory
    def token_hash(self, token):
        return hashlib.sha256(token.encode()).hexdigest()

    def test_a_revocation_is_honoured_before_its_notification_arrives(self):
        """A trusted save goes without reading its session only while the database's revocation counter
        equals the one its process applied: a revocation nobody announced still holds at once."""
        token, aid, qs = self.employee("c20")
        o = self.other
        seq = self.warm(o, token, aid, qs[0]["id"])
        heard = metric(o, "examd_auth_epoch")
        # The session ends and the counter moves, with the triggers (and so the notification) left out.
        self.app.sql("SET session_replication_role = replica; DELETE FROM sessions WHERE token_hash = '%s';"
                     " UPDATE auth_epoch SET n = n + 1" % self.token_hash(token))
        self.assertError(answer(o, token, aid, qs[0]["id"], False, seq), 401)
        self.assertEqual(metric(o, "examd_auth_epoch"), heard, "the listener heard of it after all")
        self.assertEqual(self.stored(aid, qs[0]["id"]), "true/%d" % (seq - 1))
        # The listener's recheck finds the counter ahead of what it heard, drops every trust and starts
        # again at the database's counter; sessions are trusted again after one full check.
        db = int(self.app.sql("SELECT n FROM auth_epoch"))
        wait_for("the listener to catch up", lambda: metric(o, "examd_auth_epoch") == db)
        self.assertTrue(any("were not heard of" in line for line in o.log), "the catch-up was not logged")
        token = self.app.login("c20")
        self.warm(o, token, aid, qs[1]["id"])

    def test_trusted_saves_follow_the_role_the_expiry_and_the_attempt(self):
        token, aid, qs = self.employee("c21")
        o = self.other
        seq = self.warm(o, token, aid, qs[0]["id"])
        self.app.sql("UPDATE users SET role = 'trainer' WHERE username = 'c21'")
        self.assertError(answer(o, token, aid, qs[0]["id"], False, seq), 403)
        self.app.sql("UPDATE users SET role = 'employee' WHERE username = 'c21'")
        seq = self.warm(o, token, aid, qs[0]["id"])
        self.app.sql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE username = 'c21'")
        self.assertError(answer(o, token, aid, qs[0]["id"], False, seq), 401)
        # A session that simply runs out (nothing revoked) is not trusted past its end: the trust
        # carries the end the full check read.
        token = self.app.login("c21")
        self.app.sql("SET session_replication_role = replica; UPDATE sessions SET expires_at = now() + interval '3 s'"
                     " WHERE token_hash = '%s'" % self.token_hash(token))
        seq = self.warm(o, token, aid, qs[0]["id"])
        time.sleep(max(0.0, float(self.app.sql("SELECT extract(epoch FROM expires_at - now()) FROM sessions"
                                               " WHERE token_hash = '%s'" % self.token_hash(token))) + 0.2))
        self.assertError(answer(o, token, aid, qs[0]["id"], False, seq), 401)
        # The attempt is read by every save, trusted or not: a deadline moved into the past needs no
        # revocation.
        token = self.app.login("c21")
        seq = self.warm(o, token, aid, qs[1]["id"])
        epoch = self.app.sql("SELECT n FROM auth_epoch")
        self.app.sql("UPDATE attempts SET deadline = now() - interval '1 hour' WHERE id = %s" % aid)
        self.assertError(answer(o, token, aid, qs[1]["id"], False, seq), 409, "attempt_closed")
        self.assertEqual(self.app.sql("SELECT n FROM auth_epoch"), epoch)
        self.assertEqual(self.stored(aid, qs[1]["id"]), "true/%d" % (seq - 1))

    def test_a_listener_that_loses_its_connection_falls_back_to_the_database_check(self):
        o = self.other
        token, aid, qs = self.employee("c22")
        seq = self.warm(o, token, aid, qs[0]["id"])
        connects = metric(o, "examd_auth_listener_connects_total")
        self.assertEqual(metric(o, "examd_auth_listener_up"), 1)
        name = "examd-listen/%d" % o.proc.pid
        killed = self.app.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                              " WHERE application_name = '%s'" % name)
        self.assertEqual(killed, "1")
        wait_for("the listener to notice", lambda: metric(o, "examd_auth_listener_up") == 0)
        # While it is down, nothing is trusted: a logout on the other process, which this one did not
        # hear of, holds at once, and saves are checked in full.
        self.assertEqual(metric(o, "examd_autosave_trusts"), 0)
        self.assertEqual(metric(o, "examd_auth_epoch"), -1)
        self.assertEqual(self.app.post("/api/v1/logout", token=token).status, 204)
        trusted = metric(o, "examd_autosave_trusted_total")
        self.assertError(answer(o, token, aid, qs[0]["id"], False, seq), 401)
        token2 = self.app.login("c22")
        checked = metric(o, "examd_autosave_checked_total")
        for k in range(3):
            self.assertEqual(answer(o, token2, aid, qs[0]["id"], k % 2 == 0, seq + k).status, 200)
        self.assertEqual(metric(o, "examd_autosave_checked_total"), checked + 3)
        self.assertEqual(metric(o, "examd_autosave_trusted_total"), trusted)
        # It comes back by itself, at the database's counter, and trusts again.
        wait_for("the listener to reconnect", lambda: metric(o, "examd_auth_listener_connects_total") > connects)
        self.assertEqual(metric(o, "examd_auth_listener_up"), 1)
        self.assertEqual(str(metric(o, "examd_auth_epoch")), self.app.sql("SELECT n FROM auth_epoch"))
        seq = self.warm(o, token2, aid, qs[1]["id"])
        self.assertEqual(self.app.post("/api/v1/logout", token=token2).status, 204)
        self.assertError(answer(o, token2, aid, qs[1]["id"], False, seq), 401)
        self.assertTrue(any("lost its connection" in line for line in o.log), "the loss was not logged")


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
