/* The parsers of -v, --mount and --volumes-from (volume/parse.c), against Docker's rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/mount.h>
#include <unistd.h>

#include "util/json.h"
#include "util/strutil.h"
#include "volume/volume.h"

/* The CLI's -v: a bind for HostConfig.Binds, or an anonymous volume's path. */
static void cli(const char *spec, const char *bind, const char *anonymous)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *b = NULL, *a = NULL;

	if (volume_parse_cli_volume(spec, "/work/dir", &b, &a, &err) < 0)
		fail_msg("'%s': %s", spec, err->msg);
	if (bind)
		assert_string_equal(b, bind);
	else
		assert_null(b);
	if (anonymous)
		assert_string_equal(a, anonymous);
	else
		assert_null(a);
}

static void cli_error(const char *spec, const char *msg)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *b = NULL, *a = NULL;

	assert_int_equal(volume_parse_cli_volume(spec, "/work/dir", &b, &a, &err), -1);
	assert_string_equal(err->msg, msg);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
}

static void test_cli_volume(void **state)
{
	(void)state;
	cli("/var/log", NULL, "/var/log");
	cli("/a", NULL, "/a");
	cli("/srv:/srv", "/srv:/srv", NULL);
	cli("data:/data:ro", "data:/data:ro", NULL);
	cli("./sub:/x:ro", "/work/dir/sub:/x:ro", NULL);
	cli(".:/x", "/work/dir:/x", NULL);
	cli("../up:/x", "../up:/x", NULL); /* the daemon refuses it as a volume name */
	cli_error("", "invalid empty volume spec");
	cli_error(":/x", "invalid spec: :/x: empty section between colons");
	cli_error("/a::/b", "invalid spec: /a::/b: empty section between colons");
	cli_error("/a:/b:", "invalid spec: /a:/b:: empty section between colons");
	cli_error("/a:/b:ro:x", "invalid spec: /a:/b:ro:x: too many colons");
}

/* One HostConfig.Binds entry read as the daemon does. */
static json_t *bind_ok(const char *raw)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_t *mp = volume_parse_bind(raw, &err);

	if (!mp)
		fail_msg("'%s': %s", raw, err->msg);
	return mp;
}

static void bind_error(const char *raw, const char *msg)
{
	_cleanup_error_ struct berth_error *err = NULL;

	assert_null(volume_parse_bind(raw, &err));
	assert_string_equal(err->msg, msg);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
}

static void test_bind(void **state)
{
	json_t *mp;

	(void)state;
	mp = bind_ok("/host//dir/:/ctr/./x");
	assert_string_equal(json_get_str(mp, "Type"), "bind");
	assert_string_equal(json_get_str(mp, "Source"), "/host/dir");
	assert_string_equal(json_get_str(mp, "Destination"), "/ctr/x");
	assert_string_equal(json_get_str(mp, "Propagation"), "rprivate");
	assert_true(json_is_true(json_object_get(mp, "RW")));
	assert_true(json_is_true(json_object_get(mp, "CreateSource")));
	assert_false(json_is_true(json_object_get(mp, "Anonymous")));
	json_decref(mp);

	mp = bind_ok("/h:/c:ro,rslave,Z");
	assert_false(json_is_true(json_object_get(mp, "RW")));
	assert_string_equal(json_get_str(mp, "Propagation"), "rslave");
	assert_string_equal(json_get_str(mp, "Mode"), "ro,rslave,Z");
	json_decref(mp);

	mp = bind_ok("data:/data");
	assert_string_equal(json_get_str(mp, "Type"), "volume");
	assert_string_equal(json_get_str(mp, "Name"), "data");
	assert_true(json_is_true(json_object_get(mp, "CopyData")));
	assert_false(json_is_true(json_object_get(mp, "Anonymous")));
	json_decref(mp);

	mp = bind_ok("data:/data:ro,nocopy");
	assert_false(json_is_true(json_object_get(mp, "RW")));
	assert_false(json_is_true(json_object_get(mp, "CopyData")));
	json_decref(mp);

	mp = bind_ok("/anon");
	assert_string_equal(json_get_str(mp, "Type"), "volume");
	assert_string_equal(json_get_str(mp, "Name"), "");
	assert_true(json_is_true(json_object_get(mp, "Anonymous")));
	json_decref(mp);

	bind_error("/h:/c:bogus", "invalid mode: bogus");
	bind_error("/h:/c:ro,rw", "invalid mode: ro,rw");
	bind_error("/h:/c:ro,", "invalid mode: ro,");
	bind_error("/h:ro", "invalid volume specification: '/h:ro'");
	bind_error(":/c", "invalid volume specification: ':/c'");
	bind_error("/a:/b:ro:x", "invalid volume specification: '/a:/b:ro:x'");
	bind_error("/h:rel",
		   "invalid volume specification: '/h:rel': invalid mount config for "
		   "type \"bind\": invalid mount path: 'rel' mount path must be absolute");
	bind_error("/h:/", "invalid volume specification: '/h:/': invalid mount config for type "
			   "\"bind\": invalid specification: destination can't be '/'");
	bind_error("rel", "invalid volume specification: 'rel': invalid mount config for type "
			  "\"volume\": invalid mount path: 'rel' mount path must be absolute");
}

