/*
 * A container's mounts: bind mounts, volumes and tmpfs mounts from -v,
 * --mount, --volumes-from and the image's VOLUME, resolved once at create into
 * the config's "MountPoints" (volumes.h), mounted at each start.
 */
#define LOG_DOMAIN "container"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "container/container.h"
#include "container/volumes.h"
#include "image/layer.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "volume/volume.h"

static bool is_type(const json_t *mp, const char *type)
{
	const char *t = json_get_str(mp, "Type");
	return t && !strcmp(t, type);
}

static int duplicate(const char *dest, struct berth_error **err)
{
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "Duplicate mount point: %s", dest);
}

/* Docker's local volumes mounted by -v or --mount say "z" (shared SELinux label) when bare. */
static void set_mode_if_empty(json_t *mp)
{
	const char *mode = json_get_str(mp, "Mode");

	if (is_type(mp, "volume") && (!mode || !*mode))
		json_object_set_new(mp, "Mode", json_string("z"));
}

/* --volumes-from NAME[:MODE]: every mount of the other container, read-only with :ro. */
static int add_volumes_from(struct store *s, json_t *by_dest, const json_t *hc,
			    struct berth_error **err)
{
	json_t *v, *mp;
	size_t i, j;

	json_array_foreach(json_object_get(hc, "VolumesFrom"), i, v)
	{
		_cleanup_free_ char *name = NULL, *mode = NULL;
		_cleanup_(store_container_freep) struct store_container *c = NULL;
		json_auto_t *config = NULL;

		if (volume_parse_volumes_from(json_is_string(v) ? json_string_value(v) : "", &name,
					      &mode, err) < 0)
			return -1;
		c = container_find(s, name, err);
		if (!c)
			return -1;
		config = json_parse(c->config, strlen(c->config), "container config", err);
		if (!config)
			return -1;
		json_array_foreach(json_object_get(config, "MountPoints"), j, mp)
		{
			json_t *cp = json_deep_copy(mp);
			bool rw = json_is_true(json_object_get(mp, "RW")) && volume_mode_rw(mode);

			json_object_set_new(cp, "RW", json_boolean(rw));
			json_object_set_new(cp, "Mode", json_string(""));
			json_object_set_new(cp, "CopyData", json_false());
			json_object_del(cp, "CreateSource");
			json_object_set_new(by_dest, json_get_str(mp, "Destination"), cp);
		}
	}
	return 0;
}

/* HostConfig.Binds ("SRC:DST[:MODE]"), then HostConfig.Mounts, over --volumes-from. */
static int add_binds_and_mounts(json_t *by_dest, const json_t *hc, struct berth_error **err)
{
	json_auto_t *seen = json_object();
	const json_t *tmpfs = json_object_get(hc, "Tmpfs");
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(hc, "Binds"), i, v)
	{
		json_t *mp = volume_parse_bind(json_is_string(v) ? json_string_value(v) : "", err);
		const char *dest;

		if (!mp)
			return -1;
		dest = json_get_str(mp, "Destination");
		if (json_object_get(seen, dest) || json_object_get(tmpfs, dest)) {
			duplicate(dest, err);
			json_decref(mp);
			return -1;
		}
		set_mode_if_empty(mp);
		json_object_set_new(seen, dest, json_true());
		json_object_set_new(by_dest, dest, mp);
	}
	json_array_foreach(json_object_get(hc, "Mounts"), i, v)
	{
		json_t *mp = volume_parse_mount(v, true, err);
		const char *dest;

		if (!mp)
			return -1;
		dest = json_get_str(mp, "Destination");
		if (json_object_get(seen, dest)) {
			duplicate(json_get_str(v, "Target"), err);
			json_decref(mp);
			return -1;
		}
		set_mode_if_empty(mp);
		json_object_set_new(seen, dest, json_true());
		json_object_set_new(by_dest, dest, mp);
	}
	return 0;
}

/* Config.Volumes (-v /path, the image's VOLUME): an anonymous volume where nothing is mounted. */
static int add_anonymous(json_t *by_dest, const json_t *cfg, const json_t *hc,
			 struct berth_error **err)
{
	const char *path;
	json_t *v;

