#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Health checks (issue 4, point 3) end to end: conf/demo.conf copied to
# $WORK with be3 added, a health group with short timers (OPTIONS every
# 300 ms, 200 ms timeout, down after 3 misses, up after 2 answers) and
# accounting on. The backends run uas.xml with sipp -aa, which answers
# siplb's OPTIONS with 200. The UAC (sf2_uac_rr.xml) sends ACK and BYE
# along the 200's Record-Route (bk=NAME), so a dialog stays on the backend
# that answered whatever the Maglev table does meanwhile: only the calls be2
# had in flight when it stopped can fail. A stateless proxy has no Timer C:
# an INVITE be2 answered 100 but not 200 before it died would wait forever
# at the UAC (no retransmission after a 1xx), so the UAC gives up on any
# answer after 5 s (-recv_timeout) and such a call counts as failed; it
# sends no BYE/CANCEL of its own for calls it aborts (-default_behaviors
# all,-bye: that BYE has no route set, would be load balanced by Call-ID
# and answered 200 by a backend's sipp that does not know the call).
# Proves:
#  - all backends up: backends --json shows health up, probes_sent and
#    probe_replies grow (about one per backend per interval), no call fails,
#    no backend is reported down;
#  - be2's sipp stopped in the middle of a steady run (25 calls/s, 200 ms
#    calls): backends --json shows be2 "down" within interval * down_after +
#    timeout + 500 ms (polling and main-loop slack) of the SIGINT that
#    stops it (sipp exits in ~15 ms), be1 and be3 stay up;
#  - from the down mark until be2 is up again no INVITE is forwarded to be2
#    (accounting records after the down snapshot's acct_records), and
#    fwd_backend.be2 grows only by the ACK/BYE (retransmissions) of dialogs
#    be2 had before its down mark, record for record; be1 and be3 take
#    the new calls, and their UAS logs have each of those calls;
#  - sipp's failed calls <= rate * (detection time + call length): at most
#    the calls be2 had in flight (a generous bound: it counts every call of
#    that window, not only be2's third); every failed call (no answered BYE
#    in the accounting file) is one be2 answered (200, or 1xx only) before
#    its down mark; the ACK/BYE of every dialog went to the backend that
#    answered its INVITE, through both transitions; INVITEs went to another
#    backend than the answering one only to be2 before its down mark;
#  - be2's sipp started again (-aa): be2 "up" within interval * up_after +
#    500 ms of its socket being bound, then gets new INVITEs again
#    (fwd_backend.be2 grows, accounting and its new UAS log have the calls);
#  - siplb's stderr has exactly one "backend be2 down: 3 checks missed" and
#    one "backend be2 up: 2 checks answered", nothing for be1/be3; no
#    unexpected drop/reply counter moved; siplb exits 0 on SIGTERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

HC_INTERVAL=300
HC_TIMEOUT=200
HC_DOWN=3
HC_UP=2
SLACK_MS=500          # polling resolution and siplb's 20 ms main-loop tick
RATE=25               # calls/s of the main run
CALL_MS=200           # -d: pause between ACK and BYE
RUN_S=30              # main run length
STOP_AT_S=4           # be2 stopped this far into the run
DOWN_FOR_S=7          # be2 restarted this long after its down mark
CALLS=$((RATE * RUN_S))
DOWN_BOUND=$((HC_INTERVAL * HC_DOWN + HC_TIMEOUT + SLACK_MS))
UP_BOUND=$((HC_INTERVAL * HC_UP + SLACK_MS))

net_up be1 be2 be3
CONF=$WORK/health.conf
ctl_conf "$DEMO_CONF" "$CONF" \
	's|^\([[:space:]]*{ name = "be2";.*}\)$|\1,\n  { name = "be3"; address = "198.18.0.23"; port = 5060; weight = 1; }|'
grep -q '"be3"' "$CONF" || die "could not add be3 to $CONF"
cat >>"$CONF" <<EOF

health: {
  enabled = true;
  interval_ms = $HC_INTERVAL;
  timeout_ms = $HC_TIMEOUT;
  down_after = $HC_DOWN;
  up_after = $HC_UP;
  alive_codes = [ 200 ];
};

accounting: {
  file = "$WORK/acct.jsonl";
};
EOF

for h in be1 be2 be3; do uas_start "$h" -aa; done
for h in be1 be2 be3; do uas_wait_bound "$h"; done
lb_start "$CONF" || die "siplb did not start from $CONF"

now_ms() { date +%s%3N; }

