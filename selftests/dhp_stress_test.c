// SPDX-License-Identifier: GPL-2.0
/*
 * Stress runs of dhp in a guest (scripts/check.py --stress): long hotplug
 * storms with clients coming and going, then the books must balance.
 *
 *   cpu_storm      10,000 CPU offline/online cycles over every hot-pluggable
 *                  CPU while synchronous and asynchronous clients register
 *                  and unregister in loops and CPU events flow
 *   dimm_cycles    200 DIMM add/remove cycles
 *   vmem_cycles    200 virtio-mem grow/shrink cycles
 *   module_cycles  1,000 load/unload cycles of the client modules, and of
 *                  dhp itself when no client is left, during a CPU storm
 *
 * The numbers are for the full run; DHP_STRESS_SCALE (default 1) scales
 * them, and the runner says which scale it used. DHP_STRESS_TESTS, a
 * comma-separated list of names, runs only those (the others skip). After each test: every
 * synchronous START answered once, events posted == delivered to a client
 * that saw them all, fanout == delivered + discarded, objects allocated ==
 * freed at every unload of dhp. Figures go out as "# DHP-STAT key value"
 * lines for the runner's reliability summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "hostctl.h"
#include "evclient.h"

#define MAX_CPUS	64
#define MIB		1048576ULL

static const char *const client_mods[] = {
	"dhp_sample", "dhp_test", "dhp_evtest", "dhp_rbdev",
};

static long scaled(long full)
{
	const char *s = getenv("DHP_STRESS_SCALE");
	double f = s ? atof(s) : 1.0;
	long n = (long)(full * f + 0.5);

	return n > 0 ? n : 1;
}

/* Whether DHP_STRESS_TESTS leaves @name out. */
static bool left_out(const char *name)
{
	const char *list = getenv("DHP_STRESS_TESTS");
	size_t len = strlen(name);
	const char *p;

	if (!list || !*list)
		return false;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (!p[len] || p[len] == ','))
			return false;
	return true;
}

static void stat_out(const char *key, long value)
{
	printf("# DHP-STAT %s %ld\n", key, value);
	fflush(stdout);
}

static void progress(const char *what, long done, long total, double t0)
{
	if (total >= 10 && done % (total / 10))
		return;
	printf("# %s: %ld/%ld, %.0f s\n", what, done, total, now_s() - t0);
	fflush(stdout);
}

static void unload_everything(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(client_mods); i++)
		mod_unload(client_mods[i]);
	mod_unload("dhp");
}

/*
 * The CPUs the storm cycles: every CPU but 0 that is present, after
 * hot-adding vCPUs up to @want where the host allows (6.12 guests have
 * present-but-offline CPUs instead). All end up online.
 */
static int storm_cpus(int *cpus, int want)
{
	int cpu, n = 0;

	for (cpu = 1; cpu < MAX_CPUS; cpu++)
		n += cpu_state(cpu) >= 0;
	while (n < want && cpu_hotadd() > 0)
		n++;
	n = 0;
	for (cpu = 1; cpu < MAX_CPUS && n < want; cpu++) {
		if (cpu_state(cpu) < 0)
			continue;
		if (cpu_state(cpu) == 0 && cpu_set_online(cpu, true))
			continue;
		cpus[n++] = cpu;
	}
	return n;
}

/* One CPU offline and back; 0 or the first error. */
static int cpu_cycle(int cpu)
{
	int ret = cpu_set_online(cpu, false);

	return ret ?: cpu_set_online(cpu, true);
}

/* A loop in a thread, stopped by a flag, counting its rounds. */
struct loop {
	pthread_t thread;
	atomic_bool stop;
	long rounds, errors;
	int arg;
	int *cpus, nr_cpus;
};

/* Synchronous clients: register (with ADD_EXISTING) and unregister. */
static void *sync_churn(void *p)
{
	struct loop *l = p;

	while (!atomic_load(&l->stop)) {
		if (write_file(TEST_CTL, "register 3 1") ||
		    write_file(TEST_CTL, "unregister"))
			l->errors++;
		l->rounds++;
		/* not a busy loop: leave the hotplug lock to the storm too */
		usleep(2000);
	}
	return NULL;
}

