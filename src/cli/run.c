/* create and run: Docker's flags into an API-style container config. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/ref.h"
#include "net/ports.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strutil.h"
#include "volume/volume.h"

enum {
	OPT_RM = 256,
	OPT_NAME,
	OPT_ENV_FILE,
	OPT_ENTRYPOINT,
	OPT_NETWORK,
	OPT_PRIVILEGED,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_SECURITY_OPT,
	OPT_READ_ONLY,
	OPT_TMPFS,
	OPT_INIT,
	OPT_MEMORY_SWAP,
	OPT_CPUS,
	OPT_PIDS_LIMIT,
	OPT_ULIMIT,
	OPT_SIG_PROXY,
	OPT_RESTART,
	OPT_DETACH_KEYS,
	OPT_LOG_DRIVER,
	OPT_LOG_OPT,
	OPT_LABEL_FILE,
	OPT_MOUNT,
	OPT_VOLUMES_FROM,
	OPT_EXPOSE,
	OPT_NETWORK_ALIAS,
	OPT_LINK,
	OPT_ADD_HOST,
	OPT_DNS,
	OPT_IP,
	OPT_MAC_ADDRESS,
};

static const struct option run_longopts[] = {
	{"detach", no_argument, NULL, 'd'},
	{"interactive", no_argument, NULL, 'i'},
	{"tty", no_argument, NULL, 't'},
	{"rm", no_argument, NULL, OPT_RM},
	{"name", required_argument, NULL, OPT_NAME},
	{"env", required_argument, NULL, 'e'},
	{"env-file", required_argument, NULL, OPT_ENV_FILE},
	{"workdir", required_argument, NULL, 'w'},
	{"user", required_argument, NULL, 'u'},
	{"hostname", required_argument, NULL, 'h'},
	{"entrypoint", required_argument, NULL, OPT_ENTRYPOINT},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"net", required_argument, NULL, OPT_NETWORK},
	{"network-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
	{"link", required_argument, NULL, OPT_LINK},
	{"add-host", required_argument, NULL, OPT_ADD_HOST},
	{"dns", required_argument, NULL, OPT_DNS},
	{"ip", required_argument, NULL, OPT_IP},
	{"mac-address", required_argument, NULL, OPT_MAC_ADDRESS},
	{"net-alias", required_argument, NULL, OPT_NETWORK_ALIAS},
	{"privileged", no_argument, NULL, OPT_PRIVILEGED},
	{"cap-add", required_argument, NULL, OPT_CAP_ADD},
	{"cap-drop", required_argument, NULL, OPT_CAP_DROP},
	{"security-opt", required_argument, NULL, OPT_SECURITY_OPT},
	{"read-only", no_argument, NULL, OPT_READ_ONLY},
	{"tmpfs", required_argument, NULL, OPT_TMPFS},
	{"init", no_argument, NULL, OPT_INIT},
	{"memory", required_argument, NULL, 'm'},
	{"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
	{"cpus", required_argument, NULL, OPT_CPUS},
	{"cpu-shares", required_argument, NULL, 'c'},
	{"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
	{"ulimit", required_argument, NULL, OPT_ULIMIT},
	{"sig-proxy", optional_argument, NULL, OPT_SIG_PROXY},
	{"restart", required_argument, NULL, OPT_RESTART},
	{"detach-keys", required_argument, NULL, OPT_DETACH_KEYS},
	{"log-driver", required_argument, NULL, OPT_LOG_DRIVER},
	{"log-opt", required_argument, NULL, OPT_LOG_OPT},
	{"label", required_argument, NULL, 'l'},
	{"label-file", required_argument, NULL, OPT_LABEL_FILE},
	{"volume", required_argument, NULL, 'v'},
	{"mount", required_argument, NULL, OPT_MOUNT},
	{"volumes-from", required_argument, NULL, OPT_VOLUMES_FROM},
	{"publish", required_argument, NULL, 'p'},
	{"publish-all", no_argument, NULL, 'P'},
	{"expose", required_argument, NULL, OPT_EXPOSE},
	{"help", no_argument, NULL, 'H'},
	{NULL, 0, NULL, 0},
};

struct run_opts {
	json_t *config; /* {"Config": {...}, "HostConfig": {...}} */
	json_t *cfg, *hc;
	json_t *endpoint; /* NetworkingConfig's of the network: --network-alias... */
	const char *name;
	const char *detach_keys;
	bool detach, sig_proxy;
};

