// SPDX-License-Identifier: GPL-2.0
/*
 * The /sys/devices/system/cpu/proxy/ directory: what it holds, and the
 * format of the stats file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "proxy_util.h"

/* The files this kernel implements; later features add theirs here. */
static const char * const implemented[] = {
	"park", "unpark", "parked", "proxy_map", "offline", "online", "stats",
};

/* Keys the ABI promises in stats. */
static const char * const stats_keys[] = {
	"parks", "unparks", "proxied_ipis", "proxy_entries",
	"deferred_offlines", "wakeups_while_parked", "stop_machine_held",
	"woken_call", "woken_task", "woken_softirq", "woken_hw", "woken_other",
};

#define MAX_STATS 64

struct stat_line {
	char key[64];
	uint64_t value;
};

/* Parses stats strictly; returns the number of lines or -1. */
static int parse_stats(const char *text, struct stat_line *out, int max)
{
	const char *p = text;
	int n = 0;

	while (*p) {
		const char *sp = strchr(p, ' '), *nl = strchr(p, '\n');
		const char *v;
		size_t klen;

		if (!sp || !nl || sp > nl || n == max)
			return -1;
		klen = sp - p;
		if (!klen || klen >= sizeof(out[n].key))
			return -1;
		for (const char *c = p; c < sp; c++)
			if (!(*c == '_' || (*c >= 'a' && *c <= 'z')))
				return -1;
		v = sp + 1;
		if (v == nl || (v[0] == '0' && nl - v > 1) || nl - v > 20)
			return -1;
		out[n].value = 0;
		for (const char *c = v; c < nl; c++) {
			if (*c < '0' || *c > '9')
				return -1;
			if (out[n].value > (UINT64_MAX - (*c - '0')) / 10)
				return -1;
			out[n].value = out[n].value * 10 + (*c - '0');
		}
		memcpy(out[n].key, p, klen);
		out[n].key[klen] = '\0';
		for (int i = 0; i < n; i++)
			if (!strcmp(out[i].key, out[n].key))
				return -1;
		n++;
		p = nl + 1;
	}
	return n;
}

FIXTURE(proxy) {
};

FIXTURE_SETUP(proxy)
{
	if (access(PROXY_DIR, F_OK) && errno == ENOENT)
		SKIP(return, "CONFIG_CPU_PROXY is not enabled");
}

FIXTURE_TEARDOWN(proxy)
{
}

static const struct stat_line *find_stat(const struct stat_line *s, int n,
					 const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s[i].key, key))
			return &s[i];
	return NULL;
}

TEST_F(proxy, directory_holds_the_implemented_files)
{
	bool seen[ARRAY_SIZE(implemented)] = {};
	size_t nseen = 0;
	struct dirent *de;
	DIR *d;

	d = opendir(PROXY_DIR);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		bool known = false;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(implemented); i++) {
			if (!strcmp(de->d_name, implemented[i])) {
				EXPECT_FALSE(seen[i]);
				seen[i] = true;
				known = true;
				nseen++;
			}
		}
		EXPECT_TRUE(known) TH_LOG("unexpected file %s", de->d_name);
	}
	closedir(d);
	for (size_t i = 0; i < ARRAY_SIZE(implemented); i++)
		if (!seen[i])
			TH_LOG("missing file %s", implemented[i]);
	EXPECT_EQ(ARRAY_SIZE(implemented), nseen);
}

TEST_F(proxy, stats_parses_with_every_key)
{
	struct stat_line s[MAX_STATS];
	int n, missing = 0;
	char buf[4096];
	ssize_t len;

	len = read_file(PROXY_DIR "/stats", buf, sizeof(buf));
	ASSERT_GT(len, 0);
	ASSERT_EQ('\n', buf[len - 1]);
	n = parse_stats(buf, s, MAX_STATS);
	ASSERT_GT(n, 0) TH_LOG("malformed stats:\n%s", buf);
	for (size_t i = 0; i < ARRAY_SIZE(stats_keys); i++)
		if (!find_stat(s, n, stats_keys[i])) {
			TH_LOG("stats lacks %s", stats_keys[i]);
			missing++;
		}
	EXPECT_EQ(0, missing);
}

