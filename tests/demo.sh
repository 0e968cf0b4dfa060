#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The siplb demo, as root on Debian 12: install what is missing, build, then
# run the main job on a throw-away network of namespaces:
#
#   client (sipp UAC) --> siplb 198.18.0.10 (conf/demo.conf) --> be1, be2 (sipp UAS)
#
# 3000 calls at 300 calls/s (override with CALLS= RATE=), then a summary:
# calls completed and failed, each backend's share (from the backends' own
# logs and from siplb's counters) and siplb's non-zero counters. Everything
# is torn down at the end, also on failure or Ctrl-C. BUILD_DIR=DIR builds
# in another directory than build/, CONF=FILE runs another config.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
bash tests/build.sh

export SIPLB_SRC=$PWD
BUILD_DIR=${BUILD_DIR:-build}
export SIPLB
SIPLB=$(cd "$BUILD_DIR" && pwd)/siplb
# shellcheck source-path=SCRIPTDIR source=integ/lib.sh
. tests/integ/lib.sh

CALLS=${CALLS:-3000}
RATE=${RATE:-300}
CONF=${CONF:-$SIPLB_SRC/conf/demo.conf}

net_up be1 be2
uas_start be1
uas_start be2
uas_wait_bound be1
uas_wait_bound be2
lb_start "$CONF" || die "siplb did not start from $CONF"

log "sipp UAC: $CALLS calls at $RATE calls/s to $LB_IP:5060"
rc=0
uac_run calls "$LB_IP:5060" "$CALLS" "$RATE" || rc=$?
log "sipp UAC finished (exit status $rc)"
uas_stop be1 be2
lb_stop || log "siplb exit status $?"
final=$(grep '^{' "$WORK/siplb.out" | tail -n 1 || true)

ok=$(sipp_stat calls 'SuccessfulCall(C)')
failed=$(sipp_stat calls 'FailedCall(C)')
echo
echo "================ siplb demo summary ================"
python3 - "$WORK" "$ok" "$failed" "$final" <<'PY'
import json, os, sys

work, ok, failed, final = sys.argv[1:5]
print("calls: %s completed, %s failed (sipp)" % (ok, failed))
print()
print("backend shares:")
c = json.loads(final) if final else {}
fb = c.get("fwd_backend", {})
fb_total = sum(fb.values()) or 1
inv = {}
for be in ("be1", "be2"):
    ids = set()
    with open(os.path.join(work, be + ".log"), errors="replace") as f:
        for line in f:
            p = line.split()
            if len(p) == 2 and p[1] == "INVITE":
                ids.add(p[0])
    inv[be] = len(ids)
inv_total = sum(inv.values()) or 1
print("  %-4s %8s %7s   %14s %7s" % ("", "INVITEs", "share", "siplb requests", "share"))
for be in ("be1", "be2"):
    n = fb.get(be, 0)
    print("  %-4s %8d %6.1f%%   %14d %6.1f%%"
          % (be, inv[be], 100.0 * inv[be] / inv_total, n, 100.0 * n / fb_total))
print()
if not c:
    print("siplb printed no counters")
    sys.exit(0)
print("siplb counters (non-zero):")
def walk(prefix, v):
    if isinstance(v, dict):
        for k in v:
            walk(prefix + "." + k if prefix else k, v[k])
    elif v:
        print("  %-28s %d" % (prefix, v))
walk("", c)
PY
echo "===================================================="
[ "$rc" = 0 ] && [ "$failed" = 0 ] && [ "$ok" = "$CALLS" ]
