// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_rebalance: resource rebalance when CPUs come and go (Windows' Plug and
 * Play resource rebalance: query-stop, stop, new resources, start). Linux
 * restores only managed IRQs after hotplug and irqbalance rescans every
 * 10 s; dhp moves the IRQs of the devices that take part at once.
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
 * callback. Its workqueue, dhp_rb_wq, is dhp's own, ordered and freezable:
 * a driver operation may block long, or flush a system workqueue, and
 * holds up no one else's work. Events that come while a round runs
 * re-queue the work once, so they coalesce into one next round. IRQs whose
 * affinity is not dhp's to set are left alone (dhp_rb_irq_kept()).
 *
 * Locking: dhp_rb_lock (mutex) protects the device list, each device's
 * targets and counters, and is held for the whole round, so driver
 * operations of different devices never overlap and unregistration waits
 * for a round in progress. The sysfs files never take it (a round may wait
 * long on a driver, a read must not): they read the counters with
 * READ_ONCE(), which the round writes with WRITE_ONCE(), and the policy,
 * which a sysfs write sets with WRITE_ONCE() and a round reads once per
 * device.
 *
 * sysfs, /sys/kernel/dhp/rebalance/ (Documentation/ABI/testing/
 * sysfs-kernel-dhp-rebalance): trigger, and a directory per device, a
 * kobject embedded in its struct dhp_rb_device, named after the device:
 * "<bus>:<dev_name>" (the class instead of a bus, dev_name alone with
 * neither), since dev_name is unique only within a bus or class. Lifetime:
 * the kobject's release frees the device; registration holds the initial
 * reference and a reference on the struct device; unregistration takes the
 * device off the list, then kobject_del(), which removes the directory and
 * waits for the show() and store() calls in progress (kernfs drains them),
 * so none runs or starts after it; then drops both references. A show()
 * or store() thus always finds its device allocated.
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
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/kobject.h>
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
#include <linux/sysfs.h>
#include <linux/topology.h>
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
		 "set IRQ affinity hints only and leave affinity to irqbalance (default: set both); applies from the next device a round reaches");

struct dhp_rb_device {
	struct dhp_client cl;		/* in dhp_rb_set; ids from 0 */
	struct kobject kobj;		/* its sysfs directory; see the top */
	struct device *dev;		/* referenced while registered */
	char *name;			/* "<bus>:<dev_name>", see the top */
	enum dhp_rb_class class;
	enum dhp_rb_policy policy;	/* WRITE_ONCE() by sysfs */
	int numa_node;
	const struct dhp_rb_ops *ops;
	void *context;
	struct dentry *dir;
	unsigned int nr_irqs;
	unsigned int *irqs;
	unsigned int *targets;		/* the last spread, one CPU per IRQ */
	int *hint_cpu;			/* the hint dhp set, or -1 for none */
	unsigned long rounds, skipped, refusals, queued_total;
	unsigned int last_queued;
	u64 last_stall_ns, max_stall_ns;
	int last_err;
};

static DEFINE_MUTEX(dhp_rb_lock);
DHP_DEFINE_CLIENT_SET(dhp_rb_set, "rebalance", &dhp_rb_lock,
		      struct dhp_rb_device, dhp_unregister_rebalance, 0);

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
static struct kobject *dhp_rb_kobj;	/* /sys/kernel/dhp/rebalance */
static struct dhp_event_client *dhp_rb_events;

static void dhp_rb_round(struct work_struct *work);
static DECLARE_WORK(dhp_rb_work, dhp_rb_round);
static struct workqueue_struct *dhp_rb_wq;

static const char *const dhp_rb_policies[] = {
	[DHP_RB_POLICY_DEFAULT]		= "default",
	[DHP_RB_POLICY_PARTICIPATE]	= "participate",
	[DHP_RB_POLICY_OPT_OUT]		= "opt-out",
};

static bool dhp_rb_participates(const struct dhp_rb_device *d)
{
	enum dhp_rb_policy policy = READ_ONCE(d->policy);

	if (policy == DHP_RB_POLICY_DEFAULT)
		return d->class != DHP_RB_CLASS_NET;
	return policy == DHP_RB_POLICY_PARTICIPATE;
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
 * Whether IRQ @irq is not dhp's to move: managed (the kernel keeps its
 * affinity across hotplug), per-CPU, or requested with IRQF_NOBALANCING
 * (its driver places it; /proc/irq and irqbalance leave it alone too,
 * though irq_set_affinity() would not refuse). Asked at every round, as
 * the IRQ may be requested after dhp_register_rebalance().
 */
