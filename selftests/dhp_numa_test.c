// SPDX-License-Identifier: GPL-2.0
/*
 * dhp on a guest with two NUMA nodes (scripts/check.py suite "numa"): node
 * 0 with the boot memory and CPUs 0-1, node 1 with CPUs 2-3 and no memory,
 * two SMT threads per core; one boot variant isolates CPU 3 with
 * isolcpus=managed_irq,domain,3. CPU 3 is hot-added into node 1 (6.1) or
 * present and offline (6.12); DIMMs are hot-added into either node.
 *
 * Every expected value comes from the guest's own account: a CPU's node
 * from /sys/devices/system/node/nodeN/cpulist, a memory block's from its
 * memoryX/nodeN link, which nodes have memory from node/has_memory, the
 * isolated CPUs from /proc/cmdline, the spread from dhp_util.c's reading
 * of the README (spread_expected()). IRQ placement is read where the
 * kernel shows it, /proc/irq/N/effective_affinity_list and affinity_hint.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "evclient.h"
#include "hostctl.h"

#define NODE_SYSFS	"/sys/devices/system/node"
#define RBDEV_CTL	"/sys/kernel/debug/dhp_rbdev/ctl"
#define DEFAULT_AFFINITY	"/proc/irq/default_smp_affinity"
#define MAX_IRQS	64
#define NODE_FIRST	0x1U	/* DHP_MEM_NODE_FIRST */
#define NODE_LAST	0x2U	/* DHP_MEM_NODE_LAST */

/* Whether @node has memory, by node/has_memory. */
static bool node_has_memory(int node)
{
	bool set[SPREAD_CPUS] = { false };
	char buf[256];

	/* a node list reads as a CPU list does */
	if (read_file(NODE_SYSFS "/has_memory", buf, sizeof(buf)) < 0)
		return false;
	for (char *p = buf; *p && *p != '\n';) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (; lo <= hi && lo < SPREAD_CPUS; lo++)
			set[lo] = true;
		p = *end == ',' ? end + 1 : end;
	}
	return node >= 0 && node < SPREAD_CPUS && set[node];
}

/* The node of memory block @nr, by its memoryX/nodeN link; -1 if none. */
static int block_node(long nr)
{
	char path[128];
	int node;

	for (node = 0; node < 64; node++) {
		snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/node%d", nr,
			 node);
		if (!access(path, F_OK))
			return node;
	}
	return -1;
}

/* Whether present CPU @cpu is on @node by its cpuN/nodeM link. */
static bool cpu_linked_to(int cpu, int node)
{
	char path[96];

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/node%d", cpu, node);
	return !access(path, F_OK);
}

/*
 * Brings a CPU of @node online: a present offline one, else one hot-added
 * into @node (6.1; 6.12 under TCG has only the present ones). Returns it.
 */
static int cpu_up_on(int node)
{
	char reply[256];
	int cpu, i;

	for (i = 0; i < 300; i++) {
		for (cpu = 1; cpu < SPREAD_CPUS; cpu++)
			if (cpu_state(cpu) == 0 && cpu_linked_to(cpu, node))
				return cpu_set_online(cpu, true) ? -EIO : cpu;
		/* ask once, then wait for the guest to see it */
		if (!i && hostctlf(reply, sizeof(reply), 60000, "cpu-add %d",
				   node))
			return -ENOSPC;
		usleep(100000);
	}
	return -ETIMEDOUT;
}

/* The single CPU of /proc/irq/@irq/@file (a list or a mask), or -1. */
static int irq_on(unsigned int irq, const char *file)
{
	char path[96], buf[256], *c;
	unsigned long long mask = 0;
	int cpu, found = -1;

	snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, file);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (strstr(file, "_list"))
		return strpbrk(buf, "-,") ? -1 : atoi(buf);
	for (c = buf; *c && *c != '\n'; c++)
		if (*c != ',')
			mask = mask << 4 | (*c <= '9' ? *c - '0' : (*c | 32) - 'a' + 10);
	for (cpu = 0; cpu < 64; cpu++)
		if (mask >> cpu & 1)
			found = found < 0 ? cpu : -2;
	return found;
}

