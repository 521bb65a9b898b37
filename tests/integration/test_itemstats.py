"""Item statistics and measurement error (SPEC §4.6a, issue #16) against the real service.

60 simulated examinees of known ability answer a 10-question exam over HTTP. Eight questions are
sound (an examinee knows the answer when ability + noise beats the question's difficulty, and
otherwise picks a wrong option in turn); one is miskeyed (the bank says A, the examinees who know
pick B); one is trivially easy (everyone knows it). The statistics must flag exactly those two.
"""
import math
import random
import time
import unittest

from harness import ExamdTestCase

HEADER = "external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation\n"
ITEM, SUBTOPIC, LEVEL = "general_knowledge", "telecom_industry_overview", "junior"
N = 60
BANDS = [(6, 91), (5, 81), (4, 71), (3, 61), (2, 41), (1, 0)]


def band_of(score):
    r = math.floor(math.floor(score * 100 + 0.5 + 1e-7) / 100 + 0.5 + 1e-9)
    return next(b for b, low in BANDS if r >= low)


class ItemStatsTest(ExamdTestCase):
    env = {"EXAMD_STATS_REFRESH_SECONDS": "1"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        rows, cls.truth = [], {}
        # (external id, bank key, the option that examinees who know pick, difficulty)
        cls.plan = [("S-%d" % j, "ABCD"[j % 4], "ABCD"[j % 4], -0.6 + 0.2 * j) for j in range(8)]
        cls.plan.append(("MISKEYED", "A", "B", 0.0))
        cls.plan.append(("EASY", "C", "C", -99.0))
        for ext, key, _, _ in cls.plan:
            rows.append("%s,%s,%s,%s,single,题目 %s,选项甲 %s,选项乙 %s,选项丙 %s,选项丁 %s,%s,1," %
                        (ext, ITEM, SUBTOPIC, LEVEL, ext, ext, ext, ext, ext, key))
        cls.trainer = app.login("trainer1")
        r = app.request("POST", "/api/v1/banks", raw=(HEADER + "\n".join(rows) + "\n").encode(), token=cls.trainer,
                        headers={"Content-Type": "text/csv"})
        assert r.status == 200, r
        body = {"time_limit_seconds": 600, "max_attempts": 3, "grading": "highest",
                "draws": [{"subtopic": SUBTOPIC, "level": LEVEL, "count": 10}]}
        r = app.request("PUT", "/api/v1/blueprints/%s/%s" % (ITEM, LEVEL), body, token=cls.trainer)
        assert r.status == 200, r
        qs = app.get("/api/v1/questions?item=%s" % ITEM, token=cls.trainer).json["questions"]
        cls.ids = {q["external_id"]: q["id"] for q in qs}
        cls.texts = {q["id"]: q["options"] for q in qs}
        admin = app.login("admin")
        rng = random.Random(16)
        cls.ability = [-2 + 4 * i / (N - 1) for i in range(N)]
        rng.shuffle(cls.ability)
        cls.noise = [[rng.gauss(0, 0.5) for _ in cls.plan] for _ in range(N)]
        for i in range(N):
            r = app.post("/api/v1/users", {"username": "sim%02d" % i, "name": "模拟%02d" % i, "role": "employee",
                                           "grade": 4, "department": "测试", "password": "correct-horse-9"},
                         token=admin)
            assert r.status == 201, r
        cls.attempts = []

    def take_exam(self, i):
        app = self.app
        token = app.login("sim%02d" % i)
        r = app.post("/api/v1/attempts", {"item": ITEM}, token=token)
        self.assertEqual(r.status, 201, r)
        doc = r.json
        for q in doc["questions"]:
            ext = next(e for e, qid in self.ids.items() if qid == q["id"])
            j = [p[0] for p in self.plan].index(ext)
            _, key, known, difficulty = self.plan[j]
            bank = self.texts[q["id"]]
            if self.ability[i] + self.noise[i][j] > difficulty:
                pick = known
            else:
                # The wrong option depends on the examinee and the question only (not on the order in
                # which this attempt shows its questions), so that the run is the same every time.
                wrong = [c for c in "ABCD" if c != known]
                pick = wrong[(i + j) % 3]
            text = bank["ABCD".index(pick)]
            label = next(o["id"] for o in q["options"] if o["text"] == text)
            r = app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (doc["attempt_id"], q["id"]), {"answer": label},
                            token=token)
            self.assertEqual(r.status, 200, r)
        r = app.post("/api/v1/attempts/%s/submit" % doc["attempt_id"], token=token)
        self.assertEqual(r.status, 200, r)
        return doc["attempt_id"], token

    def result_of(self, attempt, token):
        r = self.app.get("/api/v1/attempts/%s" % attempt, token=token)
        self.assertEqual(r.status, 200, r)
        return r.json["result"]

    def test_statistics_flag_exactly_the_two_bad_questions_and_sem_appears_at_30(self):
        app = self.app
        # Below 30 scored attempts the SEM is not yet known.
        for i in range(29):
            self.attempts.append(self.take_exam(i))
        time.sleep(2.5)  # the refresher runs every second
        res = self.result_of(*self.attempts[0])
        self.assertIn("sem", res)
        self.assertIsNone(res["sem"])
        self.assertIsNone(res["band_certain"])
        stats = app.get("/api/v1/blueprints/%s/%s/stats" % (ITEM, LEVEL), token=self.trainer).json
        self.assertEqual(stats["attempts"], 29)

        for i in range(29, N):
            self.attempts.append(self.take_exam(i))
        # The refresher catches up with all 60 closes within a few seconds.
        deadline = time.time() + 20
        while time.time() < deadline and app.sql("SELECT attempts FROM blueprint_sem WHERE item = '%s' AND level = '%s'"
                                                 % (ITEM, LEVEL)) != str(N):
            time.sleep(0.3)
        res = self.result_of(*self.attempts[0])
        self.assertIsInstance(res["sem"], float)
        self.assertGreater(res["sem"], 0)
        score = float(res["standard_score"])
        self.assertEqual(res["band_certain"], band_of(max(0, score - res["sem"])) == band_of(min(100, score + res["sem"])))
        profile = app.get("/api/v1/employees/sim00/profile", token=app.login("hr1")).json
        gk = next(x for x in profile["items"] if x["item"] == ITEM)
        self.assertAlmostEqual(gk["sem"], res["sem"], places=2)
        self.assertIn(gk["band_certain"], (True, False))
        # The radar chart's evidence carries the score with its measurement error.
        svg = app.get("/api/v1/employees/sim00/profile.svg", token=app.login("hr1")).body.decode()
        self.assertIsNotNone(gk.get("exam_score"))
        self.assertIn("标准分 %.2f，测量误差 ±%.1f 分" % (gk["exam_score"], gk["sem"]), svg)
        behaviour = next(x for x in profile["items"] if x["source"] == "behaviour")
        self.assertNotIn("sem", behaviour)

        stats = app.get("/api/v1/blueprints/%s/%s/stats" % (ITEM, LEVEL), token=self.trainer).json
        self.assertEqual(stats["attempts"], N)
        self.assertEqual(stats["attempts_mode"], "first")
        for k in ("mean", "sd", "alpha", "sem"):
            self.assertIsInstance(stats[k], float, k)
        self.assertAlmostEqual(stats["sem"], res["sem"], places=2)
        by_id = {q["id"]: q for q in stats["questions"]}
        self.assertEqual(len(by_id), 10)
        flagged = {q["external_id"] for q in stats["questions"] if q["flags"]}
        self.assertEqual(flagged, {"MISKEYED", "EASY"}, [(q["external_id"], q["flags"]) for q in stats["questions"]])
        miskeyed = by_id[self.ids["MISKEYED"]]
        self.assertTrue({"negative_discrimination", "distractor_beats_key"} & set(miskeyed["flags"]), miskeyed)
        self.assertLess(miskeyed["point_biserial"], 0)
        # Options in the bank's own order: B, the answer of those who know, is the most chosen.
        self.assertEqual([o["label"] for o in miskeyed["options"]], ["A", "B", "C", "D"])
        self.assertEqual([o["key"] for o in miskeyed["options"]], [True, False, False, False])
        shares = [o["share"] for o in miskeyed["options"]]
        self.assertEqual(max(shares), shares[1])
        self.assertAlmostEqual(sum(shares), 1.0, places=3)
        easy = by_id[self.ids["EASY"]]
        self.assertIn("too_easy", easy["flags"])
        self.assertEqual(easy["facility"], 1.0)
        self.assertEqual([o["share"] for o in easy["options"]], [0.0, 0.0, 1.0, 0.0])
        for ext, key, _, _ in self.plan[:8]:
            q = by_id[self.ids[ext]]
            self.assertEqual(q["responses"], N)
            self.assertGreater(q["point_biserial"], 0.2, q)
            self.assertEqual([o["label"] for o in q["options"] if o["key"]], [key])

        # One question, all attempts (the same here), CSV.
        one = app.get("/api/v1/questions/%s/stats" % self.ids["MISKEYED"], token=self.trainer).json
        self.assertEqual((one["item"], one["level"]), (ITEM, LEVEL))
        self.assertEqual(one["flags"], miskeyed["flags"])
        every = app.get("/api/v1/blueprints/%s/%s/stats?attempts=all" % (ITEM, LEVEL), token=self.trainer).json
        self.assertEqual((every["attempts"], every["attempts_mode"]), (N, "all"))
        csv = app.get("/api/v1/blueprints/%s/%s/stats?format=csv" % (ITEM, LEVEL), token=self.trainer)
        self.assertEqual(csv.status, 200)
        self.assertTrue(csv.header("Content-Type").startswith("text/csv"))
        lines = csv.body.decode("utf-8-sig").splitlines()
        self.assertTrue(lines[0].startswith("id,external_id,subtopic,type,responses,facility"))
        self.assertEqual(len(lines), 11)
        self.assertTrue(any("MISKEYED" in line and "distractor_beats_key" in line for line in lines))

    def test_roles_and_errors(self):
        app = self.app
        path = "/api/v1/blueprints/%s/%s/stats" % (ITEM, LEVEL)
        self.assertError(app.get(path), 401, "unauthenticated")
        self.assertError(app.get(path, token=app.login("emp4")), 403, "forbidden")
        self.assertError(app.get(path, token=app.login("hr1")), 403, "forbidden")
        self.assertEqual(app.get(path, token=app.login("admin")).status, 200)
        self.assertError(app.get("/api/v1/questions/1/stats", token=app.login("hr1")), 403, "forbidden")
        self.assertError(app.get("/api/v1/blueprints/job_skills/expert/stats", token=self.trainer), 404, "not_found")
        self.assertError(app.get("/api/v1/blueprints/resilience/junior/stats", token=self.trainer), 404, "not_found")
        # 404 comes before 400.
        self.assertError(app.get("/api/v1/blueprints/job_skills/expert/stats?attempts=x", token=self.trainer), 404)
        self.assertError(app.get(path + "?attempts=last", token=self.trainer), 400, "invalid_field")
        self.assertError(app.get(path + "?format=xml", token=self.trainer), 400, "invalid_field")
        self.assertError(app.get("/api/v1/questions/99999999/stats", token=self.trainer), 404, "not_found")
        self.assertError(app.get("/api/v1/questions/x/stats", token=self.trainer), 404, "not_found")


if __name__ == "__main__":
    unittest.main()
