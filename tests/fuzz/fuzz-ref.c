/*
 * Fuzz target for image_ref_parse(). Besides not crashing, a parsed reference
 * must keep the invariants below; a broken one aborts.
 *
 * Built without libFuzzer (FUZZ_LIBFUZZER undefined), main() replays every
 * file of the folder argv[1] and prints TAP.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>

#include "image/ref.h"
#include "util/fs.h"
#include "util/strutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "%s: '%s' != '%s'\n", what, a, b);
		abort();
	}
}

/* Parses s, which must be valid, and returns its canonical form. */
static char *reparse(const char *what, const char *s)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(s, &err);

	if (!r) {
		fprintf(stderr, "%s: '%s' does not parse: %s\n", what, s, err->msg);
		abort();
	}
	return image_ref_format(r);
}

/* A Hub path whose first component looks like a domain has an ambiguous familiar form. */
static bool familiar_is_ambiguous(const struct image_ref *r)
{
	size_t n = strcspn(r->path, "/");

	return strcmp(r->domain, "docker.io") == 0 && r->path[n] == '/' &&
	       (memchr(r->path, '.', n) || (n == 9 && strncmp(r->path, "localhost", n) == 0));
}

static void check_invariants(const struct image_ref *r)
{
	_cleanup_free_ char *name = image_ref_name(r);
	_cleanup_free_ char *s = image_ref_format(r);
	_cleanup_free_ char *again = reparse("format", s);
	_cleanup_free_ char *familiar = image_ref_familiar(r);

	if (!r->domain || !r->path || (!r->tag && !r->digest) || strlen(name) > 255 ||
	    !str_has_prefix(s, name) || (r->tag && strlen(r->tag) > 128)) {
		fprintf(stderr, "bad reference '%s'\n", s);
		abort();
	}
	check_same("parse(format(r))", again, s);
	if (!familiar_is_ambiguous(r)) {
		_cleanup_free_ char *from_familiar = reparse("familiar", familiar);

		check_same("parse(familiar(r))", from_familiar, s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = xstrndup((const char *)data, size);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(s, &err);

	if (r) {
		check_invariants(r);
	} else if (!err || !err->msg || err->kind != BERTH_ERR_INVALID) {
		fprintf(stderr, "failure without an invalid-input error for '%s'\n", s);
		abort();
	}
	image_ref_is_id_prefix(s);
	return 0;
}

/* Without libFuzzer, tests/fuzz/replay.c gives the main() that replays the corpus. */