	json_object_foreach(json_object_get(cfg, "Volumes"), path, v)
	{
		_cleanup_free_ char *dest = volume_clean_path(path);

		if (path[0] != '/')
			return berth_error_setk(
				err, BERTH_ERR_INVALID, 0,
				"invalid volume specification: '%s': invalid mount "
				"config for type \"volume\": invalid mount path: '%s' "
				"mount path must be absolute",
				path, path);
		if (!strcmp(dest, "/"))
			return berth_error_setk(
				err, BERTH_ERR_INVALID, 0,
				"invalid volume specification: '%s': invalid mount "
				"config for type \"volume\": invalid specification: "
				"destination can't be '/'",
				path);
		if (json_object_get(by_dest, dest) ||
		    json_object_get(json_object_get(hc, "Tmpfs"), dest))
			continue;
		json_object_set_new(by_dest, dest,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:b}",
					      "Type", "volume", "Name", "", "Source", "",
					      "Destination", dest, "Driver", "local", "Mode", "",
					      "RW", 1, "Propagation", "", "CopyData", 1,
					      "Anonymous", 1));
	}
	return 0;
}

/* -v /host:/ctr makes a missing host folder, as Docker's daemon does. */
static int make_bind_sources(const json_t *by_dest, struct berth_error **err)
{
	const char *dest;
	json_t *mp;
	struct stat st;

	json_object_foreach((json_t *)by_dest, dest, mp)
	{
		const char *src = json_get_str(mp, "Source");

		if (!is_type(mp, "bind") || !json_is_true(json_object_get(mp, "CreateSource")) ||
		    lstat(src, &st) == 0)
			continue;
		if (fs_mkdir_p(src, 0755, err) < 0)
			return berth_error_wrap(err, "error while creating mount source path '%s'",
						src);
	}
	return 0;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_t *container_volumes_plan(struct store *s, const json_t *config, struct berth_error **err)
{
	const json_t *cfg = json_object_get(config, "Config");
	const json_t *hc = json_object_get(config, "HostConfig");
	json_auto_t *by_dest = json_object();
	const char **keys;
	json_t *out, *v;
	const char *k;
	size_t n = 0;

	if (add_volumes_from(s, by_dest, hc, err) < 0 ||
	    add_binds_and_mounts(by_dest, hc, err) < 0 ||
	    add_anonymous(by_dest, cfg, hc, err) < 0 || make_bind_sources(by_dest, err) < 0)
		return NULL;
	/* by destination, for a stable order */
	keys = xcalloc(json_object_size(by_dest) + 1, sizeof(*keys));
	json_object_foreach(by_dest, k, v) keys[n++] = k;
	sort_array(keys, n, sizeof(*keys), compare_strings);
	out = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append(out, json_object_get(by_dest, keys[i]));
	free(keys);
	return out;
}

int container_volumes_make(struct store *s, json_t *mounts, char ***made, struct berth_error **err)
{
	json_t *mp;
	size_t i;

	*made = xcalloc(1, sizeof(char *));
	json_array_foreach(mounts, i, mp)
	{
		const char *name = json_get_str(mp, "Name");
		_cleanup_free_ char *out = NULL, *path = NULL;
		_cleanup_(store_volume_freep) struct store_volume *v = NULL;
		json_auto_t *opts = NULL;
		unsigned flags = VOLUME_CREATE_IN_TRANSACTION;
		bool m = false;

		if (!is_type(mp, "volume"))
			continue;
		if (!name || !*name)
			flags |= VOLUME_CREATE_ANONYMOUS;
		if (volume_create(s, name, json_object_get(mp, "VolumeLabels"),
				  json_object_get(mp, "VolumeOptions"), flags, &out, &m, err) < 0)
			return -1;
		if (m)
			strv_push(made, out);
		v = store_volume_get(s, out, err);
		if (!v)
			return -1;
		opts = json_loads(v->options, JSON_DECODE_ANY, NULL);
		path = volume_path(s, out);
		json_object_set_new(mp, "Name", json_string(out));
		json_object_set_new(mp, "Source", json_string(path));
		json_object_set_new(mp, "Driver", json_string(v->driver));
		json_object_del(mp, "VolumeLabels");
		json_object_del(mp, "VolumeOptions");
		/* the local driver's mount options (type, device, o), for each start */
		if (json_object_size(opts))
			json_object_set(mp, "DriverOpts", opts);
	}
	return 0;
}

int container_volumes_record(struct store *s, const char *id, const json_t *mounts,
			     struct berth_error **err)
{
	const json_t *mp;
	size_t i;

	json_array_foreach(
		(json_t *)mounts, i,
		mp) if (is_type(mp, "volume") &&
			store_volume_use_add(
				s, id, json_get_str(mp, "Name"), json_get_str(mp, "Destination"),
				json_is_true(json_object_get(mp, "Anonymous")), err) < 0) return -1;
	return 0;
}

/* Copy-up */

static bool dir_is_empty(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			return false;
	return d != NULL;
}

/*
 * Might the layers have something at dest (relative)? A path met in a layer,
 * or a symlink on the way (it may lead anywhere in the root): yes.
 */
static bool layers_may_have(const char *layers_dir, char **lowers, const char *dest)
{
	struct stat st;

	for (size_t i = 0; lowers[i]; i++) {
		_cleanup_free_ char *base = xasprintf("%s/%s", layers_dir, lowers[i]);
		_cleanup_free_ char *path = xasprintf("%s/%s", base, dest);

		for (char *p = path + strlen(base) + 1;; p++) {
			char saved = *p;

			if (saved && saved != '/')
				continue;
			*p = '\0';
			if (lstat(path, &st) == 0 && (S_ISLNK(st.st_mode) || !saved))
				return true;
			*p = saved;
			if (!saved)
				break;
		}
	}
	return false;
}

/* The container's layers, top first, relative to the layers folder (as the runtime's). */
static char **container_lowers(struct store *s, const char *id, const char *image_id,
			       struct berth_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = store_image_get(s, image_id, err);
	_cleanup_free_ char *init = xasprintf("%s/containers/%s/init", s->root, id);
	char **lowers = NULL;
	size_t n;

	if (!img)
		return NULL;
	strv_push_take(&lowers, xasprintf("../containers/%s/diff", id));
	if (fs_exists(init))
		strv_push_take(&lowers, xasprintf("../containers/%s/init", id));
	n = strv_len(img->layers);
	for (size_t i = 0; i < n; i++)
		strv_push_take(&lowers, image_layer_link(s, img->layers[n - 1 - i]));
	return lowers;
}

/* In the child of runtime_with_rootfs(): each fresh volume gets what the image has. */
static int copy_up_each(int rootfd, void *arg, struct berth_error **err)
{
	const json_t *mounts = arg, *mp;
	size_t i;

	json_array_foreach((json_t *)mounts, i, mp)
	{
		_cleanup_close_ int src = -EBADF, dst = -EBADF;
		const char *dest = json_get_str(mp, "Destination");
		bool copied;

		src = runtime_open_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY);
		if (src < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue; /* nothing to copy */
		if (src < 0)
			return berth_error_set(err, errno, "open '%s' in the image", dest);
		dst = open(json_get_str(mp, "Source"),
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dst < 0)
			return berth_error_set(err, errno, "open '%s'", json_get_str(mp, "Source"));
		if (volume_copy_up(src, dst, &copied, err) < 0)
			return berth_error_wrap(err, "copy the image's '%s' into volume %s", dest,
						json_get_str(mp, "Name"));
	}
	return 0;
}

int container_volumes_copy_up(struct store *s, const char *id, const char *image_id,
			      const json_t *mounts, struct berth_error **err)
{
	_cleanup_free_ char *layers = xasprintf("%s/layers", s->root), *target = NULL;
	_cleanup_strv_ char **lowers = NULL;
	json_auto_t *todo = json_array();
	const json_t *mp;
	size_t i;
	int r;

	json_array_foreach((json_t *)mounts, i,
			   mp) if (is_type(mp, "volume") &&
				   json_is_true(json_object_get(mp, "CopyData")) &&
				   !json_object_size(json_object_get(mp, "DriverOpts")) &&
				   dir_is_empty(json_get_str(mp, "Source")))
		json_array_append(todo, (json_t *)mp);
	if (!json_array_size(todo))
		return 0;
	lowers = container_lowers(s, id, image_id, err);
	if (!lowers)
		return -1;
	/* only what the layers may have: most fresh volumes go where the image has nothing */
	for (i = json_array_size(todo); i-- > 0;)
		if (!layers_may_have(layers, lowers,
				     json_get_str(json_array_get(todo, i), "Destination") + 1))
			json_array_remove(todo, i);
	if (!json_array_size(todo))
		return 0;
	if (fs_mkdir_p(s->runroot, 0700, err) < 0)
		return -1;
	target = xasprintf("%s/copyup-%.12s-XXXXXX", s->runroot, id);
	if (!mkdtemp(target))
		return berth_error_set(err, errno, "create a folder in '%s'", s->runroot);
	r = runtime_with_rootfs(layers, lowers, target, copy_up_each, todo, err);
	rmdir(target); /* the mount went with the child's namespace */
	return r;
}

/* The runtime spec */

/* Docker's mount options of a local volume's "o" option: flag words and the file system's own. */
static char *mount_options(const char *opts, unsigned long *flags)
{
	static const struct {
		const char *word;
		unsigned long set, clear;
	} words[] = {
		{"ro", MS_RDONLY, 0},	    {"rw", 0, MS_RDONLY},
		{"bind", MS_BIND, 0},	    {"rbind", MS_BIND | MS_REC, 0},
		{"nosuid", MS_NOSUID, 0},   {"suid", 0, MS_NOSUID},
		{"nodev", MS_NODEV, 0},	    {"dev", 0, MS_NODEV},
		{"noexec", MS_NOEXEC, 0},   {"exec", 0, MS_NOEXEC},
		{"noatime", MS_NOATIME, 0}, {"relatime", MS_RELATIME, 0},
	};
	struct strbuf data = STRBUF_INIT;

	for (const char *p = opts ? opts : ""; *p;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < ARRAY_SIZE(words); i++)
			if (strlen(words[i].word) == n && !strncmp(words[i].word, p, n))
				break;
		if (i < ARRAY_SIZE(words))
			*flags = (*flags | words[i].set) & ~words[i].clear;
		else if (n)
			strbuf_addf(&data, "%s%.*s", data.len ? "," : "", (int)n, p);
		p += n + (p[n] == ',');
	}
	return strbuf_detach(&data);
}

