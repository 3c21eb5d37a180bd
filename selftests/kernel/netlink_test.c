// SPDX-License-Identifier: GPL-2.0
/*
 * Every command of the evstream family at its edges: settings round trip
 * and their limits (one below, at, one above), unknown, missing and
 * mistyped attributes, all-or-nothing sets, permissions per command,
 * dumps interrupted by changes, and the monitor group.  Each test runs in
 * a network namespace of its own.
 */
#include "evs_test.h"
#include <sys/wait.h>
#include "kselftest_harness.h"

#define TMO 20000

FIXTURE(nl) {
	struct evs_nl nl;
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
};

FIXTURE_SETUP(nl)
{
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
}

FIXTURE_TEARDOWN(nl)
{
	evs_nl_close(&self->nl);
}

/* ---- settings ---- */

struct cfg_limit {
	int attr;
	int width;		/* bytes: 1, 4 or 8 */
	uint64_t min, max;
};

static const struct cfg_limit cfg_limits[] = {
	{ EVS_CFG_A_MAX_PAYLOAD, 4, 0, 65536 },
	{ EVS_CFG_A_POOL_LIMIT, 4, 1, 1 << 24 },
	{ EVS_CFG_A_PRESSURE, 1, 1, 100 },
	{ EVS_CFG_A_RING_SIZE, 4, 64, 65536 },
	{ EVS_CFG_A_STORE_LIMIT, 8, 0, 1ULL << 40 },
	{ EVS_CFG_A_CONN_LIMIT, 4, 1, 1 << 20 },
	{ EVS_CFG_A_BATCH, 4, 1, 65536 },
	{ EVS_CFG_A_IDLE_TIMEOUT, 4, 0, 86400 },
	{ EVS_CFG_A_ACK_DELAY, 4, 0, 1000000 },
};

static void put_cfg(struct nlmsghdr *nlh, int attr, int width, uint64_t v)
{
	if (width == 1)
		mnl_attr_put_u8(nlh, attr, v);
	else if (width == 4)
		mnl_attr_put_u32(nlh, attr, v);
	else
		mnl_attr_put_u64(nlh, attr, v);
}

static int cfg_set(struct evs_nl *nl, char *buf, int attr, int width,
		   uint64_t v)
{
	struct nlmsghdr *nlh = evs_nl_req(nl, buf, EVS_CMD_CONFIG_SET, 0);
	struct nlattr *nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);

	put_cfg(nlh, attr, width, v);
	mnl_attr_nest_end(nlh, nest);
	return evs_nl_talk(nl, nlh, NULL, NULL);
}

struct cfg_vals {
	uint64_t v[EVS_CFG_A_MAX + 1];
	bool seen[EVS_CFG_A_MAX + 1];
};

static int cfg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1], *c[EVS_CFG_A_MAX + 1];
	struct cfg_vals *out = data;
	unsigned int i;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) || !tb[EVS_A_CONFIG] ||
	    evs_nl_parse_nested(tb[EVS_A_CONFIG], c, &evs_nl_cfg_attrs))
		return MNL_CB_ERROR;
	for (i = 0; i < ARRAY_SIZE(cfg_limits); i++) {
		const struct nlattr *a = c[cfg_limits[i].attr];
		uint64_t v = 0;

		if (!a)
			continue;
		if (cfg_limits[i].width == 1)
			v = mnl_attr_get_u8(a);
		else if (cfg_limits[i].width == 4)
			v = mnl_attr_get_u32(a);
		else
			evs_nl_get_u64(a, &v);
		out->v[cfg_limits[i].attr] = v;
		out->seen[cfg_limits[i].attr] = true;
	}
	return MNL_CB_OK;
}

static int cfg_get(struct evs_nl *nl, char *buf, struct cfg_vals *out)
{
	memset(out, 0, sizeof(*out));
	return evs_nl_talk(nl, evs_nl_req(nl, buf, EVS_CMD_CONFIG_GET, 0),
			   cfg_cb, out);
}

