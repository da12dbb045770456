// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_bench: dhp's side of scripts/bench.sh (the baselines are in
 * dhp_bench_base.c). Not a sample and not shipped.
 *
 * debugfs, /sys/kernel/debug/dhp_bench/run: write one command, then read
 * its result, "name value" lines (times in ns):
 *   sync N          N no-op synchronous clients registered (0..10000)
 *   unreg REPS      REPS times: register one more client (reg ns), then
 *                   unregister it, the newest of all (unreg ns)
 *   async N         N asynchronous processor clients (0..1000) that record
 *                   when each event reaches them; resets the records
 *   lag EVENTS      waits (up to 60 s) until every client got EVENTS
 *                   events since "async", then bench_recs_report()'s
 *                   lines (dhp_bench_run.h): lag_q P ns, delivery time -
 *                   the event's timestamp_ns (ktime_get_ns() at post);
 *                   per event "fanout ns" (from the post to the last
 *                   delivery) and "spread ns" (first delivery to last)
 *   hot ITERS REPS  per repetition the time of ITERS runs of each hot
 *                   path: hot_raw (this_cpu_inc of a per-CPU counter),
 *                   hot_ptr (the pointer-to-context pattern with interrupts
 *                   off, as dhp_sample's task path did), hot_pcpu (one
 *                   this_cpu_inc of a dhp per-CPU context's counter; the
 *                   client is registered for the command only), hot_dyn
 *                   (this_cpu_inc of a counter from alloc_percpu(): what
 *                   any dynamic per-CPU area costs, dhp or not)
 * Commands are serialized by bench_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dhp.h"
#include "dhp_bench_run.h"

#define BENCH_MAX_SYNC	10000
#define BENCH_MAX_ASYNC	1000
#define BENCH_MAX_REPS	1000

static struct dentry *bench_dir;

/* ---- synchronous clients ---------------------------------------------- */

static struct dhp_cpu_client **bench_sync;
static unsigned int bench_nr_sync;

static void bench_sync_cb(void *context, const struct dhp_cpu_change *change,
			  int *op_status)
{
}

static int bench_sync_set(unsigned int n)
{
	struct dhp_cpu_client *c;

	if (n > BENCH_MAX_SYNC)
		return -ERANGE;
	while (bench_nr_sync > n)
		dhp_unregister_cpu_callback(bench_sync[--bench_nr_sync]);
	while (bench_nr_sync < n) {
		c = dhp_register_cpu_callback(bench_sync_cb, NULL, 0);
		if (IS_ERR(c))
			return PTR_ERR(c);
		bench_sync[bench_nr_sync++] = c;
	}
	return 0;
}

static int bench_unreg(unsigned int reps)
{
	struct dhp_cpu_client *c;
	unsigned int r;
	u64 t0, t1, t2;
	int ret;

	for (r = 0; r < reps; r++) {
		t0 = ktime_get_ns();
		c = dhp_register_cpu_callback(bench_sync_cb, NULL, 0);
		t1 = ktime_get_ns();
		if (IS_ERR(c))
			return PTR_ERR(c);
		ret = dhp_unregister_cpu_callback(c);
		t2 = ktime_get_ns();
		if (ret)
			return ret;
		bench_emit("reg %llu\nunreg %llu\n", t1 - t0, t2 - t1);
	}
	return 0;
}

/* ---- asynchronous clients --------------------------------------------- */

struct bench_ev_client {
	struct dhp_event_client *handle;
	struct bench_rec rec;
};

static struct bench_ev_client *bench_async;
static unsigned int bench_nr_async;

/* One event at a time per client (dhp's rule): @bc is this worker's only. */
static void bench_async_cb(void *context, const struct dhp_event *ev)
{
	struct bench_rec *rec = &((struct bench_ev_client *)context)->rec;
	unsigned int i = rec->nr;

	if (i >= BENCH_MAX_EV)
		return;
	rec->got[i] = ktime_get_ns();
	rec->at[i] = ev->timestamp_ns;
	rec->nr = i + 1;
	/* Pairs with the acquire in bench_recs_report(): records first. */
	smp_store_release(&rec->done, i + 1);
}

static void bench_async_clear(void)
{
	while (bench_nr_async)
		dhp_unregister_event_callback(bench_async[--bench_nr_async].handle);
}

static int bench_async_set(unsigned int n)
{
	struct dhp_event_client *h;

	if (n > BENCH_MAX_ASYNC)
		return -ERANGE;
	bench_async_clear();
	memset(bench_async, 0, sizeof(*bench_async) * BENCH_MAX_ASYNC);
	while (bench_nr_async < n) {
		h = dhp_register_event_callback(bench_async_cb,
						&bench_async[bench_nr_async],
						DHP_EV_PROCESSOR);
		if (IS_ERR(h))
			return PTR_ERR(h);
		bench_async[bench_nr_async++].handle = h;
	}
	return 0;
}

