/* docker commit (DESIGN.md, "Images and layers"). */
#define LOG_DOMAIN "container"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "config.h"
#include "container/container.h"
#include "image/check.h"
#include "image/image.h"
#include "image/layer.h"
#include "image/ref.h"
#include "image/tarwrite.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/timeutil.h"

/*
 * The container's upper dir as a layer: a child writes its tar (whiteouts as
 * ".wh." entries) into a pipe, from which the layer is unpacked and its blob
 * and diff ID made, in one pass.
 */
static int layer_from_upper(struct store *s, const char *upper, struct image_layer_tmp *l,
			    struct berth_error **err)
{
	int p[2], status, r;
	pid_t parent = getpid(), pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return berth_error_set(err, errno, "fork");
	}
	if (pid == 0) {
		struct berth_error *e = NULL;
		struct tarw *tw = tarw_new(p[1]);
		int dirfd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char digest[SHA256_DIGEST_LEN];
		uint64_t size;

		close(p[0]);
		/* a commit killed midway takes its writer along */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		if (dirfd < 0 || tarw_add_tree(tw, dirfd, "", TARW_OVERLAY, &e) < 0 ||
		    tarw_finish(tw, digest, &size, &e) < 0) {
			log_error("cannot archive '%s': %s", upper, e ? e->msg : strerror(errno));
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	r = image_layer_unpack(s, p[0], l, err);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = berth_error_set(err, 0, "archiving the container's changes failed");
	return r;
}

/* The image config of the commit: the parent's, with the container's config and the new layer. */
static json_t *commit_config(const json_t *parent, const struct store_container *c,
			     const json_t *ccfg, const struct container_commit_opts *o,
			     const char *diff_id, struct berth_error **err)
{
	json_auto_t *cfg = json_deep_copy(parent);
	json_t *config = json_deep_copy(json_object_get(ccfg, "Config"));
	json_t *history = json_object_get(cfg, "history");
	json_t *rootfs = json_object_get(cfg, "rootfs");
	json_t *entry;
	char created[64];

	json_object_set_new(config, "Image", json_string(c->image_id));
	json_object_set_new(cfg, "config", config);
	for (size_t i = 0; o->changes && o->changes[i]; i++)
		if (image_config_apply_change(cfg, o->changes[i], err) < 0)
			return NULL;
	time_format_rfc3339nano(time_now_ns(), created, sizeof(created));
	json_object_set_new(cfg, "created", json_string(created));
	json_object_set_new(cfg, "container", json_string(c->id));
	json_object_set_new(cfg, "docker_version", json_string("berth " BERTH_VERSION_STRING));
	json_object_set_new(cfg, "author", json_string(o->author ? o->author : ""));
	if (!json_is_array(history)) {
		history = json_array();
		json_object_set_new(cfg, "history", history);
	}
	entry = json_pack("{s:s}", "created", created);
	if (o->author && *o->author)
		json_object_set_new(entry, "author", json_string(o->author));
	json_object_set_new(entry, "created_by", json_string(c->command ? c->command : ""));
	if (o->message && *o->message)
		json_object_set_new(entry, "comment", json_string(o->message));
	json_array_append_new(history, entry);
	if (!json_is_object(rootfs)) {
		rootfs = json_pack("{s:s, s:[]}", "type", "layers", "diff_ids");
		json_object_set_new(cfg, "rootfs", rootfs);
	}
	json_array_append_new(json_object_get(rootfs, "diff_ids"), json_string(diff_id));
	return json_incref(cfg);
}

static int record_commit(struct store *s, const struct store_image *parent, const char *id,
			 const char *text, const char *chain, const struct image_layer_tmp *l,
			 const char *ref, struct berth_error **err)
{
	size_t n = strv_len(parent->layers);
	_cleanup_free_ char **layers = xcalloc(n + 2, sizeof(char *));
	struct store_image img = {.id = (char *)id,
				  .config = (char *)text,
				  .created = time_now_ns(),
				  .size = parent->size + l->res.size,
				  .layers = layers};

	memcpy(layers, parent->layers, n * sizeof(char *));
	layers[n] = (char *)chain;
	if (store_begin(s, err) < 0)
		return -1;
	if (store_layer_add(s, chain, l->res.diff_id, n ? parent->layers[n - 1] : NULL, l->res.size,
			    err) < 0 ||
	    store_image_add(s, &img, err) < 0 || (ref && image_tag(s, id, ref, err) < 0)) {
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

int container_commit(struct store *s, const char *what, const struct container_commit_opts *o,
		     char **image_id, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_(store_image_freep) struct store_image *parent = NULL;
	_cleanup_free_ char *upper = NULL, *text = NULL, *cblob = NULL;
	_cleanup_close_ int lock = -EBADF;
	json_auto_t *pcfg = NULL, *ccfg = NULL, *cfg = NULL;
	struct image_layer_tmp l = {0};
	char chain[SHA256_DIGEST_LEN], id[SHA256_DIGEST_LEN];
	bool paused = false;
	size_t n;
	int r = -1;

	if (!c)
		return -1;
	if (o->ref) {
		_cleanup_(image_ref_freep) struct image_ref *ref = image_ref_parse(o->ref, err);
		if (!ref)
			return -1;
	}
	parent = store_image_get(s, c->image_id, err);
	if (!parent)
		return -1;
	pcfg = json_parse(parent->config, strlen(parent->config), "image config", err);
	ccfg = pcfg ? json_parse(c->config, strlen(c->config), "container config", err) : NULL;
	if (!ccfg)
		return -1;
	if (o->pause && c->state == STORE_CONTAINER_RUNNING) {
		if (container_pause(s, c->id, true, err) < 0)
			return -1;
		paused = true;
	}
	upper = xasprintf("%s/containers/%s/diff", s->root, c->id);
	r = layer_from_upper(s, upper, &l, err);
	if (paused)
		container_pause(s, c->id, false, NULL);
	if (r < 0)
		goto out;
	r = -1;
	cfg = commit_config(pcfg, c, ccfg, o, l.res.diff_id, err);
	if (!cfg)
		goto out;
	text = json_compact(cfg);
	sha256_of(text, strlen(text), id);
	n = strv_len(parent->layers);
	image_chain_id(n ? parent->layers[n - 1] : NULL, l.res.diff_id, chain);
	cblob = image_blob_path(s, id);
	lock = image_write_lock(s, err);
	if (lock < 0 || fs_write_atomic(cblob, text, strlen(text), 0600, err) < 0 ||
	    image_layer_commit(s, &l, chain, err) < 0 ||
	    record_commit(s, parent, id, text, chain, &l, o->ref, err) < 0)
		goto out;
	*image_id = xstrdup(id);
	r = 0;
out:
	image_layer_release(&l);
	return r;
}

/*
 * The container's file system as one tree, for export: its layer over its
 * init layer over the image's, mounted read-only (overlay without an upper
 * dir) in a mount namespace of the calling child only.
 */
static int mount_flat(struct store *s, const struct store_container *c, const char *target)
{
	_cleanup_(store_image_freep) struct store_image *img =
		store_image_get(s, c->image_id, NULL);
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root);
	_cleanup_free_ char *init = xasprintf("%s/containers/%s/init", s->root, c->id);
	struct strbuf opts = STRBUF_INIT;
	size_t n;
	int r;

	if (!img || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || chdir(layers) < 0)
		return -1;
	/* relative to the layers folder, as the runtime's, to keep the options short */
	strbuf_addf(&opts, "lowerdir=../containers/%s/diff", c->id);
	if (fs_exists(init))
		strbuf_addf(&opts, ":../containers/%s/init", c->id);
	n = strv_len(img->layers);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *link = image_layer_link(s, img->layers[n - 1 - i]);
		strbuf_addf(&opts, ":%s", link);
	}
	r = mount("overlay", target, "overlay", MS_RDONLY, opts.buf);
	strbuf_release(&opts);
	return r;
}

int container_export(struct store *s, const char *what, int out_fd, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_free_ char *target = NULL;
	int status;
	pid_t pid;

	if (!c)
		return -1;
	target = xasprintf("%s/export-%d-XXXXXX", s->runroot, (int)getpid());
	if (fs_mkdir_p(s->runroot, 0700, err) < 0)
		return -1;
	if (!mkdtemp(target))
		return berth_error_set(err, errno, "create a folder in '%s'", s->runroot);
	pid = fork();
	if (pid < 0) {
		rmdir(target);
		return berth_error_set(err, errno, "fork");
	}
	if (pid == 0) {
		struct berth_error *e = NULL;
		struct tarw *tw;
		char digest[SHA256_DIGEST_LEN];
		uint64_t size;
		int dirfd;

		if (mount_flat(s, c, target) < 0) {
			log_error("cannot mount the file system of %.12s: %s", c->id,
				  strerror(errno));
			_exit(1);
		}
		dirfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		tw = tarw_new(out_fd);
		if (dirfd < 0 || tarw_add_tree(tw, dirfd, "", 0, &e) < 0 ||
		    tarw_finish(tw, digest, &size, &e) < 0) {
			log_error("cannot export %.12s: %s", c->id, e ? e->msg : strerror(errno));
			_exit(1);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rmdir(target); /* the mount went with the child's namespace */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return berth_error_set(err, 0, "exporting the container %.12s failed", c->id);
	return 0;
}
