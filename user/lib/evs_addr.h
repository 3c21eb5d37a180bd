/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv4 and IPv6 endpoints as evstream's tools spell them and as the
 * netlink family carries them: "192.0.2.1:7000" or "[2001:db8::1]:7000"
 * on the command line, EVS_A_ADDR_IN or EVS_A_ADDR_IN6 plus EVS_A_PORT in
 * messages.  Numeric only: a listener is bound to an address, not a name,
 * and a load generator should not measure a resolver.
 */
#ifndef _EVS_ADDR_H
#define _EVS_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

/* "[" + IPv6 text + "]:" + port + NUL. */
#define EVS_ADDR_STRLEN		(INET6_ADDRSTRLEN + 8)

struct evs_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr in;
		struct in6_addr in6;
	};
	uint16_t port;		/* host order */
};

/*
 * Parses "A.B.C.D:PORT" or "[IPV6]:PORT" (PORT decimal, 0..65535).  The
 * brackets are required for IPv6, so that the last colon is never
 * ambiguous.  Returns 0 or -EINVAL.
 */
int evs_addr_parse(const char *s, struct evs_addr *a);

/* The address alone, without the port and brackets; returns @buf. */
const char *evs_addr_ntop(const struct evs_addr *a, char *buf, size_t size);

/* "A.B.C.D:PORT" or "[IPV6]:PORT"; returns @buf. */
const char *evs_addr_format(const struct evs_addr *a, char *buf,
			    size_t size);

/* "inet" or "inet6", as ip(8) names them. */
const char *evs_addr_family_name(const struct evs_addr *a);

/*
 * Appends EVS_A_ADDR_IN or EVS_A_ADDR_IN6 and EVS_A_PORT to a request in a
 * buffer of @size bytes.  Returns 0 or -EMSGSIZE.
 */
int evs_addr_put(struct nlmsghdr *nlh, size_t size, const struct evs_addr *a);

/*
 * Reads the address from @addr_in or @addr_in6 (exactly one must be
 * there) and the port from @port (may be NULL: port 0), all attributes of
 * an already indexed message.  Returns 0 or -EPROTO.
 */
int evs_addr_get(const struct nlattr *addr_in, const struct nlattr *addr_in6,
		 const struct nlattr *port, struct evs_addr *a);

/* A sockaddr for connect() or bind(); returns its length. */
socklen_t evs_addr_sockaddr(const struct evs_addr *a,
			    struct sockaddr_storage *ss);

#endif /* _EVS_ADDR_H */
