/* Image verbs: save and load. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/archive.h"

#define SAVE_USAGE "Usage:  berth save [OPTIONS] IMAGE [IMAGE...]"
#define LOAD_USAGE "Usage:  berth load [OPTIONS]"

int cmd_save(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'F'},
		{"platform", required_argument, NULL, 'P'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_save_opts o = {.out_fd = STDOUT_FILENO};
	int c, format;

	while ((c = getopt_long(argc, argv, "+o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'F':
			format = image_archive_format_parse(optarg);
			if (format < 0)
				return cli_usage_error("save",
						       "invalid argument \"%s\" for \"--format\" "
						       "flag: must be docker-archive, oci-archive "
						       "or oci-dir",
						       optarg);
			o.format = format;
			break;
		case 'P':
			break;
		case 'h':
			puts(SAVE_USAGE
			     "\n\n"
			     "Save one or more images to a tar archive (streamed to STDOUT "
			     "by default)\n\n"
			     "Options:\n"
			     "      --format string   docker-archive (default), oci-archive "
			     "or oci-dir (a folder)\n"
			     "  -o, --output string   Write to a file, instead of STDOUT");
			return 0;
		default:
			return cli_getopt_error("save", argv, optopt, longopts);
		}
	}
	if (optind >= argc)
		return cli_usage_error("save",
				       "\"save\" requires at least 1 argument.\n" SAVE_USAGE);
	if (o.format == IMAGE_ARCHIVE_OCI_DIR && !o.output)
		return cli_usage_error("save", "--format oci-dir needs -o DIR");
	if (!o.output && isatty(STDOUT_FILENO)) {
		fputs("cowardly refusing to save to a terminal. Use the -o flag or redirect\n",
		      stderr);
		return 1;
	}
	o.names = argv + optind;
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (image_save(s, &o, &err) < 0) {
		fprintf(stderr, "Error response from daemon: %s\n", err->msg);
		return 1;
	}
	return 0;
}

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
