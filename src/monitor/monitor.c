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

#define MAX_CLIENTS 64
/* A container that ran this long restarts without delay, as in Docker. */
#define RESTART_RESET_NS (10LL * 1000000000LL)

struct client {
	int fd;
	bool output; /* it asked for the container's output ('A') */
};

struct monitor {
	const struct monitor_config *mc;
	struct store *store;
	struct cgroup *cg;
	struct logfile *log;
	struct runtime_process proc;
	int epfd, sigfd;
	int out_fd, err_fd; /* our ends of the container's stdout and stderr (or the pty) */
	int in_fd;	    /* our end of the container's stdin (or the pty), -1 if none */
	int listen_fd;	    /* the "attach" socket in the run folder */
	struct client clients[MAX_CLIENTS];
	int n_clients;
	bool exited;
	int exit_code;
	bool stopping; /* a user's stop: no restart */
	int restart_count;
	int64_t started_at;
};

static int send_msg(int sock, char t, const void *data, size_t len, int flags)
{
	char buf[MONITOR_MSG_MAX + 1];
	ssize_t n;

	if (len > MONITOR_MSG_MAX)
		len = MONITOR_MSG_MAX;
	buf[0] = t;
	if (len)
		memcpy(buf + 1, data, len);
	do
		n = send(sock, buf, len + 1, MSG_NOSIGNAL | flags);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

int monitor_send(int sock, char t, const void *data, size_t len)
{
	return send_msg(sock, t, data, len, 0);
}

long long monitor_restart_delay_ms(int n)
{
	long long ms = 100;

	while (n-- > 0 && ms < 60000)
		ms *= 2;
	return ms < 60000 ? ms : 60000;
}

static void drop_client(struct monitor *m, int idx)
{
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->clients[idx].fd, NULL);
	close(m->clients[idx].fd);
	m->clients[idx] = m->clients[--m->n_clients];
}

/*
 * To every client, or only to those that want the output. The monitor never
 * waits for a client: a full socket loses output (the log keeps it), and a
 * client too stuck to take a state message ('S', 'X') is dropped.
 */
static void broadcast(struct monitor *m, char t, const void *data, size_t len)
{
	bool output = t == '1' || t == '2';

	for (int i = 0; i < m->n_clients; i++) {
		if (output && !m->clients[i].output)
			continue;
		if (send_msg(m->clients[i].fd, t, data, len, MSG_DONTWAIT) == 0 ||
		    (output && errno == EAGAIN))
			continue;
		/* a client that went away, or too stuck to take even this, detaches */
		drop_client(m, i--);
	}
}

