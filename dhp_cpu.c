// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_cpu: the synchronous processor notification.
 *
 * dhp owns one pair of dynamic cpuhp states and fans each step out to all of
 * its clients:
 *
 *   state            startup (bring-up)          teardown (take-down)
 *   dhp:prepare (BP) ADD_START, may veto         ADD_FAILURE or REMOVE_COMPLETE
 *   dhp:online  (AP) ADD_COMPLETE, or             REMOVE_START
 *                    REMOVE_FAILURE after a failed offline
 *
 * The prepare state runs on the control CPU before the new CPU executes
 * anything; the online state runs on the new CPU in its cpuhp thread, before
 * the CPU becomes active for the scheduler. cpuhp never calls the teardown of
 * a state whose startup failed, and calls the prepare teardown both after a
 * normal offline and when a later step of an add failed. So dhp keeps, for
 * each client and CPU, where that client is in the protocol:
 *
 *   NONE --ADD_START--> STARTED --ADD_COMPLETE--> UP --REMOVE_START--> REMOVING
 *     ^                    |                        ^                     |
 *     |                    |                        +--REMOVE_FAILURE-----+
 *     +----ADD_FAILURE-----+<------------------REMOVE_COMPLETE------------+
 *
 * and every fan-out delivers a step only to the clients in that step's
 * "from" state. ADD_FAILURE therefore reaches exactly the clients that got
 * ADD_START, whatever failed, and a client registered while a CPU sat between
 * the two states (possible with CPU_HOTPLUG_STATE_CONTROL) hears nothing of
 * that CPU rather than half a sequence.
 *
 * System suspend and hibernation take the secondary CPUs down and up with
 * tasks frozen (cpuhp_tasks_frozen). Clients are told nothing of that, as
 * Windows tells drivers nothing of a sleep: their per-CPU data survives
 * it, nothing at resume can veto a CPU back, and no asynchronous event is
 * posted. dhp only marks the CPU SUSPENDED. If a CPU fails to come back,
 * clients get REMOVE_START (on the control CPU: the CPU cannot run it any
 * more) and REMOVE_COMPLETE, and the removal is posted (dhp_cpu_lost()),
 * never with tasks frozen (a client may wait for freezable work): a
 * failed bring-up rolled back through dhp's states leaves the CPU
 * SUSPENDED, as does one that failed before dhp:prepare, and the PM
 * notifier reports every such CPU once the system is back. If someone
 * brings one up before that, its prepare step reports it first. A client
 * registered with ADD_EXISTING meanwhile (by a task that is not frozen)
 * finds the CPU offline; the PM notifier replays it to that client once
 * it is back (dhp_cpu_replay_owed()).
 *
 * Locking. The client list, each client's protocol state and counters, and
 * the per-CPU phase are written only
 *   - by the cpuhp callbacks below, which run with the CPU hotplug lock held
 *     for write by the task driving the hotplug (the prepare callbacks run in
 *     that task, the online ones in the new CPU's cpuhp thread while that task
 *     waits), or
 *   - with cpus_read_lock() and dhp_cpu_mutex held (registration,
 *     unregistration, the PM notifier; the mutex orders them).
 * The two are mutually exclusive, so the callbacks walk the list without a
 * lock of their own, and a reader holding cpus_read_lock() and the mutex (the
 * debugfs files) sees a stable snapshot. Lock order: cpus_read_lock, then
 * dhp_cpu_mutex. Everything here runs in process context and may sleep.
 *
 * Why not a cpuhp multi-instance state per step, one instance per client:
 * cpuhp keeps the instances in an hlist, newest first, and calls them in
 * that one order for startup and teardown alike, so neither Windows'
 * registration order on adds nor its reverse on removals would hold; its
 * add-instance replay runs the prepare state for every CPU before the
 * online state for any, and its remove-instance tears the client down on
 * every CPU, where unregistration here sends no REMOVE steps. The protocol
 * state and the suspend rules below would be needed all the same.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/export.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/suspend.h>
#include <linux/workqueue.h>

#include "dhp_internal.h"
#include "dhp_logic.h"
#include "dhp_trace.h"

static const char *const dhp_cpu_step_names[DHP_CPU_NR_STATES] = {
	[DHP_CPU_ADD_START]	  = "add-start",
	[DHP_CPU_ADD_COMPLETE]	  = "add-complete",
	[DHP_CPU_ADD_FAILURE]	  = "add-failure",
	[DHP_CPU_REMOVE_START]	  = "remove-start",
	[DHP_CPU_REMOVE_COMPLETE] = "remove-complete",
	[DHP_CPU_REMOVE_FAILURE]  = "remove-failure",
};

struct dhp_cpu_client {
	struct dhp_client cl;		/* in dhp_cpu_set */
	dhp_cpu_callback_t callback;
	void *context;
	void __percpu *pcpu;	/* the client's per-CPU context, or NULL */
	unsigned int flags;
	unsigned long count[DHP_CPU_NR_STATES];
	unsigned long vetoes;
	int owed_veto;		/* dhp_cpu_replay_owed()'s, dhp_cpu_mutex */
	u8 cpu_state[];		/* enum dhp_proto, nr_cpu_ids entries */
};

