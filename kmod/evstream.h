/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the stages of evstream.ko.
 *
 * Who may touch what, in one place:
 * - struct evs_net: per network namespace, from net_generic().  @lock
 *   (a mutex) serialises the control plane: config, listeners, routes.
 * - struct evs_conn: the reader fields (parser, @cur, @ready, pend_tail,
 *   ring_cpu, counters) belong to whoever holds the socket lock: the
 *   softirq rx hook or the rx work item.  The tx work item owns
 *   pend_head and the ack state.  @lock guards the flags that decide
 *   whether work may still be queued for the connection.
 * - rings: one producer (the rx path on the ring's CPU, bottom halves
 *   off) and one consumer (the ring's work item).
 * - store: @lock, process context only.
 */
#ifndef _EVS_EVSTREAM_H
#define _EVS_EVSTREAM_H

#include <linux/list.h>
#include <linux/memcontrol.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/percpu.h>
#include <linux/refcount.h>
#include <linux/sched/mm.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <net/netlink.h>
#include <linux/evstream.h>
#include <evstream/parser.h>
#include <evstream/ring.h>
#include <evstream/stats_names.h>
#include <evstream/version.h>
#include "fault.h"

struct proc_dir_entry;
struct evs_conn;
struct evs_net;

/* ---- configuration (config.c, netlink.c, main.c) ---- */

/* Settings of a namespace.  Written under evs_net.lock, read anywhere. */
struct evs_config {
	u32 max_payload;
	u32 pool_limit;
	u32 pressure;		/* percent of pool_limit */
	u32 ring_size;
	u64 store_limit;
	u32 conn_limit;
	u32 batch;
	u32 idle_timeout;	/* s, 0: never */
	u32 ack_delay;		/* us */
};

/*
 * The ranges of the settings, one list for the netlink policy and the
 * module parameters alike: a value CONFIG_GET shows is one CONFIG_SET
 * takes.  max_payload's cap and the ring sizes come from the UAPI and
 * include/evstream/ring.h.
 */
#define EVS_POOL_LIMIT_MAX	BIT(24)
#define EVS_PRESSURE_MAX	100
#define EVS_RING_SIZE_MIN	64
#define EVS_RING_SIZE_MAX	65536
#define EVS_STORE_LIMIT_MAX	BIT_ULL(40)
#define EVS_CONN_LIMIT_MAX	BIT(20)
#define EVS_BATCH_MAX		65536
#define EVS_IDLE_TIMEOUT_MAX	86400		/* s */
#define EVS_ACK_DELAY_MAX	1000000		/* us */

/*
 * Every setting once: X(field of struct evs_config, its netlink type, its
 * EVS_CFG_A_ attribute, least, most, "ceil" if a namespace of another
 * user namespace is held to a userns_ ceiling or "noceil", "pow2" if it
 * must be a power of two or "any").  config.c makes the policy and every
 * check from it.
 */
#define EVS_SETTINGS(X)							\
	X(max_payload, U32, MAX_PAYLOAD, 0, EVS_WIRE_PAYLOAD_CAP, ceil, any)	\
	X(pool_limit, U32, POOL_LIMIT, 1, EVS_POOL_LIMIT_MAX, ceil, any)	\
	X(pressure, U8, PRESSURE, 1, EVS_PRESSURE_MAX, noceil, any)	\
	X(ring_size, U32, RING_SIZE, EVS_RING_SIZE_MIN, EVS_RING_SIZE_MAX,	\
	  ceil, pow2)							\
	X(store_limit, U64, STORE_LIMIT, 0, EVS_STORE_LIMIT_MAX, ceil, any)	\
	X(conn_limit, U32, CONN_LIMIT, 1, EVS_CONN_LIMIT_MAX, ceil, any)	\
	X(batch, U32, BATCH, 1, EVS_BATCH_MAX, noceil, any)		\
	X(idle_timeout, U32, IDLE_TIMEOUT, 0, EVS_IDLE_TIMEOUT_MAX, noceil,	\
	  any)								\
	X(ack_delay, U32, ACK_DELAY, 0, EVS_ACK_DELAY_MAX, noceil, any)

/* The module parameters: defaults for new namespaces. */
extern struct evs_config evs_default_config;

/* The settings that cost memory, as far as other user namespaces go. */
struct evs_ceiling {
	u32 max_payload;
	u32 pool_limit;
	u32 ring_size;
	u64 store_limit;
	u32 conn_limit;
};

extern struct evs_ceiling evs_userns_ceiling;

struct kernel_param;

extern const struct nla_policy evs_cfg_policy[EVS_CFG_A_MAX + 1];
/* The CONFIG nest of @c into @msg. */
int evs_config_put(struct sk_buff *msg, const struct evs_config *c);
/* The settings @tb (parsed with evs_cfg_policy) has, into @c. */
int evs_config_parse(struct evs_config *c, struct nlattr **tb,
		     struct netlink_ext_ack *extack);
/* @src into @dst, setting by setting, for readers that do not lock. */
void evs_config_store(struct evs_config *dst, const struct evs_config *src);
/* -EPERM if @new raises a setting of @old above its ceiling. */
int evs_config_check_ceiling(const struct evs_config *old,
			     const struct evs_config *new,
			     struct netlink_ext_ack *extack);
/* Brings @c down to the ceilings. */
void evs_config_clamp(struct evs_config *c);
/* -EINVAL, logged, if a setting of @c is out of its range. */
int evs_config_check_params(const struct evs_config *c);
/* The .set of the userns_* module parameters. */
int evs_param_set_ceiling(const char *val, const struct kernel_param *kp);

/* ---- events and pools (pool.c) ---- */

struct evs_event {
	struct list_head fifo;		/* store: namespace-wide age order */
	struct evs_conn *conn;		/* sender, holds a reference, until
					 * processed
					 */
	u64 conn_id;
	u64 t_ingest;			/* ns: header parsed */
	u64 t_dequeue;			/* ns: off the ring */
	u64 t_done;			/* ns: stored */
	u64 seq;			/* store sequence in its topic */
	u32 len;
	u32 client_seq;
	u32 pend_idx;			/* its slot in conn->pend */
	u16 topic;
	u8 prio;
	u8 flags;			/* wire flags */
	u8 cls;				/* pool size class */
	u8 charged;			/* to a memory cgroup: not pooled */
	u8 *data;			/* payload: inline_data, or an object
					 * of its own for large classes
					 */
	u8 inline_data[] __aligned(8);
};

int evs_pool_init(void);
void evs_pool_exit(void);
/* Pool slots a reader takes from the namespace's count at once. */
#define EVS_CREDIT_CHUNK 16
struct evs_event *evs_event_alloc(struct evs_net *en, u32 len, u32 *credits);
/* Gives back the slots a read took and did not use. */
void evs_credits_return(struct evs_net *en, u32 *credits);
void evs_event_free(struct evs_event *ev);
/*
 * @n events left the in-flight count (stored, or dropped at teardown),
 * @bytes their evs_event_cost().
 */
void evs_events_landed(struct evs_net *en, unsigned int n, unsigned long bytes);
/* What an event costs in memory, by class: the store charges this. */
extern u32 evs_class_costs[];

static inline u32 evs_event_cost(const struct evs_event *ev)
{
	return evs_class_costs[ev->cls];
}

/* What an event of @len payload bytes costs. */
u32 evs_class_cost(u32 len);

/* ---- rings and consumers (dispatch.c) ---- */

/* One ring and its single consumer. */
struct evs_ring_work {
	struct work_struct work;
	struct evs_net *en;
	struct evs_ring *ring;
	int cpu;
	u8 prio;
};

struct evs_cpu_rings {
	struct evs_ring_work rw[EVS_PRIO_NR];
};

int evs_dispatch_init(void);
void evs_dispatch_exit(void);
int evs_rings_alloc(struct evs_net *en);
void evs_rings_drain(struct evs_net *en);
void evs_rings_free(struct evs_net *en);
/* Producer side: queue the consumers of the rings this CPU filled. */
void evs_rings_kick(struct evs_net *en, unsigned int prio_mask);
u8 evs_route(struct evs_net *en, const struct evs_frame *f);

/* ---- connections (conn.c) ---- */

/* Events of one connection accepted but not yet stored, at most. */
#define EVS_CONN_WINDOW 1024
/* Stored frames an ACK may wait for while more are in flight. */
#define EVS_ACK_COALESCE (EVS_CONN_WINDOW / 2)
/* References the reader takes at once, to hand one to each event. */
#define EVS_CONN_REF_CHUNK 64

/* One accepted frame, in accept order, until stored and acked. */
struct evs_pend {
	u32 seq;
	u8 flags;
	u8 done;
};

/* Why a connection stopped reading (bits of evs_conn.pause_why). */
enum {
	EVS_PAUSE_POOL,		/* namespace pool limit */
	EVS_PAUSE_RING,		/* this CPU's ring for the priority full */
	EVS_PAUSE_WINDOW,	/* EVS_CONN_WINDOW events in flight */
	EVS_PAUSE_CPU,		/* rx moved CPU while events in flight */
	EVS_PAUSE_NOMEM,	/* no memory for an event: retried on a timer */
};

/*
 * Readers paused for lack of memory retry after a delay that doubles
 * from the first to the last while allocations keep failing, and starts
 * again at the first once one succeeds: never a spin, never given up.
 */
#define EVS_NOMEM_RETRY_MIN_MS	10
#define EVS_NOMEM_RETRY_MAX_MS	1000

/* Bits of evs_conn.flags. */
enum {
	EVS_CONN_DEAD,		/* closing: queue no more work for it */
	EVS_CONN_EOF,		/* peer closed and everything was read */
	EVS_CONN_ERROR,		/* protocol error: send ERROR, then close */
	EVS_CONN_ERROR_SENT,
	EVS_CONN_ACK_DUE,	/* an ACK_REQ frame was stored */
	EVS_CONN_PAUSED_NS,	/* on evs_net.paused */
	EVS_CONN_CLOSE_REQ,	/* close_work is queued: close_reason set */
	EVS_CONN_ACK_NOW,	/* the ACK delay is over */
	EVS_CONN_ACK_TIMER,	/* ack_work armed */
	EVS_CONN_LINGER,	/* ERROR sent, FIN sent: discard until EOF */
	EVS_CONN_STARTED,	/* announced: its reader may run */
};

/*
 * After its ERROR frame a connection waits this long for the client's
 * FIN, discarding what it sends, so that the ERROR is not lost to a
 * reset; then it closes whatever the client does.
 */
#define EVS_CONN_LINGER_MS 5000

struct evs_conn {
	struct list_head node;		/* evs_net.conns */
	struct list_head paused_node;	/* evs_net.paused */
	refcount_t ref;
	struct evs_net *en;
	struct evs_listener *listener;
	struct socket *sock;
	u64 id;
	struct sockaddr_storage peer;
	u16 local_port;

	/* Originals restored at close. */
	void (*saved_data_ready)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);

	/* Reader side (socket lock). */
	struct evs_parser parser;
	struct evs_event *cur;		/* being filled */
	struct evs_event *ready;	/* complete, waiting for ring room */
	unsigned int pushed;		/* prio bits filled this read */
	/* What this read did, counted once at its end. */
	u32 rd_frames;
	u32 rd_bytes;
	u32 rd_enq[EVS_PRIO_NR];
	u32 rd_refs;			/* connection references in hand */
	u32 rd_credits;			/* pool slots in hand */
	unsigned long rd_mem;		/* evs_event_cost() of events taken */
	u64 rd_now;			/* ns: this read's ingest stamp */
	int ring_cpu;			/* CPU whose rings hold its events */
	bool stop;			/* paused during this read */
	bool lowat;			/* sk_rcvlowat raised for a payload */
	u32 rd_seq;			/* TCP seq of the next byte parsed */
	u32 rd_avail;			/* bytes in the piece being parsed */
	u32 pend_tail;			/* next pend slot to fill */
	u64 events;
	u64 bytes;
	unsigned long pause_why;
	atomic_long_t resume_req;	/* pause reasons to lift (any context) */

	/* tx side (tx work). */
	u32 pend_head;			/* oldest not yet stored */
	u32 stored_seq;			/* highest client seq stored */
	u32 acked_seq;			/* last ACK sent */
	u32 unacked;			/* frames stored since the last ACK */
	bool stored_any;
	u8 txbuf[EVS_WIRE_HDR_LEN + 32];
	u16 tx_len;
	u16 tx_off;
	u8 close_reason;		/* enum evs_close_reason */
	u64 last_rx;			/* jiffies64: bytes last read */
	u32 idle_rcv_nxt;		/* idle scan: rcv_nxt it last saw */

	unsigned long flags;
	spinlock_t lock;		/* DEAD vs. queueing work */
	struct work_struct rx_work;
	struct work_struct tx_work;
	struct work_struct close_work;
	struct delayed_work ack_work;	/* ends an ACK delay */
	struct delayed_work linger_work; /* ends the wait after an ERROR */
	struct evs_pend *pend;		/* EVS_CONN_WINDOW slots */
};

