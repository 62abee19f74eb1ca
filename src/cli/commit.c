/* commit: a new image from a container's changes. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "util/strutil.h"

int cmd_commit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"author", required_argument, NULL, 'a'},  {"change", required_argument, NULL, 'c'},
		{"message", required_argument, NULL, 'm'}, {"pause", optional_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_strv_ char **changes = NULL;
	_cleanup_free_ char *id = NULL;
	struct container_commit_opts o = {.pause = true};
	int c;

	while ((c = getopt_long(argc, argv, "+a:c:m:ph", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o.author = optarg;
			break;
		case 'c':
			strv_push(&changes, optarg);
			break;
		case 'm':
			o.message = optarg;
			break;
		case 'p': /* -p, --pause, --pause=false */
			if (optarg && strcmp(optarg, "true") && strcmp(optarg, "false"))
				return cli_usage_error(
					"commit",
					"invalid argument \"%s\" for \"-p, --pause\" flag: "
					"strconv.ParseBool: parsing \"%s\": invalid syntax",
					optarg, optarg);
			o.pause = !optarg || strcmp(optarg, "true") == 0;
			break;
		case 'h':
			puts("Usage:  berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\n"
			     "Create a new image from a container's changes\n\n"
			     "Options:\n"
			     "  -a, --author string    Author (e.g., \"John Hannibal Smith "
			     "<hannibal@a-team.com>\")\n"
			     "  -c, --change list      Apply Dockerfile instruction to the created "
			     "image\n"
			     "  -m, --message string   Commit message\n"
			     "  -p, --pause            Pause container during commit (default "
			     "true)");
			return 0;
		default:
			return cli_getopt_error("commit", argv, optopt, longopts);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error(
			"commit", "\"commit\" requires at least 1 and at most 2 arguments.\n"
				  "Usage:  berth commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]");
	o.ref = argc - optind == 2 ? argv[optind + 1] : NULL;
	o.changes = changes;
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (container_commit(s, argv[optind], &o, &id, &err) < 0)
		return cli_report(err);
	puts(id);
	return 0;
}
