#define LOG_DOMAIN "logread"
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "monitor/logread.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define BLOCK	    ((size_t)64 * 1024)
#define CHECK_NS    (250LL * 1000 * 1000) /* still_running() while idle */
#define POLL_MS	    50			  /* the wait without inotify */
#define JSON_DEPTH  64
#define NS_PER_SEC  1000000000LL
#define NS_PER_HOUR (3600 * NS_PER_SEC)

/* One file to read, from start on. */
struct part {
	int fd;
	off_t start;
};

struct logread {
	char *path;
	struct logread_opts o;
	struct part *parts; /* oldest first; with live, the last one is the log itself */
	size_t n_parts, cur;
	bool live;
	struct strbuf buf; /* read, not yet consumed from pos on */
	size_t pos;
	struct strbuf text, attrs;
	int ifd;	    /* inotify on the log's folder (follow), -1 without */
	int64_t next_check; /* CLOCK_MONOTONIC ns of the next still_running() */
	bool rotated;	    /* the log was replaced: finish reading the old one first */
	bool stopping;	    /* the writer is gone: read what is left, then end */
	bool done;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* ---------------------------------------------------------------- line parser */

struct cursor {
	const char *p, *end;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool eat(struct cursor *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = isdigit((unsigned char)p[i])   ? p[i] - '0'
			: (p[i] >= 'a' && p[i] <= 'f') ? p[i] - 'a' + 10
			: (p[i] >= 'A' && p[i] <= 'F') ? p[i] - 'A' + 10
						       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void add_utf8(struct strbuf *sb, unsigned int cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	strbuf_add(sb, u, n);
}

/* \uXXXX at c->p (after the "\u"); a lone surrogate becomes U+FFFD, as Go decodes it. */
static bool unicode_escape(struct cursor *c, struct strbuf *out)
{
	int cp = c->end - c->p >= 4 ? hex4(c->p) : -1, lo;

	if (cp < 0)
		return false;
	c->p += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && c->end - c->p >= 6 && c->p[0] == '\\' &&
	    c->p[1] == 'u' && (lo = hex4(c->p + 2)) >= 0xdc00 && lo < 0xe000) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		c->p += 6;
	}
	if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd;
	add_utf8(out, (unsigned int)cp);
	return true;
}

/* A JSON string, decoded into out (appended). */
static bool string(struct cursor *c, struct strbuf *out)
{
	static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

	if (!eat(c, '"'))
		return false;
	for (;;) {
		const char *s = c->p, *e;

		while (c->p < c->end && *c->p != '"' && *c->p != '\\')
			c->p++;
		strbuf_add(out, s, (size_t)(c->p - s));
		if (c->end - c->p < 2)
			return c->p < c->end && *c->p++ == '"';
		if (*c->p++ == '"')
			return true;
		if (*c->p == 'u') {
			c->p++;
			if (!unicode_escape(c, out))
				return false;
			continue;
		}
		e = memchr(esc_in, *c->p, sizeof(esc_in) - 1);
		if (!e)
			return false;
		strbuf_addch(out, esc_out[e - esc_in]);
		c->p++;
	}
}

/*
 * A JSON string seen without copying when it holds no escape (the usual case
 * for keys, streams and times), else decoded into tmp.
 */
static bool string_view(struct cursor *c, struct strbuf *tmp, const char **s, size_t *n)
{
	const char *q;

	skip_ws(c);
	if (c->p >= c->end || *c->p != '"')
		return false;
	for (q = c->p + 1; q < c->end && *q != '"' && *q != '\\'; q++)
		;
	if (q < c->end && *q == '"') {
		*s = c->p + 1;
		*n = (size_t)(q - *s);
		c->p = q + 1;
		return true;
	}
	strbuf_reset(tmp);
	if (!string(c, tmp))
		return false;
	*s = tmp->buf ? tmp->buf : "";
	*n = tmp->len;
	return true;
}

static bool view_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static bool skip_value(struct cursor *c, int depth);

/* An object or array after its opening bracket, up to and with close. */
static bool skip_members(struct cursor *c, char close, int depth)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *s;
	size_t n;
	bool ok = true;

