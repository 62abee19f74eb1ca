/*
 * Unpacking layer archives safely.
 *
 * The input is a tar stream, plain or compressed (gzip, xz, zstd, bzip2; the
 * compression is detected). It is read once: the uncompressed tar bytes are
 * hashed (the layer's diff ID) and optionally copied to tar_out_fd, and the
 * entries are extracted into dest.
 *
 * Extraction never writes outside dest: entries whose path has a ".."
 * component that escapes or is absolute-escaping, entries that would be
 * written through a symlink, and hardlinks whose target escapes dest are
 * refused with an error of kind BERTH_ERR_INVALID naming the entry. Symlinks
 * themselves may point anywhere (an absolute target such as /bin/busybox is
 * resolved inside the container's root at run time). Overlay whiteouts
 * (".wh.NAME" → a 0/0 character device NAME, ".wh..wh..opq" → the
 * trusted.overlay.opaque xattr) are converted. Device nodes are created only
 * when running as root. Ownership, modes, times and xattrs are kept.
 *
 * A corrupt or truncated archive is an error. On error, dest may hold a
 * partial tree: the caller extracts into a temporary folder and removes it.
 */
#ifndef BERTH_IMAGE_TAR_H
#define BERTH_IMAGE_TAR_H

#include "util/error.h"
#include "util/sha256.h"

struct image_unpack_result {
	char diff_id[SHA256_DIGEST_LEN]; /* "sha256:<hex>" of the uncompressed tar */
	long long size;			 /* sum of the sizes of the regular files */
	long long tar_size;		 /* bytes of the uncompressed tar */
};

/*
 * Reads the archive from in_fd (borrowed) and extracts it into dest, an
 * existing folder. tar_out_fd (borrowed) gets the uncompressed tar when >= 0.
 */
int image_tar_unpack(int in_fd, int tar_out_fd, const char *dest, struct image_unpack_result *res,
		     struct berth_error **err);

/*
 * Cleans path as Go's filepath.Clean relative to the root: a leading "/" or
 * "./" and empty or "." components go, ".." removes the previous component.
 * Returns NULL when a ".." would climb above the root; "" is the root.
 */
char *image_path_clean(const char *path);

#endif
