// SPDX-License-Identifier: GPL-2.0
/*
 * Memory events as the kernel really onlines memory, run as root in a guest
 * with boot memory above 4 GiB (so that the first DIMM is adjacent to it),
 * DIMM slots and a virtio-mem device, with and without
 * memory_hotplug.memmap_on_memory=1 (scripts/check.py suites mem and
 * memmap). What dhp_evtest.ko's clients record is compared with the test's
 * own oracle: /proc/iomem, /sys/devices/system/memory and /proc/meminfo in
 * the guest, the virtio-mem device's size from the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"
#include "hostctl.h"
#include "evclient.h"

#define MIB		1048576ULL
#define MAX_BLOCKS	1024
#define MAX_NODES	64
#define NODE_FIRST	0x1U	/* DHP_MEM_NODE_FIRST */

/* MemTotal: what the page allocator manages, in bytes. */
static unsigned long long mem_total(void)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "MemTotal:");
	return p ? strtoull(p + 9, NULL, 10) * 1024 : 0;
}

/* Waits until MemTotal is @want; returns what it is then. */
static unsigned long long wait_mem_total(unsigned long long want, int secs)
{
	unsigned long long now = mem_total();
	int i;

	for (i = 0; i < secs * 10 && now != want; i++) {
		usleep(100000);
		now = mem_total();
	}
	return now;
}

/* Whether the kernel was booted with memory_hotplug.memmap_on_memory on. */
static bool memmap_param_on(void)
{
	char buf[16] = "";

	read_file("/sys/module/memory_hotplug/parameters/memmap_on_memory",
		  buf, sizeof(buf));
	return buf[0] == 'Y' || buf[0] == 'f';	/* Y, or 6.12's "force" */
}

static bool kernel_6_1(void)
{
	struct utsname u;

	return !uname(&u) && !strncmp(u.release, "6.1.", 4);
}

/*
 * The System RAM line of /proc/iomem that starts at @start: its end, or 0.
 * With @end_at set instead, whether a System RAM range ends right below it.
 */
static unsigned long long iomem_ram(unsigned long long start,
				    unsigned long long end_at)
{
	static char buf[1 << 16];
	unsigned long long lo, hi;
	char *line;

	if (read_file("/proc/iomem", buf, sizeof(buf)) < 0)
		return 0;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == ' ' || !strstr(line, "System RAM") ||
		    sscanf(line, "%llx-%llx", &lo, &hi) != 2)
			continue;
		if (!end_at && lo == start)
			return hi;
		if (end_at && hi + 1 == end_at)
			return 1;
	}
	return 0;
}

/* The online memory blocks, by sysfs (phys_index checked), into @on. */
static void blocks_online(bool *on)
{
	char path[128], buf[32];
	long i;

	for (i = 0; i < MAX_BLOCKS; i++) {
		snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", i);
		on[i] = read_file(path, buf, sizeof(buf)) > 0 &&
			!strncmp(buf, "online", 6);
		snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/phys_index",
			 i);
		if (on[i] && (read_file(path, buf, sizeof(buf)) <= 0 ||
			      strtol(buf, NULL, 16) != i))
			on[i] = false;
	}
}

/*
 * What @name was told of [@start, @start + @size) as @kind (seq 0 only
 * with @existing): bytes, usable bytes, records, and whether every record
 * is whole blocks lying wholly inside or wholly outside the range.
 */
struct seen {
	unsigned long long bytes, usable;
	int recs, straddling, unaligned, wrong_source;
};

static struct seen seen_in(const char *name, int kind, bool existing,
			   unsigned long long start, unsigned long long size,
			   int source)
{
	unsigned long long bs = block_bytes(), end = start + size;
	struct seen s = { 0 };
	int i;

	client_read(name);
	for (i = 0; i < cl.nr; i++) {
		struct rec *r = &cl.r[i];

		if (r->kind != kind || !r->seq != existing)
			continue;
		if (r->start + r->size <= start || r->start >= end)
			continue;
		if (r->start < start || r->start + r->size > end)
			s.straddling++;
		if (r->start % bs || r->size % bs)
			s.unaligned++;
		if (r->source != source) {
			s.wrong_source++;
			printf("# %s: seq %llu at %#llx size %#llx source %d, not %d\n",
			       name, r->seq, r->start, r->size, r->source,
			       source);
		}
		s.bytes += r->size;
		s.usable += r->usable;
		s.recs++;
	}
	return s;
}

