/*
 * The functions of a template: Go's builtins and Docker's (templates.go).
 * The executor checks the number and the types of the arguments from each
 * function's signature before calling it; errors here read as Go's.
 */
#include <stdarg.h>

#include "util/strutil.h"
#include "util/template-int.h"

int tcall_fail(struct tcall *c, const char *fmt, ...)
{
	va_list ap;

	free(c->msg);
	va_start(ap, fmt);
	c->msg = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

static json_t *str_take(struct strbuf *sb)
{
	json_t *j = json_stringn_nocheck(sb->buf ? sb->buf : "", sb->len);

	strbuf_release(sb);
	return j;
}

static const char *str(const json_t *v)
{
	return json_string_value(v);
}

static size_t slen(const json_t *v)
{
	return json_string_length(v);
}

bool tvalue_truth(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
		return true;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return false;
	}
}

/* ---- len, index, slice, not ---- */

static int fn_len(struct tcall *c, json_t **res)
{
	const json_t *v = c->argv[0];
	size_t n = 0;

	if (json_is_string(v))
		n = slen(v);
	else if (json_is_array(v))
		n = json_array_size(v);
	else if (json_is_object(v))
		n = json_object_size(v);
	else if (v && !json_is_null(v))
		return tcall_fail(c, "len of type %s", tfmt_type_name(v));
	*res = json_integer((json_int_t)n);
	return 0;
}

/* An index into something of cap elements (one past allowed when slicing). */
static int index_arg(struct tcall *c, const json_t *ix, size_t cap, bool slicing, size_t *x)
{
	long long i;

	if (!ix || json_is_null(ix))
		return tcall_fail(c, "cannot index slice/array with nil");
	if (!json_is_integer(ix))
		return tcall_fail(c, "cannot index slice/array with type %s", tfmt_type_name(ix));
	i = json_integer_value(ix);
	if (i < 0 || (unsigned long long)i > cap || (!slicing && (unsigned long long)i == cap))
		return tcall_fail(c, "index out of range: %lld", i);
	*x = (size_t)i;
	return 0;
}

/* Docker's maps of strings (Labels) give "" for a missing key, as Go's map[string]string. */
static bool holds_strings(const json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) if (!json_is_string(v)) return false;
	return true;
}

static int index_object(struct tcall *c, json_t *item, const json_t *ix, json_t **next)
{
	if (!ix || json_is_null(ix))
		return tcall_fail(c, "value is nil; should be of type string");
	if (!json_is_string(ix))
		return tcall_fail(c, "value has type %s; should be string", tfmt_type_name(ix));
	*next = json_object_get(item, str(ix));
	if (!*next && holds_strings(item))
		*next = json_string("");
	else
		json_incref(*next);
	return 0;
}

/* One step of index: *next is a new reference, or NULL for no value. */
static int index_step(struct tcall *c, json_t *item, const json_t *ix, json_t **next)
{
	size_t x;

	if (json_is_null(item) && json_is_string(ix)) {
		*next = json_string("");
		return 0;
	}
	if (json_is_null(item) && json_is_integer(ix))
		return tcall_fail(c, "index out of range: %lld", (long long)json_integer_value(ix));
	if (json_is_null(item))
		return tcall_fail(c, "index of nil pointer");
	if (json_is_object(item))
		return index_object(c, item, ix, next);
	if (!json_is_array(item) && !json_is_string(item))
		return tcall_fail(c, "can't index item of type %s", tfmt_type_name(item));
	if (index_arg(c, ix, json_is_array(item) ? json_array_size(item) : slen(item), false, &x) <
	    0)
		return -1;
	if (json_is_array(item))
		*next = json_incref(json_array_get(item, x));
	else
		*next = json_integer((unsigned char)str(item)[x]);
	return 0;
}

static int fn_index(struct tcall *c, json_t **res)
{
	json_t *item = json_incref(c->argv[0]);

	if (!item)
		return tcall_fail(c, "index of untyped nil");
	for (size_t i = 1; i < c->argc; i++) {
		json_t *next = NULL;

		if (!item || index_step(c, item, c->argv[i], &next) < 0) {
			if (!item)
				tcall_fail(c, "index of nil pointer");
			json_decref(item);
			return -1;
		}
		json_decref(item);
		item = next;
	}
	*res = item;
	return 0;
}

static json_t *slice_of(const json_t *item, const size_t idx[3])
{
	json_t *a;

	if (json_is_string(item))
		return json_stringn_nocheck(str(item) + idx[0], idx[1] - idx[0]);
	a = json_array();
	for (size_t i = idx[0]; i < idx[1]; i++)
		json_array_append(a, json_array_get(item, i));
	return a;
}

