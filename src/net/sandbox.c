/* A container's network namespace (its sandbox), its interfaces and address leases. */
#define LOG_DOMAIN "net"
#include <fcntl.h>
#include <sched.h>

#include "net/internal.h"
#include "net/ipam.h"
#include "net/net.h"
#include "net/netlink.h"
#include "util/log.h"
#include "util/strutil.h"

/* A container trying addresses that links of other data roots hold gives up after this. */
#define CONNECT_ATTEMPTS 32

/* In a new network namespace (this thread's for the moment): loopback up. */
static int loopback_up(struct berth_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(-1, err);

	if (!sk || net_nl_link_up(sk, 1, err) < 0) /* lo is 1 in a new namespace */
		return berth_error_wrap(err, "bring lo up");
	return 0;
}

int net_sandbox_create(struct berth_error **err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd;

	if (self < 0)
		return berth_error_set(err, errno, "open '/proc/thread-self/ns/net'");
	if (unshare(CLONE_NEWNET) < 0)
		return berth_error_set(err, errno, "create a network namespace");
	fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		berth_error_set(err, errno, "open the new network namespace");
	} else if (loopback_up(err) < 0) {
		close(fd);
		fd = -1;
	}
	if (setns(self, CLONE_NEWNET) < 0)
		BUG("cannot return to the host's network namespace: %s", strerror(errno));
	return fd;
}

/* The host side of the veth of an address: "veth" and its eight hex digits. */
static void veth_name(uint32_t a, char name[16])
{
	snprintf(name, 16, "veth%08x", a);
}

static bool skipped(uint32_t a, const uint32_t *skip, size_t n_skip)
{
	for (size_t i = 0; i < n_skip; i++)
		if (skip[i] == a)
			return true;
	return false;
}

/* The addresses of network n's leases, but container id's; *mine gets that one (or 0). */
static int leased(struct store *s, const char *id, const struct store_network *n, uint32_t **used,
		  size_t *n_used, uint32_t *mine, struct berth_error **err)
{
	struct store_lease **leases = NULL;

	*mine = 0;
	if (store_lease_list(s, n->id, NULL, &leases, err) < 0)
		return -1;
	for (size_t i = 0; leases[i]; i++) {
		uint32_t a;

		if (net_addr_parse(leases[i]->address, &a) < 0)
			continue;
		if (!strcmp(leases[i]->container_id, id)) {
			*mine = a;
			continue;
		}
		*used = xrealloc(*used, (*n_used + 1) * sizeof(**used));
		(*used)[(*n_used)++] = a;
	}
	store_lease_list_free(leases);
	return 0;
}

/*
 * Leases an address of network n to container id in one transaction, so that
 * concurrent starts never get the same one: the one it holds already (a
 * restart), else the lowest free one; never one of skip[].
 */
static int lease(struct store *s, const char *id, const struct store_network *n,
		 const struct net_subnet *sn, uint32_t gw, uint32_t want, const uint32_t *skip,
		 size_t n_skip, uint32_t *addr, char endpoint_id[65], struct berth_error **err)
{
	_cleanup_free_ uint32_t *used = xcalloc(n_skip + 1, sizeof(*used));
	size_t n_used = n_skip;
	uint32_t mine;
	char a[16];

	memcpy(used, skip, n_skip * sizeof(*used));
	if (store_begin(s, err) < 0)
		return -1;
	if (leased(s, id, n, &used, &n_used, &mine, err) < 0 ||
	    store_lease_delete(s, n->id, id, err) < 0)
		goto fail;
	if (want) {
		for (size_t i = 0; i < n_used; i++)
			if (used[i] == want) {
				berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
						 "Address already in use");
				goto fail;
			}
		*addr = want;
	} else if (mine && !skipped(mine, skip, n_skip))
		*addr = mine;
	else if (net_ipam_pick(sn, gw, used, n_used, addr) < 0) {
		berth_error_set(err, 0, "no available IPv4 addresses on network %s: %s", n->name,
				n->subnet);
		goto fail;
	}
	net_addr_format(*addr, a, sizeof(a));
	net_random_hex(endpoint_id);
	if (store_lease_add(s,
			    &(struct store_lease){.network_id = n->id,
						  .address = a,
						  .container_id = (char *)id,
						  .endpoint_id = endpoint_id},
			    err) < 0)
		goto fail;
	return store_commit(s, err);
fail:
	store_rollback(s);
	return -1;
}

