// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_edu: a PCI driver for QEMU's educational device ("-device edu",
 * 1234:11e8) that does real I/O with real interrupts and takes part in
 * dhp's resource rebalance.
 *
 * The I/O is the device's factorial engine. A request carries a value n
 * (1..12, so that n! fits the device's 32-bit register); the driver writes
 * n to the factorial register with "interrupt on completion" enabled in the
 * status register, and the device raises its MSI when n! is ready. The
 * interrupt handler acknowledges, reads the result, checks it against a
 * table and completes the request. The engine computes one factorial at a
 * time, so requests wait in a FIFO and the completion path issues the next.
 *
 * Rebalance: each bound device registers with dhp, its one MSI vector
 * (unmanaged: allocated without PCI_IRQ_AFFINITY, so dhp may move it). In a
 * round, stop makes new submissions queue on a pending FIFO and waits for
 * the factorial on the device to complete; dhp then moves the IRQ; start
 * issues the pending requests in order. No request is failed or dropped.
 *
 * Everything is device-managed, so the driver has no remove(): at unbind
 * (or a probe failing) devm undoes the probe in reverse order, which is
 * the order the teardown needs:
 *   devm_dhp_register_rebalance()  no round runs for the device any more
 *   edu_quiesce()                  refuse new requests, complete the queued
 *                                  ones, remove the debugfs files
 *   devm_request_irq()             free_irq()
 *   edu_hw_off()                   interrupts off, leftovers dropped
 *   pcim_*()                       MSI vector, mapping, regions
 *
 * debugfs, /sys/kernel/debug/dhp_edu/<pci_name>/ (root only):
 *   submit  write N (1..100000): submit N requests, values cycling 1..12,
 *           and wait (interruptibly, at most 60 s + N * 10 ms) until all of
 *           them completed. Returns the write length, -ETIMEDOUT or -EINTR
 *           (the requests stay queued and complete later), -ENODEV when
 *           the device is being removed; -EINVAL or -ERANGE for bad input.
 *   stats   "name value" lines: irq (the MSI's Linux IRQ), submitted,
 *           completed, errors (wrong factorial results), queued_total
 *           (submitted while stopped), stopped, in_flight (handed to the
 *           device FIFO, not completed), rounds (times stop was called),
 *           pending (queued now, while stopped), spurious (factorial
 *           interrupts with nothing on the device).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kstrtox.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "dhp.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8

/* BAR0 registers (docs/specs/edu.rst in QEMU); 32-bit accesses only. */
#define EDU_REG_IDENT		0x00	/* 0xRRrr00ed: major, minor */
#define EDU_REG_LIVENESS	0x04	/* reads back the inverse of a write */
#define EDU_REG_FACT		0x08	/* write n, read n! when done */
#define EDU_REG_STATUS		0x20
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_ACK		0x64
#define EDU_MMIO_MIN		0x80	/* BAR0 must cover the registers */

#define EDU_IDENT_MASK		0xffff
#define EDU_IDENT_MAGIC		0x00ed
#define EDU_STATUS_IRQFACT	0x80	/* raise FACT_IRQ when n! is ready */
#define EDU_IRQ_FACT		0x01	/* in the interrupt status */

#define EDU_FACT_MAX		12	/* 13! does not fit 32 bits */
#define EDU_SUBMIT_MAX		100000
#define EDU_SUBMIT_LEN_MAX	24	/* longest write taken as a number */
#define EDU_WAIT_BASE_MS	60000
#define EDU_WAIT_PER_REQ_MS	10
#define EDU_STOP_TIMEOUT_MS	10000
#define EDU_DRAIN_TIMEOUT_MS	60000

static const u32 edu_fact[EDU_FACT_MAX + 1] = {
	1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800, 39916800,
	479001600,
};

struct edu_batch;

/* One factorial request; on exactly one of edu_dev.issued/.pending. */
struct edu_req {
	struct list_head node;
	struct edu_batch *batch;
	u32 value;
};

/*
 * The requests of one debugfs write. The writer owns it until it returns;
 * if it returns early (timeout, signal) with requests still queued, it
 * marks the batch abandoned and the completion of the last request frees
 * it (or remove() does).
 */
struct edu_batch {
	struct completion done;		/* remaining reached 0, not abandoned */
	unsigned int remaining;		/* edu_dev.lock */
	bool abandoned;			/* edu_dev.lock */
	struct edu_req reqs[];
};

struct edu_counters {
	unsigned long submitted;
	unsigned long completed;
	unsigned long errors;
	unsigned long queued_total;
	unsigned long rounds;
	unsigned long spurious;
};

/*
 * Locking rules:
 * - edu->lock (spinlock, always taken with spin_lock_irqsave(): it is taken
 *   both in process context and in the hard IRQ handler) protects the two
 *   FIFOs, nr_issued, nr_pending, hw_busy, stopped, dying, the counters and
 *   every edu_batch's remaining and abandoned fields.
 * - The factorial register is written only under edu->lock with hw_busy
 *   false (edu_kick()), which sets hw_busy; it is read only by the IRQ
 *   handler under edu->lock with hw_busy true. So at most one factorial
 *   runs on the device and no write overlaps a result read.
 * - Nothing sleeps, allocates or calls into dhp under edu->lock. complete()
 *   and wake_up() take their own locks inside or after it (lock order:
 *   edu->lock, then the completion's or the waitqueue's lock).
 * - dhp calls query_stop/stop/start in process context, one at a time, and
 *   dhp_unregister_rebalance() waits for them: its devm action, set up
 *   last, runs first at unbind.
 * - debugfs_remove_recursive() waits for the file operations in progress,
 *   so after it no writer touches edu or a batch it did not abandon.
 */
struct edu_dev {
	struct pci_dev *pdev;
	void __iomem *mmio;
	unsigned int irq;
	char name[32];			/* "edu-<pci_name>", dhp and the IRQ */
	struct dhp_rb_device *rb;
	struct dentry *dir;
	wait_queue_head_t idle_wq;	/* woken when the device goes idle */

	spinlock_t lock;		/* see the rules above */
	struct list_head issued;	/* FIFO, head is on the device if busy */
	struct list_head pending;	/* FIFO, submitted while stopped */
	unsigned int nr_issued;
	unsigned int nr_pending;
	bool hw_busy;			/* a factorial runs on the device */
	bool stopped;			/* between dhp's stop and start */
	bool dying;			/* remove() began: refuse submissions */
	struct edu_counters cnt;
};

static struct dentry *edu_root;

/* Starts the head of the issue FIFO if the device may take it. */
static void edu_kick(struct edu_dev *edu)
{
	struct edu_req *req;

	lockdep_assert_held(&edu->lock);
	if (edu->hw_busy || edu->stopped || list_empty(&edu->issued))
		return;
	req = list_first_entry(&edu->issued, struct edu_req, node);
	edu->hw_busy = true;
	/* EDU_STATUS_IRQFACT is set since probe: the device will interrupt. */
	iowrite32(req->value, edu->mmio + EDU_REG_FACT);
}

/*
 * Counts a finished request against its batch. Returns the batch if the
 * caller must free it (its writer abandoned it), after dropping edu->lock.
 */
static struct edu_batch *edu_req_finish(struct edu_dev *edu,
					struct edu_req *req)
{
	struct edu_batch *b = req->batch;

	lockdep_assert_held(&edu->lock);
	if (--b->remaining)
		return NULL;
	if (b->abandoned)
		return b;
	complete(&b->done);
	return NULL;
}

/*
 * Takes @req for good: appends it to the pending FIFO while dhp has the
 * device stopped, else to the issue FIFO, starting it if the device is
 * idle. Returns -ENODEV (and does not take @req) once remove() began.
 * Any context; takes edu->lock.
 */
static int edu_submit(struct edu_dev *edu, struct edu_req *req)
{
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&edu->lock, flags);
	if (edu->dying) {
		ret = -ENODEV;
	} else if (edu->stopped) {
		list_add_tail(&req->node, &edu->pending);
		edu->nr_pending++;
		edu->cnt.queued_total++;
		edu->cnt.submitted++;
	} else {
		list_add_tail(&req->node, &edu->issued);
		edu->nr_issued++;
		edu->cnt.submitted++;
		edu_kick(edu);
	}
	spin_unlock_irqrestore(&edu->lock, flags);
	return ret;
}

/*
 * Hard IRQ context. The device raises its MSI once per completed factorial
 * (EDU_IRQ_FACT); the status must be acknowledged even under MSI.
 */
static irqreturn_t edu_irq(int irq, void *data)
{
	struct edu_dev *edu = data;
	struct edu_batch *to_free = NULL;
	struct edu_req *req;
	unsigned long flags;
	u32 status, result;
	bool idle;

	status = ioread32(edu->mmio + EDU_REG_IRQ_STATUS);
	if (!status)
		return IRQ_NONE;
	iowrite32(status, edu->mmio + EDU_REG_IRQ_ACK);
	if (!(status & EDU_IRQ_FACT))
		return IRQ_HANDLED;

	/* irqsave although IRQs are off here: one rule for every user. */
	spin_lock_irqsave(&edu->lock, flags);
	if (!edu->hw_busy) {
		edu->cnt.spurious++;
		spin_unlock_irqrestore(&edu->lock, flags);
		return IRQ_HANDLED;
	}
	result = ioread32(edu->mmio + EDU_REG_FACT);
	req = list_first_entry(&edu->issued, struct edu_req, node);
	list_del(&req->node);
	edu->nr_issued--;
	edu->hw_busy = false;
	edu->cnt.completed++;
	if (result != edu_fact[req->value]) {
		edu->cnt.errors++;
		pr_err_ratelimited("%s: %u! = %u, the device said %u\n",
				   edu->name, req->value, edu_fact[req->value],
				   result);
	}
	to_free = edu_req_finish(edu, req);
	edu_kick(edu);
	idle = !edu->hw_busy;
	spin_unlock_irqrestore(&edu->lock, flags);

	if (idle)
		wake_up(&edu->idle_wq);
	/* kvfree() is allowed in (non-NMI) interrupt context. */
	kvfree(to_free);
	return IRQ_HANDLED;
}

static bool edu_hw_idle(struct edu_dev *edu)
{
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&edu->lock, flags);
	idle = !edu->hw_busy;
	spin_unlock_irqrestore(&edu->lock, flags);
	return idle;
}

