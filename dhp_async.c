// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_async: the asynchronous notification of CPU and memory arrivals and
 * removals (Windows' Plug and Play notifications, GUID_DEVICE_PROCESSOR and
 * GUID_DEVICE_MEMORY).
 *
 * The flow of an event:
 *
 *  1. A hotplug path allocates it before its point of no return (CPU
 *     prepare state, MEM_GOING_ONLINE/OFFLINE) and vetoes with -ENOMEM if it
 *     cannot, so that nothing needs memory later.
 *  2. When the change has happened, dhp_ev_post() numbers it, appends it to
 *     the queue and kicks the dispatcher: O(1) whatever the number of
 *     clients, no sleeping, and nothing that waits for or wakes another
 *     CPU (see dhp_ev_post(); the CPU online step and a memory block's
 *     online wake nothing at all, see dhp_ev_post_unkicked()).
 *  3. The dispatcher (one work item, so in order) waits, for a CPU arrival,
 *     until the hotplug operation is over, finds the memory source, counts
 *     the clients that want the event and were registered when it was
 *     posted (its references), marks it published and kicks their workers.
 *  4. Each client has its own work item: events reach one client one at a
 *     time and in order, and a slow client delays only itself. It merges
 *     adjacent memory events that are waiting together (dhp_logic.h), calls
 *     back without any dhp lock held, then drops its references; the last
 *     reference frees the event.
 *
 * Each client has its own position in the stream (@cursor, the oldest
 * event it holds a reference on, and @held, how many it holds), so a
 * delivery costs O(1) whatever the others' backlog. A client that holds
 * event_backlog events and is given one more overflows: from then on it is
 * given none (lost, counted) until its worker has consumed what it holds
 * and delivered one DHP_EV_OVERFLOW event naming the first lost sequence
 * number and how many; then the stream resumes. A stuck client therefore
 * pins at most event_backlog events, and loses events only explicitly.
 *
 * Locking:
 *  - dhp_ev_lock (spinlock): the queue, every event's refs and published
 *    flag, each client's position (cursor, held, last_seq, lost) and
 *    counters, the sequence counter. Never held across a callback or an
 *    allocation. Taken only in process context (the hotplug callbacks that
 *    post run in process context too), so interrupts stay on.
 *  - dhp_async_mutex: the client list. Held by the dispatcher while it
 *    counts references and queues client work, and by (un)registration
 *    while it adds or removes a client, so a client never gets work for an
 *    event it holds no reference on.
 *  - The producers are event sources (struct dhp_ev_source): dhp_cpu.c's,
 *    locked by cpus_read_lock() and dhp_cpu_mutex (its posts hold the
 *    hotplug lock for write, or both), and dhp_mem.c's, by its mutex; each
 *    posts only with its lock held. Registration holds every source's lock while
 *    it snapshots what exists (INCLUDE_EXISTING) and picks its first
 *    sequence number, so the snapshot and the events after it neither
 *    overlap nor leave a gap (dhp_ev_snapshot(), dhp_logic.h). Order: the
 *    sources in the order they were added (CPU, memory), dhp_async_mutex,
 *    dhp_ev_lock.
 *  - The dispatcher is one work item on dhp_dispatch_wq (per-CPU), the
 *    client workers are on dhp_async_wq (unbound). A work item never runs
 *    on two CPUs at once, so the dispatcher is one at a time, in order.
 *  - Nothing here flushes work from a hotplug callback; unregistration
 *    waits for the client's own work only, and refuses to from inside a dhp
 *    callback.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include "dhp_internal.h"
#include "dhp_logic.h"
#include "dhp_trace.h"

struct dhp_event_client {
	struct dhp_client cl;		/* in dhp_async_set */
	struct work_struct work;
	dhp_event_callback_t callback;
	void *context;
	unsigned int flags;
	u64 start_seq;			/* first event it may get */
	u64 last_seq;			/* last event it consumed */
	struct list_head existing;	/* INCLUDE_EXISTING arrivals, first */
	struct dhp_qevent *cursor;		/* oldest event held, NULL if none */
	unsigned int held;		/* events it holds a reference on */
	unsigned long lost;		/* overflowing: events not given it */
	u64 lost_first;			/* the first of those */
	unsigned long overflows;	/* DHP_EV_OVERFLOW events delivered */
	unsigned long delivered;	/* events, merged ones counted each */
	unsigned long calls;		/* callbacks */
	bool dying;			/* unregistering: stop delivering */
	bool ready;			/* registration done: may deliver */
};

