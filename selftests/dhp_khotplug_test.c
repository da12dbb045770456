// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's own hotplug selftests, run with dhp loaded and clients of
 * every kind registered: tools/testing/selftests/cpu-hotplug/
 * cpu-on-off-test.sh -a and memory-hotplug/mem-on-off-test.sh (with its
 * memory-notifier-error-inject part), as shipped in linux-source-6.1
 * (scripts/setup.sh extracts them; the runner stages them in /dhp and puts
 * bash in the guest).
 *
 * They must pass as they do without dhp, and what dhp told its clients
 * must be what happened. The oracle is the kernel's own record, taken here:
 * the online/offline uevents of the cpu and memory devices, read from a
 * NETLINK_KOBJECT_UEVENT socket while the script runs. An asynchronous
 * client registered throughout must get exactly that sequence (memory
 * events may merge adjacent blocks: each event must cover exactly the next
 * blocks of the oracle, of its kind), with no gap in its sequence numbers;
 * the synchronous clients' steps must add up to the oracle's counts; no
 * memory reservation may be left pending after the injected failures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "evclient.h"

#define MAX_UEVENTS	4096
#define SYNC_CLIENTS	2

/* One device online/offline as the kernel announced it. */
struct uevent {
	int kind;	/* CPU_ARRIVAL ... MEM_REMOVAL, as in evclient.h */
	long nr;	/* CPU number or memory block number */
};

static struct {
	pthread_t thread;
	atomic_bool stop;
	int fd;
	int nr;
	bool overrun;	/* ENOBUFS or more than MAX_UEVENTS: the oracle lost */
	struct uevent ev[MAX_UEVENTS];
} ue;

/* "online@/devices/system/cpu/cpu3" and the like; false for the others. */
static bool parse_uevent(const char *msg, struct uevent *out)
{
	static const struct {
		const char *prefix;
		int online, offline;
	} devs[] = {
		{ "/devices/system/cpu/cpu", CPU_ARRIVAL, CPU_REMOVAL },
		{ "/devices/system/memory/memory", MEM_ARRIVAL, MEM_REMOVAL },
	};
	const char *at = strchr(msg, '@');
	unsigned int i;
	char *end;
	bool on;

	if (!at)
		return false;
	if (!strncmp(msg, "online@", 7))
		on = true;
	else if (!strncmp(msg, "offline@", 8))
		on = false;
	else
		return false;
	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		size_t len = strlen(devs[i].prefix);

		if (strncmp(at + 1, devs[i].prefix, len))
			continue;
		out->nr = strtol(at + 1 + len, &end, 10);
		if (end == at + 1 + len || *end)
			return false;
		out->kind = on ? devs[i].online : devs[i].offline;
		return true;
	}
	return false;
}

static void *uevent_reader(void *arg)
{
	char buf[8192];

	(void)arg;
	while (!atomic_load(&ue.stop)) {
		ssize_t n = recv(ue.fd, buf, sizeof(buf) - 1, 0);
		struct uevent e;

		if (n < 0) {
			if (errno == ENOBUFS)
				ue.overrun = true;
			continue;	/* EAGAIN: the receive timeout, look at stop */
		}
		buf[n] = '\0';
		if (!parse_uevent(buf, &e))
			continue;
		if (ue.nr == MAX_UEVENTS)
			ue.overrun = true;
		else
			ue.ev[ue.nr++] = e;
	}
	return NULL;
}

