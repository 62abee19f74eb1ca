/*
 * berth-ports: the library's published ports (net/ports.h, net/nft.h) driven
 * from a shell, for tests/system/022-ports.bats to check them on network
 * namespaces of its own, apart from any container.
 *
 *   berth-ports publish ID RUNDIR ADDR BRIDGE|- CONFIG   the proxy's pid
 *   berth-ports hold ID RUNDIR ADDR BRIDGE|- CONFIG      as publish, the proxy dying with
 *                                                        us; unpublishes at EOF on stdin
 *   berth-ports unpublish ID RUNDIR [PID]
 *   berth-ports list                                     IDs with rules, one a line
 *   berth-ports show RUNDIR                              NetworkSettings.Ports, PORTS
 *
 * CONFIG is the container's config as JSON ({"Config": ..., "HostConfig": ...});
 * berth-proxy is $BERTH_PROXY.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "net/nft.h"
#include "net/ports.h"
#include "util/json.h"
#include "util/strutil.h"

static int fail(struct berth_error *err)
{
	fprintf(stderr, "berth-ports: %s\n", err->msg);
	berth_error_free(err);
	return 1;
}

static int publish(char **argv, bool hold)
{
	struct berth_error *err = NULL;
	json_auto_t *config = json_parse(argv[4], strlen(argv[4]), "config", &err);
	struct net_ports_target t = {.id = argv[0],
				     .rundir = argv[1],
				     .bridge = strcmp(argv[3], "-") ? argv[3] : NULL,
				     .proxy_program = getenv("BERTH_PROXY"),
				     .die_with_parent = hold};
	pid_t pid;
	char buf[256];

	if (!config)
		return fail(err);
	if (inet_pton(AF_INET, argv[2], &t.addr) != 1) {
		fprintf(stderr, "berth-ports: bad address '%s'\n", argv[2]);
		return 1;
	}
	pid = net_ports_publish(&t, config, &err);
	if (pid < 0)
		return fail(err);
	printf("%d\n", (int)pid);
	fflush(stdout);
	if (!hold)
		return 0;
	while (fread(buf, 1, sizeof(buf), stdin) > 0)
		;
	return net_ports_unpublish(t.id, t.rundir, pid, &err) < 0 ? fail(err) : 0;
}

int main(int argc, char **argv)
{
	struct berth_error *err = NULL;

	if (argc == 7 && (!strcmp(argv[1], "publish") || !strcmp(argv[1], "hold")))
		return publish(argv + 2, !strcmp(argv[1], "hold"));
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "unpublish"))
		return net_ports_unpublish(argv[2], argv[3], argc == 5 ? atoi(argv[4]) : 0, &err) <
				       0
			       ? fail(err)
			       : 0;
	if (argc == 2 && !strcmp(argv[1], "list")) {
		_cleanup_strv_ char **ids = NULL;
		if (net_nft_ports_list(&ids, &err) < 0)
			return fail(err);
		for (char **id = ids; *id; id++)
			puts(*id);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "show")) {
		json_auto_t *ports = net_ports_read(argv[2]);
		_cleanup_free_ char *text = json_dumps(ports, JSON_COMPACT | JSON_SORT_KEYS);
		_cleanup_free_ char *ps = net_ports_format_ps(ports);
		printf("%s\n%s\n", text, ps);
		return 0;
	}
	fputs("usage: berth-ports publish|hold|unpublish|list|show ...\n", stderr);
	return 2;
}
