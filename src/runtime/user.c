#include <ctype.h>
#include <stdio.h>

#include "runtime/internal.h"
#include "util/compiler.h"

static int parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!*s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > 0x7fffffffUL ? -1 : 0;
}

/* Splits a passwd/group line in place into at most max fields at ':'. */
static int split_fields(char *line, char **fields, int max)
{
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	fields[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			fields[n++] = p + 1;
		}
	return n;
}

/* Finds a passwd entry by name or uid; returns 1 when found. */
static int find_passwd(const char *name, unsigned long uid, bool by_uid, struct child_user *u,
		       char *user_name, size_t name_len)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	char line[1024];

	while (f && fgets(line, sizeof(line), f)) {
		char *fl[7];
		unsigned long id, gid;
		if (split_fields(line, fl, 7) < 7 || parse_id(fl[2], &id) < 0 ||
		    parse_id(fl[3], &gid) < 0)
			continue;
		if (by_uid ? id != uid : strcmp(fl[0], name) != 0)
			continue;
		u->uid = (uid_t)id;
		u->gid = (gid_t)gid;
		snprintf(u->home, sizeof(u->home), "%s", fl[5]);
		snprintf(user_name, name_len, "%s", fl[0]);
		return 1;
	}
	return 0;
}

/* Resolves a group name or number; adds the supplementary groups of user_name. */
static int scan_groups(const char *group, gid_t *gid, const char *user_name, struct child_user *u)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/group", "re");
	char line[4096];
	int found = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *fl[4];
		unsigned long id;
		if (split_fields(line, fl, 4) < 4 || parse_id(fl[2], &id) < 0)
			continue;
		if (group && strcmp(fl[0], group) == 0) {
			*gid = (gid_t)id;
			found = 1;
		}
		for (char *m = fl[3]; *user_name && *m;) {
			size_t n = strcspn(m, ",");
			if (n == strlen(user_name) && strncmp(m, user_name, n) == 0 &&
			    u->n_groups < (int)ARRAY_SIZE(u->groups))
				u->groups[u->n_groups++] = (gid_t)id;
			m += n + (m[n] == ',');
		}
	}
	return found;
}

int user_resolve(const char *user, struct child_user *u, struct child_error *ce)
{
	char name[256] = "", uname[256] = "";
	const char *group = NULL, *colon = strchr(user ? user : "", ':');
	unsigned long id;
	bool numeric;

	*u = (struct child_user){.uid = 0, .gid = 0, .home = "/"};
	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - user) : 255,
		 user && *user ? user : "0");
	if (colon)
		group = colon + 1;
	numeric = parse_id(name, &id) == 0;
	if (!find_passwd(name, id, numeric, u, uname, sizeof(uname))) {
		if (!numeric)
			return child_fail(
				ce, 0, 0,
				"unable to find user %s: no matching entries in passwd file", name);
		u->uid = (uid_t)id;
		u->gid = 0;
	}
	if (group && *group) {
		unsigned long gid;
		if (parse_id(group, &gid) == 0) {
			u->gid = (gid_t)gid;
			scan_groups(NULL, &u->gid, uname, u);
		} else if (!scan_groups(group, &u->gid, uname, u)) {
			return child_fail(
				ce, 0, 0,
				"unable to find group %s: no matching entries in group file",
				group);
		}
	} else {
		scan_groups(NULL, &u->gid, uname, u);
	}
	return 0;
}
