/*
 * The cgroup v1 back end: the container's cgroup is "berth/<id>" below the
 * root of each hierarchy, found where it is mounted (controllers mounted
 * together share one directory).
 */
#define LOG_DOMAIN "cgroup"

#include <fcntl.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define MEMSW "memory.memsw.limit_in_bytes"

/* Docker's default device rules (moby's oci defaults), after denying everything. */
static const char *const default_device_rules[] = {
	"c *:* m",	/* mknod of any character device */
	"b *:* m",	/* and of any block device */
	"c 1:3 rwm",	/* null */
	"c 1:5 rwm",	/* zero */
	"c 1:7 rwm",	/* full */
	"c 1:8 rwm",	/* random */
	"c 1:9 rwm",	/* urandom */
	"c 5:0 rwm",	/* tty */
	"c 5:1 rwm",	/* console */
	"c 5:2 rwm",	/* ptmx */
	"c 136:* rwm",	/* pts */
	"c 10:200 rwm", /* tun */
};

/* The directory of the hierarchy mounted at mnt, adding it on first sight. */
static int dir_index(struct cgroup *cg, const struct cgroup_mounts *m, enum cgroup_controller c)
{
	for (int prev = 0; prev < (int)c; prev++) {
		if (m->v1[prev] && strcmp(m->v1[prev], m->v1[c]) == 0)
			return cg->where[prev];
	}
	cg->dirs[cg->n_dirs] = xasprintf("%s/" CGROUP_PARENT "/%s", m->v1[c], cg->id);
	return (int)cg->n_dirs++;
}

static int v1_locate(struct cgroup *cg, struct berth_error **err)
{
	const struct cgroup_mounts *m = &cgroup_host_get()->mounts;

	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		if (m->v1[c])
			cg->where[c] = dir_index(cg, m, c);
	}
	if (cg->n_dirs == 0)
		return berth_error_set(err, 0, "cannot find any mounted cgroup hierarchy");
	return 0;
}

/* The value of a cpuset file of dir, copied from dir's parent first when empty. */
static char *cpuset_value(const char *dir, const char *file, struct berth_error **err)
{
	_cleanup_free_ char *value = cgroup_read(dir, file, err);
	_cleanup_free_ char *parent = NULL;

	if (!value || *value)
		return steal_ptr(&value);
	parent = xstrndup(dir, strrchr(dir, '/') - dir);
	free(value);
	value = cgroup_read(parent, file, err);
	if (!value || cgroup_write(dir, file, value, err) < 0)
		return NULL;
	return steal_ptr(&value);
}

/*
 * A new cpuset has no cpus nor memory nodes and refuses processes: give
 * berth/ the root's (when it is new) and the container berth/'s.
 */
