// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: while a CPU is parked, a proxy runs the work the
 * kernel addresses to it, as that CPU. Checks the proxy map, the kernel's
 * own work (through the proxy_check test hook), IPIs taken by the proxy,
 * TLB shootdowns and membarrier().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "proxy_util.h"

static int park_list(const char *list)
{
	return write_file(PROXY_DIR "/park", list, strlen(list));
}

static int unpark_list(const char *list)
{
	return write_file(PROXY_DIR "/unpark", list, strlen(list));
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Reads proxy_map into proxy[] (-1: not listed); returns lines or -1. */
static int read_proxy_map(int *proxy, int n)
{
	char buf[4096], *line, *save;
	int lines = 0;

	for (int i = 0; i < n; i++)
		proxy[i] = -1;
	if (read_file(PROXY_DIR "/proxy_map", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int cpu, p;

		if (sscanf(line, "%d %d", &cpu, &p) != 2 || cpu < 0 || cpu >= n)
			return -1;
		proxy[cpu] = p;
		lines++;
	}
	return lines;
}

/* Is @cpu in the cpulist @list ("0-2,5\n")? */
static int in_cpulist(const char *list, int cpu)
{
	const char *p = list;

	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -1;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		if (cpu >= a && cpu <= b)
			return 1;
		if (*end != ',')
			break;
		p = end + 1;
	}
	return 0;
}

FIXTURE(proxy) {
	int ncpu;
	int last;
	char last_str[16];
};

FIXTURE_SETUP(proxy)
{
	self->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	self->last = self->ncpu - 1;
	snprintf(self->last_str, sizeof(self->last_str), "%d", self->last);
	if (self->ncpu < 3)
		SKIP(return, "needs at least 3 CPUs");
	ASSERT_EQ(0, access(PROXY_DIR "/proxy_map", R_OK));
	if (!park_supported())
		SKIP(return, "this machine cannot park CPUs (see the kernel log)");
	ASSERT_EQ(0, pin(0));
}

FIXTURE_TEARDOWN(proxy)
{
	char all[32];

	snprintf(all, sizeof(all), "0-%d", self->last);
	unpark_list(all);
}

/*
 * The proxy @cpu gets when it alone parks
 * (Documentation/core-api/cpu-proxy.rst, "Proxy choice"): its SMT sibling,
 * else the lowest-numbered other CPU of its package, else CPU 0.
 */
static int first_proxy(int cpu, int ncpu)
{
	int pkg = package_of(cpu), core = core_of(cpu), in_pkg = -1;

	for (int c = 0; c < ncpu; c++) {
		if (c == cpu)
			continue;
		if (core >= 0 && core_of(c) == core)
			return c;
		if (in_pkg < 0 && pkg >= 0 && package_of(c) == pkg)
			in_pkg = c;
	}
	return in_pkg >= 0 ? in_pkg : 0;
}

/* Whether some CPU of @cpu's package other than @cpu and @other exists. */
static bool package_has_another(int cpu, int other, int ncpu)
{
	for (int c = 0; c < ncpu; c++)
		if (c != cpu && c != other && package_of(c) == package_of(cpu))
			return true;
	return false;
}

/* One line per parked CPU; its proxy is online, active and spread. */
TEST_F(proxy, proxy_map_names_an_active_proxy_for_each_parked_cpu)
{
	int proxy[256], n = self->ncpu < 256 ? self->ncpu : 256;
	int first = first_proxy(self->last, n), other = first ? 0 : 1;
	char list[1024] = "", isolated[256] = "";
	int parked = 0, len = 0;

	ASSERT_EQ(0, read_proxy_map(proxy, n));
	/* All CPUs but 0, but isolated ones (see proxies_are_housekeeping_cpus). */
	read_file("/sys/devices/system/cpu/isolated", isolated, sizeof(isolated));
	for (int c = 1; c < n; c++) {
		if (in_cpulist(isolated, c))
			continue;
		len += snprintf(list + len, sizeof(list) - len, "%s%d",
				len ? "," : "", c);
		parked++;
	}
	ASSERT_EQ(0, park_list(list));
	ASSERT_EQ(parked, read_proxy_map(proxy, n));
	for (int c = 1; c < n; c++)
		if (!in_cpulist(isolated, c))
			EXPECT_EQ(0, proxy[c]);
	ASSERT_EQ(0, unpark_list(list));
	ASSERT_EQ(0, read_proxy_map(proxy, n));

	/*
	 * Park the proxy of a parked CPU: that CPU moves to another, of its
	 * package where the package has one left.
	 */
	ASSERT_EQ(0, park_list(self->last_str));
	ASSERT_EQ(1, read_proxy_map(proxy, n));
	ASSERT_EQ(first, proxy[self->last]);
	snprintf(list, sizeof(list), "%d", first);
	ASSERT_EQ(0, pin(other));
	ASSERT_EQ(0, park_list(list));
	ASSERT_EQ(2, read_proxy_map(proxy, n));
	EXPECT_NE(first, proxy[self->last]);
	EXPECT_NE(self->last, proxy[self->last]);
	EXPECT_GE(proxy[self->last], 0);
	EXPECT_NE(first, proxy[first]);
	EXPECT_GE(proxy[first], 0);
	if (package_has_another(self->last, first, n)) {
		EXPECT_EQ(package_of(self->last), package_of(proxy[self->last]));
		EXPECT_EQ(package_of(first), package_of(proxy[first]));
	}
	ASSERT_EQ(0, unpark_list(list));
	ASSERT_EQ(0, pin(0));
}

/*
 * A proxy is a housekeeping CPU: not one isolated from the scheduler
 * (isolcpus=) or the tick (nohz_full=), as long as one is active. Each
 * CPU but 0 parked in turn, and then all of them at once but the
 * housekeeping ones and 0, get a proxy outside the isolated set. In a
 * boot with nothing isolated, every proxy passes.
 */
TEST_F(proxy, proxies_are_housekeeping_cpus)
{
	int proxy[256], n = self->ncpu < 256 ? self->ncpu : 256;
	char isolated[256], one[16];

	ASSERT_LE(0, read_file("/sys/devices/system/cpu/isolated", isolated,
			       sizeof(isolated)));
	TH_LOG("isolated: %s", isolated[0] == '\n' ? "none" : isolated);
	for (int c = 0; c < n; c++) {
		ASSERT_EQ(0, pin(c ? 0 : self->last));
		snprintf(one, sizeof(one), "%d", c);
		/*
		 * On 6.12 an isolated CPU's root domain counts the fair servers
		 * of every CPU (its deadline accounting is not rebuilt), so it
		 * can be neither taken offline nor parked: both EBUSY.
		 */
		if (in_cpulist(isolated, c)) {
			int ret = park_list(one);
			char path[64];

			if (!ret) {
				ASSERT_EQ(0, unpark_list(one));
				continue;
			}
			ASSERT_EQ(-EBUSY, ret);
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%d/online", c);
			ret = write_file(path, "0", 1);
			if (!ret)
				write_file(path, "1", 1);
			EXPECT_EQ(-EBUSY, ret)
				TH_LOG("isolated CPU %d: park EBUSY, offline %d", c, ret);
			TH_LOG("isolated CPU %d: park and offline both EBUSY", c);
			continue;
		}
		ASSERT_EQ(0, park_list(one));
		ASSERT_EQ(1, read_proxy_map(proxy, n));
		EXPECT_EQ(0, in_cpulist(isolated, proxy[c]))
			TH_LOG("CPU %d's proxy is CPU %d, isolated", c, proxy[c]);
		ASSERT_EQ(0, unpark_list(one));
	}
	ASSERT_EQ(0, pin(0));
}

/*
 * Calls, irq_work, RCU, hrtimers and timer-wheel timers, work items and
 * MSR reads addressed to a parked CPU: all done, as that CPU, on time
 * (see proxy_check in lib/test_cpu_proxy.c for the tolerances); a TLB
 * flush in a pass leaves the proxy's CR4 alone (QEMU's TCG CPUs have no
 * INVPCID, so it toggles CR4.PGE); and stop_machine() counts the halted
 * CPU as stopped unless it must run the function itself.
 */
TEST_F(proxy, kernel_work_for_a_parked_cpu_is_done_as_it)
{
	char buf[4096], *line, *save;
	int checks = 0;

	if (access(TEST_DIR "/proxy_check", F_OK))
		SKIP(return, "CONFIG_TEST_CPU_PROXY is not enabled");
	ASSERT_EQ(0, park_list(self->last_str));
	ASSERT_EQ(0, write_file(TEST_DIR "/proxy_check", self->last_str,
				strlen(self->last_str)));
	ASSERT_LT(0, read_file(TEST_DIR "/proxy_check", buf, sizeof(buf)));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		TH_LOG("%s", line);
		EXPECT_NE(NULL, strstr(line, " ok "));
		checks++;
	}
	EXPECT_EQ(22, checks);
}

