/* The Dockerfile of an image, rebuilt from its history and config (see tree.h). */
#include <ctype.h>

#include "image/image.h"
#include "image/ref.h"
#include "image/tree.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/strutil.h"

#define NOP_PREFIX   "/bin/sh -c #(nop)"
#define SHELL_PREFIX "/bin/sh -c "
#define BUILDKIT_TAG " # buildkit"
#define BUILDKIT_MSG "buildkit.dockerfile.v0"

struct dockerfile {
	struct strbuf *out;
	json_t *sim;		/* {"config": the FROM image's config plus what was emitted} */
	const json_t *diff_ids; /* rootfs.diff_ids */
	size_t layer;		/* index in diff_ids of the next entry that adds a layer */
};

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static bool layers_prefix(char *const *a, char *const *b)
{
	size_t i;

	for (i = 0; a && a[i]; i++)
		if (!b || !b[i] || strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static size_t history_len(const json_t *cfg)
{
	return json_array_size(json_object_get(cfg, "history"));
}

static bool history_prefix(const json_t *a, const json_t *b)
{
	const json_t *ha = json_object_get(a, "history"), *hb = json_object_get(b, "history");

	if (json_array_size(ha) > json_array_size(hb))
		return false;
	for (size_t i = 0; i < json_array_size(ha); i++)
		if (!json_equal(json_array_get(ha, i), json_array_get(hb, i)))
			return false;
	return true;
}

/*
 * The nearest tagged ancestor of img (its layers and history a prefix of
 * img's, one of them a proper one); *cfg gets its parsed config.
 */
static const struct store_image *find_from(const struct store_image *img, const json_t *img_cfg,
					   struct store_image *const *images, json_t **cfg)
{
	const struct store_image *best = NULL;
	size_t img_layers = strv_len(img->layers), img_hist = history_len(img_cfg);
	size_t best_hist = 0, best_layers = 0;

	for (size_t i = 0; images && images[i]; i++) {
		const struct store_image *a = images[i];
		size_t nl = strv_len(a->layers), nh;
		json_t *c;

		if (strcmp(a->id, img->id) == 0 || !a->tags || !a->tags[0] ||
		    !layers_prefix(a->layers, img->layers))
			continue;
		c = json_loads(a->config, 0, NULL);
		nh = history_len(c);
		if (!c || (nl == 0 && nh == 0) || (nl == img_layers && nh >= img_hist) ||
		    !history_prefix(c, img_cfg) ||
		    (best && (nh < best_hist || (nh == best_hist && nl <= best_layers)))) {
			json_decref(c);
			continue;
		}
		json_decref(*cfg);
		*cfg = c;
		best = a;
		best_hist = nh;
		best_layers = nl;
	}
	return best;
}

/* Appends text without trailing blanks, continuing lines that a newline inside would break. */
static void add_line(struct strbuf *out, const char *text)
{
	size_t n = strlen(text);

	while (n > 0 && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	for (const char *p = text; p < text + n; p++) {
		if (*p == '\n' && p > text && p[-1] != '\\')
			strbuf_addch(out, '\\');
		strbuf_addch(out, *p);
	}
	strbuf_addch(out, '\n');
}

/* "# text", a line of comment per line of text. */
static void add_comment(struct strbuf *out, const char *prefix, const char *text)
{
	strbuf_addf(out, "# %s", prefix);
	for (const char *p = text; *p; p++) {
		strbuf_addch(out, *p);
		if (*p == '\n' && p[1])
			strbuf_addstr(out, "# ");
	}
	if (!*text || text[strlen(text) - 1] != '\n')
		strbuf_addch(out, '\n');
}

static bool is_metadata(const char *inst, size_t n)
{
	static const char *const names[] = {"CMD",	  "ENTRYPOINT", "ENV",	   "LABEL",
					    "EXPOSE",	  "VOLUME",	"WORKDIR", "USER",
					    "STOPSIGNAL", "ONBUILD"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && strncmp(names[i], inst, n) == 0)
			return true;
	return false;
}

/* Emits an instruction and applies what it sets to the simulated config. */
static void emit(struct dockerfile *d, const char *text)
{
	size_t n = strcspn(text, " \t");

	add_line(d->out, text);
	if (is_metadata(text, n))
		image_config_apply_change(d->sim, text, NULL);
}

/*
 * Go's %q of a []string ("[\"cat\" \"/x\"]", classic builds) or %v
 * ("[/data /x]") as a compact JSON array; NULL when s is neither.
 */
static char *go_list_to_json(const char *s)
{
	json_auto_t *arr = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t len = strlen(s);

	if (len < 2 || s[0] != '[' || s[len - 1] != ']')
		return NULL;
	if ((arr = json_loads(s, 0, NULL)) && json_is_array(arr))
		return NULL; /* JSON already */
	strbuf_addch(&sb, '[');
	for (const char *p = s + 1; *(p = skip_space(p)) != ']';) {
		const char *start = p;

		if (sb.len > 1)
			strbuf_addch(&sb, ',');
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p != '"') {
				strbuf_release(&sb);
				return NULL;
			}
			strbuf_add(&sb, start, ++p - start);
		} else {
			json_auto_t *str = NULL;
			_cleanup_free_ char *word = NULL, *quoted = NULL;

			p += strcspn(p, " ]");
			word = xstrndup(start, p - start);
			str = json_string(word);
			quoted = json_dumps(str, JSON_ENCODE_ANY);
			strbuf_addstr(&sb, quoted);
		}
	}
	strbuf_addch(&sb, ']');
	json_decref(arr);
	arr = json_loads(sb.buf, 0, NULL);
	if (!json_is_array(arr)) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb);
}

