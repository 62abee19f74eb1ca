/*
 * Volumes of the local driver: a record in the store and a folder
 * <root>/volumes/<name>/_data. Both change under the store's write lock
 * (store_begin()), the folder first on create and the record first on
 * remove, so that what a crash leaves is told apart: a folder without a record
 * or a record without a folder, both reconciled by volume_list().
 */
#define LOG_DOMAIN "volume"
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "util/fs.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/timeutil.h"
#include "volume/volume.h"

static char *volumes_root(const struct store *s)
{
	return xasprintf("%s/volumes", s->root);
}

static char *volume_dir(const struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s", s->root, name);
}

char *volume_path(const struct store *s, const char *name)
{
	return xasprintf("%s/volumes/%s/_data", s->root, name);
}

static char *trash_dir(const struct store *s)
{
	return xasprintf("%s/trash", s->root);
}

/*
 * A test's crash at a named point (BERTH_TEST_CRASH=volume-rm): the process
 * dies as a kill -9 would kill it, for the system tests of what a crash leaves.
 */
static void crash_point(const char *where)
{
	const char *want = getenv("BERTH_TEST_CRASH");

	if (want && !strcmp(want, where))
		raise(SIGKILL);
}

void volume_free(struct volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->driver);
	free(v->mountpoint);
	json_decref(v->labels);
	json_decref(v->options);
	free(v);
}

void volume_list_free(struct volume **v)
{
	for (size_t i = 0; v && v[i]; i++)
		volume_free(v[i]);
	free(v);
}

static struct volume *from_record(const struct store *s, const struct store_volume *r)
{
	struct volume *v = xcalloc(1, sizeof(*v));

	v->name = xstrdup(r->name);
	v->driver = xstrdup(r->driver);
	v->mountpoint = volume_path(s, r->name);
	v->labels = json_loads(r->labels, JSON_DECODE_ANY, NULL);
	v->options = json_loads(r->options, JSON_DECODE_ANY, NULL);
	if (!v->labels)
		v->labels = json_null();
	if (!v->options)
		v->options = json_null();
	v->created = r->created;
	v->anonymous = r->anonymous;
	return v;
}

int volume_validate_name(const char *name, struct berth_error **err)
{
	regex_t re;
	bool ok;

	if (strlen(name) == 1)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"volume name is too short, names should be at least two "
					"alphanumeric characters");
	if (regcomp(&re, "^[a-zA-Z0-9][a-zA-Z0-9_.-]+$", REG_EXTENDED | REG_NOSUB) != 0)
		BUG("volume name pattern");
	ok = regexec(&re, name, 0, NULL, 0) == 0;
	regfree(&re);
	if (!ok)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"\"%s\" includes invalid characters for a local volume "
					"name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If "
					"you intended to pass a host directory, use absolute path",
					name);
	return 0;
}

int volume_validate_options(const json_t *opts, struct berth_error **err)
{
	static const char *const valid[] = {"type", "o", "device", "size"};
	/* each option and the options it needs, in Docker's local driver */
	static const char *const needs[][3] = {
		{"device", "type", NULL}, {"type", "device", NULL}, {"o", "device", "type"}};
	const char *key;
	json_t *v;
	long long size;

	json_object_foreach((json_t *)opts, key, v)
	{
		size_t i;
		for (i = 0; i < ARRAY_SIZE(valid) && strcmp(key, valid[i]); i++)
			;
		if (i == ARRAY_SIZE(valid))
			return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid option: \"%s\"",
						key);
	}
	if (json_get_str(opts, "size")) {
		if (parse_size(json_get_str(opts, "size"), &size) < 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0, "invalid size: '%s'",
						json_get_str(opts, "size"));
		if (size > 0)
			return berth_error_setk(err, BERTH_ERR_INVALID, 0,
						"quota size requested but no quota support");
	}
	for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
		if (!json_object_get(opts, needs[i][0]))
			continue;
		for (size_t j = 1; j < 3 && needs[i][j]; j++)
			if (!json_object_get(opts, needs[i][j]))
				return berth_error_setk(err, BERTH_ERR_INVALID, 0,
							"missing required option: \"%s\"",
							needs[i][j]);
	}
	return 0;
}

