// SPDX-License-Identifier: GPL-2.0
/*
 * Memory cgroups: what a container's clients make the module hold is
 * charged to the container's cgroup, so memory.max contains it.
 *
 * The set-up is a container's: a cgroup, a task in it that makes a
 * network namespace and adds its listener, then the test process leaves
 * the cgroup before any client connects.  From then on nothing of ours
 * is charged there: whatever memory.current gains is the module's.
 *
 * Synchronisation is by the protocol and by the module's counters, each
 * waited for with a deadline, never by sleeping.
 */
#include "evs_test.h"
#include <pthread.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include "kselftest_harness.h"

#define TMO 30000		/* ms: generous for an emulated VM */
/* s: a test waits on up to three TMO deadlines */
#define TEST_TMO (4 * TMO / 1000)
#define CG_ROOT "/sys/fs/cgroup"
#define PAYLOAD 1000		/* the 1440-byte class: 1.5 KiB an event */

/* Reads a whole cgroup file into @buf; 0 or -errno. */
static int cg_read(const char *cg, const char *file, char *buf, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int cg_write(const char *cg, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	return evs_test_sysctl(path, val);
}

/* A number file such as memory.current; ~0 if unreadable. */
static uint64_t cg_value(const char *cg, const char *file)
{
	char buf[64];

	if (cg_read(cg, file, buf, sizeof(buf)))
		return ~0ULL;
	return strtoull(buf, NULL, 10);
}

/* One key of a flat keyed file such as memory.events; ~0 if absent. */
static uint64_t cg_key(const char *cg, const char *file, const char *key)
{
	char buf[4096], *p;
	size_t klen = strlen(key);

	if (cg_read(cg, file, buf, sizeof(buf)))
		return ~0ULL;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == ' ')
			return strtoull(p + klen + 1, NULL, 10);
	return ~0ULL;
}

/* Moves the calling process into @cg. */
static int cg_enter(const char *cg)
{
	return cg_write(cg, "cgroup.procs", "0");
}

/*
 * cgroup v2 with the memory controller, mounted if the guest has not:
 * 0, or a reason to skip.
 */
