"""HR listing benchmark: 10,000 employees with behaviour ratings and exam results; times the
department listing (JSON), the CSV export, the gaps query and the readiness listing (SPEC §4.6b)
through the real examd. For readiness every employee below grade 1 also has one attempt per exam
item and one rating per behaviour item (rater "mentor") at the next grade's level.

Usage (after a build): EXAMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres \
    python3 tests/bench/bench_profiles.py [--employees 10000] [--runs 5]
tests/bench/run.sh starts a throwaway PostgreSQL and runs it for you.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Examd, db_url, psql  # noqa: E402

BEHAVIOUR = ["achievement_orientation", "resilience", "oral_communication_listening", "written_communication",
             "interpersonal_skills", "execution", "emotional_control", "coordination", "information_gathering",
             "needs_analysis", "tailored_solutions", "proactive_selling", "customer_retention",
             "customer_relationship"]


def fill(app, n):
    t0 = time.time()
    app.sql("""
        INSERT INTO users (username, name, role, department, password_hash)
        SELECT 'b' || i, '员工' || i, 'employee', '政企客户部' || (i %% 10), '$scrypt$ln=10,r=8,p=1$x$y'
        FROM generate_series(1, %d) i;
        INSERT INTO user_grades (username, grade, effective_from)
        SELECT 'b' || i, 1 + (i %% 4), now() - interval '1 year' FROM generate_series(1, %d) i;
    """ % (n, n))
    # Three raters per behaviour item (supervisor, peer, self), one of them rated twice.
    app.sql("""
        INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_at)
        SELECT 'b' || i, item, (i + length(item) + r) %% 7, rater, relation, '2026H2',
               now() - make_interval(days => r)
        FROM generate_series(1, %d) i,
             unnest(ARRAY[%s]) item,
             (VALUES (1, 'boss', 'supervisor'), (2, 'peer1', 'peer'), (3, 'self', 'self'), (4, 'boss', 'supervisor'))
               AS x(r, rater, relation);
    """ % (n, ",".join("'%s'" % b for b in BEHAVIOUR)))
    # Two closed attempts per exam item at the required level.
    app.sql("""
        INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds,
                              started_at, deadline, submitted_at, standard_score, band, result)
        SELECT 'b' || i, item, (ARRAY['expert','senior','intermediate','junior'])[1 + (i %% 4)], 'submitted', 1,
               'highest', 1200, now() - make_interval(days => k + 1), now() - make_interval(days => k),
               now() - make_interval(days => k), s, CASE WHEN round(s) >= 91 THEN 6 WHEN round(s) >= 81 THEN 5
                   WHEN round(s) >= 71 THEN 4 WHEN round(s) >= 61 THEN 3 WHEN round(s) >= 41 THEN 2 ELSE 1 END, '{}'
        FROM generate_series(1, %d) i,
             unnest(ARRAY['general_knowledge','professional_knowledge','job_knowledge','job_skills']) item,
             generate_series(1, 2) k,
             LATERAL (SELECT ((i * 37 + k * 11 + length(item)) %% 6000) / 100.0 + 40 AS s) sc;
    """ % n)
    # Evidence at the next grade's level (readiness): grade g holds against grade g-1's level.
    app.sql("""
        INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, rated_level, rated_at)
        SELECT 'b' || i, item, 3 + (i + length(item)) %% 4, 'mentor', 'peer', '2026H2',
               (ARRAY['expert','senior','intermediate'])[i %% 4], now() - interval '2 days'
        FROM generate_series(1, %d) i, unnest(ARRAY[%s]) item
        WHERE i %% 4 <> 0;
        INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds,
                              started_at, deadline, submitted_at, standard_score, band, result)
        SELECT 'b' || i, item, (ARRAY['expert','senior','intermediate'])[i %% 4], 'submitted', 1,
               'highest', 1200, now() - interval '3 days', now() - interval '2 days', now() - interval '2 days',
               s, CASE WHEN round(s) >= 91 THEN 6 WHEN round(s) >= 81 THEN 5 WHEN round(s) >= 71 THEN 4
                   WHEN round(s) >= 61 THEN 3 WHEN round(s) >= 41 THEN 2 ELSE 1 END, '{}'
        FROM generate_series(1, %d) i,
             unnest(ARRAY['general_knowledge','professional_knowledge','job_knowledge','job_skills']) item,
             LATERAL (SELECT ((i * 53 + length(item)) %% 3000) / 100.0 + 70 AS s) sc
        WHERE i %% 4 <> 0;
        ANALYZE;
    """ % (n, ",".join("'%s'" % b for b in BEHAVIOUR), n))
    return time.time() - t0


def timed(app, token, path, runs):
    times, size = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        r = app.get(path, token=token, timeout=300)
        times.append(time.perf_counter() - t0)
        assert r.status == 200, r
        size = len(r.body)
    return min(times), statistics.median(times), size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database", help="reuse this database (filled on first use) instead of a fresh one")
    args = ap.parse_args()
    if args.database:
        psql("SELECT 1", db_url("postgres"))
        if not psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % args.database, db_url("postgres")):
            psql("CREATE DATABASE %s" % args.database, db_url("postgres"))
    app = Examd(database=args.database, env={"EXAMD_LOG_LEVEL": "warning"}).start()
    try:
        seconds = 0.0
        if not app.sql("SELECT 1 FROM users WHERE username = 'hr'"):
            app.add_user("hr", "hr")
            seconds = fill(app, args.employees)
        ratings = app.sql("SELECT count(*) FROM behaviour_ratings")
        attempts = app.sql("SELECT count(*) FROM attempts")
        print("data: %d employees, %s ratings, %s attempts (filled in %.1f s)" %
              (args.employees, ratings, attempts, seconds))
        token = app.login("hr")
        print("%-34s %10s %10s %10s" % ("request", "best s", "median s", "bytes"))
        for label, path in [("listing JSON (all)", "/api/v1/profiles"),
                            ("listing CSV (all)", "/api/v1/profiles?format=csv"),
                            ("listing JSON (one department)", "/api/v1/profiles?department=%E6%94%BF%E4%BC%81%E5%AE%A2%E6%88%B7%E9%83%A83"),
                            ("gaps (all, top 1000)", "/api/v1/profiles/gaps"),
                            ("readiness JSON (all)", "/api/v1/profiles/readiness"),
                            ("readiness CSV (all)", "/api/v1/profiles/readiness?format=csv"),
                            ("readiness JSON (one department)", "/api/v1/profiles/readiness?department=%E6%94%BF%E4%BC%81%E5%AE%A2%E6%88%B7%E9%83%A83"),
                            ("one profile", "/api/v1/employees/b42/profile")]:
            best, median, size = timed(app, token, path, args.runs)
            print("%-34s %10.3f %10.3f %10d" % (label, best, median, size))
    finally:
        app.stop()


if __name__ == "__main__":
    main()