static DEFINE_SPINLOCK(dhp_ev_lock);
static LIST_HEAD(dhp_ev_queue);
static u64 dhp_ev_next_seq = 1;
static u64 dhp_ev_pub_seq;		/* last published */
static unsigned long dhp_ev_unclaimed;	/* published with no client */
static unsigned long dhp_ev_discarded;	/* dropped by unregistrations */
static unsigned long dhp_ev_delivered;	/* consumed by clients */
static unsigned long dhp_ev_lost;	/* not given to overflowing clients */
/*
 * References handed out at publication, one per client an event is for.
 * Each goes by delivery or discard: once the queue is empty, fanout ==
 * delivered + discarded.
 */
static unsigned long dhp_ev_fanout;

static DEFINE_MUTEX(dhp_async_mutex);
DHP_DEFINE_CLIENT_SET(dhp_async_set, "asynchronous", &dhp_async_mutex,
		      struct dhp_event_client, dhp_unregister_event_callback, 1);

/*
 * The producers, in lock order; written only at init, where the dispatcher
 * may already run for a producer added before: an entry is published by
 * the release of the count, read with an acquire (dhp_ev_nr()).
 */
static const struct dhp_ev_source *dhp_ev_sources[2];
static unsigned int dhp_ev_nr_sources;

static unsigned int dhp_ev_nr(void)
{
	return smp_load_acquire(&dhp_ev_nr_sources);	/* pairs with add */
}

#define DHP_EV_BACKLOG_MIN	16
#define DHP_EV_BACKLOG_MAX	BIT(20)

static unsigned int event_backlog = 4096;

static int event_backlog_set(const char *val, const struct kernel_param *kp)
{
	return dhp_param_parse_uint(val, kp, DHP_EV_BACKLOG_MIN,
				    DHP_EV_BACKLOG_MAX, kp->arg);
}

static const struct kernel_param_ops event_backlog_ops = {
	.set = event_backlog_set,
	.get = param_get_uint,
};

module_param_cb(event_backlog, &event_backlog_ops, &event_backlog, 0444);
MODULE_PARM_DESC(event_backlog,
		 "events one asynchronous client may hold before it overflows, 16..1048576 (default 4096)");

static struct workqueue_struct *dhp_async_wq;
static struct workqueue_struct *dhp_dispatch_wq;
static void dhp_dispatch(struct work_struct *work);
static DECLARE_DELAYED_WORK(dhp_dispatch_work, dhp_dispatch);

/**
 * dhp_ev_alloc() - reserve an event before a point of no return
 * @kind: what it will report; the caller fills in &dhp_event.cpu or .mem.
 *
 * Context: process context, may sleep.
 * Return: the event, or NULL: the caller vetoes its operation with -ENOMEM.
 */
struct dhp_qevent *dhp_ev_alloc(enum dhp_event_kind kind)
{
	struct dhp_qevent *e = kzalloc(sizeof(*e), GFP_KERNEL);

	if (e) {
		dhp_obj_count(DHP_OBJ_EVENT, true);
		INIT_LIST_HEAD(&e->node);
		e->ev.kind = kind;
		e->ev.count = 1;
	}
	return e;
}

/* Frees an event that was never posted, or was published and consumed. */
void dhp_ev_free(struct dhp_qevent *e)
{
	if (e)
		dhp_obj_count(DHP_OBJ_EVENT, false);
	kfree(e);
}

static void dhp_ev_enqueue(struct dhp_qevent *e)
{
	spin_lock(&dhp_ev_lock);
	e->ev.seq = dhp_ev_next_seq++;
	e->ev.timestamp_ns = ktime_get_ns();
	list_add_tail(&e->node, &dhp_ev_queue);
	/*
	 * Under the lock: once it is dropped the dispatcher may publish @e
	 * and a client consume and free it.
	 */
	trace_dhp_event_post(0, &e->ev);
	spin_unlock(&dhp_ev_lock);
}

