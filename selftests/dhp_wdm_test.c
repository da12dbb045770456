// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of the Windows porting kit (include/dhp_wdm.h) through its sample,
 * samples/dhp_wdm_sample.ko: the seeds' driver code run on Linux. Run as
 * root in a guest with hot-pluggable (6.1) or present-but-offline (6.12)
 * CPUs and DIMM slots (scripts/check.py, suite wdm). The sample counts what
 * its Windows-style callbacks saw in debugfs; the tests compare that with
 * what was done (sysfs, hostctl) and with what the OS and the registering
 * code got back.
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

#define WDM		"dhp_wdm_sample"
#define WDM_STATS	"/sys/kernel/debug/dhp_wdm_sample/stats"
#define WDM_CPUS	"/sys/kernel/debug/dhp_wdm_sample/cpus"
#define WDM_VETO	"/sys/module/dhp_wdm_sample/parameters/veto_cpu"
#define STATUS_INSUFFICIENT_RESOURCES	"0xc000009a"
#define MAX_CPUS	64

static long wdm(const char *key)
{
	return stat_value(WDM_STATS, key);
}

/* Waits up to @secs for the sample's @key to reach @want. */
static bool wdm_wait(const char *key, long want, int secs)
{
	int i;

	for (i = 0; i < secs * 10; i++) {
		if (wdm(key) >= want)
			return true;
		usleep(100000);
	}
	return false;
}

