/*
 * Unit tests for the tar writer (src/image/tarwrite.c). Archives are read
 * back with libarchive's reader, checked block by block here (checksums,
 * pax record lengths, the end), and unpacked with image_tar_unpack(). They
 * run as root (devices, owners, trusted xattrs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include "image/tar.h"
#include "image/tarwrite.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strutil.h"

#define MTIME	   1600000000
#define NS_MTIME   1500000000
#define NS_NSEC	   123456789
#define BIG_SIZE   300000  /* more than the writer's buffer */
#define BIG_UID	   4000000 /* more than ustar's 7 octal digits */
#define BIG_GID	   4000001
#define BIN_XATTR  "v\0al\n"
#define SYM_XATTR  "trusted.berth"
#define MAX_XATTRS 8

/* The long names of the tree, filled in by main(). */
static char long_dir[61];     /* 60 'd' */
static char long_split[122];  /* long_dir/60 'f': 121 bytes, split into prefix and name */
static char long_x[201];      /* 200 'x' */
static char long_pax[402];    /* long_x/200 'y': only a pax path holds it */
static char long_z[151];      /* one 150-byte component */
static char long_target[151]; /* a symlink target over 100 bytes */

/* xattrs work here (ext4, recent tmpfs); without them those checks are left out */
static bool have_xattrs;
static bool have_symlink_xattrs;

struct fixture {
	char *base; /* the temporary folder */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->base = xstrdup("/tmp/berth-test-tarwrite-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct berth_error *err = NULL;
	int r = fs_rm_rf(f->base, &err);

	berth_error_free(err);
	free(f->base);
	free(f);
	return r;
}

static char *at(const char *dir, const char *rel)
{
	return xasprintf("%s/%s", dir, rel);
}

/* Deterministic bytes, no pattern shorter than the buffer. */
static char *big_content(void)
{
	char *b = xmalloc(BIG_SIZE);
	uint32_t x = 12345;

	for (size_t i = 0; i < BIG_SIZE; i++) {
		x = x * 1103515245 + 12345;
		b[i] = x >> 16;
	}
	return b;
}

static void put_file(const char *dir, const char *rel, const void *data, size_t len)
{
	_cleanup_free_ char *p = at(dir, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, data, len), (ssize_t)len);
	close(fd);
}

static void put_dir(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = at(dir, rel);

	assert_int_equal(mkdir(p, 0700), 0);
}

/* A xattr; false if the file system does not take it. */
static bool put_xattr(const char *dir, const char *rel, const char *name, const void *v, size_t len)
{
	_cleanup_free_ char *p = at(dir, rel);

	if (lsetxattr(p, name, v, len, 0) == 0)
		return true;
	assert_true(errno == ENOTSUP || errno == EPERM);
	return false;
}

static void put_socket(const char *dir, const char *rel)
{
	_cleanup_free_ char *p = at(dir, rel);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(p) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, p, strlen(p));
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void set_perm(const char *dir, const char *rel, mode_t perm)
{
	_cleanup_free_ char *p = at(dir, rel);

	assert_int_equal(chmod(p, perm), 0);
}

static int set_mtime(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};

	(void)st, (void)flag, (void)ftw;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/*
 * The test tree in dir. reverse creates the files in another order (and the
 * hardlink pair the other way round), which must not change the archive.
 */