static void watch(struct monitor *m, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch_close(struct monitor *m, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

/* Container output: to the log and to every attached client. */
static void on_output(struct monitor *m, int *fd, int stream)
{
	char buf[MONITOR_MSG_MAX];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* EOF, or EIO from a terminal whose last user closed it */
		if (m->log)
			logfile_flush(m->log, stream);
		if (m->in_fd == *fd)
			m->in_fd = -1;
		unwatch_close(m, fd);
		return;
	}
	if (m->log)
		logfile_write(m->log, stream, buf, (size_t)n);
	broadcast(m, (char)('0' + stream), buf, (size_t)n);
}

static void add_client(struct monitor *m, int fd, bool output)
{
	if (m->n_clients == MAX_CLIENTS) {
		close(fd);
		return;
	}
	m->clients[m->n_clients++] = (struct client){.fd = fd, .output = output};
	watch(m, fd);
}

static void on_accept(struct monitor *m)
{
	int fd;

	while ((fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		add_client(m, fd, false);
}

static void on_client(struct monitor *m, int idx)
{
	char buf[MONITOR_MSG_MAX + 1];
	ssize_t n = recv(m->clients[idx].fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(m, idx);
		return;
	}
	buf[n] = '\0';
	switch (buf[0]) {
	case 'A':
		m->clients[idx].output = true;
		break;
	case 'P':
		m->stopping = true;
		break;
	case '0':
		if (m->in_fd >= 0 && fs_write_all(m->in_fd, buf + 1, (size_t)n - 1) < 0)
			log_warn_errno(errno, "write to the container's stdin");
		break;
	case 'C':
		if (m->in_fd >= 0 && !m->mc->spec->tty) {
			close(m->in_fd);
			m->in_fd = -1;
		}
		break;
	case 'W': {
		struct winsize ws = {0};
		if (m->proc.pty_master >= 0 &&
		    sscanf(buf + 1, "%hu %hu", &ws.ws_row, &ws.ws_col) == 2)
			ioctl(m->proc.pty_master, TIOCSWINSZ, &ws);
		break;
	}
	case 'K':
		if (!m->exited)
			kill(m->proc.pid, atoi(buf + 1));
		break;
	}
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;
	int status;

	while (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;) {
		if (p != m->proc.pid)
			continue;
		m->exited = true;
		m->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

/* Waits up to timeout_ms (-1: no limit) for events and handles them. */
static void dispatch(struct monitor *m, int timeout_ms)
{
	struct epoll_event evs[8];
	int n = epoll_wait(m->epfd, evs, ARRAY_SIZE(evs), timeout_ms);

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd == m->sigfd)
			on_signal(m);
		else if (fd == m->out_fd)
			on_output(m, &m->out_fd, 1);
		else if (fd == m->err_fd)
			on_output(m, &m->err_fd, 2);
		else if (fd == m->listen_fd)
			on_accept(m);
		else
			for (int c = 0; c < m->n_clients; c++)
				if (m->clients[c].fd == fd) {
					on_client(m, c);
					break;
				}
	}
}

/* Until the container's process has exited and its output is drained. */
static void run_until_exit(struct monitor *m)
{
	int64_t deadline = 0;

	while (!m->exited || m->out_fd >= 0 || m->err_fd >= 0) {
		int timeout = -1;

		if (m->exited) {
			/* the init is gone; its namespace's last writers follow at once */
			int64_t now = time_now_ns();
			if (!deadline)
				deadline = now + 2000000000LL;
			if (now >= deadline)
				break;
			timeout = (int)((deadline - now) / 1000000) + 1;
		}
		dispatch(m, timeout);
	}
	unwatch_close(m, &m->out_fd);
	unwatch_close(m, &m->err_fd);
	if (m->in_fd >= 0 && m->in_fd != m->proc.pty_master)
		close(m->in_fd);
	if (m->proc.pty_master >= 0)
		close(m->proc.pty_master);
	m->in_fd = m->proc.pty_master = -1;
}

/* A restart's back-off: serves the clients for ms, unless a user stops the container. */
static void serve_for(struct monitor *m, long long ms)
{
	int64_t until = time_now_ns() + ms * 1000000LL;

	for (int64_t now; !m->stopping && (now = time_now_ns()) < until;)
		dispatch(m, (int)((until - now) / 1000000) + 1);
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
	c->restart_count = m->restart_count;
	if (state == STORE_CONTAINER_RUNNING) {
		c->pid = m->proc.pid;
		c->monitor_pid = getpid();
		c->started_at = m->started_at = now;
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
 * --rm: the folder goes to the trash (a rename) and the record is deleted; the
 * files themselves are removed after the client has its exit code.
 */
static char *remove_container(struct monitor *m)
{
	_cleanup_free_ char *dir = xasprintf("%s/containers/%s", m->mc->root, m->mc->id);
	_cleanup_free_ char *trash = xasprintf("%s/trash", m->mc->root);
	_cleanup_error_ struct berth_error *e = NULL;
	char *gone = fs_trash(dir, trash, &e);

	if (!gone || store_resume(m->store, &e) < 0 ||
	    store_container_delete(m->store, m->mc->id, &e) < 0)
		log_error("cannot remove container %s: %s", m->mc->id, e->msg);
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
		m->in_fd = p[1];
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	io->out = child_fds[1] = p[1];
	m->out_fd = p[0];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	io->err = child_fds[2] = p[1];
	m->err_fd = p[0];
	return 0;
}

static int start_container(struct monitor *m, struct berth_error **err)
{
	struct runtime_spec *spec = m->mc->spec;
	struct runtime_stdio io;
	int child_fds[3] = {-1, -1, -1};
	int r;

	m->exited = false;
	if (!m->cg && !(m->cg = cgroup_create(m->mc->id, &spec->limits, err)))
		return -1;
	if (spec->seccomp && !spec->bpf.filter) {
		_cleanup_free_ char *cache = xasprintf("%s/seccomp", m->mc->runroot);
		if (seccomp_build_default_cached(cache, spec->caps, &spec->bpf, err) < 0)
			return -1;
	}
	if (open_stdio(m, &io, child_fds, err) < 0)
		return -1;
	r = runtime_spawn(spec, m->cg, &io, &m->proc, err);
	for (int i = 0; i < 3; i++)
		if (child_fds[i] >= 0)
			close(child_fds[i]);
	if (r < 0)
		return -1;
	if (spec->tty) {
		m->out_fd = m->proc.pty_master;
		m->in_fd = m->proc.pty_master;
	}
	if (m->out_fd >= 0)
		watch(m, m->out_fd);
	if (m->err_fd >= 0)
		watch(m, m->err_fd);
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

static int setup_process(struct monitor *m, int client, struct berth_error **err)
{
	_cleanup_free_ char *rundir = xasprintf("%s/%s", m->mc->runroot, m->mc->id);
	_cleanup_free_ char *logpath = xasprintf("%s/monitor.log", rundir);
	_cleanup_free_ char *title = NULL;
	sigset_t mask;
	int fd;

	title = xasprintf("berth-monitor %.12s", m->mc->id);
	proctitle_set(title);
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
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	m->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->sigfd < 0 || m->epfd < 0)
		return berth_error_set(err, errno, "set up the event loop");
	watch(m, m->sigfd);
	add_client(m, client, true);
	m->listen_fd = listen_attach(rundir, err);
	if (m->listen_fd < 0)
		return -1;
	watch(m, m->listen_fd);
	m->store = store_open(m->mc->root, m->mc->runroot, err);
	if (!m->store)
		return -1;
	if (!m->mc->log_path) /* --log-driver none */
		return 0;
	m->log = logfile_open(m->mc->log_path, &m->mc->log_opts, err);
	return m->log ? 0 : -1;
}

static void fail_start(struct monitor *m, const struct berth_error *err)
{
	int code = err->kind == BERTH_ERR_NO_COMMAND	   ? 127
		   : err->kind == BERTH_ERR_CANNOT_EXECUTE ? 126
							   : 125;
	_cleanup_free_ char *msg = xasprintf("%c%s", (char)('0' + err->kind), err->msg);
	char *trash;

	if (m->store)
		update_state(m, m->restart_count ? STORE_CONTAINER_EXITED : STORE_CONTAINER_CREATED,
			     code, err->msg);
	trash = teardown(m);
	broadcast(m, 'E', msg, strlen(msg));
	if (trash)
		fs_rm_rf(trash, NULL);
	_exit(1);
}

/* Docker's restart policies, decided after each exit. */
static bool should_restart(const struct monitor *m)
{
	const char *p = m->mc->restart_policy;

	if (m->stopping || !p || !strcmp(p, "no") || !*p)
		return false;
	if (!strcmp(p, "on-failure"))
		return m->exit_code != 0 &&
		       (m->mc->restart_max <= 0 || m->restart_count < m->mc->restart_max);
	return !strcmp(p, "always") || !strcmp(p, "unless-stopped");
}

static void announce_start(struct monitor *m)
{
	char buf[32];
	int n;

	update_state(m, STORE_CONTAINER_RUNNING, 0, NULL);
	n = snprintf(buf, sizeof(buf), "%d", (int)m->proc.pid);
	broadcast(m, 'S', buf, (size_t)n);
	/*
	 * Idle from now on, for as long as the container runs: the store's
	 * connection and page cache, and what the CLI we were forked from had
	 * allocated, go back to the system (each monitor's memory is per container).
	 */
	store_suspend(m->store);
	malloc_trim(0);
}

static _noreturn_ void monitor_main(const struct monitor_config *mc, int client)
{
	struct monitor m = {.mc = mc,
			    .out_fd = -1,
			    .err_fd = -1,
			    .in_fd = -1,
			    .sigfd = -1,
			    .epfd = -1,
			    .listen_fd = -1,
			    .proc = {.pty_master = -1}};
	_cleanup_error_ struct berth_error *err = NULL;
	int consecutive = 0;
	char buf[64], *trash;
	int n;

	if (setup_process(&m, client, &err) < 0 || start_container(&m, &err) < 0)
		fail_start(&m, err);
	announce_start(&m);
	for (;;) {
		run_until_exit(&m);
		if (m.log) {
			logfile_flush(m.log, 1);
			logfile_flush(m.log, 2);
		}
		n = snprintf(buf, sizeof(buf), "%d", m.exit_code);
		if (!should_restart(&m))
			break;
		/* a run long enough resets the back-off, as in Docker */
		if (time_now_ns() - m.started_at >= RESTART_RESET_NS)
			consecutive = 0;
		update_state(&m, STORE_CONTAINER_RESTARTING, m.exit_code, NULL);
		broadcast(&m, 'X', buf, (size_t)n);
		serve_for(&m, monitor_restart_delay_ms(consecutive++));
		if (m.stopping)
			break;
		m.restart_count++;
		if (start_container(&m, &err) < 0)
			fail_start(&m, err);
		announce_start(&m);
	}
	logfile_close(m.log);
	if (!mc->auto_remove)
		update_state(&m, STORE_CONTAINER_EXITED, m.exit_code, NULL);
	close(m.listen_fd);
	trash = teardown(&m);
	broadcast(&m, 'X', buf, (size_t)n);
	if (trash)
		fs_rm_rf(trash, NULL);
	_exit(0);
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