TEST_F(proxy, stats_counters_never_go_back)
{
	struct stat_line a[MAX_STATS], b[MAX_STATS];
	char buf[4096];
	int na, nb;

	ASSERT_GT(read_file(PROXY_DIR "/stats", buf, sizeof(buf)), 0);
	na = parse_stats(buf, a, MAX_STATS);
	ASSERT_GT(read_file(PROXY_DIR "/stats", buf, sizeof(buf)), 0);
	nb = parse_stats(buf, b, MAX_STATS);
	ASSERT_GT(na, 0);
	ASSERT_EQ(na, nb);
	for (int i = 0; i < na; i++) {
		EXPECT_STREQ(a[i].key, b[i].key);
		EXPECT_LE(a[i].value, b[i].value);
	}
}

TEST_F(proxy, stats_is_read_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(PROXY_DIR "/stats", &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	/* Even root cannot open it for writing: sysfs refuses. */
	EXPECT_EQ(-EACCES, write_file(PROXY_DIR "/stats", "0\n", 2));
}

/* Is @flag among the flags of the first CPU in /proc/cpuinfo? */
static bool cpu_flag(const char *flag)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		static const char * const sep = "\n\t ";
		char *tok, *save;

		if (strncmp(line, "flags", 5))
			continue;
		for (tok = strtok_r(strchr(line, ':') + 1, sep, &save); tok;
		     tok = strtok_r(NULL, sep, &save))
			if (!strcmp(tok, flag))
				found = true;
		break;
	}
	fclose(f);
	return found;
}

/*
 * Parking needs FSGSBASE, so that an NMI a proxy takes in a pass runs as
 * the proxy, no FRED, and a local APIC timer that keeps running in deep
 * idle (ARAT), which is what a proxy stands in for. Without them
 * (nofsgsbase, clearcpuid=arat) a park write fails with EOPNOTSUPP and
 * changes nothing, and the log says why, rate limited: 40 refused writes
 * in a row leave at most a burst of 10 lines for each interval of 5 s
 * they touch. (With clearcpuid=arat the line is the Rust crate's, from
 * MapsGuard::can_park(), one a write unless limited; with nofsgsbase it
 * is C's, from arch_cpu_proxy_supported().) With them it parks. An
 * unpark write, and the mask hotplug files, work either way.
 */
TEST_F(proxy, parking_needs_fsgsbase_and_arat)
{
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	unsigned long long parks = stat_value("parks");
	char cpu[24], parked[64];
	int ret, kmsg, lines, i;
	uint64_t t0, us;

	if (last < 1)
		SKIP(return, "needs 2 CPUs");
	snprintf(cpu, sizeof(cpu), "%ld", last);
	ret = write_file(PROXY_DIR "/park", cpu, strlen(cpu));
	ASSERT_LT(0, read_file(PROXY_DIR "/parked", parked, sizeof(parked)));
	EXPECT_EQ(0, write_file(PROXY_DIR "/unpark", cpu, strlen(cpu)));
	if (cpu_flag("fsgsbase") && !cpu_flag("fred") && cpu_flag("arat")) {
		EXPECT_EQ(0, ret);
		EXPECT_EQ(parks + 1, stat_value("parks"));
		return;
	}
	TH_LOG("no FSGSBASE, FRED, or no ARAT: parking is refused");
	EXPECT_EQ(-EOPNOTSUPP, ret);
	EXPECT_STREQ("\n", parked);
	EXPECT_EQ(parks, stat_value("parks"));
	/* The reason is in the log, from the first write. */
	kmsg = kmsg_open(false);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	EXPECT_LE(1, kmsg_count(kmsg, "cannot park"));
	close(kmsg);
	kmsg = kmsg_open(true);
	ASSERT_LE(0, kmsg) TH_LOG("/dev/kmsg: %s", strerror(-kmsg));
	t0 = now_ns();
	for (i = 0; i < 40; i++)
		EXPECT_EQ(-EOPNOTSUPP, write_file(PROXY_DIR "/park", cpu, strlen(cpu)));
	us = (now_ns() - t0) / 1000;
	lines = kmsg_count(kmsg, "cannot park");
	close(kmsg);
	TH_LOG("40 refused parks in %llu us: %d log lines", (unsigned long long)us, lines);
	ASSERT_LE(0, lines) TH_LOG("/dev/kmsg: %s", strerror(-lines));
	EXPECT_GE(10 * (2 + us / 5000000), lines);
	EXPECT_EQ(parks, stat_value("parks"));
	EXPECT_EQ(0, write_file(PROXY_DIR "/offline", cpu, strlen(cpu)));
	EXPECT_EQ(0, write_file(PROXY_DIR "/online", cpu, strlen(cpu)));
}

TEST_HARNESS_MAIN
