// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of dhp's synchronous processor notification, run as root inside a
 * guest that can get vCPUs hot-added (scripts/vm.py). The modules are taken
 * from $DHP_MODDIR (default /dhp).
 *
 * Most tests use a fixture with four clients, in registration order:
 *   test client 0, test client 1 (dhp_test.ko), the sample driver
 *   (dhp_sample.ko), test client 2.
 * dhp_test.ko checks sequence and order of every notification itself; the
 * tests check the counts, what the system shows (sysfs online, errno of the
 * online write), and the sample driver's per-CPU contexts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "hostctl.h"

/* Fields of a CPU's line in dhp's "cpus": phase, adds, failures, ... */
static int dhp_cpu_line(int cpu, char *phase, long *adds, long *failures,
			long *removes, long *last_err)
{
	static char buf[1 << 16];
	char *line;
	int n;

	if (read_file(DHP_DEBUGFS "/cpus", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%d %15s %ld %ld %ld %ld", &n, phase, adds,
			   failures, removes, last_err) == 6 && n == cpu)
			return 0;
	}
	return -ENOENT;
}

/*
 * The vetoes column of the first client in dhp's "cpu_clients" whose
 * callback's symbol starts with @cb; -1 if none.
 */
static long client_vetoes(const char *cb)
{
	static char buf[1 << 20];
	char name[128], *line;
	long n[8];

	if (read_file(DHP_DEBUGFS "/cpu_clients", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%ld %li %ld %ld %ld %ld %ld %ld %ld %127s",
			   &n[0], &n[1], &n[2], &n[3], &n[4], &n[5], &n[6],
			   &n[7], &n[7], name) == 10 &&
		    !strncmp(name, cb, strlen(cb)))
			return n[7];
	return -1;
}