	if (eat(c, close))
		return true;
	do {
		if (close == '}')
			ok = string_view(c, &tmp, &s, &n) && eat(c, ':');
		ok = ok && skip_value(c, depth + 1);
	} while (ok && eat(c, ','));
	strbuf_release(&tmp);
	return ok && eat(c, close);
}

static bool skip_value(struct cursor *c, int depth)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *start;
	bool ok;

	skip_ws(c);
	if (c->p >= c->end || depth > JSON_DEPTH)
		return false;
	switch (*c->p) {
	case '"':
		ok = string(c, &tmp);
		strbuf_release(&tmp);
		return ok;
	case '{':
	case '[':
		return skip_members(c, *c->p++ == '{' ? '}' : ']', depth);
	default:
		/* numbers, true, false, null: loosely */
		for (start = c->p; c->p < c->end && (isalnum((unsigned char)*c->p) ||
						     *c->p == '-' || *c->p == '+' || *c->p == '.');
		     c->p++)
			;
		return c->p > start;
	}
}

static int64_t days_from_civil(int y, int m, int d)
{
	int era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64_t)era * 146097 + doe - 719468;
}

static int num(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + s[i] - '0';
	}
	return v;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int m, int y)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/*
 * A time as the log holds it, Go's RFC3339Nano: "2026-11-29T19:22:12.115942173Z"
 * (or with an offset, "+01:00"). -1 for anything else.
 */
static int parse_time(const char *s, size_t n, int64_t *ns)
{
	int y, mo, d, h, mi, sec, off = 0;
	int64_t frac = 0;
	size_t i = 19, digits = 0;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return -1;
	y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
	h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > days_in(mo, y) || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;
	if (s[i] == '.') {
		for (i++; i < n && isdigit((unsigned char)s[i]); i++, digits++)
			if (digits < 9)
				frac = frac * 10 + s[i] - '0';
		if (!digits)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (n - i == 6 && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
	    num(s + i + 1, 2) >= 0 && num(s + i + 4, 2) >= 0)
		off = (num(s + i + 1, 2) * 3600 + num(s + i + 4, 2) * 60) * (s[i] == '-' ? -1 : 1);
	else if (n - i != 1 || s[i] != 'Z')
		return -1;
	*ns = (days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec - off) *
		      NS_PER_SEC +
	      frac;
	return 0;
}

struct attr {
	char *key, *value;
};

static int attr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct attr *)a)->key, ((const struct attr *)b)->key);
}

/* Go's url.QueryEscape. */
static void query_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			strbuf_addch(sb, (char)ch);
		else if (ch == ' ')
			strbuf_addch(sb, '+');
		else
			strbuf_addf(sb, "%%%02X", ch);
	}
}

/* "attrs": {"key": "value", ...} as `logs --details` prints them. */
static bool parse_attrs(struct cursor *c, struct strbuf *out)
{
	struct attr *v = NULL;
	size_t n = 0;
	bool ok = eat(c, '{');

	if (ok && !eat(c, '}')) {
		do {
			struct strbuf k = STRBUF_INIT, val = STRBUF_INIT;

			ok = string(c, &k) && eat(c, ':') && string(c, &val);
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n].key = k.buf ? strbuf_detach(&k) : xstrdup("");
			v[n++].value = val.buf ? strbuf_detach(&val) : xstrdup("");
		} while (ok && eat(c, ','));
		ok = ok && eat(c, '}');
	}
	if (ok && n)
		sort_array(v, n, sizeof(*v), attr_cmp);
	for (size_t i = 0; i < n; i++) {
		if (ok) {
			if (i)
				strbuf_addch(out, ',');
			query_escape(out, v[i].key);
			strbuf_addch(out, '=');
			query_escape(out, v[i].value);
		}
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
	return ok;
}

