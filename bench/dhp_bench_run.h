/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The control file that both bench modules offer: a write of one command
 * runs it (the module's bench_command(), under bench_lock), a read gives
 * the "name value" lines it emitted with bench_emit(). And the records of
 * asynchronous deliveries both modules keep (dhp's clients, the native
 * work items), with their report. Included once by each module.
 */
#ifndef _DHP_BENCH_RUN_H
#define _DHP_BENCH_RUN_H

#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sort.h>
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

/* ---- records of asynchronous deliveries -------------------------------- */

#define BENCH_MAX_EV	64	/* events recorded per client */

/*
 * One client's deliveries, all times ktime_get_ns(): event e was told at
 * at[e] (dhp: the event's timestamp_ns, taken at post; native: when the
 * cpuhp callback ran) and reached the client's code at got[e] (dhp: its
 * callback; native: its work item). The producer of at[] publishes nr,
 * the consumer that fills got[] publishes done, each with a release that
 * pairs with an acquire of the other side or of bench_recs_report().
 */
struct bench_rec {
	unsigned int nr, done;
	u64 at[BENCH_MAX_EV];
	u64 got[BENCH_MAX_EV];
};

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Waits (up to 60 s) until each of the @n records that @rec(i) returns has
 * @events deliveries, then emits: "lag_q P ns" for P = 0..100 (quantiles
 * of got - at over all deliveries), and per event e "fanout ns" (from the
 * earliest at to the last got: from the post, or the first callback, to
 * the last delivery), "spread ns" (from the first got to the last: the
 * fan-out itself), then "deliveries N". The e-th delivery of every record
 * is the same event: every client is registered throughout.
 */
static int bench_recs_report(struct bench_rec *(*rec)(unsigned int i),
			     unsigned int n, unsigned int events)
{
	unsigned int i, e, k = 0, waited = 0;
	u64 *lags, first, last, at;
	struct bench_rec *r;

	if (!n || !events || events > BENCH_MAX_EV)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		/* Pairs with the consumer's release of done. */
		while (smp_load_acquire(&rec(i)->done) < events) {
			if (++waited > 3000)
				return -ETIMEDOUT;
			msleep(20);
		}
	}
	lags = kvmalloc_array((size_t)n * events, sizeof(*lags), GFP_KERNEL);
	if (!lags)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		for (e = 0; e < events; e++)
			lags[k++] = rec(i)->got[e] - rec(i)->at[e];
	sort(lags, k, sizeof(*lags), bench_cmp_u64, NULL);
	for (i = 0; i <= 100; i++)
		bench_emit("lag_q %u %llu\n", i, lags[(u64)(k - 1) * i / 100]);
	kvfree(lags);

	for (e = 0; e < events; e++) {
		first = U64_MAX;
		at = U64_MAX;
		last = 0;
		for (i = 0; i < n; i++) {
			r = rec(i);
			first = min(first, r->got[e]);
			last = max(last, r->got[e]);
			at = min(at, r->at[e]);
		}
		bench_emit("fanout %llu\nspread %llu\n", last - at, last - first);
	}
	bench_emit("deliveries %u\n", k);
	return 0;
}

#endif /* _DHP_BENCH_RUN_H */
