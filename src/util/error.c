#include <stdarg.h>
#include <string.h>

#include "util/error.h"
#include "util/strutil.h"

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int error_vset(struct berth_error **err, enum berth_error_kind kind, int status,
		      const char *fmt, va_list ap)
{
	struct berth_error *e;
	char *msg;

	if (!err)
		return -1;
	msg = xvasprintf(fmt, ap);
	if (status) {
		char *full = xasprintf("%s: %s", msg, strerror(status));
		free(msg);
		msg = full;
	}
	e = xcalloc(1, sizeof(*e));
	e->status = status;
	e->kind = kind;
	e->msg = msg;
	berth_error_free(*err);
	*err = e;
	return -1;
}

int berth_error_set(struct berth_error **err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, BERTH_ERR_GENERIC, status, fmt, ap);
	va_end(ap);
	return -1;
}

int berth_error_setk(struct berth_error **err, enum berth_error_kind kind, int status,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, kind, status, fmt, ap);
	va_end(ap);
	return -1;
}

int berth_error_wrap(struct berth_error **err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *msg;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	ctx = xvasprintf(fmt, ap);
	va_end(ap);
	msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -1;
}

void berth_error_free(struct berth_error *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

void berth_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
