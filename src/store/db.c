#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "store/store.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strutil.h"

#define SCHEMA_VERSION 4

static const char schema_v1[] =
	"CREATE TABLE images ("
	"  id TEXT PRIMARY KEY, config TEXT NOT NULL, created INTEGER NOT NULL,"
	"  size INTEGER NOT NULL, added INTEGER NOT NULL);"
	"CREATE TABLE layers ("
	"  chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT, size INTEGER NOT NULL);"
	"CREATE TABLE image_layers ("
	"  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE, idx INTEGER NOT NULL,"
	"  chain_id TEXT NOT NULL REFERENCES layers(chain_id), PRIMARY KEY (image_id, idx));"
	"CREATE INDEX image_layers_chain ON image_layers(chain_id);"
	"CREATE TABLE tags ("
	"  ref TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id), added INTEGER);"
	"CREATE INDEX tags_image ON tags(image_id);"
	"CREATE TABLE containers ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image_id TEXT NOT NULL,"
	"  image TEXT NOT NULL, config TEXT NOT NULL, created INTEGER NOT NULL,"
	"  state INTEGER NOT NULL, pid INTEGER NOT NULL DEFAULT 0,"
	"  monitor_pid INTEGER NOT NULL DEFAULT 0, exit_code INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL DEFAULT 0, finished_at INTEGER NOT NULL DEFAULT 0,"
	"  restart_count INTEGER NOT NULL DEFAULT 0, oom_killed INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX containers_image ON containers(image_id);";

/* v2: what ps shows, kept apart so that listing needs no parse of the config. */
static const char schema_v2[] =
	"ALTER TABLE containers ADD COLUMN command TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE containers ADD COLUMN labels TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE containers ADD COLUMN network TEXT NOT NULL DEFAULT '';";

/*
 * v3: networks and their address leases. A lease is unique per network and
 * address and per network and container: the UNIQUE constraints are what keeps
 * concurrent starts from sharing an address.
 */
static const char schema_v3[] =
	"CREATE TABLE networks ("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, driver TEXT NOT NULL,"
	"  bridge TEXT NOT NULL, subnet TEXT NOT NULL, gateway TEXT NOT NULL,"
	"  created INTEGER NOT NULL, internal INTEGER NOT NULL DEFAULT 0,"
	"  labels TEXT NOT NULL DEFAULT '{}', options TEXT NOT NULL DEFAULT '{}');"
	"CREATE TABLE leases ("
	"  network_id TEXT NOT NULL REFERENCES networks(id), address TEXT NOT NULL,"
	"  container_id TEXT NOT NULL, endpoint_id TEXT NOT NULL,"
	"  UNIQUE (network_id, address), UNIQUE (network_id, container_id));"
	"CREATE INDEX leases_container ON leases(container_id);";

/*
 * v4: volumes and the containers that use them. A use references its volume,
 * so a volume in use cannot be deleted; a container's uses go with it.
 */
static const char schema_v4[] =
	"CREATE TABLE volumes ("
	"  name TEXT PRIMARY KEY, driver TEXT NOT NULL DEFAULT 'local',"
	"  labels TEXT NOT NULL DEFAULT 'null', options TEXT NOT NULL DEFAULT 'null',"
	"  anonymous INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
	"CREATE TABLE volume_uses ("
	"  container_id TEXT NOT NULL REFERENCES containers(id) ON DELETE CASCADE,"
	"  volume TEXT NOT NULL REFERENCES volumes(name), destination TEXT NOT NULL,"
	"  anonymous INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (container_id, destination));"
	"CREATE INDEX volume_uses_volume ON volume_uses(volume);";

/* migrations[n] takes a store from version n to n + 1. */
static const char *const migrations[] = {schema_v1, schema_v2, schema_v3, schema_v4};