/*
 * The mount a path is on (/proc/self/mountinfo) and whether it is shared or a
 * slave, for Docker's checks of shared and slave propagation.
 */
static int source_mount(const char *path, char *mnt, size_t size, bool *shared, bool *slave)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	char real[PATH_MAX];
	size_t cap = 0, best = 0;

	if (!f || !realpath(path, real))
		return -1;
	while (getline(&line, &cap, f) > 0) {
		char point[PATH_MAX], *sep = strstr(line, " - ");
		size_t len;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		len = strlen(point);
		if (strncmp(real, point, len) ||
		    (real[len] && real[len] != '/' && strcmp(point, "/")) || len < best)
			continue;
		best = len;
		snprintf(mnt, size, "%s", point);
		*sep = '\0';
		*shared = strstr(line, " shared:") != NULL;
		*slave = strstr(line, " master:") != NULL;
	}
	return best ? 0 : -1;
}

static int check_propagation(const char *src, const char *prop, struct berth_error **err)
{
	char mnt[PATH_MAX] = "/";
	bool shared = false, slave = false, want_shared = strstr(prop, "shared") != NULL;

	if (!strstr(prop, "shared") && !strstr(prop, "slave"))
		return 0;
	if (source_mount(src, mnt, sizeof(mnt), &shared, &slave) < 0)
		return berth_error_set(err, errno, "find the mount of '%s'", src);
	if (want_shared && !shared)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"path %s is mounted on %s but it is not a shared mount",
					src, mnt);
	if (!want_shared && !shared && !slave)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"path %s is mounted on %s but it is not a shared or slave "
					"mount",
					src, mnt);
	return 0;
}

