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
 *            median_ns <n> p90_ns <n> max_ns <n> gap_us <n> native <n>",
 *            native counting the calls that ran on <cpu>'s own hardware,
 *            not in a proxy's pass
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
 *   warn_in_pass
 *            write "<cpu>": with <cpu> parked, WARN once in a pass its
 *            proxy runs for it, between two marker lines in the log
 *            ("cpu-proxy-test: expected WARNING begins/ends"); read back
 *            "cpu <n> ok"
 *   panic_in_pass
 *            write "<cpu>": with <cpu> parked, panic in a pass its proxy
 *            runs for it (the panic job of the QEMU runner)
 *   nmi_storm
 *            write "<cpu> <nmis> [<stops> [<fault> [<spin>]]]": send that
 *            many NMIs to parked <cpu>, one at a time, each once the last
 *            was taken, from the function of a stop_machine() if <stops>
 *            is 1; each NMI takes a fault with a fixup if <fault> is 1;
 *            the window before hlt lasts <spin> cpu_relax() (200000), or
 *            if <spin> is given 1 to <spin>, tuned after each NMI so that
 *            the next lands about its end, on the hlt; an NMI on the hlt
 *            raises an interrupt on the CPU as it returns, and 40 of them
 *            end the storm (<spin> goes without <stops>);
 *            then check that its proxy still runs its timers (with
 *            <spin>, after each NMI on the hlt and every 16th NMI); read
 *            back "nmis <sent> aimed <n> taken <n> max_nmi_us <n> late <n>
 *            max_late_us <n> timer_stopped <n> faults <n> shadow <n>
 *            skips <n> ok|FAIL" (aimed: sent while the CPU was about to
 *            halt; max_nmi_us: the longest an NMI took to be taken, a
 *            second at most; late: NMIs after which its timer took over
 *            50 ms to fire again, and the longest such wait; stopped:
 *            over 1 s, a FAIL; faults: fixups that returned -EFAULT;
 *            shadow: NMIs taken on the hlt; skips: interrupts that
 *            returned past it; with <spin>, ok needs a skip for each
 *            NMI on the hlt); a fatal
 *            signal ends it early, -EINTR
 *   stop_work
 *            write "<cpu> <rounds>": with <cpu> parked and stop_machine()
 *            run over and over, queue that many work items on <cpu>, one
 *            at a time, each waiting for this writer to go on; read back
 *            "rounds <n> stops <n> ok|FAIL"
 *   stop_calls
 *            write "<cpu> <rounds>": with <cpu> parked and stop_machine()
 *            run over and over, wake <cpu> with a work item and send it
 *            synchronous calls not on the allow-list, that many rounds;
 *            read back "rounds <n> stops <n> max_us <n> ok|FAIL" (FAIL:
 *            a call took over a second)
 *   stop_timer
 *            write "<cpu> <rounds>": with <cpu> parked and its own timer
 *            falling due each time it heads for hlt, wake it with a call
 *            not on the allow-list and run stop_machine(), that many
 *            rounds (at most 1000, and 60 s); read back "rounds <n>
 *            halts <0|1> max_us <n> fired <n> ticking <0|1> ok|FAIL"
 *            (FAIL: the CPU did not halt within a second of a wakeup, a
 *            stop took over 5 s, or the timer stopped)
 *   printk_sync
 *            write "<cpu>": with <cpu> parked, a pass of its proxy holds the
 *            printk CPU lock while the proxy takes an NMI that takes it
 *            too; read back "cpu <n> proxied <0|1> nmi <0|1> tries <n> ok|FAIL"
 *   spin     write "<cpu> <ms>": a kthread bound to <cpu> runs for that
 *            long without sleeping or being preempted (a park of <cpu>
 *            waits for it)
 *   timekeeper
 *            read the CPU with the do_timer duty (-1: none, -2: boot)
 *   passes   read how long proxies' passes kept their interrupts off since
 *            the last write: "max_us <n> passes <n> over_100us <n>
 *            over_1ms <n>"; write anything to start again
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
#include <linux/nmi.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/sort.h>
#include <linux/stop_machine.h>
#include <linux/timer.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <asm/apic.h>
#include <asm/msr.h>
#include <asm/nmi.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

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

/* Where a call of ipi_rtt ran: as which CPU, and in a proxy's pass or not. */
struct ipi_rtt_ran {
	int cpu;
	bool proxied;
};

static void ipi_rtt_func(void *info)
{
	struct ipi_rtt_ran *ran = info;

	ran->cpu = smp_processor_id();
	ran->proxied = cpu_proxy_in_proxy();
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static ssize_t ipi_rtt_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	unsigned int cpu, iterations, gap_us = 0, i, native = 0;
	struct ipi_rtt_ran ran;
	int from, ret;
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
		ran.cpu = -1;
		ran.proxied = false;
		preempt_disable();
		t0 = ktime_get_ns();
		ret = smp_call_function_single(cpu, ipi_rtt_func, &ran, 1);
		ns[i] = ktime_get_ns() - t0;
		preempt_enable();
		if (ret)
			goto out;
		if (ran.cpu != cpu) {
			pr_err("IPI to CPU%u ran on CPU%d\n", cpu, ran.cpu);
			ret = -EIO;
			goto out;
		}
		native += !ran.proxied;
		cond_resched();
	}

	ret = 0;
out:
	migrate_enable();
	cpus_read_unlock();
	/*
	 * The result is stored without the hotplug lock: proxy_check_write()
	 * takes test_lock first, then (through stop_machine()) that one.
	 */
	if (!ret) {
		sort(ns, iterations, sizeof(*ns), cmp_u64, NULL);
		scoped_guard(mutex, &test_lock)
			scnprintf(ipi_rtt_result, sizeof(ipi_rtt_result),
				  "cpu %u from %d iterations %u min_ns %llu median_ns %llu p90_ns %llu max_ns %llu gap_us %u native %u\n",
				  cpu, from, iterations, ns[0], ns[iterations / 2],
				  ns[iterations * 9 / 10], ns[iterations - 1], gap_us,
				  native);
	}
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
/* How long a grace period may take: far less than an RCU stall (21 s). */
#define PROXY_CHECK_GP_NS	(5 * NSEC_PER_SEC)

static char proxy_check_result[4096];

struct proxy_probe {
	int cpu;		/* smp_processor_id() where it ran */
	u32 apic;		/* the hardware it ran on */
	u64 when_ns;		/* ktime_get_ns() when it ran */
	u64 armed_ns;		/* when the work that queued it ran */
	long ret;		/* what it got */
	bool done;
	struct irq_work iw;
	struct hrtimer hrt;
	struct timer_list tl;
	struct work_struct work;
	call_single_data_t csd;
	void *bad;		/* an address that faults */
};

static void proxy_probe_mark(struct proxy_probe *p)
{
	p->cpu = smp_processor_id();
	p->apic = read_apic_id();
	p->when_ns = ktime_get_ns();
	/* The results above are visible to whoever sees done. */
	smp_store_release(&p->done, true);
}

