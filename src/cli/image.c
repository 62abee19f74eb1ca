/* Image verbs: import, images, rmi. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/ref.h"
#include "util/sha256.h"
#include "util/strutil.h"

int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"change", required_argument, NULL, 'c'},
		{"message", required_argument, NULL, 'm'},
		{"platform", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **changes = NULL;
	_cleanup_free_ char *id = NULL;
	struct image_import_opts o = {0};
	int c;

	while ((c = getopt_long(argc, argv, "+c:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			strv_push(&changes, optarg);
			break;
		case 'm':
			o.message = optarg;
			break;
		case 'P':
			break;
		case 'h':
			puts("Usage:  berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]\n\n"
			     "Import the contents from a tarball to create a filesystem image\n\n"
			     "Options:\n"
			     "  -c, --change list        Apply Dockerfile instruction to the "
			     "created "
			     "image\n"
			     "  -m, --message string     Set commit message for imported image");
			return 0;
		default:
			return cli_getopt_error("import", argv, optopt, longopts);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error(
			"import", "\"import\" requires at least 1 and at most 2 arguments.\n"
				  "Usage:  berth import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]");
	o.source = argv[optind];
	o.ref = argc - optind == 2 ? argv[optind + 1] : NULL;
	o.changes = changes;
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (image_import(s, &o, &id, &err) < 0)
		return cli_report(err);
	puts(id);
	return 0;
}

/* Does the image row (its familiar name and tag) match the images REPO[:TAG] argument? */
static bool image_matches(const struct image_ref *want, bool want_tag, const struct image_ref *r)
{
	return strcmp(want->domain, r->domain) == 0 && strcmp(want->path, r->path) == 0 &&
	       (!want_tag || (r->tag && strcmp(want->tag, r->tag) == 0));
}

#define IMAGES_DEFAULT "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

/* One row of images: an image under one of its references (or <none>). */
static json_t *image_row(const struct store_image *img, const struct image_ref *r, bool no_trunc)
{
	_cleanup_free_ char *repo = r ? image_ref_familiar_name(r) : xstrdup("<none>");
	_cleanup_free_ char *created = cli_since(img->created, " ago");
	_cleanup_free_ char *id = no_trunc ? xstrdup(img->id) : xstrndup(digest_hex(img->id), 12);
	time_t sec = (time_t)(img->created / 1000000000LL);
	char size[32], created_at[64];
	struct tm tm;

	format_human_size((double)img->size, size, sizeof(size));
	gmtime_r(&sec, &tm);
	strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", repo, "Tag",
			 r && r->tag ? r->tag : "<none>", "Digest",
			 r && r->digest ? r->digest : "<none>", "ID", id, "CreatedSince", created,
			 "CreatedAt", created_at, "Size", size, "VirtualSize", size, "Containers",
			 "N/A");
}

struct images_opts {
	bool quiet, no_trunc, tree, graph;
	const char *format;
};

static int list_images(struct store *s, const char *filter, const struct images_opts *o)
{
	_cleanup_(image_ref_freep) struct image_ref *want = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_image **imgs = NULL;
	json_auto_t *headers =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository",
			  "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "ID", "IMAGE ID",
			  "CreatedSince", "CREATED", "CreatedAt", "CREATED AT", "Size", "SIZE",
			  "VirtualSize", "VIRTUAL SIZE", "Containers", "CONTAINERS");
	json_t **rows = NULL;
	size_t n = 0;
	int r = 0;

	if (filter && !(want = image_ref_parse(filter, &err)))
		return cli_report(err);
	if (store_image_list(s, &imgs, &err) < 0)
		return cli_report(err);
	for (size_t i = 0; imgs[i]; i++) {
		rows = xrealloc(rows, (n + strv_len(imgs[i]->tags) + 1) * sizeof(*rows));
		if (!imgs[i]->tags[0] && !want)
			rows[n++] = image_row(imgs[i], NULL, o->no_trunc);
		for (size_t j = 0; imgs[i]->tags[j]; j++) {
			_cleanup_(image_ref_freep) struct image_ref *ref =
				image_ref_parse(imgs[i]->tags[j], NULL);
			if (!ref ||
			    (want && !image_matches(want, strchr(filter, ':') != NULL, ref)))
				continue;
			rows[n++] = image_row(imgs[i], ref, o->no_trunc);
		}
	}
	if (o->quiet) {
		for (size_t i = 0; i < n; i++)
			puts(json_string_value(json_object_get(rows[i], "ID")));
	} else if (cli_format_rows(o->format && *o->format ? o->format : IMAGES_DEFAULT, rows, n,
				   headers, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		r = 1;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	store_image_list_free(imgs);
	return r;
}

int cmd_images(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},    {"all", no_argument, NULL, 'a'},
		{"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
		{"tree", no_argument, NULL, 't'},     {"graph", no_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	struct images_opts o = {0};
	int c;

	while ((c = getopt_long(argc, argv, "+qah", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o.quiet = true;
			break;
		case 'a':
			break;
		case 'T':
			o.no_trunc = true;
			break;
		case 'F':
			o.format = optarg;
			break;
		case 't':
			o.tree = true;
			break;
		case 'G':
			o.graph = true;
			break;
		case 'h':
			puts("Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\n"
			     "Options:\n  -a, --all             Show all images\n"
			     "      --format string   Format output using a custom template\n"
			     "      --graph           Output the layer tree in Graphviz DOT\n"
			     "      --no-trunc        Don't truncate output\n"
			     "  -q, --quiet           Only show image IDs\n"
			     "      --tree            Output the layer tree of the images");
			return 0;
		default:
			return cli_getopt_error("images", argv, optopt, longopts);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("images", "\"images\" requires at most 1 argument.");
	if (o.tree && o.graph)
		return cli_usage_error("images", "--tree and --graph cannot be used together");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (o.tree || o.graph)
		return cli_images_tree(s, optind < argc ? argv[optind] : NULL, o.graph, o.no_trunc);
	return list_images(s, optind < argc ? argv[optind] : NULL, &o);
}

int cmd_rmi(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"no-prune", no_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	bool force = false;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case 'P':
			break;
		case 'h':
			puts("Usage:  berth rmi [OPTIONS] IMAGE [IMAGE...]\n\n"
			     "Remove one or more images\n\nOptions:\n"
			     "  -f, --force      Force removal of the image");
			return 0;
		default:
			return cli_getopt_error("rmi", argv, optopt, longopts);
		}
	}
	if (optind >= argc)
		return cli_usage_error("rmi", "\"rmi\" requires at least 1 argument.");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		struct image_remove_result res = {0};

		if (image_remove(s, argv[i], force, &res, &err) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
			continue;
		}
		for (size_t j = 0; res.untagged && res.untagged[j]; j++)
			printf("Untagged: %s\n", res.untagged[j]);
		for (size_t j = 0; res.deleted && res.deleted[j]; j++)
			printf("Deleted: %s\n", res.deleted[j]);
		image_remove_result_release(&res);
	}
	return rc;
}
