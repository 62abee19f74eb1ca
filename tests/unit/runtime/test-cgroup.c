/*
 * Container cgroups: the mountinfo parser and the pure helpers, then real
 * cgroups (the tests run as root) that each test removes again.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/strutil.h"

/* Debian 11 style hybrid: cpu and cpuacct mounted together, systemd's cgroup2 at unified. */
static const char hybrid[] =
	"22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"26 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"27 26 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
	"cgroup2 cgroup2 rw,nsdelegate\n"
	"28 26 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - "
	"cgroup cgroup rw,xattr,name=systemd\n"
	"31 26 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - "
	"cgroup cgroup rw,cpu,cpuacct\n"
	"32 26 0:29 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - "
	"cgroup cgroup rw,net_cls,net_prio\n"
	"33 26 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:16 - "
	"cgroup cgroup rw,memory\n"
	"34 26 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:17 - "
	"cgroup cgroup rw,pids\n"
	"35 26 0:32 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:18 - "
	"cgroup cgroup rw,freezer\n"
	"36 26 0:33 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:19 - "
	"cgroup cgroup rw,cpuset\n"
	"37 26 0:34 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:20 - "
	"cgroup cgroup rw,devices\n"
	"38 26 0:35 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:21 - "
	"cgroup cgroup rw,blkio\n"
	"39 26 0:36 / /sys/fs/cgroup/perf_event rw,nosuid,nodev,noexec,relatime shared:22 - "
	"cgroup cgroup rw,perf_event\n";

static const char pure_v2[] =
	"22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n"
	"30 28 0:26 / /tmp rw,nosuid,nodev shared:13 - tmpfs tmpfs rw,size=4096k\n";

static void test_parse_hybrid(void **state _unused_)
{
	struct cgroup_mounts m = {0};

	assert_int_equal(cgroup_parse_mountinfo(hybrid, &m), 11);
	assert_string_equal(m.v1[CGROUP_CTRL_CPU], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m.v1[CGROUP_CTRL_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m.v1[CGROUP_CTRL_MEMORY], "/sys/fs/cgroup/memory");
	assert_string_equal(m.v1[CGROUP_CTRL_PIDS], "/sys/fs/cgroup/pids");
	assert_string_equal(m.v1[CGROUP_CTRL_FREEZER], "/sys/fs/cgroup/freezer");
	assert_string_equal(m.v1[CGROUP_CTRL_CPUSET], "/sys/fs/cgroup/cpuset");
	assert_string_equal(m.v1[CGROUP_CTRL_DEVICES], "/sys/fs/cgroup/devices");
	assert_string_equal(m.v1[CGROUP_CTRL_BLKIO], "/sys/fs/cgroup/blkio");
	assert_string_equal(m.unified, "/sys/fs/cgroup/unified");
	cgroup_mounts_release(&m);
	assert_null(m.v1[CGROUP_CTRL_CPU]);
	assert_null(m.unified);
}

static void test_parse_pure_v2(void **state _unused_)
{
	struct cgroup_mounts m = {0};

	assert_int_equal(cgroup_parse_mountinfo(pure_v2, &m), 1);
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++)
		assert_null(m.v1[c]);
	assert_string_equal(m.unified, "/sys/fs/cgroup");
	cgroup_mounts_release(&m);
}

static void test_parse_odd(void **state _unused_)
{
	/* A bind mount of a sub-cgroup first, then the root; escapes; junk lines. */
	static const char text[] =
		"40 26 0:30 /docker/abc /mnt/sub rw - cgroup cgroup rw,memory\n"
		"41 26 0:30 / /mnt/my\\040cg rw master:3 shared:4 - cgroup cgroup rw,memory,pids\n"
		"42 26 0:31 /x /mnt/late rw - cgroup cgroup rw,memory\n"
		"garbage\n"
		"\n"
		"43 26 0:32 / /mnt/short rw cgroup cgroup rw,freezer\n"
		"44 26 0:33 / /mnt/nosuper rw - cgroup cgroup\n"
		"45 26 0:34 / /srv/cg2 rw - cgroup2 cgroup2 rw\n"
		"46 26 0:35 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
		"47 26 0:36 / /srv/cg2b rw - cgroup2 cgroup2 rw";
	struct cgroup_mounts m = {0};

	assert_int_equal(cgroup_parse_mountinfo(text, &m), 6);
	assert_string_equal(m.v1[CGROUP_CTRL_MEMORY], "/mnt/my cg");
	assert_string_equal(m.v1[CGROUP_CTRL_PIDS], "/mnt/my cg");
	assert_null(m.v1[CGROUP_CTRL_FREEZER]);
	assert_string_equal(m.unified, "/sys/fs/cgroup");
	cgroup_mounts_release(&m);

	assert_int_equal(cgroup_parse_mountinfo("", &m), 0);
	assert_null(m.unified);
}

