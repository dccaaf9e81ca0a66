// SPDX-License-Identifier: GPL-2.0
/*
 * Mask hotplug: /sys/devices/system/cpu/proxy/{offline,online} change a
 * whole cpulist in one operation. Checks the errno table and the no-ops,
 * every subset size, the per-CPU online files and the online mask, tasks
 * pinned to an offlined set, and random masks.
 */
#define _GNU_SOURCE
#include <errno.h>
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

FIXTURE(mask) {
	int ncpu;
	uint64_t all;
};

FIXTURE_SETUP(mask)
{
	self->ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (self->ncpu > 64)
		self->ncpu = 64;
	self->all = self->ncpu == 64 ? ~0ull : (1ull << self->ncpu) - 1;
	if (self->ncpu < 2)
		SKIP(return, "needs at least 2 CPUs");
	ASSERT_EQ(0, access(OFFLINE_FILE, W_OK));
	ASSERT_EQ(self->all, online_from_list());
}

FIXTURE_TEARDOWN(mask)
{
	char list[32];

	snprintf(list, sizeof(list), "0-%d", self->ncpu - 1);
	write_str(ONLINE_FILE, list);
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

/* The top k CPUs, for every k up to all but one; files agree. */
TEST_F(mask, every_subset_size)
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

/* Random masks, offline then online, for a few hundred rounds. */
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

TEST_HARNESS_MAIN
