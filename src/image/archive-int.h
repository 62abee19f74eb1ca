/*
 * Reading the files of an image archive (archive-src.c), private to the
 * image module: load's view of its input, whatever its shape.
 *
 * An archive is a folder (an OCI layout given with -i DIR) or a tar. A tar is
 * read in place when it is an uncompressed regular file; a compressed one, or
 * one that comes through a pipe, is first spooled (decompressed) into an
 * unlinked temporary file. Its entries are indexed once (name → offset and
 * size in the file), so that every later read is a pread of one region:
 * nothing of the outer archive is ever extracted.
 *
 * Names are checked when the tar is indexed: an entry whose path is absolute
 * or climbs out with "..", a symlink whose target is absolute or climbs out,
 * a hardlink to anything but an earlier regular file: the archive is refused
 * (BERTH_ERR_INVALID). Symlinks inside the archive are followed (Docker's
 * older archives link shared layers: "<id>/layer.tar -> ../<id2>/layer.tar").
 * In a folder, files are opened beneath it: symlinks may not lead out.
 */
#ifndef BERTH_IMAGE_ARCHIVE_INT_H
#define BERTH_IMAGE_ARCHIVE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"
#include "util/sha256.h"

struct archive_src;

/*
 * Opens input, a tar file or a folder; "-" (or NULL) reads the tar from in_fd
 * (borrowed). tmp_dir is where a tar to spool goes (an unlinked file).
 */
struct archive_src *archive_src_open(const char *input, int in_fd, const char *tmp_dir,
				     struct berth_error **err);
void archive_src_free(struct archive_src *src);
static inline void archive_src_freep(struct archive_src **src)
{
	archive_src_free(*src);
	*src = NULL;
}

/* A file of the archive: size bytes of fd from off. fd is owned. */
struct archive_file {
	int fd;
	off_t off;
	uint64_t size;
};
void archive_file_release(struct archive_file *f);

/*
 * Finds path (relative, "/"-separated) in the archive, following symlinks
 * inside it. A missing file is BERTH_ERR_NOT_FOUND; a path that leads out of
 * the archive is BERTH_ERR_INVALID.
 */
int archive_src_lookup(struct archive_src *src, const char *path, struct archive_file *f,
		       struct berth_error **err);
/*
 * The whole content of path, NUL-terminated, at most max bytes (larger is
 * BERTH_ERR_INVALID); *len gets the length when len is not NULL.
 */
char *archive_src_read(struct archive_src *src, const char *path, size_t max, size_t *len,
		       struct berth_error **err);

/*
 * Streaming a file of the archive into a reader that wants an fd of its own
 * (the layer unpacker): a thread copies the file into a pipe, hashing it on
 * the way when asked, so that the digest of the blob costs no extra pass.
 */
struct archive_feed;
/* Starts feeding f (borrowed until finish); *read_fd gets the pipe's end to read, owned. */
struct archive_feed *archive_feed_start(const struct archive_file *f, bool hash, int *read_fd,
					struct berth_error **err);
/*
 * Waits for the thread (the reader must have closed its end or read it all)
 * and gives the sha256 of the bytes (when hashing). An error when the file
 * could not be read or was not read to its end.
 */
int archive_feed_finish(struct archive_feed *feed, char digest[SHA256_DIGEST_LEN],
			struct berth_error **err);

#endif