static void make_tree(const char *dir, bool reverse)
{
	_cleanup_free_ char *big = big_content();
	_cleanup_free_ char *a = at(dir, "a.txt");
	char v[80];
	struct timespec ts[2] = {{NS_MTIME, NS_NSEC}, {NS_MTIME, NS_NSEC}};
	const char *h_first = reverse ? "h2" : "h1", *h_second = reverse ? "h1" : "h2";

	put_dir(dir, "dir");
	put_dir(dir, "dir/sub");
	put_dir(dir, "tmpdir");
	put_dir(dir, long_dir);
	put_dir(dir, long_x);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == (reverse ? 0 : 1)) {
			put_file(dir, "a.txt", "hello\n", 6);
			put_file(dir, "big.bin", big, BIG_SIZE);
			put_file(dir, "empty", "", 0);
			put_file(dir, "dir/sub/deep.txt", "deep\n", 5);
			put_file(dir, long_split, "split\n", 6);
			put_file(dir, long_pax, "pax\n", 4);
			put_file(dir, long_z, "z\n", 2);
		} else {
			_cleanup_free_ char *p1 = at(dir, h_first), *p2 = at(dir, h_second);
			_cleanup_free_ char *fifo = at(dir, "fifo"), *cdev = at(dir, "cdev");
			_cleanup_free_ char *l1 = at(dir, "link"), *l2 = at(dir, "etc");
			_cleanup_free_ char *l3 = at(dir, "longlink");

			put_file(dir, "suid", "#!/bin/sh\n", 10);
			put_file(dir, h_first, "linked\n", 7);
			assert_int_equal(link(p1, p2), 0);
			assert_int_equal(mkfifo(fifo, 0600), 0);
			assert_int_equal(mknod(cdev, S_IFCHR | 0600, makedev(1, 3)), 0);
			assert_int_equal(symlink("a.txt", l1), 0);
			assert_int_equal(symlink("/etc", l2), 0);
			assert_int_equal(symlink(long_target, l3), 0);
			put_socket(dir, "sock");
		}
	}

	set_perm(dir, "a.txt", 0644);
	set_perm(dir, "big.bin", 0755);
	set_perm(dir, "dir", 0750);
	set_perm(dir, "dir/sub/deep.txt", 0640);
	set_perm(dir, "tmpdir", 01777);
	set_perm(dir, "fifo", 0644);
	set_perm(dir, "h1", 0644);
	set_perm(dir, long_dir, 0755);
	set_perm(dir, long_x, 0755);
	set_perm(dir, long_pax, 0644);
	set_perm(dir, long_split, 0644);
	set_perm(dir, long_z, 0644);
	{
		_cleanup_free_ char *p = at(dir, "empty");

		assert_int_equal(chown(p, BIG_UID, BIG_GID), 0);
	}
	set_perm(dir, "suid", 04755); /* after any chown, which would clear it */

	/* pax records whose length is 99, 101 (98 + 3 digits) and 102 bytes */
	have_xattrs = put_xattr(dir, "a.txt", "user.test", BIN_XATTR, 5);
	if (have_xattrs) {
		for (int i = 0; i < 3; i++) {
			char name[16];

			memset(v, 'v', sizeof(v));
			snprintf(name, sizeof(name), "user.p%d", 97 + i);
			assert_true(put_xattr(dir, "a.txt", name, v, 73 + i));
		}
	}
	/* overlay's own: never archived */
	put_xattr(dir, "a.txt", "trusted.overlay.redirect", "x", 1);
	have_symlink_xattrs = put_xattr(dir, "link", SYM_XATTR, "sym", 3);

	assert_int_equal(nftw(dir, set_mtime, 16, FTW_PHYS | FTW_DEPTH), 0);
	assert_int_equal(utimensat(AT_FDCWD, a, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* What the archive of the test tree must hold, in this order. */
struct want {
	const char *name;
	mode_t type; /* AE_IF*, 0 for a hardlink */
	mode_t perm;
	const char *data; /* content or link target; NULL: big_content() */
	size_t size;
};

static size_t tree_wants(struct want *w)
{
	static char n_split[200], n_pax[500], n_ld[80], n_lx[220];
	size_t n = 0;

	snprintf(n_ld, sizeof(n_ld), "%s/", long_dir);
	snprintf(n_split, sizeof(n_split), "%s", long_split);
	snprintf(n_lx, sizeof(n_lx), "%s/", long_x);
	snprintf(n_pax, sizeof(n_pax), "%s", long_pax);
#define W(...) (w[n++] = (struct want){__VA_ARGS__})
	W("a.txt", AE_IFREG, 0644, "hello\n", 6);
	W("big.bin", AE_IFREG, 0755, NULL, BIG_SIZE);
	W("cdev", AE_IFCHR, 0600, NULL, 0);
	W(n_ld, AE_IFDIR, 0755, NULL, 0);
	W(n_split, AE_IFREG, 0644, "split\n", 6);
	W("dir/", AE_IFDIR, 0750, NULL, 0);
	W("dir/sub/", AE_IFDIR, 0700, NULL, 0);
	W("dir/sub/deep.txt", AE_IFREG, 0640, "deep\n", 5);
	W("empty", AE_IFREG, 0600, "", 0);
	W("etc", AE_IFLNK, 0777, "/etc", 0);
	W("fifo", AE_IFIFO, 0644, NULL, 0);
	W("h1", AE_IFREG, 0644, "linked\n", 7);
	W("h2", 0, 0644, "h1", 0);
	W("link", AE_IFLNK, 0777, "a.txt", 0);
	W("longlink", AE_IFLNK, 0777, long_target, 0);
	W("suid", AE_IFREG, 04755, "#!/bin/sh\n", 10);
	W("tmpdir/", AE_IFDIR, 01777, NULL, 0);
	W(n_lx, AE_IFDIR, 0755, NULL, 0);
	W(n_pax, AE_IFREG, 0644, "pax\n", 4);
	W(long_z, AE_IFREG, 0644, "z\n", 2);
#undef W
	return n;
}

/* One entry as libarchive's reader sees it. */
struct got {
	char *name;
	mode_t type; /* AE_IF*; 0 with hard set */
	mode_t perm;
	int64_t size;
	char *data; /* the content read */
	size_t len;
	char *link;
	bool hard;
	unsigned int major, minor;
	int64_t uid, gid;
	time_t mtime;
	long nsec;
	struct {
		char *name, *value;
		size_t len;
	} xattrs[MAX_XATTRS];
	size_t n_xattrs;
};

struct archive_read {
	struct got *v;
	size_t n;
	char *raw; /* the archive's bytes */
	size_t raw_len;
	char digest[SHA256_DIGEST_LEN];
	uint64_t size;
};

static void got_release(struct archive_read *ar)
{
	for (size_t i = 0; i < ar->n; i++) {
		struct got *g = &ar->v[i];

		free(g->name);
		free(g->data);
		free(g->link);
		for (size_t j = 0; j < g->n_xattrs; j++) {
			free(g->xattrs[j].name);
			free(g->xattrs[j].value);
		}
	}
	free(ar->v);
	free(ar->raw);
}

static void read_entry(struct archive *a, struct archive_entry *e, struct got *g)
{
	const char *name;
	const void *value;
	size_t len;
	la_ssize_t n;

	g->name = xstrdup(archive_entry_pathname(e));
	g->hard = archive_entry_hardlink(e) != NULL;
	g->type = g->hard ? 0 : archive_entry_filetype(e);
	g->perm = archive_entry_perm(e);
	g->size = archive_entry_size(e);
	if (g->hard)
		g->link = xstrdup(archive_entry_hardlink(e));
	else if (archive_entry_symlink(e))
		g->link = xstrdup(archive_entry_symlink(e));
	g->major = archive_entry_rdevmajor(e);
	g->minor = archive_entry_rdevminor(e);
	g->uid = archive_entry_uid(e);
	g->gid = archive_entry_gid(e);
	g->mtime = archive_entry_mtime(e);
	g->nsec = archive_entry_mtime_nsec(e);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &len) == ARCHIVE_OK) {
		assert_true(g->n_xattrs < MAX_XATTRS);
		g->xattrs[g->n_xattrs].name = xstrdup(name);
		g->xattrs[g->n_xattrs].value = xmalloc(len + 1);
		memcpy(g->xattrs[g->n_xattrs].value, value, len);
		g->xattrs[g->n_xattrs++].len = len;
	}
	g->data = xmalloc(g->size + 1);
	while ((n = archive_read_data(a, g->data + g->len, g->size + 1 - g->len)) > 0)
		g->len += n;
	assert_int_equal(n, 0);
}

