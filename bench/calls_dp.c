/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench calls over a DPDK port: see calls_dp.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "calls_dp.h"
#include "inproc.h"
#include "pkt.h"
#include "px.h"
#include "sf.h"
#include "wrk.h"

#define DP_MAX_EP 16
#define DP_INBOX 2048
#define DP_BURST 64
#define DP_DESC 2048
#define DP_PEERS 64
#define RING_SIZE 4096
/* the largest UDP payload sent: an Ethernet MTU of 1500, no fragments */
#define DP_MAX_PAYLOAD (1500 - 20 - 8)
/* the daemon's defaults (conf/siplb.conf): stateful.capacity, wait_ms */
#define DP_SF_CAPACITY 131072
#define DP_SF_WAIT_MS 5000

/* calls.c names the in-memory backends by these addresses */
_Static_assert(DP_MEM_BACKEND_BASE == INPROC_BACKEND0, "calls_dp.h and inproc.h agree");

struct dp_ep {
	uint32_t ip;      /* network order */
	uint16_t port;    /* network order */
	unsigned head, n; /* inbox: a circular queue of received mbufs */
	struct rte_mbuf *in[DP_INBOX];
	uint64_t rx, tx, tx_drops, inbox_full;
};

struct dp_peer {
	uint32_t ip;
	struct rte_ether_addr mac;
};

static struct {
	bool up, own_cpu;
	uint16_t port;
	struct rte_mempool *mp;
	struct rte_ether_addr mac;
	struct dp_ep ep[DP_MAX_EP];
	unsigned n_ep;
	struct dp_peer peer[DP_PEERS];
	unsigned n_peer;
	uint64_t rx_frames, arp_in, not_ours, no_mac;
	/* --port memory: siplb's worker on its own lcore */
	struct wrk *w;
	struct sf *sf;
	struct px_conf *pc;
	unsigned w_lcore;
	volatile bool quit;
} dp;


/* ---- peers' MACs, learned from what arrives ---- */

static const struct rte_ether_addr *
peer_mac(uint32_t ip)
{
	for (unsigned i = 0; i < dp.n_peer; i++)
		if (dp.peer[i].ip == ip)
			return &dp.peer[i].mac;
	return NULL;
}

static void
peer_learn(uint32_t ip, const struct rte_ether_addr *mac)
{
	for (unsigned i = 0; i < dp.n_peer; i++)
		if (dp.peer[i].ip == ip) {
			dp.peer[i].mac = *mac;
			return;
		}
	if (dp.n_peer < DP_PEERS)
		dp.peer[dp.n_peer++] = (struct dp_peer){ ip, *mac };
}

static struct dp_ep *
ep_of_ip(uint32_t ip)
{
	for (unsigned i = 0; i < dp.n_ep; i++)
		if (dp.ep[i].ip == ip)
			return &dp.ep[i];
	return NULL;
}

static void
tx_one(struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(dp.port, 0, &m, 1) != 1)
		rte_pktmbuf_free(m);
}

static void
arp_send(uint16_t op, uint32_t sip, uint32_t tip, const struct rte_ether_addr *tha)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dp.mp);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *a;

	if (!m)
		return;
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	a = (struct rte_arp_hdr *)(eth + 1);
	if (op == RTE_ARP_OP_REQUEST)
		memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	else
		eth->dst_addr = *tha;
	eth->src_addr = dp.mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = RTE_ETHER_ADDR_LEN;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = dp.mac;
	a->arp_data.arp_sip = sip;
	if (tha)
		a->arp_data.arp_tha = *tha;
	else
		memset(&a->arp_data.arp_tha, 0, sizeof(a->arp_data.arp_tha));
	a->arp_data.arp_tip = tip;
	m->data_len = m->pkt_len = (uint32_t)(sizeof(*eth) + sizeof(*a));
	/* the minimum Ethernet frame: some PMDs do not pad */
	if (m->data_len < 60) {
		memset((char *)(a + 1), 0, 60 - m->data_len);
		m->data_len = m->pkt_len = 60;
	}
	tx_one(m);
}

