/*
 * berth-dns: the embedded DNS server of a user network. It listens on the
 * network's gateway address, port 53 (UDP and TCP), answers A queries for the names
 * of the hosts file the engine rewrites at each start and stop of a container
 * on the network (net/dnsconf.c), and forwards other names to the upstream
 * resolvers it was given (the host's), relaying their answers.
 *
 *   berth-dns -l ADDR[:PORT] -H HOSTS [-u ADDR[:PORT]]... [-p PIDFILE]
 *
 * HOSTS lines are "ADDRESS NAME..."; it is read again when its mtime changes.
 * A known name asked for another type gets an empty answer (no forwarding).
 * libc only, static against musl where the machine has it, as berth-proxy.
 * A TCP client is served whole before the next event (waits of 2 s at most):
 * NEEDSWORK if TCP clients ever matter for more than the odd large answer.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/dnsmsg.h"

#define MAX_UPSTREAMS 4
#define MAX_PENDING   64
#define MAX_HOSTS     1024
#define MAX_NAMES     16
#define PENDING_TTL_S 5
#define MSG_MAX	      4096
#define TCP_WAIT_MS   2000

struct host {
	struct in_addr addr;
	char *names[MAX_NAMES];
};

struct pending {
	int fd; /* -1: free */
	struct sockaddr_in client;
	time_t started;
};

static struct host hosts[MAX_HOSTS];
static size_t n_hosts;
static const char *hosts_path;
static struct timespec hosts_mtime;
static struct sockaddr_in upstreams[MAX_UPSTREAMS];
static size_t n_upstreams;
static struct pending pending[MAX_PENDING];

static int parse_addr(const char *s, uint16_t def_port, struct sockaddr_in *out)
{
	char buf[64];
	char *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons(def_port);
	colon = strchr(buf, ':');
	if (colon) {
		*colon = '\0';
		out->sin_port = htons((uint16_t)atoi(colon + 1));
	}
	return inet_pton(AF_INET, buf, &out->sin_addr) == 1 ? 0 : -1;
}

static void hosts_clear(void)
{
	for (size_t i = 0; i < n_hosts; i++)
		for (size_t j = 0; j < MAX_NAMES && hosts[i].names[j]; j++)
			free(hosts[i].names[j]);
	memset(hosts, 0, sizeof(hosts));
	n_hosts = 0;
}

/* Reads HOSTS again when it changed since the last time. */
static void hosts_load(void)
{
	struct stat st;
	char line[1024];
	FILE *f;

	if (stat(hosts_path, &st) < 0) {
		hosts_clear();
		return;
	}
	if (st.st_mtim.tv_sec == hosts_mtime.tv_sec && st.st_mtim.tv_nsec == hosts_mtime.tv_nsec)
		return;
	f = fopen(hosts_path, "re");
	if (!f)
		return;
	hosts_mtime = st.st_mtim;
	hosts_clear();
	while (n_hosts < MAX_HOSTS && fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
		struct host *h = &hosts[n_hosts];
		size_t k = 0;

		if (!tok || *tok == '#' || inet_pton(AF_INET, tok, &h->addr) != 1)
			continue;
		while (k < MAX_NAMES && (tok = strtok_r(NULL, " \t\n", &save)))
			h->names[k++] = strdup(tok);
		if (k)
			n_hosts++;
	}
	fclose(f);
}

static bool has_name(const struct host *h, const char *name)
{
	for (size_t j = 0; j < MAX_NAMES && h->names[j]; j++)
		if (!strcasecmp(h->names[j], name))
			return true;
	return false;
}

static void put16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/*
 * An answer from our hosts to the query in msg (the header and question
 * kept); 0 when the name is not ours.
 */
static size_t answer(unsigned char *msg, size_t len, size_t cap)
{
	struct in_addr addrs[MAX_HOSTS];
	char name[256];
	size_t end, n = 0;
	uint16_t qtype;
	bool known = false;

	if (net_dns_question(msg, len, name, &end, &qtype) < 0)
		return 0;
	hosts_load();
	for (size_t i = 0; i < n_hosts; i++)
		if (has_name(&hosts[i], name)) {
			known = true;
			addrs[n++] = hosts[i].addr;
		}
	return known ? net_dns_reply(msg, end, cap, qtype, addrs, n) : 0;
}

static void reply_error(int fd, unsigned char *msg, size_t len, unsigned rcode,
			const struct sockaddr_in *to)
{
	if (len < 12)
		return;
	net_dns_error(msg, len, rcode);
	sendto(fd, msg, len, 0, (const struct sockaddr *)to, sizeof(*to));
}

static void forward(int fd, unsigned char *msg, size_t len, const struct sockaddr_in *client)
{
	struct pending *p = NULL;

	for (size_t i = 0; i < MAX_PENDING && !p; i++)
		if (pending[i].fd < 0)
			p = &pending[i];
	if (!p || !n_upstreams) {
		reply_error(fd, msg, len, 2, client); /* SERVFAIL */
		return;
	}
	p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (p->fd < 0) {
		reply_error(fd, msg, len, 2, client);
		return;
	}
	p->client = *client;
	p->started = time(NULL);
	for (size_t i = 0; i < n_upstreams; i++)
		sendto(p->fd, msg, len, 0, (struct sockaddr *)&upstreams[i], sizeof(upstreams[i]));
}

