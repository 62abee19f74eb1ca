#define LOG_DOMAIN "container"
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "container/container.h"
#include "container/volumes.h"
#include "image/image.h"
#include "monitor/monitor.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/timeutil.h"
#include "volume/volume.h"

char *container_dir(const struct store *s, const char *id)
{
	return xasprintf("%s/containers/%s", s->root, id);
}

static char *random_id(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	char *id = xmalloc(65);
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fs_read_all(fd, raw, sizeof(raw)) != sizeof(raw))
		BUG("cannot read /dev/urandom");
	close(fd);
	for (size_t i = 0; i < sizeof(raw); i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[64] = '\0';
	return id;
}

static size_t env_key_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

/* Image env, then the container's entries replacing those of the same key; PATH if missing. */
static json_t *merge_env(const json_t *image_env, const json_t *env)
{
	json_t *out = json_array(), *v;
	size_t i;
	bool has_path = false;

	json_array_foreach(image_env, i, v) json_array_append(out, v);
	json_array_foreach(env, i, v)
	{
		const char *e = json_string_value(v);
		size_t k = env_key_len(e), j;
		json_t *w;
		bool replaced = false;
		json_array_foreach(out, j, w)
		{
			const char *o = json_string_value(w);
			if (env_key_len(o) == k && strncmp(o, e, k) == 0) {
				json_array_set(out, j, v);
				replaced = true;
				break;
			}
		}
		if (!replaced)
			json_array_append(out, v);
	}
	json_array_foreach(out, i, v) has_path |= str_has_prefix(json_string_value(v), "PATH=");
	if (!has_path)
		json_array_insert_new(out, 0, json_string("PATH=" RUNTIME_DEFAULT_PATH));
	return out;
}

static bool empty_value(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_array(v) && json_array_size(v) == 0) ||
	       (json_is_string(v) && !*json_string_value(v));
}

/* Config.Volumes: the container's (-v /path) and the image's VOLUME paths together. */
static void merge_volumes(json_t *cfg, const json_t *icfg)
{
	const json_t *image = json_object_get(icfg, "Volumes");
	json_t *own = json_object_get(cfg, "Volumes");

	if (!json_object_size(image))
		return;
	if (!json_is_object(own)) {
		own = json_object();
		json_object_set_new(cfg, "Volumes", own);
	}
	json_object_update_missing(own, (json_t *)image);
}

/* Fills what the container does not set from the image's config, as Docker does. */
static void merge_image_config(json_t *cfg, const json_t *icfg, const char *id)
{
	static const char *const inherit[] = {"User", "WorkingDir", "StopSignal", "ExposedPorts",
					      "OnBuild"};
	bool entrypoint_set = !empty_value(json_object_get(cfg, "Entrypoint"));
	_cleanup_free_ char *host = xstrndup(id, 12);

	json_object_set_new(cfg, "Env",
			    merge_env(json_object_get(icfg, "Env"), json_object_get(cfg, "Env")));
	if (empty_value(json_object_get(cfg, "Cmd")) && !entrypoint_set)
		json_object_set(cfg, "Cmd", json_object_get(icfg, "Cmd"));
	if (!entrypoint_set)
		json_object_set(cfg, "Entrypoint", json_object_get(icfg, "Entrypoint"));
	for (size_t i = 0; i < ARRAY_SIZE(inherit); i++)
		if (empty_value(json_object_get(cfg, inherit[i])) &&
		    !empty_value(json_object_get(icfg, inherit[i])))
			json_object_set(cfg, inherit[i], json_object_get(icfg, inherit[i]));
	merge_volumes(cfg, icfg);
	/* -p and --expose add to the image's exposed ports, as in Docker */
	if (json_is_object(json_object_get(cfg, "ExposedPorts")))
		json_object_update_missing(json_object_get(cfg, "ExposedPorts"),
					   json_object_get(icfg, "ExposedPorts"));
	if (json_is_object(json_object_get(icfg, "Labels"))) {
		json_t *labels = json_object_get(cfg, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(cfg, "Labels", labels);
		}
		json_object_update_missing(labels, json_object_get(icfg, "Labels"));
	}
	if (empty_value(json_object_get(cfg, "Hostname")))
		json_object_set_new(cfg, "Hostname", json_string(host));
}

