/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the dhp selftests running inside the guest: files, modules,
 * CPUs, and the host control channel. Errors come back as -errno.
 */
#ifndef _DHP_UTIL_H
#define _DHP_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#define DHP_DEBUGFS	"/sys/kernel/debug/dhp"
#define TRACING		"/sys/kernel/tracing"

/*
 * WAIT_UNTIL(cond, secs): evaluates @cond every 100 ms until it holds or
 * @secs seconds have passed; whether it held.
 */
#define WAIT_UNTIL(cond, secs) ({					\
	bool held_ = false;						\
	for (int i_ = 0; i_ < (secs) * 10 && !(held_ = (cond)); i_++)	\
		usleep(100000);						\
	held_;								\
})
#define SAMPLE_DEBUGFS	"/sys/kernel/debug/dhp_sample"
#define TEST_DEBUGFS	"/sys/kernel/debug/dhp_test"
#define CPU_SYSFS	"/sys/devices/system/cpu"
#define DHP_SYSFS	"/sys/kernel/dhp"
#define HM_STATE	DHP_SYSFS "/high_memory"
#define HM_AVAIL	DHP_SYSFS "/available_mb"
#define HM_TRANSITIONS	DHP_SYSFS "/high_memory_transitions"
#define DHP_PARAMS	"/sys/module/dhp/parameters"
#define HM_LOW		DHP_PARAMS "/low_mb"
#define HM_HIGH		DHP_PARAMS "/high_mb"
#define HM_PERIOD	DHP_PARAMS "/period_ms"
#define STAT_MISSING	(-0x7fffffffL)
#define TEST_CTL	TEST_DEBUGFS "/ctl"
#define TEST_STATS	TEST_DEBUGFS "/stats"
#define SAMPLE_STATS	SAMPLE_DEBUGFS "/stats"
#define NR_STEPS	6

extern const char *const steps[NR_STEPS];

struct counts {
	long step[NR_STEPS];
	long allocs, frees, vetoes;
};

enum { S_START, S_COMPLETE, S_FAILURE, S_RSTART, S_RCOMPLETE, S_RFAILURE };

int read_file(const char *path, char *buf, size_t len);
int write_file(const char *path, const char *s);
int write_filef(const char *path, const char *fmt, ...);
long stat_value(const char *path, const char *key);
double now_s(void);
long sysfs_long(const char *path);
int hm_set(long low, long high);
int poll_highmem(int ms);
bool file_has_line(const char *path, const char *needle);
int count_accepted(const char *path, const char *const *writes, size_t n);

int mod_load(const char *name, const char *params);
int mod_unload(const char *name);
bool mod_loaded(const char *name);

int cpu_state(int cpu);		/* 1 online, 0 offline, -ENOENT absent */
int cpu_set_online(int cpu, bool on);
int cpu_count_online(void);
int cpu_spare(void);
int cpu_hotadd(void);
int cpu_new(void);
int cpu_arrive(void);		/* online, or -errno */
void cpus_online_save(bool *was, int n);
void cpus_online_restore(const bool *was, int n);
int cpu_last_online(void);
struct cpuhp_state_name {
	int num;
	char name[64];
};

int dhp_clients_balanced(void);
int klog_take(char *buf, size_t len);
int dhp_unloads_balanced(const char *log);
long objects_live(const char *type);

int cpuhp_states(struct cpuhp_state_name *states, int max);
int cpuhp_number(const char *name);

/* What the dhp_test clients and the sample counted (TEST_STATS, ...). */
void counts_read(struct counts *c);
void counts_delta(const struct counts *before, long *d);
int dhp_state_number(const char *which);
long add_failures_with(int err);
int pin_to_cpu(int cpu);

/* cpuhp's fail injection (CPU_HOTPLUG_STATE_CONTROL). */
int cpu_injectable(void);
int cpuhp_inject(int cpu, int state);
int cpuhp_injectable_near(int cpu, int state, int dir);

/*
 * The IRQ spread as the README states it, worked out by the tests from
 * sysfs and procfs (not from dhp_spread.h: a test that shares the
 * module's code shares its bugs). CPUs 0 .. SPREAD_CPUS - 1.
 */
#define SPREAD_CPUS	64
bool cpulist_read(const char *path, bool *set);	/* "0-2,5" into @set */
int node_of_cpu(int cpu);		/* from nodeN/cpulist; -1 if none */
void cpus_isolated_managed(bool *set);	/* isolcpus=managed_irq,... */
void spread_allowed(bool *allowed);
int spread_expected(int node, unsigned int offset, int nr_irqs, int *out);

#endif /* _DHP_UTIL_H */