static bool dhp_rb_irq_kept(unsigned int irq)
{
	struct irq_data *data = irq_get_irq_data(irq);

	return !data || irqd_affinity_is_managed(data) ||
	       !irqd_can_balance(data);
}

/*
 * Spreads @d's IRQs over dhp_rb_allowed: each CPU with its distance from
 * the device's node and its rank among its allowed SMT siblings
 * (topology_sibling_cpumask()). dhp_rb_lock held.
 */
static void dhp_rb_apply(struct dhp_rb_device *d, struct dhp_spread_cpu *cpus)
{
	/* Read once: a write during the round never splits a device. */
	bool hint_only = READ_ONCE(rebalance_hint_only);
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
	dhp_spread(d->nr_irqs, cpus, n, (unsigned int)d->cl.id * d->nr_irqs, dhp_rb_order,
		   d->targets);

	/*
	 * The hint is cpumask_of(): the IRQ core keeps the pointer, and
	 * /proc/irq/N/affinity_hint reads it without dhp's lock, so the
	 * mask must never change under it nor go away.
	 */
	d->last_err = 0;
	for (i = 0; i < d->nr_irqs; i++) {
		if (dhp_rb_irq_kept(d->irqs[i]))
			continue;
		if (!hint_only) {
			err = irq_set_affinity(d->irqs[i],
					       cpumask_of(d->targets[i]));
			if (err) {
				d->last_err = err;
				pr_warn_ratelimited("%s: IRQ %u to CPU %u: %d\n",
						    d->name, d->irqs[i],
						    d->targets[i], err);
			}
		}
		irq_update_affinity_hint(d->irqs[i], cpumask_of(d->targets[i]));
		d->hint_cpu[i] = d->targets[i];
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

	lockdep_assert_held(&dhp_rb_lock);
	dhp_rb_watch_start(d, "query_stop");
	ret = d->ops->query_stop(d->context);
	dhp_rb_watch_stop();
	if (ret) {
		WRITE_ONCE(d->refusals, d->refusals + 1);
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
	WRITE_ONCE(d->rounds, d->rounds + 1);
	trace_dhp_rebalance(d->name, DHP_RB_TRACE_STARTED, d->last_queued);
}

static void dhp_rb_round(struct work_struct *work)
{
	struct dhp_rb_device *d;

	mutex_lock(&dhp_rb_lock);
	dhp_rb_allowed_now();
	list_for_each_entry(d, &dhp_rb_set.list, cl.node) {
		if (dhp_rb_participates(d))
			dhp_rb_device_round(d, dhp_rb_cpus);
		else
			WRITE_ONCE(d->skipped, d->skipped + 1);
		cond_resched();
	}
	dhp_rb_rounds++;	/* counted when done: readers see the result */
	mutex_unlock(&dhp_rb_lock);
}

static void dhp_rb_request(void)
{
	/* Pending already: this event joins the next round. */
	if (!queue_work(dhp_rb_wq, &dhp_rb_work))
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

/* Checks what does not need the lock; returns a message or NULL. */
static const char *dhp_rb_check(struct device *dev,
				const struct dhp_rb_device_info *info)
{
	unsigned int i, j;
	int node;

	if (!dev)
		return "NULL device";
	/* its directory is the target of the device link */
	if (!device_is_registered(dev))
		return "the device is not in sysfs (device_add()) yet";
	/* the spread reads node_distance() of it */
	node = dev_to_node(dev);
	if (node != NUMA_NO_NODE &&
	    (node < 0 || node >= nr_node_ids || !node_possible(node)))
		return "the device's node is neither NUMA_NO_NODE nor a possible node";
	if (!info)
		return "NULL info";
	if (info->class > DHP_RB_CLASS_NET)
		return "unknown class";
	if (info->policy > DHP_RB_POLICY_OPT_OUT)
		return "unknown policy";
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

/*
 * Whether a registered device has @d's name or one of its IRQs, or the
 * name is a file's of rebalance/ (a device without bus or class could be
 * called "trigger"); says which. dhp_rb_lock held.
 */
static int dhp_rb_conflict(const struct dhp_rb_device *d)
{
	static const char *const files[] = { "trigger", "stats" };
	const struct dhp_rb_device *o;
	unsigned int i, j;

	lockdep_assert_held(&dhp_rb_lock);
	if (match_string(files, ARRAY_SIZE(files), d->name) >= 0) {
		pr_err("register rebalance %s: the name of a file in rebalance/\n",
		       d->name);
		return -EEXIST;
	}
	list_for_each_entry(o, &dhp_rb_set.list, cl.node) {
		if (!strcmp(o->name, d->name)) {
			pr_err("register rebalance %s: %s\n", d->name,
			       o->dev == d->dev ? "the device is registered already" :
			       "another device without bus or class has the name");
			return -EEXIST;
		}
		for (i = 0; i < o->nr_irqs; i++)
			for (j = 0; j < d->nr_irqs; j++)
				if (o->irqs[i] == d->irqs[j]) {
					pr_err("register rebalance %s: IRQ %u belongs to %s\n",
					       d->name, d->irqs[j], o->name);
					return -EBUSY;
				}
	}
	return 0;
}

static struct dhp_rb_device *to_dhp_rb(struct kobject *kobj)
{
	return container_of(kobj, struct dhp_rb_device, kobj);
}

/* The kobject's release: the last reference is gone (see the top). */
static void dhp_rb_release(struct kobject *kobj)
{
	struct dhp_rb_device *d = to_dhp_rb(kobj);

	kfree(d->hint_cpu);
	kfree(d->irqs);
	kfree(d->targets);
	kfree(d->name);
	put_device(d->dev);
	dhp_obj_count(DHP_OBJ_RB_DEVICE, false);
	kfree(d);
}

/*
 * A sysfs write that must be one of @words, with an optional newline;
 * its index, or -EINVAL. A NUL inside would end the string early
 * ("default\0junk"): refused.
 */
static int dhp_rb_word(const char *buf, size_t len,
		       const char *const *words, size_t n)
{
	return strlen(buf) == len ? __sysfs_match_string(words, n, buf) :
				    -EINVAL;
}

static ssize_t dhp_rb_policy_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  dhp_rb_policies[READ_ONCE(to_dhp_rb(kobj)->policy)]);
}

/* Applies from the next round; a write to trigger asks for one now. */
static ssize_t dhp_rb_policy_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t len)
{
	struct dhp_rb_device *d = to_dhp_rb(kobj);
	int p = dhp_rb_word(buf, len, dhp_rb_policies,
			    ARRAY_SIZE(dhp_rb_policies));

	if (p < 0) {
		pr_err_ratelimited("%s: policy: '%*pE' is not default, participate or opt-out\n",
				   d->name, (int)min_t(size_t, len, 32), buf);
		return -EINVAL;
	}
	WRITE_ONCE(d->policy, p);
	return len;
}

static ssize_t dhp_rb_class_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_dhp_rb(kobj)->class ==
			  DHP_RB_CLASS_NET ? "net" : "other");
}