static void append(json_t *obj, const char *key, json_t *v)
{
	json_t *a = json_object_get(obj, key);
	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	json_array_append_new(a, v);
}

/* -e KEY=VALUE, or -e KEY taking the value from our environment (dropped when unset). */
static void add_env(void *ctx, const char *e)
{
	struct run_opts *o = ctx;
	char *entry = cli_env_entry(e);

	if (entry)
		append(o->cfg, "Env", json_string(entry));
	free(entry);
}

/* -l KEY[=VALUE] and the lines of --label-file: Config.Labels. */
static void add_label(void *ctx, const char *l)
{
	struct run_opts *o = ctx;
	const char *eq = strchr(l, '=');
	_cleanup_free_ char *key = eq ? xstrndup(l, (size_t)(eq - l)) : xstrdup(l);
	json_t *labels = json_object_get(o->cfg, "Labels");

	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(o->cfg, "Labels", labels);
	}
	json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
}

static int set_size(struct run_opts *o, const char *key, const char *flag, const char *v)
{
	long long n;

	if (strcmp(v, "-1") == 0 && strcmp(key, "MemorySwap") == 0)
		n = -1;
	else if (parse_size(v, &n) < 0)
		return cli_usage_error(
			"run", "invalid argument \"%s\" for \"%s\" flag: invalid size: '%s'", v,
			flag, v);
	if (strcmp(key, "Memory") == 0 && n > 0 && n < 6 * 1024 * 1024)
		return cli_usage_error("run", "Minimum memory limit allowed is 6MB");
	json_object_set_new(o->hc, key, json_integer(n));
	return 0;
}

static int set_number(struct run_opts *o, const char *key, const char *flag, const char *v,
		      bool fractional)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || (!fractional && d != (long long)d) || d < -1)
		return cli_usage_error(
			"run", "invalid argument \"%s\" for \"%s\" flag: %s", v, flag,
			fractional ? "failed to parse as a rational number" : "invalid syntax");
	if (fractional)
		json_object_set_new(o->hc, key, json_integer((long long)(d * 1e9 + 0.5)));
	else
		json_object_set_new(o->hc, key, json_integer((long long)d));
	return 0;
}

/* --ulimit name=soft[:hard] */
static int add_ulimit(struct run_opts *o, const char *v)
{
	const char *eq = strchr(v, '=');
	char *end;
	long long soft, hard;

	if (!eq)
		return cli_usage_error("run",
				       "invalid argument \"%s\" for \"--ulimit\" flag: "
				       "invalid ulimit argument: %s",
				       v, v);
	soft = strtoll(eq + 1, &end, 10);
	hard = *end == ':' ? strtoll(end + 1, &end, 10) : soft;
	if (*end || end == eq + 1 || soft > hard)
		return cli_usage_error("run",
				       "invalid argument \"%s\" for \"--ulimit\" flag: "
				       "invalid ulimit argument: %s",
				       v, v);
	_cleanup_free_ char *name = xstrndup(v, (size_t)(eq - v));
	append(o->hc, "Ulimits",
	       json_pack("{s:s, s:I, s:I}", "Name", name, "Soft", (json_int_t)soft, "Hard",
			 (json_int_t)hard));
	return 0;
}

