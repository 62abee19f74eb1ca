/*
 * Views of the images over the layers they share (tree.c, dockerfile.c):
 *
 * - the ancestry forest of `images --tree` (as Docker 1.x printed it) and of
 *   `images --graph` (Graphviz DOT, as Docker's `images --viz` printed it);
 * - the Dockerfile of an image rebuilt from its history (`image dockerfile`).
 *
 * Pure functions over store_image structs: the caller lists the images.
 *
 * The nodes of the forest are layers, named by chain ID; a layer's parent is
 * the layer below it, so images that share a chain prefix share nodes. Each
 * node knows the images whose top layer it is. A node is shown under the ID
 * of its image when exactly one image sits on it, else under its chain ID;
 * when several images sit on one layer (they differ only in their config),
 * each is shown as a leaf below it that adds 0 B. Lines of images carry
 * "Tags:" ("<none>:<none>" when untagged); bare layers carry none.
 */
#ifndef BERTH_IMAGE_TREE_H
#define BERTH_IMAGE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"
#include "util/strbuf.h"

struct image_tree_node {
	const char *chain_id; /* borrowed; NULL for an image without layers */
	struct image_tree_node *parent;
	struct image_tree_node **children; /* oldest first */
	size_t n_children;
	const struct store_image **images; /* those whose top layer this is, oldest first */
	size_t n_images;
	long long size;		/* bytes the layer adds */
	long long virtual_size; /* bytes with the layers below */
	int64_t created;	/* the oldest image at or above the node: the sort key */
	bool shown;		/* false for what image_tree_focus() leaves out */
};

struct image_tree {
	struct image_tree_node **roots; /* oldest first */
	size_t n_roots;
	struct image_tree_node *nodes; /* every node, one array */
	size_t n_nodes;
	bool focused;
};

/*
 * The bytes a layer adds, asked for layers that no image sits on (the size of
 * the others follows from the images' sizes); -1 when unknown (counted 0).
 */
typedef long long image_tree_size_fn(const char *chain_id, void *userdata);

/*
 * Builds the forest over images (NULL-terminated; borrowed: they must outlive
 * the tree). A layer's size is the size of an image on it less the virtual
 * size of its parent; for bare layers it is layer_size(chain_id) (layer_size
 * may be NULL). Free the result with image_tree_free().
 */
struct image_tree *image_tree_build(struct store_image *const *images,
				    image_tree_size_fn *layer_size, void *userdata);
void image_tree_free(struct image_tree *t);
static inline void image_tree_freep(struct image_tree **t)
{
	image_tree_free(*t);
	*t = NULL;
}

/*
 * Limits the views to the ancestors and descendants of the image with this
 * full ID (call once per image to keep). False when no node holds it.
 */
bool image_tree_focus(struct image_tree *t, const char *image_id);

enum image_tree_flags {
	IMAGE_TREE_NO_TRUNC = 1 << 0, /* full IDs ("sha256:<hex>") instead of 12 hex */
};

/*
 * Appends the forest as text, one line per node, Docker 1.x's `images --tree`
 * with the size each layer adds:
 *   └─e6a198c340ca Size: 1.99 MB (virtual 1.99 MB) Tags: busybox:latest
 *     ├─3f1c0b2a9d8e Size: 12 B (virtual 1.99 MB) Tags: <none>:<none>
 *     └─77aa01b2c3d4 Size: 40 B (virtual 1.99 MB) Tags: app:1, app:latest
 * Sizes as Docker 1.x printed them: decimal units, 4 significant digits.
 */
void image_tree_format_text(const struct image_tree *t, unsigned flags, struct strbuf *out);

/*
 * Appends the forest as a Graphviz digraph (`dot -Tsvg`): an edge from each
 * layer to the layers and images on top of it, roots hung from an invisible
 * "base" node; labels with ID, sizes and tags, tagged images as filled boxes.
 */
void image_tree_format_dot(const struct image_tree *t, unsigned flags, struct strbuf *out);

/*
 * Appends the Dockerfile of img rebuilt from its config: FROM the nearest
 * tagged ancestor among images (an image whose layers and history are a
 * prefix of img's; "FROM scratch" when none), one instruction per history
 * entry after the ancestor's ("/bin/sh -c #(nop) X" → X, "/bin/sh -c X" and
 * "|N A=b /bin/sh -c X" → RUN X, BuildKit's "RUN … # buildkit" → RUN …, an
 * import → "ADD file:<diff ID, 12 hex> /", a commit → "# commit: MESSAGE" and
 * RUN of its command), then the instructions that make up the rest of the
 * config (ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, ONBUILD,
 * ENTRYPOINT, CMD; exec forms as compact JSON: CMD ["cat","/new"]).
 * images is NULL-terminated and may hold img. Fails on a config that does
 * not parse.
 */
int image_dockerfile(const struct store_image *img, struct store_image *const *images,
		     struct strbuf *out, struct berth_error **err);

#endif
