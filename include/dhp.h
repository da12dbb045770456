/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp - Dynamic Hardware Partitioning driver notifications for Linux.
 *
 * The public API for client drivers. Each section mirrors one notification
 * method of the Windows DHP model; the kernel-doc of each function says in
 * which context the callbacks run and what they may do.
 */
#ifndef _DHP_H
#define _DHP_H

#include <linux/module.h>
#include <linux/types.h>

struct module;

/* ---- Synchronous processor notification ------------------------------- */

/**
 * enum dhp_cpu_state - the step of a processor change a callback is told of
 * @DHP_CPU_ADD_START: the CPU is about to be started and has run nothing yet.
 *	Called on the control CPU in the task that brings the CPU up; may
 *	sleep and allocate (GFP_KERNEL, preferably on cpu_to_node(cpu)).
 *	Allocate per-CPU data here. Setting *@op_status to a negative errno
 *	vetoes the add: the online request fails with that errno. Use -ENOMEM
 *	for "insufficient resources"; avoid -EBUSY, which 6.12's sysfs online
 *	path retries.
 * @DHP_CPU_ADD_COMPLETE: the CPU is up (cpu_online() is true) but the
 *	scheduler does not yet run ordinary tasks on it. Called on the new CPU
 *	itself, in its cpuhp thread; may sleep.
 * @DHP_CPU_ADD_FAILURE: the add failed after this client got ADD_START and
 *	before ADD_COMPLETE: a veto (this client's or another's), a hotplug
 *	step between dhp's two failing, or an injected failure. Called on the
 *	control CPU once the new CPU is gone; free what ADD_START allocated.
 *	&dhp_cpu_change.status gives the veto errno when a dhp client vetoed,
 *	else -ECANCELED. A step after dhp's online step that fails (a state
 *	registered after dhp's) undoes a CPU that was added: clients got
 *	ADD_COMPLETE and get REMOVE_START and REMOVE_COMPLETE, as for an
 *	offline, and the asynchronous arrival is followed by a removal; the
 *	online request still fails.
 * @DHP_CPU_REMOVE_START: the CPU is about to go offline (beyond the Windows
 *	model). Called on that CPU in its cpuhp thread; it is still online and
 *	may still take interrupts. Stop using the CPU; do not free yet.
 * @DHP_CPU_REMOVE_COMPLETE: the CPU is dead. Called on a control CPU; free
 *	the CPU's data here.
 * @DHP_CPU_REMOVE_FAILURE: the removal announced by REMOVE_START was undone
 *	because a later step of the offline failed; the CPU stays online.
 *	Called on that CPU in its cpuhp thread. Resume using the CPU.
 *
 * For each (client, CPU) the sequence is ADD_START followed by exactly one of
 * ADD_COMPLETE or ADD_FAILURE, and ADD_COMPLETE followed by REMOVE_START then
 * REMOVE_COMPLETE when the CPU leaves. Clients are called in registration
 * order on ADD_START and ADD_COMPLETE, in reverse order on ADD_FAILURE and
 * on both REMOVE steps.
 *
 * System suspend and hibernation take the secondary CPUs down and bring
 * them back with tasks frozen. Clients are told nothing of that (as on
 * Windows, a sleep is not a processor change): per-CPU data stays, no
 * veto can keep a CPU from resuming, no asynchronous event is posted, and
 * the resource rebalance round after resume restores the IRQ spread that
 * the suspend broke. (A client that registers while a CPU is down for a
 * suspend has it replayed after, see %DHP_CPU_ADD_EXISTING.) A CPU that
 * fails to come back is reported as removed: REMOVE_START (then on the
 * control CPU) and REMOVE_COMPLETE, with its
 * asynchronous removal, once tasks run again: from dhp's PM notifier at
 * PM_POST_SUSPEND, PM_POST_HIBERNATION or PM_POST_RESTORE (the system
 * sleep lock and the PM notifier chain held: such a callback must not
 * register or unregister a PM notifier, nor call lock_system_sleep()), or
 * from the ADD_START of the CPU's next add if that comes first. (A kexec
 * jump that preserves context sends no PM notification: a CPU lost there
 * is reported at its next add.)
 */
enum dhp_cpu_state {
	DHP_CPU_ADD_START,
	DHP_CPU_ADD_COMPLETE,
	DHP_CPU_ADD_FAILURE,
	DHP_CPU_REMOVE_START,
	DHP_CPU_REMOVE_COMPLETE,
	DHP_CPU_REMOVE_FAILURE,
};

