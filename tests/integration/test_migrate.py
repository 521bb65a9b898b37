"""examd migrate (migrations/README.md): numbered migrations are applied once and are immutable; the
function files under migrations/functions/ are re-applied whenever their checksum changes, all in one
transaction; a database migrated only part of the way to efaa608 is refused with a message."""
import os
import shutil
import tempfile
import unittest

from harness import Examd, SRC, fresh_database, psql, db_url

PROBE = "\nCREATE OR REPLACE FUNCTION examd_probe() RETURNS int LANGUAGE sql AS $$ SELECT %d $$;\n"


class MigrateTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="examd-migrations-")
        shutil.copytree(os.path.join(SRC, "migrations"), os.path.join(self.dir, "m"))
        self.mig = os.path.join(self.dir, "m")
        self.app = Examd(env={"EXAMD_MIGRATIONS_DIR": self.mig})

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def migrate(self, ok=True):
        p = self.app.cli("migrate")
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        else:
            self.assertNotEqual(p.returncode, 0, p.stderr)
        return p.stderr

    def applied(self):
        rows = self.app.sql("SELECT file, checksum, applied_at FROM schema_functions ORDER BY file").splitlines()
        return {r.split("|")[0]: tuple(r.split("|")[1:]) for r in rows}

    def append(self, name, text):
        with open(os.path.join(self.mig, name), "a", encoding="utf-8") as f:
            f.write(text)

    def test_function_files_reapplied_when_changed(self):
        log = self.migrate()
        files = sorted(f for f in os.listdir(os.path.join(self.mig, "functions")) if f.endswith(".sql"))
        self.assertGreaterEqual(len(files), 8)
        first = self.applied()
        self.assertEqual(sorted(first), files)
        for f in files:
            self.assertIn('"file":"%s"' % f, log)
        # Unchanged: nothing applied again.
        log = self.migrate()
        self.assertNotIn("function file applied", log)
        self.assertEqual(self.applied(), first)
        # A new function in one file: that file alone is applied.
        self.append("functions/common.sql", PROBE % 41)
        log = self.migrate()
        self.assertIn('"file":"common.sql"', log)
        self.assertEqual(log.count("function file applied"), 1)
        self.assertEqual(self.app.sql("SELECT examd_probe()"), "41")
        second = self.applied()
        self.assertNotEqual(second["common.sql"], first["common.sql"])
        self.assertEqual({k: v for k, v in second.items() if k != "common.sql"},
                         {k: v for k, v in first.items() if k != "common.sql"})
        # Its body changed: replaced.
        self.append("functions/common.sql", PROBE % 42)
        self.migrate()
        self.assertEqual(self.app.sql("SELECT examd_probe()"), "42")
        # A broken file among two changed ones: nothing of either is applied, the error is named.
        before = self.applied()
        self.append("functions/common.sql", PROBE % 43)
        self.append("functions/users.sql", "\nCREATE OR REPLACE FUNCTION examd_broken( RETURNS int;\n")
        log = self.migrate(ok=False)
        self.assertIn("users.sql", log)
        self.assertEqual(self.app.sql("SELECT examd_probe()"), "42")
        self.assertEqual(self.applied(), before)
        self.assertEqual(self.app.sql("SELECT count(*) FROM pg_proc WHERE proname = 'examd_broken'"), "0")

    def test_numbered_migration_reapplies_every_function_file(self):
        """A numbered migration may drop what a function file defines (a table with its triggers, an old
        signature): after one runs, every function file is applied again."""
        self.migrate()
        with open(os.path.join(self.mig, "9998_drop_a_helper.sql"), "w") as f:
            f.write("DROP FUNCTION examd_try_ts(text);\n")
        log = self.migrate()
        files = [f for f in os.listdir(os.path.join(self.mig, "functions")) if f.endswith(".sql")]
        self.assertEqual(log.count("function file applied"), len(files))
        self.assertEqual(self.app.sql("SELECT examd_try_ts('2026-12-02T10:00:00Z') IS NOT NULL"), "t")

    def test_numbered_migrations_are_immutable(self):
        self.migrate()
        self.assertEqual(self.app.sql("SELECT count(*) FROM schema_migrations WHERE checksum IS NULL"), "0")
        last = sorted(f for f in os.listdir(self.mig) if f.endswith(".sql"))[-1]
        self.append(last, "\n-- edited after it was applied\n")
        log = self.migrate(ok=False)
        self.assertIn("%s was changed after it was applied" % last, log)

    def test_partly_migrated_legacy_database_is_refused(self):
        # What examd before 2026-12-02 left after 0001 alone: no checksum column, no later versions.
        self.app.sql("CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL "
                     "DEFAULT now()); INSERT INTO schema_migrations (version) VALUES ('0001_create_schema.sql')")
        log = self.migrate(ok=False)
        self.assertIn("efaa608", log)
        self.assertEqual(self.app.sql("SELECT count(*) FROM schema_migrations"), "1")

    def test_concurrent_first_migrations(self):
        """Two processes migrating one fresh database at once: both succeed, each file recorded once."""
        import subprocess
        procs = [subprocess.Popen([__import__("harness").BIN, "migrate"], env=self.app.env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        files = [f for f in os.listdir(os.path.join(self.mig, "functions")) if f.endswith(".sql")]
        self.assertEqual(len(self.applied()), len(files))


if __name__ == "__main__":
    unittest.main()
