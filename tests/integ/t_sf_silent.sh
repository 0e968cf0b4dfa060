#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stateful mode (conf/stateful.conf), failover from a silent backend on
# fr_timer. be2 runs a sipp that takes INVITEs and never answers
# (sf1_uas_silent.xml: a hung server, no ICMP either); be1 and be3 answer at
# once (sf1_uas.xml). The calls whose Maglev first choice is be2 must move on
# to their second choice when fr_timer_ms (1000) passes with no response,
# after siplb retransmitted the INVITE to be2 on Timer A (t1_ms 500).
# Checks: every call succeeds; the UAC's INVITE->200 time (sipp rtd,
# -trace_rtt, per call) never exceeds fr_timer_ms + 1500 ms, and exactly the
# calls tried at be2 first took >= fr_timer_ms - 100 ms; from the backends'
# logs: each call at be2 came with branch ...0 and was then answered by be1 or
# be3 with branch ...1, every other call was answered on its first try (...0),
# every call's INVITE, ACK and BYE at one answering backend; from be2's
# message trace: each of its calls got >= 2 INVITEs (Timer A) and none later
# than fr_timer_ms + 100 ms after the first (siplb left it on failover);
# siplb's txn_failover_timeout and txn_timeouts (tries ended by a timer) =
# the number of calls at be2, txn_timer_a >= that, no other failover, no
# 408, txn_live back to 0 within 10 s. The caller (sf1_uac_rr.xml) sends ACK
# and BYE along the 200's route set, so they reach the answering backend.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-150}
RATE=${RATE:-30}
CONF=${CONF:-$SIPLB_SRC/conf/stateful.conf}
FR_MS=1000          # stateful.fr_timer_ms in conf/stateful.conf
MARGIN_MS=1500
BES=(be1 be2 be3)

net_up "${BES[@]}"
UAS_SCEN=sf1_uas.xml uas_start be1 -trace_msg -message_file "$WORK/be1.msg"
UAS_SCEN=sf1_uas_silent.xml uas_start be2 -trace_msg -message_file "$WORK/be2.msg"
UAS_SCEN=sf1_uas.xml uas_start be3 -trace_msg -message_file "$WORK/be3.msg"
for h in "${BES[@]}"; do uas_wait_bound "$h"; done
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

log "placing $CALLS calls at $RATE calls/s to $LB_IP:5060, be2 silent"
# -trace_rtt writes <scenario>_<pid>_rtt.csv into the working directory
# ($WORK for uac_call): one line per call, its rtd 1 (call start to the 200)
# in ms.
MID_S=3 UAC_SCEN=sf1_uac_rr.xml uac_call silent "$LB_IP:5060" "$CALLS" "$RATE" \
	-trace_rtt -rtt_freq 1
after=$(wait_idle 10)
uas_stop "${BES[@]}"

check_calls silent "$CALLS" "$UAC_RC"

# Hands n_be2 (calls first tried at be2) to the shell for the counter checks.
py_checks "$WORK" "$CALLS" "$FR_MS" "$MARGIN_MS" <<'EOF'
import collections, datetime, glob, os, re

work, calls, fr, margin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

# <log> lines "<Call-ID> <METHOD> <branch>".
logged = {}          # be -> Call-ID -> Counter(method)
branch = {}          # be -> Call-ID -> INVITE branch
for be in ("be1", "be2", "be3"):
    logged[be] = collections.defaultdict(collections.Counter)
    branch[be] = {}
    for line in open(os.path.join(work, be + ".log"), errors="replace"):
        p = line.split()
        if len(p) != 3:
            continue
        logged[be][p[0]][p[1]] += 1
        if p[1] == "INVITE":
            branch[be][p[0]] = p[2]

silent = set(logged["be2"])
answered = collections.defaultdict(set)     # Call-ID -> answering backends
for be in ("be1", "be3"):
    for c in logged[be]:
        answered[c].add(be)
check("calls first tried at be2", "> 0", len(silent), len(silent) > 0)
check("Call-IDs answered by be1/be3", calls, len(answered),
      len(answered) == calls)
two = sorted(c for c, b in answered.items() if len(b) > 1)
check("Call-IDs at both be1 and be3", 0, eg(two), not two)
incomplete = sorted("%s@%s" % (c, be) for be in ("be1", "be3")
                    for c, m in logged[be].items()
                    if dict(m) != {"INVITE": 1, "ACK": 1, "BYE": 1})
check("calls without one INVITE, ACK, BYE at their answering backend", 0,
      eg(incomplete), not incomplete)
