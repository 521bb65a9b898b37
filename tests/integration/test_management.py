"""Question management, results views and people management for the web UI (issue 18): the
question list's search, filters and pages, the CSV export that imports back unchanged, edit as a
one-row re-import, retire impact, re-activation, exams that cannot be drawn, per-blueprint results,
the HR department summary, grade changes with their date, user search."""
import csv
import io
import os

from harness import SRC, ExamdTestCase

BANK = os.path.join(SRC, "question-banks", "job_skills.csv")


class QuestionManagementTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p = cls.app.cli("bank", "import", BANK)
        assert p.returncode == 0, p.stdout + p.stderr
        cls.trainer = cls.app.login("trainer1")

    def q(self, query, token=None):
        return self.app.get("/api/v1/questions" + query, token=token or self.trainer)

    def test_search_filters_and_pages(self):
        every = self.q("?item=job_skills&active=true").json["questions"]
        self.assertGreater(len(every), 100)
        page = self.q("?item=job_skills&active=true&limit=25&offset=0")
        self.assertEqual(page.status, 200, page)
        self.assertEqual(page.json["total"], len(every))
        self.assertEqual([x["id"] for x in page.json["questions"]], [x["id"] for x in every[:25]])
        page2 = self.q("?item=job_skills&active=true&limit=25&offset=25").json
        self.assertEqual([x["id"] for x in page2["questions"]], [x["id"] for x in every[25:50]])
        last = self.q("?item=job_skills&active=true&limit=25&offset=%d" % (len(every) + 5)).json
        self.assertEqual((last["questions"], last["total"]), ([], len(every)))
        # The SPEC fields stay.
        self.assertTrue({"id", "item", "subtopic", "level", "type", "stem", "options", "answer", "points",
                         "explanation", "external_id", "version", "active"} <= set(every[0]))
        # Type filter and stem search (case-insensitive, LIKE wildcards taken literally).
        fills = self.q("?item=job_skills&type=fill").json
        self.assertTrue(fills["questions"] and all(x["type"] == "fill" for x in fills["questions"]))
        self.assertEqual(fills["total"], sum(1 for x in every if x["type"] == "fill"))
        word = every[3]["stem"][2:8]
        found = self.q("?q=" + __import__("urllib.parse").parse.quote(word)).json["questions"]
        self.assertIn(every[3]["id"], [x["id"] for x in found])
        self.assertTrue(all(word in x["stem"] or word in (x["external_id"] or "") for x in found))
        self.assertEqual(self.q("?q=%25%25%25").json["total"], 0)
        self.assertEqual(self.q("?q=" + every[3]["external_id"]).json["questions"][0]["id"], every[3]["id"])
        for bad in ("?type=essay", "?limit=0", "?limit=1001", "?offset=-1", "?format=xml", "?limit=x"):
            self.assertError(self.q(bad), 400, "invalid_field")

    def test_roles(self):
        emp = self.app.login("emp3")
        hr = self.app.login("hr1")
        for tok in (emp, hr):
            self.assertError(self.q("?format=csv", tok), 403, "forbidden")
            self.assertError(self.app.get("/api/v1/questions/1/impact", token=tok), 403, "forbidden")
            self.assertError(self.app.post("/api/v1/questions/1/activate", token=tok), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/questions/1/impact"), 401, "unauthenticated")
        self.assertError(self.app.get("/api/v1/questions/999999999/impact", token=self.trainer), 404, "not_found")
        self.assertError(self.app.post("/api/v1/questions/999999999/activate", token=self.trainer), 404,
                         "not_found")
        self.assertError(self.app.post("/api/v1/questions/abc/activate", token=self.trainer), 404, "not_found")

    def test_export_reimports_unchanged(self):
        r = self.q("?item=job_skills&active=true&format=csv")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertIn("attachment", r.header("Content-Disposition"))
        self.assertEqual(r.body[:3], b"\xef\xbb\xbf")
        text = r.body.decode("utf-8")
        rows = list(csv.reader(io.StringIO(text[1:])))
        self.assertEqual(rows[0][:6], ["编号", "知识项", "知识点", "级别", "题型", "题干"])
        active = self.q("?item=job_skills&active=true").json["total"]
        self.assertEqual(len(rows) - 1, active)
        self.assertIn("岗位基本技能", rows[1][1])
        # Formula-like cells (the shipped Excel questions have options like =B3*$F$1) are guarded.
        self.assertTrue(any(c.startswith("'=") for row in rows for c in row), "no guarded formula cell")
        imp = self.app.request("POST", "/api/v1/banks?dry_run=true", raw=r.body, token=self.trainer,
                               headers={"Content-Type": "text/csv"})
        self.assertEqual(imp.status, 200, imp)
        self.assertEqual((imp.json["created"], imp.json["updated"], imp.json["unchanged"]), (0, 0, active))

    def test_edit_is_a_new_version_then_retire_impact_and_reactivate(self):
        q = self.q("?item=job_skills&type=single&active=true&limit=1").json["questions"][0]
        body = {"questions": [{"external_id": q["external_id"], "item": q["item"], "subtopic": q["subtopic"],
                               "level": q["level"], "type": "single", "stem": q["stem"] + "（修订）",
                               "options": q["options"], "answer": q["answer"], "points": 2,
                               "explanation": q["explanation"]}]}
        r = self.app.post("/api/v1/banks", body, token=self.trainer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["updated"], r.json["created"]), (1, 0))
        new = self.q("?q=" + q["external_id"] + "&active=true").json["questions"]
        self.assertEqual(len(new), 1)
        self.assertEqual((new[0]["version"], new[0]["stem"]), (q["version"] + 1, q["stem"] + "（修订）"))
        old = [x for x in self.q("?q=" + q["external_id"]).json["questions"] if x["id"] == q["id"]][0]
        self.assertFalse(old["active"])
        # The old version cannot come back while the new one is active.
        self.assertError(self.app.post("/api/v1/questions/%d/activate" % q["id"], token=self.trainer), 409,
                         "conflict")

        # A blueprint that needs every question of the new version's cell: retiring it breaks it.
        cell = self.q("?item=job_skills&subtopic=%s&level=%s&active=true" % (q["subtopic"], q["level"])).json
        bp = {"time_limit_seconds": 600, "max_attempts": 3, "grading": "highest",
              "draws": [{"subtopic": q["subtopic"], "level": q["level"], "count": cell["total"]}]}
        self.assertEqual(self.app.request("PUT", "/api/v1/blueprints/job_skills/%s" % q["level"], bp,
                                          token=self.trainer).status, 200)
        imp = self.app.get("/api/v1/questions/%d/impact" % new[0]["id"], token=self.trainer)
        self.assertEqual(imp.status, 200, imp)
        self.assertEqual(len(imp.json["blueprints"]), 1, imp)
        b = imp.json["blueprints"][0]
        self.assertEqual((b["item"], b["level"], b["count"], b["available"], b["available_after"]),
                         ("job_skills", q["level"], cell["total"], cell["total"], cell["total"] - 1))
        # Nothing was retired by asking.
        self.assertTrue(self.q("?q=" + q["external_id"] + "&active=true").json["questions"])
        bps = {(x["item"], x["level"]): x for x in
               self.app.get("/api/v1/blueprints", token=self.trainer).json["blueprints"]}
        self.assertFalse(bps[("job_skills", q["level"])]["broken"])

        self.assertEqual(self.app.request("DELETE", "/api/v1/questions/%d" % new[0]["id"],
                                          token=self.trainer).status, 200)
        bps = {(x["item"], x["level"]): x for x in
               self.app.get("/api/v1/blueprints", token=self.trainer).json["blueprints"]}
        self.assertTrue(bps[("job_skills", q["level"])]["broken"])
        # An employee whose grade requires that level sees the exam as not available.
        level_grade = {"junior": 4, "intermediate": 3, "senior": 2, "expert": 1}[q["level"]]
        self.app.add_user("emp_m%d" % level_grade, "employee", grade=level_grade)
        emp = self.app.login("emp_m%d" % level_grade)
        exams = {e["item"]: e for e in self.app.get("/api/v1/exams", token=emp).json["exams"]}
        self.assertIs(exams["job_skills"]["available"], False)
        self.assertIn("max_attempts", exams["job_skills"])

        # Re-activation restores it, the blueprint fills again, audit has it.
        r = self.app.post("/api/v1/questions/%d/activate" % new[0]["id"], token=self.trainer)
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json["active"], True)
        self.assertTrue(self.q("?q=" + q["external_id"] + "&active=true").json["questions"])
        again = self.app.post("/api/v1/questions/%d/activate" % new[0]["id"], token=self.trainer)
        self.assertEqual(again.status, 200, again)
        exams = {e["item"]: e for e in self.app.get("/api/v1/exams", token=emp).json["exams"]}
        self.assertIs(exams["job_skills"]["available"], True)
        self.assertEqual(self.app.sql("SELECT count(*) FROM audit_log WHERE action = 'question.activate'"
                                      " AND target = 'question:%d'" % new[0]["id"]).strip(), "1")



class ResultsAndSummaryTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for path in ("job_skills.csv", "general_knowledge.csv", "professional_knowledge.csv", "job_knowledge.csv"):
            p = cls.app.cli("bank", "import", os.path.join(SRC, "question-banks", path))
            assert p.returncode == 0, p.stdout + p.stderr
        p = cls.app.cli("blueprint", "put", os.path.join(SRC, "question-banks", "blueprints.json"))
        assert p.returncode == 0, p.stdout + p.stderr
        p = cls.app.cli("demo", "simulate", "--employees", "12", "--seed", "7")
        assert p.returncode == 0, p.stdout + p.stderr
        cls.trainer = cls.app.login("trainer1")
        cls.hr = cls.app.login("hr1")

    def test_results_list(self):
        r = self.app.get("/api/v1/blueprints/job_skills/junior/results", token=self.trainer)
        self.assertEqual(r.status, 200, r)
        body = r.json
        closed = int(self.app.sql("SELECT count(*) FROM attempts WHERE item = 'job_skills' AND level = 'junior'"
                                  " AND status <> 'open'"))
        self.assertGreater(closed, 0)
        self.assertEqual((body["total"], len(body["results"])), (closed, closed))
        self.assertEqual(body["max_attempts"], int(self.app.sql(
            "SELECT max_attempts FROM blueprints WHERE item = 'job_skills' AND level = 'junior'")))
        first = body["results"][0]
        self.assertTrue({"username", "name", "department", "attempt_no", "attempts_used", "standard_score", "band",
                         "band_name_zh", "submitted_at", "attempt_id"} <= set(first), first)
        # 第 n 次: per employee, in start order, 1..used.
        by_user = {}
        for x in body["results"]:
            by_user.setdefault(x["username"], []).append(x["attempt_no"])
        for user, ns in by_user.items():
            self.assertEqual(sorted(ns), list(range(1, len(ns) + 1)), user)
        db = self.app.sql("SELECT standard_score FROM attempts WHERE id = %d" % first["attempt_id"]).strip()
        self.assertEqual(float(first["standard_score"]), float(db))
        # Names in pinyin order (ICU zh collation).
        names = [x["name"] for x in body["results"]]
        want = self.app.sql("SELECT string_agg(n, '|' ORDER BY n COLLATE \"zh-x-icu\") FROM unnest(ARRAY[%s]) n"
                            % ",".join("'%s'" % n.replace("'", "''") for n in names)).strip().split("|")
        self.assertEqual(names, want)
        # Pages and search.
        page = self.app.get("/api/v1/blueprints/job_skills/junior/results?limit=3&offset=3", token=self.trainer).json
        self.assertEqual([x["attempt_id"] for x in page["results"]],
                         [x["attempt_id"] for x in body["results"][3:6]])
        one = body["results"][0]["username"]
        found = self.app.get("/api/v1/blueprints/job_skills/junior/results?q=" + one, token=self.trainer).json
        self.assertTrue(found["results"] and all(one in x["username"] or one in x["name"] for x in found["results"]))
        # CSV with Chinese headers and a BOM.
        c = self.app.get("/api/v1/blueprints/job_skills/junior/results?format=csv", token=self.trainer)
        self.assertEqual(c.status, 200, c)
        self.assertEqual(c.body[:3], b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(c.body.decode("utf-8")[1:])))
        self.assertEqual(rows[0][:4], ["工号", "姓名", "部门", "第几次"])
        self.assertEqual(len(rows) - 1, closed)
        # Roles and errors.
        emp = self.app.login("emp3")
        for tok in (emp, self.hr):
            self.assertError(self.app.get("/api/v1/blueprints/job_skills/junior/results", token=tok), 403, "forbidden")
        self.assertEqual(self.app.get("/api/v1/blueprints/job_skills/junior/results",
                                      token=self.app.login("admin")).status, 200)
        self.assertError(self.app.get("/api/v1/blueprints/coordination/junior/results", token=self.trainer), 404,
                         "not_found")
        for bad in ("?limit=0", "?offset=x", "?format=pdf"):
            self.assertError(self.app.get("/api/v1/blueprints/job_skills/junior/results" + bad, token=self.trainer),
                             400, "invalid_field")

    def test_attempt_history_numbers_per_exam(self):
        user = self.app.sql("SELECT username FROM attempts WHERE status <> 'open' GROUP BY username"
                            " ORDER BY count(*) DESC, username LIMIT 1").strip()
        r = self.app.get("/api/v1/attempts?username=" + user, token=self.hr)
        self.assertEqual(r.status, 200, r)
        seen = {}
        for a in r.json["attempts"]:
            seen.setdefault((a["item"], a["level"]), []).append(a["attempt_no"])
        self.assertTrue(seen)
        for ns in seen.values():
            self.assertEqual(ns, list(range(1, len(ns) + 1)))
        # The same numbers as the trainers' results list.
        a = r.json["attempts"][0]
        res = self.app.get("/api/v1/blueprints/%s/%s/results?q=%s" % (a["item"], a["level"], user),
                           token=self.trainer).json["results"]
        self.assertIn((a["attempt_id"], a["attempt_no"]), [(x["attempt_id"], x["attempt_no"]) for x in res])
        only = self.app.get("/api/v1/attempts?username=%s&item=%s" % (user, a["item"]), token=self.hr).json
        self.assertTrue(all(x["item"] == a["item"] for x in only["attempts"]))
        # An employee reads their own only; a trainer not at all.
        emp = self.app.login("emp3")
        self.assertEqual(self.app.get("/api/v1/attempts", token=emp).json["attempts"], [])
        self.assertError(self.app.get("/api/v1/attempts?username=" + user, token=emp), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/attempts", token=self.trainer), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/attempts?item=coordination", token=self.hr), 400, "invalid_field")

    def test_department_summary_matches_the_listing(self):
        emps = self.app.get("/api/v1/profiles", token=self.hr).json["employees"]
        s = self.app.get("/api/v1/profiles/summary", token=self.hr)
        self.assertEqual(s.status, 200, s)
        body = s.json
        self.assertEqual(body["employees"], len(emps))
        self.assertEqual(len(body["summary"]), 18)
        for row in body["summary"]:
            vals = [e["actual"][row["item"]] for e in emps if e["actual"][row["item"]] is not None]
            self.assertEqual(row["assessed"], len(vals), row)
            if not vals:
                self.assertIsNone(row["mean"])
                self.assertIsNone(row["meets_rate"])
                continue
            from decimal import Decimal, ROUND_HALF_UP
            mean = (sum(Decimal(str(v)) for v in vals) / len(vals)).quantize(Decimal("0.01"), ROUND_HALF_UP)
            self.assertEqual(Decimal(str(row["mean"])), mean, row)
            rate = (Decimal(sum(1 for v in vals if v >= 5)) * 100 / len(vals)).quantize(Decimal("0.1"), ROUND_HALF_UP)
            self.assertEqual(Decimal(str(row["meets_rate"])), rate, row)
            self.assertEqual(sum(row["distribution"]), len(vals))
            self.assertEqual(row["below"] + row["meets"] + row["exceeds"] + row["missing"], len(emps))
        self.assertTrue(any(r["assessed"] for r in body["summary"]), "the demo gives exam evidence")
        # A department filter narrows it; roles.
        self.assertEqual(self.app.get("/api/v1/profiles/summary?department=nowhere", token=self.hr).json["employees"], 0)
        self.assertError(self.app.get("/api/v1/profiles/summary", token=self.trainer), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/profiles/summary?grade=9", token=self.hr), 400, "invalid_field")



class PeopleTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for u, name, dept, grade in [("p_zhao", "赵一", "政企客户一部", 4), ("p_an", "安二", "政企客户二部", 4),
                                     ("p_li", "李三", "行业客户部", 3), ("p_wang", "王四", "政企客户一部", 2)]:
            cls.app.add_user(u, "employee", grade=grade, name=name, department=dept)
        cls.hr = cls.app.login("hr1")

    def users(self, query):
        r = self.app.get("/api/v1/users" + query, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_search_fuzzy_department_pages_and_pinyin_order(self):
        from urllib.parse import quote
        found = self.users("?role=employee&department_like=" + quote("客户一"))
        self.assertEqual(sorted(u["username"] for u in found["users"]), ["p_wang", "p_zhao"])
        self.assertEqual(found["total"], 2)
        # Exact department stays exact (SPEC).
        self.assertEqual(self.users("?department=" + quote("客户一"))["users"], [])
        self.assertEqual([u["username"] for u in self.users("?role=employee&q=" + quote("李"))["users"]], ["p_li"])
        self.assertEqual([u["username"] for u in self.users("?q=P_AN")["users"]], ["p_an"])
        self.assertEqual(self.users("?department_like=%25")["total"], 0)
        # Within a department, names in pinyin order: 王 (wang) before 赵 (zhao).
        one = self.users("?department=" + quote("政企客户一部"))["users"]
        self.assertEqual([u["name"] for u in one], ["王四", "赵一"])
        every = self.users("?role=employee")
        page = self.users("?role=employee&limit=2&offset=1")
        self.assertEqual(page["total"], every["total"])
        self.assertEqual([u["username"] for u in page["users"]], [u["username"] for u in every["users"][1:3]])
        for bad in ("?limit=0", "?offset=-2", "?active=maybe"):
            self.assertError(self.app.get("/api/v1/users" + bad, token=self.hr), 400, "invalid_field")

    def test_grade_change_with_its_date(self):
        # Promoted from grade 4 to 3 as of ten days ago: the profile ten days ago uses 3, before that 4.
        import datetime
        self.app.sql("UPDATE user_grades SET effective_from = now() - interval '1 year' WHERE username = 'p_an'")
        when = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)).replace(microsecond=0)
        r = self.app.request("PATCH", "/api/v1/users/p_an", {"grade": 3, "grade_effective_from": when.isoformat()},
                             token=self.hr)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["grade"], 3)
        rows = self.app.sql("SELECT grade || '@' || (effective_from = '%s'::timestamptz) FROM user_grades"
                            " WHERE username = 'p_an' ORDER BY effective_from" % when.isoformat()).split()
        self.assertEqual(rows[-1], "3@true")
        before = (when - datetime.timedelta(days=1)).isoformat()
        prof = self.app.get("/api/v1/employees/p_an/profile?at=%s" % before.replace("+", "%2B"), token=self.hr).json
        self.assertEqual({i["required_level"] for i in prof["items"] if i["item"] == "job_skills"}, {"junior"})
        prof = self.app.get("/api/v1/employees/p_an/profile", token=self.hr).json
        self.assertEqual({i["required_level"] for i in prof["items"] if i["item"] == "job_skills"}, {"intermediate"})
        # A future date: the current grade stays until then.
        later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).replace(microsecond=0)
        r = self.app.request("PATCH", "/api/v1/users/p_an", {"grade": 2, "grade_effective_from": later.isoformat()},
                             token=self.hr)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["grade"], 3)
        self.assertEqual(self.users("?q=p_an")["users"][0]["grade"], 3)
        # Department, deactivation and a new password, audited; errors.
        r = self.app.request("PATCH", "/api/v1/users/p_an", {"department": "行业客户部", "active": False}, token=self.hr)
        self.assertEqual((r.status, r.json["department"], r.json["active"]), (200, "行业客户部", False))
        self.assertEqual(self.users("?q=p_an&active=false")["total"], 1)
        self.assertEqual(self.users("?q=p_an&active=true")["total"], 0)
        for body in ({"grade_effective_from": when.isoformat()}, {"grade": 3, "grade_effective_from": "yesterday"},
                     {"grade": 3, "grade_effective_from": "2026-13-45"}):
            self.assertError(self.app.request("PATCH", "/api/v1/users/p_an", body, token=self.hr), 400, "invalid_field")
        self.assertIn("grade_effective_from", self.app.sql(
            "SELECT detail::text FROM audit_log WHERE action = 'user.update' AND target = 'user:p_an' ORDER BY id LIMIT 1"))


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
