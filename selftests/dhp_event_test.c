// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of dhp's asynchronous notification and high-memory condition, run
 * as root in a guest with DIMM slots, a virtio-mem device and hot-pluggable
 * (6.1) or present-but-offline (6.12) CPUs (scripts/check.py). The test
 * client module dhp_evtest.ko records what each named client receives; the
 * tests compare it with what the host did (hostctl) and what sysfs shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "hostctl.h"
#include "evclient.h"

#define __stringify_1(x)	#x
#define __stringify(x)	__stringify_1(x)

static void unload_all(void)
{
	mod_unload("dhp_evtest");
	mod_unload("dhp");
}

FIXTURE(ev) {
	bool was_online[64];
};

FIXTURE_SETUP(ev)
{
	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	cpus_online_save(self->was_online, 64);
}

FIXTURE_TEARDOWN(ev)
{
	cpus_online_restore(self->was_online, 64);
	ctl("hold held 0");
	unload_all();
}

/* Online memory blocks, from sysfs. */
static long online_blocks(void)
{
	char path[300], buf[32];
	long n = 0;
	int i;

	for (i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), MEM_SYSFS "/memory%d/state", i);
		if (read_file(path, buf, sizeof(buf)) > 0 &&
		    !strncmp(buf, "online", 6))
			n++;
	}
	return n;
}

/* 8. INCLUDE_EXISTING: what is online now, first, as seq 0. */
TEST_F_TIMEOUT(ev, include_existing, 300)
{
	unsigned long long mem = 0;
	int cpus = 0, i;

	ASSERT_EQ(0, ctl("register e %d", F_PROC | F_MEM | F_EXISTING));
	ASSERT_TRUE(wait_calls("e", cpu_count_online() + 1, 30));
	usleep(500000);
	ASSERT_TRUE(client_read("e"));
	for (i = 0; i < cl.nr; i++) {
		EXPECT_EQ(0, cl.r[i].seq);
		if (cl.r[i].kind == CPU_ARRIVAL)
			cpus++;
		if (cl.r[i].kind == MEM_ARRIVAL) {
			mem += cl.r[i].size;
			EXPECT_EQ(SRC_BOOT, cl.r[i].source);
		}
	}
	EXPECT_EQ(cpu_count_online(), cpus);
	EXPECT_EQ(online_blocks() * block_bytes(), mem);
	EXPECT_TRUE(no_overlap("e", MEM_ARRIVAL));
}

/* 1, 2. A DIMM comes and goes: ranges right, merged, never twice. */
TEST_F_TIMEOUT(ev, dimm_add_remove, 900)
{
	unsigned long long addr, got;
	char id[32];
	int calls, i, merged;
	long before, after;

	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register all %d", F_PROC | F_MEM));
	after = events_stat("posted");
	ASSERT_EQ(0, ctl("register held %d", F_MEM));
	ASSERT_EQ(0, ctl("hold held 1"));

	addr = dimm_add("1G", id);
	ASSERT_NE(0, addr) TH_LOG("dimm-add failed");
	ASSERT_TRUE(wait_bytes("all", MEM_ARRIVAL, addr, GIB, GIB, 120));
	got = mem_covered("all", MEM_ARRIVAL, addr, GIB, &calls);
	EXPECT_EQ(GIB, got);
	EXPECT_TRUE(no_overlap("all", MEM_ARRIVAL));
	client_read("all");
	for (i = 0; i < cl.nr; i++) {
		if (cl.r[i].kind != MEM_ARRIVAL)
			continue;
		EXPECT_EQ(SRC_ACPI_DIMM, cl.r[i].source);
		EXPECT_EQ(0, cl.r[i].node);
	}
	TH_LOG("1 GiB DIMM at %#llx: %d arrival callbacks", addr, calls);

	/*
	 * The held client sits in its first callback (it records on return)
	 * while the other blocks queue behind it: once released, they come
	 * as one merged range.
	 */
	ASSERT_TRUE(client_read("held"));
	EXPECT_EQ(0, cl.calls);
	ASSERT_EQ(0, ctl("hold held 0"));
	ASSERT_TRUE(wait_bytes("held", MEM_ARRIVAL, addr, GIB, GIB, 60));
	ASSERT_TRUE(client_read("held"));
	EXPECT_EQ(8, cl.delivered);
	EXPECT_GE(2, cl.calls);
	merged = cl.r[cl.nr - 1].count;
	TH_LOG("held client: %ld callbacks, the last one %d blocks", cl.calls,
	       merged);
	EXPECT_LE(2, merged);
	EXPECT_TRUE(no_overlap("held", MEM_ARRIVAL));

	/*
	 * A client registered now is told of the DIMM as a DIMM, apart from
	 * boot memory, without AML per registration (the source was recorded
	 * when the blocks came online).
	 */
	ASSERT_EQ(0, ctl("register ex %d", F_MEM | F_EXISTING));
	for (i = 0, got = 0; i < 600 && got < GIB; i++) {
		usleep(100000);
		ASSERT_TRUE(client_read("ex"));
		for (calls = 0, got = 0; calls < cl.nr; calls++)
			if (cl.r[calls].start >= addr &&
			    cl.r[calls].start < addr + GIB)
				got += cl.r[calls].size;
	}
	EXPECT_EQ(GIB, got);
	for (i = 0; i < cl.nr; i++) {
		bool dimm = cl.r[i].start >= addr && cl.r[i].start < addr + GIB;

		EXPECT_EQ(dimm ? SRC_ACPI_DIMM : SRC_BOOT, cl.r[i].source);
	}

	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_bytes("all", MEM_REMOVAL, addr, GIB, GIB, 120));
	EXPECT_EQ(GIB, mem_covered("all", MEM_REMOVAL, addr, GIB, &calls));
	EXPECT_TRUE(no_overlap("all", MEM_REMOVAL));
	/* a removal reports the source its arrival had */
	ASSERT_TRUE(client_read("all"));
	for (i = 0; i < cl.nr; i++)
		if (cl.r[i].kind == MEM_REMOVAL)
			EXPECT_EQ(SRC_ACPI_DIMM, cl.r[i].source);
	/* no arrival was delivered twice */
	EXPECT_EQ(GIB, mem_covered("all", MEM_ARRIVAL, addr, GIB, &calls));
	ASSERT_TRUE(client_read("all"));
	EXPECT_EQ(0, cl.seq_errors);
	ASSERT_TRUE(client_read("held"));
	EXPECT_EQ(0, cl.seq_errors);
	ASSERT_TRUE(wait_caught_up("all", 120));
	EXPECT_CONTIGUOUS("all", before, after);
}