/* The sample's line for @cpu in "cpus": its "scheduled" flag, or -1. */
static int wdm_cpu_scheduled(int cpu)
{
	static char buf[1 << 16];
	int c, node, sched;
	char *line;

	if (read_file(WDM_CPUS, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%d %d %d", &c, &node, &sched) == 3 &&
		    c == cpu)
			return sched;
	return -1;
}

static int wdm_cpu_lines(void)
{
	static char buf[1 << 16];
	char *line;
	int n = 0;

	if (read_file(WDM_CPUS, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		n += line[0] != '#';
	return n;
}

/* The sample's veto_cpu parameter. */
static int veto_param(void)
{
	char buf[32];

	if (read_file(WDM_VETO, buf, sizeof(buf)) <= 0)
		return -100;
	return atoi(buf);
}

static unsigned long long online_mask(void)
{
	unsigned long long m = 0;
	int cpu;

	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_state(cpu) == 1)
			m |= 1ULL << cpu;
	return m;
}

/*
 * The sample's books, while loaded: one per-processor allocation per online
 * CPU plus the buffer, and the adapter's three live objects (two PnP
 * registrations, the processor registration and the event make four).
 */
#define ASSERT_BOOKS() do {						\
	ASSERT_EQ(cpu_count_online(), wdm_cpu_lines());			\
	ASSERT_EQ(cpu_count_online() + 1, wdm("allocs") - wdm("frees"));	\
	ASSERT_EQ(4, wdm("adapter_allocs") - wdm("adapter_frees"));	\
	ASSERT_EQ(wdm("add_start"),					\
		  wdm("add_complete") + wdm("add_failure"));		\
	ASSERT_EQ(wdm("remove_start"),					\
		  wdm("remove_complete") + wdm("remove_failure"));	\
	ASSERT_LT(0, dhp_clients_balanced());				\
} while (0)

/*
 * Checks the sample's last line in @log starting with @what: "allocs A
 * frees F, adapter allocs B frees G" with A == F and B == G.
 */
static bool log_balanced(const char *log, const char *what)
{
	const char *p = NULL, *q = log;
	long a, f, b, g;

	while ((q = strstr(q, what))) {
		p = q;
		q++;
	}
	if (!p) {
		fprintf(stderr, "# no \"%s\" line in the kernel log\n", what);
		return false;
	}
	p = strstr(p, "allocs");
	if (!p || sscanf(p, "allocs %ld frees %ld, adapter allocs %ld frees %ld",
			 &a, &f, &b, &g) != 4) {
		fprintf(stderr, "# cannot parse the \"%s\" line\n", what);
		return false;
	}
	fprintf(stderr, "# %s allocs %ld frees %ld, adapter %ld/%ld\n", what,
		a, f, b, g);
	return a == f && b == g && a > 0 && b > 0;
}

static void unload_all(void)
{
	mod_unload(WDM);
	mod_unload("dhp");
}

FIXTURE(wdm) {
	bool was_online[MAX_CPUS];
	char dimm[32];		/* a DIMM to remove at teardown */
};

FIXTURE_SETUP(wdm)
{
	char log[1 << 16];

	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
	klog_take(log, sizeof(log));
	ASSERT_EQ(0, mod_load(WDM, NULL));
	cpus_online_save(self->was_online, MAX_CPUS);
}

FIXTURE_TEARDOWN(wdm)
{
	if (self->dimm[0])
		dimm_del(self->dimm);
	cpus_online_restore(self->was_online, MAX_CPUS);
	unload_all();
}

/*
 * KE_PROCESSOR_CHANGE_ADD_EXISTING: AddStart and AddComplete for each
 * online CPU before KeRegisterProcessorChangeCallback() returned, and
 * KeQueryActiveProcessorCount() at the last AddComplete saw them all.
 */
TEST_F_TIMEOUT(wdm, add_existing, 300)
{
	int online = cpu_count_online(), cpu;

	EXPECT_EQ(online, wdm("add_start"));
	EXPECT_EQ(online, wdm("add_complete"));
	EXPECT_EQ(0, wdm("add_failure"));
	EXPECT_EQ(online, wdm("processor_count"));
	EXPECT_EQ((long)online_mask(), wdm("active_processors"));
	for (cpu = 0; cpu < MAX_CPUS; cpu++)
		if (cpu_state(cpu) == 1)
			EXPECT_EQ(1, wdm_cpu_scheduled(cpu)) TH_LOG("cpu %d", cpu);
	/* the seed registers for PnP with flags 0: no existing arrivals */
	usleep(500000);
	EXPECT_EQ(0, wdm("cpu_existing"));
	EXPECT_EQ(0, wdm("mem_existing"));
	ASSERT_BOOKS();
}

/*
 * A vCPU hot-added (6.1) or a spare brought up (6.12): AddStart then
 * AddComplete, the per-processor data on it, then the PnP arrival for
 * GUID_DEVICE_PROCESSOR; offline: RemoveStart/RemoveComplete free it and
 * the PnP callback sees GUID_DEVICE_INTERFACE_REMOVAL.
 */
TEST_F_TIMEOUT(wdm, cpu_hotadd, 600)
{
	long start = wdm("add_start"), complete = wdm("add_complete");
	long arrivals = wdm("cpu_arrivals"), removals = wdm("cpu_removals");
	long frees, rstart, rcomplete;
	int cpu;

	cpu = cpu_hotadd();
	if (cpu < 0)
		cpu = cpu_new();
	ASSERT_LE(0, cpu) TH_LOG("no CPU to add: %d", cpu);
	EXPECT_EQ(-1, wdm_cpu_scheduled(cpu));
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	EXPECT_EQ(start + 1, wdm("add_start"));
	EXPECT_EQ(complete + 1, wdm("add_complete"));
	EXPECT_EQ(1, wdm_cpu_scheduled(cpu));
	EXPECT_EQ(cpu_count_online(), wdm("processor_count"));
	EXPECT_TRUE(wdm_wait("cpu_arrivals", arrivals + 1, 30));
	EXPECT_EQ((long)online_mask(), wdm("active_processors"));
	ASSERT_BOOKS();

	frees = wdm("frees");
	rstart = wdm("remove_start");
	rcomplete = wdm("remove_complete");
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	EXPECT_EQ(rstart + 1, wdm("remove_start"));
	EXPECT_EQ(rcomplete + 1, wdm("remove_complete"));
	EXPECT_EQ(frees + 1, wdm("frees"));
	EXPECT_EQ(-1, wdm_cpu_scheduled(cpu));
	EXPECT_TRUE(wdm_wait("cpu_removals", removals + 1, 30));
	ASSERT_BOOKS();
}

/*
 * *OperationStatus = STATUS_INSUFFICIENT_RESOURCES at AddStart: the online
 * write fails with -ENOMEM, the CPU stays offline, the sample gets
 * AddFailure and frees nothing it did not allocate; the next try succeeds.
 */
TEST_F_TIMEOUT(wdm, veto_to_os, 600)
{
	long start = wdm("add_start"), fail = wdm("add_failure");
	long allocs = wdm("allocs"), vetoes = wdm("vetoes");
	int cpu = cpu_new();

	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, write_filef(WDM_VETO, "%d", cpu));
	EXPECT_EQ(-ENOMEM, cpu_set_online(cpu, true));
	EXPECT_EQ(0, cpu_state(cpu));
	EXPECT_EQ(start + 1, wdm("add_start"));
	EXPECT_EQ(fail + 1, wdm("add_failure"));
	EXPECT_EQ(vetoes + 1, wdm("vetoes"));
	EXPECT_EQ(allocs, wdm("allocs"));
	EXPECT_EQ(-1, wdm_cpu_scheduled(cpu));
	EXPECT_EQ(-1, veto_param()) TH_LOG("the veto is one-shot");

	ASSERT_EQ(0, cpu_set_online(cpu, true));
	EXPECT_EQ(1, wdm_cpu_scheduled(cpu));
	ASSERT_BOOKS();
}

