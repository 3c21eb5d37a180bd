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

static void print_row(const struct table *t, const char *const *row,
		      const size_t *width)
{
	unsigned int c;

	for (c = 0; c < t->ncols; c++) {
		bool last = c == t->ncols - 1;
		int w = (int)width[c];

		if (c)
			fputs("  ", stdout);
		if (t->align[c] == 'r')
			printf("%*s", w, row[c]);
		else if (last)
			/* No trailing blanks. */
			fputs(row[c], stdout);
		else
			printf("%-*s", w, row[c]);
	}
	putchar('\n');
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
	for (c = 0; c < t->ncols; c++)
		width[c] = strlen(t->heads[c]);
	for (i = 0; i < t->nr; i++) {
		size_t n = strlen(t->cells[i]);

		if (n > width[i % t->ncols])
			width[i % t->ncols] = n;
	}
	print_row(t, t->heads, width);
	for (i = 0; i < t->nr; i += t->ncols)
		print_row(t, (const char *const *)t->cells + i, width);
	table_free(t);
	return EVCTL_OK;
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
