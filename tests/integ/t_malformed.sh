#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# While 1000 calls run at 100 calls/s, a bounded burst of malformed datagrams
# (N of each kind, see udp.py) hits siplb: the calls all complete, the drop
# counters of each kind rise, SIP/3.0 gets 505, a request without Call-ID
# gets 400, and nothing malformed reaches a backend.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20
CALLS=${CALLS:-1000}
KINDS=garbage,empty,truncated,badstart,sip3,clen,nocallid,badcksum
net_up be1 be2
uas_up be1 be2
lb_start "$DEMO_CONF" || die "siplb did not start"
before=$(lb_stats)

uac_run calls "$LB_IP:5060" "$CALLS" 100 &
uac=$!
sleep 2
log "sending $N datagrams of each kind: $KINDS"
out=$(nsx client python3 "$INTEG_DIR/udp.py" send --src "$CLIENT_IP" --sport 5070 \
	--dst "$LB_IP" --kinds "$KINDS" --count "$N" --gap-ms 5 --wait 2)
log "sender: $out"
rc=0
wait "$uac" || rc=$?
log "sipp UAC exited with status $rc"
after=$(lb_stats)
uas_stop be1 be2

check_calls calls "$CALLS" "$rc"
check_shares "be1:1 be2:1" 5 1 --expect-none bad-

reply_got() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])["replies"].get(sys.argv[2], 0))' "$out" "$1"
}
log "drop counters that moved:"
python3 - "$before" "$after" <<'PY'
import json, sys
b, a = (json.loads(x) for x in sys.argv[1:3])
for k, v in sorted(a.get("drop", {}).items()):
    d = v - b.get("drop", {}).get(k, 0)
    if d:
        print("      drop.%s +%d" % (k, d))
for k, v in sorted(a.get("reply", {}).items()):
    d = v - b.get("reply", {}).get(k, 0)
    if d:
        print("      reply.%s +%d" % (k, d))
PY
ge "siplb drop.udp_bad_cksum (bad UDP checksum)" "$N" "$(delta drop.udp_bad_cksum)"
ge "siplb drop.sip_start_line (bad start line)" "$N" "$(delta drop.sip_start_line)"
ge "siplb drop.sip_version (SIP/3.0)" "$N" "$(delta drop.sip_version)"
ge 'siplb reply."505" (SIP/3.0)' "$N" "$(delta reply.505)"
ge "505 responses received by the sender" "$N" "$(reply_got 505)"
ge "siplb drop.sip_clen_short (Content-Length too large)" "$N" "$(delta drop.sip_clen_short)"
ge 'siplb reply."400" (no Call-ID)' "$N" "$(delta reply.400)"
ge "400 responses received by the sender" "$N" "$(reply_got 400)"
# garbage, empty, truncated, badstart, sip3, clen, badcksum: never forwarded.
ge "siplb drops_total" $((7 * N)) "$(delta drops_total)"
finish
