// SPDX-License-Identifier: GPL-2.0
/*
 * dhp_mem: memory arrivals and removals for the asynchronous notification.
 *
 * A memory notifier sees each memory block (128 MiB on x86_64) go through
 *
 *   MEM_GOING_ONLINE  -> MEM_ONLINE  | MEM_CANCEL_ONLINE
 *   MEM_GOING_OFFLINE -> MEM_OFFLINE | MEM_CANCEL_OFFLINE
 *
 * dhp reserves the event (and, for an arrival, its slot in the block map)
 * at GOING_*, where it may still veto with -ENOMEM, posts it at
 * ONLINE/OFFLINE and frees it at CANCEL_*. A notifier of lower priority may
 * see a CANCEL_* without the GOING_* when a higher one vetoed: nothing is
 * reserved then, and nothing is done.
 *
 * Context: the chain is blocking and runs in process context with
 * device_hotplug_lock, the memory block's device lock, cpus_read_lock and
 * mem_hotplug_lock (write) held. So: allocate GFP_KERNEL, never take
 * cpus_read_lock or wait for work that may; post and return. The write lock
 * on mem_hotplug_lock means one block changes at a time, hence one pending
 * reservation.
 *
 * dhp_mem_mutex orders the block map and the posting of memory events with
 * the snapshot an INCLUDE_EXISTING registration takes (dhp_mem_lock()).
 *
 * What an event reports: the whole blocks concerned, whatever part of them
 * the notifier is given, and in @usable the bytes of them the page
 * allocator got or lost. The two differ in two cases:
 * - memory_hotplug.memmap_on_memory=1: a hot-added block holds its own
 *   struct pages in its first pages, which are never onlined; the notifier
 *   sees the block from after them. Reporting the block keeps consecutive
 *   blocks touching (so they merge) and an arrival, its INCLUDE_EXISTING
 *   twin and its removal the same range. The map records how many pages
 *   each block holds for its memmap, so that the snapshot counts as the
 *   notifier did.
 * - virtio-mem (sub-block mode) onlines a block whole but hands only its
 *   plugged sub-blocks to the page allocator (its online_page_callback
 *   keeps the others PageOffline), and later plugs and unplugs sub-blocks
 *   inside the online block with no notifier at all. dhp counts the pages
 *   that are not PageOffline when the block comes online (MEM_ONLINE: the
 *   callback has run) and when it goes offline (MEM_GOING_OFFLINE, before
 *   virtio-mem's own notifier at priority 0 takes them over). Sub-block
 *   changes in between are not events: dhp has no way to see them.
 *
 * The source of each online block is recorded in the block map: classified
 * once when dhp loads for what is online then, and for a block that comes
 * online later by the dispatcher (dhp_mem_settle(), without hotplug locks:
 * it may evaluate ACPI _CRS), which writes it back. A removal reports the
 * source recorded for its block, never asks again while a DIMM is being
 * ejected, and INCLUDE_EXISTING merges only blocks of the same source (a
 * DIMM next to boot memory stays a DIMM). A block can go offline before
 * the dispatcher has settled its arrival, so the notifier reads OTHER for
 * its removal; the dispatcher, which settles both in stream order,
 * remembers which arrivals it settled as DIMMs (dhp_mem_settled, its own)
 * and gives their removals the same source: a removal always reports what
 * its arrival did. Such a block is marked unsettled in the map until the
 * dispatcher writes its source back, and an INCLUDE_EXISTING snapshot asks
 * ACPI for it as the dispatcher will, so that the snapshot too says what
 * the removal will (the only AML a registration may run). The range of
 * each ACPI memory device that holds online memory is cached
 * (dhp_mem_acpi_mutex) from the settle of its first
 * arrival until the settle of its first removal: no AML runs per event of
 * a known DIMM, and nothing is cached of a device whose memory is not
 * online (an empty slot, a DIMM not onlined), which could be ejected and
 * its acpi_device freed with no event to forget it by.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/acpi.h>
#include <linux/debugfs.h>
#include <linux/ioport.h>
#include <linux/lockdep.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "dhp_internal.h"
#include "dhp_logic.h"
#include "dhp_trace.h"

/* Between the kernel's own notifiers (slab 1, ipc 10) and the default 0. */
#define DHP_MEM_PRIORITY	20

