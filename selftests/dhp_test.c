// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_test: a client module for the selftests. It registers any number of
 * clients and checks, as each notification arrives, what the API promises:
 *
 *  - sequence: per (client, CPU), ADD_START then exactly one of ADD_COMPLETE
 *    or ADD_FAILURE, and after a complete REMOVE_START then exactly one of
 *    REMOVE_COMPLETE or REMOVE_FAILURE;
 *  - order: within one step of one CPU, clients come in registration order
 *    for ADD_START, ADD_COMPLETE, REMOVE_FAILURE and in reverse for the
 *    others;
 *  - context: ADD_COMPLETE, REMOVE_START and REMOVE_FAILURE run on the CPU
 *    concerned (wrong_cpu counts those that did not, per step);
 *  - ADD_FAILURE's status: counted per errno (add_failure_status_E, E the
 *    errno negated), for the tests to compare with the failure they caused.
 *
 * Violations are counted, never fixed up, so a test fails when dhp breaks.
 * All callbacks are serialized by dhp (CPU hotplug lock), which is what lets
 * the checker keep its state without locks; test_lock serializes the
 * debugfs commands that change the client set.
 *
 * debugfs, /sys/kernel/debug/dhp_test/:
 *   ctl    write one command:
 *            register N FLAGS     N more clients (FLAGS as in dhp.h); fails
 *                                 with the errno of the first refusal
 *            unregister           all clients, newest first
 *            veto IDX CPU ERRNO   client IDX vetoes ADD_START of CPU (-1 any)
 *            vetoraw IDX CPU VAL  the same with any VAL but 0, e.g. one
 *                                 that is no errno (a driver bug dhp
 *                                 must turn into -EIO)
 *            veto off
 *            othersfrom IDX N     client IDX calls the other APIs (event,
 *                                 rebalance) from its N-th callback from
 *                                 now on (N >= 1); results in cb_ev_reg ...
 *            selfunreg IDX        client IDX calls (un)register from its next
 *                                 callback; the results land in stats
 *            badinput             run the API misuse cases (synchronous
 *                                 and rebalance)
 *            churn MS             register + unregister in a loop for MS ms
 *            leak                 register a client of each API that is
 *                                 never unregistered (a driver bug dhp
 *                                 must survive at rmmod)
 *            reset                zero the counters
 *            rbmisuse             register a rebalance device of its own
 *                                 (root device dhp_test_rb0, an IRQ with
 *                                 a dummy chip, which cannot move it), run
 *                                 the misuse cases that need one
 *                                 (dhp_test_rb1 the other device), and arm
 *                                 its next query_stop to call dhp; its
 *                                 stop() and start() calls are counted
 *                                 (rb_own_stops, rb_own_starts)
 *            rbdone               unregister it, twice, and free its IRQ
 *            whendown CPU N FLAGS register N clients with FLAGS, one at
 *                                 a time, from a kthread of its own that
 *                                 the next offline of CPU wakes (up to
 *                                 120 s), from the teardown of the AP
 *                                 state "dhp_test:whendown": registrations
 *                                 while a suspend has the CPU down.
 *                                 Results: whendown_ret (1: not done yet)
 *                                 and whendown_offline (1: the CPU was
 *                                 offline after each one)
 *            latestate            install "dhp_test:late", a dynamic AP
 *                                 online state with a startup and no
 *                                 teardown (removed at rmmod): cpuhp's
 *                                 hotplug/fail there passes an offline and
 *                                 fails the next bring-up, e.g. a resume
 *            rbleak               rbmisuse, disarmed, its IRQ freed at
 *                                 once (a requested IRQ pins the module;
 *                                 no round ran, so no hint is set) and the
 *                                 device never unregistered: at rmmod dhp
 *                                 must take it off
 *          Words are separated by blanks; numbers are decimal.
 *   stats  read the counters and results, "name value" per line, among
 *          them wrong_cpu (and per step wrong_cpu_STEP) and
 *          add_failure_status_E (ADD_FAILUREs with status -E)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/err.h>
#include <linux/interrupt.h>
#include <linux/irq.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "dhp.h"
#include "ctl_write.h"

/* The steps of enum dhp_cpu_state, which has no sentinel. */
#define NR_STEPS	(DHP_CPU_REMOVE_FAILURE + 1)

#define TEST_MAX_CLIENTS	4096

enum { TC_NONE, TC_STARTED, TC_UP, TC_REMOVING };

struct test_client {
	struct dhp_cpu_client *handle;
	unsigned int idx;
	u8 state[];		/* per CPU, TC_* */
};

static DEFINE_MUTEX(test_lock);
static struct test_client **clients;	/* under test_lock */
static unsigned int nr_clients;		/* under test_lock */
static unsigned int next_idx;		/* under test_lock */

/* The checker: written only from callbacks, serialized by dhp. */
static unsigned long seen[NR_STEPS];
static unsigned long seq_errors, order_errors;
static int *last_state, *last_idx;	/* per CPU */

