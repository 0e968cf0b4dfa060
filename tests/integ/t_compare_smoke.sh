#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench/compare --smoke: a few seconds of calls through Kamailio and through
# siplb at low rates; the report and both plots (SVG and PNG) must be
# written and the table must have a row of figures for each. Skipped (77)
# when Kamailio cannot be installed here (no package archive), which
# bench/compare says with its own status 77, and when not root (as every
# integration test).
set -euo pipefail

SIPLB_SRC=${SIPLB_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

OUT=$(mktemp -d /tmp/siplb-compare.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
fails=0
check() { # WHAT OK
	if [ "$2" = 1 ]; then echo "PASS  $1"; else echo "FAIL  $1"; fails=$((fails + 1)); fi
}

rc=0
timeout 280 "$SIPLB_SRC/bench/compare" --smoke --mode stateless --out "$OUT" || rc=$?
if [ "$rc" = 77 ]; then
	echo "SKIP: kamailio cannot be installed here"
	exit 77
fi
check "bench/compare exit status 0 (got $rc)" "$([ "$rc" = 0 ] && echo 1 || echo 0)"

base=$OUT/$(date +%Y-%m-%d)-stateless
# The date may have turned during the run: take the report that exists.
mds=("$OUT"/*-stateless.md)
[ -e "${mds[0]}" ] && base=${mds[0]%.md}
check "report $base.md written" "$([ -s "$base.md" ] && echo 1 || echo 0)"
for p in throughput latency; do
	check "$p plot SVG" "$(grep -q '<svg' "$base-$p.svg" 2>/dev/null && echo 1 || echo 0)"
	check "$p plot PNG" "$(head -c 8 "$base-$p.png" 2>/dev/null | grep -q PNG && echo 1 || echo 0)"
done

python3 - "$base.md" <<'PY' || fails=$((fails + 1))
import os, re, sys
md = ""
if os.path.exists(sys.argv[1]):
    md = open(sys.argv[1], encoding="utf-8").read()
bad = 0
calls_gen = "(calls generator)" in md
for side in ("Kamailio", "siplb"):
    # The first table's row: | side | calls/s | msgs/s | busy | µs/msg | ...
    m = re.search(r"^\| %s \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) %% \| ([0-9.]+) \| ([0-9.]+) \| ([^|]*)\|" % side,
                  md, re.M)
    ok = bool(m) and float(m.group(1)) > 0 and float(m.group(2)) > 0 and float(m.group(4)) > 0
    print("%s  table row for %s with calls/s, messages/s and CPU per message: %s"
          % ("PASS" if ok else "FAIL", side, m.group(0) if m else "absent"))
    bad += not ok
    if ok and calls_gen:
        lat = re.fullmatch(r"\s*[0-9.]+ / [0-9.]+ / [0-9.]+\s*", m.group(6))
        print("%s  %s INVITE->200 latency percentiles: %s"
              % ("PASS" if lat else "FAIL", side, m.group(6).strip()))
        bad += not lat
sys.exit(1 if bad else 0)
PY

# With siplb-bench calls as the generator, the latency plot is the
# INVITE->200 CDF read from its "lat_cdf" curves: one curve (datablock
# $cdfN in the kept gnuplot script) per load balancer, each of more than the
# three points percentiles alone would give, and the report says so.
python3 - "$base.md" "$base-latency.gp" <<'PY' || fails=$((fails + 1))
import os, re, sys
md = open(sys.argv[1], encoding="utf-8").read() if os.path.exists(sys.argv[1]) else ""
if "(calls generator)" not in md:
    print("SKIP  latency CDF: sipp stood in as the generator")
    sys.exit(0)
gp = open(sys.argv[2], encoding="utf-8").read() if os.path.exists(sys.argv[2]) else ""
blocks = re.findall(r"^\$cdf\d+ << EOD\n# (\w+) .*?\n(.*?)^EOD$", gp, re.M | re.S)
bad = 0
for side in ("kamailio", "siplb"):
    pts = [len([l for l in b.splitlines() if l.strip()]) for s, b in blocks if s == side]
    ok = bool(pts) and min(pts) > 2
    print("%s  latency CDF curve for %s: points %s" % ("PASS" if ok else "FAIL", side, pts))
    bad += not ok
ok = "the distribution of INVITE→200 latency" in md
print("%s  report explains the CDF plot" % ("PASS" if ok else "FAIL"))
bad += not ok
sys.exit(1 if bad else 0)
PY

if [ "$fails" = 0 ]; then
	echo "all checks passed"
	exit 0
fi
[ -s "$base.md" ] && sed -n '1,12p' "$base.md"
echo "$fails checks failed"
exit 1
