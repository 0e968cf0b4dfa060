/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket, daemon side (protocol: ctl.h), and the Prometheus
 * HTTP listener on 127.0.0.1. Main lcore only, and never blocking it: the
 * listening sockets and every connection are non-blocking, served from
 * ctl_poll between the daemon's other duties; a client that does not finish
 * its request in CTL_CLIENT_MS is dropped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include "acct_wr.h"
#include "ctl.h"
#include "ctl_srv.h"
#include "daemon.h"
#include "tel.h"

#define CTL_MAX_CONN 8
#define CTL_CLIENT_MS 2000

struct ctl_conn {
	int fd;                   /* -1: unused */
	bool http;                /* a Prometheus scrape, not siplbctl */
	uint64_t deadline_ms;
	size_t in_len;
	char in[CTL_MAX_REQUEST + 1];
	char *out;                /* response, being written */
	size_t out_len, out_off;
};

static struct ctl_conn conns[CTL_MAX_CONN];
static int listen_fd = -1;
static int http_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

/* mkdir -p of the socket's directory (mode 0750), for /run/siplb. */
static void
mkdir_parent(const char *path)
{
	char dir[sizeof(sock_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return;
	*p = '\0';
	for (p = dir + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	mkdir(dir, 0750);
}

int
ctl_open(const char *path, FILE *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t um;
	int fd;

	for (unsigned i = 0; i < CTL_MAX_CONN; i++)
		conns[i].fd = -1;
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	mkdir_parent(path);
	/* A socket file left by a daemon that died is removed; one that
	 * answers belongs to a running daemon, which keeps it. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		fprintf(err, "siplb: control.socket %s: another siplb answers on it\n", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	um = umask(0177); /* the socket is created 0600: the daemon's user only */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		umask(um);
		close(fd);
		goto fail;
	}
	umask(um);
	if (chmod(path, 0600) < 0 || listen(fd, CTL_MAX_CONN) < 0) {
		close(fd);
		unlink(path);
		goto fail;
	}
	listen_fd = fd;
	return 0;
fail:
	fprintf(err, "siplb: control.socket %s: %s\n", path, strerror(errno));
	return -errno;
}

int
ctl_open_http(uint16_t port, FILE *err)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, CTL_MAX_CONN) < 0) {
		fprintf(err, "siplb: telemetry.prometheus_port %u: %s\n", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	http_fd = fd;
	return 0;
}

void
ctl_close(void)
{
	for (unsigned i = 0; i < CTL_MAX_CONN; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		free(conns[i].out);
		conns[i].out = NULL;
		conns[i].fd = -1;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);
		listen_fd = -1;
	}
	if (http_fd >= 0) {
		close(http_fd);
		http_fd = -1;
	}
}

/* GET /metrics: the Prometheus text; anything else 404. HTTP/1.0, closed after. */
static void
http_run(struct daemon *d, const char *req, char **resp, size_t *resp_len)
{
	char *body = NULL;
	size_t body_len = 0;
	FILE *f = open_memstream(&body, &body_len), *r;
	bool ok = strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics\r", 13) == 0;

	if (f == NULL)
		return;
	if (ok)
		tel_prometheus(d, f);
	else
		fputs("only GET /metrics here\n", f);
	fclose(f);
	r = open_memstream(resp, resp_len);
	if (r) {
		fprintf(r, "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
			"Content-Length: %zu\r\nConnection: close\r\n\r\n",
			ok ? "200 OK" : "404 Not Found", body_len);
		fwrite(body, 1, body_len, r);
		fclose(r);
	}
	free(body);
}

/* --- commands ------------------------------------------------------------ */

struct req {
	bool json;
	int argc;
	char *argv[CTL_MAX_ARGS + 1];
};

static const char *
state_name(const struct slot *sl)
{
	return sl->drained ? "drained" : "active";
}

/* Share of the Maglev table each slot holds, in table entries. */
static void
shares(const struct daemon *d, uint32_t *count, uint32_t *size)
{
	const struct mgl *mg = d->pc->bks->mgl;

	memset(count, 0, sizeof(count[0]) * CFG_MAX_BACKENDS);
	*size = mg ? mg->size : 0;
	for (uint32_t k = 0; mg && k < mg->size; k++)
		count[mg->table[k]]++;
}

