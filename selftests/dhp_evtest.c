// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_evtest: a client module for the selftests of the asynchronous
 * notification and the high-memory condition.
 *
 * Each named client records what it is given, so that tests can check
 * ranges, order and exactly-once delivery from user space. A client can be
 * made slow (a sleep per callback) or held (its callback blocks until
 * released), which lets a test queue events behind it on purpose, and it
 * can be unregistered from a worker, so that a test can cause events while
 * an unregistration waits for a held callback.
 *
 * Each client also checks contiguity as events come: the sequence numbers
 * of a client of both categories have no hole from its first event on
 * (gaps counts the numbers missing between two events); first_seq and
 * last_seq let a test check the two ends against dhp's "posted".
 *
 * debugfs, /sys/kernel/debug/dhp_evtest/:
 *   ctl         write one command:
 *                 register NAME FLAGS [SLEEP_MS]   FLAGS as in dhp.h
 *                 unregister NAME                  fails with dhp's errno
 *                 unregister_async NAME            the same from a worker:
 *                                                  returns at once, the
 *                                                  client goes when dhp
 *                                                  returns (its result in
 *                                                  results)
 *                 hold NAME 0|1                    block its callback
 *                 selfunreg NAME                   unregister from inside
 *                 badinput                         the API misuse cases
 *                 wait_high 0|1 MS                 dhp_wait_high_memory()
 *                 amlhold PATH                     hold the AML mutex
 *                                                  PATH (absolute) in a
 *                                                  thread of its own, so
 *                                                  that ACPI methods that
 *                                                  acquire it wait: e.g.
 *                                                  QEMU's memory slot lock,
 *                                                  which each slot's _CRS
 *                                                  takes; -ENOENT if there
 *                                                  is none, -EBUSY if one
 *                                                  is held
 *                 amlhold 0                        release it (rmmod too)
 *               NAME: 1 to 15 of [A-Za-z0-9_-]; words are separated by
 *               blanks; numbers are decimal
 *   results     the misuse and self-unregister results, "name value"
 *   clients/NAME
 *               "# calls C delivered D seq_errors E overflow O", then
 *               "# first_seq F last_seq L gaps G expected X waiting W
 *               lost N" (X: the numbers from F to L; W: a held callback
 *               is waiting; N: events dhp said it dropped, in
 *               DHP_EV_OVERFLOW events, which count as gaps), then one
 *               line per callback: seq count kind cpu node start size
 *               source active latency_us flags usable
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/cpumask.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "dhp.h"
#include "ctl_write.h"

#define EV_MAX_CLIENTS	16
#define EV_MAX_RECS	4096

struct ev_rec {
	struct dhp_event ev;
	bool active;		/* CPU events: cpu_active() at delivery */
	u64 latency_ns;
};

struct ev_client {
	char name[16];
	struct dhp_event_client *handle;
	unsigned int sleep_ms;
	bool hold;
	bool selfunreg;
	bool dying;		/* being unregistered; under ev_lock */
	bool waiting;		/* a held callback is blocked */
	struct ev_client **slot;	/* its place in ev_clients[] */
	struct work_struct unreg_work;	/* unregister_async */
	struct dentry *file;
	struct mutex lock;	/* the records, against debugfs readers */
	struct ev_rec *recs;
	unsigned int nr;
	unsigned long calls, delivered, seq_errors, overflow, lost;
	u64 first_seq, last_seq, gaps;
};

static DEFINE_MUTEX(ev_lock);	/* the client table and the results */
static struct ev_client *ev_clients[EV_MAX_CLIENTS];
static DECLARE_WAIT_QUEUE_HEAD(ev_hold_wq);
static struct dentry *ev_dir, *ev_clients_dir;
static struct workqueue_struct *ev_wq;	/* unregister_async */
static int selfunreg_ret = 1, unreg_async_ret = 1;
static int bad_null_cb = 1, bad_no_category = 1, bad_flags = 1;
static int bad_null_handle = 1, bad_double = 1, bad_foreign = 1;
/*
 * dhp_wait_high_memory() with a negative timeout, then with 0, the
 * condition met or not.
 */