static int sample_requests(int cpu)
{
	static char buf[1 << 16];
	int c, node;
	long req;
	char *line;

	if (read_file(SAMPLE_DEBUGFS "/cpus", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%d %d %ld", &c, &node, &req) == 3 && c == cpu)
			return req;
	return -1;
}

static int sample_contexts(void)
{
	static char buf[1 << 16];
	char *line;
	int n = 0;

	if (read_file(SAMPLE_DEBUGFS "/cpus", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		n += line[0] != '#';
	return n;
}

/* What holds after every test: nothing lost, nothing out of order. */
#define ASSERT_INVARIANTS() do {					\
	ASSERT_EQ(0, stat_value(TEST_STATS, "seq_errors"));		\
	ASSERT_EQ(0, stat_value(TEST_STATS, "order_errors"));		\
	/* the steps dhp.h runs on the CPU concerned did */		\
	ASSERT_EQ(0, stat_value(TEST_STATS, "wrong_cpu"));		\
	ASSERT_LT(0, dhp_clients_balanced());				\
	/* the sample has one context per online CPU, no more */	\
	ASSERT_EQ(cpu_count_online(), sample_contexts());		\
	ASSERT_EQ(cpu_count_online(), stat_value(SAMPLE_STATS, "allocs") - \
		  stat_value(SAMPLE_STATS, "frees"));			\
	ASSERT_EQ(0, stat_value(SAMPLE_STATS, "missing"));		\
} while (0)

/*
 * Onlines @cpu, which must fail (with @ret; with any error if 0) and stay
 * offline: @n clients get START then FAILURE, each with @err, none
 * COMPLETE. The counts before it into @before, the steps into @d.
 */
static void online_fails(struct __test_metadata *_metadata, int cpu, int ret,
			 int err, long n, struct counts *before, long *d)
{
	long fails;
	int got;

	counts_read(before);
	fails = add_failures_with(err);
	got = cpu_set_online(cpu, true);
	EXPECT_EQ(ret ?: got, got);
	EXPECT_NE(0, got);
	EXPECT_EQ(0, cpu_state(cpu));
	counts_delta(before, d);
	EXPECT_EQ(n, d[S_START]);
	EXPECT_EQ(n, d[S_FAILURE]);
	EXPECT_EQ(0, d[S_COMPLETE]);
	EXPECT_EQ(fails + n, add_failures_with(err));
}

/*
 * Onlines (@on) or offlines @cpu: @n clients get START and COMPLETE, or
 * REMOVE_START and REMOVE_COMPLETE. As online_fails().
 */
static void online_ok(struct __test_metadata *_metadata, int cpu, bool on,
		      long n, struct counts *before, long *d)
{
	counts_read(before);
	ASSERT_EQ(0, cpu_set_online(cpu, on));
	counts_delta(before, d);
	EXPECT_EQ(n, d[on ? S_START : S_RSTART]);
	EXPECT_EQ(n, d[on ? S_COMPLETE : S_RCOMPLETE]);
}

static void unload_all(void)
{
	mod_unload("dhp_sample");
	mod_unload("dhp_test");
	mod_unload("dhp");
}

#define MAX_CPUS 64

FIXTURE(sync) {
	int nr_test_clients;
	bool was_online[MAX_CPUS];
};

FIXTURE_SETUP(sync)
{
	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 0"));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 1 0"));
	self->nr_test_clients = 3;
	cpus_online_save(self->was_online, MAX_CPUS);
}

/*
 * CPUs go back to how the test found them: those it brought up become the
 * next test's spares, those it took down come back.
 */
FIXTURE_TEARDOWN(sync)
{
	cpus_online_restore(self->was_online, MAX_CPUS);
	unload_all();
}

/* 1. Load, ADD_EXISTING replay, unload; bad module parameters. */
TEST(load_unload)
{
	int online = cpu_count_online();
	static const char * const bad[] = {
		"event_backlog=5", "event_backlog=abc",
		"event_backlog=2000000", "event_backlog=-1",
	};
	unsigned int i;

	unload_all();
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, mod_load("dhp", bad[i]));
	ASSERT_FALSE(mod_loaded("dhp"));
	ASSERT_EQ(0, mod_load("dhp", "event_backlog=16"));
	ASSERT_TRUE(file_has_line(CPU_SYSFS "/hotplug/states", "dhp:prepare"));
	ASSERT_TRUE(file_has_line(CPU_SYSFS "/hotplug/states", "dhp:online"));
	ASSERT_LT(0, dhp_state_number("prepare"));
	ASSERT_LT(dhp_state_number("prepare"), dhp_state_number("online"));

	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 1 1"));
	EXPECT_EQ(online, stat_value(TEST_STATS, "add_start"));
	EXPECT_EQ(online, stat_value(TEST_STATS, "add_complete"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "add_failure"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 1\n"));

	/* Clients pin dhp; the sample replays too and sizes itself. */
	EXPECT_NE(0, mod_unload("dhp"));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	EXPECT_EQ(online, sample_contexts());
	EXPECT_EQ(online, stat_value(SAMPLE_STATS, "allocs"));
	EXPECT_TRUE(file_has_line("/sys/module/dhp/parameters/event_backlog",
				  "16\n"));

	ASSERT_EQ(0, write_file(TEST_CTL, "unregister"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 1\n"));
	ASSERT_EQ(0, mod_unload("dhp_sample"));
	ASSERT_EQ(0, mod_unload("dhp_test"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 0\n"));
	ASSERT_EQ(0, mod_unload("dhp"));
	EXPECT_FALSE(file_has_line(CPU_SYSFS "/hotplug/states", "dhp:"));
	EXPECT_NE(0, access(DHP_DEBUGFS, F_OK));
}

/* 2. Hot-add two vCPUs: START then COMPLETE, in order, contexts live. */
TEST_F_TIMEOUT(sync, hotadd, 600)
{
	struct counts before;
	long d[NR_STEPS], adds, fails, rem, err;
	char phase[16];
	int cpus[2], i;

	counts_read(&before);
	for (i = 0; i < 2; i++) {
		/* a real vCPU hot-add where the kernel can (6.1), else a spare */
		cpus[i] = cpu_arrive();
		ASSERT_LE(0, cpus[i]) TH_LOG("no CPU to add: %d", cpus[i]);
		ASSERT_EQ(1, cpu_state(cpus[i]));
	}
	counts_delta(&before, d);
	EXPECT_EQ(2 * self->nr_test_clients, d[S_START]);
	EXPECT_EQ(2 * self->nr_test_clients, d[S_COMPLETE]);
	EXPECT_EQ(0, d[S_FAILURE]);

	ASSERT_EQ(0, write_file(SAMPLE_DEBUGFS "/io", "50"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, dhp_cpu_line(cpus[i], phase, &adds, &fails, &rem,
					  &err));
		EXPECT_STREQ("online", phase);
		EXPECT_LE(1, adds);
		/* the sample's context exists and its hot path ran there */
		EXPECT_LE(50, sample_requests(cpus[i]));
	}
	ASSERT_INVARIANTS();
}

/* 3a. The sample driver vetoes: errno out, CPU offline, FAILURE to all. */
TEST_F_TIMEOUT(sync, veto_by_sample, 600)
{
	struct counts before, after;
	long d[NR_STEPS], adds, fails, fails0, rem, err, vetoes;
	char phase[16];
	int cpu;

	cpu = cpu_new();
	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds, &fails0, &rem, &err));
	vetoes = client_vetoes("sample_cpu_change");
	ASSERT_LE(0, vetoes);
	ASSERT_EQ(0, write_filef(SAMPLE_DEBUGFS "/fail", "%d -12", cpu));
	/*
	 * test clients 0 and 1 came before the sample, 2 never got START;
	 * each FAILURE with the veto's errno
	 */
	online_fails(_metadata, cpu, -ENOMEM, -ENOMEM, 2, &before, d);
	counts_read(&after);
	EXPECT_EQ(before.vetoes + 1, after.vetoes);
	EXPECT_EQ(before.allocs, after.allocs);
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds, &fails, &rem, &err));
	EXPECT_STREQ("offline", phase);
	EXPECT_EQ(-12, err);
	/* dhp's own books: one failed add of this CPU, one veto by the sample */
	EXPECT_EQ(fails0 + 1, fails);
	EXPECT_EQ(vetoes + 1, client_vetoes("sample_cpu_change"));

	ASSERT_EQ(0, write_file(SAMPLE_DEBUGFS "/fail", "off"));
	online_ok(_metadata, cpu, true, 3, &before, d);
	ASSERT_INVARIANTS();
}

/* 3b. The last client vetoes: the sample got START and frees again. */
TEST_F_TIMEOUT(sync, veto_by_last_client, 600)
{
	struct counts before, after;
	long d[NR_STEPS];
	int cpu;

	cpu = cpu_new();
	ASSERT_LE(0, cpu);
	/* test client index 2 is registered after the sample */
	ASSERT_EQ(0, write_filef(TEST_CTL, "veto 2 %d -28", cpu));
	/* the vetoing client's errno, to all three */
	online_fails(_metadata, cpu, -ENOSPC, -ENOSPC, 3, &before, d);
	counts_read(&after);
	EXPECT_EQ(before.allocs + 1, after.allocs);
	EXPECT_EQ(before.frees + 1, after.frees);

	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_INVARIANTS();
}

/*
 * 3c. dhp.h: a veto status that is no negative errno (a driver bug) is
 * taken as -EIO: the online request fails with it and all three clients
 * get it in ADD_FAILURE. Positive, and below -MAX_ERRNO.
 */
TEST_F_TIMEOUT(sync, veto_that_is_no_errno_is_eio, 600)
{
	static const int bad[] = { 5, -5000, -4096 };
	struct counts before;
	long d[NR_STEPS];
	size_t i;
	int cpu;

	cpu = cpu_new();
	ASSERT_LE(0, cpu);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ASSERT_EQ(0, write_filef(TEST_CTL, "vetoraw 2 %d %d", cpu,
					 bad[i]));
		online_fails(_metadata, cpu, -EIO, -EIO, 3, &before, d);
	}
	/* -MAX_ERRNO is still an errno: it goes through as it is */
	ASSERT_EQ(0, write_filef(TEST_CTL, "vetoraw 2 %d %d", cpu, -4095));
	online_fails(_metadata, cpu, -4095, -4095, 3, &before, d);
	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_INVARIANTS();
}

/* 4. Failures injected by cpuhp at and around dhp's states. */
TEST_F_TIMEOUT(sync, cpuhp_fail_injection, 900)
{
	int prepare = dhp_state_number("prepare");
	int online = dhp_state_number("online");
	long d[NR_STEPS], adds, fails, rem, err, fails0;
	struct counts before, after;
	char phase[16];
	int cpu, later, earlier, mid;

	/* only CPUs present at boot have hotplug/fail: take one down */
	cpu = cpu_injectable();
	ASSERT_LT(0, cpu) TH_LOG("no CPU with hotplug/fail besides CPU 0");
	if (cpu_state(cpu) == 1)
		ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds, &fails0, &rem, &err));

	/* At dhp:online: the CPU started, so everyone gets FAILURE. */
	ASSERT_EQ(0, cpuhp_inject(cpu, online));
	/* no client vetoed: something after dhp failed */
	online_fails(_metadata, cpu, 0, -ECANCELED, 3, &before, d);
	counts_read(&after);
	EXPECT_EQ(after.allocs - before.allocs, after.frees - before.frees);
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds, &fails, &rem, &err));
	EXPECT_EQ(fails0 + 1, fails);
	EXPECT_EQ(-ECANCELED, err);

	/* Just after dhp:prepare, where the kernel lets a state fail. */
	mid = cpuhp_injectable_near(cpu, prepare, 1);
	if (mid > 0 && mid < online) {
		TH_LOG("failure at state %d", mid);
		ASSERT_EQ(0, cpuhp_inject(cpu, mid));
		online_fails(_metadata, cpu, 0, -ECANCELED, 3, &before, d);
	} else {
		TH_LOG("no injectable state between %d and %d", prepare,
		       online);
	}

	/* At dhp:prepare: dhp's startup never runs, nobody hears a thing. */
	ASSERT_EQ(0, cpuhp_inject(cpu, prepare));
	counts_read(&before);
	EXPECT_NE(0, cpu_set_online(cpu, true));
	counts_delta(&before, d);
	EXPECT_EQ(0, d[S_START]);
	EXPECT_EQ(0, d[S_FAILURE]);

	/* After dhp:online: COMPLETE went out, so the undo is a removal. */
	later = cpuhp_injectable_near(cpu, online, 1);
	if (later > 0) {
		ASSERT_EQ(0, cpuhp_inject(cpu, later));
		counts_read(&before);
		EXPECT_NE(0, cpu_set_online(cpu, true));
		counts_delta(&before, d);
		EXPECT_EQ(3, d[S_START]);
		EXPECT_EQ(3, d[S_COMPLETE]);
		EXPECT_EQ(3, d[S_RSTART]);
		EXPECT_EQ(3, d[S_RCOMPLETE]);
	} else {
		TH_LOG("no injectable state after %d", online);
	}

	ASSERT_EQ(0, cpu_set_online(cpu, true));

	/*
	 * An offline failing below dhp:online: REMOVE_FAILURE, still up.
	 * hotplug/fail accepts states that have only a startup, which an
	 * offline never calls: walk down until the offline really fails.
	 */
	for (earlier = online; ; ) {
		earlier = cpuhp_injectable_near(cpu, earlier, -1);
		ASSERT_LT(0, earlier) TH_LOG("no state below %d fails", online);
		ASSERT_EQ(0, cpuhp_inject(cpu, earlier));
		counts_read(&before);
		if (cpu_set_online(cpu, false))
			break;
		cpuhp_inject(cpu, -1);
		ASSERT_EQ(0, cpu_set_online(cpu, true));
	}
	TH_LOG("offline failed at state %d", earlier);
	EXPECT_EQ(1, cpu_state(cpu));
	counts_delta(&before, d);
	EXPECT_EQ(3, d[S_RSTART]);
	EXPECT_EQ(3, d[S_RFAILURE]);
	EXPECT_EQ(0, d[S_RCOMPLETE]);
	cpuhp_inject(cpu, -1);
	ASSERT_INVARIANTS();
}

