/*
 * The tar writer (see tarwrite.h).
 *
 * An entry is one ustar header block, preceded when a field does not fit
 * ustar by a pax extended header ('x', its records as data), then the entry's
 * data padded to a whole block. Everything goes through one buffer, hashed as
 * it is flushed, so that the digest covers exactly the bytes written to the
 * fd. Entries are written in a fixed order from what is on disk and nothing
 * else (no atime, no user names, no pid or clock), so the same tree gives the
 * same bytes.
 */
#define LOG_DOMAIN "tarwrite"

#include <fcntl.h>
#include <inttypes.h>
#include <search.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "image/tarwrite.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define BLOCK	 512
#define BUF_SIZE (256 * 1024)
/* File content is read straight into the buffer, never less than this at once. */
#define READ_MIN (64 * 1024)

#define TYPE_FILE     '0'
#define TYPE_HARDLINK '1'
#define TYPE_SYMLINK  '2'
#define TYPE_CHAR     '3'
#define TYPE_BLOCK    '4'
#define TYPE_DIR      '5'
#define TYPE_FIFO     '6'
#define TYPE_PAX      'x'

#define WHITEOUT_PREFIX	     ".wh."
#define WHITEOUT_OPAQUE	     ".wh..wh..opq"
#define OVERLAY_XATTR_PREFIX "trusted.overlay."
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define PAX_XATTR_PREFIX     "SCHILY.xattr."

/* A POSIX ustar header: NUL-padded strings and NUL-terminated octal numbers. */
struct ustar_header {
	char name[100];
	char mode[8];
	char uid[8];
	char gid[8];
	char size[12];
	char mtime[12];
	char chksum[8];
	char typeflag;
	char linkname[100];
	char magic[6];
	char version[2];
	char uname[32];
	char gname[32];
	char devmajor[8];
	char devminor[8];
	char prefix[155];
	char pad[12];
};
_Static_assert(sizeof(struct ustar_header) == BLOCK, "a ustar header is one block");
#define USTAR_LEN(field) sizeof(((struct ustar_header *)NULL)->field)

struct xattr {
	char *name;
	char *value; /* binary, len bytes */
	size_t len;
};

/* What a header says about one entry. */
struct tar_entry {
	const char *name; /* the path in the archive, "dir/" for a folder */
	const char *link; /* hardlink or symlink target, or NULL */
	char type;	  /* TYPE_* */
	mode_t mode;	  /* permission bits with setuid, setgid and sticky */
	uid_t uid;
	gid_t gid;
	uint64_t size;
	struct timespec mtime;
	unsigned int major, minor;  /* devices */
	const struct xattr *xattrs; /* sorted by name */
	size_t n_xattrs;
};

/* An inode with more than one link that is already in the archive, under path. */
struct link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct tarw {
	int fd;
	struct sha256_stream *sha;
	uint64_t written; /* bytes put into buf so far, flushed or not */
	void *links;	  /* tsearch() tree of struct link */
	size_t len;	  /* bytes waiting in buf */
	char buf[BUF_SIZE];
};

static void link_free(void *p)
{
	struct link *l = p;

	free(l->path);
	free(l);
}

