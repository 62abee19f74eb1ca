#define LOG_DOMAIN "logfile"
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "monitor/logfile.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define LOG_LINE_MAX ((size_t)16 * 1024)

struct logfile {
	int fd; /* -1 after a failed rotation: the next write tries again */
	char *path;
	struct logfile_opts opts;
	long long size;		  /* of the current file, as Docker counts it: what we wrote */
	struct strbuf partial[3]; /* by stream: 1 stdout, 2 stderr */
	struct strbuf out;
};

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

int logfile_parse_opts(const json_t *log_config, struct logfile_opts *out, struct berth_error **err)
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

static int open_log(const char *path, int flags, long long *size, struct berth_error **err)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | flags, 0640);

	if (fd < 0)
		return berth_error_set(err, errno, "open log '%s'", path);
	*size = fstat(fd, &st) == 0 ? (long long)st.st_size : 0;
	return fd;
}

struct logfile *logfile_open(const char *path, const struct logfile_opts *opts,
			     struct berth_error **err)
{
	struct logfile *lf;
	long long size = 0;
	int fd = open_log(path, 0, &size, err);

	if (fd < 0)
		return NULL;
	lf = xcalloc(1, sizeof(*lf));
	lf->fd = fd;
	lf->path = xstrdup(path);
	lf->size = size;
	if (opts)
		lf->opts = *opts;
	if (lf->opts.max_files < 1)
		lf->opts.max_files = 1;
	return lf;
}

/* Length of the valid UTF-8 sequence at s (max n bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void logfile_json_escape(struct strbuf *sb, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;

	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;

		switch (c) {
		case '"':
			strbuf_addstr(sb, "\\\"");
			break;
		case '\\':
			strbuf_addstr(sb, "\\\\");
			break;
		case '\n':
			strbuf_addstr(sb, "\\n");
			break;
		case '\r':
			strbuf_addstr(sb, "\\r");
			break;
		case '\t':
			strbuf_addstr(sb, "\\t");
			break;
		case '<':
		case '>':
		case '&':
			strbuf_addf(sb, "\\u00%02x", c);
			break;
		default:
			if (c < 0x20) {
				strbuf_addf(sb, "\\u00%02x", c);
				break;
			}
			n = utf8_len(s + i, len - i);
			if (n == 0) {
				strbuf_addstr(sb, "\\ufffd");
				i++;
				continue;
			}
			if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
			    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
				strbuf_addf(sb, "\\u202%c", s[i + 2] == 0xa8 ? '8' : '9');
			else
				strbuf_add(sb, s + i, n);
			i += n;
			continue;
		}
		i++;
	}
}

/* Moves path to path.1 (and .1 to .2...), dropping the oldest; with one file, unlinks it. */
static void rotate_files(const char *path, int max_files)
{
	_cleanup_free_ char *oldest = xasprintf("%s.%d", path, max_files - 1);

	if (max_files < 2) {
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn_errno(errno, "cannot remove the log '%s'", path);
		return;
	}
	if (unlink(oldest) < 0 && errno != ENOENT)
		log_warn_errno(errno, "cannot remove the oldest log '%s'", oldest);
	for (int i = max_files - 1; i > 1; i--) {
		_cleanup_free_ char *to = xasprintf("%s.%d", path, i);
		_cleanup_free_ char *from = xasprintf("%s.%d", path, i - 1);

		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn_errno(errno, "cannot rename the log '%s'", from);
	}
	_cleanup_free_ char *first = xasprintf("%s.1", path);
	if (rename(path, first) < 0 && errno != ENOENT)
		log_warn_errno(errno, "cannot rename the log '%s'", path);
}

static void rotate(struct logfile *lf)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (lf->fd >= 0)
		close(lf->fd);
	rotate_files(lf->path, lf->opts.max_files);
	/* truncate anyway, in case the rename failed (as Docker) */
	lf->fd = open_log(lf->path, O_TRUNC, &lf->size, &err);
	if (lf->fd < 0)
		log_warn("cannot rotate the log: %s", err->msg);
	lf->size = 0;
}

static void write_line(struct logfile *lf, int stream, const char *text, size_t len)
{
	char ts[64];
	ssize_t n;

	time_format_rfc3339nano(time_now_ns(), ts, sizeof(ts));
	strbuf_reset(&lf->out);
	strbuf_addstr(&lf->out, "{\"log\":\"");
	logfile_json_escape(&lf->out, text, len);
	strbuf_addf(&lf->out, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
		    stream == 2 ? "stderr" : "stdout", ts);
	/* Docker rotates before an entry once the file has reached max-size */
	if (lf->fd >= 0 && lf->opts.max_size > 0 && lf->size >= lf->opts.max_size)
		rotate(lf);
	else if (lf->fd < 0)
		lf->fd = open_log(lf->path, 0, &lf->size, NULL);
	if (lf->fd < 0)
		return;
	n = fs_write_all(lf->fd, lf->out.buf, lf->out.len);
	if (n < 0)
		log_warn_errno(errno, "cannot write the log");
	else
		lf->size += n;
}

void logfile_write(struct logfile *lf, int stream, const char *data, size_t len)
{
	struct strbuf *p = &lf->partial[stream == 2 ? 2 : 1];

	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) + 1 : len;

		if (p->len == 0 && nl) {
			write_line(lf, stream, data, n);
		} else {
			strbuf_add(p, data, n);
			if (nl || p->len >= LOG_LINE_MAX) {
				write_line(lf, stream, p->buf, p->len);
				strbuf_reset(p);
			}
		}
		data += n;
		len -= n;
	}
}

void logfile_flush(struct logfile *lf, int stream)
{
	struct strbuf *p = &lf->partial[stream == 2 ? 2 : 1];

	if (p->len) {
		write_line(lf, stream, p->buf, p->len);
		strbuf_reset(p);
	}
}

void logfile_close(struct logfile *lf)
{
	if (!lf)
		return;
	logfile_flush(lf, 1);
	logfile_flush(lf, 2);
	if (lf->fd >= 0)
		close(lf->fd);
	free(lf->path);
	for (int i = 0; i < 3; i++)
		strbuf_release(&lf->partial[i]);
	strbuf_release(&lf->out);
	free(lf);
}