static DEFINE_MUTEX(dhp_mem_mutex);
static DEFINE_MUTEX(dhp_mem_acpi_mutex);
/*
 * Online memory as dhp saw it: block index -> dhp_mem_val(node, source,
 * the pages at the block's start that hold its memmap).
 */
static DEFINE_XARRAY(dhp_mem_blocks);
/*
 * The blocks whose last arrival the dispatcher settled as an ACPI DIMM
 * while the notifier had said OTHER; the dispatcher's alone (no lock: it
 * runs one at a time), emptied by dhp_mem_exit() once it is flushed.
 */
static DEFINE_XARRAY(dhp_mem_settled);
static struct dhp_qevent *dhp_mem_pending;	/* reserved at GOING_*, or NULL */
static unsigned long dhp_mem_vetoes, dhp_mem_posted;

static unsigned long dhp_block_pages(void)
{
	return memory_block_size_bytes() >> PAGE_SHIFT;
}

/*
 * A block map value's source bits: an enum dhp_mem_source, or
 * DHP_MEM_UNSETTLED for a block whose arrival said OTHER and that the
 * dispatcher has not settled yet (it may turn out a DIMM). dhp_mem_src()
 * is what the stream has said so far: OTHER for an unsettled block.
 */
#define DHP_MEM_UNSETTLED	15U
#define DHP_MEM_IS_UNSETTLED(v)	(((v) & 15) == DHP_MEM_UNSETTLED)
#define DHP_MEM_MEMMAP(v)	(((v) >> 4) & 0xffff)
#define DHP_MEM_NODE(v)		((int)((v) >> 20))

static enum dhp_mem_source dhp_mem_src(unsigned long v)
{
	return DHP_MEM_IS_UNSETTLED(v) ? DHP_MEM_SRC_OTHER :
					 (enum dhp_mem_source)(v & 15);
}

static void *dhp_mem_val(int node, unsigned int source, unsigned long memmap)
{
	return xa_mk_value((unsigned long)node << 20 | memmap << 4 | source);
}

/* The first block and the end of the blocks @mn's range lies in. */
static void dhp_mem_blocks_of(const struct memory_notify *mn,
			      unsigned long *first, unsigned long *end)
{
	*first = mn->start_pfn / dhp_block_pages();
	*end = DIV_ROUND_UP(mn->start_pfn + mn->nr_pages, dhp_block_pages());
}

/*
 * Bytes of [@pfn, @pfn + @nr) the page allocator has: online pages that no
 * driver keeps offline (PageOffline: virtio-mem's unplugged sub-blocks,
 * balloon pages). Only on a range that cannot be removed meanwhile: the
 * notifier's, or an online block's under dhp_mem_mutex (its MEM_OFFLINE
 * needs the mutex before the memory can go).
 */
static u64 dhp_mem_usable(unsigned long pfn, unsigned long nr)
{
	unsigned long end = pfn + nr, n = 0;
	struct page *page;

	for (; pfn < end; pfn++) {
		page = pfn_to_online_page(pfn);
		if (page && !PageOffline(page))
			n++;
		if (!(pfn & 4095))
			cond_resched();
	}
	return PFN_PHYS(n);
}

static int dhp_mem_res_virtio(struct resource *res, void *arg)
{
	bool *virtio = arg;

	/*
	 * virtio-mem adds its memory as driver-managed System RAM under a
	 * container resource named after its device, virtioN. (The container
	 * is System RAM too, without DRIVER_MANAGED: hence the flags below.)
	 */
	if (res->parent && res->parent->name &&
	    str_has_prefix(res->parent->name, "virtio"))
		*virtio = true;
	return 0;
}