/**
 * struct dhp_cpu_change - what a synchronous processor callback is told
 * @cpu: the logical CPU number being added or removed.
 * @state: the step, see &enum dhp_cpu_state.
 * @status: for %DHP_CPU_ADD_FAILURE the reason (a negative errno); else 0.
 * @cpu_ctx: for a client registered with dhp_register_cpu_callback_percpu(),
 *	@cpu's slot of its per-CPU context (per_cpu_ptr() of it), whichever
 *	CPU the step runs on; else NULL.
 */
struct dhp_cpu_change {
	unsigned int cpu;
	enum dhp_cpu_state state;
	int status;
	void *cpu_ctx;
};

/**
 * typedef dhp_cpu_callback_t - a synchronous processor callback
 * @context: the pointer given at registration.
 * @change: the CPU and the step.
 * @op_status: starts at 0; for %DHP_CPU_ADD_START a negative errno stored
 *	here vetoes the add. Any other non-zero value (positive, or below
 *	-MAX_ERRNO) is a driver bug: warned about, and a veto with -EIO.
 *	Ignored (with a warning) in the other steps.
 *
 * Callbacks of all clients are serialized with each other and with CPU
 * hotplug: the CPU hotplug lock is held. A callback must not register or
 * unregister a dhp client (that fails with -EDEADLK), must not take
 * cpus_read_lock() and must not wait for work that takes it.
 */
typedef void (*dhp_cpu_callback_t)(void *context,
				   const struct dhp_cpu_change *change,
				   int *op_status);

/*
 * Replay ADD_START and ADD_COMPLETE for every CPU already online, before
 * registration returns. Each replayed step runs where it runs at hotplug:
 * ADD_START (and ADD_FAILURE, REMOVE_COMPLETE of a vetoed replay's
 * rollback) in the registering task, ADD_COMPLETE (and the rollback's
 * REMOVE_START) on the CPU concerned, in a kworker bound to it. Unlike at
 * hotplug, the CPU is up and runs tasks meanwhile (see the per-CPU rules
 * of dhp_register_cpu_callback_percpu()), and the hotplug lock is held by
 * the registering task for the kworker: lockdep does not see it held
 * there, so a replayed step must not call *_cpuslocked() functions.
 *
 * A CPU that is down for a system suspend when the client registers (a
 * registration from a task that is not frozen, such as a kthread or a
 * work item on a workqueue that is not freezable) is not online, and is
 * replayed once the system is back, if it came back: ADD_START in dhp's
 * PM notifier and ADD_COMPLETE on the CPU, in a kworker, while the
 * notifier waits (the rules of the steps sent from there are above, at
 * &enum dhp_cpu_state: no lock_system_sleep(), no PM notifier (un)
 * registration). A veto there cannot undo the registration: the client
 * gets ADD_FAILURE for that CPU and does not have it, as when it vetoes a
 * hot-add. The CPU runs from the resume on, the client's hot path
 * included, before that ADD_START: as on any CPU before its replay, the
 * hot path must cope with a slot not set up yet. (A kexec jump sends no
 * PM notification: such a CPU is replayed at the next one, unless an add
 * of it reached the client first.)
 *
 * Not replayed, and not told to the client later: a CPU that a debug
 * kernel parked between dhp's two steps through cpuN/hotplug/target
 * (CONFIG_CPU_HOTPLUG_STATE_CONTROL) when the client registered. Its
 * other clients get ADD_COMPLETE when it goes on; this one hears of the
 * CPU at its next add.
 */
#define DHP_CPU_ADD_EXISTING	0x1U
#define DHP_CPU_FLAGS_ALL	(DHP_CPU_ADD_EXISTING)

struct dhp_cpu_client;

struct dhp_cpu_client *__dhp_register_cpu_callback(dhp_cpu_callback_t callback,
						   void *context,
						   unsigned int flags,
						   struct module *owner);
/*
 * Registration records the calling module (THIS_MODULE): a module that
 * unloads with a registration left is reported and unregistered then, after
 * its exit function and before its code goes, instead of leaving dhp to
 * call freed code. That is a driver bug all the same: unregister in exit.
 */
#define dhp_register_cpu_callback(callback, context, flags) \
	__dhp_register_cpu_callback(callback, context, flags, THIS_MODULE)

