/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a device's IRQs go: a pure function of the IRQ count and of the
 * CPUs an IRQ may go to, each with its distance from the device's node and
 * its rank among its core's SMT siblings, kept free of kernel glue so that
 * it is unit-tested on its own (selftests/unit/, KUnit). Which CPUs may
 * take IRQs (online, housekeeping, default_smp_affinity) is decided by the
 * caller, dhp_rebalance.c.
 */
#ifndef _DHP_SPREAD_H
#define _DHP_SPREAD_H

/**
 * struct dhp_spread_cpu - a CPU that may take the device's IRQs
 * @cpu: its number
 * @distance: from the device's node (node_distance()): lower is nearer;
 *	the same for every CPU when the device has no node
 * @thread: its rank among the SMT siblings of its core that may take IRQs
 *	too: 0 for the first, 1 for the next, ...
 */
struct dhp_spread_cpu {
	unsigned int cpu;
	unsigned int distance;
	unsigned int thread;
};

/* Whether @a comes before @b in the spread order (see dhp_spread()). */
static inline bool dhp_spread_before(const struct dhp_spread_cpu *a,
				     const struct dhp_spread_cpu *b)
{
	if (a->distance != b->distance)
		return a->distance < b->distance;
	if (a->thread != b->thread)
		return a->thread < b->thread;
	return a->cpu < b->cpu;
}

/**
 * dhp_spread() - choose one CPU for each IRQ of a device
 * @nr_irqs: IRQs to place
 * @cpus: the CPUs that may take them, ascending by number
 * @nr_cpus: entries in @cpus (at least 1)
 * @offset: how far to turn each group of the order, so that devices with
 *	few IRQs do not all pile onto the first CPU (e.g. the device's index)
 * @order: scratch of @nr_cpus entries: gets the indexes of @cpus in spread
 *	order
 * @out: gets the CPU of each IRQ
 *
 * The spread order is by distance, then by SMT rank, then by number: the
 * nearest CPUs first (the device's node, or the nearest node that has a
 * CPU here), within them one thread of each core before any second thread
 * (cores before SMT siblings), then the next nearest, and so on; each
 * group of CPUs with one distance and one SMT rank is then turned left by
 * @offset (mod its size). The window is the nearest CPUs when there are
 * no more IRQs than those, else the first @nr_irqs CPUs of the order (all
 * of them if fewer): IRQs spill to the next nearest CPUs rather than two
 * sharing a CPU while another has none. IRQ i goes to window entry i mod
 * the window's size: consecutive IRQs on distinct CPUs, distinct cores
 * while the window has unused cores (also when cores have unequal numbers
 * of threads allowed, as after a sibling went offline), wrapping only when
 * every CPU has one.
 *
 * Cost: O(@nr_cpus) per distinct (distance, SMT rank) pair, plus O(1) per
 * IRQ.
 *
 * Return: the size of the window.
 */
static inline unsigned int dhp_spread(unsigned int nr_irqs,
				      const struct dhp_spread_cpu *cpus,
				      unsigned int nr_cpus, unsigned int offset,
				      unsigned int *order, unsigned int *out)
{
	const struct dhp_spread_cpu *key = NULL, *next;
	unsigned int i, j, n = 0, near = 0, size, k;

	/* one pass per key, lowest first: few distances, few SMT ranks */
	while (n < nr_cpus) {
		next = NULL;
		size = 0;
		for (j = 0; j < nr_cpus; j++)
			if ((!key || dhp_spread_before(key, &cpus[j])) &&
			    (!next || dhp_spread_before(&cpus[j], next)))
				next = &cpus[j];
		for (j = 0; j < nr_cpus; j++)
			size += cpus[j].distance == next->distance &&
				cpus[j].thread == next->thread;
		/* the k-th CPU by number goes to place k - @offset, mod size */
		k = size - offset % size;
		for (j = 0; j < nr_cpus; j++) {
			if (cpus[j].distance == next->distance &&
			    cpus[j].thread == next->thread) {
				order[n + k++ % size] = j;
				key = &cpus[j];	/* the highest: the next is above */
			}
		}
		n += size;
	}
	while (near < nr_cpus &&
	       cpus[order[near]].distance == cpus[order[0]].distance)
		near++;
	if (nr_irqs > near)
		near = nr_irqs < nr_cpus ? nr_irqs : nr_cpus;
	for (i = 0; i < nr_irqs; i++)
		out[i] = cpus[order[i % near]].cpu;
	return near;
}

#endif /* _DHP_SPREAD_H */
