/* network create, ls, inspect, rm and prune, as Docker's. */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "net/net.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/template.h"
#include "util/timeutil.h"

/* "berth network" alone, or with an unknown command: the group's usage. */
int cmd_network(int argc, char **argv)
{
	FILE *f = argc > 1 && strcmp(argv[1], "--help") ? stderr : stdout;

	if (argc > 1 && strcmp(argv[1], "--help"))
		fprintf(stderr, "berth: 'network %s' is not a berth command.\n", argv[1]);
	fputs("Usage:  berth network COMMAND\n\nManage networks\n\nCommands:\n"
	      "  connect     Connect a container to a network\n"
	      "  create      Create a network\n"
	      "  disconnect  Disconnect a container from a network\n"
	      "  inspect     Display detailed information on one or more networks\n"
	      "  ls          List networks\n"
	      "  prune       Remove all unused networks\n"
	      "  rm          Remove one or more networks\n\n"
	      "Run 'berth network COMMAND --help' for more information on a command.\n",
	      f);
	return f == stderr ? 1 : 0;
}

static int daemon_error(const struct berth_error *err)
{
	fprintf(stderr, "Error response from daemon: %s\n", err->msg);
	return 1;
}

/* create */

static void set_label(json_t *obj, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);

	json_object_set_new(obj, key, json_string(eq ? eq + 1 : ""));
}

int cmd_network_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"subnet", required_argument, NULL, 's'},
		{"gateway", required_argument, NULL, 'g'},
		{"internal", no_argument, NULL, 'i'},
		{"label", required_argument, NULL, 'l'},
		{"driver", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(store_network_freep) struct store_network *n = NULL;
	_cleanup_free_ char *labels_text = NULL;
	json_auto_t *labels = json_object();
	struct net_network_opts o = {0};
	const char *driver = "bridge";
	int c;

	while ((c = getopt_long(argc, argv, "+d:h", longopts, NULL)) != -1) {
		if (c == 's')
			o.subnet = optarg;
		else if (c == 'g')
			o.gateway = optarg;
		else if (c == 'i')
			o.internal = true;
		else if (c == 'l')
			set_label(labels, optarg);
		else if (c == 'd')
			driver = optarg;
		else if (c == 'h')
			return puts("Usage:  berth network create [OPTIONS] NETWORK\n\n"
				    "Create a network\n\nOptions:\n"
				    "  -d, --driver string        Driver to manage the Network "
				    "(default \"bridge\")\n"
				    "      --gateway strings      IPv4 Gateway for the master "
				    "subnet\n"
				    "      --internal             Restrict external access to the "
				    "network\n"
				    "      --label list           Set metadata on a network\n"
				    "      --subnet strings       Subnet in CIDR format that "
				    "represents a network segment") < 0;
		else
			return cli_getopt_error("network create", argv, optopt, longopts);
	}
	if (argc - optind != 1)
		return cli_usage_error("network create",
				       "\"network create\" requires exactly 1 argument.");
	if (strcmp(driver, "bridge")) {
		fprintf(stderr, "Error response from daemon: plugin \"%s\" not found\n", driver);
		return 1;
	}
	if (o.gateway && !o.subnet) {
		fprintf(stderr, "Error response from daemon: every ip-range or gateway must have "
				"a corresponding subnet\n");
		return 1;
	}
	o.name = argv[optind];
	labels_text = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	o.labels = labels_text;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	n = net_network_create(s, &o, &err);
	if (!n)
		return daemon_error(err);
	puts(n->id);
	return 0;
}

/* What ls and inspect show: the store's networks, and Docker's host and none. */

static struct store_network *builtin(const char *name)
{
	char digest[SHA256_DIGEST_LEN];
	_cleanup_free_ char *seed = xasprintf("berth network %s", name);
	struct store_network *n = xcalloc(1, sizeof(*n));

	sha256_of(seed, strlen(seed), digest);
	n->id = xstrdup(digest_hex(digest));
	n->name = xstrdup(name);
	n->driver = xstrdup(name);
	n->labels = xstrdup("{}");
	n->options = xstrdup("{}");
	return n;
}

