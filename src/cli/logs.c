/* The logs verb: a container's json-file log, printed as Docker prints it. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "monitor/logread.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define LOGS_USAGE "Usage:  berth logs [OPTIONS] CONTAINER"

struct logs_opts {
	bool follow, timestamps, details;
	const char *since, *until, *tail;
};

/* What follow asks while the log is idle. */
struct logs_follow {
	struct store *s;
	const char *id;
};

static bool is_running(const struct store_container *c)
{
	return c->state == STORE_CONTAINER_RUNNING || c->state == STORE_CONTAINER_PAUSED ||
	       c->state == STORE_CONTAINER_RESTARTING;
}

static bool still_running(void *data)
{
	const struct logs_follow *f = data;
	_cleanup_(store_container_freep) struct store_container *c =
		container_find(f->s, f->id, NULL);

	return c && is_running(c);
}

static void flush_output(void *data)
{
	(void)data;
	fflush(stdout);
	fflush(stderr);
}

static void logs_help(void)
{
	puts(LOGS_USAGE "\n\nFetch the logs of a container\n\n"
			"Aliases:\n  berth container logs, berth logs\n\n"
			"Options:\n"
			"      --details        Show extra details provided to logs\n"
			"  -f, --follow         Follow log output\n"
			"      --since string   Show logs since timestamp (e.g. "
			"\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)\n"
			"  -n, --tail string    Number of lines to show from the end of the logs "
			"(default \"all\")\n"
			"  -t, --timestamps     Show timestamps\n"
			"      --until string   Show logs before a timestamp (e.g. "
			"\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 minutes)");
}

/* Returns the index of CONTAINER, or -(exit code + 1). */
static int parse_args(int argc, char **argv, struct logs_opts *o)
{
	static const struct option longopts[] = {
		{"details", no_argument, NULL, 'D'},	 {"follow", no_argument, NULL, 'f'},
		{"since", required_argument, NULL, 'S'}, {"tail", required_argument, NULL, 'n'},
		{"timestamps", no_argument, NULL, 't'},	 {"until", required_argument, NULL, 'U'},
		{"help", no_argument, NULL, 'h'},	 {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+fn:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'D':
			o->details = true;
			break;
		case 'f':
			o->follow = true;
			break;
		case 'S':
			o->since = optarg;
			break;
		case 'n':
			o->tail = optarg;
			break;
		case 't':
			o->timestamps = true;
			break;
		case 'U':
			o->until = optarg;
			break;
		case 'h':
			logs_help();
			return -1;
		default:
			return -1 - cli_getopt_error("logs", argv, optopt, longopts);
		}
	}
	if (argc - optind != 1)
		return -1 - cli_usage_error("logs",
					    "\"logs\" requires exactly 1 argument.\n" LOGS_USAGE
					    "\n\nFetch the logs of a container");
	return optind;
}

/* The daemon's reading of --tail: a number, anything else (as "all") is every line. */
static long long parse_tail(const char *s)
{
	char *end;
	long long n;

	if (!s)
		return -1;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *end || errno || isspace((unsigned char)*s))
		return -1;
	return n < 0 ? -1 : n;
}

/* The json-file log's options, and the one refusal: the "none" driver. */
static int check_driver(const struct store_container *c, const char *path)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *cfg = NULL;
	const char *type;

	if (fs_exists(path))
		return 0;
	cfg = json_parse(c->config, strlen(c->config), "container config", &err);
	type = json_get_str(json_object_get(json_object_get(cfg, "HostConfig"), "LogConfig"),
			    "Type");
	if (type && strcmp(type, "none") == 0) {
		fputs("Error response from daemon: configured logging driver does not support "
		      "reading\n",
		      stderr);
		return -1;
	}
	return 0;
}

/*
 * "2026-11-29T19:22:12.115942173Z " into f: the date and time formatted once
 * a second, the fraction each time (logs -t of a big log spends its time here).
 */
static void print_time(FILE *f, int64_t ns)
{
	static int64_t last_sec = INT64_MIN;
	static char head[32];
	int64_t sec = ns / 1000000000 - (ns % 1000000000 < 0);
	int64_t frac = ns - sec * 1000000000;
	char tail[12] = ".000000000Z";

	if (sec != last_sec) {
		char ts[64];

		time_format_rfc3339nano_fixed(sec * 1000000000, ts, sizeof(ts));
		snprintf(head, sizeof(head), "%.*s", (int)strcspn(ts, "."), ts);
		last_sec = sec;
	}
	for (int i = 9; i > 0; i--, frac /= 10)
		tail[i] = (char)('0' + frac % 10);
	fputs(head, f);
	fputs(tail, f);
	fputc(' ', f);
}

static int print_entry(const struct logread_entry *e, const struct logs_opts *o, FILE **last)
{
	FILE *f = e->stream == 2 ? stderr : stdout;

	if (e->stream != 1 && e->stream != 2)
		return 0;
	/* one stream after the other, in the log's order, when both go to one terminal */
	if (*last && *last != f)
		fflush(*last);
	*last = f;
	if (o->timestamps)
		print_time(f, e->time);
	if (o->details) {
		fputs(e->attrs, f);
		fputc(' ', f);
	}
	fwrite(e->text, 1, e->len, f);
	return ferror(f) ? -1 : 0;
}

static int time_arg(const char *value, int64_t *ns)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (!value || !*value)
		return 0;
	if (logread_parse_timestamp(value, time_now_ns(), ns, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return -1;
	}
	return 0;
}

static int print_logs(struct store *s, const struct store_container *c, const struct logs_opts *o)
{
	_cleanup_(logread_freep) struct logread *r = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *dir = container_dir(s, c->id);
	_cleanup_free_ char *path = xasprintf("%s/%s-json.log", dir, c->id);
	struct logs_follow f = {.s = s, .id = c->id};
	struct logread_opts ro = {
		.tail = parse_tail(o->tail),
		.follow = o->follow && is_running(c),
		.still_running = still_running,
		.idle = flush_output,
		.data = &f,
	};
	struct logread_entry e;
	FILE *last = NULL;
	int n;

	if (time_arg(o->since, &ro.since) < 0 || time_arg(o->until, &ro.until) < 0 ||
	    check_driver(c, path) < 0)
		return 1;
	r = logread_open(path, &ro, &err);
	if (!r) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	/* full buffers (stderr too); flushed when the stream changes and before waiting */
	setvbuf(stdout, NULL, _IOFBF, (size_t)64 * 1024);
	setvbuf(stderr, NULL, _IOFBF, (size_t)64 * 1024);
	while ((n = logread_next(r, &e, &err)) > 0)
		if (print_entry(&e, o, &last) < 0)
			return 1;
	flush_output(NULL);
	if (n < 0) {
		fprintf(stderr, "error from daemon in stream: Error grabbing logs: %s\n", err->msg);
		return 1;
	}
	return 0;
}

int cmd_logs(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct logs_opts o = {0};
	int i = parse_args(argc, argv, &o);

	if (i < 0)
		return -1 - i;
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	c = container_find(s, argv[i], &err);
	if (!c) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	return print_logs(s, c, &o);
}
