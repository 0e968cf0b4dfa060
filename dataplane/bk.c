/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend set construction (control plane).
 *
 * Every set uses the same Maglev table size, whatever its number of backends:
 * a key's slot is hash % size, so a size that followed n would remap almost
 * every Call-ID whenever a backend is added, removed or marked down, and the
 * consistency Maglev buys would be lost. 65537 (the paper's small size, 128 KiB)
 * is > 100 slots per backend for any set, and large enough that a change of
 * one backend moves < 1 % of the calls on the other backends (test_mgl measures
 * it) where the minimal 100 x n moves up to ~3 %.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"

#define BK_MGL_SIZE 65537
_Static_assert(BK_MGL_SIZE >= 100 * MGL_MAX_BACKENDS, "table too small for the largest set");

static int
bk_validate(const struct bk *bks, uint32_t n)
{
	if (n > MGL_MAX_BACKENDS || (n > 0 && bks == NULL))
		return -EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strnlen(bks[i].name, BK_NAME_MAX);

		if (bks[i].state > BK_ABSENT)
			return -EINVAL;
		if (bks[i].state == BK_ABSENT)
			continue;
		if (len == 0 || len >= BK_NAME_MAX)
			return -EINVAL;
		if (bks[i].weight < 1 || bks[i].weight > MGL_MAX_WEIGHT)
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (bks[j].state != BK_ABSENT && strcmp(bks[i].name, bks[j].name) == 0)
				return -EINVAL;
	}
	return 0;
}

struct bk_set *
bk_set_create(const struct bk *bks, uint32_t n)
{
	const char *names[MGL_MAX_BACKENDS];
	uint32_t weights[MGL_MAX_BACKENDS];
	uint16_t slot[MGL_MAX_BACKENDS];
	struct bk_set *s;
	uint32_t na = 0;
	int rc;

	rc = bk_validate(bks, n);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	s = malloc(sizeof(*s) + (size_t)n * sizeof(s->bk[0]));
	if (s == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	s->n = n;
	s->mgl = NULL;
	for (uint32_t i = 0; i < n; i++) {
		struct bk *b = &s->bk[i];

		/* Copy field by field: the caller's name_len and bytes after
		 * the NUL are not trusted. */
		memset(b, 0, sizeof(*b));
		b->state = bks[i].state;
		if (b->state == BK_ABSENT)
			continue;
		b->addr = bks[i].addr;
		b->port = bks[i].port;
		b->weight = bks[i].weight;
		b->name_len = (uint16_t)strlen(bks[i].name);
		memcpy(b->name, bks[i].name, b->name_len);
		if (b->state != BK_ACTIVE)
			continue;
		names[na] = b->name;
		weights[na] = b->weight;
		slot[na++] = (uint16_t)i;
	}
	s->n_active = na;
	if (na > 0) {
		/* Built over the active backends by name, so the table
		 * depends on the names and weights only; its entries are
		 * then turned from active-list positions into slots. */
		s->mgl = mgl_build(names, weights, na, BK_MGL_SIZE);
		if (s->mgl == NULL) {
			rc = errno;
			free(s);
			errno = rc;
			return NULL;
		}
		for (uint32_t k = 0; k < s->mgl->size; k++)
			s->mgl->table[k] = slot[s->mgl->table[k]];
	}
	return s;
}

void
bk_set_free(struct bk_set *s)
{
	if (s == NULL)
		return;
	mgl_free(s->mgl);
	free(s);
}
