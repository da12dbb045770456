// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_rbdev: sample devices that own real Linux IRQs without hardware, do
 * I/O completed by those IRQs, and take part in dhp's resource rebalance.
 *
 * Each device allocates NIRQS IRQ descriptors of its own (no hardware, no
 * owner module so that rmmod is not pinned), drives them with its own
 * irq_chip and requests them like any driver. "Raising" an IRQ sends an IPI
 * to the IRQ's effective CPU whose handler calls generic_handle_irq() there,
 * in hard-IRQ context: /proc/interrupts counts it on that CPU, and
 * /proc/irq/N/{smp_affinity_list,effective_affinity_list,affinity_hint}
 * show what dhp did. The device registers with dhp_register_rebalance(), so
 * a CPU arrival or removal stops it, moves its IRQs and starts it again.
 *
 * Each device is a struct device of its own (with a release function that
 * frees it) on rbdev's own bus, dhp_rbdev, under the root device
 * /sys/devices/dhp_rbdev: no driver binds to it and no other bus's names
 * collide with it. dhp names its entry "dhp_rbdev:NAME".
 *
 * debugfs, /sys/kernel/debug/dhp_rbdev/:
 *   ctl          write one command per write(2):
 *                  add NAME CLASS NIRQS [POLICY [NODE [KIND]]]
 *                      NAME 1 to 31 of [A-Za-z0-9_.:-], not ., .. nor
 *                      ctl: the device's name on the dhp_rbdev bus,
 *                      CLASS other|net, NIRQS 1..64,
 *                      POLICY default|participate|opt-out (default: default),
 *                      NODE the device's NUMA node (what dhp is told), -1
 *                      for none (default), KIND managed: the IRQs are
 *                      managed (their affinity, every possible CPU, is
 *                      the kernel's to keep, as for a blk-mq queue's), or
 *                      nobalancing: requested with IRQF_NOBALANCING (the
 *                      driver places them, as some NICs' do)
 *                  remove NAME
 *                  refuse NAME 0|1    while 1, query_stop returns -EBUSY
 *                  slowstop NAME MS   MS 0..10000: stop takes that long, as
 *                      a device slow to quiesce would (I/O queues meanwhile)
 *                  detach NAME        leave dhp (dhp_unregister_rebalance());
 *                      the device keeps its IRQs and goes on working
 *                  attach NAME        take part again: dhp_register_rebalance()
 *                      alone, with the class and policy of add, so that a
 *                      fault injected into this write reaches dhp only
 *                  blkmq NAME 0|1     while 1, the device models blk-mq: an
 *                      instance of rbdev's cpuhp state (AP_ONLINE_DYN) whose
 *                      teardown, on a CPU going offline, waits until the
 *                      device has no queued I/O (none in flight, none
 *                      pending); it gives up after 60 s with a "gave up"
 *                      error, so that nothing hangs for ever
 *                  load NAME MS       MS 1..600000: submit one request from
 *                      every online CPU, round after round, for MS ms; then
 *                      wait up to 60 s for every request to complete. The
 *                      write returns when done (-ETIMEDOUT if not all
 *                      completed, -ENODEV if the device was removed meanwhile,
 *                      -EINTR on a fatal signal).
 *                Errors: -EINVAL (empty, garbage, bad name or word), -ERANGE
 *                (number out of range), -ENOENT (no such device), -EEXIST
 *                (name taken), or the errno of an IRQ or dhp call; each with
 *                a message in the kernel log.
 *   NAME/stats   "name value" lines: irqs (the Linux IRQ numbers, space
 *                separated), submitted, completed, failed, queued_total,
 *                order_errors, stopped, stops, starts, refusing, attached,
 *                blkmq, teardown_waits (teardowns that found queued I/O),
 *                teardown_timeouts (those that gave up), last_stop_us
 *                (how long the last stop() took, by ktime_get_ns()); then
 *                inflight, pending (queued while stopped, now), pool_free,
 *                pool_waits (times a load waited for free requests),
 *                retargets (raises whose target CPU was offline), moves (IRQ
 *                target changes), max_raise_us (longest time from raising
 *                an IRQ to its handler), irq_cpus (each IRQ's target CPU)
 *                irq_inflight (each IRQ's FIFO length), start_hints and
 *                start_cpus (each IRQ's affinity hint and effective CPU as
 *                the last start() found them, -1 for none or more than one
 *                CPU), stop_cpus (each IRQ's effective CPU as the last
 *                stop() found it), in irqs order.
 *
 * The I/O path. A request is (submitting CPU, that CPU's sequence number on
 * the device) and lives in a preallocated pool. A request from CPU c goes to
 * IRQ c % NIRQS, so that one CPU's requests always meet one FIFO: each IRQ
 * has a FIFO, and its handler completes the FIFO in order, checking that each
 * CPU's sequence numbers complete in increasing order without a gap (else
 * order_errors). Between dhp's stop and start, submissions go to one
 * device-wide pending FIFO instead, in submission order; start moves them in
 * order to their IRQs' FIFOs and raises those IRQs. stop waits (sleeping,
 * bounded) for the requests already in IRQ FIFOs to complete.
 *
 * Contexts and locking:
 * - rbdev_mutex protects rbdev_list and serializes add and remove; it is
 *   held around dhp_register_rebalance() and never taken by the rebalance
 *   operations, so the order is rbdev_mutex, then dhp's lock.
 * - rbdev->lock (spinlock, taken with irqsave everywhere) protects the pool,
 *   the FIFOs, each IRQ's raised flag, the stopped flag, the sequence arrays
 *   and the counters. It is taken in process context (stop, start, stats),
 *   in IPI context (submission) and in hard-IRQ context (the IRQ handler);
 *   nothing is called with it held but the FIFO helpers.
 * - An IRQ is raised by exactly one owner at a time: whoever sets its
 *   raised flag under the lock raises it after unlocking; the handler clears
 *   the flag, under the lock, only when it found the FIFO empty. So a
 *   request in a FIFO always has a raise on its way. The IRQ uses
 *   handle_edge_irq(): a raise that lands while the handler runs on another
 *   CPU is kept pending and the handler runs again (handle_simple_irq()
 *   would drop it and lose the completion).
 * - Raises, submissions and completions never sleep. stop, the load loop
 *   and the teardown sleep in bounded waits on rbdev->wq, which the IPIs and
 *   the handler wake.
 * - The blk-mq model's cpuhp teardown runs with the CPU hotplug lock held
 *   and takes no lock of rbdev's but rbdev->lock: what it waits for, a
 *   start() from dhp, must not need the hotplug lock either (issue 9).
 *   Its instance is removed (which waits for a teardown running) before
 *   the device is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/cpuhotplug.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "dhp.h"

#define RBDEV_NAME_MAX		31
#define RBDEV_MAX_IRQS		64
#define RBDEV_POOL_SIZE		65536U		/* requests per device */
#define RBDEV_NONE		U32_MAX		/* end of a FIFO */
#define RBDEV_LOAD_MAX_MS	600000U
#define RBDEV_STOP_WAIT		(20 * HZ)	/* stop's wait for in-flight I/O */
#define RBDEV_DRAIN_WAIT	(60 * HZ)	/* load's wait for completions */
#define RBDEV_TEARDOWN_WAIT	(60 * HZ)	/* blk-mq model's wait for I/O */
#define RBDEV_ROUND_WAIT	(HZ / 10)	/* load's wait for one round */
#define RBDEV_IRQ_BATCH		64		/* completions per lock hold */
#define RBDEV_IRQ_BUDGET	1024		/* completions per handler call */
#define RBDEV_CMD_MAX		128
#define RBDEV_ARGS_MAX		7
#define RBDEV_CMDS \
	"add, remove, refuse, slowstop, load, detach, attach or blkmq"

/* One request; @next links it in exactly one FIFO (or the free list). */
struct rbdev_req {
	u32 next;
	u32 cpu;	/* the submitting CPU */
	u64 seq;	/* that CPU's sequence number on the device, from 1 */
};

/* A FIFO of pool indices; under rbdev->lock. */
struct rbdev_fifo {
	u32 head, tail, len;
};

struct rbdev;

struct rbdev_irq {
	struct rbdev *dev;
	unsigned int irq;
	/*
	 * The effective CPU: written by the chip's irq_set_affinity (desc lock
	 * held), read locklessly by rbdev_raise(); -1 before the first one.
	 */
	int cpu;
	unsigned long moves;		/* target changes, under the desc lock */
	bool raised;			/* under rbdev->lock, see the top */
	u64 raised_ns;			/* when, for max_raise_us; same lock */
	struct rbdev_fifo fifo;		/* under rbdev->lock */
	call_single_data_t csd;		/* the raise to another CPU */
	struct irq_work work;		/* the raise to this CPU */
	char name[64];			/* the action name in /proc/interrupts */
	int start_hint, start_cpu;	/* seen by the last start(), or -1 */
	int stop_cpu;			/* seen by the last stop(), or -1 */
};

/* The load's per-CPU submission IPI. */
struct rbdev_load_cpu {
	call_single_data_t csd;
	struct rbdev *dev;
	bool busy;	/* queued or running; set by the loader, cleared by the IPI */
};

struct rbdev {
	struct list_head node;		/* in rbdev_list, under rbdev_mutex */
	char name[RBDEV_NAME_MAX + 1];
	unsigned int nr_irqs;
	int irq_base;			/* from __irq_alloc_descs(), or -errno */
	unsigned int nr_requested;	/* IRQs requested so far */
	unsigned int *irq_nums;		/* irq_base + i, for dhp */
	struct rbdev_irq *irqs;
	struct device *device;		/* on rbdev_bus, NULL until added */
	struct dhp_rb_device *rb;	/* NULL while detached */
	enum dhp_rb_class class;
	enum dhp_rb_policy policy;
	struct hlist_node cpuhp_node;	/* in rbdev_cpuhp's instances */
	bool blkmq;			/* cpuhp_node added; rbdev_mutex */
	unsigned long irqflags;		/* for request_irq() */
	struct dentry *dir;
	struct rbdev_load_cpu __percpu *load_cpu;
	struct mutex load_mutex;	/* one load at a time per device */

	spinlock_t lock;		/* see the top; everything up to "wq" */
	struct rbdev_req *pool;
	struct rbdev_fifo free;
	struct rbdev_fifo pending;	/* submitted while stopped */
	u64 *next_seq;			/* [nr_cpu_ids]: last seq given */
	u64 *done_seq;			/* [nr_cpu_ids]: last seq completed */
	bool stopped;
	u32 inflight;			/* requests in IRQ FIFOs */
	u64 submitted, completed, failed, queued_total, order_errors;
	u64 stops, starts, pool_waits;
	u64 max_raise_ns;		/* longest raise-to-handler time */
	u64 teardown_waits, teardown_timeouts;
	u64 last_stop_ns;		/* how long the last stop() took */

	wait_queue_head_t wq;		/* inflight, pool, IPIs, users */
	atomic_t raises_out;		/* csds and irq_works not yet run */
	atomic_t load_busy;		/* submission IPIs not yet run */
	atomic_t load_starved;		/* submissions that found no entry */
	atomic_long_t retargets;	/* raises not sent to the target CPU */
	atomic_t users;			/* loads running, under rbdev_mutex */
	bool dying;			/* removed: loads stop */
	bool refusing;			/* query_stop says -EBUSY */
	unsigned int stop_ms;		/* stop sleeps this long */
};

static DEFINE_MUTEX(rbdev_mutex);
static LIST_HEAD(rbdev_list);
static struct dentry *rbdev_root;
/* The bus of the devices and their parent, /sys/devices/dhp_rbdev. */
static struct bus_type rbdev_bus = {
	.name = KBUILD_MODNAME,
};

static struct device *rbdev_parent;
/* The blk-mq model's dynamic state, 0 until first used; rbdev_mutex. */
static enum cpuhp_state rbdev_cpuhp;

static const char *const rbdev_classes[] = {
	[DHP_RB_CLASS_OTHER]	= "other",
	[DHP_RB_CLASS_NET]	= "net",
};

static const char *const rbdev_policies[] = {
	[DHP_RB_POLICY_DEFAULT]		= "default",
	[DHP_RB_POLICY_PARTICIPATE]	= "participate",
	[DHP_RB_POLICY_OPT_OUT]		= "opt-out",
};

/* ---- FIFOs of pool entries (rbdev->lock held) ------------------------- */

static void rbdev_fifo_init(struct rbdev_fifo *f)
{
	f->head = RBDEV_NONE;
	f->tail = RBDEV_NONE;
	f->len = 0;
}

static void rbdev_fifo_push(struct rbdev *dev, struct rbdev_fifo *f, u32 idx)
{
	dev->pool[idx].next = RBDEV_NONE;
	if (f->tail == RBDEV_NONE)
		f->head = idx;
	else
		dev->pool[f->tail].next = idx;
	f->tail = idx;
	f->len++;
}

static u32 rbdev_fifo_pop(struct rbdev *dev, struct rbdev_fifo *f)
{
	u32 idx = f->head;

	if (idx == RBDEV_NONE)
		return idx;
	f->head = dev->pool[idx].next;
	if (f->head == RBDEV_NONE)
		f->tail = RBDEV_NONE;
	f->len--;
	return idx;
}

/* ---- Raising an IRQ ---------------------------------------------------- */

static void rbdev_raise_done(struct rbdev *dev)
{
	if (atomic_dec_and_test(&dev->raises_out) && wq_has_sleeper(&dev->wq))
		wake_up(&dev->wq);
}

/* IRQs off, on the CPU the raise landed on. */
static void rbdev_fire(struct rbdev_irq *ri)
{
	WARN_ON_ONCE(generic_handle_irq(ri->irq));
}

/*
 * The local raise: the irq_work's self-IPI, in hard-IRQ context; or, on a
 * CPU going offline, its dying step (smpcfd_dying_cpu()) with IRQs off.
 */
static void rbdev_work_fn(struct irq_work *work)
{
	struct rbdev_irq *ri = container_of(work, struct rbdev_irq, work);
	struct rbdev *dev = ri->dev;

	rbdev_fire(ri);
	rbdev_raise_done(dev);
}

/* Queues the local raise; the caller has counted it in raises_out. */
static void rbdev_raise_local(struct rbdev_irq *ri)
{
	/* Already pending: that one fires, drop this count. */
	if (!irq_work_queue(&ri->work))
		rbdev_raise_done(ri->dev);
}

/*
 * The remote raise, on the target CPU with IRQs off: from the IPI (hard
 * IRQ), or from the idle loop or the CPU's dying step, which flush queued
 * calls without an interrupt. Those two bounce through the irq_work so that
 * the IRQ is always handled in hard-IRQ context when the CPU can take one.
 */
static void rbdev_csd_fn(void *info)
{
	struct rbdev_irq *ri = info;
	struct rbdev *dev = ri->dev;

	if (in_hardirq()) {
		rbdev_fire(ri);
		rbdev_raise_done(dev);
	} else {
		rbdev_raise_local(ri);
	}
}

/*
 * Raise @ri on its effective CPU: an irq_work when that is this CPU, an
 * asynchronous smp call otherwise (irq_work_queue_on() would do, but neither
 * 6.1 nor 6.12 exports it). Context: any (process, IPI, hard IRQ),
 * IRQs on or off, rbdev->lock not held; the caller owns the raise (it set
 * ri->raised). With preemption off no online CPU can finish going offline
 * (that needs stop_machine on every CPU), so a call queued on an online CPU
 * runs there, at the latest in its dying step; if the target is offline,
 * this CPU handles the IRQ: a raise is never lost.
 */
static void rbdev_raise(struct rbdev_irq *ri)
{
	struct rbdev *dev = ri->dev;
	int this = get_cpu();
	int target = READ_ONCE(ri->cpu);

	atomic_inc(&dev->raises_out);
	if (target != this) {
		if (target >= 0 && cpu_online(target) &&
		    !smp_call_function_single_async(target, &ri->csd))
			goto out;
		/* offline (or, never expected, the csd still queued) */
		atomic_long_inc(&dev->retargets);
	}
	rbdev_raise_local(ri);
out:
	put_cpu();
}

/* ---- The irq_chip ----------------------------------------------------- */

static void rbdev_chip_noop(struct irq_data *d)
{
}

/*
 * Called by the IRQ core with the descriptor lock held, IRQs off: on
 * request_irq(), irq_set_affinity() (dhp, /proc/irq/N/smp_affinity) and when
 * the target CPU goes offline. Keeps the current target if the new mask
 * allows it, else picks one CPU of mask & online, spreading the choices.
 */
static int rbdev_chip_set_affinity(struct irq_data *d,
				   const struct cpumask *mask, bool force)
{
	struct rbdev_irq *ri = irq_data_get_irq_chip_data(d);
	int cur = READ_ONCE(ri->cpu);
	unsigned int cpu;

	if (cur >= 0 && cpumask_test_cpu(cur, mask) && cpu_online(cur))
		cpu = cur;
	else
		cpu = cpumask_any_and_distribute(mask, cpu_online_mask);
	if (cpu >= nr_cpu_ids && force)
		cpu = cpumask_first(mask);
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	if (cpu != cur) {
		ri->moves++;
		WRITE_ONCE(ri->cpu, cpu);
	}
	return IRQ_SET_MASK_OK;
}

static struct irq_chip rbdev_chip = {
	.name			= "dhp-rbdev",
	.irq_ack		= rbdev_chip_noop,
	.irq_mask		= rbdev_chip_noop,
	.irq_unmask		= rbdev_chip_noop,
	.irq_set_affinity	= rbdev_chip_set_affinity,
};

/* ---- Submission and completion ---------------------------------------- */

/*
 * Complete @ri's FIFO in order. Hard-IRQ context (handle_edge_irq() from
 * rbdev_fire()). Works in batches so as not to hold the lock long; past its
 * budget it keeps the raise and raises again rather than loop in hard IRQ.
 */
static irqreturn_t rbdev_irq_handler(int irq, void *data)
{
	struct rbdev_irq *ri = data;
	struct rbdev *dev = ri->dev;
	unsigned int n, total = 0;
	struct rbdev_req *r;
	unsigned long flags;
	bool more;
	u32 idx;

	do {
		spin_lock_irqsave(&dev->lock, flags);
		if (ri->raised_ns) {
			dev->max_raise_ns = max(dev->max_raise_ns,
						ktime_get_ns() - ri->raised_ns);
			ri->raised_ns = 0;
		}
		for (n = 0; n < RBDEV_IRQ_BATCH; n++) {
			idx = rbdev_fifo_pop(dev, &ri->fifo);
			if (idx == RBDEV_NONE)
				break;
			r = &dev->pool[idx];
			if (r->seq != dev->done_seq[r->cpu] + 1)
				dev->order_errors++;
			dev->done_seq[r->cpu] = r->seq;
			rbdev_fifo_push(dev, &dev->free, idx);
		}
		dev->completed += n;
		dev->inflight -= n;
		total += n;
		more = ri->fifo.len;
		if (!more)
			ri->raised = false;
		spin_unlock_irqrestore(&dev->lock, flags);
	} while (more && total < RBDEV_IRQ_BUDGET);

	if (more)
		rbdev_raise(ri);
	if (total && wq_has_sleeper(&dev->wq))
		wake_up(&dev->wq);
	return IRQ_HANDLED;
}

/*
 * Submit one request from this CPU. IRQs off (IPI context, or the loader's
 * own CPU inline). Returns false, having taken nothing, when the pool is
 * empty: the loader waits for entries and submits again (backpressure).
 */
static bool rbdev_submit(struct rbdev *dev)
{
	unsigned int cpu = smp_processor_id();
	struct rbdev_irq *ri = NULL;
	struct rbdev_req *r;
	unsigned long flags;
	u32 idx;

	spin_lock_irqsave(&dev->lock, flags);
	idx = rbdev_fifo_pop(dev, &dev->free);
	if (idx == RBDEV_NONE) {
		spin_unlock_irqrestore(&dev->lock, flags);
		return false;
	}
	r = &dev->pool[idx];
	r->cpu = cpu;
	r->seq = ++dev->next_seq[cpu];
	dev->submitted++;
	if (dev->stopped) {
		rbdev_fifo_push(dev, &dev->pending, idx);
		dev->queued_total++;
	} else {
		ri = &dev->irqs[cpu % dev->nr_irqs];
		rbdev_fifo_push(dev, &ri->fifo, idx);
		dev->inflight++;
		if (ri->raised) {
			ri = NULL;
		} else {
			ri->raised = true;
			ri->raised_ns = ktime_get_ns();
		}
	}
	spin_unlock_irqrestore(&dev->lock, flags);
	if (ri)
		rbdev_raise(ri);
	return true;
}

/* The load's submission IPI, on the CPU it was sent to, IRQs off. */
static void rbdev_load_fn(void *info)
{
	struct rbdev_load_cpu *lc = info;
	struct rbdev *dev = lc->dev;

	if (!rbdev_submit(dev))
		atomic_inc(&dev->load_starved);
	/* the last touch of @lc: after this the loader may reuse it */
	WRITE_ONCE(lc->busy, false);
	atomic_dec(&dev->load_busy);
	if (wq_has_sleeper(&dev->wq))
		wake_up(&dev->wq);
}

/* ---- The rebalance operations (process context, dhp's workqueue) ------ */

static int rbdev_query_stop(void *context)
{
	struct rbdev *dev = context;

	return READ_ONCE(dev->refusing) ? -EBUSY : 0;
}

/* The single CPU of @mask, or -1 for none or more than one. */
static int rbdev_mask_cpu(const struct cpumask *mask)
{
	return mask && cpumask_weight(mask) == 1 ? cpumask_first(mask) : -1;
}

/*
 * What each IRQ's descriptor says now: the effective CPU our chip chose
 * and, at @start, the affinity hint dhp set. Under the descriptor lock,
 * which the IRQ core holds while it changes both.
 */
static void rbdev_record_affinity(struct rbdev *dev, bool start)
{
	const struct cpumask *eff;
	struct rbdev_irq *ri;
	struct irq_desc *desc;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < dev->nr_irqs; i++) {
		ri = &dev->irqs[i];
		desc = irq_data_to_desc(irq_get_irq_data(ri->irq));
		raw_spin_lock_irqsave(&desc->lock, flags);
		eff = irq_data_get_effective_affinity_mask(&desc->irq_data);
		if (start) {
			WRITE_ONCE(ri->start_hint,
				   rbdev_mask_cpu(desc->affinity_hint));
			WRITE_ONCE(ri->start_cpu, rbdev_mask_cpu(eff));
		} else {
			WRITE_ONCE(ri->stop_cpu, rbdev_mask_cpu(eff));
		}
		raw_spin_unlock_irqrestore(&desc->lock, flags);
	}
}

