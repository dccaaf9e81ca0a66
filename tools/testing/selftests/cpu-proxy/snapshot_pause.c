// SPDX-License-Identifier: GPL-2.0
/*
 * Built into the rseq selftests that userspace_stress.sh runs under park
 * churn, in place of their sched_getaffinity() (-Dsched_getaffinity=
 * cpu_proxy_paused_getaffinity). They size their per-CPU data by the
 * CPUs it reports, which are the active ones: a parked CPU is not among
 * them, as an offline one is not, and a test that took its snapshot with
 * a CPU parked finds items missing once that CPU is back (the tests say
 * so: "unless some external actor is interfering with our allowed
 * affinity"). So the snapshot is taken with the churn paused, nothing
 * parked, and the churn goes on under the rest of the test.
 *
 * With CPU_PROXY_PAUSE and CPU_PROXY_PAUSED in the environment: write a
 * token to the first file, wait until the churn, which stops when the
 * first file exists, copies it to the second, take the snapshot, and
 * remove the first file; exit with 3 if the churn did not pause in 5 s.
 * Without them, as sched_getaffinity().
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#undef sched_getaffinity
extern int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *mask);

static int write_token(const char *path, const char *token)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, token, strlen(token));
	close(fd);
	return n == (ssize_t)strlen(token) ? 0 : -1;
}

static int has_token(const char *path, const char *token)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 && !strcmp(buf, token);
}

int cpu_proxy_paused_getaffinity(pid_t pid, size_t size, cpu_set_t *mask)
{
	const char *pause = getenv("CPU_PROXY_PAUSE");
	const char *paused = getenv("CPU_PROXY_PAUSED");
	static int calls;
	char token[64];
	int ret, i;

	if (!pause || !paused)
		return sched_getaffinity(pid, size, mask);
	snprintf(token, sizeof(token), "%d.%d\n", getpid(), ++calls);
	if (write_token(pause, token))
		return sched_getaffinity(pid, size, mask);
	for (i = 0; i < 5000 && !has_token(paused, token); i++)
		usleep(1000);
	if (i == 5000) {
		/* A snapshot with CPUs parked would fail the test later. */
		fprintf(stderr, "snapshot_pause: the churn did not pause in 5 s\n");
		unlink(pause);
		exit(3);
	}
	ret = sched_getaffinity(pid, size, mask);
	unlink(pause);
	return ret;
}