/* Where a CPU is as dhp sees it. */
enum dhp_cpu_phase {
	DHP_PHASE_OFFLINE,
	DHP_PHASE_PREPARED,	/* ADD_START delivered, online step not yet */
	DHP_PHASE_ONLINE,
	DHP_PHASE_GOING_DOWN,	/* REMOVE_START delivered, CPU not yet dead */
	DHP_PHASE_SUSPENDED,	/* down for system suspend, clients untold */
	DHP_PHASE_RESUMING,	/* coming back from it, past dhp:prepare */
};

static const char *const dhp_phase_names[] = {
	[DHP_PHASE_OFFLINE]	= "offline",
	[DHP_PHASE_PREPARED]	= "prepared",
	[DHP_PHASE_ONLINE]	= "online",
	[DHP_PHASE_GOING_DOWN]	= "going-down",
	[DHP_PHASE_SUSPENDED]	= "suspended",
	[DHP_PHASE_RESUMING]	= "resuming",
};

struct dhp_cpu_info {
	enum dhp_cpu_phase phase;
	/* Asynchronous events reserved at prepare, posted at online / dead. */
	struct dhp_qevent *arrival;
	struct dhp_qevent *removal;
	unsigned long kick;		/* dhp_cpu_quiesces at prepare */
	unsigned long adds;		/* ADD_COMPLETE steps */
	unsigned long failures;		/* ADD_FAILURE steps */
	unsigned long removes;		/* REMOVE_COMPLETE steps */
	int last_err;			/* reason of the last failed add */
	/*
	 * Down for a suspend: clients registered from this id on owe it the
	 * ADD_EXISTING replay (dhp_cpu_replay_owed()); 0 when nobody can.
	 */
	u64 owed_from;
};

static DEFINE_PER_CPU(struct dhp_cpu_info, dhp_cpu_info);
static DEFINE_MUTEX(dhp_cpu_mutex);
DHP_DEFINE_CLIENT_SET(dhp_cpu_set, "synchronous", &dhp_cpu_mutex,
		      struct dhp_cpu_client, dhp_unregister_cpu_callback, 1);

static int dhp_prepare_state = -1;
static int dhp_online_state = -1;
/* Set while dhp_cpu_init() installs dhp:online, under cpus_read_lock(). */
static bool dhp_cpu_loading;

static bool dhp_cpu_due(const struct dhp_cpu_client *c, unsigned int cpu,
			enum dhp_cpu_state state)
{
	u8 next;

	return dhp_proto_step(c->cpu_state[cpu], state, &next);
}

/*
 * Calls one client for one step, which must be due, and moves its protocol
 * state on. Returns the veto for ADD_START (a negative errno) or 0.
 */
static int dhp_cpu_call(struct dhp_cpu_client *c, unsigned int cpu,
			enum dhp_cpu_state state, int reason)
{
	struct dhp_cpu_change change = {
		.cpu = cpu,
		.state = state,
		.status = reason,
		.cpu_ctx = c->pcpu ? per_cpu_ptr(c->pcpu, cpu) : NULL,
	};
	int status = 0;

	c->callback(c->context, &change, &status);
	c->count[state]++;
	dhp_proto_step(c->cpu_state[cpu], state, &c->cpu_state[cpu]);

	if (!status)
		return 0;
	if (state != DHP_CPU_ADD_START) {
		pr_warn_ratelimited("client %llu (%ps): status %d in %s ignored: only add-start can veto\n",
				    c->cl.id, c->callback, status,
				    dhp_cpu_step_names[state]);
		return 0;
	}
	if (status > 0 || status < -MAX_ERRNO) {
		pr_warn_ratelimited("client %llu (%ps): veto status %d is not a negative errno, using -EIO\n",
				    c->cl.id, c->callback, status);
		status = -EIO;
	}
	c->vetoes++;
	return status;
}

/* dhp_record's CPU steps are those of enum dhp_cpu_state, in order. */
static_assert(DHP_REC_CPU_REMOVE_FAILURE - DHP_REC_CPU_ADD_START ==
	      DHP_CPU_REMOVE_FAILURE - DHP_CPU_ADD_START);

/*
 * Delivers @state for @cpu to every client it is due to, in registration
 * order or in @reverse, and traces it.
 */
static void dhp_cpu_fan_out(unsigned int cpu, enum dhp_cpu_state state,
			    int reason, bool reverse)
{
	struct list_head *head = &dhp_cpu_set.list, *pos;
	struct dhp_cpu_client *c;
	unsigned int calls = 0;

	for (pos = reverse ? head->prev : head->next; pos != head;
	     pos = reverse ? pos->prev : pos->next) {
		c = list_entry(pos, struct dhp_cpu_client, cl.node);
		if (dhp_cpu_due(c, cpu, state)) {
			dhp_cpu_call(c, cpu, state, reason);
			calls++;
		}
	}
	trace_dhp_record(DHP_REC_CPU_ADD_START + state, cpu, 0, calls,
			 reason);
}

static struct dhp_qevent *dhp_cpu_ev_alloc(enum dhp_event_kind kind,
					   unsigned int cpu)
{
	struct dhp_qevent *e = dhp_ev_alloc(kind);

	if (e) {
		e->ev.cpu.cpu = cpu;
		e->ev.cpu.node = cpu_to_node(cpu);
	}
	return e;
}

