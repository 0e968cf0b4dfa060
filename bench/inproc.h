/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb's worker inside a benchmark process: what siplb-bench engine and
 * siplb-bench calls --port memory both set up the same way. The addresses
 * are the test network's (tests/integ/lib.sh): siplb at 198.18.0.10:5060,
 * the caller at .2, backends be1, be2, ... at .21, .22, ...; the timers
 * are the daemon's defaults (conf/siplb.conf).
 */
#ifndef SIPLB_BENCH_INPROC_H
#define SIPLB_BENCH_INPROC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>

#include "px.h"
#include "sf.h"
#include "wrk.h"

#define INPROC_LB 10       /* last byte of siplb's address */
#define INPROC_CLIENT 2    /* of the caller's */
#define INPROC_BACKEND0 21 /* of be1's; be2 is the next, ... */
#define INPROC_SIP_PORT 5060

/* siplb's MAC, and the caller's (the generator's in calls --port memory) */
extern const struct rte_ether_addr inproc_mac_lb, inproc_mac_client;

/* 198.18.0.d in network order. */
uint32_t inproc_ip(uint8_t d);

/* At least min_free free 2 MiB pages and a hugetlbfs to map them from. */
bool inproc_hugepages(long min_free);

/*
 * Configure one port with n RX/TX queue pairs of desc descriptors (RX from
 * mp) and start it. 0, or -1 (rte_errno).
 */
int inproc_port_start(uint16_t port, unsigned n, unsigned desc, struct rte_mempool *mp);

/*
 * siplb's proxy snapshot: siplb's address and port, Record-Route on, MTU
 * 1500, and backends be1..beN (weight 1, port 5060). NULL on failure.
 */
struct px_conf *inproc_px(unsigned n_backends);

/* The daemon's stateful timers and failover codes, with wait_ms. */
void inproc_sf_conf(struct sf_conf *sc, unsigned wait_ms);

/*
 * Set up worker w (zeroed) as siplb's on queue `queue` of port `port`,
 * with snapshot *pc, stop flag quit and stateful state sf (NULL:
 * stateless). No ARP is sent: the caller adds its peers' MACs.
 */
void inproc_wrk_init(struct wrk *w, uint16_t port, uint16_t queue, struct rte_mempool *mp,
		     struct px_conf *const *pc, const volatile bool *quit, struct sf *sf);

#endif