/* 5. Offline/online of a hot-added CPU, then a real vCPU hot-remove. */
TEST_F_TIMEOUT(sync, offline_online_remove, 900)
{
	struct counts before, after;
	long d[NR_STEPS], adds, fails, rem, err, adds2, fails2, rem2;
	char reply[256], phase[16];
	int cpu, i, ret;
	bool hotadded;

	cpu = cpu_hotadd();
	hotadded = cpu >= 0;
	if (!hotadded)
		cpu = cpu_new();
	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds, &fails, &rem, &err));

	online_ok(_metadata, cpu, false, 3, &before, d);
	counts_read(&after);
	EXPECT_EQ(before.frees + 1, after.frees);
	EXPECT_EQ(-1, sample_requests(cpu));
	/* dhp's books of the CPU: one removal more, nothing else */
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds2, &fails2, &rem2, &err));
	EXPECT_STREQ("offline", phase);
	EXPECT_EQ(adds, adds2);
	EXPECT_EQ(fails, fails2);
	EXPECT_EQ(rem + 1, rem2);

	online_ok(_metadata, cpu, true, 3, &before, d);
	ASSERT_EQ(0, dhp_cpu_line(cpu, phase, &adds2, &fails2, &rem2, &err));
	EXPECT_STREQ("online", phase);
	EXPECT_EQ(adds + 1, adds2);
	EXPECT_EQ(rem + 1, rem2);
	ASSERT_INVARIANTS();

	if (!hotadded) {
		TH_LOG("no vCPU hot-add here (6.12 under TCG): no hot-remove");
		return;
	}
	/* device_del of that vCPU: the guest offlines and ejects it */
	ret = hostctl("cpu-del", reply, sizeof(reply), 120000);
	ASSERT_EQ(0, ret) TH_LOG("cpu-del: %s", reply);
	for (i = 0; i < 300 && cpu_state(cpu) != -ENOENT; i++)
		usleep(100000);
	EXPECT_EQ(-ENOENT, cpu_state(cpu));
	ASSERT_INVARIANTS();
}

