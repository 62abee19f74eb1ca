/* A growable string (git's strbuf). buf is always NUL-terminated. */
#ifndef BERTH_UTIL_STRBUF_H
#define BERTH_UTIL_STRBUF_H

#include <stddef.h>

#include "util/compiler.h"

struct strbuf {
	char *buf;
	size_t len, alloc;
};

#define STRBUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
void strbuf_reset(struct strbuf *sb);
/* Returns the buffer (the caller frees it) and resets sb. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

#endif
