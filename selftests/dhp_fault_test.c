// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection at every failure point dhp has (scripts/check.py runs it
 * on the debug kernel, which has failslab, fail_page_alloc and cpuhp's fail
 * injection; on a kernel without them the tests skip):
 *
 *   fail_nth_*       each allocation on a path fails in turn (the task's
 *                    /proc/thread-self/fail-nth), for registration of each
 *                    API, a CPU coming and going, a memory block coming and
 *                    going: the operation succeeds or fails cleanly, and
 *                    afterwards dhp's books are unchanged or fully updated
 *   cpuhp_*          cpuhp's hotplug/fail at the states just before and
 *                    after dhp's two, both ways
 *   going_offline    memory-notifier-error-inject vetoes MEM_GOING_OFFLINE
 *                    above and below dhp's priority
 *
 * (MEM_GOING_ONLINE injection, cpuhp failure at dhp's own states and
 * client vetoes are in dhp_event_test and dhp_sync_test.) Each test prints
 * "# DHP-STAT faults_injected N" for the runner's reliability summary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "hostctl.h"
#include "evclient.h"

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define RBDEV_CTL	"/sys/kernel/debug/dhp_rbdev/ctl"
#define MEM_INJECT	"/sys/kernel/debug/notifier-error-inject/memory/actions"
#define MAX_NTH		2000

