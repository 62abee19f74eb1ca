/* Container verbs of the first capability: ps and rm. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"

static char *status_of(const struct store_container *c)
{
	_cleanup_free_ char *when = NULL;
	char buf[64];

	switch (c->state) {
	case STORE_CONTAINER_RUNNING:
	case STORE_CONTAINER_PAUSED:
		when = cli_since(c->started_at, "");
		return xasprintf("Up %s%s", when,
				 c->state == STORE_CONTAINER_PAUSED ? " (Paused)" : "");
	case STORE_CONTAINER_EXITED:
		when = cli_since(c->finished_at, " ago");
		return xasprintf("Exited (%d) %s", c->exit_code, when);
	default:
		snprintf(buf, sizeof(buf), "%s",
			 c->state == STORE_CONTAINER_CREATED
				 ? "Created"
				 : store_container_state_name(c->state));
		return xstrdup(buf);
	}
}

/* "\"sh -c 'while…\"": Entrypoint and Cmd joined, cut to 20 characters as docker does. */
static char *command_of(const struct store_container *c)
{
	json_auto_t *j = json_loads(c->config, 0, NULL);
	json_t *cfg = json_object_get(j, "Config");
	_cleanup_strv_ char **ep = json_get_strv(cfg, "Entrypoint");
	_cleanup_strv_ char **cmd = json_get_strv(cfg, "Cmd");
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	for (size_t i = 0; ep && ep[i]; i++)
		strbuf_addf(&sb, "%s%s", n++ ? " " : "", ep[i]);
	for (size_t i = 0; cmd && cmd[i]; i++)
		strbuf_addf(&sb, "%s%s", n++ ? " " : "", cmd[i]);
	if (sb.len > 20) {
		sb.len = 19;
		strbuf_addstr(&sb, "…");
	}
	char *r = xasprintf("\"%s\"", sb.buf ? sb.buf : "");
	strbuf_release(&sb);
	return r;
}

static void ps_row(struct table *t, const struct store_container *c)
{
	_cleanup_free_ char *id = xstrndup(c->id, 12), *command = command_of(c);
	_cleanup_free_ char *created = cli_since(c->created, " ago"), *status = status_of(c);
	const char *cells[] = {id, c->image, command, created, status, "", c->name};

	table_add(t, cells);
}

int cmd_ps(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"all", no_argument, NULL, 'a'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const header[] = {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
					     "STATUS",	     "PORTS", "NAMES"};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_container **list = NULL;
	bool all = false, quiet = false;
	struct table *t;
	int c;

	while ((c = getopt_long(argc, argv, "+aqh", longopts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h')
			return puts("Usage:  berth ps [OPTIONS]\n\nList containers\n\n"
				    "Options:\n  -a, --all     Show all containers\n"
				    "  -q, --quiet   Only display container IDs") < 0;
		else
			return cli_getopt_error("ps", argv, optopt, longopts);
	}
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (container_list(s, &list, &err) < 0)
		return cli_report(err);
	t = table_new(7);
	table_add(t, header);
	for (size_t i = 0; list[i]; i++) {
		if (!all && list[i]->state != STORE_CONTAINER_RUNNING &&
		    list[i]->state != STORE_CONTAINER_PAUSED)
			continue;
		if (quiet)
			printf("%.12s\n", list[i]->id);
		else
			ps_row(t, list[i]);
	}
	if (!quiet)
		table_print(t);
	table_free(t);
	store_container_list_free(list);
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"volumes", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	bool force = false;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fvh", longopts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h')
			return puts("Usage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
				    "Remove one or more containers\n\n"
				    "Options:\n  -f, --force   Force the removal of a running "
				    "container") < 0;
		else if (c != 'v')
			return cli_getopt_error("rm", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("rm", "\"rm\" requires at least 1 argument.");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		if (container_remove(s, argv[i], force, &err) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
			continue;
		}
		puts(argv[i]);
	}
	return rc;
}