int evs_conn_create(struct evs_listener *l, struct socket *sock);
void evs_conn_close(struct evs_conn *conn, u8 reason);
void evs_conn_close_sync(struct evs_conn *conn, u8 reason);
int evs_conn_del(struct evs_net *en, u64 id, struct netlink_ext_ack *extack);
void evs_conn_idle_scan(struct evs_net *en);
void evs_conn_put(struct evs_conn *conn);
void evs_conn_put_many(struct evs_conn *conn, unsigned int n);
void evs_conn_kick_tx(struct evs_conn *conn);
void evs_conn_resume(struct evs_conn *conn, unsigned long why);
void evs_resume_work_fn(struct work_struct *work);
void evs_nomem_work_fn(struct work_struct *work);

/*
 * Its EVS_CONN_* state, as netlink and /proc show it: derived here only,
 * from the flags, so that the two never disagree.
 */
static inline u8 evs_conn_state(const struct evs_conn *conn)
{
	if (test_bit(EVS_CONN_DEAD, &conn->flags))
		return EVS_CONN_CLOSING;
	if (test_bit(EVS_CONN_EOF, &conn->flags) ||
	    test_bit(EVS_CONN_ERROR, &conn->flags))
		return EVS_CONN_DRAINING;
	return EVS_CONN_OPEN;
}