/*
 * The source as far as the resource tree tells it. Only while the range is
 * going online or offline: the memory hotplug lock keeps the device that
 * owns it, and so the parent resource whose name is read, from going away.
 */
static enum dhp_mem_source dhp_mem_source_now(u64 start, u64 size)
{
	bool virtio = false;

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM |
			    IORESOURCE_SYSRAM_DRIVER_MANAGED, start,
			    start + size - 1, &virtio, dhp_mem_res_virtio);
	return virtio ? DHP_MEM_SRC_VIRTIO_MEM : DHP_MEM_SRC_OTHER;
}

static void dhp_mem_lock(void)
{
	mutex_lock(&dhp_mem_mutex);
}

static void dhp_mem_unlock(void)
{
	mutex_unlock(&dhp_mem_mutex);
}

static int dhp_mem_reserve(const struct memory_notify *mn,
			   enum dhp_event_kind kind)
{
	struct dhp_qevent *e = dhp_ev_alloc(kind);
	unsigned long idx, end;
	void *old;

	dhp_mem_blocks_of(mn, &idx, &end);
	if (e && kind == DHP_EV_MEM_ARRIVAL &&
	    xa_reserve(&dhp_mem_blocks, idx, GFP_KERNEL)) {
		dhp_ev_free(e);
		e = NULL;
	}
	if (!e) {
		mutex_lock(&dhp_mem_mutex);
		dhp_mem_vetoes++;
		mutex_unlock(&dhp_mem_mutex);
		trace_dhp_record(DHP_REC_EV_RESERVE_FAIL, -1, 0,
				 PFN_PHYS(mn->start_pfn), -ENOMEM);
		return notifier_from_errno(-ENOMEM);
	}
	e->ev.mem.start = PFN_PHYS(idx * dhp_block_pages());
	e->ev.mem.size = PFN_PHYS((end - idx) * dhp_block_pages());
	e->ev.mem.node = pfn_to_nid(mn->start_pfn);
	/* set at GOING_* (and kept for ONLINE/OFFLINE) on both kernels */
	if (mn->status_change_nid >= 0)
		e->ev.mem.flags = kind == DHP_EV_MEM_ARRIVAL ?
				  DHP_MEM_NODE_FIRST : DHP_MEM_NODE_LAST;
	/* an arrival's is counted at MEM_ONLINE, once the pages are given */
	if (kind == DHP_EV_MEM_REMOVAL)
		e->ev.mem.usable = dhp_mem_usable(mn->start_pfn, mn->nr_pages);

	mutex_lock(&dhp_mem_mutex);
	old = xa_load(&dhp_mem_blocks, idx);
	if (kind == DHP_EV_MEM_REMOVAL && xa_is_value(old))
		e->ev.mem.source = dhp_mem_src(xa_to_value(old));
	else
		e->ev.mem.source = dhp_mem_source_now(e->ev.mem.start,
						      e->ev.mem.size);
	dhp_ev_free(dhp_mem_pending);	/* none: one block at a time */
	dhp_mem_pending = e;
	mutex_unlock(&dhp_mem_mutex);
	return NOTIFY_OK;
}

/* Takes the reservation for @mn's block, or NULL if there is none. */
static struct dhp_qevent *dhp_mem_take(const struct memory_notify *mn)
{
	struct dhp_qevent *e = dhp_mem_pending;
	unsigned long idx, end;

	dhp_mem_blocks_of(mn, &idx, &end);
	if (!e || e->ev.mem.start != PFN_PHYS(idx * dhp_block_pages()))
		return NULL;
	dhp_mem_pending = NULL;
	return e;
}