/**
 * dhp_ev_post() - queue a reserved event; the change it reports happened
 * @e: from dhp_ev_alloc(), filled in.
 *
 * The dispatcher is kicked at once on dhp_dispatch_wq, a per-CPU
 * workqueue: queue_work() picks the pool of the CPU it runs on, with
 * interrupts off from the choice to the wake-up, so what it wakes, if
 * anything, is a worker of this CPU, never another CPU. (One exception:
 * if the dispatcher is running on another CPU and sleeping, in
 * cpus_read_lock() or the memory settle, the workqueue queues it behind
 * itself there and may wake a worker of that pool, so that it never runs
 * on two CPUs at once.) A kick already armed by dhp_ev_post_unkicked()
 * is brought forward.
 *
 * Context: any process context, including the hotplug callbacks; does not
 * sleep, does not allocate, cannot fail.
 */
void dhp_ev_post(struct dhp_qevent *e)
{
	dhp_ev_enqueue(e);
	mod_delayed_work(dhp_dispatch_wq, &dhp_dispatch_work, 0);
}

/**
 * dhp_ev_kick() - have the dispatcher run soon
 *
 * For a source that posts later without a kick (dhp_ev_post_unkicked()):
 * the run this queues begins with the sources' quiesce, so it looks at the
 * queue only once the source's operation is over. As dhp_ev_post(), it
 * wakes at most a worker of this CPU.
 *
 * Context: as dhp_ev_post().
 */
void dhp_ev_kick(void)
{
	mod_delayed_work(dhp_dispatch_wq, &dhp_dispatch_work, 0);
}

/**
 * dhp_ev_flush() - wait until every event posted so far is published
 *
 * For a source's exit, after it can post no more: its settle() is not
 * called again for those events.
 *
 * Context: process context, no hotplug lock nor dhp lock held.
 */
void dhp_ev_flush(void)
{
	flush_delayed_work(&dhp_dispatch_work);
}

/**
 * dhp_ev_post_unkicked() - dhp_ev_post() that wakes nothing
 * @e: from dhp_ev_alloc(), filled in.
 * @kicked: whether a dispatcher run kicked earlier in this operation
 *	(dhp_ev_kick()) is still held by the source's quiesce, and so will
 *	see @e; if not, a kick is armed, a timer one jiffy ahead (it fires
 *	at the next tick).
 *
 * For the CPU online step, which thus neither waits for nor wakes any
 * task, as a native no-op state (its prepare step's kick is usually still
 * held: nothing is armed then), and for a memory block's arrival, whose
 * dispatch then usually runs after the operation rather than within it.
 * Every event is still dispatched: the dispatcher runs until the queue
 * has nothing unpublished, and a post while it runs queues it again.
 *
 * Context: as dhp_ev_post().
 */
void dhp_ev_post_unkicked(struct dhp_qevent *e, bool kicked)
{
	dhp_ev_enqueue(e);
	if (!kicked)
		queue_delayed_work(dhp_dispatch_wq, &dhp_dispatch_work, 1);
}

/* Whether @c gets @ev: its category, and posted after it registered. */
static bool dhp_ev_for(const struct dhp_event_client *c,
		       const struct dhp_event *ev)
{
	return (c->flags & dhp_ev_category(ev->kind)) &&
	       ev->seq >= c->start_seq;
}

/*
 * Whether @c holds a reference on the published @e: for it, not consumed
 * yet, and not among the events it lost while overflowing. dhp_ev_lock.
 */
static bool dhp_ev_held(const struct dhp_event_client *c,
			const struct dhp_qevent *e)
{
	return e->published && dhp_ev_for(c, &e->ev) &&
	       e->ev.seq > c->last_seq &&
	       !(c->lost && e->ev.seq >= c->lost_first);
}

/*
 * Gives @c a reference on @e, just published, or counts it lost if @c
 * holds event_backlog events already or is overflowing. dhp_ev_lock.
 */
static bool dhp_ev_give(struct dhp_event_client *c, struct dhp_qevent *e)
{
	if (c->lost || c->held >= event_backlog) {
		if (!c->lost++)
			c->lost_first = e->ev.seq;
		dhp_ev_lost++;
		return false;
	}
	if (!c->held++)
		c->cursor = e;
	return true;
}

/* The oldest unpublished event; dhp_ev_lock held. */
static struct dhp_qevent *dhp_ev_first_unpublished(void)
{
	struct dhp_qevent *e, *first = NULL;

	lockdep_assert_held(&dhp_ev_lock);
	list_for_each_entry_reverse(e, &dhp_ev_queue, node) {
		if (e->published)
			break;
		first = e;
	}
	return first;
}

