#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# 2000 calls at 200 calls/s through siplb (conf/demo.conf) to two sipp
# backends: 0 failed, each backend ~half (+/- 5 points), every message of a
# call at the backend that got its INVITE, counters consistent.
# DIRECT=1: no siplb, the client calls be1 itself (checks the harness only).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2
calls_test "${CONF:-$DEMO_CONF}" "${CALLS:-2000}" "${RATE:-200}" be1:1 be2:1
finish