static int fn_slice(struct tcall *c, json_t **res)
{
	const json_t *item = c->argv[0];
	size_t n = c->argc - 1, len, idx[3];

	if (!item || json_is_null(item))
		return tcall_fail(c, "slice of untyped nil");
	if (n > 3)
		return tcall_fail(c, "too many slice indexes: %zu", n);
	if (json_is_string(item) && n == 3)
		return tcall_fail(c, "cannot 3-index slice a string");
	if (!json_is_string(item) && !json_is_array(item))
		return tcall_fail(c, "can't slice item of type %s", tfmt_type_name(item));
	len = json_is_string(item) ? slen(item) : json_array_size(item);
	idx[0] = 0;
	idx[1] = idx[2] = len;
	for (size_t i = 0; i < n; i++)
		if (index_arg(c, c->argv[i + 1], len, true, &idx[i]) < 0)
			return -1;
	if (idx[0] > idx[1])
		return tcall_fail(c, "invalid slice index: %zu > %zu", idx[0], idx[1]);
	if (n == 3 && idx[1] > idx[2])
		return tcall_fail(c, "invalid slice index: %zu > %zu", idx[1], idx[2]);
	*res = slice_of(item, idx);
	return 0;
}

static int fn_not(struct tcall *c, json_t **res)
{
	*res = json_boolean(!tvalue_truth(c->argv[0]));
	return 0;
}

/* ---- comparisons ---- */

enum kind { K_NIL, K_BOOL, K_INT, K_FLOAT, K_STRING, K_OTHER };

static enum kind basic_kind(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_TRUE:
	case JSON_FALSE:
		return K_BOOL;
	case JSON_INTEGER:
		return K_INT;
	case JSON_REAL:
		return K_FLOAT;
	case JSON_STRING:
		return K_STRING;
	case JSON_NULL:
		return K_NIL;
	default:
		return K_OTHER;
	}
}

static int cmp_strings(const json_t *a, const json_t *b)
{
	size_t la = slen(a), lb = slen(b);
	int r = memcmp(str(a), str(b), la < lb ? la : lb);

	return r ? r : la < lb ? -1 : la > lb;
}

/* Whether a equals b; -1 with c->msg when they cannot be compared. */
static int equal(struct tcall *c, const json_t *a, const json_t *b)
{
	enum kind k = basic_kind(a);
	struct strbuf sa = STRBUF_INIT, sb = STRBUF_INIT;

	if (k != basic_kind(b)) {
		if (k != K_NIL && basic_kind(b) != K_NIL)
			return tcall_fail(c, "incompatible types for comparison");
		return 0;
	}
	switch (k) {
	case K_NIL:
		return 1;
	case K_BOOL:
		return json_is_true(a) == json_is_true(b);
	case K_INT:
		return json_integer_value(a) == json_integer_value(b);
	case K_FLOAT:
		return json_real_value(a) == json_real_value(b);
	case K_STRING:
		return cmp_strings(a, b) == 0;
	default:
		tfmt_value(&sa, a);
		tfmt_value(&sb, b);
		tcall_fail(c, "non-comparable types %s: %s, %s: %s", sa.buf, tfmt_type_name(a),
			   tfmt_type_name(b), sb.buf);
		strbuf_release(&sa);
		strbuf_release(&sb);
		return -1;
	}
}

static int fn_eq(struct tcall *c, json_t **res)
{
	if (c->argc < 2)
		return tcall_fail(c, "missing argument for comparison");
	for (size_t i = 1; i < c->argc; i++) {
		int r = equal(c, c->argv[0], c->argv[i]);

		if (r < 0)
			return -1;
		if (r) {
			*res = json_true();
			return 0;
		}
	}
	*res = json_false();
	return 0;
}

static int fn_ne(struct tcall *c, json_t **res)
{
	int r = equal(c, c->argv[0], c->argv[1]);

	if (r < 0)
		return -1;
	*res = json_boolean(!r);
	return 0;
}

/* Whether a < b; -1 with c->msg when they cannot be ordered. */
static int less(struct tcall *c, const json_t *a, const json_t *b)
{
	enum kind k = basic_kind(a), kb = basic_kind(b);

	if (k == K_NIL || k == K_OTHER || kb == K_NIL || kb == K_OTHER)
		return tcall_fail(c, "invalid type for comparison");
	if (k != kb)
		return tcall_fail(c, "incompatible types for comparison");
	switch (k) {
	case K_INT:
		return json_integer_value(a) < json_integer_value(b);
	case K_FLOAT:
		return json_real_value(a) < json_real_value(b);
	case K_STRING:
		return cmp_strings(a, b) < 0;
	default:
		return tcall_fail(c, "invalid type for comparison");
	}
}

