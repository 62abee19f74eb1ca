/*
 * berth-monitor: the idle half of the monitor (relay.h). The full monitor in
 * berth execs it once its container has run for a moment; it relays and logs
 * until the container's init exits, then execs berth again, which records the
 * exit, restarts or tears down (monitor_resume()).
 *
 * Built static against musl where the machine has it: an idle container then
 * costs a few dozen KiB of memory, where berth with its libraries costs MiBs.
 * It links only relay.c, logfile.c and the libc-only parts of util/.
 */
#define LOG_DOMAIN "monitor"
#include <stdio.h>

#include "monitor/relay.h"
#include "util/log.h"
#include "util/strbuf.h"

int main(int argc, char **argv)
{
	const char *state = getenv(RELAY_STATE_ENV);
	struct strbuf out = STRBUF_INIT;
	struct relay r;

	relay_init(&r);
	if (argc != 2 || !state) {
		fprintf(stderr, "berth-monitor: started by berth only, for a running container\n");
		return 2;
	}
	if (relay_import(&r, state) < 0) {
		fprintf(stderr, "berth-monitor: the monitor's state is malformed\n");
		return 2;
	}
	if (r.diag_fd >= 0)
		log_set_fd(r.diag_fd);
	relay_run(&r, 0);
	relay_export(&r, &out);
	relay_set_cloexec(&r, false);
	if (setenv(RELAY_STATE_ENV, out.buf, 1) == 0)
		execv(r.exe, argv);
	log_error_errno(errno, "cannot run '%s' to record the exit of %s", r.exe, r.id);
	return 1;
}
