#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two workers (conf/two-workers.conf: lcores 1 and 2 sharing CPU 1, af_packet
# with two queue pairs): the checks of t_calls.sh on 2000 calls at 200 calls/s
# to two sipp backends (0 failed, shares +/- 5 points, per-call affinity,
# counters), plus what only shows with two workers:
#  - both queues carried a fair part of the calls: per-queue ethdev stats read
#    from siplb's DPDK telemetry socket, since siplb's own JSON sums workers;
#  - ARP: the af_packet fanout hash has no ports to use on ARP, so every ARP
#    frame reaches one queue (probed with 20 requests before the calls). The
#    worker of the other queue never receives ARP, so what it forwards went
#    out with next hops learned through its arp_inbox; none may be left
#    unresolved.
# The UAC uses one socket per call (sipp -t un): the kernel spreads packets
# over the queues by flow, and the one flow of a single-socket UAC would put
# every request on one queue.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

ARP_PROBES=20

# tel_stats PID: /ethdev/stats of port 0 as one JSON line, from the DPDK
# telemetry socket of process PID (the runtime dir may hold other DPDK
# processes' sockets: dpdk_telemetry.v2, dpdk_telemetry.v2:1, ...).
tel_stats() {
	python3 - "$1" <<'EOF'
import glob, json, socket, sys
pid = int(sys.argv[1])
for path in sorted(glob.glob('/var/run/dpdk/*/dpdk_telemetry.v2*')):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(2)
    try:
        s.connect(path)
        if json.loads(s.recv(16384)).get('pid') != pid:
            continue
        s.send(b'/ethdev/stats,0')
        print(json.dumps(json.loads(s.recv(65536))['/ethdev/stats']))
        sys.exit(0)
    except (OSError, ValueError, KeyError):
        continue
    finally:
        s.close()
sys.exit('no DPDK telemetry socket of pid %d under /var/run/dpdk' % pid)
EOF
}

# qget JSON FIELD Q: one queue's counter ("q_ipackets", 0) from tel_stats.
qget() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]][int(sys.argv[3])])' \
		"$1" "$2" "$3"
}

# arp_probe N: N broadcast ARP requests for siplb's address from the client.
arp_probe() {
	nsx client python3 - eth0 "$CLIENT_IP" "$LB_IP" "$1" <<'EOF'
import socket, struct, sys
ifname, sip, tip, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
mac = bytes.fromhex(open('/sys/class/net/%s/address' % ifname).read().strip().replace(':', ''))
arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1, mac, socket.inet_aton(sip),
                  bytes(6), socket.inet_aton(tip))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
for _ in range(n):
    s.send(b'\xff' * 6 + mac + b'\x08\x06' + arp + bytes(18))
EOF
}

# calls_test places the calls through uac_run: wrap it (siplb is up then) to
# probe ARP and snapshot the queues before and after, and to give the UAC one
# socket per call.
eval "_lib_$(declare -f uac_run)"
uac_run() {
	local rc=0 i
	if [ -z "$LB_PID" ]; then
		_lib_uac_run "$@"
		return
	fi
	tel_stats "$LB_PID" >"$WORK/q_start.json"
	arp_probe "$ARP_PROBES"
	# Bounded wait for the probes to be polled.
	for ((i = 0; i < 20; i++)); do
		tel_stats "$LB_PID" >"$WORK/q_before.json"
		[ $(($(jget "$(cat "$WORK/q_before.json")" ipackets) -
		     $(jget "$(cat "$WORK/q_start.json")" ipackets))) -ge "$ARP_PROBES" ] && break
		sleep 0.1
	done
	_lib_uac_run "$@" -t un -max_socket 4096 || rc=$?
	tel_stats "$LB_PID" >"$WORK/q_after.json"
	return "$rc"
}

