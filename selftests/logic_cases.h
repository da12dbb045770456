/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests of dhp's pure logic (dhp_logic.h, dhp_spread.h), written
 * once and compiled twice: on the host by the kselftest harness
 * (unit/logic_test.c) and in the kernel as the KUnit suite "dhp_logic"
 * (dhp_kunit.c). The including adapter provides u8, u32, u64, bool, NULL,
 * ARRAY_SIZE, dhp.h, dhp_logic.h and dhp_spread.h, and this macro layer:
 *
 *   LC_CASE(name)               opens the body of case @name, which must
 *                               be listed in LC_ALL_CASES at the end
 *   LC_EXPECT_EQ(want, got)     a check that lets the case go on
 *   LC_EXPECT_TRUE(cond)        when it fails
 *   LC_EXPECT_FALSE(cond)
 *   LC_ASSERT_EQ(want, got)     a check that ends the case when it fails
 *   LC_ASSERT_TRUE(cond)
 *   LC_ASSERT_MSG(cond, fmt, ...)  the same, with a printf-style message
 *
 * Checks appear only in case bodies: helpers return what they found and
 * the case checks it. KUnit keeps 512 bytes of log per case, so checks in
 * loops are assertions: a failing case leaves one message. The random cases
 * draw from xorshift32 with fixed seeds, so every run, host or kernel, makes
 * the same draws; a failure names its seed.
 */
#ifndef _DHP_LOGIC_CASES_H
#define _DHP_LOGIC_CASES_H

/* ---- Deterministic random numbers ------------------------------------- */

