/* inspect, container inspect, image inspect: Docker's JSON or a --format template. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "container/container.h"
#include "image/image.h"
#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/template.h"
#include "volume/volume.h"

enum inspect_type {
	INSPECT_ANY,
	INSPECT_CONTAINER,
	INSPECT_IMAGE,
	INSPECT_VOLUME,
	INSPECT_NETWORK
};

/*
 * The object named what: a container first, then an image... (as docker
 * inspect). With own_error, a missing object gets its module's error (as the
 * daemon words it for volume inspect), not "No such TYPE".
 */
static json_t *find_object(struct store *s, const char *what, enum inspect_type type,
			   bool own_error, struct berth_error **err)
{
	if (type == INSPECT_ANY || type == INSPECT_CONTAINER) {
		_cleanup_(store_container_freep) struct store_container *c =
			container_find(s, what, NULL);
		if (c)
			return container_inspect(s, c, err);
	}
	if (type == INSPECT_ANY || type == INSPECT_IMAGE) {
		_cleanup_(store_image_freep) struct store_image *img = image_lookup(s, what, NULL);
		if (img)
			return image_inspect(s, img, err);
	}
	if (type == INSPECT_ANY || type == INSPECT_VOLUME) {
		_cleanup_(volume_freep) struct volume *v =
			volume_get(s, what, own_error ? err : NULL);
		if (v || own_error)
			return v ? volume_inspect(v) : NULL;
	}
	if (type == INSPECT_ANY || type == INSPECT_NETWORK) {
		json_t *n = cli_network_inspect(s, what, NULL);
		if (n)
			return n;
	}
	berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such %s: %s",
			 type == INSPECT_CONTAINER ? "container"
			 : type == INSPECT_IMAGE   ? "image"
			 : type == INSPECT_VOLUME  ? "volume"
			 : type == INSPECT_NETWORK ? "network"
						   : "object",
			 what);
	return NULL;
}

static int print_formatted(const struct template *t, const json_t *obj)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct strbuf out = STRBUF_INIT;

	if (template_execute(t, obj, &out, &err) < 0) {
		fprintf(stderr, "%s\n", err->msg);
		return -1;
	}
	printf("%s\n", out.buf ? out.buf : "");
	strbuf_release(&out);
	return 0;
}

static int inspect(int argc, char **argv, const char *cmd, enum inspect_type type, bool own_error)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"type", required_argument, NULL, 't'},
		{"size", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_(template_freep) struct template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *all = json_array();
	const char *format = NULL;
	int c, rc = 0;

	while ((c = getopt_long(argc, argv, "+f:sh", longopts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 't' && !strcmp(optarg, "container"))
			type = INSPECT_CONTAINER;
		else if (c == 't' && !strcmp(optarg, "image"))
			type = INSPECT_IMAGE;
		else if (c == 't' && !strcmp(optarg, "volume"))
			type = INSPECT_VOLUME;
		else if (c == 't' && !strcmp(optarg, "network"))
			type = INSPECT_NETWORK;
		else if (c == 't')
			return cli_usage_error(cmd, "\"%s\" is not a valid value for --type",
					       optarg);
		else if (c == 'h')
			return printf("Usage:  berth %s [OPTIONS] NAME|ID [NAME|ID...]\n\n"
				      "Options:\n  -f, --format string   Format output using a "
				      "custom "
				      "template\n      --type string     Return JSON for specified "
				      "type\n",
				      cmd) < 0;
		else if (c != 's')
			return cli_getopt_error(cmd, argv, optopt, longopts);
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "\"%s\" requires at least 1 argument.", cmd);
	if (format && *format && strcmp(format, "json") && !(t = template_parse(format, 0, &err))) {
		fprintf(stderr, "%s\n", err->msg);
		return EXIT_ENGINE;
	}
	if (!(s = cli_open_store()))
		return EXIT_ENGINE;
	for (int i = optind; i < argc; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		json_auto_t *obj = find_object(s, argv[i], type, own_error, &e);

		if (!obj) {
			fprintf(stderr, "%s: %s\n",
				own_error ? "Error response from daemon" : "Error", e->msg);
			rc = 1;
		} else if (t) {
			rc |= print_formatted(t, obj) < 0;
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

int cmd_inspect(int argc, char **argv)
{
	return inspect(argc, argv, "inspect", INSPECT_ANY, false);
}

int cmd_container_inspect(int argc, char **argv)
{
	return inspect(argc, argv, "container inspect", INSPECT_CONTAINER, false);
}

int cmd_image_inspect(int argc, char **argv)
{
	return inspect(argc, argv, "image inspect", INSPECT_IMAGE, false);
}

int cmd_volume_inspect(int argc, char **argv)
{
	return inspect(argc, argv, "volume inspect", INSPECT_VOLUME, true);
}
