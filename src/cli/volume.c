/* volume create, ls, inspect, rm and prune, as Docker's. */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>

#include "cli/cli.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/template.h"
#include "volume/volume.h"

/* "berth volume" alone, or with an unknown command: the group's usage. */
int cmd_volume(int argc, char **argv)
{
	FILE *f = argc > 1 && strcmp(argv[1], "--help") ? stderr : stdout;

	if (argc > 1 && strcmp(argv[1], "--help"))
		fprintf(stderr, "berth: 'volume %s' is not a berth command.\n", argv[1]);
	fputs("Usage:  berth volume COMMAND\n\nManage volumes\n\nCommands:\n"
	      "  create      Create a volume\n"
	      "  inspect     Display detailed information on one or more volumes\n"
	      "  ls          List volumes\n"
	      "  prune       Remove unused local volumes\n"
	      "  rm          Remove one or more volumes\n\n"
	      "Run 'berth volume COMMAND --help' for more information on a command.\n",
	      f);
	return f == stderr ? 1 : 0;
}

/* --label KEY[=VALUE] and --opt KEY[=VALUE] into an object. */
static void set_pair(json_t *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);

	json_object_set_new(obj, key, json_string(eq ? eq + 1 : ""));
}

static int create_usage(void)
{
	puts("Usage:  berth volume create [OPTIONS] [VOLUME]\n\n"
	     "Create a volume\n\n"
	     "Options:\n"
	     "  -d, --driver string   Specify volume driver name (default \"local\")\n"
	     "      --label list      Set metadata for a volume\n"
	     "  -o, --opt map         Set driver specific options (default map[])");
	return 0;
}

int cmd_volume_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"driver", required_argument, NULL, 'd'}, {"label", required_argument, NULL, 'l'},
		{"opt", required_argument, NULL, 'o'},	  {"name", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *made = NULL;
	json_auto_t *labels = json_object(), *opts = json_object();
	const char *driver = "local", *name = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+d:o:h", longopts, NULL)) != -1) {
		if (c == 'd')
			driver = optarg;
		else if (c == 'l')
			set_pair(labels, optarg);
		else if (c == 'o')
			set_pair(opts, optarg);
		else if (c == 'n')
			name = optarg;
		else if (c == 'h')
			return create_usage();
		else
			return cli_getopt_error("volume create", argv, optopt, longopts);
	}
	if (argc - optind > 1)
		return cli_usage_error("volume create",
				       "\"volume create\" requires at most 1 argument.");
	if (optind < argc && name)
		return cli_usage_error("volume create",
				       "conflicting options: either specify --name "
				       "or provide positional arg, not both");
	if (optind < argc)
		name = argv[optind];
	if (strcmp(driver, "local")) {
		fprintf(stderr,
			"berth: Error response from daemon: create %s: error looking up volume "
			"plugin %s: plugin \"%s\" not found\n",
			name ? name : "", driver, driver);
		return 1;
	}
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (volume_create(s, name, labels, opts, 0, &made, NULL, &err) < 0) {
		fprintf(stderr, "berth: Error response from daemon: %s\n", err->msg);
		return 1;
	}
	puts(made);
	return 0;
}

/* ls */

struct ls_filters {
	int dangling; /* -1: any */
	char **names, **labels, **drivers;
};

static void ls_filters_release(struct ls_filters *f)
{
	strv_free(f->names);
	strv_free(f->labels);
	strv_free(f->drivers);
}

static int add_filter(struct ls_filters *f, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
	const char *v = eq ? eq + 1 : "";

	if (!eq)
		return cli_usage_error("volume ls", "bad format of filter (expected name=value)");
	if (!strcmp(key, "dangling")) {
		if (!strcmp(v, "true") || !strcmp(v, "1"))
			f->dangling = 1;
		else if (!strcmp(v, "false") || !strcmp(v, "0"))
			f->dangling = 0;
		else
			goto bad_value;
	} else if (!strcmp(key, "name")) {
		strv_push(&f->names, v);
	} else if (!strcmp(key, "label")) {
		strv_push(&f->labels, v);
	} else if (!strcmp(key, "driver")) {
		strv_push(&f->drivers, v);
	} else {
		fprintf(stderr, "berth: Error response from daemon: invalid filter '%s'\n", key);
		return 1;
	}
	return -1; /* go on */
bad_value:
	fprintf(stderr, "berth: Error response from daemon: invalid filter '%s=%s'\n", key, v);
	return 1;
}