enum line_key { KEY_LOG, KEY_STREAM, KEY_TIME, KEY_ATTRS, KEY_OTHER };

static bool member(struct cursor *c, struct strbuf *tmp, int *stream, int64_t *time,
		   struct strbuf *text, struct strbuf *attrs)
{
	static const char *const keys[] = {"log", "stream", "time", "attrs"};
	const char *s;
	size_t n;
	int k = KEY_LOG;

	if (!string_view(c, tmp, &s, &n) || !eat(c, ':'))
		return false;
	while (k < KEY_OTHER && !view_is(s, n, keys[k]))
		k++;
	switch (k) {
	case KEY_LOG:
		strbuf_reset(text);
		return string(c, text);
	case KEY_STREAM:
		if (!string_view(c, tmp, &s, &n))
			return false;
		*stream = view_is(s, n, "stdout") ? 1 : view_is(s, n, "stderr") ? 2 : 0;
		return true;
	case KEY_TIME:
		return string_view(c, tmp, &s, &n) && parse_time(s, n, time) == 0;
	case KEY_ATTRS:
		strbuf_reset(attrs);
		return parse_attrs(c, attrs);
	default:
		return skip_value(c, 1);
	}
}

int logread_parse_line(const char *line, size_t len, int *stream, int64_t *time,
		       struct strbuf *text, struct strbuf *attrs)
{
	struct cursor c = {line, line + len};
	struct strbuf tmp = STRBUF_INIT;
	bool ok;

	*stream = 0;
	*time = 0;
	strbuf_reset(text);
	strbuf_reset(attrs);
	ok = eat(&c, '{');
	if (ok && !eat(&c, '}')) {
		do
			ok = member(&c, &tmp, stream, time, text, attrs);
		while (ok && eat(&c, ','));
		ok = ok && eat(&c, '}');
	}
	strbuf_release(&tmp);
	skip_ws(&c);
	return ok && c.p == c.end ? 0 : -1;
}

/* ---------------------------------------------------------------- files */

static int open_ro(const char *path, int *fd, struct berth_error **err)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0 && errno != ENOENT)
		return berth_error_set(err, errno, "open log '%s'", path);
	return 0;
}

static bool same_file(int fd, const struct stat *st)
{
	struct stat fst;

	return fstat(fd, &fst) == 0 && fst.st_dev == st->st_dev && fst.st_ino == st->st_ino;
}

static bool already_open(const struct logread *r, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	for (size_t i = 0; i < r->n_parts; i++)
		if (same_file(r->parts[i].fd, &st))
			return true;
	return false;
}

static void add_part(struct logread *r, int fd, off_t start, bool first)
{
	r->parts = xrealloc(r->parts, (r->n_parts + 1) * sizeof(*r->parts));
	if (first)
		memmove(r->parts + 1, r->parts, r->n_parts * sizeof(*r->parts));
	r->parts[first ? 0 : r->n_parts] = (struct part){.fd = fd, .start = start};
	r->n_parts++;
}