static void test_v2_controllers(void **state _unused_)
{
	unsigned mask =
		cgroup_parse_v2_controllers("cpuset cpu io memory hugetlb pids rdma misc\n");

	assert_int_equal(mask, (1u << CGROUP_CTRL_CPUSET) | (1u << CGROUP_CTRL_CPU) |
				       (1u << CGROUP_CTRL_BLKIO) | (1u << CGROUP_CTRL_MEMORY) |
				       (1u << CGROUP_CTRL_PIDS));
	assert_int_equal(cgroup_parse_v2_controllers("hugetlb\n"), 0);
	assert_int_equal(cgroup_parse_v2_controllers(""), 0);
	assert_string_equal(cgroup_controller_v2_name(CGROUP_CTRL_BLKIO), "io");
	assert_null(cgroup_controller_v2_name(CGROUP_CTRL_FREEZER));
}

static void test_shares_to_weight(void **state _unused_)
{
	assert_int_equal(cgroup_shares_to_weight(2), 1);
	assert_int_equal(cgroup_shares_to_weight(512), 20);
	assert_int_equal(cgroup_shares_to_weight(1024), 39);
	assert_int_equal(cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_shares_to_weight(1), 1);
	assert_int_equal(cgroup_shares_to_weight(1000000), 10000);
}

static void expect_invalid(const struct cgroup_limits *l, const char *msg)
{
	_cleanup_error_ struct berth_error *err = NULL;

	assert_int_equal(cgroup_limits_validate(l, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	assert_non_null(strstr(err->msg, msg));
}

static void test_validate(void **state _unused_)
{
	struct cgroup_limits ok = {.memory = 1 << 26, .memory_swap = -1, .pids = -1};
	struct cgroup_limits swap_only = {.memory_swap = 1 << 26};
	struct cgroup_limits small_swap = {.memory = 1 << 26, .memory_swap = 1 << 25};
	struct cgroup_limits negative = {.memory = -5};

	assert_int_equal(cgroup_limits_validate(&ok, NULL), 0);
	expect_invalid(&swap_only, "always set the memory limit");
	expect_invalid(&small_swap, "should be larger than memory limit");
	expect_invalid(&negative, "invalid memory limit");
}

static void test_unavailable(void **state _unused_)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct cgroup_limits mem = {.memory = 1 << 26}, quota = {.cpu_quota_us = 50000};
	struct cgroup cg = {.n_dirs = 0};

	for (int c = 0; c < CGROUP_CTRL__COUNT; c++)
		cg.where[c] = -1;
	assert_int_equal(cgroup_check_limits(&cg, &mem, &err), -1);
	assert_string_equal(
		err->msg, "cannot set memory limit: the memory cgroup controller is not available");
	berth_error_freep(&err);
	assert_int_equal(cgroup_check_limits(&cg, &quota, &err), -1);
	assert_string_equal(err->msg,
			    "cannot set cpu quota: the cpu cgroup controller is not available");
	cg.where[CGROUP_CTRL_MEMORY] = 0;
	assert_int_equal(cgroup_check_limits(&cg, &mem, NULL), 0);
}

static void test_bad_names(void **state _unused_)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *id = xasprintf("berth-test-%d-missing", (int)getpid());

	assert_null(cgroup_create("../escape", NULL, &err));
	assert_int_equal(err->kind, BERTH_ERR_INVALID);
	berth_error_freep(&err);
	assert_null(cgroup_create("", NULL, &err));
	berth_error_freep(&err);
	assert_null(cgroup_open(id, &err));
	assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
}

/* Live tests: a real cgroup and maybe a child, both removed by the teardown. */
struct fixture {
	char id[64];
	struct cgroup *cg;
	pid_t child;
};

static int setup(void **state)
{
	static int counter;
	struct fixture *f = xcalloc(1, sizeof(*f));

	snprintf(f->id, sizeof(f->id), "berth-test-%d-%d", (int)getpid(), ++counter);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	if (f->cg) {
		cgroup_destroy(f->cg, NULL);
		cgroup_free(f->cg);
	}
	free(f);
	return 0;
}

