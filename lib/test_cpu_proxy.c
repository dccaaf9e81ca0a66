// SPDX-License-Identifier: GPL-2.0
/*
 * Test hooks for processor proxies, used by the cpu-proxy kselftests and
 * the benchmark. Everything is under /sys/kernel/debug/cpu_proxy_test/:
 *
 *   parse    write a cpulist; read back the result of the Rust parser and
 *            of cpulist_parse() on it, one line each:
 *            "rust <ret> [<list>]" and "kernel <ret> [<list>]"
 *   ipi_rtt  write "<cpu> <iterations> [<gap_us>]"; the writer times that
 *            many smp_call_function_single(<cpu>, wait=1) round trips from
 *            the CPU it is pinned to, sleeping <gap_us> before each (so
 *            that <cpu> halts in between: the wakeup of a halted CPU);
 *            read back "cpu <n> from <n> iterations <n> min_ns <n>
 *            median_ns <n> p90_ns <n> max_ns <n> gap_us <n>"
 *   ipi_storm
 *            write "<seconds> [<cpu>]": a kthread sends smp_call_function()
 *            rounds to every other online CPU, back to back, for that long
 *            ("0" stops it), from <cpu> if given, else from any CPU; read
 *            back "rounds <n> active <0|1>"
 *   proxy_check
 *            write "<cpu>": with <cpu> parked, check that the work the
 *            kernel addresses to it gets done, as it, and on time; read back
 *            one "<check> ok|FAIL <details>" line per check (see
 *            proxy_check_write())
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpu_proxy.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/stop_machine.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/apic.h>
#include <asm/msr.h>

#define PARSE_MAX_INPUT		256
#define IPI_RTT_MAX_ITERATIONS	100000
#define IPI_RTT_MAX_GAP_US	100000

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
	unsigned int cpu, iterations, gap_us = 0, i;
	int from, ran_on, ret;
	char buf[48];
	u64 *ns;

	ret = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	ret = sscanf(buf, "%u %u %u", &cpu, &iterations, &gap_us);
	if (ret != 2 && ret != 3)
		return -EINVAL;
	if (cpu >= nr_cpu_ids || !iterations ||
	    iterations > IPI_RTT_MAX_ITERATIONS || gap_us > IPI_RTT_MAX_GAP_US)
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

		if (gap_us)
			usleep_range(gap_us, gap_us + gap_us / 8 + 1);
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
			  "cpu %u from %d iterations %u min_ns %llu median_ns %llu p90_ns %llu max_ns %llu gap_us %u\n",
			  cpu, from, iterations, ns[0], ns[iterations / 2],
			  ns[iterations * 9 / 10], ns[iterations - 1], gap_us);
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

/*
 * proxy_check: what the kernel sends to a parked CPU N must run, as N, and
 * on time. Each check appends one line to the result.
 */
#define PROXY_CHECK_TIMER_NS	(20 * NSEC_PER_MSEC)
/* How late a timer of a parked CPU may fire (TCG guests on a busy host). */
#define PROXY_CHECK_LATE_NS	(50 * NSEC_PER_MSEC)

static char proxy_check_result[2048];

struct proxy_probe {
	int cpu;		/* smp_processor_id() where it ran */
	u32 apic;		/* the hardware it ran on */
	u64 when_ns;		/* ktime_get_ns() when it ran */
	bool done;
	struct irq_work iw;
	struct hrtimer hrt;
	struct timer_list tl;
	struct work_struct work;
};

static void proxy_probe_mark(struct proxy_probe *p)
{
	p->cpu = smp_processor_id();
	p->apic = read_apic_id();
	p->when_ns = ktime_get_ns();
	/* The results above are visible to whoever sees done. */
	smp_store_release(&p->done, true);
}

static void proxy_probe_ipi(void *info)
{
	proxy_probe_mark(info);
}

static void proxy_probe_each(void *info)
{
	struct proxy_probe *p = info;

	proxy_probe_mark(&p[smp_processor_id()]);
}

static void proxy_probe_iw(struct irq_work *iw)
{
	proxy_probe_mark(container_of(iw, struct proxy_probe, iw));
}

static enum hrtimer_restart proxy_probe_hrt(struct hrtimer *t)
{
	proxy_probe_mark(container_of(t, struct proxy_probe, hrt));
	return HRTIMER_NORESTART;
}

