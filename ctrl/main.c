/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb: the daemon. Loads the configuration, starts DPDK from the EAL
 * arguments in it, sets up the port with one RX/TX queue pair per worker,
 * launches the workers on their lcores and keeps the main lcore for control:
 * the control socket (siplbctl), signals, counters, reloads.
 *
 *   siplb -c FILE          run
 *   siplb -c FILE --check  validate FILE and exit (0 good, 1 errors)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring_elem.h>

#include "acct.h"
#include "acct_wr.h"
#include "bk.h"
#include "cfg.h"
#include "cnt.h"
#include "ctl_srv.h"
#include "daemon.h"
#include "health.h"
#include "tel.h"
#include "px.h"
#include "sf.h"
#include "wrk.h"

#define RX_DESC 1024
#define TX_DESC 1024
/* Stateful mode: messages in flight from one worker to another. */
#define HANDOFF_RING 4096

static volatile sig_atomic_t sig_quit;
static volatile sig_atomic_t sig_dump;
static volatile sig_atomic_t sig_hup;
static volatile bool quit;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_dump = 1;
	else if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_quit = 1;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: siplb -c FILE [--check]\n"
		   "  -c, --config FILE  configuration (libconfig), EAL arguments included\n"
		   "      --check        validate FILE and exit: 0 good, 1 errors\n"
		   "  -h, --help         this text\n");
}

static void
stats_json(const struct daemon *d)
{
	daemon_stats_json(d, stdout);
	fflush(stdout);
}

static int
port_setup(struct daemon *d)
{
	const struct cfg *c = &d->cfg;
	uint16_t port = c->port_id, nq = (uint16_t)d->n_wrk;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "%s: interface.port %u: no such DPDK port (%u available)\n",
			c->path, port, rte_eth_dev_count_avail());
		return -ENODEV;
	}
	rc = rte_eth_dev_info_get(port, &info);
	if (rc < 0)
		return rc;
	if (nq > info.max_rx_queues || nq > info.max_tx_queues) {
		fprintf(stderr, "%s: port %u has %u RX / %u TX queues, %u workers need one each\n",
			c->path, port, info.max_rx_queues, info.max_tx_queues, nq);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	/* RSS where the port has it, so each worker gets its share of flows. */
	if (nq > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP);
	}
	rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u: configure: %s\n", __func__, port, strerror(-rc));
		return rc;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nq; q++) {
		int socket = rte_lcore_to_socket_id(c->lcores[q]);

		rc = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, d->mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
		if (rc < 0) {
			fprintf(stderr, "%s: port %u queue %u: %s\n", __func__, port, q, strerror(-rc));
			return rc;
		}
	}
	/* Best effort: some PMDs (net_ring) have no MTU; af_packet sets the
	 * kernel interface's. What siplb sends is bounded by interface.mtu
	 * either way (513 / too_big). */
	rc = rte_eth_dev_set_mtu(port, c->mtu);
	if (rc < 0 && rc != -ENOTSUP)
		fprintf(stderr, "siplb: port %u: cannot set MTU %u: %s; using it for what "
			"siplb sends only\n", port, c->mtu, strerror(-rc));
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		fprintf(stderr, "%s: port %u: start: %s\n", __func__, port, strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_disable(port);
	return 0;
}

static int
check_lcores(const struct cfg *c)
{
	for (unsigned i = 0; i < c->n_lcores; i++) {
		unsigned l = c->lcores[i];

		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) || l == rte_get_main_lcore()) {
			fprintf(stderr, "%s: workers.lcores: lcore %u is not an enabled worker "
				"lcore of the EAL -l/-c list (main lcore is %u)\n",
				c->path, l, rte_get_main_lcore());
			return -EINVAL;
		}
	}
	return 0;
}

/* The first snapshot: the config's backends in slots 0..n-1. */
static int
backends_setup(struct daemon *d)
{
	int rc = daemon_slots_from_cfg(d, &d->cfg, stderr);

	return rc < 0 ? rc : daemon_publish(d, stderr);
}

/* Stateful mode: each worker's transaction table, wheel and hand-off rings. */
static int
stateful_setup(struct daemon *d)
{
	const struct cfg *c = &d->cfg;
	struct sf_conf sc;
	int rc;

	daemon_sf_conf(c, &sc);
	for (unsigned i = 0; i < d->n_wrk; i++) {
		d->sf[i] = sf_create(&sc, c->st_capacity, i, d->n_wrk,
				     (int)rte_lcore_to_socket_id(c->lcores[i]));
		if (d->sf[i] == NULL) {
			fprintf(stderr, "siplb: stateful.capacity %u: transaction table for "
				"worker %u: %s\n", c->st_capacity, i, strerror(errno));
			return -errno;
		}
	}
	rc = sf_link(d->sf, d->n_wrk, HANDOFF_RING);
	if (rc < 0)
		fprintf(stderr, "siplb: hand-off rings: %s\n", rte_strerror(-rc));
	return rc;
}

