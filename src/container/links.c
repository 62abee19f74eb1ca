/*
 * Legacy links (--link NAME[:ALIAS], HostConfig.Links) on the default bridge,
 * as Docker's: the linked container must run; the linking one gets its
 * address in /etc/hosts under the alias, and Docker's environment variables
 * (ALIAS_NAME, ALIAS_PORT..., ALIAS_ENV_...) of the linked one's ports and
 * environment.
 */
#define LOG_DOMAIN "container"
#include <ctype.h>
#include <fcntl.h>

#include "container/container.h"
#include "net/net.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

/* "db:redis" → name "db", alias "redis" ("db" alone: the name is the alias). */
static void split_link(const char *link, char **name, char **alias)
{
	const char *colon = strchr(link, ':');
	const char *n = link[0] == '/' ? link + 1 : link;

	*name = colon ? xstrndup(n, (size_t)(colon - n)) : xstrdup(n);
	*alias = xstrdup(colon ? colon + 1 : *name);
	/* "/web/redis", as Docker's API shows it: the last part */
	if (strrchr(*alias, '/')) {
		char *last = xstrdup(strrchr(*alias, '/') + 1);
		free(*alias);
		*alias = last;
	}
}

int container_links_check(struct store *s, const json_t *hc, struct berth_error **err)
{
	json_t *links = json_object_get(hc, "Links");
	size_t i;
	json_t *v;

	json_array_foreach(links, i, v)
	{
		_cleanup_free_ char *name = NULL, *alias = NULL;
		_cleanup_(store_container_freep) struct store_container *c = NULL;

		split_link(json_string_value(v) ?: "", &name, &alias);
		c = store_container_find(s, name, NULL);
		if (!c)
			return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
						"could not get container for %s", name);
	}
	return 0;
}

/* The linked containers, running, in link order; *out NULL-terminated. */
static int linked(struct store *s, const char *self, const json_t *hc, const char *starting,
		  struct store_container ***out, char ***aliases, struct berth_error **err)
{
	json_t *links = json_object_get(hc, "Links");
	size_t i, k = 0;
	json_t *v;

	*out = xcalloc(json_array_size(links) + 1, sizeof(**out));
	json_array_foreach(links, i, v)
	{
		_cleanup_free_ char *name = NULL, *alias = NULL;
		struct store_container *c;

		split_link(json_string_value(v) ?: "", &name, &alias);
		c = container_find(s, name, NULL);
		/* starting: a container whose start is under way (not running yet) */
		if (!c || (!container_is_running(c) && !(starting && !strcmp(c->id, starting)))) {
			store_container_free(c);
			return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
						"Cannot link to a non running container: /%s AS "
						"/%s/%s",
						name, self, alias);
		}
		(*out)[k++] = c;
		strv_push(aliases, alias);
	}
	return 0;
}

static void free_linked(struct store_container **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_container_free(v[i]);
	free(v);
}

static int port_cmp(const void *a, const void *b)
{
	return atoi(*(char *const *)a) - atoi(*(char *const *)b);
}

