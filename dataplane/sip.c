/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SIP message parser (RFC 3261 §7, §20, §25).
 *
 * One pass over the datagram. The header section is scanned 64 bytes at a
 * time: one SIMD pass per block gives bitmasks of '\n', ':' and RFC 3261
 * token characters, so each header line costs a few bit operations (line end,
 * colon, name validation) instead of one memchr() and a byte loop per line.
 * Header names are identified by length + first letter, so the common
 * headers cost one switch and one word compare. Every load is bounded by the
 * datagram (masked or copied tail); nothing relies on a NUL.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512BW__) || defined(__AVX2__) || defined(__SSSE3__)
#include <immintrin.h>
#endif

#include "sip.h"

enum {
	C_TOKEN = 1, /* RFC 3261 §25.1 token */
	C_WS = 2,    /* SP HTAB CR LF: folded LWS once the line is joined */
	C_DIGIT = 4,
	C_HOST = 8,  /* hostname / IPv4 literal characters */
	C_ALPHA = 16,
	C_PSTOP = 32, /* ends an unquoted parameter value: LWS ';' ',' */
};

static const uint8_t sip_cc[256] = {
	[' '] = C_WS | C_PSTOP, ['\t'] = C_WS | C_PSTOP,
	['\r'] = C_WS | C_PSTOP, ['\n'] = C_WS | C_PSTOP,
	[';'] = C_PSTOP, [','] = C_PSTOP,
	['0' ... '9'] = C_TOKEN | C_DIGIT | C_HOST,
	['a' ... 'z'] = C_TOKEN | C_HOST | C_ALPHA,
	['A' ... 'Z'] = C_TOKEN | C_HOST | C_ALPHA,
	['-'] = C_TOKEN | C_HOST, ['.'] = C_TOKEN | C_HOST,
	['!'] = C_TOKEN, ['%'] = C_TOKEN, ['*'] = C_TOKEN, ['_'] = C_TOKEN,
	['+'] = C_TOKEN, ['`'] = C_TOKEN, ['\''] = C_TOKEN, ['~'] = C_TOKEN,
};

static inline uint8_t
cc(char c)
{
	return sip_cc[(uint8_t)c];
}

static inline const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (cc(*p) & C_WS))
		p++;
	return p;
}

static inline const char *
skip_token(const char *p, const char *e)
{
	while (p < e && (cc(*p) & C_TOKEN))
		p++;
	return p;
}

/*
 * End of an unquoted parameter value (RFC 3261 §25.1 gen-value, token or
 * host): the first LWS, ';' or ',' in [p, e), else e. Branch values are the
 * longest thing the proxy scans per message, so this one gets SIMD.
 */
static inline const char *
skip_pvalue(const char *p, const char *e)
{
#if defined(__AVX512BW__)
	while (p < e) {
		size_t rem = (size_t)(e - p);
		/* Masked-off bytes are neither read nor faulted on. */
		__mmask64 k = rem >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << rem) - 1;
		__m512i v = _mm512_maskz_loadu_epi8(k, p);
		__mmask64 m = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' ')) |
			      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t')) |
			      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\r')) |
			      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) |
			      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(';')) |
			      _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(','));

		m &= k;
		if (m)
			return p + __builtin_ctzll(m);
		if (rem <= 64)
			break;
		p += 64;
	}
	return e;
#else
	while (p < e && !(cc(*p) & C_PSTOP))
		p++;
	return p;
#endif
}

/* p at an opening '"'. Returns the byte after the closing quote, or NULL when
 * the quoted-string is unterminated (RFC 3261 §25.1 quoted-pair aware). */
static const char *
skip_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (e - p < 2)
				return NULL;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/*
 * Compare n bytes at p with a lowercase literal. OR-ing 0x20 folds only
 * letters onto the literal's letters; callers pass either validated token
 * characters or compare against letters only, so no other byte can alias.
 */
static inline bool
lc_eq(const char *p, const char *lit, unsigned n)
{
	/* n and lit are constants at every call: word compares, overlapping
	 * for the tail, fold into a few immediate compares. */
	if (n >= 8) {
		uint64_t a, b, x = 0;

		for (unsigned i = 0; i + 8 <= n; i += 8) {
			memcpy(&a, p + i, 8);
			memcpy(&b, lit + i, 8);
			x |= (a | 0x2020202020202020ull) ^ b;
		}
		memcpy(&a, p + n - 8, 8);
		memcpy(&b, lit + n - 8, 8);
		return (x | ((a | 0x2020202020202020ull) ^ b)) == 0;
	}
	if (n >= 4) {
		uint32_t a, b, c, d;

		memcpy(&a, p, 4);
		memcpy(&b, lit, 4);
		memcpy(&c, p + n - 4, 4);
		memcpy(&d, lit + n - 4, 4);
		return (((a | 0x20202020u) ^ b) | ((c | 0x20202020u) ^ d)) == 0;
	}
	for (unsigned i = 0; i < n; i++)
		if ((char)(p[i] | 0x20) != lit[i])
			return false;
	return true;
}