static long bad_wait_met = 1, bad_wait_unmet = 1;
static long zero_wait_met = -1, zero_wait_unmet = -1;

static void ev_callback(void *context, const struct dhp_event *ev)
{
	struct ev_client *c = context;
	struct ev_rec *r;

	if (READ_ONCE(c->hold)) {
		WRITE_ONCE(c->waiting, true);
		wait_event_timeout(ev_hold_wq, !READ_ONCE(c->hold), 300 * HZ);
		WRITE_ONCE(c->waiting, false);
	}
	if (c->sleep_ms)
		msleep(c->sleep_ms);
	if (READ_ONCE(c->selfunreg)) {
		WRITE_ONCE(c->selfunreg, false);
		WRITE_ONCE(selfunreg_ret,
			   dhp_unregister_event_callback(c->handle));
	}

	mutex_lock(&c->lock);
	c->calls++;
	/* An overflow stands for @count events lost: a hole, not a delivery. */
	if (ev->kind == DHP_EV_OVERFLOW)
		c->lost += ev->count;
	else
		c->delivered += ev->seq ? ev->count : 0;
	/* Real events come in order, never twice; existing ones (0) first. */
	if (ev->seq && ev->seq <= c->last_seq)
		c->seq_errors++;
	if (!ev->seq && c->last_seq)
		c->seq_errors++;
	/* What a client of both categories must not see: a hole. */
	if (ev->seq && c->last_seq && ev->seq > c->last_seq + 1)
		c->gaps += ev->seq - c->last_seq - 1;
	if (ev->kind == DHP_EV_OVERFLOW)
		c->gaps += ev->count;
	if (ev->seq && !c->first_seq)
		c->first_seq = ev->seq;
	if (ev->seq)
		c->last_seq = ev->seq + ev->count - 1;
	if (c->nr < EV_MAX_RECS) {
		r = &c->recs[c->nr++];
		r->ev = *ev;
		r->latency_ns = ktime_get_ns() - ev->timestamp_ns;
		r->active = (ev->kind == DHP_EV_CPU_ARRIVAL ||
			     ev->kind == DHP_EV_CPU_REMOVAL) &&
			    cpu_active(ev->cpu.cpu);
	} else {
		c->overflow++;
	}
	mutex_unlock(&c->lock);
}