static bool is_builtin(const struct store_network *n)
{
	return !strcmp(n->name, NET_DEFAULT_NAME) || !n->bridge;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct store_network *const *)a)->name,
		      (*(struct store_network *const *)b)->name);
}

/* The store's networks (the default made if need be), then host and none. */
static int all_networks(struct store *s, struct store_network ***out, struct berth_error **err)
{
	_cleanup_(store_network_freep) struct store_network *d = net_default_network(s, err);
	size_t k = 0;

	if (!d || store_network_list(s, out, err) < 0)
		return -1;
	while ((*out)[k])
		k++;
	*out = xrealloc(*out, (k + 3) * sizeof(**out));
	(*out)[k++] = builtin("host");
	(*out)[k++] = builtin("none");
	(*out)[k] = NULL;
	sort_array(*out, k, sizeof(**out), by_name);
	return 0;
}

static struct store_network *find_network(struct store *s, const char *what,
					  struct berth_error **err)
{
	struct store_network **list = NULL;
	struct store_network *found = NULL;

	if (strcmp(what, "host") && strcmp(what, "none"))
		return store_network_find(s, what, err);
	if (all_networks(s, &list, err) < 0)
		return NULL;
	for (size_t i = 0; list[i] && !found; i++)
		if (!strcmp(list[i]->name, what)) {
			found = list[i];
			list[i] = builtin("x"); /* freed with the list */
		}
	store_network_list_free(list);
	return found;
}

static json_t *parse_object(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;

	return j && json_is_object(j) ? j : (json_decref(j), json_object());
}

/* inspect's Containers: those holding an address on the network. */
static json_t *endpoints_json(struct store *s, const struct store_network *n)
{
	struct store_lease **leases = NULL;
	json_t *out = json_object();
	const char *slash = n->subnet ? strchr(n->subnet, '/') : NULL;
	int prefix = slash ? atoi(slash + 1) : 0;

	if (!n->bridge || store_lease_list(s, n->id, NULL, &leases, NULL) < 0)
		return out;
	for (size_t i = 0; leases[i]; i++) {
		_cleanup_(store_container_freep) struct store_container *c =
			store_container_find(s, leases[i]->container_id, NULL);
		_cleanup_free_ struct net_endpoint *eps = NULL;
		_cleanup_free_ char *addr = xasprintf("%s/%d", leases[i]->address, prefix);
		const char *mac = "";
		size_t k = 0;

		net_container_endpoints(s, leases[i]->container_id, &eps, &k, NULL);
		for (size_t j = 0; j < k; j++)
			if (!strcmp(eps[j].network_id, n->id))
				mac = eps[j].mac;
		json_object_set_new(out, leases[i]->container_id,
				    json_pack("{s:s, s:s, s:s, s:s, s:s}", "Name", c ? c->name : "",
					      "EndpointID", leases[i]->endpoint_id, "MacAddress",
					      mac, "IPv4Address", addr, "IPv6Address", ""));
	}
	store_lease_list_free(leases);
	return out;
}

static json_t *network_json(struct store *s, const struct store_network *n)
{
	char created[64] = "0001-01-01T00:00:00Z";
	json_t *config = json_array();

	if (n->created)
		time_format_rfc3339nano(n->created, created, sizeof(created));
	if (n->subnet)
		json_array_append_new(config, json_pack("{s:s, s:s}", "Subnet", n->subnet,
							"Gateway", n->gateway ? n->gateway : ""));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:o, s:o}, s:b, s:b, s:b, "
			 "s:{s:s}, s:b, s:o, s:o, s:o}",
			 "Name", n->name, "Id", n->id, "Created", created, "Scope", "local",
			 "Driver", n->driver, "EnableIPv6", 0, "IPAM", "Driver", "default",
			 "Options", json_object(), "Config", config, "Internal", n->internal,
			 "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "", "ConfigOnly",
			 0, "Containers", endpoints_json(s, n), "Options", parse_object(n->options),
			 "Labels", parse_object(n->labels));
}

json_t *cli_network_inspect(struct store *s, const char *what, struct berth_error **err)
{
	_cleanup_(store_network_freep) struct store_network *n = find_network(s, what, err);

	return n ? network_json(s, n) : NULL;
}

