/*
 * The json-file log, Docker's format: one JSON object per line,
 * {"log":"text\n","stream":"stdout","time":"<RFC3339Nano>"}. A line without
 * its final newline is written when the stream closes or 16 KiB accumulate.
 */
#ifndef BERTH_MONITOR_LOGFILE_H
#define BERTH_MONITOR_LOGFILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/strbuf.h"

struct logfile;

struct logfile *logfile_open(const char *path, struct berth_error **err);
/* Buffers data of stream ("stdout"/"stderr") and writes complete lines. */
void logfile_write(struct logfile *lf, int stream, const char *data, size_t len);
/* Writes what is left of stream's partial line. */
void logfile_flush(struct logfile *lf, int stream);
void logfile_close(struct logfile *lf);

/* Appends text JSON-escaped as Docker's jsonlog does (<, >, & as \u003c...). */
void logfile_json_escape(struct strbuf *sb, const char *text, size_t len);

#endif