static const char hosts_default[] = "127.0.0.1\tlocalhost\n"
				    "::1\tlocalhost ip6-localhost ip6-loopback\n"
				    "fe00::0\tip6-localnet\n"
				    "ff00::0\tip6-mcastprefix\n"
				    "ff02::1\tip6-allnodes\n"
				    "ff02::2\tip6-allrouters\n";

/* The host's resolv.conf without loopback name servers (unreachable from the container). */
static char *resolv_conf(bool host_net)
{
	_cleanup_free_ char *text = fs_read_file("/etc/resolv.conf", NULL, NULL);
	struct strbuf sb = STRBUF_INIT;
	bool servers = false;

	if (!text)
		return xstrdup("");
	if (host_net)
		return steal_ptr(&text);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (str_has_prefix(line, "nameserver") &&
		    (strstr(line, " 127.") || strstr(line, " ::1")))
			continue;
		servers |= str_has_prefix(line, "nameserver");
		strbuf_addf(&sb, "%s\n", line);
	}
	if (!servers)
		strbuf_addstr(&sb, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	return strbuf_detach(&sb);
}

static int write_file(const char *dir, const char *name, const char *text, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || fs_write_all(fd, text, strlen(text)) < 0)
		return berth_error_set(err, errno, "write '%s'", path);
	return 0;
}

/* The container's folder: init layer, upper, work and merged dirs and the files bound into it. */
/* --add-host (HostConfig.ExtraHosts "host:ip"): lines "ip\thost" after the others. */
static char *extra_hosts(char *hosts, const json_t *hc)
{
	json_t *extra = json_object_get(hc, "ExtraHosts");
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *v;

	if (!json_array_size(extra))
		return hosts;
	strbuf_addstr(&sb, hosts);
	free(hosts);
	json_array_foreach(extra, i, v)
	{
		const char *e = json_string_value(v) ?: "";
		size_t sep = strcspn(e, ":=");

		if (e[sep])
			strbuf_addf(&sb, "%s\t%.*s\n", e + sep + 1, (int)sep, e);
	}
	return strbuf_detach(&sb);
}

/* --dns (HostConfig.Dns): these name servers instead of the host's. */
static char *dns_servers(char *resolv, const json_t *hc)
{
	json_t *dns = json_object_get(hc, "Dns");
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	json_t *v;

	if (!json_array_size(dns))
		return resolv;
	json_array_foreach(dns, i, v)
		strbuf_addf(&sb, "nameserver %s\n", json_string_value(v) ?: "");
	for (char *line = resolv, *next; line && *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line + len + (line[len] == '\n');
		if (!str_has_prefix(line, "nameserver"))
			strbuf_add(&sb, line, (size_t)(next - line));
	}
	free(resolv);
	return strbuf_detach(&sb);
}

static int make_container_dir(struct store *s, const struct store_image *img, const char *id,
			      const json_t *cfg, const json_t *hc, const json_t *mounts,
			      bool host_net, struct berth_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	_cleanup_free_ char *resolv = dns_servers(resolv_conf(host_net), hc);
	_cleanup_free_ char *hosts = NULL, *hostname = NULL;
	static const char *const subdirs[] = {"diff", "work", "merged"};

	if (fs_mkdir_p(dir, 0710, err) < 0)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, subdirs[i]);
		if (mkdir(p, 0755) < 0)
			return berth_error_set(err, errno, "mkdir '%s'", p);
	}
	hostname = xasprintf("%s\n", json_get_str(cfg, "Hostname"));
	hosts = host_net ? fs_read_file("/etc/hosts", NULL, NULL) : NULL;
	if (!hosts)
		hosts = xstrdup(hosts_default);
	hosts = extra_hosts(hosts, hc);
	if (container_make_init_layer(s, img, dir, err) < 0 ||
	    container_init_mount_points(s, img, dir, mounts, err) < 0 ||
	    write_file(dir, "hostname", hostname, err) < 0 ||
	    write_file(dir, "hosts", hosts, err) < 0 ||
	    write_file(dir, "resolv.conf", resolv, err) < 0)
		return -1;
	return 0;
}