TEST_F(nl, config_defaults_are_the_module_parameters)
{
	struct cfg_vals c;
	unsigned int i;

	ASSERT_EQ(0, cfg_get(&self->nl, self->buf, &c));
	for (i = 0; i < ARRAY_SIZE(cfg_limits); i++)
		EXPECT_TRUE(c.seen[cfg_limits[i].attr]);
	EXPECT_EQ(4096, c.v[EVS_CFG_A_MAX_PAYLOAD]);
	EXPECT_EQ(65536, c.v[EVS_CFG_A_POOL_LIMIT]);
	EXPECT_EQ(75, c.v[EVS_CFG_A_PRESSURE]);
	EXPECT_EQ(4096, c.v[EVS_CFG_A_RING_SIZE]);
	EXPECT_EQ(64 << 20, c.v[EVS_CFG_A_STORE_LIMIT]);
	EXPECT_EQ(1024, c.v[EVS_CFG_A_CONN_LIMIT]);
	EXPECT_EQ(64, c.v[EVS_CFG_A_BATCH]);
	EXPECT_EQ(0, c.v[EVS_CFG_A_IDLE_TIMEOUT]);
	EXPECT_EQ(0, c.v[EVS_CFG_A_ACK_DELAY]);
}

/* Each setting: below its range refused, both ends taken, above refused. */
TEST_F(nl, config_limits)
{
	struct cfg_vals c;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg_limits); i++) {
		const struct cfg_limit *l = &cfg_limits[i];
		uint64_t wmax = l->width == 8 ? ~0ULL :
				(1ULL << (8 * l->width)) - 1;

		if (l->min > 0) {
			EXPECT_EQ(-ERANGE, cfg_set(&self->nl, self->buf,
						   l->attr, l->width,
						   l->min - 1))
				TH_LOG("attr %d below %llu", l->attr,
				       (unsigned long long)l->min);
			/* The kernel's extack points at the attribute. */
			EXPECT_NE(0, self->nl.err_off);
		}
		EXPECT_EQ(0, cfg_set(&self->nl, self->buf, l->attr, l->width,
				     l->min));
		ASSERT_EQ(0, cfg_get(&self->nl, self->buf, &c));
		EXPECT_EQ(l->min, c.v[l->attr]);
		EXPECT_EQ(0, cfg_set(&self->nl, self->buf, l->attr, l->width,
				     l->max));
		ASSERT_EQ(0, cfg_get(&self->nl, self->buf, &c));
		EXPECT_EQ(l->max, c.v[l->attr]);
		if (l->max < wmax) {
			EXPECT_EQ(-ERANGE, cfg_set(&self->nl, self->buf,
						   l->attr, l->width,
						   l->max + 1))
				TH_LOG("attr %d above %llu", l->attr,
				       (unsigned long long)l->max);
			EXPECT_NE(0, self->nl.err_off);
		}
	}
}

TEST_F(nl, config_set_is_all_or_nothing)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct cfg_vals c;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 8);
	mnl_attr_put_u8(nlh, EVS_CFG_A_PRESSURE, 101);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-ERANGE, evs_nl_talk(&self->nl, nlh, NULL, NULL));

	/* A ring size that is in range but not a power of two, likewise. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 8);
	mnl_attr_put_u32(nlh, EVS_CFG_A_RING_SIZE, 1000);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, strncmp(self->nl.errmsg, "ring_size must be a power of two",
			     32)) TH_LOG("%s", self->nl.errmsg);

	ASSERT_EQ(0, cfg_get(&self->nl, self->buf, &c));
	EXPECT_EQ(64, c.v[EVS_CFG_A_BATCH]);
	EXPECT_EQ(75, c.v[EVS_CFG_A_PRESSURE]);
	EXPECT_EQ(4096, c.v[EVS_CFG_A_RING_SIZE]);
}

TEST_F(nl, config_ring_size_only_without_listener)
{
	EXPECT_EQ(0, cfg_set(&self->nl, self->buf, EVS_CFG_A_RING_SIZE, 4, 128));
	ASSERT_LT(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				     "127.0.0.1:0"));
	EXPECT_EQ(-EBUSY, cfg_set(&self->nl, self->buf, EVS_CFG_A_RING_SIZE,
				  4, 256));
	/* Setting the size it already has is no change, so no conflict. */
	EXPECT_EQ(0, cfg_set(&self->nl, self->buf, EVS_CFG_A_RING_SIZE, 4, 128));
}

/* ---- malformed requests ---- */

