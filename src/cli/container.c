/* rm. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"

int cmd_rm(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"volumes", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	unsigned flags = 0;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+fvh", longopts, NULL)) != -1) {
		if (c == 'f')
			flags |= CONTAINER_REMOVE_FORCE;
		else if (c == 'v')
			flags |= CONTAINER_REMOVE_VOLUMES;
		else if (c == 'h')
			return puts("Usage:  berth rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
				    "Remove one or more containers\n\n"
				    "Options:\n"
				    "  -f, --force     Force the removal of a running container\n"
				    "  -v, --volumes   Remove anonymous volumes of the container") <
			       0;
		else
			return cli_getopt_error("rm", argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error("rm", "\"rm\" requires at least 1 argument.");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *err = NULL;
		if (container_remove(s, argv[i], flags, &err) < 0) {
			fprintf(stderr, "Error response from daemon: %s\n", err->msg);
			rc = 1;
			continue;
		}
		puts(argv[i]);
	}
	return rc;
}
