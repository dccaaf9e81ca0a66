// SPDX-License-Identifier: GPL-2.0
/*
 * cpu-proxy benchmark, run inside the guest. Measures, in one boot:
 *
 *   native   offline then online of k = 1..K CPUs through cpuN/online,
 *            one write per CPU (what hotplug costs today)
 *   park     park then unpark of the same k CPUs, one write for the set
 *   stall    the longest gap a task spinning on an uninvolved CPU sees
 *            while one CPU goes offline natively, and while it is parked
 *   storm    10 s of IPI storm (test_cpu_proxy's ipi_storm) from CPU 0 with the last
 *            CPU unparked, then parked; marker lines on stderr let the
 *            host sample the CPU time of that CPU's QEMU thread, and
 *            wakeups_while_parked is read before and after
 *   ipi      one smp_call_function_single() round trip to an idle CPU,
 *            back to back, the floor any mechanism built on IPIs can
 *            reach; and the same to a CPU halted for 1 ms before each
 *            (ipi_halted), the floor of anything that must wake a CPU,
 *            as a park must
 *   sysfs    what the timings leave out or cannot avoid: the open() and
 *            close() of a proxy file, and a park write that changes nothing
 *
 * Every timed operation is one write(2) (pwrite at offset 0) on a file
 * opened beforehand: the cpuN/online files for native hotplug, the proxy
 * files for park and mask hotplug, so that neither side pays a path walk.
 *
 * and prints one JSON object on stdout between marker lines. The caller
 * (scripts/bench-report.py) turns it into a table and a plot.
 *
 * Usage: cpu_proxy_bench [-r reps] [-k max_cpus] [-i ipi_iterations]
 *                        [-s storm_seconds]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "proxy_util.h"

#define CPU_DIR		"/sys/devices/system/cpu"
#define MAX_REPS	1000
#define MAX_CPUS	64

static int nr_cpus;

static void die(const char *what, int err)
{
	fprintf(stderr, "cpu_proxy_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void write_or_die(const char *path, const char *s)
{
	int ret = write_file(path, s, strlen(s));

	if (ret)
		die(path, -ret);
}

static int open_or_die(const char *path)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		die(path, errno);
	return fd;
}

/* One write of @s to @fd (opened beforehand), as the timed operation. */
static void fd_write_or_die(int fd, const char *what, const char *s)
{
	ssize_t len = strlen(s), n = pwrite(fd, s, len, 0);

	if (n != len)
		die(what, n < 0 ? errno : EIO);
}

/* The CPUs nr_cpus-k .. nr_cpus-1 as a cpulist. */
static const char *top_cpus(int k)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "%d-%d", nr_cpus - k, nr_cpus - 1);
	return buf;
}

/* cpuN/online, opened once (main()). */
static int online_fd[MAX_CPUS];

static void set_online(int cpu, int on)
{
	fd_write_or_die(online_fd[cpu], "cpuN/online", on ? "1\n" : "0\n");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static uint64_t pct(const uint64_t *v, int n, int p)
{
	int idx = (n * p + 99) / 100 - 1;

	return v[idx < 0 ? 0 : idx];
}

static void print_series(const char *name, uint64_t *v, int n, int last)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("      \"%s\": {", name);
	printf("\"median_ns\": %llu, ", (unsigned long long)pct(v, n, 50));
	printf("\"p90_ns\": %llu, ", (unsigned long long)pct(v, n, 90));
	printf("\"min_ns\": %llu, ", (unsigned long long)v[0]);
	printf("\"max_ns\": %llu, ", (unsigned long long)v[n - 1]);
	printf("\"samples_ns\": [");
	for (int i = 0; i < n; i++)
		printf("%s%llu", i ? ", " : "", (unsigned long long)v[i]);
	printf("]}%s\n", last ? "" : ",");
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity", errno);
}

/* The stall probe: a thread on an uninvolved CPU records its longest gap. */
static atomic_ullong max_gap;
static atomic_int probe_stop;

static void *stall_probe(void *arg)
{
	uint64_t prev;

	pin_to(*(int *)arg);
	prev = now_ns();
	while (!atomic_load_explicit(&probe_stop, memory_order_relaxed)) {
		uint64_t t = now_ns(), gap = t - prev;

		if (gap > atomic_load_explicit(&max_gap, memory_order_relaxed))
			atomic_store_explicit(&max_gap, gap, memory_order_relaxed);
		prev = t;
	}
	return NULL;
}

