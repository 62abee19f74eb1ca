/*
 * User networks (network create/rm): a record, a Linux bridge "br-<id12>"
 * with a subnet of the pools (or the one asked for) and the isolation rules
 * of berth's table, which keep each bridge's traffic off the others.
 */
#define LOG_DOMAIN "net"
#include <ctype.h>

#include "net/internal.h"
#include "net/ipam.h"
#include "net/net.h"
#include "net/netlink.h"
#include "net/nft.h"
#include "util/compiler.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

/* Docker's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
static bool valid_name(const char *name)
{
	if (!isalnum((unsigned char)name[0]))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

/* The subnets of the other networks of the store, to avoid. */
static int store_subnets(struct store *s, struct net_subnet **out, size_t *n,
			 struct berth_error **err)
{
	struct store_network **list = NULL;

	if (store_network_list(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; list[i]; i++) {
		struct net_subnet sn;

		if (net_subnet_parse(list[i]->subnet, &sn) < 0)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = sn;
	}
	store_network_list_free(list);
	return 0;
}

/* The host's routes and the store's networks: what a new subnet must not overlap. */
static int taken_subnets(struct store *s, struct net_subnet **out, size_t *n,
			 struct berth_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(-1, err);

	*out = NULL;
	*n = 0;
	if (!sk || net_nl_routes(sk, 0, out, n, err) < 0)
		return -1;
	return store_subnets(s, out, n, err);
}

static int pick_subnet(struct store *s, const struct net_network_opts *o, struct net_subnet *sn,
		       uint32_t *gw, struct berth_error **err)
{
	_cleanup_free_ struct net_subnet *taken = NULL;
	_cleanup_free_ struct net_pool *pools = NULL;
	size_t n_taken = 0, n_pools = 0;

	if (taken_subnets(s, &taken, &n_taken, err) < 0)
		return -1;
	if (o->subnet) {
		if (net_subnet_parse(o->subnet, sn) < 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid subnet %s",
						o->subnet);
		for (size_t i = 0; i < n_taken; i++)
			if (net_subnet_overlaps(sn, &taken[i]))
				return berth_error_setk(
					err, BERTH_ERR_CONFLICT, 0,
					"Pool overlaps with other one on this address space");
	} else {
		if (net_load_pools(&pools, &n_pools, err) < 0)
			return -1;
		if (net_pool_pick(pools, n_pools, taken, n_taken, sn) < 0)
			return berth_error_set(
				err, 0,
				"could not find an available, non-overlapping IPv4 address "
				"pool among the defaults to assign to the network");
	}
	*gw = sn->addr + 1;
	if (o->gateway) {
		if (net_addr_parse(o->gateway, gw) < 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid gateway address %s", o->gateway);
		if (!net_subnet_contains(sn, *gw))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"no matching subnet for gateway %s", o->gateway);
	}
	return 0;
}

/*
 * Isolation in berth's table: a forward chain whose map sends traffic from a
 * bridge to the bridge's own chain, which drops what goes to another berth
 * bridge (or, for an internal network, anywhere but its own bridge).
 */
int net_isolation_add(const struct store_network *n, struct berth_error **err)
{
	_cleanup_free_ char *cmds = xasprintf(
		"add table ip " NET_NFT_TABLE "\n"
		"add set ip " NET_NFT_TABLE " bridges { type ifname; }\n"
		"add map ip " NET_NFT_TABLE " isolation { type ifname : verdict; }\n"
		"add chain ip " NET_NFT_TABLE " forward-isolation { type filter hook forward"
		" priority filter - 1; policy accept; }\n"
		"flush chain ip " NET_NFT_TABLE " forward-isolation\n"
		"add rule ip " NET_NFT_TABLE " forward-isolation iifname vmap @isolation\n"
		"add chain ip " NET_NFT_TABLE " isolate-%1$s\n"
		"flush chain ip " NET_NFT_TABLE " isolate-%1$s\n"
		"add rule ip " NET_NFT_TABLE " isolate-%1$s oifname \"%1$s\" return\n"
		"add rule ip " NET_NFT_TABLE " isolate-%1$s %2$s drop\n"
		"add element ip " NET_NFT_TABLE " bridges { \"%1$s\" }\n"
		"add element ip " NET_NFT_TABLE " isolation { \"%1$s\" : jump isolate-%1$s }\n",
		n->bridge, n->internal ? "" : "oifname @bridges");

	return net_nft_run(cmds, NULL, err) < 0 ? berth_error_wrap(err, "isolate '%s'", n->bridge)
						: 0;
}

/* Each command on its own: one that fails (already gone) stops none of the others. */
static void isolation_remove(const char *bridge)
{
	_cleanup_free_ char *c1 =
		xasprintf("delete element ip " NET_NFT_TABLE " isolation { \"%s\" }", bridge);
	_cleanup_free_ char *c2 =
		xasprintf("delete element ip " NET_NFT_TABLE " bridges { \"%s\" }", bridge);
	_cleanup_free_ char *c3 = xasprintf("delete chain ip " NET_NFT_TABLE " isolate-%s", bridge);
	_cleanup_free_ char *c4 =
		xasprintf("delete chain ip " NET_NFT_TABLE " postrouting-%s", bridge);
	_cleanup_free_ char *c5 = xasprintf("delete set ip " NET_NFT_TABLE " masq-%s", bridge);
	const char *cmds[] = {c1, c2, c3, c4, c5};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		_cleanup_error_ struct berth_error *e = NULL;

		if (net_nft_run(cmds[i], NULL, &e) < 0)
			log_debug("%s: %s", cmds[i], e->msg);
	}
}