static int check_name(struct store *s, const char *name, struct berth_error **err)
{
	if (!container_name_valid(name))
		return berth_error_setk(
			err, BERTH_ERR_INVALID, 0,
			"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
			"are allowed",
			name);
	if (store_container_name_taken(s, name))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Conflict. The container name \"/%s\" is already in use",
					name);
	return 0;
}

/* Entrypoint and Cmd joined by spaces, as ps shows them. */
static char *command_line(const json_t *cfg)
{
	static const char *const keys[] = {"Entrypoint", "Cmd"};
	struct strbuf sb = STRBUF_INIT;
	json_t *v;
	size_t i;

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++)
		json_array_foreach(json_object_get(cfg, keys[k]), i, v)
			strbuf_addf(&sb, "%s%s", sb.len ? " " : "", json_string_value(v));
	return strbuf_detach(&sb);
}

/* HostConfig.LogConfig: json-file (the default) with its options, or none. */
static int log_config(const json_t *lc, struct logfile_opts *opts, bool *none,
		      struct berth_error **err)
{
	const char *type = json_get_str(lc, "Type");

	*none = type && !strcmp(type, "none");
	if (type && *type && !*none && strcmp(type, "json-file"))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"logger: no log driver named '%s' is registered", type);
	return *none ? 0 : logfile_parse_opts(json_object_get(lc, "Config"), opts, err);
}

/*
 * Opens the transaction of a new container and makes its volumes in it: the
 * mounts get their names and sources, and go into the config as MountPoints.
 */
static int make_volumes(struct store *s, json_t *config, json_t *mounts, char ***made,
			struct berth_error **err)
{
	if (store_begin(s, err) < 0)
		return -1;
	if (container_volumes_make(s, mounts, made, err) < 0) {
		store_rollback(s);
		for (size_t i = 0; *made && (*made)[i]; i++)
			volume_discard(s, (*made)[i]);
		return -1;
	}
	json_object_set(config, "MountPoints", mounts);
	return 0;
}

int container_create(struct store *s, const char *name, json_t *config, unsigned flags, char **id,
		     struct berth_error **err)
{
	json_t *cfg = json_object_get(config, "Config");
	json_t *hc = json_object_get(config, "HostConfig");
	_cleanup_(store_image_freep) struct store_image *img = NULL;
	_cleanup_free_ char *cid = random_id(), *gen = NULL, *text = NULL, *dir = NULL;
	_cleanup_free_ char *trash = NULL, *command = NULL, *labels = NULL;
	_cleanup_strv_ char **made = NULL;
	json_auto_t *icfg_all = NULL, *mounts = NULL;
	const char *mode = json_get_str(hc, "NetworkMode");
	bool host_net = mode && strcmp(mode, "host") == 0, log_none;
	struct logfile_opts lopts;
	struct store_container c = {0};

