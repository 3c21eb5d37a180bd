/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the evstream kselftests (run as root inside the VM).
 */
#ifndef _EVS_TEST_H
#define _EVS_TEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>

#include <evstream/frame.h>
#include "evs_addr.h"
#include "evs_nl.h"
#include "evs_read.h"

#define EVS_NOBODY 65534
/* Where the VM's initramfs puts the module. */
#define EVS_KO "/lib/modules/evstream.ko"

static inline int evs_test_unload(void)
{
	return syscall(__NR_delete_module, "evstream", O_NONBLOCK) ? -errno : 0;
}

/* Loads the module file @path with parameters @params. */
static inline int evs_test_load_ko(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return -errno;
	err = syscall(__NR_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return err;
}

static inline int evs_test_load(void)
{
	return evs_test_load_ko(EVS_KO, "");
}

/*
 * Whether the running kernel is at least @major.@minor: for the few
 * answers that differ between the kernels the module supports (see
 * docs/design.md, "Kernels").
 */
static inline bool evs_test_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * The error an unprivileged caller gets for an admin command sent with
 * the other of do/dump than the command has.  6.1 checks the permission
 * first (-EPERM); from 6.2 ("genetlink: use split ops in generic netlink
 * core") the do/dump lookup comes first and fails (-EOPNOTSUPP).
 */
static inline int evs_test_wrong_op_unprivileged_err(void)
{
	return evs_test_kernel_at_least(6, 2) ? -EOPNOTSUPP : -EPERM;
}

/* The test build, with fault injection and delay points (kmod/fault.h). */
#define EVS_FAULT_KO "/lib/modules/evstream-fault.ko"

static inline int evs_test_load_fault(const char *params)
{
	return evs_test_load_ko(EVS_FAULT_KO, params);
}

/*
 * Reads (@how "r") or writes ("w") the test build's knob @name under
 * /sys/kernel/debug/evstream/.
 */
static inline int evs_test_knob(const char *name, const char *how,
				unsigned int *val)
{
	char path[96];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/evstream/%s", name);
	f = fopen(path, how);
	if (!f)
		return -errno;
	if (*how == 'w')
		err = fprintf(f, "%u\n", *val) < 0 ? -EIO : 0;
	else
		err = fscanf(f, "%u", val) == 1 ? 0 : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static inline bool evs_test_loaded(void)
{
	struct stat st;

	return !stat("/sys/module/evstream", &st);
}

/*
 * Moves the calling process into a new network namespace with its
 * loopback up, so every test starts from a namespace nobody else uses.
 */
static inline int evs_test_new_netns(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!err) {
		ifr.ifr_flags |= IFF_UP;
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	err = err ? -errno : 0;
	close(fd);
	return err;
}

/* Becomes nobody, which drops every capability. */
static inline int evs_test_drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(EVS_NOBODY, EVS_NOBODY, EVS_NOBODY) ||
	    setresuid(EVS_NOBODY, EVS_NOBODY, EVS_NOBODY))
		return -errno;
	return 0;
}

static inline int evs_test_stats_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_STATS])
		return MNL_CB_ERROR;
	if (evs_nl_parse_stats(tb[EVS_A_STATS], data))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* The namespace's counters through EVS_CMD_GET_STATS. */
static inline int evs_test_get_stats(struct evs_nl *nl, struct evs_stats *st)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	memset(st, 0, sizeof(*st));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0),
			   evs_test_stats_cb, st);
}

/* The namespace's gauges through EVS_CMD_GET_STATS. */
static inline int evs_test_gauges_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_GAUGES] ||
	    evs_nl_parse_gauges(tb[EVS_A_GAUGES], data))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

static inline int evs_test_get_gauges(struct evs_nl *nl, struct evs_gauges *g)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	memset(g, 0, sizeof(*g));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0),
			   evs_test_gauges_cb, g);
}

static inline int evs_test_latency_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_LATENCY] ||
	    evs_nl_parse_latency(tb[EVS_A_LATENCY], data))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/* The namespace's latency histograms through EVS_CMD_GET_STATS. */
static inline int evs_test_get_latency(struct evs_nl *nl,
				       struct evs_latency *lat)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;

	memset(lat, 0, sizeof(*lat));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_GET_STATS, 0),
			   evs_test_latency_cb, lat);
}