static bool wait_seen(const char *name, int kind, bool existing,
		      unsigned long long start, unsigned long long size,
		      int source, unsigned long long want_usable, int secs)
{
	struct seen s;
	int i;

	for (i = 0; i < secs * 10; i++) {
		s = seen_in(name, kind, existing, start, size, source);
		if (s.bytes >= size && s.usable >= want_usable)
			return true;
		usleep(100000);
	}
	return false;
}

#define EXPECT_SEEN(_s, _size, _usable) do {				\
	struct seen _seen = (_s);					\
									\
	EXPECT_EQ((_size), _seen.bytes);				\
	EXPECT_EQ((_usable), _seen.usable);				\
	EXPECT_EQ(0, _seen.straddling);					\
	EXPECT_EQ(0, _seen.unaligned);					\
	EXPECT_EQ(0, _seen.wrong_source);				\
} while (0)

/* dhp and dhp_evtest loaded afresh, for a fixture's setup; 0 or -errno. */
static int evtest_fresh(void)
{
	mod_unload("dhp_evtest");
	mod_unload("dhp");
	return mod_load("dhp", NULL) ?: mod_load("dhp_evtest", NULL);
}

static void evtest_gone(void)
{
	mod_unload("dhp_evtest");
	mod_unload("dhp");
}

FIXTURE(mem) {
	int unused;
};

FIXTURE_SETUP(mem)
{
	ASSERT_EQ(0, evtest_fresh());
}

FIXTURE_TEARDOWN(mem)
{
	ctl("hold held 0");
	evtest_gone();
}

FIXTURE_VARIANT(mem) {
	const char *dimm;
	unsigned long long bytes;
};

FIXTURE_VARIANT_ADD(mem, one_block) {
	.dimm = "128M",
	.bytes = 128 * MIB,
};

FIXTURE_VARIANT_ADD(mem, eight_blocks) {
	.dimm = "1G",
	.bytes = 1024 * MIB,
};

/*
 * What is wrong with the DHP_MEM_NODE_FIRST flags of @name's
 * INCLUDE_EXISTING arrivals (seq 0), or NULL. README: the first range of
 * each node with memory carries the flag, and no later one of that node.
 * *@most gets the most ranges one node had, so that the caller knows
 * whether there was a later range to get it wrong on.
 */
static const char *existing_first_wrong(const char *name, int *most)
{
	int i, node, ranges[MAX_NODES] = { 0 };

	*most = 0;
	if (!client_read(name))
		return "client unreadable";
	for (i = 0; i < cl.nr; i++) {
		if (cl.r[i].kind != MEM_ARRIVAL || cl.r[i].seq)
			continue;
		node = cl.r[i].node;
		if (node < 0 || node >= MAX_NODES)
			return "a node out of range";
		if (!ranges[node] != !!(cl.r[i].flags & NODE_FIRST))
			return ranges[node] ? "FIRST on a later range of its node" :
			       "no FIRST on the first range of its node";
		if (++ranges[node] > *most)
			*most = ranges[node];
	}
	return NULL;
}

/*
 * A DIMM next to boot memory: its arrival, its merged arrival, its
 * INCLUDE_EXISTING arrival and its removal all give the DIMM's blocks as a
 * DIMM, and the bytes the page allocator got (MemTotal), with or without
 * the blocks' memmap on the DIMM itself.
 */