/* "80/tcp:{} 443/tcp:{}" of EXPOSE map[80/tcp:{} 443/tcp:{}] (older classic builds). */
static char *expose_map(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (const char *p = s + 4; *(p = skip_space(p)) && *p != ']';) {
		size_t n = strcspn(p, ": ]");

		if (sb.len)
			strbuf_addch(&sb, ' ');
		strbuf_add(&sb, p, n);
		p += n;
		p += strcspn(p, " ]");
	}
	return strbuf_detach(&sb);
}

/* "file:<hash>", "dir:<hash>", "multi:<hash>": what the classic builder's ADD and COPY name. */
static bool classic_source(const char *args)
{
	return str_has_prefix(args, "file:") || str_has_prefix(args, "dir:") ||
	       str_has_prefix(args, "multi:");
}

/* A classic builder's #(nop) instruction, or BuildKit's, in Dockerfile syntax. */
static void emit_instruction(struct dockerfile *d, const char *text)
{
	size_t n = strcspn(text, " \t");
	_cleanup_free_ char *inst = xstrndup(text, n), *fixed = NULL, *list = NULL;
	const char *args = skip_space(text + n);
	const char *in;

	if (strcmp(inst, "HEALTHCHECK") == 0 && strstr(args, "&{")) {
		add_comment(d->out, "", text); /* a Go struct: no Dockerfile syntax left */
		return;
	}
	if ((strcmp(inst, "COPY") == 0 || strcmp(inst, "ADD") == 0) && classic_source(args) &&
	    (in = strstr(args, " in ")))
		fixed = xasprintf("%s %.*s %s", inst, (int)(in - args), args, in + 4);
	else if (strcmp(inst, "EXPOSE") == 0 && str_has_prefix(args, "map[") &&
		 (list = expose_map(args)))
		fixed = xasprintf("EXPOSE %s", list);
	else if (strcmp(inst, "VOLUME") == 0 && (list = go_list_to_json(args)))
		fixed = xasprintf("VOLUME %s", list);
	else if ((strcmp(inst, "CMD") == 0 || strcmp(inst, "ENTRYPOINT") == 0 ||
		  strcmp(inst, "SHELL") == 0) &&
		 (list = go_list_to_json(args)))
		fixed = xasprintf("%s %s", inst, list);
	emit(d, fixed ? fixed : text);
}

