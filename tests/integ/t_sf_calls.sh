#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Normal calls through siplb in stateful mode, two runs of sipp uac.xml
# (INVITE, 100, 180, 200, ACK, BYE, 200) against sipp uas.xml backends:
#  1. conf/stateful.conf (one worker), 1000 calls at 200 calls/s over be1..be3:
#     0 failed; each backend's share of INVITEs 1/3 (+/- 5 points, or the
#     binomial rule of uaslogs.py); every message of a call at the backend
#     that got its INVITE, which saw INVITE, ACK and BYE; one transaction per
#     call (txn_created), each ended with a final upstream (txn_completed) and
#     gone wait_ms later (txn_live back to 0); siplb's own 100 Trying once per
#     call (reply.100) and the backends' 100s absorbed, never forwarded: the
#     UAC's 100 row shows one 100 per call and no more 100s than it
#     retransmitted INVITEs (siplb resends its last provisional only then).
#     No failover, no timeout.
#  2. conf/stateful-two-workers.conf (two workers on two af_packet queues),
#     1000 calls over be1, be2, the UAC with one socket per call so that the
#     kernel's flow hash spreads requests over both queues: 0 failed, shares,
#     affinity; messages arriving at the worker that does not own their
#     Call-ID were handed to the owner (handoff_out > 0) and every one of
#     them arrived (handoff_in == handoff_out, drop.handoff_full == 0);
#     txn_live back to 0.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-1000}
RATE=${RATE:-200}
CONF1=${CONF1:-$SIPLB_SRC/conf/stateful.conf}
CONF2=${CONF2:-$SIPLB_SRC/conf/stateful-two-workers.conf}

# eqc WHAT EXPECTED ACTUAL: check ACTUAL == EXPECTED.
eqc() {
	check "$1" "$2" "$3" "$([ "$3" = "$2" ] && echo 1 || echo 0)"
}

# wait_idle: poll siplb's counters (bounded: 15 s; wait_ms is 2 s) until no
# transaction is live; print the last JSON line.
wait_idle() {
	local i s
	for ((i = 0; i < 60; i++)); do
		s=$(lb_stats)
		[ "$(jget "$s" txn_live)" = 0 ] && break
		sleep 0.25
	done
	printf '%s\n' "$s"
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

# run_checks LABEL CALLS BEFORE AFTER: the stateful counters common to both runs.
run_checks() {
	local l=$1 n=$2 b=$3 a=$4 k
	delta() { echo $(($(jget "$a" "$1") - $(jget "$b" "$1"))); }
	log "siplb counters after the $l run (non-zero): $(nonzero "$a")"
	eqc "siplb txn_live after the $l run" 0 "$(jget "$a" txn_live)"
	eqc "siplb txn_created ($l): one transaction per INVITE" "$n" "$(delta txn_created)"
	eqc "siplb txn_completed ($l): a final upstream per transaction" "$n" "$(delta txn_completed)"
	k=$(delta txn_retrans_absorbed)
	check "siplb reply.100 ($l): its 100 per INVITE, resent only on INVITE retransmissions" \
		"$n .. $((n + k))" "$(delta reply.100)" \
		"$([ "$(delta reply.100)" -ge "$n" ] && [ "$(delta reply.100)" -le $((n + k)) ] && echo 1 || echo 0)"
	ge "siplb txn_resp_absorbed ($l): the backends' 100s at least" "$n" "$(delta txn_resp_absorbed)"
	ge "siplb sip_req.INVITE ($l)" "$n" "$(delta sip_req.INVITE)"
	for k in txn_failover_timeout txn_failover_503 txn_failover_code txn_timeouts \
		txn_table_full reply.503 reply.408; do
		eqc "siplb $k ($l)" 0 "$(delta "$k")"
	done
}

# uac_100_check NAME CALLS: the UAC's 100 row (index 1 of uac.xml). sipp
# counts a second, different 100 of a call under Messages, an identical one
# under Retrans: with siplb's 100 alone the sum is one per call, plus one per
# INVITE retransmission at most (siplb resends its last provisional then); a
# forwarded backend 100 would add one per call.
uac_100_check() {
	local inv r100 n
	read -r _ inv <<<"$(sipp_row "$1" 0)"
	r100=$(sipp_row "$1" 1)
	n=$((${r100% *} + ${r100#* }))
	check "UAC ($1) 100 Trying received (messages + retrans)" \
		"$2 .. $(($2 + inv)) ($inv INVITE retransmissions)" "$n" \
		"$([ "$n" -ge "$2" ] && [ "$n" -le $(($2 + inv)) ] && echo 1 || echo 0)"
}

net_up be1 be2 be3

# ---- run 1: one worker, three backends
log "run 1: $CONF1, $CALLS calls at $RATE calls/s over be1..be3"
uas_up be1 be2 be3
lb_start "$CONF1" || die "siplb did not start from $CONF1"
before=$(lb_stats)
rc=0
uac_run calls1 "$LB_IP:5060" "$CALLS" "$RATE" || rc=$?
log "sipp UAC exited with status $rc"
after=$(wait_idle)
uas_stop be1 be2 be3
check_calls calls1 "$CALLS" "$rc"
uac_100_check calls1 "$CALLS"
check_shares "be1:1 be2:1 be3:1" 5 1
run_checks "one-worker" "$CALLS" "$before" "$after"
sum=0
for h in be1 be2 be3; do
	sum=$((sum + $(jget "$after" "fwd_backend.$h") - $(jget "$before" "fwd_backend.$h")))
done
ge "siplb fwd_backend summed (INVITE+ACK+BYE per call)" $((3 * CALLS)) "$sum"
rc=0
lb_stop || rc=$?
eqc "siplb exit status after SIGTERM (run 1)" 0 "$rc"
mkdir "$WORK/run1"
mv "$WORK"/be[123].* "$WORK/run1/"

# ---- run 2: two workers, handoff to the Call-ID's owner
log "run 2: $CONF2, $CALLS calls at $RATE calls/s over be1, be2, one socket per call"
uas_up be1 be2
lb_start "$CONF2" || die "siplb did not start from $CONF2"
nw=$(sed -n 's/.*siplb: ready: .* \([0-9]*\) worker(s).*/\1/p' "$WORK/siplb.err")
eqc "siplb workers (ready line, run 2)" 2 "${nw:-none}"
before=$(lb_stats)
rc=0
uac_run calls2 "$LB_IP:5060" "$CALLS" "$RATE" -t un -max_socket 4096 || rc=$?
log "sipp UAC exited with status $rc"
after=$(wait_idle)
uas_stop be1 be2
check_calls calls2 "$CALLS" "$rc"
uac_100_check calls2 "$CALLS"
check_shares "be1:1 be2:1" 5 1
run_checks "two-worker" "$CALLS" "$before" "$after"
hout=$(($(jget "$after" handoff_out) - $(jget "$before" handoff_out)))
hin=$(($(jget "$after" handoff_in) - $(jget "$before" handoff_in)))
check "siplb handoff_out (messages at the non-owner worker)" "> 0" "$hout" \
	"$([ "$hout" -gt 0 ] && echo 1 || echo 0)"
eqc "siplb handoff_in (all handed messages taken by the owner)" "$hout" "$hin"
eqc "siplb drop.handoff_full" 0 "$(jget "$after" drop.handoff_full)"
rc=0
lb_stop || rc=$?
eqc "siplb exit status after SIGTERM (run 2)" 0 "$rc"
finish
