#define LOG_DOMAIN "image"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "config.h"
#include "image/check.h"
#include "image/image.h"
#include "image/layer.h"
#include "image/ref.h"
#include "image/tar.h"
#include "util/curl.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/strutil.h"
#include "util/timeutil.h"

struct store_image *image_lookup(struct store *s, const char *what, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *key = NULL, *id = NULL;
	_cleanup_error_ struct berth_error *perr = NULL;

	ref = image_ref_parse(what, &perr);
	if (!ref && !image_ref_is_id_prefix(str_has_prefix(what, "sha256:") ? what + 7 : what)) {
		*err = steal_ptr(&perr);
		return NULL;
	}
	if (ref) {
		key = image_ref_format(ref);
		id = store_tag_get(s, key, NULL);
	}
	if (!id && image_ref_is_id_prefix(str_has_prefix(what, "sha256:") ? what + 7 : what))
		id = store_image_find_id(s, what, NULL);
	if (!id) {
		_cleanup_free_ char *fam = ref ? image_ref_familiar(ref) : xstrdup(what);
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", fam);
		return NULL;
	}
	return store_image_get(s, id, err);
}

/* Downloads url into a new unlinked temporary file under dir; returns its fd. */
static int fetch_url(const char *url, const char *dir, struct berth_error **err)
{
	_cleanup_close_ int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	_cleanup_fclose_ FILE *f = NULL;
	const struct curl_api *curl = curl_api_get(err);
	char cerr[CURL_ERROR_SIZE] = "";
	CURL *c;
	CURLcode rc;
	long status = 0;

	if (!curl)
		return -1;
	if (fd < 0)
		return berth_error_set(err, errno, "create a temporary file in '%s'", dir);
	f = fdopen(dup(fd), "w");
	c = curl->easy_init();
	if (!f || !c) {
		if (c)
			curl->easy_cleanup(c);
		return berth_error_set(err, ENOMEM, "download '%s'", url);
	}
	curl->easy_setopt(c, CURLOPT_URL, url);
	curl->easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl->easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curl->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl->easy_perform(c);
	curl->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl->easy_cleanup(c);
	if (rc != CURLE_OK)
		return berth_error_set(err, 0, "download '%s': %s", url,
				       *cerr ? cerr : curl->easy_strerror(rc));
	if (status >= 400)
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
					"download '%s': HTTP status %ld", url, status);
	if (fflush(f) != 0 || lseek(fd, 0, SEEK_SET) < 0)
		return berth_error_set(err, errno, "download '%s'", url);
	return steal_fd(&fd);
}

static int open_source(const struct store *s, const char *source, struct berth_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s/tmp", s->root);
	int fd;

	if (strcmp(source, "-") == 0)
		return dup(STDIN_FILENO);
	if (str_has_prefix(source, "http://") || str_has_prefix(source, "https://")) {
		if (fs_mkdir_p(tmp, 0700, err) < 0)
			return -1;
		return fetch_url(source, tmp, err);
	}
	fd = open(source, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_setk(err,
					errno == ENOENT ? BERTH_ERR_NOT_FOUND : BERTH_ERR_GENERIC,
					errno, "open '%s'", source);
	return fd;
}

static json_t *import_config(const struct image_import_opts *o, const char *diff_id,
			     struct berth_error **err)
{
	json_auto_t *cfg = image_config_new();
	_cleanup_free_ char *comment = NULL;
	char created[64];

	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_config_apply_change(cfg, o->changes[i], err) < 0)
			return NULL;
	time_format_rfc3339nano(time_now_ns(), created, sizeof(created));
	comment = o->message && *o->message
			  ? xstrdup(o->message)
			  : xasprintf("Imported from %s",
				      strcmp(o->source, "-") == 0 || !strstr(o->source, "://")
					      ? "-"
					      : o->source);
	json_object_set_new(cfg, "comment", json_string(comment));
	json_object_set_new(cfg, "created", json_string(created));
	json_object_set_new(cfg, "docker_version", json_string("berth " BERTH_VERSION_STRING));
	json_object_set_new(cfg, "history",
			    json_pack("[{s:s, s:s}]", "created", created, "comment", comment));
	json_object_set_new(cfg, "rootfs",
			    json_pack("{s:s, s:[s]}", "type", "layers", "diff_ids", diff_id));
	return json_incref(cfg);
}

