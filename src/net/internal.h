/* What the files of net/ share. Private to net/. */
#ifndef BERTH_NET_INTERNAL_H
#define BERTH_NET_INTERNAL_H

#include "store/store.h"
#include "util/error.h"

struct nl_sock;

/* 64 random hex digits and a NUL (network and endpoint IDs). */
void net_random_hex(char out[65]);

/*
 * Makes sure network n's bridge exists, is up and has the gateway address;
 * when it makes any of them, also forwarding and (unless n is internal)
 * masquerade, which only warn when they fail.
 * Returns the bridge's ifindex. sk: a socket in the host's namespace.
 */
int net_bridge_ensure(struct nl_sock *sk, const struct store_network *n, struct berth_error **err);

struct net_pool;
/* The address pools: BERTH_NETWORK_POOL, else NET_POOL_FILE, else Docker's defaults. */
int net_load_pools(struct net_pool **pools, size_t *n, struct berth_error **err);

/*
 * Network n's bridge in berth's isolation rules (table ip berth): traffic it
 * forwards to another berth bridge is dropped; for an internal network, all
 * that leaves by another link. Idempotent.
 */
int net_isolation_add(const struct store_network *n, struct berth_error **err);

/* Moves error *e into *err (which may be NULL); returns -1. */
static inline int net_error_move(struct berth_error **err, struct berth_error **e)
{
	if (err)
		*err = *e;
	else
		berth_error_free(*e);
	*e = NULL;
	return -1;
}

#endif
