// SPDX-License-Identifier: GPL-2.0
/*
 * dhp's control plane under kernel lockdown, as a machine booted with
 * Secure Boot has it. Run as root in a guest (scripts/check.py, suite
 * lockdown) whose kernel has the lockdown LSM: the modules are loaded
 * first, then lockdown is raised to integrity through securityfs (booting
 * with lockdown=integrity would refuse the unsigned test modules). It
 * cannot be lowered again: the whole suite runs in one boot, every test
 * after the raise (each checks it is up).
 *
 * Under lockdown debugfs opens only files without a write bit (and without
 * ioctl or mmap), and no unsigned module loads. So: every file of dhp's
 * debugfs still opens and reads; a write open of one is refused; the
 * knobs (module parameters) work through sysfs; poll() on
 * /sys/kernel/dhp/high_memory wakes on a transition the test makes by
 * moving the thresholds around the available memory, the state expected
 * by the test's own reading of /proc/meminfo.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"

#define SECURITYFS	"/sys/kernel/security"
#define LOCKDOWN	SECURITYFS "/lockdown"
#define RBDEV_CTL	"/sys/kernel/debug/dhp_rbdev/ctl"
#define HINT_PARAM	DHP_PARAMS "/rebalance_hint_only"

/* The modules loaded before lockdown: dhp and the samples with files. */
static const char *const mods[] = {
	"dhp", "dhp_sample", "dhp_rbdev",
};

static bool locked_down(void)
{
	char buf[128];

	return read_file(LOCKDOWN, buf, sizeof(buf)) > 0 &&
	       strstr(buf, "[integrity]");
}

/*
 * Loads the modules (and a rebalance device, for its per-device files),
 * then raises lockdown; once only, since it stays up.
 */
static int lock_down(void)
{
	size_t i;
	int ret;

	if (mount("none", SECURITYFS, "securityfs", 0, NULL) && errno != EBUSY)
		return -errno;
	if (access(LOCKDOWN, F_OK))
		return -ENOENT;
	if (locked_down())
		return 0;
	for (i = 0; i < ARRAY_SIZE(mods); i++) {
		ret = mod_load(mods[i], NULL);
		if (ret && ret != -EEXIST)
			return ret;
	}
	ret = write_file(RBDEV_CTL, "add lk0 other 2");
	if (ret)
		return ret;
	ret = write_file(LOCKDOWN, "integrity");
	return ret ?: locked_down() ? 0 : -EIO;
}

FIXTURE(lk) {
};

FIXTURE_SETUP(lk)
{
	int ret = lock_down();

	if (ret == -ENOENT)
		SKIP(return, "no lockdown LSM in this kernel");
	ASSERT_EQ(0, ret);
	ASSERT_TRUE(locked_down());
}

FIXTURE_TEARDOWN(lk)
{
}

/* Lockdown is real: an unsigned module no longer loads. */
TEST_F(lk, raised)
{
	EXPECT_TRUE(mod_loaded("dhp"));
	EXPECT_EQ(-EPERM, mod_load("dhp_evtest", NULL));
	EXPECT_FALSE(mod_loaded("dhp_evtest"));
}

/* Counts the regular files under @dir that open and read; logs others. */
static int read_all(struct __test_metadata *_metadata, const char *dir,
		    int *files)
{
	char path[512], buf[4096];
	struct dirent *e;
	struct stat sb;
	int bad = 0, fd;
	ssize_t n;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return 1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &sb))
			continue;
		if (S_ISDIR(sb.st_mode)) {
			bad += read_all(_metadata, path, files);
			continue;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		++*files;
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -errno : read(fd, buf, sizeof(buf));
		if (fd >= 0 && n < 0)
			n = -errno;
		if (fd >= 0)
			close(fd);
		if (n <= 0 || (sb.st_mode & 0222)) {
			TH_LOG("%s (mode %o): %s", path, sb.st_mode & 0777,
			       n < 0 ? strerror(-n) :
			       n ? "writable" : "empty");
			bad++;
		}
	}
	closedir(d);
	return bad;
}

/* Every file of dhp's debugfs is read-only, opens and reads. */
TEST_F(lk, debugfs_reads)
{
	static const char *const expected[] = {
		"cpu_clients", "cpus", "cpuhp_states", "objects",
		"event_clients", "events", "memory", "high_memory",
	};
	char path[128];
	size_t i;
	int files = 0;

	EXPECT_EQ(0, read_all(_metadata, DHP_DEBUGFS, &files));
	for (i = 0; i < ARRAY_SIZE(expected); i++) {
		snprintf(path, sizeof(path), DHP_DEBUGFS "/%s", expected[i]);
		EXPECT_EQ(0, access(path, R_OK)) TH_LOG("%s", path);
	}
	EXPECT_LE(ARRAY_SIZE(expected), files);
	TH_LOG("%d files read", files);
}

