/*
 * The parser of text/template: a recursive descent over the lexer's tokens
 * with Go's three-token look-ahead, building the tree of template-int.h.
 * Functions and variables are checked here, as Go does.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>

#include "util/strutil.h"
#include "util/template-int.h"

struct pvar {
	const char *name;
	size_t len;
};

struct parser {
	struct template *t;
	struct tlexer lx;
	struct token tok[3];
	int peek_count;
	struct pvar *vars;
	size_t n_vars;
	int range_depth, depth, action_line;
	bool failed;
	struct berth_error **err;
};

static struct tnode *item_list(struct parser *p, struct tnode **end);
static struct tnode *pipeline(struct parser *p, const char *context, enum tok_type end);
static struct tnode *if_control(struct parser *p);
static struct tnode *with_control(struct parser *p);

/* ---- tokens ---- */

static struct token next(struct parser *p)
{
	if (p->peek_count > 0)
		p->peek_count--;
	else
		tlex_next(&p->lx, &p->tok[0]);
	return p->tok[p->peek_count];
}

static void backup(struct parser *p)
{
	p->peek_count++;
}

static void backup2(struct parser *p, struct token t1)
{
	p->tok[1] = t1;
	p->peek_count = 2;
}

static void backup3(struct parser *p, struct token t2, struct token t1)
{
	p->tok[1] = t1;
	p->tok[2] = t2;
	p->peek_count = 3;
}

static struct token peek(struct parser *p)
{
	if (p->peek_count > 0)
		return p->tok[p->peek_count - 1];
	p->peek_count = 1;
	tlex_next(&p->lx, &p->tok[0]);
	return p->tok[0];
}

static struct token next_non_space(struct parser *p)
{
	struct token t;

	do
		t = next(p);
	while (t.type == TOK_SPACE);
	return t;
}

static struct token peek_non_space(struct parser *p)
{
	struct token t = next_non_space(p);

	backup(p);
	return t;
}

static bool tok_is(struct token t, const char *s)
{
	return t.len == strlen(s) && memcmp(t.val, s, t.len) == 0;
}

/* ---- errors ---- */

static void *fail(struct parser *p, const char *fmt, ...) _printf_(2, 3);
static void *fail(struct parser *p, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (p->failed)
		return NULL;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	p->failed = true;
	berth_error_setk(p->err, BERTH_ERR_INVALID, 0, "template: :%d: %s", p->tok[0].line, msg);
	return NULL;
}

/* Go's item.String(). */
static void tok_string(struct token t, struct strbuf *sb)
{
	if (t.type == TOK_EOF) {
		strbuf_addstr(sb, "EOF");
	} else if (t.type == TOK_ERROR) {
		strbuf_add(sb, t.val, t.len);
	} else if (t.type > TOK_KEYWORD || t.type == TOK_DOT) {
		strbuf_addf(sb, "<%.*s>", (int)t.len, t.val);
	} else if (tfmt_rune_count(t.val, t.len) > 10) {
		const char *s = t.val;
		uint32_t r;

		for (int i = 0; i < 10; i++)
			s += tfmt_utf8_decode(s, t.len - (size_t)(s - t.val), &r);
		tfmt_quote(sb, t.val, (size_t)(s - t.val), '"', false);
		strbuf_addstr(sb, "...");
	} else {
		tfmt_quote(sb, t.val, t.len, '"', false);
	}
}

static void *unexpected(struct parser *p, struct token t, const char *context)
{
	struct strbuf sb = STRBUF_INIT;

	tok_string(t, &sb);
	if (t.type != TOK_ERROR)
		fail(p, "unexpected %s in %s", sb.buf, context);
	else if (p->action_line != 0 && p->action_line != t.line)
		fail(p, "%s in action started at :%d", sb.buf, p->action_line);
	else
		fail(p, "%s", sb.buf);
	strbuf_release(&sb);
	return NULL;
}

static bool expect(struct parser *p, enum tok_type type, const char *context)
{
	struct token t = next_non_space(p);

	if (t.type != type)
		return unexpected(p, t, context);
	return true;
}

/* ---- nodes ---- */

static struct tnode *new_node(struct parser *p, enum tnode_type type, size_t pos)
{
	struct template *t = p->t;
	struct tnode *n = xcalloc(1, sizeof(*n));