static int link_cmp(const void *a, const void *b)
{
	const struct link *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

struct tarw *tarw_new(int fd)
{
	struct tarw *tw = xmalloc(sizeof(*tw));

	tw->fd = fd;
	tw->sha = sha256_stream_new();
	tw->written = 0;
	tw->links = NULL;
	tw->len = 0;
	return tw;
}

void tarw_free(struct tarw *tw)
{
	int saved = errno;

	if (!tw)
		return;
	sha256_stream_free(tw->sha);
	tdestroy(tw->links, link_free);
	free(tw);
	errno = saved;
}

/* Output */

static int tw_flush(struct tarw *tw, struct berth_error **err)
{
	if (tw->len == 0)
		return 0;
	sha256_stream_update(tw->sha, tw->buf, tw->len);
	if (fs_write_all(tw->fd, tw->buf, tw->len) < 0)
		return berth_error_set(err, errno, "write the tar archive");
	tw->len = 0;
	return 0;
}

/* Appends len bytes of data, or len zeros when data is NULL. */
static int tw_write(struct tarw *tw, const void *data, size_t len, struct berth_error **err)
{
	const char *p = data;

	while (len > 0) {
		size_t n = BUF_SIZE - tw->len;

		if (n > len)
			n = len;
		if (p) {
			memcpy(tw->buf + tw->len, p, n);
			p += n;
		} else {
			memset(tw->buf + tw->len, 0, n);
		}
		tw->len += n;
		tw->written += n;
		len -= n;
		if (tw->len == BUF_SIZE && tw_flush(tw, err) < 0)
			return -1;
	}
	return 0;
}

/* Zeros up to the next block: every entry starts on a block, so the count tells. */
static int tw_pad(struct tarw *tw, struct berth_error **err)
{
	return tw_write(tw, NULL, (BLOCK - tw->written % BLOCK) % BLOCK, err);
}

/*
 * size bytes of fd, read into the buffer itself, then padding. name is for
 * messages. A file shorter than its header said cannot be fixed once the
 * header is out: it is an error.
 */
static int tw_copy_fd(struct tarw *tw, int fd, uint64_t size, const char *name,
		      struct berth_error **err)
{
	while (size > 0) {
		size_t want = BUF_SIZE - tw->len;
		ssize_t n;

		if (want < READ_MIN) {
			if (tw_flush(tw, err) < 0)
				return -1;
			want = BUF_SIZE;
		}
		if (want > size)
			want = size;
		n = read(fd, tw->buf + tw->len, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return berth_error_set(err, errno, "read '%s'", name);
		}
		if (n == 0)
			return berth_error_set(err, 0, "read '%s': the file shrank while archived",
					       name);
		tw->len += n;
		tw->written += n;
		size -= n;
	}
	return tw_pad(tw, err);
}

/* Headers */

/*
 * v as zero-padded octal and a NUL in a field of w bytes. False when it does
 * not fit; the field is then 0 and a pax record must carry the value.
 */
static bool put_octal(char *field, size_t w, uint64_t v)
{
	bool fits = v >> (3 * (w - 1)) == 0;

	if (!fits)
		v = 0;
	field[w - 1] = '\0';
	for (size_t i = w - 1; i-- > 0; v >>= 3)
		field[i] = '0' + (v & 7);
	return fits;
}

static size_t digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/*
 * A pax record "LEN KEY=VALUE\n", KEY being prefix then key. LEN counts the
 * whole record, its own digits included: adding them may carry into one more
 * digit (a 98-byte base makes "100 ", so 101).
 */
static void pax_add(struct strbuf *sb, const char *prefix, const char *key, const void *val,
		    size_t vlen)
{
	size_t base = strlen(prefix) + strlen(key) + vlen + 3; /* ' ', '=', '\n' */
	size_t d = digits(base);

	if (digits(base + d) > d)
		d++;
	strbuf_addf(sb, "%zu %s%s=", base + d, prefix, key);
	strbuf_add(sb, val, vlen);
	strbuf_addch(sb, '\n');
}

static void pax_add_num(struct strbuf *sb, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	pax_add(sb, "", key, s, strlen(s));
}

/*
 * "mtime=SEC[.FRAC]" with the trailing zeros of the fraction cut. A time
 * before 1970 with nanoseconds, -2 s + 0.5 s, is written "-1.5".
 */
static void pax_add_time(struct strbuf *sb, const struct timespec *ts)
{
	bool neg = ts->tv_sec < 0;
	uint64_t sec = neg ? -(uint64_t)ts->tv_sec : (uint64_t)ts->tv_sec;
	long nsec = ts->tv_nsec;
	char s[48];
	int n;

	if (neg && nsec > 0) {
		sec--;
		nsec = 1000000000 - nsec;
	}
	n = snprintf(s, sizeof(s), "%s%" PRIu64 ".%09ld", neg ? "-" : "", sec, nsec);
	while (s[n - 1] == '0')
		n--;
	if (s[n - 1] == '.')
		n--;
	pax_add(sb, "", "mtime", s, n);
}

/*
 * Where a name too long for the name field splits into prefix (155) and name
 * (100) at a '/': the index of that '/', or 0 if there is none. The suffix
 * may not be empty, so a folder's trailing '/' is no place to split.
 */
static size_t ustar_split(const char *name, size_t len)
{
	size_t end = len, i;
	const char *slash;

	if (end > USTAR_LEN(prefix) + 1)
		end = USTAR_LEN(prefix) + 1;
	else if (name[end - 1] == '/')
		end--;
	slash = memrchr(name, '/', end);
	if (!slash)
		return 0;
	i = slash - name;
	if (i == 0 || len - i - 1 == 0 || len - i - 1 > USTAR_LEN(name))
		return 0;
	return i;
}

/* The header block of e; the pax records it needs are appended to pax. */
static void fill_header(struct ustar_header *h, const struct tar_entry *e, struct strbuf *pax)
{
	size_t len = strlen(e->name), split;
	bool mtime_fits;
	unsigned int sum = 0;

	memset(h, 0, sizeof(*h));
	if (len <= sizeof(h->name)) {
		memcpy(h->name, e->name, len);
	} else if ((split = ustar_split(e->name, len))) {
		memcpy(h->prefix, e->name, split);
		memcpy(h->name, e->name + split + 1, len - split - 1);
	} else {
		/* readers without pax get the start */
		memcpy(h->name, e->name, sizeof(h->name));
		pax_add(pax, "", "path", e->name, len);
	}
	if (e->link) {
		len = strlen(e->link);
		memcpy(h->linkname, e->link, len < sizeof(h->linkname) ? len : sizeof(h->linkname));
		if (len > sizeof(h->linkname))
			pax_add(pax, "", "linkpath", e->link, len);
	}
	put_octal(h->mode, sizeof(h->mode), e->mode & 07777);
	if (!put_octal(h->uid, sizeof(h->uid), e->uid))
		pax_add_num(pax, "uid", e->uid);
	if (!put_octal(h->gid, sizeof(h->gid), e->gid))
		pax_add_num(pax, "gid", e->gid);
	if (!put_octal(h->size, sizeof(h->size), e->size))
		pax_add_num(pax, "size", e->size);
	mtime_fits = e->mtime.tv_sec >= 0 &&
		     put_octal(h->mtime, sizeof(h->mtime), (uint64_t)e->mtime.tv_sec);
	if (!mtime_fits || e->mtime.tv_nsec != 0)
		pax_add_time(pax, &e->mtime);
	h->typeflag = e->type;
	memcpy(h->magic, "ustar", sizeof(h->magic)); /* with its NUL */
	memcpy(h->version, "00", sizeof(h->version));
	put_octal(h->devmajor, sizeof(h->devmajor), e->major);
	put_octal(h->devminor, sizeof(h->devminor), e->minor);
	for (size_t i = 0; i < e->n_xattrs; i++)
		pax_add(pax, PAX_XATTR_PREFIX, e->xattrs[i].name, e->xattrs[i].value,
			e->xattrs[i].len);

	/* the sum of the bytes with the checksum field as spaces: 6 digits, NUL, space */
	memset(h->chksum, ' ', sizeof(h->chksum));
	for (size_t i = 0; i < sizeof(*h); i++)
		sum += ((unsigned char *)h)[i];
	put_octal(h->chksum, sizeof(h->chksum) - 1, sum);
}

/* "dir/PaxHeaders.0/base" for "dir/base" or "dir/base/", as Go names them, cut to fit. */
static char *pax_header_name(const char *name)
{
	size_t len = strlen(name), dlen;
	const char *slash;
	char *s;

	while (len > 0 && name[len - 1] == '/')
		len--;
	slash = memrchr(name, '/', len);
	dlen = slash ? (size_t)(slash - name) + 1 : 0;
	s = xasprintf("%.*sPaxHeaders.0/%.*s", (int)dlen, name, (int)(len - dlen), name + dlen);
	len = strlen(s);
	if (len > USTAR_LEN(name))
		len = USTAR_LEN(name);
	while (len > 0 && s[len - 1] == '/')
		len--;
	s[len] = '\0';
	return s;
}

/* The header of e, after a pax header if it needs one; its data is the caller's. */
static int write_header(struct tarw *tw, const struct tar_entry *e, struct berth_error **err)
{
	_cleanup_(strbuf_release) struct strbuf pax = STRBUF_INIT;
	struct ustar_header h;

	fill_header(&h, e, &pax);
	if (pax.len > 0) {
		_cleanup_free_ char *name = pax_header_name(e->name);
		struct tar_entry pe = {.name = name, .type = TYPE_PAX, .size = pax.len};
		struct ustar_header ph;
		struct strbuf none = STRBUF_INIT;

		fill_header(&ph, &pe, &none);
		if (none.len)
			BUG("a pax header that needs a pax header");
		if (tw_write(tw, &ph, sizeof(ph), err) < 0 ||
		    tw_write(tw, pax.buf, pax.len, err) < 0 || tw_pad(tw, err) < 0)
			return -1;
	}
	return tw_write(tw, &h, sizeof(h), err);
}

/* Entries from memory */

static int check_name(const char *name, struct berth_error **err)
{
	if (!*name)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "empty tar entry name");
	return 0;
}

