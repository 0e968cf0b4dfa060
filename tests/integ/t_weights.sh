#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Unequal weights (conf/weighted.conf: be1 3, be2 1, be3 2), 3000 calls:
# each backend's share of INVITEs within +/- 5 points of weight/sum, 0 failed,
# every message of a call at one backend.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2 be3
calls_test "${CONF:-$SIPLB_SRC/conf/weighted.conf}" "${CALLS:-3000}" "${RATE:-300}" \
	be1:3 be2:1 be3:2
finish