static void
arp_in(struct rte_mbuf *m)
{
	const struct rte_arp_hdr *a;

	dp.arp_in++;
	if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof(*a))
		return;
	a = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (a->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return;
	if (a->arp_data.arp_sip)
		peer_learn(a->arp_data.arp_sip, &a->arp_data.arp_sha);
	if (a->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && ep_of_ip(a->arp_data.arp_tip))
		arp_send(RTE_ARP_OP_REPLY, a->arp_data.arp_tip, a->arp_data.arp_sip,
			 &a->arp_data.arp_sha);
}

/* ---- receive ---- */

unsigned
dp_poll(void)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n = rte_eth_rx_burst(dp.port, 0, pkts, DP_BURST);

	dp.rx_frames += n;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
		const struct rte_udp_hdr *udp;
		struct dp_ep *e;
		unsigned hl;

		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
			arp_in(m);
			rte_pktmbuf_free(m);
			continue;
		}
		/* a datagram for one of ours, in one segment and one IP
		 * fragment (SIP over UDP fits the MTU or is not ours to take);
		 * UDP checksums are the load balancer's business, not the
		 * generator's */
		hl = (ip->version_ihl & 0xf) * 4u;
		if (eth->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || m->nb_segs != 1 ||
		    hl < sizeof(*ip) || rte_pktmbuf_data_len(m) < sizeof(*eth) + hl + sizeof(*udp) ||
		    (ip->fragment_offset &
		     RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0 ||
		    ip->next_proto_id != IPPROTO_UDP || (e = ep_of_ip(ip->dst_addr)) == NULL) {
			dp.not_ours++;
			rte_pktmbuf_free(m);
			continue;
		}
		udp = (const struct rte_udp_hdr *)((const char *)ip + hl);
		if (udp->dst_port != e->port) {
			dp.not_ours++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (!peer_mac(ip->src_addr))
			peer_learn(ip->src_addr, &eth->src_addr);
		if (e->n == DP_INBOX) {
			e->inbox_full++;
			rte_pktmbuf_free(m);
			continue;
		}
		e->in[(e->head + e->n++) % DP_INBOX] = m;
	}
	return n;
}

unsigned
dp_recv(struct dp_ep *e, char *bufs, size_t stride, unsigned *lens, struct sockaddr_in *from,
	unsigned max)
{
	unsigned k = 0;

	/* Take from the port only while this endpoint's queue runs short:
	 * what the generator cannot handle then stays in the port's ring,
	 * where the sender sees it full, instead of being dropped here. */
	if (e->n < max)
		dp_poll();
	for (; k < max && e->n; k++) {
		struct rte_mbuf *m = e->in[e->head];
		const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
			m, const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		const struct rte_udp_hdr *udp =
			(const struct rte_udp_hdr *)((const char *)ip + (ip->version_ihl & 0xf) * 4u);
		const char *pl = (const char *)(udp + 1);
		const char *end = rte_pktmbuf_mtod(m, const char *) + rte_pktmbuf_data_len(m);
		size_t len = rte_be_to_cpu_16(udp->dgram_len);

		len = len >= sizeof(*udp) ? len - sizeof(*udp) : 0;
		if (len > (size_t)(end - pl))
			len = (size_t)(end - pl);
		if (len > stride - 1)
			len = stride - 1;
		memcpy(bufs + k * stride, pl, len);
		lens[k] = (unsigned)len;
		from[k] = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = udp->src_port,
						.sin_addr.s_addr = ip->src_addr };
		rte_pktmbuf_free(m);
		e->head = (e->head + 1) % DP_INBOX;
		e->n--;
	}
	e->rx += k;
	return k;
}

/* ---- send ---- */