# stats: siplb's counters through the control socket (one JSON document).
# If siplb does not answer, its threads' stacks go to $WORK/siplb.bt.
stats() {
	ctl --json stats
	if [ "$CTL_RC" != 0 ]; then
		if command -v gdb >/dev/null; then
			timeout 30 gdb -p "$LB_PID" -batch -ex 'thread apply all bt' \
				>"$WORK/siplb.bt" 2>&1 </dev/null || true
		fi
		die "siplbctl --json stats failed ($CTL_RC): $(cat "$WORK/ctl.err")"
	fi
	tr -d '\n' <"$WORK/ctl.out"
}

# wait_health NAME WANT TIMEOUT_MS: poll `siplbctl --json backends` (every
# 20 ms, bounded by TIMEOUT_MS) until NAME's health is WANT; print the epoch
# in ms when it was first seen so, and the number of polls, or "timeout N".
wait_health() {
	python3 - "$SIPLBCTL" "$CTL_SOCK" "$@" <<'EOF'
import json, subprocess, sys, time
ctl, sock, name, want, tmo = sys.argv[1:4] + [sys.argv[4], int(sys.argv[5])]
end = time.time() + tmo / 1000
n = 0
while True:
    n += 1
    out = subprocess.run([ctl, "-s", sock, "-t", "2", "--json", "backends"],
                         capture_output=True, timeout=5).stdout
    t = time.time()
    try:
        bs = {b["name"]: b for b in json.loads(out)["backends"]}
    except ValueError:
        bs = {}
    if bs.get(name, {}).get("health") == want:
        print("%d %d" % (int(t * 1000), n))
        break
    if t > end:
        print("timeout %d" % n)
        break
    time.sleep(0.02)
EOF
}

# health_is WHAT NAME:HEALTH...: check backends --json shows these healths.
health_is() {
	local what=$1
	shift
	ctl --json backends
	py_checks "$WORK/ctl.out" "$what" "$@" <<'EOF'
import json
got = {b["name"]: b["health"] for b in json.load(open(sys.argv[1]))["backends"]}
for s in sys.argv[3:]:
    n, h = s.split(":")
    check("%s health (%s)" % (n, sys.argv[2]), h, got.get(n), got.get(n) == h)
EOF
}

# ---- all backends up: probes answered, calls fine
health_is start be1:up be2:up be3:up
before=$(stats)
t0=$(now_ms)
UAC_SCEN=sf2_uac_rr.xml uac_call warm "$LB_IP:5060" 150 50 -d "$CALL_MS" -recv_timeout 5000 -default_behaviors all,-bye
check_calls warm 150 "$UAC_RC"
after=$(stats)
el=$(($(now_ms) - t0))
# One probe per backend per interval; at least half of them (the machine
# may be busy: siplb's main loop and worker share 2 CPUs with sipp).
ge "probes_sent in ${el} ms, 3 backends" $((3 * el / HC_INTERVAL / 2)) "$(delta probes_sent)"
ge "probe_replies in ${el} ms (all answered but the last ones)" \
	$(($(delta probes_sent) - 3)) "$(delta probe_replies)"
for h in be1 be2 be3; do
	eq "fail_backend.$h with every backend up" 0 "$(jget "$after" "fail_backend.$h")"
done
health_is "after the warm-up run" be1:up be2:up be3:up
eq "'down' lines on siplb's stderr with every backend up" 0 \
	"$(grep -c 'siplb: backend .* down' "$WORK/siplb.err" || true)"
first=$before
s_main=$after

# ---- the main run: be2 stopped, detected down, restarted, detected up
log "main run: $CALLS calls at $RATE/s, ${CALL_MS} ms each; be2 stopped ${STOP_AT_S} s in"
(cd "$WORK" && UAC_SCEN=sf2_uac_rr.xml uac_run main "$LB_IP:5060" "$CALLS" "$RATE" \
	-d "$CALL_MS" -recv_timeout 5000 -default_behaviors all,-bye) &
uac_pid=$!
sleep "$STOP_AT_S"
t_sig=$(now_ms)
uas_stop be2
t_gone=$(now_ms)
read -r t_down polls < <(wait_health be2 down 5000)
s_down=$(stats)
if [ "$t_down" = timeout ]; then
	check "be2 reported down" "within 5 s" "not after $polls polls" 0
	t_down=$((t_gone + 5000))
else
	log "be2 down seen after $polls polls: $((t_down - t_sig)) ms after SIGINT to its sipp" \
		"($((t_down - t_gone)) ms after it was gone: it took $((t_gone - t_sig)) ms to exit)"
	in_range "be2 down detection (ms from SIGINT to its sipp)" 0 "$DOWN_BOUND" $((t_down - t_sig))
