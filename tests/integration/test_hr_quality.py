"""HR decisions (issue #19), the rest: rater quality, trends over periods and the department report,
against the real examd over HTTP."""
import csv
import io
import json
import os
import shutil
import subprocess
import urllib.parse

from harness import ExamdTestCase, SRC

MODEL = json.load(open(os.path.join(SRC, "model", "competency-model.json"), encoding="utf-8"))
ITEMS = [i["code"] for i in MODEL["items"]]
EXAM = [i["code"] for i in MODEL["items"] if i["assessment"] == "exam"]
BEHAVIOUR = [i for i in ITEMS if i not in EXAM]
NAME_ZH = {i["code"]: i["name_zh"] for i in MODEL["items"]}
DEPT = "质量测试部"
QDEPT = urllib.parse.quote(DEPT)
TDEPT = "趋势测试部"
QTDEPT = urllib.parse.quote(TDEPT)
BAND_SCORE = {1: 30, 2: 50, 3: 65, 4: 75, 5: 85, 6: 95}
PERIOD = "2025Q3"  # the crafted rater-quality set; nothing else is rated in it


def rating_row(employee, item, score, rater, relation, period, days_ago, level=None):
    return "('%s', '%s', %d, '%s', '%s', '%s', %s, now() - make_interval(days => %d))" % (
        employee, item, score, rater, relation, period, "'%s'" % level if level else "NULL", days_ago)


def insert_ratings(app, rows):
    app.sql("INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at) "
            "VALUES " + ",".join(rows))


def attempt(app, username, item, level, band, days_ago):
    app.sql("INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds, "
            "started_at, deadline, submitted_at, standard_score, band, result) VALUES ('%s', '%s', '%s', 'submitted', "
            "1, 'highest', 600, now() - make_interval(days => %d, mins => 20), now() - make_interval(days => %d), "
            "now() - make_interval(days => %d, mins => 10), %d, %d, '{}')"
            % (username, item, level, days_ago, days_ago, days_ago, BAND_SCORE[band], band))


def crafted_quality_set():
    """(employee, item, score, rater, relation) of the crafted period. Four ordinary raters give the
    cell's base value b = 2..4 (sup1 as supervisor, peer1 as peer: they agree exactly); 'kind' gives
    b + 2 to everyone (lenient, as customer); 'flat' gives 3 to everyone (single value, whose
    leniency averages -0.4); 'few' gives 6 on four cells of q6 only, next to 'other' who gives 3
    there (leniency +3 but over 4 shared ratings: below the 5 a flag needs)."""
    rows = []
    for e in range(5):
        for i, item in enumerate(BEHAVIOUR):
            b = 2 + (e + i) % 3
            for rater, rel in [("sup1", "supervisor"), ("peer1", "peer"), ("sub1", "subordinate"), ("sub2", "subordinate")]:
                rows.append(("q%d" % e, item, b, rater, rel))
            rows.append(("q%d" % e, item, b + 2, "kind", "customer"))
            rows.append(("q%d" % e, item, 3, "flat", "hr"))
    for item in BEHAVIOUR[:4]:
        rows.append(("q6", item, 6, "few", "peer"))
        rows.append(("q6", item, 3, "other", "peer"))
    return rows


def expected_leniency(rows, rater):
    """The definition, computed independently: mean over the rater's ratings of a cell that others
    also rated of (rating - mean of the others' ratings of that cell)."""
    cells = {}
    for e, item, score, r, _ in rows:
        cells.setdefault((e, item), []).append((r, score))
    diffs = []
    for entries in cells.values():
        mine = [s for r, s in entries if r == rater]
        others = [s for r, s in entries if r != rater]
        if mine and others:
            diffs.append(mine[0] - sum(others) / len(others))
    return sum(diffs) / len(diffs), len(diffs)


class HrQualityTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        for k in range(7):
            app.add_user("q%d" % k, "employee", grade=3, name="质%d" % k, department=DEPT)
        app.add_user("sup1", "hr", name="赵主管", department=DEPT)
        app.sql("UPDATE user_grades SET effective_from = now() - interval '400 days'")
        cls.rows = crafted_quality_set()
        insert_ratings(app, [rating_row(e, item, s, r, rel, PERIOD, 200) for e, item, s, r, rel in cls.rows])
        # Trends: t1 and t2 of TDEPT over two periods (H1 rated 100 days ago, H2 10 days ago).
        app.add_user("t1", "employee", grade=3, name="趋一", department=TDEPT)
        app.add_user("t2", "employee", grade=3, name="趋二", department=TDEPT)
        app.sql("UPDATE user_grades SET effective_from = now() - interval '400 days'")
        rows = []
        for item in BEHAVIOUR:
            rows.append(rating_row("t1", item, 3, "boss", "supervisor", "2026H1", 100))
            rows.append(rating_row("t1", item, 5, "boss", "supervisor", "2026H2", 10))
        rows.append(rating_row("t2", BEHAVIOUR[0], 4, "boss", "supervisor", "2026H1", 100))
        rows.append(rating_row("t2", BEHAVIOUR[0], 6, "boss", "supervisor", "2026H2", 10))
        rows.append(rating_row("t2", BEHAVIOUR[0], 5, "peer9", "peer", "2026H2", 11))
        insert_ratings(app, rows)
        attempt(app, "t1", "job_skills", "intermediate", 3, 120)
        attempt(app, "t1", "job_skills", "intermediate", 5, 20)
        attempt(app, "t2", "job_skills", "senior", 6, 20)  # not at grade 3's level: never counts
        cls.hr = app.login("hr1")
        cls.admin = app.login("admin")
        cls.emp = app.login("emp3")

    # ------------------------------------------------------------ rater quality
    def quality(self, query=""):
        r = self.app.get("/api/v1/raters/quality?period=" + PERIOD + query, token=self.hr)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_exactly_one_lenient_and_one_single_value_rater(self):
        q = self.quality()
        self.assertEqual(q["period"], PERIOD)
        flagged = {r["rater"]: r["flags"] for r in q["raters"] if r["flags"]}
        self.assertEqual(flagged, {"kind": ["lenient"], "flat": ["single_value"]})
        self.assertEqual(q["counts"]["lenient"], 1)
        self.assertEqual(q["counts"]["single_value"], 1)
        self.assertEqual(q["counts"]["severe"], 0)
        self.assertEqual(q["counts"]["flagged_raters"], 2)
        self.assertEqual(q["raters_count"], 8)
        self.assertEqual(q["ratings"], len(self.rows))
        by = {r["rater"]: r for r in q["raters"]}
        # Flagged first.
        self.assertEqual({q["raters"][0]["rater"], q["raters"][1]["rater"]}, {"kind", "flat"})
        for rater in ["kind", "flat", "sup1", "few"]:
            want, shared = expected_leniency(self.rows, rater)
            self.assertEqual(by[rater]["shared"], shared, rater)
            self.assertAlmostEqual(by[rater]["leniency"], round(want, 2), places=6, msg=rater)
        self.assertEqual(by["flat"]["mode"], 3)
        self.assertEqual(by["flat"]["mode_share"], 1)
        self.assertEqual(by["few"]["shared"], 4)
        self.assertEqual(by["few"]["leniency"], 3)
        self.assertEqual(by["few"]["mode_share"], 1)  # but only 4 ratings: no flag
        self.assertEqual(by["sup1"]["name"], "赵主管")
        self.assertEqual(by["kind"]["relations"], ["customer"])
        self.assertEqual(by["kind"]["mean"], round(sum(s for _, _, s, r, _ in self.rows if r == "kind") / 70, 2))
        # Supervisor and peer agree exactly on all 70 cells: kappa 1.
        self.assertEqual(q["agreement"], {"pairs": 70, "exact": 1, "within_one": 1, "kappa": 1})
        self.assertEqual(by["sup1"]["agreement"]["pairs"], 70)
        self.assertIsNone(by["kind"]["agreement"]["kappa"])
        rules = {r["flag"]: r for r in q["rules"]}
        self.assertEqual(rules["lenient"]["threshold"], 1.0)
        self.assertEqual(rules["single_value"]["min_count"], 5)

    def test_quality_csv(self):
        r = self.app.get("/api/v1/raters/quality?format=csv&period=" + PERIOD, token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        text = r.body.decode("utf-8-sig")
        self.assertIn("\r\n", text)
        rows = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual(len(rows), 8)
        by = {x["rater"]: x for x in rows}
        self.assertEqual(by["kind"]["flags"], "lenient")
        self.assertEqual(by["flat"]["flags"], "single_value")
        self.assertEqual(by["sup1"]["flags"], "")
        self.assertEqual(by["sup1"]["name"], "赵主管")
        self.assertEqual(by["flat"]["mode_share"], "1")
        self.assertEqual(by["few"]["kappa"], "")
        self.assertEqual(by["kind"]["period"], PERIOD)

    def test_quality_default_period_and_department(self):
        # No other ratings in this database are newer than the crafted set's.
        q = self.app.get("/api/v1/raters/quality?department=" + QDEPT, token=self.hr).json
        self.assertEqual(q["period"], PERIOD)
        self.assertEqual(q["department"], DEPT)
        empty = self.quality("&department=" + urllib.parse.quote("无此部门"))
        self.assertEqual(empty["raters"], [])
        self.assertEqual(empty["agreement"]["pairs"], 0)
        self.assertIsNone(empty["agreement"]["kappa"])

    def test_quality_keeps_each_raters_latest_rating(self):
        # A period of its own, long ago: "redo" rated 0, then 6 (the latest counts), "once" rated 4;
        # "tie" rated twice at the same time: the later entry (higher id) counts.
        self.app.add_user("rq1", "employee", grade=3)
        insert_ratings(self.app, [rating_row("rq1", BEHAVIOUR[0], 0, "redo", "peer", "2024Q1", 500),
                                  rating_row("rq1", BEHAVIOUR[0], 6, "redo", "peer", "2024Q1", 400),
                                  rating_row("rq1", BEHAVIOUR[0], 4, "once", "supervisor", "2024Q1", 450)])
        insert_ratings(self.app, [rating_row("rq1", BEHAVIOUR[0], 1, "tie", "hr", "2024Q1", 420)])
        self.app.sql("INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_at) "
                     "SELECT employee, item, 2, rater, relation, period, rated_at FROM behaviour_ratings "
                     "WHERE rater = 'tie'")
        q = self.app.get("/api/v1/raters/quality?period=2024Q1", token=self.hr).json
        self.assertEqual((q["raters_count"], q["ratings"], q["employees"]), (3, 3, 1))
        by = {r["rater"]: r for r in q["raters"]}
        self.assertEqual((by["redo"]["ratings"], by["redo"]["mean"]), (1, 6))
        self.assertEqual((by["once"]["ratings"], by["once"]["mean"]), (1, 4))
        self.assertEqual((by["tie"]["ratings"], by["tie"]["mean"]), (1, 2))

    def test_quality_bad_input(self):
        self.assertError(self.app.get("/api/v1/raters/quality?format=xml", token=self.hr), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/raters/quality?period=" + "x" * 40, token=self.hr), 400, "invalid_field")

    # ------------------------------------------------------------ trends
    def test_employee_trends_over_two_periods(self):
        r = self.app.get("/api/v1/employees/t1/trends", token=self.hr)
        self.assertEqual(r.status, 200, r)
        t = r.json
        self.assertEqual(t["employee"]["name"], "趋一")
        self.assertEqual(t["items"], ITEMS)
        self.assertEqual([p["period"] for p in t["periods"]], ["2026H1", "2026H2"])
        h1, h2 = t["periods"]
        # The exam counted at the end of each period: band 3 then, the better 5 by H2 (grading highest).
        self.assertEqual(h1["values"]["job_skills"], 3)
        self.assertEqual(h2["values"]["job_skills"], 5)
        self.assertIsNone(h1["values"]["general_knowledge"])
        for item in BEHAVIOUR:
            self.assertEqual(h1["values"][item], 3, item)
            self.assertEqual(h2["values"][item], 5, item)
        self.assertEqual(h1["required_levels"]["job_skills"], "intermediate")
        self.assertEqual(h1["grade"], 3)
        self.assertLess(h1["at"], h2["at"])
        # Raters stay anonymous: no names anywhere.
        self.assertNotIn("boss", r.body.decode())

    def test_employee_trends_access(self):
        own = self.app.get("/api/v1/employees/emp3/trends", token=self.emp)
        self.assertEqual(own.status, 200, own)
        self.assertEqual(own.json["periods"], [])
        self.assertError(self.app.get("/api/v1/employees/t1/trends", token=self.emp), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/employees/nobody/trends", token=self.hr), 404, "not_found")
        self.assertError(self.app.get("/api/v1/employees/t1/trends"), 401, "unauthenticated")

    def test_department_trends(self):
        r = self.app.get("/api/v1/departments/%s/trends" % QTDEPT, token=self.admin)
        self.assertEqual(r.status, 200, r)
        t = r.json
        self.assertEqual(t["department"], TDEPT)
        self.assertEqual(t["employees"], 2)
        self.assertEqual([p["period"] for p in t["periods"]], ["2026H1", "2026H2"])
        h1 = {i["item"]: i for i in t["periods"][0]["items"]}
        h2 = {i["item"]: i for i in t["periods"][1]["items"]}
        self.assertEqual(len(h1), 18)
        b0 = BEHAVIOUR[0]
        self.assertEqual(h1[b0]["counts"], [0, 0, 0, 1, 1, 0, 0])   # t1 3, t2 4
        self.assertEqual(h1[b0]["missing"], 0)
        self.assertEqual(h1[b0]["met"], 0)
        self.assertEqual(h1[b0]["mean"], 3.5)
        # H2: t1 5; t2 (6 + 5) / 2 = 5.5, band 5 (its whole part).
        self.assertEqual(h2[b0]["counts"], [0, 0, 0, 0, 0, 2, 0])
        self.assertEqual(h2[b0]["met"], 2)
        self.assertEqual(h2[b0]["mean"], 5.25)
        self.assertEqual(h1[BEHAVIOUR[1]]["counts"], [0, 0, 0, 1, 0, 0, 0])
        self.assertEqual(h1[BEHAVIOUR[1]]["missing"], 1)
        self.assertEqual(h1["job_skills"]["counts"], [0, 0, 0, 1, 0, 0, 0])
        self.assertEqual(h1["job_skills"]["missing"], 1)  # t2's senior attempt does not count
        self.assertEqual(h2["job_skills"]["counts"][5], 1)
        self.assertEqual(h2["general_knowledge"]["missing"], 2)
        self.assertError(self.app.get("/api/v1/departments/%s/trends" % urllib.parse.quote("无此部门"), token=self.hr),
                         404, "not_found")

    # ------------------------------------------------------------ department report
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

    def test_department_report_pdf(self):
        text = self.pdf_text(self.app.get("/api/v1/departments/%s/report.pdf" % QDEPT, token=self.hr))
        flat = "".join(text.split())
        self.assertIn(DEPT + "部门能力素质报告", flat)
        for code, name in NAME_ZH.items():
            self.assertIn(name, flat, code)
        self.assertIn("员工7人", flat)
        # The crafted set: 8 raters, 2 flagged, one lenient and one single-value.
        self.assertIn("评价周期%s：评价人8位" % PERIOD, flat)
        self.assertIn("被标记的评价人2位", flat)
        self.assertIn("偏宽：1位", flat)
        self.assertIn("评分单一：1位", flat)
        self.assertIn("偏严：0位", flat)
        self.assertIn("最常见的差距", flat)
        # q0..q6 are grade 3 with no evidence at grade 2's levels: all 7 not ready.
        self.assertIn("未就绪：7人", flat)
        # Each employee's latest period is the crafted one, rated without a level (intermediate for
        # grade 3): every behaviour item has evidence, every exam item none.
        self.assertRegex(text, r"%s\s+0\s+0\s+0\s+0\s+0\s+0\s+0\s+7\s+—" % NAME_ZH[EXAM[0]])

    def test_department_report_other_department_and_unknown(self):
        text = self.pdf_text(self.app.get("/api/v1/departments/%s/report.pdf" % QTDEPT, token=self.admin))
        flat = "".join(text.split())
        self.assertIn(TDEPT, flat)
        self.assertIn("员工2人", flat)
        self.assertError(self.app.get("/api/v1/departments/%s/report.pdf" % urllib.parse.quote("无此部门"),
                                      token=self.hr), 404, "not_found")

    # ------------------------------------------------------------ roles
    def test_roles(self):
        for path in ["/api/v1/raters/quality", "/api/v1/departments/%s/trends" % QTDEPT,
                     "/api/v1/departments/%s/report.pdf" % QDEPT]:
            self.assertError(self.app.get(path, token=self.emp), 403, "forbidden")
            self.assertError(self.app.get(path), 401, "unauthenticated")


if __name__ == "__main__":
    import unittest
    unittest.main()
