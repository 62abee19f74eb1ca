/*
 * The executor of text/template: walks the tree against the data. Values are
 * json_t references owned by whoever holds them; NULL is Go's invalid value,
 * "no value" (a missing key), which prints as "<no value>".
 */
#include <stdarg.h>

#include "util/strutil.h"
#include "util/template-int.h"

enum { WALK_BREAK = 1, WALK_CONTINUE = 2 };

struct xvar {
	const char *name;
	json_t *val;
};

struct exec {
	const struct template *t;
	const struct template_exec_opts *opts;
	const char *name; /* of the template running */
	struct xvar *vars;
	size_t n_vars, alloc_vars, base;
	struct strbuf *out;
	size_t out_start;
	int depth;
	unsigned long steps;
	struct berth_error **err;
};

/* The words of a command: args[0] is the field, variable or function. */
struct words {
	const struct tnode *const *args;
	size_t n;
	json_t *final; /* the value piped in */
	bool has_final;
};

static int walk(struct exec *x, json_t *dot, const struct tnode *n);
static int eval_pipeline(struct exec *x, json_t *dot, const struct tnode *pipe, json_t **res);
static int eval_arg(struct exec *x, json_t *dot, const struct tnode *n, char kind, json_t **res);

/* ---- errors and limits ---- */

static int xfail(struct exec *x, const struct tnode *at, const char *fmt, ...) _printf_(3, 4);
static int xfail(struct exec *x, const struct tnode *at, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	struct strbuf ctx = STRBUF_INIT, name = STRBUF_INIT;
	const char *text = x->t->text, *nl;
	int line = 1;
	va_list ap;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	for (const char *c = text; c < text + at->pos; c++)
		line += *c == '\n';
	nl = memrchr(text, '\n', at->pos);
	tnode_string(at, &ctx);
	if (tfmt_rune_count(ctx.buf, ctx.len) > 20) {
		size_t i = 0;
		uint32_t r;

		for (int k = 0; k < 20; k++)
			i += tfmt_utf8_decode(ctx.buf + i, ctx.len - i, &r);
		ctx.len = i;
		strbuf_addstr(&ctx, "...");
	}
	tfmt_quote(&name, x->name, strlen(x->name), '"', false);
	berth_error_setk(x->err, BERTH_ERR_INVALID, 0,
			 "template: :%d:%zu: executing %s at <%s>: %s", line,
			 nl ? at->pos - (size_t)(nl - text) - 1 : at->pos, name.buf, ctx.buf, msg);
	strbuf_release(&ctx);
	strbuf_release(&name);
	return -1;
}

static int step(struct exec *x, const struct tnode *at)
{
	unsigned long max = x->opts->max_steps;

	if (max && ++x->steps > max)
		return xfail(x, at, "template execution exceeded %lu steps", max);
	return 0;
}

static int check_output(struct exec *x, const struct tnode *at)
{
	size_t max = x->opts->max_output;

	if (max && x->out->len - x->out_start > max)
		return xfail(x, at, "template output exceeds %zu bytes", max);
	return 0;
}

static int enter(struct exec *x, const struct tnode *at)
{
	if (x->depth >= TEMPLATE_MAX_DEPTH)
		return xfail(x, at, "exceeded maximum template depth (%d)", TEMPLATE_MAX_DEPTH);
	x->depth++;
	return 0;
}

/* ---- variables ---- */

static void push_var(struct exec *x, const char *name, json_t *val)
{
	if (x->n_vars == x->alloc_vars) {
		x->alloc_vars = x->alloc_vars ? 2 * x->alloc_vars : 8;
		x->vars = xrealloc(x->vars, x->alloc_vars * sizeof(*x->vars));
	}
	x->vars[x->n_vars].name = name;
	x->vars[x->n_vars++].val = val;
}

static void pop_vars(struct exec *x, size_t mark)
{
	while (x->n_vars > mark)
		json_decref(x->vars[--x->n_vars].val);
}

static struct xvar *find_var(struct exec *x, const struct tnode *at, const char *name)
{
	for (size_t i = x->n_vars; i > x->base; i--)
		if (strcmp(x->vars[i - 1].name, name) == 0)
			return &x->vars[i - 1];
	xfail(x, at, "undefined variable: %s", name);
	return NULL;
}

/* Sets a declared variable; takes val. */
static int set_var(struct exec *x, const struct tnode *at, const char *name, json_t *val)
{
	struct xvar *v = find_var(x, at, name);

	if (!v) {
		json_decref(val);
		return -1;
	}
	json_decref(v->val);
	v->val = val;
	return 0;
}