/* Since bytes last arrived from it (it may be paused, not idle). */
static inline u64 evs_conn_idle_ms(const struct evs_conn *conn)
{
	return jiffies64_to_msecs(get_jiffies_64() - READ_ONCE(conn->last_rx));
}

/* Consumer side: the event is stored; let the connection ack it. */
static inline void evs_conn_event_done(struct evs_conn *conn, u32 idx)
{
	/* The tx work reads the slot after seeing done (acquire). */
	smp_store_release(&conn->pend[idx % EVS_CONN_WINDOW].done, 1);
}

/* ---- listeners (listen.c) ---- */

struct evs_listener {
	struct list_head node;		/* evs_net.listeners */
	struct evs_net *en;
	struct socket *sock;
	struct sockaddr_storage addr;	/* bound address, real port */
	void (*saved_data_ready)(struct sock *sk);
	struct work_struct accept_work;
	bool dead;			/* under sk_callback_lock */
	bool freebind;			/* bound with IP_FREEBIND */
	u64 accepted;
	u32 nconns;			/* under evs_net.conns_lock */
};

int evs_listen_add(struct evs_net *en, const struct sockaddr_storage *ss,
		   bool freebind, struct evs_listener **out,
		   struct netlink_ext_ack *extack);
int evs_listen_del(struct evs_net *en, const struct sockaddr_storage *ss,
		   struct netlink_ext_ack *extack);
