/*
 * A process in a running container: the caller forks a child that joins the
 * container's cgroup and namespaces, and that child clones the process with
 * CLONE_PARENT, so that it is in the container's pid namespace and yet the
 * caller's own child to wait for. The child reports the process's pid, the
 * process its terminal or its error, over one SOCK_SEQPACKET socket.
 */
#define LOG_DOMAIN "runtime"
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/exec.h"
#include "runtime/internal.h"
#include "runtime/syscall.h"
#include "util/compiler.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define EXEC_PATH_MAX 4096

/* NEEDSWORK: belongs in syscall.h with the other raw wrappers. */
static int sys_pidfd_open(pid_t pid, unsigned int flags)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, flags);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* The namespaces joined, in the order the /proc/PID/ns files are: the mount namespace last. */
static const struct {
	const char *name;
	int type;
} exec_ns[] = {
	{"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS},
	{"net", CLONE_NEWNET},	 {"pid", CLONE_NEWPID}, {"cgroup", CLONE_NEWCGROUP},
	{"mnt", CLONE_NEWNS},
};

/* What the first child works from (its copy of the caller's memory). */
struct exec_child {
	const struct runtime_exec_opts *o;
	int sync_fd;
	int pidfd;    /* -1: through the /proc/PID/ns files */
	int ns_flags; /* the namespaces that differ from ours */
	int join_fds[16];
	size_t n_join;
};

/* --- the process ----------------------------------------------------------------------- */

static int enter_cwd(const char *cwd, struct child_error *ce)
{
	if (chdir(cwd) < 0)
		return child_fail(ce, BERTH_ERR_CANNOT_EXECUTE, 0,
				  "chdir to cwd (\"%s\") set in config.json failed: %s", cwd,
				  errno == ENOENT ? "no such file or directory" : strerror(errno));
	return 0;
}

static int process_setup(const struct exec_child *a, struct child_error *ce)
{
	const struct runtime_exec_opts *o = a->o;
	char path[EXEC_PATH_MAX];
	struct child_user u;
	char **env;

	if (user_resolve(o->user, &u, ce) < 0) {
		ce->kind = BERTH_ERR_INVALID;
		return -1;
	}
	if (o->tty) {
		/* The peer stays open as the standard streams. */
		int slave = process_setup_tty(o->tty_rows, o->tty_cols, a->sync_fd, ce);
		if (slave < 0)
			return -1;
		close(slave);
	} else {
		if (setsid() < 0)
			return child_fail(ce, 0, errno, "setsid");
		if (process_setup_stdio(&o->io, ce) < 0)
			return -1;
	}
	if (process_set_rlimits(o->rlimits, o->n_rlimits, ce) < 0)
		return -1;
	if (!o->no_new_privs && process_load_seccomp(o->seccomp, ce) < 0)
		return -1;
	if (process_switch_user(o->caps, o->privileged, &u, ce) < 0)
		return -1;
	if (o->no_new_privs && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
				process_load_seccomp(o->seccomp, ce) < 0))
		return child_fail(ce, 0, errno, "set no_new_privs");
	/* As runc: the working directory is entered as the user. */
	if (enter_cwd(o->cwd, ce) < 0)
		return -1;
	env = process_env_with_home(o->env, &u);
	if (process_find_command(o->argv[0], env, path, sizeof(path), ce) < 0)
		return -1;
	return process_execve(path, o->argv, env, ce);
}

static _noreturn_ void process_main(const struct exec_child *a)
{
	struct child_error ce = {0};

	process_setup(a, &ce);
	process_child_exit(a->sync_fd, &ce);
}

/* --- the first child: cgroup and namespaces -------------------------------------------- */

static int join_cgroup(const struct exec_child *a, struct child_error *ce)
{
	char go;

	if (a->n_join > 0) {
		if (cgroup_join_self(a->join_fds, a->n_join) < 0)
			return child_fail(ce, 0, errno, "join the container's cgroup");
	} else if (read(a->sync_fd, &go, 1) != 1) {
		return child_fail(ce, 0, errno, "wait for the parent");
	}
	return 0;
}