static const char *cg_setup(void)
{
	char buf[256];

	if (cg_read(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) &&
	    mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		return "no cgroup2 file system";
	if (cg_read(CG_ROOT, "cgroup.controllers", buf, sizeof(buf)) ||
	    !strstr(buf, "memory"))
		return "no memory controller";
	if (cg_write(CG_ROOT, "cgroup.subtree_control", "+memory"))
		return "cannot enable the memory controller";
	return NULL;
}

static uint64_t gauge(struct evs_nl *nl, int attr)
{
	struct evs_gauges g;

	if (evs_test_get_gauges(nl, &g))
		return ~0ULL;
	return g.values[attr - EVS_GAUGE_A_FIRST];
}

/* @n frames of PAYLOAD bytes to @topic, seq 0.., ACK_REQ on the last. */
static unsigned char *make_frames(unsigned int n, uint16_t topic, size_t *len)
{
	size_t frame = EVS_WIRE_HDR_LEN + PAYLOAD;
	unsigned char *buf = malloc(n * frame);
	unsigned int i;

	if (!buf)
		return NULL;
	for (i = 0; i < n; i++)
		evs_test_frame(buf + i * frame,
			       i == n - 1 ? EVS_WIRE_F_ACK_REQ : 0,
			       topic, EVS_PRIO_BATCH, i, PAYLOAD);
	*len = n * frame;
	return buf;
}

struct writer {
	int fd;
	const unsigned char *buf;
	size_t len;
	int err;
};

/* Writes may block for as long as ingest is paused: a thread of their own. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;

	w->err = evs_test_write(w->fd, w->buf, w->len);
	return NULL;
}

/*
 * Waits until what @read says of @attr (a counter or a gauge) is at
 * least @at_least, with a deadline: 0 or -ETIMEDOUT.
 * (evs_test_wait_counter() wants a counter equal.)
 */
static int wait_at_least(struct evs_nl *nl,
			 uint64_t (*read)(struct evs_nl *nl, int attr),
			 int attr, uint64_t at_least, int ms)
{
	uint64_t end = evs_test_now_ms() + ms, v;

	/* ~0: the request failed. */
	while ((v = read(nl, attr)) < at_least || v == ~0ULL) {
		if (evs_test_now_ms() >= end)
			return -ETIMEDOUT;
		poll(NULL, 0, 20);
	}
	return 0;
}

static int wait_counter_at_least(struct evs_nl *nl, int attr,
				 uint64_t at_least, int ms)
{
	return wait_at_least(nl, evs_test_counter, attr, at_least, ms);
}

/*
 * A reader short of memory is paused but for its retries, each of which
 * takes it off the list while it tries: one look may fall in one.
 */
static int wait_paused(struct evs_nl *nl, int ms)
{
	return wait_at_least(nl, gauge, EVS_GAUGE_A_PAUSED, 1, ms);
}

FIXTURE(memcg) {
	char cg[64];
	struct evs_nl nl;
	uint16_t port;
	uint64_t base;		/* memory.current with the listener up */
	uint64_t base_used;	/* mem_used then: the listener, the rings */
	uint64_t base_kernel;	/* memory.stat kernel then */
};

/*
 * A cgroup of our own; then, from inside it, a namespace and its
 * listener; then out again.
 */
FIXTURE_SETUP(memcg)
{
	const char *why = cg_setup();
	int port;

	self->cg[0] = '\0';
	if (why)
		SKIP(return, "%s", why);
	snprintf(self->cg, sizeof(self->cg), CG_ROOT "/evs-memcg-%d", getpid());
	ASSERT_EQ(0, mkdir(self->cg, 0755)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, cg_enter(self->cg));
	ASSERT_EQ(0, evs_test_new_netns());
	ASSERT_EQ(0, evs_nl_open(&self->nl));
	port = evs_test_listen(&self->nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
	ASSERT_LT(0, port) TH_LOG("listen add: %s %s", strerror(-port),
				  self->nl.errmsg);
	self->port = port;
	ASSERT_EQ(0, cg_enter(CG_ROOT));
	self->base = cg_value(self->cg, "memory.current");
	ASSERT_NE(~0ULL, self->base);
	self->base_used = gauge(&self->nl, EVS_GAUGE_A_MEM_USED);
	ASSERT_NE(~0ULL, self->base_used);
	self->base_kernel = cg_key(self->cg, "memory.stat", "kernel");
}

FIXTURE_TEARDOWN(memcg)
{
	if (!self->cg[0])
		return;
	evs_nl_close(&self->nl);
	cg_enter(CG_ROOT);
	/* Empty of tasks, it goes; the namespace's charges move up. */
	rmdir(self->cg);
}

/*
 * The events a client stores land in the cgroup of the namespace, not in
 * the client's (the root here) nor nowhere.
 */
TEST_F_TIMEOUT(memcg, stored_events_are_charged_to_the_namespace_cgroup,
	       TEST_TMO)
{
	unsigned int n = 4000;
	unsigned char *buf;
	uint64_t bytes, now;
	size_t len;
	int fd;

	/* The harness runs a body even after its set-up skipped. */
	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	buf = make_frames(n, 3, &len);
	ASSERT_NE(NULL, buf);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, buf, len));
	ASSERT_EQ(0, evs_test_wait_ack(fd, n - 1, TMO));
	bytes = gauge(&self->nl, EVS_GAUGE_A_STORE_BYTES);
	now = cg_value(self->cg, "memory.current");
	EXPECT_EQ(n, evs_test_stored(&self->nl, 3));
	EXPECT_LE(bytes * 9 / 10, now - self->base)
		TH_LOG("store holds %llu bytes, the cgroup gained %lld",
		       (unsigned long long)bytes,
		       (long long)(now - self->base));
	close(fd);
	free(buf);
}

/*
 * At memory.max ingest pauses; it does not push the cgroup past its
 * limit nor wake its OOM killer.  Lowering store_limit evicts at once,
 * the retry finds memory, and every frame sent is stored and acked.
 */
