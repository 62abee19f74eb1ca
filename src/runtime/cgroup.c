/*
 * The common front of container cgroups: probing the host once, choosing the
 * back end (cgroup-v1.c or cgroup-v2.c), checking limits, and what both back
 * ends share (file access, polling, killing and removing).
 */
#define LOG_DOMAIN "cgroup"

#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "runtime/cgroup-internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static const char *const v1_names[CGROUP_CTRL__COUNT] = {
	[CGROUP_CTRL_CPU] = "cpu",	   [CGROUP_CTRL_CPUACCT] = "cpuacct",
	[CGROUP_CTRL_CPUSET] = "cpuset",   [CGROUP_CTRL_MEMORY] = "memory",
	[CGROUP_CTRL_DEVICES] = "devices", [CGROUP_CTRL_FREEZER] = "freezer",
	[CGROUP_CTRL_BLKIO] = "blkio",	   [CGROUP_CTRL_PIDS] = "pids",
};

static const char *const v2_names[CGROUP_CTRL__COUNT] = {
	[CGROUP_CTRL_CPU] = "cpu",	 [CGROUP_CTRL_CPUSET] = "cpuset",
	[CGROUP_CTRL_MEMORY] = "memory", [CGROUP_CTRL_BLKIO] = "io",
	[CGROUP_CTRL_PIDS] = "pids",
};

const char *cgroup_controller_name(enum cgroup_controller c)
{
	return c < CGROUP_CTRL__COUNT ? v1_names[c] : NULL;
}

const char *cgroup_controller_v2_name(enum cgroup_controller c)
{
	return c < CGROUP_CTRL__COUNT ? v2_names[c] : NULL;
}

static int controller_by_name(const char *const *names, const char *name, size_t len)
{
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		if (names[c] && strlen(names[c]) == len && memcmp(names[c], name, len) == 0)
			return c;
	}
	return -1;
}

unsigned cgroup_parse_v2_controllers(const char *text)
{
	unsigned mask = 0;

	while (*text) {
		size_t len = strcspn(text, " \t\n");
		int c = controller_by_name(v2_names, text, len);

		if (c >= 0)
			mask |= 1u << c;
		text += len;
		text += strspn(text, " \t\n");
	}
	return mask;
}

/* Decodes the octal escapes of a mountinfo field ("\040" for a space) in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

static void note_v1_mount(struct cgroup_mounts *m, bool *at_root, const char *mnt, bool root,
			  char *opts)
{
	char *opt;

	while ((opt = strsep(&opts, ","))) {
		int c = controller_by_name(v1_names, opt, strlen(opt));

		/* A bind mount of a sub-cgroup loses to the hierarchy's root. */
		if (c < 0 || (m->v1[c] && (at_root[c] || !root)))
			continue;
		free(m->v1[c]);
		m->v1[c] = xstrdup(mnt);
		at_root[c] = root;
	}
}

/* id parent major:minor root mount-point options [optional...] - type source super-options */
static bool parse_mountinfo_line(char *line, struct cgroup_mounts *m, bool *at_root)
{
	char *field[32], *tok;
	size_t n = 0, sep;

	while (n < ARRAY_SIZE(field) && (tok = strsep(&line, " ")))
		field[n++] = tok;
	for (sep = 6; sep < n && strcmp(field[sep], "-") != 0; sep++)
		;
	if (sep + 3 >= n)
		return false;
	unescape_octal(field[4]);
	if (strcmp(field[sep + 1], "cgroup2") == 0) {
		if (!m->unified || strcmp(field[4], CGROUP_ROOT) == 0) {
			free(m->unified);
			m->unified = xstrdup(field[4]);
		}
		return true;
	}
	if (strcmp(field[sep + 1], "cgroup") != 0)
		return false;
	note_v1_mount(m, at_root, field[4], strcmp(field[3], "/") == 0, field[sep + 3]);
	return true;
}

