// SPDX-License-Identifier: GPL-2.0
/*
 * Unit test of evctl's printing layer (evctl/print.c): the same calls
 * give a table, "key value" words and JSON; sizes, times and addresses
 * take their human form only in tables; misuse is reported, never
 * silently printed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../evctl/evctl.h"

static int failures;
static char errmsg[256];

/* print.c and table.c report through it; evctl.c is not linked. */
int evctl_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errmsg, sizeof(errmsg), fmt, ap);
	va_end(ap);
	return EVCTL_ERR;
}

enum mode { TABLE, WORDS, JSON, PRETTY };

static const char *const mode_name[] = { "table", "words", "json", "pretty" };

static void check(const char *name, enum mode mode, int (*describe)(void),
		  const char *expect, int expect_ret)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int ret;

	if (!f) {
		perror("open_memstream");
		exit(1);
	}
	errmsg[0] = '\0';
	print_start_file(f, mode >= JSON, mode == PRETTY);
	if (mode == WORDS)
		print_words_start();
	ret = describe();
	if (mode == WORDS)
		print_words_end();
	ret = print_end() ?: ret;
	fclose(f);
	if (ret != expect_ret || (expect && strcmp(out, expect))) {
		printf("not ok - %s (%s)\n  got (ret %d, %s): [%s]\n  want (ret %d): [%s]\n",
		       name, mode_name[mode], ret, errmsg, out, expect_ret,
		       expect ? expect : "(any)");
		failures++;
	} else {
		printf("ok - %s (%s)\n", name, mode_name[mode]);
	}
	free(out);
}

/* One object, described once, as conn.c describes a connection. */
static void conn(uint64_t id, const char *ip, uint16_t port,
		 uint64_t bytes, bool paused, bool has_idle)
{
	struct evs_addr a = { .family = AF_INET, .port = port };

	inet_pton(AF_INET, ip, &a.in);
	print_open_object(NULL);
	print_u64(PRINT_ANY, "conn_id", "%s", id);
	print_addr(PRINT_ANY, "peer", "%s", &a);
	print_size(PRINT_ANY, "bytes", "%s", bytes);
	print_bool(PRINT_ANY, "paused", "%s", paused);
	if (has_idle)
		print_ms(PRINT_ANY, "idle_ms", "%s", 1500);
	else
		print_null(PRINT_ANY, "idle_ms", "%s");
	print_string(PRINT_TEXT, NULL, "%s%%", "50");
	print_close_object();
}

static int conns_table(void)
{
	static const char *const heads[] = {
		"ID", "PEER", "BYTES", "PAUSED", "IDLE", "FILL", NULL
	};
	int ret;

	print_open_array(NULL);
	print_table_start(heads, "rlrlrr");
	conn(1, "127.0.0.1", 40000, 640, false, true);
	conn(1099511627776ULL, "10.0.0.2", 1, 1536, true, false);
	ret = print_table_end();
	print_close_array();
	return ret;
}

static int conn_words(void)
{
	conn(7, "127.0.0.1", 40000, 1536, true, false);
	return EVCTL_OK;
}

/* A word with a blank, a quote, a control character, or nothing. */
static int odd_words(void)
{
	print_string(PRINT_ANY, "error_message", "%s", "bad \"magic\"\n");
	print_string(PRINT_ANY, "plain", "%s", "x-y");
	print_string(PRINT_ANY, "empty", "%s", "");
	print_u64(PRINT_JSON, "json_only", NULL, 1);
	print_u64(PRINT_TEXT, "text_only", "%s", 2);
	return EVCTL_OK;
}

static int odd_json(void)
{
	print_open_object(NULL);
	odd_words();
	print_close_object();
	return EVCTL_OK;
}

/* Plain text with the formats, decimals, hex, and a body table. */
static int plain(void)
{
	static const char *const heads[] = { "K", "V", NULL };
	static const unsigned char bytes[] = { 0x00, 0xff, 0x7f };
	int ret;

	print_open_object(NULL);
	print_string(PRINT_ANY, "module_version", "module %s", "1.0");
	print_u64(PRINT_ANY, "protocol_version", ", wire %-4s|\n", 1);
	print_decimal(PRINT_ANY, "p50_us", "p50 %s\n", 2048, 3);
	print_hex(PRINT_ANY, "payload", "%s\n", bytes, sizeof(bytes));
	print_table_body_start(heads, "lr");
	print_open_object("counters");
	print_string(PRINT_TEXT, NULL, "%s", "frames");
	print_u64(PRINT_ANY, "frames", "%s", 6);
	print_table_gap();
	print_string(PRINT_TEXT, NULL, "%s", "bytes");
	print_size(PRINT_ANY, "bytes", "%s", 1ULL << 40);
	print_close_object();
	ret = print_table_end();
	print_close_object();
	return ret;
}

