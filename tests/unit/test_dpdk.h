/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK for unit tests that need real mbufs: one EAL per test program,
 * without hugepages, shared config or telemetry, and a pool with no
 * per-lcore cache so that rte_mempool_avail_count() is exact and every test
 * can check it gave back every mbuf.
 */
#ifndef SIPLB_TEST_DPDK_H
#define SIPLB_TEST_DPDK_H

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

/* Start the EAL and create a pool of n mbufs named name; NULL on failure. */
static inline struct rte_mempool *
test_dpdk_init(const char *name, unsigned n)
{
	char *argv[] = { (char *)(uintptr_t)name, "--no-huge", "-m", "64", "--no-pci",
			 "--no-shconf", "--no-telemetry", "--log-level=lib.eal:error",
			 "-l", "0" };

	if (rte_eal_init(RTE_DIM(argv), argv) < 0)
		return NULL;
	return rte_pktmbuf_pool_create(name, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
}

/* Free the pool and the EAL. -1 if the pool is not full again (a leak). */
static inline int
test_dpdk_fini(struct rte_mempool *mp, unsigned n)
{
	int rc = rte_mempool_avail_count(mp) == n ? 0 : -1;

	rte_mempool_free(mp);
	rte_eal_cleanup();
	return rc;
}

/*
 * group_setup() and group_teardown() for cmocka_run_group_tests(): start the
 * EAL with a pool of n mbufs in the test's `mp`, and check at the end that
 * every mbuf came back.
 */
#define TEST_DPDK_GROUP(name, n)                                 \
	static int group_setup(void **state)                     \
	{                                                        \
		(void)state;                                     \
		mp = test_dpdk_init(name, n);                    \
		return mp == NULL ? -1 : 0;                      \
	}                                                        \
	static int group_teardown(void **state)                  \
	{                                                        \
		(void)state;                                     \
		return test_dpdk_fini(mp, n);                    \
	}

#endif
