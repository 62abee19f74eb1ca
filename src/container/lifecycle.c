/* stop, kill, wait, pause, rename: talking to a running container's monitor. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>

#include "container/container.h"
#include "monitor/monitor.h"
#include "util/json.h"
#include "util/strutil.h"
#include "util/timeutil.h"

bool container_is_running(const struct store_container *c)
{
	return c->state == STORE_CONTAINER_RUNNING || c->state == STORE_CONTAINER_PAUSED ||
	       c->state == STORE_CONTAINER_RESTARTING;
}

int container_connect(struct store *s, const struct store_container *c, bool output,
		      struct berth_error **err)
{
	int sock = monitor_connect(s->runroot, c->id, err);

	if (sock >= 0 && output && monitor_send(sock, 'A', NULL, 0) < 0) {
		close(sock);
		return berth_error_set(err, errno, "attach to %.12s", c->id);
	}
	return sock;
}

/* The exit code from the monitor's 'X', -1 on timeout (ms; -1 waits), -2 when it hung up. */
static int wait_exit(int sock, int timeout_ms)
{
	int64_t until = timeout_ms < 0 ? 0 : time_now_ns() + (int64_t)timeout_ms * 1000000;
	char buf[MONITOR_MSG_MAX + 1];

	for (;;) {
		struct pollfd p = {.fd = sock, .events = POLLIN};
		int left = -1;
		ssize_t n;

		if (until) {
			int64_t now = time_now_ns();
			if (now >= until)
				return -1;
			left = (int)((until - now) / 1000000) + 1;
		}
		if (poll(&p, 1, left) <= 0)
			continue;
		n = recv(sock, buf, sizeof(buf) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -2;
		buf[n] = '\0';
		if (buf[0] == 'X')
			return atoi(buf + 1);
	}
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},
	{"KILL", SIGKILL}, {"USR1", SIGUSR1},	  {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
	{"PIPE", SIGPIPE}, {"ALRM", SIGALRM},	  {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
	{"CHLD", SIGCHLD}, {"CONT", SIGCONT},	  {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
	{"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},	  {"URG", SIGURG},   {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
	{"IO", SIGIO},	   {"PWR", SIGPWR},	  {"SYS", SIGSYS},
};

int container_parse_signal(const char *s)
{
	char *end;
	long n;

	if (!s || !*s)
		return -1;
	n = strtol(s, &end, 10);
	if (!*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (!strcasecmp(s, signals[i].name))
			return signals[i].sig;
	if (!strncasecmp(s, "RTMIN+", 6) && (n = strtol(s + 6, &end, 10)) >= 0 && !*end &&
	    SIGRTMIN + n <= SIGRTMAX)
		return SIGRTMIN + (int)n;
	return -1;
}

static int send_signal(int sock, int sig)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", sig);

	return monitor_send(sock, 'K', buf, (size_t)n);
}

/* The image's or container's STOPSIGNAL, else SIGTERM. */
static int stop_signal(const struct store_container *c)
{
	json_auto_t *config = json_loads(c->config, 0, NULL);
	const char *name = json_get_str(json_object_get(config, "Config"), "StopSignal");
	int sig = container_parse_signal(name);

	return sig > 0 ? sig : SIGTERM;
}

int container_stop(struct store *s, const char *what, int timeout, const char *signame,
		   struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_close_ int sock = -EBADF;
	int sig = signame ? container_parse_signal(signame) : -1;

	if (!c)
		return -1;
	if (signame && sig < 0)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0, "Invalid signal: %s", signame);
	if (!container_is_running(c))
		return 0;
	sock = container_connect(s, c, false, err);
	if (sock < 0)
		return -1;
	if (c->state == STORE_CONTAINER_PAUSED)
		container_pause(s, c->id, false, NULL);
	/*
	 * No restart policy brings a stopped container back. A monitor waiting to
	 * restart ends at once on 'P' and hangs up: a failed send is no error.
	 */
	monitor_send(sock, 'P', NULL, 0);
	send_signal(sock, sig > 0 ? sig : stop_signal(c));
	if (wait_exit(sock, (timeout < 0 ? 10 : timeout) * 1000) != -1)
		return 0;
	send_signal(sock, SIGKILL);
	wait_exit(sock, 30 * 1000);
	return 0;
}

int container_kill(struct store *s, const char *what, int sig, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_close_ int sock = -EBADF;

	if (!c)
		return -1;
	if (c->state != STORE_CONTAINER_RUNNING && c->state != STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Cannot kill container: %s: Container %s is not running",
					what, c->id);
	sock = container_connect(s, c, false, err);
	if (sock < 0 || send_signal(sock, sig) < 0)
		return berth_error_wrap(err, "Cannot kill container: %s", what);
	return 0;
}

int container_wait(struct store *s, const char *what, int *code, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	_cleanup_close_ int sock = -EBADF;
	int r;

	if (!c)
		return -1;
	*code = c->exit_code;
	if (!container_is_running(c))
		return 0;
	sock = container_connect(s, c, false, err);
	if (sock < 0)
		return -1;
	r = wait_exit(sock, -1);
	if (r >= 0) {
		*code = r;
		return 0;
	}
	/* the monitor went away without a word: its record tells */
	store_container_free(c);
	c = container_find(s, what, NULL);
	*code = c ? c->exit_code : 255;
	return 0;
}

int container_pause(struct store *s, const char *what, bool pause, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	struct cgroup *cg;
	int r;

	if (!c)
		return -1;
	if (!container_is_running(c))
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0, "Container %s is not running",
					c->id);
	if (pause && c->state == STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"Container %s is already paused", c->id);
	if (!pause && c->state != STORE_CONTAINER_PAUSED)
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0, "Container %s is not paused",
					c->id);
	cg = cgroup_open(c->id, err);
	if (!cg)
		return -1;
	r = cgroup_freeze(cg, pause, err);
	cgroup_free(cg);
	if (r < 0)
		return -1;
	c->state = pause ? STORE_CONTAINER_PAUSED : STORE_CONTAINER_RUNNING;
	return store_container_update_state(s, c, err);
}

int container_rename(struct store *s, const char *what, const char *name, struct berth_error **err)
{
	_cleanup_(store_container_freep) struct store_container *c = container_find(s, what, err);
	const char *n = name[0] == '/' ? name + 1 : name;

	if (!c)
		return -1;
	if (!container_name_valid(n))
		return berth_error_setk(
			err, BERTH_ERR_INVALID, 0,
			"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] "
			"are allowed",
			n);
	if (!strcmp(c->name, n))
		return berth_error_setk(
			err, BERTH_ERR_INVALID, 0,
			"Renaming a container with the same name as its current name");
	if (store_container_rename(s, c->id, n, err) < 0)
		return berth_error_wrap(err, "Error when allocating new name");
	return 0;
}

int container_pids(struct store *s, const struct store_container *c, pid_t **pids, size_t *n,
		   struct berth_error **err)
{
	struct cgroup *cg = cgroup_open(c->id, err);
	int r;

	(void)s;
	if (!cg)
		return -1;
	r = cgroup_pids(cg, pids, n, err);
	cgroup_free(cg);
	return r;
}
