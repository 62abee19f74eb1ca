/*
 * The process title: what ps and /proc/PID/cmdline show. The monitor and the
 * --init reaper are forks of the CLI, so without this they would show the
 * CLI's command line (with berth's path on the host, inside the container).
 */
#ifndef BERTH_UTIL_PROCTITLE_H
#define BERTH_UTIL_PROCTITLE_H

/* Called by main() with its arguments: their memory is what cmdline shows. */
void proctitle_init(int argc, char **argv);
/*
 * Rewrites that memory (truncated to its length) and the thread's name. The
 * arguments main() got must not be used afterwards.
 */
void proctitle_set(const char *title);

#endif
