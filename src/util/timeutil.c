#include <ctype.h>
#include <stdio.h>

#include "util/compiler.h"
#include "util/timeutil.h"

int64_t time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void format(int64_t ns, char *buf, size_t len, int trim)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL);
	char fr[16];
	struct tm tm;
	int digits = 9;

	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	gmtime_r(&sec, &tm);
	snprintf(fr, sizeof(fr), ".%09ld", frac);
	if (trim) {
		while (digits > 0 && fr[digits] == '0')
			digits--;
		fr[digits ? digits + 1 : 0] = '\0';
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, fr);
}

void time_format_rfc3339nano(int64_t ns, char *buf, size_t len)
{
	format(ns, buf, len, 1);
}

void time_format_rfc3339nano_fixed(int64_t ns, char *buf, size_t len)
{
	format(ns, buf, len, 0);
}

int time_parse_rfc3339(const char *s, int64_t *ns)
{
	struct tm tm = {0};
	int64_t frac = 0, off = 0;
	int n = 0, digits = 0;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	s += n;
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++, digits++)
			if (digits < 9)
				frac = frac * 10 + (*s - '0');
		if (!digits)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int hh, mm;
		if (sscanf(s + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (hh * 3600 + mm * 60) * (*s == '+' ? 1 : -1);
		s += 6;
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ns = ((int64_t)timegm(&tm) - off) * 1000000000LL + frac;
	return 0;
}
