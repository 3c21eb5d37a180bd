// SPDX-License-Identifier: GPL-2.0
/*
 * One printing path for text and JSON; see print.h.
 *
 * The state is one document's, global as iproute2's is: evctl prints one
 * document at a time, and the calls stay short enough to read as the
 * description of the object they print.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evctl.h"
#include "json.h"
#include "print.h"
#include "table.h"
#include "units.h"

enum text_mode { TEXT_PLAIN, TEXT_TABLE, TEXT_WORDS };

static struct {
	FILE *f;
	bool json;
	struct json j;
	enum text_mode mode;
	struct table t;
	bool misuse;
} p = { .f = NULL };

void print_start_file(FILE *f, bool json, bool pretty)
{
	if (p.mode == TEXT_TABLE)
		table_free(&p.t);
	memset(&p, 0, sizeof(p));
	p.f = f;
	p.json = json;
	if (json)
		json_init(&p.j, f, pretty);
}

void print_start(const struct evctl *ctx)
{
	print_start_file(stdout, ctx->json, ctx->pretty);
}

bool print_is_json(void)
{
	return p.json;
}

int print_end(void)
{
	if (p.mode != TEXT_PLAIN) {
		p.misuse = true;
		if (p.mode == TEXT_TABLE)
			table_free(&p.t);
		p.mode = TEXT_PLAIN;
	}
	if (p.json && json_finish(&p.j))
		p.misuse = true;
	if (p.misuse)
		return evctl_err("internal error: malformed %s output",
				 p.json ? "JSON" : "text");
	return EVCTL_OK;
}

void print_open_object(const char *key)
{
	if (!p.json)
		return;
	if (key)
		json_key(&p.j, key);
	json_object_start(&p.j);
}

void print_close_object(void)
{
	if (p.json)
		json_object_end(&p.j);
}

void print_open_array(const char *key)
{
	if (!p.json)
		return;
	if (key)
		json_key(&p.j, key);
	json_array_start(&p.j);
}

void print_close_array(void)
{
	if (p.json)
		json_array_end(&p.j);
}

static void table_start(const char *const *heads, const char *align,
			bool body)
{
	if (p.json)
		return;
	if (p.mode != TEXT_PLAIN) {
		p.misuse = true;
		return;
	}
	table_init(&p.t, heads, align);
	p.t.out = p.f;
	p.t.no_heads = body;
	p.mode = TEXT_TABLE;
}

void print_table_start(const char *const *heads, const char *align)
{
	table_start(heads, align, false);
}

void print_table_body_start(const char *const *heads, const char *align)
{
	table_start(heads, align, true);
}

void print_table_gap(void)
{
	unsigned int c;

	if (p.json)
		return;
	if (p.mode != TEXT_TABLE) {
		p.misuse = true;
		return;
	}
	for (c = 0; c < p.t.ncols; c++)
		table_cell(&p.t, "%s", "");
}

int print_table_end(void)
{
	if (p.json)
		return EVCTL_OK;
	if (p.mode != TEXT_TABLE) {
		p.misuse = true;
		return EVCTL_OK;
	}
	p.mode = TEXT_PLAIN;
	return table_print(&p.t);
}

void print_words_start(void)
{
	if (p.json)
		return;
	if (p.mode != TEXT_PLAIN)
		p.misuse = true;
	else
		p.mode = TEXT_WORDS;
}

void print_words_end(void)
{
	if (p.json)
		return;
	if (p.mode != TEXT_WORDS)
		p.misuse = true;
	else
		p.mode = TEXT_PLAIN;
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (p.json)
		return;
	if (p.mode == TEXT_TABLE) {
		p.misuse = true;
		return;
	}
	va_start(ap, fmt);
	vfprintf(p.f, fmt, ap);
	va_end(ap);
}

/*
 * Whether @fmt has exactly one conversion and it is an s, with nothing
 * but flags and a width before it: what every text format gets is a
 * string, and anything else would read an argument that is not there.
 */
static bool fmt_ok(const char *fmt)
{
	unsigned int n = 0;

	for (; *fmt; fmt++) {
		if (*fmt != '%')
			continue;
		if (fmt[1] == '%') {
			fmt++;
			continue;
		}
		fmt++;
		fmt += strspn(fmt, "-0123456789");
		if (*fmt != 's')
			return false;
		n++;
	}
	return n == 1;
}

