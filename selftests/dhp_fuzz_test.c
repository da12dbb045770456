// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzzing of every writable debugfs file of dhp and of its sample and test
 * modules, of dhp's writable sysfs files (/sys/kernel/dhp/ and its
 * parameters), of dhp's module parameters at load, and the API misuse
 * cases the other suites do not cover. Run as root in a guest
 * (scripts/vm.py) with dhp's modules in $DHP_MODDIR (default /dhp).
 *
 * The files are found by walking the directories, not listed here:
 * a writable file without an oracle below fails the run, so a new file
 * cannot escape the fuzzer. For each file an oracle says whether an input
 * is valid by the grammar of its write handler, and which readable files
 * show the state a write changes. Each write must either fail and leave
 * that state as it was, or succeed with an input the oracle calls valid
 * (and some files must accept every valid input). Inputs: empty, one byte,
 * random bytes up to over two pages, and mutations of valid commands
 * (numbers out of range, huge, signed; words missing, extra, swapped;
 * trailing garbage, a NUL inside, whitespace variants). Valid commands that
 * would cost a lot or change what other files need (thousands of clients,
 * a veto, a held callback, long loads) are not written, and each file's
 * state is restored after its run.
 *
 * Environment:
 *   DHP_FUZZ_WRITES  writes per file (default 100000)
 *   DHP_FUZZ_SCALE   or a fraction of that, as scripts/check.py's
 *                    --stress-scale (CI runs 0.1)
 *   DHP_FUZZ_SEED    the seed, to replay a run (printed at the start)
 *   DHP_FUZZ_ONLY    a pattern (fnmatch) of the files to fuzz, relative to
 *                    /sys/kernel/debug, e.g. dhp_sample/fail; sysfs files
 *                    by their path, e.g. /sys/module/dhp/parameters/low_mb
 * The end of the run prints one line for the runner's summary:
 *   # DHP-STAT fuzz_writes N fuzz_files N fuzz_rejected N fuzz_accepted N
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "dhp_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define RB_DEBUGFS	DHP_DEBUGFS "/rebalance"
/* dhp's sysfs, walked as debugfs is: its files match "dhp/..." */
#define SYSFS_KERNEL	"/sys/kernel"
#define RB_SYSFS	SYSFS_KERNEL "/dhp/rebalance"
#define RBDEV		DEBUGFS "/dhp_rbdev"
#define EVTEST		DEBUGFS "/dhp_evtest"
#define HINT_PARAM	"/sys/module/dhp/parameters/rebalance_hint_only"
#define PAGE		4096
#define IN_MAX		(2 * PAGE + 1024)	/* longest input */
#define STATE_MAX	65536
#define MAX_FILES	64
#define MAX_WORDS	8
#define FAILS_PER_FILE	10

/* The rbdev devices the fuzzer keeps for their rebalance policy files. */
static const char *const keep_devs[] = { "fzo", "fzn" };

/* ---- PRNG (splitmix64) ------------------------------------------------ */

struct rng {
	unsigned long long s;
};

static unsigned long long rnd(struct rng *r)
{
	unsigned long long z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int below(struct rng *r, unsigned int n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int pct)
{
	return below(r, 100) < pct;
}

static const char *pick(struct rng *r, const char *const *v, size_t n)
{
	return v[below(r, n)];
}

/* ---- A growable input or state text ----------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void b_init(struct buf *b, size_t cap)
{
	b->p = malloc(cap + 1);
	b->cap = cap;
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void b_putn(struct buf *b, const char *s, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void b_puts(struct buf *b, const char *s)
{
	b_putn(b, s, strlen(s));
}

static void b_putc(struct buf *b, char c)
{
	b_putn(b, &c, 1);
}

static void b_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	b_putn(b, tmp, n < (int)sizeof(tmp) ? n : (int)sizeof(tmp) - 1);
}

/* ---- The kernel's parsers, as user space ------------------------------ */

/* _kstrtoull(): no sign, base 0 detects 0x and 0, one trailing newline */
static int k_strtoull_nosign(const char *s, unsigned int base,
			     unsigned long long *res)
{
	unsigned long long v = 0;
	bool overflow = false;
	size_t n = 0;

	if (!base) {
		if (s[0] == '0')
			base = ((s[1] | 0x20) == 'x' &&
				isxdigit((unsigned char)s[2])) ? 16 : 8;
		else
			base = 10;
	}
	if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x')
		s += 2;
	for (;; s++, n++) {
		unsigned int c = (unsigned char)*s, lc = c | 0x20, val;

		if (c >= '0' && c <= '9')
			val = c - '0';
		else if (lc >= 'a' && lc <= 'f')
			val = lc - 'a' + 10;
		else
			break;
		if (val >= base)
			break;
		if (v > (ULLONG_MAX - val) / base)
			overflow = true;
		v = v * base + val;
	}
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*res = v;
	return 0;
}

static int k_strtoull(const char *s, unsigned int base,
		      unsigned long long *res)
{
	return k_strtoull_nosign(s + (s[0] == '+'), base, res);
}

static int k_strtoll(const char *s, unsigned int base, long long *res)
{
	unsigned long long t;
	int ret;

	if (s[0] == '-') {
		ret = k_strtoull_nosign(s + 1, base, &t);
		if (ret)
			return ret;
		if ((long long)-t > 0)
			return -ERANGE;
		*res = -t;
		return 0;
	}
	ret = k_strtoull(s, base, &t);
	if (ret)
		return ret;
	if ((long long)t < 0)
		return -ERANGE;
	*res = t;
	return 0;
}

static int k_strtouint(const char *s, unsigned int base, unsigned int *res)
{
	unsigned long long t;
	int ret = k_strtoull(s, base, &t);

	if (ret)
		return ret;
	if (t != (unsigned int)t)
		return -ERANGE;
	*res = t;
	return 0;
}

static int k_strtoint(const char *s, unsigned int base, int *res)
{
	long long t;
	int ret = k_strtoll(s, base, &t);

	if (ret)
		return ret;
	if (t != (int)t)
		return -ERANGE;
	*res = t;
	return 0;
}

/* sysfs_streq(): equal, but for one trailing newline on either side */
static bool k_sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

/* The input's words between blanks, as the handlers' strsep(" \t\n"). */
struct words {
	int n;			/* MAX_WORDS + 1: more than MAX_WORDS */
	char *w[MAX_WORDS];
	char buf[IN_MAX + 1];
};

static void split(const char *in, size_t len, struct words *ws)
{
	char *p = ws->buf, *word;

	memcpy(ws->buf, in, len);
	ws->buf[len] = '\0';
	ws->n = 0;
	while ((word = strsep(&p, " \t\n"))) {
		if (!*word)
			continue;
		if (ws->n == MAX_WORDS) {
			ws->n++;
			return;
		}
		ws->w[ws->n++] = word;
	}
}

static bool is_cmd(const struct words *ws, const char *word, int n)
{
	return ws->n == n && !strcmp(ws->w[0], word);
}

static bool has_nul(const char *in, size_t len)
{
	return !!memchr(in, '\0', len);
}

/* Also a debugfs name: 1 to @max of ASCII alnum and @extra, not . or .. */
static bool name_ok(const char *s, size_t max, const char *extra)
{
	size_t i, len = strlen(s);

	if (!len || len > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; i < len; i++)
		if (!isascii((unsigned char)s[i]) ||
		    (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i])))
			return false;
	return true;
}

/* ---- Reading the state ------------------------------------------------- */

static char rbuf[1 << 16];

/*
 * The state files stay open during a file's run and are read with pread()
 * from offset 0, which makes a seq_file show them anew: on a debug kernel
 * an open and a close cost more than the write under test.
 */
#define FD_CACHE	32

static struct {
	char path[512];
	int fd;
} fd_cache[FD_CACHE];
static int fd_cached;

static int pread_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len - 1) {
		n = pread(fd, buf + got, len - 1 - got, got);
		if (n < 0)
			return -errno;
		if (!n)
			break;
		got += n;
	}
	buf[got] = '\0';
	return got;
}

