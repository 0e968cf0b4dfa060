/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * String views: zero-copy {pointer, length} slices of a datagram.
 *
 * A view never owns its bytes and is never NUL-terminated; it dies with the
 * buffer (mbuf) it points into. Whatever must outlive the packet is copied or
 * hashed on purpose. All helpers are pure and may be called from any thread.
 */
#ifndef SIPLB_SV_H
#define SIPLB_SV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct sv {
	const char *p;
	uint16_t len;
};

/* printf("%.*s", SV_FMT(v)) */
#define SV_FMT(v) (int)(v).len, (v).p
/* A view of a string literal, computed at compile time. */
#define SV_LIT(s) ((struct sv){ (s), (uint16_t)(sizeof(s) - 1) })

static inline struct sv
sv_make(const char *p, const char *end)
{
	return (struct sv){ p, (uint16_t)(end - p) };
}

static inline const char *
sv_end(struct sv v)
{
	return v.p + v.len;
}

static inline bool
sv_empty(struct sv v)
{
	return v.len == 0;
}

static inline bool
sv_eq(struct sv a, struct sv b)
{
	return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static inline char
sv_lower_c(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

/* Case-insensitive ASCII equality (header names, parameter names, hosts). */
static inline bool
sv_ieq(struct sv a, struct sv b)
{
	if (a.len != b.len)
		return false;
	for (uint16_t i = 0; i < a.len; i++)
		if (sv_lower_c(a.p[i]) != sv_lower_c(b.p[i]))
			return false;
	return true;
}

/* Case-insensitive prefix test. */
static inline bool
sv_istarts(struct sv a, struct sv prefix)
{
	if (a.len < prefix.len)
		return false;
	return sv_ieq((struct sv){ a.p, prefix.len }, prefix);
}

static inline bool
sv_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Strip leading and trailing whitespace (SP, HTAB, CR, LF: folded lines). */
static inline struct sv
sv_trim(struct sv v)
{
	while (v.len && sv_is_ws(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len && sv_is_ws(v.p[v.len - 1]))
		v.len--;
	return v;
}

/* Index of the first c in v, or -1. */
static inline int
sv_find(struct sv v, char c)
{
	const char *q = memchr(v.p, c, v.len);
	return q ? (int)(q - v.p) : -1;
}

/* The view from offset off to the end (off clamped to len). */
static inline struct sv
sv_from(struct sv v, uint16_t off)
{
	if (off > v.len)
		off = v.len;
	return (struct sv){ v.p + off, (uint16_t)(v.len - off) };
}

/* Write v as `digits` lowercase hex digits (the low 4 x digits bits), no NUL. */
static inline void
sv_hex_put(char *p, uint64_t v, unsigned digits)
{
	static const char hx[] = "0123456789abcdef";

	for (unsigned i = digits; i-- > 0; v >>= 4)
		p[i] = hx[v & 15];
}

/*
 * Read `digits` lowercase hex digits at p (digits <= 16), as sv_hex_put
 * writes them. Returns 0 and sets *v, or -1 at any other character.
 */
static inline int
sv_hex_get(const char *p, unsigned digits, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < digits; i++) {
		char c = p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			return -1;
		r = r << 4 | d;
	}
	*v = r;
	return 0;
}

/*
 * Parse an unsigned decimal that fills the whole view.
 * Returns 0 and sets *out, or -1 if empty, non-digit, or above max.
 */
static inline int
sv_to_u32(struct sv v, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 10)
		return -1;
	for (uint16_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (n > max)
		return -1;
	*out = (uint32_t)n;
	return 0;
}

#endif
