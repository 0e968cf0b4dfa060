#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Judge how siplb spread calls, from the sipp backends' <log> files.

Each backend BE writes DIR/BE.log, one line "<Call-ID> <METHOD>" per message
it received (tests/integ/scenarios/uas.xml). Arguments: backends as NAME:WEIGHT.
Checks, one verdict line each (PASS/FAIL, expected, actual):
  - each backend's share of INVITEs (distinct Call-IDs) is within
    --tolerance percentage points of weight/sum, or 4 standard deviations
    of the binomial noise when that is wider (short runs);
  - no Call-ID appears in more than one backend's log (every message of a
    call reaches the backend that got its INVITE);
  - with --complete 1, every Call-ID has INVITE, ACK and BYE in its log.
Also --expect-none PREFIX: no Call-ID starting with PREFIX may appear in any
log (messages that siplb must not forward).
Exit status 0 if every check passed, else 1.
"""
import argparse
import collections
import math
import os
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tolerance", type=float, default=5.0)
    ap.add_argument("--complete", type=int, default=1)
    ap.add_argument("--expect-none", action="append", default=[])
    ap.add_argument("backends", nargs="+")
    a = ap.parse_args()

    weights = {}
    for b in a.backends:
        name, _, w = b.partition(":")
        weights[name] = float(w or 1)

    methods = {}           # be -> Call-ID -> set of methods
    where = collections.defaultdict(set)  # Call-ID -> backends
    for be in weights:
        m = collections.defaultdict(set)
        path = os.path.join(a.dir, be + ".log")
        with open(path, encoding="ascii", errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) != 2:
                    continue
                m[parts[0]].add(parts[1])
                where[parts[0]].add(be)
        methods[be] = m

    failed = False

    def check(what, expected, actual, ok):
        nonlocal failed
        print("%s  %s: expected %s, got %s"
              % ("PASS" if ok else "FAIL", what, expected, actual))
        failed |= not ok

    invites = {be: sum(1 for s in m.values() if "INVITE" in s)
               for be, m in methods.items()}
    total = sum(invites.values())
    wsum = sum(weights.values())
    check("INVITEs received by all backends", "> 0", total, total > 0)
    for be in weights:
        want = 100.0 * weights[be] / wsum
        got = 100.0 * invites[be] / total if total else 0.0
        # Call-IDs are random, so a share has binomial noise: a short run
        # cannot be held to 5 points (300 calls: sigma 2.9 points). Allow
        # 4 sigma when that is wider; 2000+ call runs keep the 5 points.
        p = want / 100.0
        tol = max(a.tolerance, 400.0 * math.sqrt(p * (1 - p) / max(total, 1)))
        check("%s INVITE share (%d of %d)" % (be, invites[be], total),
              "%.1f%% +/- %.1f" % (want, tol), "%.1f%%" % got,
              abs(got - want) <= tol)

    split = sorted(c for c, bes in where.items() if len(bes) > 1)
    check("Call-IDs seen by more than one backend", 0,
          "%d%s" % (len(split), (" e.g. " + split[0]) if split else ""),
          not split)

    if a.complete:
        incomplete = []
        for be, m in methods.items():
            for cid, s in m.items():
                if not {"INVITE", "ACK", "BYE"} <= s:
                    incomplete.append("%s on %s has %s"
                                      % (cid, be, ",".join(sorted(s))))
        check("calls missing INVITE/ACK/BYE at their backend", 0,
              "%d%s" % (len(incomplete),
                        (" e.g. " + incomplete[0]) if incomplete else ""),
              not incomplete)

    for pfx in a.expect_none:
        seen = sorted(c for c in where if c.startswith(pfx))
        check("Call-IDs '%s*' seen by a backend" % pfx, 0,
              "%d%s" % (len(seen), (" e.g. " + seen[0]) if seen else ""),
              not seen)

    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
