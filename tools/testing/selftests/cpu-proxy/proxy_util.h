/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the cpu-proxy selftests and benchmark. */
#ifndef PROXY_UTIL_H
#define PROXY_UTIL_H

#include <errno.h>
#include <fcntl.h>
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

#endif