static void add_tmpfs(struct run_opts *o, const char *v)
{
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *path = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	json_t *t = json_object_get(o->hc, "Tmpfs");

	if (!json_is_object(t)) {
		t = json_object();
		json_object_set_new(o->hc, "Tmpfs", t);
	}
	json_object_set_new(t, path, json_string(colon ? colon + 1 : ""));
}

/*
 * -v SRC:DST[:MODE] goes to HostConfig.Binds, -v /path (an anonymous volume)
 * to Config.Volumes, as Docker's CLI sends them; the daemon's checks come at
 * create.
 */
static int add_volume(struct run_opts *o, const char *cmd, const char *v)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *bind = NULL, *anonymous = NULL, *cwd = getcwd(NULL, 0);
	json_t *vols;

	if (volume_parse_cli_volume(v, cwd, &bind, &anonymous, &err) < 0)
		return cli_usage_error(cmd, "%s", err->msg);
	if (bind) {
		append(o->hc, "Binds", json_string(bind));
		return 0;
	}
	vols = json_object_get(o->cfg, "Volumes");
	if (!json_is_object(vols)) {
		vols = json_object();
		json_object_set_new(o->cfg, "Volumes", vols);
	}
	json_object_set_new(vols, anonymous, json_object());
	return 0;
}

/* --mount type=…,src=…,dst=…: an API Mount object in HostConfig.Mounts. */
static int add_mount(struct run_opts *o, const char *cmd, const char *v)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	json_t *m = volume_parse_mount_flag(v, cwd, &err);

	if (!m)
		return cli_usage_error(cmd, "invalid argument \"%s\" for \"--mount\" flag: %s", v,
				       err->msg);
	append(o->hc, "Mounts", m);
	return 0;
}

/* The size of our terminal, for the container's to start with (docker's ConsoleSize). */
static void set_console_size(struct run_opts *o)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	json_object_set_new(o->hc, "ConsoleSize", json_pack("[i, i]", ws.ws_row, ws.ws_col));
}

/* --restart no|always|unless-stopped|on-failure[:N] */
static int set_restart(struct run_opts *o, const char *v)
{
	const char *colon = strchr(v, ':');
	_cleanup_free_ char *name = colon ? xstrndup(v, (size_t)(colon - v)) : xstrdup(v);
	long max = 0;
	char *end = NULL;

	if (strcmp(name, "no") && strcmp(name, "always") && strcmp(name, "unless-stopped") &&
	    strcmp(name, "on-failure"))
		return cli_usage_error("run",
				       "invalid restart policy: unknown policy '%s'; use one of "
				       "'no', 'always', 'on-failure', or 'unless-stopped'",
				       name);
	if (colon) {
		max = strtol(colon + 1, &end, 10);
		if (*end || end == colon + 1 || max < 0)
			return cli_usage_error("run",
					       "invalid restart policy format: maximum retry "
					       "count must be an integer");
		if (strcmp(name, "on-failure"))
			return cli_usage_error("run", "invalid restart policy: maximum retry count "
						      "can only be used with 'on-failure'");
	}
	json_object_set_new(o->hc, "RestartPolicy",
			    json_pack("{s:s, s:i}", "Name", name, "MaximumRetryCount", (int)max));
	return 0;
}

