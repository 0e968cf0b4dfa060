#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install, from Debian 12's archive, what siplb needs to build, test and run
# its demo. Idempotent: when everything is present it only checks (no
# apt-get update, no network). Run as root.
set -euo pipefail

PKGS=(
	build-essential pkg-config meson ninja-build   # toolchain
	libdpdk-dev dpdk libconfig-dev libcmocka-dev   # libraries, DPDK PMDs
	dpdk-dev                                       # dpdk-telemetry.py (telemetry test)
	sip-tester                                     # sipp, the SIP peers
	iproute2 ethtool iputils-ping kmod             # test network
	nftables                                       # stateful tests: packet loss
	python3                                        # test helpers
	kamailio gnuplot-nox                           # benchmark comparison (bench/compare)
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing ${missing[*]}; run as root to install" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