static char *random_name(void)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	char *name = xmalloc(65);
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fs_read_all(fd, raw, sizeof(raw)) != sizeof(raw))
		BUG("cannot read /dev/urandom");
	close(fd);
	for (size_t i = 0; i < sizeof(raw); i++) {
		name[2 * i] = hex[raw[i] >> 4];
		name[2 * i + 1] = hex[raw[i] & 15];
	}
	name[64] = '\0';
	return name;
}

/* The labels a new volume records: the given ones, and the anonymous mark. */
static char *labels_text(const json_t *labels, bool anonymous)
{
	json_auto_t *l = NULL;

	if (!anonymous)
		return json_is_object(labels) ? json_compact(labels) : xstrdup("null");
	l = json_is_object(labels) ? json_deep_copy(labels) : json_object();
	json_object_set_new(l, VOLUME_ANONYMOUS_LABEL, json_string(""));
	return json_compact(l);
}

/* Makes the folder of a new volume; a folder a crashed create left goes first. */
static int make_folder(struct store *s, const char *name, struct berth_error **err)
{
	_cleanup_free_ char *root = volumes_root(s), *dir = volume_dir(s, name);
	_cleanup_free_ char *data = volume_path(s, name), *trash = trash_dir(s);
	_cleanup_free_ char *gone = NULL;

	if (fs_mkdir_p(root, 0701, err) < 0)
		return -1;
	if (fs_exists(dir)) {
		gone = fs_trash(dir, trash, err);
		if (!gone)
			return -1;
		fs_rm_rf(gone, NULL);
	}
	if (mkdir(dir, 0755) < 0 || mkdir(data, 0755) < 0)
		return berth_error_set(err, errno, "create '%s'", data);
	return 0;
}

/* volume_create() with the lock held: the existing volume, or a new one. */
static int create_locked(struct store *s, const char *name, const json_t *labels,
			 const json_t *options, unsigned flags, bool *made,
			 struct berth_error **err)
{
	_cleanup_(store_volume_freep) struct store_volume *old = store_volume_get(s, name, NULL);
	_cleanup_free_ char *ltext = NULL, *otext = NULL, *dir = volume_dir(s, name);
	_cleanup_free_ char *data = volume_path(s, name);
	_cleanup_strv_ char **users = NULL;
	struct store_volume rec;

	*made = false;
	if (old && !fs_exists(dir)) {
		/* a remove that died before its commit: gone, unless in use (then made again) */
		if (store_volume_users(s, name, &users, err) < 0)
			return -1;
		if (users[0])
			return fs_mkdir_p(data, 0755, err);
		if (store_volume_delete(s, name, err) < 0)
			return -1;
	} else if (old) {
		return fs_exists(data) ? 0 : fs_mkdir_p(data, 0755, err);
	}
	if (make_folder(s, name, err) < 0)
		return -1;
	ltext = labels_text(labels, flags & VOLUME_CREATE_ANONYMOUS);
	otext = json_is_object(options) ? json_compact(options) : xstrdup("null");
	rec = (struct store_volume){.name = (char *)name,
				    .driver = "local",
				    .labels = ltext,
				    .options = otext,
				    .anonymous = flags & VOLUME_CREATE_ANONYMOUS,
				    .created = time_now_ns()};
	*made = true;
	return store_volume_add(s, &rec, err);
}

int volume_create(struct store *s, const char *name, const json_t *labels, const json_t *options,
		  unsigned flags, char **out, bool *made, struct berth_error **err)
{
	_cleanup_free_ char *gen = NULL, *dir = NULL;
	bool in_txn = flags & VOLUME_CREATE_IN_TRANSACTION, m = false;

	if (!name || !*name)
		name = gen = random_name();
	else if (volume_validate_name(name, err) < 0)
		return berth_error_wrap(err, "create %s", name);
	if (json_object_size(options) && volume_validate_options(options, err) < 0)
		return berth_error_wrap(err, "create %s", name);
	if (!in_txn && store_begin(s, err) < 0)
		return -1;
	if (create_locked(s, name, labels, options, flags, &m, err) < 0 ||
	    (!in_txn && store_commit(s, err) < 0)) {
		if (!in_txn)
			store_rollback(s);
		if (m) {
			dir = volume_dir(s, name);
			fs_rm_rf(dir, NULL);
		}
		return -1;
	}
	if (made)
		*made = m;
	*out = xstrdup(name);
	return 0;
}

