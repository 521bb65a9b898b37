"""Database outages, restarts and shutdown: 503 while the database is away, recovery by itself,
sessions that survive restarts, and in-flight requests finished on SIGTERM."""
import concurrent.futures
import signal
import subprocess
import time
import unittest

from harness import PASSWORD, Examd, PrivateCluster, psql


def wait_for(predicate, timeout, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


class DatabaseOutageTest(unittest.TestCase):
    def setUp(self):
        self.cluster = PrivateCluster().init().start()
        psql("CREATE DATABASE examd", self.cluster.url())
        self.app = Examd(database="examd", env={"EXAMD_DATABASE_URL": self.cluster.url("examd")})
        self.app.url = self.cluster.url("examd")
        self.app.start()
        self.app.add_user("emp", "employee", grade=3)

    def tearDown(self):
        rc = self.app.stop()
        self.cluster.remove()
        self.assertEqual(rc, 0, self.app.logtext()[-3000:])

    def test_stop_and_start_postgresql(self):
        token = self.app.login("emp")
        self.assertEqual(self.app.get("/readyz").status, 200)
        self.cluster.stop()
        # Requests that need the database get 503 with Retry-After; nothing crashes.
        for _ in range(3):
            for path in ["/api/v1/me", "/readyz"]:
                r = self.app.get(path, token=token)
                self.assertEqual(r.status, 503, (path, r))
                self.assertEqual(r.json["error"]["code"], "unavailable")
                self.assertTrue(r.header("Retry-After"))
            r = self.app.post("/api/v1/login", {"username": "emp", "password": PASSWORD})
            self.assertEqual(r.status, 503, r)
            self.assertEqual(self.app.get("/healthz").status, 200)
            time.sleep(0.3)
        self.assertIsNone(self.app.proc.poll(), "examd must keep running")
        self.cluster.start()
        t0 = time.time()
        self.assertTrue(wait_for(lambda: self.app.get("/readyz").status == 200, 10), "examd did not recover")
        recovered = time.time() - t0
        self.assertLess(recovered, 5.0)
        # Sessions live in the database: the token still works.
        self.assertTrue(wait_for(lambda: self.app.get("/api/v1/me", token=token).status == 200, 5))

    def test_connections_killed_by_the_server(self):
        token = self.app.login("emp")
        psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             "WHERE datname = 'examd' AND pid <> pg_backend_pid()", self.cluster.url())
        self.assertTrue(wait_for(lambda: self.app.get("/api/v1/me", token=token).status == 200, 5))
        statuses = {self.app.get("/api/v1/me", token=token).status for _ in range(20)}
        self.assertEqual(statuses, {200})


def metric_sum(app, name):
    return sum(float(line.split()[-1]) for line in app.get("/metrics").body.decode().splitlines()
               if line.startswith(name + "{"))


class PreparedStatementsTest(unittest.TestCase):
    """Short statements are prepared once per connection and then executed by name
    (EXAMD_DB_PREPARE=1, the default); EXAMD_DB_PREPARE=0 never prepares. A connection that loses
    them (here: the server ends every session) prepares again on its new connection."""

    def test_prepared_by_default_and_not_when_disabled(self):
        on = Examd(workers=1, env={"EXAMD_DB_POOL_SIZE": "2"}).start()
        off = Examd(database=on.database, workers=1,
                    env={"EXAMD_DB_POOL_SIZE": "2", "EXAMD_DB_PREPARE": "0"}).start()
        try:
            on.add_user("emp", "employee", grade=4)
            for app in (on, off):
                token = app.login("emp")
                self.assertEqual({app.get("/api/v1/me", token=token).status for _ in range(30)}, {200})
            # At most one prepare per statement and connection: nearly all 30 ran by name.
            self.assertGreaterEqual(metric_sum(on, "examd_db_prepared_total"), 25)
            self.assertEqual(metric_sum(off, "examd_db_prepared_total"), 0)
            # New server sessions have no statements: examd's reconnected pool prepares again.
            token = on.login("emp")
            before = metric_sum(on, "examd_db_prepared_total")
            psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                 "WHERE datname = '%s' AND pid <> pg_backend_pid()" % on.database)
            self.assertTrue(wait_for(lambda: on.get("/api/v1/me", token=token).status == 200, 5))
            self.assertEqual({on.get("/api/v1/me", token=token).status for _ in range(20)}, {200})
            self.assertGreaterEqual(metric_sum(on, "examd_db_prepared_total") - before, 15)
        finally:
            off.stop()
            on.stop()


