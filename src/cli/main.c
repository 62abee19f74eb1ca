/* berth: the CLI. A table of verbs; each parses its options and calls the library. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"
#include "config.h"
#include "container/container.h"
#include "monitor/relay.h"
#include "util/log.h"
#include "util/proctitle.h"
#include "util/strutil.h"

struct cli_globals cli_globals;

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct verb verbs[] = {
	{"run", cmd_run, "Create and run a new container from an image"},
	{"create", cmd_create, "Create a new container"},
	{"import", cmd_import, "Import the contents from a tarball to create a filesystem image"},
	{"save", cmd_save,
	 "Save one or more images to a tar archive (streamed to STDOUT by default)"},
	{"load", cmd_load, "Load an image from a tar archive or STDIN"},
	{"images", cmd_images, "List images"},
	{"rmi", cmd_rmi, "Remove one or more images"},
	{"ps", cmd_ps, "List containers"},
	{"start", cmd_start, "Start one or more stopped containers"},
	{"stop", cmd_stop, "Stop one or more running containers"},
	{"restart", cmd_restart, "Restart one or more containers"},
	{"kill", cmd_kill, "Kill one or more running containers"},
	{"wait", cmd_wait, "Block until one or more containers stop, then print their exit codes"},
	{"pause", cmd_pause, "Pause all processes within one or more containers"},
	{"unpause", cmd_unpause, "Unpause all processes within one or more containers"},
	{"rename", cmd_rename, "Rename a container"},
	{"attach", cmd_attach,
	 "Attach local standard input, output, and error streams to a running container"},
	{"top", cmd_top, "Display the running processes of a container"},
	{"exec", cmd_exec, "Execute a command in a running container"},
	{"logs", cmd_logs, "Fetch the logs of a container"},
	{"port", cmd_port, "List port mappings or a specific mapping for the container"},
	{"inspect", cmd_inspect, "Return low-level information on Docker objects"},
	{"container-inspect", cmd_container_inspect, NULL},
	{"image-inspect", cmd_image_inspect, NULL},
	{"image-dockerfile", cmd_image_dockerfile, NULL},
	{"container-prune", cmd_container_prune, NULL},
	{"network", cmd_network, "Manage networks"},
	{"network-create", cmd_network_create, NULL},
	{"network-ls", cmd_network_ls, NULL},
	{"network-inspect", cmd_network_inspect, NULL},
	{"network-rm", cmd_network_rm, NULL},
	{"network-prune", cmd_network_prune, NULL},
	{"network-connect", cmd_network_connect, NULL},
	{"network-disconnect", cmd_network_disconnect, NULL},
	{"volume", cmd_volume, "Manage volumes"},
	{"volume-create", cmd_volume_create, NULL},
	{"volume-ls", cmd_volume_ls, NULL},
	{"volume-inspect", cmd_volume_inspect, NULL},
	{"volume-rm", cmd_volume_rm, NULL},
	{"volume-prune", cmd_volume_prune, NULL},
	{"image-prune", cmd_image_prune, NULL},
	{"system-prune", cmd_system_prune, NULL},
	{"system-df", cmd_system_df, NULL},
	{"system-check", cmd_system_check, NULL},
	{"rm", cmd_rm, "Remove one or more containers"},
	{"diff", cmd_diff, "Inspect changes to files or directories on a container's filesystem"},
	{"commit", cmd_commit, "Create a new image from a container's changes"},
	{"export", cmd_export, "Export a container's filesystem as a tar archive"},
	{"tag", cmd_tag, "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE"},
	{"history", cmd_history, "Show the history of an image"},
};

/* "berth image ls" and friends map onto the verbs above. */
static const struct {
	const char *group, *sub, *verb;
} aliases[] = {
	{"image", "ls", "images"},
	{"image", "list", "images"},
	{"image", "rm", "rmi"},
	{"image", "remove", "rmi"},
	{"image", "import", "import"},
	{"image", "save", "save"},
	{"image", "load", "load"},
	{"container", "run", "run"},
	{"container", "create", "create"},
	{"container", "start", "start"},
	{"container", "stop", "stop"},
	{"container", "restart", "restart"},
	{"container", "kill", "kill"},
	{"container", "wait", "wait"},
	{"container", "pause", "pause"},
	{"container", "unpause", "unpause"},
	{"container", "rename", "rename"},
	{"container", "attach", "attach"},
	{"container", "top", "top"},
	{"container", "exec", "exec"},
	{"container", "inspect", "container-inspect"},
	{"image", "inspect", "image-inspect"},
	{"image", "dockerfile", "image-dockerfile"},
	{"container", "prune", "container-prune"},
	{"network", "create", "network-create"},
	{"network", "ls", "network-ls"},
	{"network", "list", "network-ls"},
	{"network", "inspect", "network-inspect"},
	{"network", "rm", "network-rm"},
	{"network", "remove", "network-rm"},
	{"network", "prune", "network-prune"},
	{"network", "connect", "network-connect"},
	{"network", "disconnect", "network-disconnect"},
	{"volume", "create", "volume-create"},
	{"volume", "ls", "volume-ls"},
	{"volume", "list", "volume-ls"},
	{"volume", "inspect", "volume-inspect"},
	{"volume", "rm", "volume-rm"},
	{"volume", "remove", "volume-rm"},
	{"volume", "prune", "volume-prune"},
	{"image", "prune", "image-prune"},
	{"container", "export", "export"},
	{"system", "prune", "system-prune"},
	{"system", "df", "system-df"},
	{"system", "check", "system-check"},
	{"container", "logs", "logs"},
	{"container", "port", "port"},
	{"container", "ls", "ps"},
	{"container", "list", "ps"},
	{"container", "rm", "rm"},
	{"container", "diff", "diff"},
	{"container", "commit", "commit"},
	{"image", "tag", "tag"},
	{"image", "history", "history"},
};

