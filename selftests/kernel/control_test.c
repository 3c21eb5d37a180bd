// SPDX-License-Identifier: GPL-2.0
/*
 * evstream control plane: the generic netlink family and /proc/net/evstream
 * as a user sees them.  Each test runs in a network namespace of its own.
 */
#include "evs_test.h"
#include <linux/capability.h>
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

	if (evs_nl_parse(nlh, tb, EVS_A_MAX) ||
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
