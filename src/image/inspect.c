/* docker inspect of an image: Docker's JSON shape from the stored config. */
#include "image/image.h"
#include "image/ref.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/timeutil.h"

static json_t *repo_tags(const struct store_image *img)
{
	json_t *a = json_array();

	for (size_t i = 0; img->tags && img->tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *r =
			image_ref_parse(img->tags[i], NULL);
		_cleanup_free_ char *fam = r ? image_ref_familiar(r) : xstrdup(img->tags[i]);
		json_array_append_new(a, json_string(fam));
	}
	return a;
}

static json_t *field_or(const json_t *obj, const char *key, json_t *fallback)
{
	json_t *v = json_object_get(obj, key);

	if (v) {
		json_decref(fallback);
		return json_incref(v);
	}
	return fallback;
}

json_t *image_inspect(struct store *s, const struct store_image *img, struct berth_error **err)
{
	json_auto_t *cfg = json_parse(img->config, strlen(img->config), "image config", err);
	struct strbuf lower = STRBUF_INIT;
	json_t *out;

	if (!cfg)
		return NULL;
	for (size_t n = strv_len(img->layers); n > 0; n--) {
		_cleanup_free_ char *l = image_layer_dir(s, img->layers[n - 1]);
		strbuf_addf(&lower, "%s%s", lower.len ? ":" : "", l);
	}
	out = json_pack(
		"{s:s, s:o, s:[], s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I,"
		" s:{s:{s:s}, s:s}, s:{s:s, s:O}}",
		"Id", img->id, "RepoTags", repo_tags(img), "RepoDigests", "Parent", "", "Comment",
		field_or(cfg, "comment", json_string("")), "Created",
		field_or(cfg, "created", json_string("0001-01-01T00:00:00Z")), "Container", "",
		"ContainerConfig", field_or(cfg, "container_config", image_container_config_new()),
		"DockerVersion", field_or(cfg, "docker_version", json_string("")), "Author",
		field_or(cfg, "author", json_string("")), "Config",
		field_or(cfg, "config", image_container_config_new()), "Architecture",
		field_or(cfg, "architecture", json_string("amd64")), "Os",
		field_or(cfg, "os", json_string("linux")), "Size", (json_int_t)img->size,
		"VirtualSize", (json_int_t)img->size, "GraphDriver", "Data", "LowerDir",
		lower.buf ? lower.buf : "", "Name", "overlay2", "RootFS", "Type", "layers",
		"Layers", json_object_get(json_object_get(cfg, "rootfs"), "diff_ids"));
	strbuf_release(&lower);
	if (!out)
		berth_error_set(err, 0, "inspect %s: a malformed image config", img->id);
	return out;
}
