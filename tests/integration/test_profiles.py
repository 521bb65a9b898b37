"""Combined profiles, behaviour ratings, model versions, the radar chart and HR listings
(SPEC §2.1, §3.2-§3.4, §4.2, §4.5, §6) against the real service."""
import csv
import io
import json
import time
import xml.etree.ElementTree as ET

from harness import ExamdTestCase

ITEMS_ZH = ["成就导向", "抗挫能力", "沟通倾听能力", "书面表达能力", "人际交往能力", "执行能力", "情绪控制能力", "协调能力",
            "通用基础知识", "专业基础知识", "岗位基础知识", "岗位基本技能", "信息收集能力", "需求分析能力", "定制策略能力",
            "主动营销能力", "客户保持能力", "客户关系能力"]


def rating(app, employee, item, score, rater, relation="supervisor", period="2026H2", level=None, ago=0, note=None):
    app.sql("INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at, "
            "note) VALUES ('%s', '%s', %d, '%s', '%s', '%s', %s, now() - interval '%d minutes', %s)"
            % (employee, item, score, rater, relation, period, "'%s'" % level if level else "NULL", ago,
               "'%s'" % note if note else "NULL"))


def closed_attempt(app, username, item, level, score, band):
    app.sql("INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds, "
            "started_at, deadline, submitted_at, standard_score, band, result) VALUES ('%s', '%s', '%s', 'submitted', "
            "1, 'highest', 600, now() - interval '20 minutes', now() - interval '10 minutes', "
            "now() - interval '15 minutes', %s, %d, '{}')" % (username, item, level, score, band))


