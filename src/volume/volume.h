/*
 * Volumes: named and anonymous volumes of the local driver, kept under the data
 * root as volumes/<name>/_data and in the store with the containers using them;
 * the parsers of -v, --mount and --volumes-from; copy-up of an image's files
 * into a fresh volume.
 *
 * A mount point, what a container mounts where (Docker's MountPoint), is a JSON
 * object: "Type" ("bind", "volume", "tmpfs"), "Name" (volume), "Source" (a host
 * path, or the volume's _data folder), "Destination", "Driver", "Mode" (as
 * given: "ro,z"), "RW", "Propagation" (binds: "rprivate" unless said), and
 * berth's own keys: "CopyData" (fill a fresh volume from the image),
 * "Anonymous" (no volume was named: rm -v and --rm remove it), "Data" (tmpfs
 * options), "CreateSource" (-v makes a missing host folder).
 */
#ifndef BERTH_VOLUME_VOLUME_H
#define BERTH_VOLUME_VOLUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

/* Labels of the volumes made for mounts that name none, as Docker 23+ marks them. */
#define VOLUME_ANONYMOUS_LABEL "com.docker.volume.anonymous"

struct volume {
	char *name;
	char *driver;	  /* "local" */
	char *mountpoint; /* <root>/volumes/<name>/_data */
	json_t *labels;	  /* object or null */
	json_t *options;  /* object or null */
	int64_t created;  /* ns since the epoch */
	bool anonymous;
};
void volume_free(struct volume *v);
static inline void volume_freep(struct volume **v)
{
	volume_free(*v);
	*v = NULL;
}
void volume_list_free(struct volume **v);

/* <root>/volumes/<name>/_data. Caller frees. */
char *volume_path(const struct store *s, const char *name);

/*
 * Docker's rule for local volume names ([a-zA-Z0-9][a-zA-Z0-9_.-]+), with its
 * messages (BERTH_ERR_INVALID); the caller adds "create NAME: ".
 */
int volume_validate_name(const char *name, struct berth_error **err);
/* The local driver's options (type, device, o; size): Docker's messages. */
int volume_validate_options(const json_t *options, struct berth_error **err);

enum volume_create_flags {
	VOLUME_CREATE_ANONYMOUS = 1 << 0, /* made for a mount that named none */
	/* The caller holds a transaction (store_begin()) and undoes the folder on failure. */
	VOLUME_CREATE_IN_TRANSACTION = 1 << 1,
};
/*
 * docker volume create: name NULL or "" for a new random 64-hex name. A volume
 * of that name that exists is returned as it is, as Docker's local driver
 * does. labels and options (objects, or NULL for none) are borrowed. *out gets
 * the name; *made (when not NULL) whether it was made now.
 */
int volume_create(struct store *s, const char *name, const json_t *labels, const json_t *options,
		  unsigned flags, char **out, bool *made, struct berth_error **err);

/* The folder of a volume made inside a transaction that was then rolled back goes. */
void volume_discard(struct store *s, const char *name);

/* The volume of that name; BERTH_ERR_NOT_FOUND "get NAME: no such volume". */
struct volume *volume_get(struct store *s, const char *name, struct berth_error **err);

/*
 * Every volume, by name. What a crash left is reconciled first: a record
 * whose folder is gone (a remove that died before its commit) is dropped, and a
 * folder without a record (a create that died) goes to the trash.
 */
int volume_list(struct store *s, struct volume ***out, struct berth_error **err);

/*
 * docker volume rm: the record and the folder go together (the folder is
 * renamed to the trash inside the transaction that deletes the record, then
 * removed). A volume in use is a conflict: "remove NAME: volume is in use - [ID]".
 * force: a missing volume is no error.
 */
int volume_remove(struct store *s, const char *name, bool force, struct berth_error **err);

/* Removes the volumes of names that no container uses any more; the others stay. */
void volume_remove_unused(struct store *s, char *const *names);

/*
 * docker volume prune: the unused volumes that want(v, ctx) takes (all when
 * want is NULL); only anonymous ones unless all. *removed gets their names
 * (NULL-terminated), *reclaimed the bytes their files took.
 */
int volume_prune(struct store *s, bool all, bool (*want)(const struct volume *v, void *ctx),
		 void *ctx, char ***removed, long long *reclaimed, struct berth_error **err);

/* The containers (IDs) using a volume. */
int volume_users(struct store *s, const char *name, char ***ids, struct berth_error **err);

/* docker volume inspect's object of a volume. */
json_t *volume_inspect(const struct volume *v);

/* Parsers (parse.c): pure, Docker's messages, BERTH_ERR_INVALID. */

/*
 * The CLI's reading of -v (Docker's compose volume loader): "invalid empty
 * volume spec", "invalid spec: SPEC: empty section between colons"... On
 * success either *bind gets what goes to HostConfig.Binds (a "./x" source made
 * absolute against cwd), or *anonymous the destination for Config.Volumes.
 */
int volume_parse_cli_volume(const char *spec, const char *cwd, char **bind, char **anonymous,
			    struct berth_error **err);

/*
 * One HostConfig.Binds entry as the daemon reads it ("SRC:DST[:MODE]", SRC a
 * host path or a volume name): a new mount point, or NULL and the error.
 */
json_t *volume_parse_bind(const char *raw, struct berth_error **err);

/*
 * The value of --mount (type=bind,src=/x,dst=/y,readonly...) as Docker's CLI
 * reads it: an API Mount object ({"Type", "Source", "Target", "ReadOnly",
 * "BindOptions", "VolumeOptions", "TmpfsOptions"}). The message is the flag's
 * part only ("unexpected key 'x' in 'x=1'"); cwd makes "./x" sources absolute.
 */
json_t *volume_parse_mount_flag(const char *value, const char *cwd, struct berth_error **err);

/*
 * An API Mount object (HostConfig.Mounts) validated as the daemon does: a new
 * mount point. check_source: a bind's source must exist unless
 * BindOptions.CreateMountpoint.
 */
json_t *volume_parse_mount(const json_t *mount, bool check_source, struct berth_error **err);

/* --volumes-from NAME[:MODE]: *name and *mode ("rw" when not given); caller frees. */
int volume_parse_volumes_from(const char *spec, char **name, char **mode, struct berth_error **err);

/* Go's path.Clean: "/a//b/../c/" → "/a/c". Caller frees. */
char *volume_clean_path(const char *path);

/* Is mode a valid Mode of a mount ("ro", "rw,z", "rslave", "nocopy"...)? Read-write? */
bool volume_mode_valid(const char *mode);
bool volume_mode_rw(const char *mode);

/* "rprivate", "rshared"... → MS_* propagation flags; 0 when unknown or empty. */
unsigned long volume_propagation_flags(const char *propagation);

/*
 * copyup.c: copies the tree of the folder src_fd into the folder dst_fd when
 * dst_fd is empty: files, folders, symlinks, hard links, devices and fifos,
 * with owner, mode, extended attributes and times; dst_fd itself gets src_fd's
 * owner and mode. A folder that is not empty is left as it is (*copied false).
 */
int volume_copy_up(int src_fd, int dst_fd, bool *copied, struct berth_error **err);

#endif
