// SPDX-License-Identifier: GPL-2.0
/*
 * Processor proxies: the C glue.
 *
 * Thin by design: it owns what C must own (the sysfs attribute group under
 * /sys/devices/system/cpu/proxy/) and translates into calls to the Rust
 * core in rust/proxy/. Decisions are made there.
 */

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpu_proxy.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irqdesc.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/topology.h>

#include "cpu_proxy_rust.h"

/*
 * On while any CPU is parked, and with CONFIG_JUMP_LABEL for a second more
 * after the last one unparks: turning a key on or off patches every hook
 * site, with three rounds of IPIs to all online CPUs (text_poke_bp()), a
 * cost that CPUs parked and unparked again and again would pay each time.
 * The hooks also test the CPU's own park state, so a key left on with
 * nothing parked costs them that test and nothing else.
 */
DEFINE_STATIC_KEY_DEFERRED_FALSE(cpu_proxy_parked_key, HZ);
struct cpumask __cpu_parked_mask __read_mostly;

/**
 * cpu_proxy_mask_devices - the CPU devices of a mask operation follow it
 * @mask: the CPUs of a mask offline or online, done or rolled back
 *
 * Each CPU's device (cpuN/online) follows the CPU, with its uevent, as
 * when it was changed through its own file.
 * Context: process context; the park lock held (MapsGuard,
 * rust/proxy/hotplug.rs).
 */
void cpu_proxy_mask_devices(const struct cpumask *mask)
{
	unsigned int cpu;

	cpu_maps_assert_held();
	for_each_cpu(cpu, mask) {
		struct device *dev = get_cpu_device(cpu);
		bool offline = !cpu_online(cpu);

		if (!dev)
			continue;
		device_lock(dev);
		if (dev->offline != offline) {
			dev->offline = offline;
			kobject_uevent(&dev->kobj, offline ? KOBJ_OFFLINE : KOBJ_ONLINE);
		}
		device_unlock(dev);
	}
}

/**
 * cpu_proxy_set_parked - mark or unmark @cpu in cpu_parked_mask
 * @cpu: an online CPU
 * @parked: the new state
 *
 * Takes a reference on the static key with the first parked CPU and drops
 * it, deferred, with the last.
 * Context: process context; the park lock held (MapsGuard,
 * rust/proxy/hotplug.rs).
 */
void cpu_proxy_set_parked(unsigned int cpu, bool parked)
{
	cpu_maps_assert_held();

	if (parked) {
		/* The key is on before any hook can see the CPU parked. */
		if (cpumask_empty(&__cpu_parked_mask))
			static_branch_deferred_inc(&cpu_proxy_parked_key);
		cpumask_set_cpu(cpu, &__cpu_parked_mask);
	} else {
		/* Not parking after all (wake_early(), rust/proxy/idle.rs). */
		WRITE_ONCE(per_cpu(cpu_proxy_early, cpu), CPU_PROXY_EARLY_NONE);
		if (cpumask_test_and_clear_cpu(cpu, &__cpu_parked_mask) &&
		    cpumask_empty(&__cpu_parked_mask))
			static_branch_slow_dec_deferred(&cpu_proxy_parked_key);
	}
}

/**
 * cpu_proxy_cpu_package - the physical package of @cpu, for proxy choice
 * @cpu: a possible CPU
 *
 * Return: the package id topology reports for @cpu.
 */
u32 cpu_proxy_cpu_package(unsigned int cpu)
{
	return topology_physical_package_id(cpu);
}

/**
 * cpu_proxy_cpu_core - the first CPU of @cpu's core, for proxy choice
 * @cpu: a possible CPU
 *
 * SMT siblings share it. An offline CPU has no siblings listed and gets
 * nr_cpu_ids, a core of its own: proxy choice only compares parked and
 * active CPUs, which are online.
 *
 * Return: the lowest-numbered SMT sibling of @cpu.
 */
u32 cpu_proxy_cpu_core(unsigned int cpu)
{
	return cpumask_first(topology_sibling_cpumask(cpu));
}

/*
 * A CPU going down hands the parked CPUs it stands in for to others. The
 * CPUs of a mask offline go down concurrently: one re-proxying at a time.
 */
static DEFINE_MUTEX(cpu_proxy_reproxy_lock);

static int cpu_proxy_cpu_down_prep(unsigned int cpu)
{
	guard(mutex)(&cpu_proxy_reproxy_lock);
	return cpu_proxy_cpu_down(cpu);
}

/* Every possible CPU's state is set up, then CPUs going down are watched. */
static int __init cpu_proxy_init(void)
{
	int ret;

	cpu_proxy_init_cpus();
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "cpu-proxy:online",
					NULL, cpu_proxy_cpu_down_prep);
	return ret < 0 ? ret : 0;
}
core_initcall(cpu_proxy_init);

/*
 * Device interrupts of parked CPUs: which to move and where is Rust's
 * (rust/proxy/irqs.rs); these read an interrupt's state under its lock.
 */

/* Walk the interrupts: irq_lock_sparse(), irq_unlock_sparse(). */
void cpu_proxy_irqs_lock(void)
{
	irq_lock_sparse();
}