/* Frees the reserved events of a CPU that did not come. */
static void dhp_cpu_ev_drop(struct dhp_cpu_info *info)
{
	dhp_ev_free(info->arrival);
	dhp_ev_free(info->removal);
	info->arrival = NULL;
	info->removal = NULL;
}

/*
 * The event source of CPUs (dhp_ev_source). Its arrivals and removals are
 * posted with the hotplug lock held for write (the cpuhp callbacks) or for
 * read with dhp_cpu_mutex (the PM notifier): its lock is both of the latter.
 */
static void dhp_cpu_lock(void)
{
	cpus_read_lock();
	mutex_lock(&dhp_cpu_mutex);
}

static void dhp_cpu_unlock(void)
{
	mutex_unlock(&dhp_cpu_mutex);
	cpus_read_unlock();
}

/*
 * Whether clients know @cpu as there: it passed dhp's online step and no
 * removal has been posted for it. A CPU parked in a removal or down for a
 * suspend still is (not running, maybe): its removal, if it comes, is
 * posted later.
 */
static bool dhp_cpu_known(unsigned int cpu)
{
	switch (per_cpu(dhp_cpu_info, cpu).phase) {
	case DHP_PHASE_ONLINE:
	case DHP_PHASE_GOING_DOWN:
	case DHP_PHASE_SUSPENDED:
	case DHP_PHASE_RESUMING:
		return true;
	default:
		return false;
	}
}

/* The existing: the CPUs clients know as there (dhp_cpu_known()). */
static int dhp_cpu_existing(struct list_head *out)
{
	struct dhp_qevent *e;
	unsigned int cpu;

	/* And cpus_read_lock(): lockdep_assert_cpus_held() is not exported. */
	lockdep_assert_held(&dhp_cpu_mutex);
	for_each_possible_cpu(cpu) {
		if (!dhp_cpu_known(cpu))
			continue;
		e = dhp_cpu_ev_alloc(DHP_EV_CPU_ARRIVAL, cpu);
		if (!e)
			return -ENOMEM;
		e->ev.seq = 0;
		e->ev.timestamp_ns = ktime_get_ns();
		list_add_tail(&e->node, out);
	}
	return 0;
}

/*
 * A CPU arrival is posted from the hotplug operation, before the CPU is
 * active: taking the hotplug lock for read waits for the operation to end,
 * so clients hear of a CPU they can use. The dispatcher holds no dhp lock
 * here, so this cannot deadlock with the hotplug.
 */
static void dhp_cpu_settle(struct dhp_event *ev)
{
	if (ev->kind == DHP_EV_CPU_ARRIVAL) {
		cpus_read_lock();
		cpus_read_unlock();
	}
}

/*
 * The online step posts the arrival without waking or arming anything:
 * the prepare step of the same operation, on the control CPU, kicked the
 * dispatcher, whose run begins with dhp_cpu_quiesce() and so looks at the
 * queue only after the operation. dhp_cpu_quiesces counts those waits,
 * so that an online step coming in a later operation than its prepare (a
 * CPU parked between the two states, CPU_HOTPLUG_STATE_CONTROL) sees that
 * the kick is spent and arms one. Written by the dispatcher (one at a
 * time) under cpus_read_lock(); read by the steps under the write lock.
 */
static unsigned long dhp_cpu_quiesces;

static void dhp_cpu_quiesce(void)
{
	cpus_read_lock();
	WRITE_ONCE(dhp_cpu_quiesces, dhp_cpu_quiesces + 1);
	cpus_read_unlock();
}

static const struct dhp_ev_source dhp_cpu_source = {
	.category = DHP_EV_PROCESSOR,
	.lock = dhp_cpu_lock,
	.unlock = dhp_cpu_unlock,
	.existing = dhp_cpu_existing,
	.settle = dhp_cpu_settle,
	.quiesce = dhp_cpu_quiesce,
};

/*
 * A CPU that went down for a suspend did not come back: clients hear it is
 * gone, REMOVE_START on the control CPU (the CPU cannot run it any more),
 * then REMOVE_COMPLETE, and its removal is posted. Inside a fan-out (see
 * the locking rules at the top).
 */
static void dhp_cpu_lost(unsigned int cpu, struct dhp_cpu_info *info)
{
	dhp_cpu_fan_out(cpu, DHP_CPU_REMOVE_START, 0, true);
	dhp_cpu_fan_out(cpu, DHP_CPU_REMOVE_COMPLETE, 0, true);
	info->removes++;
	/* Reserved when the CPU came (or at load): never missing. */
	dhp_ev_post(info->removal);
	info->removal = NULL;
	info->phase = DHP_PHASE_OFFLINE;
}