/* Not on the allow-list: a parked CPU runs it itself. */
static void proxy_probe_ipi(void *info)
{
	proxy_probe_mark(info);
}

/* On the allow-list (below): a parked CPU's proxy runs it. */
static void proxy_probe_listed(void *info)
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

/* An hrtimer of the parked CPU that queues irq_work on that CPU. */
static enum hrtimer_restart proxy_probe_hrt_iw(struct hrtimer *t)
{
	struct proxy_probe *p = container_of(t, struct proxy_probe, hrt);

	p->armed_ns = ktime_get_ns();
	irq_work_queue(&p->iw);
	return HRTIMER_NORESTART;
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

static int proxy_probe_on_cpu(void *info)
{
	proxy_probe_mark(info);
	return 0;
}

static long proxy_probe_work_fn(void *info)
{
	proxy_probe_mark(info);
	return 0;
}

/* An exception in a pass: a fault with a fixup, as in any interrupt. */
static void proxy_probe_fault(struct irq_work *iw)
{
	struct proxy_probe *p = container_of(iw, struct proxy_probe, iw);
	long v;

	p->ret = copy_from_kernel_nofault(&v, p->bad, sizeof(v));
	proxy_probe_mark(p);
}

/*
 * A global TLB flush in a pass (as debug_pagealloc does in an RCU callback
 * that frees a page): it flushes the proxy's TLB, and leaves the proxy's
 * CR4 as it was.
 */
static void proxy_probe_flush(void *info)
{
	__flush_tlb_all();
	proxy_probe_mark(info);
}

static void printk_sync_pass(void *info);

/*
 * The calls of this file that a parked CPU's proxy may run: they record
 * where they ran, and touch no hardware but the proxy's TLB (a flush of
 * the proxy's own, as any CPU's pass may do).
 */
CPU_PROXY_CALLS(test_cpu_proxy, CPU_PROXY_RUN(proxy_probe_listed),
		CPU_PROXY_RUN(storm_nop), CPU_PROXY_RUN(ipi_rtt_func),
		CPU_PROXY_RUN(proxy_probe_flush), CPU_PROXY_RUN(printk_sync_pass));

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

/*
 * Wait, 10 s at most, for @p's asynchronous call to be over: its csd free
 * again and its function done (an asynchronous csd is unlocked before its
 * function runs). A probe whose call may still run must be neither reused
 * nor freed: on a timeout the caller leaks it, and the check fails on its
 * own figures.
 */
static bool proxy_csd_settle(struct proxy_probe *p)
{
	unsigned long until = jiffies + 10 * HZ;

	for (;;) {
		/* Pairs with csd_unlock(). */
		bool locked = smp_load_acquire(&p->csd.node.u_flags) & CSD_FLAG_LOCK;

		/* Pairs with proxy_probe_mark(). */
		if (!locked && smp_load_acquire(&p->done))
			break;
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
	/* In the log too: a check that hangs the machine shows the last one. */
	pr_info("proxy_check: %s %s\n", check, ok ? "ok" : "FAIL");
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

/* Ran as @cpu, on @cpu's own hardware? */
static bool proxy_probe_native(struct proxy_probe *p, int cpu, u32 n_apic)
{
	return p->done && p->cpu == cpu && p->apic == n_apic;
}

/* How long an irq_work queued in a pass may wait (TCG guests). */
#define PROXY_CHECK_IW_LATE_NS	(5 * NSEC_PER_MSEC)

/*
 * The proxy of @n, with its bottom halves off, sends @n a call the proxy
 * runs, and spins a second at most for it; and again from a softirq of
 * the proxy's (a timer). The proxy cannot run @n's softirqs while its own
 * are off, but must run the call. Returns the microseconds it took, or -1.
 */
struct proxy_bh {
	struct proxy_probe p;
	struct timer_list tl;
	int n;
	s64 us;
	bool done;
};

static s64 proxy_bh_call(struct proxy_probe *p, int n)
{
	u64 t0 = ktime_get_ns(), end = t0 + NSEC_PER_SEC;

	memset(p, 0, sizeof(*p));
	INIT_CSD(&p->csd, proxy_probe_listed, p);
	if (smp_call_function_single_async(n, &p->csd))
		return -1;
	/* Pairs with the release in proxy_probe_mark(). */
	while (!smp_load_acquire(&p->done) && ktime_get_ns() < end)
		cpu_relax();
	return p->done ? (s64)(ktime_get_ns() - t0) / NSEC_PER_USEC : -1;
}

static void proxy_bh_timer(struct timer_list *t)
{
	struct proxy_bh *b = from_timer(b, t, tl);

	b->us = proxy_bh_call(&b->p, b->n);
	/* Publishes b->us to proxy_check_bh(). */
	smp_store_release(&b->done, true);
}

static int proxy_check_bh(int n, s64 *bh_us, s64 *softirq_us)
{
	int proxy = cpu_proxy_get_proxy(n);
	struct proxy_bh *b;
	unsigned long until;
	int ret = -EAGAIN;

	if (proxy < 0)
		return -ENODEV;
	b = kzalloc(sizeof(*b), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	b->n = n;
	if (set_cpus_allowed_ptr(current, cpumask_of(proxy)))
		goto out;
	migrate_disable();
	if (smp_processor_id() != proxy) {
		migrate_enable();
		goto out;
	}
	local_bh_disable();
	*bh_us = proxy_bh_call(&b->p, n);
	local_bh_enable();
	migrate_enable();
	/* A call that did not come back in time may still run: let it. */
	if (!proxy_csd_settle(&b->p)) {
		*softirq_us = -1;
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		return 0;	/* b leaked: its csd is still queued */
	}

	timer_setup(&b->tl, proxy_bh_timer, TIMER_PINNED);
	b->tl.expires = jiffies + 1;
	add_timer_on(&b->tl, proxy);
	until = jiffies + 3 * HZ;
	/* Pairs with the release in proxy_bh_timer(). */
	while (!smp_load_acquire(&b->done) && time_before(jiffies, until))
		usleep_range(100, 200);
	del_timer_sync(&b->tl);
	*softirq_us = b->done ? b->us : -1;
	ret = 0;
	if (!proxy_csd_settle(&b->p)) {
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		return ret;	/* b leaked: its csd is still queued */
	}
out:
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	kfree(b);
	return ret;
}

/*
 * From a softirq of N's, run by its proxy: a call to every other CPU, the
 * proxy's hardware included. Each must run within a few milliseconds.
 */
static void proxy_slab_alloc(void *info)
{
	struct kmem_cache *c = info;
	void *obj = kmem_cache_alloc(c, GFP_ATOMIC);

	/* Freed on this CPU: it stays in this CPU's slab until flushed. */
	kmem_cache_free(c, obj);
}

/*
 * From the proxy itself, with CR4.TSD set on it (a bit of the task it
 * runs, which the parked CPU's CR4 shadow does not have): a call to N
 * that flushes the whole TLB in the pass. The proxy's CR4 must keep TSD.
 */
static int proxy_check_cr4(int n, struct proxy_probe *p, bool *kept)
{
	int proxy = cpu_proxy_get_proxy(n), i, ret = -EAGAIN;
	u32 n_apic = per_cpu(x86_cpu_to_apicid, n);
	unsigned long cr4;

	if (proxy < 0)
		return -ENODEV;
	if (set_cpus_allowed_ptr(current, cpumask_of(proxy)))
		goto out;
	preempt_disable();
	if (smp_processor_id() == proxy) {
		cr4_set_bits(X86_CR4_TSD);
		for (i = 0; i < 5; i++) {
			memset(p, 0, sizeof(*p));
			ret = smp_call_function_single(n, proxy_probe_flush, p, 1);
			if (!ret && proxy_probe_proxied(p, n, n_apic))
				break;
		}
		cr4 = native_read_cr4();
		cr4_clear_bits(X86_CR4_TSD);
		*kept = cr4 & X86_CR4_TSD;
		if (!ret && !proxy_probe_proxied(p, n, n_apic))
			ret = -EAGAIN;
	}
	preempt_enable();
out:
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	return ret;
}

static int proxy_check(int n)
{
	struct proxy_probe *p, *each;
	u32 n_apic = per_cpu(x86_cpu_to_apicid, n);
	int proxy = cpu_proxy_get_proxy(n);
	struct proxy_stop stop = { .n = n };
	struct kmem_cache *cache;
	s64 bh_us = -1, softirq_us = -1;
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
	 * A call not on the allow-list runs as N, on N's own hardware: N is
	 * woken for it.
	 */
	memset(p, 0, sizeof(*p));
	ret = smp_call_function_single(n, proxy_probe_ipi, p, 1);
	len = proxy_check_line(len, "call_unlisted", !ret && proxy_probe_native(p, n, n_apic),
			       "ret %d cpu %d apic %u n_apic %u", ret, p->cpu, p->apic,
			       n_apic);

	/*
	 * A call on the allow-list runs as N, on the proxy's hardware. N may
	 * be awake for a moment of its own (it then serves the call itself):
	 * try a few times.
	 */
	for (i = 0; i < 5; i++) {
		memset(p, 0, sizeof(*p));
		ret = smp_call_function_single(n, proxy_probe_listed, p, 1);
		if (!ret && proxy_probe_proxied(p, n, n_apic))
			break;
		usleep_range(1000, 2000);
	}
	len = proxy_check_line(len, "call_listed", !ret && proxy_probe_proxied(p, n, n_apic),
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

	/*
	 * A fault with a fixup taken in a pass: the pass goes on, the fixup
	 * returns -EFAULT, as in any interrupt handler.
	 */
	memset(p, 0, sizeof(*p));
	p->bad = vmalloc(PAGE_SIZE);
	ok = false;
	if (p->bad) {
		/* The guard page after a vmalloc() area is never mapped. */
		p->bad += PAGE_SIZE;
		for (i = 0; i < 5; i++) {
			p->done = false;
			init_irq_work(&p->iw, proxy_probe_fault);
			ok = irq_work_queue_on(&p->iw, n) && proxy_probe_wait(p);
			irq_work_sync(&p->iw);
			if (ok && proxy_probe_proxied(p, n, n_apic))
				break;
			usleep_range(1000, 2000);
		}
		vfree(p->bad - PAGE_SIZE);
	}
	len = proxy_check_line(len, "fault_in_pass",
			       ok && proxy_probe_proxied(p, n, n_apic) && p->ret == -EFAULT,
			       "ret %ld cpu %d proxied %d", p->ret, p->cpu,
			       proxy_probe_proxied(p, n, n_apic));

	/*
	 * Grace periods end, in far less than an RCU stall: the parked CPU is
	 * quiescent, and its proxy answers an expedited grace period's IPI.
	 */
	t0 = ktime_get_ns();
	synchronize_rcu();
	late = ktime_get_ns() - t0;
	len = proxy_check_line(len, "synchronize_rcu", late < PROXY_CHECK_GP_NS,
			       "us %llu", late / NSEC_PER_USEC);
	t0 = ktime_get_ns();
	synchronize_rcu_expedited();
	late = ktime_get_ns() - t0;
	len = proxy_check_line(len, "synchronize_rcu_expedited", late < PROXY_CHECK_GP_NS,
			       "us %llu", late / NSEC_PER_USEC);

	ok = false;
	ret = proxy_check_cr4(n, p, &ok);
	len = proxy_check_line(len, "flush_tlb_all_keeps_cr4", !ret && ok,
			       "ret %d invpcid %d", ret,
			       boot_cpu_has(X86_FEATURE_INVPCID));

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

	/*
	 * A pinned hrtimer of N's, run by the proxy, that queues irq_work on
	 * N: the irq_work runs within a few milliseconds, as N.
	 */
	memset(p, 0, sizeof(*p));
	init_irq_work(&p->iw, proxy_probe_iw);
	hrtimer_init(&p->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	p->hrt.function = proxy_probe_hrt_iw;
	smp_call_function_single(n, proxy_probe_start_hrt, p, 1);
	ok = proxy_probe_wait(p);
	hrtimer_cancel(&p->hrt);
	irq_work_sync(&p->iw);
	late = ok ? p->when_ns - p->armed_ns : 0;
	len = proxy_check_line(len, "irq_work_from_timer",
			       ok && p->cpu == n && late <= PROXY_CHECK_IW_LATE_NS,
			       "cpu %d after_us %llu", p->cpu, late / NSEC_PER_USEC);

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

	/* Per-CPU work for N runs on N, as N: N wakes for it. */
	memset(p, 0, sizeof(*p));
	INIT_WORK(&p->work, proxy_probe_work);
	ok = queue_work_on(n, system_wq, &p->work);
	flush_work(&p->work);
	len = proxy_check_line(len, "queue_work_on", ok && proxy_probe_native(p, n, n_apic),
			       "cpu %d apic %u n_apic %u", p->cpu, p->apic, n_apic);
	memset(p, 0, sizeof(*p));
	ret = smp_call_on_cpu(n, proxy_probe_on_cpu, p, false);
	len = proxy_check_line(len, "smp_call_on_cpu", !ret && proxy_probe_native(p, n, n_apic),
			       "ret %d cpu %d", ret, p->cpu);
	memset(p, 0, sizeof(*p));
	ret = work_on_cpu(n, proxy_probe_work_fn, p);
	len = proxy_check_line(len, "work_on_cpu", !ret && proxy_probe_native(p, n, n_apic),
			       "ret %d cpu %d", ret, p->cpu);

	/*
	 * A cache N used, destroyed while N is parked: its per-CPU slab is
	 * flushed on N, with nothing left behind (SLUB warns otherwise). Not
	 * merged with another cache, whose objects would be counted too.
	 */
	cache = kmem_cache_create("cpu_proxy_test", 64, 0, SLAB_NO_MERGE, NULL);
	ok = false;
	i = -1;
	if (cache) {
		ret = smp_call_function_single(n, proxy_slab_alloc, cache, 1);
		/* 0: every CPU's slab flushed, nothing left in the cache. */
		i = kmem_cache_shrink(cache);
		kmem_cache_destroy(cache);
		ok = !ret && !i;
	}
	len = proxy_check_line(len, "kmem_cache_destroy", ok, "cache %d slabs_left %d",
			       !!cache, i);

	/* TSC_AUX holds the CPU number (and node): N's own, not its proxy's. */
	ret = rdmsr_on_cpu(n, MSR_TSC_AUX, &lo, &hi);
	len = proxy_check_line(len, "rdmsr_on_cpu", !ret && (lo & 0xfff) == n,
			       "ret %d tsc_aux %#x", ret, lo);
	ret = rdmsr_safe_on_cpu(n, MSR_TSC_AUX, &lo, &hi);
	len = proxy_check_line(len, "rdmsr_safe_on_cpu", !ret && (lo & 0xfff) == n,
			       "ret %d tsc_aux %#x", ret, lo);

	/* A call from the proxy with its bottom halves off, or in a softirq. */
	ret = proxy_check_bh(n, &bh_us, &softirq_us);
	len = proxy_check_line(len, "call_from_bh_off_proxy", !ret && bh_us >= 0,
			       "ret %d us %lld", ret, bh_us);
	len = proxy_check_line(len, "call_from_proxy_softirq", !ret && softirq_us >= 0,
			       "ret %d us %lld", ret, softirq_us);

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

/* Reads a CPU number, and a second number if @second, from a short write. */
static int parse_cpu_write(const char __user *ubuf, size_t count, int *cpu,
			   unsigned int *second)
{
	char buf[32];
	int ret, n;

	ret = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (second)
		n = sscanf(buf, "%d %u", cpu, second) == 2;
	else
		n = sscanf(buf, "%d", cpu) == 1;
	if (!n)
		return -EINVAL;
	if (*cpu < 0 || *cpu >= nr_cpu_ids || !cpu_online(*cpu))
		return -ENODEV;
	return 0;
}

static char warn_result[64];

/* WARNs in a pass, as the parked CPU; its backtrace must be usable. */
static noinline void cpu_proxy_test_warn(struct irq_work *iw)
{
	struct proxy_probe *p = container_of(iw, struct proxy_probe, iw);

	WARN(1, "cpu-proxy-test: a WARN in a pass for CPU %d\n", smp_processor_id());
	proxy_probe_mark(p);
}

static ssize_t warn_in_pass_write(struct file *file, const char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct proxy_probe *p;
	int cpu, ret, i;
	bool ok;

	ret = parse_cpu_write(ubuf, count, &cpu, NULL);
	if (ret)
		return ret;
	if (!cpu_proxy_parked(cpu))
		return -EINVAL;
	p = kzalloc(sizeof(*p), GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	guard(mutex)(&test_lock);
	/*
	 * In a pass, on the proxy's hardware. The CPU may be awake for a
	 * moment of its own and take it itself: try a few times.
	 */
	for (i = 0; i < 5; i++) {
		memset(p, 0, sizeof(*p));
		init_irq_work(&p->iw, cpu_proxy_test_warn);
		pr_info("cpu-proxy-test: expected WARNING begins\n");
		ok = irq_work_queue_on(&p->iw, cpu) && proxy_probe_wait(p);
		irq_work_sync(&p->iw);
		pr_info("cpu-proxy-test: expected WARNING ends\n");
		ok = ok && proxy_probe_proxied(p, cpu, per_cpu(x86_cpu_to_apicid, cpu));
		if (ok)
			break;
	}
	scnprintf(warn_result, sizeof(warn_result), "cpu %d tries %d %s\n", p->cpu,
		  i + 1, ok ? "ok" : "FAIL");
	kfree(p);
	return count;
}

static const struct file_operations warn_in_pass_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = warn_in_pass_write,
	.llseek = default_llseek,
};

static void cpu_proxy_test_panic(struct irq_work *iw)
{
	panic("cpu-proxy-test: a panic in a pass for CPU %d", smp_processor_id());
}

static struct irq_work panic_work = IRQ_WORK_INIT_HARD(cpu_proxy_test_panic);

static ssize_t panic_in_pass_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	int cpu, ret;

	ret = parse_cpu_write(ubuf, count, &cpu, NULL);
	if (ret)
		return ret;
	if (!cpu_proxy_parked(cpu))
		return -EINVAL;
	irq_work_queue_on(&panic_work, cpu);
	msleep(10000);
	return -ETIMEDOUT;
}

static const struct file_operations panic_in_pass_fops = {
	.owner = THIS_MODULE,
	.write = panic_in_pass_write,
	.llseek = default_llseek,
};

/* NMIs this file sent to a CPU and has yet to see taken there. */
static DEFINE_PER_CPU(atomic_t, test_nmis_sent);
static atomic_t test_nmis_taken;
static char nmi_storm_result[224];

/* The NMI takes the printk CPU lock too (printk_sync). */
static bool test_nmi_printk_sync;
/* The NMI reads this unmapped address with a fixup (nmi_storm), if set. */
static void *test_nmi_bad;
static atomic_t test_nmi_faults;
/*
 * NMIs taken on the park loop's hlt, in its STI shadow (nmi_storm with
 * <spin>). Each raises an interrupt on its CPU, the wakeup a proxy sends
 * (arch_cpu_proxy_wake()), as if one had come meanwhile: under QEMU's TCG
 * it is taken on the hlt as the NMI returns, and must return past it
 * (arch_cpu_proxy_skip_halt()).
 */
static bool test_nmi_shadow_irq;
static atomic_t test_nmi_shadow;
/*
 * Where the last NMI sent landed: in the window before the hlt, on the
 * hlt, ending the hlt, or elsewhere (the CPU had been woken).
 */
enum { NMI_BEFORE_HLT = 1, NMI_ON_HLT, NMI_IN_HLT, NMI_ELSEWHERE };
static atomic_t test_nmi_where;
#define NMI_STORM_ON_HLT	40

static int nmi_where(struct pt_regs *regs)
{
	unsigned long hlt = (unsigned long)cpu_proxy_hlt_insn;

	if (user_mode(regs))
		return NMI_ELSEWHERE;
	if (regs->ip == hlt)
		return NMI_ON_HLT;
	if (regs->ip == hlt + 1)
		return NMI_IN_HLT;
	if (atomic_read(&cpu_proxy_test_in_window) == smp_processor_id() + 1)
		return NMI_BEFORE_HLT;
	return NMI_ELSEWHERE;
}

static int cpu_proxy_test_nmi(unsigned int type, struct pt_regs *regs)
{
	unsigned long flags;

	/*
	 * One of this file's NMIs is pending here: it is done once the count
	 * drops, after its bookkeeping (NMIs on one CPU do not nest).
	 */
	if (atomic_read(this_cpu_ptr(&test_nmis_sent)) > 0) {
		void *bad = READ_ONCE(test_nmi_bad);
		int where = nmi_where(regs);
		long v;

		if (READ_ONCE(test_nmi_printk_sync)) {
			printk_cpu_sync_get_irqsave(flags);
			printk_cpu_sync_put_irqrestore(flags);
		}
		/* A #PF nested in the NMI, stopped or not: the fixup returns. */
		if (bad && copy_from_kernel_nofault(&v, bad, sizeof(v)) == -EFAULT)
			atomic_inc(&test_nmi_faults);
		if (READ_ONCE(test_nmi_shadow_irq) && where == NMI_ON_HLT) {
			atomic_inc(&test_nmi_shadow);
			__apic_send_IPI_self(RESCHEDULE_VECTOR);
		}
		atomic_set(&test_nmi_where, where);
		atomic_inc(&test_nmis_taken);
		atomic_dec(this_cpu_ptr(&test_nmis_sent));
		return NMI_HANDLED;
	}
	return NMI_DONE;
}

/* stop_machine() over and over, from a kthread, until stopped. */
struct stop_loop {
	struct task_struct *task;
	atomic_t stops;
};

static int stop_nop(void *arg)
{
	return 0;
}

static int stop_loop_fn(void *data)
{
	struct stop_loop *sl = data;

	while (!kthread_should_stop()) {
		stop_machine(stop_nop, NULL, NULL);
		atomic_inc(&sl->stops);
		usleep_range(500, 1000);
	}
	return 0;
}

static int stop_loop_start(struct stop_loop *sl)
{
	atomic_set(&sl->stops, 0);
	sl->task = kthread_run(stop_loop_fn, sl, "cpu_proxy_stops");
	return PTR_ERR_OR_ZERO(sl->task);
}

static void stop_loop_end(struct stop_loop *sl)
{
	if (!IS_ERR_OR_NULL(sl->task))
		kthread_stop(sl->task);
	sl->task = NULL;
}

static void proxy_nop(void *info)
{
}

/* A periodic timer of the parked CPU's, counting its expiries. */
struct proxy_tick {
	struct hrtimer hrt;
	u64 period_ns;
	atomic_t fired;
	call_single_data_t wake;	/* wakes the CPU: not on the allow-list */
};

#define PROXY_TICK_NS	(2 * NSEC_PER_MSEC)

static enum hrtimer_restart proxy_tick_fn(struct hrtimer *t)
{
	struct proxy_tick *pt = container_of(t, struct proxy_tick, hrt);

	atomic_inc(&pt->fired);
	hrtimer_forward_now(t, ns_to_ktime(pt->period_ns));
	return HRTIMER_RESTART;
}

static void proxy_tick_start(void *info)
{
	struct proxy_tick *pt = info;

	hrtimer_start(&pt->hrt, ns_to_ktime(pt->period_ns),
		      HRTIMER_MODE_REL_PINNED_HARD);
}

/* Starts @pt, zeroed, on @cpu, every @period_ns; hrtimer_cancel() ends it. */
static void proxy_tick_begin(struct proxy_tick *pt, int cpu, u64 period_ns)
{
	hrtimer_init(&pt->hrt, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	pt->hrt.function = proxy_tick_fn;
	pt->period_ns = period_ns;
	INIT_CSD(&pt->wake, proxy_nop, NULL);
	smp_call_function_single(cpu, proxy_tick_start, pt, 1);
}

/*
 * Sends one NMI to @cpu and waits up to a second for it to be taken (the
 * next would merge with it, pending). Return: how long it took.
 */
static u64 nmi_send_one(int cpu)
{
	u64 start = ktime_get_ns();

	atomic_inc(per_cpu_ptr(&test_nmis_sent, cpu));
	__apic_send_IPI(cpu, NMI_VECTOR);
	while (atomic_read(per_cpu_ptr(&test_nmis_sent, cpu)) &&
	       ktime_get_ns() - start < NSEC_PER_SEC)
		cpu_relax();
	return ktime_get_ns() - start;
}

/* Is @cpu between giving its context up and hlt (and held STOPPED)? */
static bool nmi_in_window(int cpu, bool stopped)
{
	return atomic_read(&cpu_proxy_test_in_window) == cpu + 1 &&
	       (!stopped || atomic_read(per_cpu_ptr(&cpu_proxy_owner, cpu)) ==
			    CPU_PROXY_STOPPED);
}

/*
 * Run by stop_machine(), every other CPU stopped and the parked CPU held
 * STOPPED: if it is in its window before hlt, the NMI goes there.
 */
static int nmi_aim_stop(void *arg)
{
	int *cpu = arg;
	u64 until = ktime_get_ns() + 2 * NSEC_PER_MSEC;

	while (ktime_get_ns() < until) {
		if (nmi_in_window(*cpu, true)) {
			nmi_send_one(*cpu);
			return 1;
		}
		cpu_relax();
	}
	return 0;
}

static ssize_t nmi_storm_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	unsigned int nmis, stops = 0, fault = 0, spin = 0, i, dead = 0, aimed = 0, late = 0;
	int cpu, ret, taken, faults, shadow, skips;
	u64 start, max_late = 0, max_nmi = 0;
	struct proxy_tick *pt;
	unsigned int window;
	bool killed = false;
	void *area = NULL;
	char buf[32];

	ret = copy_short_write(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	ret = sscanf(buf, "%d %u %u %u %u", &cpu, &nmis, &stops, &fault, &spin);
	if (ret < 2 || stops > 1 || fault > 1 || (ret == 5 && !spin) ||
	    spin > 1000000 || (spin && stops))
		return -EINVAL;
	if (cpu < 0 || cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ENODEV;
	if (!cpu_proxy_parked(cpu) || !nmis || nmis > 100000)
		return -EINVAL;
	window = spin / 2 + 1;
	pt = kzalloc(sizeof(*pt), GFP_KERNEL);
	if (fault)
		area = vmalloc(PAGE_SIZE);
	if (!pt || (fault && !area)) {
		kfree(pt);
		vfree(area);
		return -ENOMEM;
	}
	guard(mutex)(&test_lock);
	ret = register_nmi_handler(NMI_LOCAL, cpu_proxy_test_nmi, 0, "cpu_proxy_test");
	if (ret) {
		kfree(pt);
		vfree(area);
		return ret;
	}
	/* A handler still running when the last write gave up left it. */
	atomic_set(per_cpu_ptr(&test_nmis_sent, cpu), 0);
	atomic_set(&test_nmis_taken, 0);
	atomic_set(&test_nmi_faults, 0);
	atomic_set(&test_nmi_shadow, 0);
	atomic_set(&cpu_proxy_test_skips, 0);
	WRITE_ONCE(test_nmi_shadow_irq, spin != 0);
	/* The guard page after a vmalloc() area is never mapped. */
	WRITE_ONCE(test_nmi_bad, area ? area + PAGE_SIZE : NULL);
	proxy_tick_begin(pt, cpu, PROXY_TICK_NS);
	/*
	 * One NMI at a time, aimed at the window where the parked CPU
	 * dawdles between giving its context up and hlt
	 * (cpu_proxy_test_halt_spin), into which a call not on the
	 * allow-list, which wakes it, sends it. With stops, from the
	 * function of a stop_machine(), which holds the CPU STOPPED. After
	 * each, the CPU's periodic timer, run by its proxy, must go on.
	 */
	WRITE_ONCE(cpu_proxy_test_halt_spin, 200000);
	for (i = 0; i < nmis; i++) {
		/* With <spin>, a window too short to see is not waited for. */
		u64 until = ktime_get_ns() + (spin ? 10 : 100) * NSEC_PER_MSEC;
		bool hit = false;
		int fired;

		if (fatal_signal_pending(current)) {
			killed = true;
			break;
		}
		/* With <spin>, enough NMIs on the hlt end it early. */
		if (spin && atomic_read(&test_nmi_shadow) >= NMI_STORM_ON_HLT)
			break;
		if (spin)
			WRITE_ONCE(cpu_proxy_test_halt_spin, window);
		atomic_set(&test_nmi_where, 0);
		while (!hit && ktime_get_ns() < until) {
			smp_call_function_single_async(cpu, &pt->wake);
			if (stops)
				hit = stop_machine(nmi_aim_stop, &cpu, NULL) == 1;
			else if (nmi_in_window(cpu, false))
				hit = true;
			else
				cpu_relax();
		}
		aimed += hit;
		if (!stops || !hit)
			max_nmi = max(max_nmi, nmi_send_one(cpu));
		/*
		 * With <spin>, the window is as long as the NMI takes to
		 * arrive, near enough: shorten it after an NMI that landed in
		 * it, lengthen it after one that ended the hlt, or if this
		 * writer did not see it open.
		 */
		if (spin) {
			unsigned int step = 1 + window / 32;
			int where = atomic_read(&test_nmi_where);

			if (hit && where == NMI_BEFORE_HLT)
				window = window > step ? window - step : 1;
			else if (!hit || where == NMI_IN_HLT)
				window = min(window + step, spin);
		}
		/*
		 * With <spin>, only an NMI on the hlt is the point: check
		 * after each of those, and after every 16th other.
		 */
		if (spin && atomic_read(&test_nmi_where) != NMI_ON_HLT && i % 16)
			continue;
		fired = atomic_read(&pt->fired);
		/*
		 * The timer must fire again, with no further wakeup of the
		 * CPU: only its proxy can run it. It is late if that takes
		 * over 50 ms (25 periods), which a vCPU starved of its host
		 * core can take under TCG; stopped if it takes over 1 s.
		 */
		start = ktime_get_ns();
		usleep_range(25 * PROXY_TICK_NS / NSEC_PER_USEC,
			     27 * PROXY_TICK_NS / NSEC_PER_USEC);
		if (atomic_read(&pt->fired) != fired)
			continue;
		late++;
		while (atomic_read(&pt->fired) == fired &&
		       ktime_get_ns() - start < NSEC_PER_SEC)
			usleep_range(1000, 2000);
		if (atomic_read(&pt->fired) == fired) {
			pr_info("cpu-proxy-test: nmi_storm: CPU %d's timer stopped after NMI %u (%s): owner %d, in window %d\n",
				cpu, i, hit ? "aimed" : "not aimed",
				atomic_read(per_cpu_ptr(&cpu_proxy_owner, cpu)),
				atomic_read(&cpu_proxy_test_in_window));
			/* A FAIL already: do not wait a second per NMI left. */
			dead++;
			i++;
			break;
		}
		max_late = max(max_late, ktime_get_ns() - start);
	}
	WRITE_ONCE(cpu_proxy_test_halt_spin, 0);
	/* One NMI per round: the last may still be in its handler. */
	start = ktime_get_ns();
	while ((unsigned int)atomic_read(&test_nmis_taken) < i &&
	       ktime_get_ns() - start < NSEC_PER_SEC)
		cpu_relax();
	taken = atomic_read(&test_nmis_taken);
	nmis = i;
	atomic_set(per_cpu_ptr(&test_nmis_sent, cpu), 0);
	unregister_nmi_handler(NMI_LOCAL, "cpu_proxy_test");
	/* No NMI handler runs after unregister_nmi_handler(): free it. */
	WRITE_ONCE(test_nmi_bad, NULL);
	WRITE_ONCE(test_nmi_shadow_irq, false);
	vfree(area);
	faults = atomic_read(&test_nmi_faults);
	shadow = atomic_read(&test_nmi_shadow);
	skips = atomic_read(&cpu_proxy_test_skips);
	/* Where a CPU left asleep sleeps, for the report (no handler eats it). */
	if (dead)
		trigger_single_cpu_backtrace(cpu);
	hrtimer_cancel(&pt->hrt);
	/* A CPU left asleep, unserved, is woken by this call (not listed). */
	smp_call_function_single(cpu, proxy_nop, NULL, 1);
	/* Pairs with csd_unlock() of the last wakeup call. */
	while (smp_load_acquire(&pt->wake.node.u_flags) & CSD_FLAG_LOCK)
		cpu_relax();
	/*
	 * With <spin>, each NMI on the hlt must have been followed by an
	 * interrupt that returned past it. Under QEMU's TCG, which delivers
	 * NMIs in the STI shadow, about one NMI in a hundred lands there,
	 * and each is; hardware and KVM hold NMIs off in the shadow (shadow
	 * 0: the selftest skips). Without, NMIs must have been aimed at the
	 * window.
	 */
	scnprintf(nmi_storm_result, sizeof(nmi_storm_result),
		  "nmis %u aimed %u taken %d max_nmi_us %llu late %u max_late_us %llu timer_stopped %u faults %d shadow %d skips %d %s\n",
		  nmis, aimed, taken, max_nmi / NSEC_PER_USEC, late,
		  max_late / NSEC_PER_USEC, dead, faults, shadow, skips,
		  taken == nmis && !dead && faults == (fault ? taken : 0) &&
		  (spin ? skips >= shadow : aimed) ? "ok" : "FAIL");
	kfree(pt);
	return killed ? -EINTR : count;
}

static const struct file_operations nmi_storm_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = nmi_storm_write,
	.llseek = default_llseek,
};

/*
 * stop_work: a parked CPU that a stop_machine() holds runs no task until
 * the stop ends, as a stopped CPU runs none. One that did could wait, as
 * this work item does, for a task of a CPU that the stop holds in its
 * stopper, which waits in turn for the parked CPU to halt: the work
 * item's wait runs out (2 s), and the stop with it.
 */
struct stop_work {
	struct work_struct work;
	struct completion done;
	atomic_t go;
	bool timed_out;
};

static void stop_work_fn(struct work_struct *w)
{
	struct stop_work *sw = container_of(w, struct stop_work, work);
	u64 until = ktime_get_ns() + 2 * NSEC_PER_SEC;

	/* A stop that this CPU takes part in, natively, preempts it here. */
	while (!atomic_read(&sw->go) && ktime_get_ns() < until)
		cond_resched();
	if (!atomic_read(&sw->go))
		sw->timed_out = true;
	complete(&sw->done);
}

static char stop_work_result[64];

static ssize_t stop_work_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct stop_loop sl = {};
	struct stop_work *sw;
	unsigned int rounds, i;
	int cpu, ret;
	bool ok = true;

	ret = parse_cpu_write(ubuf, count, &cpu, &rounds);
	if (ret)
		return ret;
	if (!cpu_proxy_parked(cpu) || !rounds || rounds > 100000)
		return -EINVAL;
	sw = kzalloc(sizeof(*sw), GFP_KERNEL);
	if (!sw)
		return -ENOMEM;
	guard(mutex)(&test_lock);
	INIT_WORK(&sw->work, stop_work_fn);
	init_completion(&sw->done);
	ret = stop_loop_start(&sl);
	if (ret) {
		kfree(sw);
		return ret;
	}
	/*
	 * This task gives the go once it has slept a little: not while a
	 * stop holds its CPU.
	 */
	for (i = 0; i < rounds && ok; i++) {
		atomic_set(&sw->go, 0);
		reinit_completion(&sw->done);
		queue_work_on(cpu, system_highpri_wq, &sw->work);
		usleep_range(200, 500);
		atomic_set(&sw->go, 1);
		ok = wait_for_completion_timeout(&sw->done, 10 * HZ) && !sw->timed_out;
	}
	stop_loop_end(&sl);
	flush_work(&sw->work);
	scnprintf(stop_work_result, sizeof(stop_work_result), "rounds %u stops %d %s\n",
		  i, atomic_read(&sl.stops), ok ? "ok" : "FAIL");
	kfree(sw);
	return count;
}

static const struct file_operations stop_work_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = stop_work_write,
	.llseek = default_llseek,
};

/*
 * stop_calls: a parked CPU that a stop_machine() holds, awake for a task
 * it may not run yet or for a call, must not go back to sleep over a call
 * sent to it meanwhile, nor be left asleep by a stop that let it go: the
 * sender waits with preemption off, so the stop waits for it in turn. A
 * call left so waits for the CPU's next timer, if any: over a second.
 */
static void stop_calls_work_fn(struct work_struct *w)
{
}

static char stop_calls_result[80];

static ssize_t stop_calls_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct stop_loop sl = {};
	struct work_struct *work;
	unsigned int rounds, i, j;
	u64 worst = 0;
	int cpu, ret;

	ret = parse_cpu_write(ubuf, count, &cpu, &rounds);
	if (ret)
		return ret;
	if (!cpu_proxy_parked(cpu) || !rounds || rounds > 100000)
		return -EINVAL;
	work = kzalloc(sizeof(*work), GFP_KERNEL);
	if (!work)
		return -ENOMEM;
	guard(mutex)(&test_lock);
	INIT_WORK(work, stop_calls_work_fn);
	ret = stop_loop_start(&sl);
	if (ret) {
		kfree(work);
		return ret;
	}
	for (i = 0; i < rounds && worst < NSEC_PER_SEC; i++) {
		/* A task for the CPU, which it may not run while held. */
		queue_work_on(cpu, system_highpri_wq, work);
		for (j = 0; j < 4; j++) {
			u64 t0 = ktime_get_ns(), d;

			/* proxy_nop is not on the allow-list: the CPU runs it. */
			smp_call_function_single(cpu, proxy_nop, NULL, 1);
			d = ktime_get_ns() - t0;
			worst = max(worst, d);
		}
		flush_work(work);
		if (!(i % 16))
			cond_resched();
	}
	stop_loop_end(&sl);
	scnprintf(stop_calls_result, sizeof(stop_calls_result),
		  "rounds %u stops %d max_us %llu %s\n", i, atomic_read(&sl.stops),
		  worst / NSEC_PER_USEC, worst < NSEC_PER_SEC ? "ok" : "FAIL");
	kfree(work);
	return count;
}

static const struct file_operations stop_calls_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = stop_calls_write,
	.llseek = default_llseek,
};

/*
 * stop_timer: a parked CPU awake for a call, whose own timer falls due
 * every time between its look at its work at the top of its loop and its
 * look after halting (widened by cpu_proxy_test_look_ns), still halts: a
 * stop_machine() waits for that hlt (cpu_proxy_hold_parked()), every other
 * CPU spinning in its stopper. One that ran the timer itself and looked
 * again would never halt, and the stop never end: so even rounds first
 * wait up to a second for the CPU to give its context up, and fail
 * without a stop if it does not; odd rounds stop at once, the CPU awake.
 */
#define STOP_TIMER_NS		(200 * NSEC_PER_USEC)
#define STOP_TIMER_LOOK_NS	(500 * NSEC_PER_USEC)

static char stop_timer_result[80];

static ssize_t stop_timer_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	u64 worst = 0, budget = ktime_get_ns() + 60 * NSEC_PER_SEC;
	bool ticking, halts = true;
	struct proxy_tick *st;
	unsigned int rounds, i;
	int cpu, ret, fired;

	ret = parse_cpu_write(ubuf, count, &cpu, &rounds);
	if (ret)
		return ret;
	if (!cpu_proxy_parked(cpu) || !rounds || rounds > 1000)
		return -EINVAL;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	guard(mutex)(&test_lock);
	proxy_tick_begin(st, cpu, STOP_TIMER_NS);
	WRITE_ONCE(cpu_proxy_test_look_ns, STOP_TIMER_LOOK_NS);
	for (i = 0; i < rounds && halts && worst < 5ULL * NSEC_PER_SEC &&
	     ktime_get_ns() < budget && !fatal_signal_pending(current); i++) {
		u64 t0, until;

		/* proxy_nop is not on the allow-list: the CPU wakes to run it. */
		smp_call_function_single(cpu, proxy_nop, NULL, 1);
		if (!(i & 1)) {
			until = ktime_get_ns() + NSEC_PER_SEC;
			halts = false;
			while (!halts && ktime_get_ns() < until) {
				halts = atomic_read(per_cpu_ptr(&cpu_proxy_owner, cpu)) !=
					CPU_PROXY_NATIVE;
				cpu_relax();
			}
			if (!halts)
				break;
		}
		t0 = ktime_get_ns();
		stop_machine(stop_nop, NULL, NULL);
		worst = max(worst, ktime_get_ns() - t0);
		cond_resched();
	}
	WRITE_ONCE(cpu_proxy_test_look_ns, 0);
	/* Its proxy still runs the CPU's timer. */
	fired = atomic_read(&st->fired);
	msleep(50);
	ticking = atomic_read(&st->fired) != fired;
	hrtimer_cancel(&st->hrt);
	scnprintf(stop_timer_result, sizeof(stop_timer_result),
		  "rounds %u halts %d max_us %llu fired %d ticking %d %s\n", i,
		  halts, worst / NSEC_PER_USEC, atomic_read(&st->fired), ticking,
		  halts && i && worst < 5ULL * NSEC_PER_SEC && ticking ? "ok" : "FAIL");
	kfree(st);
	return count;
}

static const struct file_operations stop_timer_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = stop_timer_write,
	.llseek = default_llseek,
};

/*
 * printk_sync: a pass that holds the printk CPU lock (a WARN's backtrace,
 * say) is interrupted by an NMI on the proxy's hardware that takes it too
 * (an NMI backtrace): it must nest, as on any CPU, not spin on it forever.
 */
struct printk_sync {
	call_single_data_t csd;
	u32 apic;
	atomic_t held;
	atomic_t nmi_seen;
	bool done;
};

static void printk_sync_pass(void *info)
{
	struct printk_sync *t = info;
	u64 until = ktime_get_ns() + NSEC_PER_SEC;
	unsigned long flags;

	printk_cpu_sync_get_irqsave(flags);
	t->apic = read_apic_id();
	atomic_set(&t->held, 1);
	while (!atomic_read(&test_nmis_taken) && ktime_get_ns() < until)
		cpu_relax();
	atomic_set(&t->nmi_seen, atomic_read(&test_nmis_taken));
	printk_cpu_sync_put_irqrestore(flags);
	/* Publishes the fields above to printk_sync_write(). */
	smp_store_release(&t->done, true);
}

static char printk_sync_result[64];

static ssize_t printk_sync_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	struct printk_sync *t;
	int cpu, proxy, ret, i, w;
	unsigned long until;
	bool proxied = false;