static void set_top_var(struct exec *x, size_t k, json_t *val)
{
	json_decref(x->vars[x->n_vars - k].val);
	x->vars[x->n_vars - k].val = val;
}

/* ---- constants ---- */

/* Go's idealConstant: a number constant as int or float64. */
static int ideal_constant(struct exec *x, const struct tnode *n, json_t **res)
{
	const char *s = n->src;
	bool hex_int = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strpbrk(s, "pP");

	bool float_text = n->is_float && !hex_int && s[0] != '\'' && strpbrk(s, ".eEpP");

	if (!float_text && n->is_uint && !n->is_int)
		return xfail(x, n, "%s overflows int", s);
	*res = !float_text && n->is_int ? json_integer(n->i) : json_real(n->f);
	return 0;
}

static int not_a_function(struct exec *x, const struct words *w)
{
	struct strbuf sb = STRBUF_INIT;

	if (w->n <= 1 && !w->has_final)
		return 0;
	tnode_string(w->args[0], &sb);
	xfail(x, w->args[0], "can't give argument to non-function %s", sb.buf);
	strbuf_release(&sb);
	return -1;
}

static int eval_literal(struct exec *x, json_t *dot, const struct tnode *n, json_t **res)
{
	switch (n->type) {
	case TN_BOOL:
		*res = json_boolean(n->b);
		return 0;
	case TN_DOT:
		*res = json_incref(dot);
		return 0;
	case TN_NUMBER:
		return ideal_constant(x, n, res);
	case TN_STRING:
		*res = json_stringn_nocheck(n->str, n->len);
		return 0;
	case TN_NIL:
		return xfail(x, n, "nil is not a command");
	default:
		BUG("node %d is no literal", n->type);
	}
}

/* ---- fields ---- */

static int call_method(struct exec *x, json_t *dot, const char *name, const struct tnode *at,
		       const struct words *w, json_t *recv, json_t **res)
{
	size_t n = w->n - 1 + w->has_final, i;
	json_t **argv = xcalloc(n + 1, sizeof(*argv));
	struct berth_error *herr = NULL;
	int r = 0;

	for (i = 0; i + 1 < w->n && r >= 0; i++)
		r = eval_arg(x, dot, w->args[i + 1], 'a', &argv[i]);
	if (r >= 0 && w->has_final)
		argv[n - 1] = w->final ? json_incref(w->final) : json_null();
	if (r >= 0) {
		r = x->opts->method(x->opts->userdata, name, recv, argv, n, res, &herr);
		if (r < 0)
			xfail(x, at, "error calling %s: %s", name, herr ? herr->msg : "failed");
	}
	for (i = 0; i < n; i++)
		json_decref(argv[i]);
	free(argv);
	berth_error_free(herr);
	return r;
}

/* A missing key, in a map or (map false) in no value at all. */
static int missing_key(struct exec *x, const struct tnode *at, bool map, const char *name)
{
	struct strbuf q = STRBUF_INIT;

	tfmt_quote(&q, name, strlen(name), '"', false);
	xfail(x, at, "%s entry for key %s", map ? "map has no" : "nil data; no", q.buf);
	strbuf_release(&q);
	return -1;
}

