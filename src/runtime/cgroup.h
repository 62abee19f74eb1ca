/*
 * Container cgroups behind one interface, with cgroup v1 (each controller
 * found where it is mounted, including hybrid layouts with a cgroup2 mount
 * that offers no controllers) and v2 back ends (structs of function pointers).
 * A container's cgroup is "berth/<id>" below each hierarchy's root.
 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct cgroup_limits {
	long long memory; /* bytes; 0 = no limit */
	long long
		memory_swap; /* bytes of memory+swap; 0 = default (twice memory), -1 = unlimited */
	long long pids;	     /* max processes; 0 = no limit (Docker: 0 and -1 are unlimited) */
	long long cpu_quota_us;	 /* from --cpus: cpus * period; 0 = no limit */
	long long cpu_period_us; /* 100000 when a quota is set */
	long long cpu_shares;	 /* v1 cpu.shares (v2: converted to cpu.weight); 0 = default */
	/*
	 * Devices (v1 only; NEEDSWORK: v2 needs an eBPF program): Docker's
	 * default rules unless all_devices (--privileged), then device_rules
	 * ("c 4:64 rwm", from --device and --device-cgroup-rule; NULL-terminated,
	 * borrowed, may be NULL).
	 */
	bool all_devices;
	const char *const *device_rules;
};

struct cgroup;

enum cgroup_version { CGROUP_V1 = 1, CGROUP_V2 = 2 };
/* Which back end the host uses (probed once). */
enum cgroup_version cgroup_host_version(void);

/*
 * Creates the container's cgroup and applies the limits. Limits the host
 * cannot enforce (controller not mounted) fail with a clear error when asked
 * for, and are skipped when not asked for.
 */
struct cgroup *cgroup_create(const char *id, const struct cgroup_limits *limits,
			     struct berth_error **err);
/* Opens the existing cgroup of a container (for pause, top, teardown by another process). */
struct cgroup *cgroup_open(const char *id, struct berth_error **err);

/* Moves pid into the cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct berth_error **err);
/*
 * For a new single-threaded process to move itself in: on v1, the "tasks"
 * file of each hierarchy, opened here (O_CLOEXEC) for the child to write "0"
 * to with cgroup_join_self(). Moving oneself that way skips the global lock
 * that makes moving another process (cgroup_enter) wait for an RCU grace
 * period, about 8 ms per container start. Returns the number of fds, 0 when
 * the host has no such shortcut (v2: cgroup_enter, or clone3 into the cgroup).
 */
int cgroup_join_fds(struct cgroup *cg, int *fds, size_t max, struct berth_error **err);
/* In the child, before it runs anything else: writes "0" to each fd. Allocates nothing. */
int cgroup_join_self(const int *fds, size_t n);

/* Freezes (pause) or thaws (unpause) every process of the cgroup. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct berth_error **err);
/* The pids in the cgroup (host pid namespace). *pids is freed by the caller. */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct berth_error **err);
/* True when the kernel's OOM killer killed a process of this cgroup. */
bool cgroup_oom_killed(struct cgroup *cg);
/* Sends SIGKILL to every process of the cgroup. */
int cgroup_kill(struct cgroup *cg, struct berth_error **err);
/* Kills what is left in the cgroup and removes it in every hierarchy. */
int cgroup_destroy(struct cgroup *cg, struct berth_error **err);
/* Path of the cgroup as /proc/self/cgroup shows it ("/berth/<id>"). */
const char *cgroup_path(const struct cgroup *cg);

/*
 * An O_DIRECTORY fd of the cgroup for clone3(CLONE_INTO_CGROUP); owned by the
 * caller. Fails with EOPNOTSUPP unless the host is in v2 mode.
 */
int cgroup_open_dirfd(struct cgroup *cg, struct berth_error **err);

/* Frees the handle; the cgroup itself stays (see cgroup_destroy()). NULL is fine. */
void cgroup_free(struct cgroup *cg);
static inline void cgroup_freep(struct cgroup **cg)
{
	cgroup_free(*cg);
	*cg = NULL;
}

#endif