int tarw_add_dir(struct tarw *tw, const char *name, mode_t mode, int64_t mtime_s,
		 struct berth_error **err)
{
	_cleanup_free_ char *dname = NULL;
	struct tar_entry e = {.type = TYPE_DIR, .mode = mode, .mtime.tv_sec = mtime_s};

	if (check_name(name, err) < 0)
		return -1;
	dname = str_has_suffix(name, "/") ? xstrdup(name) : xasprintf("%s/", name);
	e.name = dname;
	return write_header(tw, &e, err);
}

int tarw_add_data(struct tarw *tw, const char *name, const void *data, size_t len, mode_t mode,
		  int64_t mtime_s, struct berth_error **err)
{
	struct tar_entry e = {.name = name,
			      .type = TYPE_FILE,
			      .mode = mode,
			      .size = len,
			      .mtime.tv_sec = mtime_s};

	if (check_name(name, err) < 0 || write_header(tw, &e, err) < 0 ||
	    tw_write(tw, data, len, err) < 0)
		return -1;
	return tw_pad(tw, err);
}

int tarw_add_fd(struct tarw *tw, const char *name, int fd, uint64_t size, mode_t mode,
		int64_t mtime_s, struct berth_error **err)
{
	struct tar_entry e = {.name = name,
			      .type = TYPE_FILE,
			      .mode = mode,
			      .size = size,
			      .mtime.tv_sec = mtime_s};

	if (check_name(name, err) < 0 || write_header(tw, &e, err) < 0)
		return -1;
	return tw_copy_fd(tw, fd, size, name, err);
}

