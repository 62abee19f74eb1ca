/* Allocation that cannot fail (it aborts on OOM) and small string helpers. */
#ifndef BERTH_UTIL_STRUTIL_H
#define BERTH_UTIL_STRUTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/compiler.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool str_is_hex(const char *s, size_t len);

/* A growable NULL-terminated string vector. */
size_t strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void strv_push(char ***v, const char *s);
/* Appends s, taking ownership. */
void strv_push_take(char ***v, char *s);
char **strv_dup(char *const *v);

/* Parses a size like "64m", "1.5g", "512k", "100" (bytes). -1 on bad input. */
int parse_size(const char *s, long long *out);
/* Formats bytes like Docker's units.HumanSize ("1.99MB", "167MB", "0B"). */
void format_human_size(double bytes, char *buf, size_t len);
/* "3 minutes", "About an hour", like Docker's units.HumanDuration. */
void format_human_duration(long long seconds, char *buf, size_t len);

#endif