unsigned
dp_send(struct dp_ep *e, const struct iovec *iov, const struct sockaddr_in *to, unsigned n)
{
	struct rte_mbuf *m[DP_BURST];
	unsigned done = 0, out = 0;

	while (done < n) {
		unsigned want = n - done < DP_BURST ? n - done : DP_BURST, k = 0, sent;

		if (rte_pktmbuf_alloc_bulk(dp.mp, m, want) != 0)
			break;
		for (unsigned i = 0; i < want; i++) {
			const struct sockaddr_in *t = &to[done + i];
			const struct rte_ether_addr *mac = peer_mac(t->sin_addr.s_addr);
			size_t len = iov[done + i].iov_len;

			if (!mac || len > DP_MAX_PAYLOAD) {
				/* unknown next hop: ask, and let the timers
				 * resend (the UAC resolved its target first);
				 * a message beyond the MTU: lost, counted */
				if (!mac) {
					arp_send(RTE_ARP_OP_REQUEST, e->ip, t->sin_addr.s_addr, NULL);
					dp.no_mac++;
				}
				e->tx_drops++;
				rte_pktmbuf_free(m[i]);
				continue;
			}
			memcpy(rte_pktmbuf_mtod_offset(m[i], char *, PKT_HDR_LEN),
			       iov[done + i].iov_base, len);
			pkt_udp_build(m[i], &dp.mac, mac, e->ip, t->sin_addr.s_addr,
				      rte_be_to_cpu_16(e->port), rte_be_to_cpu_16(t->sin_port),
				      (uint16_t)len);
			m[k++] = m[i];
		}
		sent = 0;
		for (int tries = 0; sent < k && tries < 64; tries++)
			sent += rte_eth_tx_burst(dp.port, 0, m + sent, (uint16_t)(k - sent));
		if (sent < k) {
			e->tx_drops += k - sent;
			rte_pktmbuf_free_bulk(m + sent, k - sent);
		}
		e->tx += sent;
		out += sent;
		done += want;
	}
	if (done < n)
		e->tx_drops += n - done;
	return out;
}

void
dp_idle(void)
{
	/* On a CPU of its own (memory: the worker has the other) a generator
	 * spins; sharing one with the load balancer's or another poller it
	 * lets them run. 20 µs is well below every SIP timer. */
	if (!dp.own_cpu) {
		struct timespec ts = { 0, 20000 };

		nanosleep(&ts, NULL);
	}
}

struct dp_ep *
dp_ep_add(const struct sockaddr_in *a)
{
	struct dp_ep *e = ep_of_ip(a->sin_addr.s_addr);

	if (e && e->port == a->sin_port)
		return e;
	if (dp.n_ep == DP_MAX_EP || e) {
		fprintf(stderr, "siplb-bench calls: at most %u addresses, each once\n", DP_MAX_EP);
		return NULL;
	}
	e = &dp.ep[dp.n_ep++];
	memset(e, 0, sizeof(*e));
	e->ip = a->sin_addr.s_addr;
	e->port = a->sin_port;
	/* tell the link who we are at once (a gratuitous ARP): the LB learns
	 * our MAC before our first reply has to go out; in memory, siplb's
	 * worker knows every MAC already */
	if (!dp.w)
		arp_send(RTE_ARP_OP_REQUEST, e->ip, e->ip, NULL);
	return e;
}

int
dp_resolve(uint32_t ip, unsigned timeout_ms)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0;

	while (!peer_mac(ip)) {
		uint64_t now = rte_rdtsc();

		if (now - t0 > hz * timeout_ms / 1000)
			return -1;
		if (now >= next) {
			arp_send(RTE_ARP_OP_REQUEST, dp.n_ep ? dp.ep[0].ip : 0, ip, NULL);
			next = now + hz / 10;
		}
		/* what arrives meanwhile is not for anyone yet */
		dp_poll();
		for (unsigned i = 0; i < dp.n_ep; i++)
			while (dp.ep[i].n) {
				rte_pktmbuf_free(dp.ep[i].in[dp.ep[i].head]);
				dp.ep[i].head = (dp.ep[i].head + 1) % DP_INBOX;
				dp.ep[i].n--;
			}
		dp_idle();
	}
	return 0;
}

/* ---- set-up ---- */

/*
 * --port memory: siplb's worker on lcore dp.w_lcore over the "lb" ring
 * port, the generator on the "gen" port whose RX is the worker's TX and
 * whose TX is the worker's RX. Backends and timers are the daemon's
 * defaults (conf/siplb.conf), the wait after the final included.
 */