/* 6. A thousand clients, all served on one add, in order. */
TEST_F_TIMEOUT(sync, thousand_clients, 900)
{
	struct counts before;
	long d[NR_STEPS];
	double t;
	int cpu;

	ASSERT_EQ(0, write_file(TEST_CTL, "register 1000 0"));
	self->nr_test_clients += 1000;
	cpu = cpu_new();
	ASSERT_LE(0, cpu);
	counts_read(&before);
	t = now_s();
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	t = now_s() - t;
	counts_delta(&before, d);
	EXPECT_EQ(self->nr_test_clients, d[S_START]);
	EXPECT_EQ(self->nr_test_clients, d[S_COMPLETE]);
	TH_LOG("online with %d clients took %.3f s", self->nr_test_clients + 1,
	       t);

	online_ok(_metadata, cpu, false, self->nr_test_clients, &before, d);
	ASSERT_INVARIANTS();
}

/* A replay veto undoes itself and returns the status to the caller. */
TEST_F(sync, replay_veto)
{
	long d[NR_STEPS], next, clients, fails;
	struct counts before;
	int online = cpu_count_online();
	int cpu = cpu_last_online();

	ASSERT_LT(1, online) TH_LOG("needs two online CPUs");
	next = stat_value(TEST_STATS, "next_idx");
	clients = stat_value(TEST_STATS, "clients");
	ASSERT_EQ(0, write_filef(TEST_CTL, "veto %ld %d -12", next, cpu));
	counts_read(&before);
	fails = add_failures_with(-ENOMEM);
	/* registering from the vetoed CPU: the rollback runs elsewhere */
	ASSERT_EQ(0, pin_to_cpu(cpu));
	EXPECT_EQ(-ENOMEM, write_file(TEST_CTL, "register 1 1"));
	ASSERT_EQ(0, pin_to_cpu(-1));
	counts_delta(&before, d);
	EXPECT_EQ(fails + 1, add_failures_with(-ENOMEM));
	/* the replayed ADD_COMPLETEs and the REMOVE_STARTs on their CPUs */
	EXPECT_EQ(0, stat_value(TEST_STATS, "wrong_cpu_add_complete"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "wrong_cpu_remove_start"));
	/* the highest online CPU is replayed last: all others came and went */
	EXPECT_EQ(online, d[S_START]);
	EXPECT_EQ(online - 1, d[S_COMPLETE]);
	EXPECT_EQ(1, d[S_FAILURE]);
	EXPECT_EQ(online - 1, d[S_RSTART]);
	EXPECT_EQ(online - 1, d[S_RCOMPLETE]);
	EXPECT_EQ(clients, stat_value(TEST_STATS, "clients"));
	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	ASSERT_INVARIANTS();
}

