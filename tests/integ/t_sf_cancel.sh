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

# in_range WHAT LO HI ACTUAL: check LO <= ACTUAL <= HI.
in_range() {
	check "$1" "$2 .. $3" "$4" "$([ "$4" -ge "$2" ] && [ "$4" -le "$3" ] && echo 1 || echo 0)"
}

net_up "${BES[@]}"
UAS_SCEN=uas_cancel.xml uas_up "${BES[@]}"
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

log "placing $CALLS cancelled calls at $RATE calls/s to $LB_IP:5060"
rc=0
UAC_SCEN=uac_cancel.xml uac_run cancel "$LB_IP:5060" "$CALLS" "$RATE" || rc=$?
log "sipp UAC exited with status $rc"
after=$(wait_idle)
uas_stop "${BES[@]}"
check_calls cancel "$CALLS" "$rc"

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

# The backends' logs: "<Call-ID> <METHOD> <top Via branch>" per request.
out=$(python3 - "$WORK" "$CALLS" "${BES[@]}" <<'EOF'
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

ours = re.compile(r"^z9hG4bKslb[0-9a-f]{16}\.0$")
foreign = sorted("%s: %s" % (c, br) for c, b in branches.items()
                 for br in b if not ours.match(br))
check("top-Via branches not siplb's first try (z9hG4bKslb + 16 hex + .0)", 0,
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
eqc "siplb txn_live after the run" 0 "$(jget "$after" txn_live)"
eqc "siplb txn_created (one per INVITE)" "$CALLS" "$(delta txn_created)"
eqc "siplb txn_cancels (CANCELs matched, answered 200)" "$CALLS" "$(delta txn_cancels)"
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
	eqc "siplb $k" 0 "$(delta "$k")"
done

rc=0
lb_stop || rc=$?
eqc "siplb exit status after SIGTERM" 0 "$rc"
finish
