/* Private to runtime/: pieces of the container's init, run in the child before execve. */
#ifndef BERTH_RUNTIME_INTERNAL_H
#define BERTH_RUNTIME_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/compiler.h"

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

/*
 * inroot.c: paths inside the tree at rootfd (the container's root), symlinks
 * resolved as if it were "/" (openat2's RESOLVE_IN_ROOT, or a walk without it):
 * never outside it. mkdir_in_root() (mkdir -p) and touch_in_root() make what
 * is missing and return an O_PATH fd of it.
 */
int open_in_root(int rootfd, const char *path, int flags);
int mkdir_in_root(int rootfd, const char *path, mode_t mode);
int touch_in_root(int rootfd, const char *path);

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

/*
 * process.c: the steps of a child before execve, shared by the container's
 * init (create.c) and processes exec'd into a running container (exec.c).
 * Those that run in the child allocate nothing unless said otherwise.
 */

/* Sends fd with a one-byte tag over a unix socket (SCM_RIGHTS). */
int process_send_fd(int sock, char tag, int fd);
/*
 * The parent's side: one message of the child into buf (NUL-terminated), a
 * passed fd into *fd_out (O_CLOEXEC). Returns its length, 0 at the end (the
 * child exec'd or exited), -1 on error.
 */
int process_recv_report(int sock, int *fd_out, char *buf, size_t len);
/*
 * A terminal from /dev/pts/ptmx of the current mount namespace: its size set
 * (when rows and cols are not 0), the master sent to the parent tagged 'T', a
 * new session with the peer as controlling terminal and standard streams.
 * Returns the peer's fd (the caller closes it).
 */
int process_setup_tty(unsigned short rows, unsigned short cols, int sync_fd,
		      struct child_error *ce);
/* Standard streams from io (-1: /dev/null of the current mount namespace). */
int process_setup_stdio(const struct runtime_stdio *io, struct child_error *ce);
int process_set_rlimits(const struct runtime_rlimit *rlimits, size_t n, struct child_error *ce);
/* The value of key in a KEY=VALUE vector, or NULL. */
const char *process_env_get(char *const *env, const char *key);
/*
 * Finds argv0 as execvp would, in the PATH of env: errors of kind
 * BERTH_ERR_NO_COMMAND with runc's messages.
 */
int process_find_command(const char *argv0, char *const *env, char *out, size_t len,
			 struct child_error *ce);
/*
 * Drops the bounding set to caps (unless keep_bounding), switches to the
 * user, then sets effective and permitted to caps for root, to nothing else.
 */
int process_switch_user(uint64_t caps, bool keep_bounding, const struct child_user *u,
			struct child_error *ce);
/* A copy of env with HOME from the user's passwd entry when env lacks it (allocates). */
char **process_env_with_home(char *const *env, const struct child_user *u);
/* Loads a compiled seccomp program; NULL loads nothing. */
int process_load_seccomp(const struct seccomp_bpf *bpf, struct child_error *ce);
/* execve, and on failure the error of kind 126 or 127 as runc words it. */
int process_execve(const char *path, char *const *argv, char *const *env, struct child_error *ce);
/* Default dispositions and an empty signal mask: nothing of the parent's reaches the process. */
void process_reset_signals(void);
/* Reports ce to the parent as "E<kind><message>" and exits with 127, 126 or 125. */
_noreturn_ void process_child_exit(int sync_fd, const struct child_error *ce);

#endif
