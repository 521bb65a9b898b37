"""Question banks, questions and blueprints (SPEC §4.3, §5) against the real service."""
import glob
import json
import os
import tempfile
import unittest

from harness import SRC, ExamdTestCase

HEADER = "external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation\n"
ROWS = [
    'T-1,general_knowledge,telecom_industry_overview,junior,single,我国第五代移动通信简称？,4G,5G,3G,2G,B,1,5G 即第五代',
    'T-2,general_knowledge,telecom_industry_overview,junior,multiple,"下列哪些属于运营商业务，请选择：",固话,宽带,外卖,移动,ABD,2,外卖不是',
    'T-3,general_knowledge,telecom_industry_overview,junior,truefalse,光纤比铜缆带宽更高。,,,,,true,1,',
    'T-4,general_knowledge,telecom_industry_overview,junior,fill,服务等级协议的英文缩写是____。,,,,,SLA|S.L.A,1,',
]
ZH_HEADER = "编号,知识项,知识点,级别,题型,题干,A,B,C,D,答案,分值,解析\n"
ZH_ROWS = [
    'T-1,通用基础知识,电信行业概况,初级,单选,我国第五代移动通信简称？,4G,5G,3G,2G,B,1,5G 即第五代',
    'T-2,通用基础知识,电信行业概况,初级,多选,"下列哪些属于运营商业务，请选择：",固话,宽带,外卖,移动,ABD,2,外卖不是',
    'T-3,通用基础知识,电信行业概况,初级,判断,光纤比铜缆带宽更高。,,,,,对,1,',
    'T-4,通用基础知识,电信行业概况,初级,填空,服务等级协议的英文缩写是____。,,,,,SLA|S.L.A,1,',
]


def csv_bank(rows, header=HEADER):
    return (header + "\n".join(rows) + "\n").encode("utf-8")