TEST_F_TIMEOUT(memcg, memory_max_pauses_ingest_and_loses_nothing, TEST_TMO)
{
	uint64_t max = self->base + (2 << 20), stored;
	struct writer w = { 0 };
	unsigned int n = 6000;
	unsigned char *buf;
	pthread_t thread;
	char val[32];

	/* The harness runs a body even after its set-up skipped. */
	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	buf = make_frames(n, 4, &w.len);
	ASSERT_NE(NULL, buf);
	w.buf = buf;
	snprintf(val, sizeof(val), "%llu", (unsigned long long)max);
	ASSERT_EQ(0, cg_write(self->cg, "memory.max", val));
	max = cg_value(self->cg, "memory.max");	/* rounded to pages */
	w.fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, w.fd);
	ASSERT_EQ(0, pthread_create(&thread, NULL, writer_main, &w));

	ASSERT_EQ(0, wait_counter_at_least(&self->nl, EVS_STATS_A_NOMEM_RETRIES,
					   2, TMO))
		TH_LOG("ingest never waited for memory; memory.current %llu",
		       (unsigned long long)cg_value(self->cg, "memory.current"));
	EXPECT_EQ(0, wait_paused(&self->nl, TMO));
	EXPECT_LE(cg_value(self->cg, "memory.current"), max);
	stored = evs_test_counter(&self->nl, EVS_STATS_A_STORED);
	EXPECT_GT(n, stored);

	/* The way out: a store that fits. */
	ASSERT_EQ(0, evs_test_config(&self->nl, EVS_CFG_A_STORE_LIMIT,
				     256 << 10));
	/* A consumer's chunk may be half added when we look. */
	EXPECT_GE((256 + 64) << 10, gauge(&self->nl, EVS_GAUGE_A_STORE_BYTES));
	ASSERT_EQ(0, evs_test_wait_ack(w.fd, n - 1, TMO));
	pthread_join(thread, NULL);
	EXPECT_EQ(0, w.err);
	EXPECT_EQ(n, evs_test_counter(&self->nl, EVS_STATS_A_STORED));
	EXPECT_EQ(n, evs_test_counter(&self->nl, EVS_STATS_A_EVICTED) +
		     evs_test_stored(&self->nl, 4));
	EXPECT_LE(cg_value(self->cg, "memory.current"), max);
	EXPECT_EQ(0, cg_key(self->cg, "memory.events", "oom_kill"));
	close(w.fd);
	free(buf);
}

/*
 * A container: a child that makes its network namespace from inside
 * @cg, as root or as an unprivileged user in a user namespace of its
 * own, adds a listener and waits to be killed.  Returns its pid, the
 * port on @port.
 */
static pid_t spawn_owner(const char *cg, bool unpriv, int *port)
{
	int pipefd[2], p = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (!pid) {
		struct evs_nl nl;

		close(pipefd[0]);
		if (cg_enter(cg))
			_exit(1);
		if (unpriv && (evs_test_drop_privileges() ||
			       unshare(CLONE_NEWUSER)))
			_exit(2);
		if (evs_test_new_netns() || evs_nl_open(&nl))
			_exit(3);
		p = evs_test_listen(&nl, EVS_CMD_LISTEN_ADD, "127.0.0.1:0");
		if (write(pipefd[1], &p, sizeof(p)) != sizeof(p))
			_exit(4);
		pause();
		_exit(5);
	}
	close(pipefd[1]);
	if (pid > 0 && read(pipefd[0], &p, sizeof(p)) != sizeof(p))
		p = 0;
	close(pipefd[0]);
	*port = p;
	return pid;
}

/* Moves this process into the network namespace of @pid. */
static int enter_netns(pid_t pid)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return err;
}

/*
 * A client outside the cgroup, in the owner's namespace, sending @len
 * bytes until killed.  It resets at exit: an orphan still sending into
 * a zero window would keep the namespace alive for its retries.
 */
static pid_t spawn_client(pid_t owner, int port, const void *buf, size_t len)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	if (enter_netns(owner))
		_exit(1);
	fd = evs_test_connect(AF_INET, port);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		_exit(2);
	evs_test_write(fd, buf, len);
	pause();
	_exit(3);
}

/*
 * A container's namespace at its memory.max: whatever its clients send,
 * the cgroup stays within its limit and nothing is OOM-killed; the
 * namespace dies while its reader waits for memory, and teardown gives
 * every charge back.
 */
