"""Mass expiry set-up shared by the fault test (test_mass_expiry.py) and the benchmark
(tests/bench/bench_expiry.py): many open attempts created directly in SQL (users, attempts,
snapshots with shuffled options, answers), all given one deadline at the end, so that they reach
deadline + grace in the same second as when a session's window closes."""
import hashlib
import time

SUBTOPICS = ["telecom_industry_overview", "company_overview", "laws_and_regulations", "company_rules_and_policies"]


def fill(app, attempts, per_attempt=40, pool=100, prefix="m", others=0):
    """attempts open attempts of users <prefix>1.. (deadline far ahead), plus `others` open attempts
    of users <prefix>o1.. with a login token each (for saves during the wave). Returns (seconds, tokens)
    where tokens = [(token, attempt_id, [question ids])]."""
    t0 = time.time()
    per_sub = per_attempt // 4
    app.sql("""
        INSERT INTO questions (item, subtopic, level, type, stem, options, answer, points, external_id, content_hash)
        SELECT 'general_knowledge', (ARRAY['%(subs)s'])[1 + (i %% 4)], 'junior', 'single', '题目 ' || i,
               '["甲","乙","丙","丁"]', to_jsonb(chr(65 + i %% 4)), 1, '%(p)sQ-' || i, md5('%(p)s' || i)
        FROM generate_series(0, %(pool1)d) i;
        INSERT INTO blueprints (item, level, time_limit_seconds) VALUES ('general_knowledge', 'junior', 1800)
        ON CONFLICT DO NOTHING;
        INSERT INTO blueprint_draws (item, level, position, subtopic, draw_level, count)
        SELECT 'general_knowledge', 'junior', n, (ARRAY['%(subs)s'])[n], 'junior', %(per_sub)d FROM generate_series(1, 4) n
        ON CONFLICT DO NOTHING;
        INSERT INTO users (username, name, role, department, password_hash)
        SELECT u, '员工' || u, 'employee', '政企客户部', '!'
        FROM (SELECT '%(p)s' || i AS u FROM generate_series(1, %(n)d) i
              UNION ALL SELECT '%(p)so' || i FROM generate_series(1, %(o)d) i) x;
        INSERT INTO user_grades (username, grade, effective_from)
        SELECT username, 4, now() - interval '1 year' FROM users WHERE username LIKE '%(p)s%%';
        INSERT INTO attempts (username, item, level, status, model_version, grading, time_limit_seconds,
                              started_at, deadline)
        SELECT username, 'general_knowledge', 'junior', 'open', 1, 'highest', 1800,
               now() - interval '20 minutes', now() + interval '1 hour'
        FROM users WHERE username LIKE '%(p)s%%' ORDER BY username;
    """ % {"subs": "','".join(SUBTOPICS), "pool1": pool - 1, "per_sub": per_sub, "n": attempts, "o": others,
           "p": prefix})
    app.sql("""
        INSERT INTO attempt_questions (attempt_id, question_id, position, subtopic, type, stem, options, answer, points)
        SELECT a.id, q.id, row_number() OVER (PARTITION BY a.id ORDER BY q.id), q.subtopic, q.type, q.stem,
               (SELECT jsonb_agg(jsonb_build_object('id', chr(65 + n), 'text', q.options->>((n + a.id::int) %% 4))
                                 ORDER BY n) FROM generate_series(0, 3) n),
               to_jsonb(chr(65 + ((ascii(q.answer #>> '{}') - 65 - a.id::int) %% 4 + 4) %% 4)), 1
        FROM attempts a
        JOIN questions q ON q.external_id LIKE '%(p)sQ-%%' AND ((q.id + a.id * 7) %% (%(pool)d / 4)) < %(per_sub)d
        WHERE a.status = 'open' AND a.username LIKE '%(p)s%%';
        INSERT INTO answers (attempt_id, question_id, answer)
        SELECT q.attempt_id, q.question_id,
               CASE WHEN random() < 0.15 + 0.7 * ((q.attempt_id %% 97) / 96.0) THEN q.answer
                    ELSE to_jsonb(chr(65 + floor(random() * 4)::int)) END
        FROM attempt_questions q JOIN attempts a ON a.id = q.attempt_id
        WHERE a.username LIKE '%(p)s%%' AND a.username NOT LIKE '%(p)so%%' AND random() < 0.9;
    """ % {"p": prefix, "pool": pool, "per_sub": per_sub})
    # Settled tables, as in a running system (otherwise autovacuum works through the new rows
    # during the wave).
    app.sql("VACUUM (ANALYZE) attempts, attempt_questions, answers, users, audit_log")
    tokens = []
    if others:
        rows = app.sql("SELECT a.username, a.id, string_agg(q.question_id::text, ',' ORDER BY q.position) "
                       "FROM attempts a JOIN attempt_questions q ON q.attempt_id = a.id "
                       "WHERE a.username LIKE '%so%%' GROUP BY a.username, a.id" % prefix)
        values = []
        for line in rows.splitlines():
            user, aid, qids = line.split("|")
            token = hashlib.sha256(("tok-" + user).encode()).hexdigest()
            values.append("('%s', '%s', now() + interval '1 day')" % (hashlib.sha256(token.encode()).hexdigest(), user))
            tokens.append((token, aid, qids.split(",")))
        app.sql("INSERT INTO sessions (token_hash, username, expires_at) VALUES %s" % ",".join(values))
    return time.time() - t0, tokens


def set_deadline(app, seconds_ahead, prefix="m"):
    """Gives every attempt of users <prefix>N (not the others) one deadline; returns it as epoch seconds."""
    out = app.sql("UPDATE attempts SET deadline = date_trunc('second', now()) + make_interval(secs => %d) "
                  "WHERE status = 'open' AND username LIKE '%s%%' AND username NOT LIKE '%so%%' "
                  "RETURNING extract(epoch FROM deadline)" % (seconds_ahead, prefix, prefix))
    return float(out.splitlines()[0])


def closing_report(app, prefix="m"):
    """(count, closed, open, latest submitted_at - (deadline) in seconds, audit entries, attempts
    with more than one close entry) for the attempts of users <prefix>N."""
    row = app.sql("""
        SELECT count(*), count(*) FILTER (WHERE status <> 'open'), count(*) FILTER (WHERE status = 'open'),
               coalesce(extract(epoch FROM max(submitted_at) - max(deadline)), -1),
               (SELECT count(*) FROM audit_log l WHERE l.action = 'attempt.auto_submitted'
                  AND l.detail->>'username' LIKE '%(p)s%%' AND l.detail->>'username' NOT LIKE '%(p)so%%'),
               (SELECT count(*) FROM (SELECT target FROM audit_log l WHERE l.action LIKE 'attempt.%%submitted'
                  AND l.detail->>'username' LIKE '%(p)s%%' GROUP BY target HAVING count(*) > 1) d)
        FROM attempts WHERE username LIKE '%(p)s%%' AND username NOT LIKE '%(p)so%%'
    """ % {"p": prefix})
    n, closed, still, latest, audits, dup = row.split("|")
    return int(n), int(closed), int(still), float(latest), int(audits), int(dup)