static void bench_stall(int reps)
{
	static uint64_t native[MAX_REPS], parked[MAX_REPS], mask[MAX_REPS];
	int probe_cpu = 1, victim = nr_cpus - 1;
	char victim_str[16];
	pthread_t t;

	snprintf(victim_str, sizeof(victim_str), "%d", victim);
	pthread_create(&t, NULL, stall_probe, &probe_cpu);
	usleep(20000);
	for (int r = 0; r < reps; r++) {
		atomic_store(&max_gap, 0);
		set_online(victim, 0);
		native[r] = atomic_load(&max_gap);
		set_online(victim, 1);
		usleep(1000);
		atomic_store(&max_gap, 0);
		write_or_die(PROXY_DIR "/park", victim_str);
		parked[r] = atomic_load(&max_gap);
		write_or_die(PROXY_DIR "/unpark", victim_str);
		usleep(1000);
		atomic_store(&max_gap, 0);
		write_or_die(PROXY_DIR "/offline", victim_str);
		mask[r] = atomic_load(&max_gap);
		write_or_die(PROXY_DIR "/online", victim_str);
		usleep(1000);
	}
	atomic_store(&probe_stop, 1);
	pthread_join(t, NULL);
	printf("  \"stall\": {\"probe_cpu\": %d, \"victim_cpu\": %d,\n", probe_cpu, victim);
	print_series("native_offline", native, reps, 0);
	print_series("park", parked, reps, 0);
	print_series("mask_offline", mask, reps, 1);
	printf("  },\n");
}

/* A stats counter; the benchmark cannot go on without it. */
static unsigned long long stat_or_die(const char *key)
{
	unsigned long long v = stat_value(key);

	if (v == ~0ull)
		die(key, ENOENT);
	return v;
}

static unsigned long long storm_rounds(void)
{
	char buf[64];
	unsigned long long r;

	if (read_file(TEST_DIR "/ipi_storm", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "rounds %llu", &r) != 1)
		die(TEST_DIR "/ipi_storm", EIO);
	return r;
}

/* One storm phase; the host samples CPU times at the marker lines. */
static void storm_phase(const char *label, int secs, int last)
{
	unsigned long long r0, w0;
	char arg[16];

	/* Send from CPU 0, so that the sender never runs on the CPU measured. */
	snprintf(arg, sizeof(arg), "%d 0", secs);
	r0 = storm_rounds();
	w0 = stat_or_die("wakeups_while_parked");
	fprintf(stderr, "CPU_PROXY_SAMPLE %s begin\n", label);
	write_or_die(TEST_DIR "/ipi_storm", arg);
	sleep(secs);
	write_or_die(TEST_DIR "/ipi_storm", "0");
	fprintf(stderr, "CPU_PROXY_SAMPLE %s end\n", label);
	printf("    \"%s\": {\"storm_rounds\": %llu, ", label, storm_rounds() - r0);
	printf("\"wakeups_while_parked\": %llu}%s\n",
	       stat_or_die("wakeups_while_parked") - w0, last ? "" : ",");
}

static void bench_storm(int secs)
{
	char victim[16];

	snprintf(victim, sizeof(victim), "%d", nr_cpus - 1);
	printf("  \"storm\": {\"cpu\": %d, \"seconds\": %d,\n", nr_cpus - 1, secs);
	storm_phase("unparked", secs, 0);
	write_or_die(PROXY_DIR "/park", victim);
	storm_phase("parked", secs, 1);
	write_or_die(PROXY_DIR "/unpark", victim);
	printf("  },\n");
}

/*
 * The top k CPUs, k = 1..max_k, through PROXY_DIR/<off> then PROXY_DIR/<on>,
 * one write each: the JSON list <name> of {k, <off>, <on>} series.
 */
