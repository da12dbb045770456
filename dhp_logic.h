/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure decisions of dhp, free of kernel glue so they can be unit-tested
 * on their own (selftests/unit/ on the host, selftests/dhp_kunit.c in the
 * kernel): which step of the synchronous protocol is due to a client, which
 * memory events merge, how the high-memory condition moves, and how a new
 * client's snapshot of what exists joins the event stream. Include after
 * the types they use.
 */
#ifndef _DHP_LOGIC_H
#define _DHP_LOGIC_H

/* Where one client is in the synchronous protocol for one CPU. */
enum dhp_proto {
	DHP_CC_NONE,		/* told nothing, or the last add/removal ended */
	DHP_CC_STARTED,		/* got ADD_START, owed COMPLETE or FAILURE */
	DHP_CC_UP,		/* got ADD_COMPLETE */
	DHP_CC_REMOVING,	/* got REMOVE_START, owed COMPLETE or FAILURE */
};

/* How many steps &enum dhp_cpu_state has (the public enum has no sentinel). */
#define DHP_CPU_NR_STATES	(DHP_CPU_REMOVE_FAILURE + 1)

/*
 * The exactly-once rule of the synchronous protocol: whether @step is due
 * to a client in protocol state @cur and, if so, the state it moves the
 * client to, in *@next (the diagram is at the top of dhp_cpu.c).
 *
 * dhp delivers a step only to the clients it is due to, so every START is
 * answered by exactly one COMPLETE or FAILURE whatever order cpuhp runs the
 * callbacks in and whenever the client registered.
 */
static inline bool dhp_proto_step(u8 cur, enum dhp_cpu_state step, u8 *next)
{
	u8 from, to;

	switch (step) {
	case DHP_CPU_ADD_START:
		from = DHP_CC_NONE;
		to = DHP_CC_STARTED;
		break;
	case DHP_CPU_ADD_COMPLETE:
		from = DHP_CC_STARTED;
		to = DHP_CC_UP;
		break;
	case DHP_CPU_ADD_FAILURE:
		from = DHP_CC_STARTED;
		to = DHP_CC_NONE;
		break;
	case DHP_CPU_REMOVE_START:
		from = DHP_CC_UP;
		to = DHP_CC_REMOVING;
		break;
	case DHP_CPU_REMOVE_COMPLETE:
		from = DHP_CC_REMOVING;
		to = DHP_CC_NONE;
		break;
	case DHP_CPU_REMOVE_FAILURE:
		from = DHP_CC_REMOVING;
		to = DHP_CC_UP;
		break;
	default:
		return false;
	}
	if (cur != from)
		return false;
	*next = to;
	return true;
}

/*
 * Whether @b, the event right after @a in a client's stream, can be folded
 * into @a: both memory events of the same kind, node and source, @b's
 * sequence number the next after those @a covers, and the two ranges
 * touching (either way round, so descending offlines merge too). A merged
 * event never overlaps or duplicates a range.
 */
static inline bool dhp_mem_mergeable(const struct dhp_event *a,
				     const struct dhp_event *b)
{
	if (a->kind != DHP_EV_MEM_ARRIVAL && a->kind != DHP_EV_MEM_REMOVAL)
		return false;
	return b->kind == a->kind && b->seq == a->seq + a->count &&
	       b->mem.node == a->mem.node && b->mem.source == a->mem.source &&
	       (b->mem.start == a->mem.start + a->mem.size ||
		b->mem.start + b->mem.size == a->mem.start);
}

/*
 * Folds @b into @a; dhp_mem_mergeable(@a, @b) must hold. The range holds
 * the first (or last) memory of its node if either part did.
 */
static inline void dhp_mem_merge(struct dhp_event *a, const struct dhp_event *b)
{
	a->mem.flags |= b->mem.flags;
	if (b->mem.start < a->mem.start)
		a->mem.start = b->mem.start;
	a->mem.size += b->mem.size;
	a->mem.usable += b->mem.usable;
	a->count += b->count;
}

/*
 * The next state of the high-memory condition: set once @avail reaches
 * @high, cleared once it falls below @low (@low < @high), else unchanged,
 * so that it does not flap while @avail moves between the two.
 */
static inline bool dhp_hyst_next(bool cur, unsigned long avail,
				 unsigned long low, unsigned long high)
{
	if (!cur && avail >= high)
		return true;
	if (cur && avail < low)
		return false;
	return cur;
}

/*
 * The category of an asynchronous event: %DHP_EV_PROCESSOR or
 * %DHP_EV_MEMORY, the flag a client registers with to get it.
 */
static inline unsigned int dhp_ev_category(enum dhp_event_kind kind)
{
	return kind == DHP_EV_CPU_ARRIVAL || kind == DHP_EV_CPU_REMOVAL ?
	       DHP_EV_PROCESSOR : DHP_EV_MEMORY;
}

struct list_head;

/*
 * A producer of asynchronous events (the CPU and memory parts) as the
 * event stream sees it. The stream knows nothing else of CPUs or memory.
 *  @category: %DHP_EV_PROCESSOR or %DHP_EV_MEMORY, of all it posts.
 *  @lock, @unlock: while locked the source posts nothing, so what exists
 *	does not change.
 *  @existing: appends to @out an arrival for each thing that exists now,
 *	for an INCLUDE_EXISTING registration; locked. 0 or -ENOMEM.
 *  @settle: completes a posted event before it is published, in process
 *	context without dhp or hotplug locks (the dispatcher); may be NULL.
 *  @quiesce: waits until the source is between operations, at the start
 *	of each dispatcher run, in the same context; may be NULL.
 */
struct dhp_ev_source {
	unsigned int category;
	void (*lock)(void);
	void (*unlock)(void);
	int (*existing)(struct list_head *out);
	void (*settle)(struct dhp_event *ev);
	void (*quiesce)(void);
};

/*
 * The INCLUDE_EXISTING rule: a new client's snapshot of what exists and
 * the events after it neither overlap nor leave a gap. All @n sources are
 * locked, in their order (the lock order), so that none posts; the
 * existing arrivals of the categories in @want are appended to @out; then,
 * still locked, @attach(@arg) gives the client its first sequence number:
 * every event posted later is one that happened after the snapshot. If a
 * snapshot fails, nothing is attached. Unlocks in reverse order; returns 0
 * or the snapshot's error (what it appended stays in @out for the caller
 * to free).
 */
static inline int dhp_ev_snapshot(const struct dhp_ev_source *const *src,
				  unsigned int n, unsigned int want,
				  struct list_head *out,
				  void (*attach)(void *arg), void *arg)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < n; i++)
		src[i]->lock();
	for (i = 0; i < n && !err; i++)
		if (want & src[i]->category)
			err = src[i]->existing(out);
	if (!err)
		attach(arg);
	while (n--)
		src[n]->unlock();
	return err;
}

#endif /* _DHP_LOGIC_H */
