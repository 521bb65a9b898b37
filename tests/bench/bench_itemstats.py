"""Item statistics benchmark (issue #16): one blueprint with 20,000 closed attempts x 40 questions
drawn from a pool of 100; times GET /blueprints/{item}/{level}/stats (JSON and CSV, first and all
attempts) and GET /questions/{id}/stats through the real examd.

The attempts are created directly in SQL (users, attempts, snapshots, answers) and closed by one
UPDATE of their status, so the close trigger writes attempt_cells as a real close does.

Usage (after a build): EXAMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres \
    python3 tests/bench/bench_itemstats.py [--attempts 20000] [--questions 40] [--runs 5]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Examd  # noqa: E402

SUBTOPICS = ["telecom_industry_overview", "company_overview", "laws_and_regulations", "company_rules_and_policies"]


def fill(app, attempts, per_attempt, pool):
    t0 = time.time()
    per_sub = per_attempt // 4
    app.sql("""
        INSERT INTO questions (item, subtopic, level, type, stem, options, answer, points, external_id, content_hash)
        SELECT 'general_knowledge', (ARRAY['%s'])[1 + (i %% 4)], 'junior', 'single', '题目 ' || i,
               '["甲","乙","丙","丁"]', to_jsonb(chr(65 + i %% 4)), 1, 'B-' || i, md5(i::text)
        FROM generate_series(0, %d) i;
        INSERT INTO blueprints (item, level, time_limit_seconds) VALUES ('general_knowledge', 'junior', 1800);
        INSERT INTO blueprint_draws (item, level, position, subtopic, draw_level, count)
        SELECT 'general_knowledge', 'junior', n, (ARRAY['%s'])[n], 'junior', %d FROM generate_series(1, 4) n;
        INSERT INTO users (username, name, role, department, password_hash)
        SELECT 'b' || i, '员工' || i, 'employee', '政企客户部', '!' FROM generate_series(1, %d) i;
        INSERT INTO user_grades (username, grade, effective_from)
        SELECT 'b' || i, 4, now() - interval '1 year' FROM generate_series(1, %d) i;
        INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds,
                              started_at, deadline)
        SELECT 'b' || i, 'general_knowledge', 'junior', 'open', 1, 'highest', 1800,
               now() - interval '2 hours', now() + interval '1 hour'
        FROM generate_series(1, %d) i;
    """ % ("','".join(SUBTOPICS), pool - 1, "','".join(SUBTOPICS), per_sub, attempts, attempts, attempts))
    # Each attempt draws per_sub of the 25 questions of each subtopic (a rotation), options shuffled
    # by a rotation too; an answer is right with a probability that grows with the employee's ability.
    app.sql("""
        INSERT INTO attempt_questions (attempt_id, question_id, position, subtopic, type, stem, options, answer, points)
        SELECT a.id, q.id, row_number() OVER (PARTITION BY a.id ORDER BY q.id), q.subtopic, q.type, q.stem,
               (SELECT jsonb_agg(jsonb_build_object('id', chr(65 + n), 'text', q.options->>((n + a.id::int) %% 4))
                                 ORDER BY n) FROM generate_series(0, 3) n),
               to_jsonb(chr(65 + ((ascii(q.answer #>> '{}') - 65 - a.id::int) %% 4 + 4) %% 4)), 1
        FROM attempts a
        JOIN questions q ON ((q.id + a.id * 7) %% (%d / 4)) < %d
        WHERE a.status = 'open';
        INSERT INTO answers (attempt_id, question_id, answer)
        SELECT q.attempt_id, q.question_id,
               CASE WHEN random() < 0.15 + 0.7 * ((q.attempt_id %% 97) / 96.0) THEN q.answer
                    ELSE to_jsonb(chr(65 + floor(random() * 4)::int)) END
        FROM attempt_questions q;
    """ % (pool, per_sub))
    # Closing: the score (100 x right / asked, enough for a benchmark) and question_scores, then
    # the status change that fires the close trigger.
    app.sql("""
        UPDATE attempts a SET status = 'submitted', submitted_at = now(), standard_score = s.score, band = 1,
               result = jsonb_build_object('question_scores', s.qs)
        FROM (SELECT q.attempt_id, round(100.0 * count(*) FILTER (WHERE s.answer = q.answer) / count(*), 2) AS score,
                     jsonb_object_agg(q.question_id::text, CASE WHEN s.answer = q.answer THEN '1.00' ELSE '0.00' END) AS qs
              FROM attempt_questions q LEFT JOIN answers s USING (attempt_id, question_id)
              GROUP BY q.attempt_id) s
        WHERE a.id = s.attempt_id;
        ANALYZE;
    """)
    return time.time() - t0


def timed(app, token, path, runs):
    times, size, status = [], 0, 0
    for _ in range(runs):
        t = time.time()
        r = app.get(path, token=token, timeout=120)
        times.append(time.time() - t)
        size, status = len(r.body), r.status
    return status, size, times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--attempts", type=int, default=20000)
    p.add_argument("--questions", type=int, default=40)
    p.add_argument("--pool", type=int, default=100)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    app = Examd(workers=2, env={"EXAMD_STATS_REFRESH_SECONDS": "0"}).start()
    try:
        app.add_user("trainer1", "trainer")
        secs = fill(app, args.attempts, args.questions, args.pool)
        cells = app.sql("SELECT count(*) || ' attempts, ' || sum(cardinality(string_to_array(cells, ';')))"
                        " || ' cells' FROM attempt_cells")
        print("filled in %.1f s: %s" % (secs, cells))
        token = app.login("trainer1")
        qid = app.sql("SELECT min(id) FROM questions")
        rows = []
        for label, path in [("blueprint, first attempts, JSON", "/api/v1/blueprints/general_knowledge/junior/stats"),
                            ("blueprint, all attempts, JSON", "/api/v1/blueprints/general_knowledge/junior/stats?attempts=all"),
                            ("blueprint, CSV", "/api/v1/blueprints/general_knowledge/junior/stats?format=csv"),
                            ("one question", "/api/v1/questions/%s/stats" % qid)]:
            status, size, times = timed(app, token, path, args.runs)
            rows.append((label, status, size, times))
        print("| request | status | bytes | min | median | max |")
        print("| --- | --- | --- | --- | --- | --- |")
        for label, status, size, times in rows:
            print("| %s | %d | %d | %.3f s | %.3f s | %.3f s |" % (label, status, size, min(times),
                                                                 statistics.median(times), max(times)))
    finally:
        app.stop()


if __name__ == "__main__":
    main()
