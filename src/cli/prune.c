/* container prune, image prune and system prune: what is unused goes, with the space it took. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "monitor/logread.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/timeutil.h"
#include "volume/volume.h"

struct prune_opts {
	bool force, all, volumes;
	int64_t until;	 /* until=: only what was created before; 0 for no limit */
	char **labels;	 /* label=KEY[=VALUE]: what has all of them */
	char **nolabels; /* label!=KEY[=VALUE]: what has none of them */
};

static void prune_opts_release(struct prune_opts *o)
{
	strv_free(o->labels);
	strv_free(o->nolabels);
}

/* --filter until=…, label=…, label!=…, as Docker's prune takes them. */
static int add_filter(const char *cmd, struct prune_opts *o, const char *arg)
{
	_cleanup_error_ struct berth_error *err = NULL;
	const char *eq = strchr(arg, '=');

	if (!eq)
		return cli_usage_error(cmd, "bad format of filter (expected name=value)");
	if (str_has_prefix(arg, "until=")) {
		if (logread_parse_timestamp(eq + 1, time_now_ns(), &o->until, &err) < 0)
			return cli_report(err);
	} else if (str_has_prefix(arg, "label!=")) {
		strv_push(&o->nolabels, eq + 1);
	} else if (str_has_prefix(arg, "label=")) {
		strv_push(&o->labels, eq + 1);
	} else {
		_cleanup_free_ char *key = xstrndup(arg, (size_t)(eq - arg));
		if (key[0] && key[strlen(key) - 1] == '!')
			key[strlen(key) - 1] = '\0';
		fprintf(stderr, "berth: Error response from daemon: invalid filter '%s'\n", key);
		return 1;
	}
	return -1; /* go on */
}

/* Does a Labels object have KEY, or KEY=VALUE? */
static bool has_label(const json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	const char *v = json_get_str(labels, key);

	return v && (!eq || strcmp(v, eq + 1) == 0);
}

/* Do the filters take something created at created_ns with these labels? */
static bool filters_take(const struct prune_opts *o, int64_t created_ns, const json_t *labels)
{
	if (o->until && created_ns >= o->until)
		return false;
	for (size_t i = 0; o->labels && o->labels[i]; i++)
		if (!has_label(labels, o->labels[i]))
			return false;
	for (size_t i = 0; o->nolabels && o->nolabels[i]; i++)
		if (has_label(labels, o->nolabels[i]))
			return false;
	return true;
}

static bool image_wanted(const struct store_image *img, void *ctx)
{
	json_auto_t *cfg = json_loads(img->config, 0, NULL);

	return filters_take(ctx, img->created,
			    json_object_get(json_object_get(cfg, "config"), "Labels"));
}

/* Docker's question; true when the user answers yes (or -f). */
static bool confirm(const struct prune_opts *o, const char *warning)
{
	char answer[16] = "";

	if (o->force)
		return true;
	printf("%s\nAre you sure you want to continue? [y/N] ", warning);
	fflush(stdout);
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

static int parse_prune(const char *cmd, int argc, char **argv, struct prune_opts *o,
		       const char *help)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},	  {"all", no_argument, NULL, 'a'},
		{"filter", required_argument, NULL, 'F'}, {"volumes", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+fah", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'F': {
			int r = add_filter(cmd, o, optarg);
			if (r >= 0)
				return r;
			break;
		}
		case 'V':
			o->volumes = true;
			break;
		case 'h':
			puts(help);
			return 0;
		default:
			return cli_getopt_error(cmd, argv, optopt, longopts);
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, "\"%s\" accepts no arguments.", cmd);
	return -1; /* go on */
}

/* Removes the stopped containers; adds the space their layers took. */
static int prune_containers(struct store *s, const struct prune_opts *o, long long *reclaimed)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_container **list = NULL;
	bool header = false;

	if (container_list(s, &list, &err) < 0)
		return cli_report(err);
	for (size_t i = 0; list[i]; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		_cleanup_free_ char *upper = NULL;
		long long size;

		json_auto_t *labels = json_loads(list[i]->labels ? list[i]->labels : "{}", 0, NULL);

		if (container_is_running(list[i]) || !filters_take(o, list[i]->created, labels))
			continue;
		upper = xasprintf("%s/containers/%s/diff", s->root, list[i]->id);
		size = fs_tree_size(upper);
		if (container_remove(s, list[i]->id, false, &e) < 0)
			continue;
		*reclaimed += size;
		if (!header)
			puts("Deleted Containers:");
		header = true;
		puts(list[i]->id);
	}
	if (header)
		putchar('\n');
	store_container_list_free(list);
	return 0;
}