static int
cmd_status(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	unsigned n = 0, active = 0;

	for (unsigned s = 0; s < d->n_slots; s++) {
		n += d->slot[s].used;
		active += d->slot[s].used && !d->slot[s].drained && !d->slot[s].down;
	}
	if (r->json)
		fprintf(out, "{\"version\":1,\"pid\":%d,\"uptime_s\":%ld,\"mode\":\"%s\","
			"\"address\":\"%s\",\"workers\":%u,\"backends\":%u,\"active\":%u,"
			"\"config\":\"%s\",\"reloads\":%u,\"probes_unsent\":%" PRIu64 "}\n",
			(int)getpid(), (long)(time(NULL) - d->started),
			d->cfg.mode == CFG_MODE_STATEFUL ? "stateful" : "stateless",
			d->pc->host, d->n_wrk, n, active, d->cfg.path, d->reloads, d->probes_unsent);
	else
		fprintf(out, "siplb running: pid %d, up %ld s\n"
			"  %s mode on %s, %u worker(s)\n"
			"  %u backend(s), %u taking new calls\n"
			"  config %s, reloaded %u time(s)\n", (int)getpid(),
			(long)(time(NULL) - d->started),
			d->cfg.mode == CFG_MODE_STATEFUL ? "stateful" : "stateless",
			d->pc->host, d->n_wrk, n, active, d->cfg.path, d->reloads);
	snprintf(msg, msz, "ok");
	return CTL_OK;
}

static int
cmd_stats(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	struct cnt_core sum;

	if (r->json) {
		daemon_stats_json(d, out);
	} else {
		daemon_stats_sum(d, &sum);
		cnt_dump_text(out, &sum, d->bk_names, d->n_slots);
	}
	snprintf(msg, msz, "ok");
	return CTL_OK;
}

static int
cmd_backends(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	uint32_t count[CFG_MAX_BACKENDS], size;
	struct cnt_core sum;
	const char *sep = "";
	char ip[INET_ADDRSTRLEN];

	shares(d, count, &size);
	daemon_stats_sum(d, &sum);
	if (r->json)
		fputs("{\"backends\":[", out);
	else
		fprintf(out, "%-20s %-21s %6s %-8s %-6s %7s %12s\n", "NAME", "ADDRESS", "WEIGHT",
			"STATE", "HEALTH", "SHARE", "REQUESTS");
	for (unsigned s = 0; s < d->n_slots; s++) {
		const struct slot *sl = &d->slot[s];
		double share = size ? 100.0 * count[s] / size : 0;

		if (!sl->used)
			continue;
		inet_ntop(AF_INET, &sl->bk.addr, ip, sizeof(ip));
		if (r->json) {
			fprintf(out, "%s{\"name\":\"%s\",\"address\":\"%s\",\"port\":%u,"
				"\"weight\":%u,\"state\":\"%s\",\"health\":\"%s\","
				"\"share_pct\":%.2f,\"requests\":%" PRIu64 "}", sep, sl->bk.name,
				ip, sl->bk.port, sl->bk.weight, state_name(sl),
				sl->down ? "down" : "up", share, sum.fwd_backend[s]);
			sep = ",";
		} else {
			char addr[32];

			snprintf(addr, sizeof(addr), "%s:%u", ip, sl->bk.port);
			fprintf(out, "%-20s %-21s %6u %-8s %-6s %6.2f%% %12" PRIu64 "\n",
				sl->bk.name, addr, sl->bk.weight, state_name(sl),
				sl->down ? "down" : "up", share, sum.fwd_backend[s]);
		}
	}
	if (r->json)
		fputs("]}\n", out);
	snprintf(msg, msz, "ok");
	return CTL_OK;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= BK_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static bool
uint_arg(const char *s, unsigned lo, unsigned hi, unsigned *v)
{
	char *end;
	unsigned long x;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return false;
	*v = (unsigned)x;
	return true;
}

/* backend add NAME ADDR[:PORT] [WEIGHT] */
static int
backend_add(struct daemon *d, const struct req *r, char *msg, size_t msz)
{
	char addr[32], *colon;
	unsigned port = 5060, weight = 1;
	struct cfg_backend b;
	struct in_addr ia;

	if (r->argc < 4 || r->argc > 5) {
		snprintf(msg, msz, "usage: backend add NAME ADDR[:PORT] [WEIGHT]");
		return CTL_E_USAGE;
	}
	if (!name_ok(r->argv[2])) {
		snprintf(msg, msz, "backend name \"%s\": 1..%d of A-Z a-z 0-9 _ . -",
			 r->argv[2], BK_NAME_MAX - 1);
		return CTL_E_USAGE;
	}
	snprintf(addr, sizeof(addr), "%s", r->argv[3]);
	colon = strchr(addr, ':');
	if (colon) {
		*colon = '\0';
		if (!uint_arg(colon + 1, 1, 65535, &port)) {
			snprintf(msg, msz, "port \"%s\": 1..65535", colon + 1);
			return CTL_E_USAGE;
		}
	}
	if (inet_pton(AF_INET, addr, &ia) != 1 || ia.s_addr == 0 ||
	    ia.s_addr == d->cfg.addr) {
		snprintf(msg, msz, "address \"%s\": an IPv4 host address other than siplb's",
			 addr);
		return CTL_E_USAGE;
	}
	if (r->argc == 5 && !uint_arg(r->argv[4], 1, MGL_MAX_WEIGHT, &weight)) {
		snprintf(msg, msz, "weight \"%s\": 1..%d", r->argv[4], MGL_MAX_WEIGHT);
		return CTL_E_USAGE;
	}
	if (daemon_slot_by_name(d, r->argv[2]) >= 0) {
		snprintf(msg, msz, "backend %s exists", r->argv[2]);
		return CTL_E_FAILED;
	}
	for (unsigned i = 0; i < d->n_slots; i++)
		if (d->slot[i].used && d->slot[i].bk.addr == ia.s_addr &&
		    d->slot[i].bk.port == port) {
			snprintf(msg, msz, "backend %s already has %s:%u", d->slot[i].bk.name,
				 addr, port);
			return CTL_E_FAILED;
		}
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), "%s", r->argv[2]);
	b.addr = ia.s_addr;
	b.port = (uint16_t)port;
	b.weight = (uint16_t)weight;
	/* the same rule as a reload: a never-used slot first */
	if (daemon_slot_add(d, &b, NULL) < 0) {
		snprintf(msg, msz, "no free backend slot (%d in use)", CFG_MAX_BACKENDS);
		return CTL_E_FAILED;
	}
	snprintf(msg, msz, "%s added: %s:%u weight %u", b.name, addr, port, weight);
	return CTL_OK;
}

