#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The short calls run (300 calls) with siplb on lb0 through the af_xdp PMD
# (config generated from conf/demo.conf). Skipped (77) if siplb cannot start
# with af_xdp here (PMD not built, kernel without XDP sockets, ...).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2
conf=$WORK/af_xdp.conf
gen_conf "$DEMO_CONF" "$conf" 's/net_af_packet0,iface=lb0[^"]*/net_af_xdp0,iface=lb0/'
grep -q 'net_af_xdp0,iface=lb0' "$conf" || die "could not switch the config to net_af_xdp"
SKIP_IF_NO_START=1 calls_test "$conf" "${CALLS:-300}" "${RATE:-100}" be1:1 be2:1
finish