/* 3. virtio-mem grows and shrinks: arrivals and removals match. */
TEST_F_TIMEOUT(ev, virtio_mem, 900)
{
	char reply[256];
	long before, after;
	int i;

	/* the runner ships the module (vm.py --vmem); load it once */
	if (access("/sys/bus/virtio/drivers/virtio_mem", F_OK) &&
	    system("kmod-load virtio_mem"))
		SKIP(return, "cannot load virtio_mem (no --vmem device?)");
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register v %d", F_PROC | F_MEM));
	after = events_stat("posted");
	ASSERT_EQ(0, hostctl("vmem-resize 512M wait", reply, sizeof(reply),
			     300000)) TH_LOG("%s", reply);
	for (i = 0; i < 600 && vmem_bytes("v", MEM_ARRIVAL) < 512 << 20; i++)
		usleep(100000);
	EXPECT_EQ(512ULL << 20, vmem_bytes("v", MEM_ARRIVAL));
	EXPECT_TRUE(no_overlap("v", MEM_ARRIVAL));

	ASSERT_EQ(0, hostctl("vmem-resize 0 wait", reply, sizeof(reply),
			     300000)) TH_LOG("%s", reply);
	for (i = 0; i < 600 && vmem_bytes("v", MEM_REMOVAL) < 512 << 20; i++)
		usleep(100000);
	EXPECT_EQ(512ULL << 20, vmem_bytes("v", MEM_REMOVAL));
	EXPECT_EQ(512ULL << 20, vmem_bytes("v", MEM_ARRIVAL));
	ASSERT_TRUE(wait_caught_up("v", 120));
	EXPECT_CONTIGUOUS("v", before, after);
}

/* The record of @name for a CPU event, or NULL. */
static struct rec *cpu_rec(const char *name, int kind, int cpu)
{
	int i;

	client_read(name);
	for (i = 0; i < cl.nr; i++)
		if (cl.r[i].kind == kind && cl.r[i].cpu == cpu && cl.r[i].seq)
			return &cl.r[i];
	return NULL;
}

static struct rec *wait_cpu_rec(const char *name, int kind, int cpu)
{
	struct rec *r = NULL;
	int i;

	for (i = 0; i < 300 && !r; i++) {
		r = cpu_rec(name, kind, cpu);
		if (!r)
			usleep(100000);
	}
	return r;
}

/* 4. A CPU arrives (hot-added where the kernel can) and leaves. */
TEST_F_TIMEOUT(ev, cpu_arrival_removal, 600)
{
	unsigned long long arrival_seq;
	long before, after;
	struct rec *r;
	double t0;
	int cpu;

	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register c %d", F_PROC | F_MEM));
	after = events_stat("posted");
	t0 = now_s();
	cpu = cpu_arrive();
	ASSERT_LE(0, cpu);
	r = wait_cpu_rec("c", CPU_ARRIVAL, cpu);
	ASSERT_TRUE(!!r);
	/* delivered once the CPU was online and scheduling */
	EXPECT_EQ(1, r->active);
	EXPECT_EQ(0, r->node);
	/*
	 * timestamp_ns is of the change (the client records the delivery's
	 * ktime_get_ns() minus it): within the time the test took for it
	 */
	EXPECT_GE((now_s() - t0) * 1e6, r->lat_us);
	arrival_seq = r->seq;

	t0 = now_s();
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	r = wait_cpu_rec("c", CPU_REMOVAL, cpu);
	ASSERT_TRUE(!!r);
	EXPECT_GE((now_s() - t0) * 1e6, r->lat_us);
	EXPECT_LT(arrival_seq, r->seq);
	EXPECT_EQ(0, r->active);
	ASSERT_TRUE(client_read("c"));
	EXPECT_EQ(2, cl.calls);
	EXPECT_CONTIGUOUS("c", before, after);
}

/* An online CPU with a hotplug/ directory (a hot-added one has none). */
static int cpu_parkable(char *target, size_t len)
{
	int cpu;

	for (cpu = 63; cpu > 0; cpu--) {
		snprintf(target, len, CPU_SYSFS "/cpu%d/hotplug/target", cpu);
		if (cpu_state(cpu) == 1 && !access(target, W_OK))
			break;
	}
	return cpu;
}

/*
 * A CPU parked between dhp's two states (CPU_HOTPLUG_STATE_CONTROL: one
 * write brings it up to dhp's prepare state only, a later one finishes):
 * nothing is delivered while it is parked, and its arrival is delivered
 * once it is online, although the dispatcher's wait begun by the first
 * operation ended with it.
 */
TEST_F_TIMEOUT(ev, cpu_parked_between_states, 600)
{
	long before, after, posted;
	int cpu, prepare, online, ret;
	char target[128], state[128];
	struct rec *r;

	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register p %d", F_PROC));
	after = events_stat("posted");
	cpu = cpu_parkable(target, sizeof(target));
	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_TRUE(!!wait_cpu_rec("p", CPU_REMOVAL, cpu));
	posted = events_stat("posted");
	prepare = dhp_state_number("prepare");
	online = cpuhp_number("online");
	ASSERT_LT(0, prepare);
	ASSERT_LT(prepare, online);
	/* cpuN/online is not updated by target writes: the state is */
	snprintf(state, sizeof(state), CPU_SYSFS "/cpu%d/hotplug/state", cpu);
	ret = write_filef(target, "%d", prepare);
	if (ret == -EINVAL)
		SKIP(return, "no CPU_HOTPLUG_STATE_CONTROL in this kernel");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(prepare, sysfs_long(state));
	usleep(1500000);
	EXPECT_EQ(NULL, cpu_rec("p", CPU_ARRIVAL, cpu));
	EXPECT_EQ(posted, events_stat("posted"));

	ASSERT_EQ(0, write_filef(target, "%d", online));
	EXPECT_EQ(online, sysfs_long(state));
	r = wait_cpu_rec("p", CPU_ARRIVAL, cpu);
	ASSERT_TRUE(!!r);
	EXPECT_EQ(1, r->active);
	ASSERT_TRUE(client_read("p"));
	EXPECT_EQ(2, cl.calls);
	EXPECT_CONTIGUOUS("p", before, after);
}

/*
 * Synchronous clients that unregister while a CPU is parked between dhp's
 * two states got its ADD_START and never will its ADD_COMPLETE: each gets
 * ADD_FAILURE with -ECANCELED before unregistration returns (dhp.h), so
 * that every START is answered. dhp_test's two clients count it.
 */
TEST_F_TIMEOUT(ev, unregister_while_cpu_parked, 600)
{
	int cpu, prepare, online, ret;
	char target[128];
	long fails;

	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 0"));
	cpu = cpu_parkable(target, sizeof(target));
	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	prepare = dhp_state_number("prepare");
	online = cpuhp_number("online");
	ASSERT_LT(0, prepare);
	ASSERT_LT(prepare, online);
	fails = add_failures_with(-ECANCELED);
	ret = write_filef(target, "%d", prepare);
	if (ret == -EINVAL) {
		cpu_set_online(cpu, true);
		mod_unload("dhp_test");
		SKIP(return, "no CPU_HOTPLUG_STATE_CONTROL in this kernel");
	}
	ASSERT_EQ(0, ret);
	EXPECT_EQ(2, stat_value(TEST_STATS, "add_start"));
	ASSERT_EQ(0, write_file(TEST_CTL, "unregister"));
	EXPECT_EQ(fails + 2, add_failures_with(-ECANCELED));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	ASSERT_EQ(0, write_filef(target, "%d", online));
	EXPECT_EQ(0, stat_value(TEST_STATS, "add_complete"));
	EXPECT_EQ(0, mod_unload("dhp_test"));
}