static u32 lc_rand(u32 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A number in 0 .. @n - 1. */
static u32 lc_below(u32 *s, u32 n)
{
	return lc_rand(s) % n;
}

/* The seed of run @run: never 0, which xorshift32 would keep forever. */
static u32 lc_seed(u32 run)
{
	return (run + 1) * 0x9e3779b9U;
}

/* ---- IRQ spreading (dhp_spread) --------------------------------------- */

#define LC_SPREAD_CPUS	12
#define LC_SPREAD_IRQS	40

/*
 * Fills @c from CPU numbers @cpus with the distances @dist (NULL: all 10)
 * and SMT ranks @thread (NULL: all 0); returns @n.
 */
static unsigned int lc_cpus(struct dhp_spread_cpu *c, const unsigned int *cpus,
			    const unsigned int *dist,
			    const unsigned int *thread, unsigned int n)
{
	unsigned int j;

	for (j = 0; j < n; j++) {
		c[j].cpu = cpus[j];
		c[j].distance = dist ? dist[j] : 10;
		c[j].thread = thread ? thread[j] : 0;
	}
	return n;
}

LC_CASE(spread_one_cpu)
{
	unsigned int cpus[] = { 0 }, order[1], out[4], i;
	struct dhp_spread_cpu c[1];

	lc_cpus(c, cpus, NULL, NULL, 1);
	LC_ASSERT_EQ(1, dhp_spread(4, c, 1, 0, order, out));
	for (i = 0; i < 4; i++)
		LC_ASSERT_EQ(0, out[i]);
}

LC_CASE(spread_more_irqs_than_cpus_wraps_evenly)
{
	unsigned int cpus[] = { 0, 1, 2 }, order[3], out[7], count[3] = { 0 };
	struct dhp_spread_cpu c[3];
	unsigned int i;

	lc_cpus(c, cpus, NULL, NULL, 3);
	LC_ASSERT_EQ(3, dhp_spread(7, c, 3, 0, order, out));
	for (i = 0; i < 7; i++) {
		LC_ASSERT_EQ(cpus[i % 3], out[i]);
		count[out[i]]++;
	}
	/* no CPU gets two more than another */
	LC_EXPECT_EQ(3, count[0]);
	LC_EXPECT_EQ(2, count[1]);
	LC_EXPECT_EQ(2, count[2]);
}

/* CPUs 4, 5, 6 on the device's node (distance 10), 0 and 1 on another. */
static unsigned int lc_two_nodes(struct dhp_spread_cpu *c)
{
	static const unsigned int cpus[] = { 0, 1, 4, 5, 6 };
	static const unsigned int dist[] = { 20, 20, 10, 10, 10 };

	return lc_cpus(c, cpus, dist, NULL, 5);
}

LC_CASE(spread_prefers_the_device_node)
{
	unsigned int order[5], out[3];
	struct dhp_spread_cpu c[5];

	LC_ASSERT_EQ(3, dhp_spread(3, c, lc_two_nodes(c), 0, order, out));
	LC_EXPECT_EQ(4, out[0]);
	LC_EXPECT_EQ(5, out[1]);
	LC_EXPECT_EQ(6, out[2]);
	/* staggered, still on the node */
	LC_ASSERT_EQ(3, dhp_spread(1, c, 5, 4, order, out));
	LC_EXPECT_EQ(5, out[0]);
}

/* More IRQs than the node has CPUs: the rest go to the next node. */
LC_CASE(spread_spills_to_the_next_node)
{
	unsigned int order[5], out[7];
	struct dhp_spread_cpu c[5];

	LC_ASSERT_EQ(4, dhp_spread(4, c, lc_two_nodes(c), 0, order, out));
	LC_EXPECT_EQ(4, out[0]);
	LC_EXPECT_EQ(5, out[1]);
	LC_EXPECT_EQ(6, out[2]);
	LC_EXPECT_EQ(0, out[3]);
	/* more than all CPUs: every CPU has one before the node's get two */
	LC_ASSERT_EQ(5, dhp_spread(7, c, 5, 0, order, out));
	LC_EXPECT_EQ(1, out[4]);
	LC_EXPECT_EQ(4, out[5]);
	LC_EXPECT_EQ(5, out[6]);
}

/* The device's node has one CPU: a second IRQ does not share it. */
LC_CASE(spread_node_with_one_cpu)
{
	unsigned int cpus[] = { 0, 1, 2 }, dist[] = { 20, 20, 10 };
	unsigned int order[3], out[2];
	struct dhp_spread_cpu c[3];

	lc_cpus(c, cpus, dist, NULL, 3);
	LC_ASSERT_EQ(1, dhp_spread(1, c, 3, 5, order, out));
	LC_EXPECT_EQ(2, out[0]);
	LC_ASSERT_EQ(2, dhp_spread(2, c, 3, 0, order, out));
	LC_EXPECT_EQ(2, out[0]);
	LC_EXPECT_EQ(0, out[1]);
}

/*
 * The device's node has no CPU here: the nearest node that has takes its
 * place (distances 20 and 30), and no node at all means every CPU.
 */
LC_CASE(spread_empty_node_takes_the_nearest)
{
	unsigned int cpus[] = { 0, 1, 2, 3 }, dist[] = { 30, 30, 20, 20 };
	unsigned int order[4], out[4], i;
	struct dhp_spread_cpu c[4];

	lc_cpus(c, cpus, dist, NULL, 4);
	LC_ASSERT_EQ(2, dhp_spread(2, c, 4, 0, order, out));
	LC_EXPECT_EQ(2, out[0]);
	LC_EXPECT_EQ(3, out[1]);
	lc_cpus(c, cpus, NULL, NULL, 4);
	LC_ASSERT_EQ(4, dhp_spread(4, c, 4, 0, order, out));
	for (i = 0; i < 4; i++)
		LC_ASSERT_EQ(cpus[i], out[i]);
}

/* Two threads per core, siblings numbered next to each other: cores first. */
LC_CASE(spread_cores_before_siblings)
{
	unsigned int cpus[] = { 0, 1, 2, 3 }, thread[] = { 0, 1, 0, 1 };
	unsigned int order[4], out[4], offset;
	struct dhp_spread_cpu c[4];

	lc_cpus(c, cpus, NULL, thread, 4);
	LC_ASSERT_EQ(4, dhp_spread(4, c, 4, 0, order, out));
	LC_EXPECT_EQ(0, out[0]);
	LC_EXPECT_EQ(2, out[1]);
	LC_EXPECT_EQ(1, out[2]);
	LC_EXPECT_EQ(3, out[3]);
	/* two IRQs, any offset: on the two cores (CPU / 2) */
	for (offset = 0; offset < 8; offset++) {
		LC_ASSERT_EQ(4, dhp_spread(2, c, 4, offset, order, out));
		LC_ASSERT_MSG(out[0] / 2 != out[1] / 2,
			      "offset %u: CPUs %u and %u are siblings", offset,
			      out[0], out[1]);
	}
}

/*
 * Cores with unequal numbers of threads allowed: cores {0,3}, {1,4}, {2,5}
 * (the core is CPU mod 3) with CPU 4 offline. For any offset, up to three
 * IRQs go to three distinct cores.
 */
LC_CASE(spread_unequal_cores_still_cores_first)
{
	unsigned int cpus[] = { 0, 1, 2, 3, 5 }, thread[] = { 0, 0, 0, 1, 1 };
	unsigned int order[5], out[3], offset, n;
	struct dhp_spread_cpu c[5];

	lc_cpus(c, cpus, NULL, thread, 5);
	for (n = 2; n <= 3; n++) {
		for (offset = 0; offset < 10; offset++) {
			LC_ASSERT_EQ(5, dhp_spread(n, c, 5, offset, order, out));
			LC_ASSERT_MSG(out[0] % 3 != out[1] % 3 &&
				      (n < 3 || (out[0] % 3 != out[2] % 3 &&
						 out[1] % 3 != out[2] % 3)),
				      "%u IRQs, offset %u: CPUs %u %u %u share a core",
				      n, offset, out[0], out[1],
				      n < 3 ? out[1] : out[2]);
		}
	}
}

/* The same on two nodes. */
LC_CASE(spread_cores_first_within_the_node)
{
	unsigned int cpus[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	unsigned int dist[] = { 10, 10, 10, 10, 20, 20, 20, 20 };
	unsigned int thread[] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	unsigned int order[8], out[5];
	struct dhp_spread_cpu c[8];

	lc_cpus(c, cpus, dist, thread, 8);
	LC_ASSERT_EQ(4, dhp_spread(3, c, 8, 0, order, out));
	LC_EXPECT_EQ(0, out[0]);
	LC_EXPECT_EQ(2, out[1]);
	LC_EXPECT_EQ(1, out[2]);
	/* the node's siblings before the next node */
	LC_ASSERT_EQ(5, dhp_spread(5, c, 8, 0, order, out));
	LC_EXPECT_EQ(3, out[3]);
	LC_EXPECT_EQ(4, out[4]);
}

LC_CASE(spread_offset_staggers_devices)
{
	unsigned int cpus[] = { 0, 2, 5 }, order[3], a[1], b[1], c5[1];
	struct dhp_spread_cpu c[3];

	lc_cpus(c, cpus, NULL, NULL, 3);
	dhp_spread(1, c, 3, 0, order, a);
	dhp_spread(1, c, 3, 1, order, b);
	dhp_spread(1, c, 3, 5, order, c5);
	LC_EXPECT_EQ(0, a[0]);
	LC_EXPECT_EQ(2, b[0]);
	LC_EXPECT_EQ(5, c5[0]);	/* 5 mod 3 = 2: the third candidate */
}

LC_CASE(spread_sparse_cpu_numbers)
{
	unsigned int cpus[] = { 3, 17, 63 }, dist[] = { 10, 20, 10 };
	unsigned int order[3], out[4];
	struct dhp_spread_cpu c[3];

	lc_cpus(c, cpus, dist, NULL, 3);
	LC_ASSERT_EQ(3, dhp_spread(4, c, 3, 0, order, out));
	LC_EXPECT_EQ(3, out[0]);
	LC_EXPECT_EQ(63, out[1]);
	LC_EXPECT_EQ(17, out[2]);
	LC_EXPECT_EQ(3, out[3]);
}

LC_CASE(spread_no_irqs_writes_nothing)
{
	unsigned int cpus[] = { 0, 1 }, dist[] = { 20, 10 }, order[2];
	unsigned int out[1] = { 99 };
	struct dhp_spread_cpu c[2];

	lc_cpus(c, cpus, dist, NULL, 2);
	LC_EXPECT_EQ(1, dhp_spread(0, c, 2, 7, order, out));
	LC_EXPECT_EQ(99, out[0]);
}

/* As many IRQs as CPUs: each gets exactly one. */
LC_CASE(spread_one_irq_per_candidate)
{
	unsigned int cpus[LC_SPREAD_CPUS], order[LC_SPREAD_CPUS];
	unsigned int out[LC_SPREAD_CPUS], n, offset, i, j, seen;
	struct dhp_spread_cpu c[LC_SPREAD_CPUS];

	for (n = 1; n <= LC_SPREAD_CPUS; n++) {
		for (i = 0; i < n; i++)
			cpus[i] = 2 * i + 1;
		lc_cpus(c, cpus, NULL, NULL, n);
		for (i = 0; i < n; i++) {	/* three nodes, two threads */
			c[i].distance = 10 * (1 + i % 3);
			c[i].thread = i / 6;
		}
		for (offset = 0; offset <= n; offset++) {
			LC_ASSERT_EQ(n, dhp_spread(n, c, n, offset, order, out));
			seen = 0;
			for (i = 0; i < n; i++)
				for (j = 0; j < n; j++)
					seen += out[i] == cpus[j];
			LC_ASSERT_MSG(seen == n, "%u CPUs, offset %u: %u hits",
				      n, offset, seen);
			for (i = 1; i < n; i++)
				LC_ASSERT_MSG(out[i] != out[0],
					      "%u CPUs, offset %u: IRQ %u and 0 share CPU %u",
					      n, offset, i, out[0]);
		}
	}
}

/*
 * Ascending, sparse CPU numbers, distances 10..40 and SMT ranks 0..2;
 * returns how many.
 */
static unsigned int lc_spread_cpus(u32 *rng, struct dhp_spread_cpu *c)
{
	unsigned int i, n = 1 + lc_below(rng, LC_SPREAD_CPUS);
	unsigned int cpu = lc_below(rng, 3);

	for (i = 0; i < n; i++) {
		c[i].cpu = cpu;
		c[i].distance = 10 * (1 + lc_below(rng, 4));
		c[i].thread = lc_below(rng, 3);
		cpu += 1 + lc_below(rng, 4);
	}
	return n;
}

/*
 * What is wrong with @out, dhp_spread()'s placement of @nr_irqs IRQs that
 * returned @ret, or NULL: checked against the specification in
 * dhp_spread.h, worked out here on its own: the order by selection sort,
 * each group of one (distance, SMT rank) turned by @offset through index
 * arithmetic, the window from its definition, and the properties it
 * promises.
 */
static const char *lc_spread_check(unsigned int nr_irqs,
				   const struct dhp_spread_cpu *c,
				   unsigned int n, unsigned int offset,
				   const unsigned int *out, unsigned int ret)
{
	unsigned int sorted[LC_SPREAD_CPUS], count[LC_SPREAD_CPUS];
	unsigned int idx[LC_SPREAD_CPUS], turned[LC_SPREAD_CPUS];
	unsigned int i, j, k, w = 0, lo = ~0U, hi = 0, best, s, e;
	bool used[LC_SPREAD_CPUS] = { false };

	for (i = 0; i < n; i++) {
		best = n;
		for (j = 0; j < n; j++) {
			if (used[j])
				continue;
			if (best == n || c[j].distance < c[best].distance ||
			    (c[j].distance == c[best].distance &&
			     (c[j].thread < c[best].thread ||
			      (c[j].thread == c[best].thread &&
			       c[j].cpu < c[best].cpu))))
				best = j;
		}
		used[best] = true;
		sorted[i] = c[best].cpu;
		idx[i] = best;
	}
	for (s = 0; s < n; s = e) {
		for (e = s + 1; e < n && c[idx[e]].distance == c[idx[s]].distance &&
		     c[idx[e]].thread == c[idx[s]].thread; e++)
			;
		for (k = 0; k < e - s; k++)
			turned[s + k] = sorted[s + (k + offset) % (e - s)];
	}
	/* w: the CPUs at the least distance, or more to hold the IRQs */
	for (j = 0; j < n; j++) {
		best = 1;
		for (k = 0; k < n; k++)
			best &= c[j].distance <= c[k].distance;
		w += best;
	}
	if (nr_irqs > w)
		w = nr_irqs < n ? nr_irqs : n;
	if (ret != w)
		return "wrong window size";
	for (j = 0; j < w; j++)
		count[j] = 0;
	for (i = 0; i < nr_irqs; i++) {
		j = 0;
		while (j < w && turned[j] != out[i])
			j++;
		if (j == w)
			return "an IRQ outside the window";
		if (j != i % w)
			return "IRQ i not on entry i mod w of the turned order";
		if (i && w > 1 && out[i] == out[i - 1])
			return "two consecutive IRQs on one CPU";
		count[j]++;
	}
	for (j = 0; j < w; j++) {
		if (count[j] < lo)
			lo = count[j];
		if (count[j] > hi)
			hi = count[j];
	}
	if (nr_irqs && hi - lo > 1)
		return "unbalanced: a CPU has two IRQs more than another";
	return NULL;
}

/* Random CPU sets, distances, SMT ranks and offsets. */
LC_CASE(spread_random_sets_balance_and_prefer_the_nearest)
{
	unsigned int order[LC_SPREAD_CPUS], out[LC_SPREAD_IRQS];
	unsigned int run, nr_cpus, nr_irqs, offset, ret;
	struct dhp_spread_cpu c[LC_SPREAD_CPUS];
	const char *why;
	u32 rng;

	for (run = 0; run < 1000; run++) {
		rng = lc_seed(run);
		nr_cpus = lc_spread_cpus(&rng, c);
		nr_irqs = lc_below(&rng, LC_SPREAD_IRQS + 1);
		offset = lc_below(&rng, 100000);
		ret = dhp_spread(nr_irqs, c, nr_cpus, offset, order, out);
		why = lc_spread_check(nr_irqs, c, nr_cpus, offset, out, ret);
		LC_ASSERT_MSG(!why, "seed %u: %u IRQs, %u CPUs, offset %u: %s",
			      run, nr_irqs, nr_cpus, offset, why);
	}
}

/* ---- Memory event merging (dhp_mem_mergeable, dhp_mem_merge) ---------- */

#define LC_MB		1048576ULL

static struct dhp_event lc_mem(enum dhp_event_kind kind, u64 seq, u64 start,
			       u64 size)
{
	struct dhp_event e = { .seq = seq, .count = 1, .kind = kind };

	e.mem.start = start;
	e.mem.size = size;
	return e;
}

/* Merges @b into @a if it may; whether it did. */
static bool lc_merged(struct dhp_event *a, const struct dhp_event *b)
{
	if (!dhp_mem_mergeable(a, b))
		return false;
	dhp_mem_merge(a, b);
	return true;
}

/* One 128 MiB block at @start_mb. */
static struct dhp_event lc_blk(enum dhp_event_kind kind, u64 seq,
			       u64 start_mb)
{
	return lc_mem(kind, seq, start_mb * LC_MB, 128 * LC_MB);
}

LC_CASE(merge_ascending_blocks)
{
	struct dhp_event a = lc_blk(DHP_EV_MEM_ARRIVAL, 10, 4096);
	struct dhp_event b = lc_blk(DHP_EV_MEM_ARRIVAL, 11, 4224);
	struct dhp_event c = lc_blk(DHP_EV_MEM_ARRIVAL, 12, 4352);

	/*
	 * Blocks holding their own memmap (memmap_on_memory: 2 MiB of 128)
	 * and a virtio-mem block with nothing plugged still touch: ranges
	 * are whole blocks, and the usable bytes add up.
	 */
	a.mem.usable = 126 * LC_MB;
	b.mem.usable = 126 * LC_MB;
	c.mem.usable = 0;
	LC_ASSERT_TRUE(lc_merged(&a, &b));
	LC_ASSERT_TRUE(lc_merged(&a, &c));
	LC_EXPECT_EQ(4096 * LC_MB, a.mem.start);
	LC_EXPECT_EQ(384 * LC_MB, a.mem.size);
	LC_EXPECT_EQ(252 * LC_MB, a.mem.usable);
	LC_EXPECT_EQ(3, a.count);
	LC_EXPECT_EQ(10, a.seq);
}

LC_CASE(merge_descending_removals)
{
	struct dhp_event a = lc_blk(DHP_EV_MEM_REMOVAL, 5, 4224);
	struct dhp_event b = lc_blk(DHP_EV_MEM_REMOVAL, 6, 4096);

	LC_ASSERT_TRUE(lc_merged(&a, &b));
	LC_EXPECT_EQ(4096 * LC_MB, a.mem.start);
	LC_EXPECT_EQ(256 * LC_MB, a.mem.size);
	LC_EXPECT_EQ(2, a.count);
}

LC_CASE(merge_refuses_what_would_lie)
{
	struct dhp_event a = lc_blk(DHP_EV_MEM_ARRIVAL, 10, 4096);
	struct dhp_event b;

	b = lc_blk(DHP_EV_MEM_ARRIVAL, 12, 4224);
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* seq gap */
	b = lc_blk(DHP_EV_MEM_REMOVAL, 11, 4224);
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* kind */
	b = lc_blk(DHP_EV_MEM_ARRIVAL, 11, 4352);
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* hole */
	b = lc_blk(DHP_EV_MEM_ARRIVAL, 11, 4096);
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* overlap */
	b = lc_blk(DHP_EV_MEM_ARRIVAL, 11, 4224);
	b.mem.node = 1;
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* node */
	b.mem.node = 0;
	b.mem.source = DHP_MEM_SRC_VIRTIO_MEM;
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* source */
	a.kind = DHP_EV_CPU_ARRIVAL;
	b = a;
	b.seq = 11;
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));		/* CPUs */
}