/* Asynchronous processor clients: register, let events in, unregister. */
static void *async_churn(void *p)
{
	struct loop *l = p;

	while (!atomic_load(&l->stop)) {
		if (ctl("register churn %d", F_PROC | F_EXISTING))
			l->errors++;
		usleep(20000);
		if (ctl("unregister churn"))
			l->errors++;
		l->rounds++;
	}
	return NULL;
}

/* CPU offline/online cycles over l->cpus. */
static void *cpu_churn(void *p)
{
	struct loop *l = p;

	while (!atomic_load(&l->stop)) {
		if (cpu_cycle(l->cpus[l->rounds % l->nr_cpus]))
			l->errors++;
		l->rounds++;
	}
	return NULL;
}

static void loop_start(struct loop *l, void *(*fn)(void *))
{
	atomic_store(&l->stop, false);
	l->rounds = 0;
	l->errors = 0;
	if (pthread_create(&l->thread, NULL, fn, l))
		abort();
}

static void loop_stop(struct loop *l)
{
	atomic_store(&l->stop, true);
	pthread_join(l->thread, NULL);
}

/*
 * What holds at the end of every stress test, with dhp loaded, the queue
 * drained and no churn running: the global event books balance.
 */
#define ASSERT_EVENT_BOOKS() do {					\
	ASSERT_TRUE(events_drained(300));				\
	EXPECT_EQ(events_stat("fanout"),				\
		  events_stat("delivered") + events_stat("discarded"));	\
	stat_out("events_posted", events_stat("posted"));		\
	stat_out("events_delivered", events_stat("delivered"));		\
	stat_out("events_discarded", events_stat("discarded"));		\
} while (0)

static char klog[1 << 20];

/*
 * Unloads everything; the unloads of dhp logged since the last look must
 * be @n, each with allocations == frees.
 */
#define ASSERT_UNLOADS_BALANCED(n) do {					\
	unload_everything();						\
	ASSERT_LE(0, klog_take(klog, sizeof(klog)));			\
	EXPECT_EQ(n, dhp_unloads_balanced(klog));			\
} while (0)

FIXTURE(st) {
};

FIXTURE_SETUP(st)
{
	unload_everything();
	klog_take(klog, sizeof(klog));
	ASSERT_EQ(0, mod_load("dhp", NULL));
}

FIXTURE_TEARDOWN(st)
{
	unload_everything();
}

/* 1. CPU storm with registration churn in both APIs. */
TEST_F_TIMEOUT(st, cpu_storm, 4 * 3600)
{
	long cycles = scaled(10000), i, posted0, before, errors = 0;
	struct loop sync_l = { 0 }, async_l = { 0 };
	int cpus[MAX_CPUS], n;
	double t0 = now_s();

	if (left_out("cpu_storm"))
		SKIP(return, "not in DHP_STRESS_TESTS");

	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	n = storm_cpus(cpus, 3);
	ASSERT_LT(0, n) TH_LOG("no CPU to cycle besides CPU 0");
	TH_LOG("%ld cycles over %d CPUs", cycles, n);

	/* one client that must see every event, from here on */
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register all %d", F_PROC | F_MEM));
	posted0 = events_stat("posted");
	loop_start(&sync_l, sync_churn);
	loop_start(&async_l, async_churn);
	for (i = 0; i < cycles; i++) {
		if (cpu_cycle(cpus[i % n]))
			errors++;
		progress("cpu_storm cycles", i + 1, cycles, t0);
	}
	loop_stop(&sync_l);
	loop_stop(&async_l);
	for (i = 0; i < n; i++)
		cpu_set_online(cpus[i], true);

	stat_out("cpu_cycles", cycles);
	stat_out("sync_register_cycles", sync_l.rounds);
	stat_out("async_register_cycles", async_l.rounds);
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, sync_l.errors);
	EXPECT_EQ(0, async_l.errors);

	/* synchronous: in order, balanced, the sample's per-CPU data exact */
	EXPECT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	EXPECT_EQ(0, stat_value(TEST_STATS, "order_errors"));
	EXPECT_LT(0, dhp_clients_balanced());
	EXPECT_EQ(cpu_count_online(), stat_value(SAMPLE_STATS, "allocs") -
		  stat_value(SAMPLE_STATS, "frees"));
	EXPECT_EQ(0, stat_value(SAMPLE_STATS, "missing"));

	/* asynchronous: "all" got each event once, in order */
	ASSERT_EVENT_BOOKS();
	ASSERT_TRUE(client_read("all"));
	EXPECT_EQ(0, cl.seq_errors);
	EXPECT_EQ(events_stat("posted") - posted0, cl.delivered);
	EXPECT_EQ(2 * cycles, cl.delivered);
	/* and none missing, in the middle or at the end */
	EXPECT_CONTIGUOUS("all", before, posted0);

	/* what is still allocated is what is still registered */
	EXPECT_EQ(1, objects_live("cpu_clients"));	/* the sample */
	/* "all", the sample's log and dhp's own rebalance client */
	EXPECT_EQ(3, objects_live("event_clients"));
	EXPECT_EQ(cpu_count_online(), objects_live("events"));
	ASSERT_UNLOADS_BALANCED(1);
}

