/*
 * A container's networking from HostConfig.NetworkMode, as Docker's: the
 * default bridge network ("default", "bridge"), "none", "host",
 * "container:NAME" (NAME's network namespace, hosts and hostname) or the name
 * of a network (user networks: net/ makes them, they attach as the default).
 */
#define LOG_DOMAIN "container"
#include <arpa/inet.h>
#include <fcntl.h>

#include "container/container.h"
#include "net/net.h"
#include "net/ports.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strutil.h"

enum net_mode {
	NET_MODE_DEFAULT,   /* the default bridge network */
	NET_MODE_NONE,	    /* loopback only */
	NET_MODE_HOST,	    /* the host's namespace */
	NET_MODE_CONTAINER, /* another container's namespace; *arg its name */
	NET_MODE_NETWORK,   /* a network by name or ID; *arg that */
};

static enum net_mode net_mode(const json_t *hc, const char **arg)
{
	const char *mode = json_get_str(hc, "NetworkMode");

	*arg = NULL;
	if (!mode || !*mode || !strcmp(mode, "default") || !strcmp(mode, NET_DEFAULT_NAME))
		return NET_MODE_DEFAULT;
	if (!strcmp(mode, "none"))
		return NET_MODE_NONE;
	if (!strcmp(mode, "host"))
		return NET_MODE_HOST;
	*arg = mode;
	if (str_has_prefix(mode, "container:")) {
		*arg = mode + strlen("container:");
		return NET_MODE_CONTAINER;
	}
	return NET_MODE_NETWORK;
}

static bool attaches(enum net_mode m)
{
	return m == NET_MODE_DEFAULT || m == NET_MODE_NETWORK;
}

/* container:NAME: NAME must exist; the container takes its hostname (Docker's rule). */
static int check_container_mode(struct store *s, json_t *cfg, const char *name,
				struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *other = NULL;
	json_auto_t *config = NULL;
	const char *hostname = json_get_str(cfg, "Hostname");

	if (!*name)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid network mode: container:");
	if (hostname && *hostname)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"conflicting options: hostname and the network mode");
	other = container_find(s, name, err);
	if (!other)
		return -1;
	config = json_parse(other->config, strlen(other->config), "container config", err);
	if (!config)
		return -1;
	hostname = json_get_str(json_object_get(config, "Config"), "Hostname");
	json_object_set_new(cfg, "Hostname", json_string(hostname ? hostname : ""));
	return 0;
}

/* --ip: an address of the network's subnet (Docker checks it at create). */
static int check_ip(const json_t *config, const char *arg, const struct store_network *n,
		    struct berth_error **err)
{
	const json_t *eps =
		json_object_get(json_object_get(config, "NetworkingConfig"), "EndpointsConfig");
	const char *ip = json_get_str(json_object_get(json_object_get(eps, arg), "IPAMConfig"),
				      "IPv4Address");

	if (!ip || net_address_in(n, ip))
		return 0;
	return berth_error_setk(err, BERTH_ERR_INVALID, 0,
				"Invalid address %s: It does not belong to any of this network's "
				"subnets",
				ip);
}

int container_net_check(struct store *s, json_t *config, struct berth_error **err)
{
	json_t *cfg = json_object_get(config, "Config");
	const char *arg;
	_cleanup_(store_network_freep) struct store_network *n = NULL;

	if (container_links_check(s, json_object_get(config, "HostConfig"), err) < 0)
		return -1;
	switch (net_mode(json_object_get(config, "HostConfig"), &arg)) {
	case NET_MODE_CONTAINER:
		return check_container_mode(s, cfg, arg, err);
	case NET_MODE_NETWORK:
		/* user networks: their records are net/'s (network create) */
		n = store_network_find(s, arg, err);
		return n ? check_ip(config, arg, n, err) : -1;
	default:
		return 0;
	}
}

/*
 * The container's /etc/hosts with its own line, "ADDRESS\tHOSTNAME" last (as
 * Docker writes it), instead of the line of an earlier start. Written in
 * place: containers that joined its network have it bound.
 */
