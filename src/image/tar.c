/*
 * Layer tar extraction (see tar.h).
 *
 * Two libarchive readers are chained: the outer one, in "raw" format, only
 * decompresses in_fd; the inner one, with only the tar formats, reads the
 * decompressed bytes through tar_read(), which hashes them (the diff ID) and
 * copies them to tar_out_fd. Entries are extracted by hand: every path is
 * cleaned lexically, its parent folder is opened below the root without
 * following any symlink, and the last component is created with *at() calls
 * that do not follow symlinks either.
 */
#define LOG_DOMAIN "tar"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image/tar.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define TAR_BUF_SIZE	     (64 * 1024)
#define WHITEOUT_PREFIX	     ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE	     ".wh..wh..opq"
#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define CORRUPT_DATA	     "truncated or corrupt data"

struct dir_time {
	char *path;
	struct timespec ts[2];
};

struct unpack {
	int in_fd;
	int tar_out_fd;
	int rootfd;
	struct archive *outer; /* decompressor, "raw" format */
	struct archive *inner; /* tar reader over the decompressed bytes */
	struct sha256_stream *sha;
	long long tar_bytes;
	long long size;
	int in_errno;	       /* reading in_fd failed */
	int out_errno;	       /* writing tar_out_fd failed */
	struct dir_time *dirs; /* folder times, set once their content is in */
	size_t n_dirs;
	char inbuf[TAR_BUF_SIZE];
	char tarbuf[TAR_BUF_SIZE];
};

static void unpack_freep(struct unpack **up)
{
	struct unpack *u = *up;
	int saved = errno;

	if (!u)
		return;
	if (u->inner)
		archive_read_free(u->inner);
	if (u->outer)
		archive_read_free(u->outer);
	sha256_stream_free(u->sha);
	closep(&u->rootfd);
	for (size_t i = 0; i < u->n_dirs; i++)
		free(u->dirs[i].path);
	free(u->dirs);
	free(u);
	errno = saved;
}

static int invalid(struct berth_error **err, const char *entry, const char *fmt, ...)
	_printf_(3, 4);

static int invalid(struct berth_error **err, const char *entry, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid tar entry '%s': %s", entry,
				msg);
}

/* Reports the error of reader a, in our wording ("invalid tar archive: ..."). */
static int archive_fail(struct unpack *u, struct archive *a, struct berth_error **err)
{
	_cleanup_free_ char *msg = NULL;

	if (u->out_errno)
		return berth_error_set(err, u->out_errno, "write the uncompressed tar");
	if (u->in_errno)
		return berth_error_set(err, u->in_errno, "read the archive");
	/* e.g. a gzip trailer cut short: libarchive fails without a message */
	msg = xstrdup(archive_error_string(a) ? archive_error_string(a) : CORRUPT_DATA);
	/* libarchive capitalises its messages; ours are lowercase */
	if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1]))
		msg[0] = tolower((unsigned char)msg[0]);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid tar archive: %s", msg);
}

