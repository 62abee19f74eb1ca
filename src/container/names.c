#include <fcntl.h>

#include "container/container.h"
#include "util/strutil.h"

static const char *const adjectives[] = {
	"amber",   "brave",   "calm",	"clever", "crisp",  "daring",  "eager",	 "fancy",
	"gentle",  "happy",   "jolly",	"keen",	  "lively", "lucid",   "merry",	 "nimble",
	"noble",   "patient", "plucky", "proud",  "quiet",  "rapid",   "serene", "sharp",
	"silent",  "sleepy",  "smooth", "steady", "sunny",  "swift",   "tender", "upbeat",
	"valiant", "vivid",   "warm",	"wise",	  "witty",  "zealous", "bold",	 "cosmic",
};

static const char *const nouns[] = {
	"anchor", "barge",  "beacon", "buoy",	 "cabin",   "canal",  "cove",	  "current",
	"delta",  "dock",   "ferry",  "fjord",	 "galley",  "harbor", "helm",	  "inlet",
	"island", "jetty",  "keel",   "lagoon",	 "lantern", "mast",   "mooring",  "narrows",
	"oar",	  "pier",   "quay",   "reef",	 "rudder",  "sail",   "schooner", "shoal",
	"sloop",  "strait", "tide",   "tugboat", "wake",    "wharf",  "yacht",	  "lighthouse",
};

static unsigned int random_uint(void)
{
	unsigned int r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &r, sizeof(r)) != sizeof(r))
			r = (unsigned int)getpid() * 2654435761u;
		close(fd);
	}
	return r;
}

char *container_generate_name(struct store *s)
{
	for (int attempt = 0;; attempt++) {
		unsigned int r = random_uint();
		char *name = xasprintf("%s_%s", adjectives[r % ARRAY_SIZE(adjectives)],
				       nouns[(r / ARRAY_SIZE(adjectives)) % ARRAY_SIZE(nouns)]);
		if (attempt >= 10) {
			/* as Docker: a digit is appended once names collide */
			char *n2 = xasprintf("%s%u", name, (r >> 16) % 10);
			free(name);
			name = n2;
		}
		if (!store_container_name_taken(s, name))
			return name;
		free(name);
	}
}

bool container_name_valid(const char *name)
{
	if (!name[0] || !name[1])
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (p == name || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}
