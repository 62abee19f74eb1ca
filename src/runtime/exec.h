/*
 * Exec: a new process in a running container (docker exec). It joins every
 * namespace of the container's init that differs from the caller's (through
 * a pidfd when the kernel has them, else the /proc/PID/ns files) and the container's
 * cgroup, then resolves the user in the container's /etc/passwd and starts
 * the process with the capabilities, seccomp program, no_new_privs and
 * rlimits it is given (those of the container, as container_spec() builds
 * them, unless privileged).
 */
#ifndef BERTH_RUNTIME_EXEC_H
#define BERTH_RUNTIME_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "runtime/seccomp.h"
#include "util/error.h"

/* Everything is borrowed for the duration of the call. */
struct runtime_exec_opts {
	pid_t pid;	/* the container's init, in the caller's pid namespace */
	const char *id; /* the container's ID: its cgroup */

	char *const *argv; /* argv[0] is looked up in the PATH of env when it has no '/' */
	char *const *env;  /* complete (KEY=VALUE); HOME comes from passwd when missing */
	const char *cwd;   /* must exist; entered as the user */
	const char *user;  /* "", "name", "uid", "name:group", "uid:gid" */

	uint64_t caps; /* bounding set; effective and permitted too for uid 0 */
	/* --privileged: the bounding set is left as the caller's */
	bool privileged;
	const struct seccomp_bpf *seccomp; /* NULL: no filter */
	bool no_new_privs;
	const struct runtime_rlimit *rlimits;
	size_t n_rlimits;

	/*
	 * With tty, a terminal from the container's devpts (its size set first
	 * when rows and cols are not 0) is the process's controlling terminal
	 * and standard streams; its master comes back in out->pty_master.
	 * Else io gives the standard streams (-1: /dev/null). The process always
	 * starts a new session: signals of the caller's terminal reach it only
	 * through the caller.
	 */
	bool tty;
	unsigned short tty_rows, tty_cols;
	struct runtime_stdio io;
};

/*
 * Starts the process and returns once it has exec'd. out->pid is the process
 * in the caller's pid namespace, a child of the caller (which reaps it; when
 * the caller exits first, it lives on). Errors of the process are reported
 * with their kind, the message as runc words it: BERTH_ERR_NO_COMMAND (127),
 * BERTH_ERR_CANNOT_EXECUTE (126: not executable, the working directory),
 * BERTH_ERR_INVALID (an unknown user or group: "unable to find user x: no
 * matching entries in passwd file"); anything else is BERTH_ERR_GENERIC.
 */
int runtime_exec(const struct runtime_exec_opts *o, struct runtime_process *out,
		 struct berth_error **err);

#endif