/* Not UTF-8: JSON stays valid, as json.c promises. */
static int bad_utf8(void)
{
	print_open_object(NULL);
	print_string(PRINT_ANY, "error_message", "%s", "a\xff\xc0\x80z");
	print_close_object();
	return EVCTL_OK;
}

static int bad_fmt_int(void)
{
	print_u64(PRINT_ANY, "x", "%d", 1);
	return EVCTL_OK;
}

static int bad_fmt_two(void)
{
	print_string(PRINT_ANY, "x", "%s %s", "a");
	return EVCTL_OK;
}

static int bad_fmt_none(void)
{
	print_string(PRINT_ANY, "x", "no conversion", "a");
	return EVCTL_OK;
}

static int table_left_open(void)
{
	static const char *const heads[] = { "A", NULL };

	print_table_start(heads, "l");
	print_u64(PRINT_ANY, "a", "%s", 1);
	return EVCTL_OK;
}

static int text_in_table(void)
{
	static const char *const heads[] = { "A", NULL };

	print_table_start(heads, "l");
	print_text("stray\n");
	return print_table_end();
}

static int ragged_table(void)
{
	static const char *const heads[] = { "A", "B", NULL };

	print_table_start(heads, "ll");
	print_u64(PRINT_ANY, "a", "%s", 1);
	return print_table_end();
}

static int unbalanced(void)
{
	print_open_object(NULL);
	print_open_array("a");
	print_close_object();
	return EVCTL_OK;
}

static int two_documents(void)
{
	print_open_object(NULL);
	print_close_object();
	print_open_object(NULL);
	print_close_object();
	return EVCTL_OK;
}

int main(void)
{
	check("table from the same calls", TABLE, conns_table,
	      "           ID  PEER               BYTES  PAUSED   IDLE  FILL\n"
	      "            1  127.0.0.1:40000    640 B  no      1.5 s   50%\n"
	      "1099511627776  10.0.0.2:1       1.5 KiB  yes         -   50%\n",
	      EVCTL_OK);
	check("JSON from the same calls", JSON, conns_table,
	      "[{\"conn_id\":1,\"family\":\"inet\",\"peer_addr\":\"127.0.0.1\","
	      "\"peer_port\":40000,\"bytes\":640,\"paused\":false,"
	      "\"idle_ms\":1500},{\"conn_id\":1099511627776,"
	      "\"family\":\"inet\",\"peer_addr\":\"10.0.0.2\","
	      "\"peer_port\":1,\"bytes\":1536,\"paused\":true,"
	      "\"idle_ms\":null}]\n", EVCTL_OK);
	check("words: raw values, keys with dashes, no null", WORDS,
	      conn_words,
	      " conn-id 7 peer 127.0.0.1:40000 bytes 1536 paused yes",
	      EVCTL_OK);
	check("words: quoted when they must be", WORDS, odd_words,
	      " error-message \"bad \\\"magic\\\"\\x0a\" plain x-y empty \"\"",
	      EVCTL_OK);
	check("JSON only and text only", JSON, odd_json,
	      "{\"error_message\":\"bad \\\"magic\\\"\\n\",\"plain\":\"x-y\","
	      "\"empty\":\"\",\"json_only\":1}\n", EVCTL_OK);
	check("plain text, decimals, hex, a body table", TABLE, plain,
	      "module 1.0, wire 1   |\n"
	      "p50 2.048\n"
	      "00ff7f\n"
	      "frames        6\n"
	      "\n"
	      "bytes   1.0 TiB\n", EVCTL_OK);
	check("plain text, decimals, hex, a body table", PRETTY, plain,
	      "{\n"
	      "  \"module_version\": \"1.0\",\n"
	      "  \"protocol_version\": 1,\n"
	      "  \"p50_us\": 2.048,\n"
	      "  \"payload\": \"00ff7f\",\n"
	      "  \"counters\": {\n"
	      "    \"frames\": 6,\n"
	      "    \"bytes\": 1099511627776\n"
	      "  }\n"
	      "}\n", EVCTL_OK);
	check("not UTF-8 in JSON", JSON, bad_utf8,
	      "{\"error_message\":\"a\\ufffd\\ufffd\\ufffdz\"}\n", EVCTL_OK);
	check("a format for an int is misuse", TABLE, bad_fmt_int, "",
	      EVCTL_ERR);
	check("a format with two %s is misuse", TABLE, bad_fmt_two, "",
	      EVCTL_ERR);
	check("a format without %s is misuse", TABLE, bad_fmt_none, "",
	      EVCTL_ERR);
	check("a table left open is misuse", TABLE, table_left_open, "",
	      EVCTL_ERR);
	check("plain text inside a table is misuse", TABLE, text_in_table,
	      NULL, EVCTL_ERR);
	check("a row short of cells fails", TABLE, ragged_table, "",
	      EVCTL_ERR);
	check("unbalanced JSON is misuse", JSON, unbalanced, NULL, EVCTL_ERR);
	check("two JSON documents in one is misuse", JSON, two_documents,
	      NULL, EVCTL_ERR);
	printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
