/*
 * The files of an image archive (see archive-int.h): a folder, or a tar read
 * in place through an index of its entries.
 */
#define LOG_DOMAIN "archive"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "image/archive-int.h"
#include "image/tar.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define READ_BUF_SIZE  (1024 * 1024)
#define INDEX_BUF_SIZE (64 * 1024)
#define MAX_ENTRIES    (1024 * 1024)
#define MAX_HOPS       40

enum entry_type { ENTRY_FILE, ENTRY_DIR, ENTRY_SYMLINK };

struct tar_entry {
	char *name; /* clean, relative */
	char *link; /* a symlink's target, clean and relative to the root */
	enum entry_type type;
	off_t off;
	uint64_t size;
};

struct archive_src {
	int fd;	   /* the tar, or -EBADF */
	int dirfd; /* the folder, or -EBADF */
	struct tar_entry *ents;
	size_t n, cap;
	size_t *slots; /* open addressing: index + 1 into ents, 0 when free */
	size_t nslots;
};

/* libarchive's message, lowercased as ours are ("Truncated tar archive" → "truncated ...") */
static char *archive_msg(struct archive *a)
{
	const char *msg = archive_error_string(a);
	char *m = xstrdup(msg ? msg : "truncated or corrupt data");

	if (isupper((unsigned char)m[0]) && islower((unsigned char)m[1]))
		m[0] = tolower((unsigned char)m[0]);
	return m;
}

static int invalid_entry(struct berth_error **err, const char *entry, const char *fmt, ...)
	_printf_(3, 4);

static int invalid_entry(struct berth_error **err, const char *entry, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid tar entry '%s': %s", entry,
				msg);
}

/* ---------------------------------------------------------------- the index */

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of name: its entry's, or the free one where it would go. */
static size_t *index_slot(struct archive_src *src, const char *name)
{
	size_t mask = src->nslots - 1, h = name_hash(name) & mask;

	while (src->slots[h] && strcmp(src->ents[src->slots[h] - 1].name, name) != 0)
		h = (h + 1) & mask;
	return &src->slots[h];
}

static struct tar_entry *index_find(struct archive_src *src, const char *name)
{
	size_t *slot;

	if (!src->nslots)
		return NULL;
	slot = index_slot(src, name);
	return *slot ? &src->ents[*slot - 1] : NULL;
}

static void index_grow(struct archive_src *src)
{
	free(src->slots);
	src->nslots = src->nslots ? src->nslots * 2 : 64;
	src->slots = xcalloc(src->nslots, sizeof(*src->slots));
	for (size_t i = 0; i < src->n; i++)
		*index_slot(src, src->ents[i].name) = i + 1;
}

/* Adds e (taking its strings); a later entry of the same name replaces the earlier. */
static void index_put(struct archive_src *src, struct tar_entry *e)
{
	size_t *slot;

	if (2 * (src->n + 1) > src->nslots)
		index_grow(src);
	slot = index_slot(src, e->name);
	if (*slot) {
		struct tar_entry *old = &src->ents[*slot - 1];
		free(old->name);
		free(old->link);
		*old = *e;
		return;
	}
	if (src->n == src->cap) {
		src->cap = src->cap ? src->cap * 2 : 64;
		src->ents = xrealloc(src->ents, src->cap * sizeof(*src->ents));
	}
	src->ents[src->n] = *e;
	*slot = ++src->n;
}

/* ---------------------------------------------------------------- indexing a tar */

struct index_reader {
	int fd;
	off_t pos;
	int in_errno;
	char buf[INDEX_BUF_SIZE];
};

static la_ssize_t index_read(struct archive *a, void *data, const void **buf)
{
	struct index_reader *r = data;
	ssize_t n;

	do
		n = pread(r->fd, r->buf, sizeof(r->buf), r->pos);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->in_errno = errno;
		archive_set_error(a, errno, "read error");
		return -1;
	}
	r->pos += n;
	*buf = r->buf;
	return n;
}

/* Entry data is skipped without reading it: a layer of 1 GB costs nothing here. */
static la_int64_t index_skip(struct archive *a, void *data, la_int64_t request)
{
	struct index_reader *r = data;

	(void)a;
	r->pos += request;
	return request;
}

