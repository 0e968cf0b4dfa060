#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplb-bench calls: the generator and responder in the test network.
#  1. siplb-bench uas on be1 and be2, siplb (conf/demo.conf), siplb-bench uac
#     from the client at RATE calls/s for SECS s: every call completes (the
#     ACK and BYE follow siplb's Record-Route), JSON sane, both backends used.
#  2. The same uac straight to be1 (no siplb, no Record-Route: ACK and BYE
#     to the Contact).
#  3. The other flows (--flow), FLOW_CALLS calls at FLOW_RATE calls/s each:
#     a. cancel straight to be1 (uas --ring-ms 2000, so the INVITE still
#        rings): every call ends on the INVITE's 487 after its CANCEL; the
#        uas saw one CANCEL and one ACK (the 487's) per INVITE, no BYE;
#     b. the same through siplb stateless (conf/demo.conf, be1 and be2);
#     c. 503 through siplb stateless, be1 and be2 --answer 503: every call
#        ends on the 503 siplb passes on, ACKed (one ACK per INVITE at the
#        backends), no BYE;
#     d. cancel through siplb stateful (conf/stateful.conf, be1..be3): siplb
#        answers the CANCEL itself and relays it; the backends still see one
#        CANCEL and one ACK (siplb's, hop by hop) per INVITE.
#  4. For the record, not asserted (speed is a benchmark figure): sipp's
#     uac.xml against one siplb-bench uas at rising rates, its best achieved
#     rate with 0 failed calls, and siplb-bench uac --search against the
#     same uas; both printed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH=${SIPLB_BENCH:-$(dirname "$SIPLB")/bench/siplb-bench}
RATE=${RATE:-2000}
SECS=${SECS:-5}
FLOW_CALLS=${FLOW_CALLS:-2000}
FLOW_RATE=${FLOW_RATE:-1000}
[ -x "$BENCH" ] || die "siplb-bench not found: $BENCH (set SIPLB_BENCH)"

# bench_uas HOST [ARGS...]: a siplb-bench uas on HOST:5060 (more uas
# options in ARGS), JSON to $WORK/HOST.json.
bench_uas() {
	local h=$1
	shift
	nsx "$h" "$BENCH" calls --role uas --bind "${BE_IP[$h]}:5060" "$@" \
		>"$WORK/$h.json" 2>"$WORK/$h.uas.err" </dev/null &
	uas_wait_bound "$h"
}

# bench_uac NAME TARGET ARGS...: siplb-bench uac from the client; its JSON
# line -> $WORK/NAME.json, progress -> NAME.err, exit status -> UAC_RC.
bench_uac() {
	local name=$1 target=$2
	shift 2
	UAC_RC=0
	timeout 200 ip netns exec "$(ns_of client)" "$BENCH" calls --role uac \
		--bind "$CLIENT_IP:5060" --target "$target" "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err" </dev/null || UAC_RC=$?
	log "siplb-bench uac ($name) exited with status $UAC_RC: $(tail -n 1 "$WORK/$name.err")"
	cat "$WORK/$name.json"
}