static int
mem_start(const struct dp_lb_opts *o)
{
	struct rte_ring *to_lb, *to_gen;
	int lb, gen;

	to_lb = rte_ring_create("to_lb", RING_SIZE, (int)rte_socket_id(),
				RING_F_SP_ENQ | RING_F_SC_DEQ);
	to_gen = rte_ring_create("to_gen", RING_SIZE, (int)rte_socket_id(),
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!to_lb || !to_gen)
		return -1;
	lb = rte_eth_from_rings("lb", &to_lb, 1, &to_gen, 1, rte_socket_id());
	gen = rte_eth_from_rings("gen", &to_gen, 1, &to_lb, 1, rte_socket_id());
	if (lb < 0 || gen < 0 || inproc_port_start((uint16_t)lb, 1, RING_SIZE, dp.mp) < 0 ||
	    inproc_port_start((uint16_t)gen, 1, RING_SIZE, dp.mp) < 0)
		return -1;
	dp.port = (uint16_t)gen;
	dp.mac = inproc_mac_client;
	/* the generator's peer is siplb, whatever address the frame is for */
	peer_learn(inproc_ip(INPROC_LB), &inproc_mac_lb);

	dp.pc = inproc_px(o->backends);
	dp.w = rte_zmalloc("wrk", sizeof(*dp.w), 64);
	if (!dp.pc || !dp.w)
		return -1;
	if (o->stateful) {
		struct sf_conf sc;

		inproc_sf_conf(&sc, o->wait_ms < 0 ? DP_SF_WAIT_MS : (unsigned)o->wait_ms);
		dp.sf = sf_create(&sc, o->capacity ? o->capacity : DP_SF_CAPACITY, 0, 1,
				  (int)rte_socket_id());
		if (!dp.sf)
			return -1;
	}
	inproc_wrk_init(dp.w, (uint16_t)lb, 0, dp.mp, (struct px_conf *const *)&dp.pc, &dp.quit,
			dp.sf);
	/* every peer of siplb's is the generator */
	arp_static_add(&dp.w->arp, inproc_ip(INPROC_CLIENT), &inproc_mac_client);
	for (unsigned i = 0; i < o->backends; i++)
		arp_static_add(&dp.w->arp, inproc_ip((uint8_t)(INPROC_BACKEND0 + i)),
			       &inproc_mac_client);
	dp.w_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	if (dp.w_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "siplb-bench calls: --port memory needs two lcores\n");
		return -1;
	}
	return rte_eal_remote_launch(wrk_main, dp.w, dp.w_lcore) == 0 ? 0 : -1;
}

