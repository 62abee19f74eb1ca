/*
 * Copy-up: a fresh volume mounted over a folder of the image gets that
 * folder's files first, as Docker's populateVolumes does. The tree is walked
 * with file descriptors and O_NOFOLLOW: a symlink is copied as a symlink,
 * never followed.
 */
#define LOG_DOMAIN "volume"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "volume/volume.h"

/* A file with several links, by its first copy's path under the volume. */
struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct copy {
	int dst_root;
	struct link_seen *links;
	size_t n_links;
	struct berth_error **err;
};

static bool is_empty(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	bool empty = true;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (empty && (de = readdir(d)))
		empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
	closedir(d);
	return empty;
}

/* "/proc/self/fd/DIRFD/NAME": the entry, for the *xattr calls that take paths. */
static char *fd_path(int dirfd, const char *name)
{
	return xasprintf("/proc/self/fd/%d/%s", dirfd, name);
}

static ssize_t list_xattrs(int fd, const char *path, char *buf, size_t size)
{
	return path ? llistxattr(path, buf, size) : flistxattr(fd, buf, size);
}

static ssize_t get_xattr(int fd, const char *path, const char *key, void *buf, size_t size)
{
	return path ? lgetxattr(path, key, buf, size) : fgetxattr(fd, key, buf, size);
}

/*
 * Extended attributes of the entry name of sdir (name NULL: sdir itself) to
 * its copy; those the volume's file system refuses are left out.
 */
static void copy_xattrs(int sdir, int ddir, const char *name)
{
	_cleanup_free_ char *src = name ? fd_path(sdir, name) : NULL;
	_cleanup_free_ char *dst = name ? fd_path(ddir, name) : NULL;
	_cleanup_free_ char *list = NULL, *value = NULL;
	ssize_t n = list_xattrs(sdir, src, NULL, 0);

	if (n <= 0)
		return;
	list = xmalloc((size_t)n);
	n = list_xattrs(sdir, src, list, (size_t)n);
	for (ssize_t off = 0; n > 0 && off < n; off += (ssize_t)strlen(list + off) + 1) {
		const char *key = list + off;
		ssize_t len = get_xattr(sdir, src, key, NULL, 0);
		int r;

		if (len < 0)
			continue;
		value = xrealloc(value, (size_t)len + 1);
		len = get_xattr(sdir, src, key, value, (size_t)len);
		if (len < 0)
			continue;
		r = dst ? lsetxattr(dst, key, value, (size_t)len, 0)
			: fsetxattr(ddir, key, value, (size_t)len, 0);
		if (r < 0)
			log_debug("xattr %s of '%s' not copied: %s", key, name ? name : ".",
				  strerror(errno));
	}
}

/* Owner, mode, extended attributes and times of an entry (name NULL: the folder itself). */
static int copy_attrs(int sdir, int ddir, const char *name, const struct stat *st,
		      struct berth_error **err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	bool link = S_ISLNK(st->st_mode);
	int flags = name ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
	const char *n = name ? name : "";

	if (fchownat(ddir, n, st->st_uid, st->st_gid, flags) < 0)
		return berth_error_set(err, errno, "chown '%s'", n);
	if (!link) {
		if (name ? fchmodat(ddir, name, st->st_mode & 07777, 0) < 0
			 : fchmod(ddir, st->st_mode & 07777) < 0)
			return berth_error_set(err, errno, "chmod '%s'", n);
		copy_xattrs(sdir, ddir, name);
	}
	if (name ? utimensat(ddir, name, ts, AT_SYMLINK_NOFOLLOW) < 0 : futimens(ddir, ts) < 0)
		return berth_error_set(err, errno, "set the times of '%s'", n);
	return 0;
}

static int copy_data(int in, int out, const char *name, struct berth_error **err)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n < 0)
			break;
	}
	if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
		return berth_error_set(err, errno, "copy '%s'", name);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (fs_write_all(out, buf, (size_t)n) < 0)
			return berth_error_set(err, errno, "write '%s'", name);
	return n < 0 ? berth_error_set(err, errno, "read '%s'", name) : 0;
}

