#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot out/bzImage under QEMU, run a job in the guest, judge the result.

Jobs (see scripts/guest-init): `test` runs the installed kselftests (or
those named with --only), `bench` runs the benchmark, `probe` only boots,
`panic` panics in a proxy's pass and must reboot.

The console goes to a log file. For `test`, the KTAP output is parsed into
a per-test summary ending in `N passed, N failed`; the run fails if any
test failed, was skipped or did not run, if the guest did not finish, or if
the console shows a kernel BUG, WARNING, Oops, Call Trace, lockup or RCU
stall. On failure the console tail and the log path are printed.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

TS = r"\[\s*\d+\.\d+\]"
# Kernel messages that fail a run whatever the tests said.
BAD_CONSOLE = [
    (re.compile(TS + r".*\bBUG\b"), "BUG"),
    (re.compile(TS + r".*WARNING:"), "WARNING"),
    (re.compile(TS + r".*\bOops\b"), "Oops"),
    (re.compile(TS + r".*Call Trace"), "Call Trace"),
    (re.compile(TS + r".*(soft lockup|hard LOCKUP|lockup detected)", re.I), "lockup"),
    # Not "rcu.*stall": rcutorture prints its stall_cpu* parameters.
    (re.compile(TS + r".*(detected stalls on CPUs|self-detected stall|"
                r"detected expedited stalls|kthread starved for)"), "RCU stall"),
    (re.compile(TS + r".*blocked for more than \d+ seconds"), "hung task"),
    (re.compile(r"Kernel panic"), "panic"),
]

TOP = re.compile(r"^(not ok|ok) (\d+) selftests: (\S+): (\S+)(.*)$")
SUB = re.compile(r"^# (not ok|ok) (\d+) (.*?)(\s+#\s*(SKIP|skip|XFAIL|xfail).*)?$")
PLAN = re.compile(r"^1\.\.(\d+)$")
# How many of its last output lines a failed program's summary shows.
SAID = 6
# Under KVM, as on hardware, an NMI is held off in the STI shadow; under
# single-threaded TCG one vCPU runs at a time. Either way no NMI lands on
# a parked CPU's hlt, the case that needs one skips, and its skip counts
# as passed. Multi-threaded TCG, where NMIs do land there, requires it.
NO_SHADOW_NMI_MAY_SKIP = \
    "cpu-proxy:promise_test/promise.an_nmi_on_the_hlt_leaves_the_proxy_in_charge"


def log(msg):
    print(msg, flush=True)


def smp_arg(a):
    """QEMU's -smp: the CPU count, and the topology if one was given."""
    return f"{a.smp},{a.topology}" if a.topology else str(a.smp)


def qemu_cmd(a, job, accel):
    only = f" only={a.only}" if getattr(a, "only", None) else ""
    append = f"console=ttyS0 panic=-1 oops=panic job={job}{only} {a.append}".strip()
    if accel == "kvm":
        accel_args = ["-accel", "kvm", "-cpu", "host"]
    else:
        accel_args = ["-accel", f"tcg,thread={a.tcg_threads}", "-cpu", "max"]
    return ["qemu-system-x86_64", *accel_args, "-smp", smp_arg(a), "-m", str(a.mem),
            "-nodefaults", "-display", "none", "-no-reboot",
            "-name", "cpu-proxy,debug-threads=on",
            "-serial", "stdio", "-monitor", "none",
            "-kernel", a.kernel, "-initrd", a.initrd, "-append", append]


