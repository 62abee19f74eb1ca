/*
 * The error type of the library (crun's libcrun_error_t).
 *
 * Library functions take `struct berth_error **err` last. On success they
 * return >= 0 (or a pointer) and leave *err alone; on failure they return -1
 * (or NULL) after setting *err with berth_error_set(). Callers going up add
 * context with berth_error_wrap(). Only cli/ (and api/) print and free.
 */
#ifndef BERTH_UTIL_ERROR_H
#define BERTH_UTIL_ERROR_H

#include "util/compiler.h"

/* What kind of failure, for mapping to Docker's exit codes and API status. */
enum berth_error_kind {
	BERTH_ERR_GENERIC = 0,
	BERTH_ERR_NOT_FOUND,	  /* no such image, container... */
	BERTH_ERR_CONFLICT,	  /* name in use, image in use */
	BERTH_ERR_INVALID,	  /* bad argument or input */
	BERTH_ERR_CANNOT_EXECUTE, /* the command exists but cannot run: 126 */
	BERTH_ERR_NO_COMMAND,	  /* the command was not found: 127 */
};

struct berth_error {
	int status; /* errno, 0 if none */
	enum berth_error_kind kind;
	char *msg;
};

/*
 * Sets *err (if err is not NULL) to a new error; when status is not 0 the
 * message gets ": strerror(status)" appended. Returns -1.
 */
int berth_error_set(struct berth_error **err, int status, const char *fmt, ...) _printf_(3, 4);

/* As berth_error_set(), with a kind. Returns -1. */
int berth_error_setk(struct berth_error **err, enum berth_error_kind kind, int status,
		     const char *fmt, ...) _printf_(4, 5);

/* Prefixes the message of *err with "CONTEXT: ". Returns -1. */
int berth_error_wrap(struct berth_error **err, const char *fmt, ...) _printf_(2, 3);

void berth_error_free(struct berth_error *e);
static inline void berth_error_freep(struct berth_error **e)
{
	berth_error_free(*e);
	*e = NULL;
}
#define _cleanup_error_ _cleanup_(berth_error_freep)

/* A broken invariant: print and abort. */
#define BUG(...) berth_bug(__FILE__, __LINE__, __VA_ARGS__)
_noreturn_ void berth_bug(const char *file, int line, const char *fmt, ...) _printf_(3, 4);

#endif
