#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Accounting end to end (issue 4): conf/demo.conf plus an accounting group;
# 500 calls of a known length (CALL_MS, pause between ACK and BYE) at 100/s
# from a caller that follows the Record-Route (sf1_uac_rr.xml) to two sipp
# backends, while the file is rotated twice mid-run: mv + SIGHUP, then mv +
# `siplbctl accounting reopen`. Proves:
# - the three files hold exactly the records of the 500 calls and nothing
#   else: 500 each of INVITE, INVITE 200, ACK, BYE, BYE 200, every line
#   valid JSON, one backend per call (the one its source says), requests
#   from the client, responses from that backend, times in call order;
# - every file got records (each rotation really moved the writer on), and
#   no record was lost across the rotations: siplb-cdr over the three files
#   in order gives exactly 500 CDRs, each lasting CALL_MS +/- 100 ms, with
#   no open, failed, unanswered call nor unparsable line;
# - siplb's counters agree: acct_records == lines written, acct_lost == 0.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-500}
RATE=${RATE:-100}
CALL_MS=${CALL_MS:-2000}
SIPLBCTL=${SIPLBCTL:-$(dirname "$SIPLB")/siplbctl}
CDR=$SIPLB_SRC/ctrl/siplb-cdr

net_up be1 be2
acct=$WORK/acct.jsonl
conf=$WORK/acct.conf
# Our own control socket: other runs may use the demo's at the same time.
gen_conf "$DEMO_CONF" "$conf" "s|/run/siplb/demo.sock|$WORK/ctl.sock|"
printf '\naccounting: { file = "%s"; };\n' "$acct" >>"$conf"

uas_up be1 be2
lb_start "$conf" || die "siplb did not start from $conf"

# wait_file PATH: bounded (10 s) wait until PATH exists; 0 if it does. Generous:
# on a loaded machine the main lcore, which acts on SIGHUP, may lag seconds.
wait_file() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

log "placing $CALLS calls of $CALL_MS ms at $RATE calls/s"
UAC_SCEN=sf1_uac_rr.xml uac_run acct "$LB_IP:5060" "$CALLS" "$RATE" \
	-d "$CALL_MS" -l $((RATE * (CALL_MS / 1000 + 3))) &
uac_pid=$!

# Rotation 1, 2 s in: move the file, SIGHUP. siplb keeps writing the moved
# file (same inode) until it reopens the name.
sleep 2
mv "$acct" "$acct.2"
kill -HUP "$LB_PID"
wait_file "$acct" && ok=1 || ok=0
check "SIGHUP: siplb reopened $acct" "a new file" \
	"$([ "$ok" = 1 ] && echo "a new file" || echo "no file")" "$ok"

# Rotation 2, 4.5 s in: move it again, reopen through the control socket.
sleep 2.5
ctl_rc=0
if [ -x "$SIPLBCTL" ]; then
	if [ "$ok" = 1 ]; then
		mv "$acct" "$acct.1"
		"$SIPLBCTL" -s "$WORK/ctl.sock" accounting reopen >"$WORK/ctl.out" 2>&1 || ctl_rc=$?
		eq "siplbctl accounting reopen exit status" 0 "$ctl_rc"
		wait_file "$acct" && ok=1 || ok=0
		check "siplbctl accounting reopen: siplb reopened $acct" "a new file" \
			"$([ "$ok" = 1 ] && echo "a new file" || echo "no file")" "$ok"
	fi
else
	log "no siplbctl at $SIPLBCTL: rotation 2 by SIGHUP as well"
	mv "$acct" "$acct.1"
	kill -HUP "$LB_PID"
fi

rc=0
wait "$uac_pid" || rc=$?
log "sipp UAC exited with status $rc"
uas_stop be1 be2
check_calls acct "$CALLS" "$rc"

# Stopping siplb drains the rings and closes the file: after this every
# record it counted must be on disk.
check_lb_stop
final=$(grep '^{' "$WORK/siplb.out" | tail -n 1 || true)
[ -n "$final" ] || die "siplb printed no counters on exit"
files=()
for f in "$acct.2" "$acct.1" "$acct"; do
	[ -e "$f" ] && files+=("$f")
