/* SPDX-License-Identifier: Apache-2.0 */
/*
 * berth-probe: prints facts about its own process for the system tests, one
 * `key=value` per line, for what busybox cannot tell: capabilities, seccomp
 * mode, no_new_privs, cgroup, namespaces, rlimits.
 *
 *   berth-probe                    every fact
 *   berth-probe syscall [NAME...]  tries each syscall (all when none named) in a
 *                                  child process and prints NAME=ok, NAME=EPERM
 *                                  (any errno name) or NAME=signal:N
 *
 * Linked statically so that it runs in any rootfs. Calls that would change the
 * process (unshare, chroot, sethostname) happen in the child only; calls that
 * could change the machine use arguments the kernel rejects after its
 * permission checks, so EINVAL there means "allowed".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static const char *const ns_names[] = {"mnt", "pid", "uts", "ipc", "net", "cgroup", "user"};

/* Lines of /proc/self/status, printed under our own keys */
static void print_status_fields(void)
{
	static const struct {
		const char *field, *key;
	} fields[] = {
		{.field = "CapEff:", .key = "cap_eff"},
		{.field = "CapPrm:", .key = "cap_prm"},
		{.field = "CapBnd:", .key = "cap_bnd"},
		{.field = "CapInh:", .key = "cap_inh"},
		{.field = "CapAmb:", .key = "cap_amb"},
		{.field = "Seccomp:", .key = "seccomp"},
		{.field = "NoNewPrivs:", .key = "no_new_privs"},
		{.field = "Umask:", .key = "umask"},
	};
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *value = "none";
		size_t len = strlen(fields[i].field);

		if (f) {
			rewind(f);
			while (fgets(line, sizeof(line), f)) {
				if (strncmp(line, fields[i].field, len) == 0) {
					value = line + len + strspn(line + len, " \t");
					line[strcspn(line, "\n")] = '\0';
					break;
				}
			}
		}
		printf("%s=%s\n", fields[i].key, value);
	}
	if (f)
		fclose(f);
}

static void print_groups(void)
{
	gid_t groups[NGROUPS_MAX];
	int n = getgroups(NGROUPS_MAX, groups);

	printf("groups=");
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned)groups[i]);
	printf("\n");
}

/* /proc/self/cgroup, lines joined by ';' */
static void print_cgroup(void)
{
	char line[4096];
	const char *sep = "";
	FILE *f = fopen("/proc/self/cgroup", "re");

	printf("cgroup=");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		printf("%s%s", sep, line);
		sep = ";";
	}
	printf("\n");
	if (f)
		fclose(f);
}

static void print_namespaces(void)
{
	char path[64];
	struct stat st;

	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		if (stat(path, &st) == 0)
			printf("ns_%s=%lu\n", ns_names[i], (unsigned long)st.st_ino);
		else
			printf("ns_%s=none\n", ns_names[i]);
	}
}

static void print_limit(const char *key, int resource)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0) {
		printf("%s=none\n", key);
		return;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		printf("%s_soft=unlimited\n", key);
	else
		printf("%s_soft=%llu\n", key, (unsigned long long)rl.rlim_cur);
	if (rl.rlim_max == RLIM_INFINITY)
		printf("%s_hard=unlimited\n", key);
	else
		printf("%s_hard=%llu\n", key, (unsigned long long)rl.rlim_max);
}

static void print_facts(void)
{
	char host[256] = "";
	char cwd[PATH_MAX] = "";

	printf("uid=%u\neuid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
	printf("gid=%u\negid=%u\n", (unsigned)getgid(), (unsigned)getegid());
	print_groups();
	print_status_fields();
	printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	gethostname(host, sizeof(host) - 1);
	printf("hostname=%s\n", host);
	printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "none");
	print_cgroup();
	print_namespaces();
	print_limit("nofile", RLIMIT_NOFILE);
	print_limit("nproc", RLIMIT_NPROC);
}

static int try_mount(void)
{
	char dir[] = "/tmp/berth-probe.XXXXXX";
	int r;

	if (!mkdtemp(dir))
		return -1;
	r = mount("none", dir, "tmpfs", 0, NULL);
	if (r == 0)
		umount2(dir, MNT_DETACH);
	rmdir(dir);
	return r;
}

