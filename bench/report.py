#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""bench/compare's report: the raw steps (one JSON object a line) -> BASE.md
(the side-by-side table, the ladder, the commands, the machine) and the
plots BASE-throughput.{svg,png} and BASE-latency.{svg,png} through gnuplot
(the scripts are kept as BASE-*.gp, with their data inline). The latency
plot is the INVITE→200 distribution from the generator's "lat_cdf" curves;
steps recorded before those existed get the percentile plot instead.

    bench/report.py RAW.json --out BASE [--no-plots]

CPU per forwarded message, the fair measure when the generator and not the
load balancer is the limit:
  siplb     busy TSC cycles of its worker (loop iterations that found work) /
            TSC Hz / messages forwarded (fwd_req + fwd_resp); TSC Hz is
            (busy + idle cycles) / wall time of the step, the worker
            accounting for every cycle of its loop; in stateful mode the
            backend 100s it absorbs (txn_resp_absorbed) count too
  Kamailio  utime + stime of all its processes (/proc/PID/stat) / messages
            forwarded (core fwd_requests + fwd_replies; in stateful mode tm's
            relays are not in those, so rcv_requests + rcv_replies)
"""
import argparse
import json
import math
import os
import subprocess
import sys

FAIL_MAX = 0.001          # a step passes with < 0.1 % failed calls
SIDES = ("kamailio", "siplb")
NAMES = {"kamailio": "Kamailio", "siplb": "siplb"}
LAT_KEYS = (("invite_200", "INVITE→200"), ("bye_200", "BYE→200"),
            ("invite_180", "INVITE→180"))


def load(path):
    meta, lbs, steps = {}, {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            if o.get("type") == "meta":
                meta = o
            elif o.get("type") == "lb":
                lbs[o["side"]] = o
            elif o.get("type") == "step":
                steps.append(o)
    return meta, lbs, steps


def dget(d, path, default=0):
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def analyse(step, mode, step_s):
    """Derived figures of one step (step_s: the seconds the generator
    started calls for)."""
    g = step.get("gen") or {}
    b, a = step["before"], step["after"]
    wall = max(1e-9, a["t"] - b["t"])
    r = {"offered": step["offered"], "wall": wall}
    started = g.get("calls_started", 0)
    failed = g.get("calls_failed", 0)
    # Completed calls over the time they were started in: a step that ends
    # with calls timing out takes longer, not more calls per second.
    secs = step_s or g.get("seconds") or wall
    r["started"] = started
    r["failed"] = failed
    r["ok_calls"] = g.get("calls_ok", 0)
    r["fail_ratio"] = failed / started if started else 1.0
    r["achieved"] = r["ok_calls"] / secs if secs else 0.0
    r["gen_rate"] = g.get("calls_per_sec", 0.0)
    r["retrans"] = g.get("retransmissions", 0)
    r["passed"] = (started > 0 and r["fail_ratio"] < FAIL_MAX
                   and r["gen_rate"] >= 0.9 * step["offered"])
    r["lat"] = g.get("lat_ms") or {}
    r["cdf"] = g.get("lat_cdf") or {}

    def cpu_ratio(key):
        db = a[key][0] - b[key][0]
        dt = a[key][1] - b[key][1]
        return db / dt if dt > 0 else 0.0
    r["cpu0_busy"] = cpu_ratio("cpu0")
    r["cpu1_busy"] = cpu_ratio("cpu1")

    sb, sa = b.get("stats") or {}, a.get("stats") or {}
    if step["side"] == "siplb":
        busy = dget(sa, "busy_cycles") - dget(sb, "busy_cycles")
        idle = dget(sa, "idle_cycles") - dget(sb, "idle_cycles")
        hz = (busy + idle) / wall
        r["hz"] = hz
        r["lb_busy"] = busy / (busy + idle) if busy + idle else 0.0
        r["lb_cpu_s"] = busy / hz if hz else 0.0
        keys = ["fwd_req", "fwd_resp"]
        if mode == "stateful":
            # siplb answers 100 itself and absorbs the backend's: count
            # that one too, 7 a call as Kamailio's received messages.
            keys.append("txn_resp_absorbed")
        r["msgs"] = sum(dget(sa, k) - dget(sb, k) for k in keys)
        r["table_full"] = dget(sa, "txn_table_full") - dget(sb, "txn_table_full")
        r["rx_eq_tx"] = (dget(sa, "rx_pkts") - dget(sb, "rx_pkts")
                         == dget(sa, "tx_pkts") - dget(sb, "tx_pkts"))
    else:
        r["lb_cpu_s"] = a.get("cpu_s", 0) - b.get("cpu_s", 0)
        r["lb_busy"] = r["lb_cpu_s"] / wall
        fwd_req = sa.get("fwd_requests", 0) - sb.get("fwd_requests", 0)
        fwd_rpl = sa.get("fwd_replies", 0) - sb.get("fwd_replies", 0)
        r["msgs"] = fwd_req + fwd_rpl
        if mode == "stateful":
            # tm's relays are not in fwd_*: every message received is
            # relayed (the backend's 100 replaced by tm's own), 7 a call
            # as siplb's fwd_req + fwd_resp.
            r["msgs"] = sum(sa.get(k, 0) - sb.get(k, 0)
                            for k in ("rcv_requests", "rcv_replies"))
        if r["msgs"] <= 0:
            # No counters (ctl socket unreachable): 7 messages a call.
            r["msgs"] = 7 * r["ok_calls"]
    r["msgs_per_s"] = r["msgs"] / secs
    r["us_per_msg"] = r["lb_cpu_s"] * 1e6 / r["msgs"] if r["msgs"] > 0 else None
    return r


BUSY = 0.85               # a core this busy over a step is at its limit


def limit_of(rows):
    """Which side limited the highest rate: the load balancer or the
    generator. Judged over the best passing step and the first failed step
    above it (or the top step when none failed): a core busy >= BUSY in
    either is at its limit (a step's average includes its ramp and tail)."""
    if not rows:
        return "no steps"
    best = best_row(rows)
    judge = []
    if best is not None:
        judge.append(best)
        above = rows[rows.index(best) + 1:]
    else:
        above = rows
    failed = next((r for r in above if not r["passed"]), None)
    if failed is not None:
        judge.append(failed)
    elif not judge:
        judge.append(rows[-1])
    lb = max(r["lb_busy"] for r in judge)
    gen = max(r["cpu0_busy"] for r in judge)
    at = " at %s calls/s offered" % " and ".join(str(r["offered"]) for r in judge)
    fig = "LB busy %.0f %%, generator's CPU %.0f %%%s" % (lb * 100, gen * 100, at)
    if failed is None and best is rows[-1]:
        return "none reached: the ladder's top passed (%s)" % fig
    if failed is not None and failed.get("table_full"):
        return ("siplb's transaction table: stateful.capacity full, %d "
                "INVITEs answered 503 at %d calls/s offered (%s)"
                % (failed["table_full"], failed["offered"], fig))
    if lb >= BUSY:
        return "the load balancer (%s)" % fig
    if gen >= BUSY:
        return "the generator (%s)" % fig
    why = "packet loss or latency"
    if failed is not None and failed.get("rx_eq_tx"):
        why = ("packet loss outside siplb, which sent every frame it "
               "received (the kernel: af_packet ring or the peers' sockets)")
    return "neither core saturated (%s): %s" % (fig, why)


def best_row(rows):
    ok = [r for r in rows if r["passed"]]
    return max(ok, key=lambda r: r["achieved"]) if ok else None


def fmt(v, f="%.0f", none="–"):
    return none if v is None else f % v


def lat_cell(r, key):
    d = (r or {}).get("lat", {}).get(key) if r else None
    if not d:
        return "–"
    return "%s / %s / %s" % tuple(fmt(d.get(k), "%.2f") for k in ("p50", "p99", "p999"))


def common_rate(by_side):
    """The highest offered rate that every side passed: where their
    latencies compare under the same load."""
    sets = [{r["offered"] for r in by_side.get(s, []) if r["passed"]} for s in SIDES]
    both = set.intersection(*sets) if all(sets) else set()
    return max(both) if both else None


def cdf_curves(by_side):
    """The INVITE→200 CDF curves to draw, as (side, row, own): each side at
    the highest rate both passed (same load), and at its own highest
    passing rate when that is another step (own True); without a common
    rate, each side's best. Steps without "lat_cdf" give no curve."""
    rate = common_rate(by_side)
    curves = []
    for s in SIDES:
        rows = by_side.get(s, [])
        at = next((r for r in rows if r["offered"] == rate), None) if rate else None
        best = best_row(rows)
        if at is not None and at["cdf"].get("invite_200"):
            curves.append((s, at, False))
        if best is not None and best is not at and best["cdf"].get("invite_200"):
            curves.append((s, best, at is not None))
    return rate, curves


def plot_cdf(by_side, base, mode):
    """The INVITE→200 distribution: the share of calls slower than each
    latency, both axes logarithmic so the tail shows. A curve's slowest
    call (share 0) is drawn on a line of its own at the bottom."""
    rate, curves = cdf_curves(by_side)
    tails = [1 - f for _, r, _ in curves for _, f in r["cdf"]["invite_200"] if f < 1]
    low = min(tails) if tails else 0.1
    decade = 10 ** math.floor(math.log10(low) + 1e-9)
    zero = decade / 4
    tics = ['"0 (slowest)" %g' % zero]
    d = decade
    while d <= 1.0001:
        tics.append('"%s %%%%" %g' % (("%.6f" % (d * 100)).rstrip("0").rstrip("."), d))
        d *= 10
    g = ""
    plot = []
    for i, (s, r, own) in enumerate(curves):
        g += "$cdf%d << EOD\n# %s %d calls/s offered: ms, fraction <= ms, drawn share slower\n" % (
            i, s, r["offered"])
        for ms, f in r["cdf"]["invite_200"]:
            g += "%g %.9g %g\n" % (max(ms, 1e-4), f, 1 - f if f < 1 else zero)
        g += "EOD\n"
        colour = "#1b9e77" if s == "siplb" else "#d95f02"
        what = "its highest passing rate" if own or rate is None else "both passed"
        plot.append('$cdf%d using 1:3 with linespoints pt %d ps 0.6 lw 2 %slc rgb "%s" '
                    'title "%s, %d calls/s offered (%s)"' % (
                        i, (5 if s == "siplb" else 7) - own, "dt 2 " if own else "",
                        colour, NAMES[s], r["offered"], what))
    g += """
set title "INVITE→200 latency, %s: share of calls slower than x"
set logscale xy
set grid
set xlabel "INVITE→200 latency (ms)"
set ylabel "calls slower (log scale)"
set ytics (%s)
set yrange [%g:1.5]
set key top right
plot %s
""" % (mode, ", ".join(tics), zero / 1.5, ", \\\n     ".join(plot))
    gnuplot(g, base, "latency")


def cdf_block(rows, rate):
    """Datablock for the CDF: latency, nines (-log10(1-p)) per metric at
    the step of offered RATE (or the side's best passing step)."""
    b = next((r for r in rows if r["offered"] == rate), None) or best_row(rows)
    out = []
    for key, _ in LAT_KEYS[:2]:
        d = (b or {}).get("lat", {}).get(key) or {}
        for p, k in ((0.5, "p50"), (0.99, "p99"), (0.999, "p999")):
            if d.get(k) is not None:
                out.append("%g %g" % (max(d[k], 1e-3), -math.log10(1 - p)))
        out.append("")
        out.append("")
    return "\n".join(out)


def gnuplot(script, base, name):
    path = "%s-%s.gp" % (base, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(script)
    for term, ext in (("svg size 900,540 dynamic font 'sans,12'", "svg"),
                      ("pngcairo size 900,540 font 'sans,10'", "png")):
        subprocess.run(["gnuplot", "-e", "set terminal %s; set output '%s-%s.%s'"
                        % (term, base, name, ext), path], check=True,
                       timeout=60)


def plots(by_side, base, mode):
    data = ""
    for s in SIDES:
        data += "$%s << EOD\n" % s
        for r in by_side.get(s, []):
            data += "%d %.1f %d\n" % (r["offered"], r["achieved"], 1 if r["passed"] else 0)
        data += "EOD\n"
    top = max([r["offered"] for s in SIDES for r in by_side.get(s, [])] + [10])
    thr = data + """
set title "Throughput, %s: completed calls/s against offered load (1 LB core)"
set xlabel "offered calls/s"
set ylabel "completed calls/s"
set key top left
set grid
set xrange [0:%d]
set yrange [0:%d]
plot x title "offered" dt 2 lc rgb "gray", \\
     $kamailio using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio", \\
     $siplb using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb", \\
     $kamailio using 1:($3 == 0 ? $2 : 1/0) with points pt 6 ps 2.5 lc rgb "red" title "> 0.1 %% failed", \\
     $siplb using 1:($3 == 0 ? $2 : 1/0) with points pt 6 ps 2.5 lc rgb "red" notitle
""" % (mode, int(top * 1.05), int(top * 1.05))
    gnuplot(thr, base, "throughput")

    if cdf_curves(by_side)[1]:
        plot_cdf(by_side, base, mode)
        return
    lat = ""
    have_cdf = False
    rate = common_rate(by_side)
    for s in SIDES:
        blk = cdf_block(by_side.get(s, []), rate)
        have_cdf |= bool(blk.strip())
        lat += "$cdf_%s << EOD\n%s\nEOD\n" % (s, blk or "")
        lat += "$p_%s << EOD\n" % s
        for r in by_side.get(s, []):
            d = r["lat"].get("invite_200") or {}
            if d.get("p50") is not None:
                lat += "%d %g %g %g\n" % (r["offered"], max(d["p50"], 1e-3),
                                         max(d.get("p99") or 0, 1e-3),
                                         max(d.get("p999") or 0, 1e-3))
        lat += "EOD\n"
    if not have_cdf:
        lat += 'set label 1 "no latency figures from the generator" at screen 0.3, screen 0.5\n'
        lat += "set xrange [0.1:1]\nset yrange [0:1]\nunset key\nplot 1/0 notitle\n"
        gnuplot(lat, base, "latency")
        return
    lat += """
set multiplot layout 1,2 title "Latency, %s: left, CDF at %s; right, INVITE→200 per offered rate"
set logscale x
set grid
set xlabel "latency (ms)"
set ylabel "percentile of calls (log scale of 1 - p)"
set ytics ("p50" 0.30103, "p90" 1, "p99" 2, "p99.9" 3)
set yrange [0:3.3]
set key bottom right
plot $cdf_kamailio index 0 using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio INVITE→200", \\
     $cdf_kamailio index 1 using 1:2 with linespoints pt 6 dt 2 lc rgb "#d95f02" title "Kamailio BYE→200", \\
     $cdf_siplb index 0 using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb INVITE→200", \\
     $cdf_siplb index 1 using 1:2 with linespoints pt 4 dt 2 lc rgb "#1b9e77" title "siplb BYE→200"
set logscale xy
set xlabel "offered calls/s"
set ylabel "INVITE→200 latency (ms)"
set ytics auto
set autoscale y
set key top left opaque box
plot $p_kamailio using 1:2 with linespoints pt 7 lc rgb "#d95f02" title "Kamailio p50", \\
     $p_kamailio using 1:3 with linespoints pt 7 dt 2 lc rgb "#d95f02" title "Kamailio p99", \\
     $p_kamailio using 1:4 with linespoints pt 7 dt 3 lc rgb "#d95f02" title "Kamailio p99.9", \\
     $p_siplb using 1:2 with linespoints pt 5 lc rgb "#1b9e77" title "siplb p50", \\
     $p_siplb using 1:3 with linespoints pt 5 dt 2 lc rgb "#1b9e77" title "siplb p99", \\
     $p_siplb using 1:4 with linespoints pt 5 dt 3 lc rgb "#1b9e77" title "siplb p99.9"
unset multiplot
""" % (mode, "%d calls/s offered (the highest rate both passed)" % rate
       if rate else "each load balancer's highest passing rate")
    gnuplot(lat, base, "latency")


def latency_text(by_side):
    """What the latency plot shows, in the words of the report."""
    rate, curves = cdf_curves(by_side)
    if not curves:
        return ("*Latency plot*: these steps' generator lines carry three "
                "percentiles only (no `lat_cdf`): left, INVITE→200 and "
                "BYE→200 p50, p99 and p99.9 on a scale of nines at %s; right, "
                "INVITE→200 p50, p99 and p99.9 at every offered rate." % (
                    "%d calls/s offered, the highest rate both passed" % rate
                    if rate else "each load balancer's highest passing rate"))
    own = ["%s %d" % (NAMES[s], r["offered"]) for s, r, o in curves if o]
    t = ("*Latency plot*: the distribution of INVITE→200 latency over every "
         "call of a step, read from the generator's histogram (buckets within "
         "%.1f %%): for each latency on the x axis, the share of calls slower "
         "than it, both axes logarithmic so the tail shows (1 %% is the p99, "
         "0.1 %% the p99.9); each curve drops to the bottom line at its "
         "slowest call. " % (100 * 0.5 / 64))
    if rate:
        t += "Solid: both load balancers at %d calls/s offered, the highest rate both passed" % rate
        t += ("; dashed: a load balancer's own highest passing rate where that "
              "is another step (%s calls/s offered)." % ", ".join(own)
              if own else ", also each one's highest passing rate.")
    else:
        t += "No rate passed on both: each load balancer at its own highest passing rate."
    return t


def report(meta, lbs, by_side, base):
    mode = meta.get("mode", "?")
    name = os.path.basename(base)
    L = []
    L.append("# siplb against Kamailio, %s mode%s" % (
        mode, " (smoke run)" if meta.get("smoke") else ""))
    L.append("")
    L.append("Generated by `%s` on %s (%s generator). Benchmark figures of one "
             "machine on one day, not test assertions." % (
                 meta.get("command", "bench/compare"), meta.get("date", "?"),
                 meta.get("generator", "?")))
    L.append("")
    L.append("| | highest calls/s (< 0.1 % failed) | messages/s per LB core | LB core busy | CPU per message (µs) | messages/s per fully busy core | INVITE→200 ms p50 / p99 / p99.9 | BYE→200 ms p50 / p99 / p99.9 | limit |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    best = {}
    for s in SIDES:
        rows = by_side.get(s, [])
        b = best_row(rows)
        best[s] = b
        if b is None:
            L.append("| %s | none passed | – | – | – | – | – | – | %s |" % (NAMES[s], limit_of(rows)))
            continue
        us = b["us_per_msg"]
        L.append("| %s | %.0f | %.0f | %.0f %% | %s | %s | %s | %s | %s |" % (
            NAMES[s], b["achieved"], b["msgs_per_s"], b["lb_busy"] * 100,
            fmt(us, "%.2f"), fmt(1e6 / us if us else None, "%.0f"),
            lat_cell(b, "invite_200"), lat_cell(b, "bye_200"), limit_of(rows)))
    L.append("")
    k, s = best.get("kamailio"), best.get("siplb")
    if k and s and k["us_per_msg"] and s["us_per_msg"]:
        L.append("siplb spends **1/%.1f** of Kamailio's CPU time per forwarded "
                 "message (%.2f µs against %.2f µs) and carried **%.2f×** its "
                 "calls/s (%.0f against %.0f) with one load-balancer core each." % (
                     k["us_per_msg"] / s["us_per_msg"], s["us_per_msg"],
                     k["us_per_msg"], s["achieved"] / k["achieved"] if k["achieved"] else 0,
                     s["achieved"], k["achieved"]))
        L.append("")
    rate = common_rate(by_side)
    if rate:
        at = {sd: next(r for r in by_side[sd] if r["offered"] == rate) for sd in SIDES}
        if all(at[sd]["lat"].get("invite_200") for sd in SIDES):
            L.append("At %d calls/s offered, the highest rate both passed, "
                     "INVITE→200 p50 / p99 / p99.9 was %s ms through siplb "
                     "against %s ms through Kamailio." % (
                         rate, lat_cell(at["siplb"], "invite_200"),
                         lat_cell(at["kamailio"], "invite_200")))
            L.append("")
    L.append("- *highest calls/s*: the completed calls per second of the best "
             "ladder step with < 0.1 % failed calls that carried ≥ 90 % of its "
             "offered rate.")
    L.append("- *messages/s per LB core*: SIP messages the load balancer "
             "forwarded per second of that step, on its one core.")
    L.append("- *CPU per message*: siplb: its worker's busy TSC cycles (poll "
             "iterations that found work) / TSC Hz / messages forwarded "
             "(fwd_req + fwd_resp%s) — a poll-mode core is always 100 %% busy to "
             "the OS; Kamailio: utime + stime of all its processes "
             "(/proc/PID/stat) / messages forwarded (its core counters "
             "fwd_requests + fwd_replies%s). *messages/s per fully busy core* "
             "is its inverse: what one core would carry with the generator no "
             "limit." % (("", "") if mode != "stateful" else (
                 " + txn_resp_absorbed, the backend 100s it absorbs",
                 "; in stateful mode rcv_requests + rcv_replies, as tm's "
                 "relays are not in those")))
    L.append("- *limit*: judged over the best step and the first failed one "
             "above it: the load balancer when its core was ≥ 85 % busy in "
             "either (a step's average includes its ramp and tail), else the "
             "generator when CPU 0 (generator and backends, /proc/stat) was. "
             "CPU 0's figure counts everything on that CPU, other work on the "
             "machine included; the load balancers' own figures do not.")
    L.append("")
    L.append("![throughput](%s-throughput.svg)" % name)
    L.append("")
    L.append("![latency](%s-latency.svg)" % name)
    L.append("")
    L.append(latency_text(by_side))
    L.append("")
    L.append("## Every step")
    L.append("")
    L.append("| LB | offered calls/s | completed calls/s | started | failed | retrans | LB busy | CPU 0 busy | messages/s | CPU per message (µs) | INVITE→200 ms p50 / p99 / p99.9 | BYE→200 ms p50 / p99 / p99.9 | |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for sd in SIDES:
        for r in by_side.get(sd, []):
            L.append("| %s | %d | %.0f | %d | %d | %d | %.0f %% | %.0f %% | %.0f | %s | %s | %s | %s |" % (
                NAMES[sd], r["offered"], r["achieved"], r["started"], r["failed"],
                r["retrans"], r["lb_busy"] * 100, r["cpu0_busy"] * 100, r["msgs_per_s"],
                fmt(r["us_per_msg"], "%.2f"), lat_cell(r, "invite_200"),
                lat_cell(r, "bye_200"), "ok" if r["passed"] else "**failed**"))
    L.append("")
    L.append("## How it ran")
    L.append("")
    L.append("The network of `tests/integ/lib.sh`: network namespaces joined by a "
             "bridge, the caller at 198.18.0.2, the load balancer at 198.18.0.10 "
             "(veth lb0), backends be1 198.18.0.21 and be2 198.18.0.22. The "
             "generator and both backends run on CPU 0, the load balancer on "
             "CPU 1: Kamailio (every process, `children=1`: one UDP worker) "
             "on the kernel's UDP stack with 198.18.0.10 on lb0 for its run "
             "only; siplb through %s on lb0, its one worker lcore on "
             "CPU 1 (its main lcore shares CPU 0). Each ladder step runs "
             "%s s; the ladder stops after two failed steps in a row." %
             (meta.get("siplb_port", "net_af_packet"), meta.get("seconds", "?")))
    L.append("")
    L.append("```sh")
    L.append("# the whole run")
    L.append(meta.get("command", "bench/compare"))
    be = ("siplb-bench calls --role uas --bind 198.18.0.21:5060   # be1, "
          "taskset -c 0\nsiplb-bench calls --role uas --bind 198.18.0.22:5060   # be2"
          if meta.get("generator") == "calls" else
          "sipp -sf tests/integ/scenarios/uas.xml -i 198.18.0.2X -p 5060   # be1, be2")
    L.append("# backends\n" + be)
    for sd in SIDES:
        lb = lbs.get(sd)
        if lb:
            L.append("# %s, in the lb namespace" % NAMES[sd])
            L.append(lb.get("cmd", ""))
    rows = [r for sd in SIDES for r in by_side.get(sd, [])]
    if rows:
        L.append("# generator, client namespace, taskset -c 0, one run per step "
                 "and load balancer (RATE: %s)" % ", ".join(
                     str(r) for r in sorted({r["offered"] for r in rows})))
        L.append(rows[0]["cmd"])
    L.append("```")
    L.append("")
    if lbs.get("siplb", {}).get("conf"):
        L.append("<details><summary>siplb configuration</summary>\n")
        L.append("```")
        L.append(lbs["siplb"]["conf"].rstrip())
        L.append("```\n</details>")
        L.append("")
    L.append("Kamailio's configuration: `bench/kamailio/%s.cfg` and "
             "`bench/kamailio/dispatcher.list`." % mode)
    L.append("")
    L.append("## Machine")
    L.append("")
    hz = [r.get("hz") for r in by_side.get("siplb", []) if r.get("hz")]
    for k, v in (("CPU", meta.get("cpu")), ("CPUs", meta.get("ncpu")),
                 ("TSC (measured)", "%.0f MHz" % (hz[0] / 1e6) if hz else None),
                 ("memory", meta.get("mem")), ("OS", meta.get("os")),
                 ("kernel", meta.get("kernel")), ("Kamailio", meta.get("kamailio")),
                 ("siplb", meta.get("siplb_rev"))):
        if v:
            L.append("- %s: %s" % (k, v))
    L.append("")
    with open(base + ".md", "w", encoding="utf-8") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("raw")
    ap.add_argument("--out", required=True, help="BASE: writes BASE.md, BASE-*.svg/png")
    ap.add_argument("--no-plots", action="store_true")
    a = ap.parse_args()
    meta, lbs, steps = load(a.raw)
    mode = meta.get("mode", "stateless")
    by_side = {}
    for st in steps:
        r = analyse(st, mode, meta.get("seconds"))
        r["cmd"] = st.get("gen_cmd", "").replace(
            "--rate %d" % st["offered"], "--rate RATE").replace(
            "-r %d" % st["offered"], "-r RATE")
        by_side.setdefault(st["side"], []).append(r)
    report(meta, lbs, by_side, a.out)
    if not a.no_plots:
        plots(by_side, a.out, mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
