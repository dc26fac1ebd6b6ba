#!/usr/bin/env python3
"""What each crate costs in the browser's wasm: code bytes per crate (from the name section
that rustc's linker writes), plus the data segments. A light stand-in for `twiggy top` that
needs nothing installed.

    scripts/wasm_sizes.py target/wasm32-unknown-unknown/wasm-release/frontend.wasm [--top 40]

Read it before wasm-bindgen and wasm-opt (they drop the names); sizes shrink about a third
after wasm-opt -Oz, the proportions stay.

The build is split at the lazy routes (`cargo leptos build --split`): `frontend.wasm` is the
whole program, `frontend_split.wasm` beside it the main module the splitter leaves, i.e. what
the phone's page downloads:

    scripts/wasm_sizes.py target/front/wasm32-unknown-unknown/wasm-release/frontend_split.wasm
"""
import re
import sys
from collections import Counter


def leb(buf, pos):
    result = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def sections(buf):
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, pos = leb(buf, pos + 1)
        yield sid, buf[pos:pos + size]
        pos += size


def imported_functions(body):
    count, pos = leb(body, 0)
    funcs = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            n, pos = leb(body, pos)
            pos += n
        kind = body[pos]
        pos += 1
        if kind == 0:
            _, pos = leb(body, pos)
            funcs += 1
        elif kind == 1:
            pos += 1
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 2:
            flags, pos = leb(body, pos)
            _, pos = leb(body, pos)
            if flags & 1:
                _, pos = leb(body, pos)
        elif kind == 3:
            pos += 2
        elif kind == 4:
            pos += 1
            _, pos = leb(body, pos)
    return funcs


def code_sizes(body):
    count, pos = leb(body, 0)
    sizes = []
    for _ in range(count):
        size, pos = leb(body, pos)
        sizes.append(size)
        pos += size
    return sizes


def function_names(body):
    pos = 0
    names = {}
    while pos < len(body):
        sub = body[pos]
        size, pos = leb(body, pos + 1)
        if sub == 1:
            count, p = leb(body, pos)
            for _ in range(count):
                idx, p = leb(body, p)
                n, p = leb(body, p)
                names[idx] = body[p:p + n].decode("utf-8", "replace")
                p += n
        pos += size
    return names


LEGACY_ESCAPES = {"$LT$": "<", "$GT$": ">", "$u20$": " ", "$C$": ",", "$RF$": "&", "$LP$": "(",
                  "$RP$": ")", "$u7b$": "{", "$u7d$": "}", "$BP$": "*", "$SP$": "@", "$u27$": "'",
                  "$u5b$": "[", "$u5d$": "]", "$u3b$": ";", "$u21$": "!", "$u22$": '"', "$u7e$": "~"}


def demangle(name):
    """Rust's legacy mangling (_ZN…E) to a path; v0 (_R…) to its crate names only."""
    if name.startswith("_ZN"):
        pos, parts = 3, []
        while pos < len(name) and name[pos].isdigit():
            m = re.match(r"\d+", name[pos:])
            n = int(m.group(0))
            pos += len(m.group(0))
            parts.append(name[pos:pos + n])
            pos += n
        if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
            parts.pop()
        path = "::".join(parts)
        for k, v in LEGACY_ESCAPES.items():
            path = path.replace(k, v)
        return path.replace("..", "::").replace("::_<", "::<").lstrip("_")
    if name.startswith("_R"):
        crates = re.findall(r"C(?:s[0-9A-Za-z]*_)?\d+([A-Za-z_][A-Za-z0-9_]*)", name)
        idents = re.findall(r"\d+([A-Za-z_][A-Za-z0-9_]*)", name)
        return "::".join(crates[:1] + idents[1:]) if crates else name
    return name


def crate_of(name):
    name = demangle(name)
    if name.startswith("<"):
        inner = name[1:]
        self_ty, _, trait = inner.partition(" as ")
        self_ty = self_ty.lstrip("&*[( ").replace("dyn ", "").replace("mut ", "")
        first = re.match(r"([A-Za-z_][A-Za-z0-9_]*)(::)?", self_ty)
        # A generic parameter or a std type: count it against the trait's crate.
        if first and first.group(2) and first.group(1) not in ("core", "alloc", "std"):
            return first.group(1)
        if trait:
            m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)", trait)
            return m.group(1) if m else trait[:20]
        return first.group(1) if first else self_ty[:20]
    m = re.match(r"([A-Za-z_][A-Za-z0-9_]*)", name)
    return m.group(1) if m else name[:20]


def main():
    path = sys.argv[1]
    top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 40
    buf = open(path, "rb").read()
    imports, sizes, names, data = 0, [], {}, 0
    for sid, body in sections(buf):
        if sid == 2:
            imports = imported_functions(body)
        elif sid == 10:
            sizes = code_sizes(body)
        elif sid == 11:
            data = len(body)
        elif sid == 0:
            n, p = leb(body, 0)
            if body[p:p + n] == b"name":
                names = function_names(body[p + n:])
    by_crate = Counter()
    by_fn = Counter()
    for i, size in enumerate(sizes):
        name = names.get(imports + i, f"func[{imports + i}]")
        by_crate[crate_of(name)] += size
        by_fn[name] += size
    total = sum(sizes)
    print(f"{path}: {len(buf) / 1024:.0f} KiB file, {total / 1024:.0f} KiB code in {len(sizes)} functions, {data / 1024:.0f} KiB data")
    print("\ncode by crate:")
    for crate, size in by_crate.most_common(top):
        print(f"  {size / 1024:8.1f} KiB {100 * size / total:5.1f}%  {crate}")
    print("\nlargest functions:")
    for name, size in by_fn.most_common(top):
        print(f"  {size / 1024:8.1f} KiB  {demangle(name)[:150]}")


if __name__ == "__main__":
    main()