static int ev_client_show(struct seq_file *m, void *v)
{
	struct ev_client *c = m->private;
	const struct ev_rec *r;
	unsigned int i;

	mutex_lock(&c->lock);
	seq_printf(m, "# calls %lu delivered %lu seq_errors %lu overflow %lu\n",
		   c->calls, c->delivered, c->seq_errors, c->overflow);
	seq_printf(m, "# first_seq %llu last_seq %llu gaps %llu expected %llu waiting %d lost %lu\n",
		   c->first_seq, c->last_seq, c->gaps,
		   c->first_seq ? c->last_seq - c->first_seq + 1 : 0,
		   READ_ONCE(c->waiting), c->lost);
	for (i = 0; i < c->nr; i++) {
		r = &c->recs[i];
		if (r->ev.kind == DHP_EV_CPU_ARRIVAL ||
		    r->ev.kind == DHP_EV_CPU_REMOVAL)
			seq_printf(m, "%llu %u %d %u %d 0 0 0 %d %llu 0 0\n",
				   r->ev.seq, r->ev.count, r->ev.kind,
				   r->ev.cpu.cpu, r->ev.cpu.node, r->active,
				   r->latency_ns / 1000);
		else
			seq_printf(m, "%llu %u %d -1 %d %#llx %#llx %d 0 %llu %#x %#llx\n",
				   r->ev.seq, r->ev.count, r->ev.kind,
				   r->ev.mem.node, r->ev.mem.start,
				   r->ev.mem.size, r->ev.mem.source,
				   r->latency_ns / 1000, r->ev.mem.flags,
				   r->ev.mem.usable);
	}
	mutex_unlock(&c->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ev_client);

/* ev_lock held. */
static struct ev_client **ev_find(const char *name)
{
	int i;

	for (i = 0; i < EV_MAX_CLIENTS; i++)
		if (ev_clients[i] && !strcmp(ev_clients[i]->name, name))
			return &ev_clients[i];
	return NULL;
}

static void ev_free(struct ev_client *c)
{
	debugfs_remove(c->file);
	kvfree(c->recs);
	kfree(c);
}

/* unregister_async: dhp's unregistration in a worker, then as below. */
static void ev_unreg_work(struct work_struct *work)
{
	struct ev_client *c = container_of(work, struct ev_client, unreg_work);
	int ret = dhp_unregister_event_callback(c->handle);

	mutex_lock(&ev_lock);
	WRITE_ONCE(unreg_async_ret, ret);
	c->dying = false;
	if (!ret) {
		*c->slot = NULL;
		ev_free(c);	/* the work item too: allowed, it is running */
	}
	mutex_unlock(&ev_lock);
}

/* ev_lock held. */
static int ev_register(const char *name, unsigned int flags,
		       unsigned int sleep_ms)
{
	struct ev_client **slot = NULL, *c;
	int i;

	if (ev_find(name) || sleep_ms > 10000)
		return -EINVAL;
	for (i = 0; i < EV_MAX_CLIENTS && !slot; i++)
		if (!ev_clients[i])
			slot = &ev_clients[i];
	if (!slot)
		return -ENOSPC;
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->recs = kvcalloc(EV_MAX_RECS, sizeof(*c->recs), GFP_KERNEL);
	if (!c->recs) {
		kfree(c);
		return -ENOMEM;
	}
	strscpy(c->name, name, sizeof(c->name));
	mutex_init(&c->lock);
	c->sleep_ms = sleep_ms;
	c->file = debugfs_create_file(c->name, 0400, ev_clients_dir, c,
				      &ev_client_fops);
	c->handle = dhp_register_event_callback(ev_callback, c, flags);
	if (IS_ERR(c->handle)) {
		int err = PTR_ERR(c->handle);

		ev_free(c);
		return err;
	}
	c->slot = slot;
	INIT_WORK(&c->unreg_work, ev_unreg_work);
	*slot = c;
	return 0;
}

/*
 * Called with ev_lock held and returns with it held, but drops it while
 * dhp waits for a running callback, so that "hold NAME 0" can release it.
 */
static int ev_unregister(struct ev_client **slot)
{
	struct ev_client *c = *slot;
	int ret;

	if (c->dying)
		return -EBUSY;
	c->dying = true;
	mutex_unlock(&ev_lock);
	ret = dhp_unregister_event_callback(c->handle);
	mutex_lock(&ev_lock);
	c->dying = false;
	if (!ret) {
		*slot = NULL;	/* the slot stays put: the table never moves */
		ev_free(c);
	}
	return ret;
}

/* ev_lock held; the unregistration runs in ev_unreg_work(). */
static int ev_unregister_async(struct ev_client *c)
{
	if (c->dying)
		return -EBUSY;
	c->dying = true;
	WRITE_ONCE(unreg_async_ret, 1);
	queue_work(ev_wq, &c->unreg_work);
	return 0;
}

static void ev_noop(void *context, const struct dhp_event *ev)
{
}

/* ev_lock held. */
static void ev_badinput(void)
{
	static int not_a_client;
	struct dhp_event_client *h;

	bad_null_cb = PTR_ERR_OR_ZERO(dhp_register_event_callback(NULL, NULL,
								  DHP_EV_MEMORY));
	h = dhp_register_event_callback(ev_noop, NULL, 0);
	bad_no_category = PTR_ERR_OR_ZERO(h);
	if (!IS_ERR(h))
		dhp_unregister_event_callback(h);
	h = dhp_register_event_callback(ev_noop, NULL, DHP_EV_MEMORY | 0x100);
	bad_flags = PTR_ERR_OR_ZERO(h);
	if (!IS_ERR(h))
		dhp_unregister_event_callback(h);
	bad_null_handle = dhp_unregister_event_callback(NULL);
	h = dhp_register_event_callback(ev_noop, NULL, DHP_EV_PROCESSOR);
	if (IS_ERR(h)) {
		bad_double = PTR_ERR(h);
	} else {
		dhp_unregister_event_callback(h);
		bad_double = dhp_unregister_event_callback(h);
	}
	bad_foreign = dhp_unregister_event_callback((void *)&not_a_client);
	bad_wait_met = dhp_wait_high_memory(dhp_high_memory(), -5);
	bad_wait_unmet = dhp_wait_high_memory(!dhp_high_memory(), -5);
	/* 0 is a timeout like any other: the condition, without waiting */
	zero_wait_met = dhp_wait_high_memory(dhp_high_memory(), 0);
	zero_wait_unmet = dhp_wait_high_memory(!dhp_high_memory(), 0);
}

static int ev_wait_high(int state, unsigned int ms)
{
	long ret = dhp_wait_high_memory(state, msecs_to_jiffies(ms));

	if (ret > 0)
		return 0;
	return ret ? ret : -ETIMEDOUT;
}

/* A client name, also a debugfs file name: 1 to 15 of [A-Za-z0-9_-]. */
static bool ev_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (!len || len > 15)
		return false;
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) || (!isalnum(name[i]) &&
					  name[i] != '_' && name[i] != '-'))
			return false;
	return true;
}