	ret = parse_cpu_write(ubuf, count, &cpu, NULL);
	if (ret)
		return ret;
	proxy = cpu_proxy_get_proxy(cpu);
	if (!cpu_proxy_parked(cpu) || proxy < 0)
		return -EINVAL;
	/* Not from the proxy: its pass would run over this wait. */
	for_each_cpu(w, cpu_active_mask)
		if (w != proxy)
			break;
	if (w >= nr_cpu_ids)
		return -EBUSY;
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	guard(mutex)(&test_lock);
	ret = set_cpus_allowed_ptr(current, cpumask_of(w));
	if (!ret)
		ret = register_nmi_handler(NMI_LOCAL, cpu_proxy_test_nmi, 0,
					   "cpu_proxy_test");
	if (ret) {
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		kfree(t);
		return ret;
	}
	WRITE_ONCE(test_nmi_printk_sync, true);
	/*
	 * The CPU may be awake for a moment and run it itself, or a loaded
	 * host may hold the pass up: retry, a while.
	 */
	for (i = 0; i < 20 && !proxied; i++) {
		memset(t, 0, sizeof(*t));
		atomic_set(&test_nmis_taken, 0);
		INIT_CSD(&t->csd, printk_sync_pass, t);
		if (smp_call_function_single_async(cpu, &t->csd))
			break;
		until = jiffies + 3 * HZ;
		while (!atomic_read(&t->held) && time_before(jiffies, until))
			cpu_relax();
		proxied = atomic_read(&t->held) &&
			  t->apic == per_cpu(x86_cpu_to_apicid, proxy);
		if (proxied) {
			atomic_inc(per_cpu_ptr(&test_nmis_sent, proxy));
			__apic_send_IPI(proxy, NMI_VECTOR);
		}
		until = jiffies + 3 * HZ;
		/* Pairs with the release in printk_sync_pass(). */
		while (!smp_load_acquire(&t->done) && time_before(jiffies, until))
			cpu_relax();
		if (!t->done)
			break;
	}
	WRITE_ONCE(test_nmi_printk_sync, false);
	atomic_set(per_cpu_ptr(&test_nmis_sent, proxy), 0);
	unregister_nmi_handler(NMI_LOCAL, "cpu_proxy_test");
	set_cpus_allowed_ptr(current, cpu_possible_mask);
	scnprintf(printk_sync_result, sizeof(printk_sync_result),
		  "cpu %d proxied %d nmi %d tries %d %s\n", cpu, proxied,
		  atomic_read(&t->nmi_seen), i,
		  proxied && t->done && atomic_read(&t->nmi_seen) ? "ok" : "FAIL");
	/* A pass that never ended still holds @t: leave it. */
	if (t->done)
		kfree(t);
	return count;
}

