/*
 * Fuzz target for the parsers of -v, --mount and --volumes-from (volume/parse.c).
 * Besides not crashing: every refusal is an invalid-input error with a
 * message, and what parses keeps the invariants below; a broken one aborts.
 *
 * Built without libFuzzer (FUZZ_LIBFUZZER undefined), replay.c's main() replays
 * every file of the folder argv[1] and prints TAP.
 */
#include <stdint.h>
#include <stdio.h>

#include "util/json.h"
#include "util/strutil.h"
#include "volume/volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(const char *what, const char *input, const struct berth_error *err)
{
	if (!err || err->kind != BERTH_ERR_INVALID || !err->msg || !*err->msg) {
		fprintf(stderr, "%s refused '%s' without an invalid-input error\n", what, input);
		abort();
	}
}

/* A mount point's destination is absolute and clean, its type one of three. */
static void check_mount_point(const char *what, const char *input, const json_t *mp)
{
	const char *dest = json_get_str(mp, "Destination"), *type = json_get_str(mp, "Type");
	_cleanup_free_ char *clean = dest ? volume_clean_path(dest) : NULL;

	if (!dest || dest[0] != '/' || strcmp(clean, dest) || !strcmp(dest, "/") || !type ||
	    (strcmp(type, "bind") && strcmp(type, "volume") && strcmp(type, "tmpfs"))) {
		fprintf(stderr, "%s of '%s' gave a bad mount point\n", what, input);
		abort();
	}
	if (!strcmp(type, "bind") && json_get_str(mp, "Source")[0] != '/') {
		fprintf(stderr, "%s of '%s' gave a relative bind source\n", what, input);
		abort();
	}
}

static void parse_bind(const char *text)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *mp = volume_parse_bind(text, &err);

	if (!mp)
		check_refusal("bind", text, err);
	else
		check_mount_point("bind", text, mp);
}

static void parse_cli(const char *text)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *bind = NULL, *anonymous = NULL;

	if (volume_parse_cli_volume(text, "/cwd", &bind, &anonymous, &err) < 0) {
		check_refusal("-v", text, err);
		return;
	}
	if (!bind == !anonymous) {
		fprintf(stderr, "-v '%s' is neither a bind nor an anonymous volume\n", text);
		abort();
	}
	if (bind)
		parse_bind(bind);
}

static void parse_mount_flag(const char *text)
{
	_cleanup_error_ struct berth_error *err = NULL, *err2 = NULL;
	json_auto_t *m = volume_parse_mount_flag(text, "/cwd", &err), *mp = NULL;

	if (!m) {
		check_refusal("--mount", text, err);
		return;
	}
	mp = volume_parse_mount(m, false, &err2);
	if (!mp)
		check_refusal("mount", text, err2);
	else
		check_mount_point("mount", text, mp);
}

static void parse_volumes_from(const char *text)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *name = NULL, *mode = NULL;

	if (volume_parse_volumes_from(text, &name, &mode, &err) < 0)
		check_refusal("--volumes-from", text, err);
	else if (!volume_mode_valid(mode))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = xstrndup((const char *)data, size);

	parse_cli(text);
	parse_bind(text);
	parse_mount_flag(text);
	parse_volumes_from(text);
	return 0;
}

/* Without libFuzzer, tests/fuzz/replay.c gives the main() that replays the corpus. */
