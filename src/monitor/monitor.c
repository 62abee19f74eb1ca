#define LOG_DOMAIN "monitor"
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>

#include "monitor/logfile.h"
#include "monitor/monitor.h"
#include "store/store.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/proctitle.h"
#include "util/strutil.h"
#include "util/timeutil.h"
#include "volume/volume.h"

/* A container that ran this long restarts without delay, as in Docker. */
#define RESTART_RESET_NS (10LL * 1000000000LL)
/* A container still running this long after its start gets the idle monitor. */
#define IDLE_AFTER_NS (300LL * 1000000LL)
/* The idle monitor's program, beside berth's (idle.c). */
#define IDLE_PROGRAM "berth-monitor"

struct monitor {
	const struct monitor_config *mc;
	struct store *store;
	struct cgroup *cg;
	struct relay r;
	struct runtime_process proc;
};

int monitor_send(int sock, char t, const void *data, size_t len)
{
	return relay_send(sock, t, data, len, 0);
}

long long monitor_restart_delay_ms(int n)
{
	long long ms = 100;

	while (n-- > 0 && ms < 60000)
		ms *= 2;
	return ms < 60000 ? ms : 60000;
}

/* A restart's back-off: serves the clients for ms, unless a user stops the container. */
static void serve_for(struct monitor *m, long long ms)
{
	int64_t until = time_now_ns() + ms * 1000000LL;

	for (int64_t now; !m->r.stopping && (now = time_now_ns()) < until;)
		relay_dispatch(&m->r, (int)((until - now) / 1000000) + 1);
}

static int update_state(struct monitor *m, enum store_container_state state, int exit_code,
			const char *error)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *e = NULL;
	int64_t now = time_now_ns();

	if (store_resume(m->store, &e) < 0)
		goto fail;
	c = store_container_find(m->store, m->mc->id, &e);
	if (!c)
		goto fail;
	c->state = state;
	c->restart_count = m->r.restart_count;
	if (state == STORE_CONTAINER_RUNNING) {
		c->pid = m->r.pid;
		c->monitor_pid = getpid();
		c->started_at = m->r.started_at = now;
		c->exit_code = 0;
		free(c->error);
		c->error = xstrdup("");
	} else {
		c->pid = 0;
		/* while it waits to restart, the monitor still answers for it */
		c->monitor_pid = state == STORE_CONTAINER_RESTARTING ? getpid() : 0;
		c->exit_code = exit_code;
		if (state == STORE_CONTAINER_EXITED || state == STORE_CONTAINER_RESTARTING)
			c->finished_at = now;
		c->oom_killed = m->cg && cgroup_oom_killed(m->cg);
		free(c->error);
		c->error = xstrdup(error ? error : "");
	}
	if (store_container_update_state(m->store, c, &e) == 0)
		return 0;
fail:
	log_error("cannot record the state of %s: %s", m->mc->id, e->msg);
	return -1;
}

/*
 * --rm: the folder goes to the trash (a rename) and the record is deleted,
 * with the anonymous volumes no other container uses (as Docker's --rm); the
 * files themselves are removed after the client has its exit code.
 */
static char *remove_container(struct monitor *m)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", m->mc->root, m->mc->id);
	_cleanup_free_ char *trash = xasprintf("%s/trash", m->mc->root);
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_strv_ char **anonymous = NULL;
	char *gone = fs_trash(dir, trash, &e);

	if (!gone || store_resume(m->store, &e) < 0 ||
	    store_volume_uses_of(m->store, m->mc->id, true, &anonymous, &e) < 0 ||
	    store_container_delete(m->store, m->mc->id, &e) < 0)
		log_error("cannot remove container %s: %s", m->mc->id, e->msg);
	else
		volume_remove_unused(m->store, anonymous);
	return gone;
}

/* Reaps our children until none is left (bounded: 2 s). */
static void reap_leftovers(void)
{
	struct timespec pause = {0, 2 * 1000 * 1000};

	for (int i = 0; i < 1000; i++) {
		pid_t p = waitpid(-1, NULL, WNOHANG);
		if (p > 0)
			continue;
		if (p < 0 && errno == ECHILD)
			return;
		nanosleep(&pause, NULL);
	}
}

