// SPDX-License-Identifier: GPL-2.0
/*
 * evstream control plane: the generic netlink family and /proc/net/evstream
 * as a user sees them.  Each test runs in a network namespace of its own.
 */
#include "evs_test.h"
#include <linux/capability.h>
#include <sys/wait.h>
#include <evstream/version.h>
#include "kselftest_harness.h"

FIXTURE(ctl) {
	struct evs_nl nl;
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
};

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl)) {
		TH_LOG("evstream family not found: is the module loaded?");
	}
}

FIXTURE_TEARDOWN(ctl)
{
	evs_nl_close(&self->nl);
}

TEST_F(ctl, family_has_name_and_version)
{
	uint32_t version = 0;
	uint16_t id = 0;

	ASSERT_EQ(0, evs_nl_resolve_family(&self->nl, "evstream", &id,
					   &version));
	EXPECT_EQ(self->nl.family, id);
	EXPECT_EQ(EVS_GENL_VERSION, version);
}

static int version_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[EVS_A_MAX + 1];
	char *out = data;
	const char *v;
	uint8_t proto;

	if (evs_nl_parse(nlh, tb, &evs_nl_evs_attrs) ||
	    evs_nl_get_str(tb[EVS_A_VERSION], &v) ||
	    evs_nl_get_u8(tb[EVS_A_PROTO_VERSION], &proto))
		return MNL_CB_ERROR;
	snprintf(out, 64, "%s/%u", v, proto);
	return MNL_CB_OK;
}

TEST_F(ctl, version_reports_module_and_protocol)
{
	char got[64] = "", want[64];
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_VERSION, 0);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, version_cb, got));
	snprintf(want, sizeof(want), "%s/%u", EVS_VERSION, EVS_WIRE_VERSION);
	EXPECT_STREQ(want, got);
}

TEST_F(ctl, stats_start_at_zero_in_a_new_namespace)
{
	struct evs_stats st;
	int i;

	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		const char *name = evs_counter_name(EVS_STATS_A_FIRST_COUNTER + i);

		EXPECT_TRUE(st.present[i]) TH_LOG("%s missing", name);
		EXPECT_EQ(0, st.counters[i]) TH_LOG("%s not zero", name);
	}
}

TEST_F(ctl, proc_and_netlink_agree)
{
	struct evs_gauges gnl, gproc;
	struct evs_stats nl, proc;
	int i;

	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &nl));
	ASSERT_EQ(0, evs_test_get_gauges(&self->nl, &gnl));
	ASSERT_EQ(EVS_NR_COUNTERS + EVS_NR_GAUGES,
		  evs_test_proc_stats(&proc, &gproc));
	for (i = 0; i < EVS_NR_COUNTERS; i++) {
		EXPECT_TRUE(proc.present[i]);
		EXPECT_EQ(nl.counters[i], proc.counters[i]);
	}
	for (i = 0; i < EVS_NR_GAUGES; i++) {
		EXPECT_TRUE(gproc.present[i]);
		EXPECT_EQ(gnl.values[i], gproc.values[i]);
	}
}

TEST_F(ctl, unknown_attribute_is_refused)
{
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_STATS, 0);
	mnl_attr_put_u32(nlh, EVS_A_MAX + 1, 1);
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.errmsg[0]) TH_LOG("no extack message");
}

