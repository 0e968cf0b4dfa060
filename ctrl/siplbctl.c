/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * siplbctl: the control client. Sends one request line to the daemon's
 * control socket, prints the answer and exits with the daemon's status.
 * The protocol is ctl.h; this file only adds what a person at a shell
 * needs: argument checks before connecting, a hard time bound, and exit
 * codes a script can test.
 *
 *   siplbctl [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS...]
 *
 * Exit: the daemon's status (CTL_OK, CTL_E_FAILED, CTL_E_USAGE,
 * CTL_E_VERSION), CTL_E_USAGE for a bad command line (nothing is sent),
 * CTL_EXIT_NO_DAEMON when the socket cannot be reached, CTL_EXIT_PROTOCOL
 * when the answer is malformed, too large or late.
 *
 * Only libc: the client must run where the daemon's libraries are absent
 * (a jump host, a container with the socket bind-mounted).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#define DEFAULT_SOCKET "/run/siplb/siplb.sock"
#define DEFAULT_TIMEOUT_S 10.0
/* A day: anything longer is a typo, and poll() takes an int of ms. */
#define MAX_TIMEOUT_S 86400.0
/*
 * The largest answer is "backends" in JSON; 4 MiB is thousands of
 * backends. The cap keeps a confused peer from eating the memory of
 * whatever script runs us.
 */
#define MAX_RESPONSE (4u << 20)

/* A command the daemon knows, with the argument shape checked locally. */
struct cmd {
	const char *verb;
	const char *sub;   /* second word, NULL for one-word commands */
	int min_args;      /* arguments after the command words */
	int max_args;
	int weight_arg;    /* index of the argument that must be digits, or -1 */
	const char *args;  /* synopsis, for usage lines */
	const char *help;
};

static const struct cmd cmds[] = {
	{ "status", NULL, 0, 0, -1, "",
	  "daemon, mode, workers, uptime, config file" },
	{ "stats", NULL, 0, 0, -1, "", "the counters" },
	{ "backends", NULL, 0, 0, -1, "",
	  "each backend: state, weight, health, table share, counters" },
	{ "backend", "add", 2, 3, 2, " NAME ADDR[:PORT] [WEIGHT]",
	  "add a backend" },
	{ "backend", "remove", 1, 1, -1, " NAME",
	  "no new calls nor in-dialog requests" },
	{ "backend", "drain", 1, 1, -1, " NAME",
	  "no new calls; dialogs still reach it" },
	{ "backend", "enable", 1, 1, -1, " NAME", "undo drain" },
	{ "backend", "weight", 2, 2, 1, " NAME WEIGHT",
	  "change a backend's weight" },
	{ "reload", NULL, 0, 0, -1, "",
	  "re-read the config file, all or nothing" },
	{ "accounting", "reopen", 0, 0, -1, "",
	  "reopen the accounting file (after log rotation)" },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char synopsis[] =
	"usage: siplbctl [-s SOCKET] [--json] [-t SECONDS] COMMAND [ARGS...]\n";

static void
help(void)
{
	size_t i;

	fputs(synopsis, stdout);
	printf("  -s, --socket SOCKET   control socket (default %s)\n"
	       "      --json            ask for JSON; the body is printed as sent\n"
	       "  -t, --timeout SECONDS bound on the whole exchange (default %g)\n"
	       "  -h, --help            this text\n"
	       "commands:\n", DEFAULT_SOCKET, DEFAULT_TIMEOUT_S);
	for (i = 0; i < N_CMDS; i++) {
		char words[64];

		snprintf(words, sizeof(words), "%s%s%s%s", cmds[i].verb,
			 cmds[i].sub ? " " : "", cmds[i].sub ? cmds[i].sub : "",
			 cmds[i].args);
		printf("  %-38s %s\n", words, cmds[i].help);
	}
	printf("exit: the daemon's status (0 ok, %d failed, %d usage, %d version),\n"
	       "      %d cannot connect, %d answer not understood or too late\n",
	       CTL_E_FAILED, CTL_E_USAGE, CTL_E_VERSION, CTL_EXIT_NO_DAEMON,
	       CTL_EXIT_PROTOCOL);
}

/*
 * Report a bad command line and return the exit code for it. With cmd set,
 * the usage line is that command's, which says more than the generic one.
 */
static int
__attribute__((format(printf, 2, 3)))
usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("siplbctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		fprintf(stderr, "usage: siplbctl [OPTIONS] %s%s%s%s\n", cmd->verb,
			cmd->sub ? " " : "", cmd->sub ? cmd->sub : "", cmd->args);
	else
		fprintf(stderr, "%s(siplbctl --help lists the commands)\n",
			synopsis);
	return CTL_E_USAGE;
}

