/* The layer forest of the images: `images --tree` and `images --graph` (see tree.h). */
#include <stdint.h>

#include "image/ref.h"
#include "image/tree.h"
#include "util/sha256.h"
#include "util/strutil.h"

/* A layer and the one below it, as an image's layer list names them. */
struct link {
	const char *chain_id, *parent;
};

static int link_cmp(const void *a, const void *b)
{
	return strcmp(((const struct link *)a)->chain_id, ((const struct link *)b)->chain_id);
}

static int node_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct image_tree_node *)elem)->chain_id);
}

/* Nodes [0, n_layers) are the layers sorted by chain ID; image-less nodes follow. */
static struct image_tree_node *find_layer(const struct image_tree *t, size_t n_layers,
					  const char *chain_id)
{
	return chain_id ? bsearch(chain_id, t->nodes, n_layers, sizeof(*t->nodes), node_key_cmp)
			: NULL;
}

/* Every distinct layer with its parent; *n_links gets their number. */
static struct link *collect_links(struct store_image *const *images, size_t *n_links)
{
	struct link *links = NULL;
	size_t n = 0, k = 0;

	for (size_t i = 0; images[i]; i++)
		n += strv_len(images[i]->layers);
	links = xcalloc(n + 1, sizeof(*links));
	for (size_t i = 0; images[i]; i++)
		for (size_t j = 0; images[i]->layers && images[i]->layers[j]; j++)
			links[k++] = (struct link){images[i]->layers[j],
						   j ? images[i]->layers[j - 1] : NULL};
	sort_array(links, k, sizeof(*links), link_cmp);
	n = 0;
	for (size_t i = 0; i < k; i++)
		if (n == 0 || strcmp(links[n - 1].chain_id, links[i].chain_id) != 0)
			links[n++] = links[i];
	*n_links = n;
	return links;
}

#define PUSH(array, count, item)                                                                   \
	do {                                                                                       \
		(array) = xrealloc((array), ((count) + 1) * sizeof(*(array)));                     \
		(array)[(count)++] = (item);                                                       \
	} while (0)

/* The ID a node is shown under: its image's when it has exactly one, else its layer's. */
static const char *node_id(const struct image_tree_node *n)
{
	return n->n_images == 1 ? n->images[0]->id : n->chain_id;
}

static int64_t subtree_created(struct image_tree_node *n)
{
	n->created = INT64_MAX;
	for (size_t i = 0; i < n->n_images; i++)
		if (n->images[i]->created < n->created)
			n->created = n->images[i]->created;
	for (size_t i = 0; i < n->n_children; i++) {
		int64_t c = subtree_created(n->children[i]);
		if (c < n->created)
			n->created = c;
	}
	return n->created;
}

static int node_cmp(const void *a, const void *b)
{
	const struct image_tree_node *x = *(struct image_tree_node *const *)a;
	const struct image_tree_node *y = *(struct image_tree_node *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(node_id(x), node_id(y));
}

static int image_cmp(const void *a, const void *b)
{
	const struct store_image *x = *(const struct store_image *const *)a;
	const struct store_image *y = *(const struct store_image *const *)b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * Sizes top-down: a layer with an image on it adds the image's size less its
 * parent's virtual size; a bare one what layer_size says.
 */
static void compute_sizes(struct image_tree_node *n, long long below,
			  image_tree_size_fn *layer_size, void *userdata)
{
	long long size = -1;

	if (n->n_images > 0 && n->images[0]->size >= below)
		size = n->images[0]->size - below;
	else if (layer_size && n->chain_id)
		size = layer_size(n->chain_id, userdata);
	n->size = size < 0 ? 0 : size;
	n->virtual_size = below + n->size;
	for (size_t i = 0; i < n->n_children; i++)
		compute_sizes(n->children[i], n->virtual_size, layer_size, userdata);
}

/* Puts each image on its top layer (or on a node of its own when it has no layer). */
static void place_images(struct image_tree *t, size_t n_layers, struct store_image *const *images)
{
	size_t extra = n_layers;

	for (size_t i = 0; images[i]; i++) {
		size_t nl = strv_len(images[i]->layers);
		struct image_tree_node *n = nl ? find_layer(t, n_layers, images[i]->layers[nl - 1])
					       : &t->nodes[extra++];

		PUSH(n->images, n->n_images, images[i]);
	}
}

struct image_tree *image_tree_build(struct store_image *const *images,
				    image_tree_size_fn *layer_size, void *userdata)
{
	struct image_tree *t = xcalloc(1, sizeof(*t));
	_cleanup_free_ struct link *links = NULL;
	size_t n_layers, n_bare = 0;

	links = collect_links(images, &n_layers);
	for (size_t i = 0; images[i]; i++)
		n_bare += strv_len(images[i]->layers) == 0;
	t->n_nodes = n_layers + n_bare;
	t->nodes = xcalloc(t->n_nodes + 1, sizeof(*t->nodes));
	for (size_t i = 0; i < n_layers; i++)
		t->nodes[i].chain_id = links[i].chain_id;
	for (size_t i = 0; i < n_layers; i++)
		t->nodes[i].parent = find_layer(t, n_layers, links[i].parent);
	place_images(t, n_layers, images);
	for (size_t i = 0; i < t->n_nodes; i++) {
		struct image_tree_node *n = &t->nodes[i];

		n->shown = true;
		if (n->parent)
			PUSH(n->parent->children, n->parent->n_children, n);
		else
			PUSH(t->roots, t->n_roots, n);
		if (n->n_images > 1)
			sort_array(n->images, n->n_images, sizeof(*n->images), image_cmp);
	}
	for (size_t i = 0; i < t->n_roots; i++)
		subtree_created(t->roots[i]);
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].n_children > 1)
			sort_array(t->nodes[i].children, t->nodes[i].n_children,
				   sizeof(*t->nodes[i].children), node_cmp);
	sort_array(t->roots, t->n_roots, sizeof(*t->roots), node_cmp);
	for (size_t i = 0; i < t->n_roots; i++)
		compute_sizes(t->roots[i], 0, layer_size, userdata);
	return t;
}