TEST_F_TIMEOUT(mem, dimm, 900)
{
	unsigned long long bs = block_bytes(), size = variant->bytes;
	unsigned long long addr, before, delta, memmap, end;
	unsigned long long nblocks = size / bs;
	bool want_memmap, on[MAX_BLOCKS];
	struct seen s;
	const char *why;
	char id[32];
	int most;
	long blk;

	ASSERT_LT(0, bs);
	/* 6.1 puts the memmap on the memory only for a one-block DIMM */
	want_memmap = memmap_param_on() && (!kernel_6_1() || size == bs);
	before = mem_total();
	ASSERT_EQ(0, ctl("register all %d", F_MEM));
	ASSERT_EQ(0, ctl("register held %d", F_MEM));
	ASSERT_EQ(0, ctl("hold held 1"));

	addr = dimm_add(variant->dimm, id);
	ASSERT_NE(0, addr) TH_LOG("dimm-add failed");
	ASSERT_TRUE(wait_seen("all", MEM_ARRIVAL, false, addr, size,
			      SRC_ACPI_DIMM, 1, 120));
	/* the oracle: the DIMM's System RAM and its blocks, online */
	end = iomem_ram(addr, 0);
	EXPECT_EQ(addr + size - 1, end) TH_LOG("iomem at %#llx", addr);
	EXPECT_TRUE(iomem_ram(0, addr)) TH_LOG("DIMM not next to boot RAM");
	blocks_online(on);
	for (blk = addr / bs; blk < (long)((addr + size) / bs); blk++)
		EXPECT_TRUE(on[blk]) TH_LOG("memory%ld", blk);
	delta = wait_mem_total(before + size - (want_memmap ? 1 : 0) *
			       nblocks * (bs / 4096 * 64), 30) - before;
	memmap = (size - delta) / nblocks;
	TH_LOG("%s DIMM at %#llx: MemTotal +%llu MiB, memmap %llu KiB a block (param %d)",
	       variant->dimm, addr, delta / MIB, memmap / 1024,
	       memmap_param_on());
	EXPECT_EQ(0, (size - delta) % nblocks);
	EXPECT_EQ(want_memmap, memmap > 0);

	s = seen_in("all", MEM_ARRIVAL, false, addr, size, SRC_ACPI_DIMM);
	EXPECT_SEEN(s, size, delta);
	EXPECT_TRUE(no_overlap("all", MEM_ARRIVAL));

	/* held back, the blocks come as one range: they touch */
	ASSERT_EQ(0, ctl("hold held 0"));
	ASSERT_TRUE(wait_seen("held", MEM_ARRIVAL, false, addr, size,
			      SRC_ACPI_DIMM, delta, 60));
	s = seen_in("held", MEM_ARRIVAL, false, addr, size, SRC_ACPI_DIMM);
	EXPECT_SEEN(s, size, delta);
	EXPECT_GE(2, s.recs) TH_LOG("%d records", s.recs);

	/*
	 * Registered now: the same range, a DIMM, not merged into boot RAM;
	 * as dhp recorded the blocks when they came online, then as it
	 * finds them when loaded with the DIMM online.
	 */
	for (int reload = 0; reload < 2; reload++) {
		if (reload) {
			ASSERT_EQ(0, mod_unload("dhp_evtest"));
			ASSERT_EQ(0, mod_unload("dhp"));
			ASSERT_EQ(0, mod_load("dhp", NULL));
			ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
			ASSERT_EQ(0, ctl("register all %d", F_MEM));
		}
		ASSERT_EQ(0, ctl("register ex %d", F_MEM | F_EXISTING));
		ASSERT_TRUE(wait_seen("ex", MEM_ARRIVAL, true, addr, size,
				      SRC_ACPI_DIMM, delta, 60));
		s = seen_in("ex", MEM_ARRIVAL, true, addr, size,
			    SRC_ACPI_DIMM);
		TH_LOG("INCLUDE_EXISTING, dhp reloaded: %d", reload);
		EXPECT_SEEN(s, size, delta);
		EXPECT_EQ(1, s.recs);
		s = seen_in("ex", MEM_ARRIVAL, true, 0, addr, SRC_BOOT);
		EXPECT_EQ(0, s.straddling);
		EXPECT_EQ(0, s.wrong_source);
		/* boot RAM below and above 4 GiB and the DIMM: one node */
		why = existing_first_wrong("ex", &most);
		EXPECT_EQ(NULL, why) TH_LOG("ex: %s", why);
		EXPECT_LE(2, most);
	}

	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_seen("all", MEM_REMOVAL, false, addr, size,
			      SRC_ACPI_DIMM, delta, 120));
	s = seen_in("all", MEM_REMOVAL, false, addr, size, SRC_ACPI_DIMM);
	EXPECT_SEEN(s, size, delta);
	ASSERT_TRUE(wait_seen("ex", MEM_REMOVAL, false, addr, size,
			      SRC_ACPI_DIMM, delta, 120));
	s = seen_in("ex", MEM_REMOVAL, false, addr, size, SRC_ACPI_DIMM);
	EXPECT_SEEN(s, size, delta);
	EXPECT_EQ(before, wait_mem_total(before, 30));
}

