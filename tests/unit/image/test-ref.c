/* Unit tests for image references (src/image/ref.c), against Docker's behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "image/ref.h"
#include "util/strutil.h"

#define HEX32  "0123456789abcdef0123456789abcdef"
#define HEX64  HEX32 HEX32
#define HEX128 HEX64 HEX64
#define UHEX64 "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define SHA    "sha256:" HEX64

struct valid_case {
	const char *in;
	const char *domain;
	const char *path;
	const char *tag; /* NULL: none */
	const char *digest;
	const char *format;
	const char *familiar;
};

static const struct valid_case valid_cases[] = {
	{"busybox", "docker.io", "library/busybox", "latest", NULL,
	 "docker.io/library/busybox:latest", "busybox:latest"},
	{"busybox:1.36", "docker.io", "library/busybox", "1.36", NULL,
	 "docker.io/library/busybox:1.36", "busybox:1.36"},
	{"user/img", "docker.io", "user/img", "latest", NULL, "docker.io/user/img:latest",
	 "user/img:latest"},
	{"docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
	 "docker.io/library/busybox:latest", "busybox:latest"},
	{"docker.io/library/busybox:musl", "docker.io", "library/busybox", "musl", NULL,
	 "docker.io/library/busybox:musl", "busybox:musl"},
	{"index.docker.io/user/img:v1", "docker.io", "user/img", "v1", NULL,
	 "docker.io/user/img:v1", "user/img:v1"},
	{"index.docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
	 "docker.io/library/busybox:latest", "busybox:latest"},
	{"library/busybox", "docker.io", "library/busybox", "latest", NULL,
	 "docker.io/library/busybox:latest", "busybox:latest"},
	/* Nested below library/: not an official image, so familiar keeps the prefix. */
	{"library/a/b", "docker.io", "library/a/b", "latest", NULL, "docker.io/library/a/b:latest",
	 "library/a/b:latest"},
	{"a/b/c/d", "docker.io", "a/b/c/d", "latest", NULL, "docker.io/a/b/c/d:latest",
	 "a/b/c/d:latest"},
	{"localhost/img", "localhost", "img", "latest", NULL, "localhost/img:latest",
	 "localhost/img:latest"},
	{"localhost:5000/img:tag", "localhost:5000", "img", "tag", NULL, "localhost:5000/img:tag",
	 "localhost:5000/img:tag"},
	{"localhost:5000/a/b", "localhost:5000", "a/b", "latest", NULL, "localhost:5000/a/b:latest",
	 "localhost:5000/a/b:latest"},
	{"registry.example.com/a/b/c:1.0", "registry.example.com", "a/b/c", "1.0", NULL,
	 "registry.example.com/a/b/c:1.0", "registry.example.com/a/b/c:1.0"},
	{"127.0.0.1:5000/img", "127.0.0.1:5000", "img", "latest", NULL, "127.0.0.1:5000/img:latest",
	 "127.0.0.1:5000/img:latest"},
	{"[::1]:5000/img:t", "[::1]:5000", "img", "t", NULL, "[::1]:5000/img:t",
	 "[::1]:5000/img:t"},
	{"[fe80::1]/img", "[fe80::1]", "img", "latest", NULL, "[fe80::1]/img:latest",
	 "[fe80::1]/img:latest"},
	{"my-registry.local:443/team/img", "my-registry.local:443", "team/img", "latest", NULL,
	 "my-registry.local:443/team/img:latest", "my-registry.local:443/team/img:latest"},
	/* Uppercase in the first component makes it a domain, which may have capitals. */
	{"Registry.Example.COM/img", "Registry.Example.COM", "img", "latest", NULL,
	 "Registry.Example.COM/img:latest", "Registry.Example.COM/img:latest"},
	{"FOO/bar", "FOO", "bar", "latest", NULL, "FOO/bar:latest", "FOO/bar:latest"},
	/* Only index.docker.io is normalised; other spellings are other registries. */
	{"registry-1.docker.io/busybox", "registry-1.docker.io", "busybox", "latest", NULL,
	 "registry-1.docker.io/busybox:latest", "registry-1.docker.io/busybox:latest"},
	{"user/a-b__c.d_e---f9", "docker.io", "user/a-b__c.d_e---f9", "latest", NULL,
	 "docker.io/user/a-b__c.d_e---f9:latest", "user/a-b__c.d_e---f9:latest"},
	/* Without a slash, ":5000" is a tag, not a port. */
	{"foo:5000", "docker.io", "library/foo", "5000", NULL, "docker.io/library/foo:5000",
	 "foo:5000"},
	{"busybox:Tag.With-Upper_9", "docker.io", "library/busybox", "Tag.With-Upper_9", NULL,
	 "docker.io/library/busybox:Tag.With-Upper_9", "busybox:Tag.With-Upper_9"},
	{"busybox:_x", "docker.io", "library/busybox", "_x", NULL, "docker.io/library/busybox:_x",
	 "busybox:_x"},
	{"busybox@" SHA, "docker.io", "library/busybox", NULL, SHA,
	 "docker.io/library/busybox@" SHA, "busybox@" SHA},
	{"busybox:1.36@" SHA, "docker.io", "library/busybox", "1.36", SHA,
	 "docker.io/library/busybox:1.36@" SHA, "busybox:1.36@" SHA},
	{"localhost:5000/img@sha512:" HEX128, "localhost:5000", "img", NULL, "sha512:" HEX128,
	 "localhost:5000/img@sha512:" HEX128, "localhost:5000/img@sha512:" HEX128},
	{"img@sha384:" HEX64 HEX32, "docker.io", "library/img", NULL, "sha384:" HEX64 HEX32,
	 "docker.io/library/img@sha384:" HEX64 HEX32, "img@sha384:" HEX64 HEX32},
	/* "sha256:<hex>" is a name and a tag to this parser; IDs are resolved elsewhere. */
	{SHA, "docker.io", "library/sha256", HEX64, NULL, "docker.io/library/sha256:" HEX64,
	 "sha256:" HEX64},
	/* Only a bare 64-hex string is refused. */
	{HEX32, "docker.io", "library/" HEX32, "latest", NULL, "docker.io/library/" HEX32 ":latest",
	 HEX32 ":latest"},
	{HEX64 ":tag", "docker.io", "library/" HEX64, "tag", NULL,
	 "docker.io/library/" HEX64 ":tag", HEX64 ":tag"},
	{"user/" HEX64, "docker.io", "user/" HEX64, "latest", NULL,
	 "docker.io/user/" HEX64 ":latest", "user/" HEX64 ":latest"},
};

