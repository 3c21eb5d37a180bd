// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoint parsing and formatting; see evs_addr.h.
 */
#define _GNU_SOURCE		/* EAI_NODATA, EAI_ADDRFAMILY */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <linux/evstream.h>

#include "evs_addr.h"

/* Decimal 0..65535, digits only: strtoul() would take "+1" and " 1". */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s)
		return EVS_ADDR_E_NO_PORT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return EVS_ADDR_E_PORT;
		/* Stops growing once too big: no overflow, however long. */
		if (v <= 65535)
			v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return EVS_ADDR_E_PORT_RANGE;
	*port = (uint16_t)v;
	return 0;
}

/* An interface's index, as ping(8) takes it, or its name. */
static int parse_scope(const char *s, uint32_t *id)
{
	unsigned long long v = 0;
	const char *p;

	if (!*s)
		return EVS_ADDR_E_SCOPE;
	for (p = s; *p >= '0' && *p <= '9' && v <= UINT32_MAX; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	if (!*p) {
		if (!v || v > UINT32_MAX)
			return EVS_ADDR_E_SCOPE;
		*id = (uint32_t)v;
		return 0;
	}
	if (strlen(s) >= IF_NAMESIZE)
		return EVS_ADDR_E_SCOPE;
	*id = if_nametoindex(s);
	return *id ? 0 : EVS_ADDR_E_SCOPE;
}

/*
 * The first address the resolver has for @host; the port is ours
 * already, AI_NUMERICSERV keeps it from being looked up as a service.
 */
static int lookup(const char *host, struct evs_addr *a)
{
	struct addrinfo hints = {
		.ai_socktype	= SOCK_STREAM,
		.ai_flags	= AI_NUMERICSERV,
	};
	struct addrinfo *res, *ai;
	char port[8];
	int err;

	snprintf(port, sizeof(port), "%u", a->port);
	err = getaddrinfo(host, port, &hints, &res);
	if (err == EAI_NONAME || err == EAI_NODATA || err == EAI_ADDRFAMILY)
		return EVS_ADDR_E_UNKNOWN_HOST;
	if (err)
		return EVS_ADDR_E_LOOKUP;
	err = EVS_ADDR_E_UNKNOWN_HOST;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen >= sizeof(struct sockaddr_in)) {
			a->family = AF_INET;
			a->in = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		} else if (ai->ai_family == AF_INET6 &&
			   ai->ai_addrlen >= sizeof(struct sockaddr_in6)) {
			const struct sockaddr_in6 *sin6 = (void *)ai->ai_addr;

			a->family = AF_INET6;
			a->in6 = sin6->sin6_addr;
			a->scope_id = sin6->sin6_scope_id;
		} else {
			continue;
		}
		err = 0;
		break;
	}
	freeaddrinfo(res);
	return err;
}

int evs_addr_lookup(const char *s, unsigned int flags, struct evs_addr *a)
{
	char host[EVS_ADDR_STRLEN];
	const char *port, *end;
	bool bracket = *s == '[';
	char *pct;
	size_t len;
	int err;

	memset(a, 0, sizeof(*a));
	if (bracket) {
		s++;
		end = strchr(s, ']');
		if (!end || strchr(s, '['))
			return EVS_ADDR_E_BRACKETS;
		if (!end[1])
			return EVS_ADDR_E_NO_PORT;
		if (end[1] != ':')
			return EVS_ADDR_E_BRACKETS;
		len = (size_t)(end - s);
		port = end + 2;
	} else {
		if (strpbrk(s, "[]"))
			return EVS_ADDR_E_BRACKETS;
		port = strrchr(s, ':');
		if (!port)
			return EVS_ADDR_E_NO_PORT;
		len = (size_t)(port - s);
		port++;
	}
	if (!len)
		return EVS_ADDR_E_NO_HOST;
	if (len >= sizeof(host))
		return (flags & EVS_ADDR_NAME) && !bracket ?
		       EVS_ADDR_E_UNKNOWN_HOST : EVS_ADDR_E_HOST;
	memcpy(host, s, len);
	host[len] = '\0';
	err = parse_port(port, &a->port);
	if (err)
		return err;

	if (bracket) {
		pct = strchr(host, '%');
		if (pct)
			*pct = '\0';
		a->family = AF_INET6;
		if (inet_pton(AF_INET6, host, &a->in6) != 1)
			return EVS_ADDR_E_HOST;
		return pct ? parse_scope(pct + 1, &a->scope_id) : 0;
	}
	/* "::1:7000" or "fe80::1%eth0:7000": which colon ends the host? */
	if (strchr(host, ':'))
		return EVS_ADDR_E_NEED_BRACKETS;
	a->family = AF_INET;
	if (inet_pton(AF_INET, host, &a->in) == 1)
		return 0;
	if (!(flags & EVS_ADDR_NAME))
		return EVS_ADDR_E_HOST;
	return lookup(host, a);
}

