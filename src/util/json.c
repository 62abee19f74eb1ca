#include "util/json.h"
#include "util/strutil.h"

const char *json_get_str(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

char **json_get_strv(const json_t *obj, const char *key)
{
	json_t *a = json_object_get(obj, key), *v;
	char **r;
	size_t i;

	if (!json_is_array(a))
		return NULL;
	r = xcalloc(json_array_size(a) + 1, sizeof(char *));
	json_array_foreach(a, i, v)
	{
		r[i] = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	}
	return r;
}

json_t *json_from_strv(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *json_parse(const char *text, size_t len, const char *what, struct berth_error **err)
{
	json_error_t je;
	json_t *j = json_loadb(text, len, 0, &je);

	if (!j)
		berth_error_setk(err, BERTH_ERR_INVALID, 0, "parse %s: %s at line %d column %d",
				 what, je.text, je.line, je.column);
	return j;
}

char *json_compact(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!s)
		BUG("json_dumps failed");
	return s;
}