static int prune_networks(struct store *s)
{
	_cleanup_error_ struct berth_error *err = NULL;
	bool deleted;

	if (cli_network_prune(s, &deleted, &err) < 0)
		return cli_report(err);
	if (deleted)
		putchar('\n');
	return 0;
}

/* What the images take on disk: their layers and blobs. */
static long long image_space(const struct store *s)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs", s->root);

	return fs_tree_size(layers) + fs_tree_size(blobs);
}

static int prune_images(struct store *s, struct prune_opts *o, long long *reclaimed)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_remove_result res = {0};
	long long before = image_space(s);
	int r = 0;

	if (image_prune(s, o->all, image_wanted, o, &res, &err) < 0)
		r = cli_report(err);
	if (res.untagged || res.deleted) {
		puts("Deleted Images:");
		for (size_t i = 0; res.untagged && res.untagged[i]; i++)
			printf("untagged: %s\n", res.untagged[i]);
		for (size_t i = 0; res.deleted && res.deleted[i]; i++)
			printf("deleted: %s\n", res.deleted[i]);
		putchar('\n');
	}
	*reclaimed += before - image_space(s);
	image_remove_result_release(&res);
	return r;
}

static bool volume_wanted(const struct volume *v, void *ctx)
{
	return filters_take(ctx, v->created, v->labels);
}

/* system prune --volumes: the anonymous volumes no container uses. */
static int prune_volumes(struct store *s, struct prune_opts *o, long long *reclaimed)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **removed = NULL;
	long long bytes = 0;

	if (volume_prune(s, false, volume_wanted, o, &removed, &bytes, &err) < 0)
		return cli_report(err);
	if (removed[0]) {
		puts("Deleted Volumes:");
		for (size_t i = 0; removed[i]; i++)
			puts(removed[i]);
		putchar('\n');
	}
	*reclaimed += bytes;
	return 0;
}

static void print_reclaimed(long long bytes)
{
	char human[32];

	format_human_size((double)(bytes > 0 ? bytes : 0), human, sizeof(human));
	printf("Total reclaimed space: %s\n", human);
}

int cmd_container_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(prune_opts_release) struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune(
		"container prune", argc, argv, &o,
		"Usage:  berth container prune [OPTIONS]\n\n"
		"Remove all stopped containers\n\nOptions:\n"
		"      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
		"  -f, --force           Do not prompt for confirmation");

	if (r >= 0)
		return r;
	if (!confirm(&o, "WARNING! This will remove all stopped containers."))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_containers(s, &o, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}

int cmd_image_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(prune_opts_release) struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune(
		"image prune", argc, argv, &o,
		"Usage:  berth image prune [OPTIONS]\n\n"
		"Remove unused images\n\nOptions:\n"
		"  -a, --all             Remove all unused images, not just dangling ones\n"
		"      --filter filter   Provide filter values (e.g. \"until=<timestamp>\")\n"
		"  -f, --force           Do not prompt for confirmation");

	if (r >= 0)
		return r;
	if (!confirm(&o, o.all ? "WARNING! This will remove all images without at least one "
				 "container associated to them."
			       : "WARNING! This will remove all dangling images."))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_images(s, &o, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}

int cmd_system_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_free_ char *warning = NULL;
	_cleanup_(prune_opts_release) struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune(
		"system prune", argc, argv, &o,
		"Usage:  berth system prune [OPTIONS]\n\n"
		"Remove unused data\n\nOptions:\n"
		"  -a, --all             Remove all unused images not just dangling ones\n"
		"      --filter filter   Provide filter values (e.g. \"label=<key>=<value>\")\n"
		"  -f, --force           Do not prompt for confirmation\n"
		"      --volumes         Prune anonymous volumes");

	if (r >= 0)
		return r;
	warning = xasprintf("WARNING! This will remove:\n"
			    "  - all stopped containers\n"
			    "  - all networks not used by at least one container\n"
			    "%s"
			    "  - %s\n",
			    o.volumes ? "  - all anonymous volumes not used by at least one "
					"container\n"
				      : "",
			    o.all ? "all images without at least one container associated to them"
				  : "all dangling images");
	if (!confirm(&o, warning))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_containers(s, &o, &reclaimed);
	/* NEEDSWORK: filters for networks; with filters, none go */
	if (r == 0 && !o.until && !o.labels && !o.nolabels)
		r = prune_networks(s);
	if (r == 0 && o.volumes)
		r = prune_volumes(s, &o, &reclaimed);
	if (r == 0)
		r = prune_images(s, &o, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}
