/*
 * Containers: create, start, look up. The container's configuration is kept
 * in Docker's API form, {"Config": {...}, "HostConfig": {...}}, so that the
 * CLI and the API service hand the library the same thing.
 */
#ifndef BERTH_CONTAINER_CONTAINER_H
#define BERTH_CONTAINER_CONTAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "runtime/runtime.h"
#include "store/store.h"
#include "util/error.h"

/*
 * Creates a container from config (Config and HostConfig objects; Config.Image
 * names the image). name may be NULL for a generated one. *id gets the 64-hex ID.
 */
enum container_create_flags {
	/*
	 * The caller starts it at once (run): should the caller die before a
	 * monitor took the container over, the container is removed, never left
	 * half-made.
	 */
	CONTAINER_CREATE_RUN = 1 << 0,
};
int container_create(struct store *s, const char *name, json_t *config, unsigned flags, char **id,
		     struct berth_error **err);

/*
 * Starts a created or exited container under a new monitor. Returns the socket
 * connected to the monitor (receiving the output) once it reported the start
 * ('S' read; its pid in *pid), or -1 with the start error
 * (BERTH_ERR_NO_COMMAND for 127, ...). A running container is connected to.
 */
int container_start(struct store *s, const char *id, pid_t *pid, struct berth_error **err);

/*
 * berth run as "berth-monitor ID": the idle monitor's exec back at the exit of
 * the container's init, state the relay's state (monitor/relay.h). Loads the
 * container's configuration and goes on as its monitor; never returns.
 */
_noreturn_ void container_monitor_resume(const char *state);

/*
 * The init layer in the container's folder dir (commit.c): the mount points
 * berth binds onto (/etc/hosts...), in a lower dir above the image's layers.
 */
int container_make_init_layer(struct store *s, const struct store_image *img, const char *dir,
			      struct berth_error **err);

/* docker diff: what the container changed, 'A'dded, 'C'hanged or 'D'eleted. */
struct container_change {
	char kind;
	char path[]; /* "/etc/passwd" */
};
/* The changes in Podman's order (sorted, a folder first); *out is NULL-terminated. */
int container_diff(struct store *s, const char *what, struct container_change ***out,
		   struct berth_error **err);
void container_changes_free(struct container_change **v);

struct container_commit_opts {
	const char *ref;      /* REPO[:TAG] or NULL */
	const char *author;   /* -a */
	const char *message;  /* -m */
	char *const *changes; /* -c: Dockerfile instructions, NULL-terminated or NULL */
	bool pause;	      /* -p: pause a running container meanwhile (the default) */
};
/*
 * docker commit: a new image from the container's changes (its upper dir,
 * whiteouts as ".wh." entries) over its image, with the container's config
 * and a history entry. *image_id gets "sha256:…".
 */
int container_commit(struct store *s, const char *what, const struct container_commit_opts *o,
		     char **image_id, struct berth_error **err);

/* docker export: the container's file system, flattened, as a tar onto out_fd (borrowed). */
int container_export(struct store *s, const char *what, int out_fd, struct berth_error **err);

/*
 * The container a user names (ID, ID prefix or name), its record brought up
 * to date first: a container recorded as running whose monitor is gone (killed,
 * or the machine went down) is exited with code 255, as Docker reports it, and
 * what is left of its processes and cgroup is removed.
 */
struct store_container *container_find(struct store *s, const char *what, struct berth_error **err);
/* Every container, newest first, each brought up to date as container_find() does;
 * without their config (see store_container_list()). */
int container_list(struct store *s, struct store_container ***out, struct berth_error **err);

/*
 * Removes a container: its folder and record. A running container is a
 * conflict unless CONTAINER_REMOVE_FORCE, which kills it and waits for its
 * monitor to finish. CONTAINER_REMOVE_VOLUMES (rm -v): its anonymous volumes
 * go too, unless another container uses them; named volumes never.
 */
enum container_remove_flags {
	CONTAINER_REMOVE_FORCE = 1 << 0,
	CONTAINER_REMOVE_VOLUMES = 1 << 1,
};
int container_remove(struct store *s, const char *what, unsigned flags, struct berth_error **err);

/* Running, paused or waiting to restart: its monitor is there. */
bool container_is_running(const struct store_container *c);

/* lifecycle.c. A socket to the monitor of a running container; output: send me its streams. */
int container_connect(struct store *s, const struct store_container *c, bool output,
		      struct berth_error **err);
/*
 * docker stop: signame (or the container's STOPSIGNAL, else SIGTERM), then
 * SIGKILL after timeout seconds (-1: Docker's 10). No restart policy brings it
 * back. A container that is not running is no error.
 */
int container_stop(struct store *s, const char *what, int timeout, const char *signame,
		   struct berth_error **err);
/* docker kill: a signal to a running container's process. */
int container_kill(struct store *s, const char *what, int sig, struct berth_error **err);
/* docker wait: until the container is not running; *code gets its exit code. */
int container_wait(struct store *s, const char *what, int *code, struct berth_error **err);
/* docker pause (pause true) and unpause, through the freezer. */
int container_pause(struct store *s, const char *what, bool pause, struct berth_error **err);
int container_rename(struct store *s, const char *what, const char *name, struct berth_error **err);
/* The pids of a running container's processes (host pid namespace). */
int container_pids(struct store *s, const struct store_container *c, pid_t **pids, size_t *n,
		   struct berth_error **err);
