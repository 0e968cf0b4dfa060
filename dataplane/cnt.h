/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-core counters. Each worker owns one struct cnt_core and is its only
 * writer (plain increments, no atomics); the control plane reads them to sum
 * and print. A reader may see a value one increment stale, never torn: every
 * counter is an aligned 64-bit word, written by a single store.
 */
#ifndef SIPLB_CNT_H
#define SIPLB_CNT_H

#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>

#include "sip.h"

#define CNT_MAX_BACKENDS 256

/* Every reason a packet is dropped. X(name, "counter name", "why") */
#define CNT_DROP_LIST(X)                                                          \
	X(ETH_SHORT, "eth_short", "frame shorter than its headers")               \
	X(ETH_TYPE, "eth_type", "neither IPv4 nor ARP")                            \
	X(ETH_MULTISEG, "eth_multiseg", "frame in a chain of mbufs")              \
	X(ARP_BAD, "arp_bad", "ARP not Ethernet/IPv4 or malformed")              \
	X(ARP_NOT_US, "arp_not_us", "ARP request for another address")           \
	X(IP_BAD_HDR, "ip_bad_hdr", "IPv4 version/IHL/length wrong")              \
	X(IP_BAD_CKSUM, "ip_bad_cksum", "IPv4 header checksum wrong")             \
	X(IP_FRAGMENT, "ip_fragment", "IPv4 fragment (no reassembly)")            \
	X(IP_NOT_US, "ip_not_us", "IPv4 destination is not our address")          \
	X(IP_PROTO, "ip_proto", "IP protocol other than UDP/ICMP")                \
	X(ICMP_BAD, "icmp_bad", "ICMP too short or bad checksum")                 \
	X(ICMP_OTHER, "icmp_other", "ICMP other than echo request")               \
	X(UDP_BAD_LEN, "udp_bad_len", "UDP length disagrees with IPv4")           \
	X(UDP_BAD_CKSUM, "udp_bad_cksum", "UDP checksum wrong")                   \
	X(UDP_PORT, "udp_port", "UDP to a port other than SIP's")                 \
	X(SIP_START_LINE, "sip_start_line", "unparsable start line")              \
	X(SIP_VERSION, "sip_version", "SIP version not 2.0 (505 sent)")           \
	X(SIP_HDR_SYNTAX, "sip_hdr_syntax", "malformed header line")              \
	X(SIP_TOO_MANY_HDRS, "sip_too_many_hdrs", "more header lines than parsed") \
	X(SIP_NO_BODY_SEP, "sip_no_body_sep", "no empty line after headers")      \
	X(SIP_CLEN, "sip_clen", "bad or conflicting Content-Length")              \
	X(SIP_CLEN_SHORT, "sip_clen_short", "datagram shorter than Content-Length") \
	X(SIP_VIA, "sip_via", "Via missing or malformed")                         \
	X(SIP_CALL_ID, "sip_call_id", "Call-ID missing or empty")                 \
	X(SIP_CSEQ, "sip_cseq", "CSeq missing, malformed or method mismatch")      \
	X(SIP_FROM, "sip_from", "From missing")                                   \
	X(SIP_TO, "sip_to", "To missing")                                         \
	X(SIP_MAX_FWD, "sip_max_fwd", "Max-Forwards malformed")                    \
	X(SIP_MAX_FWD_ZERO, "sip_max_fwd_zero", "Max-Forwards 0 (483 sent)")       \
	X(SIP_URI, "sip_uri", "Request-URI or Route URI malformed")               \
	X(SIP_DNS, "sip_dns", "next hop is a name, not an IP literal (478 sent)") \
	X(SIP_ACK_UNROUTABLE, "sip_ack_unroutable", "ACK with no usable next hop") \
	X(RESP_FOREIGN_VIA, "resp_foreign_via", "response whose top Via is not ours") \
	X(RESP_NO_VIA, "resp_no_via", "response with no Via after ours")          \
	X(RESP_BAD, "resp_bad", "response missing Call-ID/CSeq/From/To")          \
	X(TOO_BIG, "too_big", "forwarded message would exceed the MTU")           \
	X(NO_BACKEND, "no_backend", "no backend to choose (503 sent)")            \
	X(NO_ROUTE, "no_route", "next hop off-link and no gateway")               \
	X(ARP_QUEUE_FULL, "arp_queue_full", "queue of packets awaiting ARP full") \
	X(ARP_UNRESOLVED, "arp_unresolved", "next hop never answered ARP")        \
	X(MBUF_ALLOC, "mbuf_alloc", "mbuf pool empty")                            \
	X(TX_FULL, "tx_full", "TX queue full")                                    \
	X(HANDOFF_FULL, "handoff_full", "ring to the Call-ID's owner core full")

