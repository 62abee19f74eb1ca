/*
 * Go's text/template, our own, over jansson values: what every --format and
 * inspect -f of berth runs. Docker's functions (json, join, split, title,
 * lower, upper, pad, truncate) come with Go's builtins (and or not len index
 * slice print printf println html js urlquery eq ne lt le gt ge).
 *
 * The data is a json_t: objects stand for Go structs and maps, arrays for
 * slices, then strings, integers (Go's int), reals (float64), true/false and
 * null (a nil pointer). Where JSON cannot tell a struct from a map we follow
 * what Docker prints:
 *
 *  - .Name on an object without that key fails, as `docker inspect` does once
 *    it falls back to the raw JSON with missingkey=error:
 *      template: :1:2: executing "" at <.NoSuch>: map has no entry for key "NoSuch"
 *    TEMPLATE_EXEC_MISSING_KEY_OK gives Go's default, "<no value>".
 *  - A missing key prints "<no value>", null prints "<nil>".
 *  - Objects print as Go maps, "map[a:1 b:[x y]]", keys sorted, and range visits
 *    them in key order; json writes them in their own order (Docker's structs),
 *    so callers add the keys of what Docker holds in a map sorted.
 *  - index of a missing key gives "" on an object of strings or null (Docker's
 *    map[string]string, such as Labels), else no value; len of null is 0 and
 *    range over null runs its else branch; range over an integer n counts
 *    from 0 to n-1 (Go 1.22).
 *  - json writes as Docker's does: no HTML escaping, \u2028 and \u2029
 *    escaped, floats as encoding/json writes them.
 *  - Numbers print as fmt's %v does: 0.5, 1e+06, 42.
 *  - Parentheses and control structures nest at most 1000 deep, template
 *    calls included ("max expression depth exceeded", "exceeded maximum
 *    template depth (1000)"): Go allows deeper.
 *
 * NEEDSWORK: not supported: call, complex numbers, printf's argument indexes
 * ("%[1]d"), %#v, and %x/%b of floats; upper, lower and title change ASCII
 * letters only.
 */
#ifndef BERTH_UTIL_TEMPLATE_H
#define BERTH_UTIL_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"
#include "util/strbuf.h"

struct template;

enum template_parse_flags {
	/*
	 * As Docker's formatter does for ps, images and other --format options
	 * (not for inspect -f): a leading "table" is removed and marks a table
	 * (template_is_table()), "json" stands for "{{json .}}", spaces around the rest are trimmed, and the
	 * two-character sequences \t and \n become a tab and a newline, in
	 * quoted strings too (as in Docker, where '{{join .Names "\n"}}' then
	 * fails with "unterminated quoted string").
	 */
	TEMPLATE_PARSE_FORMATTER = 1 << 0,
};

/*
 * Parses text. Errors (kind BERTH_ERR_INVALID) read as Go's, for example
 * `template: :1: function "nosuch" not defined`. Free with template_free().
 */
struct template *template_parse(const char *text, enum template_parse_flags flags,
				struct berth_error **err);

/* Whether TEMPLATE_PARSE_FORMATTER found a leading "table". */
bool template_is_table(const struct template *t);

void template_free(struct template *t);
static inline void template_freep(struct template **t)
{
	template_free(*t);
	*t = NULL;
}

enum template_exec_flags {
	/* A missing key gives Go's default "<no value>" rather than an error. */
	TEMPLATE_EXEC_MISSING_KEY_OK = 1 << 0,
	/*
	 * Renders a table header (Docker's HeaderFunctions): data maps field
	 * names to column titles, and json, split, join, title, lower, upper
	 * and truncate return their first argument unchanged.
	 */
	TEMPLATE_EXEC_HEADER = 1 << 1,
};

/*
 * A method of the data, as Docker's ps and images contexts have (.Label "k"):
 * asked first for every .Name on an object, with the evaluated arguments
 * (JSON null for no value). Returns 0 when name is not a method of receiver, 1
 * with a new reference in *result, -1 with err set (reported as Go's
 * "error calling Name: ..." with err's message).
 */
typedef int template_method_fn(void *userdata, const char *name, const json_t *receiver,
			       json_t *const *args, size_t nargs, json_t **result,
			       struct berth_error **err);

struct template_exec_opts {
	enum template_exec_flags flags;
	template_method_fn *method;
	void *userdata;
	/* Limits for untrusted templates (0: none): steps are actions, loop turns and calls. */
	unsigned long max_steps;
	size_t max_output;
};

/*
 * Executes t against data, appending to out. On failure out is left as it
 * was and err (kind BERTH_ERR_INVALID) reads as Go's, for example
 * `template: :1:2: executing "" at <.Foo>: map has no entry for key "Foo"`.
 */
int template_execute(const struct template *t, const json_t *data, struct strbuf *out,
		     struct berth_error **err);
/* As template_execute(), with options (opts may be NULL). */
int template_execute_opts(const struct template *t, const json_t *data,
			  const struct template_exec_opts *opts, struct strbuf *out,
			  struct berth_error **err);

#endif
