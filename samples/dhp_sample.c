// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_sample: a client driver written the way a real one would use dhp.
 *
 * It registers with a per-CPU context (dhp_register_cpu_callback_percpu()):
 * each CPU's slot holds the CPU's request counter and a pointer to its
 * resources, which exist exactly while the CPU may run its code: allocated
 * on the CPU's node at ADD_START (before the CPU executes anything), freed
 * at ADD_FAILURE or REMOVE_COMPLETE (after the CPU is gone). Its I/O hot
 * path is one this_cpu_inc() of the counter, in any context (an IPI or a
 * task), with no lock and no pinning. When a CPU's resources are freed its
 * count is folded into a total, as lib/percpu_counter.c does.
 *
 * It also registers for the asynchronous notification, as a driver that
 * sizes its buffers by the memory it may use would: it logs each arrival
 * and removal and keeps a running total of memory seen to arrive.
 *
 * debugfs, /sys/kernel/debug/dhp_sample/:
 *   io     write N: run the hot path N times on every online CPU (an IPI)
 *          and N times in the writing task (process context)
 *   cpus   per CPU with a context: "cpu node requests mem_node", node the
 *          CPU's, mem_node where its context is (the node itself, or the
 *          nearest with memory when the CPU's node has none)
 *   stats  allocs, frees, vetoes, missing (requests counted on a CPU while it
 *          had no resources, found at its next ADD_START), folded,
 *          cpu_events, mem_added_mb, mem_removed_mb
 *   fail   write "CPU ERRNO" to veto ADD_START of CPU (-1: any) with ERRNO,
 *          "off" to stop; read gives the setting
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "dhp.h"

#define SAMPLE_IO_MAX	1000000
#define SAMPLE_WRITE_MAX	32	/* longest write to io or fail */

/* A CPU's resources, as a real driver's queues or buffers would be. */
struct sample_cpu {
	int node;		/* cpu_to_node(), asked for */
	int mem_node;		/* where the context is, given */
};

/*
 * A CPU's slot of the per-CPU context. @requests: the hot path's this_cpu
 * increments on the CPU itself; plain accesses from the callbacks of the
 * CPU's ADD_START and REMOVE_COMPLETE/ADD_FAILURE, when it runs nothing.
 * @ctx: written by those callbacks only, read under the hotplug lock.
 */
struct sample_pcpu {
	unsigned long requests;
	struct sample_cpu *ctx;
};

static struct sample_pcpu __percpu *sample_pcpu;

/*
 * Written only from dhp callbacks (serialized by dhp under the CPU hotplug
 * lock) or after unregistration; read locklessly by debugfs.
 */
static unsigned long sample_allocs, sample_frees, sample_vetoes, sample_folded;
static unsigned long sample_missing;

/* The veto knob; sample_fail_lock orders debugfs writes with callbacks. */
static DEFINE_MUTEX(sample_fail_lock);
static int sample_fail_cpu = -2;	/* -2: off, -1: any CPU */
static int sample_fail_errno;

/* Written by the event callback only (one at a time), read by debugfs. */
static unsigned long sample_cpu_events, sample_mem_added, sample_mem_removed;

static struct dhp_cpu_client *sample_client;
static struct dhp_event_client *sample_events;
static struct dentry *sample_dir;

/* @slot's CPU is dead or never ran: nothing increments its count. */
static void sample_free_cpu(struct sample_pcpu *slot)
{
	if (!slot->ctx)
		return;
	WRITE_ONCE(sample_folded, sample_folded + slot->requests);
	slot->requests = 0;
	kfree(slot->ctx);
	slot->ctx = NULL;
	WRITE_ONCE(sample_frees, sample_frees + 1);
}

static int sample_add_start(unsigned int cpu, struct sample_pcpu *slot)
{
	struct sample_cpu *ctx;
	int veto = 0;

	mutex_lock(&sample_fail_lock);
	if (sample_fail_cpu == -1 || sample_fail_cpu == cpu)
		veto = sample_fail_errno;
	mutex_unlock(&sample_fail_lock);
	if (veto) {
		WRITE_ONCE(sample_vetoes, sample_vetoes + 1);
		return veto;
	}

	ctx = kzalloc_node(sizeof(*ctx), GFP_KERNEL, cpu_to_node(cpu));
	if (!ctx)
		return -ENOMEM;
	ctx->node = cpu_to_node(cpu);
	ctx->mem_node = page_to_nid(virt_to_page(ctx));
	/* Folded when the CPU left: anything here ran without resources. */
	if (slot->requests)
		WRITE_ONCE(sample_missing, sample_missing + slot->requests);
	slot->requests = 0;
	slot->ctx = ctx;
	WRITE_ONCE(sample_allocs, sample_allocs + 1);
	return 0;
}