static void dhp_mem_commit(const struct memory_notify *mn, bool online)
{
	unsigned long bp = dhp_block_pages(), idx, end;
	struct dhp_qevent *e;

	dhp_mem_blocks_of(mn, &idx, &end);	/* one block per notification */
	mutex_lock(&dhp_mem_mutex);
	e = dhp_mem_take(mn);
	if (e && online)
		e->ev.mem.usable = dhp_mem_usable(mn->start_pfn, mn->nr_pages);
	/* the slot was reserved with the event: no allocation */
	if (online)
		xa_store(&dhp_mem_blocks, idx,
			 e ? dhp_mem_val(e->ev.mem.node,
					 e->ev.mem.source == DHP_MEM_SRC_OTHER ?
					 DHP_MEM_UNSETTLED : e->ev.mem.source,
					 mn->start_pfn - idx * bp) :
			     dhp_mem_val(pfn_to_nid(mn->start_pfn),
					 DHP_MEM_SRC_OTHER,
					 mn->start_pfn - idx * bp),
			 GFP_NOWAIT);
	else
		xa_erase(&dhp_mem_blocks, idx);
	if (e) {
		/*
		 * An arrival without a wake-up: the dispatcher would run on
		 * this CPU (per-CPU, see dhp_ev_post()), within the operation,
		 * and its settle asks ACPI (an online took 2x as long, 6.12
		 * under TCG). A kick at the next tick usually runs it after
		 * the operation; nothing depends on that. A removal's settle
		 * asks nothing: it is kicked at once.
		 */
		if (online)
			dhp_ev_post_unkicked(e, false);
		else
			dhp_ev_post(e);
		dhp_mem_posted++;
	} else {
		pr_err("memory block at %#llx changed without a reservation\n",
		       (u64)PFN_PHYS(mn->start_pfn));
	}
	mutex_unlock(&dhp_mem_mutex);
}

static void dhp_mem_cancel(const struct memory_notify *mn, bool online)
{
	struct dhp_qevent *e;

	mutex_lock(&dhp_mem_mutex);
	e = dhp_mem_take(mn);
	if (e && online)
		xa_release(&dhp_mem_blocks, mn->start_pfn / dhp_block_pages());
	mutex_unlock(&dhp_mem_mutex);
	dhp_ev_free(e);
}

static int dhp_mem_notify(struct notifier_block *nb, unsigned long action,
			  void *arg)
{
	const struct memory_notify *mn = arg;

	/* 6.1 has bit flags, 6.12 an enum with more actions: only a switch. */
	switch (action) {
	case MEM_GOING_ONLINE:
		return dhp_mem_reserve(mn, DHP_EV_MEM_ARRIVAL);
	case MEM_GOING_OFFLINE:
		return dhp_mem_reserve(mn, DHP_EV_MEM_REMOVAL);
	case MEM_ONLINE:
	case MEM_OFFLINE:
		dhp_mem_commit(mn, action == MEM_ONLINE);
		break;
	case MEM_CANCEL_ONLINE:
	case MEM_CANCEL_OFFLINE:
		dhp_mem_cancel(mn, action == MEM_CANCEL_ONLINE);
		break;
	default:
		break;
	}
	return NOTIFY_OK;
}

static struct notifier_block dhp_mem_nb = {
	.notifier_call = dhp_mem_notify,
	.priority = DHP_MEM_PRIORITY,
};

static enum dhp_mem_source dhp_mem_classify(u64 start, u64 size);

/*
 * The pages at the start of the hot-added block at @pfn that hold its own
 * memmap (memory_hotplug.memmap_on_memory), for a block that came online
 * before dhp loaded. They are marked VmemmapSelfHosted (PG_owner_priv_1,
 * which a page in use may carry for other reasons: hence only for memory
 * that was hot-added, and only a run of them from the block's first page,
 * no longer than the block's memmap can be).
 */
