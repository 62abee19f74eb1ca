/*
 * The embedded DNS of user networks, the engine's side: the hosts file of a
 * network (<runroot>/networks/<id>/hosts: each container holding an address
 * there, by name, short ID and aliases) and its berth-dns process (dns.c),
 * started while the network has containers and stopped with the last.
 */
#define LOG_DOMAIN "net"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/internal.h"
#include "net/net.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define DNS_PROGRAM "berth-dns"

static char *network_dir(struct store *s, const struct store_network *n)
{
	return xasprintf("%s/networks/%s", s->runroot, n->id);
}

/* "ADDRESS NAME SHORTID ALIAS..." of a container's lease on n. */
static void hosts_line(struct store *s, const struct store_network *n, const struct store_lease *l,
		       struct strbuf *sb)
{
	_cleanup_(store_container_freep) struct store_container *c =
		store_container_find(s, l->container_id, NULL);
	json_auto_t *config = NULL;
	json_t *aliases, *v;
	size_t i;

	if (!c)
		return;
	strbuf_addf(sb, "%s %s %.12s", l->address, c->name, c->id);
	config = c->config ? json_loads(c->config, 0, NULL) : NULL;
	aliases = json_object_get(
		json_object_get(json_object_get(json_object_get(config, "NetworkingConfig"),
						"EndpointsConfig"),
				n->name),
		"Aliases");
	json_array_foreach(aliases, i, v) if (json_is_string(v))
		strbuf_addf(sb, " %s", json_string_value(v));
	strbuf_addch(sb, '\n');
}

/* berth-dns beside our own program (berth, or the monitor). */
static char *dns_program(void)
{
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (len <= 0)
		return xstrdup(DNS_PROGRAM);
	self[len] = '\0';
	slash = strrchr(self, '/');
	return slash ? xasprintf("%.*s/" DNS_PROGRAM, (int)(slash - self), self)
		     : xstrdup(DNS_PROGRAM);
}

/* The pid of the berth-dns serving hosts (per its pidfile and command line), or 0. */
static pid_t dns_pid(const char *dir)
{
	_cleanup_free_ char *pidfile = xasprintf("%s/dns.pid", dir);
	_cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
	_cleanup_free_ char *text = fs_read_file(pidfile, NULL, NULL);
	_cleanup_free_ char *cmdline = NULL, *path = NULL;
	size_t len = 0;
	pid_t pid = text ? (pid_t)atoi(text) : 0;

	if (pid <= 0)
		return 0;
	path = xasprintf("/proc/%d/cmdline", (int)pid);
	cmdline = fs_read_file(path, &len, NULL);
	if (!cmdline)
		return 0;
	for (size_t off = 0; off < len; off += strlen(cmdline + off) + 1)
		if (!strcmp(cmdline + off, hosts))
			return pid;
	return 0;
}

/* The upstream resolvers: BERTH_DNS_UPSTREAM (spaces between), else the host's resolv.conf. */
static void push_upstreams(char ***argv)
{
	const char *env = getenv("BERTH_DNS_UPSTREAM");
	_cleanup_free_ char *text = NULL;

	if (env) {
		for (const char *p = env; *p;) {
			size_t len = strcspn(p, " ");
			_cleanup_free_ char *one = xstrndup(p, len);

			if (len) {
				strv_push(argv, "-u");
				strv_push(argv, one);
			}
			p += len + (p[len] == ' ');
		}
		return;
	}
	text = fs_read_file("/etc/resolv.conf", NULL, NULL);
	for (char *line = text, *next; line && *line; line = next) {
		char addr[64];

		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		if (sscanf(line, " nameserver %63s", addr) == 1 && !strchr(addr, ':')) {
			strv_push(argv, "-u");
			strv_push(argv, addr);
		}
	}
}

