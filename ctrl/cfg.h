/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration: load and validate a libconfig file (control plane only).
 *
 * cfg_load() parses the whole file, checks every key against the key table
 * (name, type, range; unknown keys, wrong types, out-of-range values, duplicate
 * backends and bad addresses are errors, never defaulted), reports each error
 * as "FILE:LINE: message" and fills *out only when there was none.
 */
#ifndef SIPLB_CFG_H
#define SIPLB_CFG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CFG_MAX_EAL_ARGS 64
#define CFG_MAX_LCORES 64
#define CFG_MAX_BACKENDS 256
#define CFG_MAX_FAILOVER_CODES 16
#define CFG_MAX_ALIVE_CODES 16
#define CFG_NAME_MAX 32

enum cfg_mode { CFG_MODE_STATELESS = 0, CFG_MODE_STATEFUL };

struct cfg_backend {
	char name[CFG_NAME_MAX];
	uint32_t addr;   /* IPv4, network order */
	uint16_t port;   /* host order, default 5060 */
	uint16_t weight; /* 1..1000, default 1 */
};

struct cfg {
	char path[PATH_MAX];

	/* dpdk */
	int eal_argc;
	char *eal_argv[CFG_MAX_EAL_ARGS + 1]; /* NULL-terminated, owned */

	/* interface */
	uint16_t port_id;
	uint32_t addr;     /* network order */
	uint8_t prefix;    /* 1..32 */
	bool has_gateway;
	uint32_t gateway;  /* network order, on-link */
	uint16_t mtu;      /* IP MTU, 576..9000, default 1500 */

	/* sip */
	uint16_t sip_port;         /* default 5060 */
	enum cfg_mode mode;        /* default stateless */
	bool record_route;         /* default true */

	/* workers */
	unsigned n_lcores;
	unsigned lcores[CFG_MAX_LCORES];

	/* backends */
	unsigned n_backends;
	struct cfg_backend backends[CFG_MAX_BACKENDS];

	/* control */
	char control_socket[108];  /* default /run/siplb/siplb.sock */

	/* stateful (per worker core) */
	uint32_t st_capacity;      /* default 131072 */
	uint32_t st_fr_timer_ms;   /* default 2000 */
	uint32_t st_fr_inv_timer_ms; /* default 120000 */
	unsigned st_n_failover_codes;
	uint16_t st_failover_codes[CFG_MAX_FAILOVER_CODES]; /* default 500, 503 */
	uint32_t st_t1_ms;         /* default 500: Timer A's first interval (RFC 3261 T1) */
	uint32_t st_wait_ms;       /* default 5000: kept after the final (SER wait timer) */
	uint32_t st_retry_after_s; /* default 5: Retry-After of the table-full 503 */

	/* health */
	bool hc_enabled;           /* default false: no OPTIONS probes */
	uint32_t hc_interval_ms;   /* default 1000 */
	uint32_t hc_timeout_ms;    /* default 500, < interval */
	uint32_t hc_down_after;    /* default 3 misses */
	uint32_t hc_up_after;      /* default 2 answers */
	unsigned hc_n_alive;
	uint16_t hc_alive[CFG_MAX_ALIVE_CODES]; /* default 200 */

	/* telemetry */
	uint32_t prom_port;        /* Prometheus text on 127.0.0.1:port; 0: off */

	/* accounting */
	char acct_file[256];       /* JSON lines; empty: no accounting */
	uint32_t acct_ring;        /* default 16384: records per worker in flight */
};

/*
 * Load path into *out. Every error is written to err as "FILE:LINE: message"
 * (one line each). Returns 0, or -EINVAL when the file has errors, or -errno
 * when it cannot be read. On error *out is left as it was. Release with
 * cfg_free().
 */
int cfg_load(const char *path, struct cfg *out, FILE *err);

/* Free what cfg_load allocated (the EAL argument strings). */
void cfg_free(struct cfg *c);

/*
 * Compare the keys a reload may not change (init-only: every key not marked
 * reloadable in the key table, docs/config.md) between the running old and
 * the reloaded new configuration; report each one that differs, by name, on
 * err. Returns how many differ (0: the reload may go ahead).
 */
int cfg_diff_init_only(const struct cfg *old, const struct cfg *new, FILE *err);

#endif
