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


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