/* The dhp callback: process context, CPU hotplug lock held, may sleep. */
static void sample_cpu_change(void *context, const struct dhp_cpu_change *change,
			      int *op_status)
{
	switch (change->state) {
	case DHP_CPU_ADD_START:
		*op_status = sample_add_start(change->cpu, change->cpu_ctx);
		break;
	case DHP_CPU_ADD_COMPLETE:
		pr_debug("cpu %u up, %u online\n", change->cpu, num_online_cpus());
		break;
	case DHP_CPU_ADD_FAILURE:
		pr_info("cpu %u add failed (%d), freeing its context\n",
			change->cpu, change->status);
		sample_free_cpu(change->cpu_ctx);
		break;
	case DHP_CPU_REMOVE_START:
		/* Still online and may take IPIs: keep the context. */
		break;
	case DHP_CPU_REMOVE_COMPLETE:
		sample_free_cpu(change->cpu_ctx);
		break;
	default:
		break;
	}
}

/* The asynchronous callback: process context, may sleep. */
static void sample_event(void *context, const struct dhp_event *ev)
{
	static const char *const src[] = { "other", "boot", "ACPI DIMM",
					   "virtio-mem" };

	switch (ev->kind) {
	case DHP_EV_CPU_ARRIVAL:
	case DHP_EV_CPU_REMOVAL:
		WRITE_ONCE(sample_cpu_events, sample_cpu_events + 1);
		pr_info("event %llu: cpu %u (node %d) %s\n", ev->seq,
			ev->cpu.cpu, ev->cpu.node,
			ev->kind == DHP_EV_CPU_ARRIVAL ? "arrived" : "left");
		break;
	case DHP_EV_MEM_ARRIVAL:
	case DHP_EV_MEM_REMOVAL:
		/* what the page allocator got or lost, not the range */
		if (ev->kind == DHP_EV_MEM_ARRIVAL)
			WRITE_ONCE(sample_mem_added,
				   sample_mem_added + (ev->mem.usable >> 20));
		else
			WRITE_ONCE(sample_mem_removed,
				   sample_mem_removed + (ev->mem.usable >> 20));
		pr_info("event %llu: %llu MiB at %#llx, %llu MiB usable (node %d, %s) %s\n",
			ev->seq, ev->mem.size >> 20, ev->mem.start,
			ev->mem.usable >> 20, ev->mem.node, src[ev->mem.source],
			ev->kind == DHP_EV_MEM_ARRIVAL ? "arrived" : "left");
		break;
	default:
		break;
	}
}

/*
 * The hot path: one this_cpu operation on the own CPU's slot. It cannot be
 * split by preemption, migration or an interrupt, so it is right as it is
 * in an IPI and in a task alike: no lock, no pinning, no interrupts off.
 * It counts on any CPU that runs it; every such CPU has passed ADD_START.
 */
static void sample_io_one(void *unused)
{
	this_cpu_inc(sample_pcpu->requests);
}

/*
 * Copies a write of 1 to SAMPLE_WRITE_MAX - 1 bytes into @buf as a string;
 * a NUL inside the write fails it (it would end the string early).
 */
static int sample_copy(char *buf, const char __user *ubuf, size_t len)
{
	if (!len || len >= SAMPLE_WRITE_MAX)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	return strlen(buf) == len ? 0 : -EINVAL;
}

static ssize_t sample_io_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[SAMPLE_WRITE_MAX];
	unsigned int n, i;
	int ret;

	/*
	 * Not kstrtouint_from_user(): it parses only the first 34 bytes, so
	 * a long write of zeros, a digit and garbage would pass.
	 */
	ret = sample_copy(buf, ubuf, len);
	if (!ret)
		ret = kstrtouint(buf, 0, &n);
	if (!ret && (!n || n > SAMPLE_IO_MAX))
		ret = -ERANGE;
	if (ret) {
		pr_err_ratelimited("io: want a count in [1, %u]\n",
				   SAMPLE_IO_MAX);
		return ret;
	}
	for (i = 0; i < n; i++) {
		on_each_cpu(sample_io_one, NULL, 1);
		sample_io_one(NULL);	/* the task path: the same code */
		cond_resched();
	}
	return len;
}

static const struct file_operations sample_io_fops = {
	.owner = THIS_MODULE,
	.write = sample_io_write,
};

static int sample_cpus_show(struct seq_file *m, void *v)
{
	struct sample_pcpu *slot;
	unsigned int cpu;

	/* The hotplug lock keeps each CPU's resources while they are shown. */
	cpus_read_lock();
	seq_puts(m, "# cpu node requests mem_node\n");
	for_each_possible_cpu(cpu) {
		slot = per_cpu_ptr(sample_pcpu, cpu);
		if (slot->ctx)
			seq_printf(m, "%u %d %lu %d\n", cpu, slot->ctx->node,
				   READ_ONCE(slot->requests),
				   slot->ctx->mem_node);
	}
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sample_cpus);