static int db_error(struct store *s, struct berth_error **err, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);
	enum berth_error_kind kind = BERTH_ERR_GENERIC;

	if ((code & 0xff) == SQLITE_CONSTRAINT)
		kind = BERTH_ERR_CONFLICT;
	return berth_error_setk(err, kind, 0, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

static void stmt_finalizep(sqlite3_stmt **st)
{
	if (*st)
		sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(stmt_finalizep)

/*
 * Prepares sql and binds the arguments described by types: 's' const char *,
 * 'i' int64_t, 'n' int. Returns NULL on failure.
 */
static sqlite3_stmt *prepare(struct store *s, struct berth_error **err, const char *sql,
			     const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;
	int i = 1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(s, err, "prepare");
		return NULL;
	}
	va_start(ap, types);
	for (const char *t = types; *t; t++, i++) {
		if (*t == 's') {
			const char *v = va_arg(ap, const char *);
			if (v)
				sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, i);
		} else if (*t == 'i') {
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
		} else {
			sqlite3_bind_int(st, i, va_arg(ap, int));
		}
	}
	va_end(ap);
	return st;
}

/* Runs a statement that returns no rows. */
static int exec_stmt(struct store *s, sqlite3_stmt *st, const char *what, struct berth_error **err)
{
	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, err, what);
	return 0;
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);
	return xstrdup(v ? (const char *)v : "");
}

static int migrate(struct store *s, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(s, err, "PRAGMA user_version", "");
	int version;

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, err, "read schema version");
	version = sqlite3_column_int(st, 0);
	if (version == SCHEMA_VERSION)
		return 0;
	if (version > SCHEMA_VERSION)
		return berth_error_set(err, 0, "store: schema version %d is newer than this berth",
				       version);
	if (store_begin(s, err) < 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	sqlite3_reset(st);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == SCHEMA_VERSION) {
		store_rollback(s);
		return 0;
	}
	for (int v = version; v < SCHEMA_VERSION; v++) {
		if (sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL) != SQLITE_OK) {
			db_error(s, err, "migrate the schema");
			store_rollback(s);
			return -1;
		}
	}
	if (sqlite3_exec(s->db, "PRAGMA user_version = " STRINGIFY(SCHEMA_VERSION), NULL, NULL,
			 NULL) != SQLITE_OK) {
		db_error(s, err, "create schema");
		store_rollback(s);
		return -1;
	}
	return store_commit(s, err);
}

static int connect_db(struct store *s, struct berth_error **err)
{
	_cleanup_free_ char *path = xasprintf("%s/berth.db", s->root);
	int persist_wal = 1;

	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return berth_error_set(err, 0, "store: open '%s': %s", path,
				       s->db ? sqlite3_errmsg(s->db) : "out of memory");
	sqlite3_busy_timeout(s->db, 30000);
	/*
	 * The WAL stays from one connection to the next. Every berth command and
	 * monitor is a short connection: the last one to close would checkpoint
	 * (two fsyncs, other processes locked out meanwhile) and delete the WAL,
	 * and the next one's first commit would sync a new one. Checkpoints come
	 * as the WAL grows instead (every 1000 pages).
	 */
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
	/* synchronous=NORMAL is durable in WAL mode except for the last commits before a
	 * power loss, which is what Docker's own stores give too. */
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "configure");
	return 0;
}

struct store *store_open(const char *root, const char *runroot, struct berth_error **err)
{
	struct store *s;

	if (fs_mkdir_p(root, 0711, err) < 0 || fs_mkdir_p(runroot, 0711, err) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(root);
	s->runroot = xstrdup(runroot);
	if (connect_db(s, err) < 0 || migrate(s, err) < 0) {
		store_close(s);
		return NULL;
	}
	return s;
}

void store_suspend(struct store *s)
{
	sqlite3_close_v2(s->db);
	s->db = NULL;
}

int store_resume(struct store *s, struct berth_error **err)
{
	return s->db ? 0 : connect_db(s, err);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	free(s->root);
	free(s->runroot);
	free(s);
}

int store_begin(struct store *s, struct berth_error **err)
{
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "begin");
	return 0;
}

int store_commit(struct store *s, struct berth_error **err)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(s, err, "commit");
		store_rollback(s);
		return -1;
	}
	return 0;
}

