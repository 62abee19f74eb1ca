/*
 * What `images` lists, with Docker's filters, and what the images take on
 * disk (`system df`), shared layers counted once.
 */
#define LOG_DOMAIN "image"
#include <fnmatch.h>

#include "image/image.h"
#include "image/ref.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"

bool image_is_parent_of(const struct store_image *a, const struct store_image *b)
{
	size_t i;

	for (i = 0; a->layers[i]; i++)
		if (!b->layers[i] || strcmp(a->layers[i], b->layers[i]) != 0)
			return false;
	return b->layers[i] != NULL;
}

/* Has some other image of the list been made on img? */
static bool has_children(struct store_image *const *all, const struct store_image *img)
{
	for (size_t i = 0; all[i]; i++)
		if (all[i] != img && image_is_parent_of(img, all[i]))
			return true;
	return false;
}

/* Docker's invalidFilter: "invalid filter 'dangling=[x y]'". */
static int invalid_filter(const char *key, const json_t *values, struct berth_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	const json_t *v;
	size_t i;
	int r;

	json_array_foreach(values, i, v)
	{
		strbuf_addf(&sb, "%s%s", i ? " " : "",
			    json_is_string(v) ? json_string_value(v) : "");
	}
	r = berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid filter '%s=[%s]'", key,
			     sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return r;
}

static bool has_value(const json_t *values, const char *want)
{
	const json_t *v;
	size_t i;

	json_array_foreach(values, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return true;
	}
	return false;
}

/* The filters of one listing, checked and resolved. */
struct list_filters {
	const json_t *dangling, *reference, *label;
	bool dangling_only;
	int64_t before, since; /* creation times of the named images; 0 when not given */
};

/* A before= or since= bound: the creation time of each named image, the tightest kept. */
static int resolve_bound(struct store *s, const json_t *values, bool before, int64_t *bound,
			 struct berth_error **err)
{
	const json_t *v;
	size_t i;

	json_array_foreach(values, i, v)
	{
		_cleanup_(store_image_freep) struct store_image *img =
			image_lookup(s, json_is_string(v) ? json_string_value(v) : "", err);
		if (!img)
			return -1;
		if (!*bound || (before ? img->created < *bound : img->created > *bound))
			*bound = img->created;
	}
	return 0;
}

static int parse_filters(struct store *s, const json_t *filters, struct list_filters *f,
			 struct berth_error **err)
{
	static const char *const keys[] = {"dangling", "label", "before", "since", "reference"};
	const char *key;
	json_t *values;

	*f = (struct list_filters){0};
	json_object_foreach((json_t *)filters, key, values)
	{
		bool known = false;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
			known |= strcmp(key, keys[i]) == 0;
		if (!known)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid filter '%s'",
						key);
	}
	f->dangling = json_object_get(filters, "dangling");
	f->reference = json_object_get(filters, "reference");
	f->label = json_object_get(filters, "label");
	if (f->dangling) {
		f->dangling_only = has_value(f->dangling, "true");
		if (!f->dangling_only && !has_value(f->dangling, "false"))
			return invalid_filter("dangling", f->dangling, err);
	}
	if (resolve_bound(s, json_object_get(filters, "before"), true, &f->before, err) < 0 ||
	    resolve_bound(s, json_object_get(filters, "since"), false, &f->since, err) < 0)
		return -1;
	return 0;
}

/* label=KEY or label=KEY=VALUE: as Docker's MatchKVList, every one must hold. */
static bool labels_match(const struct store_image *img, const json_t *want)
{
	json_auto_t *cfg = json_loads(img->config, 0, NULL);
	const json_t *labels = json_object_get(json_object_get(cfg, "config"), "Labels");
	const json_t *v;
	size_t i;

	if (!json_object_size(labels))
		return false;
	json_array_foreach(want, i, v)
	{
		const char *w = json_is_string(v) ? json_string_value(v) : "", *eq = strchr(w, '=');
		_cleanup_free_ char *key = eq ? xstrndup(w, (size_t)(eq - w)) : xstrdup(w);
		const char *have = json_get_str(labels, key);
		if (!have || (eq && strcmp(have, eq + 1) != 0))
			return false;
	}
	return true;
}

