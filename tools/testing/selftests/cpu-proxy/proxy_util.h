/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the cpu-proxy selftests and benchmark. */
#ifndef PROXY_UTIL_H
#define PROXY_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROXY_DIR	"/sys/devices/system/cpu/proxy"
#define TEST_DIR	"/sys/kernel/debug/cpu_proxy_test"

/* CLOCK_MONOTONIC in nanoseconds. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Reads a whole (small) file into buf; returns its length or -errno. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	if (n < 0)
		len = -errno;
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

/*
 * The number a topology file of @cpu starts with, or -1: the package for
 * "physical_package_id", the first CPU of its core (its lowest SMT
 * sibling) for "thread_siblings_list".
 */
static inline int topology_of(int cpu, const char *file)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/%s",
		 cpu, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

static inline int package_of(int cpu)
{
	return topology_of(cpu, "physical_package_id");
}

static inline int core_of(int cpu)
{
	return topology_of(cpu, "thread_siblings_list");
}

/* Writes len bytes in one write(); returns 0 or -errno. */
static inline int write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0 && (size_t)n != len)
		return -EIO;
	return n < 0 ? n : 0;
}

/*
 * Can this machine park CPUs at all? Parking needs FSGSBASE and no FRED
 * (x86_64); without them a park write fails with EOPNOTSUPP. Tries the
 * highest online CPU once per process, and unparks it.
 */
static inline int park_supported(void)
{
	static int supported = -1;
	char cpu[24];
	long last;

	if (supported >= 0)
		return supported;
	last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	snprintf(cpu, sizeof(cpu), "%ld", last);
	supported = write_file(PROXY_DIR "/park", cpu, strlen(cpu)) != -EOPNOTSUPP;
	write_file(PROXY_DIR "/unpark", cpu, strlen(cpu));
	return supported;
}

/* The value of @key in the stats file, or ~0ull if unreadable or absent. */
static inline unsigned long long stat_value(const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);

	if (read_file(PROXY_DIR "/stats", buf, sizeof(buf)) <= 0)
		return ~0ull;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return ~0ull;
}

/*
 * Why a parked CPU woke since @before (a snapshot of stats_woken()): "call
 * +1 task +2" and so on, into @out.
 */
#define WOKEN_KEYS 5
static const char * const woken_keys[WOKEN_KEYS] = {
	"woken_call", "woken_task", "woken_softirq", "woken_hw", "woken_other",
};

static inline void stats_woken(unsigned long long *snap)
{
	for (int i = 0; i < WOKEN_KEYS; i++)
		snap[i] = stat_value(woken_keys[i]);
}

static inline const char *woken_since(const unsigned long long *before,
				      char *out, size_t size)
{
	unsigned long long now[WOKEN_KEYS];
	size_t len = 0;

	out[0] = '\0';
	stats_woken(now);
	for (int i = 0; i < WOKEN_KEYS && len < size; i++)
		if (now[i] != before[i])
			len += snprintf(out + len, size - len, " %s +%llu",
					woken_keys[i] + 6, now[i] - before[i]);
	return out;
}

/*
 * /dev/kmsg, for counting log records: from its end if from_end (the
 * records written from now on), else from its oldest record still held.
 * Returns an fd, or -errno.
 */
static inline int kmsg_open(bool from_end)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (from_end && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Reads fd's records up to the newest: returns how many contain needle,
 * or -errno; -EPIPE if records were overwritten before they were read
 * (the count would be short).
 */
static inline int kmsg_count(int fd, const char *needle)
{
	/* A read returns one record, of at most 2 KiB (PRINTK_MESSAGE_MAX). */
	static char rec[8192 + 1];
	bool lost = false;
	int n = 0;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE) {
			lost = true;
			continue;
		}
		if (len < 0 && errno != EAGAIN)
			return -errno;
		if (len <= 0)
			return lost ? -EPIPE : n;
		rec[len] = 0;
		n += !!strstr(rec, needle);
	}
}

/*
 * sched_setattr(2)'s argument: the C library has no wrapper, and the
 * uapi header that has it (linux/sched/types.h) also defines a struct
 * sched_param, which clashes with the C library's.
 */
struct dl_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

#endif
