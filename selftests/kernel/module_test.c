// SPDX-License-Identifier: GPL-2.0
/*
 * evstream load and unload, as an administrator does it: the family and
 * /proc entries come and go with the module, in every namespace, and
 * nothing of the module stays behind.  Runs in the VM, where the module
 * is /lib/modules/evstream.ko and is loaded when the test starts.
 */
#include "evs_test.h"
#include <sys/wait.h>
#include "kselftest_harness.h"

static bool proc_dir_exists(void)
{
	struct stat st;

	return !stat("/proc/net/evstream", &st);
}

FIXTURE(mod) {
	int dummy;
};

FIXTURE_SETUP(mod)
{
	ASSERT_EQ(0, evs_test_new_netns());
	if (!evs_test_loaded())
		ASSERT_EQ(0, evs_test_load());
}

FIXTURE_TEARDOWN(mod)
{
	if (!evs_test_loaded())
		evs_test_load();
}

TEST_F(mod, unload_removes_family_and_proc)
{
	struct evs_nl nl;

	ASSERT_TRUE(proc_dir_exists());
	ASSERT_EQ(0, evs_test_unload());
	EXPECT_FALSE(evs_test_loaded());
	EXPECT_FALSE(proc_dir_exists());
	EXPECT_EQ(-ENOENT, evs_nl_open(&nl));
	evs_nl_close(&nl);
	EXPECT_EQ(0, evs_test_slab_caches());
}

TEST_F(mod, reload_gives_fresh_state)
{
	struct evs_stats st;
	struct evs_nl nl;
	int i;

	ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load());
	ASSERT_TRUE(proc_dir_exists());
	ASSERT_EQ(0, evs_nl_open(&nl));
	ASSERT_EQ(0, evs_test_get_stats(&nl, &st));
	for (i = 0; i < EVS_NR_COUNTERS; i++)
		EXPECT_EQ(0, st.counters[i]);
	evs_nl_close(&nl);
}

TEST_F(mod, socket_of_unloaded_family_gets_an_error)
{
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct evs_nl nl;

	ASSERT_EQ(0, evs_nl_open(&nl));
	ASSERT_EQ(0, evs_test_unload());
	nlh = evs_nl_req(&nl, buf, EVS_CMD_GET_STATS, 0);
	EXPECT_EQ(-ENOENT, evs_nl_talk(&nl, nlh, NULL, NULL));
	evs_nl_close(&nl);
}

/*
 * Namespaces that exist across an unload get their state back on the
 * next load; namespaces that die while loaded take theirs with them.
 */
TEST_F(mod, namespaces_across_unload)
{
	int to_child[2], to_parent[2];
	char c = 0;
	pid_t pid;
	int status;

	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Keeps a namespace of its own alive across the reload. */
		if (evs_test_new_netns() || !proc_dir_exists())
			_exit(1);
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(2);
		_exit(proc_dir_exists() ? 0 : 3);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load());
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(mod, load_unload_cycles)
{
	struct evs_nl nl;
	int i;

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, evs_test_unload());
		ASSERT_EQ(0, evs_test_load());
		ASSERT_EQ(0, evs_nl_open(&nl));
		evs_nl_close(&nl);
	}
}

TEST_F(mod, double_load_is_refused)
{
	EXPECT_EQ(-EEXIST, evs_test_load());
	EXPECT_TRUE(evs_test_loaded());
}

/*
 * Module parameters take the ranges CONFIG_SET takes: one over the top
 * refuses the load; the top itself loads, and what CONFIG_GET then shows
 * CONFIG_SET takes back.
 */
