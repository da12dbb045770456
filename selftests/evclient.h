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
#define MEM_SYSFS	"/sys/devices/system/memory"
#define MAX_RECS	4096
#define GIB		1073741824ULL

enum { CPU_ARRIVAL, CPU_REMOVAL, MEM_ARRIVAL, MEM_REMOVAL };
enum { SRC_OTHER, SRC_BOOT, SRC_ACPI_DIMM, SRC_VIRTIO_MEM };
#define F_PROC		1
#define F_MEM		2
#define F_EXISTING	4

struct rec {
	unsigned long long seq, start, size, lat_us;
	unsigned int count;
	int kind, cpu, node, source, active;
};

struct client {
	long calls, delivered, seq_errors, overflow;
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

#endif /* _DHP_EVCLIENT_H */
