/* exec: flags, the terminal and signals; container_exec_*() does the rest. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/fs.h"
#include "util/strutil.h"

enum {
	OPT_ENV_FILE = 256,
	OPT_PRIVILEGED,
	OPT_DETACH_KEYS,
};

static const struct option exec_longopts[] = {
	{"detach", no_argument, NULL, 'd'},
	{"interactive", no_argument, NULL, 'i'},
	{"tty", no_argument, NULL, 't'},
	{"env", required_argument, NULL, 'e'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"user", required_argument, NULL, 'u'},
	{"workdir", required_argument, NULL, 'w'},
	{"privileged", no_argument, NULL, OPT_PRIVILEGED},
	{"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
	{"help", no_argument, NULL, 'H'},
	{NULL, 0, NULL, 0},
};

/* Exit code of the CLI for errors of the engine before the process starts, as docker exec's. */
#define EXIT_EXEC_ERROR 1

struct exec_cli {
	bool detach, interactive, tty, privileged;
	const char *user, *workdir, *container;
	const char *detach_keys; /* NULL: Docker's ctrl-p,ctrl-q */
	char **env;		 /* -e and --env-file, in order */
	char **argv;
};

static void exec_cli_release(struct exec_cli *x)
{
	strv_free(x->env);
}

static void add_env(void *ctx, const char *e)
{
	struct exec_cli *x = ctx;
	char *entry = cli_env_entry(e);

	if (entry)
		strv_push_take(&x->env, entry);
}

static int exec_usage(void)
{
	puts("Usage:  berth exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\n"
	     "Execute a command in a running container\n\n"
	     "Options:\n"
	     "  -d, --detach               Detached mode: run command in the background\n"
	     "      --detach-keys string   Override the key sequence for detaching a container\n"
	     "  -e, --env list             Set environment variables\n"
	     "      --env-file list        Read in a file of environment variables\n"
	     "  -i, --interactive          Keep STDIN open even if not attached\n"
	     "      --privileged           Give extended privileges to the command\n"
	     "  -t, --tty                  Allocate a pseudo-TTY\n"
	     "  -u, --user string          Username or UID (format: \"<name|uid>[:<group|gid>]\")\n"
	     "  -w, --workdir string       Working directory inside the container");
	return 0;
}

static int parse_opt(struct exec_cli *x, int c, char **argv)
{
	switch (c) {
	case 'd':
		x->detach = true;
		break;
	case 'i':
		x->interactive = true;
		break;
	case 't':
		x->tty = true;
		break;
	case 'e':
		add_env(x, optarg);
		break;
	case OPT_ENV_FILE:
		return cli_env_file("exec", optarg, add_env, x);
	case 'u':
		x->user = optarg;
		break;
	case 'w':
		x->workdir = optarg;
		break;
	case OPT_PRIVILEGED:
		x->privileged = true;
		break;
	case OPT_DETACH_KEYS: {
		char keys[16];
		if (cli_parse_detach_keys(optarg, keys, sizeof(keys)) < 0) {
			fprintf(stderr, "Invalid detach keys (%s) provided\n", optarg);
			return EXIT_ENGINE;
		}
		x->detach_keys = optarg;
		break;
	}
	case 'H':
		exit(exec_usage());
	default:
		return cli_getopt_error("exec", argv, optopt, exec_longopts);
	}
	return 0;
}

static int parse_exec(struct exec_cli *x, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "+dite:u:w:", exec_longopts, NULL)) != -1)
		if (parse_opt(x, c, argv) != 0)
			return EXIT_ENGINE;
	if (argc - optind < 2)
		return cli_usage_error(
			"exec", "\"exec\" requires at least 2 arguments.\nUsage:  berth exec "
				"[OPTIONS] CONTAINER COMMAND [ARG...]");
	x->container = argv[optind];
	x->argv = argv + optind + 1;
	return 0;
}

/* --- the terminal ---------------------------------------------------------------------- */

static bool our_winsize(struct winsize *ws)
{
	return ioctl(STDOUT_FILENO, TIOCGWINSZ, ws) == 0 ||
	       ioctl(STDIN_FILENO, TIOCGWINSZ, ws) == 0;
}