/* Before the producer goes live: dhp.ko's init, one part at a time. */
void dhp_ev_add_source(const struct dhp_ev_source *src)
{
	unsigned int n = dhp_ev_nr_sources;

	if (WARN_ON_ONCE(n >= ARRAY_SIZE(dhp_ev_sources)))
		return;
	dhp_ev_sources[n] = src;
	smp_store_release(&dhp_ev_nr_sources, n + 1);	/* the entry first */
}

static void dhp_ev_settle(struct dhp_event *ev)
{
	unsigned int i, n = dhp_ev_nr();

	for (i = 0; i < n; i++)
		if (dhp_ev_sources[i]->category == dhp_ev_category(ev->kind) &&
		    dhp_ev_sources[i]->settle)
			dhp_ev_sources[i]->settle(ev);
}

/* Step 3 of the flow at the top. */
static void dhp_dispatch(struct work_struct *work)
{
	struct dhp_event_client *c;
	struct dhp_event ev;
	unsigned int refs, i, n = dhp_ev_nr();
	struct dhp_qevent *e;

	for (i = 0; i < n; i++)
		if (dhp_ev_sources[i]->quiesce)
			dhp_ev_sources[i]->quiesce();
	for (;;) {
		spin_lock(&dhp_ev_lock);
		e = dhp_ev_first_unpublished();
		spin_unlock(&dhp_ev_lock);
		if (!e)
			return;

		/*
		 * Only the dispatcher publishes or frees an unpublished event,
		 * so @e stays valid while its source settles it.
		 */
		dhp_ev_settle(&e->ev);

		/*
		 * Once published, @e belongs to the clients' workers, which
		 * may consume and free it at once: only the copy is used after.
		 */
		ev = e->ev;
		mutex_lock(&dhp_async_mutex);
		refs = 0;
		spin_lock(&dhp_ev_lock);
		list_for_each_entry(c, &dhp_async_set.list, cl.node)
			if (dhp_ev_for(c, &ev))
				refs += dhp_ev_give(c, e);
		e->refs = refs;
		dhp_ev_fanout += refs;
		e->published = true;
		dhp_ev_pub_seq = e->ev.seq;
		if (!refs) {
			list_del(&e->node);
			dhp_ev_unclaimed++;
		}
		spin_unlock(&dhp_ev_lock);
		list_for_each_entry(c, &dhp_async_set.list, cl.node)
			if (dhp_ev_for(c, &ev))
				queue_work(dhp_async_wq, &c->work);
		mutex_unlock(&dhp_async_mutex);
		if (!refs)
			dhp_ev_free(e);
		cond_resched();
	}
}

/*
 * The next event for @c, with the adjacent memory events after it merged
 * in, copied to @out. Returns false when @c has nothing published left.
 * dhp_ev_lock held.
 */
static bool dhp_ev_next_for(struct dhp_event_client *c, struct dhp_event *out)
{
	struct dhp_qevent *e = c->cursor;

	lockdep_assert_held(&dhp_ev_lock);
	if (c->dying || !e)
		return false;
	*out = e->ev;
	list_for_each_entry_continue(e, &dhp_ev_queue, node) {
		if (!dhp_ev_held(c, e) || !dhp_mem_mergeable(out, &e->ev))
			break;
		dhp_mem_merge(out, &e->ev);
	}
	return true;
}

/*
 * Drops @c's references on the events it holds with sequence numbers up to
 * @upto, walking from its cursor and stopping once it holds none, so that
 * an event it was not counted in is never touched; moves the cursor to the
 * next one it holds. The events whose last reference goes are moved to
 * @dead for freeing. Returns how many references were dropped.
 * dhp_ev_lock held.
 */
static unsigned long dhp_ev_put_upto(struct dhp_event_client *c, u64 upto,
				     struct list_head *dead)
{
	struct dhp_qevent *e = c->cursor, *tmp;
	unsigned long n = 0;

	lockdep_assert_held(&dhp_ev_lock);
	c->cursor = NULL;
	if (!e)
		return 0;
	list_for_each_entry_safe_from(e, tmp, &dhp_ev_queue, node) {
		if (!dhp_ev_held(c, e))
			continue;
		if (e->ev.seq > upto) {
			c->cursor = e;
			break;
		}
		n++;
		if (!--e->refs)
			list_move_tail(&e->node, dead);
		if (!--c->held)
			break;
	}
	c->last_seq = max(c->last_seq, min(upto, dhp_ev_pub_seq));
	return n;
}