static int run_usage(void)
{
	puts("Usage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
	     "Create and run a new container from an image\n\n"
	     "Options:\n"
	     "      --cap-add list          Add Linux capabilities\n"
	     "      --cap-drop list         Drop Linux capabilities\n"
	     "  -c, --cpu-shares int        CPU shares (relative weight)\n"
	     "      --cpus decimal          Number of CPUs\n"
	     "  -d, --detach                Run container in background and print container ID\n"
	     "      --entrypoint string     Overwrite the default ENTRYPOINT of the image\n"
	     "      --expose list           Expose a port or a range of ports\n"
	     "  -e, --env list              Set environment variables\n"
	     "      --env-file list         Read in a file of environment variables\n"
	     "  -h, --hostname string       Container host name\n"
	     "      --init                  Run an init inside the container\n"
	     "  -i, --interactive           Keep STDIN open even if not attached\n"
	     "  -m, --memory bytes          Memory limit\n"
	     "      --memory-swap bytes     Swap limit equal to memory plus swap: '-1' for "
	     "unlimited\n"
	     "      --mount mount           Attach a filesystem mount to the container\n"
	     "      --name string           Assign a name to the container\n"
	     "      --network string        Connect a container to a network (none, host)\n"
	     "      --pids-limit int        Tune container pids limit (set -1 for unlimited)\n"
	     "      --privileged            Give extended privileges to this container\n"
	     "  -p, --publish list          Publish a container's port(s) to the host\n"
	     "  -P, --publish-all           Publish all exposed ports to random ports\n"
	     "      --read-only             Mount the container's root filesystem as read only\n"
	     "      --rm                    Automatically remove the container when it exits\n"
	     "      --security-opt list     Security Options\n"
	     "      --sig-proxy             Proxy received signals to the process (default true)\n"
	     "      --tmpfs list            Mount a tmpfs directory\n"
	     "  -t, --tty                   Allocate a pseudo-TTY\n"
	     "      --ulimit ulimit         Ulimit options\n"
	     "  -u, --user string           Username or UID (format: <name|uid>[:<group|gid>])\n"
	     "  -v, --volume list           Bind mount a volume\n"
	     "      --volumes-from list     Mount volumes from the specified container(s)\n"
	     "  -w, --workdir string        Working directory inside the container");
	return 0;
}

/* An object member of obj, made when missing. */
static json_t *object_at(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v)) {
		v = json_object();
		json_object_set_new(obj, key, v);
	}
	return v;
}

/* -p and --expose: Config.ExposedPorts and HostConfig.PortBindings, as Docker's CLI fills them. */
static int add_port(struct run_opts *o, const char *cmd, const char *spec, bool publish)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_t *exposed = object_at(o->cfg, "ExposedPorts");
	int r = publish ? net_ports_parse_publish(spec, exposed, object_at(o->hc, "PortBindings"),
						  &err)
			: net_ports_parse_expose(spec, exposed, &err);

	return r < 0 ? cli_usage_error(cmd, "%s.", err->msg) : 0;
}

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* --add-host, --dns, --ip and --mac-address, with Docker's CLI's checks. */
static int net_flag(struct run_opts *o, const char *cmd, int c, const char *v)
{
	size_t sep = strcspn(v, ":=");
	unsigned m[6];
	char end;

	switch (c) {
	case OPT_ADD_HOST:
		if (!v[sep] || !sep)
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"--add-host\" flag: "
					       "bad format for add-host: \"%s\"",
					       v, v);
		if (!is_ipv4(v + sep + 1))
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"--add-host\" flag: "
					       "invalid IP address in add-host: \"%s\"",
					       v, v + sep + 1);
		append(o->hc, "ExtraHosts", json_string(v));
		return 0;
	case OPT_DNS:
		if (!is_ipv4(v))
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"--dns\" flag: %s is "
					       "not an ip address",
					       v, v);
		append(o->hc, "Dns", json_string(v));
		return 0;
	case OPT_IP:
		if (!is_ipv4(v))
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"--ip\" flag: invalid "
					       "string being converted to IP address: %s",
					       v, v);
		json_object_set_new(o->endpoint, "IPAMConfig",
				    json_pack("{s:s}", "IPv4Address", v));
		return 0;
	default:
		if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
			   &end) != 6 ||
		    strlen(v) != 17) {
			fprintf(stderr, "berth: %s is not a valid mac address.\n", v);
			return EXIT_ENGINE;
		}
		json_object_set_new(o->cfg, "MacAddress", json_string(v));
		return 0;
	}
}

