"""HR listing benchmark: 10,000 employees with behaviour ratings and exam results; times the
department listing (JSON), the CSV export, the gaps query and the readiness listing (SPEC §4.6b)
through the real examd. For readiness every employee below grade 1 also has one attempt per exam
item and one rating per behaviour item (rater "mentor") at the next grade's level.

Usage (after a build): EXAMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres \
    python3 tests/bench/bench_profiles.py [--employees 10000] [--runs 5]
tests/bench/run.sh starts a throwaway PostgreSQL and runs it for you.

--autosave-during-listings (examd issue #15): one examd worker (EXAMD_WORKERS=1, so every request
shares one event loop); --savers of the employees start an exam through the API, then paced autosaves
(open loop, tests/bench/loadgen.c, latency from the scheduled send time) run (a) alone and (b) while
--listing-clients fetch the whole listing (JSON, CSV) in a loop. Each --bin is run with its own
--source tree's migrations and web folder on a database of its own, --rounds times, alternating:

    python3 tests/bench/bench_profiles.py --autosave-during-listings \
        --bin /work/wt-before/build/examd --source /work/wt-before \
        --bin build-dev/examd --source . [--rounds 3] [--rate 150] [--seconds 15]
"""
import argparse
import datetime
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402
from harness import Examd, db_url, psql  # noqa: E402
from bench import SUBTOPICS, upload_gk_intermediate  # noqa: E402

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


# ---------------------------------------------------------------------------- autosave during listings
LISTINGS = [("JSON", "/api/v1/profiles"), ("CSV", "/api/v1/profiles?format=csv")]