void image_tree_free(struct image_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_nodes; i++) {
		free(t->nodes[i].children);
		free(t->nodes[i].images);
	}
	free(t->nodes);
	free(t->roots);
	free(t);
}

static void show_subtree(struct image_tree_node *n)
{
	n->shown = true;
	for (size_t i = 0; i < n->n_children; i++)
		show_subtree(n->children[i]);
}

bool image_tree_focus(struct image_tree *t, const char *image_id)
{
	struct image_tree_node *found = NULL;

	for (size_t i = 0; i < t->n_nodes && !found; i++)
		for (size_t j = 0; j < t->nodes[i].n_images; j++)
			if (strcmp(t->nodes[i].images[j]->id, image_id) == 0)
				found = &t->nodes[i];
	if (!found)
		return false;
	if (!t->focused)
		for (size_t i = 0; i < t->n_nodes; i++)
			t->nodes[i].shown = false;
	t->focused = true;
	show_subtree(found);
	for (struct image_tree_node *p = found->parent; p; p = p->parent)
		p->shown = true;
	return true;
}

/* Docker 1.x's units.HumanSize: decimal units, "%.4g %s" ("0 B", "192.5 MB"). */
static void format_size(long long bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)bytes;
	size_t i = 0;

	while (v >= 1000.0 && i + 1 < ARRAY_SIZE(units)) {
		v /= 1000.0;
		i++;
	}
	snprintf(buf, len, "%.4g %s", v, units[i]);
}

static void add_id(struct strbuf *out, const char *id, unsigned flags)
{
	if (!id)
		strbuf_addstr(out, "<missing>");
	else if (flags & IMAGE_TREE_NO_TRUNC)
		strbuf_addstr(out, id);
	else
		strbuf_add(out, digest_hex(id), strnlen(digest_hex(id), 12));
}

static void add_sizes(struct strbuf *out, long long size, long long virtual_size)
{
	char a[32], b[32];

	format_size(size, a, sizeof(a));
	format_size(virtual_size, b, sizeof(b));
	strbuf_addf(out, "Size: %s (virtual %s)", a, b);
}

/* The image's tags in their familiar form joined by sep, or "<none>:<none>". */
static void add_tags(struct strbuf *out, const struct store_image *img, const char *sep)
{
	if (!img->tags || !img->tags[0]) {
		strbuf_addstr(out, "<none>:<none>");
		return;
	}
	for (size_t i = 0; img->tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *r =
			image_ref_parse(img->tags[i], NULL);
		_cleanup_free_ char *fam = r ? image_ref_familiar(r) : xstrdup(img->tags[i]);

		if (i)
			strbuf_addstr(out, sep);
		strbuf_addstr(out, fam);
	}
}

/*
 * The items below a node in the text tree: when several images share its
 * layer, they come first (leaves adding 0 B), then the layers on top of it.
 */
struct item {
	const struct image_tree_node *node;   /* a layer, or the layer of the image */
	const struct store_image *image_leaf; /* an image sharing node's layer */
};

static size_t list_items(const struct image_tree_node *n, struct item *items)
{
	size_t k = 0;

	for (size_t i = 0; n->n_images > 1 && i < n->n_images; i++)
		items[k++] = (struct item){n, n->images[i]};
	for (size_t i = 0; i < n->n_children; i++)
		if (n->children[i]->shown)
			items[k++] = (struct item){n->children[i], NULL};
	return k;
}

