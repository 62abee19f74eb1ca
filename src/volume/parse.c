/*
 * The parsers of -v, --mount and --volumes-from, with Docker's rules and
 * messages: the CLI's reading (docker/cli's compose volume loader and MountOpt)
 * and the daemon's (volume/mounts' Linux parser).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "util/json.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "volume/volume.h"

static int invalid(struct berth_error **err, const char *fmt, ...) _printf_(2, 3);
static int invalid(struct berth_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	return berth_error_setk(err, BERTH_ERR_INVALID, 0, "%s", msg);
}

/* Go's path.Clean: one slash between names, no "." or "..", no final slash. */
static char *clean_path(const char *p)
{
	bool abs = p[0] == '/';
	char **parts = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.') {
			if (n && strcmp(parts[n - 1], ".."))
				free(parts[--n]), parts[n] = NULL;
			else if (!abs)
				strv_push(&parts, ".."), n++;
		} else if (len && !(len == 1 && c[0] == '.')) {
			strv_push_take(&parts, xstrndup(c, len));
			n++;
		}
		c += len;
		while (*c == '/')
			c++;
	}
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i || abs ? "/" : "", parts[i]);
	strv_free(parts);
	if (!sb.len)
		strbuf_addstr(&sb, abs ? "/" : ".");
	return strbuf_detach(&sb);
}

char *volume_clean_path(const char *path)
{
	return clean_path(path);
}

/* The CLI */

int volume_parse_cli_volume(const char *spec, const char *cwd, char **bind, char **anonymous,
			    struct berth_error **err)
{
	size_t len = strlen(spec), nparts = 1;
	const char *colon = strchr(spec, ':');

	*bind = *anonymous = NULL;
	if (len == 0)
		return invalid(err, "invalid empty volume spec");
	if (len <= 2) {
		*anonymous = xstrdup(spec);
		return 0;
	}
	for (const char *p = spec;; p++) {
		if (*p != ':' && *p)
			continue;
		/* an empty section: at the start, between colons or at the end */
		if (p == spec || p[-1] == ':')
			return invalid(err, "invalid spec: %s: empty section between colons", spec);
		if (!*p)
			break;
		if (++nparts > 3)
			return invalid(err, "invalid spec: %s: too many colons", spec);
	}
	if (!colon) {
		*anonymous = xstrdup(spec);
		return 0;
	}
	/* a source that is a path: a bind, "./x" and "." made absolute as the CLI does */
	if (cwd && (str_has_prefix(spec, "./") || (colon - spec == 1 && spec[0] == '.'))) {
		_cleanup_free_ char *host = xstrndup(spec, (size_t)(colon - spec));
		_cleanup_free_ char *joined = xasprintf("%s/%s", cwd, host);
		_cleanup_free_ char *abs = clean_path(joined);

		*bind = xasprintf("%s%s", abs, colon);
		return 0;
	}
	*bind = xstrdup(spec);
	return 0;
}

/* Modes */

static const char *const rw_modes[] = {"rw", "ro"};
static const char *const label_modes[] = {"z", "Z"};
static const char *const propagations[] = {"private", "rprivate", "slave",
					   "rslave",  "shared",	  "rshared"};
static const char *const copy_modes[] = {"nocopy"};
static const char *const consistency_modes[] = {"consistent", "cached", "delegated"};

static bool in(const char *const *set, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(set[i]) == len && !strncmp(set[i], s, len))
			return true;
	return false;
}
#define IN(set, s, len) in(set, ARRAY_SIZE(set), s, len)

