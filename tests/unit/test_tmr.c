/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tmr: hashed timing wheel. Every fire is recorded with the wheel's tick at
 * that moment (w->now while fire() runs is the tick being processed), so
 * "fires exactly at its tick" and "never early" are checked, not assumed.
 * A randomized run checks the wheel against a plain array model.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "test_dpdk.h"
#include "tmr.h"

#define NB_MBUF 63
#define MAX_EVENTS 256

static struct rte_mempool *mp;

struct obj {
	struct tmr_node node;
	int id;
	uint64_t period;      /* > 0: fire re-arms at expire + period */
	unsigned rearm_left;  /* how many more times to re-arm */
	struct obj *victim;   /* fire cancels this one */
	bool free_self;       /* fire frees the object (test_free) */
	bool rearm_now;       /* fire re-arms at w->now (period 0) */
};

/* What fire() saw, in order. */
static struct {
	struct tmr_wheel *w;
	unsigned n;
	int id[MAX_EVENTS];
	uint64_t tick[MAX_EVENTS];
} rec;

static void
rec_reset(struct tmr_wheel *w)
{
	memset(&rec, 0, sizeof(rec));
	rec.w = w;
}

static void
fire_rec(struct tmr_node *n, void *arg)
{
	struct obj *o = container_of(n, struct obj, node);

	assert_ptr_equal(arg, &rec);
	assert_false(tmr_pending(n)); /* unlinked before fire runs */
	assert_true(rec.n < MAX_EVENTS);
	rec.id[rec.n] = o->id;
	rec.tick[rec.n] = rec.w->now;
	rec.n++;
	if (o->victim != NULL)
		tmr_cancel(&o->victim->node);
	if (o->period > 0 && o->rearm_left > 0) {
		o->rearm_left--;
		tmr_add(rec.w, n, n->expire + o->period);
	}
	if (o->rearm_now && o->rearm_left > 0) {
		o->rearm_left--;
		tmr_add(rec.w, n, rec.w->now);
	}
	if (o->free_self)
		test_free(o);
}

static struct tmr_wheel *
wheel(uint32_t n_slots, uint64_t now)
{
	struct tmr_wheel *w = tmr_wheel_create(n_slots, now, (int)rte_socket_id());

	assert_non_null(w);
	assert_int_equal(w->now, now);
	assert_int_equal(tmr_wheel_count(w), 0);
	rec_reset(w);
	return w;
}

/* Advance one tick at a time up to `to`, with no budget limit. */
static unsigned
step_to(struct tmr_wheel *w, uint64_t to)
{
	unsigned total = 0;

	while (w->now < to)
		total += tmr_advance(w, w->now + 1, fire_rec, &rec, UINT_MAX);
	return total;
}

static void
test_create_args(void **state)
{
	const uint32_t bad[] = { 0, 3, 6, 100, UINT32_C(1) << 25, UINT32_MAX };
	struct tmr_wheel *w;

	(void)state;
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		errno = 0;
		assert_null(tmr_wheel_create(bad[i], 0, SOCKET_ID_ANY));
		assert_int_equal(errno, EINVAL);
	}
	w = tmr_wheel_create(1024, 77, SOCKET_ID_ANY);
	assert_non_null(w);
	assert_int_equal(w->now, 77);
	assert_int_equal(w->mask, 1023);
	assert_int_equal(tmr_advance(w, 77, fire_rec, &rec, UINT_MAX), 0);
	assert_int_equal(tmr_advance(w, 10, fire_rec, &rec, UINT_MAX), 0);
	assert_int_equal(w->now, 77);
	tmr_wheel_free(w);
	tmr_wheel_free(NULL);
}

