#define LOG_DOMAIN "nft"
#include <arpa/inet.h>
#include <dlfcn.h>
#include <jansson.h>
#include <nftables/libnftables.h>
#include <stdbool.h>

#include "net/nft.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define CHAIN_PREROUTING "ports-prerouting"
#define CHAIN_OUTPUT	 "ports-output"

struct nft_api {
	struct nft_ctx *(*ctx_new)(uint32_t flags);
	void (*ctx_free)(struct nft_ctx *ctx);
	void (*output_set_flags)(struct nft_ctx *ctx, unsigned int flags);
	int (*buffer_output)(struct nft_ctx *ctx);
	int (*buffer_error)(struct nft_ctx *ctx);
	const char *(*get_output_buffer)(struct nft_ctx *ctx);
	const char *(*get_error_buffer)(struct nft_ctx *ctx);
	int (*run_cmd_from_buffer)(struct nft_ctx *nft, const char *buf);
};

static void *sym(void *lib, const char *name, bool *ok)
{
	void *p = dlsym(lib, name);

	*ok &= p != NULL;
	return p;
}

static const struct nft_api *nft_api_get(struct berth_error **err)
{
	static struct nft_api api;
	static bool loaded;
	bool ok = true;
	void *lib;

	if (loaded)
		return &api;
	lib = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		berth_error_set(err, 0, "cannot load libnftables: %s", dlerror());
		return NULL;
	}
	*(void **)&api.ctx_new = sym(lib, "nft_ctx_new", &ok);
	*(void **)&api.ctx_free = sym(lib, "nft_ctx_free", &ok);
	*(void **)&api.output_set_flags = sym(lib, "nft_ctx_output_set_flags", &ok);
	*(void **)&api.buffer_output = sym(lib, "nft_ctx_buffer_output", &ok);
	*(void **)&api.buffer_error = sym(lib, "nft_ctx_buffer_error", &ok);
	*(void **)&api.get_output_buffer = sym(lib, "nft_ctx_get_output_buffer", &ok);
	*(void **)&api.get_error_buffer = sym(lib, "nft_ctx_get_error_buffer", &ok);
	*(void **)&api.run_cmd_from_buffer = sym(lib, "nft_run_cmd_from_buffer", &ok);
	if (!ok) {
		berth_error_set(err, 0, "cannot load libnftables: %s", dlerror());
		dlclose(lib);
		return NULL;
	}
	loaded = true;
	return &api;
}

/* nft's first error line without its "Error: ", lowercased as our messages are. */
static char *nft_message(const char *buf)
{
	const char *s = buf && *buf ? buf : "unknown error";
	char *msg;

	if (str_has_prefix(s, "Error: "))
		s += strlen("Error: ");
	msg = xstrndup(s, strcspn(s, "\n"));
	if (msg[0] >= 'A' && msg[0] <= 'Z' && !(msg[1] >= 'A' && msg[1] <= 'Z'))
		msg[0] = (char)(msg[0] - 'A' + 'a');
	return msg;
}

static int run(const char *cmds, unsigned flags, char **out, struct berth_error **err)
{
	const struct nft_api *api = nft_api_get(err);
	struct nft_ctx *ctx;
	int r;

	if (!api)
		return -1;
	ctx = api->ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return berth_error_set(err, ENOMEM, "nft_ctx_new");
	api->output_set_flags(ctx, flags);
	api->buffer_output(ctx);
	api->buffer_error(ctx);
	log_debug("nft: %s", cmds);
	r = api->run_cmd_from_buffer(ctx, cmds);
	if (r != 0) {
		_cleanup_free_ char *msg = nft_message(api->get_error_buffer(ctx));
		/* ENOENT: what the commands name is not there */
		berth_error_set(err, 0, "nft: %s", msg);
		if (err && *err && strcasestr(msg, "no such file or directory"))
			(*err)->status = ENOENT;
	} else if (out) {
		*out = xstrdup(api->get_output_buffer(ctx));
	}
	api->ctx_free(ctx);
	return r != 0 ? -1 : 0;
}

int net_nft_run(const char *cmds, char **out, struct berth_error **err)
{
	return run(cmds, 0, out, err);
}

/* berth's table as libnftables's JSON; NULL with *err, or NULL and no error when it is not there. */
static json_t *list_table(struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *out = NULL;

	if (run("list table ip " NET_NFT_TABLE, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE, &out,
		&e) < 0) {
		if (e->status == ENOENT)
			return NULL;
		*err = steal_ptr(&e);
		return NULL;
	}
	return json_parse(out, strlen(out), "nft's listing", err);
}

/* The chain a rule jumps to, or NULL. */
static const char *jump_target(const json_t *rule)
{
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(rule, "expr"), i, x)
	{
		const char *t = json_get_str(json_object_get(x, "jump"), "target");
		if (t)
			return t;
	}
	return NULL;
}

static void chain_name(const char *id, char name[static 17])
{
	snprintf(name, 17, "ctr-%.12s", id);
}