static ssize_t dhp_rb_resolved_policy_show(struct kobject *kobj,
					   struct kobj_attribute *attr,
					   char *buf)
{
	return sysfs_emit(buf, "%s\n", dhp_rb_participates(to_dhp_rb(kobj)) ?
			  "participate" : "opt-out");
}

static ssize_t dhp_rb_node_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_dhp_rb(kobj)->numa_node);
}

static ssize_t dhp_rb_last_error_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_dhp_rb(kobj)->last_err));
}

/* static DHP_RB_ATTR_RO(x): the 0444 file x, shown by dhp_rb_x_show() */
#define DHP_RB_ATTR_RO(_name)						\
	struct kobj_attribute dhp_rb_attr_##_name =			\
		__ATTR(_name, 0444, dhp_rb_##_name##_show, NULL)

/* The file of a counter of the device, written by the rounds. */
#define DHP_RB_COUNTER(_name)						\
static ssize_t dhp_rb_##_name##_show(struct kobject *kobj,		\
				     struct kobj_attribute *attr, char *buf) \
{									\
	return sysfs_emit(buf, "%lu\n", READ_ONCE((*to_dhp_rb(kobj))._name)); \
}									\
static struct kobj_attribute dhp_rb_attr_##_name = {			\
	.attr = { .name = #_name, .mode = 0444 },			\
	.show = dhp_rb_##_name##_show,					\
}

