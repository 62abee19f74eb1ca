#define LOG_DOMAIN "net"
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "net/netlink.h"
#include "util/log.h"
#include "util/strutil.h"

static void link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
#define _cleanup_link_ _cleanup_(link_putp)

static void addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
#define _cleanup_nladdr_ _cleanup_(addr_putp)

static void cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}
#define _cleanup_cache_ _cleanup_(cache_freep)

static int nl_fail(struct berth_error **err, int nlerr, const char *fmt, const char *arg)
{
	enum berth_error_kind kind = nlerr == -NLE_EXIST ? BERTH_ERR_CONFLICT : BERTH_ERR_GENERIC;

	return berth_error_setk(err, kind, 0, "%s%s%s: %s", fmt, arg ? " " : "", arg ? arg : "",
				nl_geterror(nlerr));
}

static struct nl_sock *open_here(struct berth_error **err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk) {
		berth_error_set(err, ENOMEM, "netlink socket");
		return NULL;
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		nl_fail(err, r, "connect to rtnetlink", NULL);
		return NULL;
	}
	fcntl(nl_socket_get_fd(sk), F_SETFD, FD_CLOEXEC);
	return sk;
}

struct nl_sock *net_nl_open(int netns_fd, struct berth_error **err)
{
	_cleanup_close_ int self = -EBADF;
	struct nl_sock *sk;

	if (netns_fd < 0)
		return open_here(err);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		berth_error_set(err, errno, "open '/proc/thread-self/ns/net'");
		return NULL;
	}
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		berth_error_set(err, errno, "enter the container's network namespace");
		return NULL;
	}
	sk = open_here(err);
	if (setns(self, CLONE_NEWNET) < 0)
		BUG("cannot return to the host's network namespace: %s", strerror(errno));
	return sk;
}

void net_nl_close(struct nl_sock *sk)
{
	if (sk)
		nl_socket_free(sk);
}

int net_nl_link_index(struct nl_sock *sk, const char *name, unsigned *flags,
		      struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &link);

	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	if (r < 0)
		return nl_fail(err, r, "look up link", name);
	if (flags)
		*flags = rtnl_link_get_flags(link);
	return rtnl_link_get_ifindex(link);
}

static struct nl_addr *mac_addr(const unsigned char mac[6])
{
	return nl_addr_build(AF_LLC, mac, 6);
}

int net_nl_bridge_add(struct nl_sock *sk, const char *name, const unsigned char mac[6],
		      struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_bridge_alloc();
	_cleanup_nladdr_ struct nl_addr *a = mac_addr(mac);
	int r;

	if (!link || !a)
		return berth_error_set(err, ENOMEM, "create bridge '%s'", name);
	rtnl_link_set_name(link, name);
	/* a MAC of its own, or the bridge takes its ports' and changes with them */
	rtnl_link_set_addr(link, a);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	return r < 0 ? nl_fail(err, r, "create bridge", name) : 0;
}

int net_nl_link_up(struct nl_sock *sk, int ifindex, struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *orig = rtnl_link_alloc();
	_cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!orig || !change)
		return berth_error_set(err, ENOMEM, "set link up");
	rtnl_link_set_ifindex(orig, ifindex);
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, orig, change, 0);
	return r < 0 ? nl_fail(err, r, "set link up", NULL) : 0;
}

int net_nl_link_del(struct nl_sock *sk, const char *name, struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_alloc();
	int r;

	if (!link)
		return berth_error_set(err, ENOMEM, "delete link '%s'", name);
	rtnl_link_set_name(link, name);
	r = rtnl_link_delete(sk, link);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	return r < 0 ? nl_fail(err, r, "delete link", name) : 0;
}

static int set_alias(struct nl_sock *sk, const char *name, const char *alias,
		     struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *orig = rtnl_link_alloc();
	_cleanup_link_ struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (!orig || !change)
		return berth_error_set(err, ENOMEM, "set the alias of '%s'", name);
	rtnl_link_set_name(orig, name);
	rtnl_link_set_name(change, name); /* the link is found by its name */
	rtnl_link_set_ifalias(change, alias);
	r = rtnl_link_change(sk, orig, change, 0);
	return r < 0 ? nl_fail(err, r, "set the alias of", name) : 0;
}

int net_nl_veth_add(struct nl_sock *sk, const struct net_veth *v, struct berth_error **err)
{
	_cleanup_link_ struct rtnl_link *link = rtnl_link_veth_alloc();
	_cleanup_link_ struct rtnl_link *peer = link ? rtnl_link_veth_get_peer(link) : NULL;
	_cleanup_nladdr_ struct nl_addr *mac = mac_addr(v->peer_mac);
	int r;

	if (!link || !peer || !mac)
		return berth_error_set(err, ENOMEM, "create veth '%s'", v->name);
	rtnl_link_set_name(link, v->name);
	rtnl_link_set_master(link, v->master);
	rtnl_link_set_flags(link, IFF_UP);
	rtnl_link_set_name(peer, v->peer_name);
	rtnl_link_set_addr(peer, mac);
	/* not the peer's IFF_UP: a veth cannot open before its pair is complete */
	rtnl_link_set_ns_fd(peer, v->peer_netns_fd);
	r = rtnl_link_add(sk, link, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "create veth", v->name);
	/* the kernel takes an alias on a link that exists only */
	return v->alias ? set_alias(sk, v->name, v->alias, err) : 0;
}

