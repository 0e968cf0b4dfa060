/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless SIP proxy logic (RFC 3261 §16, §16.11; RFC 3581): one datagram in,
 * one decision out. No packets, no I/O: the caller gives the UDP payload and
 * its source, and gets back either a message to forward, a response to send
 * back, or a drop (counted by reason). This keeps the whole SIP behaviour
 * unit-testable and lets the benchmark and the worker share it.
 *
 * Called by a worker on its own counters; the px_conf is an immutable snapshot
 * shared by all workers.
 */
#ifndef SIPLB_PX_H
#define SIPLB_PX_H

#include <stdbool.h>
#include <stdint.h>

#include "bk.h"
#include "cnt.h"
#include "sip.h"

/* Our branch: the RFC 3261 magic cookie, then "slb", then 16 hex digits. */
#define PX_BRANCH_PREFIX "z9hG4bKslb"
/* The branch of our health-check OPTIONS: "hc" is no hex digit, so no
 * proxied request's branch can start with it. */
#define PX_PROBE_PREFIX "z9hG4bKslbhc"

#define SF_MAX_CODES 16

/* Stateful mode's timers and failover codes (sf.h), per worker core. */
struct sf_conf {
	uint32_t t1_ms;         /* Timer A's first interval */
	uint32_t fr_ms;         /* no response from a try: fail over */
	uint32_t fr_inv_ms;     /* provisional but no final: give up */
	uint32_t wait_ms;       /* kept after the final */
	uint32_t retry_after_s; /* Retry-After of the table-full 503 */
	unsigned n_codes;
	uint16_t codes[SF_MAX_CODES]; /* finals that fail over */
};

struct px_conf {
	uint32_t addr;          /* our IPv4, network order */
	uint16_t port;          /* our SIP port, host order */
	uint16_t max_len;       /* largest SIP payload we send: MTU - 28 */
	bool record_route;
	bool acct;              /* fill px_res.acct (accounting is on) */
	const struct bk_set *bks;
	/* stateful mode: replaces each worker's sf_conf when published */
	bool has_st;
	struct sf_conf st;
	/* precomputed text, built by px_conf_init */
	uint8_t via_len;
	uint8_t rr_len;
	uint8_t host_len;
	uint8_t ip_len;
	char host[24];          /* "198.18.0.10:5060" */
	char ip[16];            /* "198.18.0.10" */
	char via[64];           /* "Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb" */
	char rr[64];            /* "Record-Route: <sip:198.18.0.10:5060;lr" */
};

/*
 * Fill *pc. addr network order, port host order, mtu the IP MTU (576..9000).
 * bks must outlive *pc. Control plane, before publishing.
 */
void px_conf_init(struct px_conf *pc, uint32_t addr, uint16_t port, uint16_t mtu,
		  bool record_route, const struct bk_set *bks);

enum px_act {
	PX_DROP = 0,  /* counted in cnt->drop[] */
	PX_FORWARD,   /* send out[0..len) to dst_ip:dst_port */
	PX_REPLY,     /* a response of ours: send out[0..len) to dst_ip:dst_port */
	PX_ABSORB,    /* ends here, nothing to send: the ACK of a final of ours
	                 (counted in cnt->ack_absorbed) */
	PX_PROBE,     /* the answer to a health-check OPTIONS of ours: status in
	                 res->acct.status, our branch in res->acct.call_id */
};

struct px_res {
	uint32_t dst_ip;   /* network order */
	uint16_t dst_port; /* host order */
	uint16_t len;      /* bytes written to out */
	int16_t backend;   /* backend index for a request sent to a backend, else -1 */
	bool picked;       /* a request the load-balancing decision placed (its
	                      Request-URI is us, no Route onwards, no dialog
	                      backend): another backend may take it instead */
	/* pc->acct: what accounting records of a forwarded message (INVITE,
	 * ACK, BYE; final responses to INVITE, responses to BYE): method 0
	 * when nothing. Views into the input datagram. */
	struct {
		uint8_t method;    /* request method or the response's CSeq method */
		uint16_t status;
		struct sv call_id, from_tag, to_tag;
	} acct;
};

