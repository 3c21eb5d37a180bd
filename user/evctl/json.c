// SPDX-License-Identifier: GPL-2.0
/*
 * Tiny streaming JSON writer; see json.h.
 */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void json_init(struct json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

static void newline_indent(struct json *j, unsigned int depth)
{
	unsigned int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < depth; i++)
		fputs("  ", j->f);
}

/*
 * Everything that starts a value or a key comes through here: it writes
 * the separator and indentation and checks that the value is allowed.
 */
static void begin_item(struct json *j, bool is_key)
{
	if (j->after_key) {
		/* The value of a key: already placed by json_key(). */
		if (is_key)
			j->misuse = true;
		j->after_key = false;
		return;
	}
	if (!j->depth) {
		if (j->have_root || is_key)
			j->misuse = true;
		j->have_root = true;
		return;
	}
	/* Inside an object only keys start items; inside an array, values. */
	if (is_key != (j->close[j->depth - 1] == '}'))
		j->misuse = true;
	if (!j->empty[j->depth - 1])
		fputc(',', j->f);
	j->empty[j->depth - 1] = false;
	newline_indent(j, j->depth);
}

static void container_start(struct json *j, char open, char close)
{
	begin_item(j, false);
	if (j->depth == JSON_MAX_DEPTH) {
		j->misuse = true;
		return;
	}
	fputc(open, j->f);
	j->close[j->depth] = close;
	j->empty[j->depth] = true;
	j->depth++;
}

static void container_end(struct json *j, char close)
{
	if (!j->depth || j->close[j->depth - 1] != close || j->after_key) {
		j->misuse = true;
		return;
	}
	j->depth--;
	if (!j->empty[j->depth])
		newline_indent(j, j->depth);
	fputc(close, j->f);
}

void json_object_start(struct json *j)
{
	container_start(j, '{', '}');
}

void json_object_end(struct json *j)
{
	container_end(j, '}');
}

void json_array_start(struct json *j)
{
	container_start(j, '[', ']');
}

void json_array_end(struct json *j)
{
	container_end(j, ']');
}

/*
 * Length of the valid UTF-8 sequence at @s (1 to 4), or 0 when it is not
 * one: overlong forms, surrogates and code points above U+10FFFF are
 * invalid in JSON text as well.
 */
size_t json_utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;

	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	/* A NUL terminator fails this test, so we never read past it. */
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

static void put_string(struct json *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', j->f);
	while (*s) {
		size_t n;

		switch (*s) {
		case '"':
			fputs("\\\"", j->f);
			break;
		case '\\':
			fputs("\\\\", j->f);
			break;
		case '\b':
			fputs("\\b", j->f);
			break;
		case '\f':
			fputs("\\f", j->f);
			break;
		case '\n':
			fputs("\\n", j->f);
			break;
		case '\r':
			fputs("\\r", j->f);
			break;
		case '\t':
			fputs("\\t", j->f);
			break;
		default:
			if (*s < 0x20) {
				fprintf(j->f, "\\u%04x", *s);
				break;
			}
			n = json_utf8_len(s);
			if (!n) {
				/* Stray byte: keep the output valid JSON. */
				fputs("\\ufffd", j->f);
				break;
			}
			fwrite(s, 1, n, j->f);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', j->f);
}

void json_key(struct json *j, const char *key)
{
	begin_item(j, true);
	put_string(j, key);
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	begin_item(j, false);
	put_string(j, s);
}

void json_u64(struct json *j, uint64_t v)
{
	begin_item(j, false);
	fprintf(j->f, "%" PRIu64, v);
}

void json_s64(struct json *j, int64_t v)
{
	begin_item(j, false);
	fprintf(j->f, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	begin_item(j, false);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	begin_item(j, false);
	fputs("null", j->f);
}

void json_hex(struct json *j, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	begin_item(j, false);
	fputc('"', j->f);
	for (i = 0; i < len; i++) {
		fputc(digits[p[i] >> 4], j->f);
		fputc(digits[p[i] & 0xf], j->f);
	}
	fputc('"', j->f);
}

void json_decimal(struct json *j, uint64_t v, unsigned int scale)
{
	uint64_t div = 1;
	unsigned int i;

	begin_item(j, false);
	if (scale > 18) {
		j->misuse = true;
		scale = 18;
	}
	for (i = 0; i < scale; i++)
		div *= 10;
	if (scale)
		fprintf(j->f, "%" PRIu64 ".%0*" PRIu64, v / div, (int)scale,
			v % div);
	else
		fprintf(j->f, "%" PRIu64, v);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_kv_s64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_s64(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void json_kv_hex(struct json *j, const char *key, const void *data,
		 size_t len)
{
	json_key(j, key);
	json_hex(j, data, len);
}

void json_kv_decimal(struct json *j, const char *key, uint64_t v,
		     unsigned int scale)
{
	json_key(j, key);
	json_decimal(j, v, scale);
}

int json_finish(struct json *j)
{
	if (j->depth || j->after_key || !j->have_root)
		j->misuse = true;
	fputc('\n', j->f);
	return j->misuse ? -1 : 0;
}