const char *evs_addr_strerror(int err)
{
	switch (err) {
	case 0:
		return "no error";
	case EVS_ADDR_E_NO_PORT:
		return "missing port";
	case EVS_ADDR_E_PORT:
		return "port not a number";
	case EVS_ADDR_E_PORT_RANGE:
		return "port out of range (0..65535)";
	case EVS_ADDR_E_BRACKETS:
		return "bad brackets";
	case EVS_ADDR_E_NEED_BRACKETS:
		return "an IPv6 address needs brackets";
	case EVS_ADDR_E_HOST:
		return "not an IP address";
	case EVS_ADDR_E_NO_HOST:
		return "missing host";
	case EVS_ADDR_E_SCOPE:
		return "unknown interface";
	case EVS_ADDR_E_UNKNOWN_HOST:
		return "unknown host";
	case EVS_ADDR_E_PREFIX_LEN:
		return "bad prefix length";
	case EVS_ADDR_E_TRAILING:
		return "unexpected text after the address";
	default:
		return "host name lookup failed";
	}
}

/* "/LEN" at @s, 0..@max; @s is advanced past it. */
static int parse_prefix_len(const char **s, unsigned int max,
			    unsigned int *len)
{
	const char *p = *s + 1;
	unsigned int v = 0;

	if (*p < '0' || *p > '9')
		return EVS_ADDR_E_PREFIX_LEN;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned int)(*p - '0');
		if (v > max)
			return EVS_ADDR_E_PREFIX_LEN;
	}
	*len = v;
	*s = p;
	return 0;
}

/* The address text of @n bytes at @s, of @family, into @p. */
static int prefix_host(const char *s, size_t n, int family,
		       struct evs_prefix *p)
{
	char host[INET6_ADDRSTRLEN];

	if (!n)
		return EVS_ADDR_E_NO_HOST;
	if (n >= sizeof(host))
		return EVS_ADDR_E_HOST;
	memcpy(host, s, n);
	host[n] = '\0';
	p->family = family;
	p->len = family == AF_INET ? 32 : 128;
	if (inet_pton(family, host, family == AF_INET ? (void *)&p->in :
						       (void *)&p->in6) != 1)
		return EVS_ADDR_E_HOST;
	return 0;
}

int evs_prefix_parse(const char *s, struct evs_prefix *p)
{
	const char *end;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->family = AF_UNSPEC;
	p->port = -1;
	if (*s == '[') {
		end = strchr(s + 1, ']');
		if (!end || strchr(s + 1, '['))
			return EVS_ADDR_E_BRACKETS;
		err = prefix_host(s + 1, (size_t)(end - s - 1), AF_INET6, p);
		s = end + 1;
	} else if (*s == '*' || *s == ':') {
		/* Any address: a port must follow. */
		s += *s == '*';
		if (*s != ':')
			return EVS_ADDR_E_NO_PORT;
	} else if (strpbrk(s, "[]")) {
		return EVS_ADDR_E_BRACKETS;
	} else if (strchr(s, ':') != strrchr(s, ':')) {
		/* Two colons or more: a bare IPv6 address, no port. */
		end = s + strcspn(s, "/");
		err = prefix_host(s, (size_t)(end - s), AF_INET6, p);
		s = end;
	} else {
		end = s + strcspn(s, "/:");
		err = prefix_host(s, (size_t)(end - s), AF_INET, p);
		s = end;
	}
	if (!err && *s == '/' && p->family != AF_UNSPEC)
		err = parse_prefix_len(&s, p->len, &p->len);
	if (!err && *s == ':') {
		uint16_t port = 0;

		err = parse_port(s + 1, &port);
		p->port = err ? -1 : port;
		s += strlen(s);
	}
	if (!err && *s)
		err = *s == '/' ? EVS_ADDR_E_PREFIX_LEN : EVS_ADDR_E_TRAILING;
	return err;
}

