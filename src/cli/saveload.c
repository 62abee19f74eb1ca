/* Image verbs: load (save follows). */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/archive.h"

#define LOAD_USAGE "Usage:  berth load [OPTIONS]"

static void print_loaded(const struct image_load_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		const struct image_loaded *im = &res->images[i];

		if (im->n_tags == 0)
			printf("Loaded image ID: %s\n", im->id);
		for (size_t t = 0; t < im->n_tags; t++) {
			if (im->tags[t].old_id)
				printf("The image %s already exists, renaming the old one with ID "
				       "%s to empty string\n",
				       im->tags[t].name, im->tags[t].old_id);
			printf("Loaded image: %s\n", im->tags[t].name);
		}
	}
}

int cmd_load(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"input", required_argument, NULL, 'i'},
		{"quiet", no_argument, NULL, 'q'},
		{"platform", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_load_result res = {0};
	const char *input = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+i:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			input = optarg;
			break;
		case 'q':
		case 'P':
			/* NEEDSWORK: no progress is shown, so -q changes nothing yet */
			break;
		case 'h':
			puts(LOAD_USAGE
			     "\n\n"
			     "Load an image from a tar archive or STDIN\n\n"
			     "Options:\n"
			     "  -i, --input string   Read from tar archive file (or an OCI "
			     "layout folder), instead of STDIN\n"
			     "  -q, --quiet          Suppress the load output");
			return 0;
		default:
			return cli_getopt_error("load", argv, optopt, longopts);
		}
	}
	if (optind < argc)
		return cli_usage_error("load", "\"load\" accepts no arguments.\n" LOAD_USAGE);
	if (!input && isatty(STDIN_FILENO)) {
		fputs("requested load from stdin, but stdin is empty\n", stderr);
		return 1;
	}
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	/* Docker's daemon sends load's errors in its output stream: printed as they are */
	if (image_load(s, input, STDIN_FILENO, &res, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return 1;
	}
	print_loaded(&res);
	image_load_result_release(&res);
	return 0;
}