static int record_image(struct store *s, struct store_image *img, const char *diff_id,
			long long size, const char *ref, struct berth_error **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	if (store_layer_add(s, img->layers[0], diff_id, NULL, size, err) < 0 ||
	    store_image_add(s, img, err) < 0 || (ref && image_tag(s, img->id, ref, err) < 0)) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int image_import(struct store *s, const struct image_import_opts *o, char **id,
		 struct berth_error **err)
{
	struct image_layer_tmp l = {0};
	_cleanup_close_ int in_fd = -EBADF, lock = -EBADF;
	_cleanup_free_ char *text = NULL, *cblob = NULL;
	json_auto_t *cfg = NULL;
	char digest[SHA256_DIGEST_LEN];
	char *layers[2] = {NULL, NULL};
	struct store_image img = {0};
	int r = -1;

	if (o->ref) {
		struct image_ref *ref = image_ref_parse(o->ref, err);
		if (!ref)
			return -1;
		image_ref_free(ref);
	}
	in_fd = open_source(s, o->source, err);
	if (in_fd < 0)
		return -1;
	if (image_layer_unpack(s, in_fd, &l, err) < 0)
		goto out;
	cfg = import_config(o, l.res.diff_id, err);
	if (!cfg)
		goto out;
	text = json_compact(cfg);
	sha256_of(text, strlen(text), digest);
	cblob = image_blob_path(s, digest);
	lock = image_write_lock(s, err);
	if (lock < 0 || fs_write_atomic(cblob, text, strlen(text), 0600, err) < 0 ||
	    image_layer_commit(s, &l, l.res.diff_id, err) < 0)
		goto out;
	layers[0] = l.res.diff_id;
	img = (struct store_image){.id = digest,
				   .config = text,
				   .layers = layers,
				   .created = time_now_ns(),
				   .size = l.res.size};
	if (record_image(s, &img, l.res.diff_id, l.res.size, o->ref, err) < 0)
		goto out;
	*id = xstrdup(digest);
	r = 0;
out:
	image_layer_release(&l);
	if (r < 0)
		berth_error_wrap(err, "import '%s'", o->source);
	return r;
}

int image_tag(struct store *s, const char *image_id, const char *ref, struct berth_error **err)
{
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(ref, err);
	_cleanup_free_ char *key = NULL;

	if (!r)
		return -1;
	if (r->digest)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"refusing to create a tag with a digest reference");
	key = image_ref_format(r);
	return store_tag_set(s, key, image_id, err);
}

void image_remove_result_release(struct image_remove_result *r)
{
	strv_free(r->untagged);
	strv_free(r->deleted);
	r->untagged = r->deleted = NULL;
}

static char *familiar_of(const char *key)
{
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(key, NULL);
	return r ? image_ref_familiar(r) : xstrdup(key);
}

/* Removes the unused layers' folders and blobs (after the transaction). */
static void remove_unused_layers(struct store *s, struct image_remove_result *res)
{
	_cleanup_strv_ char **unused = NULL;

	if (store_layer_unused(s, &unused, NULL) < 0)
		return;
	for (size_t i = 0; unused[i]; i++) {
		_cleanup_free_ char *dir =
			xasprintf("%s/layers/%s", s->root, digest_hex(unused[i]));
		_cleanup_free_ char *diff_id = store_layer_diff_id(s, unused[i]);
		_cleanup_error_ struct berth_error *e = NULL;

		if (store_layer_delete(s, unused[i], &e) < 0 || fs_rm_rf(dir, &e) < 0) {
			log_warn("cannot remove layer %s: %s", unused[i], e->msg);
			continue;
		}
		image_layer_unlink(s, unused[i]);
		/* the layer's tar, unless another chain has the same layer */
		if (diff_id && !store_diff_id_used(s, diff_id)) {
			_cleanup_free_ char *blob = image_blob_path(s, diff_id);
			unlink(blob);
		}
		strv_push(&res->deleted, unused[i]);
	}
}

static int check_users(struct store *s, const struct store_image *img, bool force, const char *what,
		       struct berth_error **err)
{
	int users = store_image_users(s, img->id, err);

	if (users < 0)
		return -1;
	if (users > 0 && !force)
		return berth_error_setk(
			err, BERTH_ERR_CONFLICT, 0,
			"conflict: unable to remove repository reference \"%s\" "
			"(must force) - container is using its referenced image %.12s",
			what, digest_hex(img->id));
	return 0;
}

int image_children(struct store *s, const struct store_image *img, struct berth_error **err)
{
	struct store_image **all = NULL;
	int n = 0;

	if (store_image_list(s, &all, err) < 0)
		return -1;
	for (size_t i = 0; all[i]; i++)
		n += strcmp(all[i]->id, img->id) != 0 && image_is_parent_of(img, all[i]);
	store_image_list_free(all);
	return n;
}

