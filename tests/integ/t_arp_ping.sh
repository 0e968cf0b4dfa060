#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# ARP and ICMP echo: the client pings siplb's address, learns siplb's MAC
# (the MAC of lb0, which has no kernel address) and siplb counts both.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2
lb_start "$DEMO_CONF" || die "siplb did not start"
before=$(lb_stats)
rc=0
nsx client ping -c 3 -W 1 "$LB_IP" || rc=$?
check "ping -c 3 -W 1 $LB_IP exit status" 0 "$rc" "$([ "$rc" = 0 ] && echo 1 || echo 0)"
after=$(lb_stats)
mac=$(nsx lb cat /sys/class/net/lb0/address)
neigh=$(nsx client ip neigh show "$LB_IP" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
check "client's neighbour entry for $LB_IP" "$mac (lb0)" "${neigh:-none}" \
	"$([ "$neigh" = "$mac" ] && echo 1 || echo 0)"
ge "siplb arp_rx" 1 $(($(jget "$after" arp_rx) - $(jget "$before" arp_rx)))
ge "siplb icmp_echo" 3 $(($(jget "$after" icmp_echo) - $(jget "$before" icmp_echo)))
finish
