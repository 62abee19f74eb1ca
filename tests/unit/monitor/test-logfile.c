#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "monitor/logfile.h"
#include "util/json.h"
#include "util/fs.h"
#include "util/strutil.h"

static void check_escape(const char *in, size_t len, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	logfile_json_escape(&sb, in, len);
	assert_string_equal(sb.buf ? sb.buf : "", want);
	strbuf_release(&sb);
}

static void test_escape(void **state)
{
	(void)state;
	check_escape("out1\n", 5, "out1\\n");
	check_escape("a\"b\\c\t\r", 7, "a\\\"b\\\\c\\t\\r");
	check_escape("<a>&", 4, "\\u003ca\\u003e\\u0026");
	check_escape("\x01\x1f", 2, "\\u0001\\u001f");
	check_escape("h\xc3\xa9", 3, "h\xc3\xa9");
	check_escape("bad\xff", 4, "bad\\ufffd");
	check_escape("\xe2\x80\xa8", 3, "\\u2028");
	check_escape("\xc0\x80", 2, "\\ufffd\\ufffd");
}

static void test_lines(void **state)
{
	char path[] = "/tmp/berth-logfile-XXXXXX";
	int fd = mkstemp(path);
	struct logfile *lf;
	char *text;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	lf = logfile_open(path, NULL, NULL);
	assert_non_null(lf);
	logfile_write(lf, 1, "out1\nout", 8);
	logfile_write(lf, 2, "err1\n", 5);
	logfile_write(lf, 1, "2 with  spaces\nno-newline", 25);
	logfile_close(lf);
	text = fs_read_file(path, NULL, NULL);
	assert_non_null(text);
	/* one object per line, key order log, stream, time; the last line keeps no \n */
	assert_non_null(strstr(text, "{\"log\":\"out1\\n\",\"stream\":\"stdout\",\"time\":\""));
	assert_non_null(strstr(text, "{\"log\":\"err1\\n\",\"stream\":\"stderr\",\"time\":\""));
	assert_non_null(strstr(text, "{\"log\":\"out2 with  spaces\\n\",\"stream\":\"stdout\""));
	assert_non_null(strstr(text, "{\"log\":\"no-newline\",\"stream\":\"stdout\""));
	int lines = 0;
	for (char *p = text; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 4);
	free(text);
	unlink(path);
}

/* A private folder with the log path in it; removed by rm_dir(). */
static char *temp_log(char *dir)
{
	assert_non_null(mkdtemp(dir));
	return xasprintf("%s/c-json.log", dir);
}

static void rm_dir(const char *dir)
{
	assert_int_equal(fs_rm_rf(dir, NULL), 0);
}

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* Entries as "N\n" lines: writes first..last. */
static void write_numbers(struct logfile *lf, int first, int last)
{
	for (int i = first; i <= last; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%d\n", i);
		logfile_write(lf, 1, line, (size_t)n);
	}
}

/* The numbers in a log file, in order, appended to v (n of them). */
static void read_numbers(const char *path, int *v, int *n)
{
	_cleanup_free_ char *text = fs_read_file(path, NULL, NULL);

	if (!text)
		return;
	for (char *p = text; (p = strstr(p, "{\"log\":\"")); p++)
		v[(*n)++] = atoi(p + 8);
}

static void test_rotate(void **state)
{
	char dir[] = "/tmp/berth-logfile-XXXXXX";
	_cleanup_free_ char *path = temp_log(dir);
	_cleanup_free_ char *p1 = xasprintf("%s.1", path), *p2 = xasprintf("%s.2", path);
	_cleanup_free_ char *p3 = xasprintf("%s.3", path);
	struct logfile_opts o = {.max_size = 500, .max_files = 3};
	struct logfile *lf;
	int v[1000], n = 0;

	(void)state;
	lf = logfile_open(path, &o, NULL);
	assert_non_null(lf);
	write_numbers(lf, 1, 100);
	logfile_close(lf);
	assert_true(fs_exists(p1));
	assert_true(fs_exists(p2));
	assert_false(fs_exists(p3));
	/* a rotated file reached max-size, and holds no entry beyond it */
	assert_true(file_size(p1) >= 500 && file_size(p1) < 600);
	assert_true(file_size(p2) >= 500 && file_size(p2) < 600);
	assert_true(file_size(path) > 0 && file_size(path) < 600);
	/* oldest first: .2, .1, the log; what is kept ends with the last entry, in order */
	read_numbers(p2, v, &n);
	read_numbers(p1, v, &n);
	read_numbers(path, v, &n);
	assert_true(n > 10);
	assert_int_equal(v[n - 1], 100);
	for (int i = 1; i < n; i++)
		assert_int_equal(v[i], v[i - 1] + 1);
	rm_dir(dir);
}

static void test_rotate_one_file(void **state)
{
	char dir[] = "/tmp/berth-logfile-XXXXXX";
	_cleanup_free_ char *path = temp_log(dir);
	_cleanup_free_ char *p1 = xasprintf("%s.1", path);
	struct logfile_opts o = {.max_size = 300, .max_files = 1};
	struct logfile *lf;
	int v[1000], n = 0;

	(void)state;
	lf = logfile_open(path, &o, NULL);
	assert_non_null(lf);
	write_numbers(lf, 1, 50);
	logfile_close(lf);
	/* max-file 1: the log starts again empty, nothing is kept beside it */
	assert_false(fs_exists(p1));
	assert_true(file_size(path) < 400);
	read_numbers(path, v, &n);
	assert_true(n >= 1);
	assert_int_equal(v[n - 1], 50);
	assert_int_equal(v[0], 50 - n + 1);
	rm_dir(dir);
}

