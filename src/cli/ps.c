/* ps: Docker's columns, filters and --format over the containers. */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "net/ports.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define PS_DEFAULT                                                                                 \
	"table "                                                                                   \
	"{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

struct ps_opts {
	bool all, quiet, no_trunc, size;
	int last; /* -n; -1 when not given */
	const char *format;
	json_t *filters; /* key → [values] */
	json_t *labels;	 /* row ID → the container's labels, for {{.Label "k"}} */
};

static char *status_of(const struct store_container *c)
{
	_cleanup_free_ char *when = NULL;

	switch (c->state) {
	case STORE_CONTAINER_RUNNING:
	case STORE_CONTAINER_PAUSED:
		when = cli_since(c->started_at, "");
		return xasprintf("Up %s%s", when,
				 c->state == STORE_CONTAINER_PAUSED ? " (Paused)" : "");
	case STORE_CONTAINER_RESTARTING:
		when = cli_since(c->finished_at, " ago");
		return xasprintf("Restarting (%d) %s", c->exit_code, when);
	case STORE_CONTAINER_EXITED:
		when = cli_since(c->finished_at, " ago");
		return xasprintf("Exited (%d) %s", c->exit_code, when);
	case STORE_CONTAINER_CREATED:
		return xstrdup("Created");
	default:
		return xstrdup(store_container_state_name(c->state));
	}
}

/* Go's strconv.Quote for the text we meet: quotes, backslashes, control characters. */
static void quote(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			strbuf_addf(sb, "\\%c", *s);
		else if (*s == '\n')
			strbuf_addstr(sb, "\\n");
		else if (*s == '\t')
			strbuf_addstr(sb, "\\t");
		else if ((unsigned char)*s < 0x20)
			strbuf_addf(sb, "\\x%02x", (unsigned char)*s);
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

/* The command cut to 20 characters ("…" last) unless no_trunc, then quoted. */
static char *command_of(const char *command, bool no_trunc)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;

	strbuf_addstr(&cmd, command);
	if (!no_trunc) {
		size_t runes = 0, cut = 0;
		for (size_t b = 0; b < cmd.len; b++)
			if (((unsigned char)cmd.buf[b] & 0xc0) != 0x80 && ++runes == 20)
				cut = b;
		if (runes > 20) {
			cmd.len = cut;
			strbuf_addstr(&cmd, "…");
		}
	}
	quote(&out, cmd.buf ? cmd.buf : "");
	strbuf_release(&cmd);
	return strbuf_detach(&out);
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Labels as "k=v,k2=v2", keys sorted as Go prints maps. */
static char *labels_of(const json_t *labels)
{
	struct strbuf sb = STRBUF_INIT;
	const char *k;
	json_t *v;
	size_t n = json_object_size(labels), i = 0;
	const char **keys = xcalloc(n + 1, sizeof(char *));

	json_object_foreach((json_t *)labels, k, v) keys[i++] = k;
	sort_array(keys, n, sizeof(char *), compare_strings);
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s=%s", i ? "," : "", keys[i],
			    json_string_value(json_object_get(labels, keys[i])));
	free(keys);
	return strbuf_detach(&sb);
}

/* "0B (virtual 1.99MB)": the container's own files, and with its image's. */
static char *size_of(struct store *s, const struct store_container *c)
{
	_cleanup_(store_image_freep) struct store_image *img =
		store_image_get(s, c->image_id, NULL);
	_cleanup_free_ char *upper = xasprintf("%s/containers/%s/diff", s->root, c->id);
	long long own = fs_tree_size(upper);
	char a[32], b[32];

	format_human_size((double)own, a, sizeof(a));
	format_human_size((double)own + (img ? (double)img->size : 0), b, sizeof(b));
	return xasprintf("%s (virtual %s)", a, b);
}

/*
 * What ps shows of a container comes from its record (schema v2): command,
 * labels, network; only records older than that have their config parsed.
 */
struct ps_fields {
	json_t *labels; /* a new reference */
	char *command;
	const char *network;
	json_t *config;
};

static void fields_of(const struct store_container *c, struct ps_fields *f)
{
	static const char *const keys[] = {"Entrypoint", "Cmd"};
	struct strbuf sb = STRBUF_INIT;
	json_t *cfg, *v;
	size_t i;

	*f = (struct ps_fields){0};
	if (*c->command) {
		f->command = xstrdup(c->command);
		f->network = c->network;
		f->labels = strcmp(c->labels, "{}") ? json_loads(c->labels, 0, NULL) : NULL;
		if (!f->labels)
			f->labels = json_object();
		return;
	}
	f->config = json_loads(c->config, 0, NULL);
	cfg = json_object_get(f->config, "Config");
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		json_array_foreach(json_object_get(cfg, keys[k]), i, v)
			strbuf_addf(&sb, "%s%s", sb.len ? " " : "", json_string_value(v));
	f->command = strbuf_detach(&sb);
	f->network = json_get_str(json_object_get(f->config, "HostConfig"), "NetworkMode");
	f->labels = json_incref(json_object_get(cfg, "Labels"));
	if (!f->labels)
		f->labels = json_object();
}

static void fields_release(struct ps_fields *f)
{
	json_decref(f->labels);
	json_decref(f->config);
	free(f->command);
}

/* PORTS: what a running container publishes (and exposes), from its run folder. */
static char *ports_of(struct store *s, const struct store_container *c)
{
	_cleanup_free_ char *rundir = NULL;
	json_auto_t *ports = NULL;

	if (!container_is_running(c))
		return xstrdup("");
	rundir = xasprintf("%s/%s", s->runroot, c->id);
	ports = net_ports_read(rundir);
	return net_ports_format_ps(ports);
}

/*
 * The network ps names for a container's NetworkMode: "bridge" for the
 * default, the mode itself for host, none and user networks, and nothing for
 * container:NAME (it has no network of its own), as Docker prints them.
 */
static const char *network_name(const char *mode)
{
	if (!mode || !*mode || !strcmp(mode, "default"))
		return "bridge";
	if (str_has_prefix(mode, "container:"))
		return "";
	return mode;
}

static json_t *row_of(struct store *s, const struct store_container *c, const struct ps_opts *o)
{
	struct ps_fields f;
	_cleanup_free_ char *id = o->no_trunc ? xstrdup(c->id) : xstrndup(c->id, 12);
	_cleanup_free_ char *command = NULL, *labels = NULL, *ports = NULL;
	_cleanup_free_ char *running_for = cli_since(c->created, " ago");
	_cleanup_free_ char *status = status_of(c);
	_cleanup_free_ char *size = o->size ? size_of(s, c) : xstrdup("");
	time_t sec = (time_t)(c->created / 1000000000LL);
	char created_at[64];
	struct tm tm;
	json_t *row;

	fields_of(c, &f);
	ports = ports_of(s, c);
	command = command_of(f.command, o->no_trunc);
	labels = labels_of(f.labels);
	gmtime_r(&sec, &tm);
	strftime(created_at, sizeof(created_at), "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
	/* json_pack would parse its format for each of thousands of rows */
	const char *const fields[][2] = {
		{"ID", id},
		{"Image", c->image},
		{"Command", command},
		{"CreatedAt", created_at},
		{"RunningFor", running_for},
		{"Ports", ports},
		{"State", store_container_state_name(c->state)},
		{"Status", status},
		{"Size", size},
		{"Names", c->name},
		{"Labels", labels},
		{"Mounts", ""},
		{"Networks", network_name(f.network)},
		{"LocalVolumes", "0"},
	};
	row = json_object();
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		json_object_set_new_nocheck(row, fields[i][0], json_string_nocheck(fields[i][1]));
	/* for the .Label method */
	json_object_set(o->labels, id, f.labels);
	fields_release(&f);
	return row;
}

json_t *cli_ps_row(struct store *s, const struct store_container *c, bool no_trunc)
{
	json_auto_t *labels = json_object();
	struct ps_opts o = {.no_trunc = no_trunc, .labels = labels};

	return row_of(s, c, &o);
}

/* {{.Label "key"}} of a ps row */
static int row_method(void *userdata, const char *name, const json_t *receiver, json_t *const *args,
		      size_t nargs, json_t **result, struct berth_error **err)
{
	const char *v;

	const json_t *labels = json_object_get(userdata, json_get_str(receiver, "ID") ?: "");

	if (strcmp(name, "Label") || !labels)
		return 0;
	if (nargs != 1 || !json_is_string(args[0]))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"wrong number of args for Label");
	v = json_get_str(labels, json_string_value(args[0]));
	*result = json_string(v ? v : "");
	return 1;
}

static const char *const filter_keys[] = {"id",	      "name",	   "label",   "status",	 "exited",
					  "ancestor", "before",	   "since",   "volume",	 "network",
					  "health",   "isolation", "is-task", "publish", "expose"};

/* --filter key=value: values of one key are alternatives; keys must all match. */
static int add_filter(json_t *filters, const char *arg, struct berth_error **err)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
	json_t *list;
	bool known = false;

	for (size_t i = 0; i < ARRAY_SIZE(filter_keys); i++)
		known |= !strcmp(key, filter_keys[i]);
	if (!eq)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"bad format of filter (expected name=value)");
	if (!known)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid filter '%s'", key);
	if (!strcmp(key, "health") && strcmp(eq + 1, "starting") && strcmp(eq + 1, "healthy") &&
	    strcmp(eq + 1, "unhealthy") && strcmp(eq + 1, "none"))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"Unrecognised filter value for health: %s", eq + 1);
	if (!strcmp(key, "status")) {
		static const char *const states[] = {"created", "restarting", "running", "removing",
						     "paused",	"exited",     "dead"};
		bool ok = false;
		for (size_t i = 0; i < ARRAY_SIZE(states); i++)
			ok |= !strcmp(eq + 1, states[i]);
		if (!ok)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid filter 'status=%s'", eq + 1);
	}
	list = json_object_get(filters, key);
	if (!list) {
		list = json_array();
		json_object_set_new(filters, key, list);
	}
	json_array_append_new(list, json_string(eq + 1));
	return 0;
}