/* A name filter is a regular expression, as Docker's (a substring when it is not one). */
static bool name_matches(const char *pattern, const char *name)
{
	regex_t re;
	bool m;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(name, pattern) != NULL;
	m = regexec(&re, name, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static bool label_matches(const json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	const char *v = json_get_str(labels, key);

	return v && (!eq || !strcmp(v, eq + 1));
}

/* Filters of one key are alternatives (label: all must match), keys must all match. */
static bool filters_take(struct store *s, const struct ls_filters *f, const struct volume *v)
{
	bool any;

	if (f->dangling >= 0) {
		_cleanup_strv_ char **users = NULL;
		if (volume_users(s, v->name, &users, NULL) < 0 || (users[0] == NULL) != f->dangling)
			return false;
	}
	any = !f->names;
	for (size_t i = 0; f->names && f->names[i]; i++)
		any |= name_matches(f->names[i], v->name);
	for (size_t i = 0; f->labels && f->labels[i]; i++)
		any &= label_matches(v->labels, f->labels[i]);
	if (f->drivers) {
		bool d = false;
		for (size_t i = 0; f->drivers[i]; i++)
			d |= !strcmp(f->drivers[i], v->driver);
		any &= d;
	}
	return any;
}

/* A row of volume ls --format: Docker's fields. */
static json_t *ls_row(struct store *s, const struct volume *v)
{
	_cleanup_strv_ char **users = NULL;
	struct strbuf labels = STRBUF_INIT;
	json_t *inspect = volume_inspect(v), *row;
	const char *k;
	json_t *val;

	json_object_foreach(v->labels, k, val)
		strbuf_addf(&labels, "%s%s=%s", labels.len ? "," : "", k, json_string_value(val));
	volume_users(s, v->name, &users, NULL);
	row = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", v->name,
			"Driver", v->driver, "Scope", "local", "Mountpoint", v->mountpoint,
			"Labels", labels.buf ? labels.buf : "", "Size", "N/A", "CreatedAt",
			json_get_str(inspect, "CreatedAt"), "Availability", "N/A", "Group", "N/A",
			"Status", "N/A", "Links", "N/A");
	json_object_set_new(row, "Links", json_sprintf("%zu", users ? strv_len(users) : 0));
	strbuf_release(&labels);
	json_decref(inspect);
	return row;
}

/* {{.Label "key"}} of a row: the volume's labels are the userdata, by name. */
static int row_method(void *userdata, const char *name, const json_t *receiver, json_t *const *args,
		      size_t nargs, json_t **result, struct berth_error **err)
{
	const json_t *labels = json_object_get(userdata, json_get_str(receiver, "Name") ?: "");
	const char *v;

	if (strcmp(name, "Label") || !labels)
		return 0;
	if (nargs != 1 || !json_is_string(args[0]))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"wrong number of args for Label");
	v = json_get_str(labels, json_string_value(args[0]));
	*result = json_string(v ? v : "");
	return 1;
}

