/*
 * The cgroup v2 back end: the container's cgroup is /sys/fs/cgroup/berth/<id>,
 * with the controllers berth uses enabled for berth/ and its children.
 */
#define LOG_DOMAIN "cgroup"

#include "runtime/cgroup-internal.h"
#include "util/log.h"
#include "util/strutil.h"

#define V2_PARENT CGROUP_ROOT "/" CGROUP_PARENT

/* The controllers berth wants for containers, of those the host has. */
static unsigned wanted(void)
{
	unsigned mask = 0;

	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		if (cgroup_controller_v2_name(c))
			mask |= 1u << c;
	}
	return mask & cgroup_host_get()->v2_available;
}

static int v2_locate(struct cgroup *cg, struct berth_error **err _unused_)
{
	unsigned mask = wanted();

	cg->dirs[0] = xasprintf(V2_PARENT "/%s", cg->id);
	cg->n_dirs = 1;
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		if (mask & (1u << c))
			cg->where[c] = 0;
	}
	/* cgroup.freeze is in the core (Linux 5.2), not a controller. */
	cg->where[CGROUP_CTRL_FREEZER] = 0;
	/*
	 * NEEDSWORK: device rules on v2 are an eBPF program of type
	 * BPF_PROG_TYPE_CGROUP_DEVICE attached to the cgroup; until then,
	 * device access is not restricted on v2 hosts.
	 */
	return 0;
}

static unsigned subtree_control(const char *dir)
{
	_cleanup_free_ char *text = cgroup_read(dir, "cgroup.subtree_control", NULL);

	return text ? cgroup_parse_v2_controllers(text) : 0;
}

/* Enables the controllers of mask missing in dir's cgroup.subtree_control, one by one. */
static void enable_in(const char *dir, unsigned mask)
{
	unsigned missing = mask & ~subtree_control(dir);

	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		_cleanup_error_ struct berth_error *e = NULL;

		if (!(missing & (1u << c)))
			continue;
		if (cgroup_writef(dir, "cgroup.subtree_control", &e, "+%s",
				  cgroup_controller_v2_name(c)) < 0)
			log_debug("cannot enable the %s controller: %s",
				  cgroup_controller_v2_name(c), e->msg);
	}
}

/*
 * The controllers a container gets are those enabled in berth/'s
 * cgroup.subtree_control (which needs them in the root's). Once set up, this
 * costs one read.
 */
static void enable_controllers(struct cgroup *cg)
{
	unsigned want = wanted(), have = subtree_control(V2_PARENT);

	if ((have & want) != want) {
		enable_in(CGROUP_ROOT, want);
		enable_in(V2_PARENT, want);
		have = subtree_control(V2_PARENT);
	}
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		if (cgroup_controller_v2_name(c) && !(have & (1u << c)))
			cg->where[c] = -1;
	}
}

static int v2_create(struct cgroup *cg, struct berth_error **err)
{
	if (cgroup_mkdir(cg->dirs[0], &cg->created, err) < 0)
		return -1;
	enable_controllers(cg);
	return 0;
}

static int set_memory(const char *dir, const struct cgroup_limits *l, struct berth_error **err)
{
	if (cgroup_writef(dir, "memory.max", err, "%lld", l->memory) < 0)
		return -1;
	/* memory.swap.max is swap alone; missing without swap accounting. */
	if (!cgroup_file_exists(dir, "memory.swap.max")) {
		if (l->memory_swap > 0)
			log_warn("no swap accounting in this kernel: memory limited without swap");
		return 0;
	}
	if (l->memory_swap == -1)
		return cgroup_write(dir, "memory.swap.max", "max", err);
	return cgroup_writef(dir, "memory.swap.max", err, "%lld",
			     l->memory_swap == 0 ? l->memory : l->memory_swap - l->memory);
}

static int v2_set_limits(struct cgroup *cg, const struct cgroup_limits *l, struct berth_error **err)
{
	const char *dir = cg->dirs[0];
	long long period = l->cpu_period_us > 0 ? l->cpu_period_us : 100000;

	if (l->memory > 0 && set_memory(dir, l, err) < 0)
		return berth_error_wrap(err, "cannot set memory limit");
	if (l->pids > 0 && cgroup_writef(dir, "pids.max", err, "%lld", l->pids) < 0)
		return berth_error_wrap(err, "cannot set pids limit");
	if (l->cpu_quota_us > 0 &&
	    cgroup_writef(dir, "cpu.max", err, "%lld %lld", l->cpu_quota_us, period) < 0)
		return berth_error_wrap(err, "cannot set cpu quota");
	if (l->cpu_shares > 0 &&
	    cgroup_writef(dir, "cpu.weight", err, "%llu",
			  cgroup_shares_to_weight((unsigned long long)l->cpu_shares)) < 0)
		return berth_error_wrap(err, "cannot set cpu shares");
	return 0;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct berth_error **err)
{
	const char *dir = cg->dirs[0];
	struct cgroup_wait w;

	if (cgroup_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	cgroup_wait_init(&w, 5000);
	do {
		if (cgroup_read_key(dir, "cgroup.events", "frozen") == frozen)
			return 0;
	} while (cgroup_wait_next(&w));
	if (frozen)
		cgroup_write(dir, "cgroup.freeze", "0", NULL);
	return berth_error_set(err, ETIMEDOUT, "'%s' did not become %s", dir,
			       frozen ? "frozen" : "thawed");
}

static bool v2_oom_killed(struct cgroup *cg)
{
	return cgroup_read_key(cg->dirs[0], "memory.events", "oom_kill") > 0;
}

static int v2_kill(struct cgroup *cg, struct berth_error **err)
{
	/* cgroup.kill (Linux 5.14) kills everything at once, forks included. */
	if (!cgroup_file_exists(cg->dirs[0], "cgroup.kill"))
		return cgroup_kill_all(cg, err);
	if (cgroup_write(cg->dirs[0], "cgroup.kill", "1", err) < 0)
		return -1;
	return cgroup_wait_empty(cg->dirs[0], err);
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "cgroup v2",
	.locate = v2_locate,
	.create = v2_create,
	.set_limits = v2_set_limits,
	.freeze = v2_freeze,
	.oom_killed = v2_oom_killed,
	.kill = v2_kill,
};