/*
 * The same veto in the KE_PROCESSOR_CHANGE_ADD_EXISTING replay: the
 * registration returns NULL, the callback's CallbackStatus gives the
 * registering code STATUS_INSUFFICIENT_RESOURCES, which fails the load with
 * -ENOMEM; the replayed CPUs were undone and everything freed.
 */
TEST_F_TIMEOUT(wdm, veto_to_registrant, 300)
{
	int cpu = cpu_last_online();
	char params[32];
	static char log[1 << 18];

	ASSERT_LT(0, cpu) TH_LOG("needs two online CPUs");
	ASSERT_EQ(0, mod_unload(WDM));
	klog_take(log, sizeof(log));
	snprintf(params, sizeof(params), "veto_cpu=%d", cpu);
	EXPECT_EQ(-ENOMEM, mod_load(WDM, params));
	EXPECT_FALSE(mod_loaded(WDM));
	ASSERT_LT(0, klog_take(log, sizeof(log)));
	EXPECT_TRUE(!!strstr(log, "KeRegisterProcessorChangeCallback: NULL, CallbackStatus "
			     STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_TRUE(!!strstr(log, "status " STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_TRUE(log_balanced(log, "driver_entry: status"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 0\n"));
	EXPECT_EQ(1, cpu_state(cpu));

	/* and without the veto it loads */
	ASSERT_EQ(0, mod_load(WDM, NULL));
	ASSERT_BOOKS();
}

/*
 * A DIMM: the PnP arrival for GUID_DEVICE_MEMORY with its range (a dhp
 * extension) grows the buffer by 1/2048 of it; its removal reaches the
 * callback as GUID_DEVICE_INTERFACE_REMOVAL.
 */
TEST_F_TIMEOUT(wdm, dimm_arrival, 900)
{
	long kb = wdm("buffer_kb"), arrived = wdm("mem_arrived_mb");
	int i;

	ASSERT_NE(0, dimm_add("1G", self->dimm)) TH_LOG("dimm-add failed");
	for (i = 0; i < 1200 && wdm("mem_arrived_mb") < arrived + 1024; i++)
		usleep(100000);
	EXPECT_EQ(arrived + 1024, wdm("mem_arrived_mb"));
	EXPECT_LE(1, wdm("mem_arrivals"));
	EXPECT_EQ(kb + 512, wdm("buffer_kb"));
	ASSERT_BOOKS();

	ASSERT_EQ(0, dimm_del(self->dimm));
	self->dimm[0] = '\0';
	for (i = 0; i < 1200 && wdm("mem_removed_mb") < 1024; i++)
		usleep(100000);
	EXPECT_EQ(1024, wdm("mem_removed_mb"));
	EXPECT_LE(1, wdm("mem_removals"));
	ASSERT_BOOKS();
}

/*
 * PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES (pnp_flags=1):
 * an arrival for each online CPU and for the memory online at load.
 */
TEST_F_TIMEOUT(wdm, include_existing, 300)
{
	ASSERT_EQ(0, mod_unload(WDM));
	ASSERT_EQ(0, mod_load(WDM, "pnp_flags=1"));
	EXPECT_TRUE(wdm_wait("cpu_existing", cpu_count_online(), 30));
	EXPECT_EQ(cpu_count_online(), wdm("cpu_existing"));
	EXPECT_TRUE(wdm_wait("mem_existing", 1, 30));
	EXPECT_EQ(0, wdm("cpu_arrivals"));
	EXPECT_EQ(0, wdm("mem_arrivals"));
	ASSERT_BOOKS();

	/* flags IoRegisterPlugPlayNotification() does not know: refused */
	ASSERT_EQ(0, mod_unload(WDM));
	EXPECT_EQ(-EINVAL, mod_load(WDM, "pnp_flags=2"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 0\n"));
}

/*
 * \KernelObjects\HighMemoryCondition: with dhp's thresholds first above
 * what is available (the condition clears), then below it (it is set), the
 * sample's thread waiting in KeWaitForSingleObject() wakes once.
 */
TEST_F_TIMEOUT(wdm, high_memory_condition, 300)
{
	long avail = sysfs_long(HM_AVAIL), wakeups;
	int i;

	ASSERT_LT(0, avail);
	ASSERT_EQ(0, hm_set(avail + 256, avail + 512));
	for (i = 0; i < 300 && wdm("high_memory"); i++)
		usleep(100000);
	ASSERT_EQ(0, wdm("high_memory"));
	usleep(500000);		/* the waiter is back in its wait */
	wakeups = wdm("high_memory_wakeups");
	ASSERT_EQ(0, hm_set(1, 2));
	EXPECT_TRUE(wdm_wait("high_memory_wakeups", wakeups + 1, 30));
	EXPECT_EQ(1, wdm("high_memory"));
}

/*
 * Unregistration: after a CPU came and went, unloading the sample
 * (KeDeregisterProcessorChangeCallback, IoUnregisterPlugPlayNotification,
 * ZwClose) leaves dhp without its clients and the books balanced: what the
 * sample and the adapter allocated was freed.
 */
TEST_F_TIMEOUT(wdm, unregister, 600)
{
	static char log[1 << 18];
	int cpu = cpu_new(), clients;

	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(0, cpu_set_online(cpu, false));
	ASSERT_BOOKS();
	ASSERT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 1\n"));
	clients = stat_value(DHP_EVENT_CLIENTS, "# clients");
	klog_take(log, sizeof(log));
	ASSERT_EQ(0, mod_unload(WDM));
	ASSERT_LT(0, klog_take(log, sizeof(log)));
	EXPECT_TRUE(log_balanced(log, "unloaded:"));
	EXPECT_TRUE(file_has_line(DHP_DEBUGFS "/cpu_clients", "# clients 0\n"));
	EXPECT_EQ(clients - 2, stat_value(DHP_EVENT_CLIENTS, "# clients"));
	EXPECT_EQ(0, mod_unload("dhp"));
}

TEST_HARNESS_MAIN
