#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install what is missing, build, and run every test suite (unit, integ, ...).
# Integration tests need root (network namespaces). Exit status: meson's.
# BUILD_DIR=DIR builds and tests in another directory than build/; extra
# arguments go to meson test (e.g. --suite unit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-deps.sh
bash tests/build.sh
rc=0
meson test -C "${BUILD_DIR:-build}" --print-errorlogs "$@" || rc=$?
exit "$rc"
