/*
 * Image references, parsed and normalised as Docker does
 * (github.com/distribution/reference): "busybox" is
 * "docker.io/library/busybox:latest", "user/img" is "docker.io/user/img:latest",
 * "host:5000/img:tag", "name@sha256:<hex>", "name:tag@sha256:<hex>".
 * Pure functions over memory.
 */
#ifndef BERTH_IMAGE_REF_H
#define BERTH_IMAGE_REF_H

#include <stdbool.h>

#include "util/error.h"

struct image_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox", "user/img" */
	char *tag;    /* "latest"; NULL when a digest is given without a tag */
	char *digest; /* "sha256:<64 hex>" or NULL */
};

/*
 * Parses s. When it names neither a tag nor a digest, the tag is "latest".
 * Errors (kind BERTH_ERR_INVALID) use Docker's wording: "invalid reference
 * format", "invalid reference format: repository name must be lowercase".
 * Returns NULL on failure. Free the result with image_ref_free().
 */
struct image_ref *image_ref_parse(const char *s, struct berth_error **err);

/* "docker.io/library/busybox" — the full repository name. */
char *image_ref_name(const struct image_ref *r);
/* "docker.io/library/busybox:latest" (tag and/or "@digest"), the key of the tags table. */
char *image_ref_format(const struct image_ref *r);
/* "busybox", "user/img", "localhost:5000/img": the REPOSITORY column of `images`. */
char *image_ref_familiar_name(const struct image_ref *r);
/* "busybox:latest": familiar name plus tag and/or digest, as docker prints a reference. */
char *image_ref_familiar(const struct image_ref *r);

/* True when s is 1..64 lowercase hex characters (an image ID or a prefix of one). */
bool image_ref_is_id_prefix(const char *s);

void image_ref_free(struct image_ref *r);
static inline void image_ref_freep(struct image_ref **r)
{
	image_ref_free(*r);
	*r = NULL;
}

#endif
