"""The grade held now and the level required now, everywhere they show (SPEC §2.1, §3.2, §4.1, §4.4).

An employee's grade at T is the grade of their latest grade record with effective_from <= T (ties: the
later-recorded one); before their first record, that first record's grade. The level an exam item requires
at T is the model version in force at T applied to the grade held at T. This file pins what the login reply,
/me, the user listing, the PATCH reply, /exams, exam starts and exam sessions (cohort, roster, your_level,
overrides) say about them after past-dated, present and future-dated grade changes and model versions.

Grade records are dated through the API (PATCH grade_effective_from); the API always records a new user's
first grade at the time of creation, so a test that needs an older (or a future) first record moves it with
SQL before anything else happens to that user."""
import csv
import datetime
import io
import threading
import unittest
from urllib.parse import quote

from harness import ExamdTestCase
from test_exams import GK_SUBTOPICS, answer, blueprint, tf_rows, upload

LEVELS = ("junior", "intermediate", "senior", "expert")
GRADE_LEVEL = {4: "junior", 3: "intermediate", 2: "senior", 1: "expert"}


def ts(seconds_from_now):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


DAY = 86400


class GradeNowCase(ExamdTestCase):
    """Banks and blueprints of general_knowledge at all four levels (one true/false question per subtopic,
    attempts enough for every start here) and of professional_knowledge at senior (for a fixed session
    level)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        rows = []
        for level in LEVELS:
            for s in GK_SUBTOPICS:
                rows += tf_rows("general_knowledge", s, level, 1, "G-%s-%s" % (level, s))
        rows += tf_rows("professional_knowledge", "telecom_products", "senior", 2, "P-senior")
        upload(app, rows)
        for level in LEVELS:
            blueprint(app, "general_knowledge", level, [(s, level, 1) for s in GK_SUBTOPICS], max_attempts=20)
        blueprint(app, "professional_knowledge", "senior", [("telecom_products", "senior", 2)], max_attempts=20)
        cls.hr = app.login("hr1")
        cls.trainer = app.login("trainer1")

    # ------------------------------------------------------------ helpers
    def employee(self, username, grade, department="政企客户部", name=None, first_from=None):
        """Adds an employee; first_from (seconds from now) moves their first grade record to that time."""
        self.app.add_user(username, "employee", grade=grade, department=department, name=name)
        if first_from is not None:
            self.app.sql("UPDATE user_grades SET effective_from = now() + make_interval(secs => %d) "
                         "WHERE username = '%s'" % (first_from, username))
        return username

    def patch_grade(self, username, grade, seconds_from_now=None):
        body = {"grade": grade}
        if seconds_from_now is not None:
            body["grade_effective_from"] = ts(seconds_from_now)
        r = self.app.request("PATCH", "/api/v1/users/" + username, body, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return r.json

    def records(self, username):
        return int(self.app.sql("SELECT count(*) FROM user_grades WHERE username = '%s'" % username))

    def login_user(self, username):
        r = self.app.post("/api/v1/login", {"username": username, "password": "correct-horse-9"})
        self.assertEqual(r.status, 200, r)
        return r.json

    def me(self, token):
        r = self.app.get("/api/v1/me", token=token)
        self.assertEqual(r.status, 200, r)
        return r.json

    def users(self, query):
        r = self.app.get("/api/v1/users" + query, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return r.json

    def listed_grade(self, username):
        found = [u for u in self.users("?q=" + quote(username))["users"] if u["username"] == username]
        self.assertEqual(len(found), 1, found)
        return found[0]["grade"]

    def exams(self, token):
        r = self.app.get("/api/v1/exams", token=token)
        self.assertEqual(r.status, 200, r)
        return {e["item"]: e for e in r.json["exams"]}

    def start_and_submit(self, token, item="general_knowledge", session=None):
        """Starts a new attempt (201), answers every question true (all right) and submits it; the level."""
        path = "/api/v1/sessions/%s/attempts" % session if session else "/api/v1/attempts"
        r = self.app.post(path, {"item": item}, token=token)
        self.assertEqual(r.status, 201, r)
        doc = r.json
        for q in doc["questions"]:
            self.assertEqual(answer(self.app, token, doc["attempt_id"], q["id"], True).status, 200)
        s = self.app.post("/api/v1/attempts/%s/submit" % doc["attempt_id"], token=token)
        self.assertEqual(s.status, 200, s)
        return doc["level"]

    def profile_level(self, username, item="general_knowledge"):
        r = self.app.get("/api/v1/employees/%s/profile" % username, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return [i for i in r.json["items"] if i["item"] == item][0]["required_level"]


class GradeNowTest(GradeNowCase):
    # ------------------------------------------------------------ 1. login and /me
    def test_login_and_me_show_the_grade_held_now(self):
        self.employee("me_past", 4, first_from=-365 * DAY)
        old_token = self.app.login("me_past")
        self.assertEqual(self.me(old_token)["grade"], 4)
        # A past-dated change: the new grade, in the login reply, in /me, also for a token taken before it.
        self.patch_grade("me_past", 3, -10 * DAY)
        login = self.login_user("me_past")
        self.assertEqual((login["user"]["username"], login["user"]["grade"]), ("me_past", 3))
        self.assertEqual(self.me(login["token"])["grade"], 3)
        self.assertEqual(self.me(old_token)["grade"], 3)
        # A future-dated change: still the grade held now.
        self.patch_grade("me_past", 1, 30 * DAY)
        login = self.login_user("me_past")
        self.assertEqual(login["user"]["grade"], 3)
        self.assertEqual(self.me(login["token"])["grade"], 3)
        self.assertEqual(self.me(old_token)["grade"], 3)

        # The only record in the future: that first grade applies now.
        self.employee("me_future", 2, first_from=20 * DAY)
        login = self.login_user("me_future")
        self.assertEqual(login["user"]["grade"], 2)
        self.assertEqual(self.me(login["token"])["grade"], 2)
        # Two future records: the first of them applies now, not the later one.
        self.patch_grade("me_future", 1, 40 * DAY)
        self.assertEqual(self.records("me_future"), 2)
        login = self.login_user("me_future")
        self.assertEqual(login["user"]["grade"], 2)
        self.assertEqual(self.me(login["token"])["grade"], 2)
        self.assertEqual(self.listed_grade("me_future"), 2)

    # ------------------------------------------------------------ 2. the user listing
    def test_user_listing_filters_by_the_grade_held_now(self):
        dept, other = "网格一部", "网格二部"
        self.employee("li_zhou", 4, dept, "周甲", first_from=-365 * DAY)  # future change to 3: stays 4 for now
        self.employee("li_an", 4, dept, "安乙", first_from=-365 * DAY)  # past change to 3: now 3
        self.employee("li_bai", 3, dept, "白丙", first_from=-365 * DAY)  # 3 throughout
        self.employee("li_chen", 3, dept, "陈丁", first_from=-365 * DAY)  # past change to 4: now 4
        self.employee("li_wu", 4, other, "吴戊", first_from=-365 * DAY)  # past change to 3, other department

        def names(query):
            found = self.users(query)
            return found["total"], [u["username"] for u in found["users"]], {u["username"]: u["grade"]
                                                                          for u in found["users"]}

        d = "&department=" + quote(dept)
        self.assertEqual(names("?grade=3" + d)[:2], (2, ["li_bai", "li_chen"]))
        self.patch_grade("li_zhou", 3, 30 * DAY)
        self.patch_grade("li_an", 3, -5 * DAY)
        self.patch_grade("li_chen", 4, -3 * DAY)
        self.patch_grade("li_wu", 3, -2 * DAY)

        total, order, grades = names("?grade=3" + d)
        self.assertEqual((total, order), (2, ["li_an", "li_bai"]))  # pinyin: 安 an, 白 bai
        self.assertEqual(grades, {"li_an": 3, "li_bai": 3})
        total, order, grades = names("?grade=4" + d)
        self.assertEqual((total, order), (2, ["li_chen", "li_zhou"]))  # 陈 chen, 周 zhou
        self.assertEqual(grades, {"li_chen": 4, "li_zhou": 4})
        self.assertEqual(names("?grade=2" + d)[:2], (0, []))
        # Without the grade filter every one of them shows the grade held now.
        self.assertEqual(names("?role=employee" + d)[2], {"li_an": 3, "li_bai": 3, "li_chen": 4, "li_zhou": 4})
        # Grade alone: every department (li_wu too), none of those whose grade now is another.
        total, order, grades = names("?role=employee&grade=3&limit=1000")
        self.assertTrue({"li_an", "li_bai", "li_wu"} <= set(order), order)
        self.assertFalse({"li_zhou", "li_chen"} & set(order), order)
        self.assertEqual(set(grades.values()), {3})
        self.assertEqual(total, len(order))
        # With department_like and q too.
        self.assertEqual(names("?grade=3&department_like=" + quote("网格"))[:2], (3, ["li_an", "li_bai", "li_wu"]))
        self.assertEqual(names("?grade=3&q=li_")[:2], (3, ["li_an", "li_bai", "li_wu"]))
        self.assertEqual(names("?grade=4&q=li_")[:2], (2, ["li_chen", "li_zhou"]))
        # Pages: total counts every match, the page is the ordered slice.
        total, order, grades = names("?grade=3&department_like=" + quote("网格") + "&limit=1&offset=1")
        self.assertEqual((total, order, grades), (3, ["li_bai"], {"li_bai": 3}))
        total, order, _ = names("?grade=3&department_like=" + quote("网格") + "&limit=2&offset=2")
        self.assertEqual((total, order), (3, ["li_wu"]))
        total, order, _ = names("?grade=4" + d + "&limit=5&offset=2")
        self.assertEqual((total, order), (2, []))
        page = self.users("?grade=3" + d + "&limit=1")
        self.assertEqual((page["total"], page["limit"], page["offset"]), (2, 1, 0))

        # The HR listings filter by the same grade: profiles, readiness, the department summary.
        for grade, members in ((3, {"li_an", "li_bai"}), (4, {"li_chen", "li_zhou"})):
            q = "?department=%s&grade=%d" % (quote(dept), grade)
            rows = self.app.get("/api/v1/profiles" + q, token=self.hr).json["employees"]
            self.assertEqual({(x["username"], x["grade"]) for x in rows}, {(u, grade) for u in members})
            rows = self.app.get("/api/v1/profiles/readiness" + q, token=self.hr).json["employees"]
            self.assertEqual({(x["username"], x["grade"], x["next_grade"]) for x in rows},
                             {(u, grade, grade - 1) for u in members})
            self.assertEqual(self.app.get("/api/v1/profiles/summary" + q, token=self.hr).json["employees"], 2)

    # ------------------------------------------------------------ 3. the PATCH reply
    def test_concurrent_changes_of_one_grade_record_it_once(self):
        # Eight HR requests record the same grade at the same date at once: each decides on the history
        # it read, and the one that writes second finds the history changed, decides again and sees the
        # grade already held then. One record, every reply 200 with the grade.
        self.employee("pa_race", 4, first_from=-365 * DAY)
        when = ts(-2 * DAY)
        replies = []

        def change():
            r = self.app.request("PATCH", "/api/v1/users/pa_race", {"grade": 3, "grade_effective_from": when},
                                 token=self.hr)
            replies.append((r.status, (r.json or {}).get("grade")))

        threads = [threading.Thread(target=change) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(replies, [(200, 3)] * 8)
        self.assertEqual(self.records("pa_race"), 2)

    def test_patch_reply_grade_and_repeated_grades(self):
        self.employee("pa_one", 4, first_from=-365 * DAY)
        self.assertEqual(self.patch_grade("pa_one", 3, -10 * DAY)["grade"], 3)  # past-dated
        self.assertEqual(self.patch_grade("pa_one", 2)["grade"], 2)  # now (no date)
        self.assertEqual(self.patch_grade("pa_one", 2, 0)["grade"], 2)  # now, explicitly: a repeat
        self.assertEqual(self.records("pa_one"), 3)
        self.assertEqual(self.patch_grade("pa_one", 1, 30 * DAY)["grade"], 2)  # future-dated
        self.assertEqual(self.records("pa_one"), 4)
        self.assertEqual(self.me(self.app.login("pa_one"))["grade"], 2)
        self.assertEqual(self.listed_grade("pa_one"), 2)
        # The future grade repeated at an even later date: already held then, nothing new.
        self.assertEqual(self.patch_grade("pa_one", 1, 60 * DAY)["grade"], 2)
        self.assertEqual(self.records("pa_one"), 4)
        # A change dated before a later recorded one holds only until that one.
        self.assertEqual(self.patch_grade("pa_one", 4, -5 * DAY)["grade"], 2)
        self.assertEqual(self.records("pa_one"), 5)
        self.assertEqual(self.me(self.app.login("pa_one"))["grade"], 2)

        # Dated before the first record (created now): the first record is later, so it stays in force.
        self.employee("pa_new", 4)
        self.assertEqual(self.patch_grade("pa_new", 3, -10 * DAY)["grade"], 4)
        self.assertEqual(self.records("pa_new"), 2)
        self.assertEqual(self.login_user("pa_new")["user"]["grade"], 4)

        # Repeating the grade held at a past date records nothing new; seen in what a later past-dated
        # change does: had 3 been recorded again at -5 days, it would still be held now.
        self.employee("pa_rep", 4, first_from=-365 * DAY)
        self.assertEqual(self.patch_grade("pa_rep", 3, -10 * DAY)["grade"], 3)
        self.assertEqual(self.patch_grade("pa_rep", 3, -5 * DAY)["grade"], 3)
        self.assertEqual(self.records("pa_rep"), 2)
        self.assertEqual(self.patch_grade("pa_rep", 2, -7 * DAY)["grade"], 2)
        self.assertEqual(self.records("pa_rep"), 3)
        self.assertEqual(self.me(self.app.login("pa_rep"))["grade"], 2)
        self.assertEqual(self.listed_grade("pa_rep"), 2)
        # The first grade dated before the first record is kept: it says when that grade began (a
        # later change before the old first record must not fall back to a grade recorded after it).
        self.assertEqual(self.patch_grade("pa_rep", 4, -400 * DAY)["grade"], 2)
        self.assertEqual(self.records("pa_rep"), 4)
        self.assertEqual(self.patch_grade("pa_rep", 3, -380 * DAY)["grade"], 2)
        prof = self.app.get("/api/v1/employees/pa_rep/profile?at=" + ts(-390 * DAY), token=self.hr).json
        self.assertEqual(prof["employee"]["grade"], 4)

        # A grade "from now" for someone whose only record lies ahead with the same grade is kept,
        # so that a change recorded in between later does not take over today.
        self.employee("pa_ahead", 2, first_from=20 * DAY)
        self.assertEqual(self.patch_grade("pa_ahead", 2, None)["grade"], 2)
        self.assertEqual(self.records("pa_ahead"), 2)
        self.assertEqual(self.patch_grade("pa_ahead", 3, 10 * DAY)["grade"], 2)
        self.assertEqual(self.me(self.app.login("pa_ahead"))["grade"], 2)

        # Two changes with the same date: the one recorded later holds.
        self.employee("pa_tie", 4, first_from=-365 * DAY)
        when = ts(-3 * DAY)
        for grade in (3, 2):
            r = self.app.request("PATCH", "/api/v1/users/pa_tie", {"grade": grade, "grade_effective_from": when},
                                 token=self.hr)
            self.assertEqual((r.status, r.json["grade"]), (200, grade), r)
        self.assertEqual(self.records("pa_tie"), 3)
        self.assertEqual(self.login_user("pa_tie")["user"]["grade"], 2)
        self.assertEqual(self.listed_grade("pa_tie"), 2)
        self.assertEqual(self.exams(self.app.login("pa_tie"))["general_knowledge"]["level"], "senior")

    # ------------------------------------------------------------ 4. /exams and starts
    def test_exams_and_starts_use_the_level_required_now(self):
        self.employee("ex_one", 4, first_from=-365 * DAY)
        token = self.app.login("ex_one")
        gk = self.exams(token)["general_knowledge"]
        self.assertEqual((gk["level"], gk["attempts_used"], gk["counted_result"]), ("junior", 0, None))
        self.assertEqual(self.start_and_submit(token), "junior")
        gk = self.exams(token)["general_knowledge"]
        self.assertEqual((gk["level"], gk["attempts_used"]), ("junior", 1))
        self.assertEqual(gk["counted_result"]["standard_score"], 100)
        # No blueprint at the required level of professional_knowledge (junior): not listed, not startable.
        self.assertNotIn("professional_knowledge", self.exams(token))
        self.assertError(self.app.post("/api/v1/attempts", {"item": "professional_knowledge"}, token=token), 422,
                         "exam_unavailable")

        # A past-dated promotion: the next listing and start use the new level; the junior result no longer
        # counts at the level now required.
        self.patch_grade("ex_one", 3, -2 * DAY)
        gk = self.exams(token)["general_knowledge"]
        self.assertEqual((gk["level"], gk["attempts_used"], gk["counted_result"]), ("intermediate", 0, None))
        self.assertEqual(self.profile_level("ex_one"), "intermediate")
        self.assertEqual(self.start_and_submit(token), "intermediate")
        # A future-dated one changes nothing yet.
        self.patch_grade("ex_one", 2, 30 * DAY)
        gk = self.exams(token)["general_knowledge"]
        self.assertEqual((gk["level"], gk["attempts_used"]), ("intermediate", 1))
        self.assertEqual(gk["counted_result"]["standard_score"], 100)
        self.assertEqual(self.profile_level("ex_one"), "intermediate")
        self.assertEqual(self.start_and_submit(token), "intermediate")
        # A past-dated demotion back: junior again, with its earlier attempt counted again.
        self.patch_grade("ex_one", 4, -1 * DAY)
        gk = self.exams(token)["general_knowledge"]
        self.assertEqual((gk["level"], gk["attempts_used"]), ("junior", 1))
        self.assertEqual(gk["counted_result"]["standard_score"], 100)
        self.assertEqual(self.start_and_submit(token), "junior")

        # Only a future record: the first grade's level applies now.
        self.employee("ex_future", 1, first_from=10 * DAY)
        token = self.app.login("ex_future")
        self.assertEqual(self.exams(token)["general_knowledge"]["level"], "expert")
        self.assertEqual(self.start_and_submit(token), "expert")

    def test_an_open_attempt_is_resumed_at_its_own_level(self):
        """An attempt opened before a grade change is resumed as it is (the SPEC's start resumes the open
        attempt of the item); the next new attempt takes the new level."""
        self.employee("ex_open", 3, first_from=-365 * DAY)
        token = self.app.login("ex_open")
        r = self.app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=token)
        self.assertEqual((r.status, r.json["level"]), (201, "intermediate"), r)
        first = r.json["attempt_id"]
        self.patch_grade("ex_open", 2, -DAY)
        again = self.app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=token)
        self.assertEqual((again.status, again.json["attempt_id"], again.json["level"]), (200, first, "intermediate"))
        self.assertEqual(self.exams(token)["general_knowledge"]["level"], "senior")
        self.assertEqual(self.app.post("/api/v1/attempts/%s/submit" % first, token=token).status, 200)
        self.assertEqual(self.start_and_submit(token), "senior")

    # ------------------------------------------------------------ 5. sessions with a cohort by grade
    def test_session_cohort_by_grade_held_now(self):
        dept = "会话三部"
        self.employee("se_stay", 3, dept, "甲留", first_from=-365 * DAY)  # 3 throughout
        self.employee("se_in", 4, dept, "乙进", first_from=-365 * DAY)  # 4 -> 3 two days ago
        self.employee("se_out", 3, dept, "丙出", first_from=-365 * DAY)  # 3 -> 4 two days ago
        self.employee("se_later", 4, dept, "丁后", first_from=-365 * DAY)  # 4 -> 3 in 30 days
        self.employee("se_leave", 3, dept, "戊走", first_from=-365 * DAY)  # 3 -> 2 in 30 days: still 3
        self.employee("se_named", 1, "其他部门", "己名")  # named; grade and department do not match
        self.patch_grade("se_in", 3, -2 * DAY)
        self.patch_grade("se_out", 4, -2 * DAY)
        self.patch_grade("se_later", 3, 30 * DAY)
        self.patch_grade("se_leave", 2, 30 * DAY)

        body = {"title": "会话三部三级知识考试",
                "items": [{"item": "general_knowledge"}, {"item": "professional_knowledge", "level": "senior"}],
                "cohort": {"departments": [dept], "grades": [3], "usernames": ["se_named"]},
                "opens_at": ts(-60), "closes_at": ts(3600)}
        r = self.app.post("/api/v1/sessions", body, token=self.trainer)
        self.assertEqual(r.status, 201, r)
        sid = r.json["id"]
        invited = {"se_stay": 3, "se_in": 3, "se_leave": 3, "se_named": 1}
        self.assertEqual(r.json["invitees"], len(invited))
        self.assertEqual(self.app.get("/api/v1/sessions/%s" % sid, token=self.hr).json["invitees"], len(invited))

        # Roster, JSON: every invitee x exam, with the grade held now and the level now required or fixed.
        ro = self.app.get("/api/v1/sessions/%s/roster" % sid, token=self.trainer)
        self.assertEqual(ro.status, 200, ro)
        rows = {(x["username"], x["item"]): (x["grade"], x["level"], x["state"]) for x in ro.json["rows"]}
        expected = {}
        for user, grade in invited.items():
            expected[(user, "general_knowledge")] = (grade, GRADE_LEVEL[grade], "not_started")
            expected[(user, "professional_knowledge")] = (grade, "senior", "not_started")
        self.assertEqual(rows, expected)
        self.assertEqual((ro.json["totals"]["invitees"], ro.json["totals"]["not_started"]), (4, 8))
        # Roster, CSV: the same rows.
        c = self.app.get("/api/v1/sessions/%s/roster?format=csv" % sid, token=self.hr)
        self.assertEqual(c.status, 200, c)
        text = c.body.decode("utf-8")
        self.assertTrue(text.startswith("\ufeff"))
        table = list(csv.DictReader(io.StringIO(text[1:])))
        self.assertEqual({(x["username"], x["item"]): (int(x["grade"]), x["level"], x["state"]) for x in table},
                         expected)
        self.assertEqual(len(table), 8)

        # Who sees the session, and at which level.
        for user in ("se_stay", "se_in", "se_leave", "se_named", "se_out", "se_later"):
            token = self.app.login(user)
            listed = {x["id"]: x for x in self.app.get("/api/v1/sessions", token=token).json["sessions"]}
            one = self.app.get("/api/v1/sessions/%s" % sid, token=token)
            gk_sessions = [x["id"] for x in self.exams(token).get("general_knowledge", {}).get("sessions", [])]
            if user in invited:
                self.assertIn(sid, listed, user)
                self.assertEqual(one.status, 200, (user, one))
                levels = {i["item"]: (i["level"], i["your_level"]) for i in listed[sid]["items"]}
                self.assertEqual(levels, {"general_knowledge": (None, GRADE_LEVEL[invited[user]]),
                                          "professional_knowledge": ("senior", "senior")}, user)
                self.assertEqual({i["item"]: i["your_level"] for i in one.json["items"]},
                                 {k: v[1] for k, v in levels.items()}, user)
                self.assertIn(sid, gk_sessions, user)
            else:
                self.assertNotIn(sid, listed, user)
                self.assertError(one, 404, "not_found")
                self.assertNotIn(sid, gk_sessions, user)
                self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % sid, {"item": "general_knowledge"},
                                               token=token), 404, "not_found")

        # Starts: at the level now required (general_knowledge) or the session's fixed level.
        token = self.app.login("se_in")
        self.assertEqual(self.start_and_submit(token, "general_knowledge", sid), "intermediate")
        self.assertEqual(self.start_and_submit(token, "professional_knowledge", sid), "senior")
        token = self.app.login("se_named")
        self.assertEqual(self.start_and_submit(token, "general_knowledge", sid), "expert")
        ro = self.app.get("/api/v1/sessions/%s/roster" % sid, token=self.trainer).json
        rows = {(x["username"], x["item"]): (x["level"], x["state"]) for x in ro["rows"]}
        self.assertEqual(rows[("se_in", "general_knowledge")], ("intermediate", "submitted"))
        self.assertEqual(rows[("se_in", "professional_knowledge")], ("senior", "submitted"))
        self.assertEqual(rows[("se_named", "general_knowledge")], ("expert", "submitted"))

        # Personal overrides: refused for one not invited (now), accepted for an invitee.
        for user in ("se_out", "se_later"):
            r = self.app.post("/api/v1/sessions/%s/overrides" % sid,
                              {"username": user, "reason": "补考", "extra_seconds": 60}, token=self.trainer)
            self.assertError(r, 422, "validation_failed")
        r = self.app.post("/api/v1/sessions/%s/overrides" % sid,
                          {"username": "se_leave", "reason": "补考", "extra_seconds": 60}, token=self.trainer)
        self.assertEqual(r.status, 201, r)

        # The cohort is read when asked: a past-dated change moves se_stay out, se_later's (dated) change in.
        self.patch_grade("se_stay", 2, -DAY)
        self.patch_grade("se_later", 3, -DAY)
        ro = self.app.get("/api/v1/sessions/%s/roster" % sid, token=self.trainer).json
        self.assertEqual({x["username"] for x in ro["rows"]}, {"se_in", "se_leave", "se_named", "se_later"})
        self.assertEqual({x["grade"] for x in ro["rows"] if x["username"] == "se_later"}, {3})
        self.assertEqual(self.app.get("/api/v1/sessions/%s" % sid, token=self.hr).json["invitees"], 4)
        token = self.app.login("se_stay")
        self.assertNotIn(sid, [x["id"] for x in self.app.get("/api/v1/sessions", token=token).json["sessions"]])
        self.assertError(self.app.post("/api/v1/sessions/%s/attempts" % sid, {"item": "general_knowledge"},
                                       token=token), 404, "not_found")
        token = self.app.login("se_later")
        self.assertEqual(self.start_and_submit(token, "general_knowledge", sid), "intermediate")


class ModelVersionNowTest(GradeNowCase):
    """Model versions change the level required now; its own database, as versions are global."""

    def test_a_version_in_force_now_changes_the_level_a_future_one_does_not(self):
        self.employee("mv_four", 4, first_from=-365 * DAY)
        self.employee("mv_three", 3, first_from=-365 * DAY)
        self.employee("mv_up", 3, first_from=-365 * DAY)
        four, three, up = self.app.login("mv_four"), self.app.login("mv_three"), self.app.login("mv_up")
        self.assertEqual(self.exams(four)["general_knowledge"]["level"], "junior")

        r = self.app.post("/api/v1/model/versions",
                          {"note": "四级通用知识要求提高到高级",
                           "required_levels": [{"grade": 4, "item": "general_knowledge", "level": "senior"}]},
                          token=self.hr)
        self.assertEqual(r.status, 201, r)
        now_version = r.json["version"]
        model = self.app.get("/api/v1/model", token=four).json
        self.assertEqual(model["version"], now_version)
        required = {(x["grade"], x["item"]): x["level"] for x in model["required_levels"]}
        self.assertEqual((required[(4, "general_knowledge")], required[(4, "job_skills")],
                          required[(3, "general_knowledge")]), ("senior", "junior", "intermediate"))
        self.assertEqual(self.exams(four)["general_knowledge"]["level"], "senior")
        self.assertEqual(self.profile_level("mv_four"), "senior")
        self.assertEqual(self.start_and_submit(four), "senior")
        # Grade 3 is untouched by it.
        self.assertEqual(self.exams(three)["general_knowledge"]["level"], "intermediate")
        # A past-dated demotion to 4 takes the version in force now: senior, not junior.
        self.patch_grade("mv_up", 4, -DAY)
        self.assertEqual(self.exams(up)["general_knowledge"]["level"], "senior")
        self.assertEqual(self.start_and_submit(up), "senior")

        # A future version: stored, not in force yet.
        r = self.app.post("/api/v1/model/versions",
                          {"note": "明年四级要求资深", "effective_from": ts(30 * DAY),
                           "required_levels": [{"grade": 4, "item": "general_knowledge", "level": "expert"},
                                               {"grade": 3, "item": "general_knowledge", "level": "expert"}]},
                          token=self.hr)
        self.assertEqual(r.status, 201, r)
        self.assertGreater(r.json["version"], now_version)
        self.assertEqual(self.app.get("/api/v1/model", token=four).json["version"], now_version)
        self.assertEqual(self.exams(four)["general_knowledge"]["level"], "senior")
        self.assertEqual(self.exams(three)["general_knowledge"]["level"], "intermediate")
        self.assertEqual(self.profile_level("mv_four"), "senior")
        self.assertEqual(self.start_and_submit(four), "senior")
        self.assertEqual(self.start_and_submit(three), "intermediate")
        # A version dated in the past is refused and changes nothing.
        r = self.app.post("/api/v1/model/versions",
                          {"note": "追溯", "effective_from": ts(-DAY),
                           "required_levels": [{"grade": 4, "item": "general_knowledge", "level": "junior"}]},
                          token=self.hr)
        self.assertError(r, 422, "validation_failed")
        self.assertEqual(self.exams(four)["general_knowledge"]["level"], "senior")

        # A session with the item at the level each invitee requires: your_level and the start follow
        # the version in force now.
        r = self.app.post("/api/v1/sessions", {"title": "四级考试", "items": [{"item": "general_knowledge"}],
                                               "cohort": {"grades": [4]}, "opens_at": ts(-60),
                                               "closes_at": ts(3600)}, token=self.trainer)
        self.assertEqual(r.status, 201, r)
        sid = r.json["id"]
        one = self.app.get("/api/v1/sessions/%s" % sid, token=four).json
        self.assertEqual(one["items"][0]["your_level"], "senior")
        rows = self.app.get("/api/v1/sessions/%s/roster" % sid, token=self.hr).json["rows"]
        self.assertEqual({(x["username"], x["grade"], x["level"]) for x in rows if x["username"].startswith("mv_")},
                         {("mv_four", 4, "senior"), ("mv_up", 4, "senior")})
        self.assertEqual(self.start_and_submit(four, "general_knowledge", sid), "senior")


if __name__ == "__main__":
    unittest.main(verbosity=2)
