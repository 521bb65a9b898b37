"""The data and the readings of the upgrade test (test_upgrade.py).

`python3 tests/integration/upgrade_data.py OLD_SOURCE_DIR OLD_BINARY COMMIT` fills a database with the
examd of COMMIT (its binary and its migrations), reads what every reader of the scoring rules answers
(profiles at two times, their SVG, the listing as JSON and CSV, gaps, readiness, the exams list and
attempts), and writes tests/integration/fixtures/upgrade-COMMIT.sql.gz (pg_dump) and
upgrade-COMMIT.json (the readings). test_upgrade.py restores the dump, lets today's examd migrate it
and compares its answers with the readings.
"""
import datetime
import gzip
import json
import os
import random
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PERIOD = "2026H2"
VOLATILE = {"server_time", "generated_at", "expires_at", "token", "deadline", "remaining_seconds", "at"}


def normalise(doc):
    """A reading without the fields that depend on when it was read."""
    if isinstance(doc, dict):
        return {k: normalise(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [normalise(v) for v in doc]
    return doc


def readings(app, t0, employees, hr, own):
    """{name: normalised answer} for every reader of the scoring rules. t0: the time the data was made."""
    out = {}
    later = (t0 + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = (t0 - datetime.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def get(path, token=hr, raw=False):
        r = app.get(path, token=token)
        assert r.status == 200, (path, r, "\n".join(app.log[-5:]))
        return r.body.decode("utf-8") if raw else normalise(r.json)

    for u in employees:
        for name, at in (("later", later), ("earlier", earlier)):
            q = urllib.parse.urlencode({"at": at, "period": PERIOD})
            out["profile %s %s" % (u, name)] = get("/api/v1/employees/%s/profile?%s" % (u, q))
        out["svg %s" % u] = get("/api/v1/employees/%s/profile.svg?%s" % (u, urllib.parse.urlencode(
            {"at": later, "period": PERIOD})), raw=True)
    out["listing json"] = get("/api/v1/profiles?period=%s" % PERIOD)
    out["listing csv"] = get("/api/v1/profiles?period=%s&format=csv" % PERIOD, raw=True)
    out["readiness"] = get("/api/v1/profiles/readiness?period=%s" % PERIOD)
    for user, token in own.items():
        out["exams %s" % user] = get("/api/v1/exams", token=token)
        attempts = app.sql("SELECT id FROM attempts WHERE username = '%s' AND coalesce(result::text, '') <> '{}' ORDER BY id" % user).split()
        for a in attempts:
            out["attempt %s %s" % (user, a)] = get("/api/v1/attempts/%s" % a, token=token)
    return out


def fill(app):
    """Employees with grade histories, closed attempts under every grading, ratings from several raters and
    relations (re-rated, NULL rated_level, other levels), a second model version; returns (employees, hr, own)."""
    rnd = random.Random(20261202)
    app.add_user("admin1", "admin")
    app.add_user("hr1", "hr")
    app.add_user("trainer1", "trainer")
    src = app.env["EXAMD_MIGRATIONS_DIR"].rsplit("/", 1)[0]
    for f in sorted(os.listdir(os.path.join(src, "question-banks"))):
        if f.endswith(".csv"):
            p = app.cli("bank", "import", os.path.join(src, "question-banks", f))
            assert p.returncode == 0, p.stderr
    p = app.cli("blueprint", "put", os.path.join(src, "question-banks", "blueprints.json"))
    assert p.returncode == 0, p.stderr
    items = [r.split("|") for r in app.sql("SELECT code, assessment FROM model_items ORDER BY position").split()]
    exam_items = [c for c, a in items if a == "exam"]
    beh_items = [c for c, a in items if a != "exam"]
    gradings = ["highest", "latest", "first", "average"]
    for i, item in enumerate(exam_items):
        app.sql("UPDATE blueprints SET grading = '%s' WHERE item = '%s'" % (gradings[i % 4], item))
    levels = app.sql("SELECT code FROM model_levels ORDER BY rank").split()
    employees, batch = [], []
    for k in range(24):
        u = "up%02d" % k
        grade = 1 + k % 4
        app.add_user(u, "employee", grade=grade, name="升级%02d" % k, department="升级%d部" % (k % 3))
        employees.append(u)
        # Grade history: the first grade 60 days ago; every third employee changed grade 10 days ago.
        batch.append("UPDATE user_grades SET effective_from = now() - interval '60 days' WHERE username = '%s'" % u)
        if k % 3 == 0:
            batch.append("INSERT INTO user_grades (username, grade, effective_from) VALUES ('%s', %d, "
                    "now() - interval '10 days')" % (u, 1 + (grade % 4)))
        for item in exam_items:
            if rnd.random() < 0.2:
                continue  # no evidence
            for n in range(rnd.randint(1, 3)):
                lvl = rnd.choice(levels)
                score = rnd.choice([rnd.randint(20, 99), 85, 85.5, 74.995, 90.5])
                days = rnd.randint(1, 50)
                batch.append("INSERT INTO attempts (username, item, level, status, model_version, grading, "
                        "time_limit_seconds, started_at, deadline, submitted_at, standard_score, band, result) "
                        "SELECT '%s', '%s', '%s', 'submitted', 1, 'highest', 600, now() - make_interval(days => %d, "
                        "mins => %d), now() - make_interval(days => %d), now() - make_interval(days => %d, mins => 5), "
                        "round(%s::numeric, 2), (SELECT max(score) FROM model_exam_bands WHERE version = 1 AND "
                        "min <= round(round(%s::numeric, 2))), '{}'"
                        % (u, item, lvl, days, 20 + n, days, days, score, score))
        for item in beh_items:
            if rnd.random() < 0.2:
                continue
            for rater, rel in (("sup%d" % (k % 2), "supervisor"), ("peer%d" % (k % 5), "peer"), (u, "self"),
                               ("cust%d" % k, "customer"), ("hrx", "hr")):
                if rnd.random() < 0.3:
                    continue
                for again in range(rnd.choice([1, 1, 2])):
                    lvl = rnd.choice([None, None] + levels)
                    days = rnd.randint(1, 40) if again == 0 else rnd.randint(1, 5)
                    batch.append("INSERT INTO behaviour_ratings (employee, item, score, rater, relation, period, "
                            "rated_level, rated_at) VALUES ('%s', '%s', %d, '%s', '%s', '%s', %s, "
                            "now() - make_interval(days => %d, mins => %d))"
                            % (u, item, rnd.randint(1, 6), rater, rel, PERIOD, "'%s'" % lvl if lvl else "NULL", days,
                               rnd.randint(0, 600)))
    subprocess.run(["psql", app.url, "-v", "ON_ERROR_STOP=1", "-q"], input=";\n".join(batch) + ";\n", text=True,
                   check=True, capture_output=True)
    hr = app.login("hr1")
    # A second model version from now on: other rater weights (customers 0) and required levels of grade 2.
    r = app.post("/api/v1/model/versions", {"note": "upgrade fixture", "rater_weights": {
        "supervisor": 3, "peer": 1, "self": 0.5, "customer": 0, "subordinate": 1, "hr": 2}},
        token=hr)
    assert r.status == 201, r
    # Real attempts through the API: one submitted, one left open.
    own = {}
    for u in ("up01", "up02"):
        tok = app.login(u)
        own[u] = tok
        exams = app.get("/api/v1/exams", token=tok).json["exams"]
        for n, ex in enumerate(exams[:2]):
            r = app.post("/api/v1/attempts", {"item": ex["item"]}, token=tok)
            assert r.status in (200, 201), r
            a = r.json
            for q in a["questions"][:5]:
                ans = {"single": "A", "multiple": ["A", "B"], "truefalse": True, "fill": "答案"}[q["type"]]
                app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (a["attempt_id"], q["id"]), {"answer": ans},
                            token=tok)
            if n == 0:
                assert app.post("/api/v1/attempts/%s/submit" % a["attempt_id"], {}, token=tok).status == 200
    # The open attempt stays open for the test (its deadline is far away).
    if app.sql("UPDATE attempts SET deadline = deadline + interval '10 days' WHERE status = 'open' RETURNING id") == "":
        raise SystemExit("no open attempt was left")
    return employees, hr, own


def main():
    old_src, old_bin, commit = sys.argv[1:4]
    os.environ["EXAMD_BIN"] = old_bin
    import harness
    harness.BIN = old_bin
    app = harness.Examd(env={"EXAMD_MIGRATIONS_DIR": os.path.join(old_src, "migrations"),
                             "EXAMD_WEB_DIR": os.path.join(old_src, "service", "web")})
    app.start()
    try:
        employees, hr, own = fill(app)
        t0 = datetime.datetime.now(datetime.timezone.utc)
        doc = {"commit": commit, "made_at": t0.strftime("%Y-%m-%dT%H:%M:%SZ"), "employees": employees,
               "own": sorted(own), "readings": readings(app, t0, employees, hr, own)}
    finally:
        app.stop()
    dump = subprocess.run(["pg_dump", "--no-owner", "--no-privileges", app.url], capture_output=True, check=True).stdout
    with gzip.open(os.path.join(HERE, "fixtures", "upgrade-%s.sql.gz" % commit), "wb", compresslevel=9) as f:
        f.write(dump)
    with open(os.path.join(HERE, "fixtures", "upgrade-%s.json" % commit), "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=0, sort_keys=True)
    print("fixture written: %d employees, %d readings, dump %d bytes" % (len(employees), len(doc["readings"]), len(dump)))


if __name__ == "__main__":
    main()