/*
 * Arguments travel as space-separated words on one line (ctl.h), so a
 * space, a newline or any control byte would split or end the request
 * somewhere the user did not mean. Bytes >= 0x80 pass: names may be UTF-8.
 */
static bool
word_ok(const char *w)
{
	const unsigned char *p = (const unsigned char *)w;

	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
digits_only(const char *w)
{
	if (*w == '\0')
		return false;
	for (; *w != '\0'; w++)
		if (*w < '0' || *w > '9')
			return false;
	return true;
}

/*
 * Check argv (command words first) against the table and build the
 * request line into req. Returns the request length, or -1 after printing
 * a usage error.
 */
static int
build_request(int argc, char **argv, bool json, char *req, size_t size)
{
	const struct cmd *cmd = NULL;
	int nwords, nargs, len, i;
	size_t k;

	if (argc < 1) {
		usage_error(NULL, "no command");
		return -1;
	}
	for (k = 0; k < N_CMDS; k++) {
		if (strcmp(argv[0], cmds[k].verb) != 0)
			continue;
		if (cmds[k].sub == NULL) {
			cmd = &cmds[k];
			break;
		}
		if (argc < 2) {
			usage_error(NULL, "'%s' needs a subcommand: add, remove, drain, enable or weight",
				    argv[0]);
			return -1;
		}
		if (strcmp(argv[1], cmds[k].sub) == 0) {
			cmd = &cmds[k];
			break;
		}
	}
	if (cmd == NULL) {
		if (argc >= 2 && strcmp(argv[0], "backend") == 0)
			usage_error(NULL, "unknown command 'backend %s'", argv[1]);
		else
			usage_error(NULL, "unknown command '%s'", argv[0]);
		return -1;
	}

	nwords = cmd->sub ? 2 : 1;
	nargs = argc - nwords;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		usage_error(cmd, "wrong number of arguments");
		return -1;
	}
	for (i = nwords; i < argc; i++) {
		if (!word_ok(argv[i])) {
			usage_error(cmd, "argument %d is empty or has spaces or control characters",
				    i - nwords + 1);
			return -1;
		}
	}
	if (cmd->weight_arg >= 0 && cmd->weight_arg < nargs &&
	    !digits_only(argv[nwords + cmd->weight_arg])) {
		usage_error(cmd, "WEIGHT must be a number, not '%s'",
			    argv[nwords + cmd->weight_arg]);
		return -1;
	}

	len = snprintf(req, size, "%s %s", CTL_PROTO, json ? "json" : "text");
	for (i = 0; i < argc && len >= 0 && (size_t)len < size; i++)
		len += snprintf(req + len, size - len, " %s", argv[i]);
	if (len >= 0 && (size_t)len < size)
		len += snprintf(req + len, size - len, "\n");
	/* The daemon reads at most CTL_MAX_REQUEST bytes, newline included. */
	if (len < 0 || (size_t)len >= size || len > CTL_MAX_REQUEST) {
		usage_error(cmd, "request too long (at most %d bytes)",
			    CTL_MAX_REQUEST);
		return -1;
	}
	return len;
}

/* The one deadline for connect + send + receive (CLOCK_MONOTONIC). */
static struct timespec deadline;

static void
deadline_set(double seconds)
{
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)seconds;
	deadline.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
}

