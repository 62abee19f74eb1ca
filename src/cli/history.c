/* diff, tag and history: a container's changes, and images made of layers. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "image/ref.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/timeutil.h"

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct container_change **changes = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c != 'h')
			return cli_getopt_error("diff", argv, optopt, longopts);
		puts("Usage:  berth diff CONTAINER\n\n"
		     "Inspect changes to files or directories on a container's filesystem");
		return 0;
	}
	if (argc - optind != 1)
		return cli_usage_error("diff", "\"diff\" requires exactly 1 argument.\n"
					       "Usage:  berth diff CONTAINER");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (container_diff(s, argv[optind], &changes, &err) < 0)
		return cli_report(err);
	for (size_t i = 0; changes[i]; i++)
		printf("%c %s\n", changes[i]->kind, changes[i]->path);
	container_changes_free(changes);
	return 0;
}

int cmd_tag(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c != 'h')
			return cli_getopt_error("tag", argv, optopt, longopts);
		puts("Usage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
		     "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
		return 0;
	}
	if (argc - optind != 2)
		return cli_usage_error("tag",
				       "\"tag\" requires exactly 2 arguments.\n"
				       "Usage:  berth tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	img = image_lookup(s, argv[optind], &err);
	if (!img || image_tag(s, img->id, argv[optind + 1], &err) < 0)
		return cli_report(err);
	return 0;
}

/* history */

struct history_opts {
	bool human, no_trunc, quiet;
	const char *format;
};

/*
 * The image IDs of the history's entries: an entry that is the top of a local
 * image (same layers, same number of entries) shows that image's ID, others
 * "<missing>", as Docker does.
 */
static char *entry_image(struct store_image **all, const struct store_image *img, size_t n_layers,
			 size_t n_entries)
{
	for (size_t i = 0; all[i]; i++) {
		json_auto_t *cfg = NULL;
		size_t nl = strv_len(all[i]->layers);
		bool prefix = nl == n_layers;

		for (size_t k = 0; prefix && k < nl; k++)
			prefix = strcmp(all[i]->layers[k], img->layers[k]) == 0;
		if (!prefix)
			continue;
		cfg = json_loads(all[i]->config, 0, NULL);
		if (json_array_size(json_object_get(cfg, "history")) == n_entries)
			return xstrdup(all[i]->id);
	}
	return xstrdup("<missing>");
}

static long long layer_size(struct store *s, const struct store_image *img, size_t idx)
{
	long long size = 0;

	store_layer_size(s, img->layers[idx], &size);
	return size;
}

static json_t *history_row(const json_t *h, const char *id, long long size,
			   const struct history_opts *o)
{
	const char *created = json_get_str(h, "created");
	const char *by = json_get_str(h, "created_by");
	const char *comment = json_get_str(h, "comment");
	_cleanup_free_ char *since = NULL, *short_id = NULL, *by_out = NULL;
	char sz[32];
	int64_t ns = 0;

	if (created)
		time_parse_rfc3339(created, &ns);
	if (o->human) {
		since = cli_since(ns, " ago");
	} else { /* Go's time.RFC3339, whole seconds */
		time_t t = (time_t)(ns / 1000000000);
		struct tm tm;
		since = xmalloc(32);
		strftime(since, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	}
	if (o->human)
		format_human_size((double)size, sz, sizeof(sz));
	else
		snprintf(sz, sizeof(sz), "%lld", size);
	short_id = strcmp(id, "<missing>") && !o->no_trunc ? xstrndup(digest_hex(id), 12)
							   : xstrdup(id);
	/* 44 characters and an ellipsis, as Docker truncates */
	by_out = !o->no_trunc && by && strlen(by) > 45 ? xasprintf("%.44s…", by)
						       : xstrdup(by ? by : "");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", short_id, "CreatedSince", since,
			 "CreatedAt", created ? created : "", "CreatedBy", by_out, "Size", sz,
			 "Comment", comment ? comment : "");
}

int cmd_history(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"human", optional_argument, NULL, 'H'},
		{"no-trunc", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"format", required_argument, NULL, 'f'},
		{"platform", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char table[] = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
				    "{{.Comment}}";
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_image **all = NULL;
	json_auto_t *cfg = NULL, *headers = NULL;
	struct history_opts o = {.human = true};
	json_t **rows;
	json_t *history;
	size_t n, layer;
	int c, r = 0;

	while ((c = getopt_long(argc, argv, "+H::qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H': /* -H, --human, --human=false, -H=false */
			if (optarg && *optarg == '=')
				optarg++;
			o.human = !optarg || strcmp(optarg, "false") != 0;
			break;
		case 'n':
			o.no_trunc = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'f':
			o.format = optarg;
			break;
		case 'P':
			break;
		case 'h':
			puts("Usage:  berth history [OPTIONS] IMAGE\n\n"
			     "Show the history of an image\n\n"
			     "Options:\n"
			     "      --format string   Format output using a custom template\n"
			     "  -H, --human           Print sizes and dates in human readable "
			     "format "
			     "(default true)\n"
			     "      --no-trunc        Don't truncate output\n"
			     "  -q, --quiet           Only show image IDs");
			return 0;
		default:
			return cli_getopt_error("history", argv, optopt, longopts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("history", "\"history\" requires exactly 1 argument.\n"
						  "Usage:  berth history [OPTIONS] IMAGE");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	img = image_lookup(s, argv[optind], &err);
	if (!img || store_image_list(s, &all, &err) < 0)
		return cli_report(err);
	cfg = json_parse(img->config, strlen(img->config), "image config", &err);
	if (!cfg) {
		store_image_list_free(all);
		return cli_report(err);
	}
	history = json_object_get(cfg, "history");
	n = json_array_size(history);
	rows = xcalloc(n + 1, sizeof(json_t *));
	/* newest first; each entry not marked empty_layer owns the next layer */
	layer = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_array_get(history, i);
		bool empty = json_is_true(json_object_get(h, "empty_layer"));
		size_t nl = empty ? layer : layer + 1;
		long long size =
			empty || nl > strv_len(img->layers) ? 0 : layer_size(s, img, layer);
		_cleanup_free_ char *id = entry_image(all, img, nl, i + 1);

		rows[n - 1 - i] = history_row(h, id, size, &o);
		layer = nl;
	}
	if (o.quiet) {
		for (size_t i = 0; i < n; i++)
			puts(json_get_str(rows[i], "ID"));
	} else {
		headers = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "IMAGE", "CreatedSince",
				    "CREATED", "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY",
				    "Size", "SIZE", "Comment", "COMMENT");
		if (cli_format_rows(o.format ? o.format : table, rows, n, headers, NULL, NULL,
				    &err) < 0)
			r = cli_report(err);
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	store_image_list_free(all);
	return r;
}
