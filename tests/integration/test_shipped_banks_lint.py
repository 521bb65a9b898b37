"""The shipped question banks pass the bank checks (issue 16, part 4): `examd bank lint` on every
question-banks/*.csv with the shipped blueprints must show
  - a surface-cue baseline below 41 (band 1) for every blueprint,
  - key_longest in at most 35 % of the single-choice questions of each (item, subtopic, level) cell,
  - no answer_leak and no near_duplicate.
Needs no database. Every failure is listed, not just the first."""
import csv
import glob
import json
import os
import subprocess
import unittest
from collections import Counter, defaultdict

BIN = os.environ.get("EXAMD_BIN", "build/examd")
SRC = os.environ.get("EXAMD_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BANKS = os.path.join(SRC, "question-banks")
BASELINE_LIMIT = 41.0      # band 1: a cue-only guesser must not reach band 2
KEY_LONGEST_SHARE = 0.35   # per cell, of the single-choice questions
FORBIDDEN = ("answer_leak", "near_duplicate")


def lint(path):
    p = subprocess.run([BIN, "bank", "lint", path, "--blueprints", os.path.join(BANKS, "blueprints.json"), "--json"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("examd bank lint %s exited %d:\n%s" % (path, p.returncode, p.stderr))
    return json.loads(p.stdout)


def singles_per_cell(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return Counter((r["item"], r["subtopic"], r["level"]) for r in rows if r["type"] in ("single", "单选"))


class ShippedBanksLintTest(unittest.TestCase):
    def test_shipped_banks_resist_cue_guessing(self):
        files = sorted(glob.glob(os.path.join(BANKS, "*.csv")))
        self.assertTrue(files, "no question-banks/*.csv")
        failures = []
        seen_blueprints = 0
        for path in files:
            name = os.path.basename(path)
            report = lint(path)
            for b in report["baselines"]:
                if not b.get("blueprint"):
                    continue
                seen_blueprints += 1
                if b["score"] is None or b["score"] >= BASELINE_LIMIT:
                    failures.append("%s: blueprint %s/%s: surface-cue baseline %s >= %g"
                                    % (name, b["item"], b["level"], b["score"], BASELINE_LIMIT))
            longest = defaultdict(list)
            for w in report["warnings"]:
                if w["code"] == "key_longest":
                    longest[(w["item"], w["subtopic"], w["level"])].append(w["external_id"] or "row %d" % w["row"])
                elif w["code"] in FORBIDDEN:
                    failures.append("%s: row %d (%s): %s: %s" % (name, w["row"], w["external_id"], w["code"],
                                                                w["message"]))
            for cell, n in sorted(singles_per_cell(path).items()):
                hits = longest.get(cell, [])
                if n and len(hits) > KEY_LONGEST_SHARE * n:
                    failures.append("%s: cell %s: key_longest in %d of %d single-choice questions (%.0f %% > %.0f %%): %s"
                                    % (name, "/".join(cell), len(hits), n, 100.0 * len(hits) / n,
                                       100 * KEY_LONGEST_SHARE, ", ".join(hits)))
        self.assertGreater(seen_blueprints, 0, "no blueprint of question-banks/blueprints.json was linted")
        if failures:
            self.fail("%d problems in the shipped banks:\n  %s" % (len(failures), "\n  ".join(failures)))


if __name__ == "__main__":
    unittest.main()
