#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Failover on 503 in stateful mode (conf/stateful.conf, be1..be3). be2 answers
# every INVITE 503 (scenarios/sf2_uas_503.xml); be1 and be3 take calls
# normally (sf2_uas.xml: uas.xml that also logs siplb's top-Via branch).
# siplb must fail over on the 503 to the Call-ID's next backend, never pass
# the 503 up, and ACK the 503 itself (RFC 3261 §17.1.1.3). The UAC
# (sf2_uac_rr.xml) sends ACK and BYE along the Record-Route of the 200, whose
# bk parameter names the backend that answered.
# Checks:
#  - sipp's verdict: every call succeeds (0 failed);
#  - be2 got about 1/3 of the INVITEs (binomial rule of uaslogs.py), each as
#    siplb's first try (branch "z9hG4bKslb<16 hex>.0"), and for each one an
#    ACK with the INVITE's branch; be2 received nothing but INVITE and ACK and
#    sent nothing but 503 (sipp short message trace): no call's
#    INVITE/180/200/ACK/BYE flow happens at be2;
#  - each call's INVITE, ACK and BYE reached exactly one of be1/be3, one
#    INVITE; calls refused by be2 arrived there as try 1 (".1", the same 16
#    hex as at be2), all others as try 0;
#  - siplb's counters: txn_failover_503 == INVITEs be2 received, no timeout
#    failover, no 503 of its own, txn_created == txn_completed == calls,
#    txn_live back to 0 after wait_ms.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-300}
RATE=${RATE:-50}
CONF=${CONF:-$SIPLB_SRC/conf/stateful.conf}

net_up be1 be2 be3
UAS_SCEN=sf2_uas.xml uas_start be1
UAS_SCEN=sf2_uas.xml uas_start be3
UAS_SCEN=sf2_uas_503.xml uas_start be2 -trace_shortmsg -shortmessage_file "$WORK/be2.short"
for h in be1 be2 be3; do uas_wait_bound "$h"; done
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

log "placing $CALLS calls at $RATE calls/s to $LB_IP:5060 (be2 refuses with 503)"
UAC_SCEN=sf2_uac_rr.xml uac_call calls "$LB_IP:5060" "$CALLS" "$RATE"
# Transactions end wait_ms (2 s) after their final.
after=$(wait_idle 15)
uas_stop be1 be2 be3
check_calls calls "$CALLS" "$UAC_RC"

# Backend logs: "<Call-ID> <METHOD> <top Via branch>" per request; be2's
# short message trace: tab-separated, field 4 R/S, 5 Call-ID, 7 first line.
# Hands the number of INVITEs be2 received to the shell as n2.
py_checks "$WORK" "$CALLS" <<'EOF'
import collections, math, os, re

work, calls = sys.argv[1], int(sys.argv[2])
bad = 0
msgs = {}      # be -> Call-ID -> [(method, branch)]
for be in ("be1", "be2", "be3"):
    msgs[be] = collections.defaultdict(list)
    with open(os.path.join(work, be + ".log"), encoding="ascii",
              errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) != 3:
                bad += 1
                continue
            msgs[be][p[0]].append((p[1], p[2]))
check("unparsable backend log lines", 0, bad, bad == 0)

ours = re.compile(r"^z9hG4bKslb([0-9a-f]{16})\.([0-9])$")

# be2: INVITE then ACK, one branch, try 0.
b2 = msgs["be2"]
n2 = len(b2)
result("n2", n2)
p = 1.0 / 3
tol = max(5.0, 400.0 * math.sqrt(p * (1 - p) / max(calls, 1)))
share = 100.0 * n2 / calls
check("be2 INVITEs (%d of %d calls)" % (n2, calls),
      "%.1f%% +/- %.1f" % (100 * p, tol), "%.1f%%" % share,
      n2 > 0 and abs(share - 100 * p) <= tol)
wrong = ["%s: %s" % (c, " ".join("%s/%s" % m for m in l))
         for c, l in b2.items() if [m for m, _ in l] != ["INVITE", "ACK"]]
check("be2 calls other than one INVITE then one ACK (siplb's ACK of the 503)",
      0, eg(wrong), not wrong)
differ = ["%s: %s" % (c, " ".join(sorted({b for _, b in l})))
          for c, l in b2.items() if len({b for _, b in l}) != 1]
