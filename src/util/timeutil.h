/* Time stamps as Docker prints them. */
#ifndef BERTH_UTIL_TIMEUTIL_H
#define BERTH_UTIL_TIMEUTIL_H

#include <stdint.h>
#include <stddef.h>

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t time_now_ns(void);
/* Go's RFC3339Nano in UTC: trailing zeros of the fraction trimmed ("...:12.13317107Z"). */
void time_format_rfc3339nano(int64_t ns, char *buf, size_t len);
/* RFC 3339 with a fixed 9-digit fraction ("...:12.115942173Z"), as logs -t prints. */
void time_format_rfc3339nano_fixed(int64_t ns, char *buf, size_t len);
/* Parses RFC 3339 (with or without fraction, Z or +hh:mm). -1 on bad input. */
int time_parse_rfc3339(const char *s, int64_t *ns);

#endif