/*
 * How the stateful proxy wants a request forwarded (NULL: stateless).
 * try_k >= 0 gives our Via the transaction's branch (txn_branch_fmt of h
 * and try_k) instead of the stateless one; backend >= 0 sends a request the
 * decision would place (res->picked) to that backend instead (failover);
 * again says the request is a kept copy sent once more (Timer A, failover).
 */
struct px_opt {
	uint64_t h;
	int16_t backend;
	int8_t try_k;
	bool again;  /* a request counted when it came: not counted again */
	/* The top Via as px_txn_key parsed it, h being its key; NULL: px
	 * parses it (and hashes it for the stateless branch) itself. */
	const struct sip_via *via;
};

/*
 * Process the SIP datagram in[0..in_len) that came from src_ip:src_port
 * (network order, host order). out must have room for out_cap bytes;
 * nothing longer than pc->max_len is ever written (a request whose result
 * would be is answered 513, a response dropped as too_big). Updates cnt (requests by
 * method, responses by class, local replies, drop reasons, forwards).
 * Returns the action; *res is set for PX_FORWARD and PX_REPLY.
 * Never reads outside in[0..in_len) nor writes outside out[0..out_cap).
 */
enum px_act px_process(const struct px_conf *pc, struct cnt_core *cnt,
		       const char *in, uint16_t in_len, uint32_t src_ip,
		       uint16_t src_port, char *out, uint16_t out_cap,
		       struct px_res *res);

/*
 * px_process for a datagram already parsed by sip_parse_msg (SIP_OK): the
 * same decision, with opt (may be NULL) for a stateful request.
 */
enum px_act px_msg(const struct px_conf *pc, struct cnt_core *cnt, const struct sip_msg *m,
		   uint32_t src_ip, uint16_t src_port, const struct px_opt *opt, char *out,
		   uint16_t out_cap, struct px_res *res);

/*
 * The transaction key of a request (RFC 3261 §17.2.3, §16.11): parse its top
 * Via into *via and set *h to the hash that the stateless proxy puts in its
 * branch (branch + sent-by, or the RFC 2543 fields). The INVITE, its
 * retransmissions, its CANCEL and the ACK of its non-2xx final share h.
 * Returns 0, or -1 when the top Via is missing or malformed.
 */
int px_txn_key(const struct sip_msg *m, struct sip_via *via, uint64_t *h);

/*
 * A response of ours to request m (RFC 3261 §8.2.6) from src_ip:src_port,
 * whose top Via the caller parsed into via (NULL: px parses it):
 * code and reason, To tag added except for 100 (the same tag for every
 * answer to a Call-ID, so retransmissions match), Retry-After when
 * retry_after > 0. Sets *res (destination: §18.2.2 / RFC 3581) and counts it
 * in cnt->reply. Returns PX_REPLY, or PX_DROP (not counted) for an ACK, a
 * request without a usable Via, or an answer that does not fit out_cap.
 */
enum px_act px_reply(struct cnt_core *cnt, const struct sip_msg *m,
		     const struct sip_via *via, uint32_t src_ip,
		     uint16_t src_port, uint16_t code, const char *reason, uint32_t retry_after,
		     char *out, uint16_t out_cap, struct px_res *res);

/*
 * A hop-by-hop request of ours about INVITE inv, as forwarded in try k of
 * transaction h: CANCEL (RFC 3261 §9.1) or, with resp the non-2xx final to
 * acknowledge, ACK (§17.1.1.3). Request-URI, From, Call-ID, CSeq number and
 * Route are the INVITE's (a Route naming us is left out, as the forwarded
 * INVITE left it out); To is the INVITE's for CANCEL and resp's for ACK; the
 * single Via is ours with the try's branch. Returns the length written to
 * out, or 0 if it does not fit out_cap.
 */
uint16_t px_hop_request(const struct px_conf *pc, const struct sip_msg *inv,
			const struct sip_msg *resp, uint64_t h, unsigned k, char *out,
			uint16_t out_cap);

#endif