static void container_at_memory_max(struct __test_metadata *_metadata,
				    const char *cg, bool unpriv)
{
	uint64_t base, max, slack, start, end, limit;
	pid_t owner, client;
	unsigned char *buf;
	struct evs_nl nl;
	int port, status, home;
	char val[32];
	size_t len;

	buf = make_frames(8000, 5, &len);
	ASSERT_NE(NULL, buf);
	owner = spawn_owner(cg, unpriv, &port);
	ASSERT_LT(0, owner);
	ASSERT_LT(0, port) TH_LOG("the owner could not listen: %s",
				  port ? strerror(-port) : "exited");
	base = cg_value(cg, "memory.current");
	max = base + (4 << 20);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)max);
	ASSERT_EQ(0, cg_write(cg, "memory.max", val));
	max = cg_value(cg, "memory.max");	/* rounded to pages */
	/* In the owner's namespace only to open a socket: ours keeps it. */
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, home);
	ASSERT_EQ(0, enter_netns(owner));
	ASSERT_EQ(0, evs_nl_open(&nl));
	ASSERT_EQ(0, setns(home, CLONE_NEWNET));
	close(home);
	/*
	 * A store that can outgrow memory.max, whatever the defaults and
	 * ceilings: the host's root is bound by neither.
	 */
	limit = evs_test_config_value(&nl, EVS_CFG_A_STORE_LIMIT);
	ASSERT_EQ(0, evs_test_config(&nl, EVS_CFG_A_STORE_LIMIT, 64 << 20))
		TH_LOG("store_limit %llu: %s", (unsigned long long)limit,
		       nl.errmsg);
	client = spawn_client(owner, port, buf, len);
	ASSERT_LT(0, client);

	EXPECT_EQ(0, wait_counter_at_least(&nl, EVS_STATS_A_NOMEM_RETRIES, 2,
					   TMO))
		TH_LOG("ingest never waited for memory; memory.current %llu, store_limit was %llu, %llu stored, %llu connections",
		       (unsigned long long)cg_value(cg, "memory.current"),
		       (unsigned long long)limit,
		       (unsigned long long)evs_test_counter(&nl, EVS_STATS_A_STORED),
		       (unsigned long long)gauge(&nl, EVS_GAUGE_A_CONNS));
	EXPECT_EQ(0, wait_paused(&nl, TMO));
	EXPECT_LE(cg_value(cg, "memory.current"), max);
	EXPECT_LT(base + (1 << 20), cg_value(cg, "memory.current"));
	EXPECT_EQ(0, cg_key(cg, "memory.events", "oom_kill"));
	evs_nl_close(&nl);
	kill(client, SIGKILL);
	kill(owner, SIGKILL);
	ASSERT_EQ(client, waitpid(client, &status, 0));
	ASSERT_EQ(owner, waitpid(owner, &status, 0));

	/*
	 * Namespaces are dismantled by a work item: wait until the charges
	 * are back to what the owner held before its clients came, give or
	 * take the per-CPU charge caches (64 pages a CPU).
	 */
	slack = get_nprocs_conf() * (256 << 10);
	start = evs_test_now_ms();
	end = start + TMO;
	while (cg_value(cg, "memory.current") > base + slack &&
	       evs_test_now_ms() < end)
		poll(NULL, 0, 50);
	EXPECT_GE(base + slack, cg_value(cg, "memory.current"))
		TH_LOG("memory.current %llu after %llu ms, %llu before",
		       (unsigned long long)cg_value(cg, "memory.current"),
		       (unsigned long long)(evs_test_now_ms() - start),
		       (unsigned long long)base);
	free(buf);
}

TEST_F_TIMEOUT(memcg, namespace_dying_at_memory_max_gives_all_back,
	       TEST_TMO)
{
	/* The harness runs a body even after its set-up skipped. */
	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	container_at_memory_max(_metadata, self->cg, false);
}

/*
 * The same owned by nobody, root only of a user namespace of its own
 * (unshare -Urn): the module's ceilings let it fill its store, and its
 * memory cgroup is what holds.
 */
TEST_F_TIMEOUT(memcg, unprivileged_owner_stays_within_memory_max, TEST_TMO)
{
	/* The harness runs a body even after its set-up skipped. */
	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	container_at_memory_max(_metadata, self->cg, true);
}

/* ---- The memory budget against hostile clients ---- */

/* Settings small enough that the budget means something. */
#define B_POOL		64
#define B_STORE		(1 << 20)
#define B_PAYLOAD	65536
/* s: a budget test at make stress's size takes longer */
#define BUDGET_TMO	(4 * TEST_TMO)

