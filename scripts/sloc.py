#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Where the mechanism lives: non-comment lines of C and Rust.

Counts the lines that are neither blank nor comment in the project's new
kernel files, by language, and the share that is Rust. The mechanism is
kernel/cpu_proxy*, include/linux/cpu_proxy*.h, arch/x86/kernel/proxy_gdt.c
and the modules of rust/proxy/ that the kernel crate builds (declared
with `mod` from rust/proxy/cpu_proxy.rs, without their #[cfg(test)]
modules): a file only the host's tests build is not the mechanism yet. Patches and tests
(lib/, tools/, host/) are listed apart: they are not the mechanism.

It also lists the C functions of the mechanism longer than MAX_C lines
that are not entry or arch code (ALLOW): a C function there translates,
hooks or enters, and none of those is long.

    scripts/sloc.py            the table
    scripts/sloc.py --check    exit 1 if a C function is over MAX_C, or
                               Rust is under MIN_RUST percent
"""
import argparse
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent
MAX_C = 25
# The share of the mechanism's lines that is Rust, at least (percent).
MIN_RUST = 75.0
# Entry, noinstr and arch code, which stays C whatever its length.
ALLOW = {
    "cpu_proxy_claim_slow",
    "cpu_proxy_pass",
    "cpu_proxy_halt",
    "arch_cpu_proxy_run",
}


def strip_c(text):
    """The lines of C `text` without comments, blank lines dropped."""
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
                  text, flags=re.S)
    lines = [re.sub(r"//.*", "", line).rstrip() for line in text.split("\n")]
    return lines


def strip_rust(text):
    """The lines of Rust `text` without comments and test modules."""
    out = []
    skip_depth = None
    pending_cfg_test = False
    depth = 0
    for line in text.split("\n"):
        code = re.sub(r"//.*", "", line).rstrip()
        if skip_depth is None and code.strip() == "#[cfg(test)]":
            pending_cfg_test = True
            continue
        opens, closes = code.count("{"), code.count("}")
        if pending_cfg_test:
            pending_cfg_test = False
            if opens > closes:
                skip_depth = depth
            depth += opens - closes
            continue
        depth += opens - closes
        if skip_depth is not None:
            if depth <= skip_depth:
                skip_depth = None
            continue
        out.append(code)
    return out


def strip_comments(text):
    """The lines of Rust `text` without comments (test code kept)."""
    return [re.sub(r"//.*", "", line).rstrip() for line in text.split("\n")]


def count(lines):
    return sum(1 for line in lines if line.strip())


def c_functions(path, lines):
    """(name, non-comment lines) of each function defined in `lines`."""
    funcs = []
    name = None
    body = 0
    for i, line in enumerate(lines):
        if name is None:
            if line == "{" and i > 0:
                # The signature may span lines: it starts at the last line
                # before the brace that is not indented.
                start = i - 1
                while start > 0 and lines[start][:1] in (" ", "\t"):
                    start -= 1
                sig = " ".join(lines[start:i])
                m = [n for n in re.findall(r"(\w+)\s*\(", sig)
                     if n not in ("__releases", "__acquires", "__must_hold")]
                if m and "=" not in sig.split("(")[0]:
                    name = m[0]
                    body = 0
        elif line == "}":
            funcs.append((name, body))
            name = None
        elif line.strip():
            body += 1
    return funcs


def files(patterns):
    out = []
    for pattern in patterns:
        out += sorted(p for p in REPO.glob(pattern) if p.is_file())
    return out


def crate_files(root):
    """The files of the Rust crate whose root is `root`: those its `mod`
    declarations reach (not `#[cfg(test)]` ones), a.rs or a/mod.rs."""
    out = []
    todo = [(root, root.parent)]
    while todo:
        path, base = todo.pop()
        out.append(path)
        pending_cfg_test = False
        for line in path.read_text().split("\n"):
            code = line.strip()
            if code == "#[cfg(test)]":
                pending_cfg_test = True
                continue
            m = re.match(r"(?:pub(?:\([\w:]+\))?\s+)?mod\s+(\w+)\s*;", code)
            if m and not pending_cfg_test:
                name = m.group(1)
                flat, nested = base / f"{name}.rs", base / name / "mod.rs"
                if flat.is_file():
                    todo.append((flat, base / name))
                elif nested.is_file():
                    todo.append((nested, base / name))
            pending_cfg_test = False
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="fail if a C function of the mechanism is too long, "
                    "or Rust's share too small")
    args = ap.parse_args()

    c_files = files(["kernel/cpu_proxy*.[ch]", "include/linux/cpu_proxy*.h",
                     "arch/x86/kernel/proxy_gdt.c"])
    rust_files = crate_files(REPO / "rust/proxy/cpu_proxy.rs")
    rows = []
    c_total = rust_total = 0
    long_funcs = []
    for p in c_files:
        lines = strip_c(p.read_text())
        n = count(lines)
        c_total += n
        rows.append(("C", p, n))
        for name, body in c_functions(p, lines):
            if body > MAX_C and name not in ALLOW:
                long_funcs.append((p, name, body))
    for p in rust_files:
        n = count(strip_rust(p.read_text()))
        rust_total += n
        rows.append(("Rust", p, n))

    print("mechanism: non-comment lines")
    for lang, p, n in rows:
        print(f"  {lang:4} {n:5}  {p.relative_to(REPO)}")
    total = c_total + rust_total
    share = 100 * rust_total / max(total, 1)
    print(f"  C {c_total}, Rust {rust_total}: Rust is {share:.1f}% "
          f"(at least {MIN_RUST:.0f}% wanted)")

    print("apart: patches and tests")
    for what, patterns, strip in (
            ("patches", ["patches/*.patch"], None),
            ("tests (C)", ["lib/*.c", "tools/testing/selftests/cpu-proxy/*.[ch]"],
             strip_c),
            ("tests (Rust)", ["host/*.rs"], strip_comments)):
        n = 0
        for p in files(patterns):
            text = p.read_text()
            if strip is None:
                n += count(strip_rust(text)) if p.suffix == ".rs" else \
                    sum(1 for line in text.split("\n")
                        if line.startswith("+") and not line.startswith("+++"))
            else:
                n += count(strip(text))
        print(f"  {what:12} {n:6}")

    print(f"C functions of the mechanism over {MAX_C} lines "
          f"(entry and arch code apart): {len(long_funcs)}")
    for p, name, body in long_funcs:
        print(f"  {body:4}  {name}  ({p.relative_to(REPO)})")
    return 1 if args.check and (long_funcs or share < MIN_RUST) else 0


if __name__ == "__main__":
    sys.exit(main())
