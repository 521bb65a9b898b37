"""The foundation: model, sessions, users, error envelope, operations endpoints."""
import concurrent.futures
import json
import os
import subprocess
import time
import unittest

from harness import PASSWORD, SRC, ExamdTestCase, psql


def model_data():
    with open(os.path.join(SRC, "model", "competency-model.json"), encoding="utf-8") as f:
        return json.load(f)


class ModelTest(ExamdTestCase):
    def test_model_version_1_matches_the_model_data(self):
        token = self.app.login("emp3")
        r = self.app.get("/api/v1/model", token=token)
        self.assertEqual(r.status, 200, r)
        m = r.json
        data = model_data()
        self.assertEqual(m["version"], 1)
        self.assertEqual([i["code"] for i in m["items"]], [i["code"] for i in data["items"]])
        self.assertEqual(len(m["items"]), 18)
        self.assertEqual([c["code"] for c in m["categories"]], ["basic", "professional", "functional"])
        self.assertEqual([lv["code"] for lv in m["levels"]], ["junior", "intermediate", "senior", "expert"])
        exam = [i for i in m["items"] if i["assessment"] == "exam"]
        self.assertEqual([i["code"] for i in exam],
                         ["general_knowledge", "professional_knowledge", "job_knowledge", "job_skills"])
        self.assertEqual(sum(len(i["subtopics"]) for i in exam), 14)
        # 4 grades x 18 items; grade 4 junior .. grade 1 expert on every item.
        self.assertEqual(len(m["required_levels"]), 72)
        expected = {4: "junior", 3: "intermediate", 2: "senior", 1: "expert"}
        for rl in m["required_levels"]:
            self.assertEqual(rl["level"], expected[rl["grade"]], rl)
        self.assertEqual({(rl["grade"], rl["item"]) for rl in m["required_levels"]},
                         {(g, i["code"]) for g in range(1, 5) for i in data["items"]})
        self.assertEqual(m["exam_bands"], [{"score": 6, "min": 91}, {"score": 5, "min": 81}, {"score": 4, "min": 71},
                                           {"score": 3, "min": 61}, {"score": 2, "min": 41}, {"score": 1, "min": 0}])
        self.assertEqual(m["rater_weights"], {"self": 1, "supervisor": 1, "peer": 1, "subordinate": 1,
                                              "customer": 1, "hr": 1})
        self.assertEqual(len(m["subtopic_weights"]), 16)
        for sw in m["subtopic_weights"]:
            item = next(i for i in exam if i["code"] == sw["item"])
            self.assertEqual(list(sw["weights"].keys()), [s["code"] for s in item["subtopics"]])
            self.assertEqual(set(sw["weights"].values()), {1})
        self.assertTrue(m["effective_from"].endswith("Z"))

    def test_model_versions(self):
        token = self.app.login("hr1")
        r = self.app.get("/api/v1/model/versions", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([v["version"] for v in r.json["versions"]], [1])
        self.assertEqual(self.app.get("/api/v1/model/versions/1", token=token).json["version"], 1)
        self.assertError(self.app.get("/api/v1/model/versions/2", token=token), 404, "not_found")
        self.assertError(self.app.get("/api/v1/model/versions/abc", token=token), 404, "not_found")

    def test_model_versions_are_immutable_in_the_database(self):
        out = subprocess.run(["psql", self.app.url, "-c", "UPDATE model_exam_bands SET min = 90 WHERE score = 6"],
                             capture_output=True, text=True)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("immutable", out.stderr)

    def test_model_needs_a_session(self):
        self.assertError(self.app.get("/api/v1/model"), 401, "unauthenticated")


class SessionTest(ExamdTestCase):
    def test_login_me_logout(self):
        r = self.app.post("/api/v1/login", {"username": "emp3", "password": PASSWORD})
        self.assertEqual(r.status, 200, r)
        body = r.json
        self.assertEqual(body["user"], {**body["user"], "username": "emp3", "role": "employee", "grade": 3,
                                        "name": "陈三级", "department": "政企客户部"})
        self.assertGreaterEqual(len(body["token"]), 43)  # 256 random bits, base64url
        self.assertRegex(body["expires_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        token = body["token"]
        me = self.app.get("/api/v1/me", token=token)
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json["username"], "emp3")
        self.assertEqual(me.header("Cache-Control"), "no-store")
        # Only a hash of the token is stored.
        self.assertEqual(self.app.sql("SELECT count(*) FROM sessions WHERE token_hash = '%s'" % token), "0")
        self.assertEqual(self.app.request("POST", "/api/v1/logout", token=token).status, 204)
        self.assertError(self.app.get("/api/v1/me", token=token), 401, "unauthenticated")
        audit = self.app.sql("SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE actor = 'emp3'")
        self.assertIn("login", audit)
        self.assertIn("logout", audit)
        self.assertNotIn(token, self.app.sql("SELECT coalesce(string_agg(detail::text, ''), '') FROM audit_log"))

    def test_wrong_password_and_unknown_user(self):
        self.assertError(self.app.post("/api/v1/login", {"username": "emp3", "password": "nope-nope"}), 401,
                         "unauthenticated")
        self.assertError(self.app.post("/api/v1/login", {"username": "ghost", "password": "nope-nope"}), 401,
                         "unauthenticated")
        self.assertError(self.app.post("/api/v1/login", {"username": "emp3"}), 400, "invalid_field")
        self.assertError(self.app.post("/api/v1/login", {"username": 3, "password": "x"}), 400, "invalid_field")
        self.assertError(self.app.request("POST", "/api/v1/login", raw=b"{not json"), 400, "bad_json")
        self.assertError(self.app.request("POST", "/api/v1/login", raw=b"[1,2]"), 400, "bad_json")

    def test_bad_tokens(self):
        for header in ["Bearer", "Bearer x", "Basic abc", "Bearer " + "A" * 43, "Bearer " + "A" * 500]:
            r = self.app.get("/api/v1/me", headers={"Authorization": header})
            self.assertError(r, 401, "unauthenticated")

    def test_expired_session(self):
        token = self.app.login("emp4")
        self.app.sql("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE username = 'emp4'")
        self.assertError(self.app.get("/api/v1/me", token=token), 401, "unauthenticated")
        token = self.app.login("emp4")
        self.app.sql("UPDATE sessions SET last_seen = now() - interval '3 hours' WHERE username = 'emp4'")
        self.assertError(self.app.get("/api/v1/me", token=token), 401, "unauthenticated")

    def test_login_throttle(self):
        self.app.add_user("victim", "employee", grade=4)
        for _ in range(10):
            self.assertError(self.app.post("/api/v1/login", {"username": "victim", "password": "wrong-pass"}), 401)
        r = self.app.post("/api/v1/login", {"username": "victim", "password": PASSWORD})
        self.assertError(r, 429, "rate_limited")
        retry = int(r.header("Retry-After"))
        self.assertTrue(0 < retry <= 900, retry)
        # The lock is bounded: once the failures age out of the window the user gets in again.
        self.app.sql("UPDATE login_failures SET at = at - interval '16 minutes' WHERE username = 'victim'")
        self.assertEqual(self.app.post("/api/v1/login", {"username": "victim", "password": PASSWORD}).status, 200)
        # Another user is not affected by the victim's lock.
        self.assertEqual(self.app.post("/api/v1/login", {"username": "emp4", "password": PASSWORD}).status, 200)


class UsersTest(ExamdTestCase):
    def test_roles_on_user_administration(self):
        admin = self.app.login("admin")
        hr = self.app.login("hr1")
        emp = self.app.login("emp3")
        trainer = self.app.login("trainer1")
        new_emp = {"username": "u_emp", "name": "新员工", "role": "employee", "grade": 4,
                   "department": "政企客户部", "password": "long-enough-1"}
        self.assertError(self.app.post("/api/v1/users", new_emp, token=emp), 403, "forbidden")
        self.assertError(self.app.post("/api/v1/users", new_emp, token=trainer), 403, "forbidden")
        self.assertError(self.app.post("/api/v1/users", new_emp), 401, "unauthenticated")
        r = self.app.post("/api/v1/users", new_emp, token=hr)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["grade"], 4)
        self.assertNotIn("password", r.json)
        self.assertError(self.app.post("/api/v1/users", new_emp, token=hr), 409, "conflict")
        # HR creates and edits employees only; admin any role.
        new_trainer = {"username": "u_tr", "name": "培训师", "role": "trainer", "password": "long-enough-1"}
        self.assertError(self.app.post("/api/v1/users", new_trainer, token=hr), 403, "forbidden")
        self.assertEqual(self.app.post("/api/v1/users", new_trainer, token=admin).status, 201)
        self.assertError(self.app.request("PATCH", "/api/v1/users/u_tr", {"name": "x"}, token=hr), 403, "forbidden")
        self.assertError(self.app.request("PATCH", "/api/v1/users/hr1", {"name": "x"}, token=hr), 403, "forbidden")
        self.assertError(self.app.request("PATCH", "/api/v1/users/nobody", {"name": "x"}, token=hr), 404,
                         "not_found")
        self.assertError(self.app.request("PATCH", "/api/v1/users/emp3", {"grade": 1}, token=emp), 403, "forbidden")
        # Nobody raises a role through PATCH.
        self.assertError(self.app.request("PATCH", "/api/v1/users/u_emp", {"role": "admin"}, token=admin), 400,
                         "invalid_field")
        self.assertEqual(self.app.login("u_emp", "long-enough-1") is not None, True)
        self.assertEqual(self.app.sql("SELECT role FROM users WHERE username = 'u_emp'"), "employee")

    def test_create_validation(self):
        hr = self.app.login("hr1")
        base = {"username": "v1", "name": "甲", "role": "employee", "grade": 3, "password": "long-enough-1"}
        cases = [
            ({**base, "grade": 5}, 400), ({**base, "grade": "3"}, 400), ({k: v for k, v in base.items()
                                                                          if k != "grade"}, 400),
            ({**base, "username": "bad name"}, 400), ({**base, "username": ""}, 400), ({**base, "name": ""}, 400),
            ({**base, "role": "boss"}, 400), ({**base, "extra": 1}, 400), ({**base, "password": "short"}, 422),
            ({**base, "department": 7}, 400),
        ]
        for body, status in cases:
            r = self.app.post("/api/v1/users", body, token=hr)
            self.assertEqual(r.status, status, (body, r))
            self.assertIn(r.json["error"]["code"], ("invalid_field", "validation_failed", "forbidden"))
        self.assertEqual(self.app.sql("SELECT count(*) FROM users WHERE username = 'v1'"), "0")

    def test_grade_change_is_kept_with_its_time(self):
        hr = self.app.login("hr1")
        r = self.app.post("/api/v1/users", {"username": "g1", "name": "升级", "role": "employee", "grade": 4,
                                            "password": "long-enough-1"}, token=hr)
        self.assertEqual(r.status, 201, r)
        r = self.app.request("PATCH", "/api/v1/users/g1", {"grade": 3, "department": "二部"}, token=hr)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["grade"], r.json["department"]), (3, "二部"))
        self.assertEqual(self.app.sql("SELECT string_agg(grade::text, ',' ORDER BY id) FROM user_grades "
                                      "WHERE username = 'g1'"), "4,3")
        # A computation before the first recorded grade uses that first grade.
        prof = self.app.get("/api/v1/employees/g1/profile?at=2000-01-01T00:00:00Z", token=hr).json
        self.assertEqual({i["required_level"] for i in prof["items"]}, {"junior"})
        listing = self.app.get("/api/v1/users?role=employee&grade=3", token=hr).json["users"]
        self.assertIn("g1", [u["username"] for u in listing])
        self.assertNotIn("emp4", [u["username"] for u in listing])
        self.assertError(self.app.get("/api/v1/users?grade=9", token=hr), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/users?role=boss", token=hr), 400, "invalid_field")
        self.assertError(self.app.get("/api/v1/users", token=self.app.login("emp3")), 403, "forbidden")

    def test_password_change_and_deactivation_end_sessions(self):
        hr = self.app.login("hr1")
        self.app.add_user("p1", "employee", grade=4)
        old = self.app.login("p1")
        r = self.app.request("PATCH", "/api/v1/users/p1", {"password": "brand-new-pass"}, token=hr)
        self.assertEqual(r.status, 200, r)
        self.assertError(self.app.get("/api/v1/me", token=old), 401)
        self.assertError(self.app.post("/api/v1/login", {"username": "p1", "password": PASSWORD}), 401)
        new = self.app.login("p1", "brand-new-pass")
        self.assertEqual(self.app.request("PATCH", "/api/v1/users/p1", {"active": False}, token=hr).status, 200)
        self.assertError(self.app.get("/api/v1/me", token=new), 401)
        self.assertError(self.app.post("/api/v1/login", {"username": "p1", "password": "brand-new-pass"}), 401)
        detail = self.app.sql("SELECT string_agg(detail::text, ' ') FROM audit_log WHERE action = 'user.update'")
        self.assertIn("password_changed", detail)
        self.assertNotIn("brand-new-pass", detail)


class HttpTest(ExamdTestCase):
    def test_error_envelope_for_unknown_routes_and_methods(self):
        # Under /api an anonymous caller learns nothing about which routes exist (401 first).
        self.assertError(self.app.get("/api/v1/nothing-here"), 401, "unauthenticated")
        self.assertError(self.app.request("DELETE", "/api/v1/me"), 401, "unauthenticated")
        token = self.app.login("admin")
        self.assertError(self.app.get("/api/v1/nothing-here", token=token), 404, "not_found")
        self.assertError(self.app.request("DELETE", "/api/v1/me", token=token), 405, "method_not_allowed")
        self.assertError(self.app.get("/no/such/file.js"), 404, "not_found")
        self.assertError(self.app.request("PUT", "/healthz"), 405, "method_not_allowed")

    def test_body_limit(self):
        big = b'{"username":"' + b"a" * (1024 * 1024 + 10) + b'","password":"x"}'
        r = self.app.request("POST", "/api/v1/login", raw=big, headers={"Content-Type": "application/json"})
        self.assertError(r, 413, "too_large")

    def test_path_traversal_is_not_served(self):
        for path in ["/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/..%2fCMakeLists.txt",
                     "/index.html/../../README.md"]:
            r = self.app.get(path)
            self.assertIn(r.status, (400, 404), (path, r))

    def test_web_ui_and_headers(self):
        r = self.app.get("/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/html"))
        self.assertIn("script-src 'self'", r.header("Content-Security-Policy"))
        self.assertIn("frame-ancestors 'none'", r.header("Content-Security-Policy"))
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        self.assertIn('lang="zh-CN"', r.body.decode())

    def test_healthz_readyz_metrics(self):
        self.assertEqual(self.app.get("/healthz").status, 200)
        self.assertEqual(self.app.get("/readyz").status, 200)
        self.app.get("/api/v1/me")
        m = self.app.get("/metrics")
        self.assertEqual(m.status, 200)
        text = m.body.decode()
        self.assertRegex(text, r'examd_http_requests_total\{method="GET",route="/api/v1/me",code="4xx"\} [1-9]')
        self.assertIn('examd_http_request_duration_seconds_bucket{method="GET",route="/healthz",le="+Inf"}', text)
        self.assertRegex(text, r'examd_db_pool_connected\{worker="0"\} [1-9]')
        self.assertRegex(text, r"examd_open_attempts 0")

    def test_loop_lag_probe(self):
        """Each worker's loop-lag histogram counts the 10 ms probe's firings; its buckets are cumulative and
        the +Inf bucket equals the count; the max is a gauge read (and reset) per scrape."""
        import re
        self.app.get("/metrics")
        time.sleep(0.5)
        text = self.app.get("/metrics").body.decode()
        for worker in ("0", "1"):
            buckets = [int(v) for v in re.findall(r'examd_loop_lag_seconds_bucket\{worker="%s",le="[^"]+"\} (\d+)'
                                                  % worker, text)]
            count = int(re.search(r'examd_loop_lag_seconds_count\{worker="%s"\} (\d+)' % worker, text).group(1))
            self.assertEqual(len(buckets), 8)
            self.assertEqual(buckets, sorted(buckets))
            self.assertEqual(buckets[-1], count)
            self.assertGreaterEqual(count, 20)  # at least 0.5 s of 10 ms ticks, allowing for a slow start
            lag_max = float(re.search(r'examd_loop_lag_max_seconds\{worker="%s"\} ([0-9.]+)' % worker, text).group(1))
            self.assertLess(lag_max, 5.0)

    def test_access_log_is_json_lines_without_secrets(self):
        token = self.app.login("emp3")
        self.app.get("/api/v1/me", token=token)
        time.sleep(0.2)
        lines = [json.loads(line) for line in self.app.log]
        requests = [entry for entry in lines if entry.get("msg") == "request"]
        self.assertTrue(any(e["path"] == "/api/v1/me" and e["status"] == 200 for e in requests))
        self.assertNotIn(token, self.app.logtext())
        self.assertNotIn(PASSWORD, self.app.logtext())

    def test_healthz_stays_fast_while_the_database_is_locked(self):
        token = self.app.login("emp4")
        # Hold an exclusive lock on users: every authenticated request waits on it.
        locker = subprocess.Popen(["psql", self.app.url, "-c",
                                   "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline and psql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'users' AND l.mode = 'AccessExclusiveLock' AND l.granted", self.app.url) != "1":
            time.sleep(0.05)
        with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
            waiting = [pool.submit(self.app.get, "/api/v1/me", token, timeout=30) for _ in range(12)]
            time.sleep(0.5)
            self.assertFalse(any(f.done() for f in waiting), "requests should be waiting on the lock")
            worst = 0.0
            for _ in range(20):
                t0 = time.monotonic()
                self.assertEqual(self.app.get("/healthz").status, 200)
                worst = max(worst, time.monotonic() - t0)
                time.sleep(0.05)
            self.assertLess(worst, 0.1, "healthz took %.3f s while the database was locked" % worst)
            results = [f.result() for f in waiting]
        locker.wait(30)
        self.assertEqual([r.status for r in results], [200] * 12)


class CliTest(ExamdTestCase):
    def test_migrate_is_idempotent(self):
        for _ in range(2):
            p = self.app.cli("migrate")
            self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.app.sql("SELECT count(*) FROM schema_migrations"),
                         str(len([f for f in os.listdir(os.path.join(SRC, "migrations")) if f.endswith(".sql")])))
        self.assertEqual(self.app.sql("SELECT count(*) FROM model_versions"), "1")
        self.assertEqual(self.app.sql("SELECT count(*) FROM model_required_levels"), "72")

    def test_user_add(self):
        p = self.app.cli("user", "add", "--username", "cli1", "--role", "employee", "--grade", "2",
                         stdin="cli-password-1\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.app.login("cli1", "cli-password-1") is not None, True)
        again = self.app.cli("user", "add", "--username", "cli1", "--role", "employee", "--grade", "2",
                             stdin="cli-password-1\n")
        self.assertNotEqual(again.returncode, 0)
        again = self.app.cli("user", "add", "--username", "cli1", "--role", "employee", "--grade", "2",
                             "--if-missing", stdin="cli-password-1\n")
        self.assertEqual(again.returncode, 0, again.stderr)
        for args, stdin in [(["--role", "employee", "--grade", "2"], "pw-long-enough\n"),
                            (["--username", "x", "--role", "employee"], "pw-long-enough\n"),
                            (["--username", "x", "--role", "boss"], "pw-long-enough\n"),
                            (["--username", "x", "--role", "hr"], "short\n"),
                            (["--username", "x", "--role", "hr"], "")]:
            p = self.app.cli("user", "add", *args, stdin=stdin)
            self.assertNotEqual(p.returncode, 0, args)
        self.assertEqual(self.app.sql("SELECT count(*) FROM users WHERE username = 'x'"), "0")
        stored = self.app.sql("SELECT password_hash FROM users WHERE username = 'cli1'")
        self.assertTrue(stored.startswith("$scrypt$ln="), stored)


if __name__ == "__main__":
    unittest.main(verbosity=2)