static void create(struct fixture *f, const struct cgroup_limits *l)
{
	_cleanup_error_ struct berth_error *err = NULL;

	f->cg = cgroup_create(f->id, l, &err);
	if (!f->cg)
		fail_msg("cgroup_create: %s", err->msg);
}

static void assert_file(const struct cgroup *cg, enum cgroup_controller c, const char *file,
			const char *want)
{
	const char *dir = cgroup_controller_dir(cg, c);
	_cleanup_free_ char *got = NULL;

	assert_non_null(dir);
	got = cgroup_read(dir, file, NULL);
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s/%s: expected '%s', got '%s'", dir, file, want, got ? got : "(none)");
}

static void assert_destroyed(struct fixture *f)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (cgroup_destroy(f->cg, &err) < 0)
		fail_msg("cgroup_destroy: %s", err->msg);
	for (size_t i = 0; i < f->cg->n_dirs; i++) {
		if (fs_exists(f->cg->dirs[i]))
			fail_msg("'%s' is still there", f->cg->dirs[i]);
	}
	cgroup_freep(&f->cg);
}

static void check_v1_limits(const struct cgroup *cg)
{
	const char *memory = cgroup_controller_dir(cg, CGROUP_CTRL_MEMORY);
	const char *cpuset = cgroup_controller_dir(cg, CGROUP_CTRL_CPUSET);
	const char *devices = cgroup_controller_dir(cg, CGROUP_CTRL_DEVICES);
	_cleanup_free_ char *rules = NULL, *cpus = NULL;

	assert_file(cg, CGROUP_CTRL_MEMORY, "memory.limit_in_bytes", "67108864");
	if (cgroup_file_exists(memory, "memory.memsw.limit_in_bytes"))
		assert_file(cg, CGROUP_CTRL_MEMORY, "memory.memsw.limit_in_bytes", "134217728");
	assert_file(cg, CGROUP_CTRL_PIDS, "pids.max", "20");
	assert_file(cg, CGROUP_CTRL_CPU, "cpu.cfs_quota_us", "50000");
	assert_file(cg, CGROUP_CTRL_CPU, "cpu.cfs_period_us", "100000");
	assert_file(cg, CGROUP_CTRL_CPU, "cpu.shares", "512");
	if (cpuset) {
		cpus = cgroup_read(cpuset, "cpuset.cpus", NULL);
		assert_non_null(cpus);
		assert_true(*cpus != '\0');
	}
	if (devices) {
		rules = cgroup_read(devices, "devices.list", NULL);
		assert_non_null(rules);
		assert_non_null(strstr(rules, "c 1:3 rwm"));
		assert_non_null(strstr(rules, "c 136:* rwm"));
		assert_null(strstr(rules, "a *:* rwm"));
	}
}

static void check_v2_limits(const struct cgroup *cg)
{
	assert_file(cg, CGROUP_CTRL_MEMORY, "memory.max", "67108864");
	assert_file(cg, CGROUP_CTRL_PIDS, "pids.max", "20");
	assert_file(cg, CGROUP_CTRL_CPU, "cpu.max", "50000 100000");
	assert_file(cg, CGROUP_CTRL_CPU, "cpu.weight", "20");
}

static const struct cgroup_limits limits_64m = {
	.memory = 64LL << 20,
	.pids = 20,
	.cpu_quota_us = 50000,
	.cpu_period_us = 100000,
	.cpu_shares = 512,
};

static void test_limits(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *want = xasprintf("/berth/%s", f->id);

	create(f, &limits_64m);
	assert_true(f->cg->created);
	assert_string_equal(cgroup_path(f->cg), want);
	if (cgroup_host_version() == CGROUP_V2)
		check_v2_limits(f->cg);
	else
		check_v1_limits(f->cg);
	assert_false(cgroup_oom_killed(f->cg));
	assert_destroyed(f);
}

static pid_t spawn(int wait_fd)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (wait_fd >= 0) {
		/* Eat more than the limit once in the cgroup. */
		size_t len = 64 << 20;
		char go, *p;

		if (read(wait_fd, &go, 1) != 1)
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(3);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		_exit(0);
	}
	for (;;)
		pause();
}

