/*
 * The metadata store: one SQLite database (WAL, busy timeout) under the data
 * root. Only this module holds SQL. Every change of metadata is one
 * transaction; concurrent berth processes are normal.
 */
#ifndef BERTH_STORE_STORE_H
#define BERTH_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct store {
	char *root;    /* data root, e.g. /var/lib/berth */
	char *runroot; /* run root, e.g. /run/berth */
	struct sqlite3 *db;
};

/* Opens (creating and migrating as needed) the store under root and runroot. */
struct store *store_open(const char *root, const char *runroot, struct berth_error **err);
void store_close(struct store *s);
static inline void store_closep(struct store **s)
{
	store_close(*s);
	*s = NULL;
}

/*
 * An SQLite connection must not cross a fork: the child's own connection would
 * share the parent's lock bookkeeping and lose its writes. store_suspend()
 * closes the connection before a fork of a process that opens its own store;
 * store_resume() opens it again.
 */
void store_suspend(struct store *s);
int store_resume(struct store *s, struct berth_error **err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
int store_begin(struct store *s, struct berth_error **err);
int store_commit(struct store *s, struct berth_error **err);
void store_rollback(struct store *s);

/* Images. */
struct store_image {
	char *id;	 /* "sha256:<hex>" of the config */
	char *config;	 /* the image config JSON */
	int64_t created; /* ns since the epoch, from the config */
	long long size;	 /* bytes of the layers' files */
	char **layers;	 /* chain IDs, bottom first, NULL-terminated */
	char **tags;	 /* normalised references naming it ("docker.io/library/busybox:latest") */
};
void store_image_free(struct store_image *img);
static inline void store_image_freep(struct store_image **img)
{
	store_image_free(*img);
	*img = NULL;
}

/* Adds an image (no-op when it exists) with its layer list. */
int store_image_add(struct store *s, const struct store_image *img, struct berth_error **err);
/* The image with this full ID, or NULL (BERTH_ERR_NOT_FOUND). */
struct store_image *store_image_get(struct store *s, const char *id, struct berth_error **err);
/*
 * The full ID of the image an ID prefix ("e6a198c340ca", "sha256:e6a1...")
 * names; NULL when none (BERTH_ERR_NOT_FOUND) or several (BERTH_ERR_INVALID).
 */
char *store_image_find_id(struct store *s, const char *prefix, struct berth_error **err);
/* Every image, newest first. *out is a NULL-terminated array. */
int store_image_list(struct store *s, struct store_image ***out, struct berth_error **err);
/* Removes an image row and its layer list (its tags must be gone). */
int store_image_delete(struct store *s, const char *id, struct berth_error **err);
/* Number of containers using the image. */
int store_image_users(struct store *s, const char *id, struct berth_error **err);

/* Tags: a normalised reference → an image ID. */
int store_tag_set(struct store *s, const char *ref, const char *image_id, struct berth_error **err);
/* The image ID the reference names, or NULL (BERTH_ERR_NOT_FOUND). */
char *store_tag_get(struct store *s, const char *ref, struct berth_error **err);
int store_tag_delete(struct store *s, const char *ref, struct berth_error **err);

/* Layers, shared between images, named by chain ID, with a reference count. */
int store_layer_add(struct store *s, const char *chain_id, const char *diff_id, const char *parent,
		    long long size, struct berth_error **err);
bool store_layer_exists(struct store *s, const char *chain_id);
/* The size of a layer's files; -1 when there is no such layer. */
int store_layer_size(struct store *s, const char *chain_id, long long *size);
/* The diff ID of a layer, or NULL. */
char *store_layer_diff_id(struct store *s, const char *chain_id);
/* Does a layer have this diff ID (its blob is still needed)? True when unsure. */
bool store_diff_id_used(struct store *s, const char *diff_id);
/* Layers no image refers to any more (to be removed from disk). */
int store_layer_unused(struct store *s, char ***chain_ids, struct berth_error **err);
int store_layer_delete(struct store *s, const char *chain_id, struct berth_error **err);
/* A layer's record, for system check. */
struct store_layer {
	char *chain_id;
	char *diff_id;
	char *parent; /* NULL for a bottom layer */
	long long size;
};
/* Every layer. *out is a NULL-terminated array, freed with store_layer_list_free(). */
int store_layer_list(struct store *s, struct store_layer ***out, struct berth_error **err);
void store_layer_list_free(struct store_layer **v);

/* Containers. */
enum store_container_state {
	STORE_CONTAINER_CREATED,
	STORE_CONTAINER_RUNNING,
	STORE_CONTAINER_PAUSED,
	STORE_CONTAINER_RESTARTING,
	STORE_CONTAINER_EXITED,
	STORE_CONTAINER_REMOVING,
	STORE_CONTAINER_DEAD,
};
const char *store_container_state_name(enum store_container_state st);

struct store_container {
	char *id;	/* 64 hex */
	char *name;	/* without the leading slash */
	char *image_id; /* "sha256:<hex>" */
	char *image;	/* as the user named it */
	char *config;	/* berth's container config JSON (Config, HostConfig) */
	int64_t created;
	enum store_container_state state;
	pid_t pid;	   /* container init in the host's pid namespace, 0 if none */
	pid_t monitor_pid; /* 0 if none; while created by run: the creating CLI */
	int exit_code;
	int64_t started_at;
	int64_t finished_at;
	int restart_count;
	bool oom_killed;
	char *error; /* the start error, "" if none */
	/* What ps shows without parsing config: "" in records older than schema v2. */
	char *command; /* Entrypoint and Cmd joined by spaces */
	char *labels;  /* Config.Labels as compact JSON, "{}" when none */
	char *network; /* HostConfig.NetworkMode */
};
void store_container_free(struct store_container *c);
static inline void store_container_freep(struct store_container **c)
{
	store_container_free(*c);
	*c = NULL;
}

/* Inserts a new container; a taken name fails with BERTH_ERR_CONFLICT. */
int store_container_add(struct store *s, const struct store_container *c, struct berth_error **err);
/* By full ID, unique ID prefix or name. NULL and BERTH_ERR_NOT_FOUND when none. */
struct store_container *store_container_find(struct store *s, const char *what,
					     struct berth_error **err);
/*
 * Every container, newest first; their config is "" unless the record predates
 * schema v2 (use store_container_find() for a container's config).
 */
int store_container_list(struct store *s, struct store_container ***out, struct berth_error **err);
/*
 * Writes the run-time fields (state, pids, exit code, times, restart count, oom,
 * error). A container that is neither running, paused nor restarting holds no
 * address: its leases are freed in the same transaction, as they are when its
 * record is deleted.
 */
int store_container_update_state(struct store *s, const struct store_container *c,
				 struct berth_error **err);
int store_container_delete(struct store *s, const char *id, struct berth_error **err);
bool store_container_name_taken(struct store *s, const char *name);
/* Replaces the container's config JSON (network connect and disconnect change it). */
int store_container_set_config(struct store *s, const char *id, const char *config,
			       struct berth_error **err);
/* A taken name fails with BERTH_ERR_CONFLICT. */
int store_container_rename(struct store *s, const char *id, const char *name,
			   struct berth_error **err);

/*
 * Networks (schema v3). The default bridge network is the record named
 * "bridge", made on first use (net/).
 */
struct store_network {
	char *id;	 /* 64 hex */
	char *name;	 /* "bridge" */
	char *driver;	 /* "bridge" */
	char *bridge;	 /* the Linux bridge: "berth0" */
	char *subnet;	 /* "172.17.0.0/16" */
	char *gateway;	 /* "172.17.0.1" */
	int64_t created; /* ns since the epoch */
	bool internal;
	char *labels;  /* JSON object */
	char *options; /* JSON object: driver options */
};
void store_network_free(struct store_network *n);
static inline void store_network_freep(struct store_network **n)
{
	store_network_free(*n);
	*n = NULL;
}
void store_network_list_free(struct store_network **v);
/* Inserts a network; a taken name fails with BERTH_ERR_CONFLICT. */
int store_network_add(struct store *s, const struct store_network *n, struct berth_error **err);
/* By full ID, name or unique ID prefix; NULL and BERTH_ERR_NOT_FOUND when none. */
struct store_network *store_network_find(struct store *s, const char *what,
					 struct berth_error **err);
/* Every network, oldest first; *out is NULL-terminated. */
int store_network_list(struct store *s, struct store_network ***out, struct berth_error **err);
int store_network_delete(struct store *s, const char *id, struct berth_error **err);

/*
 * An address of a network leased to a container. Adding one that is taken
 * (the address, or a second lease of the container on the network) fails with
 * BERTH_ERR_CONFLICT: allocate inside store_begin()/store_commit().
 */
struct store_lease {
	char *network_id;
	char *address; /* "172.17.0.2" */
	char *container_id;
	char *endpoint_id; /* 64 hex, inspect's EndpointID */
};
void store_lease_free(struct store_lease *l);
void store_lease_list_free(struct store_lease **v);
int store_lease_add(struct store *s, const struct store_lease *l, struct berth_error **err);
/* Deletes the container's lease on network_id, or all its leases when network_id is NULL. */
int store_lease_delete(struct store *s, const char *network_id, const char *container_id,
		       struct berth_error **err);
/*
 * Leases of a network (network_id) and/or of a container (container_id); NULL
 * matches any. *out is NULL-terminated, in the order they were made.
 */
int store_lease_list(struct store *s, const char *network_id, const char *container_id,
		     struct store_lease ***out, struct berth_error **err);

/*
 * Volumes (schema v4): named or anonymous, with the containers that use them.
 * A use references its volume: a volume in use cannot be deleted.
 */
struct store_volume {
	char *name;	 /* "data", or 64 hex for an anonymous one */
	char *driver;	 /* "local" */
	char *labels;	 /* JSON object, or "null" */
	char *options;	 /* JSON object of driver options, or "null" */
	bool anonymous;	 /* made for a mount that named no volume */
	int64_t created; /* ns since the epoch */
};
void store_volume_free(struct store_volume *v);
static inline void store_volume_freep(struct store_volume **v)
{
	store_volume_free(*v);
	*v = NULL;
}
void store_volume_list_free(struct store_volume **v);
/* Inserts a volume; a taken name fails with BERTH_ERR_CONFLICT. */
int store_volume_add(struct store *s, const struct store_volume *v, struct berth_error **err);
/* NULL and BERTH_ERR_NOT_FOUND when there is no such volume. */
struct store_volume *store_volume_get(struct store *s, const char *name, struct berth_error **err);
/* Every volume, by name; *out is NULL-terminated. */
int store_volume_list(struct store *s, struct store_volume ***out, struct berth_error **err);
/* Fails (BERTH_ERR_CONFLICT) while a container uses it. */
int store_volume_delete(struct store *s, const char *name, struct berth_error **err);
/* The IDs of the containers using a volume (NULL-terminated, maybe empty). */
int store_volume_users(struct store *s, const char *name, char ***container_ids,
		       struct berth_error **err);
/* Records that a container mounts volume at destination; anonymous: its spec named none. */
int store_volume_use_add(struct store *s, const char *container_id, const char *volume,
			 const char *destination, bool anonymous, struct berth_error **err);
/* The volumes a container uses (only those its spec named none for, with anonymous_only). */
int store_volume_uses_of(struct store *s, const char *container_id, bool anonymous_only,
			 char ***volumes, struct berth_error **err);

/* Frees a NULL-terminated array of records. */
void store_image_list_free(struct store_image **v);
void store_container_list_free(struct store_container **v);

#endif
