/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where a device's IRQs go: a pure function of the IRQ count, the online
 * CPUs with their nodes, and the device's node, kept free of kernel glue so
 * that it is unit-tested on its own (selftests/unit/).
 */
#ifndef _DHP_SPREAD_H
#define _DHP_SPREAD_H

/**
 * dhp_spread() - choose one CPU for each IRQ of a device
 * @nr_irqs: IRQs to place
 * @cpus: the online CPUs, ascending
 * @nodes: @nodes[i] is the NUMA node of @cpus[i]
 * @nr_cpus: entries in @cpus (at least 1)
 * @node: the device's node, or negative for none
 * @offset: where in the candidates to start, so that devices with few
 *	IRQs do not all pile onto the first CPU (e.g. the device's index)
 * @out: gets the CPU of each IRQ
 *
 * The candidates are the CPUs of @node, or all of them when @node is
 * negative or has no online CPU. IRQ i goes to candidate (i + @offset) mod
 * the number of candidates: consecutive IRQs on distinct CPUs, wrapping
 * when there are more IRQs than candidates.
 *
 * Return: the number of candidates.
 */
static inline unsigned int dhp_spread(unsigned int nr_irqs,
				      const unsigned int *cpus,
				      const int *nodes, unsigned int nr_cpus,
				      int node, unsigned int offset,
				      unsigned int *out)
{
	unsigned int i, j, n = 0, want;

	for (j = 0; node >= 0 && j < nr_cpus; j++)
		n += nodes[j] == node;
	if (!n)
		node = -1;
	if (node < 0)
		n = nr_cpus;

	for (i = 0; i < nr_irqs; i++) {
		want = (i + offset) % n;
		for (j = 0; j < nr_cpus; j++) {
			if (node >= 0 && nodes[j] != node)
				continue;
			if (!want--)
				break;
		}
		out[i] = cpus[j];
	}
	return n;
}

#endif /* _DHP_SPREAD_H */
