/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplb-bench calls: a SIP call generator (--role uac) and responder
 * (--role uas) over kernel UDP sockets or a DPDK port (--port, calls_dp.h),
 * fast enough to load siplb.
 *
 * Each role is one single-threaded loop per socket: recvmmsg and sendmmsg
 * in batches of up to CALLS_BATCH, poll with a 1 ms timeout when idle, a
 * 1 ms timer wheel for retransmissions and timeouts. On a DPDK port the
 * same loops take and give their batches through calls_dp.c, and every
 * endpoint of the process (the caller, the responders) runs in one thread. Nothing is allocated
 * per message: the UAC's calls live in a table preallocated at start whose
 * index and generation are written into every Call-ID, From tag and branch,
 * so a response finds its call by decoding its top Via branch; the UAS keeps
 * an entry only between an INVITE and its ACK (for RFC 3261 §17.2.1 Timer G
 * retransmissions), found by a hash of the Call-ID. Messages are prebuilt
 * templates copied with a few fields written in.
 *
 * Progress lines go to stderr, the one JSON result line to stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "calls.h"
#include "calls_dp.h"
#include "calls_json.h"
#include "hist.h"
#include "rate.h"
#include "sv.h"

#define CALLS_BATCH 64
#define RX_BUF 4096
#define TX_BUF 2048

/* RFC 3261 §17.1.1.1 timers, milliseconds */
#define T1_MS 500
#define T2_MS 4000
#define TIMER_B_MS (64 * T1_MS)
/* The brief's other failure: this long without hearing from the peer. */
#define SILENCE_MS 5000

#define WHEEL_BITS 16
#define WHEEL_SIZE (1u << WHEEL_BITS)
#define NIL UINT32_MAX

#define ID_HEX 16
#define BRANCH_MAGIC "z9hG4bK-"
#define ROUTE_MAX 256
#define URI_MAX 128
#define TAG_MAX 64

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- batched I/O: kernel sockets, or a DPDK port (calls_dp.h) ---- */

/* --port given: every io is an endpoint of the process's DPDK port */
static bool dp_mode;
static const char *port_name = "udp";
#define CALLS_MAX_BINDS 16

struct io {
	int fd;                 /* -1 on a DPDK port */
	struct dp_ep *ep;       /* NULL on a socket */
	unsigned n_tx;
	uint64_t rx_msgs, tx_msgs, tx_drops;
	struct mmsghdr rx[CALLS_BATCH];
	struct iovec rx_iov[CALLS_BATCH];
	struct sockaddr_in rx_addr[CALLS_BATCH];
	struct mmsghdr tx[CALLS_BATCH];
	struct iovec tx_iov[CALLS_BATCH];
	struct sockaddr_in tx_addr[CALLS_BATCH];
	char rx_buf[CALLS_BATCH][RX_BUF];
	char tx_buf[CALLS_BATCH][TX_BUF];
};