static uint64_t octal(const unsigned char *p, size_t w)
{
	uint64_t v = 0;

	for (size_t i = 0; i < w && p[i] >= '0' && p[i] <= '7'; i++)
		v = v * 8 + (p[i] - '0');
	return v;
}

static bool all_zero(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Every record "LEN KEY=VALUE\n" is LEN bytes long. */
static void check_pax_records(const char *p, size_t len)
{
	while (len > 0) {
		char *end;
		unsigned long n = strtoul(p, &end, 10);

		assert_true(n > 0 && n <= len);
		assert_int_equal(*end, ' ');
		assert_non_null(memchr(end, '=', n - (end - p)));
		assert_int_equal(p[n - 1], '\n');
		p += n;
		len -= n;
	}
}

/*
 * The raw blocks: each header is ustar with a good checksum and no owner
 * names; pax records have their lengths right; the archive ends with exactly
 * two zero blocks. Returns the number of pax headers.
 */
static size_t check_raw(const char *buf, size_t len)
{
	size_t off = 0, n_pax = 0;

	assert_int_equal(len % 512, 0);
	for (;;) {
		const unsigned char *h = (const unsigned char *)buf + off;
		unsigned int sum = 0;
		uint64_t size;

		assert_true(off + 512 <= len);
		if (all_zero(buf + off, 512))
			break;
		for (size_t i = 0; i < 512; i++)
			sum += i >= 148 && i < 156 ? ' ' : h[i];
		assert_int_equal(octal(h + 148, 8), sum);
		assert_int_equal(h[154], '\0');
		assert_int_equal(h[155], ' ');
		assert_memory_equal(h + 257,
				    "ustar\0"
				    "00",
				    8);
		assert_int_equal(h[265], '\0'); /* uname */
		assert_int_equal(h[297], '\0'); /* gname */
		size = octal(h + 124, 12);
		if (h[156] == 'x') {
			/* "dir/PaxHeaders.0/name", cut to 100 bytes */
			assert_true(h[0] != '\0');
			assert_true(memmem(h, 100, "PaxHeaders.0/", 13) || h[99] != '\0');
			assert_true(off + 512 + size <= len);
			check_pax_records(buf + off + 512, size);
			n_pax++;
		}
		if (h[156] == '1' || h[156] == '2' || h[156] == '5')
			assert_int_equal(size, 0);
		off += 512 + (size + 511) / 512 * 512;
	}
	assert_int_equal(len - off, 1024);
	assert_true(all_zero(buf + off, 1024));
	return n_pax;
}

/* Reads the archive in path back, checking its bytes, digest and size. */
static void read_back(const char *path, const char *digest, uint64_t size, struct archive_read *ar)
{
	struct berth_error *err = NULL;
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char want[SHA256_DIGEST_LEN];
	int r;

	memset(ar, 0, sizeof(*ar));
	ar->raw = fs_read_file(path, &ar->raw_len, &err);
	assert_non_null(ar->raw);
	assert_int_equal(ar->raw_len, size);
	sha256_of(ar->raw, ar->raw_len, want);
	assert_string_equal(digest, want);
	check_raw(ar->raw, ar->raw_len);

	assert_int_equal(archive_read_support_format_tar(a), ARCHIVE_OK);
	assert_int_equal(archive_read_open_memory(a, ar->raw, ar->raw_len), ARCHIVE_OK);
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		ar->v = xrealloc(ar->v, (ar->n + 1) * sizeof(*ar->v));
		memset(&ar->v[ar->n], 0, sizeof(*ar->v));
		read_entry(a, e, &ar->v[ar->n++]);
	}
	assert_int_equal(r, ARCHIVE_EOF);
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
}