static const struct file_operations printk_sync_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = result_read,
	.write = printk_sync_write,
	.llseek = default_llseek,
};

static int spin_fn(void *data)
{
	unsigned long ms = (unsigned long)data;

	mdelay(ms);
	return 0;
}

static ssize_t spin_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	struct task_struct *t;
	unsigned int ms;
	int cpu, ret;

	ret = parse_cpu_write(ubuf, count, &cpu, &ms);
	if (ret)
		return ret;
	if (ms > 10000)
		return -EINVAL;
	t = kthread_create_on_cpu(spin_fn, (void *)(unsigned long)ms, cpu,
				  "cpu_proxy_spin/%u");
	if (IS_ERR(t))
		return PTR_ERR(t);
	wake_up_process(t);
	return count;
}

static const struct file_operations spin_fops = {
	.owner = THIS_MODULE,
	.write = spin_write,
	.llseek = default_llseek,
};

/*
 * How long passes took, since the last write:
 * "max_us <n> passes <n> over_100us <n> over_1ms <n>".
 */
static ssize_t passes_read(struct file *file, char __user *ubuf, size_t count,
			   loff_t *ppos)
{
	struct cpu_proxy_test_passes *t = &cpu_proxy_test_passes;
	char buf[128];
	int len;

	len = scnprintf(buf, sizeof(buf), "max_us %llu passes %ld over_100us %ld over_1ms %ld\n",
			READ_ONCE(t->max_ns) / NSEC_PER_USEC,
			atomic_long_read(&t->passes),
			atomic_long_read(&t->over_100us),
			atomic_long_read(&t->over_1ms));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t passes_write(struct file *file, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct cpu_proxy_test_passes *t = &cpu_proxy_test_passes;

	WRITE_ONCE(t->max_ns, 0);
	atomic_long_set(&t->passes, 0);
	atomic_long_set(&t->over_100us, 0);
	atomic_long_set(&t->over_1ms, 0);
	return count;
}

static const struct file_operations passes_fops = {
	.owner = THIS_MODULE,
	.read = passes_read,
	.write = passes_write,
	.llseek = default_llseek,
};

static ssize_t timekeeper_read(struct file *file, char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[16];
	int len;

	len = scnprintf(buf, sizeof(buf), "%d\n", cpu_proxy_test_timekeeper());
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations timekeeper_fops = {
	.owner = THIS_MODULE,
	.read = timekeeper_read,
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
	debugfs_create_file("warn_in_pass", 0600, dir, warn_result,
			    &warn_in_pass_fops);
	debugfs_create_file("panic_in_pass", 0200, dir, NULL, &panic_in_pass_fops);
	debugfs_create_file("nmi_storm", 0600, dir, nmi_storm_result,
			    &nmi_storm_fops);
	debugfs_create_file("stop_work", 0600, dir, stop_work_result,
			    &stop_work_fops);
	debugfs_create_file("stop_calls", 0600, dir, stop_calls_result,
			    &stop_calls_fops);
	debugfs_create_file("stop_timer", 0600, dir, stop_timer_result,
			    &stop_timer_fops);
	debugfs_create_file("printk_sync", 0600, dir, printk_sync_result,
			    &printk_sync_fops);
	debugfs_create_file("spin", 0200, dir, NULL, &spin_fops);
	debugfs_create_file("timekeeper", 0400, dir, NULL, &timekeeper_fops);
	debugfs_create_file("passes", 0600, dir, NULL, &passes_fops);
	return 0;
}
late_initcall(test_cpu_proxy_init);