	if (t->n_nodes == t->alloc_nodes) {
		t->alloc_nodes = t->alloc_nodes ? 2 * t->alloc_nodes : 16;
		t->nodes = xrealloc(t->nodes, t->alloc_nodes * sizeof(*t->nodes));
	}
	t->nodes[t->n_nodes++] = n;
	n->type = type;
	n->pos = pos;
	return n;
}

/* Appends to an array that doubles at each power of two. */
static void *grow(void *a, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		a = xrealloc(a, (n ? 2 * n : 1) * size);
	return a;
}

static void add_kid(struct tnode *n, struct tnode *kid)
{
	n->kids = grow(n->kids, n->n_kids, sizeof(*n->kids));
	n->kids[n->n_kids++] = kid;
}

static void add_ident(struct tnode *n, const char *s, size_t len)
{
	n->idents = grow(n->idents, n->n_idents, sizeof(*n->idents));
	n->idents[n->n_idents++] = xstrndup(s, len);
}

static void push_var(struct parser *p, const char *name, size_t len)
{
	p->vars = grow(p->vars, p->n_vars, sizeof(*p->vars));
	p->vars[p->n_vars].name = name;
	p->vars[p->n_vars++].len = len;
}

static struct tnode *new_variable(struct parser *p, struct token t)
{
	struct tnode *n = new_node(p, TN_VARIABLE, t.pos);

	add_ident(n, t.val, t.len);
	return n;
}

static struct tnode *use_var(struct parser *p, struct token t)
{
	for (size_t i = 0; i < p->n_vars; i++)
		if (p->vars[i].len == t.len && memcmp(p->vars[i].name, t.val, t.len) == 0)
			return new_variable(p, t);
	return fail(p, "undefined variable \"%.*s\"", (int)t.len, t.val);
}

/* ---- literals ---- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The value of a one-letter escape such as \n, or 0. */
static char simple_escape(char c)
{
	static const char pairs[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";

	for (size_t i = 0; i + 1 < sizeof(pairs); i += 2)
		if (pairs[i] == c)
			return pairs[i + 1];
	return 0;
}

/* n digits of base at *s, a rune or (octal, \x) a byte. */
static bool escape_digits(const char **s, const char *end, int n, int base, uint32_t *r)
{
	*r = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		int d = *s < end ? hex_digit(**s) : -1;

		if (d < 0 || d >= base)
			return false;
		*r = *r * (uint32_t)base + (uint32_t)d;
	}
	return !(base == 8 && *r > 255) && *r <= 0x10ffff && !(*r >= 0xd800 && *r < 0xe000);
}

/*
 * Go's strconv.UnquoteChar: one character of a quoted literal at *s. A \x
 * or octal escape gives a byte (*byte set), anything else a rune.
 */
static bool unquote_char(const char **s, const char *end, char quote, uint32_t *r, bool *byte)
{
	const char *c = *s;

	*byte = false;
	if (c >= end || *c == quote)
		return false;
	if (*c != '\\') {
		*s += tfmt_utf8_decode(c, (size_t)(end - c), r);
		return true;
	}
	if (++c >= end)
		return false;
	*s = c + 1;
	if (simple_escape(*c)) {
		*r = (unsigned char)simple_escape(*c);
		return true;
	}
	if (*c == '\'' || *c == '"') {
		*r = (unsigned char)*c;
		return *c == quote;
	}
	if (*c == 'x' || (*c >= '0' && *c <= '7')) {
		*byte = true;
		*s = *c == 'x' ? c + 1 : c;
		return escape_digits(s, end, *c == 'x' ? 2 : 3, *c == 'x' ? 16 : 8, r);
	}
	if (*c == 'u' || *c == 'U')
		return escape_digits(s, end, *c == 'u' ? 4 : 8, 16, r);
	return false;
}

/* Go's strconv.Unquote of a "string" or `raw string` token. */
static bool unquote(struct token t, struct strbuf *sb)
{
	const char *s = t.val + 1, *end = t.val + t.len - 1;

	if (t.type == TOK_RAW_STRING) {
		for (; s < end; s++)
			if (*s != '\r')
				strbuf_addch(sb, *s);
		return true;
	}
	while (s < end) {
		uint32_t r;
		bool byte;

		if (!unquote_char(&s, end, '"', &r, &byte))
			return false;
		if (byte)
			strbuf_addch(sb, (char)r);
		else
			tfmt_utf8_encode(sb, r);
	}
	return true;
}