/* Writes the tree under dir to out, read back into ar. */
static void write_tree(const char *dir, const char *prefix, unsigned flags, const char *out,
		       struct archive_read *ar)
{
	struct berth_error *err = NULL;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	struct tarw *tw = tarw_new(fd);
	char digest[SHA256_DIGEST_LEN];
	uint64_t size = 0;

	assert_true(dfd >= 0 && fd >= 0);
	if (tarw_add_tree(tw, dfd, prefix, flags, &err) < 0) {
		tarw_free(tw);
		fail_msg("tarw_add_tree: %s", err->msg);
	}
	if (tarw_finish(tw, digest, &size, &err) < 0)
		fail_msg("tarw_finish: %s", err->msg);
	close(fd);
	close(dfd);
	read_back(out, digest, size, ar);
	memcpy(ar->digest, digest, sizeof(digest));
	ar->size = size;
}

static const struct got *find(const struct archive_read *ar, const char *name)
{
	for (size_t i = 0; i < ar->n; i++)
		if (!strcmp(ar->v[i].name, name))
			return &ar->v[i];
	return NULL;
}

static const char *xattr_of(const struct got *g, const char *name, size_t *len)
{
	for (size_t i = 0; i < g->n_xattrs; i++)
		if (!strcmp(g->xattrs[i].name, name)) {
			*len = g->xattrs[i].len;
			return g->xattrs[i].value;
		}
	return NULL;
}