static int eval_field(struct exec *x, json_t *dot, const char *name, const struct tnode *at,
		      const struct words *w, json_t *recv, json_t **res)
{
	bool missing_ok = x->opts->flags & TEMPLATE_EXEC_MISSING_KEY_OK;
	int r;

	*res = NULL;
	if (!recv)
		return missing_ok ? 0 : missing_key(x, at, false, name);
	if (x->opts->method && json_is_object(recv)) {
		r = call_method(x, dot, name, at, w, recv, res);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	if (json_is_object(recv)) {
		if (w->n > 1 || w->has_final)
			return xfail(x, at, "%s is not a method but has arguments", name);
		*res = json_incref(json_object_get(recv, name));
		return *res || missing_ok ? 0 : missing_key(x, at, true, name);
	}
	if (json_is_null(recv))
		return xfail(x, at, "nil pointer evaluating interface {}.%s", name);
	return xfail(x, at, "can't evaluate field %s in type %s", name, tfmt_type_name(recv));
}

static int eval_field_chain(struct exec *x, json_t *dot, json_t *recv, const struct tnode *at,
			    char *const *idents, size_t n, const struct words *w, json_t **res)
{
	static const struct tnode *const none[1];
	const struct words plain = {.args = none, .n = 1};
	json_t *cur = json_incref(recv);

	for (size_t i = 0; i + 1 < n; i++) {
		json_t *next = NULL;
		int r = eval_field(x, dot, idents[i], at, &plain, cur, &next);

		json_decref(cur);
		if (r < 0)
			return -1;
		cur = next;
	}
	if (eval_field(x, dot, idents[n - 1], at, w, cur, res) < 0) {
		json_decref(cur);
		return -1;
	}
	json_decref(cur);
	return 0;
}

static int eval_variable(struct exec *x, json_t *dot, const struct tnode *n, const struct words *w,
			 json_t **res)
{
	struct xvar *v = find_var(x, n, n->idents[0]);

	if (!v)
		return -1;
	if (n->n_idents == 1) {
		if (not_a_function(x, w) < 0)
			return -1;
		*res = json_incref(v->val);
		return 0;
	}
	return eval_field_chain(x, dot, v->val, n, n->idents + 1, n->n_idents - 1, w, res);
}

static int eval_chain(struct exec *x, json_t *dot, const struct tnode *n, const struct words *w,
		      json_t **res)
{
	json_t *recv = NULL;
	int r;

	if (eval_arg(x, dot, n->pipe, 'n', &recv) < 0)
		return -1;
	r = eval_field_chain(x, dot, recv, n, n->idents, n->n_idents, w, res);
	json_decref(recv);
	return r;
}

/* ---- functions ---- */

/* What the signature sig asks of argument i; 0 past its end. */
static char sig_kind(const char *sig, size_t i)
{
	size_t len = strlen(sig);

	if (len > 0 && sig[len - 1] == '*')
		return i < len - 2 ? sig[i] : sig[len - 2];
	return i < len ? sig[i] : 0;
}

static const char *kind_type(char kind)
{
	return kind == 's' ? "string" : kind == 'i' ? "int" : "[]string";
}

static bool strings_only(const json_t *a)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!json_is_string(json_array_get(a, i)))
			return false;
	return true;
}

/* Go's validateType: takes v, gives *res of the kind or fails. */
static int validate(struct exec *x, const struct tnode *at, json_t *v, char kind, json_t **res)
{
	bool fits = (kind == 's' && json_is_string(v)) || (kind == 'i' && json_is_integer(v)) ||
		    (kind == 'l' && json_is_array(v) && strings_only(v));

	*res = NULL;
	if (kind == 'a' || kind == 'n') {
		*res = v || kind == 'n' ? v : json_null();
		return 0;
	}
	if (kind == 'l' && (!v || json_is_null(v))) {
		json_decref(v);
		*res = json_array();
		return 0;
	}
	if (fits) {
		*res = v;
		return 0;
	}
	if (!v || json_is_null(v))
		xfail(x, at, "invalid value; expected %s", kind_type(kind));
	else
		xfail(x, at, "wrong type for value; expected %s; got %s", kind_type(kind),
		      tfmt_type_name(v));
	json_decref(v);
	return -1;
}

static int check_count(struct exec *x, const struct tnode *ident, const char *sig,
		       const struct words *w)
{
	size_t len = strlen(sig), n = w->n - 1 + w->has_final;

	if (len > 0 && sig[len - 1] == '*') {
		if (n < len - 2)
			return xfail(x, ident,
				     "wrong number of args for %s: want at least %zu got %zu",
				     ident->str, len - 2, w->n - 1);
	} else if (n != len) {
		return xfail(x, ident, "wrong number of args for %s: want %zu got %zu", ident->str,
			     len, n);
	}
	return 0;
}

/* and, or: the first argument that decides, evaluated no further. */
static int eval_and_or(struct exec *x, json_t *dot, const struct tnode *ident,
		       const struct words *w, json_t **res)
{
	bool is_or = ident->str[0] == 'o';
	json_t *v = NULL;

	for (size_t i = 1; i < w->n; i++) {
		json_decref(v);
		if (eval_arg(x, dot, w->args[i], 'a', &v) < 0)
			return -1;
		if (tvalue_truth(v) == is_or) {
			*res = v;
			return 0;
		}
	}
	if (w->has_final) {
		json_decref(v);
		v = w->final ? json_incref(w->final) : json_null();
	}
	*res = v;
	return 0;
}