/* Events that are already merges merge on: counts and sizes add up. */
LC_CASE(merge_of_merged_events_adds_counts)
{
	struct dhp_event a = lc_mem(DHP_EV_MEM_ARRIVAL, 10, 4096 * LC_MB,
				    384 * LC_MB);
	struct dhp_event b = lc_mem(DHP_EV_MEM_ARRIVAL, 13, 4480 * LC_MB,
				    256 * LC_MB);

	a.count = 3;
	b.count = 2;
	LC_ASSERT_TRUE(dhp_mem_mergeable(&a, &b));
	b.seq = 12;	/* seq 12 is already in @a */
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b.seq = 14;	/* seq 13 would be lost */
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b.seq = 13;
	dhp_mem_merge(&a, &b);
	LC_EXPECT_EQ(10, a.seq);
	LC_EXPECT_EQ(5, a.count);
	LC_EXPECT_EQ(4096 * LC_MB, a.mem.start);
	LC_EXPECT_EQ(640 * LC_MB, a.mem.size);
}

/*
 * The first block of a node's memory, merged with the next: the range
 * holds the node's first memory. The same for the last at removal.
 */
LC_CASE(merge_keeps_the_node_first_and_last)
{
	struct dhp_event a = lc_blk(DHP_EV_MEM_ARRIVAL, 1, 4096);
	struct dhp_event b = lc_blk(DHP_EV_MEM_ARRIVAL, 2, 4224);
	struct dhp_event c = lc_blk(DHP_EV_MEM_REMOVAL, 3, 4224);
	struct dhp_event d = lc_blk(DHP_EV_MEM_REMOVAL, 4, 4096);

	a.mem.flags = DHP_MEM_NODE_FIRST;
	LC_ASSERT_TRUE(lc_merged(&a, &b));
	LC_EXPECT_EQ(DHP_MEM_NODE_FIRST, a.mem.flags);
	d.mem.flags = DHP_MEM_NODE_LAST;
	LC_ASSERT_TRUE(lc_merged(&c, &d));
	LC_EXPECT_EQ(DHP_MEM_NODE_LAST, c.mem.flags);
	LC_EXPECT_EQ(4096 * LC_MB, c.mem.start);
}