struct dhp_cpu_client *
__dhp_register_cpu_callback_percpu(dhp_cpu_callback_t callback, void *context,
				   void __percpu *pcpu, unsigned int flags,
				   struct module *owner);
/**
 * dhp_register_cpu_callback_percpu() - register with a per-CPU context
 * @callback: as for dhp_register_cpu_callback().
 * @context: passed to @callback unchanged.
 * @pcpu: the client's per-CPU context, a typed pointer from alloc_percpu()
 *	(zeroed, one slot per possible CPU, each on its CPU's node).
 * @flags: as for dhp_register_cpu_callback().
 *
 * A per-CPU context makes a client's hot path one this_cpu operation, as
 * cheap as the kernel's own per-CPU counters, instead of loading a pointer
 * to a context and then using it. Every step of every CPU gets that CPU's
 * slot in &dhp_cpu_change.cpu_ctx, so per-CPU *resources* are still set up
 * at ADD_START (on the control CPU, before the CPU runs anything; allocate
 * on cpu_to_node(cpu)) and kept in the slot. The rules:
 *
 * - The area is the client's: allocated before registration, freed with
 *   free_percpu() after dhp_unregister_cpu_callback() returned (with what
 *   the slots still hold: unregistration sends no REMOVE steps).
 * - A callback for CPU n touches slot n only. At ADD_START, ADD_FAILURE
 *   and REMOVE_COMPLETE CPU n runs nothing (not yet, or no more), so plain
 *   loads and stores of the slot are exact there: e.g. fold a counter of
 *   the slot into a total at REMOVE_COMPLETE and zero it. At ADD_COMPLETE,
 *   REMOVE_START and REMOVE_FAILURE, which run on CPU n, an interrupt there
 *   may run the hot path: use this_cpu operations or interrupts off.
 *   Two exceptions, where a step is not where the CPU is in its hotplug:
 *   a replay (%DHP_CPU_ADD_EXISTING) runs for CPUs that are up, so CPU n
 *   may run the hot path at every step, and a vetoed replay's ADD_FAILURE
 *   and REMOVE_COMPLETE must use per_cpu_ptr() atomics or leave the slot
 *   alone; and the REMOVE_START of a CPU that failed to resume runs on
 *   the control CPU, so it must use per_cpu_ptr(), not this_cpu_*().
 * - The hot path touches its own CPU's slot only, through this_cpu_*()
 *   (this_cpu_inc(pcpu->requests)). One such operation is safe in any
 *   context, process context included: it cannot be split by preemption,
 *   migration or an interrupt. Code that needs several accesses to one
 *   CPU's slot, or uses a resource the slot points to, pins itself with
 *   get_cpu_ptr()/put_cpu_ptr() (preemption off) for the whole use: that
 *   also keeps the CPU from finishing an offline, so what REMOVE_COMPLETE
 *   frees stays valid meanwhile. __this_cpu_*() needs preemption off too.
 *
 * Return: as dhp_register_cpu_callback().
 */
#define dhp_register_cpu_callback_percpu(callback, context, pcpu, flags) \
	__dhp_register_cpu_callback_percpu(callback, context,		  \
					   (void __percpu *)(pcpu), flags, \
					   THIS_MODULE)
int dhp_unregister_cpu_callback(struct dhp_cpu_client *client);

/* ---- Asynchronous notification ---------------------------------------- */

/**
 * enum dhp_event_kind - what an asynchronous event reports
 * @DHP_EV_CPU_ARRIVAL: a CPU came online.
 * @DHP_EV_CPU_REMOVAL: a CPU went offline (beyond the Windows model).
 * @DHP_EV_MEM_ARRIVAL: a memory range came online.
 * @DHP_EV_MEM_REMOVAL: a memory range went offline (beyond Windows).
 * @DHP_EV_OVERFLOW: this client fell behind by more than dhp's
 *	event_backlog parameter (a callback that blocks, a workqueue that
 *	cannot run), so dhp stopped queueing events for it rather than let
 *	memory grow without bound. @count events of the client's categories
 *	were not delivered, the first of them numbered @seq; every event before
 *	this one was delivered, and the stream goes on after it, in order. A
 *	client that keeps state per CPU or range should rebuild it (e.g. from
 *	cpu_online_mask) when it gets this. Counted in debugfs events "lost".
 */
enum dhp_event_kind {
	DHP_EV_CPU_ARRIVAL,
	DHP_EV_CPU_REMOVAL,
	DHP_EV_MEM_ARRIVAL,
	DHP_EV_MEM_REMOVAL,
	DHP_EV_OVERFLOW,
};

