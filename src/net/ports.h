/*
 * Published ports (docker run -p / -P, docker port): the specs as Docker parses
 * them, the host ports they get when the container starts, and what serves
 * them while it runs:
 *
 *   - DNAT rules in berth's own nftables table (nft.h) for traffic from other
 *     machines and for the host's own traffic to its non-loopback addresses;
 *   - berth-proxy (proxy.c), one process per container, which holds every
 *     published host port open (that is what "allocated" means) and relays
 *     what DNAT cannot serve: connections to 127.0.0.1 (the kernel does not
 *     route loopback addresses elsewhere without route_localnet) and hairpin
 *     traffic from containers on the bridge.
 *
 * The container's config keeps what the user asked, as Docker stores it:
 * Config.ExposedPorts {"80/tcp": {}}, HostConfig.PortBindings
 * {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]} (HostPort "" for an
 * ephemeral port, "8000-8010" for the first free one of a range) and
 * HostConfig.PublishAllPorts. What a start made of it, NetworkSettings.Ports
 * {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "81/tcp": null},
 * is kept in <runroot>/<id>/ports while the container runs.
 */
#ifndef BERTH_NET_PORTS_H
#define BERTH_NET_PORTS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* Docker's range for ephemeral host ports when ip_local_port_range is unreadable. */
#define NET_PORTS_EPHEMERAL_FIRST 32768
#define NET_PORTS_EPHEMERAL_LAST  60999

enum net_ports_proto {
	NET_PORTS_TCP,
	NET_PORTS_UDP,
	NET_PORTS_SCTP,
};
/* "tcp", "udp", "sctp" */
const char *net_ports_proto_name(enum net_ports_proto p);

/*
 * -p [ip:][hostport:]ctrport[/proto]: adds the ports to exposed
 * (Config.ExposedPorts) and bindings (HostConfig.PortBindings), as Docker's
 * CLI does. Ranges on both sides must be as long ("8000-8010:80-90"), or the
 * container side a single port with a host range to pick from. Errors are
 * Docker's ("invalid containerPort: x", ...; BERTH_ERR_INVALID); IPv6 host
 * addresses are refused for now.
 */
int net_ports_parse_publish(const char *spec, json_t *exposed, json_t *bindings,
			    struct berth_error **err);
/* --expose port[-port][/proto]: adds to exposed. */
int net_ports_parse_expose(const char *spec, json_t *exposed, struct berth_error **err);

/* One published port, as a start resolves it. */
struct net_ports_mapping {
	struct in_addr host_ip;		/* INADDR_ANY for every address */
	uint16_t host_port;		/* 0 until bound */
	uint16_t host_first, host_last; /* where to pick host_port from */
	uint16_t ctr_port;
	enum net_ports_proto proto;
};

/*
 * The mappings of a config ({"Config": ..., "HostConfig": ...}): every
 * binding of HostConfig.PortBindings, and with PublishAllPorts each port of
 * Config.ExposedPorts that has none on an ephemeral port. Ephemeral ports are
 * picked from ip_local_port_range (Docker's range). *out is freed with free().
 */
int net_ports_resolve(const json_t *config, struct net_ports_mapping **out, size_t *n,
		      struct berth_error **err);

/*
 * Binds and listens on the host port of each mapping (fds[i], O_CLOEXEC): a
 * fixed port, or the first free one of its range. Either every port is bound
 * or none (Docker's "Bind for 0.0.0.0:8080 failed: port is already allocated").
 */
int net_ports_bind(struct net_ports_mapping *m, size_t n, int *fds, struct berth_error **err);

struct net_ports_proxy_opts {
	const char *program;   /* berth-proxy; NULL: the one beside our own program */
	const char *rundir;    /* <runroot>/<id>: proxy.pid goes there (NULL: no pid file) */
	struct in_addr target; /* the container's address */
	/* The proxy gets SIGKILL when its parent (the container's monitor) dies. */
	bool die_with_parent;
};

/*
 * Starts berth-proxy on the bound sockets fds[0..n) of the mappings (the
 * caller still closes its copies). Returns its pid (a child of the caller),
 * written to <rundir>/proxy.pid, or -1.
 */
pid_t net_ports_start_proxy(const struct net_ports_proxy_opts *o, const struct net_ports_mapping *m,
			    const int *fds, size_t n, struct berth_error **err);
/* Kills and reaps the proxy the caller started. */
void net_ports_stop_proxy(pid_t pid);
/*
 * Kills the proxy named by <rundir>/proxy.pid, if it is still running (a
 * berth-proxy of that folder), and removes the file: for a container whose
 * monitor is gone. Nothing to kill is no error.
 */
void net_ports_kill_proxy(const char *rundir);

/* A container to publish the ports of. */
struct net_ports_target {
	const char *id;	     /* 64 hex digits */
	const char *rundir;  /* <runroot>/<id>, existing */
	struct in_addr addr; /* the container's address on its network */
	/* Its bridge: traffic coming from there goes to the proxy (hairpin). NULL: none. */
	const char *bridge;
	const char *proxy_program; /* NULL: beside our own program */
	bool die_with_parent;	   /* as net_ports_proxy_opts's */
};

/*
 * Publishes the ports config asks for: binds them, adds the DNAT rules, starts
 * the proxy and writes <rundir>/ports (NetworkSettings.Ports, with the exposed
 * ports that are not published as null). Returns the proxy's pid, 0 when
 * nothing is published (no proxy), or -1 with nothing left behind.
 */
pid_t net_ports_publish(const struct net_ports_target *t, const json_t *config,
			struct berth_error **err);
/*
 * Undoes net_ports_publish(): stops the proxy (proxy_pid when the caller
 * started it, else through the pid file), removes the rules and the files.
 * Idempotent; what is already gone is no error. Without a proxy (or its pid
 * file) there are no rules to look for: then it costs no nftables call.
 */
int net_ports_unpublish(const char *id, const char *rundir, pid_t proxy_pid,
			struct berth_error **err);

/* NetworkSettings.Ports of a running container (<rundir>/ports); {} when there is none. */
json_t *net_ports_read(const char *rundir);

/*
 * ps's PORTS column of NetworkSettings.Ports, as Docker's CLI prints it:
 * "0.0.0.0:8080->80/tcp, 443/tcp"; consecutive ports grouped into ranges.
 * Caller frees.
 */
char *net_ports_format_ps(const json_t *ports);
/*
 * docker port NAME [PRIVATE]: the lines "80/tcp -> 0.0.0.0:8080" (private
 * NULL), or "0.0.0.0:8080" for private "80[/proto]" (tcp unless said), in
 * natural order, each ending with a newline. Errors as Docker's: "No public
 * port '80/tcp' published for NAME" (BERTH_ERR_NOT_FOUND), "invalid port (x)".
 */
char *net_ports_format_port(const json_t *ports, const char *private_port, const char *name,
			    struct berth_error **err);

#endif
