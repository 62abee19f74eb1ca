/*
 * berth system check (see check.h). Three passes: the temporary names of
 * writers that are gone; the hash of every blob (without the lock, as it may
 * take long); then, under the exclusive write lock, the images, the layers
 * and what nothing refers to. What a writer that takes no lock may remove
 * meanwhile is looked up again in the store before it is called missing.
 */
#define LOG_DOMAIN "check"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "image/check.h"
#include "image/layer.h"
#include "image/ref.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define HASH_CHUNK    (1 << 20)
#define MARKER_PREFIX "out-"
#define EXPORT_PREFIX "export-"
#define LOCK_FILE     "images.lock"

struct check_ctx {
	struct store *s;
	const struct image_check_opts *o;
	struct image_check_result *res;
	struct store_image **images;
	struct store_layer **layers; /* sorted by chain ID */
	size_t n_layers;
	char **corrupt; /* blobs whose content hashed to another digest */
};

static void check_ctx_release(struct check_ctx *c)
{
	store_image_list_free(c->images);
	store_layer_list_free(c->layers);
	strv_free(c->corrupt);
}

static void report(struct check_ctx *c, enum image_check_severity sev, const char *fmt, ...)
	_printf_(3, 4);
static void report(struct check_ctx *c, enum image_check_severity sev, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (sev == IMAGE_CHECK_REMOVED)
		c->res->removed++;
	else if (sev == IMAGE_CHECK_REPAIRED)
		c->res->repaired++;
	else if (sev == IMAGE_CHECK_ERROR)
		c->res->errors++;
	if (c->o->report)
		c->o->report(c->o->userdata, sev, msg);
}

static bool pid_gone(long pid)
{
	return pid > 0 && (pid > INT_MAX || (kill((pid_t)pid, 0) < 0 && errno == ESRCH));
}

static bool is_hex_name(const char *name)
{
	return strlen(name) == SHA256_HEX_LEN && str_is_hex(name, SHA256_HEX_LEN);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted; empty when there is no such folder. */
static char **list_dir(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	char **v = xcalloc(1, sizeof(char *));
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strv_push(&v, de->d_name);
	sort_array(v, strv_len(v), sizeof(char *), cmp_str);
	return v;
}

/* Removes a leftover (in a dry run, only reports it) and adds its size to the reclaimed. */
static void remove_leftover(struct check_ctx *c, const char *path, const char *why)
{
	_cleanup_error_ struct berth_error *e = NULL;
	struct stat st;
	long long size;

	if (lstat(path, &st) < 0)
		return; /* gone meanwhile */
	size = S_ISDIR(st.st_mode) ? fs_tree_size(path) : st.st_size;
	if (!c->o->dry_run && fs_rm_rf(path, &e) < 0) {
		report(c, IMAGE_CHECK_ERROR, "cannot remove '%s' (%s): %s", path, why, e->msg);
		return;
	}
	c->res->reclaimed += size;
	report(c, IMAGE_CHECK_REMOVED, "'%s': %s", path, why);
}

/* ---------------------------------------------------------------- leftovers */

/*
 * A temporary name of dir ("tmp-<pid>-…", "NAME.tmp-<pid>", "<pid>-NAME"):
 * removed when its writer is gone. False when name is not one.
 */
static bool check_temp_name(struct check_ctx *c, const char *dir, const char *name)
{
	long pid = fs_temp_owner(name);
	_cleanup_free_ char *path = NULL, *why = NULL;

	if (pid <= 0)
		return false;
	if (!pid_gone(pid))
		return true; /* its writer is at work */
	path = xasprintf("%s/%s", dir, name);
	why = xasprintf("left by process %ld, which is gone", pid);
	remove_leftover(c, path, why);
	return true;
}

static void check_temps(struct check_ctx *c, const char *dir)
{
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++)
		check_temp_name(c, dir, names[i]);
}