def vcpu_threads(pid):
    """QEMU's vCPU threads, {vCPU index: thread id} (thread names
    "CPU <n>/TCG" or "CPU <n>/KVM", with debug-threads=on)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                m = re.match(r"CPU (\d+)/", f.read())
        except OSError:
            continue
        if m:
            out[int(m.group(1))] = int(tid)
    return out


def vcpu_times(pid):
    """CPU seconds used so far by each vCPU thread of QEMU, by vCPU index."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for n, tid in vcpu_threads(pid).items():
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[n] = (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return out


SAMPLE = re.compile(r"CPU_PROXY_SAMPLE (\w+) (begin|end)")


def pin_vcpus(proc, nr, deadline=30.0):
    """Pins vCPU n's thread to the n-th host CPU this process may use,
    modulo their number, once QEMU has created all nr of them. Returns the
    placement, {vcpu: host cpu}, or None if the threads did not appear."""
    host = sorted(os.sched_getaffinity(0))
    end = time.monotonic() + deadline
    while time.monotonic() < end and proc.poll() is None:
        tids = vcpu_threads(proc.pid)
        if len(tids) == nr:
            place = {n: host[n % len(host)] for n in tids}
            for n, tid in tids.items():
                os.sched_setaffinity(tid, {place[n]})
            return place
        time.sleep(0.01)
    return None


def boot(a, job, accel, logpath, timeout, echo, samples=None):
    """Runs one boot; returns (lines, timed_out, seconds). On marker lines
    "CPU_PROXY_SAMPLE <label> begin|end" the vCPU threads' CPU times are
    recorded into samples[label]."""
    cmd = qemu_cmd(a, job, accel)
    lines = []
    start = time.monotonic()
    with open(logpath, "w") as f:
        f.write("# " + " ".join(cmd) + "\n")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        timer = threading.Timer(timeout, p.kill)
        timer.start()
        if a.pin:
            a.pinned = pin_vcpus(p, a.smp)
            f.write(f"# vCPU threads pinned (vCPU: host CPU): {a.pinned}\n")
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n").replace("\r", "")
            f.write(line + "\n")
            f.flush()
            lines.append(line)
            m = SAMPLE.search(line)
            if m and samples is not None:
                samples.setdefault(m.group(1), {})[m.group(2)] = (time.monotonic(), vcpu_times(p.pid))
            if echo:
                echo(line, time.monotonic() - start)
        p.wait()
        timed_out = not timer.is_alive()
        timer.cancel()
    return lines, timed_out, time.monotonic() - start


def test_echo(line, t):
    """Progress for test runs: one line per test program."""
    m = TOP.match(line)
    if m:
        st = "PASS" if m.group(1) == "ok" else "FAIL"
        if "SKIP" in m.group(5):
            st = "SKIP"
        log(f"    [{t:5.1f}s] {st} {m.group(3)}:{m.group(4)}")
    elif line.startswith("# selftests: "):
        log(f"    [{t:5.1f}s] run  {line[len('# selftests: '):]}")
    elif "Kernel panic" in line:
        log(f"    [{t:5.1f}s] {line}")


def bench_echo(line, t):
    if line.startswith("bench:") or "Kernel panic" in line:
        log(f"    [{t:5.1f}s] {line}")


# A test that must make the kernel warn (lib/test_cpu_proxy.c's
# warn_in_pass) brackets the warning with these; what is between them is
# that test's to judge.
EXPECTED_BEGIN = re.compile(r"cpu-proxy-test: expected WARNING begins")
EXPECTED_END = re.compile(r"cpu-proxy-test: expected WARNING ends")


def console_problems(lines):
    found = []
    expected = False
    for i, line in enumerate(lines):
        if EXPECTED_BEGIN.search(line):
            expected = True
            continue
        if EXPECTED_END.search(line):
            expected = False
            continue
        if expected:
            continue
        for rx, what in BAD_CONSOLE:
            if rx.search(line):
                found.append((i, what, line))
                break
    return found


DONE = re.compile(r"^CPU_PROXY_KSELFTEST_DONE\b")
KMSG = re.compile(TS + r" ")


def rejoin_results(lines):
    """Mends result lines a kernel message landed in the middle of.

    The console interleaves the kernel's messages with the tests' output a
    byte at a time, so `# ok 3 park.fo` + `[   12.3] msg` + `o_bar` can
    arrive as two lines, the first ending in the message. Such a line is
    rejoined with the next line that is not itself a kernel message, but
    only where that line is no result line and the two make one: a test
    that echoes kernel log lines (`# # rcutorture: [   68.6] ...`) is left
    as it is, and so is a result line followed by the next result.
    """
    def is_result(line):
        return any(rx.match(line) for rx in (SUB, TOP, PLAN, DONE))

    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        m = KMSG.search(line)
        if m and m.start() > 0:
            j = i + 1
            while j < len(lines) and KMSG.match(lines[j]):
                j += 1
            if (j < len(lines) and not is_result(lines[j]) and
                    is_result(line[:m.start()] + lines[j])):
                out.append(line[:m.start()] + lines[j])
                out.extend(lines[i + 1:j])
                i = j + 1
                continue
        out.append(line)
        i += 1
    return out


def parse_ktap(lines):
    """Returns (plan, [program results]) from run_kselftest.sh output."""
    plan, progs, subs, said, since = None, [], [], [], 0
    for line in rejoin_results(lines):
        m = PLAN.match(line)
        if m:
            # run_kselftest.sh prints one plan per collection.
            plan = (plan or 0) + int(m.group(1))
            continue
        m = SUB.match(line)
        if m:
            skip = bool(m.group(5)) and m.group(5).lower() == "skip"
            subs.append({"name": m.group(3), "ok": m.group(1) == "ok", "skip": skip,
                         "said": said[since:][-SAID:]})
            since = len(said)
            continue
        m = TOP.match(line)
        if m:
            progs.append({"name": f"{m.group(3)}:{m.group(4)}", "ok": m.group(1) == "ok",
                          "skip": "SKIP" in m.group(5), "subtests": subs,
                          "said": said[-SAID:]})
            subs, said, since = [], [], 0
        elif line.startswith("# ") and not line.startswith("# selftests: "):
            said.append(line[2:])
    return plan, progs


def judge_tests(lines, expected, allow_skip=()):
    """Prints the per-test summary; returns (passed, failed, problems). A
    skip of a program in allow_skip, or of its subtests, counts as passed;
    so does that of one subtest named PROGRAM/SUBTEST there."""
    plan, progs = parse_ktap(lines)
    passed = failed = 0
    problems = []
    log("  kselftest results:")
    seen = set()
    for p in progs:
        seen.add(p["name"])
        may_skip = p["name"] in allow_skip

        def sub_may_skip(s):
            return may_skip or f"{p['name']}/{s['name']}" in allow_skip

        leaves = p["subtests"] or [p]
        for s in leaves:
            if s["ok"] and (not s["skip"] or sub_may_skip(s)):
                passed += 1
            else:
                failed += 1
        if p["skip"] and may_skip:
            st = "SKIP (expected here)"
        elif p["skip"]:
            st = "SKIP (counts as not run)"
        else:
            st = "PASS" if p["ok"] else "FAIL"
        log(f"    {st:5} {p['name']}")
        if st == "FAIL" and all(s["ok"] for s in p["subtests"]):
            # Why, in the program's own words: its last lines.
            for said in p["said"]:
                log(f"           | {said}")
        for s in p["subtests"]:
            sst = "skip" if s["skip"] else ("ok" if s["ok"] else "FAIL")
            if s["skip"] and sub_may_skip(s):
                sst = "skip (expected here)"
            log(f"           {sst:4} {s['name']}")
            if not s["ok"]:
                # Its last lines, since the case before it ended.
                for said in s["said"]:
                    log(f"             | {said}")
        if not p["ok"] or (p["skip"] and not may_skip):
            problems.append(f"{p['name']}: {st}")
        elif any((s["skip"] and not sub_may_skip(s)) or not s["ok"]
                 for s in p["subtests"]):
            problems.append(f"{p['name']}: a subtest failed or was skipped")
    for name in expected:
        if name not in seen:
            failed += 1
            log(f"    {'MISSING':5} {name} (did not run)")
            problems.append(f"{name}: did not run")
    if plan is None:
        problems.append("no KTAP plan line: run_kselftest.sh did not start")
    elif plan != len(progs):
        problems.append(f"KTAP plan says {plan} tests, {len(progs)} reported")
    return passed, failed, problems


def skips_allowed(allow_skip, accel, tcg_threads):
    """The kselftests, or cases, whose skips count as passed in this boot:
    those of --allow-skip, and NO_SHADOW_NMI_MAY_SKIP where no NMI lands
    in the STI shadow (KVM, single-threaded TCG)."""
    allow = [t for t in allow_skip.split(",") if t]
    if accel == "kvm" or tcg_threads == "single":
        allow.append(NO_SHADOW_NMI_MAY_SKIP)
    return allow


def kvm_usable(a):
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    lines, timed_out, _ = boot(a, "probe", "kvm", a.log + ".kvm-probe", 60, None)
    return not timed_out and any("CPU_PROXY_PROBE_OK" in l for l in lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--job", choices=["test", "bench", "probe", "anatomy", "panic"],
                    default="test")
    ap.add_argument("--only", help="test job: run only these kselftests "
                    "(COLLECTION:TEST[,COLLECTION:TEST...]); --expect then lists them")
    ap.add_argument("--allow-skip", default="",
                    help="test job: kselftests (COLLECTION:TEST,...), or single "
                    "cases of them (COLLECTION:TEST/CASE), whose skips are "
                    "expected in this boot and count as passed")
    ap.add_argument("--smp", default="4",
                    help="CPUs, or CPUs/topology as in CHECK_SMP: "
                    "8/sockets=2,cores=2,threads=2")
    ap.add_argument("--mem", type=int, default=1024, help="guest MiB")
    ap.add_argument("--jump-label", action="store_true",
                    help="boot the CONFIG_JUMP_LABEL=y kernel (out/bzImage-jl, "
                    "out/initramfs-jl.cpio.gz) under single-threaded TCG: this QEMU's "
                    "multi-threaded TCG runs stale code after text patching "
                    "(configs/base.config)")
    ap.add_argument("--kernel", help="default out/bzImage (out/bzImage-jl)")
    ap.add_argument("--initrd", help="default out/initramfs.cpio.gz (out/initramfs-jl.cpio.gz)")
    ap.add_argument("--append", default="", help="extra kernel command line")
    ap.add_argument("--accel", choices=["tcg", "kvm"], default="tcg")
    ap.add_argument("--tcg-threads", choices=["multi", "single"],
                    help="TCG: a host thread per vCPU (multi, the default), or one for "
                    "all (single, the default with --jump-label)")
    ap.add_argument("--pin", action="store_true",
                    help="pin vCPU n's thread to host CPU n modulo their number")
    ap.add_argument("--timeout", type=int, default=900, help="seconds")
    ap.add_argument("--log", required=True, help="console log path")
    ap.add_argument("--expect", help="kselftest-list.txt: tests that must run")
    ap.add_argument("--results", help="write 'passed failed' here (test job)")
    ap.add_argument("--json", help="write the benchmark JSON here (bench job)")
    ap.add_argument("--kernel-config", help="the kernel's .config, whose options that "
                    "change what the benchmark measures its JSON records; default "
                    "out/kernel.config (out/kernel-jl.config) for the default kernel")
    ap.add_argument("--out", help="write the cpuhp trace here (anatomy job)")
    a = ap.parse_args()
    smp, _, a.topology = a.smp.partition("/")
    if not smp.isdigit():
        ap.error(f"--smp {a.smp}: not N or N/topology")
    a.smp = int(smp)
    jl = "-jl" if a.jump_label else ""
    if a.kernel is None:
        a.kernel = f"out/bzImage{jl}"
        if a.kernel_config is None and os.path.exists(f"out/kernel{jl}.config"):
            a.kernel_config = f"out/kernel{jl}.config"
    a.initrd = a.initrd or f"out/initramfs{jl}.cpio.gz"
    a.tcg_threads = a.tcg_threads or ("single" if a.jump_label else "multi")

    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    accel = a.accel
    if a.pin and a.tcg_threads == "single":
        ap.error("--pin needs a thread per vCPU (--tcg-threads multi)")
    if accel == "kvm" and not kvm_usable(a):
        log("  WARNING: KVM asked for but a probe boot failed; using TCG")
        accel = "tcg"

    echo = {"test": test_echo, "bench": bench_echo}.get(a.job)
    how = f"tcg, {a.tcg_threads}-threaded" if accel == "tcg" else accel
    log(f"  booting {a.kernel} ({how}, -smp {smp_arg(a)}, job={a.job}); console: {a.log}")
    samples = {}
    lines, timed_out, secs = boot(a, a.job, accel, a.log, a.timeout, echo, samples)

    problems = []
    if timed_out:
        problems.append(f"timed out after {a.timeout}s")
    for i, what, line in console_problems(lines):
        problems.append(f"console line {i + 1}: {what}: {line.strip()}")

    passed = failed = 0
    if a.job == "test":
        expected = []
        if a.expect:
            with open(a.expect) as f:
                expected = [l.strip() for l in f if l.strip()]
        if a.only:
            expected = [t for t in expected if t in a.only.split(",")]
        allow = skips_allowed(a.allow_skip, accel, a.tcg_threads)
        passed, failed, p = judge_tests(lines, expected, allow)
        problems += p
        done = [l for l in rejoin_results(lines) if DONE.match(l)]
        if not done:
            problems.append("the guest did not finish the test run")
    elif a.job == "bench":
        try:
            begin = lines.index("CPU_PROXY_BENCH_BEGIN")
            end = lines.index("CPU_PROXY_BENCH_END")
            # A kernel message can land in the middle of a line of the
            # result: drop each, from its timestamp to its end of line,
            # which joins the halves.
            body = re.sub(TS + r" [^\n]*\n", "",
                          "\n".join(lines[begin + 1:end]) + "\n")
            data = json.loads(body)
            data["qemu"] = {"accel": accel, "smp": a.smp, "boot_to_exit_s": round(secs, 2)}
            if accel == "tcg":
                data["qemu"]["tcg_threads"] = a.tcg_threads
            if a.kernel_config:
                with open(a.kernel_config) as f:
                    data["config"] = {"jump_label": "CONFIG_JUMP_LABEL=y\n" in f.read()}
            if a.pin:
                data["qemu"]["pinned"] = a.pinned
            # Host CPU time of each vCPU thread over each sampled phase.
            host = {}
            for label, s in samples.items():
                if "begin" in s and "end" in s:
                    (t0, c0), (t1, c1) = s["begin"], s["end"]
                    host[label] = {"wall_s": round(t1 - t0, 3),
                                   "vcpu_cpu_s": {str(k): round(c1[k] - c0.get(k, 0), 3)
                                                  for k in sorted(c1)}}
            data["host_cpu"] = host
            if a.json:
                with open(a.json, "w") as f:
                    json.dump(data, f, indent=1)
        except (ValueError, json.JSONDecodeError) as e:
            problems.append(f"no benchmark result in the console ({e})")
    elif a.job == "anatomy":
        try:
            begin = lines.index("CPU_PROXY_ANATOMY_BEGIN")
            end = lines.index("CPU_PROXY_ANATOMY_END")
            with open(a.out, "w") as f:
                f.write("\n".join(lines[begin + 1:end]) + "\n")
        except ValueError:
            problems.append("no cpuhp trace in the console")
    elif a.job == "panic":
        # The console shows the panic; the machine must reboot, which
        # ends QEMU (-no-reboot) well before the timeout, with no CPU left
        # running.
        problems = [p for p in problems if not p.startswith("console line")]
        if not any("CPU_PROXY_PANIC_NOW" in l for l in lines):
            problems.append("the guest did not get to the panic")
        if any("CPU_PROXY_PANIC_NOT_PARKED" in l for l in lines):
            problems.append("the CPU did not park")
        if not any("Kernel panic - not syncing: cpu-proxy-test: a panic in a pass" in l
                   for l in lines):
            problems.append("no panic message from the pass")
        if any("CPU_PROXY_PANIC_SURVIVED" in l for l in lines):
            problems.append("the panic returned")
        if any("failed to stop secondary CPUs" in l for l in lines):
            problems.append("the panic did not stop every other CPU")
    elif a.job == "probe":
        if not any("CPU_PROXY_PROBE_OK" in l for l in lines):
            problems.append("the guest did not reach /init")

    if problems:
        failed = max(failed, 1) if a.job == "test" else failed
        log("  PROBLEMS:")
        for p in problems:
            log(f"    - {p}")
        log("  ---- console tail ----")
        for line in lines[-40:]:
            log("  | " + line)
        log(f"  ---- full console log: {a.log}")
    if a.results:
        with open(a.results, "w") as f:
            f.write(f"{passed} {failed}\n")
    if a.job == "test":
        log(f"  -smp {a.smp}: {passed} passed, {failed} failed ({secs:.1f}s)")
    else:
        log(f"  {a.job}: {'FAILED' if problems else 'ok'} ({secs:.1f}s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
