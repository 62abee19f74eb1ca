/*
 * The monitor: one small process per running container (DESIGN.md). It is the
 * parent and subreaper of the container's init, owns its stdio (a terminal's
 * master side or pipes), writes the json-file log, relays the streams to
 * attached clients, records the exit in the store and tears down.
 *
 * Clients talk to it over SOCK_SEQPACKET sockets: the one monitor_launch()
 * returns, and any number more through the socket "attach" in the container's
 * run folder (monitor_connect()). Each message is a type byte and a payload:
 *   monitor → client: 'S' pid (started), 'E' kind message (start failed),
 *                     '1'/'2' bytes (stdout/stderr; only to clients that sent 'A'),
 *                     'X' exit code (the process exited; after the teardown when the
 *                     monitor ends, before a restart otherwise)
 *   client → monitor: 'A' (send me the output), '0' bytes (stdin), 'C' (close stdin),
 *                     'W' "rows cols" (resize), 'K' signal number (kill),
 *                     'P' (the user stops the container: no restart follows)
 * A client too slow to take the output loses it (the log has it all): the
 * container never waits for a client.
 */
#ifndef BERTH_MONITOR_MONITOR_H
#define BERTH_MONITOR_MONITOR_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "monitor/logfile.h"
#include "monitor/relay.h"
#include "runtime/runtime.h"
#include "store/store.h"
#include "util/error.h"

struct monitor_config {
	const char *root, *runroot;
	const char *id;
	struct runtime_spec *spec;
	const char *log_path; /* json-file log; NULL for --log-driver none */
	struct logfile_opts log_opts;
	bool auto_remove; /* --rm: remove the container when it exits */
	/* HostConfig.RestartPolicy: "no", "always", "unless-stopped", "on-failure" */
	const char *restart_policy;
	int restart_max; /* on-failure's MaximumRetryCount; 0 = no limit */
	/*
	 * The container's network (container/network.c), at each start:
	 * net_sandbox makes the network namespace its init joins (*netns_fd; -1
	 * when it has none of its own), net_up sets it up while the init
	 * prepares. net_down runs at the teardown, after a failed start too.
	 * NULL: nothing to do.
	 */
	const json_t *config; /* the container's {Config, HostConfig} */
	int (*net_sandbox)(const json_t *config, int *netns_fd, struct berth_error **err);
	int (*net_up)(struct store *s, const char *id, const json_t *config, int netns_fd,
		      struct berth_error **err);
	void (*net_down)(struct store *s, const char *id);
};

/*
 * Forks the monitor, which starts the container. Returns a socket connected
 * to the monitor; the first message on it is 'S' or 'E'. Keep it open to stay
 * attached; closing it detaches.
 */
int monitor_launch(const struct monitor_config *mc, struct berth_error **err);

/*
 * Takes over from the idle monitor, which execs berth once the container's
 * init has exited (relay.h): restarts it if its policy says so, else records
 * the exit and tears down. r is the imported state, s the open store (the
 * monitor's from now on); never returns.
 */
_noreturn_ void monitor_resume(const struct monitor_config *mc, struct relay *r, struct store *s);

/* Connects to the monitor of a running container. */
int monitor_connect(const char *runroot, const char *id, struct berth_error **err);

/* Sends one message of type t with a payload. */
int monitor_send(int sock, char t, const void *data, size_t len);

/* Docker's back-off before restart number n (0 first): 100 ms doubling, at most 1 min. */
long long monitor_restart_delay_ms(int n);

#endif