TEST_F(mod, parameters_have_the_netlink_ranges)
{
	static const char *const over[] = {
		"pool_limit=16777217", "conn_limit=1048577",
		"store_limit=1099511627777", "batch=65537",
		"max_payload=65537", "ring_size=131072", "pressure=101",
		"idle_timeout=86401", "ack_delay=1000001", "pool_limit=0",
	};
	static const char top[] =
		"pool_limit=16777216 conn_limit=1048576 store_limit=1099511627776 batch=65536";
	char buf[EVS_NL_REQ_SIZE] EVS_NL_ALIGNED;
	uint64_t pool, conn, store, batch;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct evs_nl nl;
	unsigned int i;

	ASSERT_EQ(0, evs_test_unload());
	for (i = 0; i < ARRAY_SIZE(over); i++) {
		EXPECT_EQ(-EINVAL, evs_test_load_ko(EVS_KO, over[i]))
			TH_LOG("%s", over[i]);
		EXPECT_FALSE(evs_test_loaded());
	}
	ASSERT_EQ(0, evs_test_load_ko(EVS_KO, top));
	/* A namespace made after the load has those defaults. */
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&nl));
	/*
	 * Read one by one: the attributes of a reply do not outlive the
	 * call that received it.
	 */
	pool = evs_test_config_value(&nl, EVS_CFG_A_POOL_LIMIT);
	conn = evs_test_config_value(&nl, EVS_CFG_A_CONN_LIMIT);
	store = evs_test_config_value(&nl, EVS_CFG_A_STORE_LIMIT);
	batch = evs_test_config_value(&nl, EVS_CFG_A_BATCH);
	EXPECT_EQ(16777216, pool);
	EXPECT_EQ(1048576, conn);
	EXPECT_EQ(1099511627776ULL, store);
	EXPECT_EQ(65536, batch);
	/* Set back exactly as shown: accepted. */
	nlh = evs_nl_req(&nl, buf, EVS_CMD_CONFIG_SET, 0);
	nest = mnl_attr_nest_start(nlh, EVS_A_CONFIG);
	mnl_attr_put_u32(nlh, EVS_CFG_A_POOL_LIMIT, pool);
	mnl_attr_put_u32(nlh, EVS_CFG_A_CONN_LIMIT, conn);
	mnl_attr_put_u64(nlh, EVS_CFG_A_STORE_LIMIT, store);
	mnl_attr_put_u32(nlh, EVS_CFG_A_BATCH, batch);
	mnl_attr_nest_end(nlh, nest);
	EXPECT_EQ(0, evs_nl_talk(&nl, nlh, NULL, NULL)) TH_LOG("%s", nl.errmsg);
	evs_nl_close(&nl);
	/* The other tests want the defaults back. */
	ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load());
}

/* In a user and network namespace of its own: 0 or the failed step. */
static int userns_defaults_child(void)
{
	struct evs_nl nl;
	int step = 0;

	if (evs_test_drop_privileges() || unshare(CLONE_NEWUSER) ||
	    unshare(CLONE_NEWNET) || evs_nl_open(&nl))
		return 1;
	if (evs_test_config_value(&nl, EVS_CFG_A_POOL_LIMIT) != 65536)
		step = 2;
	else if (evs_test_config_value(&nl, EVS_CFG_A_STORE_LIMIT) != 64 << 20)
		step = 3;
	else if (evs_test_config_value(&nl, EVS_CFG_A_CONN_LIMIT) != 1024)
		step = 4;
	/* No ceiling: the host's default. */
	else if (evs_test_config_value(&nl, EVS_CFG_A_BATCH) != 65536)
		step = 5;
	evs_nl_close(&nl);
	return step;
}

/*
 * Larger defaults that root loads the module with are for the host's
 * namespaces: one of another user namespace starts at the ceilings.
 */
TEST_F(mod, userns_namespaces_start_at_the_ceilings)
{
	static const char big[] =
		"pool_limit=16777216 conn_limit=1048576 store_limit=1099511627776 batch=65536";
	int status;
	pid_t pid;

	ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load_ko(EVS_KO, big));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(userns_defaults_child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("failed at step %d",
						 WEXITSTATUS(status));
	ASSERT_EQ(0, evs_test_unload());
	ASSERT_EQ(0, evs_test_load());
}

TEST_HARNESS_MAIN