void cpu_proxy_irqs_unlock(void)
{
	irq_unlock_sparse();
}

/*
 * The affinity @desc has, or will have once a move that waits for its
 * next interrupt is done (x86's legacy IOAPIC moves so). Under its lock.
 */
static const struct cpumask *cpu_proxy_irq_affinity(struct irq_desc *desc)
{
#ifdef CONFIG_GENERIC_PENDING_IRQ
	if (irqd_is_setaffinity_pending(irq_desc_get_irq_data(desc)))
		return desc->pending_mask;
#endif
	return irq_data_get_affinity_mask(irq_desc_get_irq_data(desc));
}

/**
 * cpu_proxy_irq_target - the CPU of @set a device interrupt targets
 * @irq: an interrupt number in use
 * @set: CPUs being parked
 * @affinity: set to @irq's affinity (the pending one, if any: the user's
 *	      last choice) if it targets a CPU of @set
 *
 * A requested, movable (not per-CPU, not managed) interrupt targets a CPU
 * of @set if its effective affinity has one, or its pending affinity will.
 * Its action and masks are read together, under its lock.
 *
 * Context: process context, irq_lock_sparse() held.
 * Return: that CPU, or -1.
 */
int cpu_proxy_irq_target(unsigned int irq, const struct cpumask *set,
			 struct cpumask *affinity)
{
	struct irq_desc *desc = irq_to_desc(irq);
	struct irq_data *d;
	unsigned int cpu;

	if (!desc)
		return -1;
	d = irq_desc_get_irq_data(desc);
	guard(raw_spinlock_irq)(&desc->lock);
	if (irqd_is_per_cpu(d) || irqd_affinity_is_managed(d) || !desc->action)
		return -1;
	cpu = cpumask_first_and(set, irq_data_get_effective_affinity_mask(d));
	if (cpu >= nr_cpu_ids && irqd_is_setaffinity_pending(d))
		cpu = cpumask_first_and(set, cpu_proxy_irq_affinity(desc));
	if (cpu >= nr_cpu_ids)
		return -1;
	cpumask_copy(affinity, cpu_proxy_irq_affinity(desc));
	return cpu;
}

/**
 * cpu_proxy_irq_has_affinity - is @irq requested, with @affinity?
 * @irq: an interrupt number
 * @affinity: the affinity parking gave it
 *
 * The affinity compared is the one a pending move will apply, if any: a
 * legacy IOAPIC interrupt that has not fired since it was parked has the
 * old affinity still, and would take the parked one on its next interrupt.
 *
 * Context: process context, irq_lock_sparse() held.
 * Return: true if @irq is requested and has @affinity.
 */
bool cpu_proxy_irq_has_affinity(unsigned int irq, const struct cpumask *affinity)
{
	struct irq_desc *desc = irq_to_desc(irq);

	if (!desc)
		return false;
	guard(raw_spinlock_irq)(&desc->lock);
	return desc->action && cpumask_equal(cpu_proxy_irq_affinity(desc), affinity);
}

static ssize_t park_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	return cpu_proxy_park_write(buf, count, true);
}
static DEVICE_ATTR_WO(park);

static ssize_t unpark_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	return cpu_proxy_park_write(buf, count, false);
}
static DEVICE_ATTR_WO(unpark);

static ssize_t offline_store(struct device *dev, struct device_attribute *attr,
			     const char *buf, size_t count)
{
	return cpu_proxy_hotplug_write(buf, count, false);
}
static DEVICE_ATTR_WO(offline);

static ssize_t online_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	return cpu_proxy_hotplug_write(buf, count, true);
}
static DEVICE_ATTR_WO(online);

static ssize_t parked_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%*pbl\n", cpumask_pr_args(cpu_parked_mask));
}
static DEVICE_ATTR_RO(parked);

static ssize_t proxy_map_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return cpu_proxy_proxy_map_show(buf);
}
static DEVICE_ATTR_RO(proxy_map);

static ssize_t stats_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return cpu_proxy_stats_show(buf);
}
static DEVICE_ATTR_RO(stats);

static struct attribute *cpu_proxy_attrs[] = {
	&dev_attr_park.attr,
	&dev_attr_unpark.attr,
	&dev_attr_parked.attr,
	&dev_attr_proxy_map.attr,
	&dev_attr_offline.attr,
	&dev_attr_online.attr,
	&dev_attr_stats.attr,
	NULL
};

static const struct attribute_group cpu_proxy_attr_group = {
	.attrs = cpu_proxy_attrs,
	.name = "proxy",
};

/**
 * cpu_proxy_sysfs_register - create /sys/devices/system/cpu/proxy/
 *
 * Called once by the Rust core when it initialises; built in, it is never
 * removed.
 * Context: process context; may sleep.
 * Return: 0, -ENODEV if the cpu subsystem has no root device, or the error
 * of sysfs_create_group().
 */
int cpu_proxy_sysfs_register(void)
{
	struct device *dev_root = bus_get_dev_root(&cpu_subsys);
	int ret;

	if (!dev_root)
		return -ENODEV;
	ret = sysfs_create_group(&dev_root->kobj, &cpu_proxy_attr_group);
	put_device(dev_root);
	return ret;
}
