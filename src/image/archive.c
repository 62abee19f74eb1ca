/*
 * docker load (see archive.h): an archive's manifests are read into a list
 * of images to load, every layer the store lacks is unpacked into temporary
 * folders and checked, and only then is anything moved into place and
 * recorded, in one transaction.
 */
#define LOG_DOMAIN "archive"

#include <fcntl.h>
#include <sys/stat.h>

#include "image/archive-int.h"
#include "image/archive.h"
#include "image/check.h"
#include "image/image.h"
#include "image/layer.h"
#include "image/ref.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define MAX_JSON     (32 * 1024 * 1024)
#define MAX_NESTING  4
#define MEDIA_INDEX  "application/vnd.oci.image.index.v1+json"
#define MEDIA_LIST   "application/vnd.docker.distribution.manifest.list.v2+json"
#define ANN_REF_NAME "org.opencontainers.image.ref.name"
#define ANN_CTRD     "io.containerd.image.name"

#if defined(__x86_64__)
#define OUR_ARCH "amd64"
#elif defined(__aarch64__)
#define OUR_ARCH "arm64"
#elif defined(__arm__)
#define OUR_ARCH "arm"
#elif defined(__i386__)
#define OUR_ARCH "386"
#elif defined(__powerpc64__)
#define OUR_ARCH "ppc64le"
#elif defined(__s390x__)
#define OUR_ARCH "s390x"
#elif defined(__riscv)
#define OUR_ARCH "riscv64"
#else
#define OUR_ARCH "unknown"
#endif

/* A layer as the archive describes it. */
struct load_layer {
	char *path;	/* in the archive */
	char *digest;	/* the blob's digest when something names it, else NULL */
	long long size; /* the descriptor's size, -1 when unknown */
};

/* An image to load: what the archive says, then what was read. */
struct load_image {
	char *config_path;
	char *config_digest; /* expected, or NULL */
	long long config_size;
	char **tags; /* normalised references */
	struct load_layer *layers;
	size_t n_layers;
	bool duplicate; /* the same config as an earlier image: its tags went there */

	char *config;
	size_t config_len;
	char id[SHA256_DIGEST_LEN];
	char **diff_ids;
	char **chains;
	long long size;
	int64_t created;
};

/* A layer unpacked by this load, not yet in the store. */
struct pending_layer {
	char chain[SHA256_DIGEST_LEN];
	char parent[SHA256_DIGEST_LEN]; /* "" for the bottom layer */
	struct image_layer_tmp tmp;
	bool committed, new_dir, new_blob;
};

struct load_ctx {
	struct store *s;
	struct archive_src *src;
	struct load_image *imgs;
	size_t n;
	struct pending_layer *pending;
	size_t n_pending;
	bool *new_configs;
};

static void load_image_release(struct load_image *im)
{
	free(im->config_path);
	free(im->config_digest);
	strv_free(im->tags);
	for (size_t i = 0; i < im->n_layers; i++) {
		free(im->layers[i].path);
		free(im->layers[i].digest);
	}
	free(im->layers);
	free(im->config);
	strv_free(im->diff_ids);
	strv_free(im->chains);
}

static void load_ctx_release(struct load_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		load_image_release(&c->imgs[i]);
	free(c->imgs);
	for (size_t i = 0; i < c->n_pending; i++)
		image_layer_release(&c->pending[i].tmp);
	free(c->pending);
	free(c->new_configs);
	archive_src_free(c->src);
}

static struct load_image *add_image(struct load_ctx *c)
{
	c->imgs = xrealloc(c->imgs, (c->n + 1) * sizeof(*c->imgs));
	c->imgs[c->n] = (struct load_image){.config_size = -1};
	return &c->imgs[c->n++];
}

static void add_layer(struct load_image *im, const char *path, const char *digest, long long size)
{
	im->layers = xrealloc(im->layers, (im->n_layers + 1) * sizeof(*im->layers));
	im->layers[im->n_layers++] = (struct load_layer){
		.path = xstrdup(path), .digest = digest ? xstrdup(digest) : NULL, .size = size};
}

static void push_unique(char ***v, const char *s)
{
	for (size_t i = 0; *v && (*v)[i]; i++)
		if (strcmp((*v)[i], s) == 0)
			return;
	strv_push(v, s);
}

static bool digest_valid(const char *d)
{
	return d && str_has_prefix(d, "sha256:") && strlen(d) == 7 + SHA256_HEX_LEN &&
	       str_is_hex(d + 7, SHA256_HEX_LEN);
}