/*
 * RUN of "|N A=b … /bin/sh -c X" (build arguments first; a value may hold
 * blanks, so the shell is looked for before the count is trusted) or of
 * "/bin/sh -c X": RUN X. Anything else is run as it is.
 */
static void emit_run(struct dockerfile *d, const char *cmd)
{
	_cleanup_free_ char *line = NULL;
	const char *sh;
	char *end;

	cmd = skip_space(cmd);
	if (cmd[0] == '|' && isdigit((unsigned char)cmd[1])) {
		long nargs = strtol(cmd + 1, &end, 10);

		if ((sh = strstr(end, " " SHELL_PREFIX))) {
			cmd = sh + 1;
		} else {
			for (cmd = end; nargs-- > 0;) {
				cmd = skip_space(cmd);
				cmd += strcspn(cmd, " \t");
			}
		}
		cmd = skip_space(cmd);
	}
	if (str_has_prefix(cmd, SHELL_PREFIX))
		cmd = skip_space(cmd + strlen(SHELL_PREFIX));
	line = xasprintf("RUN %s", cmd);
	add_line(d->out, line);
}

static bool is_keyword(const char *s)
{
	static const char *const names[] = {
		"ADD",	  "ARG",	 "CMD",	  "COPY",	"ENTRYPOINT", "ENV",
		"EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",    "RUN",
		"SHELL",  "STOPSIGNAL",	 "USER",  "VOLUME",	"WORKDIR",
	};
	size_t n = strcspn(s, " ");

	for (size_t i = 0; s[n] == ' ' && i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && strncmp(names[i], s, n) == 0)
			return true;
	return false;
}

/* A history entry without created_by: an import (adds the layer) or a bare comment. */
static void emit_unnamed(struct dockerfile *d, const char *comment, bool adds_layer)
{
	const char *diff_id = json_string_value(json_array_get(d->diff_ids, d->layer));

	if (comment && *comment)
		add_comment(d->out, "", comment);
	if (adds_layer)
		strbuf_addf(d->out, "ADD file:%.12s /\n",
			    diff_id ? digest_hex(diff_id) : "<missing>");
}

static void emit_entry(struct dockerfile *d, const json_t *entry)
{
	const char *cb = json_get_str(entry, "created_by");
	const char *comment = json_get_str(entry, "comment");
	bool adds_layer = !json_is_true(json_object_get(entry, "empty_layer"));
	bool commit = comment && *comment && strcmp(comment, BUILDKIT_MSG) != 0;

	cb = cb ? skip_space(cb) : "";
	if (!*cb) {
		emit_unnamed(d, comment, adds_layer);
	} else if (str_has_prefix(cb, NOP_PREFIX)) {
		emit_instruction(d, skip_space(cb + strlen(NOP_PREFIX)));
	} else if (is_keyword(cb)) {
		size_t n = strlen(cb);
		_cleanup_free_ char *text = str_has_suffix(cb, BUILDKIT_TAG)
						    ? xstrndup(cb, n - strlen(BUILDKIT_TAG))
						    : xstrdup(cb);
		if (str_has_prefix(text, "RUN "))
			emit_run(d, text + 4);
		else
			emit_instruction(d, text);
	} else if (str_has_prefix(cb, SHELL_PREFIX) || cb[0] == '|') {
		if (commit)
			add_comment(d->out, "commit: ", comment);
		emit_run(d, cb);
	} else {
		/* a commit records the container's command, not a shell form */
		_cleanup_free_ char *line = xasprintf("RUN %s", cb);

		if (commit)
			add_comment(d->out, "commit: ", comment);
		else
			strbuf_addstr(d->out, "# commit\n");
		add_line(d->out, line);
	}
	if (adds_layer)
		d->layer++;
}

/* Appends v as a Dockerfile word: as it is when plain, else double-quoted with \ escapes. */
static void add_word(struct strbuf *out, const char *v, const char *specials, bool quote)
{
	for (const char *p = v; !quote && *p; p++)
		quote = isspace((unsigned char)*p) || strchr(specials, *p);
	if (!quote && *v) {
		strbuf_addstr(out, v);
		return;
	}
	strbuf_addch(out, '"');
	for (const char *p = v; *p; p++) {
		if (strchr("\"\\$", *p))
			strbuf_addch(out, '\\');
		strbuf_addch(out, *p);
	}
	strbuf_addch(out, '"');
}