/* The numbers of line "@key n n ..." of rbdev device @name's stats. */
static int rbdev_list(const char *name, const char *key, long *out)
{
	static char buf[1 << 14];
	char path[128], *p;
	int n = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dhp_rbdev/%s/stats",
		 name);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n")) {
		if (strncmp(p, key, strlen(key)) || p[strlen(key)] != ' ')
			continue;
		for (p += strlen(key); n < MAX_IRQS && *p == ' ';)
			out[n++] = strtol(p, &p, 10);
		return n;
	}
	return -1;
}

static long dev_starts(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/debug/dhp_rbdev/%s/stats",
		 name);
	return stat_value(path, "starts");
}

/* A round for every device, twice: the second starts after any earlier. */
static bool rebalance_now(const char *name)
{
	long starts, want;
	int round, i;

	for (round = 0; round < 2; round++) {
		starts = dev_starts(name);
		want = starts + 1;
		if (write_file("/sys/kernel/dhp/rebalance/trigger", "1"))
			return false;
		for (i = 0; i < 600 && dev_starts(name) < want; i++)
			usleep(50000);
		if (dev_starts(name) < want)
			return false;
	}
	return true;
}

/* Where @name's IRQs are: effective CPU and hint per IRQ; how many. */
static int placement(const char *name, int *eff, int *hint)
{
	long irqs[MAX_IRQS];
	int i, n = rbdev_list(name, "irqs", irqs);

	for (i = 0; i < n; i++) {
		eff[i] = irq_on(irqs[i], "effective_affinity_list");
		hint[i] = irq_on(irqs[i], "affinity_hint");
	}
	return n;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/*
 * Whether @name's @n IRQs (effective and hint) are on exactly the CPUs of
 * the oracle's window for a device of @node, which they fill: then which
 * IRQ is where depends on dhp's device id, the set does not. Prints the
 * difference.
 */
static bool on_window(const char *name, int node, int n)
{
	int want[MAX_IRQS], eff[MAX_IRQS], hint[MAX_IRQS], i;

	if (spread_expected(node, 0, n, want) != n ||
	    placement(name, eff, hint) != n) {
		fprintf(stderr, "# %s: the window is not %d CPUs\n", name, n);
		return false;
	}
	qsort(want, n, sizeof(*want), cmp_int);
	qsort(eff, n, sizeof(*eff), cmp_int);
	qsort(hint, n, sizeof(*hint), cmp_int);
	for (i = 0; i < n; i++) {
		if (eff[i] != want[i] || hint[i] != want[i]) {
			fprintf(stderr, "# %s: IRQ on CPU %d (hint %d), the spread says %d\n",
				name, eff[i], hint[i], want[i]);
			return false;
		}
	}
	return true;
}

/* The sample's record of @cpu: its node and where its context is. */
static bool sample_cpu(int cpu, int *node, int *mem_node)
{
	static char buf[1 << 16];
	int c, n, m;
	long req;

	if (read_file(SAMPLE_DEBUGFS "/cpus", buf, sizeof(buf)) < 0)
		return false;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		if (sscanf(l, "%d %d %ld %d", &c, &n, &req, &m) == 4 &&
		    c == cpu) {
			*node = n;
			*mem_node = m;
			return true;
		}
	}
	return false;
}

/*
 * Until client @name has had its INCLUDE_EXISTING arrivals (sequence
 * number 0): its record count stays the same for a second. Leaves them in
 * cl.
 */
static bool wait_existing(const char *name)
{
	int i, last = -1, still = 0;

	for (i = 0; i < 300 && still < 10; i++) {
		usleep(100000);
		if (!client_read(name))
			return false;
		still = cl.nr && cl.nr == last ? still + 1 : 0;
		last = cl.nr;
	}
	return still >= 10;
}

