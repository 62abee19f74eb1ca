#include <sys/mount.h>
#include <sys/resource.h>

#include "container/container.h"
#include "container/volumes.h"
#include "image/image.h"
#include "runtime/caps.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/strbuf.h"
#include "util/strutil.h"

static bool env_has(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return true;
	return false;
}

static char **process_argv(const json_t *cfg)
{
	char **argv = json_get_strv(cfg, "Entrypoint");
	_cleanup_strv_ char **cmd = json_get_strv(cfg, "Cmd");

	for (size_t i = 0; cmd && cmd[i]; i++)
		strv_push(&argv, cmd[i]);
	return argv;
}

static char **process_env(const json_t *cfg, bool tty)
{
	char **env = json_get_strv(cfg, "Env");

	if (!env_has(env, "HOSTNAME"))
		strv_push_take(&env, xasprintf("HOSTNAME=%s", json_get_str(cfg, "Hostname")));
	if (tty && !env_has(env, "TERM"))
		strv_push(&env, "TERM=xterm");
	return env;
}

/* SecurityOpt: no-new-privileges[:true|=true], seccomp=unconfined. */
static int security_opts(struct runtime_spec *spec, const json_t *hc, struct berth_error **err)
{
	_cleanup_strv_ char **opts = json_get_strv(hc, "SecurityOpt");

	for (size_t i = 0; opts && opts[i]; i++) {
		const char *o = opts[i];
		if (strcmp(o, "no-new-privileges") == 0 ||
		    strcmp(o, "no-new-privileges:true") == 0 ||
		    strcmp(o, "no-new-privileges=true") == 0)
			spec->no_new_privs = true;
		else if (strcmp(o, "no-new-privileges:false") == 0 ||
			 strcmp(o, "no-new-privileges=false") == 0)
			spec->no_new_privs = false;
		else if (strcmp(o, "seccomp=unconfined") == 0 ||
			 strcmp(o, "seccomp:unconfined") == 0)
			spec->seccomp = false;
		else if (str_has_prefix(o, "apparmor") || str_has_prefix(o, "label"))
			continue; /* no AppArmor or SELinux here */
		else
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid --security-opt: \"%s\"", o);
	}
	return 0;
}

static int rlimits(struct runtime_spec *spec, const json_t *hc, struct berth_error **err)
{
	json_t *ul = json_object_get(hc, "Ulimits"), *v;
	size_t i;

	json_array_foreach(ul, i, v)
	{
		const char *name = json_get_str(v, "Name");
		int res = name ? runtime_rlimit_from_name(name) : -1;
		struct rlimit cur;
		long long soft = json_integer_value(json_object_get(v, "Soft"));
		long long hard = json_integer_value(json_object_get(v, "Hard"));

		if (res < 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid ulimit type: %s", name ? name : "");
		if (getrlimit(res, &cur) == 0 && cur.rlim_max != RLIM_INFINITY &&
		    (unsigned long long)hard > cur.rlim_max)
			return berth_error_setk(
				err, BERTH_ERR_INVALID, 0,
				"ulimit %s: hard limit %lld exceeds the limit berth "
				"runs with (%llu)",
				name, hard, (unsigned long long)cur.rlim_max);
		spec->rlimits =
			xrealloc(spec->rlimits, (spec->n_rlimits + 1) * sizeof(*spec->rlimits));
		spec->rlimits[spec->n_rlimits++] =
			(struct runtime_rlimit){.resource = res,
						.soft = (unsigned long long)soft,
						.hard = (unsigned long long)hard};
	}
	return 0;
}

static void limits(struct runtime_spec *spec, const json_t *hc)
{
	long long nano = json_integer_value(json_object_get(hc, "NanoCpus"));
	long long pids = json_integer_value(json_object_get(hc, "PidsLimit"));

	spec->limits.memory = json_integer_value(json_object_get(hc, "Memory"));
	spec->limits.memory_swap = json_integer_value(json_object_get(hc, "MemorySwap"));
	spec->limits.pids = pids > 0 ? pids : 0;
	spec->limits.cpu_shares = json_integer_value(json_object_get(hc, "CpuShares"));
	if (nano > 0) {
		spec->limits.cpu_period_us = 100000;
		spec->limits.cpu_quota_us = nano * 100000 / 1000000000LL;
	}
}

/* "rw,exec,size=64m": flag words change *flags, the rest is tmpfs's own data. */
static char *tmpfs_options(const char *opts, unsigned long *flags)
{
	static const struct {
		const char *word;
		unsigned long set, clear;
	} words[] = {
		{"ro", MS_RDONLY, 0},	     {"rw", 0, MS_RDONLY},
		{"exec", 0, MS_NOEXEC},	     {"noexec", MS_NOEXEC, 0},
		{"suid", 0, MS_NOSUID},	     {"nosuid", MS_NOSUID, 0},
		{"dev", 0, MS_NODEV},	     {"nodev", MS_NODEV, 0},
		{"sync", MS_SYNCHRONOUS, 0}, {"async", 0, MS_SYNCHRONOUS},
		{"noatime", MS_NOATIME, 0},  {"relatime", MS_RELATIME, 0},
	};
	struct strbuf data = STRBUF_INIT;

	for (const char *p = opts ? opts : ""; *p;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < ARRAY_SIZE(words); i++)
			if (strlen(words[i].word) == n && !strncmp(words[i].word, p, n))
				break;
		if (i < ARRAY_SIZE(words))
			*flags = (*flags | words[i].set) & ~words[i].clear;
		else if (n)
			strbuf_addf(&data, "%s%.*s", data.len ? "," : "", (int)n, p);
		p += n + (p[n] == ',');
	}
	return strbuf_detach(&data);
}

