/* Container verbs of the lifecycle: start, stop, restart, kill, wait, pause, unpause,
 * rename, attach, top. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strutil.h"

/* Runs fn for each CONTAINER argument: prints the argument on success, else the error. */
static int for_each(struct store *s, int argc, char **argv, bool print,
		    int (*fn)(struct store *, const char *, void *, struct berth_error **),
		    void *arg)
{
	int rc = 0;

	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		if (fn(s, argv[i], arg, &err) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
		} else if (print) {
			puts(argv[i]);
		}
	}
	return rc;
}

/* Parses no flags but --help; returns -1 when done (help printed or error) with *rc set. */
static int simple_flags(int argc, char **argv, const char *cmd, const char *usage, int min, int *rc)
{
	static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		*rc = c == 'h' ? (puts(usage) < 0) : cli_getopt_error(cmd, argv, optopt, longopts);
		return -1;
	}
	if (argc - optind < min) {
		*rc = cli_usage_error(cmd, "\"%s\" requires at least %d argument%s.\n%s", cmd, min,
				      min == 1 ? "" : "s", usage);
		return -1;
	}
	return 0;
}

static int do_stop(struct store *s, const char *what, void *arg, struct berth_error **err)
{
	const int *timeout = arg;
	return container_stop(s, what, *timeout, NULL, err);
}

static int parse_timeout(const char *v, int *out)
{
	char *end;
	long t = strtol(v, &end, 10);

	if (*end || end == v)
		return -1;
	*out = (int)t;
	return 0;
}

static int stop_or_restart(int argc, char **argv, const char *cmd, bool restart)
{
	static const struct option longopts[] = {
		{"time", required_argument, NULL, 't'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	int c, timeout = -1, rc = 0;

	while ((c = getopt_long(argc, argv, "+t:h", longopts, NULL)) != -1) {
		if (c == 't' && parse_timeout(optarg, &timeout) == 0)
			continue;
		if (c == 't')
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"-t, --time\" flag: "
					       "strconv.ParseInt: parsing \"%s\": invalid syntax",
					       optarg, optarg);
		if (c == 'h')
			return printf("Usage:  berth %s [OPTIONS] CONTAINER [CONTAINER...]\n\n"
				      "Options:\n  -t, --time int   Seconds to wait before killing "
				      "the container\n",
				      cmd) < 0;
		return cli_getopt_error(cmd, argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "\"%s\" requires at least 1 argument.", cmd);
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (!restart)
		return for_each(s, argc, argv, true, do_stop, &timeout);
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		pid_t pid;
		int sock;

		if (container_stop(s, argv[i], timeout, NULL, &err) < 0 ||
		    (sock = container_start(s, argv[i], &pid, &err)) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
			continue;
		}
		close(sock);
		puts(argv[i]);
	}
	return rc;
}

int cmd_stop(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "stop", false);
}

int cmd_restart(int argc, char **argv)
{
	return stop_or_restart(argc, argv, "restart", true);
}

static int do_kill(struct store *s, const char *what, void *arg, struct berth_error **err)
{
	return container_kill(s, what, *(int *)arg, err);
}

