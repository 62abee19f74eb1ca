#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

static void oom(void)
{
	fputs("berth: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *r = strdup(s);
	if (!r)
		oom();
	return r;
}

char *xstrndup(const char *s, size_t n)
{
	char *r = strndup(s, n);
	if (!r)
		oom();
	return r;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *r;
	if (vasprintf(&r, fmt, ap) < 0)
		oom();
	return r;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool str_is_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return s[len] == '\0';
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_push_take(char ***v, char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = s;
	(*v)[n + 1] = NULL;
}

void strv_push(char ***v, const char *s)
{
	strv_push_take(v, xstrdup(s));
}

char **strv_dup(char *const *v)
{
	char **r = xcalloc(strv_len(v) + 1, sizeof(char *));
	for (size_t i = 0; v && v[i]; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

int parse_size(const char *s, long long *out)
{
	char *end;
	double n;
	double mult = 1;

	errno = 0;
	if (!s || !*s || isspace((unsigned char)*s) || *s == '-')
		return -1;
	n = strtod(s, &end);
	if (errno || end == s || n < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'b':
		break;
	case 'k':
		mult = 1024.0;
		break;
	case 'm':
		mult = 1024.0 * 1024;
		break;
	case 'g':
		mult = 1024.0 * 1024 * 1024;
		break;
	case 't':
		mult = 1024.0 * 1024 * 1024 * 1024;
		break;
	case 'p':
		mult = 1024.0 * 1024 * 1024 * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*end) {
		end++;
		/* Docker accepts an optional "b"/"ib" after the unit: "64mb", "64MiB" */
		if (tolower((unsigned char)*end) == 'i')
			end++;
		if (tolower((unsigned char)*end) == 'b' && mult > 1)
			end++;
		if (*end)
			return -1;
	}
	if (n * mult > 9.2e18)
		return -1;
	*out = (long long)(n * mult);
	return 0;
}

void format_human_size(double bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	size_t i = 0;

	while (bytes >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
		bytes /= 1000.0;
		i++;
	}
	/* Go's %.3g, as Docker's HumanSizeWithPrecision(size, 3) */
	snprintf(buf, len, "%.3g%s", bytes, units[i]);
}

void format_human_duration(long long s, char *buf, size_t len)
{
	long long h = (s + 1800) / 3600;

	if (s < 1)
		snprintf(buf, len, "Less than a second");
	else if (s == 1)
		snprintf(buf, len, "1 second");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds", s);
	else if (s / 60 == 1)
		snprintf(buf, len, "About a minute");
	else if (s / 60 < 60)
		snprintf(buf, len, "%lld minutes", s / 60);
	else if (h == 1)
		snprintf(buf, len, "About an hour");
	else if (h < 48)
		snprintf(buf, len, "%lld hours", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months", h / 24 / 30);
	else
		snprintf(buf, len, "%lld years", s / 3600 / 24 / 365);
}
