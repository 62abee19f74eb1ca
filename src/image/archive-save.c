/*
 * docker save (see archive.h). The archive is Docker 25+'s: an OCI image
 * layout whose blobs are the image configs, one OCI manifest per image and
 * the layers' uncompressed tars, copied byte for byte from the store's blobs
 * (their digests are the diff IDs), plus manifest.json and repositories for
 * older readers. Entries come in Docker's order (blobs/ first, then the
 * files by name) with fixed times, so the same images give the same bytes.
 */
#define LOG_DOMAIN "archive"

#include <fcntl.h>
#include <sys/stat.h>

#include "image/archive.h"
#include "image/check.h"
#include "image/image.h"
#include "image/layer.h"
#include "image/ref.h"
#include "image/tarwrite.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define MEDIA_INDEX    "application/vnd.oci.image.index.v1+json"
#define MEDIA_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG   "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER    "application/vnd.oci.image.layer.v1.tar"
#define ANN_REF_NAME   "org.opencontainers.image.ref.name"
#define ANN_CTRD       "io.containerd.image.name"
#define OCI_LAYOUT     "{\"imageLayoutVersion\": \"1.0.0\"}"

/* An image to save and the tags it is saved under. */
struct save_image {
	struct store_image *img;
	char **tags; /* normalised references */
	char **diff_ids;
	int64_t created_s;
	char *manifest; /* its OCI manifest */
	char manifest_digest[SHA256_DIGEST_LEN];
};

/* A blob of the layout: from memory (data) or from the store (path). */
struct save_blob {
	char digest[SHA256_DIGEST_LEN];
	const char *data;
	char *path;
	uint64_t size;
	int64_t mtime_s;
};

struct save_ctx {
	struct store *s;
	const struct image_save_opts *o;
	struct save_image *imgs;
	size_t n;
	struct save_blob *blobs;
	size_t n_blobs;
};

static void save_ctx_release(struct save_ctx *c)
{
	for (size_t i = 0; i < c->n; i++) {
		store_image_free(c->imgs[i].img);
		strv_free(c->imgs[i].tags);
		strv_free(c->imgs[i].diff_ids);
		free(c->imgs[i].manifest);
	}
	free(c->imgs);
	for (size_t i = 0; i < c->n_blobs; i++)
		free(c->blobs[i].path);
	free(c->blobs);
}

int image_archive_format_parse(const char *name)
{
	if (strcmp(name, "docker-archive") == 0)
		return IMAGE_ARCHIVE_DOCKER;
	if (strcmp(name, "oci-archive") == 0)
		return IMAGE_ARCHIVE_OCI;
	if (strcmp(name, "oci-dir") == 0)
		return IMAGE_ARCHIVE_OCI_DIR;
	return -1;
}

/* ---------------------------------------------------------------- which images */

/* Adds image id (once) and tag (a normalised reference, once; NULL for none). */
static int add_image(struct save_ctx *c, const char *id, const char *tag, struct berth_error **err)
{
	struct save_image *si = NULL;

	for (size_t i = 0; i < c->n && !si; i++)
		if (strcmp(c->imgs[i].img->id, id) == 0)
			si = &c->imgs[i];
	if (!si) {
		struct store_image *img = store_image_get(c->s, id, err);
		if (!img)
			return -1;
		c->imgs = xrealloc(c->imgs, (c->n + 1) * sizeof(*c->imgs));
		si = &c->imgs[c->n++];
		*si = (struct save_image){.img = img, .tags = xcalloc(1, sizeof(char *))};
	}
	for (size_t i = 0; tag && si->tags[i]; i++)
		if (strcmp(si->tags[i], tag) == 0)
			return 0;
	if (tag)
		strv_push(&si->tags, tag);
	return 0;
}

/* A name without tag or digest ("busybox"): every tag of that repository. */
static int add_repository(struct save_ctx *c, const struct image_ref *want, bool *found,
			  struct berth_error **err)
{
	struct store_image **all = NULL;
	int r = 0;

