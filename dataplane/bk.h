/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend sets: an immutable snapshot of the backends and their Maglev table.
 *
 * The control plane builds a set with bk_set_create() and publishes it with
 * one pointer store; workers only read it. Lookups are inline and lock-free.
 */
#ifndef SIPLB_BK_H
#define SIPLB_BK_H

#include <stdint.h>
#include <string.h>

#include "mgl.h"
#include "sv.h"

#define BK_NAME_MAX 32

struct bk {
	uint32_t addr;     /* IPv4, network order */
	uint16_t port;     /* host order */
	uint16_t weight;
	uint16_t name_len;
	char name[BK_NAME_MAX]; /* NUL-terminated, name_len bytes */
};

struct bk_set {
	uint32_t n;
	struct mgl *mgl;   /* NULL when n == 0 */
	struct bk bk[];
};

/*
 * Copy n backends (0..MGL_MAX_BACKENDS; names unique, 1..BK_NAME_MAX-1 chars,
 * weights 1..MGL_MAX_WEIGHT) into a new set and build its Maglev table.
 * Returns the set or NULL with errno set. Control plane only.
 */
struct bk_set *bk_set_create(const struct bk *bks, uint32_t n);

void bk_set_free(struct bk_set *s);

/* Index of the backend named name, or -1. Any thread. */
static inline int
bk_set_by_name(const struct bk_set *s, struct sv name)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->bk[i].name_len == name.len &&
		    memcmp(s->bk[i].name, name.p, name.len) == 0)
			return (int)i;
	return -1;
}

/* Index of the backend at addr:port (network order, host order), or -1. */
static inline int
bk_set_by_addr(const struct bk_set *s, uint32_t addr, uint16_t port)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->bk[i].addr == addr && s->bk[i].port == port)
			return (int)i;
	return -1;
}

/* Backend index for a Call-ID, or -1 when the set is empty. Any thread. */
static inline int
bk_set_pick(const struct bk_set *s, struct sv call_id)
{
	if (s->n == 0)
		return -1;
	return mgl_lookup(s->mgl, mgl_hash(call_id.p, call_id.len));
}

#endif