/* Extended attributes */

struct xattrs {
	struct xattr *v;
	size_t n;
	bool opaque; /* trusted.overlay.opaque is "y" */
};

static void xattrs_release(struct xattrs *xs)
{
	for (size_t i = 0; i < xs->n; i++) {
		free(xs->v[i].name);
		free(xs->v[i].value);
	}
	free(xs->v);
}

/*
 * Archived: file capabilities, user.* and trusted.*, except overlay's own
 * trusted.overlay.* (opaque dirs and redirects are the upper dir's business;
 * the unpacker drops them too). Others, such as security.selinux and ACLs,
 * belong to the host. A name with '=' cannot be a pax key.
 */
static bool xattr_kept(const char *name)
{
	if (str_has_prefix(name, OVERLAY_XATTR_PREFIX) || strchr(name, '='))
		return false;
	return !strcmp(name, "security.capability") || str_has_prefix(name, "user.") ||
	       str_has_prefix(name, "trusted.");
}

/* listxattr (key NULL) or getxattr of fd, or of lpath without following it. */
static ssize_t xattr_op(int fd, const char *lpath, const char *key, char *buf, size_t size)
{
	if (key)
		return lpath ? lgetxattr(lpath, key, buf, size) : fgetxattr(fd, key, buf, size);
	return lpath ? llistxattr(lpath, buf, size) : flistxattr(fd, buf, size);
}

