#define LOG_DOMAIN "runtime"
#include <fcntl.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/caps.h"
#include "runtime/internal.h"
#include "runtime/syscall.h"
#include "util/compiler.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proctitle.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define PATH_MAX_LEN 4096

int child_fail(struct child_error *ce, int kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	ce->kind = kind;
	va_start(ap, fmt);
	n = vsnprintf(ce->msg, sizeof(ce->msg), fmt, ap);
	va_end(ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(ce->msg))
		snprintf(ce->msg + n, sizeof(ce->msg) - n, ": %s", strerror(errnum));
	return -1;
}

void runtime_spec_add_mount(struct runtime_spec *spec, const char *type, const char *source,
			    const char *dest, const char *data, unsigned long flags)
{
	struct runtime_mount *m;

	spec->mounts = xrealloc(spec->mounts, (spec->n_mounts + 1) * sizeof(*spec->mounts));
	m = &spec->mounts[spec->n_mounts++];
	m->type = type ? xstrdup(type) : NULL;
	m->source = source ? xstrdup(source) : NULL;
	m->dest = xstrdup(dest);
	m->data = data ? xstrdup(data) : NULL;
	m->flags = flags;
	m->propagation = 0;
}

void runtime_spec_free(struct runtime_spec *spec)
{
	if (!spec)
		return;
	free(spec->id);
	free(spec->layers_dir);
	strv_free(spec->lowers);
	free(spec->upper);
	free(spec->work);
	free(spec->merged);
	strv_free(spec->argv);
	strv_free(spec->env);
	free(spec->cwd);
	free(spec->user);
	free(spec->hostname);
	free(spec->netns_path);
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].dest);
		free(spec->mounts[i].data);
	}
	free(spec->mounts);
	free(spec->rlimits);
	seccomp_bpf_release(&spec->bpf);
	free(spec);
}

/* --- the child ------------------------------------------------------------------------- */

