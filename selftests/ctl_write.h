/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "ctl" file of the selftest client modules: one command per write,
 * handed to the module's parser as a NUL-terminated string.
 */
#ifndef _DHP_CTL_WRITE_H
#define _DHP_CTL_WRITE_H

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/string.h>

#define CTL_MAX	128

/*
 * Splits @cmd at blanks (space, tab, newline) into at most @max words.
 * Returns how many, or -EINVAL for none or more than @max.
 */
static inline int ctl_split(char *cmd, char **argv, int max)
{
	int argc = 0;
	char *word;

	while ((word = strsep(&cmd, " \t\n"))) {
		if (!*word)
			continue;
		if (argc == max)
			return -EINVAL;
		argv[argc++] = word;
	}
	return argc ? argc : -EINVAL;
}

/* Whether the command is @word and @n - 1 more words. */
static inline bool ctl_is(char **argv, int argc, const char *word, int n)
{
	return argc == n && !strcmp(argv[0], word);
}

/*
 * Runs @run on a copy of the command in @ubuf, which it may cut up; its
 * errno fails the write. A NUL inside the command fails it too (it would
 * end the string early), and so do an empty one and one over CTL_MAX bytes.
 */
static inline ssize_t ctl_write(const char __user *ubuf, size_t len,
				int (*run)(char *cmd))
{
	char *cmd, *copy;
	int ret;

	if (!len || len > CTL_MAX)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, len);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	if (strlen(cmd) != len) {
		ret = -EINVAL;
	} else {
		copy = kstrdup(cmd, GFP_KERNEL);
		ret = copy ? run(copy) : -ENOMEM;
		kfree(copy);
	}
	/* rate-limited: a fuzzer writes garbage here a hundred thousand times */
	if (ret == -EINVAL || ret == -ERANGE)
		pr_err_ratelimited("ctl: bad command '%*pE'\n", (int)len, cmd);
	kfree(cmd);
	return ret ? ret : len;
}

/* Defines @name_fops, a write-only file whose writes go to @run. */
#define DEFINE_CTL_FOPS(name, run)					\
static ssize_t name##_write(struct file *file, const char __user *ubuf,	\
			    size_t len, loff_t *ppos)			\
{									\
	return ctl_write(ubuf, len, run);				\
}									\
static const struct file_operations name##_fops = {			\
	.owner = THIS_MODULE,						\
	.write = name##_write,						\
}

#endif /* _DHP_CTL_WRITE_H */
