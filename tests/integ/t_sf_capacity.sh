#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stateful mode with a full transaction table: conf/stateful.conf with
# capacity 100 (one worker), 300 INVITEs in about a second while the
# backends (sf1_uas_hold.xml) hold every call 4 s before its 200, so all are
# pending together. siplb keeps 100 transactions and answers the others
# itself: 503 Service Unavailable with Retry-After: <retry_after_s> (5),
# stateless; the caller ACKs each 503 (sf1_uac_503.xml) and siplb absorbs
# those ACKs. Checks: every call ends as the UAC scenario allows (sipp: 0
# failed; a 503 without a numeric Retry-After fails the call); >= 190 calls
# got 503, all with Retry-After 5, the others (<= 100, the capacity) were
# answered 200 and have INVITE, ACK, BYE at one backend, no 503'd Call-ID
# reached any backend (neither its INVITE nor its ACK); mid-run txn_live is
# the number of accepted calls; siplb's txn_table_full and reply.503 = the
# 503s the UAC saw, ack_absorbed = the ACKs it sent for them; siplb still
# answers (counters) afterwards, no unexpected drop, txn_live back to 0
# within 10 s after the traffic.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=300
RATE=300
CAPACITY=100
RETRY_AFTER=5       # stateful.retry_after_s in conf/stateful.conf
BES=(be1 be2 be3)

net_up "${BES[@]}"
conf=$WORK/capacity.conf
gen_conf "$SIPLB_SRC/conf/stateful.conf" "$conf" \
	"s/capacity = 4096;/capacity = $CAPACITY;/"
grep -q "capacity = $CAPACITY;" "$conf" || die "could not set capacity in $conf"
UAS_SCEN=sf1_uas_hold.xml uas_up "${BES[@]}"
lb_start "$conf" || die "siplb did not start from $conf"
before=$(lb_stats)

log "placing $CALLS calls at $RATE calls/s (all pending together) to $LB_IP:5060"
# All INVITEs are out after ~1 s, the first 200 comes after 4 s: the
# mid-run snapshot at 2.5 s sees every accepted call pending.
MID_S=2.5 UAC_SCEN=sf1_uac_503.xml uac_call cap "$LB_IP:5060" "$CALLS" "$RATE" \
	-l "$CALLS" -trace_logs -log_file "$WORK/cap.uac.log"

alive=0
kill -0 "$LB_PID" 2>/dev/null && alive=1
check "siplb still running after the overload" 1 "$alive" "$alive"
after=$(wait_idle 10)
uas_stop "${BES[@]}"

check_calls cap "$CALLS" "$UAC_RC"

# Hands n503 and n200 (calls answered so) to the shell for the counter checks.
py_checks "$WORK" "$CALLS" "$CAPACITY" "$RETRY_AFTER" "${BES[@]}" <<'EOF'
import collections, os, re

work, calls, cap, ra = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
bes = sys.argv[5:]

# The UAC's log: "<Call-ID> 503 <Retry-After>" or "<Call-ID> 200 -".
outcome = collections.defaultdict(list)
retry = {}
for line in open(os.path.join(work, "cap.uac.log"), errors="replace"):
    p = line.split()
    if len(p) != 3:
        continue
    outcome[p[0]].append(p[1])
    if p[1] == "503":
        retry[p[0]] = p[2]
n503 = sum(1 for o in outcome.values() if o == ["503"])
n200 = sum(1 for o in outcome.values() if o == ["200"])
odd = sorted("%s: %s" % (c, ",".join(o)) for c, o in outcome.items()
             if o not in (["503"], ["200"]))
check("UAC calls with one outcome (503 or 200)", calls, n503 + n200,
      n503 + n200 == calls and not odd)
check("calls answered 503 by siplb", ">= %d" % (calls - cap - 10), n503,
      n503 >= calls - cap - 10)
check("calls answered 200 (at most the capacity)", "<= %d" % cap, n200,
      n200 <= cap)
bad = sorted("%s: %s" % (c, v) for c, v in retry.items() if v != ra)
check("503s with Retry-After other than %s" % ra, 0, eg(bad), not bad)

where = collections.defaultdict(set)
logged = collections.defaultdict(collections.Counter)
branch = {}
for be in bes:
    for line in open(os.path.join(work, be + ".log"), errors="replace"):
        p = line.split()
        if len(p) != 3:
            continue
        where[p[0]].add(be)
        logged[p[0]][p[1]] += 1
        if p[1] == "INVITE":
            branch[p[0]] = p[2]
leaked = sorted(c for c in where if outcome.get(c) == ["503"])
check("503'd Call-IDs seen by a backend", 0, eg(leaked), not leaked)
ok200 = set(c for c, o in outcome.items() if o == ["200"])
check("Call-IDs at the backends = calls answered 200", n200, len(where),
      set(where) == ok200)
split = sorted(c for c, b in where.items() if len(b) > 1)
check("Call-IDs seen by more than one backend", 0, eg(split), not split)
incomplete = sorted(c for c, m in logged.items()
                    if dict(m) != {"INVITE": 1, "ACK": 1, "BYE": 1})
check("calls without one INVITE, ACK, BYE at their backend", 0,
      eg(incomplete), not incomplete)
first = re.compile(r"^z9hG4bKslb[0-9a-f]{16}\.0$")
bad = sorted("%s: %s" % (c, b) for c, b in branch.items() if not first.match(b))
check("INVITE branches not siplb's first try (...0)", 0, eg(bad), not bad)
result("n503", n503)
result("n200", n200)
EOF
n503=${PY_RESULT[n503]:-0}
n200=${PY_RESULT[n200]:-0}

log "siplb counters (non-zero): $(nonzero "$after")"
eq "siplb txn_live mid-run (all accepted calls pending)" "$n200" "$(jget "$MID" txn_live)"
eq "siplb txn_live after the run (polled up to 10 s)" 0 "$(jget "$after" txn_live)"
eq "siplb txn_table_full = 503s seen by the UAC" "$n503" "$(delta txn_table_full)"
eq "siplb reply.503 = txn_table_full" "$(delta txn_table_full)" "$(delta reply.503)"
eq "siplb ack_absorbed = ACKs of its 503s" "$n503" "$(delta ack_absorbed)"
eq "siplb txn_created = calls accepted" "$n200" "$(delta txn_created)"
eq "siplb txn_failover_timeout" 0 "$(delta txn_failover_timeout)"
eq "siplb txn_failover_503" 0 "$(delta txn_failover_503)"

eq "siplb drops (other than background traffic) and replies other than 100, 503" none \
	"$(moved "$before" "$after" reply.100 reply.503)"

check_lb_stop
finish
