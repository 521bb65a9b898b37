"""Security: the role matrix on every route, hostile input, TLS, and the audit log."""
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import tempfile
import unittest
from urllib.parse import quote

from harness import PASSWORD, SRC, Examd, ExamdTestCase

ALL = {"employee", "trainer", "hr", "admin"}
HR_ADMIN = {"hr", "admin"}
TRAINER_ADMIN = {"trainer", "admin"}
EMP = {"employee"}
DEPT = quote("政企客户部")  # the department of emp3 and emp4
STAFF = {"trainer", "hr", "admin"}

# (method, path, body, roles allowed, status for an allowed role). The employee is emp4.
MATRIX = [
    ("GET", "/api/v1/me", None, ALL, 200),
    ("POST", "/api/v1/users", {}, HR_ADMIN, 400),
    ("GET", "/api/v1/users", None, HR_ADMIN, 200),
    ("PATCH", "/api/v1/users/emp4", {"colour": "red"}, HR_ADMIN, 400),
    ("GET", "/api/v1/model", None, ALL, 200),
    ("GET", "/api/v1/model/versions", None, ALL, 200),
    ("GET", "/api/v1/model/versions/1", None, ALL, 200),
    ("POST", "/api/v1/model/versions", {}, HR_ADMIN, 400),
    ("POST", "/api/v1/banks", b"", TRAINER_ADMIN, 422),
    ("GET", "/api/v1/banks/lint", None, TRAINER_ADMIN, 200),
    ("GET", "/api/v1/questions", None, TRAINER_ADMIN, 200),
    ("DELETE", "/api/v1/questions/999999", None, TRAINER_ADMIN, 404),
    ("GET", "/api/v1/questions/999999/impact", None, TRAINER_ADMIN, 404),
    ("POST", "/api/v1/questions/999999/activate", None, TRAINER_ADMIN, 404),
    ("GET", "/api/v1/blueprints", None, TRAINER_ADMIN, 200),
    ("GET", "/api/v1/blueprints/job_skills/junior", None, TRAINER_ADMIN, 404),
    ("PUT", "/api/v1/blueprints/job_skills/junior", {}, TRAINER_ADMIN, 400),
    ("GET", "/api/v1/blueprints/job_skills/junior/stats", None, TRAINER_ADMIN, 404),
    ("GET", "/api/v1/blueprints/job_skills/junior/results", None, TRAINER_ADMIN, 200),
    ("GET", "/api/v1/questions/999999/stats", None, TRAINER_ADMIN, 404),
    ("GET", "/api/v1/exams", None, EMP, 200),
    ("POST", "/api/v1/attempts", {}, EMP, 400),
    ("GET", "/api/v1/attempts", None, EMP | HR_ADMIN, 200),
    ("GET", "/api/v1/attempts/999999", None, EMP | HR_ADMIN, 404),
    ("PUT", "/api/v1/attempts/999999/answers/1", {"answer": "A"}, EMP, 404),
    ("POST", "/api/v1/attempts/999999/submit", None, EMP, 404),
    ("POST", "/api/v1/attempts/999999/close", None, STAFF, 404),
    ("POST", "/api/v1/attempts/999999/void", {"reason": "x"}, STAFF, 404),
    ("POST", "/api/v1/sessions", {}, STAFF, 400),
    ("GET", "/api/v1/sessions", None, ALL, 200),
    ("GET", "/api/v1/sessions/999999", None, ALL, 404),
    ("GET", "/api/v1/sessions/999999/roster", None, STAFF, 404),
    ("GET", "/api/v1/sessions/999999/overrides", None, STAFF, 404),
    ("POST", "/api/v1/sessions/999999/overrides", {}, STAFF, 404),
    ("POST", "/api/v1/sessions/999999/attempts", {}, EMP, 404),
    ("GET", "/api/v1/employees/emp4/profile", None, EMP | HR_ADMIN, 200),
    ("GET", "/api/v1/employees/emp4/profile.svg", None, EMP | HR_ADMIN, 200),
    ("GET", "/api/v1/employees/emp4/report.pdf", None, EMP | HR_ADMIN, 200),
    ("GET", "/api/v1/employees/emp4/trends", None, EMP | HR_ADMIN, 200),
    ("GET", "/api/v1/departments/%s/trends" % DEPT, None, HR_ADMIN, 200),
    ("GET", "/api/v1/departments/%s/report.pdf" % DEPT, None, HR_ADMIN, 200),
    ("GET", "/api/v1/profiles", None, HR_ADMIN, 200),
    ("GET", "/api/v1/profiles/gaps", None, HR_ADMIN, 200),
    ("GET", "/api/v1/profiles/readiness", None, HR_ADMIN, 200),
    ("GET", "/api/v1/profiles/summary", None, HR_ADMIN, 200),
    ("GET", "/api/v1/raters/quality", None, HR_ADMIN, 200),
    ("POST", "/api/v1/behaviour-ratings", [], HR_ADMIN, 422),
    ("GET", "/api/v1/audit", None, {"admin"}, 200),
]
PUBLIC = [("GET", "/healthz", 200), ("GET", "/readyz", 200), ("GET", "/metrics", 200)]