# check_run NAME CALLS_MIN UAS_JSON...: the uac's JSON is sane and every
# call it started completed; each UAS counted INVITEs, summing to the calls.
check_run() {
	local name=$1 min=$2
	shift 2
	eq "siplb-bench uac ($name) exit status" 0 "$UAC_RC"
	py_checks "$WORK/$name.json" "$min" "$@" <<'EOF'
import json
lines = [l for l in open(sys.argv[1]) if l.strip()]
check("JSON lines printed", 1, len(lines), len(lines) == 1)
r = json.loads(lines[-1])
keys = ["bench", "role", "target", "seconds", "calls_started", "calls_ok",
        "calls_failed", "calls_per_sec", "msgs_per_sec", "retransmissions",
        "lat_ms", "search"]
missing = [k for k in keys if k not in r]
check("contract keys missing", 0, missing, not missing)
started, ok = r["calls_started"], r["calls_ok"]
check("calls started", ">= %s" % sys.argv[2], started, started >= int(sys.argv[2]))
check("calls_ok == calls_started", started, ok, ok == started)
check("calls_failed", 0, r["calls_failed"], r["calls_failed"] == 0)
lat = ["%s.%s=%s" % (k, p, r["lat_ms"][k][p])
       for k in ("invite_180", "invite_200", "bye_200")
       for p in ("p50", "p99", "p999")]
bad = [l for l in lat if not float(l.split("=")[1]) > 0]
check("latency percentiles > 0", "all", " ".join(bad) or "all", not bad)
order = all(r["lat_ms"][k]["p50"] <= r["lat_ms"][k]["p99"] <= r["lat_ms"][k]["p999"]
            for k in ("invite_180", "invite_200", "bye_200"))
check("p50 <= p99 <= p99.9", "yes", order, order)
check("search", None, r["search"], r["search"] is None)
check("msgs_per_sec >= 7 x calls_per_sec", "yes",
      "%.0f / %.0f" % (r["msgs_per_sec"], r["calls_per_sec"]),
      r["msgs_per_sec"] >= 6.9 * r["calls_per_sec"])
invites = 0
for f in sys.argv[3:]:
    u = json.loads([l for l in open(f) if l.startswith("{")][-1])
    check("INVITEs at %s" % f.rsplit("/", 1)[-1], "> 0", u["invites"], u["invites"] > 0)
    check("ACKs == INVITEs at %s" % f.rsplit("/", 1)[-1], u["invites"], u["acks"],
          u["acks"] == u["invites"])
    check("BYEs >= INVITEs at %s" % f.rsplit("/", 1)[-1], u["invites"], u["byes"],
          u["byes"] >= u["invites"])
    invites += u["invites"]
check("INVITEs at the backends == calls", started, invites, invites == started)
EOF
}

# check_flow NAME FLOW CALLS UAS_JSON...: a --flow cancel or 503 run of
# --calls CALLS: all started and ok, the flow's latency measured and no
# dialog latency; at the uas, the INVITEs sum to CALLS, each INVITE got its
# ACK (of the 487 / 503) and, for cancel, its CANCEL; no BYE anywhere.
check_flow() {
	local name=$1 flow=$2 calls=$3
	shift 3
	eq "siplb-bench uac ($name) exit status" 0 "$UAC_RC"
	py_checks "$WORK/$name.json" "$flow" "$calls" "$WORK/$name.err" "$@" <<'EOF'
import json, re
flow, calls = sys.argv[2], int(sys.argv[3])
lines = [l for l in open(sys.argv[1]) if l.strip()]
check("JSON lines printed", 1, len(lines), len(lines) == 1)
r = json.loads(lines[-1])
check("flow", flow, r.get("flow"), r.get("flow") == flow)
check("calls started", calls, r["calls_started"], r["calls_started"] == calls)
check("calls_ok", calls, r["calls_ok"], r["calls_ok"] == calls)
check("calls_failed", 0, r["calls_failed"], r["calls_failed"] == 0)
want = "cancel_487" if flow == "cancel" else "invite_err"
lat = r["lat_ms"]
check("%s p50 > 0" % want, "> 0", lat[want]["p50"], lat[want]["p50"] > 0)
order = lat[want]["p50"] <= lat[want]["p99"] <= lat[want]["p999"]
check("%s p50 <= p99 <= p99.9" % want, "yes", order, order)
if flow == "cancel":
    check("invite_180 p50 > 0 (the CANCEL waits for it)", "> 0",
          lat["invite_180"]["p50"], lat["invite_180"]["p50"] > 0)
busy = [k for k in ("invite_200", "bye_200") if lat[k]["p999"] != 0]
check("no dialog latencies", "none", busy or "none", not busy)
# stderr: the INVITEs' finals by code
fin = [l.strip() for l in open(sys.argv[4]) if "invite_finals" in l]
counts = dict(re.findall(r"(\w+)=(\d+)", fin[-1])) if fin else {}
if flow == "cancel":
    check("487 finals on stderr", calls, counts.get("487"), counts.get("487") == str(calls))
else:
    n = sum(int(counts.get(k, 0)) for k in ("487", "500", "503", "other"))
    check("error finals on stderr (%s)" % (fin[-1] if fin else "-"), calls, n, n == calls)
check("2xx finals on stderr", 0, counts.get("2xx"), counts.get("2xx") == "0")
invites = 0
for f in sys.argv[5:]:
    u = json.loads([l for l in open(f) if l.startswith("{")][-1])
    n = f.rsplit("/", 1)[-1]
    check("INVITEs at %s" % n, "> 0", u["invites"], u["invites"] > 0)
    check("ACKs == INVITEs at %s" % n, u["invites"], u["acks"], u["acks"] == u["invites"])
    if flow == "cancel":
        check("CANCELs == INVITEs at %s" % n, u["invites"], u["cancels"],
              u["cancels"] == u["invites"])
    check("BYEs at %s" % n, 0, u["byes"], u["byes"] == 0)
    check("no_ack at %s" % n, 0, u["no_ack"], u["no_ack"] == 0)
    invites += u["invites"]
check("INVITEs at the backends == calls", calls, invites, invites == calls)
EOF
}