static unsigned long dhp_mem_memmap_pages(unsigned long pfn)
{
	unsigned long n, max = DIV_ROUND_UP(dhp_block_pages() *
					    sizeof(struct page), PAGE_SIZE);

	for (n = 0; n < max; n++)
		if (!PageVmemmapSelfHosted(pfn_to_page(pfn + n)))
			break;
	return n < max ? 0 : n;
}

/*
 * Marks the online blocks of one System RAM resource in the map. A block
 * counts as online when the range's first page in it is.
 */
static int dhp_mem_scan_range(struct resource *res, void *arg)
{
	unsigned long bp = dhp_block_pages();
	unsigned long first = PHYS_PFN(res->start), last = PHYS_PFN(res->end);
	enum dhp_mem_source source;
	unsigned long pfn;
	void *old;

	for (pfn = ALIGN_DOWN(first, bp); pfn <= last; pfn += bp) {
		if (!pfn_to_online_page(max(pfn, first)))
			continue;
		source = dhp_mem_classify(PFN_PHYS(pfn), PFN_PHYS(bp));
		old = xa_store(&dhp_mem_blocks, pfn / bp,
			       dhp_mem_val(pfn_to_nid(max(pfn, first)), source,
					   source == DHP_MEM_SRC_BOOT ||
					   pfn < first ? 0 :
					   dhp_mem_memmap_pages(pfn)),
			       GFP_KERNEL);
		if (xa_is_err(old))
			return xa_err(old);
	}
	return 0;
}

static bool dhp_mem_is_acpi_dimm(u64 start, u64 size);

/*
 * The usable bytes of online block @idx (block map value @val) for a
 * snapshot. A block going offline has its sections marked offline some
 * time before MEM_OFFLINE (offline_pages() stops kswapd, rebuilds the
 * zonelists in between), where counting would find nothing: its removal,
 * which follows the snapshot, gives what it counted at MEM_GOING_OFFLINE,
 * and so does its arrival here. dhp_mem_mutex held.
 */
static u64 dhp_mem_existing_usable(unsigned long idx, unsigned long val)
{
	unsigned long bp = dhp_block_pages();
	const struct dhp_qevent *e = dhp_mem_pending;

	lockdep_assert_held(&dhp_mem_mutex);
	if (e && e->ev.kind == DHP_EV_MEM_REMOVAL &&
	    e->ev.mem.start == PFN_PHYS(idx * bp))
		return e->ev.mem.usable;
	return dhp_mem_usable(idx * bp + DHP_MEM_MEMMAP(val),
			      bp - DHP_MEM_MEMMAP(val));
}

/*
 * Arrivals for the online memory, adjacent blocks of a node merged, for an
 * INCLUDE_EXISTING registration, appended to @out; the first range of each
 * node is DHP_MEM_NODE_FIRST. dhp_mem_lock() held, and every other
 * source's lock (cpus_read_lock() among them): a block whose arrival is not
 * settled yet is asked of ACPI here, which evaluates _CRS under those
 * locks, as the scan at load does under dhp_mem_mutex. _CRS of a memory
 * device waits for nothing a hotplug holds.
 */