/*
 * The ADD_EXISTING replay runs ADD_COMPLETE on each CPU concerned, whichever
 * CPU the registering task is bound to: first CPU 0, then the last.
 */
TEST_F(sync, replay_on_target_cpu)
{
	int pin[2] = { 0, cpu_last_online() };
	int online = cpu_count_online(), i;
	struct counts before;
	long d[NR_STEPS];

	ASSERT_LT(1, online) TH_LOG("needs two online CPUs");
	for (i = 0; i < 2; i++) {
		counts_read(&before);
		ASSERT_EQ(0, pin_to_cpu(pin[i]));
		EXPECT_EQ(0, write_file(TEST_CTL, "register 1 1"));
		ASSERT_EQ(0, pin_to_cpu(-1));
		counts_delta(&before, d);
		EXPECT_EQ(online, d[S_START]);
		EXPECT_EQ(online, d[S_COMPLETE]);
		EXPECT_EQ(0, stat_value(TEST_STATS, "wrong_cpu_add_complete"))
			TH_LOG("registering from CPU %d", pin[i]);
		self->nr_test_clients++;
	}
	ASSERT_INVARIANTS();
}

/*
 * The first of the other APIs that did not refuse othersfrom's callback
 * with -EDEADLK (its dhp_test stat), "" if all did.
 */
