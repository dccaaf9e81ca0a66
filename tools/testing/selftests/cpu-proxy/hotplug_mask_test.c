// SPDX-License-Identifier: GPL-2.0
/*
 * Mask hotplug: /sys/devices/system/cpu/proxy/{offline,online} change a
 * whole cpulist in one operation. Checks the errno table and the no-ops,
 * every subset size, the per-CPU online files and the online mask, the
 * roll-back of a set in which one CPU fails, tasks pinned to an offlined
 * set, and random masks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kselftest_harness.h"
#include "proxy_util.h"

#define OFFLINE_FILE	PROXY_DIR "/offline"
#define ONLINE_FILE	PROXY_DIR "/online"
#define STATES_FILE	"/sys/devices/system/cpu/hotplug/states"

static int write_str(const char *path, const char *s)
{
	return write_file(path, s, strlen(s));
}

/* The online CPUs as a bitmask, from the per-CPU files (CPU 0: always). */
static uint64_t online_from_files(int ncpu)
{
	uint64_t mask = 1;

	for (int c = 1; c < ncpu; c++) {
		char path[64], buf[8];

		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", c);
		if (read_file(path, buf, sizeof(buf)) > 0 && buf[0] == '1')
			mask |= 1ull << c;
	}
	return mask;
}

/* The online CPUs as a bitmask, from /sys/devices/system/cpu/online. */
static uint64_t online_from_list(void)
{
	char buf[256], *p = buf;
	uint64_t mask = 0;

	if (read_file("/sys/devices/system/cpu/online", buf, sizeof(buf)) <= 0)
		return 0;
	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (long c = a; c <= b && c < 64; c++)
			mask |= 1ull << c;
		p = *end == ',' ? end + 1 : end;
	}
	return mask;
}

static void list_of(uint64_t mask, char *buf, size_t size)
{
	int len = 0;

	buf[0] = '\0';
	for (int c = 0; c < 64; c++)
		if (mask & (1ull << c))
			len += snprintf(buf + len, size - len, "%s%d", len ? "," : "", c);
}

/* The number of the cpuhp state called @name, or -1. */
static int state_number(const char *name)
{
	static char buf[16384];
	char *line, *save;

	if (read_file(STATES_FILE, buf, sizeof(buf)) <= 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (colon && !strcmp(colon + 2, name))
			return atoi(line);
	}
	return -1;
}

/* The cpuhp state of @cpu (cpuN/hotplug/state), or -1. */
static int cpu_state(int cpu)
{
	char path[64], buf[16];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/hotplug/state", cpu);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoi(buf);
}

/* The CPUs 1..@ncpu-1 whose cpuhp state is @state, as a bitmask. */
static uint64_t cpus_in_state(int ncpu, int state)
{
	uint64_t mask = 0;

	for (int c = 1; c < ncpu; c++)
		if (cpu_state(c) == state)
			mask |= 1ull << c;
	return mask;
}

/* Make @cpu's next run of cpuhp state @state fail with EAGAIN (-1: none). */
static int fail_at(int cpu, int state)
{
	char path[64], buf[16];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/hotplug/fail", cpu);
	snprintf(buf, sizeof(buf), "%d", state);
	return write_str(path, buf);
}

FIXTURE(mask) {
	int ncpu;
	uint64_t all;
};

/* Every CPU online, no fault armed: where each test starts and ends. */
static void restore(int ncpu)
{
	for (int c = 1; c < ncpu; c++)
		fail_at(c, -1);
	write_str(ONLINE_FILE, "all");
}

FIXTURE_SETUP(mask)
{
	self->ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (self->ncpu > 64)
		self->ncpu = 64;
	self->all = self->ncpu == 64 ? ~0ull : (1ull << self->ncpu) - 1;
	if (self->ncpu < 2)
		SKIP(return, "needs at least 2 CPUs");
	ASSERT_EQ(0, access(OFFLINE_FILE, W_OK));
	/* Even after a test killed by its timeout, whose teardown did not run. */
	restore(self->ncpu);
	ASSERT_EQ(self->all, online_from_list());
}

FIXTURE_TEARDOWN(mask)
{
	restore(self->ncpu);
}