void store_rollback(struct store *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Images */

void store_image_free(struct store_image *img)
{
	if (!img)
		return;
	free(img->id);
	free(img->config);
	strv_free(img->layers);
	strv_free(img->tags);
	free(img);
}

void store_image_list_free(struct store_image **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_image_free(v[i]);
	free(v);
}

int store_image_add(struct store *s, const struct store_image *img, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	st = prepare(s, err,
		     "INSERT OR IGNORE INTO images(id, config, created, size, added)"
		     " VALUES(?, ?, ?, ?, strftime('%s','now'))",
		     "ssii", img->id, img->config, img->created, (int64_t)img->size);
	if (exec_stmt(s, st, "add image", err) < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0)
		return 0;
	for (size_t i = 0; img->layers && img->layers[i]; i++) {
		_cleanup_stmt_ sqlite3_stmt *l = prepare(
			s, err, "INSERT INTO image_layers(image_id, idx, chain_id) VALUES(?, ?, ?)",
			"sns", img->id, (int)i, img->layers[i]);
		if (exec_stmt(s, l, "add image layer", err) < 0)
			return -1;
	}
	return 0;
}

static char **query_strv(struct store *s, sqlite3_stmt *st)
{
	char **v = xcalloc(1, sizeof(char *));

	(void)s;
	while (st && sqlite3_step(st) == SQLITE_ROW)
		strv_push_take(&v, col_str(st, 0));
	return v;
}

static struct store_image *image_from_row(struct store *s, sqlite3_stmt *st,
					  struct berth_error **err)
{
	struct store_image *img = xcalloc(1, sizeof(*img));
	_cleanup_stmt_ sqlite3_stmt *l = NULL;
	_cleanup_stmt_ sqlite3_stmt *t = NULL;

	img->id = col_str(st, 0);
	img->config = col_str(st, 1);
	img->created = sqlite3_column_int64(st, 2);
	img->size = sqlite3_column_int64(st, 3);
	l = prepare(s, err, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx",
		    "s", img->id);
	t = prepare(s, err, "SELECT ref FROM tags WHERE image_id = ? ORDER BY added DESC, ref", "s",
		    img->id);
	img->layers = query_strv(s, l);
	img->tags = query_strv(s, t);
	return img;
}

struct store_image *store_image_get(struct store *s, const char *id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;

	st = prepare(s, err, "SELECT id, config, created, size FROM images WHERE id = ?", "s", id);
	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", id);
		return NULL;
	}
	return image_from_row(s, st, err);
}

char *store_image_find_id(struct store *s, const char *prefix, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *pattern = NULL;
	char *id;

	pattern = xasprintf("%s%s*", str_has_prefix(prefix, "sha256:") ? "" : "sha256:", prefix);
	st = prepare(s, err, "SELECT id FROM images WHERE id GLOB ? LIMIT 2", "s", pattern);
	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", prefix);
		return NULL;
	}
	id = col_str(st, 0);
	if (sqlite3_step(st) == SQLITE_ROW) {
		free(id);
		berth_error_setk(err, BERTH_ERR_INVALID, 0,
				 "multiple IDs found with provided prefix: %s", prefix);
		return NULL;
	}
	return id;
}

int store_image_list(struct store *s, struct store_image ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_image **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	st = prepare(s, err, "SELECT id, config, created, size FROM images ORDER BY created DESC",
		     "");
	if (!st) {
		free(v);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = image_from_row(s, st, err);
		v[n] = NULL;
	}
	*out = v;
	return 0;
}

int store_image_delete(struct store *s, const char *id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM images WHERE id = ?", "s", id);
	return exec_stmt(s, st, "delete image", err);
}

int store_image_users(struct store *s, const char *id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT count(*) FROM containers WHERE image_id = ?", "s", id);

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return db_error(s, err, "count containers");
	return sqlite3_column_int(st, 0);
}

/* Tags */

int store_tag_set(struct store *s, const char *ref, const char *image_id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(s, err,
						  "INSERT OR REPLACE INTO tags(ref, image_id, "
						  "added) VALUES(?, ?, strftime('%s','now'))",
						  "ss", ref, image_id);
	return exec_stmt(s, st, "set tag", err);
}

