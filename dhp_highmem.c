// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_highmem: the high-memory condition, the analogue of Windows'
 * \KernelObjects\HighMemoryCondition event.
 *
 * The condition is set when available memory (si_mem_available()) reaches
 * high_mb and cleared when it falls below low_mb; between the two it keeps
 * its state (dhp_hyst_next() in dhp_logic.h), so it does not flap. It is
 * re-evaluated after every memory block online/offline and every period_ms.
 *
 * Like the Windows event it is only a hint: memory may become available for
 * reasons other than a hot-add. Drivers that want to know about added memory
 * should use the asynchronous notification (DHP_EV_MEMORY).
 *
 * Configuration: the module parameters high_mb, low_mb and period_ms
 * (/sys/module/dhp/parameters/, 0644). A write is checked (a number in
 * range, and at run time low_mb < high_mb against the other threshold),
 * then the condition is re-evaluated before the write returns. To move
 * both thresholds, widen the band first: raising, high_mb first; lowering,
 * low_mb first. The band in between is wider than both, so it cannot make
 * a transition of its own: the pair of writes makes at most one, the one
 * the new band calls for. At load the pair is checked once all are set.
 *
 * What user space watches (/sys/kernel/dhp/, read-only): high_memory (0 or
 * 1, pollable: sysfs_notify() at every transition), available_mb (as of
 * the last evaluation) and high_memory_transitions. debugfs high_memory
 * shows it all at once, for inspection.
 *
 * Locking: dhp_hm_lock (mutex) protects the state, the transition count,
 * the available figure and dhp_hm_live; the evaluation runs under it, in
 * process context (the work item, a parameter setter). The kernel runs the
 * parameters' setters and getters under the module's param lock; the
 * setters take dhp_hm_lock inside it to change a value. So the thresholds,
 * the period and dhp_hm_live are written under both locks and read under
 * either. Lock order: param lock, then dhp_hm_lock. Readers of one value
 * alone (dhp_high_memory(), the sysfs files) use READ_ONCE(). Waiters
 * sleep on dhp_hm_wq, woken at every transition.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/kobject.h>
#include <linux/lockdep.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/seq_file.h>
#include <linux/sysfs.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "dhp_internal.h"
#include "dhp_logic.h"
#include "dhp_trace.h"

#define DHP_HM_MAX_MB		BIT(30)	/* 1 PiB: anything above is a typo */
#define DHP_HM_PERIOD_MIN	10
#define DHP_HM_PERIOD_MAX	3600000

static unsigned int high_mb = 1024;
static unsigned int low_mb = 768;
static unsigned int period_ms = 1000;

static DEFINE_MUTEX(dhp_hm_lock);
static DECLARE_WAIT_QUEUE_HEAD(dhp_hm_wq);
static bool dhp_hm_state;
static unsigned long dhp_hm_transitions;
static unsigned long dhp_hm_avail_mb;
/* From init's first evaluation to exit: setters check the pair, evaluate. */
static bool dhp_hm_live;
/* sysfs high_memory, notified at every transition */
static struct kernfs_node *dhp_hm_kn;

static void dhp_hm_eval(struct work_struct *work);
static DECLARE_DELAYED_WORK(dhp_hm_work, dhp_hm_eval);

static unsigned long dhp_avail_mb(void)
{
	return si_mem_available() >> (20 - PAGE_SHIFT);
}

/* Re-evaluates now. */
static void dhp_hm_update(void)
{
	bool next;

	lockdep_assert_held(&dhp_hm_lock);
	WRITE_ONCE(dhp_hm_avail_mb, dhp_avail_mb());
	next = dhp_hyst_next(dhp_hm_state, dhp_hm_avail_mb, low_mb, high_mb);
	if (next == dhp_hm_state)
		return;
	WRITE_ONCE(dhp_hm_state, next);
	WRITE_ONCE(dhp_hm_transitions, dhp_hm_transitions + 1);
	trace_dhp_high_memory(next, dhp_hm_avail_mb);
	wake_up_all(&dhp_hm_wq);
	sysfs_notify_dirent(dhp_hm_kn);
}