static la_ssize_t outer_read(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	ssize_t n;

	do
		n = read(u->in_fd, u->inbuf, sizeof(u->inbuf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		u->in_errno = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	*buf = u->inbuf;
	return n;
}

/* Feeds the tar reader with decompressed bytes, hashing and copying all of them. */
static la_ssize_t tar_read(struct archive *a, void *data, const void **buf)
{
	struct unpack *u = data;
	la_ssize_t n = archive_read_data(u->outer, u->tarbuf, sizeof(u->tarbuf));

	if (n < 0) {
		const char *msg = archive_error_string(u->outer);
		archive_set_error(a, archive_errno(u->outer), "%s", msg ? msg : CORRUPT_DATA);
		return -1;
	}
	sha256_stream_update(u->sha, u->tarbuf, n);
	u->tar_bytes += n;
	if (n > 0 && u->tar_out_fd >= 0 && fs_write_all(u->tar_out_fd, u->tarbuf, n) < 0) {
		u->out_errno = errno;
		archive_set_error(a, errno, "write error");
		return -1;
	}
	*buf = u->tarbuf;
	return n;
}

static int open_readers(struct unpack *u, struct berth_error **err)
{
	struct archive_entry *entry;
	int r;

	u->outer = archive_read_new();
	u->inner = archive_read_new();
	if (!u->outer || !u->inner)
		return berth_error_set(err, ENOMEM, "create an archive reader");
	/*
	 * The compressions of layers only: archive_read_support_filter_all()
	 * would also hand unknown input to external programs.
	 */
	if (archive_read_support_filter_gzip(u->outer) < ARCHIVE_WARN ||
	    archive_read_support_filter_xz(u->outer) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(u->outer) < ARCHIVE_WARN ||
	    archive_read_support_filter_bzip2(u->outer) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(u->outer) != ARCHIVE_OK ||
	    archive_read_support_format_empty(u->outer) != ARCHIVE_OK ||
	    archive_read_support_format_tar(u->inner) != ARCHIVE_OK)
		return berth_error_set(err, 0, "cannot set up the archive readers");
	if (archive_read_open(u->outer, u, NULL, outer_read, NULL) != ARCHIVE_OK)
		return archive_fail(u, u->outer, err);
	/* the "empty" format takes an empty stream, compressed or not */
	r = archive_read_next_header(u->outer, &entry);
	if (r == ARCHIVE_EOF && !u->in_errno)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid tar archive: empty input");
	if (r != ARCHIVE_OK)
		return archive_fail(u, u->outer, err);
	if (archive_read_open(u->inner, u, NULL, tar_read, NULL) != ARCHIVE_OK)
		return archive_fail(u, u->inner, err);
	return 0;
}

char *image_path_clean(const char *in)
{
	_cleanup_free_ char *out = xmalloc(strlen(in) + 1);
	size_t len = 0;

	for (const char *p = in; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = end - p;

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return NULL;
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p = *end ? end + 1 : end;
	}
	out[len] = '\0';
	return steal_ptr(&out);
}

/* Splits a clean path into its parent ("" for the root) and last component ("." for the root). */
static char *split_path(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		*name = *path ? path : ".";
		return xstrdup("");
	}
	*name = slash + 1;
	return xstrndup(path, slash - path);
}

/* Opens component name of dirfd as a folder, never following a symlink. -1 and errno. */
static int open_component(int dirfd, const char *name, bool create)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd = openat(dirfd, name, flags);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return -1;
		fd = openat(dirfd, name, flags);
	}
	/* tell a symlink (ELOOP) from another non-folder (ENOTDIR) */
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
	    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
	return fd;
}

/* The fallback of open_beneath(): one component at a time, creating missing folders. */
static int walk_beneath(int rootfd, const char *rel, bool create)
{
	_cleanup_close_ int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);

	if (fd < 0)
		return -1;
	for (const char *p = rel; *p;) {
		const char *end = strchrnul(p, '/');
		size_t n = end - p;
		char name[NAME_MAX + 1];
		int next;

		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		next = open_component(fd, name, create);
		if (next < 0)
			return -1;
		closep(&fd);
		fd = next;
		p = *end ? end + 1 : end;
	}
	return steal_fd(&fd);
}

static atomic_bool openat2_missing;

/*
 * Opens the clean relative path rel below rootfd as a folder, refusing any
 * symlink on the way (ELOOP). openat2() does it in one call; without it,
 * walk_beneath(). -1 and errno.
 */
static int open_beneath(int rootfd, const char *rel)
{
	struct open_how how = {
		/* no O_NOFOLLOW: a final symlink must fail with ELOOP, not ENOTDIR */
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};

	if (!*rel)
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	if (!openat2_missing) {
		int fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		openat2_missing = true;
		log_debug("openat2 is not available: walking paths with O_NOFOLLOW");
	}
	return walk_beneath(rootfd, rel, false);
}

/*
 * Opens folder parent of entry (for what: "path" or "hardlink target 'x'"),
 * creating missing folders when create is set.
 */
static int open_parent(struct unpack *u, const char *parent, bool create, const char *entry,
		       const char *what, struct berth_error **err)
{
	int fd = open_beneath(u->rootfd, parent);

	if (fd < 0 && errno == ENOENT && create)
		fd = walk_beneath(u->rootfd, parent, true);
	if (fd >= 0)
		return fd;
	if (errno == ELOOP || errno == EXDEV)
		return invalid(err, entry, "%s goes through a symlink", what);
	if (errno == ENOTDIR)
		return invalid(err, entry, "%s goes through a non-directory", what);
	if (errno == ENOENT)
		return invalid(err, entry, "%s does not exist", what);
	return berth_error_set(err, errno, "open '%s' for tar entry '%s'", parent, entry);
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	}
	for (int i = 0; i < 2; i++)
		if (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000L)
			ts[i].tv_nsec = 0;
}

static int entry_owner(struct archive_entry *e, uid_t *uid, gid_t *gid, const char *entry,
		       struct berth_error **err)
{
	la_int64_t u = archive_entry_uid(e), g = archive_entry_gid(e);