/* Signals the process gets from us; with a terminal, SIGWINCH resizes its terminal. */
static const int proxied[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static int block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	for (size_t i = 0; i < ARRAY_SIZE(proxied); i++)
		sigaddset(&mask, proxied[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	return signalfd(-1, &mask, SFD_CLOEXEC);
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* One signal: forwarded, a resize, or the process's exit (its exit code, else -1). */
static int on_signal(int sigfd, pid_t pid, int master)
{
	struct signalfd_siginfo si;
	struct winsize ws;
	int status;

	if (read(sigfd, &si, sizeof(si)) != sizeof(si))
		return -1;
	if (si.ssi_signo == SIGCHLD) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return exit_code(status);
	} else if (si.ssi_signo == SIGWINCH) {
		if (master >= 0 && our_winsize(&ws))
			ioctl(master, TIOCSWINSZ, &ws);
	} else {
		kill(pid, (int)si.ssi_signo);
	}
	return -1;
}

/* Without a terminal the process has our streams: only signals and its exit to wait for. */
static int wait_process(int sigfd, pid_t pid)
{
	int code = -1;

	while (code < 0) {
		struct pollfd p = {.fd = sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (p.revents)
			code = on_signal(sigfd, pid, -1);
	}
	return code < 0 ? EXIT_ENGINE : code;
}

/* Copies what the terminal has; false once it is closed (EIO: no process holds it). */
static bool copy_out(int master)
{
	char buf[8192];
	ssize_t n = read(master, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0)
		return false;
	fs_write_all(STDOUT_FILENO, buf, (size_t)n);
	return true;
}

/* After the exit: what is left in the terminal, until it closes or stays quiet a moment. */
static void drain(int master)
{
	struct pollfd p = {.fd = master, .events = POLLIN};

	while (poll(&p, 1, 100) > 0 && copy_out(master))
		;
}

struct relay {
	int master, sigfd;
	pid_t pid;
	char in[4096 + sizeof(((struct cli_detach *)0)->keys)]; /* typed, not yet written */
	size_t in_len, in_off;
	bool stdin_open, master_open;
	struct cli_detach keys;
	bool detached;
};

static void on_stdin(struct relay *r)
{
	char buf[4096];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		r->stdin_open = false;
		return;
	}
	r->in_len = cli_detach_filter(&r->keys, buf, (size_t)n, r->in, &r->detached);
	r->in_off = 0;
}

/*
 * The terminal of a process that runs on without us (exec -dt, or detached
 * from exec -it): a small child of ours, in its own session, holds its master
 * side and discards the output until the process and its children are gone,
 * so that the process keeps its terminal as Docker's daemon keeps it.
 */
static void hold_terminal(int master)
{
	pid_t pid = fork();

	if (pid != 0) /* the parent, or no child: the process loses its terminal */
		return;
	setsid();
	signal(SIGHUP, SIG_IGN);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) & ~O_NONBLOCK);
	for (int fd = 0; fd < 3; fd++) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0 && null != fd) {
			dup2(null, fd);
			close(null);
		}
	}
	for (char buf[4096]; read(master, buf, sizeof(buf)) > 0 || errno == EINTR;)
		;
	_exit(0);
}

static void flush_in(struct relay *r)
{
	ssize_t n = write(r->master, r->in + r->in_off, r->in_len - r->in_off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		r->in_len = r->in_off = 0;
		return;
	}
	r->in_off += (size_t)n;
	if (r->in_off == r->in_len)
		r->in_len = r->in_off = 0;
}

/* One round of the relay; the exit code once the process exited, else -1. */
static int relay_once(struct relay *r)
{
	struct pollfd fds[3] = {
		{.fd = r->sigfd, .events = POLLIN},
		{.fd = r->master_open ? r->master : -1,
		 .events = (short)(POLLIN | (r->in_len ? POLLOUT : 0))},
		{.fd = r->stdin_open && !r->in_len ? STDIN_FILENO : -1, .events = POLLIN},
	};
	int code = -1;

	if (poll(fds, ARRAY_SIZE(fds), -1) < 0)
		return errno == EINTR ? -1 : EXIT_ENGINE;
	if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
		r->master_open = copy_out(r->master);
	if (r->master_open && (fds[1].revents & POLLOUT))
		flush_in(r);
	if (fds[2].revents)
		on_stdin(r);
	if (fds[0].revents)
		code = on_signal(r->sigfd, r->pid, r->master);
	if (code >= 0 && r->master_open)
		drain(r->master);
	return code;
}