static ssize_t pread_all(int fd, char *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/*
 * Where the last *want lines of fd begin, reading backwards from the end. A
 * last line without its "\n" (being written) does not count. *want is lowered
 * by the lines found: 0 when the file holds enough.
 */
static int tail_start(int fd, char *blk, long long *want, off_t *start, struct berth_error **err)
{
	long long need = *want + 1, found = 0; /* the "\n" before the first line wanted */
	struct stat st;
	off_t pos;

	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat log");
	for (pos = st.st_size; pos > 0;) {
		size_t len = pos > (off_t)BLOCK ? BLOCK : (size_t)pos;
		ssize_t n;

		pos -= (off_t)len;
		n = pread_all(fd, blk, len, pos);
		if (n < 0)
			return berth_error_set(err, errno, "read log");
		for (const char *end = blk + n, *p; (p = memrchr(blk, '\n', (size_t)(end - blk)));
		     end = p) {
			if (++found == need) {
				*start = pos + (p - blk) + 1;
				*want = 0;
				return 0;
			}
		}
	}
	*start = 0;
	*want -= found;
	return 0;
}

/* The files to read, newest first: the log, then <log>.1, <log>.2 ... while they exist. */
static int collect(struct logread *r, struct berth_error **err)
{
	_cleanup_free_ char *blk = r->o.tail >= 0 ? xmalloc(BLOCK) : NULL;
	long long want = r->o.tail < LLONG_MAX ? r->o.tail : LLONG_MAX - 1;

	for (int i = 0; i < INT_MAX; i++) {
		_cleanup_free_ char *name = i ? xasprintf("%s.%d", r->path, i) : xstrdup(r->path);
		_cleanup_close_ int fd = -EBADF;
		off_t start = 0;

		if (open_ro(name, &fd, err) < 0)
			return -1;
		if (fd < 0 && i == 0)
			continue; /* rotated files may exist without the log (being rotated) */
		if (fd < 0)
			break;
		/* rotated meanwhile: <log>.1 is what we opened as the log */
		if (already_open(r, fd))
			continue;
		if (want >= 0 && tail_start(fd, blk, &want, &start, err) < 0)
			return -1;
		r->live = r->live || i == 0;
		add_part(r, steal_fd(&fd), start, true);
		if (want == 0)
			break;
	}
	return 0;
}

static void watch_folder(struct logread *r)
{
	_cleanup_free_ char *dir = xstrdup(r->path);
	char *slash = strrchr(dir, '/');

	if (slash)
		*slash = '\0';
	r->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (r->ifd >= 0 && inotify_add_watch(r->ifd, slash ? (*dir ? dir : "/") : ".",
					     IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
						     IN_DELETE | IN_CLOSE_WRITE) < 0) {
		log_debug("cannot watch '%s' (%m): polling", dir);
		close(r->ifd);
		r->ifd = -1;
	}
}

struct logread *logread_open(const char *path, const struct logread_opts *o,
			     struct berth_error **err)
{
	struct logread *r = xcalloc(1, sizeof(*r));

	r->path = xstrdup(path);
	r->o = *o;
	r->ifd = -1;
	r->next_check = mono_ns() + CHECK_NS;
	if (r->o.tail == 0 && !r->o.follow) {
		r->done = true;
		return r;
	}
	/* watched before the files are read, so that no change goes unnoticed */
	if (r->o.follow)
		watch_folder(r);
	if (collect(r, err) < 0) {
		logread_free(r);
		return NULL;
	}
	return r;
}

void logread_free(struct logread *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_parts; i++)
		if (r->parts[i].fd >= 0)
			close(r->parts[i].fd);
	if (r->ifd >= 0)
		close(r->ifd);
	free(r->parts);
	free(r->path);
	strbuf_release(&r->buf);
	strbuf_release(&r->text);
	strbuf_release(&r->attrs);
	free(r);
}

/* ---------------------------------------------------------------- reading */

/* More of the current part into buf: the bytes read, 0 at its end, -1 on error. */
static ssize_t fill(struct logread *r, struct berth_error **err)
{
	struct part *p = &r->parts[r->cur];
	ssize_t n;

	if (r->pos) {
		memmove(r->buf.buf, r->buf.buf + r->pos, r->buf.len - r->pos);
		r->buf.len -= r->pos;
		r->pos = 0;
	}
	strbuf_grow(&r->buf, BLOCK);
	do
		n = pread(p->fd, r->buf.buf + r->buf.len, BLOCK, p->start);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return berth_error_set(err, errno, "read log '%s'", r->path);
	p->start += n;
	r->buf.len += (size_t)n;
	r->buf.buf[r->buf.len] = '\0';
	return n;
}

