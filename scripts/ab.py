#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two kernels with the benchmark, in alternated boots.

Under TCG on a shared host, absolute times drift between boots and even
within one; a ratio of two numbers from the same boot drifts less. So
each boot gives ratios (park against the halted round trip, say), and
kernels A and B are booted in turn, A B A B ..., so that a slow stretch
of the host falls on both. The report is the median of each ratio over
the boots of each kernel, and B's median over A's.

    scripts/ab.py run --a KERNEL INITRD --b KERNEL INITRD [--boots 3]
                      [--smp 4] [--reps 11] [--out out/ab]
    scripts/ab.py report --a A1.json ... --b B1.json ...

Benchmarks are not tests: this prints figures and fails only if a boot
fails.
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def med(d):
    return d["median_ns"]


def first(rows, k=1):
    for row in rows:
        if row["k"] == k:
            return row
    raise KeyError(f"no k={k} row")


def top(rows):
    """The largest CPU count k of a benchmark's rows."""
    return max(row["k"] for row in rows)


# Each: (name, what it says, function of one boot's JSON). Same-boot
# ratios only.
METRICS = [
    ("park/halted", "park of 1 CPU over the halted-CPU IPI round trip",
     lambda b: med(first(b["park"])["park"]) / med(b["ipi_halted"])),
    ("unpark/halted", "unpark of 1 CPU over the halted-CPU IPI round trip",
     lambda b: med(first(b["park"])["unpark"]) / med(b["ipi_halted"])),
    ("offline/park", "native offline over park (how much faster a park is)",
     lambda b: med(first(b["native"])["offline"]) / med(first(b["park"])["park"])),
    ("online/unpark", "native online over unpark",
     lambda b: med(first(b["native"])["online"]) / med(first(b["park"])["unpark"])),
    ("mask off/native off", "mask offline of the most CPUs over as many native offlines",
     lambda b: med(first(b["mask"], top(b["mask"]))["offline"])
     / med(first(b["native"], top(b["mask"]))["offline"])),
    ("mask on/native on", "mask online of the most CPUs over as many native onlines",
     lambda b: med(first(b["mask"], top(b["mask"]))["online"])
     / med(first(b["native"], top(b["mask"]))["online"])),
    ("storm parked/unparked", "IPI storm rounds to a parked CPU over an unparked one",
     lambda b: b["storm"]["parked"]["storm_rounds"] / b["storm"]["unparked"]["storm_rounds"]),
    ("parked vCPU burn", "host CPU seconds per second of the parked vCPU",
     lambda b: b["host_cpu"]["parked"]["vcpu_cpu_s"][str(b["storm"]["cpu"])]
     / b["host_cpu"]["parked"]["wall_s"]),
    ("wakeups while parked", "the parked CPU's wakeups during the storm",
     lambda b: float(b["storm"]["parked"]["wakeups_while_parked"])),
]


def ratios(boot):
    out = {}
    for name, _, f in METRICS:
        try:
            out[name] = f(boot)
        except (KeyError, ZeroDivisionError, TypeError):
            out[name] = None
    return out


def report(a_files, b_files):
    boots = {"A": [json.load(open(f)) for f in a_files],
             "B": [json.load(open(f)) for f in b_files]}
    per = {k: [ratios(b) for b in v] for k, v in boots.items()}
    print(f"A: {len(a_files)} boots, B: {len(b_files)} boots; "
          "each figure is a same-boot ratio, the median over boots, "
          "with the range")
    print(f"{'':24} {'A':>22} {'B':>22} {'B/A':>7}")
    for name, what, _ in METRICS:
        cells = []
        meds = []
        for k in ("A", "B"):
            vals = [r[name] for r in per[k] if r[name] is not None]
            if not vals:
                cells.append(f"{'-':>22}")
                meds.append(None)
                continue
            m = statistics.median(vals)
            meds.append(m)
            cells.append(f"{m:9.3g} [{min(vals):.3g}-{max(vals):.3g}]".rjust(22))
        ratio = (f"{meds[1] / meds[0]:7.2f}" if None not in meds and meds[0]
                 else f"{'-':>7}")
        print(f"{name:24} {cells[0]} {cells[1]} {ratio}")
    print()
    for name, what, _ in METRICS:
        print(f"  {name}: {what}")


def run(args):
    out = pathlib.Path(args.out)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    files = {"a": [], "b": []}
    for i in range(args.boots):
        for which in ("a", "b"):
            kernel, initrd = getattr(args, which)
            js = out / f"{which}-{i}.json"
            js.unlink(missing_ok=True)
            cmd = [sys.executable, str(REPO / "scripts/qemu-run.py"), "--job", "bench",
                   "--smp", str(args.smp), "--kernel", kernel, "--initrd", initrd,
                   "--append", f"bench_reps={args.reps}",
                   "--log", str(out / "logs" / f"{which}-{i}.log"), "--json", str(js)]
            print(f"==> boot {i + 1}/{args.boots} of {which.upper()}: {kernel}", flush=True)
            if subprocess.run(cmd).returncode != 0 or not js.exists():
                print(f"boot {i + 1} of {which.upper()} failed; see {out}/logs", file=sys.stderr)
                return 1
            files[which].append(js)
    report(files["a"], files["b"])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot A and B in turn, then report")
    r.add_argument("--a", nargs=2, metavar=("KERNEL", "INITRD"), required=True)
    r.add_argument("--b", nargs=2, metavar=("KERNEL", "INITRD"), required=True)
    r.add_argument("--boots", type=int, default=3, help="boots of each kernel")
    r.add_argument("--smp", default="4")
    r.add_argument("--reps", type=int, default=11)
    r.add_argument("--out", default=str(REPO / "out/ab"))
    p = sub.add_parser("report", help="report on benchmark JSON files")
    p.add_argument("--a", nargs="+", required=True)
    p.add_argument("--b", nargs="+", required=True)
    args = ap.parse_args()
    if args.cmd == "run":
        return run(args)
    report(args.a, args.b)
    return 0


if __name__ == "__main__":
    sys.exit(main())
