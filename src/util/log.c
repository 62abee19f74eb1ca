#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"

static enum log_level current_level = LOG_LEVEL_WARN;
static int log_fd = STDERR_FILENO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int log_set_level_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			current_level = (enum log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "warning") == 0 || strcasecmp(name, "fatal") == 0) {
		current_level = name[0] == 'w' ? LOG_LEVEL_WARN : LOG_LEVEL_ERROR;
		return 0;
	}
	return -1;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

void log_write(enum log_level level, const char *domain, int errnum, const char *fmt, ...)
{
	char buf[2048];
	int n, saved = errno;
	va_list ap;

	if (level < current_level)
		return;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "berth[%d] %ld.%06ld %s: %s: ", (int)getpid(),
		     (long)ts.tv_sec, ts.tv_nsec / 1000, level_names[level], domain);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(buf) && errnum)
		n += snprintf(buf + n, sizeof(buf) - n, ": %s", strerror(errnum));
	if (n < 0 || (size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(log_fd, buf, n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved;
}
