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
rc=0
UAC_SCEN=uac_cancel.xml uac_run cancel "$LB_IP:5060" "$CALLS" "$RATE" || rc=$?
log "sipp UAC exited with status $rc"
after=$(lb_stats)
uas_stop be1 be2
check_calls cancel "$CALLS" "$rc"

# The backends' logs: "<Call-ID> <METHOD> <top Via branch>" per request.
out=$(python3 - "$WORK" "$CALLS" be1 be2 <<'EOF'
import collections, os, re, sys

work, calls, bes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
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

failed = False
def check(what, expected, actual, ok):
    global failed
    print("%s  %s: expected %s, got %s"
          % ("PASS" if ok else "FAIL", what, expected, actual))
    failed |= not ok

def eg(lst):
    return "%d%s" % (len(lst), (" e.g. " + lst[0]) if lst else "")

check("unparsable backend log lines", 0, bad_lines, bad_lines == 0)
check("Call-IDs logged by the backends", calls, len(where), len(where) == calls)
for be in bes:
    check("INVITEs at %s" % be, "> 0", per_be[be], per_be[be] > 0)

split = sorted("%s at %s" % (c, ",".join(sorted(b)))
               for c, b in where.items() if len(b) > 1)
check("Call-IDs seen by more than one backend", 0, eg(split), not split)

want = {"INVITE": 1, "CANCEL": 1, "ACK": 1}
wrong = sorted("%s has %s" % (c, ",".join("%s*%d" % kv
                                          for kv in sorted(m.items())))
               for c, m in methods.items() if dict(m) != want)
check("calls without exactly one INVITE, CANCEL, ACK at their backend", 0,
      eg(wrong), not wrong)

differ = sorted("%s: %s" % (c, " ".join(sorted(b)))
                for c, b in branches.items() if len(b) != 1)
check("calls whose INVITE, CANCEL, ACK top-Via branches differ", 0,
      eg(differ), not differ)

ours = re.compile(r"^z9hG4bKslb[0-9a-f]{16}$")
foreign = sorted("%s: %s" % (c, br) for c, b in branches.items()
                 for br in b if not ours.match(br))
check("top-Via branches not siplb's (z9hG4bKslb + 16 hex)", 0,
      eg(foreign), not foreign)

owner = collections.defaultdict(set)       # branch -> Call-IDs
for c, b in branches.items():
    for br in b:
        owner[br].add(c)
shared = sorted("%s: %s" % (br, " ".join(sorted(cs)))
                for br, cs in owner.items() if len(cs) > 1)
check("branches shared by different calls", 0, eg(shared), not shared)
sys.exit(1 if failed else 0)
EOF
) || TEST_FAILED=1
printf '%s\n' "$out"

log "siplb counters (non-zero): $(nonzero "$after")"
delta() { echo $(($(jget "$after" "$1") - $(jget "$before" "$1"))); }
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
moved=$(python3 - "$before" "$after" <<'EOF'
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
noise = {"eth_type", "ip_not_us", "arp_not_us", "icmp_other"}
out = []
for k, v in sorted(a.get("drop", {}).items()):
    d = v - b.get("drop", {}).get(k, 0)
    if d and k not in noise:
        out.append("drop.%s+%d" % (k, d))
for k, v in sorted(a.get("reply", {}).items()):
    d = v - b.get("reply", {}).get(k, 0)
    if d:
        out.append("reply.%s+%d" % (k, d))
print(" ".join(out) or "none")
EOF
)
check "siplb drops (other than background traffic) and own replies during the run" \
	none "$moved" "$([ "$moved" = none ] && echo 1 || echo 0)"

rc=0
lb_stop || rc=$?
check "siplb exit status after SIGTERM" 0 "$rc" "$([ "$rc" = 0 ] && echo 1 || echo 0)"
finish