/* The list of names (key NULL) or the value of key in *out, to free. -1 and errno. */
static ssize_t xattr_get(int fd, const char *lpath, const char *key, char **out)
{
	for (;;) {
		ssize_t size = xattr_op(fd, lpath, key, NULL, 0), n;
		char *buf;

		if (size < 0)
			return -1;
		buf = xmalloc(size + 1);
		n = xattr_op(fd, lpath, key, buf, size);
		if (n >= 0) {
			*out = buf;
			return n;
		}
		freep(&buf);
		/* it grew between the two calls: ask again */
		if (errno != ERANGE)
			return -1;
	}
}

static int xattr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xattr *)a)->name, ((const struct xattr *)b)->name);
}

/*
 * The archived xattrs of fd, or of lpath (not followed) when it is set,
 * sorted by name, and whether it is an opaque folder. name is for messages.
 */
static int read_xattrs(int fd, const char *lpath, const char *name, struct xattrs *xs,
		       struct berth_error **err)
{
	_cleanup_free_ char *list = NULL;
	ssize_t n = xattr_get(fd, lpath, NULL, &list);

	if (n < 0) {
		if (errno == ENOTSUP)
			return 0;
		return berth_error_set(err, errno, "list the xattrs of '%s'", name);
	}
	for (const char *k = list; k < list + n; k += strlen(k) + 1) {
		bool opaque = !strcmp(k, OVERLAY_OPAQUE_XATTR);
		char *value = NULL;
		ssize_t len;

		if (!opaque && !xattr_kept(k))
			continue;
		len = xattr_get(fd, lpath, k, &value);
		if (len < 0) {
			if (errno == ENODATA) /* removed since the list */
				continue;
			return berth_error_set(err, errno, "read xattr '%s' of '%s'", k, name);
		}
		if (opaque) {
			xs->opaque = len == 1 && value[0] == 'y';
			free(value);
			continue;
		}
		xs->v = xrealloc(xs->v, (xs->n + 1) * sizeof(*xs->v));
		xs->v[xs->n++] = (struct xattr){xstrdup(k), value, len};
	}
	if (xs->n > 1)
		sort_array(xs->v, xs->n, sizeof(*xs->v), xattr_cmp);
	return 0;
}

/* Trees */

/*
 * Times of a tree are whole seconds, as Docker's layers have them: a pax
 * header per file for its nanoseconds would add 1 KiB to nearly every entry.
 */
static void entry_from_stat(struct tar_entry *e, const struct stat *st)
{
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->mtime = (struct timespec){.tv_sec = st->st_mtim.tv_sec};
}

static int write_entry(struct tarw *tw, struct tar_entry *e, const struct xattrs *xs,
		       struct berth_error **err)
{
	if (xs) {
		e->xattrs = xs->v;
		e->n_xattrs = xs->n;
	}
	return write_header(tw, e, err);
}

static int walk_dir(struct tarw *tw, int dfd, const char *base, unsigned flags,
		    struct berth_error **err);

static int add_tree_dir(struct tarw *tw, int dfd, const char *name, const char *path,
			unsigned flags, struct berth_error **err)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_(xattrs_release) struct xattrs xs = {0};
	_cleanup_free_ char *dname = xasprintf("%s/", path);
	struct tar_entry e = {.name = dname, .type = TYPE_DIR};
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "open '%s'", path);
	if (read_xattrs(fd, NULL, path, &xs, err) < 0)
		return -1;
	entry_from_stat(&e, &st);
	if (write_entry(tw, &e, &xs, err) < 0)
		return -1;
	if ((flags & TARW_OVERLAY) && xs.opaque) {
		/* as Docker writes it: the folder's owner and permissions, no time */
		_cleanup_free_ char *wname = xasprintf("%s" WHITEOUT_OPAQUE, dname);
		struct tar_entry wo = {.name = wname,
				       .type = TYPE_FILE,
				       .mode = st.st_mode & 0777,
				       .uid = st.st_uid,
				       .gid = st.st_gid};

		if (write_header(tw, &wo, err) < 0)
			return -1;
	}
	return walk_dir(tw, fd, dname, flags, err);
}