/*
 * A reference pattern against a tag: Docker's FamiliarMatch (a path.Match glob
 * on "busybox:latest", then on "busybox"), and a pattern that names the
 * repository (and tag) in full ("docker.io/library/busybox") the same way.
 */
static bool reference_matches(const char *pattern, const char *tag)
{
	_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(tag, NULL);
	_cleanup_(image_ref_freep) struct image_ref *want = NULL;
	_cleanup_free_ char *fam = NULL, *name = NULL;
	const char *slash = strrchr(pattern, '/'), *colon = strrchr(pattern, ':');
	bool tag_given = colon && (!slash || colon > slash);

	if (!r)
		return false;
	fam = image_ref_familiar(r);
	name = image_ref_familiar_name(r);
	if (fnmatch(pattern, fam, FNM_PATHNAME) == 0 || fnmatch(pattern, name, FNM_PATHNAME) == 0)
		return true;
	want = image_ref_parse(pattern, NULL);
	return want && strcmp(want->domain, r->domain) == 0 && strcmp(want->path, r->path) == 0 &&
	       (!tag_given || (r->tag && want->tag && strcmp(want->tag, r->tag) == 0));
}

/* Keeps the tags of img a reference filter lets through. */
static void filter_tags(struct store_image *img, const json_t *patterns)
{
	size_t n = 0;

	for (size_t i = 0; img->tags[i]; i++) {
		bool keep = false;
		const json_t *v;
		size_t j;

		json_array_foreach(patterns, j, v)
		{
			keep |= json_is_string(v) &&
				reference_matches(json_string_value(v), img->tags[i]);
		}
		if (keep)
			img->tags[n++] = img->tags[i];
		else
			free(img->tags[i]);
	}
	img->tags[n] = NULL;
}

/* Does the listing show img (its tags already filtered), as Docker's daemon decides? */
static bool shown(const struct list_filters *f, bool all, bool children,
		  const struct store_image *img)
{
	if (f->before && img->created >= f->before)
		return false;
	if (f->since && img->created <= f->since)
		return false;
	if (f->label && !labels_match(img, f->label))
		return false;
	if (img->tags[0])
		return !f->dangling_only;
	/*
	 * Untagged (or no tag the reference filter lets through): intermediate
	 * images only with all, and never with dangling=true (Docker lists the
	 * heads then); none with dangling=false or a reference filter.
	 */
	if (children && (!all || f->dangling_only))
		return false;
	return !f->reference && (f->dangling_only || !f->dangling);
}

int image_list(struct store *s, bool all, const json_t *filters, struct store_image ***out,
	       struct berth_error **err)
{
	struct list_filters f;
	struct store_image **v = NULL;
	bool *children;
	size_t n = 0, k = 0;

	if (parse_filters(s, filters, &f, err) < 0 || store_image_list(s, &v, err) < 0)
		return -1;
	n = strv_len((char **)v);
	/* children first: filtering tags does not change the layers */
	children = xcalloc(n + 1, sizeof(bool));
	for (size_t i = 0; i < n; i++)
		children[i] = has_children(v, v[i]);
	for (size_t i = 0; i < n; i++) {
		if (f.reference)
			filter_tags(v[i], f.reference);
		if (shown(&f, all, children[i], v[i]))
			v[k++] = v[i];
		else
			store_image_free(v[i]);
	}
	v[k] = NULL;
	free(children);
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- disk usage */

/* A layer of some image: its size, how many listed images have it, whether in use. */
struct du_layer {
	const char *chain_id; /* borrowed from the image list */
	long long size;
	int refs;
	bool used;
};

static int compare_layers(const void *a, const void *b)
{
	return strcmp(((const struct du_layer *)a)->chain_id,
		      ((const struct du_layer *)b)->chain_id);
}

static struct du_layer *find_layer(struct du_layer *layers, size_t n, const char *chain_id)
{
	struct du_layer key = {.chain_id = chain_id};

