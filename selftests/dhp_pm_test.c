// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of what dhp's clients see across system suspend, run as root in a
 * guest with four CPUs online (scripts/vm.py). /sys/power/pm_test set to
 * "processors" makes "mem" take the secondary CPUs down and bring them back
 * after a few seconds, as a real suspend does, with no wake source needed.
 *
 * The contract (include/dhp.h): a suspend is not a processor change. The
 * synchronous clients get no step, a veto cannot keep a CPU from resuming,
 * no asynchronous event is posted, and a rebalance round after resume puts
 * back the IRQ spread that taking the CPUs down broke. A CPU that does not
 * come back is a removal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"

#define PM_TEST		"/sys/power/pm_test"
#define RB_STATS	DHP_DEBUGFS "/rebalance/stats"
#define RBDEV		"/sys/kernel/debug/dhp_rbdev"
#define NR_IRQS		4

static void unload_all(void)
{
	mod_unload("dhp_rbdev");
	mod_unload("dhp_sample");
	mod_unload("dhp_test");
	mod_unload("dhp");
}

/* One suspend cycle through the CPUs; 0 or -errno of the state write. */
static int suspend_cycle(void)
{
	int err = write_file(PM_TEST, "processors");

	if (!err)
		err = write_file("/sys/power/state", "mem");
	write_file(PM_TEST, "none");
	return err;
}

static bool can_suspend(void)
{
	char buf[256];

	return read_file(PM_TEST, buf, sizeof(buf)) > 0 &&
	       read_file("/sys/power/state", buf, sizeof(buf)) > 0 &&
	       strstr(buf, "mem");
}