net_up be1 be2 be3

# ---- 1. through siplb
bench_uas be1
bench_uas be2
lb_start "$DEMO_CONF" || die "siplb did not start from $DEMO_CONF"
before=$(lb_stats)
log "siplb-bench uac -> siplb $LB_IP:5060 at $RATE calls/s for $SECS s"
bench_uac via_lb "$LB_IP:5060" --rate "$RATE" --seconds "$SECS"
after=$(lb_stats)
uas_stop be1 be2
check_run via_lb $((RATE * SECS * 99 / 100)) "$WORK/be1.json" "$WORK/be2.json"
calls=$(jget "$(cat "$WORK/via_lb.json")" calls_started)
# ACK and BYE came through siplb (Route), not to the backends directly
ge "siplb fwd_req (INVITE+ACK+BYE per call)" $((3 * calls)) "$(delta fwd_req)"
ge "siplb fwd_resp (100+180+200+200 per call)" $((4 * calls)) "$(delta fwd_resp)"

# ---- 3b. cancel through siplb stateless
bench_uas be1 --ring-ms 2000
bench_uas be2 --ring-ms 2000
log "siplb-bench uac --flow cancel -> siplb: $FLOW_CALLS calls at $FLOW_RATE calls/s"
bench_uac cancel_lb "$LB_IP:5060" --flow cancel --rate "$FLOW_RATE" --calls "$FLOW_CALLS"
uas_stop be1 be2
check_flow cancel_lb cancel "$FLOW_CALLS" "$WORK/be1.json" "$WORK/be2.json"

# ---- 3c. 503 through siplb stateless: the backends' 503s passed on
bench_uas be1 --answer 503
bench_uas be2 --answer 503
log "siplb-bench uac --flow 503 -> siplb: $FLOW_CALLS calls at $FLOW_RATE calls/s"
bench_uac e503_lb "$LB_IP:5060" --flow 503 --rate "$FLOW_RATE" --calls "$FLOW_CALLS"
uas_stop be1 be2
check_flow e503_lb 503 "$FLOW_CALLS" "$WORK/be1.json" "$WORK/be2.json"
n503=$(sed -n 's/.*invite_finals.* 503=\([0-9]*\).*/\1/p' "$WORK/e503_lb.err")
eq "503 finals at the uac (a stateless siplb passes them on)" "$FLOW_CALLS" "${n503:-0}"
check_lb_stop