	if (store_image_list(c->s, &all, err) < 0)
		return -1;
	for (size_t i = 0; all[i] && r == 0; i++)
		for (size_t j = 0; all[i]->tags[j] && r == 0; j++) {
			_cleanup_(image_ref_freep) struct image_ref *ref =
				image_ref_parse(all[i]->tags[j], NULL);

			if (!ref || ref->digest || strcmp(ref->domain, want->domain) != 0 ||
			    strcmp(ref->path, want->path) != 0)
				continue;
			*found = true;
			r = add_image(c, all[i]->id, all[i]->tags[j], err);
		}
	store_image_list_free(all);
	return r;
}

static int add_by_id(struct save_ctx *c, const char *name, struct berth_error **err)
{
	_cleanup_free_ char *id = store_image_find_id(c->s, name, NULL);

	if (!id)
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", name);
	return add_image(c, id, NULL, err);
}

/* As Docker: a tagged reference, a repository name (all its tags) or an ID. */
static int add_name(struct save_ctx *c, const char *name, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *key = NULL, *id = NULL;
	const char *last = strrchr(name, '/');
	bool found = false;

	if (str_has_prefix(name, "sha256:"))
		return add_by_id(c, name, err);
	ref = image_ref_parse(name, err);
	if (!ref)
		return -1;
	if (!strchr(last ? last : name, ':') && !strchr(name, '@')) {
		if (add_repository(c, ref, &found, err) < 0)
			return -1;
		return found ? 0 : add_by_id(c, name, err);
	}
	key = image_ref_format(ref);
	id = store_tag_get(c->s, key, NULL);
	if (!id)
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "reference does not exist");
	return add_image(c, id, ref->digest ? NULL : key, err);
}

/* ---------------------------------------------------------------- blobs and manifests */

static void add_blob(struct save_ctx *c, const struct save_blob *b)
{
	for (size_t i = 0; i < c->n_blobs; i++)
		if (strcmp(c->blobs[i].digest, b->digest) == 0) {
			free(b->path);
			return;
		}
	c->blobs = xrealloc(c->blobs, (c->n_blobs + 1) * sizeof(*c->blobs));
	c->blobs[c->n_blobs++] = *b;
}

static int layer_blob(struct save_ctx *c, struct save_image *si, size_t i, json_t *layers,
		      struct berth_error **err)
{
	struct save_blob b = {.path = image_blob_path(c->s, si->diff_ids[i]),
			      .mtime_s = si->created_s};
	struct stat st;

	if (stat(b.path, &st) < 0) {
		berth_error_set(err, errno, "the blob of layer %s", si->diff_ids[i]);
		free(b.path);
		return -1;
	}
	snprintf(b.digest, sizeof(b.digest), "%s", si->diff_ids[i]);
	b.size = st.st_size;
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I}", "mediaType", MEDIA_LAYER,
						"digest", b.digest, "size", (json_int_t)b.size));
	add_blob(c, &b);
	return 0;
}

/* Reads the config's diff IDs and time, adds the config, layer and manifest blobs. */
static int prepare_image(struct save_ctx *c, struct save_image *si, struct berth_error **err)
{
	const struct store_image *img = si->img;
	json_auto_t *cfg = json_parse(img->config, strlen(img->config), "image config", err);
	json_auto_t *layers = json_array(), *m = NULL;
	struct save_blob cb = {.data = img->config, .size = strlen(img->config)};
	const char *created;
	int64_t ns = 0;

	if (!cfg)
		return -1;
	si->diff_ids = json_get_strv(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!si->diff_ids || strv_len(si->diff_ids) != strv_len(img->layers) || !si->diff_ids[0])
		return berth_error_set(err, 0, "image %s: its config does not match its layers",
				       img->id);
	created = json_get_str(cfg, "created");
	if (created && time_parse_rfc3339(created, &ns) == 0 && ns > 0)
		si->created_s = ns / 1000000000LL;
	sha256_of(cb.data, cb.size, cb.digest);
	if (strcmp(cb.digest, img->id) != 0)
		return berth_error_set(err, 0, "image %s: its config does not match its ID",
				       img->id);
	cb.mtime_s = si->created_s;
	add_blob(c, &cb);
	for (size_t i = 0; si->diff_ids[i]; i++)
		if (layer_blob(c, si, i, layers, err) < 0)
			return -1;
	m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
		      MEDIA_MANIFEST, "config", "mediaType", MEDIA_CONFIG, "digest", img->id,
		      "size", (json_int_t)cb.size, "layers", layers);
	si->manifest = json_compact(m);
	sha256_of(si->manifest, strlen(si->manifest), si->manifest_digest);
	cb = (struct save_blob){.data = si->manifest, .size = strlen(si->manifest)};
	snprintf(cb.digest, sizeof(cb.digest), "%s", si->manifest_digest);
	add_blob(c, &cb);
	return 0;
}