static int
parse_addr(const char *s, struct sockaddr_in *sa)
{
	char ip[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(ip))
		return -1;
	memcpy(ip, s, (size_t)(colon - s));
	ip[colon - s] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int
io_open(struct io *io, const struct sockaddr_in *bind_sa, bool reuseport)
{
	int one = 1, buf = 8 << 20;

	for (unsigned i = 0; i < CALLS_BATCH; i++) {
		io->rx_iov[i] = (struct iovec){ io->rx_buf[i], RX_BUF - 1 };
		io->tx_iov[i] = (struct iovec){ io->tx_buf[i], 0 };
	}
	io->n_tx = 0;
	if (dp_mode) {
		io->fd = -1;
		io->ep = dp_ep_add(bind_sa);
		return io->ep ? 0 : -EADDRINUSE;
	}
	io->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (io->fd < 0)
		return -errno;
	if (reuseport)
		setsockopt(io->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	/* Bursts at high rates overflow the default 208 KiB; FORCE works as
	 * root (the namespaces' case), the plain option up to rmem_max. */
	if (setsockopt(io->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(io->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(io->fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(io->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(io->fd, (const struct sockaddr *)bind_sa, sizeof(*bind_sa)) < 0) {
		int e = errno;

		close(io->fd);
		return -e;
	}
	return 0;
}

static void
io_flush(struct io *io)
{
	unsigned off = 0;
	int tries = 0;

	if (io->ep) {
		off = dp_send(io->ep, io->tx_iov, io->tx_addr, io->n_tx);
		io->tx_drops += io->n_tx - off;
		io->tx_msgs += off;
		io->n_tx = 0;
		return;
	}
	while (off < io->n_tx) {
		int n = sendmmsg(io->fd, io->tx + off, io->n_tx - off, 0);

		if (n > 0) {
			off += (unsigned)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == ENOBUFS) && tries++ < 2) {
			struct pollfd p = { .fd = io->fd, .events = POLLOUT };

			poll(&p, 1, 1);
			continue;
		}
		/* the socket stays full (or refused one datagram: skip it); a
		 * lost message is what the retransmission timers are for */
		if (n < 0 && errno != EAGAIN && errno != ENOBUFS) {
			io->tx_drops++;
			off++;
			tries = 0;
			continue;
		}
		io->tx_drops += io->n_tx - off;
		break;
	}
	io->tx_msgs += off;
	io->n_tx = 0;
}

/* The buffer of the next outgoing datagram (flushing a full batch). */
static char *
io_tx_buf(struct io *io)
{
	if (io->n_tx == CALLS_BATCH)
		io_flush(io);
	return io->tx_buf[io->n_tx];
}

/* Queue the datagram written into io_tx_buf()'s buffer. */
static void
io_tx_commit(struct io *io, size_t len, const struct sockaddr_in *to)
{
	unsigned i = io->n_tx++;

	io->tx_addr[i] = *to;
	io->tx_iov[i].iov_len = len;
	io->tx[i].msg_hdr = (struct msghdr){
		.msg_name = &io->tx_addr[i],
		.msg_namelen = sizeof(io->tx_addr[i]),
		.msg_iov = &io->tx_iov[i],
		.msg_iovlen = 1,
	};
}

/* Receive a batch without blocking; returns how many (0 if none). */
static unsigned
io_recv(struct io *io)
{
	int n;

	if (io->ep) {
		unsigned lens[CALLS_BATCH], k;

		k = dp_recv(io->ep, io->rx_buf[0], RX_BUF, lens, io->rx_addr, CALLS_BATCH);
		for (unsigned i = 0; i < k; i++)
			io->rx[i].msg_len = lens[i];
		io->rx_msgs += k;
		return k;
	}
	for (unsigned i = 0; i < CALLS_BATCH; i++)
		io->rx[i].msg_hdr = (struct msghdr){
			.msg_name = &io->rx_addr[i],
			.msg_namelen = sizeof(io->rx_addr[i]),
			.msg_iov = &io->rx_iov[i],
			.msg_iovlen = 1,
		};
	n = recvmmsg(io->fd, io->rx, CALLS_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return 0;
	io->rx_msgs += (unsigned)n;
	return (unsigned)n;
}

static void
io_wait(struct io *io)
{
	struct pollfd p = { .fd = io->fd, .events = POLLIN };

	if (io->ep) {
		dp_idle();
		return;
	}
	poll(&p, 1, 1);
}

/* ---- 1 ms timer wheel over table indices: one timer per entry ---- */

struct wheel {
	uint64_t cur_ms;   /* every bucket up to here has run */
	uint32_t head[WHEEL_SIZE];
	uint32_t *next, *prev;
	uint64_t *due;     /* 0: not armed */
};

static int
wheel_init(struct wheel *w, uint32_t n, uint64_t now_ms)
{
	w->cur_ms = now_ms;
	for (unsigned i = 0; i < WHEEL_SIZE; i++)
		w->head[i] = NIL;
	w->next = calloc(n, sizeof(*w->next));
	w->prev = calloc(n, sizeof(*w->prev));
	w->due = calloc(n, sizeof(*w->due));
	return w->next && w->prev && w->due ? 0 : -ENOMEM;
}

static void
wheel_free(struct wheel *w)
{
	free(w->next);
	free(w->prev);
	free(w->due);
}

static void
wheel_cancel(struct wheel *w, uint32_t id)
{
	uint32_t b;

	if (w->due[id] == 0)
		return;
	b = (uint32_t)(w->due[id] & (WHEEL_SIZE - 1));
	if (w->prev[id] == NIL)
		w->head[b] = w->next[id];
	else
		w->next[w->prev[id]] = w->next[id];
	if (w->next[id] != NIL)
		w->prev[w->next[id]] = w->prev[id];
	w->due[id] = 0;
}

/* Arm id's timer for due_ms, clamped into the wheel's horizon. */
static void
wheel_arm(struct wheel *w, uint32_t id, uint64_t due_ms)
{
	uint32_t b;

	wheel_cancel(w, id);
	if (due_ms <= w->cur_ms)
		due_ms = w->cur_ms + 1;
	if (due_ms >= w->cur_ms + WHEEL_SIZE)
		due_ms = w->cur_ms + WHEEL_SIZE - 1;
	b = (uint32_t)(due_ms & (WHEEL_SIZE - 1));
	w->due[id] = due_ms;
	w->prev[id] = NIL;
	w->next[id] = w->head[b];
	if (w->head[b] != NIL)
		w->prev[w->head[b]] = id;
	w->head[b] = id;
}

/* Run every timer due up to now_ms: fire(ctx, id) with id disarmed. */
static void
wheel_run(struct wheel *w, uint64_t now_ms, void (*fire)(void *, uint32_t), void *ctx)
{
	while (w->cur_ms < now_ms) {
		uint32_t b, id;

		w->cur_ms++;
		b = (uint32_t)(w->cur_ms & (WHEEL_SIZE - 1));
		while ((id = w->head[b]) != NIL) {
			wheel_cancel(w, id);
			fire(ctx, id);
		}
	}
}

/* ---- small text helpers ---- */

struct wb {
	char *p;
	size_t n, cap;
	bool over;
};

static void
wb_put(struct wb *b, const void *s, size_t len)
{
	if (b->n + len > b->cap) {
		b->over = true;
		return;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

#define WB_LIT(b, s) wb_put((b), (s), sizeof(s) - 1)

static void
wb_str(struct wb *b, const char *s)
{
	wb_put(b, s, strlen(s));
}

static void
wb_u32(struct wb *b, uint32_t v)
{
	char t[10];
	int i = 10;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	wb_put(b, t + i, (size_t)(10 - i));
}

static bool
ieq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);

	if (alen != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

enum hdr {
	H_OTHER,
	H_VIA,
	H_RECORD_ROUTE,
	H_FROM,
	H_TO,
	H_CALL_ID,
	H_CSEQ,
	H_CONTACT,
};

/* A header name, long or compact form (RFC 3261 §7.3.3), case-insensitive. */
static enum hdr
hdr_of(const char *n, size_t len)
{
	if (len == 1) {
		switch (n[0] | 0x20) {
		case 'v': return H_VIA;
		case 'f': return H_FROM;
		case 't': return H_TO;
		case 'i': return H_CALL_ID;
		case 'm': return H_CONTACT;
		default: return H_OTHER;
		}
	}
	if (ieq(n, len, "via"))
		return H_VIA;
	if (ieq(n, len, "record-route"))
		return H_RECORD_ROUTE;
	if (ieq(n, len, "from"))
		return H_FROM;
	if (ieq(n, len, "to"))
		return H_TO;
	if (ieq(n, len, "call-id"))
		return H_CALL_ID;
	if (ieq(n, len, "cseq"))
		return H_CSEQ;
	if (ieq(n, len, "contact"))
		return H_CONTACT;
	return H_OTHER;
}

/* One header line: [line, line + len) including its line end; the value
 * is trimmed. */
struct hline {
	enum hdr h;
	const char *line, *val;
	size_t len, vlen;
};

/*
 * The next header line at *pos (< end): fills hl and advances *pos.
 * Returns 1 for a header, 0 at the empty line ending the headers (or the
 * end of the buffer), -1 for a line without a colon (skipped).
 */
static int
hdr_next(const char **pos, const char *end, struct hline *hl)
{
	const char *p = *pos, *eol, *colon, *ve;

	if (p >= end)
		return 0;
	eol = memchr(p, '\n', (size_t)(end - p));
	eol = eol ? eol + 1 : end;
	*pos = eol;
	if (eol - p <= 2 && (p[0] == '\r' || p[0] == '\n'))
		return 0;
	colon = memchr(p, ':', (size_t)(eol - p));
	if (!colon)
		return -1;
	ve = colon;
	while (ve > p && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	hl->h = hdr_of(p, (size_t)(ve - p));
	hl->line = p;
	hl->len = (size_t)(eol - p);
	hl->val = colon + 1;
	ve = eol;
	while (ve > hl->val && (ve[-1] == '\r' || ve[-1] == '\n' || ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	while (hl->val < ve && (*hl->val == ' ' || *hl->val == '\t'))
		hl->val++;
	hl->vlen = (size_t)(ve - hl->val);
	return 1;
}

/* The first line's end (after its '\n'), or NULL. */
static const char *
first_line_end(const char *p, size_t len)
{
	const char *e = memchr(p, '\n', len);

	return e ? e + 1 : NULL;
}

/* The value of parameter name ("tag") in a header value, or len 0. */
static size_t
param_get(const char *v, size_t vlen, const char *name, const char **out)
{
	size_t nl = strlen(name);
	const char *p = v, *end = v + vlen;
	bool in_angle = false;

	for (; p < end; p++) {
		if (*p == '<')
			in_angle = true;
		else if (*p == '>')
			in_angle = false;
		else if (*p == ';' && !in_angle && (size_t)(end - p) > nl + 1 &&
			 ieq(p + 1, nl, name) && p[1 + nl] == '=') {
			const char *s = p + 2 + nl, *e = s;

			while (e < end && *e != ';' && *e != ',' && *e != ' ' && *e != '>')
				e++;
			*out = s;
			return (size_t)(e - s);
		}
	}
	return 0;
}

/* The URI of a name-addr or addr-spec ("<sip:a@b>;x" or "sip:a@b;x"). */
static size_t
nameaddr_uri(const char *v, size_t vlen, const char **out)
{
	const char *lt = memchr(v, '<', vlen), *e;

	if (lt) {
		e = memchr(lt, '>', (size_t)(v + vlen - lt));
		if (!e)
			return 0;
		*out = lt + 1;
		return (size_t)(e - lt - 1);
	}
	for (e = v; e < v + vlen && *e != ';' && *e != ' ' && *e != ','; e++)
		;
	*out = v;
	return (size_t)(e - v);
}

/* The IPv4 host and port of a sip: URI (port 5060 if absent). */
static int
uri_addr(const char *u, size_t len, struct sockaddr_in *sa)
{
	const char *p = u, *end = u + len, *h, *at;
	char ip[INET_ADDRSTRLEN];
	unsigned long port = 5060;
	size_t hl;

	if (len < 4 || !ieq(u, 4, "sip:"))
		return -1;
	p += 4;
	for (at = p; at < end && *at != '@' && *at != ';'; at++)
		;
	if (at < end && *at == '@')
		p = at + 1;
	h = p;
	while (p < end && *p != ':' && *p != ';' && *p != '>')
		p++;
	hl = (size_t)(p - h);
	if (hl == 0 || hl >= sizeof(ip))
		return -1;
	memcpy(ip, h, hl);
	ip[hl] = '\0';
	if (p < end && *p == ':') {
		port = 0;
		for (p++; p < end && *p >= '0' && *p <= '9'; p++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (port == 0 || port > 65535)
			return -1;
	}
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static const char sdp_fmt[] =
	"v=0\r\n"
	"o=bench 1 1 IN IP4 %s\r\n"
	"s=-\r\n"
	"c=IN IP4 %s\r\n"
	"t=0 0\r\n"
	"m=audio %u RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

/* ---- the UAC ---- */

enum call_state {
	C_FREE,
	C_INVITING,   /* INVITE sent, no response: Timer A retransmits */
	C_PROCEEDING, /* a provisional came: wait for the final */
	C_HOLD,       /* 200 ACKed, BYE after --hold-ms */
	C_BYEING,     /* BYE sent: Timer E retransmits */
	/* --flow cancel only; kept last so one compare tells them apart */
	C_CANCEL_HOLD, /* a provisional >100 came: CANCEL after --hold-ms */
	C_CANCELLING,  /* CANCEL sent: Timer E retransmits it until its final */
	C_CANCELLED,   /* the CANCEL's final came: wait for the INVITE's 487 */
};

/* What a call does after its INVITE, and what counts as its success. */
enum call_flow {
	FLOW_CALL,   /* 200, ACK, BYE, 200 */
	FLOW_CANCEL, /* 180, CANCEL, 200 (CANCEL), 487 (INVITE), ACK */
	FLOW_503,    /* an error final (>= 300), ACK */
};

struct call {
	uint32_t gen;
	uint8_t state;
	bool got_180;
	bool doomed;            /* ends failed however its BYE goes */
	uint8_t route_len, contact_len, totag_len;
	uint16_t phase;
	uint32_t retx_ms;       /* current retransmission interval */
	uint64_t t_start_ns;    /* the INVITE (or BYE, or CANCEL) was first sent */
	uint64_t t_next_retx;   /* ms */
	uint64_t t_deadline;    /* ms: Timer B / F */
	uint64_t t_silence;     /* ms: fail if nothing heard until then */
	uint64_t t_hold_end;    /* ms */
	struct sockaddr_in dst; /* ACK and BYE go there */
	char route[ROUTE_MAX];  /* "Route: ...\r\n" or empty */
	char contact[URI_MAX];
	char totag[TAG_MAX];
};

#define MAX_PHASES 64

struct phase {
	uint64_t rate;
	uint64_t started, ok, failed;
};

struct uac {
	struct io io;
	struct wheel wheel;
	struct call *calls;
	uint32_t *free_stack;
	uint32_t n_calls, n_free;
	struct sockaddr_in target;
	const char *target_s;
	uint64_t hold_ms;
	enum call_flow flow;
	uint64_t now_ms, now;
	/* the INVITE template and where each call's id goes */
	char inv[TX_BUF];
	size_t inv_len, inv_id_off[3];
	/* pieces of ACK and BYE */
	char via_pre[128], from_line_pre[128], to_pre[128], callid_post[96], ruri_target[96];
	char run[10];   /* "-" + 8 hex: this run's, after each branch and tag */
	uint64_t started, ok, failed, retrans, stray, unroutable;
	/* the INVITEs' finals other than the 2xx of the plain flow, and the
	 * 2xx that beat a CANCEL */
	uint64_t fin_487, fin_500, fin_503, fin_other, fin_2xx, cancel_lost;
	uint64_t reacked;       /* finals of ended calls ACKed again */
	uint16_t cur_phase;
	struct phase ph[MAX_PHASES];
	struct hist lat[CALLS_LAT_N];
};

static void
call_id_hex(char *p, uint32_t slot, uint32_t gen)
{
	sv_hex_put(p, slot, 8);
	sv_hex_put(p + 8, gen, 8);
}

static void
uac_send_invite(struct uac *u, uint32_t slot)
{
	char *b = io_tx_buf(&u->io);
	struct call *c = &u->calls[slot];

	memcpy(b, u->inv, u->inv_len);
	for (unsigned i = 0; i < 3; i++)
		call_id_hex(b + u->inv_id_off[i], slot, c->gen);
	io_tx_commit(&u->io, u->inv_len, &u->target);
}

/*
 * ACK or BYE within the dialog (RFC 3261 §12.2.1.1): Request-URI the
 * remote target (the 200's Contact), Route the route set, sent to the
 * first Route (loose routing) or else to the Contact. kind 'a' or 'b'.
 */
static void
uac_send_in_dialog(struct uac *u, uint32_t slot, char kind)
{
	struct call *c = &u->calls[slot];
	struct wb b = { io_tx_buf(&u->io), 0, TX_BUF, false };
	char id[ID_HEX];

	call_id_hex(id, slot, c->gen);
	if (kind == 'a')
		WB_LIT(&b, "ACK ");
	else
		WB_LIT(&b, "BYE ");
	wb_put(&b, c->contact, c->contact_len);
	WB_LIT(&b, " SIP/2.0\r\n");
	wb_str(&b, u->via_pre);
	wb_put(&b, id, ID_HEX);
	wb_put(&b, &kind, 1);
	wb_str(&b, u->run);
	WB_LIT(&b, ";rport\r\nMax-Forwards: 70\r\n");
	wb_put(&b, c->route, c->route_len);
	wb_str(&b, u->from_line_pre);
	wb_put(&b, id, ID_HEX);
	wb_str(&b, u->run);
	wb_str(&b, u->to_pre);
	WB_LIT(&b, ";tag=");
	wb_put(&b, c->totag, c->totag_len);
	WB_LIT(&b, "\r\nCall-ID: ");
	wb_put(&b, id, ID_HEX);
	wb_str(&b, u->callid_post);
	if (kind == 'a')
		WB_LIT(&b, "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n");
	else
		WB_LIT(&b, "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n");
	if (!b.over)
		io_tx_commit(&u->io, b.n, &c->dst);
}

/*
 * A request of the INVITE's transaction, with its branch, Request-URI,
 * From, Call-ID, CSeq number and destination: the ACK of a non-2xx final
 * (§17.1.1.3: the response's To, tag included) or the CANCEL (§9.1: the
 * INVITE's To, no tag; no Route, as the INVITE had none). method "ACK" or
 * "CANCEL".
 */
static void
uac_send_on_invite(struct uac *u, uint32_t slot, uint32_t gen, const char *method,
		   const char *totag, size_t totag_len)
{
	struct wb b = { io_tx_buf(&u->io), 0, TX_BUF, false };
	char id[ID_HEX];

	call_id_hex(id, slot, gen);
	wb_str(&b, method);
	WB_LIT(&b, " ");
	wb_str(&b, u->ruri_target);
	WB_LIT(&b, " SIP/2.0\r\n");
	wb_str(&b, u->via_pre);
	wb_put(&b, id, ID_HEX);
	WB_LIT(&b, "i");
	wb_str(&b, u->run);
	WB_LIT(&b, ";rport\r\nMax-Forwards: 70\r\n");
	wb_str(&b, u->from_line_pre);
	wb_put(&b, id, ID_HEX);
	wb_str(&b, u->run);
	wb_str(&b, u->to_pre);
	if (totag_len) {
		WB_LIT(&b, ";tag=");
		wb_put(&b, totag, totag_len);
	}
	WB_LIT(&b, "\r\nCall-ID: ");
	wb_put(&b, id, ID_HEX);
	wb_str(&b, u->callid_post);
	WB_LIT(&b, "CSeq: 1 ");
	wb_str(&b, method);
	WB_LIT(&b, "\r\nContent-Length: 0\r\n\r\n");
	if (!b.over)
		io_tx_commit(&u->io, b.n, &u->target);
}

static void
uac_send_ack_non2xx(struct uac *u, uint32_t slot, uint32_t gen, const char *totag,
		    size_t totag_len)
{
	uac_send_on_invite(u, slot, gen, "ACK", totag, totag_len);
}

static void
uac_end(struct uac *u, uint32_t slot, bool ok)
{
	struct call *c = &u->calls[slot];

	wheel_cancel(&u->wheel, slot);
	if (ok) {
		u->ok++;
		u->ph[c->phase].ok++;
	} else {
		u->failed++;
		u->ph[c->phase].failed++;
	}
	c->state = C_FREE;
	c->gen++;
	u->free_stack[u->n_free++] = slot;
}

static uint64_t
min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* Arm the call's one timer for its next event in its state. */
static void
uac_arm(struct uac *u, uint32_t slot)
{
	struct call *c = &u->calls[slot];
	uint64_t due;

	switch (c->state) {
	case C_INVITING:
	case C_BYEING:
	case C_CANCELLING:
		due = min3(c->t_next_retx, c->t_deadline, c->t_silence);
		break;
	case C_PROCEEDING:
	case C_CANCELLED:
		due = c->t_deadline < c->t_silence ? c->t_deadline : c->t_silence;
		break;
	case C_HOLD:
	case C_CANCEL_HOLD:
		due = c->t_hold_end;
		break;
	default:
		return;
	}
	wheel_arm(&u->wheel, slot, due);
}

/* A client transaction starts now (INVITE, BYE or CANCEL): its latency
 * clock, retransmissions from T1 (Timer A or E), Timer B or F, silence. */
static void
uac_txn_start(struct uac *u, uint32_t slot, uint8_t state)
{
	struct call *c = &u->calls[slot];

	c->state = state;
	c->t_start_ns = u->now;
	c->retx_ms = T1_MS;
	c->t_next_retx = u->now_ms + T1_MS;
	c->t_deadline = u->now_ms + TIMER_B_MS;
	c->t_silence = u->now_ms + SILENCE_MS;
}

static void
uac_bye(struct uac *u, uint32_t slot)
{
	uac_txn_start(u, slot, C_BYEING);
	uac_send_in_dialog(u, slot, 'b');
	uac_arm(u, slot);
}

/* The CANCEL's client transaction (§9.1, §17.1.2): Timer E from T1
 * doubling to T2, Timer F; and §9.1's 64*T1 for the INVITE's final after
 * the CANCEL, which the same deadline covers. */
static void
uac_cancel(struct uac *u, uint32_t slot)
{
	uac_txn_start(u, slot, C_CANCELLING);
	uac_send_on_invite(u, slot, u->calls[slot].gen, "CANCEL", NULL, 0);
	uac_arm(u, slot);
}

/* A provisional >100 came: §9.1 allows the CANCEL from now on. */
static void
uac_cancel_hold(struct uac *u, uint32_t slot)
{
	struct call *c = &u->calls[slot];

	if (u->hold_ms == 0) {
		uac_cancel(u, slot);
		return;
	}
	c->state = C_CANCEL_HOLD;
	c->t_hold_end = u->now_ms + u->hold_ms;
	uac_arm(u, slot);
}

static void
uac_fire(void *ctx, uint32_t slot)
{
	struct uac *u = ctx;
	struct call *c = &u->calls[slot];

	switch (c->state) {
	case C_INVITING:
	case C_BYEING:
	case C_CANCELLING:
		if (u->now_ms >= c->t_deadline || u->now_ms >= c->t_silence) {
			uac_end(u, slot, false);
			return;
		}
		if (u->now_ms >= c->t_next_retx) {
			/* §17.1.1.2 Timer A doubles without bound; §17.1.2.2
			 * Timer E doubles up to T2 */
			if (c->state == C_INVITING)
				uac_send_invite(u, slot);
			else if (c->state == C_BYEING)
				uac_send_in_dialog(u, slot, 'b');
			else
				uac_send_on_invite(u, slot, u->calls[slot].gen, "CANCEL", NULL, 0);
			u->retrans++;
			c->retx_ms *= 2;
			if (c->state != C_INVITING && c->retx_ms > T2_MS)
				c->retx_ms = T2_MS;
			c->t_next_retx = u->now_ms + c->retx_ms;
		}
		break;
	case C_PROCEEDING:
	case C_CANCELLED:
		if (u->now_ms >= c->t_deadline || u->now_ms >= c->t_silence) {
			uac_end(u, slot, false);
			return;
		}
		break;
	case C_HOLD:
		uac_bye(u, slot);
		return;
	case C_CANCEL_HOLD:
		uac_cancel(u, slot);
		return;
	default:
		return;
	}
	uac_arm(u, slot);
}

static void
uac_start_call(struct uac *u)
{
	uint32_t slot = u->free_stack[--u->n_free];
	struct call *c = &u->calls[slot];

	uac_txn_start(u, slot, C_INVITING);
	c->got_180 = false;
	c->doomed = false;
	c->phase = u->cur_phase;
	u->started++;
	u->ph[u->cur_phase].started++;
	uac_send_invite(u, slot);
	uac_arm(u, slot);
}

/*
 * The dialog from a 2xx to our INVITE: remote target (Contact), the
 * remote tag and the route set — RFC 3261 §12.1.2: the Record-Route URIs
 * in reverse order. Requests then go to the first Route URI (a loose
 * router, ;lr: siplb, Kamailio), or with no route set to the Contact.
 * Returns -1 if the dialog cannot be used (missing or too long parts).
 */
static int
uac_dialog(struct call *c, const char *hdrs, const char *end)
{
	const char *rr[8], *p = hdrs, *s;
	size_t rr_len[8], n_rr = 0, n, o;
	struct hline hl;
	int r;

	c->contact_len = 0;
	c->totag_len = 0;
	while ((r = hdr_next(&p, end, &hl)) != 0) {
		if (r < 0)
			continue;
		if (hl.h == H_RECORD_ROUTE) {
			/* split "a, b" into entries; a comma inside <> is not
			 * a separator */
			const char *q = hl.val, *ve = hl.val + hl.vlen, *st = q;
			bool in_angle = false;

			for (; q <= ve; q++) {
				if (q < ve && *q == '<')
					in_angle = true;
				else if (q < ve && *q == '>')
					in_angle = false;
				if (q == ve || (*q == ',' && !in_angle)) {
					const char *a = st, *b = q;

					while (a < b && (*a == ' ' || *a == '\t'))
						a++;
					while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
						b--;
					if (b > a) {
						if (n_rr == 8)
							return -1;
						rr[n_rr] = a;
						rr_len[n_rr++] = (size_t)(b - a);
					}
					st = q + 1;
				}
			}
		} else if (hl.h == H_CONTACT && c->contact_len == 0) {
			n = nameaddr_uri(hl.val, hl.vlen, &s);
			if (n == 0 || n >= URI_MAX)
				return -1;
			memcpy(c->contact, s, n);
			c->contact_len = (uint8_t)n;
		} else if (hl.h == H_TO) {
			n = param_get(hl.val, hl.vlen, "tag", &s);
			if (n >= TAG_MAX)
				return -1;
			memcpy(c->totag, s, n);
			c->totag_len = (uint8_t)n;
		}
	}
	if (c->contact_len == 0)
		return -1;
	c->route_len = 0;
	if (n_rr) {
		const char *u0 = NULL;
		size_t ul;

		memcpy(c->route, "Route: ", 7);
		o = 7;
		for (size_t i = n_rr; i-- > 0;) {
			if (o + rr_len[i] + 4 > ROUTE_MAX)
				return -1;
			memcpy(c->route + o, rr[i], rr_len[i]);
			o += rr_len[i];
			if (i) {
				c->route[o++] = ',';
				c->route[o++] = ' ';
			}
		}
		c->route[o++] = '\r';
		c->route[o++] = '\n';
		c->route_len = (uint8_t)o;
		ul = nameaddr_uri(rr[n_rr - 1], rr_len[n_rr - 1], &u0);
		return uri_addr(u0, ul, &c->dst);
	}
	return uri_addr(c->contact, c->contact_len, &c->dst);
}

/* The 2xx to our INVITE: ACK it, then BYE after --hold-ms. */
static void
uac_answered(struct uac *u, uint32_t slot, const char *hdrs, const char *end)
{
	struct call *c = &u->calls[slot];

	if (uac_dialog(c, hdrs, end) < 0) {
		u->unroutable++;
		uac_end(u, slot, false);
		return;
	}
	uac_send_in_dialog(u, slot, 'a');
	if (u->hold_ms) {
		c->state = C_HOLD;
		c->t_hold_end = u->now_ms + u->hold_ms;
		uac_arm(u, slot);
	} else {
		uac_bye(u, slot);
	}
}

/* A 2xx where the flow wanted an error final, or a CANCEL that lost the
 * race (§9.1): the dialog stands and the UAC must end it (§15), so ACK
 * and BYE it as a plain call; the call counts as failed. */
static void
uac_2xx_unwanted(struct uac *u, uint32_t slot, const char *hdrs, const char *end)
{
	u->fin_2xx++;
	if (u->flow == FLOW_CANCEL)
		u->cancel_lost++;
	u->calls[slot].doomed = true;
	uac_answered(u, slot, hdrs, end);
}

/* ACK a non-2xx final with its To tag (§17.1.1.3); slot and gen name the
 * call, which may have ended (a retransmitted final). */
static void
uac_ack_final(struct uac *u, uint32_t slot, uint32_t gen, const char *hdrs, const char *end)
{
	const char *p = hdrs, *tag = NULL;
	size_t tl = 0;
	struct hline hl;
	int r;

	while ((r = hdr_next(&p, end, &hl)) != 0)
		if (r > 0 && hl.h == H_TO)
			tl = param_get(hl.val, hl.vlen, "tag", &tag);
	uac_send_ack_non2xx(u, slot, gen, tag, tl);
}

static void
uac_count_final(struct uac *u, uint64_t code)
{
	if (code == 487)
		u->fin_487++;
	else if (code == 500)
		u->fin_500++;
	else if (code == 503)
		u->fin_503++;
	else
		u->fin_other++;
}

/* Whether the response's CSeq method is CANCEL. */
static bool
cseq_is_cancel(const char *hdrs, const char *end)
{
	const char *p = hdrs, *v, *ve;
	struct hline hl;
	int r;

	while ((r = hdr_next(&p, end, &hl)) != 0) {
		if (r < 0 || hl.h != H_CSEQ)
			continue;
		v = hl.val;
		ve = hl.val + hl.vlen;
		while (v < ve && *v >= '0' && *v <= '9')
			v++;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		return ve - v == 6 && memcmp(v, "CANCEL", 6) == 0;
	}
	return false;
}

/*
 * A response on the INVITE's branch once the call is cancelling. The
 * CANCEL's responses carry that branch too (§9.1), so the CSeq method
 * tells them apart; it is parsed only here, off the plain flow's path.
 * The call succeeds on the INVITE's 487 after a CANCEL went out.
 */
static void
uac_cancel_response(struct uac *u, uint32_t slot, uint64_t code, const char *hdrs,
		    const char *end)
{
	struct call *c = &u->calls[slot];

	/* before the CANCEL is sent every response is the INVITE's */
	if (c->state != C_CANCEL_HOLD && cseq_is_cancel(hdrs, end)) {
		/* any final ends the CANCEL's retransmissions (§17.1.2.2);
		 * the INVITE's final is still to come */
		if (code >= 200 && c->state == C_CANCELLING) {
			c->state = C_CANCELLED;
			uac_arm(u, slot);
		}
		return;
	}
	if (code < 200)
		return;
	if (code < 300) {
		uac_2xx_unwanted(u, slot, hdrs, end);
		return;
	}
	uac_ack_final(u, slot, u->calls[slot].gen, hdrs, end);
	uac_count_final(u, code);
	if (code == 487 && c->state != C_CANCEL_HOLD) {
		hist_add(&u->lat[CALLS_LAT_CANCEL_487], u->now - c->t_start_ns);
		uac_end(u, slot, true);
	} else {
		uac_end(u, slot, false);
	}
}

static void
uac_response(struct uac *u, const char *m, size_t len)
{
	const char *end = m + len, *br, *hdrs;
	uint64_t id, code;
	uint32_t slot, gen;
	struct call *c;
	char kind;

	if (len < 12 || memcmp(m, "SIP/2.0 ", 8) != 0) {
		u->stray++;
		return;
	}
	code = (uint64_t)(m[8] - '0') * 100 + (uint64_t)(m[9] - '0') * 10 + (uint64_t)(m[10] - '0');
	hdrs = first_line_end(m, len);
	/* Our Via is the top one left on a response (§18.1.2): its branch is
	 * the first in the message. */
	br = hdrs ? memmem(hdrs, (size_t)(end - hdrs), "branch=" BRANCH_MAGIC,
			   sizeof("branch=" BRANCH_MAGIC) - 1) : NULL;
	if (!br || code < 100 || code > 699 ||
	    (size_t)(end - br) < sizeof("branch=" BRANCH_MAGIC) - 1 + ID_HEX + 1) {
		u->stray++;
		return;
	}
	br += sizeof("branch=" BRANCH_MAGIC) - 1;
	kind = br[ID_HEX];
	if (sv_hex_get(br, ID_HEX, &id) < 0) {
		u->stray++;
		return;
	}
	slot = (uint32_t)(id >> 32);
	gen = (uint32_t)id;
	if (slot >= u->n_calls || u->calls[slot].gen != gen || u->calls[slot].state == C_FREE) {
		/*
		 * The call has ended. A non-2xx final of its INVITE again means
		 * our ACK was lost: the client transaction is still Completed
		 * (§17.1.1.2, Timer D), so ACK again, from the branch alone.
		 * Not a final of our CANCEL (it takes no ACK), nor another
		 * run's.
		 */
		if (slot < u->n_calls && kind == 'i' && code >= 300 &&
		    (size_t)(end - br) >= ID_HEX + 1 + sizeof(u->run) - 1 &&
		    memcmp(br + ID_HEX + 1, u->run, sizeof(u->run) - 1) == 0 &&
		    !cseq_is_cancel(hdrs, end)) {
			uac_ack_final(u, slot, gen, hdrs, end);
			u->reacked++;
			return;
		}
		u->stray++;
		return;
	}
	c = &u->calls[slot];
	c->t_silence = u->now_ms + SILENCE_MS;
	if (kind == 'i') {
		if (c->state >= C_CANCEL_HOLD) {
			uac_cancel_response(u, slot, code, hdrs, end);
			return;
		}
		if (code < 200) {
			if (c->state != C_INVITING && c->state != C_PROCEEDING)
				return;
			c->state = C_PROCEEDING;
			if (code == 180 && !c->got_180) {
				c->got_180 = true;
				hist_add(&u->lat[CALLS_LAT_INVITE_180], u->now - c->t_start_ns);
			}
			if (code > 100 && u->flow == FLOW_CANCEL) {
				uac_cancel_hold(u, slot);
				return;
			}
			uac_arm(u, slot);
		} else if (code < 300) {
			if (c->state == C_HOLD || c->state == C_BYEING) {
				/* the 200 to a CANCEL that lost the race */
				if (c->doomed && u->flow == FLOW_CANCEL && cseq_is_cancel(hdrs, end))
					return;
				/* a retransmitted 2xx: its ACK was lost (§13.2.2.4) */
				uac_send_in_dialog(u, slot, 'a');
				return;
			}
			if (c->state != C_INVITING && c->state != C_PROCEEDING)
				return;
			if (u->flow != FLOW_CALL) {
				/* a flow that wants no dialog still ends this one */
				uac_2xx_unwanted(u, slot, hdrs, end);
				return;
			}
			hist_add(&u->lat[CALLS_LAT_INVITE_200], u->now - c->t_start_ns);
			uac_answered(u, slot, hdrs, end);
		} else {
			if (c->state != C_INVITING && c->state != C_PROCEEDING) {
				/* the final again (our ACK was lost): ACK again;
				 * but a CANCEL's non-2xx (the CANCEL lost the race
				 * to a 2xx) takes no ACK (§17.1.2) */
				if (!(u->flow == FLOW_CANCEL && cseq_is_cancel(hdrs, end)))
					uac_ack_final(u, slot, c->gen, hdrs, end);
				return;
			}
			uac_ack_final(u, slot, c->gen, hdrs, end);
			uac_count_final(u, code);
			if (u->flow == FLOW_503) {
				hist_add(&u->lat[CALLS_LAT_INVITE_ERR], u->now - c->t_start_ns);
				uac_end(u, slot, true);
			} else {
				uac_end(u, slot, false);
			}
		}
	} else if (kind == 'b' && c->state == C_BYEING && code >= 200) {
		hist_add(&u->lat[CALLS_LAT_BYE_200], u->now - c->t_start_ns);
		uac_end(u, slot, code < 300 && !c->doomed);
	}
}

static int
uac_setup(struct uac *u, const struct sockaddr_in *bind_sa, uint32_t n_calls)
{
	char bind_s[32], bind_ip[INET_ADDRSTRLEN], sdp[512], run[9];
	struct wb b;
	const char *x;
	int rc, sdp_len;

	inet_ntop(AF_INET, &bind_sa->sin_addr, bind_ip, sizeof(bind_ip));
	snprintf(bind_s, sizeof(bind_s), "%s:%u", bind_ip, ntohs(bind_sa->sin_port));
	/* Branches and tags differ from run to run: a stateful proxy may
	 * still hold the last run's transactions. */
	sv_hex_put(run, (uint64_t)now_ns() ^ ((uint64_t)getpid() << 20), 8);
	run[8] = '\0';
	snprintf(u->run, sizeof(u->run), "-%s", run);
	snprintf(u->via_pre, sizeof(u->via_pre), "Via: SIP/2.0/UDP %s;branch=" BRANCH_MAGIC, bind_s);
	snprintf(u->from_line_pre, sizeof(u->from_line_pre), "From: <sip:bench@%s>;tag=", bind_ip);
	snprintf(u->to_pre, sizeof(u->to_pre), "\r\nTo: <sip:service@%s>", u->target_s);
	snprintf(u->callid_post, sizeof(u->callid_post), "-%s@%s\r\n", run, bind_ip);
	snprintf(u->ruri_target, sizeof(u->ruri_target), "sip:service@%s", u->target_s);
	sdp_len = snprintf(sdp, sizeof(sdp), sdp_fmt, bind_ip, bind_ip, 10000u);

	b = (struct wb){ u->inv, 0, sizeof(u->inv), false };
	WB_LIT(&b, "INVITE ");
	wb_str(&b, u->ruri_target);
	WB_LIT(&b, " SIP/2.0\r\n");
	wb_str(&b, u->via_pre);
	WB_LIT(&b, "XXXXXXXXXXXXXXXXi");
	wb_str(&b, u->run);
	WB_LIT(&b, ";rport\r\nMax-Forwards: 70\r\n");
	wb_str(&b, u->from_line_pre);
	WB_LIT(&b, "XXXXXXXXXXXXXXXX");
	wb_str(&b, u->run);
	wb_str(&b, u->to_pre);
	WB_LIT(&b, "\r\nCall-ID: XXXXXXXXXXXXXXXX");
	wb_str(&b, u->callid_post);
	WB_LIT(&b, "CSeq: 1 INVITE\r\nContact: <sip:bench@");
	wb_str(&b, bind_s);
	WB_LIT(&b, ">\r\nContent-Type: application/sdp\r\nContent-Length: ");
	wb_u32(&b, (uint32_t)sdp_len);
	WB_LIT(&b, "\r\n\r\n");
	wb_put(&b, sdp, (size_t)sdp_len);
	if (b.over)
		return -ENAMETOOLONG;
	u->inv_len = b.n;
	x = u->inv;
	for (unsigned i = 0; i < 3; i++) {
		x = memmem(x, u->inv_len - (size_t)(x - u->inv), "XXXXXXXXXXXXXXXX", ID_HEX);
		u->inv_id_off[i] = (size_t)(x - u->inv);
		x += ID_HEX;
	}

	u->n_calls = n_calls;
	u->calls = calloc(n_calls, sizeof(*u->calls));
	u->free_stack = calloc(n_calls, sizeof(*u->free_stack));
	if (!u->calls || !u->free_stack)
		return -ENOMEM;
	/* lowest slots on top: a light load touches few pages */
	for (uint32_t i = 0; i < n_calls; i++)
		u->free_stack[i] = n_calls - 1 - i;
	u->n_free = n_calls;
	for (unsigned i = 0; i < CALLS_LAT_N; i++)
		hist_reset(&u->lat[i]);
	rc = wheel_init(&u->wheel, n_calls, now_ns() / 1000000);
	if (rc < 0)
		return rc;
	return io_open(&u->io, bind_sa, false);
}

struct uac_opts {
	uint64_t rate, calls, hold_ms, max_inflight;
	double seconds;
	bool search;
	enum call_flow flow;
};

static unsigned co_step(void);

/* One iteration: time, timers, new calls (at most `allow`), received
 * responses, flush. Returns the number of datagrams received. */
static unsigned
uac_step(struct uac *u, struct rate *rt, bool starting, uint64_t max_calls)
{
	unsigned n;

	u->now = now_ns();
	u->now_ms = u->now / 1000000;
	wheel_run(&u->wheel, u->now_ms, uac_fire, u);
	if (starting) {
		uint64_t lim = u->n_free;

		if (max_calls && max_calls - u->started < lim)
			lim = max_calls - u->started;
		for (uint64_t k = rate_take(rt, u->now_ms, lim); k > 0; k--)
			uac_start_call(u);
	}
	n = io_recv(&u->io);
	for (unsigned i = 0; i < n; i++)
		uac_response(u, u->io.rx_buf[i], u->io.rx[i].msg_len);
	io_flush(&u->io);
	return n + co_step();
}

static void
uac_progress(struct uac *u, uint64_t t0_ms, uint64_t rate)
{
	fprintf(stderr,
		"calls t=%" PRIu64 "s rate=%" PRIu64 "/s started=%" PRIu64 " done=%" PRIu64
		" inflight=%" PRIu64 " failed=%" PRIu64 " retrans=%" PRIu64 "\n",
		(u->now_ms - t0_ms + 500) / 1000, rate, u->started, u->ok + u->failed,
		u->started - u->ok - u->failed, u->failed, u->retrans);
}

/* Start calls at rt's rate until quit, run_ms passed or max_calls (0: no
 * limit) started; then run until no call is in flight (all), or none of
 * this phase, or drain_ms passed. */
static void
uac_run_phase(struct uac *u, struct rate *rt, uint64_t run_ms, uint64_t max_calls,
	      uint64_t drain_ms, bool all, uint64_t t0_ms, uint64_t *next_progress,
	      uint64_t *t_end_run)
{
	uint64_t start = u->now_ms, stop;
	bool starting = true;

	rate_init(rt, rt->per_s, 0, u->now_ms);
	while (!quit) {
		if (uac_step(u, rt, starting, max_calls) == 0)
			io_wait(&u->io);
		if (u->now_ms >= *next_progress) {
			uac_progress(u, t0_ms, rt->per_s);
			*next_progress += 1000;
		}
		if (starting && (u->now_ms - start >= run_ms ||
				 (max_calls && u->started >= max_calls))) {
			starting = false;
			*t_end_run = u->now_ms;
		}
		if (!starting) {
			stop = *t_end_run + drain_ms;
			const struct phase *ph = &u->ph[u->cur_phase];

			if (u->started == u->ok + u->failed ||
			    (!all && ph->started == ph->ok + ph->failed) || u->now_ms >= stop)
				break;
		}
	}
	if (starting)
		*t_end_run = u->now_ms;
}

static int
uac_main(const struct sockaddr_in *bind_sa, struct uac *u, const struct uac_opts *o)
{
	struct calls_result res = { 0 };
	struct hist *best_lat = NULL;
	struct rate rt = { 0 };
	uint64_t t0_ms, next_progress, t_end = 0, best_ok = 0, best_msgs = 0;
	double best_secs = 0;
	char line[CALLS_JSON_MAX];
	int rc;

	rc = uac_setup(u, bind_sa, (uint32_t)o->max_inflight);
	if (rc < 0) {
		fprintf(stderr, "siplb-bench calls: uac setup: %s\n", strerror(-rc));
		return 2;
	}
	u->hold_ms = o->hold_ms;
	u->flow = o->flow;
	u->now = now_ns();
	u->now_ms = u->now / 1000000;
	t0_ms = u->now_ms;
	next_progress = t0_ms + 1000;

	if (!o->search) {
		rt.per_s = o->rate;
		u->cur_phase = 0;
		u->ph[0].rate = o->rate;
		/* after the run: the longest a call can take (Timer B/F after
		 * its hold), then give up on the rest */
		uac_run_phase(u, &rt, (uint64_t)(o->seconds * 1000), o->calls,
			      o->hold_ms + TIMER_B_MS + 2 * 1000, true, t0_ms, &next_progress, &t_end);
		res.seconds = (double)(t_end - t0_ms) / 1000.0;
		if (res.seconds <= 0)
			res.seconds = 0.001;
		res.calls_per_sec = (double)u->ok / res.seconds;
		res.msgs_per_sec = (double)(u->io.tx_msgs + u->io.rx_msgs) / res.seconds;
		for (unsigned i = 0; i < CALLS_LAT_N; i++)
			res.lat[i] = &u->lat[i];
	} else {
		/*
		 * Ramp x1.5 from the start rate per 3 s step, then bisect
		 * between the best passing and the lowest failing rate. A step
		 * passes with < 0.1 % failed calls, counting calls still in
		 * flight a second after the step (beyond --hold-ms) as failed,
		 * and with its calls really started (a generator that cannot
		 * keep up fails the step). Steps are separated by that drain,
		 * so each is judged on its own calls.
		 */
		static struct hist step_lat[CALLS_LAT_N], cur_lat[CALLS_LAT_N],
			keep_lat[CALLS_LAT_N];
		uint64_t rate = o->rate ? o->rate : 100, lo = 0, hi = 0;
		uint64_t budget_ms = (uint64_t)(o->seconds * 1000);
		uint16_t p;

		for (p = 0; p < MAX_PHASES && !quit; p++) {
			uint64_t ph_start = u->now_ms, tx_a = u->io.tx_msgs, rx_a = u->io.rx_msgs;
			uint64_t retrans_a = u->retrans;
			uint64_t bad, want;
			bool pass;

			u->cur_phase = p;
			u->ph[p].rate = rate;
			rt.per_s = rate;
			memcpy(step_lat, u->lat, sizeof(step_lat));
			uac_run_phase(u, &rt, 3000, 0, o->hold_ms + 1000, false, t0_ms, &next_progress,
				      &t_end);
			if (quit)
				break;
			bad = u->ph[p].failed + (u->ph[p].started - u->ph[p].ok - u->ph[p].failed);
			want = rate * (t_end - ph_start) / 1000;
			pass = bad * 1000 < u->ph[p].started && u->ph[p].started * 100 >= want * 98;
			/* this step's latencies: the totals minus those before */
			for (unsigned i = 0; i < CALLS_LAT_N; i++) {
				cur_lat[i] = u->lat[i];
				for (unsigned k = 0; k < HIST_BUCKETS; k++)
					cur_lat[i].c[k] -= step_lat[i].c[k];
				cur_lat[i].n -= step_lat[i].n;
			}
			/* retransmissions and the tail say what "< 0.1 % failed"
			 * does not: how many messages were lost on the way */
			fprintf(stderr,
				"calls search step=%u rate=%" PRIu64 "/s started=%" PRIu64
				" ok=%" PRIu64 " failed_or_late=%" PRIu64 " retrans=%" PRIu64
				" invite_200_p99=%.3fms %s\n",
				p, rate, u->ph[p].started, u->ph[p].ok, bad, u->retrans - retrans_a,
				(double)hist_pct(&cur_lat[CALLS_LAT_INVITE_200], 0.99) / 1e6,
				pass ? "pass" : "FAIL");
			if (pass) {
				lo = rate;
				best_ok = u->ph[p].ok;
				best_msgs = u->io.tx_msgs - tx_a + u->io.rx_msgs - rx_a;
				best_secs = (double)(t_end - ph_start) / 1000.0;
				memcpy(keep_lat, cur_lat, sizeof(keep_lat));
				best_lat = keep_lat;
			} else {
				hi = rate;
			}
			if (u->now_ms - t0_ms >= budget_ms)
				break;
			if (hi == 0) {
				rate = rate * 3 / 2;
			} else {
				rate = (lo + hi) / 2;
				if (hi - lo <= (lo / 32 > 10 ? lo / 32 : 10))
					break;
			}
			if (rate == 0)
				break;
		}
		/* leftovers of failing steps: let them end, bounded */
		rt.per_s = 0;
		uac_run_phase(u, &rt, 0, 0, TIMER_B_MS + 1000, true, t0_ms, &next_progress,
			      &t_end);
		res.search = true;
		res.best_rate = lo;
		res.seconds = (double)(u->now_ms - t0_ms) / 1000.0;
		res.calls_per_sec = best_secs > 0 ? (double)best_ok / best_secs : 0;
		res.msgs_per_sec = best_secs > 0 ? (double)best_msgs / best_secs : 0;
		for (unsigned i = 0; i < CALLS_LAT_N; i++)
			res.lat[i] = best_lat ? &best_lat[i] : NULL;
	}
	uac_progress(u, t0_ms, rt.per_s);
	res.target = u->target_s;
	res.port = port_name;
	res.flow = u->flow == FLOW_CANCEL ? "cancel" : u->flow == FLOW_503 ? "503" : "call";
	res.started = u->started;
	res.ok = u->ok;
	res.failed = u->failed + (u->started - u->ok - u->failed);
	res.retrans = u->retrans;
	if (u->stray || u->unroutable || u->io.tx_drops || u->cancel_lost || u->reacked)
		fprintf(stderr,
			"calls stray_responses=%" PRIu64 " unroutable=%" PRIu64 " tx_drops=%" PRIu64
			" cancel_lost=%" PRIu64 " finals_reacked=%" PRIu64 "\n",
			u->stray, u->unroutable, u->io.tx_drops, u->cancel_lost, u->reacked);
	if (u->flow != FLOW_CALL || u->fin_487 + u->fin_500 + u->fin_503 + u->fin_other)
		fprintf(stderr,
			"calls flow=%s invite_finals 2xx=%" PRIu64 " 487=%" PRIu64 " 500=%" PRIu64
			" 503=%" PRIu64 " other=%" PRIu64 "\n",
			res.flow, u->flow == FLOW_CALL ? u->lat[CALLS_LAT_INVITE_200].n : u->fin_2xx,
			u->fin_487, u->fin_500, u->fin_503, u->fin_other);
	if (calls_json(line, sizeof(line), &res) > 0)
		fputs(line, stdout);
	fflush(stdout);
	close(u->io.fd);
	wheel_free(&u->wheel);
	free(u->calls);
	free(u->free_stack);
	if (o->search)
		return res.best_rate > 0 ? 0 : 1;
	return res.started > 0 && res.failed * 1000 < res.started ? 0 : 1;
}

/* ---- the UAS ---- */

#define UAS_ENTRIES 65536
#define UAS_BUF 1400

enum uas_state {
	U_FREE,
	U_RINGING,  /* 180 sent, the final waits for --ring-ms */
	U_ANSWERED, /* final sent: Timer G until the ACK, Timer H gives up */
};

struct uas_entry {
	uint64_t key;       /* hash of the Call-ID, never 0 */
	uint8_t state;
	uint32_t retx_ms;
	uint64_t t_next, t_give_up; /* ms */
	struct sockaddr_in peer;
	uint16_t len;
	char buf[UAS_BUF];  /* the final response, sent or to send */
};

struct uas_opts {
	struct sockaddr_in bind;
	unsigned code;
	uint64_t ring_ms;
};

struct uas {
	struct io io;
	struct wheel wheel;
	const struct uas_opts *o;
	struct uas_entry *e;
	uint32_t *free_stack, n_free;
	uint32_t *idx;      /* open addressing: entry index + 1, 0 empty */
	uint32_t idx_mask;
	uint64_t now_ms;
	char contact[128], sdp[512];
	size_t contact_len, sdp_len;
	uint64_t invites, acks, byes, cancels, options, other, retrans, invite_retrans, no_ack,
		untracked, bad;
	pthread_t thread;
};

static uint64_t
key_of(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)p[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

static uint32_t *
uas_find_slot(struct uas *s, uint64_t key)
{
	uint32_t i = (uint32_t)(key ^ key >> 32) & s->idx_mask;

	for (;; i = (i + 1) & s->idx_mask)
		if (s->idx[i] == 0 || s->e[s->idx[i] - 1].key == key)
			return &s->idx[i];
}

static struct uas_entry *
uas_lookup(struct uas *s, uint64_t key)
{
	uint32_t *sl = uas_find_slot(s, key);

	return *sl ? &s->e[*sl - 1] : NULL;
}

static struct uas_entry *
uas_insert(struct uas *s, uint64_t key)
{
	uint32_t *sl = uas_find_slot(s, key), n;

	if (*sl)
		return &s->e[*sl - 1];
	if (s->n_free == 0)
		return NULL;
	n = s->free_stack[--s->n_free];
	*sl = n + 1;
	s->e[n].key = key;
	return &s->e[n];
}

/* Remove with backward shift (linear probing keeps no tombstones). */
static void
uas_remove(struct uas *s, struct uas_entry *en)
{
	uint32_t n = (uint32_t)(en - s->e), i, j;

	wheel_cancel(&s->wheel, n);
	i = (uint32_t)(en->key ^ en->key >> 32) & s->idx_mask;
	while (s->idx[i] != n + 1)
		i = (i + 1) & s->idx_mask;
	s->idx[i] = 0;
	for (j = (i + 1) & s->idx_mask; s->idx[j]; j = (j + 1) & s->idx_mask) {
		uint64_t k = s->e[s->idx[j] - 1].key;
		uint32_t home = (uint32_t)(k ^ k >> 32) & s->idx_mask;

		/* move j into the hole i if its home is not in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			s->idx[i] = s->idx[j];
			s->idx[j] = 0;
			i = j;
		}
	}
	en->state = U_FREE;
	en->key = 0;
	s->free_stack[s->n_free++] = n;
}

/* What a response copies from the request (§8.2.6.2, §12.1.1). */
struct req {
	const char *lines[24];
	size_t lens[24];
	enum hdr hs[24];
	unsigned n;
	const char *callid, *cseq_num;
	size_t callid_len, cseq_num_len;
	bool to_tagged;
};

static int
req_parse(const char *m, size_t len, struct req *q)
{
	const char *p = first_line_end(m, len), *end = m + len;
	struct hline hl;
	int r;

	if (!p)
		return -1;
	q->n = 0;
	q->callid = NULL;
	q->cseq_num = NULL;
	q->to_tagged = false;
	while ((r = hdr_next(&p, end, &hl)) != 0) {
		if (r < 0 || hl.h == H_OTHER || hl.h == H_CONTACT)
			continue;
		if (q->n == 24)
			return -1;
		q->lines[q->n] = hl.line;
		q->lens[q->n] = hl.len;
		q->hs[q->n++] = hl.h;
		if (hl.h == H_CALL_ID) {
			q->callid = hl.val;
			q->callid_len = hl.vlen;
		} else if (hl.h == H_TO) {
			const char *t;

			q->to_tagged = param_get(hl.val, hl.vlen, "tag", &t) > 0;
		} else if (hl.h == H_CSEQ) {
			const char *c = hl.val;

			while (c < hl.val + hl.vlen && *c >= '0' && *c <= '9')
				c++;
			q->cseq_num = hl.val;
			q->cseq_num_len = (size_t)(c - hl.val);
		}
	}
	return q->callid && q->cseq_num ? 0 : -1;
}

/*
 * A response to q into buf: status line, the request's Via, Record-Route,
 * From, To (with our tag, derived from the Call-ID so every response of a
 * call, retransmitted or not, carries the same), Call-ID, CSeq (with method
 * cseq_method instead of the request's, for the 487 to a cancelled INVITE),
 * Contact on 1xx-2xx to an INVITE, the SDP on its 2xx. Returns the length
 * or 0 if it does not fit.
 */
static size_t
uas_build(struct uas *s, const struct req *q, char *buf, size_t cap, unsigned code,
	  const char *reason, bool invite, const char *cseq_method)
{
	struct wb b = { buf, 0, cap, false };
	char tag[16];

	sv_hex_put(tag, key_of(q->callid, q->callid_len), 16);
	WB_LIT(&b, "SIP/2.0 ");
	wb_u32(&b, code);
	WB_LIT(&b, " ");
	wb_str(&b, reason);
	WB_LIT(&b, "\r\n");
	for (unsigned i = 0; i < q->n; i++) {
		const char *l = q->lines[i];
		size_t n = q->lens[i];

		if (q->hs[i] == H_RECORD_ROUTE && !(invite && code > 100 && code < 300))
			continue;
		if (q->hs[i] == H_TO && !q->to_tagged && code != 100) {
			size_t k = n;

			while (k > 0 && (l[k - 1] == '\r' || l[k - 1] == '\n' || l[k - 1] == ' '))
				k--;
			wb_put(&b, l, k);
			WB_LIT(&b, ";tag=");
			wb_put(&b, tag, 16);
			WB_LIT(&b, "\r\n");
		} else if (q->hs[i] == H_CSEQ && cseq_method) {
			WB_LIT(&b, "CSeq: ");
			wb_put(&b, q->cseq_num, q->cseq_num_len);
			WB_LIT(&b, " ");
			wb_str(&b, cseq_method);
			WB_LIT(&b, "\r\n");
		} else {
			wb_put(&b, l, n);
			/* a last line without its CRLF (truncated input) */
			if (n && l[n - 1] != '\n')
				WB_LIT(&b, "\r\n");
		}
	}
	if (invite && code > 100 && code < 300)
		wb_put(&b, s->contact, s->contact_len);
	if (invite && code >= 200 && code < 300) {
		WB_LIT(&b, "Content-Type: application/sdp\r\nContent-Length: ");
		wb_u32(&b, (uint32_t)s->sdp_len);
		WB_LIT(&b, "\r\n\r\n");
		wb_put(&b, s->sdp, s->sdp_len);
	} else {
		WB_LIT(&b, "Content-Length: 0\r\n\r\n");
	}
	return b.over ? 0 : b.n;
}

static const char *
reason_of(unsigned code)
{
	switch (code) {
	case 100: return "Trying";
	case 180: return "Ringing";
	case 200: return "OK";
	case 404: return "Not Found";
	case 480: return "Temporarily Unavailable";
	case 486: return "Busy Here";
	case 487: return "Request Terminated";
	case 500: return "Server Internal Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 603: return "Decline";
	default: return code < 300 ? "OK" : "Error";
	}
}

static void
uas_reply(struct uas *s, const struct req *q, const struct sockaddr_in *to, unsigned code,
	  bool invite, const char *cseq_method)
{
	char *b = io_tx_buf(&s->io);
	size_t n = uas_build(s, q, b, TX_BUF, code, reason_of(code), invite, cseq_method);

	if (n)
		io_tx_commit(&s->io, n, to);
}

static void
uas_send_entry(struct uas *s, struct uas_entry *en)
{
	char *b = io_tx_buf(&s->io);

	memcpy(b, en->buf, en->len);
	io_tx_commit(&s->io, en->len, &en->peer);
}

/* The final is out: Timer G retransmits it until the ACK, Timer H ends
 * the wait (§17.2.1). */
static void
uas_answered(struct uas *s, struct uas_entry *en)
{
	en->state = U_ANSWERED;
	en->retx_ms = T1_MS;
	en->t_next = s->now_ms + T1_MS;
	en->t_give_up = s->now_ms + TIMER_B_MS;
	wheel_arm(&s->wheel, (uint32_t)(en - s->e), en->t_next);
}

static void
uas_fire(void *ctx, uint32_t n)
{
	struct uas *s = ctx;
	struct uas_entry *en = &s->e[n];

	if (en->state == U_RINGING) {
		uas_send_entry(s, en);
		uas_answered(s, en);
		return;
	}
	if (en->state != U_ANSWERED)
		return;
	if (s->now_ms >= en->t_give_up) {
		s->no_ack++;
		uas_remove(s, en);
		return;
	}
	uas_send_entry(s, en);
	s->retrans++;
	en->retx_ms = en->retx_ms * 2 > T2_MS ? T2_MS : en->retx_ms * 2;
	en->t_next = s->now_ms + en->retx_ms;
	wheel_arm(&s->wheel, n, en->t_next < en->t_give_up ? en->t_next : en->t_give_up);
}

static void
uas_invite(struct uas *s, const struct req *q, const struct sockaddr_in *from)
{
	uint64_t key = key_of(q->callid, q->callid_len);
	struct uas_entry *en = uas_lookup(s, key);
	unsigned code = s->o->code;
	char *b;
	size_t n;

	if (en) {
		/* a retransmission (§17.2.1): the last response again */
		s->invite_retrans++;
		if (en->state == U_RINGING)
			uas_reply(s, q, from, 180, true, NULL);
		else
			uas_send_entry(s, en);
		return;
	}
	s->invites++;
	uas_reply(s, q, from, 100, true, NULL);
	if (code < 300)
		uas_reply(s, q, from, 180, true, NULL);
	en = uas_insert(s, key);
	if (!en) {
		/* table full: answer without Timer G */
		s->untracked++;
		uas_reply(s, q, from, code, true, NULL);
		return;
	}
	n = uas_build(s, q, en->buf, UAS_BUF, code, reason_of(code), true, NULL);
	if (n == 0) {
		s->bad++;
		uas_remove(s, en);
		return;
	}
	en->len = (uint16_t)n;
	en->peer = *from;
	if (code < 300 && s->o->ring_ms) {
		en->state = U_RINGING;
		wheel_arm(&s->wheel, (uint32_t)(en - s->e), s->now_ms + s->o->ring_ms);
		return;
	}
	b = io_tx_buf(&s->io);
	memcpy(b, en->buf, n);
	io_tx_commit(&s->io, n, from);
	uas_answered(s, en);
}

static void
uas_request(struct uas *s, const char *m, size_t len, const struct sockaddr_in *from)
{
	struct uas_entry *en;
	struct req q;
	size_t ml;

	if (len >= 8 && memcmp(m, "SIP/2.0 ", 8) == 0)
		return; /* a response: nothing of ours to match */
	for (ml = 0; ml < len && ml < 16 && m[ml] != ' '; ml++)
		;
	if (ml == len || req_parse(m, len, &q) < 0) {
		s->bad++;
		return;
	}
	if (ml == 6 && memcmp(m, "INVITE", 6) == 0) {
		uas_invite(s, &q, from);
	} else if (ml == 3 && memcmp(m, "ACK", 3) == 0) {
		s->acks++;
		en = uas_lookup(s, key_of(q.callid, q.callid_len));
		if (en && en->state == U_ANSWERED)
			uas_remove(s, en);
	} else if (ml == 3 && memcmp(m, "BYE", 3) == 0) {
		s->byes++;
		/* a BYE also ends the wait for a lost ACK */
		en = uas_lookup(s, key_of(q.callid, q.callid_len));
		if (en)
			uas_remove(s, en);
		uas_reply(s, &q, from, 200, false, NULL);
	} else if (ml == 6 && memcmp(m, "CANCEL", 6) == 0) {
		s->cancels++;
		uas_reply(s, &q, from, 200, false, NULL);
		/* §9.2: only an INVITE without its final is cancelled; its
		 * 487 then waits for the ACK as any final does. The 487 answers
		 * the INVITE, so it takes the INVITE's Via, From, To and CSeq,
		 * read back from the final it replaces: a stateful proxy's
		 * CANCEL carries only its own Via (§16.10, §9.1). */
		en = uas_lookup(s, key_of(q.callid, q.callid_len));
		if (en && en->state == U_RINGING) {
			char tmp[UAS_BUF];
			struct req fq;
			size_t n = 0;

			if (req_parse(en->buf, en->len, &fq) == 0)
				n = uas_build(s, &fq, tmp, sizeof(tmp), 487, reason_of(487), true,
					      "INVITE");
			if (n) {
				memcpy(en->buf, tmp, n);
				en->len = (uint16_t)n;
				uas_send_entry(s, en);
				uas_answered(s, en);
			} else {
				uas_remove(s, en);
			}
		}
	} else if (ml == 7 && memcmp(m, "OPTIONS", 7) == 0) {
		s->options++;
		uas_reply(s, &q, from, 200, false, NULL);
	} else {
		s->other++;
		uas_reply(s, &q, from, 501, false, NULL);
	}
}

/* One iteration: timers, received requests, flush. Returns how many
 * datagrams came. */
static unsigned
uas_step(struct uas *s)
{
	unsigned n;

	s->now_ms = now_ns() / 1000000;
	wheel_run(&s->wheel, s->now_ms, uas_fire, s);
	n = io_recv(&s->io);
	for (unsigned i = 0; i < n; i++)
		uas_request(s, s->io.rx_buf[i], s->io.rx[i].msg_len, &s->io.rx_addr[i]);
	io_flush(&s->io);
	return n;
}

static void *
uas_loop(void *arg)
{
	struct uas *s = arg;

	while (!quit)
		if (uas_step(s) == 0)
			io_wait(&s->io);
	return NULL;
}

/* --port memory: the backends' responders, run by the UAC's loop. */
static struct uas *co_uas;
static unsigned n_co_uas;

static unsigned
co_step(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < n_co_uas; i++)
		n += uas_step(&co_uas[i]);
	return n;
}

/* On a DPDK port: every responder (one per --bind) in this one thread. */
static void
uas_loop_all(struct uas *s, unsigned n)
{
	while (!quit) {
		unsigned got = 0;

		for (unsigned i = 0; i < n; i++)
			got += uas_step(&s[i]);
		if (got == 0)
			dp_idle();
	}
}

static int
uas_setup(struct uas *s, const struct uas_opts *o, bool reuseport)
{
	char ip[INET_ADDRSTRLEN];
	int rc;

	s->o = o;
	inet_ntop(AF_INET, &o->bind.sin_addr, ip, sizeof(ip));
	s->contact_len = (size_t)snprintf(s->contact, sizeof(s->contact),
					  "Contact: <sip:uas@%s:%u>\r\n", ip,
					  ntohs(o->bind.sin_port));
	s->sdp_len = (size_t)snprintf(s->sdp, sizeof(s->sdp), sdp_fmt, ip, ip, 20000u);
	s->e = calloc(UAS_ENTRIES, sizeof(*s->e));
	s->free_stack = calloc(UAS_ENTRIES, sizeof(*s->free_stack));
	s->idx_mask = 2 * UAS_ENTRIES - 1;
	s->idx = calloc(2 * UAS_ENTRIES, sizeof(*s->idx));
	if (!s->e || !s->free_stack || !s->idx)
		return -ENOMEM;
	for (uint32_t i = 0; i < UAS_ENTRIES; i++)
		s->free_stack[i] = UAS_ENTRIES - 1 - i;
	s->n_free = UAS_ENTRIES;
	rc = wheel_init(&s->wheel, UAS_ENTRIES, now_ns() / 1000000);
	if (rc < 0)
		return rc;
	return io_open(&s->io, &o->bind, reuseport);
}

/* Add up n responders' counters into t, and free them. */
static void
uas_sum_free(struct uas *s, unsigned n, struct uas *t)
{
	for (unsigned i = 0; i < n; i++) {
		t->invites += s[i].invites;
		t->acks += s[i].acks;
		t->byes += s[i].byes;
		t->cancels += s[i].cancels;
		t->options += s[i].options;
		t->other += s[i].other;
		t->retrans += s[i].retrans;
		t->invite_retrans += s[i].invite_retrans;
		t->no_ack += s[i].no_ack;
		t->untracked += s[i].untracked;
		t->bad += s[i].bad;
		t->io.rx_msgs += s[i].io.rx_msgs;
		t->io.tx_msgs += s[i].io.tx_msgs;
		t->io.tx_drops += s[i].io.tx_drops;
		if (s[i].io.fd >= 0)
			close(s[i].io.fd);
		wheel_free(&s[i].wheel);
		free(s[i].e);
		free(s[i].free_stack);
		free(s[i].idx);
	}
}

/*
 * n responders: on sockets, n threads on o[0]'s address (SO_REUSEPORT
 * spreads the load); on a DPDK port, one per address o[0..n), all in this
 * thread. Runs until SIGINT/SIGTERM, then prints one JSON line.
 */
static int
uas_main(const struct uas_opts *o, unsigned n, const char *bind_s, const char *port)
{
	struct uas *s = calloc(n, sizeof(*s)), t = { 0 };
	uint64_t t0 = now_ns();
	unsigned threads = n;
	double secs;
	int rc;

	if (!s)
		return 2;
	for (unsigned i = 0; i < n; i++) {
		rc = uas_setup(&s[i], &o[dp_mode ? i : 0], !dp_mode && n > 1);
		if (rc < 0) {
			fprintf(stderr, "siplb-bench calls: uas on %s: %s\n", bind_s, strerror(-rc));
			return 2;
		}
	}
	for (unsigned i = 1; i < n && !dp_mode; i++)
		if (pthread_create(&s[i].thread, NULL, uas_loop, &s[i]) != 0) {
			fprintf(stderr, "siplb-bench calls: thread: %s\n", strerror(errno));
			quit = 1;
			threads = i;
			break;
		}
	fprintf(stderr, "calls uas ready on %s\n", bind_s);
	if (dp_mode) {
		uas_loop_all(s, n);
		threads = 1;
	} else {
		uas_loop(&s[0]);
		for (unsigned i = 1; i < threads; i++)
			pthread_join(s[i].thread, NULL);
	}
	uas_sum_free(s, n, &t);
	free(s);
	secs = (double)(now_ns() - t0) / 1e9;
	if (dp_mode)
		dp_report();
	printf("{\"bench\":\"calls\",\"role\":\"uas\",\"bind\":\"%s\",\"port\":\"%s\","
	       "\"threads\":%u,"
	       "\"seconds\":%.3f,\"invites\":%" PRIu64 ",\"acks\":%" PRIu64 ",\"byes\":%" PRIu64
	       ",\"cancels\":%" PRIu64 ",\"options\":%" PRIu64 ",\"other\":%" PRIu64
	       ",\"invite_retrans\":%" PRIu64 ",\"retransmissions\":%" PRIu64
	       ",\"no_ack\":%" PRIu64 ",\"untracked\":%" PRIu64 ",\"malformed\":%" PRIu64
	       ",\"msgs_rx\":%" PRIu64 ",\"msgs_tx\":%" PRIu64 ",\"tx_drops\":%" PRIu64
	       ",\"msgs_per_sec\":%.1f}\n",
	       bind_s, port, threads, secs, t.invites, t.acks, t.byes, t.cancels, t.options,
	       t.other, t.invite_retrans, t.retrans, t.no_ack, t.untracked, t.bad, t.io.rx_msgs,
	       t.io.tx_msgs, t.io.tx_drops, (double)(t.io.rx_msgs + t.io.tx_msgs) / secs);
	fflush(stdout);
	return 0;
}

/* ---- command line ---- */

static void
calls_usage(FILE *f)
{
	fprintf(f,
		"usage: siplb-bench calls --role uas --bind IP:PORT [--answer CODE] [--ring-ms N]"
		" [--threads T]\n"
		"       siplb-bench calls --role uac --target IP:PORT --bind IP:PORT\n"
		"              [--rate R | --search] [--seconds S] [--calls N] [--hold-ms H]"
		" [--max-inflight M]\n"
		"              [--flow call|cancel|503]\n"
		"uas: answers INVITE with 100, 180 and, --ring-ms later (default 0), 200 with SDP\n"
		"     (or CODE); runs until SIGINT/SIGTERM, then prints one JSON line.\n"
		"uac: calls at R calls/s (default 100) for S seconds (default 10) or N calls;\n"
		"     --search ramps from R (default 100) x1.5 per 3 s step, then bisects, for\n"
		"     the highest rate with < 0.1 %% failed calls (S then bounds the search,\n"
		"     default 120). Progress each second on stderr, one JSON line on stdout.\n"
		"     Exit status: uac 0 when < 0.1 %% of the calls failed (--search: a rate\n"
		"     passed), else 1; 2 usage or set-up; 3 the --port could not be opened.\n"
		"flows (uac; a call is ok when it ends as its flow expects):\n"
		"  call    INVITE, 100/180/200, ACK, BYE after H ms, its 200 (default).\n"
		"  cancel  INVITE; once a provisional >100 came, CANCEL after H ms; ok on the\n"
		"          INVITE's 487 (ACKed). The uas needs --ring-ms longer than that. A 2xx\n"
		"          that beat the CANCEL is ACKed and BYEd and the call fails.\n"
		"  503     for uas --answer 503: ok on any final >= 300 (ACKed): a stateless\n"
		"          siplb passes the 503 on, a stateful one fails over every backend\n"
		"          and then answers 500 itself (RFC 3261 §16.7 step 6). A 2xx\n"
		"          is ACKed and BYEd and the call fails. stderr counts finals by code.\n"
		"ports (default: kernel UDP sockets, recvmmsg/sendmmsg):\n"
		"  --port af_packet:IFACE | af_xdp:IFACE   a DPDK port on IFACE, which should\n"
		"          have no kernel address: siplb-bench answers ARP for its --bind\n"
		"          addresses (uas: --bind may be given up to 16 times, one responder\n"
		"          each, all in one thread); the uac resolves --target first.\n"
		"  --port memory [--mode stateless|stateful] [--backends N] [--capacity C]\n"
		"          [--wait-ms W]   no kernel: siplb's\n"
		"          worker runs in this process on a second lcore over an in-memory\n"
		"          port, with N responders (default 2, answering as --answer and\n"
		"          --ring-ms say) in the caller's thread; addresses are fixed (" DP_MEM_UAC "\n"
		"          -> " DP_MEM_LB " -> 198.18.0.21.. ). stderr adds the worker's\n"
		"          counters: busy ns per message, drops, transactions. Stateful: C and W\n"
		"          are stateful.capacity and wait_ms (default 131072 and 5000, the\n"
		"          daemon's); a rate above C / (W + call set-up) fills the table.\n"
		"  -- EAL...   DPDK EAL arguments instead of the defaults (no PCI, no\n"
		"          hugepages unless 512 are free, lcores on the CPUs this process may\n"
		"          use, --vdev from --port).\n");
}

static int
num_arg(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

int
calls_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "bind", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 't' },
		{ "answer", required_argument, NULL, 'a' },
		{ "ring-ms", required_argument, NULL, 'g' },
		{ "threads", required_argument, NULL, 'T' },
		{ "rate", required_argument, NULL, 'R' },
		{ "search", no_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "max-inflight", required_argument, NULL, 'm' },
		{ "flow", required_argument, NULL, 'f' },
		{ "port", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'M' },
		{ "backends", required_argument, NULL, 'B' },
		{ "capacity", required_argument, NULL, 'C' },
		{ "wait-ms", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *bind_s = NULL, *target_s = NULL, *port = NULL;
	const char *binds[CALLS_MAX_BINDS];
	char binds_s[CALLS_MAX_BINDS * 24] = "", mem_be[DP_LB_MAX_BACKENDS][24];
	unsigned n_binds = 0;
	bool lb_opt = false, memory, uas;
	struct uas_opts *bo = NULL, *mo = NULL;
	struct dp_lb_opts lbo = { .stateful = false, .backends = 2, .wait_ms = -1 };
	char **eal_argv = NULL;
	int eal_argc = 0;
	struct uac_opts uo = { .rate = 0, .max_inflight = 65536, .seconds = 0 };
	struct uas_opts so = { .code = 200 };
	uint64_t v = 0, threads = 1, code = 200;
	struct sockaddr_in bind_sa, target_sa;
	struct sigaction sa = { .sa_handler = on_signal };
	int opt, rc;
	bool bad = false;

	/* after "--": EAL arguments for --port, replacing the defaults */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			eal_argv = argv + i;
			eal_argc = argc - i;
			argc = i;
			break;
		}
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': role = optarg; break;
		case 'b':
			bind_s = optarg;
			if (n_binds == CALLS_MAX_BINDS)
				bad = true;
			else
				binds[n_binds++] = optarg;
			break;
		case 'P': port = optarg; break;
		case 'M':
			lb_opt = true;
			lbo.stateful = strcmp(optarg, "stateful") == 0;
			bad |= !lbo.stateful && strcmp(optarg, "stateless") != 0;
			break;
		case 'B':
			lb_opt = true;
			bad |= num_arg(optarg, 1, DP_LB_MAX_BACKENDS, &v) < 0;
			lbo.backends = (unsigned)v;
			break;
		case 'C':
			lb_opt = true;
			bad |= num_arg(optarg, 1, 1u << 22, &v) < 0;
			lbo.capacity = (unsigned)v;
			break;
		case 'W':
			lb_opt = true;
			bad |= num_arg(optarg, 0, 600000, &v) < 0;
			lbo.wait_ms = (int)v;
			break;
		case 't': target_s = optarg; break;
		case 'a': bad |= num_arg(optarg, 200, 699, &code) < 0; break;
		case 'g': bad |= num_arg(optarg, 0, 3600000, &so.ring_ms) < 0; break;
		case 'T': bad |= num_arg(optarg, 1, 64, &threads) < 0; break;
		case 'R': bad |= num_arg(optarg, 1, 10000000, &uo.rate) < 0; break;
		case 'S': uo.search = true; break;
		case 's':
			bad |= num_arg(optarg, 1, 86400, &v) < 0;
			uo.seconds = (double)v;
			break;
		case 'n': bad |= num_arg(optarg, 1, UINT32_MAX, &uo.calls) < 0; break;
		case 'H': bad |= num_arg(optarg, 0, 3600000, &uo.hold_ms) < 0; break;
		case 'm': bad |= num_arg(optarg, 1, 1 << 24, &uo.max_inflight) < 0; break;
		case 'f':
			if (strcmp(optarg, "call") == 0)
				uo.flow = FLOW_CALL;
			else if (strcmp(optarg, "cancel") == 0)
				uo.flow = FLOW_CANCEL;
			else if (strcmp(optarg, "503") == 0)
				uo.flow = FLOW_503;
			else
				bad = true;
			break;
		case 'h': calls_usage(stdout); return 0;
		default: bad = true;
		}
	}
	/* Everything is checked before DPDK starts: a usage error leaves no
	 * port or EAL behind. */
	memory = port && strcmp(port, "memory") == 0;
	if (memory) {
		/* siplb and its backends in this process, at fixed addresses */
		if (role && strcmp(role, "uac") != 0)
			bad = true;
		if (target_s && strcmp(target_s, DP_MEM_LB) != 0)
			bad = true;
		role = "uac";
		if (!bind_s)
			bind_s = DP_MEM_UAC;
		if (!target_s)
			target_s = DP_MEM_LB;
	}
	uas = role && strcmp(role, "uas") == 0;
	if (bad || optind != argc || !role || !bind_s || parse_addr(bind_s, &bind_sa) < 0 ||
	    (n_binds > 1 && (!port || !uas)) || (port && threads > 1) || (eal_argc && !port) ||
	    (lb_opt && !memory) || (uas && uo.flow != FLOW_CALL) ||
	    (!uas && (strcmp(role, "uac") != 0 || !target_s ||
		      parse_addr(target_s, &target_sa) < 0))) {
		calls_usage(stderr);
		return 2;
	}
	if (uas) {
		size_t off = 0;

		if ((bo = calloc(n_binds, sizeof(*bo))) == NULL)
			return 2;
		for (unsigned i = 0; i < n_binds; i++) {
			int n;

			bo[i] = so;
			bo[i].code = (unsigned)code;
			bad |= parse_addr(binds[i], &bo[i].bind) < 0;
			/* one responder per address: a second on the same one
			 * would split its calls' requests between two tables */
			for (unsigned j = 0; j < i; j++)
				bad |= bo[j].bind.sin_addr.s_addr == bo[i].bind.sin_addr.s_addr;
			n = snprintf(binds_s + off, sizeof(binds_s) - off, "%s%s", i ? "," : "",
				     binds[i]);
			if (n < 0 || (size_t)n >= sizeof(binds_s) - off)
				bad = true;
			else
				off += (size_t)n;
		}
		if (bad) {
			free(bo);
			calls_usage(stderr);
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (port) {
		if (dp_open(port, &lbo, eal_argc, eal_argv) < 0) {
			/* 3: the port itself is not there (tests skip on it) */
			fprintf(stderr, "siplb-bench calls: DPDK port unavailable: %s\n", port);
			free(bo);
			return 3;
		}
		dp_mode = true;
		port_name = memory ? "memory" : strncmp(port, "af_xdp:", 7) == 0 ? "af_xdp" :
			    "af_packet";
	}
	if (uas) {
		rc = uas_main(bo, dp_mode ? n_binds : (unsigned)threads, binds_s, port_name);
		free(bo);
		if (dp_mode)
			dp_close();
		return rc;
	}
	if (uo.seconds == 0)
		uo.seconds = uo.search ? 120 : (uo.calls ? 86400 : 10);
	if (!uo.search && uo.rate == 0)
		uo.rate = 100;
	if (port && strcmp(port, "memory") == 0) {
		/* the backends' responders, stepped by the UAC's loop */
		/* the responders keep a pointer to their options: freed last */
		struct uas_opts *o = mo = calloc(lbo.backends, sizeof(*o));

		co_uas = calloc(lbo.backends, sizeof(*co_uas));
		if (!o || !co_uas) {
			dp_close();
			return 2;
		}
		for (unsigned i = 0; i < lbo.backends; i++) {
			snprintf(mem_be[i], sizeof(mem_be[i]), DP_MEM_BACKEND_FMT,
				 DP_MEM_BACKEND_BASE + i);
			o[i] = so;
			o[i].code = (unsigned)code;
			parse_addr(mem_be[i], &o[i].bind);
			if ((rc = uas_setup(&co_uas[i], &o[i], false)) < 0) {
				fprintf(stderr, "siplb-bench calls: uas %s: %s\n", mem_be[i],
					strerror(-rc));
				dp_close();
				return 2;
			}
		}
		n_co_uas = lbo.backends;
		fprintf(stderr, "calls --port memory: uac %s -> siplb %s (%s, one worker on lcore"
			" 1) -> %u responders at %s..\n", bind_s, target_s,
			lbo.stateful ? "stateful" : "stateless", lbo.backends, mem_be[0]);
	} else if (port) {
		/* our address on the link, and the target's MAC before the
		 * first INVITE: a first burst into an unresolved next hop
		 * would measure ARP, not SIP */
		if (dp_ep_add(&bind_sa) == NULL) {
			dp_close();
			return 2;
		}
		if (dp_resolve(target_sa.sin_addr.s_addr, 3000) < 0) {
			fprintf(stderr, "siplb-bench calls: no ARP answer from %s on %s\n", target_s,
				port);
			dp_close();
			return 2;
		}
	}
	{
		struct uac *u = calloc(1, sizeof(*u));

		if (!u) {
			dp_close();
			return 2;
		}
		u->target = target_sa;
		u->target_s = target_s;
		rc = uac_main(&bind_sa, u, &uo);
		free(u);
	}
	if (n_co_uas) {
		struct uas t = { 0 };

		uas_sum_free(co_uas, n_co_uas, &t);
		fprintf(stderr, "calls responders invites=%" PRIu64 " acks=%" PRIu64 " byes=%" PRIu64
			" cancels=%" PRIu64 " retransmissions=%" PRIu64 " no_ack=%" PRIu64 "\n",
			t.invites, t.acks, t.byes, t.cancels, t.retrans, t.no_ack);
		free(co_uas);
		n_co_uas = 0;
	}
	free(mo);
	if (dp_mode) {
		dp_report();
		dp_close();
	}
	return rc;
}