FIXTURE(slot) {
	int unused;
};

FIXTURE_SETUP(slot)
{
	ASSERT_EQ(0, evtest_fresh());
}

FIXTURE_TEARDOWN(slot)
{
	evtest_gone();
}

/*
 * A DIMM slot used again by a bigger DIMM: after a 128 MiB DIMM came and
 * went, a 1 GiB one at the same address (QEMU takes the first free slot
 * and the lowest free address) is a DIMM, all of its blocks: dhp reads the
 * slot's range anew rather than keep the one of the DIMM before.
 */
TEST_F_TIMEOUT(slot, reused_by_a_bigger_dimm, 900)
{
	unsigned long long addr, again;
	char id[32];
	struct seen s;

	ASSERT_EQ(0, ctl("register all %d", F_MEM));
	addr = dimm_add("128M", id);
	ASSERT_NE(0, addr);
	ASSERT_TRUE(wait_seen("all", MEM_ARRIVAL, false, addr, 128 * MIB,
			      SRC_ACPI_DIMM, 1, 120));
	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(wait_seen("all", MEM_REMOVAL, false, addr, 128 * MIB,
			      SRC_ACPI_DIMM, 1, 120));

	again = dimm_add("1G", id);
	ASSERT_EQ(addr, again) TH_LOG("the second DIMM is elsewhere");
	/* the first DIMM's 128 MiB in the range too, then the second's */
	ASSERT_TRUE(WAIT_UNTIL(seen_in("all", MEM_ARRIVAL, false, addr,
				       GIB, SRC_ACPI_DIMM).bytes >=
			       128 * MIB + GIB, 120));
	s = seen_in("all", MEM_ARRIVAL, false, addr, GIB, SRC_ACPI_DIMM);
	EXPECT_EQ(128 * MIB + GIB, s.bytes);
	EXPECT_EQ(0, s.wrong_source);
	EXPECT_EQ(0, s.straddling);
	ASSERT_EQ(0, dimm_del(id));
	ASSERT_TRUE(WAIT_UNTIL(seen_in("all", MEM_REMOVAL, false, addr,
				       GIB, SRC_ACPI_DIMM).bytes >=
			       128 * MIB + GIB, 120));
	EXPECT_EQ(0, seen_in("all", MEM_REMOVAL, false, addr, GIB,
			     SRC_ACPI_DIMM).wrong_source);
}

/*
 * A block that goes offline before dhp's dispatcher has settled its
 * arrival: the notifier, which may not evaluate ACPI, has only OTHER to
 * give its removal, yet the arrival turns out a DIMM. README: a removal
 * reports the source its arrival did. The DIMM is added with its blocks
 * offline; dhp_evtest then holds QEMU's memory slot lock, the AML mutex
 * every slot's _CRS acquires, so the dispatcher waits inside the arrival's
 * settle, while the test onlines and offlines one block through sysfs
 * (which runs no AML). Released, both events must say DIMM, and dhp must
 * hold no slot's range any more (debugfs memory, acpi_dimms_cached).
 */
FIXTURE(settle) {
	char id[32];
	char auto_online[32];
};

FIXTURE_SETUP(settle)
{
	self->id[0] = 0;
	ASSERT_LT(0, read_file(MEM_SYSFS "/auto_online_blocks",
			       self->auto_online, sizeof(self->auto_online)));
	self->auto_online[strcspn(self->auto_online, "\n")] = 0;
	ASSERT_EQ(0, evtest_fresh());
}

FIXTURE_TEARDOWN(settle)
{
	ctl("amlhold 0");
	if (self->id[0])
		dimm_del(self->id);
	write_file(MEM_SYSFS "/auto_online_blocks", self->auto_online);
	evtest_gone();
}