/* cpuhp BP prepare startup: control CPU, hotplug lock held for write. */
static int dhp_cpu_prepare(unsigned int cpu)
{
	struct dhp_cpu_info *info = per_cpu_ptr(&dhp_cpu_info, cpu);
	struct task_struct *prev;
	struct dhp_cpu_client *c;
	unsigned int calls = 0;
	int err = 0;

	if (info->phase == DHP_PHASE_SUSPENDED) {
		if (cpuhp_tasks_frozen) {
			info->phase = DHP_PHASE_RESUMING;
			return 0;
		}
		/* It did not resume, and is brought up before the PM notifier. */
		prev = dhp_sync_enter();
		dhp_cpu_lost(cpu, info);
		dhp_sync_leave(prev);
	}

	/* An add reaches every client that is NONE: nothing is owed then. */
	info->owed_from = 0;
	/*
	 * Reserve the asynchronous arrival and the removal to come, before any
	 * client allocates: a CPU dhp could not report is not added.
	 */
	if (!info->arrival)
		info->arrival = dhp_cpu_ev_alloc(DHP_EV_CPU_ARRIVAL, cpu);
	if (!info->removal)
		info->removal = dhp_cpu_ev_alloc(DHP_EV_CPU_REMOVAL, cpu);
	if (!info->arrival || !info->removal) {
		dhp_cpu_ev_drop(info);
		trace_dhp_record(DHP_REC_EV_RESERVE_FAIL, cpu, 0, 0, -ENOMEM);
		return -ENOMEM;
	}

	prev = dhp_sync_enter();
	list_for_each_entry(c, &dhp_cpu_set.list, cl.node) {
		/* Every client is NONE for an offline CPU; the table decides. */
		if (WARN_ON_ONCE(!dhp_cpu_due(c, cpu, DHP_CPU_ADD_START)))
			continue;
		calls++;
		err = dhp_cpu_call(c, cpu, DHP_CPU_ADD_START, 0);
		if (err) {
			trace_dhp_record(DHP_REC_CPU_VETO, cpu, c->cl.id, 0,
					 err);
			break;
		}
	}
	trace_dhp_record(DHP_REC_CPU_ADD_START, cpu, 0, calls, 0);
	if (err) {
		/* cpuhp will not call our teardown: roll back here. */
		dhp_cpu_fan_out(cpu, DHP_CPU_ADD_FAILURE, err, true);
		info->failures++;
		info->last_err = err;
		info->phase = DHP_PHASE_OFFLINE;
		dhp_cpu_ev_drop(info);
	} else {
		info->phase = DHP_PHASE_PREPARED;
		info->kick = dhp_cpu_quiesces;
		dhp_ev_kick();
	}
	dhp_sync_leave(prev);
	return err;
}

/*
 * cpuhp AP online startup: on @cpu in its cpuhp thread, lock held. Reached
 * during an add, or as the rollback of an offline that failed below us.
 */
static int dhp_cpu_online(unsigned int cpu)
{
	struct dhp_cpu_info *info = per_cpu_ptr(&dhp_cpu_info, cpu);
	struct task_struct *prev;
	bool kicked;

	if (dhp_cpu_loading) {
		/* dhp_cpu_init(): @cpu is past dhp:online; it will leave. */
		info->removal = dhp_cpu_ev_alloc(DHP_EV_CPU_REMOVAL, cpu);
		if (!info->removal)
			return -ENOMEM;
		info->phase = DHP_PHASE_ONLINE;
		return 0;
	}
	/*
	 * Back from suspend, or a suspend's offline of this CPU failed and is
	 * rolled back: clients never heard it went, nor hear it is back.
	 */
	if (info->phase == DHP_PHASE_RESUMING ||
	    info->phase == DHP_PHASE_SUSPENDED) {
		info->phase = DHP_PHASE_ONLINE;
		return 0;
	}
	/*
	 * OFFLINE: parked past dhp:prepare when dhp loaded (state control), so
	 * no client heard its ADD_START, but its arrival is news all the same:
	 * reserved here, and a CPU dhp could not report is not added.
	 */
	if (info->phase == DHP_PHASE_OFFLINE) {
		dhp_cpu_ev_drop(info);
		info->arrival = dhp_cpu_ev_alloc(DHP_EV_CPU_ARRIVAL, cpu);
		info->removal = dhp_cpu_ev_alloc(DHP_EV_CPU_REMOVAL, cpu);
		if (!info->arrival || !info->removal) {
			dhp_cpu_ev_drop(info);
			trace_dhp_record(DHP_REC_EV_RESERVE_FAIL, cpu, 0, 0,
					 -ENOMEM);
			return -ENOMEM;
		}
	}
	/* Only a prepare step kicks; it may be spent, see dhp_cpu_quiesce(). */
	kicked = info->phase == DHP_PHASE_PREPARED &&
		 info->kick == dhp_cpu_quiesces;
	prev = dhp_sync_enter();
	if (info->phase == DHP_PHASE_GOING_DOWN) {
		dhp_cpu_fan_out(cpu, DHP_CPU_REMOVE_FAILURE, 0, false);
	} else {
		dhp_cpu_fan_out(cpu, DHP_CPU_ADD_COMPLETE, 0, false);
		info->adds++;
		/* No wake-up from the online step, see dhp_cpu_quiesce(). */
		dhp_ev_post_unkicked(info->arrival, kicked);
		info->arrival = NULL;
	}
	info->phase = DHP_PHASE_ONLINE;
	dhp_sync_leave(prev);
	return 0;
}