/* Everything in the trash goes, unless the process that put it there is still removing it. */
static void check_trash(struct check_ctx *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/trash", c->s->root);
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = NULL;

		if (check_temp_name(c, dir, names[i]))
			continue;
		path = xasprintf("%s/%s", dir, names[i]);
		remove_leftover(c, path, "in the trash");
	}
}

/* Is path a temporary name that process pid chose beside an output ("/….NAME.tmp-<pid>-…")? */
static bool is_output_temp(const char *path, long pid)
{
	_cleanup_free_ char *tag = xasprintf(".tmp-%ld-", pid);
	const char *base = strrchr(path, '/');
	struct stat st;

	if (path[0] != '/' || !base || base[1] != '.' || !strstr(base, tag) ||
	    strstr(path, "/../") || lstat(path, &st) < 0)
		return false;
	return S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
}

/* A marker of image_tmp_register() in <root>/tmp: the output its dead writer left. */
static void check_marker(struct check_ctx *c, const char *dir, const char *name)
{
	_cleanup_free_ char *marker = xasprintf("%s/%s", dir, name), *target = NULL, *why = NULL;
	char *end;
	long pid = strtol(name + strlen(MARKER_PREFIX), &end, 10);

	if (end == name + strlen(MARKER_PREFIX) || *end != '-') {
		report(c, IMAGE_CHECK_NOTE, "'%s': not a name berth writes, left alone", marker);
		return;
	}
	if (!pid_gone(pid))
		return;
	why = xasprintf("a partial output of process %ld, which is gone", pid);
	target = fs_read_file(marker, NULL, NULL);
	if (target && is_output_temp(target, pid)) {
		remove_leftover(c, target, why);
		if (!c->o->dry_run)
			unlink(marker);
		return;
	}
	if (target && fs_exists(target))
		report(c, IMAGE_CHECK_NOTE,
		       "'%s' (named by '%s'): not a temporary name, left alone", target, marker);
	remove_leftover(c, marker, "the record of a temporary file of a process that is gone");
}

static void check_tmp(struct check_ctx *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/tmp", c->s->root);
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++)
		if (str_has_prefix(names[i], MARKER_PREFIX))
			check_marker(c, dir, names[i]);
		else if (!check_temp_name(c, dir, names[i]))
			report(c, IMAGE_CHECK_NOTE, "'%s/%s': not a name berth writes, left alone",
			       dir, names[i]);
}

/* The run root: export's mount points ("export-<pid>-…") and the seccomp cache's temporaries. */
static void check_runroot(struct check_ctx *c)
{
	_cleanup_free_ char *seccomp = xasprintf("%s/seccomp", c->s->runroot);
	_cleanup_strv_ char **names = list_dir(c->s->runroot);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = NULL, *why = NULL;
		long pid;

		if (!str_has_prefix(names[i], EXPORT_PREFIX))
			continue;
		pid = strtol(names[i] + strlen(EXPORT_PREFIX), NULL, 10);
		if (!pid_gone(pid))
			continue;
		path = xasprintf("%s/%s", c->s->runroot, names[i]);
		why = xasprintf("the mount point of an export by process %ld, which is gone", pid);
		remove_leftover(c, path, why);
	}
	check_temps(c, seccomp);
}

static void check_leftovers(struct check_ctx *c)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers", c->s->root);
	_cleanup_free_ char *blobs = xasprintf("%s/blobs/sha256", c->s->root);

	check_temps(c, layers);
	check_temps(c, blobs);
	check_trash(c);
	check_tmp(c);
	check_runroot(c);
}

/* ---------------------------------------------------------------- blobs' digests */

/* The digest of a file's content; -1 with errno when it cannot be read. */
static int hash_file(const char *path, char *buf, char out[SHA256_DIGEST_LEN])
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct sha256_stream *h;
	ssize_t n;

	if (fd < 0)
		return -1;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	h = sha256_stream_new();
	while ((n = read(fd, buf, HASH_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sha256_stream_free(h);
			return -1;
		}
		sha256_stream_update(h, buf, n);
	}
	sha256_stream_finish(h, out);
	return 0;
}