static void dhp_hm_eval(struct work_struct *work)
{
	mutex_lock(&dhp_hm_lock);
	dhp_hm_update();
	schedule_delayed_work(&dhp_hm_work, msecs_to_jiffies(period_ms));
	mutex_unlock(&dhp_hm_lock);
}

/* After a memory block changed: evaluate soon. Does not sleep. */
static int dhp_hm_mem_notify(struct notifier_block *nb, unsigned long action,
			     void *arg)
{
	if (action == MEM_ONLINE || action == MEM_OFFLINE)
		mod_delayed_work(system_wq, &dhp_hm_work, 0);
	return NOTIFY_OK;
}

static struct notifier_block dhp_hm_mem_nb = {
	.notifier_call = dhp_hm_mem_notify,
};

/**
 * dhp_high_memory() - whether the high-memory condition is set
 *
 * A hint only: memory may become available for other reasons than a
 * hot-add; prefer the asynchronous notification to learn of new memory.
 * Context: any.
 */
bool dhp_high_memory(void)
{
	return READ_ONCE(dhp_hm_state);
}
EXPORT_SYMBOL_GPL(dhp_high_memory);

/**
 * dhp_wait_high_memory() - wait until the condition is @state
 * @state: true to wait for it to be set, false for cleared
 * @timeout: in jiffies, 0 or more; MAX_SCHEDULE_TIMEOUT to wait indefinitely
 *
 * Context: process context, sleeps interruptibly.
 * Return: as wait_event_interruptible_timeout(): 0 on timeout, the jiffies
 * left (at least 1) once the condition is @state, -ERESTARTSYS on a signal;
 * -EINVAL for a negative @timeout.
 */
long dhp_wait_high_memory(bool state, long timeout)
{
	if (timeout < 0) {
		pr_warn_ratelimited("%s: negative timeout %ld from %pS\n",
				    __func__, timeout,
				    __builtin_return_address(0));
		return -EINVAL;
	}
	return wait_event_interruptible_timeout(dhp_hm_wq,
						READ_ONCE(dhp_hm_state) == state,
						timeout);
}
EXPORT_SYMBOL_GPL(dhp_wait_high_memory);

/*
 * The parameters. Once live, a value is stored only if the band stays a
 * band (low_mb < high_mb), and the condition is re-evaluated at once; the
 * next periodic evaluation comes a period (the new one) later.
 */
static int dhp_hm_store(const struct kernel_param *kp, unsigned int v)
{
	unsigned int low, high;
	int ret = 0;

	lockdep_assert_held(&kp->mod->param_lock);
	mutex_lock(&dhp_hm_lock);
	low = kp->arg == &low_mb ? v : low_mb;
	high = kp->arg == &high_mb ? v : high_mb;
	if (dhp_hm_live && low >= high) {
		dhp_param_err(kp, "%s: %u refused: low_mb (%u) must stay below high_mb (%u); to move both, set high_mb first when raising it, low_mb first otherwise\n",
			      kp->name, v, low, high);
		ret = -EINVAL;
	} else {
		*(unsigned int *)kp->arg = v;
	}
	if (!ret && dhp_hm_live) {
		dhp_hm_update();
		mod_delayed_work(system_wq, &dhp_hm_work,
				 msecs_to_jiffies(period_ms));
	}
	mutex_unlock(&dhp_hm_lock);
	return ret;
}

static int dhp_hm_mb_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return dhp_param_parse_uint(val, kp, 1, DHP_HM_MAX_MB, &v) ?:
	       dhp_hm_store(kp, v);
}

static int dhp_hm_period_set(const char *val, const struct kernel_param *kp)
{
	unsigned int v;

	return dhp_param_parse_uint(val, kp, DHP_HM_PERIOD_MIN,
				    DHP_HM_PERIOD_MAX, &v) ?:
	       dhp_hm_store(kp, v);
}

static const struct kernel_param_ops dhp_hm_mb_ops = {
	.set = dhp_hm_mb_set,
	.get = param_get_uint,
};

static const struct kernel_param_ops dhp_hm_period_ops = {
	.set = dhp_hm_period_set,
	.get = param_get_uint,
};

