/* images --tree / --graph and image dockerfile: the views of image/tree.h. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/image.h"
#include "image/tree.h"
#include "util/strbuf.h"
#include "util/strutil.h"

/* The size of a layer no image sits on, from its row in the store. */
static long long layer_size(const char *chain_id, void *userdata)
{
	long long size;

	return store_layer_size(userdata, chain_id, &size) < 0 ? -1 : size;
}

int cli_images_tree(struct store *s, const char *image, bool graph, bool no_trunc)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_(store_image_freep) struct store_image *focus = NULL;
	struct store_image **imgs = NULL;
	struct image_tree *t;
	struct strbuf out = STRBUF_INIT;
	unsigned flags = no_trunc ? IMAGE_TREE_NO_TRUNC : 0;

	if (image && !(focus = image_lookup(s, image, &err)))
		return cli_report(err);
	if (store_image_list(s, &imgs, &err) < 0)
		return cli_report(err);
	t = image_tree_build(imgs, layer_size, s);
	if (focus)
		image_tree_focus(t, focus->id);
	if (graph)
		image_tree_format_dot(t, flags, &out);
	else
		image_tree_format_text(t, flags, &out);
	image_tree_free(t);
	store_image_list_free(imgs);
	if (out.len)
		fputs(out.buf, stdout);
	strbuf_release(&out);
	return 0;
}

#define DOCKERFILE_USAGE "Usage:  berth image dockerfile IMAGE"

int cmd_image_dockerfile(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_image **imgs = NULL;
	struct strbuf out = STRBUF_INIT;
	int c, r;

	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (c != 'h')
			return cli_getopt_error("image dockerfile", argv, optopt, longopts);
		puts(DOCKERFILE_USAGE
		     "\n\n"
		     "Print a Dockerfile of an image, rebuilt from its history and config:\n"
		     "FROM its nearest tagged parent image (or scratch), one instruction per\n"
		     "history entry, then what the rest of the config takes");
		return 0;
	}
	if (argc - optind != 1)
		return cli_usage_error(
			"image dockerfile",
			"\"image dockerfile\" requires exactly 1 argument.\n" DOCKERFILE_USAGE);
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	img = image_lookup(s, argv[optind], &err);
	if (!img || store_image_list(s, &imgs, &err) < 0)
		return cli_report(err);
	r = image_dockerfile(img, imgs, &out, &err);
	store_image_list_free(imgs);
	if (r < 0) {
		strbuf_release(&out);
		return cli_report(err);
	}
	fputs(out.buf, stdout);
	strbuf_release(&out);
	return 0;
}
