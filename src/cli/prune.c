/* container prune, image prune and system prune: what is unused goes, with the space it took. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "util/fs.h"
#include "util/strutil.h"

struct prune_opts {
	bool force, all;
};

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
		case 'F':
			return cli_usage_error(cmd, "NEEDSWORK: --filter is not supported yet");
		case 'V':
			break; /* volumes: none yet */
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
static int prune_containers(struct store *s, long long *reclaimed)
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

		if (container_is_running(list[i]))
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

/* What the images take on disk: their layers and blobs. */
static long long image_space(const struct store *s)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs", s->root);

	return fs_tree_size(layers) + fs_tree_size(blobs);
}

static int prune_images(struct store *s, bool all, long long *reclaimed)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_remove_result res = {0};
	long long before = image_space(s);
	int r = 0;

	if (image_prune(s, all, &res, &err) < 0)
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

static void print_reclaimed(long long bytes)
{
	char human[32];

	format_human_size((double)(bytes > 0 ? bytes : 0), human, sizeof(human));
	printf("Total reclaimed space: %s\n", human);
}

int cmd_container_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune("container prune", argc, argv, &o,
			    "Usage:  berth container prune [OPTIONS]\n\n"
			    "Remove all stopped containers\n\nOptions:\n"
			    "  -f, --force   Do not prompt for confirmation");

	if (r >= 0)
		return r;
	if (!confirm(&o, "WARNING! This will remove all stopped containers."))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_containers(s, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}

int cmd_image_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune("image prune", argc, argv, &o,
			    "Usage:  berth image prune [OPTIONS]\n\n"
			    "Remove unused images\n\nOptions:\n"
			    "  -a, --all     Remove all unused images, not just dangling ones\n"
			    "  -f, --force   Do not prompt for confirmation");

	if (r >= 0)
		return r;
	if (!confirm(&o, o.all ? "WARNING! This will remove all images without at least one "
				 "container associated to them."
			       : "WARNING! This will remove all dangling images."))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_images(s, o.all, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}

int cmd_system_prune(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_free_ char *warning = NULL;
	struct prune_opts o = {0};
	long long reclaimed = 0;
	int r = parse_prune("system prune", argc, argv, &o,
			    "Usage:  berth system prune [OPTIONS]\n\n"
			    "Remove unused data\n\nOptions:\n"
			    "  -a, --all     Remove all unused images not just dangling ones\n"
			    "  -f, --force   Do not prompt for confirmation\n"
			    "      --volumes Prune anonymous volumes");

	if (r >= 0)
		return r;
	warning = xasprintf("WARNING! This will remove:\n"
			    "  - all stopped containers\n"
			    "  - %s\n",
			    o.all ? "all images without at least one container associated to them"
				  : "all dangling images");
	if (!confirm(&o, warning))
		return 0;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	r = prune_containers(s, &reclaimed);
	if (r == 0)
		r = prune_images(s, o.all, &reclaimed);
	print_reclaimed(reclaimed);
	return r;
}