/*
 * The sizes: make check runs these small (EVS_STRESS_QUICK=1, as for
 * stress_test), make stress at full size: a thousand connections, every
 * topic id, more and longer senders.
 */
static unsigned int b_conns = 64, b_topics = 20000, b_clients = 8,
		    b_frames = 40;

static void budget_sizes(void)
{
	struct rlimit nofile = { 8192, 8192 };

	if (getenv("EVS_STRESS_QUICK"))
		return;
	b_conns = 1024;
	b_topics = 65535;
	b_clients = 16;
	b_frames = 100;
	/* Twice conn_limit clients, and the server's side of each. */
	setrlimit(RLIMIT_NOFILE, &nofile);
}

static int tight(struct evs_nl *nl)
{
	budget_sizes();
	return evs_test_config(nl, EVS_CFG_A_POOL_LIMIT, B_POOL) ?:
	       evs_test_config(nl, EVS_CFG_A_STORE_LIMIT, B_STORE) ?:
	       evs_test_config(nl, EVS_CFG_A_CONN_LIMIT, b_conns) ?:
	       evs_test_config(nl, EVS_CFG_A_MAX_PAYLOAD, B_PAYLOAD);
}

/*
 * The budget as docs/security.md ("Memory budget") writes it, for the
 * settings above, one listener, no routes and rings of @rings bytes: an
 * event of 64 KiB takes 65536 + 128 bytes, a connection 1 KiB and its
 * 8 KiB window, a topic 41 bytes, a listener 256.
 */
static uint64_t doc_budget(uint64_t rings)
{
	return (uint64_t)B_POOL * (65536 + 128) + B_STORE +
	       (uint64_t)b_conns * (1024 + 8192) + rings +
	       65536ULL * 41 + 256;
}

/*
 * Slab debugging (slub_debug, on in make check's main run) pads every
 * object with red zones and tracking, so the cgroup then sees more than
 * the objects the module counts: true when kmalloc-8k objects are not
 * 8 KiB.
 */
static bool slab_debugging(void)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	unsigned long act, num, size = 8192;
	char line[512], name[64];

	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &act, &num,
			   &size) == 4 && !strcmp(name, "kmalloc-8k"))
			break;
	fclose(f);
	return size != 8192;
}

/*
 * The module's memory for the namespace, as the cgroup sees it: what the
 * cgroup gained over the set-up, and what the namespace held then (its
 * listener and rings).  Now, from the kernel memory that memory.stat
 * counts object by object; at its highest so far, from memory.peak (where the
 * kernel has it), which also counts the pages a CPU holds charged ahead
 * (up to 64 per CPU): an upper bound.
 */
static uint64_t module_mem_now(struct _test_data_memcg *self)
{
	return cg_key(self->cg, "memory.stat", "kernel") - self->base_kernel +
	       self->base_used;
}

static uint64_t module_mem_peak(struct _test_data_memcg *self)
{
	uint64_t v = cg_value(self->cg, "memory.peak");

	if (v == ~0ULL)
		v = cg_value(self->cg, "memory.current");
	return v - self->base + self->base_used;
}

/*
 * The budget the module reports is the documented one and mem_used is
 * within it; and on a kernel that does not pad its objects (slab
 * debugging, KASAN), what the module held at its highest is within it
 * too, and what it holds now is what mem_used says, within a sixteenth
 * and 16 KiB.
 */
static void check_budget(struct __test_metadata *_metadata,
			 struct _test_data_memcg *self, const char *what)
{
	uint64_t used = gauge(&self->nl, EVS_GAUGE_A_MEM_USED);
	uint64_t budget = gauge(&self->nl, EVS_GAUGE_A_MEM_BUDGET);
	uint64_t rings = gauge(&self->nl, EVS_GAUGE_A_MEM_RINGS);
	uint64_t now = module_mem_now(self), peak = module_mem_peak(self);
	uint64_t slack = 16 << 10;