static void hash_blobs(struct check_ctx *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/blobs/sha256", c->s->root);
	_cleanup_free_ char *buf = c->o->quick ? NULL : xmalloc(HASH_CHUNK);
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = NULL, *want = NULL;
		char got[SHA256_DIGEST_LEN];

		if (!is_hex_name(names[i]))
			continue;
		c->res->blobs++;
		if (c->o->quick)
			continue;
		path = xasprintf("%s/%s", dir, names[i]);
		want = xasprintf("sha256:%s", names[i]);
		if (hash_file(path, buf, got) < 0) {
			if (errno != ENOENT) /* else removed meanwhile */
				report(c, IMAGE_CHECK_ERROR, "cannot read blob %s: %s", want,
				       strerror(errno));
			continue;
		}
		if (strcmp(got, want) != 0)
			strv_push(&c->corrupt, want);
	}
}

/*
 * Is blob digest corrupt? Hashed again to be sure (the first hash ran
 * without the lock); actual gets what its content hashes to.
 */
static bool blob_corrupt(struct check_ctx *c, const char *digest, char actual[SHA256_DIGEST_LEN])
{
	_cleanup_free_ char *path = NULL, *buf = NULL;

	for (size_t i = 0; c->corrupt && c->corrupt[i]; i++) {
		if (strcmp(c->corrupt[i], digest) != 0)
			continue;
		path = image_blob_path(c->s, digest);
		buf = xmalloc(HASH_CHUNK);
		return hash_file(path, buf, actual) == 0 && strcmp(actual, digest) != 0;
	}
	return false;
}

/* ---------------------------------------------------------------- images and layers */

static int cmp_layer(const void *a, const void *b)
{
	return strcmp((*(struct store_layer *const *)a)->chain_id,
		      (*(struct store_layer *const *)b)->chain_id);
}

static const struct store_layer *find_layer(struct check_ctx *c, const char *chain_id)
{
	struct store_layer key = {.chain_id = (char *)chain_id}, *kp = &key, **found;

	found = bsearch(&kp, c->layers, c->n_layers, sizeof(*c->layers), cmp_layer);
	return found ? *found : NULL;
}

static int load_store(struct check_ctx *c, struct berth_error **err)
{
	store_image_list_free(steal_ptr(&c->images));
	store_layer_list_free(steal_ptr(&c->layers));
	if (store_image_list(c->s, &c->images, err) < 0 ||
	    store_layer_list(c->s, &c->layers, err) < 0)
		return -1;
	for (c->n_layers = 0; c->layers[c->n_layers]; c->n_layers++)
		;
	sort_array(c->layers, c->n_layers, sizeof(*c->layers), cmp_layer);
	return 0;
}

/* "0123456789ab (busybox:latest, mine:1)": an image as check names it. */
static void add_image_name(struct strbuf *sb, const struct store_image *img)
{
	strbuf_addf(sb, "%.12s", digest_hex(img->id));
	for (size_t i = 0; img->tags[i]; i++) {
		_cleanup_(image_ref_freep) struct image_ref *r =
			image_ref_parse(img->tags[i], NULL);
		_cleanup_free_ char *name = r ? image_ref_familiar(r) : xstrdup(img->tags[i]);

		strbuf_addf(sb, "%s%s", i ? ", " : " (", name);
	}
	if (img->tags[0])
		strbuf_addch(sb, ')');
}

static char *image_name(const struct store_image *img)
{
	struct strbuf sb = STRBUF_INIT;

	add_image_name(&sb, img);
	return strbuf_detach(&sb);
}