DHP_RB_COUNTER(rounds);
DHP_RB_COUNTER(skipped);
DHP_RB_COUNTER(refusals);
static DHP_RB_ATTR_RO(class);
static DHP_RB_ATTR_RO(resolved_policy);
static DHP_RB_ATTR_RO(node);
static DHP_RB_ATTR_RO(last_error);
static struct kobj_attribute dhp_rb_attr_policy =
	__ATTR(policy, 0644, dhp_rb_policy_show, dhp_rb_policy_store);

static struct attribute *dhp_rb_dev_attrs[] = {
	&dhp_rb_attr_policy.attr,
	&dhp_rb_attr_class.attr,
	&dhp_rb_attr_resolved_policy.attr,
	&dhp_rb_attr_node.attr,
	&dhp_rb_attr_rounds.attr,
	&dhp_rb_attr_skipped.attr,
	&dhp_rb_attr_refusals.attr,
	&dhp_rb_attr_last_error.attr,
	NULL
};
ATTRIBUTE_GROUPS(dhp_rb_dev);

static const struct kobj_type dhp_rb_ktype = {
	.release = dhp_rb_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = dhp_rb_dev_groups,
};

/* Everything but the sysfs and debugfs entries; NULL without memory. */
static struct dhp_rb_device *dhp_rb_alloc(struct device *dev,
					  const struct dhp_rb_device_info *info)
{
	const char *subsys = dev_bus_name(dev);
	unsigned int i, n = info->nr_irqs;
	struct dhp_rb_device *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	/* from here on kobject_put() frees it, whatever is allocated */
	kobject_init(&d->kobj, &dhp_rb_ktype);
	dhp_obj_count(DHP_OBJ_RB_DEVICE, true);
	d->dev = get_device(dev);
	d->nr_irqs = n;
	d->name = *subsys ? kasprintf(GFP_KERNEL, "%s:%s", subsys, dev_name(dev)) :
			    kstrdup(dev_name(dev), GFP_KERNEL);
	d->irqs = kmemdup(info->irqs, n * sizeof(*d->irqs), GFP_KERNEL);
	d->targets = kcalloc(n, sizeof(*d->targets), GFP_KERNEL);
	d->hint_cpu = kmalloc_array(n, sizeof(*d->hint_cpu), GFP_KERNEL);
	if (!d->name || !d->irqs || !d->targets || !d->hint_cpu)
		goto fail;
	for (i = 0; i < n; i++)
		d->hint_cpu[i] = -1;
	d->class = info->class;
	d->policy = info->policy;
	d->numa_node = dev_to_node(dev);
	d->ops = info->ops;
	d->context = info->context;
	return d;
fail:
	kobject_put(&d->kobj);
	return NULL;
}