static int loopback_up(struct child_error *ce)
{
	struct ifreq ifr = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return child_fail(ce, 0, errno, "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return child_fail(ce, 0, errno, "get flags of lo");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return child_fail(ce, 0, errno, "bring lo up");
	return 0;
}

/* A terminal from the container's own devpts, also its /dev/console. */
static int setup_tty(const struct runtime_spec *spec, int sync_fd, struct child_error *ce)
{
	_cleanup_close_ int slave = process_setup_tty(spec->tty_rows, spec->tty_cols, sync_fd, ce);
	_cleanup_close_ int console = -EBADF;
	char path[PATH_MAX_LEN];

	if (slave < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", slave);
	console = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (console < 0 || mount(path, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return child_fail(ce, 0, errno, "bind /dev/console");
	return 0;
}

/* The working directory is created when missing, as Docker does. */
static int mkdir_p_chdir(const char *cwd, struct child_error *ce)
{
	if (chdir(cwd) == 0)
		return 0;
	if (errno != ENOENT || fs_mkdir_p(cwd, 0755, NULL) < 0 || chdir(cwd) < 0)
		return child_fail(ce, 0, errno, "chdir to the working directory '%s'", cwd);
	return 0;
}

/* "/sbin/docker-init -- CMD ARGS" in ps, as Docker's init shows. */
static void set_init_title(const struct runtime_spec *spec)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, "/sbin/docker-init --");
	for (size_t i = 0; spec->argv[i]; i++)
		strbuf_addf(&sb, " %s", spec->argv[i]);
	proctitle_set(sb.buf);
	strbuf_release(&sb);
}

/* PID 1 with --init: forwards signals to the process and reaps every zombie. */
static _noreturn_ void run_reaper(pid_t child)
{
	sigset_t all;
	int status;

	sigfillset(&all);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;) {
			if (p != child)
				continue;
			_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
	}
}

static int exec_process(const struct runtime_spec *spec, char **env, int sync_fd,
			struct child_error *ce)
{
	char path[PATH_MAX_LEN];
	sigset_t all, old;

	if (process_find_command(spec->argv[0], env, path, sizeof(path), ce) < 0)
		return -1;
	if (spec->init) {
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		pid_t pid = fork();
		if (pid < 0)
			return child_fail(ce, 0, errno, "fork");
		if (pid > 0) {
			close(sync_fd);
			set_init_title(spec);
			run_reaper(pid);
		}
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	return process_execve(path, spec->argv, env, ce);
}

/* What the child of runtime_spawn() works from (its copy of the parent's memory). */
struct child_args {
	const struct runtime_spec *spec;
	const struct runtime_stdio *io;
	int sync_fd;
	int netns_fd;	  /* RUNTIME_NET_JOIN: the namespace to join, else -1 */
	int join_fds[16]; /* cgroup_join_fds(), or none: the parent moves us and says 'G' */
	size_t n_join;
};

/* Into the container's cgroup first: all it does is charged there. */
static int join_cgroup(const struct child_args *a, struct child_error *ce)
{
	char go;

	if (a->n_join > 0) {
		if (cgroup_join_self(a->join_fds, a->n_join) < 0)
			return child_fail(ce, 0, errno, "join the container's cgroup");
	} else if (read(a->sync_fd, &go, 1) != 1) {
		return child_fail(ce, 0, errno, "wait for the parent");
	}
	if (unshare(CLONE_NEWCGROUP) < 0)
		return child_fail(ce, 0, errno, "unshare the cgroup namespace");
	return 0;
}

/* The parent's prestart is done ('N'): the process may run. */
static int wait_prestart(int sync_fd, struct child_error *ce)
{
	char go;

	if (read(sync_fd, &go, 1) != 1 || go != 'N')
		return child_fail(ce, 0, errno, "wait for the container's network");
	return 0;
}

static int child_setup(const struct child_args *a, struct child_error *ce)
{
	const struct runtime_spec *spec = a->spec;
	const struct runtime_stdio *io = a->io;
	int sync_fd = a->sync_fd;
	const struct seccomp_bpf *seccomp = spec->seccomp ? &spec->bpf : NULL;
	struct child_user u;

	/* before /sys is mounted: sysfs shows the network namespace of its mounter */
	if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) < 0)
		return child_fail(ce, 0, errno, "join the network namespace '%s'",
				  spec->netns_path);
	if (join_cgroup(a, ce) < 0 || rootfs_setup(spec, ce) < 0)
		return -1;
	if (sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return child_fail(ce, 0, errno, "sethostname");
	if (spec->net == RUNTIME_NET_NONE && loopback_up(ce) < 0)
		return -1;
	if (spec->tty ? setup_tty(spec, sync_fd, ce) : process_setup_stdio(io, ce))
		return -1;
	/* The working directory is made before the root may turn read-only, as in Docker. */
	if (mkdir_p_chdir(spec->cwd, ce) < 0 || rootfs_finish(spec, ce) < 0 ||
	    process_set_rlimits(spec->rlimits, spec->n_rlimits, ce) < 0)
		return -1;
	if (user_resolve(spec->user, &u, ce) < 0)
		return -1;
	if (!spec->no_new_privs && process_load_seccomp(seccomp, ce) < 0)
		return -1;
	if (process_switch_user(spec->caps, spec->privileged, &u, ce) < 0)
		return -1;
	if (spec->no_new_privs &&
	    (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || process_load_seccomp(seccomp, ce) < 0))
		return child_fail(ce, 0, errno, "set no_new_privs");
	if (spec->prestart && wait_prestart(sync_fd, ce) < 0)
		return -1;
	return exec_process(spec, process_env_with_home(spec->env, &u), sync_fd, ce);
}

static _noreturn_ void child_main(const struct child_args *a)
{
	struct child_error ce = {0};

	/* Neither the monitor's signal mask nor its ignored signals reach the container. */
	process_reset_signals();
	/* Our own descriptors must not reach the container's process. */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	child_setup(a, &ce);
	process_child_exit(a->sync_fd, &ce);
}

/* --- the parent ------------------------------------------------------------------------ */

static unsigned long clone_flags(const struct runtime_spec *spec)
{
	unsigned long f = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;

	if (spec->net == RUNTIME_NET_NONE)
		f |= CLONE_NEWNET;
	return f;
}

static int wait_child_report(int sock, pid_t pid, struct runtime_process *out,
			     struct berth_error **err)
{
	char buf[1100];

	for (;;) {
		int fd = -1;
		int n = process_recv_report(sock, &fd, buf, sizeof(buf));
		if (n == 0)
			return 0; /* the socket closed on execve */
		if (n < 0)
			return berth_error_set(err, errno, "read the container's start report");
		if (buf[0] == 'T' && fd >= 0) {
			out->pty_master = fd;
			continue;
		}
		if (fd >= 0)
			close(fd);
		if (buf[0] == 'E' && n >= 2)
			return berth_error_setk(err, (enum berth_error_kind)(buf[1] - '0'), 0, "%s",
						buf + 2);
		return berth_error_set(err, 0, "unexpected start report from pid %d", (int)pid);
	}
}

/*
 * The spec's prestart, while the child prepares; then 'N' lets it run. A child
 * that failed meanwhile has hung up: its report says why.
 */
static int run_prestart(const struct runtime_spec *spec, pid_t pid, int sock,
			struct berth_error **err)
{
	if (!spec->prestart)
		return 0;
	if (spec->prestart(spec->prestart_arg, pid, err) < 0)
		return -1;
	if (send(sock, "N", 1, MSG_NOSIGNAL) != 1)
		log_debug("the container's init is gone before its prestart ended");
	return 0;
}

int runtime_spawn(const struct runtime_spec *spec, struct cgroup *cg,
		  const struct runtime_stdio *io, struct runtime_process *out,
		  struct berth_error **err)
{
	struct child_args a = {.spec = spec, .io = io, .netns_fd = -1};
	_cleanup_close_ int netns_fd = -EBADF;
	int sv[2], n, status;
	pid_t pid;

	out->pid = 0;
	out->pty_master = -1;
	if (spec->net == RUNTIME_NET_JOIN) {
		netns_fd = open(spec->netns_path, O_RDONLY | O_CLOEXEC);
		if (netns_fd < 0)
			return berth_error_set(err, errno, "open the network namespace '%s'",
					       spec->netns_path);
		a.netns_fd = netns_fd;
	}
	n = cg ? cgroup_join_fds(cg, a.join_fds, ARRAY_SIZE(a.join_fds), err) : 0;
	if (n < 0)
		return -1;
	a.n_join = (size_t)n;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		berth_error_set(err, errno, "socketpair");
		goto close_join;
	}
	pid = sys_clone_fork(clone_flags(spec));
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		berth_error_set(err, errno, "clone the container's init");
		goto close_join;
	}
	if (pid == 0) {
		close(sv[0]);
		a.sync_fd = sv[1];
		child_main(&a);
	}
	close(sv[1]);
	for (size_t i = 0; i < a.n_join; i++)
		close(a.join_fds[i]);
	if ((!a.n_join && ((cg && cgroup_enter(cg, pid, err) < 0) || write(sv[0], "G", 1) != 1)) ||
	    run_prestart(spec, pid, sv[0], err) < 0 ||
	    wait_child_report(sv[0], pid, out, err) < 0) {
		if (err && !*err)
			berth_error_set(err, errno, "start the container");
		close(sv[0]);
		if (out->pty_master >= 0)
			close(out->pty_master);
		out->pty_master = -1;
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	close(sv[0]);
	out->pid = pid;
	return 0;
close_join:
	for (size_t i = 0; i < a.n_join; i++)
		close(a.join_fds[i]);
	return -1;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{"core", RLIMIT_CORE},	       {"cpu", RLIMIT_CPU},
	{"data", RLIMIT_DATA},	       {"fsize", RLIMIT_FSIZE},
	{"locks", RLIMIT_LOCKS},       {"memlock", RLIMIT_MEMLOCK},
	{"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
	{"nofile", RLIMIT_NOFILE},     {"nproc", RLIMIT_NPROC},
	{"rss", RLIMIT_RSS},	       {"rtprio", RLIMIT_RTPRIO},
	{"rttime", RLIMIT_RTTIME},     {"sigpending", RLIMIT_SIGPENDING},
	{"stack", RLIMIT_STACK},       {"as", RLIMIT_AS},
};

const char *runtime_rlimit_name(int resource)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (rlimit_names[i].resource == resource)
			return rlimit_names[i].name;
	return NULL;
}

int runtime_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (strcmp(rlimit_names[i].name, name) == 0)
			return rlimit_names[i].resource;
	return -1;
}