void evs_listen_close_all(struct evs_net *en, u8 reason);
void evs_sock_release(struct socket *sock);
u16 evs_sockaddr_port(const struct sockaddr_storage *ss);

/* ---- store (store.c) ---- */

struct evs_topic {
	u64 first_seq;			/* oldest still stored */
	u64 next_seq;			/* the next one to store */
	u32 cap;			/* slots, a power of two */
	u16 id;
	struct evs_event **slot;	/* [seq & (cap - 1)] */
};

struct evs_store {
	spinlock_t lock;		/* everything below */
	struct list_head fifo;		/* every stored event, oldest first */
	u64 bytes;
	u64 events;
	struct xarray topics;		/* topic -> struct evs_topic */
};

void evs_store_init(struct evs_store *st);
void evs_store_exit(struct evs_store *st);
/* Events a consumer hands the store at once, at most. */
#define EVS_STORE_CHUNK 32
void evs_store_add(struct evs_net *en, struct evs_event **evs, unsigned int n);
/* Evicts down to store_limit now; process context. */
void evs_store_trim(struct evs_net *en);

/* ---- per-namespace state (main.c) ---- */

struct evs_net {
	struct net *net;
	struct mutex lock;		/* control plane: config, listeners, routes */
	struct evs_config cfg;
	/*
	 * Charged with what the namespace's clients make the module hold;
	 * NULL: nothing is.  Set under @lock before the first listener
	 * opens, put at namespace exit (main.c).
	 */
	struct mem_cgroup *memcg;

	struct list_head listeners;	/* under @lock */
	unsigned int nlisteners;
	u32 listeners_gen;		/* bumped on change, for dumps */

	/* conns, nconns, conns_gen, last_conn_id, listener counts */
	spinlock_t conns_lock;
	struct list_head conns;
	u32 nconns;
	u32 conns_gen;
	u64 last_conn_id;

	struct xarray routes;		/* topic -> xa_mk_value(prio) */
	u32 routes_gen;

	/* Pool accounting (pool.c). */
	atomic_t inflight;
	atomic_t inflight_high;
	atomic_long_t inflight_mem;	/* their evs_event_cost() */
	bool pool_denied;		/* a reader found the pool full */
	/*
	 * ms of the last retry of readers short of memory, 0: none; set
	 * under paused_lock.  Next to inflight, whose line every allocation
	 * writes anyway: the check on the rx path costs no other line.
	 */
	unsigned int nomem_delay;

	/* Rings (dispatch.c); NULL until the first listener. */
	struct evs_cpu_rings __percpu *rings;
	u32 rings_size;

