"""Bank checks (SPEC §4.6a): warnings and surface-cue baselines in import reports (dry run and real),
against the other active questions of the item, and the on-demand lint of the active pool."""
import unittest

from harness import ExamdTestCase

HEADER = "external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points\n"
CELL = "job_skills,computer_operation,junior"
# Cue probabilities (bank-rules.md) in the last column's comment; all worth 1 point.
ROWS = [
    "L-1,%s,single,文字处理软件中用于复制的快捷键是？,甲,乙乙乙,丙,丁,B,1" % CELL,         # key_longest, p 1
    "L-2,%s,single,电子表格中求和函数是？,甲甲,乙乙,丙丙,,A,1" % CELL,                     # few_options, p 1/3
    "L-3,%s,multiple,下列哪些属于办公软件？,甲甲,乙乙,丙丙,丁,ABC,1" % CELL,               # few_distractors, p 1
    "L-4,%s,truefalse,办公电脑一定要每天重启。,,,,,false,1" % CELL,                        # absolute_wording, p 1
    "L-5,%s,fill,Portable Document Format 的英文缩写是____。,,,,,PDF,1" % CELL,            # stem_gives_answer + single_fill_answer, p 1
    "L-6,%s,fill,演示文稿文件常用的扩展名是____。,,,,,pptx|.pptx,1" % CELL,               # answer_leak (L-7), p 0
    "L-7,%s,single,哪种文件格式用于保存演示文稿？,docx,pptx,xlsx,txts,B,1" % CELL,        # p 1/4
    "L-8,%s,single,哪种文件格式用于保存演示文稿呢？,docx,pptx,xlsx,txts,B,1" % CELL,      # near_duplicate of L-7, p 1/4
]
# 100 x (1 + 1/3 + 1 + 1 + 1 + 0 + 1/4 + 1/4) / 8 = 60.4166...
BASELINE = 60.42
EXPECTED = {
    ("L-1", "key_longest"), ("L-1", "key_position_bias"), ("L-2", "few_options"), ("L-3", "few_distractors"),
    ("L-4", "absolute_wording"), ("L-5", "stem_gives_answer"), ("L-5", "single_fill_answer"),
    ("L-6", "answer_leak"), ("L-8", "near_duplicate"),
}


def csv_bank(rows):
    return (HEADER + "\n".join(rows) + "\n").encode("utf-8")


