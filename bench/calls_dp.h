/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench calls over a DPDK port instead of kernel sockets (--port).
 *
 *   af_packet:IFACE  net_af_packet on IFACE (a veth in the tests)
 *   af_xdp:IFACE     net_af_xdp on IFACE
 *   memory           no kernel at all: siplb's own worker (wrk_main) runs
 *                    in this process on a second lcore, joined to the
 *                    generator by two rings (net_ring, as siplb-bench
 *                    engine), with the UAC and the responders of every
 *                    backend in the generator's thread
 *
 * One port per process, shared by its endpoints: one per local IPv4
 * address (the UAC's, or each responder's). dp_poll() takes a burst from
 * the port, answers ARP for the endpoints' addresses, learns peers' MACs
 * from what arrives, and queues each UDP datagram for the endpoint it is
 * addressed to; dp_recv() copies them out, dp_send() builds Ethernet, IPv4
 * and UDP around the payloads. All of it runs in the generator's one
 * thread: nothing is locked, nothing allocated per message but mbufs.
 */
#ifndef SIPLB_BENCH_CALLS_DP_H
#define SIPLB_BENCH_CALLS_DP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct dp_ep;

/* The in-process load balancer of --port memory. */
struct dp_lb_opts {
	bool stateful;
	unsigned backends;          /* 1..DP_LB_MAX_BACKENDS, at .21, .22, ... */
	unsigned capacity;          /* stateful.capacity; 0: the daemon's default */
	int wait_ms;                /* stateful.wait_ms; < 0: the daemon's default */
};

#define DP_LB_MAX_BACKENDS 8
/* --port memory's addresses: siplb, the UAC, backend i (0-based). */
#define DP_MEM_LB "198.18.0.10:5060"
#define DP_MEM_UAC "198.18.0.2:5060"
#define DP_MEM_BACKEND_FMT "198.18.0.%u:5060"
#define DP_MEM_BACKEND_BASE 21

/*
 * Start DPDK (EAL from eal_argv if eal_argc > 0, else defaults: no PCI,
 * no hugepages unless enough are free, the generator on the first CPU of
 * this thread's affinity, the in-process worker on the next) and open the
 * port of spec. lb: the load balancer for "memory", ignored otherwise.
 * Returns 0, or -1 with a message on stderr.
 */
int dp_open(const char *spec, const struct dp_lb_opts *lb, int eal_argc, char **eal_argv);

/* The endpoint of local address a (the same one if added before), or NULL
 * (message on stderr). */
struct dp_ep *dp_ep_add(const struct sockaddr_in *a);

/*
 * Resolve the MAC of ip (network order) before the load starts: ARP
 * requests every 100 ms for up to timeout_ms. 0 when known, -1 if not.
 */
int dp_resolve(uint32_t ip, unsigned timeout_ms);

/* Take what the port has for every endpoint; returns frames taken. */
unsigned dp_poll(void);

/*
 * Poll the port (dp_poll) if fewer than max datagrams are queued for e,
 * then copy up to max datagrams queued for e into bufs (stride bytes each, a
 * payload cut to stride - 1), their lengths into lens and senders into
 * from. Returns how many.
 */
unsigned dp_recv(struct dp_ep *e, char *bufs, size_t stride, unsigned *lens,
		 struct sockaddr_in *from, unsigned max);

/*
 * Send n datagrams from e: payload iov[i] to to[i]. Returns how many went
 * out; the rest (no mbuf, full TX ring, peer MAC unknown) are counted as
 * dropped, and the retransmission timers deal with them as with loss.
 */
unsigned dp_send(struct dp_ep *e, const struct iovec *iov, const struct sockaddr_in *to,
		 unsigned n);

/* Idle: nothing came; wait a little on a shared CPU, spin on our own. */
void dp_idle(void);

/* Print the port's and the in-process worker's counters (stderr); the
 * worker is stopped first, so its figures are final. */
void dp_report(void);

/* Stop the worker and DPDK. */
void dp_close(void);

#endif