static int dhp_rb_info_show(struct seq_file *m, void *v)
{
	struct dhp_rb_device *d = m->private;
	struct irq_data *data;
	unsigned int i;

	mutex_lock(&dhp_rb_lock);
	seq_printf(m, "id %llu\nclass %s\npolicy %s\nresolved %s\nnode %d\n",
		   d->cl.id, d->class == DHP_RB_CLASS_NET ? "net" : "other",
		   dhp_rb_policies[READ_ONCE(d->policy)],
		   dhp_rb_participates(d) ? "participate" : "opt-out",
		   d->numa_node);
	seq_printf(m, "rounds %lu\nskipped %lu\nrefusals %lu\nlast_stall_us %llu\nmax_stall_us %llu\nlast_queued %u\nqueued_total %lu\nlast_err %d\n",
		   d->rounds, d->skipped, d->refusals,
		   d->last_stall_ns / 1000, d->max_stall_ns / 1000,
		   d->last_queued, d->queued_total, d->last_err);
	seq_puts(m, "# irq hint effective kept\n");
	for (i = 0; i < d->nr_irqs; i++) {
		data = irq_get_irq_data(d->irqs[i]);
		seq_printf(m, "irq %u %*pbl %*pbl %d\n", d->irqs[i],
			   cpumask_pr_args(d->hint_cpu[i] < 0 ? cpu_none_mask :
					   cpumask_of(d->hint_cpu[i])),
			   cpumask_pr_args(irq_data_get_effective_affinity_mask(data)),
			   dhp_rb_irq_kept(d->irqs[i]));
	}
	mutex_unlock(&dhp_rb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_rb_info);

/*
 * The sysfs directory with its device link, and the debugfs one; before
 * the device is listed, so that no round nor unregistration sees it
 * without. dhp_rb_lock held: no other registration takes the name meanwhile.
 */
static int dhp_rb_add(struct dhp_rb_device *d)
{
	int err;

	lockdep_assert_held(&dhp_rb_lock);
	err = kobject_add(&d->kobj, dhp_rb_kobj, "%s", d->name);
	if (!err)
		err = sysfs_create_link(&d->kobj, &d->dev->kobj, "device");
	if (err) {
		pr_err("register rebalance %s: sysfs: %d\n", d->name, err);
		return err;
	}
	d->dir = debugfs_create_dir(d->name, dhp_rb_dir);
	debugfs_create_file("info", 0444, d->dir, d, &dhp_rb_info_fops);
	return 0;
}

static struct dhp_rb_device *dhp_rb_register(struct device *dev,
					     const struct dhp_rb_device_info *info,
					     struct module *owner,
					     const void *caller)
{
	const char *why = dhp_rb_check(dev, info);
	struct dhp_rb_device *d;
	int err = -EINVAL;

	if (!why && (current_work() == &dhp_rb_work || dhp_in_sync_callback())) {
		why = "called from a rebalance operation or a dhp callback, would deadlock";
		err = -EDEADLK;
	}
	if (why) {
		pr_err("register rebalance %s: %s (from %pS)\n",
		       dev ? dev_name(dev) : "?", why, caller);
		return ERR_PTR(err);
	}
	d = dhp_rb_alloc(dev, info);
	if (!d)
		return ERR_PTR(-ENOMEM);

	mutex_lock(&dhp_rb_lock);
	err = dhp_rb_conflict(d);
	if (!err)
		err = dhp_rb_add(d);
	if (!err)
		dhp_client_add(&dhp_rb_set, &d->cl, owner, d->ops);
	mutex_unlock(&dhp_rb_lock);
	if (err) {
		/* removes what dhp_rb_add() made of sysfs, frees @d */
		kobject_put(&d->kobj);
		return ERR_PTR(err);
	}
	return d;
}

/**
 * __dhp_register_rebalance() - take part in resource rebalance
 * @dev: the device: registered (device_add()), it gives the name, the
 *	NUMA node preferred for the IRQs (dev_to_node()) and the target of
 *	the link /sys/kernel/dhp/rebalance/<name>/device. dhp holds a
 *	reference on it until unregistration.
 * @info: the rest; copied, need not outlive the call.
 * @owner: the calling module; dhp_register_rebalance() passes THIS_MODULE.
 *
 * From now on, every CPU arrival or removal gives the device a round (if
 * its policy resolves to participate): query_stop, stop, its IRQs spread
 * over the online CPUs, start. No round runs for it before the next CPU
 * event (or a write to /sys/kernel/dhp/rebalance/trigger).
 *
 * The name of its directory in /sys/kernel/dhp/rebalance/ (and in debugfs
 * dhp/rebalance/) is "<bus>:<dev_name>", e.g. "pci:0000:00:04.0", since a
 * dev_name is unique only on its bus: the class stands for the bus of a
 * device that has none, and dev_name alone is the name of one that has
 * neither. Registering one device twice, or two devices of one name
 * without bus or class, fails with -EEXIST.
 *
 * Call it after request_irq() of the IRQs in @info, and
 * dhp_unregister_rebalance() before free_irq().
 *
 * Context: process context, may sleep: waits for a round in progress. Not
 * from a rebalance operation nor from a synchronous dhp callback, which
 * holds the CPU hotplug lock that a driver's operations may wait for
 * (-EDEADLK).
 *
 * Return: a handle for dhp_unregister_rebalance(), or an ERR_PTR():
 * -EINVAL for a bad @dev or @info (with a message saying what), -EEXIST
 * for a name in use, -EBUSY for an IRQ another device registered,
 * -EDEADLK, -ENOMEM.
 */
struct dhp_rb_device *__dhp_register_rebalance(struct device *dev,
					       const struct dhp_rb_device_info *info,
					       struct module *owner)
{
	return dhp_rb_register(dev, info, owner, __builtin_return_address(0));
}
EXPORT_SYMBOL_GPL(__dhp_register_rebalance);

static void dhp_rb_devm_unregister(void *rb)
{
	dhp_unregister_rebalance(rb);
}

/**
 * __devm_dhp_register_rebalance() - take part in resource rebalance while
 *	@dev is bound to its driver
 * @dev: the device being probed; see __dhp_register_rebalance().
 * @info: as for __dhp_register_rebalance().
 * @owner: the calling module; devm_dhp_register_rebalance() passes
 *	THIS_MODULE.
 *
 * As __dhp_register_rebalance(), and dhp_unregister_rebalance() runs as a
 * devm action of @dev: when its driver unbinds, or its probe fails later.
 * devm runs the actions in the reverse order of their setup, so the rule
 * is: call this after devm_request_irq() of every IRQ in @info (dhp refuses
 * IRQs without a handler, so the order cannot be the other way round for
 * them) and after the devm setup of everything @info's operations use;
 * then dhp unregisters the device, and no operation of it runs any more,
 * before any of those is released, the IRQs (whose affinity hints dhp
 * clears first) included. Only for devm-managed IRQs: remove() runs before
 * the devm actions, so a driver that calls free_irq() there must use the
 * plain pair. Do not pass the handle to dhp_unregister_rebalance().
 *
 * Context: process context (a probe), may sleep; as
 * __dhp_register_rebalance().
 * Return: the handle, or an ERR_PTR() as __dhp_register_rebalance()
 * returns (-ENOMEM also when the devm action cannot be set up; the device
 * is unregistered then).
 */
struct dhp_rb_device *__devm_dhp_register_rebalance(struct device *dev,
						    const struct dhp_rb_device_info *info,
						    struct module *owner)
{
	struct dhp_rb_device *rb;
	int err;

	rb = dhp_rb_register(dev, info, owner, __builtin_return_address(0));
	if (IS_ERR(rb))
		return rb;
	err = devm_add_action_or_reset(dev, dhp_rb_devm_unregister, rb);
	return err ? ERR_PTR(err) : rb;
}
EXPORT_SYMBOL_GPL(__devm_dhp_register_rebalance);

/**
 * dhp_unregister_rebalance() - leave resource rebalance
 * @rb: a handle from dhp_register_rebalance().
 *
 * Waits for a round in progress; when it returns no operation of the
 * device runs or will run, its sysfs and debugfs directories are gone (no
 * read or write of them runs or will run), dhp has cleared the affinity
 * hints it set (call it before free_irq()) and dropped its reference on
 * the struct device. The IRQs keep their affinity.
 *
 * Context: process context, may sleep: waits for a round in progress,
 * whose driver operations may wait for CPU hotplug, so not from a CPU
 * hotplug callback nor with cpus_read_lock() held.
 * Return: 0; -EINVAL for NULL; -EDEADLK from a rebalance operation or a
 * synchronous dhp callback;
 * -ENOENT (with a warning) for a handle that is not registered.
 */
int dhp_unregister_rebalance(struct dhp_rb_device *rb)
{
	bool found;
	unsigned int i;

	if (!rb) {
		pr_err("unregister rebalance: NULL handle\n");
		return -EINVAL;
	}
	if (current_work() == &dhp_rb_work || dhp_in_sync_callback()) {
		pr_err("unregister rebalance: called from a rebalance operation or a dhp callback, would deadlock\n");
		return -EDEADLK;
	}
	mutex_lock(&dhp_rb_lock);
	found = dhp_client_take(&dhp_rb_set, &rb->cl,
				__builtin_return_address(0));
	mutex_unlock(&dhp_rb_lock);
	if (!found)
		return -ENOENT;
	/* Waits for the sysfs show() and store() in progress; none after. */
	kobject_del(&rb->kobj);
	/* Waits for readers of the files, which take dhp_rb_lock. */
	debugfs_remove_recursive(rb->dir);
	for (i = 0; i < rb->nr_irqs; i++)
		if (rb->hint_cpu[i] >= 0)
			irq_update_affinity_hint(rb->irqs[i], NULL);
	kobject_put(&rb->kobj);		/* the last reference: frees it */
	return 0;
}
EXPORT_SYMBOL_GPL(dhp_unregister_rebalance);

static int dhp_rb_stats_show(struct seq_file *m, void *v)
{
	mutex_lock(&dhp_rb_lock);
	seq_printf(m, "devices %u\nrounds %lu\nrequests %lu\ncoalesced %lu\nhint_only %d\n",
		   dhp_rb_set.nr, dhp_rb_rounds, atomic_long_read(&dhp_rb_requests),
		   atomic_long_read(&dhp_rb_coalesced),
		   READ_ONCE(rebalance_hint_only));
	mutex_unlock(&dhp_rb_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_rb_stats);

/* "1" asks for a round now, e.g. after changing a policy. */
static ssize_t dhp_rb_trigger_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t len)
{
	static const char *const one[] = { "1" };

	if (dhp_rb_word(buf, len, one, ARRAY_SIZE(one)) < 0) {
		pr_err_ratelimited("rebalance/trigger: '%*pE': write 1\n",
				   (int)min_t(size_t, len, 32), buf);
		return -EINVAL;
	}
	dhp_rb_request();
	return len;
}

static struct kobj_attribute dhp_rb_attr_trigger =
	__ATTR(trigger, 0200, NULL, dhp_rb_trigger_store);

/* What init allocates; after the last round (cancel_work_sync()). */
static void dhp_rb_free(void)
{
	if (dhp_rb_wq)
		destroy_workqueue(dhp_rb_wq);
	kfree(dhp_rb_cpus);
	kfree(dhp_rb_order);
	free_cpumask_var(dhp_rb_allowed);
	free_cpumask_var(dhp_rb_default);
}

int dhp_rebalance_init(void)
{
	int err = -ENOMEM;

	INIT_DELAYED_WORK(&dhp_rb_watch.work, dhp_rb_stalled);
	dhp_rb_wq = alloc_ordered_workqueue("dhp_rebalance", WQ_FREEZABLE);
	dhp_rb_cpus = kcalloc(nr_cpu_ids, sizeof(*dhp_rb_cpus), GFP_KERNEL);
	dhp_rb_order = kcalloc(nr_cpu_ids, sizeof(*dhp_rb_order), GFP_KERNEL);
	dhp_rb_kobj = kobject_create_and_add("rebalance", dhp_kobj);
	if (!dhp_rb_wq || !dhp_rb_cpus || !dhp_rb_order || !dhp_rb_kobj ||
	    !zalloc_cpumask_var(&dhp_rb_allowed, GFP_KERNEL) ||
	    !zalloc_cpumask_var(&dhp_rb_default, GFP_KERNEL))
		goto fail;
	dhp_client_set_add(&dhp_rb_set);
	dhp_rb_dir = debugfs_create_dir("rebalance", dhp_debugfs);
	debugfs_create_file("stats", 0444, dhp_rb_dir, NULL,
			    &dhp_rb_stats_fops);
	/*
	 * What asks for rounds comes last, each undone before what it needs:
	 * a round may be queued from the first of them on.
	 */
	dhp_rb_events = dhp_register_event_callback(dhp_rb_event, NULL,
						    DHP_EV_PROCESSOR);
	if (IS_ERR(dhp_rb_events)) {
		err = PTR_ERR(dhp_rb_events);
		goto fail_dir;
	}
	err = sysfs_create_file(dhp_rb_kobj, &dhp_rb_attr_trigger.attr);
	if (err)
		goto fail_events;
	register_pm_notifier(&dhp_rb_pm_nb);
	return 0;

fail_events:
	dhp_unregister_event_callback(dhp_rb_events);
	cancel_work_sync(&dhp_rb_work);
fail_dir:
	debugfs_remove_recursive(dhp_rb_dir);
fail:
	kobject_put(dhp_rb_kobj);
	dhp_rb_free();
	return err;
}

/*
 * Devices hold references on dhp.ko: the list is empty here. What asks
 * for rounds goes first, trigger included (its removal waits for a write
 * in progress), then the round pending.
 */
void dhp_rebalance_exit(void)
{
	kobject_put(dhp_rb_kobj);
	unregister_pm_notifier(&dhp_rb_pm_nb);
	if (!IS_ERR_OR_NULL(dhp_rb_events))
		dhp_unregister_event_callback(dhp_rb_events);
	cancel_work_sync(&dhp_rb_work);
	dhp_rb_free();
}
