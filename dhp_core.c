// SPDX-License-Identifier: GPL-2.0
/*
 * dhp core: module init and exit, the debugfs root, the event log, and
 * what the APIs share: the client lifecycle and the marker of a task inside
 * a synchronous callback. It calls no other file but their init and exit.
 *
 * The event log is a ring of fixed-size records written from the hotplug
 * paths and from (un)registration, all in process context. When the ring is
 * full the oldest record is overwritten and counted, so a reader always sees
 * how much history it missed. Writers and readers hold dhp_log_lock (IRQs
 * off) for one record each.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "dhp_internal.h"

#define CREATE_TRACE_POINTS
#include "dhp_trace.h"

#define DHP_LOG_MIN	16
#define DHP_LOG_MAX	65536

static unsigned int log_size = 256;

static DEFINE_RATELIMIT_STATE(dhp_param_rs, DEFAULT_RATELIMIT_INTERVAL,
			      DEFAULT_RATELIMIT_BURST);

void dhp_param_err(const struct kernel_param *kp, const char *fmt, ...)
{
	bool live = kp->mod && kp->mod->state == MODULE_STATE_LIVE;
	struct va_format vaf;
	va_list args;

	if (live && !__ratelimit(&dhp_param_rs))
		return;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (live)
		pr_warn("%pV", &vaf);
	else
		pr_err("%pV", &vaf);
	va_end(args);
}

/*
 * Parses @val for the unsigned int module parameter @kp into @out if it is a
 * number in [@min, @max]; else -EINVAL with a message naming @kp.
 */
int dhp_param_parse_uint(const char *val, const struct kernel_param *kp,
			 unsigned int min, unsigned int max, unsigned int *out)
{
	/* sysfs hands over up to a page, of anything: quote a little */
	if (kstrtouint(val, 0, out) || *out < min || *out > max) {
		dhp_param_err(kp, "%s: '%*pE' is not a number in [%u, %u]\n",
			      kp->name, (int)strnlen(val, 64), val, min, max);
		return -EINVAL;
	}
	return 0;
}

/* Sets a load-time (0444) unsigned int parameter: parsed as above. */
int dhp_param_set_uint(const char *val, const struct kernel_param *kp,
		       unsigned int min, unsigned int max)
{
	unsigned int n;
	int ret = dhp_param_parse_uint(val, kp, min, max, &n);

	if (!ret)
		*(unsigned int *)kp->arg = n;
	return ret;
}

static int log_size_set(const char *val, const struct kernel_param *kp)
{
	return dhp_param_set_uint(val, kp, DHP_LOG_MIN, DHP_LOG_MAX);
}

static const struct kernel_param_ops log_size_ops = {
	.set = log_size_set,
	.get = param_get_uint,
};

module_param_cb(log_size, &log_size_ops, &log_size, 0444);
MODULE_PARM_DESC(log_size, "event log entries kept, 16..65536 (default 256)");

struct dhp_log_entry {
	u64 seq;
	u64 ns;
	u64 client;
	u64 arg;
	int cpu;
	int err;
	enum dhp_log_type type;
};

/* The ring: dhp_log_lock protects all four; writers may be any process. */
static DEFINE_SPINLOCK(dhp_log_lock);
static struct dhp_log_entry *dhp_log_ring;
static unsigned int dhp_log_len;
static u64 dhp_log_next;	/* sequence number of the next record */

static const char *const dhp_log_names[DHP_LOG_NR_TYPES] = {
	[DHP_LOG_CPU_ADD_START]		= "cpu-add-start",
	[DHP_LOG_CPU_VETO]		= "cpu-veto",
	[DHP_LOG_CPU_ADD_COMPLETE]	= "cpu-add-complete",
	[DHP_LOG_CPU_ADD_FAILURE]	= "cpu-add-failure",
	[DHP_LOG_CPU_REMOVE_START]	= "cpu-remove-start",
	[DHP_LOG_CPU_REMOVE_COMPLETE]	= "cpu-remove-complete",
	[DHP_LOG_CPU_REMOVE_FAILURE]	= "cpu-remove-failure",
	[DHP_LOG_CPU_REGISTER]		= "cpu-register",
	[DHP_LOG_CPU_REPLAY]		= "cpu-replay",
	[DHP_LOG_CPU_UNREGISTER]	= "cpu-unregister",
	[DHP_LOG_EV_REGISTER]		= "event-register",
	[DHP_LOG_EV_UNREGISTER]		= "event-unregister",
	[DHP_LOG_EV_RESERVE_FAIL]	= "event-reserve-failed",
	[DHP_LOG_HIGH_MEMORY]		= "high-memory",
};

