// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_bench_base: the baselines of scripts/bench.sh, and the timers that
 * need no dhp. Not a sample and not shipped: it exists to be measured
 * against.
 *
 * It holds, from load, a native no-op cpuhp state in each of dhp's two
 * ranges (bench:noop-bp in BP_PREPARE_DYN, bench:noop-ap in AP_ONLINE_DYN),
 * and on demand two native multi-instance states with N no-op instances
 * each (a native "client" per instance), and a raw no-op memory notifier.
 * The native counterpart of dhp's asynchronous fan-out is a third
 * multi-instance state (bench:async-ap, AP_ONLINE_DYN) whose instances each
 * queue a work item of their own from both callbacks, as a driver that
 * wants process context after a CPU change would.
 *
 * debugfs, /sys/kernel/debug/dhp_bench_base/run: write one command, then
 * read its result, "name value" lines (times in ns):
 *   states              noop_bp S, noop_ap S: the no-op states' numbers
 *   cpu CPU REPS        REPS times remove_cpu() then add_cpu(): cpu_off,
 *                       cpu_on per repetition
 *   step CPU REPS S...  the same, timing each cpuhp state S (up to 8) in
 *                       both directions with probes on the cpuhp_enter,
 *                       cpuhp_multi_enter and cpuhp_exit tracepoints:
 *                       "step S up|down ns"
 *   native N            N instances on each multi-instance state (0..10000)
 *   memnb 0|1           register or unregister the raw memory notifier
 *   mem BLOCK REPS      write offline, then online_movable, to memory
 *                       BLOCK's state file: mem_off, mem_on
 *   anative N WQ        N instances (0..1000) on bench:async-ap, records
 *                       reset; each callback (online and teardown) stamps
 *                       ktime_get_ns() and queues the instance's work item
 *                       on system_wq (WQ 0: schedule_work(), per-CPU and
 *                       concurrency-managed, so it runs on the CPU the
 *                       callback ran on once the cpuhp thread lets it) or
 *                       system_unbound_wq (WQ 1), which stamps its run
 *   anlag EVENTS        bench_recs_report() of the native instances: lag is
 *                       work run - callback, fanout from the first callback
 *                       of the event to the last work run, spread from the
 *                       first work run to the last
 *   firstirq CPU IRQ NR TIMEOUT_MS
 *                       add_cpu(CPU) (an offline CPU), then waits up to
 *                       TIMEOUT_MS for CPU's first interrupt on one of the
 *                       IRQs IRQ..IRQ+NR-1, seen by a probe on the
 *                       irq_handler_entry tracepoint: "online ns" (add_cpu's
 *                       time), "active ns" (from add_cpu()'s call to the
 *                       end of CPU's CPUHP_AP_ACTIVE step, the last of its
 *                       own: the CPU is online and schedulable), then
 *                       "first ns" (from that end to the interrupt's
 *                       handler) and "first_ret ns" (from add_cpu()'s
 *                       return; negative if before), or "timeout ms"
 *
 * Commands are serialized by bench_lock; the step probes' data is written
 * only by the task running the hotplug callbacks (one hotplug operation at
 * a time: cpuhp's own lock) and read after remove_cpu()/add_cpu() returned.
 * The interrupt probe's stamp has one writer, the watched CPU in hard-IRQ
 * context, and is read with READ_ONCE() by the command waiting for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "dhp_bench_run.h"

#define BENCH_MAX_REPS	1000
#define BENCH_MAX_NATIVE 10000
#define BENCH_MAX_ANATIVE 1000
#define BENCH_MAX_STEPS	8
#define BENCH_MAX_FIRST_MS 600000

static struct dentry *bench_dir;
static int bench_noop_bp = -1, bench_noop_ap = -1;
static int bench_multi_bp = -1, bench_multi_ap = -1;
static struct hlist_node *bench_nodes;
static unsigned int bench_nr_native;
static bool bench_memnb_on;

static int bench_noop(unsigned int cpu)
{
	return 0;
}

static int bench_noop_multi(unsigned int cpu, struct hlist_node *node)
{
	return 0;
}

/* ---- per-state timing through the cpuhp tracepoints ------------------ */

static int bench_step_state[BENCH_MAX_STEPS];
static unsigned int bench_nr_steps;
static int bench_open_idx = -1;
static u64 bench_open_t;
static u64 bench_step_ns[BENCH_MAX_STEPS][2];	/* [step][up] */
static struct tracepoint *bench_tp_enter, *bench_tp_multi, *bench_tp_exit;
static struct tracepoint *bench_tp_irq;		/* irq_handler_entry */

static void bench_enter(int idx)
{
	if (bench_open_idx != idx) {
		bench_open_idx = idx;
		bench_open_t = ktime_get_ns();
	}
}

static void bench_probe_enter(void *data, unsigned int cpu, int target,
			      int idx, int (*fun)(unsigned int))
{
	bench_enter(idx);
}

static void bench_probe_multi(void *data, unsigned int cpu, int target,
			      int idx,
			      int (*fun)(unsigned int, struct hlist_node *),
			      struct hlist_node *node)
{
	bench_enter(idx);
}

/* Up when cpuhp's current state reached the callback's: a startup. */
static void bench_probe_exit(void *data, unsigned int cpu, int state, int idx,
			     int ret)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < bench_nr_steps; i++)
		if (bench_step_state[i] == idx)
			bench_step_ns[i][state >= idx] = t - bench_open_t;
}

