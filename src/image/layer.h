/*
 * Layers on disk (DESIGN.md, "State on disk"): the unpacked tree of each layer
 * under layers/<chain-id hex>/diff, the overlay lower dirs, and the layer's
 * uncompressed tar as the blob blobs/sha256/<diff-id hex>, from which save
 * writes it again byte for byte. Image configs are blobs too.
 */
#ifndef BERTH_IMAGE_LAYER_H
#define BERTH_IMAGE_LAYER_H

#include "image/tar.h"
#include "store/store.h"
#include "util/error.h"
#include "util/sha256.h"

/* <root>/layers/<hex of chain_id>/diff. Caller frees. */
char *image_layer_dir(const struct store *s, const char *chain_id);
/* <root>/blobs/sha256/<hex of digest>. Caller frees. */
char *image_blob_path(const struct store *s, const char *digest);

/*
 * The layer's short name for overlay's mount options, "l/<20 hex>" relative to
 * <root>/layers: a symlink to ../<hex>/diff, made when missing. The options
 * must fit a page: with the full names (69 bytes a layer) an image of about 60
 * layers would not mount, with these (23 bytes) about 170 do.
 */
char *image_layer_link(const struct store *s, const char *chain_id);
/* Removes the layer's link (when the layer goes). */
void image_layer_unlink(const struct store *s, const char *chain_id);

/*
 * The chain ID of a layer (OCI image-spec): its diff ID for the bottom layer
 * (parent NULL), else sha256 of "<parent chain ID> <diff ID>".
 */
void image_chain_id(const char *parent, const char *diff_id, char out[SHA256_DIGEST_LEN]);

/* A layer unpacked into temporary places, not yet in the store. */
struct image_layer_tmp {
	char *tmp_dir;	/* <root>/layers/tmp-<pid>-XXXXXX, holding diff/ */
	char *tmp_blob; /* <root>/blobs/sha256/.tmp-<pid>-XXXXXX */
	struct image_unpack_result res;
};

/*
 * Unpacks the (possibly compressed) tar from in_fd into l's temporary folder,
 * keeping the uncompressed tar as a temporary blob; l->res has its diff ID.
 * Leftovers of crashed processes in the folders are removed first.
 */
int image_layer_unpack(struct store *s, int in_fd, struct image_layer_tmp *l,
		       struct berth_error **err);
/* Moves an unpacked layer into place under chain_id (a no-op if it is there). */
int image_layer_commit(struct store *s, struct image_layer_tmp *l, const char *chain_id,
		       struct berth_error **err);
/* Removes what is left of l's temporary files. */
void image_layer_release(struct image_layer_tmp *l);

#endif