class RoleMatrixTest(ExamdTestCase):
    def call(self, method, path, body, token):
        if isinstance(body, bytes):
            return self.app.request(method, path, raw=body, token=token, headers={"Content-Type": "text/csv"})
        return self.app.request(method, path, body=body, token=token)

    def test_matrix_covers_every_route(self):
        with open(os.path.join(SRC, "service", "api", "routes.c"), encoding="utf-8") as f:
            table = re.findall(r'\{"([A-Z]+)", "(/[^"]*)"', f.read())
        declared = {(m, p) for m, p in table}
        tested = {(m, re.sub(r"/(emp4|999999|1|job_skills|junior|%s)(?=/|$)" % re.escape(DEPT), "/{x}", p)) for m, p, *_ in MATRIX}
        tested |= {(m, p) for m, p, _ in PUBLIC}
        tested.add(("POST", "/api/v1/login"))
        tested.add(("POST", "/api/v1/logout"))
        normalised = {(m, re.sub(r"\{[a-z_]+\}", "{x}", p)) for m, p in declared}
        self.assertEqual(normalised - tested, set(), "routes without a matrix entry")

    def test_every_route_with_every_role(self):
        tokens = {role: self.app.login(user) for role, user in
                  [("employee", "emp4"), ("trainer", "trainer1"), ("hr", "hr1"), ("admin", "admin")]}
        for method, path, body, allowed, status in MATRIX:
            r = self.call(method, path, body, None)
            self.assertError(r, 401, "unauthenticated")
            for role, token in tokens.items():
                r = self.call(method, path, body, token)
                expected = status if role in allowed else 403
                self.assertEqual(r.status, expected, (method, path, role, r))
                self.assertNotEqual(r.header("Cache-Control"), None)
                if r.status >= 400:
                    self.assertIn("error", r.json)
        for method, path, status in PUBLIC:
            self.assertEqual(self.app.request(method, path).status, status)
        # An employee's own profile only.
        self.assertError(self.app.get("/api/v1/employees/emp3/profile", token=tokens["employee"]), 403)

    def test_nobody_raises_their_own_role_or_grade(self):
        emp = self.app.login("emp3")
        hr = self.app.login("hr1")
        self.assertError(self.app.request("PATCH", "/api/v1/users/emp3", {"grade": 1}, token=emp), 403)
        self.assertError(self.app.request("PATCH", "/api/v1/users/hr1", {"name": "x"}, token=hr), 403)
        self.assertError(self.app.post("/api/v1/users", {"username": "boss", "name": "b", "role": "admin",
                                                         "password": "long-enough-1"}, token=hr), 403)
        self.assertError(self.app.request("PATCH", "/api/v1/users/emp3", {"role": "admin"},
                                          token=self.app.login("admin")), 400)
        users = self.app.get("/api/v1/users?q=emp3", token=self.app.login("admin")).json["users"]
        self.assertEqual([(u["role"], u["grade"]) for u in users if u["username"] == "emp3"], [("employee", 3)])


