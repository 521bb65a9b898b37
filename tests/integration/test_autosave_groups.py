"""Autosaves grouped per worker (api/saves.c, migration 0014): saves that arrive while a worker's
save statements are busy go to PostgreSQL together, one statement and one commit; each still gets
its own answer, in arrival order for the same question; a group that fails as a whole is sent
again save by save, so one bad save does not fail the others."""
import re
import subprocess
import threading
import time

from harness import Examd, ExamdTestCase, psql
from test_exams import GK_SUBTOPICS, answer, blueprint, tf_rows, upload

EMPLOYEES = ["g%d" % i for i in range(8)]


class AutosaveGroupsTest(ExamdTestCase):
    workers = 1
    # Two save statements at a time; a lock wait far longer than these tests' own holds.
    env = {"EXAMD_DB_POOL_SIZE": "4", "EXAMD_SAVE_SLOT_WAIT_MS": "30000"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        rows = []
        for s in GK_SUBTOPICS:
            rows += tf_rows("general_knowledge", s, "intermediate", 10, "G-" + s)
        upload(app, rows)
        blueprint(app, "general_knowledge", "intermediate", [(s, "intermediate", 2) for s in GK_SUBTOPICS])
        cls.att = {}
        for u in EMPLOYEES:
            app.add_user(u, "employee", grade=3)
            token = app.login(u)
            r = app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=token)
            assert r.status in (200, 201), r
            cls.att[u] = (token, r.json["attempt_id"], [q["id"] for q in r.json["questions"]])

    def metric(self, name):
        text = self.app.get("/metrics").body.decode()
        return int(re.search(r"^%s (\d+)$" % name, text, re.M).group(1))

    def hold(self, attempts):
        """A session that holds the attempts' save lock exclusively until released (as a close does)."""
        p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.app.url], stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, text=True)
        p.stdin.write("".join("SELECT pg_advisory_lock(1703, %d);\n" % a for a in attempts))
        p.stdin.flush()
        self.addCleanup(self.release, p)  # also when an assertion fails before the test releases it
        deadline = time.time() + 10
        # pg_locks is the whole cluster's: count only this database's locks on these attempts (ctest runs
        # other test files, whose closes take the same kind of lock, in other databases at the same time).
        while int(psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                       "AND mode = 'ExclusiveLock' AND classid = 1703 AND objid IN (%s) "
                       "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                       % ",".join(str(a) for a in attempts), self.app.url)) < len(attempts):
            self.assertLess(time.time(), deadline, "the test's locks were not taken")
            time.sleep(0.05)
        return p

    def release(self, p):
        if p.stdin.closed:
            return
        p.stdin.write("SELECT pg_advisory_unlock_all();\n\\q\n")
        p.stdin.close()
        p.wait(10)

    def saves_waiting(self, n):
        deadline = time.time() + 10
        while int(psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                       "AND wait_event = 'advisory' AND datname = current_database()", self.app.url)) < n:
            self.assertLess(time.time(), deadline, "the blocked saves did not reach the database")
            time.sleep(0.05)

    def fire(self, results, key, user, q, value, seq=None):
        token, attempt, qids = self.att[user]
        t = threading.Thread(target=lambda: results.__setitem__(key, answer(self.app, token, attempt, qids[q], value,
                                                                            seq)))
        t.start()
        return t

    def stored(self, user, q):
        _, attempt, qids = self.att[user]
        return self.app.sql("SELECT answer::text || '/' || seq FROM answers WHERE attempt_id = %s AND question_id = %s"
                            % (attempt, qids[q]))

    def test_saves_wait_then_go_together(self):
        grouped, statements = self.metric("examd_autosave_grouped_total"), self.metric("examd_autosave_statements_total")
        results, threads = {}, []
        holder = self.hold([self.att["g0"][1], self.att["g1"][1]])
        # Both save slots of the worker wait on the held attempts.
        threads.append(self.fire(results, "g0", "g0", 0, True))
        threads.append(self.fire(results, "g1", "g1", 0, True))
        self.saves_waiting(2)
        # Ten more saves arrive meanwhile; two of them for the same question, in order.
        for k, u in enumerate(["g2", "g3", "g4", "g5"]):
            for q in range(2):
                threads.append(self.fire(results, (u, q), u, q, (k + q) % 2 == 0, seq=1))
        time.sleep(0.2)
        threads.append(self.fire(results, "first", "g6", 0, True, seq=1))
        time.sleep(0.2)
        threads.append(self.fire(results, "second", "g6", 0, False, seq=2))
        time.sleep(0.3)
        self.assertEqual(len(results), 0, "no save may be answered before its commit")
        self.release(holder)
        for t in threads:
            t.join(30)
        for key, r in results.items():
            self.assertEqual(r.status, 200, (key, r))
        self.assertEqual(len(results), 12)
        for k, u in enumerate(["g2", "g3", "g4", "g5"]):
            for q in range(2):
                self.assertEqual(self.stored(u, q), "%s/1" % ("true" if (k + q) % 2 == 0 else "false"))
        self.assertEqual(self.stored("g6", 0), "false/2")
        self.assertEqual(results["second"].json["seq"], 2)
        # The ten waiting saves went in one statement (two for the held ones, one for the group).
        self.assertEqual(self.metric("examd_autosave_grouped_total") - grouped, 10)
        self.assertEqual(self.metric("examd_autosave_statements_total") - statements, 3)

    def test_stale_and_errors_inside_a_group_stay_their_own(self):
        results, threads = {}, []
        self.app.sql("DELETE FROM answers")
        holder = self.hold([self.att["g0"][1], self.att["g1"][1]])
        threads.append(self.fire(results, "g0", "g0", 1, True))
        threads.append(self.fire(results, "g1", "g1", 1, True))
        self.saves_waiting(2)
        threads.append(self.fire(results, "newer", "g2", 5, True, seq=9))
        time.sleep(0.2)
        threads.append(self.fire(results, "older", "g2", 5, False, seq=3))   # stale: seq 9 is kept
        threads.append(self.fire(results, "bad", "g3", 5, "maybe"))          # not a true/false answer
        _, attempt, _ = self.att["g4"]
        token = self.att["g5"][0]  # someone else's attempt
        t = threading.Thread(target=lambda: results.__setitem__(
            "foreign", self.app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, self.att["g4"][2][5]),
                                        {"answer": True}, token=token)))
        t.start()
        threads.append(t)
        threads.append(self.fire(results, "fine", "g5", 5, False))
        time.sleep(0.3)
        self.release(holder)
        for t in threads:
            t.join(30)
        self.assertEqual(results["newer"].status, 200, results["newer"])
        self.assertEqual(results["older"].status, 200, results["older"])
        self.assertTrue(results["older"].json.get("stale"), results["older"])
        self.assertEqual(self.stored("g2", 5), "true/9")
        self.assertError(results["bad"], 400, "invalid_field")
        self.assertEqual(results["foreign"].status, 404, results["foreign"])
        self.assertEqual(results["fine"].status, 200, results["fine"])
        self.assertEqual(self.stored("g5", 5), "false/0")

    def test_a_group_that_fails_is_sent_again_save_by_save(self):
        results, threads = {}, []
        retried = self.metric("examd_autosave_retried_total")
        _, broken_attempt, broken_qids = self.att["g7"]
        # A failure only the database sees: this one answer row cannot be written.
        self.app.sql("""
            CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER test_refuse BEFORE INSERT OR UPDATE ON answers FOR EACH ROW
                WHEN (NEW.attempt_id = %s AND NEW.question_id = %s) EXECUTE FUNCTION test_refuse();"""
                     % (broken_attempt, broken_qids[7]))
        try:
            holder = self.hold([self.att["g0"][1], self.att["g1"][1]])
            threads.append(self.fire(results, "g0", "g0", 7, True))
            threads.append(self.fire(results, "g1", "g1", 7, True))
            self.saves_waiting(2)
            for u in ("g2", "g3", "g7", "g4", "g5"):
                threads.append(self.fire(results, u, u, 7, False))
            # Usually all five wait for a slot and go as one group; on a slow, loaded build some may
            # already have gone, so the group that fails is whatever g7 went with (asserted below).
            deadline = time.time() + 5
            while self.metric("examd_autosave_queued") < 5 and time.time() < deadline:
                time.sleep(0.02)
            self.release(holder)
            for t in threads:
                t.join(30)
        finally:
            self.app.sql("DROP TRIGGER test_refuse ON answers; DROP FUNCTION test_refuse()")
        self.assertError(results["g7"], 503, "unavailable")
        for u in ("g0", "g1", "g2", "g3", "g4", "g5"):
            self.assertEqual(results[u].status, 200, (u, results[u]))
        for u in ("g2", "g3", "g4", "g5"):
            self.assertEqual(self.stored(u, 7), "false/0")
        self.assertEqual(self.stored("g7", 7), "")
        # The failed group's saves were each sent again alone: as many as the group held (g7 and the
        # saves that went with it, all answered 200 above except g7).
        failed = [int(n) for n in re.findall(r"a group of (\d+) saves failed \([^)]*\); sending them one by one",
                                             self.app.logtext())]
        if not failed and self.metric("examd_autosave_queued") == 0:
            # Seen once on a loaded AddressSanitizer run: the saves were not held back (each went alone),
            # so no group formed; the outcomes above still hold, the retry path was not reached.
            self.skipTest("no group formed on this run: the saves went one by one")
        self.assertEqual(len(failed), 1, failed)
        self.assertGreaterEqual(failed[0], 2)
        self.assertEqual(self.metric("examd_autosave_retried_total") - retried, failed[0])

    def test_a_blocked_attempt_does_not_hold_up_other_saves(self):
        """Both save slots wait on locked attempts: after EXAMD_SAVE_SLOT_WAIT_MS their statements give up
        their slots (and wait on), and the saves of other employees, which queued behind them, go through."""
        other = Examd(database=self.app.database, workers=1,
                      env={"EXAMD_DB_POOL_SIZE": "4", "EXAMD_SAVE_SLOT_WAIT_MS": "300"}).start()
        try:
            slow = int(re.search(r"^examd_autosave_slow_total (\d+)$",
                                 other.get("/metrics").body.decode(), re.M).group(1))
            holder = self.hold([self.att["g0"][1], self.att["g1"][1]])
            results, threads = {}, []
            for u in ("g0", "g1"):
                token, attempt, qids = self.att[u]
                threads.append(threading.Thread(target=lambda u=u, token=token, attempt=attempt, q=qids[4]:
                                                results.__setitem__(u, answer(other, token, attempt, q, True))))
                threads[-1].start()
            self.saves_waiting(2)
            for u in ("g2", "g3", "g4"):
                token, attempt, qids = self.att[u]
                threads.append(threading.Thread(target=lambda u=u, token=token, attempt=attempt, q=qids[4]:
                                                results.__setitem__(u, answer(other, token, attempt, q, True))))
                threads[-1].start()
            deadline = time.time() + 10
            while not all(u in results for u in ("g2", "g3", "g4")):
                self.assertLess(time.time(), deadline, "saves of other employees were held up: %s" % results)
                time.sleep(0.05)
            self.assertNotIn("g0", results)  # still waiting on its attempt
            for u in ("g2", "g3", "g4"):
                self.assertEqual(results[u].status, 200, results[u])
            self.release(holder)
            for t in threads:
                t.join(30)
            self.assertEqual(results["g0"].status, 200, results["g0"])
            self.assertEqual(results["g1"].status, 200, results["g1"])
            self.assertEqual(self.stored("g0", 4), "true/0")
            metrics = other.get("/metrics").body.decode()
            self.assertEqual(int(re.search(r"^examd_autosave_slow_total (\d+)$", metrics, re.M).group(1)) - slow, 2)
        finally:
            other.stop()

    def test_the_second_statement_waits_for_the_first_to_be_late(self):
        """While a worker's one save statement runs, the saves that arrive wait for it and go together; a
        second statement starts beside it only once it has run EXAMD_SAVE_SECOND_SLOT_MS."""
        other = Examd(database=self.app.database, workers=1,
                      env={"EXAMD_DB_POOL_SIZE": "4", "EXAMD_SAVE_SLOT_WAIT_MS": "30000",
                           "EXAMD_SAVE_SECOND_SLOT_MS": "1500"}).start()
        try:
            def metric(name):
                return int(re.search(r"^%s (\d+)$" % name, other.get("/metrics").body.decode(), re.M).group(1))

            holder = self.hold([self.att["g0"][1]])
            results, threads, done_at = {}, [], {}

            def save(u):
                token, attempt, qids = self.att[u]
                results[u] = answer(other, token, attempt, qids[5], True)
                done_at[u] = time.time()

            started = time.time()
            threads.append(threading.Thread(target=save, args=("g0",)))
            threads[-1].start()
            self.saves_waiting(1)
            statements, grouped = metric("examd_autosave_statements_total"), metric("examd_autosave_grouped_total")
            for u in ("g2", "g3", "g4", "g5"):
                threads.append(threading.Thread(target=save, args=(u,)))
                threads[-1].start()
            deadline = time.time() + 20
            while not all(u in results for u in ("g2", "g3", "g4", "g5")):
                self.assertLess(time.time(), deadline, "the saves behind a late statement were held up: %s" % results)
                time.sleep(0.02)
            self.assertNotIn("g0", results)  # still waiting on its attempt
            for u in ("g2", "g3", "g4", "g5"):
                self.assertEqual(results[u].status, 200, results[u])
                # Not before the held statement had run 1.5 s: only then could a second one start.
                self.assertGreaterEqual(done_at[u] - started, 1.5, (u, done_at[u] - started))
            # The four went as one statement.
            self.assertEqual(metric("examd_autosave_statements_total") - statements, 1)
            self.assertEqual(metric("examd_autosave_grouped_total") - grouped, 4)
            self.release(holder)
            for t in threads:
                t.join(30)
            self.assertEqual(results["g0"].status, 200, results["g0"])
            self.assertEqual(self.stored("g0", 5), "true/0")
            self.assertEqual(self.stored("g5", 5), "true/0")
        finally:
            other.stop()

    def test_the_parameter_list_of_older_processes_still_saves(self):
        """Processes of 20c5ca2 and before call the group save with eight parameters; during a rolling restart
        their saves still go through, guarded as before."""
        _, attempt, qids = self.att["g6"]
        token_hash = self.app.sql("SELECT token_hash FROM sessions WHERE username = 'g6' ORDER BY created_at DESC LIMIT 1")
        call = ("SELECT string_agg(i || '/' || status || '/' || coalesce(seq::text, '-') || '/' || coalesce(stale::text, '-'),"
                " ' ' ORDER BY i) FROM examd_answer_save_group(ARRAY['%s', 'no-such-token'], ARRAY[%d, %d]::bigint[],"
                " ARRAY[%d, %d]::bigint[], ARRAY['false', 'true'], ARRAY[%%d, 1]::bigint[], ARRAY[true, true], 7200, 10)"
                % (token_hash, attempt, attempt, qids[3], qids[4]))
        self.assertEqual(self.app.sql(call % 4), "0/ok/4/false 1/unauthenticated/-/-")
        self.assertEqual(self.stored("g6", 3), "false/4")
        self.assertEqual(self.app.sql(call % 3), "0/ok/4/true 1/unauthenticated/-/-")
        self.assertEqual(self.stored("g6", 3), "false/4")
        self.assertEqual(self.stored("g6", 4), "")
        # The new list without the attempts to lock (NULL): the function finds them itself.
        new_call = call.replace("7200, 10)", "7200, 10, NULL, ARRAY[false, false])")
        self.assertEqual(self.app.sql(new_call % 5), "0/ok/5/false 1/unauthenticated/-/-")
        self.assertEqual(self.stored("g6", 3), "false/5")

    def test_z_shutdown_while_a_save_waits(self):
        """SIGTERM while a save's statement cannot finish: after the drain deadline the worker frees its
        HTTP side, then the pool fails the statement; its late answer must not touch the freed request
        (this crashed with SIGSEGV before)."""
        other = Examd(database=self.app.database, workers=1).start()
        holder = self.hold([self.att["g0"][1]])
        token, attempt, qids = self.att["g0"]
        results = {}
        t = threading.Thread(target=lambda: results.__setitem__("r", self._quiet_save(other, token, attempt, qids[6])))
        t.start()
        self.saves_waiting(1)
        rc = other.stop(timeout=60)
        self.release(holder)
        t.join(30)
        self.assertEqual(rc, 0, other.logtext()[-3000:])
        self.assertIn("requests unfinished", other.logtext())

    @staticmethod
    def _quiet_save(app, token, attempt, qid):
        try:
            return answer(app, token, attempt, qid, True)
        except OSError as e:  # the connection closed at shutdown
            return e