/* Milliseconds left, rounded up so poll() never wakes just short of it. */
static int
deadline_left_ms(void)
{
	struct timespec now;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(deadline.tv_sec - now.tv_sec) * 1000000000LL +
	     (deadline.tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	return (int)((ns + 999999) / 1000000);
}

/*
 * Connect to the daemon. Returns the socket, or -errno (-ETIMEDOUT when the
 * deadline passed). A UNIX stream connect blocks while the listener's
 * backlog is full (a daemon that stopped accepting); SO_SNDTIMEO is what
 * bounds that wait on Linux, and the kernel then fails with EAGAIN.
 */
static int
ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv;
	int fd, ms, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path)); /* length checked by main */

	ms = deadline_left_ms();
	if (ms == 0) {
		close(fd);
		return -ETIMEDOUT;
	}
	/* Zero would mean "forever"; ms is at least 1 here. */
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		return -err;
	}
	/* From here every wait is a poll() on the deadline. */
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* Wait for events on fd until the deadline. 0 ready, -ETIMEDOUT, -errno. */
static int
wait_fd(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ms, n;

	for (;;) {
		ms = deadline_left_ms();
		if (ms == 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * Send the request. Returns 0, -ETIMEDOUT or -errno. EPIPE is not an error
 * for the caller to report: a daemon may answer and close before reading
 * everything (say, a refusal), and that answer is still waiting to be read.
 */
static int
send_request(int fd, const char *req, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int rc;

	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return 0;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		rc = wait_fd(fd, POLLOUT);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Read until the daemon closes. On success *out is malloc'ed, holds *len
 * bytes plus a NUL the parser does not rely on, and 0 is returned.
 * Otherwise -ETIMEDOUT, -EFBIG (more than MAX_RESPONSE), or -errno.
 */
static int
read_answer(int fd, char **out, size_t *len)
{
	size_t cap = 64 * 1024, used = 0;
	char *buf, *nbuf;
	ssize_t n;
	int rc;

	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		/* Room for one more byte and the NUL, or recv() would read 0. */
		if (cap - used < 2) {
			/*
			 * The last size is the cap plus one byte (and the NUL):
			 * that byte tells "too large" from "exactly full".
			 */
			cap = cap * 2 > MAX_RESPONSE + 2 ? MAX_RESPONSE + 2 : cap * 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		n = recv(fd, buf + used, cap - 1 - used, 0);
		if (n > 0) {
			used += (size_t)n;
			if (used > MAX_RESPONSE) {
				rc = -EFBIG;
				goto fail;
			}
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			rc = -errno;
			goto fail;
		}
		rc = wait_fd(fd, POLLIN);
		if (rc < 0)
			goto fail;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
fail:
	free(buf);
	return rc;
}

/* Print at most 80 bytes of a bad status line, control bytes as '?'. */
static void
print_bad_line(const char *p, size_t len)
{
	size_t i;

	fputs("siplbctl: first line was \"", stderr);
	for (i = 0; i < len && i < 80; i++)
		fputc((unsigned char)p[i] < ' ' || p[i] == 0x7f ? '?' : p[i],
		      stderr);
	fputs(len > 80 ? "...\"\n" : "\"\n", stderr);
}

/*
 * Parse "siplb-ctl/1 <status>[ <message>]\n" at the head of buf.
 * Returns the status (0..999) with *msg, *msg_len and *body set, or -1.
 */
static int
parse_status_line(const char *buf, size_t len, const char **msg,
		  size_t *msg_len, const char **body)
{
	static const char proto[] = CTL_PROTO " ";
	const char *nl, *p;
	int status = 0, ndigits = 0;

	nl = memchr(buf, '\n', len);
	if (nl == NULL || (size_t)(nl - buf) < sizeof(proto) - 1 ||
	    memcmp(buf, proto, sizeof(proto) - 1) != 0)
		return -1;
	for (p = buf + sizeof(proto) - 1; p < nl && *p >= '0' && *p <= '9'; p++) {
		/* Three digits are plenty and keep the int from overflowing. */
		if (++ndigits > 3)
			return -1;
		status = status * 10 + (*p - '0');
	}
	if (ndigits == 0 || (p < nl && *p != ' '))
		return -1;
	if (p < nl)
		p++;
	*msg = p;
	*msg_len = (size_t)(nl - p);
	/* Tolerate a CRLF line end from a peer written by hand. */
	if (*msg_len > 0 && p[*msg_len - 1] == '\r')
		(*msg_len)--;
	*body = nl + 1;
	return status;
}

static bool
status_known(int status)
{
	return status == CTL_OK || status == CTL_E_FAILED ||
	       status == CTL_E_USAGE || status == CTL_E_VERSION;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'J' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	double timeout = DEFAULT_TIMEOUT_S;
	char req[CTL_MAX_REQUEST + 2];
	const char *msg, *body;
	size_t len = 0, msg_len, body_len;
	bool json = false;
	char *ans = NULL, *end;
	int c, fd, rc, reqlen, status;

	/*
	 * '+': stop at the command, so its arguments are never taken for
	 * options. ':': report a missing option argument ourselves.
	 */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'J':
			json = true;
			break;
		case 't':
			errno = 0;
			timeout = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !isfinite(timeout) || timeout <= 0 ||
			    timeout > MAX_TIMEOUT_S)
				return usage_error(NULL, "bad timeout '%s' (seconds, > 0, at most %g)",
						   optarg, MAX_TIMEOUT_S);
			break;
		case 'h':
			help();
			return fflush(stdout) == 0 ? CTL_OK : CTL_E_FAILED;
		case ':':
			return usage_error(NULL, "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			/* optopt names a short option even inside "-Jx". */
			if (optopt != 0)
				return usage_error(NULL, "unknown option '-%c'",
						   optopt);
			return usage_error(NULL, "unknown option '%s'",
					   argv[optind - 1]);
		}
	}
	if (*path == '\0')
		return usage_error(NULL, "empty socket path");
	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return usage_error(NULL, "socket path too long (at most %zu bytes): %s",
				   sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1,
				   path);
	reqlen = build_request(argc - optind, argv + optind, json, req,
			       sizeof(req));
	if (reqlen < 0)
		return CTL_E_USAGE;

	deadline_set(timeout);
	fd = ctl_connect(path);
	if (fd < 0) {
		rc = -fd;
		if (rc == ETIMEDOUT)
			fprintf(stderr, "siplbctl: cannot connect to %s: no answer within %gs (daemon stuck?)\n",
				path, timeout);
		else if (rc == EACCES || rc == EPERM)
			fprintf(stderr, "siplbctl: cannot connect to %s: %s (needs write access to the socket)\n",
				path, strerror(rc));
		else
			fprintf(stderr, "siplbctl: cannot connect to %s: %s (is siplb running? -s SOCKET)\n",
				path, strerror(rc));
		return CTL_EXIT_NO_DAEMON;
	}

	rc = send_request(fd, req, (size_t)reqlen);
	if (rc == 0)
		rc = read_answer(fd, &ans, &len);
	close(fd);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "siplbctl: %s: no complete answer within %gs\n",
			path, timeout);
		return CTL_EXIT_PROTOCOL;
	} else if (rc == -EFBIG) {
		fprintf(stderr, "siplbctl: %s: answer larger than %u bytes\n",
			path, MAX_RESPONSE);
		return CTL_EXIT_PROTOCOL;
	} else if (rc < 0) {
		fprintf(stderr, "siplbctl: %s: %s\n", path, strerror(-rc));
		return CTL_EXIT_PROTOCOL;
	}

	if (len == 0) {
		fprintf(stderr, "siplbctl: %s: the daemon closed without answering\n",
			path);
		free(ans);
		return CTL_EXIT_PROTOCOL;
	}
	status = parse_status_line(ans, len, &msg, &msg_len, &body);
	if (status < 0 || !status_known(status)) {
		fprintf(stderr, "siplbctl: %s: answer not understood (expected \"%s <status> <message>\")\n",
			path, CTL_PROTO);
		end = memchr(ans, '\n', len);
		print_bad_line(ans, end ? (size_t)(end - ans) : len);
		free(ans);
		return CTL_EXIT_PROTOCOL;
	}
	body_len = len - (size_t)(body - ans);

	fwrite(body, 1, body_len, stdout);
	/*
	 * A command with nothing to show (drain, reload) still says what it
	 * did. Not in JSON mode: stdout there is for a parser, and a bare
	 * sentence would break it.
	 */
	if (status == CTL_OK && body_len == 0 && msg_len > 0 && !json)
		printf("%.*s\n", (int)msg_len, msg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "siplbctl: writing the answer: %s\n",
			strerror(errno));
		free(ans);
		return CTL_E_FAILED;
	}
	if (status != CTL_OK) {
		if (msg_len > 0)
			fprintf(stderr, "siplbctl: %.*s\n", (int)msg_len, msg);
		else
			fprintf(stderr, "siplbctl: failed (status %d)\n", status);
	}
	free(ans);
	return status;
}