static bool name_matches(const char *pattern, const char *name)
{
	_cleanup_free_ char *slashed = xasprintf("/%s", name);
	regex_t re;
	bool m;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(name, pattern) != NULL;
	m = !regexec(&re, name, 0, NULL, 0) || !regexec(&re, slashed, 0, NULL, 0);
	regfree(&re);
	return m;
}

static bool label_matches(const char *want, const json_t *labels)
{
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	const char *v = json_get_str(labels, key);

	return v && (!eq || !strcmp(v, eq + 1));
}

/*
 * expose=PORT[-PORT][/PROTO] (tcp unless said): a port of Config.ExposedPorts
 * ("80/tcp") in the range; publish=: of HostConfig.PortBindings, as Docker's.
 */
static bool port_matches(struct store *s, const char *want, const struct store_container *c,
			 bool published)
{
	/* the list leaves the config out (ps needs it for this filter only) */
	_cleanup_(store_container_freep) struct store_container *full =
		store_container_find(s, c->id, NULL);
	json_auto_t *config = full ? json_loads(full->config, 0, NULL) : NULL;
	json_t *ports =
		published ? json_object_get(json_object_get(config, "HostConfig"), "PortBindings")
			  : json_object_get(json_object_get(config, "Config"), "ExposedPorts");
	const char *slash = strchr(want, '/'), *key;
	unsigned lo = 0, hi = 0;
	json_t *v;
	int n = 0;

	if (sscanf(want, "%u%n", &lo, &n) != 1)
		return false;
	hi = lo;
	if (want[n] == '-' && sscanf(want + n + 1, "%u", &hi) != 1)
		return false;
	json_object_foreach(ports, key, v)
	{
		unsigned port;
		const char *proto = strchr(key, '/');
		if (sscanf(key, "%u", &port) == 1 && port >= lo && port <= hi &&
		    !strcmp(proto ? proto + 1 : "tcp", slash ? slash + 1 : "tcp"))
			return true;
	}
	return false;
}