TEST_F(nl, config_nest_refuses_unknown_and_mistyped)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_MAX + 1, 1);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));

	/* A u16 where a u32 belongs. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u16(nlh, EVS_CFG_A_BATCH, 8);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.err_off);

	/* CONFIG without the nested flag. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	mnl_attr_put_u32(nlh, EVS_A_CONFIG, 8);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(nl, missing_required_attributes)
{
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_CONFIG_SET, 0);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(EVS_A_CONFIG, self->nl.err_miss_type);

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LISTEN_ADD, 0);
	mnl_attr_put(nlh, EVS_A_ADDR_IN, 4, "\x7f\0\0\1");
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(EVS_A_PORT, self->nl.err_miss_type);

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LISTEN_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_PORT, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.errmsg[0]);

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(EVS_A_PRIO, self->nl.err_miss_type);

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_DEL, 0);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(EVS_A_TOPIC, self->nl.err_miss_type);

	/* A dump's error comes in its DONE message, with the reason only. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_READ, NLM_F_DUMP);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, strncmp(self->nl.errmsg, "need a topic", 12));
}

TEST_F(nl, wrong_types_and_lengths)
{
	struct nlmsghdr *nlh;

	/* A 3-byte IPv4 address, a 4-byte IPv6 one: lengths out of range. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LISTEN_ADD, 0);
	mnl_attr_put(nlh, EVS_A_ADDR_IN, 3, "\x7f\0\0");
	mnl_attr_put_u16(nlh, EVS_A_PORT, 1);
	EXPECT_EQ(-ERANGE, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.err_off);
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LISTEN_ADD, 0);
	mnl_attr_put(nlh, EVS_A_ADDR_IN6, 4, "\0\0\0\1");
	mnl_attr_put_u16(nlh, EVS_A_PORT, 1);
	EXPECT_EQ(-ERANGE, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* Both families at once. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LISTEN_ADD, 0);
	mnl_attr_put(nlh, EVS_A_ADDR_IN, 4, "\x7f\0\0\1");
	mnl_attr_put(nlh, EVS_A_ADDR_IN6, 16,
		     "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1");
	mnl_attr_put_u16(nlh, EVS_A_PORT, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* A u32 topic. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_DEL, 0);
	mnl_attr_put_u32(nlh, EVS_A_TOPIC, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* COUNT 0 is below its minimum. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_READ, NLM_F_DUMP);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
	mnl_attr_put_u32(nlh, EVS_A_COUNT, 0);
	EXPECT_EQ(-ERANGE, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* An attribute another command takes. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_DEL, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
	mnl_attr_put_u64(nlh, EVS_A_FROM, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

/* ---- permissions ---- */

struct perm_case {
	uint8_t cmd;
	uint16_t flags;
	bool admin;
	int root_err;		/* what an administrator gets: 0, or -errno */
};

static const struct perm_case perm_cases[] = {
	{ EVS_CMD_GET_VERSION, 0, false, 0 },
	{ EVS_CMD_GET_STATS, 0, false, 0 },
	{ EVS_CMD_STATS_RESET, 0, true, 0 },
	{ EVS_CMD_LISTEN_ADD, 0, true, 0 },
	{ EVS_CMD_LISTEN_DEL, 0, true, 0 },
	{ EVS_CMD_LISTEN_GET, NLM_F_DUMP, false, 0 },
	{ EVS_CMD_ROUTE_ADD, 0, true, 0 },
	{ EVS_CMD_ROUTE_DEL, 0, true, 0 },
	{ EVS_CMD_ROUTE_GET, NLM_F_DUMP, false, 0 },
	{ EVS_CMD_CONN_GET, NLM_F_DUMP, false, 0 },
	{ EVS_CMD_READ, NLM_F_DUMP, true, 0 },
	{ EVS_CMD_CONFIG_GET, 0, false, 0 },
	{ EVS_CMD_CONFIG_SET, 0, true, 0 },
	{ EVS_CMD_RING_GET, NLM_F_DUMP, false, 0 },
	{ EVS_CMD_LATENCY_GET, NLM_F_DUMP, false, 0 },
	/* No connection 1 here: found to be missing, once allowed. */
	{ EVS_CMD_CONN_DEL, 0, true, -ENOENT },
};

/* A request of @cmd that is valid for an administrator. */
static struct nlmsghdr *perm_req(struct evs_nl *nl, char *buf,
				 const struct perm_case *pc)
{
	struct nlmsghdr *nlh = evs_nl_req(nl, buf, pc->cmd, pc->flags);
	struct nlattr *nest;

	switch (pc->cmd) {
	case EVS_CMD_LISTEN_ADD:
	case EVS_CMD_LISTEN_DEL:
		mnl_attr_put(nlh, EVS_A_ADDR_IN, 4, "\x7f\0\0\1");
		mnl_attr_put_u16(nlh, EVS_A_PORT, 7001);
		break;
	case EVS_CMD_ROUTE_ADD:
		mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
		mnl_attr_put_u8(nlh, EVS_A_PRIO, 0);
		break;
	case EVS_CMD_ROUTE_DEL:
	case EVS_CMD_READ:
		mnl_attr_put_u16(nlh, EVS_A_TOPIC, 1);
		break;
	case EVS_CMD_CONFIG_SET:
		nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
		mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 32);
		mnl_attr_nest_end(nlh, nest);
		break;
	case EVS_CMD_CONN_DEL:
		mnl_attr_put_u64(nlh, EVS_A_CONN_ID, 1);
		break;
	}
	return nlh;
}