static int cached_read(const char *path, char *buf, size_t len)
{
	int i, fd, n;

	for (i = 0; i < fd_cached; i++) {
		if (strcmp(fd_cache[i].path, path))
			continue;
		n = pread_all(fd_cache[i].fd, buf, len);
		if (n >= 0)
			return n;
		/* removed (a device gone), perhaps back: open it again */
		close(fd_cache[i].fd);
		fd_cache[i] = fd_cache[--fd_cached];
		break;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread_all(fd, buf, len);
	if (n < 0 || fd_cached == FD_CACHE ||
	    strlen(path) >= sizeof(fd_cache[0].path)) {
		close(fd);
		return n;
	}
	strcpy(fd_cache[fd_cached].path, path);
	fd_cache[fd_cached++].fd = fd;
	return n;
}

/* The value of a "key value" line of @path, or STAT_MISSING; cached. */
static long cstat(const char *path, const char *key)
{
	static char buf[1 << 14];
	size_t klen = strlen(key);
	char *line, *save = NULL;

	if (cached_read(path, buf, sizeof(buf)) < 0)
		return STAT_MISSING;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return strtol(line + klen + 1, NULL, 0);
	return STAT_MISSING;
}

/* The directories the state lists stay open too, rewound for each list. */
#define DIR_CACHE	8

static struct {
	char path[512];
	DIR *d;
} dir_cache[DIR_CACHE];
static int dir_cached;

static DIR *cached_dir(const char *path)
{
	DIR *d;
	int i;

	for (i = 0; i < dir_cached; i++) {
		if (!strcmp(dir_cache[i].path, path)) {
			rewinddir(dir_cache[i].d);
			return dir_cache[i].d;
		}
	}
	d = opendir(path);
	if (d && dir_cached < DIR_CACHE && strlen(path) < 512) {
		strcpy(dir_cache[dir_cached].path, path);
		dir_cache[dir_cached++].d = d;
	}
	return d;
}

static void dir_done(DIR *d)
{
	int i;

	for (i = 0; i < dir_cached; i++)
		if (dir_cache[i].d == d)
			return;
	if (d)
		closedir(d);
}

/* Open files pin their modules: closed after each file's run. */
static void cache_drop(void)
{
	while (fd_cached)
		close(fd_cache[--fd_cached].fd);
	while (dir_cached)
		closedir(dir_cache[--dir_cached].d);
}

/* Appends @path's lines: all, those of @keys ("k ..."), or all but those. */
static void st_file(struct buf *st, const char *path, const char *const *keys,
		    bool but)
{
	char *line, *save = NULL;
	bool match;
	size_t i;

	b_printf(st, "[%s]\n", path);
	if (cached_read(path, rbuf, sizeof(rbuf)) < 0) {
		b_puts(st, "(unreadable)\n");
		return;
	}
	for (line = strtok_r(rbuf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		match = !keys;
		for (i = 0; keys && keys[i] && !match; i++)
			match = !strncmp(line, keys[i], strlen(keys[i])) &&
				line[strlen(keys[i])] == ' ';
		if (keys && but)
			match = !match;
		if (match) {
			b_puts(st, line);
			b_putc(st, '\n');
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in @dir (no dot files); returns how many. */
static int names_in(const char *dir, char names[][64], int max, bool cached)
{
	char *ptr[128];
	char tmp[128][64];
	struct dirent *e;
	int n = 0, i;
	DIR *d;

	d = cached ? cached_dir(dir) : opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max && n < 128) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(tmp[n], 64, "%.63s", e->d_name);
		ptr[n] = tmp[n];
		n++;
	}
	if (cached)
		dir_done(d);
	else
		closedir(d);
	qsort(ptr, n, sizeof(ptr[0]), cmp_str);
	for (i = 0; i < n; i++)
		snprintf(names[i], 64, "%.63s", ptr[i]);
	return n;
}

static int dir_names(const char *dir, char names[][64], int max)
{
	return names_in(dir, names, max, false);
}

static void st_dir(struct buf *st, const char *dir)
{
	char names[128][64];
	int i, n = names_in(dir, names, 128, true);

	b_printf(st, "[%s/]", dir);
	for (i = 0; i < n; i++)
		b_printf(st, " %s", names[i]);
	b_putc(st, '\n');
}

static long stat_of(const char *dir, const char *file, const char *key)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return cstat(path, key);
}

/* ---- The files and their oracles --------------------------------------- */

enum verdict {
	V_BAD,		/* invalid: the write must fail */
	V_OK,		/* valid: the write must succeed */
	V_MAYBE,	/* valid, but may fail (no such name, dhp refuses) */
	V_SKIP,		/* valid, but too costly or disruptive: not written */
};

struct fuzz_file;

/*
 * A part of the state a file's writes may change: the lines of a file
 * (those of @keys, or all but those), or the names in a directory. @path
 * is absolute, or "" for the fuzzed file, or "./NAME" for the file NAME
 * beside it; ending in "/", the directory's names; with a component "*",
 * that path in each entry of the directory before it (but the fuzzed file).
 */
struct shown {
	const char *path;
	const char *const *keys;	/* "key value" lines; NULL: all */
	bool but;			/* all lines but those of @keys */
};

/*
 * A file that takes one value (sysfs-like): a word of @words as
 * sysfs_streq() compares, or a number in a range by kstrtouint().
 */
struct value {
	const char *const *words;	/* NULL: a number */
	const char *const *near;	/* not words, for the inputs */
	/* what the file reads after words[i]: shows[i % count], or words[i] */
	const char *const *shows;
	unsigned int base;
	long long lo, hi;
	/* a range that other files set: narrows [lo, hi] */
	void (*range)(long long *lo, long long *hi);
	long long cheap;	/* above it: valid, not written (0: none) */
	size_t max;		/* longer inputs are refused (0: a page) */
	bool maybe;		/* a valid one may fail (no device ready) */
	bool reads_back;	/* a write that succeeds shows in the file */
};

/* NULL-terminated lists, for the table */
#define STRS(...)	((const char *const []){ __VA_ARGS__, NULL })
#define SHOWN(...)	((const struct shown []){ __VA_ARGS__, { NULL } })
#define VALUE(...)	(&(const struct value){ __VA_ARGS__ })

struct oracle {
	/* fnmatch(), relative to debugfs or /sys/kernel; a parameter's path */
	const char *pattern;
	int order;		/* the files are fuzzed by increasing order */
	/* a file of commands: its grammar, and a valid one (or nearly) */
	enum verdict (*check)(struct fuzz_file *f, const char *in, size_t len);
	int (*gen)(struct fuzz_file *f, struct rng *r, char w[][160]);
	const struct value *value;	/* or a file of one value */
	const struct shown *state;	/* what its writes change */
	/*
	 * What the run leaves as it found it: @kept, or @state if NULL;
	 * nothing if @lasting (counters that only grow).
	 */
	const struct shown *kept;
	bool lasting;
	/* How: the file's first value written back, */
	bool save;
	const char *const *end;		/* these commands written, */
	/*
	 * and for each entry of the directory @objects (what the commands
	 * make) the commands @fresh if the run made it, else @old ("%s": its
	 * name), or wait until no rebalance round is pending (@settle).
	 */
	const char *objects;
	const char *const *fresh, *const *old;
	bool settle;
};

struct fuzz_file {
	char path[512];
	char rel[256];
	char dir[512];		/* the directory it is in */
	const struct oracle *o;
	char saved[512];	/* its first value, or the objects " a b " */
	char expect[64];	/* what it must read after this write */
	unsigned long loud;	/* valid writes that make dhp print */
	bool sysfs;		/* kernfs: at most a page, "" not passed on */
	bool param;		/* a module parameter: its setter sees a string */
	unsigned long writes, accepted, rejected, skipped, fails;
};

static int nr_cpu_ids_guest;
static long avail_mb;

static const char *pickz(struct rng *r, const char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return v[below(r, n)];
}

static bool is_self(struct fuzz_file *f, const char *dir, const char *name)
{
	return !strcmp(dir, f->dir) && !strcmp(name, strrchr(f->path, '/') + 1);
}

/* Appends to @st the state @s shows for @f. */
static void show(struct fuzz_file *f, const struct shown *s, struct buf *st)
{
	char path[PATH_MAX], sub[PATH_MAX], names[128][64], *star;
	size_t len;
	int i, n;

	for (; s->path; s++) {
		if (!strncmp(s->path, "./", 2))
			snprintf(path, sizeof(path), "%s/%.200s", f->dir,
				 s->path + 2);
		else
			snprintf(path, sizeof(path), "%s", *s->path ? s->path : f->path);
		len = strlen(path);
		star = strstr(path, "/*/");
		if (path[len - 1] == '/') {
			path[len - 1] = '\0';
			st_dir(st, path);
		} else if (!star) {
			st_file(st, path, s->keys, s->but);
		} else {
			*star = '\0';
			n = names_in(path, names, 128, true);
			for (i = 0; i < n; i++) {
				if (is_self(f, path, names[i]))
					continue;
				snprintf(sub, sizeof(sub), "%.2000s/%.63s/%.200s", path,
					 names[i], star + 3);
				st_file(st, sub, s->keys, s->but);
			}
		}
	}
}

/*
 * A valid write that makes dhp print a line or more each time (it refuses
 * a registration, or runs its misuse cases): written so many times in a
 * file's run only, or the console (a serial port) is what gets tested.
 */
#define LOUD_MAX	100

static enum verdict loud(struct fuzz_file *f, enum verdict v)
{
	return f->loud++ < LOUD_MAX ? v : V_SKIP;
}

/* Numbers: in range mostly near its ends, else out of it or malformed. */
static const char *const huge_nums[] = {
	"2147483647", "2147483648", "4294967295", "4294967296", "4294967297",
	"9223372036854775807", "9223372036854775808", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999999999",
	"-2147483648", "-2147483649", "-4294967296", "-9223372036854775808",
	"-9223372036854775809", "-18446744073709551616",
	"0000000000000000000000000000000000000000001",
};

static const char *const junk_nums[] = {
	"", "-", "+", "0x", "0x1g", "1e3", "1.5", "--1", "+-1", "-+1", "1-",
	"0b1", "1,000", "1_000", "nan", "0X10", "010", "08", "0x7fffffff",
	"+0", "-0", "0x-1", "\xd9\xa1", "1\r", " 1", "1 1", "\xff",
};

static void gen_num(struct rng *r, char *out, long long lo, long long hi)
{
	unsigned long long span = (unsigned long long)(hi - lo);
	long long v;

	switch (below(r, 18)) {
	case 0:
		v = lo;
		break;
	case 1:
		v = hi;
		break;
	case 2:
	case 3:
		v = lo + below(r, span < 16 ? span + 1 : 16);
		break;
	case 4:
	case 5:
		v = lo + (long long)(rnd(r) % (span + 1 ? span + 1 : 1));
		break;
	case 6:
		sprintf(out, "%lld", lo - 1);
		return;
	case 7:
		sprintf(out, "%lld", hi + 1);
		return;
	case 8:
	case 9:
		strcpy(out, pick(r, huge_nums, ARRAY_SIZE(huge_nums)));
		return;
	case 10:
		sprintf(out, "+%lld", lo + below(r, 8));
		return;
	case 11:
		sprintf(out, "%0*lld", 2 + below(r, 40), lo + below(r, 8));
		return;
	case 12:
		sprintf(out, "0x%llx", (unsigned long long)(lo + below(r, 64)));
		return;
	case 13:
	case 14:
		strcpy(out, pick(r, junk_nums, ARRAY_SIZE(junk_nums)));
		return;
	case 15: {
		int i, n = 1 + below(r, 40);

		for (i = 0; i < n; i++)
			out[i] = '0' + below(r, 10);
		out[n] = '\0';
		return;
	}
	case 16:
		sprintf(out, "-%lld", lo > 0 ? lo + below(r, 8) :
			(long long)below(r, 8) + 1);
		return;
	default:
		sprintf(out, "%lld%c", lo + below(r, 8), "kKxX.,;-+\r"[below(r, 10)]);
		return;
	}
	sprintf(out, "%lld", v);
}

/* ---- Files of one value: the rules above ------------------------------- */

static void value_range(const struct value *v, long long *lo, long long *hi)
{
	*lo = v->lo;
	*hi = v->hi;
	if (v->range)
		v->range(lo, hi);
}

static enum verdict value_check(struct fuzz_file *f, const char *in,
				size_t len)
{
	const struct value *v = f->o->value;
	char s[PAGE + 1];
	long long lo, hi;
	unsigned int n;
	size_t i;

	if (!len || len > (v->max ?: PAGE) || has_nul(in, len))
		return V_BAD;
	memcpy(s, in, len);
	s[len] = '\0';
	if (v->words) {
		for (i = 0; v->words[i] && !k_sysfs_streq(v->words[i], s); i++)
			;
		if (!v->words[i])
			return V_BAD;
		for (n = 0; v->shows && v->shows[n]; n++)
			;
		if (v->reads_back)
			snprintf(f->expect, sizeof(f->expect), "%s",
				 n ? v->shows[i % n] : v->words[i]);
		return v->maybe ? V_MAYBE : V_OK;
	}
	value_range(v, &lo, &hi);
	if (k_strtouint(s, v->base, &n) || n < lo || n > hi)
		return V_BAD;
	if (v->cheap && n > v->cheap)
		return V_SKIP;
	if (v->reads_back)
		snprintf(f->expect, sizeof(f->expect), "%u", n);
	return v->maybe ? V_MAYBE : V_OK;
}

/* A word, or mostly near one; a number near the ends, mostly cheap. */
static int value_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	const struct value *v = f->o->value;
	long long lo, hi;

	if (v->words) {
		strcpy(w[0], pickz(r, chance(r, 70) ? v->words : v->near));
		return 1;
	}
	value_range(v, &lo, &hi);
	gen_num(r, w[0], lo, v->cheap && chance(r, 80) ? v->cheap : hi);
	return 1;
}

/*
 * The high-memory parameters (/sys/module/dhp/parameters/): low_mb and
 * high_mb in [1, 2^30] and low_mb < high_mb, the other threshold as it is
 * now; period_ms in [10, 3600000].
 */
#define HM_MAX		1073741824U	/* 2^30 */
#define PERIOD_MIN	10
#define PERIOD_MAX	3600000

/* A parameter's value, through the cache: a write costs less than an open */
static long param_now(const char *path)
{
	char buf[32];

	return cached_read(path, buf, sizeof(buf)) > 0 ? strtol(buf, NULL, 10) :
							  STAT_MISSING;
}

static void low_range(long long *lo, long long *hi)
{
	*hi = param_now(HM_HIGH) - 1;
}

static void high_range(long long *lo, long long *hi)
{
	*lo = param_now(HM_LOW) + 1;
}

/* Half near the bound the other threshold sets, half around avail_mb. */
static int hm_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	long long lo, hi, mid = avail_mb > 2 ? avail_mb : 1024;

	value_range(f->o->value, &lo, &hi);
	if (chance(r, 50)) {
		if (!strcmp(f->path, HM_LOW))
			hi = mid;
		else
			lo = mid;
	}
	gen_num(r, w[0], lo, hi);
	return 1;
}

