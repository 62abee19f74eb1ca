#define LOG_DOMAIN "ports"
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "net/nft.h"
#include "net/ports.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"

#define PROXY_PROGRAM "berth-proxy"

static const char *const proto_names[] = {"tcp", "udp", "sctp"};

const char *net_ports_proto_name(enum net_ports_proto p)
{
	return proto_names[p];
}

static int proto_parse(const char *s, enum net_ports_proto *p)
{
	for (size_t i = 0; i < ARRAY_SIZE(proto_names); i++)
		if (strcasecmp(s, proto_names[i]) == 0) {
			*p = (enum net_ports_proto)i;
			return 0;
		}
	return -1;
}

/* ---------------------------------------------------------------- -p and --expose */

/*
 * Go's strconv.ParseUint(s, 10, 16): digits only; the reason in Go's words
 * on failure ("invalid syntax", "value out of range").
 */
static const char *parse_u16(const char *s, size_t len, unsigned *out)
{
	unsigned long v = 0;

	if (len == 0)
		return "invalid syntax";
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return "invalid syntax";
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return "value out of range";
	*out = (unsigned)v;
	return NULL;
}

/*
 * go-connections' ParsePortRange: "80" or "8000-8010" (what follows a second
 * '-' is ignored, as there). Returns NULL, or why not in Go's words.
 */
static char *parse_range(const char *s, unsigned *first, unsigned *last)
{
	const char *dash = strchr(s, '-'), *end;
	const char *why;

	if (!*s)
		return xstrdup("empty string specified for ports");
	if (!dash) {
		why = parse_u16(s, strlen(s), first);
		*last = *first;
		return why ? xasprintf("strconv.ParseUint: parsing \"%s\": %s", s, why) : NULL;
	}
	why = parse_u16(s, (size_t)(dash - s), first);
	if (why)
		return xasprintf("strconv.ParseUint: parsing \"%.*s\": %s", (int)(dash - s), s,
				 why);
	end = strchrnul(dash + 1, '-');
	why = parse_u16(dash + 1, (size_t)(end - dash - 1), last);
	if (why)
		return xasprintf("strconv.ParseUint: parsing \"%.*s\": %s", (int)(end - dash - 1),
				 dash + 1, why);
	if (*last < *first)
		return xasprintf("invalid range specified for port: %s", s);
	return NULL;
}

/* The three parts of [ip:][hostport:]ctrport as go-connections splits them. */
static void split_parts(const char *raw, char **ip, char **host, char **ctr)
{
	const char *last = strrchr(raw, ':'), *prev;

	if (!last) {
		*ip = xstrdup("");
		*host = xstrdup("");
		*ctr = xstrdup(raw);
		return;
	}
	*ctr = xstrdup(last + 1);
	for (prev = last; prev > raw && prev[-1] != ':'; prev--)
		;
	*host = xstrndup(prev, (size_t)(last - prev));
	*ip = prev > raw ? xstrndup(raw, (size_t)(prev - 1 - raw)) : xstrdup("");
}

/* The host address of a spec: "" or IPv4; brackets stripped; IPv6 refused for now. */
static int check_ip(const char *raw, char **ip, struct berth_error **err)
{
	struct in6_addr a6;
	struct in_addr a4;

	if ((*ip)[0] == '[') {
		size_t len = strlen(*ip);
		if (len < 2 || (*ip)[len - 1] != ']' || memchr(*ip + 1, ']', len - 2))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"invalid IP address %s: address %s:: missing port "
						"in address",
						*ip, *ip);
		memmove(*ip, *ip + 1, len - 2);
		(*ip)[len - 2] = '\0';
	}
	if (!**ip || inet_pton(AF_INET, *ip, &a4) == 1)
		return 0;
	if (inet_pton(AF_INET6, *ip, &a6) == 1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"cannot publish '%s': IPv6 host addresses are not "
					"supported",
					raw);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid IP address: %s", *ip);
}