/*
 * dhp loaded while a CPU is parked below where dhp:online will be, in the
 * AP range (cpu_online() already true, the CPU not active): dhp must not
 * take it for one that passed its online step. An INCLUDE_EXISTING client
 * registered then is not told of it; when the CPU comes up, its arrival
 * is delivered, once, and when it goes, its removal. Synchronous clients
 * heard no ADD_START of it and hear nothing, every START answered.
 */
TEST_F_TIMEOUT(ev, dhp_loaded_while_cpu_parked, 600)
{
	int cpu, park = -1, online, dhp_online, i;
	static struct cpuhp_state_name st[512];
	char target[128], state[128];
	long before, after, starts, rstarts;
	struct rec *r;

	cpu = cpu_parkable(target, sizeof(target));
	ASSERT_LT(0, cpu);
	online = cpuhp_number("online");
	dhp_online = dhp_state_number("online");
	ASSERT_LT(0, dhp_online);
	snprintf(state, sizeof(state), CPU_SYSFS "/cpu%d/hotplug/state", cpu);
	/* the nearest state below dhp:online, above ap:, that cpuhp stops at */
	for (i = cpuhp_states(st, 512) - 1; i >= 0 && park < 0; i--) {
		if (st[i].num >= dhp_online)
			continue;
		if (!strncmp(st[i].name, "ap:", 3))
			break;
		if (!write_filef(target, "%d", st[i].num) &&
		    sysfs_long(state) == st[i].num)
			park = st[i].num;
	}
	if (park < 0) {
		write_filef(target, "%d", online);
		SKIP(return, "no CPU_HOTPLUG_STATE_CONTROL, or no state to park at");
	}
	TH_LOG("cpu %d parked at state %d (dhp:online is %d)", cpu, park,
	       dhp_online);
	EXPECT_EQ(1, cpu_state(cpu));

	ASSERT_EQ(0, mod_unload("dhp_evtest"));
	ASSERT_EQ(0, mod_unload("dhp"));
	ASSERT_EQ(0, mod_load("dhp", NULL));
	/* dynamic slots go first-free: dhp:online may have moved */
	ASSERT_LT(park, dhp_state_number("online"));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 1"));
	starts = stat_value(TEST_STATS, "add_start");
	rstarts = stat_value(TEST_STATS, "remove_start");
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register x %d", F_PROC | F_MEM | F_EXISTING));
	after = events_stat("posted");
	ASSERT_TRUE(client_read("x"));
	for (i = 0; i < cl.nr; i++)
		EXPECT_FALSE(cl.r[i].kind == CPU_ARRIVAL && cl.r[i].cpu == cpu)
			TH_LOG("told of the parked cpu as existing");

	ASSERT_EQ(0, write_filef(target, "%d", online));
	EXPECT_EQ(online, sysfs_long(state));
	r = wait_cpu_rec("x", CPU_ARRIVAL, cpu);
	ASSERT_TRUE(!!r);
	EXPECT_EQ(1, r->active);
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_TRUE(!!wait_cpu_rec("x", CPU_REMOVAL, cpu));
	ASSERT_TRUE(wait_caught_up("x", 60));
	EXPECT_EQ(after + 2, events_stat("posted"));
	EXPECT_CONTIGUOUS("x", before, after);
	EXPECT_EQ(starts, stat_value(TEST_STATS, "add_start"));
	EXPECT_EQ(rstarts, stat_value(TEST_STATS, "remove_start"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_LT(0, dhp_clients_balanced());
	EXPECT_EQ(0, mod_unload("dhp_test"));
}

#define INJECT "/sys/kernel/debug/notifier-error-inject/memory/actions/MEM_GOING_ONLINE/error"

/* 5. MEM_GOING_ONLINE vetoed above and below dhp's priority. */
TEST_F_TIMEOUT(ev, notifier_veto, 900)
{
	static const int prio[] = { 30, 10 };	/* dhp's is 20 */
	long bs = block_bytes(), nr, posted, before, after, mposted;
	unsigned long long addr;
	char id[32], cmd[128];
	int calls, i;

	ASSERT_LT(0, bs);
	ASSERT_EQ(20, stat_value(DHP_MEMORY, "notifier_priority"));
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register m %d", F_PROC | F_MEM));
	after = events_stat("posted");
	mposted = stat_value(DHP_MEMORY, "posted");
	addr = dimm_add("1G", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, GIB, GIB, 120));
	/* the memory part's own count: one event per block that changed */
	EXPECT_EQ(mposted + GIB / bs, stat_value(DHP_MEMORY, "posted"));
	nr = addr / bs;
	ASSERT_EQ(0, block_set(nr, "offline"));
	ASSERT_TRUE(wait_bytes("m", MEM_REMOVAL, addr, bs, bs, 60));
	mposted += GIB / bs + 1;
	EXPECT_EQ(mposted, stat_value(DHP_MEMORY, "posted"));

	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "modprobe memory-notifier-error-inject priority=%d",
			 prio[i]);
		if (system(cmd))
			SKIP(goto out, "no memory-notifier-error-inject");
		ASSERT_EQ(0, write_file(INJECT, "-12"));
		posted = events_stat("posted");
		EXPECT_EQ(-ENOMEM, block_set(nr, "online_movable"))
			TH_LOG("priority %d", prio[i]);
		/* MEM_CANCEL_ONLINE gave the reservation back, at once */
		EXPECT_EQ(0, stat_value(DHP_MEMORY, "pending"))
			TH_LOG("priority %d", prio[i]);
		usleep(500000);
		EXPECT_EQ(posted, events_stat("posted"));
		EXPECT_EQ(mposted, stat_value(DHP_MEMORY, "posted"));
		EXPECT_EQ(GIB, mem_covered("m", MEM_ARRIVAL, addr, GIB, &calls));
		write_file(INJECT, "0");
		EXPECT_EQ(0, system("rmmod memory_notifier_error_inject"));
	}
	/* nothing left reserved: the next online goes through, once */
	ASSERT_EQ(0, block_set(nr, "online_movable"));
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, GIB, GIB + bs, 60));
	EXPECT_EQ(GIB + bs, mem_covered("m", MEM_ARRIVAL, addr, GIB, &calls));
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "pending"));
	EXPECT_EQ(mposted + 1, stat_value(DHP_MEMORY, "posted"));
	ASSERT_TRUE(wait_caught_up("m", 120));
	EXPECT_CONTIGUOUS("m", before, after);