/* the rebalance_hint_only parameter: a strict boolean, shown as N or Y */
static const char *const bools[] = {
	"0", "1", "n", "y", "N", "Y", "no", "yes", "off", "on", "false", "true",
	NULL,
};

static const char *const near_bools[] = {
	"2", "-1", "Yes", "YES", "No", "On", "OFF", "True", "t", "f", "o",
	"of", "yess", "yellow", "nope", "enable", "disable", "Y Y", "10",
	"00", "y\n\n", "", NULL,
};

/* sysfs dhp/rebalance/<device>/policy */
static const char *const policies[] = {
	"default", "participate", "opt-out", NULL,
};

static const char *const near_policies[] = {
	"Default", "DEFAULT", "defaul", "defaults", "opt_out", "optout",
	"opt-in", "participates", "participat", "none", "net", "other",
	"default participate", "-", "", NULL,
};

/* ---- Files of commands -------------------------------------------------- */

/* The words of a command of 1 to @max bytes and 1 to @n words, or NULL. */
static struct words *command(const char *in, size_t len, size_t max, int n)
{
	static struct words ws;

	if (!len || len > max || has_nul(in, len))
		return NULL;
	split(in, len, &ws);
	return ws.n >= 1 && ws.n <= n ? &ws : NULL;
}

/* A count in [lo, hi] (base 10), into @n: not written above @cheap. */
static enum verdict count_of(const char *w, unsigned int lo, unsigned int hi,
			     unsigned int cheap, unsigned int *n)
{
	if (k_strtouint(w, 10, n) || *n < lo || *n > hi)
		return V_BAD;
	return *n > cheap ? V_SKIP : V_MAYBE;
}

/* An injected failure "CPU ERRNO": CPU -1 (any) or one, a -errno. */
static bool cpu_errno_ok(const char *cpu_w, const char *err_w)
{
	int cpu, err;

	return !k_strtoint(cpu_w, 10, &cpu) && !k_strtoint(err_w, 10, &err) &&
	       cpu >= -1 && cpu < nr_cpu_ids_guest && err < 0 && err >= -4095;
}

static void gen_cpu_errno(struct rng *r, char w[][160])
{
	gen_num(r, w[0], -1, nr_cpu_ids_guest - 1);
	gen_num(r, w[1], -4095, -1);
}

/* dhp_sample/fail: "off", or "CPU ERRNO" */
static enum verdict fail_check(struct fuzz_file *f, const char *in,
			       size_t len)
{
	struct words *ws = command(in, len, 31, 2);

	if (ws && ws->n == 1)
		return strcmp(ws->w[0], "off") ? V_BAD : V_OK;
	return ws && cpu_errno_ok(ws->w[0], ws->w[1]) ? V_OK : V_BAD;
}

static int fail_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	if (chance(r, 15)) {
		strcpy(w[0], chance(r, 80) ? "off" : "Off");
		return 1;
	}
	gen_cpu_errno(r, w);
	return 2;
}

/* dhp_rbdev/ctl */
static bool keep_dev(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keep_devs); i++)
		if (!strcmp(name, keep_devs[i]))
			return true;
	return false;
}

static bool rbdev_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), RBDEV "/%.63s", name);
	return strlen(name) < 64 && !strchr(name, '/') && !access(path, F_OK);
}

static bool word_in(const char *const *v, const char *s)
{
	while (*v && strcmp(*v, s))
		v++;
	return *v;
}

static enum verdict rbdev_check(struct fuzz_file *f, const char *in,
				size_t len)
{
	struct words *ws = command(in, len, 127, 7);
	unsigned int n;
	enum verdict v;
	int node;

	if (!ws)
		return V_BAD;
	if (!strcmp(ws->w[0], "add") && ws->n >= 4) {
		/* not its own file's name; dhp calls it dhp_rbdev:NAME */
		if (!name_ok(ws->w[1], 31, "_.:-") || !strcmp(ws->w[1], "ctl") ||
		    !word_in(STRS("other", "net"), ws->w[2]) ||
		    k_strtouint(ws->w[3], 10, &n) || n < 1 || n > 64 ||
		    (ws->n >= 5 && !word_in(policies, ws->w[4])))
			return V_BAD;
		/* NODE: any int; dhp refuses one that is not possible */
		if (ws->n >= 6 && k_strtoint(ws->w[5], 10, &node))
			return V_BAD;
		if (ws->n == 7 && !word_in(STRS("managed", "nobalancing"),
					   ws->w[6]))
			return V_BAD;
		if (rbdev_exists(ws->w[1]))
			return V_MAYBE;		/* -EEXIST */
		if (n > 4 || cstat(RB_DEBUGFS "/stats", "devices") >= 6)
			return V_SKIP;
		return V_MAYBE;
	}
	if (is_cmd(ws, "remove", 2))
		return keep_dev(ws->w[1]) ? V_SKIP : V_MAYBE;
	/* the kept devices stay willing and quick */
	if (is_cmd(ws, "refuse", 3)) {
		v = count_of(ws->w[2], 0, 1, 1, &n);
		return v != V_BAD && n && keep_dev(ws->w[1]) ? V_SKIP : v;
	}
	if (is_cmd(ws, "slowstop", 3)) {
		v = count_of(ws->w[2], 0, 10000, 20, &n);
		return v != V_BAD && n && keep_dev(ws->w[1]) ? V_SKIP : v;
	}
	if (is_cmd(ws, "load", 3))
		return count_of(ws->w[2], 1, 600000, 20, &n);
	return V_BAD;
}

static const char *const rbdev_names[] = {
	"fzo", "fzn", "fz0", "fz1", "fz2", "a", "A-b_c.d:e", "bad!name",
	".", "..", "x/y", "\xe9t\xe9", "0123456789012345678901234567890",
	"01234567890123456789012345678901", "nosuch", "-", "ctl", "stats",
	"trigger", "hint_only",
};

static int rbdev_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	static const char *const classes[] = { "other", "net", "Net", "OTHER",
					       "purple", "" };

	strcpy(w[1], chance(r, 70) ? rbdev_names[below(r, 5)] :
		     pick(r, rbdev_names, ARRAY_SIZE(rbdev_names)));
	switch (below(r, 5)) {
	case 0:
		strcpy(w[0], "add");
		strcpy(w[2], chance(r, 85) ? classes[below(r, 2)] :
			     pick(r, classes, ARRAY_SIZE(classes)));
		gen_num(r, w[3], 1, chance(r, 80) ? 4 : 64);
		if (chance(r, 50))
			return 4;
		strcpy(w[4], pickz(r, chance(r, 85) ? policies : near_policies));
		return 5;
	case 1:
		strcpy(w[0], "remove");
		return 2;
	case 2:
		strcpy(w[0], "refuse");
		gen_num(r, w[2], 0, 1);
		return 3;
	case 3:
		strcpy(w[0], "slowstop");
		gen_num(r, w[2], 0, chance(r, 80) ? 20 : 10000);
		return 3;
	default:
		strcpy(w[0], "load");
		gen_num(r, w[2], 1, chance(r, 80) ? 20 : 600000);
		return 3;
	}
}

/* dhp_test/ctl */
#define TEST_CLIENTS_MAX	8

