/*
 * A container's file system against its image: the init layer and diff
 * (DESIGN.md, "Images and layers"); commit.c makes an image of it.
 */
#define LOG_DOMAIN "container"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "container/container.h"
#include "container/volumes.h"
#include "image/image.h"
#include "image/layer.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strutil.h"

/*
 * The mount points berth binds or mounts onto in every container. They live in
 * the container's init layer (as in Docker), a lower dir above the image's
 * layers, so that the container's own layer (its upper dir) holds only what the
 * container changed: diff and commit never see them.
 */
static const char *const init_dirs[] = {"dev", "etc", "proc", "sys"};
static const char *const init_files[] = {"etc/hostname", "etc/hosts", "etc/resolv.conf"};

/* An image's layer folders, top first, each "<root>/layers/<hex>/diff". */
static char **layer_dirs(struct store *s, const struct store_image *img)
{
	size_t n = strv_len(img->layers);
	char **dirs = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		dirs[i] = image_layer_dir(s, img->layers[n - 1 - i]);
	return dirs;
}

static bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/*
 * What path (relative, "etc/passwd") is in the layers below: its stat from the
 * topmost layer that has it; false when none has it or a whiteout hides it.
 */
static bool lower_stat(char **lowers, const char *path, struct stat *st)
{
	for (size_t i = 0; lowers[i]; i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", lowers[i], path);
		if (lstat(p, st) == 0)
			return !is_whiteout(st);
	}
	return false;
}

int container_make_init_layer(struct store *s, const struct store_image *img, const char *dir,
			      struct berth_error **err)
{
	_cleanup_strv_ char **lowers = layer_dirs(s, img);
	_cleanup_free_ char *init = xasprintf("%s/init", dir);
	struct stat st;