static int dhp_mem_existing(struct list_head *out)
{
	unsigned long idx, val;
	u64 bs = memory_block_size_bytes(), usable;
	enum dhp_mem_source source;
	nodemask_t seen = NODE_MASK_NONE;
	struct dhp_qevent *e = NULL;
	void *entry;
	int node;

	lockdep_assert_held(&dhp_mem_mutex);
	xa_for_each(&dhp_mem_blocks, idx, entry) {
		if (!xa_is_value(entry))	/* reserved, not online yet */
			continue;
		val = xa_to_value(entry);
		node = DHP_MEM_NODE(val);
		source = dhp_mem_src(val);
		/* as the dispatcher will settle its arrival (see the top) */
		if (DHP_MEM_IS_UNSETTLED(val) &&
		    dhp_mem_is_acpi_dimm(idx * bs, bs))
			source = DHP_MEM_SRC_ACPI_DIMM;
		usable = dhp_mem_existing_usable(idx, val);
		if (e && e->ev.mem.node == node && e->ev.mem.source == source &&
		    e->ev.mem.start + e->ev.mem.size == idx * bs) {
			e->ev.mem.size += bs;
			e->ev.mem.usable += usable;
			continue;
		}
		e = dhp_ev_alloc(DHP_EV_MEM_ARRIVAL);
		if (!e)
			return -ENOMEM;
		e->ev.seq = 0;
		e->ev.timestamp_ns = ktime_get_ns();
		e->ev.mem.start = idx * bs;
		e->ev.mem.size = bs;
		e->ev.mem.node = node;
		e->ev.mem.source = source;
		if (!node_test_and_set(node, seen))
			e->ev.mem.flags = DHP_MEM_NODE_FIRST;
		e->ev.mem.usable = usable;
		list_add_tail(&e->node, out);
	}
	return 0;
}

#ifdef CONFIG_ACPI
/* The range each ACPI memory device (PNP0C80) describes, by device. */
struct dhp_mem_dimm {
	struct acpi_device *adev;	/* compared, never dereferenced */
	u64 start, end;
};

#define DHP_MEM_DIMMS	64
static struct dhp_mem_dimm dhp_mem_dimms[DHP_MEM_DIMMS];

static acpi_status dhp_acpi_res(struct acpi_resource *res, void *arg)
{
	struct dhp_mem_dimm *d = arg;
	struct acpi_resource_address64 a;

	if (ACPI_SUCCESS(acpi_resource_to_address64(res, &a)) &&
	    a.resource_type == ACPI_MEMORY_RANGE && a.address.address_length) {
		d->start = a.address.minimum;
		d->end = a.address.minimum + a.address.address_length - 1;
	}
	return AE_OK;
}

static bool dhp_mem_dimm_has(const struct dhp_mem_dimm *d, u64 start,
			     u64 size)
{
	return d->start <= start && start + size - 1 <= d->end;
}

/*
 * Whether @adev describes [@start, @start + @size): from the cache, else
 * by its _CRS, caching the range only if it holds the online range asked
 * about (see the top; without a free entry, it is asked again next time).
 */
static bool dhp_mem_dimm_covers(struct acpi_device *adev, u64 start,
				u64 size)
{
	struct dhp_mem_dimm *d, *free = NULL, now = { .adev = adev };

	lockdep_assert_held(&dhp_mem_acpi_mutex);
	for (d = dhp_mem_dimms; d < dhp_mem_dimms + DHP_MEM_DIMMS; d++) {
		if (d->adev == adev)
			return dhp_mem_dimm_has(d, start, size);
		if (!d->adev && !free)
			free = d;
	}
	/* an empty slot describes no range: start > end, never covers */
	now.start = 1;
	acpi_walk_resources(adev->handle, METHOD_NAME__CRS, dhp_acpi_res, &now);
	if (!dhp_mem_dimm_has(&now, start, size))
		return false;
	if (free)
		*free = now;
	return true;
}

/*
 * Whether an ACPI memory device (a DIMM) describes the range. Only the
 * devices ACPI already enumerated are looked at, by their stored IDs; the
 * _CRS of each that is not cached (see dhp_mem_dimm_covers()) is
 * evaluated at every call. Called for memory of unknown source only: at
 * load, and by the dispatcher for an arrival.
 */
static bool dhp_mem_is_acpi_dimm(u64 start, u64 size)
{
	struct acpi_device *adev;
	bool found = false;

	mutex_lock(&dhp_mem_acpi_mutex);
	for_each_acpi_dev_match(adev, "PNP0C80", NULL, -1) {
		if (dhp_mem_dimm_covers(adev, start, size)) {
			acpi_dev_put(adev);	/* the loop holds a reference */
			found = true;
			break;
		}
	}
	mutex_unlock(&dhp_mem_acpi_mutex);
	return found;
}