static enum verdict test_check(struct fuzz_file *f, const char *in,
			       size_t len)
{
	struct words *ws = command(in, len, 128, 4);
	unsigned int n, flags;
	long clients;
	int idx;

	if (!ws)
		return V_BAD;
	if (is_cmd(ws, "register", 3)) {
		if (k_strtouint(ws->w[1], 10, &n) ||
		    k_strtouint(ws->w[2], 10, &flags))
			return V_BAD;
		if (flags & ~1U)	/* dhp refuses the first: -EINVAL */
			return loud(f, V_MAYBE);
		clients = stat_of(TEST_DEBUGFS, "stats", "clients");
		return n > 2 || clients + n > TEST_CLIENTS_MAX ? V_SKIP :
								  V_MAYBE;
	}
	if (is_cmd(ws, "badinput", 1))
		return loud(f, V_OK);
	if (is_cmd(ws, "unregister", 1) || is_cmd(ws, "reset", 1))
		return V_OK;
	if (is_cmd(ws, "veto", 2) && !strcmp(ws->w[1], "off"))
		return V_OK;
	if (is_cmd(ws, "veto", 4)) {
		if (k_strtoint(ws->w[1], 10, &idx) || idx < 0 ||
		    !cpu_errno_ok(ws->w[2], ws->w[3]))
			return V_BAD;
		/* a veto of a client to come would fail registrations */
		return idx < 1000000 ? V_SKIP : V_OK;
	}
	if (is_cmd(ws, "selfunreg", 2))
		return k_strtoint(ws->w[1], 10, &idx) ? V_BAD : V_OK;
	if (is_cmd(ws, "othersfrom", 3))
		return k_strtoint(ws->w[1], 10, &idx) || idx < 0 ?
		       V_BAD : count_of(ws->w[2], 1, INT_MAX, 20, &n);
	if (is_cmd(ws, "churn", 2))
		return count_of(ws->w[1], 0, 600000, 20, &n);
	if (is_cmd(ws, "rbmisuse", 1) || is_cmd(ws, "rbleak", 1))
		return V_SKIP;		/* the api_misuse test's, sync's */
	if (is_cmd(ws, "rbdone", 1))
		return V_MAYBE;		/* -ENOENT: no device */
	return V_BAD;
}

static int test_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	static const char *const one[] = { "unregister", "badinput", "reset",
					   "rbdone", "Unregister", "reset!" };

	switch (below(r, 7)) {
	case 0:
	case 1:
		strcpy(w[0], "register");
		gen_num(r, w[1], 0, 2);
		gen_num(r, w[2], 0, 1);
		return 3;
	case 2:
		strcpy(w[0], pick(r, one, ARRAY_SIZE(one)));
		return 1;
	case 3:
		strcpy(w[0], "veto");
		if (chance(r, 30)) {
			strcpy(w[1], chance(r, 80) ? "off" : "of");
			return 2;
		}
		gen_num(r, w[1], 1000000, INT_MAX);
		gen_cpu_errno(r, w + 2);
		return 4;
	case 4:
		strcpy(w[0], "selfunreg");
		gen_num(r, w[1], -1, 100);
		return 2;
	case 5:
		strcpy(w[0], "churn");
		gen_num(r, w[1], 0, chance(r, 80) ? 20 : 600000);
		return 2;
	default:
		strcpy(w[0], chance(r, 50) ? "register" : "veto");
		return 1;
	}
}

/* dhp_evtest/ctl */
#define EV_CLIENTS_MAX	4
#define EV_FLAGS_ALL	7U

static long ev_clients(void)
{
	char names[128][64];

	return names_in(EVTEST "/clients", names, 128, true);
}

static bool ev_exists(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), EVTEST "/clients/%s", name);
	return !access(path, F_OK);
}

static enum verdict ev_check(struct fuzz_file *f, const char *in, size_t len)
{
	struct words *ws = command(in, len, 128, 4);
	unsigned int flags, sleep_ms = 0, ms;
	int on;

	if (!ws)
		return V_BAD;
	if (is_cmd(ws, "wait_high", 3)) {
		if (k_strtoint(ws->w[1], 10, &on) || on < 0 || on > 1)
			return V_BAD;
		return count_of(ws->w[2], 0, 600000, 20, &ms);	/* -ETIMEDOUT */
	}
	if (is_cmd(ws, "badinput", 1))
		return loud(f, V_OK);
	if (ws->n < 2 || !name_ok(ws->w[1], 15, "_-"))
		return V_BAD;
	if (!strcmp(ws->w[0], "register") && (ws->n == 3 || ws->n == 4)) {
		if (k_strtouint(ws->w[2], 10, &flags) ||
		    (ws->n == 4 && k_strtouint(ws->w[3], 10, &sleep_ms)) ||
		    sleep_ms > 10000)
			return V_BAD;
		if (ev_exists(ws->w[1]))
			return V_MAYBE;		/* -EINVAL */
		if ((flags & ~EV_FLAGS_ALL) || !(flags & 3))
			return loud(f, V_MAYBE);	/* dhp refuses */
		return sleep_ms > 10 || ev_clients() >= EV_CLIENTS_MAX ?
		       V_SKIP : V_MAYBE;
	}
	if (is_cmd(ws, "hold", 3)) {
		if (k_strtoint(ws->w[2], 10, &on) || on < 0 || on > 1)
			return V_BAD;
		/* a held callback would block its unregistration */
		return on && ev_exists(ws->w[1]) ? V_SKIP : V_MAYBE;
	}
	if (is_cmd(ws, "unregister", 2) || is_cmd(ws, "selfunreg", 2))
		return V_MAYBE;
	return V_BAD;
}

static const char *const ev_names[] = {
	"e0", "e1", "e2", "fz", "A_b-9", "fifteen-chars-x", "sixteen-chars-xx",
	"bad!", ".", "..", "a/b", "\xe9", "clients", "-",
};

static int ev_gen(struct fuzz_file *f, struct rng *r, char w[][160])
{
	strcpy(w[1], chance(r, 70) ? ev_names[below(r, 4)] :
		     pick(r, ev_names, ARRAY_SIZE(ev_names)));
	switch (below(r, 7)) {
	case 0:
	case 1:
		strcpy(w[0], "register");
		gen_num(r, w[2], 1, 7);
		if (chance(r, 50))
			return 3;
		gen_num(r, w[3], 0, chance(r, 80) ? 10 : 10000);
		return 4;
	case 2:
		strcpy(w[0], "unregister");
		return 2;
	case 3:
		strcpy(w[0], "hold");
		gen_num(r, w[2], 0, 1);
		return 3;
	case 4:
		strcpy(w[0], "selfunreg");
		return 2;
	case 5:
		strcpy(w[0], "wait_high");
		gen_num(r, w[1], 0, 1);
		gen_num(r, w[2], 0, chance(r, 80) ? 20 : 600000);
		return 3;
	default:
		strcpy(w[0], chance(r, 70) ? "badinput" : "bogus");
		return 1;
	}
}

/* ---- The table ---------------------------------------------------------- */

#define IO_CHEAP	64
#define EDU_CHEAP	4

static const struct shown hm_shown[] = {
	{ HM_LOW }, { HM_HIGH }, { HM_PERIOD }, { NULL }
};

static const char *const rb_devices[] = { "devices", NULL };

static const struct oracle oracles[] = {
	{ HM_LOW, 5, .gen = hm_gen, .state = hm_shown, .save = true,
	  .value = VALUE(.lo = 1, .hi = HM_MAX, .range = low_range,
			 .reads_back = true) },
	{ HM_HIGH, 6, .gen = hm_gen, .state = hm_shown, .save = true,
	  .value = VALUE(.lo = 1, .hi = HM_MAX, .range = high_range,
			 .reads_back = true) },
	{ HM_PERIOD, 7, .state = hm_shown, .save = true,
	  .value = VALUE(.lo = PERIOD_MIN, .hi = PERIOD_MAX,
			 .reads_back = true) },
	/* not walked: mods.runtime_params fuzzes it, with dhp alone */
	{ HINT_PARAM, 20, .save = true,
	  .value = VALUE(.words = bools, .near = near_bools,
			 .shows = STRS("N", "Y"), .reads_back = true),
	  .state = SHOWN({ RB_DEBUGFS "/stats", STRS("hint_only") },
			 { HINT_PARAM }) },
	/* in sysfs, as the last */
	{ "dhp/rebalance/*/policy", 30, .save = true,
	  .value = VALUE(.words = policies, .near = near_policies,
			 .reads_back = true),
	  .state = SHOWN({ "" }, { "./resolved_policy" }) },
	/* kstrtouint() with base 0 */
	{ "dhp_sample/io", 40, .lasting = true,
	  .value = VALUE(.lo = 1, .hi = 1000000, .cheap = IO_CHEAP, .max = 31),
	  .state = SHOWN({ SAMPLE_DEBUGFS "/cpus" },
			 { SAMPLE_STATS, STRS("allocs", "frees", "vetoes",
					      "missing") }) },
	{ "dhp_sample/fail", 50, fail_check, fail_gen, .save = true,
	  .state = SHOWN({ "" }) },
	/* next_idx counts attempts, failed ones too: not state */
	{ "dhp_test/ctl", 60, test_check, test_gen,
	  .state = SHOWN({ TEST_STATS, STRS("next_idx"), true },
			 { DHP_DEBUGFS "/cpu_clients" }),
	  .kept = SHOWN({ TEST_STATS, STRS("clients") },
			{ DHP_DEBUGFS "/cpu_clients", STRS("# clients") }),
	  .end = STRS("unregister", "veto off", "selfunreg -1") },
	/*
	 * selfunreg is set by a client's callback, whenever its events come;
	 * dhp counts its asynchronous clients (their counters move)
	 */
	{ "dhp_evtest/ctl", 70, ev_check, ev_gen,
	  .state = SHOWN({ EVTEST "/clients/" },
			 { EVTEST "/results", STRS("selfunreg"), true },
			 { DHP_DEBUGFS "/event_clients", STRS("# clients") }),
	  .kept = SHOWN({ EVTEST "/clients/" },
			{ DHP_DEBUGFS "/event_clients", STRS("# clients") }),
	  .objects = EVTEST "/clients",
	  .fresh = STRS("hold %s 0", "unregister %s") },
	{ "dhp_rbdev/ctl", 80, rbdev_check, rbdev_gen,
	  .state = SHOWN({ RBDEV "/" }, { RB_DEBUGFS "/" },
			 { RBDEV "/*/stats", STRS("refusing", "submitted",
						  "completed", "failed",
						  "order_errors") },
			 { RB_DEBUGFS "/stats", rb_devices }),
	  .kept = SHOWN({ RBDEV "/" }, { RB_DEBUGFS "/" },
			{ RBDEV "/*/stats", STRS("refusing") },
			{ RB_DEBUGFS "/stats", rb_devices }),
	  .objects = RBDEV, .fresh = STRS("remove %s"),
	  .old = STRS("refuse %s 0", "slowstop %s 0") },
	/* kstrtouint() with base 10 */
	{ "dhp_edu/*/submit", 90, .lasting = true,
	  .value = VALUE(.base = 10, .lo = 1, .hi = 100000,
			 .cheap = EDU_CHEAP, .max = 24, .maybe = true),
	  .state = SHOWN({ "./stats", STRS("submitted", "completed",
					  "errors") }) },
	/* "1" asks for a round */
	{ "dhp/rebalance/trigger", 100, .settle = true,
	  .value = VALUE(.words = STRS("1"),
			 .near = STRS("0", "2", "11", "now", "yes", "Y",
				      "1 1", "-1", "01", "")),
	  .state = SHOWN({ RB_DEBUGFS "/stats", STRS("devices",
						    "hint_only") }) },
};