fi
health_is "be2 stopped" be1:up be2:down be3:up
detect_ms=$((t_down - t_sig))

sleep "$DOWN_FOR_S"
mv "$WORK/be2.log" "$WORK/be2.first.log"
s_restart=$(stats)
uas_start be2 -aa
uas_wait_bound be2
t_bound=$(now_ms)
read -r t_up polls < <(wait_health be2 up 5000)
s_up=$(stats)
if [ "$t_up" = timeout ]; then
	check "be2 reported up again" "within 5 s" "not after $polls polls" 0
else
	log "be2 up seen after $polls polls: $((t_up - t_bound)) ms after its sipp was bound"
	in_range "be2 up detection (ms from its socket bound)" 0 "$UP_BOUND" $((t_up - t_bound))
fi
health_is "be2 restarted" be1:up be2:up be3:up

rc=0
wait "$uac_pid" || rc=$?
log "sipp UAC (main) exited with status $rc"
s_end=$(stats)
# siplb first: backends stopped under a running siplb would go down.
check_lb_stop
uas_stop be1 be2 be3

ok=$(sipp_stat main 'SuccessfulCall(C)')
fail=$(sipp_stat main 'FailedCall(C)')
eq "sipp (main) calls placed" "$CALLS" $((ok + fail))
# In flight at be2 when it stopped: calls started in the last call length
# (+100 ms for INVITE..ACK) before the stop, plus INVITEs it got before the
# down mark (those are retransmitted to the others after it and succeed).
fail_max=$((RATE * (detect_ms + CALL_MS + 100) / 1000))
in_range "sipp (main) failed calls (<= rate * (detection + call length))" 0 "$fail_max" "$fail"
before=$s_down after=$s_restart
eq "fail_backend.be2 (stateless: no try fails)" 0 "$(jget "$s_end" fail_backend.be2)"
ge "probes_sent while be2 was down (~10 per 3 s)" 10 "$(delta probes_sent)"
before=$s_up after=$s_end
ge "fwd_backend.be2 after be2 came back up" 1 "$(delta fwd_backend.be2)"

final=$(grep '^{' "$WORK/siplb.out" | tail -n 1 || true)
[ -n "$final" ] || final=$s_end
before=$first after=$final
log "siplb counters moved (non-zero): $(nonzero "$final")"
eq "siplb drop/reply counters that moved" none "$(moved "$first" "$final")"
eq "acct_lost" 0 "$(jget "$final" acct_lost)"
eq "stderr: 'backend be2 down: $HC_DOWN checks missed' lines" 1 \
	"$(grep -c "^siplb: backend be2 down: $HC_DOWN checks missed$" "$WORK/siplb.err" || true)"
eq "stderr: 'backend be2 up: $HC_UP checks answered' lines" 1 \
	"$(grep -c "^siplb: backend be2 up: $HC_UP checks answered$" "$WORK/siplb.err" || true)"
eq "stderr: down/up lines about be1 or be3" 0 \
	"$(grep -cE '^siplb: backend be[13] (down|up)' "$WORK/siplb.err" || true)"

# Accounting: one record per forwarded INVITE/ACK/BYE and per final response
# (one worker: file order is forwarding order, and the Nth line is counted
# in acct_records once it exists). Windows by acct_records of the snapshots.
py_checks "$WORK" "$(jget "$s_down" acct_records)" \
	"$(jget "$s_up" acct_records)" "$(jget "$s_down" fwd_backend.be2)" \
	"$(jget "$s_up" fwd_backend.be2)" "$(jget "$s_main" acct_records)" "$fail" <<'EOF'
import collections, json, os

work = sys.argv[1]
i_down, i_up, f_down, f_up, i_first, n_failed = map(int, sys.argv[2:8])
recs = [json.loads(l) for l in open(os.path.join(work, "acct.jsonl"))]
recs = recs[i_first:]          # the main run's records only
base = i_first
req = lambda r: r["status"] == 0

def logged(be, logs):
    cids = set()
    for name in logs:
        for line in open(os.path.join(work, name), errors="replace"):
            p = line.split()
            if len(p) >= 2 and p[1] == "INVITE":
                cids.add(p[0])
    return cids

inv_first = {}                 # Call-ID -> (index, backend) of first INVITE
for i, r in enumerate(recs, base + 1):
    if req(r) and r["method"] == "INVITE" and r["call_id"] not in inv_first:
        inv_first[r["call_id"]] = (i, r["backend"])