static int
cmd_backend(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	const char *op = r->argc > 1 ? r->argv[1] : "";
	struct slot saved[CFG_MAX_BACKENDS];
	unsigned saved_n = d->n_slots, w;
	char *err = NULL;
	size_t err_len = 0;
	FILE *ef;
	int s, rc;

	(void)out;
	memcpy(saved, d->slot, sizeof(saved));
	if (strcmp(op, "add") == 0) {
		rc = backend_add(d, r, msg, msz);
		if (rc != CTL_OK)
			return rc;
	} else {
		if (r->argc < 3 || (strcmp(op, "weight") == 0 ? r->argc != 4 : r->argc != 3)) {
			snprintf(msg, msz, "usage: backend add|remove|drain|enable|weight NAME ...");
			return CTL_E_USAGE;
		}
		s = daemon_slot_by_name(d, r->argv[2]);
		if (s < 0) {
			snprintf(msg, msz, "no backend %s", r->argv[2]);
			return CTL_E_FAILED;
		}
		if (strcmp(op, "remove") == 0) {
			d->slot[s].used = false;
			snprintf(msg, msz, "%s removed", r->argv[2]);
		} else if (strcmp(op, "drain") == 0) {
			d->slot[s].drained = true;
			snprintf(msg, msz, "%s draining: no new calls, its dialogs still reach it",
				 r->argv[2]);
		} else if (strcmp(op, "enable") == 0) {
			d->slot[s].drained = false;
			snprintf(msg, msz, "%s enabled", r->argv[2]);
		} else if (strcmp(op, "weight") == 0) {
			if (!uint_arg(r->argv[3], 1, MGL_MAX_WEIGHT, &w)) {
				snprintf(msg, msz, "weight \"%s\": 1..%d", r->argv[3], MGL_MAX_WEIGHT);
				return CTL_E_USAGE;
			}
			d->slot[s].bk.weight = (uint16_t)w;
			snprintf(msg, msz, "%s weight %u", r->argv[2], w);
		} else {
			snprintf(msg, msz, "unknown backend command \"%s\"", op);
			return CTL_E_USAGE;
		}
	}
	ef = open_memstream(&err, &err_len);
	rc = ef ? daemon_publish(d, ef) : -ENOMEM;
	if (ef)
		fclose(ef);
	if (rc < 0) {
		memcpy(d->slot, saved, sizeof(saved));
		d->n_slots = saved_n;
		snprintf(msg, msz, "not applied: %s", err && *err ? err : strerror(-rc));
		free(err);
		return CTL_E_FAILED;
	}
	free(err);
	return CTL_OK;
}