/* cpuhp AP online teardown: on @cpu, still online; must not fail. */
static int dhp_cpu_offline(unsigned int cpu)
{
	struct dhp_cpu_info *info = per_cpu_ptr(&dhp_cpu_info, cpu);
	struct task_struct *prev;

	if (dhp_cpu_loading) {
		/* dhp_cpu_init() failed on another CPU: undo this one. */
		dhp_cpu_ev_drop(info);
		info->phase = DHP_PHASE_OFFLINE;
		return 0;
	}
	if (cpuhp_tasks_frozen) {
		info->phase = DHP_PHASE_SUSPENDED;
		/*
		 * The next id: clients registering while it is down. Kept if
		 * set: down again before the PM notifier (a hibernation's
		 * image, then its power-off rolled back), the first window's
		 * clients are still owed.
		 */
		if (!info->owed_from)
			info->owed_from = dhp_cpu_set.next_id;
		return 0;
	}
	prev = dhp_sync_enter();
	dhp_cpu_fan_out(cpu, DHP_CPU_REMOVE_START, 0, true);
	info->phase = DHP_PHASE_GOING_DOWN;
	dhp_sync_leave(prev);
	return 0;
}

/*
 * cpuhp BP prepare teardown: the CPU is dead; control CPU, lock held; must
 * not fail. Reached after a normal offline (clients are REMOVING), when a
 * step after dhp:prepare failed during an add (clients are STARTED), when
 * a resume failed past dhp:prepare (RESUMING: left for the PM notifier),
 * or for a CPU parked past dhp:prepare when dhp loaded that goes down
 * again (OFFLINE: nobody heard of it).
 */
static int dhp_cpu_dead(unsigned int cpu)
{
	struct dhp_cpu_info *info = per_cpu_ptr(&dhp_cpu_info, cpu);
	struct task_struct *prev;

	switch (info->phase) {
	case DHP_PHASE_SUSPENDED:
		return 0;
	case DHP_PHASE_RESUMING:
		if (cpuhp_tasks_frozen) {
			/* told once tasks run again: the PM notifier */
			info->phase = DHP_PHASE_SUSPENDED;
			return 0;
		}
		break;
	case DHP_PHASE_OFFLINE:
		dhp_cpu_ev_drop(info);
		return 0;
	default:
		break;
	}
	prev = dhp_sync_enter();
	if (info->phase == DHP_PHASE_RESUMING) {
		dhp_cpu_lost(cpu, info);
	} else if (info->phase == DHP_PHASE_PREPARED) {
		dhp_cpu_fan_out(cpu, DHP_CPU_ADD_FAILURE, -ECANCELED, true);
		info->failures++;
		info->last_err = -ECANCELED;
		dhp_cpu_ev_drop(info);
	} else {
		dhp_cpu_fan_out(cpu, DHP_CPU_REMOVE_COMPLETE, 0, true);
		info->removes++;
		/* Reserved when the CPU came (or at load): never missing. */
		dhp_ev_post(info->removal);
		info->removal = NULL;
	}
	info->phase = DHP_PHASE_OFFLINE;
	dhp_sync_leave(prev);
	return 0;
}

struct dhp_cpu_on {
	struct dhp_cpu_client *client;
	unsigned int cpu;
	enum dhp_cpu_state state;
};

static long dhp_cpu_on_fn(void *arg)
{
	const struct dhp_cpu_on *on = arg;
	struct task_struct *prev = dhp_sync_enter();

	dhp_cpu_call(on->client, on->cpu, on->state, 0);
	dhp_sync_leave(prev);
	return 0;
}

/*
 * A replayed step that the header says runs on the CPU concerned
 * (ADD_COMPLETE, REMOVE_START) runs there, in a kworker bound to it, as
 * cpuhp runs an AP state in the CPU's own thread. The registering task
 * waits for it, holding cpus_read_lock() (so @cpu stays online) and
 * dhp_cpu_mutex; the kworker needs neither, and counts as inside a dhp
 * callback while it calls the client.
 */
static void dhp_cpu_call_on(struct dhp_cpu_client *c, unsigned int cpu,
			    enum dhp_cpu_state state)
{
	struct dhp_cpu_on on = { .client = c, .cpu = cpu, .state = state };

	work_on_cpu(cpu, dhp_cpu_on_fn, &on);
}

/*
 * ADD_EXISTING: ADD_START and ADD_COMPLETE for each CPU that passed dhp's
 * online step. On a veto the client gets ADD_FAILURE for that CPU and the
 * CPUs already replayed are taken back with REMOVE_START and REMOVE_COMPLETE,
 * in reverse. ADD_COMPLETE and REMOVE_START run on the CPU concerned, the
 * other steps in the registering task (the control CPU).
 */
static int dhp_cpu_replay(struct dhp_cpu_client *c)
{
	unsigned int cpu, n = 0;
	int err = 0;

	/* And cpus_read_lock(): lockdep_assert_cpus_held() is not exported. */
	lockdep_assert_held(&dhp_cpu_mutex);
	for_each_online_cpu(cpu) {
		if (per_cpu(dhp_cpu_info, cpu).phase != DHP_PHASE_ONLINE)
			continue;
		err = dhp_cpu_call(c, cpu, DHP_CPU_ADD_START, 0);
		if (err) {
			dhp_cpu_call(c, cpu, DHP_CPU_ADD_FAILURE, err);
			break;
		}
		dhp_cpu_call_on(c, cpu, DHP_CPU_ADD_COMPLETE);
		n++;
	}
	trace_dhp_record(DHP_REC_CPU_REPLAY, -1, c->cl.id, n, err);
	if (!err)
		return 0;

	for (cpu = nr_cpu_ids; cpu-- > 0;) {
		if (!dhp_cpu_due(c, cpu, DHP_CPU_REMOVE_START))
			continue;
		dhp_cpu_call_on(c, cpu, DHP_CPU_REMOVE_START);
		dhp_cpu_call(c, cpu, DHP_CPU_REMOVE_COMPLETE, 0);
	}
	return err;
}