static int call_function(struct exec *x, const struct tfunc *f, const struct tnode *at,
			 struct tcall *c, json_t **res)
{
	if (step(x, at) < 0)
		return -1;
	c->limit = x->opts->max_output;
	if (f->fn(c, res) < 0) {
		xfail(x, at, "error calling %s: %s", f->name, c->msg);
		free(c->msg);
		return -1;
	}
	if (c->limit && json_is_string(*res) && json_string_length(*res) > c->limit) {
		json_decref(*res);
		*res = NULL;
		return xfail(x, at, "template output exceeds %zu bytes", c->limit);
	}
	return 0;
}

/* A call of the function named by ident; at is where errors of the call point. */
static int eval_function(struct exec *x, json_t *dot, const struct tnode *ident,
			 const struct tnode *at, const struct words *w, json_t **res)
{
	bool header = x->opts->flags & TEMPLATE_EXEC_HEADER;
	const struct tfunc *f = tfunc_lookup(ident->str, header);
	struct tcall c = {.name = ident->str};
	size_t i;
	int r = 0;

	if (!f)
		return xfail(x, ident, "\"%s\" is not a defined function", ident->str);
	if (check_count(x, ident, f->sig, w) < 0)
		return -1;
	if (!f->fn)
		return eval_and_or(x, dot, ident, w, res);
	c.argc = w->n - 1 + w->has_final;
	c.argv = xcalloc(c.argc + 1, sizeof(*c.argv));
	for (i = 0; i + 1 < w->n && r >= 0; i++)
		r = eval_arg(x, dot, w->args[i + 1], sig_kind(f->sig, i), &c.argv[i]);
	if (r >= 0 && w->has_final)
		r = validate(x, ident, json_incref(w->final), sig_kind(f->sig, c.argc - 1),
			     &c.argv[c.argc - 1]);
	if (r >= 0)
		r = call_function(x, f, at, &c, res);
	for (i = 0; i < c.argc; i++)
		json_decref(c.argv[i]);
	free(c.argv);
	return r;
}

/* ---- arguments, commands and pipelines ---- */

/* Fields, variables, pipelines, function calls and chains: values known when run. */
static bool is_dynamic(const struct tnode *n)
{
	return n->type == TN_FIELD || n->type == TN_VARIABLE || n->type == TN_PIPE ||
	       n->type == TN_IDENT || n->type == TN_CHAIN;
}

static int eval_dynamic(struct exec *x, json_t *dot, const struct tnode *n, json_t **res)
{
	const struct words w = {.args = &n, .n = 1};

	switch (n->type) {
	case TN_FIELD:
		return eval_field_chain(x, dot, dot, n, n->idents, n->n_idents, &w, res);
	case TN_VARIABLE:
		return eval_variable(x, dot, n, &w, res);
	case TN_PIPE:
		return eval_pipeline(x, dot, n, res);
	case TN_IDENT:
		return eval_function(x, dot, n, n, &w, res);
	default:
		return eval_chain(x, dot, n, &w, res);
	}
}

/* Go's evalArg: an argument as the parameter of kind wants it. */
static int eval_arg(struct exec *x, json_t *dot, const struct tnode *n, char kind, json_t **res)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *v = NULL;

	if (is_dynamic(n))
		return eval_dynamic(x, dot, n, &v) < 0 ? -1 : validate(x, n, v, kind, res);
	if (n->type == TN_DOT)
		return validate(x, n, json_incref(dot), kind, res);
	if (n->type == TN_NIL && kind == 'a')
		return validate(x, n, json_null(), kind, res);
	if (n->type == TN_NIL)
		return xfail(x, n, "cannot assign nil to %s", kind_type(kind));
	if (kind == 'a' || kind == 'n' || (kind == 's' && n->type == TN_STRING))
		return eval_literal(x, dot, n, res);
	if (kind == 'i' && n->type == TN_NUMBER && n->is_int) {
		*res = json_integer(n->i);
		return 0;
	}
	tnode_string(n, &sb);
	if (kind == 'l')
		xfail(x, n, "can't handle %s for arg of type []string", sb.buf);
	else
		xfail(x, n, "expected %s; found %s", kind == 's' ? "string" : "integer", sb.buf);
	strbuf_release(&sb);
	return -1;
}