/* Knobs read by callbacks; written under test_lock with WRITE_ONCE. */
static int veto_idx = -1, veto_cpu, veto_errno;
static int selfunreg_idx = -1;
/* othersfrom: callbacks of client others_idx to let pass first. */
static int others_idx = -1, others_skip;
static int selfunreg_ret = 1, selfreg_ret = 1;	/* 1: not run */

static int bad_null_cb = 1, bad_flags = 1, bad_null_handle = 1;
static int bad_double = 1, bad_foreign = 1;
static int rb_null = 1, rb_no_irqs = 1, rb_no_ops = 1, rb_no_dev = 1;
static int rb_no_such_irq = 1, rb_unrequested = 1, rb_null_handle = 1;
static int rb_foreign = 1;
static unsigned long churn_rounds;

/* Handles of one API given to another's unregister. */
static int cross_cpu_to_ev = 1, cross_ev_to_cpu = 1, cross_cpu_to_rb = 1;
/* The other APIs called from a synchronous callback (selfunreg). */
static int cb_ev_reg = 1, cb_ev_unreg = 1, cb_rb_reg = 1, cb_rb_unreg = 1;

/*
 * The test's own rebalance device (rbmisuse): an IRQ of its own with a
 * dummy chip, requested, so that registrations get past the IRQ checks.
 * Under test_lock, but for the results its query_stop writes.
 */
static struct dhp_rb_device *rb_own;
static int rb_own_irq = -1;
static bool rb_own_requested;
static bool rb_own_armed;
static bool rb_own_leaked;	/* rbleak: left to dhp at rmmod */
static int rb_selfunreg = 1, rb_selfreg = 1;
/* rb_own's stop() and start() calls: rounds run one at a time. */
static unsigned long rb_own_stops, rb_own_starts;
static int rb_dup_name = 1, rb_irq_taken = 1, rb_irq_twice = 1;
static int rb_bad_class = 1, rb_bad_policy = 1, rb_partial_ops = 1;
static int rb_too_many = 1, rb_unadded = 1, rb_double = 1;
/* Root devices: [0] rb_own's, [1] the one of the registrations refused. */
static struct device *test_rb_devs[2];

static void test_cb_other_apis(void);

/* @on_cpu: dhp.h says the step runs on the CPU concerned. */
static const struct {
	u8 from, to;
	bool forward, on_cpu;
} test_steps[NR_STEPS] = {
	[DHP_CPU_ADD_START]	  = { TC_NONE, TC_STARTED, true, false },
	[DHP_CPU_ADD_COMPLETE]	  = { TC_STARTED, TC_UP, true, true },
	[DHP_CPU_ADD_FAILURE]	  = { TC_STARTED, TC_NONE, false, false },
	[DHP_CPU_REMOVE_START]	  = { TC_UP, TC_REMOVING, false, true },
	[DHP_CPU_REMOVE_COMPLETE] = { TC_REMOVING, TC_NONE, false, false },
	[DHP_CPU_REMOVE_FAILURE]  = { TC_REMOVING, TC_UP, true, true },
};

/* Steps that ran elsewhere than on the CPU concerned, per step. */
static unsigned long wrong_cpu[NR_STEPS];

/* ADD_FAILURE statuses seen, by value; the rest in fail_status_other. */
#define TEST_FAIL_STATUSES	8
static struct {
	int status;
	unsigned long n;
} fail_status[TEST_FAIL_STATUSES];
static unsigned long fail_status_other;

static void test_fail_status(int status)
{
	int i;

	for (i = 0; i < TEST_FAIL_STATUSES; i++) {
		if (!fail_status[i].n || fail_status[i].status == status) {
			fail_status[i].status = status;
			fail_status[i].n++;
			return;
		}
	}
	fail_status_other++;
}

static void test_check(struct test_client *tc,
		       const struct dhp_cpu_change *change)
{
	/* raw_: a step run where it must not be may be preemptible */
	unsigned int here = raw_smp_processor_id();
	enum dhp_cpu_state s = change->state;
	unsigned int cpu = change->cpu;

	if (s >= NR_STEPS || cpu >= nr_cpu_ids) {
		seq_errors++;
		return;
	}
	seen[s]++;
	if (test_steps[s].on_cpu && here != cpu) {
		wrong_cpu[s]++;
		pr_err_ratelimited("client %u cpu %u: step %d ran on cpu %u\n",
				   tc->idx, cpu, s, here);
	}
	if (s == DHP_CPU_ADD_FAILURE)
		test_fail_status(change->status);
	if (tc->state[cpu] != test_steps[s].from) {
		seq_errors++;
		pr_err("client %u cpu %u: step %d in state %u\n", tc->idx, cpu,
		       s, tc->state[cpu]);
	}
	tc->state[cpu] = test_steps[s].to;

	if (last_state[cpu] == s &&
	    (test_steps[s].forward ? (int)tc->idx <= last_idx[cpu] :
				     (int)tc->idx >= last_idx[cpu])) {
		order_errors++;
		pr_err("cpu %u step %d: client %u after client %d\n", cpu, s,
		       tc->idx, last_idx[cpu]);
	}
	last_state[cpu] = s;
	last_idx[cpu] = tc->idx;
}