TEST_F(ctl, reply_attribute_in_request_is_refused)
{
	struct nlmsghdr *nlh;

	/* EVS_A_VERSION exists, but no command takes it as input. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_STATS, 0);
	mnl_attr_put_strz(nlh, EVS_A_VERSION, "9.9.9");
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_NE(0, self->nl.errmsg[0]) TH_LOG("no extack message");
}

TEST_F(ctl, unknown_command_is_refused)
{
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_UNSPEC, 0);
	EXPECT_EQ(-EOPNOTSUPP, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(ctl, dump_of_a_do_only_command_is_refused)
{
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_STATS, NLM_F_DUMP);
	EXPECT_EQ(-EOPNOTSUPP, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(ctl, reserved_header_byte_is_refused)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_STATS, 0);
	genl = mnl_nlmsg_get_payload(nlh);
	genl->reserved = 1;
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(ctl, truncated_header_is_refused)
{
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_GET_STATS, 0);
	nlh->nlmsg_len = sizeof(*nlh) + 2;	/* half a genlmsghdr */
	EXPECT_EQ(-EINVAL, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

TEST_F(ctl, socket_still_works_after_errors)
{
	struct evs_stats st;
	struct nlmsghdr *nlh;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_MAX + 1, 0);
	EXPECT_EQ(-EOPNOTSUPP, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	EXPECT_EQ(0, evs_test_get_stats(&self->nl, &st));
}

TEST_F(ctl, stats_reset_as_admin)
{
	struct nlmsghdr *nlh;
	struct evs_stats st;
	int i;

	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_STATS_RESET, 0);
	ASSERT_EQ(0, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	ASSERT_EQ(0, evs_test_get_stats(&self->nl, &st));
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		EXPECT_EQ(0, st.counters[i]);
}

TEST_F(ctl, unprivileged_can_read_but_not_reset)
{
	struct nlmsghdr *nlh;
	struct evs_gauges g;
	struct evs_stats st;

	ASSERT_EQ(0, evs_test_drop_privileges());
	EXPECT_EQ(0, evs_test_get_stats(&self->nl, &st));
	EXPECT_EQ(EVS_NR_COUNTERS + EVS_NR_GAUGES, evs_test_proc_stats(&st, &g));
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_STATS_RESET, 0);
	EXPECT_EQ(-EPERM, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* A socket opened after the drop is refused the same way. */
	evs_nl_close(&self->nl);
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_STATS_RESET, 0);
	EXPECT_EQ(-EPERM, evs_nl_talk(&self->nl, nlh, NULL, NULL));
}

static int ctl_count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

/*
 * An admin command sent by nobody as the other of do/dump: refused on
 * every kernel, with the errno that kernel's genetlink gives (see
 * evs_test_wrong_op_unprivileged_err()), and nothing changed.
 */
TEST_F(ctl, unprivileged_wrong_op_of_admin_command)
{
	int want = evs_test_wrong_op_unprivileged_err();
	struct nlmsghdr *nlh;
	struct evs_nl priv;
	int routes = 0;

	ASSERT_EQ(0, evs_nl_open(&priv));
	ASSERT_EQ(0, evs_test_drop_privileges());
	/* ROUTE_ADD has only a do; READ has only a dump. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_ADD, NLM_F_DUMP);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, EVS_PRIO_RT);
	EXPECT_EQ(want, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_READ, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	EXPECT_EQ(want, evs_nl_talk(&self->nl, nlh, NULL, NULL));
	/* The right op is refused for the permission on every kernel. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_ROUTE_ADD, 0);
	mnl_attr_put_u16(nlh, EVS_A_TOPIC, 7);
	mnl_attr_put_u8(nlh, EVS_A_PRIO, EVS_PRIO_RT);
	EXPECT_EQ(-EPERM, evs_nl_talk(&self->nl, nlh, NULL, NULL));

	/* Root's socket, opened before the drop, sees no route. */
	nlh = evs_nl_req(&priv, self->buf, EVS_CMD_ROUTE_GET, NLM_F_DUMP);
	EXPECT_EQ(0, evs_nl_talk(&priv, nlh, ctl_count_cb, &routes));
	EXPECT_EQ(0, routes);
	evs_nl_close(&priv);
}

/*
 * CAP_NET_ADMIN counts in the user namespace that owns the network
 * namespace: an unprivileged user who makes both may reset its own
 * namespace's counters, but not those of a namespace it does not own.
 */
TEST_F(ctl, admin_of_own_user_namespace)
{
	struct nlmsghdr *nlh;
	struct evs_nl own;
	struct evs_stats st;

	ASSERT_EQ(0, evs_test_drop_privileges());
	ASSERT_EQ(0, unshare(CLONE_NEWUSER)) {
		TH_LOG("unprivileged user namespaces disabled: %s",
		       strerror(errno));
	}
	/* Still in the namespace root made, through the old socket. */
	nlh = evs_nl_req(&self->nl, self->buf, EVS_CMD_STATS_RESET, 0);
	EXPECT_EQ(-EPERM, evs_nl_talk(&self->nl, nlh, NULL, NULL));

	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, evs_nl_open(&own));
	nlh = evs_nl_req(&own, self->buf, EVS_CMD_STATS_RESET, 0);
	EXPECT_EQ(0, evs_nl_talk(&own, nlh, NULL, NULL));
	EXPECT_EQ(0, evs_test_get_stats(&own, &st));
	evs_nl_close(&own);
}