/*
 * Sends every request of perm_cases on @nl without privilege over its
 * namespace: 0 when each admin one got EPERM and each other an answer,
 * else 1 + the index of the first that did not.
 */
static int perm_refused(struct evs_nl *nl, char *buf)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(perm_cases); i++) {
		const struct perm_case *pc = &perm_cases[i];
		int err = evs_nl_talk(nl, perm_req(nl, buf, pc), NULL, NULL);

		if (err != (pc->admin ? -EPERM : 0))
			return 1 + i;
	}
	return 0;
}

/*
 * Nobody gets EPERM for every admin command and an answer for the rest;
 * the same requests succeed as root, in this order.
 */
TEST_F(nl, every_command_checks_permission)
{
	unsigned int i;
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (evs_test_drop_privileges())
			_exit(100);
		_exit(perm_refused(&self->nl, self->buf));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("unprivileged: command %d answered wrongly",
		       perm_cases[WEXITSTATUS(status) - 1].cmd);
	}
	for (i = 0; i < ARRAY_SIZE(perm_cases); i++)
		EXPECT_EQ(perm_cases[i].root_err,
			  evs_nl_talk(&self->nl,
				      perm_req(&self->nl, self->buf,
					       &perm_cases[i]),
				      NULL, NULL))
			TH_LOG("root: command %d: %s", perm_cases[i].cmd,
			       self->nl.errmsg);
}

/*
 * CAP_NET_ADMIN counts in the user namespace that owns the network
 * namespace: an unprivileged user who makes a user namespace is refused
 * every admin command on the namespace it came from, and may run every
 * one of them in a network namespace of its own.
 */
TEST_F(nl, user_namespace_admin_only_over_its_own_netns)
{
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct evs_nl own;
		unsigned int i;

		if (evs_test_drop_privileges() || unshare(CLONE_NEWUSER))
			_exit(100);
		i = perm_refused(&self->nl, self->buf);
		if (i)
			_exit(i);
		if (evs_test_new_netns() || evs_nl_open(&own))
			_exit(101);
		for (i = 0; i < ARRAY_SIZE(perm_cases); i++)
			if (evs_nl_talk(&own, perm_req(&own, self->buf,
						       &perm_cases[i]),
					NULL, NULL) != perm_cases[i].root_err)
				_exit(50 + i);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		int code = WEXITSTATUS(status);

		if (code > 0 && code < 50)
			TH_LOG("foreign netns: command %d answered wrongly",
			       perm_cases[code - 1].cmd);
		else if (code >= 50 && code < 100)
			TH_LOG("own netns: command %d refused",
			       perm_cases[code - 50].cmd);
		else
			TH_LOG("setup failed (%d)", code);
	}
}

/* ---- dumps ---- */

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(unsigned int *)data)++;
	return MNL_CB_OK;
}

TEST_F(nl, ring_and_latency_dumps)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	unsigned int n = 0;
	struct nlmsghdr *nlh;

	/* No rings before the first listener. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_RING_GET, NLM_F_DUMP);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, count_cb, &n));
	EXPECT_EQ(0, n);
	ASSERT_LT(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD,
				     "127.0.0.1:0"));
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_RING_GET, NLM_F_DUMP);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, count_cb, &n));
	EXPECT_EQ(cpus * EVS_PRIO_NR, n);
	n = 0;
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_LATENCY_GET, NLM_F_DUMP);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, count_cb, &n));
	EXPECT_EQ(EVS_PRIO_NR, n);
}

/*
 * A dump that spans several messages, with a change between the parts:
 * the part after the change carries NLM_F_DUMP_INTR.
 */
