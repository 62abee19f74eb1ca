#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "monitor/logfile.h"
#include "monitor/logread.h"
#include "util/fs.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define T0  1764444132000000000LL /* 2025-11-29T19:22:12Z */
#define SEC 1000000000LL

/* ---------------------------------------------------------------- parser */

struct parsed {
	int rc, stream;
	int64_t time;
	struct strbuf text, attrs;
};

static void parse(const char *line, struct parsed *p)
{
	strbuf_release(&p->text);
	strbuf_release(&p->attrs);
	p->rc = logread_parse_line(line, strlen(line), &p->stream, &p->time, &p->text, &p->attrs);
}

static const char *text_of(const struct parsed *p)
{
	return p->text.buf ? p->text.buf : "";
}

static void test_parse_line(void **state)
{
	struct parsed p = {0};

	(void)state;
	parse("{\"log\":\"out1\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-29T19:22:12."
	      "115942173Z\"}",
	      &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.stream, 1);
	assert_string_equal(text_of(&p), "out1\n");
	assert_true(p.time == 1795980132115942173LL);
	assert_string_equal(p.attrs.buf ? p.attrs.buf : "", "");

	/* Go's RFC3339Nano trims zeros; key order and spaces do not matter */
	parse(" { \"time\" : \"2026-11-29T19:37:46.13317107Z\" , \"stream\":\"stderr\", "
	      "\"log\":\"no-newline-at-end\" } ",
	      &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.stream, 2);
	assert_true(p.time == 1795981066133171070LL);
	assert_string_equal(text_of(&p), "no-newline-at-end");

	/* a time with an offset, whole seconds */
	parse("{\"log\":\"\",\"stream\":\"stdout\",\"time\":\"2026-11-29T20:22:12+01:00\"}", &p);
	assert_int_equal(p.rc, 0);
	assert_true(p.time == 1795980132000000000LL);

	/* other streams and unknown keys (any JSON value) */
	parse("{\"log\":\"x\",\"stream\":\"other\",\"extra\":{\"a\":[1,2.5,-3e2,true,null,{}]},"
	      "\"n\":null,\"time\":\"2026-11-29T19:22:12Z\"}",
	      &p);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.stream, 0);
	assert_string_equal(text_of(&p), "x");

	strbuf_release(&p.text);
	strbuf_release(&p.attrs);
}

static void test_parse_escapes(void **state)
{
	struct parsed p = {0};

	(void)state;
	parse("{\"log\":\"a\\tb\\nc\\r\\\"q\\\" \\\\ \\/ \\b\\f\",\"stream\":\"stdout\"}", &p);
	assert_int_equal(p.rc, 0);
	assert_string_equal(text_of(&p), "a\tb\nc\r\"q\" \\ / \b\f");
	/* what logfile_json_escape writes: <, >, & and control characters as \u00XX */
	parse("{\"log\":\"\\u003cb\\u003e \\u0026 \\u0001\\u001f\",\"stream\":\"stdout\"}", &p);
	assert_string_equal(text_of(&p), "<b> & \x01\x1f");
	/* invalid UTF-8 was written as \ufffd */
	parse("{\"log\":\"bad\\ufffd\",\"stream\":\"stdout\"}", &p);
	assert_string_equal(text_of(&p), "bad\xef\xbf\xbd");
	/* raw UTF-8, escaped BMP characters, surrogate pairs, lone surrogates */
	parse("{\"log\":\"h\xc3\xa9 \\u00e9 \\u20ac \\ud83d\\ude00 \\ud800x \\udc00\",\"stream\":"
	      "\"stdout\"}",
	      &p);
	assert_int_equal(p.rc, 0);
	assert_string_equal(text_of(&p), "h\xc3\xa9 \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
					 "\xef\xbf\xbdx \xef\xbf\xbd");
	/* U+2028 as logfile writes it, and a NUL in the middle */
	parse("{\"log\":\"\\u2028a\\u0000b\",\"stream\":\"stdout\"}", &p);
	assert_int_equal(p.text.len, 6);
	assert_memory_equal(p.text.buf,
			    "\xe2\x80\xa8"
			    "a\0b",
			    6);
	/* escaped keys and stream */
	parse("{\"\\u006cog\":\"k\",\"str\\u0065am\":\"std\\u0065rr\"}", &p);
	assert_int_equal(p.rc, 0);
	assert_string_equal(text_of(&p), "k");
	assert_int_equal(p.stream, 2);
	strbuf_release(&p.text);
	strbuf_release(&p.attrs);
}