static int parse_opt(struct run_opts *o, const char *cmd, int c, char **argv)
{
	switch (c) {
	case 'd':
		o->detach = true;
		break;
	case 'i':
		json_object_set_new(o->cfg, "OpenStdin", json_true());
		break;
	case 't':
		json_object_set_new(o->cfg, "Tty", json_true());
		break;
	case OPT_RM:
		json_object_set_new(o->hc, "AutoRemove", json_true());
		break;
	case OPT_NAME:
		o->name = optarg;
		break;
	case 'e':
		add_env(o, optarg);
		break;
	case OPT_ENV_FILE:
		return cli_env_file(cmd, optarg, add_env, o);
	case 'l':
		add_label(o, optarg);
		break;
	case OPT_LABEL_FILE:
		return cli_env_file(cmd, optarg, add_label, o);
	case 'v':
		return add_volume(o, cmd, optarg);
	case OPT_MOUNT:
		return add_mount(o, cmd, optarg);
	case OPT_VOLUMES_FROM:
		append(o->hc, "VolumesFrom", json_string(optarg));
		break;
	case 'w':
		json_object_set_new(o->cfg, "WorkingDir", json_string(optarg));
		break;
	case 'u':
		json_object_set_new(o->cfg, "User", json_string(optarg));
		break;
	case 'h':
		json_object_set_new(o->cfg, "Hostname", json_string(optarg));
		break;
	case OPT_ENTRYPOINT:
		json_object_set_new(o->cfg, "Entrypoint", json_pack("[s]", optarg));
		break;
	case OPT_NETWORK:
		json_object_set_new(o->hc, "NetworkMode", json_string(optarg));
		break;
	case OPT_ADD_HOST:
	case OPT_DNS:
	case OPT_IP:
	case OPT_MAC_ADDRESS:
		return net_flag(o, cmd, c, optarg);
	case OPT_LINK:
		append(o->hc, "Links", json_string(optarg));
		break;
	case OPT_NETWORK_ALIAS:
		append(o->endpoint, "Aliases", json_string(optarg));
		break;
	case OPT_PRIVILEGED:
		json_object_set_new(o->hc, "Privileged", json_true());
		break;
	case OPT_CAP_ADD:
		append(o->hc, "CapAdd", json_string(optarg));
		break;
	case OPT_CAP_DROP:
		append(o->hc, "CapDrop", json_string(optarg));
		break;
	case OPT_SECURITY_OPT:
		append(o->hc, "SecurityOpt", json_string(optarg));
		break;
	case OPT_READ_ONLY:
		json_object_set_new(o->hc, "ReadonlyRootfs", json_true());
		break;
	case OPT_TMPFS:
		add_tmpfs(o, optarg);
		break;
	case OPT_INIT:
		json_object_set_new(o->hc, "Init", json_true());
		break;
	case 'm':
		return set_size(o, "Memory", "-m, --memory", optarg);
	case OPT_MEMORY_SWAP:
		return set_size(o, "MemorySwap", "--memory-swap", optarg);
	case OPT_CPUS:
		return set_number(o, "NanoCpus", "--cpus", optarg, true);
	case 'c':
		return set_number(o, "CpuShares", "-c, --cpu-shares", optarg, false);
	case OPT_PIDS_LIMIT:
		return set_number(o, "PidsLimit", "--pids-limit", optarg, false);
	case OPT_ULIMIT:
		return add_ulimit(o, optarg);
	case OPT_RESTART:
		return set_restart(o, optarg);
	case OPT_LOG_DRIVER:
		json_object_set_new(json_object_get(o->hc, "LogConfig"), "Type",
				    json_string(optarg));
		break;
	case OPT_LOG_OPT: {
		const char *eq = strchr(optarg, '=');
		if (!eq)
			return cli_usage_error(cmd,
					       "invalid argument \"%s\" for \"--log-opt\" flag: "
					       "invalid key value pair format in log options",
					       optarg);
		_cleanup_free_ char *k = xstrndup(optarg, (size_t)(eq - optarg));
		json_object_set_new(json_object_get(json_object_get(o->hc, "LogConfig"), "Config"),
				    k, json_string(eq + 1));
		break;
	}
	case OPT_DETACH_KEYS: {
		char keys[16];
		if (cli_parse_detach_keys(optarg, keys, sizeof(keys)) < 0)
			return cli_usage_error(cmd, "Invalid detach keys (%s) provided", optarg);
		o->detach_keys = optarg;
		break;
	}
	case OPT_SIG_PROXY:
		o->sig_proxy = !optarg || strcmp(optarg, "false") != 0;
		break;
	case 'p':
		return add_port(o, cmd, optarg, true);
	case OPT_EXPOSE:
		return add_port(o, cmd, optarg, false);
	case 'P':
		json_object_set_new(o->hc, "PublishAllPorts", json_true());
		break;
	case 'H':
		exit(run_usage());
	default:
		return cli_getopt_error(cmd, argv, optopt, run_longopts);
	}
	return 0;
}