/* The "native" count of a result of ipi_rtt, or -1. */
static int ipi_rtt_native(void)
{
	char buf[256], *p;

	if (read_file(TEST_DIR "/ipi_rtt", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, " native ");
	return p ? atoi(p + 8) : -1;
}

/*
 * IPIs to a parked CPU go to its proxy; they no longer wake the CPU.
 *
 * The test module counts the calls that ran on the CPU's own hardware.
 * The park returns once the CPU is in its park loop, before its first
 * halt: a call sent then interrupts it and runs on it, as it, and is no
 * wakeup while parked; the test waits for a proxy to take one first. Past
 * that, only a wakeup lets a call run on it, a call or two while it is
 * awake (and one for good measure).
 */
TEST_F(proxy, ipis_to_a_parked_cpu_go_to_its_proxy)
{
	unsigned long long ipis, wakeups, entries, why[WOKEN_KEYS];
	char cmd[32], reasons[128];
	int native, tries;

	if (access(TEST_DIR "/ipi_rtt", F_OK))
		SKIP(return, "CONFIG_TEST_CPU_PROXY is not enabled");
	ASSERT_EQ(0, park_list(self->last_str));
	/*
	 * A park returns before the CPU first halts, and a call in between
	 * runs on it, as do those that come while its first look at its
	 * work runs softirqs with interrupts on: measure once a proxy has
	 * taken a call for it, the CPU halted.
	 */
	ipis = stat_value("proxied_ipis");
	snprintf(cmd, sizeof(cmd), "%d 1", self->last);
	for (tries = 0; tries < 100 && stat_value("proxied_ipis") == ipis; tries++)
		ASSERT_EQ(0, write_file(TEST_DIR "/ipi_rtt", cmd, strlen(cmd)));
	ASSERT_LT(ipis, stat_value("proxied_ipis"))
		TH_LOG("no proxy took any of %d calls", tries);
	ipis = stat_value("proxied_ipis");
	entries = stat_value("proxy_entries");
	wakeups = stat_value("wakeups_while_parked");
	stats_woken(why);
	snprintf(cmd, sizeof(cmd), "%d 400", self->last);
	ASSERT_EQ(0, write_file(TEST_DIR "/ipi_rtt", cmd, strlen(cmd)));
	native = ipi_rtt_native();
	ASSERT_LE(0, native);
	/* 400 IPIs do not wake it; its timers run on the proxy too. */
	wakeups = stat_value("wakeups_while_parked") - wakeups;
	EXPECT_GE(1, wakeups) TH_LOG("woken %llu times:%s", wakeups,
				     woken_since(why, reasons, sizeof(reasons)));
	EXPECT_GE(1 + 2 * wakeups, native)
		TH_LOG("%d calls ran on the parked CPU, woken %llu times",
		       native, wakeups);
	EXPECT_LE(ipis + 400 - native, stat_value("proxied_ipis"));
	EXPECT_LE(entries + 400 - native, stat_value("proxy_entries"));
	ASSERT_EQ(0, unpark_list(self->last_str));
	ipis = stat_value("proxied_ipis");
	ASSERT_EQ(0, write_file(TEST_DIR "/ipi_rtt", cmd, strlen(cmd)));
	EXPECT_EQ(400, ipi_rtt_native());
	EXPECT_EQ(ipis, stat_value("proxied_ipis"));
}

#define TLB_PAGES 16

struct tlb_thread {
	pthread_t tid;
	int cpu;
	char *mem;
	atomic_int phase;	/* 1: touch, 2: check, 3: exit */
	atomic_int done;
	atomic_int seen;
};

static void *tlb_thread_fn(void *arg)
{
	struct tlb_thread *t = arg;
	long page = sysconf(_SC_PAGESIZE);

	pin(t->cpu);
	for (;;) {
		int phase = t->phase;

		if (phase == 3)
			return NULL;
		if (phase && t->done != phase) {
			int sum = 0;

			if (phase == 2)
				pin(t->cpu);
			for (int i = 0; i < TLB_PAGES; i++)
				sum += t->mem[i * page];
			t->seen = sum;
			t->done = phase;
		}
		usleep(100);
	}
}

static void tlb_wait(struct tlb_thread *t, int phase)
{
	t->phase = phase;
	while (t->done != phase)
		usleep(100);
}

/*
 * A thread touches memory on CPU N; N is parked; the memory is unmapped
 * (a TLB shootdown to N, which its proxy acknowledges) and the address
 * mapped again with other contents. After unpark, the thread back on N
 * must see the new contents, not a stale translation.
 */
TEST_F(proxy, munmap_while_a_cpu_of_the_process_is_parked)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = TLB_PAGES * page;
	struct tlb_thread t = { .cpu = self->last };
	char *mem, *again;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 1, size);
	t.mem = mem;
	ASSERT_EQ(0, pthread_create(&t.tid, NULL, tlb_thread_fn, &t));
	tlb_wait(&t, 1);
	EXPECT_EQ(TLB_PAGES, t.seen);

	ASSERT_EQ(0, park_list(self->last_str));
	ASSERT_EQ(0, munmap(mem, size));
	again = mmap(mem, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(mem, again);
	memset(again, 2, size);
	ASSERT_EQ(0, unpark_list(self->last_str));

	tlb_wait(&t, 2);
	EXPECT_EQ(2 * TLB_PAGES, t.seen);
	t.phase = 3;
	pthread_join(t.tid, NULL);
	munmap(again, size);
}