/* Go's underscoreOK, roughly: underscores only between digits. */
static bool underscores_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '_' && (i == 0 || i + 1 == n || s[i - 1] == '_' || s[i + 1] == '_' ||
				    s[i - 1] == '+' || s[i - 1] == '-'))
			return false;
	return true;
}

/* strconv.ParseUint/ParseInt with base 0: the sign and the magnitude. */
static bool parse_go_int(const char *s, bool *neg, unsigned long long *mag)
{
	int base = 10;

	*neg = *s == '-';
	s += *s == '-' || *s == '+';
	if (s[0] == '0' && s[1] && strchr("xXoObB", s[1])) {
		base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s++;
	}
	if (!*s)
		return false;
	*mag = 0;
	for (; *s; s++) {
		int d = hex_digit(*s);

		if (*s == '_')
			continue;
		if (d < 0 || d >= base || *mag > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return false;
		*mag = *mag * (unsigned)base + (unsigned)d;
	}
	return true;
}

static bool parse_go_float(const char *s, double *f)
{
	char *end;
	bool hex = strstr(s, "0x") || strstr(s, "0X");

	if (hex && !strpbrk(s, "pP"))
		return false;
	errno = 0;
	*f = strtod(s, &end);
	return *end == '\0' && end != s && !isinf(*f);
}

static void number_from_float(struct tnode *n)
{
	n->is_float = true;
	if (!n->is_int && n->f >= -9223372036854775808.0 && n->f < 9223372036854775808.0 &&
	    n->f == trunc(n->f)) {
		n->is_int = true;
		n->i = (long long)n->f;
	}
	n->is_uint =
		n->is_uint || (n->f >= 0 && n->f < 18446744073709551616.0 && n->f == trunc(n->f));
}

static bool number_value(struct parser *p, struct tnode *n, const char *text)
{
	_cleanup_free_ char *clean = xstrdup(text);
	unsigned long long mag;
	size_t j = 0;
	bool neg;

	if (!underscores_ok(text, strlen(text)))
		return fail(p, "illegal number syntax: \"%s\"", text);
	for (size_t i = 0; text[i]; i++)
		if (text[i] != '_')
			clean[j++] = text[i];
	clean[j] = '\0';
	if (parse_go_int(text, &neg, &mag)) {
		n->is_uint = !neg || mag == 0;
		n->is_int = neg ? mag <= 9223372036854775808ULL : mag <= 9223372036854775807ULL;
		n->i = neg ? (long long)(0 - mag) : (long long)mag;
		n->is_float = true;
		n->f = neg ? -(double)mag : (double)mag;
	} else if (parse_go_float(clean, &n->f)) {
		if (!strpbrk(text, ".eEpP"))
			return fail(p, "integer overflow: \"%s\"", text);
		number_from_float(n);
	}
	if (!n->is_int && !n->is_uint && !n->is_float)
		return fail(p, "illegal number syntax: \"%s\"", text);
	return true;
}

static struct tnode *new_number(struct parser *p, struct token t)
{
	struct tnode *n = new_node(p, TN_NUMBER, t.pos);
	const char *s = t.val + 1, *end = t.val + t.len;
	uint32_t r;
	bool byte;

	n->src = xstrndup(t.val, t.len);
	if (t.type == TOK_COMPLEX || n->src[t.len - 1] == 'i')
		return fail(p, "complex number %s not supported", n->src);
	if (t.type != TOK_CHAR_CONST)
		return number_value(p, n, n->src) ? n : NULL;
	if (!unquote_char(&s, end, '\'', &r, &byte))
		return fail(p, "invalid syntax");
	if (s != end - 1)
		return fail(p, "malformed character constant: %s", n->src);
	n->is_int = n->is_uint = n->is_float = true;
	n->i = r;
	n->f = r;
	return n;
}

static struct tnode *new_string(struct parser *p, struct token t)
{
	struct tnode *n = new_node(p, TN_STRING, t.pos);
	struct strbuf sb = STRBUF_INIT;

	n->src = xstrndup(t.val, t.len);
	if (!unquote(t, &sb)) {
		strbuf_release(&sb);
		return fail(p, "invalid syntax");
	}
	n->len = sb.len;
	n->str = strbuf_detach(&sb);
	return n;
}

/* ---- operands and commands ---- */

static struct tnode *paren_pipeline(struct parser *p)
{
	struct tnode *n;

	if (p->depth >= TEMPLATE_MAX_DEPTH)
		return fail(p, "max expression depth exceeded");
	p->depth++;
	n = pipeline(p, "parenthesized pipeline", TOK_RPAREN);
	p->depth--;
	return n;
}

static struct tnode *term(struct parser *p)
{
	struct token t = next_non_space(p);
	struct tnode *n;

	switch (t.type) {
	case TOK_IDENT:
		n = new_node(p, TN_IDENT, t.pos);
		n->str = xstrndup(t.val, t.len);
		if (!tfunc_exists(n->str))
			return fail(p, "function \"%s\" not defined", n->str);
		return n;
	case TOK_DOT:
		return new_node(p, TN_DOT, t.pos);
	case TOK_NIL:
		return new_node(p, TN_NIL, t.pos);
	case TOK_VARIABLE:
		return use_var(p, t);
	case TOK_FIELD:
		n = new_node(p, TN_FIELD, t.pos);
		add_ident(n, t.val + 1, t.len - 1);
		return n;
	case TOK_BOOL:
		n = new_node(p, TN_BOOL, t.pos);
		n->b = tok_is(t, "true");
		return n;
	case TOK_CHAR_CONST:
	case TOK_COMPLEX:
	case TOK_NUMBER:
		return new_number(p, t);
	case TOK_LPAREN:
		return paren_pipeline(p);
	case TOK_STRING:
	case TOK_RAW_STRING:
		return new_string(p, t);
	default:
		backup(p);
		return NULL;
	}
}

/* A term and the .Fields after it. */
static struct tnode *operand(struct parser *p)
{
	struct tnode *n = term(p), *chain;
	struct strbuf sb = STRBUF_INIT, q = STRBUF_INIT;

	if (!n || peek(p).type != TOK_FIELD)
		return n;
	chain = new_node(p, TN_CHAIN, peek(p).pos);
	while (peek(p).type == TOK_FIELD) {
		struct token f = next(p);

		add_ident(chain, f.val + 1, f.len - 1);
	}
	switch (n->type) {
	case TN_FIELD:
	case TN_VARIABLE:
		for (size_t i = 0; i < chain->n_idents; i++)
			add_ident(n, chain->idents[i], strlen(chain->idents[i]));
		n->pos = chain->pos;
		return n;
	case TN_BOOL:
	case TN_STRING:
	case TN_NUMBER:
	case TN_NIL:
	case TN_DOT:
		tnode_string(n, &sb);
		tfmt_quote(&q, sb.buf, sb.len, '"', false);
		fail(p, "unexpected . after term %s", q.buf);
		strbuf_release(&sb);
		strbuf_release(&q);
		return NULL;
	default:
		chain->pipe = n;
		return chain;
	}
}

static struct tnode *command(struct parser *p)
{
	struct tnode *cmd = new_node(p, TN_COMMAND, peek_non_space(p).pos), *op;

	for (;;) {
		struct token t;

		peek_non_space(p);
		op = operand(p);
		if (p->failed)
			return NULL;
		if (op)
			add_kid(cmd, op);
		t = next(p);
		if (t.type == TOK_SPACE)
			continue;
		if (t.type == TOK_RIGHT_DELIM || t.type == TOK_RPAREN)
			backup(p);
		else if (t.type != TOK_PIPE)
			return unexpected(p, t, "operand");
		break;
	}
	if (cmd->n_kids == 0)
		return fail(p, "empty command");
	return cmd;
}

static struct tnode *check_pipeline(struct parser *p, struct tnode *pipe, const char *context)
{
	if (pipe->n_kids == 0)
		return fail(p, "missing value for %s", context);
	for (size_t i = 1; i < pipe->n_kids; i++) {
		switch (pipe->kids[i]->kids[0]->type) {
		case TN_BOOL:
		case TN_DOT:
		case TN_NIL:
		case TN_NUMBER:
		case TN_STRING:
			return fail(p, "non executable command in pipeline stage %zu", i + 1);
		default:
			break;
		}
	}
	return pipe;
}

static void add_decl(struct parser *p, struct tnode *pipe, struct token v)
{
	pipe->decl = grow(pipe->decl, pipe->n_decl, sizeof(*pipe->decl));
	pipe->decl[pipe->n_decl++] = new_variable(p, v);
	push_var(p, v.val, v.len);
}

/* The "$x :=", "$x =" or "$i, $v :=" of a pipeline; false on error. */
static bool declarations(struct parser *p, struct tnode *pipe, const char *context)
{
	struct token v, after, nx;

	while ((v = peek_non_space(p)).type == TOK_VARIABLE) {
		next(p);
		after = peek(p);
		nx = peek_non_space(p);
		if (nx.type == TOK_ASSIGN || nx.type == TOK_DECLARE) {
			pipe->is_assign = nx.type == TOK_ASSIGN;
			next_non_space(p);
			add_decl(p, pipe, v);
			return true;
		}
		if (nx.type == TOK_CHAR && tok_is(nx, ",")) {
			next_non_space(p);
			add_decl(p, pipe, v);
			if (strcmp(context, "range") != 0 || pipe->n_decl >= 2)
				return fail(p, "too many declarations in %s", context);
			nx = peek_non_space(p);
			if (nx.type != TOK_VARIABLE && nx.type != TOK_RIGHT_DELIM &&
			    nx.type != TOK_RPAREN)
				return fail(p, "range can only initialize variables");
			continue;
		}
		if (after.type == TOK_SPACE)
			backup3(p, v, after);
		else
			backup2(p, v);
		break;
	}
	return true;
}

static struct tnode *pipeline(struct parser *p, const char *context, enum tok_type end)
{
	struct tnode *pipe = new_node(p, TN_PIPE, peek_non_space(p).pos), *cmd;

	if (!declarations(p, pipe, context))
		return NULL;
	for (;;) {
		struct token t = next_non_space(p);

		if (t.type == end)
			return check_pipeline(p, pipe, context);
		switch (t.type) {
		case TOK_BOOL:
		case TOK_CHAR_CONST:
		case TOK_COMPLEX:
		case TOK_DOT:
		case TOK_FIELD:
		case TOK_IDENT:
		case TOK_NUMBER:
		case TOK_NIL:
		case TOK_RAW_STRING:
		case TOK_STRING:
		case TOK_VARIABLE:
		case TOK_LPAREN:
			backup(p);
			if (!(cmd = command(p)))
				return NULL;
			add_kid(pipe, cmd);
			break;
		default:
			return unexpected(p, t, context);
		}
	}
}

/* ---- control structures ---- */

/* {{if}}, {{range}} and {{with}}: pipe, list and else list into n. */
static struct tnode *control(struct parser *p, struct tnode *n, const char *context)
{
	size_t mark = p->n_vars;
	bool range = n->type == TN_RANGE;
	struct tnode *end = NULL;

	if (p->depth >= TEMPLATE_MAX_DEPTH)
		return fail(p, "max expression depth exceeded");
	p->depth++;
	if (!(n->pipe = pipeline(p, context, TOK_RIGHT_DELIM)))
		goto out;
	n->pos = n->pipe->pos;
	p->range_depth += range;
	n->list = item_list(p, &end);
	p->range_depth -= range;
	if (!n->list || end->type != TN_ELSE)
		goto out;
	if ((n->type == TN_IF && peek(p).type == TOK_IF) ||
	    (n->type == TN_WITH && peek(p).type == TOK_WITH)) {
		struct tnode *inner;

		next(p);
		inner = n->type == TN_IF ? if_control(p) : with_control(p);
		n->else_list = new_node(p, TN_LIST, end->pos);
		if (inner)
			add_kid(n->else_list, inner);
	} else if ((n->else_list = item_list(p, &end)) && end->type != TN_END) {
		fail(p, "expected end; found {{else}}");
	}
out:
	p->depth--;
	p->n_vars = mark;
	return p->failed ? NULL : n;
}

static struct tnode *if_control(struct parser *p)
{
	return control(p, new_node(p, TN_IF, 0), "if");
}

static struct tnode *with_control(struct parser *p)
{
	return control(p, new_node(p, TN_WITH, 0), "with");
}

static struct tnode *range_control(struct parser *p)
{
	return control(p, new_node(p, TN_RANGE, 0), "range");
}

static struct tnode *loop_control(struct parser *p, struct token t)
{
	const char *what = t.type == TOK_BREAK ? "{{break}}" : "{{continue}}";

	if (!expect(p, TOK_RIGHT_DELIM, what))
		return NULL;
	if (p->range_depth == 0)
		return fail(p, "%s outside {{range}}", what);
	return new_node(p, t.type == TOK_BREAK ? TN_BREAK : TN_CONTINUE, t.pos);
}

static struct tnode *else_control(struct parser *p)
{
	struct token t = peek_non_space(p);

	if (t.type == TOK_IF || t.type == TOK_WITH)
		return new_node(p, TN_ELSE, t.pos);
	t = next_non_space(p);
	if (t.type != TOK_RIGHT_DELIM)
		return unexpected(p, t, "else");
	return new_node(p, TN_ELSE, t.pos);
}

static struct tnode *end_control(struct parser *p)
{
	struct token t = next_non_space(p);

	if (t.type != TOK_RIGHT_DELIM)
		return unexpected(p, t, "end");
	return new_node(p, TN_END, t.pos);
}

static bool is_empty_tree(const struct tnode *n)
{
	if (n->type == TN_TEXT) {
		for (size_t i = 0; i < n->len; i++)
			if (!strchr(" \t\r\n\v\f", n->str[i]) || !n->str[i])
				return false;
		return true;
	}
	if (n->type != TN_LIST)
		return false;
	for (size_t i = 0; i < n->n_kids; i++)
		if (!is_empty_tree(n->kids[i]))
			return false;
	return true;
}

/* Go's Tree.add: a name is defined once, an empty definition yielding. */
static bool add_def(struct parser *p, char *name, struct tnode *root)
{
	struct template *t = p->t;

	for (size_t i = 0; i < t->n_defs; i++) {
		if (strcmp(t->defs[i].name, name) != 0)
			continue;
		if (!is_empty_tree(t->defs[i].root) && !is_empty_tree(root)) {
			fail(p, "template: multiple definition of template \"%s\"", name);
			free(name);
			return false;
		}
		if (is_empty_tree(t->defs[i].root))
			t->defs[i].root = root;
		free(name);
		return true;
	}
	t->defs = grow(t->defs, t->n_defs, sizeof(*t->defs));
	t->defs[t->n_defs].name = name;
	t->defs[t->n_defs++].root = root;
	return true;
}

/* A template's name: a string constant. */
static char *template_name(struct parser *p, struct token t, const char *context)
{
	struct strbuf sb = STRBUF_INIT;

	if (t.type != TOK_STRING && t.type != TOK_RAW_STRING)
		return unexpected(p, t, context);
	if (!unquote(t, &sb)) {
		strbuf_release(&sb);
		return fail(p, "invalid syntax");
	}
	return strbuf_detach(&sb);
}

/* The body of {{define}} or {{block}}, a tree of its own with only $; takes name. */
static struct tnode *definition_body(struct parser *p, char *name, const char *context)
{
	struct pvar *vars = p->vars;
	size_t n_vars = p->n_vars;
	int range_depth = p->range_depth;
	struct tnode *end = NULL, *root;

	p->vars = NULL;
	p->n_vars = 0;
	p->range_depth = 0;
	push_var(p, "$", 1);
	root = item_list(p, &end);
	free(p->vars);
	p->vars = vars;
	p->n_vars = n_vars;
	p->range_depth = range_depth;
	if (!root || !end || end->type != TN_END) {
		free(name);
		return root ? fail(p, "unexpected {{else}} in %s", context) : NULL;
	}
	return add_def(p, name, root) ? root : NULL;
}

static bool parse_definition(struct parser *p)
{
	const char *context = "define clause";
	struct token t = next_non_space(p);
	char *name = template_name(p, t, context);

	if (!name)
		return false;
	if (!expect(p, TOK_RIGHT_DELIM, context)) {
		free(name);
		return false;
	}
	return definition_body(p, name, context) != NULL;
}

static struct tnode *template_control(struct parser *p, bool block)
{
	const char *context = block ? "block clause" : "template clause";
	struct token t = next_non_space(p);
	struct tnode *n = new_node(p, TN_TEMPLATE, t.pos);

	if (!(n->str = template_name(p, t, context)))
		return NULL;
	n->len = strlen(n->str);
	if (!block && next_non_space(p).type == TOK_RIGHT_DELIM)
		return n;
	if (!block)
		backup(p);
	if (!(n->pipe = pipeline(p, context, TOK_RIGHT_DELIM)))
		return NULL;
	if (block && !definition_body(p, xstrdup(n->str), context))
		return NULL;
	return n;
}

static struct tnode *action(struct parser *p)
{
	struct token t = next_non_space(p);
	struct tnode *n;

	switch (t.type) {
	case TOK_BLOCK:
		return template_control(p, true);
	case TOK_BREAK:
	case TOK_CONTINUE:
		return loop_control(p, t);
	case TOK_ELSE:
		return else_control(p);
	case TOK_END:
		return end_control(p);
	case TOK_IF:
		return if_control(p);
	case TOK_RANGE:
		return range_control(p);
	case TOK_TEMPLATE:
		return template_control(p, false);
	case TOK_WITH:
		return with_control(p);
	default:
		break;
	}
	backup(p);
	n = new_node(p, TN_ACTION, peek(p).pos);
	/* Variables are not popped: they live until the enclosing {{end}}. */
	n->pipe = pipeline(p, "command", TOK_RIGHT_DELIM);
	return n->pipe ? n : NULL;
}

static struct tnode *text_or_action(struct parser *p)
{
	struct token t = next_non_space(p);
	struct tnode *n;

	if (t.type == TOK_TEXT) {
		n = new_node(p, TN_TEXT, t.pos);
		n->str = xstrndup(t.val, t.len);
		n->len = t.len;
		return n;
	}
	if (t.type != TOK_LEFT_DELIM)
		return unexpected(p, t, "input");
	p->action_line = t.line;
	n = action(p);
	p->action_line = 0;
	return n;
}

static struct tnode *item_list(struct parser *p, struct tnode **end)
{
	struct tnode *list = new_node(p, TN_LIST, peek_non_space(p).pos), *n;

	while (peek_non_space(p).type != TOK_EOF) {
		if (!(n = text_or_action(p)))
			return NULL;
		if (n->type == TN_END || n->type == TN_ELSE) {
			*end = n;
			return list;
		}
		add_kid(list, n);
	}
	return fail(p, "unexpected EOF");
}

/* The top level: text, actions and {{define}}s up to the end. */
static struct tnode *parse_top(struct parser *p)
{
	struct tnode *root = new_node(p, TN_LIST, 0), *n;

	while (!p->failed && peek(p).type != TOK_EOF) {
		if (peek(p).type == TOK_LEFT_DELIM) {
			struct token delim = next(p);

			if (next_non_space(p).type == TOK_DEFINE) {
				p->action_line = delim.line;
				parse_definition(p);
				p->action_line = 0;
				continue;
			}
			backup2(p, delim);
		}
		if (!(n = text_or_action(p)))
			return NULL;
		if (n->type == TN_END || n->type == TN_ELSE)
			return fail(p, "unexpected %s", n->type == TN_END ? "{{end}}" : "{{else}}");
		add_kid(root, n);
	}
	return p->failed ? NULL : root;
}

int tparse(struct template *t, struct berth_error **err)
{
	struct parser p = {.t = t, .err = err};
	struct tnode *root;

	tlex_init(&p.lx, t->text, strlen(t->text));
	push_var(&p, "$", 1);
	root = parse_top(&p);
	if (root)
		add_def(&p, xstrdup(""), root);
	free(p.vars);
	tlex_release(&p.lx);
	if (p.failed)
		return -1;
	t->root = (struct tnode *)tdef_lookup(t, "");
	return 0;
}

const struct tnode *tdef_lookup(const struct template *t, const char *name)
{
	for (size_t i = 0; i < t->n_defs; i++)
		if (strcmp(t->defs[i].name, name) == 0)
			return t->defs[i].root;
	return NULL;
}

/* ---- Go's String() of nodes ---- */

static void kids_string(const struct tnode *n, const char *sep, struct strbuf *sb)
{
	for (size_t i = 0; i < n->n_kids; i++) {
		bool paren = n->type == TN_COMMAND && n->kids[i]->type == TN_PIPE;

		if (i > 0)
			strbuf_addstr(sb, sep);
		if (paren)
			strbuf_addch(sb, '(');
		tnode_string(n->kids[i], sb);
		if (paren)
			strbuf_addch(sb, ')');
	}
}

static void pipe_string(const struct tnode *n, struct strbuf *sb)
{
	for (size_t i = 0; i < n->n_decl; i++) {
		if (i > 0)
			strbuf_addstr(sb, ", ");
		tnode_string(n->decl[i], sb);
	}
	if (n->n_decl > 0)
		strbuf_addstr(sb, " := ");
	kids_string(n, " | ", sb);
}

static void branch_string(const struct tnode *n, const char *name, struct strbuf *sb)
{
	strbuf_addf(sb, "{{%s ", name);
	tnode_string(n->pipe, sb);
	strbuf_addstr(sb, "}}");
	tnode_string(n->list, sb);
	if (n->else_list) {
		strbuf_addstr(sb, "{{else}}");
		tnode_string(n->else_list, sb);
	}
	strbuf_addstr(sb, "{{end}}");
}

static void idents_string(const struct tnode *n, bool dot_first, struct strbuf *sb)
{
	for (size_t i = 0; i < n->n_idents; i++) {
		if (i > 0 || dot_first)
			strbuf_addch(sb, '.');
		strbuf_addstr(sb, n->idents[i]);
	}
}

static void template_string(const struct tnode *n, struct strbuf *sb)
{
	strbuf_addstr(sb, "{{template ");
	tfmt_quote(sb, n->str, n->len, '"', false);
	if (n->pipe) {
		strbuf_addch(sb, ' ');
		tnode_string(n->pipe, sb);
	}
	strbuf_addstr(sb, "}}");
}

static void action_string(const struct tnode *n, struct strbuf *sb)
{
	strbuf_addstr(sb, "{{");
	tnode_string(n->pipe, sb);
	strbuf_addstr(sb, "}}");
}

static void chain_string(const struct tnode *n, struct strbuf *sb)
{
	bool paren = n->pipe->type == TN_PIPE;

	if (paren)
		strbuf_addch(sb, '(');
	tnode_string(n->pipe, sb);
	if (paren)
		strbuf_addch(sb, ')');
	idents_string(n, true, sb);
}

void tnode_string(const struct tnode *n, struct strbuf *sb)
{
	static const char *const fixed[] = {
		[TN_BREAK] = "{{break}}", [TN_CONTINUE] = "{{continue}}", [TN_DOT] = ".",
		[TN_NIL] = "nil",	  [TN_END] = "{{end}}",		  [TN_ELSE] = "{{else}}",
		[TN_IF] = "if",		  [TN_RANGE] = "range",		  [TN_WITH] = "with",
	};

	switch (n->type) {
	case TN_LIST:
	case TN_COMMAND:
		kids_string(n, n->type == TN_LIST ? "" : " ", sb);
		break;
	case TN_TEXT:
		strbuf_add(sb, n->str, n->len);
		break;
	case TN_ACTION:
		action_string(n, sb);
		break;
	case TN_IF:
	case TN_RANGE:
	case TN_WITH:
		branch_string(n, fixed[n->type], sb);
		break;
	case TN_TEMPLATE:
		template_string(n, sb);
		break;
	case TN_PIPE:
		pipe_string(n, sb);
		break;
	case TN_FIELD:
	case TN_VARIABLE:
		idents_string(n, n->type == TN_FIELD, sb);
		break;
	case TN_CHAIN:
		chain_string(n, sb);
		break;
	case TN_BOOL:
		strbuf_addstr(sb, n->b ? "true" : "false");
		break;
	case TN_IDENT:
	case TN_NUMBER:
	case TN_STRING:
		strbuf_addstr(sb, n->type == TN_IDENT ? n->str : n->src);
		break;
	default:
		strbuf_addstr(sb, fixed[n->type]);
	}
}
