/*
 * berth-proxy: the userland proxy of a container's published ports (ports.h).
 * One process serves every port of its container: TCP (and SCTP) connections
 * are relayed with splice(2) through a pipe each way, UDP datagrams through
 * one connected socket per client (a flow, forgotten after 90 s of silence, as
 * Docker's proxy does). One epoll loop, no thread; a connection costs two
 * sockets and two pipes, whose pages exist only while data is in flight.
 *
 *   berth-proxy [-r RUNDIR] -f FD/PROTO=ADDR:PORT ... -l [IP:]PORT/PROTO=ADDR:PORT ...
 *
 * -f serves the socket FD that berth bound and left open (listening for tcp
 * and sctp); -l binds one itself (the ambassador's use). ADDR is an IPv4
 * address or a name. -r names the container's run folder, for people and
 * tools looking for the proxy of a container. libc only: it is linked
 * statically against musl where the machine has it, as berth-monitor is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTENERS	1024
#define UDP_TIMEOUT_S	90
#define UDP_MAX_FLOWS	4096
#define ACCEPT_PAUSE_MS 100
#define PIPE_CAPACITY	(1 << 18)
#define UDP_BUF		65536
#define EV_BATCH	64

enum kind { K_LISTENER, K_UDP, K_CONN_A, K_CONN_B, K_FLOW };

struct listener {
	enum kind kind; /* K_LISTENER (stream) or K_UDP; first: epoll's data.ptr */
	int fd;
	int type, protocol;
	struct sockaddr_in target;
	bool paused;
};

/* One direction of a connection: from src to dst through a pipe. */
struct half {
	int pipe[2];
	size_t pending; /* bytes in the pipe */
	bool eof;	/* src said it has no more */
	bool shut;	/* dst was told (shutdown SHUT_WR) */
};

struct conn;
struct conn_end {
	enum kind kind; /* K_CONN_A (the client) or K_CONN_B (the container) */
	struct conn *c;
	int fd;
	bool watched;	 /* in the epoll set */
	uint32_t events; /* what epoll watches now */
};

struct conn {
	struct conn_end a, b;
	struct half ab, ba;
	bool connecting;
	bool dead;	   /* closed; freed after the batch of events that may name it */
	struct conn *next; /* in the list of the dead */
};

struct flow {
	enum kind kind; /* K_FLOW */
	int fd;		/* connected to the target */
	struct listener *l;
	struct sockaddr_in client;
	time_t last;
	struct flow *next;
};

static int epfd;
static struct listener *listeners[MAX_LISTENERS];
static int n_listeners;
static struct conn *dead;
static struct flow *flows;
static int n_flows;
static char udp_buf[UDP_BUF];

static void say(const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "berth-proxy: ");
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int watch(int fd, uint32_t events, void *ptr, int op)
{
	struct epoll_event ev = {.events = events, .data.ptr = ptr};

	return epoll_ctl(epfd, op, fd, &ev);
}

/* ---------------------------------------------------------------- arguments */