TEST_F(nl, dump_interrupted_by_a_change)
{
	struct evs_nl other;
	char rx[EVS_NL_RX_SIZE];
	struct nlmsghdr *nlh;
	bool intr = false, done = false;
	unsigned int topic;
	int parts = 0;

	ASSERT_EQ(0, evs_nl_open(&other));
	for (topic = 0; topic < 1000; topic++) {
		nlh = evs_nl_req(&other, self->buf, EVS_CMD_ROUTE_ADD, 0);
		mnl_attr_put_u16(nlh, EVS_A_TOPIC, topic);
		mnl_attr_put_u8(nlh, EVS_A_PRIO, topic % 3);
		ASSERT_EQ(0, evs_nl_talk(&other, nlh, NULL, NULL));
	}
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_GET, NLM_F_DUMP);
	ASSERT_LT(0, mnl_socket_sendto(self->nl.sock, nlh, nlh->nlmsg_len));
	while (!done) {
		ssize_t len = mnl_socket_recvfrom(self->nl.sock, rx, sizeof(rx));
		const struct nlmsghdr *m;
		int left = len;

		ASSERT_LT(0, len);
		if (parts++ == 0) {
			/* Change the set while the dump is half way. */
			nlh = evs_nl_req(&other, self->buf, EVS_CMD_ROUTE_DEL, 0);
			mnl_attr_put_u16(nlh, EVS_A_TOPIC, 999);
			ASSERT_EQ(0, evs_nl_talk(&other, nlh, NULL, NULL));
		}
		for (m = (void *)rx; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (m->nlmsg_type == NLMSG_DONE)
				done = true;
		}
	}
	EXPECT_LT(1, parts);
	EXPECT_TRUE(intr);
	evs_nl_close(&other);
}

/* ---- the monitor group ---- */

/* Joins "monitor" on a socket of its own. */
static int monitor_open(struct evs_nl *mon)
{
	int err = evs_nl_open(mon);
	uint32_t grp;

	if (err)
		return err;
	err = evs_nl_mcast_group(mon, EVS_GENL_NAME, EVS_MCGRP_MONITOR, &grp);
	return err ? err : evs_nl_join(mon, grp);
}

/*
 * Waits for a notification of @cmd, skipping others, and returns its
 * attributes in @tb (valid until the next call, @rx holds them).
 */
static int monitor_wait(struct evs_nl *mon, uint8_t cmd, char *rx, size_t size,
			const struct nlattr **tb)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += TMO / 1000;
	for (;;) {
		struct pollfd pfd = { .fd = mnl_socket_get_fd(mon->sock),
				      .events = POLLIN };
		const struct nlmsghdr *m;
		ssize_t len;
		int left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		len = mnl_socket_recvfrom(mon->sock, rx, size);
		if (len < 0)
			return -errno;
		left = len;
		for (m = (void *)rx; mnl_nlmsg_ok(m, left);
		     m = mnl_nlmsg_next(m, &left)) {
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(m);

			if (m->nlmsg_type != mon->family || g->cmd != cmd)
				continue;
			return evs_nl_parse(m, tb, &evs_nl_evs_attrs);
		}
	}
}

