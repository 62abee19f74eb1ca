/*
 * The public side of templates: parsing (with Docker's formatter rules for
 * --format) and freeing. template-lex.c, template-parse.c, template-exec.c,
 * template-funcs.c and template-fmt.c hold the rest.
 */
#include "util/strutil.h"
#include "util/template-int.h"

/* Docker's formatter.Context.preFormat: "table" or "json", spaces, then \t and \n. */
static char *formatter_text(const char *text, bool *table)
{
	struct strbuf sb = STRBUF_INIT;
	const char *end;

	*table = str_has_prefix(text, "table");
	if (*table)
		text += strlen("table");
	else if (strcmp(text, "json") == 0)
		text = "{{json .}}";
	while (*text == ' ')
		text++;
	end = text + strlen(text);
	while (end > text && end[-1] == ' ')
		end--;
	for (const char *c = text; c < end; c++) {
		if (c[0] == '\\' && c + 1 < end && (c[1] == 't' || c[1] == 'n')) {
			strbuf_addch(&sb, c[1] == 't' ? '\t' : '\n');
			c++;
		} else {
			strbuf_addch(&sb, *c);
		}
	}
	return strbuf_detach(&sb);
}

struct template *template_parse(const char *text, enum template_parse_flags flags,
				struct berth_error **err)
{
	struct template *t = xcalloc(1, sizeof(*t));

	if (flags & TEMPLATE_PARSE_FORMATTER)
		t->text = formatter_text(text, &t->is_table);
	else
		t->text = xstrdup(text);
	if (tparse(t, err) < 0) {
		template_free(t);
		return NULL;
	}
	return t;
}

bool template_is_table(const struct template *t)
{
	return t->is_table;
}

static void tnode_free(struct tnode *n)
{
	for (size_t i = 0; i < n->n_idents; i++)
		free(n->idents[i]);
	free(n->idents);
	free(n->kids);
	free(n->decl);
	free(n->str);
	free(n->src);
	free(n);
}

void template_free(struct template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_nodes; i++)
		tnode_free(t->nodes[i]);
	free(t->nodes);
	for (size_t i = 0; i < t->n_defs; i++)
		free(t->defs[i].name);
	free(t->defs);
	free(t->text);
	free(t);
}
