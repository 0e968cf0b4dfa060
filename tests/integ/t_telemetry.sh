#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Telemetry (issue 4 point 5): conf/stateful.conf with its own EAL file
# prefix (so DPDK's telemetry socket is this siplb's alone) and
# telemetry.prometheus_port, 100 calls over be1..be3. Checks, against
# siplb's own JSON counters (SIGUSR1) taken at the same quiet moment:
#  - Prometheus text on 127.0.0.1 in siplb's namespace (curl): counters
#    equal to the JSON ones (rx_pkts, fwd_req, per-backend requests, drops),
#    siplb_backend_up 1 for each backend, the INVITE latency histograms
#    counting every call (first response and final), cumulative buckets
#    ending at +Inf, and per backend (summing to every call, as in the
#    JSON's lat_*_ms_backend); another path answers 404;
#  - dpdk-telemetry.py: /siplb/stats has the same rx_pkts and txn_created,
#    /siplb/backends lists be1..be3 with the JSON's requests, /siplb/latency
#    has the histograms.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

CALLS=${CALLS:-100}
RATE=${RATE:-50}
PORT=9100
PREFIX="slbtel$$"
BES=(be1 be2 be3)

command -v dpdk-telemetry.py >/dev/null || skip "dpdk-telemetry.py missing (Debian dpdk-dev)"
command -v curl >/dev/null || skip "curl missing"

net_up "${BES[@]}"
conf=$WORK/telemetry.conf
gen_conf "$SIPLB_SRC/conf/stateful.conf" "$conf" \
	"s/\"--no-shconf\",/\"--no-shconf\", \"--file-prefix=$PREFIX\",/"
printf 'telemetry: { prometheus_port = %d; };\n' "$PORT" >>"$conf"
grep -q "file-prefix=$PREFIX" "$conf" || die "could not set the file prefix in $conf"
CLEANUP_HOOKS+=("rm -rf /var/run/dpdk/$PREFIX")
UAS_SCEN=sf1_uas.xml uas_up "${BES[@]}"
lb_start "$conf" || die "siplb did not start from $conf"

UAC_SCEN=sf1_uac_rr.xml uac_call tel "$LB_IP:5060" "$CALLS" "$RATE"
check_calls tel "$CALLS" "$UAC_RC"
after=$(wait_idle 10)

prom=$WORK/metrics.txt
nsx lb curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$prom" ||
	die "no answer on 127.0.0.1:$PORT/metrics"
code=$(nsx lb curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$PORT/nothing" || true)
eq "HTTP status of another path" 404 "$code"

tel() { echo "$1" | dpdk-telemetry.py -f "$PREFIX" 2>/dev/null; }
tel /siplb/stats >"$WORK/tel_stats.json"
tel /siplb/backends >"$WORK/tel_backends.json"
tel /siplb/latency >"$WORK/tel_latency.json"
uas_stop "${BES[@]}"

py_checks "$WORK" "$CALLS" "$after" <<'EOF'
import json, os, re, sys
work, calls, js = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
prom = {}
for line in open(os.path.join(work, "metrics.txt")):
    if line.startswith("#") or not line.strip():
        continue
    k, v = line.rsplit(" ", 1)
    prom[k] = float(v)

def p(k):
    return int(prom.get(k, -1))

# ARP refreshes may add a frame or two between the snapshots
v = p("siplb_rx_pkts_total")
check("prometheus siplb_rx_pkts_total", "%d..%d" % (js["rx_pkts"], js["rx_pkts"] + 4), v,
      js["rx_pkts"] <= v <= js["rx_pkts"] + 4)
for name in ("fwd_req", "fwd_resp", "txn_created", "txn_completed"):
    check("prometheus siplb_%s_total" % name, js[name], p("siplb_%s_total" % name),
          p("siplb_%s_total" % name) == js[name])
check("prometheus siplb_txn_live (gauge)", 0, p("siplb_txn_live"), p("siplb_txn_live") == 0)
dt = sum(int(v) for k, v in prom.items() if k.startswith("siplb_drops_total{"))
check("prometheus drops summed", js["drops_total"], dt, dt == js["drops_total"])
for be in ("be1", "be2", "be3"):
    k = 'siplb_backend_requests_total{backend="%s"}' % be
    check("prometheus requests of " + be, js["fwd_backend"][be], p(k),
          p(k) == js["fwd_backend"][be])
    k = 'siplb_backend_up{backend="%s"}' % be
    check("prometheus " + be + " up", 1, p(k), p(k) == 1)
for h in ("invite_first_response_seconds", "invite_final_response_seconds"):
    inf = p('siplb_%s_bucket{le="+Inf"}' % h)
    cnt = p("siplb_%s_count" % h)
    check("prometheus %s counts every call" % h, calls, cnt, cnt == calls and inf == calls)
    b = [v for k, v in prom.items() if k.startswith("siplb_%s_bucket" % h)]
    check("prometheus %s buckets cumulative" % h, "non-decreasing", b, b == sorted(b))

for h in ("first", "final"):
    n = sum(int(v) for k, v in prom.items()
            if k.startswith("siplb_backend_invite_%s_response_seconds_count{" % h))
    check("prometheus per-backend %s-response histograms sum to every call" % h, calls, n,
          n == calls)
    jn = sum(sum(hb.values()) for hb in js["lat_%s_ms_backend" % h].values())
    check("JSON lat_%s_ms_backend sums to every call" % h, calls, jn, jn == calls)
st = json.load(open(os.path.join(work, "tel_stats.json")))["/siplb/stats"]
v = st.get("rx_pkts", -1)
check("telemetry /siplb/stats rx_pkts", "%d..%d" % (js["rx_pkts"], js["rx_pkts"] + 4), v,
      js["rx_pkts"] <= v <= js["rx_pkts"] + 4)
check("telemetry /siplb/stats txn_created", calls, st.get("txn_created"),
      st.get("txn_created") == calls)
bk = json.load(open(os.path.join(work, "tel_backends.json")))["/siplb/backends"]
check("telemetry /siplb/backends names", "be1,be2,be3", ",".join(sorted(bk)),
      sorted(bk) == ["be1", "be2", "be3"])
for be in sorted(bk):
    check("telemetry requests of " + be, js["fwd_backend"][be], bk[be]["requests"],
          bk[be]["requests"] == js["fwd_backend"][be] and bk[be]["up"] == 1)
lat = json.load(open(os.path.join(work, "tel_latency.json")))["/siplb/latency"]
n = sum(lat["invite_final_response_ms"].values())
check("telemetry /siplb/latency final histogram", calls, n, n == calls)
EOF

check_lb_stop
finish
