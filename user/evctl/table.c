// SPDX-License-Identifier: GPL-2.0
/*
 * Aligned columns; see table.h.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evctl.h"
#include "table.h"

void table_init(struct table *t, const char *const *heads,
		const char *align)
{
	memset(t, 0, sizeof(*t));
	t->heads = heads;
	t->align = align;
	t->out = stdout;
	while (heads[t->ncols])
		t->ncols++;
}

void table_cell(struct table *t, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (t->oom)
		return;
	if (t->nr == t->size) {
		size_t size = t->size ? 2 * t->size : 64;
		char **cells = realloc(t->cells, size * sizeof(*cells));

		if (!cells) {
			t->oom = true;
			return;
		}
		t->cells = cells;
		t->size = size;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		t->oom = true;
		s = NULL;
	}
	va_end(ap);
	if (s)
		t->cells[t->nr++] = s;
}

/*
 * Columns as the terminal shows them: UTF-8 continuation bytes take no
 * room ("µs" is two columns, three bytes), so printf's byte-counting
 * padding would not do.
 */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void print_row(const struct table *t, const char *const *row,
		      const size_t *width)
{
	unsigned int c, ncols = t->ncols;

	/* No trailing blanks: empty cells at the end are left out. */
	while (ncols > 1 && !*row[ncols - 1])
		ncols--;
	for (c = 0; c < ncols; c++) {
		bool last = c == ncols - 1;
		size_t blank = width[c] - text_width(row[c]);

		if (c)
			fputs("  ", t->out);
		if (t->align[c] == 'r')
			pad(t->out, blank);
		fputs(row[c], t->out);
		if (t->align[c] != 'r' && !last)
			pad(t->out, blank);
	}
	fputc('\n', t->out);
}

int table_print(struct table *t)
{
	size_t width[16] = { 0 };
	unsigned int c;
	size_t i;

	if (t->ncols > 16 || t->nr % t->ncols) {
		table_free(t);
		return evctl_err("internal error: bad table");
	}
	if (t->oom) {
		table_free(t);
		return evctl_err("out of memory");
	}
	if (!t->nr) {
		table_free(t);
		return EVCTL_OK;
	}
	for (c = 0; c < t->ncols && !t->no_heads; c++)
		width[c] = text_width(t->heads[c]);
	for (i = 0; i < t->nr; i++) {
		size_t n = text_width(t->cells[i]);

		if (n > width[i % t->ncols])
			width[i % t->ncols] = n;
	}
	if (!t->no_heads)
		print_row(t, t->heads, width);
	for (i = 0; i < t->nr; i += t->ncols)
		print_row(t, (const char *const *)t->cells + i, width);
	table_free(t);
	return EVCTL_OK;
}

int table_print_body(struct table *t)
{
	t->no_heads = true;
	return table_print(t);
}

void table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nr; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nr = 0;
	t->size = 0;
}