static int blob_cmp(const void *a, const void *b)
{
	return strcmp(((const struct save_blob *)a)->digest, ((const struct save_blob *)b)->digest);
}

/* A descriptor of index.json for image si under tag (NULL: untagged). */
static json_t *index_entry(const struct save_ctx *c, const struct save_image *si, const char *tag)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = tag ? image_ref_parse(tag, NULL) : NULL;
	_cleanup_free_ char *familiar = ref ? image_ref_familiar(ref) : NULL;
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", MEDIA_MANIFEST, "digest",
			      si->manifest_digest, "size", (json_int_t)strlen(si->manifest));

	/* Docker: the tag alone as ref.name; OCI archives: the name skopeo and podman use */
	if (ref)
		json_object_set_new(
			d, "annotations",
			json_pack("{s:s, s:s}", ANN_CTRD, tag, ANN_REF_NAME,
				  c->o->format == IMAGE_ARCHIVE_DOCKER ? ref->tag : familiar));
	return d;
}

static char *index_json(const struct save_ctx *c)
{
	json_auto_t *list = json_array(), *idx = NULL;

	for (size_t i = 0; i < c->n; i++) {
		const struct save_image *si = &c->imgs[i];

		if (!si->tags[0])
			json_array_append_new(list, index_entry(c, si, NULL));
		for (size_t t = 0; si->tags[t]; t++)
			json_array_append_new(list, index_entry(c, si, si->tags[t]));
	}
	idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MEDIA_INDEX,
			"manifests", list);
	return json_compact(idx);
}

static void append_newline(char **s)
{
	char *with = xasprintf("%s\n", *s);

	free(*s);
	*s = with;
}

/* Docker's manifest.json and repositories (the top layer of each tag), newline-ended. */
static void docker_files(const struct save_ctx *c, char **manifest, char **repos)
{
	json_auto_t *items = json_array(), *repo = json_object();

	for (size_t i = 0; i < c->n; i++) {
		const struct save_image *si = &c->imgs[i];
		json_t *tags = si->tags[0] ? json_array() : json_null(), *layers = json_array();
		size_t top = strv_len(si->diff_ids) - 1;

		for (size_t t = 0; si->tags[t]; t++) {
			_cleanup_(image_ref_freep) struct image_ref *ref =
				image_ref_parse(si->tags[t], NULL);
			_cleanup_free_ char *fam = ref ? image_ref_familiar(ref) : NULL;
			_cleanup_free_ char *name = ref ? image_ref_familiar_name(ref) : NULL;
			json_t *r;

			if (!ref)
				continue;
			json_array_append_new(tags, json_string(fam));
			r = json_object_get(repo, name);
			if (!r)
				json_object_set_new(repo, name, r = json_object());
			json_object_set_new(r, ref->tag,
					    json_string(digest_hex(si->diff_ids[top])));
		}
		for (size_t l = 0; si->diff_ids[l]; l++)
			json_array_append_new(layers, json_sprintf("blobs/sha256/%s",
								   digest_hex(si->diff_ids[l])));
		json_array_append_new(
			items, json_pack("{s:o, s:o, s:o}", "Config",
					 json_sprintf("blobs/sha256/%s", digest_hex(si->img->id)),
					 "RepoTags", tags, "Layers", layers));
	}
	*manifest = json_dumps(items, JSON_COMPACT | JSON_PRESERVE_ORDER);
	*repos = json_dumps(repo, JSON_COMPACT | JSON_SORT_KEYS);
	if (!*manifest || !*repos)
		BUG("json_dumps failed");
	append_newline(manifest);
	append_newline(repos);
}

