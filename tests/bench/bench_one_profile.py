"""Single-profile latency: GET /api/v1/employees/bN/profile through the real examd on a database that
bench_profiles.py filled (--database NAME), 100 employees per round; prints each round's median and p90.
To compare two builds, run it with each EXAMD_BIN (each on its own database) alternately.

Usage: EXAMD_TEST_PG=postgresql://postgres@127.0.0.1:PORT/postgres EXAMD_BIN=build/examd \
    python3 tests/bench/bench_one_profile.py DATABASE [ROUNDS] [LABEL]
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Examd  # noqa: E402


def main():
    database, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    label = sys.argv[3] if len(sys.argv) > 3 else os.environ.get("EXAMD_BIN", "build/examd")
    app = Examd(database=database, env={"EXAMD_LOG_LEVEL": "warning"}).start()
    try:
        tok = app.login("hr")
        for i in range(20):  # warm the connections' plans
            app.get("/api/v1/employees/b%d/profile" % (i + 1), token=tok)
        medians, p90s = [], []
        for _ in range(rounds):
            t = []
            for i in range(100):
                t0 = time.perf_counter()
                r = app.get("/api/v1/employees/b%d/profile" % (100 + i * 37), token=tok)
                t.append((time.perf_counter() - t0) * 1000)
                assert r.status == 200, r
            t.sort()
            medians.append(statistics.median(t))
            p90s.append(t[89])
        print("%s: median per round %s ms; p90 %s ms" % (label, " ".join("%.1f" % m for m in medians),
                                                         " ".join("%.1f" % p for p in p90s)))
    finally:
        app.stop()


if __name__ == "__main__":
    main()
