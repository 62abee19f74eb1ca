/*
 * What a container's init (create.c) and a process exec'd into a running
 * container (exec.c) share: the child's steps before execve and its report
 * to the parent over the sync socket.
 */
#define LOG_DOMAIN "runtime"
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>

#include "runtime/caps.h"
#include "runtime/internal.h"
#include "util/compiler.h"
#include "util/strutil.h"

#define PROCESS_PATH_MAX 4096

int process_send_fd(int sock, char tag, int fd)
{
	char buf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &tag, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = buf,
			     .msg_controllen = sizeof(buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int process_recv_report(int sock, int *fd_out, char *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = len - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return (int)n;
	buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd_out, CMSG_DATA(c), sizeof(int));
	return (int)n;
}

int process_setup_tty(unsigned short rows, unsigned short cols, int sync_fd, struct child_error *ce)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};
	_cleanup_close_ int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	_cleanup_close_ int slave = -EBADF;

	if (master < 0 || unlockpt(master) < 0)
		return child_fail(ce, 0, errno, "open a terminal");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return child_fail(ce, 0, errno, "open the terminal's peer");
	/* The size is right before the process starts; later changes come from the parent. */
	if (ws.ws_row && ws.ws_col && ioctl(master, TIOCSWINSZ, &ws) < 0)
		return child_fail(ce, 0, errno, "set the terminal's size");
	if (process_send_fd(sync_fd, 'T', master) < 0)
		return child_fail(ce, 0, errno, "send the terminal");
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return child_fail(ce, 0, errno, "set the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return child_fail(ce, 0, errno, "dup2");
	return steal_fd(&slave);
}

int process_setup_stdio(const struct runtime_stdio *io, struct child_error *ce)
{
	int fds[3] = {io->in, io->out, io->err};
	_cleanup_close_ int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int i = 0; i < 3; i++) {
		int fd = fds[i] >= 0 ? fds[i] : null;
		if (fd < 0 || (fd == i ? fcntl(fd, F_SETFD, 0) : dup2(fd, i)) < 0)
			return child_fail(ce, 0, errno, "set up standard stream %d", i);
	}
	return 0;
}

int process_set_rlimits(const struct runtime_rlimit *rlimits, size_t n, struct child_error *ce)
{
	for (size_t i = 0; i < n; i++) {
		struct rlimit rl = {.rlim_cur = rlimits[i].soft, .rlim_max = rlimits[i].hard};
		if (setrlimit(rlimits[i].resource, &rl) < 0)
			return child_fail(ce, 0, errno, "setrlimit %d", rlimits[i].resource);
	}
	return 0;
}

const char *process_env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

int process_find_command(const char *argv0, char *const *env, char *out, size_t len,
			 struct child_error *ce)
{
	const char *path = process_env_get(env, "PATH");
	struct stat st;

	if (!*argv0)
		return child_fail(ce, BERTH_ERR_NO_COMMAND, 0,
				  "exec: \"\": executable file not found in $PATH");
	if (strchr(argv0, '/')) {
		if (stat(argv0, &st) < 0)
			return child_fail(ce, BERTH_ERR_NO_COMMAND, 0, "exec: \"%s\": stat %s: %s",
					  argv0, argv0,
					  errno == ENOENT ? "no such file or directory"
							  : strerror(errno));
		snprintf(out, len, "%s", argv0);
		return 0;
	}
	for (const char *p = path ? path : RUNTIME_DEFAULT_PATH; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(out, len, "%.*s/%s", (int)n, n ? p : ".", argv0);
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			return 0;
		p += n + (p[n] == ':');
	}
	return child_fail(ce, BERTH_ERR_NO_COMMAND, 0,
			  "exec: \"%s\": executable file not found in $PATH", argv0);
}

int process_switch_user(uint64_t caps, bool keep_bounding, const struct child_user *u,
			struct child_error *ce)
{
	struct berth_error *e = NULL;
	int r;

	if (!keep_bounding && caps_drop_bounding(caps, NULL) < 0)
		return child_fail(ce, 0, errno, "drop capabilities from the bounding set");
	if (setgroups((size_t)u->n_groups, u->groups) < 0 || setresgid(u->gid, u->gid, u->gid) < 0)
		return child_fail(ce, 0, errno, "set groups");
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return child_fail(ce, 0, errno, "set user %u", (unsigned)u->uid);
	/* A non-root user starts with empty effective and permitted sets, as in Docker. */
	r = u->uid == 0 ? caps_set_process(caps, caps, 0, &e) : caps_set_process(0, 0, 0, &e);
	if (r < 0) {
		berth_error_free(e);
		return child_fail(ce, 0, errno, "set capabilities");
	}
	return 0;
}

char **process_env_with_home(char *const *env, const struct child_user *u)
{
	char **r = strv_dup(env);

	if (!process_env_get(env, "HOME"))
		strv_push_take(&r, xasprintf("HOME=%s", u->home));
	return r;
}

int process_load_seccomp(const struct seccomp_bpf *bpf, struct child_error *ce)
{
	if (!bpf)
		return 0;
	if (seccomp_bpf_load(bpf, NULL) < 0)
		return child_fail(ce, 0, errno, "load the seccomp profile");
	return 0;
}

int process_execve(const char *path, char *const *argv, char *const *env, struct child_error *ce)
{
	execve(path, argv, env);
	return child_fail(ce, errno == ENOENT ? BERTH_ERR_NO_COMMAND : BERTH_ERR_CANNOT_EXECUTE, 0,
			  "exec: \"%s\": %s", argv[0],
			  errno == EACCES ? "permission denied" : strerror(errno));
}

void process_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void process_child_exit(int sync_fd, const struct child_error *ce)
{
	char buf[sizeof(ce->msg) + 2];
	int n = snprintf(buf, sizeof(buf), "E%c%s", '0' + ce->kind, ce->msg);

	if (write(sync_fd, buf, (size_t)n) < 0) {
		/* the parent is gone: nobody to tell */
	}
	_exit(ce->kind == BERTH_ERR_NO_COMMAND	     ? 127
	      : ce->kind == BERTH_ERR_CANNOT_EXECUTE ? 126
						     : 125);
}
