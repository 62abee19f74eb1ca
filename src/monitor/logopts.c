#define LOG_DOMAIN "logfile"
#include <ctype.h>
#include <limits.h>

#include "monitor/logfile.h"
#include "util/json.h"
#include "util/strutil.h"

/* The options json-file accepts (Docker's ValidateLogOpt); the others are not ours. */
static const char *const known_opts[] = {
	"max-file", "max-size", "compress", "labels", "labels-regex", "env", "env-regex", "tag",
};

/*
 * Docker's units.FromHumanSize: digits with optional ".digits" groups, an
 * optional space, then k/m/g/t/p (decimal) with optional "i" and "b", any case.
 */
static int parse_human_size(const char *s, long long *out, struct berth_error **err)
{
	_cleanup_free_ char *num = NULL;
	const char *p = s;
	double mult = 1, v;
	int dots = 0;

	if (!isdigit((unsigned char)*p))
		goto invalid;
	while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
		dots += *p++ == '.';
	num = xstrndup(s, (size_t)(p - s));
	if (*p == ' ')
		p++;
	if (*p && strchr("kmgtpKMGTP", *p)) {
		for (const char *u = "kmgtp"; *u != tolower((unsigned char)*p); u++)
			mult *= 1000;
		mult *= 1000;
		p++;
	}
	if (*p == 'i' || *p == 'I')
		p++;
	if (*p == 'b' || *p == 'B')
		p++;
	if (*p)
		goto invalid;
	if (dots > 1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"strconv.ParseFloat: parsing \"%s\": invalid syntax", num);
	v = strtod(num, NULL) * mult;
	/* Go's int64() of a float too large for it gives the most negative int64 */
	*out = v < 0x1p63 ? (long long)v : LLONG_MIN;
	return 0;
invalid:
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid size: '%s'", s);
}

/* Go's strconv.Atoi, clamped to int. */
static int parse_atoi(const char *s, int *out, struct berth_error **err)
{
	const char *p = s + (*s == '+' || *s == '-');
	char *end;
	long long v;

	if (!isdigit((unsigned char)*p))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"strconv.Atoi: parsing \"%s\": invalid syntax", s);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"strconv.Atoi: parsing \"%s\": invalid syntax", s);
	if (errno == ERANGE)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"strconv.Atoi: parsing \"%s\": value out of range", s);
	*out = v > INT_MAX ? INT_MAX : v < INT_MIN ? INT_MIN : (int)v;
	return 0;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *s, bool *out, struct berth_error **err)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0 || strcmp(s, no[i]) == 0) {
			*out = strcmp(s, yes[i]) == 0;
			return 0;
		}
	}
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"strconv.ParseBool: parsing \"%s\": invalid syntax", s);
}

/* The options of every driver (Docker's ValidateLogOpts): mode and max-buffer-size. */
static int check_mode(const json_t *cfg, struct berth_error **err)
{
	const char *mode = json_get_str(cfg, "mode");
	const char *buf = json_get_str(cfg, "max-buffer-size");
	long long n;

	if (mode && *mode && strcmp(mode, "blocking") != 0 && strcmp(mode, "non-blocking") != 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"logger: logging mode not supported: %s", mode);
	if (buf && (!mode || strcmp(mode, "non-blocking") != 0))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"logger: max-buffer-size option is only supported with "
					"'mode=non-blocking'");
	if (buf && parse_size(buf, &n) < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"error parsing option max-buffer-size: invalid size: '%s'",
					buf);
	/* NEEDSWORK: the monitor never blocks on the log; non-blocking changes nothing */
	return 0;
}

static int check_keys(const json_t *cfg, struct berth_error **err)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)cfg, key, v)
	{
		size_t i = 0;

		if (!json_is_string(v))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"log opt '%s' must be a string", key);
		if (strcmp(key, "mode") == 0 || strcmp(key, "max-buffer-size") == 0)
			continue;
		while (i < ARRAY_SIZE(known_opts) && strcmp(key, known_opts[i]) != 0)
			i++;
		if (i == ARRAY_SIZE(known_opts))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"unknown log opt '%s' for json-file log driver",
						key);
	}
	return check_mode(cfg, err);
}

int logfile_parse_opts(const struct json_t *log_config, struct logfile_opts *out,
		       struct berth_error **err)
{
	const char *size = json_get_str(log_config, "max-size");
	const char *files = json_get_str(log_config, "max-file");
	const char *compress = json_get_str(log_config, "compress");
	long long max_size = -1;
	int max_files = 1;
	bool gz = false;

	*out = (struct logfile_opts){.max_size = 0, .max_files = 1};
	if (!log_config || json_is_null(log_config))
		return 0;
	if (!json_is_object(log_config))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "log opts must be an object");
	if (check_keys(log_config, err) < 0)
		return -1;
	if (size && parse_human_size(size, &max_size, err) < 0)
		return -1;
	if (size && max_size <= 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"max-size must be a positive number");
	if (files && parse_atoi(files, &max_files, err) < 0)
		return -1;
	if (max_files < 1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"max-file cannot be less than 1");
	if (compress && parse_bool(compress, &gz, err) < 0)
		return -1;
	if (gz && (max_files == 1 || max_size == -1))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"compress cannot be true when max-file is less than 2 or "
					"max-size is not set");
	/* NEEDSWORK: gzip of rotated files (and reading them back in logread.c) */
	if (gz)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"compress is not supported by the json-file log driver of "
					"berth");
	out->max_size = max_size > 0 ? max_size : 0;
	out->max_files = max_files;
	return 0;
}