/* Bad input: a specific errno, and the online CPUs unchanged. */
TEST_F(mask, errnos_leave_state_unchanged)
{
	char list[32];

	EXPECT_EQ(-EINVAL, write_str(OFFLINE_FILE, "1-"));
	EXPECT_EQ(-EINVAL, write_str(ONLINE_FILE, "x"));
	EXPECT_EQ(-ENODEV, write_str(OFFLINE_FILE, "4095"));
	EXPECT_EQ(-ENODEV, write_str(ONLINE_FILE, "4095"));
	snprintf(list, sizeof(list), "0-%d", self->ncpu - 1);
	EXPECT_EQ(-EBUSY, write_str(OFFLINE_FILE, list));
	EXPECT_EQ(self->all, online_from_list());

	/* A parked CPU in the set: EBUSY. */
	snprintf(list, sizeof(list), "%d", self->ncpu - 1);
	ASSERT_EQ(0, write_str(PROXY_DIR "/park", list));
	EXPECT_EQ(-EBUSY, write_str(OFFLINE_FILE, list));
	ASSERT_EQ(0, write_str(PROXY_DIR "/unpark", list));
	EXPECT_EQ(self->all, online_from_list());

	/* Offlining every CPU but a parked one: EBUSY too. */
	if (self->ncpu >= 3) {
		ASSERT_EQ(0, write_str(PROXY_DIR "/park", "0"));
		snprintf(list, sizeof(list), "1-%d", self->ncpu - 1);
		EXPECT_EQ(-EBUSY, write_str(OFFLINE_FILE, list));
		ASSERT_EQ(0, write_str(PROXY_DIR "/unpark", "0"));
	}
	EXPECT_EQ(self->all, online_from_list());

	/*
	 * A CPU that cpuN/online cannot take down (it has no such file:
	 * x86's boot CPU) is refused with EPERM, as the device core refuses
	 * it, alone or in a set, and nothing changes.
	 */
	if (access("/sys/devices/system/cpu/cpu0/online", F_OK) != 0) {
		EXPECT_EQ(-EPERM, write_str(OFFLINE_FILE, "0"));
		snprintf(list, sizeof(list), "0-%d", self->ncpu - 2);
		EXPECT_EQ(-EPERM, write_str(OFFLINE_FILE, list));
		EXPECT_EQ(self->all, online_from_list());
	}
}

TEST_F(mask, already_in_state_is_a_no_op)
{
	char list[32];

	snprintf(list, sizeof(list), "0-%d", self->ncpu - 1);
	EXPECT_EQ(0, write_str(ONLINE_FILE, list));
	EXPECT_EQ(self->all, online_from_list());
	EXPECT_EQ(0, write_str(OFFLINE_FILE, "1"));
	EXPECT_EQ(0, write_str(OFFLINE_FILE, "1"));
	EXPECT_EQ(self->all & ~2ull, online_from_list());
	EXPECT_EQ(0, write_str(ONLINE_FILE, "1"));
	EXPECT_EQ(0, write_str(ONLINE_FILE, "1"));
	EXPECT_EQ(self->all, online_from_list());
}

/*
 * The top k CPUs, for every k up to all but one; files agree. (2k writes:
 * at -smp 16 under TCG, a minute; more than the harness's default 30 s.)
 */
TEST_F_TIMEOUT(mask, every_subset_size, 600)
{
	for (int k = 1; k < self->ncpu; k++) {
		uint64_t set = self->all & ~((1ull << (self->ncpu - k)) - 1);
		char list[256];

		list_of(set, list, sizeof(list));
		ASSERT_EQ(0, write_str(OFFLINE_FILE, list));
		EXPECT_EQ(self->all & ~set, online_from_list());
		EXPECT_EQ(self->all & ~set, online_from_files(self->ncpu));
		ASSERT_EQ(0, write_str(ONLINE_FILE, list));
		EXPECT_EQ(self->all, online_from_list());
		EXPECT_EQ(self->all, online_from_files(self->ncpu));
	}
}

/*
 * One CPU of the set fails (cpuhp fault injection, cpuN/hotplug/fail), in
 * an AP-side state or in the BP-side CPUHP_TEARDOWN_CPU or, online, in a
 * BP-side prepare state: the write returns its error, the kernel log
 * names that CPU once, and every CPU of the set is back where it started,
 * its cpuhp state included. The next write works. (Eleven writes of all
 * but one CPU per CPU: at -smp 16 under TCG, more than the harness's
 * default 30 s.)
 */