static void
test_order(void **state)
{
	static const uint64_t exp[] = { 105, 101, 103, 103, 110, 108, 101, 112 };
	struct obj o[RTE_DIM(exp)];
	struct tmr_wheel *w;

	(void)state;
	/* Twice: tick by tick, then all in one call (within one revolution). */
	for (int pass = 0; pass < 2; pass++) {
		memset(o, 0, sizeof(o));
		w = wheel(16, 100);
		for (size_t i = 0; i < RTE_DIM(exp); i++) {
			o[i].id = (int)i;
			tmr_add(w, &o[i].node, exp[i]);
			assert_true(tmr_pending(&o[i].node));
		}
		if (pass == 0) {
			/* Before its tick, nothing fires. */
			assert_int_equal(step_to(w, 100), 0);
			for (uint64_t t = 101; t <= 115; t++) {
				unsigned before = rec.n;

				step_to(w, t);
				for (size_t i = 0; i < RTE_DIM(exp); i++)
					assert_int_equal(tmr_pending(&o[i].node), exp[i] > t);
				for (unsigned e = before; e < rec.n; e++)
					assert_int_equal(rec.tick[e], t);
			}
		} else {
			assert_int_equal(tmr_advance(w, 115, fire_rec, &rec, UINT_MAX),
					 RTE_DIM(exp));
		}
		assert_int_equal(rec.n, RTE_DIM(exp));
		for (unsigned e = 0; e < rec.n; e++) {
			assert_int_equal(rec.tick[e], exp[rec.id[e]]);
			if (e > 0)
				assert_true(rec.tick[e] >= rec.tick[e - 1]);
		}
		/* Both same-tick pairs fired at their tick (checked above)
		 * and all eight ids exactly once. */
		for (size_t i = 0; i < RTE_DIM(exp); i++) {
			unsigned seen = 0;

			for (unsigned e = 0; e < rec.n; e++)
				seen += rec.id[e] == (int)i;
			assert_int_equal(seen, 1);
		}
		assert_int_equal(w->now, 115);
		assert_int_equal(tmr_wheel_count(w), 0);
		tmr_wheel_free(w);
	}
}

static void
test_single_slot(void **state)
{
	struct obj o[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct tmr_wheel *w = wheel(1, 0);

	(void)state;
	tmr_add(w, &o[0].node, 5);
	tmr_add(w, &o[1].node, 3);
	tmr_add(w, &o[2].node, 7);
	step_to(w, 10);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.id[0], 1);
	assert_int_equal(rec.tick[0], 3);
	assert_int_equal(rec.id[1], 0);
	assert_int_equal(rec.tick[1], 5);
	assert_int_equal(rec.id[2], 2);
	assert_int_equal(rec.tick[2], 7);
	tmr_wheel_free(w);
}

static void
test_cancel(void **state)
{
	struct obj o[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct tmr_wheel *w = wheel(8, 0);

	(void)state;
	tmr_cancel(&o[3].node); /* never added: no-op */
	assert_false(tmr_pending(&o[3].node));
	tmr_add(w, &o[0].node, 4);
	tmr_add(w, &o[1].node, 4);
	tmr_add(w, &o[2].node, 12); /* same slot as 4, next revolution */
	tmr_cancel(&o[1].node);
	assert_false(tmr_pending(&o[1].node));
	tmr_cancel(&o[1].node); /* twice: no-op */
	assert_int_equal(tmr_wheel_count(w), 2);
	assert_int_equal(step_to(w, 4), 1);
	assert_int_equal(rec.id[0], 0);
	tmr_cancel(&o[0].node); /* after it fired: no-op */
	assert_true(tmr_pending(&o[2].node));
	tmr_cancel(&o[2].node);
	assert_int_equal(step_to(w, 40), 0);
	assert_int_equal(rec.n, 1);
	assert_int_equal(tmr_wheel_count(w), 0);
	tmr_wheel_free(w);
}

static void
test_cancel_in_fire(void **state)
{
	struct obj o[4] = { { .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 } };
	struct tmr_wheel *w = wheel(8, 0);

	(void)state;
	/* Slot 5 ends up as: o0 (5), o2 (13), o1 (5): o0 is walked first and
	 * cancels o1, still waiting behind it in the detached list. */
	tmr_add(w, &o[1].node, 5);
	tmr_add(w, &o[2].node, 13);
	tmr_add(w, &o[0].node, 5);
	tmr_add(w, &o[3].node, 6);
	o[0].victim = &o[1];
	assert_int_equal(tmr_advance(w, 5, fire_rec, &rec, UINT_MAX), 1);
	assert_int_equal(rec.id[0], 0);
	assert_false(tmr_pending(&o[1].node));
	assert_true(tmr_pending(&o[2].node));
	/* Now o0 fires at 6 and cancels o2, one revolution ahead in another
	 * slot; o3, in the same slot as o0, fires normally. */
	tmr_add(w, &o[0].node, 6);
	o[0].victim = &o[2];
	assert_int_equal(tmr_advance(w, 12, fire_rec, &rec, UINT_MAX), 2);
	assert_int_equal(tmr_advance(w, 40, fire_rec, &rec, UINT_MAX), 0);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.id[2] + rec.id[1], 3);
	assert_false(tmr_pending(&o[2].node));
	assert_int_equal(tmr_wheel_count(w), 0);
	for (unsigned e = 0; e < rec.n; e++)
		assert_true(rec.id[e] != 1 && rec.id[e] != 2);
	tmr_wheel_free(w);
}

