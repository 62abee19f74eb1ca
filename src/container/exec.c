/* docker exec: a new process in a running container, with the container's own limits. */
#include "container/container.h"
#include "runtime/caps.h"
#include "runtime/exec.h"
#include "util/json.h"
#include "util/strutil.h"

struct container_exec {
	struct runtime_spec *spec; /* the container's: caps, seccomp, rlimits... */
	struct runtime_exec_opts opts;
	char **env;
};

void container_exec_free(struct container_exec *e)
{
	if (!e)
		return;
	runtime_spec_free(e->spec);
	strv_free(e->env);
	free(e);
}

/* Sets KEY=VALUE in env, replacing an entry of the same key (Docker's ReplaceOrAppendEnvValues). */
static void env_set(char ***env, const char *kv)
{
	size_t k = strcspn(kv, "=");

	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, k) == 0 && ((*env)[i][k] == '=' || !(*env)[i][k])) {
			free((*env)[i]);
			(*env)[i] = xstrdup(kv);
			return;
		}
	}
	strv_push(env, kv);
}

/* Docker's: PATH, HOSTNAME, TERM with -t, then the container's Env, then -e. */
static char **exec_env(const json_t *cfg, const struct container_exec_opts *o)
{
	_cleanup_strv_ char **cenv = json_get_strv(cfg, "Env");
	const char *host = json_get_str(cfg, "Hostname");
	char **env = NULL;

	strv_push(&env, "PATH=" RUNTIME_DEFAULT_PATH);
	strv_push_take(&env, xasprintf("HOSTNAME=%s", host ? host : ""));
	if (o->tty)
		strv_push(&env, "TERM=xterm");
	for (size_t i = 0; cenv && cenv[i]; i++)
		env_set(&env, cenv[i]);
	for (size_t i = 0; o->env && o->env[i]; i++)
		env_set(&env, o->env[i]);
	return env;
}

static int check_running(const struct store_container *c, const char *what,
			 struct berth_error **err)
{
	if (c->state == STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Container %s is paused, unpause the container before exec",
					what);
	if (c->state == STORE_CONTAINER_RESTARTING)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Container %s is restarting, wait until the container is "
					"running",
					c->id);
	if (c->state != STORE_CONTAINER_RUNNING || c->pid <= 0)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0, "Container %s is not running",
					c->id);
	return 0;
}

/*
 * The container's seccomp filter, made for the container's capabilities; then
 * --privileged gives every capability berth has. The filter stays, as with
 * Docker's exec --privileged (moby#21984): only a privileged container has none.
 */
static int apply_security(struct store *s, struct runtime_spec *spec, bool privileged,
			  struct berth_error **err)
{
	_cleanup_free_ char *cache = xasprintf("%s/seccomp", s->runroot);

	if (spec->seccomp && seccomp_build_default_cached(cache, spec->caps, &spec->bpf, err) < 0)
		return -1;
	if (privileged) {
		spec->caps = caps_current_permitted();
		spec->privileged = true;
	}
	return 0;
}

struct container_exec *container_exec_prepare(struct store *s, const struct container_exec_opts *o,
					      struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_(container_exec_freep) struct container_exec *e = NULL;
	json_auto_t *config = NULL;
	struct runtime_spec *spec;

	c = container_find(s, o->container, err);
	if (!c || check_running(c, o->container, err) < 0)
		return NULL;
	config = json_parse(c->config, strlen(c->config), "container config", err);
	if (!config)
		return NULL;
	e = xcalloc(1, sizeof(*e));
	e->spec = spec = container_spec(s, c, config, err);
	if (!spec || apply_security(s, spec, o->privileged, err) < 0)
		return NULL;
	e->env = exec_env(json_object_get(config, "Config"), o);
	e->opts = (struct runtime_exec_opts){
		.pid = c->pid,
		.id = spec->id,
		.argv = o->argv,
		.env = e->env,
		.cwd = o->workdir && *o->workdir ? o->workdir : spec->cwd,
		.user = o->user ? o->user : spec->user,
		.caps = spec->caps,
		.privileged = spec->privileged,
		.seccomp = spec->seccomp ? &spec->bpf : NULL,
		.no_new_privs = spec->no_new_privs,
		.rlimits = spec->rlimits,
		.n_rlimits = spec->n_rlimits,
		.tty = o->tty,
		.tty_rows = o->tty_rows,
		.tty_cols = o->tty_cols,
		.io = o->io,
	};
	return steal_ptr(&e);
}

int container_exec_start(struct container_exec *e, struct runtime_process *out,
			 struct berth_error **err)
{
	return runtime_exec(&e->opts, out, err);
}