static void test_cb(void *context, const struct dhp_cpu_change *change,
		    int *op_status)
{
	struct test_client *tc = context;
	struct dhp_cpu_client *h;

	test_check(tc, change);

	if (READ_ONCE(selfunreg_idx) == tc->idx) {
		WRITE_ONCE(selfunreg_idx, -1);
		WRITE_ONCE(selfunreg_ret, dhp_unregister_cpu_callback(tc->handle));
		h = dhp_register_cpu_callback(test_cb, tc, 0);
		WRITE_ONCE(selfreg_ret, PTR_ERR_OR_ZERO(h));
		if (!IS_ERR(h))		/* a dhp bug: undo it as well as we can */
			dhp_unregister_cpu_callback(h);
		test_cb_other_apis();
	}
	if (READ_ONCE(others_idx) == tc->idx) {
		if (READ_ONCE(others_skip)) {
			WRITE_ONCE(others_skip, others_skip - 1);
		} else {
			WRITE_ONCE(others_idx, -1);
			test_cb_other_apis();
		}
	}

	if (change->state == DHP_CPU_ADD_START &&
	    READ_ONCE(veto_idx) == tc->idx &&
	    (READ_ONCE(veto_cpu) == -1 || READ_ONCE(veto_cpu) == change->cpu))
		*op_status = READ_ONCE(veto_errno);
}

static struct test_client *test_alloc(void)
{
	struct test_client *tc;

	tc = kzalloc(struct_size(tc, state, nr_cpu_ids), GFP_KERNEL);
	if (tc)
		tc->idx = next_idx++;
	return tc;
}

/* Called with test_lock held. */
static int test_register(unsigned int n, unsigned int flags)
{
	struct test_client *tc;

	if (n > TEST_MAX_CLIENTS - nr_clients)
		return -ENOSPC;
	while (n--) {
		tc = test_alloc();
		if (!tc)
			return -ENOMEM;
		tc->handle = dhp_register_cpu_callback(test_cb, tc, flags);
		if (IS_ERR(tc->handle)) {
			int err = PTR_ERR(tc->handle);

			kfree(tc);
			return err;
		}
		clients[nr_clients++] = tc;
	}
	return 0;
}

/* Called with test_lock held. */
static void test_unregister_all(void)
{
	while (nr_clients) {
		struct test_client *tc = clients[--nr_clients];

		dhp_unregister_cpu_callback(tc->handle);
		kfree(tc);
	}
}

static void test_noop_cb(void *context, const struct dhp_cpu_change *change,
			 int *op_status)
{
}

static void test_ev_noop(void *context, const struct dhp_event *ev)
{
}

/*
 * A driver bug on purpose: a client of each API that this module never
 * unregisters (nothing of it is allocated here, so nothing leaks here).
 * dhp must take them off when the module goes, before its code does.
 */
static int test_leak(void)
{
	struct dhp_event_client *eh;
	struct dhp_cpu_client *h;

	h = dhp_register_cpu_callback(test_noop_cb, NULL, DHP_CPU_ADD_EXISTING);
	if (IS_ERR(h))
		return PTR_ERR(h);
	eh = dhp_register_event_callback(test_ev_noop, NULL, DHP_EV_PROCESSOR);
	return PTR_ERR_OR_ZERO(eh);
}

/* Called with test_lock held. */
static void test_badinput(void)
{
	static int not_a_client;
	struct dhp_event_client *eh;
	struct dhp_cpu_client *h;

	bad_null_cb = PTR_ERR_OR_ZERO(dhp_register_cpu_callback(NULL, NULL, 0));
	h = dhp_register_cpu_callback(test_noop_cb, NULL, 0x80);
	bad_flags = PTR_ERR_OR_ZERO(h);
	if (!IS_ERR(h))
		dhp_unregister_cpu_callback(h);
	bad_null_handle = dhp_unregister_cpu_callback(NULL);

	h = dhp_register_cpu_callback(test_noop_cb, NULL, 0);
	if (IS_ERR(h)) {
		bad_double = PTR_ERR(h);
	} else {
		dhp_unregister_cpu_callback(h);
		/* Only compared, never dereferenced, by dhp. */
		bad_double = dhp_unregister_cpu_callback(h);
	}
	bad_foreign = dhp_unregister_cpu_callback((void *)&not_a_client);

	/* A live handle of one API is foreign to the others. */
	h = dhp_register_cpu_callback(test_noop_cb, NULL, 0);
	eh = dhp_register_event_callback(test_ev_noop, NULL, DHP_EV_PROCESSOR);
	if (!IS_ERR(h) && !IS_ERR(eh)) {
		cross_cpu_to_ev = dhp_unregister_event_callback((void *)h);
		cross_ev_to_cpu = dhp_unregister_cpu_callback((void *)eh);
		cross_cpu_to_rb = dhp_unregister_rebalance((void *)h);
	}
	if (!IS_ERR(h))
		dhp_unregister_cpu_callback(h);
	if (!IS_ERR(eh))
		dhp_unregister_event_callback(eh);
}

