#!/usr/bin/env python3
"""Refuses import circles between the source files of a crate.

Every `crate::a::b` and `super::a` path in a file (in `use` lines and inline, tests included;
comments ignored) is an edge from that file to the file of the longest module prefix that
exists. A strongly connected component of more than one file is a circle: the script prints
each one and exits with status 1.

    python3 scripts/import_cycles.py [CRATE_DIR ...]   (default: every crate of the workspace)
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+|::\{)")
USE_GROUP = re.compile(r"\buse\s+(crate|super)::\{([^;]*)\};", re.S)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def module_files(src):
    """Maps a module path (tuple of names) to its file, for every .rs file under `src`."""
    files = {}
    for folder, _, names in os.walk(src):
        for name in names:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            files[tuple(parts)] = os.path.join(folder, name)
    return files


def module_of(path, src):
    parts = os.path.relpath(path, src)[:-3].split(os.sep)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def targets(text, here, files):
    """The module paths a file refers to."""
    found = []
    for group in USE_GROUP.finditer(text):
        base = here[:-1] if group.group(1) == "super" else ()
        for item in re.split(r"[,{}]", group.group(2)):
            item = item.strip()
            if item and item != "self":
                found.append(base + tuple(item.split("::")))
    for m in PATH.finditer(text):
        if m.group(2) == "::{":
            continue
        names = tuple(n for n in m.group(2).split("::") if n)
        base = here[:-1] if m.group(1) == "super" else ()
        found.append(base + names)
    out = set()
    for path in found:
        for n in range(len(path), 0, -1):
            if path[:n] in files:
                out.add(path[:n])
                break
    return out


def circles(src):
    files = module_files(src)
    graph = {}
    for module, path in files.items():
        text = strip_comments(open(path, encoding="utf-8").read())
        graph[module] = {t for t in targets(text, module, files) if t != module and t != ()}
    # Tarjan's strongly connected components.
    index, low, stack, on_stack, sccs = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(sorted(files[m] for m in scc))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sccs


def crates():
    for name in sorted(os.listdir(ROOT)):
        src = os.path.join(ROOT, name, "src")
        if os.path.isfile(os.path.join(ROOT, name, "Cargo.toml")) and os.path.isdir(src):
            yield os.path.join(ROOT, name)


def main(args):
    dirs = args or list(crates())
    bad = 0
    for crate in dirs:
        for scc in circles(os.path.join(crate, "src")):
            bad += 1
            rel = [os.path.relpath(f, ROOT) for f in scc]
            print("import circle: " + " <-> ".join(rel))
    if bad:
        return 1
    print(f"no import circles in {len(dirs)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
