/* port: a container's published ports, as Docker's CLI lists them. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "net/ports.h"
#include "util/strutil.h"

#define PORT_USAGE "Usage:  berth port CONTAINER [PRIVATE_PORT[/PROTO]]"

/* NetworkSettings.Ports of a running container; {} otherwise, as Docker's. */
static json_t *ports_of(struct store *s, const struct store_container *c)
{
	_cleanup_free_ char *rundir = NULL;

	if (!container_is_running(c))
		return json_object();
	rundir = xasprintf("%s/%s", s->runroot, c->id);
	return net_ports_read(rundir);
}

int cmd_port(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *text = NULL;
	json_auto_t *ports = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (opt != 'h')
			return cli_getopt_error("port", argv, optopt, longopts);
		puts(PORT_USAGE "\n\nList port mappings or a specific mapping for the container");
		return 0;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error(
			"port",
			"\"port\" requires at least 1 and at most 2 arguments.\n" PORT_USAGE);
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	c = container_find(s, argv[optind], &err);
	if (!c) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	ports = ports_of(s, c);
	/* Docker's CLI prints its own "Error: ..." and exits 1 */
	text = net_ports_format_port(ports, argv[optind + 1], argv[optind], &err);
	if (!text) {
		fprintf(stderr, "%s\n", err->msg);
		return 1;
	}
	fputs(text, stdout);
	return 0;
}
