/*
 * Private to the template files: the lexer, the parse tree, the builtin
 * functions and the Go-style value formatting they share.
 */
#ifndef BERTH_UTIL_TEMPLATE_INT_H
#define BERTH_UTIL_TEMPLATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/strbuf.h"
#include "util/template.h"

/* How deep parentheses and control structures nest, at parse and at execution. */
#define TEMPLATE_MAX_DEPTH 1000

/* ---- lexer (template-lex.c) ---- */

enum tok_type {
	TOK_ERROR,
	TOK_EOF,
	TOK_TEXT,
	TOK_LEFT_DELIM,
	TOK_RIGHT_DELIM,
	TOK_SPACE,
	TOK_FIELD,    /* .Name */
	TOK_VARIABLE, /* $name or $ */
	TOK_IDENT,
	TOK_DOT,
	TOK_STRING,
	TOK_RAW_STRING,
	TOK_CHAR_CONST,
	TOK_NUMBER,
	TOK_COMPLEX,
	TOK_BOOL,
	TOK_PIPE,
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_DECLARE, /* := */
	TOK_ASSIGN,  /* = */
	TOK_CHAR,    /* any other printable ASCII character, such as ',' */
	TOK_KEYWORD, /* keywords follow */
	TOK_BLOCK,
	TOK_BREAK,
	TOK_CONTINUE,
	TOK_DEFINE,
	TOK_ELSE,
	TOK_END,
	TOK_IF,
	TOK_NIL,
	TOK_RANGE,
	TOK_TEMPLATE,
	TOK_WITH,
};

struct token {
	enum tok_type type;
	size_t pos;	 /* byte offset in the text */
	const char *val; /* into the text, or the lexer's error message */
	size_t len;
	int line;
};

struct tlexer {
	const char *in;
	size_t len, pos;
	int line; /* of pos */
	bool in_action, failed;
	int parens;
	char *errmsg;
};

void tlex_init(struct tlexer *lx, const char *in, size_t len);
void tlex_next(struct tlexer *lx, struct token *tok);
void tlex_release(struct tlexer *lx);

/* ---- parse tree (template-parse.c) ---- */

enum tnode_type {
	TN_LIST,
	TN_TEXT,
	TN_ACTION,
	TN_IF,
	TN_RANGE,
	TN_WITH,
	TN_BREAK,
	TN_CONTINUE,
	TN_TEMPLATE,
	TN_PIPE,
	TN_COMMAND,
	TN_FIELD,
	TN_VARIABLE,
	TN_CHAIN,
	TN_IDENT,
	TN_DOT,
	TN_NIL,
	TN_BOOL,
	TN_NUMBER,
	TN_STRING,
	TN_END,	 /* parser-internal: {{end}} */
	TN_ELSE, /* parser-internal: {{else}} */
};

struct tnode {
	enum tnode_type type;
	size_t pos;
	/* TEXT, STRING: the bytes; IDENT: the name; TEMPLATE: the template's name */
	char *str;
	size_t len;
	/* NUMBER, STRING: as written */
	char *src;
	/* FIELD: the names without dots; VARIABLE: "$x" then fields; CHAIN: the fields */
	char **idents;
	size_t n_idents;
	/* LIST: the nodes; PIPE: the commands; COMMAND: the arguments */
	struct tnode **kids;
	size_t n_kids;
	/* PIPE: the variables declared (or assigned, is_assign) */
	struct tnode **decl;
	size_t n_decl;
	bool is_assign;
	/* ACTION, IF, RANGE, WITH, TEMPLATE (NULL if none): the pipeline; CHAIN: the operand */
	struct tnode *pipe;
	struct tnode *list, *else_list;
	/* BOOL */
	bool b;
	/* NUMBER: what the constant can be */
	bool is_int, is_uint, is_float;
	long long i;
	double f;
};

struct tdef {
	char *name;
	struct tnode *root;
};

struct template
{
	char *text;
	struct tnode *root;
	struct tdef *defs;
	size_t n_defs;
	struct tnode **nodes; /* every node, freed together */
	size_t n_nodes, alloc_nodes;
	bool is_table;
};

/* Parses t->text into t->root and t->defs. */
int tparse(struct template *t, struct berth_error **err);
/* Appends Go's String() of n (the context of execution errors). */
void tnode_string(const struct tnode *n, struct strbuf *sb);
const struct tnode *tdef_lookup(const struct template *t, const char *name);

/* ---- functions (template-funcs.c) ---- */

struct tcall {
	const char *name;
	json_t **argv; /* NULL for Go's untyped nil (no value) */
	size_t argc;
	size_t limit; /* on the size of a result, 0 for none */
	char *msg;    /* the error, on failure */
};

struct tfunc {
	const char *name;
	/*
	 * One letter per parameter: 'a' any value, 's' string, 'i' integer,
	 * 'l' array of strings; a final '*' repeats the letter before it.
	 */
	const char *sig;
	int (*fn)(struct tcall *c, json_t **res);
};

bool tfunc_exists(const char *name);
/* In header mode, Docker's functions that would change a column title return it. */
const struct tfunc *tfunc_lookup(const char *name, bool header);
bool tvalue_truth(const json_t *v);
/* Sets c->msg; returns -1. */
int tcall_fail(struct tcall *c, const char *fmt, ...) _printf_(2, 3);

/* ---- Go's fmt and encoding/json for values (template-fmt.c) ---- */

/* Go's type name of a value as Docker's raw inspect data has it. */
const char *tfmt_type_name(const json_t *v);
/* fmt's %v; NULL prints "<nil>". */
void tfmt_value(struct strbuf *sb, const json_t *v);
/* fmt.Sprint (ln false) or fmt.Sprintln. */
void tfmt_sprint(struct strbuf *sb, json_t *const *args, size_t n, bool ln);
/* fmt.Sprintf with the verbs of the header; -1 once sb grows past limit (0: none). */
int tfmt_printf(struct strbuf *sb, const char *fmt, size_t len, json_t *const *args, size_t n,
		size_t limit);
/* strconv.Quote (ascii: QuoteToASCII) with quote '"', or QuoteRune with '\''. */
void tfmt_quote(struct strbuf *sb, const char *s, size_t len, char quote, bool ascii);
/* encoding/json without HTML escaping, as Docker's json function. */
void tfmt_json(struct strbuf *sb, const json_t *v);
/* Decodes one UTF-8 rune; invalid input gives U+FFFD and length 1. */
size_t tfmt_utf8_decode(const char *s, size_t len, uint32_t *r);
void tfmt_utf8_encode(struct strbuf *sb, uint32_t r);
size_t tfmt_rune_count(const char *s, size_t len);
/* unicode.IsPrint, roughly. */
bool tfmt_is_print(uint32_t r);
/* Go's %#U ("U+0023 '#'"). */
void tfmt_rune_desc(struct strbuf *sb, uint32_t r);

#endif