/*
 * Memory went offline: if a DIMM's, the DIMM may be ejected and its ACPI
 * device freed, so forget the range (a new device at the same address
 * must be asked again). Whatever the removal says: a range cached after it
 * took its source (an allocation failure, the scan at load) goes too.
 */
static void dhp_mem_dimm_forget(u64 start, u64 size)
{
	struct dhp_mem_dimm *d;

	mutex_lock(&dhp_mem_acpi_mutex);
	for (d = dhp_mem_dimms; d < dhp_mem_dimms + DHP_MEM_DIMMS; d++)
		if (d->adev && dhp_mem_dimm_has(d, start, size))
			d->adev = NULL;
	mutex_unlock(&dhp_mem_acpi_mutex);
}

/* How many ACPI memory devices' ranges are cached, for debugfs. */
static unsigned int dhp_mem_dimms_cached(void)
{
	unsigned int i, n = 0;

	mutex_lock(&dhp_mem_acpi_mutex);
	for (i = 0; i < DHP_MEM_DIMMS; i++)
		n += !!dhp_mem_dimms[i].adev;
	mutex_unlock(&dhp_mem_acpi_mutex);
	return n;
}
#else
static bool dhp_mem_is_acpi_dimm(u64 start, u64 size)
{
	return false;
}

static unsigned int dhp_mem_dimms_cached(void)
{
	return 0;
}

static void dhp_mem_dimm_forget(u64 start, u64 size)
{
}
#endif

/*
 * Where a range that is online came from: virtio-mem (its resource), an
 * ACPI DIMM, other driver-managed memory, else boot memory.
 */
static enum dhp_mem_source dhp_mem_classify(u64 start, u64 size)
{
	enum dhp_mem_source src = dhp_mem_source_now(start, size);

	if (src != DHP_MEM_SRC_OTHER)
		return src;
	if (dhp_mem_is_acpi_dimm(start, size))
		return DHP_MEM_SRC_ACPI_DIMM;
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM |
			      IORESOURCE_SYSRAM_DRIVER_MANAGED,
			      IORES_DESC_NONE) == REGION_DISJOINT)
		return DHP_MEM_SRC_BOOT;
	return DHP_MEM_SRC_OTHER;
}

/**
 * dhp_mem_settle() - complete a memory event before it is published
 * @ev: a memory arrival or removal, posted
 *
 * An arrival whose source the notifier could not tell is looked up among
 * the ACPI memory devices, and the answer recorded for its block, so that
 * its removal reports the same: in the block map, for a removal still to
 * come, and in dhp_mem_settled, for one the notifier may have posted
 * already (see the top). A removal forgets the cached range of the DIMM
 * it belonged to.
 *
 * Context: process context without hotplug locks (the dispatcher, one
 * event at a time and in order): it may evaluate ACPI _CRS.
 */
static void dhp_mem_settle(struct dhp_event *ev)
{
	u64 start = ev->mem.start, size = ev->mem.size;
	unsigned long idx = start / memory_block_size_bytes();
	void *entry;

	if (ev->kind == DHP_EV_MEM_REMOVAL) {
		if (xa_erase(&dhp_mem_settled, idx) &&
		    ev->mem.source == DHP_MEM_SRC_OTHER)
			ev->mem.source = DHP_MEM_SRC_ACPI_DIMM;
		/* whatever it says: a range cached meanwhile goes too */
		dhp_mem_dimm_forget(start, size);
		return;
	}
	xa_erase(&dhp_mem_settled, idx);	/* none: arrivals alternate */
	if (ev->mem.source != DHP_MEM_SRC_OTHER)
		return;
	if (dhp_mem_is_acpi_dimm(start, size)) {
		ev->mem.source = DHP_MEM_SRC_ACPI_DIMM;
		if (xa_err(xa_store(&dhp_mem_settled, idx, xa_mk_value(1),
				    GFP_KERNEL)))
			pr_warn_ratelimited("no memory to remember the DIMM at %#llx: its removal may say other\n",
					    start);
	}
	/* settled: replacing a value entry allocates nothing */
	mutex_lock(&dhp_mem_mutex);
	entry = xa_load(&dhp_mem_blocks, idx);
	if (xa_is_value(entry) && DHP_MEM_IS_UNSETTLED(xa_to_value(entry)))
		xa_store(&dhp_mem_blocks, idx,
			 dhp_mem_val(DHP_MEM_NODE(xa_to_value(entry)),
				     ev->mem.source,
				     DHP_MEM_MEMMAP(xa_to_value(entry))),
			 GFP_KERNEL);
	mutex_unlock(&dhp_mem_mutex);
}