static u32 rbdev_inflight(struct rbdev *dev)
{
	return READ_ONCE(dev->inflight);
}

static void rbdev_stop(void *context)
{
	struct rbdev *dev = context;
	u64 t0 = ktime_get_ns();
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	dev->stopped = true;
	dev->stops++;
	spin_unlock_irqrestore(&dev->lock, flags);
	/* dhp moves the IRQs only after this: they must be where they were */
	rbdev_record_affinity(dev, false);

	if (READ_ONCE(dev->stop_ms))
		msleep(READ_ONCE(dev->stop_ms));
	if (!wait_event_timeout(dev->wq, !rbdev_inflight(dev), RBDEV_STOP_WAIT))
		pr_warn("%s: stop: %u requests still in flight after %d s; they will complete after start\n",
			dev->name, rbdev_inflight(dev), RBDEV_STOP_WAIT / HZ);
	spin_lock_irqsave(&dev->lock, flags);
	dev->last_stop_ns = ktime_get_ns() - t0;
	spin_unlock_irqrestore(&dev->lock, flags);
}

/* Also used at removal for a device left stopped. Process context. */
static unsigned int rbdev_start(void *context)
{
	struct rbdev *dev = context;
	DECLARE_BITMAP(raise, RBDEV_MAX_IRQS);
	struct rbdev_irq *ri;
	unsigned int i, n = 0;
	unsigned long flags;
	u32 idx;

	/* dhp promises that the IRQs have moved by now: see where they are */
	rbdev_record_affinity(dev, true);
	bitmap_zero(raise, RBDEV_MAX_IRQS);
	spin_lock_irqsave(&dev->lock, flags);
	dev->stopped = false;
	dev->starts++;
	while ((idx = rbdev_fifo_pop(dev, &dev->pending)) != RBDEV_NONE) {
		i = dev->pool[idx].cpu % dev->nr_irqs;
		ri = &dev->irqs[i];
		rbdev_fifo_push(dev, &ri->fifo, idx);
		dev->inflight++;
		n++;
		if (!ri->raised) {
			ri->raised = true;
			ri->raised_ns = ktime_get_ns();
			__set_bit(i, raise);
		}
	}
	spin_unlock_irqrestore(&dev->lock, flags);

	for_each_set_bit(i, raise, dev->nr_irqs)
		rbdev_raise(&dev->irqs[i]);
	return n;
}