/* A run that turns round grows at both ends, never over itself. */
LC_CASE(merge_grows_at_both_ends)
{
	struct dhp_event a = lc_blk(DHP_EV_MEM_ARRIVAL, 1, 4224), b;

	b = lc_blk(DHP_EV_MEM_ARRIVAL, 2, 4096);
	LC_ASSERT_TRUE(lc_merged(&a, &b));	/* below: 4096..4352 */
	b = lc_blk(DHP_EV_MEM_ARRIVAL, 3, 4352);
	LC_ASSERT_TRUE(lc_merged(&a, &b));	/* above: 4096..4480 */
	LC_EXPECT_EQ(4096 * LC_MB, a.mem.start);
	LC_EXPECT_EQ(384 * LC_MB, a.mem.size);
	LC_EXPECT_EQ(3, a.count);
	/* a block inside the range touches neither end */
	b = lc_blk(DHP_EV_MEM_ARRIVAL, 4, 4224);
	LC_EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
}

#define LC_BASE		(4096 * LC_MB)
#define LC_BLOCK_SHIFT	27		/* 128 MiB blocks */
#define LC_NBLOCKS	24		/* 8 per node */
#define LC_NEV		40

/* A client's event stream before and after merging, blocks as bits. */
struct lc_stream {
	struct dhp_event in[LC_NEV], out[LC_NEV];
	unsigned int nin, nout;
	u32 online_before, online_after;
	u8 source[LC_NBLOCKS];
	unsigned int merges, descending;	/* what the folds did */
};

static struct lc_stream lc_stream;

static void lc_block_event(struct dhp_event *e, u64 seq,
			   enum dhp_event_kind kind, int block,
			   enum dhp_mem_source source)
{
	*e = lc_mem(kind, seq, LC_BASE + ((u64)block << LC_BLOCK_SHIFT),
		    1ULL << LC_BLOCK_SHIFT);
	e->mem.node = block / 8;
	e->mem.source = source;
}

/*
 * A random stream as a client would get it: 128 MiB blocks coming and going
 * one event each, mostly in ascending or descending runs, from DIMMs or
 * virtio-mem, on three nodes, with a CPU event now and then. Consistent:
 * only offline blocks arrive and only online ones leave.
 */
static void lc_stream_make(struct lc_stream *st, u32 *rng)
{
	enum dhp_event_kind kind = DHP_EV_MEM_ARRIVAL;
	enum dhp_mem_source source = DHP_MEM_SRC_ACPI_DIMM;
	u32 online = lc_rand(rng) & ((1U << LC_NBLOCKS) - 1);
	int b = 0, next, dir = 1;
	bool run = false, removing, fits;
	unsigned int i;

	st->online_before = online;
	for (i = 0; i < LC_NBLOCKS; i++)
		st->source[i] = DHP_MEM_SRC_BOOT;
	st->nin = LC_NEV / 2 + lc_below(rng, LC_NEV / 2 + 1);
	for (i = 0; i < st->nin; i++) {
		if (!lc_below(rng, 10)) {
			st->in[i] = lc_mem(lc_below(rng, 2) ? DHP_EV_CPU_ARRIVAL :
					   DHP_EV_CPU_REMOVAL, i + 1, 0, 0);
			st->in[i].cpu.cpu = lc_below(rng, 8);
			run = false;
			continue;
		}
		next = b + dir;
		removing = kind == DHP_EV_MEM_REMOVAL;
		/* the run goes on if the next block is there to take */
		fits = next >= 0 && next < LC_NBLOCKS &&
		       ((online >> next) & 1) == removing;
		if (!run || !lc_below(rng, 4) || !fits) {
			/* a new run, anywhere, either way */
			b = lc_below(rng, LC_NBLOCKS);
			dir = lc_below(rng, 2) ? 1 : -1;
			kind = ((online >> b) & 1) ? DHP_EV_MEM_REMOVAL :
						   DHP_EV_MEM_ARRIVAL;
			source = lc_below(rng, 2) ? DHP_MEM_SRC_ACPI_DIMM :
						    DHP_MEM_SRC_VIRTIO_MEM;
		} else {
			b = next;
		}
		if (kind == DHP_EV_MEM_ARRIVAL) {
			st->source[b] = source;
			online |= 1U << b;
		} else {
			online &= ~(1U << b);
		}
		lc_block_event(&st->in[i], i + 1, kind, b, st->source[b]);
		run = true;
	}
	st->online_after = online;
}

/*
 * Folds the stream as dhp hands it to a client: each event merged into the
 * one before when dhp_mem_mergeable() says so, unless the client's worker
 * took that one already (at random points).
 */
static void lc_stream_fold(struct lc_stream *st, u32 *rng)
{
	struct dhp_event *last;
	bool taken = true;
	unsigned int i;

	st->nout = 0;
	for (i = 0; i < st->nin; i++) {
		last = st->nout ? &st->out[st->nout - 1] : NULL;
		if (!taken && dhp_mem_mergeable(last, &st->in[i]))
			dhp_mem_merge(last, &st->in[i]);
		else
			st->out[st->nout++] = st->in[i];
		taken = !lc_below(rng, 5);
	}
}

static bool lc_is_mem(const struct dhp_event *e)
{
	return e->kind == DHP_EV_MEM_ARRIVAL || e->kind == DHP_EV_MEM_REMOVAL;
}

/*
 * What is wrong with the folded stream, or NULL: each merged event must
 * stand for the very events its sequence numbers name, all alike, their
 * ranges disjoint and exactly filling its range; nothing lost or repeated;
 * and replayed on the block map, the merged stream must never bring a
 * block twice or take one that is not there, and end where the events do.
 */
static const char *lc_stream_check(struct lc_stream *st)
{
	const struct dhp_event *o, *e;
	u32 online = st->online_before, covered, bit;
	unsigned int i, j, k = 0;
	u64 seq = 1, size;

	for (j = 0; j < st->nout; j++) {
		o = &st->out[j];
		if (o->seq != seq || !o->count)
			return "sequence numbers skipped or repeated";
		if (o->count > 1 && !lc_is_mem(o))
			return "CPU events merged";
		covered = 0;
		size = 0;
		for (i = 0; i < o->count; i++, k++) {
			if (k == st->nin)
				return "counts add up to more events than came";
			e = &st->in[k];
			if (e->kind != o->kind)
				return "events of different kinds merged";
			if (!lc_is_mem(e))
				continue;
			if (e->mem.node != o->mem.node ||
			    e->mem.source != o->mem.source)
				return "events of different nodes or sources merged";
			if (e->mem.start < o->mem.start ||
			    e->mem.start + e->mem.size >
			    o->mem.start + o->mem.size)
				return "a merged range misses one of its events";
			bit = 1U << ((e->mem.start - LC_BASE) >> LC_BLOCK_SHIFT);
			if (covered & bit)
				return "merged ranges overlap";
			covered |= bit;
			size += e->mem.size;
		}
		seq += o->count;
		if (!lc_is_mem(o))
			continue;
		if (size != o->mem.size)
			return "merged sizes do not add up";
		if (o->kind == DHP_EV_MEM_ARRIVAL) {
			if (online & covered)
				return "a block arrives twice";
			online |= covered;
		} else {
			if ((online & covered) != covered)
				return "a block leaves twice";
			online &= ~covered;
		}
		if (o->count > 1)
			st->merges++;
		if (o->count > 1 && st->in[k - o->count].mem.start > o->mem.start)
			st->descending++;
	}
	if (k != st->nin)
		return "events lost: counts add up to fewer than came";
	if (online != st->online_after)
		return "the merged stream ends with other blocks online";
	return NULL;
}