static int test_rb_noop(void *context)
{
	return 0;
}

static void test_rb_stop(void *context)
{
}

static unsigned int test_rb_start(void *context)
{
	return 0;
}

static const struct dhp_rb_ops test_rb_ops = {
	.query_stop = test_rb_noop,
	.stop = test_rb_stop,
	.start = test_rb_start,
};

/* Registers @info for @dev, which dhp must refuse; returns its errno. */
static int test_rb_info_try(struct device *dev,
			    const struct dhp_rb_device_info *info)
{
	struct dhp_rb_device *d = dhp_register_rebalance(dev, info);

	if (!IS_ERR(d))		/* a dhp bug: undo it as well as we can */
		dhp_unregister_rebalance(d);
	return PTR_ERR_OR_ZERO(d);
}

static int test_rb_try(struct device *dev, const unsigned int *irqs,
		       unsigned int n, const struct dhp_rb_ops *ops)
{
	struct dhp_rb_device_info info = {
		.irqs = irqs, .nr_irqs = n, .ops = ops,
	};

	return test_rb_info_try(dev, &info);
}

static void test_rb_dev_release(struct device *dev)
{
	kfree(dev);
}

/* A device that was never added: dhp must refuse it. */
static int test_rb_try_unadded(const unsigned int *irq)
{
	struct device *dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	int ret;

	if (!dev)
		return -ENOMEM;
	device_initialize(dev);
	dev->release = test_rb_dev_release;
	ret = dev_set_name(dev, "dhp_test_unadded");
	if (!ret)
		ret = test_rb_try(dev, irq, 1, &test_rb_ops);
	put_device(dev);
	return ret;
}

/* From a synchronous callback (selfunreg): the other APIs refuse too. */
static void test_cb_other_apis(void)
{
	static int not_a_client;
	unsigned int irq = READ_ONCE(rb_own_irq);
	struct dhp_event_client *eh;

	eh = dhp_register_event_callback(test_ev_noop, NULL, DHP_EV_PROCESSOR);
	WRITE_ONCE(cb_ev_reg, PTR_ERR_OR_ZERO(eh));
	if (!IS_ERR(eh))	/* a dhp bug, which cannot be undone from here */
		pr_err("event registration from a callback succeeded\n");
	WRITE_ONCE(cb_ev_unreg,
		   dhp_unregister_event_callback((void *)&not_a_client));
	/* with rb_own's IRQ it would get as far as dhp's lock */
	if (READ_ONCE(rb_own_requested))
		WRITE_ONCE(cb_rb_reg, test_rb_try(test_rb_devs[1], &irq, 1,
						  &test_rb_ops));
	WRITE_ONCE(cb_rb_unreg,
		   dhp_unregister_rebalance((void *)&not_a_client));
}

/* Rebalance misuse; test_lock held. */
static void test_rb_badinput(void)
{
	static int not_a_device;
	unsigned int irq[1];
	int base;

	rb_null = PTR_ERR_OR_ZERO(dhp_register_rebalance(test_rb_devs[1],
							 NULL));
	/* an IRQ that exists, but nobody requested: not the device's */
	base = irq_alloc_descs(-1, 0, 1, NUMA_NO_NODE);
	irq[0] = base < 0 ? 0 : base;
	rb_no_irqs = test_rb_try(test_rb_devs[1], irq, 0, &test_rb_ops);
	rb_no_ops = test_rb_try(test_rb_devs[1], irq, 1, NULL);
	rb_no_dev = test_rb_try(NULL, irq, 1, &test_rb_ops);
	rb_unrequested = base < 0 ? base :
			 test_rb_try(test_rb_devs[1], irq, 1, &test_rb_ops);
	if (base >= 0)
		irq_free_descs(base, 1);
	irq[0] = 1U << 30;
	rb_no_such_irq = test_rb_try(test_rb_devs[1], irq, 1, &test_rb_ops);
	rb_null_handle = dhp_unregister_rebalance(NULL);
	rb_foreign = dhp_unregister_rebalance((void *)&not_a_device);
}

static irqreturn_t test_irq_handler(int irq, void *dev_id)
{
	return IRQ_HANDLED;
}

/* rb_own's query_stop: once armed, calls dhp from a rebalance operation. */
static int test_rb_own_query_stop(void *context)
{
	unsigned int irq = READ_ONCE(rb_own_irq);

	if (!READ_ONCE(rb_own_armed))
		return 0;
	WRITE_ONCE(rb_own_armed, false);
	WRITE_ONCE(rb_selfunreg, dhp_unregister_rebalance(READ_ONCE(rb_own)));
	WRITE_ONCE(rb_selfreg, test_rb_try(test_rb_devs[1], &irq, 1,
					   &test_rb_ops));
	return 0;
}