out:
	EXPECT_EQ(0, dimm_del(id));
}

/*
 * Whether @name got every event in (@base, @posted] exactly once, in
 * order: each record starts where the previous one ended.
 */
static bool stream_complete(const char *name, long base, long posted)
{
	unsigned long long next = base + 1;
	int i;

	if (!client_read(name) || cl.seq_errors || cl.delivered != posted - base)
		return false;
	for (i = 0; i < cl.nr; i++) {
		if (cl.r[i].seq != next) {
			fprintf(stderr, "# %s: record %d has seq %llu, not %llu\n",
				name, i, cl.r[i].seq, next);
			return false;
		}
		next = cl.r[i].seq + cl.r[i].count;
	}
	return next == (unsigned long long)posted + 1;
}

/* 6. Exactly once, in order, across vCPU and DIMM hot-add. */
TEST_F_TIMEOUT(ev, exactly_once_mixed, 900)
{
	long base, after, posted;
	char id[32];
	int cpu;

	base = events_stat("posted");
	ASSERT_EQ(0, ctl("register x %d", F_PROC | F_MEM));
	ASSERT_EQ(0, ctl("register y %d 20", F_PROC | F_MEM));
	after = events_stat("posted");
	cpu = cpu_arrive();
	ASSERT_LE(0, cpu);
	ASSERT_NE(0, dimm_add("1G", id));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_caught_up("x", 120));
	ASSERT_TRUE(wait_caught_up("y", 120));
	posted = events_stat("posted");
	TH_LOG("%ld events posted", posted - base);
	EXPECT_EQ(3 + 8 + 8, posted - base);

	EXPECT_TRUE(stream_complete("x", base, posted));
	EXPECT_TRUE(stream_complete("y", base, posted));
	EXPECT_CONTIGUOUS("x", base, after);
	EXPECT_CONTIGUOUS("y", base, after);
}

/* dhp's count of asynchronous clients (its own rebalance one included). */
static int event_clients(void)
{
	char buf[256];
	int n = -1;

	if (read_file(DHP_EVENT_CLIENTS, buf, sizeof(buf)) > 0 &&
	    sscanf(buf, "# clients %d", &n) != 1)
		n = -1;
	return n;
}

/* 7. Unregister with events queued; a blocked client delays no one. */
TEST_F_TIMEOUT(ev, unregister_while_queued, 600)
{
	long discarded, posted, before, after;
	int cpu = cpu_last_online(), status, i, clients;
	pid_t child;

	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, ctl("register held %d", F_PROC));
	ASSERT_EQ(0, ctl("register slow %d 100", F_PROC));
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register fast %d", F_PROC | F_MEM));
	after = events_stat("posted");
	ASSERT_EQ(0, ctl("hold held 1"));
	posted = events_stat("posted");
	discarded = events_stat("discarded");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, cpu_set_online(cpu, false));
		ASSERT_EQ(0, cpu_set_online(cpu, true));
	}
	/* fast gets all four while held sits in its first callback */
	ASSERT_TRUE(wait_calls("fast", 4, 60));
	ASSERT_TRUE(client_read("held"));
	EXPECT_EQ(0, cl.calls);
	ASSERT_TRUE(wait_calls("slow", 4, 60));
	ASSERT_TRUE(client_read("slow"));
	EXPECT_EQ(0, cl.seq_errors);
	EXPECT_LE(100000, cl.r[3].lat_us);

	clients = event_clients();
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(ctl("unregister held") ? 1 : 0);
	usleep(1000000);
	/* still inside the held callback: unregister has not returned */
	EXPECT_EQ(0, waitpid(child, &status, WNOHANG));
	ASSERT_EQ(0, ctl("hold held 0"));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(4, events_stat("posted") - posted);
	EXPECT_EQ(3, events_stat("discarded") - discarded);
	EXPECT_EQ(clients - 1, event_clients());
	EXPECT_CONTIGUOUS("fast", before, after);
}

/* Waits until dhp has @n asynchronous clients; false after @secs. */
static bool wait_event_clients(int n, int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (event_clients() == n)
			return true;
		usleep(100000);
	}
	return false;
}

/*
 * 11. An unregistration waiting for its client's callback takes nothing
 * from the events published meanwhile (issue 9): "leave" is off dhp's list
 * and waits for its held callback while event 2 is published for "stay"
 * alone; once "leave" is gone, "stay" still gets event 2.
 */
TEST_F_TIMEOUT(ev, unregister_race, 600)
{
	int cpu = cpu_last_online(), clients;
	long before, after;

	ASSERT_LT(0, cpu);
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register stay %d", F_PROC | F_MEM));
	after = events_stat("posted");
	ASSERT_EQ(0, ctl("register leave %d", F_PROC | F_MEM));
	ASSERT_EQ(0, ctl("hold stay 1"));
	ASSERT_EQ(0, ctl("hold leave 1"));

	/* event 1: both callbacks block on it */
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_TRUE(wait_waiting("stay", 60));
	ASSERT_TRUE(wait_waiting("leave", 60));

	clients = event_clients();
	ASSERT_EQ(0, ctl("unregister_async leave"));
	ASSERT_TRUE(wait_event_clients(clients - 1, 60));
	ASSERT_TRUE(client_read("leave"));	/* still waiting for it */

	/* event 2, published with "leave" off the list: for "stay" only */
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(after + 2, events_stat("posted"));
	ASSERT_TRUE(wait_queued_for("ev_callback", 2, 60));

	ASSERT_EQ(0, ctl("hold leave 0"));
	ASSERT_TRUE(wait_gone("leave", 60));
	EXPECT_EQ(0, stat_value(EV_RESULTS, "unregister_async"));

	/* "stay" takes all dhp still has for it: both events, if none lost */
	ASSERT_EQ(0, ctl("hold stay 0"));
	ASSERT_TRUE(wait_queued_for("ev_callback", 0, 60));
	EXPECT_CONTIGUOUS("stay", before, after);
	EXPECT_EQ(2, cl.delivered);
	ASSERT_TRUE(events_drained(60));
	EXPECT_EQ(events_stat("fanout"),
		  events_stat("delivered") + events_stat("discarded"));
}

/*
 * A client blocked for the whole run: dhp keeps at most event_backlog
 * events for it, the others are not slowed, and once released it gets
 * what dhp kept, one overflow event for the rest, then the stream again.
 */
#define BACKLOG		16
#define DHP_EV_OVERFLOW_KIND	4	/* enum dhp_event_kind */
#define STUCK_CYCLES	30

