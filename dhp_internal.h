/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp internals shared by the files of dhp.ko, layer by layer: first the
 * core (dhp_core.c), which calls no other file but their init and exit,
 * then the layers above it. Nothing here is API.
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
struct mutex;
struct task_struct;

/*
 * The objects dhp allocates, counted (dhp_core.c) so that any run can check
 * allocations == frees: debugfs "objects" while loaded, a line at unload.
 * Callers count after a successful allocation and before the free; the
 * counters are atomics touched only on the slow paths.
 */
enum dhp_obj_type {
	DHP_OBJ_EVENT,		/* struct dhp_qevent */
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

/*
 * One client lifecycle for the three APIs (dhp_core.c). Each API's client
 * embeds a struct dhp_client, kept in the API's struct dhp_client_set
 * under the API's mutex @lock: @list in registration order, @handles by
 * address so that unregistration checks a handle in O(1) without
 * dereferencing it (it may be stale), @nr and the next id. A module that
 * goes away with clients still registered (after its exit function) gets
 * them reported and unregistered through @unregister, with @lock not held.
 */
struct dhp_client {
	struct list_head node;
	struct hlist_node hnode;
	struct module *owner;
	const void *callback;		/* named in messages */
	u64 id;
};

struct dhp_client_set {
	const char *api;
	struct mutex *lock;		/* the API's: guards all below */
	int (*unregister)(struct dhp_client *c);
	struct list_head list;
	struct hlist_head handles[1 << 10];
	unsigned int nr;
	u64 next_id;			/* the first one set by the API */
	struct list_head sets;		/* dhp_core.c's, for modules gone */
};

/*
 * Defines the set @_set of an API whose clients are @_type, each embedding
 * its struct dhp_client as @cl; @_unregister is the API's unregister
 * function, ids start at @_first_id.
 */
#define DHP_DEFINE_CLIENT_SET(_set, _api, _lock, _type, _unregister,	\
			      _first_id)				\
static int _set##_unregister(struct dhp_client *c)			\
{									\
	return _unregister(container_of(c, _type, cl));			\
}									\
static struct dhp_client_set _set = {					\
	.api = _api, .lock = _lock, .unregister = _set##_unregister,	\
	.next_id = _first_id,						\
}

void dhp_client_set_add(struct dhp_client_set *set);
void dhp_client_add(struct dhp_client_set *set, struct dhp_client *c,
		    struct module *owner, const void *callback);
struct dhp_client *dhp_client_take(struct dhp_client_set *set,
				   const struct dhp_client *handle,
				   const void *caller);

/*
 * The task calling synchronous callbacks (dhp_core.c), so that a callback
 * calling back into an API fails with -EDEADLK instead of deadlocking on
 * the hotplug lock. dhp_sync_enter() returns the previous task, for
 * dhp_sync_leave() to restore.
 */
struct task_struct *dhp_sync_enter(void);
void dhp_sync_leave(struct task_struct *prev);
bool dhp_in_sync_callback(void);

/* The debugfs directory of dhp, or an error pointer if debugfs is off. */
extern struct dentry *dhp_debugfs;
/* /sys/kernel/dhp: the ABI user space configures and watches. */
extern struct kobject *dhp_kobj;

/*
 * The layers above the core, each calling only the ones before it: the
 * event stream; its producers, the CPU and memory parts; the consumers,
 * rebalance (a client of the stream) and the high-memory condition.
 *
 * An asynchronous event as dhp queues it (dhp_async.c). The hotplug paths
 * allocate it before their point of no return (dhp_ev_alloc()), then either
 * post it, which cannot fail, or free it if the operation is undone.
 */
struct dhp_qevent {
	struct list_head node;	/* the event queue, by seq; or a private list */
	unsigned int refs;	/* clients yet to consume it */
	bool published;		/* handed to the clients by the dispatcher */
	struct dhp_event ev;
};

struct dhp_ev_source;

struct dhp_qevent *dhp_ev_alloc(enum dhp_event_kind kind);
void dhp_ev_post(struct dhp_qevent *e);
void dhp_ev_kick(void);
void dhp_ev_post_unkicked(struct dhp_qevent *e, bool kicked);
void dhp_ev_free(struct dhp_qevent *e);
void dhp_ev_flush(void);
/* A producer, added at its init before it posts (at most two). */
void dhp_ev_add_source(const struct dhp_ev_source *src);
int dhp_async_init(void);
void dhp_async_exit(void);

/* The synchronous processor notification and CPU events (dhp_cpu.c). */
int dhp_cpu_init(void);
void dhp_cpu_exit(void);

/* The memory notifier (dhp_mem.c). */
int dhp_mem_init(void);
void dhp_mem_exit(void);

/* Resource rebalance (dhp_rebalance.c). */
int dhp_rebalance_init(void);
void dhp_rebalance_exit(void);

/* The high-memory condition (dhp_highmem.c). */
int dhp_highmem_init(void);
void dhp_highmem_exit(void);

#endif /* _DHP_INTERNAL_H */
