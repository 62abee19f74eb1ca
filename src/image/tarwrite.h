/*
 * Writing tar archives: layers (commit), the flattened file system of a
 * container (export) and image archives (save). Our own writer, POSIX pax
 * format (ustar headers, with pax extended headers for long names and links,
 * large sizes and ids, sub-second times and xattrs), as Docker's layers are;
 * libarchive's writers are not linked (meson.build says why).
 *
 * The output is written to an fd and hashed as it goes: tarw_finish() gives
 * the sha256 of every byte written (a layer's diff ID) and the count.
 */
#ifndef BERTH_IMAGE_TARWRITE_H
#define BERTH_IMAGE_TARWRITE_H

#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"
#include "util/sha256.h"

struct tarw;

/* A writer onto fd (borrowed; not closed). */
struct tarw *tarw_new(int fd);
/* Frees the writer without finishing it (after an error). */
void tarw_free(struct tarw *tw);

/* Entries from memory or from an open file; name is relative ("a/b"), mode the permission bits. */
int tarw_add_dir(struct tarw *tw, const char *name, mode_t mode, int64_t mtime_s,
		 struct berth_error **err);
int tarw_add_data(struct tarw *tw, const char *name, const void *data, size_t len, mode_t mode,
		  int64_t mtime_s, struct berth_error **err);
/* size bytes read from fd (borrowed) from its current offset. */
int tarw_add_fd(struct tarw *tw, const char *name, int fd, uint64_t size, mode_t mode,
		int64_t mtime_s, struct berth_error **err);

enum tarw_tree_flags {
	/*
	 * The tree is an overlay upper dir: a 0/0 character device NAME becomes an
	 * empty file ".wh.NAME", and a directory with the xattr trusted.overlay.opaque
	 * = "y" gets an entry ".wh..wh..opq" inside it (the xattr itself is not
	 * written). Without the flag such files are archived as they are.
	 */
	TARW_OVERLAY = 1 << 0,
};

/*
 * The tree under dirfd (borrowed), recursively, with names prefixed by prefix
 * ("" for none): directories, regular files, symlinks, hardlinks (a second
 * path to an inode already written is a hardlink entry), character and block
 * devices, fifos; sockets are skipped. Owner ids, names are left empty, modes
 * (with setuid, setgid, sticky), mtimes (with nanoseconds in pax) and xattrs
 * (security.capability included) are kept. Entries are in byte order of their
 * names within each directory, a directory before its contents, so the output
 * is the same for the same tree. The root itself is not an entry.
 */
int tarw_add_tree(struct tarw *tw, int dirfd, const char *prefix, unsigned flags,
		  struct berth_error **err);

/*
 * Writes the end of the archive (two zero blocks, as tar pads) and gives the
 * digest ("sha256:<hex>") and byte count of everything written. Frees tw.
 */
int tarw_finish(struct tarw *tw, char digest[SHA256_DIGEST_LEN], uint64_t *size,
		struct berth_error **err);

#endif