/**
 * dhp_log() - append a record to the event log
 * @type: what happened
 * @cpu: the CPU concerned, or -1
 * @client: the client id concerned, or 0
 * @arg: a number whose meaning depends on @type
 * @err: an errno, or 0
 *
 * Context: any; takes a spinlock with interrupts disabled.
 */
void dhp_log(enum dhp_log_type type, int cpu, u64 client, u64 arg, int err)
{
	struct dhp_log_entry *e;
	unsigned long flags;

	spin_lock_irqsave(&dhp_log_lock, flags);
	e = &dhp_log_ring[dhp_log_next % dhp_log_len];
	e->seq = dhp_log_next++;
	e->ns = ktime_get_ns();
	e->type = type;
	e->cpu = cpu;
	e->client = client;
	e->arg = arg;
	e->err = err;
	spin_unlock_irqrestore(&dhp_log_lock, flags);
}

/*
 * Reading the log copies one record at a time under the lock, so a reader
 * never keeps interrupts off for longer than one copy, however large the
 * ring. @base maps seq_file positions to record numbers (position 0 is the
 * header); records overwritten while the reader was away are skipped.
 */
struct dhp_log_cursor {
	u64 base;
	struct dhp_log_entry e;
};

static bool dhp_log_fetch(struct dhp_log_cursor *cur, loff_t pos)
{
	u64 seq = cur->base + pos - 1, first;
	unsigned long flags;
	bool ok;

	spin_lock_irqsave(&dhp_log_lock, flags);
	first = dhp_log_next > dhp_log_len ? dhp_log_next - dhp_log_len : 0;
	if (seq < first) {
		cur->base += first - seq;
		seq = first;
	}
	ok = seq < dhp_log_next;
	if (ok)
		cur->e = dhp_log_ring[seq % dhp_log_len];
	spin_unlock_irqrestore(&dhp_log_lock, flags);
	return ok;
}

static void *dhp_log_seq_start(struct seq_file *m, loff_t *pos)
{
	if (!*pos)
		return SEQ_START_TOKEN;
	return dhp_log_fetch(m->private, *pos) ? m->private : NULL;
}

static void *dhp_log_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return dhp_log_fetch(m->private, *pos) ? m->private : NULL;
}

static void dhp_log_seq_stop(struct seq_file *m, void *v)
{
}

static int dhp_log_seq_show(struct seq_file *m, void *v)
{
	struct dhp_log_cursor *cur = m->private;
	const struct dhp_log_entry *e = &cur->e;
	unsigned long flags;
	u64 next;

	if (v == SEQ_START_TOKEN) {
		spin_lock_irqsave(&dhp_log_lock, flags);
		next = dhp_log_next;
		spin_unlock_irqrestore(&dhp_log_lock, flags);
		cur->base = next > dhp_log_len ? next - dhp_log_len : 0;
		seq_printf(m, "# size %u records %llu overwritten %llu\n",
			   dhp_log_len, next, cur->base);
		seq_puts(m, "# seq time_ns event cpu client arg err\n");
		return 0;
	}
	seq_printf(m, "%llu %llu %s %d %llu %llu %d\n", e->seq, e->ns,
		   dhp_log_names[e->type], e->cpu, e->client, e->arg, e->err);
	return 0;
}

static const struct seq_operations dhp_log_seq_ops = {
	.start = dhp_log_seq_start,
	.next = dhp_log_seq_next,
	.stop = dhp_log_seq_stop,
	.show = dhp_log_seq_show,
};

static int dhp_log_open(struct inode *inode, struct file *file)
{
	return seq_open_private(file, &dhp_log_seq_ops,
				sizeof(struct dhp_log_cursor));
}

static const struct file_operations dhp_log_fops = {
	.owner = THIS_MODULE,
	.open = dhp_log_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = seq_release_private,
};

