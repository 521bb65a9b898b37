"""The web UI in a real browser: tests/e2e/ui.test.mjs (playwright-core driving headless Debian
Chromium) against examd on a fresh database with the shipped question banks and blueprints."""
import glob
import json
import os
import shutil
import subprocess
import unittest

from harness import PASSWORD, SRC, Examd

E2E = os.path.join(SRC, "tests", "e2e")
CHROMIUM = "/usr/bin/chromium"
NODE = shutil.which("node")


@unittest.skipUnless(os.path.exists(CHROMIUM) and NODE, "needs /usr/bin/chromium and node")
class BrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = Examd().start()
        try:
            banks = sorted(glob.glob(os.path.join(SRC, "question-banks", "*.csv")))
            assert banks, "no question banks shipped"
            for path in banks:
                p = cls.app.cli("bank", "import", path)
                assert p.returncode == 0, "bank import %s: %s%s" % (path, p.stdout, p.stderr)
            p = cls.app.cli("blueprint", "put", os.path.join(SRC, "question-banks", "blueprints.json"))
            assert p.returncode == 0, "blueprint put: %s%s" % (p.stdout, p.stderr)
            cls.app.add_user("admin", "admin", name="管理员")
            cls.app.add_user("hr1", "hr", name="王人事", department="人力资源部")
            cls.app.add_user("trainer1", "trainer", name="李培训", department="培训中心")
            cls.app.add_user("emp3", "employee", grade=3, name="陈三级", department="政企一部")
            cls.app.add_user("emp4", "employee", grade=4, name="张四级", department="政企一部")
        except BaseException:
            cls.app.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.app.stop()
        if rc not in (0, None):
            raise AssertionError("examd exited with %s:\n%s" % (rc, cls.app.logtext()[-4000:]))

    def install(self):
        # Installed once, and again when tests/e2e/package.json pins another version.
        with open(os.path.join(E2E, "package.json"), encoding="utf-8") as f:
            wanted = json.load(f)["devDependencies"]["playwright-core"]
        try:
            with open(os.path.join(E2E, "node_modules", "playwright-core", "package.json"), encoding="utf-8") as f:
                if json.load(f)["version"] == wanted:
                    return
        except (OSError, ValueError, KeyError):
            pass
        npm = shutil.which("npm")
        self.assertIsNotNone(npm, "npm is needed to install tests/e2e (playwright-core)")
        p = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=E2E, capture_output=True, text=True,
                           timeout=600)
        self.assertEqual(p.returncode, 0, "npm ci failed:\n%s\n%s" % (p.stdout[-3000:], p.stderr[-3000:]))

    def test_web_ui_in_chromium(self):
        self.install()
        env = dict(os.environ)
        env.update({
            "EXAMD_URL": "http://127.0.0.1:%d" % self.app.port,
            "E2E_PASSWORD": PASSWORD,
            "E2E_EMPLOYEE": "emp3",
            "E2E_TIMEOUT_EMPLOYEE": "emp4",
            "E2E_TRAINER": "trainer1",
            "E2E_HR": "hr1",
            "CHROMIUM": CHROMIUM,
        })
        try:
            p = subprocess.run([NODE, os.path.join(E2E, "ui.test.mjs")], cwd=SRC, env=env, capture_output=True,
                               text=True, timeout=560)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            self.fail("the browser tests did not finish in 560 s:\n%s" % out)
        if p.returncode != 0:
            print(p.stdout)
            print(p.stderr)
            print("\n".join(self.app.log[-60:]))
        self.assertEqual(p.returncode, 0, "node tests/e2e/ui.test.mjs failed (output above)")


if __name__ == "__main__":
    unittest.main(verbosity=2)