/* Decimal port 1..65535 in [p, e) at most 5 digits. Returns end or NULL. */
static const char *
parse_port(const char *p, const char *e, uint16_t *port)
{
	const char *s = p;
	uint32_t n = 0;

	while (p < e && (cc(*p) & C_DIGIT) && p - s < 5)
		n = n * 10 + (uint32_t)(*p++ - '0');
	if (p == s || n == 0 || n > 65535 || (p < e && (cc(*p) & C_DIGIT)))
		return NULL;
	*port = (uint16_t)n;
	return p;
}

const char *
sip_err_name(enum sip_err e)
{
	static const char *const names[SIP_E__COUNT] = {
		[SIP_OK] = "ok",
		[SIP_E_START_LINE] = "start_line",
		[SIP_E_VERSION] = "version",
		[SIP_E_HDR_SYNTAX] = "hdr_syntax",
		[SIP_E_TOO_MANY_HDRS] = "too_many_hdrs",
		[SIP_E_NO_BODY_SEP] = "no_body_sep",
		[SIP_E_CLEN] = "clen",
		[SIP_E_CLEN_SHORT] = "clen_short",
	};

	return (unsigned)e < SIP_E__COUNT ? names[e] : "unknown";
}

const char *
sip_method_name(enum sip_method m)
{
	static const char *const names[SIP_M__COUNT] = {
		[SIP_M_OTHER] = "OTHER",
		[SIP_M_INVITE] = "INVITE",
		[SIP_M_ACK] = "ACK",
		[SIP_M_BYE] = "BYE",
		[SIP_M_CANCEL] = "CANCEL",
		[SIP_M_OPTIONS] = "OPTIONS",
		[SIP_M_REGISTER] = "REGISTER",
		[SIP_M_PRACK] = "PRACK",
		[SIP_M_SUBSCRIBE] = "SUBSCRIBE",
		[SIP_M_NOTIFY] = "NOTIFY",
		[SIP_M_PUBLISH] = "PUBLISH",
		[SIP_M_INFO] = "INFO",
		[SIP_M_REFER] = "REFER",
		[SIP_M_MESSAGE] = "MESSAGE",
		[SIP_M_UPDATE] = "UPDATE",
	};

	return (unsigned)m < SIP_M__COUNT ? names[m] : "OTHER";
}

#define M_IS(lit, id) \
	do { \
		if (memcmp(p, lit, sizeof(lit) - 1) == 0) \
			return id; \
	} while (0)

/* Method names are case-sensitive (RFC 3261 §7.1): plain memcmp. */
enum sip_method
sip_method_of(struct sv name)
{
	const char *p = name.p;

	switch (name.len) {
	case 3:
		M_IS("ACK", SIP_M_ACK);
		M_IS("BYE", SIP_M_BYE);
		break;
	case 4:
		M_IS("INFO", SIP_M_INFO);
		break;
	case 5:
		M_IS("PRACK", SIP_M_PRACK);
		M_IS("REFER", SIP_M_REFER);
		break;
	case 6:
		switch (p[0]) {
		case 'I': M_IS("INVITE", SIP_M_INVITE); break;
		case 'C': M_IS("CANCEL", SIP_M_CANCEL); break;
		case 'N': M_IS("NOTIFY", SIP_M_NOTIFY); break;
		case 'U': M_IS("UPDATE", SIP_M_UPDATE); break;
		}
		break;
	case 7:
		switch (p[0]) {
		case 'O': M_IS("OPTIONS", SIP_M_OPTIONS); break;
		case 'P': M_IS("PUBLISH", SIP_M_PUBLISH); break;
		case 'M': M_IS("MESSAGE", SIP_M_MESSAGE); break;
		}
		break;
	case 8:
		M_IS("REGISTER", SIP_M_REGISTER);
		break;
	case 9:
		M_IS("SUBSCRIBE", SIP_M_SUBSCRIBE);
		break;
	}
	return SIP_M_OTHER;
}

#undef M_IS

#define H_IS(lit, id) \
	do { \
		if (lc_eq(p, lit, sizeof(lit) - 1)) \
			return id; \
	} while (0)

/* Header id of a validated token name: length first, then first letter, so
 * each name costs one compare (RFC 3261 §7.3.1: names are case-insensitive;
 * compact forms §7.3.3, RFC 3265 o/u, RFC 3515 r). */