static atomic_long_t dhp_obj_allocs[DHP_OBJ_NR_TYPES];
static atomic_long_t dhp_obj_frees[DHP_OBJ_NR_TYPES];
static const char *const dhp_obj_names[DHP_OBJ_NR_TYPES] = {
	[DHP_OBJ_EVENT]		= "events",
	[DHP_OBJ_CPU_CLIENT]	= "cpu_clients",
	[DHP_OBJ_EV_CLIENT]	= "event_clients",
	[DHP_OBJ_RB_DEVICE]	= "rebalance_devices",
};

void dhp_obj_count(enum dhp_obj_type type, bool alloc)
{
	atomic_long_inc(alloc ? &dhp_obj_allocs[type] : &dhp_obj_frees[type]);
}

static int dhp_objects_show(struct seq_file *m, void *v)
{
	long a, f;
	int t;

	seq_puts(m, "# type allocated freed live\n");
	for (t = 0; t < DHP_OBJ_NR_TYPES; t++) {
		a = atomic_long_read(&dhp_obj_allocs[t]);
		f = atomic_long_read(&dhp_obj_frees[t]);
		seq_printf(m, "%s %ld %ld %ld\n", dhp_obj_names[t], a, f, a - f);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_objects);

/*
 * At unload, when every object must be gone: one line with the totals, and
 * an error per type that leaked (tests grep for both).
 */
static void dhp_objects_report(void)
{
	long a, f, all_a = 0, all_f = 0;
	int t;

	for (t = 0; t < DHP_OBJ_NR_TYPES; t++) {
		a = atomic_long_read(&dhp_obj_allocs[t]);
		f = atomic_long_read(&dhp_obj_frees[t]);
		all_a += a;
		all_f += f;
		if (a != f)
			pr_err("unload: leaked %ld of %ld %s\n", a - f, a,
			       dhp_obj_names[t]);
	}
	pr_info("unloaded: objects allocated %ld, freed %ld\n", all_a, all_f);
}

struct dentry *dhp_debugfs;
struct kobject *dhp_kobj;

/*
 * The client sets of the APIs, for dhp_module_notify(). Written only by
 * the APIs' init, before the notifier is registered: read without a lock.
 * Never emptied: the sets and the list go with dhp.ko.
 */
static LIST_HEAD(dhp_client_sets);

void dhp_client_set_add(struct dhp_client_set *set)
{
	INIT_LIST_HEAD(&set->list);
	hash_init(set->handles);
	list_add_tail(&set->sets, &dhp_client_sets);
}

/* Gives @c the next id and appends it; @set->lock held. */
void dhp_client_add(struct dhp_client_set *set, struct dhp_client *c,
		    struct module *owner, const void *callback)
{
	lockdep_assert_held(set->lock);
	c->owner = owner;
	c->callback = callback;
	c->id = set->next_id++;
	list_add_tail(&c->node, &set->list);
	hash_add(set->handles, &c->hnode, (unsigned long)c);
	set->nr++;
}

/*
 * Removes the client @handle and returns it, or returns NULL, with a
 * warning naming @caller, if it is not registered (a double or foreign
 * unregister). Compares pointers only, so a stale handle is never
 * dereferenced: callers pass &client->cl, an address computed from the
 * handle without reading it. @set->lock held.
 */
struct dhp_client *dhp_client_take(struct dhp_client_set *set,
				   const struct dhp_client *handle,
				   const void *caller)
{
	struct dhp_client *c;

	lockdep_assert_held(set->lock);
	hash_for_each_possible(set->handles, c, hnode, (unsigned long)handle) {
		if (c == handle) {
			hash_del(&c->hnode);
			list_del(&c->node);
			set->nr--;
			return c;
		}
	}
	pr_warn_ratelimited("unregister %s: %p is not a registered client (double or foreign unregister, from %pS)\n",
			    set->api, handle, caller);
	return NULL;
}

static void dhp_clients_gone(struct dhp_client_set *set, struct module *mod)
{
	struct dhp_client *c, *left;

	do {
		left = NULL;
		mutex_lock(set->lock);
		list_for_each_entry(c, &set->list, node) {
			if (c->owner == mod) {
				left = c;
				pr_err("module %s unloaded with %s client %llu (%ps) still registered: unregistered it now; a driver must unregister before it unloads\n",
				       mod->name, set->api, c->id, c->callback);
				break;
			}
		}
		mutex_unlock(set->lock);
	} while (left && !set->unregister(left));
}

/*
 * MODULE_STATE_GOING comes after the module's exit function (or its failed
 * init) and before its code is freed: the last moment at which a client it
 * left registered can be taken off safely. The sets in the reverse of
 * their init order, as at dhp's own exit.
 */
static int dhp_module_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct dhp_client_set *set;

	if (action == MODULE_STATE_GOING)
		list_for_each_entry_reverse(set, &dhp_client_sets, sets)
			dhp_clients_gone(set, data);
	return NOTIFY_DONE;
}