/* The index_*() functions take name. */
static int index_symlink(struct archive_src *src, struct archive_entry *e, const char *entry,
			 char *taken, struct berth_error **err)
{
	_cleanup_free_ char *name = taken;
	const char *target = archive_entry_symlink(e);
	_cleanup_free_ char *joined = NULL, *clean = NULL;
	const char *slash = strrchr(name, '/');

	if (!target)
		target = archive_entry_symlink_utf8(e);
	if (!target || !*target)
		return invalid_entry(err, entry, "symlink without a target");
	if (target[0] == '/')
		return invalid_entry(err, entry, "symlink target '%s' is absolute", target);
	joined = slash ? xasprintf("%.*s/%s", (int)(slash - name), name, target) : xstrdup(target);
	clean = image_path_clean(joined);
	if (!clean)
		return invalid_entry(err, entry, "symlink target '%s' escapes the archive", target);
	index_put(src, &(struct tar_entry){.name = steal_ptr(&name),
					   .link = steal_ptr(&clean),
					   .type = ENTRY_SYMLINK});
	return 0;
}

static int index_hardlink(struct archive_src *src, const char *link, const char *entry, char *taken,
			  struct berth_error **err)
{
	_cleanup_free_ char *name = taken;
	_cleanup_free_ char *target = link[0] == '/' ? NULL : image_path_clean(link);
	struct tar_entry *t;

	if (!target)
		return invalid_entry(err, entry, "hardlink target '%s' escapes the archive", link);
	t = index_find(src, target);
	if (!t || t->type != ENTRY_FILE)
		return invalid_entry(err, entry,
				     "hardlink target '%s' is not an earlier file of the archive",
				     link);
	index_put(src, &(struct tar_entry){.name = steal_ptr(&name),
					   .type = ENTRY_FILE,
					   .off = t->off,
					   .size = t->size});
	return 0;
}

static int index_entry(struct archive_src *src, struct archive *a, struct archive_entry *e,
		       off_t file_size, struct berth_error **err)
{
	const char *entry = archive_entry_pathname(e), *link = archive_entry_hardlink(e);
	_cleanup_free_ char *name = NULL;
	mode_t type = archive_entry_filetype(e);
	struct tar_entry te = {0};

	if (!entry)
		entry = archive_entry_pathname_utf8(e);
	if (!entry)
		return invalid_entry(err, "", "no path");
	if (entry[0] == '/')
		return invalid_entry(err, entry, "absolute path");
	name = image_path_clean(entry);
	if (!name)
		return invalid_entry(err, entry, "path escapes the archive");
	if (!*name)
		return 0;
	if (link)
		return index_hardlink(src, link, entry, steal_ptr(&name), err);
	if (type == AE_IFLNK)
		return index_symlink(src, e, entry, steal_ptr(&name), err);
	if (type == AE_IFDIR) {
		te = (struct tar_entry){.name = steal_ptr(&name), .type = ENTRY_DIR};
		index_put(src, &te);
		return 0;
	}
	if (type != AE_IFREG) {
		log_debug("archive: ignoring tar entry '%s' of type 0%o", entry, (unsigned)type);
		return 0;
	}
	if (archive_entry_sparse_count(e) > 0)
		return invalid_entry(err, entry, "sparse files are not supported here");
	/* the data follows the header(s) the reader has consumed */
	te = (struct tar_entry){.name = steal_ptr(&name),
				.type = ENTRY_FILE,
				.off = archive_filter_bytes(a, 0),
				.size = archive_entry_size(e)};
	if (te.off < 0 || archive_entry_size(e) < 0 || te.off + (off_t)te.size > file_size) {
		free(te.name);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid tar archive: truncated data of '%s'", entry);
	}
	index_put(src, &te);
	return 0;
}

static int index_fail(struct archive *a, struct index_reader *r, struct berth_error **err)
{
	_cleanup_free_ char *msg = archive_msg(a);

	if (r->in_errno)
		return berth_error_set(err, r->in_errno, "read the archive");
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid tar archive: %s", msg);
}

static int index_tar(struct archive_src *src, struct berth_error **err)
{
	_cleanup_free_ struct index_reader *r = xcalloc(1, sizeof(*r));
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct stat st;
	int rc, ret = -1;

	if (!a)
		return berth_error_set(err, ENOMEM, "create an archive reader");
	r->fd = src->fd;
	if (fstat(src->fd, &st) < 0) {
		berth_error_set(err, errno, "stat the archive");
		goto out;
	}
	if (archive_read_support_format_tar(a) != ARCHIVE_OK ||
	    archive_read_set_read_callback(a, index_read) != ARCHIVE_OK ||
	    archive_read_set_skip_callback(a, index_skip) != ARCHIVE_OK ||
	    archive_read_set_callback_data(a, r) != ARCHIVE_OK ||
	    archive_read_open1(a) != ARCHIVE_OK) {
		index_fail(a, r, err);
		goto out;
	}
	while ((rc = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
			index_fail(a, r, err);
			goto out;
		}
		if (src->n >= MAX_ENTRIES) {
			berth_error_setk(err, BERTH_ERR_INVALID, 0,
					 "invalid tar archive: more than %d entries", MAX_ENTRIES);
			goto out;
		}
		if (index_entry(src, a, e, st.st_size, err) < 0)
			goto out;
	}
	ret = 0;
out:
	archive_read_free(a);
	return ret;
}

