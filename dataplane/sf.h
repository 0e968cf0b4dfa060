/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateful mode (issue 3): INVITE transactions the way SIP Express Router's
 * t_relay() with a dispatcher failure route keeps them, in a per-core table.
 *
 * Every message that belongs to an INVITE transaction (the INVITE, its
 * CANCEL and ACK, responses whose CSeq method is INVITE or CANCEL) is
 * handled by the worker that owns hash(Call-ID); another worker hands it
 * over through a single-producer single-consumer ring. So each core's
 * transaction table (txn) and timing wheel (tmr) have exactly one writer:
 * no locks, no atomics. Everything else passes through the stateless proxy
 * on the worker that received it.
 *
 * Per transaction (RFC 3261 §16, §17; SER t_relay):
 *  - 100 Trying upstream at once; a backend's 100 is never forwarded (§16.7);
 *  - INVITE retransmissions from upstream absorbed: the last provisional
 *    (or our 100, or the final) is resent, the backend sees one INVITE;
 *  - Timer A retransmits the INVITE to the backend until any response;
 *  - failover to the next backend of the Call-ID's Maglev ranking on
 *    fr_timer with no response, or on a final in failover_codes; after the
 *    last try the best final goes upstream (408 for timeouts);
 *  - fr_inv_timer: a provisional but no final: CANCEL the backend, 408 up;
 *  - CANCEL answered 200 here and sent to the pending backend once it sent a
 *    provisional (§9.1); ACK of non-2xx finals hop by hop both ways;
 *  - after the final the entry waits wait_ms (SER's wait timer, RFC 3261
 *    Timer D's role) absorbing retransmissions, then is freed.
 *
 * The original INVITE is kept (its mbuf, trimmed to the SIP message) to
 * rebuild each try, and the last response sent upstream is kept (the frame,
 * shared by reference count) to resend: at most two mbufs per transaction.
 */
#ifndef SIPLB_SF_H
#define SIPLB_SF_H

#include <stdint.h>

#include <rte_ring.h>

#include "px.h"
#include "tmr.h"
#include "txn.h"

#define SF_MAX_WORKERS 64
#define SF_WHEEL_SLOTS 8192     /* 1 ms ticks: 8.2 s per revolution */
#define SF_FIRE_BUDGET 1024     /* timers fired per loop iteration at most */
#define SF_HANDOFF_BURST 32

struct wrk;
struct pkt_view;
struct rte_mbuf;

/* One per worker; only that worker touches it once it runs. */
struct sf {
	struct txn_table *t;
	struct tmr_wheel *wheel;
	struct sf_conf conf;            /* the snapshot's when it has one */
	uint64_t cyc_per_ms;
	uint64_t now_ms;                /* clock of the current iteration */
	uint64_t now_tsc;
	const struct px_conf *pc;       /* snapshot of the current iteration */
	const struct px_conf *pc_seen;  /* the one sf->conf was taken from */
	struct wrk *w;
	unsigned self, n_wrk;
	struct rte_ring *to[SF_MAX_WORKERS];   /* this worker -> worker j (SP/SC) */
	struct rte_ring *from[SF_MAX_WORKERS]; /* worker j -> this worker */
} __rte_cache_aligned;

/*
 * Create worker self's state (of n_wrk): a table of capacity entries and a
 * wheel, on NUMA socket `socket`. Returns NULL with errno on failure.
 * Control plane, before the worker runs.
 */
struct sf *sf_create(const struct sf_conf *conf, uint32_t capacity, unsigned self,
		     unsigned n_wrk, int socket);

/*
 * Create the hand-off rings between n workers (n * (n - 1) SP/SC rings of
 * ring_size mbufs). Returns 0 or -errno. Control plane.
 */
int sf_link(struct sf **all, unsigned n, unsigned ring_size);

/*
 * Free everything: transactions' mbufs, rings from this worker, the wheel,
 * the table. NULL is a no-op. Control plane, once the workers stopped.
 */
void sf_free(struct sf *sf);

/*
 * Worker: take the clock and the proxy snapshot for this iteration. A new
 * snapshot (a reload) may bring new timer values: they apply to what is
 * armed from now on.
 */
static inline void
sf_clock(struct sf *sf, const struct px_conf *pc, uint64_t tsc)
{
	sf->now_tsc = tsc;
	sf->now_ms = tsc / sf->cyc_per_ms;
	sf->pc = pc;
	if (unlikely(pc != sf->pc_seen)) {
		sf->pc_seen = pc;
		if (pc->has_st)
			sf->conf = pc->st;
	}
}

/*
 * Worker: a SIP datagram (UDP to our port) received by this worker: hand
 * it over to its owner or process it. Takes m. sf_clock first.
 */
void sf_input(struct sf *sf, struct rte_mbuf *m, const struct pkt_view *v);

/*
 * Worker, every loop iteration after sf_clock: messages handed over by the
 * other workers, then due timers. Returns the number of events handled.
 */
unsigned sf_poll(struct sf *sf);

#endif