/* ---------------------------------------------------------------- writing a tar */

static int write_blob_tar(struct tarw *tw, const struct save_blob *b, struct berth_error **err)
{
	_cleanup_free_ char *name = xasprintf("blobs/sha256/%s", digest_hex(b->digest));
	_cleanup_close_ int fd = -EBADF;

	if (b->data)
		return tarw_add_data(tw, name, b->data, b->size, 0644, b->mtime_s, err);
	fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", b->path);
	return tarw_add_fd(tw, name, fd, b->size, 0644, b->mtime_s, err);
}

static int write_tar(struct save_ctx *c, int fd, struct berth_error **err)
{
	struct tarw *tw = tarw_new(fd);
	_cleanup_free_ char *index = index_json(c), *manifest = NULL, *repos = NULL;
	char digest[SHA256_DIGEST_LEN];
	bool docker = c->o->format == IMAGE_ARCHIVE_DOCKER;

	if (docker)
		docker_files(c, &manifest, &repos);
	if (tarw_add_dir(tw, "blobs", 0755, 0, err) < 0 ||
	    tarw_add_dir(tw, "blobs/sha256", 0755, 0, err) < 0)
		goto fail;
	for (size_t i = 0; i < c->n_blobs; i++)
		if (write_blob_tar(tw, &c->blobs[i], err) < 0)
			goto fail;
	if (tarw_add_data(tw, "index.json", index, strlen(index), 0644, 0, err) < 0 ||
	    (docker &&
	     tarw_add_data(tw, "manifest.json", manifest, strlen(manifest), 0644, 0, err) < 0) ||
	    tarw_add_data(tw, "oci-layout", OCI_LAYOUT, strlen(OCI_LAYOUT), 0644, 0, err) < 0 ||
	    (docker && tarw_add_data(tw, "repositories", repos, strlen(repos), 0644, 0, err) < 0))
		goto fail;
	return tarw_finish(tw, digest, NULL, err);
fail:
	tarw_free(tw);
	return -1;
}

/*
 * Writes the tar to a temporary file beside path, renamed over it at the end;
 * registered, for system check to remove it if we are killed first.
 */
static int write_tar_file(struct save_ctx *c, const char *path, struct berth_error **err)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *tmp = slash ? xasprintf("%.*s/.%s.tmp-%d-XXXXXX", (int)(slash - path),
						     path, slash + 1, (int)getpid())
					 : xasprintf(".%s.tmp-%d-XXXXXX", path, (int)getpid());
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	char *marker;

	if (fd < 0)
		return berth_error_set(err, errno, "create a file beside '%s'", path);
	marker = image_tmp_register(c->s, tmp);
	if (write_tar(c, fd, err) < 0)
		goto fail;
	if (rename(tmp, path) < 0) {
		berth_error_set(err, errno, "rename '%s'", tmp);
		goto fail;
	}
	image_tmp_forget(marker);
	return 0;
fail:
	unlink(tmp);
	image_tmp_forget(marker);
	return -1;
}

/* ---------------------------------------------------------------- writing a folder */

