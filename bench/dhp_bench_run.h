/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control file that both bench modules offer: a write of one command
 * runs it (the module's bench_command(), under bench_lock), a read gives
 * the "name value" lines it emitted with bench_emit(). Included once by
 * each module.
 */
#ifndef _DHP_BENCH_RUN_H
#define _DHP_BENCH_RUN_H

#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define BENCH_OUT_SIZE	(64 * 1024)
#define BENCH_CMD_MAX	128
#define BENCH_MAX_ARGS	10	/* numbers after the command word */

static DEFINE_MUTEX(bench_lock);
static char *bench_out;		/* BENCH_OUT_SIZE bytes, from init */
static size_t bench_len;

/* The module's commands: @cmd, then @n numbers in @a. */
static int bench_command(const char *cmd, const unsigned int *a,
			 unsigned int n);

/* Splits "cmd N N ..." at blanks and runs it. */
static int bench_parse(char *buf)
{
	unsigned int a[BENCH_MAX_ARGS], n = 0;
	char *cmd, *word;

	cmd = strsep(&buf, " \t\n");
	while ((word = strsep(&buf, " \t\n"))) {
		if (!*word)
			continue;
		if (n == ARRAY_SIZE(a) || kstrtouint(word, 0, &a[n]))
			return -EINVAL;
		n++;
	}
	return bench_command(cmd, a, n);
}

static __printf(1, 2) void bench_emit(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_len += vscnprintf(bench_out + bench_len,
				BENCH_OUT_SIZE - bench_len, fmt, ap);
	va_end(ap);
}

static ssize_t bench_run_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	char buf[BENCH_CMD_MAX];
	int ret;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	mutex_lock(&bench_lock);
	bench_len = 0;
	bench_out[0] = '\0';
	ret = bench_parse(buf);
	mutex_unlock(&bench_lock);
	if (ret)
		pr_err("command failed: %d\n", ret);
	return ret ? ret : len;
}

static ssize_t bench_run_read(struct file *file, char __user *ubuf,
			      size_t len, loff_t *ppos)
{
	ssize_t ret;

	mutex_lock(&bench_lock);
	ret = simple_read_from_buffer(ubuf, len, ppos, bench_out, bench_len);
	mutex_unlock(&bench_lock);
	return ret;
}

static const struct file_operations bench_run_fops = {
	.owner = THIS_MODULE,
	.write = bench_run_write,
	.read = bench_run_read,
};

#endif /* _DHP_BENCH_RUN_H */