check("be2 ACKs whose branch is not the INVITE's", 0, eg(differ), not differ)
hex2 = {}
notfirst = []
for c, l in b2.items():
    m = ours.match(l[0][1])
    if m and m.group(2) == "0":
        hex2[c] = m.group(1)
    else:
        notfirst.append("%s: %s" % (c, l[0][1]))
check("be2 INVITE branches not siplb's try 0 (z9hG4bKslb + 16 hex + .0)", 0,
      eg(notfirst), not notfirst)

# be2's whole traffic: received only INVITE and ACK, sent only 503.
rx, tx = collections.Counter(), collections.Counter()
with open(os.path.join(work, "be2.short"), encoding="ascii",
          errors="replace") as f:
    for line in f:
        p = line.rstrip("\r\n").split("\t")
        if len(p) < 7:
            continue
        first = p[6].split()
        if p[3] == "R":
            rx[first[1] if first[0] == "SIP/2.0" else first[0]] += 1
        elif p[3] == "S":
            tx[first[1] if first[0] == "SIP/2.0" else first[0]] += 1
other_rx = {k: v for k, v in rx.items() if k not in ("INVITE", "ACK")}
other_tx = {k: v for k, v in tx.items() if k != "503"}
check("be2 received INVITEs (short trace) == INVITE log lines", n2,
      rx["INVITE"], rx["INVITE"] == n2)
check("be2 received other than INVITE/ACK (BYE, CANCEL, ...)", "none",
      other_rx or "none", not other_rx)
check("be2 sent other than 503", "none", other_tx or "none", not other_tx)

# be1/be3: every call at exactly one of them, INVITE+ACK+BYE, one INVITE;
# try 1 (be2's 16 hex) for the calls be2 refused, try 0 for the others.
where = collections.defaultdict(set)
for be in ("be1", "be3"):
    for c in msgs[be]:
        where[c].add(be)
check("Call-IDs at be1/be3 (every call answered there)", calls, len(where),
      len(where) == calls)
split = ["%s at %s" % (c, ",".join(sorted(b)))
         for c, b in where.items() if len(b) > 1]
check("Call-IDs at both be1 and be3", 0, eg(split), not split)
lost = [c for c in b2 if c not in where]
check("calls refused by be2 not answered at be1/be3", 0, eg(lost), not lost)
incomplete, badtry = [], []
for be in ("be1", "be3"):
    for c, l in msgs[be].items():
        ms = collections.Counter(m for m, _ in l)
        if ms["INVITE"] != 1 or not {"INVITE", "ACK", "BYE"} <= set(ms):
            incomplete.append("%s on %s has %s" % (
                c, be, ",".join("%s*%d" % kv for kv in sorted(ms.items()))))
        inv = [b for m, b in l if m == "INVITE"]
        if not inv:
            continue
        m = ours.match(inv[0])
        want = ("1", hex2[c]) if c in hex2 else ("0", None)
        if (not m or m.group(2) != want[0]
                or (want[1] is not None and m.group(1) != want[1])):
            badtry.append("%s on %s: %s, expected try %s%s" % (
                c, be, inv[0], want[0],
                " of " + want[1] if want[1] else ""))
check("calls without exactly one INVITE and an ACK and a BYE at be1/be3", 0,
      eg(incomplete), not incomplete)
check("be1/be3 INVITE branches not the expected try (.1 after be2, else .0)", 0,
      eg(badtry), not badtry)
EOF

n2=${PY_RESULT[n2]:-0}
log "siplb counters (non-zero): $(nonzero "$after")"
eq "siplb txn_failover_503 (== INVITEs be2 received)" "$n2" "$(delta txn_failover_503)"
# each 503 counts against be2's health (issue 4), nothing against the others
eq "siplb fail_backend.be2 (== its 503s)" "$n2" "$(delta fail_backend.be2)"
eq "siplb fail_backend.be1 + be3" 0 $(($(delta fail_backend.be1) + $(delta fail_backend.be3)))
eq "siplb txn_live after the run" 0 "$(jget "$after" txn_live)"
eq "siplb txn_created (one per call)" "$CALLS" "$(delta txn_created)"
eq "siplb txn_completed (one final upstream per call)" "$CALLS" "$(delta txn_completed)"
for k in txn_failover_timeout txn_failover_code txn_timeouts txn_table_full \
	reply.503 reply.408; do
	eq "siplb $k" 0 "$(delta "$k")"
done
ge "siplb sip_resp.5xx (be2's 503s)" "$n2" "$(delta sip_resp.5xx)"

check_lb_stop
finish