static uint8_t
hdr_classify(const char *p, uint16_t n)
{
	switch (n) {
	case 1:
		switch (p[0] | 0x20) {
		case 'v': return SIP_H_VIA;
		case 'i': return SIP_H_CALL_ID;
		case 'f': return SIP_H_FROM;
		case 't': return SIP_H_TO;
		case 'm': return SIP_H_CONTACT;
		case 'l': return SIP_H_CONTENT_LENGTH;
		case 'c': return SIP_H_CONTENT_TYPE;
		case 'k': return SIP_H_SUPPORTED;
		case 's': return SIP_H_SUBJECT;
		case 'e': return SIP_H_CONTENT_ENCODING;
		case 'o': return SIP_H_EVENT;
		case 'r': return SIP_H_REFER_TO;
		case 'u': return SIP_H_ALLOW_EVENTS;
		}
		break;
	case 2:
		H_IS("to", SIP_H_TO);
		break;
	case 3:
		H_IS("via", SIP_H_VIA);
		break;
	case 4:
		switch (p[0] | 0x20) {
		case 'c': H_IS("cseq", SIP_H_CSEQ); break;
		case 'f': H_IS("from", SIP_H_FROM); break;
		}
		break;
	case 5:
		switch (p[0] | 0x20) {
		case 'r': H_IS("route", SIP_H_ROUTE); break;
		case 'e': H_IS("event", SIP_H_EVENT); break;
		}
		break;
	case 7:
		switch (p[0] | 0x20) {
		case 'c':
			H_IS("call-id", SIP_H_CALL_ID);
			H_IS("contact", SIP_H_CONTACT);
			break;
		case 's': H_IS("subject", SIP_H_SUBJECT); break;
		}
		break;
	case 8:
		H_IS("refer-to", SIP_H_REFER_TO);
		break;
	case 9:
		H_IS("supported", SIP_H_SUPPORTED);
		break;
	case 12:
		switch (p[0] | 0x20) {
		case 'm': H_IS("max-forwards", SIP_H_MAX_FORWARDS); break;
		case 'c': H_IS("content-type", SIP_H_CONTENT_TYPE); break;
		case 'r': H_IS("record-route", SIP_H_RECORD_ROUTE); break;
		case 'a': H_IS("allow-events", SIP_H_ALLOW_EVENTS); break;
		}
		break;
	case 14:
		H_IS("content-length", SIP_H_CONTENT_LENGTH);
		break;
	case 16:
		H_IS("content-encoding", SIP_H_CONTENT_ENCODING);
		break;
	}
	return SIP_H_OTHER;
}

#undef H_IS

/* "SIP/" 1*DIGIT "." 1*DIGIT (RFC 3261 §25.1 SIP-Version): a version we can
 * name in a 505 rather than a line that is not SIP at all. */
static bool
looks_like_version(const char *p, const char *e)
{
	const char *s;

	if (e - p < 7 || !lc_eq(p, "sip", 3) || p[3] != '/')
		return false;
	p += 4;
	for (s = p; p < e && (cc(*p) & C_DIGIT); p++)
		;
	if (p == s || p >= e || *p != '.')
		return false;
	for (s = ++p; p < e && (cc(*p) & C_DIGIT); p++)
		;
	return p != s && p == e;
}

/*
 * Start line [p, e) without its line end (RFC 3261 §7.1, §7.2). When
 * has_masks, the line lies in the first 64 bytes and tok / sp are their
 * token and ' ' bitmasks (bit i: p[i]), which replace the byte loops.
 * Returns SIP_OK, SIP_E_VERSION (request fields set) or SIP_E_START_LINE.
 */
static enum sip_err
parse_start_line(const char *p, const char *e, bool has_masks, uint64_t tok,
		 uint64_t sp, struct sip_msg *msg)
{
	const char *t, *u;

	if (e - p >= 8 && memcmp(p, "SIP/", 4) == 0) {
		unsigned st;

		if (e - p < 11 || memcmp(p + 4, "2.0 ", 4) != 0)
			return SIP_E_START_LINE;
		t = p + 8;
		if (!(cc(t[0]) & cc(t[1]) & cc(t[2]) & C_DIGIT))
			return SIP_E_START_LINE;
		st = (unsigned)(t[0] - '0') * 100 + (unsigned)(t[1] - '0') * 10 +
		     (unsigned)(t[2] - '0');
		if (st < 100 || st > 699)
			return SIP_E_START_LINE;
		t += 3;
		if (t < e && *t != ' ')
			return SIP_E_START_LINE;
		msg->is_request = false;
		msg->status = (uint16_t)st;
		msg->reason = t < e ? sv_make(t + 1, e) : sv_make(e, e);
		return SIP_OK;
	}

	/* Method SP Request-URI SP SIP-Version: exactly two spaces. */
	if (has_masks) {
		uint64_t lm = ((uint64_t)1 << (e - p)) - 1;
		uint64_t nt = ~tok & lm, spm;

		t = nt ? p + __builtin_ctzll(nt) : e;
		if (t == p || t >= e || *t != ' ')
			return SIP_E_START_LINE;
		/* t is the first space; the next one ends the URI. */
		spm = sp & lm & ~(((uint64_t)2 << (t - p)) - 1);
		if (!spm)
			return SIP_E_START_LINE;
		u = p + __builtin_ctzll(spm);
		if (u == t + 1 || u + 1 >= e || (spm & (spm - 1)))
			return SIP_E_START_LINE;
	} else {
		t = skip_token(p, e);
		if (t == p || t >= e || *t != ' ')
			return SIP_E_START_LINE;
		u = memchr(t + 1, ' ', (size_t)(e - t - 1));
		if (!u || u == t + 1 || u + 1 >= e ||
		    memchr(u + 1, ' ', (size_t)(e - u - 1)))
			return SIP_E_START_LINE;
	}
	msg->is_request = true;
	msg->method_name = sv_make(p, t);
	msg->method = (uint8_t)sip_method_of(msg->method_name);
	msg->ruri = sv_make(t + 1, u);
	u++;
	if (e - u == 7 && memcmp(u, "SIP/2.0", 7) == 0)
		return SIP_OK;
	return looks_like_version(u, e) ? SIP_E_VERSION : SIP_E_START_LINE;
}