/* ---------------------------------------------------------------- opening */

/* Is the data at fd's offset off gzip, bzip2, xz or zstd? */
static bool is_compressed(int fd, off_t off)
{
	static const struct {
		const char *magic;
		size_t len;
	} magics[] = {
		{"\x1f\x8b", 2},
		{"BZh", 3},
		{"\xfd"
		 "7zXZ\0",
		 6},
		{"\x28\xb5\x2f\xfd", 4},
	};
	unsigned char buf[6];
	ssize_t n = pread(fd, buf, sizeof(buf), off);

	for (size_t i = 0; i < ARRAY_SIZE(magics); i++)
		if (n >= (ssize_t)magics[i].len && memcmp(buf, magics[i].magic, magics[i].len) == 0)
			return true;
	return false;
}

static int spool_fail(struct archive *a, const char *what, struct berth_error **err)
{
	_cleanup_free_ char *msg = archive_msg(a);

	if (archive_errno(a) > 0 && !archive_error_string(a))
		return berth_error_set(err, archive_errno(a), "%s", what);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid archive: %s", msg);
}

/* Copies the tar at in_fd, decompressed, into a new unlinked file under tmp_dir. */
static int spool(int in_fd, const char *tmp_dir, struct berth_error **err)
{
	_cleanup_close_ int fd = open(tmp_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	_cleanup_free_ char *buf = xmalloc(READ_BUF_SIZE);
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	la_ssize_t n;
	int ret = -1;

	if (!a)
		return berth_error_set(err, ENOMEM, "create an archive reader");
	if (fd < 0) {
		berth_error_set(err, errno, "create a temporary file in '%s'", tmp_dir);
		goto out;
	}
	/* the compressions of Docker's load only: never external programs */
	if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_xz(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
	    archive_read_support_filter_bzip2(a) < ARCHIVE_WARN ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_support_format_empty(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, in_fd, READ_BUF_SIZE) != ARCHIVE_OK) {
		spool_fail(a, "read the archive", err);
		goto out;
	}
	n = archive_read_next_header(a, &e);
	if (n == ARCHIVE_EOF) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid archive: empty input");
		goto out;
	}
	if (n != ARCHIVE_OK) {
		spool_fail(a, "read the archive", err);
		goto out;
	}
	while ((n = archive_read_data(a, buf, READ_BUF_SIZE)) > 0)
		if (fs_write_all(fd, buf, n) < 0) {
			berth_error_set(err, errno, "write a temporary file in '%s'", tmp_dir);
			goto out;
		}
	if (n < 0) {
		spool_fail(a, "read the archive", err);
		goto out;
	}
	ret = steal_fd(&fd);
out:
	archive_read_free(a);
	return ret;
}

/* The tar at fd (taken), from its current offset: in place, or spooled. */
static int open_tar(struct archive_src *src, int fd, const char *tmp_dir, struct berth_error **err)
{
	_cleanup_close_ int in = fd;
	struct stat st;
	off_t off;

	if (fstat(in, &st) < 0)
		return berth_error_set(err, errno, "stat the archive");
	off = S_ISREG(st.st_mode) ? lseek(in, 0, SEEK_CUR) : -1;
	if (off == 0 && st.st_size == 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid archive: empty input");
	if (off == 0 && !is_compressed(in, 0)) {
		src->fd = steal_fd(&in);
	} else {
		if (fs_mkdir_p(tmp_dir, 0700, err) < 0)
			return -1;
		src->fd = spool(in, tmp_dir, err);
		if (src->fd < 0)
			return -1;
	}
	return index_tar(src, err);
}

struct archive_src *archive_src_open(const char *input, int in_fd, const char *tmp_dir,
				     struct berth_error **err)
{
	struct archive_src *src = xcalloc(1, sizeof(*src));
	struct stat st;
	int fd;

	src->fd = src->dirfd = -EBADF;
	if (input && strcmp(input, "-") != 0) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			berth_error_setk(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND : 0, errno,
					 "open '%s'", input);
			goto fail;
		}
		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
			src->dirfd = fd;
			return src;
		}
	} else {
		fd = fcntl(in_fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0) {
			berth_error_set(err, errno, "read the archive");
			goto fail;
		}
	}
	if (open_tar(src, fd, tmp_dir, err) < 0)
		goto fail;
	return src;