/* The last record of @kind for @cpu in client @name, or NULL. */
static const struct rec *cpu_rec(const char *name, int kind, int cpu)
{
	const struct rec *found = NULL;

	if (!client_read(name))
		return NULL;
	for (int i = 0; i < cl.nr; i++)
		if (cl.r[i].kind == kind && cl.r[i].cpu == cpu && cl.r[i].seq)
			found = &cl.r[i];
	return found;
}

static void unload_all(void)
{
	mod_unload("dhp_rbdev");
	mod_unload("dhp_sample");
	mod_unload("dhp_evtest");
	mod_unload("dhp");
}

FIXTURE(numa) {
	bool was_online[SPREAD_CPUS];
	char affinity[256];
};

FIXTURE_SETUP(numa)
{
	if (access(NODE_SYSFS "/node1", F_OK))
		SKIP(return, "one NUMA node: boot with vm.py --numa");
	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, mod_load("dhp_rbdev", NULL));
	cpus_online_save(self->was_online, SPREAD_CPUS);
	ASSERT_LT(0, read_file(DEFAULT_AFFINITY, self->affinity,
			       sizeof(self->affinity)));
}

FIXTURE_TEARDOWN(numa)
{
	write_file(DEFAULT_AFFINITY, self->affinity);
	cpus_online_restore(self->was_online, SPREAD_CPUS);
	unload_all();
}

/*
 * A CPU coming up on node 1 and leaving: both events carry node 1, the
 * existing arrivals their CPUs' nodes, and the sample's context of each
 * CPU is on its node (or, for node 1 without memory, on one with memory).
 */
TEST_F_TIMEOUT(numa, cpu_events_carry_the_node, 300)
{
	const struct rec *r;
	int up, cpu, node, mem_node, i;

	ASSERT_EQ(0, ctl("register n %d", F_PROC | F_EXISTING));
	ASSERT_TRUE(wait_existing("n"));
	for (i = 0; i < cl.nr; i++) {
		EXPECT_EQ(0, cl.r[i].seq);
		EXPECT_EQ(node_of_cpu(cl.r[i].cpu), cl.r[i].node);
	}

	up = cpu_up_on(1);
	ASSERT_LE(0, up);
	ASSERT_EQ(1, node_of_cpu(up));		/* node1/cpulist says so */
	for (i = 0; i < 300 && !cpu_rec("n", CPU_ARRIVAL, up); i++)
		usleep(100000);
	r = cpu_rec("n", CPU_ARRIVAL, up);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(1, r->node);

	for (cpu = 0; cpu < SPREAD_CPUS; cpu++) {
		if (cpu_state(cpu) != 1)
			continue;
		ASSERT_TRUE(sample_cpu(cpu, &node, &mem_node));
		EXPECT_EQ(node_of_cpu(cpu), node);
		/* its own node if that has memory, else one that has */
		EXPECT_EQ(node_has_memory(node) ? node : mem_node, mem_node);
		EXPECT_TRUE(node_has_memory(mem_node));
	}

	ASSERT_EQ(0, cpu_set_online(up, false));
	for (i = 0; i < 300 && !cpu_rec("n", CPU_REMOVAL, up); i++)
		usleep(100000);
	r = cpu_rec("n", CPU_REMOVAL, up);
	ASSERT_NE(NULL, r);
	EXPECT_EQ(1, r->node);
	ASSERT_EQ(0, ctl("unregister n"));
}

/*
 * Which of @name's memory records of @kind within [@start, @start +
 * @size), numbered after @since, carry @flag: the count (the last in
 * *@seq), and whether every record's node is the one the blocks' sysfs
 * links give.
 */