	/* (uid_t)-1 means "unchanged" to chown() */
	if (u < 0 || u >= UINT32_MAX || g < 0 || g >= UINT32_MAX)
		return invalid(err, entry, "owner %lld:%lld out of range", (long long)u,
			       (long long)g);
	*uid = u;
	*gid = g;
	return 0;
}

/* NEEDSWORK: rootless unpacking should map owners through the user namespace. */
static int chown_failed(const char *entry, struct berth_error **err)
{
	if (errno == EPERM && geteuid() != 0)
		return 0;
	return berth_error_set(err, errno, "chown '%s'", entry);
}

/* Sets the xattrs of e on fd, or on lpath (not following a final symlink) when set. */
static int set_xattrs(int fd, const char *lpath, struct archive_entry *e, const char *entry,
		      struct berth_error **err)
{
	const char *key;
	const void *val;
	size_t len;

	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	while (archive_entry_xattr_next(e, &key, &val, &len) == ARCHIVE_OK) {
		int r;

		/* overlayfs obeys these (redirects, opaque dirs): only our whiteout code sets them */
		if (str_has_prefix(key, OVERLAY_XATTR_PREFIX)) {
			log_debug("tar entry '%s': dropping xattr '%s'", entry, key);
			continue;
		}
		r = lpath ? lsetxattr(lpath, key, val, len, 0) : fsetxattr(fd, key, val, len, 0);
		if (r < 0 && errno != ENOTSUP)
			return berth_error_set(err, errno, "set xattr '%s' on '%s'", key, entry);
	}
	return 0;
}

/* Owner, mode, xattrs and (when times is set) times of e on fd, a file or folder. */
static int set_meta_fd(int fd, struct archive_entry *e, bool times, const char *entry,
		       struct berth_error **err)
{
	struct timespec ts[2];
	uid_t uid = 0;
	gid_t gid = 0;

	if (entry_owner(e, &uid, &gid, entry, err) < 0)
		return -1;
	if (fchown(fd, uid, gid) < 0 && chown_failed(entry, err) < 0)
		return -1;
	/* after chown, which clears the set-user-ID bit */
	if (fchmod(fd, archive_entry_perm(e)) < 0)
		return berth_error_set(err, errno, "chmod '%s'", entry);
	/* after chown too, which drops security.capability */
	if (set_xattrs(fd, NULL, e, entry, err) < 0)
		return -1;
	entry_times(e, ts);
	if (times && futimens(fd, ts) < 0)
		return berth_error_set(err, errno, "set the times of '%s'", entry);
	return 0;
}

/* As set_meta_fd() for name in pfd, which may be a symlink or a device (never opened). */
static int set_meta_at(int pfd, const char *name, struct archive_entry *e, const char *entry,
		       struct berth_error **err)
{
	_cleanup_free_ char *lpath = xasprintf("/proc/self/fd/%d/%s", pfd, name);
	bool is_link = archive_entry_filetype(e) == AE_IFLNK;
	struct timespec ts[2];
	uid_t uid = 0;
	gid_t gid = 0;

	if (entry_owner(e, &uid, &gid, entry, err) < 0)
		return -1;
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && chown_failed(entry, err) < 0)
		return -1;
	if (!is_link && fchmodat(pfd, name, archive_entry_perm(e), 0) < 0)
		return berth_error_set(err, errno, "chmod '%s'", entry);
	if (set_xattrs(-1, lpath, e, entry, err) < 0)
		return -1;
	entry_times(e, ts);
	if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "set the times of '%s'", entry);
	return 0;
}

/*
 * Makes room for name in pfd: an existing entry goes, as in Docker, unless
 * both it and the new one are folders.
 */
static int remove_existing(int pfd, const char *name, bool new_is_dir, const char *entry,
			   struct berth_error **err)
{
	_cleanup_free_ char *lpath = NULL;
	struct stat st;

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "stat '%s'", entry);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(pfd, name, 0) < 0)
			return berth_error_set(err, errno, "replace '%s'", entry);
		return 0;
	}
	if (new_is_dir)
		return 0;
	lpath = xasprintf("/proc/self/fd/%d/%s", pfd, name);
	return fs_rm_rf(lpath, err);
}

static int pwrite_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= n;
		off += n;
	}
	return 0;
}

static int make_file(struct unpack *u, int pfd, const char *name, struct archive_entry *e,
		     const char *entry, struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return berth_error_set(err, errno, "create '%s'", entry);
	/* by blocks with offsets, for sparse files */
	while ((r = archive_read_data_block(u->inner, &buf, &len, &off)) == ARCHIVE_OK)
		if (pwrite_all(fd, buf, len, off) < 0)
			return berth_error_set(err, errno, "write '%s'", entry);
	if (r != ARCHIVE_EOF)
		return archive_fail(u, u->inner, err);
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return berth_error_set(err, errno, "write '%s'", entry);
	/* hardlinks add no size: they are not counted */
	u->size += archive_entry_size(e);
	return set_meta_fd(fd, e, true, entry, err);
}