static struct nl_addr *ipv4(uint32_t a, int prefix)
{
	uint32_t be = htonl(a);
	struct nl_addr *n = nl_addr_build(AF_INET, &be, 4);

	if (n)
		nl_addr_set_prefixlen(n, prefix);
	return n;
}

int net_nl_addr_add(struct nl_sock *sk, int ifindex, uint32_t addr, int prefix,
		    struct berth_error **err)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct net_subnet sn = {addr & net_subnet_mask(prefix), prefix};
	_cleanup_nladdr_ struct nl_addr *local = ipv4(addr, prefix);
	_cleanup_nladdr_ struct nl_addr *brd = ipv4(net_subnet_last(&sn), 32);
	int r;

	if (!ra || !local || !brd) {
		if (ra)
			rtnl_addr_put(ra);
		return berth_error_set(err, ENOMEM, "add address");
	}
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	rtnl_addr_set_local(ra, local);
	rtnl_addr_set_prefixlen(ra, prefix);
	if (prefix < 31)
		rtnl_addr_set_broadcast(ra, brd);
	r = rtnl_addr_add(sk, ra, 0);
	rtnl_addr_put(ra);
	if (r == -NLE_EXIST)
		return 0;
	return r < 0 ? nl_fail(err, r, "add address", NULL) : 0;
}

static uint32_t addr_value(struct nl_addr *a)
{
	uint32_t be;

	if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != 4)
		return 0;
	memcpy(&be, nl_addr_get_binary_addr(a), 4);
	return ntohl(be);
}

struct subnet_list {
	struct net_subnet *v;
	size_t n;
	int ifindex;
};

static void add_subnet(struct subnet_list *l, uint32_t a, int prefix)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = (struct net_subnet){a, prefix};
}

static void collect_addr(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)obj;
	struct subnet_list *l = arg;

	if (rtnl_addr_get_ifindex(ra) != l->ifindex || rtnl_addr_get_family(ra) != AF_INET)
		return;
	add_subnet(l, addr_value(rtnl_addr_get_local(ra)), rtnl_addr_get_prefixlen(ra));
}

int net_nl_addrs(struct nl_sock *sk, int ifindex, struct net_subnet **out, size_t *n,
		 struct berth_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct subnet_list l = {.ifindex = ifindex};
	int r = rtnl_addr_alloc_cache(sk, &cache);

	if (r < 0)
		return nl_fail(err, r, "list addresses", NULL);
	nl_cache_foreach(cache, collect_addr, &l);
	*out = l.v;
	*n = l.n;
	return 0;
}

int net_nl_route_default(struct nl_sock *sk, uint32_t gateway, int ifindex,
			 struct berth_error **err)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	_cleanup_nladdr_ struct nl_addr *dst = ipv4(0, 0);
	_cleanup_nladdr_ struct nl_addr *gw = ipv4(gateway, 32);
	int r;

	if (!rt || !nh || !dst || !gw) {
		if (rt)
			rtnl_route_put(rt);
		if (nh)
			rtnl_route_nh_free(nh);
		return berth_error_set(err, ENOMEM, "add the default route");
	}
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(rt, nh); /* rt owns nh now */
	r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_route_put(rt);
	return r < 0 ? nl_fail(err, r, "add the default route", NULL) : 0;
}

static void collect_route(struct nl_object *obj, void *arg)
{
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct subnet_list *l = arg;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_table(rt) != RT_TABLE_MAIN || rtnl_route_get_family(rt) != AF_INET ||
	    !dst || nl_addr_get_prefixlen(dst) == 0)
		return;
	nh = rtnl_route_get_nnexthops(rt) > 0 ? rtnl_route_nexthop_n(rt, 0) : NULL;
	if (l->ifindex > 0 && nh && rtnl_route_nh_get_ifindex(nh) == l->ifindex)
		return;
	add_subnet(l, addr_value(dst) & net_subnet_mask((int)nl_addr_get_prefixlen(dst)),
		   (int)nl_addr_get_prefixlen(dst));
}

int net_nl_routes(struct nl_sock *sk, int skip_ifindex, struct net_subnet **out, size_t *n,
		  struct berth_error **err)
{
	_cleanup_cache_ struct nl_cache *cache = NULL;
	struct subnet_list l = {.ifindex = skip_ifindex};
	int r = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);

	if (r < 0)
		return nl_fail(err, r, "list routes", NULL);
	nl_cache_foreach(cache, collect_route, &l);
	*out = l.v;
	*n = l.n;
	return 0;
}
