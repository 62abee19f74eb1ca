/* Shared by the CLI's command files: the global options and the verbs. */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/template.h"
#include "util/error.h"

/* Exit codes as Docker's CLI. */
#define EXIT_ENGINE	    125
#define EXIT_CANNOT_EXECUTE 126
#define EXIT_NOT_FOUND	    127

struct cli_globals {
	const char *root, *runroot;
};
extern struct cli_globals cli_globals;

/* Opens the store of the global roots; prints the error and returns NULL on failure. */
struct store *cli_open_store(void);

/* Prints "berth: Error response from daemon: MSG." to stderr; returns 125 (or the kind's code). */
int cli_report(const struct berth_error *err);
/* Prints a usage error as Docker does (`unknown flag: --x` + "See 'berth CMD --help'."). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The getopt_long error of the last parse, as a usage error. */
struct option;
/* The error of the last getopt_long() over longopts, in Docker's words. Returns 125. */
int cli_getopt_error(const char *cmd, char **argv, int optopt_, const struct option *longopts);

/* How long ago ns (an epoch time) was, as Docker prints it, with suffix: "3 minutes ago". */
char *cli_since(int64_t ns, const char *suffix);

/* format.c: Go's tabwriter as Docker uses it, over text with tab-separated cells. */
void cli_tabwrite(const char *text);
/*
 * Prints rows (JSON objects) with a --format as Docker's formatter does:
 * "table …" gets a header row from headers (field → title) and tabwriter
 * columns; otherwise a line per row.
 */
int cli_format_rows(const char *format, json_t *const *rows, size_t n, const json_t *headers,
		    template_method_fn *method, void *userdata, struct berth_error **err);

/* ps.c: the row ps prints of a container (its fields as ps's --format has them; Size ""). */
json_t *cli_ps_row(struct store *s, const struct store_container *c, bool no_trunc);

/* env.c: -e KEY=VALUE, or -e KEY taking our value (NULL when we have none). */
char *cli_env_entry(const char *e);
/* env.c: --env-file: add(ctx, entry) for each entry; a usage error (125) when unreadable. */
int cli_env_file(const char *cmd, const char *path, void (*add)(void *ctx, const char *e),
		 void *ctx);
/* attach.c: our terminal in raw mode (restored at exit), and back. */
void cli_raw_mode(void);
void cli_restore_terminal(void);

/* Verbs. */
int cmd_import(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_rm(int argc, char **argv);
/* history.c */
int cmd_diff(int argc, char **argv);
int cmd_tag(int argc, char **argv);
int cmd_history(int argc, char **argv);
/* commit.c */
int cmd_commit(int argc, char **argv);
int cmd_export(int argc, char **argv);
/* prune.c */
int cmd_image_prune(int argc, char **argv);
int cmd_system_prune(int argc, char **argv);
/* df.c */
int cmd_system_df(int argc, char **argv);
/* check.c */
int cmd_system_check(int argc, char **argv);
/* images-tree.c: images --tree / --graph (IMAGE: only its ancestry), image dockerfile */
int cli_images_tree(struct store *s, const char *image, bool graph, bool no_trunc);
int cmd_image_dockerfile(int argc, char **argv);

/* attach.c: relays the monitor's socket to this terminal until the container exits. */
struct attach_opts {
	bool tty;		 /* raw mode and window size */
	bool stdin_on;		 /* forward our stdin */
	bool sig_proxy;		 /* forward signals */
	const char *detach_keys; /* "ctrl-p,ctrl-q" when NULL */
};
/*
 * Returns the container's exit code, 0 after a detach, 125 when the monitor
 * went away without one.
 */
int cli_attach(int sock, const struct attach_opts *o);
/* Parses --detach-keys ("ctrl-p,ctrl-q", "ctrl-x,x"); -1 when invalid. */
int cli_parse_detach_keys(const char *spec, char *keys, size_t max);

/* Typed input watched for the detach keys (attach, run -it, start -ai, exec -it). */
struct cli_detach {
	char keys[16];
	size_t n_keys, matched; /* how much of the sequence the last bytes were */
};
/* spec NULL for Docker's ctrl-p,ctrl-q; returns cli_parse_detach_keys()'s result. */
int cli_detach_init(struct cli_detach *d, const char *spec);
/*
 * Copies in[0..n) to out (room for n + sizeof(d->keys)) without the detach
 * sequence, a partial match held back until it fails; *detached once it is
 * complete (what follows it is dropped). Returns the bytes in out.
 */
size_t cli_detach_filter(struct cli_detach *d, const char *in, size_t n, char *out, bool *detached);

/* Verbs of lifecycle.c. */
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_container_prune(int argc, char **argv);
/* network.c */
/* Network what (name, ID or prefix; host and none too) as network inspect shows it. */
json_t *cli_network_inspect(struct store *s, const char *what, struct berth_error **err);
/* Removes the user networks no container holds an address on, printing Docker's lines. */
int cli_network_prune(struct store *s, bool *deleted, struct berth_error **err);
int cmd_network(int argc, char **argv);
int cmd_network_create(int argc, char **argv);
int cmd_network_ls(int argc, char **argv);
int cmd_network_inspect(int argc, char **argv);
int cmd_network_rm(int argc, char **argv);
int cmd_network_prune(int argc, char **argv);
int cmd_network_connect(int argc, char **argv);
int cmd_network_disconnect(int argc, char **argv);
/* volume.c */
int cmd_volume(int argc, char **argv);
int cmd_volume_create(int argc, char **argv);
int cmd_volume_ls(int argc, char **argv);
int cmd_volume_inspect(int argc, char **argv);
int cmd_volume_rm(int argc, char **argv);
int cmd_volume_prune(int argc, char **argv);
/* logs.c */
int cmd_logs(int argc, char **argv);
/* port.c */
int cmd_port(int argc, char **argv);
/* inspect.c */
int cmd_inspect(int argc, char **argv);
int cmd_container_inspect(int argc, char **argv);
int cmd_image_inspect(int argc, char **argv);
/* exec.c */
int cmd_exec(int argc, char **argv);
/* saveload.c */
int cmd_save(int argc, char **argv);
int cmd_load(int argc, char **argv);

#endif
