/* File system helpers: atomic writes, recursive mkdir and removal, reading files. */
#ifndef BERTH_UTIL_FS_H
#define BERTH_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* mkdir -p with mode for the created folders. */
int fs_mkdir_p(const char *path, mode_t mode, struct berth_error **err);

/*
 * Writes len bytes to path through a temporary file in the same folder that is
 * fsynced and renamed over path.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		    struct berth_error **err);

/* Reads a whole file; *len (if not NULL) gets its size. The buffer is NUL-terminated. */
char *fs_read_file(const char *path, size_t *len, struct berth_error **err);
/* As fs_read_file() relative to dirfd; does not follow a final symlink. */
char *fs_read_fileat(int dirfd, const char *path, size_t *len, struct berth_error **err);

/*
 * rm -rf that never crosses into other mounts and never follows symlinks.
 * A missing path is not an error.
 */
int fs_rm_rf(const char *path, struct berth_error **err);

/* Writes all of buf to fd, retrying on EINTR and short writes. */
ssize_t fs_write_all(int fd, const void *buf, size_t len);
/* Reads up to len bytes, retrying on EINTR and short reads until EOF. */
ssize_t fs_read_all(int fd, void *buf, size_t len);

/* Writes a short string to an existing file (cgroup and /proc knobs). */
int fs_write_string(const char *path, const char *value, struct berth_error **err);

bool fs_exists(const char *path);

/*
 * Files left by a crash. Temporary names carry their writer's pid:
 * "<pid>-NAME" (trash), "tmp-<pid>-…" and "NAME.tmp-<pid>" (temporary files).
 * fs_remove_orphans() removes the entries of dir whose writer is gone.
 */
void fs_remove_orphans(const char *dir);
/* The pid a temporary or trash name carries, or 0 when it carries none. */
long fs_temp_owner(const char *name);

/*
 * Renames path into trash_dir (made as needed) as "<our pid>-BASENAME", at
 * once; the caller removes the returned path later (fs_rm_rf), or, if it
 * crashes first, fs_remove_orphans() of trash_dir does.
 */
char *fs_trash(const char *path, const char *trash_dir, struct berth_error **err);

/* Sum of the sizes of the regular files below path (not following symlinks). */
long long fs_tree_size(const char *path);

#endif
