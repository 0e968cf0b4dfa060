#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplbctl end to end against the real daemon (conf/demo.conf copied to
# $WORK with its control socket there, so the test can edit the file and
# reload it; backends be1 be2, and be3 added at run time). Backends run
# uas.xml with a short message trace (time, R/S, Call-ID, first line) and
# each UAC run tags its Call-IDs (-cid_str "<run>-..."), so the traces tell
# which backend got which message of which run, and when. The UAC
# (sf2_uac_rr.xml) sends ACK and BYE along the 200's Record-Route, whose bk=
# names the backend: in-dialog routing by name is what drain relies on.
# Proves:
#  - status, stats, backends answer in text and JSON, and the JSON is right
#    (pid, mode stateless, config path, 2 backends, ~50/50 shares);
#  - no daemon on the socket -> exit 3 (before start and after stop);
#  - backend drain be1 in the middle of a run of calls with a 3 s pause: no
#    INVITE reaches be1 after the drain returned, be2 takes the new calls,
#    the ACK/BYE of be1's calls still reach be1 (BYEs all after the drain),
#    0 failed calls; backend enable be1 -> be1 takes new calls again;
#  - backend add be3 -> be3 takes calls; backend weight be3 4 -> its table
#    share ~4/6 and most new calls; backend remove be3 -> no message of the
#    next run reaches be3; add of an existing name -> 1, bad weights -> 2,
#    unknown backend -> 1, unknown command -> 2, and those change nothing;
#  - reload of the edited copy (be3 added, be2 weight 3) -> 0 and backends
#    shows it; a syntax error and a bad value -> 1 with FILE:LINE in the body
#    and backends unchanged; sip.port changed -> 1 naming sip.port; the good
#    file again -> 0; status counts the 2 successful reloads;
#  - no unexpected drop or reply counter moved, siplb exits 0 on SIGTERM.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2 be3
CONF=$WORK/ctl.conf
ctl_conf "$DEMO_CONF" "$CONF"
for h in be1 be2 be3; do
	uas_start "$h" -trace_shortmsg -shortmessage_file "$WORK/$h.short"
done
for h in be1 be2 be3; do uas_wait_bound "$h"; done

ctl_expect 3 status # nothing listens on $CTL_SOCK yet
lb_start "$CONF" || die "siplb did not start from $CONF"
before=$(lb_stats)

# uac NAME CALLS RATE [sipp args]: a run of sf2_uac_rr.xml calls whose
# Call-IDs start with "NAME-"; sipp's verdict checked.
uac() {
	local name=$1 calls=$2 rate=$3 rc=0
	shift 3
	UAC_SCEN=sf2_uac_rr.xml uac_run "$name" "$LB_IP:5060" "$calls" "$rate" \
		-cid_str "$name-%u-%p@%s" "$@" || rc=$?
	check_calls "$name" "$calls" "$rc"
}

# backends_is WHAT SPEC...: check `backends --json` lists exactly the
# backends of SPEC ("name:address:weight:state:share_lo:share_hi"), health up.
backends_is() {
	local what=$1
	shift
	ctl --json backends
	eq "siplbctl --json backends exit status ($what)" 0 "$CTL_RC"
	py_checks "$WORK/ctl.out" "$what" "$@" <<'EOF'
import json
doc = json.load(open(sys.argv[1]))
what = sys.argv[2]
got = {b["name"]: b for b in doc["backends"]}
want = [s.split(":") for s in sys.argv[3:]]
check("backends (%s)" % what, " ".join(sorted(w[0] for w in want)),
      " ".join(sorted(got)), sorted(got) == sorted(w[0] for w in want))
for name, addr, weight, state, lo, hi in want:
    b = got.get(name)
    if b is None:
        continue
    desc = "%s:%d w%d %s %s" % (b["address"], b["port"], b["weight"],
                                b["state"], b["health"])
    exp = "%s:5060 w%s %s up" % (addr, weight, state)
    check("%s (%s)" % (name, what), exp, desc, desc == exp)
    check("%s share_pct (%s)" % (name, what), "%s..%s" % (lo, hi),
          b["share_pct"], float(lo) <= b["share_pct"] <= float(hi))
    check("%s requests is a count" % name, ">= 0", b["requests"],
          isinstance(b["requests"], int) and b["requests"] >= 0)
total = sum(b["share_pct"] for b in doc["backends"])
check("shares sum (%s)" % what, "100 (or 0)", "%.2f" % total,
      abs(total - 100) < 0.1 or total == 0)
EOF
}

# ---- status, stats, backends: text and JSON
ctl_expect 0 status
eq "status (text) names the mode and the config" 1 \
	"$(grep -q stateless "$WORK/ctl.out" && grep -qF "$CONF" "$WORK/ctl.out" && echo 1 || echo 0)"
