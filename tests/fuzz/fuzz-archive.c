/*
 * Fuzz target for the reader of image archives (src/image/archive-int.h):
 * the input, a tar (possibly compressed), is indexed in place and the names
 * load asks for are looked up through its symlinks and hardlinks, read, and
 * streamed through the feeding thread. Besides not crashing, every file found
 * must lie inside the (spooled) tar, and a stream must give its exact size.
 *
 * Built without libFuzzer, main() (replay.c) replays the folder argv[1].
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "image/archive-int.h"
#include "util/fs.h"
#include "util/strutil.h"

#define MAX_READ (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok, const char *what, const char *path)
{
	if (!ok) {
		fprintf(stderr, "%s: '%s'\n", what, path);
		abort();
	}
}

/* Streams f through the feeding thread and counts the bytes. */
static void stream(const struct archive_file *f, const char *path)
{
	_cleanup_error_ struct berth_error *err = NULL;
	char buf[65536], digest[SHA256_DIGEST_LEN];
	struct archive_feed *feed;
	uint64_t total = 0;
	int rfd = -EBADF;
	ssize_t n;

	feed = archive_feed_start(f, true, &rfd, &err);
	check(feed != NULL, "cannot start a feed", path);
	while ((n = read(rfd, buf, sizeof(buf))) != 0) {
		/* libFuzzer's timer interrupts reads */
		check(n > 0 || errno == EINTR, "cannot read the stream", path);
		total += n > 0 ? n : 0;
	}
	closep(&rfd);
	check(archive_feed_finish(feed, digest, &err) == 0 && total == f->size,
	      "the stream does not give the file", path);
}

static void look_up(struct archive_src *src, const char *path)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *text = NULL;
	struct archive_file f;
	struct stat st;
	size_t len = 0;

	if (archive_src_lookup(src, path, &f, &err) < 0) {
		check(err && err->msg, "an error without a message", path);
		return;
	}
	check(fstat(f.fd, &st) == 0 && f.off >= 0 && f.off + (off_t)f.size <= st.st_size,
	      "a file outside the archive", path);
	if (f.size <= MAX_READ)
		stream(&f, path);
	archive_file_release(&f);
	berth_error_free(steal_ptr(&err));
	text = archive_src_read(src, path, MAX_READ, &len, &err);
	check(!text || len == f.size, "a read of the wrong size", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"manifest.json",
		"index.json",
		"oci-layout",
		"repositories",
		"abc/layer.tar",
		"layer.tar",
		"hl",
		"a/b/c",
		"./manifest.json",
		"blobs/sha256/0000000000000000000000000000000000000000000000000000000000000000",
		"../x",
		"/etc/passwd",
		"lnk/x",
	};
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int fd = memfd_create("fuzz-archive", MFD_CLOEXEC);
	struct archive_src *src;

	if (fd < 0 || fs_write_all(fd, data, size) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		abort();
	src = archive_src_open(NULL, fd, "/tmp", &err);
	if (!src)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		look_up(src, paths[i]);
	archive_src_free(src);
	return 0;
}
