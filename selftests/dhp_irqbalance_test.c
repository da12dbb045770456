// SPDX-License-Identifier: GPL-2.0
/*
 * dhp and irqbalance side by side, as the README's "dhp and irqbalance"
 * says: run as root in a guest with hot-pluggable (6.1) or present but
 * offline (6.12) CPUs and Debian's irqbalance 1.9.2 in PATH (scripts/vm.py
 * --host-prog, from the cache scripts/setup.sh unpacks it into).
 *
 * irqbalance runs in the foreground with a scan every second and a policy
 * script written here: a wrapper that notes each call (so the test knows
 * when irqbalance looked at an IRQ) and then runs, or not, the README's
 * script (POLICY below, the same text as in README.md). irqbalance runs
 * the script for every IRQ when it starts and when it rescans, which it
 * does at its first scan after the number of online CPUs changed, and
 * places the IRQs it does not ban at the end of that rescan.
 *
 * Each test has the device d0 (samples/dhp_rbdev.ko, four IRQs, dhp's) and
 * a sentinel: device s0's IRQ, detached from dhp and never banned, set by
 * hand to one CPU before the CPU change. irqbalance moving the sentinel
 * shows that its placement after the change has run: what d0's IRQs look
 * like then, and some intervals later, is irqbalance's verdict on them.
 * Where dhp put them is checked against the spread worked out from sysfs
 * and procfs (dhp_util.c's spread_expected()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"

#define RB_DEBUGFS	DHP_DEBUGFS "/rebalance"
#define HINT_ONLY	DHP_PARAMS "/rebalance_hint_only"
#define RBDEV_CTL	"/sys/kernel/debug/dhp_rbdev/ctl"
#define IB_DIR		"/tmp/dhp_irqbalance"
#define IB_WRAPPER	IB_DIR "/policy"
#define IB_POLICY	IB_DIR "/dhp-policy"
#define IB_CALLS	IB_DIR "/calls"
#define IB_LOG		IB_DIR "/log"
#define IB_PID		IB_DIR "/pid"
#define IB_INTERVAL	1		/* s, irqbalance --interval */
#define NO_IRQBALANCE	"no irqbalance in PATH (scripts/vm.py --host-prog)"
#define MAX_IRQS	8
#define NCPU		64
#define D0_IRQS		4
#define SENTINEL_CPU	1
/* Bounds of the waits; each ends as soon as its outcome is known. */
#define WAIT_CALLS_MS	180000	/* a pass of the script over every IRQ */
#define WAIT_PLACE_MS	60000	/* irqbalance's placement after a rescan */
#define WATCH_MS	(3 * IB_INTERVAL * 1000)	/* then: still so */

/*
 * The README's policy script, word for word: bans the IRQs dhp's debugfs
 * lists and, with rebalance_hint_only, first moves each to its hint.
 */
static const char POLICY[] =
	"#!/bin/sh\n"
	"# irqbalance --policyscript: $1 the IRQ's device in sysfs, $2 the IRQ\n"
	"grep -qs \"^irq $2 \" /sys/kernel/debug/dhp/rebalance/*/info || exit 0\n"
	"if [ \"$(cat /sys/module/dhp/parameters/rebalance_hint_only)\" = Y ]; then\n"
	"\thint=$(cat \"/proc/irq/$2/affinity_hint\")\n"
	"\tcase $hint in *[1-9a-f]*) echo \"$hint\" >\"/proc/irq/$2/smp_affinity\" ;; esac\n"
	"fi\n"
	"echo ban=true\n";

struct dev {
	int nr_irqs;
	unsigned int irqs[MAX_IRQS];
};

/* irqbalance's pid, the device d0 and the sentinel. */
struct bench {
	pid_t ib;
	struct dev d, s;
};

static unsigned long long bit(int cpu)
{
	return cpu >= 0 && cpu < 64 ? 1ULL << cpu : 0;
}

/* /proc/irq/@irq/@file, a CPU list, as a mask of CPUs 0-63 (0: unread). */
static unsigned long long irq_list(unsigned int irq, const char *file)
{
	bool set[SPREAD_CPUS];
	char path[96];
	unsigned long long m = 0;
	int cpu;

	snprintf(path, sizeof(path), "/proc/irq/%u/%s", irq, file);
	if (!cpulist_read(path, set))
		return 0;
	for (cpu = 0; cpu < SPREAD_CPUS && cpu < 64; cpu++)
		m |= set[cpu] ? bit(cpu) : 0;
	return m;
}

