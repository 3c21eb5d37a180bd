// SPDX-License-Identifier: GPL-2.0
/*
 * evs_bench: in-kernel micro-benchmarks for evstream, never part of
 * evstream.ko.  Loading it runs every benchmark once and prints one line
 * per result to the kernel log ("evs_bench: ..."), then it stays loaded
 * doing nothing until removed.  bench/run.sh reads the lines.
 *
 * What it measures, each as the median of @repeats runs with the spread:
 * - event allocation: evstream's pool (kmod/pool.h, the very code
 *   evstream.ko runs, on caches of the same sizes) against kmalloc() and
 *   kfree() of the same size, one at a time and 256 in flight;
 * - the SPSC ring: push+pop on one CPU, and a producer and a consumer on
 *   two CPUs;
 * - queue_work_on() to the work function starting.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <evstream/ring.h>
#include "../evstream.h"
#include "../pool.h"

static unsigned int iters = 100000;
module_param(iters, uint, 0444);
MODULE_PARM_DESC(iters, "operations per run (100000)");
static unsigned int repeats = 7;
module_param(repeats, uint, 0444);
MODULE_PARM_DESC(repeats, "runs per benchmark; the median is reported (7)");

#define MAX_REPEATS 31

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

struct result {
	u64 median;	/* ps per operation */
	u64 min, max;
};

static struct result summarize(u64 *ps, unsigned int n)
{
	struct result r;

	sort(ps, n, sizeof(*ps), cmp_u64, NULL);
	r.median = ps[n / 2];
	r.min = ps[0];
	r.max = ps[n - 1];
	return r;
}

static void report(const char *what, struct result r)
{
	pr_info("%-36s %6llu.%03llu ns/op (min %llu.%03llu, max %llu.%03llu)\n",
		what, r.median / 1000, r.median % 1000, r.min / 1000,
		r.min % 1000, r.max / 1000, r.max % 1000);
}

static void report_ratio(const char *what, struct result a, struct result b)
{
	u64 milli = b.median ? div64_u64(a.median * 1000, b.median) : 0;

	pr_info("%-36s %llu.%03llu\n", what, milli / 1000, milli % 1000);
}

static u64 ps[MAX_REPEATS];

/* ---- allocation ---- */

#define INFLIGHT 256

static void *objs[INFLIGHT];

/* One object at a time: the hot path of a lightly loaded system. */
static u64 run_pool_pairs(struct evs_pool *p)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++)
		evs_pool_put(p, evs_pool_get(p, GFP_KERNEL));
	return div_u64((ktime_get_ns() - t) * 1000, iters);
}

static u64 run_kmalloc_pairs(size_t size)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++)
		kfree(kmalloc(size, GFP_KERNEL));
	return div_u64((ktime_get_ns() - t) * 1000, iters);
}

/* INFLIGHT objects held at once, as under load: ps per alloc+free. */
static u64 run_pool_inflight(struct evs_pool *p)
{
	unsigned int i, j, rounds = max(iters / INFLIGHT, 1U);
	u64 t = ktime_get_ns();

	for (i = 0; i < rounds; i++) {
		for (j = 0; j < INFLIGHT; j++)
			objs[j] = evs_pool_get(p, GFP_KERNEL);
		for (j = 0; j < INFLIGHT; j++)
			evs_pool_put(p, objs[j]);
	}
	return div_u64((ktime_get_ns() - t) * 1000, rounds * INFLIGHT);
}

static u64 run_kmalloc_inflight(size_t size)
{
	unsigned int i, j, rounds = max(iters / INFLIGHT, 1U);
	u64 t = ktime_get_ns();

	for (i = 0; i < rounds; i++) {
		for (j = 0; j < INFLIGHT; j++)
			objs[j] = kmalloc(size, GFP_KERNEL);
		for (j = 0; j < INFLIGHT; j++)
			kfree(objs[j]);
	}
	return div_u64((ktime_get_ns() - t) * 1000, rounds * INFLIGHT);
}

