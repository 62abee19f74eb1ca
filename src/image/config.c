#include <ctype.h>

#include "image/image.h"
#include "util/json.h"
#include "util/strutil.h"

json_t *image_container_config_new(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:n, s:n, s:s, s:n, s:s,"
			 " s:n, s:n, s:n}",
			 "Hostname", "", "Domainname", "", "User", "", "AttachStdin", 0,
			 "AttachStdout", 0, "AttachStderr", 0, "Tty", 0, "OpenStdin", 0,
			 "StdinOnce", 0, "Env", "Cmd", "Image", "", "Volumes", "WorkingDir", "",
			 "Entrypoint", "OnBuild", "Labels");
}

json_t *image_config_new(void)
{
	json_t *c = json_object();

	json_object_set_new(c, "architecture", json_string("amd64"));
	json_object_set_new(c, "config", image_container_config_new());
	json_object_set_new(c, "container_config", image_container_config_new());
	json_object_set_new(c, "os", json_string("linux"));
	return c;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* A JSON array of strings (exec form) or NULL when s is not one. */
static json_t *parse_exec_form(const char *s)
{
	json_t *j = json_loads(s, JSON_DECODE_ANY, NULL), *v;
	size_t i;

	if (!json_is_array(j))
		goto fail;
	json_array_foreach(j, i, v)
	{
		if (!json_is_string(v))
			goto fail;
	}
	return j;
fail:
	json_decref(j);
	return NULL;
}

/* CMD / ENTRYPOINT: exec form, or shell form run by /bin/sh -c. */
static json_t *command_value(const char *args)
{
	json_t *j;

	if (*args == '[' && (j = parse_exec_form(args)))
		return j;
	return json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

/* Splits "K=V K2=V2" or legacy "K V" into an object; NULL on bad syntax. */
static json_t *parse_pairs(const char *args, const char *what, struct berth_error **err)
{
	json_t *o = json_object();
	const char *sp = strpbrk(args, " \t");
	const char *eq = strchr(args, '=');

	if (!eq || (sp && sp < eq)) {
		/* legacy form: KEY VALUE */
		if (!sp || !*skip_space(sp)) {
			json_decref(o);
			berth_error_setk(err, BERTH_ERR_INVALID, 0, "%s requires two arguments",
					 what);
			return NULL;
		}
		_cleanup_free_ char *k = xstrndup(args, sp - args);
		json_object_set_new(o, k, json_string(skip_space(sp)));
		return o;
	}
	while (*args) {
		_cleanup_free_ char *key = NULL;
		char val[4096];
		size_t n = 0;
		char q = 0;

		eq = strchr(args, '=');
		if (!eq) {
			json_decref(o);
			berth_error_setk(err, BERTH_ERR_INVALID, 0,
					 "%s names can not be blank and must be KEY=VALUE", what);
			return NULL;
		}
		key = xstrndup(args, eq - args);
		for (args = eq + 1; *args && (q || !isspace((unsigned char)*args)); args++) {
			if (!q && (*args == '"' || *args == '\''))
				q = *args;
			else if (q && *args == q)
				q = 0;
			else if (*args == '\\' && args[1] && q != '\'')
				val[n < sizeof(val) - 1 ? n++ : n] = *++args;
			else if (n < sizeof(val) - 1)
				val[n++] = *args;
		}
		val[n] = '\0';
		json_object_set_new(o, key, json_string(val));
		args = skip_space(args);
	}
	return o;
}

static void env_set(json_t *cfg, const char *key, const char *value)
{
	json_t *env = json_object_get(cfg, "Env"), *v;
	size_t klen = strlen(key), i;
	_cleanup_free_ char *entry = xasprintf("%s=%s", key, value);

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);
		if (s && strncmp(s, key, klen) == 0 && s[klen] == '=') {
			json_array_set_new(env, i, json_string(entry));
			return;
		}
	}
	json_array_append_new(env, json_string(entry));
}

/* Adds each word (or exec-form item) of args as a key of the object at field. */
static void add_set_keys(json_t *cfg, const char *field, const char *args, const char *suffix)
{
	json_t *o = json_object_get(cfg, field), *list = parse_exec_form(args), *v;
	size_t i;

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(cfg, field, o);
	}
	if (!list) {
		list = json_array();
		for (const char *p = args; *(p = skip_space(p));) {
			size_t n = strcspn(p, " \t");
			json_array_append_new(list, json_stringn(p, n));
			p += n;
		}
	}
	json_array_foreach(list, i, v)
	{
		_cleanup_free_ char *k = NULL;
		const char *s = json_string_value(v);
		k = suffix && !strchr(s, '/') ? xasprintf("%s%s", s, suffix) : xstrdup(s);
		json_object_set_new(o, k, json_object());
	}
	json_decref(list);
}

static int apply_pairs(json_t *cfg, const char *inst, const char *args, struct berth_error **err)
{
	json_t *pairs = parse_pairs(args, inst, err), *v;
	const char *k;

	if (!pairs)
		return -1;
	json_object_foreach(pairs, k, v)
	{
		if (strcmp(inst, "ENV") == 0) {
			env_set(cfg, k, json_string_value(v));
		} else {
			json_t *labels = json_object_get(cfg, "Labels");
			if (!json_is_object(labels)) {
				labels = json_object();
				json_object_set_new(cfg, "Labels", labels);
			}
			json_object_set(labels, k, v);
		}
	}
	json_decref(pairs);
	return 0;
}

int image_config_apply_change(json_t *config, const char *change, struct berth_error **err)
{
	json_t *cfg = json_object_get(config, "config");
	const char *p = skip_space(change);
	size_t n = strcspn(p, " \t");
	_cleanup_free_ char *inst = xstrndup(p, n);
	const char *args = skip_space(p + n);

	for (char *c = inst; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	if (!*args && *inst)
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"%s requires at least one argument", inst);
	if (strcmp(inst, "CMD") == 0)
		json_object_set_new(cfg, "Cmd", command_value(args));
	else if (strcmp(inst, "ENTRYPOINT") == 0)
		json_object_set_new(cfg, "Entrypoint", command_value(args));
	else if (strcmp(inst, "ENV") == 0 || strcmp(inst, "LABEL") == 0)
		return apply_pairs(cfg, inst, args, err);
	else if (strcmp(inst, "EXPOSE") == 0)
		add_set_keys(cfg, "ExposedPorts", args, "/tcp");
	else if (strcmp(inst, "VOLUME") == 0)
		add_set_keys(cfg, "Volumes", args, NULL);
	else if (strcmp(inst, "WORKDIR") == 0)
		json_object_set_new(cfg, "WorkingDir", json_string(args));
	else if (strcmp(inst, "USER") == 0)
		json_object_set_new(cfg, "User", json_string(args));
	else if (strcmp(inst, "STOPSIGNAL") == 0)
		json_object_set_new(cfg, "StopSignal", json_string(args));
	else if (strcmp(inst, "ONBUILD") == 0) {
		json_t *ob = json_object_get(cfg, "OnBuild");
		if (!json_is_array(ob)) {
			ob = json_array();
			json_object_set_new(cfg, "OnBuild", ob);
		}
		json_array_append_new(ob, json_string(args));
	} else
		return berth_error_setk(err, BERTH_ERR_INVALID, 0,
					"%s is not a valid change command", *inst ? inst : "\"\"");
	return 0;
}