fail:
	archive_src_free(src);
	return NULL;
}

void archive_src_free(struct archive_src *src)
{
	if (!src)
		return;
	closep(&src->fd);
	closep(&src->dirfd);
	for (size_t i = 0; i < src->n; i++) {
		free(src->ents[i].name);
		free(src->ents[i].link);
	}
	free(src->ents);
	free(src->slots);
	free(src);
}

void archive_file_release(struct archive_file *f)
{
	closep(&f->fd);
}

/* ---------------------------------------------------------------- lookups */

/* A folder on the way to path that is a symlink: path rewritten through it, or NULL. */
static char *through_symlink(struct archive_src *src, char *path, bool *not_dir)
{
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		struct tar_entry *e;

		*slash = '\0';
		e = index_find(src, path);
		*slash = '/';
		if (e && e->type == ENTRY_FILE) {
			*not_dir = true;
			return NULL;
		}
		if (e && e->type == ENTRY_SYMLINK) {
			_cleanup_free_ char *joined = xasprintf("%s/%s", e->link, slash + 1);
			return image_path_clean(joined);
		}
	}
	return NULL;
}

static int tar_lookup(struct archive_src *src, const char *path, char *clean,
		      struct archive_file *f, struct berth_error **err)
{
	_cleanup_free_ char *cur = clean;

	for (int hops = 0; hops < MAX_HOPS; hops++) {
		struct tar_entry *e = index_find(src, cur);
		bool not_dir = false;
		char *next;

		if (e && e->type == ENTRY_FILE) {
			f->fd = fcntl(src->fd, F_DUPFD_CLOEXEC, 3);
			if (f->fd < 0)
				return berth_error_set(err, errno, "open '%s' in the archive",
						       path);
			f->off = e->off;
			f->size = e->size;
			return 0;
		}
		if (e && e->type == ENTRY_DIR)
			return berth_error_setk(err, BERTH_ERR_INVALID, EISDIR,
						"open '%s' in the archive", path);
		next = e ? xstrdup(e->link) : through_symlink(src, cur, &not_dir);
		if (!next)
			return berth_error_setk(err, BERTH_ERR_NOT_FOUND,
						not_dir ? ENOTDIR : ENOENT,
						"open '%s' in the archive", path);
		free(cur);
		cur = next;
	}
	return berth_error_setk(err, BERTH_ERR_INVALID, ELOOP, "open '%s' in the archive", path);
}

static atomic_bool openat2_missing;

/* openat() of name in fd, never following a symlink: ELOOP for one. -1 and errno. */
static int open_nofollow(int fd, const char *name, int flags)
{
	int r = openat(fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	/* O_DIRECTORY on a symlink says ENOTDIR */
	if (r < 0 && errno == ENOTDIR && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;
	return r;
}

/* Opens the clean relative path below dirfd, never leaving it. -1 and errno. */
static int open_beneath(int dirfd, const char *rel)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *copy = NULL;
	char *p, *slash;

	if (!openat2_missing) {
		int r = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));
		if (r >= 0 || errno != ENOSYS)
			return r;
		openat2_missing = true;
		log_debug("openat2 is not available: walking paths with O_NOFOLLOW");
	}
	/* without openat2: one component at a time, refusing every symlink */
	copy = xstrdup(rel);
	fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	for (p = copy; fd >= 0 && (slash = strchr(p, '/')); p = slash + 1) {
		int next;

		*slash = '\0';
		next = open_nofollow(fd, p, O_RDONLY | O_DIRECTORY);
		closep(&fd);
		fd = next;
	}
	if (fd < 0)
		return -1;
	return open_nofollow(fd, p, O_RDONLY);
}

static int dir_lookup(struct archive_src *src, const char *path, const char *clean,
		      struct archive_file *f, struct berth_error **err)
{
	_cleanup_close_ int fd = open_beneath(src->dirfd, clean);
	struct stat st;

	if (fd < 0 && (errno == EXDEV || errno == ELOOP))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"open '%s' in the archive: it leads out of the folder",
					path);
	if (fd < 0)
		return berth_error_setk(err, errno == ENOENT ? BERTH_ERR_NOT_FOUND : 0, errno,
					"open '%s' in the archive", path);
	if (fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "stat '%s' in the archive", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"open '%s' in the archive: not a regular file", path);
	f->fd = steal_fd(&fd);
	f->off = 0;
	f->size = st.st_size;
	return 0;
}

