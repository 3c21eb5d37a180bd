// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoint parsing and formatting; see evs_addr.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/evstream.h>

#include "evs_addr.h"

/* Decimal 0..65535, digits only: strtoul() would take "+1" and " 1". */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int evs_addr_parse(const char *s, struct evs_addr *a)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon, *end;
	size_t len;

	memset(a, 0, sizeof(*a));
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		len = (size_t)(end - s - 1);
		colon = end + 1;
		s++;
		a->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		len = (size_t)(colon - s);
		a->family = AF_INET;
	}
	if (!len || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	if (inet_pton(a->family, host,
		      a->family == AF_INET ? (void *)&a->in :
					     (void *)&a->in6) != 1)
		return -EINVAL;
	return parse_port(colon + 1, &a->port);
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
	char host[INET6_ADDRSTRLEN];

	evs_addr_ntop(a, host, sizeof(host));
	if (a->family == AF_INET6)
		snprintf(buf, size, "[%s]:%u", host, a->port);
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
		if (mnl_attr_get_payload_len(addr_in) != sizeof(a->in))
			return -EPROTO;
		a->family = AF_INET;
		memcpy(&a->in, mnl_attr_get_payload(addr_in), sizeof(a->in));
	} else {
		if (mnl_attr_get_payload_len(addr_in6) != sizeof(a->in6))
			return -EPROTO;
		a->family = AF_INET6;
		memcpy(&a->in6, mnl_attr_get_payload(addr_in6),
		       sizeof(a->in6));
	}
	if (port) {
		if (mnl_attr_get_payload_len(port) != sizeof(a->port))
			return -EPROTO;
		memcpy(&a->port, mnl_attr_get_payload(port), sizeof(a->port));
	}
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
		return sizeof(*sin6);
	}
	sin = (struct sockaddr_in *)ss;
	sin->sin_family = AF_INET;
	sin->sin_addr = a->in;
	sin->sin_port = htons(a->port);
	return sizeof(*sin);
}