static DEFINE_MUTEX(aml_lock);		/* "amlhold" */

#ifdef CONFIG_ACPI
/*
 * "amlhold": an AML mutex belongs to the thread that acquired it, and AML
 * run by that same thread would acquire it again at once, so a kthread of
 * its own takes it and gives it back. aml_lock, not ev_lock: a
 * registration holding ev_lock may be waiting for the AML mutex.
 */
static struct task_struct *aml_holder;
static char aml_path[64];
static int aml_result;
static DECLARE_COMPLETION(aml_taken);

static int aml_hold_fn(void *arg)
{
	aml_result = ACPI_SUCCESS(acpi_acquire_mutex(NULL, aml_path,
						     ACPI_WAIT_FOREVER)) ?
		     0 : -ENOENT;
	complete(&aml_taken);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	if (!aml_result)
		acpi_release_mutex(NULL, aml_path);
	return 0;
}

static void aml_release(void)
{
	if (aml_holder)
		kthread_stop(aml_holder);
	aml_holder = NULL;
}

static int aml_hold(const char *path)
{
	struct task_struct *t;

	if (!strcmp(path, "0")) {
		aml_release();
		return 0;
	}
	if (aml_holder)
		return -EBUSY;
	if (path[0] != '\\' || strscpy(aml_path, path, sizeof(aml_path)) < 0)
		return -EINVAL;
	reinit_completion(&aml_taken);
	t = kthread_run(aml_hold_fn, NULL, "dhp_evtest_aml");
	if (IS_ERR(t))
		return PTR_ERR(t);
	aml_holder = t;
	wait_for_completion(&aml_taken);
	if (aml_result) {
		pr_warn("amlhold: no AML mutex %s\n", aml_path);
		aml_release();
	}
	return aml_result;
}
#else
static int aml_hold(const char *path)
{
	return -ENOENT;
}

static void aml_release(void)
{
}
#endif

