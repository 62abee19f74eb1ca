/*
 * Image references with the grammar and normalisation of Docker's
 * github.com/distribution/reference (ParseNormalizedNamed, then TagNameOnly).
 * Hand-written matchers stand in for its regular expressions.
 */
#include <stdbool.h>
#include <string.h>

#include "image/ref.h"
#include "util/strutil.h"

#define DEFAULT_DOMAIN	"docker.io"
#define LEGACY_DOMAIN	"index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG	"latest"
#define NAME_MAX_LEN	255
#define TAG_MAX_LEN	128
#define ID_HEX_LEN	64
#define DIGEST_MIN_HEX	32

#define ERR_FORMAT    "invalid reference format"
#define ERR_LOWERCASE "invalid reference format: repository name must be lowercase"

/* The algorithms go-digest knows, with the length of their hex encoding. */
static const struct {
	const char *name;
	size_t hex_len;
} digest_algorithms[] = {
	{"sha256", 64},
	{"sha384", 96},
	{"sha512", 128},
};

/* ASCII only: the grammar must not depend on the locale. */
static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return is_lower(c) || is_upper(c);
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static bool is_xdigit(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (is_upper(s[i]))
			return true;
	return false;
}

static int set_invalid(struct berth_error **err, const char *msg)
{
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "%s", msg);
}

/* Length of the leading run of [a-z0-9] in s[0..n). */
static size_t lower_alnum_span(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && (is_lower(s[i]) || is_digit(s[i])))
		i++;
	return i;
}

/* Length of a separator `[._]|__|[-]+` at the start of s[0..n), 0 if none. */
static size_t separator_len(const char *s, size_t n)
{
	size_t i = 0;

	if (s[0] == '.')
		return 1;
	if (s[0] == '_')
		return n > 1 && s[1] == '_' ? 2 : 1;
	while (i < n && s[i] == '-')
		i++;
	return i;
}

/* `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*` */
static bool valid_path_component(const char *s, size_t n)
{
	size_t i = lower_alnum_span(s, n);

	if (i == 0)
		return false;
	while (i < n) {
		size_t sep = separator_len(s + i, n - i);
		size_t run;

		if (sep == 0)
			return false;
		i += sep;
		run = lower_alnum_span(s + i, n - i);
		if (run == 0)
			return false;
		i += run;
	}
	return true;
}

/* Path components separated by single slashes. */
static bool valid_path(const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (!valid_path_component(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]` */
static bool valid_domain_label(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* A domain name (labels separated by dots) or a bracketed IPv6 address. */
static bool valid_host(const char *s, size_t n)
{
	size_t start = 0;

	if (n > 0 && s[0] == '[') {
		if (n < 3 || s[n - 1] != ']')
			return false;
		for (size_t i = 1; i < n - 1; i++)
			if (!is_xdigit(s[i]) && s[i] != ':')
				return false;
		return true;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (!valid_domain_label(s + start, i - start))
			return false;
		start = i + 1;
	}
	return true;
}

/* host [":" port] */
static bool valid_domain(const char *s)
{
	size_t n = strlen(s);
	size_t host_len;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		host_len = close ? (size_t)(close - s) + 1 : n;
	} else {
		host_len = strcspn(s, ":");
	}
	if (!valid_host(s, host_len))
		return false;
	if (host_len == n)
		return true;
	if (s[host_len] != ':' || host_len + 1 == n)
		return false;
	for (size_t i = host_len + 1; i < n; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* `[\w][\w.-]{0,127}` */
static bool valid_tag(const char *s, size_t n)
{
	if (n == 0 || n > TAG_MAX_LEN || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*` */
static bool valid_digest_algorithm(const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || !is_alpha(s[i]))
			return false;
		while (i < n && is_alnum(s[i]))
			i++;
		if (i == n)
			return true;
		if (!strchr("-_+.", s[i]))
			return false;
		i++;
	}
}

/* The digest syntax the reference grammar accepts: algorithm ":" 32 or more hex digits. */
static bool valid_digest_syntax(const char *s)
{
	size_t alg_len = strcspn(s, ":");
	const char *hex = s + alg_len;
	size_t hex_len;

	if (*hex != ':' || !valid_digest_algorithm(s, alg_len))
		return false;
	hex++;
	hex_len = strlen(hex);
	if (hex_len < DIGEST_MIN_HEX)
		return false;
	for (size_t i = 0; i < hex_len; i++)
		if (!is_xdigit(hex[i]))
			return false;
	return true;
}