static void check_want(const struct got *g, const struct want *w)
{
	_cleanup_free_ char *big = big_content();

	if (!w->type) {
		assert_true(g->hard);
		assert_string_equal(g->link, w->data);
		return;
	}
	assert_false(g->hard);
	assert_int_equal(g->type, w->type);
	if (w->type != AE_IFLNK)
		assert_int_equal(g->perm, w->perm);
	if (w->type == AE_IFLNK) {
		assert_string_equal(g->link, w->data);
	} else if (w->type == AE_IFREG) {
		assert_int_equal(g->size, w->size);
		assert_int_equal(g->len, w->size);
		assert_memory_equal(g->data, w->data ? w->data : big, w->size);
	} else {
		assert_int_equal(g->size, 0);
		assert_null(g->link);
	}
}

/* The archive of the test tree (no prefix) is what it must be. */
static void check_tree_archive(const struct archive_read *ar)
{
	struct want w[32];
	size_t n = tree_wants(w), len;
	const struct got *g;
	const char *v;

	assert_int_equal(ar->n, n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ar->v[i].name, w[i].name))
			fail_msg("entry %zu: expected '%s', got '%s'", i, w[i].name, ar->v[i].name);
		check_want(&ar->v[i], &w[i]);
	}
	assert_null(find(ar, "sock"));

	g = find(ar, "cdev");
	assert_int_equal(g->major, 1);
	assert_int_equal(g->minor, 3);
	g = find(ar, "empty");
	assert_int_equal(g->uid, BIG_UID);
	assert_int_equal(g->gid, BIG_GID);
	g = find(ar, "a.txt");
	assert_int_equal(g->uid, 0);
	assert_int_equal(g->mtime, NS_MTIME);
	assert_int_equal(g->nsec, 0); /* trees are written in whole seconds */
	assert_null(xattr_of(g, "trusted.overlay.redirect", &len));
	if (have_xattrs) {
		v = xattr_of(g, "user.test", &len);
		assert_non_null(v);
		assert_int_equal(len, 5);
		assert_memory_equal(v, BIN_XATTR, 5);
		for (int i = 0; i < 3; i++) {
			char name[16];

			snprintf(name, sizeof(name), "user.p%d", 97 + i);
			assert_non_null(xattr_of(g, name, &len));
			assert_int_equal(len, 73 + i);
		}
	}
	if (have_symlink_xattrs) {
		v = xattr_of(find(ar, "link"), SYM_XATTR, &len);
		assert_non_null(v);
		assert_memory_equal(v, "sym", 3);
	}
	for (size_t i = 0; i < ar->n; i++)
		if (strcmp(ar->v[i].name, "a.txt")) {
			assert_int_equal(ar->v[i].mtime, MTIME);
			assert_int_equal(ar->v[i].nsec, 0);
		}
}

static void test_tree(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *src = at(f->base, "src"), *out = at(f->base, "out.tar");
	struct archive_read ar;

	assert_int_equal(mkdir(src, 0755), 0);
	make_tree(src, false);
	write_tree(src, "", 0, out, &ar);
	check_tree_archive(&ar);
	/* long path, long link, big uid and gid: 3 at least, xattrs aside */
	assert_true(check_raw(ar.raw, ar.raw_len) >= 3);
	got_release(&ar);
}