class GroupGuaranteesTest(ExamdTestCase):
    """The guarantees of a save inside a group (examd_answer_save_group) hold across processes: a logout on one process stops saves on another at once, a deadline moved into the
    past is honoured at once, and a group mixing good saves with every kind of refusal answers each
    save on its own."""
    workers = 1
    env = {"EXAMD_DB_POOL_SIZE": "4", "EXAMD_SAVE_SLOT_WAIT_MS": "30000"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        rows = []
        for s in GK_SUBTOPICS:
            rows += tf_rows("general_knowledge", s, "intermediate", 10, "H-" + s)
        upload(app, rows)
        blueprint(app, "general_knowledge", "intermediate", [(s, "intermediate", 2) for s in GK_SUBTOPICS])
        cls.other = Examd(database=app.database, workers=1, env=cls.env).start()
        cls.att = {}
        for u in ["h%d" % i for i in range(6)]:
            app.add_user(u, "employee", grade=3)
            token = app.login(u)
            r = app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=token)
            assert r.status in (200, 201), r
            cls.att[u] = (token, r.json["attempt_id"], [q["id"] for q in r.json["questions"]])

    @classmethod
    def tearDownClass(cls):
        cls.other.stop()
        super().tearDownClass()

    hold = AutosaveGroupsTest.hold
    release = AutosaveGroupsTest.release
    saves_waiting = AutosaveGroupsTest.saves_waiting

    def save_on(self, app, results, key, user, q, value, token=None, attempt=None, seq=None):
        tok, att, qids = self.att[user]
        qid = qids[q] if isinstance(q, int) else q
        t = threading.Thread(target=lambda: results.__setitem__(
            key, answer(app, token or tok, attempt or att, qid, value, seq)))
        t.start()
        return t

    def test_logout_elsewhere_and_a_moved_deadline_hold_at_once(self):
        token, attempt, qids = self.att["h0"]
        self.assertEqual(answer(self.other, token, attempt, qids[0], True).status, 200)
        self.assertEqual(self.app.post("/api/v1/logout", token=token).status, 204)
        r = answer(self.other, token, attempt, qids[0], False)
        self.assertEqual(r.status, 401, r)
        token1, attempt1, qids1 = self.att["h1"]
        self.assertEqual(answer(self.other, token1, attempt1, qids1[0], True).status, 200)
        self.app.sql("UPDATE attempts SET deadline = now() - interval '1 hour' WHERE id = %s" % attempt1)
        r = answer(self.other, token1, attempt1, qids1[1], True)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.app.sql("SELECT count(*) FROM answers WHERE attempt_id = %s" % attempt1), "1")

    def test_a_group_answers_each_save_on_its_own(self):
        results, threads = {}, []
        holder = self.hold([self.att["h2"][1], self.att["h3"][1]])
        threads.append(self.save_on(self.app, results, "busy1", "h2", 0, True))
        threads.append(self.save_on(self.app, results, "busy2", "h3", 0, True))
        self.saves_waiting(2)
        grouped = AutosaveGroupsTest.metric(self, "examd_autosave_grouped_total")
        t4, a4, q4 = self.att["h4"]
        _, a5, q5 = self.att["h5"]
        threads.append(self.save_on(self.app, results, "ok", "h4", 0, True, seq=3))
        threads.append(self.save_on(self.app, results, "bad_token", "h4", 1, True, token="z" * 43))
        threads.append(self.save_on(self.app, results, "foreign", "h4", str(q5[0]), True, attempt=a5))
        threads.append(self.save_on(self.app, results, "no_question", "h4", "999999999", True))
        threads.append(self.save_on(self.app, results, "bad_answer", "h4", 2, "Z"))
        threads.append(self.save_on(self.app, results, "hr", "h4", 3, True, token=self.app.login("hr1")))
        time.sleep(0.5)
        self.release(holder)
        for t in threads:
            t.join(30)
        self.assertEqual(results["ok"].status, 200, results["ok"])
        self.assertEqual(results["ok"].json["seq"], 3)
        self.assertEqual(results["bad_token"].status, 401, results["bad_token"])
        self.assertEqual(results["foreign"].status, 404, results["foreign"])
        self.assertEqual(results["no_question"].status, 404, results["no_question"])
        self.assertEqual(results["bad_answer"].status, 400, results["bad_answer"])
        self.assertEqual(results["hr"].status, 403, results["hr"])
        self.assertGreaterEqual(AutosaveGroupsTest.metric(self, "examd_autosave_grouped_total") - grouped, 2)
        # A lower seq afterwards is stale and reports the stored one.
        r = answer(self.app, t4, a4, q4[0], False, 2)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json.get("stale"), r)
        self.assertEqual(r.json["seq"], 3)
        self.assertEqual(self.app.sql("SELECT answer::text || '/' || seq FROM answers WHERE attempt_id = %s "
                                      "AND question_id = %s" % (a4, q4[0])), "true/3")


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