char *store_tag_get(struct store *s, const char *ref, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT image_id FROM tags WHERE ref = ?", "s", ref);

	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such image: %s", ref);
		return NULL;
	}
	return col_str(st, 0);
}

int store_tag_delete(struct store *s, const char *ref, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM tags WHERE ref = ?", "s", ref);
	return exec_stmt(s, st, "delete tag", err);
}

/* Layers */

int store_layer_add(struct store *s, const char *chain_id, const char *diff_id, const char *parent,
		    long long size, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"INSERT OR IGNORE INTO layers(chain_id, diff_id, parent, size) VALUES(?, ?, ?, ?)",
		"sssi", chain_id, diff_id, parent, (int64_t)size);
	return exec_stmt(s, st, "add layer", err);
}

bool store_layer_exists(struct store *s, const char *chain_id)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, NULL, "SELECT 1 FROM layers WHERE chain_id = ?", "s", chain_id);
	return st && sqlite3_step(st) == SQLITE_ROW;
}

int store_layer_size(struct store *s, const char *chain_id, long long *size)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, NULL, "SELECT size FROM layers WHERE chain_id = ?", "s", chain_id);

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return -1;
	*size = (long long)sqlite3_column_int64(st, 0);
	return 0;
}

char *store_layer_diff_id(struct store *s, const char *chain_id)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, NULL, "SELECT diff_id FROM layers WHERE chain_id = ?", "s", chain_id);

	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return NULL;
	return xstrdup((const char *)sqlite3_column_text(st, 0));
}

bool store_diff_id_used(struct store *s, const char *diff_id)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, NULL, "SELECT 1 FROM layers WHERE diff_id = ?", "s", diff_id);
	return !st || sqlite3_step(st) == SQLITE_ROW;
}

int store_layer_unused(struct store *s, char ***chain_ids, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err,
			"SELECT chain_id FROM layers WHERE chain_id NOT IN"
			" (SELECT chain_id FROM image_layers) AND chain_id NOT IN"
			" (SELECT parent FROM layers WHERE parent IS NOT NULL AND chain_id IN"
			"  (SELECT chain_id FROM image_layers))",
			"");
	if (!st)
		return -1;
	*chain_ids = query_strv(s, st);
	return 0;
}

int store_layer_delete(struct store *s, const char *chain_id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM layers WHERE chain_id = ?", "s", chain_id);
	return exec_stmt(s, st, "delete layer", err);
}

void store_layer_list_free(struct store_layer **v)
{
	for (size_t i = 0; v && v[i]; i++) {
		free(v[i]->chain_id);
		free(v[i]->diff_id);
		free(v[i]->parent);
		free(v[i]);
	}
	free(v);
}

int store_layer_list(struct store *s, struct store_layer ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT chain_id, diff_id, parent, size FROM layers", "");
	struct store_layer **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	int rc;

	if (!st) {
		free(v);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_layer *l = xcalloc(1, sizeof(*l));

		l->chain_id = col_str(st, 0);
		l->diff_id = col_str(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			l->parent = col_str(st, 2);
		l->size = sqlite3_column_int64(st, 3);
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = l;
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		store_layer_list_free(v);
		return db_error(s, err, "list layers");
	}
	*out = v;
	return 0;
}

/* Containers */

static const char *const state_names[] = {
	[STORE_CONTAINER_CREATED] = "created", [STORE_CONTAINER_RUNNING] = "running",
	[STORE_CONTAINER_PAUSED] = "paused",   [STORE_CONTAINER_RESTARTING] = "restarting",
	[STORE_CONTAINER_EXITED] = "exited",   [STORE_CONTAINER_REMOVING] = "removing",
	[STORE_CONTAINER_DEAD] = "dead",
};

const char *store_container_state_name(enum store_container_state st)
{
	return (unsigned)st < ARRAY_SIZE(state_names) ? state_names[st] : "unknown";
}

void store_container_free(struct store_container *c)
{
	if (!c)
		return;
	free(c->id);
	free(c->name);
	free(c->image_id);
	free(c->image);
	free(c->config);
	free(c->error);
	free(c->command);
	free(c->labels);
	free(c->network);
	free(c);
}

void store_container_list_free(struct store_container **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_container_free(v[i]);
	free(v);
}

int store_container_add(struct store *s, const struct store_container *c, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"INSERT INTO containers(id, name, image_id, image, config, created, state,"
		" monitor_pid, command, labels, network) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"sssssinnsss", c->id, c->name, c->image_id, c->image, c->config, c->created,
		(int)c->state, (int)c->monitor_pid, c->command ? c->command : "",
		c->labels ? c->labels : "{}", c->network ? c->network : "");

	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
			return berth_error_setk(
				err, BERTH_ERR_CONFLICT, 0,
				"Conflict. The container name \"/%s\" is already in "
				"use by another container",
				c->name);
		return db_error(s, err, "add container");
	}
	return 0;
}