/* An entry from a line: 1 to return it, 0 to skip it, -1 when until has passed. */
static int entry(struct logread *r, const char *line, size_t len, struct logread_entry *e)
{
	int stream;
	int64_t t;

	if (logread_parse_line(line, len, &stream, &t, &r->text, &r->attrs) < 0) {
		log_debug("skipping a line of '%s' that is not a log entry", r->path);
		return 0;
	}
	if (r->o.since && t < r->o.since)
		return 0;
	if (r->o.until && t > r->o.until) {
		r->done = true;
		return -1;
	}
	e->stream = stream;
	e->time = t;
	e->text = r->text.buf ? r->text.buf : "";
	e->len = r->text.len;
	e->attrs = r->attrs.buf ? r->attrs.buf : "";
	return 1;
}

static void close_part(struct logread *r)
{
	if (r->cur < r->n_parts && r->parts[r->cur].fd >= 0) {
		close(r->parts[r->cur].fd);
		r->parts[r->cur].fd = -1;
	}
}

/* The end of a part that will not grow: what is left without "\n" is a line too. */
static int finish_part(struct logread *r, struct logread_entry *e)
{
	size_t len = r->buf.len - r->pos;
	int rc = 0;

	close_part(r);
	r->cur++;
	if (len)
		rc = entry(r, r->buf.buf + r->pos, len, e);
	r->pos = r->buf.len;
	return rc;
}

static void drain_inotify(int ifd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(ifd, buf, sizeof(buf)) > 0)
		;
}

/* Waits for a change in the log's folder, or for the next check. */
static void wait_more(struct logread *r)
{
	int64_t left = (r->next_check - mono_ns()) / 1000000;
	struct pollfd pfd = {.fd = r->ifd, .events = POLLIN};
	int ms = left < 0 ? 0 : left > CHECK_NS / 1000000 ? (int)(CHECK_NS / 1000000) : (int)left;

	if (r->ifd < 0) {
		struct timespec ts = {0, (ms < POLL_MS ? ms : POLL_MS) * 1000000L};
		nanosleep(&ts, NULL);
	} else if (poll(&pfd, 1, ms) > 0) {
		drain_inotify(r->ifd);
	}
}

/*
 * The log was replaced and the old one is read to its end: on with the files
 * newer than the old one. Normally that is the new log alone; a reader that
 * fell behind by several rotations finds its old file as <log>.K and reads
 * <log>.(K-1) ... <log>.1 first.
 */
static int switch_files(struct logread *r, struct berth_error **err)
{
	struct stat old, st;
	bool have_old = r->live && r->cur < r->n_parts && fstat(r->parts[r->cur].fd, &old) == 0;
	int k = 0;

	/* a last line of the old file without its "\n" will never be finished */
	close_part(r);
	strbuf_reset(&r->buf);
	r->pos = 0;
	r->cur = r->n_parts;
	for (int i = 1; have_old && i < INT_MAX; i++) {
		_cleanup_free_ char *name = xasprintf("%s.%d", r->path, i);

		if (stat(name, &st) < 0)
			break;
		if (st.st_dev == old.st_dev && st.st_ino == old.st_ino) {
			k = i;
			break;
		}
	}
	for (int i = k > 0 ? k - 1 : 0; i >= 0; i--) {
		_cleanup_free_ char *name = i ? xasprintf("%s.%d", r->path, i) : xstrdup(r->path);
		_cleanup_close_ int fd = -EBADF;

		if (open_ro(name, &fd, err) < 0)
			return -1;
		if (fd >= 0)
			add_part(r, steal_fd(&fd), 0, false);
	}
	r->live = true;
	r->rotated = false;
	return 1;
}

/*
 * Has the log been replaced (rotated, or made when it did not exist)? 1 when
 * there is something new to read, 0 if not, -1 on error.
 */
static int follow_rotation(struct logread *r, struct berth_error **err)
{
	struct stat st;

	if (stat(r->path, &st) < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "stat log '%s'", r->path);
	if (r->live && r->cur < r->n_parts && same_file(r->parts[r->cur].fd, &st))
		return 0;
	if (r->live && !r->rotated) {
		/* what was written to the old file before the rename is read first */
		r->rotated = true;
		return 1;
	}
	return switch_files(r, err);
}