static json_t *flag_ok(const char *value)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_t *m = volume_parse_mount_flag(value, "/work/dir", &err);

	if (!m)
		fail_msg("'%s': %s", value, err->msg);
	return m;
}

static void flag_error(const char *value, const char *msg)
{
	_cleanup_error_ struct berth_error *err = NULL;

	assert_null(volume_parse_mount_flag(value, "/work/dir", &err));
	assert_string_equal(err->msg, msg);
}

static void test_mount_flag(void **state)
{
	json_t *m;

	(void)state;
	m = flag_ok("dst=/data");
	assert_string_equal(json_get_str(m, "Type"), "volume");
	assert_string_equal(json_get_str(m, "Target"), "/data");
	json_decref(m);

	m = flag_ok("type=BIND,source=./x,target=/y,readonly,bind-propagation=RSLAVE");
	assert_string_equal(json_get_str(m, "Type"), "bind");
	assert_string_equal(json_get_str(m, "Source"), "/work/dir/x");
	assert_true(json_is_true(json_object_get(m, "ReadOnly")));
	assert_string_equal(json_get_str(json_object_get(m, "BindOptions"), "Propagation"),
			    "rslave");
	json_decref(m);

	m = flag_ok("type=volume,src=v,dst=/v,ro=false,volume-nocopy,volume-label=a=b");
	assert_false(json_is_true(json_object_get(m, "ReadOnly")));
	assert_true(json_is_true(json_object_get(json_object_get(m, "VolumeOptions"), "NoCopy")));
	assert_string_equal(
		json_get_str(json_object_get(json_object_get(m, "VolumeOptions"), "Labels"), "a"),
		"b");
	json_decref(m);

	m = flag_ok("type=tmpfs,dst=/cache,tmpfs-size=64m,tmpfs-mode=1770");
	assert_int_equal(json_integer_value(
				 json_object_get(json_object_get(m, "TmpfsOptions"), "SizeBytes")),
			 64 << 20);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(m, "TmpfsOptions"), "Mode")),
		01770);
	json_decref(m);

	/* encoding/csv: a quoted field may hold commas */
	m = flag_ok("type=bind,\"src=/a,b\",dst=/c");
	assert_string_equal(json_get_str(m, "Source"), "/a,b");
	json_decref(m);

	flag_error("type=bind,src=/a", "target is required");
	flag_error("type=,dst=/a", "type is required");
	flag_error("dst=/a,foo=bar", "unexpected key 'foo' in 'foo=bar'");
	flag_error("dst=/a,bogus", "invalid field 'bogus' must be a key=value pair");
	flag_error("dst=/a,readonly=maybe", "invalid value for readonly: maybe");
	flag_error("type=tmpfs,dst=/a,tmpfs-mode=9", "invalid value for tmpfs-mode: 9");
	flag_error("type=tmpfs,dst=/a,tmpfs-size=lots", "invalid value for tmpfs-size: lots");
	flag_error("type=bind,src=/a,dst=/b,volume-nocopy",
		   "cannot mix 'volume-*' options with mount type 'bind'");
	flag_error("type=volume,dst=/b,bind-propagation=shared",
		   "cannot mix 'bind-*' options with mount type 'volume'");
	flag_error("type=bind,src=/a,dst=/b,tmpfs-size=1m",
		   "cannot mix 'tmpfs-*' options with mount type 'bind'");
	flag_error("dst=/a,src=\"x",
		   "parse error on line 1, column 12: bare \" in non-quoted-field");
}

static void mount_error(const char *json, const char *msg)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *m = json_loads(json, 0, NULL);

	assert_non_null(m);
	assert_null(volume_parse_mount(m, true, &err));
	assert_string_equal(err->msg, msg);
}