/* Returns the folder to remove once the clients are told (--rm), or NULL. */
static char *teardown(struct monitor *m)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *rundir = xasprintf("%s/%s", m->mc->runroot, m->mc->id);

	/* first: the ports' proxy is our child, which reap_leftovers() would wait for */
	if (m->mc->net_down && m->store && store_resume(m->store, NULL) == 0)
		m->mc->net_down(m->store, m->mc->id);
	if (m->cg) {
		/*
		 * What the container left was reparented to us (the subreaper) when
		 * its init died: killed and reaped, it no longer holds the cgroup.
		 */
		cgroup_kill(m->cg, NULL);
		reap_leftovers();
		if (cgroup_destroy(m->cg, &e) < 0)
			log_warn("cannot remove the cgroup of %s: %s", m->mc->id, e->msg);
	}
	fs_rm_rf(rundir, NULL);
	return m->mc->auto_remove ? remove_container(m) : NULL;
}

static int open_stdio(struct monitor *m, struct runtime_stdio *io, int child_fds[3],
		      struct berth_error **err)
{
	int p[2];

	io->in = io->out = io->err = -1;
	if (m->mc->spec->tty)
		return 0;
	if (m->mc->spec->open_stdin) {
		if (pipe2(p, O_CLOEXEC) < 0)
			return berth_error_set(err, errno, "pipe");
		io->in = child_fds[0] = p[0];
		m->r.in_fd = p[1];
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	io->out = child_fds[1] = p[1];
	m->r.out_fd = p[0];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	io->err = child_fds[2] = p[1];
	m->r.err_fd = p[0];
	return 0;
}

/* The container's network, set up while its init prepares (runtime_spec.prestart). */
struct net_prestart {
	struct monitor *m;
	int netns; /* the sandbox the init joins */
};

static int net_prestart(void *arg, pid_t pid, struct berth_error **err)
{
	struct net_prestart *np = arg;
	struct monitor *m = np->m;

	(void)pid;
	if (!m->mc->net_up || store_resume(m->store, err) < 0)
		return m->mc->net_up ? -1 : 0;
	return m->mc->net_up(m->store, m->mc->id, m->mc->config, np->netns, err);
}

static void net_prestart_release(struct net_prestart *np)
{
	if (np->netns >= 0)
		close(np->netns);
}

static int start_container(struct monitor *m, struct berth_error **err)
{
	struct runtime_spec *spec = m->mc->spec;
	struct runtime_stdio io;
	int child_fds[3] = {-1, -1, -1};
	_cleanup_(net_prestart_release) struct net_prestart np = {.m = m, .netns = -1};
	int r;

	m->r.exited = false;
	if (!m->cg && !(m->cg = cgroup_create(m->mc->id, &spec->limits, err)))
		return -1;
	if (spec->seccomp && !spec->bpf.filter) {
		_cleanup_free_ char *cache = xasprintf("%s/seccomp", m->mc->runroot);
		if (seccomp_build_default_cached(cache, spec->caps, &spec->bpf, err) < 0)
			return -1;
	}
	if (m->mc->net_sandbox && m->mc->net_sandbox(m->mc->config, &np.netns, err) < 0)
		return -1;
	if (np.netns >= 0) {
		free(spec->netns_path);
		spec->netns_path = xasprintf("/proc/self/fd/%d", np.netns);
		spec->prestart = net_prestart;
		spec->prestart_arg = &np;
	}
	if (open_stdio(m, &io, child_fds, err) < 0)
		return -1;
	r = runtime_spawn(spec, m->cg, &io, &m->proc, err);
	spec->prestart = NULL;
	for (int i = 0; i < 3; i++)
		if (child_fds[i] >= 0)
			close(child_fds[i]);
	if (r < 0)
		return -1;
	m->r.pid = m->proc.pid;
	m->r.pty_master = m->proc.pty_master;
	if (spec->tty)
		m->r.out_fd = m->r.in_fd = m->proc.pty_master;
	if (m->r.out_fd >= 0)
		relay_watch(&m->r, m->r.out_fd);
	if (m->r.err_fd >= 0)
		relay_watch(&m->r, m->r.err_fd);
	return 0;
}

/*
 * A unix socket path must fit sun_path (108 bytes); a longer one is reached
 * through /proc/self/fd of its folder (dirfd stays open while it is used).
 */
static int socket_address(const char *dir, struct sockaddr_un *sa, int *dirfd,
			  struct berth_error **err)
{
	*dirfd = -1;
	*sa = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(dir) + sizeof("/attach") <= sizeof(sa->sun_path)) {
		snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/attach", dir);
		return 0;
	}
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return berth_error_set(err, errno, "open '%s'", dir);
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/attach", *dirfd);
	return 0;
}

