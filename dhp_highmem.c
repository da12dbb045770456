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
 * Locking: dhp_hm_lock (mutex) protects the thresholds, the state and the
 * transition count; the evaluation runs in a work item (process context).
 * Readers of the state alone use READ_ONCE(). Waiters sleep on dhp_hm_wq,
 * woken at every transition; debugfs pollers too.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/debugfs.h>
#include <linux/export.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "dhp_internal.h"
#include "dhp_logic.h"
#include "dhp_trace.h"

#define DHP_HM_MAX_MB	BIT(30)		/* 1 PiB: anything above is a typo */

static unsigned long high_mb = 1024;
static unsigned long low_mb = 768;
static unsigned int period_ms = 1000;

static int dhp_hm_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned long v;

	if (kstrtoul(val, 0, &v) || !v || v > DHP_HM_MAX_MB) {
		pr_err("%s: '%s' is not a size in MiB in [1, %lu]\n", kp->name,
		       val, DHP_HM_MAX_MB);
		return -EINVAL;
	}
	*(unsigned long *)kp->arg = v;
	return 0;
}

static const struct kernel_param_ops dhp_hm_param_ops = {
	.set = dhp_hm_param_set,
	.get = param_get_ulong,
};

module_param_cb(high_mb, &dhp_hm_param_ops, &high_mb, 0444);
MODULE_PARM_DESC(high_mb, "high-memory condition set at this much available memory, MiB (default 1024)");
module_param_cb(low_mb, &dhp_hm_param_ops, &low_mb, 0444);
MODULE_PARM_DESC(low_mb, "high-memory condition cleared below this much available memory, MiB, < high_mb (default 768)");

static int dhp_hm_period_set(const char *val, const struct kernel_param *kp)
{
	return dhp_param_set_uint(val, kp, 10, 3600000);
}

static const struct kernel_param_ops dhp_hm_period_ops = {
	.set = dhp_hm_period_set,
	.get = param_get_uint,
};

module_param_cb(period_ms, &dhp_hm_period_ops, &period_ms, 0444);
MODULE_PARM_DESC(period_ms, "high-memory re-evaluation period, ms, 10..3600000 (default 1000)");

static DEFINE_MUTEX(dhp_hm_lock);
static DECLARE_WAIT_QUEUE_HEAD(dhp_hm_wq);
static bool dhp_hm_state;
static unsigned long dhp_hm_transitions;
static unsigned long dhp_hm_avail_mb;

static void dhp_hm_eval(struct work_struct *work);
static DECLARE_DELAYED_WORK(dhp_hm_work, dhp_hm_eval);

static unsigned long dhp_avail_mb(void)
{
	return si_mem_available() >> (20 - PAGE_SHIFT);
}

/* Re-evaluates now; dhp_hm_lock held. */
static void dhp_hm_update(void)
{
	bool next;

	dhp_hm_avail_mb = dhp_avail_mb();
	next = dhp_hyst_next(dhp_hm_state, dhp_hm_avail_mb, low_mb, high_mb);
	if (next == dhp_hm_state)
		return;
	WRITE_ONCE(dhp_hm_state, next);
	dhp_hm_transitions++;
	trace_dhp_high_memory(next, dhp_hm_avail_mb);
	dhp_log(DHP_LOG_HIGH_MEMORY, -1, 0, next, 0);
	wake_up_all(&dhp_hm_wq);
}

static void dhp_hm_eval(struct work_struct *work)
{
	mutex_lock(&dhp_hm_lock);
	dhp_hm_update();
	mutex_unlock(&dhp_hm_lock);
	schedule_delayed_work(&dhp_hm_work, msecs_to_jiffies(period_ms));
}

/* After a memory block changed: evaluate soon. Does not sleep. */
void dhp_highmem_kick(void)
{
	mod_delayed_work(system_wq, &dhp_hm_work, 0);
}

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
 * @timeout: in jiffies; MAX_SCHEDULE_TIMEOUT to wait indefinitely
 *
 * Context: process context, sleeps interruptibly.
 * Return: as wait_event_interruptible_timeout(): 0 on timeout, the jiffies
 * left (at least 1) once the condition is @state, -ERESTARTSYS on a signal.
 */