ctl_expect 0 --json status
py_checks "$WORK/ctl.out" "$LB_PID" "$CONF" "$LB_IP:5060" <<'EOF'
import json
s = json.load(open(sys.argv[1]))
for k, v in (("version", 1), ("pid", int(sys.argv[2])), ("mode", "stateless"),
             ("config", sys.argv[3]), ("address", sys.argv[4]),
             ("workers", 1), ("backends", 2), ("active", 2), ("reloads", 0)):
    check("status --json %s" % k, v, s.get(k), s.get(k) == v)
check("status --json uptime_s", ">= 0", s.get("uptime_s"),
      isinstance(s.get("uptime_s"), int) and s["uptime_s"] >= 0)
EOF
ctl_expect 0 stats
eq "stats (text) is not empty" 1 "$([ -s "$WORK/ctl.out" ] && echo 1 || echo 0)"
ctl_expect 0 --json stats
py_checks "$WORK/ctl.out" "$before" <<'EOF'
import json
s = json.load(open(sys.argv[1]))
sig = json.loads(sys.argv[2])
check("stats --json has the SIGUSR1 line's keys", "same keys",
      sorted(set(sig) ^ set(s)) or "same keys", set(sig) == set(s))
EOF
ctl_expect 0 backends
eq "backends (text) lists be1 and be2" 2 \
	"$(grep -cE '^be[12] +198\.18\.0\.2[12]:5060 ' "$WORK/ctl.out" || true)"
backends_is start be1:198.18.0.21:1:active:45:55 be2:198.18.0.22:1:active:45:55

# ---- drain be1 in the middle of a run: 80 calls at 20/s, 3 s each
log "drain run: 80 calls at 20/s, 3 s pause; drain be1 1.5 s in"
uac drain 80 20 -d 3000 &
uac_pid=$!
sleep 1.5
t_drain0=$(date +%s.%N)
ctl_expect 0 backend drain be1
t_drain1=$(date +%s.%N)
ctl_expect 0 --json stats
byes_at_drain=$(jget "$(cat "$WORK/ctl.out")" sip_req.BYE)
eq "BYEs siplb had seen when the drain returned" 0 "$((byes_at_drain - $(jget "$before" sip_req.BYE)))"
backends_is drained be1:198.18.0.21:1:drained:0:0 be2:198.18.0.22:1:active:100:100
ctl_expect 0 --json status
eq "status --json active while be1 drains" 1 "$(jget "$(cat "$WORK/ctl.out")" active)"
wait "$uac_pid" || TEST_FAILED=1

ctl_expect 0 backend enable be1
backends_is enabled be1:198.18.0.21:1:active:45:55 be2:198.18.0.22:1:active:45:55
uac enable 40 40

# ---- add, weight, remove
ctl_expect 0 backend add be3 198.18.0.23:5060
backends_is added be1:198.18.0.21:1:active:28:38 be2:198.18.0.22:1:active:28:38 \
	be3:198.18.0.23:1:active:28:38
uac add 60 60
ctl_expect 0 backend weight be3 4
backends_is weight be1:198.18.0.21:1:active:12:21 be2:198.18.0.22:1:active:12:21 \
	be3:198.18.0.23:4:active:62:72
uac weight 60 60
ctl_expect 0 backend remove be3
backends_is removed be1:198.18.0.21:1:active:45:55 be2:198.18.0.22:1:active:45:55
uac remove 40 40

# ---- refused changes
ctl_expect 1 backend add be1 198.18.0.24
ctl_expect 1 backend add be4 198.18.0.21:5060 # be1's address and port
ctl_expect 2 backend weight be2 abc
ctl_expect 2 backend weight be2 0
ctl_expect 2 backend weight be2 1001
ctl_expect 2 backend add be4 198.18.0.24 0
ctl_expect 1 backend drain nosuch
ctl_expect 2 frobnicate
backends_is "after refused changes" be1:198.18.0.21:1:active:45:55 be2:198.18.0.22:1:active:45:55

# ---- reload
# The good edit: be2 weight 3, be3 added (weight 1).
GOOD=$WORK/good.conf
ctl_conf "$DEMO_CONF" "$GOOD" \
	'/name = "be2"/s/weight = 1; }/weight = 3; },\n  { name = "be3"; address = "198.18.0.23"; port = 5060; weight = 1; }/'
grep -q '"be3"' "$GOOD" || die "could not edit $GOOD"
cp "$GOOD" "$CONF"
ctl_expect 0 reload
eq "reload message" "reloaded $CONF" "$(cat "$WORK/ctl.out")"
good_set=(be1:198.18.0.21:1:active:15:25 be2:198.18.0.22:3:active:55:65
	be3:198.18.0.23:1:active:15:25)
backends_is reloaded "${good_set[@]}"