/*
 * Content-Length value (RFC 3261 §20.14): 1*DIGIT after trimming. Values above
 * 65535 saturate: they cannot fit a datagram and end as SIP_E_CLEN_SHORT.
 */
static int
parse_clen(struct sv v, uint32_t *out)
{
	uint32_t n = 0;

	if (v.len == 0)
		return -1;
	for (uint16_t i = 0; i < v.len; i++) {
		if (!(cc(v.p[i]) & C_DIGIT))
			return -1;
		if (n <= 65535)
			n = n * 10 + (uint32_t)(v.p[i] - '0');
	}
	*out = n;
	return 0;
}

/*
 * Block scanner over the datagram: bit i of nl / col / tok describes byte
 * buf[blk + i] ('\n', ':', RFC 3261 §25.1 token character). Bytes past the
 * datagram's end read as NUL (none of the three), so a partial last block
 * needs no special case in the callers.
 */
struct scan {
	const char *buf;
	uint32_t len;
	uint32_t blk;  /* offset of the current block, a multiple of 64 */
	uint64_t nl;
	uint64_t nlm;  /* nl bits not consumed yet by scan_nl() */
	uint64_t col;
	uint64_t tok;
	uint64_t sp;   /* ' ', for the start line */
};

#if defined(__AVX512BW__) || defined(__AVX2__) || defined(__SSSE3__)
/*
 * Token set membership by nibbles: byte b is a token character iff
 * tok_lo[b & 15] has bit (b >> 4) set; tok_hi[h] = 1 << h for h < 8 and 0
 * above, so bytes >= 0x80 are never tokens. Generated from sip_cc[] C_TOKEN.
 */
#define SIP_TOK_LO \
	0xe8, 0xfc, 0xf8, 0xf8, 0xf8, 0xfc, 0xf8, 0xfc, \
	0xf8, 0xf8, 0xf4, 0x54, 0x50, 0x54, 0xd4, 0x70
#define SIP_TOK_HI \
	0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, (char)0x80, 0, 0, 0, 0, 0, 0, 0, 0
#endif