static void on_query(int fd)
{
	unsigned char msg[MSG_MAX];
	struct sockaddr_in client;
	socklen_t cl = sizeof(client);
	ssize_t n = recvfrom(fd, msg, 512, 0, (struct sockaddr *)&client, &cl);
	size_t out;

	if (n < 12 || (msg[2] & 0x80))
		return;
	out = answer(msg, (size_t)n, 512);
	if (out)
		sendto(fd, msg, out, 0, (struct sockaddr *)&client, cl);
	else
		forward(fd, msg, (size_t)n, &client);
}

static void on_upstream(int fd, struct pending *p)
{
	unsigned char msg[MSG_MAX];
	ssize_t n = recv(p->fd, msg, sizeof(msg), 0);

	if (n >= 12)
		sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&p->client, sizeof(p->client));
	close(p->fd);
	p->fd = -1;
}

/* Reads len bytes from a TCP client, waiting TCP_WAIT_MS at most for each part. */
static bool read_full(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, TCP_WAIT_MS) <= 0)
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* The answer of the upstreams to a query, over UDP, waiting TCP_WAIT_MS at most. */
static size_t ask_upstreams(const unsigned char *q, size_t len, unsigned char *out, size_t cap)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n = 0;

	if (fd < 0)
		return 0;
	for (size_t i = 0; i < n_upstreams; i++)
		sendto(fd, q, len, 0, (struct sockaddr *)&upstreams[i], sizeof(upstreams[i]));
	if (n_upstreams && poll(&p, 1, TCP_WAIT_MS) > 0)
		n = recv(fd, out, cap, 0);
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

/*
 * One query of a TCP client (2 bytes of length, then the message), answered
 * the same way; the client is served before the next event (short waits).
 */
static void on_tcp(int lfd)
{
	unsigned char msg[MSG_MAX + 2], reply[MSG_MAX + 2];
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	size_t len, out;

	if (fd < 0)
		return;
	if (!read_full(fd, msg, 2) || (len = (size_t)(msg[0] << 8 | msg[1])) < 12 ||
	    len > MSG_MAX || !read_full(fd, msg + 2, len))
		goto done;
	memcpy(reply + 2, msg + 2, len);
	out = answer(reply + 2, len, MSG_MAX);
	if (!out)
		out = ask_upstreams(msg + 2, len, reply + 2, MSG_MAX);
	if (!out) {
		memcpy(reply + 2, msg + 2, len);
		net_dns_error(reply + 2, len, 2); /* SERVFAIL */
		out = len;
	}
	put16(reply, (unsigned)out);
	if (write(fd, reply, out + 2) < 0)
		goto done;
done:
	close(fd);
}

static int serve(int fd, int tcp)
{
	for (;;) {
		struct pollfd pfd[MAX_PENDING + 2] = {{.fd = fd, .events = POLLIN},
						      {.fd = tcp, .events = POLLIN}};
		struct pending *which[MAX_PENDING + 2] = {NULL};
		nfds_t k = 2;
		time_t now = time(NULL);

		for (size_t i = 0; i < MAX_PENDING; i++) {
			if (pending[i].fd < 0)
				continue;
			if (now - pending[i].started > PENDING_TTL_S) {
				close(pending[i].fd);
				pending[i].fd = -1;
				continue;
			}
			pfd[k] = (struct pollfd){.fd = pending[i].fd, .events = POLLIN};
			which[k++] = &pending[i];
		}
		if (poll(pfd, k, 1000) < 0 && errno != EINTR)
			return 1;
		for (nfds_t i = 2; i < k; i++)
			if (pfd[i].revents)
				on_upstream(fd, which[i]);
		if (pfd[0].revents & POLLIN)
			on_query(fd);
		if (pfd[1].revents & POLLIN)
			on_tcp(tcp);
	}
}

static int usage(void)
{
	fputs("usage: berth-dns -l ADDR[:PORT] -H HOSTS [-u ADDR[:PORT]]... [-p PIDFILE]\n",
	      stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in listen_addr;
	const char *listen_at = NULL, *pidfile = NULL;
	int c, fd, tcp, one = 1;

	while ((c = getopt(argc, argv, "l:H:u:p:")) != -1) {
		if (c == 'l')
			listen_at = optarg;
		else if (c == 'H')
			hosts_path = optarg;
		else if (c == 'p')
			pidfile = optarg;
		else if (c == 'u' && n_upstreams < MAX_UPSTREAMS &&
			 parse_addr(optarg, 53, &upstreams[n_upstreams]) == 0)
			n_upstreams++;
		else if (c != 'u')
			return usage();
	}
	if (!listen_at || !hosts_path || parse_addr(listen_at, 53, &listen_addr) < 0)
		return usage();
	for (size_t i = 0; i < MAX_PENDING; i++)
		pending[i].fd = -1;
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (tcp >= 0)
		setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0 ||
	    tcp < 0 || bind(tcp, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) < 0 ||
	    listen(tcp, 64) < 0) {
		fprintf(stderr, "berth-dns: cannot listen on %s: %s\n", listen_at, strerror(errno));
		return 1;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "we");

		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "berth-dns: cannot write '%s'\n", pidfile);
			return 1;
		}
	}
	return serve(fd, tcp);
}