/* Waits until no round is pending: "rounds" still for half a second. */
static void rebalance_settle(void)
{
	long last = -1, now;
	int i;

	for (i = 0; i < 600; i++) {
		now = stat_value(RB_DEBUGFS "/stats", "rounds");
		if (now == last)
			return;
		last = now;
		usleep(500000);
	}
}

/* What the run found, for run_end(): the file's value, or the objects. */
static void run_begin(struct fuzz_file *f)
{
	char names[128][64];
	int i, n;
	size_t o;

	f->saved[0] = '\0';
	if (f->o->save) {
		n = read_file(f->path, f->saved, sizeof(f->saved));
		if (n > 0 && f->saved[n - 1] == '\n')
			f->saved[n - 1] = '\0';
	}
	if (!f->o->objects)
		return;
	n = dir_names(f->o->objects, names, 128);
	strcpy(f->saved, " ");
	for (i = 0, o = 1; i < n && o + strlen(names[i]) + 2 < sizeof(f->saved);
	     i++)
		o += sprintf(f->saved + o, "%s ", names[i]);
}

/* Puts back what the run changed, as the oracle says. */
static void run_end(struct fuzz_file *f)
{
	const struct oracle *o = f->o;
	const char *const *cmd;
	char names[128][64], key[80];
	int i, n;

	if (o->save)
		write_file(f->path, f->saved);
	for (cmd = o->end; cmd && *cmd; cmd++)
		write_file(f->path, *cmd);
	n = o->objects ? dir_names(o->objects, names, 128) : 0;
	for (i = 0; i < n; i++) {
		if (is_self(f, o->objects, names[i]))
			continue;
		snprintf(key, sizeof(key), " %.63s ", names[i]);
		cmd = strstr(f->saved, key) ? o->old : o->fresh;
		for (; cmd && *cmd; cmd++)
			write_filef(f->path, *cmd, names[i]);
	}
	if (o->settle)
		rebalance_settle();
}

/* ---- Finding the files -------------------------------------------------- */

static struct fuzz_file files[MAX_FILES];
static int nr_files;
static int nr_orphans;

static const struct oracle *oracle_of(const char *rel)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(oracles); i++)
		if (!fnmatch(oracles[i].pattern, rel, FNM_PATHNAME))
			return &oracles[i];
	return NULL;
}

/* @f for the file at @path, named @name for the oracles */
static void file_init(struct fuzz_file *f, const char *path, const char *name)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	snprintf(f->rel, sizeof(f->rel), "%s", name);
	snprintf(f->dir, sizeof(f->dir), "%s", path);
	*strrchr(f->dir, '/') = '\0';
	f->o = oracle_of(name);
	f->sysfs = strncmp(path, DEBUGFS "/", strlen(DEBUGFS) + 1);
	f->param = !strncmp(path, "/sys/module/", strlen("/sys/module/"));
}

static void add_file(const char *path, const char *name)
{
	if (!oracle_of(name)) {
		fprintf(stderr, "# writable file without an oracle: %s\n", path);
		nr_orphans++;
		return;
	}
	if (nr_files < MAX_FILES)
		file_init(&files[nr_files++], path, name);
}

/*
 * The writable files under @root/@rel, each named for the oracles by its
 * path relative to @root (debugfs, or /sys/kernel for dhp's sysfs).
 * Symbolic links are not followed (sysfs links devices).
 */
static void walk(const char *root, const char *rel)
{
	char path[512], sub[256];
	struct dirent *e;
	struct stat sb;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%.120s/%.120s", rel, e->d_name);
		snprintf(path, sizeof(path), "%s/%s", root, sub);
		if (lstat(path, &sb))
			continue;
		if (S_ISDIR(sb.st_mode))
			walk(root, sub);
		else if (S_ISREG(sb.st_mode) && (sb.st_mode & 0222))
			add_file(path, sub);
	}
	closedir(d);
}

static int file_cmp(const void *a, const void *b)
{
	const struct fuzz_file *x = a, *y = b;

	if (x->o->order != y->o->order)
		return x->o->order - y->o->order;
	return strcmp(x->rel, y->rel);
}

/* ---- Inputs ------------------------------------------------------------- */

static const char *const seps[] = {
	"  ", "\t", "\n", " \t ", "\r", "\v", "\f", ",", "", "\t\n\t", "\t\t",
};

static const char *const vocab[] = {
	"0", "1", "-1", "x", "off", "on", "Y", "default", "register", "add",
	"remove", "veto", "net", "\xff", "\x01", "\x7f", "4294967296", "junk",
	"ctl", "\xc3\xa9",
};

/* A random byte: any, printable, or from the grammars' alphabet. */
static char rnd_byte(struct rng *r, int kind)
{
	static const char alpha[] = "0123456789 -+\n\txyYnNoOfFadeglrstuv_.:";

	switch (kind) {
	case 0:
		return (char)below(r, 256);
	case 1:
		return (char)(' ' + below(r, 95));
	default:
		return alpha[below(r, sizeof(alpha) - 1)];
	}
}

static void gen_random(struct rng *r, struct buf *in)
{
	size_t n, i;
	int kind = below(r, 3);

	switch (below(r, 10)) {
	case 0 ... 4:
		n = 1 + below(r, 16);
		break;
	case 5 ... 7:
		n = 17 + below(r, 240);
		break;
	default:
		n = 257 + below(r, IN_MAX - 257);
		break;
	}
	for (i = 0; i < n; i++)
		b_putc(in, rnd_byte(r, kind));
}

/* Mutations of one byte of @in. */
static void mutate_bytes(struct rng *r, struct buf *in)
{
	size_t pos, n, i;

	switch (below(r, 8)) {
	case 0:		/* flip */
		if (in->len)
			in->p[below(r, in->len)] ^= 1 << below(r, 8);
		break;
	case 1:		/* insert a byte, perhaps a NUL */
		if (in->len < in->cap) {
			pos = below(r, in->len + 1);
			memmove(in->p + pos + 1, in->p + pos, in->len - pos);
			in->p[pos] = chance(r, 40) ? '\0' : rnd_byte(r, 0);
			in->len++;
		}
		break;
	case 2:		/* delete */
		if (in->len) {
			pos = below(r, in->len);
			memmove(in->p + pos, in->p + pos + 1, in->len - pos - 1);
			in->len--;
		}
		break;
	case 3:		/* truncate */
		in->len = below(r, in->len + 1);
		break;
	case 4:		/* trailing garbage */
		n = 1 + below(r, 24);
		for (i = 0; i < n; i++)
			b_putc(in, rnd_byte(r, below(r, 3)));
		break;
	case 5:		/* a NUL and more after it */
		b_putc(in, '\0');
		b_puts(in, chance(r, 50) ? "junk" : "1");
		break;
	case 6:		/* padded past a page */
		n = PAGE + below(r, PAGE);
		if (chance(r, 50)) {
			for (i = 0; i < n; i++)
				b_putc(in, chance(r, 90) ? ' ' : '\n');
		} else {
			char *tail = strndup(in->p, in->len);
			size_t tl = in->len;

			in->len = 0;
			for (i = 0; i < n; i++)
				b_putc(in, '0');
			if (tail)
				b_putn(in, tail, tl);
			free(tail);
		}
		break;
	default:	/* a high or control byte replaces one */
		if (in->len)
			in->p[below(r, in->len)] = chance(r, 50) ?
				(char)(0x80 + below(r, 128)) :
				(char)below(r, 32);
		break;
	}
}

/* A valid command (or nearly) from the oracle, mutated by words or bytes. */
static void gen_command(struct fuzz_file *f, struct rng *r, struct buf *in)
{
	static char w[MAX_WORDS + 2][160];
	int n = (f->o->gen ?: value_gen)(f, r, w), i, j, k;
	char tmp[160], tmp2[160];

	if (chance(r, 40)) {
		switch (below(r, 6)) {
		case 0:		/* a word missing */
			if (n) {
				i = below(r, n);
				for (j = i; j < n - 1; j++)
					strcpy(w[j], w[j + 1]);
				n--;
			}
			break;
		case 1:		/* a word too many */
			if (n < MAX_WORDS + 1) {
				i = below(r, n + 1);
				for (j = n; j > i; j--)
					strcpy(w[j], w[j - 1]);
				strcpy(w[i], pick(r, vocab, ARRAY_SIZE(vocab)));
				n++;
			}
			break;
		case 2:		/* a word twice */
			if (n && n < MAX_WORDS + 1) {
				i = below(r, n);
				for (j = n; j > i; j--)
					strcpy(w[j], w[j - 1]);
				n++;
			}
			break;
		case 3:		/* two words swapped */
			if (n > 1) {
				i = below(r, n - 1);
				j = i + 1 + below(r, n - 1 - i);
				strcpy(tmp, w[i]);
				strcpy(tmp2, w[j]);
				strcpy(w[i], tmp2);
				strcpy(w[j], tmp);
			}
			break;
		case 4:		/* a word replaced */
			if (n)
				strcpy(w[below(r, n)], pick(r, vocab, ARRAY_SIZE(vocab)));
			break;
		default:	/* case changed */
			if (n) {
				i = below(r, n);
				for (k = 0; w[i][k]; k++)
					w[i][k] = isupper((unsigned char)w[i][k]) ?
						  tolower((unsigned char)w[i][k]) :
						  toupper((unsigned char)w[i][k]);
			}
			break;
		}
	}

	if (chance(r, 10))
		b_puts(in, pick(r, seps, ARRAY_SIZE(seps)));
	for (i = 0; i < n; i++) {
		if (i)
			b_puts(in, chance(r, 80) ? " " : pick(r, seps, ARRAY_SIZE(seps)));
		b_puts(in, w[i]);
	}
	if (chance(r, 30))
		b_puts(in, chance(r, 70) ? "\n" : pick(r, seps, ARRAY_SIZE(seps)));

	if (chance(r, 30)) {
		k = 1 + below(r, 3);
		for (i = 0; i < k; i++)
			mutate_bytes(r, in);
	}
}

