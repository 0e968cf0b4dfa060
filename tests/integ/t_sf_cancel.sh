#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cancelled calls through siplb in stateful mode (conf/stateful.conf, be1..be3;
# scenarios uac_cancel.xml, uas_cancel.xml as in t_cancel.sh). The client
# sends INVITE, waits for 180, CANCELs, gets 200 (CANCEL) and 487 (INVITE),
# ACKs the 487. A stateful proxy (RFC 3261 §16.10, §9.2) answers the CANCEL
# with 200 itself, sends its own CANCEL to the backend with the branch of its
# INVITE try, absorbs the backend's 200 to that CANCEL, passes the 487 up,
# ACKs the 487 hop by hop itself (§17.1.1.3) and absorbs the client's ACK.
# Checks:
#  - sipp's verdict: every call got 200 for the CANCEL and 487 for the INVITE;
#    the UAC saw one 100 per call (siplb's; the backend's is absorbed) and
#    one 200 for each CANCEL (the backend's is absorbed), repeats only as
#    many as its own retransmissions of INVITE / CANCEL;
#  - the backends' logs ("<Call-ID> <METHOD> <top Via branch>"): per Call-ID
#    exactly one INVITE, one CANCEL and one ACK, at one backend, all with one
#    branch, siplb's first try "z9hG4bKslb<16 hex>.0"; no two calls share it;
#  - siplb's counters: txn_cancels == calls, reply.200 >= calls (its answers
#    to the CANCELs), ack_absorbed >= calls (the client's ACKs of the 487s),
#    txn_resp_absorbed >= 2 * calls (backend 100 and 200 to the CANCEL),
#    txn_created == calls, txn_live back to 0 after wait_ms.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-200}
RATE=${RATE:-40}
CONF=${CONF:-$SIPLB_SRC/conf/stateful.conf}
BES=(be1 be2 be3)

net_up "${BES[@]}"
UAS_SCEN=uas_cancel.xml uas_up "${BES[@]}"
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

log "placing $CALLS cancelled calls at $RATE calls/s to $LB_IP:5060"
UAC_SCEN=uac_cancel.xml uac_call cancel "$LB_IP:5060" "$CALLS" "$RATE"
after=$(wait_idle 15)
uas_stop "${BES[@]}"
check_calls cancel "$CALLS" "$UAC_RC"

# uac_cancel.xml rows: 0 INVITE, 1 100, 2 180, 3 CANCEL, 4 200, 5 487, 6 ACK.
# sipp counts a second, different response of a call under Messages, an
# identical one under Retrans. One 100 per call (siplb's; a forwarded
# backend 100 would add one per call) and one 200 per CANCEL (siplb's; a
# forwarded backend 200 would add one), plus one per retransmission of the
# INVITE / CANCEL at most.
read -r _ inv_rt <<<"$(sipp_row cancel 0)"
read -r n100 r100 <<<"$(sipp_row cancel 1)"
read -r _ can_rt <<<"$(sipp_row cancel 3)"
read -r n200 r200 <<<"$(sipp_row cancel 4)"
in_range "UAC 100 Trying received (messages + retrans)" "$CALLS" $((CALLS + inv_rt)) \
	$((n100 + r100))
in_range "UAC 200 for the CANCEL received (messages + retrans)" "$CALLS" $((CALLS + can_rt)) \
	$((n200 + r200))

check_cancel_logs "$CALLS" '^z9hG4bKslb[0-9a-f]{16}\.0$' \
	"siplb's first try (z9hG4bKslb + 16 hex + .0)" "${BES[@]}"

log "siplb counters (non-zero): $(nonzero "$after")"
eq "siplb txn_live after the run" 0 "$(jget "$after" txn_live)"
eq "siplb txn_created (one per INVITE)" "$CALLS" "$(delta txn_created)"
eq "siplb txn_cancels (CANCELs matched, answered 200)" "$CALLS" "$(delta txn_cancels)"
ge "siplb reply.200 (its 200 to each CANCEL)" "$CALLS" "$(delta reply.200)"
ge "siplb ack_absorbed (the client's ACK of each 487)" "$CALLS" "$(delta ack_absorbed)"
ge "siplb txn_resp_absorbed (backend 100 and 200 to siplb's CANCEL)" $((2 * CALLS)) \
	"$(delta txn_resp_absorbed)"
r=$(delta txn_retrans_absorbed)
in_range "siplb reply.100 (its 100 per INVITE; resent only on INVITE retransmissions)" \
	"$CALLS" $((CALLS + r)) "$(delta reply.100)"
ge "siplb sip_req.CANCEL" "$CALLS" "$(delta sip_req.CANCEL)"
ge "siplb sip_resp.4xx (487 to each INVITE)" "$CALLS" "$(delta sip_resp.4xx)"
for k in txn_failover_timeout txn_failover_503 txn_failover_code txn_timeouts \
	txn_table_full reply.487 reply.503 reply.408; do
	eq "siplb $k" 0 "$(delta "$k")"
done

check_lb_stop
finish
