/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure decisions of dhp, free of kernel glue so they can be unit-tested
 * on their own (selftests/unit/): which memory events merge, and how the
 * high-memory condition moves. Include after the types they use.
 */
#ifndef _DHP_LOGIC_H
#define _DHP_LOGIC_H

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

/* Folds @b into @a; dhp_mem_mergeable(@a, @b) must hold. */
static inline void dhp_mem_merge(struct dhp_event *a, const struct dhp_event *b)
{
	if (b->mem.start < a->mem.start)
		a->mem.start = b->mem.start;
	a->mem.size += b->mem.size;
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
