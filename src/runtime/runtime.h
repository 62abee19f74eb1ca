/*
 * The runtime: runs a container's init from a runtime spec — namespaces, the
 * overlay root file system, Docker's default mounts, masked and read-only
 * paths, cgroups, rlimits, the user, capabilities and seccomp. Only this
 * module makes namespace and mount syscalls.
 */
#ifndef BERTH_RUNTIME_RUNTIME_H
#define BERTH_RUNTIME_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/cgroup.h"
#include "runtime/seccomp.h"
#include "util/error.h"

/* The PATH a container gets when neither the image nor the user sets one (Docker's). */
#define RUNTIME_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum runtime_net {
	RUNTIME_NET_NONE, /* a new network namespace with only loopback */
	RUNTIME_NET_HOST, /* the host's network namespace */
	RUNTIME_NET_JOIN, /* the network namespace at netns_path */
};

struct runtime_mount {
	char *type;   /* "tmpfs", "bind", ... */
	char *source; /* for bind mounts: a host path */
	char *dest;   /* absolute path in the container */
	char *data;   /* file system options ("size=64m,mode=1777") or NULL */
	unsigned long flags;
	unsigned long propagation; /* MS_SLAVE | MS_REC...: set after the mount; 0 for none */
};

struct runtime_rlimit {
	int resource; /* RLIMIT_* */
	unsigned long long soft, hard;
};

struct runtime_spec {
	char *id;
	char *layers_dir; /* <root>/layers: the lower dirs are relative to it */
	char **lowers;	  /* "<hex>/diff", top layer first */
	char *upper, *work, *merged;

	char **argv; /* the process; argv[0] is looked up in PATH when it has no '/' */
	char **env;  /* KEY=VALUE, PATH included */
	char *cwd;   /* absolute; created when missing */
	char *user;  /* "", "name", "uid", "name:group", "uid:gid" */
	char *hostname;
	bool tty, open_stdin, readonly, privileged, no_new_privs, init;
	unsigned short tty_rows, tty_cols; /* the terminal's first size; 0 = unknown */
	uint64_t caps;
	bool seccomp;		/* load the default profile */
	struct seccomp_bpf bpf; /* compiled before spawning when seccomp is set */
	enum runtime_net net;
	char *netns_path; /* RUNTIME_NET_JOIN: /proc/PID/ns/net, /proc/self/fd/N... */
	/*
	 * Runs in the caller of runtime_spawn() once the init is cloned, while it
	 * prepares its root: the init runs its process only after it returned 0
	 * (the container's network is set up meanwhile). NULL: none.
	 */
	int (*prestart)(void *arg, pid_t pid, struct berth_error **err);
	void *prestart_arg;

	struct runtime_mount *mounts; /* after the defaults, in order */
	size_t n_mounts;
	struct runtime_rlimit *rlimits;
	size_t n_rlimits;
	struct cgroup_limits limits;
};

void runtime_spec_free(struct runtime_spec *spec);
/* Appends a mount (copies the strings). */
void runtime_spec_add_mount(struct runtime_spec *spec, const char *type, const char *source,
			    const char *dest, const char *data, unsigned long flags);

/*
 * Opens path inside the tree at rootfd, symlinks resolved as if rootfd were
 * "/" (openat2's RESOLVE_IN_ROOT, or a walk where the kernel lacks it): never
 * outside it.
 */
int runtime_open_in_root(int rootfd, const char *path, int flags);

/*
 * Runs fn in a child of its own mount namespace where the layers (lowers, top
 * first, relative to layers_dir) are mounted read-only as one tree at target
 * (an empty folder); rootfd is that tree. fn's error is returned as ours.
 */
int runtime_with_rootfs(const char *layers_dir, char *const *lowers, const char *target,
			int (*fn)(int rootfd, void *arg, struct berth_error **err), void *arg,
			struct berth_error **err);

/* The container's standard streams when it has no terminal; -1 means /dev/null. */
struct runtime_stdio {
	int in, out, err;
};

struct runtime_process {
	pid_t pid;	/* the container's init, in the caller's pid namespace */
	int pty_master; /* with spec->tty: the terminal's master side, else -1 */
};

/*
 * Starts the container's init in cg and returns once it has exec'd the
 * process. Errors of the process itself are reported with their kind:
 * BERTH_ERR_NO_COMMAND (127), BERTH_ERR_CANNOT_EXECUTE (126), BERTH_ERR_INVALID
 * (an unknown user, 125). The caller reaps the pid.
 */
int runtime_spawn(const struct runtime_spec *spec, struct cgroup *cg,
		  const struct runtime_stdio *io, struct runtime_process *out,
		  struct berth_error **err);

/* The spec as an OCI runtime config (config.json), for people and tools to read. */
json_t *runtime_spec_to_oci(const struct runtime_spec *spec, const char *cgroup_path);

/* Rlimit names as --ulimit takes them ("nofile", "nproc", ...). -1 when unknown. */
int runtime_rlimit_from_name(const char *name);
/* The name of an RLIMIT_* ("nofile"), or NULL. */
const char *runtime_rlimit_name(int resource);

#endif