/* lt, le, gt and ge by name. */
static int fn_order(struct tcall *c, json_t **res)
{
	bool strict = c->name[1] == 't', greater = c->name[0] == 'g';
	int r = greater ? less(c, c->argv[1], c->argv[0]) : less(c, c->argv[0], c->argv[1]);

	if (r < 0)
		return -1;
	if (!r && !strict && (r = equal(c, c->argv[0], c->argv[1])) < 0)
		return -1;
	*res = json_boolean(r);
	return 0;
}

/* ---- printing and escaping ---- */

static int fn_print(struct tcall *c, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;

	tfmt_sprint(&sb, c->argv, c->argc, strcmp(c->name, "println") == 0);
	*res = str_take(&sb);
	return 0;
}

static int fn_printf(struct tcall *c, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;

	if (tfmt_printf(&sb, str(c->argv[0]), slen(c->argv[0]), c->argv + 1, c->argc - 1,
			c->limit) < 0) {
		strbuf_release(&sb);
		return tcall_fail(c, "output would exceed %zu bytes", c->limit);
	}
	*res = str_take(&sb);
	return 0;
}

/* Go's evalArgs: the one string argument, or the arguments as print prints them. */
static void eval_args(struct tcall *c, struct strbuf *sb)
{
	if (c->argc == 1 && json_is_string(c->argv[0]))
		strbuf_add(sb, str(c->argv[0]), slen(c->argv[0]));
	else
		tfmt_sprint(sb, c->argv, c->argc, false);
}

static int fn_html(struct tcall *c, json_t **res)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

	eval_args(c, &in);
	for (size_t i = 0; i < in.len; i++) {
		switch (in.buf[i]) {
		case '"':
			strbuf_addstr(&out, "&#34;");
			break;
		case '\'':
			strbuf_addstr(&out, "&#39;");
			break;
		case '&':
			strbuf_addstr(&out, "&amp;");
			break;
		case '<':
			strbuf_addstr(&out, "&lt;");
			break;
		case '>':
			strbuf_addstr(&out, "&gt;");
			break;
		case '\0':
			strbuf_addstr(&out, "\xef\xbf\xbd");
			break;
		default:
			strbuf_addch(&out, in.buf[i]);
		}
	}
	strbuf_release(&in);
	*res = str_take(&out);
	return 0;
}

static void js_escape_byte(struct strbuf *out, char ch)
{
	unsigned char b = (unsigned char)ch;

	if (b == '\\' || b == '\'' || b == '"')
		strbuf_addf(out, "\\%c", b);
	else if (b == '<' || b == '>' || b == '&' || b == '=' || b < ' ')
		strbuf_addf(out, "\\u%04X", b);
	else
		strbuf_addch(out, (char)b);
}

static int fn_js(struct tcall *c, json_t **res)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

	eval_args(c, &in);
	for (size_t i = 0; i < in.len;) {
		uint32_t r;
		size_t w = tfmt_utf8_decode(in.buf + i, in.len - i, &r);

		if ((unsigned char)in.buf[i] < 0x80)
			js_escape_byte(&out, in.buf[i]);
		else if (tfmt_is_print(r))
			strbuf_add(&out, in.buf + i, w);
		else
			strbuf_addf(&out, "\\u%04X", r);
		i += w;
	}
	strbuf_release(&in);
	*res = str_take(&out);
	return 0;
}

static int fn_urlquery(struct tcall *c, json_t **res)
{
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;

	eval_args(c, &in);
	for (size_t i = 0; i < in.len; i++) {
		unsigned char b = (unsigned char)in.buf[i];

		if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
		    (b && strchr("-_.~", b)))
			strbuf_addch(&out, (char)b);
		else if (b == ' ')
			strbuf_addch(&out, '+');
		else
			strbuf_addf(&out, "%%%02X", b);
	}
	strbuf_release(&in);
	*res = str_take(&out);
	return 0;
}

/* ---- Docker's functions ---- */

static int fn_json(struct tcall *c, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;

	tfmt_json(&sb, c->argv[0]);
	*res = str_take(&sb);
	return 0;
}

static int fn_split(struct tcall *c, json_t **res)
{
	const char *s = str(c->argv[0]), *sep = str(c->argv[1]), *end = s + slen(c->argv[0]);
	size_t n = slen(c->argv[1]);
	json_t *a = json_array();
	uint32_t r;

	while (n == 0 && s < end) {
		size_t w = tfmt_utf8_decode(s, (size_t)(end - s), &r);

		json_array_append_new(a, json_stringn_nocheck(s, w));
		s += w;
	}
	while (n > 0) {
		const char *m = memmem(s, (size_t)(end - s), sep, n);

		json_array_append_new(
			a, json_stringn_nocheck(s, m ? (size_t)(m - s) : (size_t)(end - s)));
		if (!m)
			break;
		s = m + n;
	}
	*res = a;
	return 0;
}