class BankImportTest(ExamdTestCase):
    def upload(self, body, token, dry_run=None, ctype="text/csv"):
        path = "/api/v1/banks" + ("" if dry_run is None else "?dry_run=%s" % ("true" if dry_run else "false"))
        return self.app.request("POST", path, raw=body, token=token, headers={"Content-Type": ctype})

    def count(self, where="true"):
        return int(self.app.sql("SELECT count(*) FROM questions WHERE " + where))

    def test_bad_row_rejects_everything_then_fixed_then_unchanged(self):
        trainer = self.app.login("trainer1")
        bad = list(ROWS)
        bad[1] = bad[1].replace(",ABD,", ",AE,")  # E has no option
        r = self.upload(csv_bank(bad), trainer)
        self.assertEqual(r.status, 422, r)
        body = r.json
        self.assertEqual(body["error"]["code"], "validation_failed")
        self.assertEqual((body["created"], body["rejected"], body["dry_run"]), (0, 1, False))
        self.assertEqual(len(body["errors"]), 1, body)
        self.assertEqual((body["errors"][0]["row"], body["errors"][0]["column"]), (2, "answer"))
        self.assertEqual(self.count("item = 'general_knowledge' AND stem LIKE '%第五代移动通信简称%'"), 0)

        r = self.upload(csv_bank(ROWS), trainer, dry_run=True)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["dry_run"], r.json["created"]), (True, 4))
        self.assertEqual(self.count("external_id LIKE 'T-%'"), 0)

        r = self.upload(csv_bank(ROWS), trainer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({k: r.json[k] for k in ("created", "updated", "unchanged", "rejected")},
                         {"created": 4, "updated": 0, "unchanged": 0, "rejected": 0})
        r = self.upload(csv_bank(ROWS), trainer)
        self.assertEqual({k: r.json[k] for k in ("created", "updated", "unchanged")},
                         {"created": 0, "updated": 0, "unchanged": 4})
        # The Chinese twin (headers and values) is the same bank.
        r = self.upload(csv_bank(ZH_ROWS, ZH_HEADER), trainer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual({k: r.json[k] for k in ("created", "updated", "unchanged")},
                         {"created": 0, "updated": 0, "unchanged": 4})
        # With a BOM and CRLF line ends too.
        crlf = b"\xef\xbb\xbf" + csv_bank(ROWS).replace(b"\n", b"\r\n")
        self.assertEqual(self.upload(crlf, trainer).json["unchanged"], 4)

        # A changed answer under the same external_id retires the old version and adds a new one.
        changed = list(ROWS)
        changed[0] = changed[0].replace(",B,1,", ",C,1,")
        r = self.upload(csv_bank(changed), trainer)
        self.assertEqual({k: r.json[k] for k in ("created", "updated", "unchanged")},
                         {"created": 0, "updated": 1, "unchanged": 3})
        versions = self.app.sql("SELECT string_agg(version || ':' || active || ':' || (answer #>> '{}'), ',' "
                                "ORDER BY version) FROM questions WHERE external_id = 'T-1'")
        self.assertEqual(versions, "1:false:B,2:true:C")
        audit = self.app.sql("SELECT count(*) FROM audit_log WHERE action = 'bank.import' AND actor = 'trainer1'")
        self.assertEqual(audit, "5")

    def test_json_bank_and_listing(self):
        trainer = self.app.login("trainer1")
        bank = {"questions": [
            {"item": "job_skills", "subtopic": "business_english", "level": "senior", "type": "single",
             "stem": "What does SLA stand for?", "options": ["Service Level Agreement", "System Link Access"],
             "answer": "A", "external_id": "J-1", "points": 2.5},
            {"item": "岗位基本技能", "subtopic": "计算机操作知识", "level": "高级", "type": "fill",
             "stem": "Excel 中求和函数是____。", "answer": ["SUM", "求和"], "external_id": "J-2"},
        ]}
        r = self.upload(json.dumps(bank).encode(), trainer, ctype="application/json; charset=utf-8")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["created"], 2)
        r = self.app.get("/api/v1/questions?item=job_skills&level=senior&active=true", token=trainer)
        self.assertEqual(r.status, 200, r)
        qs = {q["external_id"]: q for q in r.json["questions"]}
        self.assertEqual(qs["J-1"]["points"], 2.5)
        self.assertEqual(qs["J-1"]["answer"], "A")
        self.assertEqual(qs["J-1"]["options"], ["Service Level Agreement", "System Link Access"])
        self.assertEqual(qs["J-2"]["answer"], ["SUM", "求和"])
        self.assertEqual((qs["J-2"]["subtopic"], qs["J-2"]["type"], qs["J-2"]["version"]),
                         ("computer_operation", "fill", 1))
        r = self.app.get("/api/v1/questions?subtopic=business_english", token=trainer)
        self.assertEqual([q["external_id"] for q in r.json["questions"]], ["J-1"])
        for bad in ["item=nope", "level=guru", "subtopic=marketing&item=job_skills", "active=maybe",
                    "item=execution"]:
            self.assertError(self.app.get("/api/v1/questions?" + bad, token=trainer), 400, "invalid_field")

    def test_roles_content_type_and_size(self):
        body = csv_bank(ROWS)
        self.assertError(self.upload(body, self.app.login("emp3")), 403, "forbidden")
        self.assertError(self.upload(body, self.app.login("hr1")), 403, "forbidden")
        self.assertError(self.upload(body, None), 401, "unauthenticated")
        self.assertError(self.app.get("/api/v1/questions", token=self.app.login("emp3")), 403, "forbidden")
        trainer = self.app.login("trainer1")
        self.assertError(self.upload(body, trainer, ctype="text/plain"), 400, "invalid_field")
        self.assertError(self.upload(body, trainer, dry_run=None, ctype="text/csv") if False else
                         self.app.request("POST", "/api/v1/banks?dry_run=perhaps", raw=body, token=trainer,
                                          headers={"Content-Type": "text/csv"}), 400, "invalid_field")
        big = HEADER.encode() + b"x" * (20 * 1024 * 1024 + 1)
        self.assertError(self.upload(big, trainer), 413, "too_large")
        self.assertError(self.upload(b"", trainer), 422, "validation_failed")
        self.assertError(self.upload(b"\xff\xfe garbage", trainer), 422, "validation_failed")
        self.assertError(self.upload(b'{"questions": 7}', trainer, ctype="application/json"), 422,
                         "validation_failed")

    def test_cli_import_reports_errors(self):
        with tempfile.NamedTemporaryFile("wb", suffix=".csv", delete=False) as f:
            f.write(csv_bank([ROWS[0].replace("single", "singel")]))
        try:
            p = self.app.cli("bank", "import", f.name)
            self.assertEqual(p.returncode, 1, p.stderr)
            report = json.loads(p.stdout)
            self.assertEqual((report["errors"][0]["row"], report["errors"][0]["column"]), (1, "type"))
            with open(f.name, "wb") as g:
                g.write(csv_bank([ROWS[0].replace("T-1", "CLI-1")]))
            p = self.app.cli("bank", "import", f.name, "--dry-run")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(json.loads(p.stdout)["created"], 1)
            self.assertEqual(self.count("external_id = 'CLI-1'"), 0)
        finally:
            os.unlink(f.name)


class BlueprintTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = []
        for level in ("junior", "intermediate"):
            for i in range(5):
                rows.append("B-%s-%d,job_knowledge,professional_conduct,%s,truefalse,题目 %s %d 正确。,,,,,true,1,"
                            % (level, i, level, level, i))
        trainer = cls.app.login("trainer1")
        r = cls.app.request("POST", "/api/v1/banks", raw=csv_bank(rows), token=trainer,
                            headers={"Content-Type": "text/csv"})
        assert r.status == 200, r

    def test_put_get_and_pool_too_small(self):
        trainer = self.app.login("trainer1")
        bp = {"time_limit_seconds": 600, "max_attempts": 2, "grading": "latest",
              "draws": [{"subtopic": "professional_conduct", "level": "intermediate", "count": 4},
                        {"subtopic": "职业规范知识", "level": "初级", "count": 2}]}
        r = self.app.request("PUT", "/api/v1/blueprints/job_knowledge/intermediate", bp, token=trainer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["time_limit_seconds"], r.json["max_attempts"], r.json["grading"],
                          r.json["question_count"]), (600, 2, "latest", 6))
        self.assertEqual(r.json["draws"], [
            {"subtopic": "professional_conduct", "level": "intermediate", "count": 4, "available": 5},
            {"subtopic": "professional_conduct", "level": "junior", "count": 2, "available": 5}])
        listing = self.app.get("/api/v1/blueprints", token=trainer).json["blueprints"]
        self.assertIn(("job_knowledge", "intermediate"), [(b["item"], b["level"]) for b in listing])
        self.assertEqual(self.app.get("/api/v1/blueprints/job_knowledge/intermediate", token=trainer).json["grading"],
                         "latest")
        too_many = dict(bp, draws=[{"subtopic": "professional_conduct", "level": "intermediate", "count": 6}])
        r = self.app.request("PUT", "/api/v1/blueprints/job_knowledge/intermediate", too_many, token=trainer)
        self.assertError(r, 422, "pool_too_small")
        self.assertEqual(r.json["shortages"][0]["available"], 5)
        # Nothing changed.
        self.assertEqual(self.app.get("/api/v1/blueprints/job_knowledge/intermediate", token=trainer)
                         .json["question_count"], 6)

        # Retiring a question the blueprint needs is reported.
        qid = self.app.sql("SELECT id FROM questions WHERE external_id = 'B-intermediate-0' AND active")
        r = self.app.request("DELETE", "/api/v1/questions/" + qid, token=trainer)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["question"]["active"])
        self.assertEqual(r.json["blueprint_warnings"], [])
        qid2 = self.app.sql("SELECT id FROM questions WHERE external_id = 'B-intermediate-1' AND active")
        r = self.app.request("DELETE", "/api/v1/questions/" + qid2, token=trainer)
        self.assertEqual(r.json["blueprint_warnings"],
                         [{"item": "job_knowledge", "level": "intermediate", "subtopic": "professional_conduct",
                           "draw_level": "intermediate", "count": 4, "available": 3}])
        self.assertEqual(self.app.sql("SELECT count(*) FROM questions WHERE id = %s" % qid), "1")  # never erased
        self.assertError(self.app.request("DELETE", "/api/v1/questions/999999", token=trainer), 404, "not_found")
        self.assertError(self.app.request("DELETE", "/api/v1/questions/abc", token=trainer), 404, "not_found")

    def test_validation(self):
        trainer = self.app.login("trainer1")
        ok = {"time_limit_seconds": 600, "draws": [{"subtopic": "professional_conduct", "level": "junior",
                                                      "count": 1}]}
        path = "/api/v1/blueprints/job_knowledge/intermediate"
        cases = [
            (dict(ok, grading="median"), 400, "invalid_field"),
            (dict(ok, time_limit_seconds="600"), 400, "invalid_field"),
            (dict(ok, time_limit_seconds=5), 422, "validation_failed"),
            (dict(ok, max_attempts=0), 422, "validation_failed"),
            (dict(ok, draws=[]), 422, "validation_failed"),
            (dict(ok, draws=[{"subtopic": "marketing", "level": "junior", "count": 1}]), 422, "validation_failed"),
            (dict(ok, draws=[{"subtopic": "professional_conduct", "level": "expert", "count": 1}]), 422,
             "validation_failed"),
            (dict(ok, draws=[{"subtopic": "professional_conduct", "level": "junior", "count": 0}]), 422,
             "validation_failed"),
            (dict(ok, draws=[{"subtopic": "professional_conduct", "level": "junior", "count": 1}] * 2), 422,
             "validation_failed"),
            (dict(ok, draws=[{"subtopic": "professional_conduct", "level": "god", "count": 1}]), 400,
             "invalid_field"),
            (dict(ok, colour="red"), 400, "invalid_field"),
        ]
        for body, status, code in cases:
            self.assertError(self.app.request("PUT", path, body, token=trainer), status, code)
        self.assertError(self.app.request("PUT", "/api/v1/blueprints/execution/junior", ok, token=trainer), 404)
        self.assertError(self.app.request("PUT", "/api/v1/blueprints/job_knowledge/guru", ok, token=trainer), 404)
        self.assertError(self.app.request("PUT", path, ok, token=self.app.login("hr1")), 403, "forbidden")
        self.assertError(self.app.get("/api/v1/blueprints/job_knowledge/expert", token=trainer), 404, "not_found")


class ShippedBanksTest(ExamdTestCase):
    """The banks in question-banks/ import cleanly and cover every cell; their blueprints load."""

    def test_shipped_banks(self):
        files = sorted(glob.glob(os.path.join(SRC, "question-banks", "*.csv")))
        self.assertGreaterEqual(len(files), 4)
        for path in files:
            p = self.app.cli("bank", "import", path)
            self.assertEqual(p.returncode, 0, "%s: %s %s" % (path, p.stdout[:2000], p.stderr))
        cells = self.app.sql(
            "SELECT count(*) FROM model_subtopics s CROSS JOIN model_levels l"
            " WHERE (SELECT count(*) FROM questions q WHERE q.active AND q.item = s.item"
            "        AND q.subtopic = s.code AND q.level = l.code) >= 6")
        self.assertEqual(cells, "56")
        types = self.app.sql("SELECT string_agg(DISTINCT type, ',' ORDER BY type) FROM questions")
        self.assertEqual(types, "fill,multiple,single,truefalse")
        p = self.app.cli("blueprint", "put", os.path.join(SRC, "question-banks", "blueprints.json"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.app.sql("SELECT count(*) FROM blueprints"), "16")


if __name__ == "__main__":
    unittest.main(verbosity=2)