/*
 * When an overflowing @c holds nothing more, the event that tells it what
 * it lost, in @out; the stream resumes after the last event published,
 * all of whose predecessors @c has consumed or lost. dhp_ev_lock held.
 */
static bool dhp_ev_overflow_for(struct dhp_event_client *c,
				struct dhp_event *out)
{
	lockdep_assert_held(&dhp_ev_lock);
	if (c->dying || !c->lost || c->held)
		return false;
	memset(out, 0, sizeof(*out));
	out->kind = DHP_EV_OVERFLOW;
	out->seq = c->lost_first;
	out->count = c->lost;
	out->timestamp_ns = ktime_get_ns();
	c->last_seq = dhp_ev_pub_seq;
	c->lost = 0;
	c->overflows++;
	return true;
}

/* Frees the events on @list and leaves it empty, ready for reuse. */
static void dhp_ev_free_list(struct list_head *list)
{
	struct dhp_qevent *e, *tmp;

	list_for_each_entry_safe(e, tmp, list, node)
		dhp_ev_free(e);
	INIT_LIST_HEAD(list);
}

static void dhp_deliver(struct dhp_event_client *c, const struct dhp_event *ev)
{
	trace_dhp_event_deliver(c->cl.id, ev);
	c->callback(c->context, ev);
}

/* Step 4: a client's worker. One runs per client at a time. */
static void dhp_client_work(struct work_struct *work)
{
	struct dhp_event_client *c = container_of(work, typeof(*c), work);
	struct dhp_qevent *e, *tmp;
	struct dhp_event ev;
	unsigned long n;
	bool overflow;
	LIST_HEAD(dead);

	/*
	 * The dispatcher may queue us as soon as the client is on the list,
	 * before its registration has finished with @c->existing: the
	 * registration queues us again when it has (release/acquire pair).
	 */
	if (!smp_load_acquire(&c->ready))
		return;
	/* Filled before the client was visible; only this worker drains it. */
	list_for_each_entry_safe(e, tmp, &c->existing, node) {
		if (READ_ONCE(c->dying))
			return;
		list_del(&e->node);
		dhp_deliver(c, &e->ev);
		dhp_ev_free(e);
		cond_resched();
	}

	for (;;) {
		spin_lock(&dhp_ev_lock);
		if (dhp_ev_next_for(c, &ev)) {
			overflow = false;
		} else if (dhp_ev_overflow_for(c, &ev)) {
			overflow = true;
		} else {
			spin_unlock(&dhp_ev_lock);
			return;
		}
		spin_unlock(&dhp_ev_lock);

		dhp_deliver(c, &ev);
		if (overflow)
			continue;

		spin_lock(&dhp_ev_lock);
		n = dhp_ev_put_upto(c, ev.seq + ev.count - 1, &dead);
		c->delivered += n;
		c->calls++;
		dhp_ev_delivered += n;
		spin_unlock(&dhp_ev_lock);
		dhp_ev_free_list(&dead);
		cond_resched();
	}
}

/* Under every source's lock, see dhp_ev_snapshot(). */
static void dhp_async_attach(void *arg)
{
	struct dhp_event_client *c = arg;

	mutex_lock(&dhp_async_mutex);
	spin_lock(&dhp_ev_lock);
	c->start_seq = dhp_ev_next_seq;
	c->last_seq = c->start_seq - 1;
	spin_unlock(&dhp_ev_lock);
	dhp_client_add(&dhp_async_set, &c->cl, c->cl.owner, c->callback);
	mutex_unlock(&dhp_async_mutex);
}

/**
 * __dhp_register_event_callback() - register for asynchronous notifications
 * @callback: called for each event, see &dhp_event_callback_t.
 * @context: passed to @callback unchanged.
 * @flags: %DHP_EV_PROCESSOR and/or %DHP_EV_MEMORY (at least one), and
 *	optionally %DHP_EV_INCLUDE_EXISTING for arrivals of the CPUs and memory
 *	online now, delivered before any later event.
 * @owner: the calling module; dhp_register_event_callback() passes
 *	THIS_MODULE.
 *
 * The analogue of IoRegisterPlugPlayNotification() for GUID_DEVICE_PROCESSOR
 * and GUID_DEVICE_MEMORY. Every event that happens after this returns is
 * delivered exactly once, in order, until unregistration.
 *
 * Context: process context, may sleep; takes cpus_read_lock(). Not from a
 * synchronous dhp callback (-EDEADLK), nor from a memory notifier.
 *
 * Return: a handle for dhp_unregister_event_callback(), or an ERR_PTR():
 * -EINVAL (NULL @callback, no category, unknown flags), -EDEADLK, -ENOMEM.
 */
