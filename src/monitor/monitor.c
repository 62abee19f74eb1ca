#define LOG_DOMAIN "monitor"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
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

#define MAX_CLIENTS 16

struct monitor {
	const struct monitor_config *mc;
	struct store *store;
	struct cgroup *cg;
	struct logfile *log;
	struct runtime_process proc;
	int epfd, sigfd;
	int out_fd, err_fd; /* our ends of the container's stdout and stderr (or the pty) */
	int in_fd;	    /* our end of the container's stdin (or the pty), -1 if none */
	int clients[MAX_CLIENTS];
	int n_clients;
	bool exited;
	int exit_code;
};

int monitor_send(int sock, char t, const void *data, size_t len)
{
	char buf[MONITOR_MSG_MAX + 1];
	ssize_t n;

	if (len > MONITOR_MSG_MAX)
		len = MONITOR_MSG_MAX;
	buf[0] = t;
	if (len)
		memcpy(buf + 1, data, len);
	do
		n = send(sock, buf, len + 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

static void broadcast(struct monitor *m, char t, const void *data, size_t len)
{
	for (int i = 0; i < m->n_clients; i++) {
		if (monitor_send(m->clients[i], t, data, len) == 0)
			continue;
		/* a client that went away detaches */
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->clients[i], NULL);
		close(m->clients[i]);
		m->clients[i--] = m->clients[--m->n_clients];
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
		logfile_flush(m->log, stream);
		if (m->in_fd == *fd)
			m->in_fd = -1;
		unwatch_close(m, fd);
		return;
	}
	logfile_write(m->log, stream, buf, (size_t)n);
	broadcast(m, (char)('0' + stream), buf, (size_t)n);
}

static void on_client(struct monitor *m, int idx)
{
	char buf[MONITOR_MSG_MAX + 1];
	int fd = m->clients[idx];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, fd, NULL);
		close(fd);
		m->clients[idx] = m->clients[--m->n_clients];
		return;
	}
	buf[n] = '\0';
	switch (buf[0]) {
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

static void event_loop(struct monitor *m)
{
	int64_t deadline = 0;

	while (!m->exited || m->out_fd >= 0 || m->err_fd >= 0) {
		struct epoll_event evs[8];
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
		int n = epoll_wait(m->epfd, evs, ARRAY_SIZE(evs), timeout);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == m->sigfd)
				on_signal(m);
			else if (fd == m->out_fd)
				on_output(m, &m->out_fd, 1);
			else if (fd == m->err_fd)
				on_output(m, &m->err_fd, 2);
			else
				for (int c = 0; c < m->n_clients; c++)
					if (m->clients[c] == fd) {
						on_client(m, c);
						break;
					}
		}
	}
}

static int update_state(struct monitor *m, enum store_container_state state, int exit_code,
			const char *error)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *e = NULL;
	int64_t now = time_now_ns();

	c = store_container_find(m->store, m->mc->id, &e);
	if (!c)
		goto fail;
	c->state = state;
	if (state == STORE_CONTAINER_RUNNING) {
		c->pid = m->proc.pid;
		c->monitor_pid = getpid();
		c->started_at = now;
		c->exit_code = 0;
		free(c->error);
		c->error = xstrdup("");
	} else {
		c->pid = 0;
		c->monitor_pid = 0;
		c->exit_code = exit_code;
		if (state == STORE_CONTAINER_EXITED)
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

/* Removes the container's folders and record (--rm). */
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

	if (!gone || store_container_delete(m->store, m->mc->id, &e) < 0)
		log_error("cannot remove container %s: %s", m->mc->id, e->msg);
	return gone;
}

/* Returns the folder to remove once the clients are told (--rm), or NULL. */
static char *teardown(struct monitor *m)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *rundir = xasprintf("%s/%s", m->mc->runroot, m->mc->id);

	if (m->cg && cgroup_destroy(m->cg, &e) < 0)
		log_warn("cannot remove the cgroup of %s: %s", m->mc->id, e->msg);
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

	m->cg = cgroup_create(m->mc->id, &spec->limits, err);
	if (!m->cg)
		return -1;
	if (spec->seccomp) {
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
	m->clients[m->n_clients++] = client;
	watch(m, client);
	m->store = store_open(m->mc->root, m->mc->runroot, err);
	if (!m->store)
		return -1;
	m->log = logfile_open(m->mc->log_path, err);
	return m->log ? 0 : -1;
}

static _noreturn_ void monitor_main(const struct monitor_config *mc, int client)
{
	struct monitor m = {.mc = mc,
			    .out_fd = -1,
			    .err_fd = -1,
			    .in_fd = -1,
			    .sigfd = -1,
			    .epfd = -1,
			    .proc = {.pty_master = -1}};
	_cleanup_error_ struct berth_error *err = NULL;
	char buf[64], *trash;
	int n;

	if (setup_process(&m, client, &err) < 0 || start_container(&m, &err) < 0) {
		int code = err->kind == BERTH_ERR_NO_COMMAND	   ? 127
			   : err->kind == BERTH_ERR_CANNOT_EXECUTE ? 126
								   : 125;
		char kind = (char)('0' + err->kind);
		_cleanup_free_ char *msg = xasprintf("%c%s", kind, err->msg);

		if (m.store)
			update_state(&m, STORE_CONTAINER_CREATED, code, err->msg);
		trash = teardown(&m);
		broadcast(&m, 'E', msg, strlen(msg));
		if (trash)
			fs_rm_rf(trash, NULL);
		_exit(1);
	}
	update_state(&m, STORE_CONTAINER_RUNNING, 0, NULL);
	n = snprintf(buf, sizeof(buf), "%d", (int)m.proc.pid);
	broadcast(&m, 'S', buf, (size_t)n);
	event_loop(&m);
	logfile_close(m.log);
	if (!mc->auto_remove)
		update_state(&m, STORE_CONTAINER_EXITED, m.exit_code, NULL);
	trash = teardown(&m);
	n = snprintf(buf, sizeof(buf), "%d", m.exit_code);
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
