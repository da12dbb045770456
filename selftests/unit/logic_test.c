// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of dhp's pure logic, built and run on the host: the IRQ
 * spread (dhp_spread.h), memory event merging and the high-memory
 * hysteresis (dhp_logic.h). The headers are the ones dhp.ko compiles.
 */
#include <stdbool.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u64 u64;

#include "kselftest_harness.h"
#include "include/dhp.h"
#include "dhp_logic.h"
#include "dhp_spread.h"

TEST(spread_one_cpu)
{
	unsigned int cpus[] = { 0 }, out[4];
	int nodes[] = { 0 };

	ASSERT_EQ(1, dhp_spread(4, cpus, nodes, 1, -1, 0, out));
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(0, out[i]);
}

TEST(spread_more_irqs_than_cpus_wraps_evenly)
{
	unsigned int cpus[] = { 0, 1, 2 }, out[7], count[3] = { 0 };
	int nodes[] = { 0, 0, 0 };

	ASSERT_EQ(3, dhp_spread(7, cpus, nodes, 3, -1, 0, out));
	for (int i = 0; i < 7; i++) {
		EXPECT_EQ(cpus[i % 3], out[i]);
		count[out[i]]++;
	}
	/* no CPU gets two more than another */
	EXPECT_EQ(3, count[0]);
	EXPECT_EQ(2, count[1]);
	EXPECT_EQ(2, count[2]);
}

TEST(spread_prefers_the_device_node)
{
	unsigned int cpus[] = { 0, 1, 4, 5, 6 }, out[4];
	int nodes[] = { 0, 0, 1, 1, 1 };

	ASSERT_EQ(3, dhp_spread(4, cpus, nodes, 5, 1, 0, out));
	EXPECT_EQ(4, out[0]);
	EXPECT_EQ(5, out[1]);
	EXPECT_EQ(6, out[2]);
	EXPECT_EQ(4, out[3]);
}

TEST(spread_empty_node_falls_back_to_all)
{
	unsigned int cpus[] = { 0, 1, 2, 3 }, out[4];
	int nodes[] = { 0, 0, 1, 1 };

	/* node 2 has no online CPU, and no node at all means the same */
	ASSERT_EQ(4, dhp_spread(4, cpus, nodes, 4, 2, 0, out));
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(cpus[i], out[i]);
	ASSERT_EQ(4, dhp_spread(4, cpus, nodes, 4, -1, 0, out));
	EXPECT_EQ(3, out[3]);
}

TEST(spread_offset_staggers_devices)
{
	unsigned int cpus[] = { 0, 2, 5 }, a[1], b[1], c[1];
	int nodes[] = { 0, 0, 0 };

	dhp_spread(1, cpus, nodes, 3, -1, 0, a);
	dhp_spread(1, cpus, nodes, 3, -1, 1, b);
	dhp_spread(1, cpus, nodes, 3, -1, 5, c);
	EXPECT_EQ(0, a[0]);
	EXPECT_EQ(2, b[0]);
	EXPECT_EQ(5, c[0]);	/* 5 mod 3 = 2: the third candidate */
}

TEST(spread_sparse_cpu_numbers)
{
	unsigned int cpus[] = { 3, 17, 63 }, out[3];
	int nodes[] = { 1, 0, 1 };

	ASSERT_EQ(2, dhp_spread(3, cpus, nodes, 3, 1, 0, out));
	EXPECT_EQ(3, out[0]);
	EXPECT_EQ(63, out[1]);
	EXPECT_EQ(3, out[2]);
}

static struct dhp_event mem(enum dhp_event_kind kind, u64 seq, u64 start,
			    u64 size)
{
	struct dhp_event e = { .seq = seq, .count = 1, .kind = kind };

	e.mem.start = start;
	e.mem.size = size;
	return e;
}

#define MB 1048576ULL

TEST(merge_ascending_blocks)
{
	struct dhp_event a = mem(DHP_EV_MEM_ARRIVAL, 10, 4096 * MB, 128 * MB);
	struct dhp_event b = mem(DHP_EV_MEM_ARRIVAL, 11, 4224 * MB, 128 * MB);
	struct dhp_event c = mem(DHP_EV_MEM_ARRIVAL, 12, 4352 * MB, 128 * MB);

	ASSERT_TRUE(dhp_mem_mergeable(&a, &b));
	dhp_mem_merge(&a, &b);
	ASSERT_TRUE(dhp_mem_mergeable(&a, &c));
	dhp_mem_merge(&a, &c);
	EXPECT_EQ(4096 * MB, a.mem.start);
	EXPECT_EQ(384 * MB, a.mem.size);
	EXPECT_EQ(3, a.count);
	EXPECT_EQ(10, a.seq);
}

TEST(merge_descending_removals)
{
	struct dhp_event a = mem(DHP_EV_MEM_REMOVAL, 5, 4224 * MB, 128 * MB);
	struct dhp_event b = mem(DHP_EV_MEM_REMOVAL, 6, 4096 * MB, 128 * MB);

	ASSERT_TRUE(dhp_mem_mergeable(&a, &b));
	dhp_mem_merge(&a, &b);
	EXPECT_EQ(4096 * MB, a.mem.start);
	EXPECT_EQ(256 * MB, a.mem.size);
}

TEST(merge_refuses_what_would_lie)
{
	struct dhp_event a = mem(DHP_EV_MEM_ARRIVAL, 10, 4096 * MB, 128 * MB);
	struct dhp_event b;

	b = mem(DHP_EV_MEM_ARRIVAL, 12, 4224 * MB, 128 * MB);	/* seq gap */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b = mem(DHP_EV_MEM_REMOVAL, 11, 4224 * MB, 128 * MB);	/* kind */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b = mem(DHP_EV_MEM_ARRIVAL, 11, 4352 * MB, 128 * MB);	/* hole */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b = mem(DHP_EV_MEM_ARRIVAL, 11, 4096 * MB, 128 * MB);	/* overlap */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b = mem(DHP_EV_MEM_ARRIVAL, 11, 4224 * MB, 128 * MB);
	b.mem.node = 1;						/* node */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	b.mem.node = 0;
	b.mem.source = DHP_MEM_SRC_VIRTIO_MEM;			/* source */
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
	a.kind = DHP_EV_CPU_ARRIVAL;				/* CPUs */
	b = a;
	b.seq = 11;
	EXPECT_FALSE(dhp_mem_mergeable(&a, &b));
}

TEST(hysteresis_does_not_flap)
{
	/* available memory over time against low 768, high 1024 */
	const unsigned long avail[] = { 500, 900, 1023, 1024, 900, 768, 767,
					900, 1023, 2000 };
	const bool want[] = { 0, 0, 0, 1, 1, 1, 0, 0, 0, 1 };
	bool state = false;

	for (unsigned int i = 0; i < ARRAY_SIZE(avail); i++) {
		state = dhp_hyst_next(state, avail[i], 768, 1024);
		EXPECT_EQ(want[i], state) TH_LOG("step %u", i);
	}
}

TEST_HARNESS_MAIN