/* The unlocked part of a command: it may block a long time. */
static int ev_command(char *cmd)
{
	unsigned int flags = 0, sleep_ms = 0, ms;
	struct ev_client **slot;
	int argc, on = 0, ret;
	char *argv[4];

	argc = ctl_split(cmd, argv, ARRAY_SIZE(argv));
	if (argc < 0)
		return argc;
	if (ctl_is(argv, argc, "wait_high", 3)) {
		if (kstrtoint(argv[1], 10, &on) || kstrtouint(argv[2], 10, &ms) ||
		    on < 0 || on > 1 || ms > 600000)
			return -EINVAL;
		return ev_wait_high(on, ms);
	}
	if (ctl_is(argv, argc, "badinput", 1)) {
		mutex_lock(&ev_lock);
		ev_badinput();
		mutex_unlock(&ev_lock);
		return 0;
	}
	if (ctl_is(argv, argc, "amlhold", 2)) {
		mutex_lock(&aml_lock);
		ret = aml_hold(argv[1]);
		mutex_unlock(&aml_lock);
		return ret;
	}
	/* the other commands name a client */
	if (argc < 2 || !ev_name_ok(argv[1]))
		return -EINVAL;
	if (!strcmp(argv[0], "register") && (argc == 3 || argc == 4)) {
		if (kstrtouint(argv[2], 10, &flags) ||
		    (argc == 4 && kstrtouint(argv[3], 10, &sleep_ms)))
			return -EINVAL;
	} else if (ctl_is(argv, argc, "hold", 3)) {
		if (kstrtoint(argv[2], 10, &on) || on < 0 || on > 1)
			return -EINVAL;
	} else if (!ctl_is(argv, argc, "unregister", 2) &&
		   !ctl_is(argv, argc, "unregister_async", 2) &&
		   !ctl_is(argv, argc, "selfunreg", 2)) {
		return -EINVAL;
	}

	mutex_lock(&ev_lock);
	if (!strcmp(argv[0], "register")) {
		ret = ev_register(argv[1], flags, sleep_ms);
	} else {
		slot = ev_find(argv[1]);
		ret = slot ? 0 : -ENOENT;
		if (slot && !strcmp(argv[0], "unregister")) {
			ret = ev_unregister(slot);
		} else if (slot && !strcmp(argv[0], "unregister_async")) {
			ret = ev_unregister_async(*slot);
		} else if (slot && !strcmp(argv[0], "hold")) {
			WRITE_ONCE((*slot)->hold, on);
			wake_up_all(&ev_hold_wq);
		} else if (slot) {
			selfunreg_ret = 1;
			WRITE_ONCE((*slot)->selfunreg, true);
		}
	}
	mutex_unlock(&ev_lock);
	return ret;
}

DEFINE_CTL_FOPS(ev_ctl, ev_command);

static int ev_results_show(struct seq_file *m, void *v)
{
	mutex_lock(&ev_lock);
	seq_printf(m, "selfunreg %d\nbad_null_cb %d\nbad_no_category %d\n",
		   READ_ONCE(selfunreg_ret), bad_null_cb, bad_no_category);
	seq_printf(m, "bad_flags %d\nbad_null_handle %d\nbad_double %d\nbad_foreign %d\n",
		   bad_flags, bad_null_handle, bad_double, bad_foreign);
	seq_printf(m, "bad_wait_met %ld\nbad_wait_unmet %ld\n", bad_wait_met,
		   bad_wait_unmet);
	seq_printf(m, "zero_wait_met %ld\nzero_wait_unmet %ld\n",
		   zero_wait_met, zero_wait_unmet);
	seq_printf(m, "unregister_async %d\n", READ_ONCE(unreg_async_ret));
	mutex_unlock(&ev_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ev_results);

static int __init ev_init(void)
{
	ev_wq = alloc_workqueue("dhp_evtest", WQ_UNBOUND, 0);
	if (!ev_wq)
		return -ENOMEM;
	ev_dir = debugfs_create_dir("dhp_evtest", NULL);
	ev_clients_dir = debugfs_create_dir("clients", ev_dir);
	debugfs_create_file("ctl", 0200, ev_dir, NULL, &ev_ctl_fops);
	debugfs_create_file("results", 0400, ev_dir, NULL, &ev_results_fops);
	return 0;
}

static void __exit ev_exit(void)
{
	int i;

	/* Release every held callback, let unregister_async finish. */
	mutex_lock(&ev_lock);
	for (i = 0; i < EV_MAX_CLIENTS; i++)
		if (ev_clients[i])
			WRITE_ONCE(ev_clients[i]->hold, false);
	wake_up_all(&ev_hold_wq);
	mutex_unlock(&ev_lock);
	mutex_lock(&aml_lock);
	aml_release();
	mutex_unlock(&aml_lock);
	flush_workqueue(ev_wq);

	mutex_lock(&ev_lock);
	for (i = 0; i < EV_MAX_CLIENTS; i++)
		if (ev_clients[i])
			ev_unregister(&ev_clients[i]);
	mutex_unlock(&ev_lock);
	destroy_workqueue(ev_wq);
	debugfs_remove_recursive(ev_dir);
}

module_init(ev_init);
module_exit(ev_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp selftest client for asynchronous notifications");