	/* Connections paused on a namespace-wide resource. */
	spinlock_t paused_lock;		/* paused, npaused writes */
	struct list_head paused;
	unsigned int npaused;
	struct work_struct resume_work;
	/* Their retry when memory was short (nomem_delay: see above). */
	struct delayed_work nomem_work;

	struct evs_store store;

	/* Once a second while a listener is up: rates, idle connections. */
	struct delayed_work tick_work;
	unsigned long tick_last;	/* jiffies of the last tick */
	u64 tick_ctr[EVS_NR_COUNTERS];	/* raw counters then */

	struct evs_pcpu_stats __percpu *stats;
	/* Values at the last reset, under @lock; see stats.c. */
	u64 stats_base[EVS_NR_COUNTERS];
	u64 lat_base[EVS_PRIO_NR][EVS_LAT_BUCKETS];
	struct proc_dir_entry *proc_dir;
};

/* Takes the namespace's memory cgroup if it has none yet (main.c). */
void evs_memcg_take(struct evs_net *en);

/*
 * Flags for the sleeping allocations made on behalf of @en's clients,
 * between set_active_memcg(en->memcg) and its undoing.  At the cgroup's
 * limit they fail rather than wake the cgroup's OOM killer: each caller
 * has a way to do without (refuse, pause, evict), and counts it, so the
 * failure is no news for the kernel log either (kvmalloc()'s vmalloc
 * fallback would warn).
 */
static inline gfp_t evs_gfp(const struct evs_net *en)
{
	return en->memcg ?
	       GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN :
	       GFP_KERNEL;
}

extern unsigned int evs_net_id;
extern struct workqueue_struct *evs_ctl_wq;

static inline struct evs_net *evs_net(const struct net *net)
{
	return net_generic(net, evs_net_id);
}

void evs_maybe_resume(struct evs_net *en, bool more_coming);

/* ---- counters (stats.c) ---- */

/* One CPU's share of a namespace's counters and histograms. */
struct evs_pcpu_stats {
	u64_stats_t ctr[EVS_NR_COUNTERS];
	u64_stats_t lat[EVS_PRIO_NR][EVS_LAT_BUCKETS];
	struct u64_stats_sync syncp;
};

int evs_stats_init(struct evs_net *en);
void evs_stats_exit(struct evs_net *en);
void evs_stats_read(struct evs_net *en, u64 out[EVS_NR_COUNTERS]);
void evs_stats_read_raw(struct evs_net *en, u64 out[EVS_NR_COUNTERS]);
void evs_rate_tick(struct evs_net *en);
void evs_stats_read_latency(struct evs_net *en,
			    u64 out[EVS_PRIO_NR][EVS_LAT_BUCKETS]);
void evs_stats_reset(struct evs_net *en);
void evs_gauges_read(struct evs_net *en, u64 out[EVS_NR_GAUGES]);

/* ---- memory budget (budget.c) ---- */

struct evs_mem {
	u64 inflight, store, conns, rings, other, used, budget;
};

void evs_mem_read(struct evs_net *en, struct evs_mem *m);

/*
 * Adds @n to counter @attr (an EVS_STATS_A_* counter) of this CPU.  Safe
 * from any context: per-CPU data, no atomic read-modify-write.
 */
static inline void evs_stats_add(struct evs_net *en, int attr, u64 n)
{
	struct evs_pcpu_stats *s = get_cpu_ptr(en->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->ctr[attr - EVS_STATS_A_FIRST_COUNTER], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
	put_cpu_ptr(en->stats);
}

static inline void evs_stats_inc(struct evs_net *en, int attr)
{
	evs_stats_add(en, attr, 1);
}

void evs_stats_latency(struct evs_net *en, u8 prio, u64 ns, unsigned int n);

/* ---- netlink.c, proc.c ---- */

int evs_netlink_init(void);
void evs_netlink_exit(void);
/* Notifications on the monitor group; no-ops when nobody listens. */
void evs_notify_conn(struct evs_conn *conn, u8 cmd);
void evs_notify_listener(struct evs_net *en, const struct evs_listener *l,
			 u8 cmd);
void evs_notify_route(struct evs_net *en, u16 topic, int prio);
void evs_notify_config(struct evs_net *en);
void evs_notify_proto_error(struct evs_conn *conn);
void evs_notify_rate(struct evs_net *en, u32 interval_ms, const u64 *delta);
void evs_tick_start(struct evs_net *en);
int evs_proc_init_net(struct evs_net *en);
void evs_proc_exit_net(struct evs_net *en);

#endif /* _EVS_EVSTREAM_H */