TEST_F_TIMEOUT(ev, stuck_client_overflows, 900)
{
	int cpu = cpu_last_online(), i;
	long before, after, base, most = 0, live;
	struct dhp_ev_row row;

	ASSERT_LT(0, cpu);
	unload_all();
	ASSERT_EQ(0, mod_load("dhp", "event_backlog=" __stringify(BACKLOG)));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register live %d", F_PROC | F_MEM));
	ASSERT_EQ(0, ctl("register stuck %d", F_PROC | F_MEM));
	after = events_stat("posted");
	ASSERT_EQ(0, ctl("hold stuck 1"));
	base = objects_live("events");	/* the per-CPU reservations */

	for (i = 0; i < STUCK_CYCLES; i++) {
		ASSERT_EQ(0, cpu_set_online(cpu, false));
		ASSERT_EQ(0, cpu_set_online(cpu, true));
		ASSERT_TRUE(wait_caught_up("live", 60));
		live = objects_live("events") - base;
		most = live > most ? live : most;
	}
	/* the stuck client pins at most BACKLOG events, one in its callback */
	TH_LOG("events live beyond the reservations: at most %ld", most);
	EXPECT_GE(BACKLOG + 1, most);
	EXPECT_CONTIGUOUS("live", before, after);
	EXPECT_EQ(2 * STUCK_CYCLES - BACKLOG, events_stat("lost"));
	/* the stuck client's loss, not told yet: no overflow so far */
	ASSERT_EQ(2, dhp_event_rows("ev_callback", &row));
	EXPECT_EQ(2 * STUCK_CYCLES - BACKLOG, row.lost);
	EXPECT_EQ(0, row.overflows);

	/* released: what dhp kept, the overflow, then new events, in order */
	ASSERT_EQ(0, ctl("hold stuck 0"));
	ASSERT_TRUE(wait_queued_for("ev_callback", 0, 60));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_TRUE(wait_caught_up("stuck", 60));
	ASSERT_TRUE(client_read("stuck"));
	EXPECT_EQ(0, cl.seq_errors);
	for (i = 0, live = 0; i < cl.nr; i++)
		live += cl.r[i].kind == DHP_EV_OVERFLOW_KIND;
	EXPECT_EQ(1, live);	/* one overflow event, not one per loss */
	EXPECT_EQ(2 * STUCK_CYCLES - BACKLOG, cl.lost);
	EXPECT_EQ(cl.lost, cl.gaps);
	EXPECT_EQ(events_stat("posted"), cl.last_seq);
	EXPECT_EQ(cl.expected, cl.delivered + cl.lost);
	EXPECT_EQ(BACKLOG + 2, cl.delivered);
	ASSERT_TRUE(events_drained(60));
	EXPECT_EQ(base, objects_live("events"));
	/*
	 * dhp's books of both: the loss told in one overflow, and a call per
	 * event delivered (CPU events: nothing to merge).
	 */
	ASSERT_EQ(2, dhp_event_rows("ev_callback", &row));
	EXPECT_EQ(1, row.overflows);
	EXPECT_EQ(0, row.lost);
	EXPECT_EQ(row.delivered, row.calls);
	EXPECT_EQ(2 * (2 * STUCK_CYCLES + 2) - (2 * STUCK_CYCLES - BACKLOG),
		  row.delivered);
}

/* Bad threshold values and the low_mb < high_mb rule, through sysfs. */
static void hm_bad_writes(struct __test_metadata *_metadata)
{
	static const char *const bad[] = {
		"0", "abc", "1073741825", "99999999999", "-1", "12 34",
		"1k", "\n", " 5", "5 ",
	};
	long low = sysfs_long(HM_LOW), high = sysfs_long(HM_HIGH);
	long state = sysfs_long(HM_STATE);
	long trans = sysfs_long(HM_TRANSITIONS);

	ASSERT_LT(0, low);
	EXPECT_EQ(0, count_accepted(HM_LOW, bad, ARRAY_SIZE(bad)));
	EXPECT_EQ(0, count_accepted(HM_HIGH, bad, ARRAY_SIZE(bad)));
	EXPECT_EQ(-EINVAL, write_file(HM_PERIOD, "9"));
	EXPECT_EQ(-EINVAL, write_file(HM_PERIOD, "3600001"));
	/* crossing the other threshold: refused, whichever moves */
	EXPECT_EQ(-EINVAL, write_filef(HM_LOW, "%ld", high));
	EXPECT_EQ(-EINVAL, write_filef(HM_LOW, "%ld", high + 1));
	EXPECT_EQ(-EINVAL, write_filef(HM_HIGH, "%ld", low));
	EXPECT_EQ(-EINVAL, write_filef(HM_HIGH, "%ld", low - 1));
	EXPECT_EQ(low, sysfs_long(HM_LOW));
	EXPECT_EQ(high, sysfs_long(HM_HIGH));
	EXPECT_EQ(state, sysfs_long(HM_STATE));
	EXPECT_EQ(trans, sysfs_long(HM_TRANSITIONS));
}

/*
 * Whether child @pid exits within @secs seconds (its wait status in
 * @status); if not, it is killed and reaped, and @status says so.
 */
static bool reaped_within(pid_t pid, int secs, int *status)
{
	if (WAIT_UNTIL(waitpid(pid, status, WNOHANG) == pid, secs))
		return true;
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return false;
}

