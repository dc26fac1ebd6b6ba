#!/usr/bin/env python3
"""Folds `perf script -F comm,tid,ip,sym` output (recorded with call graphs) into two lists:
the share of samples whose stack holds each frame (inclusive), and each frame's self time.
Generic parameters and closure names are trimmed so that one function is one line.

    perf record -F 1999 --call-graph dwarf,16384 -p "$(pgrep -n server)" -- sleep 1.5
    perf script -F comm,tid,ip,sym > stacks.txt
    scripts/perf-fold.py stacks.txt 'server::|writev|malloc'   # the regex filters the inclusive list

Used for the join and draw profiles in README's Performance section (docs/bench/perf-*.txt):
`perf report --children` prints every inlined frame of tokio's harness, which buries the
server's own functions.
"""
import collections
import re
import sys


def stacks(path):
    """Yields each sample's frames, innermost first."""
    frames = []
    for line in open(path, errors="replace"):
        if not line.strip():
            if frames:
                yield frames
            frames = []
        elif line.startswith((" ", "\t")):
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "?")
        else:
            frames = []
    if frames:
        yield frames


def simplify(frame):
    for _ in range(4):
        frame = re.sub(r"<[^<>]*>", "", frame)
    return re.sub(r"\{closure[^}]*\}", "{closure}", frame)[:120]


def main():
    path = sys.argv[1]
    pattern = re.compile(sys.argv[2]) if len(sys.argv) > 2 else None
    inclusive, own, total = collections.Counter(), collections.Counter(), 0
    for frames in stacks(path):
        total += 1
        own[simplify(frames[0])] += 1
        inclusive.update({simplify(f) for f in frames})
    print("samples", total)
    print("== inclusive")
    for frame, n in inclusive.most_common(400):
        if pattern is None or pattern.search(frame):
            print(f"{100 * n / total:5.1f}% {frame}")
    print("== self")
    for frame, n in own.most_common(40):
        print(f"{100 * n / total:5.1f}% {frame}")


if __name__ == "__main__":
    main()
