#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host tests of qemu-run.py's reading of the guest console (make check)."""

import contextlib
import importlib.util
import io
import os
import unittest

_spec = importlib.util.spec_from_file_location(
    "qemu_run", os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu-run.py"))
qr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(qr)

RUN = [
    "TAP version 13",
    "1..2",
    "# selftests: cpu-proxy: park_test",
    "# 1..2",
    "# ok 1 park.one",
    "# ok 2 park.two",
    "ok 1 selftests: cpu-proxy: park_test",
    "# selftests: cpu-proxy: proxy_test",
    "# not ok 1 proxy.three",
    "not ok 2 selftests: cpu-proxy: proxy_test # exit=1",
    "CPU_PROXY_KSELFTEST_DONE rc=0",
]


class RejoinResults(unittest.TestCase):
    def test_whole_lines_are_kept(self):
        self.assertEqual(RUN, qr.rejoin_results(RUN))

    def test_a_result_line_split_by_a_kernel_message_is_rejoined(self):
        split = list(RUN)
        split[5:6] = ["# ok 2 park.t[   12.345678] rcu: a message", "wo"]
        joined = qr.rejoin_results(split)
        self.assertIn("# ok 2 park.two", joined)
        self.assertEqual(RUN, [l for l in joined if not qr.KMSG.search(l)])

    def test_across_several_kernel_messages(self):
        split = list(RUN)
        split[6:7] = ["ok 1 selftests: cpu-pro[    1.000000] first",
                      "[    1.000001] second", "xy: park_test"]
        joined = qr.rejoin_results(split)
        self.assertIn("ok 1 selftests: cpu-proxy: park_test", joined)
        self.assertIn("[    1.000001] second", joined)

    def test_the_done_marker_is_rejoined(self):
        split = RUN[:-1] + ["CPU_PROXY_KSELF[    3.5] msg", "TEST_DONE rc=0"]
        self.assertEqual("CPU_PROXY_KSELFTEST_DONE rc=0", qr.rejoin_results(split)[-1])

    def test_an_echoed_kernel_log_line_is_left_alone(self):
        lines = ["# # rcutorture: [   68.637244] rcu-torture: rtc: 0",
                 "# ok 1 park.one"]
        self.assertEqual(lines, qr.rejoin_results(lines))

    def test_a_message_before_a_newline_leaves_the_line_whole(self):
        split = list(RUN)
        split[4:5] = ["# ok 1 park.one[    2.0] msg", ""]
        self.assertIn("# ok 1 park.one", qr.rejoin_results(split))

    def test_a_result_followed_by_a_result_is_not_joined(self):
        lines = ["# ok 1 park.one[    2.0] msg", "# ok 2 park.two"]
        self.assertEqual(lines, qr.rejoin_results(lines))

    def test_a_line_that_would_not_become_a_result_is_left_alone(self):
        lines = ["some output[   12.0] msg", "more output"]
        self.assertEqual(lines, qr.rejoin_results(lines))


class ParseKtap(unittest.TestCase):
    def test_counts_programs_and_subtests(self):
        plan, progs = qr.parse_ktap(RUN)
        self.assertEqual(2, plan)
        self.assertEqual(["cpu-proxy:park_test", "cpu-proxy:proxy_test"],
                         [p["name"] for p in progs])
        self.assertEqual([True, False], [p["ok"] for p in progs])
        self.assertEqual(2, len(progs[0]["subtests"]))

    def test_a_split_program_line_still_counts(self):
        split = list(RUN)
        split[6:7] = ["ok 1 selftests: cpu-proxy: park_t[    9.9] x", "est"]
        plan, progs = qr.parse_ktap(split)
        self.assertEqual(plan, len(progs))


class JudgeTests(unittest.TestCase):
    SKIPPED = [
        "TAP version 13",
        "1..1",
        "# selftests: cpu-proxy: promise_test",
        "# 1..2",
        "# ok 1 promise.one # SKIP not here",
        "# ok 2 promise.two",
        "ok 1 selftests: cpu-proxy: promise_test",
    ]

    def test_a_skipped_case_fails(self):
        passed, failed, problems = qr.judge_tests(self.SKIPPED, [])
        self.assertEqual((1, 1), (passed, failed))
        self.assertEqual(1, len(problems))

    def test_a_case_allowed_to_skip_passes(self):
        allow = ["cpu-proxy:promise_test/promise.one"]
        self.assertEqual((2, 0, []), qr.judge_tests(self.SKIPPED, [], allow))

    def test_another_case_allowed_to_skip_does_not_cover_it(self):
        allow = ["cpu-proxy:promise_test/promise.two"]
        passed, failed, problems = qr.judge_tests(self.SKIPPED, [], allow)
        self.assertEqual((1, 1), (passed, failed))

    def test_where_no_nmi_lands_in_the_shadow_its_case_may_skip(self):
        case = "cpu-proxy:promise_test/promise.an_nmi_on_the_hlt_leaves_the_proxy_in_charge"
        self.assertEqual([case], qr.skips_allowed("", "tcg", "single"))
        self.assertEqual(["a:b", case], qr.skips_allowed("a:b", "tcg", "single"))
        self.assertEqual([case], qr.skips_allowed("", "kvm", "multi"))
        self.assertEqual([], qr.skips_allowed("", "tcg", "multi"))
        self.assertEqual(["a:b"], qr.skips_allowed("a:b,", "tcg", "multi"))

    def test_a_failed_case_says_why(self):
        lines = ["TAP version 13", "1..1",
                 "# selftests: cpu-proxy: promise_test",
                 "# 1..3",
                 "# #  RUN           promise.one ...",
                 "# # promise_test.c:10:one:first case said this",
                 "# #            OK  promise.one",
                 "# ok 1 promise.one",
                 "# #  RUN           promise.two ...",
                 "# # promise_test.c:20:two:Expected 0 (0) == ret (-16)",
                 "# #          FAIL  promise.two",
                 "# not ok 2 promise.two",
                 "# #  RUN           promise.three ...",
                 "# #            OK  promise.three",
                 "# ok 3 promise.three",
                 "# # Totals: pass:2 fail:1 xfail:0 xpass:0 skip:0 error:0",
                 "not ok 1 selftests: cpu-proxy: promise_test # exit=1"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            passed, failed, _ = qr.judge_tests(lines, [])
        self.assertEqual((2, 1), (passed, failed))
        shown = [l.split("| ", 1)[1] for l in out.getvalue().splitlines() if "| " in l]
        self.assertIn("# promise_test.c:20:two:Expected 0 (0) == ret (-16)", shown)
        self.assertFalse(any("first case" in l or "Totals" in l for l in shown))

    def test_a_failed_program_says_why(self):
        lines = ["TAP version 13", "1..1",
                 "# selftests: cpu-proxy: userspace_stress.sh"] + \
            [f"# # line {i}" for i in range(10)] + \
            ["# not ok: p99 overshoot 16000 us, 7000 us with no-op writes",
             "not ok 1 selftests: cpu-proxy: userspace_stress.sh # exit=1"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            passed, failed, problems = qr.judge_tests(lines, [])
        self.assertEqual((0, 1), (passed, failed))
        shown = [l for l in out.getvalue().splitlines() if "| " in l]
        self.assertEqual(qr.SAID, len(shown))
        self.assertIn("not ok: p99 overshoot 16000 us", shown[-1])
        self.assertNotIn("line 4", out.getvalue())

    def test_a_passed_program_says_nothing_more(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            qr.judge_tests(RUN[:7], [])
        self.assertNotIn("| ", out.getvalue())


class ConsoleProblems(unittest.TestCase):
    WARN = "[   12.000001] WARNING: CPU: 3 PID: 0 at lib/test_cpu_proxy.c:1 f+0x1/0x2"

    def test_a_warning_fails_the_run(self):
        found = qr.console_problems(["[   12.000000] hello", self.WARN])
        self.assertEqual([(1, "WARNING", self.WARN)], found)

    def test_an_expected_warning_is_left_to_its_test(self):
        lines = ["[   12.000000] cpu-proxy-test: expected WARNING begins", self.WARN,
                 "[   12.000002] Call Trace:",
                 "[   12.000003] cpu-proxy-test: expected WARNING ends"]
        self.assertEqual([], qr.console_problems(lines))

    def test_only_between_the_markers(self):
        lines = ["[   12.000000] cpu-proxy-test: expected WARNING begins",
                 "[   12.000003] cpu-proxy-test: expected WARNING ends", self.WARN]
        self.assertEqual([(2, "WARNING", self.WARN)], qr.console_problems(lines))


if __name__ == "__main__":
    # buffer: what qemu-run.py prints while a test runs (judge_tests()
    # prints its summary) stays out of the "... ok" lines make check reads.
    unittest.main(buffer=True)
