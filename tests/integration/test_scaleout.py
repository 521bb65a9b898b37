"""Scale-out: several examd processes on one database behind nginx, concurrent first start-ups,
and examd behind PgBouncer in transaction pooling mode (deploy/nginx, deploy/pgbouncer).

nginx and pgbouncer run as subprocesses with every file in a temporary folder; a case is
skipped only when its program is absent.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import PG, SRC, Examd, db_url, free_port, fresh_database, psql

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
TEMPLATE = os.path.join(SRC, "deploy", "nginx", "examd-test.conf.template")
TMP = os.environ.get("EXAMD_TEST_TMP", None)

CSV = ("external_id,item,subtopic,level,type,stem,a,b,c,d,answer,points,explanation\n"
       "S-1,job_knowledge,professional_conduct,intermediate,truefalse,横向扩展判断题一,,,,,true,1,\n"
       "S-2,job_knowledge,professional_conduct,intermediate,truefalse,横向扩展判断题二,,,,,false,1,\n")
BLUEPRINTS = {"blueprints": [{"item": "job_knowledge", "level": "intermediate", "time_limit_seconds": 600,
                              "max_attempts": 3, "grading": "highest",
                              "draws": [{"subtopic": "professional_conduct", "level": "intermediate", "count": 2}]}]}


def migration_files():
    return sorted(f for f in os.listdir(os.path.join(SRC, "migrations")) if f.endswith(".sql") and f[:4].isdigit())


class Front(Examd):
    """An HTTP endpoint (nginx, say) with the harness's request helpers; no process of its own."""

    def __init__(self, port):  # pylint: disable=super-init-not-called
        self.port = port
        self.proc = None


def wait_port(port, proc, timeout=10, what="process"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("%s exited with %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("%s does not listen on %d" % (what, port))


class ScaleOutBase(unittest.TestCase):
    def setUp(self):
        self.apps = []
        self.procs = []  # (name, Popen)
        self.tmp = tempfile.mkdtemp(prefix="scaleout-", dir=TMP)
        os.chmod(self.tmp, 0o755)  # nginx workers / pgbouncer drop root privileges

    def tearDown(self):
        for app in self.apps:
            try:
                app.stop(timeout=15)
            except Exception:  # keep cleaning up
                pass
        for name, p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM if name != "nginx" else signal.SIGQUIT)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def examd(self, database, **kw):
        app = Examd(database=database, workers=kw.pop("workers", 1), **kw)
        self.apps.append(app)
        return app

    def load_exam(self, app):
        """A two-question bank and its blueprint, through the CLI (as an operator would)."""
        bank = os.path.join(self.tmp, "bank.csv")
        with open(bank, "w", encoding="utf-8") as f:
            f.write(CSV)
        bp = os.path.join(self.tmp, "blueprints.json")
        with open(bp, "w", encoding="utf-8") as f:
            json.dump(BLUEPRINTS, f)
        for args in (("bank", "import", bank), ("blueprint", "put", bp)):
            p = app.cli(*args)
            self.assertEqual(p.returncode, 0, "%s: %s%s" % (args, p.stdout, p.stderr))


@unittest.skipUnless(NGINX, "nginx is not installed")
class NginxRoundRobinTest(ScaleOutBase):
    def start_nginx(self, apps):
        port = free_port()
        with open(TEMPLATE, encoding="utf-8") as f:
            conf = f.read()
        servers = "\n".join("        server 127.0.0.1:%d max_fails=1 fail_timeout=5s;" % a.port for a in apps)
        conf = conf.replace("@PREFIX@", self.tmp).replace("@LISTEN_PORT@", str(port))
        conf = conf.replace("@UPSTREAM_SERVERS@", servers)
        path = os.path.join(self.tmp, "nginx.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(conf)
        p = subprocess.Popen([NGINX, "-e", "stderr", "-p", self.tmp, "-c", path, "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(("nginx", p))
        try:
            wait_port(port, p, what="nginx")
        except AssertionError:
            p.wait(5)
            raise AssertionError("nginx failed: %s" % p.stderr.read())
        return Front(port)

    @staticmethod
    def requests_logged(app, path):
        n = 0
        for line in list(app.log):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            if doc.get("msg") == "request" and doc.get("path") == path:
                n += 1
        return n

    def test_three_processes_behind_nginx(self):
        db = fresh_database("so")
        first = self.examd(db).start()  # migrates; the others find nothing to do
        others = [self.examd(db) for _ in range(2)]
        threads = [threading.Thread(target=a.start) for a in others]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        apps = [first] + others
        for a in apps:
            self.assertEqual(a.get("/readyz").status, 200, a.logtext()[-2000:])
        first.add_user("trainer1", "trainer")
        first.add_user("emp3", "employee", grade=3)
        self.load_exam(first)
        front = self.start_nginx(apps)

        token = front.login("emp3")
        before = [self.requests_logged(a, "/api/v1/me") for a in apps]
        for _ in range(9):
            r = front.get("/api/v1/me", token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["username"], "emp3")
        time.sleep(0.2)  # the log reader threads
        reached = [self.requests_logged(a, "/api/v1/me") - b for a, b in zip(apps, before)]
        self.assertEqual(sum(reached), 9, reached)
        self.assertTrue(all(n >= 1 for n in reached), "round robin reached %s" % reached)

        # An attempt started through nginx; an answer saved on one process, read on the others.
        r = front.post("/api/v1/attempts", {"item": "job_knowledge"}, token=token)
        self.assertEqual(r.status, 201, r)
        attempt = r.json["attempt_id"]
        q = r.json["questions"][0]["id"]
        r = apps[0].request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, q), {"answer": True, "seq": 1},
                            token=token)
        self.assertEqual(r.status, 200, r)
        for a in apps[1:] + [front]:
            r = a.get("/api/v1/attempts/%s" % attempt, token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["answers"].get(str(q)), True, r.json["answers"])
        # A save through nginx (PUT, idempotent with seq) and a stale one on another process.
        r = front.request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, q), {"answer": False, "seq": 3},
                          token=token)
        self.assertEqual(r.status, 200, r)
        r = apps[2].request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, q), {"answer": True, "seq": 2},
                            token=token)
        self.assertEqual((r.status, r.json.get("stale")), (200, True), r)
        self.assertEqual(apps[1].get("/api/v1/attempts/%s" % attempt, token=token).json["answers"][str(q)], False)

        # Logout through nginx ends the session on every process.
        for a in apps:
            self.assertEqual(a.get("/api/v1/me", token=token).status, 200)
        self.assertIn(front.post("/api/v1/logout", token=token).status, (200, 204))
        for a in apps:
            self.assertEqual(a.get("/api/v1/me", token=token).status, 401, a.port)
        self.assertEqual(front.get("/api/v1/me", token=token).status, 401)

        # One process stops (SIGTERM drains): nginx moves GETs on to the others.
        token = front.login("emp3")
        self.assertEqual(apps[1].stop(), 0)
        for _ in range(6):
            r = front.get("/api/v1/me", token=token)
            self.assertEqual(r.status, 200, r)


