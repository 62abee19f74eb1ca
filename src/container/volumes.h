/*
 * Private to container/: a container's mounts (volumes.c). Its config keeps
 * them resolved as "MountPoints", an array of mount points (volume/volume.h),
 * from the create on: run, inspect and rm read them, never the flags again.
 */
#ifndef BERTH_CONTAINER_VOLUMES_H
#define BERTH_CONTAINER_VOLUMES_H

#include <jansson.h>

#include "runtime/runtime.h"
#include "store/store.h"
#include "util/error.h"

/*
 * The mount points of a new container from its config, as Docker's
 * registerMountPoints and VOLUME: HostConfig.VolumesFrom, then Binds and
 * Mounts over them, then an anonymous volume at each Config.Volumes path
 * where nothing else is mounted. Checks them (Docker's messages) and makes the
 * host folders -v names that are missing; volumes are made by
 * container_volumes_make(). A new array, by destination.
 */
json_t *container_volumes_plan(struct store *s, const json_t *config, struct berth_error **err);

/*
 * In the caller's transaction: makes the volumes of the plan that do not exist
 * (anonymous ones get their name) and fills in their names and sources.
 * *made gets the names of the volumes made, whose folders go (volume_discard())
 * should the transaction roll back.
 */
int container_volumes_make(struct store *s, json_t *mounts, char ***made, struct berth_error **err);
/* In the same transaction, after the container's record: its uses of volumes. */
int container_volumes_record(struct store *s, const char *id, const json_t *mounts,
			     struct berth_error **err);

/* Copy-up: each fresh volume gets the files the image has where it is mounted. */
int container_volumes_copy_up(struct store *s, const char *id, const char *image_id,
			      const json_t *mounts, struct berth_error **err);

/*
 * The container's mounts in its runtime spec, where a mount of berth's own at
 * the same place (/etc/hosts...) gives way; then every mount sorted by depth,
 * so that none hides one below it (/etc before /etc/hosts).
 */
int container_volumes_spec(struct runtime_spec *spec, struct store *s, const json_t *mounts,
			   struct berth_error **err);

/* docker inspect's Mounts. */
json_t *container_volumes_inspect(const json_t *mounts);

/* rootfs.c: the mount points of mounts in the init layer, where the image lacks them. */
int container_init_mount_points(struct store *s, const struct store_image *img, const char *dir,
				const json_t *mounts, struct berth_error **err);

#endif