/*
 * The ADD_EXISTING replay of @cpu owed to the clients that registered while
 * it was down for a suspend (ids from @from on, see dhp_cpu_offline()):
 * theirs skipped it, as it was not online. Once the system is back, from
 * the PM notifier, inside a fan-out, as a hot-add would go but for the
 * vetoes: ADD_START to each in registration order, ADD_FAILURE to those
 * that vetoed, in reverse (each registration stands; that client just
 * does not have this CPU), then ADD_COMPLETE on @cpu to the others, in
 * order. A client that already heard of @cpu (an add since the resume)
 * is not NONE for it and is skipped.
 */
static void dhp_cpu_replay_owed(unsigned int cpu, u64 from)
{
	struct dhp_cpu_client *c;

	lockdep_assert_held(&dhp_cpu_mutex);
	list_for_each_entry(c, &dhp_cpu_set.list, cl.node) {
		c->owed_veto = 0;
		if (c->cl.id < from || !(c->flags & DHP_CPU_ADD_EXISTING) ||
		    c->cpu_state[cpu] != DHP_CC_NONE)
			continue;
		c->owed_veto = dhp_cpu_call(c, cpu, DHP_CPU_ADD_START, 0);
		trace_dhp_record(DHP_REC_CPU_REPLAY, cpu, c->cl.id, 1,
				 c->owed_veto);
		if (c->owed_veto)
			trace_dhp_record(DHP_REC_CPU_VETO, cpu, c->cl.id, 0,
					 c->owed_veto);
	}
	list_for_each_entry_reverse(c, &dhp_cpu_set.list, cl.node)
		if (c->owed_veto)
			dhp_cpu_call(c, cpu, DHP_CPU_ADD_FAILURE, c->owed_veto);
	list_for_each_entry(c, &dhp_cpu_set.list, cl.node)
		/* only these can be STARTED for an online CPU */
		if (c->cl.id >= from &&
		    dhp_cpu_due(c, cpu, DHP_CPU_ADD_COMPLETE))
			dhp_cpu_call_on(c, cpu, DHP_CPU_ADD_COMPLETE);
}

/*
 * After a suspend or hibernation, tasks thawed: a CPU still SUSPENDED did
 * not come back, and is reported lost (see the top). RESUMING cannot last
 * past the resume; it is taken as SUSPENDED all the same. A CPU that came
 * back gets the replays owed to clients registered while it was down.
 */
static int dhp_cpu_pm_notify(struct notifier_block *nb, unsigned long action,
			     void *data)
{
	struct task_struct *prev;
	unsigned int cpu;

	if (action != PM_POST_SUSPEND && action != PM_POST_HIBERNATION &&
	    action != PM_POST_RESTORE)
		return NOTIFY_DONE;
	dhp_cpu_lock();
	prev = dhp_sync_enter();
	for_each_possible_cpu(cpu) {
		struct dhp_cpu_info *info = per_cpu_ptr(&dhp_cpu_info, cpu);

		if (info->phase == DHP_PHASE_SUSPENDED ||
		    info->phase == DHP_PHASE_RESUMING) {
			pr_warn("cpu %u did not come back from suspend: reported removed\n",
				cpu);
			dhp_cpu_lost(cpu, info);
		} else if (info->owed_from && info->phase == DHP_PHASE_ONLINE) {
			dhp_cpu_replay_owed(cpu, info->owed_from);
		}
		info->owed_from = 0;
	}
	dhp_sync_leave(prev);
	dhp_cpu_unlock();
	return NOTIFY_DONE;
}

static struct notifier_block dhp_cpu_pm_nb = {
	.notifier_call = dhp_cpu_pm_notify,
};

/*
 * Both registrations, inlined into each so that __builtin_return_address(0)
 * in its messages names the client's caller.
 */
