#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplb-bench calls over DPDK ports instead of kernel sockets.
#  1. --port memory: siplb's worker in the generator's process on an
#     in-memory port, two responders; stateless, then stateful: every call
#     completes, every INVITE reaches a responder once, the worker drops
#     nothing and (stateful) made one transaction per call; 1000
#     cancelled calls through the stateful worker (--flow cancel); 500 calls
#     that every backend refuses with 503 (--flow 503): stateful siplb
#     tries both and answers 500 itself.
#  2. --port af_packet: the caller on the client's veth and one responder
#     process answering for both backends (198.18.0.21 and .22) on be1's
#     veth, both in user space (their kernel addresses removed, so only the
#     generator answers ARP), through siplb on lb0: every call completes, and
#     siplb forwarded to both backend addresses.
#  3. --port af_xdp for the caller, the same run; skipped (logged) where the
#     af_xdp PMD cannot start here.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH=${SIPLB_BENCH:-$(dirname "$SIPLB")/bench/siplb-bench}
CALLS=${CALLS:-2000}
RATE=${RATE:-500}
[ -x "$BENCH" ] || die "siplb-bench not found: $BENCH (set SIPLB_BENCH)"

# check_uac NAME CALLS PORT [LAT]: the uac's JSON line: every call started
# and ok, its port, and latency LAT (default invite_200) measured.
check_uac() {
	local name=$1 calls=$2 port=$3 lat=${4:-invite_200}
	eq "siplb-bench uac ($name) exit status" 0 "$UAC_RC"
	py_checks "$WORK/$name.json" "$calls" "$port" "$lat" <<'EOF'
import json
lines = [l for l in open(sys.argv[1]) if l.strip()]
check("JSON lines printed", 1, len(lines), len(lines) == 1)
r = json.loads(lines[-1])
n = int(sys.argv[2])
check("port", sys.argv[3], r.get("port"), r.get("port") == sys.argv[3])
check("calls started", n, r["calls_started"], r["calls_started"] == n)
check("calls_ok", n, r["calls_ok"], r["calls_ok"] == n)
check("calls_failed", 0, r["calls_failed"], r["calls_failed"] == 0)
p = r["lat_ms"][sys.argv[4]]
check("%s p50 > 0" % sys.argv[4], "> 0", p["p50"], p["p50"] > 0)
EOF
}

# field FILE PREFIX KEY: KEY=value from the last stderr line starting PREFIX.
field() {
	grep "^$2" "$1" | tail -n 1 | tr ' ' '\n' | sed -n "s/^$3=//p"
}

net_up be1

# ---- 1. in memory ----
for mode in stateless stateful; do
	UAC_RC=0
	name=mem-$mode
	timeout 120 "$BENCH" calls --port memory --mode "$mode" --calls "$CALLS" \
		--rate "$RATE" >"$WORK/$name.json" 2>"$WORK/$name.err" </dev/null || UAC_RC=$?
	log "memory $mode: $(grep -E '^calls (responders|siplb worker)' "$WORK/$name.err" | tr '\n' ' ')"
	check_uac "$name" "$CALLS" memory
	eq "memory $mode: INVITEs at the responders" "$CALLS" \
		"$(field "$WORK/$name.err" 'calls responders' invites)"
	eq "memory $mode: BYEs at the responders" "$CALLS" \
		"$(field "$WORK/$name.err" 'calls responders' byes)"
	eq "memory $mode: siplb worker drops" 0 "$(field "$WORK/$name.err" 'calls siplb worker' drops)"
	if [ "$mode" = stateful ]; then
		eq "memory stateful: transactions created" "$CALLS" \
			"$(field "$WORK/$name.err" 'calls siplb worker' txn_created)"
	fi
done

# cancelled calls, stateful: siplb answers each CANCEL and relays it
UAC_RC=0
timeout 120 "$BENCH" calls --port memory --mode stateful --flow cancel --ring-ms 1000 \
	--calls 1000 --rate "$RATE" >"$WORK/mem-cancel.json" 2>"$WORK/mem-cancel.err" \
	</dev/null || UAC_RC=$?
check_uac mem-cancel 1000 memory cancel_487
eq "memory cancel: CANCELs at the responders" 1000 \
	"$(field "$WORK/mem-cancel.err" 'calls responders' cancels)"
eq "memory cancel: BYEs at the responders" 0 \
	"$(field "$WORK/mem-cancel.err" 'calls responders' byes)"
eq "memory cancel: siplb worker drops" 0 "$(field "$WORK/mem-cancel.err" 'calls siplb worker' drops)"

