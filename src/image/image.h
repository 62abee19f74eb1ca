/*
 * Images: import, lookup, listing and removal over the store and the blob and
 * layer folders of the data root (DESIGN.md, "State on disk").
 */
#ifndef BERTH_IMAGE_IMAGE_H
#define BERTH_IMAGE_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "image/layer.h"
#include "store/store.h"
#include "util/error.h"

/*
 * Finds the image a user names: a reference ("busybox", "busybox:1",
 * "host:5000/a/b@sha256:…"), a full ID or an ID prefix. NULL with
 * BERTH_ERR_NOT_FOUND ("No such image: busybox:latest") when none.
 */
struct store_image *image_lookup(struct store *s, const char *what, struct berth_error **err);

struct image_import_opts {
	const char *source;   /* a file, "-" for stdin, or an http(s) URL */
	const char *ref;      /* REPO[:TAG] or NULL */
	char *const *changes; /* Dockerfile instructions (-c), NULL-terminated or NULL */
	const char *message;  /* commit message (-m) or NULL */
};

/* Imports a root file system archive as a one-layer image. *id gets "sha256:…". */
int image_import(struct store *s, const struct image_import_opts *o, char **id,
		 struct berth_error **err);

/* Tags an existing image: ref is normalised ("busybox" → docker.io/library/busybox:latest). */
int image_tag(struct store *s, const char *image_id, const char *ref, struct berth_error **err);

struct image_remove_result {
	char **untagged; /* familiar references removed ("busybox:latest") */
	char **deleted;	 /* image IDs removed */
};
void image_remove_result_release(struct image_remove_result *r);

/*
 * docker rmi: untags a reference; deletes the image when no tag is left (or
 * when named by ID). An image used by a container is a conflict unless force.
 */
int image_remove(struct store *s, const char *what, bool force, struct image_remove_result *res,
		 struct berth_error **err);

/*
 * docker image prune: removes dangling images (untagged, not a parent), or with
 * all every image no container uses, parents after their children; of those,
 * only the ones want(img, ctx) accepts (--filter), when want is not NULL.
 */
typedef bool image_prune_filter_fn(const struct store_image *img, void *ctx);
int image_prune(struct store *s, bool all, image_prune_filter_fn *want, void *ctx,
		struct image_remove_result *res, struct berth_error **err);

/* The number of images made on top of img (its layers a proper prefix of theirs). */
int image_children(struct store *s, const struct store_image *img, struct berth_error **err);
/* Was b made on top of a (a's layers a proper prefix of b's)? */
bool image_is_parent_of(const struct store_image *a, const struct store_image *b);

/*
 * docker images (list.c): the images a listing shows, newest first, each with
 * only the tags the reference filter lets through (none: listed as <none>).
 * Untagged images with children (intermediate images) only when all.
 * filters (NULL for none) maps a key to an array of values, as the Engine API
 * takes them: dangling=true|false, reference=GLOB (Docker's FamiliarMatch on
 * "repo:tag" and "repo"), before=IMAGE and since=IMAGE (by creation time),
 * label=KEY[=VALUE]. Values of one key are alternatives (label's must all
 * hold, as Docker's), keys must all match. Errors in Docker's words:
 * "invalid filter 'KEY'", "invalid filter 'dangling=[x]'" (BERTH_ERR_INVALID),
 * "No such image: x". Free *out with store_image_list_free().
 */
int image_list(struct store *s, bool all, const json_t *filters, struct store_image ***out,
	       struct berth_error **err);

/* What images take on disk (system df, list.c). */
struct image_usage {
	struct store_image *img; /* an image `images` lists (no intermediate images) */
	long long shared;	 /* bytes of its layers other listed images have too */
	int containers;		 /* containers made from it */
};
struct image_disk_usage {
	struct image_usage *images; /* newest first */
	size_t n;
	long long size;	       /* every image's layers, each counted once */
	long long reclaimable; /* bytes of the layers no container's image has */
	int active;	       /* listed images with containers */
};
int image_disk_usage(struct store *s, struct image_disk_usage *du, struct berth_error **err);
void image_disk_usage_release(struct image_disk_usage *du);

/* docker inspect's JSON object of an image (inspect.c). */
json_t *image_inspect(struct store *s, const struct store_image *img, struct berth_error **err);

/*
 * Image configs (config.c). image_config_new() returns a fresh Docker image
 * config with empty container config; image_config_apply_change() applies a
 * Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, WORKDIR, USER,
 * VOLUME, LABEL, STOPSIGNAL, ONBUILD) to its "config" object.
 */
json_t *image_config_new(void);
json_t *image_container_config_new(void);
int image_config_apply_change(json_t *config, const char *change, struct berth_error **err);

#endif