/* The same tree, written twice or made in another order, gives the same bytes. */
static void test_deterministic(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *src = at(f->base, "src"), *src2 = at(f->base, "src2");
	_cleanup_free_ char *out = at(f->base, "out.tar"), *out2 = at(f->base, "out2.tar");
	struct archive_read a1, a2, a3;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(src2, 0755), 0);
	make_tree(src, false);
	make_tree(src2, true);
	write_tree(src, "", 0, out, &a1);
	write_tree(src, "", 0, out2, &a2);
	assert_string_equal(a1.digest, a2.digest);
	got_release(&a2);
	write_tree(src2, "", 0, out2, &a3);
	check_tree_archive(&a3);
	assert_int_equal(a1.size, a3.size);
	assert_string_equal(a1.digest, a3.digest);
	got_release(&a1);
	got_release(&a3);
}

static void test_prefix(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *src = at(f->base, "src"), *out = at(f->base, "out.tar");
	struct archive_read ar;
	const char *names[] = {"pre/one/", "pre/one/f", "pre/two"};

	assert_int_equal(mkdir(src, 0755), 0);
	put_dir(src, "one");
	put_file(src, "one/f", "f", 1);
	put_file(src, "two", "2", 1);
	for (int slash = 0; slash < 2; slash++) {
		write_tree(src, slash ? "pre/" : "pre", 0, out, &ar);
		assert_int_equal(ar.n, ARRAY_SIZE(names));
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			assert_string_equal(ar.v[i].name, names[i]);
		got_release(&ar);
	}
}

/* Overlay whiteouts become Docker's ".wh." files with TARW_OVERLAY, and stay without. */
static void test_overlay(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *src = at(f->base, "src"), *out = at(f->base, "out.tar");
	_cleanup_free_ char *gone = at(src, "gone"), *cdev = at(src, "cdev");
	struct archive_read ar;
	const struct got *g;
	bool opaque;
	size_t len;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mknod(gone, S_IFCHR, makedev(0, 0)), 0);
	assert_int_equal(mknod(cdev, S_IFCHR | 0600, makedev(1, 3)), 0);
	put_file(src, "normal", "n", 1);
	put_dir(src, "opq");
	set_perm(src, "opq", 0751);
	put_file(src, "opq/keep", "k", 1);
	opaque = put_xattr(src, "opq", "trusted.overlay.opaque", "y", 1);

	write_tree(src, "", TARW_OVERLAY, out, &ar);
	{
		const char *names[] = {"cdev", ".wh.gone",	   "normal",
				       "opq/", "opq/.wh..wh..opq", "opq/keep"};
		size_t skip = 0;

		assert_int_equal(ar.n, ARRAY_SIZE(names) - !opaque);
		for (size_t i = 0; i < ar.n; i++) {
			if (!opaque && !strcmp(names[i + skip], "opq/.wh..wh..opq"))
				skip++;
			assert_string_equal(ar.v[i].name, names[i + skip]);
		}
	}
	assert_null(find(&ar, "gone"));
	g = find(&ar, ".wh.gone");
	assert_int_equal(g->type, AE_IFREG);
	assert_int_equal(g->size, 0);
	assert_int_equal(g->perm, 0600);
	assert_int_equal(find(&ar, "cdev")->type, AE_IFCHR);
	assert_null(xattr_of(find(&ar, "opq/"), "trusted.overlay.opaque", &len));
	if (opaque) {
		g = find(&ar, "opq/.wh..wh..opq");
		assert_int_equal(g->type, AE_IFREG);
		assert_int_equal(g->size, 0);
		assert_int_equal(g->perm, 0751);
	}
	got_release(&ar);

	/* without the flag: the device as it is, no opaque marker */
	write_tree(src, "", 0, out, &ar);
	assert_int_equal(ar.n, 5);
	g = find(&ar, "gone");
	assert_non_null(g);
	assert_int_equal(g->type, AE_IFCHR);
	assert_int_equal(g->major, 0);
	assert_int_equal(g->minor, 0);
	assert_null(find(&ar, ".wh.gone"));
	assert_null(find(&ar, "opq/.wh..wh..opq"));
	got_release(&ar);
}

