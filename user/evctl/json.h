/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny streaming JSON writer: no allocation, strings escaped and made
 * valid UTF-8, compact or pretty (two-space indent) output.
 *
 *	struct json j;
 *
 *	json_init(&j, stdout, pretty);
 *	json_object_start(&j);
 *	json_kv_string(&j, "version", "0.1.0");
 *	json_object_end(&j);
 *	if (json_finish(&j))
 *		... misuse (unbalanced, value without key) ...
 *
 * Misuse does not abort: it is remembered and reported by json_finish(),
 * so that tests can check for it.
 */
#ifndef _EVCTL_JSON_H
#define _EVCTL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	32

struct json {
	FILE *f;
	bool pretty;
	bool after_key;		/* a key is out, its value comes next */
	bool misuse;
	bool have_root;		/* the one top-level value has begun */
	unsigned int depth;
	/* Per open container: its closing bracket and whether it is empty. */
	char close[JSON_MAX_DEPTH];
	bool empty[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f, bool pretty);

void json_object_start(struct json *j);
void json_object_end(struct json *j);
void json_array_start(struct json *j);
void json_array_end(struct json *j);

/* The key of the next value; only inside an object. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_s64(struct json *j, int64_t v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* A string of @len bytes as lowercase hex digits, two per byte. */
void json_hex(struct json *j, const void *data, size_t len);
/*
 * A fixed-point number: @v / 10^@scale with exactly @scale decimals
 * (json_decimal(j, 1500, 3) writes 1.500).  @scale is at most 18.
 */
void json_decimal(struct json *j, uint64_t v, unsigned int scale);

/* Key and value in one go. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_s64(struct json *j, const char *key, int64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_hex(struct json *j, const char *key, const void *data,
		 size_t len);
void json_kv_decimal(struct json *j, const char *key, uint64_t v,
		     unsigned int scale);

/*
 * Length of the valid UTF-8 sequence at @s (1 to 4), or 0 when it is not
 * one; never reads past a NUL.  Shared with the Prometheus output, whose
 * label values must be UTF-8 too.
 */
size_t json_utf8_len(const unsigned char *s);

/*
 * Ends the document with a newline.  Returns 0, or -1 when the writer was
 * misused (containers left open, a value where a key belongs, ...).
 */
int json_finish(struct json *j);

#endif /* _EVCTL_JSON_H */