class RestartTest(unittest.TestCase):
    def test_sessions_survive_restart_and_sigterm_finishes_in_flight_requests(self):
        app = Examd().start()
        try:
            app.add_user("emp", "employee", grade=4)
            token = app.login("emp")
            self.assertEqual(app.stop(), 0)
            app.start()
            self.assertEqual(app.get("/api/v1/me", token=token).status, 200)
            # A request waiting on a lock is finished, not dropped, when SIGTERM arrives.
            locker = subprocess.Popen(["psql", app.url, "-c",
                                       "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(2); COMMIT;"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                  "WHERE c.relname = 'users' AND l.granted AND l.mode = 'AccessExclusiveLock'",
                                  app.url) == "1", 10, 0.05)
            with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
                pending = [pool.submit(app.get, "/api/v1/me", token) for _ in range(4)]
                time.sleep(0.5)
                app.proc.send_signal(signal.SIGTERM)
                results = [f.result(timeout=30) for f in pending]
            locker.wait(30)
            self.assertEqual([r.status for r in results], [200] * 4)
            self.assertEqual(app.stop(), 0)
            self.assertIn('"msg":"stopped"', app.logtext())
        finally:
            app.stop()


class OperationsTest(unittest.TestCase):
    def test_refuses_a_schema_newer_than_it_knows(self):
        app = Examd().start()
        app.stop()
        app.sql("INSERT INTO schema_migrations (version) VALUES ('9999_from_the_future.sql')")
        p = subprocess.run([__import__("harness").BIN, "serve"], env=app.env, capture_output=True, text=True,
                           timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("9999_from_the_future.sql", p.stderr)
        self.assertEqual(app.cli("migrate").returncode, 1)

    def test_trusted_proxy_forwarded_address(self):
        trusting = Examd(env={"EXAMD_TRUSTED_PROXIES": "10.255.255.254, 127.0.0.1"}).start()
        plain = Examd(database=trusting.database).start()
        try:
            for app in (trusting, plain):
                app.request("POST", "/api/v1/login", body={"username": "nobody", "password": "wrong-password"},
                            headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
            self.assertEqual(trusting.sql("SELECT string_agg(address, ',' ORDER BY id) FROM login_failures"),
                             "203.0.113.7,127.0.0.1")
        finally:
            plain.stop()
            trusting.stop()

    def test_serve_without_migrating(self):
        app = Examd(env={"EXAMD_MIGRATE_ON_START": "0"}).start()
        try:
            self.assertEqual(app.get("/healthz").status, 200)
            self.assertEqual(app.sql("SELECT to_regclass('schema_migrations') IS NULL"), "t")
        finally:
            app.stop()

    def test_sighup_reopens_the_log_file(self):
        import os
        import tempfile
        log = os.path.join(tempfile.mkdtemp(), "examd.log")
        app = Examd(env={"EXAMD_LOG_FILE": log}).start()
        try:
            app.get("/healthz")
            os.rename(log, log + ".1")  # what logrotate does
            app.proc.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: os.path.exists(log), 5))
            app.get("/readyz")
            self.assertTrue(wait_for(lambda: "/readyz" in open(log).read(), 5))
            with open(log + ".1") as f:
                self.assertIn('"msg":"listening"', f.read())
            self.assertIsNone(app.proc.poll())
        finally:
            self.assertEqual(app.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
