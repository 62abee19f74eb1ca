#define LOG_DOMAIN "monitor"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

#include "monitor/relay.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

/* After the init exits, its namespace's last writers get this long to finish. */
#define DRAIN_NS (2LL * 1000000000LL)

void relay_init(struct relay *r)
{
	*r = (struct relay){.epfd = -1,
			    .sigfd = -1,
			    .listen_fd = -1,
			    .out_fd = -1,
			    .err_fd = -1,
			    .in_fd = -1,
			    .pty_master = -1,
			    .diag_fd = -1};
}

int relay_send(int sock, char t, const void *data, size_t len, int flags)
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

void relay_watch(struct relay *r, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
	epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void relay_unwatch_close(struct relay *r, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static void drop_client(struct relay *r, int idx)
{
	relay_unwatch_close(r, &r->clients[idx].fd);
	r->clients[idx] = r->clients[--r->n_clients];
}

void relay_add_client(struct relay *r, int fd, bool output)
{
	if (r->n_clients == RELAY_MAX_CLIENTS) {
		close(fd);
		return;
	}
	r->clients[r->n_clients++] = (struct relay_client){.fd = fd, .output = output};
	relay_watch(r, fd);
}

void relay_broadcast(struct relay *r, char t, const void *data, size_t len)
{
	bool output = t == '1' || t == '2';

	for (int i = 0; i < r->n_clients; i++) {
		if (output && !r->clients[i].output)
			continue;
		if (relay_send(r->clients[i].fd, t, data, len, MSG_DONTWAIT) == 0 ||
		    (output && errno == EAGAIN))
			continue;
		/* a client that went away, or too stuck to take even this, detaches */
		drop_client(r, i--);
	}
}

/* Container output: to the log and to every attached client. */
static void on_output(struct relay *r, int *fd, int stream)
{
	char buf[MONITOR_MSG_MAX];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) { /* EOF, or EIO from a terminal whose last user closed it */
		if (r->log)
			logfile_flush(r->log, stream);
		if (r->in_fd == *fd)
			r->in_fd = -1;
		if (r->pty_master == *fd)
			r->pty_master = -1;
		relay_unwatch_close(r, fd);
		return;
	}
	if (r->log)
		logfile_write(r->log, stream, buf, (size_t)n);
	relay_broadcast(r, (char)('0' + stream), buf, (size_t)n);
}

static void on_accept(struct relay *r)
{
	int fd;

	while ((fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
		relay_add_client(r, fd, false);
}

static void on_client(struct relay *r, int idx)
{
	char buf[MONITOR_MSG_MAX + 1];
	ssize_t n = recv(r->clients[idx].fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop_client(r, idx);
		return;
	}
	buf[n] = '\0';
	switch (buf[0]) {
	case 'A':
		r->clients[idx].output = true;
		break;
	case 'P':
		r->stopping = true;
		break;
	case '0':
		if (r->in_fd >= 0 && fs_write_all(r->in_fd, buf + 1, (size_t)n - 1) < 0)
			log_warn_errno(errno, "write to the container's stdin");
		break;
	case 'C':
		if (r->in_fd >= 0 && r->in_fd != r->pty_master) {
			close(r->in_fd);
			r->in_fd = -1;
		}
		break;
	case 'W': {
		struct winsize ws = {0};
		if (r->pty_master >= 0 && sscanf(buf + 1, "%hu %hu", &ws.ws_row, &ws.ws_col) == 2)
			ioctl(r->pty_master, TIOCSWINSZ, &ws);
		break;
	}
	case 'K':
		if (!r->exited && r->pid > 0)
			kill(r->pid, atoi(buf + 1));
		break;
	}
}

static void on_signal(struct relay *r)
{
	struct signalfd_siginfo si;
	int status;

	while (read(r->sigfd, &si, sizeof(si)) == sizeof(si))
		;
	for (pid_t p; (p = waitpid(-1, &status, WNOHANG)) > 0;) {
		if (p != r->pid)
			continue;
		r->exited = true;
		r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
}

void relay_dispatch(struct relay *r, int timeout_ms)
{
	struct epoll_event evs[8];
	int n = epoll_wait(r->epfd, evs, ARRAY_SIZE(evs), timeout_ms);

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		if (fd == r->sigfd)
			on_signal(r);
		else if (fd == r->out_fd)
			on_output(r, &r->out_fd, 1);
		else if (fd == r->err_fd)
			on_output(r, &r->err_fd, 2);
		else if (fd == r->listen_fd)
			on_accept(r);
		else
			for (int c = 0; c < r->n_clients; c++)
				if (r->clients[c].fd == fd) {
					on_client(r, c);
					break;
				}
	}
}

static int timeout_until(int64_t deadline, int64_t now)
{
	return (int)((deadline - now) / 1000000) + 1;
}

int relay_run(struct relay *r, int64_t until_ns)
{
	int64_t drained_by = 0;

	while (!r->exited || r->out_fd >= 0 || r->err_fd >= 0) {
		int64_t now = time_now_ns();
		int timeout = -1;

		if (r->exited) {
			if (!drained_by)
				drained_by = now + DRAIN_NS;
			if (now >= drained_by)
				break;
			timeout = timeout_until(drained_by, now);
		} else if (until_ns) {
			if (now >= until_ns)
				return 1;
			timeout = timeout_until(until_ns, now);
		}
		relay_dispatch(r, timeout);
	}
	relay_unwatch_close(r, &r->out_fd);
	relay_unwatch_close(r, &r->err_fd);
	if (r->in_fd >= 0 && r->in_fd != r->pty_master)
		close(r->in_fd);
	if (r->pty_master >= 0)
		close(r->pty_master);
	r->in_fd = r->pty_master = -1;
	return 0;
}

static void add_hex(struct strbuf *out, const char *key, const struct strbuf *data)
{
	static const char digits[] = "0123456789abcdef";

	strbuf_addf(out, "%s=", key);
	for (size_t i = 0; data && i < data->len; i++) {
		unsigned char c = (unsigned char)data->buf[i];
		strbuf_addch(out, digits[c >> 4]);
		strbuf_addch(out, digits[c & 15]);
	}
	strbuf_addch(out, '\n');
}

void relay_export(const struct relay *r, struct strbuf *out)
{
	strbuf_addf(out, "fds=%d %d %d %d %d %d %d\n", r->epfd, r->sigfd, r->listen_fd, r->out_fd,
		    r->err_fd, r->in_fd, r->pty_master);
	strbuf_addf(out, "pid=%d\nexited=%d %d\nstopping=%d\n", (int)r->pid, r->exited,
		    r->exit_code, r->stopping);
	strbuf_addf(out, "restarts=%d\nstarted=%lld\n", r->restart_count, (long long)r->started_at);
	strbuf_addstr(out, "clients=");
	for (int i = 0; i < r->n_clients; i++)
		strbuf_addf(out, "%s%d:%d", i ? " " : "", r->clients[i].fd, r->clients[i].output);
	strbuf_addf(out, "\ndiag=%d\nid=%s\n", r->diag_fd, r->id);
	/* paths run to the end of their line, whatever they hold */
	strbuf_addf(out, "root=%s\nrunroot=%s\nexe=%s\n", r->root, r->runroot, r->exe);
	if (r->log) {
		strbuf_addf(out, "logopts=%lld %d\n", r->log_opts.max_size, r->log_opts.max_files);
		add_hex(out, "partial1", logfile_partial(r->log, 1));
		add_hex(out, "partial2", logfile_partial(r->log, 2));
		strbuf_addf(out, "log=%s\n", r->log_path);
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes hex in place; returns the length, -1 when it is not hex. */
static ssize_t unhex(char *s, size_t len)
{
	size_t n = 0;

	if (len % 2)
		return -1;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		s[n++] = (char)(hi << 4 | lo);
	}
	return (ssize_t)n;
}

static int import_clients(struct relay *r, const char *v)
{
	int fd, output, used;

	while (*v) {
		if (sscanf(v, "%d:%d%n", &fd, &output, &used) != 2 ||
		    r->n_clients == RELAY_MAX_CLIENTS)
			return -1;
		r->clients[r->n_clients++] = (struct relay_client){.fd = fd, .output = output};
		v += used;
		v += strspn(v, " ");
	}
	return 0;
}

/* One "key=value" line; -1 for a malformed value. */
static int import_line(struct relay *r, const char *key, char *v, size_t vlen,
		       struct strbuf partial[3])
{
	int a, b;
	long long ll;

	if (!strcmp(key, "fds"))
		return sscanf(v, "%d %d %d %d %d %d %d", &r->epfd, &r->sigfd, &r->listen_fd,
			      &r->out_fd, &r->err_fd, &r->in_fd, &r->pty_master) == 7
			       ? 0
			       : -1;
	if (!strcmp(key, "pid"))
		return sscanf(v, "%d", &a) == 1 && a > 0 ? (r->pid = a, 0) : -1;
	if (!strcmp(key, "exited"))
		return sscanf(v, "%d %d", &a, &b) == 2 ? (r->exited = a, r->exit_code = b, 0) : -1;
	if (!strcmp(key, "stopping"))
		return sscanf(v, "%d", &a) == 1 ? (r->stopping = a, 0) : -1;
	if (!strcmp(key, "restarts"))
		return sscanf(v, "%d", &r->restart_count) == 1 ? 0 : -1;
	if (!strcmp(key, "started"))
		return sscanf(v, "%lld", &ll) == 1 ? (r->started_at = ll, 0) : -1;
	if (!strcmp(key, "clients"))
		return import_clients(r, v);
	if (!strcmp(key, "diag"))
		return sscanf(v, "%d", &r->diag_fd) == 1 ? 0 : -1;
	if (!strcmp(key, "id"))
		return r->id = xstrdup(v), 0;
	if (!strcmp(key, "root"))
		return r->root = xstrdup(v), 0;
	if (!strcmp(key, "runroot"))
		return r->runroot = xstrdup(v), 0;
	if (!strcmp(key, "exe"))
		return r->exe = xstrdup(v), 0;
	if (!strcmp(key, "log"))
		return r->log_path = xstrdup(v), 0;
	if (!strcmp(key, "logopts"))
		return sscanf(v, "%lld %d", &r->log_opts.max_size, &r->log_opts.max_files) == 2
			       ? 0
			       : -1;
	if (!strcmp(key, "partial1") || !strcmp(key, "partial2")) {
		ssize_t n = unhex(v, vlen);
		if (n < 0)
			return -1;
		strbuf_add(&partial[key[7] - '0'], v, (size_t)n);
		return 0;
	}
	return 0; /* a key of a newer berth: not ours to refuse */
}

/* Each key once: a state that repeats one is malformed. */
static bool seen_before(struct strbuf *seen, const char *key)
{
	_cleanup_free_ char *needle = xasprintf(" %s ", key);

	if (seen->len && strstr(seen->buf, needle))
		return true;
	strbuf_addstr(seen, needle);
	return false;
}

static bool is_open(int fd)
{
	return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

int relay_import(struct relay *r, const char *state)
{
	_cleanup_free_ char *copy = xstrdup(state);
	struct strbuf partial[3] = {STRBUF_INIT, STRBUF_INIT, STRBUF_INIT};
	struct strbuf seen = STRBUF_INIT; /* " key " for each key read */
	char *line = copy, *next;
	int ret = 0;

	for (; ret == 0 && line && *line; line = next) {
		char *eq, *nl = strchr(line, '\n');
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		eq = strchr(line, '=');
		if (!eq) {
			ret = -1;
			break;
		}
		*eq = '\0';
		ret = seen_before(&seen, line)
			      ? -1
			      : import_line(r, line, eq + 1, strlen(eq + 1), partial);
	}
	strbuf_release(&seen);
	if (ret == 0 && (!is_open(r->epfd) || !is_open(r->sigfd) || r->pid <= 0 || !r->id ||
			 !r->root || !r->runroot || !r->exe))
		ret = -1;
	if (ret == 0 && r->log_path) {
		_cleanup_error_ struct berth_error *err = NULL;
		r->log = logfile_open(r->log_path, &r->log_opts, &err);
		if (!r->log)
			log_error("%s", err->msg);
		for (int s = 1; r->log && s <= 2; s++)
			logfile_write(r->log, s, partial[s].buf, partial[s].len);
	}
	for (int i = 0; i < 3; i++)
		strbuf_release(&partial[i]);
	if (ret < 0) {
		const char **owned[] = {&r->id, &r->root, &r->runroot, &r->exe, &r->log_path};
		for (size_t i = 0; i < ARRAY_SIZE(owned); i++) {
			free((char *)*owned[i]);
			*owned[i] = NULL;
		}
	}
	return ret;
}

static void set_cloexec(int fd, bool cloexec)
{
	int flags = fd >= 0 ? fcntl(fd, F_GETFD) : -1;

	if (flags >= 0)
		fcntl(fd, F_SETFD, cloexec ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC);
}

void relay_set_cloexec(const struct relay *r, bool cloexec)
{
	const int fds[] = {r->epfd,   r->sigfd, r->listen_fd,  r->out_fd,
			   r->err_fd, r->in_fd, r->pty_master, r->diag_fd};

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		set_cloexec(fds[i], cloexec);
	for (int i = 0; i < r->n_clients; i++)
		set_cloexec(r->clients[i].fd, cloexec);
}