static bool edu_drained(struct edu_dev *edu)
{
	unsigned long flags;
	bool drained;

	spin_lock_irqsave(&edu->lock, flags);
	drained = !edu->nr_issued && !edu->nr_pending;
	spin_unlock_irqrestore(&edu->lock, flags);
	return drained;
}

/*
 * Leaves the stopped state: the pending requests go, in order, behind the
 * ones issued before the stop. Returns how many were pending.
 */
static unsigned int edu_restart(struct edu_dev *edu)
{
	unsigned int queued = edu->nr_pending;

	lockdep_assert_held(&edu->lock);
	edu->stopped = false;
	list_splice_tail_init(&edu->pending, &edu->issued);
	edu->nr_issued += edu->nr_pending;
	edu->nr_pending = 0;
	edu_kick(edu);
	return queued;
}

/* dhp: a device never refuses to stop. */
static int edu_rb_query_stop(void *context)
{
	return 0;
}

/*
 * dhp: from now on new requests queue. Waits (sleeping) until the
 * factorial on the device, if any, completed; the requests behind it in the
 * issue FIFO stay there until start.
 */
static void edu_rb_stop(void *context)
{
	struct edu_dev *edu = context;
	unsigned long flags;

	spin_lock_irqsave(&edu->lock, flags);
	edu->stopped = true;
	edu->cnt.rounds++;
	spin_unlock_irqrestore(&edu->lock, flags);

	if (!wait_event_timeout(edu->idle_wq, edu_hw_idle(edu),
				msecs_to_jiffies(EDU_STOP_TIMEOUT_MS)))
		pr_warn("%s: stop: the factorial in flight did not complete in %u ms; stopping anyway\n",
			edu->name, EDU_STOP_TIMEOUT_MS);
}