/*
 * The namespace's counters and gauges through /proc/net/evstream/stats.
 * Returns the number of records read (after the header line), -errno when the file cannot be
 * opened, or -EPROTO for a line with an unknown name, or a name twice.
 */
static inline int evs_test_proc_stats(struct evs_stats *st,
				      struct evs_gauges *g)
{
	FILE *f = fopen("/proc/net/evstream/stats", "r");
	unsigned long long v;
	char name[64];
	int i, n = 0;

	memset(st, 0, sizeof(*st));
	memset(g, 0, sizeof(*g));
	if (!f)
		return -errno;
	if (fscanf(f, "%63s %63s", name, name) != 2 || strcmp(name, "value")) {
		fclose(f);
		return -EPROTO;
	}
	while (n >= 0 && fscanf(f, "%63s %llu", name, &v) == 2) {
		n++;
		for (i = 0; i < EVS_NR_COUNTERS; i++) {
			if (strcmp(name, evs_counter_name(EVS_STATS_A_FIRST_COUNTER + i)))
				continue;
			if (st->present[i])
				n = -EPROTO;
			st->counters[i] = v;
			st->present[i] = true;
			break;
		}
		if (i < EVS_NR_COUNTERS)
			continue;
		for (i = 0; i < EVS_NR_GAUGES; i++) {
			if (strcmp(name, evs_gauge_name(EVS_GAUGE_A_FIRST + i)))
				continue;
			if (g->present[i])
				n = -EPROTO;
			g->values[i] = v;
			g->present[i] = true;
			break;
		}
		if (i == EVS_NR_GAUGES)
			n = -EPROTO;
	}
	if (n >= 0 && !feof(f))
		n = -EPROTO;
	fclose(f);
	return n;
}

static inline int evs_test_listen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	struct evs_addr *a = data;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_addr_get(tb[EVS_A_ADDR_IN], tb[EVS_A_ADDR_IN6], tb[EVS_A_PORT],
			 a))
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/*
 * LISTEN_ADD or LISTEN_DEL of @addr ("127.0.0.1:0", "[::1]:7000").  For
 * an add, returns the port the listener got (> 0); else 0; or -errno.
 */
static inline int evs_test_listen(struct evs_nl *nl, uint8_t cmd,
				  const char *addr)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct evs_addr a, got = { 0 };
	struct nlmsghdr *nlh;
	int err;

	if (evs_addr_parse(addr, &a))
		return -EINVAL;
	nlh = evs_nl_req(nl, buf, cmd, 0);
	if (evs_addr_put(nlh, sizeof(buf), &a))
		return -EMSGSIZE;
	err = evs_nl_talk(nl, nlh, evs_test_listen_cb, &got);
	if (err)
		return err;
	return cmd == EVS_CMD_LISTEN_ADD ? got.port : 0;
}

/* CONFIG_SET of one u32 (or u8 for PRESSURE) setting. */
static inline int evs_test_config(struct evs_nl *nl, int attr, uint64_t val)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = evs_nl_req(nl, buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	if (attr == EVS_CFG_A_PRESSURE)
		mnl_attr_put_u8(nlh, attr, val);
	else if (attr == EVS_CFG_A_STORE_LIMIT)
		mnl_attr_put_u64(nlh, attr, val);
	else
		mnl_attr_put_u32(nlh, attr, val);
	mnl_attr_nest_end(nlh, nest);
	return evs_nl_talk(nl, nlh, NULL, NULL);
}

static inline int evs_test_config_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_CONFIG] ||
	    evs_nl_parse_nested(tb[EVS_A_CONFIG], data, &evs_nl_cfg_attrs)) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

struct evs_test_config_one {
	int attr;
	uint64_t val;
};

static inline int evs_test_config_one_cb(const struct nlmsghdr *nlh,
					 void *data)
{
	const struct nlattr *cfg[EVS_CFG_A_MAX + 1] = { NULL };
	struct evs_test_config_one *one = data;
	const struct nlattr *a;
	int ret = evs_test_config_cb(nlh, cfg);

	a = cfg[one->attr];
	if (ret != MNL_CB_OK || !a)
		return MNL_CB_ERROR;
	switch (one->attr) {
	case EVS_CFG_A_PRESSURE:
		one->val = mnl_attr_get_u8(a);
		break;
	case EVS_CFG_A_STORE_LIMIT:
		one->val = mnl_attr_get_u64(a);
		break;
	default:
		one->val = mnl_attr_get_u32(a);
	}
	return MNL_CB_OK;
}

