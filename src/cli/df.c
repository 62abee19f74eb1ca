/* system df: what images, containers, volumes and the build cache take on disk, as Docker's. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "image/ref.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strutil.h"

#define DF_SUMMARY "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
#define DF_RAW                                                                                     \
	"type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\n"          \
	"reclaimable: {{.Reclaimable}}\n"
#define DF_IMAGES                                                                                  \
	"table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}"  \
	"\t{{.UniqueSize}}\t{{.Containers}}"
#define DF_CONTAINERS                                                                              \
	"table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}"   \
	"\t{{.Status}}\t{{.Names}}"
#define DF_VOLUMES "table {{.Name}}\t{{.Links}}\t{{.Size}}"
#define DF_BUILD_CACHE                                                                             \
	"table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}"          \
	"\t{{.UsageCount}}\t{{.Shared}}"

/* What the containers take: their upper dirs. */
struct container_usage {
	struct store_container **list; /* newest first */
	long long *sizes;	       /* of each one's upper dir */
	long long size, reclaimable;   /* reclaimable: of those not running */
	int active;
};

static int container_usage(struct store *s, struct container_usage *cu, struct berth_error **err)
{
	size_t n;

	*cu = (struct container_usage){0};
	if (container_list(s, &cu->list, err) < 0)
		return -1;
	n = strv_len((char **)cu->list);
	cu->sizes = xcalloc(n + 1, sizeof(*cu->sizes));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *upper =
			xasprintf("%s/containers/%s/diff", s->root, cu->list[i]->id);
		bool running = container_is_running(cu->list[i]);

		cu->sizes[i] = fs_tree_size(upper);
		cu->size += cu->sizes[i];
		cu->active += running;
		if (!running)
			cu->reclaimable += cu->sizes[i];
	}
	return 0;
}

static void container_usage_release(struct container_usage *cu)
{
	store_container_list_free(cu->list);
	free(cu->sizes);
}

/* Docker's units.HumanSize: four significant digits ("1.984MB"), where lists show three. */
static void human(long long bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g%s", v, units[i]);
}

/* Adds string fields (keys sorted, as Go marshals a map, for {{json .}}). */
static json_t *object_of(const char *const (*fields)[2], size_t n)
{
	json_t *o = json_object();

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, fields[i][0], json_string(fields[i][1]));
	return o;
}

/* A row of the summary: "1.984MB (100%)" (Docker's integer percentage) when there is a size. */
static json_t *summary(const char *type, size_t total, int active, long long size,
		       long long reclaimable)
{
	char nt[32], na[32], sz[32], rec[32], pct[64];

	snprintf(nt, sizeof(nt), "%zu", total);
	snprintf(na, sizeof(na), "%d", active);
	human(size, sz, sizeof(sz));
	human(reclaimable, rec, sizeof(rec));
	if (size > 0)
		snprintf(pct, sizeof(pct), "%s (%lld%%)", rec, reclaimable * 100 / size);
	else
		snprintf(pct, sizeof(pct), "%s", rec);
	const char *const fields[][2] = {
		{"Active", na},	    {"Reclaimable", pct}, {"Size", sz},
		{"TotalCount", nt}, {"Type", type},
	};
	return object_of(fields, ARRAY_SIZE(fields));
}

static int print_summary(const char *format, const struct image_disk_usage *du,
			 const struct container_usage *cu)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *headers =
		json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "TYPE", "TotalCount", "TOTAL",
			  "Active", "ACTIVE", "Size", "SIZE", "Reclaimable", "RECLAIMABLE");
	json_t *rows[] = {
		summary("Images", du->n, du->active, du->size, du->reclaimable),
		summary("Containers", strv_len((char **)cu->list), cu->active, cu->size,
			cu->reclaimable),
		summary("Local Volumes", 0, 0, 0, 0),
		summary("Build Cache", 0, 0, 0, 0),
	};
	int r = cli_format_rows(format, rows, ARRAY_SIZE(rows), headers, NULL, NULL, &err);

	if (r < 0)
		fprintf(stderr, "%s\n", err->msg);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		json_decref(rows[i]);
	return r < 0 ? 1 : 0;
}

