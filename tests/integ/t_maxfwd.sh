#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# An INVITE with Max-Forwards: 0 gets 483 from siplb (RFC 3261 §16.3 step 3);
# siplb counts reply."483"; no backend sees any message of those calls.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=3
net_up be1 be2
uas_up be1 be2
lb_start "$DEMO_CONF" || die "siplb did not start"
before=$(lb_stats)
rc=0
UAC_SCEN=uac_maxfwd0.xml uac_run mf0 "$LB_IP:5060" "$N" 10 || rc=$?
sleep 0.5
after=$(lb_stats)
uas_stop be1 be2
check_calls mf0 "$N" "$rc"
ge 'siplb reply."483"' "$N" $(($(jget "$after" reply.483) - $(jget "$before" reply.483)))
ge 'siplb drop.sip_max_fwd_zero' "$N" \
	$(($(jget "$after" drop.sip_max_fwd_zero) - $(jget "$before" drop.sip_max_fwd_zero)))
for h in be1 be2; do
	n=$(wc -l <"$WORK/$h.log")
	check "messages logged by $h" 0 "$n" "$([ "$n" = 0 ] && echo 1 || echo 0)"
done
d=$(($(jget "$after" fwd_req) - $(jget "$before" fwd_req)))
check "siplb fwd_req during the run" 0 "$d" "$([ "$d" = 0 ] && echo 1 || echo 0)"
finish