only_inv = sorted(c for c, m in logged["be2"].items() if dict(m) != {"INVITE": 1})
check("be2 calls with other than one INVITE logged", 0, eg(only_inv), not only_inv)

try0 = re.compile(r"^z9hG4bKslb[0-9a-f]{16}\.0$")
try1 = re.compile(r"^z9hG4bKslb[0-9a-f]{16}\.1$")
bad = sorted("%s: %s" % (c, b) for c, b in branch["be2"].items()
             if not try0.match(b))
check("be2 INVITE branches not a first try (...0)", 0, eg(bad), not bad)
bad = []
for be in ("be1", "be3"):
    for c, b in branch[be].items():
        want = try1 if c in silent else try0
        if not want.match(b):
            bad.append("%s@%s: %s (%s)" % (c, be, b,
                       "after be2" if c in silent else "first try"))
bad.sort()
check("be1/be3 INVITE branches not ...1 after be2, ...0 otherwise", 0,
      eg(bad), not bad)
missing = sorted(c for c in silent if c not in answered)
check("be2 calls that no other backend answered", 0, eg(missing), not missing)

# be2's message trace: every INVITE datagram with its arrival time.
sep = re.compile(r"^-{20,} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\s*$", re.M)
times = collections.defaultdict(list)
text = open(os.path.join(work, "be2.msg"), errors="replace").read()
parts = sep.split(text)
for i in range(1, len(parts) - 1, 2):
    ts, blk = parts[i], parts[i + 1]
    if "message received" not in blk:
        continue
    lines = [l.strip() for l in blk.splitlines()]
    start = [l for l in lines if l.endswith("SIP/2.0") or l.startswith("SIP/2.0")]
    cid = [l.split(":", 1)[1].strip() for l in lines
           if re.match(r"(?i)(call-id|i)\s*:", l)]
    if start and cid and start[0].startswith("INVITE "):
        t = datetime.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f")
        times[cid[0]].append(t)
check("Call-IDs in be2's message trace = calls logged at be2", len(silent),
      len(times), set(times) == silent)
once = sorted("%s*%d" % (c, len(t)) for c, t in times.items() if len(t) < 2)
check("be2 calls with fewer than 2 INVITE datagrams (no Timer A)", 0,
      eg(once), not once)
late = sorted("%s +%.0f ms" % (c, (max(t) - min(t)).total_seconds() * 1000)
              for c, t in times.items()
              if (max(t) - min(t)).total_seconds() * 1000 > fr + 100)
check("be2 calls with an INVITE > fr_timer + 100 ms after the first", 0,
      eg(late), not late)

# Per-call INVITE -> 200 times from the UAC's rtt file.
rtt = []
for f in glob.glob(os.path.join(work, "*_rtt.csv")):
    for line in open(f):
        p = line.strip().split(";")
        if len(p) == 3 and p[2] == "1":
            rtt.append(float(p[1]))
check("calls in the UAC's rtt file", calls, len(rtt), len(rtt) == calls)
mx = max(rtt) if rtt else -1
check("max INVITE->200 time (ms)", "<= %d" % (fr + margin), "%.0f" % mx,
      0 <= mx <= fr + margin)
slow = sum(1 for r in rtt if r >= fr - 100)
check("calls slower than fr_timer - 100 ms = calls tried at be2 first",
      len(silent), slow, slow == len(silent))
result("n_be2", len(silent))
EOF
n_be2=${PY_RESULT[n_be2]:-0}

log "siplb counters (non-zero): $(nonzero "$after")"
ge "siplb txn_live during the run" 1 "$(jget "$MID" txn_live)"
eq "siplb txn_live after the run (polled up to 10 s)" 0 "$(jget "$after" txn_live)"
ge "siplb txn_created" "$CALLS" "$(delta txn_created)"
eq "siplb txn_failover_timeout = calls tried at be2 first" "$n_be2" \
	"$(delta txn_failover_timeout)"
eq "siplb fail_backend.be2 (its timed-out tries count against its health)" "$n_be2" \
	"$(delta fail_backend.be2)"
ge "siplb txn_timer_a (>= 1 per call at be2)" "$((n_be2 > 0 ? n_be2 : 1))" \
	"$(delta txn_timer_a)"
eq "siplb txn_failover_503" 0 "$(delta txn_failover_503)"
eq "siplb txn_failover_code" 0 "$(delta txn_failover_code)"
eq "siplb txn_timeouts (tries ended by fr_timer)" "$n_be2" "$(delta txn_timeouts)"
eq "siplb reply.408" 0 "$(delta reply.408)"

check_lb_stop
finish
