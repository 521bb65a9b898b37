"""Timed exams and exact scoring (SPEC §3.1, §3.2, §4.4) against the real service."""
import json
import time
import unittest

from harness import Examd, ExamdTestCase, psql

HEADER = "external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation\n"
GK_SUBTOPICS = ["telecom_industry_overview", "company_overview", "laws_and_regulations", "company_rules_and_policies"]


def tf_rows(item, subtopic, level, n, prefix):
    return ["%s-%d,%s,%s,%s,truefalse,%s 判断题 %d,,,,,true,1,解析 %d" % (prefix, i, item, subtopic, level, prefix, i, i)
            for i in range(n)]


def upload(app, rows):
    trainer = app.login("trainer1")
    r = app.request("POST", "/api/v1/banks", raw=(HEADER + "\n".join(rows) + "\n").encode(), token=trainer,
                    headers={"Content-Type": "text/csv"})
    assert r.status == 200, r


def blueprint(app, item, level, draws, **kw):
    body = {"time_limit_seconds": kw.get("time_limit_seconds", 600), "max_attempts": kw.get("max_attempts", 3),
            "grading": kw.get("grading", "highest"),
            "draws": [{"subtopic": s, "level": lv, "count": c} for s, lv, c in draws]}
    r = app.request("PUT", "/api/v1/blueprints/%s/%s" % (item, level), body, token=app.login("trainer1"))
    assert r.status == 200, r


def answer(app, token, attempt, qid, value, seq=None):
    body = {"answer": value}
    if seq is not None:
        body["seq"] = seq
    return app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, qid), body, token=token)


def no_key_leak(test, doc):
    for q in doc["questions"]:
        for k in ("key", "answer", "explanation", "correct", "earned"):
            test.assertNotIn(k, q, q)
    test.assertIsNone(doc.get("result"))