/**
 * enum dhp_mem_source - where a memory range came from, when dhp can tell
 * @DHP_MEM_SRC_OTHER: unknown, or another driver's memory.
 * @DHP_MEM_SRC_BOOT: present at boot (in %DHP_EV_INCLUDE_EXISTING arrivals,
 *	and in the removal of such memory).
 * @DHP_MEM_SRC_ACPI_DIMM: an ACPI memory device (PNP0C80), e.g. a DIMM.
 * @DHP_MEM_SRC_VIRTIO_MEM: a virtio-mem device.
 *
 * A removal gives the source its arrival gave (the event, or the
 * %DHP_EV_INCLUDE_EXISTING one), even when the block went offline, or the
 * client registered, before dhp had finished telling what that arrival
 * was.
 */
enum dhp_mem_source {
	DHP_MEM_SRC_OTHER,
	DHP_MEM_SRC_BOOT,
	DHP_MEM_SRC_ACPI_DIMM,
	DHP_MEM_SRC_VIRTIO_MEM,
};

/*
 * &dhp_event.mem.flags: a change of the node's memory as a whole, which is
 * what per-node driver state (a pool, a worker, a queue) follows.
 * DHP_MEM_NODE_FIRST on an arrival: the range is the first memory of
 * @mem.node, which had none online before it (it was not in N_MEMORY: a
 * memory-less node, e.g. CPUs only, that got a DIMM, or a node whose memory
 * had all gone). DHP_MEM_NODE_LAST on a removal: with the range gone, the
 * node has no memory online (its CPUs, if any, now allocate from other
 * nodes). With DHP_EV_INCLUDE_EXISTING the first range of each node that
 * has memory carries DHP_MEM_NODE_FIRST, so a client sees FIRST once for
 * each node before any other arrival on it, and again only after a LAST.
 */
#define DHP_MEM_NODE_FIRST	0x1U
#define DHP_MEM_NODE_LAST	0x2U

/**
 * struct dhp_event - one asynchronous notification
 * @seq: sequence number: events are numbered in the order they happened,
 *	CPU and memory alike, from 1. 0 for the synthetic arrivals of
 *	%DHP_EV_INCLUDE_EXISTING.
 * @count: how many events this one stands for: adjacent memory ranges of
 *	the same kind, node and source that were waiting together are merged
 *	into one event covering sequence numbers @seq .. @seq + @count - 1;
 *	their @mem.flags are or-ed, their @mem.usable added.
 * @kind: see &enum dhp_event_kind.
 * @timestamp_ns: ktime_get_ns() when the (first) event happened.
 * @cpu: for CPU events: @cpu.cpu and its NUMA @cpu.node.
 * @mem: for memory events: physical @mem.start, @mem.size in bytes, NUMA
 *	@mem.node, @mem.source, and @mem.flags: %DHP_MEM_NODE_FIRST or
 *	%DHP_MEM_NODE_LAST when the range changes whether the node has memory.
 *	The range is whole memory blocks (the
 *	/sys/devices/system/memory/memoryN devices, 128 MiB on x86_64), as
 *	added, onlined and offlined, so that ranges are never cut inside a
 *	block. Blocks that arrive or leave together merge, so an arrival and
 *	the removals of its memory need not give the same ranges: one DIMM
 *	may arrive as one range and leave block by block, and an
 *	%DHP_EV_INCLUDE_EXISTING arrival covers all adjacent boot memory of a
 *	node. Track memory as a set of blocks (or of bytes), never by the
 *	(start, size) of an arrival. @mem.usable is how many bytes of
 *	it the page allocator got (an arrival) or lost (a removal) with this
 *	change; grow and shrink pools by @mem.usable, not @mem.size. It is
 *	less than @mem.size where a block holds its own memmap
 *	(memory_hotplug.memmap_on_memory=1: the block's first pages), and for
 *	virtio-mem, whose unplugged sub-blocks inside an online block are kept
 *	from the page allocator: a virtio-mem arrival gives the sub-blocks
 *	plugged when its block came online, a removal what was still plugged
 *	when it went offline (0 when virtio-mem unplugged it sub-block by
 *	sub-block first). virtio-mem plugs and unplugs sub-blocks inside an
 *	online block without any memory notifier: no event reports those.
 *	For %DHP_EV_INCLUDE_EXISTING, the online pages of the range that no
 *	driver holds offline at registration (for boot memory that includes
 *	what the kernel reserved at boot).
 */
