#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stateful mode (conf/stateful.conf), client INVITE retransmissions absorbed
# (RFC 3261 §16.2, §17.2.1). The client loses every "SIP/2.0 100" siplb sends
# it: an nftables rule in the client's namespace drops, before UDP sees them,
# the datagrams from siplb whose payload starts with "SIP/2.0 100 ". The
# backends (sf1_uas_slow.xml) send their 100 at once, so siplb's hop to them
# is quiet, but their 180 and 200 only ~1200 ms later; sipp's UAC, hearing
# nothing, retransmits its INVITE 500 ms after sending it (retrans="500",
# T1; sf1_uac_rr.xml: uac.xml following the route set). siplb must absorb
# that retransmission (resending its own 100, which is lost again), not
# forward it: the backend sees one INVITE per call. (A backend sending its
# 100 only after fr_timer_ms would make siplb fail over and retransmit on
# Timer A, which is t_sf_silent.sh's subject, not this test's.)
# Checks: every call succeeds; the UAC retransmitted (>= 1 per call) and the
# rule dropped >= 2 siplb 100s per call (its first and the resent one); per
# Call-ID, exactly one INVITE reached exactly one backend (counted in the
# backends' message traces, which show retransmissions sipp itself would
# absorb), with siplb's first-try branch z9hG4bKslb<16 hex>.0; siplb's
# txn_retrans_absorbed >= calls, the backends' 100s absorbed, no failover, no
# unexpected drop or reply; txn_live > 0 during the run and back to 0 within
# 10 s after it (wait_ms is 2 s).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-100}
RATE=${RATE:-20}
CONF=${CONF:-$SIPLB_SRC/conf/stateful.conf}
BES=(be1 be2 be3)

command -v nft >/dev/null || die "missing command: nft (run tests/install-deps.sh)"
net_up "${BES[@]}"

# "SIP/2.0 100 " in hex: the first 12 bytes of the UDP payload (@th,64,96:
# from bit 64 of the transport header, past the 8-byte UDP header).
nsx client nft -f - <<EOF
table ip sf1 {
	chain lose100 {
		type filter hook prerouting priority raw; policy accept;
		ip saddr $LB_IP udp sport 5060 @th,64,96 0x5349502f322e302031303020 counter drop
	}
}
EOF
dropped_100s() {
	nsx client nft list chain ip sf1 lose100 | grep -o 'packets [0-9]*' | cut -d' ' -f2
}

for h in "${BES[@]}"; do
	UAS_SCEN=sf1_uas_slow.xml uas_start "$h" -trace_msg -message_file "$WORK/$h.msg"
done
for h in "${BES[@]}"; do uas_wait_bound "$h"; done
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

log "placing $CALLS calls at $RATE calls/s to $LB_IP:5060, siplb's 100s lost"
MID_S=3 UAC_SCEN=sf1_uac_rr.xml uac_call retrans "$LB_IP:5060" "$CALLS" "$RATE"
# Transactions end wait_ms (2 s) after their final.
after=$(wait_idle 10)
uas_stop "${BES[@]}"

check_calls retrans "$CALLS" "$UAC_RC"
ge "sipp UAC INVITE retransmissions (one per call at least)" "$CALLS" \
	"$(sipp_stat retrans 'Retransmissions(C)')"
ge "siplb 100s dropped at the client (first + resent per call)" $((2 * CALLS)) \
	"$(dropped_100s)"

py_checks "$WORK" "$CALLS" "${BES[@]}" <<'EOF'
import collections, os, re

work, calls, bes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

# <log> lines "<Call-ID> <METHOD> <branch>", one per call and method.
where = collections.defaultdict(set)
logged = collections.defaultdict(collections.Counter)
branch = {}
per_be = collections.Counter()
for be in bes:
    for line in open(os.path.join(work, be + ".log"), errors="replace"):
        p = line.split()
        if len(p) != 3:
            continue
        cid, meth, br = p
        where[cid].add(be)
        logged[cid][meth] += 1
        if meth == "INVITE":
            branch[cid] = br
            per_be[be] += 1

# -trace_msg: every datagram received, retransmissions included.
sep = re.compile(r"^-{20,} \d{4}-", re.M)
received = collections.Counter()        # Call-ID -> INVITEs received
for be in bes:
    text = open(os.path.join(work, be + ".msg"), errors="replace").read()
    for blk in sep.split(text):
        if "message received" not in blk:
            continue
        lines = [l.strip() for l in blk.splitlines()]
        start = [l for l in lines if l.endswith("SIP/2.0") or
                 l.startswith("SIP/2.0")]
        cid = [l.split(":", 1)[1].strip() for l in lines
               if re.match(r"(?i)(call-id|i)\s*:", l)]
        if start and cid and start[0].startswith("INVITE "):
            received[cid[0]] += 1

check("Call-IDs at the backends", calls, len(where), len(where) == calls)
for be in bes:
    check("calls at %s" % be, "> 0", per_be[be], per_be[be] > 0)
split = sorted(c for c, b in where.items() if len(b) > 1)
check("Call-IDs seen by more than one backend", 0, eg(split), not split)
many = sorted("%s*%d" % (c, n) for c, n in received.items() if n != 1)
check("Call-IDs whose backend received other than one INVITE datagram", 0,
      eg(many), not many and len(received) == calls)
incomplete = sorted(c for c, m in logged.items()
                    if dict(m) != {"INVITE": 1, "ACK": 1, "BYE": 1})
check("calls without one INVITE, ACK, BYE at their backend", 0,
      eg(incomplete), not incomplete)
first = re.compile(r"^z9hG4bKslb[0-9a-f]{16}\.0$")
bad = sorted("%s: %s" % (c, b) for c, b in branch.items() if not first.match(b))
check("INVITE branches not siplb's first try (z9hG4bKslb<16 hex>.0)", 0,
      eg(bad), not bad)
EOF

log "siplb counters (non-zero): $(nonzero "$after")"
ge "siplb txn_live during the run" 1 "$(jget "$MID" txn_live)"
eq "siplb txn_live after the run (polled up to 10 s)" 0 "$(jget "$after" txn_live)"
ge "siplb txn_created" "$CALLS" "$(delta txn_created)"
ge "siplb txn_retrans_absorbed (client INVITE retransmissions)" "$CALLS" \
	"$(delta txn_retrans_absorbed)"
ge "siplb txn_resp_absorbed (the backends' 100s)" "$CALLS" "$(delta txn_resp_absorbed)"
ge "siplb reply.100 (its own 100 Trying)" "$CALLS" "$(delta reply.100)"
eq "siplb txn_failover_timeout" 0 "$(delta txn_failover_timeout)"
eq "siplb txn_failover_503" 0 "$(delta txn_failover_503)"
eq "siplb txn_timeouts" 0 "$(delta txn_timeouts)"

# No drop a SIP message could cause and no reply but 100 (background
# traffic of the network itself aside, as in t_cancel.sh).
eq "siplb drops (other than background traffic) and replies other than 100" none \
	"$(moved "$before" "$after" reply.100)"

check_lb_stop
finish