/* Starts berth-dns in a session of its own, not our child; waits until it listens. */
static int dns_start(const struct store_network *n, const char *dir, struct berth_error **err)
{
	_cleanup_free_ char *prog = dns_program();
	_cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
	_cleanup_free_ char *pidfile = xasprintf("%s/dns.pid", dir);
	_cleanup_free_ char *logfile = xasprintf("%s/dns.log", dir);
	_cleanup_strv_ char **argv = NULL;
	pid_t pid;
	int status;

	strv_push(&argv, DNS_PROGRAM);
	strv_push(&argv, "-l");
	strv_push(&argv, n->gateway);
	strv_push(&argv, "-H");
	strv_push(&argv, hosts);
	strv_push(&argv, "-p");
	strv_push(&argv, pidfile);
	push_upstreams(&argv);
	unlink(pidfile);
	pid = fork();
	if (pid < 0)
		return berth_error_set(err, errno, "fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		setsid();
		if (fork() != 0)
			_exit(0);
		if (null >= 0)
			dup2(null, 0), dup2(null, 1);
		if (log >= 0)
			dup2(log, 2);
		signal(SIGPIPE, SIG_DFL);
		execv(prog, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (int i = 0; i < 200; i++) {
		struct timespec t = {0, 5 * 1000 * 1000};

		if (dns_pid(dir) > 0)
			return 0;
		nanosleep(&t, NULL);
	}
	return berth_error_set(err, 0, "%s did not start (see '%s')", DNS_PROGRAM, logfile);
}

static void dns_kill(const char *dir)
{
	_cleanup_free_ char *pidfile = xasprintf("%s/dns.pid", dir);
	pid_t pid = dns_pid(dir);

	if (pid > 0)
		kill(pid, SIGTERM);
	unlink(pidfile);
}

static void dns_stop(struct store *s, const struct store_network *n)
{
	_cleanup_free_ char *dir = network_dir(s, n);

	dns_kill(dir);
	fs_rm_rf(dir, NULL);
}

/*
 * The network's lock (a file beside its run folder, which goes and comes):
 * containers starting and stopping at once update its hosts file and its
 * DNS one after the other. -1 when it cannot be taken (then unlocked).
 */
static int lock_network(struct store *s, const struct store_network *n)
{
	_cleanup_free_ char *dir = xasprintf("%s/networks", s->runroot);
	_cleanup_free_ char *path = xasprintf("%s/%s.lock", dir, n->id);
	int fd;

	if (fs_mkdir_p(dir, 0700, NULL) < 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0)
		log_debug("flock '%s': %s", path, strerror(errno));
	return fd;
}

int net_dns_update(struct store *s, const struct store_network *n, const char *leaving_id,
		   struct berth_error **err)
{
	_cleanup_free_ char *dir = network_dir(s, n);
	_cleanup_free_ char *hosts = xasprintf("%s/hosts", dir);
	_cleanup_close_ int lock = -EBADF;
	struct store_lease **leases = NULL;
	struct strbuf sb = STRBUF_INIT;
	bool any = false;
	int r = 0;

	if (!strcmp(n->name, NET_DEFAULT_NAME))
		return 0;
	lock = lock_network(s, n);
	if (store_lease_list(s, n->id, NULL, &leases, err) < 0)
		return -1;
	for (size_t i = 0; leases[i]; i++) {
		if (leaving_id && !strcmp(leases[i]->container_id, leaving_id))
			continue;
		hosts_line(s, n, leases[i], &sb);
		any = true;
	}
	store_lease_list_free(leases);
	if (!any) {
		dns_stop(s, n);
		goto out;
	}
	if (fs_mkdir_p(dir, 0700, err) < 0 ||
	    fs_write_atomic(hosts, sb.buf ? sb.buf : "", sb.len, 0644, err) < 0) {
		r = -1;
		goto out;
	}
	if (dns_pid(dir) == 0)
		r = dns_start(n, dir, err);
out:
	strbuf_release(&sb);
	return r < 0 ? berth_error_wrap(err, "the DNS of network %s", n->name) : 0;
}

void net_dns_stop(struct store *s, const struct store_network *n)
{
	_cleanup_free_ char *path = xasprintf("%s/networks/%s.lock", s->runroot, n->id);
	_cleanup_close_ int lock = lock_network(s, n);

	dns_stop(s, n);
	unlink(path);
}

char *net_dns_resolv_conf(const struct store_network *n)
{
	_cleanup_free_ char *host = fs_read_file("/etc/resolv.conf", NULL, NULL);
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "nameserver %s\n", n->gateway);
	for (char *line = host, *next; line && *line; line = next) {
		size_t len = strcspn(line, "\n");

		next = line + len + (line[len] == '\n');
		if (str_has_prefix(line, "search") || str_has_prefix(line, "options"))
			strbuf_add(&sb, line, (size_t)(next - line));
	}
	return strbuf_detach(&sb);
}