static const char *const slot_locks[] = {
	"\\_SB.PCI0.MHPD.MLCK",		/* QEMU's pc and q35 */
	"\\_SB.MHPC.MLCK",
};

/* The state letter of task @pid (/proc/PID/stat), or -1 if it is gone. */
static int task_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : -1;
}

/*
 * For the settle tests: a 128 MiB DIMM added with its block offline
 * (@id its QEMU id, *@addr its start), then QEMU's memory slot lock held by
 * dhp_evtest. Returns the block's index.
 */
static long dimm_offline_slot_held(struct __test_metadata *_metadata,
				   char *id, unsigned long long *addr)
{
	long bs = block_bytes(), blk;
	char path[128], state[32];
	size_t i;

	ASSERT_LT(0, bs);
	ASSERT_EQ(0, write_file(MEM_SYSFS "/auto_online_blocks", "offline"));
	*addr = dimm_add("128M", id);
	ASSERT_NE(0, *addr) TH_LOG("dimm-add failed");
	blk = *addr / bs;
	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", blk);
	ASSERT_TRUE(WAIT_UNTIL(read_file(path, state, sizeof(state)) > 0 &&
			       !strncmp(state, "offline", 7), 120))
		TH_LOG("memory%ld did not appear offline", blk);
	for (i = 0; i < ARRAY_SIZE(slot_locks); i++)
		if (!ctl("amlhold %s", slot_locks[i]))
			break;
	ASSERT_GT(ARRAY_SIZE(slot_locks), i) TH_LOG("no memory slot lock");
	return blk;
}

TEST_F_TIMEOUT(settle, removal_before_its_arrival_is_settled, 600)
{
	unsigned long long bs = block_bytes(), addr;
	struct seen s;
	long blk;

	ASSERT_EQ(0, ctl("register all %d", F_MEM));
	blk = dimm_offline_slot_held(_metadata, self->id, &addr);
	ASSERT_EQ(0, block_set(blk, "online_movable"));
	ASSERT_EQ(0, block_set(blk, "offline"));
	/* the dispatcher is still inside the arrival: nothing delivered */
	usleep(500000);
	EXPECT_EQ(0, seen_in("all", MEM_ARRIVAL, false, addr, bs,
			     SRC_ACPI_DIMM).recs);
	ASSERT_EQ(0, ctl("amlhold 0"));

	ASSERT_TRUE(wait_seen("all", MEM_REMOVAL, false, addr, bs,
			      SRC_ACPI_DIMM, 0, 60));
	s = seen_in("all", MEM_ARRIVAL, false, addr, bs, SRC_ACPI_DIMM);
	EXPECT_EQ(bs, s.bytes);
	EXPECT_EQ(0, s.wrong_source);
	s = seen_in("all", MEM_REMOVAL, false, addr, bs, SRC_ACPI_DIMM);
	EXPECT_EQ(bs, s.bytes);
	EXPECT_EQ(0, s.wrong_source);
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "acpi_dimms_cached"));
	ASSERT_EQ(0, dimm_del(self->id));
	self->id[0] = 0;
}

/*
 * The same moment seen by a client that registers with INCLUDE_EXISTING
 * while the arrival is being settled: its snapshot must say DIMM for the
 * block, as its removal will. The registration runs in a child, since with
 * the slot lock held it may wait for ACPI itself.
 */
