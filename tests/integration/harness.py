"""Integration-test harness: a real examd process on a fresh PostgreSQL database, over HTTP.

Environment (set by tests/run.sh and ctest):
  EXAMD_BIN        the examd binary under test
  EXAMD_TEST_PG    a superuser connection URL of a running throwaway cluster
  EXAMD_SOURCE_DIR the repository
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import unittest
import uuid

BIN = os.environ.get("EXAMD_BIN", "build/examd")
PG = os.environ.get("EXAMD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SRC = os.environ.get("EXAMD_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PASSWORD = "correct-horse-9"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def db_url(name, base=PG):
    """The same server URL with another database name."""
    return base.rsplit("/", 1)[0] + "/" + name


def psql(sql, url=PG, check=True, timeout=60):
    """Runs SQL with psql; returns stdout (tuples only, unaligned)."""
    p = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atq", "-c", sql],
                       capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("psql failed: %s\n%s" % (sql, p.stderr))
    return p.stdout.strip()


def fresh_database(prefix="t"):
    name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
    psql("CREATE DATABASE %s" % name)
    return name


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Examd:
    """One examd process. Several may share a database (pass database=)."""

    def __init__(self, database=None, env=None, workers=2):
        self.database = database or fresh_database()
        self.url = db_url(self.database)
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "EXAMD_DATABASE_URL": self.url,
            "EXAMD_HTTP_PORT": str(self.port),
            "EXAMD_WORKERS": str(workers),
            "EXAMD_SCRYPT_LOG2N": "10",
            "EXAMD_MIGRATIONS_DIR": os.path.join(SRC, "migrations"),
            "EXAMD_WEB_DIR": os.path.join(SRC, "service", "web"),
        })
        if env:
            self.env.update(env)
        self.proc = None
        self.log = []
        self._reader = None

    # ------------------------------------------------------------ process
    def start(self, timeout=60):
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.log = []
        listening = threading.Event()

        def read(proc, log):
            for line in proc.stderr:
                log.append(line.rstrip("\n"))
                if '"msg":"listening"' in line:
                    listening.set()

        self._reader = threading.Thread(target=read, args=(self.proc, self.log), daemon=True)
        self._reader.start()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if listening.is_set() or self._answers():
                break
            if self.proc.poll() is not None:
                self._reader.join(2)
                raise AssertionError("examd exited with %s:\n%s" % (self.proc.returncode, "\n".join(self.log[-40:])))
            time.sleep(0.05)
        else:
            raise AssertionError("examd did not start:\n" + "\n".join(self.log[-40:]))
        return self

    def _answers(self):
        try:
            return self.get("/healthz", timeout=1).status == 200
        except OSError:
            return False

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if self._reader:
            self._reader.join(5)
        self.proc.stderr.close()
        self.proc = None
        return rc

    def logtext(self):
        return "\n".join(self.log)

    # ------------------------------------------------------------ HTTP
    def request(self, method, path, body=None, token=None, headers=None, timeout=30, raw=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        return resp

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, body=None, token=None, **kw):
        return self.request("POST", path, body=body, token=token, **kw)

    def login(self, username, password=PASSWORD):
        r = self.post("/api/v1/login", {"username": username, "password": password})
        if r.status != 200:
            raise AssertionError("login %s failed: %r" % (username, r))
        return r.json["token"]

    # ------------------------------------------------------------ CLI and SQL
    def cli(self, *args, stdin=None):
        return subprocess.run([BIN] + list(args), env=self.env, input=stdin, capture_output=True, text=True,
                              timeout=120)

    def add_user(self, username, role, grade=None, password=PASSWORD, name=None, department="政企客户部"):
        args = ["user", "add", "--username", username, "--role", role, "--department", department]
        if grade is not None:
            args += ["--grade", str(grade)]
        if name:
            args += ["--name", name]
        p = self.cli(*args, stdin=password + "\n")
        if p.returncode != 0:
            raise AssertionError("user add failed: %s %s" % (p.stdout, p.stderr))
        return username

    def sql(self, statement, check=True):
        return psql(statement, self.url, check=check)


class ExamdTestCase(unittest.TestCase):
    """A test case with one examd (self.app) started in setUpClass on its own database,
    an admin, an HR user, a trainer and two employees."""

    workers = 2
    env = None

    @classmethod
    def setUpClass(cls):
        cls.app = Examd(env=cls.env, workers=cls.workers).start()
        cls.app.add_user("admin", "admin", name="管理员")
        cls.app.add_user("hr1", "hr", name="王人事", department="人力资源部")
        cls.app.add_user("trainer1", "trainer", name="李培训", department="培训中心")
        cls.app.add_user("emp3", "employee", grade=3, name="陈三级")
        cls.app.add_user("emp4", "employee", grade=4, name="张四级")

    @classmethod
    def tearDownClass(cls):
        rc = cls.app.stop()
        if rc not in (0, None):
            raise AssertionError("examd exited with %s:\n%s" % (rc, cls.app.logtext()[-4000:]))

    def assertError(self, resp, status, code=None):
        self.assertEqual(resp.status, status, resp)
        body = resp.json
        self.assertIn("error", body, resp)
        self.assertIsInstance(body["error"].get("message"), str)
        if code:
            self.assertEqual(body["error"]["code"], code, resp)


class PrivateCluster:
    """A PostgreSQL cluster of the test's own, for tests that stop and start the database."""

    def __init__(self):
        self.dir = os.path.join(os.environ.get("EXAMD_TEST_TMP", "/tmp"), "pg-" + uuid.uuid4().hex[:8])
        self.port = free_port()
        self.lib = os.path.join(SRC, "deploy", "lib", "pg.sh")

    def _sh(self, script):
        p = subprocess.run(["bash", "-c", ". '%s'; %s" % (self.lib, script)], capture_output=True, text=True,
                           timeout=120)
        if p.returncode != 0:
            raise AssertionError("pg.sh failed: %s\n%s%s" % (script, p.stdout, p.stderr))

    def init(self):
        self._sh("pg_init '%s' trust" % self.dir)
        return self

    def start(self):
        self._sh("EXAMD_PG_FSYNC=off pg_start '%s' %d" % (self.dir, self.port))
        return self

    def stop(self):
        self._sh("pg_stop '%s'" % self.dir)

    def crash(self):
        """Stops the server the way a crash does (pg_ctl -m immediate): what is only in its shared
        memory (WAL not yet written) is gone; the next start recovers from the WAL."""
        self._sh("pg_as_owner \"$(pg_bindir)/pg_ctl\" -D '%s' -m immediate -w stop >/dev/null" % self.dir)

    def url(self, dbname="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, dbname)

    def remove(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def rss_kib(pid):
    """The process's resident set, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sanitized(pid):
    """Whether the process runs under AddressSanitizer (its quarantine keeps freed memory resident)."""
    with open("/proc/%d/maps" % pid) as f:
        return "asan" in f.read()
