// SPDX-License-Identifier: GPL-2.0
/*
 * How late does nanosleep(10 ms) return? Many threads sleep 10 ms, many
 * times each, and the overshoot of every sleep is recorded; prints
 * "overshoot_us p50 <n> p99 <n> p999 <n> max <n> sleeps <n>".
 *
 * Usage: sleep_overshoot [threads [sleeps_per_thread]]
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define SLEEP_NS	10000000ull

static int nthreads = 8, nsleeps = 200;
static uint64_t *late;

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void *sleeper(void *arg)
{
	struct timespec ts = { 0, SLEEP_NS };
	long id = (long)arg;

	for (int i = 0; i < nsleeps; i++) {
		uint64_t t0 = now_ns();

		nanosleep(&ts, NULL);
		late[id * nsleeps + i] = now_ns() - t0 - SLEEP_NS;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	pthread_t tid[256];
	int n;

	if (argc > 1)
		nthreads = atoi(argv[1]);
	if (argc > 2)
		nsleeps = atoi(argv[2]);
	if (nthreads < 1 || nthreads > 256 || nsleeps < 1)
		return 2;
	n = nthreads * nsleeps;
	late = calloc(n, sizeof(*late));
	if (!late)
		return 1;
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&tid[i], NULL, sleeper, (void *)i))
			return 1;
	for (int i = 0; i < nthreads; i++)
		pthread_join(tid[i], NULL);
	qsort(late, n, sizeof(*late), cmp);
	printf("overshoot_us p50 %llu p99 %llu p999 %llu max %llu sleeps %d\n",
	       (unsigned long long)late[n / 2] / 1000,
	       (unsigned long long)late[n * 99 / 100] / 1000,
	       (unsigned long long)late[n * 999 / 1000] / 1000,
	       (unsigned long long)late[n - 1] / 1000, n);
	return 0;
}