/* ADDR:PORT (ADDR an IPv4 address or a name) */
static int parse_addr(const char *s, struct sockaddr_in *sa, bool any_ok)
{
	char host[256];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = {.ai_family = AF_INET}, *res = NULL;
	char *end;
	long port;

	*sa = (struct sockaddr_in){.sin_family = AF_INET};
	port = strtol(colon ? colon + 1 : s, &end, 10);
	if (*end || end == (colon ? colon + 1 : s) || port < 0 || port > 65535)
		return -1;
	sa->sin_port = htons((uint16_t)port);
	if (!colon || colon == s)
		return any_ok ? 0 : -1;
	if ((size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
		return 0;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
		return -1;
	sa->sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

static int parse_proto(const char *s, int *type, int *protocol)
{
	if (!strcmp(s, "tcp"))
		*type = SOCK_STREAM, *protocol = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*type = SOCK_DGRAM, *protocol = IPPROTO_UDP;
	else if (!strcmp(s, "sctp"))
		*type = SOCK_STREAM, *protocol = IPPROTO_SCTP;
	else
		return -1;
	return 0;
}

static int bind_listener(const struct sockaddr_in *sa, int type, int protocol)
{
	int one = 1;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* "-f FD/PROTO=ADDR:PORT" (inherited) or "-l [IP:]PORT/PROTO=ADDR:PORT" (bound here). */
static int add_listener(const char *arg, bool inherited)
{
	char spec[512];
	char *eq, *slash;
	struct listener *l;
	struct sockaddr_in local;

	size_t len = strlen(arg);

	if (len >= sizeof(spec) || n_listeners == MAX_LISTENERS)
		return -1;
	memcpy(spec, arg, len + 1);
	eq = strchr(spec, '=');
	slash = eq ? memchr(spec, '/', (size_t)(eq - spec)) : NULL;
	if (!eq || !slash)
		return -1;
	*eq = *slash = '\0';
	l = calloc(1, sizeof(*l));
	if (!l || parse_proto(slash + 1, &l->type, &l->protocol) < 0 ||
	    parse_addr(eq + 1, &l->target, false) < 0)
		goto fail;
	if (inherited) {
		char *end;
		long fd = strtol(spec, &end, 10);
		if (*end || end == spec || fd < 3)
			goto fail;
		l->fd = (int)fd;
		fcntl(l->fd, F_SETFD, FD_CLOEXEC);
		fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	} else if (parse_addr(spec, &local, true) < 0 ||
		   (l->fd = bind_listener(&local, l->type, l->protocol)) < 0) {
		goto fail;
	}
	l->kind = l->type == SOCK_DGRAM ? K_UDP : K_LISTENER;
	listeners[n_listeners++] = l;
	return 0;
fail:
	free(l);
	return -1;
}

/* ---------------------------------------------------------------- TCP and SCTP */

static void conn_free(struct conn *c)
{
	int fds[] = {c->a.fd, c->b.fd, c->ab.pipe[0], c->ab.pipe[1], c->ba.pipe[0], c->ba.pipe[1]};

	/* closing a descriptor takes it out of the epoll set */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	c->dead = true;
	c->next = dead;
	dead = c;
}

static void bury_dead(void)
{
	while (dead) {
		struct conn *c = dead;
		dead = c->next;
		free(c);
	}
}

/*
 * Moves what it can from src to dst through h. Returns -1 when the
 * connection is broken, 0 otherwise.
 */
static int pump(struct half *h, int src, int dst, bool stream_shutdown)
{
	ssize_t r;

	for (;;) {
		if (h->pending > 0) {
			r = splice(h->pipe[0], NULL, dst, NULL, h->pending,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (r > 0) {
				h->pending -= (size_t)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			return r < 0 && errno == EAGAIN ? 0 : -1;
		}
		if (h->eof)
			break;
		r = splice(src, NULL, h->pipe[1], NULL, PIPE_CAPACITY,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (r > 0) {
			h->pending += (size_t)r;
			continue;
		}
		if (r == 0) {
			h->eof = true;
			continue;
		}
		if (errno == EINTR)
			continue;
		return errno == EAGAIN ? 0 : -1;
	}
	if (!h->shut) {
		h->shut = true;
		if (stream_shutdown)
			shutdown(dst, SHUT_WR);
	}
	return 0;
}

/*
 * An end with nothing more to do leaves the epoll set: a socket shut both
 * ways reports EPOLLHUP for ever, which would spin the loop.
 */
static int set_events(struct conn_end *e, uint32_t want)
{
	int op = !want ? EPOLL_CTL_DEL : e->watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (e->watched == (want != 0) && e->events == want)
		return 0;
	if ((e->watched || want) && watch(e->fd, want, e, op) < 0)
		return -1;
	e->watched = want != 0;
	e->events = want;
	return 0;
}

/* Both ways as far as they go; the connection ends when both are done or one breaks. */
static void conn_run(struct conn *c)
{
	if (pump(&c->ab, c->a.fd, c->b.fd, true) < 0 || pump(&c->ba, c->b.fd, c->a.fd, true) < 0 ||
	    (c->ab.shut && c->ba.shut)) {
		conn_free(c);
		return;
	}
	if (set_events(&c->a, (c->ab.eof ? 0 : EPOLLIN) | (c->ba.pending ? EPOLLOUT : 0)) < 0 ||
	    set_events(&c->b, (c->ba.eof ? 0 : EPOLLIN) | (c->ab.pending ? EPOLLOUT : 0)) < 0)
		conn_free(c);
}

static void conn_connected(struct conn *c)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(c->b.fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e) {
		conn_free(c);
		return;
	}
	c->connecting = false;
	conn_run(c);
}

static void conn_new(struct listener *l, int client)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(client);
		return;
	}
	c->a = (struct conn_end){.kind = K_CONN_A, .c = c, .fd = client};
	c->b = (struct conn_end){.kind = K_CONN_B, .c = c, .fd = -1};
	c->ab.pipe[0] = c->ab.pipe[1] = c->ba.pipe[0] = c->ba.pipe[1] = -1;
	if (pipe2(c->ab.pipe, O_CLOEXEC | O_NONBLOCK) < 0 ||
	    pipe2(c->ba.pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	fcntl(c->ab.pipe[1], F_SETPIPE_SZ, PIPE_CAPACITY);
	fcntl(c->ba.pipe[1], F_SETPIPE_SZ, PIPE_CAPACITY);
	c->b.fd = socket(AF_INET, l->type | SOCK_CLOEXEC | SOCK_NONBLOCK, l->protocol);
	if (c->b.fd < 0)
		goto fail;
	if (connect(c->b.fd, (struct sockaddr *)&l->target, sizeof(l->target)) < 0 &&
	    errno != EINPROGRESS)
		goto fail;
	c->connecting = true;
	if (set_events(&c->b, EPOLLOUT) < 0)
		goto fail;
	return;
fail:
	conn_free(c);
}

static void pause_listener(struct listener *l, bool pause)
{
	if (l->paused == pause)
		return;
	l->paused = pause;
	watch(l->fd, pause ? 0 : EPOLLIN, l, EPOLL_CTL_MOD);
}

static bool on_accept(struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			conn_new(l, fd);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* out of descriptors: the backlog waits a moment */
			pause_listener(l, true);
			return true;
		}
		break;
	}
	return false;
}

/* ---------------------------------------------------------------- UDP */

static void flow_free(struct flow **link)
{
	struct flow *f = *link;

	*link = f->next;
	close(f->fd);
	free(f);
	n_flows--;
}

static struct flow *flow_get(struct listener *l, const struct sockaddr_in *client)
{
	struct flow *f;

	for (f = flows; f; f = f->next)
		if (f->l == l && f->client.sin_addr.s_addr == client->sin_addr.s_addr &&
		    f->client.sin_port == client->sin_port)
			return f;
	if (n_flows >= UDP_MAX_FLOWS)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	*f = (struct flow){.kind = K_FLOW, .l = l, .client = *client, .next = flows};
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&l->target, sizeof(l->target)) < 0 ||
	    watch(f->fd, EPOLLIN, f, EPOLL_CTL_ADD) < 0) {
		if (f->fd >= 0)
			close(f->fd);
		free(f);
		return NULL;
	}
	flows = f;
	n_flows++;
	return f;
}

static void on_udp(struct listener *l)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in client;
		socklen_t len = sizeof(client);
		ssize_t n = recvfrom(l->fd, udp_buf, sizeof(udp_buf), 0, (struct sockaddr *)&client,
				     &len);
		struct flow *f;
		if (n < 0)
			return;
		f = flow_get(l, &client);
		if (!f)
			continue;
		f->last = now_s();
		send(f->fd, udp_buf, (size_t)n, 0);
	}
}

