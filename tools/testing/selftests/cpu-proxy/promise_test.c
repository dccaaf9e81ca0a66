// SPDX-License-Identifier: GPL-2.0
/*
 * A parked CPU stays online, and keeps the promises an online CPU makes:
 * what the kernel asks of it is done, on it or as it, in bounded time, and
 * nothing about it hangs. Each test here once failed: a killed park writer
 * lost IPIs, a watchdog_thresh write hung, the buddy hard-lockup detector
 * reported parked CPUs, an NMI before hlt left a parked CPU unserved, a
 * WARN in a pass had no backtrace, parking overcommitted deadline
 * bandwidth, sched_getaffinity() lost parked CPUs, a cgroup v1 cpuset lost
 * them for good, and the do_timer duty went to a parked CPU.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "proxy_util.h"

#define CPU_DIR "/sys/devices/system/cpu"

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

static int park_cpu(int cpu)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", cpu);
	return write_str(PROXY_DIR "/park", buf);
}

static int unpark_cpu(int cpu)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", cpu);
	return write_str(PROXY_DIR "/unpark", buf);
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* The kernel log, whole, NUL-terminated; NULL on failure. Free it. */
static char *kernel_log(void)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf;
	int n;

	if (size <= 0)
		return NULL;
	buf = malloc(size + 1);
	if (!buf)
		return NULL;
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* How many times @what appears in the kernel log, or -1. */
static int count_in_log(const char *what)
{
	char *log = kernel_log(), *p;
	int n = 0;

	if (!log)
		return -1;
	for (p = strstr(log, what); p; p = strstr(p + 1, what))
		n++;
	free(log);
	return n;
}

/*
 * Runs @fn(@arg) in a child and waits up to @secs for it: 0 if it exited
 * with 0, -ETIMEDOUT if it did not finish (it is killed), else -EIO.
 */
static int within(int secs, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid)
		_exit(fn(arg) ? 1 : 0);
	for (int i = 0; i < secs * 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -ETIMEDOUT;
}

FIXTURE(promise) {
	int last;
	int ncpu;
};

FIXTURE_SETUP(promise)
{
	if (access(PROXY_DIR "/park", F_OK))
		SKIP(return, "CONFIG_CPU_PROXY is not enabled");
	if (access(TEST_DIR "/ipi_rtt", F_OK))
		SKIP(return, "CONFIG_TEST_CPU_PROXY is not enabled");
	self->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	self->last = self->ncpu - 1;
	if (self->ncpu < 3)
		SKIP(return, "needs 3 CPUs");
	ASSERT_EQ(0, write_str(PROXY_DIR "/unpark", "all"));
	if (!park_supported())
		SKIP(return, "this machine cannot park CPUs (see the kernel log)");
	ASSERT_EQ(0, pin(0));
}