#define CONTAINER_COLUMNS                                                                          \
	"id, name, image_id, image, config, created, state, pid, monitor_pid, exit_code,"          \
	" started_at, finished_at, restart_count, oom_killed, error, command, labels, network"

static struct store_container *container_from_row(sqlite3_stmt *st)
{
	struct store_container *c = xcalloc(1, sizeof(*c));

	c->id = col_str(st, 0);
	c->name = col_str(st, 1);
	c->image_id = col_str(st, 2);
	c->image = col_str(st, 3);
	c->config = col_str(st, 4);
	c->created = sqlite3_column_int64(st, 5);
	c->state = (enum store_container_state)sqlite3_column_int(st, 6);
	c->pid = sqlite3_column_int(st, 7);
	c->monitor_pid = sqlite3_column_int(st, 8);
	c->exit_code = sqlite3_column_int(st, 9);
	c->started_at = sqlite3_column_int64(st, 10);
	c->finished_at = sqlite3_column_int64(st, 11);
	c->restart_count = sqlite3_column_int(st, 12);
	c->oom_killed = sqlite3_column_int(st, 13);
	c->error = col_str(st, 14);
	c->command = col_str(st, 15);
	c->labels = col_str(st, 16);
	c->network = col_str(st, 17);
	return c;
}

struct store_container *store_container_find(struct store *s, const char *what,
					     struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *pattern = NULL;
	const char *name = what[0] == '/' ? what + 1 : what;
	struct store_container *c;

	/* Docker's order: full ID, then name, then a unique ID prefix. */
	st = prepare(s, err,
		     "SELECT " CONTAINER_COLUMNS " FROM containers WHERE id = ? OR name = ?"
		     " ORDER BY id = ? DESC LIMIT 1",
		     "sss", what, name, what);
	if (!st)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		return container_from_row(st);
	sqlite3_finalize(st);
	st = NULL;
	if (!*what || !str_is_hex(what, strlen(what)))
		goto not_found;
	pattern = xasprintf("%s*", what);
	st = prepare(s, err, "SELECT " CONTAINER_COLUMNS " FROM containers WHERE id GLOB ? LIMIT 2",
		     "s", pattern);
	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto not_found;
	c = container_from_row(st);
	if (sqlite3_step(st) == SQLITE_ROW) {
		store_container_free(c);
		berth_error_setk(err, BERTH_ERR_INVALID, 0,
				 "multiple IDs found with provided prefix: %s", what);
		return NULL;
	}
	return c;
not_found:
	berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such container: %s", what);
	return NULL;
}

int store_container_list(struct store *s, struct store_container ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_container **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	/* Listing: the config (a kilobyte or more each) only of records older than
	 * schema v2, whose command and labels are not kept apart. */
	st = prepare(
		s, err,
		"SELECT id, name, image_id, image, CASE WHEN command = '' THEN config ELSE '' END,"
		" created, state, pid, monitor_pid, exit_code, started_at, finished_at,"
		" restart_count, oom_killed, error, command, labels, network"
		" FROM containers ORDER BY created DESC",
		"");
	if (!st) {
		free(v);
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = container_from_row(st);
		v[n] = NULL;
	}
	*out = v;
	return 0;
}