done
lines=$(cat "${files[@]}" | wc -l)
log "files: $(for f in "${files[@]}"; do printf '%s=%s ' "${f##*/}" "$(wc -l <"$f")"; done)"
eq "siplb acct_records == lines written" "$lines" "$(jget "$final" acct_records)"
eq "siplb acct_lost" 0 "$(jget "$final" acct_lost)"
eq "records (5 per call)" $((5 * CALLS)) "$lines"

# The records themselves.
py_checks "$CALLS" "${BE_IP[be1]}" "${BE_IP[be2]}" "$CLIENT_IP" \
	"$acct.2" "$acct.1" "$acct" <<'EOF'
import collections, json, os

calls = int(sys.argv[1])
be_ip = {"be1": sys.argv[2], "be2": sys.argv[3]}
client = sys.argv[4] + ":5060"
paths = sys.argv[5:]
kinds = collections.Counter()
per_call = collections.defaultdict(list)
bad = []
for p in paths:
    n = 0
    if os.path.exists(p):
        for i, line in enumerate(open(p, encoding="utf-8"), 1):
            n += 1
            try:
                r = json.loads(line)
                k = (r["method"], r["status"])
                per_call[r["call_id"]].append(
                    (r["epoch"], k, r["backend"], r["source"], r["from_tag"], r["to_tag"]))
            except (ValueError, KeyError, TypeError) as e:
                bad.append("%s:%d %s" % (os.path.basename(p), i, e))
                continue
            kinds["%s %s" % k] += 1
    check("records in %s" % os.path.basename(p), "> 0", n, n > 0)
check("unparsable records", 0, eg(bad), not bad)
for k in ("INVITE 0", "INVITE 200", "ACK 0", "BYE 0", "BYE 200"):
    check("records %s" % k, calls, kinds[k], kinds[k] == calls)
other = ["%s*%d" % kv for kv in kinds.items()
         if kv[0] not in ("INVITE 0", "INVITE 200", "ACK 0", "BYE 0", "BYE 200")]
check("other records", 0, eg(other), not other)
check("Call-IDs", calls, len(per_call), len(per_call) == calls)

order = {("INVITE", 0): 0, ("INVITE", 200): 1, ("ACK", 0): 2, ("BYE", 0): 3,
         ("BYE", 200): 4}
split, nobk, badsrc, disorder, notags = [], [], [], [], []
shares = collections.Counter()
for cid, recs in per_call.items():
    bks = {r[2] for r in recs}
    if len(bks) != 1:
        split.append("%s: %s" % (cid, bks))
        continue
    bk = bks.pop()
    if bk not in be_ip:
        nobk.append("%s: %s" % (cid, bk))
        continue
    shares[bk] += 1
    for ep, k, _, src, ft, tt in recs:
        want = client if k[1] == 0 else be_ip[bk] + ":5060"
        if src != want:
            badsrc.append("%s %s %s from %s" % (cid, k[0], k[1], src))
        if not ft or (k != ("INVITE", 0) and not tt):
            notags.append("%s %s %s" % (cid, k[0], k[1]))
    seq = [order.get(k, 9) for _, k, *_ in sorted(recs, key=lambda r: r[0])]
    if seq != sorted(seq):
        disorder.append("%s: %s" % (cid, seq))
check("calls over more than one backend", 0, eg(split), not split)
check("calls without a known backend", 0, eg(nobk), not nobk)
for bk in sorted(be_ip):
    check("calls at %s" % bk, "> 0", shares[bk], shares[bk] > 0)
check("records from the wrong source", 0, eg(badsrc), not badsrc)
check("records missing a tag", 0, eg(notags), not notags)
check("calls whose record times are out of call order", 0, eg(disorder),
      not disorder)
EOF

# The CDRs, from the three files in rotation order.
cdr_rc=0
python3 "$CDR" --json "${files[@]}" >"$WORK/cdr.jsonl" 2>"$WORK/cdr.err" || cdr_rc=$?
eq "siplb-cdr exit status" 0 "$cdr_rc"
log "siplb-cdr: $(cat "$WORK/cdr.err")"
check "siplb-cdr summary" "$CALLS CDRs, 0 open, 0 failed, 0 unanswered, 0 unparsable" \
	"$(tail -n 1 "$WORK/cdr.err")" \
	"$(grep -qF "siplb-cdr: $CALLS CDRs, 0 open, 0 failed, 0 unanswered, 0 unparsable lines" \
		"$WORK/cdr.err" && echo 1 || echo 0)"
py_checks "$CALLS" "$CALL_MS" "$WORK/cdr.jsonl" <<'EOF'
import json

calls, ms = int(sys.argv[1]), int(sys.argv[2])
cdrs = [json.loads(l) for l in open(sys.argv[3])]
check("CDRs", calls, len(cdrs), len(cdrs) == calls)
ids = {c["call_id"] for c in cdrs}
check("distinct Call-IDs in the CDRs", calls, len(ids), len(ids) == calls)
d = sorted(c["duration"] for c in cdrs)
off = [c["call_id"] + " %.3f" % c["duration"] for c in cdrs
       if abs(c["duration"] * 1000 - ms) > 100]
if d:
    print("      durations: min %.3f, median %.3f, max %.3f s"
          % (d[0], d[len(d) // 2], d[-1]))
check("CDRs not lasting %d ms +/- 100" % ms, 0, eg(off), not off)
incomplete = [c["call_id"] for c in cdrs
              if not (c["from_tag"] and c["to_tag"] and c["backend"]
                      and c["start"] and c["end"])]
check("CDRs missing a tag, backend or time", 0, eg(incomplete), not incomplete)
EOF
finish
