#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn benchmark runs (out/bench-smp*.json) into a table, one combined
JSON file and an SVG plot of latency against CPU count.

Every number in a row comes from the same boot; ratios are only formed
between numbers of the same boot.
"""

import argparse
import json
import math
import sys


def ms(ns):
    return ns / 1e6


def table(runs):
    out = []
    for r in runs:
        ipi = r["ipi"]
        q = r.get("qemu", {})
        out.append(f"Native hotplug, Linux {r['kernel']}, QEMU {q.get('accel', '?')} -smp {r['cpus']}, "
                   f"{r['reps']} reps; median [p90] in ms")
        out.append(f"  {'CPUs':>4}  {'offline':>17}  {'online':>17}  {'off/off(1)':>10}  {'on/on(1)':>8}")
        base = r["native"][0]
        for row in r["native"]:
            off, on = row["offline"], row["online"]
            out.append(f"  {row['k']:>4}  {ms(off['median_ns']):8.2f} [{ms(off['p90_ns']):6.2f}]"
                       f"  {ms(on['median_ns']):8.2f} [{ms(on['p90_ns']):6.2f}]"
                       f"  {off['median_ns'] / base['offline']['median_ns']:9.2f}x"
                       f"  {on['median_ns'] / base['online']['median_ns']:7.2f}x")
        one = base["offline"]["median_ns"]
        out.append(f"  IPI floor: smp_call_function_single() CPU{ipi['from']} -> CPU{ipi['cpu']}, "
                   f"{ipi['iterations']} round trips: median {ipi['median_ns'] / 1e3:.1f} us "
                   f"[p90 {ipi['p90_ns'] / 1e3:.1f} us]")
        out.append(f"  offline of 1 CPU = {one / ipi['median_ns']:.0f} IPI round trips; "
                   f"online of 1 CPU = {base['online']['median_ns'] / ipi['median_ns']:.0f}")
        out.append("")
    return "\n".join(out)


COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def svg(runs):
    W, H, L, R, T, B = 720, 440, 70, 190, 40, 50
    series = []
    for i, r in enumerate(runs):
        c = COLORS[i % len(COLORS)]
        pts_off = [(row["k"], ms(row["offline"]["median_ns"])) for row in r["native"]]
        pts_on = [(row["k"], ms(row["online"]["median_ns"])) for row in r["native"]]
        series.append((f"offline, -smp {r['cpus']}", c, pts_off, ""))
        series.append((f"online, -smp {r['cpus']}", c, pts_on, "6,4"))
        ipi = ms(r["ipi"]["median_ns"])
        series.append((f"IPI floor, -smp {r['cpus']}", c,
                       [(1, ipi), (max(x["k"] for x in r["native"]), ipi)], "2,3"))
    xs = [x for s in series for x, _ in s[2]]
    ys = [y for s in series for _, y in s[2]]
    xmax = max(xs)
    ylo = 10 ** math.floor(math.log10(min(ys)))
    yhi = 10 ** math.ceil(math.log10(max(ys)))

    def X(x):
        return L + (x - 1) / max(xmax - 1, 1) * (W - L - R)

    def Y(y):
        return T + (math.log10(yhi) - math.log10(y)) / (math.log10(yhi) - math.log10(ylo)) * (H - T - B)

    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
         f'font-family="sans-serif" font-size="12">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L}" y="22" font-size="14">Native CPU hotplug latency vs CPUs changed '
         f'(median, log scale)</text>']
    d = ylo
    while d <= yhi * 1.0001:
        e.append(f'<line x1="{L}" x2="{W - R}" y1="{Y(d):.1f}" y2="{Y(d):.1f}" stroke="#ddd"/>')
        label = f"{d:g} ms" if d >= 1 else f"{d * 1000:g} us"
        e.append(f'<text x="{L - 6}" y="{Y(d) + 4:.1f}" text-anchor="end">{label}</text>')
        d *= 10
    for k in range(1, xmax + 1):
        e.append(f'<text x="{X(k):.1f}" y="{H - B + 18}" text-anchor="middle">{k}</text>')
    e.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">CPUs offlined / onlined in one operation</text>')
    e.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#333"/>')
    for i, (name, c, pts, dash) in enumerate(series):
        path = " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in pts)
        da = f' stroke-dasharray="{dash}"' if dash else ""
        e.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"{da}/>')
        if "IPI" not in name:
            for x, y in pts:
                e.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="3" fill="{c}"/>')
        ly = T + 10 + i * 18
        e.append(f'<line x1="{W - R + 10}" x2="{W - R + 40}" y1="{ly}" y2="{ly}" stroke="{c}" stroke-width="2"{da}/>')
        e.append(f'<text x="{W - R + 46}" y="{ly + 4}">{name}</text>')
    e.append("</svg>")
    return "\n".join(e) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="+", help="bench-smpN.json files")
    ap.add_argument("--json", required=True, help="combined JSON output")
    ap.add_argument("--svg", required=True, help="plot output")
    a = ap.parse_args()
    runs = []
    for p in a.runs:
        with open(p) as f:
            runs.append(json.load(f))
    runs.sort(key=lambda r: r["cpus"])
    print(table(runs))
    with open(a.json, "w") as f:
        json.dump({"runs": runs}, f, indent=1)
    with open(a.svg, "w") as f:
        f.write(svg(runs))
    print(f"wrote {a.json} and {a.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
