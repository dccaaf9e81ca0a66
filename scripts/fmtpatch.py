#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Developer helper: turn `diff -ruN a b` output into a patch for patches/.

Usage: fmtpatch.py DIFF SUBJECT BODYFILE OUT
"""
import re
import sys


def main():
    diff, subject, bodyfile, out = sys.argv[1:5]
    res = []
    for line in open(diff).read().splitlines():
        m = re.match(r"diff -ruN a/(\S+) b/(\S+)", line)
        if m:
            res.append(f"diff --git a/{m[1]} b/{m[2]}")
        elif line.startswith("--- a/"):
            res.append("--- a/" + line[6:].split("\t")[0])
        elif line.startswith("+++ b/"):
            res.append("+++ b/" + line[6:].split("\t")[0])
        else:
            res.append(line)
    body = open(bodyfile).read().strip()
    hdr = (f"From: cpu-proxy developers <cpu-proxy@localhost>\n"
           f"Subject: [PATCH] {subject}\n\n{body}\n\n"
           f"Signed-off-by: cpu-proxy developers <cpu-proxy@localhost>\n---\n")
    open(out, "w").write(hdr + "\n".join(res) + "\n")


if __name__ == "__main__":
    main()