/* The event source of memory (dhp_ev_source), locked by dhp_mem_mutex. */
static const struct dhp_ev_source dhp_mem_source = {
	.category = DHP_EV_MEMORY,
	.lock = dhp_mem_lock,
	.unlock = dhp_mem_unlock,
	.existing = dhp_mem_existing,
	.settle = dhp_mem_settle,
};

static int dhp_mem_show(struct seq_file *m, void *v)
{
	unsigned long bp = dhp_block_pages(), idx, online = 0, val;
	u64 vmem_size = 0, vmem_usable = 0;
	void *entry;

	mutex_lock(&dhp_mem_mutex);
	xa_for_each(&dhp_mem_blocks, idx, entry) {
		if (!xa_is_value(entry))
			continue;
		online++;
		val = xa_to_value(entry);
		if (dhp_mem_src(val) != DHP_MEM_SRC_VIRTIO_MEM)
			continue;
		/* what virtio-mem has plugged now: no event says it */
		vmem_size += PFN_PHYS(bp);
		vmem_usable += dhp_mem_usable(idx * bp + DHP_MEM_MEMMAP(val),
					      bp - DHP_MEM_MEMMAP(val));
	}
	seq_printf(m, "block_bytes %lu\nonline_blocks %lu\nnotifier_priority %d\nposted %lu\nvetoes %lu\npending %d\nvirtio_mem_bytes %llu\nvirtio_mem_usable %llu\n",
		   memory_block_size_bytes(), online, DHP_MEM_PRIORITY,
		   dhp_mem_posted, dhp_mem_vetoes, !!dhp_mem_pending,
		   vmem_size, vmem_usable);
	mutex_unlock(&dhp_mem_mutex);
	seq_printf(m, "acpi_dimms_cached %u\n", dhp_mem_dimms_cached());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(dhp_mem);

int dhp_mem_init(void)
{
	int ret;

	/* Known to the stream before the notifier posts anything. */
	dhp_ev_add_source(&dhp_mem_source);
	ret = register_memory_notifier(&dhp_mem_nb);
	if (ret)
		return ret;
	/* Blocks changing meanwhile are ordered with the scan by the mutex. */
	mutex_lock(&dhp_mem_mutex);
	ret = walk_iomem_res_desc(IORES_DESC_NONE,
				  IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0,
				  U64_MAX, NULL, dhp_mem_scan_range);
	mutex_unlock(&dhp_mem_mutex);
	if (ret < 0) {
		dhp_mem_exit();
		return ret;
	}
	debugfs_create_file("memory", 0444, dhp_debugfs, NULL, &dhp_mem_fops);
	return 0;
}

void dhp_mem_exit(void)
{
	unregister_memory_notifier(&dhp_mem_nb);
	dhp_ev_flush();		/* no dhp_mem_settle() from here on */
	xa_destroy(&dhp_mem_settled);
	dhp_ev_free(dhp_mem_pending);
	dhp_mem_pending = NULL;
	xa_destroy(&dhp_mem_blocks);
}
