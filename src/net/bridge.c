/* The default bridge network: its record, its Linux bridge, forwarding and masquerade. */
#define LOG_DOMAIN "net"
#include <fcntl.h>
#include <linux/if.h>
#include <sys/random.h>

#include "net/internal.h"
#include "net/net.h"
#include "net/netlink.h"
#include "net/nft.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/timeutil.h"

void net_random_hex(char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		BUG("cannot read random bytes");
	for (size_t i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[64] = '\0';
}

/* BERTH_NETWORK_POOL, else NET_POOL_FILE, else Docker's defaults. */
int net_load_pools(struct net_pool **pools, size_t *n, struct berth_error **err)
{
	const char *env = getenv("BERTH_NETWORK_POOL");
	_cleanup_free_ char *text = NULL;
	const struct net_pool *def;

	if (env && *env)
		return net_pool_parse(env, pools, n, err) < 0
			       ? berth_error_wrap(err, "BERTH_NETWORK_POOL")
			       : 0;
	text = fs_read_file(NET_POOL_FILE, NULL, NULL);
	if (text)
		return net_pool_parse(text, pools, n, err) < 0
			       ? berth_error_wrap(err, "%s", NET_POOL_FILE)
			       : 0;
	def = net_pool_default(n);
	*pools = xmalloc(*n * sizeof(**pools));
	memcpy(*pools, def, *n * sizeof(**pools));
	return 0;
}

/*
 * The subnet of a new bridge network: the address berth0 already has (another
 * data root made it), else the first pool subnet no host route overlaps.
 */
static int choose_subnet(const char *bridge, struct net_subnet *sn, uint32_t *gateway,
			 struct berth_error **err)
{
	_cleanup_nl_ struct nl_sock *sk = net_nl_open(-1, err);
	_cleanup_free_ struct net_subnet *have = NULL, *routes = NULL;
	_cleanup_free_ struct net_pool *pools = NULL;
	size_t n_have = 0, n_routes = 0, n_pools = 0;
	int idx;

	if (!sk || (idx = net_nl_link_index(sk, bridge, NULL, err)) < 0)
		return -1;
	if (idx > 0 && net_nl_addrs(sk, idx, &have, &n_have, err) < 0)
		return -1;
	if (n_have > 0) {
		*gateway = have[0].addr;
		*sn = (struct net_subnet){have[0].addr & net_subnet_mask(have[0].prefix),
					  have[0].prefix};
		return 0;
	}
	if (net_load_pools(&pools, &n_pools, err) < 0 ||
	    net_nl_routes(sk, idx, &routes, &n_routes, err) < 0)
		return -1;
	if (net_pool_pick(pools, n_pools, routes, n_routes, sn) < 0)
		return berth_error_set(err, 0,
				       "could not find an available, non-overlapping IPv4 address "
				       "pool among the defaults to assign to the network");
	*gateway = sn->addr + 1;
	return 0;
}

struct store_network *net_default_network(struct store *s, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	struct store_network *n = store_network_find(s, NET_DEFAULT_NAME, &e);
	struct net_subnet sn;
	uint32_t gw = 0;
	char id[65], subnet[20], gateway[16];
	_cleanup_free_ char *options = NULL;

	if (n)
		return n;
	if (e->kind != BERTH_ERR_NOT_FOUND) {
		net_error_move(err, &e);
		return NULL;
	}
	if (choose_subnet(NET_DEFAULT_BRIDGE, &sn, &gw, err) < 0)
		return NULL;
	net_random_hex(id);
	net_subnet_format(&sn, subnet, sizeof(subnet));
	net_addr_format(gw, gateway, sizeof(gateway));
	options = xasprintf("{\"com.docker.network.bridge.default_bridge\":\"true\","
			    "\"com.docker.network.bridge.enable_icc\":\"true\","
			    "\"com.docker.network.bridge.enable_ip_masquerade\":\"true\","
			    "\"com.docker.network.bridge.host_binding_ipv4\":\"0.0.0.0\","
			    "\"com.docker.network.bridge.name\":\"%s\","
			    "\"com.docker.network.driver.mtu\":\"1500\"}",
			    NET_DEFAULT_BRIDGE);
	n = &(struct store_network){.id = id,
				    .name = NET_DEFAULT_NAME,
				    .driver = "bridge",
				    .bridge = NET_DEFAULT_BRIDGE,
				    .subnet = subnet,
				    .gateway = gateway,
				    .created = time_now_ns(),
				    .options = options};
	/* Another berth may have made it meanwhile: then its record is the one. */
	if (store_network_add(s, n, &e) < 0 && e->kind != BERTH_ERR_CONFLICT) {
		net_error_move(err, &e);
		return NULL;
	}
	return store_network_find(s, NET_DEFAULT_NAME, err);
}

/*
 * Masquerade of the subnet's traffic that leaves by another link than the
 * bridge, in berth's own table: a chain and a set of subnets per bridge, so
 * that this is idempotent and data roots sharing a bridge add to the set.
 */
static int masquerade(const char *bridge, const char *subnet, struct berth_error **err)
{
	_cleanup_free_ char *cmds = xasprintf(
		"add table ip " NET_NFT_TABLE "\n"
		"add chain ip " NET_NFT_TABLE " postrouting-%1$s { type nat hook postrouting"
		" priority srcnat; policy accept; }\n"
		"add set ip " NET_NFT_TABLE " masq-%1$s { type ipv4_addr; flags interval; }\n"
		"flush chain ip " NET_NFT_TABLE " postrouting-%1$s\n"
		"add rule ip " NET_NFT_TABLE " postrouting-%1$s ip saddr @masq-%1$s"
		" oifname != \"%1$s\" masquerade\n"
		"add element ip " NET_NFT_TABLE " masq-%1$s { %2$s }\n",
		bridge, subnet);

	return net_nft_run(cmds, NULL, err) < 0 ? berth_error_wrap(err, "masquerade '%s'", subnet)
						: 0;
}

static int enable_forwarding(struct berth_error **err)
{
	static const char knob[] = "/proc/sys/net/ipv4/ip_forward";
	_cleanup_free_ char *v = fs_read_file(knob, NULL, NULL);

	if (v && v[0] == '1')
		return 0;
	return fs_write_string(knob, "1", err);
}

/*
 * Forwarding and masquerade, for traffic that leaves the host. Without them
 * containers still reach the host and each other: a warning, not a failure
 * (which no later start would retry, the bridge being there by then).
 */
static void outbound(const struct store_network *n)
{
	_cleanup_error_ struct berth_error *e = NULL;

	if (enable_forwarding(&e) < 0 || (!n->internal && masquerade(n->bridge, n->subnet, &e) < 0))
		log_warn("network %s: containers cannot reach beyond the host: %s", n->name,
			 e->msg);
	berth_error_free(e);
	e = NULL;
	if (net_isolation_add(n, &e) < 0)
		log_warn("network %s: not isolated from other networks: %s", n->name, e->msg);
}

static bool has_address(const struct net_subnet *v, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].addr == a)
			return true;
	return false;
}

