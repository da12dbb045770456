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

/* Runs @run on the command in @ubuf; its errno fails the write. */
static inline ssize_t ctl_write(const char __user *ubuf, size_t len,
				int (*run)(char *cmd))
{
	char *cmd;
	int ret;

	if (!len || len > CTL_MAX)
		return -EINVAL;
	cmd = memdup_user_nul(ubuf, len);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	ret = run(cmd);
	if (ret == -EINVAL)
		pr_err("ctl: bad command '%s'\n", strim(cmd));
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
