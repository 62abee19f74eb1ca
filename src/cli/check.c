/* system check: verifies the image store and removes what crashed commands left. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "image/check.h"
#include "util/strutil.h"

#define CHECK_USAGE "Usage:  berth system check [OPTIONS]"

static const char check_help[] = CHECK_USAGE
	"\n\n"
	"Check the image store and remove what crashed commands left\n\n"
	"Verifies every blob against its digest, every image's config and layers, and\n"
	"every layer's folder and blob. Removes, without asking, only what nothing\n"
	"needs: temporary files and folders of berth processes that are gone (a\n"
	"commit, load, save or export that was killed), the trash, layers no image\n"
	"uses, layer folders and blobs the store does not name. A config blob that is\n"
	"missing or corrupt is written again from the store's copy. Damage to what an\n"
	"image needs is reported, naming the image, and left alone.\n\n"
	"Exits 0 when the store is sound (after the removals), 1 when problems remain.\n\n"
	"Options:\n"
	"  -n, --dry-run   Report only; remove and repair nothing\n"
	"      --quick     Do not hash the blobs (only check that they exist)";

static void print_finding(void *userdata, enum image_check_severity sev, const char *msg)
{
	const bool *dry_run = userdata;
	const char *what = "note";

	switch (sev) {
	case IMAGE_CHECK_REMOVED:
		what = *dry_run ? "would remove" : "removed";
		break;
	case IMAGE_CHECK_REPAIRED:
		what = *dry_run ? "would repair" : "repaired";
		break;
	case IMAGE_CHECK_ERROR:
		what = "error";
		break;
	case IMAGE_CHECK_NOTE:
		break;
	}
	printf("%s: %s\n", what, msg);
	fflush(stdout);
}

static void print_summary(const struct image_check_opts *o, const struct image_check_result *r)
{
	char human[32];

	format_human_size((double)r->reclaimed, human, sizeof(human));
	printf("Checked %zu image%s, %zu layer%s and %zu blob%s%s: ", r->images,
	       r->images == 1 ? "" : "s", r->layers, r->layers == 1 ? "" : "s", r->blobs,
	       r->blobs == 1 ? "" : "s", o->quick ? " (not hashed)" : "");
	printf("%zu leftover%s %s (%s), %zu repaired, %zu error%s\n", r->removed,
	       r->removed == 1 ? "" : "s", o->dry_run ? "to remove" : "removed", human, r->repaired,
	       r->errors, r->errors == 1 ? "" : "s");
}

int cmd_system_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"quick", no_argument, NULL, 'Q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	_cleanup_(store_closep) struct store *s = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	struct image_check_result res;
	bool dry_run = false;
	struct image_check_opts o = {.report = print_finding, .userdata = &dry_run};
	int c;

	while ((c = getopt_long(argc, argv, "+nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = o.dry_run = true;
			break;
		case 'Q':
			o.quick = true;
			break;
		case 'h':
			puts(check_help);
			return 0;
		default:
			return cli_getopt_error("system check", argv, optopt, longopts);
		}
	}
	if (optind != argc)
		return cli_usage_error("system check",
				       "\"system check\" accepts no arguments.\n" CHECK_USAGE);
	s = cli_open_store();
	if (!s)
		return EXIT_ENGINE;
	if (image_check(s, &o, &res, &err) < 0)
		return cli_report(err);
	print_summary(&o, &res);
	return res.errors || (o.dry_run && (res.removed || res.repaired)) ? 1 : 0;
}