struct dhp_event {
	u64 seq;
	unsigned int count;
	enum dhp_event_kind kind;
	u64 timestamp_ns;
	union {
		struct {
			unsigned int cpu;
			int node;
		} cpu;
		struct {
			u64 start;
			u64 size;
			int node;
			enum dhp_mem_source source;
			unsigned int flags;
			u64 usable;
		} mem;
	};
};

/**
 * typedef dhp_event_callback_t - an asynchronous notification callback
 * @context: the pointer given at registration.
 * @event: the event; valid only during the call.
 *
 * Runs in process context on a workqueue, some time after the event: a CPU
 * arrival once the CPU is online and scheduling tasks, a memory arrival once
 * the memory is online. May sleep and allocate. Each client's callback runs
 * one event at a time, in order; a slow client delays only itself (up to
 * 512 clients, WQ_MAX_ACTIVE, may sleep in callbacks at once; more wait
 * for one of them to return).
 */
typedef void (*dhp_event_callback_t)(void *context,
				     const struct dhp_event *event);

/* Categories (the GUID_DEVICE_PROCESSOR / GUID_DEVICE_MEMORY analogues). */
#define DHP_EV_PROCESSOR	0x1U
#define DHP_EV_MEMORY		0x2U
/*
 * Also deliver arrivals for what is online at registration, first: the
 * memory online and the CPUs clients know as there, which include a CPU
 * taken down for a suspend in progress or stopped in an offline (a CPU
 * whose removal is still to be posted).
 */
#define DHP_EV_INCLUDE_EXISTING	0x4U
#define DHP_EV_FLAGS_ALL	(DHP_EV_PROCESSOR | DHP_EV_MEMORY | \
				 DHP_EV_INCLUDE_EXISTING)

struct dhp_event_client;

struct dhp_event_client *__dhp_register_event_callback(dhp_event_callback_t callback,
						       void *context,
						       unsigned int flags,
						       struct module *owner);
/* Records THIS_MODULE, as dhp_register_cpu_callback() does. */
#define dhp_register_event_callback(callback, context, flags) \
	__dhp_register_event_callback(callback, context, flags, THIS_MODULE)
int dhp_unregister_event_callback(struct dhp_event_client *client);

/* ---- The high-memory condition ---------------------------------------- */

bool dhp_high_memory(void);
long dhp_wait_high_memory(bool state, long timeout);

/* ---- Resource rebalance ----------------------------------------------- */

struct device;

/**
 * enum dhp_rb_class - the device class, which decides the default policy
 * @DHP_RB_CLASS_OTHER: takes part in rebalance by default.
 * @DHP_RB_CLASS_NET: a network adapter (Windows class Net): opts out by
 *	default.
 */
enum dhp_rb_class {
	DHP_RB_CLASS_OTHER,
	DHP_RB_CLASS_NET,
};

/**
 * enum dhp_rb_policy - DEVPKEY_Device_DHP_Rebalance_Policy
 * @DHP_RB_POLICY_DEFAULT: as the class says.
 * @DHP_RB_POLICY_PARTICIPATE: always takes part.
 * @DHP_RB_POLICY_OPT_OUT: never takes part.
 *
 * Changeable at run time in sysfs, /sys/kernel/dhp/rebalance/<name>/policy
 * (Documentation/ABI/testing/sysfs-kernel-dhp-rebalance); a change applies
 * from the next round.
 */
enum dhp_rb_policy {
	DHP_RB_POLICY_DEFAULT,
	DHP_RB_POLICY_PARTICIPATE,
	DHP_RB_POLICY_OPT_OUT,
};

