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

#include <linux/types.h>

struct cpumask;

#ifdef CONFIG_CPU_PROXY

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

#endif /* CONFIG_CPU_PROXY */

#endif /* _LINUX_CPU_PROXY_H */