int archive_src_lookup(struct archive_src *src, const char *path, struct archive_file *f,
		       struct berth_error **err)
{
	char *clean = path[0] == '/' ? NULL : image_path_clean(path);

	*f = (struct archive_file){.fd = -EBADF};
	if (!clean || !*clean) {
		free(clean);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid path '%s': it leads out of the archive", path);
	}
	if (src->dirfd >= 0) {
		_cleanup_free_ char *c = clean;
		return dir_lookup(src, path, c, f, err);
	}
	return tar_lookup(src, path, clean, f, err);
}

char *archive_src_read(struct archive_src *src, const char *path, size_t max, size_t *len,
		       struct berth_error **err)
{
	struct archive_file f;
	_cleanup_free_ char *buf = NULL;
	size_t done = 0;

	if (archive_src_lookup(src, path, &f, err) < 0)
		return NULL;
	if (f.size > max) {
		archive_file_release(&f);
		berth_error_setk(err, BERTH_ERR_INVALID, 0,
				 "'%s' in the archive is too large (%llu bytes)", path,
				 (unsigned long long)f.size);
		return NULL;
	}
	buf = xmalloc(f.size + 1);
	while (done < f.size) {
		ssize_t n = pread(f.fd, buf + done, f.size - done, f.off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			berth_error_set(err, n < 0 ? errno : EIO, "read '%s' in the archive", path);
			archive_file_release(&f);
			return NULL;
		}
		done += n;
	}
	archive_file_release(&f);
	buf[done] = '\0';
	if (len)
		*len = done;
	return steal_ptr(&buf);
}

/* ---------------------------------------------------------------- feeding a pipe */

struct archive_feed {
	pthread_t thread;
	int src_fd; /* borrowed */
	off_t off;
	uint64_t size, done;
	int write_fd;
	struct sha256_stream *sha;
	int read_errno, write_errno;
	bool eof; /* the file ended before size */
};

static void *feed_main(void *data)
{
	struct archive_feed *fd = data;
	_cleanup_free_ char *buf = xmalloc(READ_BUF_SIZE);
	sigset_t pipe_set;

	/* a reader that stops early gives EPIPE, not a signal that ends berth */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	while (fd->done < fd->size) {
		size_t want =
			fd->size - fd->done < READ_BUF_SIZE ? fd->size - fd->done : READ_BUF_SIZE;
		ssize_t n = pread(fd->src_fd, buf, want, fd->off + fd->done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fd->read_errno = errno;
			break;
		}
		if (n == 0) {
			fd->eof = true;
			break;
		}
		if (fd->sha)
			sha256_stream_update(fd->sha, buf, n);
		if (fs_write_all(fd->write_fd, buf, n) < 0) {
			fd->write_errno = errno;
			break;
		}
		fd->done += n;
	}
	closep(&fd->write_fd);
	return NULL;
}

struct archive_feed *archive_feed_start(const struct archive_file *f, bool hash, int *read_fd,
					struct berth_error **err)
{
	struct archive_feed *feed = xcalloc(1, sizeof(*feed));
	int p[2], r;

	if (pipe2(p, O_CLOEXEC) < 0) {
		berth_error_set(err, errno, "create a pipe");
		free(feed);
		return NULL;
	}
	/* fewer wake-ups; the default is 64 KiB */
	(void)fcntl(p[1], F_SETPIPE_SZ, READ_BUF_SIZE);
	feed->src_fd = f->fd;
	feed->off = f->off;
	feed->size = f->size;
	feed->write_fd = p[1];
	feed->sha = hash ? sha256_stream_new() : NULL;
	r = pthread_create(&feed->thread, NULL, feed_main, feed);
	if (r != 0) {
		berth_error_set(err, r, "start a thread");
		close(p[0]);
		close(p[1]);
		sha256_stream_free(feed->sha);
		free(feed);
		return NULL;
	}
	*read_fd = p[0];
	return feed;
}

int archive_feed_finish(struct archive_feed *feed, char digest[SHA256_DIGEST_LEN],
			struct berth_error **err)
{
	int r = 0;

	pthread_join(feed->thread, NULL);
	if (feed->read_errno)
		r = berth_error_set(err, feed->read_errno, "read the archive");
	else if (feed->eof)
		r = berth_error_setk(err, BERTH_ERR_INVALID, 0, "the archive is truncated");
	else if (feed->write_errno)
		r = berth_error_set(err, feed->write_errno, "read a layer to its end");
	if (feed->sha && r == 0 && digest)
		sha256_stream_finish(steal_ptr(&feed->sha), digest);
	sha256_stream_free(feed->sha);
	free(feed);
	return r;
}
