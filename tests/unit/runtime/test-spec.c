#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "runtime/caps.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/strutil.h"

static struct runtime_spec *sample(void)
{
	struct runtime_spec *s = xcalloc(1, sizeof(*s));

	s->argv = xcalloc(3, sizeof(char *));
	s->argv[0] = xstrdup("sh");
	s->argv[1] = xstrdup("-c");
	strv_push(&s->env, "PATH=/bin");
	s->cwd = xstrdup("/tmp");
	s->user = xstrdup("nobody");
	s->hostname = xstrdup("box");
	s->merged = xstrdup("/x/merged");
	s->caps = caps_default();
	s->limits.memory = 64 << 20;
	s->limits.pids = 50;
	s->rlimits = xcalloc(1, sizeof(*s->rlimits));
	s->rlimits[0] = (struct runtime_rlimit){RLIMIT_NOFILE, 100, 200};
	s->n_rlimits = 1;
	runtime_spec_add_mount(s, "tmpfs", "tmpfs", "/run", "size=1m", MS_NOSUID | MS_RDONLY);
	return s;
}

static void test_oci(void **state)
{
	struct runtime_spec *s = sample();
	json_t *j = runtime_spec_to_oci(s, "/berth/abc");
	json_t *p = json_object_get(j, "process"), *v;
	size_t i;
	bool found = false;

	(void)state;
	assert_non_null(j);
	assert_string_equal(json_get_str(j, "ociVersion"), "1.0.2");
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "args"), 1)), "-c");
	assert_string_equal(json_get_str(p, "cwd"), "/tmp");
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(p, "capabilities"), "bounding")),
		14);
	v = json_array_get(json_object_get(p, "rlimits"), 0);
	assert_string_equal(json_get_str(v, "type"), "RLIMIT_NOFILE");
	assert_int_equal(json_integer_value(json_object_get(v, "hard")), 200);
	v = json_object_get(json_object_get(j, "linux"), "resources");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "memory"), "limit")),
			 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "pids"), "limit")),
			 50);
	assert_string_equal(json_get_str(json_object_get(j, "linux"), "cgroupsPath"), "/berth/abc");
	/* a new network namespace unless the host's */
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(j, "linux"), "namespaces")), 6);
	assert_true(json_array_size(json_object_get(json_object_get(j, "linux"), "maskedPaths")) >
		    5);
	json_array_foreach(json_object_get(j, "mounts"), i, v)
	{
		if (strcmp(json_get_str(v, "destination"), "/run") != 0)
			continue;
		found = true;
		assert_string_equal(
			json_string_value(json_array_get(json_object_get(v, "options"), 0)), "ro");
		assert_string_equal(
			json_string_value(json_array_get(json_object_get(v, "options"), 2)),
			"size=1m");
	}
	assert_true(found);
	json_decref(j);
	runtime_spec_free(s);
}

static void test_privileged_host(void **state)
{
	struct runtime_spec *s = sample();
	json_t *j;

	(void)state;
	s->privileged = true;
	s->net = RUNTIME_NET_HOST;
	j = runtime_spec_to_oci(s, "/berth/abc");
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(j, "linux"), "namespaces")), 5);
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(j, "linux"), "maskedPaths")), 0);
	json_decref(j);
	runtime_spec_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oci),
		cmocka_unit_test(test_privileged_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
