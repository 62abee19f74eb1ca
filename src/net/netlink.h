/*
 * Netlink helpers of net/ (libnl-route-3): links, addresses and routes of one
 * network namespace, the one the socket was opened in. Private to net/.
 */
#ifndef BERTH_NET_NETLINK_H
#define BERTH_NET_NETLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "net/ipam.h"
#include "util/error.h"

struct nl_sock;

/*
 * A rtnetlink socket in the calling thread's network namespace, or in the one
 * of netns_fd when it is >= 0 (the thread enters it for the moment it takes
 * to open the socket; setns(CLONE_NEWNET) is per thread).
 */
struct nl_sock *net_nl_open(int netns_fd, struct berth_error **err);
void net_nl_close(struct nl_sock *sk);
static inline void net_nl_closep(struct nl_sock **sk)
{
	net_nl_close(*sk);
	*sk = NULL;
}
#define _cleanup_nl_ _cleanup_(net_nl_closep)

/* The index of link name (0 when there is none) and its flags (IFF_*) when flags is set. */
int net_nl_link_index(struct nl_sock *sk, const char *name, unsigned *flags,
		      struct berth_error **err);
/* A bridge named name with the given MAC, down. BERTH_ERR_CONFLICT when it exists. */
int net_nl_bridge_add(struct nl_sock *sk, const char *name, const unsigned char mac[6],
		      struct berth_error **err);
/* Sets IFF_UP on a link. */
int net_nl_link_up(struct nl_sock *sk, int ifindex, struct berth_error **err);
/* Deletes a link; one that is not there is no error. */
int net_nl_link_del(struct nl_sock *sk, const char *name, struct berth_error **err);

/* What net_nl_veth_add() makes. */
struct net_veth {
	const char *name;	       /* the host side, e.g. "vethac110002" */
	const char *alias;	       /* its ifalias: who made it; or NULL */
	int master;		       /* the bridge the host side joins */
	const char *peer_name;	       /* "eth0" */
	const unsigned char *peer_mac; /* 6 bytes */
	int peer_netns_fd;	       /* where the peer goes */
};
/*
 * A veth pair: the host side up on the bridge, the peer (down) in its network
 * namespace. BERTH_ERR_CONFLICT when a link of that name exists.
 */
int net_nl_veth_add(struct nl_sock *sk, const struct net_veth *v, struct berth_error **err);

/* Adds addr/prefix (with its broadcast) to a link; one already there is no error. */
int net_nl_addr_add(struct nl_sock *sk, int ifindex, uint32_t addr, int prefix,
		    struct berth_error **err);
/* The IPv4 addresses of a link, as subnets with the address itself in addr; *out new. */
int net_nl_addrs(struct nl_sock *sk, int ifindex, struct net_subnet **out, size_t *n,
		 struct berth_error **err);
/* The default route via gateway on link ifindex. */
int net_nl_route_default(struct nl_sock *sk, uint32_t gateway, int ifindex,
			 struct berth_error **err);
/*
 * The destinations of the IPv4 routes of the main table, but default routes
 * and those through link skip_ifindex (when > 0); *out new.
 */
int net_nl_routes(struct nl_sock *sk, int skip_ifindex, struct net_subnet **out, size_t *n,
		  struct berth_error **err);

#endif