/*
 * volume=NAME|SOURCE|DEST: a mount of the container by its volume's name (a
 * bind's source when it has none) or its destination, as Docker's.
 */
static bool volume_matches(struct store *s, const char *want, const struct store_container *c)
{
	_cleanup_(store_container_freep) struct store_container *full =
		store_container_find(s, c->id, NULL);
	json_auto_t *config = full ? json_loads(full->config, 0, NULL) : NULL;
	json_t *mp;
	size_t i;

	json_array_foreach(json_object_get(config, "MountPoints"), i, mp)
	{
		const char *name = json_get_str(mp, "Name"),
			   *dest = json_get_str(mp, "Destination");
		const char *by = name && *name ? name : json_get_str(mp, "Source");

		if ((by && !strcmp(by, want)) || (dest && !strcmp(dest, want)))
			return true;
	}
	return false;
}

/* Created before (or after, with after) the container named what. */
static bool created_relative(struct store *s, const char *what, const struct store_container *c,
			     bool after)
{
	_cleanup_(store_container_freep) struct store_container *ref =
		container_find(s, what, NULL);

	return ref && (after ? c->created > ref->created : c->created < ref->created);
}

static bool one_matches(struct store *s, const char *key, const char *v,
			const struct store_container *c, const struct ps_fields *f)
{
	const char *net = f->network;

	if (!strcmp(key, "id"))
		return str_has_prefix(c->id, v);
	if (!strcmp(key, "name"))
		return name_matches(v, c->name);
	if (!strcmp(key, "label"))
		return label_matches(v, f->labels);
	if (!strcmp(key, "status"))
		return !strcmp(v, store_container_state_name(c->state));
	if (!strcmp(key, "exited"))
		return c->state == STORE_CONTAINER_EXITED && atoi(v) == c->exit_code;
	if (!strcmp(key, "ancestor")) {
		_cleanup_(store_image_freep) struct store_image *img = image_lookup(s, v, NULL);
		return img && !strcmp(img->id, c->image_id);
	}
	if (!strcmp(key, "before") || !strcmp(key, "since"))
		return created_relative(s, v, c, key[0] == 's');
	if (!strcmp(key, "network"))
		return !strcmp(v, network_name(net));
	if (!strcmp(key, "health")) /* no container has a health check yet */
		return !strcmp(v, "none");
	if (!strcmp(key, "expose") || !strcmp(key, "publish"))
		return port_matches(s, v, c, key[0] == 'p');
	if (!strcmp(key, "volume"))
		return volume_matches(s, v, c);
	return false;
}

