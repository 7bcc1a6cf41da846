#!/usr/bin/env python3
"""Golden tests of the worker's own network stack (ARP, IPv4, ICMP echo):
pcap in -> net_pcap -> pcap out, replies compared byte for byte with frames
built here from RFC 826/791/792, every malformed class under its drop name.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import arp, csum, eth, ipv4, run_golden  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP, PEER_MAC, PEER_IP = "10.0.0.1", "02:00:00:00:00:0a", "10.0.0.10"
HEAD = "ip 10.0.0.1/24\nports 30000-30099\n"
failures = 0


def check(cond, what, detail=""):
    global failures
    print(("ok - " if cond else "not ok - ") + what + ("" if cond else " %s" % (detail,)))
    failures += 0 if cond else 1


DP_MAC = run_golden(GOLDEN, HEAD, [])[0]["mac"]


def icmp(type_, code, ident, seq, data, bad=False):
    h = struct.pack("!BBHHH", type_, code, 0, ident, seq) + data
    c = csum(h) ^ (0x0101 if bad else 0)
    return h[:2] + struct.pack("!H", c) + h[4:]


def test_arp_reply():
    req = eth("ff:ff:ff:ff:ff:ff", PEER_MAC, 0x0806, arp(1, PEER_MAC, PEER_IP, "00:00:00:00:00:00", DP_IP))
    rep, out = run_golden(GOLDEN, HEAD + "run\n", [(0.0, req + b"\0" * 18)])
    want = eth(PEER_MAC, DP_MAC, 0x0806, arp(2, DP_MAC, DP_IP, PEER_MAC, PEER_IP)) + b"\0" * 18
    check(out == [want], "ARP request for our address answered (RFC 826), byte for byte")
    check(rep["worker"]["arp_replies"] == 1 and rep["drops"] == {}, "counted as an ARP reply, nothing dropped")


def test_icmp_echo_reply():
    data = bytes(range(56))
    req = eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, icmp(8, 0, 0x1234, 7, data), ident=99, ttl=17))
    rep, out = run_golden(GOLDEN, HEAD + "run\n", [(0.0, req)])
    want = eth(PEER_MAC, DP_MAC, 0x0800, ipv4(DP_IP, PEER_IP, 1, icmp(0, 0, 0x1234, 7, data), ident=99, ttl=64))
    check(out == [want], "echo request answered (RFC 792): same id, sequence, data; valid checksums")
    # Ethernet padding of a short frame is not echoed back.
    small = eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, icmp(8, 0, 1, 1, b"ab")))
    rep, out = run_golden(GOLDEN, HEAD + "run\n", [(0.0, small + b"\0" * 10)])
    want = eth(PEER_MAC, DP_MAC, 0x0800, ipv4(DP_IP, PEER_IP, 1, icmp(0, 0, 1, 1, b"ab")))
    check(out == [want], "padding trimmed from the reply")


def test_malformed_classes():
    other = "02:00:00:00:00:99"
    good_icmp = icmp(8, 0, 1, 1, b"x" * 8)
    cases = [
        ("eth_short", bytes.fromhex(DP_MAC.replace(":", "")) + b"\x02\x00\x00"),
        ("eth_not_for_us", eth(other, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, good_icmp))),
        ("eth_unknown_type", eth(DP_MAC, PEER_MAC, 0x86DD, b"\x60" + b"\0" * 39)),
        ("arp_bad", eth(DP_MAC, PEER_MAC, 0x0806, struct.pack("!HHBBH", 6, 0x0800, 6, 4, 1) + b"\0" * 20)),
        ("arp_not_for_us", eth("ff:ff:ff:ff:ff:ff", PEER_MAC, 0x0806,
                               arp(1, PEER_MAC, PEER_IP, "00:00:00:00:00:00", "10.0.0.77"))),
        ("arp_not_request", eth(DP_MAC, PEER_MAC, 0x0806, arp(3, PEER_MAC, PEER_IP, DP_MAC, DP_IP))),
        ("ip_short", eth(DP_MAC, PEER_MAC, 0x0800, b"\x45\x00\x00\x14")),
        ("ip_bad_version", eth(DP_MAC, PEER_MAC, 0x0800, b"\x65" + ipv4(PEER_IP, DP_IP, 1, good_icmp)[1:])),
        ("ip_bad_length", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, good_icmp, total=400))),
        ("ip_bad_length", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, good_icmp, ihl=4))),
        ("ip_bad_checksum", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, good_icmp, bad_csum=True))),
        ("ip_not_for_us", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, "10.0.0.2", 1, good_icmp))),
        ("ip_bad_source", eth(DP_MAC, PEER_MAC, 0x0800, ipv4("255.255.255.255", DP_IP, 1, good_icmp))),
        ("ip_bad_source", eth(DP_MAC, PEER_MAC, 0x0800, ipv4("224.0.0.1", DP_IP, 1, good_icmp))),
        ("ip_bad_source", eth(DP_MAC, PEER_MAC, 0x0800, ipv4("0.0.0.0", DP_IP, 1, good_icmp))),
        ("ip_fragment", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, good_icmp, frag=0x2000))),
        ("ip_unknown_proto", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 6, b"\0" * 20))),
        ("icmp_short", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, b"\x08\x00\xf7"))),
        ("icmp_bad_checksum", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, icmp(8, 0, 1, 1, b"x", bad=True)))),
        ("icmp_unhandled", eth(DP_MAC, PEER_MAC, 0x0800, ipv4(PEER_IP, DP_IP, 1, icmp(13, 0, 1, 1, b"x" * 12)))),
    ]
    rep, out = run_golden(GOLDEN, HEAD + "run\n", [(0.001 * i, p) for i, (_, p) in enumerate(cases)])
    want = {}
    for r, _ in cases:
        want[r] = want.get(r, 0) + 1
    check(rep["drops"] == want, "each malformed or foreign class dropped under its own name", rep["drops"])
    check(out == [], "none of them answered")


for name, fn in list(globals().items()):
    if name.startswith("test_") and callable(fn):
        print("# " + name)
        try:
            fn()
        except Exception as e:
            failures += 1
            print("not ok - %s raised %r" % (name, e))
print("FAIL" if failures else "PASS")
sys.exit(1 if failures else 0)
