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


def us(ns):
    return ns / 1e3


def round_trips(ipi):
    return (f"{ipi['iterations']} round trips: median {us(ipi['median_ns']):.1f} us "
            f"[p90 {us(ipi['p90_ns']):.1f} us]")


def table(runs):
    out = []
    for r in runs:
        ipi = r["ipi"]
        q = r.get("qemu", {})
        park = {row["k"]: row for row in r.get("park", [])}
        pin = ""
        if q.get("pinned"):
            hosts = len(set(q["pinned"].values()))
            pin = f", vCPU n pinned to host CPU n mod {hosts}"
        cfg = r.get("config", {})
        jl = ""
        if "jump_label" in cfg:
            jl = f" (CONFIG_JUMP_LABEL={'y' if cfg['jump_label'] else 'n'})"
        tcg = " single-threaded" if q.get("tcg_threads") == "single" else ""
        out.append(f"Linux {r['kernel']}{jl}, QEMU {q.get('accel', '?')}{tcg} -smp {r['cpus']}{pin}, "
                   f"{r['reps']} reps, one boot; median [p90]")
        out.append(f"  {'CPUs':>4} | {'native offline':>17} {'park':>17} {'ratio':>7}"
                   f" | {'native online':>17} {'unpark':>17} {'ratio':>7}")
        out.append(f"  {'':>4} | {'ms':>17} {'us':>17} {'':>7} | {'ms':>17} {'us':>17}")
        for row in r["native"]:
            k = row["k"]
            off, on = row["offline"], row["online"]
            line = (f"  {k:>4} | {ms(off['median_ns']):8.2f} [{ms(off['p90_ns']):6.2f}]")
            p = park.get(k)
            if p:
                line += (f" {us(p['park']['median_ns']):8.1f} [{us(p['park']['p90_ns']):6.1f}]"
                         f" {off['median_ns'] / p['park']['median_ns']:6.0f}x")
            else:
                line += f" {'-':>17} {'':>7}"
            line += f" | {ms(on['median_ns']):8.2f} [{ms(on['p90_ns']):6.2f}]"
            if p:
                line += (f" {us(p['unpark']['median_ns']):8.1f} [{us(p['unpark']['p90_ns']):6.1f}]"
                         f" {on['median_ns'] / p['unpark']['median_ns']:6.0f}x")
            out.append(line)
        base = r["native"][0]
        out.append(f"  native offline of k CPUs / of 1: "
                   + ", ".join(f"{row['offline']['median_ns'] / base['offline']['median_ns']:.2f}x"
                               for row in r["native"]))
        if park:
            p1 = park[1]["park"]["median_ns"]
            out.append(f"  park of k CPUs (one write) / of 1: "
                       + ", ".join(f"{park[k]['park']['median_ns'] / p1:.2f}x" for k in sorted(park)))
        out.append(f"  IPI floor: smp_call_function_single() CPU{ipi['from']} -> CPU{ipi['cpu']}, "
                   + round_trips(ipi))
        halted = r.get("ipi_halted")
        if halted:
            out.append(f"  ... to CPU{halted['cpu']} halted for {halted['gap_us']} us before each, "
                       + round_trips(halted))
        if park:
            out.append(f"  park of 1 CPU = {park[1]['park']['median_ns'] / ipi['median_ns']:.1f} IPI round trips; "
                       f"native offline of 1 CPU = {base['offline']['median_ns'] / ipi['median_ns']:.0f}")
            if halted:
                out.append(f"  park of 1 CPU = {park[1]['park']['median_ns'] / halted['median_ns']:.2f} "
                           f"round trips to a halted CPU")
            p1 = park[1]["park"]["median_ns"]
            pk = max(park)
            out.append(f"  park per CPU: {us(p1):.1f} us for 1, {us(park[pk]['park']['median_ns']) / pk:.1f} us"
                       f" each for {pk} in one write")
        cold = r.get("park_cold")
        if park and cold:
            c, w = cold["park"]["median_ns"], park[1]["park"]["median_ns"]
            why = {True: "the key off after the pause: the park patches it on",
                   False: "no text patched either way"}.get(cfg.get("jump_label"), "")
            out.append(f"  park of 1 CPU {cold['pause_ms']} ms after the last unpark: median "
                       f"{us(c):.1f} us [p90 {us(cold['park']['p90_ns']):.1f}], {c / w:.2f}x "
                       f"back to back" + (f" ({why})" if why else ""))
        sysfs = r.get("sysfs")
        if sysfs:
            out.append(f"  sysfs: one write(2) on an open file is timed; open()+close() of a proxy file, "
                       f"not timed: median {us(sysfs['open_close']['median_ns']):.1f} us; "
                       f"a no-op park write: {us(sysfs['noop_park']['median_ns']):.1f} us")
        mask = {row["k"]: row for row in r.get("mask", [])}
        if mask:
            out.append(f"  Par (mask hotplug, one write) beside native (one cpuN/online write per CPU):")
            out.append(f"  {'CPUs':>4} | {'native offline':>17} {'mask offline':>17} {'ratio':>7}"
                       f" | {'native online':>17} {'mask online':>17} {'ratio':>7}")
            for row in r["native"]:
                m = mask.get(row["k"])
                if not m:
                    continue
                off, on, mo, mn = row["offline"], row["online"], m["offline"], m["online"]
                out.append(f"  {row['k']:>4} | {ms(off['median_ns']):8.2f} [{ms(off['p90_ns']):6.2f}]"
                           f" {ms(mo['median_ns']):8.2f} [{ms(mo['p90_ns']):6.2f}]"
                           f" {off['median_ns'] / mo['median_ns']:6.2f}x"
                           f" | {ms(on['median_ns']):8.2f} [{ms(on['p90_ns']):6.2f}]"
                           f" {ms(mn['median_ns']):8.2f} [{ms(mn['p90_ns']):6.2f}]"
                           f" {on['median_ns'] / mn['median_ns']:6.2f}x")
            m1 = mask[1]
            out.append(f"  mask offline of k CPUs / of 1: "
                       + ", ".join(f"{mask[k]['offline']['median_ns'] / m1['offline']['median_ns']:.2f}x"
                                   for k in sorted(mask)))
            out.append(f"  mask online of k CPUs / of 1: "
                       + ", ".join(f"{mask[k]['online']['median_ns'] / m1['online']['median_ns']:.2f}x"
                                   for k in sorted(mask)))
        st = r.get("stall")
        if st:
            out.append(f"  longest stall of a spinner on CPU{st['probe_cpu']} while CPU{st['victim_cpu']} "
                       f"goes: native offline median {us(st['native_offline']['median_ns']):.0f} us "
                       f"[p90 {us(st['native_offline']['p90_ns']):.0f}], park median "
                       f"{us(st['park']['median_ns']):.0f} us [p90 {us(st['park']['p90_ns']):.0f}]")
            if "mask_offline" in st:
                out.append(f"  ... and while it goes by mask offline: median "
                           f"{us(st['mask_offline']['median_ns']):.0f} us "
                           f"[p90 {us(st['mask_offline']['p90_ns']):.0f}]")
        storm, host = r.get("storm"), r.get("host_cpu", {})
        if storm and q.get("tcg_threads") == "single":
            g = {label: storm.get(label, {}) for label in ("unparked", "parked")}
            out.append(f"  {storm['seconds']} s IPI storm, CPU{storm['cpu']} unparked then parked: "
                       f"storm rounds {g['unparked'].get('storm_rounds')}, "
                       f"{g['parked'].get('storm_rounds')}; wakeups_while_parked "
                       f"+{g['parked'].get('wakeups_while_parked')} (no host time per vCPU: "
                       f"one host thread runs them all)")
        elif storm:
            cpu = str(storm["cpu"])
            for label in ("unparked", "parked"):
                h = host.get(label)
                g = storm.get(label, {})
                if not h:
                    continue
                busy = h["vcpu_cpu_s"].get(cpu, 0) / h["wall_s"] * 100
                out.append(f"  {storm['seconds']} s IPI storm, CPU{cpu} {label}: its vCPU thread used "
                           f"{busy:.1f}% of a host core; storm rounds {g.get('storm_rounds')}; "
                           f"wakeups_while_parked +{g.get('wakeups_while_parked')}")
        out.append("")
    return "\n".join(out)