static void test_parse_attrs(void **state)
{
	struct parsed p = {0};

	(void)state;
	/* sorted by key, URL-query-escaped, as logs --details prints them */
	parse("{\"log\":\"x\\n\",\"stream\":\"stdout\",\"attrs\":{\"tag\":\"web app\",\"com.x\":"
	      "\"a=b&c\",\"Z\":\"\xc3\xa9~\"},\"time\":\"2026-11-29T19:22:12Z\"}",
	      &p);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.attrs.buf, "Z=%C3%A9~,com.x=a%3Db%26c,tag=web+app");
	parse("{\"log\":\"x\\n\",\"attrs\":{}}", &p);
	assert_int_equal(p.rc, 0);
	assert_string_equal(p.attrs.buf ? p.attrs.buf : "", "");
	parse("{\"log\":\"x\\n\",\"attrs\":{\"a\":1}}", &p);
	assert_int_equal(p.rc, -1);
	strbuf_release(&p.text);
	strbuf_release(&p.attrs);
}

static void test_parse_corrupt(void **state)
{
	static const char *const bad[] = {
		"",
		"   ",
		"not json",
		"{",
		"{\"log\":\"x\"",
		"{\"log\":\"x}",
		"{\"log\":\"x\",}",
		"{\"log\":\"x\"} trailing",
		"{\"log\":\"bad escape \\q\"}",
		"{\"log\":\"short \\u12\"}",
		"{\"log\":\"ends in \\",
		"{\"log\":x}",
		"{\"log\":\"x\",\"time\":\"yesterday\"}",
		"{\"log\":\"x\",\"time\":\"2026-13-29T19:22:12Z\"}",
		"{\"log\":\"x\",\"stream\":1}",
		"[\"log\",\"x\"]",
		"{\"log\":\"x\",\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		"[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		"]"
		"]]]]]]]]]]]]]]]}",
	};
	struct parsed p = {0};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i], &p);
		if (p.rc != -1)
			fail_msg("parsed: %s", bad[i]);
	}
	strbuf_release(&p.text);
	strbuf_release(&p.attrs);
}

/* ---------------------------------------------------------------- files */

struct logdir {
	char dir[64];
	char *path;
};

static void logdir_make(struct logdir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/berth-logread-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	d->path = xasprintf("%s/c-json.log", d->dir);
}

static void logdir_remove(struct logdir *d)
{
	assert_int_equal(fs_rm_rf(d->dir, NULL), 0);
	free(d->path);
}

/* Appends an entry "N\n" (stdout for even N, stderr for odd) at T0 + N seconds. */
static void append_entry(struct strbuf *sb, int n)
{
	char ts[64];

	time_format_rfc3339nano(T0 + n * SEC + 5000, ts, sizeof(ts));
	strbuf_addf(sb, "{\"log\":\"%d\\n\",\"stream\":\"%s\",\"time\":\"%s\"}\n", n,
		    n % 2 ? "stderr" : "stdout", ts);
}

/* Writes entries first..last to path (suffix: "" or ".1"...). */
static void write_file(const struct logdir *d, const char *suffix, int first, int last)
{
	struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *name = xasprintf("%s%s", d->path, suffix);

	for (int i = first; i <= last; i++)
		append_entry(&sb, i);
	assert_int_equal(fs_write_atomic(name, sb.buf ? sb.buf : "", sb.len, 0640, NULL), 0);
	strbuf_release(&sb);
}