/* /proc/irq/@irq/affinity_hint, a hex mask with commas: its low 64 bits. */
static unsigned long long irq_hint(unsigned int irq)
{
	char path[96], buf[512], *c;
	unsigned long long m = 0;

	snprintf(path, sizeof(path), "/proc/irq/%u/affinity_hint", irq);
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	for (c = buf; *c && *c != '\n'; c++)
		if (*c != ',')
			m = m << 4 | (*c <= '9' ? *c - '0' : (*c | 32) - 'a' + 10);
	return m;
}

/* Sets IRQ @irq's affinity to CPU @cpu alone; 0 or -errno. */
static int irq_set(unsigned int irq, int cpu)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/irq/%u/smp_affinity_list", irq);
	return write_filef(path, "%d", cpu);
}

static unsigned long long aff(unsigned int irq)
{
	return irq_list(irq, "smp_affinity_list");
}

static unsigned long long eff(unsigned int irq)
{
	return irq_list(irq, "effective_affinity_list");
}

/* The IRQs dhp's debugfs lists for its device @name ("irq N ..." lines). */
static int info_irqs(const char *name, struct dev *d)
{
	char path[128], buf[4096], *p;

	snprintf(path, sizeof(path), RB_DEBUGFS "/%s/info", name);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	d->nr_irqs = 0;
	for (p = buf; p && d->nr_irqs < MAX_IRQS; p = strchr(p, '\n')) {
		p += *p == '\n';
		if (!strncmp(p, "irq ", 4))
			d->irqs[d->nr_irqs++] = strtoul(p + 4, NULL, 10);
	}
	return d->nr_irqs;
}

static long rb_info(const char *name, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), RB_DEBUGFS "/%s/info", name);
	return stat_value(path, key);
}

/* The IRQs of rbdev device @name (its stats' "irqs" line). */
static int rbdev_irqs(const char *name, struct dev *d)
{
	char path[128], buf[4096], *p, *end;

	snprintf(path, sizeof(path), "/sys/kernel/debug/dhp_rbdev/%s/stats",
		 name);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "irqs ");
	d->nr_irqs = 0;
	for (p = p ? p + 4 : NULL; p && *p == ' ' && d->nr_irqs < MAX_IRQS;
	     p = end) {
		d->irqs[d->nr_irqs] = strtoul(p, &end, 10);
		if (end == p)
			break;
		d->nr_irqs++;
	}
	return d->nr_irqs;
}

/* Where the README's spread puts d0's IRQs over the CPUs online now. */
static void expected(const struct dev *d, unsigned long long *want)
{
	int cpus[MAX_IRQS], i;

	spread_expected(rb_info("dhp_rbdev:d0", "node"),
			rb_info("dhp_rbdev:d0", "id") * d->nr_irqs,
			d->nr_irqs, cpus);
	for (i = 0; i < d->nr_irqs; i++)
		want[i] = bit(cpus[i]);
}

static bool have_irqbalance(void)
{
	const char *path = getenv("PATH") ?: "/bin:/sbin:/usr/bin:/usr/sbin";
	char *dirs = strdup(path), *dir, *save = NULL, file[512];
	bool found = false;

	for (dir = strtok_r(dirs, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/irqbalance", dir);
		found = !access(file, X_OK);
	}
	free(dirs);
	return found;
}

/* Writes an executable file @path with @text. */
static int write_exec(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	close(fd);
	if (n != (ssize_t)len)
		return -EIO;
	return chmod(path, 0755) ? -errno : 0;
}

/*
 * The policy wrapper: notes the IRQ in IB_CALLS, then runs the README's
 * script when @readme (else no policy: irqbalance balances the IRQ).
 */
static int write_policy(bool readme)
{
	char text[512];

	snprintf(text, sizeof(text), "#!/bin/sh\necho \"$2\" >>%s\n%s\n",
		 IB_CALLS, readme ? "exec " IB_POLICY " \"$@\"" : "exit 0");
	return write_exec(IB_POLICY, POLICY) ?: write_exec(IB_WRAPPER, text);
}

static void calls_reset(void)
{
	close(creat(IB_CALLS, 0644));
}

/* Whether irqbalance ran the policy script for each IRQ of @d. */
static bool calls_cover(const struct dev *d)
{
	static char buf[1 << 16];
	char line[24];
	int i;

	if (read_file(IB_CALLS, buf + 1, sizeof(buf) - 1) < 0)
		return false;
	buf[0] = '\n';
	for (i = 0; i < d->nr_irqs; i++) {
		snprintf(line, sizeof(line), "\n%u\n", d->irqs[i]);
		if (!strstr(buf, line))
			return false;
	}
	return true;
}

/* The end of irqbalance's log (its --debug dump of the last scans). */
static void ib_log_tail(void)
{
	char buf[4096];
	ssize_t n = 0;
	int fd;

	fd = open(IB_LOG, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		lseek(fd, -(off_t)sizeof(buf) + 1, SEEK_END);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "# irqbalance's log ends:\n%s\n", buf);
}

/* Whether irqbalance (@pid) is still running; says so if not. */
static bool ib_alive(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, WNOHANG) == 0)
		return true;
	fprintf(stderr, "# irqbalance is gone (status 0x%x)\n", status);
	ib_log_tail();
	return false;
}