struct connect_ctx {
	struct store *s;
	const char *id;
	const struct store_network *n;
	struct net_subnet sn;
	uint32_t gw, addr;
	uint32_t want;		  /* an address asked for (--ip), or 0 */
	const unsigned char *mac; /* a MAC asked for (--mac-address), or NULL */
	char endpoint_id[65];
	char veth[16];
};

/*
 * Leases an address and makes its veth pair, the peer in the sandbox. A link
 * name taken (another data root on the same bridge holds the address, or the
 * link of a container that just ended is still going away) means: the next
 * address.
 */
static int lease_and_link(struct connect_ctx *c, struct nl_sock *sk, int bridge, int nsfd,
			  const char *ifname, struct berth_error **err)
{
	uint32_t skip[CONNECT_ATTEMPTS] = {0};
	_cleanup_free_ char *alias = xasprintf("berth %s %s", c->s->runroot, c->id);

	for (size_t tries = 0; tries < CONNECT_ATTEMPTS; tries++) {
		_cleanup_error_ struct berth_error *e = NULL;
		unsigned char mac[6];

		if (lease(c->s, c->id, c->n, &c->sn, c->gw, c->want, skip, tries, &c->addr,
			  c->endpoint_id, err) < 0)
			return -1;
		veth_name(c->addr, c->veth);
		net_mac_of(c->addr, mac);
		if (c->mac)
			memcpy(mac, c->mac, sizeof(mac));
		if (net_nl_veth_add(sk,
				    &(struct net_veth){.name = c->veth,
						       .alias = alias,
						       .master = bridge,
						       .peer_name = ifname,
						       .peer_mac = mac,
						       .peer_netns_fd = nsfd},
				    &e) == 0)
			return 0;
		store_lease_delete(c->s, c->n->id, c->id, NULL);
		if (e->kind != BERTH_ERR_CONFLICT || c->want)
			return net_error_move(err, &e);
		log_debug("link %s exists: %s", c->veth, e->msg);
		skip[tries] = c->addr;
	}
	return berth_error_set(err, 0, "no address of network %s is free on this host", c->n->name);
}

/* The interface up with its address and route, inside the sandbox. */
static int configure_inside(struct connect_ctx *c, int nsfd, const char *ifname, bool default_route,
			    struct berth_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(nsfd, err);
	int idx;

	if (!sk)
		return -1;
	idx = net_nl_link_index(sk, ifname, NULL, err);
	if (idx <= 0)
		return idx < 0 ? -1 : berth_error_set(err, 0, "no %s in the sandbox", ifname);
	if (net_nl_addr_add(sk, idx, c->addr, c->sn.prefix, err) < 0 ||
	    net_nl_link_up(sk, idx, err) < 0 ||
	    (default_route && net_nl_route_default(sk, c->gw, idx, err) < 0))
		return -1;
	return 0;
}

static void fill_endpoint(const struct connect_ctx *c, struct net_endpoint *ep)
{
	unsigned char mac[6];

	*ep = (struct net_endpoint){.prefix_len = c->sn.prefix};
	snprintf(ep->network_id, sizeof(ep->network_id), "%s", c->n->id);
	snprintf(ep->endpoint_id, sizeof(ep->endpoint_id), "%s", c->endpoint_id);
	snprintf(ep->bridge, sizeof(ep->bridge), "%s", c->n->bridge);
	net_addr_format(c->addr, ep->address, sizeof(ep->address));
	net_addr_format(c->gw, ep->gateway, sizeof(ep->gateway));
	net_mac_of(c->addr, mac);
	net_mac_format(c->mac ? c->mac : mac, ep->mac, sizeof(ep->mac));
	snprintf(ep->host_veth, sizeof(ep->host_veth), "%s", c->veth);
}

bool net_address_in(const struct store_network *n, const char *ip)
{
	struct net_subnet sn;
	uint32_t gw, a;

	if (net_subnet_parse(n->subnet, &sn) < 0 || net_addr_parse(n->gateway, &gw) < 0 ||
	    net_addr_parse(ip, &a) < 0)
		return false;
	return net_subnet_contains(&sn, a) && a != gw && a != sn.addr && a != net_subnet_last(&sn);
}

/* --ip and --mac-address, checked as Docker does. */
static int wanted(struct connect_ctx *c, const struct net_connect_opts *o, unsigned char mac[6],
		  struct berth_error **err)
{
	unsigned m[6];