struct invalid_case {
	const char *in;
	const char *msg;
};

#define FORMAT	  "invalid reference format"
#define LOWERCASE "invalid reference format: repository name must be lowercase"

static const struct invalid_case invalid_cases[] = {
	{"", FORMAT},
	{"busybox:", FORMAT},
	{"busybox@", FORMAT},
	{"busybox:@" SHA, FORMAT},
	{"busybox:tag@", FORMAT},
	{"busybox@sha256", FORMAT},
	{"busybox@sha256:", FORMAT},
	{"busybox@:" HEX64, FORMAT},
	{"busybox@sha256:abc", FORMAT},
	{"busybox@sha256:" HEX64 "g", FORMAT},
	{"busybox@sha256:" HEX64 "@" SHA, FORMAT},
	{"busybox@sha256:" HEX64 ":tag", FORMAT},
	{"busybox@1sha:" HEX64, FORMAT},
	{"busybox@sha256-:" HEX64, FORMAT},
	{":tag", FORMAT},
	{"@" SHA, FORMAT},
	{"/busybox", FORMAT},
	{"busybox/", FORMAT},
	{"a//b", FORMAT},
	{"-foo", FORMAT},
	{"foo-", FORMAT},
	{"foo..bar", FORMAT},
	{"foo___bar", FORMAT},
	{"foo._bar", FORMAT},
	{"user/_img", FORMAT},
	{"foo bar", FORMAT},
	{" busybox", FORMAT},
	{"busybox ", FORMAT},
	{"busybox:-tag", FORMAT},
	{"busybox:.tag", FORMAT},
	{"busybox:a:b", FORMAT},
	{"busybox:a/b", FORMAT},
	{"busybox:t+g", FORMAT},
	{"bus\xc3\xa9", FORMAT},
	{"localhost:/img", FORMAT},
	{"localhost:50a0/img", FORMAT},
	{"localhost:5000:6000/img", FORMAT},
	{":5000/img", FORMAT},
	{"-bad.com/img", FORMAT},
	{"bad-.com/img", FORMAT},
	{"a..b/img", FORMAT},
	{"under_score.com/img", FORMAT},
	{"host.com/", FORMAT},
	{"[::1/img", FORMAT},
	{"[]:5000/img", FORMAT},
	{"[::g]/img", FORMAT},
	{"[::1]x/img", FORMAT},
	{"Busybox", LOWERCASE},
	{"BUSYBOX:latest", LOWERCASE},
	{"user/Img", LOWERCASE},
	{"localhost:5000/Img:tag", LOWERCASE},
	{"docker.io/User/img", LOWERCASE},
	/* Docker checks case before syntax. */
	{"Foo bar", LOWERCASE},
	{"busybox@SHA256:" HEX64, LOWERCASE},
	{HEX64, "invalid repository name (" HEX64 "), cannot specify 64-byte hexadecimal strings"},
	{"busybox@sha256:" UHEX64, "invalid checksum digest format"},
	{"busybox:t@SHA256:" HEX64, "invalid checksum digest format"},
	{"busybox@sha256:" HEX32, "invalid checksum digest length"},
	{"busybox@sha256:" HEX64 "00", "invalid checksum digest length"},
	{"busybox@sha512:" HEX64, "invalid checksum digest length"},
	{"busybox@md5:" HEX32, "unsupported digest algorithm"},
	{"busybox@sha256+b64:" HEX64, "unsupported digest algorithm"},
};