int cgroup_parse_mountinfo(const char *text, struct cgroup_mounts *m)
{
	bool at_root[CGROUP_CTRL__COUNT] = {false};
	int found = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");
		_cleanup_free_ char *line = xstrndup(text, len);

		if (parse_mountinfo_line(line, m, at_root))
			found++;
		text += len;
		if (*text)
			text++;
	}
	return found;
}

void cgroup_mounts_release(struct cgroup_mounts *m)
{
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++) {
		free(m->v1[c]);
		m->v1[c] = NULL;
	}
	free(m->unified);
	m->unified = NULL;
}

static struct cgroup_host host;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;

static void probe_v1(void)
{
	_cleanup_error_ struct berth_error *e = NULL;
	_cleanup_free_ char *text = fs_read_file("/proc/self/mountinfo", NULL, &e);

	host.version = CGROUP_V1;
	if (!text) {
		log_warn("cannot find the cgroup hierarchies: %s", e->msg);
		return;
	}
	cgroup_parse_mountinfo(text, &host.mounts);
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++)
		log_debug("cgroup v1 %s: %s", v1_names[c],
			  host.mounts.v1[c] ? host.mounts.v1[c] : "-");
}

/*
 * v2 mode is /sys/fs/cgroup itself being a cgroup2: a hybrid host's cgroup2
 * at /sys/fs/cgroup/unified offers (almost) no controllers and is not it.
 */
static void probe(void)
{
	struct statfs sfs;
	_cleanup_free_ char *ctl = NULL;

	if (statfs(CGROUP_ROOT, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		probe_v1();
		return;
	}
	host.version = CGROUP_V2;
	ctl = cgroup_read(CGROUP_ROOT, "cgroup.controllers", NULL);
	host.v2_available = ctl ? cgroup_parse_v2_controllers(ctl) : 0;
	log_debug("cgroup v2, controllers: %s", ctl ? ctl : "?");
}

const struct cgroup_host *cgroup_host_get(void)
{
	pthread_once(&host_once, probe);
	return &host;
}

enum cgroup_version cgroup_host_version(void)
{
	return cgroup_host_get()->version;
}

int cgroup_write(const char *dir, const char *file, const char *value, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

	return fs_write_string(path, value, err);
}

int cgroup_writef(const char *dir, const char *file, struct berth_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	va_list ap;

	va_start(ap, fmt);
	value = xvasprintf(fmt, ap);
	va_end(ap);
	return cgroup_write(dir, file, value, err);
}

char *cgroup_read(const char *dir, const char *file, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
	size_t len = 0;
	char *text = fs_read_file(path, &len, err);

	while (text && len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

bool cgroup_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, file);

	return fs_exists(path);
}

long long cgroup_read_key(const char *dir, const char *file, const char *key)
{
	_cleanup_free_ char *text = cgroup_read(dir, file, NULL);
	size_t klen = strlen(key);

	for (const char *line = text; line && *line;) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -1;
}

int cgroup_read_pids(const char *dir, pid_t **pids, size_t *n, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/cgroup.procs", dir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ pid_t *v = NULL;
	size_t cap = 0, len = 0;

	*pids = NULL;
	*n = 0;
	if (!f)
		return errno == ENOENT ? 0 : berth_error_set(err, errno, "open '%s'", path);
	while (getline(&line, &cap, f) > 0) {
		long pid = strtol(line, NULL, 10);

		if (pid <= 0)
			continue;
		v = xrealloc(v, (len + 1) * sizeof(*v));
		v[len++] = (pid_t)pid;
	}
	if (ferror(f))
		return berth_error_set(err, errno, "read '%s'", path);
	*pids = steal_ptr(&v);
	*n = len;
	return 0;
}

int cgroup_mkdir(const char *dir, bool *created, struct berth_error **err)
{
	*created = false;
	if (mkdir(dir, 0755) == 0) {
		*created = true;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno == ENOENT) {
		_cleanup_free_ char *parent = xstrndup(dir, strrchr(dir, '/') - dir);

		if (mkdir(parent, 0755) < 0 && errno != EEXIST)
			return berth_error_set(err, errno, "mkdir '%s'", parent);
		if (mkdir(dir, 0755) == 0) {
			*created = true;
			return 0;
		}
		if (errno == EEXIST)
			return 0;
	}
	return berth_error_set(err, errno, "mkdir '%s'", dir);
}

void cgroup_wait_init(struct cgroup_wait *w, unsigned timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, &w->deadline);
	w->deadline.tv_sec += timeout_ms / 1000;
	w->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (w->deadline.tv_nsec >= 1000000000L) {
		w->deadline.tv_sec++;
		w->deadline.tv_nsec -= 1000000000L;
	}
	w->delay_us = 50;
}