static bool matches(struct store *s, const json_t *filters, const struct store_container *c)
{
	struct ps_fields f;
	const char *key;
	json_t *values, *v;
	bool all = true;
	size_t i;

	if (!json_object_size(filters))
		return true;
	fields_of(c, &f);
	json_object_foreach((json_t *)filters, key, values)
	{
		bool any = false;
		json_array_foreach(values, i, v)
		{
			any |= one_matches(s, key, json_string_value(v), c, &f);
		}
		all &= any;
	}
	fields_release(&f);
	return all;
}

static int parse_ps(int argc, char **argv, struct ps_opts *o)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},	  {"quiet", no_argument, NULL, 'q'},
		{"latest", no_argument, NULL, 'l'},	  {"last", required_argument, NULL, 'n'},
		{"size", no_argument, NULL, 's'},	  {"no-trunc", no_argument, NULL, 'T'},
		{"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	_cleanup_error_ struct berth_error *err = NULL;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "+aqln:sf:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->all = true;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'l':
			o->last = 1;
			break;
		case 's':
			o->size = true;
			break;
		case 'T':
			o->no_trunc = true;
			break;
		case 'F':
			o->format = optarg;
			break;
		case 'n':
			o->last = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg)
				return -cli_usage_error(
					"ps",
					"invalid argument \"%s\" for \"-n, --last\" "
					"flag: strconv.ParseInt: parsing \"%s\": invalid syntax",
					optarg, optarg);
			break;
		case 'f':
			if (add_filter(o->filters, optarg, &err) < 0) {
				fprintf(stderr, "Error response from daemon: %s\n", err->msg);
				return -1;
			}
			break;
		case 'h':
			puts("Usage:  berth ps [OPTIONS]\n\nList containers\n\nOptions:\n"
			     "  -a, --all             Show all containers (default shows just "
			     "running)\n"
			     "  -f, --filter filter   Filter output based on conditions provided\n"
			     "      --format string   Format output using a custom template\n"
			     "  -n, --last int        Show n last created containers (includes all "
			     "states)\n"
			     "  -l, --latest          Show the latest created container (includes "
			     "all states)\n"
			     "      --no-trunc        Don't truncate output\n"
			     "  -q, --quiet           Only display container IDs\n"
			     "  -s, --size            Display total file sizes");
			return -0x100;
		default:
			return -cli_getopt_error("ps", argv, optopt, longopts);
		}
	}
	if (optind < argc)
		return -cli_usage_error("ps", "\"ps\" accepts no arguments.");
	return 0;
}