static int uevents_start(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	struct timeval tv = { .tv_usec = 200000 };
	int size = 8 << 20;

	ue.nr = 0;
	ue.overrun = false;
	atomic_store(&ue.stop, false);
	ue.fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		       NETLINK_KOBJECT_UEVENT);
	if (ue.fd < 0)
		return -errno;
	setsockopt(ue.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(ue.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(ue.fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    pthread_create(&ue.thread, NULL, uevent_reader, NULL)) {
		close(ue.fd);
		return -errno;
	}
	return 0;
}

/* Stops the reader once the uevents of what is done have come in. */
static void uevents_stop(void)
{
	usleep(500000);
	atomic_store(&ue.stop, true);
	pthread_join(ue.thread, NULL);
	close(ue.fd);
}

static long count_kind(int kind)
{
	long n = 0;
	int i;

	for (i = 0; i < ue.nr; i++)
		n += ue.ev[i].kind == kind;
	return n;
}

/* The index of the oracle's next entry of a kind in [@lo, @hi] from @o. */
static int next_of(int o, int lo, int hi)
{
	while (o < ue.nr && (ue.ev[o].kind < lo || ue.ev[o].kind > hi))
		o++;
	return o;
}

/*
 * Whether @r covers exactly the oracle's next size / @block entries of the
 * kinds in [@lo, @hi] from *@o, all of its kind (any order inside it:
 * adjacent blocks merge either way round); moves *@o past them.
 */
static bool mem_rec_matches(const struct rec *r, int *o, int lo, int hi,
			    long block)
{
	long first = r->start / block, n = r->size / block, k;

	for (k = 0; k < n; k++) {
		int i = next_of(*o, lo, hi);

		if (i >= ue.nr || ue.ev[i].kind != r->kind ||
		    ue.ev[i].nr < first || ue.ev[i].nr >= first + n) {
			fprintf(stderr, "# seq %llu: kind %d blocks %ld+%ld, oracle %d differs\n",
				r->seq, r->kind, first, n, i);
			return false;
		}
		*o = i + 1;
	}
	return true;
}

/*
 * Whether @name's records of the kinds in [@lo, @hi] are the oracle's
 * events of those kinds, in order: a CPU event names the next CPU, a
 * memory event the next blocks (mem_rec_matches()), and nothing is left.
 */
static bool stream_matches(const char *name, int lo, int hi, long block)
{
	int i, o = 0;

	if (!client_read(name))
		return false;
	for (i = 0; i < cl.nr; i++) {
		struct rec *r = &cl.r[i];

		if (!r->seq || r->kind < lo || r->kind > hi)
			continue;	/* INCLUDE_EXISTING, or another kind */
		if (r->kind >= MEM_ARRIVAL) {
			if (!mem_rec_matches(r, &o, lo, hi, block))
				return false;
			continue;
		}
		o = next_of(o, lo, hi);
		if (o >= ue.nr || ue.ev[o].kind != r->kind ||
		    ue.ev[o].nr != r->cpu) {
			fprintf(stderr, "# seq %llu: kind %d cpu %d, oracle entry %d differs\n",
				r->seq, r->kind, r->cpu, o);
			return false;
		}
		o++;
	}
	o = next_of(o, lo, hi);
	if (o < ue.nr)
		fprintf(stderr, "# the client missed oracle entry %d (kind %d nr %ld)\n",
			o, ue.ev[o].kind, ue.ev[o].nr);
	return o == ue.nr;
}

/* The memory blocks the kernel has online, from sysfs. */
static long blocks_online(void)
{
	char state[32];
	glob_t g;
	long n = 0;
	size_t i;

	if (glob(MEM_SYSFS "/memory*/state", 0, NULL, &g))
		return -1;
	for (i = 0; i < g.gl_pathc; i++)
		n += read_file(g.gl_pathv[i], state, sizeof(state)) > 0 &&
		     !strncmp(state, "online", 6);
	globfree(&g);
	return n;
}

/*
 * Runs one of the kernel's scripts under bash, its lines as KTAP comments;
 * returns its exit status, or -1.
 */
static int run_script(const char *script, const char *args)
{
	const char *dir = getenv("DHP_KSFT_HOTPLUG") ?: "/dhp";
	char cmd[512], line[512];
	FILE *f;
	int st;

	snprintf(cmd, sizeof(cmd), "bash %s/%s %s 2>&1", dir, script, args);
	fflush(stdout);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		printf("#   %s", line);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(kh) {
	struct counts before;
	long posted;
};

FIXTURE_SETUP(kh)
{
	int cpu;

	mod_unload("dhp_evtest");
	mod_unload("dhp_test");
	mod_unload("dhp_sample");
	mod_unload("dhp");
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	/* Every present CPU online, so that the script ends where it began. */
	for (cpu = 1; cpu < 64; cpu++)
		if (cpu_state(cpu) == 0)
			ASSERT_EQ(0, cpu_set_online(cpu, true));
	ASSERT_EQ(0, write_filef(TEST_CTL, "register %d 1", SYNC_CLIENTS));
	self->posted = events_stat("posted");
	ASSERT_EQ(0, ctl("register watch %d", F_PROC | F_MEM | F_EXISTING));
	counts_read(&self->before);
	ASSERT_EQ(0, uevents_start());
}

FIXTURE_TEARDOWN(kh)
{
	mod_unload("dhp_evtest");
	mod_unload("dhp_test");
	mod_unload("dhp_sample");
	mod_unload("dhp");
}

/* The kernel's CPU hotplug selftest, all CPUs (-a). */
TEST_F_TIMEOUT(kh, cpu_on_off_all, 900)
{
	long d[NR_STEPS], on, off;
	struct counts now;
	int i;

	/* Two more CPUs than the guest booted with, where the host can. */
	for (i = 0; i < 2; i++) {
		int cpu = cpu_hotadd();

		if (cpu >= 0)
			ASSERT_EQ(0, cpu_set_online(cpu, true));
	}
	EXPECT_EQ(0, run_script("cpu-on-off-test.sh", "-a"));
	ASSERT_TRUE(events_drained(120));
	uevents_stop();
	ASSERT_FALSE(ue.overrun);

	on = count_kind(CPU_ARRIVAL);
	off = count_kind(CPU_REMOVAL);
	ksft_print_msg("oracle: %ld CPU onlines, %ld offlines\n", on, off);
	ASSERT_LT(0, off);	/* the script did take CPUs down */
	EXPECT_TRUE(stream_matches("watch", CPU_ARRIVAL, CPU_REMOVAL, 1));
	EXPECT_CONTIGUOUS("watch", self->posted, self->posted);

	counts_delta(&self->before, d);
	EXPECT_EQ(SYNC_CLIENTS * on, d[S_START]);
	EXPECT_EQ(SYNC_CLIENTS * on, d[S_COMPLETE]);
	EXPECT_EQ(0, d[S_FAILURE]);
	EXPECT_EQ(SYNC_CLIENTS * off, d[S_RSTART]);
	EXPECT_EQ(SYNC_CLIENTS * off, d[S_RCOMPLETE]);
	EXPECT_EQ(0, d[S_RFAILURE]);
	EXPECT_LE(0, dhp_clients_balanced());
	/* The sample set up each arriving CPU and freed each leaving one. */
	counts_read(&now);
	EXPECT_EQ(on, now.allocs - self->before.allocs);
	EXPECT_EQ(off, now.frees - self->before.frees);
}

/* The kernel's memory hotplug selftest, with its injected failures. */
TEST_F_TIMEOUT(kh, mem_on_off, 900)
{
	long block = block_bytes(), off;
	char id[2][32];
	int i;

	ASSERT_LT(0, block);
	/* Movable memory the script can offline: two DIMMs of two blocks. */
	for (i = 0; i < 2; i++)
		ASSERT_NE(0, dimm_add("256M", id[i]));
	EXPECT_EQ(0, run_script("mem-on-off-test.sh", "-r 30"));
	ASSERT_TRUE(events_drained(120));
	uevents_stop();
	ASSERT_FALSE(ue.overrun);

	off = count_kind(MEM_REMOVAL);
	ksft_print_msg("oracle: %ld block onlines, %ld offlines\n",
		       count_kind(MEM_ARRIVAL), off);
	ASSERT_LT(0, off);
	EXPECT_TRUE(stream_matches("watch", MEM_ARRIVAL, MEM_REMOVAL, block));
	EXPECT_CONTIGUOUS("watch", self->posted, self->posted);
	/* Every reservation of a cancelled online or offline was released. */
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "pending"));
	/* dhp's map of online blocks is the kernel's. */
	EXPECT_EQ(blocks_online(), stat_value(DHP_MEMORY, "online_blocks"));
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "vetoes"));
}

TEST_HARNESS_MAIN