/*
 * NetworkingConfig.EndpointsConfig.<network> from --network-alias and the
 * like, as Docker keeps them: on user networks only.
 */
static int set_endpoint(struct run_opts *o)
{
	const char *mode = json_get_str(o->hc, "NetworkMode");
	json_t *ep = o->endpoint;

	o->endpoint = NULL;
	if (json_object_size(ep) == 0) {
		json_decref(ep);
		return 0;
	}
	if (!strcmp(mode, "default") || !strcmp(mode, "bridge") || !strcmp(mode, "host") ||
	    !strcmp(mode, "none") || str_has_prefix(mode, "container:")) {
		_cleanup_error_ struct berth_error *err = NULL;
		bool ip = json_object_get(ep, "IPAMConfig") != NULL;

		json_decref(ep);
		if (ip)
			berth_error_setk(&err, BERTH_ERR_INVALID, 0,
					 "user specified IP address is supported on user defined "
					 "networks only");
		else
			berth_error_setk(&err, BERTH_ERR_INVALID, 0,
					 "network-scoped alias is supported only for containers in "
					 "user defined networks");
		return cli_report(err);
	}
	json_object_set_new(o->config, "NetworkingConfig",
			    json_pack("{s:{s:o}}", "EndpointsConfig", mode, ep));
	return 0;
}

/* Parses the flags and IMAGE [COMMAND...]; returns the index after the image or -exit code. */
static int parse_run(struct run_opts *o, const char *cmd, int argc, char **argv)
{
	int c;

	o->config = json_pack("{s:{}, s:{s:s, s:{s:s, s:i}, s:{s:s, s:{}}}}", "Config",
			      "HostConfig", "NetworkMode", "default", "RestartPolicy", "Name", "no",
			      "MaximumRetryCount", 0, "LogConfig", "Type", "json-file", "Config");
	o->cfg = json_object_get(o->config, "Config");
	o->hc = json_object_get(o->config, "HostConfig");
	o->sig_proxy = true;
	o->endpoint = json_object();
	while ((c = getopt_long(argc, argv, "+dite:w:u:h:m:c:l:v:p:P", run_longopts, NULL)) != -1)
		if (parse_opt(o, cmd, c, argv) != 0) {
			json_decref(o->endpoint);
			return -EXIT_ENGINE;
		}
	if (set_endpoint(o) != 0)
		return -EXIT_ENGINE;
	if (optind >= argc) {
		cli_usage_error(cmd,
				"\"%s\" requires at least 1 argument.\nUsage:  berth %s [OPTIONS] "
				"IMAGE [COMMAND] [ARG...]",
				cmd, cmd);
		return -EXIT_ENGINE;
	}
	if (json_is_true(json_object_get(o->hc, "AutoRemove")) &&
	    strcmp(json_get_str(json_object_get(o->hc, "RestartPolicy"), "Name"), "no")) {
		cli_usage_error(cmd, "Conflicting options: --restart and --rm");
		return -EXIT_ENGINE;
	}
	if (!strcmp(json_get_str(o->hc, "NetworkMode"), "host") &&
	    (json_object_size(json_object_get(o->hc, "PortBindings")) ||
	     json_is_true(json_object_get(o->hc, "PublishAllPorts"))))
		fputs("WARNING: Published ports are discarded when using host network mode\n",
		      stderr);
	json_object_set_new(o->cfg, "Image", json_string(argv[optind]));
	if (json_is_true(json_object_get(o->cfg, "Tty")))
		set_console_size(o);
	if (optind + 1 < argc)
		json_object_set_new(o->cfg, "Cmd", json_from_strv(argv + optind + 1));
	json_object_set_new(
		o->cfg, "AttachStdin",
		json_boolean(!o->detach && json_is_true(json_object_get(o->cfg, "OpenStdin"))));
	json_object_set_new(o->cfg, "AttachStdout", json_boolean(!o->detach));
	json_object_set_new(o->cfg, "AttachStderr", json_boolean(!o->detach));
	return optind + 1;
}

