/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker: one poll-mode loop per worker lcore, owning one RX and one TX
 * queue of the port, its counters and its ARP cache.
 *
 * Loop: RX burst -> classify (ARP, ICMP echo, UDP to the SIP port) -> proxy
 * decision -> new frame -> ARP next hop -> buffered TX, flushed after every
 * burst. It never blocks, never logs, never takes a lock. It reads the proxy
 * configuration through *conf, which the control plane replaces with one
 * pointer store; the worker reports a quiescent state (rte_rcu_qsbr) after
 * every loop iteration and keeps no pointer to the snapshot across
 * iterations, so the control plane knows when an old snapshot can be freed.
 */
#ifndef SIPLB_WRK_H
#define SIPLB_WRK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "arp.h"
#include "cnt.h"
#include "pkt.h"
#include "px.h"

struct sf;

#define WRK_RX_BURST 32
#define WRK_TX_BURST 64
#define WRK_MAX 64

/*
 * An ARP binding one worker learned, for the others: ARP frames reach only
 * the worker whose queue the port put them on, but every worker resolves
 * next hops in its own cache. Element of the arp_inbox rings.
 */
struct wrk_arp_msg {
	uint32_t ip;
	struct rte_ether_addr mac;
	uint16_t pad;
};

/*
 * Health checks: the control plane cannot send on the workers' queues, so
 * it hands its OPTIONS to worker 0 (probe_in, SP/SC, main lcore -> worker),
 * and each worker hands the answers it receives back (probe_out, SP/SC,
 * worker -> main lcore).
 */
#define WRK_PROBE_MAX 480
#define WRK_PROBE_BRANCH_MAX 45

struct wrk_probe {
	uint32_t ip;       /* network order */
	uint16_t port;     /* host order */
	uint16_t len;
	char msg[WRK_PROBE_MAX];
};

struct wrk_probe_ack {
	uint16_t status;
	uint8_t len;       /* of branch */
	char branch[WRK_PROBE_BRANCH_MAX];
};

struct wrk {
	/* read-only after wrk_init; read by this worker */
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t sip_port;         /* host order */
	uint8_t prefix;
	bool has_gateway;
	uint32_t addr;             /* network order */
	uint32_t gateway;          /* network order */
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	uint64_t hz;
	/* written by the control plane (one pointer store, release),
	 * read by this worker (acquire) once per packet burst */
	struct px_conf *const *conf;
	/* written by the control plane to stop the loop, read by the worker */
	const volatile bool *quit;
	struct rte_rcu_qsbr *qsbr; /* may be NULL */
	unsigned qsbr_id;
	bool announce;             /* send a gratuitous ARP at start */
	struct sf *sf;             /* stateful mode: this worker's; NULL: stateless */
	struct rte_ring *acct;     /* accounting records to the control plane
	                              (SP/SC, struct acct_rec); NULL: off */
	struct rte_ring *probe_in;  /* probes to send; worker 0 only, else NULL */
	struct rte_ring *probe_out; /* answers to probes; NULL: health off */

	/* set by wrk_set_peers before launch; read by this worker */
	struct rte_ring *arp_inbox;  /* many producers (peers), this consumer */
	unsigned n_peers;
	struct wrk *peers[WRK_MAX];

	/* worker-private */
	uint16_t n_tx;
	uint64_t next_tick;
	struct rte_mbuf *tx[WRK_TX_BURST];

	/* written by this worker only; read (summed) by the control plane */
	struct cnt_core cnt;
	struct arp_cache arp;
} __rte_cache_aligned;

struct wrk_params {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t sip_port;
	uint8_t prefix;
	bool has_gateway;
	bool announce;
	uint32_t addr;
	uint32_t gateway;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	struct px_conf *const *conf;
	const volatile bool *quit;
	struct rte_rcu_qsbr *qsbr;
	unsigned qsbr_id;
	struct rte_ring *arp_inbox;  /* elements struct wrk_arp_msg; NULL alone */
	struct sf *sf;               /* stateful mode; NULL: stateless */
	struct rte_ring *acct;       /* accounting ring; NULL: off */
	struct rte_ring *probe_in;   /* health: elements struct wrk_probe */
	struct rte_ring *probe_out;  /* health: elements struct wrk_probe_ack */
};

/* Set up w (zeroed by the caller, e.g. rte_zmalloc) before launching it. */
void wrk_init(struct wrk *w, const struct wrk_params *p);

/* Tell each of the n workers about the others (for ARP sharing). */
void wrk_set_peers(struct wrk **all, unsigned n);

/* lcore entry point: arg is a struct wrk. Runs until *w->quit. Returns 0. */
int wrk_main(void *arg);

/*
 * Handle a burst of received frames (takes them) and flush TX. Exposed for
 * the benchmark and the tests; wrk_main calls it for every RX burst.
 */
void wrk_handle_burst(struct wrk *w, struct rte_mbuf **pkts, uint16_t n, uint64_t now);

/* Send what is buffered. */
void wrk_flush(struct wrk *w);

/*
 * Send the SIP message of len bytes that o holds at PKT_HDR_LEN to
 * dst_ip:dst_port (network order, host order): headers, next hop, ARP, TX.
 * Takes o (dropped and counted when there is no route).
 */
void wrk_send(struct wrk *w, struct rte_mbuf *o, uint16_t len, uint32_t dst_ip,
	      uint16_t dst_port, uint64_t now);

/*
 * Send again a frame wrk_send sent, which the caller still holds a
 * reference to: takes a new reference, so the caller keeps its own.
 */
void wrk_resend(struct wrk *w, struct rte_mbuf *o, uint64_t now);

/*
 * Put the accounting record of a message px forwarded (res->acct.method
 * set) from src_ip:src_port on the accounting ring; a full ring loses it
 * (counted). Never waits.
 */
void wrk_acct(struct wrk *w, const struct px_res *res, uint32_t src_ip, uint16_t src_port,
	      uint64_t now);

/* Hand the answer to a probe (px said PX_PROBE) to the control plane. */
void wrk_probe_ack(struct wrk *w, const struct px_res *res);

/* The stateless path for a SIP datagram described by v; takes m. */
void wrk_sip(struct wrk *w, const struct px_conf *pc, struct rte_mbuf *m,
	     const struct pkt_view *v, uint64_t now);

#endif