class ProfileTest(ExamdTestCase):
    def item(self, profile, code):
        return next(i for i in profile["items"] if i["item"] == code)

    def test_behaviour_values_rater_weights_and_required_levels(self):
        self.app.add_user("p1", "employee", grade=3, name="刘测试")
        # execution: the supervisor's latest 5 (an older 3 is superseded), a peer's 4 rated against the level
        # required at the time (NULL), a customer's 6 against another level, an old period's 1.
        rating(self.app, "p1", "execution", 3, "boss", ago=60)
        rating(self.app, "p1", "execution", 5, "boss", ago=30)
        rating(self.app, "p1", "execution", 4, "pal", relation="peer", ago=20)
        rating(self.app, "p1", "execution", 6, "cust", relation="customer", level="senior", ago=10)
        rating(self.app, "p1", "execution", 1, "boss", period="2026H1", ago=5 * 24 * 60)
        closed_attempt(self.app, "p1", "general_knowledge", "intermediate", "85.00", 5)
        hr = self.app.login("hr1")
        r = self.app.get("/api/v1/employees/p1/profile", token=hr)
        self.assertEqual(r.status, 200, r)
        p = r.json
        self.assertEqual((p["period"], p["model_version"], p["employee"]["grade"]), ("2026H2", 1, 3))
        self.assertEqual([i["item"] for i in p["items"]][:3],
                         ["achievement_orientation", "resilience", "oral_communication_listening"])
        self.assertEqual(len(p["items"]), 18)
        ex = self.item(p, "execution")
        self.assertEqual((ex["actual"], ex["gap"], ex["status"], ex["source"], ex["required_level"], ex["standard"]),
                         (4.5, -0.5, "below", "behaviour", "intermediate", 5))
        self.assertEqual(sorted((e["rater"], e["score"]) for e in ex["evidence"]), [("boss", 5), ("pal", 4)])
        gk = self.item(p, "general_knowledge")
        self.assertEqual((gk["actual"], gk["gap"], gk["status"], gk["source"]), (5, 0, "meets", "exam"))
        self.assertEqual(gk["evidence"][0]["standard_score"], 85.0)
        missing = self.item(p, "resilience")
        self.assertEqual((missing["actual"], missing["gap"], missing["status"]), (None, None, "missing"))
        self.assertEqual((p["summary"]["below"], p["summary"]["meets"], p["summary"]["missing"]), (1, 1, 16))
        # The old period on request.
        old = self.app.get("/api/v1/employees/p1/profile?period=2026H1", token=hr).json
        self.assertEqual(self.item(old, "execution")["actual"], 1)

        # A new model version: supervisor weight 3 (-> (3*5 + 4) / 4 = 4.75 -> 4.8), and grade 3 now
        # needs senior in general_knowledge, so the intermediate exam stops counting.
        before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
        body = {"note": "加强上级评价；提高3级通用知识要求", "rater_weights": {"supervisor": 3},
                "required_levels": [{"grade": 3, "item": "general_knowledge", "level": "senior"}]}
        r = self.app.post("/api/v1/model/versions", body, token=hr)
        self.assertEqual(r.status, 201, r)
        v = r.json
        self.assertEqual((v["version"], v["rater_weights"]["supervisor"], v["rater_weights"]["peer"]), (2, 3, 1))
        self.assertIn({"grade": 3, "item": "general_knowledge", "level": "senior"}, v["required_levels"])
        p2 = self.app.get("/api/v1/employees/p1/profile", token=hr).json
        self.assertEqual(p2["model_version"], 2)
        self.assertEqual(self.item(p2, "execution")["actual"], 4.8)
        gk2 = self.item(p2, "general_knowledge")
        self.assertEqual((gk2["actual"], gk2["status"], gk2["required_level"]), (None, "missing", "senior"))
        # History is not rewritten: at a time before version 2, version 1 applies.
        p1 = self.app.get("/api/v1/employees/p1/profile?at=" + before, token=hr).json
        self.assertEqual((p1["model_version"], self.item(p1, "general_knowledge")["actual"]), (1, 5))
        self.assertEqual(self.item(p1, "execution")["actual"], 4.5)
        # A rating written straight into the table shows in the next profile.
        rating(self.app, "p1", "resilience", 6, "boss")
        self.assertEqual(self.item(self.app.get("/api/v1/employees/p1/profile", token=hr).json, "resilience")["actual"], 6)
        self.assertEqual(self.app.sql("SELECT count(*) FROM audit_log WHERE action = 'model.version'"), "1")

    def test_model_version_validation(self):
        hr = self.app.login("hr1")
        cases = [
            ({"note": "x", "rater_weights": {"boss": 1}}, 400),
            ({"note": "x", "rater_weights": {"peer": "1"}}, 400),
            ({"note": "x", "required_levels": [{"grade": 5, "item": "execution", "level": "senior"}]}, 400),
            ({"note": "x", "required_levels": [{"grade": 3, "item": "nope", "level": "senior"}]}, 400),
            ({"note": "x", "subtopic_weights": [{"item": "job_skills", "level": "junior",
                                                  "weights": {"computer_operation": 1}}]}, 422),
            ({"note": "x", "subtopic_weights": [{"item": "job_skills", "level": "junior",
                                                  "weights": {"computer_operation": 0, "business_writing": 0,
                                                              "business_english": 0}}]}, 422),
            ({"note": "x", "exam_bands": [{"score": 6, "min": 91}]}, 422),
            ({"note": "x", "effective_from": "2001-01-01T00:00:00Z", "rater_weights": {"peer": 2}}, 422),
            ({"note": "x"}, 422),
            ({"rater_weights": {"peer": 2}}, 400),
        ]
        for body, status in cases:
            r = self.app.post("/api/v1/model/versions", body, token=hr)
            self.assertEqual(r.status, status, (body, r))
        self.assertError(self.app.post("/api/v1/model/versions", {"note": "x", "rater_weights": {"peer": 2}},
                                       token=self.app.login("trainer1")), 403, "forbidden")
        self.assertError(self.app.post("/api/v1/model/versions", {"note": "x", "rater_weights": {"peer": 2}},
                                       token=self.app.login("emp3")), 403, "forbidden")
        # A future version is stored but not yet in force.
        r = self.app.post("/api/v1/model/versions", {"note": "明年", "effective_from": "2099-01-01T00:00:00Z",
                                                     "exam_bands": [{"score": 6, "min": 95}, {"score": 5, "min": 85},
                                                                    {"score": 4, "min": 75}, {"score": 3, "min": 65},
                                                                    {"score": 2, "min": 45}, {"score": 1, "min": 0}],
                                                     "subtopic_weights": [{"item": "job_skills", "level": "junior",
                                                                           "weights": {"computer_operation": 2,
                                                                                       "business_writing": 1,
                                                                                       "business_english": 0.5}}]},
                          token=hr)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["exam_bands"][0], {"score": 6, "min": 95})
        sw = next(w for w in r.json["subtopic_weights"] if w["item"] == "job_skills" and w["level"] == "junior")
        self.assertEqual(sw["weights"], {"computer_operation": 2, "business_writing": 1, "business_english": 0.5})
        current = self.app.get("/api/v1/model", token=hr).json
        self.assertNotEqual(current["version"], r.json["version"])
        versions = self.app.get("/api/v1/model/versions", token=hr).json["versions"]
        self.assertIn(r.json["version"], [x["version"] for x in versions])

    def test_access(self):
        self.app.add_user("p2", "employee", grade=4)
        self.app.add_user("p3", "employee", grade=4)
        own = self.app.login("p2")
        self.assertEqual(self.app.get("/api/v1/employees/p2/profile", token=own).status, 200)
        self.assertError(self.app.get("/api/v1/employees/p3/profile", token=own), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/employees/p3/profile.svg", token=own), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/employees/p2/profile", token=self.app.login("trainer1")), 403)
        self.assertError(self.app.get("/api/v1/profiles", token=own), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/employees/nobody/profile", token=self.app.login("hr1")), 404)
        self.assertError(self.app.get("/api/v1/employees/hr1/profile", token=self.app.login("admin")), 404)
        self.assertError(self.app.get("/api/v1/employees/p2/profile?at=yesterday", token=own), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/employees/p2/profile?at=2026-13-45T00:00:00Z", token=own), 400,
                         "invalid_field")

    def test_svg_chart(self):
        self.app.add_user("p4", "employee", grade=2, name="王<画像>&")
        rating(self.app, "p4", "coordination", 5, "boss", level="senior")
        r = self.app.get("/api/v1/employees/p4/profile.svg", token=self.app.login("p4"))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("image/svg+xml"))
        text = r.body.decode("utf-8")
        root = ET.fromstring(text)  # well-formed XML
        self.assertTrue(root.tag.endswith("svg"))
        for name in ITEMS_ZH:
            self.assertIn(name, text)
        self.assertIn("王&lt;画像&gt;&amp;", text)
        self.assertIn('stroke="#d62728"', text)  # the red standard circle

    def test_raters_anonymous_to_the_employee(self):
        """SPEC §4.5: the employee's own profile gives behaviour evidence per relation only (count and
        mean), nowhere a rater, a single rating or a note; HR and admin keep the full evidence."""
        self.app.add_user("anon1", "employee", grade=3, name="赵匿名")
        raters = ["同事甲QX", "同事乙QX", "上级丙QX", "客户丁QX"]
        notes = ["备注一：沟通欠主动QX", "备注二：协调很到位QX"]
        # coordination: two peers 4 and 6 (peer mean 5.0), a supervisor 3 whose older 1 is superseded
        # (the actual is weighted by the version in force, which other tests of this class may change:
        # compared with HR's). execution: one customer 5.
        rating(self.app, "anon1", "coordination", 4, raters[0], relation="peer", ago=30, note=notes[0])
        rating(self.app, "anon1", "coordination", 6, raters[1], relation="peer", ago=20)
        rating(self.app, "anon1", "coordination", 1, raters[2], ago=60)
        rating(self.app, "anon1", "coordination", 3, raters[2], ago=10, note=notes[1])
        rating(self.app, "anon1", "execution", 5, raters[3], relation="customer", ago=5)
        closed_attempt(self.app, "anon1", "job_skills", "intermediate", "85.00", 5)
        secrets = [x.encode() for x in raters + notes]

        own = self.app.login("anon1")
        r = self.app.get("/api/v1/employees/anon1/profile", token=own)
        self.assertEqual(r.status, 200, r)
        for secret in secrets:
            self.assertNotIn(secret, r.body)
        for key in (b'"rater"', b'"note"', b'"score"', b'"rating_id"', b'"rated_at"', b'"weight"'):
            self.assertNotIn(key, r.body)
        p = r.json
        co = self.item(p, "coordination")
        hr_view = self.app.get("/api/v1/employees/anon1/profile", token=self.app.login("hr1")).json
        actual = self.item(hr_view, "coordination")["actual"]
        self.assertEqual((co["actual"], co["status"], co["evidence_kind"]), (actual, "below", "relations"))
        self.assertEqual([i["actual"] for i in p["items"]], [i["actual"] for i in hr_view["items"]])
        self.assertEqual(p["summary"], hr_view["summary"])
        self.assertEqual(co["evidence"], [{"relation": "supervisor", "count": 1, "mean": 3.0},
                                          {"relation": "peer", "count": 2, "mean": 5.0}])
        self.assertIsInstance(co["evidence"][1]["mean"], float)
        self.assertEqual(self.item(p, "execution")["evidence"], [{"relation": "customer", "count": 1, "mean": 5.0}])
        for it in p["items"]:
            if it["source"] == "behaviour":
                self.assertEqual(it["evidence_kind"], "relations")
                for e in it["evidence"]:
                    self.assertEqual(sorted(e), ["count", "mean", "relation"])
        # The employee's own exam evidence is theirs to see.
        gk = self.item(p, "job_skills")
        self.assertEqual((gk["evidence_kind"], gk["evidence"][0]["standard_score"]), ("attempts", 85.0))
        # The same with ?period= and ?at=.
        again = self.app.get("/api/v1/employees/anon1/profile?period=2026H2&at=2099-01-01T00:00:00Z", token=own)
        self.assertEqual(again.status, 200, again)
        for secret in secrets:
            self.assertNotIn(secret, again.body)
        self.assertEqual(self.item(again.json, "coordination")["evidence"], co["evidence"])

        svg = self.app.get("/api/v1/employees/anon1/profile.svg", token=own)
        self.assertEqual(svg.status, 200, svg)
        ET.fromstring(svg.body.decode("utf-8"))
        for secret in secrets:
            self.assertNotIn(secret, svg.body)
        self.assertIn(("协调能力 %.1f" % actual).encode(), svg.body)

        # HR and admin: the full evidence, raters, single ratings and notes.
        for who in ("hr1", "admin"):
            tok = self.app.login(who)
            full = self.app.get("/api/v1/employees/anon1/profile", token=tok)
            self.assertEqual(full.status, 200, full)
            for secret in secrets:
                self.assertIn(secret, full.body)
            fco = self.item(full.json, "coordination")
            self.assertEqual((fco["actual"], fco["evidence_kind"]), (actual, "ratings"))
            self.assertEqual(sorted((e["rater"], e["relation"], e["score"], e["note"]) for e in fco["evidence"]),
                             sorted([(raters[0], "peer", 4, notes[0]), (raters[1], "peer", 6, None),
                                     (raters[2], "supervisor", 3, notes[1])]))
            self.assertEqual(self.app.get("/api/v1/employees/anon1/profile.svg", token=tok).status, 200)
        # Another employee still gets nothing.
        self.app.add_user("anon2", "employee", grade=3)
        other = self.app.login("anon2")
        self.assertError(self.app.get("/api/v1/employees/anon1/profile", token=other), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/employees/anon1/profile.svg", token=other), 403, "forbidden")

    def test_ratings_import(self):
        self.app.add_user("p5", "employee", grade=4)
        hr = self.app.login("hr1")
        rows = [{"employee": "p5", "item": "execution", "score": 6, "period": "2026H2", "relation": "self"},
                {"employee": "p5", "item": "需求分析能力", "score": 2, "period": "2026H2", "rater": "客户张总",
                 "relation": "customer", "rated_level": "junior", "note": "需加强"}]
        r = self.app.post("/api/v1/behaviour-ratings", rows, token=hr)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["created"], 2)
        stored = self.app.sql("SELECT string_agg(item || ':' || score || ':' || rater || ':' || relation, ',' "
                              "ORDER BY id) FROM behaviour_ratings WHERE employee = 'p5'")
        self.assertEqual(stored, "execution:6:hr1:self,needs_analysis:2:客户张总:customer")
        # All or nothing: one bad row and one unknown employee reject the whole file.
        bad_csv = ("employee,item,score,relation,period,rated_level,rated_at,note\n"
                   "p5,execution,5,supervisor,2026H2,,,\n"
                   "p5,execution,9,supervisor,2026H2,,,\n").encode()
        r = self.app.request("POST", "/api/v1/behaviour-ratings", raw=bad_csv, token=hr,
                             headers={"Content-Type": "text/csv"})
        self.assertError(r, 422, "validation_failed")
        self.assertEqual((r.json["errors"][0]["row"], r.json["errors"][0]["column"]), (2, "score"))
        ghost = "employee,item,score,period\nghost,execution,5,2026H2\n".encode()
        r = self.app.request("POST", "/api/v1/behaviour-ratings", raw=ghost, token=hr,
                             headers={"Content-Type": "text/csv"})
        self.assertError(r, 422, "validation_failed")
        self.assertEqual((r.json["errors"][0]["row"], r.json["errors"][0]["column"]), (1, "employee"))
        self.assertEqual(self.app.sql("SELECT count(*) FROM behaviour_ratings WHERE employee = 'p5'"), "2")
        self.assertError(self.app.post("/api/v1/behaviour-ratings", rows, token=self.app.login("trainer1")), 403)
        self.assertError(self.app.post("/api/v1/behaviour-ratings", rows, token=self.app.login("p5")), 403)


class ListingTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        for i, (dept, grade) in enumerate([("一部", 3), ("一部", 4), ("二部", 3), ("=SUM(A1)", 3)]):
            app.add_user("l%d" % i, "employee", grade=grade, department=dept, name="员工%d" % i)
        rating(app, "l0", "execution", 2, "boss")
        rating(app, "l0", "coordination", 4, "boss")
        rating(app, "l1", "execution", 6, "boss", level="junior")
        rating(app, "l2", "execution", 3, "boss")
        closed_attempt(app, "l2", "job_skills", "intermediate", "95.00", 6)

    def test_json_listing_matches_single_profiles(self):
        hr = self.app.login("hr1")
        r = self.app.get("/api/v1/profiles", token=hr)
        self.assertEqual(r.status, 200, r)
        rows = {e["username"]: e for e in r.json["employees"]}
        self.assertTrue({"l0", "l1", "l2", "l3"} <= set(rows))
        for u in ("l0", "l1", "l2"):
            p = self.app.get("/api/v1/employees/%s/profile" % u, token=hr).json
            self.assertEqual(rows[u]["actual"], {i["item"]: i["actual"] for i in p["items"]})
            self.assertEqual({k: rows[u]["summary"][k] for k in ("below", "meets", "exceeds", "missing")},
                             {k: p["summary"][k] for k in ("below", "meets", "exceeds", "missing")})
        self.assertEqual(rows["l2"]["actual"]["job_skills"], 6)
        self.assertIsNone(rows["l3"]["actual"]["execution"])
        one = self.app.get("/api/v1/profiles?department=%E4%B8%80%E9%83%A8&grade=3", token=hr).json["employees"]
        self.assertEqual([e["username"] for e in one], ["l0"])
        self.assertError(self.app.get("/api/v1/profiles?format=xml", token=hr), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/profiles?grade=0", token=hr), 400, "invalid_field")

    def test_csv_for_excel(self):
        r = self.app.get("/api/v1/profiles?format=csv", token=self.app.login("hr1"))
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"))
        text = r.body.decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
        model = json.load(open(__import__("os").path.join(__import__("harness").SRC, "model",
                                                            "competency-model.json"), encoding="utf-8"))
        self.assertEqual(table[0], ["username", "name", "department", "grade", "period"] +
                         [i["code"] for i in model["items"]] + ["below", "meets", "exceeds", "missing"])
        rows = {row[0]: row for row in table[1:]}
        l0 = rows["l0"]
        self.assertEqual((l0[1], l0[2], l0[3], l0[4]), ("员工0", "一部", "3", "2026H2"))
        self.assertEqual(l0[5 + 5], "2")      # execution
        self.assertEqual(l0[5 + 0], "")       # missing is empty, never 0
        self.assertEqual(l0[-4:], ["2", "0", "0", "16"])
        self.assertEqual(rows["l3"][2], "'=SUM(A1)")  # no formula injection into Excel

    def test_gaps_worst_first(self):
        r = self.app.get("/api/v1/profiles/gaps", token=self.app.login("hr1"))
        self.assertEqual(r.status, 200, r)
        gaps = [(g["username"], g["item"], g["gap"]) for g in r.json["gaps"]]
        self.assertEqual(gaps[:3], [("l0", "execution", -3), ("l2", "execution", -2), ("l0", "coordination", -1)])
        only = self.app.get("/api/v1/profiles/gaps?item=coordination", token=self.app.login("hr1")).json["gaps"]
        self.assertEqual([(g["username"], g["item"]) for g in only], [("l0", "coordination")])


if __name__ == "__main__":
    import unittest
    unittest.main(verbosity=2)