static int listen_attach(const char *rundir, struct berth_error **err)
{
	struct sockaddr_un sa;
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || socket_address(rundir, &sa, &dirfd, err) < 0)
		return fd < 0 ? berth_error_set(err, errno, "socket") : -1;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
		return berth_error_set(err, errno, "listen on '%s/attach'", rundir);
	return steal_fd(&fd);
}

int monitor_connect(const char *runroot, const char *id, struct berth_error **err)
{
	_cleanup_free_ char *rundir = xasprintf("%s/%s", runroot, id);
	_cleanup_close_ int dirfd = -EBADF;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa;

	if (fd < 0 || socket_address(rundir, &sa, &dirfd, err) < 0)
		return fd < 0 ? berth_error_set(err, errno, "socket") : -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berth_error_set(err, errno, "connect to the monitor of %.12s", id);
	return steal_fd(&fd);
}

static void set_title(const struct monitor_config *mc)
{
	_cleanup_free_ char *title = xasprintf(IDLE_PROGRAM " %.12s", mc->id);

	proctitle_set(title);
}

static int setup_process(struct monitor *m, int client, struct berth_error **err)
{
	_cleanup_free_ char *rundir = xasprintf("%s/%s", m->mc->runroot, m->mc->id);
	_cleanup_free_ char *logpath = xasprintf("%s/monitor.log", rundir);
	struct relay *r = &m->r;
	sigset_t mask;
	int fd;

	set_title(m->mc);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (fs_mkdir_p(rundir, 0700, err) < 0)
		return -1;
	/* The monitor must not hold the CLI's terminal or pipes. */
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0)
		log_set_fd(fd);
	r->diag_fd = fd;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->sigfd < 0 || r->epfd < 0)
		return berth_error_set(err, errno, "set up the event loop");
	relay_watch(r, r->sigfd);
	relay_add_client(r, client, true);
	r->listen_fd = listen_attach(rundir, err);
	if (r->listen_fd < 0)
		return -1;
	relay_watch(r, r->listen_fd);
	m->store = store_open(m->mc->root, m->mc->runroot, err);
	if (!m->store)
		return -1;
	if (!m->mc->log_path) /* --log-driver none */
		return 0;
	r->log = logfile_open(m->mc->log_path, &m->mc->log_opts, err);
	return r->log ? 0 : -1;
}

static void fail_start(struct monitor *m, const struct berth_error *err)
{
	int code = err->kind == BERTH_ERR_NO_COMMAND	   ? 127
		   : err->kind == BERTH_ERR_CANNOT_EXECUTE ? 126
							   : 125;
	_cleanup_free_ char *msg = xasprintf("%c%s", (char)('0' + err->kind), err->msg);
	char *trash;

	if (m->store)
		update_state(m,
			     m->r.restart_count ? STORE_CONTAINER_EXITED : STORE_CONTAINER_CREATED,
			     code, err->msg);
	trash = teardown(m);
	relay_broadcast(&m->r, 'E', msg, strlen(msg));
	if (trash)
		fs_rm_rf(trash, NULL);
	_exit(1);
}

/* Docker's restart policies, decided after each exit. */
static bool should_restart(const struct monitor *m)
{
	const char *p = m->mc->restart_policy;

	if (m->r.stopping || !p || !strcmp(p, "no") || !*p)
		return false;
	if (!strcmp(p, "on-failure"))
		return m->r.exit_code != 0 &&
		       (m->mc->restart_max <= 0 || m->r.restart_count < m->mc->restart_max);
	return !strcmp(p, "always") || !strcmp(p, "unless-stopped");
}

static void announce_start(struct monitor *m)
{
	char buf[32];
	int n;

	update_state(m, STORE_CONTAINER_RUNNING, 0, NULL);
	n = snprintf(buf, sizeof(buf), "%d", (int)m->r.pid);
	relay_broadcast(&m->r, 'S', buf, (size_t)n);
	store_suspend(m->store);
}

/*
 * The container runs on: the monitor becomes the idle one, a small static
 * program (idle.c) that relays and logs until the init exits and then execs
 * berth again, which resumes here (monitor_resume()). What berth's libraries
 * and the CLI we were forked from hold goes back to the system. Returns only
 * when the idle monitor cannot run; the full monitor then stays.
 */