#if defined(__AVX512BW__)
static inline void
scan_load(struct scan *s)
{
	uint32_t rem = s->len - s->blk;
	/* Masked-off bytes are neither read nor faulted on. */
	__mmask64 k = rem >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << rem) - 1;
	__m512i v = _mm512_maskz_loadu_epi8(k, s->buf + s->blk);
	const __m512i lo_t = _mm512_broadcast_i32x4(_mm_setr_epi8(SIP_TOK_LO));
	const __m512i hi_t = _mm512_broadcast_i32x4(_mm_setr_epi8(SIP_TOK_HI));
	const __m512i nib = _mm512_set1_epi8(0x0f);
	__m512i lo = _mm512_and_si512(v, nib);
	__m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
	__m512i t = _mm512_and_si512(_mm512_shuffle_epi8(lo_t, lo),
				     _mm512_shuffle_epi8(hi_t, hi));

	s->nl = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
	s->col = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(':'));
	s->sp = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(' '));
	s->tok = _mm512_test_epi8_mask(t, t);
}
#elif defined(__AVX2__)
static inline void
scan_load(struct scan *s)
{
	uint32_t rem = s->len - s->blk;
	const char *p = s->buf + s->blk;
	char tail[64] __attribute__((aligned(32)));
	const __m256i lo_t = _mm256_setr_epi8(SIP_TOK_LO, SIP_TOK_LO);
	const __m256i hi_t = _mm256_setr_epi8(SIP_TOK_HI, SIP_TOK_HI);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	const __m256i zero = _mm256_setzero_si256();
	uint64_t nl = 0, col = 0, tok = 0, sp = 0;

	if (rem < 64) {
		/* Never load past the datagram: copy the tail to a zeroed block. */
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, rem);
		p = tail;
	}
	for (int i = 0; i < 2; i++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * i));
		__m256i lo = _mm256_and_si256(v, nib);
		__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
		__m256i t = _mm256_and_si256(_mm256_shuffle_epi8(lo_t, lo),
					     _mm256_shuffle_epi8(hi_t, hi));

		nl |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n'))) << (32 * i);
		col |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8(':'))) << (32 * i);
		sp |= (uint64_t)(uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '))) << (32 * i);
		tok |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(t, zero)) << (32 * i);
	}
	s->nl = nl;
	s->col = col;
	s->tok = tok;
	s->sp = sp;
}
#elif defined(__SSSE3__)
static inline void
scan_load(struct scan *s)
{
	uint32_t rem = s->len - s->blk;
	const char *p = s->buf + s->blk;
	char tail[64] __attribute__((aligned(16)));
	const __m128i lo_t = _mm_setr_epi8(SIP_TOK_LO);
	const __m128i hi_t = _mm_setr_epi8(SIP_TOK_HI);
	const __m128i nib = _mm_set1_epi8(0x0f);
	const __m128i zero = _mm_setzero_si128();
	uint64_t nl = 0, col = 0, tok = 0, sp = 0;

	if (rem < 64) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p, rem);
		p = tail;
	}
	for (int i = 0; i < 4; i++) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
		__m128i lo = _mm_and_si128(v, nib);
		__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), nib);
		__m128i t = _mm_and_si128(_mm_shuffle_epi8(lo_t, lo),
					  _mm_shuffle_epi8(hi_t, hi));

		nl |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))) << (16 * i);
		col |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))) << (16 * i);
		sp |= (uint64_t)(uint16_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_set1_epi8(' '))) << (16 * i);
		tok |= (uint64_t)(uint16_t)~_mm_movemask_epi8(
			_mm_cmpeq_epi8(t, zero)) << (16 * i);
	}
	s->nl = nl;
	s->col = col;
	s->tok = tok;
	s->sp = sp;
}
#else
/* Portable fallback: the same masks, one byte at a time. */
static inline void
scan_load(struct scan *s)
{
	uint32_t rem = s->len - s->blk;
	const char *p = s->buf + s->blk;
	uint64_t nl = 0, col = 0, tok = 0, sp = 0;

	if (rem > 64)
		rem = 64;
	for (uint32_t i = 0; i < rem; i++) {
		nl |= (uint64_t)(p[i] == '\n') << i;
		col |= (uint64_t)(p[i] == ':') << i;
		sp |= (uint64_t)(p[i] == ' ') << i;
		tok |= (uint64_t)((cc(p[i]) & C_TOKEN) != 0) << i;
	}
	s->nl = nl;
	s->col = col;
	s->tok = tok;
	s->sp = sp;
}
#endif

static inline void
scan_init(struct scan *s, const char *buf, uint16_t len)
{
	s->buf = buf;
	s->len = len;
	s->blk = 0;
	scan_load(s);
	s->nlm = s->nl;
}

static inline void
scan_next_block(struct scan *s)
{
	s->blk += 64;
	scan_load(s);
	s->nlm = s->nl;
}

/*
 * The next '\n' not returned yet, or NULL. Walking the mask (clear lowest
 * bit) rather than searching from a pointer keeps the line-to-line chain to
 * one bit operation. Leaves the block holding the result current.
 */
static inline const char *
scan_nl(struct scan *s)
{
	unsigned i;

	while (s->nlm == 0) {
		if (s->len - s->blk <= 64)
			return NULL;
		scan_next_block(s);
	}
	i = (unsigned)__builtin_ctzll(s->nlm);
	s->nlm &= s->nlm - 1;
	return s->buf + s->blk + i;
}

