// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the dhp selftests; see dhp_util.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dhp_util.h"
#include "hostctl.h"

int read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (!n)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

int write_file(const char *path, const char *s)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? n : 0;
}

int write_filef(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return write_file(path, buf);
}

/* The value of a "key value" line, or STAT_MISSING. */
long stat_value(const char *path, const char *key)
{
	static char buf[1 << 16];
	size_t klen = strlen(key);
	char *line;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return STAT_MISSING;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtol(line + klen + 1, NULL, 0);
	return STAT_MISSING;
}

/* CLOCK_MONOTONIC, the kernel's ktime_get_ns(), in seconds. */
double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A file holding one number (sysfs, a parameter); STAT_MISSING if none. */
long sysfs_long(const char *path)
{
	char buf[64], *end;
	long v;

	if (read_file(path, buf, sizeof(buf)) <= 0)
		return STAT_MISSING;
	v = strtol(buf, &end, 10);
	return end != buf && *end == '\n' ? v : STAT_MISSING;
}

/*
 * Moves dhp's thresholds to [@low, @high] (MiB) through its parameters,
 * in the order that keeps low_mb < high_mb at each step: high_mb first
 * when it goes up, low_mb first otherwise.
 */
int hm_set(long low, long high)
{
	if (high > sysfs_long(HM_HIGH))
		return write_filef(HM_HIGH, "%ld", high) ?:
		       write_filef(HM_LOW, "%ld", low);
	return write_filef(HM_LOW, "%ld", low) ?:
	       write_filef(HM_HIGH, "%ld", high);
}

/*
 * poll() on sysfs high_memory as sysfs wants it (read, poll for
 * POLLPRI|POLLERR, then seek and read): 0 once the state changed within
 * @ms (and the new value read), 1 if it did not, 2 on error.
 */
int poll_highmem(int ms)
{
	struct pollfd p;
	char before[8] = "", after[8] = "";
	int fd, ret = 2;

	fd = open(HM_STATE, O_RDONLY);
	if (fd < 0)
		return 2;
	if (read(fd, before, sizeof(before) - 1) <= 0)
		goto out;
	p.fd = fd;
	p.events = POLLPRI | POLLERR;
	ret = poll(&p, 1, ms);
	if (ret == 0) {
		ret = 1;
		goto out;
	}
	ret = 2;
	if (!(p.revents & (POLLPRI | POLLERR)) || lseek(fd, 0, SEEK_SET) ||
	    read(fd, after, sizeof(after) - 1) <= 0)
		goto out;
	ret = strcmp(before, after) ? 0 : 2;
out:
	close(fd);
	return ret;
}

bool file_has_line(const char *path, const char *needle)
{
	static char buf[1 << 20];

	return read_file(path, buf, sizeof(buf)) >= 0 && strstr(buf, needle);
}

/*
 * Writes each of @writes to @path; returns how many were accepted (each one
 * is named on stderr). For files that must reject them all.
 */
int count_accepted(const char *path, const char *const *writes, size_t n)
{
	int accepted = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (write_file(path, writes[i]) >= 0) {
			fprintf(stderr, "# %s accepted '%s'\n", path, writes[i]);
			accepted++;
		}
	}
	return accepted;
}

int mod_load(const char *name, const char *params)
{
	const char *dir = getenv("DHP_MODDIR") ?: "/dhp";
	char path[256];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ?: "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	/*
	 * DHP_TRACE=1 (the runner sets it on the debug kernel): every load of
	 * dhp enables its tracepoints, so each suite runs them at least once
	 * under KASAN and lockdep. (The runner boots its guests with
	 * trace_options=norecord-cmd, see NO_TEXT_POKE in scripts/check.py.)
	 */
	if (!ret && !strcmp(name, "dhp") && getenv("DHP_TRACE"))
		write_file(TRACING "/events/dhp/enable", "1");
	return ret;
}