static void proxy_probe_start_hrt(void *info)
{
	struct proxy_probe *p = info;

	p->when_ns = ktime_get_ns();
	hrtimer_start(&p->hrt, ns_to_ktime(PROXY_CHECK_TIMER_NS),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

static void proxy_probe_tl(struct timer_list *t)
{
	struct proxy_probe *p = from_timer(p, t, tl);

	proxy_probe_mark(p);
}

static void proxy_probe_work(struct work_struct *w)
{
	proxy_probe_mark(container_of(w, struct proxy_probe, work));
}

/* Wait up to a second for a probe to run. */
static bool proxy_probe_wait(struct proxy_probe *p)
{
	unsigned long until = jiffies + HZ;

	/* Pairs with proxy_probe_mark(). */
	while (!smp_load_acquire(&p->done)) {
		if (time_after(jiffies, until))
			return false;
		usleep_range(100, 200);
	}
	return true;
}

static int proxy_check_line(int len, const char *check, bool ok,
			    const char *fmt, ...)
{
	va_list args;

	len += scnprintf(proxy_check_result + len,
			 sizeof(proxy_check_result) - len, "%s %s ", check,
			 ok ? "ok" : "FAIL");
	va_start(args, fmt);
	len += vscnprintf(proxy_check_result + len,
			  sizeof(proxy_check_result) - len, fmt, args);
	va_end(args);
	len += scnprintf(proxy_check_result + len,
			 sizeof(proxy_check_result) - len, "\n");
	return len;
}

/* What a stop_machine() function saw of a parked CPU. */
struct proxy_stop {
	int n;			/* the parked CPU */
	int owner;		/* its cpu_proxy_owner during the stop */
	int cpu;		/* where the function ran */
	u32 apic;
};

static int proxy_probe_stop(void *info)
{
	struct proxy_stop *s = info;

	s->owner = atomic_read(per_cpu_ptr(&cpu_proxy_owner, s->n));
	s->cpu = smp_processor_id();
	s->apic = read_apic_id();
	return 0;
}

/* Ran as @cpu but on the hardware of its proxy, not on @cpu's own? */
static bool proxy_probe_proxied(struct proxy_probe *p, int cpu, u32 n_apic)
{
	return p->done && p->cpu == cpu && p->apic != n_apic;
}

static int proxy_check(int n)
{
	struct proxy_probe *p, *each;
	u32 n_apic = per_cpu(x86_cpu_to_apicid, n);
	int proxy = cpu_proxy_get_proxy(n);
	struct proxy_stop stop = { .n = n };
	u32 lo, hi;
	u64 t0, late;
	int len = 0, ret, i;
	bool ok;

	p = kzalloc(sizeof(*p), GFP_KERNEL);
	each = kcalloc(nr_cpu_ids, sizeof(*each), GFP_KERNEL);
	if (!p || !each) {
		kfree(p);
		kfree(each);
		return -ENOMEM;
	}
	len = proxy_check_line(len, "parked", cpu_proxy_parked(n) && proxy >= 0,
			       "cpu %d proxy %d", n, proxy);

	/*
	 * A call runs as N, on the proxy's hardware. N may be awake for a
	 * moment of its own (it then serves the call itself): try a few times.
	 */
	for (i = 0; i < 5; i++) {
		memset(p, 0, sizeof(*p));
		ret = smp_call_function_single(n, proxy_probe_ipi, p, 1);
		if (!ret && proxy_probe_proxied(p, n, n_apic))
			break;
		usleep_range(1000, 2000);
	}
	len = proxy_check_line(len, "call_single", !ret && proxy_probe_proxied(p, n, n_apic),
			       "ret %d cpu %d apic %u n_apic %u proxy_apic %u tries %d",
			       ret, p->cpu, p->apic, n_apic,
			       proxy >= 0 ? per_cpu(x86_cpu_to_apicid, proxy) : -1,
			       i + 1);

	on_each_cpu(proxy_probe_each, each, 1);
	ok = true;
	for_each_online_cpu(i)
		ok &= each[i].done && each[i].cpu == i;
	len = proxy_check_line(len, "on_each_cpu", ok, "n_cpu %d", each[n].cpu);

	memset(p, 0, sizeof(*p));
	init_irq_work(&p->iw, proxy_probe_iw);
	ok = irq_work_queue_on(&p->iw, n) && proxy_probe_wait(p);
	irq_work_sync(&p->iw);
	len = proxy_check_line(len, "irq_work_on", ok && p->cpu == n, "cpu %d", p->cpu);

	t0 = ktime_get_ns();
	synchronize_rcu();
	len = proxy_check_line(len, "synchronize_rcu", true, "us %llu",
			       (ktime_get_ns() - t0) / NSEC_PER_USEC);
	t0 = ktime_get_ns();
	synchronize_rcu_expedited();
	len = proxy_check_line(len, "synchronize_rcu_expedited", true, "us %llu",
			       (ktime_get_ns() - t0) / NSEC_PER_USEC);

	/* A pinned hrtimer started by N on itself. */
	memset(p, 0, sizeof(*p));
	hrtimer_init(&p->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	p->hrt.function = proxy_probe_hrt;
	smp_call_function_single(n, proxy_probe_start_hrt, p, 1);
	t0 = p->when_ns;
	ok = proxy_probe_wait(p);
	hrtimer_cancel(&p->hrt);
	late = ok ? p->when_ns - t0 - PROXY_CHECK_TIMER_NS : 0;
	len = proxy_check_line(len, "hrtimer_pinned",
			       ok && p->cpu == n && p->when_ns - t0 >= PROXY_CHECK_TIMER_NS &&
			       late <= PROXY_CHECK_LATE_NS,
			       "cpu %d late_us %lld", p->cpu, (s64)late / NSEC_PER_USEC);

	/* A timer-wheel timer queued on N from here. */
	memset(p, 0, sizeof(*p));
	timer_setup(&p->tl, proxy_probe_tl, TIMER_PINNED);
	p->tl.expires = jiffies + nsecs_to_jiffies(PROXY_CHECK_TIMER_NS);
	t0 = ktime_get_ns();
	add_timer_on(&p->tl, n);
	ok = proxy_probe_wait(p);
	del_timer_sync(&p->tl);
	late = ok ? p->when_ns - t0 : 0;
	/* Jiffies granularity: up to two ticks early or late on top. */
	len = proxy_check_line(len, "add_timer_on",
			       ok && p->cpu == n &&
			       late <= PROXY_CHECK_TIMER_NS + PROXY_CHECK_LATE_NS +
				       2 * TICK_NSEC,
			       "cpu %d after_us %llu", p->cpu, late / NSEC_PER_USEC);

	memset(p, 0, sizeof(*p));
	INIT_WORK(&p->work, proxy_probe_work);
	ok = queue_work_on(n, system_wq, &p->work);
	flush_work(&p->work);
	/* N's per-CPU pools are unbound while it is parked: run elsewhere. */
	len = proxy_check_line(len, "queue_work_on", ok && p->done && p->cpu != n,
			       "cpu %d", p->cpu);

	/* TSC_AUX holds the CPU number (and node): N's own, not its proxy's. */
	ret = rdmsr_on_cpu(n, MSR_TSC_AUX, &lo, &hi);
	len = proxy_check_line(len, "rdmsr_on_cpu", !ret && (lo & 0xfff) == n,
			       "ret %d tsc_aux %#x", ret, lo);
	ret = rdmsr_safe_on_cpu(n, MSR_TSC_AUX, &lo, &hi);
	len = proxy_check_line(len, "rdmsr_safe_on_cpu", !ret && (lo & 0xfff) == n,
			       "ret %d tsc_aux %#x", ret, lo);

	/*
	 * stop_machine() counts halted N as stopped: held STOPPED while the
	 * function runs, its stopper not woken. N may be awake for a moment
	 * of its own (it is then stopped the usual way): try a few times.
	 */
	for (i = 0; i < 5; i++) {
		stop.owner = -1;
		ret = stop_machine(proxy_probe_stop, &stop, NULL);
		if (!ret && stop.owner == CPU_PROXY_STOPPED)
			break;
		usleep_range(1000, 2000);
	}
	lo = atomic_read(per_cpu_ptr(&cpu_proxy_owner, n));
	len = proxy_check_line(len, "stop_machine_holds",
			       !ret && stop.owner == CPU_PROXY_STOPPED &&
			       lo != CPU_PROXY_STOPPED,
			       "ret %d owner_during %d owner_after %u tries %d",
			       ret, stop.owner, lo, i + 1);

	/* A stop whose function must run on N: N runs it, on its hardware. */
	stop.cpu = -1;
	ret = stop_machine(proxy_probe_stop, &stop, cpumask_of(n));
	len = proxy_check_line(len, "stop_machine_on_cpu",
			       !ret && stop.cpu == n && stop.apic == n_apic,
			       "ret %d cpu %d apic %u n_apic %u", ret, stop.cpu,
			       stop.apic, n_apic);

	kfree(p);
	kfree(each);
	return 0;
}

static ssize_t proxy_check_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	char buf[16];
	int cpu, ret;

	ret = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (kstrtoint(strim(buf), 10, &cpu))
		return -EINVAL;
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ENODEV;

	guard(mutex)(&test_lock);
	proxy_check_result[0] = '\0';
	ret = proxy_check(cpu);
	return ret ? ret : count;
}

static const struct file_operations proxy_check_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = proxy_check_write,
	.llseek = default_llseek,
};

/* The online CPUs the soft-lockup watchdog watches, as a cpulist. */
static ssize_t watched_read(struct file *file, char __user *ubuf, size_t count,
			    loff_t *ppos)
{
	char buf[256];
	cpumask_var_t mask;
	unsigned int cpu;
	int len;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu)
		if (lockup_detector_watching(cpu))
			cpumask_set_cpu(cpu, mask);
	cpus_read_unlock();
	len = scnprintf(buf, sizeof(buf), "%*pbl\n", cpumask_pr_args(mask));
	free_cpumask_var(mask);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations watched_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = watched_read,
	.llseek = default_llseek,
};

static int __init test_cpu_proxy_init(void)
{
	struct dentry *dir = debugfs_create_dir("cpu_proxy_test", NULL);

	debugfs_create_file("parse", 0600, dir, parse_result, &parse_fops);
	debugfs_create_file("ipi_rtt", 0600, dir, ipi_rtt_result, &ipi_rtt_fops);
	debugfs_create_file("ipi_storm", 0600, dir, NULL, &ipi_storm_fops);
	debugfs_create_file("proxy_check", 0600, dir, proxy_check_result,
			    &proxy_check_fops);
	debugfs_create_file("watched", 0400, dir, NULL, &watched_fops);
	return 0;
}
late_initcall(test_cpu_proxy_init);