static void bench_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "cpuhp_enter"))
		bench_tp_enter = tp;
	else if (!strcmp(tp->name, "cpuhp_multi_enter"))
		bench_tp_multi = tp;
	else if (!strcmp(tp->name, "cpuhp_exit"))
		bench_tp_exit = tp;
	else if (!strcmp(tp->name, "irq_handler_entry"))
		bench_tp_irq = tp;
}

static int bench_probes(bool on)
{
	if (!on) {
		tracepoint_probe_unregister(bench_tp_enter, bench_probe_enter,
					    NULL);
		tracepoint_probe_unregister(bench_tp_multi, bench_probe_multi,
					    NULL);
		tracepoint_probe_unregister(bench_tp_exit, bench_probe_exit,
					    NULL);
		tracepoint_synchronize_unregister();
		return 0;
	}
	if (!bench_tp_enter || !bench_tp_multi || !bench_tp_exit)
		return -ENOENT;
	bench_open_idx = -1;
	if (tracepoint_probe_register(bench_tp_enter, bench_probe_enter, NULL) ||
	    tracepoint_probe_register(bench_tp_multi, bench_probe_multi, NULL) ||
	    tracepoint_probe_register(bench_tp_exit, bench_probe_exit, NULL)) {
		bench_probes(false);
		return -ENOMEM;
	}
	return 0;
}

/* ---- native asynchronous fan-out --------------------------------------- */

struct bench_anative {
	struct hlist_node node;
	struct work_struct work;
	struct bench_rec rec;
};

static int bench_async_ap = -1;
static struct bench_anative *bench_anatives;
static unsigned int bench_nr_anative;
static struct workqueue_struct *bench_anative_wq;

/* cpuhp's thread, one instance at a time: the only writer of at[] and nr. */
static int bench_anative_cb(unsigned int cpu, struct hlist_node *node)
{
	struct bench_anative *a = hlist_entry(node, struct bench_anative, node);
	unsigned int i = a->rec.nr;

	if (i < BENCH_MAX_EV) {
		a->rec.at[i] = ktime_get_ns();
		/* Pairs with the acquire in bench_anative_work(). */
		smp_store_release(&a->rec.nr, i + 1);
	}
	queue_work(bench_anative_wq, &a->work);
	return 0;
}

/*
 * The work item, never run twice at once: stamps every callback since its
 * last run (one queued while it was pending is served by this run).
 */
static void bench_anative_work(struct work_struct *work)
{
	struct bench_anative *a = container_of(work, struct bench_anative,
					       work);
	u64 now = ktime_get_ns();
	unsigned int i, n;

	/* Pairs with the release in bench_anative_cb(). */
	n = smp_load_acquire(&a->rec.nr);
	for (i = a->rec.done; i < n; i++)
		a->rec.got[i] = now;
	/* Pairs with the acquire in bench_recs_report(). */
	smp_store_release(&a->rec.done, n);
}

static void bench_anative_clear(void)
{
	while (bench_nr_anative) {
		struct bench_anative *a = &bench_anatives[--bench_nr_anative];

		cpuhp_state_remove_instance_nocalls(bench_async_ap, &a->node);
		cancel_work_sync(&a->work);
	}
}

