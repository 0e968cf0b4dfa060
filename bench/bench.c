/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench engine: the dataplane's speed, in process, with no kernel.
 *
 * A worker (the daemon's own wrk_main) runs on one lcore over an in-memory
 * port (net_ring: rte_eth_from_rings). The main lcore is the generator: it
 * keeps the port's RX ring full with prebuilt frames of a realistic call flow
 * (INVITE with SDP, 100, 180, 200 with SDP, ACK, BYE, 200: the headers real
 * UAs send; responses carry siplb's own Via on top, as they would coming back
 * from a backend) and frees what the worker transmits. The figure is the
 * worker's: messages it forwarded per second of wall time, while the
 * generator kept it busy (idle polls are reported so a starved worker shows).
 *
 *   siplb-bench engine [--mode stateless|stateful|bare] [--workers N] [--seconds S]
 *                      [-- EAL args]
 *
 * --workers N (1, 2, 4, 8) runs N workers, one RX/TX queue pair each, the
 * calls spread over their RX rings (every message of a call on one ring);
 * in stateful mode messages reach the Call-ID's owner through the hand-off
 * rings as in the daemon. It needs N + 1 lcores.
 *
 * --mode stateful runs the same flow through the transaction layer: siplb
 * answers 100 itself, absorbs the backend's 100, and keeps each INVITE
 * transaction. The backend's INVITE responses then carry the transaction's
 * branch. The flows repeat every 1024 calls with the same branches, so the
 * wait after the final is set to 0 (the entry is freed at the next 1 ms
 * tick, well before its branch comes back): the per-transaction work is all
 * done, but fewer transactions are live at once than in production.
 *
 * Prints a progress line per second and ends with one JSON line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "calls.h"
#include "inproc.h"
#include "pkt.h"
#include "px.h"
#include "sf.h"
#include "sip.h"
#include "txn.h"
#include "wrk.h"

#define N_CALLS 1024
#define N_MSGS 7
#define RING_SIZE 4096
#define GEN_BURST 32
/* Workers: a power of two dividing N_CALLS, so each gets the same calls. */
#define BENCH_MAX_WORKERS 8
/* The daemon's default stateful.capacity: the table's size and footprint. */
#define SF_BENCH_CAPACITY 131072

static const char *const flow[N_MSGS] = {
	/* client -> siplb */
	"INVITE sip:service@198.18.0.10:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@198.18.0.2:5060;transport=udp>\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, MESSAGE, SUBSCRIBE, INFO, UPDATE\r\n"
	"Supported: replaces, timer, 100rel\r\n"
	"User-Agent: Linphone/5.2.5 (belle-sip/5.2.4)\r\n"
	"Session-Expires: 1800\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: %CLEN%\r\n"
	"\r\n"
	"%SDP%",
	/* backend -> siplb */
	"SIP/2.0 100 Trying\r\n"
	"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=%TB%\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-1;rport=5060;received=198.18.0.2\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Server: Kamailio (5.6.3 (x86_64/linux))\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	"SIP/2.0 180 Ringing\r\n"
	"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=%TB%\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-1;rport=5060;received=198.18.0.2\r\n"
	"Record-Route: <sip:198.18.0.10:5060;lr;bk=be1>\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>;tag=a6c85cf\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:service@198.18.0.21:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, UPDATE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=%TB%\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-1;rport=5060;received=198.18.0.2\r\n"
	"Record-Route: <sip:198.18.0.10:5060;lr;bk=be1>\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>;tag=a6c85cf\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:service@198.18.0.21:5060>\r\n"
	"Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, UPDATE\r\n"
	"Supported: timer\r\n"
	"Session-Expires: 1800;refresher=uac\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: %CLEN%\r\n"
	"\r\n"
	"%SDP%",
	/* client -> siplb, in dialog */
	"ACK sip:service@198.18.0.21:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-2;rport\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.10:5060;lr;bk=be1>\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>;tag=a6c85cf\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314159 ACK\r\n"
	"Contact: <sip:alice@198.18.0.2:5060;transport=udp>\r\n"
	"User-Agent: Linphone/5.2.5 (belle-sip/5.2.4)\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	"BYE sip:service@198.18.0.21:5060 SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-3;rport\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:198.18.0.10:5060;lr;bk=be1>\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>;tag=a6c85cf\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314160 BYE\r\n"
	"User-Agent: Linphone/5.2.5 (belle-sip/5.2.4)\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
	/* backend -> siplb */
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bKslb%CALL%\r\n"
	"Via: SIP/2.0/UDP 198.18.0.2:5060;branch=z9hG4bK%CALL%-3;rport=5060;received=198.18.0.2\r\n"
	"From: \"Alice\" <sip:alice@198.18.0.2>;tag=1928301774\r\n"
	"To: <sip:service@198.18.0.10>;tag=a6c85cf\r\n"
	"Call-ID: %CALL%@198.18.0.2\r\n"
	"CSeq: 314160 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n",
};

static const char sdp[] =
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 198.18.0.2\r\n"
	"s=Talk\r\n"
	"c=IN IP4 198.18.0.2\r\n"
	"t=0 0\r\n"
	"a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n"
	"m=audio 7078 RTP/AVP 96 97 98 0 8 18 101 99 100\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=fmtp:96 useinbandfec=1\r\n"
	"a=rtpmap:97 speex/16000\r\n"
	"a=rtpmap:98 speex/8000\r\n"
	"a=rtpmap:101 telephone-event/48000\r\n"
	"a=rtpmap:99 telephone-event/16000\r\n"
	"a=rtpmap:100 telephone-event/8000\r\n"
	"a=fmtp:18 annexb=yes\r\n"
	"a=rtcp-fb:* trr-int 1000\r\n"
	"a=rtcp-fb:* ccm tmmbr\r\n";

/*
 * Expand a template for call number call: %CALL% (16 hex digits), %SDP%,
 * %CLEN%, %TB% (siplb's branch in the INVITE's responses: tb).
 */
static int
expand(const char *tpl, unsigned call, const char *tb, char *out, size_t cap)
{
	char callid[17];
	size_t o = 0;

	snprintf(callid, sizeof(callid), "%016" PRIx64, (uint64_t)(call * UINT64_C(0x9e3779b97f4a7c15)));
	for (const char *p = tpl; *p;) {
		const char *ins = NULL;
		char num[8];

		if (strncmp(p, "%CALL%", 6) == 0) {
			ins = callid;
			p += 6;
		} else if (strncmp(p, "%SDP%", 5) == 0) {
			ins = sdp;
			p += 5;
		} else if (strncmp(p, "%TB%", 4) == 0) {
			ins = tb;
			p += 4;
		} else if (strncmp(p, "%CLEN%", 6) == 0) {
			snprintf(num, sizeof(num), "%zu", sizeof(sdp) - 1);
			ins = num;
			p += 6;
		}
		if (ins) {
			size_t n = strlen(ins);

			if (o + n >= cap)
				return -1;
			memcpy(out + o, ins, n);
			o += n;
		} else {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *p++;
		}
	}
	return (int)o;
}

struct frame {
	uint16_t len;
	uint8_t data[1600];
};

static const struct rte_ether_addr mac_be[2] = {{{ 0x02, 0, 0, 0, 0, 0x21 }},
						  {{ 0x02, 0, 0, 0, 0, 0x22 }}};

/*
 * siplb's branch in the responses to call c's INVITE: stateless, any
 * z9hG4bKslb + 16 hex; stateful, the transaction's (h of the INVITE's top
 * Via, try 0), as the backend would echo it.
 */
static int
txn_branch_of(unsigned c, bool stateful, char *tb)
{
	char buf[1600];
	struct sip_msg m;
	struct sip_via via;
	uint64_t h;
	int len = expand(flow[0], c, "", buf, sizeof(buf));

	if (!stateful) {
		len = expand("z9hG4bKslb%CALL%", c, "", tb, 64);
		return len < 0 ? -1 : 0;
	}
	if (len < 0 || sip_parse_msg(buf, (uint16_t)len, &m) != SIP_OK ||
	    px_txn_key(&m, &via, &h) < 0)
		return -1;
	tb[txn_branch_fmt(tb, h, 0)] = '\0';
	return 0;
}

/* Build every frame of every call, checksums included, once. */
static struct frame *
frames_build(struct rte_mempool *mp, bool stateful)
{
	struct frame *f = rte_zmalloc("frames", sizeof(*f) * N_CALLS * N_MSGS, 64);
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char buf[1600];

	if (f == NULL || m == NULL)
		return NULL;
	for (unsigned c = 0; c < N_CALLS; c++) {
		char tb[64];

		if (txn_branch_of(c, stateful, tb) < 0)
			return NULL;
		for (unsigned i = 0; i < N_MSGS; i++) {
			struct frame *fr = &f[c * N_MSGS + i];
			int len = expand(flow[i], c, tb, buf, sizeof(buf));
			bool from_client = flow[i][0] != 'S';
			unsigned be = 0;

			if (len < 0)
				return NULL;
			rte_pktmbuf_reset(m);
			memcpy(rte_pktmbuf_mtod_offset(m, char *, PKT_HDR_LEN), buf, (size_t)len);
			pkt_udp_build(m, from_client ? &inproc_mac_client : &mac_be[be],
				      &inproc_mac_lb,
				      inproc_ip(from_client ? INPROC_CLIENT :
					       (uint8_t)(INPROC_BACKEND0 + be)),
				      inproc_ip(INPROC_LB), 5060, 5060, (uint16_t)len);
			fr->len = (uint16_t)rte_pktmbuf_pkt_len(m);
			memcpy(fr->data, rte_pktmbuf_mtod(m, void *), fr->len);
		}
	}
	rte_pktmbuf_free(m);
	return f;
}

static void
usage(void)
{
	fprintf(stderr, "usage: siplb-bench calls --role uac|uas ... (siplb-bench calls --help)\n"
		"       siplb-bench engine [--mode stateless|stateful|bare] [--workers N] [--seconds N] "
		"[-- EAL args]\n");
}

static volatile bool quit;

/*
 * --mode bare: the ceiling of this set-up. The same port, generator and
 * frames, but the worker only checks each frame as the real path does
 * (pkt_classify: Ethernet, IPv4, UDP checksum, so every byte is read once)
 * and sends it back unchanged: what moving a message between the cores and
 * looking at it costs, before any SIP work.
 */
static int
bare_main(void *arg)
{
	struct wrk *w = arg;
	struct rte_mbuf *pkts[WRK_RX_BURST];
	struct pkt_view v;
	uint64_t prev = rte_rdtsc();

	while (!quit) {
		uint16_t n = rte_eth_rx_burst(w->port_id, w->queue_id, pkts, WRK_RX_BURST);
		uint64_t now = rte_rdtsc();

		if (n == 0) {
			w->cnt.idle_polls++;
			w->cnt.idle_cycles += now - prev;
			prev = now;
			continue;
		}
		w->cnt.busy_polls++;
		w->cnt.rx_pkts += n;
		for (uint16_t i = 0; i < n; i++) {
			if (pkt_classify(pkts[i], w->addr, &v) == PKT_UDP) {
				w->cnt.fwd_resp++;
				w->tx[w->n_tx++] = pkts[i];
			} else {
				cnt_drop(&w->cnt, v.drop);
				rte_pktmbuf_free(pkts[i]);
			}
		}
		wrk_flush(w);
		now = rte_rdtsc();
		w->cnt.busy_cycles += now - prev;
		prev = now;
	}
	return 0;
}


int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	char lcores_arg[160];
	char *eal_def[] = { argv[0], lcores_arg, "--no-pci", "--no-shconf", "--no-telemetry",
			    "--log-level=lib.eal:error", "--no-huge", "-m", "1024", NULL };
	char **eal = eal_def;
	int eal_argc = 9, opt, seconds = 10;
	const char *mode = "stateless";
	struct rte_ring *rx[BENCH_MAX_WORKERS], *tx[BENCH_MAX_WORKERS];
	struct sf *sf[BENCH_MAX_WORKERS] = { NULL };
	struct wrk *w[BENCH_MAX_WORKERS];
	struct rte_mempool *mp;
	struct frame *frames;
	struct px_conf *pc;
	unsigned nw = 1;
	int port, rc;

	if (argc >= 2 && strcmp(argv[1], "calls") == 0)
		return calls_main(argc - 1, argv + 1);
	if (argc < 2 || strcmp(argv[1], "engine") != 0) {
		usage();
		return 2;
	}
	argv++;
	argc--;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			eal = argv + i;
			eal[0] = eal_def[0];
			eal_argc = argc - i;
			argc = i;
			break;
		}
	while ((opt = getopt_long(argc, argv, "m:s:w:", opts, NULL)) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 's': seconds = atoi(optarg); break;
		case 'w': nw = (unsigned)atoi(optarg); break;
		default: usage(); return 2;
		}
	}
	bool stateful = strcmp(mode, "stateful") == 0;

	if (strcmp(mode, "stateless") != 0 && strcmp(mode, "bare") != 0 && !stateful) {
		fprintf(stderr, "siplb-bench: --mode %s: stateless, stateful or bare\n", mode);
		return 2;
	}
	if (nw < 1 || nw > BENCH_MAX_WORKERS || (nw & (nw - 1)) != 0) {
		fprintf(stderr, "siplb-bench: --workers must be 1, 2, 4 or 8\n");
		return 2;
	}
	if (seconds < 1 || seconds > 3600) {
		fprintf(stderr, "siplb-bench: --seconds must be 1..3600\n");
		return 2;
	}
	if (eal == eal_def) {
		/* lcore i on CPU i, wrapping round: with fewer CPUs than
		 * workers + 1 some share one (the figures then say so through
		 * the busy ratios) */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		int o = snprintf(lcores_arg, sizeof(lcores_arg), "--lcores=");

		for (unsigned i = 0; i <= nw; i++)
			o += snprintf(lcores_arg + o, sizeof(lcores_arg) - (size_t)o, "%s%u@%ld",
				      i ? "," : "", i, (long)i % (ncpu > 0 ? ncpu : 1));
		/* enough for the pool, else --no-huge */
		if (inproc_hugepages(128))
			eal_argc = 6; /* drop --no-huge -m 1024 */
	}
	rc = rte_eal_init(eal_argc, eal);
	if (rc < 0) {
		fprintf(stderr, "siplb-bench: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (rte_lcore_count() < nw + 1) {
		fprintf(stderr, "siplb-bench: --workers %u needs %u lcores (generator + workers); "
			"give EAL arguments after --, e.g. -- --lcores=0@0,1@1,2@1 ...\n", nw, nw + 1);
		return 1;
	}
	mp = rte_pktmbuf_pool_create("bench", 32767 * nw, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	for (unsigned i = 0; i < nw; i++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "bench_rx%u", i);
		rx[i] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "bench_tx%u", i);
		tx[i] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (rx[i] == NULL || tx[i] == NULL)
			mp = NULL;
	}
	if (mp == NULL) {
		fprintf(stderr, "siplb-bench: pool/rings: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	/* One port, one RX/TX queue pair per worker, as the daemon has. */
	port = rte_eth_from_rings("bench", rx, nw, tx, nw, (unsigned)rte_socket_id());
	if (port < 0 || inproc_port_start((uint16_t)port, nw, RING_SIZE, mp) < 0) {
		fprintf(stderr, "siplb-bench: ring port: %s\n", rte_strerror(rte_errno));
		return 1;
	}

	pc = inproc_px(2);
	frames = frames_build(mp, stateful);
	if (pc == NULL || frames == NULL) {
		fprintf(stderr, "siplb-bench: setup failed\n");
		return 1;
	}
	/* The daemon's defaults, but no wait after the final: see the header
	 * comment. */
	struct sf_conf sc;

	inproc_sf_conf(&sc, 0);

	for (unsigned i = 0; i < nw; i++) {
		if (stateful && (sf[i] = sf_create(&sc, SF_BENCH_CAPACITY, i, nw,
						   (int)rte_socket_id())) == NULL) {
			fprintf(stderr, "siplb-bench: transaction table: %s\n", strerror(errno));
			return 1;
		}
	}
	if (stateful && nw > 1 && sf_link(sf, nw, 4096) < 0) {
		fprintf(stderr, "siplb-bench: hand-off rings: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	unsigned wl[BENCH_MAX_WORKERS];
	int lc = -1;

	for (unsigned i = 0; i < nw; i++) {
		w[i] = rte_zmalloc("wrk", sizeof(*w[i]), 64);
		if (w[i] == NULL)
			return 1;
		inproc_wrk_init(w[i], (uint16_t)port, (uint16_t)i, mp,
				(struct px_conf *const *)&pc, &quit, sf[i]);
		arp_static_add(&w[i]->arp, inproc_ip(INPROC_CLIENT), &inproc_mac_client);
		for (unsigned b = 0; b < 2; b++)
			arp_static_add(&w[i]->arp, inproc_ip((uint8_t)(INPROC_BACKEND0 + b)),
				       &mac_be[b]);
		lc = (int)rte_get_next_lcore((unsigned)lc, 1, 0);
		wl[i] = (unsigned)lc;
	}
	for (unsigned i = 0; i < nw; i++)
		rte_eal_remote_launch(strcmp(mode, "bare") == 0 ? bare_main : wrk_main, w[i], wl[i]);

	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0 + hz, end = t0 + hz * (uint64_t)seconds;
	uint64_t last_rx = 0, last_busy = 0, sent = 0, recv = 0, gen_fail = 0;
	/* Each worker's RX ring gets the calls c with c % nw == its index,
	 * every message of a call on one ring, in order. */
	const unsigned per_ring = N_CALLS / nw * N_MSGS;
	const uint64_t max_in_flight = stateful ? RING_SIZE / 2 : RING_SIZE;
	unsigned idx[BENCH_MAX_WORKERS] = { 0 };
	struct rte_mbuf *b[GEN_BURST];
	int sec = 0;

	while (1) {
		uint64_t now = rte_rdtsc();

		if (now >= next) {
			/* The workers write these; read each one once, now. */
			uint64_t rxp = 0, bc = 0;

			for (unsigned i = 0; i < nw; i++) {
				rxp += __atomic_load_n(&w[i]->cnt.rx_pkts, __ATOMIC_RELAXED);
				bc += __atomic_load_n(&w[i]->cnt.busy_cycles, __ATOMIC_RELAXED);
			}
			sec++;
			double ns = rxp > last_rx ? (double)(bc - last_busy) * 1e9 / (double)hz /
						     (double)(rxp - last_rx) : 0;

			printf("engine %s workers=%u t=%ds msgs/s=%" PRIu64 " ns/msg(busy)=%.1f"
			       " worker0_rx_ring=%u\n", mode, nw, sec, rxp - last_rx, ns,
			       rte_ring_count(rx[0]));
			last_busy = bc;
			fflush(stdout);
			last_rx = rxp;
			next += hz;
			if (now >= end)
				break;
		}
		/* Keep the workers' RX rings full, but never more messages in
		 * flight than a TX ring holds: every message in yields at most
		 * one out (two for a stateful INVITE: it and our 100, while the
		 * backend's 100 yields none), so no worker's TX can find its
		 * ring full even when this thread is descheduled. */
		for (unsigned r = 0; r < nw; r++) {
			if (sent - recv + GEN_BURST >= max_in_flight ||
			    rte_pktmbuf_alloc_bulk(mp, b, GEN_BURST) != 0)
				break;
			for (unsigned i = 0; i < GEN_BURST; i++) {
				unsigned k = idx[r], c = r + k / N_MSGS * nw;
				const struct frame *fr = &frames[c * N_MSGS + k % N_MSGS];

				if (++idx[r] == per_ring)
					idx[r] = 0;
				memcpy(rte_pktmbuf_mtod(b[i], void *), fr->data, fr->len);
				b[i]->data_len = fr->len;
				b[i]->pkt_len = fr->len;
			}
			unsigned n = rte_ring_enqueue_burst(rx[r], (void **)b, GEN_BURST, NULL);

			sent += n;
			if (n < GEN_BURST) {
				/* Send those frames next time: skipping one would
				 * leave its call's transaction without its final. */
				gen_fail += GEN_BURST - n;
				rte_pktmbuf_free_bulk(b + n, GEN_BURST - n);
				idx[r] = (idx[r] + per_ring - (GEN_BURST - n)) % per_ring;
			}
		}
		for (unsigned r = 0; r < nw; r++) {
			unsigned n = rte_ring_dequeue_burst(tx[r], (void **)b, GEN_BURST, NULL);

			recv += n;
			rte_pktmbuf_free_bulk(b, n);
		}
	}
	uint64_t t1 = rte_rdtsc();

	quit = true;
	for (unsigned i = 0; i < nw; i++)
		rte_eal_wait_lcore(wl[i]);
	for (unsigned r = 0; r < nw; r++) {
		unsigned n;

		while ((n = rte_ring_dequeue_burst(tx[r], (void **)b, GEN_BURST, NULL)) > 0) {
			recv += n;
			rte_pktmbuf_free_bulk(b, n);
		}
	}

	static struct cnt_core tot;

	for (unsigned i = 0; i < nw; i++)
		cnt_add(&tot, &w[i]->cnt);
	uint64_t drops = cnt_drops_total(&tot);
	if (drops)
		cnt_dump_text(stderr, &tot, NULL, 0);
	double secs = (double)(t1 - t0) / (double)hz;
	double wall_rate = (double)tot.rx_pkts / secs;
	/* A worker's own cost: cycles of the iterations that found work, per
	 * message. On a 2-core machine the generator shares the machine and
	 * may not keep the workers saturated; the busy-cycle figure is a
	 * worker's capacity either way (partly filled bursts only make it
	 * pessimistic), and the wall-clock rate of all workers is printed
	 * next to it. */
	double ns_per_msg = (double)tot.busy_cycles * 1e9 / (double)hz /
			    (double)(tot.rx_pkts ? tot.rx_pkts : 1);
	double busy = (double)tot.busy_cycles /
		      (double)(tot.busy_cycles + tot.idle_cycles + 1);

	printf("{\"bench\":\"engine\",\"mode\":\"%s\",\"workers\":%u,\"port\":\"net_ring\","
	       "\"hugepages\":%s,\"seconds\":%.3f,\"msgs\":%" PRIu64 ",\"forwarded\":%" PRIu64
	       ",\"drops\":%" PRIu64 ",\"msgs_per_sec_per_core\":%.0f,\"ns_per_msg\":%.1f,"
	       "\"wall_msgs_per_sec\":%.0f,\"worker_busy_ratio\":%.4f,"
	       "\"mix\":\"INVITE+SDP,100,180,200+SDP,ACK,BYE,200\"",
	       mode, nw, rte_eal_has_hugepages() ? "true" : "false", secs, tot.rx_pkts,
	       tot.fwd_req + tot.fwd_resp, drops, 1e9 / ns_per_msg, ns_per_msg,
	       wall_rate, busy);
	printf(",\"handoffs\":%" PRIu64 ",\"per_worker\":[", tot.handoff_out);
	for (unsigned i = 0; i < nw; i++) {
		const struct cnt_core *c = &w[i]->cnt;

		printf("%s{\"lcore\":%u,\"msgs\":%" PRIu64 ",\"ns_per_msg\":%.1f,"
		       "\"busy_ratio\":%.4f}", i ? "," : "", wl[i], c->rx_pkts,
		       (double)c->busy_cycles * 1e9 / (double)hz /
		       (double)(c->rx_pkts ? c->rx_pkts : 1),
		       (double)c->busy_cycles / (double)(c->busy_cycles + c->idle_cycles + 1));
	}
	printf("]");
	if (sf[0]) {
		/* What one transaction costs in memory: its table entry with
		 * its share of the bucket array and free stack, plus the two
		 * mbufs it holds at most (the INVITE, the last response sent
		 * upstream), each a whole pool element. */
		const struct txn_table *t = sf[0]->t;
		double entry = (double)sizeof(struct txn) + sizeof(uint32_t) +
			       (double)(t->mask + 1) * sizeof(uint32_t) / (double)t->cap;
		unsigned mbuf = mp->header_size + mp->elt_size + mp->trailer_size;

		printf(",\"bytes_per_transaction\":%.0f,\"txn_entry_bytes\":%.0f,"
		       "\"txn_mbuf_bytes\":%u,\"txn_capacity\":%u,\"txn_created\":%" PRIu64
		       ",\"txn_completed\":%" PRIu64 ",\"txn_live_at_end\":%" PRIu64
		       ",\"txn_resp_absorbed\":%" PRIu64 ",\"wait_ms\":%u",
		       entry + 2.0 * mbuf, entry, mbuf, t->cap, tot.txn_created,
		       tot.txn_completed, tot.txn_live, tot.txn_resp_absorbed,
		       sf[0]->conf.wait_ms);
	}
	printf("}\n");
	if (recv + drops != tot.rx_pkts || gen_fail)
		fprintf(stderr, "siplb-bench: %" PRIu64 " in, %" PRIu64 " out, %" PRIu64
			" dropped, %" PRIu64 " not enqueued\n", tot.rx_pkts, recv, drops, gen_fail);
	(void)sent;
	/* stateful: every INVITE must have made a transaction */
	rc = drops || (stateful && tot.txn_created == 0) ? 1 : 0;
	for (unsigned i = 0; i < nw; i++)
		sf_free(sf[i]);
	rte_eth_dev_stop((uint16_t)port);
	rte_eal_cleanup();
	return rc;
}