static int relay_tty(const struct exec_cli *x, int master, int sigfd, pid_t pid)
{
	struct relay r = {.master = master,
			  .sigfd = sigfd,
			  .pid = pid,
			  .stdin_open = x->interactive,
			  .master_open = true};
	int code = -1;

	cli_detach_init(&r.keys, x->detach_keys);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	if (x->interactive)
		cli_raw_mode();
	while (code < 0 && !r.detached)
		code = relay_once(&r);
	if (r.in_len) /* what came before the detach keys */
		fs_write_all(master, r.in + r.in_off, r.in_len - r.in_off);
	cli_restore_terminal();
	if (r.detached) {
		hold_terminal(master);
		return 0;
	}
	return code;
}

/* --- the verb -------------------------------------------------------------------------- */

/*
 * Docker writes the errors of an attached exec's start to its stdout, the
 * runtime's wrapped as the OCI runtime's; an unknown user comes from the daemon.
 */
static int report_start_error(const struct exec_cli *x, const struct berth_error *err)
{
	int code = err->kind == BERTH_ERR_NO_COMMAND ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
	_cleanup_free_ char *msg =
		err->kind == BERTH_ERR_INVALID
			? xstrdup(err->msg)
			: xasprintf(
				  "OCI runtime exec failed: exec failed: unable to start container "
				  "process: %s: unknown",
				  err->msg);

	if (x->detach) {
		fprintf(stderr, "Error response from daemon: %s\n", msg);
		return EXIT_EXEC_ERROR;
	}
	printf("%s\r\n", msg);
	fflush(stdout);
	return code;
}

static int run_exec(struct store *s, const struct exec_cli *x)
{
	_cleanup_(container_exec_freep) struct container_exec *e = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int sigfd = -EBADF;
	struct runtime_process proc;
	struct winsize ws = {0};
	bool tty = x->tty;
	struct container_exec_opts o = {
		.container = x->container,
		.argv = x->argv,
		.env = x->env,
		.user = x->user,
		.workdir = x->workdir,
		.privileged = x->privileged,
		.tty = tty,
		.io = {.in = x->interactive && !x->detach ? STDIN_FILENO : -1,
		       .out = x->detach ? -1 : STDOUT_FILENO,
		       .err = x->detach ? -1 : STDERR_FILENO},
	};

	if (tty && our_winsize(&ws)) {
		o.tty_rows = ws.ws_row;
		o.tty_cols = ws.ws_col;
	}
	e = container_exec_prepare(s, &o, &err);
	if (!e) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return EXIT_EXEC_ERROR;
	}
	/* The store is not needed while the process runs; another berth may use it freely. */
	store_suspend(s);
	/* Blocked before the start: neither the exit nor a signal may slip by. */
	if (!x->detach)
		sigfd = block_signals();
	fflush(stdout);
	if (container_exec_start(e, &proc, &err) < 0)
		return report_start_error(x, err);
	if (x->detach) {
		if (proc.pty_master >= 0) {
			hold_terminal(proc.pty_master);
			close(proc.pty_master);
		}
		return 0;
	}
	if (proc.pty_master >= 0) {
		int code = relay_tty(x, proc.pty_master, sigfd, proc.pid);
		close(proc.pty_master);
		return code;
	}
	return wait_process(sigfd, proc.pid);
}

int cmd_exec(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(exec_cli_release) struct exec_cli x = {0};
	int r = parse_exec(&x, argc, argv);

	if (r != 0)
		return r;
	if (x.interactive && x.tty && !x.detach && !isatty(STDIN_FILENO)) {
		fputs("the input device is not a TTY\n", stderr);
		return EXIT_EXEC_ERROR;
	}
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	return run_exec(s, &x);
}