static void
test_readd_in_fire(void **state)
{
	struct obj p = { .id = 7, .period = 3, .rearm_left = 4 };
	struct obj z = { .id = 8, .rearm_now = true, .rearm_left = 3 };
	struct tmr_wheel *w = wheel(4, 0);

	(void)state;
	/* Periodic, period 3 on a 4-slot wheel: fires at 3 6 9 12 15, each in
	 * a different slot and one revolution apart at most. */
	tmr_add(w, &p.node, 3);
	assert_int_equal(step_to(w, 30), 5);
	for (unsigned e = 0; e < 5; e++) {
		assert_int_equal(rec.id[e], 7);
		assert_int_equal(rec.tick[e], 3 * (e + 1));
	}
	assert_false(tmr_pending(&p.node));

	/* Re-armed "now" from inside fire: once per tick, never a loop. */
	rec_reset(w);
	tmr_add(w, &z.node, 31);
	assert_int_equal(tmr_advance(w, 31, fire_rec, &rec, UINT_MAX), 1);
	assert_true(tmr_pending(&z.node));
	assert_int_equal(tmr_advance(w, 31, fire_rec, &rec, UINT_MAX), 0);
	assert_int_equal(tmr_advance(w, 33, fire_rec, &rec, UINT_MAX), 2);
	assert_int_equal(rec.tick[1], 32);
	assert_int_equal(rec.tick[2], 33);
	assert_int_equal(tmr_advance(w, 34, fire_rec, &rec, UINT_MAX), 1);
	assert_false(tmr_pending(&z.node));
	tmr_wheel_free(w);
}

static void
test_readd_moves(void **state)
{
	struct obj a = { .id = 1 };
	struct tmr_wheel *w = wheel(8, 0);

	(void)state;
	tmr_add(w, &a.node, 5);
	tmr_add(w, &a.node, 9); /* moved, not duplicated */
	assert_int_equal(tmr_wheel_count(w), 1);
	assert_int_equal(step_to(w, 8), 0);
	tmr_add(w, &a.node, 3 + 8 * 3); /* moved into a later revolution */
	assert_int_equal(step_to(w, 26), 0);
	assert_int_equal(step_to(w, 27), 1);
	assert_int_equal(rec.tick[0], 27);
	assert_int_equal(step_to(w, 60), 0);
	tmr_wheel_free(w);
}

static void
test_wrap(void **state)
{
	/* 8 slots: 3, 11, 19, 43 share slot 3; 8, 16 and 0+64 share slot 0. */
	static const uint64_t exp[] = { 3, 11, 19, 43, 8, 16, 64, 7 };
	struct obj o[RTE_DIM(exp)];
	struct tmr_wheel *w = wheel(8, 0);

	(void)state;
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < RTE_DIM(exp); i++) {
		o[i].id = (int)i;
		tmr_add(w, &o[i].node, exp[i]);
	}
	assert_int_equal(step_to(w, 70), RTE_DIM(exp));
	for (unsigned e = 0; e < rec.n; e++)
		assert_int_equal(rec.tick[e], exp[rec.id[e]]);
	tmr_wheel_free(w);
}

static void
test_u32_boundary_and_jump(void **state)
{
	const uint64_t base = UINT32_MAX - 5;
	const uint64_t exp[] = { UINT32_MAX - 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
				 (uint64_t)UINT32_MAX + 2, (uint64_t)UINT32_MAX + 1 + 16 * 3 + 2 };
	struct obj o[RTE_DIM(exp)];
	struct obj x = { .id = 100 }, y = { .id = 101 };
	struct tmr_wheel *w = wheel(16, base);
	uint64_t target;

	(void)state;
	memset(o, 0, sizeof(o));
	for (size_t i = 0; i < RTE_DIM(exp); i++) {
		o[i].id = (int)i;
		tmr_add(w, &o[i].node, exp[i]);
	}
	assert_int_equal(step_to(w, base + 80), RTE_DIM(exp));
	for (unsigned e = 0; e < rec.n; e++)
		assert_int_equal(rec.tick[e], exp[rec.id[e]]);

	/* Jump 2^40 ticks in one call: x (overdue) fires once, y (just past
	 * the target) stays. Tick by tick this would never finish. */
	rec_reset(w);
	target = w->now + (UINT64_C(1) << 40);
	tmr_add(w, &x.node, w->now + 5);
	tmr_add(w, &y.node, target + 7);
	assert_int_equal(tmr_advance(w, target, fire_rec, &rec, UINT_MAX), 1);
	assert_int_equal(rec.id[0], 100);
	assert_true(rec.tick[0] >= x.node.expire && rec.tick[0] <= target);
	assert_int_equal(w->now, target);
	assert_true(tmr_pending(&y.node));
	assert_int_equal(step_to(w, target + 6), 0);
	assert_int_equal(step_to(w, target + 7), 1);
	assert_int_equal(rec.tick[1], target + 7);
	tmr_wheel_free(w);
}

