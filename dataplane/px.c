/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stateless proxy (RFC 3261 §16.11). The input datagram is never modified:
 * the changes a proxy makes (our Via, received/rport, Max-Forwards, Record-Route,
 * our Route removed, our Via popped) are collected as a short list of edits
 * against input offsets and applied in one pass that copies each input byte
 * at most once into the output buffer.
 */
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "px.h"
#include "sip.h"
#include "txn.h"

/*
 * The most a request needs, fixed by px_request: edits — our Route removed,
 * rport filled, received added, our Via (2), Record-Route (3), Max-Forwards:
 * 9; scratch text — rport 6, received 25, branch 18, ";bk=" + name, the
 * Max-Forwards value 10. Both bounds hold by construction, so the checks in
 * ed_add/ed_alloc never fail.
 */
#define PX_MAX_EDITS 12
#define PX_SCRATCH 384
_Static_assert(6 + 25 + (TXN_BRANCH_LEN - 10 + 2) + 4 + BK_NAME_MAX + 10 <= PX_SCRATCH,
	       "px scratch too small");

struct px_edit {
	uint16_t off;     /* input offset */
	uint16_t del;     /* input bytes removed from off */
	uint16_t ins_len;
	const char *ins;  /* bytes inserted at off */
};

struct px_edits {
	unsigned n;
	uint16_t used;
	struct px_edit e[PX_MAX_EDITS];
	char scratch[PX_SCRATCH];
};

static void
ed_add(struct px_edits *ed, uint16_t off, uint16_t del, const char *ins, uint16_t ins_len)
{
	if (ed->n < PX_MAX_EDITS) /* 9 at most: see PX_MAX_EDITS */
		ed->e[ed->n++] = (struct px_edit){ off, del, ins_len, ins };
}

/* Room for len bytes of inserted text; the caller writes at most len. */
static char *
ed_alloc(struct px_edits *ed, uint16_t len)
{
	char *p;

	if (ed->used + len > PX_SCRATCH)
		return NULL;
	p = ed->scratch + ed->used;
	ed->used += len;
	return p;
}

/*
 * Copy in[0..in_len) to out applying the edits, sorted by offset (stable, so
 * insertions at one offset keep the order they were added in).
 * Returns the output length, or -1 if it would exceed cap.
 */
static int
ed_apply(struct px_edits *ed, const char *in, uint16_t in_len, char *out, uint16_t cap)
{
	uint32_t pos = 0, o = 0;

	for (unsigned i = 1; i < ed->n; i++) {
		struct px_edit x = ed->e[i];
		unsigned j = i;

		while (j > 0 && ed->e[j - 1].off > x.off) {
			ed->e[j] = ed->e[j - 1];
			j--;
		}
		ed->e[j] = x;
	}
	for (unsigned i = 0; i <= ed->n; i++) {
		uint32_t off = i < ed->n ? ed->e[i].off : in_len;
		uint32_t n;

		if (off < pos)  /* overlapping edits cannot be produced; be safe */
			off = pos;
		n = off - pos;
		if (o + n > cap)
			return -1;
		memcpy(out + o, in + pos, n);
		o += n;
		pos = off;
		if (i == ed->n)
			break;
		if (o + ed->e[i].ins_len > cap)
			return -1;
		memcpy(out + o, ed->e[i].ins, ed->e[i].ins_len);
		o += ed->e[i].ins_len;
		pos += ed->e[i].del;
		if (pos > in_len)
			pos = in_len;
	}
	return (int)o;
}