struct dhp_event_client *__dhp_register_event_callback(dhp_event_callback_t callback,
						       void *context,
						       unsigned int flags,
						       struct module *owner)
{
	struct dhp_event_client *c;
	int err;

	if (!callback || (flags & ~DHP_EV_FLAGS_ALL) ||
	    !(flags & (DHP_EV_PROCESSOR | DHP_EV_MEMORY))) {
		pr_err("register events: %s (flags %#x, from %pS)\n",
		       !callback ? "NULL callback" :
		       (flags & ~DHP_EV_FLAGS_ALL) ? "unknown flags" :
		       "no category (DHP_EV_PROCESSOR and/or DHP_EV_MEMORY)",
		       flags, __builtin_return_address(0));
		return ERR_PTR(-EINVAL);
	}
	if (dhp_in_sync_callback()) {
		pr_err("register events: called from a dhp callback, would deadlock\n");
		return ERR_PTR(-EDEADLK);
	}

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	dhp_obj_count(DHP_OBJ_EV_CLIENT, true);
	INIT_WORK(&c->work, dhp_client_work);
	INIT_LIST_HEAD(&c->existing);
	c->cl.owner = owner;
	c->callback = callback;
	c->context = context;
	c->flags = flags;

	err = dhp_ev_snapshot(dhp_ev_sources, dhp_ev_nr(),
			      (flags & DHP_EV_INCLUDE_EXISTING) ? flags : 0,
			      &c->existing, dhp_async_attach, c);

	if (err) {
		dhp_ev_free_list(&c->existing);
		dhp_obj_count(DHP_OBJ_EV_CLIENT, false);
		kfree(c);
		return ERR_PTR(err);
	}
	/*
	 * The worker does nothing until @c->ready, so the list is still ours
	 * although the dispatcher may already have queued the worker.
	 */
	trace_dhp_record(DHP_REC_EV_REGISTER, -1, c->cl.id, flags, 0);
	/* Pairs with the acquire in dhp_client_work(): the list is complete. */
	smp_store_release(&c->ready, true);
	queue_work(dhp_async_wq, &c->work);
	return c;
}
EXPORT_SYMBOL_GPL(__dhp_register_event_callback);

/**
 * dhp_unregister_event_callback() - stop asynchronous notifications
 * @client: a handle from dhp_register_event_callback().
 *
 * When this returns 0 the callback is not running and will never run
 * again; events still queued for the client are discarded and counted.
 *
 * Context: process context, may sleep: waits for a running callback, so
 * not from a CPU hotplug callback nor with cpus_read_lock() held if the
 * client's callback may take it.
 *
 * The handle is looked up by address in a hash table, O(1) in the number
 * of clients, and never dereferenced before it is found.
 *
 * Return: 0; -EINVAL for NULL; -EDEADLK from the client's own callback or
 * a synchronous dhp callback; -ENOENT (with a message) for a handle that is
 * not registered, as after a double unregister, but only while its memory
 * has not gone to a new registration: such a stale handle cannot be told
 * from the new client's and unregisters it.
 */