/* The commands that delete a container's rules (empty when it has none) into sb. */
static void removal(const json_t *table, const char *chain, struct strbuf *sb)
{
	const json_t *item, *o;
	size_t i;
	bool has_chain = false;

	json_array_foreach(json_object_get(table, "nftables"), i, item)
	{
		if ((o = json_object_get(item, "chain")))
			has_chain |= !strcmp(json_get_str(o, "name"), chain);
		if (!(o = json_object_get(item, "rule")) || !jump_target(o) ||
		    strcmp(jump_target(o), chain))
			continue;
		strbuf_addf(sb, "delete rule ip " NET_NFT_TABLE " %s handle %lld\n",
			    json_get_str(o, "chain"),
			    (long long)json_integer_value(json_object_get(o, "handle")));
	}
	if (has_chain)
		strbuf_addf(sb,
			    "flush chain ip " NET_NFT_TABLE " %s\n"
			    "delete chain ip " NET_NFT_TABLE " %s\n",
			    chain, chain);
}

int net_nft_ports_remove(const char *id, struct berth_error **err)
{
	char chain[17];

	chain_name(id, chain);
	/* a second try when another berth removed some of it meanwhile */
	for (int attempt = 0;; attempt++) {
		_cleanup_error_ struct berth_error *e = NULL;
		struct strbuf sb = STRBUF_INIT;
		json_auto_t *table = list_table(&e);
		int r;

		if (!table)
			return e ? (*err = steal_ptr(&e), -1) : 0;
		removal(table, chain, &sb);
		r = sb.len ? run(sb.buf, 0, NULL, &e) : 0;
		strbuf_release(&sb);
		if (r == 0)
			return 0;
		if (e->status != ENOENT || attempt > 0) {
			*err = steal_ptr(&e);
			return berth_error_wrap(err, "remove the rules of %.12s", id);
		}
	}
}

static bool loopback(struct in_addr a)
{
	return (ntohl(a.s_addr) >> 24) == 127;
}

/*
 * The base chains (made once; "add" leaves existing ones alone) and the
 * container's chain, its comment naming whose it is (leak checks read it).
 */
static void add_chains(struct strbuf *sb, const char *chain, const char *comment)
{
	strbuf_addstr(sb, "add table ip " NET_NFT_TABLE "\n"
			  "add chain ip " NET_NFT_TABLE " " CHAIN_PREROUTING
			  " { type nat hook prerouting priority -100; policy accept; }\n"
			  "add chain ip " NET_NFT_TABLE " " CHAIN_OUTPUT
			  " { type nat hook output priority -100; policy accept; }\n");
	strbuf_addf(sb, "add chain ip " NET_NFT_TABLE " %s", chain);
	if (comment && !strpbrk(comment, "\"\n\\"))
		strbuf_addf(sb, " { comment \"%s\"; }", comment);
	strbuf_addch(sb, '\n');
}

int net_nft_ports_add(const char *id, struct in_addr addr, const char *bridge, const char *comment,
		      const struct net_ports_mapping *m, size_t n, struct berth_error **err)
{
	struct strbuf sb = STRBUF_INIT;
	char chain[17], to[INET_ADDRSTRLEN], host[INET_ADDRSTRLEN];
	int r;

	chain_name(id, chain);
	if (net_nft_ports_remove(id, err) < 0)
		return -1;
	inet_ntop(AF_INET, &addr, to, sizeof(to));
	add_chains(&sb, chain, comment);
	/*
	 * Hairpin: what comes from a bridge of berth's (its own, and the set
	 * "bridges" of every one, net/network.c's) goes to the proxy. DNATed, it
	 * would come back to the container's bridge unmasqueraded, or be dropped
	 * between networks by the isolation.
	 */
	if (bridge)
		strbuf_addf(&sb,
			    "add set ip " NET_NFT_TABLE " bridges { type ifname; }\n"
			    "add rule ip " NET_NFT_TABLE " %1$s iifname \"%2$s\" return\n"
			    "add rule ip " NET_NFT_TABLE " %1$s iifname @bridges return\n",
			    chain, bridge);
	for (size_t i = 0; i < n; i++) {
		if (loopback(m[i].host_ip))
			continue;
		strbuf_addf(&sb, "add rule ip " NET_NFT_TABLE " %s ", chain);
		if (m[i].host_ip.s_addr != htonl(INADDR_ANY))
			strbuf_addf(&sb, "ip daddr %s ",
				    inet_ntop(AF_INET, &m[i].host_ip, host, sizeof(host)));
		strbuf_addf(&sb, "%s dport %u dnat to %s:%u\n", net_ports_proto_name(m[i].proto),
			    m[i].host_port, to, m[i].ctr_port);
	}
	strbuf_addf(&sb,
		    "add rule ip " NET_NFT_TABLE " " CHAIN_PREROUTING
		    " fib daddr type local jump %s\n"
		    "add rule ip " NET_NFT_TABLE " " CHAIN_OUTPUT
		    " ip daddr != 127.0.0.0/8 fib daddr type local jump %s\n",
		    chain, chain);
	r = run(sb.buf, 0, NULL, err);
	strbuf_release(&sb);
	return r < 0 ? berth_error_wrap(err, "add the rules of %.12s", id) : 0;
}

int net_nft_ports_list(char ***ids, struct berth_error **err)
{
	_cleanup_error_ struct berth_error *e = NULL;
	json_auto_t *table = list_table(&e);
	const json_t *item;
	size_t i;

	*ids = xcalloc(1, sizeof(char *));
	if (!table) {
		if (!e)
			return 0;
		*err = steal_ptr(&e);
		return -1;
	}
	json_array_foreach(json_object_get(table, "nftables"), i, item)
	{
		const char *name = json_get_str(json_object_get(item, "chain"), "name");
		if (name && str_has_prefix(name, "ctr-"))
			strv_push(ids, name + 4);
	}
	return 0;
}
