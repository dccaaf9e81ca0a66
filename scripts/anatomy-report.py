#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise the cpuhp trace of one native offline + online (make anatomy):
each callback, the step it belongs to and how long it took."""

import re
import sys

ENTER = re.compile(r"\s(\d+\.\d+): cpuhp_(?:multi_)?enter: cpu: (\d+) target: +(\d+) step: +(\d+) \((\S+)\)")
EXIT = re.compile(r"\s(\d+\.\d+): cpuhp_exit: +cpu: (\d+) +state: +(\d+) step: +(\d+) ret: (-?\d+)")


def main(path):
    text = open(path).read()
    trace, _, states = text.partition("CPU_PROXY_ANATOMY_STATES")
    open_ = {}
    rows = []
    for line in trace.splitlines():
        m = ENTER.search(line)
        if m:
            t, cpu, target, step, fn = m.groups()
            open_[int(step)] = (float(t), int(target), fn)
            rows.append([int(step), int(target), fn, None])
            continue
        m = EXIT.search(line)
        if m:
            t, cpu, state, step, ret = m.groups()
            if int(step) in open_:
                t0, target, fn = open_.pop(int(step))
                for r in reversed(rows):
                    if r[0] == int(step) and r[3] is None:
                        r[3] = (float(t) - t0) * 1000
                        break
    names = {}
    for line in states.splitlines():
        m = re.match(r"\s*(\d+): (\S+)", line)
        if m:
            names[int(m.group(1))] = m.group(2)
    online_target = max(r[1] for r in rows)
    for phase, pick in (("offline", lambda r: r[1] < online_target),
                        ("online", lambda r: r[1] == online_target)):
        sel = [r for r in rows if pick(r)]
        print(f"{phase}: {len(sel)} traced callbacks")
        for step, target, fn, ms in sel:
            d = f"{ms:8.3f} ms" if ms is not None else "   (spans the next)"
            print(f"  {step:4} {names.get(step, '?'):28} {fn:32} {d}")
    dying = [f"{s}:{n}" for s, n in sorted(names.items())
             if re.search(r":(dying|starting)$", n)]
    print(f"AP states run inside stop_machine (take_cpu_down) / at bring-up, "
          f"not traced: {', '.join(dying)}")


if __name__ == "__main__":
    main(sys.argv[1])