/* Creates the container; prints Docker's "Unable to find image" line when it is missing. */
static int create(struct store *s, struct run_opts *o, bool for_run, char **id)
{
	_cleanup_error_ struct berth_error *err = NULL;

	if (container_create(s, o->name, o->config, for_run ? CONTAINER_CREATE_RUN : 0, id, &err) ==
	    0)
		return 0;
	if (err->kind == BERTH_ERR_NOT_FOUND && str_has_prefix(err->msg, "No such image")) {
		const char *img = json_get_str(o->cfg, "Image");
		_cleanup_(image_ref_freep) struct image_ref *r = image_ref_parse(img, NULL);
		_cleanup_free_ char *fam = r ? image_ref_familiar(r) : xstrdup(img);
		fprintf(stderr, "Unable to find image '%s' locally\n", fam);
	}
	return cli_report(err);
}

int cmd_create(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_free_ char *id = NULL;
	struct run_opts o = {0};
	int r = parse_run(&o, "create", argc, argv);

	if (r < 0) {
		json_decref(o.config);
		return -r;
	}
	s = cli_open_store();
	r = !s ? EXIT_ENGINE : create(s, &o, false, &id);
	if (r == 0)
		puts(id);
	json_decref(o.config);
	return r;
}

static int start_and_attach(struct store *s, struct run_opts *o, const char *id)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct attach_opts ao = {
		.tty = json_is_true(json_object_get(o->cfg, "Tty")),
		.stdin_on = json_is_true(json_object_get(o->cfg, "OpenStdin")),
		.sig_proxy = o->sig_proxy,
		.detach_keys = o->detach_keys,
	};
	pid_t pid;
	int sock = container_start(s, id, &pid, &err);

	if (sock < 0) {
		int rc = cli_report(err);
		/* --rm: a container that could not start is removed too, as Docker does */
		if (json_is_true(json_object_get(o->hc, "AutoRemove")))
			container_remove(s, id, CONTAINER_REMOVE_FORCE | CONTAINER_REMOVE_VOLUMES,
					 NULL);
		return rc;
	}
	if (o->detach) {
		close(sock);
		puts(id);
		return 0;
	}
	/* The store is not needed while attached; another berth may use it freely. */
	return cli_attach(sock, &ao);
}

int cmd_run(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_free_ char *id = NULL;
	struct run_opts o = {0};
	int r = parse_run(&o, "run", argc, argv);

	if (r < 0) {
		json_decref(o.config);
		return -r;
	}
	s = cli_open_store();
	r = !s ? EXIT_ENGINE : create(s, &o, true, &id);
	if (r == 0)
		r = start_and_attach(s, &o, id);
	json_decref(o.config);
	return r;
}
