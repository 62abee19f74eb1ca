/*
 * Docker's default seccomp profile, compiled with libseccomp and exported
 * as a BPF program that the container's init loads just before execve.
 *
 * The syscall lists are moby's profiles/seccomp/default.json as of Docker
 * 28 (kernel 6.13, libseccomp 2.6.0 names). Names the linked libseccomp
 * does not know are skipped: they fall to the default action.
 *
 * NEEDSWORK: the profile now lives in the moby/profiles module, where later
 * revisions allow add_key/keyctl/request_key and move unshare out of the
 * CAP_SYS_ADMIN list; follow once a Docker release ships them.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>

#include <seccomp.h>

#include "config.h"
#include "runtime/seccomp.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define AF_VSOCK_FAMILY 40 /* AF_VSOCK; blocked as Docker does */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
	 CLONE_NEWCGROUP)

static const char *const allow_always[] = {"accept",
					   "accept4",
					   "access",
					   "adjtimex",
					   "alarm",
					   "bind",
					   "brk",
					   "cachestat",
					   "capget",
					   "capset",
					   "chdir",
					   "chmod",
					   "chown",
					   "chown32",
					   "clock_adjtime",
					   "clock_adjtime64",
					   "clock_getres",
					   "clock_getres_time64",
					   "clock_gettime",
					   "clock_gettime64",
					   "clock_nanosleep",
					   "clock_nanosleep_time64",
					   "close",
					   "close_range",
					   "connect",
					   "copy_file_range",
					   "creat",
					   "dup",
					   "dup2",
					   "dup3",
					   "epoll_create",
					   "epoll_create1",
					   "epoll_ctl",
					   "epoll_ctl_old",
					   "epoll_pwait",
					   "epoll_pwait2",
					   "epoll_wait",
					   "epoll_wait_old",
					   "eventfd",
					   "eventfd2",
					   "execve",
					   "execveat",
					   "exit",
					   "exit_group",
					   "faccessat",
					   "faccessat2",
					   "fadvise64",
					   "fadvise64_64",
					   "fallocate",
					   "fanotify_mark",
					   "fchdir",
					   "fchmod",
					   "fchmodat",
					   "fchmodat2",
					   "fchown",
					   "fchown32",
					   "fchownat",
					   "fcntl",
					   "fcntl64",
					   "fdatasync",
					   "fgetxattr",
					   "flistxattr",
					   "flock",
					   "fork",
					   "fremovexattr",
					   "fsetxattr",
					   "fstat",
					   "fstat64",
					   "fstatat64",
					   "fstatfs",
					   "fstatfs64",
					   "fsync",
					   "ftruncate",
					   "ftruncate64",
					   "futex",
					   "futex_requeue",
					   "futex_time64",
					   "futex_wait",
					   "futex_waitv",
					   "futex_wake",
					   "futimesat",
					   "getcpu",
					   "getcwd",
					   "getdents",
					   "getdents64",
					   "getegid",
					   "getegid32",
					   "geteuid",
					   "geteuid32",
					   "getgid",
					   "getgid32",
					   "getgroups",
					   "getgroups32",
					   "getitimer",
					   "getpeername",
					   "getpgid",
					   "getpgrp",
					   "getpid",
					   "getppid",
					   "getpriority",
					   "getrandom",
					   "getresgid",
					   "getresgid32",
					   "getresuid",
					   "getresuid32",
					   "getrlimit",
					   "get_robust_list",
					   "getrusage",
					   "getsid",
					   "getsockname",
					   "getsockopt",
					   "get_thread_area",
					   "gettid",
					   "gettimeofday",
					   "getuid",
					   "getuid32",
					   "getxattr",
					   "getxattrat",
					   "inotify_add_watch",
					   "inotify_init",
					   "inotify_init1",
					   "inotify_rm_watch",
					   "io_cancel",
					   "ioctl",
					   "io_destroy",
					   "io_getevents",
					   "io_pgetevents",
					   "io_pgetevents_time64",
					   "ioprio_get",
					   "ioprio_set",
					   "io_setup",
					   "io_submit",
					   "ipc",
					   "kill",
					   "landlock_add_rule",
					   "landlock_create_ruleset",
					   "landlock_restrict_self",
					   "lchown",
					   "lchown32",
					   "lgetxattr",
					   "link",
					   "linkat",
					   "listen",
					   "listmount",
					   "listxattr",
					   "listxattrat",
					   "llistxattr",
					   "_llseek",
					   "lremovexattr",
					   "lseek",
					   "lsetxattr",
					   "lstat",
					   "lstat64",
					   "madvise",
					   "map_shadow_stack",
					   "membarrier",
					   "memfd_create",
					   "memfd_secret",
					   "mincore",
					   "mkdir",
					   "mkdirat",
					   "mknod",
					   "mknodat",
					   "mlock",
					   "mlock2",
					   "mlockall",
					   "mmap",
					   "mmap2",
					   "mprotect",
					   "mq_getsetattr",
					   "mq_notify",
					   "mq_open",
					   "mq_timedreceive",
					   "mq_timedreceive_time64",
					   "mq_timedsend",
					   "mq_timedsend_time64",
					   "mq_unlink",
					   "mremap",
					   "mseal",
					   "msgctl",
					   "msgget",
					   "msgrcv",
					   "msgsnd",
					   "msync",
					   "munlock",
					   "munlockall",
					   "munmap",
					   "name_to_handle_at",
					   "nanosleep",
					   "newfstatat",
					   "_newselect",
					   "open",
					   "openat",
					   "openat2",
					   "pause",
					   "pidfd_open",
					   "pidfd_send_signal",
					   "pipe",
					   "pipe2",
					   "pkey_alloc",
					   "pkey_free",
					   "pkey_mprotect",
					   "poll",
					   "ppoll",
					   "ppoll_time64",
					   "prctl",
					   "pread64",
					   "preadv",
					   "preadv2",
					   "prlimit64",
					   "process_mrelease",
					   "pselect6",
					   "pselect6_time64",
					   "pwrite64",
					   "pwritev",
					   "pwritev2",
					   "read",
					   "readahead",
					   "readlink",
					   "readlinkat",
					   "readv",
					   "recv",
					   "recvfrom",
					   "recvmmsg",
					   "recvmmsg_time64",
					   "recvmsg",
					   "remap_file_pages",
					   "removexattr",
					   "removexattrat",
					   "rename",
					   "renameat",
					   "renameat2",
					   "restart_syscall",
					   "riscv_hwprobe",
					   "rmdir",
					   "rseq",
					   "rt_sigaction",
					   "rt_sigpending",
					   "rt_sigprocmask",
					   "rt_sigqueueinfo",
					   "rt_sigreturn",
					   "rt_sigsuspend",
					   "rt_sigtimedwait",
					   "rt_sigtimedwait_time64",
					   "rt_tgsigqueueinfo",
					   "sched_getaffinity",
					   "sched_getattr",
					   "sched_getparam",
					   "sched_get_priority_max",
					   "sched_get_priority_min",
					   "sched_getscheduler",
					   "sched_rr_get_interval",
					   "sched_rr_get_interval_time64",
					   "sched_setaffinity",
					   "sched_setattr",
					   "sched_setparam",
					   "sched_setscheduler",
					   "sched_yield",
					   "seccomp",
					   "select",
					   "semctl",
					   "semget",
					   "semop",
					   "semtimedop",
					   "semtimedop_time64",
					   "send",
					   "sendfile",
					   "sendfile64",
					   "sendmmsg",
					   "sendmsg",
					   "sendto",
					   "setfsgid",
					   "setfsgid32",
					   "setfsuid",
					   "setfsuid32",
					   "setgid",
					   "setgid32",
					   "setgroups",
					   "setgroups32",
					   "setitimer",
					   "setpgid",
					   "setpriority",
					   "setregid",
					   "setregid32",
					   "setresgid",
					   "setresgid32",
					   "setresuid",
					   "setresuid32",
					   "setreuid",
					   "setreuid32",
					   "setrlimit",
					   "set_robust_list",
					   "setsid",
					   "setsockopt",
					   "set_thread_area",
					   "set_tid_address",
					   "setuid",
					   "setuid32",
					   "setxattr",
					   "setxattrat",
					   "shmat",
					   "shmctl",
					   "shmdt",
					   "shmget",
					   "shutdown",
					   "sigaltstack",
					   "signalfd",
					   "signalfd4",
					   "sigprocmask",
					   "sigreturn",
					   "socketcall",
					   "socketpair",
					   "splice",
					   "stat",
					   "stat64",
					   "statfs",
					   "statfs64",
					   "statmount",
					   "statx",
					   "symlink",
					   "symlinkat",
					   "sync",
					   "sync_file_range",
					   "syncfs",
					   "sysinfo",
					   "tee",
					   "tgkill",
					   "time",
					   "timer_create",
					   "timer_delete",
					   "timer_getoverrun",
					   "timer_gettime",
					   "timer_gettime64",
					   "timer_settime",
					   "timer_settime64",
					   "timerfd_create",
					   "timerfd_gettime",
					   "timerfd_gettime64",
					   "timerfd_settime",
					   "timerfd_settime64",
					   "times",
					   "tkill",
					   "truncate",
					   "truncate64",
					   "ugetrlimit",
					   "umask",
					   "uname",
					   "unlink",
					   "unlinkat",
					   "uretprobe",
					   "utime",
					   "utimensat",
					   "utimensat_time64",
					   "utimes",
					   "vfork",
					   "vmsplice",
					   "wait4",
					   "waitid",
					   "waitpid",
					   "write",
					   "writev",
					   NULL};