static int copy_file(int dirfd, const char *name, const struct save_blob *b,
		     struct berth_error **err)
{
	_cleanup_close_ int in = open(b->path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int out = -EBADF;
	uint64_t left = b->size;

	if (in < 0)
		return berth_error_set(err, errno, "open '%s'", b->path);
	out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return berth_error_set(err, errno, "create '%s'", name);
	while (left > 0) {
		/* a reflink or an in-kernel copy where the file system can */
		ssize_t n = copy_file_range(in, NULL, out, NULL, left, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_set(err, n < 0 ? errno : EIO, "copy '%s'", b->path);
		left -= n;
	}
	return 0;
}

static int write_data_at(int dirfd, const char *name, const char *data, size_t len,
			 struct berth_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return berth_error_set(err, errno, "create '%s'", name);
	if (fs_write_all(fd, data, len) < 0)
		return berth_error_set(err, errno, "write '%s'", name);
	return 0;
}

static int write_layout(struct save_ctx *c, const char *dir, struct berth_error **err)
{
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", dir), *index = index_json(c);
	_cleanup_close_ int dfd = -EBADF, bfd = -EBADF;

	if (fs_mkdir_p(blobs, 0755, err) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bfd = open(blobs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || bfd < 0)
		return berth_error_set(err, errno, "open '%s'", dir);
	for (size_t i = 0; i < c->n_blobs; i++) {
		const struct save_blob *b = &c->blobs[i];
		const char *hex = digest_hex(b->digest);

		if ((b->data ? write_data_at(bfd, hex, b->data, b->size, err)
			     : copy_file(bfd, hex, b, err)) < 0)
			return -1;
	}
	if (write_data_at(dfd, "oci-layout", OCI_LAYOUT, strlen(OCI_LAYOUT), err) < 0 ||
	    write_data_at(dfd, "index.json", index, strlen(index), err) < 0)
		return -1;
	return 0;
}

/* The layout in a temporary folder beside dir, renamed to dir (absent or empty) at the end. */
static int write_dir(struct save_ctx *c, const char *dir, struct berth_error **err)
{
	_cleanup_free_ char *clean = xstrdup(dir), *tmp = NULL;
	size_t len = strlen(clean);
	char *slash, *marker;

	while (len > 1 && clean[len - 1] == '/')
		clean[--len] = '\0';
	slash = strrchr(clean, '/');
	tmp = slash ? xasprintf("%.*s/.%s.tmp-%d-XXXXXX", (int)(slash - clean), clean, slash + 1,
				(int)getpid())
		    : xasprintf(".%s.tmp-%d-XXXXXX", clean, (int)getpid());
	if (!mkdtemp(tmp))
		return berth_error_set(err, errno, "create a folder beside '%s'", dir);
	marker = image_tmp_register(c->s, tmp);
	if (write_layout(c, tmp, err) < 0)
		goto fail;
	if (rename(tmp, clean) < 0) {
		berth_error_set(err, errno == ENOTEMPTY || errno == EEXIST ? 0 : errno,
				errno == ENOTEMPTY || errno == EEXIST
					? "'%s' exists and is not an empty folder"
					: "rename to '%s'",
				dir);
		goto fail;
	}
	image_tmp_forget(marker);
	return 0;
fail:
	fs_rm_rf(tmp, NULL);
	image_tmp_forget(marker);
	return -1;
}

int image_save(struct store *s, const struct image_save_opts *o, struct berth_error **err)
{
	struct save_ctx c = {.s = s, .o = o};
	int r = -1;

	for (size_t i = 0; o->names[i]; i++)
		if (add_name(&c, o->names[i], err) < 0)
			goto out;
	for (size_t i = 0; i < c.n; i++)
		if (prepare_image(&c, &c.imgs[i], err) < 0)
			goto out;
	sort_array(c.blobs, c.n_blobs, sizeof(*c.blobs), blob_cmp);
	if (o->format == IMAGE_ARCHIVE_OCI_DIR)
		r = o->output ? write_dir(&c, o->output, err)
			      : berth_error_setk(err, BERTH_ERR_INVALID, 0,
						 "oci-dir needs an output folder");
	else if (o->output)
		r = write_tar_file(&c, o->output, err);
	else
		r = write_tar(&c, o->out_fd, err);
out:
	save_ctx_release(&c);
	return r;
}