static const struct dhp_rb_ops rbdev_rb_ops = {
	.query_stop	= rbdev_query_stop,
	.stop		= rbdev_stop,
	.start		= rbdev_start,
};

/* ---- debugfs stats ---------------------------------------------------- */

static int rbdev_stats_show(struct seq_file *m, void *v)
{
	struct rbdev *dev = m->private;
	u64 submitted, completed, failed, queued, order, stops, starts, waits;
	u64 max_raise, tdwaits, tdtimeouts, last_stop;
	u32 inflight, pending, pool_free;
	unsigned long flags, moves = 0;
	bool stopped;
	unsigned int i;

	spin_lock_irqsave(&dev->lock, flags);
	submitted = dev->submitted;
	completed = dev->completed;
	failed = dev->failed;
	queued = dev->queued_total;
	order = dev->order_errors;
	stopped = dev->stopped;
	stops = dev->stops;
	starts = dev->starts;
	waits = dev->pool_waits;
	max_raise = dev->max_raise_ns;
	tdwaits = dev->teardown_waits;
	tdtimeouts = dev->teardown_timeouts;
	last_stop = dev->last_stop_ns;
	inflight = dev->inflight;
	pending = dev->pending.len;
	pool_free = dev->free.len;
	spin_unlock_irqrestore(&dev->lock, flags);

	seq_puts(m, "irqs");
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %u", dev->irq_nums[i]);
	seq_printf(m, "\nsubmitted %llu\ncompleted %llu\nfailed %llu\nqueued_total %llu\norder_errors %llu\n",
		   submitted, completed, failed, queued, order);
	seq_printf(m, "stopped %d\nstops %llu\nstarts %llu\nrefusing %d\n",
		   stopped, stops, starts, READ_ONCE(dev->refusing));
	seq_printf(m, "attached %d\nblkmq %d\nteardown_waits %llu\nteardown_timeouts %llu\nlast_stop_us %llu\n",
		   !!READ_ONCE(dev->rb), READ_ONCE(dev->blkmq),
		   tdwaits, tdtimeouts, div_u64(last_stop, NSEC_PER_USEC));
	for (i = 0; i < dev->nr_irqs; i++)
		moves += READ_ONCE(dev->irqs[i].moves);
	seq_printf(m, "inflight %u\npending %u\npool_free %u\npool_waits %llu\nretargets %lu\nmoves %lu\nmax_raise_us %llu\nirq_cpus",
		   inflight, pending, pool_free, waits,
		   atomic_long_read(&dev->retargets), moves,
		   div_u64(max_raise, NSEC_PER_USEC));
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %d", READ_ONCE(dev->irqs[i].cpu));
	seq_puts(m, "\nirq_inflight");
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %u", READ_ONCE(dev->irqs[i].fifo.len));
	seq_puts(m, "\nstart_hints");
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %d", READ_ONCE(dev->irqs[i].start_hint));
	seq_puts(m, "\nstart_cpus");
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %d", READ_ONCE(dev->irqs[i].start_cpu));
	seq_puts(m, "\nstop_cpus");
	for (i = 0; i < dev->nr_irqs; i++)
		seq_printf(m, " %d", READ_ONCE(dev->irqs[i].stop_cpu));
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(rbdev_stats);

/* ---- Devices ---------------------------------------------------------- */

static bool rbdev_all_done(struct rbdev *dev)
{
	return READ_ONCE(dev->free.len) == RBDEV_POOL_SIZE;
}

/*
 * Leave dhp, if registered; a device left stopped by a round that ended
 * meanwhile (none should) is started so that its I/O completes. rbdev_mutex
 * held, or @dev off the list.
 */
static void rbdev_detach(struct rbdev *dev)
{
	if (!dev->rb)
		return;
	dhp_unregister_rebalance(dev->rb);	/* no op runs after */
	WRITE_ONCE(dev->rb, NULL);
	if (READ_ONCE(dev->stopped)) {
		pr_info("%s: left dhp while stopped: starting it to complete its I/O\n",
			dev->name);
		rbdev_start(dev);
	}
}

/* Take part in rebalance with the class and policy of add; rbdev_mutex. */
static int rbdev_attach(struct rbdev *dev)
{
	struct dhp_rb_device_info info = {
		.class = dev->class,
		.policy = dev->policy,
		.irqs = dev->irq_nums,
		.nr_irqs = dev->nr_irqs,
		.ops = &rbdev_rb_ops,
		.context = dev,
	};
	struct dhp_rb_device *rb;

	if (dev->rb)
		return 0;
	rb = dhp_register_rebalance(dev->device, &info);
	if (IS_ERR(rb)) {
		pr_err("%s: dhp_register_rebalance: %ld\n", dev->name,
		       PTR_ERR(rb));
		return PTR_ERR(rb);
	}
	WRITE_ONCE(dev->rb, rb);
	return 0;
}

/* No request of @dev in flight nor pending: both read at one time. */
static bool rbdev_quiet(struct rbdev *dev)
{
	unsigned long flags;
	bool quiet;

	spin_lock_irqsave(&dev->lock, flags);
	quiet = !dev->inflight && !dev->pending.len;
	spin_unlock_irqrestore(&dev->lock, flags);
	return quiet;
}

/*
 * The blk-mq model: as blk-mq drains a hardware queue whose last CPU goes
 * offline, wait for the device's queued I/O, including what a stopped
 * device holds until dhp starts it again. On the dying CPU, in its cpuhp
 * thread, the CPU hotplug lock held (by the task taking the CPU down).
 */
static int rbdev_cpu_down(unsigned int cpu, struct hlist_node *node)
{
	struct rbdev *dev = hlist_entry(node, struct rbdev, cpuhp_node);
	unsigned long flags;

	if (rbdev_quiet(dev))
		return 0;
	spin_lock_irqsave(&dev->lock, flags);
	dev->teardown_waits++;
	spin_unlock_irqrestore(&dev->lock, flags);
	if (wait_event_timeout(dev->wq, rbdev_quiet(dev), RBDEV_TEARDOWN_WAIT))
		return 0;
	spin_lock_irqsave(&dev->lock, flags);
	dev->teardown_timeouts++;
	spin_unlock_irqrestore(&dev->lock, flags);
	pr_err("%s: CPU %u going offline: gave up after %d s waiting for queued I/O (%u in flight, %u pending)\n",
	       dev->name, cpu, RBDEV_TEARDOWN_WAIT / HZ,
	       READ_ONCE(dev->inflight), READ_ONCE(dev->pending.len));
	return 0;
}

/*
 * Sleeps until @count is 0, warning every 60 s: for what must not be given
 * up (queued IPIs point into @dev). Process context.
 */
static void rbdev_wait_zero(struct rbdev *dev, atomic_t *count,
			    const char *what)
{
	while (!wait_event_timeout(dev->wq, !atomic_read(count), 60 * HZ))
		pr_warn("%s: still waiting for %d %s\n", dev->name,
			atomic_read(count), what);
}

/*
 * Undo rbdev_create(), from wherever it got. Process context, rbdev_mutex
 * not needed: @dev is off the list and no load uses it.
 */
static void rbdev_destroy(struct rbdev *dev)
{
	unsigned int i;
	u32 lost;

	/* waits for a teardown running: none runs or will run after */
	if (dev->blkmq)
		cpuhp_state_remove_instance_nocalls(rbdev_cpuhp,
						    &dev->cpuhp_node);
	debugfs_remove_recursive(dev->dir);	/* waits for stats readers */
	rbdev_detach(dev);
	/* never submitted to (a failed add): the pool may not be filled */
	if (READ_ONCE(dev->submitted) &&
	    !wait_event_timeout(dev->wq, rbdev_all_done(dev),
				RBDEV_DRAIN_WAIT)) {
		lost = RBDEV_POOL_SIZE - READ_ONCE(dev->free.len);
		dev->failed += lost;
		pr_err("%s: %u requests not completed in %d s: dropped\n",
		       dev->name, lost, RBDEV_DRAIN_WAIT / HZ);
	}
	/* Queued IPIs and irq_works point into @dev: let them all run. */
	rbdev_wait_zero(dev, &dev->load_busy, "submission IPIs");
	rbdev_wait_zero(dev, &dev->raises_out, "raises");
	for (i = 0; i < dev->nr_requested; i++)
		irq_work_sync(&dev->irqs[i].work);
	/* They ran with IRQs off: after a grace period none is still in @dev. */
	synchronize_rcu();

	for (i = 0; i < dev->nr_requested; i++)
		free_irq(dev->irq_nums[i], &dev->irqs[i]);
	if (dev->irq_base >= 0)
		irq_free_descs(dev->irq_base, dev->nr_irqs);
	/* dhp let go of it at the detach above */
	if (dev->device)
		device_unregister(dev->device);
	free_percpu(dev->load_cpu);
	kvfree(dev->pool);
	kfree(dev->next_seq);
	kfree(dev->done_seq);
	kfree(dev->irqs);
	kfree(dev->irq_nums);
	kfree(dev);
}

static int rbdev_setup_irq(struct rbdev *dev, unsigned int i)
{
	struct rbdev_irq *ri = &dev->irqs[i];
	unsigned int irq = dev->irq_base + i;
	int ret;

	ri->dev = dev;
	ri->irq = irq;
	ri->cpu = -1;
	ri->start_hint = -1;
	ri->stop_cpu = -1;
	ri->start_cpu = -1;
	INIT_CSD(&ri->csd, rbdev_csd_fn, ri);
	ri->work = IRQ_WORK_INIT_HARD(rbdev_work_fn);
	rbdev_fifo_init(&ri->fifo);
	snprintf(ri->name, sizeof(ri->name), "dhp_rbdev:%s:%u", dev->name, i);
	dev->irq_nums[i] = irq;

	ret = irq_set_chip_data(irq, ri);
	if (ret)
		return ret;
	irq_set_chip_and_handler_name(irq, &rbdev_chip, handle_edge_irq,
				      "edge");
	/* requestable; affinity applied at once, not at the next interrupt */
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOPROBE, IRQ_MOVE_PCNTXT);
	/* starting it sets the default affinity, hence a valid effective CPU */
	ret = request_irq(irq, rbdev_irq_handler, dev->irqflags, ri->name, ri);
	if (ret)
		return ret;
	dev->nr_requested++;
	if (READ_ONCE(ri->cpu) < 0)
		ret = irq_set_affinity(irq, cpu_online_mask);
	return ret;
}

