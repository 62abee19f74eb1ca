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

static void image_row(struct table *t, const struct store_image *img, const struct image_ref *r,
		      bool quiet, bool no_trunc)
{
	_cleanup_free_ char *repo = r ? image_ref_familiar_name(r) : xstrdup("<none>");
	_cleanup_free_ char *created = cli_since(img->created, " ago");
	char size[32];
	_cleanup_free_ char *id = no_trunc ? xstrdup(img->id) : xstrndup(digest_hex(img->id), 12);
	const char *cells[5];

	if (quiet) {
		puts(id);
		return;
	}
	format_human_size((double)img->size, size, sizeof(size));
	cells[0] = repo;
	cells[1] = r && r->tag ? r->tag : "<none>";
	cells[2] = id;
	cells[3] = created;
	cells[4] = size;
	table_add(t, cells);
}

static int list_images(struct store *s, const char *filter, bool quiet, bool no_trunc)
{
	static const char *const header[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"};
	_cleanup_(image_ref_freep) struct image_ref *want = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_image **imgs = NULL;
	struct table *t = table_new(5);

	if (filter && !(want = image_ref_parse(filter, &err)))
		return cli_report(err);
	if (store_image_list(s, &imgs, &err) < 0)
		return cli_report(err);
	table_add(t, header);
	for (size_t i = 0; imgs[i]; i++) {
		if (!imgs[i]->tags[0] && !want)
			image_row(t, imgs[i], NULL, quiet, no_trunc);
		for (size_t j = 0; imgs[i]->tags[j]; j++) {
			_cleanup_(image_ref_freep) struct image_ref *r =
				image_ref_parse(imgs[i]->tags[j], NULL);
			if (!r || (want && !image_matches(want, strchr(filter, ':') != NULL, r)))
				continue;
			image_row(t, imgs[i], r, quiet, no_trunc);
		}
	}
	if (!quiet)
		table_print(t);
	table_free(t);
	store_image_list_free(imgs);
	return 0;
}

int cmd_images(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"all", no_argument, NULL, 'a'},
		{"no-trunc", no_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	bool quiet = false, no_trunc = false;
	int c;

	while ((c = getopt_long(argc, argv, "+qah", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'a':
			break;
		case 'T':
			no_trunc = true;
			break;
		case 'h':
			puts("Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\n"
			     "Options:\n  -a, --all             Show all images\n"
			     "      --no-trunc        Don't truncate output\n"
			     "  -q, --quiet           Only show image IDs");
			return 0;
		default:
			return cli_getopt_error("images", argv, optopt, longopts);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("images", "\"images\" requires at most 1 argument.");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	return list_images(s, optind < argc ? argv[optind] : NULL, quiet, no_trunc);
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