int cmd_kill(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"signal", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	int c, sig = SIGKILL;

	while ((c = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		if (c == 's' && (sig = container_parse_signal(optarg)) > 0)
			continue;
		if (c == 's')
			return cli_usage_error("kill", "invalid signal: %s", optarg);
		if (c == 'h')
			return puts("Usage:  berth kill [OPTIONS] CONTAINER [CONTAINER...]\n\n"
				    "Options:\n  -s, --signal string   Signal to send to the "
				    "container") < 0;
		return cli_getopt_error("kill", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("kill", "\"kill\" requires at least 1 argument.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return for_each(s, argc, argv, true, do_kill, &sig);
}

static int do_wait(struct store *s, const char *what, void *arg, struct berth_error **err)
{
	int code;

	(void)arg;
	if (container_wait(s, what, &code, err) < 0)
		return -1;
	printf("%d\n", code);
	fflush(stdout);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	int rc = 0;

	if (simple_flags(argc, argv, "wait", "Usage:  berth wait CONTAINER [CONTAINER...]", 1,
			 &rc) < 0)
		return rc;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return for_each(s, argc, argv, false, do_wait, NULL);
}

static int do_pause(struct store *s, const char *what, void *arg, struct berth_error **err)
{
	return container_pause(s, what, *(bool *)arg, err);
}

static int pause_or_unpause(int argc, char **argv, bool pause)
{
	_cleanup_(store_closep) struct store *s = NULL;
	const char *cmd = pause ? "pause" : "unpause";
	_cleanup_free_ char *usage = xasprintf("Usage:  berth %s CONTAINER [CONTAINER...]", cmd);
	int rc = 0;

	if (simple_flags(argc, argv, cmd, usage, 1, &rc) < 0)
		return rc;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return for_each(s, argc, argv, true, do_pause, &pause);
}

int cmd_pause(int argc, char **argv)
{
	return pause_or_unpause(argc, argv, true);
}

int cmd_unpause(int argc, char **argv)
{
	return pause_or_unpause(argc, argv, false);
}

int cmd_rename(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int rc = 0;

	if (simple_flags(argc, argv, "rename", "Usage:  berth rename CONTAINER NEW_NAME", 2, &rc) <
	    0)
		return rc;
	if (argc - optind != 2)
		return cli_usage_error("rename", "\"rename\" requires exactly 2 arguments.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (container_rename(s, argv[optind], argv[optind + 1], &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	return 0;
}

/* The container's Tty and OpenStdin, for attaching to it. */
static void attach_opts_of(const struct store_container *c, struct attach_opts *ao)
{
	json_auto_t *config = json_loads(c->config, 0, NULL);
	json_t *cfg = json_object_get(config, "Config");

	ao->tty = json_is_true(json_object_get(cfg, "Tty"));
	ao->stdin_on = ao->stdin_on && json_is_true(json_object_get(cfg, "OpenStdin"));
}

static const struct option attach_longopts[] = {
	{"attach", no_argument, NULL, 'a'},
	{"interactive", no_argument, NULL, 'i'},
	{"detach-keys", required_argument, NULL, 'k'},
	{"no-stdin", no_argument, NULL, 'n'},
	{"sig-proxy", optional_argument, NULL, 'p'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Flags of start and attach; returns 0, or -1 with *rc set when the command is done. */
static int attach_flags(int argc, char **argv, const char *cmd, bool *attach,
			struct attach_opts *ao, int *rc)
{
	char keys[16];
	int c;

	while ((c = getopt_long(argc, argv, "+aih", attach_longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			*attach = true;
			break;
		case 'i':
			ao->stdin_on = true;
			break;
		case 'n':
			ao->stdin_on = false;
			break;
		case 'p':
			ao->sig_proxy = !optarg || strcmp(optarg, "false") != 0;
			break;
		case 'k':
			if (cli_parse_detach_keys(optarg, keys, sizeof(keys)) < 0) {
				*rc = cli_usage_error(cmd, "Invalid detach keys (%s) provided",
						      optarg);
				return -1;
			}
			ao->detach_keys = optarg;
			break;
		case 'h':
			*rc = printf("Usage:  berth %s [OPTIONS] CONTAINER%s\n", cmd,
				     strcmp(cmd, "start") ? "" : " [CONTAINER...]") < 0;
			return -1;
		default:
			*rc = cli_getopt_error(cmd, argv, optopt, attach_longopts);
			return -1;
		}
	}
	if (optind >= argc) {
		*rc = cli_usage_error(cmd, "\"%s\" requires at least 1 argument.", cmd);
		return -1;
	}
	return 0;
}

int cmd_start(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	struct attach_opts ao = {.sig_proxy = true};
	bool attach = false;
	int rc = 0;

	if (attach_flags(argc, argv, "start", &attach, &ao, &rc) < 0)
		return rc;
	attach |= ao.stdin_on;
	if (attach && argc - optind > 1)
		return cli_usage_error("start",
				       "you cannot start and attach multiple containers at once");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_(store_container_freep) struct store_container *c = NULL;
		_cleanup_error_ struct berth_error *err = NULL;
		pid_t pid;
		int sock = -1;

		if ((c = container_find(s, argv[i], &err)))
			sock = container_start(s, c->id, &pid, &err);
		if (sock < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = attach && err->kind == BERTH_ERR_NO_COMMAND       ? EXIT_NOT_FOUND
			     : attach && err->kind == BERTH_ERR_CANNOT_EXECUTE ? EXIT_CANNOT_EXECUTE
									       : 1;
			continue;
		}
		if (attach) {
			attach_opts_of(c, &ao);
			return cli_attach(sock, &ao);
		}
		close(sock);
		puts(argv[i]);
	}
	if (rc && !attach)
		fprintf(stderr, "Error: failed to start containers: %s\n", argv[optind]);
	return rc;
}

int cmd_attach(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct attach_opts ao = {.sig_proxy = true, .stdin_on = true};
	bool attach = true;
	int rc = 0, sock;

	if (attach_flags(argc, argv, "attach", &attach, &ao, &rc) < 0)
		return rc;
	if (argc - optind != 1)
		return cli_usage_error("attach", "\"attach\" requires exactly 1 argument.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	c = container_find(s, argv[optind], &err);
	if (c && !container_is_running(c))
		berth_error_setk(&err, BERTH_ERR_CONFLICT, 0,
				 "You cannot attach to a stopped container, start it first");
	if (!c || !container_is_running(c) || (sock = container_connect(s, c, true, &err)) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	attach_opts_of(c, &ao);
	return cli_attach(sock, &ao);
}

/* Runs ps(1) with args and prints its header and the lines of the given pids. */
static int print_ps(char **args, const pid_t *pids, size_t n)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	int pipefd[2], status, pid_col = -1;
	size_t cap = 0;
	pid_t child;

	if (pipe2(pipefd, O_CLOEXEC) < 0 || (child = fork()) < 0)
		return -1;
	if (child == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		execvp("ps", args);
		_exit(127);
	}
	close(pipefd[1]);
	f = fdopen(pipefd[0], "r");
	for (bool header = true; f && getline(&line, &cap, f) > 0; header = false) {
		int col = 0;
		long pid = -1;

		if (header) {
			for (char *w = line; *w; col++) {
				w += strspn(w, " \t");
				if (!strncmp(w, "PID", 3) && (w[3] == ' ' || w[3] == '\n'))
					pid_col = col;
				w += strcspn(w, " \t");
			}
			fputs(line, stdout);
			continue;
		}
		for (char *w = line; *w && col <= pid_col; col++) {
			w += strspn(w, " \t");
			if (col == pid_col)
				pid = strtol(w, NULL, 10);
			w += strcspn(w, " \t");
		}
		for (size_t i = 0; i < n; i++)
			if (pids[i] == pid)
				fputs(line, stdout);
	}
	waitpid(child, &status, 0);
	if (pid_col < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int cmd_top(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	_cleanup_strv_ char **args = NULL;
	size_t n = 0;

	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return puts("Usage:  berth top CONTAINER [ps OPTIONS]") < 0;
	if (argc < 2)
		return cli_usage_error("top", "\"top\" requires at least 1 argument.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	c = container_find(s, argv[1], &err);
	if (c && !container_is_running(c))
		berth_error_setk(&err, BERTH_ERR_CONFLICT, 0, "Container %s is not running", c->id);
	if (!c || !container_is_running(c) || container_pids(s, c, &pids, &n, &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	strv_push(&args, "ps");
	for (int i = 2; i < argc; i++)
		strv_push(&args, argv[i]);
	if (argc == 2)
		strv_push(&args, "-ef");
	if (print_ps(args, pids, n) < 0) {
		fprintf(stderr, "Error response from daemon: ps: the output has no PID column\n");
		return 1;
	}
	return 0;
}

/* container prune: removes every stopped container. */