static __always_inline struct dhp_cpu_client *
dhp_cpu_register(dhp_cpu_callback_t callback, void *context,
		 void __percpu *pcpu, unsigned int flags, struct module *owner)
{
	struct task_struct *prev;
	struct dhp_cpu_client *c;
	int err = 0;

	if (!callback || (flags & ~DHP_CPU_FLAGS_ALL)) {
		pr_err("register: %s (flags %#x, from %pS)\n",
		       callback ? "unknown flags" : "NULL callback", flags,
		       __builtin_return_address(0));
		return ERR_PTR(-EINVAL);
	}
	if (dhp_in_sync_callback()) {
		pr_err("register: called from a dhp callback (%ps), would deadlock\n",
		       callback);
		return ERR_PTR(-EDEADLK);
	}

	c = kzalloc(struct_size(c, cpu_state, nr_cpu_ids), GFP_KERNEL);
	if (!c)
		return ERR_PTR(-ENOMEM);
	dhp_obj_count(DHP_OBJ_CPU_CLIENT, true);
	c->callback = callback;
	c->context = context;
	c->pcpu = pcpu;
	c->flags = flags;

	cpus_read_lock();
	mutex_lock(&dhp_cpu_mutex);
	dhp_client_add(&dhp_cpu_set, &c->cl, owner, callback);
	trace_dhp_record(DHP_REC_CPU_REGISTER, -1, c->cl.id, flags, 0);
	if (flags & DHP_CPU_ADD_EXISTING) {
		prev = dhp_sync_enter();
		err = dhp_cpu_replay(c);
		dhp_sync_leave(prev);
	}
	if (err) {
		dhp_client_take(&dhp_cpu_set, &c->cl, NULL);
		trace_dhp_record(DHP_REC_CPU_UNREGISTER, -1, c->cl.id, 0, err);
	}
	mutex_unlock(&dhp_cpu_mutex);
	cpus_read_unlock();

	if (err) {
		dhp_obj_count(DHP_OBJ_CPU_CLIENT, false);
		kfree(c);
		return ERR_PTR(err);
	}
	return c;
}

/**
 * __dhp_register_cpu_callback_percpu() - register for synchronous processor
 *	changes, with a per-CPU context
 * @callback: called at each step of each CPU add and removal, see
 *	&enum dhp_cpu_state.
 * @context: passed to @callback unchanged.
 * @pcpu: the client's per-CPU context from alloc_percpu(), or NULL: each
 *	step for a CPU gets that CPU's slot in &dhp_cpu_change.cpu_ctx; see
 *	dhp_register_cpu_callback_percpu() in dhp.h for the rules.
 * @flags: 0 or %DHP_CPU_ADD_EXISTING to have @callback called with
 *	ADD_START and ADD_COMPLETE for every CPU already online before this
 *	returns (and for a CPU down for a system suspend, once it is back).
 * @owner: the calling module; the wrapper macros pass THIS_MODULE.
 *
 * The analogue of KeRegisterProcessorChangeCallback(). Clients are called in
 * registration order on the add steps and in reverse on failure and removal.
 *
 * Context: process context, may sleep. Takes cpus_read_lock(): must not be
 * called with it held, from a dhp callback, or with a lock held that the
 * callback takes.
 *
 * Return: a handle for dhp_unregister_cpu_callback(), or an ERR_PTR():
 * -EINVAL for a NULL @callback or unknown @flags, -EDEADLK from inside a dhp
 * callback, -ENOMEM, or the errno with which @callback vetoed an ADD_START of
 * the replay (the Windows CallbackStatus); in that case everything the replay
 * did has been undone and the client is not registered.
 */
struct dhp_cpu_client *
__dhp_register_cpu_callback_percpu(dhp_cpu_callback_t callback, void *context,
				   void __percpu *pcpu, unsigned int flags,
				   struct module *owner)
{
	return dhp_cpu_register(callback, context, pcpu, flags, owner);
}
EXPORT_SYMBOL_GPL(__dhp_register_cpu_callback_percpu);

/* The same without a per-CPU context: &dhp_cpu_change.cpu_ctx is NULL. */
struct dhp_cpu_client *__dhp_register_cpu_callback(dhp_cpu_callback_t callback,
						   void *context,
						   unsigned int flags,
						   struct module *owner)
{
	return dhp_cpu_register(callback, context, NULL, flags, owner);
}
EXPORT_SYMBOL_GPL(__dhp_register_cpu_callback);

/**
 * dhp_unregister_cpu_callback() - stop synchronous processor notifications
 * @client: a handle returned by dhp_register_cpu_callback().
 *
 * When this returns 0 the callback is not running and will not run again.
 * No REMOVE steps are sent for the CPUs the client knows: it releases its
 * per-CPU data itself afterwards. A CPU parked between dhp's two states gets
 * its ADD_FAILURE now, so every ADD_START is still answered.
 *
 * Context: process context, may sleep; same rules as registration.
 *
 * The handle is looked up by address in a hash table, O(1) in the number
 * of clients, and never dereferenced before it is found.
 *
 * Return: 0; -EINVAL for a NULL handle; -EDEADLK from inside a dhp
 * callback; -ENOENT (with a message) for a handle that is not registered,
 * as after a double unregister, but only while its memory has not gone to
 * a new registration: such a stale handle cannot be told from the new
 * client's and unregisters it. Nothing is changed on error.
 */