LC_CASE(merge_random_streams_lose_and_repeat_nothing)
{
	struct lc_stream *st = &lc_stream;
	const char *why;
	unsigned int run;
	u32 rng;

	st->merges = 0;
	st->descending = 0;
	for (run = 0; run < 300; run++) {
		rng = lc_seed(run);
		lc_stream_make(st, &rng);
		lc_stream_fold(st, &rng);
		why = lc_stream_check(st);
		LC_ASSERT_MSG(!why, "seed %u: %s", run, why);
	}
	/* the streams did merge, both ways, so the checks saw merges */
	LC_EXPECT_TRUE(st->merges > 100);
	LC_EXPECT_TRUE(st->descending > 20);
}

/* ---- The high-memory condition (dhp_hyst_next) ------------------------ */

LC_CASE(hysteresis_does_not_flap)
{
	/* available memory over time against low 768, high 1024 */
	static const unsigned long avail[] = { 500, 900, 1023, 1024, 900,
					       768, 767, 900, 1023, 2000 };
	static const bool want[] = { 0, 0, 0, 1, 1, 1, 0, 0, 0, 1 };
	bool state = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(avail); i++) {
		state = dhp_hyst_next(state, avail[i], 768, 1024);
		LC_ASSERT_MSG(state == want[i], "step %u", i);
	}
}

LC_CASE(hysteresis_edges)
{
	LC_EXPECT_FALSE(dhp_hyst_next(false, 1023, 768, 1024));
	LC_EXPECT_TRUE(dhp_hyst_next(false, 1024, 768, 1024));
	LC_EXPECT_TRUE(dhp_hyst_next(true, 768, 768, 1024));
	LC_EXPECT_FALSE(dhp_hyst_next(true, 767, 768, 1024));
	LC_EXPECT_TRUE(dhp_hyst_next(true, ~0UL, 768, 1024));
	LC_EXPECT_FALSE(dhp_hyst_next(false, 0, 768, 1024));
	LC_EXPECT_FALSE(dhp_hyst_next(true, 0, 1, 2));
	/* low == high: a plain threshold */
	LC_EXPECT_TRUE(dhp_hyst_next(false, 512, 512, 512));
	LC_EXPECT_FALSE(dhp_hyst_next(true, 511, 512, 512));
}

/*
 * Random walks with jumps through random bands: the condition must be set
 * exactly when the last reading outside [low, high) was at or above high,
 * so it changes once per crossing of the band and never inside it.
 */
LC_CASE(hysteresis_random_walks_change_once_per_crossing)
{
	unsigned long low, high, avail;
	unsigned int run, i, flips = 0;
	bool state, above, next;
	long delta;
	u32 rng;

	for (run = 0; run < 200; run++) {
		rng = lc_seed(run);
		low = 256 + lc_below(&rng, 1024);
		high = low + 1 + lc_below(&rng, 512);
		avail = lc_below(&rng, 2048);
		state = false;		/* dhp starts with the condition clear */
		above = false;
		for (i = 0; i < 200; i++) {
			delta = (long)lc_below(&rng, 129) - 64;
			if (!lc_below(&rng, 16))
				avail = lc_below(&rng, 2048);
			else if (delta < 0 && avail < (unsigned long)-delta)
				avail = 0;
			else
				avail += delta;
			next = dhp_hyst_next(state, avail, low, high);
			if (avail >= high)
				above = true;
			else if (avail < low)
				above = false;
			LC_ASSERT_MSG(next == above,
				      "seed %u step %u: %d at %lu, band %lu..%lu",
				      run, i, next, avail, low, high);
			/* and a second look at the same reading changes nothing */
			LC_ASSERT_MSG(dhp_hyst_next(next, avail, low, high) == next,
				      "seed %u step %u: not stable at %lu",
				      run, i, avail);
			flips += next != state;
			state = next;
		}
	}
	LC_EXPECT_TRUE(flips > 100);	/* the walks did cross the bands */
}

/* ---- The synchronous protocol's step rule (dhp_proto_step) ------------ */

/* Every (state, step), also unknown ones: due or not, and where to. */
LC_CASE(proto_step_table)
{
	/* the state a step moves to, plus one; 0: not due */
	static const u8 want[DHP_CC_REMOVING + 3][DHP_CPU_NR_STATES + 1] = {
		[DHP_CC_NONE] = {
			[DHP_CPU_ADD_START] = DHP_CC_STARTED + 1,
		},
		[DHP_CC_STARTED] = {
			[DHP_CPU_ADD_COMPLETE] = DHP_CC_UP + 1,
			[DHP_CPU_ADD_FAILURE] = DHP_CC_NONE + 1,
		},
		[DHP_CC_UP] = {
			[DHP_CPU_REMOVE_START] = DHP_CC_REMOVING + 1,
		},
		[DHP_CC_REMOVING] = {
			[DHP_CPU_REMOVE_COMPLETE] = DHP_CC_NONE + 1,
			[DHP_CPU_REMOVE_FAILURE] = DHP_CC_UP + 1,
		},
	};
	unsigned int cur, step;
	bool due;
	u8 next;

	for (cur = 0; cur < ARRAY_SIZE(want); cur++) {
		for (step = 0; step < ARRAY_SIZE(want[0]); step++) {
			next = 0xa5;
			due = dhp_proto_step(cur, (enum dhp_cpu_state)step,
					     &next);
			LC_ASSERT_MSG(due == !!want[cur][step],
				      "state %u step %u: due %d", cur, step,
				      due);
			LC_ASSERT_MSG(next == (due ? want[cur][step] - 1 : 0xa5),
				      "state %u step %u: next %u", cur, step,
				      next);
		}
	}
}

/*
 * The model: dhp's fan-out (dhp_cpu.c) driven by the cpuhp callbacks dhp
 * sees, in random order, for several clients and CPUs, with the step rule
 * deciding every delivery as in dhp. Each client checks what it receives
 * against the protocol on its own terms, and the model knows which clients
 * each CPU's current add concerns: those registered when its prepare
 * succeeded, or that replayed it.
 */
#define LC_CPUS		4
#define LC_CLIENTS	6
#define LC_NEVER	DHP_CPU_NR_STATES	/* no step seen yet */

enum lc_phase { LC_OFFLINE, LC_PREPARED, LC_ONLINE, LC_GOING_DOWN };

/* The paths the random sequences must take, so that passing means much. */
enum lc_path {
	LC_P_ADD,		/* prepare, online */
	LC_P_VETO,		/* prepare vetoed by a client */
	LC_P_CANCEL,		/* dead after prepare: a later add step failed */
	LC_P_REMOVE,		/* offline, dead */
	LC_P_ROLLBACK,		/* online after offline: the offline failed */
	LC_P_MID_WAY,		/* registered while a CPU is between states */
	LC_P_REPLAY,		/* registered with ADD_EXISTING */
	LC_P_REPLAY_VETO,	/* ... and vetoed it */
	LC_NR_PATHS,
};

