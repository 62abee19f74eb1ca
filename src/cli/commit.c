/* commit and export: a new image from a container's changes, its file system as a tar. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

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

int cmd_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *tmp = NULL;
	const char *output = NULL;
	int c, fd = STDOUT_FILENO, r;

	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'h':
			puts("Usage:  berth export [OPTIONS] CONTAINER\n\n"
			     "Export a container's filesystem as a tar archive\n\n"
			     "Options:\n"
			     "  -o, --output string   Write to a file, instead of STDOUT");
			return 0;
		default:
			return cli_getopt_error("export", argv, optopt, longopts);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("export", "\"export\" requires exactly 1 argument.\n"
						 "Usage:  berth export [OPTIONS] CONTAINER");
	if (!output && isatty(STDOUT_FILENO))
		return cli_usage_error("export", "cowardly refusing to save to a terminal. Use the "
						 "-o flag or redirect");
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (output) { /* written beside, renamed into place when whole */
		tmp = xasprintf("%s.tmp-XXXXXX", output);
		mode_t mask = umask(0);

		umask(mask);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0 || fchmod(fd, 0666 & ~mask) < 0) {
			fprintf(stderr, "berth: failed to export container: open %s: %s\n", output,
				strerror(errno));
			return 1;
		}
	}
	r = container_export(s, argv[optind], fd, &err);
	if (output) {
		if (r == 0 && (fsync(fd) < 0 || rename(tmp, output) < 0))
			r = berth_error_set(&err, errno, "write '%s'", output);
		close(fd);
		if (r < 0)
			unlink(tmp);
	}
	return r < 0 ? cli_report(err) : 0;
}