static void gen_input(struct fuzz_file *f, struct rng *r, struct buf *in)
{
	unsigned int m = below(r, 100);

	in->len = 0;
	if (m < 3)
		return;				/* empty */
	if (m < 8) {
		b_putc(in, rnd_byte(r, below(r, 3)));	/* one byte */
		return;
	}
	if (m < 23) {
		gen_random(r, in);
		return;
	}
	gen_command(f, r, in);
}

/* ---- The run ------------------------------------------------------------ */

static void print_input(const char *what, const char *in, size_t len)
{
	char out[600];
	size_t i, o = 0;

	for (i = 0; i < len && o < sizeof(out) - 8; i++) {
		unsigned char c = in[i];

		if (c == '\\' || c == '"')
			o += sprintf(out + o, "\\%c", c);
		else if (c == '\n')
			o += sprintf(out + o, "\\n");
		else if (c == '\t')
			o += sprintf(out + o, "\\t");
		else if (c >= ' ' && c < 0x7f)
			out[o++] = c;
		else
			o += sprintf(out + o, "\\x%02x", c);
	}
	out[o] = '\0';
	fprintf(stderr, "#   %s \"%s\"%s (%zu bytes)\n", what, out,
		i < len ? "..." : "", len);
}

/* Prints the first line where @a and @b differ. */
static void print_diff(const char *a, const char *b)
{
	const char *ea, *eb;

	while (*a || *b) {
		ea = strchrnul(a, '\n');
		eb = strchrnul(b, '\n');
		if (ea - a != eb - b || memcmp(a, b, ea - a)) {
			fprintf(stderr, "#   before: %.*s\n#   after:  %.*s\n",
				(int)(ea - a), a, (int)(eb - b), b);
			return;
		}
		a = *ea ? ea + 1 : ea;
		b = *eb ? eb + 1 : eb;
	}
}

static const char *const verdict_names[] = {
	"invalid", "valid", "valid (may fail)", "skipped",
};

static unsigned long long seed_of(const char *rel, unsigned long long seed)
{
	unsigned long long h = 1469598103934665603ULL;	/* FNV-1a */

	while (*rel)
		h = (h ^ (unsigned char)*rel++) * 1099511628211ULL;
	return seed ^ h;
}

static void fuzz_fail(struct fuzz_file *f, unsigned long i, const char *why,
		      const char *in, size_t len, enum verdict v, long ret)
{
	f->fails++;
	fprintf(stderr, "# FAIL %s: write %lu: %s; oracle: %s; write: %ld%s%s\n",
		f->rel, i, why, verdict_names[v], ret, ret < 0 ? " " : "",
		ret < 0 ? strerror(-ret) : "");
	print_input("input", in, len);
}

/* Whether @f reads what it should after this write (and a newline). */
static bool reads_expected(struct fuzz_file *f, char *buf, size_t len)
{
	buf[0] = '\0';
	cached_read(f->path, buf, len);
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, f->expect);
}

/*
 * Fuzzes one file with @n writes. Returns false if a write broke the
 * rules (each printed, up to FAILS_PER_FILE).
 */
static bool fuzz_one(struct fuzz_file *f, unsigned long n, unsigned long long seed)
{
	struct rng r = { seed_of(f->rel, seed) };
	struct buf in, before, after, start;
	char got[64];
	unsigned long step = n / 5 ? n / 5 : 1, tries = 0;
	enum verdict v;
	size_t seen;
	double t0 = now_s();
	long ret;
	int fd;

	b_init(&in, IN_MAX);
	b_init(&before, STATE_MAX);
	b_init(&after, STATE_MAX);
	b_init(&start, STATE_MAX);
	if (!in.p || !before.p || !after.p || !start.p)
		return false;
	run_begin(f);
	show(f, f->o->kept ?: f->o->state, &start);
	show(f, f->o->state, &before);

	fd = open(f->path, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "# FAIL %s: open: %s\n", f->rel,
			strerror(errno));
		f->fails++;
		goto out;
	}
	while (f->writes < n && f->fails < FAILS_PER_FILE) {
		gen_input(f, &r, &in);
		/*
		 * sysfs hands a store() at most a page; a module parameter's
		 * setter gets it as a string, up to a NUL
		 */
		seen = !f->sysfs ? in.len : in.len < PAGE ? in.len : PAGE;
		if (f->param)
			seen = strnlen(in.p, seen);
		f->expect[0] = '\0';
		v = (f->o->check ?: value_check)(f, in.p, seen);
		if (v == V_SKIP) {
			f->skipped++;
			if (++tries > 100 * n)
				break;
			continue;
		}
		ret = write(fd, in.p, in.len);
		if (ret < 0)
			ret = -errno;
		f->writes++;
		/* an empty sysfs write is not passed on: 0, nothing changed */
		if (f->sysfs && !in.len && ret)
			fuzz_fail(f, f->writes, "an empty write did not return 0",
				  in.p, in.len, v, ret);
		if (ret < 0 || (f->sysfs && !in.len)) {
			f->rejected++;
			/* kernfs adds no errno of its own: the setter's */
			if (f->sysfs && ret && ret != -EINVAL)
				fuzz_fail(f, f->writes, "refused, not with EINVAL",
					  in.p, in.len, v, ret);
			if (v == V_OK && ret)
				fuzz_fail(f, f->writes, "a valid input was refused",
					  in.p, in.len, v, ret);
			after.len = 0;
			show(f, f->o->state, &after);
			if (after.len != before.len ||
			    memcmp(after.p, before.p, after.len)) {
				fuzz_fail(f, f->writes,
					  "a refused write changed the state",
					  in.p, in.len, v, ret);
				print_diff(before.p, after.p);
				before.len = 0;
				b_putn(&before, after.p, after.len);
			}
		} else {
			f->accepted++;
			if (v == V_BAD)
				fuzz_fail(f, f->writes, "an invalid input was accepted",
					  in.p, in.len, v, ret);
			else if ((size_t)ret != (f->sysfs && in.len > PAGE ?
						 PAGE : in.len))
				fuzz_fail(f, f->writes, "a short write",
					  in.p, in.len, v, ret);
			else if (f->expect[0] &&
				 !reads_expected(f, got, sizeof(got))) {
				fuzz_fail(f, f->writes, "it reads otherwise",
					  in.p, in.len, v, ret);
				fprintf(stderr, "#   it reads \"%s\", not \"%s\"\n",
					got, f->expect);
			}
			before.len = 0;
			show(f, f->o->state, &before);
		}
		if (f->writes % step == 0 || f->writes == n)
			printf("# fuzz %s: %lu/%lu\n", f->rel, f->writes, n);
		fflush(stdout);
	}
	close(fd);
out:
	cache_drop();
	run_end(f);
	if (!f->o->lasting && f->fails < FAILS_PER_FILE) {
		after.len = 0;
		show(f, f->o->kept ?: f->o->state, &after);
		cache_drop();
		if (after.len != start.len ||
		    memcmp(after.p, start.p, after.len)) {
			fprintf(stderr, "# FAIL %s: its state was not restored\n",
				f->rel);
			print_diff(start.p, after.p);
			f->fails++;
		}
	}
	printf("# fuzz %s: %lu writes, %lu accepted, %lu refused, %lu skipped, %lu bad, %.1f s\n",
	       f->rel, f->writes, f->accepted, f->rejected, f->skipped,
	       f->fails, now_s() - t0);
	fflush(stdout);
	free(in.p);
	free(before.p);
	free(after.p);
	free(start.p);
	return !f->fails;
}

/* ---- Modules ------------------------------------------------------------ */

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *s = getenv(name);

	return s && *s ? strtoul(s, NULL, 0) : def;
}

#define FULL_RUN	100000

/* Writes per file: DHP_FUZZ_WRITES, else DHP_FUZZ_SCALE of the full run. */
static unsigned long fuzz_writes(void)
{
	const char *scale = getenv("DHP_FUZZ_SCALE");
	double f;

	if (getenv("DHP_FUZZ_WRITES") || !scale || !*scale)
		return env_ul("DHP_FUZZ_WRITES", FULL_RUN);
	f = strtod(scale, NULL);
	return f > 0 ? (unsigned long)(f * FULL_RUN + 0.5) ?: 1 : FULL_RUN;
}

static const char *const all_mods[] = {
	"dhp_edu", "dhp_rbdev", "dhp_evtest", "dhp_test", "dhp_sample", "dhp",
};

static void unload_all(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(all_mods); i++)
		mod_unload(all_mods[i]);
}

static int guest_nr_cpu_ids(void)
{
	char buf[64], *p;

	if (read_file(CPU_SYSFS "/possible", buf, sizeof(buf)) <= 0)
		return 1;
	p = buf + strcspn(buf, "\n");
	while (p > buf && (isdigit((unsigned char)p[-1])))
		p--;
	return atoi(p) + 1;
}

/* ---- Module parameters and API misuse ---------------------------------- */

/* The kernel log from now on: /dev/kmsg at its end. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * The first message since kmsg_open() that starts with @prefix and names
 * @what, into @out; false if none.
 */