class ConcurrentFirstStartTest(ScaleOutBase):
    def test_two_processes_start_on_an_empty_database(self):
        db = fresh_database("so")
        apps = [self.examd(db) for _ in range(2)]
        errors = []
        barrier = threading.Barrier(2)

        def run(a):
            try:
                barrier.wait(10)
                a.start()
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=run, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(errors, [])
        for a in apps:
            self.assertEqual(a.get("/readyz").status, 200)
        files = migration_files()
        self.assertEqual(psql("SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations", db_url(db)),
                         ",".join(files))
        applied = sum(a.logtext().count('"msg":"migration applied"') for a in apps)
        self.assertEqual(applied, len(files), "each migration applied exactly once across both processes")
        self.assertEqual(psql("SELECT count(*) FROM model_versions", db_url(db)), "1")
        self.assertEqual(psql("SELECT count(*) FROM audit_log WHERE action = 'model.seed'", db_url(db)), "1")
        for a in apps:
            self.assertNotIn('"level":"error"', a.logtext())


@unittest.skipUnless(PGBOUNCER, "pgbouncer is not installed")
class PgBouncerTransactionPoolingTest(ScaleOutBase):
    """examd serve through PgBouncer (pool_mode = transaction) after `examd migrate` over the direct URL.

    examd's start-up migration takes a *session* advisory lock and releases it several statements
    later. Through transaction pooling each statement may run on another server connection, so
    the lock can be taken on one and "released" on another: it then stays held by a pooled server
    connection and the next start-up waits for it forever. deploy/pgbouncer/pgbouncer.ini therefore
    resets advisory locks whenever a server connection goes back to the pool. server_round_robin
    makes PgBouncer hand out warm server connections in turn, as it does under real traffic."""

    RESET = "server_reset_query = SELECT pg_advisory_unlock_all()\nserver_reset_query_always = 1\n"

    def start_pgbouncer(self, reset):
        host_port = PG.split("@", 1)[1].split("/", 1)[0]
        host, pg_port = host_port.rsplit(":", 1)
        port = free_port()
        with open(os.path.join(self.tmp, "userlist.txt"), "w", encoding="utf-8") as f:
            f.write('"postgres" ""\n')
        ini = os.path.join(self.tmp, "pgbouncer.ini")
        with open(ini, "w", encoding="utf-8") as f:
            f.write("[databases]\n* = host=%s port=%s\n\n[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\n"
                    "auth_type = trust\nauth_file = %s/userlist.txt\nadmin_users = postgres\n"
                    "pool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 4\n"
                    "server_round_robin = 1\nignore_startup_parameters = extra_float_digits\n%s"
                    % (host, pg_port, port, self.tmp, self.RESET if reset else ""))
        for name in ("userlist.txt", "pgbouncer.ini"):
            os.chmod(os.path.join(self.tmp, name), 0o644)
        args = [PGBOUNCER, ini]
        if os.geteuid() == 0:
            args = [PGBOUNCER, "-u", "nobody", ini]  # pgbouncer refuses to run as root
        p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.procs.append(("pgbouncer", p))
        try:
            wait_port(port, p, what="pgbouncer")
        except AssertionError:
            p.wait(5)
            raise AssertionError("pgbouncer failed: %s" % p.stderr.read())
        return port

    def prepare(self, reset):
        """A migrated database with one employee and an exam; the URL through PgBouncer."""
        db = fresh_database("so")
        port = self.start_pgbouncer(reset)
        direct = Examd(database=db)
        p = direct.cli("migrate")  # over the direct connection: a real session for the lock
        self.assertEqual(p.returncode, 0, p.stderr)
        direct.add_user("emp3", "employee", grade=3)
        self.load_exam(direct)
        return db, port, "postgresql://postgres@127.0.0.1:%d/%s" % (port, db)

    @staticmethod
    def burst(app, token, n=12):
        """Concurrent requests, so that PgBouncer opens (and then rotates) all its server connections."""
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.extend(
            app.get("/api/v1/me", token=token).status for _ in range(4))) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return statuses

    @staticmethod
    def advisory_locks(db):
        return int(psql("SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                        "WHERE l.locktype = 'advisory' AND d.datname = '%s'" % db))

    def test_serve_through_transaction_pooling(self):
        db, port, bouncer_url = self.prepare(reset=True)
        # serve through PgBouncer: its start-up migration finds nothing to apply.
        # The revocation listener needs a session of its own: a direct connection (deploy/README.md).
        app = self.examd(db, workers=2, env={"EXAMD_DATABASE_URL": bouncer_url, "EXAMD_DB_POOL_SIZE": "4",
                                             "EXAMD_LISTEN_DATABASE_URL": db_url(db)})
        app.start(timeout=20)
        self.assertEqual(app.get("/readyz").status, 200)
        token = app.login("emp3")
        r = app.post("/api/v1/attempts", {"item": "job_knowledge"}, token=token)
        self.assertEqual(r.status, 201, r)
        attempt, qs = r.json["attempt_id"], [q["id"] for q in r.json["questions"]]
        # Concurrent reads, then saves: examd's 8 connections share PgBouncer's 4 server connections.
        # (The reads make every examd connection busy at once: saves alone may all go as a few groups.)
        self.assertEqual(set(self.burst(app, token)), {200})
        results = []

        def save(i):
            rr = app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (attempt, qs[i % 2]),
                             {"answer": i % 2 == 0, "seq": i}, token=token)
            results.append(rr.status)

        threads = [threading.Thread(target=save, args=(i,)) for i in range(1, 41)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200] * 40)
        # Statements prepared on one server connection are unknown on the next one: examd ran them
        # again unprepared (examd_db_prepare_resets_total) and no request failed.
        metrics = app.get("/metrics").body.decode()
        resets = sum(float(line.split()[-1]) for line in metrics.splitlines()
                     if line.startswith("examd_db_prepare_resets_total{"))
        self.assertGreater(resets, 0)
        self.assertIn("\nexamd_auth_listener_up 1\n", metrics)
        r = app.get("/api/v1/attempts/%s" % attempt, token=token)
        self.assertEqual(r.json["answers"], {str(qs[0]): True, str(qs[1]): False}, r.json["answers"])
        r = app.post("/api/v1/attempts/%s/submit" % attempt, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["result"]["status"], "submitted")
        self.assertIn(db, psql("SHOW POOLS", "postgresql://postgres@127.0.0.1:%d/pgbouncer" % port))
        # Rolling restarts of a second process while the pool is warm: each starts, no lock is left.
        for _ in range(3):
            self.assertEqual(set(self.burst(app, token)), {200})
            other = self.examd(db, env={"EXAMD_DATABASE_URL": bouncer_url})
            other.start(timeout=10)
            self.assertEqual(other.get("/api/v1/me", token=token).status, 200)
            self.assertEqual(self.advisory_locks(db), 0)
            self.assertEqual(other.stop(), 0)
            self.apps.remove(other)

    def test_start_up_lock_leaks_without_reset(self):
        """Documents why the reset is needed: without it a start-up through a warm transaction pool
        leaves the migration lock held by a pooled server connection."""
        db, _, bouncer_url = self.prepare(reset=False)
        app = self.examd(db, workers=2, env={"EXAMD_DATABASE_URL": bouncer_url})
        app.start(timeout=20)
        token = app.login("emp3")
        for _ in range(3):
            self.burst(app, token)
            other = self.examd(db, env={"EXAMD_DATABASE_URL": bouncer_url})
            other.start(timeout=10)
            leaked = self.advisory_locks(db)
            self.assertEqual(other.stop(), 0)
            self.apps.remove(other)
            if leaked:
                # Held with no start-up running: the next start-up that lands on another server
                # connection waits in pg_advisory_lock until PgBouncer closes this one.
                time.sleep(0.2)
                self.assertGreater(self.advisory_locks(db), 0)
                return
        self.skipTest("the migration lock did not leak in 3 start-ups (examd may take it per transaction now)")


if __name__ == "__main__":
    unittest.main()