	trash = xasprintf("%s/trash", s->root);
	fs_remove_orphans(trash);
	img = image_lookup(s, json_get_str(cfg, "Image"), err);
	if (!img)
		return -1;
	if (name && check_name(s, name, err) < 0)
		return -1;
	if (!name)
		name = gen = container_generate_name(s);
	icfg_all = json_parse(img->config, strlen(img->config), "image config", err);
	if (!icfg_all || container_net_check(s, config, err) < 0)
		return -1;
	if (host_net && empty_value(json_object_get(cfg, "Hostname"))) {
		char h[256] = "";
		gethostname(h, sizeof(h) - 1);
		json_object_set_new(cfg, "Hostname", json_string(h));
	}
	merge_image_config(cfg, json_object_get(icfg_all, "config"), cid);
	if (log_config(json_object_get(hc, "LogConfig"), &lopts, &log_none, err) < 0)
		return -1;
	if (empty_value(json_object_get(cfg, "Cmd")) &&
	    empty_value(json_object_get(cfg, "Entrypoint")))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "No command specified");
	mounts = container_volumes_plan(s, config, err);
	if (!mounts)
		return -1;
	dir = container_dir(s, cid);
	if (make_container_dir(s, img, cid, cfg, hc, mounts, host_net, err) < 0 ||
	    make_volumes(s, config, mounts, &made, err) < 0)
		goto fail;
	text = json_compact(config);
	command = command_line(cfg);
	labels = json_is_object(json_object_get(cfg, "Labels"))
			 ? json_compact(json_object_get(cfg, "Labels"))
			 : xstrdup("{}");
	c = (struct store_container){.id = cid,
				     .name = (char *)name,
				     .image_id = img->id,
				     .image = (char *)json_get_str(cfg, "Image"),
				     .config = text,
				     .created = time_now_ns(),
				     .state = STORE_CONTAINER_CREATED,
				     .monitor_pid = flags & CONTAINER_CREATE_RUN ? getpid() : 0,
				     .command = command,
				     .labels = labels,
				     .network = (char *)(mode ? mode : "default")};
	if (store_container_add(s, &c, err) < 0 ||
	    container_volumes_record(s, cid, mounts, err) < 0 || store_commit(s, err) < 0)
		goto rollback;
	if (container_volumes_copy_up(s, cid, img->id, mounts, err) < 0) {
		container_remove(s, cid, CONTAINER_REMOVE_FORCE | CONTAINER_REMOVE_VOLUMES, NULL);
		return -1;
	}
	*id = steal_ptr(&cid);
	return 0;
rollback:
	store_rollback(s);
	for (size_t i = 0; made && made[i]; i++)
		volume_discard(s, made[i]);
fail:
	fs_rm_rf(dir, NULL);
	return -1;
}

/*
 * The folder to the trash, the record deleted (its uses of volumes with it),
 * then the folder's files removed; with volumes, its anonymous volumes that no
 * other container uses too, never named ones.
 */
static int remove_files(struct store *s, const struct store_container *c, bool volumes,
			struct berth_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, c->id);
	_cleanup_free_ char *trash_dir = xasprintf("%s/trash", s->root);
	_cleanup_strv_ char **anonymous = NULL;
	_cleanup_free_ char *gone = NULL;

	if (volumes && store_volume_uses_of(s, c->id, true, &anonymous, err) < 0)
		return -1;
	gone = fs_trash(dir, trash_dir, err);
	if (!gone || store_container_delete(s, c->id, err) < 0)
		return -1;
	volume_remove_unused(s, anonymous);
	return fs_rm_rf(gone, err);
}

/* The state letter of /proc/PID/stat ('R', 'S', 'Z'...) and its comm; 0 when gone. */
static char process_state(pid_t pid, char *comm, size_t len)
{
	char path[64], stat[256] = "";
	_cleanup_close_ int fd = -EBADF;
	char *open_paren, *close_paren;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, stat, sizeof(stat) - 1) < 0)
		return 0;
	/* "PID (COMM) STATE ..." */
	open_paren = strchr(stat, '(');
	close_paren = strrchr(stat, ')');
	if (!open_paren || !close_paren || close_paren[1] != ' ')
		return 0;
	snprintf(comm, len, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
	return close_paren[2] == 'Z' || close_paren[2] == 'X' ? 0 : close_paren[2];
}

/* Is argv[0] of pid "berth-monitor"? */
static bool monitor_cmdline(pid_t pid)
{
	static const char want[] = "berth-monitor"; /* and its NUL */
	char path[64], buf[sizeof(want)] = "";
	_cleanup_close_ int fd = -EBADF;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
	       memcmp(buf, want, sizeof(want)) == 0;
}

/*
 * Is pid a live berth monitor? Its title says so, so a pid reused by another
 * program does not count; nor does a monitor that died and awaits its reaper.
 * The comm is the title's, or for the moment berth takes back from the idle
 * monitor (relay.h) still "berth"; argv[0] is "berth-monitor" then.
 */
static bool monitor_alive(pid_t pid)
{
	char comm[32];

	return process_state(pid, comm, sizeof(comm)) &&
	       (str_has_prefix(comm, "berth-monitor") || monitor_cmdline(pid));
}