static int sample_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "allocs %lu\nfrees %lu\nvetoes %lu\nmissing %lu\nfolded %lu\n",
		   READ_ONCE(sample_allocs), READ_ONCE(sample_frees),
		   READ_ONCE(sample_vetoes), READ_ONCE(sample_missing),
		   READ_ONCE(sample_folded));
	seq_printf(m, "cpu_events %lu\nmem_added_mb %lu\nmem_removed_mb %lu\n",
		   READ_ONCE(sample_cpu_events), READ_ONCE(sample_mem_added),
		   READ_ONCE(sample_mem_removed));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(sample_stats);

static int sample_fail_show(struct seq_file *m, void *v)
{
	mutex_lock(&sample_fail_lock);
	if (sample_fail_cpu == -2)
		seq_puts(m, "off\n");
	else
		seq_printf(m, "%d %d\n", sample_fail_cpu, sample_fail_errno);
	mutex_unlock(&sample_fail_lock);
	return 0;
}

static int sample_fail_open(struct inode *inode, struct file *file)
{
	return single_open(file, sample_fail_show, NULL);
}

/* "off", or "CPU ERRNO": words between blanks, nothing else. */
static int sample_fail_parse(char *buf, int *cpu, int *err)
{
	char *w[2], *word;
	int n = 0;

	while ((word = strsep(&buf, " \t\n"))) {
		if (!*word)
			continue;
		if (n == ARRAY_SIZE(w))
			return -EINVAL;
		w[n++] = word;
	}
	if (n == 1 && !strcmp(w[0], "off")) {
		*cpu = -2;
		*err = 0;
		return 0;
	}
	/* kstrtoint(), not sscanf("%d"): that wraps 4294967296 to 0 */
	if (n != 2 || kstrtoint(w[0], 10, cpu) || kstrtoint(w[1], 10, err) ||
	    *cpu < -1 || *cpu >= (int)nr_cpu_ids || *err >= 0 ||
	    *err < -MAX_ERRNO)
		return -EINVAL;
	return 0;
}

static ssize_t sample_fail_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	char buf[SAMPLE_WRITE_MAX];
	int cpu, err, ret;

	ret = sample_copy(buf, ubuf, len);
	if (!ret)
		ret = sample_fail_parse(buf, &cpu, &err);
	if (ret) {
		pr_err_ratelimited("fail: want \"CPU ERRNO\" with CPU -1..%u and ERRNO -1..-%d, or \"off\"\n",
				   nr_cpu_ids - 1, MAX_ERRNO);
		return ret;
	}
	mutex_lock(&sample_fail_lock);
	sample_fail_cpu = cpu;
	sample_fail_errno = err;
	mutex_unlock(&sample_fail_lock);
	return len;
}

static const struct file_operations sample_fail_fops = {
	.owner = THIS_MODULE,
	.open = sample_fail_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = sample_fail_write,
};

static void sample_exit_cpus(void)
{
	unsigned int cpu;

	dhp_unregister_cpu_callback(sample_client);
	/* No callback runs any more: the remaining resources are ours. */
	for_each_possible_cpu(cpu)
		sample_free_cpu(per_cpu_ptr(sample_pcpu, cpu));
	free_percpu(sample_pcpu);
}

static int __init sample_init(void)
{
	sample_pcpu = alloc_percpu(struct sample_pcpu);
	if (!sample_pcpu)
		return -ENOMEM;
	sample_client = dhp_register_cpu_callback_percpu(sample_cpu_change, NULL,
							 sample_pcpu,
							 DHP_CPU_ADD_EXISTING);
	if (IS_ERR(sample_client)) {
		pr_err("cannot register with dhp: %ld\n", PTR_ERR(sample_client));
		free_percpu(sample_pcpu);
		return PTR_ERR(sample_client);
	}
	/* Later events only: the sync replay already sized the CPUs. */
	sample_events = dhp_register_event_callback(sample_event, NULL,
						    DHP_EV_PROCESSOR |
						    DHP_EV_MEMORY);
	if (IS_ERR(sample_events)) {
		pr_err("cannot register for dhp events: %ld\n",
		       PTR_ERR(sample_events));
		sample_exit_cpus();
		return PTR_ERR(sample_events);
	}

	sample_dir = debugfs_create_dir("dhp_sample", NULL);
	debugfs_create_file("io", 0200, sample_dir, NULL, &sample_io_fops);
	debugfs_create_file("cpus", 0400, sample_dir, NULL, &sample_cpus_fops);
	debugfs_create_file("stats", 0400, sample_dir, NULL, &sample_stats_fops);
	debugfs_create_file("fail", 0600, sample_dir, NULL, &sample_fail_fops);
	return 0;
}

static void __exit sample_exit(void)
{
	debugfs_remove_recursive(sample_dir);
	dhp_unregister_event_callback(sample_events);
	sample_exit_cpus();
	pr_info("unloaded: allocs %lu frees %lu\n", sample_allocs, sample_frees);
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dhp sample client: per-CPU contexts sized by CPU hotplug");