/* One setting as CONFIG_GET shows it, or ~0 when it is missing. */
static inline uint64_t evs_test_config_value(struct evs_nl *nl, int attr)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct evs_test_config_one one = { .attr = attr, .val = ~0ULL };

	if (evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_CONFIG_GET, 0),
			evs_test_config_one_cb, &one))
		return ~0ULL;
	return one.val;
}

/*
 * Reads (@how "r") or writes ("w") the module parameter @name through
 * /sys/module/evstream/parameters, as text.
 */
static inline int evs_test_param(const char *name, const char *how,
				 char *val, size_t size)
{
	char path[128];
	int fd, err = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/module/evstream/parameters/%s",
		 name);
	fd = open(path, (*how == 'w' ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (*how == 'w') {
		n = write(fd, val, strlen(val));
		if (n < 0)
			err = -errno;
	} else {
		n = read(fd, val, size - 1);
		if (n < 0) {
			err = -errno;
		} else {
			val[n] = 0;
			val[strcspn(val, "\n")] = 0;
		}
	}
	close(fd);
	return err;
}

/* A TCP connection to the listener on @port of loopback (v4 or v6). */
static inline int evs_test_connect(int family, uint16_t port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (family == AF_INET6 ?
	    connect(fd, (struct sockaddr *)&s6, sizeof(s6)) :
	    connect(fd, (struct sockaddr *)&s4, sizeof(s4))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Writes all of @buf, or fails. */
static inline int evs_test_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Puts one frame at @buf: header then a payload of @len bytes that
 * encode (@seq, @topic) so a reader can check them.  Returns its size.
 */
static inline size_t evs_test_frame(void *buf, uint8_t flags, uint16_t topic,
				    uint8_t prio, uint32_t seq, uint32_t len)
{
	struct evs_frame f = {
		.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
		.flags = flags, .length = len, .topic = topic,
		.priority = prio, .seq = seq,
	};
	unsigned char *p = (unsigned char *)buf + EVS_WIRE_HDR_LEN;
	uint32_t i;

	evs_frame_encode(buf, &f);
	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seq * 31 + topic + i);
	return EVS_WIRE_HDR_LEN + len;
}

/*
 * @n frames of @len bytes to @topic at @prio, client seqs @first on,
 * ACK_REQ on the last only.  Returns their size.
 */
static inline size_t evs_test_frames(void *buf, unsigned int n,
				     uint16_t topic, uint8_t prio,
				     uint32_t first, uint32_t len)
{
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		off += evs_test_frame((unsigned char *)buf + off,
				      i == n - 1 ? EVS_WIRE_F_ACK_REQ : 0,
				      topic, prio, first + i, len);
	return off;
}

/* True when @ev carries the payload evs_test_frame() made for it. */
static inline bool evs_test_payload_ok(const struct evs_event *ev)
{
	const unsigned char *p = ev->data;
	uint32_t i;

	for (i = 0; i < ev->len; i++)
		if (p[i] != (unsigned char)(ev->client_seq * 31 + ev->topic + i))
			return false;
	return true;
}

/* Reads exactly @len bytes within @ms; 1 at EOF, -ETIMEDOUT, -errno. */
static inline int evs_test_read_full(int fd, void *buf, size_t len, int ms)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, ms) == 0)
			return -ETIMEDOUT;
		n = recv(fd, p, len, 0);
		if (n == 0)
			return 1;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Reads one server frame (ACK or ERROR) into @f, its payload (a reason)
 * into @text.  0, 1 at EOF, or -errno.
 */
static inline int evs_test_read_frame(int fd, struct evs_frame *f,
				      char *text, size_t size, int ms)
{
	unsigned char hdr[EVS_WIRE_HDR_LEN];
	char skip[256];
	int err;

	err = evs_test_read_full(fd, hdr, sizeof(hdr), ms);
	if (err)
		return err;
	evs_frame_decode(hdr, f);
	if (f->length > sizeof(skip))
		return -EPROTO;
	err = evs_test_read_full(fd, skip, f->length, ms);
	if (err)
		return err;
	if (text && size) {
		size_t n = f->length < size - 1 ? f->length : size - 1;

		memcpy(text, skip, n);
		text[n] = 0;
	}
	return 0;
}