static void test_mount(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *m = NULL;
	json_t *mp;

	(void)state;
	m = json_pack("{s:s, s:s, s:{s:I, s:I}}", "Type", "tmpfs", "Target", "/cache",
		      "TmpfsOptions", "SizeBytes", (json_int_t)64 << 20, "Mode", (json_int_t)01777);
	mp = volume_parse_mount(m, true, &err);
	assert_non_null(mp);
	assert_string_equal(json_get_str(mp, "Data"), "mode=1777,size=64m");
	json_decref(mp);
	json_decref(m);

	m = json_pack("{s:s, s:s, s:s, s:{s:b}}", "Type", "bind", "Source", "/nonexistent/berth",
		      "Target", "/x", "BindOptions", "CreateMountpoint", 1);
	mp = volume_parse_mount(m, true, &err);
	assert_non_null(mp);
	assert_true(json_is_true(json_object_get(mp, "CreateSource")));
	json_decref(mp);

	mount_error("{\"Type\":\"bind\",\"Source\":\"/nonexistent/berth\",\"Target\":\"/x\"}",
		    "invalid mount config for type \"bind\": bind source path does not exist: "
		    "/nonexistent/berth");
	mount_error("{\"Type\":\"bind\",\"Source\":\"rel\",\"Target\":\"/x\"}",
		    "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path "
		    "must be absolute");
	mount_error("{\"Type\":\"volume\",\"Target\":\"/x\",\"ReadOnly\":true}",
		    "invalid mount config for type \"volume\": must not set ReadOnly mode when "
		    "using anonymous volumes");
	mount_error("{\"Type\":\"volume\",\"Target\":\"\"}",
		    "invalid mount config for type \"volume\": field Target must not be empty");
	mount_error("{\"Type\":\"tmpfs\",\"Source\":\"x\",\"Target\":\"/x\"}",
		    "invalid mount config for type \"tmpfs\": field Source must not be specified");
	mount_error("{\"Type\":\"npipe\",\"Target\":\"/x\"}",
		    "invalid mount config for type \"npipe\": mount type unknown");
	mount_error("{\"Type\":\"bind\",\"Source\":\"/\",\"Target\":\"/x\",\"BindOptions\":"
		    "{\"Propagation\":\"sideways\"}}",
		    "invalid mount config for type \"bind\": invalid propagation mode: sideways");
}

static void test_volumes_from(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	char *name = NULL, *mode = NULL;

	(void)state;
	assert_int_equal(volume_parse_volumes_from("data", &name, &mode, &err), 0);
	assert_string_equal(name, "data");
	assert_string_equal(mode, "rw");
	free(name);
	free(mode);
	assert_int_equal(volume_parse_volumes_from("data:ro,z", &name, &mode, &err), 0);
	assert_string_equal(mode, "ro,z");
	assert_false(volume_mode_rw(mode));
	free(name);
	free(mode);
	assert_int_equal(volume_parse_volumes_from("", &name, &mode, &err), -1);
	assert_string_equal(err->msg, "volumes-from specification cannot be an empty string");
	berth_error_freep(&err);
	assert_int_equal(volume_parse_volumes_from("data:rslave", &name, &mode, &err), -1);
	assert_string_equal(err->msg, "invalid mode: rslave");
	berth_error_freep(&err);
	assert_int_equal(volume_parse_volumes_from("data:nocopy", &name, &mode, &err), -1);
	assert_string_equal(err->msg, "invalid mode: nocopy");
}

static void test_helpers(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *opts = NULL;
	char *p;

	(void)state;
	assert_true(volume_mode_valid(""));
	assert_true(volume_mode_valid("ro,z,rshared,nocopy,cached"));
	assert_false(volume_mode_valid("ro,rw"));
	assert_false(volume_mode_valid("z,Z"));
	assert_true(volume_mode_rw("z"));
	assert_false(volume_mode_rw("z,ro"));
	assert_int_equal(volume_propagation_flags("rslave"), MS_SLAVE | MS_REC);
	assert_int_equal(volume_propagation_flags("shared"), MS_SHARED);
	assert_int_equal(volume_propagation_flags(""), 0);
	assert_int_equal(volume_propagation_flags("bogus"), 0);
	p = volume_clean_path("/a/./b/../../../c//");
	assert_string_equal(p, "/c");
	free(p);
	p = volume_clean_path("a/../..");
	assert_string_equal(p, "..");
	free(p);

	assert_int_equal(volume_validate_name("data.1_x-y", &err), 0);
	assert_int_equal(volume_validate_name("x", &err), -1);
	assert_string_equal(err->msg, "volume name is too short, names should be at least two "
				      "alphanumeric characters");
	berth_error_freep(&err);
	assert_int_equal(volume_validate_name("-x", &err), -1);
	berth_error_freep(&err);
	assert_int_equal(volume_validate_name("a/b", &err), -1);
	assert_string_equal(err->msg,
			    "\"a/b\" includes invalid characters for a local volume "
			    "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
			    "intended to pass a host directory, use absolute path");
	berth_error_freep(&err);

	opts = json_pack("{s:s}", "o", "size=1m");
	assert_int_equal(volume_validate_options(opts, &err), -1);
	assert_string_equal(err->msg, "missing required option: \"device\"");
	berth_error_freep(&err);
	json_decref(opts);
	opts = json_pack("{s:s}", "color", "red");
	assert_int_equal(volume_validate_options(opts, &err), -1);
	assert_string_equal(err->msg, "invalid option: \"color\"");
	berth_error_freep(&err);
	json_decref(opts);
	opts = json_pack("{s:s, s:s, s:s}", "type", "tmpfs", "device", "tmpfs", "o", "size=1m");
	assert_int_equal(volume_validate_options(opts, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_volume),   cmocka_unit_test(test_bind),
		cmocka_unit_test(test_mount_flag),   cmocka_unit_test(test_mount),
		cmocka_unit_test(test_volumes_from), cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