/* Notes that path is in the archive, for its inode's other paths to link to. */
static void remember_link(struct tarw *tw, const struct stat *st, const char *path)
{
	struct link *l = xmalloc(sizeof(*l));

	*l = (struct link){st->st_dev, st->st_ino, xstrdup(path)};
	if (!tsearch(l, &tw->links, link_cmp))
		BUG("out of memory");
}

/* A second path to an inode in the archive, or NULL. */
static const char *find_link(struct tarw *tw, const struct stat *st)
{
	struct link key = {.dev = st->st_dev, .ino = st->st_ino};
	struct link **found = tfind(&key, &tw->links, link_cmp);

	return found ? (*found)->path : NULL;
}

/*
 * A regular file, or a hardlink entry when another path to its inode is
 * already in the archive. Only regular files are matched that way: overlay
 * shares one inode among its whiteouts, which must stay whiteouts.
 */
static int add_tree_file(struct tarw *tw, int dfd, const char *name, const char *path,
			 const struct stat *lst, struct berth_error **err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_(xattrs_release) struct xattrs xs = {0};
	struct tar_entry e = {.name = path, .type = TYPE_FILE};
	struct stat st;

	if (lst->st_nlink > 1 && (e.link = find_link(tw, lst))) {
		e.type = TYPE_HARDLINK;
		entry_from_stat(&e, lst);
		return write_header(tw, &e, err);
	}
	/* O_NONBLOCK: should a fifo have taken its place, the open must not hang */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return berth_error_set(err, errno, "open '%s'", path);
	if (!S_ISREG(st.st_mode) || st.st_dev != lst->st_dev || st.st_ino != lst->st_ino)
		return berth_error_set(err, 0, "'%s' changed while archived", path);
	if (read_xattrs(fd, NULL, path, &xs, err) < 0)
		return -1;
	entry_from_stat(&e, &st);
	e.size = st.st_size;
	if (write_entry(tw, &e, &xs, err) < 0 || tw_copy_fd(tw, fd, e.size, path, err) < 0)
		return -1;
	if (st.st_nlink > 1)
		remember_link(tw, &st, path);
	return 0;
}

/* The target of symlink name in dfd, in a new string. */
static char *read_link(int dfd, const char *name, const struct stat *st)
{
	/* st_size is the length, but may be 0 (procfs) or stale */
	size_t size = st->st_size > 0 ? (size_t)st->st_size + 1 : 256;

	for (;;) {
		char *buf = xmalloc(size);
		ssize_t n = readlinkat(dfd, name, buf, size);

		if (n >= 0 && (size_t)n < size) {
			buf[n] = '\0';
			return buf;
		}
		freep(&buf);
		if (n < 0)
			return NULL;
		size *= 2;
	}
}

/*
 * Symlinks, devices and fifos: never opened. Their xattrs are read through
 * /proc/self/fd/DFD/NAME with the l*xattr() calls, which follow the fd's
 * link to the folder but not the last component.
 */
static int add_tree_special(struct tarw *tw, int dfd, const char *name, const char *path,
			    const struct stat *st, struct berth_error **err)
{
	_cleanup_(xattrs_release) struct xattrs xs = {0};
	_cleanup_free_ char *target = NULL;
	_cleanup_free_ char *lpath = xasprintf("/proc/self/fd/%d/%s", dfd, name);
	struct tar_entry e = {.name = path};

	entry_from_stat(&e, st);
	switch (st->st_mode & S_IFMT) {
	case S_IFLNK:
		target = read_link(dfd, name, st);
		if (!target)
			return berth_error_set(err, errno, "read the link '%s'", path);
		e.type = TYPE_SYMLINK;
		e.link = target;
		break;
	case S_IFCHR:
	case S_IFBLK:
		e.type = S_ISCHR(st->st_mode) ? TYPE_CHAR : TYPE_BLOCK;
		e.major = major(st->st_rdev);
		e.minor = minor(st->st_rdev);
		break;
	case S_IFIFO:
		e.type = TYPE_FIFO;
		break;
	default:
		BUG("'%s' is no special file", path);
	}
	if (read_xattrs(-1, lpath, path, &xs, err) < 0)
		return -1;
	return write_entry(tw, &e, &xs, err);
}