TEST_F_TIMEOUT(settle, snapshot_before_its_arrival_is_settled, 600)
{
	unsigned long long bs = block_bytes(), addr;
	int status = -1;
	struct seen s;
	pid_t child;
	bool done;
	long blk;

	blk = dimm_offline_slot_held(_metadata, self->id, &addr);
	ASSERT_EQ(0, block_set(blk, "online_movable"));
	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(ctl("register snap %d", F_MEM | F_EXISTING) ? 1 : 0);
	/*
	 * Released once the registration waits (for ACPI, behind the
	 * dispatcher) or is done: a loaded host may take long to get the
	 * child there, and released earlier it would not meet the moment.
	 */
	done = WAIT_UNTIL(task_state(child) == 'D' ||
			  waitpid(child, &status, WNOHANG) == child, 30);
	TH_LOG("registration %s when released", done ?
	       (task_state(child) == 'D' ? "waiting" : "done") : "running");
	ASSERT_EQ(0, ctl("amlhold 0"));
	ASSERT_TRUE(task_state(child) < 0 ||
		    waitpid(child, &status, 0) == child);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));

	/* the snapshot is delivered after the registration returns */
	ASSERT_TRUE(wait_seen("snap", MEM_ARRIVAL, true, addr, bs,
			      SRC_ACPI_DIMM, 0, 60));
	s = seen_in("snap", MEM_ARRIVAL, true, addr, bs, SRC_ACPI_DIMM);
	EXPECT_EQ(bs, s.bytes);
	EXPECT_EQ(0, s.wrong_source);
	ASSERT_EQ(0, block_set(blk, "offline"));
	ASSERT_TRUE(wait_seen("snap", MEM_REMOVAL, false, addr, bs,
			      SRC_ACPI_DIMM, 0, 60));
	EXPECT_EQ(0, seen_in("snap", MEM_REMOVAL, false, addr, bs,
			     SRC_ACPI_DIMM).wrong_source);
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "acpi_dimms_cached"));
	ASSERT_EQ(0, dimm_del(self->id));
	self->id[0] = 0;
}

FIXTURE(vmem) {
	int unused;
};

FIXTURE_SETUP(vmem)
{
	mod_unload("dhp_evtest");
	mod_unload("dhp");
	if (access("/sys/bus/virtio/drivers/virtio_mem", F_OK) &&
	    system("kmod-load virtio_mem"))
		SKIP(return, "cannot load virtio_mem (no --vmem device?)");
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
}

FIXTURE_TEARDOWN(vmem)
{
	hostctl("vmem-resize 0 wait", NULL, 0, 300000);
	mod_unload("dhp_evtest");
	mod_unload("dhp");
}

/* Resizes the device and returns its size as the host sees it. */
static unsigned long long vmem_resize(unsigned long long bytes)
{
	unsigned long long size = 0, req;
	char reply[256];

	if (hostctlf(reply, sizeof(reply), 300000, "vmem-resize %llu wait",
		     bytes) ||
	    hostctl("vmem-size", reply, sizeof(reply), 60000) ||
	    sscanf(reply, "%llu %llu", &size, &req) != 2)
		return -1ULL;
	return size;
}

/* The blocks that went online (@up) or offline from @was to @now. */
static int blocks_changed(const bool *was, const bool *now, bool up,
			  long *first)
{
	int n = 0;
	long i;

	for (i = MAX_BLOCKS - 1; i >= 0; i--)
		if (was[i] != now[i] && now[i] == up) {
			*first = i;
			n++;
		}
	return n;
}

/*
 * virtio-mem, grown by a block and a half, shrunk by less than a block
 * (no memory notifier: no event), by the rest of the part-plugged block
 * and by a full block (virtio-mem empties a block sub-block by sub-block
 * before it offlines it: the removal takes nothing more from the page
 * allocator). Each event gives its blocks and the bytes the page allocator
 * got or lost then, and debugfs memory what is plugged now, checked
 * against MemTotal and the device's size.
 */