# Down mark .. up mark: new calls only to be1/be3, be2 only gets in-dialog
# requests of calls it answered before it stopped.
win = [(i, r) for i, r in enumerate(recs, base + 1) if i_down < i <= i_up and req(r)]
inv = [r for i, r in win if r["method"] == "INVITE"]
inv_be2 = [r["call_id"] for r in inv if r["backend"] == "be2"]
check("INVITEs forwarded to be2 between its down and up marks", 0, eg(inv_be2),
      not inv_be2)
check("INVITEs forwarded to be1/be3 between be2's down and up marks", "> 50",
      len(inv), len(inv) > 50)
to_be2 = [(i, r) for i, r in win if r["backend"] == "be2"]
old = [r["call_id"] + " " + r["method"] for i, r in to_be2
       if not (r["call_id"] in inv_first and inv_first[r["call_id"]][0] <= i_down
               and inv_first[r["call_id"]][1] == "be2")]
check("requests to be2 after its down mark not of calls it had before it",
      0, eg(old), not old)
check("fwd_backend.be2 growth from down to up mark == accounted requests to be2",
      len(to_be2), f_up - f_down, f_up - f_down == len(to_be2))
for be, logs in (("be1", ["be1.log"]), ("be3", ["be3.log"])):
    new = {r["call_id"] for r in inv if r["backend"] == be}
    missing = new - logged(be, logs)
    check("new calls (down..up) forwarded to %s" % be, "> 10", len(new), len(new) > 10)
    check("of those, missing in %s's UAS log" % be, 0, eg(missing), not missing)

# After the up mark: be2 takes new calls again, its new sipp has them.
late = {r["call_id"] for i, r in enumerate(recs, base + 1)
        if i > i_up and req(r) and r["method"] == "INVITE" and r["backend"] == "be2"}
check("INVITEs forwarded to be2 after its up mark", "> 20", len(late), len(late) > 20)
missing = late - logged("be2", ["be2.log"])
check("of those, missing in be2's new UAS log", 0, eg(missing), missing == set())

# Dialogs: a call's dialog lives at the backend that answered its INVITE
# 200 (Record-Route bk=): its ACK and BYEs must all go there, through the
# down and up transitions. Its INVITE may have gone elsewhere first only
# to be2 before be2's down mark (be2 dead, not yet detected; sipp's
# retransmission then went to the next backend).
owner = {}                     # Call-ID -> (index, backend) of the INVITE 200
for i, r in enumerate(recs, base + 1):
    if r["method"] == "INVITE" and r["status"] == 200:
        owner.setdefault(r["call_id"], (i, r["backend"]))
moved, early = [], []
for i, r in enumerate(recs, base + 1):
    if not req(r) or r["call_id"] not in owner:
        continue
    ob = owner[r["call_id"]][1]
    if r["backend"] == ob:
        continue
    if r["method"] == "INVITE" and r["backend"] == "be2" and i <= i_down:
        early.append(r["call_id"])
    else:
        moved.append("%s %s to %s, dialog at %s" % (r["call_id"], r["method"],
                                                  r["backend"], ob))
check("requests of a dialog sent to another backend than the one that answered",
      0, eg(moved), not moved)
print("info: %d calls were first sent to be2 between its stop and its down mark,"
      " then answered by another backend" % len(set(early)))

# Failed calls: no answered BYE (response to BYE, status 200) accounted.
# Only calls be2 had before its down mark may fail: answered by be2 then,
# or never answered and all their INVITEs sent to be2 then (be2 sent a 1xx
# and died: the UAC stopped retransmitting).
bye_ok = {r["call_id"] for r in recs if r["method"] == "BYE" and r["status"] == 200}
nok = sorted(set(inv_first) - bye_ok)
check("calls without an answered BYE == sipp's failed calls", n_failed, len(nok),
      len(nok) == n_failed)
invs = collections.defaultdict(list)
for i, r in enumerate(recs, base + 1):
    if req(r) and r["method"] == "INVITE":
        invs[r["call_id"]].append((i, r["backend"]))
def be2s(c):
    if c in owner:
        return owner[c][1] == "be2" and owner[c][0] <= i_down
    return all(b == "be2" and i <= i_down for i, b in invs[c])
notbe2 = ["%s (dialog at %s)" % (c, owner.get(c, (0, "none"))[1]) for c in nok
          if not be2s(c)]
check("failed calls that were not be2's before its down mark", 0,
      eg(notbe2), not notbe2)
print("info: failed calls: %d dialogs be2 answered, %d INVITEs be2 left without"
      " a final" % (sum(c in owner for c in nok), sum(c not in owner for c in nok)))
EOF
finish