module_param_cb(high_mb, &dhp_hm_mb_ops, &high_mb, 0644);
MODULE_PARM_DESC(high_mb, "high-memory condition set at this much available memory, MiB, 1..2^30, > low_mb (default 1024)");
module_param_cb(low_mb, &dhp_hm_mb_ops, &low_mb, 0644);
MODULE_PARM_DESC(low_mb, "high-memory condition cleared below this much available memory, MiB, < high_mb (default 768)");
module_param_cb(period_ms, &dhp_hm_period_ops, &period_ms, 0644);
MODULE_PARM_DESC(period_ms, "high-memory re-evaluation period, ms, 10..3600000 (default 1000)");

/* /sys/kernel/dhp: the condition and what it is computed from. */
static ssize_t high_memory_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(dhp_hm_state));
}

static ssize_t available_mb_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(dhp_hm_avail_mb));
}

static ssize_t high_memory_transitions_show(struct kobject *kobj,
					    struct kobj_attribute *attr,
					    char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(dhp_hm_transitions));
}

static struct kobj_attribute dhp_hm_state_attr = __ATTR_RO(high_memory);
static struct kobj_attribute dhp_hm_avail_attr = __ATTR_RO(available_mb);
static struct kobj_attribute dhp_hm_trans_attr =
	__ATTR_RO(high_memory_transitions);

static struct attribute *dhp_hm_attrs[] = {
	&dhp_hm_state_attr.attr,
	&dhp_hm_avail_attr.attr,
	&dhp_hm_trans_attr.attr,
	NULL,
};

static const struct attribute_group dhp_hm_group = {
	.attrs = dhp_hm_attrs,
};

/* debugfs high_memory: everything at once, read-only. */
static int dhp_hm_show(struct seq_file *m, void *v)
{
	mutex_lock(&dhp_hm_lock);
	seq_printf(m, "state %d\navailable_mb %lu\nlow_mb %u\nhigh_mb %u\ntransitions %lu\nperiod_ms %u\n",
		   dhp_hm_state, dhp_hm_avail_mb, low_mb, high_mb,
		   dhp_hm_transitions, period_ms);
	mutex_unlock(&dhp_hm_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_hm);

int dhp_highmem_init(void)
{
	int ret;

	ret = sysfs_create_group(dhp_kobj, &dhp_hm_group);
	if (ret)
		return ret;
	dhp_hm_kn = sysfs_get_dirent(dhp_kobj->sd, "high_memory");
	if (!dhp_hm_kn) {
		sysfs_remove_group(dhp_kobj, &dhp_hm_group);
		return -ENOENT;
	}

	/* The parameters given at load are all set: check the pair. */
	kernel_param_lock(THIS_MODULE);
	mutex_lock(&dhp_hm_lock);
	if (low_mb >= high_mb) {
		pr_err("low_mb (%u) must be below high_mb (%u)\n", low_mb,
		       high_mb);
		ret = -EINVAL;
	} else {
		dhp_hm_update();
		dhp_hm_live = true;
		schedule_delayed_work(&dhp_hm_work,
				      msecs_to_jiffies(period_ms));
	}
	mutex_unlock(&dhp_hm_lock);
	kernel_param_unlock(THIS_MODULE);
	if (ret) {
		sysfs_remove_group(dhp_kobj, &dhp_hm_group);
		sysfs_put(dhp_hm_kn);
		return ret;
	}
	ret = register_memory_notifier(&dhp_hm_mem_nb);
	if (ret) {
		/* undoes the above; the notifier's removal finds nothing */
		dhp_highmem_exit();
		return ret;
	}
	debugfs_create_file("high_memory", 0444, dhp_debugfs, NULL,
			    &dhp_hm_fops);
	return 0;
}

void dhp_highmem_exit(void)
{
	/* Setters from now on only store (the files outlive dhp's exit). */
	kernel_param_lock(THIS_MODULE);
	mutex_lock(&dhp_hm_lock);
	dhp_hm_live = false;
	mutex_unlock(&dhp_hm_lock);
	kernel_param_unlock(THIS_MODULE);
	unregister_memory_notifier(&dhp_hm_mem_nb);
	/* Nothing kicks the work any more. */
	cancel_delayed_work_sync(&dhp_hm_work);
	sysfs_remove_group(dhp_kobj, &dhp_hm_group);
	sysfs_put(dhp_hm_kn);
}
