"""A database migrated and filled by the previous main (efaa608, 2026-12-02) upgrades with today's examd
migrate, and every reader of the scoring rules answers as it did there: profiles at two times, their
SVG, the listing (JSON and CSV), readiness, the exams list and attempts (fixtures made by
upgrade_data.py). Writes keep working afterwards."""
import gzip
import json
import os
import subprocess
import unittest

import upgrade_data
from harness import Examd, SRC, fresh_database, db_url

COMMIT = "efaa608"
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class UpgradeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.database = fresh_database("upgrade")
        with gzip.open(os.path.join(FIXTURES, "upgrade-%s.sql.gz" % COMMIT), "rb") as f:
            dump = f.read()
        p = subprocess.run(["psql", db_url(cls.database), "-v", "ON_ERROR_STOP=1", "-q"], input=dump,
                           capture_output=True, timeout=300)
        assert p.returncode == 0, p.stderr.decode()
        with gzip.open(os.path.join(FIXTURES, "upgrade-%s.json.gz" % COMMIT), "rt", encoding="utf-8") as f:
            cls.fixture = json.load(f)
        cls.app = Examd(database=cls.database)
        # The open attempt must still be open when this runs, whenever that is.
        cls.app.sql("UPDATE attempts SET deadline = now() + interval '1 day' WHERE status = 'open'")
        cls.app.start()

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()

    def test_schema_upgraded(self):
        self.assertIn('"msg":"function file applied"', self.app.logtext())
        files = sorted(f for f in os.listdir(os.path.join(SRC, "migrations", "functions")) if f.endswith(".sql"))
        self.assertEqual(self.app.sql("SELECT string_agg(file, ' ' ORDER BY file) FROM schema_functions"),
                         " ".join(files))
        # The versions efaa608 applied keep no checksum; every later one has its own.
        self.assertEqual(self.app.sql("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL AND "
                                      "version > '0023_ratings_errors_with_codes.sql'"), "0")

    def test_readers_answer_as_before(self):
        hr = self.app.login("hr1")
        own = {u: self.app.login(u) for u in self.fixture["own"]}
        import datetime
        t0 = datetime.datetime.strptime(self.fixture["made_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        now = upgrade_data.readings(self.app, t0, self.fixture["employees"], hr, own)
        before = upgrade_data.normalise(self.fixture["readings"])
        self.assertEqual(sorted(now), sorted(before))
        differ = [k for k in sorted(before) if now[k] != before[k]]
        for k in differ[:3]:
            print("differs:", k, "\n before:", json.dumps(before[k], ensure_ascii=False)[:600],
                  "\n now:   ", json.dumps(now[k], ensure_ascii=False)[:600])
        self.assertEqual(differ, [])

    def test_writes_after_upgrade(self):
        tok = self.app.login("up02")
        open_id = self.app.sql("SELECT id FROM attempts WHERE username = 'up02' AND status = 'open'")
        self.assertTrue(open_id)
        doc = self.app.get("/api/v1/attempts/%s" % open_id, token=tok).json
        q = doc["questions"][-1]
        ans = {"single": "B", "multiple": ["B"], "truefalse": False, "fill": "x"}[q["type"]]
        r = self.app.request("PUT", "/api/v1/attempts/%s/answers/%s" % (open_id, q["id"]), {"answer": ans}, token=tok)
        self.assertEqual(r.status, 200, r)
        r = self.app.post("/api/v1/attempts/%s/submit" % open_id, {}, token=tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["result"]["status"], "submitted")
        self.assertIn("counted", r.json["result"])
        hr = self.app.login("hr1")
        r = self.app.post("/api/v1/behaviour-ratings", [{"employee": "up03", "item": self.behaviour_item(),
                                                           "score": 6, "relation": "supervisor", "period": "2026H2"}],
                          token=hr)
        self.assertEqual(r.status, 201, r)

    def behaviour_item(self):
        return self.app.sql("SELECT code FROM model_items WHERE assessment <> 'exam' ORDER BY position LIMIT 1")


if __name__ == "__main__":
    unittest.main()
