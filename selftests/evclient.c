// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the selftests that use dhp_evtest.ko; see evclient.h.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evclient.h"
#include "hostctl.h"

struct client cl;	/* one parse at a time is enough */

/* Reads @name's records into cl; false if there is no such client. */
bool client_read(const char *name)
{
	static const char contig_fmt[] =
		"# first_seq %llu last_seq %llu gaps %llu expected %llu waiting %d lost %ld";
	static char buf[1 << 20];
	char path[128], *line;
	struct rec *r;

	snprintf(path, sizeof(path), EV_DEBUGFS "/clients/%s", name);
	memset(&cl, 0, sizeof(cl));
	if (read_file(path, buf, sizeof(buf)) < 0)
		return false;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "# calls %ld delivered %ld seq_errors %ld overflow %ld",
			   &cl.calls, &cl.delivered, &cl.seq_errors,
			   &cl.overflow) == 4)
			continue;
		if (sscanf(line, contig_fmt, &cl.first_seq, &cl.last_seq, &cl.gaps, &cl.expected,
			   &cl.waiting, &cl.lost) == 6)
			continue;
		r = &cl.r[cl.nr];
		if (cl.nr < MAX_RECS &&
		    sscanf(line, "%llu %u %d %d %d %llx %llx %d %d %llu %x %llx",
			   &r->seq, &r->count, &r->kind, &r->cpu, &r->node,
			   &r->start, &r->size, &r->source, &r->active,
			   &r->lat_us, &r->flags, &r->usable) == 12)
			cl.nr++;
	}
	return true;
}

/* Bytes of @kind events of @name inside [@start, @start + @size). */
unsigned long long mem_covered(const char *name, int kind,
			       unsigned long long start,
			       unsigned long long size, int *calls)
{
	unsigned long long sum = 0;
	int i;

	*calls = 0;
	client_read(name);
	for (i = 0; i < cl.nr; i++) {
		struct rec *r = &cl.r[i];

		if (r->kind != kind || !r->seq || r->start < start ||
		    r->start + r->size > start + size)
			continue;
		sum += r->size;
		(*calls)++;
	}
	return sum;
}

/* Waits until @name saw @want bytes of @kind in [@start, @start + @size). */
bool wait_bytes(const char *name, int kind, unsigned long long start,
		unsigned long long size, unsigned long long want, int secs)
{
	int calls;

	return WAIT_UNTIL(mem_covered(name, kind, start, size, &calls) >= want,
			  secs);
}

/* No two delivered memory ranges of @kind in @name overlap. */
bool no_overlap(const char *name, int kind)
{
	int i, j;

	client_read(name);
	for (i = 0; i < cl.nr; i++)
		for (j = i + 1; j < cl.nr; j++) {
			struct rec *a = &cl.r[i], *b = &cl.r[j];

			if (a->kind != kind || b->kind != kind || !a->seq ||
			    !b->seq)
				continue;
			if (a->start < b->start + b->size &&
			    b->start < a->start + a->size)
				return false;
		}
	return true;
}

long events_stat(const char *key)
{
	return stat_value(DHP_EVENTS, key);
}

/* Adds a DIMM of @size; returns its start and fills @id, or 0. */
unsigned long long dimm_add(const char *size, char *id)
{
	unsigned long long addr;
	char reply[256];

	if (hostctlf(reply, sizeof(reply), 120000, "dimm-add %s", size) ||
	    sscanf(reply, "%31s %llx", id, &addr) != 2)
		return 0;
	return addr;
}

int dimm_del(const char *id)
{
	char reply[256];

	return hostctlf(reply, sizeof(reply), 180000, "dimm-del %s", id);
}

long block_bytes(void)
{
	char buf[64];

	if (read_file(MEM_SYSFS "/block_size_bytes", buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 16);
}

int block_set(long nr, const char *state)
{
	char path[128];

	snprintf(path, sizeof(path), MEM_SYSFS "/memory%ld/state", nr);
	return write_file(path, state);
}

bool wait_calls(const char *name, long calls, int secs)
{
	return WAIT_UNTIL(client_read(name) && cl.calls >= calls, secs);
}

/* Waits until @name consumed every event posted so far. */
static bool caught_up(const char *name)
{
	long posted = events_stat("posted");	/* first: then @name's last */

	return client_read(name) && cl.nr &&
	       cl.r[cl.nr - 1].seq + cl.r[cl.nr - 1].count - 1 >=
	       (unsigned long long)posted;
}

bool wait_caught_up(const char *name, int secs)
{
	return WAIT_UNTIL(caught_up(name), secs);
}

/* Sum of @kind bytes from virtio-mem seen by @name. */
unsigned long long vmem_bytes(const char *name, int kind)
{
	unsigned long long sum = 0;
	int i;

	client_read(name);
	for (i = 0; i < cl.nr; i++)
		if (cl.r[i].kind == kind && cl.r[i].source == SRC_VIRTIO_MEM)
			sum += cl.r[i].size;
	return sum;
}

/* Waits until dhp's event queue is empty; false after @secs. */
bool events_drained(int secs)
{
	return WAIT_UNTIL(events_stat("queued") == 0, secs);
}

/* Waits until @name's callback is blocked, held; false after @secs. */
bool wait_waiting(const char *name, int secs)
{
	return WAIT_UNTIL(client_read(name) && cl.waiting, secs);
}

/* Waits until dhp_evtest has no client @name (any more). */
bool wait_gone(const char *name, int secs)
{
	return WAIT_UNTIL(!client_read(name), secs);
}

/*
 * The events dhp has published and not yet delivered to the clients whose
 * callback is @callback (as dhp prints it, e.g. "ev_callback"), the most
 * of any of them, from dhp's "event_clients"; -1 if there is none.
 */
long dhp_queued_for(const char *callback)
{
	static char buf[1 << 16];
	unsigned long long id, last;
	long delivered, calls, queued, most = -1;
	unsigned int flags;
	char cb[128], *line;

	if (read_file(DHP_EVENT_CLIENTS, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%llu %x %ld %ld %ld %llu %127s", &id, &flags,
			   &delivered, &calls, &queued, &last, cb) == 7 &&
		    !strcmp(cb, callback) && queued > most)
			most = queued;
	return most;
}

/*
 * The delivered, calls, lost and overflows columns of dhp's event_clients,
 * summed over the clients whose callback is @callback (a module's symbol,
 * "name [module]"); how many clients there are, -1 if unreadable.
 */
int dhp_event_rows(const char *callback, struct dhp_ev_row *sum)
{
	static char buf[1 << 16];
	unsigned long long id, last;
	long delivered, calls, queued, lost, overflows;
	unsigned int flags;
	char cb[128], *line;
	int n = 0;

	memset(sum, 0, sizeof(*sum));
	if (read_file(DHP_EVENT_CLIENTS, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%llu %x %ld %ld %ld %llu %127s [%*[^]]] %ld %ld",
			   &id, &flags, &delivered, &calls, &queued, &last, cb,
			   &lost, &overflows) != 9 || strcmp(cb, callback))
			continue;
		sum->delivered += delivered;
		sum->calls += calls;
		sum->lost += lost;
		sum->overflows += overflows;
		n++;
	}
	return n;
}

/* Waits until dhp_queued_for(@callback) is @want; false after @secs. */
bool wait_queued_for(const char *callback, long want, int secs)
{
	return WAIT_UNTIL(dhp_queued_for(callback) == want, secs);
}