/* An overlay whiteout, the 0/0 character device NAME, as Docker writes it. */
static int add_whiteout(struct tarw *tw, const char *base, const char *name, const struct stat *st,
			struct berth_error **err)
{
	_cleanup_free_ char *wname = xasprintf("%s" WHITEOUT_PREFIX "%s", base, name);
	struct tar_entry e = {.name = wname, .type = TYPE_FILE};

	entry_from_stat(&e, st);
	e.mode = 0600;
	return write_header(tw, &e, err);
}

/* Entry name of folder dfd, whose archive path is base + name. */
static int add_node(struct tarw *tw, int dfd, const char *base, const char *name, unsigned flags,
		    struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s%s", base, name);
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_set(err, errno, "stat '%s'", path);
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		return add_tree_dir(tw, dfd, name, path, flags, err);
	case S_IFREG:
		return add_tree_file(tw, dfd, name, path, &st, err);
	case S_IFCHR:
		if ((flags & TARW_OVERLAY) && st.st_rdev == makedev(0, 0))
			return add_whiteout(tw, base, name, &st, err);
		return add_tree_special(tw, dfd, name, path, &st, err);
	case S_IFLNK:
	case S_IFBLK:
	case S_IFIFO:
		return add_tree_special(tw, dfd, name, path, &st, err);
	case S_IFSOCK:
		log_debug("not archiving the socket '%s'", path);
		return 0;
	}
	return berth_error_set(err, 0, "'%s' has an unknown file type", path);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in folder dfd but "." and "..", sorted bytewise. path is for messages. */
static char **list_dir(int dfd, const char *path, struct berth_error **err)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_strv_ char **names = NULL;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0 && !(d = fdopendir(fd)))
		closep(&fd);
	if (!d) {
		berth_error_set(err, errno, "open '%s'", path);
		return NULL;
	}
	for (;;) {
		struct dirent *de;

		errno = 0;
		de = readdir(d);
		if (!de)
			break;
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	}
	if (errno) {
		berth_error_set(err, errno, "read the folder '%s'", path);
		return NULL;
	}
	if (!names)
		return xcalloc(1, sizeof(*names));
	sort_array(names, strv_len(names), sizeof(*names), name_cmp);
	return steal_ptr(&names);
}

/* The content of folder dfd, whose entries are named base + name. */
static int walk_dir(struct tarw *tw, int dfd, const char *base, unsigned flags,
		    struct berth_error **err)
{
	_cleanup_strv_ char **names = list_dir(dfd, *base ? base : ".", err);

	if (!names)
		return -1;
	for (char **n = names; *n; n++)
		if (add_node(tw, dfd, base, *n, flags, err) < 0)
			return -1;
	return 0;
}

int tarw_add_tree(struct tarw *tw, int dirfd, const char *prefix, unsigned flags,
		  struct berth_error **err)
{
	_cleanup_free_ char *base = NULL;

	if (!*prefix || str_has_suffix(prefix, "/"))
		base = xstrdup(prefix);
	else
		base = xasprintf("%s/", prefix);
	return walk_dir(tw, dirfd, base, flags, err);
}

int tarw_finish(struct tarw *tw, char digest[SHA256_DIGEST_LEN], uint64_t *size,
		struct berth_error **err)
{
	int r = tw_write(tw, NULL, 2 * BLOCK, err);

	if (r >= 0)
		r = tw_flush(tw, err);
	if (r >= 0) {
		sha256_stream_finish(steal_ptr(&tw->sha), digest);
		if (size)
			*size = tw->written;
	}
	tarw_free(tw);
	return r;
}