static int write_hosts(struct store *s, const char *id, const json_t *cfg, const char *address,
		       struct berth_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	_cleanup_free_ char *path = xasprintf("%s/hosts", dir);
	_cleanup_free_ char *text = fs_read_file(path, NULL, err);
	_cleanup_free_ char *own = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *host = json_get_str(cfg, "Hostname"), *domain = json_get_str(cfg, "Domainname");
	struct strbuf sb = STRBUF_INIT;
	int r = 0;

	if (!text)
		return -1;
	own = domain && *domain ? xasprintf("\t%s.%s %s", host, domain, host)
				: xasprintf("\t%s", host ? host : "");
	for (char *line = text, *next; *line; line = next) {
		size_t len = strcspn(line, "\n");
		size_t tab = strcspn(line, "\t");

		next = line + len + (line[len] == '\n');
		/* our line of an earlier start: an address, then exactly our names */
		if (tab < len && len - tab == strlen(own) && !strncmp(line + tab, own, len - tab) &&
		    strncmp(line, "127.", 4) && strncmp(line, "::1", 3))
			continue;
		strbuf_add(&sb, line, (size_t)(next - line));
	}
	strbuf_addf(&sb, "%s%s\n", address, own);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || fs_write_all(fd, sb.buf, sb.len) < 0)
		r = berth_error_set(err, errno, "write '%s'", path);
	strbuf_release(&sb);
	return r;
}

int container_net_sandbox(const json_t *config, int *netns_fd, struct berth_error **err)
{
	const char *arg;

	*netns_fd = -1;
	if (!attaches(net_mode(json_object_get(config, "HostConfig"), &arg)))
		return 0;
	*netns_fd = net_sandbox_create(err);
	return *netns_fd < 0 ? -1 : 0;
}

/*
 * The container's published ports (net/ports.h), once its address is known:
 * its proxy is the monitor's child, and dies with it. A restart replaces what
 * the last start published.
 */
static int publish_ports(struct store *s, const char *id, const json_t *config,
			 const struct net_endpoint *ep, struct berth_error **err)
{
	_cleanup_free_ char *rundir = xasprintf("%s/%s", s->runroot, id);
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	struct net_ports_target t = {
		.id = id, .rundir = rundir, .bridge = ep->bridge, .die_with_parent = true};

	if (inet_pton(AF_INET, ep->address, &t.addr) != 1)
		return berth_error_set(err, 0, "bad address '%s'", ep->address);
	if (net_ports_unpublish(id, rundir, 0, err) < 0)
		return -1;
	if (net_ports_publish(&t, config, err) >= 0)
		return 0;
	/* Docker's words: the endpoint is the container's, by name */
	c = store_container_find(s, id, NULL);
	return berth_error_wrap(
		err, "driver failed programming external connectivity on endpoint %s (%s)",
		c ? c->name : id, ep->endpoint_id);
}

/* The lines of its links in the container's /etc/hosts. */
static int link_hosts(struct store *s, const char *id, const json_t *hc, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_free_ char *dir = NULL, *path = NULL;

	if (!json_array_size(json_object_get(hc, "Links")))
		return 0;
	c = store_container_find(s, id, err);
	if (!c)
		return -1;
	dir = container_dir(s, id);
	path = xasprintf("%s/hosts", dir);
	return container_links_hosts(s, c->name, hc, path, NULL, err);
}

/* In place, as write_hosts(): the file is bound into the container. */
static int rewrite_file(const char *path, const char *text, struct berth_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);

	if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
		return berth_error_set(err, errno, "write '%s'", path);
	return 0;
}

/*
 * A container on user network n: its names in the network's DNS (started
 * with the first container), which its resolv.conf points to.
 */