static const char *const lc_path_names[LC_NR_PATHS] = {
	"add", "veto", "cancel", "remove", "rollback", "register mid-way",
	"replay", "replay veto",
};

struct lc_client {
	u8 proto[LC_CPUS];	/* what dhp keeps: enum dhp_proto */
	u8 last[LC_CPUS];	/* the client's view: the last step, LC_NEVER */
	bool told[LC_CPUS];	/* the model: the CPU's add concerns it */
	unsigned int got[DHP_CPU_NR_STATES];
};

struct lc_sim {
	bool (*rule)(u8 cur, enum dhp_cpu_state step, u8 *next);
	u32 rng;
	unsigned int step;
	u8 phase[LC_CPUS];
	struct lc_client c[LC_CLIENTS];	/* registration order */
	unsigned int nr;		/* registered */
	unsigned int paths[LC_NR_PATHS];
	const char *why;		/* the first violation, or NULL */
	unsigned int why_step, why_client, why_cpu;
};

static struct lc_sim lc_sim;

static void lc_fail(struct lc_sim *s, const char *why, unsigned int client,
		    unsigned int cpu)
{
	if (s->why)
		return;
	s->why = why;
	s->why_step = s->step;
	s->why_client = client;
	s->why_cpu = cpu;
}

/* The client's side: may @step follow @last for one CPU? */
static bool lc_follows(u8 last, enum dhp_cpu_state step)
{
	switch (step) {
	case DHP_CPU_ADD_START:
		return last == LC_NEVER || last == DHP_CPU_ADD_FAILURE ||
		       last == DHP_CPU_REMOVE_COMPLETE;
	case DHP_CPU_ADD_COMPLETE:
	case DHP_CPU_ADD_FAILURE:
		return last == DHP_CPU_ADD_START;
	case DHP_CPU_REMOVE_START:
		return last == DHP_CPU_ADD_COMPLETE ||
		       last == DHP_CPU_REMOVE_FAILURE;
	default:
		return last == DHP_CPU_REMOVE_START;
	}
}

/* Whether, after @last, the client holds nothing of the CPU. */
static bool lc_down(u8 last)
{
	return last == LC_NEVER || last == DHP_CPU_ADD_FAILURE ||
	       last == DHP_CPU_REMOVE_COMPLETE;
}

/*
 * dhp_cpu_call() behind the due check of dhp_cpu_fan_out(): @step reaches
 * client @i when the rule says it is due. @always: dhp makes this call
 * without asking (prepare, replay), so it had better be due.
 */
static void lc_call(struct lc_sim *s, unsigned int i, unsigned int cpu,
		    enum dhp_cpu_state step, bool always)
{
	struct lc_client *c = &s->c[i];
	u8 next;

	if (!s->rule(c->proto[cpu], step, &next)) {
		if (always)
			lc_fail(s, "a step dhp makes unasked is not due", i, cpu);
		return;
	}
	c->proto[cpu] = next;
	if (!lc_follows(c->last[cpu], step))
		lc_fail(s, "a step delivered twice or out of order", i, cpu);
	c->last[cpu] = step;
	c->got[step]++;
}

static void lc_fan_out(struct lc_sim *s, unsigned int cpu,
		       enum dhp_cpu_state step, bool reverse)
{
	unsigned int k;

	for (k = 0; k < s->nr; k++)
		lc_call(s, reverse ? s->nr - 1 - k : k, cpu, step, false);
}

/* dhp_cpu_prepare(), where client @veto (if < nr) vetoes. */
static void lc_prepare(struct lc_sim *s, unsigned int cpu, unsigned int veto)
{
	unsigned int i;

	for (i = 0; i < s->nr; i++) {
		lc_call(s, i, cpu, DHP_CPU_ADD_START, true);
		if (i == veto) {
			lc_fan_out(s, cpu, DHP_CPU_ADD_FAILURE, true);
			s->paths[LC_P_VETO]++;
			return;
		}
	}
	s->phase[cpu] = LC_PREPARED;
	for (i = 0; i < s->nr; i++)
		s->c[i].told[cpu] = true;
}

/* dhp_cpu_online(): an add completes, or a failed offline is undone. */
static void lc_online(struct lc_sim *s, unsigned int cpu)
{
	if (s->phase[cpu] == LC_GOING_DOWN) {
		lc_fan_out(s, cpu, DHP_CPU_REMOVE_FAILURE, false);
		s->paths[LC_P_ROLLBACK]++;
	} else {
		lc_fan_out(s, cpu, DHP_CPU_ADD_COMPLETE, false);
		s->paths[LC_P_ADD]++;
	}
	s->phase[cpu] = LC_ONLINE;
}

/* dhp_cpu_offline() */
static void lc_offline(struct lc_sim *s, unsigned int cpu)
{
	lc_fan_out(s, cpu, DHP_CPU_REMOVE_START, true);
	s->phase[cpu] = LC_GOING_DOWN;
}

/* dhp_cpu_dead(): a removal completes, or a prepared add is cancelled. */
static void lc_dead(struct lc_sim *s, unsigned int cpu)
{
	unsigned int i;

	if (s->phase[cpu] == LC_PREPARED) {
		lc_fan_out(s, cpu, DHP_CPU_ADD_FAILURE, true);
		s->paths[LC_P_CANCEL]++;
	} else {
		lc_fan_out(s, cpu, DHP_CPU_REMOVE_COMPLETE, true);
		s->paths[LC_P_REMOVE]++;
	}
	s->phase[cpu] = LC_OFFLINE;
	for (i = 0; i < s->nr; i++)
		s->c[i].told[cpu] = false;
}

/*
 * A new client, told nothing yet (NONE everywhere); with @replay,
 * dhp_cpu_replay() for the online CPUs, vetoed at CPU @veto if it is one:
 * the client then gets ADD_FAILURE, its replayed CPUs are taken back and it
 * is not registered.
 */
static void lc_register(struct lc_sim *s, bool replay, unsigned int veto)
{
	struct lc_client *c = &s->c[s->nr];
	unsigned int cpu, k, i = s->nr;
	u8 next;

	for (cpu = 0; cpu < LC_CPUS; cpu++) {
		c->proto[cpu] = DHP_CC_NONE;
		c->last[cpu] = LC_NEVER;
		c->told[cpu] = false;
		if (s->phase[cpu] == LC_PREPARED ||
		    s->phase[cpu] == LC_GOING_DOWN)
			s->paths[LC_P_MID_WAY]++;
	}
	for (k = 0; k < DHP_CPU_NR_STATES; k++)
		c->got[k] = 0;
	if (!replay) {
		s->nr++;
		return;
	}
	s->paths[LC_P_REPLAY]++;
	for (cpu = 0; cpu < LC_CPUS; cpu++) {
		if (s->phase[cpu] != LC_ONLINE)
			continue;
		lc_call(s, i, cpu, DHP_CPU_ADD_START, true);
		if (cpu == veto) {
			lc_call(s, i, cpu, DHP_CPU_ADD_FAILURE, true);
			break;
		}
		lc_call(s, i, cpu, DHP_CPU_ADD_COMPLETE, true);
		c->told[cpu] = true;
	}
	if (cpu == LC_CPUS) {
		s->nr++;
		return;
	}
	s->paths[LC_P_REPLAY_VETO]++;
	for (cpu = LC_CPUS; cpu-- > 0;) {
		if (!s->rule(c->proto[cpu], DHP_CPU_REMOVE_START, &next))
			continue;
		lc_call(s, i, cpu, DHP_CPU_REMOVE_START, true);
		lc_call(s, i, cpu, DHP_CPU_REMOVE_COMPLETE, true);
	}
	for (cpu = 0; cpu < LC_CPUS; cpu++)
		if (!lc_down(c->last[cpu]))
			lc_fail(s, "a vetoed replay left a CPU held", i, cpu);
}