	TH_LOG("%s: the cgroup saw %llu now and %llu at most; mem_used %llu, mem_budget %llu%s",
	       what, (unsigned long long)now, (unsigned long long)peak,
	       (unsigned long long)used, (unsigned long long)budget,
	       slab_debugging() ? " (slab debugging)" : "");
	/*
	 * The documented figures are the kernels' as Debian ships them:
	 * lockdep (the debug kernels) makes every lock, and so the
	 * connection and the listener, larger.
	 */
	if (!access("/proc/lockdep", F_OK))
		TH_LOG("lockdep: the structures are not the documented size");
	else
		EXPECT_EQ(doc_budget(rings), budget);
	EXPECT_LE(used, budget);
	/* Padded objects (slab debugging, KASAN) are not what it counts. */
	if (slab_debugging())
		return;
	EXPECT_LE(peak, budget);
	EXPECT_LE(now, used + used / 16 + slack);
	EXPECT_LE(used, now + now / 16 + slack);
}

/*
 * Liveness after a hostile scenario: a well-behaved client on the same
 * namespace gets 100 frames stored and acked, within the deadline.
 */
static void served(struct __test_metadata *_metadata,
		   struct _test_data_memcg *self, uint16_t topic)
{
	unsigned char *buf;
	size_t len;
	int fd;

	buf = make_frames(100, topic, &len);
	ASSERT_NE(NULL, buf);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, buf, len));
	EXPECT_EQ(0, evs_test_wait_ack(fd, 99, TMO))
		TH_LOG("a well-behaved client got no ACK");
	EXPECT_EQ(100, evs_test_stored(&self->nl, topic));
	close(fd);
	free(buf);
}

/* Clients that each send a 64 KiB header and part of its payload, then stall. */
TEST_F_TIMEOUT(memcg, budget_holds_for_stalled_frames, BUDGET_TMO)
{
	unsigned char f[EVS_WIRE_HDR_LEN + 1000] = {};
	struct evs_frame h = {
		.magic = EVS_WIRE_MAGIC, .version = EVS_WIRE_VERSION,
		.length = B_PAYLOAD, .topic = 5, .priority = EVS_PRIO_TX,
	};
	unsigned int i;
	int *fd;

	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, tight(&self->nl));
	fd = calloc(b_conns, sizeof(*fd));
	ASSERT_NE(NULL, fd);
	evs_frame_encode(f, &h);
	/* All the connections there may be but one, for the bystander. */
	for (i = 0; i < b_conns - 1; i++) {
		fd[i] = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd[i]);
		ASSERT_EQ(0, evs_test_write(fd[i], f, sizeof(f)));
	}
	ASSERT_EQ(0, evs_test_wait_server_queued(self->port, b_conns - 1,
						 (b_conns - 1) * 1000UL, TMO));
	EXPECT_EQ(0, gauge(&self->nl, EVS_GAUGE_A_MEM_INFLIGHT));
	check_budget(_metadata, self, "stalled frames");
	served(_metadata, self, 50);
	for (i = 0; i < b_conns - 1; i++)
		close(fd[i]);
	free(fd);
}

/* Twice conn_limit clients, each holding its connection open. */
TEST_F_TIMEOUT(memcg, budget_holds_at_the_connection_limit, BUDGET_TMO)
{
	uint64_t rejected;
	unsigned int i;
	int *fd;

	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, tight(&self->nl));
	fd = calloc(2 * b_conns, sizeof(*fd));
	ASSERT_NE(NULL, fd);
	for (i = 0; i < 2 * b_conns; i++) {
		fd[i] = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd[i]);
	}
	ASSERT_EQ(0, evs_test_wait_counter(&self->nl,
					   EVS_STATS_A_CONN_REJECTED, b_conns,
					   TMO, &rejected))
		TH_LOG("%llu rejected", (unsigned long long)rejected);
	EXPECT_EQ(b_conns, gauge(&self->nl, EVS_GAUGE_A_CONNS));
	check_budget(_metadata, self, "connection limit");
	for (i = 0; i < 2 * b_conns; i++)
		close(fd[i]);
	/* The rejected ones were never connections: only the others close. */
	free(fd);
	ASSERT_EQ(0, evs_test_wait_counter(&self->nl, EVS_STATS_A_CONN_CLOSED,
					   b_conns, TMO, &rejected));
	served(_metadata, self, 50);
}

/*
 * Clients that send 64 KiB frames, each asking for an ACK, and read
 * none: the store keeps evicting, the pool is full, the ACKs wait.
 */