static int
cmd_reload(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	FILE *ef;
	char *err = NULL;
	size_t err_len = 0;
	int rc;

	ef = open_memstream(&err, &err_len);
	if (ef == NULL) {
		snprintf(msg, msz, "out of memory");
		return CTL_E_FAILED;
	}
	rc = daemon_reload(d, ef);
	fclose(ef);
	if (rc < 0) {
		/* every error line, FILE:LINE first, as the body */
		if (r->json) {
			fputs("{\"errors\":[", out);
			char *save = NULL;

			for (char *line = strtok_r(err, "\n", &save), *sep = ""; line;
			     line = strtok_r(NULL, "\n", &save), sep = ",") {
				fprintf(out, "%s\"", sep);
				for (char *p = line; *p; p++)
					fprintf(out, *p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
				fputc('"', out);
			}
			fputs("]}\n", out);
		} else {
			fputs(err, out);
		}
		snprintf(msg, msz, "reload refused, nothing changed: %s has errors",
			 d->cfg.path);
		free(err);
		return CTL_E_FAILED;
	}
	free(err);
	snprintf(msg, msz, "reloaded %s", d->cfg.path);
	return CTL_OK;
}

/* accounting reopen: after logrotate moved the file away (as SIGHUP) */
static int
cmd_accounting(struct daemon *d, const struct req *r, FILE *out, char *msg, size_t msz)
{
	if (r->argc != 2 || strcmp(r->argv[1], "reopen") != 0) {
		snprintf(msg, msz, "usage: accounting reopen");
		return CTL_E_USAGE;
	}
	if (d->cfg.acct_file[0] == '\0') {
		snprintf(msg, msz, "accounting is off (no accounting.file)");
		return CTL_E_FAILED;
	}
	acct_drain(d);
	if (acct_reopen(out) < 0) {
		snprintf(msg, msz, "cannot reopen %s", d->cfg.acct_file);
		return CTL_E_FAILED;
	}
	snprintf(msg, msz, "reopened %s", d->cfg.acct_file);
	return CTL_OK;
}

/* Parse and run one request line; the response is written to *resp. */
static void
ctl_run(struct daemon *d, char *line, char **resp, size_t *resp_len)
{
	static const struct {
		const char *name;
		int (*fn)(struct daemon *, const struct req *, FILE *, char *, size_t);
	} cmds[] = {
		{ "status", cmd_status }, { "stats", cmd_stats }, { "backends", cmd_backends },
		{ "backend", cmd_backend }, { "reload", cmd_reload },
		{ "accounting", cmd_accounting },
	};
	char *body = NULL, msg[512] = "", *tok, *save;
	size_t body_len = 0;
	struct req r = { 0 };
	int status = CTL_E_USAGE;
	FILE *out, *f;

	out = open_memstream(&body, &body_len);
	tok = strtok_r(line, " ", &save);
	if (tok == NULL || strncmp(tok, "siplb-ctl/", 10) != 0) {
		snprintf(msg, sizeof(msg), "not a %s request", CTL_PROTO);
	} else if (strcmp(tok, CTL_PROTO) != 0) {
		status = CTL_E_VERSION;
		snprintf(msg, sizeof(msg), "this siplb speaks %s, not %s", CTL_PROTO, tok);
	} else if ((tok = strtok_r(NULL, " ", &save)) == NULL ||
		   (strcmp(tok, "json") != 0 && strcmp(tok, "text") != 0)) {
		snprintf(msg, sizeof(msg), "format must be text or json");
	} else {
		r.json = strcmp(tok, "json") == 0;
		while (r.argc <= CTL_MAX_ARGS && (tok = strtok_r(NULL, " ", &save)) != NULL)
			r.argv[r.argc++] = tok;
		snprintf(msg, sizeof(msg), "unknown command; try status, stats, backends, "
			 "backend, reload");
		if (r.argc > CTL_MAX_ARGS)
			snprintf(msg, sizeof(msg), "too many arguments");
		else
			for (size_t i = 0; r.argc && i < sizeof(cmds) / sizeof(cmds[0]); i++)
				if (strcmp(r.argv[0], cmds[i].name) == 0 && out) {
					status = cmds[i].fn(d, &r, out, msg, sizeof(msg));
					break;
				}
	}
	if (out)
		fclose(out);
	f = open_memstream(resp, resp_len);
	if (f) {
		for (char *p = msg; *p; p++) /* one line */
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		fprintf(f, "%s %d %s\n", CTL_PROTO, status, msg);
		if (body)
			fwrite(body, 1, body_len, f);
		fclose(f);
	}
	free(body);
}

/* --- connections --------------------------------------------------------- */

static void
conn_close(struct ctl_conn *c)
{
	close(c->fd);
	c->fd = -1;
	free(c->out);
	c->out = NULL;
}

/* Read what the client sent; run the request once its line is complete. */
static void
conn_read(struct daemon *d, struct ctl_conn *c)
{
	ssize_t n = read(c->fd, c->in + c->in_len, CTL_MAX_REQUEST - c->in_len);
	char *nl;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (c->http) {
		/* the request line is all we read; wait for the header's end */
		if (strstr(c->in, "\r\n\r\n") == NULL && strstr(c->in, "\n\n") == NULL &&
		    c->in_len < CTL_MAX_REQUEST)
			return;
		http_run(d, c->in, &c->out, &c->out_len);
		c->out_off = 0;
		if (c->out == NULL)
			conn_close(c);
		return;
	}
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL && c->in_len < CTL_MAX_REQUEST)
		return;
	if (nl == NULL) {
		char line[] = "x"; /* too long: answered as unparsable */

		ctl_run(d, line, &c->out, &c->out_len);
	} else {
		*nl = '\0';
		ctl_run(d, c->in, &c->out, &c->out_len);
	}
	c->out_off = 0;
	if (c->out == NULL)
		conn_close(c);
}

