/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core hashed timing wheel (Varghese & Lauck, "Hashed and Hierarchical
 * Timing Wheels", 1987, scheme 6: hashed wheel, unsorted lists, each node
 * keeping its absolute expiry).
 *
 * Time is an integer tick (the worker uses 1 ms). The wheel has a power of
 * two of slots; a node expiring at tick T waits in slot T & mask, and when the
 * wheel processes tick t it fires the nodes of slot t & mask whose expire is
 * <= t and leaves the others (later revolutions) in place. Add and cancel are
 * O(1) whatever the number of timers; an advance costs one slot per tick plus
 * the nodes it walks. Transaction timers (Timer A, fr_timer, fr_inv_timer, the
 * wait after a final) are mostly cancelled before they fire, which is exactly
 * what an unsorted wheel is cheap at.
 *
 * Nodes are intrusive: struct tmr_node lives inside the caller's object, so
 * arming a timer never allocates. Each slot is a doubly linked list with a
 * back pointer to the previous `next` field (pprev), so a node unlinks itself
 * without knowing its wheel or slot.
 *
 * Threads: a wheel and its nodes belong to one worker. Every call below is
 * made by that worker only (create/free by the control plane before the
 * worker starts or after it stopped); there are no locks and no atomics.
 */
#ifndef SIPLB_TMR_H
#define SIPLB_TMR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

/*
 * Embed one per timer in the owning object. Zeroed memory is a valid idle
 * node (pprev NULL = not pending), so objects from rte_zmalloc need no init.
 * next/pprev are first because unlinking touches only them.
 */
struct tmr_node {
	struct tmr_node *next;   /* next node of the same slot */
	struct tmr_node **pprev; /* the pointer that points to us; NULL: idle */
	uint64_t expire;         /* absolute tick at which it is due */
};

/*
 * The hot fields (now, mask) share the first cache line with the first
 * slots. Visible so that tmr_add/tmr_cancel inline into the worker; only
 * tmr_* functions write it.
 */
struct tmr_wheel {
	/*
	 * The last tick fully processed. While fire() runs it is the tick
	 * being processed; after a call that ran out of budget in tick t it
	 * is t - 1, so the next call resumes with tick t.
	 */
	uint64_t now;
	uint64_t mask;                /* n_slots - 1 */
	struct tmr_node *slots[];     /* list heads */
} __rte_cache_aligned;

/* Called for each due node, already unlinked (idle) when it runs. */
typedef void (*tmr_fire_fn)(struct tmr_node *n, void *arg);

/*
 * Create a wheel of n_slots lists (a power of two, 1 .. 2^24) whose clock
 * reads `now`, on NUMA socket `socket` (or SOCKET_ID_ANY).
 * Returns the wheel or NULL with errno EINVAL (bad n_slots) or ENOMEM.
 * Control plane, before the owning worker runs: allocates (rte_zmalloc_socket).
 */
struct tmr_wheel *tmr_wheel_create(uint32_t n_slots, uint64_t now, int socket);

/*
 * Free a wheel (NULL is a no-op). Nodes still pending are abandoned: their
 * pprev points into freed memory, so the caller must not cancel them later
 * (re-adding them to another wheel is fine only after zeroing them).
 * Control plane, once the owning worker no longer runs.
 */
void tmr_wheel_free(struct tmr_wheel *w);

/* True if n is on a wheel (added and neither fired nor cancelled). */
static inline bool
tmr_pending(const struct tmr_node *n)
{
	return n->pprev != NULL;
}

/*
 * Unlink n if pending; no-op otherwise, so cancelling twice, or cancelling a
 * node that already fired, is harmless. O(1); needs no wheel because pprev
 * addresses the link to patch. Owning worker only; may be called from fire().
 */
static inline void
tmr_cancel(struct tmr_node *n)
{
	if (n->pprev == NULL)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->pprev = NULL;
}

/*
 * Arm n to fire at tick `expire`. A pending n is moved (its old expiry is
 * forgotten). expire <= w->now is not lost: n fires at the next tick the
 * wheel processes, w->now + 1 (from inside fire(), that is the tick after the
 * one being processed, so a timer re-armed "now" cannot loop within a tick).
 * Never fires early: n fires at the first processed tick >= expire.
 * O(1), no allocation. Owning worker only; may be called from fire().
 */
static inline void
tmr_add(struct tmr_wheel *w, struct tmr_node *n, uint64_t expire)
{
	/* A past expiry goes to the next slot the wheel will visit; putting
	 * it in slot expire & mask could leave it there a whole revolution. */
	uint64_t at = expire > w->now ? expire : w->now + 1;
	struct tmr_node **head = &w->slots[at & w->mask];

	tmr_cancel(n);
	n->expire = expire;
	n->next = *head;
	if (n->next != NULL)
		n->next->pprev = &n->next;
	*head = n;
	n->pprev = head;
}

/*
 * Process ticks w->now + 1 .. now, calling fire(node, arg) for each due node.
 * The node is unlinked before fire runs, so fire may re-add it (periodic
 * timers), cancel or re-add any other node, or free the fired node's owner;
 * it must not free the owner of another pending node without cancelling it,
 * nor call tmr_advance or tmr_wheel_free.
 *
 * Within a tick, nodes fire in no particular order; across ticks, in tick
 * order. At most max nodes fire per call: when the budget runs out in tick t,
 * w->now is left at t - 1 and the next call resumes in tick t, so nothing is
 * lost, fired twice or fired early. If now is more than one revolution ahead
 * of w->now, the ticks before now - n_slots cannot hold anything that is not
 * already overdue, so the wheel jumps to now - n_slots and visits each slot
 * once: overdue nodes then fire in slot order, not expiry order, and the
 * call stays O(n_slots + nodes walked) however far now jumped.
 * A now <= w->now does nothing. Ticks must stay below UINT64_MAX - n_slots.
 * Returns the number of nodes fired (<= max). Owning worker only; no
 * allocation, no logging.
 */
unsigned tmr_advance(struct tmr_wheel *w, uint64_t now, tmr_fire_fn fire, void *arg,
		     unsigned max);

/*
 * Number of pending nodes. Walks every slot and node (O(n_slots + pending)):
 * tmr_cancel has no wheel to keep a counter in, and callers count their live
 * objects themselves. For statistics and tests, not the per-packet path.
 */
uint32_t tmr_wheel_count(const struct tmr_wheel *w);

#endif
