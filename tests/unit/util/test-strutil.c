#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/strutil.h"

static void test_parse_size(void **state)
{
	long long n;

	(void)state;
	assert_int_equal(parse_size("100", &n), 0);
	assert_int_equal(n, 100);
	assert_int_equal(parse_size("64m", &n), 0);
	assert_int_equal(n, 64LL << 20);
	assert_int_equal(parse_size("64MB", &n), 0);
	assert_int_equal(n, 64LL << 20);
	assert_int_equal(parse_size("1.5g", &n), 0);
	assert_int_equal(n, 3LL << 29);
	assert_int_equal(parse_size("512KiB", &n), 0);
	assert_int_equal(n, 512LL << 10);
	assert_int_equal(parse_size("", &n), -1);
	assert_int_equal(parse_size("lots", &n), -1);
	assert_int_equal(parse_size("-1m", &n), -1);
	assert_int_equal(parse_size("12q", &n), -1);
	assert_int_equal(parse_size("12mbx", &n), -1);
	assert_int_equal(parse_size(" 1", &n), -1);
}

static void check_size(double bytes, const char *want)
{
	char buf[32];
	format_human_size(bytes, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_human_size(void **state)
{
	(void)state;
	check_size(0, "0B");
	check_size(999, "999B");
	check_size(1985580, "1.99MB");
	check_size(167000000, "167MB");
	check_size(1000, "1kB");
	check_size(2.5e12, "2.5TB");
}

static void check_duration(long long s, const char *want)
{
	char buf[64];
	format_human_duration(s, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_human_duration(void **state)
{
	(void)state;
	check_duration(0, "Less than a second");
	check_duration(1, "1 second");
	check_duration(59, "59 seconds");
	check_duration(60, "About a minute");
	check_duration(36 * 60, "36 minutes");
	check_duration(3600, "About an hour");
	check_duration(5 * 3600, "5 hours");
	check_duration(3 * 86400, "3 days");
	check_duration(20 * 86400, "2 weeks");
	check_duration(90 * 86400, "3 months");
	check_duration(800 * 86400, "2 years");
}

static void test_strv(void **state)
{
	char **v = NULL, **d;

	(void)state;
	assert_int_equal(strv_len(v), 0);
	strv_push(&v, "a");
	strv_push_take(&v, xstrdup("b"));
	assert_int_equal(strv_len(v), 2);
	d = strv_dup(v);
	assert_string_equal(d[1], "b");
	assert_null(d[2]);
	strv_free(v);
	strv_free(d);
	assert_true(str_has_prefix("sha256:x", "sha256:"));
	assert_true(str_has_suffix("a.tar.gz", ".gz"));
	assert_false(str_has_suffix("gz", ".tar.gz"));
	assert_true(str_is_hex("0a9f", 4));
	assert_false(str_is_hex("0A9f", 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_human_size),
		cmocka_unit_test(test_human_duration),
		cmocka_unit_test(test_strv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
