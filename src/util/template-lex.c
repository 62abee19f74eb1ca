/*
 * The lexer of text/template: text between actions, then the tokens of each
 * action, one at a time as the parser asks. Trim markers ("{{- " and " -}}")
 * and comments are handled here, so the parser never sees them.
 */
#include <stdarg.h>

#include "util/strutil.h"
#include "util/template-int.h"

#define LEFT_DELIM  "{{"
#define RIGHT_DELIM "}}"

static const struct {
	const char *word;
	enum tok_type type;
} keywords[] = {
	{"block", TOK_BLOCK},
	{"break", TOK_BREAK},
	{"continue", TOK_CONTINUE},
	{"define", TOK_DEFINE},
	{"else", TOK_ELSE},
	{"end", TOK_END},
	{"if", TOK_IF},
	{"nil", TOK_NIL},
	{"range", TOK_RANGE},
	{"template", TOK_TEMPLATE},
	{"with", TOK_WITH},
};

void tlex_init(struct tlexer *lx, const char *in, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->in = in;
	lx->len = len;
	lx->line = 1;
}

void tlex_release(struct tlexer *lx)
{
	free(lx->errmsg);
	lx->errmsg = NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Go's unicode.IsLetter or IsDigit or '_'; any non-ASCII byte counts as a letter. */
static bool is_alnum(char c)
{
	unsigned char u = (unsigned char)c;

	return u == '_' || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') ||
	       (u >= 'A' && u <= 'Z') || u >= 0x80;
}

static char at(const struct tlexer *lx, size_t pos)
{
	return pos < lx->len ? lx->in[pos] : '\0';
}

static bool has_at(const struct tlexer *lx, size_t pos, const char *s)
{
	size_t n = strlen(s);

	return pos <= lx->len && lx->len - pos >= n && memcmp(lx->in + pos, s, n) == 0;
}

/* Moves to pos, counting the newlines passed. */
static void move_to(struct tlexer *lx, size_t pos)
{
	for (size_t i = lx->pos; i < pos; i++)
		if (lx->in[i] == '\n')
			lx->line++;
	lx->pos = pos;
}

static void emit(struct tlexer *lx, struct token *tok, enum tok_type type, size_t start, size_t end)
{
	int line;

	if (start > lx->pos)
		move_to(lx, start);
	line = lx->line;
	for (size_t i = start; i < lx->pos; i++)
		if (lx->in[i] == '\n')
			line--;
	tok->type = type;
	tok->pos = start;
	tok->val = lx->in + start;
	tok->len = end - start;
	tok->line = line;
	if (end > lx->pos)
		move_to(lx, end);
}

static void error_at(struct tlexer *lx, struct token *tok, const char *fmt, ...) _printf_(3, 4);
static void error_at(struct tlexer *lx, struct token *tok, const char *fmt, ...)
{
	va_list ap;

	free(lx->errmsg);
	va_start(ap, fmt);
	lx->errmsg = xvasprintf(fmt, ap);
	va_end(ap);
	lx->failed = true;
	tok->type = TOK_ERROR;
	tok->pos = lx->pos;
	tok->val = lx->errmsg;
	tok->len = strlen(lx->errmsg);
	tok->line = lx->line;
}

/* The rune at pos as Go's %#U. */
static char *rune_desc(const struct tlexer *lx, size_t pos)
{
	struct strbuf sb = STRBUF_INIT;
	uint32_t r;

	tfmt_utf8_decode(lx->in + pos, lx->len - pos, &r);
	tfmt_rune_desc(&sb, r);
	return strbuf_detach(&sb);
}

/* At "}}" or " -}}"; *trim tells the second. */
static bool at_right_delim(const struct tlexer *lx, size_t pos, bool *trim)
{
	*trim = is_space(at(lx, pos)) && at(lx, pos + 1) == '-' && has_at(lx, pos + 2, RIGHT_DELIM);
	return *trim || has_at(lx, pos, RIGHT_DELIM);
}

static size_t skip_spaces(const struct tlexer *lx, size_t pos)
{
	while (pos < lx->len && is_space(lx->in[pos]))
		pos++;
	return pos;
}

/* Past a right delimiter at pos, and past the spaces after it if trimmed. */
static size_t after_right_delim(const struct tlexer *lx, size_t pos, bool trim)
{
	pos += (trim ? 2 : 0) + strlen(RIGHT_DELIM);
	return trim ? skip_spaces(lx, pos) : pos;
}

/* A comment starting at pos; false (with tok set) on error. */
static bool lex_comment(struct tlexer *lx, struct token *tok, size_t pos)
{
	const char *end = memmem(lx->in + pos + 2, lx->len - pos - 2, "*/", 2);
	bool trim;

	if (!end) {
		error_at(lx, tok, "unclosed comment");
		return false;
	}
	pos = (size_t)(end - lx->in) + 2;
	if (!at_right_delim(lx, pos, &trim)) {
		move_to(lx, pos);
		error_at(lx, tok, "comment ends before closing delimiter");
		return false;
	}
	move_to(lx, after_right_delim(lx, pos, trim));
	return true;
}

/* Text up to the next action, then its left delimiter; comments vanish. */
static void lex_text(struct tlexer *lx, struct token *tok)
{
	for (;;) {
		const char *d = memmem(lx->in + lx->pos, lx->len - lx->pos, LEFT_DELIM, 2);
		size_t p = d ? (size_t)(d - lx->in) : lx->len, end = p, after;
		bool trim = d && at(lx, p + 2) == '-' && is_space(at(lx, p + 3));

		if (trim)
			while (end > lx->pos && is_space(lx->in[end - 1]))
				end--;
		if (end > lx->pos) {
			size_t start = lx->pos;

			emit(lx, tok, TOK_TEXT, start, end);
			move_to(lx, p);
			return;
		}
		move_to(lx, p);
		if (!d) {
			emit(lx, tok, TOK_EOF, p, p);
			return;
		}
		after = p + 2 + (trim ? 2 : 0);
		if (has_at(lx, after, "/*")) {
			if (!lex_comment(lx, tok, after))
				return;
			continue;
		}
		emit(lx, tok, TOK_LEFT_DELIM, p, p + 2);
		move_to(lx, after);
		lx->in_action = true;
		lx->parens = 0;
		return;
	}
}

static bool at_terminator(const struct tlexer *lx, size_t pos)
{
	char c = at(lx, pos);
	bool trim;

	if (pos >= lx->len || is_space(c) || strchr(".,|:()", c))
		return true;
	return at_right_delim(lx, pos, &trim);
}

/* Checks that what follows a word ends it, as Go's "bad character". */
static bool word_ends(struct tlexer *lx, struct token *tok, size_t end)
{
	_cleanup_free_ char *desc = NULL;

	if (at_terminator(lx, end))
		return true;
	move_to(lx, end);
	desc = rune_desc(lx, end);
	error_at(lx, tok, "bad character %s", desc);
	return false;
}

static size_t scan_alnum(const struct tlexer *lx, size_t pos)
{
	while (pos < lx->len && is_alnum(lx->in[pos]))
		pos++;
	return pos;
}

/* $name, $, .Name or a lone dot. */
static void lex_field_or_var(struct tlexer *lx, struct token *tok, bool var)
{
	size_t start = lx->pos, end = start + 1;

	if (at_terminator(lx, end)) {
		emit(lx, tok, var ? TOK_VARIABLE : TOK_DOT, start, end);
		return;
	}
	end = scan_alnum(lx, end);
	if (word_ends(lx, tok, end))
		emit(lx, tok, var ? TOK_VARIABLE : TOK_FIELD, start, end);
}

static void lex_identifier(struct tlexer *lx, struct token *tok)
{
	size_t start = lx->pos, end = scan_alnum(lx, start);
	enum tok_type type = TOK_IDENT;

	if (!word_ends(lx, tok, end))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (strlen(keywords[i].word) == end - start &&
		    memcmp(keywords[i].word, lx->in + start, end - start) == 0)
			type = keywords[i].type;
	if ((end - start == 4 && memcmp(lx->in + start, "true", 4) == 0) ||
	    (end - start == 5 && memcmp(lx->in + start, "false", 5) == 0))
		type = TOK_BOOL;
	emit(lx, tok, type, start, end);
}

static size_t accept(const struct tlexer *lx, size_t pos, const char *set)
{
	return pos < lx->len && lx->in[pos] && strchr(set, lx->in[pos]) ? pos + 1 : pos;
}

static size_t accept_run(const struct tlexer *lx, size_t pos, const char *set)
{
	size_t n;

	while ((n = accept(lx, pos, set)) != pos)
		pos = n;
	return pos;
}

/* Go's scanNumber: false when bad, *end then past the offending character. */
static bool scan_number(const struct tlexer *lx, size_t pos, size_t *end)
{
	const char *digits = "0123456789_", *exp = "eE";
	size_t p = accept(lx, pos, "+-"), q;

	if ((q = accept(lx, p, "0")) != p) {
		p = q;
		if ((q = accept(lx, p, "xX")) != p) {
			digits = "0123456789abcdefABCDEF_";
			exp = "pP";
		} else if ((q = accept(lx, p, "oO")) != p) {
			digits = "01234567_";
		} else if ((q = accept(lx, p, "bB")) != p) {
			digits = "01_";
		}
		p = q;
	}
	p = accept_run(lx, p, digits);
	if ((q = accept(lx, p, ".")) != p)
		p = accept_run(lx, q, digits);
	if ((strlen(digits) == 11 || strcmp(exp, "pP") == 0) && (q = accept(lx, p, exp)) != p)
		p = accept_run(lx, accept(lx, q, "+-"), "0123456789_");
	p = accept(lx, p, "i");
	*end = is_alnum(at(lx, p)) ? p + 1 : p;
	return *end == p;
}

static void lex_number(struct tlexer *lx, struct token *tok)
{
	size_t start = lx->pos, end;
	enum tok_type type = TOK_NUMBER;
	struct strbuf q = STRBUF_INIT;
	bool ok = scan_number(lx, start, &end);

	if (ok && (at(lx, end) == '+' || at(lx, end) == '-')) {
		ok = scan_number(lx, end, &end) && lx->in[end - 1] == 'i';
		type = TOK_COMPLEX;
	}
	if (!ok) {
		end = end > lx->len ? lx->len : end;
		tfmt_quote(&q, lx->in + start, end - start, '"', false);
		move_to(lx, end);
		error_at(lx, tok, "bad number syntax: %s", q.buf);
		strbuf_release(&q);
		return;
	}
	emit(lx, tok, type, start, end);
}

/* A "quoted" or 'quoted' token; escapes are checked by the parser. */
static void lex_quote(struct tlexer *lx, struct token *tok, char quote)
{
	size_t p = lx->pos + 1;

	for (;;) {
		char c = at(lx, p);

		if (p < lx->len && c == '\\' && p + 1 < lx->len && lx->in[p + 1] != '\n') {
			p += 2;
			continue;
		}
		if (p >= lx->len || c == '\n' || c == '\\') {
			move_to(lx, p);
			error_at(lx, tok, "%s",
				 quote == '"' ? "unterminated quoted string"
					      : "unterminated character constant");
			return;
		}
		if (c == quote)
			break;
		p++;
	}
	emit(lx, tok, quote == '"' ? TOK_STRING : TOK_CHAR_CONST, lx->pos, p + 1);
}

static void lex_raw_quote(struct tlexer *lx, struct token *tok)
{
	const char *end = memchr(lx->in + lx->pos + 1, '`', lx->len - lx->pos - 1);

	if (!end) {
		move_to(lx, lx->len);
		error_at(lx, tok, "unterminated raw quoted string");
		return;
	}
	emit(lx, tok, TOK_RAW_STRING, lx->pos, (size_t)(end - lx->in) + 1);
}

/* Spaces, leaving the one before "-}}" to the right delimiter; false if none left. */
static bool lex_space(struct tlexer *lx, struct token *tok)
{
	size_t end = skip_spaces(lx, lx->pos);

	if (at(lx, end) == '-' && has_at(lx, end + 1, RIGHT_DELIM))
		end--;
	if (end == lx->pos)
		return false;
	emit(lx, tok, TOK_SPACE, lx->pos, end);
	return true;
}

static void lex_punct(struct tlexer *lx, struct token *tok, char c)
{
	size_t p = lx->pos;
	_cleanup_free_ char *desc = NULL;

	if (c == ':' && at(lx, p + 1) != '=') {
		move_to(lx, p + 1);
		error_at(lx, tok, "expected :=");
	} else if (c == ')' && lx->parens == 0) {
		move_to(lx, p + 1);
		error_at(lx, tok, "unexpected right paren");
	} else if (c == ':') {
		emit(lx, tok, TOK_DECLARE, p, p + 2);
	} else if (c == '=' || c == '|' || c == '(' || c == ')') {
		lx->parens += c == '(' ? 1 : c == ')' ? -1 : 0;
		emit(lx, tok,
		     c == '='	? TOK_ASSIGN
		     : c == '|' ? TOK_PIPE
		     : c == '(' ? TOK_LPAREN
				: TOK_RPAREN,
		     p, p + 1);
	} else if (c > ' ' && c < 0x7f) {
		emit(lx, tok, TOK_CHAR, p, p + 1);
	} else {
		desc = rune_desc(lx, p);
		error_at(lx, tok, "unrecognized character in action: %s", desc);
	}
}

static void lex_action(struct tlexer *lx, struct token *tok)
{
	bool trim;
	char c;

	if (at_right_delim(lx, lx->pos, &trim)) {
		size_t start = lx->pos;

		if (lx->parens > 0) {
			error_at(lx, tok, "unclosed left paren");
			return;
		}
		emit(lx, tok, TOK_RIGHT_DELIM, start + (trim ? 2 : 0),
		     start + (trim ? 2 : 0) + strlen(RIGHT_DELIM));
		move_to(lx, after_right_delim(lx, start, trim));
		lx->in_action = false;
		return;
	}
	if (lx->pos >= lx->len) {
		error_at(lx, tok, "unclosed action");
		return;
	}
	c = lx->in[lx->pos];
	if (is_space(c)) {
		if (!lex_space(lx, tok))
			lex_action(lx, tok);
	} else if (c == '"' || c == '\'')
		lex_quote(lx, tok, c);
	else if (c == '`')
		lex_raw_quote(lx, tok);
	else if (c == '$' ||
		 (c == '.' && !(at(lx, lx->pos + 1) >= '0' && at(lx, lx->pos + 1) <= '9')))
		lex_field_or_var(lx, tok, c == '$');
	else if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9'))
		lex_number(lx, tok);
	else if (is_alnum(c))
		lex_identifier(lx, tok);
	else
		lex_punct(lx, tok, c);
}

void tlex_next(struct tlexer *lx, struct token *tok)
{
	if (lx->failed) {
		tok->type = TOK_ERROR;
		tok->pos = lx->pos;
		tok->val = lx->errmsg;
		tok->len = strlen(lx->errmsg);
		tok->line = lx->line;
		return;
	}
	if (lx->in_action)
		lex_action(lx, tok);
	else
		lex_text(lx, tok);
}
