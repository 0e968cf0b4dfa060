#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Control operations under load (issue 4, point 2): 3000 calls at 150/s
# through siplb (conf/demo.conf copied to $WORK, be1..be3 running uas.xml,
# the UAC sf2_uac_rr.xml sending ACK and BYE along the Record-Route, i.e. to
# the backend bk= names), while a loop does 100 siplbctl operations spread
# over the run, 10 rounds of:
#   reload C (be1 1, be2 3, be3 2), drain be1, weight be2 2, enable be1,
#   drain be2, weight be1 3, enable be2, drain be3 (then 1 s for be3's
#   dialogs to end), reload B (be1 2, be2 1, no be3), reload A (1, 1, 1)
# with the config file rewritten (atomically: a rename) before each reload.
# be3 leaves the way an operator removes a backend: drained first, removed
# once its dialogs are over (a removed backend gets no in-dialog requests).
# Proves:
#  - every siplbctl call exits 0;
#  - all 3000 calls succeed (sipp's verdict), and in the backends' logs
#    every call's INVITE, ACK and BYE reached one backend, one INVITE each:
#    no dialog was broken by a reload, a weight change or a drain;
#  - every backend took calls;
#  - no drop or reply counter moved beyond the network's background noise;
#  - status --json counts the 30 reloads; siplb exits 0 on SIGTERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-3000}
RATE=${RATE:-150}
ROUNDS=10

net_up be1 be2 be3
CONF=$WORK/reload.conf

# mkconf NAME "be1:W be2:W ...": $WORK/NAME.conf, demo.conf with those
# backends (addresses from BE_IP) and the control socket in $WORK.
mkconf() {
	local spec b
	read -ra spec <<<"$2"
	for b in "${spec[@]}"; do
		printf '  { name = "%s"; address = "%s"; port = 5060; weight = %s; }\n' \
			"${b%%:*}" "${BE_IP[${b%%:*}]}" "${b#*:}"
	done | sed '$!s/$/,/' >"$WORK/$1.bk"
	ctl_conf "$DEMO_CONF" "$WORK/$1.conf" '/{ name = "be[0-9]"/d' \
		"/^backends: (/r $WORK/$1.bk"
	[ "$(grep -c '{ name = "be' "$WORK/$1.conf")" = ${#spec[@]} ] ||
		die "mkconf $1: backends not written"
}
mkconf A "be1:1 be2:1 be3:1"
mkconf B "be1:2 be2:1"
mkconf C "be1:1 be2:3 be3:2"
cp "$WORK/A.conf" "$CONF"

uas_up be1 be2 be3
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

OPS=0
RELOADS=0
BAD_OPS=()
# op ARG...: one siplbctl operation; a non-zero exit is remembered. Each
# goes to $WORK/ops.log: start time, duration (ms), exit status, command.
op() {
	local t0 t1
	t0=$(date +%s%N)
	ctl "$@"
	t1=$(date +%s%N)
	printf '%s.%s %d %d %s\n' "${t0:0:10}" "${t0:10:6}" $(((t1 - t0) / 1000000)) \
		"$CTL_RC" "$*" >>"$WORK/ops.log"
	OPS=$((OPS + 1))
	[ "$1" = reload ] && RELOADS=$((RELOADS + 1))
	if [ "$CTL_RC" != 0 ]; then
		BAD_OPS+=("$(date +%T) $* -> $CTL_RC: $(tr '\n' ' ' <"$WORK/ctl.err")")
	fi
	sleep 0.06
}
# reload_to NAME: make $CONF the NAME config (rename: siplb never reads a
# half-written file), reload.
reload_to() {
	cp "$WORK/$1.conf" "$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
	op reload
}

log "placing $CALLS calls at $RATE calls/s; $ROUNDS rounds of 10 control operations"
(cd "$WORK" && UAC_SCEN=sf2_uac_rr.xml uac_run calls "$LB_IP:5060" "$CALLS" "$RATE") &
uac_pid=$!
sleep 1
t0=$SECONDS
for ((r = 0; r < ROUNDS && SECONDS - t0 < 60; r++)); do
	reload_to C
	op backend drain be1
	op backend weight be2 2
	op backend enable be1
	op backend drain be2
	op backend weight be1 3
	op backend enable be2
	op backend drain be3
	sleep 1 # be3's dialogs end (calls last ~0.5 s)
	reload_to B
	reload_to A
done
log "control loop done: $OPS operations ($RELOADS reloads) in $((SECONDS - t0)) s," \
	"slowest $(sort -k2,2n "$WORK/ops.log" | tail -n 1 | cut -d' ' -f2) ms"
uac_rc=0
wait "$uac_pid" || uac_rc=$?
log "sipp UAC exited with status $uac_rc"
after=$(lb_stats)
ctl --json status
status_json=$(cat "$WORK/ctl.out")
uas_stop be1 be2 be3

eq "control operations done" 100 "$OPS"
eq "control operations that did not exit 0" 0 "${#BAD_OPS[@]}"
for b in "${BAD_OPS[@]}"; do echo "    $b"; done
check_calls calls "$CALLS" "$uac_rc"
log "siplb counters (non-zero): $(nonzero "$after")"
eq "drop/reply counters that moved (background traffic aside)" none \
	"$(moved "$before" "$after")"
log "drops_total moved by $(delta drops_total) (background traffic)"
eq "siplbctl --json status exit status" 0 "$CTL_RC"
ge "status --json reloads" "$RELOADS" "$(jget "$status_json" reloads)"
eq "status --json backends at the end (config A)" 3 "$(jget "$status_json" backends)"

# Backend logs: "<Call-ID> <METHOD>" per request received.
py_checks "$WORK" "$CALLS" <<'EOF'
import collections, os

work, calls = sys.argv[1], int(sys.argv[2])
where = collections.defaultdict(set)
methods = collections.defaultdict(collections.Counter)
per_be = collections.Counter()
bad = 0
for be in ("be1", "be2", "be3"):
    with open(os.path.join(work, be + ".log"), encoding="ascii",
              errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) != 2:
                bad += 1
                continue
            where[p[0]].add(be)
            methods[p[0]][p[1]] += 1
            if p[1] == "INVITE":
                per_be[be] += 1
check("unparsable backend log lines", 0, bad, bad == 0)
check("calls logged by the backends", calls, len(where), len(where) == calls)
split = ["%s at %s" % (c, ",".join(sorted(b)))
         for c, b in where.items() if len(b) > 1]
check("calls whose requests reached more than one backend", 0, eg(split),
      not split)
wrong = ["%s: %s" % (c, dict(m)) for c, m in methods.items()
         if m["INVITE"] != 1 or m["ACK"] < 1 or m["BYE"] < 1]
check("calls without one INVITE, an ACK and a BYE at their backend", 0,
      eg(wrong), not wrong)
for be in ("be1", "be2", "be3"):
    check("INVITEs at %s" % be, "> 0", per_be[be], per_be[be] > 0)
EOF

check_lb_stop
finish