static struct rbdev *rbdev_alloc(const char *name, unsigned int nr_irqs)
{
	struct rbdev_load_cpu *lc;
	struct rbdev *dev;
	unsigned int cpu;
	u32 i;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return NULL;
	strscpy(dev->name, name, sizeof(dev->name));
	dev->nr_irqs = nr_irqs;
	dev->irq_base = -ENOSPC;
	mutex_init(&dev->load_mutex);
	spin_lock_init(&dev->lock);
	init_waitqueue_head(&dev->wq);
	rbdev_fifo_init(&dev->free);
	rbdev_fifo_init(&dev->pending);

	dev->irq_nums = kcalloc(nr_irqs, sizeof(*dev->irq_nums), GFP_KERNEL);
	dev->irqs = kcalloc(nr_irqs, sizeof(*dev->irqs), GFP_KERNEL);
	dev->next_seq = kcalloc(nr_cpu_ids, sizeof(*dev->next_seq), GFP_KERNEL);
	dev->done_seq = kcalloc(nr_cpu_ids, sizeof(*dev->done_seq), GFP_KERNEL);
	dev->pool = kvmalloc_array(RBDEV_POOL_SIZE, sizeof(*dev->pool),
				   GFP_KERNEL);
	dev->load_cpu = alloc_percpu(struct rbdev_load_cpu);
	if (!dev->irq_nums || !dev->irqs || !dev->next_seq ||
	    !dev->done_seq || !dev->pool || !dev->load_cpu) {
		rbdev_destroy(dev);
		return NULL;
	}
	for (i = 0; i < RBDEV_POOL_SIZE; i++)
		rbdev_fifo_push(dev, &dev->free, i);
	for_each_possible_cpu(cpu) {
		lc = per_cpu_ptr(dev->load_cpu, cpu);
		lc->dev = dev;
		INIT_CSD(&lc->csd, rbdev_load_fn, lc);
	}
	return dev;
}