static void test_rb_own_stop(void *context)
{
	WRITE_ONCE(rb_own_stops, rb_own_stops + 1);
}

static unsigned int test_rb_own_start(void *context)
{
	WRITE_ONCE(rb_own_starts, rb_own_starts + 1);
	return 0;
}

static const struct dhp_rb_ops test_rb_own_ops = {
	.query_stop = test_rb_own_query_stop,
	.stop = test_rb_own_stop,
	.start = test_rb_own_start,
};

static const struct dhp_rb_ops test_rb_partial_ops = {
	.query_stop = test_rb_noop,
	.stop = test_rb_stop,
};

/* Undoes test_rb_misuse(); test_lock held. */
static void test_rb_own_free(void)
{
	WRITE_ONCE(rb_own_armed, false);
	if (rb_own) {
		if (!rb_own_leaked)
			dhp_unregister_rebalance(rb_own);
		WRITE_ONCE(rb_own, NULL);
	}
	if (rb_own_requested) {
		WRITE_ONCE(rb_own_requested, false);
		free_irq(rb_own_irq, &rb_own_irq);
	}
	if (rb_own_irq >= 0) {
		irq_free_descs(rb_own_irq, 1);
		WRITE_ONCE(rb_own_irq, -1);
	}
}

/*
 * rbmisuse: the registrations dhp must refuse that need a requested IRQ,
 * or a device of the test's own; test_lock held.
 */
static int test_rb_misuse(void)
{
	static unsigned int many[257];	/* dhp takes 1 to 256 IRQs */
	struct dhp_rb_device_info info = {
		.nr_irqs = 1, .ops = &test_rb_own_ops,
	};
	struct device *other = test_rb_devs[1];
	unsigned int irq, twice[2], i;
	struct dhp_rb_device *d;
	int ret;

	if (rb_own_irq >= 0)
		return -EBUSY;
	ret = irq_alloc_descs(-1, 0, 1, NUMA_NO_NODE);
	if (ret < 0)
		return ret;
	WRITE_ONCE(rb_own_irq, ret);
	irq = ret;
	irq_set_chip_and_handler(irq, &dummy_irq_chip, handle_simple_irq);
	irq_modify_status(irq, IRQ_NOREQUEST | IRQ_NOPROBE, 0);
	ret = request_irq(irq, test_irq_handler, 0, "dhp_test", &rb_own_irq);
	if (ret)
		goto fail;
	WRITE_ONCE(rb_own_requested, true);
	info.irqs = &irq;
	d = dhp_register_rebalance(test_rb_devs[0], &info);
	if (IS_ERR(d)) {
		ret = PTR_ERR(d);
		goto fail;
	}
	WRITE_ONCE(rb_own, d);

	/* the same device twice: its name is taken */
	rb_dup_name = test_rb_try(test_rb_devs[0], &irq, 1, &test_rb_ops);
	rb_irq_taken = test_rb_try(other, &irq, 1, &test_rb_ops);
	twice[0] = irq;
	twice[1] = irq;
	rb_irq_twice = test_rb_try(other, twice, 2, &test_rb_ops);
	rb_partial_ops = test_rb_try(other, &irq, 1, &test_rb_partial_ops);
	for (i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = irq;
	rb_too_many = test_rb_try(other, many, ARRAY_SIZE(many), &test_rb_ops);
	rb_unadded = test_rb_try_unadded(&irq);
	info.class = 7;
	info.ops = &test_rb_ops;
	rb_bad_class = test_rb_info_try(other, &info);
	info.class = DHP_RB_CLASS_OTHER;
	info.policy = 9;
	rb_bad_policy = test_rb_info_try(other, &info);

	rb_selfunreg = 1;
	rb_selfreg = 1;
	WRITE_ONCE(rb_own_stops, 0);
	WRITE_ONCE(rb_own_starts, 0);
	WRITE_ONCE(rb_own_armed, true);
	return 0;
fail:
	test_rb_own_free();
	return ret;
}

/* rbdone: unregister rb_own twice, free its IRQ; test_lock held. */
static int test_rb_done(void)
{
	struct dhp_rb_device *d = rb_own;

	if (!d)
		return -ENOENT;
	WRITE_ONCE(rb_own, NULL);
	rb_double = dhp_unregister_rebalance(d);
	/* the second time: only compared, never dereferenced, by dhp */
	if (!rb_double)
		rb_double = dhp_unregister_rebalance(d);
	test_rb_own_free();
	return 0;
}

/* Called with test_lock held; CPUs may come and go meanwhile. */
static int test_churn(unsigned int ms)
{
	unsigned long end = jiffies + msecs_to_jiffies(ms);
	struct test_client *tc;
	int err = 0;

	while (!err && time_before(jiffies, end)) {
		tc = test_alloc();
		if (!tc)
			return -ENOMEM;
		tc->handle = dhp_register_cpu_callback(test_cb, tc,
						       DHP_CPU_ADD_EXISTING);
		if (IS_ERR(tc->handle)) {
			err = PTR_ERR(tc->handle);
		} else {
			usleep_range(100, 1000);
			err = dhp_unregister_cpu_callback(tc->handle);
			churn_rounds++;
		}
		kfree(tc);
	}
	return err;
}

/*
 * whendown: the kthread's task while it runs, and the AP state whose
 * teardown on whendown_cpu wakes it ("dhp_test:whendown"), under
 * test_lock.
 */
static struct task_struct *whendown_task;
static int whendown_state;
static DECLARE_COMPLETION(whendown_done);
static DECLARE_COMPLETION(whendown_go);
static bool whendown_stop;
static int whendown_ret = 1, whendown_offline;
static unsigned int whendown_cpu, whendown_n, whendown_flags;

/*
 * On @cpu in its cpuhp thread, the hotplug lock held for write by the
 * task taking it down: the kthread's cpus_read_lock() queues behind that
 * writer and is handed the lock when this offline ends, before the next
 * writer (percpu_rwsem wakes its waiters in order), so it registers
 * while @cpu is down.
 */
static int test_whendown_down(unsigned int cpu)
{
	if (cpu == READ_ONCE(whendown_cpu))
		complete(&whendown_go);
	return 0;
}

static int test_whendown_fn(void *unused)
{
	unsigned int cpu = whendown_cpu, i;
	int ret = -ETIMEDOUT;
	bool offline = true;

	if (wait_for_completion_timeout(&whendown_go, 120 * HZ) &&
	    !READ_ONCE(whendown_stop)) {
		mutex_lock(&test_lock);
		/*
		 * Woken while @cpu went down, and it cannot come back while
		 * a registration holds cpus_read_lock(): still offline after
		 * one, it was offline during it.
		 */
		for (i = 0, ret = 0; i < whendown_n && !ret; i++) {
			ret = test_register(1, whendown_flags);
			offline &= !cpu_online(cpu);
		}
		WRITE_ONCE(whendown_offline, offline);
		mutex_unlock(&test_lock);
	}
	WRITE_ONCE(whendown_ret, ret);
	kthread_complete_and_exit(&whendown_done, 0);
}

/* whendown: test_lock held. */
static int test_whendown(unsigned int cpu, unsigned int n, unsigned int flags)
{
	struct task_struct *t;
	int ret;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu) || !n)
		return -EINVAL;
	if (whendown_task) {
		if (!completion_done(&whendown_done))
			return -EBUSY;
		wait_for_completion(&whendown_done);
		whendown_task = NULL;
	}
	reinit_completion(&whendown_done);
	reinit_completion(&whendown_go);
	WRITE_ONCE(whendown_cpu, cpu);
	whendown_n = n;
	whendown_flags = flags;
	WRITE_ONCE(whendown_ret, 1);
	WRITE_ONCE(whendown_offline, 0);
	if (!whendown_state) {
		ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN,
						"dhp_test:whendown", NULL,
						test_whendown_down);
		if (ret < 0)
			return ret;
		whendown_state = ret;
	}
	t = kthread_run(test_whendown_fn, NULL, "dhp_test_whendown");
	if (IS_ERR(t))
		return PTR_ERR(t);
	whendown_task = t;
	return 0;
}

