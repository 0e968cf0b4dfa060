/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Maglev consistent hashing with weights (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, §3.4).
 *
 * mgl_build() fills a lookup table whose size is a prime >= 100 x backends;
 * each backend's permutation comes from two hashes of its name, so the same
 * names and weights give the same table on every instance and every run, and
 * removing one backend moves (almost) only the keys that were on it. Weights
 * are honoured by giving a backend `weight` turns per round of the population
 * loop. The table is immutable once built: workers read it without locks
 * while the control plane builds the next one.
 */
#ifndef SIPLB_MGL_H
#define SIPLB_MGL_H

#include <stdint.h>

#define MGL_MAX_BACKENDS 256
#define MGL_MAX_WEIGHT 1000

struct mgl {
	uint32_t size;     /* prime, the table length */
	uint32_t n;        /* number of backends */
	uint16_t table[];  /* backend index per slot */
};

/*
 * Build a table for n backends (1 <= n <= MGL_MAX_BACKENDS) named names[i]
 * with weights[i] (1..MGL_MAX_WEIGHT). size 0 chooses the smallest prime
 * >= 100 x n (and >= 101); otherwise size must be a prime >= n.
 * Returns a table (free with mgl_free) or NULL with errno EINVAL/ENOMEM.
 * Control plane only: allocates with malloc and loops O(size x n) worst case.
 */
struct mgl *mgl_build(const char *const *names, const uint32_t *weights,
		      uint32_t n, uint32_t size);

void mgl_free(struct mgl *m);

/* Smallest prime >= max(100 x n, 101). */
uint32_t mgl_size_for(uint32_t n);

/* Backend index for a key hash. Any thread; the table must stay alive. */
static inline uint16_t
mgl_lookup(const struct mgl *m, uint32_t hash)
{
	return m->table[hash % m->size];
}

/*
 * The key hash used with mgl_lookup for a Call-ID (or any byte string):
 * CRC32C, identical in hardware and software, so every instance and
 * platform agree.
 */
uint32_t mgl_hash(const void *key, uint32_t len);

#endif