/* Docker allows these from kernel 4.8, where ptrace stopped bypassing seccomp. */
static const char *const allow_from_4_8[] = {"process_vm_readv", "process_vm_writev", "ptrace",
					     NULL};

/* Docker's per-architecture additions, chosen by the architecture we run on. */
static const char *const allow_native_arch[] = {
#if defined(__x86_64__)
	"arch_prctl", "modify_ldt",
#elif defined(__i386__)
	"modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
	"arm_fadvise64_64",
	"arm_sync_file_range",
	"sync_file_range2",
	"breakpoint",
	"cacheflush",
	"set_tls",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	"sync_file_range2", "swapcontext",
#elif defined(__s390__)
	"s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr",
#elif defined(__riscv) && __riscv_xlen == 64
	"riscv_flush_icache",
#endif
	NULL};

/* Syscalls allowed only when the container has a capability. */
struct cap_rule {
	int cap;
	const char *const *names;
};

static const struct cap_rule cap_rules[] = {
	{CAP_DAC_READ_SEARCH, (const char *const[]){"open_by_handle_at", NULL}},
	{CAP_SYS_ADMIN, (const char *const[]){"bpf",
					      "clone",
					      "clone3",
					      "fanotify_init",
					      "fsconfig",
					      "fsmount",
					      "fsopen",
					      "fspick",
					      "lookup_dcookie",
					      "lsm_get_self_attr",
					      "lsm_list_modules",
					      "lsm_set_self_attr",
					      "mount",
					      "mount_setattr",
					      "move_mount",
					      "open_tree",
					      "perf_event_open",
					      "quotactl",
					      "quotactl_fd",
					      "setdomainname",
					      "sethostname",
					      "setns",
					      "syslog",
					      "umount",
					      "umount2",
					      "unshare",
					      NULL}},
	{CAP_SYS_BOOT, (const char *const[]){"reboot", NULL}},
	{CAP_SYS_CHROOT, (const char *const[]){"chroot", NULL}},
	{CAP_SYS_MODULE,
	 (const char *const[]){"delete_module", "init_module", "finit_module", NULL}},
	{CAP_SYS_PACCT, (const char *const[]){"acct", NULL}},
	{CAP_SYS_PTRACE,
	 (const char *const[]){"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
			       "process_vm_writev", "ptrace", NULL}},
	{CAP_SYS_RAWIO, (const char *const[]){"iopl", "ioperm", NULL}},
	{CAP_SYS_TIME,
	 (const char *const[]){"settimeofday", "stime", "clock_settime", "clock_settime64", NULL}},
	{CAP_SYS_TTY_CONFIG, (const char *const[]){"vhangup", NULL}},
	{CAP_SYS_NICE, (const char *const[]){"get_mempolicy", "mbind", "set_mempolicy",
					     "set_mempolicy_home_node", NULL}},
	{CAP_SYSLOG, (const char *const[]){"syslog", NULL}},
	{CAP_BPF, (const char *const[]){"bpf", NULL}},
	{CAP_PERFMON, (const char *const[]){"perf_event_open", NULL}},
};

/* personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26 variants, query. */
static const uint64_t personality_values[] = {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff};

static inline void seccomp_ctx_freep(scmp_filter_ctx *ctx)
{
	int saved = errno;

	if (*ctx)
		seccomp_release(*ctx);
	errno = saved;
}

static bool has_cap(uint64_t caps, int cap)
{
	return cap >= 0 && cap < 64 && (caps & (UINT64_C(1) << cap));
}

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned int n_args,
		    const struct scmp_arg_cmp *args, struct berth_error **err)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	/* Newer than this libseccomp: the default action applies. */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, action, nr, n_args, args);
	/* The same syscall may come from two lists (syslog, bpf, ptrace...). */
	if (r < 0 && r != -EEXIST)
		return berth_error_set(err, -r, "add seccomp rule for '%s'", name);
	return 0;
}

static int allow_names(scmp_filter_ctx ctx, const char *const *names, struct berth_error **err)
{
	for (; *names; names++)
		if (add_rule(ctx, SCMP_ACT_ALLOW, *names, 0, NULL, err) < 0)
			return -1;
	return 0;
}

static bool kernel_at_least(unsigned long major, unsigned long minor)
{
	struct utsname u;
	unsigned long ma, mi;
	char *end;

	if (uname(&u) < 0)
		return true; /* assume a current kernel */
	ma = strtoul(u.release, &end, 10);
	if (*end != '.')
		return true;
	mi = strtoul(end + 1, NULL, 10);
	return ma > major || (ma == major && mi >= minor);
}

