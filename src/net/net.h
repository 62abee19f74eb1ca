/*
 * Networks (DESIGN.md, "Networks"): the default bridge network, IPAM, one
 * network namespace per container (its sandbox) joined to a bridge by a veth
 * pair, and masquerade. Only this module talks netlink and nftables.
 *
 * The default network is the store's network record named "bridge", on the
 * Linux bridge berth0, made on first use with a subnet from the address pools
 * (BERTH_NETWORK_POOL, else the file /etc/berth/network-pools, else Docker's
 * defaults 172.17.0.0/16, 172.18.0.0/16 …) that overlaps no route of the host.
 * Data roots share berth0: a root that finds it already there takes its subnet.
 *
 * A container's sandbox is a network namespace of its own, made before each
 * start and joined by its init; the init's processes keep it (and its links)
 * alive, and the kernel removes both when they are gone. Each network the
 * container is on gives it an address leased in the store (freed with its
 * state, store.h) and an interface (eth0 for the first) whose host side is
 * "veth" and the address in hex (vethac110002 for 172.17.0.2): as link names
 * are unique on the host, creating it claims the address against containers
 * of other data roots too. Its MAC is Docker's 02:42 and the address.
 *
 * User networks (network.c) are bridges "br-<id12>" made at network create,
 * each with a subnet of the pools that no route or other network overlaps.
 * berth's table isolates the bridges from each other: a forward chain maps
 * each berth bridge to a chain of its own that drops what it forwards to
 * another berth bridge (for an internal network: anywhere but itself). Each
 * user network with containers has its embedded DNS (dns.c, dnsconf.c):
 * berth-dns on the gateway's address, port 53, answering from the hosts file
 * <runroot>/networks/<id>/hosts that each start and stop rewrites.
 *
 * Teardown (container_net_down() in container/network.c, called by the
 * monitor when its container ends and by the reconcile after a monitor died)
 * is where whatever else a container's network holds — published ports — is
 * removed too.
 */
#ifndef BERTH_NET_NET_H
#define BERTH_NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/error.h"

#define NET_DEFAULT_NAME   "bridge" /* the default network's name, as Docker's */
#define NET_DEFAULT_BRIDGE "berth0"
/* Where the address pools are read from when BERTH_NETWORK_POOL is not set. */
#define NET_POOL_FILE "/etc/berth/network-pools"

/*
 * The default bridge network's record: made on first use (subnet chosen, not
 * yet the bridge itself, which net_connect() makes). Caller frees.
 */
struct store_network *net_default_network(struct store *s, struct berth_error **err);

/* A container's place on a network: what inspect shows and what ports need. */
struct net_endpoint {
	char network_id[65];
	char endpoint_id[65];
	char bridge[16];    /* "berth0" */
	char address[16];   /* "172.17.0.2" */
	char gateway[16];   /* "172.17.0.1" */
	int prefix_len;	    /* 16 */
	char mac[18];	    /* "02:42:ac:11:00:02" */
	char host_veth[16]; /* "vethac110002" */
};

/*
 * A new network namespace with loopback up, for a container's sandbox: an fd
 * (O_CLOEXEC) for the caller to hand to the runtime and close. The calling
 * thread enters it for the moment it takes (setns is per thread).
 */
int net_sandbox_create(struct berth_error **err);

/*
 * Connects the sandbox netns_fd of container id to network n as interface
 * ifname ("eth0"): leases an address (the one the container holds there
 * already, if any), makes sure the bridge is up (creating it, its address,
 * forwarding and masquerade the first time), adds the veth pair, the address
 * and, with default_route, the default route via the gateway; o (or NULL)
 * the address and MAC asked for. *ep (may be NULL) gets the result.
 * Nothing is left half-made on failure.
 */
/* Is ip a host address of network n's subnet (not its gateway)? */
bool net_address_in(const struct store_network *n, const char *ip);

/* What a container asks of its endpoint: NULLs for the defaults. */
struct net_connect_opts {
	const char *ip;	 /* --ip: this address of the subnet, or an error */
	const char *mac; /* --mac-address: instead of 02:42 and the address */
};
int net_connect(struct store *s, const char *id, int netns_fd, const struct store_network *n,
		const char *ifname, bool default_route, const struct net_connect_opts *o,
		struct net_endpoint *ep, struct berth_error **err);

/*
 * Frees container id's leases (a container that is not running holds none:
 * the store frees them with its state; this is for a start that failed).
 */
void net_container_release(struct store *s, const char *id);

/*
 * The endpoints of container id (one per network it holds an address on; none
 * when it is not running or is on none, host or another container's network).
 * *eps is new (free()); *n may be 0.
 */
int net_container_endpoints(struct store *s, const char *id, struct net_endpoint **eps, size_t *n,
			    struct berth_error **err);

/*
 * For published ports: the address of container id on its first network and
 * that network's bridge. BERTH_ERR_NOT_FOUND when it has none (not running,
 * --network none/host/container:…).
 */
int net_container_address(struct store *s, const char *id, char ip[46], char bridge[16],
			  struct berth_error **err);

/* What network create asks for; NULLs for the defaults. */
struct net_network_opts {
	const char *name;
	const char *subnet;  /* "10.5.0.0/24": else one of the pools */
	const char *gateway; /* else the subnet's first address */
	const char *labels;  /* JSON object */
	bool internal;	     /* no masquerade, nothing forwarded beyond its bridge */
};

/*
 * A user network: its record, its bridge "br-<id12>" with the gateway's
 * address and its isolation rules. Docker's errors for a taken name, a
 * predefined one and an overlapping subnet. Caller frees.
 */
struct store_network *net_network_create(struct store *s, const struct net_network_opts *o,
					 struct berth_error **err);
/*
 * Removes user network n: refused (Docker's "has active endpoints") while a
 * container holds an address on it, and for the default network.
 */
int net_network_remove(struct store *s, const struct store_network *n, struct berth_error **err);
/* The bridge, rules and DNS of network n, gone (what they can be of them). */
void net_network_teardown(struct store *s, const struct store_network *n);

/*
 * Disconnects container id from network n: its veth (and so its interface in
 * the sandbox) deleted and its lease freed. BERTH_ERR_NOT_FOUND when it holds
 * no address there.
 */
int net_disconnect(struct store *s, const char *id, const struct store_network *n,
		   struct berth_error **err);

/*
 * The embedded DNS of user network n (nothing for the default network): its
 * hosts file written again from the containers holding an address there but
 * leaving_id (or NULL: a container that is going), and its berth-dns started
 * if it is not running, or stopped when no container is left.
 */
int net_dns_update(struct store *s, const struct store_network *n, const char *leaving_id,
		   struct berth_error **err);
/* Stops network n's berth-dns and removes its run folder. */
void net_dns_stop(struct store *s, const struct store_network *n);
/* A container's resolv.conf on user network n: its DNS, and the host's search and options. */
char *net_dns_resolv_conf(const struct store_network *n);

#endif
