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
# The parser has AVX-512, AVX2 and SSSE3 code paths and the main build (the
# host's ISA) exercises one; run the unit tests on the other two as well.
# x86-64-v2 is the floor: DPDK's headers need SSSE3/SSE4.2.
for cpu in x86-64-v3 x86-64-v2; do
	d="${BUILD_DIR:-build}-$cpu"
	[ -f "$d/build.ninja" ] || meson setup "$d" -Dcpu="$cpu"
	meson compile -C "$d"
	meson test -C "$d" --suite unit --print-errorlogs || rc=$?
done
exit "$rc"