static void defer_dir_time(struct unpack *u, const char *path, struct archive_entry *e)
{
	struct dir_time *d;

	u->dirs = xrealloc(u->dirs, (u->n_dirs + 1) * sizeof(*u->dirs));
	d = &u->dirs[u->n_dirs++];
	d->path = xstrdup(path);
	entry_times(e, d->ts);
}

static int make_dir(struct unpack *u, int pfd, const char *path, const char *name,
		    struct archive_entry *e, const char *entry, struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;

	if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
		return berth_error_set(err, errno, "mkdir '%s'", entry);
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", entry);
	if (set_meta_fd(fd, e, false, entry, err) < 0)
		return -1;
	/* its children would change its mtime: set it at the end */
	defer_dir_time(u, path, e);
	return 0;
}

static int make_symlink(int pfd, const char *name, struct archive_entry *e, const char *entry,
			struct berth_error **err)
{
	const char *target = archive_entry_symlink(e);

	if (!target)
		target = archive_entry_symlink_utf8(e);
	/* the target is only content: absolute ones resolve in the container's root */
	if (!target || !*target)
		return invalid(err, entry, "symlink without a target");
	if (symlinkat(target, pfd, name) < 0)
		return berth_error_set(err, errno, "symlink '%s'", entry);
	return set_meta_at(pfd, name, e, entry, err);
}

static int make_special(int pfd, const char *name, struct archive_entry *e, const char *entry,
			struct berth_error **err)
{
	mode_t type = archive_entry_filetype(e);
	dev_t dev = 0;

	if (type != AE_IFIFO) {
		if (geteuid() != 0) {
			log_debug("skipping device node '%s': not root", entry);
			return 0;
		}
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	}
	if (mknodat(pfd, name, type | 0600, dev) < 0)
		return berth_error_set(err, errno, "mknod '%s'", entry);
	return set_meta_at(pfd, name, e, entry, err);
}