static int add_arches(scmp_filter_ctx ctx, struct berth_error **err)
{
	static const uint32_t extra[] = {
#if defined(__x86_64__)
		SCMP_ARCH_X86,
		SCMP_ARCH_X32,
#elif defined(__aarch64__)
		SCMP_ARCH_ARM,
#elif defined(__s390x__)
		SCMP_ARCH_S390,
#endif
		0
	};

	for (size_t i = 0; extra[i]; i++) {
		int r = seccomp_arch_add(ctx, extra[i]);

		if (r < 0 && r != -EEXIST)
			return berth_error_set(err, -r, "add seccomp architecture 0x%x", extra[i]);
	}
	return 0;
}

/* The rules with argument conditions, and clone/clone3 without CAP_SYS_ADMIN. */
static int add_conditional(scmp_filter_ctx ctx, uint64_t caps, struct berth_error **err)
{
	struct scmp_arg_cmp no_vsock = {0, SCMP_CMP_NE, AF_VSOCK_FAMILY, 0};
#if defined(__s390__)
	/* s390 passes clone's flags second. */
	struct scmp_arg_cmp no_ns = {1, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0};
#else
	struct scmp_arg_cmp no_ns = {0, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0};
#endif

	if (add_rule(ctx, SCMP_ACT_ALLOW, "socket", 1, &no_vsock, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(personality_values); i++) {
		struct scmp_arg_cmp eq = {0, SCMP_CMP_EQ, personality_values[i], 0};

		if (add_rule(ctx, SCMP_ACT_ALLOW, "personality", 1, &eq, err) < 0)
			return -1;
	}
	if (has_cap(caps, CAP_SYS_ADMIN))
		return 0;
	if (add_rule(ctx, SCMP_ACT_ALLOW, "clone", 1, &no_ns, err) < 0)
		return -1;
	/* ENOSYS, not EPERM, so that libc falls back to clone(2). */
	return add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err);
}

