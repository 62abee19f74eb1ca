#define LOG_DOMAIN "image"
#include <fcntl.h>
#include <sys/stat.h>

#include "image/layer.h"
#include "util/fs.h"
#include "util/strutil.h"

char *image_layer_dir(const struct store *s, const char *chain_id)
{
	return xasprintf("%s/layers/%s/diff", s->root, digest_hex(chain_id));
}

char *image_blob_path(const struct store *s, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", s->root, digest_hex(digest));
}

/* 20 hex digits of the chain ID: 80 bits, no collision among a store's layers. */
#define LINK_HEX 20

char *image_layer_link(const struct store *s, const char *chain_id)
{
	const char *hex = digest_hex(chain_id);
	_cleanup_free_ char *dir = xasprintf("%s/layers/l", s->root);
	_cleanup_free_ char *link = xasprintf("%s/%.*s", dir, LINK_HEX, hex);
	_cleanup_free_ char *target = xasprintf("../%s/diff", hex);

	if (symlink(target, link) < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
		(void)symlink(target, link); /* else the mount names the problem */
	return xasprintf("l/%.*s", LINK_HEX, hex);
}

void image_layer_unlink(const struct store *s, const char *chain_id)
{
	_cleanup_free_ char *link =
		xasprintf("%s/layers/l/%.*s", s->root, LINK_HEX, digest_hex(chain_id));

	unlink(link);
}

void image_chain_id(const char *parent, const char *diff_id, char out[SHA256_DIGEST_LEN])
{
	_cleanup_free_ char *text = NULL;

	if (!parent) {
		snprintf(out, SHA256_DIGEST_LEN, "%s", diff_id);
		return;
	}
	text = xasprintf("%s %s", parent, diff_id);
	sha256_of(text, strlen(text), out);
}

void image_layer_release(struct image_layer_tmp *l)
{
	if (l->tmp_dir)
		fs_rm_rf(l->tmp_dir, NULL);
	if (l->tmp_blob)
		unlink(l->tmp_blob);
	free(l->tmp_dir);
	free(l->tmp_blob);
	l->tmp_dir = l->tmp_blob = NULL;
}

int image_layer_unpack(struct store *s, int in_fd, struct image_layer_tmp *l,
		       struct berth_error **err)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", s->root);
	_cleanup_free_ char *diff = NULL;
	_cleanup_close_ int blob_fd = -EBADF;

	if (fs_mkdir_p(layers, 0700, err) < 0 || fs_mkdir_p(blobs, 0700, err) < 0)
		return -1;
	fs_remove_orphans(layers);
	fs_remove_orphans(blobs);
	l->tmp_dir = xasprintf("%s/tmp-%d-XXXXXX", layers, (int)getpid());
	if (!mkdtemp(l->tmp_dir)) {
		free(steal_ptr(&l->tmp_dir));
		return berth_error_set(err, errno, "create a folder in '%s'", layers);
	}
	diff = xasprintf("%s/diff", l->tmp_dir);
	if (mkdir(diff, 0755) < 0)
		return berth_error_set(err, errno, "mkdir '%s'", diff);
	l->tmp_blob = xasprintf("%s/.tmp-%d-XXXXXX", blobs, (int)getpid());
	blob_fd = mkostemp(l->tmp_blob, O_CLOEXEC);
	if (blob_fd < 0) {
		free(steal_ptr(&l->tmp_blob));
		return berth_error_set(err, errno, "create a blob in '%s'", blobs);
	}
	if (image_tar_unpack(in_fd, blob_fd, diff, &l->res, err) < 0)
		return -1;
	if (fsync(blob_fd) < 0)
		return berth_error_set(err, errno, "fsync '%s'", l->tmp_blob);
	return 0;
}

int image_layer_commit(struct store *s, struct image_layer_tmp *l, const char *chain_id,
		       struct berth_error **err)
{
	_cleanup_free_ char *dst = xasprintf("%s/layers/%s", s->root, digest_hex(chain_id));
	_cleanup_free_ char *blob = image_blob_path(s, l->res.diff_id);

	if (rename(l->tmp_blob, blob) < 0)
		return berth_error_set(err, errno, "rename '%s'", l->tmp_blob);
	free(steal_ptr(&l->tmp_blob));
	if (fs_exists(dst))
		return 0;
	if (rename(l->tmp_dir, dst) < 0 && errno != ENOTEMPTY && errno != EEXIST)
		return berth_error_set(err, errno, "rename '%s'", l->tmp_dir);
	if (!fs_exists(l->tmp_dir))
		free(steal_ptr(&l->tmp_dir));
	return 0;
}