static json_t *ps_headers(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			 "ID", "CONTAINER ID", "Image", "IMAGE", "Command", "COMMAND", "CreatedAt",
			 "CREATED AT", "RunningFor", "CREATED", "Ports", "PORTS", "State", "STATE",
			 "Status", "STATUS", "Size", "SIZE", "Names", "NAMES", "Labels", "LABELS",
			 "Mounts", "MOUNTS", "Networks", "NETWORKS", "LocalVolumes",
			 "LOCAL VOLUMES");
}

int cmd_ps(int argc, char **argv)
{
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct ps_opts o = {.last = -1, .filters = json_object(), .labels = json_object()};
	json_auto_t *filters = o.filters, *labels = o.labels, *headers = NULL;
	struct store_container **list = NULL;
	json_t **rows;
	size_t n = 0;
	int r = parse_ps(argc, argv, &o);

	if (r < 0)
		return r == -0x100 ? 0 : (r == -1 ? 1 : -r);
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (container_list(s, &list, &err) < 0)
		return cli_report(err);
	/* -n, -l and a status filter look at containers in every state */
	if (o.last >= 0 || json_object_get(filters, "status") || json_object_get(filters, "exited"))
		o.all = true;
	rows = xcalloc(strv_len((char **)list) + 1, sizeof(json_t *));
	for (size_t i = 0; list[i] && (o.last < 0 || (int)i < o.last); i++) {
		if (!o.all && !container_is_running(list[i]))
			continue;
		if (!matches(s, filters, list[i]))
			continue;
		if (o.quiet)
			printf("%.*s\n", o.no_trunc ? 64 : 12, list[i]->id);
		else
			rows[n++] = row_of(s, list[i], &o);
	}
	if (!o.quiet) {
		_cleanup_free_ char *def =
			xasprintf("%s%s", PS_DEFAULT, o.size ? "\t{{.Size}}" : "");
		headers = ps_headers();
		if (cli_format_rows(o.format && *o.format ? o.format : def, rows, n, headers,
				    row_method, labels, &err) < 0) {
			fprintf(stderr, "%s\n", err->msg);
			r = 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	store_container_list_free(list);
	return r;
}
