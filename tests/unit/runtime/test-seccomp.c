#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "runtime/caps.h"
#include "runtime/seccomp.h"

/* A mount point that does not exist: unfiltered, mount(2) says ENOENT. */
#define NO_SUCH_DIR "/nonexistent-berth-seccomp-test"

struct filter_state {
	struct seccomp_bpf def;	  /* default caps */
	struct seccomp_bpf admin; /* default caps + CAP_SYS_ADMIN */
};

static int setup(void **state)
{
	static struct filter_state fs;
	struct berth_error *err = NULL;

	if (seccomp_build_default(caps_default(), &fs.def, &err) < 0 ||
	    seccomp_build_default(caps_default() | (UINT64_C(1) << CAP_SYS_ADMIN), &fs.admin,
				  &err) < 0) {
		fprintf(stderr, "# %s\n", err->msg);
		berth_error_free(err);
		return -1;
	}
	*state = &fs;
	return 0;
}

static int teardown(void **state)
{
	struct filter_state *fs = *state;

	seccomp_bpf_release(&fs->def);
	seccomp_bpf_release(&fs->admin);
	return 0;
}

/* Each check returns 0 or the exit code that names it. */
static int expect_errno(long rc, int want, int code)
{
	return rc == -1 && errno == want ? 0 : code;
}

static void *thread_main(void *arg)
{
	return arg;
}

static int check_fork_and_thread(void)
{
	pthread_t t;
	void *ret = NULL;
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return 30;
	if (pid == 0)
		_exit(7);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return 31;
	/* glibc tries clone3 first and falls back to clone on ENOSYS. */
	if (pthread_create(&t, NULL, thread_main, &status) != 0 || pthread_join(t, &ret) != 0 ||
	    ret != &status)
		return 32;
	return 0;
}

static int checks_default(void)
{
	int r, fd;

	if (getpid() <= 0 || syscall(SYS_getpid) != getpid())
		return 20;
	if ((r = expect_errno(unshare(CLONE_NEWUSER), EPERM, 21)))
		return r;
	if ((r = expect_errno(
		     syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0), EPERM,
		     22)))
		return r;
	/* Unfiltered, a NULL/0 clone3 is EINVAL; the filter answers first. */
	if ((r = expect_errno(syscall(SYS_clone3, NULL, 0), ENOSYS, 23)))
		return r;
	if ((r = expect_errno(mount("none", NO_SUCH_DIR, "tmpfs", 0, NULL), EPERM, 24)))
		return r;
	if ((r = expect_errno(personality(ADDR_NO_RANDOMIZE), EPERM, 25)))
		return r;
	if (personality(0xffffffff) < 0)
		return 26;
	if ((r = expect_errno(socket(40 /* AF_VSOCK */, SOCK_STREAM, 0), EPERM, 27)))
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 28;
	close(fd);
	/* Not in the profile; unfiltered, bad flags give EINVAL. */
	if ((r = expect_errno(syscall(SYS_userfaultfd, ~0U), EPERM, 29)))
		return r;
	return check_fork_and_thread();
}

static int checks_admin(void)
{
	if (unshare(CLONE_NEWUTS) < 0)
		return 40;
	/* With CAP_SYS_ADMIN clone3 reaches the kernel. */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != EINVAL)
		return 41;
	if (expect_errno(mount("none", NO_SUCH_DIR, "tmpfs", 0, NULL), ENOENT, 42))
		return 42;
	return check_fork_and_thread();
}

/* Forks a child that loads bpf and runs checks; returns its exit code. */
static int run_filtered(const struct seccomp_bpf *bpf, int (*checks)(void))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(2);
		if (seccomp_bpf_load(bpf, NULL) < 0)
			_exit(3);
		_exit(checks());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_build(void **state)
{
	struct filter_state *fs = *state;
	const struct sock_filter *insn = fs->def.filter;

	assert_non_null(fs->def.filter);
	assert_true(fs->def.len > 100);
	assert_true(fs->def.len <= BPF_MAXINSNS);
	/* libseccomp starts by loading seccomp_data.arch */
	assert_int_equal(insn[0].code, BPF_LD | BPF_W | BPF_ABS);
	assert_int_equal(insn[0].k, 4);
	assert_true(fs->admin.len > 0);
}

static void test_default_filter(void **state)
{
	struct filter_state *fs = *state;

	assert_int_equal(run_filtered(&fs->def, checks_default), 0);
}

static void test_sys_admin_filter(void **state)
{
	struct filter_state *fs = *state;

	assert_int_equal(run_filtered(&fs->admin, checks_admin), 0);
}

static void test_load_rejects_empty(void **state)
{
	struct seccomp_bpf empty = {0};
	struct berth_error *err = NULL;

	(void)state;
	assert_int_equal(seccomp_bpf_load(&empty, &err), -1);
	assert_non_null(err);
	assert_int_equal(err->status, EINVAL);
	berth_error_freep(&err);
}

static void test_release_twice(void **state)
{
	struct seccomp_bpf bpf = {0};
	struct berth_error *err = NULL;

	(void)state;
	assert_int_equal(seccomp_build_default(0, &bpf, &err), 0);
	seccomp_bpf_release(&bpf);
	assert_null(bpf.filter);
	assert_int_equal(bpf.len, 0);
	seccomp_bpf_release(&bpf);
	seccomp_bpf_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_default_filter),
		cmocka_unit_test(test_sys_admin_filter),
		cmocka_unit_test(test_load_rejects_empty),
		cmocka_unit_test(test_release_twice),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
