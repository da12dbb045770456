/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure decisions of dhp, free of kernel glue so they can be unit-tested
 * on their own (selftests/unit/ on the host, selftests/dhp_kunit.c in the
 * kernel): which step of the synchronous protocol is due to a client, which
 * memory events merge, and how the high-memory condition moves. Include
 * after the types they use.
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

#endif /* _DHP_LOGIC_H */