/* "image X needs it", "images X, Y need it" or "no image uses it" for a layer. */
static char *layer_users(struct check_ctx *c, const char *chain_id)
{
	struct strbuf sb = STRBUF_INIT;
	_cleanup_free_ char *names = NULL;
	size_t n = 0;

	for (size_t i = 0; c->images[i]; i++)
		for (size_t j = 0; c->images[i]->layers[j]; j++) {
			if (strcmp(c->images[i]->layers[j], chain_id) != 0)
				continue;
			strbuf_addstr(&sb, n++ ? ", " : "");
			add_image_name(&sb, c->images[i]);
			break;
		}
	if (n == 0) {
		strbuf_release(&sb);
		return xstrdup("no image uses it");
	}
	names = strbuf_detach(&sb);
	return xasprintf("image%s %s need%s it", n == 1 ? "" : "s", names, n == 1 ? "s" : "");
}

/* The config blob of an image: there and whole, else rewritten from the store's copy. */
static void check_config_blob(struct check_ctx *c, const struct store_image *img, const char *name,
			      bool text_ok)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *blob = image_blob_path(c->s, img->id);
	char actual[SHA256_DIGEST_LEN];
	const char *what;

	if (!fs_exists(blob))
		what = "missing";
	else if (blob_corrupt(c, img->id, actual))
		what = "corrupt";
	else
		return;
	if (text_ok && (c->o->dry_run ||
			fs_write_atomic(blob, img->config, strlen(img->config), 0600, &e) == 0))
		report(c, IMAGE_CHECK_REPAIRED,
		       "image %s: its config blob was %s; written again from the store", name,
		       what);
	else
		report(c, IMAGE_CHECK_ERROR, "image %s: its config blob is %s%s%s", name, what,
		       e ? ": " : "", e ? e->msg : "");
}

/* Its layers are in the store, and their chain IDs follow from its config's diff IDs. */
static void check_image_layers(struct check_ctx *c, const struct store_image *img, const char *name)
{
	json_auto_t *cfg = json_parse(img->config, strlen(img->config), "image config", NULL);
	json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	size_t n = strv_len(img->layers);
	char chain[SHA256_DIGEST_LEN];

	if (!json_is_array(diff_ids) || json_array_size(diff_ids) != n)
		report(c, IMAGE_CHECK_ERROR, "image %s: its config lists %zu layers, the store %zu",
		       name, json_array_size(diff_ids), n);
	for (size_t i = 0; i < n; i++) {
		const char *diff_id = json_string_value(json_array_get(diff_ids, i));

		if (!find_layer(c, img->layers[i]) && !store_layer_exists(c->s, img->layers[i]))
			report(c, IMAGE_CHECK_ERROR, "image %s: its layer %s is not in the store",
			       name, img->layers[i]);
		if (!diff_id || json_array_size(diff_ids) != n)
			continue;
		image_chain_id(i ? img->layers[i - 1] : NULL, diff_id, chain);
		if (strcmp(chain, img->layers[i]) != 0)
			report(c, IMAGE_CHECK_ERROR,
			       "image %s: its layer %zu is %s, but its config makes it %s", name, i,
			       img->layers[i], chain);
	}
}

