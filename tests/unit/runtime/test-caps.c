#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/capability.h>
#include <sys/wait.h>

#include "runtime/caps.h"
#include "util/strutil.h"

#define BIT(n) (UINT64_C(1) << (n))

static void test_default_mask(void **state)
{
	(void)state;
	assert_int_equal(caps_default(), UINT64_C(0xa80425fb));
}

static void test_all_matches_kernel(void **state)
{
	int last = caps_last_cap();
	int known = last < 40 ? last : 40;

	(void)state;
	assert_true(last >= 35);
	assert_int_equal(caps_all(), BIT(known + 1) - 1);
	assert_int_equal(caps_all() & caps_default(), caps_default());
}

static void test_from_name(void **state)
{
	(void)state;
	assert_int_equal(caps_from_name("NET_RAW"), CAP_NET_RAW);
	assert_int_equal(caps_from_name("net_raw"), CAP_NET_RAW);
	assert_int_equal(caps_from_name("CAP_NET_RAW"), CAP_NET_RAW);
	assert_int_equal(caps_from_name("cap_Net_Raw"), CAP_NET_RAW);
	assert_int_equal(caps_from_name("chown"), 0);
	assert_int_equal(caps_from_name("CHECKPOINT_RESTORE"), 40);
	assert_int_equal(caps_from_name("ALL"), -1);
	assert_int_equal(caps_from_name("all"), -1);
	assert_int_equal(caps_from_name("FOO"), -1);
	assert_int_equal(caps_from_name("CAP_"), -1);
	assert_int_equal(caps_from_name(""), -1);
	assert_int_equal(caps_from_name("NET_RAW "), -1);
	assert_int_equal(caps_from_name(NULL), -1);
}

static void test_to_name(void **state)
{
	(void)state;
	assert_string_equal(caps_to_name(CAP_NET_RAW), "CAP_NET_RAW");
	assert_string_equal(caps_to_name(0), "CAP_CHOWN");
	assert_string_equal(caps_to_name(40), "CAP_CHECKPOINT_RESTORE");
	assert_null(caps_to_name(41));
	assert_null(caps_to_name(-1));
	for (int i = 0; i <= 40; i++) {
		assert_non_null(caps_to_name(i));
		assert_int_equal(caps_from_name(caps_to_name(i)), i);
	}
}

static uint64_t compute_ok(char *const *add, char *const *drop, bool privileged)
{
	struct berth_error *err = NULL;
	uint64_t out = 0;

	assert_int_equal(caps_compute(add, drop, privileged, &out, &err), 0);
	assert_null(err);
	return out;
}

static void test_compute_rules(void **state)
{
	char *none[] = {NULL};
	char *all[] = {"ALL", NULL};
	char *all_lower[] = {"all", NULL};
	char *net_raw[] = {"net_raw", NULL};
	char *admin_chown[] = {"CAP_NET_ADMIN", "chown", NULL};
	char *mknod[] = {"MKNOD", NULL};
	char *sys_admin[] = {"SYS_ADMIN", NULL};

	(void)state;
	assert_int_equal(compute_ok(NULL, NULL, false), caps_default());
	assert_int_equal(compute_ok(none, none, false), caps_default());
	assert_int_equal(compute_ok(NULL, NULL, true), caps_all());
	/* privileged wins over everything, even drop ALL */
	assert_int_equal(compute_ok(NULL, all, true), caps_all());
	assert_int_equal(compute_ok(all, net_raw, false), caps_all() & ~BIT(CAP_NET_RAW));
	assert_int_equal(compute_ok(all_lower, NULL, false), caps_all());
	assert_int_equal(compute_ok(admin_chown, all, false), BIT(CAP_NET_ADMIN) | BIT(CAP_CHOWN));
	assert_int_equal(compute_ok(NULL, all, false), 0);
	/* add ALL is checked first: drop ALL then removes nothing */
	assert_int_equal(compute_ok(all, all, false), caps_all());
	assert_int_equal(compute_ok(sys_admin, mknod, false),
			 (caps_default() & ~BIT(CAP_MKNOD)) | BIT(CAP_SYS_ADMIN));
	/* an add of a dropped default keeps it, as in moby */
	assert_int_equal(compute_ok(mknod, mknod, false), caps_default());
}

