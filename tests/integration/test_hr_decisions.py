"""HR decisions (issue #19): readiness for the next grade (SPEC §4.6b), the printable employee report,
rater quality and trends, against the real examd over HTTP."""
import csv
import io
import json
import os
import shutil
import subprocess
import unittest
import urllib.parse

from harness import ExamdTestCase, SRC

MODEL = json.load(open(os.path.join(SRC, "model", "competency-model.json"), encoding="utf-8"))
ITEMS = [i["code"] for i in MODEL["items"]]
EXAM = [i["code"] for i in MODEL["items"] if i["assessment"] == "exam"]
BEHAVIOUR = [i for i in ITEMS if i not in EXAM]
NAME_ZH = {i["code"]: i["name_zh"] for i in MODEL["items"]}
DEPT = "就绪测试部"
QDEPT = urllib.parse.quote(DEPT)
BAND_SCORE = {1: 30, 2: 50, 3: 65, 4: 75, 5: 85, 6: 95}


def attempt(app, username, item, level, band, days_ago=1):
    app.sql("INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds, "
            "started_at, deadline, submitted_at, standard_score, band, result) VALUES ('%s', '%s', '%s', 'submitted', "
            "1, 'highest', 600, now() - make_interval(days => %d, mins => 20), now() - make_interval(days => %d), "
            "now() - make_interval(days => %d, mins => 10), %d, %d, '{}')"
            % (username, item, level, days_ago, days_ago, days_ago, BAND_SCORE[band], band))


def rating(app, employee, item, score, rater, relation="supervisor", period="2026H2", level=None, days_ago=1):
    app.sql("INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at) "
            "VALUES ('%s', '%s', %d, '%s', '%s', '%s', %s, now() - make_interval(days => %d))"
            % (employee, item, score, rater, relation, period, "'%s'" % level if level else "NULL", days_ago))


def evidence(app, username, level, values, period="2026H2", rater="boss"):
    """values: item -> band (exam) or rating (behaviour); None leaves the item without evidence."""
    for item, v in values.items():
        if v is None:
            continue
        if item in EXAM:
            attempt(app, username, item, level, v)
        else:
            rating(app, username, item, v, rater, period=period, level=level)


class ReadinessTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        # Names chosen so that the order by name inside a status is checkable.
        for u, g, name in [("top1", 1, "甲一"), ("rdy3", 3, "乙三"), ("miss3", 3, "丙三"), ("near3", 3, "丁三"),
                           ("low3", 4, "戊四"), ("own3", 3, "己三"), ("three3", 3, "庚三"), ("two3", 3, "辛三")]:
            app.add_user(u, "employee", grade=g, name=name, department=DEPT)
        app.sql("UPDATE user_grades SET effective_from = now() - interval '30 days'")
        full = {i: 5 for i in ITEMS}
        evidence(app, "top1", "expert", {i: 6 for i in ITEMS})
        evidence(app, "rdy3", "senior", full)               # grade 3 -> 2 requires senior: ready
        evidence(app, "miss3", "senior", dict(full, **{BEHAVIOUR[2]: None}))   # one item missing
        evidence(app, "near3", "senior", dict(full, **{EXAM[0]: 4, BEHAVIOUR[0]: 4}))  # two items 1 short
        evidence(app, "three3", "senior", dict(full, **{BEHAVIOUR[0]: 4, BEHAVIOUR[1]: 4, BEHAVIOUR[4]: 4}))
        evidence(app, "two3", "senior", dict(full, **{BEHAVIOUR[5]: 3}))      # one item 2 short
        # near3's evidence at its own level (intermediate), for its profile and report.
        evidence(app, "near3", "intermediate", {i: 5 for i in ITEMS}, rater="zhou_sup")
        # Evidence at the employee's own level only (intermediate for grade 3): nothing for grade 2.
        evidence(app, "own3", "intermediate", {i: 6 for i in ITEMS})
        # Grade 4 -> 3 requires intermediate; senior results do not count for it, intermediate ones do.
        evidence(app, "low3", "senior", {i: 6 for i in ITEMS}, rater="boss")
        evidence(app, "low3", "intermediate", {i: 5 for i in ITEMS}, rater="peer1")
        cls.hr = app.login("hr1")
        cls.emp = app.login("emp3")

    def listing(self, query=""):
        r = self.app.get("/api/v1/profiles/readiness?department=" + QDEPT + query, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_statuses_and_order(self):
        doc = self.listing()
        rows = {e["username"]: e for e in doc["employees"]}
        want = {"top1": "top_grade", "rdy3": "ready", "miss3": "not_ready", "near3": "nearly",
                "three3": "not_ready", "two3": "not_ready", "own3": "not_ready", "low3": "ready"}
        self.assertEqual({u: e["status"] for u, e in rows.items()}, want)
        # ready, nearly, not_ready, top_grade; then by name (PostgreSQL's collation of the database).
        order = [e["status"] for e in doc["employees"]]
        self.assertEqual(order, sorted(order, key=["ready", "nearly", "not_ready", "top_grade"].index))
        names = [e["name"] for e in doc["employees"] if e["status"] == "not_ready"]
        expect = self.app.sql("SELECT string_agg(name, ',' ORDER BY name) FROM users WHERE username IN "
                              "('miss3','three3','two3','own3')").split(",")
        self.assertEqual(names, expect)
        self.assertEqual(doc["counts"], {"ready": 2, "nearly": 1, "not_ready": 4, "top_grade": 1})

    def test_items_and_counts(self):
        rows = {e["username"]: e for e in self.listing()["employees"]}
        top = rows["top1"]
        self.assertEqual((top["grade"], top["next_grade"], top["items"]), (1, None, []))
        near = rows["near3"]
        self.assertEqual((near["grade"], near["next_grade"], near["below"], near["missing"]), (3, 2, 2, 0))
        self.assertEqual([i["item"] for i in near["items"]], ITEMS)
        by = {i["item"]: i for i in near["items"]}
        self.assertEqual(by[EXAM[0]], {"item": EXAM[0], "required_level": "senior", "actual": 4, "status": "below"})
        self.assertEqual(by[BEHAVIOUR[0]]["status"], "below")
        self.assertEqual(by[BEHAVIOUR[1]], {"item": BEHAVIOUR[1], "required_level": "senior", "actual": 5,
                                            "status": "met"})
        miss = {i["item"]: i for i in rows["miss3"]["items"]}
        self.assertEqual(miss[BEHAVIOUR[2]], {"item": BEHAVIOUR[2], "required_level": "senior", "actual": None,
                                              "status": "missing"})
        self.assertEqual((rows["miss3"]["below"], rows["miss3"]["missing"]), (0, 1))
        own = rows["own3"]
        self.assertEqual((own["missing"], own["below"]), (18, 0))  # a lower-level result never meets a higher level
        self.assertEqual(rows["three3"]["below"], 3)
        self.assertEqual(rows["two3"]["below"], 1)
        low = {i["item"]: i for i in rows["low3"]["items"]}
        self.assertEqual(low[EXAM[1]]["required_level"], "intermediate")
        self.assertEqual(low[EXAM[1]]["actual"], 5)

    def test_filters(self):
        doc = self.listing("&grade=3")
        self.assertEqual({e["username"] for e in doc["employees"]}, {"rdy3", "miss3", "near3", "three3", "two3", "own3"})
        doc = self.listing("&period=2025H1")  # no rating in that period: behaviour items missing
        rows = {e["username"]: e for e in doc["employees"]}
        self.assertEqual(rows["rdy3"]["status"], "not_ready")
        self.assertEqual(rows["rdy3"]["missing"], len(BEHAVIOUR))

    def test_csv(self):
        self.app.sql("UPDATE users SET name = '=HYPERLINK(1)' WHERE username = 'two3'")
        try:
            r = self.app.get("/api/v1/profiles/readiness?format=csv&department=" + QDEPT, token=self.hr)
        finally:
            self.app.sql("UPDATE users SET name = '辛三' WHERE username = 'two3'")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        text = r.body[3:].decode("utf-8")
        self.assertIn("\r\n", text)
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0], ["username", "name", "department", "grade", "period", "next_grade", "status"] +
                         ITEMS + ["met", "below", "missing"])
        body = {r[0]: r for r in rows[1:] if r}
        self.assertEqual(body["two3"][1], "'=HYPERLINK(1)")
        self.assertEqual(body["near3"][5:7], ["2", "nearly"])
        self.assertEqual(body["near3"][7 + ITEMS.index(EXAM[0])], "4")
        self.assertEqual(body["miss3"][7 + ITEMS.index(BEHAVIOUR[2])], "")
        self.assertEqual(body["top1"][5:7], ["", "top_grade"])
        self.assertEqual([r[6] for r in rows[1:] if r][0], "ready")

    def test_roles_and_parameters(self):
        self.assertError(self.app.get("/api/v1/profiles/readiness"), 401, "unauthenticated")
        self.assertError(self.app.get("/api/v1/profiles/readiness", token=self.emp), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/profiles/readiness", token=self.app.login("trainer1")), 403)
        self.assertEqual(self.app.get("/api/v1/profiles/readiness", token=self.app.login("admin")).status, 200)
        self.assertError(self.app.get("/api/v1/profiles/readiness?grade=5", token=self.hr), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/profiles/readiness?format=xml", token=self.hr), 400, "invalid_field")
        empty = self.app.get("/api/v1/profiles/readiness?department=nowhere", token=self.hr)
        self.assertEqual(empty.status, 200, empty)
        self.assertEqual(empty.json["employees"], [])

    # ---------------------------------------------------------------- the printable report
    def pdf_text(self, resp):
        self.assertEqual(resp.status, 200, resp)
        self.assertEqual(resp.header("Content-Type"), "application/pdf")
        self.assertTrue(resp.body.startswith(b"%PDF-"))
        exe = shutil.which("pdftotext")
        self.assertIsNotNone(exe, "pdftotext (poppler-utils) is needed: deploy/install-deps.sh installs it")
        p = subprocess.run([exe, "-layout", "-", "-"], input=resp.body, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        info = subprocess.run([shutil.which("pdfinfo") or "pdfinfo", "-"], input=resp.body, capture_output=True,
                              timeout=60).stdout.decode()
        self.assertIn("595.28 x 841.89", info)  # A4 in points
        return p.stdout.decode("utf-8")

    def test_report_pdf_for_hr(self):
        text = self.pdf_text(self.app.get("/api/v1/employees/near3/report.pdf", token=self.hr))
        flat = "".join(text.split())
        self.assertIn("丁三", flat)
        for code, name in NAME_ZH.items():
            self.assertIn(name, flat, code)
        self.assertIn("客户经理3级", flat)
        self.assertIn("2026H2", flat)
        self.assertIn("晋级准备度", flat)
        self.assertIn("接近就绪", flat)       # readiness: nearly
        self.assertIn("上级zhou_sup：5分", flat)  # HR sees raters
        self.assertIn("考试", flat)
        self.assertIn("差距与发展建议", flat)
        self.assertIn("考试", flat)

    def test_report_pdf_for_the_employee_keeps_raters_anonymous(self):
        token = self.app.login("near3")
        text = self.pdf_text(self.app.get("/api/v1/employees/near3/report.pdf", token=token))
        flat = "".join(text.split())
        self.assertIn("丁三", flat)
        for name in NAME_ZH.values():
            self.assertIn(name, flat)
        self.assertNotIn("zhou_sup", flat)
        self.assertIn("上级评价1份", flat)
        self.assertError(self.app.get("/api/v1/employees/rdy3/report.pdf", token=token), 403, "forbidden")

    def test_report_pdf_gaps_suggest_the_required_levels_indicators(self):
        # emp3 (grade 3) has no evidence: every item is a gap with intermediate indicators.
        item = MODEL["items"][0]
        text = self.pdf_text(self.app.get("/api/v1/employees/emp3/report.pdf", token=self.hr))
        flat = "".join(text.split())
        self.assertIn("".join(item["levels"]["intermediate"]["indicators_zh"][0].split()), flat)
        self.assertIn("暂无该级别的证据", flat)

    def test_report_roles(self):
        self.assertError(self.app.get("/api/v1/employees/near3/report.pdf"), 401, "unauthenticated")
        self.assertError(self.app.get("/api/v1/employees/near3/report.pdf", token=self.app.login("trainer1")), 403)
        self.assertError(self.app.get("/api/v1/employees/nobody/report.pdf", token=self.hr), 404, "not_found")
        self.assertError(self.app.get("/api/v1/employees/nobody/report.pdf?at=yesterday", token=self.hr), 404)
        self.assertError(self.app.get("/api/v1/employees/near3/report.pdf?at=yesterday", token=self.hr), 400)
        top = self.pdf_text(self.app.get("/api/v1/employees/top1/report.pdf", token=self.app.login("admin")))
        self.assertIn("已是最高职级", "".join(top.split()))


if __name__ == "__main__":
    unittest.main()