static void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

/* Parses s, which must be valid; the caller frees. */
static struct image_ref *parse_ok(const char *s)
{
	struct berth_error *err = NULL;
	struct image_ref *r = image_ref_parse(s, &err);

	if (!r)
		fail_msg("'%s': %s", s, err->msg);
	assert_null(err);
	return r;
}

static void test_parse_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		_cleanup_(image_ref_freep) struct image_ref *r = parse_ok(c->in);

		assert_string_equal(r->domain, c->domain);
		assert_string_equal(r->path, c->path);
		assert_str_or_null(r->tag, c->tag);
		assert_str_or_null(r->digest, c->digest);
	}
}

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		_cleanup_(image_ref_freep) struct image_ref *r = parse_ok(c->in);
		_cleanup_free_ char *s = image_ref_format(r);
		_cleanup_free_ char *name = image_ref_name(r);
		_cleanup_free_ char *want_name = xasprintf("%s/%s", c->domain, c->path);

		assert_string_equal(s, c->format);
		assert_string_equal(name, want_name);
	}
}

static void test_familiar(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		const struct valid_case *c = &valid_cases[i];
		_cleanup_(image_ref_freep) struct image_ref *r = parse_ok(c->in);
		_cleanup_free_ char *s = image_ref_familiar(r);
		_cleanup_free_ char *name = image_ref_familiar_name(r);

		assert_string_equal(s, c->familiar);
		assert_true(str_has_prefix(c->familiar, name));
		assert_non_null(strchr(":@", c->familiar[strlen(name)]));
	}
}

static void test_familiar_name(void **state)
{
	static const char *const cases[][2] = {
		{"busybox:1.36", "busybox"},
		{"docker.io/library/busybox", "busybox"},
		{"user/img:v1", "user/img"},
		{"library/a/b", "library/a/b"},
		{"localhost:5000/img", "localhost:5000/img"},
		{"localhost/library/img", "localhost/library/img"},
		{"quay.io/library/img", "quay.io/library/img"},
		{"img@" SHA, "img"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_(image_ref_freep) struct image_ref *r = parse_ok(cases[i][0]);
		_cleanup_free_ char *name = image_ref_familiar_name(r);

		assert_string_equal(name, cases[i][1]);
	}
}

static void test_parse_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		_cleanup_error_ struct berth_error *err = NULL;
		_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(c->in, &err);

		if (r)
			fail_msg("'%s' parsed, want '%s'", c->in, c->msg);
		assert_non_null(err);
		assert_string_equal(err->msg, c->msg);
		assert_int_equal(err->kind, BERTH_ERR_INVALID);
		assert_int_equal(err->status, 0);
	}
}

/* The error argument may be NULL. */
static void test_parse_invalid_null_err(void **state)
{
	(void)state;
	assert_null(image_ref_parse("", NULL));
	assert_null(image_ref_parse("Busybox", NULL));
	assert_null(image_ref_parse(HEX64, NULL));
	assert_null(image_ref_parse("busybox@md5:" HEX32, NULL));
}

/* A string of n copies of c. */
static char *repeat_char(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	for (size_t i = 0; i < n; i++)
		s[i] = c;
	s[n] = '\0';
	return s;
}