void volume_discard(struct store *s, const char *name)
{
	_cleanup_free_ char *dir = volume_dir(s, name);

	fs_rm_rf(dir, NULL);
}

static void reconcile(struct store *s);

struct volume *volume_get(struct store *s, const char *name, struct berth_error **err)
{
	_cleanup_(store_volume_freep) struct store_volume *r = NULL;

	reconcile(s);
	r = store_volume_get(s, name, NULL);

	if (!r) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "get %s: no such volume", name);
		return NULL;
	}
	return from_record(s, r);
}

int volume_users(struct store *s, const char *name, char ***ids, struct berth_error **err)
{
	return store_volume_users(s, name, ids, err);
}

/* The names of the folders under volumes/. */
static char **folder_names(const struct store *s)
{
	_cleanup_free_ char *root = volumes_root(s);
	_cleanup_closedir_ DIR *d = opendir(root);
	char **names = xcalloc(1, sizeof(char *));
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strv_push(&names, de->d_name);
	return names;
}

static bool has_record(struct store_volume **recs, const char *name)
{
	for (size_t i = 0; recs[i]; i++)
		if (!strcmp(recs[i]->name, name))
			return true;
	return false;
}

/* Does a record lack its folder, or a folder its record? (read without the lock) */
static bool needs_reconcile(struct store *s, struct store_volume **recs, char **folders)
{
	for (size_t i = 0; recs[i]; i++) {
		_cleanup_free_ char *dir = volume_dir(s, recs[i]->name);
		if (!fs_exists(dir))
			return true;
	}
	for (size_t i = 0; folders[i]; i++)
		if (!has_record(recs, folders[i]))
			return true;
	return false;
}

/* Under the lock: records without folders go (or get one back when in use), orphans go. */
static int reconcile_locked(struct store *s, char ***trashed, struct berth_error **err)
{
	struct store_volume **recs = NULL;
	_cleanup_strv_ char **folders = folder_names(s);
	_cleanup_free_ char *trash = trash_dir(s);
	int r = 0;

	if (store_volume_list(s, &recs, err) < 0)
		return -1;
	for (size_t i = 0; recs[i] && r == 0; i++) {
		_cleanup_free_ char *dir = volume_dir(s, recs[i]->name);
		_cleanup_free_ char *data = volume_path(s, recs[i]->name);
		_cleanup_strv_ char **users = NULL;

		if (fs_exists(dir))
			continue;
		if (store_volume_users(s, recs[i]->name, &users, err) < 0)
			r = -1;
		else if (users[0])
			r = fs_mkdir_p(data, 0755, err);
		else
			r = store_volume_delete(s, recs[i]->name, err);
		if (r == 0)
			log_info("volume %s had no folder left: %s", recs[i]->name,
				 users && users[0] ? "made again" : "record dropped");
	}
	for (size_t i = 0; folders[i] && r == 0; i++) {
		_cleanup_free_ char *dir = volume_dir(s, folders[i]);
		char *gone;

		if (has_record(recs, folders[i]))
			continue;
		log_info("volume folder %s has no record: removed", folders[i]);
		gone = fs_trash(dir, trash, err);
		if (!gone)
			r = -1;
		else
			strv_push_take(trashed, gone);
	}
	store_volume_list_free(recs);
	return r;
}

/* What a crash left (see the top of this file), reconciled under the store's write lock. */
static void reconcile(struct store *s)
{
	_cleanup_error_ struct berth_error *err = NULL;
	struct store_volume **recs = NULL;
	_cleanup_strv_ char **folders = folder_names(s);
	_cleanup_strv_ char **trashed = NULL;
	bool needed;

	if (store_volume_list(s, &recs, NULL) < 0)
		return;
	needed = needs_reconcile(s, recs, folders);
	store_volume_list_free(recs);
	if (!needed || store_begin(s, &err) < 0)
		return;
	if (reconcile_locked(s, &trashed, &err) < 0 || store_commit(s, &err) < 0) {
		store_rollback(s);
		log_warn("cannot reconcile the volumes: %s", err->msg);
		/* trashed folders of a failed reconcile would lose data: put them back */
		for (size_t i = 0; trashed && trashed[i]; i++) {
			const char *base = strchr(strrchr(trashed[i], '/'), '-') + 1;
			_cleanup_free_ char *dir = volume_dir(s, base);
			rename(trashed[i], dir);
		}
		return;
	}
	for (size_t i = 0; trashed && trashed[i]; i++)
		fs_rm_rf(trashed[i], NULL);
}