class HostileInputTest(ExamdTestCase):
    def raw(self, data, timeout=5):
        s = socket.create_connection(("127.0.0.1", self.app.port), timeout=timeout)
        s.sendall(data)
        try:
            reply = s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            reply = b""
        s.close()
        return reply

    def test_malformed_requests_get_4xx_and_examd_keeps_serving(self):
        token = self.app.login("admin")
        deep = b"[" * 100000 + b"]" * 100000
        self.assertError(self.app.request("POST", "/api/v1/model/versions", raw=deep, token=token), 400, "bad_json")
        self.assertError(self.app.request("POST", "/api/v1/login", raw=b'{"username": "\xff\xfe", "password": "x"}'),
                         400, "bad_json")
        self.assertError(self.app.request("POST", "/api/v1/login", raw=b'{"username": "a", "username": "b"}'), 400)
        injections = ["' OR '1'='1", "x'; DROP TABLE users; --", "\\\\", "%27%20OR%201=1", "\u0000", "😀" * 50]
        for s in injections:
            r = self.app.post("/api/v1/login", {"username": s, "password": s})
            self.assertIn(r.status, (400, 401), r)
            r = self.app.get("/api/v1/users?department=" + quote(s, safe=""), token=token)
            self.assertIn(r.status, (200, 400), r)
            r = self.app.get("/api/v1/employees/" + quote(s, safe="") + "/profile", token=token)
            self.assertIn(r.status, (400, 404), r)
        self.assertEqual(self.app.sql("SELECT count(*) > 0 FROM users"), "t")
        for path in ["/api/v1/attempts/-1", "/api/v1/attempts/1e9", "/api/v1/attempts/99999999999999999999999",
                     "/api/v1/model/versions/0", "/api/v1/questions/%00"]:
            r = self.app.get(path, token=token)
            self.assertIn(r.status, (400, 403, 404, 405), (path, r))
        for junk in [b"GARBAGE\r\n\r\n", b"GET /healthz HTTP/9.9\r\n\r\n", b"GET " + b"/a" * 40000 + b" HTTP/1.1\r\n\r\n",
                     b"POST /api/v1/login HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nX: " + b"y" * 100000 + b"\r\n\r\n", b"\x16\x03\x01\x00\xa5\x01"]:
            reply = self.raw(junk)
            if reply:
                status = int(reply.split(b" ", 2)[1])
                self.assertTrue(400 <= status < 500, (junk[:40], reply[:100]))
        self.assertEqual(self.app.get("/healthz").status, 200)
        self.assertEqual(self.app.get("/api/v1/me", token=token).status, 200)

    def test_thirty_wrong_passwords_bring_429(self):
        self.app.add_user("target", "employee", grade=4)
        statuses = [self.app.post("/api/v1/login", {"username": "target", "password": "wrong-%d" % i}).status
                    for i in range(30)]
        self.assertEqual(statuses[:10], [401] * 10)
        self.assertEqual(set(statuses[10:]), {429})
        token = self.app.login("emp4")
        self.assertEqual(self.app.request("POST", "/api/v1/logout", token=token).status, 204)
        self.assertError(self.app.get("/api/v1/me", token=token), 401)