static void bench_writes(const char *name, const char *off, const char *on,
			 int reps, int max_k, int last)
{
	static uint64_t t_off[MAX_REPS], t_on[MAX_REPS];
	char off_path[128], on_path[128];
	int off_fd, on_fd;

	snprintf(off_path, sizeof(off_path), PROXY_DIR "/%s", off);
	snprintf(on_path, sizeof(on_path), PROXY_DIR "/%s", on);
	off_fd = open_or_die(off_path);
	on_fd = open_or_die(on_path);
	printf("  \"%s\": [\n", name);
	for (int k = 1; k <= max_k; k++) {
		fprintf(stderr, "bench: %s/%s of %d CPU(s), %d reps\n", off, on, k, reps);
		for (int r = 0; r < reps; r++) {
			const char *list = top_cpus(k);
			uint64_t t0 = now_ns();

			fd_write_or_die(off_fd, off_path, list);
			t_off[r] = now_ns() - t0;
			t0 = now_ns();
			fd_write_or_die(on_fd, on_path, list);
			t_on[r] = now_ns() - t0;
		}
		printf("    {\"k\": %d,\n", k);
		print_series(off, t_off, reps, 0);
		print_series(on, t_on, reps, 1);
		printf("    }%s\n", k == max_k ? "" : ",");
	}
	printf("  ]%s\n", last ? "" : ",");
	close(off_fd);
	close(on_fd);
}

/*
 * What the timings leave out, and their floor: open() + close() of the park
 * file, and a park write of an already parked CPU (parse, lock, plan: a
 * no-op), reps times each.
 */
static void bench_sysfs(int reps)
{
	static uint64_t t_open[MAX_REPS], t_noop[MAX_REPS];
	const char *victim = top_cpus(1);
	int fd;

	fprintf(stderr, "bench: sysfs open/close and no-op park, %d reps\n", reps);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = now_ns();

		fd = open_or_die(PROXY_DIR "/park");
		close(fd);
		t_open[r] = now_ns() - t0;
	}
	fd = open_or_die(PROXY_DIR "/park");
	fd_write_or_die(fd, "park", victim);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = now_ns();

		fd_write_or_die(fd, "park", victim);
		t_noop[r] = now_ns() - t0;
	}
	close(fd);
	write_or_die(PROXY_DIR "/unpark", victim);
	printf("  \"sysfs\": {\n");
	print_series("open_close", t_open, reps, 0);
	print_series("noop_park", t_noop, reps, 1);
	printf("  },\n");
}

/*
 * Park and unpark of the last CPU, each park after PARK_COLD_PAUSE_MS with
 * nothing parked, against the back-to-back "park" series. The pause is
 * longer than the second the parked static key stays on after the last
 * unpark, so with CONFIG_JUMP_LABEL each of these parks patches the hooks
 * back in (text_poke_bp(), IPIs to every online CPU); without it the two
 * series differ only by the pause.
 */
#define PARK_COLD_PAUSE_MS	1200

static void bench_park_cold(int reps)
{
	static uint64_t t_park[MAX_REPS], t_unpark[MAX_REPS];
	const char *victim = top_cpus(1);
	int park_fd = open_or_die(PROXY_DIR "/park");
	int unpark_fd = open_or_die(PROXY_DIR "/unpark");

	fprintf(stderr, "bench: park of 1 CPU after %d ms with none parked, %d reps\n",
		PARK_COLD_PAUSE_MS, reps);
	for (int r = 0; r < reps; r++) {
		uint64_t t0;

		usleep(PARK_COLD_PAUSE_MS * 1000);
		t0 = now_ns();
		fd_write_or_die(park_fd, PROXY_DIR "/park", victim);
		t_park[r] = now_ns() - t0;
		t0 = now_ns();
		fd_write_or_die(unpark_fd, PROXY_DIR "/unpark", victim);
		t_unpark[r] = now_ns() - t0;
	}
	close(park_fd);
	close(unpark_fd);
	printf("  \"park_cold\": {\"pause_ms\": %d,\n", PARK_COLD_PAUSE_MS);
	print_series("park", t_park, reps, 0);
	print_series("unpark", t_unpark, reps, 1);
	printf("  },\n");
}

/* Round trips to a CPU halted for IPI_HALTED_GAP_US before each. */
#define IPI_HALTED_ITERS	200
#define IPI_HALTED_GAP_US	1000