/* Entries from memory and from an fd; long names and times out of ustar's range. */
static void test_add_entries(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *out = at(f->base, "out.tar"), *in = at(f->base, "in");
	_cleanup_free_ char *big = big_content();
	struct berth_error *err = NULL;
	struct archive_read ar;
	char digest[SHA256_DIGEST_LEN];
	uint64_t size;
	struct tarw *tw;
	const struct got *g;
	int fd, infd;

	put_file(f->base, "in", big, BIG_SIZE);
	infd = open(in, O_RDONLY | O_CLOEXEC);
	assert_true(infd >= 0);
	assert_int_equal(lseek(infd, 10, SEEK_SET), 10);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	tw = tarw_new(fd);
	assert_int_equal(tarw_add_dir(tw, "d", 0755, 1600000000, &err), 0);
	assert_int_equal(tarw_add_dir(tw, "d/e/", 0700, 1600000000, &err), 0);
	assert_int_equal(tarw_add_data(tw, "d/x", "xyz", 3, 04644, 1600000001, &err), 0);
	assert_int_equal(tarw_add_data(tw, "d/empty", NULL, 0, 0600, 0, &err), 0);
	assert_int_equal(tarw_add_fd(tw, "d/big", infd, BIG_SIZE - 10, 0640, 1600000002, &err), 0);
	assert_int_equal(tarw_add_data(tw, long_pax, "L", 1, 0644, -1, &err), 0);
	assert_int_equal(tarw_add_data(tw, "late", "t", 1, 0644, 10000000000LL, &err), 0);
	assert_int_equal(tarw_finish(tw, digest, &size, &err), 0);
	close(fd);
	close(infd);

	read_back(out, digest, size, &ar);
	assert_int_equal(ar.n, 7);
	g = find(&ar, "d/");
	assert_int_equal(g->type, AE_IFDIR);
	assert_int_equal(g->perm, 0755);
	assert_int_equal(g->mtime, 1600000000);
	assert_int_equal(find(&ar, "d/e/")->perm, 0700);
	g = find(&ar, "d/x");
	assert_int_equal(g->type, AE_IFREG);
	assert_int_equal(g->perm, 04644);
	assert_int_equal(g->len, 3);
	assert_memory_equal(g->data, "xyz", 3);
	assert_int_equal(g->uid, 0);
	assert_int_equal(find(&ar, "d/empty")->size, 0);
	g = find(&ar, "d/big");
	assert_int_equal(g->len, BIG_SIZE - 10);
	assert_memory_equal(g->data, big + 10, BIG_SIZE - 10);
	g = find(&ar, long_pax);
	assert_non_null(g);
	assert_int_equal(g->mtime, -1);
	assert_int_equal(find(&ar, "late")->mtime, 10000000000LL);
	got_release(&ar);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *in = at(f->base, "in");
	struct berth_error *err = NULL;
	char digest[SHA256_DIGEST_LEN];
	uint64_t size;
	struct tarw *tw;
	int fd, infd;

	/* an fd shorter than the size given */
	put_file(f->base, "in", "short", 5);
	infd = open(in, O_RDONLY | O_CLOEXEC);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(infd >= 0 && fd >= 0);
	tw = tarw_new(fd);
	assert_int_equal(tarw_add_fd(tw, "named", infd, 6, 0644, 0, &err), -1);
	assert_non_null(strstr(err->msg, "'named'"));
	berth_error_freep(&err);
	tarw_free(tw);

	tw = tarw_new(fd);
	assert_int_equal(tarw_add_data(tw, "", "", 0, 0644, 0, &err), -1);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	berth_error_freep(&err);
	tarw_free(tw);
	close(fd);

	/* an output that cannot be written: the error comes at the latest from finish */
	tw = tarw_new(infd);
	assert_int_equal(tarw_add_data(tw, "x", "x", 1, 0644, 0, &err), 0);
	assert_int_equal(tarw_finish(tw, digest, &size, &err), -1);
	assert_non_null(strstr(err->msg, "write the tar archive"));
	assert_int_equal(err->status, EBADF);
	berth_error_freep(&err);
	close(infd);

	/* a tree that is not a folder */
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	infd = open(in, O_RDONLY | O_CLOEXEC);
	tw = tarw_new(fd);
	assert_int_equal(tarw_add_tree(tw, infd, "", 0, &err), -1);
	assert_int_equal(err->status, ENOTDIR);
	berth_error_freep(&err);
	tarw_free(tw);
	close(fd);
	close(infd);
}