static int use_network_dns(struct store *s, const char *id, const struct store_network *n,
			   struct berth_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	_cleanup_free_ char *path = xasprintf("%s/resolv.conf", dir);
	_cleanup_free_ char *resolv = net_dns_resolv_conf(n);

	if (rewrite_file(path, resolv, err) < 0)
		return -1;
	return net_dns_update(s, n, NULL, err);
}

/* The container's names out of the DNS of the user networks where it is (a network's last stops it). */
static void leave_network_dns(struct store *s, const char *id)
{
	struct store_network **list = NULL;
	_cleanup_error_ struct berth_error *e = NULL;

	if (store_network_list(s, &list, &e) < 0) {
		log_warn("cannot update the DNS of networks: %s", e->msg);
		return;
	}
	for (size_t i = 0; list[i]; i++) {
		_cleanup_free_ char *hosts =
			xasprintf("%s/networks/%s/hosts", s->runroot, list[i]->id);

		if (access(hosts, F_OK) == 0 && net_dns_update(s, list[i], id, &e) < 0) {
			log_warn("%s", e->msg);
			berth_error_free(e);
			e = NULL;
		}
	}
	store_network_list_free(list);
}

static json_t *endpoints_config(const json_t *config)
{
	return json_object_get(json_object_get(config, "NetworkingConfig"), "EndpointsConfig");
}

/* eth<N>: the container's next interface, N the addresses it holds. */
static void next_ifname(struct store *s, const char *id, char ifname[16])
{
	struct store_lease **leases = NULL;
	size_t k = 0;

	if (store_lease_list(s, NULL, id, &leases, NULL) == 0)
		while (leases[k])
			k++;
	store_lease_list_free(leases);
	snprintf(ifname, 16, "eth%u", (unsigned)(k % 1000));
}

/* --ip (user networks: NetworkingConfig) and --mac-address (Config.MacAddress) of the first network. */
static const struct net_connect_opts *connect_opts(const json_t *config, const char *net,
						   struct net_connect_opts *o)
{
	const json_t *ep = net ? json_object_get(endpoints_config(config), net) : NULL;

	o->ip = json_get_str(json_object_get(ep, "IPAMConfig"), "IPv4Address");
	o->mac = json_get_str(json_object_get(config, "Config"), "MacAddress");
	return o;
}

/* Connects the sandbox to one more network (network connect), its DNS told. */
static int connect_more(struct store *s, const char *id, int netns_fd,
			const struct store_network *n, struct berth_error **err)
{
	char ifname[16];

	next_ifname(s, id, ifname);
	if (net_connect(s, id, netns_fd, n, ifname, false, NULL, NULL, err) < 0)
		return -1;
	return net_dns_update(s, n, NULL, err);
}

/* The networks of NetworkingConfig but the first one (primary: its name, and as given). */
static int connect_others(struct store *s, const char *id, const json_t *config, int netns_fd,
			  const struct store_network *primary, const char *given,
			  struct berth_error **err)
{
	const char *key;
	json_t *v;

	json_object_foreach(endpoints_config(config), key, v)
	{
		_cleanup_(store_network_freep) struct store_network *n = NULL;

		if (!strcmp(key, primary->name) || (given && !strcmp(key, given)))
			continue;
		n = store_network_find(s, key, err);
		if (!n || connect_more(s, id, netns_fd, n, err) < 0)
			return -1;
	}
	return 0;
}

int container_net_up(struct store *s, const char *id, const json_t *config, int netns_fd,
		     struct berth_error **err)
{
	const json_t *hc = json_object_get(config, "HostConfig");
	_cleanup_(store_network_freep) struct store_network *n = NULL;
	struct net_endpoint ep;
	struct net_connect_opts o;
	const char *arg;
	enum net_mode m = net_mode(hc, &arg);