/* 9. The high-memory condition follows a DIMM, wakes pollers, waiters. */
TEST_F_TIMEOUT(ev, high_memory, 900)
{
	long avail, trans;
	pid_t poller, waiter;
	int status, i;
	char id[32];

	avail = sysfs_long(HM_AVAIL);
	ASSERT_LT(0, avail);
	ASSERT_EQ(0, hm_set(avail + 256, avail + 512));
	/* evaluated before the write returned */
	EXPECT_EQ(0, sysfs_long(HM_STATE));
	trans = sysfs_long(HM_TRANSITIONS);
	hm_bad_writes(_metadata);
	EXPECT_EQ(avail + 512, sysfs_long(HM_HIGH));
	EXPECT_EQ(avail + 512, stat_value(DHP_HIGHMEM, "high_mb"));

	poller = fork();
	ASSERT_LE(0, poller);
	if (!poller)
		_exit(poll_highmem(300000));
	waiter = fork();
	ASSERT_LE(0, waiter);
	if (!waiter)
		_exit(ctl("wait_high 1 300000") ? 1 : 0);
	usleep(500000);

	ASSERT_NE(0, dimm_add("1G", id));
	/*
	 * Woken by the transition, not by their timeouts (after which a
	 * waiter finds the condition met all the same): both are gone soon
	 * after the state reads 1.
	 */
	ASSERT_TRUE(WAIT_UNTIL(sysfs_long(HM_STATE) == 1, 300));
	EXPECT_TRUE(reaped_within(poller, 30, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_TRUE(reaped_within(waiter, 30, &status));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	EXPECT_EQ(1, sysfs_long(HM_STATE));
	EXPECT_EQ(trans + 1, sysfs_long(HM_TRANSITIONS));

	ASSERT_EQ(0, dimm_del(id));
	for (i = 0; i < 300 && sysfs_long(HM_STATE); i++)
		usleep(100000);
	EXPECT_EQ(0, sysfs_long(HM_STATE));
}

/*
 * Moving both thresholds across what is available, as an operator would
 * (high_mb first when raising, low_mb first when lowering): the state
 * follows at once, with one transition each way, and a poller sees it.
 */
TEST_F_TIMEOUT(ev, high_memory_move_band, 300)
{
	long avail = sysfs_long(HM_AVAIL), trans;
	pid_t poller;
	int status;

	ASSERT_LT(512, avail);
	ASSERT_EQ(0, hm_set(avail / 4, avail / 2));
	ASSERT_EQ(1, sysfs_long(HM_STATE));
	trans = sysfs_long(HM_TRANSITIONS);

	poller = fork();
	ASSERT_LE(0, poller);
	if (!poller)
		_exit(poll_highmem(60000));
	usleep(300000);
	/* both up, across: high first, then low; cleared by the second */
	ASSERT_EQ(0, write_filef(HM_HIGH, "%ld", avail * 3));
	EXPECT_EQ(1, sysfs_long(HM_STATE));
	ASSERT_EQ(0, write_filef(HM_LOW, "%ld", avail * 2));
	EXPECT_EQ(0, sysfs_long(HM_STATE));
	EXPECT_EQ(trans + 1, sysfs_long(HM_TRANSITIONS));
	ASSERT_EQ(poller, waitpid(poller, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* both down: low first, then high; set by the second */
	ASSERT_EQ(0, write_filef(HM_LOW, "%ld", avail / 4));
	EXPECT_EQ(0, sysfs_long(HM_STATE));
	ASSERT_EQ(0, write_filef(HM_HIGH, "%ld", avail / 2));
	EXPECT_EQ(1, sysfs_long(HM_STATE));
	EXPECT_EQ(trans + 2, sysfs_long(HM_TRANSITIONS));
}

#define HM_PERIOD_MS	50
#define HM_MARGIN_MB	128

/*
 * Moves the thresholds to [@avail - margin, @avail + margin], around the
 * available memory: the state must stay @state, period after period.
 */
static void hm_band_holds(struct __test_metadata *_metadata, long avail,
			  int state)
{
	long trans, now;

	ASSERT_EQ(state, sysfs_long(HM_STATE));
	trans = sysfs_long(HM_TRANSITIONS);
	ASSERT_EQ(0, hm_set(avail - HM_MARGIN_MB, avail + HM_MARGIN_MB));
	EXPECT_EQ(state, sysfs_long(HM_STATE))
		TH_LOG("from %d, at once", state);
	/* twenty periods without a transition (poll ends early on one) */
	EXPECT_EQ(1, poll_highmem(20 * HM_PERIOD_MS))
		TH_LOG("from %d: a transition inside the band", state);
	EXPECT_EQ(state, sysfs_long(HM_STATE))
		TH_LOG("from %d", state);
	EXPECT_EQ(trans, sysfs_long(HM_TRANSITIONS))
		TH_LOG("from %d", state);
	/* the test means something only if memory did stay in the band */
	now = sysfs_long(HM_AVAIL);
	EXPECT_LT(avail - HM_MARGIN_MB, now);
	EXPECT_GT(avail + HM_MARGIN_MB, now);
}

/* 12. Hysteresis: inside the band the state holds, whichever it is. */
TEST_F_TIMEOUT(ev, high_memory_band, 300)
{
	long avail;

	/* the period is a parameter too: set at run time */
	ASSERT_EQ(0, write_file(HM_PERIOD, __stringify(HM_PERIOD_MS)));
	EXPECT_EQ(HM_PERIOD_MS, stat_value(DHP_HIGHMEM, "period_ms"));
	avail = sysfs_long(HM_AVAIL);
	ASSERT_LT(2 * HM_MARGIN_MB, avail);

	/* set: both thresholds below what is available */
	ASSERT_EQ(0, hm_set(avail / 4, avail / 2));
	hm_band_holds(_metadata, avail, 1);
	/* cleared: both above */
	ASSERT_EQ(0, hm_set(avail * 2, avail * 3));
	hm_band_holds(_metadata, avail, 0);
}

/* MemAvailable of /proc/meminfo in MiB: what si_mem_available() says. */
static long meminfo_avail_mb(void)
{
	return stat_value("/proc/meminfo", "MemAvailable:") / 1024;
}

/* Whether dhp's available_mb is within @tol MiB of /proc/meminfo's. */
static bool hm_avail_matches(long tol)
{
	return labs(sysfs_long(HM_AVAIL) - meminfo_avail_mb()) <= tol;
}

/* Takes @bytes of memory and holds it until killed. */
static int hog_and_wait(long bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	memset(p, 1, bytes);
	for (;;)
		pause();
}

/*
 * 14. The condition is re-evaluated at every memory block offline and
 * online, not only every period_ms: with the period an hour (the write
 * re-arms it, so no periodic evaluation comes during the test), dhp's
 * available_mb follows one block of a DIMM going and coming within a few
 * seconds, and between the two it does not follow memory a task takes:
 * the next evaluation is an hour after the offline's, not a second. The
 * oracle is MemAvailable in /proc/meminfo, which a free 128 MiB block (or
 * a task's 128 MiB) moves by about its size.
 */
TEST_F_TIMEOUT(ev, high_memory_follows_blocks, 600)
{
	long bs = block_bytes(), tol, before, gone;
	unsigned long long addr;
	char id[32];
	pid_t hog;

	ASSERT_LT(0, bs);
	tol = (bs >> 20) / 4;
	ASSERT_EQ(0, ctl("register m %d", F_MEM));
	addr = dimm_add("1G", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, GIB, GIB, 120));
	ASSERT_EQ(0, write_file(HM_PERIOD, "3600000"));
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 10));
	before = meminfo_avail_mb();

	ASSERT_EQ(0, block_set(addr / bs, "offline"));
	gone = meminfo_avail_mb();
	/* the test means something only if the block was free memory */
	EXPECT_LT(gone, before - 2 * tol);
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 5))
		TH_LOG("after an offline: available_mb %ld, MemAvailable %ld MiB",
		       sysfs_long(HM_AVAIL), meminfo_avail_mb());

	/*
	 * That evaluation re-armed the hour: memory taken by a task (no
	 * block event) is not seen for now, as a one-second period would.
	 */
	hog = fork();
	ASSERT_LE(0, hog);
	if (!hog)
		_exit(hog_and_wait(bs));
	EXPECT_TRUE(WAIT_UNTIL(meminfo_avail_mb() < gone - 2 * tol, 10));
	sleep(3);
	EXPECT_GT(tol, labs(sysfs_long(HM_AVAIL) - gone))
		TH_LOG("available_mb %ld, %ld MiB at the offline",
		       sysfs_long(HM_AVAIL), gone);
	kill(hog, SIGKILL);
	ASSERT_EQ(hog, waitpid(hog, NULL, 0));
	EXPECT_TRUE(WAIT_UNTIL(meminfo_avail_mb() > gone - tol, 10));

	ASSERT_EQ(0, block_set(addr / bs, "online_movable"));
	EXPECT_GT(meminfo_avail_mb(), gone + 2 * tol);
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 5))
		TH_LOG("after an online: available_mb %ld, MemAvailable %ld MiB",
		       sysfs_long(HM_AVAIL), meminfo_avail_mb());
	EXPECT_EQ(0, dimm_del(id));
}

