#define LOG_DOMAIN "logfile"
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "monitor/logfile.h"
#include "util/fs.h"
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

const struct strbuf *logfile_partial(const struct logfile *lf, int stream)
{
	return &lf->partial[stream == 2 ? 2 : 1];
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