bool cgroup_wait_next(struct cgroup_wait *w)
{
	struct timespec now, delay;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec > w->deadline.tv_sec ||
	    (now.tv_sec == w->deadline.tv_sec && now.tv_nsec >= w->deadline.tv_nsec))
		return false;
	delay.tv_sec = 0;
	delay.tv_nsec = (long)w->delay_us * 1000L;
	nanosleep(&delay, NULL);
	if (w->delay_us < 10000)
		w->delay_us *= 2;
	return true;
}

static void kill_pids(const pid_t *pids, size_t n)
{
	pid_t self = getpid();

	for (size_t i = 0; i < n; i++) {
		if (pids[i] > 0 && pids[i] != self)
			kill(pids[i], SIGKILL);
	}
}

int cgroup_wait_empty(const char *dir, struct berth_error **err)
{
	struct cgroup_wait w;

	cgroup_wait_init(&w, 10000);
	for (;;) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n;

		if (cgroup_read_pids(dir, &pids, &n, err) < 0)
			return -1;
		if (n == 0)
			return 0;
		kill_pids(pids, n);
		if (!cgroup_wait_next(&w))
			return berth_error_set(err, EBUSY, "processes of cgroup '%s' did not exit",
					       dir);
	}
}

/* SIGKILL to every pid of every directory; false when there was none. */
static bool kill_once(struct cgroup *cg)
{
	bool any = false;

	for (size_t i = 0; i < cg->n_dirs; i++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n;

		if (cgroup_read_pids(cg->dirs[i], &pids, &n, NULL) == 0 && n > 0) {
			kill_pids(pids, n);
			any = true;
		}
	}
	return any;
}

int cgroup_kill_all(struct cgroup *cg, struct berth_error **err)
{
	bool frozen = false;

	/* Usually the container's init has exited and the cgroup is empty already. */
	if (!kill_once(cg))
		return 0;
	if (cg->where[CGROUP_CTRL_FREEZER] >= 0)
		frozen = cg->ops->freeze(cg, true, NULL) == 0;
	/* Again, frozen: what forked meanwhile cannot fork any more. */
	kill_once(cg);
	/* Frozen processes die of their SIGKILL once thawed. */
	if (frozen)
		cg->ops->freeze(cg, false, NULL);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (cgroup_wait_empty(cg->dirs[i], err) < 0)
			return -1;
	}
	return 0;
}

const char *cgroup_controller_dir(const struct cgroup *cg, enum cgroup_controller c)
{
	if (c >= CGROUP_CTRL__COUNT || cg->where[c] < 0)
		return NULL;
	return cg->dirs[cg->where[c]];
}

unsigned long long cgroup_shares_to_weight(unsigned long long shares)
{
	unsigned long long weight;

	if (shares < 2)
		return 1;
	weight = 1 + ((shares - 2) * 9999) / 262142;
	return weight > 10000 ? 10000 : weight;
}