/**
 * struct dhp_rb_ops - a device's part in a rebalance round
 * @query_stop: may the device stop now? Must return 0: as in Windows'
 *	rebalance, where a driver never refuses. A non-zero return is reported as that driver's
 *	bug and the device sits this round out.
 * @stop: stop the device. From now until @start, new I/O must be queued by
 *	the driver, neither failed nor lost; I/O in flight may complete.
 * @start: the device's IRQs have moved: when it is called, each IRQ dhp
 *	does not leave alone already has its new affinity (unless the kernel
 *	refused the move: debugfs info's last_err, or dhp's
 *	rebalance_hint_only parameter was set when the round reached the
 *	device) and hint. Start again and
 *	replay the queued I/O in order. Returns how many requests were queued
 *	meanwhile.
 *
 * All three run in process context on dhp's own workqueue (ordered and
 * freezable: never while devices are suspended) and may sleep; dhp
 * calls them for one device at a time, never concurrently, and never with
 * the CPU hotplug lock held: a device held between @stop and @start cannot
 * block a CPU hotplug operation, whose callbacks may wait for its I/O. The
 * same rule binds the driver: no operation may take cpus_read_lock(), or
 * wait for work or a lock that does, since a CPU offline may hold the
 * hotplug lock while it waits for the stopped device's I/O. An operation
 * that has not returned after 5 s is reported in the kernel log with the
 * device's name; the round waits for it. A round reads each device's
 * policy once, when it reaches the device: a policy written during a round
 * applies to it if the round has not reached the device yet, else from the
 * next round; never to half a device's round.
 */
struct dhp_rb_ops {
	int (*query_stop)(void *context);
	void (*stop)(void *context);
	unsigned int (*start)(void *context);
};

/**
 * struct dhp_rb_device_info - what a driver tells dhp of a device, besides
 *	the &struct device itself (which gives the name, node and sysfs place)
 * @class: see &enum dhp_rb_class.
 * @policy: see &enum dhp_rb_policy.
 * @irqs: the IRQs the device has requested (at least one, at most 256).
 *	Managed, per-CPU and IRQF_NOBALANCING IRQs are left alone (asked
 *	at each round). dhp copies the array.
 * @nr_irqs: how many.
 * @ops: the round's operations, all three required.
 * @context: passed to @ops.
 *
 * Where the IRQs go: first to the CPUs of the device's NUMA node
 * (dev_to_node(), NUMA_NO_NODE for none; registration refuses a node that
 * is not possible with -EINVAL), one per CPU, one thread of each
 * core before a second; IRQs beyond those spill to the next nearest node's
 * CPUs (node_distance()) rather than two sharing a CPU while another CPU
 * has none, and wrap only when every CPU has one. When the node has no
 * CPU that may take IRQs (none online, or all isolated), the nearest node
 * that has one takes its place. The CPUs that may take IRQs are the online
 * ones in housekeeping_cpumask(HK_TYPE_MANAGED_IRQ) (not isolated by
 * isolcpus=managed_irq) and in /proc/irq/default_smp_affinity; if none is
 * in the latter, the former alone (as the kernel does for a new IRQ).
 */
struct dhp_rb_device_info {
	enum dhp_rb_class class;
	enum dhp_rb_policy policy;
	const unsigned int *irqs;
	unsigned int nr_irqs;
	const struct dhp_rb_ops *ops;
	void *context;
};

struct dhp_rb_device;

struct dhp_rb_device *__dhp_register_rebalance(struct device *dev,
					       const struct dhp_rb_device_info *info,
					       struct module *owner);
struct dhp_rb_device *__devm_dhp_register_rebalance(struct device *dev,
						    const struct dhp_rb_device_info *info,
						    struct module *owner);
/*
 * Both record THIS_MODULE, as dhp_register_cpu_callback() does. The
 * kernel-doc of __dhp_register_rebalance() and
 * __devm_dhp_register_rebalance() (dhp_rebalance.c) says more; in short:
 *
 * dhp_register_rebalance(dev, info): after request_irq() of @info's IRQs;
 * call dhp_unregister_rebalance() before free_irq() (in remove()).
 *
 * devm_dhp_register_rebalance(dev, info): dhp_unregister_rebalance() runs
 * as a devm action when @dev's driver unbinds or its probe fails. devm
 * releases in reverse order, so call it after devm_request_irq() of every
 * IRQ in @info (dhp refuses IRQs without a handler, so a devm IRQ requested
 * later is not possible for those) and after the devm setup of whatever
 * @info's ops touch: then it is unregistered before any of them is freed.
 * Use it only if the IRQs are devm-managed; a driver that calls free_irq()
 * in remove() must use the pair above, since remove() runs before the devm
 * actions. Never pass its handle to dhp_unregister_rebalance().
 */
#define dhp_register_rebalance(dev, info) \
	__dhp_register_rebalance(dev, info, THIS_MODULE)
#define devm_dhp_register_rebalance(dev, info) \
	__devm_dhp_register_rebalance(dev, info, THIS_MODULE)
int dhp_unregister_rebalance(struct dhp_rb_device *rb);

#endif /* _DHP_H */
