/*
 * The json-file log, Docker's format: one JSON object per line,
 * {"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}. A line without
 * its final newline is written when the stream closes or 16 KiB accumulate.
 *
 * Rotation as Docker's json-file driver (--log-opt max-size, max-file): before
 * an entry is written to a file that has reached max_size, the file is rotated.
 * <log>.1 is the newest rotated file, <log>.(max_files - 1) the oldest; the
 * oldest is removed. With max_files 1 the log starts again empty. The log is
 * never renamed over or truncated in place: it is renamed away (or unlinked) and
 * a new file is made, so that a reader following it (logread.h) notices.
 */
#ifndef BERTH_MONITOR_LOGFILE_H
#define BERTH_MONITOR_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strbuf.h"

struct logfile;

struct logfile_opts {
	long long max_size; /* bytes; 0 for no limit (no rotation) */
	int max_files;	    /* files kept, the log included: >= 1 (0 counts as 1) */
};

/*
 * Parses the json-file options of HostConfig.LogConfig.Config (an object of
 * strings such as {"max-size": "10m", "max-file": "3"}; NULL or JSON null for
 * none) into *out, with Docker's checks and messages: "invalid size: '10x'",
 * "max-size must be a positive number", "max-file cannot be less than 1",
 * "unknown log opt 'x' for json-file log driver"... Sizes are decimal as
 * Docker's (10m = 10,000,000 bytes). Errors are BERTH_ERR_INVALID. In
 * logopts.c, apart from the writer, which the idle monitor links without jansson.
 */
struct json_t;
int logfile_parse_opts(const struct json_t *log_config, struct logfile_opts *out,
		       struct berth_error **err);

/* Opens (appends to) the log at path; opts NULL for no rotation. */
struct logfile *logfile_open(const char *path, const struct logfile_opts *opts,
			     struct berth_error **err);
/* Buffers data of stream (1 stdout, 2 stderr) and writes complete lines. */
void logfile_write(struct logfile *lf, int stream, const char *data, size_t len);
/* Writes what is left of stream's partial line. */
void logfile_flush(struct logfile *lf, int stream);
/* What stream has buffered of a line not yet complete (for the idle monitor). */
const struct strbuf *logfile_partial(const struct logfile *lf, int stream);
/* Flushes both streams, closes and frees; lf may be NULL. */
void logfile_close(struct logfile *lf);

/* Appends text JSON-escaped as Docker's jsonlog does (<, >, & as \u003c...). */
void logfile_json_escape(struct strbuf *sb, const char *text, size_t len);

#endif