/*
 * Ceilings on what a namespace of another user namespace may set: the
 * userns_* module parameters, which root changes at runtime.  The fixture
 * puts back what it found, whatever a test did.
 */
static const struct {
	const char *param;
	int attr;
	uint64_t low;		/* a ceiling below the default setting */
	uint64_t over;		/* the next value above it CONFIG_SET takes */
} ceilings[] = {
	{ "userns_max_payload", EVS_CFG_A_MAX_PAYLOAD, 1024, 1025 },
	{ "userns_pool_limit", EVS_CFG_A_POOL_LIMIT, 1000, 1001 },
	{ "userns_ring_size", EVS_CFG_A_RING_SIZE, 256, 512 },
	{ "userns_store_limit", EVS_CFG_A_STORE_LIMIT, 1048576, 1048577 },
	{ "userns_conn_limit", EVS_CFG_A_CONN_LIMIT, 10, 11 },
};

FIXTURE(ceil) {
	char saved[ARRAY_SIZE(ceilings)][32];
};

FIXTURE_SETUP(ceil)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ceilings); i++)
		ASSERT_EQ(0, evs_test_param(ceilings[i].param, "r",
					    self->saved[i],
					    sizeof(self->saved[i])))
			TH_LOG("%s", ceilings[i].param);
	ASSERT_EQ(0, evs_test_new_netns());
}

FIXTURE_TEARDOWN(ceil)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ceilings); i++)
		evs_test_param(ceilings[i].param, "w", self->saved[i], 0);
}

static int set_ceiling(const char *param, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
	return evs_test_param(param, "w", buf, 0);
}

/* The defaults are documented: the defaults of the settings. */
TEST_F(ceil, default_ceilings_are_the_default_settings)
{
	static const char *const want[] = {
		"4096", "65536", "4096", "67108864", "1024",
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ceilings); i++)
		EXPECT_STREQ(want[i], self->saved[i])
			TH_LOG("%s", ceilings[i].param);
}

/* A ceiling takes the range of its setting; a bad write changes nothing. */
TEST_F(ceil, ceilings_take_the_ranges_of_their_settings)
{
	static const struct {
		const char *param, *val;
	} bad[] = {
		{ "userns_max_payload", "65537" },
		{ "userns_max_payload", "-1" },
		{ "userns_pool_limit", "0" },
		{ "userns_pool_limit", "16777217" },
		{ "userns_ring_size", "100" },
		{ "userns_ring_size", "32" },
		{ "userns_ring_size", "131072" },
		{ "userns_store_limit", "1099511627777" },
		{ "userns_store_limit", "lots" },
		{ "userns_conn_limit", "0" },
		{ "userns_conn_limit", "1048577" },
	};
	char got[32];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char val[32];

		snprintf(val, sizeof(val), "%s", bad[i].val);
		EXPECT_EQ(-EINVAL, evs_test_param(bad[i].param, "w", val, 0))
			TH_LOG("%s=%s", bad[i].param, bad[i].val);
	}
	for (i = 0; i < ARRAY_SIZE(ceilings); i++) {
		ASSERT_EQ(0, evs_test_param(ceilings[i].param, "r", got,
					    sizeof(got)));
		EXPECT_STREQ(self->saved[i], got) TH_LOG("%s", ceilings[i].param);
	}
	/* The tops of the ranges are taken. */
	EXPECT_EQ(0, set_ceiling("userns_max_payload", 65536));
	EXPECT_EQ(0, set_ceiling("userns_pool_limit", 16777216));
	EXPECT_EQ(0, set_ceiling("userns_ring_size", 65536));
	EXPECT_EQ(0, set_ceiling("userns_store_limit", 1099511627776ULL));
	EXPECT_EQ(0, set_ceiling("userns_conn_limit", 1048576));
	ASSERT_EQ(0, evs_test_param("userns_store_limit", "r", got,
				    sizeof(got)));
	EXPECT_STREQ("1099511627776", got);
}

