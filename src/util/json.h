/* Small helpers over jansson (json_auto_t frees on scope exit). */
#ifndef BERTH_UTIL_JSON_H
#define BERTH_UTIL_JSON_H

#include <jansson.h>

#include "util/error.h"

/* The string at key, or NULL when absent or not a string. Borrowed. */
const char *json_get_str(const json_t *obj, const char *key);
/* A NULL-terminated copy of an array of strings; NULL when absent or JSON null. */
char **json_get_strv(const json_t *obj, const char *key);
/* A new JSON array of the strings of v (an empty array for NULL). */
json_t *json_from_strv(char *const *v);
/* Parses text; on failure sets err with the position. */
json_t *json_parse(const char *text, size_t len, const char *what, struct berth_error **err);
/* Serialises with sorted-free compact form as Docker writes configs. Caller frees. */
char *json_compact(const json_t *j);

#endif
