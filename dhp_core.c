// SPDX-License-Identifier: GPL-2.0
/*
 * dhp core: module init and exit, the debugfs and sysfs roots, and what
 * the APIs share: the client lifecycle and the marker of a task inside a
 * synchronous callback. It calls no other file but their init and exit.
 * dhp's history is in its tracepoints (dhp_trace.h), defined here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/kobject.h>
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "dhp_internal.h"

#define CREATE_TRACE_POINTS
#include "dhp_trace.h"

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
 * number in [@min, @max]; else -EINVAL with a message naming @kp, and @out
 * is left as it was.
 */
int dhp_param_parse_uint(const char *val, const struct kernel_param *kp,
			 unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned int v;

	/* sysfs hands over up to a page, of anything: quote a little */
	if (kstrtouint(val, 0, &v) || v < min || v > max) {
		dhp_param_err(kp, "%s: '%*pE' is not a number in [%u, %u]\n",
			      kp->name, (int)strnlen(val, 64), val, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

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

/* Before any path that walks @set can run: each API's init, first. */
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

/*
 * Unregisters every client of @mod in @set, one at a time, the lock
 * dropped in between (unregister takes it). A client that another task
 * unregisters meanwhile (-ENOENT) is no reason to leave the others.
 */
static void dhp_clients_gone(struct dhp_client_set *set, struct module *mod)
{
	struct dhp_client *c, *left;
	int err;

	for (;;) {
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
		if (!left)
			return;
		err = set->unregister(left);
		if (err && err != -ENOENT) {
			pr_err("module %s: cannot unregister its %s clients (%d)\n",
			       mod->name, set->api, err);
			return;
		}
	}
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

/*
 * The parts, in init order: the event stream first (the CPU and memory
 * parts post into it), its consumers last. Exit runs the table backwards,
 * and a failed init undoes the parts before it from the table.
 */
static const struct {
	int (*init)(void);
	void (*exit)(void);
} dhp_parts[] = {
	{ dhp_async_init, dhp_async_exit },
	{ dhp_cpu_init, dhp_cpu_exit },
	{ dhp_highmem_init, dhp_highmem_exit },
	{ dhp_mem_init, dhp_mem_exit },
	{ dhp_rebalance_init, dhp_rebalance_exit },
};

static void dhp_parts_exit(unsigned int n)
{
	while (n--)
		dhp_parts[n].exit();
	kobject_put(dhp_kobj);
}

static int __init dhp_init(void)
{
	unsigned int n;
	int ret;

	/*
	 * /sys/kernel/dhp holds what user space configures and watches (it
	 * works under lockdown); debugfs is for inspection only: dhp works
	 * without it.
	 */
	dhp_kobj = kobject_create_and_add("dhp", kernel_kobj);
	if (!dhp_kobj)
		return -ENOMEM;
	dhp_debugfs = debugfs_create_dir("dhp", NULL);
	debugfs_create_file("objects", 0444, dhp_debugfs, NULL,
			    &dhp_objects_fops);
	for (n = 0; n < ARRAY_SIZE(dhp_parts); n++) {
		ret = dhp_parts[n].init();
		if (ret)
			goto fail;	/* undid itself; [0, n) are up */
	}
	ret = register_module_notifier(&dhp_module_nb);
	if (!ret) {
		pr_info("loaded\n");
		return 0;
	}
fail:
	debugfs_remove_recursive(dhp_debugfs);
	dhp_parts_exit(n);
	return ret;
}

static void __exit dhp_exit(void)
{
	unregister_module_notifier(&dhp_module_nb);
	/* Files first: no reader may see the state torn down below. */
	debugfs_remove_recursive(dhp_debugfs);
	dhp_parts_exit(ARRAY_SIZE(dhp_parts));
	dhp_objects_report();
}

module_init(dhp_init);
module_exit(dhp_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Dynamic Hardware Partitioning driver notifications");