# The seed paper's Table 3: latency in ms to take 1-3 CPUs offline and
# online, native, with parallel hotplug and with proxies (Linux 2.6.31).
PAPER_TABLE3 = {
    "offline": {1: (25, 25, 1.7), 2: (60, 60, 4), 3: (137, 130, 6.5)},
    "online": {1: (106, 106, 1.2), 2: (214, 111, 2.8), 3: (331, 131, 6)},
}


def table3(runs):
    """The paper's Table 3 redone from each run, beside the paper's numbers:
    native (one cpuN/online write per CPU), Par (one mask write) and Proxy
    (one park or unpark write) for 1-3 CPUs, in ms, medians of one boot."""
    out = []
    for r in runs:
        park = {row["k"]: row for row in r.get("park", [])}
        mask = {row["k"]: row for row in r.get("mask", [])}
        native = {row["k"]: row for row in r["native"]}
        ks = [k for k in (1, 2, 3) if k in native and k in park and k in mask]
        if not ks:
            continue
        out.append(f"Table 3 redone, -smp {r['cpus']}: ms, medians of one boot; "
                   f"the paper's (Linux 2.6.31, hardware) in parentheses")
        out.append(f"  {'':8} {'CPUs':>4} | {'Native':>16} {'Par':>16} {'Proxy':>16}")
        for op, pk in (("offline", "park"), ("online", "unpark")):
            for k in ks:
                pn, pp, px = PAPER_TABLE3[op][k]
                out.append(f"  {op.upper() if k == ks[0] else '':8} {k:>4} |"
                           f" {ms(native[k][op]['median_ns']):7.2f} ({pn:>5g})"
                           f" {ms(mask[k][op]['median_ns']):7.2f} ({pp:>5g})"
                           f" {ms(park[k][pk]['median_ns']):7.3f} ({px:>5g})")
        out.append("")
    return "\n".join(out)


COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def svg(runs):
    W, H, L, R, T, B = 760, 480, 70, 190, 40, 50
    series = []
    for i, r in enumerate(runs):
        c = COLORS[i % len(COLORS)]
        pts_off = [(row["k"], ms(row["offline"]["median_ns"])) for row in r["native"]]
        pts_on = [(row["k"], ms(row["online"]["median_ns"])) for row in r["native"]]
        series.append((f"offline, -smp {r['cpus']}", c, pts_off, ""))
        series.append((f"online, -smp {r['cpus']}", c, pts_on, "6,4"))
        if r.get("park"):
            series.append((f"park, -smp {r['cpus']}", c,
                           [(row["k"], ms(row["park"]["median_ns"])) for row in r["park"]], "8,2,2,2"))
            series.append((f"unpark, -smp {r['cpus']}", c,
                           [(row["k"], ms(row["unpark"]["median_ns"])) for row in r["park"]], "1,3"))
        if r.get("mask"):
            series.append((f"mask offline, -smp {r['cpus']}", c,
                           [(row["k"], ms(row["offline"]["median_ns"])) for row in r["mask"]], "4,1"))
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
         f'<text x="{L}" y="22" font-size="14">CPU hotplug and park latency vs CPUs changed '
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
    print(table3(runs))
    with open(a.json, "w") as f:
        json.dump({"runs": runs}, f, indent=1)
    with open(a.svg, "w") as f:
        f.write(svg(runs))
    print(f"wrote {a.json} and {a.svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