static const char *others_not_refused(void)
{
	static const char *const keys[] = {
		"cb_ev_reg", "cb_ev_unreg", "cb_rb_unreg",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (stat_value(TEST_STATS, keys[i]) != -EDEADLK)
			return keys[i];
	return "";
}

/*
 * Every step of an ADD_EXISTING replay is inside a dhp callback, also those
 * in the registering task after a replayed ADD_COMPLETE ran in a kworker
 * bound to its CPU: the other APIs refuse with -EDEADLK from each. The
 * n-th client of the loop calls them from its n-th callback, so that
 * every one of the 2 x online steps of a replay is tried once.
 */
TEST_F(sync, replay_steps_are_callbacks)
{
	int online = cpu_count_online(), n;
	long next;

	ASSERT_LT(1, online) TH_LOG("needs two online CPUs");
	for (n = 1; n <= 2 * online; n++) {
		next = stat_value(TEST_STATS, "next_idx");
		ASSERT_EQ(0, write_filef(TEST_CTL, "othersfrom %ld %d", next,
					 n));
		ASSERT_EQ(0, write_file(TEST_CTL, "register 1 1"));
		self->nr_test_clients++;
		EXPECT_STREQ("", others_not_refused())
			TH_LOG("callback %d of the replay", n);
	}
	ASSERT_INVARIANTS();
}

/*
 * Every step of a hotplug is inside a dhp callback: the other APIs refuse
 * with -EDEADLK from each (one that went on would wait for the hotplug
 * lock its own operation holds). A new client, the n-th of its callbacks
 * of an offline and an online: REMOVE_START, REMOVE_COMPLETE, ADD_START,
 * ADD_COMPLETE.
 */
TEST_F_TIMEOUT(sync, hotplug_steps_are_callbacks, 300)
{
	int cpu = cpu_last_online(), n;
	long idx;

	ASSERT_LT(0, cpu);
	idx = stat_value(TEST_STATS, "next_idx");
	ASSERT_EQ(0, write_file(TEST_CTL, "register 1 0"));
	self->nr_test_clients++;
	for (n = 1; n <= 4; n++) {
		ASSERT_EQ(0, write_filef(TEST_CTL, "othersfrom %ld %d", idx,
					 n));
		ASSERT_EQ(0, cpu_set_online(cpu, false));
		ASSERT_EQ(0, cpu_set_online(cpu, true));
		EXPECT_STREQ("", others_not_refused())
			TH_LOG("callback %d of the cycle", n);
	}
	ASSERT_INVARIANTS();
}

/* 7. Misuse of the API and garbage in the debugfs files. */
TEST_F(sync, bad_input)
{
	static const char *const fail_bad[] = {
		"garbage", "1 12", "99999 -12", "-3 -12", "1 -5000", "1",
		"", "1 -12 junk that is far too long for the buffer",
	};
	static const char *const io_bad[] = { "0", "abc", "2000000", "-1", "" };
	static const char *const ctl_bad[] = {
		"nonsense", "veto 0 0 5", "veto -1 0 -12", "vetoraw 0 0 0",
		"register",
		"churn 9999999", "",
	};
	/* what dhp_test's badinput got back, case by case (TEST_STATS) */
	static const struct misuse {
		const char *key;
		long err;
	} misuse[] = {
		{ "bad_null_cb", -EINVAL }, { "bad_flags", -EINVAL },
		{ "bad_null_handle", -EINVAL }, { "bad_double", -ENOENT },
		{ "bad_foreign", -ENOENT },
		/* the rebalance API too */
		{ "rb_null", -EINVAL }, { "rb_no_irqs", -EINVAL },
		{ "rb_no_ops", -EINVAL }, { "rb_no_dev", -EINVAL },
		{ "rb_no_such_irq", -EINVAL }, { "rb_unrequested", -EINVAL },
		{ "rb_null_handle", -EINVAL }, { "rb_foreign", -ENOENT },
		{ NULL },
	};
	const struct misuse *m;
	long v;
	int cpu;

	ASSERT_EQ(0, write_file(TEST_CTL, "badinput"));
	for (m = misuse; m->key; m++) {
		v = stat_value(TEST_STATS, m->key);
		if (v != m->err)
			fprintf(stderr, "# %s %ld\n", m->key, v);
		EXPECT_EQ(m->err, v);
	}

	EXPECT_EQ(0, count_accepted(SAMPLE_DEBUGFS "/fail", fail_bad,
				    ARRAY_SIZE(fail_bad)));
	EXPECT_TRUE(file_has_line(SAMPLE_DEBUGFS "/fail", "off"));
	EXPECT_EQ(0, count_accepted(SAMPLE_DEBUGFS "/io", io_bad,
				    ARRAY_SIZE(io_bad)));
	EXPECT_EQ(0, count_accepted(TEST_CTL, ctl_bad, ARRAY_SIZE(ctl_bad)));

	/* (Un)registering from inside a callback fails, no deadlock. */
	ASSERT_EQ(0, write_file(TEST_CTL, "selfunreg 0"));
	cpu = cpu_last_online();
	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	EXPECT_EQ(-EDEADLK, stat_value(TEST_STATS, "selfunreg"));
	EXPECT_EQ(-EDEADLK, stat_value(TEST_STATS, "selfreg"));
	EXPECT_EQ(3, stat_value(TEST_STATS, "clients"));
	ASSERT_INVARIANTS();
}

/* 8. Registration churn while CPUs go offline and online. */
TEST_F_TIMEOUT(sync, churn_during_hotplug, 600)
{
	int cpu = cpu_last_online();
	int status, cycles = 0;
	double end;
	pid_t child;

	ASSERT_LT(0, cpu);
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(write_file(TEST_CTL, "churn 8000") ? 1 : 0);

	end = now_s() + 8;
	while (now_s() < end) {
		ASSERT_EQ(0, cpu_set_online(cpu, false));
		ASSERT_EQ(0, cpu_set_online(cpu, true));
		cycles++;
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	TH_LOG("%d offline/online cycles, %ld registrations", cycles,
	       stat_value(TEST_STATS, "churn_rounds"));
	EXPECT_LT(0, cycles);
	EXPECT_LT(0, stat_value(TEST_STATS, "churn_rounds"));
	ASSERT_INVARIANTS();
}

/* How many times @needle occurs in @hay. */
static int count_in(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle))) {
		hay++;
		n++;
	}
	return n;
}