/* Berth's own mounts (/etc/hosts...) where a mount of the user's goes: they give way. */
static void drop_mounts_at(struct runtime_spec *spec, const char *dest)
{
	size_t k = 0;

	for (size_t i = 0; i < spec->n_mounts; i++) {
		struct runtime_mount *m = &spec->mounts[i];

		if (strcmp(m->dest, dest)) {
			spec->mounts[k++] = *m;
			continue;
		}
		free(m->type);
		free(m->source);
		free(m->dest);
		free(m->data);
	}
	spec->n_mounts = k;
}

static size_t depth(const char *path)
{
	size_t n = 0;

	for (const char *p = path; *p; p++)
		n += *p == '/' && p[1];
	return n;
}

/* A stable sort by depth: /etc before /etc/hosts, else in the order given. */
static void sort_by_depth(struct runtime_spec *spec)
{
	for (size_t i = 1; i < spec->n_mounts; i++) {
		struct runtime_mount m = spec->mounts[i];
		size_t j = i;

		for (; j > 0 && depth(spec->mounts[j - 1].dest) > depth(m.dest); j--)
			spec->mounts[j] = spec->mounts[j - 1];
		spec->mounts[j] = m;
	}
}

static int add_mount(struct runtime_spec *spec, const json_t *mp, struct berth_error **err)
{
	const char *dest = json_get_str(mp, "Destination"), *src = json_get_str(mp, "Source");
	const char *prop = json_get_str(mp, "Propagation");
	const json_t *opts = json_object_get(mp, "DriverOpts");
	unsigned long ro = json_is_true(json_object_get(mp, "RW")) ? 0 : MS_RDONLY;

	if (is_type(mp, "tmpfs")) {
		const char *data = json_get_str(mp, "Data");
		runtime_spec_add_mount(spec, "tmpfs", "tmpfs", dest, data && *data ? data : NULL,
				       MS_NOSUID | MS_NODEV | MS_NOEXEC | ro);
		return 0;
	}
	if (is_type(mp, "volume") && json_get_str(opts, "type")) {
		unsigned long flags = ro;
		_cleanup_free_ char *data = mount_options(json_get_str(opts, "o"), &flags);
		runtime_spec_add_mount(spec, json_get_str(opts, "type"),
				       json_get_str(opts, "device"), dest, *data ? data : NULL,
				       flags);
		return 0;
	}
	if (!src || !*src)
		return berth_error_set(err, 0, "the mount at '%s' has no source", dest);
	if (prop && check_propagation(src, prop, err) < 0)
		return -1;
	runtime_spec_add_mount(spec, NULL, src, dest, NULL, MS_BIND | MS_REC | ro);
	spec->mounts[spec->n_mounts - 1].propagation = volume_propagation_flags(prop);
	return 0;
}

