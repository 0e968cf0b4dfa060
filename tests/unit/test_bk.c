/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets with stable slots: absent slots match nothing, drained and
 * down ones still match by name and address (dialogs) but get no new calls,
 * and the Maglev table of the active ones holds slot numbers, the same
 * choices as a set made of the active ones alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bk.h"

static struct bk
mk(const char *name, uint8_t last, uint8_t state)
{
	struct bk b;

	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", name);
	b.addr = (uint32_t)(198 | 18 << 8 | 0 << 16) | (uint32_t)last << 24;
	b.port = 5060;
	b.weight = 1;
	b.state = state;
	return b;
}

static struct sv
sv_of(const char *s)
{
	return (struct sv){ s, (uint16_t)strlen(s) };
}

static void
test_slots_and_states(void **state)
{
	struct bk in[4] = {
		mk("be1", 21, BK_ACTIVE), mk("gone", 22, BK_ABSENT),
		mk("be3", 23, BK_DRAINED), mk("be4", 24, BK_ACTIVE),
	};
	struct bk only[2] = { mk("be1", 21, BK_ACTIVE), mk("be4", 24, BK_ACTIVE) };
	struct bk_set *s, *ref;
	unsigned hits[4] = { 0 };
	char cid[32];

	(void)state;
	s = bk_set_create(in, 4);
	ref = bk_set_create(only, 2);
	assert_non_null(s);
	assert_non_null(ref);
	assert_int_equal(s->n, 4);
	assert_int_equal(s->n_active, 2);
	assert_int_equal(bk_set_by_name(s, sv_of("be1")), 0);
	assert_int_equal(bk_set_by_name(s, sv_of("gone")), -1);
	assert_int_equal(bk_set_by_name(s, sv_of("be3")), 2);
	assert_int_equal(bk_set_by_addr(s, in[1].addr, 5060), -1);
	assert_int_equal(bk_set_by_addr(s, in[2].addr, 5060), 2);
	for (unsigned i = 0; i < 20000; i++) {
		int p, q;

		snprintf(cid, sizeof(cid), "call-%u@x", i);
		p = bk_set_pick(s, sv_of(cid));
		q = bk_set_pick(ref, sv_of(cid));
		assert_true(p == 0 || p == 3);
		/* same names and weights: the same choice, as slots */
		assert_int_equal(p, q == 0 ? 0 : 3);
		hits[p]++;
	}
	assert_true(hits[0] > 9000 && hits[3] > 9000);
	bk_set_free(s);
	bk_set_free(ref);
}

static void
test_none_active(void **state)
{
	struct bk in[2] = { mk("be1", 21, BK_DOWN), mk("be2", 22, BK_DRAINED) };
	struct bk_set *s = bk_set_create(in, 2);

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->n_active, 0);
	assert_null(s->mgl);
	assert_int_equal(bk_set_pick(s, sv_of("a@b")), -1);
	assert_int_equal(bk_set_by_name(s, sv_of("be1")), 0);
	bk_set_free(s);
}

static void
test_invalid(void **state)
{
	struct bk dup[3] = { mk("be1", 21, BK_ACTIVE), mk("x", 22, BK_ABSENT),
			     mk("be1", 23, BK_DRAINED) };
	struct bk reuse[2] = { mk("be1", 21, BK_ABSENT), mk("be1", 22, BK_ACTIVE) };
	struct bk bad = mk("be1", 21, BK_ABSENT + 1);
	struct bk_set *s;

	(void)state;
	assert_null(bk_set_create(dup, 3));      /* a name twice among present slots */
	assert_null(bk_set_create(&bad, 1));     /* no such state */
	s = bk_set_create(reuse, 2);             /* an absent slot's old name is free */
	assert_non_null(s);
	assert_int_equal(bk_set_by_name(s, sv_of("be1")), 1);
	bk_set_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots_and_states),
		cmocka_unit_test(test_none_active),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