static void
test_budget(void **state)
{
	struct obj o[13];
	struct obj late = { .id = 50 };
	struct tmr_wheel *w = wheel(16, 0);

	(void)state;
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 10; i++) {
		o[i].id = i + 1;
		tmr_add(w, &o[i].node, (uint64_t)i + 1); /* ids 1..10 at ticks 1..10 */
	}
	o[10].id = 11; /* not due by 10: must not fire at all */
	tmr_add(w, &o[10].node, 11);
	for (unsigned call = 1; call <= 10; call++) {
		assert_int_equal(tmr_advance(w, 10, fire_rec, &rec, 1), 1);
		assert_int_equal(rec.n, call);
		assert_int_equal(rec.id[call - 1], (int)call);
		assert_int_equal(rec.tick[call - 1], call); /* at its tick, not early */
		assert_true(w->now <= 10);
	}
	assert_int_equal(tmr_advance(w, 10, fire_rec, &rec, 1), 0);
	assert_int_equal(w->now, 10);
	assert_true(tmr_pending(&o[10].node));

	/* Three due in one tick, budget 1 then 0: the tick is resumed, and an
	 * expiry added "in the past" meanwhile fires at the resumed tick. */
	rec_reset(w);
	for (int i = 0; i < 2; i++) {
		o[11 + i].id = 12 + i;
		tmr_add(w, &o[11 + i].node, 11);
	}
	assert_int_equal(tmr_advance(w, 20, fire_rec, &rec, 0), 0);
	assert_int_equal(w->now, 10);
	assert_int_equal(tmr_advance(w, 20, fire_rec, &rec, 1), 1);
	assert_int_equal(w->now, 10);
	tmr_add(w, &late.node, 3);
	assert_int_equal(tmr_advance(w, 20, fire_rec, &rec, 2), 2);
	assert_int_equal(w->now, 10);
	assert_int_equal(tmr_advance(w, 20, fire_rec, &rec, 2), 1);
	assert_int_equal(w->now, 20);
	assert_int_equal(rec.n, 4);
	for (unsigned e = 0; e < rec.n; e++)
		assert_int_equal(rec.tick[e], 11);
	assert_int_equal(tmr_wheel_count(w), 0);
	tmr_wheel_free(w);
}

static void
test_past_expire(void **state)
{
	struct obj o[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct tmr_wheel *w = wheel(8, 100);

	(void)state;
	tmr_add(w, &o[0].node, 100);
	tmr_add(w, &o[1].node, 3);
	tmr_add(w, &o[2].node, 0);
	assert_int_equal(tmr_wheel_count(w), 3);
	assert_int_equal(tmr_advance(w, 100, fire_rec, &rec, UINT_MAX), 0);
	assert_int_equal(tmr_advance(w, 101, fire_rec, &rec, UINT_MAX), 3);
	for (unsigned e = 0; e < rec.n; e++)
		assert_int_equal(rec.tick[e], 101);
	tmr_wheel_free(w);
}

static void
test_count(void **state)
{
	struct obj o[5];
	struct tmr_wheel *w = wheel(4, 0);

	(void)state;
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 5; i++)
		tmr_add(w, &o[i].node, (uint64_t)(i + 1) * 3);
	assert_int_equal(tmr_wheel_count(w), 5);
	tmr_cancel(&o[4].node);
	assert_int_equal(tmr_wheel_count(w), 4);
	tmr_add(w, &o[0].node, 100);
	assert_int_equal(tmr_wheel_count(w), 4);
	assert_int_equal(step_to(w, 9), 2); /* 6 and 9 */
	assert_int_equal(tmr_wheel_count(w), 2);
	assert_int_equal(step_to(w, 100), 2);
	assert_int_equal(tmr_wheel_count(w), 0);
	tmr_wheel_free(w);
}