struct store *cli_open_store(void)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct store *s = store_open(cli_globals.root, cli_globals.runroot, &err);

	if (!s)
		cli_report(err);
	return s;
}

int cli_report(const struct berth_error *err)
{
	size_t n = strlen(err->msg);
	const char *dot = n && err->msg[n - 1] != '.' ? "." : "";

	fprintf(stderr, "berth: Error response from daemon: %s%s\n", err->msg, dot);
	switch (err->kind) {
	case BERTH_ERR_NO_COMMAND:
		return EXIT_NOT_FOUND;
	case BERTH_ERR_CANNOT_EXECUTE:
		return EXIT_CANNOT_EXECUTE;
	default:
		return EXIT_ENGINE;
	}
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("berth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nSee 'berth %s --help'.\n", cmd);
	return EXIT_ENGINE;
}

/* Does the short or long flag take an argument? -1 when there is no such flag. */
static int takes_argument(const struct option *longopts, int opt, const char *name, size_t len)
{
	for (const struct option *o = longopts; o->name; o++)
		if (opt ? o->val == opt : strlen(o->name) == len && !strncmp(o->name, name, len))
			return o->has_arg == required_argument;
	return -1;
}

int cli_getopt_error(const char *cmd, char **argv, int opt, const struct option *longopts)
{
	const char *arg = argv[optind - 1];
	size_t len;

	if (opt && !str_has_prefix(arg, "--"))
		return takes_argument(longopts, opt, NULL, 0) == 1
			       ? cli_usage_error(cmd, "flag needs an argument: '%c' in -%c", opt,
						 opt)
			       : cli_usage_error(cmd, "unknown shorthand flag: '%c' in %s", opt,
						 arg);
	/* getopt_long reports unknown long flags and missing arguments alike */
	len = strcspn(arg + 2, "=");
	if (takes_argument(longopts, 0, arg + 2, len) == 1)
		return cli_usage_error(cmd, "flag needs an argument: --%.*s", (int)len, arg + 2);
	return cli_usage_error(cmd, "unknown flag: --%.*s", (int)len, arg + 2);
}

static void usage(FILE *f)
{
	fputs("Usage:  berth [OPTIONS] COMMAND\n\n"
	      "A Docker-compatible container engine, without a daemon\n\n"
	      "Options:\n"
	      "      --root string        Data root (default \"" BERTH_DEFAULT_ROOT "\", or "
	      "$BERTH_ROOT)\n"
	      "      --runroot string     Run root (default \"" BERTH_DEFAULT_RUNROOT "\", or "
	      "$BERTH_RUNROOT)\n"
	      "  -l, --log-level string   debug, info, warn, error (default \"warn\")\n"
	      "  -v, --version            Print version information and quit\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (verbs[i].help) /* the others are reached as "GROUP VERB" */
			fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].help);
	fputs("\nRun 'berth COMMAND --help' for more information on a command.\n", f);
}

static int parse_globals(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"root", required_argument, NULL, 'R'},
		{"runroot", required_argument, NULL, 'U'},
		{"log-level", required_argument, NULL, 'l'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "+l:vhD", longopts, NULL)) != -1) {
		switch (c) {
		case 'R':
			cli_globals.root = optarg;
			break;
		case 'U':
			cli_globals.runroot = optarg;
			break;
		case 'l':
			if (log_set_level_name(optarg) < 0)
				return -cli_usage_error("", "invalid log level: %s", optarg);
			break;
		case 'D':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'v':
			printf("berth version %s\n", BERTH_VERSION_STRING);
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -cli_getopt_error("", argv, optopt, longopts);
		}
	}
	return optind;
}

static const struct verb *find_verb(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, name) == 0)
			return &verbs[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct verb *v;
	const char *env;
	int first;

	cli_globals.root = (env = getenv("BERTH_ROOT")) && *env ? env : BERTH_DEFAULT_ROOT;
	cli_globals.runroot = (env = getenv("BERTH_RUNROOT")) && *env ? env : BERTH_DEFAULT_RUNROOT;
	if ((env = getenv("BERTH_LOG_LEVEL")) && *env)
		log_set_level_name(env);
	proctitle_init(argc, argv);
	if (strcmp(argv[0], "berth-monitor") == 0 && (env = getenv(RELAY_STATE_ENV)))
		container_monitor_resume(env);
	opterr = 0;
	first = parse_globals(argc, argv);
	if (first < 0)
		return -first;
	if (first >= argc) {
		usage(stderr);
		return 0;
	}
	argc -= first;
	argv += first;
	if (strcmp(argv[0], "version") == 0) {
		printf("berth version %s\n", BERTH_VERSION_STRING);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < ARRAY_SIZE(aliases); i++)
		if (strcmp(argv[0], aliases[i].group) == 0 &&
		    strcmp(argv[1], aliases[i].sub) == 0) {
			argv++;
			argc--;
			argv[0] = (char *)aliases[i].verb;
			break;
		}
	v = find_verb(argv[0]);
	if (!v) {
		fprintf(stderr, "berth: '%s' is not a berth command.\nSee 'berth --help'\n",
			argv[0]);
		return 1;
	}
	optind = 0;
	return v->fn(argc, argv);
}