static bool kmsg_find(int fd, const char *prefix, const char *what,
		      char *out, size_t len)
{
	char rec[2048], *msg;
	bool found = false;
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			break;
		rec[n] = '\0';
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		if (!found && !strncmp(msg, prefix, strlen(prefix)) &&
		    strstr(msg, what)) {
			n = strlen(msg) < len ? strlen(msg) : len - 1;
			memcpy(out, msg, n);
			out[n] = '\0';
			found = true;
		}
	}
	return found;
}

/* dhp's parameters, as its module_param declarations (dhp_*.c) have them */
static const char *const dhp_params[] = {
	"high_mb", "low_mb", "period_ms", "rebalance_hint_only",
	"event_backlog",
};

/* The modules that have no parameter: one would need cases here. */
static const char *const no_param_mods[] = {
	"dhp_sample", "dhp_rbdev", "dhp_test", "dhp_evtest", "dhp_edu",
};

static bool known_param(const char *mod, const char *name)
{
	size_t i;

	if (strcmp(mod, "dhp"))
		return false;
	for (i = 0; i < ARRAY_SIZE(dhp_params); i++)
		if (!strcmp(name, dhp_params[i]))
			return true;
	return false;
}

/*
 * The parameters of module @mod: those with a description in its .modinfo
 * (what modinfo -p lists) and those in sysfs while it is loaded. Returns
 * how many have no case here, each printed.
 */
static int unknown_params(const char *mod)
{
	const char *dir = getenv("DHP_MODDIR") ?: "/dhp";
	char path[PATH_MAX], names[128][64], name[64], *data, *p, *end;
	int fd, i, n, bad = 0;
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s.ko", dir, mod);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &sb)) {
		fprintf(stderr, "# %s: %s\n", path, strerror(errno));
		return 1;
	}
	data = malloc(sb.st_size + 1);
	if (!data || read(fd, data, sb.st_size) != sb.st_size) {
		close(fd);
		free(data);
		return 1;
	}
	close(fd);
	data[sb.st_size] = '\0';
	end = data + sb.st_size;
	/* .modinfo strings: "parm=NAME:description", NUL-separated */
	for (p = data; p < end - 5; p++) {
		if (memcmp(p, "parm=", 5) || (p > data && p[-1]))
			continue;
		n = strcspn(p + 5, ":");
		snprintf(name, sizeof(name), "%.*s", n < 63 ? n : 63, p + 5);
		if (!known_param(mod, name)) {
			fprintf(stderr, "# %s: parameter %s (modinfo) has no case here\n",
				mod, name);
			bad++;
		}
	}
	free(data);
	snprintf(path, sizeof(path), "/sys/module/%s/parameters", mod);
	n = dir_names(path, names, 128);
	for (i = 0; i < n; i++) {
		if (!known_param(mod, names[i])) {
			fprintf(stderr, "# %s: parameter %s (sysfs) has no case here\n",
				mod, names[i]);
			bad++;
		}
	}
	return bad;
}

struct param_case {
	const char *args;	/* for the load */
	const char *name;	/* the parameter the message must name */
};

/* Out of range, malformed, missing: each must fail the load. */
static const struct param_case bad_params[] = {
	{ "event_backlog=-1", "event_backlog" },
	{ "event_backlog=99999999999999999999999", "event_backlog" },
	{ "event_backlog=abc", "event_backlog" },
	{ "event_backlog=0x", "event_backlog" },
	{ "event_backlog=1e3", "event_backlog" },
	{ "event_backlog", "event_backlog" },
	{ "high_mb=0", "high_mb" },
	{ "high_mb=1073741825", "high_mb" },	/* 2^30 + 1 */
	{ "high_mb=-1", "high_mb" },
	{ "high_mb=18446744073709551617", "high_mb" },
	{ "high_mb=1G", "high_mb" },
	{ "high_mb=", "high_mb" },
	{ "low_mb=0", "low_mb" },
	{ "low_mb=2048", "low_mb" },		/* not below high_mb 1024 */
	{ "low_mb=500 high_mb=500", "low_mb" },
	{ "high_mb=100", "low_mb" },		/* below low_mb 768 */
	{ "low_mb=x", "low_mb" },
	{ "period_ms=9", "period_ms" },
	{ "period_ms=0", "period_ms" },
	{ "period_ms=3600001", "period_ms" },
	{ "period_ms=-10", "period_ms" },
	{ "period_ms=4294967296", "period_ms" },
	{ "period_ms=1s", "period_ms" },
	{ "rebalance_hint_only=2", "rebalance_hint_only" },
	{ "rebalance_hint_only=-1", "rebalance_hint_only" },
	{ "rebalance_hint_only=yellow", "rebalance_hint_only" },
	{ "rebalance_hint_only=nope", "rebalance_hint_only" },
	{ "rebalance_hint_only=", "rebalance_hint_only" },
	{ "event_backlog=32 period_ms=5", "period_ms" },	/* one bad of two */
	{ "event_backlog=15", "event_backlog" },
	{ "event_backlog=0", "event_backlog" },
	{ "event_backlog=1048577", "event_backlog" },
	{ "event_backlog=-16", "event_backlog" },
	{ "event_backlog=4294967312", "event_backlog" },
	{ "event_backlog=4k", "event_backlog" },
	{ "event_backlog=", "event_backlog" },
};

/* In range, at the bounds: each must load, the value as given. */
static const struct {
	const char *args, *name, *value;
} good_params[] = {
	{ "event_backlog=0x20", "event_backlog", "32" },
	{ "event_backlog=+64", "event_backlog", "64" },
	{ "high_mb=1073741824 low_mb=1", "high_mb", "1073741824" },
	{ "high_mb=2 low_mb=1", "low_mb", "1" },
	{ "period_ms=10", "period_ms", "10" },
	{ "period_ms=3600000", "period_ms", "3600000" },
	{ "rebalance_hint_only", "rebalance_hint_only", "Y" },
	{ "rebalance_hint_only=off", "rebalance_hint_only", "N" },
	{ "rebalance_hint_only=yes", "rebalance_hint_only", "Y" },
	{ "event_backlog=16", "event_backlog", "16" },
	{ "event_backlog=1048576", "event_backlog", "1048576" },
};

FIXTURE(mods) {
};

FIXTURE_SETUP(mods)
{
	unload_all();
}

FIXTURE_TEARDOWN(mods)
{
	unload_all();
}

/* Bad parameters fail the load with a message; good ones load. */
TEST_F_TIMEOUT(mods, load_params, 1800)
{
	char msg[512], path[128], val[64];
	bool found;
	size_t i;
	int fd, ret;

	ASSERT_FALSE(mod_loaded("dhp"));
	for (i = 0; i < ARRAY_SIZE(bad_params); i++) {
		fd = kmsg_open();
		ret = mod_load("dhp", bad_params[i].args);
		EXPECT_GT(0, ret) TH_LOG("'%s' loaded", bad_params[i].args);
		if (!ret)
			mod_unload("dhp");
		EXPECT_FALSE(mod_loaded("dhp"));
		found = kmsg_find(fd, "dhp: ", bad_params[i].name, msg,
				  sizeof(msg));
		EXPECT_TRUE(found) TH_LOG("'%s': no dhp message naming %s",
					  bad_params[i].args,
					  bad_params[i].name);
		if (found)
			printf("# '%s': %d, \"%s\"\n", bad_params[i].args, ret,
			       msg);
		close(fd);
	}
	/* The kernel ignores unknown parameters, and says so. */
	fd = kmsg_open();
	EXPECT_EQ(0, mod_load("dhp", "no_such_parameter=1"));
	EXPECT_TRUE(kmsg_find(fd, "dhp: ", "no_such_parameter", msg,
			      sizeof(msg)));
	close(fd);
	mod_unload("dhp");

	for (i = 0; i < ARRAY_SIZE(good_params); i++) {
		ret = mod_load("dhp", good_params[i].args);
		EXPECT_EQ(0, ret) TH_LOG("'%s': %d", good_params[i].args, ret);
		if (ret)
			continue;
		snprintf(path, sizeof(path), "/sys/module/dhp/parameters/%s",
			 good_params[i].name);
		EXPECT_LT(0, read_file(path, val, sizeof(val)));
		val[strcspn(val, "\n")] = '\0';
		EXPECT_STREQ(good_params[i].value, val)
			TH_LOG("'%s'", good_params[i].args);
		EXPECT_EQ(0, mod_unload("dhp"));
	}
	fflush(stdout);
}

static bool param_value(const char *path)
{
	char buf[8] = "";

	read_file(path, buf, sizeof(buf));
	return buf[0] == 'Y';
}

/* DHP_FUZZ_SEED, or one from the time; printed. */
static unsigned long long fuzz_seed(void)
{
	const char *env = getenv("DHP_FUZZ_SEED");
	unsigned long long seed;

	if (env && *env) {
		seed = strtoull(env, NULL, 0);
	} else {
		seed = (unsigned long long)time(NULL) << 20 ^ getpid();
		seed &= 0xffffffffffffULL;
	}
	printf("# fuzz seed %llu (DHP_FUZZ_SEED=%llu replays it)\n", seed, seed);
	return seed;
}

/*
 * Every writable parameter of every module, at run time: bad values fail
 * and leave the value; good ones set it. Also: no module has a parameter
 * without cases here.
 */
