#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `siplb -c FILE --check`, the contract other tools rely on: 0 and "ok" for
# every shipped config; 1 and one "FILE:LINE: message" per error otherwise.
# Needs no root and no network.
set -uo pipefail
SIPLB=${SIPLB:?path of the siplb binary}
SRC=${SIPLB_SRC:?source root}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

n=0
for f in "$SRC"/conf/*.conf; do
	out=$("$SIPLB" -c "$f" --check 2>&1)
	expect "--check $(basename "$f") exit" 0 $?
	expect "--check $(basename "$f") output" "$f: ok" "$out"
	n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no config in conf/"

cat >"$tmp/bad.conf" <<'CONF'
dpdk: { eal = [ "-l", "0-1" ]; };
interface: { port = 0; address = "198.18.0.300"; prefix = 24; };
sip: { port = 5060; mode = "stateless"; colour = "blue"; };
workers: { lcores = [ 1 ]; };
backends: ( { name = "be1"; address = "198.18.0.21"; weight = 0; },
            { name = "be1"; address = "198.18.0.22"; } );
CONF
out=$("$SIPLB" -c "$tmp/bad.conf" --check 2>&1)
expect "bad config exit" 1 $?
echo "$out" | sed 's/^/     | /'
for line in 2 3 5 6; do
	c=$(echo "$out" | grep -c "^$tmp/bad.conf:$line: ")
	expect "an error at bad.conf:$line" 1 "$c"
done
c=$(echo "$out" | grep -vc "^$tmp/bad.conf:[0-9]*: ")
expect "lines not in FILE:LINE: form" 0 "$c"

out=$("$SIPLB" -c "$tmp/missing.conf" --check 2>&1)
expect "missing file exit" 1 $?
c=$(echo "$out" | grep -c "^$tmp/missing.conf: ")
expect "missing file named" 1 "$c"

"$SIPLB" >/dev/null 2>&1
expect "no arguments exit" 2 $?

# The systemd unit: systemd's own checker, with the binaries of this build
# where the unit names the installed ones.
if command -v systemd-analyze >/dev/null; then
	ctl=${SIPLBCTL:-$(dirname "$SIPLB")/siplbctl}
	sed -e "s|/usr/bin/siplbctl|$ctl|g" -e "s|/usr/bin/siplb |$SIPLB |g" \
		"$SRC/conf/siplb.service" >"$tmp/siplb.service"
	out=$(systemd-analyze verify "$tmp/siplb.service" 2>&1)
	expect "systemd-analyze verify conf/siplb.service" "" "$out"
else
	echo "skip systemd-analyze: not installed"
fi

finish