/* Adds @size of memory and takes it away @n times; @kind DIMM or vmem. */
static void mem_cycles(struct __test_metadata *_metadata, bool dimm, long n,
		       const char *size, unsigned long long bytes)
{
	unsigned long long arrived = 0, removed = 0;
	const char *what = dimm ? "dimm_cycles" : "vmem_cycles";
	char id[32], reply[256];
	long i, posted0, before, after;
	double t0 = now_s();
	int calls, w;

	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	/* both categories: every event is for it, none may be missing */
	before = events_stat("posted");
	ASSERT_EQ(0, ctl("register mem %d", F_PROC | F_MEM));
	after = events_stat("posted");
	posted0 = after;
	for (i = 0; i < n; i++) {
		if (dimm) {
			unsigned long long addr = dimm_add(size, id);

			ASSERT_NE(0, addr) TH_LOG("cycle %ld: dimm-add", i);
			ASSERT_TRUE(wait_bytes("mem", MEM_ARRIVAL, addr, bytes,
					       bytes, 300));
			ASSERT_EQ(0, dimm_del(id)) TH_LOG("cycle %ld", i);
			ASSERT_TRUE(wait_bytes("mem", MEM_REMOVAL, addr, bytes,
					       bytes, 300));
			arrived += mem_covered("mem", MEM_ARRIVAL, addr, bytes,
					       &calls);
			removed += mem_covered("mem", MEM_REMOVAL, addr, bytes,
					       &calls);
		} else {
			ASSERT_EQ(0, hostctlf(reply, sizeof(reply), 300000,
					      "vmem-resize %s wait", size))
				TH_LOG("cycle %ld: %s", i, reply);
			ASSERT_EQ(0, hostctl("vmem-resize 0 wait", reply,
					     sizeof(reply), 300000))
				TH_LOG("cycle %ld: %s", i, reply);
			/*
			 * The device reports the new size before the guest
			 * has offlined the blocks it emptied: wait for the
			 * removals to catch up with the arrivals.
			 */
			for (w = 0; w < 3000 &&
			     vmem_bytes("mem", MEM_REMOVAL) < bytes; w++)
				usleep(100000);
		}
		/* the records are bounded: start afresh each cycle */
		ASSERT_TRUE(events_drained(300));
		if (!dimm) {
			ASSERT_TRUE(client_read("mem"));
			arrived += vmem_bytes("mem", MEM_ARRIVAL);
			removed += vmem_bytes("mem", MEM_REMOVAL);
		}
		ASSERT_TRUE(wait_caught_up("mem", 300));
		EXPECT_CONTIGUOUS("mem", before, after);
		ASSERT_EQ(0, ctl("unregister mem"));
		before = events_stat("posted");
		ASSERT_EQ(0, ctl("register mem %d", F_PROC | F_MEM));
		after = events_stat("posted");
		progress(what, i + 1, n, t0);
	}
	stat_out(what, n);
	EXPECT_EQ(n * bytes, arrived);
	EXPECT_EQ(n * bytes, removed);
	/*
	 * A reservation is pending while an online or offline is under way
	 * (virtio-mem may still be trying one); it must end.
	 */
	for (w = 0; w < 600 && stat_value(DHP_DEBUGFS "/memory", "pending");
	     w++)
		usleep(100000);
	EXPECT_EQ(0, stat_value(DHP_DEBUGFS "/memory", "pending"));
	ASSERT_EVENT_BOOKS();
	stat_out("memory_events", events_stat("posted") - posted0);
	ASSERT_UNLOADS_BALANCED(1);
}