FIXTURE_TEARDOWN(promise)
{
	cpu_set_t set;

	write_str(PROXY_DIR "/unpark", "all");
	write_str(TEST_DIR "/ipi_storm", "0");
	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

struct rtt_arg {
	int cpu;
};

/* One synchronous cross-call to @cpu, from a CPU that is not it. */
static int rtt_once(void *p)
{
	struct rtt_arg *a = p;
	char cmd[32];

	pin(a->cpu ? 0 : 1);
	snprintf(cmd, sizeof(cmd), "%d 1", a->cpu);
	return write_str(TEST_DIR "/ipi_rtt", cmd);
}

/*
 * A park write killed in the middle, under an IPI storm, rolls back what
 * it did, and every IPI sent meanwhile is delivered: every cross-call
 * afterwards completes. The write is slowed down by a CPU of the set busy
 * in the kernel (a kthread bound to it, which a park waits for), so that
 * the kill lands while the other CPU of the set is already in its park
 * loop: its rollback must wait for it to leave before it drops its proxy,
 * killed writer or not, and never give up on it (the kernel logs a CPU
 * that has not left its park loop in time).
 */
TEST_F_TIMEOUT(promise, a_killed_park_writer_loses_no_ipi, 300)
{
	unsigned long long rounds0, rounds1;
	char buf[64], parked[64];
	int loops0 = count_in_log("park loop");

	ASSERT_EQ(0, write_str(TEST_DIR "/ipi_storm", "600"));
	ASSERT_LT(0, read_file(TEST_DIR "/ipi_storm", buf, sizeof(buf)));
	rounds0 = strtoull(buf + strlen("rounds "), NULL, 10);
	for (int i = 0; i < 40; i++) {
		int a = 1 + i % self->last, b = 1 + (i + 1) % self->last;
		char set[32], spin[32];
		pid_t pid;

		if (a == b)
			continue;
		snprintf(set, sizeof(set), "%d,%d", a, b);
		snprintf(spin, sizeof(spin), "%d 300", b);
		ASSERT_EQ(0, write_str(TEST_DIR "/spin", spin));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(write_str(PROXY_DIR "/park", set) ? 1 : 0);
		sleep_ms(20 + i % 7 * 20);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		/* Killed or not, the set ends parked or not, never half. */
		ASSERT_LT(-1, read_file(PROXY_DIR "/parked", parked, sizeof(parked)));
		ASSERT_EQ(0, write_str(PROXY_DIR "/unpark", "all"));
		for (int c = 1; c <= self->last; c++) {
			struct rtt_arg r = { .cpu = c };

			ASSERT_EQ(0, within(10, rtt_once, &r))
				TH_LOG("round %d (parked %s): a call to CPU %d did not complete",
				       i, set, c);
		}
	}
	ASSERT_LT(0, read_file(TEST_DIR "/ipi_storm", buf, sizeof(buf)));
	rounds1 = strtoull(buf + strlen("rounds "), NULL, 10);
	EXPECT_LT(rounds0, rounds1);
	EXPECT_GE(loops0, count_in_log("park loop"))
		TH_LOG("a rollback gave up waiting for a CPU to leave its park loop");
}

static int thresh_write(void *p)
{
	return write_str("/proc/sys/kernel/watchdog_thresh", p);
}

/*
 * A write to watchdog_thresh reconfigures the watchdog on every CPU with
 * a work item on each (smp_call_on_cpu()): with a CPU parked it returns,
 * and parks and unparks go on after it.
 */
TEST_F(promise, watchdog_thresh_write_returns_while_parked)
{
	char old[16];

	ASSERT_LT(0, read_file("/proc/sys/kernel/watchdog_thresh", old, sizeof(old)));
	ASSERT_EQ(0, park_cpu(self->last));
	ASSERT_EQ(0, within(20, thresh_write, "20")) TH_LOG("the write hung");
	ASSERT_EQ(0, within(20, thresh_write, old)) TH_LOG("the write hung");
	ASSERT_EQ(0, unpark_cpu(self->last));
	ASSERT_EQ(0, park_cpu(self->last - 1));
	ASSERT_EQ(0, unpark_cpu(self->last - 1));
}

/*
 * The buddy hard-lockup detector checks each CPU's watchdog timer from
 * another CPU. A parked CPU's timer is off: it must leave the detector
 * while parked, and come back. With watchdog_thresh at 1 s, a check every
 * 1.2 s: 6 s parked would be reported several times.
 */
TEST_F(promise, no_hard_lockup_is_reported_for_a_parked_cpu)
{
	char old[16], *log;
	int before = 0, after = 0;

	if (access("/proc/sys/kernel/nmi_watchdog", F_OK))
		SKIP(return, "no hard-lockup detector (CONFIG_HARDLOCKUP_DETECTOR)");
	log = kernel_log();
	ASSERT_NE(NULL, log);
	for (char *p = log; (p = strstr(p, "hard LOCKUP")); p++)
		before++;
	free(log);
	ASSERT_LT(0, read_file("/proc/sys/kernel/watchdog_thresh", old, sizeof(old)));
	ASSERT_EQ(0, write_str("/proc/sys/kernel/watchdog_thresh", "1"));
	ASSERT_EQ(0, park_cpu(self->last));
	sleep_ms(6000);
	ASSERT_EQ(0, unpark_cpu(self->last));
	/* Back under watch: no report either. */
	sleep_ms(3000);
	ASSERT_EQ(0, write_str("/proc/sys/kernel/watchdog_thresh", old));
	log = kernel_log();
	ASSERT_NE(NULL, log);
	for (char *p = log; (p = strstr(p, "hard LOCKUP")); p++)
		after++;
	free(log);
	EXPECT_EQ(before, after);
}

/*
 * Park @cpu, run the test module's NMI storm at it with @args (see
 * nmi_storm in lib/test_cpu_proxy.c), expect "ok", and unpark it. If
 * @on_hlt, some NMIs must have landed on the hlt, or the case skips: the
 * machine holds NMIs off in the STI shadow (QEMU's TCG does not).
 */
static void nmi_storm_parked(struct __test_metadata *_metadata, int cpu,
			     const char *args, bool on_hlt)
{
	char cmd[48], res[256];
	int storm;

	ASSERT_EQ(0, park_cpu(cpu));
	snprintf(cmd, sizeof(cmd), "%d %s", cpu, args);
	/*
	 * On the hlt, a storm in which no NMI landed there showed nothing:
	 * up to three more, before the case calls it a skip.
	 */
	for (storm = 0; storm < (on_hlt ? 4 : 1); storm++) {
		uint64_t t0 = now_ns();

		ASSERT_EQ(0, write_str(TEST_DIR "/nmi_storm", cmd));
		ASSERT_LT(0, read_file(TEST_DIR "/nmi_storm", res, sizeof(res)));
		TH_LOG("storm %d, %llu ms: %s", storm + 1,
		       (unsigned long long)(now_ns() - t0) / 1000000, res);
		if (!strstr(res, " shadow 0 ") || !strstr(res, " ok"))
			break;
	}
	ASSERT_EQ(0, unpark_cpu(cpu));
	if (on_hlt && strstr(res, " shadow 0 ") && strstr(res, " ok"))
		SKIP(return, "no NMI landed on the hlt, in the STI shadow");
	EXPECT_NE(NULL, strstr(res, " ok"));
}

/*
 * An NMI that lands between a parked CPU's last look at its work and its
 * hlt gives the CPU's context back to its proxy as it returns: the CPU's
 * timers, run by the proxy, go on. The test module widens that window
 * and sends NMIs into it, one at a time.
 */
TEST_F(promise, an_nmi_before_hlt_leaves_the_proxy_in_charge)
{
	nmi_storm_parked(_metadata, self->last, "200", false);
}

/*
 * The same, with a window of a few cpu_relax() to a few thousand, tuned
 * NMI by NMI so that NMIs land about its end: on the hlt itself too, in
 * the STI shadow, where an NMI is not held off (QEMU's TCG delivers it
 * there) and returns with interrupts on. An interrupt latched meanwhile
 * (the test module raises one, as the wakeup a call that is not on the
 * allow-list sends) is taken on the hlt and must return past it, not put
 * the CPU to sleep owning its context. From one NMI in a hundred to one
 * in a thousand lands on the hlt, as the host is loaded; 40 end the
 * storm, each followed by a check of the timer. With the return past
 * the hlt undone, it fails at the first NMI on the hlt.
 */
TEST_F_TIMEOUT(promise, an_nmi_on_the_hlt_leaves_the_proxy_in_charge, 300)
{
	nmi_storm_parked(_metadata, self->last, "3000 0 0 3000", true);
}

/*
 * The same, with stop_machine() run over and over meanwhile: an NMI that
 * lands while a stop holds the CPU STOPPED, before its hlt, gives it back
 * as STOPPED, and the proxy takes over again when the stop ends.
 */
TEST_F_TIMEOUT(promise, an_nmi_before_hlt_under_stop_machine_leaves_the_proxy_in_charge, 300)
{
	nmi_storm_parked(_metadata, self->last, "200 1", false);
}

/*
 * The same, each NMI taking a fault with a fixup (a nofault read of an
 * unmapped page, as a perf or BPF handler may): the fault's entry finds
 * the CPU's context held by the NMI it is nested in, and goes on; the
 * fixup returns -EFAULT, as in any NMI.
 */
TEST_F_TIMEOUT(promise, a_fault_in_an_nmi_under_stop_machine_returns, 300)
{
	nmi_storm_parked(_metadata, self->last, "50 1 1", false);
}

static int stop_work_write(void *p)
{
	return write_str(TEST_DIR "/stop_work", p);
}

/*
 * A parked CPU that a stop_machine() holds runs no task until the stop
 * ends, as a stopped CPU runs none: work queued on it meanwhile waits for
 * the stop. Run, it could wait for a task that the stop keeps off its CPU
 * (here, the writer, which lets it go on), while the stop waits for the
 * parked CPU to halt.
 */
TEST_F_TIMEOUT(promise, a_parked_cpu_held_by_a_stop_runs_no_task, 300)
{
	char cmd[32], res[64];

	ASSERT_EQ(0, park_cpu(self->last));
	snprintf(cmd, sizeof(cmd), "%d 300", self->last);
	ASSERT_EQ(0, within(200, stop_work_write, cmd)) TH_LOG("the machine hung");
	ASSERT_LT(0, read_file(TEST_DIR "/stop_work", res, sizeof(res)));
	TH_LOG("%s", res);
	EXPECT_NE(NULL, strstr(res, " ok"));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

/*
 * A parked CPU held by a stop, woken for a task it may not run yet and
 * sent calls that it must run itself: every call returns, in far less
 * than a second. One that the CPU slept over would wait for its next
 * timer, and every CPU in the stop with it.
 */
static int stop_calls_write(void *p)
{
	return write_str(TEST_DIR "/stop_calls", p);
}

TEST_F_TIMEOUT(promise, calls_to_a_parked_cpu_held_by_a_stop_return, 300)
{
	char cmd[32], res[96];

	ASSERT_EQ(0, park_cpu(self->last));
	snprintf(cmd, sizeof(cmd), "%d 2000", self->last);
	ASSERT_EQ(0, within(200, stop_calls_write, cmd)) TH_LOG("the machine hung");
	ASSERT_LT(0, read_file(TEST_DIR "/stop_calls", res, sizeof(res)));
	TH_LOG("%s", res);
	EXPECT_NE(NULL, strstr(res, " ok"));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

static int stop_timer_write(void *p)
{
	return write_str(TEST_DIR "/stop_timer", p);
}

/*
 * A parked CPU awake for a call, whose own timer falls due each time it
 * heads for hlt, still halts: a stop_machine() that holds it waits for
 * that, every other CPU spinning in its stopper.
 */
TEST_F_TIMEOUT(promise, a_stop_ends_while_a_held_cpu_has_a_timer_always_due, 300)
{
	char cmd[32], res[96];

	ASSERT_EQ(0, park_cpu(self->last));
	snprintf(cmd, sizeof(cmd), "%d 32", self->last);
	ASSERT_EQ(0, within(200, stop_timer_write, cmd)) TH_LOG("the machine hung");
	ASSERT_LT(0, read_file(TEST_DIR "/stop_timer", res, sizeof(res)));
	TH_LOG("%s", res);
	EXPECT_NE(NULL, strstr(res, " ok"));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

/*
 * A pass that holds the printk CPU lock (a backtrace it prints), and an
 * NMI on the proxy that takes it too (an NMI backtrace of the proxy): the
 * NMI nests, as on any CPU, and both go on.
 */
TEST_F(promise, an_nmi_on_the_proxy_nests_in_the_printk_lock_of_its_pass)
{
	char cmd[16], res[64];

	ASSERT_EQ(0, park_cpu(self->last));
	snprintf(cmd, sizeof(cmd), "%d", self->last);
	ASSERT_EQ(0, write_str(TEST_DIR "/printk_sync", cmd));
	ASSERT_LT(0, read_file(TEST_DIR "/printk_sync", res, sizeof(res)));
	TH_LOG("%s", res);
	EXPECT_NE(NULL, strstr(res, " ok"));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

/*
 * A WARN in a pass prints a usable backtrace: the frames of the pass down
 * from the warning, found on the stack the pass runs on. The system goes
 * on (the QEMU runner tolerates this one WARNING, between its markers).
 */
TEST_F(promise, a_warn_in_a_pass_prints_a_usable_backtrace)
{
	char cmd[16], res[64], *log, *warn, *end;

	ASSERT_EQ(0, park_cpu(self->last));
	snprintf(cmd, sizeof(cmd), "%d", self->last);
	ASSERT_EQ(0, write_str(TEST_DIR "/warn_in_pass", cmd));
	ASSERT_LT(0, read_file(TEST_DIR "/warn_in_pass", res, sizeof(res)));
	EXPECT_NE(NULL, strstr(res, " ok")) TH_LOG("%s", res);
	ASSERT_EQ(0, unpark_cpu(self->last));
	log = kernel_log();
	ASSERT_NE(NULL, log);
	/*
	 * The last try's: the module tries again while the CPU, awake for
	 * a moment, takes the work itself, and stops at the first pass.
	 */
	warn = strstr(log, "cpu-proxy-test: expected WARNING begins");
	ASSERT_NE(NULL, warn);
	while ((end = strstr(warn + 1, "cpu-proxy-test: expected WARNING begins")))
		warn = end;
	end = strstr(warn, "cpu-proxy-test: expected WARNING ends");
	ASSERT_NE(NULL, end);
	*end = '\0';
	EXPECT_NE(NULL, strstr(warn, "WARNING:"));
	EXPECT_NE(NULL, strstr(warn, "a WARN in a pass for CPU"));
	EXPECT_NE(NULL, strstr(warn, "Call Trace:"));
	/*
	 * Frames of the pass, under the function that warned, down to its C
	 * entry (cpu_proxy_pass(), not only the Rust cpu_proxy_pass_body()).
	 */
	EXPECT_NE(NULL, strstr(warn, "cpu_proxy_test_warn"));
	EXPECT_NE(NULL, strstr(warn, "cpu_proxy_pass+"))
		TH_LOG("no pass frame in the backtrace:\n%s", warn);
	free(log);
}

/* Child: reserve @pct percent of a CPU as SCHED_DEADLINE, sleep till killed. */
static pid_t dl_reserve(int pct)
{
	int p[2];
	pid_t pid;
	char ok;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		cpu_set_t all;
		struct dl_attr attr = {
			.size = sizeof(attr),
			.sched_policy = 6,	/* SCHED_DEADLINE */
			.sched_runtime = pct * 100000ull,
			.sched_deadline = 10000000ull,
			.sched_period = 10000000ull,
		};

		/* A deadline task may run on every CPU of its root domain. */
		CPU_ZERO(&all);
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &all);
		sched_setaffinity(0, sizeof(all), &all);
		ok = !syscall(SYS_sched_setattr, 0, &attr, 0);
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ok, 1) != 1 || !ok) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* Reserves 92% of a CPU in each of @k deadline tasks; returns how many. */
static int dl_reserve_many(pid_t *res, int k)
{
	int n = 0;

	while (n < k && (res[n] = dl_reserve(92)) > 0)
		n++;
	return n;
}

/*
 * Kills the reservations. A dead deadline task's bandwidth comes back at
 * its 0-lag time, up to a period (10 ms) after it died: wait five.
 */
static void dl_release(pid_t *res, int n)
{
	for (int i = 0; i < n; i++) {
		kill(res[i], SIGKILL);
		waitpid(res[i], NULL, 0);
	}
	sleep_ms(50);
}

/*
 * The deadline bandwidth admitted must fit on the active CPUs, as for an
 * offline. The limit is 95% of each active CPU, and each active CPU's
 * fair server holds 5%: with 92% reserved for each of n - 1 CPUs, one CPU
 * fewer cannot hold it, and parking one is refused with EBUSY, changing
 * nothing.
 */
TEST_F(promise, parking_keeps_deadline_bandwidth)
{
	pid_t res[64];
	char parked[64];
	int n, ret;

	n = dl_reserve_many(res, self->ncpu - 1);
	ASSERT_EQ(self->ncpu - 1, n) TH_LOG("could only reserve %d CPUs' worth", n);
	ret = park_cpu(self->last);
	read_file(PROXY_DIR "/parked", parked, sizeof(parked));
	dl_release(res, n);
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_STREQ("\n", parked);
	/* Without the reservations it parks. */
	ASSERT_EQ(0, park_cpu(self->last));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

/*
 * With 92% reserved for each of n - 2 CPUs, one CPU can go but not two:
 * a park of one succeeds; a park of two, and a mask offline of two, are
 * refused with EBUSY, changing nothing. The mask offline checks the CPUs
 * of its set one after the other, each seeing those before it gone.
 */
TEST_F(promise, two_cpus_cannot_take_the_deadline_bandwidth_away)
{
	char set[32], now[64];
	pid_t res[64];
	int n, one, two, off;

	n = dl_reserve_many(res, self->ncpu - 2);
	ASSERT_EQ(self->ncpu - 2, n) TH_LOG("could only reserve %d CPUs' worth", n);
	snprintf(set, sizeof(set), "%d-%d", self->last - 1, self->last);
	one = park_cpu(self->last);
	if (!one)
		unpark_cpu(self->last);
	two = write_str(PROXY_DIR "/park", set);
	off = write_str(PROXY_DIR "/offline", set);
	read_file(CPU_DIR "/offline", now, sizeof(now));
	dl_release(res, n);
	write_str(PROXY_DIR "/online", set);
	write_str(PROXY_DIR "/unpark", set);
	EXPECT_EQ(0, one);
	EXPECT_EQ(-EBUSY, two);
	EXPECT_EQ(-EBUSY, off);
	EXPECT_STREQ("\n", now);
}

/*
 * A parked CPU runs no user task: like an offline CPU, it is not in the
 * affinity sched_getaffinity() reports, and pinning to it alone is
 * refused. Every CPU reported can be pinned to: what user space pins one
 * thread per reported CPU to does not fail.
 */
TEST_F(promise, every_cpu_sched_getaffinity_reports_can_be_pinned_to)
{
	cpu_set_t all, one;

	ASSERT_EQ(0, park_cpu(self->last));
	CPU_ZERO(&all);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &all);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	EXPECT_FALSE(CPU_ISSET(self->last, &all));
	EXPECT_EQ(self->ncpu - 1, CPU_COUNT(&all));
	for (int i = 0; i < CPU_SETSIZE; i++) {
		if (!CPU_ISSET(i, &all))
			continue;
		CPU_ZERO(&one);
		CPU_SET(i, &one);
		EXPECT_EQ(0, sched_setaffinity(0, sizeof(one), &one))
			TH_LOG("CPU %d was reported but cannot be pinned to", i);
	}
	CPU_ZERO(&one);
	CPU_SET(self->last, &one);
	EXPECT_EQ(-1, sched_setaffinity(0, sizeof(one), &one));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(all), &all));
	ASSERT_EQ(0, unpark_cpu(self->last));
}

#define FAIR_SERVER "/sys/kernel/debug/sched/fair_server"

/*
 * A parked CPU runs no fair task: its fair server does not count against
 * the deadline bandwidth left to the active CPUs. With every CPU's fair
 * server given 30% of its CPU (a limit of 95% per active CPU), all CPUs
 * but one park when no deadline task runs; counting the parked CPUs'
 * servers, 30% each, refused it (and with the default 5%, on 20 CPUs).
 */
TEST_F(promise, parked_fair_servers_leave_the_deadline_bandwidth_alone)
{
	char path[96], old[64][24], list[32];
	int i, ret;

	if (self->ncpu > 64)
		SKIP(return, "up to 64 CPUs");
	snprintf(path, sizeof(path), FAIR_SERVER "/cpu0/runtime");
	if (access(path, W_OK))
		SKIP(return, "no %s (debugfs, CONFIG_SCHED_DEBUG)", path);
	for (i = 0; i < self->ncpu; i++) {
		snprintf(path, sizeof(path), FAIR_SERVER "/cpu%d/runtime", i);
		ASSERT_LT(0, read_file(path, old[i], sizeof(old[i])));
		ASSERT_EQ(0, write_str(path, "300000000"));
	}
	snprintf(list, sizeof(list), "1-%d", self->last);
	ret = write_str(PROXY_DIR "/park", list);
	write_str(PROXY_DIR "/unpark", list);
	for (i = 0; i < self->ncpu; i++) {
		snprintf(path, sizeof(path), FAIR_SERVER "/cpu%d/runtime", i);
		old[i][strcspn(old[i], "\n")] = '\0';
		EXPECT_EQ(0, write_str(path, old[i]));
	}
	EXPECT_EQ(0, ret);
}

#define CPUSET_V1 "/tmp/cpuset-v1"

/*
 * On cgroup v1, a hotplug update drops an offline CPU from every cpuset
 * for good. A parked CPU is not offline: a native offline of another CPU
 * while it is parked leaves it in a child cpuset's cpus, and it is
 * effective there again once unparked.
 */
TEST_F(promise, a_v1_cpuset_keeps_a_parked_cpu)
{
	char cpus[64], want[64], path[128];
	int p = self->last - 1, off = self->last;

	mkdir(CPUSET_V1, 0755);
	if (mount("none", CPUSET_V1, "cgroup", 0, "cpuset"))
		SKIP(return, "no cgroup v1 cpuset (CONFIG_CPUSETS_V1): %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/child", CPUSET_V1);
	rmdir(path);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(cpus, sizeof(cpus), "0-%d", self->last);
	ASSERT_EQ(0, write_str(CPUSET_V1 "/child/cpuset.cpus", cpus));
	ASSERT_EQ(0, write_str(CPUSET_V1 "/child/cpuset.mems", "0"));
	ASSERT_EQ(0, park_cpu(p));
	snprintf(path, sizeof(path), CPU_DIR "/cpu%d/online", off);
	ASSERT_EQ(0, write_str(path, "0"));
	ASSERT_EQ(0, write_str(path, "1"));
	ASSERT_EQ(0, unpark_cpu(p));
	/* The offline CPU is gone from the cpuset (v1); the parked one is not. */
	ASSERT_LT(0, read_file(CPUSET_V1 "/child/cpuset.cpus", cpus, sizeof(cpus)));
	snprintf(want, sizeof(want), "0-%d\n", off - 1);
	EXPECT_STREQ(want, cpus);
	ASSERT_LT(0, read_file(CPUSET_V1 "/child/cpuset.effective_cpus", cpus,
			       sizeof(cpus)));
	EXPECT_STREQ(want, cpus);
	rmdir(CPUSET_V1 "/child");
	umount(CPUSET_V1);
}

static int spinning;

static void *spin_on(void *arg)
{
	pin((long)arg);
	while (__atomic_load_n(&spinning, __ATOMIC_RELAXED))
		;
	return NULL;
}

/*
 * The timekeeping duty of a CPU going offline goes to a CPU that takes
 * its tick, not to a parked one, which is online but idle, tick stopped.
 * CPU 2 keeps time (it spins, the others idle), CPU 0 is parked, and CPU
 * 2 goes offline: the duty used to go to the first online CPU, CPU 0.
 */
TEST_F(promise, the_do_timer_duty_goes_to_an_active_cpu)
{
	char buf[32];
	pthread_t tid;
	int tk = -1, after;

	__atomic_store_n(&spinning, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_create(&tid, NULL, spin_on, (void *)2L));
	ASSERT_EQ(0, pin(self->last));
	for (int i = 0; i < 300 && tk != 2; i++) {
		sleep_ms(10);
		ASSERT_LT(0, read_file(TEST_DIR "/timekeeper", buf, sizeof(buf)));
		tk = atoi(buf);
	}
	if (tk != 2) {
		__atomic_store_n(&spinning, 0, __ATOMIC_RELAXED);
		pthread_join(tid, NULL);
		SKIP(return, "CPU 2 did not take the do_timer duty (CPU %d has it)", tk);
	}
	ASSERT_EQ(0, park_cpu(0));
	ASSERT_EQ(0, write_str(CPU_DIR "/cpu2/online", "0"));
	ASSERT_LT(0, read_file(TEST_DIR "/timekeeper", buf, sizeof(buf)));
	after = atoi(buf);
	ASSERT_EQ(0, write_str(CPU_DIR "/cpu2/online", "1"));
	ASSERT_EQ(0, unpark_cpu(0));
	__atomic_store_n(&spinning, 0, __ATOMIC_RELAXED);
	pthread_join(tid, NULL);
	EXPECT_NE(0, after) TH_LOG("the parked CPU 0 got the do_timer duty");
}

/*
 * Suspend takes every CPU but one down, parked ones included: it unparks
 * them first, and CPU 0, parked, is the one that stays. pm_test's
 * "processors" level goes as far as taking the CPUs down and up again.
 */
TEST_F(promise, suspend_unparks_and_takes_parked_cpus_down)
{
	char state[128], parked[64], off[64];
	int ret;

	if (read_file("/sys/power/state", state, sizeof(state)) <= 0 ||
	    !strstr(state, "mem") || access("/sys/power/pm_test", W_OK))
		SKIP(return, "no suspend to RAM, or no pm_test (CONFIG_PM_DEBUG)");
	write_str("/sys/module/suspend/parameters/pm_test_delay", "1");
	ASSERT_EQ(0, write_str("/sys/power/pm_test", "processors"));
	ASSERT_EQ(0, pin(self->last));
	ASSERT_EQ(0, park_cpu(0));
	ASSERT_EQ(0, park_cpu(self->last - 1));
	ret = write_str("/sys/power/state", "mem");
	write_str("/sys/power/pm_test", "none");
	read_file(PROXY_DIR "/parked", parked, sizeof(parked));
	read_file(CPU_DIR "/offline", off, sizeof(off));
	EXPECT_EQ(0, ret);
	EXPECT_STREQ("\n", parked);
	EXPECT_STREQ("\n", off);
	for (int c = 0; c <= self->last; c++) {
		struct rtt_arg r = { .cpu = c };

		EXPECT_EQ(0, within(10, rtt_once, &r)) TH_LOG("CPU %d", c);
	}
}

/*
 * A machine-check poll of a parked CPU reads that CPU's banks: its proxy
 * leaves it to the CPU, woken for it (counted as woken_hw).
 */
TEST_F(promise, machine_check_polls_run_on_the_parked_cpu)
{
	char path[128], old[32];
	unsigned long long hw;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/machinecheck/machinecheck%d/check_interval", self->last);
	if (read_file(path, old, sizeof(old)) <= 0)
		SKIP(return, "no machine-check polling here");
	ASSERT_EQ(0, write_str(path, "1"));
	ASSERT_EQ(0, park_cpu(self->last));
	hw = stat_value("woken_hw");
	sleep_ms(3500);
	hw = stat_value("woken_hw") - hw;
	ASSERT_EQ(0, unpark_cpu(self->last));
	ASSERT_EQ(0, write_str(path, old));
	EXPECT_LE(2, hw) TH_LOG("woken %llu times for hardware work in 3.5 s", hw);
}

TEST_HARNESS_MAIN