/* The "latestate" state, or 0; test_lock. */
static int late_state;

static int test_late_up(unsigned int cpu)
{
	return 0;
}

static int test_late_state(void)
{
	int ret;

	if (late_state)
		return -EBUSY;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "dhp_test:late",
					test_late_up, NULL);
	if (ret < 0)
		return ret;
	late_state = ret;
	return 0;
}

/* Numbers are decimal, whole words: kstrto*(), which fail on overflow. */
static int test_command(char *cmd)
{
	unsigned int n, flags, cpu_u;
	int argc, idx, cpu, err;
	char *argv[4];

	argc = ctl_split(cmd, argv, ARRAY_SIZE(argv));
	if (argc < 0)
		return argc;
	if (ctl_is(argv, argc, "register", 3)) {
		if (kstrtouint(argv[1], 10, &n) ||
		    kstrtouint(argv[2], 10, &flags))
			return -EINVAL;
		return test_register(n, flags);
	}
	if (ctl_is(argv, argc, "unregister", 1)) {
		test_unregister_all();
		return 0;
	}
	if (ctl_is(argv, argc, "veto", 2) && !strcmp(argv[1], "off")) {
		WRITE_ONCE(veto_idx, -1);
		return 0;
	}
	if (ctl_is(argv, argc, "veto", 4) || ctl_is(argv, argc, "vetoraw", 4)) {
		if (kstrtoint(argv[1], 10, &idx) ||
		    kstrtoint(argv[2], 10, &cpu) ||
		    kstrtoint(argv[3], 10, &err) || idx < 0 || cpu < -1 ||
		    cpu >= (int)nr_cpu_ids || !err ||
		    (!strcmp(argv[0], "veto") && (err > 0 || err < -MAX_ERRNO)))
			return -EINVAL;
		WRITE_ONCE(veto_cpu, cpu);
		WRITE_ONCE(veto_errno, err);
		WRITE_ONCE(veto_idx, idx);
		return 0;
	}
	if (ctl_is(argv, argc, "othersfrom", 3)) {
		if (kstrtoint(argv[1], 10, &idx) || kstrtouint(argv[2], 10, &n) ||
		    idx < 0 || !n || n > INT_MAX)
			return -EINVAL;
		WRITE_ONCE(cb_ev_reg, 1);
		WRITE_ONCE(cb_ev_unreg, 1);
		WRITE_ONCE(cb_rb_reg, 1);
		WRITE_ONCE(cb_rb_unreg, 1);
		WRITE_ONCE(others_skip, n - 1);
		WRITE_ONCE(others_idx, idx);
		return 0;
	}
	if (ctl_is(argv, argc, "selfunreg", 2)) {
		if (kstrtoint(argv[1], 10, &idx))
			return -EINVAL;
		WRITE_ONCE(selfunreg_ret, 1);
		WRITE_ONCE(selfreg_ret, 1);
		WRITE_ONCE(selfunreg_idx, idx);
		return 0;
	}
	if (ctl_is(argv, argc, "badinput", 1)) {
		test_badinput();
		test_rb_badinput();
		return 0;
	}
	if (ctl_is(argv, argc, "churn", 2)) {
		if (kstrtouint(argv[1], 10, &n))
			return -EINVAL;
		return n > 600000 ? -ERANGE : test_churn(n);
	}
	if (ctl_is(argv, argc, "leak", 1))
		return test_leak();
	if (ctl_is(argv, argc, "reset", 1)) {
		memset(seen, 0, sizeof(seen));
		memset(wrong_cpu, 0, sizeof(wrong_cpu));
		memset(fail_status, 0, sizeof(fail_status));
		fail_status_other = 0;
		seq_errors = 0;
		order_errors = 0;
		churn_rounds = 0;
		return 0;
	}
	if (ctl_is(argv, argc, "rbmisuse", 1))
		return test_rb_misuse();
	if (ctl_is(argv, argc, "rbdone", 1))
		return test_rb_done();
	if (ctl_is(argv, argc, "latestate", 1))
		return test_late_state();
	if (ctl_is(argv, argc, "whendown", 4)) {
		if (kstrtouint(argv[1], 10, &cpu_u) ||
		    kstrtouint(argv[2], 10, &n) || kstrtouint(argv[3], 10, &flags))
			return -EINVAL;
		return test_whendown(cpu_u, n, flags);
	}
	if (ctl_is(argv, argc, "rbleak", 1)) {
		err = test_rb_misuse();
		if (!err) {
			WRITE_ONCE(rb_own_armed, false);
			rb_own_leaked = true;
			WRITE_ONCE(rb_own_requested, false);
			free_irq(rb_own_irq, &rb_own_irq);
			irq_free_descs(rb_own_irq, 1);
			WRITE_ONCE(rb_own_irq, -1);
		}
		return err;
	}
	return -EINVAL;
}