static int add_all_rules(scmp_filter_ctx ctx, uint64_t caps, struct berth_error **err)
{
	if (allow_names(ctx, allow_always, err) < 0 || allow_names(ctx, allow_native_arch, err) < 0)
		return -1;
	if (kernel_at_least(4, 8) && allow_names(ctx, allow_from_4_8, err) < 0)
		return -1;
	if (add_conditional(ctx, caps, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(cap_rules); i++)
		if (has_cap(caps, cap_rules[i].cap) &&
		    allow_names(ctx, cap_rules[i].names, err) < 0)
			return -1;
	return 0;
}

static int export_bpf(scmp_filter_ctx ctx, struct seccomp_bpf *out, struct berth_error **err)
{
	_cleanup_close_ int fd = memfd_create("berth-seccomp", MFD_CLOEXEC);
	_cleanup_free_ void *buf = NULL;
	off_t size;
	size_t done = 0;
	int r;

	if (fd < 0)
		return berth_error_set(err, errno, "memfd_create");
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		return berth_error_set(err, -r, "export seccomp filter");
	size = lseek(fd, 0, SEEK_END);
	if (size < 0)
		return berth_error_set(err, errno, "lseek");
	if (size == 0 || size % sizeof(struct sock_filter) ||
	    (size_t)size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return berth_error_set(err, EINVAL, "seccomp filter of %lld bytes",
				       (long long)size);
	buf = xmalloc((size_t)size);
	while (done < (size_t)size) {
		ssize_t n = pread(fd, (char *)buf + done, (size_t)size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return berth_error_set(err, n < 0 ? errno : EIO, "read seccomp filter");
		done += (size_t)n;
	}
	out->filter = steal_ptr(&buf);
	out->len = (size_t)size / sizeof(struct sock_filter);
	return 0;
}

int seccomp_build_default(uint64_t caps, struct seccomp_bpf *out, struct berth_error **err)
{
	_cleanup_(seccomp_ctx_freep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));

	if (!ctx)
		return berth_error_set(err, ENOMEM, "seccomp_init");
	if (add_arches(ctx, err) < 0 || add_all_rules(ctx, caps, err) < 0 ||
	    export_bpf(ctx, out, err) < 0)
		return berth_error_wrap(err, "build the default seccomp profile");
	return 0;
}

int seccomp_bpf_load(const struct seccomp_bpf *bpf, struct berth_error **err)
{
	struct sock_fprog prog = {
		.len = (unsigned short)bpf->len,
		.filter = bpf->filter,
	};

	if (bpf->len == 0 || bpf->len > BPF_MAXINSNS)
		return berth_error_set(err, EINVAL, "load seccomp filter of %zu instructions",
				       bpf->len);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0)
		return 0;
	if (errno != ENOSYS)
		return berth_error_set(err, errno, "load seccomp filter");
	/* Kernels before 3.17 have no seccomp(2). */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return berth_error_set(err, errno, "load seccomp filter");
	return 0;
}

int seccomp_build_default_cached(const char *cache_dir, uint64_t caps, struct seccomp_bpf *out,
				 struct berth_error **err)
{
	const struct scmp_version *v = seccomp_version();
	_cleanup_free_ char *path =
		xasprintf("%s/default-%s-%u.%u.%u-%016llx.bpf", cache_dir, BERTH_VERSION_STRING,
			  v->major, v->minor, v->micro, (unsigned long long)caps);
	size_t len = 0;
	char *data = fs_read_file(path, &len, NULL);

	if (data && len > 0 && len % sizeof(struct sock_filter) == 0) {
		out->filter = data;
		out->len = len / sizeof(struct sock_filter);
		return 0;
	}
	free(data);
	if (seccomp_build_default(caps, out, err) < 0)
		return -1;
	/* A cache that cannot be written only costs time. */
	if (fs_mkdir_p(cache_dir, 0700, NULL) < 0 ||
	    fs_write_atomic(path, out->filter, out->len * sizeof(struct sock_filter), 0600, NULL) <
		    0)
		log_debug("cannot cache the seccomp program in '%s'", cache_dir);
	return 0;
}

void seccomp_bpf_release(struct seccomp_bpf *bpf)
{
	if (!bpf)
		return;
	free(bpf->filter);
	bpf->filter = NULL;
	bpf->len = 0;
}
