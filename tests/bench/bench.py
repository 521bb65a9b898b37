"""examd load benchmark (issue #8): scenarios against the real examd, each next to a ceiling measured
in the same run, printed as one table; one row per scenario is appended to tests/bench/RESULTS.md
(the details stay in the scratch folder).

Normally started by tests/bench/run.sh, which builds examd, compiles the load generator and the hello
server, and starts a throwaway PostgreSQL (fsync on). Direct use:

    python3 tests/bench/bench.py --pg postgresql://postgres@127.0.0.1:PORT/postgres \
        --bin build/examd --tools DIR_WITH_loadgen_AND_hello --work DIR [scenario ...]

Scenarios (default: all but profile): healthz autosave storm connections login hr-listing; profile
(callgrind + perf of a short autosave run) only when named. Nothing here asserts on time: the table
reports figures, ratios and whether each goal is met on this run.
"""
import argparse
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
harness = None  # imported in main() once EXAMD_TEST_PG and EXAMD_BIN are set: it reads them at import

ALL = ["healthz", "autosave", "storm", "connections", "login", "hr-listing"]
SUBTOPICS = ["telecom_industry_overview", "company_overview", "laws_and_regulations", "company_rules_and_policies"]
PASSWORD = "bench-password-2026"


def upload_gk_intermediate(app, trainer):
    """The benchmarks' exam: 80 general_knowledge questions at intermediate (10 single-choice and 10
    true/false per subtopic) and its blueprint drawing 40 of them (10 per subtopic)."""
    rows = ["external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation"]
    for s in SUBTOPICS:
        for i in range(10):
            rows.append("S-%s-%d,general_knowledge,%s,intermediate,single,%s 单选题 %d,甲,乙,丙,丁,B,1,解析"
                        % (s, i, s, s, i))
            rows.append("T-%s-%d,general_knowledge,%s,intermediate,truefalse,%s 判断题 %d,,,,,true,1,解析"
                        % (s, i, s, s, i))
    r = app.request("POST", "/api/v1/banks", raw=("\n".join(rows) + "\n").encode(), token=trainer,
                    headers={"Content-Type": "text/csv"})
    assert r.status == 200, r
    body = {"time_limit_seconds": 86400, "max_attempts": 100, "grading": "highest",
            "draws": [{"subtopic": s, "level": "intermediate", "count": 10} for s in SUBTOPICS]}
    r = app.request("PUT", "/api/v1/blueprints/general_knowledge/intermediate", body, token=trainer)
    assert r.status == 200, r


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# ---------------------------------------------------------------------------- CPU accounting
def _proc_stat(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            parts = f.read().rsplit(")", 1)[1].split()
        # ppid, utime + stime, and cutime + cstime (the reaped children: exited backends)
        return int(parts[1]), int(parts[11]) + int(parts[12]), int(parts[13]) + int(parts[14])
    except (OSError, IndexError, ValueError):
        return None


def _all_procs():
    out = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _proc_stat(int(name))
            if st:
                out[int(name)] = st
    return out


class CpuMeter:
    """CPU seconds used by examd, by the PostgreSQL cluster (postmaster and its children) and by the
    load generators between start() and stop(). Exited backends count through the postmaster's cutime."""

    def __init__(self, ctx, examd_pid=None):
        self.ctx, self.examd_pid = ctx, examd_pid
        self.tick = os.sysconf("SC_CLK_TCK")

    def _sample(self):
        procs = _all_procs()
        pm = self.ctx.postmaster_pid()
        pg = sum(t for pid, (ppid, t, _) in procs.items() if ppid == pm) + (sum(procs[pm][1:]) if pm in procs else 0)
        ex = procs.get(self.examd_pid, (0, 0, 0))[1] if self.examd_pid else 0
        return {"examd": ex, "postgres": pg}

    def start(self):
        self.a = self._sample()
        self.t0 = time.time()

    def stop(self):
        b = self._sample()
        self.seconds = time.time() - self.t0
        self.cpu = {k: (b[k] - self.a[k]) / self.tick for k in b}
        return self.cpu


# ---------------------------------------------------------------------------- context
class Ctx:
    def __init__(self, args):
        self.args = args
        self.pg = args.pg
        self.tools = args.tools
        self.work = args.work
        os.makedirs(self.work, exist_ok=True)
        self.salt = "%08x" % random.getrandbits(32)
        self.db = None
        self.workers = args.workers
        self.rows = []
        self.notes = []
        self.prepared = set()
        self.attempt_lines = None
        self.hello = None

    # --- PostgreSQL
    def postmaster_pid(self):
        if not self.args.pgdata:
            return None
        try:
            with open(os.path.join(self.args.pgdata, "postmaster.pid")) as f:
                return int(f.readline())
        except (OSError, ValueError):
            return None

    def sql(self, statement, timeout=600):
        return harness.psql(statement, harness.db_url(self.db, self.pg), timeout=timeout)

    # --- examd
    def examd(self, label, env=None):
        e = {"EXAMD_LOG_LEVEL": self.args.log_level, "EXAMD_SCRYPT_LOG2N": "15",
             "EXAMD_LOG_FILE": os.path.join(self.work, "examd-%s.log" % label)}
        e.update(env or {})
        app = harness.Examd(database=self.db, env=e, workers=self.workers)
        app.start()
        return app

    # --- load generator
    def loadgen(self, port, label, *, path=None, requests=None, connections=16, duration=None, warmup=0,
                rate=0, once=False, hold=0, ping=20, connect_rate=2000, threads=2, background=False):
        cmd = [os.path.join(self.tools, "loadgen"), "--port", str(port), "--label", label,
               "--connections", str(connections), "--threads", str(threads)]
        cmd += ["--path", path] if path else ["--requests", requests]
        if once:
            cmd += ["--once"]
        else:
            cmd += ["--duration", str(duration), "--warmup", str(warmup)]
        if rate:
            cmd += ["--rate", str(rate)]
        if hold:
            cmd += ["--hold", str(hold), "--ping", str(ping), "--connect-rate", str(connect_rate)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if background:
            return p
        return self.loadgen_result(p)

    @staticmethod
    def loadgen_result(p):
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("loadgen failed (%s): %s" % (p.returncode, err))
        return json.loads(out.strip().splitlines()[-1])

    def add_row(self, scenario, throughput, unit, p50, p99, errors, ceiling, ratio, goal, met, detail=""):
        self.rows.append({"scenario": scenario, "throughput": throughput, "unit": unit, "p50": p50, "p99": p99,
                          "errors": errors, "ceiling": ceiling, "ratio": ratio, "goal": goal, "met": met,
                          "detail": detail})

    def note(self, text):
        log(text)
        self.notes.append(text)


# ---------------------------------------------------------------------------- data
def token_for(ctx, username):
    return "bench-%s-%s" % (username, ctx.salt)


def write_requests(ctx, name, lines):
    path = os.path.join(ctx.work, name)
    with open(path, "w") as f:
        for method, p, token, body in lines:
            f.write("%s\t%s\t%s\t%s\n" % (method, p, token or "-", body or "-"))
    return path


def prepare_base(ctx):
    """A fresh database with a question bank (80 questions: 4 subtopics x 10 single + 10 true/false at
    intermediate) and the general_knowledge/intermediate blueprint drawing 40 of them."""
    if "base" in ctx.prepared:
        return
    ctx.db = harness.fresh_database("bench")
    log("database %s" % ctx.db)
    app = ctx.examd("setup")
    try:
        app.add_user("bench_trainer", "trainer", password=PASSWORD)
        trainer = app.login("bench_trainer", PASSWORD)
        upload_gk_intermediate(app, trainer)
        # The pgbench ceiling's table: the shape of answers, no triggers, no foreign keys.
        ctx.sql("CREATE TABLE bench_answers (attempt_id bigint, question_id bigint, answer jsonb NOT NULL,"
                " seq bigint NOT NULL DEFAULT 0, saved_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (attempt_id, question_id))")
    finally:
        app.stop()
    ctx.prepared.add("base")


def add_employees(ctx, prefix, n, hash_from=None):
    """n grade-3 employees PREFIX1..PREFIXn inserted with SQL, each with a session (token_for)."""
    t0 = time.time()
    pw = "(SELECT password_hash FROM users WHERE username = '%s')" % hash_from if hash_from else \
        "'$scrypt$ln=10,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'"
    ctx.sql("""
        INSERT INTO users (username, name, role, department, password_hash)
          SELECT '{p}' || i, 'bench ' || i, 'employee', '政企客户部' || (i % 10), {pw}
          FROM generate_series(1, {n}) i;
        INSERT INTO user_grades (username, grade, effective_from)
          SELECT '{p}' || i, 3, now() - interval '1 day' FROM generate_series(1, {n}) i;
        INSERT INTO sessions (token_hash, username, expires_at, address)
          SELECT encode(sha256(convert_to('bench-{p}' || i || '-{salt}', 'UTF8')), 'hex'), '{p}' || i,
                 now() + interval '1 day', '127.0.0.1'
          FROM generate_series(1, {n}) i;
        ANALYZE users; ANALYZE user_grades; ANALYZE sessions;
    """.format(p=prefix, n=n, salt=ctx.salt, pw=pw))
    log("%d employees '%s*' with sessions in %.1f s" % (n, prefix, time.time() - t0))


def prepare_autosave(ctx):
    """ctx.args.employees employees (a1..aN), each with an open 40-question attempt started by the same SQL
    function examd uses; the request file cycles question by question over all attempts."""
    if "autosave" in ctx.prepared:
        return
    prepare_base(ctx)
    n = ctx.args.employees
    add_employees(ctx, "a", n)
    t0 = time.time()
    for lo in range(1, n + 1, 500):
        # p_now as examd passes it: every bench employee holds grade 3, which requires intermediate.
        ctx.sql("SELECT count(examd_attempt_start('a' || i, 'general_knowledge', 10,"
                " jsonb_build_object('grades', jsonb_build_object('a' || i, 3),"
                "                    'levels', '{\"3\": {\"general_knowledge\": \"intermediate\"}}'::jsonb,"
                "                    'version', 1))) "
                "FROM generate_series(%d, %d) i" % (lo, min(n, lo + 499)))
    ctx.sql("ANALYZE attempts; ANALYZE attempt_questions")
    rows = ctx.sql("SELECT a.id, a.username, q.question_id, q.type, q.position FROM attempts a "
                   "JOIN attempt_questions q ON q.attempt_id = a.id "
                   "WHERE a.username ~ '^a[0-9]+$' AND a.status = 'open' ORDER BY q.position, a.id")
    by_pos = {}
    for line in rows.splitlines():
        aid, user, qid, qtype, pos = line.split("|")
        by_pos.setdefault(int(pos), []).append((aid, user, qid, qtype))
    rnd = random.Random(8)
    order = None
    lines = []
    for pos in sorted(by_pos):
        entries = by_pos[pos]
        if order is None:
            order = list(range(len(entries)))
            rnd.shuffle(order)
        for k in order:
            aid, user, qid, qtype = entries[k]
            value = rnd.choice(["A", "B", "C", "D"]) if qtype == "single" else rnd.choice([True, False])
            lines.append(("PUT", "/api/v1/attempts/%s/answers/%s" % (aid, qid), token_for(ctx, user),
                          json.dumps({"answer": value, "seq": pos}, separators=(",", ":"))))
    ctx.autosave_file = write_requests(ctx, "autosave.req", lines)
    log("%d open attempts, %d answer slots, in %.1f s" % (len(order or []), len(lines), time.time() - t0))
    ctx.prepared.add("autosave")


# ---------------------------------------------------------------------------- ceilings
def pgbench(ctx, clients, seconds, label, rate=None, rows=1):
    """The durable-write ceiling: a bare upsert of the autosave's shape, synchronous_commit on.
    rows > 1: that many rows per transaction (one multi-row upsert, questions 1..rows of random
    attempts: what an ideal batcher of saves would send); tps then counts transactions, "rows_per_s"
    rows. With rate: open loop at that many transactions per second, latency counted from the scheduled
    start (pgbench's schedule lag added), like the load generator's open loop."""
    script = os.path.join(ctx.work, "upsert-%d.sql" % rows)
    with open(script, "w") as f:
        if rows == 1:
            f.write("\\set a random(1, %d)\n\\set q random(1, 40)\n"
                    "INSERT INTO bench_answers AS s (attempt_id, question_id, answer, seq, saved_at)"
                    " VALUES (:a, :q, '\"B\"'::jsonb, 1, clock_timestamp())"
                    " ON CONFLICT (attempt_id, question_id) DO UPDATE"
                    " SET answer = EXCLUDED.answer, seq = EXCLUDED.seq, saved_at = EXCLUDED.saved_at"
                    " WHERE s.seq <= EXCLUDED.seq;\n" % ctx.args.employees)
        else:
            for k in range(rows):
                f.write("\\set a%d random(1, %d)\n" % (k, ctx.args.employees))
            f.write("INSERT INTO bench_answers AS s (attempt_id, question_id, answer, seq, saved_at) VALUES "
                    + ", ".join("(:a%d, %d, '\"B\"'::jsonb, 1, clock_timestamp())" % (k, k + 1) for k in range(rows))
                    + " ON CONFLICT (attempt_id, question_id) DO UPDATE"
                    " SET answer = EXCLUDED.answer, seq = EXCLUDED.seq, saved_at = EXCLUDED.saved_at"
                    " WHERE s.seq <= EXCLUDED.seq;\n")
    logdir = os.path.join(ctx.work, "pgbench-%s" % label)
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    url = harness.db_url(ctx.db, ctx.pg)
    p = subprocess.run(["pgbench", "-n", "-M", "extended", "-c", str(clients), "-j", str(min(clients, 2)),
                        "-T", str(int(seconds)), "-f", script, "-l", "--log-prefix", os.path.join(logdir, "tx")]
                       + (["-R", str(rate)] if rate else []) + [url],
                       capture_output=True, text=True, timeout=seconds + 120)
    if p.returncode != 0:
        raise RuntimeError("pgbench failed: %s" % p.stderr)
    tps = float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout).group(1))
    lat = []
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    # client, transaction, latency us, script, epoch s, us[, schedule lag us]
                    lat.append(int(parts[2]) + (int(parts[6]) if rate and len(parts) >= 7 else 0))
    lat.sort()

    def pct(q):
        return lat[max(0, int(q * len(lat) + 0.999999) - 1)] / 1000.0 if lat else 0.0
    failed = re.search(r"number of failed transactions: (\d+)", p.stdout)
    return {"tps": tps, "rows_per_s": tps * rows, "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "errors": int(failed.group(1)) if failed else 0, "n": len(lat)}


def start_hello(ctx):
    port = harness.free_port()
    p = subprocess.Popen([os.path.join(ctx.tools, "hello"), "--port", str(port), "--workers", str(ctx.workers)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if "listening" not in line:
        raise RuntimeError("hello did not start: %s" % p.stderr.read())
    return p, port


def scrypt_ceiling(ctx):
    """Logins/s the hashing threads could do at most: hash threads (at most the cores) / one scrypt
    (2^15, r=8, p=1: examd's production cost) timed here with OpenSSL through hashlib."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        hashlib.scrypt(b"x" * 16, salt=b"s" * 16, n=1 << 15, r=8, p=1, maxmem=128 << 20, dklen=32)
        times.append(time.perf_counter() - t0)
    one = min(times)
    threads = min(ctx.args.hash_threads, os.cpu_count() or 1)
    return threads / one, one


def wal_snapshot(ctx):
    """Cluster-wide WAL records and bytes, and this database's commits (pg_stat_wal, pg_stat_database:
    backends report when they exit, so take it after the clients are gone)."""
    time.sleep(0.5)
    row = ctx.sql("SELECT w.wal_records, w.wal_bytes, d.xact_commit FROM pg_stat_wal w, pg_stat_database d "
                  "WHERE d.datname = current_database()")
    rec, byt, xc = row.split("|")
    return int(rec), int(byt), int(xc)


def wal_per_op(a, b, ops):
    ops = max(1, ops)
    # the snapshot query itself commits once
    return (b[0] - a[0]) / ops, (b[1] - a[1]) / ops, (b[2] - a[2] - 1) / ops


def rss_kb(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def save_metrics(ctx, app, label):
    """examd's own /metrics after a scenario (server-side latency histograms by route), kept in the
    scratch folder for diagnosis."""
    try:
        body = app.get("/metrics", timeout=10).body.decode()
    except OSError as e:
        body = "unavailable: %s" % e
    with open(os.path.join(ctx.work, "metrics-%s.txt" % label), "w") as f:
        f.write(body)


def metric_values(app, *names):
    """examd's counters by name (0 when absent or unreadable)."""
    try:
        body = app.get("/metrics", timeout=10).body.decode()
    except OSError:
        return [0] * len(names)
    values = {}
    for line in body.splitlines():
        parts = line.split()
        if len(parts) == 2 and not line.startswith("#"):
            values[parts[0]] = float(parts[1])
    return [values.get(n, 0) for n in names]


def fmt_ms(v):
    return "%.1f" % v if v >= 10 else "%.2f" % v


# ---------------------------------------------------------------------------- scenarios
def scenario_healthz(ctx):
    """GET /healthz on examd against the same GET on the hello server (same workers, same load),
    alternating rounds so background load hits both alike."""
    prepare_base(ctx)
    a = ctx.args
    per = max(3, a.duration / a.rounds)
    res = {"hello": [], "examd": [], "quiet": []}
    for rnd in range(a.rounds):
        hp, hport = start_hello(ctx)
        try:
            res["hello"].append(ctx.loadgen(hport, "hello", path="/healthz", connections=a.http_connections,
                                            duration=per, warmup=1))
        finally:
            hp.terminate()
            hp.wait()
        app = ctx.examd("healthz")
        try:
            res["examd"].append(ctx.loadgen(app.port, "healthz", path="/healthz", connections=a.http_connections,
                                            duration=per, warmup=1))
        finally:
            app.stop()
        if a.compare_log:
            app = ctx.examd("healthz-quiet", {"EXAMD_LOG_LEVEL": "warning"})
            try:
                res["quiet"].append(ctx.loadgen(app.port, "healthz", path="/healthz",
                                                connections=a.http_connections, duration=per, warmup=1))
            finally:
                app.stop()
    hello = sum(r["ok_rps"] for r in res["hello"]) / len(res["hello"])
    ex = sum(r["ok_rps"] for r in res["examd"]) / len(res["examd"])
    last = res["examd"][-1]
    ratio = ex / hello if hello else 0
    ctx.add_row("healthz", ex, "req/s", last["p50_ms"], last["p99_ms"], sum(r["errors"] for r in res["examd"]),
                "hello %.0f req/s" % hello, ratio, "≥ 0.8× hello", ratio >= 0.8,
                "%d connections, %d rounds of %.0f s; hello p50/p99 %s/%s ms; examd rounds %s, hello rounds %s"
                % (a.http_connections, a.rounds, per, fmt_ms(res["hello"][-1]["p50_ms"]),
                   fmt_ms(res["hello"][-1]["p99_ms"]), [round(r["ok_rps"]) for r in res["examd"]],
                   [round(r["ok_rps"]) for r in res["hello"]]))
    if res["quiet"]:
        q = sum(r["ok_rps"] for r in res["quiet"]) / len(res["quiet"])
        ctx.add_row("healthz, log level warning (comparison)", q, "req/s", res["quiet"][-1]["p50_ms"],
                    res["quiet"][-1]["p99_ms"], sum(r["errors"] for r in res["quiet"]), "hello %.0f req/s" % hello,
                    q / hello if hello else 0, "(what the access log costs)", None,
                    "the same runs with EXAMD_LOG_LEVEL=warning (no access-log line per request); rounds %s"
                    % [round(r["ok_rps"]) for r in res["quiet"]])


def scenario_autosave(ctx):
    """Saves over all open attempts with the owners' tokens, saturated (closed loop, C connections)
    against pgbench with C clients, alternating rounds; then an open-loop run at a fixed rate for latency."""
    prepare_autosave(ctx)
    a = ctx.args
    per = max(3, a.duration / a.rounds)
    pg, pg16, ex, cpu, quiet = [], [], [], [], []
    for rnd in range(a.rounds):
        # The ideal batcher: 16 rows per transaction, on as many clients.
        pg16.append(pgbench(ctx, a.autosave_connections, per, "r%d-16" % rnd, rows=16))
        meter = CpuMeter(ctx)
        w0 = wal_snapshot(ctx)
        meter.start()
        pg.append(pgbench(ctx, a.autosave_connections, per, "r%d" % rnd))
        pg[-1]["wal"] = wal_per_op(w0, wal_snapshot(ctx), pg[-1]["n"])
        pg[-1]["pg_cpu_per_1000"] = meter.stop()["postgres"] / meter.seconds / max(1.0, pg[-1]["tps"]) * 1000
        w0 = wal_snapshot(ctx)
        app = ctx.examd("autosave")
        try:
            meter = CpuMeter(ctx, app.proc.pid)
            meter.start()
            ex.append(ctx.loadgen(app.port, "autosave", requests=ctx.autosave_file,
                                  connections=a.autosave_connections, duration=per, warmup=1))
            cpu.append((meter.stop(), meter.seconds))
            # Of the saves checked in memory, those that went without reading their session (trusted
            # from memory, issue #20); warm-up included.
            trusted, checked = metric_values(app, "examd_autosave_trusted_total", "examd_autosave_checked_total")
            ex[-1]["trusted_share"] = trusted / checked if checked else 0
        finally:
            app.stop()
        ex[-1]["wal"] = wal_per_op(w0, wal_snapshot(ctx), ex[-1]["completed"])
        if a.compare_log:
            app = ctx.examd("autosave-quiet", {"EXAMD_LOG_LEVEL": "warning"})
            try:
                quiet.append(ctx.loadgen(app.port, "autosave", requests=ctx.autosave_file,
                                         connections=a.autosave_connections, duration=per, warmup=1))
            finally:
                app.stop()
    ceiling = sum(r["tps"] for r in pg) / len(pg)
    ceiling16 = sum(r["rows_per_s"] for r in pg16) / len(pg16)
    saves = sum(r["ok_rps"] for r in ex) / len(ex)
    last = ex[-1]
    ratio = saves / ceiling if ceiling else 0
    errors = sum(r["errors"] for r in ex)
    c, wall = cpu[-1]
    per_req = max(1.0, last["ok_rps"]) * wall / 1000.0  # thousands of saves over the metered time
    ctx.add_row("autosave (saturated)", saves, "saves/s", last["p50_ms"], last["p99_ms"], errors,
                "pgbench %.0f tx/s" % ceiling, ratio, "≥ 0.5× pgbench", ratio >= 0.5,
                "%d connections = %d pgbench clients; pgbench p50/p99 %s/%s ms; rounds examd %s, pgbench %s; "
                "CPU per 1000 saves: examd %.2f s, postgres %.2f s (pgbench's upsert: postgres %.2f s per 1000); "
                "per save %.1f WAL records, %.0f WAL bytes, %.2f commits (pgbench's upsert: %.1f records, "
                "%.0f bytes, %.2f commits); saves checked in memory that were trusted (no session read) %s"
                % (a.autosave_connections, a.autosave_connections, fmt_ms(pg[-1]["p50_ms"]), fmt_ms(pg[-1]["p99_ms"]),
                   [round(r["ok_rps"]) for r in ex], [round(r["tps"]) for r in pg],
                   c["examd"] / per_req, c["postgres"] / per_req, pg[-1]["pg_cpu_per_1000"],
                   ex[-1]["wal"][0], ex[-1]["wal"][1], ex[-1]["wal"][2], pg[-1]["wal"][0], pg[-1]["wal"][1],
                   pg[-1]["wal"][2], ["%.0f %%" % (100 * r.get("trusted_share", 0)) for r in ex]))
    ratio16 = saves / ceiling16 if ceiling16 else 0
    ctx.add_row("autosave (saturated) vs 16-row upserts", saves, "saves/s", last["p50_ms"], last["p99_ms"], errors,
                "pgbench 16 rows/tx %.0f rows/s" % ceiling16, ratio16, "≥ 0.5× the 16-row ceiling", ratio16 >= 0.5,
                "the same examd rounds against pgbench upserting 16 rows per transaction (what an ideal batcher of "
                "saves gets from this PostgreSQL) with %d clients; rounds %s rows/s"
                % (a.autosave_connections, [round(r["rows_per_s"]) for r in pg16]))
    if quiet:
        q = sum(r["ok_rps"] for r in quiet) / len(quiet)
        ctx.add_row("autosave (saturated), log level warning (comparison)", q, "saves/s", quiet[-1]["p50_ms"],
                    quiet[-1]["p99_ms"], sum(r["errors"] for r in quiet), "pgbench %.0f tx/s" % ceiling,
                    q / ceiling if ceiling else 0, "(what the access log costs)", None,
                    "the same rounds with EXAMD_LOG_LEVEL=warning; rounds %s" % [round(r["ok_rps"]) for r in quiet])
    # Latency at a load examd sustains: the goal's throughput (half the ceiling) unless examd cannot
    # carry it, then 75% of what it did carry.
    rate = a.autosave_rate or round(min(0.5 * ceiling, 0.75 * saves))
    app = ctx.examd("autosave-rate")
    try:
        r = ctx.loadgen(app.port, "autosave-rate", requests=ctx.autosave_file, connections=a.open_connections,
                        duration=a.duration, warmup=1, rate=rate)
    finally:
        app.stop()
    ctx.autosave_alone = r
    # The durable-write path alone at the same rate and concurrency: its tail is a floor for examd's.
    pr = pgbench(ctx, a.open_connections, a.duration, "rate", rate=rate)
    ctx.add_row("autosave @ %d/s (open loop)" % rate, r["ok_rps"], "saves/s", r["p50_ms"], r["p99_ms"], r["errors"],
                "pgbench at the same rate: p50 %s, p99 %s ms" % (fmt_ms(pr["p50_ms"]), fmt_ms(pr["p99_ms"])), None,
                "p99 ≤ 1.5× pgbench's p99", r["p99_ms"] <= 1.5 * pr["p99_ms"] and r["errors"] == 0,
                "p99 ratio to pgbench's %.2f; rate = min(0.5 × ceiling, 0.75 × saturated); latency counted from the scheduled send time; "
                "p99.9 %s ms, max %s ms; pgbench's upsert at the same rate with %d clients: %.0f tx/s, "
                "p50/p99 %s/%s ms (schedule lag included)"
                % (r["p99_ms"] / pr["p99_ms"] if pr["p99_ms"] else 0, fmt_ms(r["p999_ms"]), fmt_ms(r["max_ms"]),
                   a.open_connections, pr["tps"], fmt_ms(pr["p50_ms"]), fmt_ms(pr["p99_ms"])))


def scenario_storm(ctx):
    """N employees start the 40-question exam once each, as fast as C connections allow."""
    prepare_base(ctx)
    a = ctx.args
    n = a.storm
    prefix = "s%d_" % (len([x for x in ctx.prepared if x.startswith("storm")]) + 1)
    add_employees(ctx, prefix, n)
    ctx.prepared.add("storm" + prefix)
    lines = [("POST", "/api/v1/attempts", token_for(ctx, "%s%d" % (prefix, i)), '{"item":"general_knowledge"}')
             for i in range(1, n + 1)]
    path = write_requests(ctx, "storm.req", lines)
    app = ctx.examd("storm")
    try:
        meter = CpuMeter(ctx, app.proc.pid)
        meter.start()
        r = ctx.loadgen(app.port, "storm", requests=path, connections=a.storm_connections, once=True)
        c = meter.stop()
    finally:
        app.stop()
    created = int(ctx.sql("SELECT count(*) FROM attempts WHERE username ~ '^%s'" % prefix))
    starts = r["status"].get("201", 0) / r["seconds"] if r["seconds"] else 0
    goal_rate = 20000 / 60.0
    ctx.add_row("exam-start storm (%d)" % n, starts, "starts/s", r["p50_ms"], r["p99_ms"], r["errors"],
                "20,000 in 60 s = 333/s", starts / goal_rate, "≥ 333/s", starts >= goal_rate,
                "%d connections; %d attempts created in %.1f s (20,000 would take ~%.0f s); statuses %s; "
                "CPU per 1000 starts: examd %.2f s, postgres %.2f s"
                % (a.storm_connections, created, r["seconds"], 20000 / starts if starts else float("inf"),
                   r["status"], c["examd"] / (n / 1000.0), c["postgres"] / (n / 1000.0)))


def scenario_connections(ctx):
    """Many idle keep-alive connections (each pinging /healthz every 20 s, inside examd's 30 s idle
    timeout) held while a steady open-loop autosave load runs; examd's RSS from /proc."""
    prepare_autosave(ctx)
    a = ctx.args
    n = a.connections
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    except Exception:  # pragma: no cover
        soft = hard = 1 << 20
    cap = soft - 256
    if n > cap:
        ctx.note("connections: the open-files limit here is %d (hard %d; cannot be raised in this container), "
                 "so %d connections were held instead of %d" % (soft, hard, cap, n))
        n = cap
    rate = a.steady_rate
    app = ctx.examd("connections")
    try:
        pid = app.proc.pid
        base_rss = rss_kb(pid)
        alone = ctx.loadgen(app.port, "steady", requests=ctx.autosave_file, connections=a.open_connections,
                            duration=max(5, a.duration / 2), warmup=1, rate=rate)
        rss_alone = rss_kb(pid)
        ramp = n / a.connect_rate + 3
        peak = {"VmRSS": 0}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                v = rss_kb(pid).get("VmRSS", 0)
                peak["VmRSS"] = max(peak["VmRSS"], v)
                time.sleep(0.5)
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        r = ctx.loadgen(app.port, "steady+held", requests=ctx.autosave_file, connections=a.open_connections, duration=a.duration,
                        warmup=ramp, rate=rate, hold=n, connect_rate=a.connect_rate)
        stop.set()
        th.join()
        rss_held = rss_kb(pid)
    finally:
        app.stop()
    h = r["hold"]
    per_conn = (peak["VmRSS"] - rss_alone.get("VmRSS", 0)) / max(1, h["open_at_end"])
    ok = r["p99_ms"] <= 20 and r["errors"] == 0 and h["ok_at_end"] == n
    ctx.add_row("connections (%d held) + autosave @ %d/s" % (n, rate), r["ok_rps"], "saves/s", r["p50_ms"],
                r["p99_ms"], r["errors"] + (n - h["ok_at_end"]),
                "same load without them: p99 %s ms" % fmt_ms(alone["p99_ms"]), None, "all held, p99 ≤ 20 ms", ok,
                "held open at end %d/%d (answering %d), server-closed reconnects %d, ping p99 %s ms; examd RSS "
                "%.1f MB idle → %.1f MB with steady load → peak %.1f MB with %d held (≈ %.1f kB per connection; "
                "VmHWM %.1f MB)"
                % (h["open_at_end"], n, h["ok_at_end"], r["reconnects"], fmt_ms(h["ping_p99_ms"]),
                   base_rss.get("VmRSS", 0) / 1024, rss_alone.get("VmRSS", 0) / 1024, peak["VmRSS"] / 1024, n,
                   per_conn, rss_held.get("VmHWM", 0) / 1024))


def scenario_login(ctx):
    """Logins (scrypt 2^15, hashes that examd user add made) as fast as C connections allow, while an
    open-loop autosave load runs; the same autosave load alone first, for comparison."""
    prepare_autosave(ctx)
    a = ctx.args
    prefix = "l"
    if "login" not in ctx.prepared:
        app = ctx.examd("login-setup")
        try:
            app.add_user("lproto", "employee", grade=3, password=PASSWORD)
        finally:
            app.stop()
        add_employees(ctx, prefix, a.login_users, hash_from="lproto")
        ctx.prepared.add("login")
    lines = [("POST", "/api/v1/login", None,
              json.dumps({"username": "%s%d" % (prefix, i), "password": PASSWORD}, separators=(",", ":")))
             for i in range(1, a.login_users + 1)]
    path = write_requests(ctx, "login.req", lines)
    ceiling, one = scrypt_ceiling(ctx)
    rate = a.steady_rate
    env = {"EXAMD_HASH_THREADS": str(a.hash_threads)}
    app = ctx.examd("login", env)
    try:
        alone = ctx.loadgen(app.port, "steady", requests=ctx.autosave_file, connections=a.open_connections,
                            duration=max(5, a.duration / 2), warmup=1, rate=rate)
        meter = CpuMeter(ctx, app.proc.pid)
        meter.start()
        bg = ctx.loadgen(app.port, "steady+logins", requests=ctx.autosave_file, connections=a.open_connections,
                         duration=a.duration, warmup=2, rate=rate, background=True)
        lg = ctx.loadgen(app.port, "logins", requests=path, connections=a.login_connections,
                         duration=a.duration, warmup=2)
        during = Ctx.loadgen_result(bg)
        c = meter.stop()
        save_metrics(ctx, app, "login")
    finally:
        app.stop()
    ratio = lg["ok_rps"] / ceiling if ceiling else 0
    ctx.add_row("login storm (scrypt 2^15)", lg["ok_rps"], "logins/s", lg["p50_ms"], lg["p99_ms"], lg["errors"],
                "scrypt %.1f/s (%d threads × 1/%.0f ms)" % (ceiling, min(a.hash_threads, os.cpu_count() or 1),
                                                             one * 1000),
                ratio, "≈ scrypt ceiling", ratio >= 0.8,
                "%d connections over %d users, EXAMD_HASH_THREADS=%d; statuses %s; CPU during the storm: examd "
                "%.0f%%, postgres %.0f%% of one core"
                % (a.login_connections, a.login_users, a.hash_threads, lg["status"],
                   100 * c["examd"] / meter.seconds, 100 * c["postgres"] / meter.seconds))
    ctx.add_row("autosave @ %d/s during login storm" % rate, during["ok_rps"], "saves/s", during["p50_ms"],
                during["p99_ms"], during["errors"], "same load alone: p99 %s ms" % fmt_ms(alone["p99_ms"]),
                None, "p99 ≤ 20 ms",
                during["p99_ms"] <= 20 and during["errors"] == 0,
                "alone p50 %s ms; during the storm p99.9 %s ms, max %s ms"
                % (fmt_ms(alone["p50_ms"]), fmt_ms(during["p999_ms"]), fmt_ms(during["max_ms"])))


def scenario_hr(ctx):
    """tests/bench/bench_profiles.py with a smaller default (its own database on the same cluster)."""
    a = ctx.args
    env = dict(os.environ, EXAMD_TEST_PG=ctx.pg, EXAMD_BIN=a.bin)
    p = subprocess.run([sys.executable, os.path.join(HERE, "bench_profiles.py"), "--employees", str(a.hr_employees),
                        "--runs", str(a.hr_runs)], capture_output=True, text=True, env=env, timeout=3600)
    with open(os.path.join(ctx.work, "hr-listing.txt"), "w") as f:
        f.write(p.stdout + p.stderr)
    if p.returncode != 0:
        ctx.note("hr-listing failed: %s" % (p.stderr[-2000:]))
        ctx.add_row("hr-listing", 0, "rows/s", 0, 0, 1, "", None, "10,000 rows < 1 s", False, "failed")
        return
    lines = {}
    for line in p.stdout.splitlines():
        m = re.match(r"(.+?)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)$", line)
        if m:
            lines[m.group(1).strip()] = (float(m.group(2)), float(m.group(3)), int(m.group(4)))
    best, median, size = lines["listing JSON (all)"]
    rows_s = a.hr_employees / best
    ctx.add_row("hr-listing JSON (%d employees)" % a.hr_employees, rows_s, "rows/s", median * 1000, None, 0,
                "", None, "10,000 rows < 1 s (≥ 10,000 rows/s)", rows_s >= 10000,
                "best %.2f s, median %.2f s, %d bytes; " % (best, median, size) +
                "; ".join("%s best %.3f s" % (k, v[0]) for k, v in lines.items() if k != "listing JSON (all)"))


def scenario_profile(ctx):
    """Where the autosave time goes: a system-wide perf profile (software cpu-clock: the VM has no
    hardware counters) of a saturated autosave run, then examd alone under callgrind for a short
    open-loop autosave run (counters zeroed after start-up, dumped before shutdown)."""
    prepare_autosave(ctx)
    a = ctx.args
    out = os.path.join(ctx.work, "profile")
    os.makedirs(out, exist_ok=True)
    # 1. perf (software clock) over the whole machine while examd carries a saturated autosave load;
    #    PostgreSQL times its PL/pgSQL functions meanwhile (track_functions, read once examd is gone).
    ctx.sql("ALTER DATABASE %s SET track_functions = 'pl'; SELECT pg_stat_reset()" % ctx.db)
    app = ctx.examd("profile-perf")
    try:
        perf_data = os.path.join(out, "perf.data")
        lg = ctx.loadgen(app.port, "autosave", requests=ctx.autosave_file, connections=a.autosave_connections,
                         duration=12, warmup=1, background=True)
        time.sleep(2)
        subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "499", "-a", "-g", "-o", perf_data, "--",
                        "sleep", "8"], capture_output=True, timeout=120)
        r = Ctx.loadgen_result(lg)
        log("perf run: %.0f saves/s" % r["ok_rps"])
        procs = _all_procs()
        pm = ctx.postmaster_pid()
        pg_pids = [str(pid) for pid, (ppid, _, _) in procs.items() if pid == pm or ppid == pm]
        tids = ",".join(os.listdir("/proc/%d/task" % app.proc.pid))
        with open(os.path.join(out, "perf-pids.txt"), "w") as f:
            f.write("examd %d threads %s\npostgres %s\n" % (app.proc.pid, tids, ",".join(pg_pids)))
        reports = [("perf-by-command.txt", ["--sort", "comm,pid"]),
                   ("perf-examd.txt", ["--tid", tids, "--sort", "dso,symbol"]),
                   ("perf-examd-by-dso.txt", ["--tid", tids, "--sort", "dso"]),
                   ("perf-postgres.txt", ["--pid", ",".join(pg_pids), "--sort", "dso,symbol"]),
                   ("perf-postgres-by-dso.txt", ["--pid", ",".join(pg_pids), "--sort", "dso"])]
        for name, extra in reports:
            p = subprocess.run(["perf", "report", "-i", perf_data, "--stdio", "--no-children", "-g", "none"] + extra,
                               capture_output=True, text=True, timeout=300)
            with open(os.path.join(out, name), "w") as f:
                f.write(p.stdout)
    finally:
        app.stop()
    time.sleep(1)
    funcs = ctx.sql("SELECT funcname, calls, round(total_time::numeric, 1), round(self_time::numeric, 1), "
                    "round((total_time / nullif(calls, 0))::numeric, 3), round((self_time / nullif(calls, 0))::numeric, 3) "
                    "FROM pg_stat_user_functions ORDER BY total_time DESC")
    xacts = ctx.sql("SELECT xact_commit, xact_rollback, blks_hit, blks_read FROM pg_stat_database "
                    "WHERE datname = current_database()")
    ctx.sql("ALTER DATABASE %s RESET track_functions" % ctx.db)
    with open(os.path.join(out, "pg-functions.txt"), "w") as f:
        f.write("saves answered: %d in %.1f s (%.0f/s), p50 %s ms, p99 %s ms\n"
                % (r["requests"], r["seconds"], r["ok_rps"], fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"])))
        f.write("function | calls | total ms | self ms | total ms/call | self ms/call\n" + funcs + "\n")
        f.write("xact_commit | xact_rollback | blks_hit | blks_read (database, whole run incl. setup reads)\n"
                + xacts + "\n")
    # 2. callgrind: examd alone under valgrind at a low fixed rate.
    cg = os.path.join(out, "callgrind.out")
    app = harness.Examd(database=ctx.db, workers=ctx.workers,
                        env={"EXAMD_LOG_LEVEL": a.log_level, "EXAMD_LOG_FILE": os.path.join(ctx.work, "examd-cg.log")})
    real_bin = harness.BIN
    wrapper = os.path.join(out, "examd-callgrind.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s %s \"$@\"\n" % (cg, real_bin))
    os.chmod(wrapper, 0o755)
    harness.BIN = wrapper
    try:
        app.start(timeout=180)
        app.get("/healthz")
        subprocess.run(["callgrind_control", "-z", str(app.proc.pid)], capture_output=True, timeout=60)
        r = ctx.loadgen(app.port, "autosave-cg", requests=ctx.autosave_file, connections=8, duration=20, warmup=0,
                        rate=40)
        subprocess.run(["callgrind_control", "-d", "autosave", str(app.proc.pid)], capture_output=True, timeout=120)
        log("callgrind run: %d saves, p50 %s ms, p99 %s ms, errors %d"
            % (r["requests"], fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"]), r["errors"]))
    finally:
        app.stop(timeout=120)
        harness.BIN = real_bin
    dumps = sorted((f for f in os.listdir(out) if f.startswith("callgrind.out") and f != "callgrind.out"),
                   key=lambda f: os.path.getmtime(os.path.join(out, f)))
    cgfile = os.path.join(out, dumps[0]) if dumps else cg
    for flag, name in (("--inclusive=yes", "callgrind-inclusive.txt"), ("--inclusive=no", "callgrind-self.txt")):
        p = subprocess.run(["callgrind_annotate", flag, "--auto=no", "--threshold=100", cgfile],
                           capture_output=True, text=True)
        with open(os.path.join(out, name), "w") as f:
            f.write(p.stdout)
    log("profile written to %s" % out)
    ctx.note("profile: raw outputs in %s (see tests/bench/notes-autosave-profile.txt for the summary)" % out)


SCENARIOS = {"healthz": scenario_healthz, "autosave": scenario_autosave, "storm": scenario_storm,
             "connections": scenario_connections, "login": scenario_login, "hr-listing": scenario_hr,
             "profile": scenario_profile}


# ---------------------------------------------------------------------------- report
def table(ctx, started, finished, loads):
    head = "| scenario | throughput | p50 ms | p99 ms | errors | ceiling (same run) | ratio | goal | met |"
    out = [head, "| --- | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |"]
    for r in ctx.rows:
        out.append("| %s | %s %s | %s | %s | %d | %s | %s | %s | %s |" % (
            r["scenario"], "{:,.0f}".format(r["throughput"]) if r["throughput"] >= 100 else "%.1f" % r["throughput"],
            r["unit"], fmt_ms(r["p50"]) if r["p50"] is not None else "–",
            fmt_ms(r["p99"]) if r["p99"] is not None else "–", r["errors"], r["ceiling"] or "–",
            "%.2f×" % r["ratio"] if r["ratio"] is not None else "–", r["goal"],
            "–" if r["met"] is None else "yes" if r["met"] else "**no**"))
    return "\n".join(out)


def machine():
    try:
        model = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except (OSError, IndexError):
        model = "?"
    pgv = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    return "%d cores (%s), %s, Linux %s" % (os.cpu_count(), model, pgv, os.uname().release)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", help="any of %s, or profile (default: all but profile)" % " ".join(ALL))
    ap.add_argument("--pg", required=True, help="superuser URL of the throwaway cluster")
    ap.add_argument("--pgdata", help="its data directory (for CPU accounting of the postgres processes)")
    ap.add_argument("--bin", default=os.path.join(SRC, "build", "examd"))
    ap.add_argument("--tools", required=True, help="folder with the compiled loadgen and hello")
    ap.add_argument("--work", required=True, help="scratch folder (logs, request files, raw outputs)")
    ap.add_argument("--results", default=HERE, help="the folder of RESULTS.md (rows are appended)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="examd and hello workers (cores)")
    ap.add_argument("--duration", type=float, default=16, help="seconds per measurement (default 16)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds for ceiling pairs (default 2)")
    ap.add_argument("--http-connections", type=int, default=64)
    ap.add_argument("--employees", type=int, default=2000, help="autosave: employees with an open attempt")
    ap.add_argument("--autosave-connections", type=int, default=16, help="autosave load = pgbench clients")
    ap.add_argument("--autosave-rate", type=float, default=0, help="open-loop rate (default: derived)")
    ap.add_argument("--steady-rate", type=float, default=200, help="autosave rate under connections/login")
    ap.add_argument("--open-connections", type=int, default=64,
                    help="connections carrying the open-loop (fixed-rate) autosave loads")
    ap.add_argument("--storm", type=int, default=2000, help="exam-start storm size (the goal: 20000)")
    ap.add_argument("--storm-connections", type=int, default=32)
    ap.add_argument("--connections", type=int, default=5000, help="held keep-alive connections (goal: 20000)")
    ap.add_argument("--connect-rate", type=float, default=2000, help="new held connections per second")
    ap.add_argument("--login-users", type=int, default=200)
    ap.add_argument("--login-connections", type=int, default=16)
    ap.add_argument("--hash-threads", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                    help="EXAMD_HASH_THREADS for the login storm (default: examd's own, cores - 1)")
    ap.add_argument("--hr-employees", type=int, default=2000)
    ap.add_argument("--hr-runs", type=int, default=3)
    ap.add_argument("--log-level", default="info", help="examd's EXAMD_LOG_LEVEL (production default: info)")
    ap.add_argument("--no-compare-log", dest="compare_log", action="store_false",
                    help="skip the healthz/autosave comparison runs at EXAMD_LOG_LEVEL=warning")
    args = ap.parse_args()
    os.environ["EXAMD_TEST_PG"] = args.pg
    os.environ["EXAMD_BIN"] = args.bin
    os.environ["EXAMD_SOURCE_DIR"] = SRC
    global harness
    import harness as h
    harness = h
    chosen = args.scenarios or ALL
    for s in chosen:
        if s not in SCENARIOS:
            ap.error("unknown scenario %s (known: %s profile)" % (s, " ".join(ALL)))
    ctx = Ctx(args)
    started = datetime.datetime.now()
    loads = {"start": loadavg()}
    log("scenarios: %s; load average %s" % (" ".join(chosen), loads["start"]))
    for s in chosen:
        t0 = time.time()
        before = loadavg()
        try:
            SCENARIOS[s](ctx)
        except Exception as e:  # one broken scenario does not lose the others' figures
            ctx.note("%s failed: %s: %s" % (s, type(e).__name__, e))
            ctx.add_row(s, 0, "", None, None, 1, "", None, "", False, "failed: %s" % e)
        loads[s] = "%s → %s" % (before, loadavg())
        log("%s done in %.0f s (load %s)" % (s, time.time() - t0, loads[s]))
    finished = datetime.datetime.now()
    loads["end"] = loadavg()
    tbl = table(ctx, started, finished, loads)
    print()
    print(tbl)
    print()
    details = "\n".join("- **%s**: %s" % (r["scenario"], r["detail"]) for r in ctx.rows if r["detail"])
    mig = sorted(f for f in os.listdir(os.path.join(SRC, "migrations")) if f.endswith(".sql"))
    text = ["# examd benchmark results, %s" % started.strftime("%Y-%m-%d %H:%M"), "",
            "Command: `%s`%s" % (("tests/bench/run.sh " + os.environ.get("EXAMD_BENCH_ARGS", "")).strip(),
                                 "" if os.environ.get("EXAMD_BENCH_ARGS") else " (the defaults)"), "",
            "Machine: %s. examd workers %d, pool %s per worker, log level %s (to a file). "
            "Load average (1/5/15 min) at start %s, at end %s; %.0f s in all."
            % (machine(), args.workers, os.environ.get("EXAMD_DB_POOL_SIZE", "4"), args.log_level, loads["start"],
               loads["end"], (finished - started).total_seconds()),
            "examd binary %s (modified %s), newest migration %s." % (
                args.bin, time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(args.bin))), mig[-1]),
            "", tbl, "", "Details:", "", details, "",
            "Load average around each scenario: " + "; ".join("%s %s" % (k, v) for k, v in loads.items()
                                                              if k not in ("start", "end")), ""]
    if ctx.notes:
        text += ["Notes:", ""] + ["- " + n for n in ctx.notes] + [""]
    if not ctx.rows:  # profile alone: its outputs are in the scratch folder
        log("no table rows; nothing written to %s" % args.results)
        return
    # The details go to the scratch folder; one row per scenario is appended to RESULTS.md.
    detail_path = os.path.join(args.work, "results-%s.md" % started.strftime("%Y-%m-%d-%H%M"))
    with open(detail_path, "w") as f:
        f.write("\n".join(text))
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "?"
    dirty = subprocess.run(["git", "-C", SRC, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.strip()
    when = started.strftime("%Y-%m-%d %H:%M")
    results = os.path.join(args.results, "RESULTS.md")
    with open(results, "a") as f:
        for line in tbl.splitlines():
            if line.startswith("| ") and not line.startswith("| scenario") and not line.startswith("| ---"):
                cells = [c.strip() for c in line.strip().strip("|").split("|")]
                scen, thr, _p50, p99, _err, ceil, ratio, goal, met = (cells + [""] * 9)[:9]
                f.write("| %s | %s%s | %s | %s | %s | %s | %s | %s | %s |\n"
                        % (when, commit, "+" if dirty else "", scen, thr, p99, ceil, ratio, goal, met))
    path = results
    print(details)
    print()
    log("written %s" % path)


if __name__ == "__main__":
    main()