static void
conn_write(struct ctl_conn *c)
{
	ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		conn_close(c);
}

void
ctl_poll(struct daemon *d, int timeout_ms)
{
	struct pollfd pfd[CTL_MAX_CONN + 2];
	unsigned idx[CTL_MAX_CONN + 2], n = 0;
	uint64_t now;

	if (listen_fd < 0) {
		poll(NULL, 0, timeout_ms);
		return;
	}
	pfd[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
	idx[n++] = CTL_MAX_CONN;
	if (http_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = http_fd, .events = POLLIN };
		idx[n++] = CTL_MAX_CONN + 1;
	}
	for (unsigned i = 0; i < CTL_MAX_CONN; i++)
		if (conns[i].fd >= 0) {
			pfd[n] = (struct pollfd){ .fd = conns[i].fd,
						  .events = conns[i].out ? POLLOUT : POLLIN };
			idx[n++] = i;
		}
	if (poll(pfd, n, timeout_ms) <= 0)
		goto expire;
	for (unsigned k = 0; k < n; k++) {
		struct ctl_conn *c;

		if (pfd[k].revents == 0)
			continue;
		if (idx[k] >= CTL_MAX_CONN) {
			bool http = idx[k] == CTL_MAX_CONN + 1;
			int fd = accept4(http ? http_fd : listen_fd, NULL, NULL,
					 SOCK_NONBLOCK | SOCK_CLOEXEC);
			unsigned i;

			if (fd < 0)
				continue;
			for (i = 0; i < CTL_MAX_CONN && conns[i].fd >= 0; i++)
				;
			if (i == CTL_MAX_CONN) { /* busy: the client sees EOF */
				close(fd);
				continue;
			}
			conns[i] = (struct ctl_conn){ .fd = fd, .http = http,
						      .deadline_ms = daemon_now_ms() + CTL_CLIENT_MS };
			continue;
		}
		c = &conns[idx[k]];
		if (c->out)
			conn_write(c);
		else
			conn_read(d, c);
	}
expire:
	now = daemon_now_ms();
	for (unsigned i = 0; i < CTL_MAX_CONN; i++)
		if (conns[i].fd >= 0 && now > conns[i].deadline_ms)
			conn_close(&conns[i]);
}
