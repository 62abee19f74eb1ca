/*
 * Image archives: docker save and docker load.
 *
 * Formats:
 *  - docker-archive as Docker 25+ writes it: an OCI image layout (oci-layout,
 *    index.json, blobs/sha256/<hex> for configs, manifests and uncompressed
 *    layers) plus manifest.json ([{"Config", "RepoTags", "Layers"}]) and
 *    repositories. Load also takes the older layout (<id>/layer.tar,
 *    <hex>.json) and skopeo's.
 *  - oci-archive: the OCI image layout alone, in a tar; oci-dir: the same as
 *    a folder.
 *
 * Load takes any of them (a folder when input is one), the tar possibly
 * compressed (gzip, bzip2, xz, zstd), layers possibly compressed (gzip, zstd,
 * ...). Every digest is verified: a config against the digest that names it,
 * each blob against its descriptor, each layer's uncompressed tar against the
 * config's rootfs.diff_ids. Nothing is stored unless the whole archive is
 * good: all layers are unpacked and checked first, then moved into place and
 * recorded in one transaction.
 */
#ifndef BERTH_IMAGE_ARCHIVE_H
#define BERTH_IMAGE_ARCHIVE_H

#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

/* A tag set by load. */
struct image_load_tag {
	char *name;   /* familiar reference, "mine:1" */
	char *old_id; /* the image it named before, when another one; else NULL */
};

struct image_loaded {
	char *id; /* "sha256:<hex>" */
	struct image_load_tag *tags;
	size_t n_tags;
};

struct image_load_result {
	struct image_loaded *images;
	size_t n;
};
void image_load_result_release(struct image_load_result *r);

/*
 * Loads the images of input: a tar file, a folder, or "-" (or NULL) for
 * in_fd (borrowed), e.g. standard input. res lists them in archive order.
 */
int image_load(struct store *s, const char *input, int in_fd, struct image_load_result *res,
	       struct berth_error **err);

enum image_archive_format {
	IMAGE_ARCHIVE_DOCKER, /* docker-archive, Docker 25+'s layout */
	IMAGE_ARCHIVE_OCI,    /* oci-archive */
	IMAGE_ARCHIVE_OCI_DIR /* oci-dir */
};

/* "docker-archive", "oci-archive", "oci-dir"; -1 for another name. */
int image_archive_format_parse(const char *name);

struct image_save_opts {
	char *const *names; /* NULL-terminated: references, names (all their tags) or IDs */
	enum image_archive_format format;
	/*
	 * The file (written to a temporary name, renamed at the end) or, for
	 * oci-dir, the folder (which must not exist or be empty); NULL writes the
	 * tar to out_fd.
	 */
	const char *output;
	int out_fd;
};

/*
 * docker save. A reference whose tag is unknown is BERTH_ERR_NOT_FOUND
 * "reference does not exist"; a name or ID that matches no image is
 * "No such image: NAME", as Docker says.
 */
int image_save(struct store *s, const struct image_save_opts *o, struct berth_error **err);

#endif