static void append_raw(const struct logdir *d, const char *text)
{
	int fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Reads the log with o; the entries' numbers in v, their count returned. */
static int read_all(const struct logdir *d, const struct logread_opts *o, int *v, int max)
{
	struct berth_error *err = NULL;
	struct logread *r = logread_open(d->path, o, &err);
	struct logread_entry e;
	int n = 0, rc;

	if (!r)
		fail_msg("logread_open: %s", err->msg);
	while ((rc = logread_next(r, &e, &err)) > 0) {
		assert_true(n < max);
		v[n] = atoi(e.text);
		/* the stream and the time come through */
		assert_int_equal(e.stream, v[n] % 2 ? 2 : 1);
		assert_true(e.time == T0 + v[n] * SEC + 5000);
		n++;
	}
	if (rc < 0)
		fail_msg("logread_next: %s", err->msg);
	logread_free(r);
	return n;
}

/* v holds first, first+1, ..., last. */
static void assert_range(const int *v, int n, int first, int last)
{
	assert_int_equal(n, last - first + 1);
	for (int i = 0; i < n; i++)
		assert_int_equal(v[i], first + i);
}

static void test_read_all_and_tail(void **state)
{
	struct logdir d;
	struct logread_opts o = {.tail = -1};
	int v[200], n;

	(void)state;
	logdir_make(&d);
	write_file(&d, "", 1, 100);
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 100);
	o.tail = 3;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 98, 100);
	o.tail = 1;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 100, 100);
	o.tail = 100;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 100);
	o.tail = 1000;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 100);
	o.tail = 0;
	n = read_all(&d, &o, v, 200);
	assert_int_equal(n, 0);
	logdir_remove(&d);
}

static void test_tail_rotated(void **state)
{
	struct logdir d;
	struct logread_opts o = {.tail = -1};
	int v[200], n;

	(void)state;
	logdir_make(&d);
	write_file(&d, ".2", 1, 10);
	write_file(&d, ".1", 11, 20);
	write_file(&d, "", 21, 23);
	/* all: oldest rotated file first */
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 23);
	o.tail = 2;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 22, 23);
	/* the log holds 3: the rest from .1 */
	o.tail = 5;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 19, 23);
	/* through .1 into .2 */
	o.tail = 15;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 9, 23);
	o.tail = 50;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 23);
	/* .3 is not read when .2 is missing: rotated files are numbered without gaps */
	logdir_remove(&d);

	/* a log that is being rotated: only <log>.1 exists */
	logdir_make(&d);
	write_file(&d, ".1", 1, 5);
	o.tail = 2;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 4, 5);
	logdir_remove(&d);
}

static void test_tail_large(void **state)
{
	struct logdir d;
	struct strbuf sb = STRBUF_INIT;
	struct logread_opts o = {.tail = 3};
	struct timespec a, b;
	int v[20000], n;

	(void)state;
	logdir_make(&d);
	/* longer than the reader's blocks, with long lines across block bounds */
	for (int i = 1; i <= 200000; i++)
		append_entry(&sb, i);
	assert_int_equal(fs_write_atomic(d.path, sb.buf, sb.len, 0640, NULL), 0);
	strbuf_release(&sb);
	clock_gettime(CLOCK_MONOTONIC, &a);
	n = read_all(&d, &o, v, 20000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_range(v, n, 199998, 200000);
	/* a tail reads only the end: well under what reading 17 MB would take */
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 50);
	o.tail = 10000;
	n = read_all(&d, &o, v, 20000);
	assert_range(v, n, 190001, 200000);
	logdir_remove(&d);
}

static void test_since_until(void **state)
{
	struct logdir d;
	struct logread_opts o = {.tail = -1};
	int v[200], n;

	(void)state;
	logdir_make(&d);
	write_file(&d, ".1", 1, 10);
	write_file(&d, "", 11, 20);
	/* since: from entries at or after; until: up to entries at or before */
	o.since = T0 + 5 * SEC + 5000;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 5, 20);
	o.since = T0 + 5 * SEC + 5001;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 6, 20);
	o.until = T0 + 12 * SEC + 5000;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 6, 12);
	o.since = 0;
	o.until = T0 + 12 * SEC;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 11);
	/* tail first, then since */
	o.until = 0;
	o.tail = 5;
	o.since = T0 + 18 * SEC;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 18, 20);
	logdir_remove(&d);
}