/* smp_call_function_single() round trips to the last CPU, @gap_us apart. */
static void bench_ipi(const char *name, int iters, int gap_us)
{
	unsigned long long min, med, p90, max;
	int cpu, from, it, gap;
	char buf[256];

	snprintf(buf, sizeof(buf), "%d %d %d", nr_cpus - 1, iters, gap_us);
	if (write_file(TEST_DIR "/ipi_rtt", buf, strlen(buf)) ||
	    read_file(TEST_DIR "/ipi_rtt", buf, sizeof(buf)) <= 0)
		die(TEST_DIR "/ipi_rtt (CONFIG_TEST_CPU_PROXY)", ENOENT);
	/* "cpu C from F iterations I min_ns . median_ns . p90_ns . max_ns . gap_us G" */
	if (sscanf(buf, "cpu %d from %d iterations %d %*s %llu %*s %llu %*s %llu %*s %llu %*s %d",
		   &cpu, &from, &it, &min, &med, &p90, &max, &gap) != 8 || gap != gap_us)
		die("ipi_rtt output", EPROTO);
	printf("  \"%s\": {\"cpu\": %d, \"from\": %d, ", name, cpu, from);
	printf("\"iterations\": %d, \"gap_us\": %d, \"min_ns\": %llu, ", it, gap, min);
	printf("\"median_ns\": %llu, \"p90_ns\": %llu, ", med, p90);
	printf("\"max_ns\": %llu},\n", max);
}

int main(int argc, char **argv)
{
	static uint64_t off[MAX_REPS], on[MAX_REPS];
	int reps = 11, max_k = -1, ipi_iters = 2000, storm_secs = 10, opt;
	char buf[256];
	struct utsname u;

	while ((opt = getopt(argc, argv, "r:k:i:s:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'k':
			max_k = atoi(optarg);
			break;
		case 'i':
			ipi_iters = atoi(optarg);
			break;
		case 's':
			storm_secs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-r reps] [-k cpus] [-i iters] [-s secs]\n",
				argv[0]);
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || ipi_iters < 1 || storm_secs < 1)
		die("bad arguments", EINVAL);

	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (nr_cpus < 2)
		die("needs at least 2 online CPUs", ENODEV);
	if (nr_cpus > MAX_CPUS)
		nr_cpus = MAX_CPUS;
	if (max_k < 0 || max_k > nr_cpus - 1)
		max_k = nr_cpus - 1;
	for (int c = 1; c < nr_cpus; c++) {
		snprintf(buf, sizeof(buf), CPU_DIR "/cpu%d/online", c);
		online_fd[c] = open_or_die(buf);
	}
	pin_to(0);
	uname(&u);

	printf("CPU_PROXY_BENCH_BEGIN\n{\n");
	printf("  \"kernel\": \"%s\",\n  \"cpus\": %d,\n  \"reps\": %d,\n",
	       u.release, nr_cpus, reps);

	/* IPI floor: CPU 0 to the last CPU, which is idle. */
	fprintf(stderr, "bench: IPI round trips, back to back and to a halted CPU\n");
	bench_ipi("ipi", ipi_iters, 0);
	bench_ipi("ipi_halted", IPI_HALTED_ITERS, IPI_HALTED_GAP_US);

	bench_sysfs(reps);
	bench_writes("park", "park", "unpark", reps, max_k, 0);
	bench_park_cold(reps);

	if (nr_cpus >= 3) {
		fprintf(stderr, "bench: stall seen by a spinner on CPU 1, %d reps\n", reps);
		bench_stall(reps);
	}
	fprintf(stderr, "bench: IPI storm, last CPU unparked then parked, %d s each\n",
		storm_secs);
	bench_storm(storm_secs);

	printf("  \"native\": [\n");
	for (int k = 1; k <= max_k; k++) {
		fprintf(stderr, "bench: native offline/online of %d CPU(s), %d reps\n", k, reps);
		for (int r = 0; r < reps; r++) {
			uint64_t t0 = now_ns();

			for (int i = 0; i < k; i++)
				set_online(nr_cpus - 1 - i, 0);
			off[r] = now_ns() - t0;
			t0 = now_ns();
			for (int i = k - 1; i >= 0; i--)
				set_online(nr_cpus - 1 - i, 1);
			on[r] = now_ns() - t0;
		}
		printf("    {\"k\": %d,\n", k);
		print_series("offline", off, reps, 0);
		print_series("online", on, reps, 1);
		printf("    }%s\n", k == max_k ? "" : ",");
	}
	printf("  ],\n");

	/* The same k CPUs through the offline and online files: one write. */
	bench_writes("mask", "offline", "online", reps, max_k, 1);
	printf("}\nCPU_PROXY_BENCH_END\n");
	return 0;
}
