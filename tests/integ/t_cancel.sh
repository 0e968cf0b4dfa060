#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cancelled calls through siplb in stateless mode (conf/demo.conf), RFC 3261
# §16.11: the client sends INVITE, waits for 180, CANCELs, gets 200 (CANCEL)
# and 487 (INVITE), ACKs the 487 (scenarios uac_cancel.xml, uas_cancel.xml).
# The CANCEL and that ACK carry the INVITE's top Via (§9.1, §17.1.1.3), so a
# stateless proxy must give all three the same branch of its own, or the
# backend could not match the CANCEL and the ACK to the INVITE transaction.
# Checks: every call succeeds; per Call-ID, INVITE, CANCEL and ACK reach one
# backend with one top-Via branch, siplb's ("z9hG4bKslb" + 16 hex); no two
# calls share a branch; siplb's counters; no SIP drops.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-200}
RATE=${RATE:-20}

net_up be1 be2
UAS_SCEN=uas_cancel.xml uas_up be1 be2
lb_start "$DEMO_CONF" || die "siplb did not start"
before=$(lb_stats)

log "placing $CALLS cancelled calls at $RATE calls/s to $LB_IP:5060"
UAC_SCEN=uac_cancel.xml uac_call cancel "$LB_IP:5060" "$CALLS" "$RATE"
after=$(lb_stats)
uas_stop be1 be2
check_calls cancel "$CALLS" "$UAC_RC"

check_cancel_logs "$CALLS" '^z9hG4bKslb[0-9a-f]{16}$' \
	"siplb's (z9hG4bKslb + 16 hex)" be1 be2

log "siplb counters (non-zero): $(nonzero "$after")"
ge "siplb sip_req.INVITE" "$CALLS" "$(delta sip_req.INVITE)"
ge "siplb sip_req.CANCEL" "$CALLS" "$(delta sip_req.CANCEL)"
ge "siplb sip_req.ACK" "$CALLS" "$(delta sip_req.ACK)"
ge "siplb sip_resp.1xx (100+180 per call)" $((2 * CALLS)) "$(delta sip_resp.1xx)"
ge "siplb sip_resp.2xx (200 to each CANCEL)" "$CALLS" "$(delta sip_resp.2xx)"
ge "siplb sip_resp.4xx (487 to each INVITE)" "$CALLS" "$(delta sip_resp.4xx)"
ge "siplb fwd_req (INVITE+CANCEL+ACK per call)" $((3 * CALLS)) "$(delta fwd_req)"
ge "siplb fwd_resp (100+180+200+487 per call)" $((4 * CALLS)) "$(delta fwd_resp)"

# siplb must forward every message of these calls: no drop that a SIP
# message could cause, and no answer of its own (a stateless proxy forwards
# CANCEL like any request). Drops of the network's own background traffic
# (not for our address, not IPv4) are not the calls' business.
eq "siplb drops (other than background traffic) and own replies during the run" \
	none "$(moved "$before" "$after")"

check_lb_stop
finish