/*
 * An unprivileged user with a user and network namespace of their own:
 * the namespace starts at the ceilings, each setting stops at its
 * ceiling (the ceiling itself taken, one more refused with a message
 * naming the parameter), and a refused set applies nothing of itself.
 */
TEST_F(ceil, own_user_namespace_stops_at_the_ceilings)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct evs_nl own;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ceilings); i++)
		ASSERT_EQ(0, set_ceiling(ceilings[i].param, ceilings[i].low));
	ASSERT_EQ(0, evs_test_drop_privileges());
	ASSERT_EQ(0, unshare(CLONE_NEWUSER)) {
		TH_LOG("unprivileged user namespaces disabled: %s",
		       strerror(errno));
	}
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	ASSERT_EQ(0, evs_nl_open(&own));
	for (i = 0; i < ARRAY_SIZE(ceilings); i++)
		EXPECT_EQ(ceilings[i].low,
			  evs_test_config_value(&own, ceilings[i].attr))
			TH_LOG("%s", ceilings[i].param);
	/* What has no ceiling keeps its default. */
	EXPECT_EQ(64, evs_test_config_value(&own, EVS_CFG_A_BATCH));

	for (i = 0; i < ARRAY_SIZE(ceilings); i++) {
		EXPECT_EQ(0, evs_test_config(&own, ceilings[i].attr,
					     ceilings[i].low))
			TH_LOG("%s: %s", ceilings[i].param, own.errmsg);
		EXPECT_EQ(-EPERM, evs_test_config(&own, ceilings[i].attr,
						  ceilings[i].over))
			TH_LOG("%s", ceilings[i].param);
		EXPECT_NE(NULL, strstr(own.errmsg, ceilings[i].param))
			TH_LOG("%s: message \"%s\"", ceilings[i].param,
			       own.errmsg);
		EXPECT_EQ(ceilings[i].low,
			  evs_test_config_value(&own, ceilings[i].attr));
		/* Down and back up to the ceiling. */
		EXPECT_EQ(0, evs_test_config(&own, ceilings[i].attr,
					     ceilings[i].attr ==
					     EVS_CFG_A_RING_SIZE ? 64 : 1));
		EXPECT_EQ(0, evs_test_config(&own, ceilings[i].attr,
					     ceilings[i].low));
	}

	/* One setting over its ceiling: the other of the set is not applied. */
	nlh = evs_nl_req(&own, buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, 5);
	mnl_attr_put_u32(nlh, EVS_CFG_A_POOL_LIMIT, 1001);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(-EPERM, evs_nl_talk(&own, nlh, NULL, NULL));
	EXPECT_EQ(64, evs_test_config_value(&own, EVS_CFG_A_BATCH));
	EXPECT_EQ(1000, evs_test_config_value(&own, EVS_CFG_A_POOL_LIMIT));
	evs_nl_close(&own);
}

/* Lines between a test and the namespace it made, one byte a step. */
struct steps {
	int to_child[2], to_parent[2];
};

static int step_wait(int fd)
{
	char c;

	return read(fd, &c, 1) == 1 ? 0 : -1;
}

static void step_go(int fd)
{
	if (write(fd, "x", 1) != 1)
		_exit(99);
}

/*
 * The child, unprivileged in its own user and network namespace, while
 * the parent (root) changes things between its steps.  Its exit status
 * is the number of the first step that went wrong, 0 when none did.
 */