/* Lets failslab and fail_page_alloc fail sleeping allocations, quietly. */
static int fault_setup(void)
{
	static const char *const knobs[][2] = {
		{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/failslab/verbose", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
		{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
		{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	};
	unsigned int i;

	if (access(FAIL_NTH, W_OK))
		return -ENOENT;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (write_file(knobs[i][0], knobs[i][1]))
			return -ENOENT;
	return 0;
}

/*
 * Writes @cmd to the open @fd with the @nth fault point of this thread
 * failing. Returns the write's result (0 or -errno) and sets *@hit to
 * whether the fault was injected (the path had @nth points).
 */
static int write_nth(int nth_fd, int fd, const char *cmd, int nth, bool *hit)
{
	char buf[16];
	int ret, len;

	len = snprintf(buf, sizeof(buf), "%d", nth);
	if (pwrite(nth_fd, buf, len, 0) != len)
		return -EIO;
	ret = pwrite(fd, cmd, strlen(cmd), 0) < 0 ? -errno : 0;
	len = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = '\0';
	*hit = atoi(buf) == 0;
	pwrite(nth_fd, "0", 1, 0);
	return ret;
}

/* What dhp has allocated, and its event books. */
struct books {
	long live[4];	/* events, cpu_clients, event_clients, devices */
	long posted, fanout, delivered, discarded;
};

static void books_read(struct books *b)
{
	static const char *const types[] = {
		"events", "cpu_clients", "event_clients", "rebalance_devices",
	};
	static char buf[4096];
	char name[32], *line;
	long a, f, live;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	if (read_file(DHP_DEBUGFS "/objects", buf, sizeof(buf)) >= 0) {
		for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
			for (i = 0; i < 4; i++)
				if (sscanf(line, "%31s %ld %ld %ld", name, &a,
					   &f, &live) == 4 &&
				    !strcmp(name, types[i]))
					b->live[i] = live;
	}
	b->posted = events_stat("posted");
	b->fanout = events_stat("fanout");
	b->delivered = events_stat("delivered");
	b->discarded = events_stat("discarded");
}

static void books_print(const char *what, const struct books *b)
{
	fprintf(stderr, "# %s: live %ld %ld %ld %ld", what, b->live[0],
		b->live[1], b->live[2], b->live[3]);
	fprintf(stderr, " posted %ld fanout %ld delivered %ld discarded %ld\n",
		b->posted, b->fanout, b->delivered, b->discarded);
}

/*
 * Whether the books are right after an operation that failed or was
 * undone: the same objects live as before, every reference handed out
 * consumed, and, if @same_events, no event posted (a CPU add that failed
 * after dhp:online posts an arrival and a removal, rightly).
 */
static bool books_ok(const struct books *a, const struct books *b,
		     bool same_events)
{
	if (memcmp(a->live, b->live, sizeof(a->live)) ||
	    b->fanout != b->delivered + b->discarded ||
	    (same_events && a->posted != b->posted)) {
		books_print("before", a);
		books_print("after", b);
		return false;
	}
	return true;
}

static void unload_all(void)
{
	mod_unload("dhp_rbdev");
	mod_unload("dhp_evtest");
	mod_unload("dhp_test");
	mod_unload("dhp_sample");
	mod_unload("memory_notifier_error_inject");
	mod_unload("dhp");
}

FIXTURE(ft) {
	int nth_fd;
	long injected;
};

FIXTURE_SETUP(ft)
{
	unload_all();
	self->nth_fd = -1;
	self->injected = 0;
	if (fault_setup())
		SKIP(return, "no fail-nth, failslab or fail_page_alloc");
	self->nth_fd = open(FAIL_NTH, O_RDWR);
	ASSERT_LE(0, self->nth_fd);
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	ASSERT_EQ(0, mod_load("dhp_rbdev", NULL));
	/* the sample is the standing synchronous client; "all" the async one */
	ASSERT_EQ(0, ctl("register all %d", F_PROC | F_MEM));
}

FIXTURE_TEARDOWN(ft)
{
	static char log[1 << 20];

	if (self->nth_fd < 0)
		return;
	printf("# DHP-STAT faults_injected %ld\n", self->injected);
	close(self->nth_fd);
	klog_take(log, sizeof(log));
	unload_all();
	/* every object dhp allocated while faults flew was freed */
	EXPECT_FALSE(mod_loaded("dhp"));
	ASSERT_LE(0, klog_take(log, sizeof(log)));
	EXPECT_EQ(1, dhp_unloads_balanced(log))
		TH_LOG("log since the unload: %.2000s", log);
}

/*
 * Writes @cmd to @path with each fault point of the path failing in turn,
 * until it runs clean; @undo, if set, is written after each success. A
 * failure must be clean (an errno, nothing moved); a success must be
 * undone completely. @same_events: as for books_ok().
 */
static void each_fault(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ft) * self, const char *path,
		       const char *cmd, const char *undo, bool same_events)
{
	long failed = 0, ok = 0, nomem = 0;
	struct books before, after;
	char others[128] = "";
	bool hit = true;
	int nth, fd, ret;

	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", path);
	ASSERT_TRUE(events_drained(60));
	for (nth = 1; hit && nth < MAX_NTH; nth++) {
		books_read(&before);
		ret = write_nth(self->nth_fd, fd, cmd, nth, &hit);
		self->injected += hit;
		if (ret) {
			failed++;
			nomem += ret == -ENOMEM;
			if (ret != -ENOMEM && !strstr(others, strerror(-ret)) &&
			    strlen(others) < sizeof(others) - 40)
				sprintf(others + strlen(others), ", %s",
					strerror(-ret));
		} else {
			ok++;
			if (undo)
				ASSERT_EQ(0, write_file(path, undo));
		}
		ASSERT_TRUE(events_drained(60));
		books_read(&after);
		ASSERT_TRUE(books_ok(&before, &after, same_events))
			TH_LOG("'%s' with fault %d (%s) left dhp's books wrong",
			       cmd, nth, ret ? strerror(-ret) : "succeeded");
		ASSERT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
		ASSERT_LT(0, dhp_clients_balanced()) TH_LOG("fault %d", nth);
		ASSERT_EQ(cpu_count_online(), stat_value(SAMPLE_STATS, "allocs") -
			  stat_value(SAMPLE_STATS, "frees"));
	}
	close(fd);
	EXPECT_FALSE(hit) TH_LOG("'%s' still failing at %d", cmd, MAX_NTH);
	EXPECT_LT(0, ok);
	TH_LOG("'%s' on %s: %d fault points, %ld failed cleanly (%ld -ENOMEM%s), %ld succeeded",
	       cmd, path, nth - 1, failed, nomem, others, ok);
	ASSERT_TRUE(client_read("all"));
	EXPECT_EQ(0, cl.seq_errors);
}

/* 1. Registration of a synchronous client, with the existing CPUs. */
TEST_F_TIMEOUT(ft, fail_nth_register_cpu, 1800)
{
	each_fault(_metadata, self, TEST_CTL, "register 1 1", "unregister",
		   true);
}

/* 2. Registration of an asynchronous client, with the existing ones. */
TEST_F_TIMEOUT(ft, fail_nth_register_events, 1800)
{
	each_fault(_metadata, self, EV_CTL, "register f 7", "unregister f",
		   true);
}

/*
 * 3. Registration of a rebalance device with four IRQs. The device and its
 * IRQs exist before the faults fly (rbdev's attach calls
 * dhp_register_rebalance() alone): a fault reaches only what dhp
 * allocates, not the kernel's IRQ descriptors and /proc/irq entries.
 */
TEST_F_TIMEOUT(ft, fail_nth_register_rebalance, 1800)
{
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add f other 4"));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "detach f"));
	each_fault(_metadata, self, RBDEV_CTL, "attach f", "detach f", true);
	EXPECT_EQ(0, write_file(RBDEV_CTL, "remove f"));
}

static void cpu_path(int cpu, char *path, size_t len)
{
	snprintf(path, len, CPU_SYSFS "/cpu%d/online", cpu);
}

/* 4. A CPU coming: reservation, client allocations, the rest of cpuhp. */
TEST_F_TIMEOUT(ft, fail_nth_cpu_online, 3600)
{
	int cpu = cpu_new();
	char path[128];

	ASSERT_LT(0, cpu) TH_LOG("no CPU to bring up");
	cpu_path(cpu, path, sizeof(path));
	each_fault(_metadata, self, path, "1", "0", false);
	EXPECT_EQ(0, cpu_state(cpu));
}

/* 5. A CPU going. */
TEST_F_TIMEOUT(ft, fail_nth_cpu_offline, 3600)
{
	int cpu = cpu_new();
	char path[128];

	ASSERT_LT(0, cpu) TH_LOG("no CPU to bring up");
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	cpu_path(cpu, path, sizeof(path));
	each_fault(_metadata, self, path, "0", "1", false);
	EXPECT_EQ(1, cpu_state(cpu));
}

/* A hot-added DIMM of one block, online; its block number in *@nr. */
static bool one_block(char *id, long *nr)
{
	long bs = block_bytes();
	unsigned long long addr;

	if (bs <= 0)
		return false;
	addr = dimm_add("128M", id);
	if (!addr || !wait_bytes("all", MEM_ARRIVAL, addr, bs, bs, 300))
		return false;
	*nr = addr / bs;
	return true;
}

static void block_path(long nr, char *path, size_t len)
{
	snprintf(path, len, MEM_SYSFS "/memory%ld/state", nr);
}

/* 6. A memory block going offline and coming back online. */
TEST_F_TIMEOUT(ft, fail_nth_memory, 3600)
{
	char id[32], path[128];
	long nr;

	ASSERT_TRUE(one_block(id, &nr));
	block_path(nr, path, sizeof(path));
	each_fault(_metadata, self, path, "offline", "online_movable", false);
	ASSERT_EQ(0, block_set(nr, "offline"));
	each_fault(_metadata, self, path, "online_movable", "offline", false);
	EXPECT_EQ(0, stat_value(DHP_DEBUGFS "/memory", "pending"));
	EXPECT_EQ(0, dimm_del(id));
}

/*
 * cpuhp fails @cpu's @dir (1 up, 0 down) at @state; the test clients must
 * see @want[step] steps, in total (START then FAILURE, etc.).
 */
static void cpuhp_case(struct __test_metadata *_metadata,
		       FIXTURE_DATA(ft) * self, int cpu, int state, bool up,
		       const long *want, const char *what)
{
	struct books before, after;
	struct counts c0;
	long d[NR_STEPS];
	int i;

	if (state < 0) {
		TH_LOG("%s: no injectable state", what);
		return;
	}
	ASSERT_EQ(0, cpuhp_inject(cpu, state))
		TH_LOG("%s: state %d", what, state);
	ASSERT_TRUE(events_drained(60));
	books_read(&before);
	counts_read(&c0);
	EXPECT_NE(0, cpu_set_online(cpu, up))
		TH_LOG("%s: state %d", what, state);
	cpuhp_inject(cpu, -1);
	self->injected++;
	EXPECT_EQ(!up, cpu_state(cpu)) TH_LOG("%s", what);
	counts_delta(&c0, d);
	for (i = 0; i < NR_STEPS; i++) {
		const char *step = steps[i];

		EXPECT_EQ(want[i], d[i])
			TH_LOG("%s (state %d): %s", what, state, step);
	}
	ASSERT_TRUE(events_drained(60));
	books_read(&after);
	EXPECT_TRUE(books_ok(&before, &after, false)) TH_LOG("%s", what);
	TH_LOG("%s: state %d ok", what, state);
}

/* 7. cpuhp failing at the states around dhp's, both ways. */
TEST_F_TIMEOUT(ft, cpuhp_neighbours, 1800)
{
	/* the two test clients, whose steps dhp_test counts */
	static const long none[NR_STEPS] = { 0 };
	static const long add_failed[NR_STEPS] = { 2, 0, 2, 0, 0, 0 };
	static const long undone[NR_STEPS] = { 2, 2, 0, 2, 2, 0 };
	static const long remove_failed[NR_STEPS] = { 0, 0, 0, 2, 0, 2 };
	int prepare = dhp_state_number("prepare");
	int online = dhp_state_number("online");
	int cpu = cpu_injectable();

	ASSERT_LT(0, cpu) TH_LOG("no CPU with hotplug/fail besides CPU 0");
	ASSERT_LT(0, prepare);
	ASSERT_LT(0, online);
	ASSERT_EQ(0, write_file(TEST_CTL, "register 2 1"));
	if (cpu_state(cpu) == 1)
		ASSERT_EQ(0, cpu_set_online(cpu, false));

	/* up: before dhp:prepare nobody hears; after it, ADD_FAILURE */
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, prepare, -1), true, none,
		   "up, before dhp:prepare");
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, prepare, 1), true, add_failed,
		   "up, after dhp:prepare");
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, online, -1), true, add_failed,
		   "up, before dhp:online");
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, online, 1), true, undone,
		   "up, after dhp:online");

	/* down: above dhp:online and at it nobody hears; below, FAILURE */
	ASSERT_EQ(0, cpu_set_online(cpu, true));
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, online, 1), false, none,
		   "down, above dhp:online");
	cpuhp_case(_metadata, self, cpu, online, false, none,
		   "down, at dhp:online");
	cpuhp_case(_metadata, self, cpu,
		   cpuhp_injectable_near(cpu, online, -1), false,
		   remove_failed, "down, below dhp:online");
	ASSERT_EQ(0, stat_value(TEST_STATS, "seq_errors"));
	ASSERT_LT(0, dhp_clients_balanced());
}