static int eval_command(struct exec *x, json_t *dot, const struct tnode *cmd, json_t *final,
			bool has_final, json_t **res)
{
	const struct tnode *first = cmd->kids[0];
	const struct words w = {
		.args = (const struct tnode *const *)cmd->kids,
		.n = cmd->n_kids,
		.final = final,
		.has_final = has_final,
	};

	switch (first->type) {
	case TN_FIELD:
		return eval_field_chain(x, dot, dot, first, first->idents, first->n_idents, &w,
					res);
	case TN_CHAIN:
		return eval_chain(x, dot, first, &w, res);
	case TN_IDENT:
		return eval_function(x, dot, first, cmd, &w, res);
	case TN_VARIABLE:
		return eval_variable(x, dot, first, &w, res);
	case TN_PIPE:
		if (not_a_function(x, &w) < 0)
			return -1;
		return eval_pipeline(x, dot, first, res);
	default:
		if (not_a_function(x, &w) < 0)
			return -1;
		return eval_literal(x, dot, first, res);
	}
}

/* The value of a pipeline, declaring or assigning its variables. */
static int eval_pipeline(struct exec *x, json_t *dot, const struct tnode *pipe, json_t **res)
{
	json_t *v = NULL;

	for (size_t i = 0; i < pipe->n_kids; i++) {
		json_t *next = NULL;

		if (eval_command(x, dot, pipe->kids[i], v, i > 0, &next) < 0) {
			json_decref(v);
			return -1;
		}
		json_decref(v);
		v = next;
	}
	for (size_t i = 0; i < pipe->n_decl; i++) {
		const struct tnode *d = pipe->decl[i];

		if (!pipe->is_assign) {
			push_var(x, d->idents[0], json_incref(v));
		} else if (set_var(x, d, d->idents[0], json_incref(v)) < 0) {
			json_decref(v);
			return -1;
		}
	}
	*res = v;
	return 0;
}

/* ---- actions and control structures ---- */

static int walk_action(struct exec *x, json_t *dot, const struct tnode *n)
{
	json_t *v = NULL;

	if (eval_pipeline(x, dot, n->pipe, &v) < 0)
		return -1;
	if (n->pipe->n_decl == 0) {
		if (v)
			tfmt_value(x->out, v);
		else
			strbuf_addstr(x->out, "<no value>");
	}
	json_decref(v);
	return check_output(x, n);
}

static int walk_if_with(struct exec *x, json_t *dot, const struct tnode *n)
{
	size_t mark = x->n_vars;
	json_t *v = NULL;
	int r = 0;

	if (enter(x, n) < 0)
		return -1;
	if (eval_pipeline(x, dot, n->pipe, &v) < 0)
		r = -1;
	else if (tvalue_truth(v))
		r = walk(x, n->type == TN_WITH ? v : dot, n->list);
	else if (n->else_list)
		r = walk(x, dot, n->else_list);
	json_decref(v);
	pop_vars(x, mark);
	x->depth--;
	return r;
}