static int make_hardlink(struct unpack *u, int pfd, const char *name, const char *link,
			 const char *entry, struct berth_error **err)
{
	_cleanup_free_ char *target = image_path_clean(link), *tparent = NULL, *what = NULL;
	_cleanup_close_ int tfd = -EBADF;
	const char *tname;
	struct stat st;

	if (!target)
		return invalid(err, entry, "hardlink target '%s' escapes the root", link);
	if (!*target)
		return invalid(err, entry, "hardlink target '%s' is a directory", link);
	what = xasprintf("hardlink target '%s'", link);
	tparent = split_path(target, &tname);
	tfd = open_parent(u, tparent, false, entry, what, err);
	if (tfd < 0)
		return -1;
	if (fstatat(tfd, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? invalid(err, entry, "%s does not exist", what)
				       : berth_error_set(err, errno, "stat '%s'", link);
	if (S_ISDIR(st.st_mode))
		return invalid(err, entry, "%s is a directory", what);
	/* flags 0: a symlink target is linked itself, never followed */
	if (linkat(tfd, tname, pfd, name, 0) < 0)
		return berth_error_set(err, errno, "link '%s' to '%s'", entry, link);
	return 0;
}

/* ".wh.NAME" becomes overlay's whiteout for NAME: a 0/0 character device. */
static int make_whiteout(int pfd, const char *name, struct archive_entry *e, const char *entry,
			 struct berth_error **err)
{
	uid_t uid = 0;
	gid_t gid = 0;

	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return invalid(err, entry, "bad whiteout name");
	if (entry_owner(e, &uid, &gid, entry, err) < 0 ||
	    remove_existing(pfd, name, false, entry, err) < 0)
		return -1;
	if (mknodat(pfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return berth_error_set(err, errno, "create the whiteout '%s'", entry);
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 && chown_failed(entry, err) < 0)
		return -1;
	return 0;
}

static int make_node(struct unpack *u, int pfd, const char *path, const char *name,
		     struct archive_entry *e, const char *entry, struct berth_error **err)
{
	const char *link = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);

	if (remove_existing(pfd, name, !link && type == AE_IFDIR, entry, err) < 0)
		return -1;
	if (link)
		return make_hardlink(u, pfd, name, link, entry, err);
	switch (type) {
	case AE_IFDIR:
		return make_dir(u, pfd, path, name, e, entry, err);
	case AE_IFREG:
		return make_file(u, pfd, name, e, entry, err);
	case AE_IFLNK:
		return make_symlink(pfd, name, e, entry, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return make_special(pfd, name, e, entry, err);
	default:
		return invalid(err, entry, "unsupported file type 0%o", (unsigned int)type);
	}
}

/* The entry for the root itself ("./"): only a folder, whose metadata we keep. */
static int extract_root(struct unpack *u, struct archive_entry *e, const char *entry,
			struct berth_error **err)
{
	if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
		return invalid(err, entry, "the root must be a directory");
	if (set_meta_fd(u->rootfd, e, false, entry, err) < 0)
		return -1;
	defer_dir_time(u, "", e);
	return 0;
}

static int extract_entry(struct unpack *u, struct archive_entry *e, struct berth_error **err)
{
	const char *entry = archive_entry_pathname(e), *name;
	_cleanup_free_ char *path = NULL, *parent = NULL;
	_cleanup_close_ int pfd = -EBADF;

	if (!entry)
		entry = archive_entry_pathname_utf8(e);
	if (!entry)
		return invalid(err, "", "no path");
	path = image_path_clean(entry);
	if (!path)
		return invalid(err, entry, "path escapes the root");
	if (!*path)
		return extract_root(u, e, entry, err);
	/* NEEDSWORK: aufs hardlink targets in .wh..wh.plnk are dropped, not resolved */
	if (str_has_prefix(path, WHITEOUT_META_PREFIX) && strcmp(path, WHITEOUT_OPAQUE) != 0) {
		log_debug("skipping aufs metadata '%s'", entry);
		return 0;
	}
	parent = split_path(path, &name);
	pfd = open_parent(u, parent, true, entry, "path", err);
	if (pfd < 0)
		return -1;
	if (strcmp(name, WHITEOUT_OPAQUE) == 0) {
		if (fsetxattr(pfd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
			return berth_error_set(err, errno, "mark '%s' opaque", entry);
		return 0;
	}
	if (str_has_prefix(name, WHITEOUT_META_PREFIX))
		return 0;
	if (str_has_prefix(name, WHITEOUT_PREFIX))
		return make_whiteout(pfd, name + strlen(WHITEOUT_PREFIX), e, entry, err);
	return make_node(u, pfd, path, name, e, entry, err);
}

static int extract_all(struct unpack *u, struct berth_error **err)
{
	struct archive_entry *e;
	int r;

	while ((r = archive_read_next_header(u->inner, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_fail(u, u->inner, err);
		/* e.g. a path that is not valid in the locale's charset: kept as bytes */
		if (r == ARCHIVE_WARN && archive_error_string(u->inner))
			log_debug("tar: %s", archive_error_string(u->inner));
		if (extract_entry(u, e, err) < 0)
			return -1;
	}
	return 0;
}

/* Reads what follows the end of the archive, so that the diff ID covers the whole stream. */
static int drain(struct unpack *u, struct berth_error **err)
{
	const void *buf;
	la_ssize_t n;

	while ((n = tar_read(u->inner, u, &buf)) > 0)
		;
	return n < 0 ? archive_fail(u, u->inner, err) : 0;
}

static int restore_dir_times(struct unpack *u, struct berth_error **err)
{
	for (size_t i = 0; i < u->n_dirs; i++) {
		struct dir_time *d = &u->dirs[i];
		_cleanup_free_ char *parent = NULL;
		_cleanup_close_ int pfd = -EBADF;
		const char *name;
		struct stat st;

		parent = split_path(d->path, &name);
		pfd = open_beneath(u->rootfd, parent);
		/* a later entry replaced the folder or one on its way: nothing to do */
		if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (utimensat(pfd, name, d->ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return berth_error_set(err, errno, "set the times of '%s'", d->path);
	}
	return 0;
}

int image_tar_unpack(int in_fd, int tar_out_fd, const char *dest, struct image_unpack_result *res,
		     struct berth_error **err)
{
	_cleanup_(unpack_freep) struct unpack *u = xcalloc(1, sizeof(*u));

	u->in_fd = in_fd;
	u->tar_out_fd = tar_out_fd;
	u->sha = sha256_stream_new();
	u->rootfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u->rootfd < 0)
		return berth_error_set(err, errno, "open '%s'", dest);
	if (open_readers(u, err) < 0 || extract_all(u, err) < 0 || drain(u, err) < 0 ||
	    restore_dir_times(u, err) < 0)
		return -1;
	sha256_stream_finish(steal_ptr(&u->sha), res->diff_id);
	res->size = u->size;
	res->tar_size = u->tar_bytes;
	return 0;
}
