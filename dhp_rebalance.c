// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_rebalance: resource rebalance when CPUs come and go (the seed's fourth
 * method). Linux restores only managed IRQs after hotplug and irqbalance
 * rescans every 10 s; dhp moves the IRQs of the devices that take part at
 * once.
 *
 * A round, for each device whose policy resolves to "participate":
 *   query-stop  a refusal is that driver's bug: reported, device skipped
 *   stop        the driver queues new I/O from now on
 *   spread      its IRQs over the CPUs that may take them, nearest to its
 *               node first, cores before SMT siblings (dhp_spread.h):
 *               affinity and hint, or the hint only
 *   start       the driver replays the queued I/O, in order
 *
 * Rounds run in process context from dhp_rb_work, queued by dhp's own
 * asynchronous client for CPU arrivals and removals: never in a hotplug
 * callback. Events that come while a round runs re-queue the work once, so
 * they coalesce into one next round. Managed IRQs are left to the kernel.
 *
 * Locking: dhp_rb_lock (mutex) protects the device list, each device's
 * policy, targets and counters, and is held for the whole round, so driver
 * operations of different devices never overlap and unregistration waits
 * for a round in progress.
 *
 * A round never takes the CPU hotplug lock, nor waits for anything that
 * does. A device between stop and start may hold I/O that a cpuhp callback
 * waits for (blk-mq drains a hctx whose last CPU leaves): had the round to
 * take cpus_read_lock() before start, an offline holding the lock for write
 * and that callback would wait for each other forever. So the spread reads
 * the online mask without the lock; a CPU that comes or goes meanwhile
 * posts an event, which gives another round, and the kernel itself moves
 * IRQs off a CPU that dies. A driver operation that does not return within
 * DHP_RB_STALL_MS is reported by name; dhp cannot abandon a call in
 * progress, so the round (and registration, behind dhp_rb_lock) waits on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/atomic.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/notifier.h>
#include <linux/sched/isolation.h>
#include <linux/seq_file.h>
#include <linux/suspend.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/topology.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "dhp_internal.h"
#include "dhp_spread.h"
#include "dhp_trace.h"

#define DHP_RB_MAX_IRQS	256

static bool rebalance_hint_only;

/*
 * A boolean, strictly: one of these words, with an optional newline; the
 * odd ones mean true. kstrtobool() would take "yellow" for yes.
 */
static int dhp_rb_parse_bool(const char *s, bool *res)
{
	static const char *const words[] = {
		"0", "1", "n", "y", "N", "Y", "no", "yes", "off", "on",
		"false", "true",
	};
	int i = sysfs_match_string(words, s);

	if (i < 0)
		return -EINVAL;
	*res = i & 1;
	return 0;
}

#define DHP_RB_BOOLS	"Y, N, 1, 0, yes, no, on, off, true or false"