/*
 * Only the task itself ever stores its own pointer here, so reading it
 * locklessly tells reliably whether the current task is the caller.
 * Written under the exclusion of dhp_cpu.c's fan-out (the hotplug lock
 * held for write, or cpus_read_lock() and its mutex).
 */
static struct task_struct *dhp_sync_caller;

struct task_struct *dhp_sync_enter(void)
{
	struct task_struct *prev = READ_ONCE(dhp_sync_caller);

	WRITE_ONCE(dhp_sync_caller, current);
	return prev;
}

void dhp_sync_leave(struct task_struct *prev)
{
	WRITE_ONCE(dhp_sync_caller, prev);
}

/* Whether the current task is inside a synchronous dhp callback. */
bool dhp_in_sync_callback(void)
{
	return READ_ONCE(dhp_sync_caller) == current;
}

static struct notifier_block dhp_module_nb = {
	.notifier_call = dhp_module_notify,
};

static int __init dhp_init(void)
{
	int ret;

	dhp_log_len = log_size;
	dhp_log_ring = kvcalloc(dhp_log_len, sizeof(*dhp_log_ring), GFP_KERNEL);
	if (!dhp_log_ring)
		return -ENOMEM;

	/*
	 * /sys/kernel/dhp holds what user space configures and watches (it
	 * works under lockdown); debugfs is for inspection only: dhp works
	 * without it.
	 */
	dhp_kobj = kobject_create_and_add("dhp", kernel_kobj);
	if (!dhp_kobj) {
		kvfree(dhp_log_ring);
		return -ENOMEM;
	}
	dhp_debugfs = debugfs_create_dir("dhp", NULL);
	debugfs_create_file("log", 0444, dhp_debugfs, NULL, &dhp_log_fops);
	debugfs_create_file("objects", 0444, dhp_debugfs, NULL,
			    &dhp_objects_fops);

	/* Event delivery first: the CPU and memory parts post into it. */
	ret = dhp_async_init();
	if (ret)
		goto out_log;
	ret = dhp_cpu_init();
	if (ret)
		goto out_async;
	ret = dhp_highmem_init();
	if (ret)
		goto out_cpu;
	ret = dhp_mem_init();
	if (ret)
		goto out_highmem;
	ret = dhp_rebalance_init();
	if (ret)
		goto out_mem;
	ret = register_module_notifier(&dhp_module_nb);
	if (ret)
		goto out_rebalance;
	pr_info("loaded, log_size %u\n", dhp_log_len);
	return 0;

out_rebalance:
	dhp_rebalance_exit();
out_mem:
	dhp_mem_exit();
out_highmem:
	dhp_highmem_exit();
out_cpu:
	dhp_cpu_exit();
out_async:
	dhp_async_exit();
out_log:
	debugfs_remove_recursive(dhp_debugfs);
	kobject_put(dhp_kobj);
	kvfree(dhp_log_ring);
	return ret;
}

static void __exit dhp_exit(void)
{
	unregister_module_notifier(&dhp_module_nb);
	/* Files first: no reader may see the state torn down below. */
	debugfs_remove_recursive(dhp_debugfs);
	dhp_rebalance_exit();
	dhp_mem_exit();
	dhp_highmem_exit();
	dhp_cpu_exit();
	dhp_async_exit();
	kobject_put(dhp_kobj);
	kvfree(dhp_log_ring);
	dhp_objects_report();
}

module_init(dhp_init);
module_exit(dhp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Dynamic Hardware Partitioning driver notifications");