int
dp_open(const char *spec, const struct dp_lb_opts *lb, int eal_argc, char **eal_argv)
{
	char lcores[64], vdev[160], prefix[64], mem[24];
	char *def[16];
	int n = 0, cpu0 = -1, cpu1 = -1;
	bool memory = strcmp(spec, "memory") == 0;
	unsigned n_mbuf;
	cpu_set_t set;

	if (!memory && strncmp(spec, "af_packet:", 10) != 0 && strncmp(spec, "af_xdp:", 7) != 0) {
		fprintf(stderr, "siplb-bench calls: --port %s: af_packet:IFACE, af_xdp:IFACE or "
			"memory\n", spec);
		return -1;
	}
	if (memory && (lb->backends < 1 || lb->backends > DP_LB_MAX_BACKENDS ||
		       lb->capacity > (1u << 22))) {
		fprintf(stderr, "siplb-bench calls: --backends 1..%u, --capacity up to %u\n",
			DP_LB_MAX_BACKENDS, 1u << 22);
		return -1;
	}
	/* stateful memory: every transaction holds two mbufs until the wait
	 * after its final ends */
	n_mbuf = memory && lb->stateful ?
		 2 * (lb->capacity ? lb->capacity : DP_SF_CAPACITY) + 32767 : 32767;
	if (eal_argc == 0) {
		/* the generator where this thread may run (taskset), the
		 * worker on the next CPU it may use, else the next CPU */
		if (sched_getaffinity(0, sizeof(set), &set) == 0)
			for (int c = 0; c < CPU_SETSIZE; c++)
				if (CPU_ISSET(c, &set)) {
					if (cpu0 < 0)
						cpu0 = c;
					else if (cpu1 < 0)
						cpu1 = c;
				}
		if (cpu0 < 0)
			cpu0 = 0;
		if (cpu1 < 0) {
			long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

			cpu1 = (int)((cpu0 + 1) % (ncpu > 0 ? ncpu : 1));
		}
		if (memory)
			snprintf(lcores, sizeof(lcores), "--lcores=0@%d,1@%d", cpu0, cpu1);
		else
			snprintf(lcores, sizeof(lcores), "--lcores=0@%d", cpu0);
		snprintf(prefix, sizeof(prefix), "--file-prefix=siplb-bench-%d", (int)getpid());
		def[n++] = "siplb-bench";
		def[n++] = lcores;
		def[n++] = "--no-pci";
		def[n++] = "--no-shconf";
		def[n++] = "--no-telemetry";
		def[n++] = prefix;
		def[n++] = "--log-level=lib.eal:error";
		if (!inproc_hugepages(512)) {
			/* the pool and 256 MiB for the rest (tables, rings,
			 * EAL): with 4 KiB pages an mbuf of 2.3 KiB may not
			 * straddle a page, so it takes a whole one */
			snprintf(mem, sizeof(mem), "%" PRIu64,
				 (uint64_t)n_mbuf * 4096 / (1 << 20) + 256);
			def[n++] = "--no-huge";
			def[n++] = "-m";
			def[n++] = mem;
		}
		if (!memory) {
			const char *iface = strchr(spec, ':') + 1;

			snprintf(vdev, sizeof(vdev), "--vdev=%s0,iface=%s",
				 spec[3] == 'p' ? "net_af_packet" : "net_af_xdp", iface);
			def[n++] = vdev;
		}
		def[n] = NULL;
		eal_argc = n;
		eal_argv = def;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "siplb-bench calls: EAL: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	dp.up = true;
	dp.mp = rte_pktmbuf_pool_create("calls", n_mbuf, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (!dp.mp) {
		fprintf(stderr, "siplb-bench calls: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (memory) {
		dp.own_cpu = cpu0 != cpu1 || eal_argv != def;
		if (mem_start(lb) < 0) {
			fprintf(stderr, "siplb-bench calls: in-memory port and worker: %s\n",
				rte_strerror(rte_errno));
			return -1;
		}
		return 0;
	}
	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "siplb-bench calls: --port %s: no DPDK port came up\n", spec);
		return -1;
	}
	dp.port = 0;
	RTE_ETH_FOREACH_DEV(n) {
		dp.port = (uint16_t)n;
		break;
	}
	if (inproc_port_start(dp.port, 1, DP_DESC, dp.mp) < 0 ||
	    rte_eth_macaddr_get(dp.port, &dp.mac) < 0) {
		fprintf(stderr, "siplb-bench calls: --port %s: %s\n", spec, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* The in-process worker, stopped before its counters are read. */
static void
worker_stop(void)
{
	if (dp.w && !dp.quit) {
		dp.quit = true;
		rte_eal_wait_lcore(dp.w_lcore);
	}
}

void
dp_report(void)
{
	uint64_t drops = 0, full = 0;

	worker_stop();
	for (unsigned i = 0; i < dp.n_ep; i++) {
		drops += dp.ep[i].tx_drops;
		full += dp.ep[i].inbox_full;
	}
	fprintf(stderr, "calls port frames_in=%" PRIu64 " arp_in=%" PRIu64 " not_ours=%" PRIu64
		" no_mac=%" PRIu64 " tx_drops=%" PRIu64 " inbox_full=%" PRIu64 "\n",
		dp.rx_frames, dp.arp_in, dp.not_ours, dp.no_mac, drops, full);
	if (dp.w) {
		const struct cnt_core *c = &dp.w->cnt;
		double hz = (double)rte_get_tsc_hz();

		fprintf(stderr,
			"calls siplb worker (lcore %u, %s): msgs=%" PRIu64 " ns_per_msg(busy)=%.1f"
			" busy_ratio=%.3f drops=%" PRIu64 " (tx_full=%" PRIu64 ") txn_created=%" PRIu64
			" txn_table_full=%" PRIu64 "\n",
			dp.w_lcore, dp.sf ? "stateful" : "stateless", c->rx_pkts,
			(double)c->busy_cycles * 1e9 / hz / (double)(c->rx_pkts ? c->rx_pkts : 1),
			(double)c->busy_cycles / (double)(c->busy_cycles + c->idle_cycles + 1),
			cnt_drops_total(c), c->drop[CNT_DROP_TX_FULL], c->txn_created,
			c->txn_table_full);
	}
}

void
dp_close(void)
{
	if (!dp.up)
		return;
	if (dp.w) {
		worker_stop();
		sf_free(dp.sf);
	}
	rte_eal_cleanup();
	dp.up = false;
}