/* How many lines of dhp's "cpus" show @phase. */
static int cpus_in_phase(const char *phase)
{
	static char buf[1 << 16];
	char *line, p[16];
	int cpu, n = 0;

	if (read_file(DHP_DEBUGFS "/cpus", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%d %15s", &cpu, p) == 2 && !strcmp(p, phase))
			n++;
	return n;
}

/* The single CPU of /proc/irq/@irq/@file (a list or a mask), or -1. */
static int irq_one_cpu(unsigned int irq, const char *file)
{
	char path[96], buf[128], *end;
	unsigned long long mask;
	int cpu;

	snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, file);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (strstr(file, "_list")) {
		cpu = strtol(buf, &end, 10);
		return end != buf && (*end == '\n' || !*end) ? cpu : -1;
	}
	mask = strtoull(buf, &end, 16);
	if (!mask || (mask & (mask - 1)))
		return -1;
	return __builtin_ctzll(mask);
}

/*
 * Whether the device's IRQs sit one per online CPU, each with its hint on
 * the same CPU: the spread of NR_IRQS IRQs over NR_IRQS online CPUs,
 * whatever order dhp picks.
 */
static bool one_irq_per_cpu(const unsigned int *irqs)
{
	unsigned long seen = 0;
	int i, hint, eff;

	for (i = 0; i < NR_IRQS; i++) {
		hint = irq_one_cpu(irqs[i], "affinity_hint");
		eff = irq_one_cpu(irqs[i], "effective_affinity_list");
		if (hint < 0 || hint != eff || cpu_state(hint) != 1) {
			fprintf(stderr, "# irq %u: hint %d effective %d\n",
				irqs[i], hint, eff);
			return false;
		}
		seen |= 1UL << eff;
	}
	return __builtin_popcountl(seen) == NR_IRQS;
}

static int read_irqs(unsigned int *irqs)
{
	static char buf[1 << 14];
	char *p;
	int n = 0;

	if (read_file(RBDEV "/pm0/stats", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "irqs ");
	if (!p)
		return -1;
	for (p += 5; n < NR_IRQS && *p >= '0' && *p <= '9'; n++) {
		irqs[n] = strtoul(p, &p, 10);
		while (*p == ' ')
			p++;
	}
	return n;
}

static bool wait_rounds_above(long rounds)
{
	int i;

	for (i = 0; i < 300; i++) {
		if (stat_value(RB_STATS, "rounds") > rounds)
			return true;
		usleep(100000);
	}
	return false;
}

FIXTURE(pm) {
	int online;
};

FIXTURE_SETUP(pm)
{
	if (!can_suspend())
		SKIP(return, "no /sys/power/pm_test or no suspend to RAM");
	self->online = cpu_count_online();
	if (self->online < 2)
		SKIP(return, "needs secondary CPUs online");
	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
}

/* cpuhp's state of @cpu (0: offline), or -1. */
static long hotplug_state(int cpu)
{
	char path[128];

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/hotplug/state", cpu);
	return access(path, R_OK) ? -1 : sysfs_long(path);
}

FIXTURE_TEARDOWN(pm)
{
	int cpu;

	write_file(PM_TEST, "none");
	unload_all();
	for (cpu = 1; cpu < 64; cpu++) {
		/* a failed resume leaves sysfs "online" at 1 */
		if (cpu_state(cpu) == 1 && hotplug_state(cpu) == 0)
			cpu_set_online(cpu, false);
		if (cpu_state(cpu) == 0)
			cpu_set_online(cpu, true);
	}
}

/*
 * Synchronous clients and the sample are told nothing; a veto armed for
 * every CPU changes nothing either; no event is posted.
 */
TEST_F_TIMEOUT(pm, suspend_is_not_a_processor_change, 300)
{
	struct counts before, after;
	long d[NR_STEPS], posted;
	int i, changed;

	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 1"));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	counts_read(&before);
	posted = stat_value(DHP_DEBUGFS "/events", "posted");
	ASSERT_EQ(0, write_file(TEST_CTL, "veto 0 -1 -12"));

	ASSERT_EQ(0, suspend_cycle());

	EXPECT_EQ(self->online, cpu_count_online());
	EXPECT_EQ(self->online, cpus_in_phase("online"));
	counts_read(&after);
	counts_delta(&before, d);
	for (i = 0, changed = 0; i < NR_STEPS; i++) {
		if (d[i])
			fprintf(stderr, "# %s: %ld steps across suspend\n",
				steps[i], d[i]);
		changed += d[i] != 0;
	}
	EXPECT_EQ(0, changed);
	EXPECT_EQ(before.allocs, after.allocs);
	EXPECT_EQ(before.frees, after.frees);
	EXPECT_EQ(0, after.vetoes - before.vetoes);
	EXPECT_EQ(posted, stat_value(DHP_DEBUGFS "/events", "posted"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_LT(0, dhp_clients_balanced());

	/* and a real offline afterwards is a processor change again */
	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	ASSERT_EQ(0, cpu_set_online(cpu_last_online(), false));
	counts_delta(&before, d);
	EXPECT_EQ(2, d[S_RSTART]);
	EXPECT_EQ(2, d[S_RCOMPLETE]);
	EXPECT_EQ(posted + 1, stat_value(DHP_DEBUGFS "/events", "posted"));
}

/*
 * A suspend whose offline of a CPU fails below dhp:online: cpuhp brings
 * dhp's state back up on that CPU and the suspend is abandoned. Clients
 * still hear nothing, and every CPU is back.
 */
TEST_F_TIMEOUT(pm, failed_suspend_is_not_a_processor_change, 300)
{
	int cpu = cpu_last_online(), state, i, changed;
	struct counts before;
	long d[NR_STEPS], posted;

	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 1"));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	/* a state below dhp:online whose teardown really fails an offline */
	for (state = dhp_state_number("online"); ; ) {
		state = cpuhp_injectable_near(cpu, state, -1);
		ASSERT_LT(0, state);
		ASSERT_EQ(0, cpuhp_inject(cpu, state));
		if (cpu_set_online(cpu, false))
			break;
		cpuhp_inject(cpu, -1);
		ASSERT_EQ(0, cpu_set_online(cpu, true));
	}
	ASSERT_EQ(0, cpuhp_inject(cpu, state));
	counts_read(&before);
	posted = stat_value(DHP_DEBUGFS "/events", "posted");

	EXPECT_NE(0, suspend_cycle());
	cpuhp_inject(cpu, -1);

	EXPECT_EQ(self->online, cpu_count_online());
	EXPECT_EQ(self->online, cpus_in_phase("online"));
	counts_delta(&before, d);
	for (i = 0, changed = 0; i < NR_STEPS; i++)
		changed += d[i] != 0;
	EXPECT_EQ(0, changed);
	EXPECT_EQ(posted, stat_value(DHP_DEBUGFS "/events", "posted"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_LT(0, dhp_clients_balanced());
}

/*
 * A CPU that fails to come back from a suspend is removed, as dhp.h says.
 * Its bring-up at resume fails at dhp_test's "late" state, above
 * dhp:online and without a teardown (so the suspend's offline passes it):
 * cpuhp rolls the CPU all the way back down, through dhp's two states,
 * with tasks still frozen; nobody is told then. Once the suspend returns,
 * each client got REMOVE_START (on the control CPU: the wrong CPU by the
 * usual rule, as the header says) and REMOVE_COMPLETE, one removal was
 * posted, no phase is left suspended or resuming. sysfs still says the
 * CPU is online (the kernel's device state); writing 0 tells nobody
 * again, and bringing it up is an ordinary add.
 */
TEST_F_TIMEOUT(pm, cpu_lost_at_resume_is_removed, 300)
{
	int cpu = cpu_last_online(), late, online = self->online;
	long d[NR_STEPS], posted, wrong;
	struct counts before;

	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 1"));
	ASSERT_EQ(0, write_file(TEST_CTL, "latestate"));
	late = cpuhp_number("dhp_test:late");
	ASSERT_LT(dhp_state_number("online"), late);
	ASSERT_EQ(0, cpuhp_inject(cpu, late));
	counts_read(&before);
	posted = stat_value(DHP_DEBUGFS "/events", "posted");
	wrong = stat_value(TEST_STATS, "wrong_cpu_remove_start");

	EXPECT_EQ(0, suspend_cycle());
	cpuhp_inject(cpu, -1);

	EXPECT_EQ(0, hotplug_state(cpu));
	EXPECT_EQ(online - 1, cpus_in_phase("online"));
	EXPECT_EQ(0, cpus_in_phase("suspended"));
	EXPECT_EQ(0, cpus_in_phase("resuming"));
	counts_delta(&before, d);
	EXPECT_EQ(0, d[S_START]);
	EXPECT_EQ(0, d[S_COMPLETE]);
	EXPECT_EQ(0, d[S_FAILURE]);
	EXPECT_EQ(2, d[S_RSTART]);
	EXPECT_EQ(2, d[S_RCOMPLETE]);
	EXPECT_EQ(0, d[S_RFAILURE]);
	EXPECT_EQ(2, stat_value(TEST_STATS, "wrong_cpu_remove_start") - wrong);
	EXPECT_EQ(posted + 1, stat_value(DHP_DEBUGFS "/events", "posted"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "order_errors"));
	EXPECT_LT(0, dhp_clients_balanced());

	/* sysfs still says online: down (nobody told), then up (an add) */
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	counts_delta(&before, d);
	EXPECT_EQ(2, d[S_RSTART]);
	EXPECT_EQ(2, d[S_RCOMPLETE]);
	EXPECT_EQ(posted + 1, stat_value(DHP_DEBUGFS "/events", "posted"));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	EXPECT_EQ(online, cpu_count_online());
	EXPECT_EQ(online, cpus_in_phase("online"));
	counts_delta(&before, d);
	EXPECT_EQ(2, d[S_START]);
	EXPECT_EQ(2, d[S_COMPLETE]);
	EXPECT_EQ(0, d[S_FAILURE]);
	EXPECT_EQ(posted + 2, stat_value(DHP_DEBUGFS "/events", "posted"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_LT(0, dhp_clients_balanced());
}

/*
 * A client that registers with ADD_EXISTING while a suspend has CPU 1
 * down (dhp_test's "whendown": a kthread, which is not frozen, woken as
 * CPU 1 goes down, gets the hotplug lock as that offline ends) gets CPU 1
 * replayed once the system is back, as dhp.h says: one ADD_START and one
 * ADD_COMPLETE (on CPU 1) for every CPU online after the resume, or
 * ADD_FAILURE with its errno where it vetoes CPU 1 there; its
 * registration stands either way. Two such clients, the second (index 2)
 * vetoing CPU 1; the client registered before (index 0) hears nothing.
 */
TEST_F_TIMEOUT(pm, registered_during_suspend_gets_resumed_cpus, 300)
{
	int online = self->online, i;
	struct counts before;
	long d[NR_STEPS];

	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 1 1"));
	counts_read(&before);
	ASSERT_EQ(0, write_file(TEST_CTL, "veto 2 1 -105"));
	ASSERT_EQ(0, write_file(TEST_CTL, "whendown 1 2 1"));

	ASSERT_EQ(0, suspend_cycle());
	for (i = 0; i < 100 && stat_value(TEST_STATS, "whendown_ret") == 1; i++)
		usleep(100000);
	ASSERT_EQ(1, stat_value(TEST_STATS, "whendown_offline")) {
		TH_LOG("a registration ended with CPU 1 online (ret %ld)",
		       stat_value(TEST_STATS, "whendown_ret"));
	}
	ASSERT_EQ(0, stat_value(TEST_STATS, "whendown_ret"));
	ASSERT_EQ(3, stat_value(TEST_STATS, "clients"));

	EXPECT_EQ(online, cpu_count_online());
	EXPECT_EQ(online, cpus_in_phase("online"));
	counts_delta(&before, d);
	EXPECT_EQ(2 * online, d[S_START]);
	EXPECT_EQ(2 * online - 1, d[S_COMPLETE]);
	EXPECT_EQ(1, d[S_FAILURE]);
	EXPECT_EQ(1, stat_value(TEST_STATS, "add_failure_status_105"));
	EXPECT_EQ(0, d[S_RSTART] + d[S_RCOMPLETE] + d[S_RFAILURE]);
	EXPECT_EQ(0, stat_value(TEST_STATS, "wrong_cpu"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "order_errors"));
	EXPECT_EQ(3, dhp_clients_balanced());

	/* they have CPU 1 now (but the one that vetoed it): it leaves */
	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	counts_read(&before);
	ASSERT_EQ(0, cpu_set_online(1, false));
	counts_delta(&before, d);
	EXPECT_EQ(2, d[S_RSTART]);
	EXPECT_EQ(2, d[S_RCOMPLETE]);
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
}

/* Taking the CPUs down broke the IRQ spread; the round after resume mends it. */
TEST_F_TIMEOUT(pm, resume_restores_irq_spread, 300)
{
	unsigned int irqs[NR_IRQS];
	long rounds;

	if (self->online != NR_IRQS)
		SKIP(return, "needs exactly %d CPUs online", NR_IRQS);
	ASSERT_EQ(0, mod_load("dhp_rbdev", NULL));
	ASSERT_EQ(0, write_file(RBDEV "/ctl", "add pm0 other 4"));
	ASSERT_EQ(NR_IRQS, read_irqs(irqs));
	rounds = stat_value(RB_STATS, "rounds");
	ASSERT_EQ(0, write_file("/sys/kernel/dhp/rebalance/trigger", "1"));
	ASSERT_TRUE(wait_rounds_above(rounds));
	ASSERT_TRUE(one_irq_per_cpu(irqs));

	rounds = stat_value(RB_STATS, "rounds");
	ASSERT_EQ(0, suspend_cycle());
	ASSERT_TRUE(wait_rounds_above(rounds));
	EXPECT_TRUE(one_irq_per_cpu(irqs));
	EXPECT_EQ(0, write_file(RBDEV "/ctl", "remove pm0"));
}

TEST_HARNESS_MAIN