int container_volumes_spec(struct runtime_spec *spec, struct store *s, const json_t *mounts,
			   struct berth_error **err)
{
	const json_t *mp;
	size_t i;

	(void)s;
	json_array_foreach((json_t *)mounts, i, mp)
	{
		drop_mounts_at(spec, json_get_str(mp, "Destination"));
		if (add_mount(spec, mp, err) < 0)
			return -1;
	}
	sort_by_depth(spec);
	return 0;
}

json_t *container_volumes_inspect(const json_t *mounts)
{
	json_t *out = json_array();
	const json_t *mp;
	size_t i;

	json_array_foreach((json_t *)mounts, i, mp)
	{
		json_t *o = json_object();
		const char *name = json_get_str(mp, "Name"), *driver = json_get_str(mp, "Driver");
		const char *src = json_get_str(mp, "Source"),
			   *prop = json_get_str(mp, "Propagation");

		json_object_set_new(o, "Type", json_string(json_get_str(mp, "Type")));
		if (name && *name)
			json_object_set_new(o, "Name", json_string(name));
		json_object_set_new(o, "Source", json_string(src ? src : ""));
		json_object_set_new(o, "Destination", json_string(json_get_str(mp, "Destination")));
		if (driver && *driver)
			json_object_set_new(o, "Driver", json_string(driver));
		json_object_set_new(o, "Mode", json_string(json_get_str(mp, "Mode") ?: ""));
		json_object_set_new(o, "RW", json_boolean(json_is_true(json_object_get(mp, "RW"))));
		json_object_set_new(o, "Propagation", json_string(prop ? prop : ""));
		json_array_append_new(out, o);
	}
	return out;
}
