/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashed timing wheel (see tmr.h).
 *
 * Invariant: a pending node sits in slot max(expire, now_at_add + 1) & mask,
 * and ticks are processed in order, so it is next visited at the first tick
 * >= its expiry at which it is due, never before. Processing tick t detaches
 * the slot's list onto a local head first: nodes that fire() adds (even to
 * this very slot, one revolution on) land on the real slot and cannot be
 * walked again in the same tick, so every inner loop ends after the nodes
 * that were there when the tick began.
 */
#include <errno.h>

#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "tmr.h"

/* 2^24 slots = 128 MiB of list heads: far beyond any sane 1 ms wheel. */
#define TMR_MAX_SLOTS (UINT32_C(1) << 24)

struct tmr_wheel *
tmr_wheel_create(uint32_t n_slots, uint64_t now, int socket)
{
	struct tmr_wheel *w;

	if (n_slots == 0 || n_slots > TMR_MAX_SLOTS || (n_slots & (n_slots - 1)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	/* Zeroed: every slot starts as an empty list. */
	w = rte_zmalloc_socket("tmr_wheel", sizeof(*w) + (size_t)n_slots * sizeof(w->slots[0]),
			       RTE_CACHE_LINE_SIZE, socket);
	if (w == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	w->now = now;
	w->mask = n_slots - 1;
	return w;
}

void
tmr_wheel_free(struct tmr_wheel *w)
{
	rte_free(w);
}

/* Put the list that starts at *pend (nodes not yet examined, in their order)
 * back in front of *slot, so a resumed tick walks them first, as they were. */
static void
tmr_slot_splice(struct tmr_node **slot, struct tmr_node *pend)
{
	struct tmr_node **tailp = &pend->next;
	struct tmr_node *rest = *slot;

	while (*tailp != NULL)
		tailp = &(*tailp)->next;
	*tailp = rest;
	if (rest != NULL)
		rest->pprev = tailp;
	*slot = pend;
	pend->pprev = slot;
}

unsigned
tmr_advance(struct tmr_wheel *w, uint64_t now, tmr_fire_fn fire, void *arg, unsigned max)
{
	unsigned fired = 0;

	if (now <= w->now)
		return 0;
	/* Every slot is visited in now - n_slots + 1 .. now: a node due
	 * earlier is in one of them and fires there (late anyway), a node due
	 * in that window is met exactly at its tick. Skipping the earlier
	 * ticks keeps a long stall (or a first call after idling) O(slots). */
	if (now - w->now > w->mask + 1)
		w->now = now - (w->mask + 1);

	while (w->now < now) {
		uint64_t tick = w->now + 1;
		struct tmr_node **slot = &w->slots[tick & w->mask];
		struct tmr_node *pend = *slot;
		struct tmr_node *n;

		w->now = tick;
		if (pend == NULL)
			continue;
		/* Detach: pend's nodes now hang off this local head, so a
		 * cancel from fire() still unlinks them in O(1). */
		*slot = NULL;
		pend->pprev = &pend;
		while ((n = pend) != NULL) {
			bool due = n->expire <= tick;

			if (due && fired == max) {
				/* Out of budget: leave tick unprocessed so the
				 * next call starts here, before anything later. */
				tmr_slot_splice(slot, pend);
				w->now = tick - 1;
				return fired;
			}
			/* Owners are scattered transactions, each a likely
			 * cache miss: start loading the next one now. */
			if (n->next != NULL)
				rte_prefetch0(n->next);
			pend = n->next;
			if (pend != NULL)
				pend->pprev = &pend;
			if (!due) {
				/* A later revolution: back on the real slot. */
				n->next = *slot;
				if (n->next != NULL)
					n->next->pprev = &n->next;
				*slot = n;
				n->pprev = slot;
				continue;
			}
			n->pprev = NULL;
			fired++;
			fire(n, arg);
		}
	}
	return fired;
}

uint32_t
tmr_wheel_count(const struct tmr_wheel *w)
{
	uint32_t count = 0;

	for (uint64_t i = 0; i <= w->mask; i++)
		for (const struct tmr_node *n = w->slots[i]; n != NULL; n = n->next)
			count++;
	return count;
}