/*
 * 15. Between memory events the condition is re-evaluated every period_ms:
 * memory a task takes, then gives back, is seen within a few periods. A
 * new period applies from its write, which re-arms the evaluation: here
 * the one an hour away that the first write left.
 */
TEST_F_TIMEOUT(ev, high_memory_periodic, 300)
{
	long bs = block_bytes(), tol, before;
	pid_t hog;

	ASSERT_LT(0, bs);
	tol = (bs >> 20) / 4;
	ASSERT_EQ(0, write_file(HM_PERIOD, "3600000"));
	sleep(2);	/* an evaluation armed before is spent by now */
	ASSERT_EQ(0, write_file(HM_PERIOD, "200"));
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 5));
	before = meminfo_avail_mb();

	hog = fork();
	ASSERT_LE(0, hog);
	if (!hog)
		_exit(hog_and_wait(2 * bs));
	/* taken (the test means something only if MemAvailable fell) */
	EXPECT_TRUE(WAIT_UNTIL(meminfo_avail_mb() < before - 4 * tol, 30));
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 5))
		TH_LOG("memory taken: available_mb %ld, MemAvailable %ld MiB",
		       sysfs_long(HM_AVAIL), meminfo_avail_mb());
	kill(hog, SIGKILL);
	ASSERT_EQ(hog, waitpid(hog, NULL, 0));
	/* given back */
	EXPECT_TRUE(WAIT_UNTIL(meminfo_avail_mb() > before - tol, 30));
	EXPECT_TRUE(WAIT_UNTIL(hm_avail_matches(tol), 5))
		TH_LOG("memory back: available_mb %ld, MemAvailable %ld MiB",
		       sysfs_long(HM_AVAIL), meminfo_avail_mb());
}

#define RB_STATS	DHP_DEBUGFS "/rebalance/stats"

/*
 * 15. Resource rebalance follows CPUs, not memory (README: a round when a
 * CPU comes or goes): a DIMM's arrival and removal ask dhp's rebalance
 * client for no round; a CPU's removal and arrival do.
 */
TEST_F_TIMEOUT(ev, memory_asks_no_rebalance, 600)
{
	long requests = stat_value(RB_STATS, "requests");
	unsigned long long addr;
	int cpu = cpu_last_online();
	char id[32];

	ASSERT_LE(0, requests);
	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, ctl("register m %d", F_MEM));
	addr = dimm_add("1G", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("m", MEM_ARRIVAL, addr, GIB, GIB, 120));
	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_bytes("m", MEM_REMOVAL, addr, GIB, GIB, 120));
	/* published to every client at once: whatever it got is consumed */
	ASSERT_TRUE(wait_queued_for("dhp_rb_event", 0, 30));
	EXPECT_EQ(requests, stat_value(RB_STATS, "requests"));

	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	EXPECT_TRUE(WAIT_UNTIL(stat_value(RB_STATS, "requests") >= requests + 2,
			       30));
}

/* Thresholds and periods out of range fail the load. */
TEST(high_memory_params)
{
	static const char *const bad[] = {
		"high_mb=0", "low_mb=2000 high_mb=1000", "low_mb=x",
		"period_ms=5", "high_mb=99999999999",
	};
	unsigned int i;

	unload_all();
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, mod_load("dhp", bad[i]));
	EXPECT_FALSE(mod_loaded("dhp"));
	/* at load the pair is checked once all are set, in any order */
	ASSERT_EQ(0, mod_load("dhp", "low_mb=3000 high_mb=4000 period_ms=50"));
	EXPECT_EQ(4000, sysfs_long(HM_HIGH));
	EXPECT_EQ(3000, sysfs_long(HM_LOW));
	EXPECT_EQ(50, sysfs_long(HM_PERIOD));
	EXPECT_EQ(0, mod_unload("dhp"));
}

/* 10. Misuse of the API, and (un)registration from a callback. */
TEST_F_TIMEOUT(ev, bad_input, 300)
{
	int cpu = cpu_last_online();

	ASSERT_EQ(0, ctl("badinput"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_null_cb"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_no_category"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_flags"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_null_handle"));
	EXPECT_EQ(-ENOENT, stat_value(EV_RESULTS, "bad_double"));
	EXPECT_EQ(-ENOENT, stat_value(EV_RESULTS, "bad_foreign"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_wait_met"));
	EXPECT_EQ(-EINVAL, stat_value(EV_RESULTS, "bad_wait_unmet"));
	/* a timeout of 0 is valid: 1 if the condition holds, else 0 */
	EXPECT_EQ(1, stat_value(EV_RESULTS, "zero_wait_met"));
	EXPECT_EQ(0, stat_value(EV_RESULTS, "zero_wait_unmet"));
	EXPECT_GT(0, ctl("register z 0"));
	EXPECT_GT(0, ctl("bogus"));
	EXPECT_NE(0, mod_unload("dhp"));

	ASSERT_LT(0, cpu);
	ASSERT_EQ(0, ctl("register s %d", F_PROC));
	ASSERT_EQ(0, ctl("selfunreg s"));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_TRUE(wait_calls("s", 1, 30));
	EXPECT_EQ(-EDEADLK, stat_value(EV_RESULTS, "selfunreg"));
	ASSERT_TRUE(wait_calls("s", 2, 30));
}

/* dhp's id of the newest dhp_evtest client, or 0. */
static unsigned long long evtest_client_id(void)
{
	static char buf[1 << 16];
	unsigned long long id, best = 0;
	char cb[128], *line;

	if (read_file(DHP_EVENT_CLIENTS, buf, sizeof(buf)) < 0)
		return 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%llu %*x %*d %*d %*d %*u %127s", &id, cb) == 2 &&
		    !strcmp(cb, "ev_callback") && id > best)
			best = id;
	return best;
}

/* One record of dhp_event_post or dhp_event_deliver, as TP_printk has it. */
struct trace_ev {
	unsigned long long client, seq, where, size;
	unsigned int count;
	char kind[32];
};

#define TRACE_MAX	256

static struct {
	struct trace_ev post[TRACE_MAX], deliver[TRACE_MAX];
	int nr_post, nr_deliver, nr_hm;
	int hm_state[TRACE_MAX];
	long hm_avail[TRACE_MAX];
} tr;

/* Parses the trace buffer of tracefs @dir into tr. */
static bool trace_parse(const char *dir)
{
	static const char ev_fmt[] =
		" client=%llu seq=%llu count=%u kind=%31s where=%llx size=%llx";
	static char buf[1 << 20];
	char path[128], *line, *p;
	struct trace_ev *e;

	memset(&tr, 0, sizeof(tr));
	snprintf(path, sizeof(path), "%s/trace", dir);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		p = strstr(line, " dhp_event_post: ");
		e = p && tr.nr_post < TRACE_MAX ? &tr.post[tr.nr_post++] : NULL;
		if (!p) {
			p = strstr(line, " dhp_event_deliver: ");
			e = p && tr.nr_deliver < TRACE_MAX ?
			    &tr.deliver[tr.nr_deliver++] : NULL;
		}
		if (e) {
			p = strchr(p + 1, ' ');
			if (sscanf(p, ev_fmt, &e->client, &e->seq, &e->count,
				   e->kind, &e->where, &e->size) != 6)
				return false;
			continue;
		}
		p = strstr(line, " dhp_high_memory: ");
		if (p && tr.nr_hm < TRACE_MAX) {
			if (sscanf(p, " dhp_high_memory: state=%d available_mb=%ld",
				   &tr.hm_state[tr.nr_hm],
				   &tr.hm_avail[tr.nr_hm]) != 2)
				return false;
			tr.nr_hm++;
		}
	}
	return true;
}