int cgroup_limits_validate(const struct cgroup_limits *l, struct berth_error **err)
{
	if (l->memory < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid memory limit: %lld",
					l->memory);
	if (l->memory_swap < -1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid memoryswap limit: %lld",
					l->memory_swap);
	if (l->memory_swap > 0 && l->memory == 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"you should always set the memory limit when using "
					"memoryswap limit");
	if (l->memory_swap > 0 && l->memory_swap < l->memory)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"minimum memoryswap limit should be larger than memory "
					"limit");
	if (l->cpu_shares < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid cpu shares: %lld",
					l->cpu_shares);
	if (l->cpu_period_us < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid cpu period: %lld",
					l->cpu_period_us);
	return 0;
}

static int unavailable(struct berth_error **err, const char *what, enum cgroup_controller c)
{
	return berth_error_set(err, 0, "cannot set %s: the %s cgroup controller is not available",
			       what, v1_names[c]);
}

int cgroup_check_limits(const struct cgroup *cg, const struct cgroup_limits *l,
			struct berth_error **err)
{
	if (l->memory > 0 && cg->where[CGROUP_CTRL_MEMORY] < 0)
		return unavailable(err, "memory limit", CGROUP_CTRL_MEMORY);
	if (l->pids > 0 && cg->where[CGROUP_CTRL_PIDS] < 0)
		return unavailable(err, "pids limit", CGROUP_CTRL_PIDS);
	if (l->cpu_quota_us > 0 && cg->where[CGROUP_CTRL_CPU] < 0)
		return unavailable(err, "cpu quota", CGROUP_CTRL_CPU);
	if (l->cpu_shares > 0 && cg->where[CGROUP_CTRL_CPU] < 0)
		return unavailable(err, "cpu shares", CGROUP_CTRL_CPU);
	return 0;
}

/* A container id becomes a directory name: one path component, nothing else. */
static bool valid_id(const char *id)
{
	size_t len = strlen(id);

	return len > 0 && len <= 128 && !strchr(id, '/') && strcmp(id, ".") != 0 &&
	       strcmp(id, "..") != 0;
}

static struct cgroup *cgroup_new(const char *id, struct berth_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;

	if (!valid_id(id)) {
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid cgroup name '%s'", id);
		return NULL;
	}
	cg = xcalloc(1, sizeof(*cg));
	cg->ops = cgroup_host_version() == CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	cg->id = xstrdup(id);
	cg->path = xasprintf("/" CGROUP_PARENT "/%s", id);
	for (int c = 0; c < CGROUP_CTRL__COUNT; c++)
		cg->where[c] = -1;
	if (cg->ops->locate(cg, err) < 0)
		return NULL;
	return steal_ptr(&cg);
}

/* Undoes a failed cgroup_create(); a reused leftover is left as it was. */
static void create_rollback(struct cgroup *cg)
{
	_cleanup_error_ struct berth_error *e = NULL;

	if (cg->created && cgroup_destroy(cg, &e) < 0)
		log_warn("cannot remove cgroup '%s': %s", cg->path, e->msg);
}

struct cgroup *cgroup_create(const char *id, const struct cgroup_limits *limits,
			     struct berth_error **err)
{
	static const struct cgroup_limits none;
	_cleanup_(cgroup_freep) struct cgroup *cg = NULL;

	if (!limits)
		limits = &none;
	if (cgroup_limits_validate(limits, err) < 0)
		return NULL;
	cg = cgroup_new(id, err);
	if (!cg || cgroup_check_limits(cg, limits, err) < 0)
		return NULL;
	if (cg->ops->create(cg, err) < 0) {
		create_rollback(cg);
		berth_error_wrap(err, "cannot create cgroup '%s'", cg->path);
		return NULL;
	}
	/* Checked again: enabling a v2 controller for berth/ can still fail. */
	if (cgroup_check_limits(cg, limits, err) < 0 || cg->ops->set_limits(cg, limits, err) < 0) {
		create_rollback(cg);
		return NULL;
	}
	log_debug("cgroup '%s' %s (%s)", cg->path, cg->created ? "created" : "reused",
		  cg->ops->name);
	return steal_ptr(&cg);
}

