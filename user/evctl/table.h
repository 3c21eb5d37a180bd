/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Aligned columns for human output: collect the cells, then print them
 * with each column as wide as its widest cell.
 *
 *	static const char *const heads[] = { "TOPIC", "PRIO", NULL };
 *	struct table t;
 *
 *	table_init(&t, heads, "rl");
 *	table_cell(&t, "%u", topic);
 *	table_cell(&t, "%s", name);
 *	ret = table_print(&t);	// frees it too
 */
#ifndef _EVCTL_TABLE_H
#define _EVCTL_TABLE_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

struct table {
	const char *const *heads;	/* NULL-terminated */
	const char *align;		/* per column: 'l' or 'r' */
	unsigned int ncols;
	char **cells;			/* row after row */
	size_t nr, size;
	bool oom;
	bool no_heads;			/* table_print_body() */
	FILE *out;			/* stdout unless changed */
};

/* @align has one character per heading: 'l' left, 'r' right. */
void table_init(struct table *t, const char *const *heads,
		const char *align);

/* The next cell, row after row. */
void table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Prints the headings and the rows on t->out (nothing at all when there
 * are no rows), two spaces between columns, and frees the table.  Returns
 * the exit status: EVCTL_ERR when memory ran out on the way.
 */
int table_print(struct table *t);

/* The same without the headings: aligned "key value" lines. */
int table_print_body(struct table *t);

void table_free(struct table *t);

#endif /* _EVCTL_TABLE_H */