static void assert_same_file(const char *a, const char *b)
{
	struct berth_error *err = NULL;
	struct stat sa, sb;
	char la[512], lb[512];
	ssize_t na, nb;

	assert_int_equal(lstat(a, &sa), 0);
	if (lstat(b, &sb) < 0)
		fail_msg("'%s' is missing", b);
	assert_int_equal(sa.st_mode, sb.st_mode);
	assert_int_equal(sa.st_uid, sb.st_uid);
	assert_int_equal(sa.st_gid, sb.st_gid);
	assert_int_equal(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec);
	assert_int_equal(sb.st_mtim.tv_nsec, 0); /* whole seconds in the archive */
	if (S_ISREG(sa.st_mode)) {
		_cleanup_free_ char *ca = NULL, *cb = NULL;
		size_t lena, lenb;

		ca = fs_read_file(a, &lena, &err);
		cb = fs_read_file(b, &lenb, &err);
		assert_non_null(ca);
		assert_non_null(cb);
		assert_int_equal(lena, lenb);
		assert_memory_equal(ca, cb, lena);
	} else if (S_ISLNK(sa.st_mode)) {
		na = readlink(a, la, sizeof(la));
		nb = readlink(b, lb, sizeof(lb));
		assert_int_equal(na, nb);
		assert_memory_equal(la, lb, na);
	} else if (S_ISCHR(sa.st_mode)) {
		assert_int_equal(sa.st_rdev, sb.st_rdev);
	}
}

/* image_tar_unpack() of our archive gives back the tree, and the same digest. */
static void test_unpack(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *src = at(f->base, "src"), *dest = at(f->base, "dest");
	_cleanup_free_ char *out = at(f->base, "out.tar");
	struct berth_error *err = NULL;
	struct image_unpack_result res;
	struct archive_read ar;
	struct want w[32];
	size_t n;
	struct stat s1, s2;
	int fd;

	assert_int_equal(mkdir(src, 0755), 0);
	assert_int_equal(mkdir(dest, 0755), 0);
	make_tree(src, false);
	write_tree(src, "", 0, out, &ar);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (image_tar_unpack(fd, -1, dest, &res, &err) < 0)
		fail_msg("unpack: %s", err->msg);
	close(fd);
	assert_string_equal(res.diff_id, ar.digest);
	assert_int_equal(res.tar_size, ar.size);

	n = tree_wants(w);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *a = at(src, w[i].name), *b = at(dest, w[i].name);

		assert_same_file(a, b);
	}
	{
		_cleanup_free_ char *h1 = at(dest, "h1"), *h2 = at(dest, "h2");
		_cleanup_free_ char *sock = at(dest, "sock"), *a = at(dest, "a.txt");
		char v[8];

		assert_int_equal(lstat(h1, &s1), 0);
		assert_int_equal(lstat(h2, &s2), 0);
		assert_int_equal(s1.st_ino, s2.st_ino);
		assert_int_equal(lstat(sock, &s1), -1);
		if (have_xattrs) {
			assert_int_equal(getxattr(a, "user.test", v, sizeof(v)), 5);
			assert_memory_equal(v, BIN_XATTR, 5);
		}
	}
	got_release(&ar);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_tree),	     T(test_deterministic), T(test_prefix), T(test_overlay),
		T(test_add_entries), T(test_errors),	    T(test_unpack),
	};

	umask(022);
	memset(long_dir, 'd', sizeof(long_dir) - 1);
	memset(long_x, 'x', sizeof(long_x) - 1);
	memset(long_z, 'z', sizeof(long_z) - 1);
	memset(long_target, 't', sizeof(long_target) - 1);
	snprintf(long_split, sizeof(long_split), "%s/%060d", long_dir, 0);
	memset(long_split + 61, 'f', 60);
	snprintf(long_pax, sizeof(long_pax), "%s/", long_x);
	memset(long_pax + 201, 'y', 200);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