static void check_images(struct check_ctx *c)
{
	for (size_t i = 0; c->images[i]; i++) {
		const struct store_image *img = c->images[i];
		_cleanup_free_ char *name = image_name(img);
		char digest[SHA256_DIGEST_LEN];
		bool text_ok;

		sha256_of(img->config, strlen(img->config), digest);
		text_ok = strcmp(digest, img->id) == 0;
		if (!text_ok)
			report(c, IMAGE_CHECK_ERROR,
			       "image %s: its config in the store hashes to %s, not to its ID",
			       name, digest);
		check_config_blob(c, img, name, text_ok);
		check_image_layers(c, img, name);
		c->res->images++;
	}
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A layer of the store: its folder, its blob (whole) and its chain ID. */
static void check_layer(struct check_ctx *c, const struct store_layer *l)
{
	_cleanup_free_ char *dir = image_layer_dir(c->s, l->chain_id);
	_cleanup_free_ char *blob = image_blob_path(c->s, l->diff_id);
	_cleanup_free_ char *users = layer_users(c, l->chain_id);
	char digest[SHA256_DIGEST_LEN];

	/* a layer that is gone from the store meanwhile was removed by rmi */
	if (!is_dir(dir) && store_layer_exists(c->s, l->chain_id))
		report(c, IMAGE_CHECK_ERROR, "layer %s: its folder '%s' is missing; %s",
		       l->chain_id, dir, users);
	if (!fs_exists(blob) && store_layer_exists(c->s, l->chain_id))
		report(c, IMAGE_CHECK_ERROR, "layer %s: its blob %s is missing; %s", l->chain_id,
		       l->diff_id, users);
	else if (blob_corrupt(c, l->diff_id, digest))
		report(c, IMAGE_CHECK_ERROR,
		       "blob %s is corrupt: its content hashes to %s; it is layer %s, and %s",
		       l->diff_id, digest, l->chain_id, users);
	image_chain_id(l->parent, l->diff_id, digest);
	if (strcmp(digest, l->chain_id) != 0)
		report(c, IMAGE_CHECK_ERROR,
		       "layer %s: its parent and diff ID make the chain ID %s; %s", l->chain_id,
		       digest, users);
	c->res->layers++;
}

/* Layers no image uses (a crashed rmi's): their records and folders go; their blobs later. */
static int remove_unused_layers(struct check_ctx *c, struct berth_error **err)
{
	_cleanup_strv_ char **unused = NULL;

	if (store_layer_unused(c->s, &unused, err) < 0)
		return -1;
	for (size_t i = 0; unused[i]; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		_cleanup_free_ char *dir =
			xasprintf("%s/layers/%s", c->s->root, digest_hex(unused[i]));

		if (!c->o->dry_run && store_layer_delete(c->s, unused[i], &e) < 0) {
			report(c, IMAGE_CHECK_ERROR, "cannot remove layer %s: %s", unused[i],
			       e->msg);
			continue;
		}
		c->res->reclaimed += fs_tree_size(dir);
		if (!c->o->dry_run)
			fs_rm_rf(dir, NULL);
		report(c, IMAGE_CHECK_REMOVED, "layer %s: no image uses it", unused[i]);
	}
	return 0;
}

/* The short names of layers/l (image_layer_link()) whose layer is gone. */
static void check_layer_links(struct check_ctx *c, const char *dir)
{
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;

		if (stat(path, &st) < 0 && errno == ENOENT)
			remove_leftover(c, path, "a layer link whose layer is gone");
	}
}

/* Folders of layers/ that no layer of the store names. */
static void check_layer_dirs(struct check_ctx *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/layers", c->s->root);
	_cleanup_strv_ char **names = list_dir(dir);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
		_cleanup_free_ char *chain = xasprintf("sha256:%s", names[i]);

		if (fs_temp_owner(names[i]) > 0)
			continue; /* a live writer's (the dead ones' went first) */
		if (strcmp(names[i], "l") == 0)
			check_layer_links(c, path);
		else if (!is_hex_name(names[i]))
			report(c, IMAGE_CHECK_NOTE, "'%s': not a name berth writes, left alone",
			       path);
		else if (!find_layer(c, chain) && !store_layer_exists(c->s, chain))
			remove_leftover(c, path, "a layer folder no layer of the store names");
	}
}

static bool image_exists(struct store *s, const char *id)
{
	_cleanup_(store_image_freep) struct store_image *img = store_image_get(s, id, NULL);

	return img != NULL;
}

/*
 * Blobs nothing refers to: layer blobs are named by diff ID, image configs by
 * image ID. NEEDSWORK: manifests and compressed blobs of pulls, once the
 * registry client keeps them, must count as referenced here.
 */