static void on_flow(struct flow *f)
{
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->fd, udp_buf, sizeof(udp_buf), 0);
		if (n < 0)
			return;
		f->last = now_s();
		sendto(f->l->fd, udp_buf, (size_t)n, 0, (struct sockaddr *)&f->client,
		       sizeof(f->client));
	}
}

static void expire_flows(void)
{
	time_t t = now_s();

	for (struct flow **link = &flows; *link;)
		if (t - (*link)->last >= UDP_TIMEOUT_S)
			flow_free(link);
		else
			link = &(*link)->next;
}

/* ---------------------------------------------------------------- main */

static void dispatch(struct epoll_event *ev, bool *paused)
{
	enum kind k = *(enum kind *)ev->data.ptr;
	struct conn_end *e;

	switch (k) {
	case K_LISTENER:
		*paused |= on_accept(ev->data.ptr);
		break;
	case K_UDP:
		on_udp(ev->data.ptr);
		break;
	case K_FLOW:
		on_flow(ev->data.ptr);
		break;
	case K_CONN_A:
	case K_CONN_B:
		e = ev->data.ptr;
		if (e->c->dead)
			break;
		if (e->c->connecting)
			conn_connected(e->c);
		else if (ev->events & EPOLLERR)
			conn_free(e->c); /* reset */
		else
			conn_run(e->c);
		break;
	}
}

/* Descriptors enough for many connections (six each). */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int usage(void)
{
	fputs("usage: berth-proxy [-r RUNDIR] (-f FD/PROTO=ADDR:PORT | "
	      "-l [IP:]PORT/PROTO=ADDR:PORT)...\n",
	      stderr);
	return 2;
}

static void loop(void)
{
	struct epoll_event evs[EV_BATCH];
	int64_t resume_at = 0;
	time_t next_expiry = now_s() + UDP_TIMEOUT_S;

	for (;;) {
		int64_t left = resume_at ? resume_at - now_ms() : 0;
		int timeout = resume_at ? (left > 0 ? (int)left : 0) : flows ? 10000 : -1;
		int n = epoll_wait(epfd, evs, EV_BATCH, timeout);
		bool paused = false;

		if (n < 0 && errno != EINTR)
			exit(1);
		for (int i = 0; i < n; i++)
			dispatch(&evs[i], &paused);
		bury_dead();
		if (paused && !resume_at)
			resume_at = now_ms() + ACCEPT_PAUSE_MS;
		if (resume_at && now_ms() >= resume_at) {
			resume_at = 0;
			for (int i = 0; i < n_listeners; i++)
				pause_listener(listeners[i], false);
		}
		if (flows && now_s() >= next_expiry) {
			expire_flows();
			next_expiry = now_s() + 10;
		}
	}
}

int main(int argc, char **argv)
{
	int opt;

	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt(argc, argv, "r:f:l:")) != -1) {
		switch (opt) {
		case 'r':
			break; /* a name for the process list only */
		case 'f':
		case 'l':
			if (add_listener(optarg, opt == 'f') < 0) {
				say("cannot serve '%s': %s", optarg,
				    errno ? strerror(errno) : "malformed");
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || n_listeners == 0)
		return usage();
	raise_fd_limit();
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return 1;
	for (int i = 0; i < n_listeners; i++)
		if (watch(listeners[i]->fd, EPOLLIN, listeners[i], EPOLL_CTL_ADD) < 0) {
			say("cannot watch a socket: %s%s", strerror(errno), "");
			return 1;
		}
	loop();
	return 0;
}