static void add_binding(json_t *bindings, const char *key, const char *ip, const char *host)
{
	json_t *a = json_object_get(bindings, key);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(bindings, key, a);
	}
	json_array_append_new(a, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", host));
}

struct spec {
	char *ip, *host, *ctr;
	unsigned first, last, host_first, host_last;
	enum net_ports_proto proto;
};

static void spec_release(struct spec *s)
{
	free(s->ip);
	free(s->host);
	free(s->ctr);
}

/* go-connections' ParsePortSpec, its checks in its order. */
static int parse_spec(const char *raw, struct spec *s, struct berth_error **err)
{
	char *slash, *why;

	split_parts(raw, &s->ip, &s->host, &s->ctr);
	slash = strchr(s->ctr, '/');
	if (slash)
		*slash++ = '\0';
	if (!*s->ctr)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "no port specified: %s<empty>",
					raw);
	if (slash && *slash && proto_parse(slash, &s->proto) < 0) {
		_cleanup_free_ char *lower = xstrdup(slash);
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid proto: %s", lower);
	}
	if (check_ip(raw, &s->ip, err) < 0)
		return -1;
	why = parse_range(s->ctr, &s->first, &s->last);
	/* port 0 passes Docker's parser, to fail later: here at once */
	if (why || s->first == 0) {
		free(why);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid containerPort: %s",
					s->ctr);
	}
	if (!*s->host)
		return 0;
	why = parse_range(s->host, &s->host_first, &s->host_last);
	if (why) {
		free(why);
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid hostPort: %s", s->host);
	}
	/* a host range for one container port: the first free one of it */
	if (s->last - s->first != s->host_last - s->host_first && s->last != s->first)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid ranges specified for container and host Ports: "
					"%s and %s",
					s->ctr, s->host);
	return 0;
}

int net_ports_parse_publish(const char *raw, json_t *exposed, json_t *bindings,
			    struct berth_error **err)
{
	struct spec s = {.proto = NET_PORTS_TCP};
	unsigned count;

	if (parse_spec(raw, &s, err) < 0) {
		spec_release(&s);
		return -1;
	}
	count = s.last - s.first + 1;
	for (unsigned i = 0; i < count; i++) {
		char key[24], host[16] = "";
		snprintf(key, sizeof(key), "%u/%s", s.first + i, proto_names[s.proto]);
		if (*s.host && count == 1 && s.host_first != s.host_last)
			snprintf(host, sizeof(host), "%u-%u", s.host_first, s.host_last);
		else if (*s.host)
			snprintf(host, sizeof(host), "%u", s.host_first + i);
		json_object_set_new(exposed, key, json_object());
		add_binding(bindings, key, s.ip, host);
	}
	spec_release(&s);
	return 0;
}

int net_ports_parse_expose(const char *raw, json_t *exposed, struct berth_error **err)
{
	_cleanup_free_ char *port = xstrdup(raw), *why = NULL;
	const char *proto = "tcp";
	char *slash;
	unsigned first, last;

	if (strchr(raw, ':'))
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid port format for --expose: %s", raw);
	slash = strchr(port, '/');
	if (slash) {
		*slash = '\0';
		if (slash[1])
			proto = slash + 1;
	}
	why = parse_range(port, &first, &last);
	if (why)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"invalid range format for --expose: %s, error: %s", raw,
					why);
	for (unsigned p = first; p <= last; p++) {
		_cleanup_free_ char *key = xasprintf("%u/%s", p, proto);
		json_object_set_new(exposed, key, json_object());
	}
	return 0;
}

/* ---------------------------------------------------------------- resolving and binding */

