"""Exam sessions (考试安排, issue #17): cohort rules, window edges, the deadline capped by the window,
personal overrides (extra time, make-up window), void, results hidden until the close, the roster,
proctor close and practice attempts that never count."""
import datetime
import time
import unittest

from harness import ExamdTestCase
from test_exams import GK_SUBTOPICS, answer, blueprint, tf_rows, upload


def ts(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text):
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z" if "." in text
                                      else "%Y-%m-%dT%H:%M:%S%z")


class SessionsTest(ExamdTestCase):
    env = {"EXAMD_GRACE_SECONDS": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        app.add_user("trainer2", "trainer", name="赵培训", department="培训中心")
        app.add_user("emp2", "employee", grade=2, name="周二级")
        app.add_user("svc4", "employee", grade=4, name="吴服务", department="客户服务部")
        app.add_user("svc3", "employee", grade=3, name="郑服务", department="客户服务部")
        rows = []
        for level in ("junior", "intermediate", "senior"):
            for s in GK_SUBTOPICS:
                rows += tf_rows("general_knowledge", s, level, 2, "S-%s-%s" % (level, s))
        upload(app, rows)
        for level in ("junior", "intermediate", "senior"):
            blueprint(app, "general_knowledge", level, [(s, level, 1) for s in GK_SUBTOPICS],
                      time_limit_seconds=600, max_attempts=5)
        cls.trainer = app.login("trainer1")
        cls.hr = app.login("hr1")

    def create(self, token=None, **kw):
        body = {"title": kw.pop("title", "2026年下半年客户经理知识考试"), "items": kw.pop("items", [{"item": "general_knowledge"}]),
                "cohort": kw.pop("cohort", {"usernames": ["emp3", "emp4"]}), "opens_at": kw.pop("opens_at", ts(-60)),
                "closes_at": kw.pop("closes_at", ts(3600))}
        body.update(kw)
        r = self.app.post("/api/v1/sessions", body, token=token or self.trainer)
        self.assertEqual(r.status, 201, r)
        return r.json

    def start(self, sid, user, body=None, status=201):
        r = self.app.post("/api/v1/sessions/%s/attempts" % sid, body if body is not None else {},
                          token=self.app.login(user))
        self.assertEqual(r.status, status, r)
        return r.json

    def roster(self, sid, token=None):
        r = self.app.get("/api/v1/sessions/%s/roster" % sid, token=token or self.trainer)
        self.assertEqual(r.status, 200, r)
        return r.json

    def submit_all_true(self, user, doc):
        token = self.app.login(user)
        for q in doc["questions"]:
            self.assertEqual(answer(self.app, token, doc["attempt_id"], q["id"], True).status, 200)
        r = self.app.post("/api/v1/attempts/%s/submit" % doc["attempt_id"], token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    # ------------------------------------------------------------ cohort
    def test_cohort_department_grade_and_named(self):
        s = self.create(cohort={"departments": ["客户服务部"], "grades": [4], "usernames": ["emp3"]},
                        title="客户服务部四级 + 陈三级")
        users = sorted({row["username"] for row in self.roster(s["id"])["rows"]})
        self.assertEqual(users, ["emp3", "svc4"])  # not svc3 (grade 3), emp4 (other department), emp2
        self.assertEqual(s["invitees"], 2)
        for user, seen in (("svc4", True), ("emp3", True), ("svc3", False), ("emp4", False), ("emp2", False)):
            token = self.app.login(user)
            ids = [x["id"] for x in self.app.get("/api/v1/sessions", token=token).json["sessions"]]
            self.assertEqual(s["id"] in ids, seen, user)
            r = self.app.get("/api/v1/sessions/%s" % s["id"], token=token)
            self.assertEqual(r.status, 200 if seen else 404, (user, r))
            if not seen:
                self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % s["id"], {}, token=token), 404,
                                 "not_found")
        # Level: each invitee at the level their grade requires, or a fixed one.
        docs = [("svc4", self.start(s["id"], "svc4")), ("emp3", self.start(s["id"], "emp3"))]
        self.assertEqual([d["level"] for _, d in docs], ["junior", "intermediate"])
        fixed = self.create(items=[{"item": "general_knowledge", "level": "senior"}], cohort={"usernames": ["emp2"]})
        docs.append(("emp2", self.start(fixed["id"], "emp2")))
        self.assertEqual(docs[-1][1]["level"], "senior")
        for user, d in docs:
            self.submit_all_true(user, d)
        # Grade alone: every employee of that grade in any department.
        g = self.create(cohort={"grades": [3]})
        self.assertEqual(sorted({r["username"] for r in self.roster(g["id"])["rows"]}), ["emp3", "svc3"])

    def test_create_validation_and_ownership(self):
        bad = [{"title": ""}, {"items": []}, {"items": [{"item": "customer_focus"}]}, {"cohort": {"teams": []}},
               {"cohort": {"grades": [5]}}, {"opens_at": "yesterday"}, {"results": "never"}, {"colour": 1}]
        base = {"title": "t", "items": [{"item": "general_knowledge"}], "cohort": {"grades": [4]},
                "opens_at": ts(-60), "closes_at": ts(600)}
        for b in bad:
            body = dict(base)
            body.update(b)
            self.assertError(self.app.post("/api/v1/sessions", body, token=self.trainer), 400)
        body = dict(base, closes_at=ts(-120), opens_at=ts(-600))
        self.assertError(self.app.post("/api/v1/sessions", body, token=self.trainer), 422, "validation_failed")
        body = dict(base, closes_at=ts(60), opens_at=ts(600))
        self.assertError(self.app.post("/api/v1/sessions", body, token=self.trainer), 422, "validation_failed")
        body = dict(base, cohort={"usernames": ["nobody"]})
        self.assertError(self.app.post("/api/v1/sessions", body, token=self.trainer), 422, "validation_failed")
        self.assertError(self.app.post("/api/v1/sessions", base, token=self.app.login("emp4")), 403, "forbidden")
        s = self.create()
        other = self.app.login("trainer2")
        self.assertError(self.app.get("/api/v1/sessions/%s/roster" % s["id"], token=other), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/sessions/%s" % s["id"], token=other), 403, "forbidden")
        self.assertNotIn(s["id"], [x["id"] for x in self.app.get("/api/v1/sessions", token=other).json["sessions"]])
        self.assertEqual(self.app.get("/api/v1/sessions/%s/roster" % s["id"], token=self.hr).status, 200)
        self.assertIn('"session.create"', self.app.sql(
            "SELECT to_json(action) FROM audit_log WHERE target = 'session:%s'" % s["id"]))

    def test_refusals_pass_status_and_message(self):
        """Refusals the statements return as a status with a message (migration 0025) that no other test
        reaches: each gets its HTTP status and code from the one table, and the statement's own message."""
        def refused(resp, status, code, message):
            self.assertError(resp, status, code)
            self.assertEqual(resp.json["error"]["message"], message, resp)
        two = self.create(items=[{"item": "general_knowledge"}, {"item": "professional_knowledge"}],
                          cohort={"usernames": ["emp3"]})
        start = "/api/v1/sessions/%s/attempts" % two["id"]
        emp3 = self.app.login("emp3")
        refused(self.app.post(start, {}, token=emp3), 400, "invalid_field",
                "this session has several exams: the body must name the item")
        refused(self.app.post(start, {"item": "job_knowledge"}, token=emp3), 400, "invalid_field",
                "this exam is not part of the session")
        refused(self.app.get("/api/v1/sessions/%s" % two["id"], token=self.app.login("emp4")), 404, "not_found",
                "no such session")
        refused(self.app.post("/api/v1/sessions/%s/overrides" % two["id"],
                              {"username": "emp3", "reason": "补考", "opens_at": ts(600), "closes_at": ts(300)},
                              token=self.trainer), 422, "validation_failed", "closes_at must be after opens_at")
        refused(self.app.post("/api/v1/sessions/%s/overrides" % two["id"],
                              {"username": "emp3", "reason": "补考", "closes_at": "tomorrow"},
                              token=self.trainer), 400, "invalid_field", "opens_at and closes_at must be RFC 3339 times")
        refused(self.app.post("/api/v1/attempts/987654321/void", {"reason": "x"}, token=self.hr), 404, "not_found",
                "no such attempt")
        self.assertEqual(self.app.sql("SELECT count(*) FROM exam_session_overrides WHERE session_id = %s" % two["id"]),
                         "0")

    # ------------------------------------------------------------ window
    def test_window_edges_and_deadline_capped(self):
        early = self.create(opens_at=ts(3600), closes_at=ts(7200), cohort={"usernames": ["emp4"]})
        self.assertEqual(self.app.get("/api/v1/sessions/%s" % early["id"], token=self.app.login("emp4"))
                         .json["your_state"], "upcoming")
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % early["id"], {},
                                        token=self.app.login("emp4")), 409, "not_open")
        # 409 comes before the body's 400.
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % early["id"], {"item": "nonsense"},
                                        token=self.app.login("emp4")), 409, "not_open")
        short = self.create(opens_at=ts(-60), closes_at=ts(4), cohort={"usernames": ["emp4"]})
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % short["id"], {"item": "nonsense"},
                                        token=self.app.login("emp4")), 400, "invalid_field")
        doc = self.start(short["id"], "emp4")
        # The blueprint gives 600 s; the window closes in 4 s: the deadline is the window's close.
        self.assertEqual(parse(doc["deadline"]), parse(short["closes_at"]))
        self.assertEqual(doc["session"]["title"], short["title"])
        self.assertEqual(parse(doc["session"]["closes_at"]), parse(short["closes_at"]))
        time.sleep(5.5)
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % short["id"], {},
                                        token=self.app.login("emp4")), 409, "closed")
        # The auto-submitter closed it at deadline + grace.
        end = time.time() + 5
        while time.time() < end:
            got = self.app.get("/api/v1/attempts/%s" % doc["attempt_id"], token=self.app.login("emp4")).json
            if got["status"] != "open":
                break
            time.sleep(0.2)
        self.assertEqual(got["status"], "auto_submitted")

    def test_extra_time_and_make_up_window(self):
        s = self.create(opens_at=ts(3600), closes_at=ts(7200), time_limit_seconds=120)
        bad = self.app.post("/api/v1/sessions/%s/overrides" % s["id"], {"username": "emp3"}, token=self.trainer)
        self.assertError(bad, 400, "invalid_field")
        r = self.app.post("/api/v1/sessions/%s/overrides" % s["id"],
                          {"username": "emp2", "reason": "x", "extra_seconds": 60}, token=self.trainer)
        self.assertError(r, 422, "validation_failed")  # emp2 is not invited
        r = self.app.post("/api/v1/sessions/%s/overrides" % s["id"],
                          {"username": "emp3", "reason": "出差，补考", "extra_seconds": 60,
                           "opens_at": ts(-30), "closes_at": ts(1800)}, token=self.trainer)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["extra_seconds"], 60)
        # emp3 has a make-up window open now; emp4 waits for the session's own window.
        doc = self.start(s["id"], "emp3")
        self.assertEqual(doc["time_limit_seconds"], 180)
        self.assertAlmostEqual((parse(doc["deadline"]) - parse(doc["started_at"])).total_seconds(), 180, delta=1)
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % s["id"], {},
                                        token=self.app.login("emp4")), 409, "not_open")
        me = self.app.get("/api/v1/sessions/%s" % s["id"], token=self.app.login("emp3")).json
        self.assertEqual((me["your_state"], me["extra_seconds"]), ("open", 60))
        lst = self.app.get("/api/v1/sessions/%s/overrides" % s["id"], token=self.hr).json["overrides"]
        self.assertEqual([(o["username"], o["reason"]) for o in lst], [("emp3", "出差，补考")])
        self.assertEqual(self.app.sql("SELECT count(*) FROM audit_log WHERE action = 'session.override' "
                                      "AND target = 'session:%s' AND actor = 'trainer1'" % s["id"]), "1")
        # Extra attempts: 1 allowed + 1 extra.
        self.submit_all_true("emp3", doc)
        self.app.post("/api/v1/sessions/%s/overrides" % s["id"],
                      {"username": "emp3", "reason": "加一次", "extra_attempts": 1, "opens_at": ts(-30),
                       "closes_at": ts(1800)}, token=self.trainer)
        second = self.start(s["id"], "emp3")
        self.submit_all_true("emp3", second)
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % s["id"], {},
                                        token=self.app.login("emp3")), 409, "attempts_exhausted")

    def test_times_a_century_away_are_shown_not_refused(self):
        """A window typed a century ahead (2126 for 2026) and an attempt whose deadline lies that far are
        valid data: every view shows the seconds (beyond a 32-bit integer), none answers 503."""
        century = 100 * 366 * 86400
        s = self.create(opens_at=ts(century), closes_at=ts(century + 3600), cohort={"usernames": ["svc3"]})
        emp = self.app.login("svc3")
        mine = self.app.get("/api/v1/sessions/%s" % s["id"], token=emp)
        self.assertEqual(mine.status, 200, mine)
        self.assertGreater(mine.json["seconds_to_open"], 2 ** 31)
        listing = self.app.get("/api/v1/sessions", token=emp)
        self.assertEqual(listing.status, 200, listing)
        # An open attempt whose deadline lies a century ahead (a window moved that far, extra time).
        s2 = self.create(cohort={"usernames": ["svc3"]}, closes_at=ts(century))
        doc = self.start(s2["id"], "svc3")
        self.app.sql("UPDATE attempts SET deadline = now() + interval '100 years' WHERE id = %s" % doc["attempt_id"])
        got = self.app.get("/api/v1/attempts/%s" % doc["attempt_id"], token=emp)
        self.assertEqual(got.status, 200, got)
        self.assertGreater(got.json["remaining_seconds"], 2 ** 31)
        roster = self.roster(s2["id"])
        row = [r for r in roster["rows"] if r["username"] == "svc3"][0]
        self.assertGreater(row["time_left_seconds"], 2 ** 31)
        csv = self.app.get("/api/v1/sessions/%s/roster?format=csv" % s2["id"], token=self.trainer)
        self.assertEqual(csv.status, 200, csv)
        line = [x for x in csv.body.decode("utf-8-sig").splitlines() if "svc3" in x][0]
        self.assertTrue(any(f.isdigit() and int(f) > 2 ** 31 for f in line.split(",")), line)

    # ------------------------------------------------------------ results, void, roster
    def test_review_hidden_until_close(self):
        s = self.create(closes_at=ts(6), results="after_close", cohort={"usernames": ["emp4"]})
        doc = self.start(s["id"], "emp4")
        out = self.submit_all_true("emp4", doc)
        self.assertEqual(out["status"], "submitted")
        self.assertIsNone(out["result"]["standard_score"])
        self.assertIsNotNone(out["review_hidden_until"])
        for q in out["questions"]:
            self.assertNotIn("key", q)
        exams = self.app.get("/api/v1/exams", token=self.app.login("emp4")).json["exams"]
        self.assertIsNone([e for e in exams if e["item"] == "general_knowledge"][0]["counted_result"])
        time.sleep(max(0, (parse(s["closes_at"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 0.5)
        after = self.app.get("/api/v1/attempts/%s" % doc["attempt_id"], token=self.app.login("emp4")).json
        self.assertEqual(after["result"]["standard_score"], 100)
        self.assertIsNone(after["review_hidden_until"])
        self.assertIn("key", after["questions"][0])

    def test_roster_states_close_and_void(self):
        s = self.create(closes_at=ts(8), cohort={"usernames": ["emp3", "emp4", "emp2", "svc4"]})
        a3 = self.start(s["id"], "emp3")
        a4 = self.start(s["id"], "emp4")
        a2 = self.start(s["id"], "emp2")
        token3 = self.app.login("emp3")
        answer(self.app, token3, a3["attempt_id"], a3["questions"][0]["id"], True)
        self.submit_all_true("emp4", a4)
        rows = {r["username"]: r for r in self.roster(s["id"])["rows"]}
        self.assertEqual(rows["emp3"]["state"], "in_progress")
        self.assertEqual((rows["emp3"]["answered"], rows["emp3"]["questions"]), (1, 4))
        self.assertIsNotNone(rows["emp3"]["last_save"])
        self.assertGreater(rows["emp3"]["time_left_seconds"], 0)
        self.assertEqual((rows["emp4"]["state"], rows["emp4"]["standard_score"], rows["emp4"]["band"]),
                         ("submitted", 100, 6))
        self.assertEqual(rows["svc4"]["state"], "not_started")
        # The proctor closes emp2's paper early; a trainer who did not create the session may not.
        self.assertError(self.app.post("/api/v1/attempts/%s/close" % a2["attempt_id"],
                                       token=self.app.login("trainer2")), 403)
        r = self.app.post("/api/v1/attempts/%s/close" % a2["attempt_id"], token=self.trainer)
        self.assertEqual((r.status, r.json["status"]), (200, "submitted"), r)
        self.assertError(self.app.post("/api/v1/attempts/%s/close" % a2["attempt_id"], token=self.trainer), 409)
        # Void emp4's paper: it no longer counts, and emp4 sees why.
        v = "/api/v1/attempts/%s/void" % a4["attempt_id"]
        self.assertError(self.app.post(v, {"reason": "x"}, token=self.app.login("trainer2")), 403, "forbidden")
        self.assertError(self.app.post(v, {}, token=self.trainer), 422, "validation_failed")
        self.assertError(self.app.post(v, {"reason": 5}, token=self.trainer), 400, "invalid_field")
        r = self.app.post(v, {"reason": "考试中使用手机"}, token=self.trainer)
        self.assertEqual(r.status, 200, r)
        self.assertError(self.app.post(v, {"reason": "again"}, token=self.trainer), 409, "conflict")
        mine = self.app.get("/api/v1/attempts/%s" % a4["attempt_id"], token=self.app.login("emp4")).json
        self.assertTrue(mine["voided"])
        self.assertEqual(mine["void"]["reason"], "考试中使用手机")
        self.assertFalse(mine["counts"])
        self.assertFalse(mine["result"]["counted"])
        exams = self.app.get("/api/v1/exams", token=self.app.login("emp4")).json["exams"]
        gk = [e for e in exams if e["item"] == "general_knowledge"][0]
        self.assertNotIn(a4["attempt_id"], (gk["counted_result"] or {}).get("attempt_ids", []))
        self.assertEqual(self.app.sql("SELECT count(*) FROM audit_log WHERE action = 'attempt.void' "
                                      "AND target = 'attempt:%s'" % a4["attempt_id"]), "1")
        # After the close: emp3's open paper is auto-submitted, svc4 is absent.
        time.sleep(max(0, (parse(s["closes_at"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) + 2.5)
        ro = self.roster(s["id"])
        rows = {r["username"]: r for r in ro["rows"]}
        self.assertEqual({u: r["state"] for u, r in rows.items()},
                         {"emp3": "submitted", "emp4": "voided", "emp2": "submitted", "svc4": "absent"})
        self.assertEqual(ro["totals"], {"invitees": 4, "not_started": 0, "in_progress": 0, "submitted": 2,
                                        "absent": 1, "voided": 1})
        csv = self.app.get("/api/v1/sessions/%s/roster?format=csv" % s["id"], token=self.hr)
        self.assertEqual(csv.status, 200)
        self.assertTrue(csv.body.startswith("\ufeffusername,name,department,grade,item,level,state".encode()))
        self.assertEqual(len(csv.body.decode("utf-8").strip().split("\r\n")), 5)
        self.assertError(self.app.get("/api/v1/sessions/%s/roster?format=xml" % s["id"], token=self.hr), 400)

    # ------------------------------------------------------------ practice
    def test_practice_never_counts(self):
        token = self.app.login("svc3")
        r = self.app.post("/api/v1/attempts", {"item": "general_knowledge", "practice": True}, token=token)
        self.assertEqual(r.status, 201, r)
        doc = r.json
        self.assertTrue(doc["practice"])
        # The SPEC's start resumes the open attempt at that exam, whatever its kind.
        again = self.app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=token)
        self.assertEqual((again.status, again.json["attempt_id"]), (200, doc["attempt_id"]))
        out = self.submit_all_true("svc3", doc)
        self.assertEqual((out["status"], out["result"]["standard_score"]), ("submitted", 100))
        self.assertFalse(out["result"]["counted"])
        exams = self.app.get("/api/v1/exams", token=token).json["exams"]
        gk = [e for e in exams if e["item"] == "general_knowledge"][0]
        self.assertIsNone(gk["counted_result"])
        self.assertEqual((gk["practice_allowed"], gk["practice_counts"], gk["practice_attempts_used"],
                          gk["attempts_used"]), (True, False, 1, 0))
        profile = self.app.get("/api/v1/employees/svc3/profile", token=self.hr).json
        item = [i for i in profile["items"] if i["item"] == "general_knowledge"][0]
        self.assertIsNone(item["actual"])
        # A blueprint may turn practice off.
        r = self.app.request("PUT", "/api/v1/blueprints/general_knowledge/intermediate",
                             {"time_limit_seconds": 600, "max_attempts": 5, "practice_allowed": False,
                              "draws": [{"subtopic": s, "level": "intermediate", "count": 1} for s in GK_SUBTOPICS]},
                             token=self.trainer)
        self.assertEqual((r.status, r.json["practice_allowed"]), (200, False), r)
        self.assertError(self.app.post("/api/v1/attempts", {"item": "general_knowledge", "practice": True},
                                       token=token), 422, "exam_unavailable")
        self.assertError(self.app.post("/api/v1/attempts", {"item": "general_knowledge", "practice": 1},
                                       token=token), 400, "invalid_field")


if __name__ == "__main__":
    unittest.main()