/* 8. MEM_GOING_OFFLINE refused above and below dhp's priority. */
TEST_F_TIMEOUT(ft, going_offline, 1800)
{
	static const int prio[] = { 30, 10 };	/* dhp's is 20 */
	struct books before, after;
	char id[32], cmd[128];
	long nr;
	int i;

	ASSERT_TRUE(one_block(id, &nr));
	for (i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd),
			 "modprobe memory-notifier-error-inject priority=%d",
			 prio[i]);
		if (system(cmd))
			SKIP(break, "no memory-notifier-error-inject");
		ASSERT_EQ(0, write_file(MEM_INJECT "/MEM_GOING_OFFLINE/error",
					"-12"));
		books_read(&before);
		EXPECT_EQ(-ENOMEM, block_set(nr, "offline"))
			TH_LOG("priority %d", prio[i]);
		self->injected++;
		ASSERT_TRUE(events_drained(60));
		books_read(&after);
		EXPECT_TRUE(books_ok(&before, &after, true))
			TH_LOG("priority %d", prio[i]);
		EXPECT_EQ(0, stat_value(DHP_DEBUGFS "/memory", "pending"));
		write_file(MEM_INJECT "/MEM_GOING_OFFLINE/error", "0");
		EXPECT_EQ(0, mod_unload("memory_notifier_error_inject"));
	}
	/* nothing left reserved: the offline goes through, reported once */
	books_read(&before);
	ASSERT_EQ(0, block_set(nr, "offline"));
	ASSERT_TRUE(events_drained(60));
	books_read(&after);
	EXPECT_EQ(before.posted + 1, after.posted);
	EXPECT_EQ(0, dimm_del(id));
}

TEST_HARNESS_MAIN