/*
 * The untagged parent of a deleted image goes too, when nothing else needs it
 * (as Docker's rmi): no tag, no container, no other child. Then its parent.
 */
static void remove_untagged_parents(struct store *s, const struct store_image *gone,
				    struct image_remove_result *res)
{
	struct store_image **all = NULL, *parent = NULL;

	if (store_image_list(s, &all, NULL) < 0)
		return;
	for (size_t i = 0; all[i]; i++)
		if (image_is_parent_of(all[i], gone) &&
		    (!parent || strv_len(all[i]->layers) > strv_len(parent->layers)))
			parent = all[i];
	if (parent && !parent->tags[0] && store_image_users(s, parent->id, NULL) == 0 &&
	    image_children(s, parent, NULL) == 0)
		image_remove(s, parent->id, false, res, NULL);
	store_image_list_free(all);
}

int image_remove(struct store *s, const char *what, bool force, struct image_remove_result *res,
		 struct berth_error **err)
{
	/* held until its layers and blobs are gone, so that system check sees none half removed */
	_cleanup_close_ int lock = image_write_lock(s, err);
	_cleanup_(store_image_freep) struct store_image *img =
		lock < 0 ? NULL : image_lookup(s, what, err);
	_cleanup_(image_ref_freep) struct image_ref *ref = NULL;
	_cleanup_free_ char *key = NULL, *cblob = NULL;
	bool by_tag = false;
	size_t ntags;
	int children;

	if (!img)
		return -1;
	children = image_children(s, img, err);
	if (children < 0)
		return -1;
	ref = image_ref_parse(what, NULL);
	key = ref ? image_ref_format(ref) : NULL;
	for (size_t i = 0; key && img->tags[i]; i++)
		by_tag |= strcmp(img->tags[i], key) == 0;
	ntags = strv_len(img->tags);
	if (!by_tag && ntags > 1 && !force)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"conflict: unable to delete %.12s (must be forced) - image "
					"is referenced in multiple repositories",
					digest_hex(img->id));
	if (!by_tag && children > 0)
		return berth_error_setk(
			err, BERTH_ERR_CONFLICT, 0,
			"conflict: unable to delete %.12s (cannot be forced) - image "
			"has dependent child images",
			digest_hex(img->id));
	if ((!by_tag || ntags == 1) && check_users(s, img, force, what, err) < 0)
		return -1;
	if (store_begin(s, err) < 0)
		return -1;
	for (size_t i = 0; img->tags[i]; i++) {
		if (by_tag && strcmp(img->tags[i], key) != 0)
			continue;
		if (store_tag_delete(s, img->tags[i], err) < 0)
			goto fail;
		strv_push_take(&res->untagged, familiar_of(img->tags[i]));
	}
	/* an image others were made on stays, untagged, as their parent */
	if (by_tag && (ntags > 1 || children > 0))
		return store_commit(s, err);
	if (store_image_delete(s, img->id, err) < 0)
		goto fail;
	if (store_commit(s, err) < 0)
		return -1;
	strv_push(&res->deleted, img->id);
	cblob = image_blob_path(s, img->id);
	unlink(cblob);
	remove_untagged_parents(s, img, res);
	remove_unused_layers(s, res);
	return 0;
fail:
	store_rollback(s);
	return -1;
}

/*
 * One round of prune: removes the images that no container uses and no image
 * was made on (dangling ones only, untagged, unless all). Returns how many.
 */
static int prune_round(struct store *s, bool all, image_prune_filter_fn *want, void *ctx,
		       struct image_remove_result *res, struct berth_error **err)
{
	struct store_image **list = NULL;
	int removed = 0;

	if (store_image_list(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; list[i]; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		int users = store_image_users(s, list[i]->id, NULL);
		int children = image_children(s, list[i], NULL);

		if (users != 0 || children != 0 || (!all && list[i]->tags[0]) ||
		    (want && !want(list[i], ctx)))
			continue;
		if (image_remove(s, list[i]->id, true, res, &e) == 0)
			removed++;
	}
	store_image_list_free(list);
	return removed;
}

int image_prune(struct store *s, bool all, image_prune_filter_fn *want, void *ctx,
		struct image_remove_result *res, struct berth_error **err)
{
	int r;

	/* a parent becomes removable once its children are gone */
	while ((r = prune_round(s, all, want, ctx, res, err)) > 0)
		;
	return r;
}