static void test_rotate_reopen(void **state)
{
	char dir[] = "/tmp/berth-logfile-XXXXXX";
	_cleanup_free_ char *path = temp_log(dir);
	_cleanup_free_ char *p1 = xasprintf("%s.1", path);
	struct logfile_opts o = {.max_size = 100, .max_files = 2};
	struct logfile *lf;
	int v[100], n = 0;

	(void)state;
	/* a restart: the size of what is there counts */
	lf = logfile_open(path, NULL, NULL);
	write_numbers(lf, 1, 3);
	logfile_close(lf);
	assert_true(file_size(path) > 100);
	lf = logfile_open(path, &o, NULL);
	write_numbers(lf, 4, 4);
	logfile_close(lf);
	read_numbers(p1, v, &n);
	assert_int_equal(n, 3);
	n = 0;
	read_numbers(path, v, &n);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 4);
	rm_dir(dir);
}

static void test_no_rotation(void **state)
{
	char dir[] = "/tmp/berth-logfile-XXXXXX";
	_cleanup_free_ char *path = temp_log(dir);
	_cleanup_free_ char *p1 = xasprintf("%s.1", path);
	struct logfile_opts o = {.max_size = 0, .max_files = 5};
	struct logfile *lf;
	int v[1000], n = 0;

	(void)state;
	lf = logfile_open(path, &o, NULL);
	write_numbers(lf, 1, 200);
	logfile_close(lf);
	assert_false(fs_exists(p1));
	read_numbers(path, v, &n);
	assert_int_equal(n, 200);
	rm_dir(dir);
}

static void check_opts(const char *json, long long size, int files)
{
	json_auto_t *j = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
	struct berth_error *err = NULL;
	struct logfile_opts o;

	assert_true(!json || j);
	if (logfile_parse_opts(j, &o, &err) < 0)
		fail_msg("%s: %s", json, err->msg);
	assert_int_equal(o.max_size, size);
	assert_int_equal(o.max_files, files);
}

static void check_opts_error(const char *json, const char *msg)
{
	json_auto_t *j = json_loads(json, 0, NULL);
	struct berth_error *err = NULL;
	struct logfile_opts o;

	assert_non_null(j);
	assert_int_equal(logfile_parse_opts(j, &o, &err), -1);
	assert_string_equal(err->msg, msg);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	berth_error_free(err);
}

static void test_parse_opts(void **state)
{
	(void)state;
	check_opts(NULL, 0, 1);
	check_opts("{}", 0, 1);
	check_opts("null", 0, 1);
	/* Docker's units.FromHumanSize: decimal, whatever the suffix */
	check_opts("{\"max-size\": \"10m\", \"max-file\": \"3\"}", 10000000, 3);
	check_opts("{\"max-size\": \"1k\"}", 1000, 1);
	check_opts("{\"max-size\": \"1.5KB\"}", 1500, 1);
	check_opts("{\"max-size\": \"10 MiB\"}", 10000000, 1);
	check_opts("{\"max-size\": \"2g\"}", 2000000000LL, 1);
	check_opts("{\"max-size\": \"123\"}", 123, 1);
	check_opts("{\"max-file\": \"+2\", \"labels\": \"a\", \"tag\": \"x\", \"env\": \"A\"}", 0,
		   2);
	check_opts("{\"compress\": \"false\"}", 0, 1);
	/* every driver's options */
	check_opts("{\"mode\": \"non-blocking\", \"max-buffer-size\": \"4m\"}", 0, 1);
	check_opts("{\"mode\": \"blocking\"}", 0, 1);
	check_opts_error("{\"mode\": \"fast\"}", "logger: logging mode not supported: fast");
	check_opts_error(
		"{\"max-buffer-size\": \"4m\"}",
		"logger: max-buffer-size option is only supported with 'mode=non-blocking'");
	check_opts_error("{\"mode\": \"non-blocking\", \"max-buffer-size\": \"x\"}",
			 "error parsing option max-buffer-size: invalid size: 'x'");
	check_opts_error("{\"max-size\": \"abc\"}", "invalid size: 'abc'");
	check_opts_error("{\"max-size\": \"10x\"}", "invalid size: '10x'");
	check_opts_error("{\"max-size\": \"-1\"}", "invalid size: '-1'");
	check_opts_error("{\"max-size\": \"\"}", "invalid size: ''");
	check_opts_error("{\"max-size\": \"0\"}", "max-size must be a positive number");
	check_opts_error("{\"max-size\": \"1.2.3\"}",
			 "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax");
	check_opts_error("{\"max-file\": \"0\"}", "max-file cannot be less than 1");
	check_opts_error("{\"max-file\": \"x\"}", "strconv.Atoi: parsing \"x\": invalid syntax");
	check_opts_error("{\"max-file\": \"99999999999999999999\"}",
			 "strconv.Atoi: parsing \"99999999999999999999\": value out of range");
	check_opts_error("{\"max-buffer\": \"1\"}",
			 "unknown log opt 'max-buffer' for json-file log driver");
	check_opts_error("{\"compress\": \"yes\"}",
			 "strconv.ParseBool: parsing \"yes\": invalid syntax");
	check_opts_error("{\"compress\": \"true\", \"max-size\": \"1m\"}",
			 "compress cannot be true when max-file is less than 2 or max-size is "
			 "not set");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),	      cmocka_unit_test(test_lines),
		cmocka_unit_test(test_rotate),	      cmocka_unit_test(test_rotate_one_file),
		cmocka_unit_test(test_rotate_reopen), cmocka_unit_test(test_no_rotation),
		cmocka_unit_test(test_parse_opts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
