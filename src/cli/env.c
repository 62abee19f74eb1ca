/* -e and --env-file, shared by run, create and exec. */
#include "cli/cli.h"
#include "util/fs.h"
#include "util/strutil.h"

char *cli_env_entry(const char *e)
{
	const char *v;

	if (strchr(e, '='))
		return xstrdup(e);
	v = getenv(e);
	return v ? xasprintf("%s=%s", e, v) : NULL;
}

int cli_env_file(const char *cmd, const char *path, void (*add)(void *ctx, const char *e),
		 void *ctx)
{
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_free_ char *text = fs_read_file(path, NULL, &err);

	if (!text)
		return cli_usage_error(cmd, "open %s: %s", path,
				       err->status ? strerror(err->status) : err->msg);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line && *line != '#')
			add(ctx, line);
	}
	return 0;
}
