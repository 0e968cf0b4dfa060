#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplbctl, the client side of ctrl/ctl.h: command-line checks (exit 2, and
# nothing is sent), unreachable sockets (exit 3), and the protocol handling
# against a fake daemon written here in python3 that records the request line
# and plays back a canned answer: good answers, refusals, garbage, silence
# (exit 5 within -t). Needs no root and no network.
# The end-to-end test against the real daemon comes with the daemon side of
# the protocol: tests/integ/t_ctl.sh.
set -uo pipefail
CTL=${SIPLBCTL:?path of the siplbctl binary}
PY=${PYTHON3:-python3}
tmp=$(mktemp -d)
srv_pid=
cleanup() {
	# Only the fake daemon this script started, by its pid.
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

absent=$tmp/absent.sock
sock=$tmp/ctl.sock

# --- command line: exit 2 before any connection (the socket is absent, so
# reaching connect() would give 3) ---
usage_case() { # NAME ARGS...
	local name=$1
	shift
	"$CTL" -s "$absent" "$@" >"$tmp/out" 2>"$tmp/err"
	expect "usage: $name exit" 2 $?
	expect_grep "usage: $name says usage" "usage: siplbctl" "$tmp/err"
}
usage_case "no command"
usage_case "unknown command" frobnicate
usage_case "backend alone" backend
usage_case "backend unknown" backend frob be1
usage_case "status with argument" status extra
usage_case "backend add 1 arg" backend add be1
usage_case "backend add 4 args" backend add be1 198.18.0.21 1 2
usage_case "backend add weight not digits" backend add be1 198.18.0.21 -1
usage_case "backend weight be1 x" backend weight be1 x
usage_case "backend weight no weight" backend weight be1
usage_case "backend drain 2 args" backend drain be1 be2
usage_case "argument with space" backend drain "be 1"
usage_case "argument with tab" backend drain "$(printf 'be\t1')"
usage_case "argument with newline" backend drain "$(printf 'be\n1')"
usage_case "empty argument" backend drain ""
usage_case "request too long" backend drain "$(printf '%0600d' 0)"
usage_case "unknown option" --frob status
usage_case "-t missing value" -t
usage_case "-t zero" -t 0 status
usage_case "-t not a number" -t soon status
"$CTL" -s "" status >/dev/null 2>&1
expect "empty socket path exit" 2 $?
"$CTL" -s "/$(printf '%0200d' 0)" status >/dev/null 2>&1
expect "socket path longer than sun_path exit" 2 $?

"$CTL" --help >"$tmp/out" 2>"$tmp/err"
expect "--help exit" 0 $?
expect_grep "--help lists backend add" "backend add NAME ADDR[:PORT] [WEIGHT]" "$tmp/out"
"$CTL" -h >/dev/null 2>&1
expect "-h exit" 0 $?

# --- no daemon: exit 3 with the path in the message ---
"$CTL" -s "$absent" status >"$tmp/out" 2>"$tmp/err"
expect "absent socket exit" 3 $?
expect_grep "absent socket message" "cannot connect to $absent: No such file or directory" "$tmp/err"
: >"$tmp/plain"
"$CTL" -s "$tmp/plain" status >/dev/null 2>"$tmp/err"
expect "regular file exit" 3 $?
expect_grep "regular file message names it" "$tmp/plain" "$tmp/err"
"$CTL" -s "$tmp" status >/dev/null 2>&1
expect "directory exit" 3 $?
# A daemon that died leaves its socket file behind: connection refused.
"$PY" -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/stale.sock"
"$CTL" -s "$tmp/stale.sock" status >/dev/null 2>"$tmp/err"
expect "stale socket exit" 3 $?
expect_grep "stale socket message" "Connection refused" "$tmp/err"

# --- the protocol, against a fake daemon ---
# fake.py SOCK REQFILE ANSWER|-: accept one connection, store the request
# line, send ANSWER's bytes and close; with "-", answer nothing and wait for
# the client to give up. Every wait is bounded.
cat >"$tmp/fake.py" <<'PY'
import os, socket, sys
path, reqfile, answer = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
# Bind and listen under another name, then rename: the client never sees a
# socket file that is not listening yet.
s.bind(path + ".tmp")
s.listen(1)
os.rename(path + ".tmp", path)
s.settimeout(10)
c, _ = s.accept()
c.settimeout(10)
req = b""
try:
    while b"\n" not in req and len(req) < 4096:
        d = c.recv(4096)
        if not d:
            break
        req += d
    with open(reqfile, "wb") as f:
        f.write(req)
    if answer == "-":
        while c.recv(4096):
            pass
    else:
        with open(answer, "rb") as f:
            c.sendall(f.read())
except OSError:
    pass  # the client hung up first: that is its business
c.close()
os.unlink(path)
PY

serve() { # ANSWER-FILE|-
	rm -f "$sock" "$tmp/req"
	"$PY" "$tmp/fake.py" "$sock" "$tmp/req" "$1" &
	srv_pid=$!
	for _ in $(seq 50); do
		[ -S "$sock" ] && return 0
		sleep 0.1
	done
	fail "the fake daemon did not start"
}
served() { # wait for the fake daemon to finish (it bounds itself)
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}
# run NAME ANSWER EXPECTED-REQUEST EXPECTED-EXIT CTL-ARGS...
# Leaves the client's stdout and stderr in $tmp/out and $tmp/err.
run() {
	local name=$1 answer=$2 request=$3 code=$4
	shift 4
	printf '%s' "$answer" >"$tmp/answer"
	serve "$tmp/answer"
	"$CTL" -s "$sock" -t 5 "$@" >"$tmp/out" 2>"$tmp/err"
	expect "$name exit" "$code" $?
	served
	printf '%s' "$request" >"$tmp/want-req"
	expect_file "$name request line" "$tmp/want-req" "$tmp/req"
}
want() { printf '%s' "$1" >"$tmp/want"; }

run "status" $'siplb-ctl/1 0 ok\nmode stateless\nworkers 2\n' \
	$'siplb-ctl/1 text status\n' 0 status
want $'mode stateless\nworkers 2\n'
expect_file "status body printed as is" "$tmp/want" "$tmp/out"
expect "status stderr" "" "$(cat "$tmp/err")"

run "json backend add" $'siplb-ctl/1 0 be3 added\n{"added":"be3"}' \
	$'siplb-ctl/1 json backend add be3 198.18.0.23:5060 2\n' 0 \
	--json backend add be3 198.18.0.23:5060 2
want '{"added":"be3"}'
expect_file "json body as sent, no newline added" "$tmp/want" "$tmp/out"

run "drain, empty body" $'siplb-ctl/1 0 be1: draining\n' \
	$'siplb-ctl/1 text backend drain be1\n' 0 backend drain be1
want $'be1: draining\n'
expect_file "empty body: the message on stdout" "$tmp/want" "$tmp/out"

run "json drain, empty body" $'siplb-ctl/1 0 be1: draining\n' \
	$'siplb-ctl/1 json backend drain be1\n' 0 --json backend drain be1
expect "json empty body: stdout stays empty" 0 "$(stat -c %s "$tmp/out")"

run "weight" $'siplb-ctl/1 0 be1: weight 7\r\n' \
	$'siplb-ctl/1 text backend weight be1 7\n' 0 backend weight be1 7
want $'be1: weight 7\n'
expect_file "CRLF status line tolerated" "$tmp/want" "$tmp/out"

run "refused" $'siplb-ctl/1 1 no backend be9\n' \
	$'siplb-ctl/1 text backend remove be9\n' 1 backend remove be9
expect "refused: message on stderr" "siplbctl: no backend be9" "$(cat "$tmp/err")"
expect "refused: stdout empty" 0 "$(stat -c %s "$tmp/out")"

run "refused with body" $'siplb-ctl/1 1 reload failed\nx.conf:3: bad key\n' \
	$'siplb-ctl/1 text reload\n' 1 reload
want $'x.conf:3: bad key\n'
expect_file "refused: body still on stdout" "$tmp/want" "$tmp/out"
expect_grep "refused: message on stderr" "siplbctl: reload failed" "$tmp/err"

run "daemon usage status" $'siplb-ctl/1 2 unknown command\n' \
	$'siplb-ctl/1 text stats\n' 2 stats
run "daemon version status" $'siplb-ctl/1 4 protocol version not spoken\n' \
	$'siplb-ctl/1 text backends\n' 4 backends

run "garbage answer" $'HTTP/1.1 200 OK\r\n\r\n' $'siplb-ctl/1 text status\n' 5 status
expect_grep "garbage: says not understood" "not understood" "$tmp/err"
expect_grep "garbage: shows the line" 'first line was "HTTP/1.1 200 OK?"' "$tmp/err"
expect "garbage: stdout empty" 0 "$(stat -c %s "$tmp/out")"
run "status not digits" $'siplb-ctl/1 x ok\n' $'siplb-ctl/1 text status\n' 5 status
run "status glued to message" $'siplb-ctl/1 0ok\n' $'siplb-ctl/1 text status\n' 5 status
run "unknown status" $'siplb-ctl/1 7 what\n' $'siplb-ctl/1 text status\n' 5 status
run "other protocol version" $'siplb-ctl/2 0 ok\n' $'siplb-ctl/1 text status\n' 5 status
run "no newline after status" 'siplb-ctl/1 0 ok' $'siplb-ctl/1 text status\n' 5 status
run "closed without answer" '' $'siplb-ctl/1 text status\n' 5 status
expect_grep "closed: says so" "closed without answering" "$tmp/err"

# Larger than the 4 MiB cap.
{ printf 'siplb-ctl/1 0 ok\n'; head -c $((5 * 1024 * 1024)) /dev/zero | tr '\0' x; } >"$tmp/big"
serve "$tmp/big"
"$CTL" -s "$sock" -t 5 stats >"$tmp/out" 2>"$tmp/err"
expect "answer over the cap exit" 5 $?
served
expect "answer over the cap: nothing printed" 0 "$(stat -c %s "$tmp/out")"

# A daemon that takes the request and never answers: -t bounds the wait.
serve -
t0=$(date +%s%N)
"$CTL" -s "$sock" -t 1 status >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
served
expect "silent daemon exit" 5 "$rc"
expect "silent daemon: gave up after 1 s (900..3000 ms)" yes \
	"$([ "$ms" -ge 900 ] && [ "$ms" -le 3000 ] && echo yes || echo "no, ${ms} ms")"
expect_grep "silent daemon: says so" "no complete answer within 1s" "$tmp/err"

finish
