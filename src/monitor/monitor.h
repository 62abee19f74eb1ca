/*
 * The monitor: one small process per running container (DESIGN.md). It is the
 * parent and subreaper of the container's init, owns its stdio (a terminal's
 * master side or pipes), writes the json-file log, relays the streams to
 * attached clients, records the exit in the store and tears down.
 *
 * Clients talk to it over SOCK_SEQPACKET sockets; each message is a type byte
 * and a payload:
 *   monitor → client: 'S' pid (started), 'E' kind message (start failed),
 *                     '1'/'2' bytes (stdout/stderr), 'X' exit code (gone, torn down)
 *   client → monitor: '0' bytes (stdin), 'C' (close stdin), 'W' "rows cols" (resize),
 *                     'K' signal number (kill)
 */
#ifndef BERTH_MONITOR_MONITOR_H
#define BERTH_MONITOR_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/error.h"

#define MONITOR_MSG_MAX 65536

struct monitor_config {
	const char *root, *runroot;
	const char *id;
	struct runtime_spec *spec;
	const char *log_path; /* json-file log */
	bool auto_remove;     /* --rm: remove the container when it exits */
};

/*
 * Forks the monitor, which starts the container. Returns a socket connected
 * to the monitor; the first message on it is 'S' or 'E'. Keep it open to stay
 * attached; closing it detaches.
 */
int monitor_launch(const struct monitor_config *mc, struct berth_error **err);

/* Sends one message of type t with a payload. */
int monitor_send(int sock, char t, const void *data, size_t len);

#endif