/*
 * Starts irqbalance in a process group of its own (so that its policy
 * scripts stop and go with it), with the wrapper as policy script and
 * --banirq for each IRQ of @ban (may be NULL); returns its pid or -errno.
 */
static pid_t ib_start(const struct dev *ban)
{
	char *argv[8 + MAX_IRQS], banirq[MAX_IRQS][24];
	int argc = 0, i, fd;
	pid_t pid;

	argv[argc++] = "irqbalance";
	argv[argc++] = "--foreground";
	argv[argc++] = "--debug";
	argv[argc++] = "--interval=1";
	argv[argc++] = "--policyscript=" IB_WRAPPER;
	for (i = 0; ban && i < ban->nr_irqs; i++) {
		snprintf(banirq[i], sizeof(banirq[i]), "--banirq=%u",
			 ban->irqs[i]);
		argv[argc++] = banirq[i];
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		setpgid(0, 0);
		unsetenv("IRQBALANCE_ONESHOT");
		unsetenv("IRQBALANCE_BANNED_CPUS");
		unsetenv("IRQBALANCE_BANNED_CPULIST");
		fd = creat(IB_LOG, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	write_filef(IB_PID, "%d", pid);
	return pid;
}

/* Ends irqbalance @pid's process group (SIGTERM, then SIGKILL). */
static void ib_stop(pid_t pid)
{
	int i;

	if (pid <= 0)
		return;
	kill(-pid, SIGCONT);
	kill(-pid, SIGTERM);
	for (i = 0; i < 50 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(100000);
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(IB_PID);
}

/* An irqbalance a test left behind (ended by the harness's timeout). */
static void ib_stop_stale(void)
{
	char buf[32];
	pid_t pid;

	if (read_file(IB_PID, buf, sizeof(buf)) <= 0)
		return;
	pid = atoi(buf);
	if (pid > 1) {
		kill(-pid, SIGCONT);
		kill(-pid, SIGKILL);
	}
	unlink(IB_PID);
}

/*
 * Until irqbalance has run the policy script for every IRQ of d0 and the
 * sentinel since the last calls_reset(): its rescan; whether it did.
 */
static bool wait_calls(const struct bench *b)
{
	int ms;

	for (ms = 0; ms < WAIT_CALLS_MS; ms += 100) {
		if (calls_cover(&b->d) && calls_cover(&b->s))
			return true;
		if (!ib_alive(b->ib))
			return false;
		usleep(100000);
	}
	fprintf(stderr, "# irqbalance ran no policy script for them in %d s\n",
		WAIT_CALLS_MS / 1000);
	return false;
}

/* Until d0 has had more than @rounds rounds, 60 s at most. */
static bool wait_round(long rounds)
{
	int ms;

	for (ms = 0; ms < 60000; ms += 20) {
		if (rb_info("dhp_rbdev:d0", "rounds") > rounds)
			return true;
		usleep(20000);
	}
	return false;
}

/*
 * Whether each IRQ of @d has affinity and effective CPU @want[i]; if not,
 * says so under @what (if not NULL).
 */
static bool irqs_at(const struct dev *d, const unsigned long long *want,
		    const char *what)
{
	unsigned long long a, e;
	int i;

	for (i = 0; i < d->nr_irqs; i++) {
		a = aff(d->irqs[i]);
		e = eff(d->irqs[i]);
		if (a == want[i] && e == want[i])
			continue;
		if (what)
			fprintf(stderr, "# %s: irq %u: 0x%llx, effective 0x%llx, want 0x%llx\n",
				what, d->irqs[i], a, e, want[i]);
		return false;
	}
	return true;
}

/*
 * After a CPU change: until irqbalance's placement has moved the
 * sentinel off SENTINEL_CPU, then WATCH_MS more, d0's IRQs must stay at
 * @want (checked every 100 ms); whether they did. With @follow, they need
 * only get there (first) and then stay.
 */
static bool stays(const struct bench *b, const unsigned long long *want,
		  bool follow)
{
	const struct dev *d = &b->d, *s = &b->s;
	int ms, moved_at = -1;
	bool there = !follow;

	for (ms = 0; moved_at < 0 || ms < moved_at + WATCH_MS; ms += 100) {
		if (!ib_alive(b->ib))
			return false;
		if (there && !irqs_at(d, want, "moved by irqbalance"))
			return false;
		if (!there && irqs_at(d, want, NULL)) {
			fprintf(stderr, "# d0's IRQs at their hints after %d ms\n",
				ms);
			there = true;
		}
		if (moved_at < 0 && aff(s->irqs[0]) != bit(SENTINEL_CPU)) {
			fprintf(stderr, "# sentinel irq %u moved to 0x%llx after %d ms\n",
				s->irqs[0], aff(s->irqs[0]), ms);
			moved_at = ms;
		}
		if (moved_at < 0 && ms >= WAIT_PLACE_MS) {
			fprintf(stderr, "# irqbalance did not move the sentinel in %d s\n",
				WAIT_PLACE_MS / 1000);
			return false;
		}
		usleep(100000);
	}
	return there || irqs_at(d, want, "never followed");
}

FIXTURE(ib) {
	struct bench b;
	bool was_online[NCPU];
};

static void unload_all(void)
{
	mod_unload("dhp_rbdev");
	mod_unload("dhp");
}

FIXTURE_SETUP(ib)
{
	ib_stop_stale();
	unload_all();
	mkdir(IB_DIR, 0755);
	mkdir("/run/irqbalance", 0755);
	cpus_online_save(self->was_online, NCPU);
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_rbdev", NULL));
	ASSERT_EQ(0, write_filef(RBDEV_CTL, "add d0 other %d", D0_IRQS));
	ASSERT_EQ(D0_IRQS, info_irqs("dhp_rbdev:d0", &self->b.d));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "add s0 other 1"));
	ASSERT_EQ(0, write_file(RBDEV_CTL, "detach s0"));
	ASSERT_EQ(1, rbdev_irqs("s0", &self->b.s));
	calls_reset();
}

FIXTURE_TEARDOWN(ib)
{
	ib_stop(self->b.ib);
	write_file(HINT_ONLY, "N");
	cpus_online_restore(self->was_online, NCPU);
	unload_all();
}

/*
 * Starts irqbalance (with @readme policy, --banirq for @ban), waits for
 * its first pass, puts the sentinel on SENTINEL_CPU; 0 or -1.
 */
static int ib_ready(struct bench *b, bool readme, const struct dev *ban)
{
	if (write_policy(readme))
		return -1;
	b->ib = ib_start(ban);
	if (b->ib < 0 || !wait_calls(b))
		return -1;
	fprintf(stderr, "# %s\n", readme ? "the README's policy script" :
		ban ? "--banirq for d0's IRQs" : "no ban");
	return irq_set(b->s.irqs[0], SENTINEL_CPU);
}

/*
 * Adds a CPU (irqbalance's scripts then note their calls afresh); d0's
 * round done. Returns the CPU, or -1.
 */
static int add_cpu(struct bench *b)
{
	long rounds = rb_info("dhp_rbdev:d0", "rounds");
	int cpu;

	calls_reset();
	cpu = cpu_arrive();
	if (cpu <= 0 || !wait_round(rounds))
		return -1;
	fprintf(stderr, "# CPU %d added, online %d\n", cpu, cpu_count_online());
	return cpu;
}

/* Takes CPU @cpu offline; d0's round done. 0 or -1. */
static int remove_cpu(int cpu)
{
	long rounds = rb_info("dhp_rbdev:d0", "rounds");

	calls_reset();
	if (cpu_set_online(cpu, false) || !wait_round(rounds))
		return -1;
	fprintf(stderr, "# CPU %d removed, online %d\n", cpu,
		cpu_count_online());
	return 0;
}

/*
 * The control: without a ban, irqbalance does move d0's IRQs after dhp
 * put them (to its own choice, the package's CPUs here), at its rescan
 * after the CPU arrival. Else the other tests would show nothing.
 */
TEST_F_TIMEOUT(ib, unbanned_irqs_are_moved, 600)
{
	struct bench *b = &self->b;
	unsigned long long want[MAX_IRQS];
	int i, ms, moved = 0;

	if (!have_irqbalance())
		SKIP(return, NO_IRQBALANCE);
	ASSERT_EQ(0, ib_ready(b, false, NULL));
	ASSERT_LT(0, add_cpu(b));
	expected(&b->d, want);
	for (i = 0; i < b->d.nr_irqs; i++)
		ASSERT_EQ(want[i], irq_hint(b->d.irqs[i]));
	ASSERT_TRUE(irqs_at(&b->d, want, "dhp's round"));
	ASSERT_TRUE(wait_calls(b));
	for (ms = 0; ms < WAIT_PLACE_MS; ms += 100) {
		for (moved = 0, i = 0; i < b->d.nr_irqs; i++)
			moved += aff(b->d.irqs[i]) != want[i];
		if (moved == b->d.nr_irqs || !ib_alive(b->ib))
			break;
		usleep(100000);
	}
	for (i = 0; i < b->d.nr_irqs; i++)
		fprintf(stderr, "# irq %u: dhp 0x%llx, now 0x%llx\n",
			b->d.irqs[i], want[i],
			aff(b->d.irqs[i]));
	EXPECT_EQ(b->d.nr_irqs, moved);
	EXPECT_NE(bit(SENTINEL_CPU), aff(b->s.irqs[0]));
}

/*
 * Default mode: told to keep off d0's IRQs (@readme: by the README's
 * policy script, else by --banirq), irqbalance leaves them where dhp put
 * them after a CPU arrival.
 */
static void banned_stay(struct __test_metadata *_metadata, struct bench *b,
			bool readme)
{
	unsigned long long want[MAX_IRQS];

	if (!have_irqbalance())
		SKIP(return, NO_IRQBALANCE);
	ASSERT_EQ(0, ib_ready(b, readme, readme ? NULL : &b->d));
	ASSERT_LT(0, add_cpu(b));
	expected(&b->d, want);
	ASSERT_TRUE(irqs_at(&b->d, want, "dhp's round"));
	ASSERT_TRUE(wait_calls(b));
	EXPECT_TRUE(stays(b, want, false));
}

TEST_F_TIMEOUT(ib, policy_script_ban_keeps_dhp_affinity, 600)
{
	banned_stay(_metadata, &self->b, true);
}

TEST_F_TIMEOUT(ib, banirq_keeps_dhp_affinity, 600)
{
	banned_stay(_metadata, &self->b, false);
}

/*
 * Hint-only mode, the README's policy script: dhp sets only the hints
 * (seen with irqbalance stopped across the CPU arrival and the round),
 * then irqbalance's rescan, through the script, puts each IRQ on its hint
 * and leaves it there. Then a CPU removal: the IRQs follow the new hints
 * too. irqbalance is stopped across each change and its round, since a
 * rescan that came before the round ended would copy the old hints (it
 * follows the new ones at its next rescan; waiting for that one is not
 * bounded).
 */
TEST_F_TIMEOUT(ib, hint_only_policy_script_follows_hints, 600)
{
	struct bench *b = &self->b;
	unsigned long long want[MAX_IRQS], before[MAX_IRQS];
	int i, cpu, differ = 0;

	if (!have_irqbalance())
		SKIP(return, NO_IRQBALANCE);
	ASSERT_EQ(0, write_file(HINT_ONLY, "Y"));
	ASSERT_EQ(0, ib_ready(b, true, NULL));
	for (i = 0; i < b->d.nr_irqs; i++)
		before[i] = aff(b->d.irqs[i]);
	ASSERT_EQ(0, kill(-b->ib, SIGSTOP));
	cpu = add_cpu(b);
	ASSERT_LT(0, cpu);
	expected(&b->d, want);
	for (i = 0; i < b->d.nr_irqs; i++) {
		EXPECT_EQ(want[i], irq_hint(b->d.irqs[i]));
		/* dhp left the affinity alone */
		EXPECT_EQ(before[i], aff(b->d.irqs[i]));
		differ += before[i] != want[i];
	}
	/* else following the hints would change nothing to see */
	ASSERT_LT(0, differ);
	ASSERT_EQ(0, kill(-b->ib, SIGCONT));
	ASSERT_TRUE(wait_calls(b));
	EXPECT_TRUE(stays(b, want, true));

	ASSERT_EQ(0, irq_set(b->s.irqs[0], SENTINEL_CPU));
	ASSERT_EQ(0, kill(-b->ib, SIGSTOP));
	ASSERT_EQ(0, remove_cpu(cpu));
	expected(&b->d, want);
	for (i = 0; i < b->d.nr_irqs; i++)
		EXPECT_EQ(want[i], irq_hint(b->d.irqs[i]));
	ASSERT_EQ(0, kill(-b->ib, SIGCONT));
	ASSERT_TRUE(wait_calls(b));
	EXPECT_TRUE(stays(b, want, true));
}

TEST_HARNESS_MAIN