static int try_mknod(void)
{
	char dir[] = "/tmp/berth-probe.XXXXXX";
	char path[64];
	int r;

	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/null", dir);
	r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
	unlink(path);
	rmdir(dir);
	return r;
}

/* struct clone_args of <linux/sched.h>, first version (CLONE_ARGS_SIZE_VER0) */
struct probe_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static int try_clone3(void)
{
	struct probe_clone_args args = {.exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -1;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int try_ptrace(void)
{
	return (int)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
}

/* Bad magic numbers: EINVAL comes after the CAP_SYS_BOOT check and seccomp. */
static int try_reboot(void)
{
	return (int)syscall(SYS_reboot, 0, 0, 0, NULL);
}

/* KEYCTL_GET_KEYRING_ID of KEY_SPEC_SESSION_KEYRING without creating it */
static int try_keyctl(void)
{
	return (int)syscall(SYS_keyctl, 0, -3, 0);
}

/* An invalid command: EINVAL means bpf(2) itself is allowed. */
static int try_bpf(void)
{
	return (int)syscall(SYS_bpf, -1, NULL, 0);
}

static int try_sethostname(void)
{
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	return sethostname(host, strlen(host));
}

static int try_unshare_user(void)
{
	return unshare(CLONE_NEWUSER);
}

static int try_unshare_net(void)
{
	return unshare(CLONE_NEWNET);
}

static int try_unshare_mnt(void)
{
	return unshare(CLONE_NEWNS);
}

static int try_chroot(void)
{
	return chroot("/");
}

static int try_setuid(void)
{
	return setuid(65534);
}

static const struct probe_syscall {
	const char *name;
	int (*try)(void);
} probe_syscalls[] = {
	{"unshare-user", try_unshare_user},
	{"unshare-net", try_unshare_net},
	{"unshare-mnt", try_unshare_mnt},
	{"mount", try_mount},
	{"keyctl", try_keyctl},
	{"clone3", try_clone3},
	{"ptrace", try_ptrace},
	{"reboot", try_reboot},
	{"bpf", try_bpf},
	{"sethostname", try_sethostname},
	{"chroot", try_chroot},
	{"mknod", try_mknod},
	{"setuid", try_setuid},
};

/* Runs the call in a child so that it changes nothing here; errno is its exit code. */
static void probe_syscall(const struct probe_syscall *s)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		printf("%s=fork:%s\n", s->name, strerrorname_np(errno));
		return;
	}
	if (pid == 0)
		_exit(s->try() < 0 ? (errno ? errno : 255) : 0);
	if (waitpid(pid, &status, 0) < 0)
		printf("%s=wait:%s\n", s->name, strerrorname_np(errno));
	else if (WIFSIGNALED(status))
		printf("%s=signal:%d\n", s->name, WTERMSIG(status));
	else if (WEXITSTATUS(status) == 0)
		printf("%s=ok\n", s->name);
	else if (strerrorname_np(WEXITSTATUS(status)))
		printf("%s=%s\n", s->name, strerrorname_np(WEXITSTATUS(status)));
	else
		printf("%s=errno:%d\n", s->name, WEXITSTATUS(status));
}

static int run_syscalls(int argc, char **argv)
{
	size_t n = sizeof(probe_syscalls) / sizeof(probe_syscalls[0]);
	int rc = 0;

	if (argc == 0) {
		for (size_t i = 0; i < n; i++)
			probe_syscall(&probe_syscalls[i]);
		return 0;
	}
	for (int a = 0; a < argc; a++) {
		size_t i;

		for (i = 0; i < n && strcmp(argv[a], probe_syscalls[i].name) != 0; i++)
			;
		if (i == n) {
			fprintf(stderr, "berth-probe: unknown syscall '%s'\n", argv[a]);
			rc = 2;
			continue;
		}
		probe_syscall(&probe_syscalls[i]);
	}
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc == 1)
		print_facts();
	else if (strcmp(argv[1], "syscall") == 0)
		rc = run_syscalls(argc - 2, argv + 2);
	else {
		fprintf(stderr, "usage: berth-probe [syscall [NAME...]]\n");
		rc = 2;
	}
	if (fflush(stdout) != 0)
		return 1;
	return rc;
}