/* A container created by a run whose CLI died before a monitor took over. */
static bool run_abandoned(struct store *s, const struct store_container *c)
{
	char comm[32];
	_cleanup_free_ char *rundir = NULL;

	if (c->state != STORE_CONTAINER_CREATED || c->monitor_pid <= 0 ||
	    process_state(c->monitor_pid, comm, sizeof(comm)))
		return false;
	rundir = xasprintf("%s/%s", s->runroot, c->id);
	return !fs_exists(rundir);
}

/* Returns false when the container is gone (an abandoned run's). */
static bool reconcile(struct store *s, struct store_container *c)
{
	struct cgroup *cg;

	if (run_abandoned(s, c)) {
		remove_files(s, c, true, NULL);
		return false;
	}
	if (!container_is_running(c) || monitor_alive(c->monitor_pid))
		return true;
	cg = cgroup_open(c->id, NULL);
	if (cg) {
		cgroup_destroy(cg, NULL);
		cgroup_free(cg);
	}
	container_net_down(s, c->id);
	c->state = STORE_CONTAINER_EXITED;
	c->pid = c->monitor_pid = 0;
	c->exit_code = 255;
	c->finished_at = time_now_ns();
	free(c->error);
	c->error = xstrdup("the container's monitor exited unexpectedly");
	if (store_container_update_state(s, c, NULL) < 0)
		log_warn("cannot record the exit of %s", c->id);
	return true;
}

struct store_container *container_find(struct store *s, const char *what, struct berth_error **err)
{
	struct store_container *c = store_container_find(s, what, err);

	if (c && !reconcile(s, c)) {
		store_container_free(c);
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such container: %s", what);
		return NULL;
	}
	return c;
}

int container_list(struct store *s, struct store_container ***out, struct berth_error **err)
{
	size_t n = 0;

	if (store_container_list(s, out, err) < 0)
		return -1;
	for (size_t i = 0; (*out)[i]; i++) {
		if (reconcile(s, (*out)[i]))
			(*out)[n++] = (*out)[i];
		else
			store_container_free((*out)[i]);
	}
	(*out)[n] = NULL;
	return 0;
}

