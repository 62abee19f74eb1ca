/*
 * Logging. The level comes from --log-level or BERTH_LOG_LEVEL (debug, info,
 * warn, error; default warn). The CLI logs to stderr; the monitor to a file.
 * Each file may define LOG_DOMAIN before including this header.
 */
#ifndef BERTH_UTIL_LOG_H
#define BERTH_UTIL_LOG_H

#include "util/compiler.h"

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#ifndef LOG_DOMAIN
#define LOG_DOMAIN "berth"
#endif

/* Returns -1 for an unknown level name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Sends log lines to fd (borrowed) instead of stderr. */
void log_set_fd(int fd);

void log_write(enum log_level level, const char *domain, int errnum, const char *fmt, ...)
	_printf_(4, 5);

#define log_debug(...)		log_write(LOG_LEVEL_DEBUG, LOG_DOMAIN, 0, __VA_ARGS__)
#define log_info(...)		log_write(LOG_LEVEL_INFO, LOG_DOMAIN, 0, __VA_ARGS__)
#define log_warn(...)		log_write(LOG_LEVEL_WARN, LOG_DOMAIN, 0, __VA_ARGS__)
#define log_error(...)		log_write(LOG_LEVEL_ERROR, LOG_DOMAIN, 0, __VA_ARGS__)
#define log_warn_errno(e, ...)	log_write(LOG_LEVEL_WARN, LOG_DOMAIN, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_write(LOG_LEVEL_ERROR, LOG_DOMAIN, (e), __VA_ARGS__)

#endif