static void rbdev_device_release(struct device *device)
{
	kfree(device);
}

/* @dev's struct device, named @name on rbdev_bus; rbdev_mutex held. */
static int rbdev_device_add(struct rbdev *dev, const char *name,
			    int numa_node)
{
	struct device *device = kzalloc(sizeof(*device), GFP_KERNEL);
	int ret;

	if (!device)
		return -ENOMEM;
	device_initialize(device);
	device->bus = &rbdev_bus;
	device->parent = rbdev_parent;
	device->release = rbdev_device_release;
	set_dev_node(device, numa_node);	/* what dhp is told */
	ret = dev_set_name(device, "%s", name);
	if (!ret)
		ret = device_add(device);
	if (ret) {
		pr_err("%s: cannot add the device: %d\n", name, ret);
		put_device(device);	/* frees it, and the name */
		return ret;
	}
	dev->device = device;
	return 0;
}

/* rbdev_mutex held. */
static int rbdev_create(const char *name, enum dhp_rb_class class,
			unsigned int nr_irqs, enum dhp_rb_policy policy,
			int numa_node, const char *kind)
{
	bool managed = kind && !strcmp(kind, "managed");
	struct irq_affinity_desc *aff = NULL;
	struct rbdev *dev;
	unsigned int i;
	int ret;

	dev = rbdev_alloc(name, nr_irqs);
	if (!dev)
		return -ENOMEM;
	dev->class = class;
	dev->policy = policy;
	if (kind && !strcmp(kind, "nobalancing"))
		dev->irqflags = IRQF_NOBALANCING;
	ret = rbdev_device_add(dev, name, numa_node);
	if (ret)
		goto fail;
	if (managed) {
		aff = kcalloc(nr_irqs, sizeof(*aff), GFP_KERNEL);
		if (!aff) {
			ret = -ENOMEM;
			goto fail;
		}
		for (i = 0; i < nr_irqs; i++) {
			cpumask_copy(&aff[i].mask, cpu_possible_mask);
			aff[i].is_managed = 1;
		}
	}
	dev->irq_base = __irq_alloc_descs(-1, 0, nr_irqs, NUMA_NO_NODE, NULL,
					  aff);
	kfree(aff);
	if (dev->irq_base < 0) {
		ret = dev->irq_base;
		pr_err("%s: cannot allocate %u IRQ descriptors: %d\n",
		       name, nr_irqs, ret);
		goto fail;
	}
	for (i = 0; i < nr_irqs; i++) {
		ret = rbdev_setup_irq(dev, i);
		if (ret) {
			pr_err("%s: IRQ %d: %d\n", name, dev->irq_base + i, ret);
			goto fail;
		}
	}

	ret = rbdev_attach(dev);
	if (ret)
		goto fail;

	dev->dir = debugfs_create_dir(name, rbdev_root);
	debugfs_create_file("stats", 0400, dev->dir, dev, &rbdev_stats_fops);
	list_add_tail(&dev->node, &rbdev_list);
	pr_info("%s: %s, IRQs %d..%d, policy %s\n", name, rbdev_classes[class],
		dev->irq_base, dev->irq_base + nr_irqs - 1,
		rbdev_policies[policy]);
	return 0;
fail:
	rbdev_destroy(dev);
	return ret;
}