class SlowClientTest(ExamdTestCase):
    env = {"EXAMD_REQUEST_TIMEOUT": "2"}

    def test_slow_clients_are_timed_out(self):
        import time
        s = socket.create_connection(("127.0.0.1", self.app.port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        t0 = time.time()
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        s.close()
        self.assertLess(time.time() - t0, 8)
        self.assertFalse(data.startswith(b"HTTP/1.1 200"))
        self.assertEqual(self.app.get("/healthz").status, 200)


class ConnectionCapTest(ExamdTestCase):
    env = {"EXAMD_MAX_CONNECTIONS": "16"}
    workers = 1

    def connections(self):
        text = self.app.get("/metrics").body.decode()
        return int(re.search(r'examd_http_connections\{worker="0"\} (\d+)', text).group(1))

    def test_connections_past_the_cap_are_refused_clearly_and_counted_back(self):
        held = []
        for _ in range(15):
            c = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=10)
            c.request("GET", "/healthz")
            self.assertEqual(c.getresponse().read(), b'{"status":"ok"}')
            held.append(c)
        extra = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=10)
        extra.request("GET", "/healthz")
        self.assertEqual(extra.getresponse().status, 200)  # the 16th
        again = http.client.HTTPConnection("127.0.0.1", self.app.port, timeout=10)
        again.request("GET", "/healthz")
        r = again.getresponse()
        self.assertEqual((r.status, r.getheader("Retry-After")), (503, "5"))
        self.assertEqual(json.loads(r.read())["error"]["code"], "unavailable")
        for c in held + [extra, again]:
            c.close()
        # Closed connections are counted back, whichever way they end.
        for i in range(300):
            s = socket.create_connection(("127.0.0.1", self.app.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + (b"Connection: close\r\n" if i % 2 else b"") + b"\r\n")
            s.recv(1000)
            s.close()
        import time
        deadline = time.time() + 5
        while time.time() < deadline and self.connections() > 1:
            time.sleep(0.1)
        self.assertLessEqual(self.connections(), 1)  # only the /metrics connection itself


class AuditTest(ExamdTestCase):
    def test_audit_log_for_admin_without_secrets(self):
        self.app.post("/api/v1/login", {"username": "emp3", "password": "wrong-password"})
        token = self.app.login("hr1")
        self.app.post("/api/v1/users", {"username": "a1", "name": "审计", "role": "employee", "grade": 4,
                                        "password": "secret-pass-77"}, token=token)
        self.app.request("PATCH", "/api/v1/users/a1", {"password": "other-pass-88"}, token=token)
        self.app.request("POST", "/api/v1/logout", token=token)
        admin = self.app.login("admin")
        r = self.app.get("/api/v1/audit", token=admin)
        self.assertEqual(r.status, 200, r)
        actions = [e["action"] for e in r.json["entries"]]
        for a in ["login", "login.failed", "logout", "user.create", "user.update"]:
            self.assertIn(a, actions)
        text = r.body.decode()
        for secret in ["secret-pass-77", "other-pass-88", PASSWORD, token, admin]:
            self.assertNotIn(secret, text)
        only = self.app.get("/api/v1/audit?actor=hr1&action=user", token=admin).json["entries"]
        self.assertEqual({e["action"] for e in only}, {"user.create", "user.update"})
        self.assertError(self.app.get("/api/v1/audit?limit=0", token=admin), 400)
        self.assertError(self.app.get("/api/v1/audit", token=self.app.login("hr1")), 403)


class TlsTest(unittest.TestCase):
    def test_https_with_a_self_signed_certificate(self):
        tmp = tempfile.mkdtemp()
        cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                        "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
        app = Examd(env={"EXAMD_TLS_CERT": cert, "EXAMD_TLS_KEY": key}).start()
        try:
            ctx = ssl.create_default_context(cafile=cert)
            conn = http.client.HTTPSConnection("127.0.0.1", app.port, context=ctx, timeout=10)
            conn.request("GET", "/healthz")
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertIn("max-age", r.getheader("Strict-Transport-Security"))
            self.assertIn(conn.sock.version(), ("TLSv1.2", "TLSv1.3"))
            r.read()
            conn.request("POST", "/api/v1/login", body=json.dumps({"username": "x", "password": "y"}),
                         headers={"Content-Type": "application/json"})
            self.assertEqual(conn.getresponse().status, 401)
            conn.close()
            # TLS 1.1 is refused.
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.check_hostname = False
            old.verify_mode = ssl.CERT_NONE
            old.maximum_version = ssl.TLSVersion.TLSv1_1
            try:
                old.minimum_version = ssl.TLSVersion.TLSv1
            except ValueError:
                pass
            with self.assertRaises((ssl.SSLError, ConnectionResetError, OSError)):
                with socket.create_connection(("127.0.0.1", app.port), timeout=5) as s:
                    with old.wrap_socket(s) as t:
                        t.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                        t.recv(100)
            # Plain HTTP to the TLS port gets no HTTP answer.
            with socket.create_connection(("127.0.0.1", app.port), timeout=5) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                try:
                    data = s.recv(100)
                except (ConnectionResetError, socket.timeout):
                    data = b""
                self.assertFalse(data.startswith(b"HTTP/1.1 200"))
        finally:
            self.assertEqual(app.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
