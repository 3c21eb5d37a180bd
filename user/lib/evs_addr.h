/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv4 and IPv6 endpoints as evstream's tools spell them and as the
 * netlink family carries them: "192.0.2.1:7000" or "[2001:db8::1]:7000"
 * on the command line, EVS_A_ADDR_IN or EVS_A_ADDR_IN6 plus EVS_A_PORT in
 * messages.  An IPv6 address may carry a scope, "[fe80::1%eth0]:7000",
 * for the sockets the tools open themselves (the netlink family has no
 * attribute for it).  evs_addr_lookup() also takes a host name, for a
 * client; a listener is bound to an address, not a name.
 */
#ifndef _EVS_ADDR_H
#define _EVS_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

/* "[" + IPv6 text + "%" + interface + "]:" + port + NUL. */
#define EVS_ADDR_STRLEN		(INET6_ADDRSTRLEN + IF_NAMESIZE + 8)

struct evs_addr {
	int family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr in;
		struct in6_addr in6;
	};
	uint16_t port;		/* host order */
	uint32_t scope_id;	/* IPv6: interface index, 0 for none */
};

/* Why evs_addr_lookup() refused an endpoint. */
enum evs_addr_err {
	EVS_ADDR_E_NO_PORT = 1,	/* no ":PORT" */
	EVS_ADDR_E_PORT,	/* PORT not a decimal number */
	EVS_ADDR_E_PORT_RANGE,	/* PORT above 65535 */
	EVS_ADDR_E_BRACKETS,	/* "[" without "]:", or the other way round */
	EVS_ADDR_E_NEED_BRACKETS, /* an IPv6 address without them */
	EVS_ADDR_E_HOST,	/* not an IP address, names not looked up */
	EVS_ADDR_E_NO_HOST,	/* nothing before ":PORT" */
	EVS_ADDR_E_SCOPE,	/* no such interface */
	EVS_ADDR_E_UNKNOWN_HOST, /* the resolver knows no such name */
	EVS_ADDR_E_LOOKUP,	/* the resolver failed otherwise */
	EVS_ADDR_E_PREFIX_LEN,	/* /LEN not a number, or above 32 or 128 */
	EVS_ADDR_E_TRAILING,	/* something after the address or port */
};

/* Host names are looked up (getaddrinfo()); else numeric only. */
#define EVS_ADDR_NAME		0x1

/*
 * Parses "A.B.C.D:PORT" or "[IPV6]:PORT" or "[IPV6%SCOPE]:PORT" (PORT
 * decimal, 0..65535; SCOPE an interface's name or index).  The brackets
 * are required for IPv6, so that the last colon is never ambiguous.
 * With EVS_ADDR_NAME, "HOST:PORT" is looked up too, the first address
 * getaddrinfo() gives taken.  Returns 0 or an enum evs_addr_err.
 */
int evs_addr_lookup(const char *s, unsigned int flags, struct evs_addr *a);

/* What an enum evs_addr_err means, in words for a usage message. */
const char *evs_addr_strerror(int err);

/* evs_addr_lookup() without names: returns 0 or -EINVAL. */
int evs_addr_parse(const char *s, struct evs_addr *a);

/* The address alone, without the port and brackets; returns @buf. */
const char *evs_addr_ntop(const struct evs_addr *a, char *buf, size_t size);

/*
 * "A.B.C.D:PORT" or "[IPV6]:PORT", "[IPV6%SCOPE]:PORT" with a scope (the
 * interface's name, its index when it has none); returns @buf.
 */
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
 * a message that evs_nl_parse() indexed with evs_nl_evs_attrs, which
 * checked their sizes.  Returns 0, or -EPROTO when there is no address or
 * two.
 */
int evs_addr_get(const struct nlattr *addr_in, const struct nlattr *addr_in6,
		 const struct nlattr *port, struct evs_addr *a);

/*
 * What a filter matches an endpoint against (evctl conn show peer ...):
 * an address prefix, a port, or both.
 */
struct evs_prefix {
	int family;		/* AF_INET, AF_INET6, or AF_UNSPEC: any address */
	union {
		struct in_addr in;
		struct in6_addr in6;
	};
	unsigned int len;	/* leading bits that must match */
	int port;		/* -1: any port */
};

/*
 * Parses the forms ss(8) and ip(8) use for an address and port, numeric
 * only: "A.B.C.D", "A.B.C.D/LEN", "A.B.C.D:PORT", "A.B.C.D/LEN:PORT";
 * "IPV6" and "IPV6/LEN" bare, or in brackets with an optional port,
 * "[IPV6]:PORT", "[IPV6]/LEN:PORT"; and ":PORT" or "*:PORT" for any
 * address.  A missing /LEN is the whole address.  Returns 0 or an enum
 * evs_addr_err.
 */
int evs_prefix_parse(const char *s, struct evs_prefix *p);

/* Whether @a is in @p: same family, leading bits, and port if @p has one. */
bool evs_prefix_match(const struct evs_prefix *p, const struct evs_addr *a);

/* Whether @a and @b hold the same address, ports aside. */
bool evs_addr_same_host(const struct evs_addr *a, const struct evs_addr *b);

/* Whether @a is the wildcard address, 0.0.0.0 or ::. */
bool evs_addr_is_any(const struct evs_addr *a);

/* A sockaddr for connect() or bind(); returns its length. */
socklen_t evs_addr_sockaddr(const struct evs_addr *a,
			    struct sockaddr_storage *ss);

#endif /* _EVS_ADDR_H */
