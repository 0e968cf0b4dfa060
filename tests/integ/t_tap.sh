#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The short calls run (300 calls) with siplb's port on the tap PMD
# (net_tap0,iface=TAP; config generated from conf/demo.conf). DPDK creates
# the kernel tap TAP in the lb namespace, where siplb runs; once siplb is
# ready the tap is moved into the switch namespace and made a port of br0
# (the tap's file descriptor stays bound to the device across the move), and
# lb0 is taken down, so the tap is siplb's only path to the network.
# The tap has no owner but siplb's open file: it goes when siplb exits, which
# is checked too. Skipped (77) if siplb cannot start with net_tap here (PMD
# not built, no /dev/net/tun, ...).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

# Unique per run (namespaces are per run too), within IFNAMSIZ - 1 = 15.
TAP=$(printf 'slbt%s' "$$" | cut -c1-15)

# tap_mac: a random locally administered unicast MAC (02:...).
tap_mac() {
	printf '02:%02x:%02x:%02x:%02x:%02x\n' $((RANDOM % 256)) $((RANDOM % 256)) \
		$((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256))
}

# tap_attach: move siplb's tap into the switch namespace, onto br0.
tap_attach() {
	local i state
	ip -n "$NS_LB" link show "$TAP" >/dev/null 2>&1 ||
		die "siplb is ready but there is no tap $TAP in $NS_LB"
	# Called under "if ! lb_start" (no set -e there): every step dies on
	# failure, so a broken attach fails the test instead of skipping it.
	ip -n "$NS_LB" link set "$TAP" netns "$NS_SW" ||
		die "cannot move tap $TAP into $NS_SW"
	# The kernel side of the tap starts with siplb's own MAC: as a bridge
	# port that address becomes a local (permanent) fdb entry, and br0
	# would take every frame sent to siplb for itself. Give it another.
	ip -n "$NS_SW" link set "$TAP" address "$(tap_mac)" ||
		die "cannot change the MAC of tap $TAP"
	# The tap hands what the bridge forwards to siplb: no partial checksums.
	ip netns exec "$NS_SW" ethtool -K "$TAP" tx off >/dev/null 2>&1 ||
		log "ethtool -K $TAP tx off failed (ignored)"
	ip -n "$NS_SW" link set "$TAP" master br0 || die "cannot add tap $TAP to br0"
	ip -n "$NS_SW" link set "$TAP" up || die "cannot set tap $TAP up"
	ip -n "$NS_LB" link set lb0 down || die "cannot set lb0 down"
	# A tap with its queue open reports carrier; bounded wait for it.
	for ((i = 0; i < 50; i++)); do
		state=$(ip netns exec "$NS_SW" cat "/sys/class/net/$TAP/carrier" 2>/dev/null || echo 0)
		[ "$state" = 1 ] && break
		sleep 0.1
	done
	[ "$state" = 1 ] || die "tap $TAP has no carrier 5 s after the move"
	log "tap $TAP moved to $NS_SW, port of br0 ($(ip -n "$NS_SW" -br link show "$TAP"))"
}

# calls_test starts siplb through lb_start: wrap it (lib.sh's own function,
# renamed) so the tap is attached between "siplb: ready" and the calls.
eval "_lib_lb_start() $(declare -f lb_start | tail -n +2)"
lb_start() {
	_lib_lb_start "$@" || return 1
	tap_attach
}

net_up be1 be2
# Should a tap outlive its namespaces (it should not: tun devices are deleted
# with their namespace, and this one closes with siplb), remove it.
CLEANUP_HOOKS+=("! ip link show '$TAP' >/dev/null 2>&1 || { log 'tap $TAP left in the root namespace: deleted'; ip link del '$TAP'; }")
conf=$WORK/tap.conf
gen_conf "$DEMO_CONF" "$conf" "s/net_af_packet0,iface=lb0[^\"]*/net_tap0,iface=$TAP/"
grep -q "net_tap0,iface=$TAP\"" "$conf" || die "could not switch the config to net_tap"
SKIP_IF_NO_START=1 calls_test "$conf" "${CALLS:-300}" "${RATE:-100}" be1:1 be2:1

# calls_test stopped siplb: its tap must be gone from every namespace.
left=""
for h in sw lb; do
	ip -n "$(ns_of "$h")" link show "$TAP" >/dev/null 2>&1 && left+=" $h"
done
ip link show "$TAP" >/dev/null 2>&1 && left+=" root"
check "tap $TAP after siplb exited" "gone" "${left:-gone}" "$([ -z "$left" ] && echo 1 || echo 0)"
finish
