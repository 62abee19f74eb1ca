/*
 * The monitor's event loop while its container runs: the container's output
 * to the log and to attached clients, the clients' messages (monitor.h has the
 * protocol), and the init's exit through a signalfd for SIGCHLD.
 *
 * Both halves of the monitor run it: the full one (monitor.c, in berth) while
 * it starts, restarts and tears down, and the idle one (idle.c, the small
 * static berth-monitor) that the monitor turns into with execve() once the
 * container has run for a moment. relay_export() writes the loop's state, its
 * descriptors left open across the exec, and relay_import() takes it back on
 * the other side. Paths in the state must not hold a newline. Only libc here: the idle monitor links nothing else.
 */
#ifndef BERTH_MONITOR_RELAY_H
#define BERTH_MONITOR_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor/logfile.h"
#include "util/strbuf.h"

#define MONITOR_MSG_MAX	  65536
#define RELAY_MAX_CLIENTS 64
/* The environment variable that carries the state across the exec. */
#define RELAY_STATE_ENV "BERTH_MONITOR_STATE"

struct relay_client {
	int fd;
	bool output; /* it asked for the container's output ('A') */
};

struct relay {
	int epfd, sigfd;
	int listen_fd;	    /* the "attach" socket in the run folder */
	int out_fd, err_fd; /* our ends of the container's stdout and stderr (or the pty) */
	int in_fd;	    /* our end of the container's stdin (or the pty), -1 if none */
	int pty_master;	    /* -1 without a terminal */
	pid_t pid;	    /* the container's init */
	struct relay_client clients[RELAY_MAX_CLIENTS];
	int n_clients;
	struct logfile *log; /* NULL for --log-driver none */
	bool exited;
	int exit_code;
	bool stopping; /* a user's stop: no restart */

	/* Carried across the exec for the monitor's halves; the loop does not use them. */
	int diag_fd; /* the monitor's own log, monitor.log; -1 for none */
	const char *id;
	const char *root, *runroot; /* berth's data and run roots */
	const char *exe;	    /* berth's program, which the idle monitor execs at the end */
	const char *log_path;
	struct logfile_opts log_opts;
	int restart_count;
	int64_t started_at;
};

/* A relay with every descriptor -1 and nothing else set. */
void relay_init(struct relay *r);

/* Adds fd to the event loop / removes and closes it (*fd becomes -1). */
void relay_watch(struct relay *r, int fd);
void relay_unwatch_close(struct relay *r, int *fd);

/* Takes a connected client; output: it gets the container's output. */
void relay_add_client(struct relay *r, int fd, bool output);

/*
 * Message t to every client, or for output ('1', '2') to those that asked. The
 * monitor never waits for a client: a full socket loses output (the log keeps
 * it), and a client too stuck to take a state message is dropped.
 */
void relay_broadcast(struct relay *r, char t, const void *data, size_t len);

/* One message; MONITOR_MSG_MAX bytes of payload at most. */
int relay_send(int sock, char t, const void *data, size_t len, int flags);

/* Waits up to timeout_ms (-1: no limit) for events and handles them. */
void relay_dispatch(struct relay *r, int timeout_ms);

/*
 * Runs until the init has exited and its output is drained (0), or until the
 * CLOCK_MONOTONIC time until_ns (0: no limit) while it still runs (1). Then
 * closes the container's side of the stdio (0 only).
 */
int relay_run(struct relay *r, int64_t until_ns);

/*
 * The state as "key=value" lines, partial log lines included, for the other
 * half of the monitor; the descriptors must stay open (not close-on-exec).
 * relay_import() reads it back into a relay_init()ed r: the log is opened
 * again and the epoll and signalfd descriptors are reused. -1 on a state it
 * cannot read.
 */
void relay_export(const struct relay *r, struct strbuf *out);
int relay_import(struct relay *r, const char *state);

/*
 * Sets or clears close-on-exec on every descriptor the state names: cleared
 * for the exec to the other half, set again after it.
 */
void relay_set_cloexec(const struct relay *r, bool cloexec);

#endif