class BankLintTest(ExamdTestCase):
    def upload(self, rows, token, dry_run):
        return self.app.request("POST", "/api/v1/banks?dry_run=%s" % ("true" if dry_run else "false"),
                                raw=csv_bank(rows), token=token, headers={"Content-Type": "text/csv"})

    def codes(self, warnings):
        return {(w["external_id"], w["code"]) for w in warnings}

    def test_import_reports_warnings_and_baseline_then_pool_lint(self):
        trainer = self.app.login("trainer1")
        r = self.upload(ROWS, trainer, dry_run=True)
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertEqual((body["dry_run"], body["created"], body["rejected"]), (True, 8, 0))
        self.assertEqual(self.codes(body["warnings"]), EXPECTED, body["warnings"])
        for w in body["warnings"]:
            self.assertEqual(set(w) >= {"row", "external_id", "code", "message"}, True, w)
            self.assertEqual(w["row"], int(w["external_id"][2:]), w)
            self.assertTrue(w["message"], w)
        leak = [w for w in body["warnings"] if w["code"] == "answer_leak"][0]
        self.assertIn("row 7 (L-7)", leak["message"])
        self.assertEqual(body["baselines"], [{"item": "job_skills", "level": "junior", "score": BASELINE,
                                              "blueprint": False}])
        self.assertEqual(self.app.sql("SELECT count(*) FROM questions WHERE external_id LIKE 'L-%'"), "0")

        # The real import reports the same; warnings never reject a row.
        r = self.upload(ROWS, trainer, dry_run=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["created"], 8)
        self.assertEqual(self.codes(r.json["warnings"]), EXPECTED)

        # Re-importing the same file: the questions it replaces are not compared with themselves.
        r = self.upload(ROWS, trainer, dry_run=True)
        self.assertEqual((r.status, r.json["unchanged"]), (200, 8), r)
        self.assertEqual(self.codes(r.json["warnings"]), EXPECTED)

        # A new question that shows an active fill-in's answer, and a near-copy of an active question.
        ids = dict(line.split("|") for line in self.app.sql(
            "SELECT external_id || '|' || id FROM questions WHERE active AND external_id LIKE 'L-%'").splitlines())
        extra = ["L-9,%s,truefalse,pptx 格式只能用演示软件打开。,,,,,false,1" % CELL,
                 "L-10,%s,single,哪种文件格式用于保存演示文稿吗？,docx,pptx,xlsx,txts,B,1" % CELL]
        r = self.upload(extra, trainer, dry_run=True)
        self.assertEqual(r.status, 200, r)
        got = {(w["external_id"], w["code"]): w["message"] for w in r.json["warnings"]}
        self.assertIn(("L-9", "answer_leak"), got)
        self.assertIn("active question %s (L-6)" % ids["L-6"], got[("L-9", "answer_leak")])
        self.assertIn(("L-10", "near_duplicate"), got)
        self.assertIn("active question", got[("L-10", "near_duplicate")])
        # The baseline covers the pool after the import: 8 active questions and the two new ones
        # (L-9: no absolute word, p 1/2; L-10: p 1/4): 100 x (4.8333 + 0.75) / 10 = 55.83.
        self.assertEqual(r.json["baselines"][0]["score"], 55.83)

        # On demand, over the active pool, with question ids.
        r = self.app.get("/api/v1/banks/lint?item=job_skills", token=trainer)
        self.assertEqual(r.status, 200, r)
        pool = r.json
        self.assertEqual(pool["questions"], 8)
        self.assertEqual(self.codes(pool["warnings"]), EXPECTED)
        for w in pool["warnings"]:
            self.assertEqual(w["id"], int(ids[w["external_id"]]), w)
            self.assertNotIn("row", w)
        self.assertEqual(pool["baselines"], [])  # no blueprint yet

        bp = {"time_limit_seconds": 600, "max_attempts": 3, "grading": "highest",
              "draws": [{"subtopic": "computer_operation", "level": "junior", "count": 5}]}
        self.assertEqual(self.app.request("PUT", "/api/v1/blueprints/job_skills/junior", bp, token=trainer).status,
                         200)
        r = self.app.get("/api/v1/banks/lint?item=%E5%B2%97%E4%BD%8D%E5%9F%BA%E6%9C%AC%E6%8A%80%E8%83%BD",
                         token=self.app.login("admin"))  # 岗位基本技能, by its Chinese name
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["baselines"], [{"item": "job_skills", "level": "junior", "score": BASELINE,
                                                "blueprint": True}])
        # Without item: every exam item.
        r = self.app.get("/api/v1/banks/lint", token=trainer)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.json["items"]), 4)
        self.assertGreaterEqual(r.json["questions"], 8)

    def test_roles_and_bad_item(self):
        self.assertError(self.app.get("/api/v1/banks/lint?item=job_skills"), 401, "unauthenticated")
        self.assertError(self.app.get("/api/v1/banks/lint?item=job_skills", token=self.app.login("emp3")), 403,
                         "forbidden")
        self.assertError(self.app.get("/api/v1/banks/lint?item=job_skills", token=self.app.login("hr1")), 403,
                         "forbidden")
        trainer = self.app.login("trainer1")
        self.assertError(self.app.get("/api/v1/banks/lint?item=achievement_orientation", token=trainer), 400,
                         "invalid_field")
        self.assertError(self.app.get("/api/v1/banks/lint?item=nope", token=trainer), 400, "invalid_field")
        self.assertError(self.app.request("POST", "/api/v1/banks/lint", token=trainer), 405)

    def test_rejected_file_still_reports_warnings_of_its_valid_rows(self):
        trainer = self.app.login("trainer1")
        rows = [ROWS[0].replace("L-1", "R-1"), "R-2,%s,single,坏行,甲,乙,丙,丁,E,1" % CELL]
        r = self.upload(rows, trainer, dry_run=True)
        self.assertEqual(r.status, 422, r)
        self.assertEqual(r.json["error"]["code"], "validation_failed")
        codes = self.codes(r.json["warnings"])
        self.assertIn(("R-1", "key_longest"), codes)
        self.assertEqual({ext for ext, _ in codes}, {"R-1"})  # the rejected row is not checked


if __name__ == "__main__":
    unittest.main()