	if (!attaches(m))
		return 0;
	n = m == NET_MODE_DEFAULT ? net_default_network(s, err) : store_network_find(s, arg, err);
	if (!n || net_connect(s, id, netns_fd, n, "eth0", true, connect_opts(config, arg, &o), &ep,
			      err) < 0)
		return -1;
	if (write_hosts(s, id, json_object_get(config, "Config"), ep.address, err) < 0 ||
	    link_hosts(s, id, hc, err) < 0 ||
	    (m == NET_MODE_NETWORK && use_network_dns(s, id, n, err) < 0) ||
	    connect_others(s, id, config, netns_fd, n, arg, err) < 0 ||
	    publish_ports(s, id, config, &ep, err) < 0) {
		net_container_release(s, id);
		return -1;
	}
	container_links_refresh(s, id);
	return 0;
}

void container_net_down(struct store *s, const char *id)
{
	_cleanup_free_ char *rundir = xasprintf("%s/%s", s->runroot, id);
	_cleanup_error_ struct berth_error *e = NULL;

	/*
	 * The container's address went with its state (store.h), its sandbox and
	 * links go with its processes; its published ports go here.
	 */
	if (net_ports_unpublish(id, rundir, 0, &e) < 0)
		log_warn("cannot unpublish the ports of %.12s: %s", id, e->msg);
	leave_network_dns(s, id);
}

int container_net_spec(struct store *s, const char *id, const json_t *hc, struct runtime_spec *spec,
		       char **files_dir, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *other = NULL;
	const char *arg;
	enum net_mode m = net_mode(hc, &arg);

	*files_dir = container_dir(s, id);
	if (json_array_size(json_object_get(hc, "Links"))) {
		other = store_container_find(s, id, err);
		if (!other || container_links_env(s, other->name, hc, &spec->env, err) < 0)
			return -1;
		store_container_free(steal_ptr(&other));
	}
	spec->net = m == NET_MODE_HOST	 ? RUNTIME_NET_HOST
		    : m == NET_MODE_NONE ? RUNTIME_NET_NONE
					 : RUNTIME_NET_JOIN;
	/* attached: the monitor makes the sandbox at each start and sets its path */
	if (m != NET_MODE_CONTAINER)
		return 0;
	other = container_find(s, arg, err);
	if (!other)
		return -1;
	/* not running: the start fails to open it (container_start says why first) */
	spec->netns_path = xasprintf("/proc/%d/ns/net", (int)other->pid);
	free(*files_dir);
	*files_dir = container_dir(s, other->id);
	return 0;
}

int container_net_check_start(struct store *s, const json_t *hc, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *other = NULL;
	const char *arg;

	if (net_mode(hc, &arg) != NET_MODE_CONTAINER)
		return 0;
	other = container_find(s, arg, err);
	if (!other)
		return -1;
	if (other->state != STORE_CONTAINER_RUNNING && other->state != STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"cannot join network of a non running container: %s",
					other->id);
	return 0;
}

/* One entry of NetworkSettings.Networks; ep NULL: the container holds no address there. */
static json_t *endpoint_json(const char *network_id, const struct net_endpoint *ep)
{
	return json_pack("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}",
			 "IPAMConfig", "Links", "Aliases", "NetworkID", network_id, "EndpointID",
			 ep ? ep->endpoint_id : "", "Gateway", ep ? ep->gateway : "", "IPAddress",
			 ep ? ep->address : "", "IPPrefixLen", ep ? ep->prefix_len : 0,
			 "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0,
			 "MacAddress", ep ? ep->mac : "", "DriverOpts");
}

/* --mac-address (Config.MacAddress): the MAC of the container's first network. */
static void own_mac(const struct store_container *c, struct net_endpoint *ep)
{
	json_auto_t *config = c->config ? json_loads(c->config, 0, NULL) : NULL;
	const char *mac = json_get_str(json_object_get(config, "Config"), "MacAddress");

	if (mac && *mac)
		snprintf(ep->mac, sizeof(ep->mac), "%s", mac);
}