static int membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

static void *spin_on(void *arg)
{
	atomic_int *stop = arg;

	pin(sysconf(_SC_NPROCESSORS_ONLN) - 1);
	while (!*stop)
		;
	return NULL;
}

/* membarrier() commands complete with CPUs parked, one of ours among them. */
TEST_F(proxy, membarrier_works_with_cpus_parked)
{
	atomic_int stop = 0;
	pthread_t tid;
	char list[32];

	ASSERT_EQ(0, pthread_create(&tid, NULL, spin_on, &stop));
	usleep(20000);
	snprintf(list, sizeof(list), "%d", self->last);
	ASSERT_EQ(0, park_list(list));
	ASSERT_EQ(0, membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED));
	ASSERT_EQ(0, membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED));
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(0, membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED));
		ASSERT_EQ(0, membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED));
	}
	ASSERT_EQ(0, membarrier(MEMBARRIER_CMD_GLOBAL));
	ASSERT_EQ(0, unpark_list(list));
	stop = 1;
	pthread_join(tid, NULL);
}

/*
 * The soft-lockup watchdog stops watching a CPU when the park write
 * returns and watches it again when the unpark write returns (the CPU
 * restarts its timer itself as it leaves its park loop).
 */
TEST_F(proxy, watchdog_stops_and_resumes_with_park)
{
	char buf[256];

	ASSERT_EQ(0, access(TEST_DIR "/watched", R_OK));
	ASSERT_LT(0, read_file(TEST_DIR "/watched", buf, sizeof(buf)));
	ASSERT_EQ(1, in_cpulist(buf, self->last)) TH_LOG("watched: %s", buf);
	for (int i = 0; i < 50; i++) {
		ASSERT_EQ(0, park_list(self->last_str));
		ASSERT_LT(0, read_file(TEST_DIR "/watched", buf, sizeof(buf)));
		ASSERT_EQ(0, in_cpulist(buf, self->last))
			TH_LOG("round %d, parked, watched: %s", i, buf);
		ASSERT_EQ(0, unpark_list(self->last_str));
		ASSERT_LT(0, read_file(TEST_DIR "/watched", buf, sizeof(buf)));
		ASSERT_EQ(1, in_cpulist(buf, self->last))
			TH_LOG("round %d, unparked, watched: %s", i, buf);
	}
}

TEST_HARNESS_MAIN
