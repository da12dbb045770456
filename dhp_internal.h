/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp internals shared by the files of dhp.ko. Nothing here is API.
 */
#ifndef _DHP_INTERNAL_H
#define _DHP_INTERNAL_H

#include <linux/types.h>

struct dentry;

/* The event log (dhp_core.c): a bounded ring, oldest entries overwritten. */
enum dhp_log_type {
	DHP_LOG_CPU_ADD_START,		/* arg: clients called */
	DHP_LOG_CPU_VETO,		/* client, err: the veto */
	DHP_LOG_CPU_ADD_COMPLETE,	/* arg: clients called */
	DHP_LOG_CPU_ADD_FAILURE,	/* arg: clients called, err: reason */
	DHP_LOG_CPU_REMOVE_START,	/* arg: clients called */
	DHP_LOG_CPU_REMOVE_COMPLETE,	/* arg: clients called */
	DHP_LOG_CPU_REMOVE_FAILURE,	/* arg: clients called */
	DHP_LOG_CPU_REGISTER,		/* client, arg: flags */
	DHP_LOG_CPU_REPLAY,		/* client, arg: CPUs replayed, err */
	DHP_LOG_CPU_UNREGISTER,		/* client */
	DHP_LOG_NR_TYPES,
};

void dhp_log(enum dhp_log_type type, int cpu, u64 client, u64 arg, int err);

/* The debugfs directory of dhp, or an error pointer if debugfs is off. */
extern struct dentry *dhp_debugfs;

/* The synchronous processor notification (dhp_cpu.c). */
int dhp_cpu_init(void);
void dhp_cpu_exit(void);

#endif /* _DHP_INTERNAL_H */