static int bench_anative_set(unsigned int n, unsigned int wq)
{
	struct bench_anative *a;
	int ret;

	if (n > BENCH_MAX_ANATIVE || wq > 1)
		return -ERANGE;
	bench_anative_clear();
	memset(bench_anatives, 0, sizeof(*bench_anatives) * BENCH_MAX_ANATIVE);
	bench_anative_wq = wq ? system_unbound_wq : system_wq;
	while (bench_nr_anative < n) {
		a = &bench_anatives[bench_nr_anative];
		INIT_WORK(&a->work, bench_anative_work);
		ret = cpuhp_state_add_instance_nocalls(bench_async_ap, &a->node);
		if (ret)
			return ret;
		bench_nr_anative++;
	}
	return 0;
}

static struct bench_rec *bench_anative_rec(unsigned int i)
{
	return &bench_anatives[i].rec;
}

/* ---- a CPU's first interrupt of a device --------------------------------- */

static unsigned int bench_fi_cpu, bench_fi_irq, bench_fi_nr;
static u64 bench_fi_first;	/* 0 until the watched CPU's first one */
static u64 bench_fi_active;	/* when its CPUHP_AP_ACTIVE step ended */

struct irqaction;

/* Hard-IRQ context, on any CPU: only @bench_fi_cpu writes the stamp. */
static void bench_probe_irq(void *data, int irq, struct irqaction *action)
{
	if ((unsigned int)irq - bench_fi_irq < bench_fi_nr &&
	    smp_processor_id() == bench_fi_cpu && !READ_ONCE(bench_fi_first))
		WRITE_ONCE(bench_fi_first, ktime_get_ns());
}

/* The onlining CPU's cpuhp thread: the only writer of the stamp. */
static void bench_probe_active(void *data, unsigned int cpu, int state,
			       int idx, int ret)
{
	if (cpu == bench_fi_cpu && idx == CPUHP_AP_ACTIVE && state >= idx)
		WRITE_ONCE(bench_fi_active, ktime_get_ns());
}

static int bench_firstirq(unsigned int cpu, unsigned int irq,
			  unsigned int nr, unsigned int timeout_ms)
{
	u64 t0, t1, first, active;
	int ret;

	if (!cpu || cpu >= nr_cpu_ids || !cpu_present(cpu) ||
	    cpu_online(cpu) || !nr || !timeout_ms ||
	    timeout_ms > BENCH_MAX_FIRST_MS)
		return -EINVAL;
	if (!bench_tp_irq || !bench_tp_exit)
		return -ENOENT;
	bench_fi_cpu = cpu;
	bench_fi_irq = irq;
	bench_fi_nr = nr;
	WRITE_ONCE(bench_fi_first, 0);
	WRITE_ONCE(bench_fi_active, 0);
	ret = tracepoint_probe_register(bench_tp_exit, bench_probe_active, NULL);
	if (ret)
		return ret;
	ret = tracepoint_probe_register(bench_tp_irq, bench_probe_irq, NULL);
	if (ret)
		goto out;
	t0 = ktime_get_ns();
	ret = add_cpu(cpu);
	t1 = ktime_get_ns();
	active = READ_ONCE(bench_fi_active);
	if (!ret && active) {
		bench_emit("online %llu\nactive %llu\n", t1 - t0, active - t0);
		while (!(first = READ_ONCE(bench_fi_first)) &&
		       ktime_get_ns() - t1 < (u64)timeout_ms * NSEC_PER_MSEC)
			usleep_range(200, 400);
		if (first)
			bench_emit("first %lld\nfirst_ret %lld\n",
				   (s64)(first - active), (s64)(first - t1));
		else
			bench_emit("timeout %u\n", timeout_ms);
	} else if (!ret) {
		ret = -ENOENT;		/* cpuhp_exit never saw AP_ACTIVE */
	}
	tracepoint_probe_unregister(bench_tp_irq, bench_probe_irq, NULL);
out:
	tracepoint_probe_unregister(bench_tp_exit, bench_probe_active, NULL);
	tracepoint_synchronize_unregister();
	return ret;
}

/* ---- commands ---------------------------------------------------------- */