static int print_volumes(struct store *s, const struct ls_filters *f, const char *format,
			 bool quiet)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *headers = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Name", "VOLUME NAME",
		"Driver", "DRIVER", "Scope", "SCOPE", "Mountpoint", "MOUNTPOINT", "Labels",
		"LABELS", "Links", "LINKS", "Size", "SIZE", "CreatedAt", "CREATED", "Availability",
		"AVAILABILITY", "Group", "GROUP", "Status", "STATUS");
	json_auto_t *labels = json_object();
	struct volume **list = NULL;
	json_t **rows;
	size_t n = 0;
	int r = 0;

	if (volume_list(s, &list, &err) < 0)
		return cli_report(err);
	rows = xcalloc(1, sizeof(*rows));
	for (size_t i = 0; list[i]; i++) {
		if (!filters_take(s, f, list[i]))
			continue;
		if (quiet) {
			puts(list[i]->name);
			continue;
		}
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n++] = ls_row(s, list[i]);
		json_object_set(labels, list[i]->name, list[i]->labels);
	}
	if (!quiet && cli_format_rows(format, rows, n, headers, row_method, labels, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		r = 1;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	volume_list_free(list);
	return r;
}

int cmd_volume_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"filter", required_argument, NULL, 'f'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(ls_filters_release) struct ls_filters f = {.dangling = -1};
	const char *format = "table {{.Driver}}\t{{.Name}}";
	bool quiet = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "+qf:h", longopts, NULL)) != -1) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'f') {
			if ((r = add_filter(&f, optarg)) >= 0)
				return r;
		} else if (c == 'F') {
			format = optarg;
		} else if (c == 'h') {
			puts("Usage:  berth volume ls [OPTIONS]\n\nList volumes\n\nAliases:\n"
			     "  berth volume ls, berth volume list\n\nOptions:\n"
			     "  -f, --filter filter   Provide filter values (e.g. "
			     "\"dangling=true\")\n"
			     "      --format string   Format output using a custom template\n"
			     "  -q, --quiet           Only display volume names");
			return 0;
		} else {
			return cli_getopt_error("volume ls", argv, optopt, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("volume ls", "\"volume ls\" accepts no arguments.");
	if (!strcmp(format, "table"))
		format = "table {{.Driver}}\t{{.Name}}";
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return print_volumes(s, &f, format, quiet);
}

/* rm */

int cmd_volume_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	bool force = false;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return puts("Usage:  berth volume rm [OPTIONS] VOLUME [VOLUME...]\n\n"
				    "Remove one or more volumes. You cannot remove a volume that "
				    "is "
				    "in use by a container.\n\nAliases:\n  berth volume rm, berth "
				    "volume remove\n\nOptions:\n  -f, --force   Force the removal "
				    "of "
				    "one or more volumes") < 0;
		else
			return cli_getopt_error("volume rm", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("volume rm", "\"volume rm\" requires at least 1 argument.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;

		if (volume_remove(s, argv[i], force, &err) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
			continue;
		}
		puts(argv[i]);
	}
	return rc;
}

/* prune */

static bool prune_label(const char *want, const json_t *labels, bool negate)
{
	return label_matches(labels, want) != negate;
}

struct prune_filters {
	char **labels, **nolabels;
};

static bool prune_wanted(const struct volume *v, void *ctx)
{
	const struct prune_filters *f = ctx;

	for (size_t i = 0; f->labels && f->labels[i]; i++)
		if (!prune_label(f->labels[i], v->labels, false))
			return false;
	for (size_t i = 0; f->nolabels && f->nolabels[i]; i++)
		if (!prune_label(f->nolabels[i], v->labels, true))
			return false;
	return true;
}

static int prune_filter(struct prune_filters *f, bool *all, const char *arg)
{
	if (str_has_prefix(arg, "label!=")) {
		strv_push(&f->nolabels, arg + 7);
	} else if (str_has_prefix(arg, "label=")) {
		strv_push(&f->labels, arg + 6);
	} else if (!strcmp(arg, "all=true") || !strcmp(arg, "all=1")) {
		*all = true;
	} else if (!strcmp(arg, "all=false") || !strcmp(arg, "all=0")) {
		*all = false;
	} else if (!strchr(arg, '=')) {
		return cli_usage_error("volume prune",
				       "bad format of filter (expected name=value)");
	} else {
		_cleanup_free_ char *key = xstrndup(arg, strcspn(arg, "=!"));
		fprintf(stderr, "berth: Error response from daemon: invalid filter '%s'\n", key);
		return 1;
	}
	return -1;
}

static int prune_parse(int argc, char **argv, bool *force, bool *all, struct prune_filters *f)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		{"filter", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, r;

	while ((c = getopt_long(argc, argv, "+fah", longopts, NULL)) != -1) {
		if (c == 'f') {
			*force = true;
		} else if (c == 'a') {
			*all = true;
		} else if (c == 'F') {
			if ((r = prune_filter(f, all, optarg)) >= 0)
				return r;
		} else if (c == 'h') {
			puts("Usage:  berth volume prune [OPTIONS]\n\n"
			     "Remove unused local volumes\n\nOptions:\n"
			     "  -a, --all             Remove all unused volumes, not just "
			     "anonymous "
			     "ones\n"
			     "      --filter filter   Provide filter values (e.g. "
			     "\"label=<label>\")\n"
			     "  -f, --force           Do not prompt for confirmation");
			return 0;
		} else {
			return cli_getopt_error("volume prune", argv, optopt, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("volume prune", "\"volume prune\" accepts no arguments.");
	return -1;
}

int cmd_volume_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **removed = NULL;
	struct prune_filters f = {0};
	bool force = false, all = false;
	long long reclaimed = 0;
	char answer[16] = "", human[32];
	int r = prune_parse(argc, argv, &force, &all, &f);

	if (r >= 0)
		goto out;
	if (!force) {
		printf("WARNING! This will remove %s local volumes not used by at least one "
		       "container.\nAre you sure you want to continue? [y/N] ",
		       all ? "all" : "anonymous");
		fflush(stdout);
		r = 0;
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			goto out;
	}
	r = EXIT_ENGINE;
	if (!(s = cli_open_store()))
		goto out;
	if (volume_prune(s, all, prune_wanted, &f, &removed, &reclaimed, &err) < 0) {
		r = cli_report(err);
		goto out;
	}
	if (removed[0]) {
		puts("Deleted Volumes:");
		for (size_t i = 0; removed[i]; i++)
			puts(removed[i]);
		putchar('\n');
	}
	format_human_size((double)reclaimed, human, sizeof(human));
	printf("Total reclaimed space: %s\n", human);
	r = 0;
out:
	strv_free(f.labels);
	strv_free(f.nolabels);
	return r;
}