/* Calls fn for each comma-separated word of mode; stops at the first non-zero return. */
static int each_word(const char *mode, int (*fn)(const char *w, size_t len, void *ctx), void *ctx)
{
	for (const char *p = mode;;) {
		size_t len = strcspn(p, ",");
		int r = fn(p, len, ctx);

		if (r)
			return r;
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

struct mode_count {
	int rw, label, propagation, copy, consistency;
};

static int count_word(const char *w, size_t len, void *ctx)
{
	struct mode_count *c = ctx;

	if (IN(rw_modes, w, len))
		c->rw++;
	else if (IN(label_modes, w, len))
		c->label++;
	else if (IN(propagations, w, len))
		c->propagation++;
	else if (IN(copy_modes, w, len))
		c->copy++;
	else if (IN(consistency_modes, w, len))
		c->consistency++;
	else
		return -1;
	return 0;
}

bool volume_mode_valid(const char *mode)
{
	struct mode_count c = {0};

	if (!mode || !*mode)
		return true;
	if (each_word(mode, count_word, &c))
		return false;
	return c.rw <= 1 && c.label <= 1 && c.propagation <= 1 && c.copy <= 1 && c.consistency <= 1;
}

static int is_ro(const char *w, size_t len, void *ctx)
{
	(void)ctx;
	return len == 2 && !strncmp(w, "ro", 2);
}

bool volume_mode_rw(const char *mode)
{
	return volume_mode_valid(mode) && !(mode && *mode && each_word(mode, is_ro, NULL));
}

static int find_propagation(const char *w, size_t len, void *ctx)
{
	if (!IN(propagations, w, len))
		return 0;
	*(char **)ctx = xstrndup(w, len);
	return 1;
}

static int find_nocopy(const char *w, size_t len, void *ctx)
{
	(void)ctx;
	return IN(copy_modes, w, len);
}

unsigned long volume_propagation_flags(const char *p)
{
	unsigned long rec = p && p[0] == 'r' ? MS_REC : 0;

	if (!p || !*p)
		return 0;
	if (rec)
		p++;
	if (!strcmp(p, "private"))
		return MS_PRIVATE | rec;
	if (!strcmp(p, "slave"))
		return MS_SLAVE | rec;
	if (!strcmp(p, "shared"))
		return MS_SHARED | rec;
	return 0;
}

/* The daemon */

/* The checks of the daemon's validateMountConfig on an API Mount object. */
static int validate_target(const char *type, const char *target, struct berth_error **err)
{
	_cleanup_free_ char *clean = NULL;

	if (!target || !*target)
		return invalid(
			err, "invalid mount config for type \"%s\": field Target must not be empty",
			type);
	clean = clean_path(target);
	if (!strcmp(clean, "/"))
		return invalid(err,
			       "invalid mount config for type \"%s\": invalid specification: "
			       "destination can't be '/'",
			       type);
	if (target[0] != '/')
		return invalid(err,
			       "invalid mount config for type \"%s\": invalid mount path: '%s' "
			       "mount path must be absolute",
			       type, target);
	return 0;
}

static int validate_bind(const json_t *m, bool check_source, struct berth_error **err)
{
	const char *src = json_get_str(m, "Source");
	const char *prop = json_get_str(json_object_get(m, "BindOptions"), "Propagation");
	struct stat st;

	if (!src || !*src)
		return invalid(
			err,
			"invalid mount config for type \"bind\": field Source must not be empty");
	if (prop && *prop && !IN(propagations, prop, strlen(prop)))
		return invalid(
			err, "invalid mount config for type \"bind\": invalid propagation mode: %s",
			prop);
	if (json_object_get(m, "VolumeOptions"))
		return invalid(err, "invalid mount config for type \"bind\": field VolumeOptions "
				    "must not be specified");
	if (src[0] != '/')
		return invalid(err,
			       "invalid mount config for type \"bind\": invalid mount path: '%s' "
			       "mount path must be absolute",
			       src);
	if (check_source && stat(src, &st) < 0 &&
	    !json_is_true(json_object_get(json_object_get(m, "BindOptions"), "CreateMountpoint")))
		return invalid(err,
			       "invalid mount config for type \"bind\": bind source path does not "
			       "exist: %s",
			       src);
	return 0;
}

static int validate_mount(const json_t *m, bool check_source, struct berth_error **err)
{
	const char *type = json_get_str(m, "Type") ? json_get_str(m, "Type") : "";
	const char *src = json_get_str(m, "Source");
	bool anonymous = !src || !*src;

	if (validate_target(type, json_get_str(m, "Target"), err) < 0)
		return -1;
	if (!strcmp(type, "bind"))
		return validate_bind(m, check_source, err);
	if (!strcmp(type, "volume")) {
		if (json_object_get(m, "BindOptions"))
			return invalid(err, "invalid mount config for type \"volume\": field "
					    "BindOptions must not be specified");
		if (json_is_true(json_object_get(m, "ReadOnly")) && anonymous)
			return invalid(err,
				       "invalid mount config for type \"volume\": must not set "
				       "ReadOnly mode when using anonymous volumes");
		return 0;
	}
	if (!strcmp(type, "tmpfs")) {
		if (json_object_get(m, "BindOptions"))
			return invalid(err, "invalid mount config for type \"tmpfs\": field "
					    "BindOptions must not be specified");
		if (!anonymous)
			return invalid(err, "invalid mount config for type \"tmpfs\": field Source "
					    "must not be specified");
		return 0;
	}
	return invalid(err, "invalid mount config for type \"%s\": mount type unknown", type);
}

/* TmpfsOptions as mount data: "mode=1777,size=64m" (the size in the largest whole unit). */
static char *tmpfs_data(const json_t *opts)
{
	long long size = json_integer_value(json_object_get(opts, "SizeBytes"));
	long long mode = json_integer_value(json_object_get(opts, "Mode"));
	struct strbuf sb = STRBUF_INIT;

	if (mode)
		strbuf_addf(&sb, "mode=%llo", mode);
	if (size) {
		static const struct {
			char suffix;
			long long div;
		} units[] = {{'g', 1LL << 30}, {'m', 1LL << 20}, {'k', 1LL << 10}};
		size_t i;

		for (i = 0; i < ARRAY_SIZE(units) && size % units[i].div; i++)
			;
		if (i < ARRAY_SIZE(units))
			strbuf_addf(&sb, "%ssize=%lld%c", sb.len ? "," : "", size / units[i].div,
				    units[i].suffix);
		else
			strbuf_addf(&sb, "%ssize=%lld", sb.len ? "," : "", size);
	}
	return strbuf_detach(&sb);
}

json_t *volume_parse_mount(const json_t *m, bool check_source, struct berth_error **err)
{
	const char *type, *src, *prop;
	const json_t *vo = json_object_get(m, "VolumeOptions");
	_cleanup_free_ char *dest = NULL;
	json_t *mp;

	if (!json_is_object(m)) {
		invalid(err, "invalid mount config: not an object");
		return NULL;
	}
	if (validate_mount(m, check_source, err) < 0)
		return NULL;
	type = json_get_str(m, "Type");
	src = json_get_str(m, "Source") ? json_get_str(m, "Source") : "";
	dest = clean_path(json_get_str(m, "Target"));
	mp = json_pack("{s:s, s:s, s:s, s:b, s:b}", "Type", type, "Destination", dest, "Mode", "",
		       "RW", !json_is_true(json_object_get(m, "ReadOnly")), "Anonymous", !*src);
	if (!strcmp(type, "volume")) {
		const json_t *dc = json_object_get(vo, "DriverConfig");
		const char *driver = json_get_str(dc, "Name");

		json_object_set_new(mp, "Name", json_string(src));
		json_object_set_new(mp, "Driver",
				    json_string(driver && *driver ? driver : "local"));
		json_object_set_new(mp, "CopyData",
				    json_boolean(!json_is_true(json_object_get(vo, "NoCopy"))));
		if (json_object_size(json_object_get(vo, "Labels")))
			json_object_set(mp, "VolumeLabels", json_object_get(vo, "Labels"));
		if (json_object_size(json_object_get(dc, "Options")))
			json_object_set(mp, "VolumeOptions", json_object_get(dc, "Options"));
	} else if (!strcmp(type, "bind")) {
		_cleanup_free_ char *source = clean_path(src);
		const json_t *bo = json_object_get(m, "BindOptions");

		prop = json_get_str(bo, "Propagation");
		json_object_set_new(mp, "Source", json_string(source));
		json_object_set_new(mp, "Propagation",
				    json_string(prop && *prop ? prop : "rprivate"));
		json_object_set_new(
			mp, "CreateSource",
			json_boolean(json_is_true(json_object_get(bo, "CreateMountpoint"))));
	} else {
		_cleanup_free_ char *data = tmpfs_data(json_object_get(m, "TmpfsOptions"));
		json_object_set_new(mp, "Data", json_string(data));
	}
	return mp;
}

json_t *volume_parse_bind(const char *raw, struct berth_error **err)
{
	char *parts[4] = {NULL};
	_cleanup_free_ char *copy = xstrdup(raw), *prop = NULL;
	const char *src = "", *dst, *mode = "";
	json_auto_t *m = NULL;
	json_t *mp;
	size_t n = 0;

	for (char *p = copy; n < 4; n++) {
		char *colon = n < 3 ? strchr(p, ':') : NULL;

		parts[n] = p;
		if (!colon) {
			n++;
			break;
		}
		*colon = '\0';
		p = colon + 1;
	}
	if (!*parts[0] || n > 3 || (n == 2 && volume_mode_valid(parts[1]))) {
		invalid(err, "invalid volume specification: '%s'", raw);
		return NULL;
	}
	dst = parts[n == 1 ? 0 : 1];
	if (n >= 2)
		src = parts[0];
	if (n == 3)
		mode = parts[2];
	if (!volume_mode_valid(mode)) {
		invalid(err, "invalid mode: %s", mode);
		return NULL;
	}
	each_word(mode, find_propagation, &prop);
	m = json_pack("{s:s, s:s, s:s, s:b}", "Type", src[0] == '/' ? "bind" : "volume", "Source",
		      src, "Target", dst, "ReadOnly", !volume_mode_rw(mode));
	if (prop)
		json_object_set_new(m, "BindOptions", json_pack("{s:s}", "Propagation", prop));
	mp = volume_parse_mount(m, false, err);
	if (!mp) {
		berth_error_wrap(err, "invalid volume specification: '%s'", raw);
		return NULL;
	}
	json_object_set_new(mp, "Mode", json_string(mode));
	if (*mode && each_word(mode, find_nocopy, NULL))
		json_object_set_new(mp, "CopyData", json_false());
	if (src[0] == '/')
		json_object_set_new(mp, "CreateSource", json_true());
	return mp;
}

int volume_parse_volumes_from(const char *spec, char **name, char **mode, struct berth_error **err)
{
	const char *colon = strchr(spec, ':');
	const char *m = colon ? colon + 1 : "";
	_cleanup_free_ char *prop = NULL;

	if (!*spec)
		return invalid(err, "volumes-from specification cannot be an empty string");
	if (*m) {
		if (!volume_mode_valid(m) || each_word(m, find_propagation, &prop) ||
		    each_word(m, find_nocopy, NULL))
			return invalid(err, "invalid mode: %s", m);
	}
	*name = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	*mode = xstrdup(*m ? m : "rw");
	return 0;
}

/* --mount, as Docker's CLI reads it */

/* The fields of one CSV record (Go's encoding/csv: quotes, "" inside them). */
static char **csv_fields(const char *s, struct berth_error **err)
{
	char **fields = NULL;
	struct strbuf f = STRBUF_INIT;
	const char *p = s;

	for (;;) {
		strbuf_reset(&f);
		if (*p == '"') {
			for (p++;; p++) {
				if (!*p) {
					strbuf_release(&f);
					strv_free(fields);
					invalid(err,
						"parse error on line 1, column %zu: extraneous "
						"or missing \" in quoted-field",
						(size_t)(p - s) + 1);
					return NULL;
				}
				if (*p == '"' && p[1] == '"')
					strbuf_addch(&f, *p++);
				else if (*p == '"')
					break;
				else
					strbuf_addch(&f, *p);
			}
			p++;
			if (*p && *p != ',') {
				strbuf_release(&f);
				strv_free(fields);
				invalid(err,
					"parse error on line 1, column %zu: extraneous or "
					"missing \" in quoted-field",
					(size_t)(p - s) + 1);
				return NULL;
			}
		} else {
			size_t len = strcspn(p, ",");
			const char *quote = memchr(p, '"', len);

			if (quote) {
				strbuf_release(&f);
				strv_free(fields);
				invalid(err,
					"parse error on line 1, column %zu: bare \" in "
					"non-quoted-field",
					(size_t)(quote - s) + 1);
				return NULL;
			}
			strbuf_add(&f, p, len);
			p += len;
		}
		strv_push(&fields, f.buf ? f.buf : "");
		if (*p != ',')
			break;
		p++;
	}
	strbuf_release(&f);
	return fields;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]))
			return *out = true, 0;
		if (!strcmp(v, no[i]))
			return *out = false, 0;
	}
	return -1;
}