static int read_start_report(int sock, pid_t *pid, struct berth_error **err)
{
	char buf[MONITOR_MSG_MAX + 2];
	ssize_t n;

	do
		n = recv(sock, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return berth_error_set(err, n < 0 ? errno : 0,
				       "the monitor exited before starting the container");
	buf[n] = '\0';
	if (buf[0] == 'S') {
		*pid = (pid_t)atoi(buf + 1);
		return 0;
	}
	if (buf[0] == 'E' && n >= 2)
		return berth_error_setk(err, (enum berth_error_kind)(buf[1] - '0'), 0, "%s",
					buf + 2);
	return berth_error_set(err, 0, "unexpected report from the monitor");
}

/*
 * config.json in the container's folder: the OCI runtime config of this start,
 * for people and tools. Derived data: rewritten at every start, not fsynced.
 */
static int write_oci_config(struct store *s, const char *id, const struct runtime_spec *spec,
			    struct berth_error **err)
{
	_cleanup_free_ char *dir = container_dir(s, id);
	_cleanup_free_ char *cgroup = xasprintf("/berth/%s", id);
	json_auto_t *oci = runtime_spec_to_oci(spec, cgroup);
	_cleanup_free_ char *text = json_dumps(oci, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (!text)
		return berth_error_set(err, ENOMEM, "serialise config.json");
	return write_file(dir, "config.json", text, err);
}

/*
 * The monitor's configuration for container c from its stored config: the
 * runtime spec and the log path are new, for the caller to free.
 */
static int monitor_config_of(struct store *s, const struct store_container *c, const json_t *config,
			     struct monitor_config *mc, struct berth_error **err)
{
	const json_t *host = json_object_get(config, "HostConfig");
	const json_t *restart = json_object_get(host, "RestartPolicy");
	struct logfile_opts log_opts = {0};
	bool log_none;

	if (log_config(json_object_get(host, "LogConfig"), &log_opts, &log_none, err) < 0)
		return -1;
	*mc = (struct monitor_config){
		.log_opts = log_opts,
		.root = s->root,
		.runroot = s->runroot,
		.id = c->id,
		.log_path =
			log_none ? NULL
				 : xasprintf("%s/containers/%s/%s-json.log", s->root, c->id, c->id),
		.auto_remove = json_is_true(json_object_get(host, "AutoRemove")),
		.restart_policy = json_get_str(restart, "Name"),
		.restart_max =
			(int)json_integer_value(json_object_get(restart, "MaximumRetryCount")),
		.config = config,
		.net_sandbox = container_net_sandbox,
		.net_up = container_net_up,
		.net_down = container_net_down,
	};
	mc->spec = container_spec(s, c, (json_t *)config, err);
	if (!mc->spec) {
		free((char *)mc->log_path);
		return -1;
	}
	return 0;
}

int container_start(struct store *s, const char *id, pid_t *pid, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	json_auto_t *config = NULL;
	struct monitor_config mc;
	int sock;

	c = container_find(s, id, err);
	if (!c)
		return -1;
	if (container_is_running(c)) {
		*pid = c->pid;
		return container_connect(s, c, true, err);
	}
	config = json_parse(c->config, strlen(c->config), "container config", err);
	if (!config ||
	    container_net_check_start(s, json_object_get(config, "HostConfig"), err) < 0 ||
	    monitor_config_of(s, c, config, &mc, err) < 0)
		return -1;
	if (write_oci_config(s, c->id, mc.spec, err) < 0) {
		sock = -1;
		goto out;
	}
	store_suspend(s);
	sock = monitor_launch(&mc, err);
	if (store_resume(s, sock < 0 ? NULL : err) < 0 && sock >= 0) {
		close(sock);
		sock = -1;
	}
	if (sock >= 0 && read_start_report(sock, pid, err) < 0) {
		close(sock);
		/* a conflict (a host port already allocated) is no runtime's error */
		sock = err && *err && (*err)->kind == BERTH_ERR_CONFLICT
			       ? -1
			       : berth_error_wrap(err, "failed to create task for container: "
						       "unable to start container process");
	}
out:
	runtime_spec_free(mc.spec);
	free((char *)mc.log_path);
	return sock;
}

_noreturn_ void container_monitor_resume(const char *state)
{
	_cleanup_(store_container_freep) struct store_container *c = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	json_auto_t *config = NULL;
	struct monitor_config mc;
	struct store *s = NULL;
	struct relay r;

	relay_init(&r);
	if (relay_import(&r, state) < 0) {
		log_error("the idle monitor's state is malformed");
		_exit(1);
	}
	unsetenv(RELAY_STATE_ENV);
	if (r.diag_fd >= 0)
		log_set_fd(r.diag_fd);
	s = store_open(r.root, r.runroot, &err);
	if (s)
		c = store_container_find(s, r.id, &err);
	if (c)
		config = json_parse(c->config, strlen(c->config), "container config", &err);
	if (!config || monitor_config_of(s, c, config, &mc, &err) < 0) {
		log_error("cannot resume the monitor of %s: %s", r.id, err->msg);
		_exit(1);
	}
	monitor_resume(&mc, &r, s);
}

int container_remove(struct store *s, const char *what, unsigned flags, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	if (!c)
		return -1;
	if (container_is_running(c)) {
		if (!(flags & CONTAINER_REMOVE_FORCE))
			return berth_error_setk(
				err, BERTH_ERR_CONFLICT, 0,
				"You cannot remove a running container %s. Stop the "
				"container before attempting removal or force remove",
				c->id);
		_cleanup_free_ char *id = xstrdup(c->id);

		if (container_stop(s, id, 30, "KILL", err) < 0)
			return -1;
		store_container_free(c);
		c = container_find(s, id, NULL);
		if (!c)
			return 0; /* it was --rm: its monitor removed it */
	}
	/* what a start that died half-way may have left */
	container_net_down(s, c->id);
	return remove_files(s, c, flags & CONTAINER_REMOVE_VOLUMES, err);
}