static int test_command_locked(char *cmd)
{
	int ret;

	mutex_lock(&test_lock);
	ret = test_command(cmd);
	mutex_unlock(&test_lock);
	return ret;
}

DEFINE_CTL_FOPS(test_ctl, test_command_locked);

static int test_stats_show(struct seq_file *m, void *v)
{
	static const char *const names[NR_STEPS] = {
		"add_start", "add_complete", "add_failure", "remove_start",
		"remove_complete", "remove_failure",
	};
	unsigned long wrong = 0;
	int s, i;

	mutex_lock(&test_lock);
	seq_printf(m, "clients %u\nnext_idx %u\n", nr_clients, next_idx);
	for (s = 0; s < NR_STEPS; s++)
		seq_printf(m, "%s %lu\n", names[s], READ_ONCE(seen[s]));
	for (s = 0; s < NR_STEPS; s++) {
		if (!test_steps[s].on_cpu)
			continue;
		seq_printf(m, "wrong_cpu_%s %lu\n", names[s],
			   READ_ONCE(wrong_cpu[s]));
		wrong += READ_ONCE(wrong_cpu[s]);
	}
	seq_printf(m, "wrong_cpu %lu\n", wrong);
	/* a snapshot: callbacks may add an entry meanwhile */
	for (i = 0; i < TEST_FAIL_STATUSES; i++)
		if (READ_ONCE(fail_status[i].n))
			seq_printf(m, "add_failure_status_%d %lu\n",
				   -READ_ONCE(fail_status[i].status),
				   READ_ONCE(fail_status[i].n));
	seq_printf(m, "add_failure_status_other %lu\n",
		   READ_ONCE(fail_status_other));
	seq_printf(m, "seq_errors %lu\norder_errors %lu\n",
		   READ_ONCE(seq_errors), READ_ONCE(order_errors));
	seq_printf(m, "selfunreg %d\nselfreg %d\n", READ_ONCE(selfunreg_ret),
		   READ_ONCE(selfreg_ret));
	seq_printf(m, "bad_null_cb %d\nbad_flags %d\nbad_null_handle %d\n",
		   bad_null_cb, bad_flags, bad_null_handle);
	seq_printf(m, "bad_double %d\nbad_foreign %d\nchurn_rounds %lu\n",
		   bad_double, bad_foreign, churn_rounds);
	seq_printf(m, "rb_null %d\nrb_no_irqs %d\nrb_no_ops %d\nrb_no_dev %d\n",
		   rb_null, rb_no_irqs, rb_no_ops, rb_no_dev);
	seq_printf(m, "rb_no_such_irq %d\nrb_unrequested %d\nrb_null_handle %d\nrb_foreign %d\n",
		   rb_no_such_irq, rb_unrequested, rb_null_handle, rb_foreign);
	seq_printf(m, "cross_cpu_to_ev %d\ncross_ev_to_cpu %d\ncross_cpu_to_rb %d\n",
		   cross_cpu_to_ev, cross_ev_to_cpu, cross_cpu_to_rb);
	seq_printf(m, "cb_ev_reg %d\ncb_ev_unreg %d\ncb_rb_reg %d\ncb_rb_unreg %d\n",
		   READ_ONCE(cb_ev_reg), READ_ONCE(cb_ev_unreg),
		   READ_ONCE(cb_rb_reg), READ_ONCE(cb_rb_unreg));
	seq_printf(m, "rb_dup_name %d\nrb_irq_taken %d\nrb_irq_twice %d\nrb_partial_ops %d\n",
		   rb_dup_name, rb_irq_taken, rb_irq_twice, rb_partial_ops);
	seq_printf(m, "rb_too_many %d\nrb_unadded %d\n", rb_too_many,
		   rb_unadded);
	seq_printf(m, "rb_bad_class %d\nrb_bad_policy %d\nrb_double %d\n",
		   rb_bad_class, rb_bad_policy, rb_double);
	seq_printf(m, "rb_selfunreg %d\nrb_selfreg %d\n",
		   READ_ONCE(rb_selfunreg), READ_ONCE(rb_selfreg));
	seq_printf(m, "rb_own_stops %lu\nrb_own_starts %lu\n",
		   READ_ONCE(rb_own_stops), READ_ONCE(rb_own_starts));
	mutex_unlock(&test_lock);
	/* outside test_lock, which the whendown kthread holds registering */
	seq_printf(m, "whendown_ret %d\nwhendown_offline %d\n",
		   READ_ONCE(whendown_ret), READ_ONCE(whendown_offline));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(test_stats);

static struct dentry *test_dir;

static void test_rb_devs_free(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(test_rb_devs); i++)
		if (!IS_ERR_OR_NULL(test_rb_devs[i]))
			root_device_unregister(test_rb_devs[i]);
}

