/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the selftests share about the asynchronous side: reading the records
 * of the dhp_evtest.ko clients, the event counters, DIMMs via the host and
 * memory blocks via sysfs. See evclient.c.
 */
#ifndef _DHP_EVCLIENT_H
#define _DHP_EVCLIENT_H

#include <stdbool.h>

#include "dhp_util.h"

#define EV_DEBUGFS	"/sys/kernel/debug/dhp_evtest"
#define EV_CTL		EV_DEBUGFS "/ctl"
#define EV_RESULTS	EV_DEBUGFS "/results"
#define DHP_EVENTS	DHP_DEBUGFS "/events"
#define DHP_EVENT_CLIENTS	DHP_DEBUGFS "/event_clients"
#define DHP_HIGHMEM	DHP_DEBUGFS "/high_memory"
#define DHP_MEMORY	DHP_DEBUGFS "/memory"
#define MEM_SYSFS	"/sys/devices/system/memory"
#define MAX_RECS	4096
#define GIB		1073741824ULL

enum { CPU_ARRIVAL, CPU_REMOVAL, MEM_ARRIVAL, MEM_REMOVAL };
enum { SRC_OTHER, SRC_BOOT, SRC_ACPI_DIMM, SRC_VIRTIO_MEM };
#define F_PROC		1
#define F_MEM		2
#define F_EXISTING	4

struct rec {
	unsigned long long seq, start, size, lat_us, usable;
	unsigned int count;
	int kind, cpu, node, source, active;
	unsigned int flags;	/* DHP_MEM_NODE_* */
};

struct client {
	long calls, delivered, seq_errors, overflow;
	/* contiguity, see dhp_evtest.c; waiting: blocked in a held callback */
	unsigned long long first_seq, last_seq, gaps, expected;
	int waiting;
	long lost;		/* in DHP_EV_OVERFLOW events */
	int nr;
	struct rec r[MAX_RECS];
};

extern struct client cl;	/* the last client_read() */

#define ctl(...)	write_filef(EV_CTL, __VA_ARGS__)

bool client_read(const char *name);
unsigned long long mem_covered(const char *name, int kind,
			       unsigned long long start,
			       unsigned long long size, int *calls);
bool wait_bytes(const char *name, int kind, unsigned long long start,
		unsigned long long size, unsigned long long want, int secs);
bool no_overlap(const char *name, int kind);
long events_stat(const char *key);
unsigned long long dimm_add(const char *size, char *id);
int dimm_del(const char *id);
long block_bytes(void);
int block_set(long nr, const char *state);
bool wait_calls(const char *name, long calls, int secs);
bool wait_caught_up(const char *name, int secs);
unsigned long long vmem_bytes(const char *name, int kind);
bool events_drained(int secs);
bool wait_waiting(const char *name, int secs);
bool wait_gone(const char *name, int secs);
/* Sums over the clients of one callback, from dhp's event_clients. */
struct dhp_ev_row {
	long delivered, calls, lost, overflows;
};

int dhp_event_rows(const char *callback, struct dhp_ev_row *sum);
long dhp_queued_for(const char *callback);
bool wait_queued_for(const char *callback, long want, int secs);

/*
 * A client of both categories registered while "posted" went from @before
 * to @after (read before and after its registration), and registered
 * since, got every event from its first to the last one posted: no hole,
 * nothing twice, nothing missing at either end. Call once it caught up.
 */
#define EXPECT_CONTIGUOUS(name, before, after) do {			\
	long _posted = events_stat("posted"), _before = (before);	\
	long _after = (after);						\
	const char *_name = (name);					\
									\
	ASSERT_TRUE(client_read(_name));				\
	EXPECT_EQ(0, cl.seq_errors) TH_LOG("%s", _name);		\
	EXPECT_EQ(0, cl.gaps) TH_LOG("%s", _name);			\
	EXPECT_EQ(_posted, cl.last_seq) TH_LOG("%s", _name);		\
	if (_posted > _before) {					\
		EXPECT_LT(_before, cl.first_seq) TH_LOG("%s", _name);	\
		EXPECT_GE(_after + 1, cl.first_seq) TH_LOG("%s", _name); \
	}								\
	EXPECT_EQ(cl.expected, cl.delivered) TH_LOG("%s", _name);	\
	EXPECT_EQ(0, cl.overflow) TH_LOG("%s", _name);			\
	EXPECT_EQ(0, cl.lost) TH_LOG("%s", _name);			\
} while (0)

#endif /* _DHP_EVCLIENT_H */