# reload_refused WHAT NEEDLE: reload of the current (broken) $CONF must exit
# 1, name NEEDLE in its output, and leave the backends as good_set.
reload_refused() {
	ctl_expect 1 reload
	check "reload output ($1)" "contains '$2'" \
		"$(head -c 300 "$WORK/ctl.out" "$WORK/ctl.err" | tr '\n' ' ')" \
		"$(grep -qF -- "$2" "$WORK/ctl.out" "$WORK/ctl.err" && echo 1 || echo 0)"
	backends_is "after $1" "${good_set[@]}"
}

sed '3a oops = ;' "$GOOD" >"$CONF" # a value missing on line 4
reload_refused "syntax error" "$CONF:4:"
sed '/name = "be3"/s/weight = 1;/weight = 0;/' "$GOOD" >"$CONF"
reload_refused "weight 0" "$CONF:$(grep -n 'weight = 0' "$CONF" | cut -d: -f1):"
sed 's/^\([[:space:]]*\)port = 5060;$/\1port = 5070;/' "$GOOD" >"$CONF"
grep -q 'port = 5070' "$CONF" || die "could not edit sip.port in $CONF"
reload_refused "sip.port changed" "sip.port"
cp "$GOOD" "$CONF"
ctl_expect 0 reload
backends_is restored "${good_set[@]}"
ctl_expect 0 --json status
eq "status --json reloads (2 accepted of 5)" 2 "$(jget "$(cat "$WORK/ctl.out")" reloads)"
eq "status --json backends after reload" 3 "$(jget "$(cat "$WORK/ctl.out")" backends)"

after=$(lb_stats)
eq "drop/reply counters that moved" none "$(moved "$before" "$after")"
check_lb_stop
ctl_expect 3 status # daemon gone
uas_stop be1 be2 be3

# ---- the backends' traces: per run, who got which message, when
py_checks "$WORK" "$t_drain0" "$t_drain1" <<'EOF'
import collections, os

work, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
# run -> backend -> Call-ID -> [(epoch, method)] of the requests received
rx = collections.defaultdict(lambda: collections.defaultdict(
    lambda: collections.defaultdict(list)))
for be in ("be1", "be2", "be3"):
    with open(os.path.join(work, be + ".short"), encoding="ascii",
              errors="replace") as f:
        for line in f:
            p = line.rstrip("\r\n").split("\t")
            if len(p) < 7 or p[3] != "R":
                continue
            first = p[6].split()
            if not first or first[0] == "SIP/2.0":
                continue
            rx[p[4].split("-")[0]][be][p[4]].append((float(p[2]), first[0]))

def invites(run, be, after=None, before=None):
    return sorted(c for c, l in rx[run][be].items() for t, m in l
                  if m == "INVITE" and (after is None or t > after)
                  and (before is None or t < before))

# Every call of every run: one backend, one INVITE, an ACK, a BYE.
runs = {"drain": 80, "enable": 40, "add": 60, "weight": 60, "remove": 40}
for run, n in runs.items():
    where = collections.defaultdict(set)
    bad = []
    for be, calls in rx[run].items():
        for c, l in calls.items():
            where[c].add(be)
            ms = collections.Counter(m for _, m in l)
            if ms["INVITE"] != 1 or ms["ACK"] < 1 or ms["BYE"] < 1:
                bad.append("%s at %s: %s" % (c, be, dict(ms)))
    check("%s: calls at the backends" % run, n, len(where), len(where) == n)
    split = [c for c, b in where.items() if len(b) > 1]
    check("%s: calls at more than one backend" % run, 0, eg(split), not split)
    check("%s: calls without one INVITE, an ACK and a BYE" % run, 0, eg(bad),
          not bad)

# drain: no INVITE at be1 once the drain returned (10 ms for frames that
# were already past siplb), be1's calls still got their ACK and BYE there.
late = invites("drain", "be1", after=t1 + 0.01)
check("drain: INVITEs at be1 after the drain returned", 0, eg(late), not late)
early = invites("drain", "be1", before=t0)
check("drain: INVITEs at be1 before the drain", "> 0", len(early), early)
new2 = invites("drain", "be2", after=t1)
check("drain: INVITEs at be2 after the drain (be1's share too)", ">= 20",
      len(new2), len(new2) >= 20)
b1 = rx["drain"]["be1"]
byes = [c for c, l in b1.items() if any(m == "BYE" and t > t1 for t, m in l)]
check("drain: be1's calls whose BYE reached be1 after the drain", len(b1),
      len(byes), len(byes) == len(b1) and byes)

# enable, add, weight: the backend back or new takes calls.
n = len(invites("enable", "be1"))
check("enable: INVITEs at be1 (of 40)", "8..32", n, 8 <= n <= 32)
n = len(invites("add", "be3"))
check("add: INVITEs at be3 (of 60, 1/3)", "8..32", n, 8 <= n <= 32)
n = len(invites("weight", "be3"))
check("weight: INVITEs at be3 (of 60, 4/6)", "30..52", n, 30 <= n <= 52)
left = sorted(c for c in rx["remove"]["be3"])
check("remove: calls at be3 after its removal", 0, eg(left), not left)
EOF
finish