/* dhp: the IRQ has moved; replay the queued requests in order. */
static unsigned int edu_rb_start(void *context)
{
	struct edu_dev *edu = context;
	unsigned long flags;
	unsigned int queued;

	spin_lock_irqsave(&edu->lock, flags);
	queued = edu_restart(edu);
	spin_unlock_irqrestore(&edu->lock, flags);
	return queued;
}

static const struct dhp_rb_ops edu_rb_ops = {
	.query_stop = edu_rb_query_stop,
	.stop = edu_rb_stop,
	.start = edu_rb_start,
};

static ssize_t edu_submit_write(struct file *file, const char __user *ubuf,
				size_t len, loff_t *ppos)
{
	struct edu_dev *edu = file->private_data;
	char buf[EDU_SUBMIT_LEN_MAX + 1];
	struct edu_batch *b;
	unsigned int n, i, ms;
	unsigned long flags;
	bool all_done;
	long left = 0;
	int ret;

	if (!len || len > EDU_SUBMIT_LEN_MAX) {
		pr_err_ratelimited("%s: submit: write a count, 1..%u\n",
				   edu->name, EDU_SUBMIT_MAX);
		return -EINVAL;
	}
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	/* a NUL inside would end the number early: "5\0junk" */
	ret = strlen(buf) == len ? kstrtouint(buf, 10, &n) : -EINVAL;
	if (ret) {
		pr_err_ratelimited("%s: submit: not a count, 1..%u (%d)\n",
				   edu->name, EDU_SUBMIT_MAX, ret);
		return ret;
	}
	if (!n || n > EDU_SUBMIT_MAX) {
		pr_err_ratelimited("%s: submit: %u requests, must be 1..%u\n",
				   edu->name, n, EDU_SUBMIT_MAX);
		return n ? -ERANGE : -EINVAL;
	}

	b = kvzalloc(struct_size(b, reqs, n), GFP_KERNEL);
	if (!b)
		return -ENOMEM;
	init_completion(&b->done);
	b->remaining = n;
	for (i = 0; i < n; i++) {
		b->reqs[i].batch = b;
		b->reqs[i].value = i % EDU_FACT_MAX + 1;
		if (edu_submit(edu, &b->reqs[i]))
			break;
	}

	/* Requests not taken (remove() began) never complete. */
	spin_lock_irqsave(&edu->lock, flags);
	b->remaining -= n - i;
	all_done = !b->remaining;
	spin_unlock_irqrestore(&edu->lock, flags);

	ms = EDU_WAIT_BASE_MS + n * EDU_WAIT_PER_REQ_MS;
	if (!all_done)
		left = wait_for_completion_interruptible_timeout(&b->done,
								 msecs_to_jiffies(ms));
	if (left <= 0 && !all_done) {
		/* Timed out or interrupted; the last completion may race. */
		spin_lock_irqsave(&edu->lock, flags);
		all_done = !b->remaining;
		if (!all_done)
			b->abandoned = true;
		spin_unlock_irqrestore(&edu->lock, flags);
		if (!all_done) {
			if (!left)
				pr_err("%s: submit: requests still queued after %u ms\n",
				       edu->name, ms);
			return left ? -EINTR : -ETIMEDOUT;
		}
	}
	kvfree(b);
	if (i < n) {
		pr_err("%s: submit: device going away, %u of %u requests taken\n",
		       edu->name, i, n);
		return -ENODEV;
	}
	return len;
}

