/* exec: a command in a running container, attached to this terminal or detached. */
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>

#include "cli/cli.h"
#include "container/container.h"
#include "runtime/caps.h"
#include "runtime/exec.h"
#include "util/fs.h"
#include "util/json.h"
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
	char **env; /* -e and --env-file, in order */
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
	case OPT_DETACH_KEYS:
		/* NEEDSWORK: detach keys; the sequence is accepted and not acted on. */
		break;
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

/*
 * --- the container's side ---------------------------------------------------------------
 * NEEDSWORK: this part belongs in container/ (a container_exec()) for the API
 * service to share.
 */

/* What the process gets from the container: its spec (caps, seccomp, rlimits...). */
struct exec_target {
	struct runtime_spec *spec;
	char **env;
	pid_t pid;
};

static void exec_target_release(struct exec_target *t)
{
	runtime_spec_free(t->spec);
	strv_free(t->env);
}

/* Sets KEY=VALUE in env, replacing an entry of the same key (Docker's ReplaceOrAppendEnvValues). */
static void env_set(char ***env, const char *kv)
{
	size_t k = strcspn(kv, "=");

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, k) == 0 && ((*env)[i][k] == '=' || !(*env)[i][k])) {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	strv_push(env, kv);
}

/* Docker's: PATH, HOSTNAME, TERM with -t, then the container's Env, then -e. */
static char **exec_env(const json_t *cfg, const struct exec_cli *x)
{
	_cleanup_strv_ char **cenv = json_get_strv(cfg, "Env");
	const char *host = json_get_str(cfg, "Hostname");
	char **env = NULL;

	strv_push(&env, "PATH=" RUNTIME_DEFAULT_PATH);
	strv_push_take(&env, xasprintf("HOSTNAME=%s", host ? host : ""));
	if (x->tty)
		strv_push(&env, "TERM=xterm");
	for (size_t i = 0; cenv && cenv[i]; i++)
		env_set(&env, cenv[i]);
	for (size_t i = 0; x->env && x->env[i]; i++)
		env_set(&env, x->env[i]);
	return env;
}

static int check_running(const struct store_container *c, const char *what,
			 struct berth_error **err)
{
	if (c->state == STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Container %s is paused, unpause the container before exec",
					what);
	if (c->state == STORE_CONTAINER_RESTARTING)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Container %s is restarting, wait until the container is "
					"running",
					c->id);
	if (c->state != STORE_CONTAINER_RUNNING || c->pid <= 0)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0, "Container %s is not running",
					c->id);
	return 0;
}

/* The running container x names, its spec, and the process's environment. */
static int exec_prepare(struct store *s, const struct exec_cli *x, struct exec_target *t,
			struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	json_auto_t *config = NULL;

	c = container_find(s, x->container, err);
	if (!c || check_running(c, x->container, err) < 0)
		return -1;
	config = json_parse(c->config, strlen(c->config), "container config", err);
	if (!config)
		return -1;
	t->spec = container_spec(s, c, config, err);
	if (!t->spec)
		return -1;
	t->env = exec_env(json_object_get(config, "Config"), x);
	t->pid = c->pid;
	/* --privileged: every capability berth has and no seccomp, whatever the container's. */
	if (x->privileged) {
		t->spec->caps = caps_current_permitted();
		t->spec->privileged = true;
		t->spec->seccomp = false;
	}
	if (t->spec->seccomp) {
		_cleanup_free_ char *cache = xasprintf("%s/seccomp", s->runroot);
		if (seccomp_build_default_cached(cache, t->spec->caps, &t->spec->bpf, err) < 0)
			return -1;
	}
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
	char in[4096]; /* typed, not yet written to the terminal */
	size_t in_len, in_off;
	bool stdin_open, master_open;
};

static void on_stdin(struct relay *r)
{
	ssize_t n = read(STDIN_FILENO, r->in, sizeof(r->in));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		r->stdin_open = false;
		return;
	}
	r->in_len = (size_t)n;
	r->in_off = 0;
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

	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	if (x->interactive)
		cli_raw_mode();
	while (code < 0)
		code = relay_once(&r);
	cli_restore_terminal();
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

static int run_exec(const struct exec_cli *x, struct exec_target *t)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_close_ int sigfd = -EBADF;
	struct runtime_process proc;
	struct winsize ws = {0};
	bool tty = x->tty && !x->detach;
	struct runtime_exec_opts o = {
		.pid = t->pid,
		.id = t->spec->id,
		.argv = x->argv,
		.env = t->env,
		.cwd = x->workdir && *x->workdir ? x->workdir : t->spec->cwd,
		.user = x->user ? x->user : t->spec->user,
		.caps = t->spec->caps,
		.privileged = t->spec->privileged,
		.seccomp = t->spec->seccomp ? &t->spec->bpf : NULL,
		.no_new_privs = t->spec->no_new_privs,
		.rlimits = t->spec->rlimits,
		.n_rlimits = t->spec->n_rlimits,
		.tty = tty,
		/* NEEDSWORK: -dt runs without a terminal; Docker keeps one open for it. */
		.io = {.in = x->interactive && !x->detach ? STDIN_FILENO : -1,
		       .out = x->detach ? -1 : STDOUT_FILENO,
		       .err = x->detach ? -1 : STDERR_FILENO},
	};

	if (tty && our_winsize(&ws)) {
		o.tty_rows = ws.ws_row;
		o.tty_cols = ws.ws_col;
	}
	/* Blocked before the start: neither the exit nor a signal may slip by. */
	if (!x->detach)
		sigfd = block_signals();
	fflush(stdout);
	if (runtime_exec(&o, &proc, &err) < 0)
		return report_start_error(x, err);
	if (x->detach)
		return 0;
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
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(exec_cli_release) struct exec_cli x = {0};
	_cleanup_(exec_target_release) struct exec_target t = {0};
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
	if (exec_prepare(s, &x, &t, &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return EXIT_EXEC_ERROR;
	}
	/* The store is not needed while the process runs; another berth may use it freely. */
	store_closep(&s);
	return run_exec(&x, &t);
}