TEST_F(nl, monitor_sees_every_change)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	char rx[EVS_NL_RX_SIZE];
	struct evs_frame f;
	struct evs_nl mon;
	struct nlmsghdr *nlh;
	unsigned char frame[EVS_WIRE_HDR_LEN];
	char addr[32], c;
	uint64_t id;
	int port, fd;

	ASSERT_EQ(0, monitor_open(&mon));

	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port);
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_LISTEN_ADD, rx, sizeof(rx), tb));
	EXPECT_EQ(port, mnl_attr_get_u16(tb[EVS_A_PORT]));

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 42);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, EVS_PRIO_BATCH);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_ROUTE_ADD, rx, sizeof(rx), tb));
	EXPECT_EQ(42, mnl_attr_get_u16(tb[EVS_A_TOPIC]));
	EXPECT_EQ(EVS_PRIO_BATCH, mnl_attr_get_u8(tb[EVS_A_PRIO]));

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_DEL, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 42);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_ROUTE_DEL, rx, sizeof(rx), tb));
	EXPECT_EQ(42, mnl_attr_get_u16(tb[EVS_A_TOPIC]));

	ASSERT_EQ(0, cfg_set(&self->nl, self->buf, EVS_CFG_A_BATCH, 4, 17));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_CONFIG, rx, sizeof(rx), tb));
	{
		const struct nlattr *c2[EVS_CFG_A_MAX + 1];

		ASSERT_EQ(0, evs_nl_parse_nested(tb[EVS_A_CONFIG], c2,
						 &evs_nl_cfg_attrs));
		EXPECT_EQ(17, mnl_attr_get_u32(c2[EVS_CFG_A_BATCH]));
	}

	/* A client that breaks the protocol: open, error, close. */
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_CONN_OPEN, rx, sizeof(rx), tb));
	ASSERT_EQ(0, evs_nl_get_u64(tb[EVS_A_CONN_ID], &id));
	memset(frame, 0xee, sizeof(frame));
	ASSERT_EQ(0, evs_test_write(fd, frame, sizeof(frame)));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_PROTO_ERROR, rx, sizeof(rx), tb));
	EXPECT_EQ(EVS_ERR_MAGIC, mnl_attr_get_u8(tb[EVS_A_ERROR_KIND]));
	EXPECT_STREQ("bad magic", mnl_attr_get_str(tb[EVS_A_ERROR_MSG]));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_CONN_CLOSE, rx, sizeof(rx), tb));
	{
		uint64_t got;

		ASSERT_EQ(0, evs_nl_get_u64(tb[EVS_A_CONN_ID], &got));
		EXPECT_EQ(id, got);
	}
	EXPECT_EQ(EVS_CLOSE_ERROR, mnl_attr_get_u8(tb[EVS_A_CLOSE_REASON]));
	ASSERT_EQ(0, evs_test_read_frame(fd, &f, NULL, 0, TMO));
	EXPECT_EQ(EVS_WIRE_F_ERROR, f.flags);
	EXPECT_EQ(1, evs_test_read_full(fd, &c, 1, TMO));
	close(fd);

	/* A client that says goodbye properly. */
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, shutdown(fd, SHUT_WR));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_CONN_CLOSE, rx, sizeof(rx), tb));
	EXPECT_EQ(EVS_CLOSE_PEER, mnl_attr_get_u8(tb[EVS_A_CLOSE_REASON]));
	close(fd);

	/* Once a second while the listener is up. */
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_RATE, rx, sizeof(rx), tb));
	EXPECT_LT(0, mnl_attr_get_u32(tb[EVS_A_INTERVAL_MS]));
	EXPECT_NE(NULL, tb[EVS_A_STATS]);
	EXPECT_NE(NULL, tb[EVS_A_GAUGES]);

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	ASSERT_EQ(0, evs_test_listen(&self->nl, EVS_CMD_LISTEN_DEL, addr));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_LISTEN_DEL, rx, sizeof(rx), tb));
	EXPECT_EQ(port, mnl_attr_get_u16(tb[EVS_A_PORT]));
	evs_nl_close(&mon);
}

/* ---- connection settings at work ---- */

TEST_F(nl, idle_connections_are_closed)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	char rx[EVS_NL_RX_SIZE], c;
	struct evs_nl mon;
	int port, fd;

	ASSERT_EQ(0, monitor_open(&mon));
	ASSERT_EQ(0, cfg_set(&self->nl, self->buf, EVS_CFG_A_IDLE_TIMEOUT, 4, 1));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	/* Says nothing: the server closes it after a second or two. */
	EXPECT_EQ(1, evs_test_read_full(fd, &c, 1, TMO));
	ASSERT_EQ(0, monitor_wait(&mon, EVS_CMD_NTF_CONN_CLOSE, rx, sizeof(rx), tb));
	EXPECT_EQ(EVS_CLOSE_IDLE, mnl_attr_get_u8(tb[EVS_A_CLOSE_REASON]));
	close(fd);
	evs_nl_close(&mon);
}

/*
 * With an ACK delay, frames that each ask for an ack, sent in quick
 * succession, are answered by few ACKs; the last one covers them all.
 */
TEST_F(nl, ack_delay_coalesces_acks)
{
	unsigned char frame[64];
	uint32_t seq;
	int port, fd;

	ASSERT_EQ(0, cfg_set(&self->nl, self->buf, EVS_CFG_A_ACK_DELAY, 4,
			     500000));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port);
	fd = evs_test_connect(AF_INET, port);
	ASSERT_LE(0, fd);
	for (seq = 0; seq < 20; seq++) {
		size_t len = evs_test_frame(frame, EVS_WIRE_F_ACK_REQ, 1,
					    EVS_PRIO_RT, seq, 8);

		ASSERT_EQ(0, evs_test_write(fd, frame, len));
	}
	ASSERT_EQ(0, evs_test_wait_ack(fd, 19, TMO));
	EXPECT_GE(4, evs_test_counter(&self->nl, EVS_STATS_A_ACKS));
	close(fd);
}

TEST_HARNESS_MAIN