struct cgroup *cgroup_open(const char *id, struct berth_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = cgroup_new(id, err);

	if (!cg)
		return NULL;
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (fs_exists(cg->dirs[i]))
			return steal_ptr(&cg);
	}
	berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "no such cgroup: '%s'", cg->path);
	return NULL;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct berth_error **err)
{
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (cgroup_writef(cg->dirs[i], "cgroup.procs", err, "%d", (int)pid) < 0)
			return berth_error_wrap(err, "cannot move process %d into cgroup '%s'",
						(int)pid, cg->path);
	}
	return 0;
}

int cgroup_join_fds(struct cgroup *cg, int *fds, size_t max, struct berth_error **err)
{
	size_t n = 0;

	if (cg->ops == &cgroup_v2_ops)
		return 0;
	for (size_t i = 0; i < cg->n_dirs && n < max; i++) {
		_cleanup_free_ char *path = xasprintf("%s/tasks", cg->dirs[i]);
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		if (fd < 0) {
			while (n > 0)
				close(fds[--n]);
			return berth_error_set(err, errno, "open '%s'", path);
		}
		fds[n++] = fd;
	}
	return (int)n;
}

int cgroup_join_self(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (write(fds[i], "0", 1) != 1)
			return -1;
	return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct berth_error **err)
{
	const char *verb = frozen ? "freeze" : "thaw";

	if (cg->where[CGROUP_CTRL_FREEZER] < 0)
		return berth_error_set(err, 0,
				       "cannot %s cgroup '%s': the freezer cgroup controller is "
				       "not available",
				       verb, cg->path);
	if (cg->ops->freeze(cg, frozen, err) < 0)
		return berth_error_wrap(err, "cannot %s cgroup '%s'", verb, cg->path);
	return 0;
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct berth_error **err)
{
	const char *dir = cgroup_controller_dir(cg, CGROUP_CTRL_PIDS);

	return cgroup_read_pids(dir ? dir : cg->dirs[0], pids, n, err);
}

bool cgroup_oom_killed(struct cgroup *cg)
{
	return cg->where[CGROUP_CTRL_MEMORY] >= 0 && cg->ops->oom_killed(cg);
}

static int remove_dir(const char *dir, struct berth_error **err)
{
	struct cgroup_wait w;

	/* The last exited process can keep a cgroup busy for a moment. */
	cgroup_wait_init(&w, 1000);
	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || !cgroup_wait_next(&w))
			return berth_error_set(err, errno, "rmdir '%s'", dir);
	}
	return 0;
}

int cgroup_kill(struct cgroup *cg, struct berth_error **err)
{
	return cg->ops->kill(cg, err);
}

int cgroup_destroy(struct cgroup *cg, struct berth_error **err)
{
	bool busy = false;

	/* Usually the container is gone already: then the folders just go. */
	for (size_t i = 0; i < cg->n_dirs; i++)
		busy |= rmdir(cg->dirs[i]) < 0 && errno != ENOENT;
	if (!busy)
		return 0;
	if (cg->ops->kill(cg, err) < 0)
		return berth_error_wrap(err, "cannot remove cgroup '%s'", cg->path);
	for (size_t i = 0; i < cg->n_dirs; i++) {
		if (remove_dir(cg->dirs[i], err) < 0)
			return berth_error_wrap(err, "cannot remove cgroup '%s'", cg->path);
	}
	return 0;
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path;
}

int cgroup_open_dirfd(struct cgroup *cg, struct berth_error **err)
{
	int fd;

	if (cg->ops != &cgroup_v2_ops)
		return berth_error_set(err, EOPNOTSUPP, "cannot open cgroup '%s' for clone3",
				       cg->path);
	fd = open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_set(err, errno, "open '%s'", cg->dirs[0]);
	return fd;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_dirs; i++)
		free(cg->dirs[i]);
	free(cg->path);
	free(cg->id);
	free(cg);
}
