/*
 * Unit tests for layer unpacking (src/image/tar.c), with archives crafted in
 * memory by libarchive's write API. They run as root (whiteouts, owners,
 * trusted xattrs, device nodes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "image/tar.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/strutil.h"

#define MTIME	  1500000000
#define DIR_MTIME 1400000000

/* One entry of a crafted archive. */
struct spec {
	const char *path;
	mode_t mode;	  /* S_IF* | permissions */
	const char *data; /* content, or the target of a link */
	bool hard;	  /* a hardlink to data */
	unsigned int uid, gid;
	const char *xattr; /* an xattr set to "yes" */
	unsigned int major, minor;
};

struct blob {
	char *data;
	size_t len;
};

struct fixture {
	char *base; /* the temporary folder */
	char *dest; /* base/root, where archives are unpacked */
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	f->base = xstrdup("/tmp/berth-test-tar-XXXXXX");
	if (!mkdtemp(f->base))
		return -1;
	f->dest = xasprintf("%s/root", f->base);
	if (mkdir(f->dest, 0755) < 0)
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
	free(f->dest);
	free(f);
	return r;
}

static void add_entry(struct archive *a, const struct spec *s)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = 0;

	archive_entry_set_pathname(e, s->path);
	archive_entry_set_mode(e, s->mode);
	archive_entry_set_uid(e, s->uid);
	archive_entry_set_gid(e, s->gid);
	archive_entry_set_mtime(e, S_ISDIR(s->mode) ? DIR_MTIME : MTIME, 0);
	if (s->hard)
		archive_entry_set_hardlink(e, s->data);
	else if (S_ISLNK(s->mode))
		archive_entry_set_symlink(e, s->data);
	else if (S_ISREG(s->mode) && s->data)
		len = strlen(s->data);
	archive_entry_set_size(e, len);
	if (s->xattr)
		archive_entry_xattr_add_entry(e, s->xattr, "yes", 3);
	if (S_ISCHR(s->mode) || S_ISBLK(s->mode)) {
		archive_entry_set_rdevmajor(e, s->major);
		archive_entry_set_rdevminor(e, s->minor);
	}
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (len)
		assert_int_equal(archive_write_data(a, s->data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/*
 * A pax tar of the entries, with UTF-8 paths as Go writes them. They are
 * read back in the C locale, as the CLI does.
 */
static struct blob build(const struct spec *specs, size_t n)
{
	struct archive *a = archive_write_new();
	size_t cap = 8 << 20, used = 0;
	char *buf = xmalloc(cap);

	assert_non_null(setlocale(LC_CTYPE, "C.UTF-8"));
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++)
		add_entry(a, &specs[i]);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	assert_non_null(setlocale(LC_CTYPE, "C"));
	return (struct blob){buf, used};
}

/*
 * The four compressions by name: archive_write_add_filter(code) would link
 * every writer of libarchive (and libxml2 with them) into the test.
 */
static int add_filter(struct archive *a, int filter)
{
	switch (filter) {
	case ARCHIVE_FILTER_GZIP:
		return archive_write_add_filter_gzip(a);
	case ARCHIVE_FILTER_XZ:
		return archive_write_add_filter_xz(a);
	case ARCHIVE_FILTER_ZSTD:
		return archive_write_add_filter_zstd(a);
	case ARCHIVE_FILTER_BZIP2:
		return archive_write_add_filter_bzip2(a);
	}
	return ARCHIVE_FATAL;
}

/* in compressed with filter (ARCHIVE_FILTER_GZIP...), unpadded. */
static struct blob compress(const struct blob *in, int filter)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t cap = in->len + 65536, used = 0;
	char *buf = xmalloc(cap);

	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	assert_int_equal(add_filter(a, filter), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_per_block(a, 0), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_mode(e, S_IFREG | 0644);
	archive_entry_set_size(e, in->len);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	if (in->len)
		assert_int_equal(archive_write_data(a, in->data, in->len), (la_ssize_t)in->len);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	return (struct blob){buf, used};
}

static int blob_fd(const struct blob *b)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fs_write_all(fd, b->data, b->len), (ssize_t)b->len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int unpack(const struct blob *b, const char *dest, int out_fd,
		  struct image_unpack_result *res, struct berth_error **err)
{
	int fd = blob_fd(b);
	int r = image_tar_unpack(fd, out_fd, dest, res, err);

	close(fd);
	return r;
}

static void unpack_ok(const struct blob *b, const char *dest, struct image_unpack_result *res)
{
	struct berth_error *err = NULL;

	if (unpack(b, dest, -1, res, &err) < 0)
		fail_msg("unpack failed: %s", err->msg);
}

/* The temporary folder holds dest and nothing else: nothing was written outside. */
static void assert_only_root(const struct fixture *f)
{
	DIR *d = opendir(f->base);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			assert_string_equal(de->d_name, "root");
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void assert_msg(const struct berth_error *err, const char *msg)
{
	assert_non_null(err);
	if (!strstr(err->msg, msg))
		fail_msg("expected '%s' in '%s'", msg, err->msg);
}

/* Unpacking b fails as invalid input, with msg in the message. */
static void expect_invalid(const struct fixture *f, const struct blob *b, const char *msg)
{
	struct image_unpack_result res;
	struct berth_error *err = NULL;

	assert_int_equal(unpack(b, f->dest, -1, &res, &err), -1);
	assert_msg(err, msg);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	berth_error_free(err);
	assert_only_root(f);
}

static void expect_invalid_specs(const struct fixture *f, const struct spec *specs, size_t n,
				 const char *msg)
{
	struct blob b = build(specs, n);

	expect_invalid(f, &b, msg);
	free(b.data);
}

static char *at(const struct fixture *f, const char *rel)
{
	return xasprintf("%s/%s", f->dest, rel);
}

static void assert_file(const struct fixture *f, const char *rel, const char *content, mode_t perm)
{
	_cleanup_free_ char *p = at(f, rel);
	_cleanup_free_ char *got = NULL;
	struct berth_error *err = NULL;
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, perm);
	got = fs_read_file(p, NULL, &err);
	assert_non_null(got);
	assert_string_equal(got, content);
}

static void assert_symlink(const struct fixture *f, const char *rel, const char *target)
{
	_cleanup_free_ char *p = at(f, rel);
	char buf[256];
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void assert_missing(const struct fixture *f, const char *rel)
{
	_cleanup_free_ char *p = at(f, rel);
	struct stat st;

	assert_int_equal(lstat(p, &st), -1);
}

static void lstat_at(const struct fixture *f, const char *rel, struct stat *st)
{
	_cleanup_free_ char *p = at(f, rel);

	if (lstat(p, st) < 0)
		fail_msg("lstat '%s': %s", rel, strerror(errno));
}

static char *xattr_at(const struct fixture *f, const char *rel, const char *name)
{
	_cleanup_free_ char *p = at(f, rel);
	char buf[64];
	ssize_t n = lgetxattr(p, name, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static char long_name[201];

static const struct spec basic_specs[] = {
	{"./", S_IFDIR | 0751},
	{"etc/", S_IFDIR | 0755},
	{"etc/hostname", S_IFREG | 0644, "berth\n"},
	{"bin/", S_IFDIR | 0755},
	{"bin/busybox", S_IFREG | 04755, "#!busybox", .uid = 1000, .gid = 1001},
	{"bin/sh", S_IFLNK | 0777, "/bin/busybox"},
	{"bin/ls", S_IFLNK | 0777, "busybox", .uid = 7, .gid = 8},
	{"usr/share/doc/readme", S_IFREG | 0400, "implicit parents"},
	{"/abs/file", S_IFREG | 0644, "abs"},
	{"./dot/file", S_IFREG | 0644, "dot"},
	{"data/xattr", S_IFREG | 0600, "x", .xattr = "user.berth"},
	{"dev/null", S_IFCHR | 0666, .major = 1, .minor = 3},
	{"run/fifo", S_IFIFO | 0620},
	{"caf\xc3\xa9", S_IFREG | 0644, "utf-8"},
	{long_name, S_IFREG | 0644, "long"},
};

static void check_basic_tree(const struct fixture *f)
{
	struct stat st;

	assert_file(f, "etc/hostname", "berth\n", 0644);
	assert_file(f, "bin/busybox", "#!busybox", 04755);
	assert_file(f, "usr/share/doc/readme", "implicit parents", 0400);
	assert_file(f, "abs/file", "abs", 0644);
	assert_file(f, "dot/file", "dot", 0644);
	assert_file(f, "caf\xc3\xa9", "utf-8", 0644);
	assert_file(f, long_name, "long", 0644);
	assert_symlink(f, "bin/sh", "/bin/busybox");
	assert_symlink(f, "bin/ls", "busybox");
	lstat_at(f, "bin/busybox", &st);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 1001);
	assert_int_equal(st.st_mtim.tv_sec, MTIME);
	lstat_at(f, "bin/ls", &st);
	assert_int_equal(st.st_uid, 7);
	assert_int_equal(st.st_mtim.tv_sec, MTIME);
	/* folder times are set after their content */
	lstat_at(f, "etc", &st);
	assert_int_equal(st.st_mtim.tv_sec, DIR_MTIME);
	lstat_at(f, ".", &st);
	assert_int_equal(st.st_mode & 07777, 0751);
	assert_int_equal(st.st_mtim.tv_sec, DIR_MTIME);
	lstat_at(f, "usr/share", &st);
	assert_int_equal(st.st_mode & 07777, 0755);
	lstat_at(f, "dev/null", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(st.st_mode & 07777, 0666);
	lstat_at(f, "run/fifo", &st);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0620);
}

static void test_unpack_basic(void **state)
{
	struct fixture *f = *state;
	struct blob b = build(basic_specs, ARRAY_SIZE(basic_specs));
	struct image_unpack_result res;
	struct berth_error *err = NULL;
	char want[SHA256_DIGEST_LEN];
	_cleanup_free_ char *copy = xmalloc(b.len + 20001);
	_cleanup_free_ char *xa = NULL;
	int out = memfd_create("tar-out", MFD_CLOEXEC);

	/* data after the end of the archive is part of the diff ID, as in Docker */
	memset(b.data + b.len, 0, 20000);
	b.len += 20000;
	sha256_of(b.data, b.len, want);
	if (unpack(&b, f->dest, out, &res, &err) < 0)
		fail_msg("unpack failed: %s", err->msg);
	assert_string_equal(res.diff_id, want);
	assert_int_equal(res.tar_size, b.len);
	assert_int_equal(res.size, 6 + 9 + 16 + 3 + 3 + 1 + 5 + 4);
	assert_int_equal(pread(out, copy, b.len + 1, 0), (ssize_t)b.len);
	assert_memory_equal(copy, b.data, b.len);
	close(out);
	check_basic_tree(f);
	xa = xattr_at(f, "data/xattr", "user.berth");
	assert_non_null(xa);
	assert_string_equal(xa, "yes");
	assert_only_root(f);
	free(b.data);
}

static void test_unpack_compressed(void **state)
{
	static const int filters[] = {ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ, ARCHIVE_FILTER_ZSTD,
				      ARCHIVE_FILTER_BZIP2};
	struct fixture *f = *state;
	struct blob plain = build(basic_specs, ARRAY_SIZE(basic_specs));
	char want[SHA256_DIGEST_LEN];

	sha256_of(plain.data, plain.len, want);
	for (size_t i = 0; i < ARRAY_SIZE(filters); i++) {
		struct blob z = compress(&plain, filters[i]);
		struct image_unpack_result res;
		struct berth_error *err = NULL;
		_cleanup_free_ char *copy = xmalloc(plain.len + 1);
		int out = memfd_create("tar-out", MFD_CLOEXEC);

		assert_true(z.len < plain.len);
		assert_int_equal(fs_rm_rf(f->dest, &err), 0);
		assert_int_equal(mkdir(f->dest, 0755), 0);
		if (unpack(&z, f->dest, out, &res, &err) < 0)
			fail_msg("filter %d: %s", filters[i], err->msg);
		assert_string_equal(res.diff_id, want);
		assert_int_equal(res.tar_size, plain.len);
		assert_int_equal(pread(out, copy, plain.len + 1, 0), (ssize_t)plain.len);
		assert_memory_equal(copy, plain.data, plain.len);
		close(out);
		check_basic_tree(f);
		free(z.data);
	}
	free(plain.data);
}

static void test_dotdot_escape(void **state)
{
	static const struct spec plain[] = {{"../evil", S_IFREG | 0644, "x"}};
	static const struct spec nested[] = {{"a/", S_IFDIR | 0755},
					     {"a/../../evil", S_IFREG | 0644, "x"}};
	static const struct spec dir[] = {{"../evil/", S_IFDIR | 0755}};
	struct fixture *f = *state;

	expect_invalid_specs(f, plain, 1, "invalid tar entry '../evil': path escapes the root");
	expect_invalid_specs(f, nested, 2, "invalid tar entry 'a/../../evil': path escapes");
	expect_invalid_specs(f, dir, 1, "'../evil/': path escapes the root");
}

static void test_dotdot_inside(void **state)
{
	static const struct spec specs[] = {{"a/", S_IFDIR | 0755},
					    {"a/../b", S_IFREG | 0644, "b"},
					    {"a/./c/../d", S_IFREG | 0644, "d"}};
	struct fixture *f = *state;
	struct blob b = build(specs, ARRAY_SIZE(specs));
	struct image_unpack_result res;

	unpack_ok(&b, f->dest, &res);
	assert_file(f, "b", "b", 0644);
	assert_file(f, "a/d", "d", 0644);
	assert_missing(f, "a/c");
	assert_only_root(f);
	free(b.data);
}

static void test_absolute_paths(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *top = xasprintf("/berth-test-tar-abs-%d", (int)getpid());
	_cleanup_free_ char *abs = xasprintf("%s/evil", top);
	_cleanup_free_ char *rel = xasprintf("%s/evil", top + 1);
	const struct spec ok[] = {{abs, S_IFREG | 0644, "in"}};
	static const struct spec up[] = {{"/../evil", S_IFREG | 0644, "x"}};
	struct blob b = build(ok, 1);
	struct image_unpack_result res;

	/* a leading "/" is stripped, as Docker does */
	unpack_ok(&b, f->dest, &res);
	assert_file(f, rel, "in", 0644);
	assert_int_equal(access(top, F_OK), -1);
	assert_only_root(f);
	expect_invalid_specs(f, up, 1, "'/../evil': path escapes the root");
	free(b.data);
}

static void test_symlink_parent(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *name = xasprintf("berth-test-tar-evil-%d", (int)getpid());
	_cleanup_free_ char *through_root = xasprintf("link/%s", name);
	_cleanup_free_ char *host = xasprintf("/%s", name);
	const struct spec to_root[] = {{"link", S_IFLNK | 0777, "/"},
				       {through_root, S_IFREG | 0644, "x"}};
	static const struct spec to_parent[] = {{"up", S_IFLNK | 0777, ".."},
						{"up/evil", S_IFREG | 0644, "x"}};
	static const struct spec deep[] = {{"d/", S_IFDIR | 0755},
					   {"d/l", S_IFLNK | 0777, "../.."},
					   {"d/l/x/evil", S_IFREG | 0644, "x"}};
	static const struct spec inside[] = {{"real/", S_IFDIR | 0755},
					     {"alias", S_IFLNK | 0777, "real"},
					     {"alias/f", S_IFREG | 0644, "x"}};

	expect_invalid_specs(f, to_root, 2, "path goes through a symlink");
	assert_int_equal(access(host, F_OK), -1);
	expect_invalid_specs(f, to_parent, 2,
			     "invalid tar entry 'up/evil': path goes through a symlink");
	expect_invalid_specs(f, deep, 3, "'d/l/x/evil': path goes through a symlink");
	/* refused even when the symlink stays inside the root */
	expect_invalid_specs(f, inside, 3, "'alias/f': path goes through a symlink");
	assert_missing(f, "real/f");
}

static void test_hardlink_escape(void **state)
{
	static const struct spec up[] = {
		{"passwd", S_IFREG | 0644, "../../etc/passwd", .hard = true}};
	static const struct spec abs[] = {{"passwd", S_IFREG | 0644, "/etc/passwd", .hard = true}};
	struct fixture *f = *state;
	struct stat before, after;

	assert_int_equal(stat("/etc/passwd", &before), 0);
	expect_invalid_specs(f, up, 1,
			     "'passwd': hardlink target '../../etc/passwd' escapes the root");
	/* an absolute target is inside the root too: here, missing */
	expect_invalid_specs(f, abs, 1, "hardlink target '/etc/passwd' does not exist");
	assert_int_equal(stat("/etc/passwd", &after), 0);
	assert_int_equal(before.st_nlink, after.st_nlink);
	assert_missing(f, "passwd");
}

static void test_hardlink_through_symlink(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *outside = xasprintf("%s/outside", f->base);
	_cleanup_free_ char *secret = xasprintf("%s/secret", outside);
	struct berth_error *err = NULL;
	struct stat st;

	/* a folder outside dest, next to it */
	assert_int_equal(mkdir(outside, 0755), 0);
	assert_int_equal(fs_write_atomic(secret, "s", 1, 0600, &err), 0);
	{
		const struct spec specs[] = {{"sl", S_IFLNK | 0777, outside},
					     {"x", S_IFREG | 0644, "sl/secret", .hard = true}};
		struct blob b = build(specs, 2);
		struct image_unpack_result res;

		assert_int_equal(unpack(&b, f->dest, -1, &res, &err), -1);
		assert_int_equal(err->kind, BERTH_ERR_INVALID);
		assert_msg(err, "'x': hardlink target 'sl/secret' goes through a symlink");
		berth_error_free(err);
		free(b.data);
	}
	assert_int_equal(stat(secret, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	assert_missing(f, "x");
}

static void test_hardlink_valid(void **state)
{
	static const struct spec specs[] = {
		{"a", S_IFREG | 0644, "shared"},
		{"b", S_IFREG | 0644, "a", .hard = true},
		{"d/c", S_IFREG | 0644, "/a", .hard = true},
		{"s", S_IFLNK | 0777, "/nowhere"},
		{"t", S_IFREG | 0777, "s", .hard = true},
	};
	struct fixture *f = *state;
	struct blob b = build(specs, ARRAY_SIZE(specs));
	struct image_unpack_result res;
	struct stat a, bs, c, s, t;

	unpack_ok(&b, f->dest, &res);
	lstat_at(f, "a", &a);
	lstat_at(f, "b", &bs);
	lstat_at(f, "d/c", &c);
	assert_int_equal(a.st_ino, bs.st_ino);
	assert_int_equal(a.st_ino, c.st_ino);
	assert_int_equal(a.st_nlink, 3);
	assert_file(f, "d/c", "shared", 0644);
	/* a hardlink to a symlink links the symlink, without following it */
	lstat_at(f, "s", &s);
	lstat_at(f, "t", &t);
	assert_true(S_ISLNK(t.st_mode));
	assert_int_equal(s.st_ino, t.st_ino);
	assert_int_equal(res.size, 6);
	free(b.data);
}

static void test_hardlink_bad_target(void **state)
{
	static const struct spec to_dir[] = {{"d/", S_IFDIR | 0755},
					     {"x", S_IFREG | 0644, "d", .hard = true}};
	static const struct spec to_root[] = {{"y", S_IFREG | 0644, "./", .hard = true}};
	struct fixture *f = *state;

	expect_invalid_specs(f, to_dir, 2, "'x': hardlink target 'd' is a directory");
	expect_invalid_specs(f, to_root, 1, "'y': hardlink target './' is a directory");
}

static void test_whiteouts(void **state)
{
	static const struct spec specs[] = {
		{"dir/", S_IFDIR | 0755},
		{"dir/.wh..wh..opq", S_IFREG | 0644},
		{"dir/keep", S_IFREG | 0644, "k"},
		{".wh.gone", S_IFREG | 0644, .uid = 5, .gid = 6},
		{"dir/sub/.wh.old", S_IFREG | 0644},
		{"top/", S_IFDIR | 0755, .xattr = "trusted.overlay.redirect"},
		{".wh..wh.plnk/", S_IFDIR | 0700},
		{".wh..wh.plnk/123", S_IFREG | 0644, "aufs"},
	};
	struct fixture *f = *state;
	struct blob b = build(specs, ARRAY_SIZE(specs));
	struct image_unpack_result res;
	_cleanup_free_ char *opq = NULL, *redirect = NULL, *top_opq = NULL;
	struct stat st;

	unpack_ok(&b, f->dest, &res);
	lstat_at(f, "gone", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	assert_int_equal(st.st_uid, 5);
	assert_int_equal(st.st_gid, 6);
	lstat_at(f, "dir/sub/old", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	opq = xattr_at(f, "dir", "trusted.overlay.opaque");
	assert_non_null(opq);
	assert_string_equal(opq, "y");
	assert_file(f, "dir/keep", "k", 0644);
	assert_missing(f, ".wh.gone");
	assert_missing(f, "dir/.wh..wh..opq");
	assert_missing(f, "dir/sub/.wh.old");
	assert_missing(f, ".wh..wh.plnk");
	/* overlay's xattrs come only from whiteouts, never from the archive */
	redirect = xattr_at(f, "top", "trusted.overlay.redirect");
	assert_null(redirect);
	top_opq = xattr_at(f, ".", "trusted.overlay.opaque");
	assert_null(top_opq);
	free(b.data);
}

static void test_bad_whiteout(void **state)
{
	static const struct spec dot[] = {{"a/.wh..", S_IFREG | 0644}};
	static const struct spec dotdot[] = {{".wh...", S_IFREG | 0644}};
	static const struct spec empty[] = {{"a/.wh.", S_IFREG | 0644}};
	struct fixture *f = *state;

	expect_invalid_specs(f, dot, 1, "'a/.wh..': bad whiteout name");
	expect_invalid_specs(f, dotdot, 1, "'.wh...': bad whiteout name");
	expect_invalid_specs(f, empty, 1, "'a/.wh.': bad whiteout name");
}

static void test_replace(void **state)
{
	static const struct spec specs[] = {
		{"x", S_IFREG | 0644, "one"},
		{"x", S_IFREG | 0600, "two"},
		{"d/", S_IFDIR | 0755},
		{"d/f", S_IFREG | 0644, "f"},
		{"d", S_IFLNK | 0777, "/elsewhere"},
		{"e/", S_IFDIR | 0755},
		{"e/f", S_IFREG | 0644, "f"},
		{"e/", S_IFDIR | 0700},
		{"l", S_IFLNK | 0777, "x"},
		{"l", S_IFREG | 0644, "file"},
	};
	struct fixture *f = *state;
	struct blob b = build(specs, ARRAY_SIZE(specs));
	struct image_unpack_result res;
	struct stat st;

	unpack_ok(&b, f->dest, &res);
	assert_file(f, "x", "two", 0600);
	assert_symlink(f, "d", "/elsewhere");
	assert_file(f, "e/f", "f", 0644);
	lstat_at(f, "e", &st);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_file(f, "l", "file", 0644);
	assert_file(f, "x", "two", 0600);
	free(b.data);
}

static void test_not_a_directory(void **state)
{
	static const struct spec specs[] = {{"f", S_IFREG | 0644, "x"},
					    {"f/g", S_IFREG | 0644, "y"}};
	static const struct spec root_file[] = {{".", S_IFREG | 0644, "x"}};
	struct fixture *f = *state;

	expect_invalid_specs(f, specs, 2, "'f/g': path goes through a non-directory");
	expect_invalid_specs(f, root_file, 1, "'.': the root must be a directory");
}

/* A tar with one big file, and the size of its header. */
static struct blob big_archive(void)
{
	static char *content;
	struct spec spec = {"big", S_IFREG | 0644};

	if (!content) {
		content = xmalloc(200001);
		for (int i = 0; i < 200000; i++)
			content[i] = 'a' + i % 26;
		content[200000] = '\0';
	}
	spec.data = content;
	return build(&spec, 1);
}

static void test_truncated_tar(void **state)
{
	struct fixture *f = *state;
	struct blob b = big_archive();

	b.len /= 2;
	expect_invalid(f, &b, "invalid tar archive: truncated");
	free(b.data);
}

static void test_truncated_gzip(void **state)
{
	struct fixture *f = *state;
	struct blob b = big_archive();
	struct blob z = compress(&b, ARCHIVE_FILTER_GZIP);

	z.len /= 2;
	expect_invalid(f, &z, "invalid tar archive: truncated gzip input");
	/* cut in the trailer only: the tar is whole but the stream is not */
	free(z.data);
	z = compress(&b, ARCHIVE_FILTER_GZIP);
	z.len -= 4;
	expect_invalid(f, &z, "invalid tar archive: truncated or corrupt data");
	free(z.data);
	free(b.data);
}

static void test_garbage(void **state)
{
	struct fixture *f = *state;
	struct blob b = {xmalloc(4096), 4096};
	uint32_t x = 12345;

	for (size_t i = 0; i < b.len; i++) {
		x = x * 1103515245 + 12345;
		b.data[i] = x >> 16;
	}
	expect_invalid(f, &b, "invalid tar archive: unrecognized archive format");
	free(b.data);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct blob empty = {NULL, 0};
	struct blob z = compress(&empty, ARCHIVE_FILTER_GZIP);

	expect_invalid(f, &empty, "invalid tar archive: empty input");
	expect_invalid(f, &z, "invalid tar archive: empty input");
	free(z.data);
}

static void test_empty_layer(void **state)
{
	struct fixture *f = *state;
	struct blob b = {xcalloc(1, 1024), 1024};
	struct blob z = compress(&b, ARCHIVE_FILTER_GZIP);
	struct image_unpack_result res;

	/* Docker's empty layer: only the end-of-archive blocks */
	unpack_ok(&b, f->dest, &res);
	assert_string_equal(res.diff_id,
			    "sha256:"
			    "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
	assert_int_equal(res.size, 0);
	assert_int_equal(res.tar_size, 1024);
	unpack_ok(&z, f->dest, &res);
	assert_string_equal(res.diff_id,
			    "sha256:"
			    "5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");
	assert_only_root(f);
	free(b.data);
	free(z.data);
}

static void test_bad_dest(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *missing = xasprintf("%s/missing", f->base);
	struct blob b = {xcalloc(1, 1024), 1024};
	struct image_unpack_result res;
	struct berth_error *err = NULL;

	assert_int_equal(unpack(&b, missing, -1, &res, &err), -1);
	assert_msg(err, "open '");
	assert_int_equal(err->status, ENOENT);
	berth_error_free(err);
	free(b.data);
}

static void test_tar_out_error(void **state)
{
	struct fixture *f = *state;
	struct blob b = build(basic_specs, ARRAY_SIZE(basic_specs));
	struct image_unpack_result res;
	struct berth_error *err = NULL;
	int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(ro >= 0);
	assert_int_equal(unpack(&b, f->dest, ro, &res, &err), -1);
	assert_msg(err, "write the uncompressed tar");
	assert_int_equal(err->status, EBADF);
	assert_int_equal(err->kind, BERTH_ERR_GENERIC);
	berth_error_free(err);
	close(ro);
	free(b.data);
}

/* In a child whose openat2() answers ENOSYS: the O_NOFOLLOW walk. 0 when all went well. */
static int child_without_openat2(const struct fixture *f, int good_fd, int evil_fd)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	struct image_unpack_result res;
	struct berth_error *err = NULL;
	_cleanup_free_ char *sub = xasprintf("%s/fallback", f->dest);

	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
	    seccomp_load(ctx) < 0)
		return 10;
	if (syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) >= 0 || errno != ENOSYS)
		return 11;
	/* first, so that the root keeps the time of the archive */
	if (mkdir(sub, 0755) < 0)
		return 12;
	if (image_tar_unpack(good_fd, -1, f->dest, &res, &err) < 0)
		return 13;
	if (image_tar_unpack(evil_fd, -1, sub, &res, &err) == 0)
		return 14;
	if (err->kind != BERTH_ERR_INVALID || !strstr(err->msg, "goes through a symlink"))
		return 15;
	return 0;
}

static void test_fallback_walk(void **state)
{
	static const struct spec evil[] = {{"d/", S_IFDIR | 0755},
					   {"d/up", S_IFLNK | 0777, "../../.."},
					   {"d/up/sub/evil", S_IFREG | 0644, "x"}};
	struct fixture *f = *state;
	struct blob good = build(basic_specs, ARRAY_SIZE(basic_specs));
	struct blob bad = build(evil, ARRAY_SIZE(evil));
	int good_fd = blob_fd(&good), evil_fd = blob_fd(&bad);
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_without_openat2(f, good_fd, evil_fd));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	check_basic_tree(f);
	assert_only_root(f);
	close(good_fd);
	close(evil_fd);
	free(good.data);
	free(bad.data);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_unpack_basic),	 T(test_unpack_compressed),
		T(test_dotdot_escape),	 T(test_dotdot_inside),
		T(test_absolute_paths),	 T(test_symlink_parent),
		T(test_hardlink_escape), T(test_hardlink_through_symlink),
		T(test_hardlink_valid),	 T(test_hardlink_bad_target),
		T(test_whiteouts),	 T(test_bad_whiteout),
		T(test_replace),	 T(test_not_a_directory),
		T(test_truncated_tar),	 T(test_truncated_gzip),
		T(test_garbage),	 T(test_empty),
		T(test_empty_layer),	 T(test_bad_dest),
		T(test_tar_out_error),	 T(test_fallback_walk),
	};

	memset(long_name, 'n', sizeof(long_name) - 1);
	memcpy(long_name, "deep/", 5);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