/* "TERM", "SIGKILL", "9", "RTMIN+3" → a signal number; -1 when unknown. */
int container_parse_signal(const char *s);

/* docker exec (exec.c): a process started in a running container. */
struct container_exec_opts {
	const char *container; /* ID, ID prefix or name */
	char *const *argv;
	char *const *env;	    /* -e entries, over the container's Env */
	const char *user, *workdir; /* NULL: the container's */
	bool privileged;	    /* every capability berth has, no seccomp */
	bool tty;		    /* a terminal, of the given size when not 0 */
	unsigned short tty_rows, tty_cols;
	struct runtime_stdio io; /* without tty: the standard streams (-1: /dev/null) */
};
struct container_exec;
/*
 * Finds the running container (BERTH_ERR_NOT_FOUND, or BERTH_ERR_CONFLICT
 * when it is not running) and works out the process's spec, environment and
 * security from the container's.
 */
struct container_exec *container_exec_prepare(struct store *s, const struct container_exec_opts *o,
					      struct berth_error **err);
/*
 * Starts the process; out->pid is the caller's child. The errors of the
 * process itself have their kind (BERTH_ERR_NO_COMMAND 127, ...CANNOT_EXECUTE 126,
 * BERTH_ERR_INVALID for an unknown user).
 */
int container_exec_start(struct container_exec *e, struct runtime_process *out,
			 struct berth_error **err);
void container_exec_free(struct container_exec *e);
static inline void container_exec_freep(struct container_exec **e)
{
	container_exec_free(*e);
	*e = NULL;
}

/* docker inspect's JSON object of a container (inspect.c). */
json_t *container_inspect(struct store *s, const struct store_container *c,
			  struct berth_error **err);

/* The runtime spec of a container (spec.c). */
struct runtime_spec *container_spec(struct store *s, const struct store_container *c,
				    const json_t *config, struct berth_error **err);

/*
 * Networking (network.c), from HostConfig.NetworkMode: "default" or "bridge"
 * (the default bridge network), "none", "host", "container:NAME" or the name
 * of a network.
 */
/*
 * At create: a network mode naming a network or container that does not
 * exist is refused; with container:NAME the container takes NAME's hostname.
 */
int container_net_check(struct store *s, json_t *config, struct berth_error **err);
/* At start: container:NAME must be running (Docker's error otherwise). */
int container_net_check_start(struct store *s, const json_t *hc, struct berth_error **err);
/*
 * The monitor's net_sandbox, before each start of the container: a new
 * network namespace for it to join (*netns_fd), or -1 when it has none of its
 * own (none, host, container:NAME).
 */
int container_net_sandbox(const json_t *config, int *netns_fd, struct berth_error **err);
/*
 * The monitor's net_up, while the container's init prepares: its address on
 * its network in the sandbox netns_fd, and its /etc/hosts line. Nothing is
 * left on failure.
 */
int container_net_up(struct store *s, const char *id, const json_t *config, int netns_fd,
		     struct berth_error **err);
/*
 * The monitor's net_down at the end, and the reconcile's after a monitor
 * died: the place of what a container's network holds beyond its address and
 * sandbox (which go with its state and its processes): published ports.
 */
void container_net_down(struct store *s, const char *id);
/*
 * network connect: container what on network net too (with its aliases, or
 * NULL), kept in its config for later starts; a running container gets the
 * next interface (eth1...) now. Docker's errors for host, none, container:
 * and a network it is on already.
 */
int container_net_connect(struct store *s, const char *what, const char *net, char *const *aliases,
			  struct berth_error **err);
/*
 * Legacy links (links.c), HostConfig.Links ["NAME[:ALIAS]"...]: at create
 * the linked containers must exist (Docker's "could not get container for"),
 * at start they must run (Docker's "Cannot link to a non running container",
 * from both of these, but for starting, a container whose start is under
 * way): container_links_env() puts their variables before *env (self: the
 * linking container's name), container_links_hosts() their lines in the
 * hosts file at path.
 */
int container_links_check(struct store *s, const json_t *hc, struct berth_error **err);
int container_links_env(struct store *s, const char *self, const json_t *hc, char ***env,
			struct berth_error **err);
int container_links_hosts(struct store *s, const char *self, const json_t *hc, const char *path,
			  const char *starting, struct berth_error **err);
/*
 * After container id started with a new address: the hosts lines of the
 * running containers linked to it, written again (their variables stay).
 */
void container_links_refresh(struct store *s, const char *id);
/* network disconnect: the reverse, live for a running container. */
int container_net_disconnect(struct store *s, const char *what, const char *net,
			     struct berth_error **err);
/*
 * The spec's network namespace (for a network, the monitor sets its path at
 * each start), and the folder of the /etc/hosts, hostname and resolv.conf it
 * binds (*files_dir, new: container:NAME uses NAME's).
 */
int container_net_spec(struct store *s, const char *id, const json_t *hc, struct runtime_spec *spec,
		       char **files_dir, struct berth_error **err);
/* inspect's NetworkSettings. */
json_t *container_net_settings(struct store *s, const struct store_container *c, const json_t *hc);

/* <root>/containers/<id>. Caller frees. */
char *container_dir(const struct store *s, const char *id);

/* A random "adjective_noun" name not yet taken (names.c). */
char *container_generate_name(struct store *s);
/* Docker's rule for names: [a-zA-Z0-9][a-zA-Z0-9_.-]+. */
bool container_name_valid(const char *name);

#endif