static int cpuset_prepare(const char *dir, struct berth_error **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	_cleanup_free_ char *parent = xstrndup(dir, strrchr(dir, '/') - dir);

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *value = cpuset_value(parent, files[i], err);

		if (!value || cgroup_write(dir, files[i], value, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_create(struct cgroup *cg, struct berth_error **err)
{
	const char *cpuset = cgroup_controller_dir(cg, CGROUP_CTRL_CPUSET);

	for (size_t i = 0; i < cg->n_dirs; i++) {
		bool created;

		if (cgroup_mkdir(cg->dirs[i], &created, err) < 0)
			return -1;
		cg->created |= created;
	}
	if (cpuset && cpuset_prepare(cpuset, err) < 0)
		return berth_error_wrap(err, "cannot set up cpuset");
	return 0;
}

static int write_rules(const char *dir, const char *const *rules, size_t n,
		       struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/devices.allow", dir);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", path);
	/* The kernel takes one rule per write. */
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(rules[i]);

		if (write(fd, rules[i], len) != (ssize_t)len)
			return berth_error_set(err, errno, "write '%s' to '%s'", rules[i], path);
	}
	return 0;
}

static int set_devices(const char *dir, const struct cgroup_limits *l, struct berth_error **err)
{
	size_t n_extra = 0;

	if (!dir) {
		log_debug("devices cgroup controller not mounted: device access is not restricted");
		return 0;
	}
	if (l->all_devices)
		return cgroup_write(dir, "devices.allow", "a", err);
	if (cgroup_write(dir, "devices.deny", "a", err) < 0 ||
	    write_rules(dir, default_device_rules, ARRAY_SIZE(default_device_rules), err) < 0)
		return -1;
	while (l->device_rules && l->device_rules[n_extra])
		n_extra++;
	return write_rules(dir, l->device_rules, n_extra, err);
}

static int set_memory(const char *dir, const struct cgroup_limits *l, bool reused,
		      struct berth_error **err)
{
	bool memsw = cgroup_file_exists(dir, MEMSW);
	long long swap = l->memory_swap == 0 ? 2 * l->memory : l->memory_swap;

	/* memory+swap may not go below memory: lift a leftover's first. */
	if (memsw && reused && cgroup_write(dir, MEMSW, "-1", err) < 0)
		return -1;
	if (cgroup_writef(dir, "memory.limit_in_bytes", err, "%lld", l->memory) < 0)
		return -1;
	if (!memsw) {
		if (l->memory_swap > 0)
			log_warn("no swap accounting in this kernel: memory limited without swap");
		return 0;
	}
	return cgroup_writef(dir, MEMSW, err, "%lld", swap);
}

static int set_cpu(const char *dir, const struct cgroup_limits *l, struct berth_error **err)
{
	long long period = l->cpu_period_us > 0 ? l->cpu_period_us : 100000;

	if (l->cpu_quota_us > 0) {
		if (cgroup_writef(dir, "cpu.cfs_period_us", err, "%lld", period) < 0 ||
		    cgroup_writef(dir, "cpu.cfs_quota_us", err, "%lld", l->cpu_quota_us) < 0)
			return berth_error_wrap(err, "cannot set cpu quota");
	}
	if (l->cpu_shares > 0 && cgroup_writef(dir, "cpu.shares", err, "%lld", l->cpu_shares) < 0)
		return berth_error_wrap(err, "cannot set cpu shares");
	return 0;
}

static int v1_set_limits(struct cgroup *cg, const struct cgroup_limits *l, struct berth_error **err)
{
	const char *memory = cgroup_controller_dir(cg, CGROUP_CTRL_MEMORY);
	const char *pids = cgroup_controller_dir(cg, CGROUP_CTRL_PIDS);
	const char *cpu = cgroup_controller_dir(cg, CGROUP_CTRL_CPU);

	if (set_devices(cgroup_controller_dir(cg, CGROUP_CTRL_DEVICES), l, err) < 0)
		return berth_error_wrap(err, "cannot set device rules");
	if (l->memory > 0 && set_memory(memory, l, !cg->created, err) < 0)
		return berth_error_wrap(err, "cannot set memory limit");
	if (l->pids > 0 && cgroup_writef(pids, "pids.max", err, "%lld", l->pids) < 0)
		return berth_error_wrap(err, "cannot set pids limit");
	if (cpu && set_cpu(cpu, l, err) < 0)
		return -1;
	return 0;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct berth_error **err)
{
	const char *dir = cgroup_controller_dir(cg, CGROUP_CTRL_FREEZER);
	const char *want = frozen ? "FROZEN" : "THAWED";
	struct cgroup_wait w;

	/* FREEZING until every task is caught; writing again nudges the stragglers. */
	cgroup_wait_init(&w, 5000);
	do {
		_cleanup_free_ char *state = NULL;

		if (cgroup_write(dir, "freezer.state", want, err) < 0)
			return -1;
		state = cgroup_read(dir, "freezer.state", err);
		if (!state)
			return -1;
		if (strcmp(state, want) == 0)
			return 0;
	} while (cgroup_wait_next(&w));
	if (frozen)
		cgroup_write(dir, "freezer.state", "THAWED", NULL);
	return berth_error_set(err, ETIMEDOUT, "'%s' did not become %s", dir, want);
}

static bool v1_oom_killed(struct cgroup *cg)
{
	const char *dir = cgroup_controller_dir(cg, CGROUP_CTRL_MEMORY);

	return cgroup_read_key(dir, "memory.oom_control", "oom_kill") > 0;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "cgroup v1",
	.locate = v1_locate,
	.create = v1_create,
	.set_limits = v1_set_limits,
	.freeze = v1_freeze,
	.oom_killed = v1_oom_killed,
	.kill = cgroup_kill_all,
};