/* The records of @v[@n] of @kind for @client, at @where or in the range. */
static int trace_count(const struct trace_ev *v, int n,
		       unsigned long long client, const char *kind,
		       unsigned long long start,
		       unsigned long long size, unsigned long long *bytes,
		       unsigned int *events)
{
	int i, found = 0;

	*bytes = 0;
	*events = 0;
	for (i = 0; i < n; i++) {
		if (v[i].client != client || strcmp(v[i].kind, kind) ||
		    v[i].where < start || v[i].where >= start + size)
			continue;
		found++;
		*bytes += v[i].size;
		*events += v[i].count;
	}
	return found;
}

static int trace_enable(const char *dir, const char *event, const char *on)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/events/dhp/%s/enable", dir, event);
	return write_file(path, on);
}

/*
 * Tracepoints through tracefs: with dhp's three notification events on, a
 * CPU and a DIMM arrive and the DIMM makes the high-memory condition set.
 * The records must say what the client got: the CPU's arrival posted (by
 * the hotplug path, client 0) and delivered to the client with the
 * client's sequence number; the DIMM's blocks posted one per block and
 * delivered, merged or not, covering it once; one high-memory transition
 * to 1 at the available memory the condition was set at.
 */
TEST_F_TIMEOUT(ev, tracepoints, 600)
{
	static const char *const events[] = {
		"dhp_event_post", "dhp_event_deliver", "dhp_high_memory",
	};
	const char *t = "/sys/kernel/tracing";
	unsigned long long id, addr, bytes, seq;
	unsigned int count, i;
	long avail, high, trans;
	struct rec *r;
	char path[160], dimm[32];
	int cpu, fd;

	if (access("/sys/kernel/tracing/trace", F_OK) &&
	    mount("tracefs", t, "tracefs", 0, NULL))
		SKIP(return, "no tracefs: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/trace", t);
	fd = open(path, O_WRONLY | O_TRUNC);	/* empties the buffer */
	ASSERT_LE(0, fd);
	close(fd);
	for (i = 0; i < ARRAY_SIZE(events); i++)
		ASSERT_EQ(0, trace_enable(t, events[i], "1"));

	avail = sysfs_long(HM_AVAIL);
	high = avail + 512;
	ASSERT_EQ(0, hm_set(avail + 256, high));
	ASSERT_EQ(0, sysfs_long(HM_STATE));
	trans = sysfs_long(HM_TRANSITIONS);
	ASSERT_EQ(0, ctl("register t %d", F_PROC | F_MEM));
	id = evtest_client_id();
	ASSERT_LT(0, id);

	cpu = cpu_arrive();
	ASSERT_LE(0, cpu);
	r = wait_cpu_rec("t", CPU_ARRIVAL, cpu);
	ASSERT_TRUE(!!r);
	seq = r->seq;	/* r is in cl, which the next read overwrites */
	addr = dimm_add("1G", dimm);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_bytes("t", MEM_ARRIVAL, addr, GIB, GIB, 120));
	for (i = 0; i < 300 && !sysfs_long(HM_STATE); i++)
		usleep(100000);
	ASSERT_EQ(1, sysfs_long(HM_STATE));
	for (i = 0; i < ARRAY_SIZE(events); i++)
		trace_enable(t, events[i], "0");

	ASSERT_TRUE(trace_parse(t));
	TH_LOG("trace: %d posted, %d delivered, %d high-memory records",
	       tr.nr_post, tr.nr_deliver, tr.nr_hm);
	/* the CPU: posted by the hotplug path, delivered to t, one seq */
	EXPECT_EQ(1, trace_count(tr.post, tr.nr_post, 0, "cpu-arrival", cpu,
				 1, &bytes, &count));
	EXPECT_EQ(1, trace_count(tr.deliver, tr.nr_deliver, id,
				 "cpu-arrival", cpu, 1, &bytes, &count));
	for (i = 0; i < (unsigned int)tr.nr_post; i++)
		if (!strcmp(tr.post[i].kind, "cpu-arrival") &&
		    tr.post[i].where == (unsigned int)cpu)
			EXPECT_EQ(seq, tr.post[i].seq);
	for (i = 0; i < (unsigned int)tr.nr_deliver; i++)
		if (!strcmp(tr.deliver[i].kind, "cpu-arrival") &&
		    tr.deliver[i].client == id)
			EXPECT_EQ(seq, tr.deliver[i].seq);
	/* the DIMM: one post per block, delivered covering it once */
	EXPECT_EQ(GIB / block_bytes(),
		  trace_count(tr.post, tr.nr_post, 0, "mem-arrival", addr, GIB,
			      &bytes, &count));
	EXPECT_EQ(GIB, bytes);
	EXPECT_LE(1, trace_count(tr.deliver, tr.nr_deliver, id, "mem-arrival",
				 addr, GIB, &bytes, &count));
	EXPECT_EQ(GIB, bytes);
	EXPECT_EQ(GIB / block_bytes(), count);
	/* the condition: one transition, to 1, at or above high_mb */
	EXPECT_EQ(sysfs_long(HM_TRANSITIONS) - trans, tr.nr_hm);
	ASSERT_LE(1, tr.nr_hm);
	EXPECT_EQ(1, tr.hm_state[0]);
	EXPECT_LE(high, tr.hm_avail[0]);
	EXPECT_EQ(0, dimm_del(dimm));
}

TEST_HARNESS_MAIN