/* fire may free the fired node's owner, and cancel then free another. */
static void
test_free_owner_in_fire(void **state)
{
	struct tmr_wheel *w = wheel(8, 0);
	struct obj *a = test_calloc(1, sizeof(*a));
	struct obj *b = test_calloc(1, sizeof(*b));
	struct obj *c = test_calloc(1, sizeof(*c));

	(void)state;
	a->id = 1;
	a->free_self = true;
	a->victim = b;
	b->id = 2;
	c->id = 3;
	c->free_self = true;
	tmr_add(w, &b->node, 4);
	tmr_add(w, &a->node, 4);
	tmr_add(w, &c->node, 4 + 8);
	assert_int_equal(step_to(w, 4), 1);
	assert_false(tmr_pending(&b->node));
	test_free(b);
	assert_int_equal(step_to(w, 20), 1);
	assert_int_equal(rec.id[1], 3);
	assert_int_equal(tmr_wheel_count(w), 0);
	tmr_wheel_free(w);
}

static void
test_free_no_leak(void **state)
{
	struct rte_malloc_socket_stats before, after;
	int socket = (int)rte_socket_id();
	struct obj o = { .id = 1 };
	struct tmr_wheel *w;

	(void)state;
	assert_int_equal(rte_malloc_get_socket_stats(socket, &before), 0);
	for (int i = 0; i < 3; i++) {
		w = tmr_wheel_create(4096, 0, socket);
		assert_non_null(w);
		rec_reset(w);
		tmr_add(w, &o.node, 5);
		assert_int_equal(tmr_advance(w, 5, fire_rec, &rec, UINT_MAX), 1);
		tmr_wheel_free(w);
	}
	assert_int_equal(rte_malloc_get_socket_stats(socket, &after), 0);
	assert_int_equal(after.alloc_count, before.alloc_count);
	assert_int_equal(after.heap_allocsz_bytes, before.heap_allocsz_bytes);
}

/* ---- randomized check against a model ---- */

#define RND_NODES 64
#define RND_SLOTS 16
#define RND_OPS 10000

static struct {
	struct tmr_wheel *w;
	struct obj o[RND_NODES];
	bool pending[RND_NODES];
	uint64_t expire[RND_NODES];
	uint64_t eff[RND_NODES]; /* tick it must fire at: max(expire, now + 1) */
	uint64_t rng;
	uint64_t clock;  /* the caller's clock: never goes back */
	/* during one advance */
	uint64_t target;
	uint64_t last_tick;
	bool exact;   /* no jump and no leftover from a budget-cut jump */
	unsigned fired;
	unsigned total_fired;
	unsigned reentrant; /* how many fires re-armed or cancelled */
	bool draining;      /* fire only records */
} m;

static uint64_t
rnd(void)
{
	/* xorshift64*: fixed seed, so any failure replays. */
	m.rng ^= m.rng >> 12;
	m.rng ^= m.rng << 25;
	m.rng ^= m.rng >> 27;
	return m.rng * UINT64_C(2685821657736338717);
}

static uint64_t
rnd_below(uint64_t n)
{
	return rnd() % n;
}

static void
model_add(int i, uint64_t expire)
{
	tmr_add(m.w, &m.o[i].node, expire);
	m.pending[i] = true;
	m.expire[i] = expire;
	m.eff[i] = expire > m.w->now ? expire : m.w->now + 1;
}

static void
model_cancel(int i)
{
	tmr_cancel(&m.o[i].node);
	m.pending[i] = false;
}

static uint64_t
rnd_expire(void)
{
	/* From 20 ticks in the past to 3 revolutions ahead. */
	uint64_t e = m.w->now + rnd_below(3 * RND_SLOTS + 20);

	return e >= 20 ? e - 20 : 0;
}

