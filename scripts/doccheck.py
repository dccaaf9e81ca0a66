#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check reStructuredText as the kernel's documentation build would read it.

Usage: doccheck.py FILE.rst...

Each file is parsed with docutils; any message at level WARNING or above
fails the check, with its line. Sphinx's directives and roles, which
docutils alone does not know (toctree, kernel-doc, :doc:, :ref:, c:func),
are accepted without being checked: their targets are the documentation
build's business, not this lint's. Exits 1 if any file has a problem.
"""
import sys

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles


class Accept(Directive):
    """A Sphinx directive: parsed, options and content ignored."""
    required_arguments = 0
    optional_arguments = 10
    final_argument_whitespace = True
    option_spec = None
    has_content = True

    def run(self):
        return []


class AnyOptions(dict):
    def __getitem__(self, key):
        return directives.unchanged

    def __contains__(self, key):
        return True


Accept.option_spec = AnyOptions()

for name in ("toctree", "kernel-doc", "kernel-abi", "only", "c:function",
             "c:macro", "c:type", "c:struct", "kernel-feat", "kernel-include"):
    directives.register_directive(name, Accept)


def accept_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.literal(rawtext, utils.unescape(text))], []


for name in ("doc", "ref", "c:func", "c:type", "c:macro", "c:data",
             "c:member", "c:enum", "c:struct", "manpage", "abbr"):
    roles.register_local_role(name, accept_role)


class Collect:
    def __init__(self):
        self.msgs = []

    def write(self, s):
        self.msgs.append(s)


def check(path):
    text = open(path, encoding="utf-8").read()
    sink = Collect()
    publish_doctree(text, source_path=path, settings_overrides={
        "report_level": 2, "halt_level": 5, "warning_stream": sink,
        "file_insertion_enabled": False, "raw_enabled": False})
    for m in sink.msgs:
        sys.stdout.write(m)
    return not sink.msgs


def main(argv):
    ok = True
    for path in argv[1:]:
        ok &= check(path)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