static void become_idle(struct monitor *m)
{
	char self[PATH_MAX], idle[PATH_MAX + sizeof(IDLE_PROGRAM)], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	struct strbuf state = STRBUF_INIT;
	char id12[13];

	if (n <= 0)
		return;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return;
	snprintf(idle, sizeof(idle), "%.*s/" IDLE_PROGRAM, (int)(slash - self), self);
	if (access(idle, X_OK) < 0)
		return;
	snprintf(id12, sizeof(id12), "%.12s", m->mc->id);
	m->r.id = m->mc->id;
	m->r.root = m->mc->root;
	m->r.runroot = m->mc->runroot;
	m->r.exe = self;
	m->r.log_path = m->mc->log_path;
	m->r.log_opts = m->mc->log_opts;
	relay_export(&m->r, &state);
	relay_set_cloexec(&m->r, false);
	if (setenv(RELAY_STATE_ENV, state.buf, 1) == 0)
		execv(idle, (char *[]){IDLE_PROGRAM, id12, NULL});
	log_warn_errno(errno, "cannot run the idle monitor '%s'", idle);
	unsetenv(RELAY_STATE_ENV);
	relay_set_cloexec(&m->r, true);
	strbuf_release(&state);
	m->r.exe = NULL;
}

/* From a start (or a resume) to the end: restarts, the final state, the teardown. */
static _noreturn_ void supervise(struct monitor *m)
{
	_cleanup_error_ struct berth_error *err = NULL;
	int consecutive = 0;
	char buf[64], *trash;
	int n;

	for (;;) {
		if (relay_run(&m->r, m->r.started_at + IDLE_AFTER_NS) > 0) {
			become_idle(m);
			relay_run(&m->r, 0);
		}
		if (m->r.log) {
			logfile_flush(m->r.log, 1);
			logfile_flush(m->r.log, 2);
		}
		n = snprintf(buf, sizeof(buf), "%d", m->r.exit_code);
		if (!should_restart(m))
			break;
		/* a run long enough resets the back-off, as in Docker */
		if (time_now_ns() - m->r.started_at >= RESTART_RESET_NS)
			consecutive = 0;
		update_state(m, STORE_CONTAINER_RESTARTING, m->r.exit_code, NULL);
		relay_broadcast(&m->r, 'X', buf, (size_t)n);
		serve_for(m, monitor_restart_delay_ms(consecutive++));
		if (m->r.stopping)
			break;
		m->r.restart_count++;
		if (start_container(m, &err) < 0)
			fail_start(m, err);
		announce_start(m);
	}
	logfile_close(m->r.log);
	if (!m->mc->auto_remove)
		update_state(m, STORE_CONTAINER_EXITED, m->r.exit_code, NULL);
	close(m->r.listen_fd);
	trash = teardown(m);
	relay_broadcast(&m->r, 'X', buf, (size_t)n);
	if (trash)
		fs_rm_rf(trash, NULL);
	_exit(0);
}

static _noreturn_ void monitor_main(const struct monitor_config *mc, int client)
{
	struct monitor m = {.mc = mc, .proc = {.pty_master = -1}};
	_cleanup_error_ struct berth_error *err = NULL;

	relay_init(&m.r);
	if (setup_process(&m, client, &err) < 0 || start_container(&m, &err) < 0)
		fail_start(&m, err);
	announce_start(&m);
	supervise(&m);
}

void monitor_resume(const struct monitor_config *mc, struct relay *r, struct store *s)
{
	struct monitor m = {.mc = mc, .store = s, .r = *r, .proc = {.pty_master = -1}};
	_cleanup_error_ struct berth_error *err = NULL;

	set_title(mc);
	/* ours again; none may leak into a restarted container */
	relay_set_cloexec(&m.r, true);
	m.cg = cgroup_open(mc->id, &err);
	if (!m.cg)
		log_warn("%s", err->msg);
	supervise(&m);
}

int monitor_launch(const struct monitor_config *mc, struct berth_error **err)
{
	int sv[2], status;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_set(err, errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return berth_error_set(err, errno, "fork the monitor");
	}
	if (pid == 0) {
		close(sv[0]);
		/* Detach from the CLI: a new session, and not the CLI's child. */
		setsid();
		if (fork() != 0)
			_exit(0);
		monitor_main(mc, sv[1]);
	}
	close(sv[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return sv[0];
}