/* Running, paused or waiting to restart: what may hold an address. */
static bool holds_leases(enum store_container_state st)
{
	return st == STORE_CONTAINER_RUNNING || st == STORE_CONTAINER_PAUSED ||
	       st == STORE_CONTAINER_RESTARTING;
}

/*
 * Runs st and frees the leases of container id in one transaction (the
 * caller's when it is in one: a savepoint then).
 */
static int exec_freeing_leases(struct store *s, sqlite3_stmt *st, const char *id, const char *what,
			       struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *del = NULL;
	bool outer = sqlite3_get_autocommit(s->db);

	if (!st)
		return -1;
	if (outer ? store_begin(s, err) < 0
		  : sqlite3_exec(s->db, "SAVEPOINT leases", NULL, NULL, NULL) != SQLITE_OK)
		return outer ? -1 : db_error(s, err, "savepoint");
	del = prepare(s, err, "DELETE FROM leases WHERE container_id = ?", "s", id);
	if (exec_stmt(s, st, what, err) < 0 || exec_stmt(s, del, "free leases", err) < 0) {
		if (outer)
			store_rollback(s);
		else
			sqlite3_exec(s->db, "ROLLBACK TO leases; RELEASE leases", NULL, NULL, NULL);
		return -1;
	}
	if (outer)
		return store_commit(s, err);
	if (sqlite3_exec(s->db, "RELEASE leases", NULL, NULL, NULL) != SQLITE_OK)
		return db_error(s, err, "release savepoint");
	return 0;
}

int store_container_update_state(struct store *s, const struct store_container *c,
				 struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"UPDATE containers SET state = ?, pid = ?, monitor_pid = ?, exit_code = ?,"
		" started_at = ?, finished_at = ?, restart_count = ?, oom_killed = ?, error = ?"
		" WHERE id = ?",
		"nnnniinnss", (int)c->state, (int)c->pid, (int)c->monitor_pid, c->exit_code,
		c->started_at, c->finished_at, c->restart_count, (int)c->oom_killed,
		c->error ? c->error : "", c->id);

	if (holds_leases(c->state))
		return exec_stmt(s, st, "update container", err);
	return exec_freeing_leases(s, st, c->id, "update container", err);
}

int store_container_delete(struct store *s, const char *id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM containers WHERE id = ?", "s", id);
	return exec_freeing_leases(s, st, id, "delete container", err);
}

int store_container_rename(struct store *s, const char *id, const char *name,
			   struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "UPDATE containers SET name = ? WHERE id = ?", "ss", name, id);

	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
			return berth_error_setk(
				err, BERTH_ERR_CONFLICT, 0,
				"Conflict. The container name \"/%s\" is already in "
				"use by another container",
				name);
		return db_error(s, err, "rename container");
	}
	return 0;
}

int store_container_set_config(struct store *s, const char *id, const char *config,
			       struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "UPDATE containers SET config = ? WHERE id = ?", "ss", config, id);

	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE)
		return db_error(s, err, "update container config");
	return 0;
}

bool store_container_name_taken(struct store *s, const char *name)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, NULL, "SELECT 1 FROM containers WHERE name = ?", "s", name);
	return st && sqlite3_step(st) == SQLITE_ROW;
}

/* Networks */

void store_network_free(struct store_network *n)
{
	if (!n)
		return;
	free(n->id);
	free(n->name);
	free(n->driver);
	free(n->bridge);
	free(n->subnet);
	free(n->gateway);
	free(n->labels);
	free(n->options);
	free(n);
}

void store_network_list_free(struct store_network **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_network_free(v[i]);
	free(v);
}

int store_network_add(struct store *s, const struct store_network *n, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"INSERT INTO networks(id, name, driver, bridge, subnet, gateway, created, internal,"
		" labels, options) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		"ssssssinss", n->id, n->name, n->driver, n->bridge, n->subnet, n->gateway,
		n->created, (int)n->internal, n->labels ? n->labels : "{}",
		n->options ? n->options : "{}");

	if (!st)
		return -1;
	if (sqlite3_step(st) != SQLITE_DONE) {
		if ((sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_CONSTRAINT)
			return berth_error_setk(err, BERTH_ERR_CONFLICT, 0,
						"network with name %s already exists", n->name);
		return db_error(s, err, "add network");
	}
	return 0;
}