/* rbdev_mutex held. */
static struct rbdev *rbdev_find(const char *name)
{
	struct rbdev *dev;

	list_for_each_entry(dev, &rbdev_list, node)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

/* Takes a user reference on device @name for a long operation. */
static struct rbdev *rbdev_get(const char *name)
{
	struct rbdev *dev;

	mutex_lock(&rbdev_mutex);
	dev = rbdev_find(name);
	if (dev)
		atomic_inc(&dev->users);
	mutex_unlock(&rbdev_mutex);
	return dev;
}

/*
 * Under rbdev_mutex so that rbdev_remove(), which takes the mutex once it
 * saw no users, cannot free @dev while this is still in wake_up().
 */
static void rbdev_put(struct rbdev *dev)
{
	mutex_lock(&rbdev_mutex);
	if (atomic_dec_and_test(&dev->users))
		wake_up(&dev->wq);
	mutex_unlock(&rbdev_mutex);
}

static int rbdev_remove(const char *name)
{
	struct rbdev *dev;

	mutex_lock(&rbdev_mutex);
	dev = rbdev_find(name);
	if (dev) {
		list_del(&dev->node);
		WRITE_ONCE(dev->dying, true);
	}
	mutex_unlock(&rbdev_mutex);
	if (!dev)
		return -ENOENT;
	wake_up(&dev->wq);	/* loads see dying and finish */
	rbdev_wait_zero(dev, &dev->users, "loads to end");
	mutex_lock(&rbdev_mutex);	/* the last rbdev_put() has returned */
	mutex_unlock(&rbdev_mutex);
	rbdev_destroy(dev);
	return 0;
}

/* ---- The load --------------------------------------------------------- */

/*
 * Sends a submission IPI to every online CPU whose last one has run. Not
 * on_each_cpu(): that spins, preemption off, until every CPU ran the call,
 * and under TCG a freshly added vCPU may take its IPIs seconds late (soft
 * lockup). Asynchronous calls let the loader sleep and skip a late CPU.
 */
static void rbdev_load_round(struct rbdev *dev)
{
	struct rbdev_load_cpu *lc;
	unsigned int cpu;

	/*
	 * No hotplug lock: a CPU that goes offline meanwhile either fails the
	 * send (not online) or runs the call at its dying step; one that comes
	 * up is included from the next round on.
	 */
	for_each_online_cpu(cpu) {
		lc = per_cpu_ptr(dev->load_cpu, cpu);
		if (READ_ONCE(lc->busy))
			continue;	/* its IPI is late: skip it this round */
		WRITE_ONCE(lc->busy, true);
		atomic_inc(&dev->load_busy);
		if (smp_call_function_single_async(cpu, &lc->csd)) {
			WRITE_ONCE(lc->busy, false);
			atomic_dec(&dev->load_busy);
		}
	}
}

static int rbdev_load(struct rbdev *dev, unsigned int ms)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(ms);
	unsigned long start = jiffies, flags, rounds = 0;
	u64 before, after;
	int old, ret = 0;