	return bsearch(&key, layers, n, sizeof(*layers), compare_layers);
}

/* Every layer of every image once, sorted by chain ID, with its size from the store. */
static struct du_layer *collect_layers(struct store *s, struct store_image *const *all, size_t *n)
{
	struct du_layer *v = NULL;
	size_t len = 0, k = 0;

	for (size_t i = 0; all[i]; i++)
		for (size_t j = 0; all[i]->layers[j]; j++) {
			v = xrealloc(v, (len + 1) * sizeof(*v));
			v[len++] = (struct du_layer){.chain_id = all[i]->layers[j]};
		}
	if (len)
		sort_array(v, len, sizeof(*v), compare_layers);
	for (size_t i = 0; i < len; i++) {
		if (k && strcmp(v[k - 1].chain_id, v[i].chain_id) == 0)
			continue;
		v[k] = v[i];
		if (store_layer_size(s, v[k].chain_id, &v[k].size) < 0)
			v[k].size = 0;
		k++;
	}
	*n = k;
	return v;
}

/* The containers of each image, and the layers of images containers use marked. */
static int count_containers(struct store *s, struct store_image *const *all,
			    struct du_layer *layers, size_t nl, int *users,
			    struct berth_error **err)
{
	struct store_container **list = NULL;

	if (store_container_list(s, &list, err) < 0)
		return -1;
	for (size_t c = 0; list[c]; c++)
		for (size_t i = 0; all[i]; i++) {
			if (strcmp(all[i]->id, list[c]->image_id) != 0)
				continue;
			users[i]++;
			for (size_t j = 0; all[i]->layers[j]; j++)
				find_layer(layers, nl, all[i]->layers[j])->used = true; /* all's */
		}
	store_container_list_free(list);
	return 0;
}

/* Fills du->images from the listed images, and the totals. */
static void usage_of_listed(struct image_disk_usage *du, struct store_image *const *all,
			    const int *users, struct du_layer *layers, size_t nl)
{
	/* the listing was read apart from all: an image added between has no layers here */
	for (size_t i = 0; i < du->n; i++)
		for (size_t j = 0; du->images[i].img->layers[j]; j++) {
			struct du_layer *l = find_layer(layers, nl, du->images[i].img->layers[j]);
			if (l)
				l->refs++;
		}
	for (size_t i = 0; i < du->n; i++) {
		struct image_usage *u = &du->images[i];
		for (size_t j = 0; u->img->layers[j]; j++) {
			struct du_layer *l = find_layer(layers, nl, u->img->layers[j]);
			if (l && l->refs > 1)
				u->shared += l->size;
		}
		for (size_t a = 0; all[a]; a++)
			if (strcmp(all[a]->id, u->img->id) == 0)
				u->containers = users[a];
		du->active += u->containers > 0;
	}
	for (size_t i = 0; i < nl; i++) {
		du->size += layers[i].size;
		if (!layers[i].used)
			du->reclaimable += layers[i].size;
	}
}

int image_disk_usage(struct store *s, struct image_disk_usage *du, struct berth_error **err)
{
	struct store_image **all = NULL, **listed = NULL;
	struct du_layer *layers = NULL;
	int *users = NULL;
	size_t nl = 0;
	int r = -1;

	*du = (struct image_disk_usage){0};
	if (store_image_list(s, &all, err) < 0)
		return -1;
	if (image_list(s, false, NULL, &listed, err) < 0)
		goto out;
	layers = collect_layers(s, all, &nl);
	users = xcalloc(strv_len((char **)all) + 1, sizeof(int));
	if (count_containers(s, all, layers, nl, users, err) < 0)
		goto out;
	du->n = strv_len((char **)listed);
	du->images = xcalloc(du->n + 1, sizeof(*du->images));
	for (size_t i = 0; i < du->n; i++)
		du->images[i].img = steal_ptr(&listed[i]);
	usage_of_listed(du, all, users, layers, nl);
	r = 0;
out:
	store_image_list_free(listed);
	store_image_list_free(all);
	free(layers);
	free(users);
	return r;
}

void image_disk_usage_release(struct image_disk_usage *du)
{
	for (size_t i = 0; i < du->n; i++)
		store_image_free(du->images[i].img);
	free(du->images);
	*du = (struct image_disk_usage){0};
}
