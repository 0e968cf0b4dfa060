/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb's worker inside a benchmark process: see inproc.h.
 */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "bk.h"
#include "inproc.h"

const struct rte_ether_addr inproc_mac_lb = {{ 0x02, 0, 0, 0, 0, 0x10 }};
const struct rte_ether_addr inproc_mac_client = {{ 0x02, 0, 0, 0, 0, 0x02 }};

uint32_t
inproc_ip(uint8_t d)
{
	return rte_cpu_to_be_32((198u << 24) | (18u << 16) | d);
}

bool
inproc_hugepages(long min_free)
{
	char line[256];
	bool mounted = false;
	long n = 0;
	FILE *f;

	if ((f = fopen("/proc/meminfo", "r")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	if ((f = fopen("/proc/mounts", "r")) == NULL)
		return false;
	while (!mounted && fgets(line, sizeof(line), f))
		mounted = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return mounted && n >= min_free;
}

int
inproc_port_start(uint16_t port, unsigned n, unsigned desc, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;

	memset(&conf, 0, sizeof(conf));
	if (rte_eth_dev_configure(port, (uint16_t)n, (uint16_t)n, &conf) < 0)
		return -1;
	for (unsigned q = 0; q < n; q++)
		if (rte_eth_rx_queue_setup(port, (uint16_t)q, (uint16_t)desc, rte_socket_id(), NULL,
					   mp) < 0 ||
		    rte_eth_tx_queue_setup(port, (uint16_t)q, (uint16_t)desc, rte_socket_id(),
					   NULL) < 0)
			return -1;
	return rte_eth_dev_start(port) < 0 ? -1 : 0;
}

struct px_conf *
inproc_px(unsigned n_backends)
{
	/* .21 up to .255 */
	struct bk bkv[256 - INPROC_BACKEND0];
	struct bk_set *bks;
	struct px_conf *pc;

	if (n_backends == 0 || n_backends > RTE_DIM(bkv))
		return NULL;
	memset(bkv, 0, sizeof(bkv));
	for (unsigned i = 0; i < n_backends; i++) {
		bkv[i].addr = inproc_ip((uint8_t)(INPROC_BACKEND0 + i));
		bkv[i].port = INPROC_SIP_PORT;
		bkv[i].weight = 1;
		bkv[i].name_len = (uint16_t)snprintf(bkv[i].name, sizeof(bkv[i].name), "be%u", i + 1);
	}
	bks = bk_set_create(bkv, n_backends);
	pc = rte_zmalloc("pc", sizeof(*pc), 64);
	if (!bks || !pc) {
		bk_set_free(bks);
		rte_free(pc);
		return NULL;
	}
	/* the snapshot keeps bks for as long as the process runs */
	px_conf_init(pc, inproc_ip(INPROC_LB), INPROC_SIP_PORT, 1500, true, bks);
	return pc;
}

void
inproc_sf_conf(struct sf_conf *sc, unsigned wait_ms)
{
	*sc = (struct sf_conf){
		.t1_ms = 500, .fr_ms = 2000, .fr_inv_ms = 120000, .wait_ms = wait_ms,
		.retry_after_s = 5, .n_codes = 2, .codes = { 500, 503 },
	};
}

void
inproc_wrk_init(struct wrk *w, uint16_t port, uint16_t queue, struct rte_mempool *mp,
		struct px_conf *const *pc, const volatile bool *quit, struct sf *sf)
{
	struct wrk_params p = {
		.port_id = port, .queue_id = queue, .sip_port = INPROC_SIP_PORT, .prefix = 24,
		.addr = inproc_ip(INPROC_LB), .mac = inproc_mac_lb, .mp = mp, .conf = pc,
		.quit = quit, .sf = sf,
	};

	wrk_init(w, &p);
}