static int bench_cpu(unsigned int cpu, unsigned int reps, bool steps)
{
	unsigned int r, i;
	u64 t0, t1, t2;
	int ret = 0;

	if (cpu >= nr_cpu_ids || !cpu_online(cpu) || !cpu)
		return -EINVAL;
	if (steps) {
		ret = bench_probes(true);
		if (ret)
			return ret;
	}
	for (r = 0; r < reps && !ret; r++) {
		t0 = ktime_get_ns();
		ret = remove_cpu(cpu);
		t1 = ktime_get_ns();
		if (!ret)
			ret = add_cpu(cpu);
		t2 = ktime_get_ns();
		if (ret)
			break;
		bench_emit("cpu_off %llu\ncpu_on %llu\n", t1 - t0, t2 - t1);
		for (i = 0; i < bench_nr_steps && steps; i++)
			bench_emit("step %d down %llu\nstep %d up %llu\n",
				   bench_step_state[i], bench_step_ns[i][0],
				   bench_step_state[i], bench_step_ns[i][1]);
	}
	if (steps)
		bench_probes(false);
	return ret;
}

static void bench_native_clear(void)
{
	unsigned int i;

	for (i = 0; i < bench_nr_native; i++) {
		cpuhp_state_remove_instance_nocalls(bench_multi_ap,
						    &bench_nodes[2 * i + 1]);
		cpuhp_state_remove_instance_nocalls(bench_multi_bp,
						    &bench_nodes[2 * i]);
	}
	bench_nr_native = 0;
}

static int bench_native(unsigned int n)
{
	int ret;

	if (n > BENCH_MAX_NATIVE)
		return -ERANGE;
	bench_native_clear();
	/* Instances added with the _nocalls variant: no-op callbacks anyway. */
	while (bench_nr_native < n) {
		struct hlist_node *bp = &bench_nodes[2 * bench_nr_native];

		ret = cpuhp_state_add_instance_nocalls(bench_multi_bp, bp);
		if (ret)
			return ret;
		ret = cpuhp_state_add_instance_nocalls(bench_multi_ap, bp + 1);
		if (ret) {
			cpuhp_state_remove_instance_nocalls(bench_multi_bp, bp);
			return ret;
		}
		bench_nr_native++;
	}
	return 0;
}

static int bench_mem_cb(struct notifier_block *nb, unsigned long action,
			void *arg)
{
	return NOTIFY_OK;
}

static struct notifier_block bench_mem_nb = {
	.notifier_call = bench_mem_cb,
};

static int bench_memnb(bool on)
{
	int ret = 0;

	if (on && !bench_memnb_on)
		ret = register_memory_notifier(&bench_mem_nb);
	else if (!on && bench_memnb_on)
		unregister_memory_notifier(&bench_mem_nb);
	if (!ret)
		bench_memnb_on = on;
	return ret;
}

/* Writes @val to @path as a write(2) from user space would; ns taken. */
static long long bench_write_file(const char *path, const char *val)
{
	struct file *f = filp_open(path, O_WRONLY, 0);
	loff_t pos = 0;
	ssize_t n;
	u64 t;

	if (IS_ERR(f))
		return PTR_ERR(f);
	t = ktime_get_ns();
	n = kernel_write(f, val, strlen(val), &pos);
	t = ktime_get_ns() - t;
	filp_close(f, NULL);
	return n < 0 ? n : (long long)t;
}

static int bench_mem(unsigned int block, unsigned int reps)
{
	long long off, on;
	char path[64];
	unsigned int r;

	snprintf(path, sizeof(path), "/sys/devices/system/memory/memory%u/state",
		 block);
	for (r = 0; r < reps; r++) {
		off = bench_write_file(path, "offline");
		if (off < 0)
			return off;
		on = bench_write_file(path, "online_movable");
		if (on < 0)
			return on;
		bench_emit("mem_off %lld\nmem_on %lld\n", off, on);
	}
	return 0;
}