/*
 * Every client's view of @cpu against the CPU's phase: a client the add
 * concerns holds exactly the step the phase implies, with no START left
 * unanswered once the CPU is online or offline; any other holds nothing.
 */
static void lc_check_cpu(struct lc_sim *s, unsigned int cpu)
{
	const struct lc_client *c;
	unsigned int i;
	u8 last;

	for (i = 0; i < s->nr; i++) {
		c = &s->c[i];
		last = c->last[cpu];
		if (!c->told[cpu]) {
			if (!lc_down(last))
				lc_fail(s, "START unanswered, or a step of an add not told of",
					i, cpu);
			continue;
		}
		switch (s->phase[cpu]) {
		case LC_PREPARED:
			if (last != DHP_CPU_ADD_START)
				lc_fail(s, "prepared, but no ADD_START", i, cpu);
			break;
		case LC_ONLINE:
			if (last != DHP_CPU_ADD_COMPLETE &&
			    last != DHP_CPU_REMOVE_FAILURE)
				lc_fail(s, "online, but no ADD_COMPLETE or REMOVE_FAILURE",
					i, cpu);
			break;
		case LC_GOING_DOWN:
			if (last != DHP_CPU_REMOVE_START)
				lc_fail(s, "going down, but no REMOVE_START", i,
					cpu);
			break;
		default:
			lc_fail(s, "told of an offline CPU", i, cpu);
		}
	}
}

/* One thing happens: a client registers, or cpuhp moves a CPU on. */
static void lc_event(struct lc_sim *s)
{
	unsigned int cpu, veto = LC_CLIENTS;

	if (s->nr < LC_CLIENTS && !lc_below(&s->rng, 8)) {
		if (lc_below(&s->rng, 2))
			veto = lc_below(&s->rng, LC_CPUS);
		lc_register(s, lc_below(&s->rng, 2), veto);
		for (cpu = 0; cpu < LC_CPUS; cpu++)
			lc_check_cpu(s, cpu);
		return;
	}
	cpu = lc_below(&s->rng, LC_CPUS);
	switch (s->phase[cpu]) {
	case LC_OFFLINE:
		if (s->nr && !lc_below(&s->rng, 4))
			veto = lc_below(&s->rng, s->nr);
		lc_prepare(s, cpu, veto);
		break;
	case LC_PREPARED:
		if (lc_below(&s->rng, 4))
			lc_online(s, cpu);
		else
			lc_dead(s, cpu);
		break;
	case LC_ONLINE:
		lc_offline(s, cpu);
		break;
	default:
		if (lc_below(&s->rng, 4))
			lc_dead(s, cpu);
		else
			lc_online(s, cpu);
	}
	lc_check_cpu(s, cpu);
}

/*
 * A run of @steps random events from @seed under @rule, then every CPU
 * taken to rest (online or offline) and the steps counted: each client got
 * one COMPLETE or FAILURE per START. The first violation is in s->why.
 */
static void lc_sim_run(struct lc_sim *s, u32 seed, unsigned int steps,
		       bool (*rule)(u8 cur, enum dhp_cpu_state step, u8 *next))
{
	const unsigned int *got;
	unsigned int cpu, i;

	s->rule = rule;
	s->rng = seed;
	s->nr = 0;
	s->why = NULL;
	for (i = 0; i < LC_NR_PATHS; i++)
		s->paths[i] = 0;
	for (cpu = 0; cpu < LC_CPUS; cpu++)
		s->phase[cpu] = lc_below(&s->rng, 2) ? LC_ONLINE : LC_OFFLINE;
	for (s->step = 0; s->step < steps && !s->why; s->step++)
		lc_event(s);
	for (cpu = 0; cpu < LC_CPUS; cpu++) {
		if (s->phase[cpu] == LC_PREPARED)
			lc_online(s, cpu);
		else if (s->phase[cpu] == LC_GOING_DOWN)
			lc_dead(s, cpu);
		lc_check_cpu(s, cpu);
	}
	for (i = 0; i < s->nr; i++) {
		got = s->c[i].got;
		if (got[DHP_CPU_ADD_START] != got[DHP_CPU_ADD_COMPLETE] +
		    got[DHP_CPU_ADD_FAILURE])
			lc_fail(s, "ADD_STARTs and their answers differ", i,
				LC_CPUS);
		if (got[DHP_CPU_REMOVE_START] != got[DHP_CPU_REMOVE_COMPLETE] +
		    got[DHP_CPU_REMOVE_FAILURE])
			lc_fail(s, "REMOVE_STARTs and their answers differ", i,
				LC_CPUS);
	}
}

#define LC_SIM_RUNS	200
#define LC_SIM_STEPS	400

LC_CASE(proto_random_hotplug_answers_every_start_once)
{
	unsigned int paths[LC_NR_PATHS] = { 0 };
	struct lc_sim *s = &lc_sim;
	unsigned int run, p;

	for (run = 0; run < LC_SIM_RUNS; run++) {
		lc_sim_run(s, lc_seed(run), LC_SIM_STEPS, dhp_proto_step);
		LC_ASSERT_MSG(!s->why, "seed %u step %u client %u cpu %u: %s",
			      run, s->why_step, s->why_client, s->why_cpu,
			      s->why);
		for (p = 0; p < LC_NR_PATHS; p++)
			paths[p] += s->paths[p];
	}
	for (p = 0; p < LC_NR_PATHS; p++)
		LC_ASSERT_MSG(paths[p] >= 20, "path \"%s\" taken %u times",
			      lc_path_names[p], paths[p]);
}

/* Wrong rules the model must catch, lest its passing mean nothing. */

/* REMOVE_START also to clients not told of the CPU. */
static bool lc_rule_remove_any(u8 cur, enum dhp_cpu_state step, u8 *next)
{
	if (step != DHP_CPU_REMOVE_START)
		return dhp_proto_step(cur, step, next);
	*next = DHP_CC_REMOVING;
	return true;
}

/* ADD_FAILURE also to clients that got no ADD_START. */
static bool lc_rule_fail_any(u8 cur, enum dhp_cpu_state step, u8 *next)
{
	if (step != DHP_CPU_ADD_FAILURE || cur != DHP_CC_NONE)
		return dhp_proto_step(cur, step, next);
	*next = DHP_CC_NONE;
	return true;
}

/* An undone offline forgets the client, which misses the next removal. */
static bool lc_rule_forget(u8 cur, enum dhp_cpu_state step, u8 *next)
{
	bool due = dhp_proto_step(cur, step, next);

	if (due && step == DHP_CPU_REMOVE_FAILURE)
		*next = DHP_CC_NONE;
	return due;
}

/* ADD_COMPLETE leaves the client STARTED. */
static bool lc_rule_stay(u8 cur, enum dhp_cpu_state step, u8 *next)
{
	bool due = dhp_proto_step(cur, step, next);

	if (due && step == DHP_CPU_ADD_COMPLETE)
		*next = DHP_CC_STARTED;
	return due;
}

LC_CASE(proto_model_catches_wrong_rules)
{
	static bool (*const rules[])(u8 cur, enum dhp_cpu_state step,
				     u8 *next) = {
		lc_rule_remove_any, lc_rule_fail_any, lc_rule_forget,
		lc_rule_stay,
	};
	struct lc_sim *s = &lc_sim;
	unsigned int r, run;

	for (r = 0; r < ARRAY_SIZE(rules); r++) {
		s->why = NULL;
		for (run = 0; run < LC_SIM_RUNS && !s->why; run++)
			lc_sim_run(s, lc_seed(run), LC_SIM_STEPS, rules[r]);
		LC_ASSERT_MSG(!!s->why, "wrong rule %u passed %u runs", r, run);
	}
}

