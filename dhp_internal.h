/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp internals shared by the files of dhp.ko. Nothing here is API.
 */
#ifndef _DHP_INTERNAL_H
#define _DHP_INTERNAL_H

#include <linux/compiler_attributes.h>
#include <linux/list.h>
#include <linux/types.h>

#include "dhp.h"

struct dentry;
struct kernel_param;
struct kobject;
struct module;

/* The event log (dhp_core.c): a bounded ring, oldest entries overwritten. */
enum dhp_log_type {
	DHP_LOG_CPU_ADD_START,		/* arg: clients called */
	DHP_LOG_CPU_VETO,		/* client, err: the veto */
	DHP_LOG_CPU_ADD_COMPLETE,	/* arg: clients called */
	DHP_LOG_CPU_ADD_FAILURE,	/* arg: clients called, err: reason */
	DHP_LOG_CPU_REMOVE_START,	/* arg: clients called */
	DHP_LOG_CPU_REMOVE_COMPLETE,	/* arg: clients called */
	DHP_LOG_CPU_REMOVE_FAILURE,	/* arg: clients called */
	DHP_LOG_CPU_REGISTER,		/* client, arg: flags */
	DHP_LOG_CPU_REPLAY,		/* client, arg: CPUs replayed, err */
	DHP_LOG_CPU_UNREGISTER,		/* client */
	DHP_LOG_EV_REGISTER,		/* client, arg: flags */
	DHP_LOG_EV_UNREGISTER,		/* client, arg: events discarded */
	DHP_LOG_EV_RESERVE_FAIL,	/* cpu or -1, err: the veto */
	DHP_LOG_HIGH_MEMORY,		/* arg: new state, err: 0 */
	DHP_LOG_NR_TYPES,
};

void dhp_log(enum dhp_log_type type, int cpu, u64 client, u64 arg, int err);

/*
 * The objects dhp allocates, counted (dhp_core.c) so that any run can check
 * allocations == frees: debugfs "objects" while loaded, a line at unload.
 * Callers count after a successful allocation and before the free; the
 * counters are atomics touched only on the slow paths.
 */
enum dhp_obj_type {
	DHP_OBJ_EVENT,		/* struct dhp_ev */
	DHP_OBJ_CPU_CLIENT,	/* synchronous client */
	DHP_OBJ_EV_CLIENT,	/* asynchronous client */
	DHP_OBJ_RB_DEVICE,	/* rebalance device */
	DHP_OBJ_NR_TYPES,
};

void dhp_obj_count(enum dhp_obj_type type, bool alloc);

/*
 * Module parameters. The kernel runs their setters and getters under the
 * module's param lock (kernel_param_lock(), at load and for writes to
 * /sys/module/dhp/parameters/). A bad value is reported naming the
 * parameter: at load as an error (the load fails with it), at run time as
 * a rate-limited warning (the write fails with -EINVAL; a script may write
 * thousands).
 */
__printf(2, 3)
void dhp_param_err(const struct kernel_param *kp, const char *fmt, ...);
int dhp_param_parse_uint(const char *val, const struct kernel_param *kp,
			 unsigned int min, unsigned int max, unsigned int *out);
int dhp_param_set_uint(const char *val, const struct kernel_param *kp,
		       unsigned int min, unsigned int max);

/*
 * A module is going away (after its exit function): each API unregisters,
 * with an error message, what that module left registered.
 */
void dhp_cpu_module_gone(struct module *mod);
void dhp_async_module_gone(struct module *mod);
void dhp_rebalance_module_gone(struct module *mod);
void dhp_report_left_registered(const char *api, struct module *mod,
				u64 id, const void *callback);

/* The debugfs directory of dhp, or an error pointer if debugfs is off. */
extern struct dentry *dhp_debugfs;
/* /sys/kernel/dhp: the ABI user space configures and watches. */
extern struct kobject *dhp_kobj;

/* The synchronous processor notification (dhp_cpu.c). */
int dhp_cpu_init(void);
void dhp_cpu_exit(void);
bool dhp_cpu_in_callback(void);
int dhp_cpu_existing(struct list_head *out);

/*
 * An asynchronous event as dhp queues it (dhp_async.c). The hotplug paths
 * allocate it before their point of no return (dhp_ev_alloc()), then either
 * post it, which cannot fail, or free it if the operation is undone.
 */
struct dhp_ev {
	struct list_head node;	/* the event queue, by seq; or a private list */
	unsigned int refs;	/* clients yet to consume it */
	bool published;		/* handed to the clients by the dispatcher */
	struct dhp_event ev;
};

struct dhp_ev *dhp_ev_alloc(enum dhp_event_kind kind);
void dhp_ev_post(struct dhp_ev *e);
void dhp_ev_post_lazy(struct dhp_ev *e);
void dhp_ev_free(struct dhp_ev *e);
int dhp_async_init(void);
void dhp_async_exit(void);

/* The memory notifier (dhp_mem.c). */
int dhp_mem_init(void);
void dhp_mem_exit(void);
void dhp_mem_lock(void);
void dhp_mem_unlock(void);
int dhp_mem_existing(struct list_head *out);
void dhp_mem_settle(struct dhp_event *ev);

/* Resource rebalance (dhp_rebalance.c). */
int dhp_rebalance_init(void);
void dhp_rebalance_exit(void);

/* The high-memory condition (dhp_highmem.c). */
int dhp_highmem_init(void);
void dhp_highmem_exit(void);
void dhp_highmem_kick(void);

#endif /* _DHP_INTERNAL_H */