long dhp_wait_high_memory(bool state, long timeout)
{
	return wait_event_interruptible_timeout(dhp_hm_wq,
						READ_ONCE(dhp_hm_state) == state,
						timeout);
}
EXPORT_SYMBOL_GPL(dhp_wait_high_memory);

/*
 * debugfs high_memory: read the state; write "LOW HIGH" (MiB) to move the
 * thresholds; poll() reports EPOLLPRI once the state changed since the file
 * was opened or last read.
 */
static int dhp_hm_show(struct seq_file *m, void *v)
{
	mutex_lock(&dhp_hm_lock);
	seq_printf(m, "state %d\navailable_mb %lu\nlow_mb %lu\nhigh_mb %lu\ntransitions %lu\nperiod_ms %u\n",
		   dhp_hm_state, dhp_hm_avail_mb, low_mb, high_mb,
		   dhp_hm_transitions, period_ms);
	/* The reader has now seen this state. */
	*(unsigned long *)&m->private = dhp_hm_transitions;
	mutex_unlock(&dhp_hm_lock);
	return 0;
}

static int dhp_hm_open(struct inode *inode, struct file *file)
{
	int ret = single_open(file, dhp_hm_show, NULL);

	if (!ret)
		((struct seq_file *)file->private_data)->private =
			(void *)READ_ONCE(dhp_hm_transitions);
	return ret;
}

static __poll_t dhp_hm_poll(struct file *file, poll_table *pt)
{
	struct seq_file *m = file->private_data;

	poll_wait(file, &dhp_hm_wq, pt);
	if (READ_ONCE(dhp_hm_transitions) != (unsigned long)m->private)
		return EPOLLIN | EPOLLRDNORM | EPOLLPRI;
	return 0;
}

static ssize_t dhp_hm_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	unsigned long low, high;
	char buf[48], *p, *word, *w[2];
	int n = 0;

	if (!len || len >= sizeof(buf))
		goto bad;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	/* Two words between blanks, nothing else: no NUL, no third word. */
	if (strlen(buf) != len)
		goto bad;
	p = buf;
	while ((word = strsep(&p, " \t\n"))) {
		if (!*word)
			continue;
		if (n == ARRAY_SIZE(w))
			goto bad;
		w[n++] = word;
	}
	if (n != 2 || kstrtoul(w[0], 10, &low) || kstrtoul(w[1], 10, &high) ||
	    !low || low >= high || high > DHP_HM_MAX_MB)
		goto bad;
	mutex_lock(&dhp_hm_lock);
	low_mb = low;
	high_mb = high;
	dhp_hm_update();
	mutex_unlock(&dhp_hm_lock);
	return len;
bad:
	pr_err_ratelimited("high_memory: want \"LOW HIGH\" in MiB, 0 < LOW < HIGH <= %lu\n",
			   DHP_HM_MAX_MB);
	return -EINVAL;
}

static const struct file_operations dhp_hm_fops = {
	.owner = THIS_MODULE,
	.open = dhp_hm_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = dhp_hm_write,
	.poll = dhp_hm_poll,
};

int dhp_highmem_init(void)
{
	if (low_mb >= high_mb) {
		pr_err("low_mb (%lu) must be below high_mb (%lu)\n", low_mb,
		       high_mb);
		return -EINVAL;
	}
	mutex_lock(&dhp_hm_lock);
	dhp_hm_update();
	mutex_unlock(&dhp_hm_lock);
	schedule_delayed_work(&dhp_hm_work, msecs_to_jiffies(period_ms));
	debugfs_create_file("high_memory", 0600, dhp_debugfs, NULL,
			    &dhp_hm_fops);
	return 0;
}

void dhp_highmem_exit(void)
{
	/* The memory notifier is gone: nothing kicks the work any more. */
	cancel_delayed_work_sync(&dhp_hm_work);
}