int dhp_unregister_event_callback(struct dhp_event_client *client)
{
	unsigned long discarded;
	bool found;
	struct dhp_qevent *e;
	LIST_HEAD(dead);

	if (!client) {
		pr_err("unregister events: NULL handle (from %pS)\n",
		       __builtin_return_address(0));
		return -EINVAL;
	}
	/* Pointer comparisons only: a stale handle is never dereferenced. */
	if (current_work() == &client->work || dhp_in_sync_callback()) {
		pr_err("unregister events: called from a dhp callback, would deadlock (from %pS)\n",
		       __builtin_return_address(0));
		return -EDEADLK;
	}

	mutex_lock(&dhp_async_mutex);
	found = dhp_client_take(&dhp_async_set, &client->cl,
				__builtin_return_address(0));
	if (found) {
		/*
		 * The dispatcher gives references under dhp_async_mutex:
		 * @client gets none from now on, and its worker takes nothing
		 * new (dying). What it holds, @client->held events from its
		 * cursor on, is put below, and only that, however long the
		 * callback in progress takes.
		 */
		spin_lock(&dhp_ev_lock);
		WRITE_ONCE(client->dying, true);
		spin_unlock(&dhp_ev_lock);
	}
	mutex_unlock(&dhp_async_mutex);
	if (!found)
		return -ENOENT;

	/*
	 * No new work can be queued for it now. A running worker stops after
	 * the callback in progress; wait for that one.
	 */
	cancel_work_sync(&client->work);

	spin_lock(&dhp_ev_lock);
	discarded = dhp_ev_put_upto(client, U64_MAX, &dead);
	dhp_ev_discarded += discarded;
	spin_unlock(&dhp_ev_lock);
	dhp_ev_free_list(&dead);
	list_for_each_entry(e, &client->existing, node)
		discarded++;
	dhp_ev_free_list(&client->existing);

	trace_dhp_record(DHP_REC_EV_UNREGISTER, -1, client->cl.id, discarded, 0);
	dhp_obj_count(DHP_OBJ_EV_CLIENT, false);
	kfree(client);
	return 0;
}
EXPORT_SYMBOL_GPL(dhp_unregister_event_callback);

static int dhp_ev_clients_show(struct seq_file *m, void *v)
{
	struct dhp_event_client *c;

	mutex_lock(&dhp_async_mutex);
	seq_printf(m, "# clients %u\n", dhp_async_set.nr);
	seq_puts(m, "# id flags delivered calls queued last-seq callback lost overflows\n");
	list_for_each_entry(c, &dhp_async_set.list, cl.node) {
		spin_lock(&dhp_ev_lock);
		seq_printf(m, "%llu %#x %lu %lu %u %llu %ps %lu %lu\n", c->cl.id,
			   c->flags, c->delivered, c->calls, c->held,
			   c->last_seq, c->callback, c->lost, c->overflows);
		spin_unlock(&dhp_ev_lock);
	}
	mutex_unlock(&dhp_async_mutex);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_ev_clients);

static int dhp_ev_stats_show(struct seq_file *m, void *v)
{
	unsigned long queued = 0;
	struct dhp_qevent *e;

	spin_lock(&dhp_ev_lock);
	list_for_each_entry(e, &dhp_ev_queue, node)
		queued++;
	seq_printf(m, "posted %llu\nqueued %lu\ndelivered %lu\nunclaimed %lu\ndiscarded %lu\nfanout %lu\nlost %lu\n",
		   dhp_ev_next_seq - 1, queued, dhp_ev_delivered,
		   dhp_ev_unclaimed, dhp_ev_discarded, dhp_ev_fanout,
		   dhp_ev_lost);
	spin_unlock(&dhp_ev_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_ev_stats);

int dhp_async_init(void)
{
	/*
	 * Freezable: no callback runs while devices are suspended. As many
	 * clients may sleep in callbacks at once as a workqueue allows.
	 */
	dhp_async_wq = alloc_workqueue("dhp", WQ_UNBOUND | WQ_FREEZABLE,
				       WQ_MAX_ACTIVE);
	if (!dhp_async_wq)
		return -ENOMEM;
	/* Per-CPU, for dhp_ev_post(); one work item: max_active 1 is enough. */
	dhp_dispatch_wq = alloc_workqueue("dhp_dispatch", WQ_FREEZABLE, 1);
	if (!dhp_dispatch_wq) {
		destroy_workqueue(dhp_async_wq);
		return -ENOMEM;
	}
	dhp_client_set_add(&dhp_async_set);
	debugfs_create_file("event_clients", 0444, dhp_debugfs, NULL,
			    &dhp_ev_clients_fops);
	debugfs_create_file("events", 0444, dhp_debugfs, NULL,
			    &dhp_ev_stats_fops);
	return 0;
}

/* After the CPU and memory parts stopped posting; no client is left. */
void dhp_async_exit(void)
{
	LIST_HEAD(dead);

	flush_delayed_work(&dhp_dispatch_work);
	destroy_workqueue(dhp_dispatch_wq);
	destroy_workqueue(dhp_async_wq);
	spin_lock(&dhp_ev_lock);
	list_splice_init(&dhp_ev_queue, &dead);
	spin_unlock(&dhp_ev_lock);
	dhp_ev_free_list(&dead);
}
