// SPDX-License-Identifier: GPL-2.0
/*
 * hostctl - guest side of the dhp VM control channel; see hostctl.h.
 *
 * Library: link this file into a test and call hostctl().
 * Command line: build with -DHOSTCTL_MAIN, then
 *	hostctl [-t TIMEOUT_MS] CMD [ARGS...]
 * prints the answer and exits 0 on ok, 1 on err, 2 on timeout and 3 when
 * the device cannot be used.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "hostctl.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static pthread_mutex_t hostctl_lock = PTHREAD_MUTEX_INITIALIZER;
static int hostctl_fd = -1;
static unsigned int hostctl_seq;
/* Bytes read but not yet consumed, and whether we are skipping a long line. */
static char hostctl_buf[HOSTCTL_LINE_MAX];
static size_t hostctl_len;
static int hostctl_skip;

static const struct {
	const char *name;
	int err;
} hostctl_errnos[] = {
	{ "ENOSPC", ENOSPC },
	{ "EBUSY", EBUSY },
	{ "ETIME", ETIME },
	{ "ENODEV", ENODEV },
	{ "EINVAL", EINVAL },
	{ "ENOENT", ENOENT },
	{ "EEXIST", EEXIST },
	{ "EOPNOTSUPP", EOPNOTSUPP },
	{ "EIO", EIO },
};

static int hostctl_open(void)
{
	const char *dev = getenv("HOSTCTL_DEV");
	struct termios t;
	int fd;

	if (!dev || !*dev)
		dev = HOSTCTL_DEV;
	fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL | CREAD;
		t.c_cflag &= ~CRTSCTS;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		cfsetispeed(&t, B115200);
		cfsetospeed(&t, B115200);
		if (tcsetattr(fd, TCSANOW, &t) < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		/* Answers to requests of earlier processes are of no use. */
		tcflush(fd, TCIFLUSH);
	}
	hostctl_fd = fd;
	hostctl_len = 0;
	hostctl_skip = 0;
	return 0;
}

void hostctl_close(void)
{
	pthread_mutex_lock(&hostctl_lock);
	if (hostctl_fd >= 0)
		close(hostctl_fd);
	hostctl_fd = -1;
	pthread_mutex_unlock(&hostctl_lock);
}

