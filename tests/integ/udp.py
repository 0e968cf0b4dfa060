#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hand-made datagrams for siplb's integration tests (run inside a netns).

  udp.py send --src IP --sport P --dst IP --dport P --kinds K[,K...]
         [--count N] [--gap-ms G] [--wait S]
      Send N datagrams of each kind, G ms apart (round-robin over kinds),
      then collect replies on the same socket for S seconds. Prints one JSON
      line: {"sent": {kind: n}, "replies": {"400": n, ...}}.
  udp.py listen --addr IP --port P --seconds S --ready FILE
      Bind, touch FILE once bound, count datagrams for S seconds, print
      {"received": n, "first": "<start line of the first>"}.

Kinds:
  garbage     binary junk, not text
  empty       a zero-length datagram
  truncated   an INVITE cut in the middle of its headers (no empty line)
  badstart    an INVITE whose start line has no SIP version
  sip3        a well-formed INVITE, version SIP/3.0 (expect 505)
  clen        an INVITE whose Content-Length exceeds the datagram
  nocallid    an INVITE without Call-ID, otherwise fine (expect 400)
  badcksum    a well-formed INVITE in a UDP datagram with a wrong checksum
              (raw socket; the kernel builds the IP header)
  foreignvia  a 200 OK whose top Via names a host other than siplb; its
              second Via points back to the sender
Every Call-ID generated here starts with "bad-", so the tests can tell that
none reached a backend.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import sys
import time

SDP = ("v=0\r\no=user1 53655765 2353687637 IN IP4 {src}\r\ns=-\r\n"
       "c=IN IP4 {src}\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
       "a=rtpmap:0 PCMU/8000\r\n")


def invite(a, n, version="SIP/2.0", callid=True, clen=None, startline=None):
    body = SDP.format(src=a.src)
    hdrs = [
        startline or "INVITE sip:service@{dst}:{dport} {ver}".format(
            dst=a.dst, dport=a.dport, ver=version),
        "Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-bad-{n}".format(
            src=a.src, sport=a.sport, n=n),
        "From: <sip:bad@{src}:{sport}>;tag=bad{n}".format(
            src=a.src, sport=a.sport, n=n),
        "To: <sip:service@{dst}:{dport}>".format(dst=a.dst, dport=a.dport),
    ]
    if callid:
        hdrs.append("Call-ID: bad-{n}-{pid}@{src}".format(
            n=n, pid=os.getpid(), src=a.src))
    hdrs += [
        "CSeq: 1 INVITE",
        "Contact: <sip:bad@{src}:{sport}>".format(src=a.src, sport=a.sport),
        "Max-Forwards: 70",
        "Content-Type: application/sdp",
        "Content-Length: %d" % (len(body) if clen is None else clen),
    ]
    return ("\r\n".join(hdrs) + "\r\n\r\n" + body).encode()


def foreign_via(a, n):
    return ("SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/UDP 198.18.0.99:5060;branch=z9hG4bK-notsiplb-{n}\r\n"
            "Via: SIP/2.0/UDP {src}:{sport};branch=z9hG4bK-bad-{n}\r\n"
            "From: <sip:bad@{src}>;tag=a{n}\r\n"
            "To: <sip:service@{dst}>;tag=b{n}\r\n"
            "Call-ID: bad-fv-{n}-{pid}@{src}\r\n"
            "CSeq: 1 INVITE\r\n"
            "Content-Length: 0\r\n\r\n").format(
                n=n, src=a.src, sport=a.sport, dst=a.dst,
                pid=os.getpid()).encode()


def payload(kind, a, n):
    rnd = random.Random(n)
    if kind == "garbage":
        return bytes([0x16, 0x03, 0x01]) + bytes(
            rnd.randrange(256) for _ in range(200))
    if kind == "empty":
        return b""
    if kind == "truncated":
        return invite(a, n)[:150]
    if kind == "badstart":
        return invite(a, n, startline="INVITE sip:service@%s" % a.dst)
    if kind == "sip3":
        return invite(a, n, version="SIP/3.0")
    if kind == "clen":
        return invite(a, n, clen=4000)
    if kind == "nocallid":
        return invite(a, n, callid=False)
    if kind in ("badcksum", "valid"):
        return invite(a, n)
    if kind == "foreignvia":
        return foreign_via(a, n)
    raise SystemExit("unknown kind " + kind)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def raw_bad_cksum(raw, a, data):
    """A UDP header + data whose checksum is deliberately off by one."""
    ulen = 8 + len(data)
    pseudo = (socket.inet_aton(a.src) + socket.inet_aton(a.dst)
              + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen))
    hdr = struct.pack("!HHHH", a.sport, a.dport, ulen, 0)
    good = csum16(pseudo + hdr + data) or 0xFFFF
    bad = good ^ 0x0101
    raw.sendto(struct.pack("!HHHH", a.sport, a.dport, ulen, bad) + data,
               (a.dst, 0))


def cmd_send(a):
    kinds = a.kinds.split(",")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.src, a.sport))
    raw = None
    if "badcksum" in kinds:
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                            socket.IPPROTO_UDP)
    sent = {k: 0 for k in kinds}
    n = 0
    for _ in range(a.count):
        for k in kinds:
            n += 1
            data = payload(k, a, n)
            if k == "badcksum":
                raw_bad_cksum(raw, a, data)
            else:
                s.sendto(data, (a.dst, a.dport))
            sent[k] += 1
            time.sleep(a.gap_ms / 1000.0)
    replies = {}
    for data in recv_for(s, a.wait, 100000):
        parts = data.split(b" ", 2)
        code = parts[1].decode(errors="replace") if (
            len(parts) > 2 and parts[0] == b"SIP/2.0") else "other"
        replies[code] = replies.get(code, 0) + 1
    print(json.dumps({"sent": sent, "replies": replies}))


def recv_for(s, seconds, most):
    """Datagrams arriving on s within seconds, at most most of them."""
    deadline = time.monotonic() + seconds
    for _ in range(most):
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return
        yield s.recv(65535)


def cmd_listen(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    open(a.ready, "w").close()
    got, first = 0, ""
    for data in recv_for(s, a.seconds, 1000000):
        if not got:
            first = data.split(b"\r\n", 1)[0][:60].decode(errors="replace")
        got += 1
    print(json.dumps({"received": got, "first": first}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("send")
    p.add_argument("--src", required=True)
    p.add_argument("--sport", type=int, default=5070)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, default=5060)
    p.add_argument("--kinds", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--gap-ms", type=float, default=5.0)
    p.add_argument("--wait", type=float, default=1.0)
    p = sub.add_parser("listen")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--ready", required=True)
    a = ap.parse_args()
    if getattr(a, "count", 0) > 1000:
        raise SystemExit("--count is bounded to 1000")
    return cmd_send(a) if a.cmd == "send" else cmd_listen(a)


if __name__ == "__main__":
    sys.exit(main())
