"""The layers of service/, checked from the #include lines.

A module is a source file with its header (http/request.c + http/request.h). The rule:
  core    uses core only
  domain  uses core (pure logic, no I/O)
  db      uses core
  http    uses core (it knows no database and no API)
  api     uses http, db, domain, core
  main.c and cli.c wire everything.
No two modules may include each other, directly or through others (no cycle in the module graph).

Usage: python3 tests/layers.py [SERVICE_DIR]   (exit 1 and one line per problem when the rule is broken)
"""
import os
import re
import sys

ALLOWED = {
    "core": {"core"},
    "domain": {"domain", "core"},
    "db": {"db", "core"},
    "http": {"http", "core"},
    "api": {"api", "http", "db", "domain", "core"},
    "": {"", "api", "http", "db", "domain", "core"},  # main.c, cli.c
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root):
    """{module: {modules it includes}} for every .c and .h under root (web assets skipped)."""
    graph = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "web"]
        for name in files:
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(folder, name)
            module = os.path.splitext(os.path.relpath(path, root))[0].replace(os.sep, "/")
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            deps = graph.setdefault(module, set())
            for inc in INCLUDE.findall(text):
                target = os.path.splitext(inc)[0]
                if target != module:
                    deps.add(target)
    return graph


def layer(module):
    return module.split("/", 1)[0] if "/" in module else ""


def cycles(graph):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def problems(root):
    graph = modules(root)
    found = []
    for module in sorted(graph):
        for dep in sorted(graph[module]):
            if dep not in graph:
                found.append("%s includes %s, which is not under %s" % (module, dep, root))
            elif layer(dep) not in ALLOWED.get(layer(module), set()):
                found.append("layer: %s (%s) includes %s (%s)" % (module, layer(module) or "main",
                                                                   dep, layer(dep) or "main"))
    for comp in cycles(graph):
        found.append("cycle: " + " <-> ".join(comp))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                               "service")
    found = problems(root)
    for line in found:
        print(line)
    n = len(modules(root))
    print("layers: %d modules, %d problems" % (n, len(found)))
    # The plain closing line of a test run.
    print("%d passed, %d failed" % (0 if found else 1, 1 if found else 0))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