	if (o && o->ip && *o->ip) {
		if (net_addr_parse(o->ip, &c->want) < 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid IPv4 address: %s", o->ip);
		if (!net_subnet_contains(&c->sn, c->want) || c->want == c->gw ||
		    c->want == c->sn.addr || c->want == net_subnet_last(&c->sn))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"Invalid address %s: It does not belong to any of "
						"this network's subnets",
						o->ip);
	}
	if (o && o->mac && *o->mac) {
		if (sscanf(o->mac, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4],
			   &m[5]) != 6)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"%s is not a valid mac address", o->mac);
		for (int i = 0; i < 6; i++)
			mac[i] = (unsigned char)m[i];
		c->mac = mac;
	}
	return 0;
}

int net_connect(struct store *s, const char *id, int nsfd, const struct store_network *n,
		const char *ifname, bool default_route, const struct net_connect_opts *o,
		struct net_endpoint *ep, struct berth_error **err)
{
	struct connect_ctx c = {.s = s, .id = id, .n = n};
	_cleanup_nl_ struct nl_sock *sk = NULL;
	unsigned char mac[6];
	int bridge;

	if (net_subnet_parse(n->subnet, &c.sn) < 0 || net_addr_parse(n->gateway, &c.gw) < 0)
		return berth_error_set(err, 0, "network %s: bad subnet '%s' or gateway '%s'",
				       n->name, n->subnet, n->gateway);
	if (wanted(&c, o, mac, err) < 0)
		return -1;
	sk = net_nl_open(-1, err);
	if (!sk || (bridge = net_bridge_ensure(sk, n, err)) < 0 ||
	    lease_and_link(&c, sk, bridge, nsfd, ifname, err) < 0)
		return berth_error_wrap(err, "connect %.12s to network %s", id, n->name);
	if (configure_inside(&c, nsfd, ifname, default_route, err) < 0) {
		net_nl_link_del(sk, c.veth, NULL);
		store_lease_delete(s, n->id, id, NULL);
		return berth_error_wrap(err, "connect %.12s to network %s", id, n->name);
	}
	if (ep)
		fill_endpoint(&c, ep);
	return 0;
}

void net_container_release(struct store *s, const char *id)
{
	_cleanup_error_ struct berth_error *e = NULL;

	if (store_lease_delete(s, NULL, id, &e) < 0)
		log_warn("cannot free the addresses of %.12s: %s", id, e->msg);
}

static int endpoint_of(struct store *s, const struct store_lease *l, struct net_endpoint *ep,
		       struct berth_error **err)
{
	_cleanup_(store_network_freep) struct store_network *n =
		store_network_find(s, l->network_id, err);
	struct connect_ctx c = {.n = n};

	if (!n || net_subnet_parse(n->subnet, &c.sn) < 0 || net_addr_parse(n->gateway, &c.gw) < 0 ||
	    net_addr_parse(l->address, &c.addr) < 0)
		return n ? berth_error_set(err, 0, "network %s: bad address", n->name) : -1;
	snprintf(c.endpoint_id, sizeof(c.endpoint_id), "%s", l->endpoint_id);
	veth_name(c.addr, c.veth);
	fill_endpoint(&c, ep);
	return 0;
}

int net_container_endpoints(struct store *s, const char *id, struct net_endpoint **eps, size_t *n,
			    struct berth_error **err)
{
	struct store_lease **leases = NULL;
	size_t k = 0;

	*eps = NULL;
	*n = 0;
	if (store_lease_list(s, NULL, id, &leases, err) < 0)
		return -1;
	for (size_t i = 0; leases[i]; i++) {
		*eps = xrealloc(*eps, (k + 1) * sizeof(**eps));
		if (endpoint_of(s, leases[i], &(*eps)[k], err) < 0) {
			store_lease_list_free(leases);
			free(*eps);
			*eps = NULL;
			return -1;
		}
		k++;
	}
	store_lease_list_free(leases);
	*n = k;
	return 0;
}

int net_container_address(struct store *s, const char *id, char ip[46], char bridge[16],
			  struct berth_error **err)
{
	_cleanup_free_ struct net_endpoint *eps = NULL;
	size_t n;

	if (net_container_endpoints(s, id, &eps, &n, err) < 0)
		return -1;
	if (n == 0)
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
					"container %.12s has no address", id);
	snprintf(ip, 46, "%s", eps[0].address);
	snprintf(bridge, 16, "%s", eps[0].bridge);
	return 0;
}