static int flagged(const char *name, int kind, unsigned long long start,
		   unsigned long long size, unsigned long long since,
		   unsigned int flag, unsigned long long *seq, bool *nodes_ok)
{
	long bs = block_bytes();
	int i, n = 0;

	*nodes_ok = client_read(name) && bs > 0;
	for (i = 0; i < cl.nr; i++) {
		const struct rec *r = &cl.r[i];

		if (r->kind != kind || r->seq <= since || r->start < start ||
		    r->start + r->size > start + size)
			continue;
		if (kind == MEM_ARRIVAL && bs > 0 &&
		    r->node != block_node(r->start / bs))
			*nodes_ok = false;
		if (r->flags & flag) {
			n++;
			*seq = r->seq;
		}
	}
	return n;
}

/*
 * A DIMM into node 1, which has CPUs and no memory: its arrival has node 1
 * and, once, DHP_MEM_NODE_FIRST; its removal DHP_MEM_NODE_LAST once; an
 * INCLUDE_EXISTING client meanwhile gets FIRST on the first range of each
 * node with memory; a DIMM into node 0 (which has memory) neither.
 */
TEST_F_TIMEOUT(numa, first_memory_of_a_node, 600)
{
	const unsigned long long sz = 256ULL << 20;
	unsigned long long addr, seq = 0, lo, since = 0;
	char id[32];
	bool ok, seen[SPREAD_CPUS] = { false };
	int i, node;

	if (node_has_memory(1))
		SKIP(return, "node 1 has memory: boot with vm.py --numa");
	ASSERT_EQ(0, ctl("register m %d", F_MEM));

	addr = dimm_add("256M 1", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, sz, sz, 120));
	EXPECT_TRUE(node_has_memory(1));
	EXPECT_EQ(1, flagged("m", MEM_ARRIVAL, addr, sz, since, NODE_FIRST, &seq,
			     &ok));
	EXPECT_TRUE(ok);
	/* the flag is on the first block of the node, whatever merged */
	for (i = 0, lo = ~0ULL; i < cl.nr; i++)
		if (cl.r[i].kind == MEM_ARRIVAL && cl.r[i].start >= addr &&
		    cl.r[i].seq < lo)
			lo = cl.r[i].seq;
	EXPECT_EQ(lo, seq);
	for (i = 0; i < cl.nr; i++)
		EXPECT_EQ(1, cl.r[i].node);

	/* existing memory: FIRST on the first range of each node */
	ASSERT_EQ(0, ctl("register x %d", F_MEM | F_EXISTING));
	ASSERT_TRUE(wait_existing("x"));
	for (i = 0; i < cl.nr; i++) {
		node = cl.r[i].node;
		ASSERT_TRUE(node >= 0 && node < SPREAD_CPUS);
		EXPECT_EQ(!seen[node], !!(cl.r[i].flags & NODE_FIRST));
		seen[node] = true;
	}
	for (node = 0; node < 2; node++)
		EXPECT_EQ(node_has_memory(node), seen[node]);
	ASSERT_EQ(0, ctl("unregister x"));

	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_bytes("m", MEM_REMOVAL, addr, sz, sz, 120));
	EXPECT_FALSE(node_has_memory(1));
	EXPECT_EQ(1, flagged("m", MEM_REMOVAL, addr, sz, since, NODE_LAST, &seq,
			     &ok));
	EXPECT_EQ(0, flagged("m", MEM_REMOVAL, addr, sz, since, NODE_FIRST, &seq,
			     &ok));

	/* node 0 has memory: neither flag */
	since = events_stat("posted");
	addr = dimm_add("256M 0", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, sz, sz, 120));
	EXPECT_EQ(0, flagged("m", MEM_ARRIVAL, addr, sz, since, NODE_FIRST, &seq,
			     &ok));
	EXPECT_TRUE(ok);
	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_bytes("m", MEM_REMOVAL, addr, sz, sz, 120));
	EXPECT_EQ(0, flagged("m", MEM_REMOVAL, addr, sz, since, NODE_LAST, &seq,
			     &ok));
	ASSERT_EQ(0, ctl("unregister m"));
}