static int
workers_start(struct daemon *d)
{
	const struct cfg *c = &d->cfg;
	struct rte_ether_addr mac;
	size_t sz;
	int rc;

	rc = rte_eth_macaddr_get(c->port_id, &mac);
	if (rc < 0)
		return rc;
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	d->qsbr = rte_zmalloc("qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (d->qsbr == NULL || rte_rcu_qsbr_init(d->qsbr, RTE_MAX_LCORE) < 0)
		return -ENOMEM;
	for (unsigned i = 0; i < d->n_wrk; i++) {
		struct wrk_params p = {
			.port_id = c->port_id,
			.queue_id = (uint16_t)i,
			.sip_port = c->sip_port,
			.prefix = c->prefix,
			.has_gateway = c->has_gateway,
			.announce = i == 0,
			.addr = c->addr,
			.gateway = c->gateway,
			.mac = mac,
			.mp = d->mp,
			.conf = (struct px_conf *const *)&d->pc,
			.quit = &quit,
			.qsbr = d->qsbr,
			.qsbr_id = c->lcores[i],
			.sf = d->sf[i],
		};
		char name[RTE_RING_NAMESIZE];

		/* health checks: always there (health.enabled may be reloaded) */
		if (i == 0) {
			p.probe_in = rte_ring_create_elem("probe_in", sizeof(struct wrk_probe),
				256, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (p.probe_in == NULL)
				return -ENOMEM;
		}
		snprintf(name, sizeof(name), "probe_out_%u", i);
		p.probe_out = rte_ring_create_elem(name, sizeof(struct wrk_probe_ack), 256,
			SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p.probe_out == NULL)
			return -ENOMEM;
		if (c->acct_file[0]) {
			snprintf(name, sizeof(name), "acct_%u", i);
			p.acct = rte_ring_create_elem(name, sizeof(struct acct_rec), c->acct_ring,
				(int)rte_lcore_to_socket_id(c->lcores[i]),
				RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
			if (p.acct == NULL)
				return -ENOMEM;
		}
		if (d->n_wrk > 1) {
			/* multi-producer (the other workers), single consumer */
			snprintf(name, sizeof(name), "arp_inbox_%u", i);
			p.arp_inbox = rte_ring_create_elem(name, sizeof(struct wrk_arp_msg), 256,
				(int)rte_lcore_to_socket_id(c->lcores[i]), RING_F_SC_DEQ);
			if (p.arp_inbox == NULL)
				return -ENOMEM;
		}

		d->wrk[i] = rte_zmalloc_socket("wrk", sizeof(struct wrk), RTE_CACHE_LINE_SIZE,
					       (int)rte_lcore_to_socket_id(c->lcores[i]));
		if (d->wrk[i] == NULL)
			return -ENOMEM;
		wrk_init(d->wrk[i], &p);
	}
	wrk_set_peers(d->wrk, d->n_wrk);
	for (unsigned i = 0; i < d->n_wrk; i++) {
		rc = rte_eal_remote_launch(wrk_main, d->wrk[i], c->lcores[i]);
		if (rc < 0) {
			fprintf(stderr, "%s: lcore %u: launch: %s\n", __func__, c->lcores[i],
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void
run(struct daemon *d)
{
	while (!sig_quit) {
		ctl_poll(d, 20);
		if (sig_dump) {
			sig_dump = 0;
			stats_json(d);
		}
		acct_drain(d);
		health_tick(d);
		daemon_reclaim(d);
		if (sig_hup) {
			/* log rotation: the accounting file is moved away, then
			 * SIGHUP (or siplbctl accounting reopen) */
			sig_hup = 0;
			acct_drain(d);
			acct_reopen(stderr);
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon *d;
	const char *path = NULL;
	char *eal_argv[CFG_MAX_EAL_ARGS + 2];
	bool check = false, launched = false;
	int opt, rc, status = 1;
	uint64_t n_mbufs;
	unsigned room;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return 1;
	if (cfg_load(path, &d->cfg, stderr) < 0) {
		free(d);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", path);
		cfg_free(&d->cfg);
		free(d);
		return 0;
	}

	/* Before the EAL starts: a SIGUSR1 during start-up must not kill us
	 * (its default action), and a SIGTERM is honoured once we are up. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN); /* a siplbctl gone mid-answer is not fatal */

	eal_argv[0] = argv[0];
	for (int i = 0; i < d->cfg.eal_argc; i++)
		eal_argv[i + 1] = d->cfg.eal_argv[i];
	eal_argv[d->cfg.eal_argc + 1] = NULL;
	rc = rte_eal_init(d->cfg.eal_argc + 1, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "%s: dpdk.eal: EAL initialisation failed: %s\n", path,
			rte_strerror(rte_errno));
		cfg_free(&d->cfg);
		free(d);
		return 1;
	}
	if (!rte_eal_has_hugepages())
		fprintf(stderr, "siplb: running without hugepages (--no-huge): "
			"expect lower throughput\n");

	d->n_wrk = d->cfg.n_lcores;
	if (check_lcores(&d->cfg) < 0)
		goto out;
	/* One frame of interface.mtu must fit one mbuf: the parser works on a
	 * single segment, and chained frames are dropped (eth_multiseg). */
	room = RTE_PKTMBUF_HEADROOM + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN + d->cfg.mtu;
	if (room < RTE_MBUF_DEFAULT_BUF_SIZE)
		room = RTE_MBUF_DEFAULT_BUF_SIZE;
	/* RX/TX rings and bursts; in stateful mode also two mbufs per
	 * transaction (the INVITE, the last response sent upstream) and the
	 * hand-off rings. */
	n_mbufs = 8192 * d->n_wrk + 4096;
	if (d->cfg.mode == CFG_MODE_STATEFUL)
		n_mbufs += (uint64_t)d->n_wrk * (2 * (uint64_t)d->cfg.st_capacity +
						 HANDOFF_RING * (d->n_wrk - 1));
	if (n_mbufs > UINT32_MAX) {
		fprintf(stderr, "%s: stateful.capacity: %" PRIu64 " mbufs needed, more than "
			"a pool holds\n", path, n_mbufs);
		goto out;
	}
	d->mp = rte_pktmbuf_pool_create("mbufs", (unsigned)n_mbufs, 256, 0,
					(uint16_t)room, (int)rte_socket_id());
	if (d->mp == NULL) {
		fprintf(stderr, "siplb: mbuf pool of %" PRIu64 " mbufs of %u bytes: %s\n",
			n_mbufs, room, rte_strerror(rte_errno));
		goto out;
	}
	d->ctl_fd = -1;
	if (backends_setup(d) < 0 || port_setup(d) < 0)
		goto out;
	if (ctl_open(d->cfg.control_socket, stderr) < 0)
		goto out;
	if (d->cfg.acct_file[0] && acct_open(d->cfg.acct_file, stderr) < 0)
		goto out;
	if (d->cfg.prom_port && ctl_open_http((uint16_t)d->cfg.prom_port, stderr) < 0)
		goto out;
	tel_init(d);
	d->ctl_fd = 0;
	if (d->cfg.mode == CFG_MODE_STATEFUL && stateful_setup(d) < 0)
		goto out;
	d->started = time(NULL);
	rc = workers_start(d);
	launched = true;
	if (rc < 0)
		goto stop;
	if (d->cfg.mode == CFG_MODE_STATEFUL)
		fprintf(stderr, "siplb: ready: %s port %u, %u worker(s), %u backend(s), "
			"stateful mode, %u transactions per worker, control %s\n", d->pc->host,
			d->cfg.port_id, d->n_wrk, d->pc->bks->n, d->cfg.st_capacity,
			d->cfg.control_socket);
	else
		fprintf(stderr, "siplb: ready: %s port %u, %u worker(s), %u backend(s), "
			"stateless mode, control %s\n", d->pc->host, d->cfg.port_id, d->n_wrk,
			d->pc->bks->n, d->cfg.control_socket);
	run(d);
	status = 0;
stop:
	/* Release: the workers see the flag and leave after their current
	 * burst, flushing what they buffered. */
	__atomic_store_n(&quit, true, __ATOMIC_RELEASE);
	if (launched)
		rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(d->cfg.port_id);
	rte_eth_dev_close(d->cfg.port_id);
	if (d->n_wrk && d->wrk[0] && d->pc) {
		struct cnt_core sum;

		daemon_stats_sum(d, &sum);
		fprintf(stderr, "siplb: stopped; counters:\n");
		cnt_dump_text(stderr, &sum, d->bk_names, d->n_slots);
		stats_json(d);
	}
out:
	acct_close(d);
	if (d->ctl_fd >= 0)
		ctl_close();
	for (unsigned i = 0; i < d->n_wrk; i++) {
		if (d->wrk[i]) {
			rte_ring_free(d->wrk[i]->arp_inbox);
			rte_ring_free(d->wrk[i]->acct);
			rte_ring_free(d->wrk[i]->probe_in);
			rte_ring_free(d->wrk[i]->probe_out);
		}
		rte_free(d->wrk[i]);
		sf_free(d->sf[i]);
	}
	daemon_free_snapshots(d);
	rte_free(d->qsbr);
	rte_mempool_free(d->mp);
	rte_eal_cleanup();
	cfg_free(&d->cfg);
	free(d);
	return status;
}