static int bench_alloc(void)
{
	static const unsigned int payload[] = { 64, 512, 4096 };
	static const unsigned int class[] = { 256, 1024, 4096 };
	struct result rp, rk;
	struct evs_pool pool;
	char name[64];
	unsigned int c, r;

	for (c = 0; c < ARRAY_SIZE(payload); c++) {
		size_t size = sizeof(struct evs_event) + class[c];

		snprintf(name, sizeof(name), "evs_bench_%u", class[c]);
		if (evs_pool_create(&pool, name, size))
			return -ENOMEM;

		for (r = 0; r < repeats; r++) {
			ps[r] = run_pool_pairs(&pool);
			cond_resched();
		}
		rp = summarize(ps, repeats);
		for (r = 0; r < repeats; r++) {
			ps[r] = run_kmalloc_pairs(size);
			cond_resched();
		}
		rk = summarize(ps, repeats);
		snprintf(name, sizeof(name), "alloc+free %u B, pool", payload[c]);
		report(name, rp);
		snprintf(name, sizeof(name), "alloc+free %u B, kmalloc", payload[c]);
		report(name, rk);
		snprintf(name, sizeof(name), "alloc+free %u B, pool/kmalloc", payload[c]);
		report_ratio(name, rp, rk);

		for (r = 0; r < repeats; r++) {
			ps[r] = run_pool_inflight(&pool);
			cond_resched();
		}
		rp = summarize(ps, repeats);
		for (r = 0; r < repeats; r++) {
			ps[r] = run_kmalloc_inflight(size);
			cond_resched();
		}
		rk = summarize(ps, repeats);
		snprintf(name, sizeof(name), "256 in flight %u B, pool", payload[c]);
		report(name, rp);
		snprintf(name, sizeof(name), "256 in flight %u B, kmalloc", payload[c]);
		report(name, rk);
		snprintf(name, sizeof(name), "256 in flight %u B, pool/kmalloc",
			 payload[c]);
		report_ratio(name, rp, rk);
		evs_pool_destroy(&pool);
		cond_resched();
	}
	return 0;
}

/* ---- the ring ---- */

#define RING_SLOTS 4096

static struct evs_ring *ring;

static u64 run_ring_same_cpu(void)
{
	u64 t = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < iters; i++) {
		evs_ring_push(ring, (void *)(unsigned long)(i + 1));
		if (evs_ring_pop(ring) != (void *)(unsigned long)(i + 1))
			return 0;
	}
	return div_u64((ktime_get_ns() - t) * 1000, iters);
}

struct xcpu {
	struct completion ready, go, done;
	unsigned int bad;
};

static int ring_consumer(void *arg)
{
	struct xcpu *x = arg;
	unsigned long want = 1;
	void *p;

	complete(&x->ready);
	wait_for_completion(&x->go);
	while (want <= iters) {
		p = evs_ring_pop(ring);
		if (!p) {
			cond_resched();
			continue;
		}
		if (p != (void *)want)
			x->bad++;
		want++;
	}
	complete(&x->done);
	return 0;
}

/* Producer here, consumer on another CPU: ps per item handed over. */
static u64 run_ring_cross_cpu(int cpu)
{
	struct task_struct *tsk;
	struct xcpu x = { 0 };
	unsigned long i;
	u64 t;

	init_completion(&x.ready);
	init_completion(&x.go);
	init_completion(&x.done);
	evs_ring_init(ring, RING_SLOTS);
	tsk = kthread_create(ring_consumer, &x, "evs_bench_cons");
	if (IS_ERR(tsk))
		return 0;
	kthread_bind(tsk, cpu);
	wake_up_process(tsk);
	wait_for_completion(&x.ready);
	t = ktime_get_ns();
	complete(&x.go);
	for (i = 1; i <= iters; i++)
		while (!evs_ring_push(ring, (void *)i))
			cond_resched();
	wait_for_completion(&x.done);
	t = ktime_get_ns() - t;
	return x.bad ? 0 : div_u64(t * 1000, iters);
}