enum cnt_drop {
#define CNT_X_ENUM(e, s, d) CNT_DROP_##e,
	CNT_DROP_LIST(CNT_X_ENUM)
#undef CNT_X_ENUM
	CNT_DROP__COUNT
};

/* Responses siplb itself sends. X(name, code) */
#define CNT_REPLY_LIST(X) \
	X(R100, 100) X(R200, 200) X(R400, 400) X(R408, 408) X(R478, 478) X(R483, 483) \
	X(R487, 487) X(R500, 500) X(R503, 503) X(R505, 505) X(R513, 513) X(ROTHER, 0)

enum cnt_reply {
#define CNT_X_ENUM(e, c) CNT_REPLY_##e,
	CNT_REPLY_LIST(CNT_X_ENUM)
#undef CNT_X_ENUM
	CNT_REPLY__COUNT
};

/*
 * Latency histograms (stateful mode: INVITE to the first response of any
 * backend, and to the final sent upstream): upper bounds of the buckets in
 * ms, the last bucket unbounded.
 */
#define CNT_LAT_BOUNDS_MS 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000
#define CNT_LAT_BUCKETS 15

struct cnt_core {
	/* hot: touched for every packet */
	uint64_t rx_pkts;
	uint64_t tx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint64_t fwd_req;       /* requests forwarded */
	uint64_t fwd_resp;      /* responses forwarded */
	uint64_t busy_polls;    /* rx bursts that returned packets */
	uint64_t idle_polls;    /* rx bursts that returned none */
	uint64_t busy_cycles;   /* TSC cycles in loop iterations that found work */
	uint64_t idle_cycles;   /* TSC cycles in loop iterations that found none */
	uint64_t sip_req[SIP_M__COUNT];   /* requests received, by method */
	uint64_t sip_resp[7];             /* responses received, by class 1..6 */
	uint64_t arp_rx;
	uint64_t arp_req_tx;
	uint64_t arp_reply_tx;
	uint64_t icmp_echo;
	uint64_t ack_absorbed;  /* ACKs of our own non-2xx finals, ended here */
	/* stateful mode (all 0 in stateless mode) */
	uint64_t txn_live;             /* gauge: live INVITE transactions of this core */
	uint64_t txn_created;
	uint64_t txn_completed;        /* a final went upstream */
	uint64_t txn_retrans_absorbed; /* upstream INVITE retransmissions answered here */
	uint64_t txn_resp_absorbed;    /* backend responses not passed on: 100, final
	                                  retransmissions, 200 to our CANCEL, stale tries */
	uint64_t txn_timer_a;          /* INVITE retransmissions sent to a backend */
	uint64_t txn_timer_g;          /* non-2xx finals sent upstream again, no ACK yet */
	uint64_t txn_failover_timeout; /* failovers after fr_timer with no response */
	uint64_t txn_failover_503;     /* failovers after a 503 */
	uint64_t txn_failover_code;    /* failovers after another failover_codes code */
	uint64_t txn_timeouts;         /* fr_timer / fr_inv_timer expiries ending a try */
	uint64_t txn_table_full;       /* new INVITEs answered 503: table full */
	uint64_t txn_cancels;          /* CANCELs matched to a transaction (answered 200) */
	uint64_t handoff_out;          /* messages passed to the Call-ID's owner core */
	uint64_t handoff_in;           /* messages taken from other cores */
	uint64_t acct_records;         /* accounting records put on the ring */
	uint64_t acct_lost;            /* accounting records lost: ring full */
	uint64_t probes_sent;          /* health-check OPTIONS sent to backends */
	uint64_t probe_replies;        /* answers to them received */
	uint64_t lat_first_sum_ms;     /* sums of the histograms below */
	uint64_t lat_final_sum_ms;
	uint64_t reply[CNT_REPLY__COUNT]; /* local responses sent */
	uint64_t drop[CNT_DROP__COUNT];
	uint64_t fwd_backend[CNT_MAX_BACKENDS]; /* requests sent to backend i */
	uint64_t lat_first[CNT_LAT_BUCKETS];   /* INVITE -> first response */
	uint64_t lat_final[CNT_LAT_BUCKETS];   /* INVITE -> final upstream */
	/* stateful: tries of backend i that failed (fr_timer, 503): health */
	uint64_t fail_backend[CNT_MAX_BACKENDS];
	uint64_t lat_first_bk_sum_ms[CNT_MAX_BACKENDS];
	uint64_t lat_final_bk_sum_ms[CNT_MAX_BACKENDS];
	/* the histograms above by backend: the one that answered first / the
	 * one whose try ended the transaction */
	uint64_t lat_first_bk[CNT_MAX_BACKENDS][CNT_LAT_BUCKETS];
	uint64_t lat_final_bk[CNT_MAX_BACKENDS][CNT_LAT_BUCKETS];
} __rte_cache_aligned;