/* What go-digest's Digest.Validate() adds to the syntax: a known algorithm, its length. */
static int check_digest(const char *d, struct berth_error **err)
{
	size_t alg_len = strcspn(d, ":");
	const char *hex = d + alg_len + 1;

	for (size_t i = 0; i < ARRAY_SIZE(digest_algorithms); i++) {
		size_t want = digest_algorithms[i].hex_len;

		if (strlen(digest_algorithms[i].name) != alg_len ||
		    strncmp(d, digest_algorithms[i].name, alg_len) != 0)
			continue;
		if (strlen(hex) != want)
			return set_invalid(err, "invalid checksum digest length");
		if (!str_is_hex(hex, want))
			return set_invalid(err, "invalid checksum digest format");
		return 0;
	}
	if (has_upper(d, alg_len))
		return set_invalid(err, "invalid checksum digest format");
	return set_invalid(err, "unsupported digest algorithm");
}

/* The first component names a registry rather than a repository. */
static bool looks_like_domain(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) ||
	       (n == strlen("localhost") && strncmp(s, "localhost", n) == 0) || has_upper(s, n);
}

/*
 * splitDockerDomain(): sets *domain (normalised) and returns the rest of s,
 * with "library/" prepended to a single component on Docker Hub.
 */
static char *split_domain(const char *s, char **domain)
{
	const char *slash = strchr(s, '/');

	if (slash && looks_like_domain(s, (size_t)(slash - s))) {
		*domain = xstrndup(s, (size_t)(slash - s));
		s = slash + 1;
	} else {
		*domain = xstrdup(DEFAULT_DOMAIN);
	}
	if (strcmp(*domain, LEGACY_DOMAIN) == 0) {
		free(*domain);
		*domain = xstrdup(DEFAULT_DOMAIN);
	}
	if (strcmp(*domain, DEFAULT_DOMAIN) == 0 && !strchr(s, '/'))
		return xasprintf(OFFICIAL_PREFIX "%s", s);
	return xstrdup(s);
}

/* Splits rest into path [":" tag] ["@" digest], checking the syntax of each. */
static int parse_remainder(struct image_ref *r, const char *rest, struct berth_error **err)
{
	size_t path_len = strcspn(rest, ":@");
	const char *p = rest + path_len;

	if (!valid_domain(r->domain) || !valid_path(rest, path_len))
		return set_invalid(err, ERR_FORMAT);
	r->path = xstrndup(rest, path_len);
	if (*p == ':') {
		size_t tag_len = strcspn(++p, "@");

		if (!valid_tag(p, tag_len))
			return set_invalid(err, ERR_FORMAT);
		r->tag = xstrndup(p, tag_len);
		p += tag_len;
	}
	if (*p == '@') {
		if (!valid_digest_syntax(++p))
			return set_invalid(err, ERR_FORMAT);
		r->digest = xstrdup(p);
	}
	return 0;
}

struct image_ref *image_ref_parse(const char *s, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	_cleanup_free_ char *rest = NULL;

	if (strlen(s) == ID_HEX_LEN && str_is_hex(s, ID_HEX_LEN)) {
		berth_error_setk(
			err, BERTH_ERR_INVALID, 0,
			"invalid repository name (%s), cannot specify 64-byte hexadecimal strings",
			s);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	rest = split_domain(s, &r->domain);
	if (has_upper(rest, strcspn(rest, ":"))) {
		set_invalid(err, ERR_LOWERCASE);
		return NULL;
	}
	if (parse_remainder(r, rest, err) < 0)
		return NULL;
	if (strlen(r->domain) + 1 + strlen(r->path) > NAME_MAX_LEN) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0,
				 "repository name must not be more than %d characters",
				 NAME_MAX_LEN);
		return NULL;
	}
	if (r->digest && check_digest(r->digest, err) < 0)
		return NULL;
	if (!r->tag && !r->digest)
		r->tag = xstrdup(DEFAULT_TAG);
	return steal_ptr(&r);
}

/* name followed by ":tag" and "@digest" where r has them. */
static char *with_tag_and_digest(const char *name, const struct image_ref *r)
{
	return xasprintf("%s%s%s%s%s", name, r->tag ? ":" : "", r->tag ? r->tag : "",
			 r->digest ? "@" : "", r->digest ? r->digest : "");
}

char *image_ref_name(const struct image_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *image_ref_format(const struct image_ref *r)
{
	_cleanup_free_ char *name = image_ref_name(r);

	return with_tag_and_digest(name, r);
}

char *image_ref_familiar_name(const struct image_ref *r)
{
	const char *path = r->path;

	if (strcmp(r->domain, DEFAULT_DOMAIN) != 0)
		return image_ref_name(r);
	/* Only a single component below library/ is an official image. */
	if (str_has_prefix(path, OFFICIAL_PREFIX) && !strchr(path + strlen(OFFICIAL_PREFIX), '/'))
		path += strlen(OFFICIAL_PREFIX);
	return xstrdup(path);
}

char *image_ref_familiar(const struct image_ref *r)
{
	_cleanup_free_ char *name = image_ref_familiar_name(r);

	return with_tag_and_digest(name, r);
}

bool image_ref_is_id_prefix(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= ID_HEX_LEN && str_is_hex(s, n);
}

void image_ref_free(struct image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	free(r);
}