#define NETWORK_COLUMNS                                                                            \
	"id, name, driver, bridge, subnet, gateway, created, internal, labels, options"

static struct store_network *network_from_row(sqlite3_stmt *st)
{
	struct store_network *n = xcalloc(1, sizeof(*n));

	n->id = col_str(st, 0);
	n->name = col_str(st, 1);
	n->driver = col_str(st, 2);
	n->bridge = col_str(st, 3);
	n->subnet = col_str(st, 4);
	n->gateway = col_str(st, 5);
	n->created = sqlite3_column_int64(st, 6);
	n->internal = sqlite3_column_int(st, 7);
	n->labels = col_str(st, 8);
	n->options = col_str(st, 9);
	return n;
}

struct store_network *store_network_find(struct store *s, const char *what,
					 struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *pattern = NULL;
	struct store_network *n;

	/* Docker's order: full ID, then name, then a unique ID prefix. */
	st = prepare(s, err,
		     "SELECT " NETWORK_COLUMNS " FROM networks WHERE id = ? OR name = ?"
		     " ORDER BY id = ? DESC LIMIT 1",
		     "sss", what, what, what);
	if (!st)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		return network_from_row(st);
	sqlite3_finalize(st);
	st = NULL;
	if (!*what || !str_is_hex(what, strlen(what)))
		goto not_found;
	pattern = xasprintf("%s*", what);
	st = prepare(s, err, "SELECT " NETWORK_COLUMNS " FROM networks WHERE id GLOB ? LIMIT 2",
		     "s", pattern);
	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto not_found;
	n = network_from_row(st);
	if (sqlite3_step(st) == SQLITE_ROW) {
		store_network_free(n);
		berth_error_setk(err, BERTH_ERR_INVALID, 0,
				 "network %s is ambiguous (2 matches found based on ID prefix)",
				 what);
		return NULL;
	}
	return n;
not_found:
	berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "network %s not found", what);
	return NULL;
}

int store_network_list(struct store *s, struct store_network ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT " NETWORK_COLUMNS " FROM networks ORDER BY created", "");
	struct store_network **v;
	size_t n = 0;
	int rc;

	if (!st)
		return -1;
	v = xcalloc(1, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = network_from_row(st);
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		store_network_list_free(v);
		return db_error(s, err, "list networks");
	}
	*out = v;
	return 0;
}

int store_network_delete(struct store *s, const char *id, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM networks WHERE id = ?", "s", id);
	return exec_stmt(s, st, "delete network", err);
}

/* Leases */

void store_lease_free(struct store_lease *l)
{
	if (!l)
		return;
	free(l->network_id);
	free(l->address);
	free(l->container_id);
	free(l->endpoint_id);
	free(l);
}

void store_lease_list_free(struct store_lease **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_lease_free(v[i]);
	free(v);
}

int store_lease_add(struct store *s, const struct store_lease *l, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err,
			"INSERT INTO leases(network_id, address, container_id, endpoint_id)"
			" VALUES(?, ?, ?, ?)",
			"ssss", l->network_id, l->address, l->container_id, l->endpoint_id);
	return exec_stmt(s, st, "add lease", err);
}

int store_lease_delete(struct store *s, const char *network_id, const char *container_id,
		       struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(s, err,
						  "DELETE FROM leases WHERE container_id = ?"
						  " AND (?2 IS NULL OR network_id = ?2)",
						  "ss", container_id, network_id);
	return exec_stmt(s, st, "delete lease", err);
}

/* The leases of a container (container_id) or of a network (network_id); of all when both NULL. */
int store_lease_list(struct store *s, const char *network_id, const char *container_id,
		     struct store_lease ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"SELECT network_id, address, container_id, endpoint_id FROM leases"
		" WHERE (?1 IS NULL OR network_id = ?1) AND (?2 IS NULL OR container_id = ?2)"
		" ORDER BY rowid",
		"ss", network_id, container_id);
	struct store_lease **v;
	size_t n = 0;
	int rc;

	if (!st)
		return -1;
	v = xcalloc(1, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_lease *l = xcalloc(1, sizeof(*l));

		l->network_id = col_str(st, 0);
		l->address = col_str(st, 1);
		l->container_id = col_str(st, 2);
		l->endpoint_id = col_str(st, 3);
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = l;
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		store_lease_list_free(v);
		return db_error(s, err, "list leases");
	}
	*out = v;
	return 0;
}

