/* --format of list commands (ps, images): Docker's formatter over JSON rows. */
#include <stdio.h>

#include "cli/cli.h"
#include "util/strbuf.h"
#include "util/strutil.h"
#include "util/template.h"

#define TAB_MINWIDTH 10
#define TAB_PADDING  3

/* Display width: UTF-8 code points, as Go's tabwriter counts runes. */
static size_t text_width(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

/*
 * Go's tabwriter as Docker sets it up (minwidth 10, padding 3): cells end at
 * tabs; every cell but a line's last is padded to its column's widest cell.
 */
void cli_tabwrite(const char *text)
{
	size_t widths[64] = {0};
	const char *p;

	for (p = text; *p;) {
		size_t len = strcspn(p, "\n"), col = 0;
		for (const char *c = p; c < p + len && col < ARRAY_SIZE(widths); col++) {
			size_t n = strcspn(c, "\t\n");
			if (c + n < p + len) { /* not the line's last cell */
				size_t w = text_width(c, n) + TAB_PADDING;
				if (w < TAB_MINWIDTH)
					w = TAB_MINWIDTH;
				if (w > widths[col])
					widths[col] = w;
			}
			c += n + 1;
		}
		p += len + (p[len] == '\n');
	}
	for (p = text; *p;) {
		size_t len = strcspn(p, "\n"), col = 0;
		for (const char *c = p; c <= p + len; col++) {
			size_t n = strcspn(c, "\t\n");
			fwrite(c, 1, n, stdout);
			if (c + n >= p + len)
				break;
			for (size_t w = text_width(c, n);
			     col < ARRAY_SIZE(widths) && w < widths[col]; w++)
				putchar(' ');
			c += n + 1;
		}
		putchar('\n');
		p += len + (p[len] == '\n');
	}
}

int cli_format_rows(const char *format, json_t *const *rows, size_t n, const json_t *headers,
		    template_method_fn *method, void *userdata, struct berth_error **err)
{
	_cleanup_(template_freep) struct template *t =
		template_parse(format, TEMPLATE_PARSE_FORMATTER, err);
	struct template_exec_opts opts = {.method = method, .userdata = userdata};
	struct strbuf out = STRBUF_INIT;
	int r = -1;

	if (!t)
		return -1;
	if (template_is_table(t)) {
		struct template_exec_opts hopts = {.flags = TEMPLATE_EXEC_HEADER};
		if (template_execute_opts(t, headers, &hopts, &out, err) < 0)
			goto out;
		strbuf_addch(&out, '\n');
	}
	for (size_t i = 0; i < n; i++) {
		if (template_execute_opts(t, rows[i], &opts, &out, err) < 0)
			goto out;
		strbuf_addch(&out, '\n');
	}
	if (template_is_table(t)) {
		if (out.len)
			out.buf[--out.len] = '\0';
		cli_tabwrite(out.buf ? out.buf : "");
	} else {
		fputs(out.buf ? out.buf : "", stdout);
	}
	r = 0;
out:
	strbuf_release(&out);
	return r;
}