static const struct file_operations edu_submit_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = edu_submit_write,
	.llseek = noop_llseek,
};

static int edu_stats_show(struct seq_file *m, void *v)
{
	struct edu_dev *edu = m->private;
	unsigned int nr_issued, nr_pending;
	struct edu_counters c;
	unsigned long flags;
	bool stopped;

	spin_lock_irqsave(&edu->lock, flags);
	c = edu->cnt;
	nr_issued = edu->nr_issued;
	nr_pending = edu->nr_pending;
	stopped = edu->stopped;
	spin_unlock_irqrestore(&edu->lock, flags);

	seq_printf(m, "irq %u\n", edu->irq);
	seq_printf(m, "submitted %lu\n", c.submitted);
	seq_printf(m, "completed %lu\n", c.completed);
	seq_printf(m, "errors %lu\n", c.errors);
	seq_printf(m, "queued_total %lu\n", c.queued_total);
	seq_printf(m, "stopped %d\n", stopped);
	seq_printf(m, "in_flight %u\n", nr_issued);
	seq_printf(m, "rounds %lu\n", c.rounds);
	seq_printf(m, "pending %u\n", nr_pending);
	seq_printf(m, "spurious %lu\n", c.spurious);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(edu_stats);

/*
 * After free_irq(), only if the drain timed out: requests still queued
 * belong to batches their writers abandoned (debugfs removal waited for
 * the writers). Count them out and free those batches.
 */
static void edu_drop_leftovers(struct edu_dev *edu)
{
	struct edu_req *req, *tmp;
	struct edu_batch *b;
	unsigned int dropped = 0;
	unsigned long flags;
	LIST_HEAD(left);

	spin_lock_irqsave(&edu->lock, flags);
	list_splice_init(&edu->issued, &left);
	list_splice_tail_init(&edu->pending, &left);
	edu->nr_issued = 0;
	edu->nr_pending = 0;
	edu->hw_busy = false;
	spin_unlock_irqrestore(&edu->lock, flags);

	list_for_each_entry_safe(req, tmp, &left, node) {
		list_del(&req->node);
		dropped++;
		/* The IRQ is freed and no writer runs: the lock is moot. */
		spin_lock_irqsave(&edu->lock, flags);
		b = edu_req_finish(edu, req);
		spin_unlock_irqrestore(&edu->lock, flags);
		kvfree(b);
	}
	if (dropped)
		pr_warn("%s: %u requests dropped at removal\n", edu->name,
			dropped);
}

/*
 * devm, before free_irq(), after dhp let the device go: no round runs for
 * it. Refuse new requests and complete those taken, so that no writer sees
 * a request fail; then remove the files (which waits for their writers).
 */
static void edu_quiesce(void *data)
{
	struct edu_dev *edu = data;
	unsigned long flags;

	spin_lock_irqsave(&edu->lock, flags);
	edu->dying = true;
	if (edu->stopped) {
		/* Not expected: dhp starts every device it stopped. */
		pr_warn("%s: removed while stopped; restarting the queue\n",
			edu->name);
		edu_restart(edu);
	}
	spin_unlock_irqrestore(&edu->lock, flags);

	if (!wait_event_timeout(edu->idle_wq, edu_drained(edu),
				msecs_to_jiffies(EDU_DRAIN_TIMEOUT_MS)))
		pr_warn("%s: requests still queued after %u ms at removal\n",
			edu->name, EDU_DRAIN_TIMEOUT_MS);
	debugfs_remove_recursive(edu->dir);
}

/* devm, after free_irq(): the device interrupts no more. */
static void edu_hw_off(void *data)
{
	struct edu_dev *edu = data;

	iowrite32(0, edu->mmio + EDU_REG_STATUS);
	edu_drop_leftovers(edu);
}

/* Checks that BAR0 is an edu device that answers. */
static int edu_check_device(struct edu_dev *edu)
{
	struct device *dev = &edu->pdev->dev;
	u32 ident, probe = 0x5a3cc3a5, back;

	ident = ioread32(edu->mmio + EDU_REG_IDENT);
	if ((ident & EDU_IDENT_MASK) != EDU_IDENT_MAGIC) {
		dev_err(dev, "identification 0x%08x is not an edu device\n",
			ident);
		return -ENODEV;
	}
	iowrite32(probe, edu->mmio + EDU_REG_LIVENESS);
	back = ioread32(edu->mmio + EDU_REG_LIVENESS);
	if (back != ~probe) {
		dev_err(dev, "liveness check: wrote 0x%08x, read 0x%08x\n",
			probe, back);
		return -EIO;
	}
	dev_info(dev, "edu %u.%u\n", ident >> 24, (ident >> 16) & 0xff);
	return 0;
}

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct dhp_rb_device_info info = {};
	struct edu_dev *edu;
	int ret;

	edu = devm_kzalloc(dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	spin_lock_init(&edu->lock);
	INIT_LIST_HEAD(&edu->issued);
	INIT_LIST_HEAD(&edu->pending);
	init_waitqueue_head(&edu->idle_wq);
	snprintf(edu->name, sizeof(edu->name), "edu-%s", pci_name(pdev));

	/* Managed: regions, mapping and MSI vectors go at unbind. */
	ret = pcim_enable_device(pdev);
	if (ret)
		return dev_err_probe(dev, ret, "cannot enable the device\n");
	if (pci_resource_len(pdev, 0) < EDU_MMIO_MIN ||
	    !(pci_resource_flags(pdev, 0) & IORESOURCE_MEM)) {
		dev_err(dev, "BAR0 is not the edu MMIO area\n");
		return -ENODEV;
	}
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return dev_err_probe(dev, ret, "cannot map BAR0\n");
	edu->mmio = pcim_iomap_table(pdev)[0];
	ret = edu_check_device(edu);
	if (ret)
		return ret;

	/* An MSI is a memory write by the device: it needs bus mastering. */
	pci_set_master(pdev);
	/* Not PCI_IRQ_AFFINITY: the vector must be unmanaged for dhp. */
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		return dev_err_probe(dev, ret, "cannot allocate an MSI vector\n");
	ret = pci_irq_vector(pdev, 0);
	if (ret < 0)
		return dev_err_probe(dev, ret, "no Linux IRQ for the MSI\n");
	edu->irq = ret;

	/* Clear what a previous driver left, then interrupt per factorial. */
	iowrite32(~0U, edu->mmio + EDU_REG_IRQ_ACK);
	ret = devm_add_action_or_reset(dev, edu_hw_off, edu);
	if (ret)
		return ret;
	iowrite32(EDU_STATUS_IRQFACT, edu->mmio + EDU_REG_STATUS);
	ret = devm_request_irq(dev, edu->irq, edu_irq, 0, edu->name, edu);
	if (ret)
		return dev_err_probe(dev, ret, "cannot request IRQ %u\n",
				     edu->irq);
	ret = devm_add_action_or_reset(dev, edu_quiesce, edu);
	if (ret)
		return ret;

	/*
	 * Last, after devm_request_irq() (dhp takes only IRQs that have a
	 * handler): so at unbind it is unregistered first.
	 */
	info.class = DHP_RB_CLASS_OTHER;
	info.policy = DHP_RB_POLICY_DEFAULT;
	info.irqs = &edu->irq;
	info.nr_irqs = 1;
	info.ops = &edu_rb_ops;
	info.context = edu;
	edu->rb = devm_dhp_register_rebalance(dev, &info);
	if (IS_ERR(edu->rb))
		return dev_err_probe(dev, PTR_ERR(edu->rb),
				     "dhp_register_rebalance() failed\n");

	edu->dir = debugfs_create_dir(pci_name(pdev), edu_root);
	debugfs_create_file("submit", 0200, edu->dir, edu, &edu_submit_fops);
	debugfs_create_file("stats", 0400, edu->dir, edu, &edu_stats_fops);
	dev_info(dev, "%s: MSI on IRQ %u, node %d\n", edu->name, edu->irq,
		 dev_to_node(dev));
	return 0;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = edu_ids,
	.probe = edu_probe,
};

static int __init edu_init(void)
{
	int ret;

	edu_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	ret = pci_register_driver(&edu_driver);
	if (ret)
		debugfs_remove_recursive(edu_root);
	return ret;
}
module_init(edu_init);

static void __exit edu_exit(void)
{
	pci_unregister_driver(&edu_driver);
	debugfs_remove_recursive(edu_root);
}
module_exit(edu_exit);

MODULE_DESCRIPTION("dhp sample: a driver for QEMU's edu device that takes part in resource rebalance");
MODULE_LICENSE("GPL");