/*
 * The digest a path names: "blobs/sha256/<hex>", and for a config also
 * "<hex>.json" (Docker's older archives, skopeo's). NULL when none.
 */
static char *digest_of_path(const char *path, bool config)
{
	const char *base = strrchr(path, '/');
	_cleanup_free_ char *hex = NULL;
	size_t dir_len;

	base = base ? base + 1 : path;
	dir_len = base - path;
	hex = xstrndup(base, SHA256_HEX_LEN);
	if (!str_is_hex(hex, SHA256_HEX_LEN))
		return NULL;
	if (strcmp(base + SHA256_HEX_LEN, "") == 0 && dir_len >= 13 &&
	    strncmp(path + dir_len - 13, "blobs/sha256/", 13) == 0)
		return xasprintf("sha256:%s", hex);
	if (config && strcmp(base + SHA256_HEX_LEN, ".json") == 0)
		return xasprintf("sha256:%s", hex);
	return NULL;
}

static int check_digest(const char *what, const char *expected, const char *got,
			struct berth_error **err)
{
	if (!expected || strcmp(expected, got) == 0)
		return 0;
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"invalid digest for %s: expected \"%s\", got \"%s\"", what,
				expected, got);
}

static int check_size(const char *what, long long expected, unsigned long long got,
		      struct berth_error **err)
{
	if (expected < 0 || (unsigned long long)expected == got)
		return 0;
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"invalid size for %s: expected %lld, got %llu", what, expected,
				got);
}

/* A normalised tagged reference from a RepoTags entry or an annotation. */
static char *tag_key(const char *name, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = image_ref_parse(name, err);

	if (!ref)
		return NULL;
	if (ref->digest) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid tag \"%s\"", name);
		return NULL;
	}
	return image_ref_format(ref);
}

/* ---------------------------------------------------------------- manifest.json */

static int parse_docker_item(struct load_ctx *c, json_t *item, struct berth_error **err)
{
	const char *config = json_get_str(item, "Config");
	json_t *tags = json_object_get(item, "RepoTags"), *layers = json_object_get(item, "Layers");
	struct load_image *im;
	json_t *v;
	size_t i;

	if (!config || (tags && !json_is_array(tags) && !json_is_null(tags)) ||
	    (layers && !json_is_array(layers) && !json_is_null(layers)))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid manifest.json: an entry without Config, or with "
					"RepoTags or Layers that are not lists");
	im = add_image(c);
	im->config_path = xstrdup(config);
	im->config_digest = digest_of_path(config, true);
	json_array_foreach(tags, i, v)
	{
		char *key = json_is_string(v) ? tag_key(json_string_value(v), err) : NULL;
		if (!key)
			return json_is_string(v) ? -1
						 : berth_error_setk(err, BERTH_ERR_INVALID, 0,
								    "invalid manifest.json: a "
								    "tag that is not a string");
		push_unique(&im->tags, key);
		free(key);
	}
	json_array_foreach(layers, i, v)
	{
		_cleanup_free_ char *digest = NULL;
		if (!json_is_string(v))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid manifest.json: a layer that is not a "
						"string");
		digest = digest_of_path(json_string_value(v), false);
		add_layer(im, json_string_value(v), digest, -1);
	}
	return 0;
}