static void put_word_value(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	bool quote = !*s;

	for (; *c; c++)
		if (*c <= ' ' || *c == '"' || *c == '\\' || *c == 0x7f)
			quote = true;
	if (!quote) {
		fputs(s, p.f);
		return;
	}
	fputc('"', p.f);
	for (c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(p.f, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(p.f, "\\x%02x", *c);
		else
			fputc(*c, p.f);
	}
	fputc('"', p.f);
}

/*
 * The text side of a value: @human in plain text and tables, @raw as a
 * word.  Either may be NULL when the caller knows the mode does not
 * need it.
 */
static void text_value(enum print_type type, const char *key,
		       const char *fmt, const char *human, const char *raw)
{
	const char *k;

	if (p.json || type == PRINT_JSON)
		return;
	if (p.mode == TEXT_WORDS) {
		if (type != PRINT_ANY || !key || !raw)
			return;
		fputc(' ', p.f);
		for (k = key; *k; k++)
			fputc(*k == '_' ? '-' : *k, p.f);
		fputc(' ', p.f);
		put_word_value(raw);
		return;
	}
	if (!fmt)
		return;
	if (!fmt_ok(fmt)) {
		p.misuse = true;
		return;
	}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (p.mode == TEXT_TABLE)
		table_cell(&p.t, fmt, human);
	else
		fprintf(p.f, fmt, human);
#pragma GCC diagnostic pop
}

/* The JSON side: whether this value goes there, its key written. */
static bool json_value(enum print_type type, const char *key)
{
	if (!p.json || type == PRINT_TEXT)
		return false;
	if (key)
		json_key(&p.j, key);
	return true;
}

void print_u64(enum print_type type, const char *key, const char *fmt,
	       uint64_t v)
{
	char buf[24];

	if (json_value(type, key)) {
		json_u64(&p.j, v);
		return;
	}
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	text_value(type, key, fmt, buf, buf);
}

void print_string(enum print_type type, const char *key, const char *fmt,
		  const char *s)
{
	if (json_value(type, key))
		json_string(&p.j, s);
	else
		text_value(type, key, fmt, s, s);
}

void print_bool(enum print_type type, const char *key, const char *fmt,
		bool v)
{
	if (json_value(type, key))
		json_bool(&p.j, v);
	else
		text_value(type, key, fmt, v ? "yes" : "no", v ? "yes" : "no");
}

void print_null(enum print_type type, const char *key, const char *fmt)
{
	if (json_value(type, key))
		json_null(&p.j);
	else
		text_value(type, key, fmt, "-", NULL);
}

void print_decimal(enum print_type type, const char *key, const char *fmt,
		   uint64_t v, unsigned int scale)
{
	char buf[48];
	uint64_t div = 1;
	unsigned int i;

	if (json_value(type, key)) {
		json_decimal(&p.j, v, scale);
		return;
	}
	if (scale > 18) {
		p.misuse = true;
		return;
	}
	for (i = 0; i < scale; i++)
		div *= 10;
	if (scale)
		snprintf(buf, sizeof(buf), "%" PRIu64 ".%0*" PRIu64, v / div,
			 (int)scale, v % div);
	else
		snprintf(buf, sizeof(buf), "%" PRIu64, v);
	text_value(type, key, fmt, buf, buf);
}

void print_hex(enum print_type type, const char *key, const char *fmt,
	       const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *d = data;
	char *buf;
	size_t i;

	if (json_value(type, key)) {
		json_hex(&p.j, data, len);
		return;
	}
	if (p.json || type == PRINT_JSON)
		return;
	buf = malloc(2 * len + 1);
	if (!buf) {
		p.misuse = true;
		return;
	}
	for (i = 0; i < len; i++) {
		buf[2 * i] = digits[d[i] >> 4];
		buf[2 * i + 1] = digits[d[i] & 0xf];
	}
	buf[2 * len] = '\0';
	text_value(type, key, fmt, buf, buf);
	free(buf);
}

void print_size(enum print_type type, const char *key, const char *fmt,
		uint64_t bytes)
{
	char raw[24], human[EVCTL_UNIT_LEN];

	if (json_value(type, key)) {
		json_u64(&p.j, bytes);
		return;
	}
	snprintf(raw, sizeof(raw), "%" PRIu64, bytes);
	text_value(type, key, fmt,
		   evctl_fmt_bytes((double)bytes, human, sizeof(human)), raw);
}

void print_ms(enum print_type type, const char *key, const char *fmt,
	      uint64_t ms)
{
	char raw[24], human[EVCTL_UNIT_LEN];

	if (json_value(type, key)) {
		json_u64(&p.j, ms);
		return;
	}
	snprintf(raw, sizeof(raw), "%" PRIu64, ms);
	text_value(type, key, fmt, evctl_fmt_ms(ms, human, sizeof(human)),
		   raw);
}

void print_addr(enum print_type type, const char *prefix, const char *fmt,
		const struct evs_addr *a)
{
	char key[32], buf[EVS_ADDR_STRLEN];

	if (p.json && type != PRINT_TEXT) {
		json_kv_string(&p.j, "family", evs_addr_family_name(a));
		snprintf(key, sizeof(key), "%s_addr", prefix);
		json_kv_string(&p.j, key, evs_addr_ntop(a, buf, sizeof(buf)));
		snprintf(key, sizeof(key), "%s_port", prefix);
		json_kv_u64(&p.j, key, a->port);
		return;
	}
	evs_addr_format(a, buf, sizeof(buf));
	text_value(type, prefix, fmt, buf, buf);
}