static int fn_join(struct tcall *c, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *e;
	size_t i;

	json_array_foreach(c->argv[0], i, e)
	{
		if (i > 0)
			strbuf_add(&sb, str(c->argv[1]), slen(c->argv[1]));
		strbuf_add(&sb, str(e), slen(e));
	}
	*res = str_take(&sb);
	return 0;
}

/* strings.Title's isSeparator, for ASCII; other runes count as letters. */
static bool is_separator(unsigned char b)
{
	if (b >= 0x80)
		return false;
	return !((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
		 b == '_');
}

static int fn_case(struct tcall *c, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;
	bool prev_sep = true;

	strbuf_add(&sb, str(c->argv[0]), slen(c->argv[0]));
	for (size_t i = 0; i < sb.len; i++) {
		char ch = sb.buf[i];
		bool up = c->name[0] == 'u' || (c->name[0] == 't' && prev_sep);

		if (up && ch >= 'a' && ch <= 'z')
			sb.buf[i] = (char)(ch - 'a' + 'A');
		else if (c->name[0] == 'l' && ch >= 'A' && ch <= 'Z')
			sb.buf[i] = (char)(ch - 'A' + 'a');
		prev_sep = is_separator((unsigned char)ch);
	}
	*res = str_take(&sb);
	return 0;
}

static int fn_pad(struct tcall *c, json_t **res)
{
	long long pre = json_integer_value(c->argv[1]), post = json_integer_value(c->argv[2]);
	struct strbuf sb = STRBUF_INIT;

	if (slen(c->argv[0]) == 0) {
		*res = json_incref(c->argv[0]);
		return 0;
	}
	if (pre < 0 || post < 0)
		return tcall_fail(c, "strings: negative Repeat count");
	if (c->limit && (unsigned long long)pre + (unsigned long long)post > c->limit)
		return tcall_fail(c, "output would exceed %zu bytes", c->limit);
	for (long long i = 0; i < pre; i++)
		strbuf_addch(&sb, ' ');
	strbuf_add(&sb, str(c->argv[0]), slen(c->argv[0]));
	for (long long i = 0; i < post; i++)
		strbuf_addch(&sb, ' ');
	*res = str_take(&sb);
	return 0;
}

static int fn_truncate(struct tcall *c, json_t **res)
{
	long long n = json_integer_value(c->argv[1]);

	if (n < 0)
		return tcall_fail(c, "runtime error: slice bounds out of range [:%lld]", n);
	if (slen(c->argv[0]) < (unsigned long long)n)
		*res = json_incref(c->argv[0]);
	else
		*res = json_stringn_nocheck(str(c->argv[0]), (size_t)n);
	return 0;
}

/* Docker's HeaderFunctions: the column title as it is. */
static int fn_identity(struct tcall *c, json_t **res)
{
	*res = json_incref(c->argv[0]);
	return 0;
}

static const struct tfunc funcs[] = {
	/* and and or short-circuit: the executor runs them */
	{"and", "aa*", NULL},	     {"or", "aa*", NULL},
	{"not", "a", fn_not},	     {"len", "a", fn_len},
	{"index", "aa*", fn_index},  {"slice", "aa*", fn_slice},
	{"print", "a*", fn_print},   {"printf", "sa*", fn_printf},
	{"println", "a*", fn_print}, {"html", "a*", fn_html},
	{"js", "a*", fn_js},	     {"urlquery", "a*", fn_urlquery},
	{"eq", "aa*", fn_eq},	     {"ne", "aa", fn_ne},
	{"lt", "aa", fn_order},	     {"le", "aa", fn_order},
	{"gt", "aa", fn_order},	     {"ge", "aa", fn_order},
	{"json", "a", fn_json},	     {"split", "ss", fn_split},
	{"join", "ls", fn_join},     {"title", "s", fn_case},
	{"lower", "s", fn_case},     {"upper", "s", fn_case},
	{"pad", "sii", fn_pad},	     {"truncate", "si", fn_truncate},
};

static const struct tfunc header_funcs[] = {
	{"json", "s", fn_identity},	 {"split", "ss", fn_identity}, {"join", "ss", fn_identity},
	{"title", "s", fn_identity},	 {"lower", "s", fn_identity},  {"upper", "s", fn_identity},
	{"truncate", "si", fn_identity},
};

const struct tfunc *tfunc_lookup(const char *name, bool header)
{
	for (size_t i = 0; header && i < ARRAY_SIZE(header_funcs); i++)
		if (strcmp(header_funcs[i].name, name) == 0)
			return &header_funcs[i];
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strcmp(funcs[i].name, name) == 0)
			return &funcs[i];
	return NULL;
}

bool tfunc_exists(const char *name)
{
	return tfunc_lookup(name, false) != NULL;
}
