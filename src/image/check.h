/*
 * berth system check (DESIGN.md, "State on disk"): verifies the image store
 * (every blob against its digest, layers and their folders, image configs)
 * and removes what crashed processes left: temporary files and folders whose
 * writer is gone, layer folders and blobs nothing refers to.
 *
 * What an image needs is never removed: a corrupt or missing blob, layer
 * folder or config is reported as an error, naming the images it breaks. A
 * config blob is rewritten from the store's copy when that copy hashes to
 * the image ID.
 */
#ifndef BERTH_IMAGE_CHECK_H
#define BERTH_IMAGE_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "util/error.h"

enum image_check_severity {
	IMAGE_CHECK_REMOVED,  /* a leftover, removed (in a dry run: would be) */
	IMAGE_CHECK_REPAIRED, /* damage repaired from what the store holds */
	IMAGE_CHECK_ERROR,    /* damage that remains */
	IMAGE_CHECK_NOTE,     /* something unexpected, left alone */
};

struct image_check_opts {
	bool dry_run; /* report only, change nothing */
	bool quick;   /* do not hash the blobs */
	/* Called for each finding; msg is borrowed for the call. */
	void (*report)(void *userdata, enum image_check_severity sev, const char *msg);
	void *userdata;
};

struct image_check_result {
	size_t images, layers, blobs; /* what was checked */
	size_t removed, repaired, errors;
	long long reclaimed; /* bytes of what was removed */
};

/*
 * Checks the store of s, reporting each finding through o->report. Returns 0
 * when the check ran (res->errors and, in a dry run, res->removed say whether
 * problems remain), -1 when it could not.
 */
int image_check(struct store *s, const struct image_check_opts *o, struct image_check_result *res,
		struct berth_error **err);

/*
 * The lock that keeps image_check() from taking a writer's files for
 * leftovers: a writer of layers and blobs (commit, import, load) holds it
 * shared from the moment its files get their final names until its
 * transaction has committed, and rmi from its transaction until its files
 * are gone; image_check() holds it exclusive while it checks the store
 * against the disk. Returns the fd to close to release it.
 */
int image_write_lock(struct store *s, struct berth_error **err);

/*
 * A temporary file or folder outside the store (save's output before its
 * rename) is registered under <root>/tmp, so that image_check() removes it
 * once its writer is gone. path's last name must be ".NAME.tmp-<our pid>-…".
 * Returns what image_tmp_forget() takes (NULL when it could not register;
 * a leftover then stays unknown).
 */
char *image_tmp_register(struct store *s, const char *path);
/* Unregisters (after the rename or the removal of the file) and frees marker. */
void image_tmp_forget(char *marker);

#endif