net_up be1 be2
conf=${CONF:-$SIPLB_SRC/conf/two-workers.conf}
calls=${CALLS:-2000}
calls_test "$conf" "$calls" "${RATE:-200}" be1:1 be2:1
[ "${DIRECT:-0}" = 1 ] && finish

nw=$(sed -n 's/.*siplb: ready: .* \([0-9]*\) worker(s).*/\1/p' "$WORK/siplb.err")
check "siplb workers (ready line)" 2 "${nw:-none}" "$([ "${nw:-}" = 2 ] && echo 1 || echo 0)"

for f in q_start q_before q_after; do
	[ -s "$WORK/$f.json" ] || die "no per-queue stats ($f): siplb's DPDK telemetry socket not found"
done
s0=$(cat "$WORK/q_start.json")
s1=$(cat "$WORK/q_before.json")
s2=$(cat "$WORK/q_after.json")
final=$(grep '^{' "$WORK/siplb.out" | tail -n 1)

# Queues during the calls: each carried at least 10 % of what siplb received
# and sent. Worst fair case: both backends' flows (4 of 7 packets a call) on
# one queue, half the client's on each: 3/14 = 21 % on the other.
rx_tot=$(($(jget "$s2" ipackets) - $(jget "$s1" ipackets)))
tx_tot=$(($(jget "$s2" opackets) - $(jget "$s1" opackets)))
ge "ethdev packets received during the calls (both queues)" $((7 * calls)) "$rx_tot"
declare -a qrx qtx
for q in 0 1; do
	qrx[q]=$(($(qget "$s2" q_ipackets "$q") - $(qget "$s1" q_ipackets "$q")))
	qtx[q]=$(($(qget "$s2" q_opackets "$q") - $(qget "$s1" q_opackets "$q")))
	ge "queue $q (worker lcore $((q + 1))) RX packets, >= 10 % of $rx_tot" \
		$((rx_tot / 10)) "${qrx[q]}"
	ge "queue $q (worker lcore $((q + 1))) TX packets, >= 10 % of $tx_tot" \
		$((tx_tot / 10)) "${qtx[q]}"
done

# ARP.
d=$(($(jget "$final" arp_reply_tx)))
ge "siplb arp_reply_tx (answers to the $ARP_PROBES probes and the client)" "$ARP_PROBES" "$d"
ge "siplb arp_req_tx (gratuitous + one per backend at least)" 3 "$(jget "$final" arp_req_tx)"
ge "siplb arp_rx (probes + the backends' answers)" $((ARP_PROBES + 2)) "$(jget "$final" arp_rx)"
for k in arp_unresolved arp_queue_full no_route; do
	v=$(jget "$final" "drop.$k")
	check "siplb drop.$k" 0 "$v" "$([ "$v" = 0 ] && echo 1 || echo 0)"
done
p0=$(($(qget "$s1" q_ipackets 0) - $(qget "$s0" q_ipackets 0)))
p1=$(($(qget "$s1" q_ipackets 1) - $(qget "$s0" q_ipackets 1)))
log "ARP probes: $p0 on queue 0, $p1 on queue 1"
if [ "$p0" -ge "$ARP_PROBES" ] && [ "$p1" = 0 ]; then
	noarp=1
elif [ "$p1" -ge "$ARP_PROBES" ] && [ "$p0" = 0 ]; then
	noarp=0
else
	noarp=""
	log "ARP probes split over both queues: the arp_inbox check is not possible"
fi
if [ -n "$noarp" ]; then
	# Its transmissions beyond siplb's ARP requests (all workers', whole
	# run) are SIP forwarded to MACs it could only learn from its inbox.
	areq=$(jget "$final" arp_req_tx)
	check "queue $noarp worker (gets no ARP) TX during the calls, via arp_inbox bindings" \
		"> $areq (siplb's ARP requests)" "${qtx[noarp]}" \
		"$([ "${qtx[noarp]}" -gt "$areq" ] && echo 1 || echo 0)"
fi
finish
