// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of evctl's JSON writer: exact output for compact and pretty
 * documents, escaping, UTF-8 repair, and detection of misuse.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../evctl/json.h"

static int failures;

typedef void (*build_fn)(struct json *j);

static void check(const char *name, build_fn build, bool pretty,
		  const char *expect, int expect_ret)
{
	struct json j;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = open_memstream(&out, &len);
	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	json_init(&j, f, pretty);
	build(&j);
	ret = json_finish(&j);
	fclose(f);

	if (ret != expect_ret || (expect && strcmp(out, expect))) {
		printf("not ok - %s%s\n  got (ret %d): %s  want (ret %d): %s\n",
		       name, pretty ? " (pretty)" : "", ret, out, expect_ret,
		       expect ? expect : "(any)\n");
		failures++;
	} else {
		printf("ok - %s%s\n", name, pretty ? " (pretty)" : "");
	}
	free(out);
}

static void build_stats(struct json *j)
{
	json_object_start(j);
	json_kv_string(j, "version", "0.1.0");
	json_key(j, "counters");
	json_object_start(j);
	json_kv_u64(j, "frames", 0);
	json_kv_u64(j, "bytes", 18446744073709551615ULL);
	json_object_end(j);
	json_key(j, "empty");
	json_object_start(j);
	json_object_end(j);
	json_key(j, "list");
	json_array_start(j);
	json_s64(j, -9223372036854775807LL - 1);
	json_bool(j, true);
	json_bool(j, false);
	json_null(j);
	json_array_start(j);
	json_array_end(j);
	json_array_end(j);
	json_object_end(j);
}

static void build_numbers(struct json *j)
{
	json_object_start(j);
	json_kv_hex(j, "hex", "\x00\x7f\x80\xff" "Az", 6);
	json_kv_hex(j, "empty", "", 0);
	json_kv_decimal(j, "ms", 1500, 3);
	json_kv_decimal(j, "small", 7, 3);
	json_kv_decimal(j, "int", 42, 0);
	json_kv_decimal(j, "max", 18446744073709551615ULL, 6);
	json_object_end(j);
}

static void misuse_decimal_scale(struct json *j)
{
	json_decimal(j, 1, 19);
}

static void build_escapes(struct json *j)
{
	json_array_start(j);
	json_string(j, "quote\" backslash\\ slash/");
	json_string(j, "\b\f\n\r\t\x01\x1f\x7f");
	/* é, €, U+1F600: valid UTF-8 passes through untouched. */
	json_string(j, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Stray continuation, overlong, surrogate, truncated sequence. */
	json_string(j, "a\x80" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82");
	json_string(j, "");
	json_array_end(j);
}

static void build_scalar(struct json *j)
{
	json_string(j, "x");
}

static void misuse_value_without_key(struct json *j)
{
	json_object_start(j);
	json_u64(j, 1);
	json_object_end(j);
}

static void misuse_key_in_array(struct json *j)
{
	json_array_start(j);
	json_key(j, "k");
	json_u64(j, 1);
	json_array_end(j);
}

static void misuse_unclosed(struct json *j)
{
	json_object_start(j);
}

static void misuse_wrong_close(struct json *j)
{
	json_object_start(j);
	json_array_end(j);
	json_object_end(j);
}

static void misuse_dangling_key(struct json *j)
{
	json_object_start(j);
	json_key(j, "k");
	json_object_end(j);
}

static void misuse_two_roots(struct json *j)
{
	json_u64(j, 1);
	json_u64(j, 2);
}

static void misuse_empty(struct json *j)
{
	(void)j;
}

static void misuse_too_deep(struct json *j)
{
	int i;

	for (i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_array_start(j);
	for (i = 0; i < JSON_MAX_DEPTH + 1; i++)
		json_array_end(j);
}

int main(void)
{
	check("stats", build_stats, false,
	      "{\"version\":\"0.1.0\",\"counters\":{\"frames\":0,"
	      "\"bytes\":18446744073709551615},\"empty\":{},"
	      "\"list\":[-9223372036854775808,true,false,null,[]]}\n", 0);
	check("stats", build_stats, true,
	      "{\n"
	      "  \"version\": \"0.1.0\",\n"
	      "  \"counters\": {\n"
	      "    \"frames\": 0,\n"
	      "    \"bytes\": 18446744073709551615\n"
	      "  },\n"
	      "  \"empty\": {},\n"
	      "  \"list\": [\n"
	      "    -9223372036854775808,\n"
	      "    true,\n"
	      "    false,\n"
	      "    null,\n"
	      "    []\n"
	      "  ]\n"
	      "}\n", 0);
	check("escapes", build_escapes, false,
	      "[\"quote\\\" backslash\\\\ slash/\","
	      "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\","
	      "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
	      "\"a\\ufffdb\\ufffd\\ufffdc"
	      "\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\","
	      "\"\"]\n", 0);
	check("scalar", build_scalar, true, "\"x\"\n", 0);
	check("hex and decimal", build_numbers, false,
	      "{\"hex\":\"007f80ff417a\",\"empty\":\"\",\"ms\":1.500,"
	      "\"small\":0.007,\"int\":42,"
	      "\"max\":18446744073709.551615}\n", 0);
	check("decimal scale too big", misuse_decimal_scale, false, NULL, -1);
	check("value without key", misuse_value_without_key, false, NULL, -1);
	check("key in array", misuse_key_in_array, false, NULL, -1);
	check("unclosed", misuse_unclosed, false, NULL, -1);
	check("wrong close", misuse_wrong_close, false, NULL, -1);
	check("dangling key", misuse_dangling_key, false, NULL, -1);
	check("two roots", misuse_two_roots, false, NULL, -1);
	check("empty document", misuse_empty, false, NULL, -1);
	check("too deep", misuse_too_deep, false, NULL, -1);

	printf("%s: %d failed\n", __FILE__, failures);
	return failures ? 1 : 0;
}
