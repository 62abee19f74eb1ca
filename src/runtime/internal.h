/* Private to runtime/: pieces of the container's init, run in the child before execve. */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <sys/types.h>

#include "runtime/runtime.h"

/*
 * The child's error report: written once to the sync socket as
 * "E<kind>\n<message>". Functions of the child fill a struct child_error
 * instead of a berth_error (no allocation after fork is required).
 */
struct child_error {
	int kind;
	char msg[1024];
};

int child_fail(struct child_error *ce, int kind, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* mounts.c: Docker's default mounts, in order (/sys/fs/cgroup follows /sys). */
struct runtime_default_mount {
	const char *dest, *type;
	unsigned long flags;
	const char *data;
};
extern const struct runtime_default_mount runtime_default_mounts[];
extern const size_t runtime_n_default_mounts;

/* mounts.c: Docker's masked and read-only paths (not for privileged containers). */
extern const char *const runtime_masked_paths[];
extern const size_t runtime_n_masked_paths;
extern const char *const runtime_readonly_paths[];
extern const size_t runtime_n_readonly_paths;

/* mounts.c: the root file system, default mounts and pivot_root. */
int rootfs_setup(const struct runtime_spec *spec, struct child_error *ce);
/* mounts.c: after pivot_root: masked and read-only paths, read-only root. */
int rootfs_finish(const struct runtime_spec *spec, struct child_error *ce);

/* user.c: resolves spec->user in the container's /etc/passwd and /etc/group. */
struct child_user {
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int n_groups;
	char home[256];
};
int user_resolve(const char *user, struct child_user *u, struct child_error *ce);

#endif
