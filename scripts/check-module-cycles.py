#!/usr/bin/env python3
"""Fails when a module of the server imports a module that imports it back.

The graph: one node per top-level module of `server/src` (a file `x.rs` or a folder `x/`,
with everything under it), plus `lib` (the crate root); an edge for each `crate::x` path in
a module's code (and `crate::Name` for an item of the root). Inside a folder module, its
child modules are nodes too, with an edge for each `super::sibling` path: siblings must not
import each other in a circle either (a parent using its children, and children using their
parent's types, is how Rust modules are built and not counted). Comments are ignored.

Usage: scripts/check-module-cycles.py [server/src]
"""
import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super)::(\{[^}]*\}|\w+)")


def code_of(path):
    lines = []
    for line in path.read_text().splitlines():
        line = line.split("//", 1)[0]
        lines.append(line)
    return "\n".join(lines)


def targets(code, kind):
    """The first segments after `kind::` (crate or super), groups expanded."""
    found = set()
    for k, what in PATH.findall(code):
        if k != kind:
            continue
        if what.startswith("{"):
            for part in what[1:-1].split(","):
                name = part.strip().split("::")[0].split(" ")[0]
                if name:
                    found.add(name)
        else:
            found.add(what)
    return found


def modules_in(folder):
    """Child modules of a folder module: name -> files that make it up."""
    mods = {}
    for entry in sorted(folder.iterdir()):
        if entry.name in ("lib.rs", "main.rs", "mod.rs"):
            continue
        if entry.suffix == ".rs":
            mods.setdefault(entry.stem, []).append(entry)
        elif entry.is_dir():
            mods.setdefault(entry.name, []).extend(sorted(entry.rglob("*.rs")))
    return mods


def find_cycle(graph):
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def main():
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "server/src")
    top = modules_in(src)
    graph = {"lib": set()}
    root_code = code_of(src / "lib.rs")
    for name in top:
        if re.search(rf"(?<![\w:]){name}::", root_code):
            graph["lib"].add(name)
    for name, files in top.items():
        edges = set()
        for f in files:
            for t in targets(code_of(f), "crate"):
                edges.add(t if t in top else "lib")
        edges.discard(name)
        graph[name] = edges
    failed = False
    cycle = find_cycle(graph)
    if cycle:
        print("module cycle in " + str(src) + ": " + " -> ".join(cycle), file=sys.stderr)
        failed = True
    # Siblings inside each folder module.
    for folder in sorted(p for p in src.rglob("*") if p.is_dir()):
        children = {n: fs for n, fs in modules_in(folder).items()}
        graph = {}
        for name, files in children.items():
            edges = set()
            for f in files:
                if f.parent != folder and f.parent.parent != folder:
                    continue
                edges |= {t for t in targets(code_of(f), "super") if t in children and t != name}
            graph[name] = edges
        cycle = find_cycle(graph)
        if cycle:
            print("module cycle in " + str(folder) + ": " + " -> ".join(cycle), file=sys.stderr)
            failed = True
    if failed:
        sys.exit(1)
    print(f"no module cycles in {src} ({len(top)} modules)")


if __name__ == "__main__":
    main()