static int __init test_init(void)
{
	unsigned int cpu, i;

	clients = kcalloc(TEST_MAX_CLIENTS, sizeof(*clients), GFP_KERNEL);
	last_state = kcalloc(nr_cpu_ids, sizeof(*last_state), GFP_KERNEL);
	last_idx = kcalloc(nr_cpu_ids, sizeof(*last_idx), GFP_KERNEL);
	for (i = 0; i < ARRAY_SIZE(test_rb_devs); i++) {
		test_rb_devs[i] = root_device_register(i ? "dhp_test_rb1" :
						       "dhp_test_rb0");
		if (IS_ERR(test_rb_devs[i]))
			break;
	}
	if (!clients || !last_state || !last_idx ||
	    i < ARRAY_SIZE(test_rb_devs)) {
		test_rb_devs_free();
		kfree(clients);
		kfree(last_state);
		kfree(last_idx);
		return -ENOMEM;
	}
	for (cpu = 0; cpu < nr_cpu_ids; cpu++)
		last_state[cpu] = -1;

	test_dir = debugfs_create_dir("dhp_test", NULL);
	debugfs_create_file("ctl", 0200, test_dir, NULL, &test_ctl_fops);
	debugfs_create_file("stats", 0400, test_dir, NULL, &test_stats_fops);
	return 0;
}

static void __exit test_exit(void)
{
	debugfs_remove_recursive(test_dir);
	WRITE_ONCE(whendown_stop, true);
	complete(&whendown_go);
	if (whendown_task)
		wait_for_completion(&whendown_done);
	if (whendown_state)
		cpuhp_remove_state_nocalls(whendown_state);
	mutex_lock(&test_lock);
	test_unregister_all();
	test_rb_own_free();
	if (late_state)
		cpuhp_remove_state_nocalls(late_state);
	mutex_unlock(&test_lock);
	test_rb_devs_free();
	kfree(clients);
	kfree(last_state);
	kfree(last_idx);
}

module_init(test_init);
module_exit(test_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp selftest client: checks notification sequence and order");