/* A second link of a file already copied: a hard link to the copy. 1 when done. */
static int link_again(struct copy *c, int ddir, const char *name, const char *rel,
		      const struct stat *st)
{
	for (size_t i = 0; i < c->n_links; i++) {
		if (c->links[i].dev != st->st_dev || c->links[i].ino != st->st_ino)
			continue;
		if (linkat(c->dst_root, c->links[i].path, ddir, name, 0) < 0)
			return berth_error_set(c->err, errno, "link '%s'", rel);
		return 1;
	}
	c->links = xrealloc(c->links, (c->n_links + 1) * sizeof(*c->links));
	c->links[c->n_links++] = (struct link_seen){st->st_dev, st->st_ino, xstrdup(rel)};
	return 0;
}

static int copy_file(struct copy *c, int sdir, int ddir, const char *name, const char *rel,
		     const struct stat *st)
{
	_cleanup_close_ int in = -EBADF, out = -EBADF;
	int r;

	if (st->st_nlink > 1 && (r = link_again(c, ddir, name, rel, st)) != 0)
		return r < 0 ? -1 : 0;
	in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return berth_error_set(c->err, errno, "open '%s'", rel);
	out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return berth_error_set(c->err, errno, "create '%s'", rel);
	return copy_data(in, out, rel, c->err);
}

static int copy_tree(struct copy *c, int sdir, int ddir, const char *rel);

static int copy_entry(struct copy *c, int sdir, int ddir, const char *name, const char *rel)
{
	struct stat st;
	char target[4096];
	ssize_t n;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(c->err, errno, "stat '%s'", rel);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR: {
		_cleanup_close_ int s = -EBADF, d = -EBADF;

		if (mkdirat(ddir, name, 0700) < 0)
			return berth_error_set(c->err, errno, "mkdir '%s'", rel);
		s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return berth_error_set(c->err, errno, "open '%s'", rel);
		if (copy_tree(c, s, d, rel) < 0)
			return -1;
		break;
	}
	case S_IFREG:
		if (copy_file(c, sdir, ddir, name, rel, &st) < 0)
			return -1;
		break;
	case S_IFLNK:
		n = readlinkat(sdir, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error_set(c->err, errno, "readlink '%s'", rel);
		target[n] = '\0';
		if (symlinkat(target, ddir, name) < 0)
			return berth_error_set(c->err, errno, "symlink '%s'", rel);
		break;
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		if (mknodat(ddir, name, st.st_mode, st.st_rdev) < 0)
			return berth_error_set(c->err, errno, "mknod '%s'", rel);
		break;
	default:
		return 0; /* sockets belong to the processes that made them */
	}
	return copy_attrs(sdir, ddir, name, &st, c->err);
}

static int copy_tree(struct copy *c, int sdir, int ddir, const char *rel)
{
	int fd = dup(sdir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return berth_error_set(c->err, errno, "read the folder '%s'", *rel ? rel : ".");
	}
	while (r == 0 && (de = readdir(d))) {
		_cleanup_free_ char *path = NULL;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		path = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		r = copy_entry(c, sdir, ddir, de->d_name, path);
	}
	closedir(d);
	return r;
}

int volume_copy_up(int src_fd, int dst_fd, bool *copied, struct berth_error **err)
{
	struct copy c = {.dst_root = dst_fd, .err = err};
	struct stat st;
	int r;

	*copied = false;
	if (!is_empty(dst_fd))
		return 0;
	if (fstat(src_fd, &st) < 0)
		return berth_error_set(err, errno, "stat the image's folder");
	r = copy_tree(&c, src_fd, dst_fd, "");
	if (r == 0)
		r = copy_attrs(src_fd, dst_fd, NULL, &st, err);
	for (size_t i = 0; i < c.n_links; i++)
		free(c.links[i].path);
	free(c.links);
	*copied = r == 0;
	return r;
}