/* The bridge, its address and rules, made now (Docker makes them at create too). */
static int bridge_up(const struct store_network *n, struct berth_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(-1, err);

	if (!sk || net_bridge_ensure(sk, n, err) < 0)
		return -1;
	return 0;
}

/* The default bridge in the isolation rules too (made before they were, it may lack them). */
static void register_default(struct store *s)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_(store_network_freep) struct store_network *d = net_default_network(s, &e);

	if (!d || net_isolation_add(d, &e) < 0)
		log_warn("network %s: not isolated from other networks: %s", NET_DEFAULT_NAME,
			 e->msg);
}

struct store_network *net_network_create(struct store *s, const struct net_network_opts *o,
					 struct berth_error **err)
{
	_cleanup_(store_network_freep) struct store_network *old = NULL;
	struct net_subnet sn;
	uint32_t gw;
	char id[65], subnet[20], gateway[16], bridge[16];
	_cleanup_free_ char *options = NULL;
	struct store_network n;

	if (!valid_name(o->name))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] "
					"are allowed",
					o->name),
		       NULL;
	if (!strcmp(o->name, "none") || !strcmp(o->name, "host") ||
	    !strcmp(o->name, NET_DEFAULT_NAME) || !strcmp(o->name, "default"))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"operation is not permitted on predefined %s network ",
					o->name),
		       NULL;
	old = store_network_find(s, o->name, NULL);
	if (old && !strcmp(old->name, o->name))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"network with name %s already exists", o->name),
		       NULL;
	if (pick_subnet(s, o, &sn, &gw, err) < 0)
		return NULL;
	net_random_hex(id);
	snprintf(bridge, sizeof(bridge), "br-%.12s", id);
	net_subnet_format(&sn, subnet, sizeof(subnet));
	net_addr_format(gw, gateway, sizeof(gateway));
	options = xasprintf("{\"com.docker.network.bridge.name\":\"%s\"}", bridge);
	n = (struct store_network){.id = id,
				   .name = (char *)o->name,
				   .driver = "bridge",
				   .bridge = bridge,
				   .subnet = subnet,
				   .gateway = gateway,
				   .created = time_now_ns(),
				   .internal = o->internal,
				   .labels = (char *)(o->labels ? o->labels : "{}"),
				   .options = options};
	if (store_network_add(s, &n, err) < 0)
		return NULL;
	if (bridge_up(&n, err) < 0 || net_isolation_add(&n, err) < 0) {
		net_network_teardown(s, &n);
		store_network_delete(s, id, NULL);
		return NULL;
	}
	register_default(s);
	return store_network_find(s, id, err);
}

void net_network_teardown(struct store *s, const struct store_network *n)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(-1, &e);

	isolation_remove(n->bridge);
	if (!sk || net_nl_link_del(sk, n->bridge, &e) < 0)
		log_warn("cannot delete bridge %s: %s", n->bridge, e->msg);
	net_dns_stop(s, n);
}

int net_network_remove(struct store *s, const struct store_network *n, struct berth_error **err)
{
	struct store_lease **leases = NULL;
	bool busy;

	if (!strcmp(n->name, NET_DEFAULT_NAME))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"%s is a pre-defined network and cannot be removed",
					n->name);
	if (store_lease_list(s, n->id, NULL, &leases, err) < 0)
		return -1;
	busy = leases[0] != NULL;
	store_lease_list_free(leases);
	if (busy)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"error while removing network: network %s id %s has "
					"active endpoints",
					n->name, n->id);
	if (store_network_delete(s, n->id, err) < 0)
		return -1;
	net_network_teardown(s, n);
	return 0;
}

int net_disconnect(struct store *s, const char *id, const struct store_network *n,
		   struct berth_error **err)
{
	struct store_lease **leases = NULL;
	_cleanup_nl_ struct nl_sock *sk = NULL;
	uint32_t a = 0;
	char veth[16];
	bool found;

	if (store_lease_list(s, n->id, id, &leases, err) < 0)
		return -1;
	found = leases[0] != NULL;
	if (found && net_addr_parse(leases[0]->address, &a) < 0)
		found = false;
	store_lease_list_free(leases);
	if (!found)
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
					"container %.12s is not connected to network %s", id,
					n->name);
	/* the host side's name, as sandbox.c makes it */
	snprintf(veth, sizeof(veth), "veth%08x", a);
	sk = net_nl_open(-1, err);
	if (!sk || net_nl_link_del(sk, veth, err) < 0)
		return -1;
	return store_lease_delete(s, n->id, id, err);
}