static json_t *sub_object(json_t *m, const char *key)
{
	json_t *o = json_object_get(m, key);

	if (!o) {
		o = json_object();
		json_object_set_new(m, key, o);
	}
	return o;
}

static json_t *volume_options(json_t *m)
{
	json_t *vo = sub_object(m, "VolumeOptions");

	sub_object(vo, "Labels");
	sub_object(vo, "DriverConfig");
	return vo;
}

static void set_on_map(json_t *map, const char *value)
{
	const char *eq = strchr(value, '=');
	_cleanup_free_ char *k = eq ? xstrndup(value, (size_t)(eq - value)) : xstrdup(value);

	if (*k)
		json_object_set_new(map, k, json_string(eq ? eq + 1 : ""));
}

static char *lower(const char *s)
{
	char *l = xstrdup(s);

	for (char *p = l; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return l;
}

/* A key without "=": the flags that may stand alone. */
static int mount_flag_word(json_t *m, const char *field, struct berth_error **err)
{
	if (!strcmp(field, "readonly") || !strcmp(field, "ro"))
		json_object_set_new(m, "ReadOnly", json_true());
	else if (!strcmp(field, "volume-nocopy"))
		json_object_set_new(volume_options(m), "NoCopy", json_true());
	else if (!strcmp(field, "bind-nonrecursive"))
		json_object_set_new(sub_object(m, "BindOptions"), "NonRecursive", json_true());
	else
		return invalid(err, "invalid field '%s' must be a key=value pair", field);
	return 0;
}

static int bool_field(json_t *obj, const char *key, const char *name, const char *val,
		      struct berth_error **err)
{
	bool b;

	if (parse_bool(val, &b) < 0)
		return invalid(err, "invalid value for %s: %s", name, val);
	json_object_set_new(obj, key, json_boolean(b));
	return 0;
}

static int mount_flag_tmpfs(json_t *m, const char *key, const char *val, struct berth_error **err)
{
	json_t *to = sub_object(m, "TmpfsOptions");
	long long n;
	char *end;

	if (!strcmp(key, "tmpfs-size")) {
		if (parse_size(val, &n) < 0)
			return invalid(err, "invalid value for %s: %s", key, val);
		json_object_set_new(to, "SizeBytes", json_integer(n));
		return 0;
	}
	errno = 0;
	n = strtoll(val, &end, 8);
	if (!*val || *end || errno || n < 0 || n > 0xffffffffLL || val[0] == '-' || val[0] == '+')
		return invalid(err, "invalid value for %s: %s", key, val);
	json_object_set_new(to, "Mode", json_integer(n));
	return 0;
}

static int mount_flag_field(json_t *m, const char *cwd, const char *key, const char *val,
			    const char *field, struct berth_error **err)
{
	_cleanup_free_ char *low = lower(val);

	if (!strcmp(key, "type")) {
		json_object_set_new(m, "Type", json_string(low));
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		if (cwd && (!strcmp(val, ".") || str_has_prefix(val, "./"))) {
			_cleanup_free_ char *j = xasprintf("%s/%s", cwd, val);
			_cleanup_free_ char *abs = clean_path(j);
			json_object_set_new(m, "Source", json_string(abs));
		} else {
			json_object_set_new(m, "Source", json_string(val));
		}
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		json_object_set_new(m, "Target", json_string(val));
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		return bool_field(m, "ReadOnly", key, val, err);
	} else if (!strcmp(key, "consistency")) {
		json_object_set_new(m, "Consistency", json_string(low));
	} else if (!strcmp(key, "bind-propagation")) {
		json_object_set_new(sub_object(m, "BindOptions"), "Propagation", json_string(low));
	} else if (!strcmp(key, "bind-nonrecursive")) {
		return bool_field(sub_object(m, "BindOptions"), "NonRecursive", key, val, err);
	} else if (!strcmp(key, "volume-nocopy")) {
		return bool_field(volume_options(m), "NoCopy", key, val, err);
	} else if (!strcmp(key, "volume-label")) {
		set_on_map(json_object_get(volume_options(m), "Labels"), val);
	} else if (!strcmp(key, "volume-driver")) {
		json_object_set_new(json_object_get(volume_options(m), "DriverConfig"), "Name",
				    json_string(val));
	} else if (!strcmp(key, "volume-opt")) {
		set_on_map(
			sub_object(json_object_get(volume_options(m), "DriverConfig"), "Options"),
			val);
	} else if (!strcmp(key, "tmpfs-size") || !strcmp(key, "tmpfs-mode")) {
		return mount_flag_tmpfs(m, key, val, err);
	} else {
		return invalid(err, "unexpected key '%s' in '%s'", key, field);
	}
	return 0;
}

json_t *volume_parse_mount_flag(const char *value, const char *cwd, struct berth_error **err)
{
	_cleanup_strv_ char **fields = csv_fields(value, err);
	json_auto_t *m = NULL;
	const char *type;

	if (!fields)
		return NULL;
	m = json_pack("{s:s}", "Type", "volume");
	for (size_t i = 0; fields[i]; i++) {
		char *eq = strchr(fields[i], '=');
		_cleanup_free_ char *key = NULL;

		if (!eq) {
			if (mount_flag_word(m, fields[i], err) < 0)
				return NULL;
			continue;
		}
		key = xstrndup(fields[i], (size_t)(eq - fields[i]));
		if (mount_flag_field(m, cwd, key, eq + 1, fields[i], err) < 0)
			return NULL;
	}
	type = json_get_str(m, "Type");
	if (!*type) {
		invalid(err, "type is required");
		return NULL;
	}
	if (!json_get_str(m, "Target") || !*json_get_str(m, "Target")) {
		invalid(err, "target is required");
		return NULL;
	}
	if ((json_object_get(m, "VolumeOptions") && strcmp(type, "volume")) ||
	    (json_object_get(m, "BindOptions") && strcmp(type, "bind")) ||
	    (json_object_get(m, "TmpfsOptions") && strcmp(type, "tmpfs"))) {
		const char *what =
			json_object_get(m, "VolumeOptions") && strcmp(type, "volume") ? "volume"
			: json_object_get(m, "BindOptions") && strcmp(type, "bind")   ? "bind"
										      : "tmpfs";
		invalid(err, "cannot mix '%s-*' options with mount type '%s'", what, type);
		return NULL;
	}
	return json_incref(m);
}