# every backend refuses with 503, stateful: siplb tries both, ACKs each
# 503 and answers the caller 500 itself (RFC 3261 §16.7 step 6)
UAC_RC=0
timeout 120 "$BENCH" calls --port memory --mode stateful --flow 503 --answer 503 \
	--calls 500 --rate "$RATE" >"$WORK/mem-503.json" 2>"$WORK/mem-503.err" \
	</dev/null || UAC_RC=$?
check_uac mem-503 500 memory invite_err
eq "memory 503: finals 500 (siplb's)" 500 "$(field "$WORK/mem-503.err" 'calls flow' 500)"
eq "memory 503: finals 503 passed up" 0 "$(field "$WORK/mem-503.err" 'calls flow' 503)"
eq "memory 503: INVITEs at the responders (both backends per call)" 1000 \
	"$(field "$WORK/mem-503.err" 'calls responders' invites)"
eq "memory 503: ACKs at the responders (siplb's, of each 503)" 1000 \
	"$(field "$WORK/mem-503.err" 'calls responders' acks)"

# ---- 2. af_packet: the caller and the responders in user space ----
ip -n "$(ns_of client)" addr flush dev eth0
ip -n "$(ns_of be1)" addr flush dev eth0
ctl_conf "$DEMO_CONF" "$WORK/lb.conf"
lb_start "$WORK/lb.conf" || die "siplb did not start"
before=$(lb_stats)

# not through nsx (a function: & would fork a shell that a TERM stops
# without reaching siplb-bench); ip netns exec execs the command itself
ip netns exec "$(ns_of be1)" "$BENCH" calls --role uas --port af_packet:eth0 --bind "${BE_IP[be1]}:5060" \
	--bind "${BE_IP[be2]}:5060" >"$WORK/uas.json" 2>"$WORK/uas.err" </dev/null &
UAS_PID=$!
for ((i = 0; i < 100; i++)); do
	grep -qs 'uas ready' "$WORK/uas.err" && break
	kill -0 "$UAS_PID" 2>/dev/null || { cat "$WORK/uas.err"; die "DPDK uas exited"; }
	sleep 0.1
done
grep -qs 'uas ready' "$WORK/uas.err" || die "DPDK uas not ready in 10 s"

# dpdk_uac NAME PORT: the caller on the client's eth0 through PORT.
dpdk_uac() {
	UAC_RC=0
	timeout 120 ip netns exec "$(ns_of client)" "$BENCH" calls --role uac --port "$2" \
		--bind "$CLIENT_IP:5060" --target "$LB_IP:5060" --calls "$CALLS" --rate "$RATE" \
		>"$WORK/$1.json" 2>"$WORK/$1.err" </dev/null || UAC_RC=$?
	log "uac over $2 exited $UAC_RC: $(grep '^calls port' "$WORK/$1.err" || true)"
}

dpdk_uac pkt af_packet:eth0
check_uac pkt "$CALLS" af_packet
after=$(lb_stats)
# INVITE, ACK and BYE of each call to its backend: both addresses had calls
in_range "siplb requests forwarded to be1 (198.18.0.21)" 3 $((3 * CALLS)) "$(delta fwd_backend.be1)"
in_range "siplb requests forwarded to be2 (198.18.0.22)" 3 $((3 * CALLS)) "$(delta fwd_backend.be2)"
be1_fwd=$(delta fwd_backend.be1)
be2_fwd=$(delta fwd_backend.be2)
eq "siplb requests forwarded to both" $((3 * CALLS)) $((${be1_fwd:-0} + ${be2_fwd:-0}))
RUNS=1

# ---- 3. af_xdp for the caller, where it runs ----
dpdk_uac xdp af_xdp:eth0
# exit status 3 is siplb-bench's "the port could not be opened"; anything
# else that goes wrong over af_xdp fails the test
if [ "$UAC_RC" = 3 ]; then
	log "af_xdp: the PMD does not start here, part 3 skipped: $(head -n 3 "$WORK/xdp.err" | tr '\n' ' ')"
else
	check_uac xdp "$CALLS" af_xdp
	RUNS=2
fi

# the responder is be1's only process: lib.sh's stop (INT, bounded, KILL)
uas_stop be1
wait "$UAS_PID" || true
py_checks "$WORK/uas.json" $((CALLS * RUNS)) <<'EOF'
import json
u = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1])
check("uas port", "af_packet", u.get("port"), u.get("port") == "af_packet")
check("uas INVITEs (every call of parts 2 and 3)", sys.argv[2], u["invites"],
      u["invites"] == int(sys.argv[2]))
check("uas ACKs == INVITEs", u["invites"], u["acks"], u["acks"] == u["invites"])
check("uas BYEs == INVITEs", u["invites"], u["byes"], u["byes"] == u["invites"])
EOF
check_lb_stop
finish
