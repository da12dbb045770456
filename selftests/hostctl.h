/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostctl - guest side of the dhp VM control channel.
 *
 * scripts/vm.py serves a line protocol on the guest's second serial port
 * (/dev/ttyS1): the guest writes "<id> <cmd> [args]\n", the host answers
 * "<id> ok [info]\n" or "<id> err [ECODE] <message>\n". Commands: ping,
 * cpu-add, cpu-del [id], dimm-add <size> [node], dimm-del <id>,
 * vmem-resize <size> [wait], vmem-size, qmp <json>, help.
 */
#ifndef DHP_HOSTCTL_H
#define DHP_HOSTCTL_H

#include <stddef.h>

/* The device can be overridden with the HOSTCTL_DEV environment variable. */
#define HOSTCTL_DEV		"/dev/ttyS1"
/* Used when timeout_ms is 0; host-side waits are shorter than this. */
#define HOSTCTL_DEFAULT_TIMEOUT_MS	600000
/* Longest reply line kept; longer lines are cut. */
#define HOSTCTL_LINE_MAX	16384

/*
 * hostctl() - send one command to the host and wait for its answer.
 * @cmd:	the command and its arguments, e.g. "dimm-add 1G"; no newline
 * @reply:	gets the rest of the answer line after "ok " or "err "
 *		(may be NULL)
 * @len:	size of @reply
 * @timeout_ms:	how long to wait for the answer; 0 for the default,
 *		negative to wait forever
 *
 * Opens the device on first use and sets it to raw mode. Thread-safe:
 * calls are serialised.
 *
 * Return: 0 on "ok"; on "err" the negative errno named by the first word of
 * the message when it is one (ENOSPC, EBUSY, ETIME, ENODEV, EINVAL, ENOENT,
 * EEXIST, EOPNOTSUPP, EIO) and -EIO otherwise; -ETIMEDOUT when no answer came
 * in time; another negative errno when the device cannot be used.
 */
int hostctl(const char *cmd, char *reply, size_t len, int timeout_ms);

/* Like hostctl() with the command built by printf(). */
int hostctlf(char *reply, size_t len, int timeout_ms, const char *fmt, ...);

/* Close the device (it is reopened by the next call). */
void hostctl_close(void);

#endif /* DHP_HOSTCTL_H */