enum sip_err
sip_parse_msg(const char *buf, uint16_t len, struct sip_msg *msg)
{
	const char *end = buf + len;
	const char *p, *nl, *le, *q, *colon, *v, *ve;
	enum sip_err verr, err;
	uint32_t clen = 0, n;
	bool clen_bad = false;
	struct scan s;

	msg->buf = buf;
	msg->len = len;
	msg->is_request = false;
	msg->method = SIP_M_OTHER;
	msg->status = 0;
	msg->method_name = sv_make(buf, buf);
	msg->ruri = msg->method_name;
	msg->reason = msg->method_name;
	msg->start_len = 0;
	msg->hdr_end = 0;
	msg->body_off = 0;
	msg->body_len = 0;
	msg->has_clen = false;
	msg->n_hdr = 0;
	memset(msg->first, 0, sizeof(msg->first));

	if (len == 0)
		return SIP_E_START_LINE;
	scan_init(&s, buf, len);
	nl = scan_nl(&s);
	if (!nl)
		return SIP_E_START_LINE;
	le = (nl > buf && nl[-1] == '\r') ? nl - 1 : nl;
	verr = parse_start_line(buf, le, nl - buf < 64, s.tok, s.sp, msg);
	if (verr != SIP_OK && verr != SIP_E_VERSION)
		return verr;
	msg->start_len = (uint16_t)(nl + 1 - buf);

	for (p = nl + 1;; p = nl + 1) {
		struct sip_hdr *h;
		uint32_t off = (uint32_t)(p - buf), rel;
		uint64_t colm, tokm;
		uint8_t id;

		if (p >= end) {
			err = SIP_E_NO_BODY_SEP;
			goto fail;
		}
		/* The previous line ended in the current block, so p is in it
		 * or starts the next one. */
		if (off - s.blk >= 64)
			scan_next_block(&s);
		rel = off - s.blk;
		colm = s.col >> rel;
		tokm = s.tok >> rel;
		nl = scan_nl(&s);
		if (!nl) {
			err = SIP_E_NO_BODY_SEP;
			goto fail;
		}
		le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
		if (le == p) {
			msg->hdr_end = (uint16_t)(p - buf);
			msg->body_off = (uint16_t)(nl + 1 - buf);
			break;
		}
		/* Folded lines are consumed with their header below, so a
		 * leading SP/HTAB here has no header to continue (§7.3.1). */
		if (*p == ' ' || *p == '\t') {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		if (msg->n_hdr == SIP_MAX_HDRS) {
			err = SIP_E_TOO_MANY_HDRS;
			goto fail;
		}
		/*
		 * header-name HCOLON, HCOLON = *( SP / HTAB ) ":" SWS: the
		 * first ':' of the first line ends the name, which must then
		 * be token *( SP / HTAB ). The masks cover p's block; a name
		 * that crosses into the next block is checked byte by byte.
		 */
		if (colm) {
			colon = p + __builtin_ctzll(colm);
		} else {
			colon = (64 - rel) < (uint32_t)(le - p) ?
				memchr(p + (64 - rel), ':', (size_t)(le - p - (64 - rel))) : NULL;
			if (!colon) {
				err = SIP_E_HDR_SYNTAX;
				goto fail;
			}
		}
		if (colon >= le) {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		for (q = colon; q > p && (q[-1] == ' ' || q[-1] == '\t'); q--)
			;
		if (q == p) {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		if (colm ? (~tokm & (((uint64_t)1 << (q - p)) - 1)) != 0 :
			   skip_token(p, q) != q) {
			err = SIP_E_HDR_SYNTAX;
			goto fail;
		}
		while (nl + 1 < end && (nl[1] == ' ' || nl[1] == '\t')) {
			nl = scan_nl(&s);
			if (!nl) {
				err = SIP_E_NO_BODY_SEP;
				goto fail;
			}
		}
		/* Trim as sv_trim() does, from the positions we have; the
		 * usual ": value\r\n" costs two byte tests. */
		v = colon + 1;
		if (v < nl && *v == ' ')
			v++;
		while (v < nl && (cc(*v) & C_WS))
			v++;
		ve = nl;
		if (ve > v && ve[-1] == '\r')
			ve--;
		while (ve > v && (cc(ve[-1]) & C_WS))
			ve--;
		h = &msg->hdr[msg->n_hdr];
		h->name = sv_make(p, q);
		h->value = sv_make(v, ve);
		h->off = (uint16_t)off;
		h->line_len = (uint16_t)(nl + 1 - p);
		id = hdr_classify(p, (uint16_t)(q - p));
		h->id = id;
		if (!msg->first[id])
			msg->first[id] = (uint8_t)(msg->n_hdr + 1);
		msg->n_hdr++;
		if (id == SIP_H_CONTENT_LENGTH) {
			/* Keep parsing on a bad value: a 400 needs Via, From,
			 * To, Call-ID and CSeq, which may come later. */
			if (parse_clen(h->value, &n) < 0 ||
			    (msg->has_clen && n != clen)) {
				clen_bad = true;
			} else {
				clen = n;
				msg->has_clen = true;
			}
		}
	}

	if (verr != SIP_OK)
		return verr;
	if (clen_bad)
		return SIP_E_CLEN;
	/* RFC 3261 §18.3: over UDP a missing Content-Length means the rest of
	 * the datagram; bytes past Content-Length are not part of the message. */
	n = (uint32_t)(len - msg->body_off);
	if (msg->has_clen) {
		if (clen > n)
			return SIP_E_CLEN_SHORT;
		n = clen;
	}
	msg->body_len = (uint16_t)n;
	return SIP_OK;

fail:
	return verr != SIP_OK ? verr : err;
}

const struct sip_hdr *
sip_hdr_next(const struct sip_msg *msg, const struct sip_hdr *h)
{
	const struct sip_hdr *last = &msg->hdr[msg->n_hdr];

	for (const struct sip_hdr *n = h + 1; n < last; n++)
		if (n->id == h->id)
			return n;
	return NULL;
}

int
sip_via_parse(struct sv value, struct sip_via *via, struct sv *rest)
{
	const char *e = sv_end(value);
	const char *p, *s, *t, *vend, *pstart = NULL;

	memset(via, 0, sizeof(*via));
	if (rest)
		*rest = sv_make(e, e);
	/* sent-protocol = "SIP" SLASH "2.0" SLASH transport, SLASH = SWS "/" SWS
	 * (RFC 3261 §20.42, §25.1); SWS may include a folded line end. */
	s = p = skip_ws(value.p, e);
	if (e - p >= 8 && memcmp(p, "SIP/2.0/", 8) == 0) {
		/* What every UA sends: one compare instead of the LWS walk. */
		p = skip_ws(p + 8, e);
	} else {
		if (e - p < 3 || !lc_eq(p, "sip", 3))
			return -1;
		p = skip_ws(p + 3, e);
		if (p >= e || *p != '/')
			return -1;
		p = skip_ws(p + 1, e);
		if (e - p < 3 || memcmp(p, "2.0", 3) != 0)
			return -1;
		p = skip_ws(p + 3, e);
		if (p >= e || *p != '/')
			return -1;
		p = skip_ws(p + 1, e);
	}
	t = skip_token(p, e);
	if (t == p)
		return -1;
	via->transport = sv_make(p, t);
	p = skip_ws(t, e);
	if (p == t || p >= e)
		return -1;

	/* sent-by = host [ COLON port ] */
	if (*p == '[') {
		t = memchr(p, ']', (size_t)(e - p));
		if (!t || t == p + 1)
			return -1;
		t++;
	} else {
		for (t = p; t < e && (cc(*t) & C_HOST); t++)
			;
		if (t == p)
			return -1;
	}
	via->host = sv_make(p, t);
	vend = t;
	p = skip_ws(t, e);
	if (p < e && *p == ':') {
		p = skip_ws(p + 1, e);
		t = parse_port(p, e, &via->port);
		if (!t)
			return -1;
		vend = t;
		p = skip_ws(t, e);
	}

	/* *( SEMI via-params ), SEMI = SWS ";" SWS */
	while (p < e && *p == ';') {
		struct sv name, val;
		bool has_val = false;

		if (!pstart)
			pstart = p;
		p = skip_ws(p + 1, e);
		t = skip_token(p, e);
		if (t == p)
			return -1;
		name = sv_make(p, t);
		val = sv_make(t, t);
		vend = t;
		p = skip_ws(t, e);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			if (p < e && *p == '"') {
				t = skip_quoted(p, e);
				if (!t)
					return -1;
			} else {
				t = skip_pvalue(p, e);
			}
			val = sv_make(p, t);
			has_val = true;
			vend = t;
			p = t;
		}
		switch (name.len) {
		case 5:
			if (lc_eq(name.p, "rport", 5)) {
				via->has_rport = true;
				/* RFC 3581: valueless in requests, a port in
				 * responses; anything else is malformed. */
				if (has_val && val.len &&
				    parse_port(val.p, sv_end(val), &via->rport) != sv_end(val))
					return -1;
			}
			break;
		case 6:
			if (lc_eq(name.p, "branch", 6))
				via->branch = val;
			break;
		case 8:
			if (lc_eq(name.p, "received", 8))
				via->received = val;
			break;
		}
		p = skip_ws(p, e);
	}
	if (p < e) {
		if (*p != ',')
			return -1;
		if (rest)
			*rest = sv_trim(sv_make(p + 1, e));
	}
	via->value = sv_make(s, vend);
	via->params = pstart ? sv_make(pstart, vend) : sv_make(vend, vend);
	return 0;
}

int
sip_uri_parse(struct sv uri, struct sip_uri *out)
{
	const char *p, *e, *t, *at;
	bool sipish;

	memset(out, 0, sizeof(*out));
	uri = sv_trim(uri);
	p = uri.p;
	e = sv_end(uri);
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3986 §3.1) */
	if (p >= e || !(cc(*p) & C_ALPHA))
		return -1;
	for (t = p + 1; t < e && ((cc(*t) & (C_ALPHA | C_DIGIT)) || *t == '+' ||
				  *t == '-' || *t == '.'); t++)
		;
	if (t >= e || *t != ':')
		return -1;
	out->scheme = sv_make(p, t);
	sipish = (t - p == 3 && lc_eq(p, "sip", 3)) || (t - p == 4 && lc_eq(p, "sips", 4));
	p = t + 1;
	out->user = sv_make(p, p);
	out->host = out->user;
	out->params = out->user;

	/* '@' cannot appear unescaped after the userinfo (§25.1 hnv-unreserved,
	 * param-unreserved), so the first one ends it; user may hold ';' '?'. */
	at = memchr(p, '@', (size_t)(e - p));
	if (at) {
		t = memchr(p, ':', (size_t)(at - p));
		out->user = sv_make(p, t ? t : at);
		p = at + 1;
	}
	if (p < e && *p == '[') {
		t = memchr(p, ']', (size_t)(e - p));
		if (!t || t == p + 1)
			return -1;
		t++;
	} else if (sipish) {
		for (t = p; t < e && (cc(*t) & C_HOST); t++)
			;
	} else {
		for (t = p; t < e && *t != ':' && *t != ';' && *t != '?' &&
			    !(cc(*t) & C_WS); t++)
			;
	}
	if (t == p)
		return -1;
	out->host = sv_make(p, t);
	p = t;
	if (p < e && *p == ':') {
		p = parse_port(p + 1, e, &out->port);
		if (!p)
			return -1;
	}
	if (p < e && *p != ';' && *p != '?')
		return -1;
	if (p < e && *p == ';') {
		struct sv dummy;

		t = memchr(p, '?', (size_t)(e - p));
		out->params = sv_make(p, t ? t : e);
		out->lr = sip_param_get(out->params, SV_LIT("lr"), &dummy) == 1;
	} else {
		out->params = sv_make(p, p);
	}
	return 0;
}

int
sip_nameaddr_uri(struct sv value, struct sv *uri, struct sv *rest)
{
	const char *e = sv_end(value);
	const char *p, *s, *t;

	s = p = skip_ws(value.p, e);
	*uri = sv_make(p, p);
	if (rest)
		*rest = sv_make(e, e);
	/* name-addr = [ display-name ] LAQUOT addr-spec RAQUOT; a display name
	 * may be quoted and hold ',', ';' or '<' (RFC 3261 §20.10, §25.1). */
	while (p < e && *p != '<' && *p != ',' && *p != ';') {
		if (*p == '"') {
			p = skip_quoted(p, e);
			if (!p)
				return -1;
		} else {
			p++;
		}
	}
	if (p < e && *p == '<') {
		t = memchr(p + 1, '>', (size_t)(e - p - 1));
		if (!t)
			return -1;
		*uri = sv_trim(sv_make(p + 1, t));
		p = t + 1;
	} else {
		*uri = sv_trim(sv_make(s, p));
	}
	/* The value ends at the first comma outside a quoted param value. */
	while (p < e) {
		if (*p == '"') {
			p = skip_quoted(p, e);
			if (!p)
				return -1;
		} else if (*p == ',') {
			if (rest)
				*rest = sv_trim(sv_make(p + 1, e));
			break;
		} else {
			p++;
		}
	}
	return 0;
}

int
sip_param_get(struct sv value, struct sv name, struct sv *val)
{
	const char *e = sv_end(value);
	const char *p = value.p, *t;

	while (p < e) {
		switch (*p) {
		case '"':
			p = skip_quoted(p, e);
			if (!p)
				return 0;
			continue;
		case '<':
			t = memchr(p, '>', (size_t)(e - p));
			if (!t)
				return 0;
			p = t + 1;
			continue;
		case ',':
			return 0; /* next value of a multi-value header */
		case ';':
			break;
		default:
			p++;
			continue;
		}

		struct sv pn, pv;

		p = skip_ws(p + 1, e);
		t = skip_token(p, e);
		pn = sv_make(p, t);
		p = skip_ws(t, e);
		pv = sv_make(t, t);
		if (p < e && *p == '=') {
			p = skip_ws(p + 1, e);
			if (p < e && *p == '"') {
				t = skip_quoted(p, e);
				if (!t)
					return 0;
			} else {
				t = skip_pvalue(p, e);
			}
			pv = sv_make(p, t);
			p = t;
		}
		if (pn.len && sv_ieq(pn, name)) {
			*val = pv;
			return 1;
		}
	}
	return 0;
}

int
sip_cseq_parse(struct sv value, uint32_t *num, struct sv *method)
{
	struct sv v = sv_trim(value);
	const char *p = v.p, *e = sv_end(v), *t;
	uint64_t n = 0;

	for (t = p; t < e && (cc(*t) & C_DIGIT); t++)
		n = n * 10 + (uint64_t)(*t - '0');
	/* RFC 3261 §8.1.1.5: the number must be less than 2**31. */
	if (t == p || t - p > 10 || n >= (1u << 31))
		return -1;
	if (t >= e || !(cc(*t) & C_WS))
		return -1;
	p = skip_ws(t, e);
	t = skip_token(p, e);
	if (t == p || t != e)
		return -1;
	*num = (uint32_t)n;
	*method = sv_make(p, t);
	return 0;
}

int
sip_ipv4_parse(struct sv v, uint32_t *ip_be)
{
	const char *p = v.p, *e = sv_end(v), *s;
	uint8_t b[4];

	for (int i = 0; i < 4; i++) {
		unsigned n = 0;

		if (i) {
			if (p >= e || *p != '.')
				return -1;
			p++;
		}
		for (s = p; p < e && (cc(*p) & C_DIGIT) && p - s < 3; p++)
			n = n * 10 + (unsigned)(*p - '0');
		/* dec-octet (RFC 3986 §3.2.2): no leading zeros, no octal. */
		if (p == s || n > 255 || (p - s > 1 && *s == '0'))
			return -1;
		b[i] = (uint8_t)n;
	}
	if (p != e)
		return -1;
	memcpy(ip_be, b, sizeof(b));
	return 0;
}