/* Kernels before 5.8 have pidfds but setns() takes only namespace files. */
static int join_ns_files(const struct exec_child *a, struct child_error *ce)
{
	int fds[ARRAY_SIZE(exec_ns)];
	char path[64];
	int r = 0;

	/* All opened first: once in the mount namespace, /proc is the container's. */
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
		fds[i] = -1;
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(exec_ns); i++) {
		if (!(a->ns_flags & exec_ns[i].type))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)a->o->pid, exec_ns[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			r = child_fail(ce, 0, errno, "open %s", path);
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(exec_ns); i++)
		if (fds[i] >= 0 && setns(fds[i], exec_ns[i].type) < 0)
			r = child_fail(ce, 0, errno, "join the %s namespace of the container",
				       exec_ns[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static int join_namespaces(const struct exec_child *a, struct child_error *ce)
{
	if (a->pidfd >= 0) {
		if (setns(a->pidfd, a->ns_flags) == 0)
			return 0;
		if (errno != EINVAL)
			return child_fail(ce, 0, errno, "join the namespaces of the container");
	}
	return join_ns_files(a, ce);
}

static _noreturn_ void child_main(const struct exec_child *a)
{
	struct child_error ce = {0};
	char buf[32];
	pid_t pid;
	int n;

	process_reset_signals();
	/* The caller's descriptors must not reach the process. */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	if (join_cgroup(a, &ce) < 0 || join_namespaces(a, &ce) < 0)
		process_child_exit(a->sync_fd, &ce);
	/* Only children enter the pid namespace: the process is one, and the caller's child. */
	pid = sys_clone_fork(CLONE_PARENT | SIGCHLD);
	if (pid == 0)
		process_main(a);
	if (pid < 0) {
		child_fail(&ce, 0, errno, "clone the process");
		process_child_exit(a->sync_fd, &ce);
	}
	n = snprintf(buf, sizeof(buf), "P%d", (int)pid);
	_exit(write(a->sync_fd, buf, (size_t)n) == n ? 0 : 125);
}

/* --- the caller ------------------------------------------------------------------------ */

/* 1 when pid shares the namespace with us, 0 when not, -1 when its file is gone (pid exited). */
static int same_ns(pid_t pid, const char *name)
{
	char path[64];
	struct stat theirs, ours;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	if (stat(path, &ours) < 0)
		return 1; /* a namespace this kernel lacks */
	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, name);
	if (stat(path, &theirs) < 0)
		return -1;
	return ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
}

/*
 * The namespaces of pid that differ from ours (joining one's own user
 * namespace is refused). A container has its own mount and pid namespaces at
 * least: without them the process would run on the host.
 */
static int ns_flags(pid_t pid, int *flags, struct berth_error **err)
{
	*flags = 0;
	for (size_t i = 0; i < ARRAY_SIZE(exec_ns); i++) {
		int r = same_ns(pid, exec_ns[i].name);
		if (r < 0)
			return berth_error_set(err, errno,
					       "namespaces of the container's init (pid %d)",
					       (int)pid);
		if (r == 0)
			*flags |= exec_ns[i].type;
	}
	if ((*flags & (CLONE_NEWNS | CLONE_NEWPID)) != (CLONE_NEWNS | CLONE_NEWPID))
		return berth_error_set(err, 0, "process %d is not in a container", (int)pid);
	return 0;
}

/*
 * pid is the container's init only while it is in the container's cgroup: a
 * pid the store still names may already belong to another process.
 */
static int check_init(pid_t pid, struct cgroup *cg, struct berth_error **err)
{
	char path[64];
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *want = xasprintf(":%s\n", cgroup_path(cg));

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	text = fs_read_file(path, NULL, NULL);
	if (!text || !strstr(text, want))
		return berth_error_set(err, text ? 0 : ESRCH,
				       "process %d is not the init of the container", (int)pid);
	return 0;
}

/* *fd = -1 when the kernel has no pidfds: the /proc/PID/ns files then. */
static int open_pidfd(pid_t pid, int *fd, struct berth_error **err)
{
	*fd = sys_pidfd_open(pid, 0);
	if (*fd >= 0)
		return 0;
	if (errno != ENOSYS)
		return berth_error_set(err, errno, "open the init of the container (pid %d)",
				       (int)pid);
	log_debug("no pidfd_open: joining the container through /proc/%d/ns", (int)pid);
	return 0;
}

struct exec_report {
	pid_t pid;
	int pty_master;
	struct berth_error *err;
};

static void note_report(struct exec_report *r, const char *buf, int n, int fd)
{
	if (buf[0] == 'T' && fd >= 0 && r->pty_master < 0) {
		r->pty_master = fd;
		return;
	}
	if (fd >= 0)
		close(fd);
	if (buf[0] == 'P')
		r->pid = (pid_t)atoi(buf + 1);
	else if (buf[0] == 'E' && n >= 2 && !r->err)
		berth_error_setk(&r->err, (enum berth_error_kind)(buf[1] - '0'), 0, "%s", buf + 2);
	else if (!r->err)
		berth_error_set(&r->err, 0, "unexpected report from the exec'd process");
}

/* Reads until both children are done with the socket: the first exits, the process execs. */
static void read_reports(int sock, struct exec_report *r)
{
	char buf[1100];

	for (;;) {
		int fd = -1;
		int n = process_recv_report(sock, &fd, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			if (!r->err)
				berth_error_set(&r->err, errno, "read the exec report");
			break;
		}
		note_report(r, buf, n, fd);
	}
	if (!r->err && r->pid <= 0)
		berth_error_set(&r->err, 0, "the exec'd process did not start");
}

/* Runs the first child and collects what it and the process report. */
static int spawn(struct exec_child *a, struct cgroup *cg, struct runtime_process *out,
		 struct berth_error **err)
{
	struct exec_report r = {.pid = 0, .pty_master = -1};
	int sv[2], status;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_set(err, errno, "socketpair");
	child = fork();
	if (child < 0) {
		close(sv[0]);
		close(sv[1]);
		return berth_error_set(err, errno, "fork");
	}
	if (child == 0) {
		close(sv[0]);
		a->sync_fd = sv[1];
		child_main(a);
	}
	close(sv[1]);
	if (!a->n_join && (cgroup_enter(cg, child, &r.err) < 0 || write(sv[0], "G", 1) != 1)) {
		if (!r.err)
			berth_error_set(&r.err, errno, "start the exec'd process");
		kill(child, SIGKILL);
	}
	read_reports(sv[0], &r);
	close(sv[0]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (r.err) {
		if (r.pty_master >= 0)
			close(r.pty_master);
		if (r.pid > 0) {
			kill(r.pid, SIGKILL);
			waitpid(r.pid, &status, 0);
		}
		if (err)
			*err = steal_ptr(&r.err);
		berth_error_free(r.err);
		return -1;
	}
	out->pid = r.pid;
	out->pty_master = r.pty_master;
	return 0;
}

int runtime_exec(const struct runtime_exec_opts *o, struct runtime_process *out,
		 struct berth_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;
	_cleanup_close_ int pidfd = -EBADF;
	struct exec_child a = {.o = o, .pidfd = -1};
	int n, r;

	out->pid = 0;
	out->pty_master = -1;
	if (!o->argv || !o->argv[0])
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "no command specified");
	cg = cgroup_open(o->id, err);
	if (!cg)
		return -1;
	if (open_pidfd(o->pid, &pidfd, err) < 0 || check_init(o->pid, cg, err) < 0)
		return -1;
	if (ns_flags(o->pid, &a.ns_flags, err) < 0)
		return -1;
	a.pidfd = pidfd;
	n = cgroup_join_fds(cg, a.join_fds, ARRAY_SIZE(a.join_fds), err);
	if (n < 0)
		return -1;
	a.n_join = (size_t)n;
	r = spawn(&a, cg, out, err);
	for (size_t i = 0; i < a.n_join; i++)
		close(a.join_fds[i]);
	return r;
}