static bool array_has(const json_t *arr, const json_t *v)
{
	size_t i;
	json_t *x;

	json_array_foreach(arr, i, x)
	{
		if (json_equal(x, v))
			return true;
	}
	return false;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of want that have does not have (or has with another value), sorted. */
static const char **new_keys(const json_t *want, const json_t *have, size_t *n)
{
	const char **keys = xcalloc(json_object_size(want) + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	*n = 0;
	json_object_foreach((json_t *)want, k, v)
	{
		if (!json_equal(v, json_object_get(have, k)))
			keys[(*n)++] = k;
	}
	sort_array(keys, *n, sizeof(*keys), key_cmp);
	return keys;
}

static void emit_buf(struct dockerfile *d, struct strbuf *line)
{
	emit(d, line->buf);
	strbuf_release(line);
}

static void diff_env(struct dockerfile *d, const json_t *want, const json_t *have)
{
	const json_t *env = json_object_get(want, "Env");
	size_t i;
	json_t *v;

	json_array_foreach(env, i, v)
	{
		const char *e = json_string_value(v), *eq;
		struct strbuf line = STRBUF_INIT;

		if (!e || array_has(json_object_get(have, "Env"), v))
			continue;
		eq = strchr(e, '=');
		strbuf_addstr(&line, "ENV ");
		strbuf_add(&line, e, eq ? (size_t)(eq - e) : strlen(e));
		strbuf_addch(&line, '=');
		add_word(&line, eq ? eq + 1 : "", "\"'\\$", false);
		emit_buf(d, &line);
	}
}

static void diff_labels(struct dockerfile *d, const json_t *want, const json_t *have)
{
	const json_t *labels = json_object_get(want, "Labels");
	size_t n;
	_cleanup_free_ const char **keys = new_keys(labels, json_object_get(have, "Labels"), &n);

	for (size_t i = 0; i < n; i++) {
		struct strbuf line = STRBUF_INIT;
		const char *v = json_string_value(json_object_get(labels, keys[i]));

		strbuf_addstr(&line, "LABEL ");
		add_word(&line, keys[i], "\"'\\$=", false);
		strbuf_addch(&line, '=');
		add_word(&line, v ? v : "", "", true);
		emit_buf(d, &line);
	}
}

/* EXPOSE and VOLUME: the keys of the set (an object) that are new. */
static void diff_set(struct dockerfile *d, const json_t *want, const json_t *have,
		     const char *field)
{
	bool volume = strcmp(field, "Volumes") == 0;
	const json_t *have_set = json_object_get(have, field);
	size_t n, k = 0;
	_cleanup_free_ const char **keys = new_keys(json_object_get(want, field), have_set, &n);
	json_auto_t *list = json_array();
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < n; i++)
		if (!json_object_get(have_set, keys[i]))
			keys[k++] = keys[i];
	if (k == 0)
		return;
	strbuf_addstr(&line, volume ? "VOLUME " : "EXPOSE");
	for (size_t i = 0; i < k; i++) {
		if (volume)
			json_array_append_new(list, json_string(keys[i]));
		else
			strbuf_addf(&line, " %s", keys[i]);
	}
	if (volume) {
		_cleanup_free_ char *text = json_compact(list);
		strbuf_addstr(&line, text);
	}
	emit_buf(d, &line);
}

static void diff_string(struct dockerfile *d, const json_t *want, const json_t *have,
			const char *field, const char *inst)
{
	const char *w = json_get_str(want, field), *h = json_get_str(have, field);
	_cleanup_free_ char *line = NULL;

	if (!w || !*w || (h && strcmp(w, h) == 0))
		return;
	line = xasprintf("%s %s", inst, w);
	emit(d, line);
}

static void diff_onbuild(struct dockerfile *d, const json_t *want, const json_t *have)
{
	const json_t *ob = json_object_get(want, "OnBuild");
	size_t i;
	json_t *v;

	json_array_foreach(ob, i, v)
	{
		_cleanup_free_ char *line = NULL;

		if (!json_is_string(v) || array_has(json_object_get(have, "OnBuild"), v))
			continue;
		line = xasprintf("ONBUILD %s", json_string_value(v));
		emit(d, line);
	}
}

/* CMD and ENTRYPOINT in exec form, as compact JSON. */
static void diff_command(struct dockerfile *d, const json_t *want, const json_t *have,
			 const char *field, const char *inst)
{
	const json_t *w = json_object_get(want, field);
	_cleanup_free_ char *text = NULL, *line = NULL;

	if (!json_is_array(w) || json_equal(w, json_object_get(have, field)))
		return;
	text = json_compact(w);
	line = xasprintf("%s %s", inst, text);
	emit(d, line);
}

/* Instructions for what the config has and the emitted ones did not set. */
static void diff_config(struct dockerfile *d, const json_t *want)
{
	const json_t *have = json_object_get(d->sim, "config");

	if (!json_is_object(want))
		return;
	diff_env(d, want, have);
	diff_labels(d, want, have);
	diff_set(d, want, have, "ExposedPorts");
	diff_set(d, want, have, "Volumes");
	diff_string(d, want, have, "WorkingDir", "WORKDIR");
	diff_string(d, want, have, "User", "USER");
	diff_string(d, want, have, "StopSignal", "STOPSIGNAL");
	diff_onbuild(d, want, have);
	diff_command(d, want, have, "Entrypoint", "ENTRYPOINT");
	diff_command(d, want, have, "Cmd", "CMD");
}

static void emit_from(struct strbuf *out, const struct store_image *from)
{
	_cleanup_(image_ref_freep) struct image_ref *r = NULL;
	_cleanup_free_ char *fam = NULL;

	if (!from) {
		strbuf_addstr(out, "FROM scratch\n");
		return;
	}
	r = image_ref_parse(from->tags[0], NULL);
	fam = r ? image_ref_familiar(r) : xstrdup(from->tags[0]);
	strbuf_addf(out, "FROM %s\n", fam);
}

/* The first history entry after the n_layers layers of the FROM image (with no history). */
static size_t skip_layers(const json_t *history, size_t n_layers)
{
	size_t i;

	for (i = 0; i < json_array_size(history) && n_layers > 0; i++)
		if (!json_is_true(json_object_get(json_array_get(history, i), "empty_layer")))
			n_layers--;
	return i;
}

int image_dockerfile(const struct store_image *img, struct store_image *const *images,
		     struct strbuf *out, struct berth_error **err)
{
	json_auto_t *cfg = NULL, *from_cfg = NULL, *sim = NULL;
	const struct store_image *from;
	struct dockerfile d = {.out = out};
	const json_t *history, *base;
	size_t start = 0;

	cfg = json_parse(img->config, strlen(img->config), "image config", err);
	if (!cfg)
		return berth_error_wrap(err, "image '%s'", img->id);
	history = json_object_get(cfg, "history");
	from = find_from(img, cfg, images, &from_cfg);
	emit_from(out, from);
	base = from ? json_object_get(from_cfg, "config") : NULL;
	sim = json_object();
	json_object_set_new(sim, "config",
			    json_is_object(base) ? json_deep_copy(base)
						 : image_container_config_new());
	d.sim = sim;
	d.diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	d.layer = from ? strv_len(from->layers) : 0;
	if (from)
		start = history_len(from_cfg) ? history_len(from_cfg)
					      : skip_layers(history, d.layer);
	if (json_array_size(history) == 0)
		for (; d.layer < json_array_size(d.diff_ids); d.layer++)
			emit_unnamed(&d, NULL, true);
	for (size_t i = start; i < json_array_size(history); i++)
		emit_entry(&d, json_array_get(history, i));
	diff_config(&d, json_object_get(cfg, "config"));
	return 0;
}