static void test_partial_and_corrupt(void **state)
{
	struct logdir d;
	struct berth_error *err = NULL;
	struct logread_opts o = {.tail = -1};
	struct logread *r;
	struct logread_entry e;
	int v[200], n;

	(void)state;
	logdir_make(&d);
	write_file(&d, "", 1, 3);
	append_raw(&d, "garbage\n{\"log\":\"x\n\n");
	{
		struct strbuf sb = STRBUF_INIT;
		append_entry(&sb, 4);
		append_raw(&d, sb.buf);
		strbuf_release(&sb);
	}
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 1, 4);
	/* corrupt lines count as lines for tail, as Docker counts them */
	o.tail = 3;
	n = read_all(&d, &o, v, 200);
	assert_range(v, n, 4, 4);

	/* the output's last line without "\n", then a torn write at the end */
	append_raw(&d, "{\"log\":\"no-newline-at-end\",\"stream\":\"stdout\",\"time\":"
		       "\"2026-11-29T19:37:03.907422417Z\"}\n{\"log\":\"torn");
	o.tail = 1;
	r = logread_open(d.path, &o, &err);
	assert_non_null(r);
	assert_int_equal(logread_next(r, &e, &err), 1);
	assert_int_equal(e.len, strlen("no-newline-at-end"));
	assert_string_equal(e.text, "no-newline-at-end");
	assert_true(e.time == 1795981023907422417LL);
	assert_int_equal(logread_next(r, &e, &err), 0);
	assert_int_equal(logread_next(r, &e, &err), 0);
	logread_free(r);
	logdir_remove(&d);
}

static void test_missing(void **state)
{
	struct logdir d;
	struct logread_opts o = {.tail = -1};
	int v[10];

	(void)state;
	logdir_make(&d);
	assert_int_equal(read_all(&d, &o, v, 10), 0);
	o.tail = 5;
	assert_int_equal(read_all(&d, &o, v, 10), 0);
	logdir_remove(&d);
}

/* ---------------------------------------------------------------- follow */

/* Entries "N\n" first..last through logfile, on stdout. */
static void write_numbers_to(struct logfile *lf, int first, int last)
{
	for (int i = first; i <= last; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%d\n", i);

		logfile_write(lf, 1, line, (size_t)n);
	}
}

struct writer {
	pid_t pid;
	bool exited;
	int idles;
};

static bool writer_running(void *data)
{
	struct writer *w = data;
	int status;

	if (!w->exited && waitpid(w->pid, &status, WNOHANG) == w->pid)
		w->exited = true;
	return !w->exited;
}

static void count_idle(void *data)
{
	((struct writer *)data)->idles++;
}

/* A child that writes entries first..last through logfile (rotating), slowly. */
static pid_t start_writer(const struct logdir *d, const struct logfile_opts *lo, int first,
			  int last)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct logfile *lf = logfile_open(d->path, lo, NULL);
		struct timespec ts = {0, 1000 * 1000};

		if (!lf)
			_exit(1);
		for (int i = first; i <= last; i++) {
			char line[32];
			int n = snprintf(line, sizeof(line), "%d\n", i);

			logfile_write(lf, 1, line, (size_t)n);
			if (i % 5 == 0)
				nanosleep(&ts, NULL);
		}
		/* the last output without its newline, flushed at close */
		logfile_write(lf, 1, "end", 3);
		logfile_close(lf);
		_exit(0);
	}
	return pid;
}

/* Reads r to its end; the numbers in v, their count returned; *saw_end for "end". */
static int drain(struct logread *r, int *v, int max, bool *saw_end)
{
	struct berth_error *err = NULL;
	struct logread_entry e;
	int n = 0, rc;

	*saw_end = false;
	while ((rc = logread_next(r, &e, &err)) > 0) {
		if (strcmp(e.text, "end") == 0) {
			*saw_end = true;
			continue;
		}
		assert_false(*saw_end);
		assert_true(n < max);
		v[n++] = atoi(e.text);
	}
	if (rc < 0)
		fail_msg("logread_next: %s", err->msg);
	return n;
}