static struct bench_rec *bench_async_rec(unsigned int i)
{
	return &bench_async[i].rec;
}

/* ---- hot paths ---------------------------------------------------------- */

struct bench_ctx {
	unsigned long requests;
};

static DEFINE_PER_CPU(unsigned long, bench_raw);
static DEFINE_PER_CPU(struct bench_ctx *, bench_ptr);
static struct bench_ctx *bench_ctxs;

static noinline void bench_hot_ptr(void)
{
	struct bench_ctx *ctx;
	unsigned long flags;

	local_irq_save(flags);
	ctx = __this_cpu_read(bench_ptr);
	if (likely(ctx))
		ctx->requests++;
	local_irq_restore(flags);
}

static noinline void bench_hot_raw(void)
{
	this_cpu_inc(bench_raw);
}

static struct bench_ctx __percpu *bench_pcpu;

static noinline void bench_hot_pcpu(void)
{
	this_cpu_inc(bench_pcpu->requests);
}

static unsigned long __percpu *bench_dyn;

static noinline void bench_hot_dyn(void)
{
	this_cpu_inc(*bench_dyn);
}

static int bench_hot(unsigned int iters, unsigned int reps)
{
	struct dhp_cpu_client *c;
	unsigned int r, i;
	u64 t;

	bench_pcpu = alloc_percpu(struct bench_ctx);
	bench_dyn = alloc_percpu(unsigned long);
	c = bench_pcpu && bench_dyn ?
	    dhp_register_cpu_callback_percpu(bench_sync_cb, NULL, bench_pcpu,
					     DHP_CPU_ADD_EXISTING) :
	    ERR_PTR(-ENOMEM);
	if (IS_ERR(c)) {
		free_percpu(bench_dyn);
		free_percpu(bench_pcpu);
		return PTR_ERR(c);
	}
	for (r = 0; r < reps; r++) {
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			bench_hot_raw();
		bench_emit("hot_raw %llu\n", ktime_get_ns() - t);
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			bench_hot_ptr();
		bench_emit("hot_ptr %llu\n", ktime_get_ns() - t);
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			bench_hot_pcpu();
		bench_emit("hot_pcpu %llu\n", ktime_get_ns() - t);
		t = ktime_get_ns();
		for (i = 0; i < iters; i++)
			bench_hot_dyn();
		bench_emit("hot_dyn %llu\n", ktime_get_ns() - t);
		cond_resched();
	}
	dhp_unregister_cpu_callback(c);
	free_percpu(bench_dyn);
	free_percpu(bench_pcpu);
	return 0;
}

/* ---- the control file --------------------------------------------------- */

static int bench_command(const char *cmd, const unsigned int *a,
			 unsigned int n)
{
	if (!strcmp(cmd, "sync") && n == 1)
		return bench_sync_set(a[0]);
	if (!strcmp(cmd, "async") && n == 1)
		return bench_async_set(a[0]);
	if (!strcmp(cmd, "lag") && n == 1)
		return bench_recs_report(bench_async_rec, bench_nr_async, a[0]);
	if (!strcmp(cmd, "unreg") && n == 1 && a[0] && a[0] <= BENCH_MAX_REPS)
		return bench_unreg(a[0]);
	if (!strcmp(cmd, "hot") && n == 2 && a[0] && a[0] <= 100000000 &&
	    a[1] && a[1] <= BENCH_MAX_REPS)
		return bench_hot(a[0], a[1]);
	return -EINVAL;
}

static void bench_free(void)
{
	kvfree(bench_ctxs);
	kvfree(bench_async);
	kvfree(bench_sync);
	kvfree(bench_out);
}

static int __init bench_init(void)
{
	unsigned int cpu;

	bench_out = kvzalloc(BENCH_OUT_SIZE, GFP_KERNEL);
	bench_sync = kvcalloc(BENCH_MAX_SYNC, sizeof(*bench_sync), GFP_KERNEL);
	bench_async = kvcalloc(BENCH_MAX_ASYNC, sizeof(*bench_async),
			       GFP_KERNEL);
	bench_ctxs = kvcalloc(nr_cpu_ids, sizeof(*bench_ctxs), GFP_KERNEL);
	if (!bench_out || !bench_sync || !bench_async || !bench_ctxs) {
		bench_free();
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu)
		per_cpu(bench_ptr, cpu) = &bench_ctxs[cpu];
	bench_dir = debugfs_create_dir("dhp_bench", NULL);
	debugfs_create_file("run", 0600, bench_dir, NULL, &bench_run_fops);
	return 0;
}

static void __exit bench_exit(void)
{
	debugfs_remove_recursive(bench_dir);
	bench_async_clear();
	bench_sync_set(0);
	bench_free();
}

module_init(bench_init);
module_exit(bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp bench: dhp clients at scale, timed");
