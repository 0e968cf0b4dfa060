/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets: an immutable snapshot of the backends and their Maglev table.
 *
 * The control plane builds a set with bk_set_create() and publishes it with
 * one pointer store; workers only read it. Lookups are inline and lock-free.
 *
 * A backend's index is its slot: the control plane keeps a backend in the
 * same slot across snapshots (reloads, drains, health changes), so per-core
 * counters by index and live transactions that name a backend by index stay
 * right. A removed backend leaves an absent slot behind.
 */
#ifndef SIPLB_BK_H
#define SIPLB_BK_H

#include <stdint.h>
#include <string.h>

#include "mgl.h"
#include "sv.h"

#define BK_NAME_MAX 32

/* What a slot may be used for. */
enum bk_state {
	BK_ACTIVE = 0, /* new calls (in the Maglev table) and dialogs */
	BK_DRAINED,    /* dialogs only: drained by the operator */
	BK_DOWN,       /* dialogs only: failed its health checks */
	BK_ABSENT,     /* empty slot: matches nothing */
};

struct bk {
	uint32_t addr;     /* IPv4, network order */
	uint16_t port;     /* host order */
	uint16_t weight;
	uint16_t name_len;
	uint8_t state;     /* enum bk_state */
	char name[BK_NAME_MAX]; /* NUL-terminated, name_len bytes */
};

struct bk_set {
	uint32_t n;        /* slots, absent ones included */
	uint32_t n_active; /* slots in the Maglev table */
	struct mgl *mgl;   /* NULL when n_active == 0; its entries are slots */
	struct bk bk[];
};

/*
 * Copy n slots (0..MGL_MAX_BACKENDS; names of present slots unique,
 * 1..BK_NAME_MAX-1 chars, weights 1..MGL_MAX_WEIGHT) into a new set and
 * build the Maglev table of its BK_ACTIVE slots.
 * Returns the set or NULL with errno set. Control plane only.
 */
struct bk_set *bk_set_create(const struct bk *bks, uint32_t n);

void bk_set_free(struct bk_set *s);

/* Slot of the present backend named name, or -1. Any thread. */
static inline int
bk_set_by_name(const struct bk_set *s, struct sv name)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->bk[i].state != BK_ABSENT && s->bk[i].name_len == name.len &&
		    memcmp(s->bk[i].name, name.p, name.len) == 0)
			return (int)i;
	return -1;
}

/* Slot of the present backend at addr:port (network order, host order), or -1. */
static inline int
bk_set_by_addr(const struct bk_set *s, uint32_t addr, uint16_t port)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->bk[i].state != BK_ABSENT && s->bk[i].addr == addr &&
		    s->bk[i].port == port)
			return (int)i;
	return -1;
}

/* Slot for a new call's Call-ID, or -1 when no backend is active. Any thread. */
static inline int
bk_set_pick(const struct bk_set *s, struct sv call_id)
{
	if (s->mgl == NULL)
		return -1;
	return mgl_lookup(s->mgl, mgl_hash(call_id.p, call_id.len));
}

#endif