class Target:
    """One examd build: its binary, its source tree (migrations, web folder) and a database of its own."""

    def __init__(self, binary, source, label=None):
        self.bin = os.path.abspath(binary)
        self.src = os.path.abspath(source)
        if not os.access(self.bin, os.X_OK):
            raise SystemExit("not an executable: %s" % self.bin)
        if not os.path.isdir(os.path.join(self.src, "migrations")):
            raise SystemExit("no migrations/ in %s" % self.src)
        git = subprocess.run(["git", "-C", self.src, "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True)
        self.commit = label or git.stdout.strip() or os.path.basename(self.src)
        self.database = None
        self.tokens = {}
        self.requests = []  # (attempt id, token, question id, type)

    def examd(self, env=None, workers=1):
        """Starts this build. The harness starts harness.BIN, so it is set for this build first."""
        harness.BIN = self.bin
        e = {"EXAMD_LOG_LEVEL": "warning", "EXAMD_MIGRATIONS_DIR": os.path.join(self.src, "migrations"),
             "EXAMD_WEB_DIR": os.path.join(self.src, "service", "web")}
        e.update(env or {})
        return Examd(database=self.database, env=e, workers=workers).start()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def log(msg):
    print("[asl %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def build_loadgen(work):
    out = os.path.join(work, "loadgen")
    libevent = subprocess.run(["pkg-config", "--cflags", "--libs", "libevent"], capture_output=True, text=True)
    subprocess.run(["cc", "-O2", "-std=gnu11", "-Wall", "-o", out, os.path.join(HERE, "loadgen.c")]
                   + libevent.stdout.split() + ["-lpthread", "-lm"], check=True)
    return out


def insert_sessions(app, users, salt):
    """A session per user, made in SQL (the token is known here: 'asl-USER-SALT', 16 characters or more as
    examd requires); returns the tokens."""
    app.sql("DELETE FROM sessions WHERE username IN (%s);"
            "INSERT INTO sessions (token_hash, username, expires_at, address) "
            "SELECT encode(sha256(convert_to('asl-' || u || '-%s', 'UTF8')), 'hex'), u, now() + interval '1 day', "
            "'127.0.0.1' FROM unnest(ARRAY[%s]) u"
            % (",".join("'%s'" % u for u in users), salt, ",".join("'%s'" % u for u in users)))
    return {u: "asl-%s-%s" % (u, salt) for u in users}


def prepare_target(t, args):
    """Fills the target's database once (args.employees employees, the question bank and the
    general_knowledge/intermediate blueprint), then gives each saver an open attempt through the API
    (POST /api/v1/attempts; a second run resumes the same attempt) and builds the save requests."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in t.commit).lower()
    t.database = "%s_%s" % (args.database, safe) if args.database else harness.fresh_database("asl")
    if args.database and not psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % t.database, db_url("postgres")):
        psql("CREATE DATABASE %s" % t.database, db_url("postgres"))
    app = t.examd()
    try:
        if not app.sql("SELECT 1 FROM users WHERE username = 'asl_hr'"):
            t0 = time.time()
            fill(app, args.employees)
            app.sql("INSERT INTO users (username, name, role, department, password_hash) VALUES "
                    "('asl_hr', '人事', 'hr', '人力资源部', '$scrypt$ln=10,r=8,p=1$x$y'), "
                    "('asl_trainer', '培训', 'trainer', '培训中心', '$scrypt$ln=10,r=8,p=1$x$y')")
            trainer = insert_sessions(app, ["asl_trainer"], "setup-%016x" % random.getrandbits(64))["asl_trainer"]
            upload_gk_intermediate(app, trainer)
            log("%s: database %s filled in %.1f s" % (t.commit, t.database, time.time() - t0))
        else:
            log("%s: database %s reused" % (t.commit, t.database))
        listed = int(app.sql("SELECT count(*) FROM users WHERE role = 'employee'"))
        if listed < 4 * args.savers:
            raise SystemExit("%d employees are too few for %d savers" % (listed, args.savers))
        # Savers: the grade-3 employees b2, b6, b10, ... (fill gives b<i> grade 1 + i % 4).
        savers = ["b%d" % (4 * k + 2) for k in range(args.savers)]
        salt = "%016x" % random.getrandbits(64)
        t.tokens = insert_sessions(app, savers + ["asl_hr"], salt)
        t.requests = []
        t0 = time.time()
        docs = []
        for u in savers:
            r = app.post("/api/v1/attempts", {"item": "general_knowledge"}, token=t.tokens[u])
            assert r.status in (200, 201), (u, r)
            docs.append((u, r.json))
        for pos in range(40):
            for u, doc in docs:
                q = doc["questions"][pos]
                t.requests.append((doc["attempt_id"], t.tokens[u], q["id"], q["type"]))
        log("%s: %d open attempts through the API in %.1f s; %d employees listed" %
            (t.commit, len(docs), time.time() - t0, listed))
    finally:
        app.stop()


def write_saves(t, app, work, label):
    """The save requests, question by question over all attempts, with a seq above every stored one (so
    each save writes)."""
    seq = int(app.sql("SELECT coalesce(max(seq), 0) + 1 FROM answers"))
    rnd = random.Random(seq)
    path = os.path.join(work, "saves-%s-%s.req" % (t.commit, label))
    with open(path, "w") as f:
        for aid, token, qid, qtype in t.requests:
            value = rnd.choice(["A", "B", "C", "D"]) if qtype == "single" else rnd.choice([True, False])
            f.write("PUT\t/api/v1/attempts/%s/answers/%s\t%s\t%s\n" %
                    (aid, qid, token, json.dumps({"answer": value, "seq": seq}, separators=(",", ":"))))
    return path


def run_saves(loadgen, app, path, args, label):
    p = subprocess.run([loadgen, "--port", str(app.port), "--label", label, "--requests", path,
                        "--connections", str(args.connections), "--threads", "1", "--rate", str(args.rate),
                        "--duration", str(args.seconds), "--warmup", "1"],
                       capture_output=True, text=True, timeout=args.seconds + 120)
    if p.returncode != 0:
        raise RuntimeError("loadgen failed (%s): %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout.strip().splitlines()[-1])


class ListingClient(threading.Thread):
    """Fetches one listing over a keep-alive connection until stopped; records each fetch's seconds."""

    def __init__(self, app, token, kind, path, stop):
        super().__init__(daemon=True)
        self.app, self.token, self.kind, self.path, self.stop = app, token, kind, path, stop
        self.times, self.errors, self.size = [], [], 0

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=120)
        while not self.stop.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("GET", self.path, headers={"Authorization": "Bearer " + self.token})
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(repr(e))
                time.sleep(0.1)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=120)
                continue
            if r.status != 200:
                self.errors.append(r.status)
                time.sleep(0.1)
                continue
            self.times.append(time.perf_counter() - t0)
            self.size = len(body)
        conn.close()


def thread_times(pid):
    """{thread id: (ns run on a CPU, ns waited on a run queue)} of a process, from /proc/PID/task/TID/schedstat."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                run, wait = f.read().split()[:2]
            out[int(tid)] = (int(run), int(wait))
        except (OSError, ValueError):
            pass
    return out


def delta(a, b, tid):
    """(ms run, ms waited) of one thread between two thread_times samples."""
    x, y = a.get(tid, (0, 0)), b.get(tid, (0, 0))
    return (y[0] - x[0]) / 1e6, (y[1] - x[1]) / 1e6


def measure(t, args, loadgen, work, rnd):
    """One measurement of one build: the listings alone (one each, after a warm-up), the saves alone, the
    saves while the listing clients run. Around each step the CPU time of examd's threads is sampled: the
    thread that ran the most during the saves alone is the worker's event loop (one worker), and its CPU
    time during one listing fetched alone is what that listing cost the loop."""
    out = {"target": t.commit, "round": rnd, "load_before": loadavg()}
    app = t.examd()
    pid = app.proc.pid
    try:
        hr = t.tokens["asl_hr"]
        alone, samples = {}, {}
        for kind, path in LISTINGS:
            app.get(path, token=hr, timeout=300)  # warm-up
            samples[kind + "0"] = thread_times(pid)
            t0 = time.perf_counter()
            r = app.get(path, token=hr, timeout=300)
            alone[kind] = time.perf_counter() - t0
            samples[kind + "1"] = thread_times(pid)
            assert r.status == 200, r
        out["listing_alone"] = alone
        path = write_saves(t, app, work, "alone-%d" % rnd)
        samples["alone0"] = thread_times(pid)
        out["alone"] = run_saves(loadgen, app, path, args, "alone")
        samples["alone1"] = thread_times(pid)
        path = write_saves(t, app, work, "listings-%d" % rnd)
        stop = threading.Event()
        clients = [ListingClient(app, hr, LISTINGS[k % 2][0], LISTINGS[k % 2][1], stop)
                   for k in range(args.listing_clients)]
        samples["during0"] = thread_times(pid)
        for c in clients:
            c.start()
        out["during"] = run_saves(loadgen, app, path, args, "during")
        samples["during1"] = thread_times(pid)
        stop.set()
        for c in clients:
            c.join(300)
        out["listings"] = {}
        for c in clients:
            d = out["listings"].setdefault(c.kind, {"times": [], "errors": []})
            d["times"] += c.times
            d["errors"] += c.errors
    finally:
        app.stop()
    loop = max(samples["alone1"], key=lambda tid: delta(samples["alone0"], samples["alone1"], tid)[0])
    others = [tid for tid in samples["alone1"] if tid != loop]
    out["threads"] = {}
    for kind, _ in LISTINGS:
        a, b = samples[kind + "0"], samples[kind + "1"]
        busiest = max(others, key=lambda tid: delta(a, b, tid)[0]) if others else None
        out["threads"]["listing " + kind] = {"loop_ms": delta(a, b, loop)[0],
                                             "other_max_ms": delta(a, b, busiest)[0] if busiest else 0.0}
    for phase in ("alone", "during"):
        run, wait = delta(samples[phase + "0"], samples[phase + "1"], loop)
        out["threads"]["saves " + phase] = {"loop_ms": run, "loop_wait_ms": wait}
    out["load_after"] = loadavg()
    return out


def pct_row(r):
    return "p50 %.1f / p99 %.1f / max %.1f ms, %d saves, %d errors" % (r["p50_ms"], r["p99_ms"], r["max_ms"],
                                                                     r["requests"], r["errors"])


def autosave_during_listings(args):
    labels = (args.label or []) + [None] * len(args.bin)
    targets = [Target(b, s, lb) for b, s, lb in zip(args.bin, args.source, labels)]
    work = tempfile.mkdtemp(prefix="examd-asl.")
    try:
        loadgen = args.loadgen or build_loadgen(work)
        log("load average %s; uptime: %s" % (loadavg(), subprocess.run(["uptime"], capture_output=True,
                                                                          text=True).stdout.strip()))
        for t in targets:
            prepare_target(t, args)
        results = []
        for rnd in range(args.rounds):
            # Alternate: each round starts with the next build, so a busy spell of the machine is spread.
            order = targets[rnd % len(targets):] + targets[:rnd % len(targets)]
            for t in order:
                m = measure(t, args, loadgen, work, rnd + 1)
                results.append(m)
                ls = m["listings"]
                log("%s round %d (load %s → %s)" % (t.commit, rnd + 1, m["load_before"], m["load_after"]))
                th = m["threads"]
                log("  listing alone: " + ", ".join(
                    "%s %.3f s (loop thread %.1f ms CPU, busiest other thread %.1f ms)" %
                    (k, v, th["listing " + k]["loop_ms"], th["listing " + k]["other_max_ms"])
                    for k, v in m["listing_alone"].items()))
                log("  loop thread in the save phases: alone %.0f ms CPU / %.0f ms waiting for a CPU, with "
                    "listings %.0f / %.0f ms" % (th["saves alone"]["loop_ms"], th["saves alone"]["loop_wait_ms"],
                                                 th["saves during"]["loop_ms"], th["saves during"]["loop_wait_ms"]))
                log("  saves alone:          " + pct_row(m["alone"]))
                log("  saves with listings:  " + pct_row(m["during"]))
                log("  listings meanwhile: " + ", ".join(
                    "%s %d × median %.3f s max %.3f s%s" % (k, len(v["times"]), statistics.median(v["times"]),
                                                            max(v["times"]),
                                                            " (%d errors)" % len(v["errors"]) if v["errors"] else "")
                    if v["times"] else "%s none (%s)" % (k, v["errors"][:3]) for k, v in sorted(ls.items())))
        summarize(targets, results, args)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    finally:
        if args.keep:
            log("scratch kept in %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def summarize(targets, results, args):
    def span(vals, fmt="%.1f"):
        vals = sorted(vals)
        return (fmt % vals[0]) if len(vals) == 1 else (fmt + "–" + fmt) % (vals[0], vals[-1])

    print()
    print("autosave @ %g/s over %d connections, %g s per phase, 1 worker, %d listing clients, %d rounds; "
          "spans are min–max over the rounds" % (args.rate, args.connections, args.seconds, args.listing_clients,
                                                 args.rounds))
    print("| build | saves alone p50 / p99 / max ms | saves during listings p50 / p99 / max ms | "
          "listing JSON s (alone; during: median, max) | listing CSV s (alone; during: median, max) | "
          "loop thread CPU ms per listing alone (JSON; CSV) | errors |")
    print("| --- | --- | --- | --- | --- | --- | ---: |")
    for t in targets:
        rs = [r for r in results if r["target"] == t.commit]
        cells = []
        for phase in ("alone", "during"):
            cells.append("%s / **%s** / %s" % (span([r[phase]["p50_ms"] for r in rs]),
                                               span([r[phase]["p99_ms"] for r in rs]),
                                               span([r[phase]["max_ms"] for r in rs])))
        for kind, _ in LISTINGS:
            during = [x for r in rs for x in r["listings"].get(kind, {}).get("times", [])]
            cells.append("%s; %s, %s (%d fetches)" % (
                span([r["listing_alone"][kind] for r in rs], "%.2f"),
                "%.2f" % statistics.median(during) if during else "–", "%.2f" % max(during) if during else "–",
                len(during)))
        cells.append("%s; %s" % (span([r["threads"]["listing JSON"]["loop_ms"] for r in rs]),
                                 span([r["threads"]["listing CSV"]["loop_ms"] for r in rs])))
        errors = sum(r[p]["errors"] for r in rs for p in ("alone", "during")) + \
            sum(len(v["errors"]) for r in rs for v in r["listings"].values())
        print("| %s | %s | %d |" % (t.commit, " | ".join(cells), errors))
    print("load average per measurement: " + "; ".join("%s r%d %s → %s" % (r["target"], r["round"], r["load_before"],
                                                                          r["load_after"]) for r in results))
    print("finished %s UTC" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"))



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--employees", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--database", help="reuse this database (filled on first use) instead of a fresh one; with "
                    "--autosave-during-listings, one per build: NAME_<commit>")
    ap.add_argument("--autosave-during-listings", action="store_true",
                    help="autosave latency on one worker, alone and while the whole listing is fetched in a loop")
    ap.add_argument("--bin", action="append", help="examd binary (repeat for several builds; default $EXAMD_BIN)")
    ap.add_argument("--source", action="append",
                    help="the source tree of the --bin at the same position: its migrations and web folder")
    ap.add_argument("--label", action="append", help="name of the --bin at the same position in the output and "
                    "its database (default: the commit checked out in its --source)")
    ap.add_argument("--savers", type=int, default=200, help="employees with an open attempt that save answers")
    ap.add_argument("--rate", type=float, default=150, help="saves per second, open loop")
    ap.add_argument("--connections", type=int, default=8, help="keep-alive connections of the saves")
    ap.add_argument("--seconds", type=float, default=15, help="measured seconds per phase (after 1 s warm-up)")
    ap.add_argument("--listing-clients", type=int, default=2, help="clients fetching the listing: JSON, CSV, JSON, ...")
    ap.add_argument("--rounds", type=int, default=3, help="measurements per build, alternating builds")
    ap.add_argument("--loadgen", help="a compiled tests/bench/loadgen.c (default: compiled here with cc)")
    ap.add_argument("--json", help="write every measurement's figures to this file")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder (request files)")
    args = ap.parse_args()
    args.bin = args.bin or [harness.BIN]
    args.source = args.source or [harness.SRC]
    if len(args.bin) != len(args.source):
        ap.error("give one --source per --bin")
    if args.autosave_during_listings:
        autosave_during_listings(args)
        return
    target = Target(args.bin[0], args.source[0])
    if args.database:
        psql("SELECT 1", db_url("postgres"))
        if not psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % args.database, db_url("postgres")):
            psql("CREATE DATABASE %s" % args.database, db_url("postgres"))
    target.database = args.database
    app = target.examd(workers=2)
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
                            ("one profile", "/api/v1/employees/b42/profile"),
                            ("rater quality (all)", "/api/v1/raters/quality"),
                            ("rater quality (one department)",
                             "/api/v1/raters/quality?department=%E6%94%BF%E4%BC%81%E5%AE%A2%E6%88%B7%E9%83%A83")]:
            best, median, size = timed(app, token, path, args.runs)
            print("%-34s %10.3f %10.3f %10d" % (label, best, median, size))
    finally:
        app.stop()


if __name__ == "__main__":
    main()