	spin_lock_irqsave(&dev->lock, flags);
	before = dev->submitted;
	spin_unlock_irqrestore(&dev->lock, flags);

	while (time_before(jiffies, deadline) && !READ_ONCE(dev->dying)) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		old = atomic_read(&dev->load_busy);
		rbdev_load_round(dev);
		rounds++;
		/* until this round's IPIs ran (late ones stay counted in old) */
		wait_event_timeout(dev->wq,
				   atomic_read(&dev->load_busy) <= old ||
				   READ_ONCE(dev->dying), RBDEV_ROUND_WAIT);
		if (atomic_xchg(&dev->load_starved, 0)) {
			spin_lock_irqsave(&dev->lock, flags);
			dev->pool_waits++;
			spin_unlock_irqrestore(&dev->lock, flags);
			wait_event_timeout(dev->wq,
					   READ_ONCE(dev->free.len) >=
					   RBDEV_POOL_SIZE / 2 ||
					   READ_ONCE(dev->dying),
					   RBDEV_ROUND_WAIT);
		}
		cond_resched();
	}

	if (!wait_event_timeout(dev->wq, !atomic_read(&dev->load_busy) &&
				rbdev_all_done(dev), RBDEV_DRAIN_WAIT)) {
		pr_err("%s: load: %u requests not completed, %d submissions not run after %d s\n",
		       dev->name, RBDEV_POOL_SIZE - READ_ONCE(dev->free.len),
		       atomic_read(&dev->load_busy), RBDEV_DRAIN_WAIT / HZ);
		ret = -ETIMEDOUT;
	}
	if (!ret && READ_ONCE(dev->dying))
		ret = -ENODEV;

	spin_lock_irqsave(&dev->lock, flags);
	after = dev->submitted;
	spin_unlock_irqrestore(&dev->lock, flags);
	pr_info("%s: load %u ms: %llu requests in %lu rounds, %u ms in all: %d\n",
		dev->name, ms, after - before, rounds,
		jiffies_to_msecs(jiffies - start), ret);
	return ret;
}

/* ---- ctl -------------------------------------------------------------- */

/* Rate-limited: a fuzzer may write garbage to ctl a hundred thousand times. */
#define ctlerr(fmt, ...)	pr_err_ratelimited("ctl: " fmt, ##__VA_ARGS__)

/*
 * Also a debugfs directory name, next to ctl: ASCII only, and not ".",
 * ".." or "ctl" (whose directory could not be created: no stats).
 */
static bool rbdev_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > RBDEV_NAME_MAX || !strcmp(name, ".") ||
	    !strcmp(name, "..") || !strcmp(name, "ctl"))
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.:-", name[i])))
			return false;
	return true;
}

static int rbdev_parse_uint(const char *what, const char *s, unsigned int min,
			    unsigned int max, unsigned int *out)
{
	int ret = kstrtouint(s, 10, out);

	if (ret == -EINVAL) {
		ctlerr("%s: not a number: '%.32s'\n", what, s);
		return -EINVAL;
	}
	if (ret || *out < min || *out > max) {
		ctlerr("%s: '%.32s' is out of range %u..%u\n",
		       what, s, min, max);
		return -ERANGE;
	}
	return 0;
}

static int rbdev_cmd_add(int argc, char **argv)
{
	unsigned int nr_irqs;
	int class, policy = DHP_RB_POLICY_DEFAULT, ret, node = NUMA_NO_NODE;

	if (!rbdev_name_ok(argv[1])) {
		ctlerr("add: bad name: 1 to %d of [A-Za-z0-9_.:-], not ctl\n",
		       RBDEV_NAME_MAX);
		return -EINVAL;
	}
	class = match_string(rbdev_classes, ARRAY_SIZE(rbdev_classes), argv[2]);
	if (class < 0) {
		ctlerr("add: class must be other or net\n");
		return -EINVAL;
	}
	ret = rbdev_parse_uint("add: NIRQS", argv[3], 1, RBDEV_MAX_IRQS,
			       &nr_irqs);
	if (ret)
		return ret;
	if (argc >= 5) {
		policy = match_string(rbdev_policies,
				      ARRAY_SIZE(rbdev_policies), argv[4]);
		if (policy < 0) {
			ctlerr("add: policy must be default, participate or opt-out\n");
			return -EINVAL;
		}
	}
	/* dhp checks the node itself: any int reaches it */
	if (argc >= 6 && kstrtoint(argv[5], 10, &node)) {
		ctlerr("add: NODE must be a number\n");
		return -EINVAL;
	}
	if (argc == 7 && strcmp(argv[6], "managed") &&
	    strcmp(argv[6], "nobalancing")) {
		ctlerr("add: the word after NODE can only be managed or nobalancing\n");
		return -EINVAL;
	}

	mutex_lock(&rbdev_mutex);
	if (rbdev_find(argv[1])) {
		ctlerr("add: %s exists\n", argv[1]);
		ret = -EEXIST;
	} else {
		ret = rbdev_create(argv[1], class, nr_irqs, policy, node,
				   argc == 7 ? argv[6] : NULL);
	}
	mutex_unlock(&rbdev_mutex);
	return ret;
}

static int rbdev_cmd_remove(int argc, char **argv)
{
	int ret = rbdev_remove(argv[1]);

	if (ret == -ENOENT)
		ctlerr("remove: no device '%.32s'\n", argv[1]);
	return ret;
}

/* "refuse NAME 0|1" and "slowstop NAME MS": one knob of a device. */
static int rbdev_cmd_knob(int argc, char **argv)
{
	bool refuse = !strcmp(argv[0], "refuse");
	struct rbdev *dev;
	unsigned int val;
	int ret;

	ret = rbdev_parse_uint(argv[0], argv[2], 0, refuse ? 1 : 10000, &val);
	if (ret)
		return ret;
	mutex_lock(&rbdev_mutex);
	dev = rbdev_find(argv[1]);
	if (dev && refuse)
		WRITE_ONCE(dev->refusing, val);
	else if (dev)
		WRITE_ONCE(dev->stop_ms, val);
	mutex_unlock(&rbdev_mutex);
	if (!dev) {
		ctlerr("%s: no device '%.32s'\n", argv[0], argv[1]);
		return -ENOENT;
	}
	return 0;
}