static void check_unused_blobs(struct check_ctx *c)
{
	_cleanup_free_ char *dir = xasprintf("%s/blobs/sha256", c->s->root);
	_cleanup_strv_ char **names = list_dir(dir);
	_cleanup_strv_ char **used = xcalloc(1, sizeof(char *));

	for (size_t i = 0; c->images[i]; i++)
		strv_push(&used, c->images[i]->id);
	for (size_t i = 0; i < c->n_layers; i++)
		strv_push(&used, c->layers[i]->diff_id);
	sort_array(used, strv_len(used), sizeof(char *), cmp_str);
	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *digest = xasprintf("sha256:%s", names[i]);
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, names[i]);
		char *key = digest, actual[SHA256_DIGEST_LEN];

		if (fs_temp_owner(names[i]) > 0)
			continue;
		if (!is_hex_name(names[i])) {
			report(c, IMAGE_CHECK_NOTE, "'%s': not a name berth writes, left alone",
			       path);
			continue;
		}
		if (bsearch(&key, used, strv_len(used), sizeof(char *), cmp_str) ||
		    store_diff_id_used(c->s, digest) || image_exists(c->s, digest))
			continue;
		remove_leftover(c, path,
				blob_corrupt(c, digest, actual)
					? "a blob nothing refers to (and corrupt)"
					: "a blob nothing refers to");
	}
}

static int check_store(struct check_ctx *c, struct berth_error **err)
{
	if (remove_unused_layers(c, err) < 0 || load_store(c, err) < 0)
		return -1;
	check_images(c);
	for (size_t i = 0; i < c->n_layers; i++)
		check_layer(c, c->layers[i]);
	check_layer_dirs(c);
	check_unused_blobs(c);
	return 0;
}

/* ---------------------------------------------------------------- the lock and the entry */

static int lock_images(struct store *s, int op, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/" LOCK_FILE, s->root);
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", path);
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return berth_error_set(err, errno, "lock '%s'", path);
	return steal_fd(&fd);
}

int image_write_lock(struct store *s, struct berth_error **err)
{
	return lock_images(s, LOCK_SH, err);
}

int image_check(struct store *s, const struct image_check_opts *o, struct image_check_result *res,
		struct berth_error **err)
{
	struct check_ctx c = {.s = s, .o = o, .res = res};
	_cleanup_close_ int lock = -EBADF;
	int r;

	*res = (struct image_check_result){0};
	check_leftovers(&c);
	hash_blobs(&c);
	lock = lock_images(s, LOCK_EX, err);
	if (lock < 0) {
		check_ctx_release(&c);
		return -1;
	}
	r = check_store(&c, err);
	check_ctx_release(&c);
	return r;
}

/* ---------------------------------------------------------------- outputs outside the store */

char *image_tmp_register(struct store *s, const char *path)
{
	_cleanup_free_ char *dir = xasprintf("%s/tmp", s->root), *cwd = NULL, *abs = NULL;
	_cleanup_free_ char *marker =
		xasprintf("%s/" MARKER_PREFIX "%d-XXXXXX", dir, (int)getpid());
	_cleanup_close_ int fd = -EBADF;

	if (path[0] != '/') {
		cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		abs = xasprintf("%s/%s", cwd, path);
	}
	if (fs_mkdir_p(dir, 0700, NULL) < 0 || (fd = mkostemp(marker, O_CLOEXEC)) < 0) {
		log_debug("cannot register '%s' in '%s': %s", path, dir, strerror(errno));
		return NULL;
	}
	if (fs_write_all(fd, abs ? abs : path, strlen(abs ? abs : path)) < 0) {
		unlink(marker);
		return NULL;
	}
	return steal_ptr(&marker);
}

void image_tmp_forget(char *marker)
{
	if (marker)
		unlink(marker);
	free(marker);
}