/*
 * A module that unloads with clients still registered: dhp reports it and
 * takes them off before the module's code goes, every one of them (it
 * leaks two synchronous and two asynchronous clients and a rebalance
 * device here). Without that the CPU changes after it
 * would call freed code (an oops, which fails the run).
 */
TEST_F_TIMEOUT(sync, unload_while_registered, 600)
{
	static char log[1 << 16];
	const char *evc = DHP_DEBUGFS "/event_clients";
	int cpu = cpu_last_online();
	long ev_clients = stat_value(evc, "# clients");

	ASSERT_LT(0, cpu);
	ASSERT_LT(0, ev_clients);
	ASSERT_EQ(0, write_file(TEST_CTL, "leak"));
	ASSERT_EQ(0, write_file(TEST_CTL, "leak"));
	ASSERT_EQ(0, write_file(TEST_CTL, "rbleak"));
	EXPECT_EQ(1, stat_value(DHP_DEBUGFS "/rebalance/stats", "devices"));
	ASSERT_LE(0, klog_take(log, sizeof(log)));
	ASSERT_EQ(0, mod_unload("dhp_test"));
	ASSERT_LE(0, klog_take(log, sizeof(log)));
	EXPECT_EQ(2, count_in(log, "module dhp_test unloaded with synchronous client"));
	EXPECT_EQ(2, count_in(log, "module dhp_test unloaded with asynchronous client"));
	EXPECT_EQ(1, count_in(log, "module dhp_test unloaded with rebalance client"));
	EXPECT_EQ(ev_clients, stat_value(evc, "# clients"));
	EXPECT_EQ(0, stat_value(DHP_DEBUGFS "/rebalance/stats", "devices"));
	/* a round now would call the module's freed operations */
	ASSERT_EQ(0, write_file("/sys/kernel/dhp/rebalance/trigger", "1"));
	/* only the sample is left */
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 1\n"));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(cpu_count_online(), sample_contexts());
	mod_unload("dhp_sample");
	ASSERT_EQ(0, mod_unload("dhp"));
	ASSERT_LE(0, klog_take(log, sizeof(log)));
	EXPECT_EQ(1, dhp_unloads_balanced(log));
}

/*
 * The sample's per-CPU context (dhp_register_cpu_callback_percpu()): its
 * hot path, one this_cpu_inc() in an IPI on every CPU and in the writing
 * task, counts every request exactly once on the CPU that ran it; a CPU
 * going offline folds exactly what its slot held, and comes back with a
 * slot that dhp's ADD_START found empty. The oracle is arithmetic on what
 * the test wrote, not the sample's own totals.
 */
