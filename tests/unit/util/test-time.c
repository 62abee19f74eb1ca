#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/timeutil.h"

static void test_format(void **state)
{
	char buf[64];
	int64_t ns = 1795978932115942173LL; /* 2026-11-29T19:02:12.115942173Z */

	(void)state;
	time_format_rfc3339nano(ns, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T19:02:12.115942173Z");
	time_format_rfc3339nano(1795978932131710700LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T19:02:12.1317107Z");
	time_format_rfc3339nano_fixed(1795978932131710700LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T19:02:12.131710700Z");
	time_format_rfc3339nano(1795978932000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-29T19:02:12Z");
}

static void test_parse(void **state)
{
	int64_t ns;

	(void)state;
	assert_int_equal(time_parse_rfc3339("2026-11-29T19:02:12.115942173Z", &ns), 0);
	assert_int_equal(ns, 1795978932115942173LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29T20:02:12.5+01:00", &ns), 0);
	assert_int_equal(ns, 1795978932500000000LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29T19:02:12Z", &ns), 0);
	assert_int_equal(ns, 1795978932000000000LL);
	assert_int_equal(time_parse_rfc3339("2026-11-29", &ns), -1);
	assert_int_equal(time_parse_rfc3339("2026-11-29T19:02:12.Z", &ns), -1);
	assert_int_equal(time_parse_rfc3339("2026-11-29T19:02:12Zjunk", &ns), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