/* ls */

struct ls_filters {
	char **names, **ids, **drivers, **labels, **types;
};

static void ls_filters_release(struct ls_filters *f)
{
	strv_free(f->names);
	strv_free(f->ids);
	strv_free(f->drivers);
	strv_free(f->labels);
	strv_free(f->types);
}

static int add_filter(struct ls_filters *f, const char *arg)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *key = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);
	const char *v = eq ? eq + 1 : "";

	if (!eq)
		return cli_usage_error("network ls", "bad format of filter (expected name=value)");
	if (!strcmp(key, "name"))
		strv_push(&f->names, v);
	else if (!strcmp(key, "id"))
		strv_push(&f->ids, v);
	else if (!strcmp(key, "driver"))
		strv_push(&f->drivers, v);
	else if (!strcmp(key, "label"))
		strv_push(&f->labels, v);
	else if (!strcmp(key, "type") && (!strcmp(v, "custom") || !strcmp(v, "builtin")))
		strv_push(&f->types, v);
	else if (!strcmp(key, "type"))
		goto bad_type;
	else
		goto bad_key;
	return -1; /* go on */
bad_type:
	fprintf(stderr, "Error response from daemon: invalid filter: 'type'='%s'\n", v);
	return 1;
bad_key:
	fprintf(stderr, "Error response from daemon: invalid filter '%s'\n", key);
	return 1;
}