/* At the end of the log, following: 1 to read on, 0 at the end, -1 on error. */
static int follow_step(struct logread *r, struct berth_error **err)
{
	int rc = follow_rotation(r, err);

	if (rc != 0)
		return rc;
	if (r->stopping)
		return 0;
	if (r->o.idle)
		r->o.idle(r->o.data);
	wait_more(r);
	if (mono_ns() >= r->next_check) {
		r->next_check = mono_ns() + CHECK_NS;
		if ((r->o.until && time_now_ns() > r->o.until) ||
		    (r->o.still_running && !r->o.still_running(r->o.data)))
			r->stopping = true;
	}
	return 1;
}

int logread_next(struct logread *r, struct logread_entry *e, struct berth_error **err)
{
	for (;;) {
		const char *line = NULL, *nl = NULL;
		ssize_t n;
		int rc;

		if (r->pos < r->buf.len) {
			line = r->buf.buf + r->pos;
			nl = memchr(line, '\n', r->buf.len - r->pos);
		}
		if (nl) {
			r->pos += (size_t)(nl - line) + 1;
			rc = entry(r, line, (size_t)(nl - line), e);
			if (rc != 0)
				return rc > 0;
			continue;
		}
		if (r->done)
			return 0;
		if (r->cur < r->n_parts) {
			n = fill(r, err);
			if (n < 0)
				return -1;
			if (n > 0)
				continue;
			if (r->cur + 1 < r->n_parts || !r->o.follow) {
				if (r->cur + 1 == r->n_parts)
					r->done = true;
				rc = finish_part(r, e);
				if (rc != 0)
					return rc > 0;
				continue;
			}
		}
		if (!r->o.follow) {
			r->done = true;
			return 0;
		}
		rc = follow_step(r, err);
		if (rc <= 0) {
			r->done = true;
			return rc;
		}
	}
}

/* ---------------------------------------------------------------- --since, --until */

/* Go's time.ParseDuration ("1h30m", "1.5s", "-10m"); -1 when value is not one. */
static int parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
		{"ns", 1},	 {"us", 1000},	    {"\xc2\xb5s", 1000},    {"\xce\xbcs", 1000},
		{"ms", 1000000}, {"s", NS_PER_SEC}, {"m", 60 * NS_PER_SEC}, {"h", NS_PER_HOUR},
	};
	uint64_t d = 0;
	bool neg = *s == '-';

	s += *s == '-' || *s == '+';
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (!*s)
		return -1;
	while (*s) {
		uint64_t v = 0, f = 0, unit = 0;
		double scale = 1;
		bool digits = false;
		size_t i = 0;

		for (; isdigit((unsigned char)*s); s++, digits = true) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
		}
		if (*s == '.') {
			for (s++; isdigit((unsigned char)*s); s++, digits = true) {
				if (f > (UINT64_MAX - 9) / 10)
					continue; /* precision beyond what matters */
				f = f * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
		if (!digits)
			return -1;
		while (s[i] && s[i] != '.' && !isdigit((unsigned char)s[i]))
			i++;
		for (size_t u = 0; u < ARRAY_SIZE(units); u++)
			if (strlen(units[u].name) == i && !strncmp(s, units[u].name, i))
				unit = units[u].ns;
		if (!unit || v > (1ULL << 63) / unit)
			return -1;
		v = v * unit + (uint64_t)((double)f * ((double)unit / scale));
		d += v;
		if (v > 1ULL << 63 || d > 1ULL << 63)
			return -1;
		s += i;
	}
	if (!neg && d == 1ULL << 63)
		return -1;
	*out = neg ? (int64_t)(0 - d) : (int64_t)d;
	return 0;
}

/* A number of 1 (when !fixed) or 2 digits, as Go's getnum. */
static int getnum(const char **v, bool fixed)
{
	const char *s = *v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	if (!isdigit((unsigned char)s[1])) {
		if (fixed)
			return -1;
		*v += 1;
		return s[0] - '0';
	}
	*v += 2;
	return (s[0] - '0') * 10 + s[1] - '0';
}

