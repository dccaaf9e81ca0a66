/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processor proxies and parallel hotplug: the C-facing API.
 *
 * The core is Rust (rust/proxy/); its objects are opaque to C. Functions
 * marked "Rust" are implemented there, the others in kernel/cpu_proxy_glue.c.
 * See Documentation/cpu-proxy.rst.
 */
#ifndef _LINUX_CPU_PROXY_H
#define _LINUX_CPU_PROXY_H

#include <linux/cpumask.h>
#include <linux/jump_label.h>
#include <linux/types.h>

#ifdef CONFIG_CPU_PROXY

/*
 * Parked CPUs. A parked CPU stays in cpu_online_mask but leaves
 * cpu_active_mask and runs only its idle task (and per-CPU kthreads, until
 * proxies take their work over). The mask is written only by the Rust core,
 * under cpu_maps_update_begin(); the key is on while any CPU is parked, so
 * that with nothing parked the hooks below cost one patched-out branch.
 */
DECLARE_STATIC_KEY_FALSE(cpu_proxy_parked_key);
extern struct cpumask __cpu_parked_mask;
#define cpu_parked_mask ((const struct cpumask *)&__cpu_parked_mask)

/**
 * cpu_proxy_parked - is @cpu parked?
 * @cpu: the CPU
 *
 * Context: any. Stable only under cpu_maps_update_begin().
 */
static __always_inline bool cpu_proxy_parked(unsigned int cpu)
{
	return static_branch_unlikely(&cpu_proxy_parked_key) &&
	       cpumask_test_cpu(cpu, cpu_parked_mask);
}

/* Counts a parked CPU leaving its idle sleep (Rust). */
void cpu_proxy_note_wakeup(void);

/* Hook at the end of each idle-loop iteration on @cpu. */
static __always_inline void cpu_proxy_idle_exit(unsigned int cpu)
{
	if (cpu_proxy_parked(cpu))
		cpu_proxy_note_wakeup();
}

/* Implemented in kernel/sched/core.c. */
void sched_cpu_park(unsigned int cpu);
int sched_cpu_park_wait(unsigned int cpu, u64 timeout_ns);
void sched_cpu_unpark(unsigned int cpu);

/* Implemented in kernel/cpu.c. */
void cpu_maps_assert_held(void);

/**
 * cpu_proxy_park_write - handle a write to the park or unpark file (Rust)
 * @buf: the cpulist written
 * @len: its length
 * @park: true for park, false for unpark
 *
 * Context: process context; may sleep.
 * Return: @len, or -EINVAL (malformed list), -ENODEV (CPU not present or
 * offline), -EBUSY (no active CPU would be left, or a CPU did not drain in
 * 30 s), -EINTR (killed while waiting for a CPU to drain).
 */
ssize_t cpu_proxy_park_write(const char *buf, size_t len, bool park);

/* Glue called by the Rust core; see kernel/cpu_proxy_glue.c. */
void cpu_proxy_lock(void);
void cpu_proxy_unlock(void);
void cpu_proxy_set_parked(unsigned int cpu, bool parked);
int cpu_proxy_irqs_park(const struct cpumask *set);
void cpu_proxy_irqs_unpark(const struct cpumask *set);

/**
 * cpu_proxy_cpulist_parse - parse a cpulist of bounded length (Rust)
 * @buf: the list, not necessarily NUL-terminated
 * @len: bytes of @buf to look at; a NUL or newline ends the list earlier
 * @dst: the resulting mask, sized for nr_cpu_ids bits
 *
 * Accepts exactly what cpulist_parse() accepts and yields the same mask.
 * Context: any; does not sleep or allocate.
 * Return: 0, or -EINVAL (malformed), -ERANGE (CPU >= nr_cpu_ids),
 * -EOVERFLOW (number does not fit in 32 bits).
 */
int cpu_proxy_cpulist_parse(const char *buf, size_t len, struct cpumask *dst);

/**
 * cpu_proxy_stats_show - format the event counters (Rust)
 * @buf: a sysfs show() buffer of PAGE_SIZE bytes
 *
 * Return: bytes written, or a negative errno.
 */
ssize_t cpu_proxy_stats_show(char *buf);

/* Called by the Rust core to create and remove the sysfs directory. */
int cpu_proxy_sysfs_register(void);
void cpu_proxy_sysfs_unregister(void);

#else /* !CONFIG_CPU_PROXY */

static inline bool cpu_proxy_parked(unsigned int cpu)
{
	return false;
}

static inline void cpu_proxy_idle_exit(unsigned int cpu)
{
}

#endif /* CONFIG_CPU_PROXY */

#endif /* _LINUX_CPU_PROXY_H */