static long long hostctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Wait for @events on the device until @deadline (ms, < 0: forever). */
static int hostctl_wait(short events, long long deadline)
{
	struct pollfd pfd = { .fd = hostctl_fd, .events = events };
	long long left;
	int ret;

	for (;;) {
		left = -1;
		if (deadline >= 0) {
			left = deadline - hostctl_now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (left > 1000000)
				left = 1000000;
		}
		ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

static int hostctl_write(const char *buf, size_t len, long long deadline)
{
	ssize_t n;
	int ret;

	while (len) {
		n = write(hostctl_fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		ret = hostctl_wait(POLLOUT, deadline);
		if (ret)
			return ret;
	}
	return 0;
}

static int hostctl_errno(const char *msg)
{
	size_t i, n = strcspn(msg, " ");

	for (i = 0; i < ARRAY_SIZE(hostctl_errnos); i++) {
		if (strlen(hostctl_errnos[i].name) == n &&
		    !strncmp(msg, hostctl_errnos[i].name, n))
			return -hostctl_errnos[i].err;
	}
	return -EIO;
}

/*
 * Look at one complete answer line. Return 1 if it is not ours, else the
 * result of the request.
 */
static int hostctl_match(char *line, const char *id, char *reply, size_t len)
{
	size_t idlen = strlen(id);
	const char *rest;
	int ret;

	line[strcspn(line, "\r")] = '\0';
	if (strncmp(line, id, idlen) || line[idlen] != ' ')
		return 1;
	rest = line + idlen + 1;
	if (!strncmp(rest, "ok", 2) && (rest[2] == ' ' || !rest[2])) {
		rest += rest[2] ? 3 : 2;
		ret = 0;
	} else if (!strncmp(rest, "err", 3) && (rest[3] == ' ' || !rest[3])) {
		rest += rest[3] ? 4 : 3;
		ret = hostctl_errno(rest);
	} else {
		return 1;
	}
	if (reply && len)
		snprintf(reply, len, "%s", rest);
	return ret;
}

/* Read until our answer comes; called with the lock held. */
static int hostctl_read(const char *id, char *reply, size_t len,
			long long deadline)
{
	char *nl;
	ssize_t n;
	int ret;

	for (;;) {
		while ((nl = memchr(hostctl_buf, '\n', hostctl_len))) {
			size_t used = nl - hostctl_buf + 1;

			*nl = '\0';
			ret = hostctl_skip ? 1 :
			      hostctl_match(hostctl_buf, id, reply, len);
			hostctl_skip = 0;
			memmove(hostctl_buf, hostctl_buf + used, hostctl_len - used);
			hostctl_len -= used;
			if (ret <= 0)
				return ret;
		}
		if (hostctl_len == sizeof(hostctl_buf)) {
			/* Too long for us: drop it up to its newline. */
			hostctl_len = 0;
			hostctl_skip = 1;
		}
		n = read(hostctl_fd, hostctl_buf + hostctl_len,
			 sizeof(hostctl_buf) - hostctl_len);
		if (n > 0) {
			hostctl_len += n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			return n == 0 ? -EPIPE : -errno;
		ret = hostctl_wait(POLLIN, deadline);
		if (ret)
			return ret;
	}
}

int hostctl(const char *cmd, char *reply, size_t len, int timeout_ms)
{
	long long deadline = -1;
	char id[32];
	char *line;
	int ret;

	if (reply && len)
		reply[0] = '\0';
	if (!cmd || !*cmd || strchr(cmd, '\n'))
		return -EINVAL;
	if (timeout_ms == 0)
		timeout_ms = HOSTCTL_DEFAULT_TIMEOUT_MS;
	if (timeout_ms > 0)
		deadline = hostctl_now_ms() + timeout_ms;

	pthread_mutex_lock(&hostctl_lock);
	if (hostctl_fd < 0) {
		ret = hostctl_open();
		if (ret)
			goto out;
	}
	/* pid and sequence: unique across processes sharing the port. */
	snprintf(id, sizeof(id), "%d.%u", (int)getpid(), ++hostctl_seq);
	line = malloc(strlen(id) + strlen(cmd) + 3);
	if (!line) {
		ret = -ENOMEM;
		goto out;
	}
	sprintf(line, "%s %s\n", id, cmd);
	ret = hostctl_write(line, strlen(line), deadline);
	free(line);
	if (!ret)
		ret = hostctl_read(id, reply, len, deadline);
out:
	pthread_mutex_unlock(&hostctl_lock);
	return ret;
}

int hostctlf(char *reply, size_t len, int timeout_ms, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -EINVAL;
	return hostctl(cmd, reply, len, timeout_ms);
}

#ifdef HOSTCTL_MAIN
static void hostctl_usage(void)
{
	fprintf(stderr,
		"usage: hostctl [-t TIMEOUT_MS] CMD [ARGS...]\n"
		"  e.g. hostctl ping; hostctl cpu-add; hostctl dimm-add 1G\n"
		"  exit: 0 ok, 1 err, 2 timeout, 3 device unusable\n");
}

int main(int argc, char **argv)
{
	static char reply[HOSTCTL_LINE_MAX];
	char cmd[4096] = "";
	int timeout_ms = 0;
	size_t used = 0;
	int i = 1, ret;

	if (i + 1 < argc && !strcmp(argv[i], "-t")) {
		timeout_ms = atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc || argv[i][0] == '-') {
		hostctl_usage();
		return 3;
	}
	for (; i < argc; i++) {
		int n = snprintf(cmd + used, sizeof(cmd) - used, "%s%s",
				 used ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - used) {
			fprintf(stderr, "hostctl: command too long\n");
			return 3;
		}
		used += n;
	}

	ret = hostctl(cmd, reply, sizeof(reply), timeout_ms);
	if (!ret) {
		if (reply[0])
			printf("%s\n", reply);
		return 0;
	}
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "hostctl: %s: no answer from the host\n", cmd);
		return 2;
	}
	if (reply[0]) {
		fprintf(stderr, "hostctl: %s: %s\n", cmd, reply);
		return 1;
	}
	fprintf(stderr, "hostctl: %s: %s\n", cmd, strerror(-ret));
	return 3;
}
#endif