static int parse_docker_manifest(struct load_ctx *c, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	json_auto_t *m = NULL;
	json_t *item;
	size_t len, i;

	text = archive_src_read(c->src, "manifest.json", MAX_JSON, &len, err);
	if (!text || !(m = json_parse(text, len, "manifest.json", err)))
		return -1;
	if (json_is_null(m))
		return berth_error_setk(
			err, BERTH_ERR_INVALID, 0,
			"invalid manifest, manifest cannot be null (but can be [])");
	if (!json_is_array(m))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid manifest.json: not a list");
	json_array_foreach(m, i, item)
	{
		if (!json_is_object(item))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid manifest.json: an entry that is not an "
						"object");
		if (parse_docker_item(c, item, err) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- index.json */

struct descriptor {
	const char *media_type; /* NULL when absent */
	const char *digest;
	long long size;
	char *path; /* blobs/sha256/<hex> */
};

static int parse_descriptor(json_t *d, const char *what, struct descriptor *out,
			    struct berth_error **err)
{
	json_t *size = json_object_get(d, "size");

	*out = (struct descriptor){.media_type = json_get_str(d, "mediaType"),
				   .digest = json_get_str(d, "digest"),
				   .size = json_is_integer(size) ? json_integer_value(size) : -1};
	if (!json_is_object(d) || !out->digest)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid %s: no digest", what);
	if (!digest_valid(out->digest))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid %s: unsupported digest '%s'", what, out->digest);
	out->path = xasprintf("blobs/sha256/%s", digest_hex(out->digest));
	return 0;
}

/* Reads a JSON blob and checks it against its descriptor. */
static json_t *read_json_blob(struct load_ctx *c, const struct descriptor *d, const char *what,
			      struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	char got[SHA256_DIGEST_LEN];
	size_t len;

	text = archive_src_read(c->src, d->path, MAX_JSON, &len, err);
	if (!text)
		return NULL;
	sha256_of(text, len, got);
	if (check_digest(what, d->digest, got, err) < 0 || check_size(what, d->size, len, err) < 0)
		return NULL;
	return json_parse(text, len, what, err);
}

static bool is_index(const char *media_type, json_t *blob)
{
	if (media_type)
		return strcmp(media_type, MEDIA_INDEX) == 0 || strcmp(media_type, MEDIA_LIST) == 0;
	return json_is_array(json_object_get(blob, "manifests"));
}

/* The entry of an index for linux on our architecture (or its only entry). */
static json_t *pick_platform(json_t *index, struct berth_error **err)
{
	json_t *list = json_object_get(index, "manifests"), *d;
	size_t i;

	if (json_array_size(list) == 1)
		return json_array_get(list, 0);
	json_array_foreach(list, i, d)
	{
		json_t *p = json_object_get(d, "platform");
		const char *os = json_get_str(p, "os"), *arch = json_get_str(p, "architecture");

		if (os && arch && strcmp(os, "linux") == 0 && strcmp(arch, OUR_ARCH) == 0)
			return d;
	}
	berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
			 "no image for linux/" OUR_ARCH " in the archive's image index");
	return NULL;
}

static int manifest_layers(struct load_image *im, json_t *m, struct berth_error **err)
{
	json_t *layers = json_object_get(m, "layers"), *l;
	size_t i;

	if (!json_is_array(layers))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid image manifest: no layers");
	json_array_foreach(layers, i, l)
	{
		struct descriptor d;
		_cleanup_free_ char *what = xasprintf("layer %zu of the image manifest", i);

		if (parse_descriptor(l, what, &d, err) < 0)
			return -1;
		if (d.media_type && !strstr(d.media_type, "tar")) {
			free(d.path);
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"unsupported layer media type '%s'", d.media_type);
		}
		add_layer(im, d.path, d.digest, d.size);
		free(d.path);
	}
	return 0;
}

/* Follows descriptor d (an image manifest or an index of them) to an image to load. */
static int load_descriptor(struct load_ctx *c, json_t *dj, char **tags, int depth,
			   struct berth_error **err)
{
	struct descriptor d;
	json_auto_t *blob = NULL;
	json_t *cfg;
	struct load_image *im;
	int r = -1;

	if (parse_descriptor(dj, "index.json entry", &d, err) < 0)
		return -1;
	blob = read_json_blob(c, &d,
			      is_index(d.media_type, NULL) ? "image index" : "image manifest", err);
	if (!blob)
		goto out;
	if (is_index(d.media_type ? d.media_type : json_get_str(blob, "mediaType"), blob)) {
		json_t *sub = depth < MAX_NESTING ? pick_platform(blob, err) : NULL;
		if (depth >= MAX_NESTING)
			berth_error_setk(err, BERTH_ERR_INVALID, 0,
					 "image indexes nested too deep");
		r = sub ? load_descriptor(c, sub, tags, depth + 1, err) : -1;
		goto out;
	}
	im = add_image(c);
	im->tags = strv_dup(tags);
	cfg = json_object_get(blob, "config");
	if (!json_is_object(cfg)) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid image manifest: no config");
		goto out;
	}
	{
		struct descriptor cd;
		if (parse_descriptor(cfg, "image config descriptor", &cd, err) < 0)
			goto out;
		im->config_path = cd.path;
		im->config_digest = xstrdup(cd.digest);
		im->config_size = cd.size;
	}
	r = manifest_layers(im, blob, err);
out:
	free(d.path);
	return r;
}

/*
 * The tags of an index.json entry. Docker writes the full name in
 * io.containerd.image.name and the tag alone in ref.name; skopeo writes
 * "name:tag" in ref.name. A bare tag names no repository: no tag then.
 */