/* The lines of /proc/<pid>/cgroup that name the container's cgroup. */
static int cgroup_lines(pid_t pid, const char *path)
{
	_cleanup_free_ char *file = xasprintf("/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *text = fs_read_file(file, NULL, NULL);
	_cleanup_free_ char *needle = xasprintf(":%s\n", path);
	int n = 0;

	assert_non_null(text);
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void assert_frozen(const struct cgroup *cg, bool frozen)
{
	if (cgroup_host_version() == CGROUP_V2)
		assert_int_equal(cgroup_read_key(cg->dirs[0], "cgroup.events", "frozen"), frozen);
	else
		assert_file(cg, CGROUP_CTRL_FREEZER, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

static void test_lifecycle(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct fixture *f = *state;
	size_t n = 0;
	int status;

	create(f, &limits_64m);
	f->child = spawn(-1);
	if (cgroup_enter(f->cg, f->child, &err) < 0)
		fail_msg("cgroup_enter: %s", err->msg);
	assert_int_equal(cgroup_lines(f->child, cgroup_path(f->cg)), (int)f->cg->n_dirs);
	assert_int_equal(cgroup_pids(f->cg, &pids, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], f->child);

	assert_int_equal(cgroup_freeze(f->cg, true, &err), 0);
	assert_frozen(f->cg, true);
	assert_int_equal(cgroup_freeze(f->cg, false, &err), 0);
	assert_frozen(f->cg, false);

	/* Destroying a paused container works too. */
	assert_int_equal(cgroup_freeze(f->cg, true, &err), 0);
	assert_destroyed(f);
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_reuse_and_open(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(cgroup_freep) struct cgroup *again = NULL, *opened = NULL;
	struct cgroup_limits bigger = limits_64m;
	struct fixture *f = *state;

	create(f, &limits_64m);
	/* A leftover of a crash: created again with a larger memory limit. */
	bigger.memory = 256LL << 20;
	again = cgroup_create(f->id, &bigger, &err);
	if (!again)
		fail_msg("cgroup_create again: %s", err->msg);
	assert_false(again->created);
	if (cgroup_host_version() == CGROUP_V1)
		assert_file(again, CGROUP_CTRL_MEMORY, "memory.limit_in_bytes", "268435456");
	else
		assert_file(again, CGROUP_CTRL_MEMORY, "memory.max", "268435456");

	opened = cgroup_open(f->id, &err);
	assert_non_null(opened);
	assert_string_equal(cgroup_path(opened), cgroup_path(f->cg));
	assert_int_equal(opened->n_dirs, f->cg->n_dirs);
	assert_destroyed(f);
	assert_null(cgroup_open(f->id, &err));
	assert_int_equal(err->kind, BERTH_ERR_NOT_FOUND);
}

static void test_oom(void **state)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct cgroup_limits small = {.memory = 16LL << 20};
	struct fixture *f = *state;
	int fds[2], status;

	create(f, &small);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	f->child = spawn(fds[0]);
	close(fds[0]);
	if (cgroup_enter(f->cg, f->child, &err) < 0)
		fail_msg("cgroup_enter: %s", err->msg);
	assert_int_equal(write(fds[1], "x", 1), 1);
	close(fds[1]);
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(cgroup_oom_killed(f->cg));
	assert_destroyed(f);
}

/* The berth/ parents this run made (a fresh host has none): removed at the end. */
static char **new_parents;

static int group_setup(void **state _unused_)
{
	const struct cgroup_host *h = cgroup_host_get();

	if (h->version == CGROUP_V2) {
		if (!fs_exists(CGROUP_ROOT "/" CGROUP_PARENT))
			strv_push(&new_parents, CGROUP_ROOT "/" CGROUP_PARENT);
		return 0;
	}
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		_cleanup_free_ char *dir = NULL;

		if (!h->mounts.v1[c])
			continue;
		dir = xasprintf("%s/" CGROUP_PARENT, h->mounts.v1[c]);
		if (!fs_exists(dir))
			strv_push(&new_parents, dir);
	}
	return 0;
}

static int group_teardown(void **state _unused_)
{
	/* Comounted controllers list a directory twice: a second rmdir fails, fine. */
	for (char **p = new_parents; p && *p; p++)
		rmdir(*p);
	strv_freep(&new_parents);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hybrid),
		cmocka_unit_test(test_parse_pure_v2),
		cmocka_unit_test(test_parse_odd),
		cmocka_unit_test(test_v2_controllers),
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reuse_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