/* The first @bits bits of @a and @b agree. */
static bool bits_equal(const void *a, const void *b, unsigned int bits)
{
	const unsigned char *x = a, *y = b;
	unsigned int n = bits / 8;
	unsigned char mask;

	if (memcmp(x, y, n))
		return false;
	if (!(bits % 8))
		return true;
	mask = (unsigned char)(0xff00 >> (bits % 8));
	return !((x[n] ^ y[n]) & mask);
}

bool evs_prefix_match(const struct evs_prefix *p, const struct evs_addr *a)
{
	if (p->port >= 0 && a->port != p->port)
		return false;
	if (p->family == AF_UNSPEC)
		return true;
	if (p->family != a->family)
		return false;
	if (a->family == AF_INET)
		return bits_equal(&p->in, &a->in, p->len);
	return bits_equal(&p->in6, &a->in6, p->len);
}

bool evs_addr_same_host(const struct evs_addr *a, const struct evs_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->in.s_addr == b->in.s_addr;
	return !memcmp(&a->in6, &b->in6, sizeof(a->in6));
}

bool evs_addr_is_any(const struct evs_addr *a)
{
	if (a->family == AF_INET)
		return a->in.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&a->in6);
}

int evs_addr_parse(const char *s, struct evs_addr *a)
{
	return evs_addr_lookup(s, 0, a) ? -EINVAL : 0;
}

const char *evs_addr_ntop(const struct evs_addr *a, char *buf, size_t size)
{
	const void *src = a->family == AF_INET ? (const void *)&a->in :
						 (const void *)&a->in6;

	if (!inet_ntop(a->family, src, buf, size))
		snprintf(buf, size, "?");
	return buf;
}

const char *evs_addr_format(const struct evs_addr *a, char *buf,
			    size_t size)
{
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12] = "";

	evs_addr_ntop(a, host, sizeof(host));
	if (a->family == AF_INET6 && a->scope_id) {
		scope[0] = '%';
		if (!if_indextoname(a->scope_id, scope + 1))
			snprintf(scope, sizeof(scope), "%%%u", a->scope_id);
	}
	if (a->family == AF_INET6)
		snprintf(buf, size, "[%s%s]:%u", host, scope, a->port);
	else
		snprintf(buf, size, "%s:%u", host, a->port);
	return buf;
}

const char *evs_addr_family_name(const struct evs_addr *a)
{
	return a->family == AF_INET6 ? "inet6" : "inet";
}

int evs_addr_put(struct nlmsghdr *nlh, size_t size, const struct evs_addr *a)
{
	bool ok;

	if (a->family == AF_INET6)
		ok = mnl_attr_put_check(nlh, size, EVS_A_ADDR_IN6,
					sizeof(a->in6), &a->in6);
	else
		ok = mnl_attr_put_check(nlh, size, EVS_A_ADDR_IN,
					sizeof(a->in), &a->in);
	if (!ok || !mnl_attr_put_u16_check(nlh, size, EVS_A_PORT, a->port))
		return -EMSGSIZE;
	return 0;
}

int evs_addr_get(const struct nlattr *addr_in, const struct nlattr *addr_in6,
		 const struct nlattr *port, struct evs_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!addr_in == !addr_in6)
		return -EPROTO;
	if (addr_in) {
		a->family = AF_INET;
		memcpy(&a->in, mnl_attr_get_payload(addr_in), sizeof(a->in));
	} else {
		a->family = AF_INET6;
		memcpy(&a->in6, mnl_attr_get_payload(addr_in6),
		       sizeof(a->in6));
	}
	if (port)
		a->port = mnl_attr_get_u16(port);
	return 0;
}

socklen_t evs_addr_sockaddr(const struct evs_addr *a,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin;

	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->in6;
		sin6->sin6_port = htons(a->port);
		sin6->sin6_scope_id = a->scope_id;
		return sizeof(*sin6);
	}
	sin = (struct sockaddr_in *)ss;
	sin->sin_family = AF_INET;
	sin->sin_addr = a->in;
	sin->sin_port = htons(a->port);
	return sizeof(*sin);
}
