/*
 * Reading the json-file log (logfile.h) back, as `logs` does: the entries of
 * the log and of its rotated files (<log>.N ... <log>.1, then <log>), oldest
 * first, with Docker's filters.
 *
 *   struct logread_opts o = {.tail = 3, .follow = true, .still_running = fn, .data = c};
 *   _cleanup_(logread_freep) struct logread *r = logread_open(path, &o, &err);
 *   struct logread_entry e;
 *   while ((n = logread_next(r, &e, &err)) > 0)
 *           write(e.stream, e.text, e.len);
 *
 * tail N finds where the last N lines begin by reading backwards from the end
 * in blocks (into older rotated files when the newer ones hold fewer lines),
 * so its cost does not depend on the size of the log. Lines that are not a
 * valid entry (a torn write, a corrupt file) are skipped; they count as lines
 * for tail, as Docker counts them.
 *
 * follow: at the end of the log, waits for more (inotify on the log's folder,
 * or polling without it) and notices rotation (the log renamed to <log>.1 or
 * removed, a new one made): it finishes the old file, then reads the new one
 * from its start. While idle, still_running is asked every 250 ms; once it
 * says no, whatever was written until then is read and logread_next() ends.
 */
#ifndef BERTH_MONITOR_LOGREAD_H
#define BERTH_MONITOR_LOGREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strbuf.h"

struct logread_opts {
	long long tail; /* only the last N lines; < 0 for all (0: none, with follow: new ones) */
	int64_t since;	/* skip entries older than this (ns since the epoch); 0 for no bound */
	int64_t until;	/* end at the first entry newer than this (ns); 0 for no bound */
	bool follow;
	/* follow: is the writer still there? NULL for "until killed (or until passes)" */
	bool (*still_running)(void *data);
	/* follow: called before each wait for more (to flush output); may be NULL */
	void (*idle)(void *data);
	void *data;
};

struct logread_entry {
	int stream;	  /* 1 stdout, 2 stderr, 0 any other */
	int64_t time;	  /* ns since the epoch; 0 when the line has none */
	const char *text; /* the decoded "log": len bytes (NUL-terminated, may hold NULs) */
	size_t len;
	/* "attrs" as `logs --details` prints them: key=value pairs sorted by key,
	 * URL-query-escaped, joined by ","; "" when there are none */
	const char *attrs;
};

struct logread;

/*
 * Opens the log at path with its rotated files. A log that does not exist
 * is not an error: it reads as empty (with follow, it is waited for).
 */
struct logread *logread_open(const char *path, const struct logread_opts *o,
			     struct berth_error **err);
/* 1 and the next entry in *e (valid until the next call), 0 at the end, -1 on error. */
int logread_next(struct logread *r, struct logread_entry *e, struct berth_error **err);
void logread_free(struct logread *r);
static inline void logread_freep(struct logread **r)
{
	logread_free(*r);
	*r = NULL;
}

/*
 * Parses one line of the log (without its "\n"): {"log":"…","stream":"…",
 * "attrs":{…},"time":"…"}, keys in any order, unknown keys ignored. The text
 * goes to text and the attributes (as in struct logread_entry) to attrs, both
 * reset first. Returns -1 when the line is not a JSON object of that shape.
 */
int logread_parse_line(const char *line, size_t len, int *stream, int64_t *time,
		       struct strbuf *text, struct strbuf *attrs);

/*
 * The value of `logs --since/--until` as Docker's client reads it: a Go
 * duration ("10s", "1h30m": now_ns minus that, in whole seconds), an RFC 3339
 * time or a prefix of one ("2026-11-29", "2026-11-29T19:22"; without a zone
 * it is local time), or a Unix time ("1700000000", "1700000000.123").
 * Errors carry Docker's message.
 */
int logread_parse_timestamp(const char *value, int64_t now_ns, int64_t *ns,
			    struct berth_error **err);

#endif