static int bench_command(const char *cmd, const unsigned int *a,
			 unsigned int n)
{
	unsigned int i;

	if (!strcmp(cmd, "states") && !n) {
		bench_emit("noop_bp %d\nnoop_ap %d\n", bench_noop_bp,
			   bench_noop_ap);
		return 0;
	}
	if (!strcmp(cmd, "native") && n == 1)
		return bench_native(a[0]);
	if (!strcmp(cmd, "memnb") && n == 1 && a[0] <= 1)
		return bench_memnb(a[0]);
	if (!strcmp(cmd, "anative") && n == 2)
		return bench_anative_set(a[0], a[1]);
	if (!strcmp(cmd, "anlag") && n == 1)
		return bench_recs_report(bench_anative_rec, bench_nr_anative,
					 a[0]);
	if (!strcmp(cmd, "firstirq") && n == 4)
		return bench_firstirq(a[0], a[1], a[2], a[3]);
	if (n < 2 || !a[1] || a[1] > BENCH_MAX_REPS)
		return -EINVAL;
	if (!strcmp(cmd, "cpu") && n == 2)
		return bench_cpu(a[0], a[1], false);
	if (!strcmp(cmd, "mem") && n == 2)
		return bench_mem(a[0], a[1]);
	if (!strcmp(cmd, "step") && n > 2) {
		bench_nr_steps = n - 2;
		for (i = 0; i < bench_nr_steps; i++)
			bench_step_state[i] = a[2 + i];
		memset(bench_step_ns, 0, sizeof(bench_step_ns));
		return bench_cpu(a[0], a[1], true);
	}
	return -EINVAL;
}

/*
 * The states, set up in this order and removed in reverse; the startup and
 * teardown of a multi-instance state take an instance too, cast as
 * <linux/cpuhotplug.h>'s own wrappers cast them.
 */
static const struct {
	enum cpuhp_state range;
	const char *name;
	void *cb;
	bool multi;
	int *nr;
} bench_states[] = {
	{ CPUHP_BP_PREPARE_DYN, "bench:noop-bp", bench_noop, false,
	  &bench_noop_bp },
	{ CPUHP_AP_ONLINE_DYN, "bench:noop-ap", bench_noop, false,
	  &bench_noop_ap },
	{ CPUHP_BP_PREPARE_DYN, "bench:multi-bp", bench_noop_multi, true,
	  &bench_multi_bp },
	{ CPUHP_AP_ONLINE_DYN, "bench:multi-ap", bench_noop_multi, true,
	  &bench_multi_ap },
	{ CPUHP_AP_ONLINE_DYN, "bench:async-ap", bench_anative_cb, true,
	  &bench_async_ap },
};

static void bench_states_remove(void)
{
	unsigned int i = ARRAY_SIZE(bench_states);

	while (i--) {
		if (*bench_states[i].nr >= 0)
			__cpuhp_remove_state(*bench_states[i].nr, false);
		*bench_states[i].nr = -1;
	}
}

static int bench_states_add(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bench_states); i++) {
		ret = __cpuhp_setup_state(bench_states[i].range,
					  bench_states[i].name, false,
					  bench_states[i].cb,
					  bench_states[i].cb,
					  bench_states[i].multi);
		if (ret < 0)
			return ret;
		*bench_states[i].nr = ret;
	}
	return 0;
}

static int __init bench_init(void)
{
	int ret;

	bench_out = kvzalloc(BENCH_OUT_SIZE, GFP_KERNEL);
	bench_nodes = kvcalloc(2 * BENCH_MAX_NATIVE, sizeof(*bench_nodes),
			       GFP_KERNEL);
	bench_anatives = kvcalloc(BENCH_MAX_ANATIVE, sizeof(*bench_anatives),
				  GFP_KERNEL);
	if (!bench_out || !bench_nodes || !bench_anatives) {
		ret = -ENOMEM;
		goto fail;
	}
	for_each_kernel_tracepoint(bench_find_tp, NULL);

	ret = bench_states_add();
	if (ret)
		goto fail;

	bench_dir = debugfs_create_dir("dhp_bench_base", NULL);
	debugfs_create_file("run", 0600, bench_dir, NULL, &bench_run_fops);
	return 0;

fail:
	bench_states_remove();
	kvfree(bench_anatives);
	kvfree(bench_nodes);
	kvfree(bench_out);
	return ret;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	bench_memnb(false);
	bench_native_clear();
	bench_anative_clear();
	bench_states_remove();
	kvfree(bench_anatives);
	kvfree(bench_nodes);
	kvfree(bench_out);
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp bench: native baselines (cpuhp states, memory notifier, work items) and timers");
