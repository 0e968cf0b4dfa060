#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The short calls run (300 calls) with hugepages instead of --no-huge: 256
# 2 MB pages reserved (old value restored at exit), hugetlbfs mounted if none
# is, and a config from conf/demo.conf without "--no-huge" and "-m 512".
# Skipped (77) if the kernel gives no hugepages.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

net_up be1 be2
old=$(cat /proc/sys/vm/nr_hugepages)
CLEANUP_HOOKS+=("echo $old > /proc/sys/vm/nr_hugepages")
echo 256 >/proc/sys/vm/nr_hugepages || true
free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
log "hugepages: nr_hugepages $old -> $(cat /proc/sys/vm/nr_hugepages), free $free"
[ "${free:-0}" -gt 0 ] || skip "the kernel gives no hugepages"
if ! awk '$3 == "hugetlbfs" { f = 1 } END { exit !f }' /proc/mounts; then
	hdir=$(mktemp -d /tmp/siplb-huge.XXXXXX)
	mount -t hugetlbfs nodev "$hdir"
	CLEANUP_HOOKS+=("hugetlbfs_umount '$hdir'")
	log "mounted hugetlbfs on $hdir"
fi
conf=$WORK/hugepages.conf
gen_conf "$DEMO_CONF" "$conf" \
	's/"--no-huge",[[:space:]]*//' \
	's/"-m",[[:space:]]*"[0-9]*",[[:space:]]*//'
if grep -qE '"--no-huge"|"-m"' "$conf"; then
	die "could not remove --no-huge / -m from the config: $(grep -E 'no-huge|"-m"' "$conf")"
fi
calls_test "$conf" "${CALLS:-300}" "${RATE:-100}" be1:1 be2:1
n=$(grep -c 'without hugepages' "$WORK/siplb.err" || true)
check "siplb stderr saying it runs without hugepages" 0 "$n" "$([ "$n" = 0 ] && echo 1 || echo 0)"
finish