class ScoringTest(ExamdTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        app = cls.app
        # general_knowledge at intermediate: 10 true/false questions per subtopic.
        rows = []
        for s in GK_SUBTOPICS:
            rows += tf_rows("general_knowledge", s, "intermediate", 10, "W-" + s)
        # job_knowledge at intermediate: two questions worth 181 and 19 points.
        rows.append("P-1,job_knowledge,professional_conduct,intermediate,single,大题,甲,乙,丙,丁,C,181,")
        rows.append("P-2,job_knowledge,professional_conduct,intermediate,truefalse,小题,,,,,false,19,")
        # job_skills at intermediate: one fill question, and a multiple-choice one.
        rows.append("F-1,job_skills,business_english,intermediate,fill,第五代移动通信的缩写是____。,,,,,5G|第五代,1,")
        rows.append("F-2,job_skills,business_english,intermediate,multiple,选出正确的两项,对一,错一,对二,错二,AC,1,")
        upload(app, rows)
        blueprint(app, "general_knowledge", "intermediate", [(s, "intermediate", 10) for s in GK_SUBTOPICS])
        blueprint(app, "job_knowledge", "intermediate", [("professional_conduct", "intermediate", 2)], max_attempts=2)
        blueprint(app, "job_skills", "intermediate", [("business_english", "intermediate", 2)], grading="average")
        # A model version in force from now whose general_knowledge/intermediate weights are 30/30/20/20.
        app.sql("""
            INSERT INTO model_versions (version, effective_from, note, created_by) VALUES (2, now(), 'test', 'test');
            INSERT INTO model_required_levels SELECT 2, grade, item, level FROM model_required_levels WHERE version = 1;
            INSERT INTO model_exam_bands SELECT 2, score, min FROM model_exam_bands WHERE version = 1;
            INSERT INTO model_rater_weights SELECT 2, relation, weight FROM model_rater_weights WHERE version = 1;
            INSERT INTO model_subtopic_weights
              SELECT 2, item, level, subtopic,
                     CASE WHEN item = 'general_knowledge' AND level = 'intermediate' THEN
                       CASE subtopic WHEN 'telecom_industry_overview' THEN 30 WHEN 'company_overview' THEN 30
                                     ELSE 20 END
                     ELSE weight END
              FROM model_subtopic_weights WHERE version = 1;
        """)

    def start(self, token, item, status=201):
        r = self.app.post("/api/v1/attempts", {"item": item}, token=token)
        self.assertEqual(r.status, status, r)
        return r.json

    def test_worked_example_85_band_5(self):
        self.app.add_user("w1", "employee", grade=3)
        token = self.app.login("w1")
        doc = self.start(token, "general_knowledge")
        self.assertEqual((doc["level"], doc["status"], len(doc["questions"])), ("intermediate", "open", 40))
        no_key_leak(self, doc)
        self.assertEqual(doc["answers"], {})
        # Right answers per subtopic: 8, 9, 7 and 10 of 10 -> 80, 90, 70, 100.
        right = dict(zip(GK_SUBTOPICS, [8, 9, 7, 10]))
        given = {s: 0 for s in GK_SUBTOPICS}
        for q in doc["questions"]:
            value = given[q["subtopic"]] < right[q["subtopic"]]
            given[q["subtopic"]] += 1
            r = answer(self.app, token, doc["attempt_id"], q["id"], value)
            self.assertEqual(r.status, 200, r)
        resumed = self.start(token, "general_knowledge", status=200)
        self.assertEqual(resumed["attempt_id"], doc["attempt_id"])
        self.assertEqual(len(resumed["answers"]), 40)
        no_key_leak(self, resumed)
        r = self.app.post("/api/v1/attempts/%d/submit" % doc["attempt_id"], token=token)
        self.assertEqual(r.status, 200, r)
        raw = r.body.decode()
        result = r.json["result"]
        self.assertIn('"standard_score": 85.00', raw.replace('"standard_score":85.00', '"standard_score": 85.00'))
        self.assertEqual((result["standard_score"], result["band"], result["band_name_zh"], result["status"],
                          result["model_version"]), (85.0, 5, "达标", "submitted", 2))
        scores = {s["subtopic"]: (s["score"], s["weight"]) for s in result["subtopic_scores"]}
        self.assertEqual(scores, {"telecom_industry_overview": (80, 30), "company_overview": (90, 30),
                                  "laws_and_regulations": (70, 20), "company_rules_and_policies": (100, 20)})
        self.assertTrue(result["counted"])
        # After closing: keys and explanations for review.
        self.assertTrue(all("key" in q and "explanation" in q for q in r.json["questions"]))

    def test_points_weighted_90_50_is_band_6_and_attempt_limits(self):
        self.app.add_user("w2", "employee", grade=3)
        token = self.app.login("w2")
        doc = self.start(token, "job_knowledge")
        by_type = {q["type"]: q for q in doc["questions"]}
        big = by_type["single"]
        right_label = next(o["id"] for o in big["options"] if o["text"] == "丙")  # shuffled, so look it up
        self.assertEqual(answer(self.app, token, doc["attempt_id"], big["id"], right_label).status, 200)
        self.assertEqual(answer(self.app, token, doc["attempt_id"], by_type["truefalse"]["id"], True).status, 200)
        r = self.app.post("/api/v1/attempts/%d/submit" % doc["attempt_id"], token=token)
        result = r.json["result"]
        self.assertEqual((result["standard_score"], result["band"]), (90.5, 6), result)
        self.assertIn("90.50", r.body.decode())
        review = {q["id"]: q for q in r.json["questions"]}
        self.assertEqual(review[big["id"]]["key"], right_label)
        self.assertEqual((review[big["id"]]["correct"], review[by_type["truefalse"]["id"]]["correct"]), (True, False))
        # Submitting again changes nothing.
        again = self.app.post("/api/v1/attempts/%d/submit" % doc["attempt_id"], token=token)
        self.assertEqual(again.json["result"]["submitted_at"], result["submitted_at"])
        self.assertEqual(self.app.sql("SELECT count(*) FROM audit_log WHERE target = 'attempt:%d' "
                                      "AND action LIKE 'attempt.%%submitted'" % doc["attempt_id"]), "1")
        # A closed attempt takes no answers.
        r = answer(self.app, token, doc["attempt_id"], big["id"], right_label)
        self.assertError(r, 409, "attempt_closed")
        # max_attempts = 2.
        second = self.start(token, "job_knowledge")
        self.app.post("/api/v1/attempts/%d/submit" % second["attempt_id"], token=token)
        r = self.app.post("/api/v1/attempts", {"item": "job_knowledge"}, token=token)
        self.assertError(r, 409, "attempts_exhausted")
        exams = {e["item"]: e for e in self.app.get("/api/v1/exams", token=token).json["exams"]}
        self.assertEqual(exams["job_knowledge"]["attempts_used"], 2)
        self.assertEqual(exams["job_knowledge"]["counted_result"]["standard_score"], 90.5)
        self.assertEqual(exams["job_knowledge"]["counted_result"]["attempt_ids"], [doc["attempt_id"]])
        # Under "highest" only the better attempt counts; the other one says so too.
        self.assertTrue(self.app.get("/api/v1/attempts/%d" % doc["attempt_id"], token=token).json["result"]["counted"])
        self.assertFalse(self.app.get("/api/v1/attempts/%d" % second["attempt_id"],
                                      token=token).json["result"]["counted"])
        # The counted result keeps the exact decimals and the key order PostgreSQL gave it.
        raw = self.app.get("/api/v1/exams", token=token).body.decode()
        self.assertIn('"counted_result": {"band": 6, "attempt_ids": [%d], "band_name_zh": "超标", '
                      '"standard_score": 90.50}' % doc["attempt_id"], raw)

    def test_seq_fill_multiple_and_average_grading(self):
        self.app.add_user("w3", "employee", grade=3)
        token = self.app.login("w3")
        doc = self.start(token, "job_skills")
        q = {x["type"]: x for x in doc["questions"]}
        aid = doc["attempt_id"]
        r = answer(self.app, token, aid, q["fill"]["id"], "wrong", seq=5)
        self.assertEqual((r.status, r.json["seq"]), (200, 5))
        r = answer(self.app, token, aid, q["fill"]["id"], " ５ｇ ", seq=4)  # stale: changes nothing
        self.assertEqual((r.status, r.json.get("stale"), r.json["seq"]), (200, True, 5))
        self.assertEqual(self.app.get("/api/v1/attempts/%d" % aid, token=token).json["answers"][str(q["fill"]["id"])],
                         "wrong")
        r = answer(self.app, token, aid, q["fill"]["id"], " ５ｇ ", seq=5)  # equal seq applies
        self.assertEqual((r.status, r.json.get("stale")), (200, None))
        opts = {o["text"]: o["id"] for o in q["multiple"]["options"]}
        self.assertEqual(answer(self.app, token, aid, q["multiple"]["id"], [opts["对二"], opts["对一"]]).status, 200)
        result = self.app.post("/api/v1/attempts/%d/submit" % aid, token=token).json["result"]
        self.assertEqual((result["standard_score"], result["band"]), (100, 6))
        # Second attempt: only the multiple, and only a subset -> all-or-nothing gives 0 there.
        doc2 = self.start(token, "job_skills")
        q2 = {x["type"]: x for x in doc2["questions"]}
        opts2 = {o["text"]: o["id"] for o in q2["multiple"]["options"]}
        answer(self.app, token, doc2["attempt_id"], q2["multiple"]["id"], [opts2["对一"]])
        answer(self.app, token, doc2["attempt_id"], q2["fill"]["id"], "第五代")
        r2 = self.app.post("/api/v1/attempts/%d/submit" % doc2["attempt_id"], token=token).json["result"]
        self.assertEqual(r2["standard_score"], 50)
        exams = {e["item"]: e for e in self.app.get("/api/v1/exams", token=token).json["exams"]}
        counted = exams["job_skills"]["counted_result"]
        self.assertEqual((counted["standard_score"], counted["band"]), (75, 4))  # average of 100 and 50
        self.assertEqual(counted["attempt_ids"], [aid, doc2["attempt_id"]])
        for a in (aid, doc2["attempt_id"]):  # an average counts every attempt
            self.assertTrue(self.app.get("/api/v1/attempts/%d" % a, token=token).json["result"]["counted"])

    def test_invalid_answers_and_ownership(self):
        self.app.add_user("w4", "employee", grade=3)
        self.app.add_user("w5", "employee", grade=3)
        token, other = self.app.login("w4"), self.app.login("w5")
        doc = self.start(token, "job_skills")
        q = {x["type"]: x for x in doc["questions"]}
        aid = doc["attempt_id"]
        bad = [(q["multiple"]["id"], ["A", "A"]), (q["multiple"]["id"], []), (q["multiple"]["id"], ["Z"]),
               (q["multiple"]["id"], "A"), (q["fill"]["id"], 7), (q["fill"]["id"], "x" * 1001)]
        for qid, value in bad:
            self.assertError(answer(self.app, token, aid, qid, value), 400, "invalid_field")
        r = self.app.request("PUT", "/api/v1/attempts/%d/answers/%d" % (aid, q["fill"]["id"]), raw=b"{oops",
                             token=token)
        self.assertError(r, 400, "bad_json")
        r = self.app.request("PUT", "/api/v1/attempts/%d/answers/%d" % (aid, q["fill"]["id"]),
                             {"answer": "5G", "seq": -1}, token=token)
        self.assertError(r, 400, "invalid_field")
        self.assertError(answer(self.app, token, aid, 999999, "x"), 404, "not_found")
        # An answer can be cleared with null; its seq still orders later saves.
        self.assertEqual(answer(self.app, token, aid, q["fill"]["id"], "5G", seq=1).status, 200)
        self.assertEqual(answer(self.app, token, aid, q["fill"]["id"], None, seq=2).json["seq"], 2)
        self.assertIsNone(self.app.get("/api/v1/attempts/%d" % aid, token=token).json["answers"][str(q["fill"]["id"])])
        self.assertTrue(answer(self.app, token, aid, q["fill"]["id"], "5G", seq=1).json["stale"])
        # Another employee cannot see or touch the attempt; HR can read it; trainers cannot.
        self.assertError(self.app.get("/api/v1/attempts/%d" % aid, token=other), 404, "not_found")
        self.assertError(answer(self.app, other, aid, q["fill"]["id"], "5G"), 404, "not_found")
        self.assertError(self.app.post("/api/v1/attempts/%d/submit" % aid, token=other), 404, "not_found")
        hr_view = self.app.get("/api/v1/attempts/%d" % aid, token=self.app.login("hr1"))
        self.assertEqual(hr_view.status, 200)
        no_key_leak(self, hr_view.json)
        self.assertError(self.app.get("/api/v1/attempts/%d" % aid, token=self.app.login("trainer1")), 403)
        self.assertError(self.app.post("/api/v1/attempts", {"item": "general_knowledge"},
                                       token=self.app.login("hr1")), 403, "forbidden")
        for body in [{"item": "execution"}, {"item": "nope"}, {}, {"item": "job_skills", "x": 1}]:
            self.assertError(self.app.post("/api/v1/attempts", body, token=token), 400, "invalid_field")
        # An exam without a blueprint at the employee's level.
        self.app.add_user("w6", "employee", grade=1)
        self.assertError(self.app.post("/api/v1/attempts", {"item": "general_knowledge"},
                                       token=self.app.login("w6")), 422, "exam_unavailable")
        self.assertEqual(self.app.get("/api/v1/exams", token=self.app.login("w6")).json["exams"], [])

    def test_a_save_in_flight_and_a_close_are_ordered(self):
        """Saves and closes of one attempt are ordered by the attempt's advisory lock (migration 0010): a close
        waits for a save in flight and then sees its answer ('changed': examd scores again); a save arriving
        while a close is in flight waits for it and is then refused. Driven at the SQL level with a
        transaction held open, so the interleaving is certain."""
        import hashlib
        import subprocess
        self.app.add_user("w8", "employee", grade=3)
        token = self.app.login("w8")
        doc = self.start(token, "job_skills")
        aid, qid = doc["attempt_id"], next(q["id"] for q in doc["questions"] if q["type"] == "fill")
        token_hash = hashlib.sha256(token.encode()).hexdigest()
        save = ("SELECT s.status || ' seq=' || coalesce(s.seq::text, '-') FROM "
                "examd_answer_save_typed('%s', 7200, %d, %d, '\"5G\"'::jsonb, NULL, 10) s" % (token_hash, aid, qid))
        digest = self.app.sql("SELECT examd_answers_digest(%d)" % aid)
        result = '{"standard_score": "50.00", "band": 2, "subtopic_scores": [], "question_scores": []}'
        close = ("SELECT examd_attempt_close(%d, %s, 'submitted', 10, '%s'::jsonb, 'test')" % (aid, digest, result))
        def while_held(held, other):
            """Runs held in a transaction kept open for 1.5 s, and meanwhile other; returns other's
            output, how long it waited, and held's output."""
            holder = subprocess.Popen(["psql", self.app.url, "-Atq", "-c",
                                       "BEGIN; %s; SELECT pg_sleep(1.5); COMMIT;" % held],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(0.5)
            t0 = time.time()
            out = self.app.sql(other)
            waited = time.time() - t0
            return out, waited, holder.communicate(10)[0]

        # 1. A save holds its transaction open; the close started meanwhile waits, then sees the answer.
        out, waited, held = while_held(save, close)
        self.assertEqual(out, "changed")
        self.assertGreater(waited, 0.7)
        self.assertIn("ok seq=0", held)
        self.assertEqual(self.app.sql("SELECT status FROM attempts WHERE id = %d" % aid), "open")
        # 2. A close holds its transaction open; the save started meanwhile waits, then finds the attempt closed.
        digest = self.app.sql("SELECT examd_answers_digest(%d)" % aid)
        close = ("SELECT examd_attempt_close(%d, %s, 'submitted', 10, '%s'::jsonb, 'test')" % (aid, digest, result))
        out, waited, held = while_held(close, save)
        self.assertEqual(out, "attempt_closed seq=-")
        self.assertGreater(waited, 0.7)
        self.assertIn("closed", held)
        self.assertEqual(self.app.sql("SELECT status FROM attempts WHERE id = %d" % aid), "submitted")

    def test_auto_submit_with_nobody_connected(self):
        self.app.add_user("w7", "employee", grade=3)
        token = self.app.login("w7")
        doc = self.start(token, "job_skills")
        q = {x["type"]: x for x in doc["questions"]}
        answer(self.app, token, doc["attempt_id"], q["fill"]["id"], "5g")
        # Time runs out (grace is 10 s): move the deadline into the past.
        self.app.sql("UPDATE attempts SET deadline = now() - interval '10.5 seconds' WHERE id = %d" % doc["attempt_id"])
        r = answer(self.app, token, doc["attempt_id"], q["fill"]["id"], "x")
        self.assertError(r, 409, "attempt_closed")
        t0 = time.time()
        status = None
        while time.time() - t0 < 5:
            status = self.app.sql("SELECT status FROM attempts WHERE id = %d" % doc["attempt_id"])
            if status != "open":
                break
            time.sleep(0.1)
        self.assertEqual(status, "auto_submitted")
        self.assertLess(time.time() - t0, 2.5)
        got = self.app.get("/api/v1/attempts/%d" % doc["attempt_id"], token=token).json
        self.assertEqual((got["result"]["status"], got["result"]["standard_score"]), ("auto_submitted", 50))


class AutoSubmitAcrossProcessesTest(unittest.TestCase):
    """Two examd processes on one database: every expired attempt is closed exactly once, also
    when they were expired while no examd was running."""

    def test_two_processes_race_and_restart(self):
        a = Examd().start()
        b = Examd(database=a.database).start()
        try:
            a.add_user("trainer1", "trainer")
            rows = tf_rows("job_skills", "computer_operation", "junior", 3, "R")
            upload(a, rows)
            blueprint(a, "job_skills", "junior", [("computer_operation", "junior", 3)])
            ids = []
            for i in range(12):
                a.add_user("r%d" % i, "employee", grade=4)
                app = a if i % 2 else b
                token = app.login("r%d" % i)
                doc = app.post("/api/v1/attempts", {"item": "job_skills"}, token=token).json
                answer(app, token, doc["attempt_id"], doc["questions"][0]["id"], True)
                ids.append(doc["attempt_id"])
            b.stop()  # b's attempts expire while it is down; a takes them over
            a.sql("UPDATE attempts SET deadline = now() - interval '11 seconds'")
            b.start()
            deadline = time.time() + 6
            while time.time() < deadline and a.sql("SELECT count(*) FROM attempts WHERE status = 'open'") != "0":
                time.sleep(0.1)
            self.assertEqual(a.sql("SELECT count(*) FROM attempts WHERE status = 'auto_submitted'"), "12")
            closes = a.sql("SELECT string_agg(c::text, ',') FROM (SELECT count(*) c FROM audit_log "
                           "WHERE action = 'attempt.auto_submitted' GROUP BY target) x")
            self.assertEqual(closes, ",".join(["1"] * 12))
            scores = set(a.sql("SELECT string_agg(DISTINCT standard_score::text, ',') FROM attempts").split(","))
            self.assertEqual(scores, {"33.33"})
            # After a restart with attempts already expired, they are closed within 2 s of start.
            token = a.login("r0")
            a.sql("DELETE FROM audit_log")
            a.stop()
            b.stop()
            a.sql("UPDATE attempts SET status = 'open', submitted_at = NULL, result = NULL WHERE id = %d" % ids[0])
            a.start()
            t0 = time.time()
            while time.time() - t0 < 5 and a.sql("SELECT status FROM attempts WHERE id = %d" % ids[0]) == "open":
                time.sleep(0.1)
            self.assertLess(time.time() - t0, 3.5)
            self.assertEqual(a.sql("SELECT count(*) FROM audit_log WHERE action = 'attempt.auto_submitted'"), "1")
            self.assertEqual(a.get("/api/v1/attempts/%d" % ids[0], token=token).json["status"], "auto_submitted")
        finally:
            self.assertEqual(b.stop() or 0, 0)
            self.assertEqual(a.stop() or 0, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