int mod_unload(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

bool mod_loaded(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	return access(path, F_OK) == 0;
}

int cpu_state(int cpu)
{
	char path[128], buf[8];

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d", cpu);
	if (access(path, F_OK))
		return -ENOENT;
	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online", cpu);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 1;	/* no online file: the boot CPU */
	return buf[0] == '1';
}

int cpu_set_online(int cpu, bool on)
{
	char path[128];

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/online", cpu);
	return write_file(path, on ? "1" : "0");
}

static int cpu_max(void)
{
	return sysconf(_SC_NPROCESSORS_CONF) + 64;
}

int cpu_count_online(void)
{
	int cpu, n = 0;

	for (cpu = 0; cpu < cpu_max(); cpu++)
		n += cpu_state(cpu) == 1;
	return n;
}

/* A present CPU that is offline, or -ENOENT. */
int cpu_spare(void)
{
	int cpu;

	for (cpu = 1; cpu < cpu_max(); cpu++)
		if (cpu_state(cpu) == 0)
			return cpu;
	return -ENOENT;
}

/* The highest-numbered online CPU other than CPU 0, or -ENOENT. */
int cpu_last_online(void)
{
	int cpu;

	for (cpu = cpu_max(); cpu > 0; cpu--)
		if (cpu_state(cpu) == 1)
			return cpu;
	return -ENOENT;
}

/* Asks the host for a vCPU and waits for the guest to see it (offline). */
int cpu_hotadd(void)
{
	char reply[256];
	int i, cpu, ret, max = cpu_max();
	bool *had = calloc(max, sizeof(*had));

	if (!had)
		return -ENOMEM;
	for (cpu = 0; cpu < max; cpu++)
		had[cpu] = cpu_state(cpu) != -ENOENT;
	ret = hostctl("cpu-add", reply, sizeof(reply), 60000);
	for (i = 0; !ret && i < 600; i++) {
		for (cpu = 0; cpu < max; cpu++) {
			if (!had[cpu] && cpu_state(cpu) == 0) {
				free(had);
				return cpu;
			}
		}
		usleep(100000);
	}
	free(had);
	return ret ?: -ETIMEDOUT;
}

/* An offline CPU to bring up: a present spare, else a fresh vCPU. */
int cpu_new(void)
{
	int cpu = cpu_spare();

	return cpu >= 0 ? cpu : cpu_hotadd();
}

/* Which of CPUs 0 .. @n - 1 are online now, into @was. */
void cpus_online_save(bool *was, int n)
{
	for (int cpu = 0; cpu < n; cpu++)
		was[cpu] = cpu_state(cpu) == 1;
}

/* CPUs 1 .. @n - 1 that are there back online or offline as in @was. */
void cpus_online_restore(const bool *was, int n)
{
	for (int cpu = 1; cpu < n; cpu++)
		if (cpu_state(cpu) >= 0 && cpu_state(cpu) != was[cpu])
			cpu_set_online(cpu, was[cpu]);
}

/* A CPU that arrives, online: hot-added where the kernel can, else new. */
int cpu_arrive(void)
{
	int cpu = cpu_hotadd(), ret;

	if (cpu < 0)
		cpu = cpu_new();
	if (cpu < 0)
		return cpu;
	ret = cpu_set_online(cpu, true);
	return ret ?: cpu;
}

/* Parses /sys/devices/system/cpu/hotplug/states ("N: name" lines). */
int cpuhp_states(struct cpuhp_state_name *states, int max)
{
	static char buf[1 << 16];
	char *line;
	int n = 0;

	if (read_file(CPU_SYSFS "/hotplug/states", buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (line = strtok(buf, "\n"); line && n < max;
	     line = strtok(NULL, "\n"))
		if (sscanf(line, " %d: %63s", &states[n].num,
			   states[n].name) == 2)
			n++;
	return n;
}

/* The number of the cpuhp state named @name, or -1. */
int cpuhp_number(const char *name)
{
	static struct cpuhp_state_name st[512];
	int i, n = cpuhp_states(st, 512);

	for (i = 0; i < n; i++)
		if (!strcmp(st[i].name, name))
			return st[i].num;
	return -1;
}

/*
 * Every client in dhp's cpu_clients must be idle and balanced: each
 * add-start answered by one complete or failure, each remove-start by one
 * remove-complete or remove-failure. Returns the number of clients checked,
 * or -1 after printing the first unbalanced one.
 */
int dhp_clients_balanced(void)
{
	static char buf[1 << 20];
	long id, st, co, fa, rs, rc, rf;
	unsigned int flags;
	char *line;
	int n = 0;

	if (read_file(DHP_DEBUGFS "/cpu_clients", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%ld %x %ld %ld %ld %ld %ld %ld", &id, &flags,
			   &st, &co, &fa, &rs, &rc, &rf) != 8 ||
		    st != co + fa || rs != rc + rf || rs > co) {
			fprintf(stderr, "# unbalanced client: %s\n", line);
			return -1;
		}
		n++;
	}
	return n;
}

/*
 * Reads and clears the kernel log into @buf, so that the next call sees
 * only what came after. Returns the length or -errno.
 */
int klog_take(char *buf, size_t len)
{
	int n = klogctl(4 /* SYSLOG_ACTION_READ_CLEAR */, buf, len - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/*
 * Checks dhp's unload lines in @log: each "unloaded: objects allocated A,
 * freed F" must have A == F and no "leaked" line may appear. Returns how
 * many unloads it found, or -1 after printing the first bad line.
 */
int dhp_unloads_balanced(const char *log)
{
	const char *p, *eol, *m;
	long a, f;
	int n = 0;

	for (p = log; *p; p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		m = strstr(p, "dhp: unload");
		if (!m || m > eol)
			continue;
		if (!strncmp(m, "dhp: unload: leaked", 19))
			goto bad;
		if (sscanf(m, "dhp: unloaded: objects allocated %ld, freed %ld",
			   &a, &f) != 2)
			continue;
		if (a != f)
			goto bad;
		n++;
	}
	return n;
bad:
	fprintf(stderr, "# %.*s\n", (int)(eol - p), p);
	return -1;
}

const char *const steps[NR_STEPS] = {
	"add_start", "add_complete", "add_failure",
	"remove_start", "remove_complete", "remove_failure",
};

void counts_read(struct counts *c)
{
	int i;

	for (i = 0; i < NR_STEPS; i++)
		c->step[i] = stat_value(TEST_STATS, steps[i]);
	c->allocs = stat_value(SAMPLE_STATS, "allocs");
	c->frees = stat_value(SAMPLE_STATS, "frees");
	c->vetoes = stat_value(SAMPLE_STATS, "vetoes");
}

/* The steps the test clients saw since @before, in @d. */
void counts_delta(const struct counts *before, long *d)
{
	struct counts now;
	int i;

	counts_read(&now);
	for (i = 0; i < NR_STEPS; i++)
		d[i] = now.step[i] - before->step[i];
}

int dhp_state_number(const char *which)
{
	return (int)stat_value(DHP_DEBUGFS "/cpuhp_states", which);
}

/* The highest CPU but 0 with a hotplug/fail file, or -ENOENT. */
int cpu_injectable(void)
{
	char path[128];
	int cpu;

	for (cpu = cpu_max() - 1; cpu > 0; cpu--) {
		snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/hotplug/fail",
			 cpu);
		if (!access(path, W_OK))
			return cpu;
	}
	return -ENOENT;
}

/* Sets the cpuhp fail injection of @cpu to @state; 0 or -errno. */
int cpuhp_inject(int cpu, int state)
{
	char path[128];

	snprintf(path, sizeof(path), CPU_SYSFS "/cpu%d/hotplug/fail", cpu);
	return write_filef(path, "%d", state);
}

/*
 * The nearest state after (@dir 1) or before (@dir -1) @state that the
 * kernel lets fail for @cpu, within the AP online range.
 */
int cpuhp_injectable_near(int cpu, int state, int dir)
{
	static struct cpuhp_state_name st[512];
	int n, i, j;

	n = cpuhp_states(st, 512);
	for (i = 0; i < n && st[i].num != state; i++)
		;
	for (j = i + dir; j >= 0 && j < n; j += dir) {
		if (!strcmp(st[j].name, "online") ||
		    !strncmp(st[j].name, "ap:", 3))
			break;
		if (!cpuhp_inject(cpu, st[j].num)) {
			cpuhp_inject(cpu, -1);
			return st[j].num;
		}
	}
	return -1;
}

/* ADD_FAILUREs the test clients got with status @err (negative). */
long add_failures_with(int err)
{
	char key[48];
	long n;

	snprintf(key, sizeof(key), "add_failure_status_%d", -err);
	n = stat_value(TEST_STATS, key);
	return n == STAT_MISSING ? 0 : n;
}

/* Binds the calling task to @cpu, or to every CPU for -1; 0 or -errno. */
int pin_to_cpu(int cpu)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		if (cpu == -1 || i == cpu)
			CPU_SET(i, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* Live objects of @type in dhp's debugfs "objects", or -1. */
long objects_live(const char *type)
{
	static char buf[4096];
	char name[32], *line;
	long a, f, live;

	if (read_file(DHP_DEBUGFS "/objects", buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "%31s %ld %ld %ld", name, &a, &f, &live) == 4 &&
		    !strcmp(name, type))
			return live;
	return -1;
}

/* ---- The test side's IRQ spread ------------------------------------- */

/* Marks in @set (SPREAD_CPUS entries) the CPUs of list @text ("0-2,5"). */
static void cpulist_parse(const char *text, bool *set)
{
	const char *p = text;
	char *end;
	long lo, hi;

	while (*p && *p != '\n') {
		lo = strtol(p, &end, 10);
		hi = *end == '-' ? strtol(end + 1, &end, 10) : lo;
		if (end == p)
			return;
		for (; lo <= hi && lo < SPREAD_CPUS; lo++)
			if (lo >= 0)
				set[lo] = true;
		p = *end == ',' ? end + 1 : end;
		if (*end != ',')
			break;
	}
}

/* The CPUs of sysfs or procfs list file @path into @set; whether read. */
bool cpulist_read(const char *path, bool *set)
{
	char buf[4096];

	memset(set, 0, SPREAD_CPUS * sizeof(*set));
	if (read_file(path, buf, sizeof(buf)) < 0)
		return false;
	cpulist_parse(buf, set);
	return true;
}

int node_of_cpu(int cpu)
{
	bool set[SPREAD_CPUS];
	char path[96];
	int node;

	for (node = 0; node < 64; node++) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
			 node);
		if (cpulist_read(path, set) && cpu < SPREAD_CPUS && set[cpu])
			return node;
	}
	return -1;
}

/*
 * The CPUs isolcpus= keeps managed IRQs off, from /proc/cmdline: only with
 * the managed_irq flag ("isolcpus=managed_irq,domain,3").
 */
void cpus_isolated_managed(bool *set)
{
	char buf[4096], *p, *tok, *save;
	bool managed = false;

	memset(set, 0, SPREAD_CPUS * sizeof(*set));
	if (read_file("/proc/cmdline", buf, sizeof(buf)) < 0)
		return;
	/* the last word ends with a newline, where a CPU list ends anyway */
	for (p = strtok_r(buf, " ", &save); p; p = strtok_r(NULL, " ", &save))
		if (!strncmp(p, "isolcpus=", 9))
			break;
	if (!p)
		return;
	for (p += 9; (tok = strsep(&p, ","));) {
		if (tok[0] >= 'a' && tok[0] <= 'z') {
			managed |= !strcmp(tok, "managed_irq");
			continue;
		}
		if (managed)
			cpulist_parse(tok, set);
	}
}

/* /proc/irq/default_smp_affinity, the low 64 bits, into @set. */
static void default_affinity(bool *set)
{
	unsigned long long mask = 0;
	char buf[512], *c;
	int cpu;

	memset(set, 0, SPREAD_CPUS * sizeof(*set));
	if (read_file("/proc/irq/default_smp_affinity", buf, sizeof(buf)) < 0)
		return;
	for (c = buf; *c && *c != '\n'; c++)
		if (*c != ',')
			mask = mask << 4 | (*c <= '9' ? *c - '0' : (*c | 32) - 'a' + 10);
	for (cpu = 0; cpu < SPREAD_CPUS; cpu++)
		set[cpu] = mask >> cpu & 1;
}

/* Distance from node @from to node @to, sysfs nodeN/distance; 0 if none. */
static int node_distance_read(int from, int to)
{
	char path[96], buf[512], *p = buf, *end;
	int i;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance",
		 from);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (i = 0;; i++) {
		long d = strtol(p, &end, 10);

		if (end == p)
			return 0;
		if (i == to)
			return d;
		p = end;
	}
}

void spread_allowed(bool *allowed)
{
	bool iso[SPREAD_CPUS], dflt[SPREAD_CPUS];
	int cpu, pass, n;

	cpus_isolated_managed(iso);
	default_affinity(dflt);
	/* online, not isolated, in default_smp_affinity; then less */
	for (pass = 0; pass < 3; pass++) {
		for (n = 0, cpu = 0; cpu < SPREAD_CPUS; cpu++) {
			allowed[cpu] = cpu_state(cpu) == 1 &&
				       (pass == 2 || !iso[cpu]) &&
				       (pass >= 1 || dflt[cpu]);
			n += allowed[cpu];
		}
		if (n)
			return;
	}
}

/*
 * Where the README's rule puts IRQ i of a device of NUMA node @node (-1:
 * none) with @nr_irqs IRQs and offset @offset (its id times its IRQ
 * count), worked out from sysfs and procfs alone, into @out: the allowed
 * CPUs (spread_allowed()) ordered by distance from the node, then by rank
 * among their allowed SMT siblings, then by number, each run of one
 * distance and rank turned left by @offset; the window is the nearest of
 * them, or the first @nr_irqs when there are more IRQs (all when more
 * than CPUs); IRQ i goes to window entry i mod its size. Returns the
 * window's size.
 */
int spread_expected(int node, unsigned int offset, int nr_irqs, int *out)
{
	int dist[SPREAD_CPUS], rank[SPREAD_CPUS], order[SPREAD_CPUS];
	int turned[SPREAD_CPUS];
	bool allowed[SPREAD_CPUS], sib[SPREAD_CPUS], used[SPREAD_CPUS] = { 0 };
	int cpu, s, e, n = 0, i, best, near = 0;
	char path[128];

	spread_allowed(allowed);
	for (cpu = 0; cpu < SPREAD_CPUS; cpu++) {
		if (!allowed[cpu])
			continue;
		dist[cpu] = node < 0 ? 0 : node_distance_read(node,
							      node_of_cpu(cpu));
		snprintf(path, sizeof(path),
			 CPU_SYSFS "/cpu%d/topology/thread_siblings_list", cpu);
		cpulist_read(path, sib);
		for (rank[cpu] = 0, s = 0; s < cpu; s++)
			rank[cpu] += sib[s] && allowed[s];
		n++;
	}
	for (i = 0; i < n; i++) {
		best = -1;
		for (cpu = 0; cpu < SPREAD_CPUS; cpu++)
			if (allowed[cpu] && !used[cpu] &&
			    (best < 0 || dist[cpu] < dist[best] ||
			     (dist[cpu] == dist[best] && rank[cpu] < rank[best])))
				best = cpu;
		used[best] = true;
		order[i] = best;
		near += dist[best] == dist[order[0]];
	}
	/* each run of one (distance, rank) turned left by offset */
	for (s = 0; s < n; s = e) {
		for (e = s + 1; e < n && dist[order[e]] == dist[order[s]] &&
		     rank[order[e]] == rank[order[s]]; e++)
			;
		for (i = 0; i < e - s; i++)
			turned[s + i] = order[s + (i + offset) % (e - s)];
	}
	if (nr_irqs > near)
		near = nr_irqs < n ? nr_irqs : n;
	for (i = 0; i < nr_irqs; i++)
		out[i] = turned[i % near];
	return near;
}