/* The allowed CPUs of @node (spread_allowed()); the first in *@first. */
static int allowed_on(int node, int *first)
{
	bool allowed[SPREAD_CPUS];
	int cpu, n = 0;

	spread_allowed(allowed);
	for (cpu = SPREAD_CPUS - 1; cpu >= 0; cpu--) {
		if (allowed[cpu] && node_of_cpu(cpu) == node) {
			*first = cpu;
			n++;
		}
	}
	return n;
}

/*
 * Devices of node 1 while it has one CPU that may take IRQs: one IRQ goes
 * there; a second goes to node 0 rather than share it. With no CPU online
 * on node 1, node 0 takes them.
 */
TEST_F_TIMEOUT(numa, rebalance_prefers_the_node_then_the_nearest, 300)
{
	int eff[MAX_IRQS], hint[MAX_IRQS], cpu, one = -1;

	/* node 0 with all its CPUs, node 1 down to one allowed CPU */
	for (cpu = 1; cpu < SPREAD_CPUS; cpu++)
		if (cpu_state(cpu) == 0 && cpu_linked_to(cpu, 0))
			ASSERT_EQ(0, cpu_set_online(cpu, true));
	for (cpu = SPREAD_CPUS - 1; cpu > 0 && allowed_on(1, &one) > 1; cpu--)
		if (cpu_state(cpu) == 1 && node_of_cpu(cpu) == 1)
			ASSERT_EQ(0, cpu_set_online(cpu, false));
	if (allowed_on(1, &one) < 1)
		ASSERT_LE(0, cpu_up_on(1));
	ASSERT_EQ(1, allowed_on(1, &one));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add near1 other 1 participate 1"));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add pair1 other 2 participate 1"));
	ASSERT_TRUE(rebalance_now("near1"));
	ASSERT_TRUE(rebalance_now("pair1"));
	ASSERT_EQ(1, placement("near1", eff, hint));
	EXPECT_EQ(one, eff[0]);
	EXPECT_EQ(one, hint[0]);
	EXPECT_TRUE(on_window("near1", 1, 1));
	ASSERT_EQ(2, placement("pair1", eff, hint));
	EXPECT_EQ(1, node_of_cpu(eff[0]) + node_of_cpu(eff[1]));
	EXPECT_TRUE(on_window("pair1", 1, 2));

	/* node 1 without an online CPU: the nearest node */
	ASSERT_EQ(0, cpu_set_online(one, false));
	ASSERT_TRUE(rebalance_now("near1"));
	ASSERT_TRUE(rebalance_now("pair1"));
	ASSERT_EQ(1, placement("near1", eff, hint));
	EXPECT_EQ(0, node_of_cpu(eff[0]));
	ASSERT_EQ(2, placement("pair1", eff, hint));
	EXPECT_EQ(0, node_of_cpu(eff[0]));
	EXPECT_EQ(0, node_of_cpu(eff[1]));
	EXPECT_TRUE(eff[0] != eff[1] || allowed_on(0, &cpu) < 2);
}

/*
 * A device with more IRQs than CPUs, after a CPU of node 1 came up: every
 * CPU that may take IRQs has one, the isolated CPUs none (where isolcpus=
 * isolated the new CPU; else the new CPU has one).
 */
TEST_F_TIMEOUT(numa, isolated_cpu_gets_no_irq, 300)
{
	int eff[MAX_IRQS], hint[MAX_IRQS], cpu, i, on_new = 0;
	bool iso[SPREAD_CPUS], allowed[SPREAD_CPUS];
	const int n = 8;

	cpu = cpu_up_on(1);
	ASSERT_LE(0, cpu);
	cpus_isolated_managed(iso);
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add wide other 8 participate"));
	ASSERT_TRUE(rebalance_now("wide"));
	ASSERT_EQ(n, placement("wide", eff, hint));
	spread_allowed(allowed);
	for (i = 0; i < n; i++) {
		ASSERT_LE(0, eff[i]);
		EXPECT_FALSE(iso[eff[i]]);
		EXPECT_FALSE(iso[hint[i]]);
		EXPECT_TRUE(allowed[eff[i]]);
		on_new += eff[i] == cpu;
	}
	/* none on it if and only if it is isolated */
	EXPECT_EQ(iso[cpu], !on_new);
	TH_LOG("CPU %d %s: %d of %d IRQs on it", cpu,
	       iso[cpu] ? "isolated" : "not isolated", on_new, n);
}