	if (mkdir(init, 0755) < 0)
		return berth_error_set(err, errno, "mkdir '%s'", init);
	for (size_t i = 0; i < ARRAY_SIZE(init_dirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", init, init_dirs[i]);
		bool in_image = lower_stat(lowers, init_dirs[i], &st);

		if (in_image && !S_ISDIR(st.st_mode))
			continue; /* the image's symlink or file stays what it is */
		if (mkdir(p, 0755) < 0)
			return berth_error_set(err, errno, "mkdir '%s'", p);
		if (!in_image)
			continue;
		/* the top lower dir's attributes are the merged dir's: the image's */
		if (lchown(p, st.st_uid, st.st_gid) < 0 || chmod(p, st.st_mode & 07777) < 0 ||
		    utimensat(AT_FDCWD, p, (struct timespec[]){st.st_atim, st.st_mtim},
			      AT_SYMLINK_NOFOLLOW) < 0)
			return berth_error_set(err, errno, "set the attributes of '%s'", p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(init_files); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", init, init_files[i]);
		_cleanup_free_ char *parent = xstrndup(p, (size_t)(strrchr(p, '/') - p));
		int fd;

		if (!fs_exists(parent))
			continue;
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			return berth_error_set(err, errno, "create '%s'", p);
		close(fd);
	}
	return 0;
}

/* A folder of the init layer standing for the image's, with its attributes. */
static int init_dir_like(const char *path, const struct stat *st, struct berth_error **err)
{
	if (mkdir(path, 0755) < 0)
		return berth_error_set(err, errno, "mkdir '%s'", path);
	if (!st)
		return 0;
	if (lchown(path, st->st_uid, st->st_gid) < 0 || chmod(path, st->st_mode & 07777) < 0 ||
	    utimensat(AT_FDCWD, path, (struct timespec[]){st->st_atim, st->st_mtim},
		      AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "set the attributes of '%s'", path);
	return 0;
}

/*
 * One mount point in the init layer: the folders the image lacks on the way,
 * and the last one (an empty file for a file's bind mount). Where the image
 * has a symlink or a file on the way, the runtime makes the rest, resolved
 * inside the root.
 */
static int init_mount_point(char **lowers, const char *init, const char *dest, bool is_file,
			    struct berth_error **err)
{
	_cleanup_free_ char *rel = xstrdup(dest + strspn(dest, "/"));
	struct stat st, here;

	for (char *p = rel; *rel; p++) {
		_cleanup_free_ char *path = NULL;
		char saved = *p;
		bool in_image;

		if (saved && saved != '/')
			continue;
		*p = '\0';
		path = xasprintf("%s/%s", init, rel);
		in_image = lower_stat(lowers, rel, &st);
		if (in_image && (!S_ISDIR(st.st_mode) || !saved))
			return 0;
		if (lstat(path, &here) == 0) {
			if (!S_ISDIR(here.st_mode))
				return 0;
		} else if (!saved && is_file) {
			int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd < 0)
				return berth_error_set(err, errno, "create '%s'", path);
			close(fd);
		} else if (init_dir_like(path, in_image ? &st : NULL, err) < 0) {
			return -1;
		}
		*p = saved;
		if (!saved)
			break;
	}
	return 0;
}

int container_init_mount_points(struct store *s, const struct store_image *img, const char *dir,
				const json_t *mounts, struct berth_error **err)
{
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *init = xasprintf("%s/init", dir);
	const json_t *mp;
	size_t i;

	if (!json_array_size(mounts))
		return 0;
	lowers = layer_dirs(s, img);
	json_array_foreach((json_t *)mounts, i, mp)
	{
		const char *type = json_get_str(mp, "Type"), *src = json_get_str(mp, "Source");
		struct stat st;
		bool is_file = type && !strcmp(type, "bind") && src && stat(src, &st) == 0 &&
			       !S_ISDIR(st.st_mode);

		if (init_mount_point(lowers, init, json_get_str(mp, "Destination"), is_file, err) <
		    0)
			return -1;
	}
	return 0;
}

/* Diff */

struct diff_walk {
	char **lowers;
	struct container_change **changes;
	size_t n, cap;
};

static void add_change(struct diff_walk *w, char kind, const char *path)
{
	if (w->n + 1 >= w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->changes = xrealloc(w->changes, w->cap * sizeof(*w->changes));
	}
	size_t len = strlen(path) + 2;

	w->changes[w->n] = xmalloc(sizeof(**w->changes) + len);
	w->changes[w->n]->kind = kind;
	snprintf(w->changes[w->n]->path, len, "/%s", path);
	w->changes[++w->n] = NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of a folder but . and .., sorted bytewise. */
static char **sorted_entries(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **names = NULL;
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return xcalloc(1, sizeof(char *));
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	closedir(d);
	if (!names)
		return xcalloc(1, sizeof(char *));
	sort_array(names, strv_len(names), sizeof(char *), compare_names);
	return names;
}

static bool same_attrs(const struct stat *a, const struct stat *b)
{
	return a->st_mode == b->st_mode && a->st_uid == b->st_uid && a->st_gid == b->st_gid &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * The changes under the upper dir's folder rel ("" for the root), in Podman's
 * order: names sorted, a folder before what it holds. A folder is listed as
 * changed when it changed itself or anything in it did, as Docker does.
 */
static void walk_upper(struct diff_walk *w, int dirfd, const char *rel)
{
	_cleanup_strv_ char **names = sorted_entries(dirfd);

	for (size_t i = 0; names[i]; i++) {
		_cleanup_free_ char *path =
			*rel ? xasprintf("%s/%s", rel, names[i]) : xstrdup(names[i]);
		struct stat st, lst;
		bool in_lower;
		size_t mark;
		int fd;

		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (is_whiteout(&st)) {
			add_change(w, 'D', path);
			continue;
		}
		in_lower = lower_stat(w->lowers, path, &lst);
		if (!S_ISDIR(st.st_mode)) {
			add_change(w, in_lower ? 'C' : 'A', path);
			continue;
		}
		mark = w->n;
		add_change(w, in_lower ? 'C' : 'A', path);
		fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0) {
			walk_upper(w, fd, path);
			close(fd);
		}
		/* a folder copied up only because something in it changed */
		if (in_lower && w->n == mark + 1 && S_ISDIR(lst.st_mode) && same_attrs(&st, &lst)) {
			free(w->changes[mark]);
			w->changes[--w->n] = NULL;
		}
	}
}

int container_diff(struct store *s, const char *what, struct container_change ***out,
		   struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_free_ char *upper = NULL, *init = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct diff_walk w = {0};
	char **image_lowers;
	size_t n;

	if (!c)
		return -1;
	img = store_image_get(s, c->image_id, err);
	if (!img)
		return -1;
	upper = xasprintf("%s/containers/%s/diff", s->root, c->id);
	fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", upper);
	/* the init layer counts as below: its mount points are no change */
	image_lowers = layer_dirs(s, img);
	n = strv_len(image_lowers);
	w.lowers = xcalloc(n + 2, sizeof(char *));
	w.lowers[0] = xasprintf("%s/containers/%s/init", s->root, c->id);
	memcpy(w.lowers + 1, image_lowers, n * sizeof(char *));
	free(image_lowers);
	walk_upper(&w, fd, "");
	strv_free(w.lowers);
	*out = w.changes ? w.changes : xcalloc(1, sizeof(**out));
	return 0;
}

void container_changes_free(struct container_change **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}