/*
 * Reads ACKs until one covers @seq; returns 0, or -EPROTO when anything
 * else arrives, 1 at EOF, -ETIMEDOUT.
 */
static inline int evs_test_wait_ack(int fd, uint32_t seq, int ms)
{
	struct evs_frame f;
	int err;

	for (;;) {
		err = evs_test_read_frame(fd, &f, NULL, 0, ms);
		if (err)
			return err;
		if (f.magic != EVS_WIRE_MAGIC || f.flags != EVS_WIRE_F_ACK ||
		    f.length)
			return -EPROTO;
		if ((int32_t)(f.seq - seq) >= 0)
			return 0;
	}
}

static inline int evs_test_count_cb(const struct evs_event *ev, void *data)
{
	unsigned int *n = data;

	if (!evs_test_payload_ok(ev))
		return -EBADMSG;
	(*n)++;
	return 0;
}

/* Events stored in @topic with good payloads, or -errno. */
static inline int evs_test_stored(struct evs_nl *nl, uint16_t topic)
{
	unsigned int n = 0;
	int err;

	err = evs_read_topic(nl, topic, 0, EVS_READ_ALL, evs_test_count_cb, &n);
	return err ? err : (int)n;
}

/* A counter of GET_STATS, or ~0 on error. */
static inline uint64_t evs_test_counter(struct evs_nl *nl, int attr)
{
	struct evs_stats st;

	if (evs_test_get_stats(nl, &st))
		return ~0ULL;
	return st.counters[attr - EVS_STATS_A_FIRST_COUNTER];
}

/* Lines of /proc/slabinfo naming one of the module's caches. */
static inline int evs_test_slab_caches(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "evs_", 4))
			n++;
	fclose(f);
	return n;
}

static inline uint64_t evs_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits until a GET_STATS counter reaches @want, asking every 10 ms, for
 * at most @ms: 0, or -ETIMEDOUT with the last value in @last.
 */
static inline int evs_test_wait_counter(struct evs_nl *nl, int attr,
					uint64_t want, int ms, uint64_t *last)
{
	uint64_t end = evs_test_now_ms() + ms;

	for (;;) {
		*last = evs_test_counter(nl, attr);
		if (*last == want)
			return 0;
		if (evs_test_now_ms() >= end)
			return -ETIMEDOUT;
		poll(NULL, 0, 10);
	}
}

/* Writes @val to the sysctl file @path (of this namespace, for net.*). */
static inline int evs_test_sysctl(const char *path, const char *val)
{
	ssize_t len = strlen(val);
	int fd, err = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != len)
		err = -EIO;
	close(fd);
	return err;
}

/*
 * Bytes waiting in the receive queues of the server's connections on
 * @port (rcv_nxt - copied_seq, the rx_queue of /proc/net/tcp), in *@bytes;
 * returns how many connections there are, or -errno.
 */
static inline int evs_test_server_queued(uint16_t port, unsigned long *bytes)
{
	FILE *f = fopen("/proc/net/tcp", "re");
	char line[256];
	int n = 0;

	*bytes = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lport, state;
		unsigned long tx, rx;

		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x %lx:%lx", &lport,
			   &state, &tx, &rx) != 4)
			continue;
		if (lport != port || state != 1)	/* TCP_ESTABLISHED */
			continue;
		*bytes += rx;
		n++;
	}
	fclose(f);
	return n;
}

/* Waits until @n connections on @port hold @bytes unread in all. */
static inline int evs_test_wait_server_queued(uint16_t port, int n,
					      unsigned long bytes, int ms)
{
	uint64_t end = evs_test_now_ms() + ms;
	unsigned long queued;

	while (evs_test_server_queued(port, &queued) != n || queued != bytes) {
		if (evs_test_now_ms() >= end) {
			fprintf(stderr, "# %lu bytes queued, not %lu\n", queued,
				bytes);
			return -ETIMEDOUT;
		}
		poll(NULL, 0, 10);
	}
	return 0;
}

#endif /* _EVS_TEST_H */
