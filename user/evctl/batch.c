// SPDX-License-Identifier: GPL-2.0
/*
 * evctl -b FILE: one command a line, as `ip -b` runs them.
 *
 * A line is what would follow the options on evctl's command line
 * ("route add topic 7 prio rt").  Words are separated by blanks; '...' or
 * "..." quote blanks into a word (no escapes inside, as in ip(8)); a '#'
 * that begins a word begins a comment.  The options given with -b (-j,
 * -n NETNS, ...) hold for every line, and one netlink socket serves them
 * all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "evctl.h"

enum {
	LINE_OK,
	LINE_EOF,
	LINE_LONG,	/* more than EVCTL_BATCH_LINE_MAX bytes */
	LINE_NUL,	/* a NUL byte: the rest would be lost unseen */
	LINE_ERR,	/* read error, errno set */
};

/*
 * Reads the next line into @buf, without its newline.  A line that is
 * too long or has a NUL in it is read to its end all the same, so that
 * the next one starts where it should and the line numbers stay right.
 */
static int read_line(FILE *f, char *buf)
{
	bool nul = false;
	size_t len = 0;
	int c;

	errno = 0;
	while ((c = getc(f)) != EOF && c != '\n') {
		if (!c)
			nul = true;
		if (len < EVCTL_BATCH_LINE_MAX)
			buf[len] = (char)c;
		/* Stops counting once too long: bounded by the buffer. */
		if (len <= EVCTL_BATCH_LINE_MAX)
			len++;
	}
	if (c == EOF && ferror(f))
		return LINE_ERR;
	if (c == EOF && !len)
		return LINE_EOF;
	if (len > EVCTL_BATCH_LINE_MAX)
		return LINE_LONG;
	buf[len] = '\0';
	return nul ? LINE_NUL : LINE_OK;
}

static bool is_blank(char c)
{
	/* \r: a file written on Windows reads the same. */
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Splits @line into words in place, into @argv (room for
 * EVCTL_BATCH_LINE_MAX / 2 + 1 words, enough for any line: each word but
 * the last takes at least one byte and one blank).  Returns the number
 * of words, or -1 for an unterminated quote.
 */
static int split(char *line, char **argv)
{
	char *r = line, *w = line;
	int n = 0;

	for (;;) {
		bool end;

		while (is_blank(*r))
			r++;
		if (!*r || *r == '#')
			break;
		argv[n++] = w;
		/* w never passes r: quotes are dropped, nothing is added. */
		while (*r && !is_blank(*r)) {
			char q = *r;

			if (q != '"' && q != '\'') {
				*w++ = *r++;
				continue;
			}
			for (r++; *r && *r != q; )
				*w++ = *r++;
			if (!*r)
				return -1;
			r++;
		}
		end = !*r;
		*w++ = '\0';
		if (end)
			break;
		r++;
	}
	argv[n] = NULL;
	return n;
}

/*
 * Each line starts from the options of the command line: "stats -j" on
 * one line must not turn the next one's output into JSON.  The socket,
 * and the namespace it was opened in, carry over.
 */
static void reset_opts(struct evctl *ctx, const struct evctl *opts)
{
	struct evs_nl nl = ctx->nl;
	const char *netns = ctx->netns;

	*ctx = *opts;
	ctx->nl = nl;
	ctx->netns = netns;
}

int evctl_batch(struct evctl *ctx, const char *path, bool force)
{
	static char *argv[EVCTL_BATCH_LINE_MAX / 2 + 2];
	static char buf[EVCTL_BATCH_LINE_MAX + 1];
	const char *name = path;
	/* Commands: the lines that are not blank or only a comment. */
	unsigned long line = 0, cmds = 0, failed = 0;
	struct evctl opts = *ctx;
	int ret = EVCTL_OK, worst = EVCTL_OK;
	FILE *f = stdin;
	int st, n = 0;

	if (!strcmp(path, "-"))
		name = "stdin";
	else
		f = fopen(path, "re");
	if (!f)
		return evctl_err("cannot open batch file '%s': %s", path,
				 strerror(errno));

	while ((st = read_line(f, buf)) != LINE_EOF) {
		line++;
		if (st == LINE_ERR) {
			/*
			 * Not the line's fault, and nothing more will come;
			 * no command either, for the count below.
			 */
			worst = evctl_err("cannot read batch file '%s': %s",
					  path, strerror(errno ? errno : EIO));
			break;
		}
		evctl_batch_where(name, line);
		if (st == LINE_OK) {
			n = split(buf, argv);
			if (!n)
				continue;	/* blank, or a comment */
		}
		/* A line too long or with a NUL counts, as one that failed. */
		cmds++;
		if (st == LINE_LONG) {
			ret = evctl_usage_err("line longer than %d bytes",
					      EVCTL_BATCH_LINE_MAX);
		} else if (st == LINE_NUL) {
			ret = evctl_usage_err("NUL byte in line");
		} else if (n < 0) {
			ret = evctl_usage_err("unterminated quote");
		} else if (argv[0][0] == '-') {
			/* They would hold for the rest of the file. */
			ret = evctl_usage_err("'%s': options go before -b",
					      argv[0]);
		} else {
			reset_opts(ctx, &opts);
			ret = evctl_run(ctx, n, argv);
		}
		if (!ret)
			continue;
		failed++;
		if (ret > worst)
			worst = ret;
		if (!force)
			break;
	}
	evctl_batch_where(NULL, 0);
	if (f != stdin)
		fclose(f);
	if (failed && force)
		evctl_err("%s: %lu of %lu commands failed", name, failed, cmds);
	return worst;
}