int volume_list(struct store *s, struct volume ***out, struct berth_error **err)
{
	struct store_volume **recs = NULL;
	struct volume **v;
	size_t n;

	reconcile(s);
	if (store_volume_list(s, &recs, err) < 0)
		return -1;
	n = 0;
	while (recs[n])
		n++;
	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = from_record(s, recs[i]);
	store_volume_list_free(recs);
	*out = v;
	return 0;
}

static char *joined(char *const *v, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; v && v[i]; i++)
		strbuf_addf(&sb, "%s%s", i ? sep : "", v[i]);
	return strbuf_detach(&sb);
}

/* In the transaction: checks, deletes the record and moves the folder to the trash. */
static int remove_locked(struct store *s, const char *name, bool force, char **gone,
			 struct berth_error **err)
{
	_cleanup_(store_volume_freep) struct store_volume *r = store_volume_get(s, name, NULL);
	_cleanup_strv_ char **users = NULL;
	_cleanup_free_ char *dir = volume_dir(s, name), *trash = trash_dir(s);

	if (!r) {
		if (force)
			return 0;
		return berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "get %s: no such volume",
					name);
	}
	if (store_volume_users(s, name, &users, err) < 0)
		return -1;
	if (users[0]) {
		_cleanup_free_ char *ids = joined(users, ", ");
		return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
					"remove %s: volume is in use - [%s]", name, ids);
	}
	if (store_volume_delete(s, name, err) < 0)
		return -1;
	if (!fs_exists(dir))
		return 0;
	*gone = fs_trash(dir, trash, err);
	return *gone ? 0 : -1;
}

int volume_remove(struct store *s, const char *name, bool force, struct berth_error **err)
{
	_cleanup_free_ char *gone = NULL, *dir = NULL;

	if (store_begin(s, err) < 0)
		return -1;
	if (remove_locked(s, name, force, &gone, err) < 0) {
		store_rollback(s);
		return -1;
	}
	/* a crash here leaves the record (rolled back) and the folder in the trash */
	crash_point("volume-rm");
	if (store_commit(s, err) < 0) {
		dir = volume_dir(s, name);
		if (gone && rename(gone, dir) < 0)
			log_warn_errno(errno, "cannot move '%s' back to '%s'", gone, dir);
		return -1;
	}
	return gone ? fs_rm_rf(gone, err) : 0;
}

void volume_remove_unused(struct store *s, char *const *names)
{
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_error_ struct berth_error *err = NULL;

		if (volume_remove(s, names[i], true, &err) < 0 && err->kind != BERTH_ERR_CONFLICT)
			log_warn("cannot remove volume %s: %s", names[i], err->msg);
	}
}

int volume_prune(struct store *s, bool all, bool (*want)(const struct volume *v, void *ctx),
		 void *ctx, char ***removed, long long *reclaimed, struct berth_error **err)
{
	struct volume **list = NULL;

	*removed = xcalloc(1, sizeof(char *));
	*reclaimed = 0;
	if (volume_list(s, &list, err) < 0)
		return -1;
	for (size_t i = 0; list[i]; i++) {
		_cleanup_error_ struct berth_error *e = NULL;
		_cleanup_strv_ char **users = NULL;
		long long size;

		if ((!all && !list[i]->anonymous) || (want && !want(list[i], ctx)) ||
		    store_volume_users(s, list[i]->name, &users, NULL) < 0 || users[0])
			continue;
		size = fs_tree_size(list[i]->mountpoint);
		if (volume_remove(s, list[i]->name, false, &e) < 0)
			continue; /* taken meanwhile */
		*reclaimed += size;
		strv_push(removed, list[i]->name);
	}
	volume_list_free(list);
	return 0;
}

json_t *volume_inspect(const struct volume *v)
{
	char created[64];
	struct tm tm;
	time_t sec = (time_t)(v->created / 1000000000LL);

	gmtime_r(&sec, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:O, s:s, s:s, s:O, s:s}", "CreatedAt", created, "Driver",
			 v->driver, "Labels", v->labels, "Mountpoint", v->mountpoint, "Name",
			 v->name, "Options", v->options, "Scope", "local");
}