/* The elements of the layouts below, as Go names them. */
static const char *const layout_elems[] = {"2006", "Z07:00", ".999999999", "01",
					   "02",   "15",     "04",	   "05"};
enum { EL_YEAR, EL_ZONE, EL_FRAC, EL_MONTH, EL_DAY, EL_HOUR, EL_MIN, EL_SEC, EL_LITERAL };

/* Parses the zone offset of Z07:00 ("Z" or "+hh:mm"); -1 when v is not one. */
static int zone(const char **v, int *off)
{
	const char *s = *v;
	int hh, mm;

	if (*s == 'Z') {
		*off = 0;
		*v += 1;
		return 0;
	}
	if ((*s != '+' && *s != '-') || strlen(s) < 6 || s[3] != ':' || (hh = num(s + 1, 2)) < 0 ||
	    (mm = num(s + 4, 2)) < 0)
		return -1;
	*off = (hh * 3600 + mm * 60) * (*s == '-' ? -1 : 1);
	*v += 6;
	return 0;
}

struct go_time {
	int f[8]; /* by element: year, (zone), (frac), month, day, hour, minute, second */
	int64_t nsec;
	int off;
	bool zoned;
};

/* One element of a layout at *v; the name of a range error in *range. -1 when it does not parse. */
static int parse_elem(int el, const char **v, struct go_time *t, const char **range)
{
	static const int max[] = {[EL_MONTH] = 12, [EL_HOUR] = 23, [EL_MIN] = 59, [EL_SEC] = 59};
	static const char *const names[] = {
		[EL_MONTH] = "month", [EL_HOUR] = "hour", [EL_MIN] = "minute", [EL_SEC] = "second"};
	int n;

	switch (el) {
	case EL_YEAR:
		if ((n = num(*v, 4)) < 0 || strlen(*v) < 4)
			return -1;
		t->f[el] = n;
		*v += 4;
		return 0;
	case EL_ZONE:
		t->zoned = true;
		return zone(v, &t->off);
	case EL_FRAC:
		if ((*v)[0] != '.' || !isdigit((unsigned char)(*v)[1]))
			return 0; /* optional */
		n = 0;
		for ((*v)++; isdigit((unsigned char)**v); (*v)++, n++)
			if (n < 9)
				t->nsec = t->nsec * 10 + **v - '0';
		for (; n < 9; n++)
			t->nsec *= 10;
		return 0;
	default:
		if ((n = getnum(v, el != EL_HOUR)) < 0)
			return -1;
		t->f[el] = n;
		if ((el != EL_DAY && n > max[el]) || (el == EL_MONTH && n < 1))
			*range = names[el];
		return 0;
	}
}

/*
 * Go's time.Parse of value with one of the layouts Docker's GetTimestamp picks;
 * its error message in *msg.
 */
static int go_parse(const char *layout, const char *value, struct go_time *t, char **msg)
{
	const char *l = layout, *v = value, *range = NULL;

	*t = (struct go_time){.f = {[EL_MONTH] = 1, [EL_DAY] = 1}};
	while (*l) {
		int el = 0;
		size_t len = 1;

		while (el < EL_LITERAL && !str_has_prefix(l, layout_elems[el]))
			el++;
		if (el < EL_LITERAL)
			len = strlen(layout_elems[el]);
		if (el == EL_LITERAL ? *v != *l : parse_elem(el, &v, t, &range) < 0) {
			*msg = xasprintf(
				"parsing time \"%s\" as \"%s\": cannot parse \"%s\" as \"%.*s\"",
				value, layout, v, (int)len, l);
			return -1;
		}
		if (range) {
			*msg = xasprintf("parsing time \"%s\": %s out of range", value, range);
			return -1;
		}
		v += el == EL_LITERAL;
		l += len;
	}
	if (*v) {
		*msg = xasprintf("parsing time \"%s\": extra text: \"%s\"", value, v);
		return -1;
	}
	if (t->f[EL_DAY] < 1 || t->f[EL_DAY] > days_in(t->f[EL_MONTH], t->f[EL_YEAR])) {
		*msg = xasprintf("parsing time \"%s\": day out of range", value);
		return -1;
	}
	return 0;
}