static inline void
cnt_drop(struct cnt_core *c, enum cnt_drop why)
{
	c->drop[why]++;
}

/* Count a latency of ms in histogram h (lat_first or lat_final) and its sum. */
static inline void
cnt_lat(uint64_t *h, uint64_t *sum, uint32_t ms)
{
	static const uint32_t bounds[CNT_LAT_BUCKETS - 1] = { CNT_LAT_BOUNDS_MS };
	unsigned i = 0;

	while (i < CNT_LAT_BUCKETS - 1 && ms > bounds[i])
		i++;
	h[i]++;
	*sum += ms;
}

/* Upper bound of latency bucket i in ms; 0 for the last (unbounded) one. */
uint32_t cnt_lat_bound(unsigned i);

/* Counter name of a drop reason ("udp_bad_cksum"). */
const char *cnt_drop_name(enum cnt_drop why);

/*
 * The scalar counters of c by name, in the JSON line's order: up to max
 * names and values; returns how many there are. Any thread.
 */
unsigned cnt_scalars(const struct cnt_core *c, const char **names, uint64_t *vals,
		     unsigned max);

/* Sum of all drop reasons. Any thread (a reader may be one increment stale). */
uint64_t cnt_drops_total(const struct cnt_core *c);

/* Add every counter of src to dst (control plane, summing cores). */
void cnt_add(struct cnt_core *dst, const struct cnt_core *src);

/*
 * Write counters as one JSON object on one line. Backend names label
 * fwd_backend[0..n_backends); a NULL name (a free slot) is left out.
 * Control plane only.
 */
void cnt_dump_json(FILE *f, const struct cnt_core *c, const char *const *bk_names,
		   unsigned n_backends);

/*
 * Write the counters in the Prometheus text exposition format (0.0.4):
 * siplb_<counter>, labelled families for methods, classes, replies, drops
 * and backends (fail_backend too), the latency histograms in seconds.
 * Control plane only.
 */
void cnt_dump_prom(FILE *f, const struct cnt_core *c, const char *const *bk_names,
		   unsigned n_backends);

/* Write the non-zero counters for people, one per line. Control plane only. */
void cnt_dump_text(FILE *f, const struct cnt_core *c, const char *const *bk_names,
		   unsigned n_backends);

#endif
