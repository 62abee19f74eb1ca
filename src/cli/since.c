/* Relative times as Docker prints them ("3 minutes ago", "Up 2 hours"). */

#include "cli/cli.h"
#include "util/strutil.h"
#include "util/timeutil.h"

char *cli_since(int64_t ns, const char *suffix)
{
	char buf[64];

	format_human_duration((time_now_ns() - ns) / 1000000000LL, buf, sizeof(buf));
	return xasprintf("%s%s", buf, suffix);
}