/* "80/tcp" */
static int parse_key(const char *key, uint16_t *port, enum net_ports_proto *proto)
{
	const char *slash = strchr(key, '/');
	unsigned p;

	*proto = NET_PORTS_TCP;
	if (parse_u16(key, slash ? (size_t)(slash - key) : strlen(key), &p) || p == 0 ||
	    (slash && proto_parse(slash + 1, proto) < 0))
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* Docker's ephemeral range: the kernel's ip_local_port_range. */
static void ephemeral_range(uint16_t *first, uint16_t *last)
{
	_cleanup_free_ char *text =
		fs_read_file("/proc/sys/net/ipv4/ip_local_port_range", NULL, NULL);
	unsigned a, b;

	*first = NET_PORTS_EPHEMERAL_FIRST;
	*last = NET_PORTS_EPHEMERAL_LAST;
	if (text && sscanf(text, "%u %u", &a, &b) == 2 && a > 0 && a <= b && b <= 65535) {
		*first = (uint16_t)a;
		*last = (uint16_t)b;
	}
}

/* The mappings being resolved. */
struct mappings {
	struct net_ports_mapping *v;
	size_t n, alloc;
	uint16_t eph_first, eph_last; /* read once */
};

static int add_mapping(struct mappings *ms, const char *key, const char *ip, const char *host,
		       struct berth_error **err)
{
	struct net_ports_mapping m = {0};
	unsigned first, last;
	_cleanup_free_ char *why = NULL;

	if (parse_key(key, &m.ctr_port, &m.proto) < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid port '%s'", key);
	if (ip && *ip && inet_pton(AF_INET, ip, &m.host_ip) != 1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"cannot publish %s on '%s': not an IPv4 address", key, ip);
	if (!host || !*host) {
		if (!ms->eph_first)
			ephemeral_range(&ms->eph_first, &ms->eph_last);
		m.host_first = ms->eph_first;
		m.host_last = ms->eph_last;
	} else if ((why = parse_range(host, &first, &last))) {
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid hostPort: %s", host);
	} else {
		m.host_first = (uint16_t)first;
		m.host_last = (uint16_t)last;
	}
	if (ms->n == ms->alloc) {
		ms->alloc = ms->alloc ? 2 * ms->alloc : 8;
		ms->v = xrealloc(ms->v, ms->alloc * sizeof(*ms->v));
	}
	ms->v[ms->n++] = m;
	return 0;
}

static int mapping_cmp(const void *pa, const void *pb)
{
	const struct net_ports_mapping *a = pa, *b = pb;

	if (a->ctr_port != b->ctr_port)
		return a->ctr_port < b->ctr_port ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->host_ip.s_addr != b->host_ip.s_addr)
		return ntohl(a->host_ip.s_addr) < ntohl(b->host_ip.s_addr) ? -1 : 1;
	return a->host_first < b->host_first ? -1 : a->host_first > b->host_first;
}

int net_ports_resolve(const json_t *config, struct net_ports_mapping **out, size_t *n,
		      struct berth_error **err)
{
	const json_t *hc = json_object_get(config, "HostConfig");
	const json_t *bindings = json_object_get(hc, "PortBindings");
	const json_t *exposed = json_object_get(json_object_get(config, "Config"), "ExposedPorts");
	bool all = json_is_true(json_object_get(hc, "PublishAllPorts"));
	struct mappings ms = {0};
	const char *key;
	const json_t *v, *b;
	size_t i;

	json_object_foreach((json_t *)bindings, key, v)
	{
		json_array_foreach(v, i, b)
		{
			if (add_mapping(&ms, key, json_get_str(b, "HostIp"),
					json_get_str(b, "HostPort"), err) < 0)
				goto fail;
		}
	}
	json_object_foreach((json_t *)exposed, key, v)
	{
		uint16_t port;
		enum net_ports_proto proto;
		/* an image's odd EXPOSE (port 0) is no reason to fail a start */
		if (all && json_array_size(json_object_get(bindings, key)) == 0 &&
		    parse_key(key, &port, &proto) == 0 &&
		    add_mapping(&ms, key, NULL, NULL, err) < 0)
			goto fail;
	}
	/* a stable order: ephemeral ports are handed out in it */
	if (ms.n)
		sort_array(ms.v, ms.n, sizeof(*ms.v), mapping_cmp);
	*out = ms.v;
	*n = ms.n;
	return 0;
fail:
	free(ms.v);
	*out = NULL;
	*n = 0;
	return -1;
}

static const int sock_types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM};
static const int sock_protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};