TEST_F_TIMEOUT(mask, failure_rolls_the_set_back, 900)
{
	/*
	 * Where offline fails: two AP-side teardown states, and the state
	 * whose stop_machine() takes the set down, which a mask offline runs
	 * itself.
	 */
	static const char *const down[] = { "sched:active", "workqueue:online",
					    "cpu:teardown" };
	/* Where online fails: an AP-side state, a BP-side prepare state. */
	static const char *const up[] = { "sched:active", "workqueue:prepare" };
	int online = state_number("online");
	uint64_t set = self->all & ~1ull;
	char list[256], want[64];
	int kmsg;

	ASSERT_LT(0, online);
	kmsg = kmsg_open(true);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	list_of(set, list, sizeof(list));
	for (int i = 0; i < ARRAY_SIZE(down); i++) {
		int sd = state_number(down[i]);
		int su = i < ARRAY_SIZE(up) ? state_number(up[i]) : -1;

		ASSERT_LT(0, sd) TH_LOG("no state %s", down[i]);
		ASSERT_TRUE(i >= ARRAY_SIZE(up) || su > 0) TH_LOG("no state %s", up[i]);
		for (int victim = 1; victim < self->ncpu; victim++) {
			lseek(kmsg, 0, SEEK_END);
			ASSERT_EQ(0, fail_at(victim, sd));
			EXPECT_EQ(-EAGAIN, write_str(OFFLINE_FILE, list))
				TH_LOG("offline %s, CPU%d failing at %s", list, victim, down[i]);
			snprintf(want, sizeof(want), "offline: CPU%d failed", victim);
			EXPECT_EQ(1, kmsg_count(kmsg, want));
			EXPECT_EQ(self->all, online_from_list());
			EXPECT_EQ(self->all, online_from_files(self->ncpu));
			EXPECT_EQ(set, cpus_in_state(self->ncpu, online));
			ASSERT_EQ(0, write_str(OFFLINE_FILE, list));
			ASSERT_EQ(1ull, online_from_list());
			if (su < 0) {
				ASSERT_EQ(0, write_str(ONLINE_FILE, list));
				ASSERT_EQ(self->all, online_from_list());
				continue;
			}

			lseek(kmsg, 0, SEEK_END);
			ASSERT_EQ(0, fail_at(victim, su));
			EXPECT_EQ(-EAGAIN, write_str(ONLINE_FILE, list))
				TH_LOG("online %s, CPU%d failing at %s", list, victim, up[i]);
			snprintf(want, sizeof(want), "online: CPU%d failed", victim);
			EXPECT_EQ(1, kmsg_count(kmsg, want));
			EXPECT_EQ(1ull, online_from_list());
			EXPECT_EQ(1ull, online_from_files(self->ncpu));
			EXPECT_EQ(set, cpus_in_state(self->ncpu, 0));
			ASSERT_EQ(0, write_str(ONLINE_FILE, list));
			ASSERT_EQ(self->all, online_from_list());
			EXPECT_EQ(set, cpus_in_state(self->ncpu, online));
		}
	}
	close(kmsg);
}

static atomic_long pinned_count;
static atomic_int pinned_stop;

static void *pinned_fn(void *arg)
{
	cpu_set_t *set = arg;

	sched_setaffinity(0, sizeof(*set), set);
	while (!atomic_load(&pinned_stop))
		atomic_fetch_add(&pinned_count, 1);
	return NULL;
}

/* A task pinned to the offlined set keeps running elsewhere. */
TEST_F(mask, task_pinned_to_the_set_keeps_running)
{
	cpu_set_t set;
	pthread_t tid;
	char list[32];
	long before;
	int top = self->ncpu - 1;

	CPU_ZERO(&set);
	CPU_SET(top, &set);
	if (top > 1)
		CPU_SET(top - 1, &set);
	atomic_store(&pinned_stop, 0);
	ASSERT_EQ(0, pthread_create(&tid, NULL, pinned_fn, &set));
	usleep(20000);
	snprintf(list, sizeof(list), "%d-%d", top > 1 ? top - 1 : top, top);
	ASSERT_EQ(0, write_str(OFFLINE_FILE, list));
	before = atomic_load(&pinned_count);
	usleep(50000);
	EXPECT_LT(before, atomic_load(&pinned_count));
	ASSERT_EQ(0, write_str(ONLINE_FILE, list));
	atomic_store(&pinned_stop, 1);
	pthread_join(tid, NULL);
}

/*
 * Random masks, offline then online: 200 rounds, or $CYCLES (make soak).
 * The harness's timeout for it grows with the rounds asked for (below).
 */
TEST_F_TIMEOUT(mask, random_masks, 600)
{
	unsigned int seed = 11;
	int rounds = getenv("CYCLES") ? atoi(getenv("CYCLES")) : 200;

	for (int i = 0; i < rounds; i++) {
		uint64_t set = (((uint64_t)rand_r(&seed) << 31) ^ rand_r(&seed)) & self->all;
		char list[256];

		set &= ~1ull;	/* keep CPU 0 */
		if (!set)
			continue;
		list_of(set, list, sizeof(list));
		ASSERT_EQ(0, write_str(OFFLINE_FILE, list)) TH_LOG("offline %s", list);
		ASSERT_EQ(self->all & ~set, online_from_list());
		ASSERT_EQ(0, write_str(ONLINE_FILE, list)) TH_LOG("online %s", list);
		ASSERT_EQ(self->all, online_from_list());
	}
}

/*
 * make soak asks random_masks for 10000 rounds, which take longer than its
 * 600 s at -smp 8 under TCG: give it 500 ms a round on top. This runs
 * after the harness registered the test (a later constructor priority)
 * and before main() runs it.
 */
static void __attribute__((constructor(KSELFTEST_PRIO_TEST + 1)))
scale_random_masks_timeout(void)
{
	const char *cycles = getenv("CYCLES");
	int rounds = cycles ? atoi(cycles) : 0;

	if (rounds > 200)
		_mask_random_masks_object->timeout = 600 + rounds / 2;
}

TEST_HARNESS_MAIN