static bool regex_matches(const char *pattern, const char *s)
{
	regex_t re;
	bool m;

	if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
		return strstr(s, pattern) != NULL;
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

static bool label_matches(const char *labels_text, const char *want)
{
	json_auto_t *labels = parse_object(labels_text);
	const char *eq = strchr(want, '=');
	_cleanup_free_ char *key = eq ? xstrndup(want, (size_t)(eq - want)) : xstrdup(want);
	const char *v = json_get_str(labels, key);

	return v && (!eq || !strcmp(v, eq + 1));
}

/* Values of one key are alternatives (labels: all must match); keys must all match. */
static bool filters_take(const struct ls_filters *f, const struct store_network *n)
{
	bool ok;

	ok = !f->names;
	for (size_t i = 0; f->names && f->names[i]; i++)
		ok |= regex_matches(f->names[i], n->name);
	if (!ok)
		return false;
	ok = !f->ids;
	for (size_t i = 0; f->ids && f->ids[i]; i++)
		ok |= str_has_prefix(n->id, f->ids[i]);
	if (!ok)
		return false;
	ok = !f->drivers;
	for (size_t i = 0; f->drivers && f->drivers[i]; i++)
		ok |= !strcmp(n->driver, f->drivers[i]);
	if (!ok)
		return false;
	ok = !f->types;
	for (size_t i = 0; f->types && f->types[i]; i++)
		ok |= !strcmp(f->types[i], is_builtin(n) ? "builtin" : "custom");
	for (size_t i = 0; f->labels && f->labels[i]; i++)
		ok &= label_matches(n->labels, f->labels[i]);
	return ok;
}

static json_t *ls_row(const struct store_network *n, bool no_trunc)
{
	json_auto_t *labels = parse_object(n->labels);
	struct strbuf lb = STRBUF_INIT;
	_cleanup_free_ char *created = NULL;
	char when[64] = "";
	const char *k;
	json_t *v, *row;

	json_object_foreach(labels, k, v)
		strbuf_addf(&lb, "%s%s=%s", lb.len ? "," : "", k, json_string_value(v));
	if (n->created)
		time_format_rfc3339nano(n->created, when, sizeof(when));
	row = json_pack("{s:s%, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", n->id,
			no_trunc ? strlen(n->id) : (size_t)12, "Name", n->name, "Driver", n->driver,
			"Scope", "local", "IPv6", "false", "Internal",
			n->internal ? "true" : "false", "Labels", lb.buf ? lb.buf : "", "CreatedAt",
			when);
	strbuf_release(&lb);
	return row;
}

static int print_networks(struct store *s, const struct ls_filters *f, const char *format,
			  bool quiet, bool no_trunc)
{
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *headers =
		json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ID", "NETWORK ID", "Name",
			  "NAME", "Driver", "DRIVER", "Scope", "SCOPE", "IPv6", "IPV6", "Internal",
			  "INTERNAL", "Labels", "LABELS", "CreatedAt", "CREATED");
	struct store_network **list = NULL;
	json_t **rows;
	size_t n = 0;
	int r = 0;

	if (all_networks(s, &list, &err) < 0)
		return cli_report(err);
	rows = xcalloc(1, sizeof(*rows));
	for (size_t i = 0; list[i]; i++) {
		if (!filters_take(f, list[i]))
			continue;
		if (quiet) {
			printf("%.*s\n", no_trunc ? 64 : 12, list[i]->id);
			continue;
		}
		rows = xrealloc(rows, (n + 1) * sizeof(*rows));
		rows[n++] = ls_row(list[i], no_trunc);
	}
	if (!quiet && cli_format_rows(format, rows, n, headers, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		r = 1;
	}
	for (size_t i = 0; i < n; i++)
		json_decref(rows[i]);
	free(rows);
	store_network_list_free(list);
	return r;
}

#define LS_FORMAT "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

int cmd_network_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},	  {"filter", required_argument, NULL, 'f'},
		{"format", required_argument, NULL, 'F'}, {"no-trunc", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(ls_filters_release) struct ls_filters f = {0};
	const char *format = LS_FORMAT;
	bool quiet = false, no_trunc = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "+qf:h", longopts, NULL)) != -1) {
		if (c == 'q') {
			quiet = true;
		} else if (c == 'f') {
			if ((r = add_filter(&f, optarg)) >= 0)
				return r;
		} else if (c == 'F') {
			format = optarg;
		} else if (c == 'n') {
			no_trunc = true;
		} else if (c == 'h') {
			puts("Usage:  berth network ls [OPTIONS]\n\nList networks\n\nAliases:\n"
			     "  berth network ls, berth network list\n\nOptions:\n"
			     "  -f, --filter filter   Provide filter values (e.g. "
			     "\"driver=bridge\")\n"
			     "      --format string   Format output using a custom template\n"
			     "      --no-trunc        Do not truncate the output\n"
			     "  -q, --quiet           Only display network IDs");
			return 0;
		} else {
			return cli_getopt_error("network ls", argv, optopt, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("network ls", "\"network ls\" accepts no arguments.");
	if (!strcmp(format, "table"))
		format = LS_FORMAT;
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	return print_networks(s, &f, format, quiet, no_trunc);
}

/* inspect */

int cmd_network_inspect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(template_freep) struct template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *all = json_array();
	const char *format = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+f:vh", longopts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'v')
			continue;
		else if (c == 'h')
			return puts("Usage:  berth network inspect [OPTIONS] NETWORK "
				    "[NETWORK...]\n\n"
				    "Display detailed information on one or more networks\n\n"
				    "Options:\n  -f, --format string   Format output using a "
				    "custom template\n  -v, --verbose         Verbose output for "
				    "diagnostics") < 0;
		else
			return cli_getopt_error("network inspect", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("network inspect",
				       "\"network inspect\" requires at least 1 argument.");
	if (format && *format && strcmp(format, "json") && !(t = template_parse(format, 0, &err))) {
		fprintf(stderr, "%s\n", err->msg);
		return EXIT_ENGINE;
	}
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		_cleanup_(store_network_freep) struct store_network *n =
			find_network(s, argv[i], &e);
		json_auto_t *obj = n ? network_json(s, n) : NULL;
		struct strbuf out = STRBUF_INIT;

		if (!obj) {
			rc = daemon_error(e);
		} else if (t) {
			if (template_execute(t, obj, &out, &e) < 0) {
				fprintf(stderr, "%s\n", e->msg);
				rc = 1;
			} else {
				printf("%s\n", out.buf ? out.buf : "");
			}
			strbuf_release(&out);
		} else {
			json_array_append(all, obj);
		}
	}
	if (!t) {
		_cleanup_free_ char *text = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "[]");
	}
	return rc;
}

/* rm */

