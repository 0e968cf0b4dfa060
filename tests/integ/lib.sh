# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Integration test network for siplb. Sourced by tests/integ/t_*.sh and
# tests/demo.sh; needs root, iproute2, ethtool, sipp, python3.
#
# Topology (every namespace named "slb-<pid>-<role>", so parallel runs and
# leftovers of a crashed run never collide):
#
#   sw       Linux bridge br0, one port per host (p-<host>)
#   lb       veth lb0, UP, no IP address, IPv6 off: siplb owns 198.18.0.10
#            in user space through the af_packet / af_xdp PMD, and the kernel
#            must not answer ARP for it
#   client   eth0 198.18.0.2/24   (sipp UAC, raw datagram senders)
#   be1..3   eth0 198.18.0.21..23 (sipp UAS), only those a test asks for
#
# TX checksum offload is off on every veth end: a veth otherwise hands an
# af_packet reader UDP packets with partial (unfinished) checksums.
#
# The caller sets: SIPLB (path of the siplb binary) and SIPLB_SRC (repo root);
# both default to the usual places for runs by hand.

set -euo pipefail

SIPLB_SRC=${SIPLB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SIPLB=${SIPLB:-$SIPLB_SRC/build/siplb}
INTEG_DIR=$SIPLB_SRC/tests/integ
SCEN_DIR=$INTEG_DIR/scenarios
# The config most tests run; overridable to try a variant by hand.
DEMO_CONF=${DEMO_CONF:-$SIPLB_SRC/conf/demo.conf}

NS_PREFIX="slb-$$-"
NS_SW=${NS_PREFIX}sw
NS_LB=${NS_PREFIX}lb

LB_IP=198.18.0.10
CLIENT_IP=198.18.0.2
declare -A BE_IP=([be1]=198.18.0.21 [be2]=198.18.0.22 [be3]=198.18.0.23)

NET_HOSTS=()        # hosts created by net_up, e.g. (lb client be1 be2)
LB_PID=""
WORK=""             # per-run scratch directory (logs, generated configs)
CLEANUP_HOOKS=()    # extra commands net_down runs (restore sysctls, umount)
TEST_FAILED=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*"; }
die() { printf '[%s] FAIL: %s\n' "$(date +%T)" "$*" >&2; exit 1; }

# check WHAT EXPECTED ACTUAL OK: print one verdict line; remember failures so
# a test can report every check before it exits.
check() {
	local what=$1 expected=$2 actual=$3 ok=$4
	if [ "$ok" = 1 ]; then
		printf 'PASS  %s: expected %s, got %s\n' "$what" "$expected" "$actual"
	else
		printf 'FAIL  %s: expected %s, got %s\n' "$what" "$expected" "$actual"
		TEST_FAILED=1
	fi
}

# Exit 1 if any check failed, else 0.
finish() {
	if [ "$TEST_FAILED" = 0 ]; then
		log "all checks passed"
		exit 0
	fi
	log "some checks failed; logs kept in $WORK"
	KEEP_WORK=1
	exit 1
}

skip() {
	printf '[%s] SKIP: %s\n' "$(date +%T)" "$*"
	exit 77
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "integration tests need root (network namespaces)"
	local c
	for c in ip ethtool sipp python3; do
		command -v "$c" >/dev/null || die "missing command: $c (run tests/install-deps.sh)"
	done
}

ns_of() { printf '%s%s' "$NS_PREFIX" "$1"; }

# nsx HOST CMD...: run a command inside a host's namespace.
nsx() {
	local h=$1
	shift
	ip netns exec "$(ns_of "$h")" "$@"
}

# Namespace-local sysctl write; quiet if the key does not exist.
ns_sysctl() {
	ip netns exec "$1" sh -c "echo $3 > /proc/sys/$2" 2>/dev/null || true
}

_add_host() {
	local h=$1 ns ifname port
	ns=$(ns_of "$h")
	port="p-$h"
	if [ "$h" = lb ]; then ifname=lb0; else ifname=eth0; fi
	ip netns add "$ns"
	NET_HOSTS+=("$h")
	ns_sysctl "$ns" net/ipv6/conf/all/disable_ipv6 1
	ns_sysctl "$ns" net/ipv6/conf/default/disable_ipv6 1
	ip -n "$ns" link set lo up
	# Both ends are created directly in their namespaces: no name ever
	# appears in the root namespace.
	ip link add "$ifname" netns "$ns" type veth peer name "$port" netns "$NS_SW"
	ns_sysctl "$ns" "net/ipv6/conf/$ifname/disable_ipv6" 1
	ip netns exec "$ns" ethtool -K "$ifname" tx off >/dev/null
	ip netns exec "$NS_SW" ethtool -K "$port" tx off >/dev/null
	ip -n "$NS_SW" link set "$port" master br0
	ip -n "$NS_SW" link set "$port" up
	if [ "$h" != lb ]; then
		local addr
		if [ "$h" = client ]; then addr=$CLIENT_IP; else addr=${BE_IP[$h]}; fi
		ip -n "$ns" addr add "$addr/24" dev "$ifname"
	fi
	ip -n "$ns" link set "$ifname" up
}

# net_up [be1 be2 be3]: build the network with the listed backends (default
# be1 be2), a scratch dir in $WORK, and the cleanup trap.
net_up() {
	local hosts=("$@") h
	[ ${#hosts[@]} -gt 0 ] || hosts=(be1 be2)
	need_root
	WORK=$(mktemp -d /tmp/siplb-integ.XXXXXX)
	trap 'net_down_trap' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$NS_SW"
	NET_HOSTS+=(sw)
	ns_sysctl "$NS_SW" net/ipv6/conf/all/disable_ipv6 1
	ns_sysctl "$NS_SW" net/ipv6/conf/default/disable_ipv6 1
	ip -n "$NS_SW" link set lo up
	# No STP and no forward delay: ports forward as soon as they are up.
	ip -n "$NS_SW" link add br0 type bridge stp_state 0 forward_delay 0
	ip -n "$NS_SW" link set br0 up

	for h in lb client "${hosts[@]}"; do
		_add_host "$h"
	done
	wait_link_up
	log "network up: namespaces ${NS_PREFIX}{$(IFS=,; echo "${NET_HOSTS[*]}")}, scratch $WORK"
}

# Wait (bounded) until every veth reports carrier.
wait_link_up() {
	local i h ifname state
	for h in "${NET_HOSTS[@]}"; do
		[ "$h" = sw ] && continue
		if [ "$h" = lb ]; then ifname=lb0; else ifname=eth0; fi
		for ((i = 0; i < 50; i++)); do
			state=$(ip netns exec "$(ns_of "$h")" cat "/sys/class/net/$ifname/operstate")
			[ "$state" = up ] && break
			sleep 0.1
		done
		[ "$state" = up ] || die "$h/$ifname not up after 5 s (state $state)"
	done
}

# Kill (TERM, then KILL after a bounded wait) every process in our namespaces.
_kill_ns_procs() {
	local h ns pids i
	for sig in TERM KILL; do
		pids=""
		for h in "${NET_HOSTS[@]}"; do
			ns=$(ns_of "$h")
			pids+=" $(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')"
		done
		# shellcheck disable=SC2086
		[ -n "${pids// /}" ] || return 0
		# shellcheck disable=SC2086
		kill -s "$sig" $pids 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do
			pids=""
			for h in "${NET_HOSTS[@]}"; do
				pids+="$(ip netns pids "$(ns_of "$h")" 2>/dev/null)"
			done
			[ -z "$pids" ] && return 0
			sleep 0.1
		done
	done
}

net_down() {
	local h i
	_kill_ns_procs
	for h in "${NET_HOSTS[@]}"; do
		ip netns del "$(ns_of "$h")" 2>/dev/null || true
	done
	NET_HOSTS=()
	for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_HOOKS[$i]}" || true
	done
	CLEANUP_HOOKS=()
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ "${KEEP_WORK:-0}" = 1 ]; then
			log "scratch kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

net_down_trap() {
	local rc=$?
	trap - EXIT INT TERM
	# A failure under set -e: keep the logs for the person reading it.
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && KEEP_WORK=1
	net_down
	exit "$rc"
}

# hugetlbfs_umount DIR: remove the page files DPDK leaves behind (they hold
# hugepages), unmount (retrying: the pages of a process that just exited are
# released asynchronously), remove the mount point.
hugetlbfs_umount() {
	local d=$1 i
	rm -f "$d"/* 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		umount "$d" 2>/dev/null && break
		sleep 0.1
	done
	if grep -q " $d hugetlbfs " /proc/mounts; then
		log "hugetlbfs on $d still busy after 5 s: lazy unmount"
		umount -l "$d" || true
	fi
	rmdir "$d" || true
}

# gen_conf SRC DST SED_EXPR...: copy a config, editing it with sed.
gen_conf() {
	local src=$1 dst=$2
	shift 2
	local args=() e
	for e in "$@"; do args+=(-e "$e"); done
	if [ ${#args[@]} -gt 0 ]; then
		sed "${args[@]}" "$src" >"$dst"
	else
		cp "$src" "$dst"
	fi
}

# lb_start CONF [TIMEOUT_S]: start siplb in the lb namespace; wait for
# "siplb: ready" on stderr. Returns 1 (printing its stderr) if it exits or
# does not get ready in time. stdout -> $WORK/siplb.out, stderr -> .err.
lb_start() {
	local conf=$1 tmo=${2:-20} i
	[ -x "$SIPLB" ] || die "siplb binary not found: $SIPLB (set SIPLB)"
	: >"$WORK/siplb.out"
	: >"$WORK/siplb.err"
	ip netns exec "$NS_LB" "$SIPLB" -c "$conf" \
		>"$WORK/siplb.out" 2>"$WORK/siplb.err" </dev/null &
	LB_PID=$!
	for ((i = 0; i < tmo * 10; i++)); do
		if grep -q 'siplb: ready' "$WORK/siplb.err"; then
			log "siplb ready (pid $LB_PID, $conf)"
			return 0
		fi
		if ! kill -0 "$LB_PID" 2>/dev/null; then
			wait "$LB_PID" || true
			echo "---- siplb exited before ready; its stderr:"
			cat "$WORK/siplb.err"
			LB_PID=""
			return 1
		fi
		sleep 0.1
	done
	echo "---- siplb not ready after ${tmo}s; its stderr:"
	cat "$WORK/siplb.err"
	lb_stop || true
	return 1
}

# lb_stats: print siplb's counters (one JSON line) after SIGUSR1.
lb_stats() {
	local before i n
	[ -n "$LB_PID" ] || die "lb_stats: siplb not running"
	before=$(grep -c '^{' "$WORK/siplb.out" || true)
	kill -USR1 "$LB_PID"
	for ((i = 0; i < 50; i++)); do
		n=$(grep -c '^{' "$WORK/siplb.out" || true)
		if [ "$n" -gt "$before" ]; then
			grep '^{' "$WORK/siplb.out" | tail -n 1
			return 0
		fi
		sleep 0.1
	done
	die "siplb printed no counters within 5 s of SIGUSR1"
}

# lb_stop: SIGTERM, bounded wait, then SIGKILL. Returns siplb's exit status
# (137 if it had to be killed).
lb_stop() {
	local i rc=0
	[ -n "$LB_PID" ] || return 0
	kill -TERM "$LB_PID" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$LB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$LB_PID" 2>/dev/null; then
		log "siplb did not stop within 10 s of SIGTERM: SIGKILL"
		kill -KILL "$LB_PID" 2>/dev/null || true
	fi
	wait "$LB_PID" || rc=$?
	LB_PID=""
	return "$rc"
}

# jget JSON PATH: a counter from siplb's JSON ("drop.udp_bad_cksum"); 0 when
# the key is absent (siplb may leave zero counters out).
jget() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2].split('.'):
    v = v.get(k, 0) if isinstance(v, dict) else 0
print(v if isinstance(v, int) else 0)
EOF
}

# uas_start HOST [extra sipp args]: a sipp backend on HOST's address, port
# 5060 (scenario $UAS_SCEN, default uas.xml), logging every message it
# receives to $WORK/HOST.log.
uas_start() {
	local h=$1
	shift
	nsx "$h" sipp -sf "$SCEN_DIR/${UAS_SCEN:-uas.xml}" -i "${BE_IP[$h]}" -p 5060 \
		-trace_logs -log_file "$WORK/$h.log" \
		-trace_err -error_file "$WORK/$h.err.log" \
		-nostdin "$@" >"$WORK/$h.screen" 2>&1 </dev/null &
	: >"$WORK/$h.log"
}

# uas_up HOST...: a sipp backend on each HOST (scenario UAS_SCEN, default
# uas.xml), each waited for until it has its UDP socket.
uas_up() {
	local h
	for h in "$@"; do uas_start "$h"; done
	for h in "$@"; do uas_wait_bound "$h"; done
}

# uas_wait_bound HOST: wait (bounded) until HOST's sipp has its UDP socket.
uas_wait_bound() {
	local h=$1 i
	for ((i = 0; i < 50; i++)); do
		nsx "$h" ss -Hlun "sport = :5060" | grep -q . && return 0
		sleep 0.1
	done
	die "sipp on $h not listening on 5060 after 5 s"
}

# uas_stop HOST...: stop sipp backends so their logs are complete.
uas_stop() {
	local h pids i
	for h in "$@"; do
		pids=$(ip netns pids "$(ns_of "$h")" | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "${pids// /}" ] || kill -INT $pids 2>/dev/null || true
	done
	for h in "$@"; do
		for ((i = 0; i < 50; i++)); do
			[ -z "$(ip netns pids "$(ns_of "$h")")" ] && break
			sleep 0.1
		done
		pids=$(ip netns pids "$(ns_of "$h")" | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
	done
}

# uac_run NAME TARGET CALLS RATE [extra sipp args]: place calls from the
# client namespace (scenario $UAC_SCEN, default uac.xml); returns sipp's exit
# status. Statistics in $WORK/NAME.csv, errors in $WORK/NAME.err.log.
uac_run() {
	local name=$1 target=$2 calls=$3 rate=$4
	shift 4
	local tmo=$((calls / rate + 60))
	nsx client sipp -sf "$SCEN_DIR/${UAC_SCEN:-uac.xml}" -i "$CLIENT_IP" -p 5060 \
		-m "$calls" -r "$rate" -d 500 -l $((rate * 5)) \
		-timeout "${tmo}s" -timeout_error -max_retrans 5 \
		-trace_stat -stf "$WORK/$name.csv" -fd 1 \
		-trace_err -error_file "$WORK/$name.err.log" \
		-nostdin "$@" "$target" >"$WORK/$name.screen" 2>&1 </dev/null
}

# sipp_stat NAME FIELD: a cumulative counter from the last line of a sipp
# statistics file ("SuccessfulCall(C)", "FailedCall(C)").
sipp_stat() {
	python3 - "$WORK/$1.csv" "$2" <<'EOF'
import sys
lines = [l.rstrip('\r\n') for l in open(sys.argv[1]) if l.strip()]
hdr = lines[0].split(';')
last = lines[-1].split(';')
print(last[hdr.index(sys.argv[2])])
EOF
}

# check_calls NAME EXPECTED_CALLS SIPP_RC: sipp's verdict on a UAC run.
check_calls() {
	local name=$1 want=$2 rc=$3 ok fail
	ok=$(sipp_stat "$name" 'SuccessfulCall(C)')
	fail=$(sipp_stat "$name" 'FailedCall(C)')
	check "sipp ($name) exit status" 0 "$rc" "$([ "$rc" = 0 ] && echo 1 || echo 0)"
	check "sipp ($name) successful calls" "$want" "$ok" "$([ "$ok" = "$want" ] && echo 1 || echo 0)"
	check "sipp ($name) failed calls" 0 "$fail" "$([ "$fail" = 0 ] && echo 1 || echo 0)"
	if [ "$fail" != 0 ] && [ -s "$WORK/$name.err.log" ]; then
		echo "---- first lines of $WORK/$name.err.log"
		head -n 40 "$WORK/$name.err.log"
	fi
}

# check_shares "be1:w1 be2:w2 ..." TOLERANCE_POINTS [ALLCALLS [uaslogs.py
# options]]: read the UAS
# logs, check each backend's INVITE share against weight/sum, that every
# Call-ID's messages stay on one backend and (ALLCALLS=1) each call's INVITE,
# ACK and BYE all reached it.
check_shares() {
	local out specs
	read -ra specs <<<"$1"
	out=$(python3 "$INTEG_DIR/uaslogs.py" --dir "$WORK" --tolerance "$2" \
		--complete "${3:-1}" "${specs[@]}" "${@:4}") || TEST_FAILED=1
	printf '%s\n' "$out"
	grep -q '^FAIL' <<<"$out" && TEST_FAILED=1
	return 0
}

# ge WHAT MIN ACTUAL: check ACTUAL >= MIN.
ge() {
	check "$1" ">= $2" "$3" "$([ "$3" -ge "$2" ] && echo 1 || echo 0)"
}

# nonzero JSON: siplb's non-zero counters as "key=value ..." on one line.
nonzero() {
	python3 - "$1" <<'EOF'
import json, sys
out = []
def walk(p, v):
    if isinstance(v, dict):
        for k in v:
            walk(p + "." + k if p else k, v[k])
    elif v:
        out.append("%s=%s" % (p, v))
walk("", json.loads(sys.argv[1]))
print(" ".join(out))
EOF
}

# eq WHAT EXPECTED ACTUAL: check ACTUAL == EXPECTED (as strings).
eq() {
	check "$1" "$2" "$3" "$([ "$3" = "$2" ] && echo 1 || echo 0)"
}

# in_range WHAT LO HI ACTUAL: check LO <= ACTUAL <= HI.
in_range() {
	check "$1" "$2 .. $3" "$4" "$([ "$4" -ge "$2" ] && [ "$4" -le "$3" ] && echo 1 || echo 0)"
}

# delta PATH: how far counter PATH (as for jget) moved between the caller's
# two snapshots, the lb_stats lines in its variables $before and $after.
delta() {
	echo $(($(jget "$after" "$1") - $(jget "$before" "$1")))
}

# moved BEFORE AFTER [KEY...]: the drop.* and reply.* counters that moved
# between two lb_stats lines, as "drop.REASON+N reply.CODE+N ...", or "none".
# Ignored: the drops of the network's own background traffic (not IPv4, not
# for our address, ICMP other than echo) and the KEYs given ("reply.100",
# "drop.REASON"), the replies and drops a test expects.
moved() {
	python3 - "$@" <<'EOF'
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
allowed = {"drop.eth_type", "drop.ip_not_us", "drop.arp_not_us",
           "drop.icmp_other"} | set(sys.argv[3:])
out = []
for grp in ("drop", "reply"):
    for k, v in sorted(a.get(grp, {}).items()):
        d = v - b.get(grp, {}).get(k, 0)
        if d and grp + "." + k not in allowed:
            out.append("%s.%s+%d" % (grp, k, d))
print(" ".join(out) or "none")
EOF
}

# wait_idle TIMEOUT_S: poll siplb's counters (bounded: TIMEOUT_S seconds)
# until no stateful transaction is live; print the last JSON line (a test
# then checks its txn_live).
wait_idle() {
	local tmo=$1 t0=$SECONDS s
	while :; do
		s=$(lb_stats)
		[ "$(jget "$s" txn_live)" = 0 ] && break
		[ $((SECONDS - t0)) -lt "$tmo" ] || break
		sleep 0.2
	done
	printf '%s\n' "$s"
}

# uac_call NAME TARGET CALLS RATE [extra sipp args]: uac_run from $WORK
# (where sipp writes the files it names itself, such as -trace_rtt's); its
# exit status -> $UAC_RC, logged. With MID_S set, the UAC runs in the
# background and siplb's counters MID_S seconds into the run go to $MID.
uac_call() {
	local pid
	UAC_RC=0
	if [ -z "${MID_S:-}" ]; then
		(cd "$WORK" && uac_run "$@") || UAC_RC=$?
	else
		(cd "$WORK" && uac_run "$@") &
		pid=$!
		sleep "$MID_S"
		# shellcheck disable=SC2034  # for the caller
		MID=$(lb_stats)
		wait "$pid" || UAC_RC=$?
	fi
	log "sipp UAC exited with status $UAC_RC"
}

# sipp_row NAME INDEX: "messages retrans" of row INDEX (0 = first message of
# the scenario) in the last message table of the UAC's screen $WORK/NAME.screen.
sipp_row() {
	python3 - "$WORK/$1.screen" "$2" <<'EOF'
import re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
start = max(i for i, l in enumerate(lines) if "Messages  Retrans" in l)
rows = []
for l in lines[start + 1:]:
    if not l.strip():
        break
    rows.append(l)
m = re.match(r"^\s*\S+\s+(?:<-+|-+>)\s+(?:\S+-RTD\d+\s+)?(\d+)\s+(\d+)",
             rows[int(sys.argv[2])])
print("%s %s" % m.groups() if m else "? ?")
EOF
}

# py_checks ARG... <<'EOF' (python): run a python check script with ARGs as
# sys.argv[1:] and these defined: check(what, expected, actual, ok) (a
# verdict line as check prints), eg(list) ("N e.g. <smallest>") and
# result(name, value), which hands VALUE to the shell as ${PY_RESULT[NAME]}.
# Verdict and other lines are printed; a failed check, or the script
# failing, fails the test.
declare -gA PY_RESULT=()
py_checks() {
	local out line rc=0
	out=$({
		cat <<'EOF'
import sys
failed = False
def check(what, expected, actual, ok):
    global failed
    print("%s  %s: expected %s, got %s"
          % ("PASS" if ok else "FAIL", what, expected, actual))
    failed |= not ok
def eg(lst):
    lst = sorted(lst)
    return "%d%s" % (len(lst), (" e.g. " + lst[0]) if lst else "")
def result(name, value):
    print("=%s %s" % (name, value))
EOF
		cat
		echo 'sys.exit(1 if failed else 0)'
	} | python3 - "$@") || rc=$?
	[ "$rc" = 0 ] || TEST_FAILED=1
	PY_RESULT=()
	while IFS= read -r line; do
		case $line in
		=*)
			line=${line#=}
			# shellcheck disable=SC2034  # for the caller
			PY_RESULT[${line%% *}]=${line#* }
			;;
		*) printf '%s\n' "$line" ;;
		esac
	done <<<"$out"
}

# check_cancel_logs CALLS BRANCH_RE BRANCH_WHAT BE...: the backends' logs of
# CALLS cancelled calls (uas_cancel.xml: "<Call-ID> <METHOD> <top Via
# branch>" per request): every call logged, INVITEs at each BE, each Call-ID
# at one backend with exactly one INVITE, CANCEL and ACK, all three with one
# top-Via branch, which matches BRANCH_RE (siplb's, BRANCH_WHAT in words),
# and no branch shared by two calls.
check_cancel_logs() {
	py_checks "$WORK" "$@" <<'EOF'
import collections, os, re

work, calls, ours, what = (sys.argv[1], int(sys.argv[2]),
                           re.compile(sys.argv[3]), sys.argv[4])
bes = sys.argv[5:]
where = collections.defaultdict(set)       # Call-ID -> backends
methods = collections.defaultdict(collections.Counter)
branches = collections.defaultdict(set)    # Call-ID -> top-Via branches
per_be = collections.Counter()
bad_lines = 0
for be in bes:
    with open(os.path.join(work, be + ".log"), encoding="ascii",
              errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) != 3:
                bad_lines += 1
                continue
            cid, meth, br = p
            where[cid].add(be)
            methods[cid][meth] += 1
            branches[cid].add(br)
            if meth == "INVITE":
                per_be[be] += 1

check("unparsable backend log lines", 0, bad_lines, bad_lines == 0)
check("Call-IDs logged by the backends", calls, len(where), len(where) == calls)
for be in bes:
    check("INVITEs at %s" % be, "> 0", per_be[be], per_be[be] > 0)

split = ["%s at %s" % (c, ",".join(sorted(b)))
         for c, b in where.items() if len(b) > 1]
check("Call-IDs seen by more than one backend", 0, eg(split), not split)

want = {"INVITE": 1, "CANCEL": 1, "ACK": 1}
wrong = ["%s has %s" % (c, ",".join("%s*%d" % kv for kv in sorted(m.items())))
         for c, m in methods.items() if dict(m) != want]
check("calls without exactly one INVITE, CANCEL, ACK at their backend", 0,
      eg(wrong), not wrong)

differ = ["%s: %s" % (c, " ".join(sorted(b)))
          for c, b in branches.items() if len(b) != 1]
check("calls whose INVITE, CANCEL, ACK top-Via branches differ", 0,
      eg(differ), not differ)

foreign = ["%s: %s" % (c, br) for c, b in branches.items()
           for br in b if not ours.match(br)]
check("top-Via branches not %s" % what, 0, eg(foreign), not foreign)

owner = collections.defaultdict(set)       # branch -> Call-IDs
for c, b in branches.items():
    for br in b:
        owner[br].add(c)
shared = ["%s: %s" % (br, " ".join(sorted(cs)))
          for br, cs in owner.items() if len(cs) > 1]
check("branches shared by different calls", 0, eg(shared), not shared)
EOF
}

# check_lb_stop [WHEN]: stop siplb (lb_stop) and check it exited 0 (WHEN
# labels the verdict, e.g. "run 1").
# shellcheck disable=SC2120  # WHEN is optional
check_lb_stop() {
	local rc=0
	lb_stop || rc=$?
	eq "siplb exit status after SIGTERM${1:+ ($1)}" 0 "$rc"
}

# calls_test CONF CALLS RATE BE:WEIGHT...: the main job. Backends named in
# the list are started (sipp UAS), siplb from CONF (or none with DIRECT=1:
# the UAC then calls the first backend itself, to check the harness), the UAC
# places CALLS calls at RATE calls/s; then checks sipp's verdict, the shares
# (+/- 5 points of weight/sum) and per-call affinity from the UAS logs, and
# siplb's counters. The network must be up with those backends.
calls_test() {
	local conf=$1 calls=$2 rate=$3
	shift 3
	local spec=("$@") bes=() s h rc=0 target before after
	for s in "${spec[@]}"; do bes+=("${s%%:*}"); done
	uas_up "${bes[@]}"

	if [ "${DIRECT:-0}" = 1 ]; then
		log "DIRECT=1: no siplb, the UAC calls ${bes[0]} directly"
		target=${BE_IP[${bes[0]}]}:5060
		spec=("${bes[0]}:1")
	else
		if ! lb_start "$conf"; then
			[ "${SKIP_IF_NO_START:-0}" = 1 ] &&
				skip "siplb does not start with $conf here (stderr above)"
			die "siplb did not start from $conf"
		fi
		target=$LB_IP:5060
		before=$(lb_stats)
	fi

	log "placing $calls calls at $rate calls/s to $target"
	uac_run calls "$target" "$calls" "$rate" || rc=$?
	log "sipp UAC exited with status $rc"
	uas_stop "${bes[@]}"

	check_calls calls "$calls" "$rc"
	check_shares "${spec[*]}" 5 1

	[ "${DIRECT:-0}" = 1 ] && return 0
	after=$(lb_stats)
	log "siplb counters (non-zero): $(nonzero "$after")"
	ge "siplb sip_req.INVITE during the run" "$calls" "$(delta sip_req.INVITE)"
	ge "siplb fwd_req (INVITE+ACK+BYE per call)" $((3 * calls)) "$(delta fwd_req)"
	ge "siplb fwd_resp (100+180+200+200 per call)" $((4 * calls)) "$(delta fwd_resp)"
	local sum=0
	for h in "${bes[@]}"; do
		sum=$((sum + $(delta "fwd_backend.$h")))
	done
	ge "siplb fwd_backend summed over backends" $((3 * calls)) "$sum"
	check_lb_stop
	local final
	final=$(grep '^{' "$WORK/siplb.out" | tail -n 1 || true)
	check "siplb final JSON line on exit" "present" "$([ -n "$final" ] && echo present || echo absent)" \
		"$([ -n "$final" ] && [ "$final" != "$after" ] && echo 1 || echo 0)"
	return 0
}

# ---- siplbctl (control socket) helpers, used by t_ctl.sh and t_reload.sh.
# SIPLBCTL: the control client; the meson test env sets it, by hand it
# defaults to the one built next to siplb.
SIPLBCTL=${SIPLBCTL:-$(dirname "$SIPLB")/siplbctl}
CTL_SOCK=""         # the socket ctl talks to; set by ctl_conf
CTL_RC=0            # exit status of the last ctl

# ctl_conf SRC DST [SED_EXPR...]: gen_conf, plus control.socket moved to
# $WORK/ctl.sock (so no run shares /run/siplb/*.sock with another), which
# becomes CTL_SOCK.
ctl_conf() {
	local src=$1 dst=$2
	shift 2
	CTL_SOCK=$WORK/ctl.sock
	gen_conf "$src" "$dst" "s|^\([[:space:]]*socket[[:space:]]*=\).*|\1 \"$CTL_SOCK\";|" "$@"
	grep -q "\"$CTL_SOCK\"" "$dst" || die "ctl_conf: no control.socket line in $src"
}

# ctl ARG...: run siplbctl -s $CTL_SOCK (bounded: -t 10, and timeout 15)
# with ARGs; its stdout goes to $WORK/ctl.out, stderr to $WORK/ctl.err, its
# exit status to CTL_RC. Returns 0 whatever siplbctl said.
ctl() {
	[ -x "$SIPLBCTL" ] || die "siplbctl binary not found: $SIPLBCTL (set SIPLBCTL)"
	CTL_RC=0
	timeout 15 "$SIPLBCTL" -s "$CTL_SOCK" -t 10 "$@" \
		>"$WORK/ctl.out" 2>"$WORK/ctl.err" </dev/null || CTL_RC=$?
}

# ctl_expect RC ARG...: ctl ARG..., then check its exit status is RC (its
# output is shown when it is not).
ctl_expect() {
	local want=$1
	shift
	ctl "$@"
	eq "siplbctl $* exit status" "$want" "$CTL_RC"
	if [ "$CTL_RC" != "$want" ]; then
		sed 's/^/    out: /' "$WORK/ctl.out"
		sed 's/^/    err: /' "$WORK/ctl.err"
	fi
	return 0
}