static struct logread *follow_open(const struct logdir *d, struct writer *w, long long tail)
{
	struct logread_opts o = {.tail = tail,
				 .follow = true,
				 .still_running = writer_running,
				 .idle = count_idle,
				 .data = w};
	struct logread *r = logread_open(d->path, &o, NULL);

	assert_non_null(r);
	return r;
}

static void check_follow(const struct logfile_opts *lo, int total)
{
	struct logdir d;
	struct writer w = {0};
	struct logread *r;
	int *v = xcalloc((size_t)total + 10, sizeof(int)), n;
	bool saw_end;

	logdir_make(&d);
	write_file(&d, "", 1, 5);
	r = follow_open(&d, &w, 2);
	w.pid = start_writer(&d, lo, 6, total);
	n = drain(r, v, total + 10, &saw_end);
	logread_free(r);
	assert_true(w.exited);
	assert_true(saw_end);
	assert_true(w.idles > 0);
	/* the tail, then every entry written, through every rotation, once */
	assert_range(v, n, 4, total);
	free(v);
	logdir_remove(&d);
}

static void test_follow(void **state)
{
	struct logfile_opts none = {0};

	(void)state;
	check_follow(&none, 1500);
}

static void test_follow_rotation(void **state)
{
	/* rotations every ~25 entries: the log renamed to .1, a new one made */
	struct logfile_opts lo = {.max_size = 2000, .max_files = 3};

	(void)state;
	check_follow(&lo, 1500);
}

static void test_follow_truncation(void **state)
{
	/* max-file 1: the log is unlinked and made again */
	struct logfile_opts lo = {.max_size = 2000, .max_files = 1};

	(void)state;
	check_follow(&lo, 1500);
}

static void test_follow_behind(void **state)
{
	/* a reader that falls behind by several rotations still reads everything */
	struct logfile_opts lo = {.max_size = 1000, .max_files = 5};
	struct writer w = {.exited = true};
	struct logdir d;
	struct logfile *lf;
	struct logread *r;
	struct berth_error *err = NULL;
	struct logread_entry e;
	int v[200], n;
	bool saw_end;

	logdir_make(&d);
	lf = logfile_open(d.path, &lo, NULL);
	write_numbers_to(lf, 1, 5);
	r = follow_open(&d, &w, -1);
	assert_int_equal(logread_next(r, &e, &err), 1);
	assert_string_equal(e.text, "1\n");
	/* three rotations while the reader waits */
	write_numbers_to(lf, 6, 45);
	logfile_close(lf);
	v[0] = 1;
	n = 1 + drain(r, v + 1, 199, &saw_end);
	logread_free(r);
	assert_range(v, n, 1, 45);
	logdir_remove(&d);
	(void)state;
}

static void test_follow_stopped(void **state)
{
	struct logdir d;
	struct writer w = {.exited = true};
	struct logread *r;
	struct timespec a, b;
	int v[100], n;
	bool saw_end;

	(void)state;
	logdir_make(&d);
	write_file(&d, "", 1, 20);
	/* the writer is already gone: what is there, then the end within a check */
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = follow_open(&d, &w, 5);
	n = drain(r, v, 100, &saw_end);
	logread_free(r);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_range(v, n, 16, 20);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < 1000);
	/* a log that does not exist yet */
	logdir_remove(&d);
	logdir_make(&d);
	r = follow_open(&d, &w, -1);
	assert_int_equal(drain(r, v, 100, &saw_end), 0);
	logread_free(r);
	logdir_remove(&d);
}

/* ---------------------------------------------------------------- --since, --until */

#define NOW 1795980132600000000LL /* 2026-11-29T19:22:12.6Z */

static int64_t ts(const char *value)
{
	struct berth_error *err = NULL;
	int64_t ns = -1;

	if (logread_parse_timestamp(value, NOW, &ns, &err) < 0)
		fail_msg("'%s': %s", value, err->msg);
	return ns;
}

static void ts_error(const char *value, const char *msg)
{
	struct berth_error *err = NULL;
	int64_t ns;

	assert_int_equal(logread_parse_timestamp(value, NOW, &ns, &err), -1);
	assert_string_equal(err->msg, msg);
	berth_error_free(err);
}

