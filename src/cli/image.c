/* Image verbs: import, images, rmi. */
#include <ctype.h>
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

#define IMAGES_DEFAULT "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
#define IMAGES_DIGESTS                                                                             \
	"table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

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
	/* no registry digests yet: Docker's <none> for images without RepoDigests */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository", repo, "Tag",
			 r && r->tag ? r->tag : "<none>", "Digest",
			 r && r->digest ? r->digest : "<none>", "ID", id, "CreatedSince", created,
			 "CreatedAt", created_at, "Size", size, "VirtualSize", size, "Containers",
			 "N/A");
}

struct images_opts {
	bool quiet, all, digests, no_trunc, tree, graph;
	const char *format;
	json_t *filters; /* key → [values], as the Engine API takes them */
};

/* The rows of the listed images: one per tag, or one <none> row. */
static json_t **image_rows(struct store_image *const *imgs, bool no_trunc, size_t *n)
{
	json_t **rows = NULL;

	*n = 0;
	for (size_t i = 0; imgs[i]; i++) {
		rows = xrealloc(rows, (*n + strv_len(imgs[i]->tags) + 1) * sizeof(*rows));
		if (!imgs[i]->tags[0])
			rows[(*n)++] = image_row(imgs[i], NULL, no_trunc);
		for (size_t j = 0; imgs[i]->tags[j]; j++) {
			_cleanup_(image_ref_freep) struct image_ref *ref =
				image_ref_parse(imgs[i]->tags[j], NULL);
			if (ref)
				rows[(*n)++] = image_row(imgs[i], ref, no_trunc);
		}
	}
	return rows;
}

static int list_images(struct store *s, const struct images_opts *o)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_image **imgs = NULL;
	json_auto_t *headers =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Repository",
			  "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "ID", "IMAGE ID",
			  "CreatedSince", "CREATED", "CreatedAt", "CREATED AT", "Size", "SIZE",
			  "VirtualSize", "VIRTUAL SIZE", "Containers", "CONTAINERS");
	const char *format = o->format && *o->format ? o->format
			     : o->digests	     ? IMAGES_DIGESTS
						     : IMAGES_DEFAULT;
	json_t **rows;
	size_t n = 0;
	int r = 0;

	if (image_list(s, o->all, o->filters, &imgs, &err) < 0)
		return cli_report(err);
	rows = image_rows(imgs, o->no_trunc, &n);
	if (o->quiet) {
		for (size_t i = 0; i < n; i++)
			puts(json_string_value(json_object_get(rows[i], "ID")));
	} else if (cli_format_rows(format, rows, n, headers, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		r = 1;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	store_image_list_free(imgs);
	return r;
}

/* A copy of s[0..len) without the spaces around it. */
static char *trimmed(const char *s, size_t len)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

/* -f KEY=VALUE: Docker's CLI trims both and lowercases the key. */
static int add_filter(json_t *filters, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = NULL, *value = NULL;
	json_t *list;

	if (!eq)
		return cli_usage_error("images",
				       "invalid argument \"%s\" for \"-f, --filter\" flag: bad "
				       "format of filter (expected name=value)",
				       arg);
	key = trimmed(arg, (size_t)(eq - arg));
	value = trimmed(eq + 1, strlen(eq + 1));
	for (char *k = key; *k; k++)
		*k = (char)tolower((unsigned char)*k);
	if (!(list = json_object_get(filters, key))) {
		list = json_array();
		json_object_set_new(filters, key, list);
	}
	json_array_append_new(list, json_string(value));
	return 0;
}

static int parse_images(int argc, char **argv, struct images_opts *o)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},    {"all", no_argument, NULL, 'a'},
		{"digests", no_argument, NULL, 'D'},  {"filter", required_argument, NULL, 'f'},
		{"no-trunc", no_argument, NULL, 'T'}, {"format", required_argument, NULL, 'F'},
		{"tree", no_argument, NULL, 't'},     {"graph", no_argument, NULL, 'G'},
		{"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+qaf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'q':
			o->quiet = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'D':
			o->digests = true;
			break;
		case 'f':
			if (add_filter(o->filters, optarg) != 0)
				return EXIT_ENGINE;
			break;
		case 'T':
			o->no_trunc = true;
			break;
		case 'F':
			o->format = optarg;
			break;
		case 't':
			o->tree = true;
			break;
		case 'G':
			o->graph = true;
			break;
		case 'h':
			puts("Usage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\n"
			     "Options:\n"
			     "  -a, --all             Show all images (default hides intermediate "
			     "images)\n"
			     "      --digests         Show digests\n"
			     "  -f, --filter filter   Filter output based on conditions provided\n"
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
	if (o->tree && o->graph)
		return cli_usage_error("images", "--tree and --graph cannot be used together");
	return -1; /* go on */
}

int cmd_images(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	json_auto_t *filters = json_object();
	struct images_opts o = {.filters = filters};
	_cleanup_free_ char *reference = NULL;
	const char *name;
	int r = parse_images(argc, argv, &o);

	if (r >= 0)
		return r;
	name = optind < argc ? argv[optind] : NULL;
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (o.tree || o.graph)
		return cli_images_tree(s, name, o.graph, o.no_trunc);
	/* as Docker's CLI: the argument is one more reference filter */
	if (name && add_filter(filters, (reference = xasprintf("reference=%s", name))) != 0)
		return EXIT_ENGINE;
	return list_images(s, &o);
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
