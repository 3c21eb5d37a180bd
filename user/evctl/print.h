/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One printing path for text and JSON, in the manner of iproute2's
 * json_print: an object is described once, by calls that each say what
 * the value is, its JSON key and how text shows it; -j/-p decide which of
 * the two comes out.
 *
 *	print_start(ctx);
 *	print_open_array(NULL);
 *	print_table_start(heads, "rl");		// text: aligned columns
 *	print_open_object(NULL);
 *	print_u64(PRINT_ANY, "topic", "%s", 7);
 *	print_string(PRINT_ANY, "prio", "%s", "realtime");
 *	print_close_object();
 *	ret = print_table_end();
 *	print_close_array();
 *	ret = print_end() ?: ret;
 *
 * Each value call takes:
 *   @type	PRINT_ANY for both outputs, PRINT_JSON or PRINT_TEXT for one;
 *   @key	its JSON key; NULL inside an array.  Also the key of the
 *		"key value" words (below);
 *   @fmt	how text shows it: a printf format with exactly one %s
 *		(flags and width allowed, %% too), which gets the value as
 *		text; NULL shows nothing in text.  Anything else is misuse.
 *
 * Text goes one of three ways:
 *   plain	@fmt is printed as it comes (the default);
 *   table	between print_table_start() and print_table_end(), each
 *		@fmt is the next cell of an aligned table (table.h), which is
 *		printed at the end, as wide as its widest cell;
 *   words	between print_words_start() and print_words_end(), each
 *		PRINT_ANY value with a key is " KEY VALUE": the key with '-'
 *		for '_', the value raw (sizes and times as plain numbers, an
 *		address as ADDR:PORT), in double quotes with \" \\ and \xNN
 *		escapes when it holds a blank, a quote, a backslash or a
 *		control character; a null is left out.  @fmt is not used.
 *
 * JSON containers have no text of their own.  Sizes, times and
 * addresses have their human form in text and raw numbers in JSON, so
 * that what a script reads never depends on rounding.
 *
 * Misuse (a bad format, a table left open, unbalanced JSON) does not
 * abort: print_end() reports it, so that every command's test catches it.
 */
#ifndef _EVCTL_PRINT_H
#define _EVCTL_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct evctl;
struct evs_addr;

enum print_type {
	PRINT_ANY,	/* JSON and text */
	PRINT_JSON,	/* JSON only */
	PRINT_TEXT,	/* text only */
};

/* A new document on stdout, JSON if -j or -p asked for it. */
void print_start(const struct evctl *ctx);
/* The same on @f, for tests. */
void print_start_file(FILE *f, bool json, bool pretty);
/*
 * Ends the document (JSON: its newline).  Returns the exit status:
 * EVCTL_ERR, with a message, when the layer was misused.
 */
int print_end(void);
/* Whether this document is JSON. */
bool print_is_json(void);

/* JSON containers; @key NULL inside an array or at the top. */
void print_open_object(const char *key);
void print_close_object(void);
void print_open_array(const char *key);
void print_close_array(void);

/*
 * Text: aligned columns under @heads (NULL-terminated; @align a 'l' or
 * 'r' per column), or, with _body, the same without the headings.
 * Nothing in JSON.  print_table_end() prints the table (nothing if it
 * has no rows) and returns the exit status.
 */
void print_table_start(const char *const *heads, const char *align);
void print_table_body_start(const char *const *heads, const char *align);
/* An empty row: a blank line that keeps the columns' widths. */
void print_table_gap(void);
int print_table_end(void);

/* Text: "key value" words; see above. */
void print_words_start(void);
void print_words_end(void);

/* Text only, plain: printf(3).  Misuse inside a table. */
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void print_u64(enum print_type type, const char *key, const char *fmt,
	       uint64_t v);
void print_string(enum print_type type, const char *key, const char *fmt,
		  const char *s);
/* Text: "yes" or "no". */
void print_bool(enum print_type type, const char *key, const char *fmt,
		bool v);
/* Text: "-"; words leave it out. */
void print_null(enum print_type type, const char *key, const char *fmt);
/* @v / 10^@scale with exactly @scale decimals, in JSON and text alike. */
void print_decimal(enum print_type type, const char *key, const char *fmt,
		   uint64_t v, unsigned int scale);
/* Lowercase hex digits, two per byte, in a JSON string and in text. */
void print_hex(enum print_type type, const char *key, const char *fmt,
	       const void *data, size_t len);
/* Bytes: text "4.0 KiB" (units.h); JSON and words the number. */
void print_size(enum print_type type, const char *key, const char *fmt,
		uint64_t bytes);
/* Milliseconds: text "2m05s"; JSON and words the number. */
void print_ms(enum print_type type, const char *key, const char *fmt,
	      uint64_t ms);
/*
 * An address: JSON "family" ("inet" or "inet6"), "PREFIX_addr" and
 * "PREFIX_port"; text ADDR:PORT ([ADDR]:PORT for IPv6), with @prefix as
 * the key of its word.
 */
void print_addr(enum print_type type, const char *prefix, const char *fmt,
		const struct evs_addr *a);

#endif /* _EVCTL_PRINT_H */