static int bench_ring(void)
{
	int here, other;
	unsigned int r;

	ring = kvmalloc(evs_ring_bytes(RING_SLOTS), GFP_KERNEL);
	if (!ring)
		return -ENOMEM;
	evs_ring_init(ring, RING_SLOTS);
	for (r = 0; r < repeats; r++) {
		preempt_disable();
		ps[r] = run_ring_same_cpu();
		preempt_enable();
		cond_resched();
	}
	report("ring push+pop, same CPU", summarize(ps, repeats));

	here = get_cpu();
	put_cpu();
	other = cpumask_any_but(cpu_online_mask, here);
	if (other < nr_cpu_ids) {
		struct cpumask mask;

		/* Keep this producer on its CPU while it runs. */
		cpumask_clear(&mask);
		cpumask_set_cpu(here, &mask);
		set_cpus_allowed_ptr(current, &mask);
		for (r = 0; r < repeats; r++) {
			ps[r] = run_ring_cross_cpu(other);
			cond_resched();
		}
		set_cpus_allowed_ptr(current, cpu_possible_mask);
		report("ring handoff, two CPUs (per item)", summarize(ps, repeats));
	}
	kvfree(ring);
	return 0;
}

/* ---- queue_work to the work running ---- */

struct wq_probe {
	struct work_struct work;
	u64 queued;
	u64 started;
	struct completion done;
};

static void wq_probe_fn(struct work_struct *work)
{
	struct wq_probe *w = container_of(work, struct wq_probe, work);

	w->started = ktime_get_ns();
	complete(&w->done);
}

static u64 run_queue_work(struct workqueue_struct *wq, int cpu)
{
	unsigned int i, n = min(iters / 100, 2000U);
	struct wq_probe w;
	u64 sum = 0;

	INIT_WORK_ONSTACK(&w.work, wq_probe_fn);
	init_completion(&w.done);
	for (i = 0; i < n; i++) {
		reinit_completion(&w.done);
		w.queued = ktime_get_ns();
		queue_work_on(cpu, wq, &w.work);
		wait_for_completion(&w.done);
		sum += w.started - w.queued;
	}
	destroy_work_on_stack(&w.work);
	return div_u64(sum * 1000, n);
}

static int bench_queue_work(void)
{
	struct workqueue_struct *hi, *bound;
	unsigned int r;
	int cpu;

	hi = alloc_workqueue("evs_bench_hi", WQ_HIGHPRI, 0);
	bound = alloc_workqueue("evs_bench", 0, 0);
	if (!hi || !bound)
		goto out;
	cpu = get_cpu();
	put_cpu();
	for (r = 0; r < repeats; r++) {
		ps[r] = run_queue_work(bound, cpu);
		cond_resched();
	}
	report("queue_work -> start, bound wq", summarize(ps, repeats));
	for (r = 0; r < repeats; r++) {
		ps[r] = run_queue_work(hi, cpu);
		cond_resched();
	}
	report("queue_work -> start, WQ_HIGHPRI", summarize(ps, repeats));
out:
	if (hi)
		destroy_workqueue(hi);
	if (bound)
		destroy_workqueue(bound);
	return 0;
}

static int __init evs_bench_init(void)
{
	int err;

	repeats = clamp(repeats, 1U, (unsigned int)MAX_REPEATS);
	pr_info("start: %u operations per run, median of %u runs\n", iters,
		repeats);
	err = bench_alloc() ?: bench_ring() ?: bench_queue_work();
	pr_info("done\n");
	return err;
}

static void __exit evs_bench_exit(void)
{
}

module_init(evs_bench_init);
module_exit(evs_bench_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("evstream micro-benchmarks (not part of evstream.ko)");