static void text_line(const struct item *it, const char *prefix, bool last, unsigned flags,
		      struct strbuf *out)
{
	const struct image_tree_node *n = it->node;
	const struct store_image *img = it->image_leaf	   ? it->image_leaf
					: n->n_images == 1 ? n->images[0]
							   : NULL;

	strbuf_addf(out, "%s%s", prefix, last ? "└─" : "├─");
	add_id(out, img ? img->id : n->chain_id, flags);
	strbuf_addch(out, ' ');
	if (it->image_leaf)
		add_sizes(out, 0, n->virtual_size);
	else
		add_sizes(out, n->size, n->virtual_size);
	if (img) {
		strbuf_addstr(out, " Tags: ");
		add_tags(out, img, ", ");
	}
	strbuf_addch(out, '\n');
}

static void text_walk(const struct item *items, size_t n, const char *prefix, unsigned flags,
		      struct strbuf *out)
{
	for (size_t i = 0; i < n; i++) {
		bool last = i + 1 == n;
		const struct image_tree_node *node = items[i].node;
		_cleanup_free_ struct item *sub = NULL;
		_cleanup_free_ char *deeper = NULL;
		size_t n_sub;

		text_line(&items[i], prefix, last, flags, out);
		if (items[i].image_leaf)
			continue;
		sub = xcalloc(node->n_images + node->n_children + 1, sizeof(*sub));
		n_sub = list_items(node, sub);
		deeper = xasprintf("%s%s", prefix, last ? "  " : "│ ");
		text_walk(sub, n_sub, deeper, flags, out);
	}
}

void image_tree_format_text(const struct image_tree *t, unsigned flags, struct strbuf *out)
{
	_cleanup_free_ struct item *items = xcalloc(t->n_roots + 1, sizeof(*items));
	size_t n = 0;

	for (size_t i = 0; i < t->n_roots; i++)
		if (t->roots[i]->shown)
			items[n++] = (struct item){t->roots[i], NULL};
	text_walk(items, n, "", flags, out);
}

/* A DOT string: quoted, '"' and '\' escaped, line breaks as DOT's \n. */
static void dot_quote(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '"');
	for (; *s; s++) {
		if (*s == '\n') {
			strbuf_addstr(out, "\\n");
			continue;
		}
		if (*s == '"' || *s == '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, '"');
}

static char *short_id(const char *id, unsigned flags)
{
	struct strbuf sb = STRBUF_INIT;

	add_id(&sb, id, flags);
	return strbuf_detach(&sb);
}

/* The edge from parent (or the invisible base) to id, and id's attributes. */
static void dot_node(struct strbuf *out, const char *parent, const char *id, long long size,
		     long long virtual_size, const struct store_image *img)
{
	struct strbuf label = STRBUF_INIT;

	strbuf_addch(out, ' ');
	if (parent)
		dot_quote(out, parent);
	else
		strbuf_addstr(out, "base");
	strbuf_addstr(out, " -> ");
	dot_quote(out, id);
	strbuf_addstr(out, parent ? "\n" : " [style=invis]\n");
	strbuf_addf(&label, "%s\n", id);
	add_sizes(&label, size, virtual_size);
	if (img) {
		strbuf_addch(&label, '\n');
		add_tags(&label, img, "\n");
	}
	strbuf_addch(out, ' ');
	dot_quote(out, id);
	strbuf_addstr(out, " [label=");
	dot_quote(out, label.buf);
	strbuf_release(&label);
	if (!img)
		strbuf_addstr(out, "];\n");
	else if (img->tags && img->tags[0])
		strbuf_addstr(
			out, ",shape=box,fillcolor=\"paleturquoise\",style=\"filled,rounded\"];\n");
	else
		strbuf_addstr(out, ",shape=box,style=\"rounded\"];\n");
}

static void dot_walk(const struct image_tree_node *n, unsigned flags, struct strbuf *out)
{
	_cleanup_free_ char *id = short_id(node_id(n), flags);
	_cleanup_free_ char *parent = n->parent ? short_id(node_id(n->parent), flags) : NULL;

	dot_node(out, parent, id, n->size, n->virtual_size, n->n_images == 1 ? n->images[0] : NULL);
	for (size_t i = 0; n->n_images > 1 && i < n->n_images; i++) {
		_cleanup_free_ char *img = short_id(n->images[i]->id, flags);
		dot_node(out, id, img, 0, n->virtual_size, n->images[i]);
	}
	for (size_t i = 0; i < n->n_children; i++)
		if (n->children[i]->shown)
			dot_walk(n->children[i], flags, out);
}

void image_tree_format_dot(const struct image_tree *t, unsigned flags, struct strbuf *out)
{
	strbuf_addstr(out, "digraph docker {\n");
	for (size_t i = 0; i < t->n_roots; i++)
		if (t->roots[i]->shown)
			dot_walk(t->roots[i], flags, out);
	strbuf_addstr(out, " base [style=invis]\n}\n");
}