/* 2. DIMMs of one memory block, added and removed. */
TEST_F_TIMEOUT(st, dimm_cycles, 4 * 3600)
{
	long bs = block_bytes();

	if (left_out("dimm_cycles"))
		SKIP(return, "not in DHP_STRESS_TESTS");
	ASSERT_LT(0, bs);
	mem_cycles(_metadata, true, scaled(200), "128M", 128 * MIB);
}

/* 3. virtio-mem grown by 256 MiB and shrunk back. */
TEST_F_TIMEOUT(st, vmem_cycles, 4 * 3600)
{
	if (left_out("vmem_cycles"))
		SKIP(return, "not in DHP_STRESS_TESTS");
	if (access("/sys/bus/virtio/drivers/virtio_mem", F_OK) &&
	    system("kmod-load virtio_mem"))
		SKIP(return, "cannot load virtio_mem (no --vmem device?)");
	mem_cycles(_metadata, false, scaled(200), "256M", 256 * MIB);
}

/* Loads client module @i and gives it something to own; 0 or -errno. */
static int client_up(unsigned int i)
{
	int ret = mod_load(client_mods[i], NULL);

	if (ret)
		return ret;
	switch (i) {
	case 1:
		return write_file(TEST_CTL, "register 2 1");
	case 2:
		return ctl("register m %d", F_PROC | F_MEM | F_EXISTING);
	case 3:
		return write_file("/sys/kernel/debug/dhp_rbdev/ctl",
				  "add st other 4");
	}
	return 0;
}

/* 4. Client modules, and dhp itself, loaded and unloaded in a storm. */
TEST_F_TIMEOUT(st, module_cycles, 4 * 3600)
{
	long cycles = scaled(1000), i, errors = 0, dhp_reloads = 0;
	struct loop storm = { 0 };
	int cpus[MAX_CPUS];
	unsigned int m;
	double t0 = now_s();

	if (left_out("module_cycles"))
		SKIP(return, "not in DHP_STRESS_TESTS");

	storm.nr_cpus = storm_cpus(cpus, 3);
	storm.cpus = cpus;
	ASSERT_LT(0, storm.nr_cpus);
	loop_start(&storm, cpu_churn);
	for (i = 0; i < cycles; i++) {
		m = i % 4;
		if (client_up(m)) {
			errors++;
			TH_LOG("cycle %ld: loading %s failed", i,
			       client_mods[m]);
		}
		if (mod_unload(client_mods[m]))
			errors++;
		/* no client left: dhp itself goes and comes back */
		if (m == 3) {
			if (mod_unload("dhp"))
				errors++;
			/* checked as we go: the log is a bounded ring */
			if (klog_take(klog, sizeof(klog)) < 0 ||
			    dhp_unloads_balanced(klog) != 1)
				errors++;
			if (mod_load("dhp", NULL))
				errors++;
			dhp_reloads++;
		}
		progress("module_cycles", i + 1, cycles, t0);
	}
	loop_stop(&storm);
	stat_out("module_cycles", cycles);
	stat_out("dhp_unloads_checked", dhp_reloads + 1);
	stat_out("cpu_cycles", storm.rounds);
	EXPECT_EQ(0, errors);
	EXPECT_EQ(0, storm.errors);
	ASSERT_UNLOADS_BALANCED(1);
}

TEST_HARNESS_MAIN