TEST_F_TIMEOUT(memcg, budget_holds_for_big_frames_and_ack_nonreaders,
	       BUDGET_TMO)
{
	size_t frame = EVS_WIRE_HDR_LEN + B_PAYLOAD;
	unsigned int i, clients, frames;
	pthread_t *thread;
	unsigned char *buf;
	struct writer *w;

	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, tight(&self->nl));
	clients = b_clients;
	frames = b_frames;
	w = calloc(clients, sizeof(*w));
	thread = calloc(clients, sizeof(*thread));
	ASSERT_TRUE(w && thread);
	buf = malloc(frames * frame);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < frames; i++)
		evs_test_frame(buf + i * frame, EVS_WIRE_F_ACK_REQ, 6,
			       EVS_PRIO_BATCH, i, B_PAYLOAD);
	for (i = 0; i < clients; i++) {
		w[i] = (struct writer){ .buf = buf, .len = frames * frame };
		w[i].fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, w[i].fd);
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, writer_main,
					    &w[i]));
	}
	for (i = 0; i < clients; i++) {
		pthread_join(thread[i], NULL);
		EXPECT_EQ(0, w[i].err);
	}
	ASSERT_EQ(0, wait_counter_at_least(&self->nl, EVS_STATS_A_STORED,
					   clients * frames, TMO));
	EXPECT_GE((uint64_t)B_STORE, gauge(&self->nl, EVS_GAUGE_A_STORE_BYTES));
	check_budget(_metadata, self, "big frames, ACKs unread");
	served(_metadata, self, 50);
	for (i = 0; i < clients; i++)
		close(w[i].fd);
	free(buf);
	free(thread);
	free(w);
}

/* One event to each of many topics: indexes come and go, topics stay. */
TEST_F_TIMEOUT(memcg, budget_holds_for_many_topics, BUDGET_TMO)
{
	enum { LEN = 16 };
	size_t frame = EVS_WIRE_HDR_LEN + LEN, len;
	unsigned int i, topics;
	unsigned char *buf;
	int fd;

	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, tight(&self->nl));
	/* Topic ids 0..topics - 1; the bystander takes topics. */
	topics = b_topics;
	len = topics * frame;
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < topics; i++)
		evs_test_frame(buf + i * frame,
			       i == topics - 1 ? EVS_WIRE_F_ACK_REQ : 0,
			       i, EVS_PRIO_TX, i, LEN);
	fd = evs_test_connect(AF_INET, self->port);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, evs_test_write(fd, buf, len));
	/* A topic's first event makes it: slow on a debug kernel. */
	ASSERT_EQ(0, evs_test_wait_ack(fd, topics - 1, 4 * TMO));
	EXPECT_GE((uint64_t)B_STORE, gauge(&self->nl, EVS_GAUGE_A_STORE_BYTES));
	check_budget(_metadata, self, "many topics");
	served(_metadata, self, topics + 1);
	close(fd);
	free(buf);
}

/* Clients that send an urgent byte before their frames, then leave. */
TEST_F_TIMEOUT(memcg, budget_holds_for_urgent_bytes, BUDGET_TMO)
{
	unsigned char f[EVS_WIRE_HDR_LEN + 100];
	unsigned int i;
	int fd;

	if (!self->cg[0])
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, tight(&self->nl));
	evs_test_frame(f, EVS_WIRE_F_ACK_REQ, 7, EVS_PRIO_TX, 1, 100);
	for (i = 0; i < 4 * b_conns; i++) {
		fd = evs_test_connect(AF_INET, self->port);
		ASSERT_LE(0, fd);
		ASSERT_EQ(1, send(fd, "U", 1, MSG_OOB));
		ASSERT_EQ(0, evs_test_write(fd, f, sizeof(f)));
		ASSERT_EQ(0, evs_test_wait_ack(fd, 1, TMO));
		close(fd);
	}
	/* Every one of them closed: nothing of theirs is left. */
	ASSERT_EQ(0, wait_counter_at_least(&self->nl, EVS_STATS_A_CONN_CLOSED,
					   4 * b_conns, TMO));
	EXPECT_EQ(0, gauge(&self->nl, EVS_GAUGE_A_MEM_CONNS));
	check_budget(_metadata, self, "urgent bytes");
	served(_metadata, self, 50);
}

TEST_HARNESS_MAIN