/* The layout Docker's GetTimestamp picks for value; *local when it has no zone. */
static const char *pick_layout(const char *value, bool *local)
{
	size_t dashes = 0, colons = 0;

	for (const char *p = value; *p; p++)
		dashes += *p == '-', colons += *p == ':';
	*local = !strpbrk(value, "zZ+") && dashes != 3;
	if (strchr(value, '.'))
		return *local ? "2006-01-02T15:04:05.999999999"
			      : "2006-01-02T15:04:05.999999999Z07:00";
	if (!strchr(value, 'T'))
		return *local ? "2006-01-02" : "2006-01-02Z07:00";
	/* a +hh:mm or -hh:mm zone has a colon of its own */
	if (!*local && !strpbrk(value, "zZ") && colons > 0)
		colons--;
	if (*local)
		return colons == 0   ? "2006-01-02T15"
		       : colons == 1 ? "2006-01-02T15:04"
				     : "2006-01-02T15:04:05";
	return colons == 0   ? "2006-01-02T15Z07:00"
	       : colons == 1 ? "2006-01-02T15:04Z07:00"
			     : "2006-01-02T15:04:05Z07:00";
}

/* The local zone's offset now, as Go's time.FixedZone(time.Now().Zone()). */
static int local_offset(int64_t now_ns)
{
	time_t now = (time_t)(now_ns / NS_PER_SEC);
	struct tm tm;

	return localtime_r(&now, &tm) ? (int)tm.tm_gmtoff : 0;
}

/* Docker's parseTimestamp: "SECONDS[.FRACTION]". */
static int parse_unix(const char *value, int64_t *ns)
{
	const char *dot = strchr(value, '.');
	_cleanup_free_ char *sec = xstrndup(value, dot ? (size_t)(dot - value) : strlen(value));
	long long s, n = 0;
	char *end;

	errno = 0;
	s = strtoll(sec, &end, 10);
	if (!*sec || *end || errno || isspace((unsigned char)*sec))
		return -1;
	if (dot) {
		size_t digits = strlen(dot + 1);

		n = strtoll(dot + 1, &end, 10);
		if (!dot[1] || *end || errno || isspace((unsigned char)dot[1]))
			return -1;
		for (; digits < 9; digits++)
			n *= 10;
		for (; digits > 9; digits--)
			n /= 10;
	}
	*ns = s * NS_PER_SEC + n;
	return 0;
}

int logread_parse_timestamp(const char *value, int64_t now_ns, int64_t *ns,
			    struct berth_error **err)
{
	_cleanup_free_ char *msg = NULL;
	const char *layout;
	struct go_time t;
	int64_t d;
	bool local;

	if (strcmp(value, "0") != 0 && parse_duration(value, &d) == 0) {
		/* whole seconds, as the client sends them */
		int64_t at = now_ns - d;
		*ns = (at / NS_PER_SEC - (at % NS_PER_SEC < 0)) * NS_PER_SEC;
		return 0;
	}
	layout = pick_layout(value, &local);
	if (go_parse(layout, value, &t, &msg) == 0) {
		int64_t secs = days_from_civil(t.f[EL_YEAR], t.f[EL_MONTH], t.f[EL_DAY]) * 86400 +
			       t.f[EL_HOUR] * 3600LL + t.f[EL_MIN] * 60LL + t.f[EL_SEC];

		secs -= t.zoned ? t.off : local_offset(now_ns);
		*ns = secs * NS_PER_SEC + t.nsec;
		return 0;
	}
	/* with a "-" it was meant as a date */
	if (strchr(value, '-'))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "%s", msg);
	if (parse_unix(value, ns) == 0)
		return 0;
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"failed to parse value as time or duration: \"%s\"", value);
}