static int dhp_rb_hint_only_set(const char *val, const struct kernel_param *kp)
{
	bool v;

	/* the name alone means yes, as for any bool parameter */
	if (dhp_rb_parse_bool(val ?: "1", &v)) {
		/* each load has its own ratelimit state: no message lost */
		pr_err_ratelimited("%s: '%*pE' is not a boolean: " DHP_RB_BOOLS "\n",
				   kp->name, (int)strlen(val), val);
		return -EINVAL;
	}
	WRITE_ONCE(*(bool *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops dhp_rb_hint_only_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = dhp_rb_hint_only_set,
	.get = param_get_bool,
};

module_param_cb(rebalance_hint_only, &dhp_rb_hint_only_ops,
		&rebalance_hint_only, 0644);
MODULE_PARM_DESC(rebalance_hint_only,
		 "set IRQ affinity hints only and leave affinity to irqbalance (default: set both)");

struct dhp_rb_device {
	struct list_head node;
	struct module *owner;
	char name[32];
	enum dhp_rb_class class;
	enum dhp_rb_policy policy;
	int numa_node;
	unsigned int id;
	const struct dhp_rb_ops *ops;
	void *context;
	struct dentry *dir;
	unsigned int nr_irqs;
	unsigned int *irqs;
	unsigned int *targets;		/* the last spread, one CPU per IRQ */
	cpumask_var_t *hints;		/* the hints set: must outlive them */
	bool *managed;
	unsigned long rounds, skipped, refusals, queued_total;
	unsigned int last_queued;
	u64 last_stall_ns, max_stall_ns;
	int last_err;
};

static DEFINE_MUTEX(dhp_rb_lock);
static LIST_HEAD(dhp_rb_devices);
static unsigned int dhp_rb_next_id;
static unsigned long dhp_rb_rounds;		/* under dhp_rb_lock */
/*
 * A round's view of the CPUs that may take IRQs (dhp_rb_allowed_now()),
 * nr_cpu_ids entries each, allocated at load so that a round cannot fail
 * for lack of memory; used under dhp_rb_lock.
 */
static struct dhp_spread_cpu *dhp_rb_cpus;
static unsigned int *dhp_rb_order;
static cpumask_var_t dhp_rb_allowed, dhp_rb_default;
static atomic_long_t dhp_rb_requests, dhp_rb_coalesced;
static struct dentry *dhp_rb_dir;
static struct dhp_event_client *dhp_rb_events;

static void dhp_rb_round(struct work_struct *work);
static DECLARE_WORK(dhp_rb_work, dhp_rb_round);

static const char *const dhp_rb_policies[] = {
	[DHP_RB_POLICY_DEFAULT]		= "default",
	[DHP_RB_POLICY_PARTICIPATE]	= "participate",
	[DHP_RB_POLICY_OPT_OUT]		= "opt-out",
};

static bool dhp_rb_participates(const struct dhp_rb_device *d)
{
	if (d->policy == DHP_RB_POLICY_DEFAULT)
		return d->class != DHP_RB_CLASS_NET;
	return d->policy == DHP_RB_POLICY_PARTICIPATE;
}

/*
 * Reads /proc/irq/default_smp_affinity into dhp_rb_default. The kernel's
 * irq_default_affinity is not exported (6.1, 6.12), and procfs refuses
 * kernel reads of that file; but a new IRQ descriptor starts with exactly
 * that affinity (the documented meaning of the file), so allocate one,
 * copy its mask and free it: no action, never requested, never seen by
 * user space. Whether it could; dhp_rb_lock held, before any device of
 * the round is stopped (sparse_irq_lock, which CPU hotplug takes, is taken
 * here: nothing may wait for a stopped device then).
 */
static bool dhp_rb_read_default(void)
{
	int irq;

	lockdep_assert_held(&dhp_rb_lock);
	irq = __irq_alloc_descs(-1, 0, 1, NUMA_NO_NODE, NULL, NULL);
	if (irq < 0)
		return false;
	cpumask_copy(dhp_rb_default, irq_get_affinity_mask(irq));
	irq_free_desc(irq);
	return true;
}

/*
 * The CPUs a round may put IRQs on, into dhp_rb_allowed: online, in
 * housekeeping_cpumask(HK_TYPE_MANAGED_IRQ) (not isolated by
 * isolcpus=managed_irq) and in default_smp_affinity (if a descriptor
 * could be allocated to read it). If that leaves none, without
 * default_smp_affinity (the kernel's own fallback for a new IRQ); if still
 * none, every online CPU. The online mask is read without the
 * hotplug lock (see the top). dhp_rb_lock held.
 */
static void dhp_rb_allowed_now(void)
{
	lockdep_assert_held(&dhp_rb_lock);
	cpumask_and(dhp_rb_allowed, cpu_online_mask,
		    housekeeping_cpumask(HK_TYPE_MANAGED_IRQ));
	if (dhp_rb_read_default() &&
	    cpumask_intersects(dhp_rb_allowed, dhp_rb_default))
		cpumask_and(dhp_rb_allowed, dhp_rb_allowed, dhp_rb_default);
	if (cpumask_empty(dhp_rb_allowed))
		cpumask_copy(dhp_rb_allowed, cpu_online_mask);
}

/*
 * Spreads @d's IRQs over dhp_rb_allowed: each CPU with its distance from
 * the device's node and its rank among its allowed SMT siblings
 * (topology_sibling_cpumask()). dhp_rb_lock held.
 */
static void dhp_rb_apply(struct dhp_rb_device *d, struct dhp_spread_cpu *cpus)
{
	unsigned int i, n = 0, cpu, sib;
	int err;

	lockdep_assert_held(&dhp_rb_lock);
	for_each_cpu(cpu, dhp_rb_allowed) {
		cpus[n].cpu = cpu;
		cpus[n].distance = d->numa_node == NUMA_NO_NODE ? 0 :
				   node_distance(d->numa_node, cpu_to_node(cpu));
		cpus[n].thread = 0;
		for_each_cpu_and(sib, topology_sibling_cpumask(cpu),
				 dhp_rb_allowed) {
			if (sib >= cpu)
				break;
			cpus[n].thread++;
		}
		n++;
	}
	dhp_spread(d->nr_irqs, cpus, n, d->id * d->nr_irqs, dhp_rb_order,
		   d->targets);

	d->last_err = 0;
	for (i = 0; i < d->nr_irqs; i++) {
		if (d->managed[i])
			continue;
		cpumask_copy(d->hints[i], cpumask_of(d->targets[i]));
		if (!READ_ONCE(rebalance_hint_only)) {
			err = irq_set_affinity(d->irqs[i], d->hints[i]);
			if (err) {
				d->last_err = err;
				pr_warn_ratelimited("%s: IRQ %u to CPU %u: %d\n",
						    d->name, d->irqs[i],
						    d->targets[i], err);
			}
		}
		irq_update_affinity_hint(d->irqs[i], d->hints[i]);
	}
}

#define DHP_RB_STALL_MS	5000

/* The driver operation in progress, for the report of a stalled one. */
static struct {
	struct delayed_work work;
	const char *device, *op;
} dhp_rb_watch;

static void dhp_rb_stalled(struct work_struct *work)
{
	pr_err("%s: %s() has not returned after %u ms: rebalance rounds and registrations wait for it\n",
	       dhp_rb_watch.device, dhp_rb_watch.op, DHP_RB_STALL_MS);
}

/* Around each driver operation; dhp_rb_lock held, so one at a time. */
static void dhp_rb_watch_start(const struct dhp_rb_device *d, const char *op)
{
	lockdep_assert_held(&dhp_rb_lock);
	dhp_rb_watch.device = d->name;
	dhp_rb_watch.op = op;
	queue_delayed_work(system_unbound_wq, &dhp_rb_watch.work,
			   msecs_to_jiffies(DHP_RB_STALL_MS));
}

static void dhp_rb_watch_stop(void)
{
	cancel_delayed_work_sync(&dhp_rb_watch.work);
}

/* One device's part of a round; dhp_rb_lock held. */
static void dhp_rb_device_round(struct dhp_rb_device *d,
				struct dhp_spread_cpu *cpus)
{
	u64 t0;
	int ret;

	dhp_rb_watch_start(d, "query_stop");
	ret = d->ops->query_stop(d->context);
	dhp_rb_watch_stop();
	if (ret) {
		d->refusals++;
		trace_dhp_rebalance(d->name, DHP_RB_TRACE_REFUSED, ret);
		pr_warn_ratelimited("%s refused query-stop (%d): a driver bug, a device must not refuse; skipped this round\n",
				    d->name, ret);
		return;
	}
	t0 = ktime_get_ns();
	dhp_rb_watch_start(d, "stop");
	d->ops->stop(d->context);
	dhp_rb_watch_stop();
	trace_dhp_rebalance(d->name, DHP_RB_TRACE_STOPPED, 0);

	dhp_rb_apply(d, cpus);
	trace_dhp_rebalance(d->name, DHP_RB_TRACE_SPREAD, d->last_err);

	dhp_rb_watch_start(d, "start");
	d->last_queued = d->ops->start(d->context);
	dhp_rb_watch_stop();
	d->last_stall_ns = ktime_get_ns() - t0;
	d->max_stall_ns = max(d->max_stall_ns, d->last_stall_ns);
	d->queued_total += d->last_queued;
	d->rounds++;
	trace_dhp_rebalance(d->name, DHP_RB_TRACE_STARTED, d->last_queued);
}

static void dhp_rb_round(struct work_struct *work)
{
	struct dhp_rb_device *d;

	mutex_lock(&dhp_rb_lock);
	dhp_rb_allowed_now();
	list_for_each_entry(d, &dhp_rb_devices, node) {
		if (dhp_rb_participates(d))
			dhp_rb_device_round(d, dhp_rb_cpus);
		else
			d->skipped++;
		cond_resched();
	}
	dhp_rb_rounds++;	/* counted when done: readers see the result */
	mutex_unlock(&dhp_rb_lock);
}

static void dhp_rb_request(void)
{
	/* Pending already: this event joins the next round. */
	if (!queue_work(system_freezable_wq, &dhp_rb_work))
		atomic_long_inc(&dhp_rb_coalesced);
	atomic_long_inc(&dhp_rb_requests);
}

/*
 * System suspend took the secondary CPUs down and the kernel moved their
 * IRQs off them for good (affinity broken to the CPUs left); dhp posts no
 * event for that (dhp_cpu.c), so a round after resume spreads them again.
 * Rounds run on a freezable workqueue: never while devices are suspended.
 */
static int dhp_rb_pm_notify(struct notifier_block *nb, unsigned long action,
			    void *data)
{
	if (action == PM_POST_SUSPEND || action == PM_POST_HIBERNATION ||
	    action == PM_POST_RESTORE)
		dhp_rb_request();
	return NOTIFY_DONE;
}

static struct notifier_block dhp_rb_pm_nb = {
	.notifier_call = dhp_rb_pm_notify,
};

/* dhp's own asynchronous client: a CPU came or went. */
static void dhp_rb_event(void *context, const struct dhp_event *ev)
{
	dhp_rb_request();
}

/*
 * Also the name of a directory in debugfs rebalance/: ASCII only, and not
 * ".", ".." or the name of a file there (no info or policy file then).
 */
static bool dhp_rb_name_ok(const char *name)
{
	static const char *const taken[] = {
		".", "..", "stats", "trigger", "hint_only",
	};
	size_t i, len = name ? strnlen(name, 32) : 0;

	if (!len || len > 31 || match_string(taken, ARRAY_SIZE(taken), name) >= 0)
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.:-", name[i])))
			return false;
	return true;
}

/* Checks what does not need the lock; returns a message or NULL. */
static const char *dhp_rb_check(const struct dhp_rb_device_info *info)
{
	unsigned int i, j;

	if (!info)
		return "NULL info";
	if (!dhp_rb_name_ok(info->name))
		return "bad name: 1 to 31 of [A-Za-z0-9_.:-], not . .. stats trigger hint_only";
	if (info->class > DHP_RB_CLASS_NET)
		return "unknown class";
	if (info->policy > DHP_RB_POLICY_OPT_OUT)
		return "unknown policy";
	if (info->node != NUMA_NO_NODE &&
	    (info->node < 0 || info->node >= nr_node_ids ||
	     !node_possible(info->node)))
		return "node must be NUMA_NO_NODE or a possible node";
	if (!info->ops || !info->ops->query_stop || !info->ops->stop ||
	    !info->ops->start)
		return "query_stop, stop and start are all required";
	if (!info->irqs || !info->nr_irqs || info->nr_irqs > DHP_RB_MAX_IRQS)
		return "a device needs 1 to 256 IRQs";
	for (i = 0; i < info->nr_irqs; i++) {
		if (!irq_get_irq_data(info->irqs[i]))
			return "an IRQ does not exist";
		if (!irq_has_action(info->irqs[i]))
			return "an IRQ is not requested: not the device's";
		for (j = 0; j < i; j++)
			if (info->irqs[j] == info->irqs[i])
				return "an IRQ is listed twice";
	}
	return NULL;
}

/* Whether a registered device has @name or one of @irqs; dhp_rb_lock. */
static const char *dhp_rb_conflict(const struct dhp_rb_device_info *info)
{
	struct dhp_rb_device *d;
	unsigned int i, j;

	list_for_each_entry(d, &dhp_rb_devices, node) {
		if (!strcmp(d->name, info->name))
			return "the name is taken";
		for (i = 0; i < d->nr_irqs; i++)
			for (j = 0; j < info->nr_irqs; j++)
				if (d->irqs[i] == info->irqs[j])
					return "an IRQ belongs to another device";
	}
	return NULL;
}

static void dhp_rb_free(struct dhp_rb_device *d)
{
	unsigned int i;

	for (i = 0; d->hints && i < d->nr_irqs; i++)
		free_cpumask_var(d->hints[i]);
	kfree(d->hints);
	kfree(d->irqs);
	kfree(d->targets);
	kfree(d->managed);
	dhp_obj_count(DHP_OBJ_RB_DEVICE, false);
	kfree(d);
}

static struct dhp_rb_device *dhp_rb_alloc(const struct dhp_rb_device_info *info)
{
	unsigned int i, n = info->nr_irqs;
	struct dhp_rb_device *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	dhp_obj_count(DHP_OBJ_RB_DEVICE, true);
	d->nr_irqs = n;
	d->irqs = kmemdup(info->irqs, n * sizeof(*d->irqs), GFP_KERNEL);
	d->targets = kcalloc(n, sizeof(*d->targets), GFP_KERNEL);
	d->managed = kcalloc(n, sizeof(*d->managed), GFP_KERNEL);
	d->hints = kcalloc(n, sizeof(*d->hints), GFP_KERNEL);
	if (!d->irqs || !d->targets || !d->managed || !d->hints)
		goto fail;
	for (i = 0; i < n; i++)
		if (!zalloc_cpumask_var(&d->hints[i], GFP_KERNEL))
			goto fail;
	for (i = 0; i < n; i++)
		d->managed[i] =
			irqd_affinity_is_managed(irq_get_irq_data(d->irqs[i]));
	strscpy(d->name, info->name, sizeof(d->name));
	d->class = info->class;
	d->policy = info->policy;
	d->numa_node = info->node;
	d->ops = info->ops;
	d->context = info->context;
	return d;
fail:
	dhp_rb_free(d);
	return NULL;
}

static int dhp_rb_info_show(struct seq_file *m, void *v)
{
	struct dhp_rb_device *d = m->private;
	struct irq_data *data;
	unsigned int i;

	mutex_lock(&dhp_rb_lock);
	seq_printf(m, "id %u\nclass %s\npolicy %s\nresolved %s\nnode %d\n",
		   d->id, d->class == DHP_RB_CLASS_NET ? "net" : "other",
		   dhp_rb_policies[d->policy],
		   dhp_rb_participates(d) ? "participate" : "opt-out",
		   d->numa_node);
	seq_printf(m, "rounds %lu\nskipped %lu\nrefusals %lu\nlast_stall_us %llu\nmax_stall_us %llu\nlast_queued %u\nqueued_total %lu\nlast_err %d\n",
		   d->rounds, d->skipped, d->refusals,
		   d->last_stall_ns / 1000, d->max_stall_ns / 1000,
		   d->last_queued, d->queued_total, d->last_err);
	seq_puts(m, "# irq hint effective managed\n");
	for (i = 0; i < d->nr_irqs; i++) {
		data = irq_get_irq_data(d->irqs[i]);
		seq_printf(m, "irq %u %*pbl %*pbl %d\n", d->irqs[i],
			   cpumask_pr_args(d->hints[i]),
			   cpumask_pr_args(irq_data_get_effective_affinity_mask(data)),
			   d->managed[i]);
	}
	mutex_unlock(&dhp_rb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_rb_info);

static int dhp_rb_policy_show(struct seq_file *m, void *v)
{
	struct dhp_rb_device *d = m->private;

	mutex_lock(&dhp_rb_lock);
	seq_printf(m, "%s\n", dhp_rb_policies[d->policy]);
	mutex_unlock(&dhp_rb_lock);
	return 0;
}

static int dhp_rb_policy_open(struct inode *inode, struct file *file)
{
	return single_open(file, dhp_rb_policy_show, inode->i_private);
}

static ssize_t dhp_rb_policy_write(struct file *file, const char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	struct dhp_rb_device *d = ((struct seq_file *)file->private_data)->private;
	char buf[16];
	int p;

	if (!len || len >= sizeof(buf))
		goto bad;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	/* a NUL inside would end the string early: "default\0junk" */
	p = strlen(buf) == len ? sysfs_match_string(dhp_rb_policies, buf) : -1;
	if (p < 0)
		goto bad;
	mutex_lock(&dhp_rb_lock);
	d->policy = p;
	mutex_unlock(&dhp_rb_lock);
	return len;
bad:
	pr_err_ratelimited("%s: policy must be default, participate or opt-out\n",
			   d->name);
	return -EINVAL;
}

static const struct file_operations dhp_rb_policy_fops = {
	.owner = THIS_MODULE,
	.open = dhp_rb_policy_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = dhp_rb_policy_write,
};

/**
 * __dhp_register_rebalance() - take part in resource rebalance
 * @info: the device; copied, need not outlive the call.
 * @owner: the calling module; dhp_register_rebalance() passes THIS_MODULE.
 *
 * From now on, every CPU arrival or removal gives the device a round (if
 * its policy resolves to participate): query_stop, stop, its IRQs spread
 * over the online CPUs, start. No round runs for it before the next CPU
 * event (or a write to debugfs rebalance/trigger).
 *
 * Context: process context, may sleep: waits for a round in progress. Not
 * from a rebalance operation nor from a synchronous dhp callback, which
 * holds the CPU hotplug lock that a driver's operations may wait for
 * (-EDEADLK).
 *
 * Return: a handle for dhp_unregister_rebalance(), or an ERR_PTR():
 * -EINVAL for bad @info (with a message saying what), -EEXIST for a name
 * in use, -EBUSY for an IRQ another device registered, -EDEADLK, -ENOMEM.
 */
struct dhp_rb_device *__dhp_register_rebalance(const struct dhp_rb_device_info *info,
					       struct module *owner)
{
	const char *why = dhp_rb_check(info);
	struct dhp_rb_device *d;
	int err = -EINVAL;

	if (!why && (current_work() == &dhp_rb_work || dhp_cpu_in_callback())) {
		why = "called from a rebalance operation or a dhp callback, would deadlock";
		err = -EDEADLK;
	}
	if (why) {
		pr_err("register rebalance %s: %s (from %pS)\n",
		       info && dhp_rb_name_ok(info->name) ? info->name : "?",
		       why, __builtin_return_address(0));
		return ERR_PTR(err);
	}
	d = dhp_rb_alloc(info);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->owner = owner;

	mutex_lock(&dhp_rb_lock);
	why = dhp_rb_conflict(info);
	if (!why) {
		d->id = dhp_rb_next_id++;
		list_add_tail(&d->node, &dhp_rb_devices);
		d->dir = debugfs_create_dir(d->name, dhp_rb_dir);
		debugfs_create_file("info", 0400, d->dir, d,
				    &dhp_rb_info_fops);
		debugfs_create_file("policy", 0600, d->dir, d,
				    &dhp_rb_policy_fops);
	}
	mutex_unlock(&dhp_rb_lock);
	if (why) {
		pr_err("register rebalance %s: %s\n", info->name, why);
		err = strstr(why, "name") ? -EEXIST : -EBUSY;
		dhp_rb_free(d);
		return ERR_PTR(err);
	}
	return d;
}
EXPORT_SYMBOL_GPL(__dhp_register_rebalance);

/**
 * dhp_unregister_rebalance() - leave resource rebalance
 * @dev: a handle from dhp_register_rebalance().
 *
 * Waits for a round in progress; when it returns no operation of the
 * device runs or will run, and dhp has cleared the affinity hints it set
 * (call it before free_irq()). The IRQs keep their affinity.
 *
 * Context: process context, may sleep: waits for a round in progress,
 * whose driver operations may wait for CPU hotplug, so not from a CPU
 * hotplug callback nor with cpus_read_lock() held.
 * Return: 0; -EINVAL for NULL; -EDEADLK from a rebalance operation or a
 * synchronous dhp callback;
 * -ENOENT (with a warning) for a handle that is not registered.
 */
int dhp_unregister_rebalance(struct dhp_rb_device *dev)
{
	struct dhp_rb_device *d;
	bool found = false;
	unsigned int i;

	if (!dev) {
		pr_err("unregister rebalance: NULL handle\n");
		return -EINVAL;
	}
	if (current_work() == &dhp_rb_work || dhp_cpu_in_callback()) {
		pr_err("unregister rebalance: called from a rebalance operation or a dhp callback, would deadlock\n");
		return -EDEADLK;
	}
	mutex_lock(&dhp_rb_lock);
	list_for_each_entry(d, &dhp_rb_devices, node) {
		if (d == dev) {
			found = true;
			list_del(&d->node);
			break;
		}
	}
	mutex_unlock(&dhp_rb_lock);
	if (!found) {
		pr_warn_once("unregister rebalance: %p is not registered (double or foreign unregister, from %pS)\n",
			     dev, __builtin_return_address(0));
		return -ENOENT;
	}
	/* Waits for readers of the files, which take dhp_rb_lock. */
	debugfs_remove_recursive(dev->dir);
	for (i = 0; i < dev->nr_irqs; i++)
		if (!dev->managed[i])
			irq_update_affinity_hint(dev->irqs[i], NULL);
	dhp_rb_free(dev);
	return 0;
}
EXPORT_SYMBOL_GPL(dhp_unregister_rebalance);

void dhp_rebalance_module_gone(struct module *mod)
{
	struct dhp_rb_device *d, *left;

	do {
		left = NULL;
		mutex_lock(&dhp_rb_lock);
		list_for_each_entry(d, &dhp_rb_devices, node) {
			if (d->owner == mod) {
				left = d;
				dhp_report_left_registered("rebalance", mod,
							   d->id, d->ops);
				break;
			}
		}
		mutex_unlock(&dhp_rb_lock);
	} while (left && !dhp_unregister_rebalance(left));
}

static int dhp_rb_stats_show(struct seq_file *m, void *v)
{
	struct dhp_rb_device *d;
	unsigned int n = 0;

	mutex_lock(&dhp_rb_lock);
	list_for_each_entry(d, &dhp_rb_devices, node)
		n++;
	seq_printf(m, "devices %u\nrounds %lu\nrequests %lu\ncoalesced %lu\nhint_only %d\n",
		   n, dhp_rb_rounds, atomic_long_read(&dhp_rb_requests),
		   atomic_long_read(&dhp_rb_coalesced),
		   READ_ONCE(rebalance_hint_only));
	mutex_unlock(&dhp_rb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_rb_stats);

/* Any write asks for a round now, e.g. after changing a policy. */
static ssize_t dhp_rb_trigger_write(struct file *file, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	dhp_rb_request();
	return len;
}

static const struct file_operations dhp_rb_trigger_fops = {
	.owner = THIS_MODULE,
	.write = dhp_rb_trigger_write,
};

/*
 * hint_only reads Y or N, as a debugfs bool would; unlike one, a write of
 * anything but a boolean fails (debugfs_write_file_bool() returns success
 * for garbage and keeps the value).
 */
static ssize_t dhp_rb_hint_only_read(struct file *file, char __user *ubuf,
				     size_t len, loff_t *ppos)
{
	char buf[2] = { READ_ONCE(rebalance_hint_only) ? 'Y' : 'N', '\n' };

	return simple_read_from_buffer(ubuf, len, ppos, buf, sizeof(buf));
}

static ssize_t dhp_rb_hint_only_write(struct file *file,
				      const char __user *ubuf, size_t len,
				      loff_t *ppos)
{
	char buf[8];
	bool v;

	if (!len || len >= sizeof(buf))
		goto bad;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (strlen(buf) != len || dhp_rb_parse_bool(buf, &v))
		goto bad;
	WRITE_ONCE(rebalance_hint_only, v);
	return len;
bad:
	pr_err_ratelimited("rebalance/hint_only: want " DHP_RB_BOOLS "\n");
	return -EINVAL;
}

static const struct file_operations dhp_rb_hint_only_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = dhp_rb_hint_only_read,
	.write = dhp_rb_hint_only_write,
	.llseek = default_llseek,
};

static void dhp_rb_free_scratch(void)
{
	kfree(dhp_rb_cpus);
	kfree(dhp_rb_order);
	free_cpumask_var(dhp_rb_allowed);
	free_cpumask_var(dhp_rb_default);
}

int dhp_rebalance_init(void)
{
	INIT_DELAYED_WORK(&dhp_rb_watch.work, dhp_rb_stalled);
	dhp_rb_cpus = kcalloc(nr_cpu_ids, sizeof(*dhp_rb_cpus), GFP_KERNEL);
	dhp_rb_order = kcalloc(nr_cpu_ids, sizeof(*dhp_rb_order), GFP_KERNEL);
	if (!dhp_rb_cpus || !dhp_rb_order ||
	    !zalloc_cpumask_var(&dhp_rb_allowed, GFP_KERNEL) ||
	    !zalloc_cpumask_var(&dhp_rb_default, GFP_KERNEL))
		goto nomem;
	dhp_rb_dir = debugfs_create_dir("rebalance", dhp_debugfs);
	debugfs_create_file("stats", 0400, dhp_rb_dir, NULL,
			    &dhp_rb_stats_fops);
	debugfs_create_file("trigger", 0200, dhp_rb_dir, NULL,
			    &dhp_rb_trigger_fops);
	debugfs_create_file("hint_only", 0600, dhp_rb_dir, NULL,
			    &dhp_rb_hint_only_fops);
	dhp_rb_events = dhp_register_event_callback(dhp_rb_event, NULL,
						    DHP_EV_PROCESSOR);
	if (!IS_ERR(dhp_rb_events)) {
		register_pm_notifier(&dhp_rb_pm_nb);
		return 0;
	}
	debugfs_remove_recursive(dhp_rb_dir);
	dhp_rb_free_scratch();
	return PTR_ERR(dhp_rb_events);
nomem:
	dhp_rb_free_scratch();
	return -ENOMEM;
}

/* Devices hold references on dhp.ko: the list is empty here. */
void dhp_rebalance_exit(void)
{
	unregister_pm_notifier(&dhp_rb_pm_nb);
	if (!IS_ERR_OR_NULL(dhp_rb_events))
		dhp_unregister_event_callback(dhp_rb_events);
	cancel_work_sync(&dhp_rb_work);
	dhp_rb_free_scratch();
}
