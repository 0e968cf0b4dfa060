#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplb-bench calls: the generator and responder in the test network.
#  1. siplb-bench uas on be1 and be2, siplb (conf/demo.conf), siplb-bench uac
#     from the client at RATE calls/s for SECS s: every call completes (the
#     ACK and BYE follow siplb's Record-Route), JSON sane, both backends used.
#  2. The same uac straight to be1 (no siplb, no Record-Route: ACK and BYE
#     to the Contact).
#  3. For the record, not asserted (speed is a benchmark figure): sipp's
#     uac.xml against one siplb-bench uas at rising rates, its best achieved
#     rate with 0 failed calls, and siplb-bench uac --search against the
#     same uas; both printed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

BENCH=${SIPLB_BENCH:-$(dirname "$SIPLB")/bench/siplb-bench}
RATE=${RATE:-2000}
SECS=${SECS:-5}
[ -x "$BENCH" ] || die "siplb-bench not found: $BENCH (set SIPLB_BENCH)"

# bench_uas HOST: a siplb-bench uas on HOST:5060, JSON to $WORK/HOST.json.
bench_uas() {
	local h=$1
	nsx "$h" "$BENCH" calls --role uas --bind "${BE_IP[$h]}:5060" \
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

net_up be1 be2

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
check_lb_stop

# ---- 2. straight to a backend
bench_uas be1
log "siplb-bench uac -> be1 ${BE_IP[be1]}:5060 at $RATE calls/s for $SECS s"
bench_uac direct "${BE_IP[be1]}:5060" --rate "$RATE" --seconds "$SECS"
uas_stop be1
check_run direct $((RATE * SECS * 99 / 100)) "$WORK/be1.json"

# ---- 3. sipp vs siplb-bench as the caller of one siplb-bench uas (printed)
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