static int ceiling_child(struct steps *st)
{
	struct evs_nl own;

	if (evs_test_drop_privileges() || unshare(CLONE_NEWUSER) ||
	    unshare(CLONE_NEWNET) || evs_nl_open(&own))
		return 1;
	step_go(st->to_parent[1]);
	/* Root, from the initial user namespace, set pool_limit 5000. */
	if (step_wait(st->to_child[0]))
		return 2;
	if (evs_test_config_value(&own, EVS_CFG_A_POOL_LIMIT) != 5000)
		return 3;
	/* Above the ceiling already: it may stay, or come down ... */
	if (evs_test_config(&own, EVS_CFG_A_POOL_LIMIT, 5000) ||
	    evs_test_config(&own, EVS_CFG_A_POOL_LIMIT, 4000))
		return 4;
	/* ... but not go up again. */
	if (evs_test_config(&own, EVS_CFG_A_POOL_LIMIT, 4001) != -EPERM ||
	    evs_test_config_value(&own, EVS_CFG_A_POOL_LIMIT) != 4000)
		return 5;
	step_go(st->to_parent[1]);
	/* Root raised the ceiling to 10000. */
	if (step_wait(st->to_child[0]))
		return 6;
	if (evs_test_config(&own, EVS_CFG_A_POOL_LIMIT, 10000) ||
	    evs_test_config(&own, EVS_CFG_A_POOL_LIMIT, 10001) != -EPERM)
		return 7;
	evs_nl_close(&own);
	return 0;
}

/*
 * The ceilings bind the user namespace, not the host's root: root may
 * set a container's namespace above them, and raises them at runtime.
 */
TEST_F(ceil, host_root_is_not_bound_and_moves_the_ceiling)
{
	char path[64];
	struct steps st;
	struct evs_nl host;
	int status, fd;
	pid_t pid;

	ASSERT_EQ(0, set_ceiling("userns_pool_limit", 1000));
	ASSERT_EQ(0, pipe(st.to_child));
	ASSERT_EQ(0, pipe(st.to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(st.to_child[1]);
		close(st.to_parent[0]);
		_exit(ceiling_child(&st));
	}
	/* A child that stops early is then an end of file, not a hang. */
	close(st.to_child[0]);
	close(st.to_parent[1]);
	ASSERT_EQ(0, step_wait(st.to_parent[0]));

	/* Root's own socket inside the child's namespace. */
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, setns(fd, CLONE_NEWNET));
	close(fd);
	ASSERT_EQ(0, evs_nl_open(&host));
	EXPECT_EQ(1000, evs_test_config_value(&host, EVS_CFG_A_POOL_LIMIT));
	EXPECT_EQ(0, evs_test_config(&host, EVS_CFG_A_POOL_LIMIT, 5000))
		TH_LOG("%s", host.errmsg);
	step_go(st.to_child[1]);
	ASSERT_EQ(0, step_wait(st.to_parent[0]));
	EXPECT_EQ(0, set_ceiling("userns_pool_limit", 10000));
	step_go(st.to_child[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child failed at step %d",
						 WEXITSTATUS(status));
	evs_nl_close(&host);
}

/*
 * The batch workqueue's CPUs are the administrator's to choose: its
 * cpumask on every kernel, and from 6.6 its affinity scope.
 */
TEST(batch_workqueue_is_tunable)
{
	const char *dir = "/sys/devices/virtual/workqueue/evs_batch";
	char path[128], buf[64];
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpumask", dir);
	ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s: %s", path, strerror(errno));
	if (!evs_test_kernel_at_least(6, 6))
		return;
	snprintf(path, sizeof(path), "%s/affinity_scope", dir);
	f = fopen(path, "r+");
	ASSERT_NE(NULL, f) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	EXPECT_EQ(0, strncmp(buf, "default", 7)) TH_LOG("scope %s", buf);
	fclose(f);
	/* Settable, and back. */
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	EXPECT_LT(0, fprintf(f, "system\n"));
	EXPECT_EQ(0, fclose(f));
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	EXPECT_LT(0, fprintf(f, "default\n"));
	EXPECT_EQ(0, fclose(f));
}

TEST_HARNESS_MAIN