static unsigned
fmt_u32(char *p, uint32_t v)
{
	char tmp[10];
	unsigned n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

/* Dotted quad of a network-order address; at most 15 bytes. */
static unsigned
fmt_ip(char *p, uint32_t ip_be)
{
	const uint8_t *b = (const uint8_t *)&ip_be;
	unsigned n = 0;

	for (int i = 0; i < 4; i++) {
		if (i)
			p[n++] = '.';
		n += fmt_u32(p + n, b[i]);
	}
	return n;
}

static uint32_t
crc_sv(struct sv v, uint32_t seed)
{
	return rte_hash_crc(v.p, v.len, seed);
}

void
px_conf_init(struct px_conf *pc, uint32_t addr, uint16_t port, uint16_t mtu,
	     bool record_route, const struct bk_set *bks)
{
	char ip[16];
	unsigned n;

	memset(pc, 0, sizeof(*pc));
	pc->addr = addr;
	pc->port = port;
	pc->max_len = (uint16_t)(mtu - 28);
	pc->record_route = record_route;
	pc->bks = bks;
	n = fmt_ip(ip, addr);
	ip[n] = '\0';
	memcpy(pc->ip, ip, n + 1);
	pc->ip_len = (uint8_t)n;
	pc->host_len = (uint8_t)snprintf(pc->host, sizeof(pc->host), "%s:%u", ip, port);
	pc->via_len = (uint8_t)snprintf(pc->via, sizeof(pc->via),
					"Via: SIP/2.0/UDP %s;branch=" PX_BRANCH_PREFIX, pc->host);
	pc->rr_len = (uint8_t)snprintf(pc->rr, sizeof(pc->rr),
				       "Record-Route: <sip:%s;lr", pc->host);
}

/*
 * Is host:port (as in a URI or Via sent-by) this proxy? Port 0 means 5060.
 * A text compare is exact: sip_ipv4_parse accepts only the canonical dotted
 * quad (no leading zeros), which is what pc->ip holds.
 */
static bool
is_us(const struct px_conf *pc, struct sv host, uint16_t port)
{
	if (host.len != pc->ip_len || memcmp(host.p, pc->ip, pc->ip_len) != 0)
		return false;
	return port == pc->port || (port == 0 && pc->port == 5060);
}

static bool
sv_has_prefix(struct sv v, const char *prefix, uint16_t len)
{
	return v.len >= len && memcmp(v.p, prefix, len) == 0;
}

static uint16_t
off_of(const struct sip_msg *m, const char *p)
{
	return (uint16_t)(p - m->buf);
}

/* End of a line's content, before its CRLF or LF. */
static uint16_t
line_content_len(const char *p, uint16_t len)
{
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
		len--;
	return len;
}

/*
 * The To tag of our own answers to a Call-ID: 8 hex digits of its hash, so
 * the same request always gets the same answer and the ACK of an answer of
 * ours is recognised without state.
 */
#define PX_TAG_LEN 8

static void
px_local_tag(const struct sip_msg *m, char *out)
{
	const struct sip_hdr *cid = sip_hdr_first(m, SIP_H_CALL_ID);

	sv_hex_put(out, cid ? crc_sv(cid->value, 0x51b1b) : 0, PX_TAG_LEN);
}

static int rport_pos(struct sv params, bool *has_eq);

/*
 * Copy the request's top Via line (via is its first value, parsed) as a
 * server puts it in its response (RFC 3261 §18.2.1, RFC 3581 §4): received
 * when the source differs from sent-by or rport was asked for, and the value
 * of an empty rport. Returns the bytes written (at most len + 31).
 */
static uint32_t
px_reply_via(const struct sip_msg *m, const struct sip_hdr *h, const struct sip_via *via,
	     uint32_t src_ip, uint16_t src_port, uint16_t len, char *out)
{
	const char *line = m->buf + h->off, *vend = sv_end(via->value);
	const char *at = vend;
	bool has_eq = false, add_received;
	uint32_t o = 0, vip;
	int pos = -1;

	if (via->has_rport && via->rport == 0 && (pos = rport_pos(via->params, &has_eq)) >= 0)
		at = via->params.p + pos;
	add_received = via->received.len == 0 &&
		       (via->has_rport || sip_ipv4_parse(via->host, &vip) < 0 || vip != src_ip);
	memcpy(out, line, (size_t)(at - line));
	o = (uint32_t)(at - line);
	if (pos >= 0) {
		if (!has_eq)
			out[o++] = '=';
		o += fmt_u32(out + o, src_port);
	}
	memcpy(out + o, at, (size_t)(vend - at));
	o += (uint32_t)(vend - at);
	if (add_received) {
		memcpy(out + o, ";received=", 10);
		o += 10 + fmt_ip(out + o + 10, src_ip);
	}
	memcpy(out + o, vend, (size_t)(line + len - vend));
	return o + (uint32_t)(line + len - vend);
}

/*
 * A response of our own to request m (RFC 3261 §8.2.6) from src_ip:src_port,
 * whose top Via is via: status line, the request's Via (the top one with
 * received and rport filled in), From, To (with a To tag added when it had
 * none, §8.2.6.2, except on a 100), Call-ID and CSeq lines, then Retry-After
 * (when retry_after > 0), Server and Content-Length. Returns the length, or
 * 0 if it does not fit.
 */
static uint16_t
px_reply_build(const struct sip_msg *m, const struct sip_via *via, uint32_t src_ip,
	       uint16_t src_port, uint16_t code, const char *reason, uint32_t retry_after,
	       char *out, uint16_t cap)
{
	const struct sip_hdr *top = sip_hdr_first(m, SIP_H_VIA);
	size_t rlen = strlen(reason);
	struct sv tag;
	uint32_t o;
	int n;

	/* No printf on this path: stateful mode answers every INVITE. */
	if (code < 100 || code > 699 || 12 + rlen + 2 > cap)
		return 0;
	memcpy(out, "SIP/2.0 ", 8);
	o = 8 + fmt_u32(out + 8, code);
	out[o++] = ' ';
	memcpy(out + o, reason, rlen);
	o += (uint32_t)rlen;
	out[o++] = '\r';
	out[o++] = '\n';
	for (unsigned i = 0; i < m->n_hdr; i++) {
		const struct sip_hdr *h = &m->hdr[i];
		uint16_t len;

		switch (h->id) {
		case SIP_H_VIA: case SIP_H_FROM: case SIP_H_TO:
		case SIP_H_CALL_ID: case SIP_H_CSEQ:
			break;
		default:
			continue;
		}
		len = line_content_len(m->buf + h->off, h->line_len);
		if (o + len + 48 > cap)
			return 0;
		if (h == top) {
			o += px_reply_via(m, h, via, src_ip, src_port, len, out + o);
		} else {
			memcpy(out + o, m->buf + h->off, len);
			o += len;
		}
		if (h->id == SIP_H_TO && code > 100 &&
		    sip_param_get(h->value, SV_LIT("tag"), &tag) == 0) {
			memcpy(out + o, ";tag=", 5);
			px_local_tag(m, out + o + 5);
			o += 5 + PX_TAG_LEN;
		}
		out[o++] = '\r';
		out[o++] = '\n';
	}
	if (retry_after) {
		n = snprintf(out + o, cap - o, "Retry-After: %u\r\n", retry_after);
		if (n < 0 || o + (uint32_t)n >= cap)
			return 0;
		o += (uint32_t)n;
	}
	{
		static const char tail[] = "Server: siplb\r\nContent-Length: 0\r\n\r\n";

		if (o + sizeof(tail) - 1 >= cap)
			return 0;
		memcpy(out + o, tail, sizeof(tail) - 1);
		return (uint16_t)(o + sizeof(tail) - 1);
	}
}

static enum cnt_reply
reply_idx(uint16_t code)
{
	switch (code) {
	case 100: return CNT_REPLY_R100;
	case 200: return CNT_REPLY_R200;
	case 400: return CNT_REPLY_R400;
	case 408: return CNT_REPLY_R408;
	case 478: return CNT_REPLY_R478;
	case 483: return CNT_REPLY_R483;
	case 487: return CNT_REPLY_R487;
	case 500: return CNT_REPLY_R500;
	case 503: return CNT_REPLY_R503;
	case 505: return CNT_REPLY_R505;
	case 513: return CNT_REPLY_R513;
	default: return CNT_REPLY_ROTHER;
	}
}

/*
 * Answer request m with code (RFC 3261 §8.2.6), unless it is an ACK (never
 * answered, §17.2.3) or no Via says where the answer would go.
 */
static enum px_act
px_answer(struct cnt_core *cnt, const struct sip_msg *m, const struct sip_via *via,
	  uint32_t src_ip, uint16_t src_port, uint16_t code, const char *reason,
	  uint32_t retry_after, char *out, uint16_t out_cap, struct px_res *res)
{
	uint16_t len;

	if (via == NULL || m->method == SIP_M_ACK)
		return PX_DROP;
	len = px_reply_build(m, via, src_ip, src_port, code, reason, retry_after, out, out_cap);
	if (len == 0)
		return PX_DROP;
	/* RFC 3261 §18.2.2 / RFC 3581 §4: to the source address; to the source
	 * port when rport was asked for, else to the sent-by port. */
	res->dst_ip = src_ip;
	res->dst_port = via->has_rport ? src_port : (via->port ? via->port : 5060);
	res->len = len;
	res->backend = -1;
	res->picked = false;
	cnt->reply[reply_idx(code)]++;
	return PX_REPLY;
}

enum px_act
px_reply(struct cnt_core *cnt, const struct sip_msg *m, const struct sip_via *via,
	 uint32_t src_ip, uint16_t src_port, uint16_t code, const char *reason,
	 uint32_t retry_after, char *out, uint16_t out_cap, struct px_res *res)
{
	const struct sip_hdr *vh = sip_hdr_first(m, SIP_H_VIA);
	struct sip_via parsed;

	if (via == NULL) {
		if (vh == NULL || sip_via_parse(vh->value, &parsed, NULL) < 0)
			return PX_DROP;
		via = &parsed;
	}
	return px_answer(cnt, m, via, src_ip, src_port, code, reason, retry_after, out,
			 out_cap, res);
}

/* Refuse request m: count why, and answer code where px_answer can. */
static enum px_act
px_refuse(struct cnt_core *cnt, const struct sip_msg *m, const struct sip_via *via,
	  uint32_t src_ip, uint16_t src_port, enum cnt_drop why, uint16_t code,
	  const char *reason, char *out, uint16_t out_cap, struct px_res *res)
{
	cnt_drop(cnt, why);
	return px_answer(cnt, m, via, src_ip, src_port, code, reason, 0, out, out_cap, res);
}

/*
 * §16.11: our branch is a function of the incoming top Via, so that the
 * retransmissions of a request, the CANCEL of an INVITE and the ACK of its
 * non-2xx final all get the same branch (those share the client's branch and
 * sent-by, §9.1, §17.1.1.3). For pre-3261 clients (no magic cookie) the
 * transaction is named by the fields §16.11 lists instead. Two CRC32C seeds
 * give 64 bits; the result is the same on every instance.
 */
static uint64_t
px_branch_hash(const struct sip_msg *m, const struct sip_via *via)
{
	uint32_t h1 = 0x736c6231, h2 = 0x9e3779b9;
	struct sv parts[6];
	unsigned n = 0;

	if (sv_has_prefix(via->branch, "z9hG4bK", 7)) {
		parts[n++] = via->branch;
		parts[n++] = via->host;
	} else {
		const struct sip_hdr *h;
		struct sv v;
		uint32_t num;

		parts[n++] = via->value;
		parts[n++] = m->ruri;
		if ((h = sip_hdr_first(m, SIP_H_CALL_ID)))
			parts[n++] = h->value;
		/* not the To tag: the ACK of a non-2xx final has the
		 * response's, which the INVITE did not (§17.2.3) */
		if ((h = sip_hdr_first(m, SIP_H_FROM)) && sip_param_get(h->value, SV_LIT("tag"), &v))
			parts[n++] = v;
		if ((h = sip_hdr_first(m, SIP_H_CSEQ)) && sip_cseq_parse(h->value, &num, &v) == 0) {
			h1 = rte_hash_crc_4byte(num, h1);
			h2 = rte_hash_crc_4byte(num, h2);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		h1 = crc_sv(parts[i], h1);
		h2 = crc_sv(parts[i], h2);
	}
	h1 = rte_hash_crc_4byte(via->port, h1);
	h2 = rte_hash_crc_4byte(via->port, h2);
	return ((uint64_t)h1 << 32) | h2;
}

/*
 * Where in via->params the value of an empty ";rport" / ";rport=" goes:
 * returns the offset just after "rport" (or after "rport=" in *has_eq), or -1.
 */
static int
rport_pos(struct sv params, bool *has_eq)
{
	for (uint16_t i = 0; i + 6 <= params.len; i++) {
		if (params.p[i] != ';')
			continue;
		uint16_t j = i + 1;

		while (j < params.len && sv_is_ws(params.p[j]))
			j++;
		if (j + 5 > params.len || !sv_ieq((struct sv){ params.p + j, 5 }, SV_LIT("rport")))
			continue;
		j += 5;
		if (j == params.len || params.p[j] == ';' || sv_is_ws(params.p[j])) {
			*has_eq = false;
			return j;
		}
		if (params.p[j] == '=') {
			*has_eq = true;
			return j + 1;
		}
	}
	return -1;
}

/* Destination of a URI: an IPv4 literal (no DNS here) and a port. */
static int
uri_dest(const struct sip_uri *u, uint32_t *ip, uint16_t *port)
{
	if (sip_ipv4_parse(u->host, ip) < 0)
		return -1;
	*port = u->port ? u->port : 5060;
	return 0;
}

static bool
dialog_creating(uint8_t method)
{
	return method == SIP_M_INVITE || method == SIP_M_SUBSCRIBE || method == SIP_M_REFER;
}

/* Accounting's view of a forwarded message (px_res.acct). */
static void
px_acct_fill(const struct sip_msg *m, uint8_t method, uint16_t status, struct px_res *res)
{
	const struct sip_hdr *h;

	res->acct.method = method;
	res->acct.status = status;
	res->acct.call_id = sip_hdr_first(m, SIP_H_CALL_ID)->value;
	res->acct.from_tag = (struct sv){ 0 };
	res->acct.to_tag = (struct sv){ 0 };
	if ((h = sip_hdr_first(m, SIP_H_FROM)))
		sip_param_get(h->value, SV_LIT("tag"), &res->acct.from_tag);
	if ((h = sip_hdr_first(m, SIP_H_TO)))
		sip_param_get(h->value, SV_LIT("tag"), &res->acct.to_tag);
}

static enum px_act
px_request(const struct px_conf *pc, struct cnt_core *cnt, const struct sip_msg *m,
	   uint32_t src_ip, uint16_t src_port, const struct px_opt *opt, char *out,
	   uint16_t out_cap, struct px_res *res)
{
	const struct bk_set *bks = pc->bks;
	const struct sip_hdr *via_h, *cid_h, *cseq_h, *to_h, *mf_h, *rt_h, *rr_h;
	struct sip_via via;
	struct sip_uri ru, u;
	struct sv cseq_method, tag, bk_name = { 0 };
	uint32_t cseq_num, mf = 70, dst_ip = 0;
	uint16_t dst_port = 0, top_off;
	int dst_bk = -1, len;
	bool have_next = false, have_bk = false, picked = false;
	struct px_edits ed;
	char *t;

	ed.n = 0;
	ed.used = 0;
	if (opt == NULL || !opt->again)
		cnt->sip_req[m->method]++;

	/* §16.3: reasonable syntax of what a proxy needs. */
	via_h = sip_hdr_first(m, SIP_H_VIA);
	if (opt && opt->via && via_h) {
		via = *opt->via;
	} else if (via_h == NULL || sip_via_parse(via_h->value, &via, NULL) < 0) {
		cnt_drop(cnt, CNT_DROP_SIP_VIA);
		return PX_DROP;
	}
#define REFUSE(why, code, reason) \
	px_refuse(cnt, m, &via, src_ip, src_port, why, code, reason, out, out_cap, res)
	cid_h = sip_hdr_first(m, SIP_H_CALL_ID);
	if (cid_h == NULL || cid_h->value.len == 0)
		return REFUSE(CNT_DROP_SIP_CALL_ID, 400, "Bad Request (Call-ID)");
	cseq_h = sip_hdr_first(m, SIP_H_CSEQ);
	if (cseq_h == NULL || sip_cseq_parse(cseq_h->value, &cseq_num, &cseq_method) < 0 ||
	    !sv_eq(cseq_method, m->method_name))
		return REFUSE(CNT_DROP_SIP_CSEQ, 400, "Bad Request (CSeq)");
	if (sip_hdr_first(m, SIP_H_FROM) == NULL)
		return REFUSE(CNT_DROP_SIP_FROM, 400, "Bad Request (From)");
	to_h = sip_hdr_first(m, SIP_H_TO);
	if (to_h == NULL)
		return REFUSE(CNT_DROP_SIP_TO, 400, "Bad Request (To)");
	/* The ACK of a non-2xx final of ours (400, 503, ...) ends here: no
	 * backend saw the request it acknowledges (§17.2.1). */
	if (m->method == SIP_M_ACK && sip_param_get(to_h->value, SV_LIT("tag"), &tag) == 1 &&
	    tag.len == PX_TAG_LEN) {
		char ours[PX_TAG_LEN];

		px_local_tag(m, ours);
		if (memcmp(tag.p, ours, PX_TAG_LEN) == 0) {
			cnt->ack_absorbed++;
			return PX_ABSORB;
		}
	}
	mf_h = sip_hdr_first(m, SIP_H_MAX_FORWARDS);
	if (mf_h && sv_to_u32(mf_h->value, UINT32_MAX, &mf) < 0)
		return REFUSE(CNT_DROP_SIP_MAX_FWD, 400, "Bad Request (Max-Forwards)");
	/* §16.3 step 3 / §16.6 step 3 */
	if (mf == 0)
		return REFUSE(CNT_DROP_SIP_MAX_FWD_ZERO, 483, "Too Many Hops");
	if (sip_uri_parse(m->ruri, &ru) < 0)
		return REFUSE(CNT_DROP_SIP_URI, 400, "Bad Request (Request-URI)");

	/* An OPTIONS for siplb itself (no user part, no Route): the keepalive
	 * peers send to their next hop. Answered here, so it says siplb is up,
	 * not that some backend is (RFC 3261 §11). */
	if (m->method == SIP_M_OPTIONS && ru.user.len == 0 && is_us(pc, ru.host, ru.port) &&
	    sip_hdr_first(m, SIP_H_ROUTE) == NULL) {
		if (px_answer(cnt, m, &via, src_ip, src_port, 200, "OK", 0, out, out_cap, res) ==
		    PX_REPLY)
			return PX_REPLY;
		cnt_drop(cnt, CNT_DROP_TOO_BIG); /* the answer would exceed the MTU */
		return PX_DROP;
	}

	/* §16.4: a top Route naming us is removed (loose routing, lr); its bk
	 * parameter names the backend of the dialog. */
	rt_h = sip_hdr_first(m, SIP_H_ROUTE);
	if (rt_h) {
		struct sv uri, rest, next = { 0 };

		if (sip_nameaddr_uri(rt_h->value, &uri, &rest) < 0 || sip_uri_parse(uri, &u) < 0)
			return REFUSE(CNT_DROP_SIP_URI, 400, "Bad Request (Route)");
		if (is_us(pc, u.host, u.port)) {
			have_bk = sip_param_get(u.params, SV_LIT("bk"), &bk_name) == 1;
			if (rest.len) {
				ed_add(&ed, off_of(m, rt_h->value.p),
				       (uint16_t)(rest.p - rt_h->value.p), NULL, 0);
				next = rest;
			} else {
				const struct sip_hdr *nh = sip_hdr_next(m, rt_h);

				ed_add(&ed, rt_h->off, rt_h->line_len, NULL, 0);
				if (nh)
					next = nh->value;
			}
			if (next.len) {
				if (sip_nameaddr_uri(next, &uri, NULL) < 0 || sip_uri_parse(uri, &u) < 0)
					return REFUSE(CNT_DROP_SIP_URI, 400, "Bad Request (Route)");
				have_next = true;
			}
		} else {
			have_next = true;
		}
	}

	/* §16.5/§16.6 step 6: the next hop. */
	if (have_next) {
		if (uri_dest(&u, &dst_ip, &dst_port) < 0)
			return REFUSE(CNT_DROP_SIP_DNS, 478, "Unresolvable Destination (no DNS)");
		dst_bk = bk_set_by_addr(bks, dst_ip, dst_port);
	} else if (have_bk && (dst_bk = bk_set_by_name(bks, bk_name)) >= 0 &&
		   !(bks->bk[dst_bk].addr == src_ip && bks->bk[dst_bk].port == src_port)) {
		/* in-dialog request towards the dialog's backend, unless it
		 * comes from that backend */
	} else if (is_us(pc, ru.host, ru.port)) {
		/* addressed to us: the load balancing decision, or the
		 * stateful proxy's next choice for it */
		if (opt && opt->backend >= 0 && (uint32_t)opt->backend < bks->n &&
		    bks->bk[opt->backend].state != BK_ABSENT)
			dst_bk = opt->backend;
		else
			dst_bk = bk_set_pick(bks, cid_h->value);
		if (dst_bk < 0)
			return REFUSE(CNT_DROP_NO_BACKEND, 503, "Service Unavailable");
		picked = true;
	} else {
		if (uri_dest(&ru, &dst_ip, &dst_port) < 0)
			return REFUSE(CNT_DROP_SIP_DNS, 478, "Unresolvable Destination (no DNS)");
		dst_bk = bk_set_by_addr(bks, dst_ip, dst_port);
	}
	if (dst_bk >= 0) {
		dst_ip = bks->bk[dst_bk].addr;
		dst_port = bks->bk[dst_bk].port;
	}

	/* RFC 3581 §4 and RFC 3261 §18.2.1: tell the next hops where the request
	 * really came from. */
	{
		bool add_received;
		uint32_t vip;

		if (via.has_rport && via.rport == 0) {
			bool has_eq;
			int pos = rport_pos(via.params, &has_eq);

			if (pos >= 0 && (t = ed_alloc(&ed, 6))) {
				unsigned n = 0;

				if (!has_eq)
					t[n++] = '=';
				n += fmt_u32(t + n, src_port);
				ed_add(&ed, off_of(m, via.params.p + pos), 0, t, (uint16_t)n);
			}
			add_received = true;
		} else {
			add_received = sip_ipv4_parse(via.host, &vip) < 0 || vip != src_ip;
		}
		if (add_received && via.received.len == 0 && (t = ed_alloc(&ed, 25))) {
			memcpy(t, ";received=", 10);
			ed_add(&ed, off_of(m, sv_end(via.value)), 0, t,
			       (uint16_t)(10 + fmt_ip(t + 10, src_ip)));
		}
	}

	/* §16.6 step 8: our Via on top, with the §16.11 branch. */
	top_off = via_h->off;
	if (opt && opt->try_k >= 0) {
		/* the transaction's branch: what follows PX_BRANCH_PREFIX */
		const uint16_t pre = sizeof(PX_BRANCH_PREFIX) - 1, n = TXN_BRANCH_LEN - pre;
		char b[TXN_BRANCH_LEN];

		if ((t = ed_alloc(&ed, n + 2))) {
			txn_branch_fmt(b, opt->h, (unsigned)opt->try_k);
			memcpy(t, b + pre, n);
			t[n] = '\r';
			t[n + 1] = '\n';
			ed_add(&ed, top_off, 0, pc->via, pc->via_len);
			ed_add(&ed, top_off, 0, t, n + 2);
		}
	} else if ((t = ed_alloc(&ed, 18))) {
		sv_hex_put(t, opt && opt->via ? opt->h : px_branch_hash(m, &via), 16);
		t[16] = '\r';
		t[17] = '\n';
		ed_add(&ed, top_off, 0, pc->via, pc->via_len);
		ed_add(&ed, top_off, 0, t, 18);
	}

	/* §16.6 step 4: Record-Route on dialog-creating requests, naming the
	 * backend that holds the dialog so in-dialog requests find it again. */
	if (pc->record_route && dialog_creating(m->method) &&
	    sip_param_get(to_h->value, SV_LIT("tag"), &tag) == 0) {
		/* towards a backend: that one; else, a call from the cluster
		 * out: the backend it comes from, if any */
		int rr_bk = dst_bk >= 0 ? dst_bk : bk_set_by_addr(bks, src_ip, src_port);
		uint16_t at;

		rr_h = sip_hdr_first(m, SIP_H_RECORD_ROUTE);
		at = rr_h ? rr_h->off : top_off;
		ed_add(&ed, at, 0, pc->rr, pc->rr_len);
		if (rr_bk >= 0 && (t = ed_alloc(&ed, BK_NAME_MAX + 4))) {
			const struct bk *b = &bks->bk[rr_bk];

			memcpy(t, ";bk=", 4);
			memcpy(t + 4, b->name, b->name_len);
			ed_add(&ed, at, 0, t, (uint16_t)(4 + b->name_len));
		}
		ed_add(&ed, at, 0, ">\r\n", 3);
	}

	/* §16.6 step 3 */
	if (mf_h) {
		if ((t = ed_alloc(&ed, 10)))
			ed_add(&ed, off_of(m, mf_h->value.p), mf_h->value.len, t,
			       (uint16_t)fmt_u32(t, mf - 1));
	} else {
		ed_add(&ed, top_off, 0, "Max-Forwards: 70\r\n", 18);
	}

	/* §18.3: bytes past Content-Length are not part of the message. */
	len = ed_apply(&ed, m->buf, (uint16_t)(m->body_off + m->body_len), out, out_cap);
	if (len < 0) /* more than out_cap, which px_process capped at max_len */
		return REFUSE(CNT_DROP_TOO_BIG, 513, "Message Too Large");
#undef REFUSE
	res->dst_ip = dst_ip;
	res->dst_port = dst_port;
	res->len = (uint16_t)len;
	res->backend = (int16_t)dst_bk;
	res->picked = picked;
	if (pc->acct && (m->method == SIP_M_INVITE || m->method == SIP_M_ACK ||
			 m->method == SIP_M_BYE))
		px_acct_fill(m, m->method, 0, res);
	cnt->fwd_req++;
	if (dst_bk >= 0)
		cnt->fwd_backend[dst_bk]++;
	return PX_FORWARD;
}

/*
 * Our Via as we wrote it: a UAS copies Via values into its response unchanged
 * (RFC 3261 §8.2.6.2), so the usual case is recognised by its exact text, the
 * 16 hex digits of our branch (and ".k" of a stateful one), and then the end
 * of the value or a comma;
 * *rest is then what sip_via_parse would give. Anything else (a received
 * added, other spacing) returns false and takes the full parse.
 */
static bool
our_via_fast(const struct px_conf *pc, struct sv value, struct sv *rest)
{
	const uint16_t pre = (uint16_t)(pc->via_len - 5); /* without "Via: " */
	const char *p, *e = sv_end(value);

	if (value.len < pre + 16 || memcmp(value.p, pc->via + 5, pre) != 0)
		return false;
	p = value.p + pre;
	for (unsigned i = 0; i < 16; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	p += 16;
	/* the stateful branch's try number (txn_branch_fmt) */
	if (e - p >= 2 && p[0] == '.' && p[1] >= '0' && p[1] <= '9')
		p += 2;
	while (p < e && sv_is_ws(*p))
		p++;
	if (p == e) {
		*rest = (struct sv){ e, 0 };
		return true;
	}
	if (*p != ',')
		return false;
	for (p++; p < e && sv_is_ws(*p); p++)
		;
	*rest = sv_make(p, e);
	return true;
}

static enum px_act
px_response(const struct px_conf *pc, struct cnt_core *cnt, const struct sip_msg *m,
	    char *out, uint16_t out_cap, struct px_res *res)
{
	const struct sip_hdr *via_h;
	struct sip_via via, next_via;
	struct sv rest, next;
	struct px_edits ed;
	uint32_t dst_ip;
	int len;

	ed.n = 0;
	ed.used = 0;
	cnt->sip_resp[m->status / 100]++;

	/* §16.7 step 3 / §18.1.2: the top Via must be ours, else the response
	 * was not meant for us. */
	via_h = sip_hdr_first(m, SIP_H_VIA);
	if (via_h == NULL) {
		cnt_drop(cnt, CNT_DROP_SIP_VIA);
		return PX_DROP;
	}
	if (!our_via_fast(pc, via_h->value, &rest)) {
		if (sip_via_parse(via_h->value, &via, &rest) < 0) {
			cnt_drop(cnt, CNT_DROP_SIP_VIA);
			return PX_DROP;
		}
		if (!is_us(pc, via.host, via.port) ||
		    !sv_has_prefix(via.branch, PX_BRANCH_PREFIX, sizeof(PX_BRANCH_PREFIX) - 1)) {
			cnt_drop(cnt, CNT_DROP_RESP_FOREIGN_VIA);
			return PX_DROP;
		}
		if (sv_has_prefix(via.branch, PX_PROBE_PREFIX, sizeof(PX_PROBE_PREFIX) - 1)) {
			/* a backend answering our health check: for the
			 * control plane, not for forwarding */
			res->acct.status = m->status;
			res->acct.call_id = via.branch;
			cnt->probe_replies++;
			return PX_PROBE;
		}
	}
	if (!sip_hdr_first(m, SIP_H_CALL_ID) || !sip_hdr_first(m, SIP_H_CSEQ) ||
	    !sip_hdr_first(m, SIP_H_FROM) || !sip_hdr_first(m, SIP_H_TO)) {
		cnt_drop(cnt, CNT_DROP_RESP_BAD);
		return PX_DROP;
	}
	/* Pop our Via: the value, or the whole line if it held only ours. */
	if (rest.len) {
		ed_add(&ed, off_of(m, via_h->value.p), (uint16_t)(rest.p - via_h->value.p),
		       NULL, 0);
		next = rest;
	} else {
		const struct sip_hdr *nh = sip_hdr_next(m, via_h);

		ed_add(&ed, via_h->off, via_h->line_len, NULL, 0);
		next = nh ? nh->value : (struct sv){ 0 };
	}
	if (next.len == 0) {
		cnt_drop(cnt, CNT_DROP_RESP_NO_VIA);
		return PX_DROP;
	}
	if (sip_via_parse(next, &next_via, NULL) < 0) {
		cnt_drop(cnt, CNT_DROP_SIP_VIA);
		return PX_DROP;
	}
	/* §18.2.2 and RFC 3581 §4: received, then rport, then sent-by. */
	if (next_via.received.len) {
		if (sip_ipv4_parse(next_via.received, &dst_ip) < 0) {
			cnt_drop(cnt, CNT_DROP_SIP_VIA);
			return PX_DROP;
		}
	} else if (sip_ipv4_parse(next_via.host, &dst_ip) < 0) {
		cnt_drop(cnt, CNT_DROP_SIP_DNS);
		return PX_DROP;
	}
	len = ed_apply(&ed, m->buf, (uint16_t)(m->body_off + m->body_len), out, out_cap);
	if (len < 0) { /* more than out_cap, capped at max_len */
		cnt_drop(cnt, CNT_DROP_TOO_BIG);
		return PX_DROP;
	}
	res->dst_ip = dst_ip;
	res->dst_port = next_via.rport ? next_via.rport :
			(next_via.port ? next_via.port : 5060);
	res->len = (uint16_t)len;
	res->backend = -1;
	res->picked = false;
	if (pc->acct) {
		const struct sip_hdr *cs = sip_hdr_first(m, SIP_H_CSEQ);
		struct sv meth;
		uint32_t num;

		if (sip_cseq_parse(cs->value, &num, &meth) == 0) {
			enum sip_method mm = sip_method_of(meth);

			if ((mm == SIP_M_INVITE && m->status >= 200) || mm == SIP_M_BYE)
				px_acct_fill(m, mm, m->status, res);
		}
	}
	cnt->fwd_resp++;
	return PX_FORWARD;
}

static const enum cnt_drop drop_of_err[SIP_E__COUNT] = {
	[SIP_E_START_LINE] = CNT_DROP_SIP_START_LINE,
	[SIP_E_VERSION] = CNT_DROP_SIP_VERSION,
	[SIP_E_HDR_SYNTAX] = CNT_DROP_SIP_HDR_SYNTAX,
	[SIP_E_TOO_MANY_HDRS] = CNT_DROP_SIP_TOO_MANY_HDRS,
	[SIP_E_NO_BODY_SEP] = CNT_DROP_SIP_NO_BODY_SEP,
	[SIP_E_CLEN] = CNT_DROP_SIP_CLEN,
	[SIP_E_CLEN_SHORT] = CNT_DROP_SIP_CLEN_SHORT,
};

enum px_act
px_process(const struct px_conf *pc, struct cnt_core *cnt, const char *in,
	   uint16_t in_len, uint32_t src_ip, uint16_t src_port, char *out,
	   uint16_t out_cap, struct px_res *res)
{
	struct sip_msg m;
	enum sip_err e;

	/* Nothing larger than the MTU allows leaves, forwarded or ours: a
	 * reply copies the request's Via/From/To/Call-ID/CSeq lines and can
	 * outgrow it too. */
	if (out_cap > pc->max_len)
		out_cap = pc->max_len;
	res->acct.method = 0;
	e = sip_parse_msg(in, in_len, &m);
	if (e == SIP_OK)
		return px_msg(pc, cnt, &m, src_ip, src_port, NULL, out, out_cap, res);

	/* §16.3 / §8.2.2: a request we can still answer gets 400 (505 for a
	 * version we do not speak); anything else is only counted. */
	if (e != SIP_E_START_LINE && m.is_request && m.method != SIP_M_ACK && m.n_hdr > 0) {
		const struct sip_hdr *vh = sip_hdr_first(&m, SIP_H_VIA);
		struct sip_via via;

		if (vh && sip_via_parse(vh->value, &via, NULL) == 0 &&
		    sip_hdr_first(&m, SIP_H_CALL_ID) && sip_hdr_first(&m, SIP_H_CSEQ) &&
		    sip_hdr_first(&m, SIP_H_FROM) && sip_hdr_first(&m, SIP_H_TO))
			return px_refuse(cnt, &m, &via, src_ip, src_port, drop_of_err[e],
					 e == SIP_E_VERSION ? 505 : 400,
					 e == SIP_E_VERSION ? "Version Not Supported" :
					 "Bad Request", out, out_cap, res);
	}
	cnt_drop(cnt, drop_of_err[e]);
	return PX_DROP;
}

enum px_act
px_msg(const struct px_conf *pc, struct cnt_core *cnt, const struct sip_msg *m,
       uint32_t src_ip, uint16_t src_port, const struct px_opt *opt, char *out,
       uint16_t out_cap, struct px_res *res)
{
	if (out_cap > pc->max_len)
		out_cap = pc->max_len;
	res->acct.method = 0;
	return m->is_request ?
		px_request(pc, cnt, m, src_ip, src_port, opt, out, out_cap, res) :
		px_response(pc, cnt, m, out, out_cap, res);
}

int
px_txn_key(const struct sip_msg *m, struct sip_via *via, uint64_t *h)
{
	const struct sip_hdr *vh = sip_hdr_first(m, SIP_H_VIA);

	if (vh == NULL || sip_via_parse(vh->value, via, NULL) < 0)
		return -1;
	*h = px_branch_hash(m, via);
	return 0;
}

/* Append n bytes; false (and nothing written) if they do not fit. */
static bool
put(char *out, uint32_t *o, uint16_t cap, const char *p, size_t n)
{
	if (*o + n > cap)
		return false;
	memcpy(out + *o, p, n);
	*o += (uint32_t)n;
	return true;
}

/* Append a header line of m as received, with CRLF whatever it ended with. */
static bool
put_line(char *out, uint32_t *o, uint16_t cap, const struct sip_msg *m,
	 const struct sip_hdr *h)
{
	return put(out, o, cap, m->buf + h->off, line_content_len(m->buf + h->off, h->line_len)) &&
	       put(out, o, cap, "\r\n", 2);
}

uint16_t
px_hop_request(const struct px_conf *pc, const struct sip_msg *inv, const struct sip_msg *resp,
	       uint64_t h, unsigned k, char *out, uint16_t out_cap)
{
	const struct sip_hdr *from_h = sip_hdr_first(inv, SIP_H_FROM);
	const struct sip_hdr *cid_h = sip_hdr_first(inv, SIP_H_CALL_ID);
	const struct sip_hdr *cseq_h = sip_hdr_first(inv, SIP_H_CSEQ);
	const struct sip_hdr *to_h = sip_hdr_first(resp ? resp : inv, SIP_H_TO);
	const char *method = resp ? "ACK" : "CANCEL";
	char b[TXN_BRANCH_LEN], num[12];
	struct sv cseq_method;
	uint32_t cseq_num, o = 0;
	bool ok;

	if (out_cap > pc->max_len)
		out_cap = pc->max_len;
	if (from_h == NULL || cid_h == NULL || cseq_h == NULL || to_h == NULL ||
	    sip_cseq_parse(cseq_h->value, &cseq_num, &cseq_method) < 0)
		return 0;
	txn_branch_fmt(b, h, k);
	num[fmt_u32(num, cseq_num)] = '\0';
#define PUT_LIT(lit) put(out, &o, out_cap, lit, sizeof(lit) - 1)
	/* Request line: the INVITE's Request-URI (§9.1, §17.1.1.3). */
	ok = put(out, &o, out_cap, method, strlen(method)) && PUT_LIT(" ") &&
	     put(out, &o, out_cap, inv->ruri.p, inv->ruri.len) &&
	     PUT_LIT(" SIP/2.0\r\n") &&
	     put(out, &o, out_cap, pc->via, pc->via_len) &&
	     put(out, &o, out_cap, b + sizeof(PX_BRANCH_PREFIX) - 1,
		 TXN_BRANCH_LEN - (sizeof(PX_BRANCH_PREFIX) - 1)) &&
	     PUT_LIT("\r\nMax-Forwards: 70\r\n");
	/* The Route set the forwarded INVITE carried: a top Route naming us
	 * was consumed (§16.4). */
	for (const struct sip_hdr *rt = sip_hdr_first(inv, SIP_H_ROUTE); ok && rt;
	     rt = sip_hdr_next(inv, rt)) {
		struct sv uri, rest;
		struct sip_uri u;

		if (rt == sip_hdr_first(inv, SIP_H_ROUTE) &&
		    sip_nameaddr_uri(rt->value, &uri, &rest) == 0 && sip_uri_parse(uri, &u) == 0 &&
		    is_us(pc, u.host, u.port)) {
			/* ours leaves; the values after it on its line stay */
			if (rest.len)
				ok = PUT_LIT("Route: ") && put(out, &o, out_cap, rest.p, rest.len) &&
				     PUT_LIT("\r\n");
			continue;
		}
		ok = put_line(out, &o, out_cap, inv, rt);
	}
	ok = ok && put_line(out, &o, out_cap, inv, from_h) &&
	     put_line(out, &o, out_cap, resp ? resp : inv, to_h) &&
	     put_line(out, &o, out_cap, inv, cid_h) &&
	     PUT_LIT("CSeq: ") && put(out, &o, out_cap, num, strlen(num)) &&
	     PUT_LIT(" ") && put(out, &o, out_cap, method, strlen(method)) &&
	     PUT_LIT("\r\nContent-Length: 0\r\n\r\n");
#undef PUT_LIT
	return ok ? (uint16_t)o : 0;
}