/* ---- The INCLUDE_EXISTING snapshot (dhp_ev_snapshot) ------------------ */

/*
 * Two fake sources, a CPU one (0) and a memory one (1), that write what is
 * done to them into a trace: 'L' lock, 'E' existing, 'U' unlock, each
 * followed by the source's number, and 'A' for the attach, which also
 * records how many sources were locked at that moment.
 */
static struct lc_snap {
	u8 trace[16];
	unsigned int len, locked, locked_at_attach;
	int fail[2];		/* what existing() of each source returns */
} lc_snap;

static void lc_snap_put(u8 what, u8 src)
{
	if (lc_snap.len + 2 <= ARRAY_SIZE(lc_snap.trace)) {
		lc_snap.trace[lc_snap.len++] = what;
		lc_snap.trace[lc_snap.len++] = src;
	}
}

static void lc_snap_lock0(void)
{
	lc_snap.locked++;
	lc_snap_put('L', 0);
}

static void lc_snap_lock1(void)
{
	lc_snap.locked++;
	lc_snap_put('L', 1);
}

static void lc_snap_unlock0(void)
{
	lc_snap.locked--;
	lc_snap_put('U', 0);
}

static void lc_snap_unlock1(void)
{
	lc_snap.locked--;
	lc_snap_put('U', 1);
}

static int lc_snap_existing0(struct list_head *out)
{
	lc_snap_put('E', 0);
	return lc_snap.fail[0];
}

static int lc_snap_existing1(struct list_head *out)
{
	lc_snap_put('E', 1);
	return lc_snap.fail[1];
}

static void lc_snap_attach(void *arg)
{
	lc_snap.locked_at_attach = lc_snap.locked;
	lc_snap_put('A', *(u8 *)arg);
}

static const struct dhp_ev_source lc_snap_cpu = {
	.category = DHP_EV_PROCESSOR,
	.lock = lc_snap_lock0, .unlock = lc_snap_unlock0,
	.existing = lc_snap_existing0,
};

static const struct dhp_ev_source lc_snap_mem = {
	.category = DHP_EV_MEMORY,
	.lock = lc_snap_lock1, .unlock = lc_snap_unlock1,
	.existing = lc_snap_existing1,
};

/*
 * Runs one snapshot of both sources wanting @want, existing() of each
 * returning @fail0 and @fail1; returns its result. The trace is compared
 * with @expect (a string of letter-digit pairs) by lc_snap_diff().
 */
static int lc_snap_run(unsigned int want, int fail0, int fail1)
{
	static const struct dhp_ev_source *const src[] = {
		&lc_snap_cpu, &lc_snap_mem,
	};
	u8 tag = 9;

	lc_snap.len = 0;
	lc_snap.locked = 0;
	lc_snap.locked_at_attach = 0;
	lc_snap.fail[0] = fail0;
	lc_snap.fail[1] = fail1;
	return dhp_ev_snapshot(src, ARRAY_SIZE(src), want, NULL,
			       lc_snap_attach, &tag);
}

/* The first position where the trace and @expect differ, or -1. */
static int lc_snap_diff(const char *expect)
{
	unsigned int i;

	for (i = 0; expect[i] && expect[i + 1]; i += 2) {
		if (i >= lc_snap.len || lc_snap.trace[i] != (u8)expect[i] ||
		    lc_snap.trace[i + 1] != (u8)(expect[i + 1] - '0'))
			return i;
	}
	return i == lc_snap.len ? -1 : (int)i;
}

LC_CASE(snapshot_locks_every_source_then_attaches)
{
	LC_EXPECT_EQ(0, lc_snap_run(DHP_EV_PROCESSOR | DHP_EV_MEMORY, 0, 0));
	/* 9 is the attach's tag, passed through @arg */
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1E0E1A9U1U0"));
	LC_EXPECT_EQ(2, lc_snap.locked_at_attach);
	LC_EXPECT_EQ(0, lc_snap.locked);
}

LC_CASE(snapshot_asks_only_the_wanted_sources)
{
	LC_EXPECT_EQ(0, lc_snap_run(DHP_EV_MEMORY, 0, 0));
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1E1A9U1U0"));
	LC_EXPECT_EQ(0, lc_snap_run(DHP_EV_PROCESSOR, 0, 0));
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1E0A9U1U0"));
	/* without INCLUDE_EXISTING: the locks still order the attach */
	LC_EXPECT_EQ(0, lc_snap_run(0, 0, 0));
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1A9U1U0"));
	LC_EXPECT_EQ(2, lc_snap.locked_at_attach);
}

LC_CASE(snapshot_failure_attaches_nothing_and_unlocks)
{
	LC_EXPECT_EQ(-12, lc_snap_run(DHP_EV_PROCESSOR | DHP_EV_MEMORY,
				      -12, 0));
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1E0U1U0"));
	LC_EXPECT_EQ(-12, lc_snap_run(DHP_EV_PROCESSOR | DHP_EV_MEMORY,
				      0, -12));
	LC_EXPECT_EQ(-1, lc_snap_diff("L0L1E0E1U1U0"));
	LC_EXPECT_EQ(0, lc_snap.locked);
}

/*
 * The cases in the order they run, as an array initializer: the adapter
 * defines LC_ENTRY(case) for one element and LC_END for the terminator.
 */
#define LC_ALL_CASES {						\
	LC_ENTRY(spread_one_cpu),				\
	LC_ENTRY(spread_more_irqs_than_cpus_wraps_evenly),	\
	LC_ENTRY(spread_prefers_the_device_node),		\
	LC_ENTRY(spread_spills_to_the_next_node),		\
	LC_ENTRY(spread_node_with_one_cpu),			\
	LC_ENTRY(spread_empty_node_takes_the_nearest),		\
	LC_ENTRY(spread_cores_before_siblings),			\
	LC_ENTRY(spread_cores_first_within_the_node),		\
	LC_ENTRY(spread_offset_staggers_devices),		\
	LC_ENTRY(spread_unequal_cores_still_cores_first),	\
	LC_ENTRY(spread_sparse_cpu_numbers),			\
	LC_ENTRY(spread_no_irqs_writes_nothing),		\
	LC_ENTRY(spread_one_irq_per_candidate),			\
	LC_ENTRY(spread_random_sets_balance_and_prefer_the_nearest),	\
	LC_ENTRY(merge_ascending_blocks),			\
	LC_ENTRY(merge_descending_removals),			\
	LC_ENTRY(merge_refuses_what_would_lie),			\
	LC_ENTRY(merge_of_merged_events_adds_counts),		\
	LC_ENTRY(merge_keeps_the_node_first_and_last),		\
	LC_ENTRY(merge_grows_at_both_ends),			\
	LC_ENTRY(merge_random_streams_lose_and_repeat_nothing),	\
	LC_ENTRY(hysteresis_does_not_flap),			\
	LC_ENTRY(hysteresis_edges),				\
	LC_ENTRY(hysteresis_random_walks_change_once_per_crossing),	\
	LC_ENTRY(proto_step_table),				\
	LC_ENTRY(proto_random_hotplug_answers_every_start_once),	\
	LC_ENTRY(proto_model_catches_wrong_rules),		\
	LC_ENTRY(snapshot_locks_every_source_then_attaches),	\
	LC_ENTRY(snapshot_asks_only_the_wanted_sources),	\
	LC_ENTRY(snapshot_failure_attaches_nothing_and_unlocks),	\
	LC_END							\
}

#endif /* _DHP_LOGIC_CASES_H */
