#include <sys/prctl.h>

#include "util/compiler.h"
#include "util/proctitle.h"

static char *area;
static size_t area_len;

void proctitle_init(int argc, char **argv)
{
	char *end;

	if (argc < 1 || !argv[0])
		return;
	end = argv[0] + strlen(argv[0]) + 1;
	/* Only the arguments, as long as they lie one after the other. */
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	area = argv[0];
	area_len = (size_t)(end - argv[0]);
}

void proctitle_set(const char *title)
{
	char comm[16];
	size_t n = strcspn(title, " ");
	const char *base = memrchr(title, '/', n);

	if (area && area_len > 1) {
		size_t len = strlen(title);
		if (len > area_len - 1)
			len = area_len - 1;
		memset(area, 0, area_len);
		memcpy(area, title, len);
		/* "a b c" as separate arguments, as cmdline shows a command */
		for (size_t i = 0; i < len; i++)
			if (area[i] == ' ')
				area[i] = '\0';
	}
	base = base ? base + 1 : title;
	n -= (size_t)(base - title);
	snprintf(comm, sizeof(comm), "%.*s", (int)(n < 15 ? n : 15), base);
	prctl(PR_SET_NAME, comm, 0, 0, 0);
}
