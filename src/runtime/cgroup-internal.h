/*
 * Private to the cgroup code and its tests: the back-end operations (one
 * struct of function pointers per cgroup version, as crun's cgroup managers),
 * the probed host, the container cgroup itself and the helpers the back ends
 * share.
 */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

#include "runtime/cgroup.h"
#include "util/compiler.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
/* Below each hierarchy's root: the parent of every container's cgroup. */
#define CGROUP_PARENT "berth"

/* The controllers berth uses. CGROUP_CTRL_BLKIO is "io" on v2. */
enum cgroup_controller {
	CGROUP_CTRL_CPU,
	CGROUP_CTRL_CPUACCT,
	CGROUP_CTRL_CPUSET,
	CGROUP_CTRL_MEMORY,
	CGROUP_CTRL_DEVICES,
	CGROUP_CTRL_FREEZER,
	CGROUP_CTRL_BLKIO,
	CGROUP_CTRL_PIDS,
	CGROUP_CTRL__COUNT,
};

/* The v1 name of a controller ("cpu", "blkio"...). */
const char *cgroup_controller_name(enum cgroup_controller c);
/* The v2 name ("io" for blkio), or NULL for controllers v2 does not have. */
const char *cgroup_controller_v2_name(enum cgroup_controller c);
/* Bits (1 << controller) of the v2 names in a cgroup.controllers or cgroup.subtree_control. */
unsigned cgroup_parse_v2_controllers(const char *text);

/* Where cgroup file systems are mounted, as found in a mountinfo file. */
struct cgroup_mounts {
	/* Mount point of the v1 hierarchy holding each controller; NULL when not mounted. */
	char *v1[CGROUP_CTRL__COUNT];
	/* Mount point of a cgroup2 file system (the one at /sys/fs/cgroup first); or NULL. */
	char *unified;
};

/*
 * Parses the text of /proc/<pid>/mountinfo. Controllers mounted together
 * ("cpu,cpuacct") get the same mount point; of several mounts of one
 * hierarchy, the one of its root wins. Lines that do not parse are skipped.
 * Returns the number of cgroup and cgroup2 mounts seen.
 */
int cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *m);
void cgroup_mounts_release(struct cgroup_mounts *m);

/* The host, probed once. */
struct cgroup_host {
	enum cgroup_version version;
	struct cgroup_mounts mounts; /* v1 */
	unsigned v2_available;	     /* v2: bit (1 << controller) per entry of cgroup.controllers */
};
const struct cgroup_host *cgroup_host_get(void);

struct cgroup {
	const struct cgroup_ops *ops;
	char *id;
	char *path; /* "/berth/<id>" */
	/* The distinct directories of the cgroup: one per v1 hierarchy, one on v2. */
	char *dirs[CGROUP_CTRL__COUNT];
	size_t n_dirs;
	/* Index into dirs of the directory holding each controller; -1 when not available. */
	int where[CGROUP_CTRL__COUNT];
	bool created; /* cgroup_create() made it (it did not reuse a leftover) */
};

/* The container's directory holding controller c, or NULL when it is not available. */
const char *cgroup_controller_dir(const struct cgroup *cg, enum cgroup_controller c);

struct cgroup_ops {
	const char *name;
	/* Fills cg->dirs and cg->where from cg->id and the probed host. */
	int (*locate)(struct cgroup *cg, struct berth_error **err);
	/* Makes the directories (and their parents), reusing existing ones; sets cg->created. */
	int (*create)(struct cgroup *cg, struct berth_error **err);
	/* Applies limits, already checked against the available controllers. */
	int (*set_limits)(struct cgroup *cg, const struct cgroup_limits *limits,
			  struct berth_error **err);
	int (*freeze)(struct cgroup *cg, bool frozen, struct berth_error **err);
	bool (*oom_killed)(struct cgroup *cg);
	/* Kills every process of the cgroup and waits until it is empty. */
	int (*kill)(struct cgroup *cg, struct berth_error **err);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Rejects inconsistent limits (swap without memory...), before any I/O. */
int cgroup_limits_validate(const struct cgroup_limits *l, struct berth_error **err);
/* Fails with a clear message when a limit asks for a controller cg lacks. */
int cgroup_check_limits(const struct cgroup *cg, const struct cgroup_limits *l,
			struct berth_error **err);
/* v1 cpu.shares to v2 cpu.weight, as crun converts them. */
unsigned long long cgroup_shares_to_weight(unsigned long long shares);

/* Shared helpers: file access relative to a cgroup directory. */
int cgroup_write(const char *dir, const char *file, const char *value, struct berth_error **err);
int cgroup_writef(const char *dir, const char *file, struct berth_error **err, const char *fmt, ...)
	_printf_(4, 5);
char *cgroup_read(const char *dir, const char *file, struct berth_error **err);
bool cgroup_file_exists(const char *dir, const char *file);
/* The number after "key " in a flat keyed file (memory.events); -1 when absent. */
long long cgroup_read_key(const char *dir, const char *file, const char *key);
/* The pids of dir/cgroup.procs; a missing directory has none. */
int cgroup_read_pids(const char *dir, pid_t **pids, size_t *n, struct berth_error **err);
/*
 * mkdir, making the parent first when it is missing; *created says whether
 * dir was made (false when it existed).
 */
int cgroup_mkdir(const char *dir, bool *created, struct berth_error **err);

/* Bounded polling with a growing delay. */
struct cgroup_wait {
	struct timespec deadline;
	unsigned delay_us;
};
void cgroup_wait_init(struct cgroup_wait *w, unsigned timeout_ms);
/* Sleeps a little; false once the deadline has passed. */
bool cgroup_wait_next(struct cgroup_wait *w);

/* Waits until dir/cgroup.procs is empty, sending SIGKILL to what is left. */
int cgroup_wait_empty(const char *dir, struct berth_error **err);

/*
 * The generic kill: freezes the cgroup when it can (so nothing forks while
 * we look), sends SIGKILL to every pid in every hierarchy, thaws, then waits
 * until every directory is empty, killing stragglers.
 */
int cgroup_kill_all(struct cgroup *cg, struct berth_error **err);

#endif
