#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# siplb-cdr (ctrl/siplb-cdr) on hand-written accounting files: a normal call
# (exact start, end, tags, backend, duration to the ms), a re-INVITE inside a
# call (its 200 does not restart the call), a BYE before the answer (ignored;
# the BYE after the answer ends the call), a call split over rotated files
# read in order, a BYE written before the 200 it follows (two workers'
# rings), a retransmitted BYE, a failed call (486), an auth retry (407, then
# 200: one CDR), an open call (--open), unparsable lines (counted, reported,
# no crash), stdin, and the exit codes (0, 1 no input readable, 2 usage).
# Needs only python3; no root, no network.
set -uo pipefail
CDR=${SIPLB_CDR:?path of ctrl/siplb-cdr}
PY=${PYTHON3:-python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
cdr() { "$PY" "$CDR" "$@" >"$tmp/out" 2>"$tmp/err"; }
# field CALL-ID KEY: a key of that call's CDR in $tmp/out (--json), or "none"
field() {
	"$PY" - "$tmp/out" "$1" "$2" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["call_id"] == sys.argv[2]:
        print(json.dumps(r[sys.argv[3]]))
        break
else:
    print("none")
EOF
}

# rec EPOCH METHOD STATUS CALL-ID FROM-TAG TO-TAG BACKEND: one record as
# siplb writes it (time derived from the epoch, UTC); "" tags as siplb
# writes absent ones, BACKEND "null" for none.
rec() {
	local ep=$1 iso bk=\"$7\"
	[ "$7" = null ] && bk=null
	iso=$(date -u -d "@${ep%.*}" +%Y-%m-%dT%H:%M:%S).${ep#*.}Z
	printf '{"time":"%s","epoch":%s,"method":"%s","status":%s,"call_id":"%s","from_tag":"%s","to_tag":"%s","backend":%s,"source":"198.18.0.2:5060"}\n' \
		"$iso" "$ep" "$2" "$3" "$4" "$5" "$6" "$bk"
}
T=1764150710 # 2025-11-26T09:51:50Z

# --- one file with most cases ---
{
	# normal call: 200 at +0.123456, BYE at +2.123999 -> 2.001 (2.000543)
	rec $T.000100 INVITE 0 normal@x ft1 "" be1
	rec $T.123456 INVITE 200 normal@x ft1 tt1 be1
	rec $T.130000 ACK 0 normal@x ft1 tt1 be1
	rec $((T + 2)).123999 BYE 0 normal@x ft1 tt1 be1
	rec $((T + 2)).125000 BYE 200 normal@x ft1 tt1 be1
	# re-INVITE at +20: its 200 (other To tag on purpose) changes nothing
	rec $T.000000 INVITE 0 reinv@x ft2 "" be2
	rec $((T + 1)).000000 INVITE 200 reinv@x ft2 tt2 be2
	rec $((T + 1)).010000 ACK 0 reinv@x ft2 tt2 be2
	rec $((T + 20)).000000 INVITE 0 reinv@x ft2 tt2 be2
	rec $((T + 20)).050000 INVITE 200 reinv@x ft2 ttX be2
	rec $((T + 20)).060000 ACK 0 reinv@x ft2 tt2 be2
	rec $((T + 31)).500000 BYE 0 reinv@x ft2 tt2 be2
	rec $((T + 31)).501000 BYE 200 reinv@x ft2 tt2 be2
	# BYE before the answer is no end; the BYE after the answer is
	rec $T.000000 INVITE 0 early@x ft3 "" be1
	rec $T.500000 BYE 0 early@x ft3 "" be1
	rec $((T + 1)).000000 INVITE 200 early@x ft3 tt3 be1
	rec $((T + 4)).000000 BYE 0 early@x ft3 tt3 be1
	# a BYE before the answer and no answer: no CDR (unanswered)
	rec $T.000000 INVITE 0 never@x ft4 "" be2
	rec $T.300000 BYE 0 never@x ft4 "" be2
	# failed call
	rec $T.000000 INVITE 0 busy@x ft5 "" be1
	rec $T.200000 INVITE 486 busy@x ft5 tt5 be1
	rec $T.210000 ACK 0 busy@x ft5 tt5 be1
	# auth retry: 407, then the INVITE again with the same Call-ID, 200
	rec $T.000000 INVITE 0 auth@x ft6 "" be2
	rec $T.010000 INVITE 407 auth@x ft6 ttA be2
	rec $T.020000 INVITE 0 auth@x ft6 "" be2
	rec $T.700000 INVITE 200 auth@x ft6 tt6 be2
	rec $((T + 5)).700000 BYE 0 auth@x ft6 tt6 be2
	# BYE line before its 200 line but timed after it (two workers)
	rec $T.000000 INVITE 0 swap@x ft7 "" be1
	rec $((T + 3)).250000 BYE 0 swap@x ft7 tt7 be1
	rec $((T + 3)).000000 INVITE 200 swap@x ft7 tt7 be1
	# retransmitted BYE: the first one counts; the BYE from the callee
	rec $T.000000 INVITE 0 rtx@x ft8 "" be2
	rec $T.100000 INVITE 200 rtx@x ft8 tt8 be2
	rec $((T + 7)).100000 BYE 0 rtx@x tt8 ft8 be2
	rec $((T + 7)).600000 BYE 0 rtx@x tt8 ft8 be2
	# answered, no BYE: open
	rec $T.000000 INVITE 0 open@x ft9 "" be1
	rec $((T + 2)).000000 INVITE 200 open@x ft9 tt9 be1
	# rounding to the ms: 1.2346 s -> 1.235
	rec $T.000000 INVITE 0 round@x fta "" null
	rec $T.100000 INVITE 200 round@x fta tta null
	rec $((T + 1)).334600 BYE 0 round@x fta tta null
} >"$tmp/a.jsonl"

cdr --json "$tmp/a.jsonl"
expect "main file: exit" 0 $?
expect "main file: CDR lines" 7 "$(wc -l <"$tmp/out")"
expect "normal: start" '"2025-11-26T09:51:50.123456Z"' "$(field normal@x start)"
expect "normal: end" '"2025-11-26T09:51:52.123999Z"' "$(field normal@x end)"
expect "normal: duration" 2.001 "$(field normal@x duration)"
expect "normal: from_tag" '"ft1"' "$(field normal@x from_tag)"
expect "normal: to_tag" '"tt1"' "$(field normal@x to_tag)"
expect "normal: backend" '"be1"' "$(field normal@x backend)"
expect "re-INVITE: start is the first 200" '"2025-11-26T09:51:51.000000Z"' "$(field reinv@x start)"
expect "re-INVITE: duration" 30.5 "$(field reinv@x duration)"
expect "re-INVITE: to_tag of the first 200" '"tt2"' "$(field reinv@x to_tag)"
expect "BYE before answer: duration" 3.0 "$(field early@x duration)"
expect "BYE, never answered: no CDR" none "$(field never@x duration)"
expect "failed call: no CDR" none "$(field busy@x duration)"
expect "407 then 200: duration" 5.0 "$(field auth@x duration)"
expect "BYE written before its 200: duration" 0.25 "$(field swap@x duration)"
expect "retransmitted BYE: duration" 7.0 "$(field rtx@x duration)"
expect "callee's BYE: from_tag stays the caller's" '"ft8"' "$(field rtx@x from_tag)"
expect "open call: not listed without --open" none "$(field open@x start)"
expect "rounding to ms" 1.235 "$(field round@x duration)"
expect "null backend" null "$(field round@x backend)"
# ties (round, rtx at +0.1) by Call-ID
expect "main file: order by start" "round@x rtx@x normal@x auth@x early@x reinv@x swap@x" \
	"$("$PY" -c 'import json,sys; print(" ".join(json.loads(l)["call_id"] for l in open(sys.argv[1])))' "$tmp/out")"
expect_grep "main file: summary" \
	"7 CDRs, 1 open (--open lists them), 1 failed, 1 unanswered, 0 unparsable lines" "$tmp/err"

cdr --json --open "$tmp/a.jsonl"
expect "--open: lines" 8 "$(wc -l <"$tmp/out")"
expect "--open: open call's end" null "$(field open@x end)"
expect "--open: open call's duration" null "$(field open@x duration)"
expect "--open: open call's start" '"2025-11-26T09:51:52.000000Z"' "$(field open@x start)"

# --- text table ---
cdr "$tmp/a.jsonl"
expect "table: exit" 0 $?
expect "table: lines (header + 7)" 8 "$(wc -l <"$tmp/out")"
expect "table: header" "CALL-ID FROM-TAG TO-TAG BACKEND START END DURATION" \
	"$(head -n 1 "$tmp/out" | tr -s ' ')"
expect "table: normal call row" \
	"normal@x ft1 tt1 be1 2025-11-26T09:51:50.123456Z 2025-11-26T09:51:52.123999Z 2.001" \
	"$(grep '^normal@x' "$tmp/out" | tr -s ' ')"
cdr --open "$tmp/a.jsonl"
expect "table --open: open row" "open@x ft9 tt9 be1 2025-11-26T09:51:52.000000Z - open" \
	"$(grep '^open@x' "$tmp/out" | tr -s ' ')"

# --- rotated files: INVITE+200 in .1, ACK+BYE in the current file ---
{
	rec $T.000000 INVITE 0 rot@x fr "" be2
	rec $T.400000 INVITE 200 rot@x fr tr be2
} >"$tmp/acct.jsonl.1"
{
	rec $T.410000 ACK 0 rot@x fr tr be2
	rec $((T + 9)).400000 BYE 0 rot@x fr tr be2
	rec $((T + 9)).401000 BYE 200 rot@x fr tr be2
} >"$tmp/acct.jsonl"
cdr --json "$tmp/acct.jsonl.1" "$tmp/acct.jsonl"
expect "rotated: exit" 0 $?
expect "rotated: duration" 9.0 "$(field rot@x duration)"
expect "rotated: to_tag" '"tr"' "$(field rot@x to_tag)"
gzip -c "$tmp/acct.jsonl.1" >"$tmp/acct.jsonl.1.gz"
cdr --json "$tmp/acct.jsonl.1.gz" "$tmp/acct.jsonl"
expect "rotated, older one gzipped: duration" 9.0 "$(field rot@x duration)"
cdr --json "$tmp/acct.jsonl"
expect "current file alone: no CDR" 0 "$(wc -l <"$tmp/out")"
expect_grep "current file alone: unanswered" "0 CDRs, 0 open, 0 failed, 1 unanswered" "$tmp/err"

# --- stdin, and "-" ---
"$PY" "$CDR" --json <"$tmp/a.jsonl" >"$tmp/out" 2>"$tmp/err"
expect "stdin: exit" 0 $?
expect "stdin: CDRs" 7 "$(wc -l <"$tmp/out")"
"$PY" "$CDR" --json "$tmp/acct.jsonl.1" - <"$tmp/acct.jsonl" >"$tmp/out" 2>"$tmp/err"
expect "file then -: duration" 9.0 "$(field rot@x duration)"
"$PY" "$CDR" --json </dev/null >"$tmp/out" 2>"$tmp/err"
expect "empty stdin: exit" 0 $?
expect "empty stdin: no output" 0 "$(wc -c <"$tmp/out")"

# --- unparsable lines: counted, reported with FILE:LINE, no crash ---
{
	rec $T.000000 INVITE 0 g@x fg "" be1
	echo 'this is not json'
	echo '[1, 2, 3]'
	echo '{"time":"2025-11-26T09:51:50.5Z","epoch":1764150710.5,"method":"INVITE","status":200,"from_tag":"fg"}'
	echo '{"epoch":"soon","method":"BYE","status":0,"call_id":"g@x"}'
	echo '{"time":"yesterday","method":"BYE","status":0,"call_id":"g@x"}'
	echo '{"time":"2025-11-26T09:51:50Z","epoch":1764150710,"method":"BYE","status":"0","call_id":"g@x"}'
	printf '\xff\xfe\n'
	echo
	rec $T.500000 INVITE 200 g@x fg tg be1
	rec $((T + 1)).750000 BYE 0 g@x fg tg be1
	printf '{"time":"2025-11-26T09:5' # cut short by a crash, no newline
} >"$tmp/bad.jsonl"
cdr --json "$tmp/bad.jsonl"
expect "garbage: exit" 0 $?
expect "garbage: the good call's duration" 1.25 "$(field g@x duration)"
expect_grep "garbage: line 2 reported" "bad.jsonl:2: unparsable line: not JSON" "$tmp/err"
expect_grep "garbage: line 3 reported" "bad.jsonl:3: unparsable line: not a JSON object" "$tmp/err"
expect_grep "garbage: line 4 reported" "bad.jsonl:4: unparsable line: no call_id" "$tmp/err"
expect_grep "garbage: line 8 reported" "bad.jsonl:8: unparsable line" "$tmp/err"
expect_grep "garbage: last line reported" "bad.jsonl:12: unparsable line" "$tmp/err"
expect_grep "garbage: count (blank line not counted)" "1 CDRs, 0 open, 0 failed, 0 unanswered, 8 unparsable lines" "$tmp/err"
expect "garbage: no traceback" 0 "$(grep -c Traceback "$tmp/err")"
# many bad lines: reported up to a limit, all counted
for i in $(seq 1 50); do echo "junk $i"; done >"$tmp/junk.jsonl"
cdr "$tmp/junk.jsonl"
expect "50 junk lines: exit" 0 $?
expect "50 junk lines: 10 reported one by one" 10 "$(grep -c 'unparsable line:' "$tmp/err")"
expect_grep "50 junk lines: all counted" "50 unparsable lines" "$tmp/err"

# --- exit codes ---
cdr "$tmp/absent.jsonl"
expect "no readable input: exit" 1 $?
expect_grep "no readable input: says why" "absent.jsonl: No such file or directory" "$tmp/err"
cdr "$tmp/absent.jsonl" "$tmp/absent2.jsonl"
expect "two absent files: exit" 1 $?
cdr --json "$tmp/absent.jsonl" "$tmp/a.jsonl"
expect "one absent, one good: exit" 0 $?
expect "one absent, one good: CDRs" 7 "$(wc -l <"$tmp/out")"
expect_grep "one absent, one good: warns" "absent.jsonl: No such file or directory" "$tmp/err"
cdr "$tmp"
expect "a directory: exit" 1 $?
printf 'not gzip\n' >"$tmp/fake.gz"
cdr "$tmp/fake.gz"
expect "bad .gz: exit" 1 $?
cdr --frob "$tmp/a.jsonl"
expect "unknown option: exit" 2 $?
expect_grep "unknown option: usage" "usage: siplb-cdr" "$tmp/err"
cdr --help
expect "--help: exit" 0 $?
expect_grep "--help: mentions --open" "--open" "$tmp/out"

finish