static void mounts(struct runtime_spec *spec, const char *dir, const json_t *hc)
{
	static const char *const files[][2] = {
		{"resolv.conf", "/etc/resolv.conf"},
		{"hostname", "/etc/hostname"},
		{"hosts", "/etc/hosts"},
	};
	json_t *tmpfs = json_object_get(hc, "Tmpfs"), *v;
	const char *dest;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, files[i][0]);
		runtime_spec_add_mount(spec, NULL, src, files[i][1], NULL, MS_BIND);
	}
	json_object_foreach(tmpfs, dest, v)
	{
		/* Docker's defaults: noexec, nosuid, nodev, no size limit */
		unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
		_cleanup_free_ char *data = tmpfs_options(json_string_value(v), &flags);

		runtime_spec_add_mount(spec, "tmpfs", "tmpfs", dest, *data ? data : NULL, flags);
	}
}

/*
 * The overlay's lower dirs, top first, relative to the layers folder: the
 * container's init layer (commit.c), when it has one, then the image's layers.
 */
static int image_layers(struct runtime_spec *spec, struct store *s, const char *id,
			const char *image_id, struct berth_error **err)
{
	_cleanup_(store_image_freep) struct store_image *img = store_image_get(s, image_id, err);
	_cleanup_free_ char *init = xasprintf("%s/containers/%s/init", s->root, id);
	size_t n, k = 0;

	if (!img)
		return -1;
	n = strv_len(img->layers);
	spec->lowers = xcalloc(n + 2, sizeof(char *));
	if (fs_exists(init))
		spec->lowers[k++] = xasprintf("../containers/%s/init", id);
	for (size_t i = 0; i < n; i++)
		spec->lowers[k++] = image_layer_link(s, img->layers[n - 1 - i]);
	spec->layers_dir = xasprintf("%s/layers", s->root);
	return 0;
}

struct runtime_spec *container_spec(struct store *s, const struct store_container *c,
				    const json_t *config, struct berth_error **err)
{
	const json_t *cfg = json_object_get(config, "Config");
	const json_t *hc = json_object_get(config, "HostConfig");
	const char *wd = json_get_str(cfg, "WorkingDir");
	const char *user = json_get_str(cfg, "User");
	_cleanup_free_ char *dir = container_dir(s, c->id), *files = NULL;
	_cleanup_strv_ char **add = json_get_strv(hc, "CapAdd");
	_cleanup_strv_ char **drop = json_get_strv(hc, "CapDrop");
	struct runtime_spec *spec = xcalloc(1, sizeof(*spec));

	spec->id = xstrdup(c->id);
	spec->upper = xasprintf("%s/diff", dir);
	spec->work = xasprintf("%s/work", dir);
	spec->merged = xasprintf("%s/merged", dir);
	spec->argv = process_argv(cfg);
	spec->tty = json_is_true(json_object_get(cfg, "Tty"));
	spec->open_stdin = json_is_true(json_object_get(cfg, "OpenStdin"));
	/* HostConfig.ConsoleSize: [height, width], as the Docker API has it */
	spec->tty_rows = (unsigned short)json_integer_value(
		json_array_get(json_object_get(hc, "ConsoleSize"), 0));
	spec->tty_cols = (unsigned short)json_integer_value(
		json_array_get(json_object_get(hc, "ConsoleSize"), 1));
	spec->env = process_env(cfg, spec->tty);
	spec->cwd = xstrdup(wd && *wd ? wd : "/");
	spec->user = xstrdup(user ? user : "");
	spec->hostname = xstrdup(json_get_str(cfg, "Hostname"));
	spec->privileged = json_is_true(json_object_get(hc, "Privileged"));
	spec->readonly = json_is_true(json_object_get(hc, "ReadonlyRootfs"));
	spec->init = json_is_true(json_object_get(hc, "Init"));
	spec->seccomp = !spec->privileged;
	if (container_net_spec(s, c->id, hc, spec, &files, err) < 0)
		goto fail;
	limits(spec, hc);
	mounts(spec, files, hc);
	if (!spec->argv || !spec->argv[0]) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "No command specified");
		goto fail;
	}
	if (container_volumes_spec(spec, s, json_object_get(config, "MountPoints"), err) < 0 ||
	    caps_compute(add, drop, spec->privileged, &spec->caps, err) < 0 ||
	    security_opts(spec, hc, err) < 0 || rlimits(spec, hc, err) < 0 ||
	    image_layers(spec, s, c->id, c->image_id, err) < 0)
		goto fail;
	/* --privileged and --cap-add cannot give what berth itself lacks. */
	spec->caps &= caps_current_permitted();
	return spec;
fail:
	runtime_spec_free(spec);
	return NULL;
}
