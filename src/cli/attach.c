/* Relaying a container's streams between this terminal and its monitor. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>

#include "cli/cli.h"
#include "monitor/monitor.h"
#include "util/fs.h"

static struct termios saved_termios;
static bool termios_saved;

void cli_restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
}

void cli_raw_mode(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	termios_saved = true;
	atexit(cli_restore_terminal);
	t = saved_termios;
	cfmakeraw(&t);
	t.c_oflag = saved_termios.c_oflag; /* keep output processing, as docker does */
	tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
}

static void send_winsize(int sock)
{
	struct winsize ws;
	char buf[32];
	int n;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%hu %hu", ws.ws_row, ws.ws_col);
	monitor_send(sock, 'W', buf, (size_t)n);
}

static int signal_fd(const struct attach_opts *o)
{
	static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	sigset_t mask;

	sigemptyset(&mask);
	if (o->tty)
		sigaddset(&mask, SIGWINCH);
	for (size_t i = 0; o->sig_proxy && !o->tty && i < ARRAY_SIZE(proxied); i++)
		sigaddset(&mask, proxied[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static void on_signal(int sigfd, int sock)
{
	struct signalfd_siginfo si;
	char buf[16];

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		send_winsize(sock);
		return;
	}
	int n = snprintf(buf, sizeof(buf), "%u", si.ssi_signo);
	monitor_send(sock, 'K', buf, (size_t)n);
}

/* One message from the monitor; returns the exit code once 'X' arrives, else -1. */
static int on_message(int sock, bool *closed)
{
	char buf[MONITOR_MSG_MAX + 2];
	ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);

	if (n < 0 && errno == EINTR)
		return -1;
	if (n <= 0) {
		*closed = true;
		return -1;
	}
	buf[n] = '\0';
	if (buf[0] == '1')
		fs_write_all(STDOUT_FILENO, buf + 1, (size_t)n - 1);
	else if (buf[0] == '2')
		fs_write_all(STDERR_FILENO, buf + 1, (size_t)n - 1);
	else if (buf[0] == 'X')
		return atoi(buf + 1);
	return -1;
}

int cli_parse_detach_keys(const char *spec, char *keys, size_t max)
{
	size_t n = 0;

	for (const char *p = spec; *p && n < max;) {
		size_t len = strcspn(p, ",");

		if (len == 1)
			keys[n++] = p[0];
		else if (len == 6 && !strncmp(p, "ctrl-", 5) &&
			 ((p[5] >= 'a' && p[5] <= 'z') || strchr("@[\\]^_", p[5])))
			keys[n++] = (char)(p[5] == '@' ? 0 : (p[5] & 0x1f));
		else
			return -1;
		p += len + (p[len] == ',');
	}
	return n ? (int)n : -1;
}

int cli_detach_init(struct cli_detach *d, const char *spec)
{
	int n = cli_parse_detach_keys(spec ? spec : "ctrl-p,ctrl-q", d->keys, sizeof(d->keys));

	d->n_keys = n > 0 ? (size_t)n : 0;
	d->matched = 0;
	return n;
}

size_t cli_detach_filter(struct cli_detach *d, const char *in, size_t n, char *out, bool *detached)
{
	size_t o = 0;

	*detached = false;
	for (size_t i = 0; i < n; i++) {
		if (d->n_keys && in[i] == d->keys[d->matched]) {
			if (++d->matched == d->n_keys) {
				*detached = true;
				return o;
			}
			continue;
		}
		/* not the sequence after all: what was held back goes on */
		memcpy(out + o, d->keys, d->matched);
		o += d->matched;
		d->matched = 0;
		out[o++] = in[i];
	}
	return o;
}

/* Returns true when the user detached. */
static bool on_stdin(int sock, struct pollfd *p, struct cli_detach *d)
{
	char buf[MONITOR_MSG_MAX], out[MONITOR_MSG_MAX + sizeof(d->keys)];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	bool detached;
	size_t o;

	if (n < 0 && errno == EINTR)
		return false;
	if (n <= 0) {
		monitor_send(sock, 'C', NULL, 0);
		p->fd = -1;
		return false;
	}
	o = cli_detach_filter(d, buf, (size_t)n, out, &detached);
	if (o)
		monitor_send(sock, '0', out, o);
	return detached;
}

int cli_attach(int sock, const struct attach_opts *o)
{
	struct pollfd fds[3] = {
		{.fd = sock, .events = POLLIN},
		{.fd = o->stdin_on ? STDIN_FILENO : -1, .events = POLLIN},
		{.fd = signal_fd(o), .events = POLLIN},
	};
	struct cli_detach st;
	bool closed = false, detached = false;
	int code = -1;

	cli_detach_init(&st, o->detach_keys);
	if (o->tty) {
		if (o->stdin_on)
			cli_raw_mode();
		send_winsize(sock);
	}
	while (code < 0 && !closed && !detached) {
		if (poll(fds, ARRAY_SIZE(fds), -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[0].revents)
			code = on_message(sock, &closed);
		if (code < 0 && fds[1].fd >= 0 && fds[1].revents)
			detached = on_stdin(sock, &fds[1], &st);
		if (fds[2].fd >= 0 && fds[2].revents)
			on_signal(fds[2].fd, sock);
	}
	cli_restore_terminal();
	close(sock);
	if (detached)
		return 0;
	if (code < 0) {
		fputs("berth: lost the connection to the container's monitor\n", stderr);
		return EXIT_ENGINE;
	}
	return code;
}