/* The variables of one link: alias upper-cased, '-' as '_'. */
static void link_env(const char *self, const char *alias, const json_t *config, const char *ip,
		     char ***env)
{
	const json_t *cfg = json_object_get(config, "Config");
	_cleanup_free_ char *up = xstrdup(alias);
	_cleanup_strv_ char **ports = NULL, **cenv = json_get_strv(cfg, "Env");
	const char *key;
	json_t *v;

	for (char *p = up; *p; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	strv_push_take(env, xasprintf("%s_NAME=/%s/%s", up, self, alias));
	/* the exposed ports, in order */
	json_object_foreach(json_object_get(cfg, "ExposedPorts"), key, v) strv_push(&ports, key);
	if (ports)
		sort_array(ports, strv_len(ports), sizeof(*ports), port_cmp);
	for (size_t i = 0; ports && ports[i]; i++) {
		const char *slash = strchr(ports[i], '/');
		_cleanup_free_ char *port = xstrndup(ports[i], strcspn(ports[i], "/"));
		_cleanup_free_ char *proto = xstrdup(slash ? slash + 1 : "tcp");
		_cleanup_free_ char *uproto = xstrdup(proto);

		for (char *p = uproto; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (i == 0)
			strv_push_take(env, xasprintf("%s_PORT=%s://%s:%s", up, proto, ip, port));
		strv_push_take(env, xasprintf("%s_PORT_%s_%s=%s://%s:%s", up, port, uproto, proto,
					      ip, port));
		strv_push_take(env, xasprintf("%s_PORT_%s_%s_ADDR=%s", up, port, uproto, ip));
		strv_push_take(env, xasprintf("%s_PORT_%s_%s_PORT=%s", up, port, uproto, port));
		strv_push_take(env, xasprintf("%s_PORT_%s_%s_PROTO=%s", up, port, uproto, proto));
	}
	for (size_t i = 0; cenv && cenv[i]; i++) {
		const char *eq = strchr(cenv[i], '=');

		if (!eq || str_has_prefix(cenv[i], "HOME=") || str_has_prefix(cenv[i], "PATH="))
			continue;
		strv_push_take(env, xasprintf("%s_ENV_%s", up, cenv[i]));
	}
}

int container_links_env(struct store *s, const char *self, const json_t *hc, char ***env,
			struct berth_error **err)
{
	struct store_container **v = NULL;
	_cleanup_strv_ char **aliases = NULL, **out = NULL;
	int r = 0;

	if (!json_array_size(json_object_get(hc, "Links")))
		return 0;
	if (linked(s, self, hc, NULL, &v, &aliases, err) < 0) {
		r = -1;
		goto out;
	}
	for (size_t i = 0; v[i]; i++) {
		json_auto_t *config = json_loads(v[i]->config, 0, NULL);
		char ip[46] = "", bridge[16];

		net_container_address(s, v[i]->id, ip, bridge, NULL);
		link_env(self, aliases[i], config, ip, &out);
	}
	/* the container's own variables come after: they win */
	for (size_t i = 0; *env && (*env)[i]; i++)
		strv_push(&out, (*env)[i]);
	strv_free(*env);
	*env = steal_ptr(&out);
out:
	free_linked(v);
	return r;
}

int container_links_hosts(struct store *s, const char *self, const json_t *hc, const char *path,
			  const char *starting, struct berth_error **err)
{
	struct store_container **v = NULL;
	_cleanup_strv_ char **aliases = NULL, **lines = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct strbuf sb = STRBUF_INIT;
	int r = -1;

	if (!json_array_size(json_object_get(hc, "Links")))
		return 0;
	if (linked(s, self, hc, starting, &v, &aliases, err) < 0 ||
	    !(text = fs_read_file(path, NULL, err)))
		goto out;
	for (size_t i = 0; v[i]; i++) {
		char ip[46] = "", bridge[16];

		net_container_address(s, v[i]->id, ip, bridge, NULL);
		strv_push_take(&lines,
			       xasprintf("\t%s %.12s %s\n", aliases[i], v[i]->id, v[i]->name));
		strv_push_take(&lines, xstrdup(ip));
	}
	/* the lines of an earlier start go: the address may have changed */
	for (char *line = text, *next; *line; line = next) {
		size_t len = strcspn(line, "\n");
		const char *tab = memchr(line, '\t', len);
		bool ours = false;

		next = line + len + (line[len] == '\n');
		for (size_t i = 0; tab && lines[i] && !ours; i += 2)
			ours = !strncmp(tab, lines[i], (size_t)(next - tab));
		if (!ours)
			strbuf_add(&sb, line, (size_t)(next - line));
	}
	for (size_t i = 0; lines && lines[i]; i += 2)
		strbuf_addf(&sb, "%s%s", lines[i + 1], lines[i]);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || fs_write_all(fd, sb.buf, sb.len) < 0)
		berth_error_set(err, errno, "write '%s'", path);
	else
		r = 0;
out:
	strbuf_release(&sb);
	free_linked(v);
	return r;
}

/* Does a link of hc name container c (by name, or ID or its prefix)? */
static bool links_to(const json_t *hc, const struct store_container *c)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(hc, "Links"), i, v)
	{
		_cleanup_free_ char *name = NULL, *alias = NULL;

		split_link(json_string_value(v) ?: "", &name, &alias);
		if (!strcmp(name, c->name) || (*name && str_has_prefix(c->id, name)))
			return true;
	}
	return false;
}

void container_links_refresh(struct store *s, const char *id)
{
	_cleanup_(store_container_freep) struct store_container *self =
		store_container_find(s, id, NULL);
	struct store_container **all = NULL;

	if (!self || store_container_list(s, &all, NULL) < 0)
		return;
	for (size_t i = 0; all[i]; i++) {
		_cleanup_(store_container_freep) struct store_container *c = NULL;
		_cleanup_error_ struct berth_error *e = NULL;
		_cleanup_free_ char *dir = NULL, *path = NULL;
		json_auto_t *config = NULL;
		const json_t *hc;

		if (!strcmp(all[i]->id, id) || !container_is_running(all[i]) ||
		    !(c = store_container_find(s, all[i]->id, NULL)))
			continue;
		config = json_loads(c->config, 0, NULL);
		hc = json_object_get(config, "HostConfig");
		if (!links_to(hc, self))
			continue;
		dir = container_dir(s, c->id);
		path = xasprintf("%s/hosts", dir);
		if (container_links_hosts(s, c->name, hc, path, id, &e) < 0)
			log_warn("cannot update the links of %s: %s", c->name, e->msg);
	}
	store_container_list_free(all);
}