/* A row of "Images space usage": the image under its first tag, as Docker shows it. */
static json_t *image_usage_row(const struct image_usage *u, bool trunc)
{
	_cleanup_(image_ref_freep) struct image_ref *ref =
		u->img->tags[0] ? image_ref_parse(u->img->tags[0], NULL) : NULL;
	_cleanup_free_ char *repo = ref ? image_ref_familiar_name(ref) : xstrdup("<none>");
	_cleanup_free_ char *since = cli_since(u->img->created, " ago");
	_cleanup_free_ char *id =
		trunc ? xstrndup(digest_hex(u->img->id), 12) : xstrdup(u->img->id);
	time_t sec = (time_t)(u->img->created / 1000000000LL);
	char size[32], vsize[32], shared[32], unique[32], containers[32], created_at[64];
	struct tm tm;

	format_human_size((double)u->img->size, size, sizeof(size));
	human(u->img->size, vsize, sizeof(vsize));
	human(u->shared, shared, sizeof(shared));
	human(u->img->size - u->shared, unique, sizeof(unique));
	snprintf(containers, sizeof(containers), "%d", u->containers);
	gmtime_r(&sec, &tm);
	strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	const char *const fields[][2] = {
		{"Containers", containers},
		{"CreatedAt", created_at},
		{"CreatedSince", since},
		{"Digest", "<none>"},
		{"ID", id},
		{"Repository", repo},
		{"SharedSize", shared},
		{"Size", size},
		{"Tag", ref && ref->tag ? ref->tag : "<none>"},
		{"UniqueSize", unique},
		{"VirtualSize", vsize},
	};
	return object_of(fields, ARRAY_SIZE(fields));
}

/* The verbose sections' rows: {"Images": [...], "Containers": [...], "Volumes": [], ...}. */
static json_t *verbose_data(struct store *s, const struct image_disk_usage *du,
			    const struct container_usage *cu, bool trunc)
{
	json_t *images = json_array(), *containers = json_array();

	for (size_t i = 0; i < du->n; i++)
		json_array_append_new(images, image_usage_row(&du->images[i], trunc));
	for (size_t i = 0; cu->list[i]; i++) {
		json_t *row = cli_ps_row(s, cu->list[i], !trunc);
		char size[32];

		/* the container's own files only: Docker leaves out the virtual size here */
		format_human_size((double)cu->sizes[i], size, sizeof(size));
		json_object_set_new(row, "Size", json_string(size));
		json_array_append_new(containers, row);
	}
	return json_pack("{s:o, s:o, s:[], s:[]}", "Images", images, "Containers", containers,
			 "Volumes", "BuildCache");
}

/* One table of the verbose output: its title, then the header and the rows. */
static int print_section(const char *title, const char *format, const json_t *rows,
			 const json_t *headers)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ json_t **v = xcalloc(json_array_size(rows) + 1, sizeof(json_t *));
	int r;

	for (size_t i = 0; i < json_array_size(rows); i++)
		v[i] = json_array_get(rows, i);
	fputs(title, stdout);
	r = cli_format_rows(format, v, json_array_size(rows), headers, NULL, NULL, &err);
	if (r < 0)
		fprintf(stderr, "%s\n", err->msg);
	return r < 0 ? 1 : 0;
}

