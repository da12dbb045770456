/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dhp tracepoints: events/dhp/ in tracefs, usable with trace-cmd, e.g.
 *   trace-cmd record -e dhp
 * They are dhp's history: the protocol steps and client changes
 * (dhp_record), the events posted and delivered, the high-memory
 * condition and the rebalance rounds. Fixed-size fields only:
 * __string/__assign_str differ between 6.1 and 6.12.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dhp

#ifndef _DHP_TRACE_STEPS
#define _DHP_TRACE_STEPS
/* What a dhp_record event says; @cpu is -1 where no CPU is concerned. */
enum dhp_record_type {
	/* the steps, in the order of enum dhp_cpu_state; arg: clients called */
	DHP_REC_CPU_ADD_START,
	DHP_REC_CPU_ADD_COMPLETE,
	DHP_REC_CPU_ADD_FAILURE,	/* err: reason */
	DHP_REC_CPU_REMOVE_START,
	DHP_REC_CPU_REMOVE_COMPLETE,
	DHP_REC_CPU_REMOVE_FAILURE,
	DHP_REC_CPU_VETO,		/* client, err: the veto */
	DHP_REC_CPU_REGISTER,		/* client, arg: flags */
	DHP_REC_CPU_REPLAY,		/* client, arg: CPUs replayed, err */
	DHP_REC_CPU_UNREGISTER,		/* client */
	DHP_REC_EV_REGISTER,		/* client, arg: flags */
	DHP_REC_EV_UNREGISTER,		/* client, arg: events discarded */
	DHP_REC_EV_RESERVE_FAIL,	/* arg: memory address, err: the veto */
};

/* Steps of a rebalance round, for the dhp_rebalance event. */
enum {
	DHP_RB_TRACE_REFUSED,	/* value: the query-stop refusal */
	DHP_RB_TRACE_STOPPED,
	DHP_RB_TRACE_SPREAD,	/* value: 0 or an irq_set_affinity() error */
	DHP_RB_TRACE_STARTED,	/* value: I/O queued while stopped */
};
#endif

#if !defined(_DHP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _DHP_TRACE_H

#include <linux/tracepoint.h>

#include "dhp.h"

TRACE_EVENT(dhp_record,
	    TP_PROTO(int type, int cpu, u64 client, u64 arg, int err),
	    TP_ARGS(type, cpu, client, arg, err),
	    TP_STRUCT__entry(__field(int, type)
			     __field(int, cpu)
			     __field(u64, client)
			     __field(u64, arg)
			     __field(int, err)),
	    TP_fast_assign(__entry->type = type;
			   __entry->cpu = cpu;
			   __entry->client = client;
			   __entry->arg = arg;
			   __entry->err = err;),
	    TP_printk("%s cpu=%d client=%llu arg=%llu err=%d",
		      __print_symbolic(__entry->type,
				       { DHP_REC_CPU_ADD_START, "cpu-add-start" },
				       { DHP_REC_CPU_ADD_COMPLETE, "cpu-add-complete" },
				       { DHP_REC_CPU_ADD_FAILURE, "cpu-add-failure" },
				       { DHP_REC_CPU_REMOVE_START, "cpu-remove-start" },
				       { DHP_REC_CPU_REMOVE_COMPLETE, "cpu-remove-complete" },
				       { DHP_REC_CPU_REMOVE_FAILURE, "cpu-remove-failure" },
				       { DHP_REC_CPU_VETO, "cpu-veto" },
				       { DHP_REC_CPU_REGISTER, "cpu-register" },
				       { DHP_REC_CPU_REPLAY, "cpu-replay" },
				       { DHP_REC_CPU_UNREGISTER, "cpu-unregister" },
				       { DHP_REC_EV_REGISTER, "event-register" },
				       { DHP_REC_EV_UNREGISTER, "event-unregister" },
				       { DHP_REC_EV_RESERVE_FAIL, "event-reserve-failed" }),
		      __entry->cpu, __entry->client, __entry->arg, __entry->err)
);

/* For CPU events @where is the CPU and @size 0; for memory the range. */
DECLARE_EVENT_CLASS(dhp_event_class,
		    TP_PROTO(u64 client, const struct dhp_event *ev),
		    TP_ARGS(client, ev),
		    TP_STRUCT__entry(__field(u64, client)
				     __field(u64, seq)
				     __field(unsigned int, count)
				     __field(int, kind)
				     __field(u64, where)
				     __field(u64, size)
				     __field(int, node)),
		    TP_fast_assign(bool cpu = ev->kind <= DHP_EV_CPU_REMOVAL;

				   __entry->client = client;
				   __entry->seq = ev->seq;
				   __entry->count = ev->count;
				   __entry->kind = ev->kind;
				   __entry->where = cpu ? ev->cpu.cpu :
							  ev->mem.start;
				   __entry->size = cpu ? 0 : ev->mem.size;
				   __entry->node = cpu ? ev->cpu.node :
							 ev->mem.node;),
		    TP_printk("client=%llu seq=%llu count=%u kind=%s where=%#llx size=%#llx node=%d",
			      __entry->client, __entry->seq, __entry->count,
			      __print_symbolic(__entry->kind,
					       { DHP_EV_CPU_ARRIVAL, "cpu-arrival" },
					       { DHP_EV_CPU_REMOVAL, "cpu-removal" },
					       { DHP_EV_MEM_ARRIVAL, "mem-arrival" },
					       { DHP_EV_MEM_REMOVAL, "mem-removal" },
					       { DHP_EV_OVERFLOW, "overflow" }),
			      __entry->where, __entry->size, __entry->node)
);

/* Posted by a hotplug path (client 0). */
DEFINE_EVENT(dhp_event_class, dhp_event_post,
	     TP_PROTO(u64 client, const struct dhp_event *ev),
	     TP_ARGS(client, ev));

/* About to be delivered to a client, merged events as one. */
DEFINE_EVENT(dhp_event_class, dhp_event_deliver,
	     TP_PROTO(u64 client, const struct dhp_event *ev),
	     TP_ARGS(client, ev));

TRACE_EVENT(dhp_high_memory,
	    TP_PROTO(bool state, unsigned long avail_mb),
	    TP_ARGS(state, avail_mb),
	    TP_STRUCT__entry(__field(bool, state)
			     __field(unsigned long, avail_mb)),
	    TP_fast_assign(__entry->state = state;
			   __entry->avail_mb = avail_mb;),
	    TP_printk("state=%d available_mb=%lu", __entry->state,
		      __entry->avail_mb)
);

/* One step of a device's rebalance round. */
TRACE_EVENT(dhp_rebalance,
	    TP_PROTO(const char *name, int step, int value),
	    TP_ARGS(name, step, value),
	    TP_STRUCT__entry(__array(char, name, 32)
			     __field(int, step)
			     __field(int, value)),
	    TP_fast_assign(strscpy(__entry->name, name, sizeof(__entry->name));
			   __entry->step = step;
			   __entry->value = value;),
	    TP_printk("device=%s step=%s value=%d", __entry->name,
		      __print_symbolic(__entry->step,
				       { DHP_RB_TRACE_REFUSED, "refused" },
				       { DHP_RB_TRACE_STOPPED, "stopped" },
				       { DHP_RB_TRACE_SPREAD, "spread" },
				       { DHP_RB_TRACE_STARTED, "started" }),
		      __entry->value)
);

#endif /* _DHP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE dhp_trace
#include <trace/define_trace.h>