/* The network a container attaches to and its endpoint there, if it holds an address. */
static json_t *attached_networks(struct store *s, const struct store_container *c, enum net_mode m,
				 const char *arg, struct net_endpoint *top)
{
	_cleanup_(store_network_freep) struct store_network *n =
		store_network_find(s, m == NET_MODE_DEFAULT ? NET_DEFAULT_NAME : arg, NULL);
	_cleanup_free_ struct net_endpoint *eps = NULL;
	struct net_endpoint *ep = NULL;
	json_t *entry;
	size_t k = 0;

	if (n && container_is_running(c) && net_container_endpoints(s, c->id, &eps, &k, NULL) < 0)
		k = 0;
	for (size_t i = 0; i < k && !ep; i++)
		if (!strcmp(eps[i].network_id, n->id))
			ep = &eps[i];
	if (ep)
		own_mac(c, ep);
	/* Docker fills the top-level fields for the default bridge network only */
	if (ep && m == NET_MODE_DEFAULT)
		*top = *ep;
	entry = endpoint_json(n ? n->id : "", ep);
	if (arg) {
		/* --network-alias */
		json_auto_t *config = c->config ? json_loads(c->config, 0, NULL) : NULL;
		json_t *aliases =
			json_object_get(json_object_get(endpoints_config(config), arg), "Aliases");

		if (aliases)
			json_object_set(entry, "Aliases", aliases);
	}
	return json_pack("{s:o}", n ? n->name : arg ? arg : NET_DEFAULT_NAME, entry);
}

/* The networks network connect added, in inspect's Networks too. */
static void connected_networks(struct store *s, const struct store_container *c, json_t *networks)
{
	json_auto_t *config = c->config ? json_loads(c->config, 0, NULL) : NULL;
	_cleanup_free_ struct net_endpoint *eps = NULL;
	size_t k = 0;
	const char *key;
	json_t *v;

	if (container_is_running(c) && net_container_endpoints(s, c->id, &eps, &k, NULL) < 0)
		k = 0;
	json_object_foreach(endpoints_config(config), key, v)
	{
		_cleanup_(store_network_freep) struct store_network *n = NULL;
		const struct net_endpoint *ep = NULL;
		json_t *entry;

		if (json_object_get(networks, key) || !(n = store_network_find(s, key, NULL)))
			continue;
		for (size_t i = 0; i < k && !ep; i++)
			if (!strcmp(eps[i].network_id, n->id))
				ep = &eps[i];
		entry = endpoint_json(n->id, ep);
		json_object_set(entry, "Aliases", json_object_get(v, "Aliases"));
		json_object_set_new(networks, n->name, entry);
	}
}

json_t *container_net_settings(struct store *s, const struct store_container *c, const json_t *hc)
{
	_cleanup_free_ char *sandbox = NULL, *rundir = NULL;
	char sandbox_id[SHA256_DIGEST_LEN] = "";
	struct net_endpoint top = {0};
	bool running = container_is_running(c);
	const char *arg;
	enum net_mode m = net_mode(hc, &arg);
	json_t *networks;

	if (attaches(m)) {
		networks = attached_networks(s, c, m, arg, &top);
		connected_networks(s, c, networks);
	} else if (m == NET_MODE_CONTAINER)
		networks = json_object();
	else
		networks = json_pack("{s:o}", m == NET_MODE_HOST ? "host" : "none",
				     endpoint_json("", NULL));
	if (running && attaches(m) && c->pid > 0) {
		sandbox = xasprintf("/proc/%d/ns/net", (int)c->pid);
		sha256_of(c->id, strlen(c->id), sandbox_id);
		rundir = xasprintf("%s/%s", s->runroot, c->id);
	}
	return json_pack("{s:s, s:s, s:b, s:s, s:i, s:o, s:s, s:n, s:n, s:s, s:s, s:s, s:i, s:s,"
			 " s:i, s:s, s:s, s:o}",
			 "Bridge", "", "SandboxID", sandbox ? digest_hex(sandbox_id) : "",
			 "HairpinMode", 0, "LinkLocalIPv6Address", "", "LinkLocalIPv6PrefixLen", 0,
			 "Ports", rundir ? net_ports_read(rundir) : json_object(), "SandboxKey",
			 sandbox ? sandbox : "", "SecondaryIPAddresses", "SecondaryIPv6Addresses",
			 "EndpointID", top.endpoint_id, "Gateway", top.gateway, "GlobalIPv6Address",
			 "", "GlobalIPv6PrefixLen", 0, "IPAddress", top.address, "IPPrefixLen",
			 top.prefix_len, "IPv6Gateway", "", "MacAddress", top.mac, "Networks",
			 networks);
}