TEST_F_TIMEOUT(vmem, grow_and_shrink, 900)
{
	unsigned long long bs = block_bytes(), before, start;
	bool b0[MAX_BLOCKS], b1[MAX_BLOCKS], b2[MAX_BLOCKS];
	long first = -1, posted;
	struct seen s;

	ASSERT_EQ(128 * MIB, bs);
	before = mem_total();
	blocks_online(b0);
	ASSERT_EQ(0, ctl("register v %d", F_MEM));

	/* grow by 192 MiB: one block full, the next one half plugged */
	ASSERT_EQ(192 * MIB, vmem_resize(192 * MIB));
	EXPECT_EQ(before + 192 * MIB, wait_mem_total(before + 192 * MIB, 60));
	blocks_online(b1);
	ASSERT_EQ(2, blocks_changed(b0, b1, true, &first));
	start = first * bs;
	ASSERT_TRUE(wait_seen("v", MEM_ARRIVAL, false, start, 2 * bs,
			      SRC_VIRTIO_MEM, 192 * MIB, 60));
	s = seen_in("v", MEM_ARRIVAL, false, start, 2 * bs, SRC_VIRTIO_MEM);
	EXPECT_SEEN(s, 2 * bs, 192 * MIB);
	TH_LOG("virtio-mem blocks at %#llx: %d arrival records", start,
	       s.recs);
	EXPECT_EQ(192 * MIB, stat_value(DHP_MEMORY, "virtio_mem_usable"));

	/* registered now: the same blocks, what is plugged in them */
	ASSERT_EQ(0, ctl("register vx %d", F_MEM | F_EXISTING));
	ASSERT_TRUE(wait_seen("vx", MEM_ARRIVAL, true, start, 2 * bs,
			      SRC_VIRTIO_MEM, 192 * MIB, 60));
	s = seen_in("vx", MEM_ARRIVAL, true, start, 2 * bs, SRC_VIRTIO_MEM);
	EXPECT_SEEN(s, 2 * bs, 192 * MIB);

	/* shrink by 32 MiB inside the part-plugged block: no event */
	ASSERT_TRUE(wait_caught_up("v", 60));
	posted = events_stat("posted");
	ASSERT_EQ(160 * MIB, vmem_resize(160 * MIB));
	EXPECT_EQ(before + 160 * MIB, wait_mem_total(before + 160 * MIB, 60));
	sleep(1);
	EXPECT_EQ(posted, events_stat("posted"));
	blocks_online(b2);
	EXPECT_EQ(0, blocks_changed(b1, b2, false, &first));
	/* where dhp gives what is plugged now: debugfs memory */
	EXPECT_EQ(2 * bs, stat_value(DHP_MEMORY, "virtio_mem_bytes"));
	EXPECT_EQ(160 * MIB, stat_value(DHP_MEMORY, "virtio_mem_usable"));

	/* shrink by its last 32 MiB: the empty block goes, 0 bytes usable */
	ASSERT_EQ(128 * MIB, vmem_resize(128 * MIB));
	EXPECT_EQ(before + 128 * MIB, wait_mem_total(before + 128 * MIB, 60));
	ASSERT_TRUE(wait_seen("v", MEM_REMOVAL, false, start + bs, bs,
			      SRC_VIRTIO_MEM, 0, 60));
	blocks_online(b2);
	EXPECT_EQ(1, blocks_changed(b1, b2, false, &first));
	EXPECT_EQ(start / bs + 1, first);
	s = seen_in("v", MEM_REMOVAL, false, start + bs, bs, SRC_VIRTIO_MEM);
	EXPECT_SEEN(s, bs, 0);
	EXPECT_EQ(bs, stat_value(DHP_MEMORY, "virtio_mem_bytes"));
	EXPECT_EQ(128 * MIB, stat_value(DHP_MEMORY, "virtio_mem_usable"));

	/*
	 * shrink by a full block: virtio-mem takes all of its sub-blocks
	 * from the page allocator first, then offlines the empty block
	 */
	ASSERT_EQ(0, vmem_resize(0));
	EXPECT_EQ(before, wait_mem_total(before, 60));
	ASSERT_TRUE(wait_seen("v", MEM_REMOVAL, false, start, bs,
			      SRC_VIRTIO_MEM, 0, 60));
	s = seen_in("v", MEM_REMOVAL, false, start, bs, SRC_VIRTIO_MEM);
	EXPECT_SEEN(s, bs, 0);
	EXPECT_EQ(0, stat_value(DHP_MEMORY, "virtio_mem_bytes"));
	/* the INCLUDE_EXISTING client's arrivals leave as they came */
	ASSERT_TRUE(wait_seen("vx", MEM_REMOVAL, false, start, 2 * bs,
			      SRC_VIRTIO_MEM, 0, 60));
	s = seen_in("vx", MEM_REMOVAL, false, start, 2 * bs, SRC_VIRTIO_MEM);
	EXPECT_SEEN(s, 2 * bs, 0);
	EXPECT_TRUE(no_overlap("v", MEM_REMOVAL));
	ASSERT_TRUE(wait_caught_up("v", 60));
}

TEST_HARNESS_MAIN
