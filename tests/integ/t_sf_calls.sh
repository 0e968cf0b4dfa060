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

# run_checks LABEL CALLS: the stateful counters common to both runs, between
# the snapshots $before and $after.
run_checks() {
	local l=$1 n=$2 k
	log "siplb counters after the $l run (non-zero): $(nonzero "$after")"
	eq "siplb txn_live after the $l run" 0 "$(jget "$after" txn_live)"
	eq "siplb txn_created ($l): one transaction per INVITE" "$n" "$(delta txn_created)"
	eq "siplb txn_completed ($l): a final upstream per transaction" "$n" "$(delta txn_completed)"
	k=$(delta txn_retrans_absorbed)
	in_range "siplb reply.100 ($l): its 100 per INVITE, resent only on INVITE retransmissions" \
		"$n" $((n + k)) "$(delta reply.100)"
	ge "siplb txn_resp_absorbed ($l): the backends' 100s at least" "$n" "$(delta txn_resp_absorbed)"
	ge "siplb sip_req.INVITE ($l)" "$n" "$(delta sip_req.INVITE)"
	for k in txn_failover_timeout txn_failover_503 txn_failover_code txn_timeouts \
		txn_table_full reply.503 reply.408; do
		eq "siplb $k ($l)" 0 "$(delta "$k")"
	done
}

# uac_100_check NAME CALLS: the UAC's 100 row (index 1 of uac.xml). sipp
# counts a second, different 100 of a call under Messages, an identical one
# under Retrans: with siplb's 100 alone the sum is one per call, plus one per
# INVITE retransmission at most (siplb resends its last provisional then); a
# forwarded backend 100 would add one per call.
uac_100_check() {
	local inv n100 r100
	read -r _ inv <<<"$(sipp_row "$1" 0)"
	read -r n100 r100 <<<"$(sipp_row "$1" 1)"
	in_range "UAC ($1) 100 Trying received (messages + retrans; $inv INVITE retransmissions)" \
		"$2" $(($2 + inv)) $((n100 + r100))
}

net_up be1 be2 be3

# ---- run 1: one worker, three backends
log "run 1: $CONF1, $CALLS calls at $RATE calls/s over be1..be3"
uas_up be1 be2 be3
lb_start "$CONF1" || die "siplb did not start from $CONF1"
before=$(lb_stats)
uac_call calls1 "$LB_IP:5060" "$CALLS" "$RATE"
after=$(wait_idle 15)
uas_stop be1 be2 be3
check_calls calls1 "$CALLS" "$UAC_RC"
uac_100_check calls1 "$CALLS"
check_shares "be1:1 be2:1 be3:1" 5 1
run_checks "one-worker" "$CALLS"
sum=0
for h in be1 be2 be3; do
	sum=$((sum + $(delta "fwd_backend.$h")))
done
ge "siplb fwd_backend summed (INVITE+ACK+BYE per call)" $((3 * CALLS)) "$sum"
check_lb_stop "run 1"
mkdir "$WORK/run1"
mv "$WORK"/be[123].* "$WORK/run1/"

# ---- run 2: two workers, handoff to the Call-ID's owner
log "run 2: $CONF2, $CALLS calls at $RATE calls/s over be1, be2, one socket per call"
uas_up be1 be2
lb_start "$CONF2" || die "siplb did not start from $CONF2"
nw=$(sed -n 's/.*siplb: ready: .* \([0-9]*\) worker(s).*/\1/p' "$WORK/siplb.err")
eq "siplb workers (ready line, run 2)" 2 "${nw:-none}"
before=$(lb_stats)
uac_call calls2 "$LB_IP:5060" "$CALLS" "$RATE" -t un -max_socket 4096
after=$(wait_idle 15)
uas_stop be1 be2
check_calls calls2 "$CALLS" "$UAC_RC"
uac_100_check calls2 "$CALLS"
check_shares "be1:1 be2:1" 5 1
run_checks "two-worker" "$CALLS"
hout=$(delta handoff_out)
check "siplb handoff_out (messages at the non-owner worker)" "> 0" "$hout" \
	"$([ "$hout" -gt 0 ] && echo 1 || echo 0)"
eq "siplb handoff_in (all handed messages taken by the owner)" "$hout" "$(delta handoff_in)"
eq "siplb drop.handoff_full" 0 "$(jget "$after" drop.handoff_full)"
check_lb_stop "run 2"
finish
