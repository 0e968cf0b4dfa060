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

/* Our branch: the RFC 3261 magic cookie, then "slb", then 16 hex digits. */
#define PX_BRANCH_PREFIX "z9hG4bKslb"

struct px_conf {
	uint32_t addr;          /* our IPv4, network order */
	uint16_t port;          /* our SIP port, host order */
	uint16_t max_len;       /* largest SIP payload we send: MTU - 28 */
	bool record_route;
	const struct bk_set *bks;
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
};

struct px_res {
	uint32_t dst_ip;   /* network order */
	uint16_t dst_port; /* host order */
	uint16_t len;      /* bytes written to out */
	int16_t backend;   /* backend index for a request sent to a backend, else -1 */
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

#endif