static void
fire_model(struct tmr_node *n, void *arg)
{
	struct obj *o = container_of(n, struct obj, node);
	int i = o->id;
	uint64_t tick = m.w->now;

	(void)arg;
	assert_true(i >= 0 && i < RND_NODES);
	assert_true(m.pending[i]);          /* pending, and fires once */
	assert_true(m.expire[i] <= m.target);
	assert_true(tick >= m.eff[i]);      /* never early */
	assert_true(tick <= m.target);
	assert_true(tick >= m.last_tick);   /* ticks in order */
	if (m.exact)
		assert_int_equal(tick, m.eff[i]); /* exactly at its tick */
	m.last_tick = tick;
	m.pending[i] = false;
	m.fired++;
	if (m.draining)
		return;
	switch (rnd_below(8)) {
	case 0:
	case 1:
		model_add(i, rnd_expire());
		m.reentrant++;
		break;
	case 2:
		model_cancel((int)rnd_below(RND_NODES));
		m.reentrant++;
		break;
	case 3:
		model_add((int)rnd_below(RND_NODES), rnd_expire());
		m.reentrant++;
		break;
	default:
		break;
	}
}

static void
model_check(void)
{
	uint32_t count = 0;

	for (int i = 0; i < RND_NODES; i++) {
		assert_int_equal(tmr_pending(&m.o[i].node), m.pending[i]);
		count += m.pending[i];
	}
	assert_int_equal(tmr_wheel_count(m.w), count);
}

static void
model_advance(void)
{
	uint64_t r = rnd_below(100);
	uint64_t delta = r < 70 ? rnd_below(6) : r < 90 ? rnd_below(40) : rnd_below(200);
	unsigned max = rnd_below(2) ? UINT_MAX : (unsigned)rnd_below(5);
	bool jump;
	unsigned got;

	/* A call cut short leaves w->now behind the clock; the next call
	 * passes the clock again, as the worker will. */
	m.clock += delta;
	m.target = m.clock;
	jump = m.target - m.w->now > RND_SLOTS;
	m.exact = m.exact && !jump;
	m.last_tick = 0;
	m.fired = 0;
	got = tmr_advance(m.w, m.target, fire_model, NULL, max);
	assert_int_equal(got, m.fired);
	assert_true(got <= max);
	m.total_fired += got;
	assert_true(m.w->now <= m.target);
	if (got < max) {
		/* Budget not exhausted: everything due by target fired. */
		assert_int_equal(m.w->now, m.target);
		for (int i = 0; i < RND_NODES; i++)
			assert_false(m.pending[i] && m.eff[i] <= m.target);
		m.exact = true;
	} else if (m.exact) {
		/* Cut short: what fired is a prefix of the model sorted by
		 * tick; whatever remains is due at w->now + 1 or later. */
		for (int i = 0; i < RND_NODES; i++)
			assert_false(m.pending[i] && m.eff[i] <= m.w->now);
	}
}

static void
test_random(void **state)
{
	(void)state;
	memset(&m, 0, sizeof(m));
	m.rng = UINT64_C(0x9e3779b97f4a7c15);
	m.exact = true;
	/* Start close to 2^32 so the run crosses it. */
	m.w = tmr_wheel_create(RND_SLOTS, UINT32_MAX - 3000, SOCKET_ID_ANY);
	assert_non_null(m.w);
	m.clock = m.w->now;
	for (int i = 0; i < RND_NODES; i++)
		m.o[i].id = i;
	for (int op = 0; op < RND_OPS; op++) {
		uint64_t r = rnd_below(100);

		if (r < 40)
			model_add((int)rnd_below(RND_NODES), rnd_expire());
		else if (r < 55)
			model_cancel((int)rnd_below(RND_NODES));
		else
			model_advance();
		model_check();
	}
	/* Drain: everything left fires by the latest expiry, nothing remains. */
	m.draining = true;
	m.exact = false;
	m.target = m.clock + 3 * RND_SLOTS + 20;
	m.last_tick = 0;
	tmr_advance(m.w, m.target, fire_model, NULL, UINT_MAX);
	model_check();
	assert_int_equal(tmr_wheel_count(m.w), 0);
	assert_true(m.w->now > UINT32_MAX);
	/* Enough happened for the run to mean something. */
	assert_true(m.total_fired > 1000);
	assert_true(m.reentrant > 100);
	tmr_wheel_free(m.w);
}

TEST_DPDK_GROUP("test_tmr", NB_MBUF)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_single_slot),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_cancel_in_fire),
		cmocka_unit_test(test_readd_in_fire),
		cmocka_unit_test(test_readd_moves),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_u32_boundary_and_jump),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_past_expire),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_free_owner_in_fire),
		cmocka_unit_test(test_free_no_leak),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