/*
 * A write open of a debugfs file is refused, whatever its mode; and a
 * file with a write bit (a sample's) does not even open for reading:
 * what dhp's files would do if they had one.
 */
TEST_F(lk, debugfs_write_refused)
{
	int fd;

	fd = open(DHP_DEBUGFS "/high_memory", O_WRONLY);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPERM, errno);
	if (fd >= 0)
		close(fd);
	fd = open(RBDEV_CTL, O_RDONLY);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EPERM, errno);
	if (fd >= 0)
		close(fd);
}

/* The knobs, through sysfs: set and read back; bad values refused. */
TEST_F(lk, knobs)
{
	long low = sysfs_long(HM_LOW), high = sysfs_long(HM_HIGH);
	char buf[8];

	ASSERT_LT(0, low);
	ASSERT_EQ(0, hm_set(5000, 6000));
	EXPECT_EQ(5000, sysfs_long(HM_LOW));
	EXPECT_EQ(6000, sysfs_long(HM_HIGH));
	EXPECT_EQ(6000, stat_value(DHP_DEBUGFS "/high_memory", "high_mb"));
	EXPECT_EQ(-EINVAL, write_file(HM_LOW, "6000"));
	EXPECT_EQ(-EINVAL, write_file(HM_HIGH, "4999"));
	EXPECT_EQ(-EINVAL, write_file(HM_HIGH, "0"));
	EXPECT_EQ(5000, sysfs_long(HM_LOW));
	EXPECT_EQ(6000, sysfs_long(HM_HIGH));
	ASSERT_EQ(0, hm_set(low, high));

	ASSERT_EQ(0, write_file(HM_PERIOD, "250"));
	EXPECT_EQ(250, sysfs_long(HM_PERIOD));
	EXPECT_EQ(250, stat_value(DHP_DEBUGFS "/high_memory", "period_ms"));
	EXPECT_EQ(-EINVAL, write_file(HM_PERIOD, "9"));
	EXPECT_EQ(250, sysfs_long(HM_PERIOD));
	ASSERT_EQ(0, write_file(HM_PERIOD, "1000"));

	ASSERT_EQ(0, write_file(HINT_PARAM, "Y"));
	EXPECT_LT(0, read_file(HINT_PARAM, buf, sizeof(buf)));
	EXPECT_EQ('Y', buf[0]);
	ASSERT_EQ(0, write_file(HINT_PARAM, "N"));
	EXPECT_LT(0, read_file(HINT_PARAM, buf, sizeof(buf)));
	EXPECT_EQ('N', buf[0]);
}

/* MemAvailable of /proc/meminfo, in MiB: what si_mem_available() says. */
static long meminfo_avail_mb(void)
{
	return stat_value("/proc/meminfo", "MemAvailable:") / 1024;
}

/*
 * Moves the band to [@low, @high] with a poller on high_memory: the state
 * must become @want at once, and the poller wake iff it changed.
 */
static void move_and_poll(struct __test_metadata *_metadata, long low,
			  long high, int want)
{
	long before = sysfs_long(HM_STATE), trans = sysfs_long(HM_TRANSITIONS);
	pid_t poller;
	int status;

	poller = fork();
	ASSERT_LE(0, poller);
	if (!poller)
		_exit(poll_highmem(before == want ? 500 : 10000));
	usleep(200000);
	ASSERT_EQ(0, hm_set(low, high));
	EXPECT_EQ(want, sysfs_long(HM_STATE));
	ASSERT_EQ(poller, waitpid(poller, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	/* 0: woke on the change; 1: no change, no wake-up */
	EXPECT_EQ(before == want, WEXITSTATUS(status))
		TH_LOG("[%ld, %ld]: from %ld to %d", low, high, before, want);
	EXPECT_EQ(trans + (before != want), sysfs_long(HM_TRANSITIONS));
}

/*
 * poll() on /sys/kernel/dhp/high_memory wakes on each transition: the
 * band moved above what /proc/meminfo says is available clears it, below
 * sets it, and moving it within the band's hysteresis changes nothing.
 */
TEST_F_TIMEOUT(lk, high_memory_poll, 120)
{
	long avail = meminfo_avail_mb();

	ASSERT_LT(256, avail);
	/* dhp's figure is the same computation, a moment apart */
	EXPECT_GT(64, labs(sysfs_long(HM_AVAIL) - avail));
	move_and_poll(_metadata, avail * 2, avail * 3, 0);
	move_and_poll(_metadata, avail / 4, avail / 2, 1);
	/* set, and available above low: it stays set */
	move_and_poll(_metadata, avail / 2, avail * 2, 1);
	move_and_poll(_metadata, avail * 2, avail * 3, 0);
	/* cleared, and available below high: it stays cleared */
	move_and_poll(_metadata, avail / 2, avail * 2, 0);
	move_and_poll(_metadata, avail / 4, avail / 2, 1);
}

TEST_HARNESS_MAIN