# ---- 2. straight to a backend
bench_uas be1
log "siplb-bench uac -> be1 ${BE_IP[be1]}:5060 at $RATE calls/s for $SECS s"
bench_uac direct "${BE_IP[be1]}:5060" --rate "$RATE" --seconds "$SECS"
uas_stop be1
check_run direct $((RATE * SECS * 99 / 100)) "$WORK/be1.json"

# ---- 3a. cancel straight to a backend
bench_uas be1 --ring-ms 2000
log "siplb-bench uac --flow cancel -> be1: $FLOW_CALLS calls at $FLOW_RATE calls/s"
bench_uac cancel_direct "${BE_IP[be1]}:5060" --flow cancel --rate "$FLOW_RATE" \
	--calls "$FLOW_CALLS"
uas_stop be1
check_flow cancel_direct cancel "$FLOW_CALLS" "$WORK/be1.json"

# ---- 3d. cancel through siplb stateful: CANCEL answered by siplb, relayed
bench_uas be1 --ring-ms 2000
bench_uas be2 --ring-ms 2000
bench_uas be3 --ring-ms 2000
lb_start "$SIPLB_SRC/conf/stateful.conf" || die "siplb did not start from stateful.conf"
before=$(lb_stats)
log "siplb-bench uac --flow cancel -> stateful siplb: $FLOW_CALLS calls at $FLOW_RATE calls/s"
bench_uac cancel_sf "$LB_IP:5060" --flow cancel --rate "$FLOW_RATE" --calls "$FLOW_CALLS"
after=$(wait_idle 15)
uas_stop be1 be2 be3
check_flow cancel_sf cancel "$FLOW_CALLS" "$WORK/be1.json" "$WORK/be2.json" "$WORK/be3.json"
eq "siplb txn_cancels (CANCELs matched, answered 200)" "$FLOW_CALLS" "$(delta txn_cancels)"
ge "siplb ack_absorbed (the uac's ACK of each 487)" "$FLOW_CALLS" "$(delta ack_absorbed)"
eq "siplb txn_live after the run" 0 "$(jget "$after" txn_live)"
check_lb_stop

# ---- 4. sipp vs siplb-bench as the caller of one siplb-bench uas (printed)
bench_uas be1
sipp_best=0
for r in ${SIPP_RATES:-500 1000 2000 4000 8000}; do
	n=$((r * 3))
	t0=$(date +%s.%N)
	rc=0
	uac_run "sipp_$r" "${BE_IP[be1]}:5060" "$n" "$r" || rc=$?
	t1=$(date +%s.%N)
	ok=$(sipp_stat "sipp_$r" 'SuccessfulCall(C)')
	fail=$(sipp_stat "sipp_$r" 'FailedCall(C)')
	# achieved: calls over the time sipp took, less its 500 ms call hold
	got=$(python3 -c "print(int($ok / max($t1 - $t0 - 0.5, 0.001)))")
	log "sipp asked $r calls/s: $ok ok, $fail failed, exit $rc, achieved $got calls/s"
	if [ "$rc" != 0 ] || [ "$fail" != 0 ] || [ "$ok" != "$n" ]; then
		break
	fi
	[ "$got" -gt "$sipp_best" ] && sipp_best=$got
	# sipp no longer keeps up: the next step would only take longer
	[ "$got" -lt $((r * 9 / 10)) ] && break
done
log "siplb-bench uac --search -> be1 (500 ms hold, as sipp's)"
bench_uac search "${BE_IP[be1]}:5060" --search --rate 2000 --hold-ms 500 \
	--seconds "${SEARCH_S:-40}"
uas_stop be1
grep '^calls search' "$WORK/search.err" || true
best=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print((r.get('search') or {}).get('best_rate', 0))" "$WORK/search.json")
eq "siplb-bench uac --search exit status" 0 "$UAC_RC"
log "RESULT (not asserted): sipp uac best $sipp_best calls/s with 0 failed;" \
	"siplb-bench uac best $best calls/s (< 0.1 % failed)," \
	"$(python3 -c "print('%.1fx' % ($best / max($sipp_best, 1)))") sipp's"
finish
