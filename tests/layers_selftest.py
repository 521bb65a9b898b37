"""layers.py fails when the rule is broken: on a copy of service/ it must report a cycle added between
two modules that include one another, and an arrow against the layers (http including api)."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import layers  # noqa: E402


def main():
    src = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "service")
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("web"))
        if layers.problems(root):
            failures.append("the copy already has problems: %s" % layers.problems(root))
        graph = layers.modules(root)
        # A module of the same layer that another includes: make it include that one back.
        a, b = next((m, d) for m in sorted(graph) for d in sorted(graph[m])
                    if layers.layer(m) == layers.layer(d) == "api" and os.path.exists(os.path.join(root, d + ".h")))
        with open(os.path.join(root, b + ".h"), "a") as f:
            f.write('\n#include "%s.h"\n' % a)
        found = layers.problems(root)
        if not any(p.startswith("cycle:") and a in p and b in p for p in found):
            failures.append("no cycle reported after %s.h included %s.h: %s" % (b, a, found))
        # Undo, then an arrow against the layers.
        shutil.rmtree(root)
        shutil.copytree(src, root, ignore=shutil.ignore_patterns("web"))
        with open(os.path.join(root, "http", "request.c"), "a") as f:
            f.write('\n#include "db/pool.h"\n')
        found = layers.problems(root)
        if not any(p.startswith("layer: http/request") and "db/pool" in p for p in found):
            failures.append("no layer problem reported for http/request.c including db/pool.h: %s" % found)
    for line in failures:
        print(line)
    print("%d passed, %d failed" % (0 if failures else 2, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