TEST_F_TIMEOUT(sync, percpu_context, 600)
{
	long before[MAX_CPUS], sum = 0, folded, last;
	int cpu, spare = -1, online = 0;
	const int n = 100;

	cpu = cpu_arrive();
	ASSERT_LE(0, cpu);
	spare = cpu;

	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		before[cpu] = sample_requests(cpu);
		online += before[cpu] >= 0;
	}
	ASSERT_EQ(cpu_count_online(), online);
	ASSERT_EQ(0, write_file(SAMPLE_DEBUGFS "/io", "100"));
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		long now = sample_requests(cpu);

		if (before[cpu] < 0) {
			EXPECT_EQ(-1, now);
			continue;
		}
		/* n in the IPIs, and up to n more if the task ran here */
		EXPECT_LE(n, now - before[cpu]);
		EXPECT_GE(2 * n, now - before[cpu]);
		sum += now - before[cpu];
	}
	/* n per online CPU in IPIs, n in the task: none lost, none twice */
	EXPECT_EQ((long)n * (online + 1), sum);

	last = sample_requests(spare);
	folded = stat_value(SAMPLE_STATS, "folded");
	ASSERT_EQ(0, cpu_set_online(spare, false));
	EXPECT_EQ(-1, sample_requests(spare));
	/* the slot's count went into the total, to the request */
	EXPECT_EQ(folded + last, stat_value(SAMPLE_STATS, "folded"));

	ASSERT_EQ(0, cpu_set_online(spare, true));
	/* zeroed when folded, found empty at its ADD_START */
	EXPECT_EQ(0, sample_requests(spare));
	ASSERT_INVARIANTS();
}

/* The id of the last synchronous client registered, from cpu_clients. */
static long last_client_id(void)
{
	static char buf[1 << 16];
	char *line;
	long id = -1;

	if (read_file(DHP_DEBUGFS "/cpu_clients", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '#')
			sscanf(line, "%ld", &id);
	return id;
}

/*
 * 13. dhp's history in tracefs: the dhp_record events of a vetoed add, an
 * add, a removal and a registration with its replay are exactly these,
 * in this order, each with the clients it reached (the fixture's four),
 * the veto's client and errno, the replay's CPUs.
 */
TEST_F_TIMEOUT(sync, trace_records, 600)
{
	static char buf[1 << 20];
	char want[9][96], got[9][96];
	long vetoer = last_client_id();
	int cpu, online, n = 0, i, fd;
	const char *p;
	char *line;

	fd = open(TRACING "/trace", O_WRONLY | O_TRUNC);	/* empties it */
	if (fd < 0)
		SKIP(return, "no tracefs: %s", strerror(errno));
	close(fd);
	ASSERT_EQ(0, write_file(TRACING "/events/dhp/dhp_record/enable", "1"));
	cpu = cpu_new();
	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, write_filef(TEST_CTL, "veto 2 %d -28", cpu));
	EXPECT_EQ(-ENOSPC, cpu_set_online(cpu, true));
	ASSERT_EQ(0, write_file(TEST_CTL, "veto off"));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	online = cpu_count_online();
	ASSERT_EQ(0, write_file(TEST_CTL, "register 1 1"));
	write_file(TRACING "/events/dhp/dhp_record/enable", "0");

	snprintf(want[0], 96, "cpu-veto cpu=%d client=%ld arg=0 err=-28", cpu,
		 vetoer);
	snprintf(want[1], 96, "cpu-add-start cpu=%d client=0 arg=4 err=0", cpu);
	snprintf(want[2], 96, "cpu-add-failure cpu=%d client=0 arg=4 err=-28",
		 cpu);
	snprintf(want[3], 96, "cpu-add-start cpu=%d client=0 arg=4 err=0", cpu);
	snprintf(want[4], 96, "cpu-add-complete cpu=%d client=0 arg=4 err=0",
		 cpu);
	snprintf(want[5], 96, "cpu-remove-start cpu=%d client=0 arg=4 err=0",
		 cpu);
	snprintf(want[6], 96, "cpu-remove-complete cpu=%d client=0 arg=4 err=0",
		 cpu);
	snprintf(want[7], 96, "cpu-register cpu=-1 client=%ld arg=1 err=0",
		 vetoer + 1);
	snprintf(want[8], 96, "cpu-replay cpu=-1 client=%ld arg=%d err=0",
		 vetoer + 1, online);

	ASSERT_LE(0, read_file(TRACING "/trace", buf, sizeof(buf)));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		p = strstr(line, "dhp_record: cpu-");
		if (!p)
			continue;
		ASSERT_GT(9, n) TH_LOG("a record more: %s", p + 12);
		snprintf(got[n++], 96, "%s", p + 12);
	}
	ASSERT_EQ(9, n);
	for (i = 0; i < 9; i++)
		EXPECT_STREQ(want[i], got[i]);
	ASSERT_INVARIANTS();
}

TEST_HARNESS_MAIN
