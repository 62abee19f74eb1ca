#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "monitor/logfile.h"
#include "util/fs.h"

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
	lf = logfile_open(path, NULL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
