// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks for processor proxies, used by the cpu-proxy kselftests and
 * the benchmark. Everything is under /sys/kernel/debug/cpu_proxy_test/:
 *
 *   parse    write a cpulist; read back the result of the Rust parser and
 *            of cpulist_parse() on it, one line each:
 *            "rust <ret> [<list>]" and "kernel <ret> [<list>]"
 *   ipi_rtt  write "<cpu> <iterations>"; the writer times that many
 *            smp_call_function_single(<cpu>, wait=1) round trips from the
 *            CPU it is pinned to; read back
 *            "cpu <n> from <n> iterations <n> min_ns <n> median_ns <n>
 *             p90_ns <n> max_ns <n>"
 *   ipi_storm
 *            write "<seconds> [<cpu>]": a kthread sends smp_call_function()
 *            rounds to every other online CPU, back to back, for that long
 *            ("0" stops it), from <cpu> if given, else from any CPU; read
 *            back "rounds <n> active <0|1>"
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpu_proxy.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#define PARSE_MAX_INPUT		256
#define IPI_RTT_MAX_ITERATIONS	100000

static DEFINE_MUTEX(test_lock);
static char parse_result[256];
static char ipi_rtt_result[256];

/* Both files read back their last result, passed as the file's data. */
static ssize_t result_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	const char *result = file->private_data;

	guard(mutex)(&test_lock);
	return simple_read_from_buffer(ubuf, count, ppos, result, strlen(result));
}

static ssize_t parse_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	cpumask_var_t rmask, cmask;
	char *buf;
	int rret, cret;
	ssize_t ret = count;

	if (count > PARSE_MAX_INPUT)
		return -E2BIG;

	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	if (!zalloc_cpumask_var(&rmask, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto free_buf;
	}
	if (!zalloc_cpumask_var(&cmask, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto free_rmask;
	}

	rret = cpu_proxy_cpulist_parse(buf, count, rmask);
	cret = cpulist_parse(buf, cmask);

	scoped_guard(mutex, &test_lock) {
		int n;

		char *res = parse_result;
		size_t len = sizeof(parse_result);

		n = rret ? scnprintf(res, len, "rust %d\n", rret) :
			   scnprintf(res, len, "rust 0 %*pbl\n",
				     cpumask_pr_args(rmask));
		if (cret)
			scnprintf(res + n, len - n, "kernel %d\n", cret);
		else
			scnprintf(res + n, len - n, "kernel 0 %*pbl\n",
				  cpumask_pr_args(cmask));
	}

	free_cpumask_var(cmask);
free_rmask:
	free_cpumask_var(rmask);
free_buf:
	kfree(buf);
	return ret;
}

static const struct file_operations parse_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = parse_write,
	.llseek = default_llseek,
};

/* Copies a short write into buf (NUL-terminated); -EINVAL if too long. */
static int copy_short_write(char *buf, size_t size, const char __user *ubuf,
			    size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static void ipi_rtt_func(void *info)
{
	int *ran_on = info;

	*ran_on = smp_processor_id();
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static ssize_t ipi_rtt_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	unsigned int cpu, iterations, i;
	int from, ran_on, ret;
	char buf[32];
	u64 *ns;

	ret = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%u %u", &cpu, &iterations) != 2)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !iterations ||
	    iterations > IPI_RTT_MAX_ITERATIONS)
		return -EINVAL;

	ns = kvmalloc_array(iterations, sizeof(*ns), GFP_KERNEL);
	if (!ns)
		return -ENOMEM;

	cpus_read_lock();
	migrate_disable();
	from = smp_processor_id();
	if (!cpu_online(cpu)) {
		ret = -ENODEV;
		goto out;
	}
	if (cpu == from) {
		/* A local call is not an IPI; the caller must pin elsewhere. */
		ret = -EINVAL;
		goto out;
	}

	for (i = 0; i < iterations; i++) {
		u64 t0;

		ran_on = -1;
		preempt_disable();
		t0 = ktime_get_ns();
		ret = smp_call_function_single(cpu, ipi_rtt_func, &ran_on, 1);
		ns[i] = ktime_get_ns() - t0;
		preempt_enable();
		if (ret)
			goto out;
		if (ran_on != cpu) {
			pr_err("IPI to CPU%u ran on CPU%d\n", cpu, ran_on);
			ret = -EIO;
			goto out;
		}
		cond_resched();
	}

	sort(ns, iterations, sizeof(*ns), cmp_u64, NULL);
	scoped_guard(mutex, &test_lock)
		scnprintf(ipi_rtt_result, sizeof(ipi_rtt_result),
			  "cpu %u from %d iterations %u min_ns %llu median_ns %llu p90_ns %llu max_ns %llu\n",
			  cpu, from, iterations, ns[0], ns[iterations / 2],
			  ns[iterations * 9 / 10], ns[iterations - 1]);
	ret = 0;
out:
	migrate_enable();
	cpus_read_unlock();
	kvfree(ns);
	return ret ? ret : count;
}

static const struct file_operations ipi_rtt_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = ipi_rtt_write,
	.llseek = default_llseek,
};

static struct task_struct *storm_task;
static unsigned long storm_until;	/* jiffies; under test_lock */
static atomic_long_t storm_rounds;

static void storm_nop(void *info)
{
}

static int ipi_storm_fn(void *unused)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!time_before(jiffies, READ_ONCE(storm_until))) {
			schedule();
			continue;
		}
		__set_current_state(TASK_RUNNING);
		smp_call_function(storm_nop, NULL, 1);
		atomic_long_inc(&storm_rounds);
		cond_resched();
	}
	return 0;
}

static ssize_t ipi_storm_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	char buf[64];
	int len;

	len = scnprintf(buf, sizeof(buf), "rounds %ld active %d\n",
			atomic_long_read(&storm_rounds),
			time_before(jiffies, READ_ONCE(storm_until)));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t ipi_storm_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int secs;
	int cpu = -1, n;
	char buf[32];

	n = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (n)
		return n;
	n = sscanf(buf, "%u %d", &secs, &cpu);
	if (n < 1 || secs > 3600 || (n == 2 && (cpu < 0 || cpu >= nr_cpu_ids)))
		return -EINVAL;

	guard(mutex)(&test_lock);
	if (!storm_task) {
		struct task_struct *t = kthread_run(ipi_storm_fn, NULL, "ipi_storm");

		if (IS_ERR(t))
			return PTR_ERR(t);
		storm_task = t;
	}
	if (n == 2) {
		int ret = set_cpus_allowed_ptr(storm_task, cpumask_of(cpu));

		if (ret)
			return ret;
	} else {
		set_cpus_allowed_ptr(storm_task, cpu_possible_mask);
	}
	WRITE_ONCE(storm_until, jiffies + secs * HZ);
	wake_up_process(storm_task);
	return count;
}

static const struct file_operations ipi_storm_fops = {
	.owner = THIS_MODULE,
	.read = ipi_storm_read,
	.write = ipi_storm_write,
	.llseek = default_llseek,
};

static int __init test_cpu_proxy_init(void)
{
	struct dentry *dir = debugfs_create_dir("cpu_proxy_test", NULL);

	debugfs_create_file("parse", 0600, dir, parse_result, &parse_fops);
	debugfs_create_file("ipi_rtt", 0600, dir, ipi_rtt_result, &ipi_rtt_fops);
	debugfs_create_file("ipi_storm", 0600, dir, NULL, &ipi_storm_fops);
	return 0;
}
late_initcall(test_cpu_proxy_init);