/* A socket bound to ip:port, listening for a stream; -1 with errno. */
static int bind_one(enum net_ports_proto proto, struct in_addr ip, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = ip, .sin_port = htons(port)};
	int one = 1, e;
	int fd = socket(AF_INET, sock_types[proto] | SOCK_CLOEXEC | SOCK_NONBLOCK,
			sock_protos[proto]);

	if (fd < 0)
		return -1;
	/* connections of a previous container in TIME_WAIT do not hold the port */
	if (sock_types[proto] == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    (sock_types[proto] != SOCK_STREAM || listen(fd, SOMAXCONN) == 0))
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

/* Go's lowercase strerror, as Docker's proxy errors print it. */
static void go_strerror(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

/*
 * Binds m's host port: the fixed one, or the first free one of its range from
 * *cursor on (where the last mapping of this start found one: those below are
 * taken), wrapping around.
 */
static int bind_mapping(struct net_ports_mapping *m, int *fd, unsigned *cursor,
			struct berth_error **err)
{
	char ip[INET_ADDRSTRLEN], range[16], why[128];
	bool ephemeral = m->host_first != m->host_last;
	unsigned span = (unsigned)m->host_last - m->host_first + 1;
	unsigned start =
		*cursor > m->host_first && *cursor <= m->host_last ? *cursor : m->host_first;

	inet_ntop(AF_INET, &m->host_ip, ip, sizeof(ip));
	for (unsigned k = 0; k < span; k++) {
		unsigned p = m->host_first + (start - m->host_first + k) % span;
		*fd = bind_one(m->proto, m->host_ip, (uint16_t)p);
		if (*fd >= 0) {
			m->host_port = (uint16_t)p;
			*cursor = p + 1;
			return 0;
		}
		if (errno != EADDRINUSE)
			break;
	}
	if (errno == EADDRINUSE && ephemeral)
		snprintf(range, sizeof(range), "%u-%u", m->host_first, m->host_last);
	else
		snprintf(range, sizeof(range), "%u", m->host_first);
	if (errno == EADDRINUSE)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Bind for %s:%s failed: port is already allocated", ip,
					range);
	go_strerror(errno, why, sizeof(why));
	return berth_error_set(err, 0, "Error starting userland proxy: listen %s4 %s:%s: bind: %s",
			       proto_names[m->proto], ip, range, why);
}