static int remove_one(struct store *s, const char *what, struct berth_error **err)
{
	_cleanup_(store_network_freep) struct store_network *n = NULL;

	if (!strcmp(what, "host") || !strcmp(what, "none"))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"%s is a pre-defined network and cannot be removed", what);
	n = store_network_find(s, what, err);
	return n ? net_network_remove(s, n, err) : -1;
}

int cmd_network_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	bool force = false;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return puts("Usage:  berth network rm NETWORK [NETWORK...]\n\n"
				    "Remove one or more networks\n\nAliases:\n"
				    "  berth network rm, berth network remove\n\nOptions:\n"
				    "  -f, --force   Do not error if the network does not exist") <
			       0;
		else
			return cli_getopt_error("network rm", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("network rm",
				       "\"network rm\" requires at least 1 argument.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;

		if (remove_one(s, argv[i], &err) < 0) {
			if (force && err->kind == BERTH_ERR_NOT_FOUND)
				continue;
			rc = daemon_error(err);
			continue;
		}
		puts(argv[i]);
	}
	return rc;
}

/* prune */

int cmd_network_prune(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"filter", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	char answer[16] = "";
	bool force = false, deleted;
	int c;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'F')
			continue; /* NEEDSWORK: until=, label= */
		else if (c == 'h')
			return puts("Usage:  berth network prune [OPTIONS]\n\n"
				    "Remove all unused networks\n\nOptions:\n"
				    "      --filter filter   Provide filter values (e.g. "
				    "\"until=<timestamp>\")\n"
				    "  -f, --force           Do not prompt for confirmation") < 0;
		else
			return cli_getopt_error("network prune", argv, optopt, longopts);
	}
	if (optind < argc)
		return cli_usage_error("network prune", "\"network prune\" accepts no arguments.");
	if (!force) {
		printf("WARNING! This will remove all custom networks not used by at least one "
		       "container.\nAre you sure you want to continue? [y/N] ");
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || (answer[0] != 'y' && answer[0] != 'Y'))
			return 0;
	}
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (cli_network_prune(s, &deleted, &err) < 0)
		return cli_report(err);
	/* Docker's CLI ends with an empty line, deleted networks or none */
	putchar('\n');
	return 0;
}

int cli_network_prune(struct store *s, bool *deleted, struct berth_error **err)
{
	struct store_network **list = NULL;

	*deleted = false;
	if (store_network_list(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; list[i]; i++) {
		_cleanup_error_ struct berth_error *e = NULL;

		if (is_builtin(list[i]) || net_network_remove(s, list[i], &e) < 0)
			continue;
		if (!*deleted)
			puts("Deleted Networks:");
		*deleted = true;
		puts(list[i]->name);
	}
	store_network_list_free(list);
	return 0;
}

/* connect and disconnect */

int cmd_network_connect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"alias", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **aliases = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c == 'a')
			strv_push(&aliases, optarg);
		else if (c == 'h')
			return puts("Usage:  berth network connect [OPTIONS] NETWORK CONTAINER\n\n"
				    "Connect a container to a network\n\nOptions:\n"
				    "      --alias strings   Add network-scoped alias for the "
				    "container") < 0;
		else
			return cli_getopt_error("network connect", argv, optopt, longopts);
	}
	if (argc - optind != 2)
		return cli_usage_error("network connect",
				       "\"network connect\" requires exactly 2 arguments.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (container_net_connect(s, argv[optind + 1], argv[optind], aliases, &err) < 0)
		return daemon_error(err);
	return 0;
}

int cmd_network_disconnect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+fh", longopts, NULL)) != -1) {
		if (c == 'f')
			continue;
		else if (c == 'h')
			return puts("Usage:  berth network disconnect [OPTIONS] NETWORK "
				    "CONTAINER\n\n"
				    "Disconnect a container from a network\n\nOptions:\n"
				    "  -f, --force   Force the container to disconnect from a "
				    "network") < 0;
		else
			return cli_getopt_error("network disconnect", argv, optopt, longopts);
	}
	if (argc - optind != 2)
		return cli_usage_error("network disconnect",
				       "\"network disconnect\" requires exactly 2 arguments.");
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	if (container_net_disconnect(s, argv[optind + 1], argv[optind], &err) < 0)
		return daemon_error(err);
	return 0;
}