/* "attach NAME" and "detach NAME". */
static int rbdev_cmd_attach(int argc, char **argv)
{
	struct rbdev *dev;
	int ret = 0;

	mutex_lock(&rbdev_mutex);
	dev = rbdev_find(argv[1]);
	if (dev && !strcmp(argv[0], "attach"))
		ret = rbdev_attach(dev);
	else if (dev)
		rbdev_detach(dev);
	mutex_unlock(&rbdev_mutex);
	if (!dev) {
		ctlerr("%s: no device '%.32s'\n", argv[0], argv[1]);
		return -ENOENT;
	}
	return ret;
}

/* "blkmq NAME 0|1": the device's instance of the cpuhp state. */
static int rbdev_cmd_blkmq(int argc, char **argv)
{
	struct rbdev *dev;
	unsigned int on;
	int ret;

	ret = rbdev_parse_uint(argv[0], argv[2], 0, 1, &on);
	if (ret)
		return ret;
	mutex_lock(&rbdev_mutex);
	dev = rbdev_find(argv[1]);
	/*
	 * The state is set up at its first use, not at load: an unused one
	 * (teardown only) would sit among the states next to dhp's that the
	 * fault tests make fail.
	 */
	if (dev && on && !rbdev_cpuhp) {
		ret = cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN,
					      "dhp_rbdev:blkmq", NULL,
					      rbdev_cpu_down);
		if (ret > 0) {
			rbdev_cpuhp = ret;
			ret = 0;
		}
	}
	if (dev && !ret && on != dev->blkmq) {
		if (on)
			ret = cpuhp_state_add_instance_nocalls(rbdev_cpuhp,
							       &dev->cpuhp_node);
		else
			ret = cpuhp_state_remove_instance_nocalls(rbdev_cpuhp,
								  &dev->cpuhp_node);
		if (!ret)
			WRITE_ONCE(dev->blkmq, on);
	}
	mutex_unlock(&rbdev_mutex);
	if (!dev) {
		ctlerr("%s: no device '%.32s'\n", argv[0], argv[1]);
		return -ENOENT;
	}
	if (ret)
		ctlerr("blkmq %s %u: %d\n", argv[1], on, ret);
	return ret;
}

static int rbdev_cmd_load(int argc, char **argv)
{
	struct rbdev *dev;
	unsigned int ms;
	int ret;

	ret = rbdev_parse_uint("load: MS", argv[2], 1, RBDEV_LOAD_MAX_MS, &ms);
	if (ret)
		return ret;
	dev = rbdev_get(argv[1]);
	if (!dev) {
		ctlerr("load: no device '%.32s'\n", argv[1]);
		return -ENOENT;
	}
	/* interruptible: a second load may wait long for the first one */
	ret = mutex_lock_interruptible(&dev->load_mutex);
	if (!ret) {
		ret = READ_ONCE(dev->dying) ? -ENODEV : rbdev_load(dev, ms);
		mutex_unlock(&dev->load_mutex);
	}
	rbdev_put(dev);
	return ret;
}

/* A command: its word, how many words it takes (itself included), usage. */
struct rbdev_cmd {
	const char *name;
	int min_words, max_words;
	const char *usage;
	int (*run)(int argc, char **argv);
};

static const struct rbdev_cmd rbdev_cmds[] = {
	{ "add", 4, 7, "add NAME other|net NIRQS [POLICY [NODE [managed|nobalancing]]]",
	  rbdev_cmd_add },
	{ "remove", 2, 2, "remove NAME", rbdev_cmd_remove },
	{ "refuse", 3, 3, "refuse NAME 0|1", rbdev_cmd_knob },
	{ "slowstop", 3, 3, "slowstop NAME MS", rbdev_cmd_knob },
	{ "load", 3, 3, "load NAME MS", rbdev_cmd_load },
	{ "detach", 2, 2, "detach NAME", rbdev_cmd_attach },
	{ "attach", 2, 2, "attach NAME", rbdev_cmd_attach },
	{ "blkmq", 3, 3, "blkmq NAME 0|1", rbdev_cmd_blkmq },
};

/* Splits @buf at blanks; returns the word count, -E2BIG past @max. */
static int rbdev_split(char *buf, char **argv, int max)
{
	int argc = 0;
	char *word;

	while ((word = strsep(&buf, " \t\n")) != NULL) {
		if (!*word)
			continue;
		if (argc == max)
			return -E2BIG;
		argv[argc++] = word;
	}
	return argc;
}

static ssize_t rbdev_ctl_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[RBDEV_CMD_MAX], *argv[RBDEV_ARGS_MAX];
	const struct rbdev_cmd *cmd;
	int argc, ret;

	if (len >= sizeof(buf)) {
		ctlerr("command longer than %zu bytes\n", sizeof(buf) - 1);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strlen(buf) != len) {
		ctlerr("a NUL inside the command\n");
		return -EINVAL;
	}
	argc = rbdev_split(buf, argv, ARRAY_SIZE(argv));
	if (argc <= 0) {
		ctlerr("%s\n", argc ? "too many words" : "empty command");
		return -EINVAL;
	}

	for (cmd = rbdev_cmds; cmd < rbdev_cmds + ARRAY_SIZE(rbdev_cmds); cmd++)
		if (!strcmp(argv[0], cmd->name))
			break;
	if (cmd == rbdev_cmds + ARRAY_SIZE(rbdev_cmds)) {
		ctlerr("unknown command '%.32s': %s\n", argv[0], RBDEV_CMDS);
		return -EINVAL;
	}
	if (argc < cmd->min_words || argc > cmd->max_words) {
		ctlerr("usage: %s\n", cmd->usage);
		return -EINVAL;
	}
	ret = cmd->run(argc, argv);
	return ret ? ret : len;
}

static const struct file_operations rbdev_ctl_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.write	= rbdev_ctl_write,
	.llseek	= noop_llseek,
};

/* ---- Module ------------------------------------------------------------ */

static int __init rbdev_init(void)
{
	int ret = bus_register(&rbdev_bus);

	if (ret)
		return ret;
	rbdev_parent = root_device_register(KBUILD_MODNAME);
	if (IS_ERR(rbdev_parent)) {
		ret = PTR_ERR(rbdev_parent);
		goto fail;
	}
	rbdev_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(rbdev_root)) {
		ret = PTR_ERR(rbdev_root);
		root_device_unregister(rbdev_parent);
		goto fail;
	}
	debugfs_create_file("ctl", 0200, rbdev_root, NULL, &rbdev_ctl_fops);
	return 0;
fail:
	bus_unregister(&rbdev_bus);
	return ret;
}

/* No ctl or stats file is open (each holds a module reference). */
static void __exit rbdev_exit(void)
{
	struct rbdev *dev, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&rbdev_mutex);
	list_splice_init(&rbdev_list, &gone);
	mutex_unlock(&rbdev_mutex);
	list_for_each_entry_safe(dev, tmp, &gone, node)
		rbdev_destroy(dev);
	debugfs_remove_recursive(rbdev_root);
	if (rbdev_cpuhp)
		cpuhp_remove_multi_state(rbdev_cpuhp);
	root_device_unregister(rbdev_parent);
	bus_unregister(&rbdev_bus);
}

module_init(rbdev_init);
module_exit(rbdev_exit);

MODULE_DESCRIPTION("dhp sample: devices with IRQs of their own that take part in resource rebalance");
MODULE_LICENSE("GPL");