static void test_timestamps(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	/* durations: now minus that, in whole seconds */
	assert_true(ts("10s") == 1795980122000000000LL);
	assert_true(ts("1h30m") == 1795980132000000000LL - 5400 * SEC);
	assert_true(ts("1.5h") == 1795980132000000000LL - 5400 * SEC);
	assert_true(ts("500ms") == 1795980132000000000LL);
	assert_true(ts("-10m") == 1795980132000000000LL + 600 * SEC);
	/* RFC 3339 and its prefixes */
	assert_true(ts("2026-11-29T19:22:12.115942173Z") == 1795980132115942173LL);
	assert_true(ts("2026-11-29T19:22:12Z") == 1795980132000000000LL);
	assert_true(ts("2026-11-29T20:22:12+01:00") == 1795980132000000000LL);
	assert_true(ts("2026-11-29T18:22:12.5-01:00") == 1795980132500000000LL);
	assert_true(ts("2026-11-29T19:22:12") == 1795980132000000000LL);
	assert_true(ts("2026-11-29T19:22") == 1795980120000000000LL);
	assert_true(ts("2026-11-29T19") == 1795978800000000000LL);
	assert_true(ts("2026-11-29") == 1795910400000000000LL);
	assert_true(ts("2026-11-29Z") == 1795910400000000000LL);
	assert_true(ts("2024-02-29") == 1709164800000000000LL);
	/* Unix times */
	assert_true(ts("1700000000") == 1700000000000000000LL);
	assert_true(ts("1700000000.123") == 1700000000123000000LL);
	assert_true(ts("1700000000.000000001") == 1700000000000000001LL);
	assert_true(ts("0") == 0);
	assert_true(ts("10") == 10 * SEC);
	/* local time, when the value has no zone */
	setenv("TZ", "EST5", 1);
	tzset();
	assert_true(ts("2026-11-29T14:22:12") == 1795980132000000000LL);
	assert_true(ts("2026-11-29T19:22:12Z") == 1795980132000000000LL);
	setenv("TZ", "UTC", 1);
	tzset();

	ts_error("xyz", "failed to parse value as time or duration: \"xyz\"");
	ts_error("10x", "failed to parse value as time or duration: \"10x\"");
	ts_error("1.2.3", "failed to parse value as time or duration: \"1.2.3\"");
	ts_error("2026-13-01", "parsing time \"2026-13-01\": month out of range");
	ts_error("2026-11-31", "parsing time \"2026-11-31\": day out of range");
	ts_error("2025-02-29", "parsing time \"2025-02-29\": day out of range");
	ts_error("2026-1-01",
		 "parsing time \"2026-1-01\" as \"2006-01-02\": cannot parse \"1-01\" as \"01\"");
	ts_error("2026-11-29T25:00", "parsing time \"2026-11-29T25:00\": hour out of range");
	/* the zone's colon counts as one of the time's, as in Docker */
	ts_error("2026-11-29T19:22:12+0100", "parsing time \"2026-11-29T19:22:12+0100\" as "
					     "\"2006-01-02T15:04Z07:00\": cannot parse "
					     "\":12+0100\" as \"Z07:00\"");
	ts_error("2026-11-29 19:22", "parsing time \"2026-11-29 19:22\": extra text: \" 19:22\"");
	ts_error("-5", "parsing time \"-5\" as \"2006-01-02\": cannot parse \"-5\" as \"2006\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_parse_escapes),
		cmocka_unit_test(test_parse_attrs),
		cmocka_unit_test(test_parse_corrupt),
		cmocka_unit_test(test_read_all_and_tail),
		cmocka_unit_test(test_tail_rotated),
		cmocka_unit_test(test_tail_large),
		cmocka_unit_test(test_since_until),
		cmocka_unit_test(test_partial_and_corrupt),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_follow_rotation),
		cmocka_unit_test(test_follow_truncation),
		cmocka_unit_test(test_follow_behind),
		cmocka_unit_test(test_follow_stopped),
		cmocka_unit_test(test_timestamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
