# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
#
# Verdicts for the command-line tests (t_*.sh here): each check prints one
# "ok" or "FAIL" line; finish prints the tally and gives the exit status.

fails=0
passes=0

pass() { echo "ok   $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# expect NAME EXPECTED ACTUAL
expect() {
	if [ "$2" = "$3" ]; then pass "$1: $3"; else fail "$1: expected '$2', got '$3'"; fi
}

# expect_grep NAME PATTERN FILE: FILE holds PATTERN (a fixed string)
expect_grep() {
	if grep -qF -- "$2" "$3"; then pass "$1"; else fail "$1: '$2' not in: $(head -c 400 "$3")"; fi
}

# expect_file NAME EXPECTED-FILE ACTUAL-FILE: the same bytes
expect_file() {
	if cmp -s "$2" "$3"; then
		pass "$1"
	else
		fail "$1: expected $(od -c "$2" | head -3), got $(od -c "$3" | head -3)"
	fi
}

# finish: the tally; exit status 0 when nothing failed
finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
