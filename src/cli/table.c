#include <stdio.h>

#include "cli/cli.h"
#include "util/strutil.h"
#include "util/timeutil.h"

#define TABLE_MINWIDTH 10
#define TABLE_PADDING  3

struct table {
	int columns;
	size_t rows;
	char **cells; /* rows * columns */
};

struct table *table_new(int columns)
{
	struct table *t = xcalloc(1, sizeof(*t));
	t->columns = columns;
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	t->cells = xrealloc(t->cells, (t->rows + 1) * t->columns * sizeof(char *));
	for (int c = 0; c < t->columns; c++)
		t->cells[t->rows * t->columns + c] = xstrdup(cells[c] ? cells[c] : "");
	t->rows++;
}

/* Display width: UTF-8 code points, as Go's tabwriter counts runes. */
static size_t text_width(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Docker's tabwriter: each column but the last is as wide as its widest cell plus padding. */
void table_print(struct table *t)
{
	size_t *width = xcalloc(t->columns, sizeof(size_t));

	for (size_t r = 0; r < t->rows; r++)
		for (int c = 0; c < t->columns; c++) {
			size_t w = text_width(t->cells[r * t->columns + c]) + TABLE_PADDING;
			if (w > width[c])
				width[c] = w < TABLE_MINWIDTH ? TABLE_MINWIDTH : w;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (int c = 0; c < t->columns; c++) {
			const char *cell = t->cells[r * t->columns + c];
			fputs(cell, stdout);
			for (size_t w = text_width(cell); c < t->columns - 1 && w < width[c]; w++)
				putchar(' ');
		}
		putchar('\n');
	}
	free(width);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->columns; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

char *cli_since(int64_t ns, const char *suffix)
{
	char buf[64];

	format_human_duration((time_now_ns() - ns) / 1000000000LL, buf, sizeof(buf));
	return xasprintf("%s%s", buf, suffix);
}
