/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control protocol between the daemon and siplbctl, over the UNIX stream
 * socket named by control.socket. Both sides include this header; it is the
 * whole contract.
 *
 * One request per connection:
 *
 *   client:  "siplb-ctl/1 <format> <command> [<arg> ...]\n"
 *            format is "text" (for people) or "json" (one JSON document);
 *            arguments are single words (no spaces), at most CTL_MAX_ARGS.
 *   daemon:  "siplb-ctl/1 <status> <message>\n" then the body, then it closes
 *            the connection. The body is the command's output in the asked
 *            format (may be empty); message is one line for people.
 *
 * Commands:
 *   status                          daemon, mode, workers, uptime, config file
 *   stats                           the counters (the SIGUSR1 JSON line)
 *   backends                        each backend: state, weight, health,
 *                                   share of the Maglev table, counters
 *   backend add NAME ADDR[:PORT] [WEIGHT]
 *   backend remove NAME             no new calls nor in-dialog requests
 *   backend drain NAME              no new calls; dialogs still reach it
 *   backend enable NAME             undo drain
 *   backend weight NAME WEIGHT
 *   reload                          re-read the config file, all or nothing
 *   accounting reopen               reopen accounting.file (log rotation)
 *
 * A request the daemon does not understand gets CTL_E_USAGE; a newer protocol
 * version than the daemon speaks gets CTL_E_VERSION.
 */
#ifndef SIPLB_CTL_H
#define SIPLB_CTL_H

#define CTL_PROTO "siplb-ctl/1"
#define CTL_MAX_REQUEST 512   /* request line, newline included */
#define CTL_MAX_ARGS 8

/* Status codes on the response line; siplbctl exits with the same numbers. */
enum ctl_status {
	CTL_OK = 0,        /* done */
	CTL_E_FAILED = 1,  /* understood but refused or failed (message says why) */
	CTL_E_USAGE = 2,   /* unknown command or bad arguments */
	CTL_E_VERSION = 4, /* protocol version not spoken */
};

/* siplbctl's own exit codes beyond the daemon's statuses. */
#define CTL_EXIT_NO_DAEMON 3 /* cannot connect: not running, or wrong socket */
#define CTL_EXIT_PROTOCOL 5  /* the daemon's answer was not understood */

#endif