/* Volumes */

void store_volume_free(struct store_volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->driver);
	free(v->labels);
	free(v->options);
	free(v);
}

void store_volume_list_free(struct store_volume **v)
{
	for (size_t i = 0; v && v[i]; i++)
		store_volume_free(v[i]);
	free(v);
}

int store_volume_add(struct store *s, const struct store_volume *v, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"INSERT INTO volumes(name, driver, labels, options, anonymous, created)"
		" VALUES(?, ?, ?, ?, ?, ?)",
		"ssssni", v->name, v->driver ? v->driver : "local", v->labels ? v->labels : "null",
		v->options ? v->options : "null", (int)v->anonymous, v->created);
	return exec_stmt(s, st, "add volume", err);
}

#define VOLUME_COLUMNS "name, driver, labels, options, anonymous, created"

static struct store_volume *volume_from_row(sqlite3_stmt *st)
{
	struct store_volume *v = xcalloc(1, sizeof(*v));

	v->name = col_str(st, 0);
	v->driver = col_str(st, 1);
	v->labels = col_str(st, 2);
	v->options = col_str(st, 3);
	v->anonymous = sqlite3_column_int(st, 4);
	v->created = sqlite3_column_int64(st, 5);
	return v;
}

struct store_volume *store_volume_get(struct store *s, const char *name, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT " VOLUME_COLUMNS " FROM volumes WHERE name = ?", "s", name);

	if (!st)
		return NULL;
	if (sqlite3_step(st) != SQLITE_ROW) {
		berth_error_setk(err, BERTH_ERR_NOT_FOUND, 0, "No such volume: %s", name);
		return NULL;
	}
	return volume_from_row(st);
}

int store_volume_list(struct store *s, struct store_volume ***out, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "SELECT " VOLUME_COLUMNS " FROM volumes ORDER BY name", "");
	struct store_volume **v;
	size_t n = 0;
	int rc;

	if (!st)
		return -1;
	v = xcalloc(1, sizeof(*v));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = volume_from_row(st);
		v[n] = NULL;
	}
	if (rc != SQLITE_DONE) {
		store_volume_list_free(v);
		return db_error(s, err, "list volumes");
	}
	*out = v;
	return 0;
}

int store_volume_delete(struct store *s, const char *name, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err, "DELETE FROM volumes WHERE name = ?", "s", name);
	return exec_stmt(s, st, "delete volume", err);
}

int store_volume_users(struct store *s, const char *name, char ***container_ids,
		       struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st = prepare(
		s, err,
		"SELECT DISTINCT container_id FROM volume_uses WHERE volume = ? ORDER BY rowid",
		"s", name);

	if (!st)
		return -1;
	*container_ids = query_strv(s, st);
	return 0;
}

int store_volume_use_add(struct store *s, const char *container_id, const char *volume,
			 const char *destination, bool anonymous, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err,
			"INSERT INTO volume_uses(container_id, volume, destination, anonymous)"
			" VALUES(?, ?, ?, ?)",
			"sssn", container_id, volume, destination, (int)anonymous);
	return exec_stmt(s, st, "add volume use", err);
}

int store_volume_uses_of(struct store *s, const char *container_id, bool anonymous_only,
			 char ***volumes, struct berth_error **err)
{
	_cleanup_stmt_ sqlite3_stmt *st =
		prepare(s, err,
			"SELECT DISTINCT volume FROM volume_uses WHERE container_id = ?"
			" AND (anonymous OR NOT ?) ORDER BY rowid",
			"sn", container_id, (int)anonymous_only);

	if (!st)
		return -1;
	*volumes = query_strv(s, st);
	return 0;
}