/* One turn of a range: index is taken, elem borrowed. */
static int range_turn(struct exec *x, const struct tnode *n, json_t *index, json_t *elem)
{
	const struct tnode *pipe = n->pipe;
	size_t mark;
	int r = 0;

	if (pipe->n_decl > 0 && pipe->is_assign)
		r = set_var(x, pipe->decl[0], pipe->decl[0]->idents[0],
			    json_incref(pipe->n_decl > 1 ? index : elem));
	else if (pipe->n_decl > 0)
		set_top_var(x, 1, json_incref(elem));
	if (r >= 0 && pipe->n_decl > 1 && pipe->is_assign)
		r = set_var(x, pipe->decl[1], pipe->decl[1]->idents[0], json_incref(elem));
	else if (r >= 0 && pipe->n_decl > 1)
		set_top_var(x, 2, json_incref(index));
	json_decref(index);
	if (r < 0 || step(x, n) < 0)
		return -1;
	mark = x->n_vars;
	r = walk(x, elem, n->list);
	pop_vars(x, mark);
	return r == WALK_CONTINUE ? 0 : r;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int range_object(struct exec *x, const struct tnode *n, json_t *obj, bool *ran)
{
	size_t count = 0;
	const char **keys = xcalloc(json_object_size(obj) + 1, sizeof(*keys)), *k;
	json_t *v;
	int r = 0;

	json_object_foreach(obj, k, v) keys[count++] = k;
	sort_array(keys, count, sizeof(*keys), cmp_keys);
	for (size_t i = 0; i < count && r == 0; i++) {
		*ran = true;
		r = range_turn(x, n, json_string(keys[i]), json_object_get(obj, keys[i]));
	}
	free(keys);
	return r;
}

static int range_values(struct exec *x, const struct tnode *n, json_t *val, bool *ran)
{
	struct strbuf sb = STRBUF_INIT;
	int r = 0;

	if (json_is_array(val)) {
		for (size_t i = 0; i < json_array_size(val) && r == 0; i++) {
			*ran = true;
			r = range_turn(x, n, json_integer((json_int_t)i), json_array_get(val, i));
		}
	} else if (json_is_object(val)) {
		r = range_object(x, n, val, ran);
	} else if (json_is_integer(val) && n->pipe->n_decl > 1) {
		tfmt_value(&sb, val);
		r = xfail(x, n, "can't use %s to iterate over more than one variable", sb.buf);
	} else if (json_is_integer(val)) {
		for (json_int_t i = 0; i < json_integer_value(val) && r == 0; i++) {
			json_t *e = json_integer(i);

			*ran = true;
			r = range_turn(x, n, json_incref(e), e);
			json_decref(e);
		}
	} else if (val && !json_is_null(val)) {
		tfmt_value(&sb, val);
		r = xfail(x, n, "range can't iterate over %s", sb.buf);
	}
	strbuf_release(&sb);
	return r;
}

static int walk_range(struct exec *x, json_t *dot, const struct tnode *n)
{
	size_t mark = x->n_vars;
	json_t *val = NULL;
	bool ran = false;
	int r;

	if (enter(x, n) < 0)
		return -1;
	r = eval_pipeline(x, dot, n->pipe, &val);
	if (r == 0)
		r = range_values(x, n, val, &ran);
	if (r >= 0 && !ran && n->else_list)
		r = walk(x, dot, n->else_list);
	json_decref(val);
	pop_vars(x, mark);
	x->depth--;
	return r < 0 ? -1 : r == WALK_BREAK ? 0 : r;
}

static int walk_template(struct exec *x, json_t *dot, const struct tnode *n)
{
	const struct tnode *root = tdef_lookup(x->t, n->str);
	size_t base = x->base;
	const char *name = x->name;
	json_t *v = NULL;
	struct strbuf q = STRBUF_INIT;
	int r;

	if (!root) {
		tfmt_quote(&q, n->str, n->len, '"', false);
		xfail(x, n, "template %s not defined", q.buf);
		strbuf_release(&q);
		return -1;
	}
	if (enter(x, n) < 0)
		return -1;
	if (n->pipe && eval_pipeline(x, dot, n->pipe, &v) < 0) {
		x->depth--;
		return -1;
	}
	x->base = x->n_vars;
	push_var(x, "$", json_incref(v));
	x->name = n->str;
	r = walk(x, v, root);
	pop_vars(x, x->base);
	x->base = base;
	x->name = name;
	x->depth--;
	json_decref(v);
	return r < 0 ? -1 : 0;
}

static int walk(struct exec *x, json_t *dot, const struct tnode *n)
{
	int r;

	if (step(x, n) < 0)
		return -1;
	switch (n->type) {
	case TN_LIST:
		for (size_t i = 0; i < n->n_kids; i++)
			if ((r = walk(x, dot, n->kids[i])) != 0)
				return r;
		return 0;
	case TN_TEXT:
		strbuf_add(x->out, n->str, n->len);
		return check_output(x, n);
	case TN_ACTION:
		return walk_action(x, dot, n);
	case TN_IF:
	case TN_WITH:
		return walk_if_with(x, dot, n);
	case TN_RANGE:
		return walk_range(x, dot, n);
	case TN_BREAK:
		return WALK_BREAK;
	case TN_CONTINUE:
		return WALK_CONTINUE;
	case TN_TEMPLATE:
		return walk_template(x, dot, n);
	default:
		BUG("cannot walk node %d", n->type);
	}
}

int template_execute_opts(const struct template *t, const json_t *data,
			  const struct template_exec_opts *opts, struct strbuf *out,
			  struct berth_error **err)
{
	static const struct template_exec_opts none;
	json_t *dot = (json_t *)data;
	struct exec x = {
		.t = t,
		.opts = opts ? opts : &none,
		.name = "",
		.out = out,
		.out_start = out->len,
		.err = err,
	};
	int r;

	push_var(&x, "$", json_incref(dot));
	r = walk(&x, dot, t->root);
	pop_vars(&x, 0);
	free(x.vars);
	if (r >= 0)
		return 0;
	out->len = x.out_start;
	if (out->buf)
		out->buf[out->len] = '\0';
	return -1;
}

int template_execute(const struct template *t, const json_t *data, struct strbuf *out,
		     struct berth_error **err)
{
	return template_execute_opts(t, data, NULL, out, err);
}