int dhp_unregister_cpu_callback(struct dhp_cpu_client *client)
{
	struct task_struct *prev;
	bool found;
	unsigned int cpu;

	if (!client) {
		pr_err("unregister: NULL handle (from %pS)\n",
		       __builtin_return_address(0));
		return -EINVAL;
	}
	if (dhp_in_sync_callback()) {
		pr_err("unregister: called from a dhp callback (from %pS), would deadlock\n",
		       __builtin_return_address(0));
		return -EDEADLK;
	}

	cpus_read_lock();
	mutex_lock(&dhp_cpu_mutex);
	found = dhp_client_take(&dhp_cpu_set, &client->cl,
				__builtin_return_address(0));
	if (found) {
		prev = dhp_sync_enter();
		for_each_possible_cpu(cpu) {
			if (dhp_cpu_due(client, cpu, DHP_CPU_ADD_FAILURE))
				dhp_cpu_call(client, cpu, DHP_CPU_ADD_FAILURE,
					     -ECANCELED);
		}
		dhp_sync_leave(prev);
		trace_dhp_record(DHP_REC_CPU_UNREGISTER, -1, client->cl.id, 0, 0);
	}
	mutex_unlock(&dhp_cpu_mutex);
	cpus_read_unlock();

	if (!found)
		return -ENOENT;
	dhp_obj_count(DHP_OBJ_CPU_CLIENT, false);
	kfree(client);
	return 0;
}
EXPORT_SYMBOL_GPL(dhp_unregister_cpu_callback);

/* debugfs readers take the writers' locks for a consistent snapshot. */
static int dhp_cpu_clients_show(struct seq_file *m, void *v)
{
	struct dhp_cpu_client *c;
	int s;

	cpus_read_lock();
	mutex_lock(&dhp_cpu_mutex);
	seq_printf(m, "# clients %u\n", dhp_cpu_set.nr);
	seq_puts(m, "# id flags add-start add-complete add-failure remove-start remove-complete remove-failure vetoes callback\n");
	list_for_each_entry(c, &dhp_cpu_set.list, cl.node) {
		seq_printf(m, "%llu %#x", c->cl.id, c->flags);
		for (s = 0; s < DHP_CPU_NR_STATES; s++)
			seq_printf(m, " %lu", c->count[s]);
		seq_printf(m, " %lu %ps\n", c->vetoes, c->callback);
	}
	mutex_unlock(&dhp_cpu_mutex);
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_cpu_clients);

static int dhp_cpu_cpus_show(struct seq_file *m, void *v)
{
	const struct dhp_cpu_info *info;
	unsigned int cpu;

	cpus_read_lock();
	mutex_lock(&dhp_cpu_mutex);
	seq_puts(m, "# cpu phase adds failures removes last-err\n");
	for_each_possible_cpu(cpu) {
		info = per_cpu_ptr(&dhp_cpu_info, cpu);
		seq_printf(m, "%u %s %lu %lu %lu %d\n", cpu,
			   dhp_phase_names[info->phase], info->adds,
			   info->failures, info->removes, info->last_err);
	}
	mutex_unlock(&dhp_cpu_mutex);
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_cpu_cpus);

static int dhp_cpu_states_show(struct seq_file *m, void *v)
{
	seq_printf(m, "prepare %d\nonline %d\n", dhp_prepare_state,
		   dhp_online_state);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_cpu_states);

static void dhp_cpu_ev_drop_all(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		dhp_cpu_ev_drop(per_cpu_ptr(&dhp_cpu_info, cpu));
}

int dhp_cpu_init(void)
{
	int ret;

	/* Known to the core and the stream before the first callback runs. */
	dhp_client_set_add(&dhp_cpu_set);
	dhp_ev_add_source(&dhp_cpu_source);

	cpus_read_lock();
	ret = cpuhp_setup_state_nocalls_cpuslocked(CPUHP_BP_PREPARE_DYN,
						   "dhp:prepare",
						   dhp_cpu_prepare,
						   dhp_cpu_dead);
	if (ret < 0)
		goto fail;
	dhp_prepare_state = ret;

	/*
	 * With the calls, in loading mode: cpuhp runs the startup on exactly
	 * the CPUs past dhp:online, which become ONLINE with their removal
	 * reserved. (cpu_online() would also take a CPU parked below it.)
	 */
	dhp_cpu_loading = true;
	ret = cpuhp_setup_state_cpuslocked(CPUHP_AP_ONLINE_DYN, "dhp:online",
					   dhp_cpu_online, dhp_cpu_offline);
	dhp_cpu_loading = false;
	if (ret < 0) {
		cpuhp_remove_state_nocalls_cpuslocked(dhp_prepare_state);
		goto fail;
	}
	dhp_online_state = ret;
	cpus_read_unlock();
	register_pm_notifier(&dhp_cpu_pm_nb);

	debugfs_create_file("cpu_clients", 0444, dhp_debugfs, NULL,
			    &dhp_cpu_clients_fops);
	debugfs_create_file("cpus", 0444, dhp_debugfs, NULL,
			    &dhp_cpu_cpus_fops);
	debugfs_create_file("cpuhp_states", 0444, dhp_debugfs, NULL,
			    &dhp_cpu_states_fops);
	return 0;

fail:
	cpus_read_unlock();
	dhp_cpu_ev_drop_all();
	pr_err("cannot set up a dynamic cpuhp state (%d)%s\n", ret,
	       ret == -ENOSPC ? ": all dynamic slots are in use" : "");
	return ret;
}

void dhp_cpu_exit(void)
{
	/* Clients hold references on dhp.ko, so the list is empty here. */
	unregister_pm_notifier(&dhp_cpu_pm_nb);
	cpuhp_remove_state_nocalls(dhp_online_state);
	cpuhp_remove_state_nocalls(dhp_prepare_state);
	dhp_cpu_ev_drop_all();
}