static char **annotation_tags(json_t *d)
{
	json_t *ann = json_object_get(d, "annotations");
	const char *name = json_get_str(ann, ANN_CTRD);
	char **tags = xcalloc(1, sizeof(char *));
	_cleanup_error_ struct berth_error *e = NULL;
	char *key;

	if (!name) {
		name = json_get_str(ann, ANN_REF_NAME);
		if (name && !strpbrk(name, ":/@"))
			name = NULL;
	}
	if (!name)
		return tags;
	key = tag_key(name, &e);
	if (key)
		strv_push_take(&tags, key);
	else
		log_warn("ignoring the image name '%s' in index.json: %s", name, e->msg);
	return tags;
}

static int parse_oci_index(struct load_ctx *c, struct berth_error **err)
{
	_cleanup_free_ char *text = NULL;
	json_auto_t *idx = NULL;
	json_t *list, *d;
	size_t len, i;

	text = archive_src_read(c->src, "index.json", MAX_JSON, &len, err);
	if (!text || !(idx = json_parse(text, len, "index.json", err)))
		return -1;
	list = json_object_get(idx, "manifests");
	if (!json_is_array(list))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid index.json: no manifests");
	json_array_foreach(list, i, d)
	{
		_cleanup_strv_ char **tags = annotation_tags(d);
		if (load_descriptor(c, d, tags, 0, err) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- configs */

static int parse_config(struct load_image *im, struct berth_error **err)
{
	json_auto_t *cfg = json_parse(im->config, im->config_len, "image config", err);
	json_t *rootfs, *ids, *v;
	const char *os, *created;
	size_t i;

	if (!cfg)
		return -1;
	os = json_get_str(cfg, "os");
	if (os && *os && strcmp(os, "linux") != 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "cannot load %s image on linux",
					os);
	rootfs = json_object_get(cfg, "rootfs");
	ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_array(ids) && !json_is_null(ids) && ids)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid image config: rootfs.diff_ids is not a list");
	im->diff_ids = xcalloc(1, sizeof(char *));
	json_array_foreach(ids, i, v)
	{
		if (!digest_valid(json_string_value(v)))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid image config: bad diff ID");
		strv_push(&im->diff_ids, json_string_value(v));
	}
	if (strv_len(im->diff_ids) != im->n_layers)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid manifest, layers length mismatch: expected %zu, "
					"got %zu",
					im->n_layers, strv_len(im->diff_ids));
	created = json_get_str(cfg, "created");
	if (!created || time_parse_rfc3339(created, &im->created) < 0)
		im->created = 0;
	im->chains = xcalloc(im->n_layers + 1, sizeof(char *));
	for (i = 0; i < im->n_layers; i++) {
		char chain[SHA256_DIGEST_LEN];
		image_chain_id(i ? im->chains[i - 1] : NULL, im->diff_ids[i], chain);
		im->chains[i] = xstrdup(chain);
	}
	return 0;
}

/* Reads and checks the config of each image; an image seen before gives its tags to it. */
static int read_configs(struct load_ctx *c, struct berth_error **err)
{
	for (size_t i = 0; i < c->n; i++) {
		struct load_image *im = &c->imgs[i];
		_cleanup_free_ char *what = xasprintf("config '%s'", im->config_path);

		im->config =
			archive_src_read(c->src, im->config_path, MAX_JSON, &im->config_len, err);
		if (!im->config)
			return -1;
		sha256_of(im->config, im->config_len, im->id);
		if (check_digest(what, im->config_digest, im->id, err) < 0 ||
		    check_size(what, im->config_size, im->config_len, err) < 0 ||
		    parse_config(im, err) < 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (c->imgs[j].duplicate || strcmp(c->imgs[j].id, im->id) != 0)
				continue;
			for (size_t t = 0; im->tags && im->tags[t]; t++)
				push_unique(&c->imgs[j].tags, im->tags[t]);
			im->duplicate = true;
			break;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- layers */

static struct pending_layer *find_pending(struct load_ctx *c, const char *chain)
{
	for (size_t i = 0; i < c->n_pending; i++)
		if (strcmp(c->pending[i].chain, chain) == 0)
			return &c->pending[i];
	return NULL;
}

/* Unpacks layer i of im from the archive, checking its digests. */
static int unpack_layer(struct load_ctx *c, struct load_image *im, size_t i,
			struct berth_error **err)
{
	const struct load_layer *l = &im->layers[i];
	_cleanup_free_ char *what = xasprintf("layer %zu ('%s')", i, l->path);
	struct archive_file f = {.fd = -EBADF};
	struct archive_feed *feed;
	struct pending_layer *p;
	char digest[SHA256_DIGEST_LEN] = "";
	int rfd = -EBADF, r, fr;

	c->pending = xrealloc(c->pending, (c->n_pending + 1) * sizeof(*c->pending));
	p = &c->pending[c->n_pending++];
	*p = (struct pending_layer){0};
	snprintf(p->chain, sizeof(p->chain), "%s", im->chains[i]);
	snprintf(p->parent, sizeof(p->parent), "%s", i ? im->chains[i - 1] : "");
	if (archive_src_lookup(c->src, l->path, &f, err) < 0)
		return -1;
	if (check_size(what, l->size, f.size, err) < 0)
		goto fail;
	feed = archive_feed_start(&f, l->digest != NULL, &rfd, err);
	if (!feed)
		goto fail;
	r = image_layer_unpack(c->s, rfd, &p->tmp, err);
	closep(&rfd);
	fr = archive_feed_finish(feed, digest, r < 0 ? NULL : err);
	archive_file_release(&f);
	if (r < 0 || fr < 0)
		return berth_error_wrap(err, "%s", what);
	if (check_digest(what, l->digest, digest, err) < 0)
		return -1;
	if (strcmp(p->tmp.res.diff_id, im->diff_ids[i]) != 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid diffID for layer %zu: expected \"%s\", got \"%s\"",
					i, im->diff_ids[i], p->tmp.res.diff_id);
	return 0;
fail:
	archive_file_release(&f);
	return -1;
}

/* Unpacks the layers the store and this load do not have yet; sums the images' sizes. */
static int unpack_layers(struct load_ctx *c, struct berth_error **err)
{
	for (size_t i = 0; i < c->n; i++) {
		struct load_image *im = &c->imgs[i];

		for (size_t j = 0; !im->duplicate && j < im->n_layers; j++) {
			struct pending_layer *p = find_pending(c, im->chains[j]);

			if (!p && !store_layer_exists(c->s, im->chains[j])) {
				if (unpack_layer(c, im, j, err) < 0)
					return -1;
				p = &c->pending[c->n_pending - 1];
			}
			if (p) {
				im->size += p->tmp.res.size;
			} else {
				_cleanup_free_ char *dir = image_layer_dir(c->s, im->chains[j]);
				im->size += fs_tree_size(dir);
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- storing */

static int commit_files(struct load_ctx *c, struct berth_error **err)
{
	c->new_configs = xcalloc(c->n, sizeof(bool));
	for (size_t i = 0; i < c->n_pending; i++) {
		struct pending_layer *p = &c->pending[i];
		_cleanup_free_ char *dir = image_layer_dir(c->s, p->chain);
		_cleanup_free_ char *blob = image_blob_path(c->s, p->tmp.res.diff_id);

		p->new_dir = !fs_exists(dir);
		p->new_blob = !fs_exists(blob);
		p->committed = true;
		if (image_layer_commit(c->s, &p->tmp, p->chain, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < c->n; i++) {
		struct load_image *im = &c->imgs[i];
		_cleanup_free_ char *path = NULL;

		if (im->duplicate)
			continue;
		path = image_blob_path(c->s, im->id);
		c->new_configs[i] = !fs_exists(path);
		if (c->new_configs[i] &&
		    fs_write_atomic(path, im->config, im->config_len, 0600, err) < 0)
			return -1;
	}
	return 0;
}

/* After a failure: removes what commit_files() put in place that the store does not name. */
static void undo_files(struct load_ctx *c)
{
	for (size_t i = 0; i < c->n_pending; i++) {
		struct pending_layer *p = &c->pending[i];
		_cleanup_free_ char *dir = NULL, *blob = NULL;

		if (!p->committed || store_layer_exists(c->s, p->chain))
			continue;
		dir = xasprintf("%s/layers/%s", c->s->root, digest_hex(p->chain));
		blob = image_blob_path(c->s, p->tmp.res.diff_id);
		if (p->new_dir)
			fs_rm_rf(dir, NULL);
		if (p->new_blob)
			unlink(blob);
	}
	for (size_t i = 0; c->new_configs && i < c->n; i++) {
		_cleanup_(store_image_freep) struct store_image *img = NULL;
		_cleanup_free_ char *path = NULL;

		if (!c->new_configs[i] || (img = store_image_get(c->s, c->imgs[i].id, NULL)))
			continue;
		path = image_blob_path(c->s, c->imgs[i].id);
		unlink(path);
	}
}

static int record_tags(struct load_ctx *c, struct load_image *im, struct image_loaded *out,
		       struct berth_error **err)
{
	out->tags = xcalloc(strv_len(im->tags) + 1, sizeof(*out->tags));
	for (size_t t = 0; im->tags && im->tags[t]; t++) {
		_cleanup_(image_ref_freep) struct image_ref *ref =
			image_ref_parse(im->tags[t], err);
		_cleanup_free_ char *old = NULL;
		struct image_load_tag *lt;

		if (!ref)
			return -1;
		old = store_tag_get(c->s, im->tags[t], NULL);
		if (image_tag(c->s, im->id, im->tags[t], err) < 0)
			return -1;
		lt = &out->tags[out->n_tags++];
		lt->name = image_ref_familiar(ref);
		lt->old_id = old && strcmp(old, im->id) != 0 ? steal_ptr(&old) : NULL;
	}
	return 0;
}

static int record_image(struct load_ctx *c, struct load_image *im, struct image_loaded *out,
			struct berth_error **err)
{
	struct store_image img = {.id = im->id,
				  .config = im->config,
				  .created = im->created,
				  .size = im->size,
				  .layers = im->chains};

	for (size_t j = 0; j < im->n_layers; j++) {
		struct pending_layer *p = find_pending(c, im->chains[j]);

		if (p && store_layer_add(c->s, p->chain, p->tmp.res.diff_id,
					 *p->parent ? p->parent : NULL, p->tmp.res.size, err) < 0)
			return -1;
	}
	if (store_image_add(c->s, &img, err) < 0)
		return -1;
	out->id = xstrdup(im->id);
	return record_tags(c, im, out, err);
}

static int record_all(struct load_ctx *c, struct image_load_result *res, struct berth_error **err)
{
	if (store_begin(c->s, err) < 0)
		return -1;
	for (size_t i = 0; i < c->n; i++) {
		if (c->imgs[i].duplicate)
			continue;
		res->images = xrealloc(res->images, (res->n + 1) * sizeof(*res->images));
		res->images[res->n] = (struct image_loaded){0};
		if (record_image(c, &c->imgs[i], &res->images[res->n++], err) < 0) {
			store_rollback(c->s);
			image_load_result_release(res);
			return -1;
		}
	}
	return store_commit(c->s, err);
}

void image_load_result_release(struct image_load_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t t = 0; t < r->images[i].n_tags; t++) {
			free(r->images[i].tags[t].name);
			free(r->images[i].tags[t].old_id);
		}
		free(r->images[i].tags);
		free(r->images[i].id);
	}
	free(r->images);
	r->images = NULL;
	r->n = 0;
}

/* 1 when the archive has path, 0 when not, -1 on another error (a path that leads out). */
static int has_file(struct load_ctx *c, const char *path, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	struct archive_file f;
	int r = archive_src_lookup(c->src, path, &f, &e);

	archive_file_release(&f);
	if (r == 0)
		return 1;
	if (e->kind == BERTH_ERR_NOT_FOUND)
		return 0;
	*err = steal_ptr(&e);
	return -1;
}

static int read_manifests(struct load_ctx *c, struct berth_error **err)
{
	int r = has_file(c, "manifest.json", err);

	if (r != 0)
		return r < 0 ? -1 : parse_docker_manifest(c, err);
	r = has_file(c, "index.json", err);
	if (r != 0)
		return r < 0 ? -1 : parse_oci_index(c, err);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"invalid image archive: it has neither manifest.json nor "
				"index.json");
}

int image_load(struct store *s, const char *input, int in_fd, struct image_load_result *res,
	       struct berth_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", s->root);
	struct load_ctx c = {.s = s};
	_cleanup_close_ int lock = -EBADF;
	int r = -1;

	*res = (struct image_load_result){0};
	c.src = archive_src_open(input, in_fd, tmp, err);
	if (!c.src || read_manifests(&c, err) < 0 || read_configs(&c, err) < 0 ||
	    unpack_layers(&c, err) < 0 || (lock = image_write_lock(s, err)) < 0)
		goto out;
	if (commit_files(&c, err) < 0 || record_all(&c, res, err) < 0) {
		undo_files(&c);
		goto out;
	}
	r = 0;
out:
	load_ctx_release(&c);
	return r;
}