TEST_F_TIMEOUT(mods, runtime_params, 1800)
{
	static const char *const bad[] = {
		"2", "-1", "yellow", "Y junk", " Y", "YY", "nope", "\n",
		"Y\n\n", "2\n", "ye", "Y\r\n", "trueish", "\t", "y\t",
	};
	char names[128][64], path[PATH_MAX], page[PAGE + 100];
	struct fuzz_file f;
	struct stat sb;
	size_t k;
	int fd, j, nn;

	ASSERT_EQ(0, mod_load("dhp", NULL));
	EXPECT_EQ(0, unknown_params("dhp"));
	for (k = 0; k < ARRAY_SIZE(no_param_mods); k++) {
		if (mod_load(no_param_mods[k], NULL))
			continue;	/* dhp_edu loads without a device too */
		EXPECT_EQ(0, unknown_params(no_param_mods[k]));
		mod_unload(no_param_mods[k]);
	}

	/*
	 * dhp's writable parameters: each has an oracle, rebalance_hint_only
	 * fuzzed here, the others with the files (fuzz.debugfs)
	 */
	nn = dir_names(DHP_PARAMS, names, 128);
	for (j = 0; j < nn; j++) {
		snprintf(path, sizeof(path), DHP_PARAMS "/%.63s", names[j]);
		if (stat(path, &sb) || !(sb.st_mode & 0222))
			continue;
		EXPECT_NE(NULL, oracle_of(path))
			TH_LOG("writable parameter %s has no oracle", names[j]);
	}

	file_init(&f, HINT_PARAM, HINT_PARAM);
	ASSERT_EQ(0, write_file(HINT_PARAM, "N"));
	for (k = 0; k < ARRAY_SIZE(bad); k++) {
		EXPECT_EQ(V_BAD, value_check(&f, bad[k], strlen(bad[k])))
			TH_LOG("the oracle takes '%s'", bad[k]);
		EXPECT_EQ(-EINVAL, write_file(HINT_PARAM, bad[k]))
			TH_LOG("'%s' accepted", bad[k]);
		EXPECT_FALSE(param_value(HINT_PARAM));
	}
	/* a page of garbage; an empty write changes nothing */
	fd = open(HINT_PARAM, O_WRONLY);
	ASSERT_LE(0, fd);
	memset(page, 'y', sizeof(page));
	EXPECT_GT(0, write(fd, page, sizeof(page)));
	EXPECT_EQ(0, write(fd, "", 0));
	close(fd);
	EXPECT_FALSE(param_value(HINT_PARAM));

	EXPECT_TRUE(fuzz_one(&f, fuzz_writes() / 10, fuzz_seed()));
	EXPECT_EQ(0, write_file(HINT_PARAM, "N"));
}

/*
 * API misuse the sync, event and rebalance suites do not cover (they have
 * NULL callbacks, bad flags, NULL, double and foreign handles, and
 * (un)registration from a client's own callback): a handle of one API
 * given to another, the other APIs from a synchronous callback, the
 * rebalance registrations that need a requested IRQ, and (un)registration
 * from a rebalance operation.
 */
TEST_F_TIMEOUT(mods, api_misuse, 600)
{
	static const char *const einval[] = {
		"rb_irq_twice", "rb_partial_ops", "rb_too_many", "rb_unadded",
		"rb_bad_class", "rb_bad_policy",
		NULL,
	};
	static const char *const edeadlk[] = {
		"selfreg", "cb_ev_reg", "cb_ev_unreg", "cb_rb_reg",
		"cb_rb_unreg", NULL,
	};
	const char *stats = TEST_DEBUGFS "/stats", *ctl = TEST_DEBUGFS "/ctl";
	const char *const *k;
	long next, v;
	int t;

	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));

	ASSERT_EQ(0, write_file(ctl, "badinput"));
	EXPECT_EQ(-ENOENT, stat_value(stats, "cross_cpu_to_ev"));
	EXPECT_EQ(-ENOENT, stat_value(stats, "cross_ev_to_cpu"));
	EXPECT_EQ(-ENOENT, stat_value(stats, "cross_cpu_to_rb"));

	ASSERT_EQ(0, write_file(ctl, "rbmisuse"));
	EXPECT_EQ(-EEXIST, stat_value(stats, "rb_dup_name"));
	EXPECT_EQ(-EBUSY, stat_value(stats, "rb_irq_taken"));
	for (k = einval; *k; k++) {
		v = stat_value(stats, *k);
		if (v != -EINVAL)
			fprintf(stderr, "# %s %ld\n", *k, v);
		EXPECT_EQ(-EINVAL, v);
	}
	EXPECT_EQ(1, stat_value(RB_DEBUGFS "/stats", "devices"));

	/* From a synchronous callback: the next client's replay. */
	next = stat_value(stats, "next_idx");
	ASSERT_EQ(0, write_filef(ctl, "selfunreg %ld", next));
	ASSERT_EQ(0, write_file(ctl, "register 1 1"));
	for (k = edeadlk; *k; k++) {
		v = stat_value(stats, *k);
		if (v != -EDEADLK)
			fprintf(stderr, "# %s %ld\n", *k, v);
		EXPECT_EQ(-EDEADLK, v);
	}

	/* From a rebalance operation: t-own's query_stop, next round. */
	ASSERT_EQ(0, write_file(RB_SYSFS "/trigger", "1"));
	/* both results: the query_stop sets one, then the other */
	for (t = 0; t < 600 && (stat_value(stats, "rb_selfunreg") == 1 ||
				stat_value(stats, "rb_selfreg") == 1); t++)
		usleep(100000);
	EXPECT_EQ(-EDEADLK, stat_value(stats, "rb_selfunreg"));
	EXPECT_EQ(-EDEADLK, stat_value(stats, "rb_selfreg"));

	ASSERT_EQ(0, write_file(ctl, "rbdone"));
	EXPECT_EQ(-ENOENT, stat_value(stats, "rb_double"));
	EXPECT_EQ(0, stat_value(RB_DEBUGFS "/stats", "devices"));
	EXPECT_EQ(-ENOENT, write_file(ctl, "rbdone"));
	ASSERT_EQ(0, write_file(ctl, "unregister"));
	EXPECT_EQ(0, mod_unload("dhp_test"));
	EXPECT_EQ(0, mod_unload("dhp"));
}

FIXTURE(fuzz) {
};

FIXTURE_SETUP(fuzz)
{
	char cmd[64];
	size_t i;

	unload_all();
	ASSERT_EQ(0, mod_load("dhp", NULL));
	ASSERT_EQ(0, mod_load("dhp_sample", NULL));
	ASSERT_EQ(0, mod_load("dhp_test", NULL));
	ASSERT_EQ(0, mod_load("dhp_evtest", NULL));
	ASSERT_EQ(0, mod_load("dhp_rbdev", NULL));
	/* it loads without a device too: then it has no files */
	ASSERT_EQ(0, mod_load("dhp_edu", NULL));
	for (i = 0; i < ARRAY_SIZE(keep_devs); i++) {
		snprintf(cmd, sizeof(cmd), "add %s %s %zu", keep_devs[i],
			 i ? "net" : "other", 2 - i);
		ASSERT_EQ(0, write_file(RBDEV "/ctl", cmd));
	}
	nr_cpu_ids_guest = guest_nr_cpu_ids();
	avail_mb = sysfs_long(HM_AVAIL);
}

FIXTURE_TEARDOWN(fuzz)
{
	rebalance_settle();
	unload_all();
}

/* Every writable debugfs file, DHP_FUZZ_WRITES random writes each. */
TEST_F_TIMEOUT(fuzz, debugfs, 86400)
{
	unsigned long n = fuzz_writes();
	unsigned long total = 0, rejected = 0, accepted = 0;
	const char *only = getenv("DHP_FUZZ_ONLY");
	unsigned long long seed = fuzz_seed();
	static char roots[128][64];
	int i, k, nroots, fuzzed = 0, failed = 0;
	double t0 = now_s();

	printf("# fuzz: %lu writes per file%s\n", n,
	       n < FULL_RUN ? ": a reduced run, the full one is 100000" : "");
	fflush(stdout);

	/* dhp, dhp_sample, dhp_rbdev, dhp_test, dhp_evtest, dhp_edu, ... */
	nr_files = 0;
	nr_orphans = 0;
	nroots = dir_names(DEBUGFS, roots, 128);
	for (k = 0; k < nroots; k++)
		if (!strncmp(roots[k], "dhp", 3))
			walk(DEBUGFS, roots[k]);
	/* and sysfs: /sys/kernel/dhp, dhp's writable parameters */
	walk(SYSFS_KERNEL, "dhp");
	for (k = 0; k < (int)ARRAY_SIZE(oracles); k++)
		if (!strncmp(oracles[k].pattern, DHP_PARAMS "/",
			     strlen(DHP_PARAMS) + 1) &&
		    strcmp(oracles[k].pattern, HINT_PARAM))
			add_file(oracles[k].pattern, oracles[k].pattern);
	qsort(files, nr_files, sizeof(files[0]), file_cmp);
	for (i = 0; i < nr_files; i++)
		printf("# fuzz file %s\n", files[i].rel);
	/* a writable file nobody checks would escape the fuzzer */
	EXPECT_EQ(0, nr_orphans);
	/* a state file kept open shows each change (pread at 0) */
	ASSERT_LT(0, cached_read(SAMPLE_DEBUGFS "/fail", rbuf, sizeof(rbuf)));
	ASSERT_EQ(0, write_file(SAMPLE_DEBUGFS "/fail", "0 -5"));
	ASSERT_LT(0, cached_read(SAMPLE_DEBUGFS "/fail", rbuf, sizeof(rbuf)));
	EXPECT_STREQ("0 -5\n", rbuf);
	ASSERT_EQ(0, write_file(SAMPLE_DEBUGFS "/fail", "off"));
	ASSERT_LT(0, cached_read(SAMPLE_DEBUGFS "/fail", rbuf, sizeof(rbuf)));
	EXPECT_STREQ("off\n", rbuf);
	cache_drop();
	/* the files that always exist here */
	EXPECT_TRUE(!access(RB_SYSFS "/dhp_rbdev:fzo/policy", W_OK));
	EXPECT_TRUE(!access(TEST_DEBUGFS "/ctl", W_OK));

	for (i = 0; i < nr_files; i++) {
		if (only && fnmatch(only, files[i].rel, FNM_PATHNAME))
			continue;
		fuzzed++;
		if (!fuzz_one(&files[i], n, seed))
			failed++;
		total += files[i].writes;
		rejected += files[i].rejected;
		accepted += files[i].accepted;
	}
	printf("# fuzz: %d files, %lu writes in %.0f s, seed %llu\n", fuzzed,
	       total, now_s() - t0, (unsigned long long)seed);
	printf("# DHP-STAT fuzz_writes %lu fuzz_files %d fuzz_rejected %lu fuzz_accepted %lu\n",
	       total, fuzzed, rejected, accepted);
	fflush(stdout);
	EXPECT_EQ(0, failed);
	EXPECT_LT(0, fuzzed);
}

TEST_HARNESS_MAIN