int net_bridge_ensure(struct nl_sock *sk, const struct store_network *n, struct berth_error **err)
{
	struct net_subnet sn;
	uint32_t gw;
	unsigned flags = 0;
	_cleanup_free_ struct net_subnet *have = NULL;
	size_t n_have = 0;
	bool changed = false;
	int idx;

	if (net_subnet_parse(n->subnet, &sn) < 0 || net_addr_parse(n->gateway, &gw) < 0)
		return berth_error_set(err, 0, "network %s: bad subnet '%s' or gateway '%s'",
				       n->name, n->subnet, n->gateway);
	idx = net_nl_link_index(sk, n->bridge, &flags, err);
	if (idx == 0) {
		unsigned char mac[6];
		_cleanup_error_ struct berth_error *e = NULL;

		if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
			BUG("cannot read random bytes");
		mac[0] = (unsigned char)((mac[0] & 0xfe) | 0x02); /* unicast, local */
		/* another berth may be making it at the same moment */
		if (net_nl_bridge_add(sk, n->bridge, mac, &e) < 0 && e->kind != BERTH_ERR_CONFLICT)
			return net_error_move(err, &e);
		idx = net_nl_link_index(sk, n->bridge, &flags, err);
		changed = true;
	}
	if (idx <= 0)
		return idx < 0 ? -1 : berth_error_set(err, 0, "bridge '%s' vanished", n->bridge);
	if (net_nl_addrs(sk, idx, &have, &n_have, err) < 0)
		return -1;
	if (!has_address(have, n_have, gw)) {
		if (net_nl_addr_add(sk, idx, gw, sn.prefix, err) < 0)
			return -1;
		changed = true;
	}
	if (!(flags & IFF_UP) && net_nl_link_up(sk, idx, err) < 0)
		return -1;
	if (changed)
		outbound(n);
	return idx;
}