static void test_compute_unknown(void **state)
{
	char *foo[] = {"FOO", NULL};
	char *bogus[] = {"NET_RAW", "cap_bogus", NULL};
	char *all_prefixed[] = {"CAP_ALL", NULL};
	struct berth_error *err = NULL;
	uint64_t out = 42;

	(void)state;
	assert_int_equal(caps_compute(foo, NULL, false, &out, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	assert_string_equal(err->msg, "unknown capability: \"CAP_FOO\"");
	assert_int_equal(out, 42);
	berth_error_freep(&err);

	assert_int_equal(caps_compute(NULL, bogus, false, &out, &err), -1);
	assert_string_equal(err->msg, "unknown capability: \"CAP_BOGUS\"");
	berth_error_freep(&err);

	assert_int_equal(caps_compute(all_prefixed, NULL, false, &out, &err), -1);
	assert_string_equal(err->msg, "unknown capability: \"CAP_ALL\"");
	berth_error_freep(&err);

	/* privileged skips the lists, as moby does */
	assert_int_equal(caps_compute(foo, NULL, true, &out, &err), 0);
	assert_null(err);
}

static void test_to_strv(void **state)
{
	static const char *const want[] = {
		"CAP_CHOWN",	   "CAP_DAC_OVERRIDE", "CAP_FOWNER",
		"CAP_FSETID",	   "CAP_KILL",	       "CAP_SETGID",
		"CAP_SETUID",	   "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
		"CAP_NET_RAW",	   "CAP_SYS_CHROOT",   "CAP_MKNOD",
		"CAP_AUDIT_WRITE", "CAP_SETFCAP"};
	_cleanup_strv_ char **v = caps_to_strv(caps_default());
	_cleanup_strv_ char **empty = caps_to_strv(0);
	_cleanup_strv_ char **high = caps_to_strv(BIT(40) | BIT(63));

	(void)state;
	assert_int_equal(strv_len(v), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(v[i], want[i]);
	assert_non_null(empty);
	assert_null(empty[0]);
	/* bits without a name are left out */
	assert_int_equal(strv_len(high), 1);
	assert_string_equal(high[0], "CAP_CHECKPOINT_RESTORE");
}

/* Reads "Name:\t%llx" from /proc/self/status. */
static int status_mask(const char *name, uint64_t *out)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t n = strlen(name);

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			return sscanf(line + n + 1, "%" SCNx64, out) == 1 ? 0 : -1;
	return -1;
}

/* Runs in a forked child; the exit code says which step failed. */
static int apply_and_check(uint64_t keep)
{
	uint64_t bnd, eff, prm, inh, amb;

	if (caps_drop_bounding(keep, NULL) < 0)
		return 10;
	if (caps_set_process(keep, keep, 0, NULL) < 0)
		return 11;
	if (status_mask("CapBnd", &bnd) < 0 || status_mask("CapEff", &eff) < 0 ||
	    status_mask("CapPrm", &prm) < 0 || status_mask("CapInh", &inh) < 0 ||
	    status_mask("CapAmb", &amb) < 0)
		return 12;
	if (bnd != keep)
		return 13;
	if (eff != keep || prm != keep)
		return 14;
	if (inh != 0 || amb != 0)
		return 15;
	return 0;
}

static void test_apply_in_child(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(apply_and_check(caps_default()));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_drop_bounding_without_setpcap(void **state)
{
	int status = 0;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct berth_error *err = NULL;
		int rc;

		if (caps_set_process(caps_default() & ~BIT(CAP_SETPCAP), caps_default(), 0, NULL) <
		    0)
			_exit(10);
		/* Dropping what is already gone needs no CAP_SETPCAP... */
		if (caps_drop_bounding(caps_all(), NULL) < 0)
			_exit(11);
		/* ...dropping more does (CAP_CHOWN is surely there), and fails. */
		rc = caps_drop_bounding(0, &err);
		if (rc != -1 || !err || err->status != EPERM ||
		    !str_has_prefix(err->msg, "drop capability "))
			_exit(12);
		berth_error_freep(&err);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_mask),
		cmocka_unit_test(test_all_matches_kernel),
		cmocka_unit_test(test_from_name),
		cmocka_unit_test(test_to_name),
		cmocka_unit_test(test_compute_rules),
		cmocka_unit_test(test_compute_unknown),
		cmocka_unit_test(test_to_strv),
		cmocka_unit_test(test_apply_in_child),
		cmocka_unit_test(test_drop_bounding_without_setpcap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