/* The container's config with network n's endpoint added (aliases) or, aliases NULL, removed. */
static int save_endpoint(struct store *s, const struct store_container *c, json_t *config,
			 const char *net, char *const *aliases, struct berth_error **err)
{
	json_t *eps = endpoints_config(config);
	_cleanup_free_ char *text = NULL;

	if (!eps) {
		eps = json_object();
		json_object_set_new(config, "NetworkingConfig",
				    json_pack("{s:o}", "EndpointsConfig", eps));
	}
	if (aliases)
		json_object_set_new(eps, net,
				    json_pack("{s:o}", "Aliases", json_from_strv(aliases)));
	else
		json_object_del(eps, net);
	text = json_compact(config);
	return store_container_set_config(s, c->id, text, err);
}

/* Opens the network namespace of running container c. */
static int open_netns(const struct store_container *c, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/ns/net", (int)c->pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? berth_error_set(err, errno, "open '%s'", path) : fd;
}

int container_net_connect(struct store *s, const char *what, const char *net, char *const *aliases,
			  struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_(store_network_freep) struct store_network *n = NULL;
	_cleanup_close_ int nsfd = -EBADF;
	json_auto_t *config = NULL;
	char *const none[] = {NULL};
	const char *arg;
	enum net_mode m;

	if (!c || !(n = store_network_find(s, net, err)))
		return -1;
	config = json_parse(c->config, strlen(c->config), "container config", err);
	if (!config)
		return -1;
	m = net_mode(json_object_get(config, "HostConfig"), &arg);
	if (m == NET_MODE_HOST || m == NET_MODE_NONE || m == NET_MODE_CONTAINER)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"container cannot be connected to multiple networks with "
					"one of the networks in private (none) mode");
	if (json_object_get(endpoints_config(config), n->name) ||
	    (m == NET_MODE_DEFAULT && !strcmp(n->name, NET_DEFAULT_NAME)) ||
	    (m == NET_MODE_NETWORK && (!strcmp(arg, n->name) || !strcmp(arg, n->id))))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"endpoint with name %s already exists in network %s",
					c->name, n->name);
	if (save_endpoint(s, c, config, n->name, aliases ? aliases : none, err) < 0)
		return -1;
	if (!container_is_running(c))
		return 0;
	nsfd = open_netns(c, err);
	if (nsfd < 0 || connect_more(s, c->id, nsfd, n, err) < 0) {
		save_endpoint(s, c, config, n->name, NULL, NULL);
		return -1;
	}
	return 0;
}

int container_net_disconnect(struct store *s, const char *what, const char *net,
			     struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_(store_network_freep) struct store_network *n = NULL;
	_cleanup_error_ struct berth_error *e = NULL;
	json_auto_t *config = NULL;
	bool listed;

	if (!c || !(n = store_network_find(s, net, err)))
		return -1;
	config = json_parse(c->config, strlen(c->config), "container config", err);
	if (!config)
		return -1;
	listed = json_object_get(endpoints_config(config), n->name) != NULL;
	if (listed && save_endpoint(s, c, config, n->name, NULL, err) < 0)
		return -1;
	/* NEEDSWORK: the primary network comes back at the next start */
	if (container_is_running(c) && net_disconnect(s, c->id, n, &e) == 0) {
		if (net_dns_update(s, n, NULL, &e) < 0)
			log_warn("%s", e->msg);
		return 0;
	}
	if (listed)
		return 0;
	return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
				"container %s is not connected to network %s", c->id, n->name);
}