/* Whether CPUs @a and @b are SMT siblings, by thread_siblings_list. */
static bool siblings(int a, int b)
{
	char path[96], buf[64];
	int lo, hi;

	snprintf(path, sizeof(path),
		 CPU_SYSFS "/cpu%d/topology/thread_siblings_list", a);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	if (sscanf(buf, "%d-%d", &lo, &hi) == 2)
		return lo <= b && b <= hi;
	if (sscanf(buf, "%d,%d", &lo, &hi) == 2)
		return b == lo || b == hi;
	return false;
}

/*
 * Every CPU online: a device with as many IRQs as there are cores (that
 * may take IRQs) has one IRQ on each core, none on two threads of one.
 */
TEST_F_TIMEOUT(numa, cores_before_siblings, 300)
{
	int eff[MAX_IRQS], hint[MAX_IRQS], cpu, i, j, cores = 0;
	bool allowed[SPREAD_CPUS];
	char cmd[64];

	while ((cpu = cpu_spare()) > 0)
		ASSERT_EQ(0, cpu_set_online(cpu, true));
	cpu_up_on(1);		/* where it can still be hot-added */
	spread_allowed(allowed);
	for (cpu = 0; cpu < SPREAD_CPUS; cpu++) {
		if (!allowed[cpu])
			continue;
		for (j = 0; j < cpu && !(allowed[j] && siblings(cpu, j)); j++)
			;
		cores += j == cpu;
	}
	if (cores == cpu_count_online())
		SKIP(return, "no SMT siblings online: boot with vm.py --threads 2");
	snprintf(cmd, sizeof(cmd), "add cores other %d participate", cores);
	ASSERT_EQ(0, write_file(RBDEV_CTL, cmd));
	ASSERT_TRUE(rebalance_now("cores"));
	ASSERT_EQ(cores, placement("cores", eff, hint));
	for (i = 0; i < cores; i++) {
		EXPECT_TRUE(allowed[eff[i]]);
		for (j = 0; j < i; j++)
			EXPECT_FALSE(siblings(eff[i], eff[j]));
	}
}

/*
 * default_smp_affinity limits where IRQs go; when it holds no CPU that is
 * online (and not isolated), dhp falls back to those that are.
 */
TEST_F_TIMEOUT(numa, default_smp_affinity_is_respected, 300)
{
	int eff[MAX_IRQS], hint[MAX_IRQS], i, other;
	bool iso[SPREAD_CPUS], allowed[SPREAD_CPUS];
	char mask[24];

	ASSERT_EQ(0, write_file(DEFAULT_AFFINITY, "1"));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add dflt other 3 participate"));
	ASSERT_TRUE(rebalance_now("dflt"));
	ASSERT_EQ(3, placement("dflt", eff, hint));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, eff[i]);
		EXPECT_EQ(0, hint[i]);
	}

	/* only a CPU that then goes offline */
	other = cpu_last_online();
	ASSERT_LT(0, other);
	snprintf(mask, sizeof(mask), "%llx", 1ULL << other);
	ASSERT_EQ(0, write_file(DEFAULT_AFFINITY, mask));
	ASSERT_EQ(0, cpu_set_online(other, false));
	ASSERT_TRUE(rebalance_now("dflt"));
	cpus_isolated_managed(iso);
	spread_allowed(allowed);
	ASSERT_EQ(3, placement("dflt", eff, hint));
	for (i = 0; i < 3; i++) {
		EXPECT_NE(other, eff[i]);
		EXPECT_TRUE(allowed[eff[i]]);
		EXPECT_FALSE(iso[eff[i]]);
	}
	EXPECT_TRUE(eff[0] != eff[1] || cpu_count_online() == 1);
}

TEST_HARNESS_MAIN