/* Name with domain; the limit (255) counts "docker.io/library/" too. */
static void check_length(const char *prefix, size_t n, bool ok)
{
	_cleanup_free_ char *body = repeat_char('a', n);
	_cleanup_free_ char *s = xasprintf("%s%s:tag", prefix, body);
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(s, &err);

	if (ok) {
		assert_non_null(r);
		return;
	}
	assert_null(r);
	assert_string_equal(err->msg, "repository name must not be more than 255 characters");
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
}

static void test_too_long(void **state)
{
	(void)state;
	check_length("", 255 - strlen("docker.io/library/"), true);
	check_length("", 256 - strlen("docker.io/library/"), false);
	check_length("", 256, false);
	check_length("user/", 255 - strlen("docker.io/user/"), true);
	check_length("user/", 256 - strlen("docker.io/user/"), false);
	check_length("localhost:5000/", 255 - strlen("localhost:5000/"), true);
	check_length("localhost:5000/", 256 - strlen("localhost:5000/"), false);
}

/* A tag has at most 128 characters, and the name limit does not count it. */
static void test_tag_length(void **state)
{
	_cleanup_free_ char *tag = repeat_char('T', 128);
	_cleanup_free_ char *ok = xasprintf("busybox:%s", tag);
	_cleanup_free_ char *bad = xasprintf("busybox:%sT", tag);
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;

	(void)state;
	r = parse_ok(ok);
	assert_int_equal(strlen(r->tag), 128);
	assert_null(image_ref_parse(bad, &err));
	assert_string_equal(err->msg, FORMAT);
}

/* parse(format(r)) == r, and parse(familiar(r)) == r when familiar is unambiguous. */
static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(valid_cases); i++) {
		_cleanup_(image_ref_freep) struct image_ref *r = parse_ok(valid_cases[i].in);
		_cleanup_free_ char *s = image_ref_format(r);
		_cleanup_free_ char *f = image_ref_familiar(r);
		_cleanup_(image_ref_freep) struct image_ref *r2 = parse_ok(s);
		_cleanup_(image_ref_freep) struct image_ref *r3 = parse_ok(f);
		_cleanup_free_ char *s2 = image_ref_format(r2);
		_cleanup_free_ char *s3 = image_ref_format(r3);

		assert_string_equal(s2, s);
		assert_string_equal(s3, s);
	}
}

/* Docker's familiar form is ambiguous when a Hub path starts like a domain. */
static void test_familiar_ambiguous(void **state)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	_cleanup_(image_ref_freep) struct image_ref *r2 = NULL;
	_cleanup_free_ char *f = NULL;

	(void)state;
	r = parse_ok("docker.io/localhost/img");
	assert_string_equal(r->domain, "docker.io");
	assert_string_equal(r->path, "localhost/img");
	f = image_ref_familiar(r);
	assert_string_equal(f, "localhost/img:latest");
	r2 = parse_ok(f);
	assert_string_equal(r2->domain, "localhost");
}

static void test_is_id_prefix(void **state)
{
	(void)state;
	assert_true(image_ref_is_id_prefix("a"));
	assert_true(image_ref_is_id_prefix("0"));
	assert_true(image_ref_is_id_prefix("abc123"));
	assert_true(image_ref_is_id_prefix(HEX32));
	assert_true(image_ref_is_id_prefix(HEX64));
	assert_false(image_ref_is_id_prefix(""));
	assert_false(image_ref_is_id_prefix(HEX64 "0"));
	assert_false(image_ref_is_id_prefix("ABC"));
	assert_false(image_ref_is_id_prefix("abcg"));
	assert_false(image_ref_is_id_prefix("busybox"));
	assert_false(image_ref_is_id_prefix(SHA));
	assert_false(image_ref_is_id_prefix(" abc"));
}

static void test_free_null(void **state)
{
	struct image_ref *r = NULL;

	(void)state;
	image_ref_free(NULL);
	image_ref_freep(&r);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),   cmocka_unit_test(test_format),
		cmocka_unit_test(test_familiar),      cmocka_unit_test(test_familiar_name),
		cmocka_unit_test(test_parse_invalid), cmocka_unit_test(test_parse_invalid_null_err),
		cmocka_unit_test(test_too_long),      cmocka_unit_test(test_tag_length),
		cmocka_unit_test(test_round_trip),    cmocka_unit_test(test_familiar_ambiguous),
		cmocka_unit_test(test_is_id_prefix),  cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