/* Docker's titles of the verbose tables' columns. */
static json_t *verbose_headers(const char *section)
{
	if (!strcmp(section, "Images"))
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
				 "Repository", "REPOSITORY", "Tag", "TAG", "Digest", "DIGEST", "ID",
				 "IMAGE ID", "CreatedSince", "CREATED", "CreatedAt", "CREATED AT",
				 "Size", "SIZE", "VirtualSize", "VIRTUAL SIZE", "SharedSize",
				 "SHARED SIZE", "UniqueSize", "UNIQUE SIZE", "Containers",
				 "CONTAINERS");
	if (!strcmp(section, "Containers"))
		return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
				 "s:s, s:s}",
				 "ID", "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND",
				 "CreatedAt", "CREATED AT", "RunningFor", "CREATED", "Ports",
				 "PORTS", "State", "STATE", "Status", "STATUS", "Size", "SIZE",
				 "Names", "NAMES", "Labels", "LABELS", "Mounts", "MOUNTS",
				 "Networks", "NETWORKS", "LocalVolumes", "LOCAL VOLUMES");
	if (!strcmp(section, "Volumes"))
		return json_pack("{s:s, s:s, s:s}", "Name", "VOLUME NAME", "Links", "LINKS", "Size",
				 "SIZE");
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "CACHE ID", "CacheType",
			 "CACHE TYPE", "Size", "SIZE", "CreatedSince", "CREATED", "LastUsedSince",
			 "LAST USED", "UsageCount", "USAGE", "Shared", "SHARED");
}

static int print_verbose(const json_t *data)
{
	static const struct {
		const char *key, *title, *format;
	} sections[] = {
		{"Images", "Images space usage:\n\n", DF_IMAGES},
		{"Containers", "\nContainers space usage:\n\n", DF_CONTAINERS},
		{"Volumes", "\nLocal Volumes space usage:\n\n", DF_VOLUMES},
		/* NEEDSWORK: no build cache yet */
		{"BuildCache", "\nBuild cache usage: 0B\n\n", DF_BUILD_CACHE},
	};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sections) && r == 0; i++) {
		json_auto_t *headers = verbose_headers(sections[i].key);
		r = print_section(sections[i].title, sections[i].format,
				  json_object_get(data, sections[i].key), headers);
	}
	return r;
}

/* -v with a --format of one's own: the template runs once over all the sections. */
static int print_verbose_format(const char *format, json_t *data)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *headers = json_object();

	if (cli_format_rows(format, &data, 1, headers, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return 1;
	}
	return 0;
}

static int system_df(struct store *s, bool verbose, const char *format)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_disk_usage du;
	struct container_usage cu;
	bool table = !format || !*format || !strcmp(format, "table");
	int r;

	if (image_disk_usage(s, &du, &err) < 0)
		return cli_report(err);
	if (container_usage(s, &cu, &err) < 0) {
		image_disk_usage_release(&du);
		return cli_report(err);
	}
	if (!verbose) {
		r = print_summary(table			   ? DF_SUMMARY
				  : !strcmp(format, "raw") ? DF_RAW
							   : format,
				  &du, &cu);
	} else {
		json_auto_t *data =
			verbose_data(s, &du, &cu, table || str_has_prefix(format, "table"));
		r = table ? print_verbose(data) : print_verbose_format(format, data);
	}
	container_usage_release(&cu);
	image_disk_usage_release(&du);
	return r;
}

int cmd_system_df(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	const char *format = NULL;
	bool verbose = false;
	int c;

	while ((c = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v':
			verbose = true;
			break;
		case 'F':
			format = optarg;
			break;
		case 'h':
			puts("Usage:  berth system df [OPTIONS]\n\nShow berth disk usage\n\n"
			     "Options:\n"
			     "      --format string   Format output using a custom template:\n"
			     "                        'table':            Print output in table "
			     "format with column headers (default)\n"
			     "                        'table TEMPLATE':   Print output in table "
			     "format using the given Go template\n"
			     "                        'json':             Print in JSON format\n"
			     "                        'TEMPLATE':         Print output using the "
			     "given Go template.\n"
			     "  -v, --verbose         Show detailed information on space usage");
			return 0;
		default:
			return cli_getopt_error("system df", argv, optopt, longopts);
		}
	}
	if (optind != argc)
		return cli_usage_error("system df", "\"system df\" accepts no arguments.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return system_df(s, verbose, format);
}