int net_ports_bind(struct net_ports_mapping *m, size_t n, int *fds, struct berth_error **err)
{
	unsigned cursor[ARRAY_SIZE(proto_names)] = {0};

	for (size_t i = 0; i < n; i++)
		fds[i] = -1;
	for (size_t i = 0; i < n; i++) {
		if (bind_mapping(&m[i], &fds[i], &cursor[m[i].proto], err) == 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			close(fds[j]);
			fds[j] = -1;
		}
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the proxy */

/* berth-proxy beside our own program (berth, or the monitor's). */
static char *proxy_program(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return xstrdup(PROXY_PROGRAM);
	self[n] = '\0';
	slash = strrchr(self, '/');
	return slash ? xasprintf("%.*s/" PROXY_PROGRAM, (int)(slash - self), self)
		     : xstrdup(PROXY_PROGRAM);
}

static char **proxy_argv(const struct net_ports_proxy_opts *o, const struct net_ports_mapping *m,
			 size_t n)
{
	char to[INET_ADDRSTRLEN];
	char **argv = xcalloc(1, sizeof(char *));

	inet_ntop(AF_INET, &o->target, to, sizeof(to));
	strv_push(&argv, PROXY_PROGRAM);
	if (o->rundir) {
		strv_push(&argv, "-r");
		strv_push(&argv, o->rundir);
	}
	for (size_t i = 0; i < n; i++) {
		strv_push(&argv, "-f");
		strv_push_take(&argv, xasprintf("%zu/%s=%s:%u", 3 + i, proto_names[m[i].proto], to,
						m[i].ctr_port));
	}
	return argv;
}

static int stdio_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return -1;
	return 0;
}

/* In the child: the sockets as fds 3.., default signals, then the proxy. */
static _noreturn_ void exec_proxy(const struct net_ports_proxy_opts *o, const char *program,
				  char **argv, const int *fds, size_t n, pid_t parent, int report)
{
	sigset_t none;
	int e;

	if (o->die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(1);
	/* above every target number first, so that no dup2 clobbers a source */
	for (size_t i = 0; i < n; i++) {
		int fd = fcntl(fds[i], F_DUPFD_CLOEXEC, (int)(3 + n + 1));
		if (fd < 0 || dup2(fd, (int)(3 + i)) < 0)
			goto fail;
	}
	/* nothing of our caller's terminal or pipes: a pipe held open would keep its reader waiting */
	if (stdio_null() < 0)
		goto fail;
	/* the monitor blocks SIGCHLD and ignores SIGPIPE, SIGINT, SIGHUP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	execv(program, argv);
fail:
	e = errno;
	fs_write_all(report, &e, sizeof(e));
	_exit(127);
}

static int write_pid_file(const char *rundir, pid_t pid, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/proxy.pid", rundir);
	_cleanup_free_ char *text = xasprintf("%d\n", (int)pid);

	return fs_write_atomic(path, text, strlen(text), 0644, err);
}

pid_t net_ports_start_proxy(const struct net_ports_proxy_opts *o, const struct net_ports_mapping *m,
			    const int *fds, size_t n, struct berth_error **err)
{
	_cleanup_free_ char *program = o->program ? xstrdup(o->program) : proxy_program();
	_cleanup_strv_ char **argv = proxy_argv(o, m, n);
	pid_t parent = getpid(), pid;
	int report[2], e = 0;
	ssize_t r;

	if (pipe2(report, O_CLOEXEC) < 0)
		return berth_error_set(err, errno, "pipe");
	pid = fork();
	if (pid == 0)
		exec_proxy(o, program, argv, fds, n, parent, report[1]);
	close(report[1]);
	if (pid < 0) {
		close(report[0]);
		return berth_error_set(err, errno, "fork " PROXY_PROGRAM);
	}
	/* the exec closes the pipe: no report, the proxy runs */
	do
		r = read(report[0], &e, sizeof(e));
	while (r < 0 && errno == EINTR);
	close(report[0]);
	if (r > 0) {
		net_ports_stop_proxy(pid);
		return berth_error_set(err, e, "cannot run '%s'", program);
	}
	if (o->rundir && write_pid_file(o->rundir, pid, err) < 0) {
		net_ports_stop_proxy(pid);
		return -1;
	}
	log_debug("%s started as %d", program, (int)pid);
	return pid;
}

void net_ports_stop_proxy(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Is pid a berth-proxy serving rundir? (A pid may have been reused since.) */
static bool is_proxy_of(pid_t pid, const char *rundir)
{
	char path[64];
	size_t len;
	_cleanup_free_ char *cmdline = NULL;
	const char *base;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	cmdline = fs_read_file(path, &len, NULL);
	if (!cmdline || !len)
		return false;
	base = strrchr(cmdline, '/');
	base = base ? base + 1 : cmdline;
	if (strcmp(base, PROXY_PROGRAM) != 0)
		return false;
	for (size_t off = strlen(cmdline) + 1; off < len; off += strlen(cmdline + off) + 1)
		if (strcmp(cmdline + off, rundir) == 0)
			return true;
	return false;
}

void net_ports_kill_proxy(const char *rundir)
{
	_cleanup_free_ char *path = xasprintf("%s/proxy.pid", rundir);
	_cleanup_free_ char *text = fs_read_file(path, NULL, NULL);
	struct timespec pause = {0, 5 * 1000 * 1000};
	int pid = text ? atoi(text) : 0;

	if (pid > 0 && is_proxy_of(pid, rundir)) {
		kill(pid, SIGKILL);
		/*
		 * Gone, with its sockets, before we return: ours to reap when we
		 * started it (a restart publishes the same ports again), else its
		 * parent's or init's; a zombie has no command line. At most 1 s.
		 */
		if (waitpid(pid, NULL, 0) < 0)
			for (int i = 0; i < 200 && is_proxy_of(pid, rundir); i++)
				nanosleep(&pause, NULL);
	}
	unlink(path);
}

/* ---------------------------------------------------------------- publish */

/* NetworkSettings.Ports: exposed ports null, published ones their bindings. */
static json_t *settings_ports(const json_t *config, const struct net_ports_mapping *m, size_t n)
{
	const json_t *exposed = json_object_get(json_object_get(config, "Config"), "ExposedPorts");
	json_t *ports = json_object(), *v;
	const char *key;

	json_object_foreach((json_t *)exposed, key, v)
	{
		json_object_set_new(ports, key, json_null());
	}
	for (size_t i = 0; i < n; i++) {
		char k[24], ip[INET_ADDRSTRLEN], port[8];
		json_t *a;
		snprintf(k, sizeof(k), "%u/%s", m[i].ctr_port, proto_names[m[i].proto]);
		snprintf(port, sizeof(port), "%u", m[i].host_port);
		inet_ntop(AF_INET, &m[i].host_ip, ip, sizeof(ip));
		a = json_object_get(ports, k);
		if (!json_is_array(a)) {
			a = json_array();
			json_object_set_new(ports, k, a);
		}
		json_array_append_new(a, json_pack("{s:s, s:s}", "HostIp", ip, "HostPort", port));
	}
	return ports;
}

static int write_ports(const char *rundir, const json_t *ports, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/ports", rundir);
	_cleanup_free_ char *text = json_compact(ports);

	return fs_write_atomic(path, text, strlen(text), 0644, err);
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/*
 * The proxy starts before the rules are added: its pid file marks that the
 * container may have rules, for net_ports_unpublish() (and the reconcile after
 * a crash) to look for them only then.
 */
pid_t net_ports_publish(const struct net_ports_target *t, const json_t *config,
			struct berth_error **err)
{
	_cleanup_free_ struct net_ports_mapping *m = NULL;
	_cleanup_free_ int *fds = NULL;
	json_auto_t *ports = NULL;
	size_t n;
	pid_t pid = 0;

	if (net_ports_resolve(config, &m, &n, err) < 0)
		return -1;
	fds = xcalloc(n + 1, sizeof(int));
	if (net_ports_bind(m, n, fds, err) < 0)
		return -1;
	if (n) {
		struct net_ports_proxy_opts po = {.program = t->proxy_program,
						  .rundir = t->rundir,
						  .target = t->addr,
						  .die_with_parent = t->die_with_parent};
		pid = net_ports_start_proxy(&po, m, fds, n, err);
	}
	close_all(fds, n);
	if (pid < 0)
		return -1;
	ports = settings_ports(config, m, n);
	if ((n && net_nft_ports_add(t->id, t->addr, t->bridge, t->rundir, m, n, err) < 0) ||
	    write_ports(t->rundir, ports, err) < 0) {
		net_ports_unpublish(t->id, t->rundir, pid, NULL);
		return -1;
	}
	return pid;
}

int net_ports_unpublish(const char *id, const char *rundir, pid_t proxy_pid,
			struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/ports", rundir);
	_cleanup_free_ char *pidfile = xasprintf("%s/proxy.pid", rundir);
	/* no proxy, no rules: a container without published ports costs no nft call */
	bool had = proxy_pid > 0 || fs_exists(pidfile);

	if (proxy_pid > 0) {
		net_ports_stop_proxy(proxy_pid);
		unlink(pidfile);
	} else {
		net_ports_kill_proxy(rundir);
	}
	unlink(path);
	return had ? net_nft_ports_remove(id, err) : 0;
}

json_t *net_ports_read(const char *rundir)
{
	_cleanup_free_ char *path = xasprintf("%s/ports", rundir);
	size_t len;
	_cleanup_free_ char *text = fs_read_file(path, &len, NULL);
	json_t *ports = text ? json_loadb(text, len, 0, NULL) : NULL;

	if (json_is_object(ports))
		return ports;
	json_decref(ports);
	return json_object();
}

/* ---------------------------------------------------------------- ps and port */

/* One row of the container list's Ports, as Docker's API gives them. */
struct port_row {
	bool has_ip;
	struct in_addr ip;
	unsigned private_port, public_port;
	const char *type;
};

static int row_cmp(const void *pa, const void *pb)
{
	const struct port_row *a = pa, *b = pb;

	if (a->private_port != b->private_port)
		return a->private_port < b->private_port ? -1 : 1;
	if (a->has_ip != b->has_ip)
		return a->has_ip ? 1 : -1;
	if (a->has_ip && a->ip.s_addr != b->ip.s_addr)
		return ntohl(a->ip.s_addr) < ntohl(b->ip.s_addr) ? -1 : 1;
	if (a->public_port != b->public_port)
		return a->public_port < b->public_port ? -1 : 1;
	return strcmp(a->type, b->type);
}

static struct port_row *port_rows(const json_t *ports, size_t *n)
{
	struct port_row *rows = NULL;
	const char *key;
	const json_t *v, *b;
	size_t i;

	*n = 0;
	json_object_foreach((json_t *)ports, key, v)
	{
		const char *slash = strchr(key, '/');
		struct port_row r = {.type = slash ? slash + 1 : "tcp",
				     .private_port = (unsigned)atoi(key)};
		if (json_array_size(v) == 0) {
			rows = xrealloc(rows, (*n + 1) * sizeof(*rows));
			rows[(*n)++] = r;
		}
		json_array_foreach(v, i, b)
		{
			r.has_ip = inet_pton(AF_INET, json_get_str(b, "HostIp") ?: "", &r.ip) == 1;
			r.public_port = (unsigned)atoi(json_get_str(b, "HostPort") ?: "0");
			rows = xrealloc(rows, (*n + 1) * sizeof(*rows));
			rows[(*n)++] = r;
		}
	}
	if (*n)
		sort_array(rows, *n, sizeof(*rows), row_cmp);
	return rows;
}

struct port_group {
	char key[32]; /* "tcp" or "0.0.0.0/tcp" */
	unsigned first, last;
};

static void form_group(struct strbuf *sb, const struct port_group *g)
{
	const char *slash = strchr(g->key, '/');
	char range[16];

	if (g->first == g->last)
		snprintf(range, sizeof(range), "%u", g->first);
	else
		snprintf(range, sizeof(range), "%u-%u", g->first, g->last);
	strbuf_addstr(sb, sb->len ? ", " : "");
	if (slash)
		strbuf_addf(sb, "%.*s:%s->%s%s", (int)(slash - g->key), g->key, range, range,
			    slash);
	else
		strbuf_addf(sb, "%s/%s", range, g->key);
}

/* Docker CLI's DisplayablePorts, quirks and all (a group broken by a gap is printed early). */
char *net_ports_format_ps(const json_t *ports)
{
	size_t n, n_groups = 0;
	_cleanup_free_ struct port_row *rows = port_rows(ports, &n);
	_cleanup_free_ struct port_group *groups = xcalloc(n + 1, sizeof(*groups));
	struct strbuf sb = STRBUF_INIT, mappings = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const struct port_row *r = &rows[i];
		char key[32], ip[INET_ADDRSTRLEN];
		struct port_group *g = NULL;

		if (r->has_ip)
			inet_ntop(AF_INET, &r->ip, ip, sizeof(ip));
		if (r->has_ip && r->public_port != r->private_port) {
			strbuf_addf(&mappings, "%s%s:%u->%u/%s", mappings.len ? ", " : "", ip,
				    r->public_port, r->private_port, r->type);
			continue;
		}
		if (r->has_ip)
			snprintf(key, sizeof(key), "%s/%s", ip, r->type);
		else
			snprintf(key, sizeof(key), "%s", r->type);
		for (size_t j = 0; j < n_groups && !g; j++)
			if (!strcmp(groups[j].key, key))
				g = &groups[j];
		if (!g) {
			g = &groups[n_groups++];
			snprintf(g->key, sizeof(g->key), "%s", key);
			g->first = g->last = r->private_port;
			continue;
		}
		if (r->private_port == g->last + 1) {
			g->last = r->private_port;
			continue;
		}
		form_group(&sb, g);
		g->first = g->last = r->private_port;
	}
	for (size_t j = 0; j < n_groups; j++)
		form_group(&sb, &groups[j]);
	if (mappings.len)
		strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", mappings.buf);
	strbuf_release(&mappings);
	return strbuf_detach(&sb);
}

/* sortorder.NaturalLess: digit runs compare as numbers. */
static int natural_cmp(const void *pa, const void *pb)
{
	const char *a = *(char *const *)pa, *b = *(char *const *)pb;

	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			const char *da = a, *db = b;
			size_t la, lb;
			while (*da == '0')
				da++;
			while (*db == '0')
				db++;
			for (la = 0; isdigit((unsigned char)da[la]); la++)
				;
			for (lb = 0; isdigit((unsigned char)db[lb]); lb++)
				;
			if (la != lb)
				return la < lb ? -1 : 1;
			int c = strncmp(da, db, la);
			if (c)
				return c;
			a = da + la;
			b = db + lb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static char *join_sorted(char **lines)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strv_len(lines);

	if (n)
		sort_array(lines, n, sizeof(char *), natural_cmp);
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s\n", lines[i]);
	return strbuf_detach(&sb);
}

/* net.JoinHostPort */
static char *host_port(const json_t *b)
{
	const char *ip = json_get_str(b, "HostIp") ?: "";

	return xasprintf(strchr(ip, ':') ? "[%s]:%s" : "%s:%s", ip,
			 json_get_str(b, "HostPort") ?: "");
}

char *net_ports_format_port(const json_t *ports, const char *private_port, const char *name,
			    struct berth_error **err)
{
	_cleanup_strv_ char **lines = xcalloc(1, sizeof(char *));
	_cleanup_free_ char *key = NULL;
	const char *k, *slash;
	const json_t *v, *b;
	size_t i;
	unsigned p;

	if (!private_port) {
		json_object_foreach((json_t *)ports, k, v)
		{
			json_array_foreach(v, i, b)
			{
				_cleanup_free_ char *hp = host_port(b);
				strv_push_take(&lines, xasprintf("%s -> %s", k, hp));
			}
		}
		return join_sorted(lines);
	}
	slash = strchr(private_port, '/');
	if (parse_u16(private_port, slash ? (size_t)(slash - private_port) : strlen(private_port),
		      &p)) {
		berth_error_setk(
			err, BERTH_ERR_INVALID, 0, "Error: invalid port (%.*s)",
			(int)(slash ? (size_t)(slash - private_port) : strlen(private_port)),
			private_port);
		return NULL;
	}
	key = xasprintf("%.*s/%s",
			(int)(slash ? (size_t)(slash - private_port) : strlen(private_port)),
			private_port, slash && slash[1] ? slash + 1 : "tcp");
	v = json_object_get(ports, key);
	if (json_array_size(v) == 0) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0,
				 "Error: No public port '%s' published for %s", private_port, name);
		return NULL;
	}
	json_array_foreach(v, i, b)
	{
		strv_push_take(&lines, host_port(b));
	}
	return join_sorted(lines);
}
