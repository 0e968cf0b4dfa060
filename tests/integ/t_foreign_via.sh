#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A response whose top Via is not siplb's is dropped and counted
# (drop.resp_foreign_via); nothing reaches a backend or the sender (the
# response's second Via points back at the sender).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20
net_up be1 be2
listeners=()
lb_start "$DEMO_CONF" || die "siplb did not start"
for h in be1 be2; do
	nsx "$h" python3 "$INTEG_DIR/udp.py" listen --addr "${BE_IP[$h]}" --port 5060 \
		--seconds 6 --ready "$WORK/$h.ready" >"$WORK/$h.listen" &
	listeners+=("$!")
done
for ((i = 0; i < 50; i++)); do
	[ -e "$WORK/be1.ready" ] && [ -e "$WORK/be2.ready" ] && break
	sleep 0.1
done
if ! [ -e "$WORK/be1.ready" ] || ! [ -e "$WORK/be2.ready" ]; then
	die "UDP listeners on the backends not ready after 5 s"
fi
before=$(lb_stats)
out=$(nsx client python3 "$INTEG_DIR/udp.py" send --src "$CLIENT_IP" --sport 5070 \
	--dst "$LB_IP" --kinds foreignvia --count "$N" --wait 2)
log "sender: $out"
after=$(lb_stats)
wait "${listeners[@]}"
ge "siplb drop.resp_foreign_via" "$N" \
	$(($(jget "$after" drop.resp_foreign_via) - $(jget "$before" drop.resp_foreign_via)))
d=$(($(jget "$after" fwd_resp) - $(jget "$before" fwd_resp)))
check "siplb fwd_resp during the run" 0 "$d" "$([ "$d" = 0 ] && echo 1 || echo 0)"
n=$(python3 -c 'import json,sys; print(sum(json.loads(sys.argv[1])["replies"].values()))' "$out")
check "datagrams back at the sender" 0 "$n" "$([ "$n" = 0 ] && echo 1 || echo 0)"
for h in be1 be2; do
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["received"])' "$WORK/$h.listen")
	check "datagrams received by $h" 0 "$n" "$([ "$n" = 0 ] && echo 1 || echo 0)"
done
finish
