#!/usr/bin/env python3
"""Golden tests of the RTP relay: pcap in -> tongdai's worker code on a
net_pcap port -> pcap out, compared byte for byte with frames built here
from the RFCs; counters and events from td-golden's report.

Hosts (all inside the pcap files): the dataplane 10.0.0.1; caller A at
10.0.0.10:4000; callee B at 10.0.0.20:5000; a third party at 10.0.0.66.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import Frame, run_golden, rtp, rtcp_sr, rtcp_rr, rtcp_sdes, eth, ipv4, udp  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
A_MAC, A_IP = "02:00:00:00:00:0a", "10.0.0.10"
B_MAC, B_IP = "02:00:00:00:00:14", "10.0.0.20"
X_MAC, X_IP = "02:00:00:00:00:42", "10.0.0.66"
PA, PB = 30000, 30002  # first two sessions get the first two even ports
HEAD = "ip 10.0.0.1/24\nports 30000-30099\n"

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


dp_mac = run_golden(GOLDEN, HEAD, [])[0]["mac"]
F = Frame(dp_mac, DP_IP)
ARPS = [(0.0, F.arp_request_from(A_MAC, A_IP)), (0.001, F.arp_request_from(B_MAC, B_IP))]
BRIDGE = HEAD + "create a remote=10.0.0.10:4000\ncreate b remote=10.0.0.20:5000\nbridge a b\n"


def udp_out(frames):
    return [f for f in frames if f[12:14] == b"\x08\x00"]


def voice(i):
    return bytes((i * 7 + k) & 0xFF for k in range(160))


def test_relay_both_ways():
    pkts = list(ARPS)
    t = 0.01
    for i in range(10):
        pkts.append((t, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 100 + i, 1600 + 160 * i, 0xA1, voice(i)), ident=i)))
        pkts.append((t + 0.001, F.to_dp(B_MAC, B_IP, 5000, PB, rtp(0, 7 + i, 320 * i, 0xB2, voice(50 + i)), ident=100 + i)))
        t += 0.02
    rep, out = run_golden(GOLDEN, BRIDGE + "run\n", pkts)
    out = udp_out(out)
    want = []
    for i in range(10):
        want.append(F.from_dp(B_MAC, B_IP, PB, 5000, rtp(8, 100 + i, 1600 + 160 * i, 0xA1, voice(i)), ident=i))
        want.append(F.from_dp(A_MAC, A_IP, PA, 4000, rtp(0, 7 + i, 320 * i, 0xB2, voice(50 + i)), ident=100 + i))
    check(out == want, "relay both ways: 20 packets, byte for byte",
          "(%d out, first differing: %s)" % (len(out), next((i for i, (x, y) in enumerate(zip(out, want)) if x != y), None)))
    a, b = rep["sessions"]["a"], rep["sessions"]["b"]
    check(a["rtp_rx_pkts"] == 10 and b["rtp_tx_pkts"] == 10 and b["rtp_rx_pkts"] == 10 and a["rtp_tx_pkts"] == 10,
          "per-session counters: 10 in and 10 out each way")
    check(rep["worker"]["arp_replies"] == 2, "both peers' ARP requests answered")
    check(rep["drops"] == {}, "nothing dropped", rep["drops"])
    ev = [(e["type"], e["session"]) for e in rep["events"]]
    check(ev == [("first_packet", "a"), ("first_packet", "b")], "one first_packet event per session", ev)


def test_latch_follows_nat_port():
    # A's signalled port is 4000 but it really sends from 4444 (NAT): media
    # toward A must go to 4444.
    pkts = list(ARPS)
    pkts.append((0.01, F.to_dp(A_MAC, A_IP, 4444, PA, rtp(8, 1, 160, 0xA1, voice(1)))))
    pkts.append((0.03, F.to_dp(B_MAC, B_IP, 5000, PB, rtp(8, 1, 160, 0xB2, voice(2)))))
    rep, out = run_golden(GOLDEN, BRIDGE + "run\n", pkts)
    out = udp_out(out)
    want_to_a = F.from_dp(A_MAC, A_IP, PA, 4444, rtp(8, 1, 160, 0xB2, voice(2)))
    check(len(out) == 2 and out[1] == want_to_a, "media toward A goes to its latched port 4444, not the signalled 4000")
    check(rep["sessions"]["a"]["latched_port"] == 4444, "latched source shown")


def test_strict_source_no_bleed():
    # The third party sprays A's port before, during and after learning;
    # with strict source it never latches, never receives media, and every
    # packet of it is counted.
    pkts = list(ARPS) + [(0.002, F.arp_request_from(X_MAC, X_IP))]
    t = 0.01
    pkts.append((t, F.to_dp(X_MAC, X_IP, 6666, PA, rtp(8, 1, 1, 0x66, b"evil"))))
    for i in range(8):
        t += 0.02
        pkts.append((t, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 10 + i, 160 * i, 0xA1, voice(i)))))
        pkts.append((t + 0.001, F.to_dp(X_MAC, X_IP, 6666, PA, rtp(8, 500 + i, 1, 0x66, b"evil"))))
        pkts.append((t + 0.002, F.to_dp(B_MAC, B_IP, 5000, PB, rtp(8, 20 + i, 160 * i, 0xB2, voice(i)))))
    sc = HEAD + "create a remote=10.0.0.10:4000 strict\ncreate b remote=10.0.0.20:5000 strict\nbridge a b\nrun\n"
    rep, out = run_golden(GOLDEN, sc, pkts)
    out = udp_out(out)
    to_x = [f for f in out if f[0:6] == bytes.fromhex(X_MAC.replace(":", ""))]
    check(to_x == [], "the third party receives nothing")
    check(rep["drops"].get("rtp_source_not_allowed") == 9, "its 9 packets dropped as rtp_source_not_allowed", rep["drops"])
    a = rep["sessions"]["a"]
    check(a["latched_addr"] == A_IP and a["latched_port"] == 4000 and a["latched"] == 2, "latch stays on A, locked")
    check(a["src_rejected"] == 9 and len(out) == 16, "A's and B's media all relayed (16), 9 rejected")


def test_lock_after_learning_window():
    # Not strict (the remote is not known): the first source latches; after
    # the learning window of 3 packets the latch is locked against others.
    pkts = list(ARPS) + [(0.002, F.arp_request_from(X_MAC, X_IP))]
    for i in range(3):
        pkts.append((0.01 + 0.02 * i, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, i, 160 * i, 0xA1, voice(i)))))
    pkts.append((0.08, F.to_dp(X_MAC, X_IP, 6666, PA, rtp(8, 9, 9, 0x66, b"evil"))))
    sc = HEAD + "create a learn=3\ncreate b remote=10.0.0.20:5000\nbridge a b\nrun\n"
    rep, out = run_golden(GOLDEN, sc, pkts)
    check(rep["drops"].get("rtp_source_not_allowed") == 1 and rep["sessions"]["a"]["latched_addr"] == A_IP,
          "after the window a new source is refused and the latch stays", rep["drops"])
    check(len(udp_out(out)) == 3, "only A's 3 packets relayed")


def test_source_change_during_window_moves_latch():
    pkts = list(ARPS)
    pkts.append((0.01, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 1, 160, 0xA1, voice(1)))))
    pkts.append((0.03, F.to_dp(A_MAC, A_IP, 4002, PA, rtp(8, 2, 320, 0xA1, voice(2)))))
    rep, _ = run_golden(GOLDEN, BRIDGE + "run\n", pkts)
    ev = [(e["type"], e["addr"], e["old"]) for e in rep["events"] if e["session"] == "a"]
    check(ev == [("first_packet", A_IP + ":4000", "0.0.0.0:0"), ("source_changed", A_IP + ":4002", A_IP + ":4000")],
          "within the window an allowed new port moves the latch, with an event", ev)
    check(rep["sessions"]["a"]["source_changes"] == 1, "source change counted")


def test_stream_continuity_across_source_change():
    # A's stream (SSRC 0xA1, seq 100.., ts 1000..) then a transfer: control
    # updates A's remote, and a new source (SSRC 0xC3, seq 9000, ts 77) feeds
    # B. B must see one stream: SSRC 0xA1, seq and ts continuing.
    pkts = list(ARPS) + [(0.002, F.arp_request_from(X_MAC, "10.0.0.30"))]
    for i in range(5):
        pkts.append((0.01 + 0.02 * i, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 100 + i, 1000 + 160 * i, 0xA1, voice(i)))))
    for i in range(5):
        pkts.append((0.2 + 0.02 * i, F.to_dp(X_MAC, "10.0.0.30", 7000, PA, rtp(8, 9000 + i, 77 + 160 * i, 0xC3, voice(9)))))
    sc = BRIDGE + "run 7\nupdate a remote=10.0.0.30:7000\nrun\n"
    rep, out = run_golden(GOLDEN, sc, pkts)
    out = udp_out(out)
    hdrs = [struct.unpack("!HII", f[14 + 20 + 8 + 2:14 + 20 + 8 + 12]) for f in out]
    seqs, tss, ssrcs = [h[0] for h in hdrs], [h[1] for h in hdrs], [h[2] for h in hdrs]
    check(len(out) == 10 and set(ssrcs) == {0xA1}, "one SSRC toward B across the change", [hex(s) for s in set(ssrcs)])
    check(seqs == list(range(100, 110)), "sequence numbers continue without a gap", seqs)
    gap = tss[5] - tss[4]
    # 110 ms between the two sources' packets at 8 kHz: 880 +- pacing
    # (the harness paces by the wall clock: a loaded machine is late).
    check(820 <= gap <= 960 and all(tss[i + 1] - tss[i] == 160 for i in range(5, 9)),
          "timestamp advances by the time that passed (%d), then by 160" % gap, tss)
    check(rep["sessions"]["b"]["ssrc_changes"] == 1, "SSRC change counted on B's stream")


def test_malformed_dropped_and_counted():
    good = rtp(8, 1, 160, 0xA1, voice(1))
    cases = [
        ("rtp_short", F.to_dp(A_MAC, A_IP, 4000, PA, b"\x80\x08\x00\x01")),
        ("rtp_bad_version", F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 1, 1, 1, b"x" * 10, version=1))),
        ("rtp_bad_csrc", F.to_dp(A_MAC, A_IP, 4000, PA, bytes([0x8F]) + good[1:20])),
        ("rtp_bad_ext", F.to_dp(A_MAC, A_IP, 4000, PA, bytes([0x90]) + good[1:12] + b"\xbe\xde\x00\x09" + b"\0" * 8)),
        ("rtp_bad_padding", F.to_dp(A_MAC, A_IP, 4000, PA, bytes([0xA0]) + good[1:14] + b"\x09")),
        ("rtp_bad_pt", F.to_dp(A_MAC, A_IP, 4000, PA, rtp(18, 1, 1, 0xA1, voice(1)))),
        ("udp_bad_length", eth(dp_mac, A_MAC, 0x0800, ipv4(A_IP, DP_IP, 17, udp(4000, PA, good, length=300)))),
        ("udp_short", eth(dp_mac, A_MAC, 0x0800, ipv4(A_IP, DP_IP, 17, b"\x0f\xa0\x75"))),
        ("rtp_no_session", F.to_dp(A_MAC, A_IP, 4000, PA + 10, good)),
        ("udp_no_session", F.to_dp(A_MAC, A_IP, 4000, 5060, b"OPTIONS sip:x SIP/2.0\r\n")),
        ("rtcp_short", F.to_dp(A_MAC, A_IP, 4001, PA + 1, b"\x80\xc9\x00")),
        ("rtcp_bad_version", F.to_dp(A_MAC, A_IP, 4001, PA + 1, b"\x40" + rtcp_rr(0xA1)[1:])),
        ("rtcp_bad_type", F.to_dp(A_MAC, A_IP, 4001, PA + 1, rtcp_sdes(0xA1))),
        ("rtcp_bad_length", F.to_dp(A_MAC, A_IP, 4001, PA + 1, rtcp_rr(0xA1) + b"\x81\xca\x00\x09"))
    ]
    pkts = list(ARPS) + [(0.01 + 0.001 * i, p) for i, (_, p) in enumerate(cases)]
    pkts.append((0.2, F.to_dp(A_MAC, A_IP, 4000, PA, good)))  # and a good one still passes
    sc = HEAD + "create a remote=10.0.0.10:4000 pts=8,0 tel=101\ncreate b remote=10.0.0.20:5000\nbridge a b\nrun\n"
    rep, out = run_golden(GOLDEN, sc, pkts)
    for reason, _ in cases:
        check(rep["drops"].get(reason) == 1, "malformed class counted once under %s" % reason, rep["drops"])
    check(sum(rep["drops"].values()) == len(cases), "nothing else dropped", rep["drops"])
    check(len(udp_out(out)) == 1, "the good packet after them is relayed")
    check(rep["sessions"]["a"]["dropped"] == 10, "session A counts its own 10 drops", rep["sessions"]["a"]["dropped"])


def test_rtcp_stats_loss_jitter_rtt():
    # 400 packets from A with one in 20 lost (5 %, 20 lost) and arrival
    # times alternating 4 ms early/late: A.8 jitter -> 8 ms = 64 units.
    pkts = list(ARPS)
    base = 0.02
    for i in range(400):
        if i % 20 == 10:
            continue
        t = base + 0.02 * i + (0.004 if i % 2 else -0.004) + 0.004
        pkts.append((t, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 1000 + i, 8000 + 160 * i, 0xA1, voice(i)))))
    # A sends an SR at 8.05 s: relayed to B. B answers with an RR naming it
    # (LSR = middle 32 bits) with DLSR 0.25 s, arriving 0.3 s later:
    # this leg's RTT is 50 ms.
    sr = rtcp_sr(0xA1, 0x00001234, 0x56780000, 9999, 380, 60800) + rtcp_sdes(0xA1)
    lsr = (0x1234 << 16) | 0x5678
    rr = rtcp_rr(0xB2, [(0xA1, 13, 20, 1399, 64, lsr, int(0.25 * 65536))])
    pkts.append((8.05, F.to_dp(A_MAC, A_IP, 4001, PA + 1, sr)))
    pkts.append((8.35, F.to_dp(B_MAC, B_IP, 5001, PB + 1, rr)))
    pkts.sort(key=lambda p: p[0])
    rep, out = run_golden(GOLDEN, BRIDGE + "run\n", pkts)
    a, b = rep["sessions"]["a"], rep["sessions"]["b"]
    check(a["expected"] == 400 and a["lost"] == 20, "loss: 400 expected, 20 lost (%d, %d)" % (a["expected"], a["lost"]))
    check(55 <= a["jitter_ts"] <= 72, "jitter near 64 timestamp units (8 ms): %.1f" % a["jitter_ts"])
    # +- the harness's pacing of the two packets 0.3 s apart.
    check(38000 <= b["rtt_us"] <= 62000, "RTT from SR/RR on B's leg near 50 ms: %d us" % b["rtt_us"])
    check(b["peer_fraction_lost"] == 13 and b["peer_cum_lost"] == 20 and b["peer_jitter"] == 64,
          "B's report on what it receives is kept")
    rtcp_out = [f for f in udp_out(out) if struct.unpack("!H", f[36:38])[0] in (5001, 4001)]
    want_sr = F.from_dp(B_MAC, B_IP, PB + 1, 5001, sr)
    check(len(rtcp_out) == 2 and rtcp_out[0] == want_sr, "SR relayed to B's RTCP port byte for byte")
    check(a["rtcp_rx_pkts"] == 1 and b["rtcp_tx_pkts"] == 1 and b["rtcp_rx_pkts"] == 1, "RTCP counted")


def test_commands_and_budget():
    sc = ("ip 10.0.0.1/24\nports 30000-30005\n"  # 3 sessions at most
          "create a\ncreate b\ncreate c\ncreate d\n"
          "bridge a b\nbridge a c\nbridge a a\nunbridge c\n"
          "destroy c\nupdate c remote=10.0.0.9:1\ncreate e\ndump\n")
    rep, _ = run_golden(GOLDEN, sc, [])
    res = [(c["cmd"], c["result"]) for c in rep["commands"]]
    want = [("create", 0), ("create", 0), ("create", 0), ("create", -28),
            ("bridge", 0), ("bridge", -16), ("bridge", -22), ("unbridge", -107),
            ("destroy", 0), ("update", -2), ("create", 0), ("dump", 0)]
    check(res == want, "budget -ENOSPC, bridge -EBUSY/-EINVAL, unbridge -ENOTCONN, stale id -ENOENT", res)
    ports = [c.get("port") for c in rep["commands"] if c["cmd"] == "create" and c["result"] == 0]
    check(ports == [30000, 30002, 30004, 30004], "ports from the worker's range; a freed port is reused", ports)
    dumps = sorted((e["session"], e["peer"]) for e in rep["events"] if e["type"] == "dump")
    check(dumps == [("a", "b"), ("b", "a"), ("e", "")] and rep["commands"][-1]["count"] == 3,
          "dump lists the live sessions with their bridges", dumps)


def test_media_timeout():
    sc = HEAD + "create a timeout=1\ncreate b\nsleep 400\nsleep 800\n"
    rep, _ = run_golden(GOLDEN, sc, [])
    ev = [(e["type"], e["session"]) for e in rep["events"]]
    check(ev == [("media_timeout", "a")], "media timeout after 1 s without RTP, once, only where asked", ev)
    check(rep["sessions"]["a"]["timed_out"] == 1, "timed_out shown")


for name, fn in list(globals().items()):
    if name.startswith("test_") and callable(fn):
        print("# " + name)
        try:
            fn()
        except Exception as e:  # a crash is a failure, with its reason
            failures += 1
            print("not ok - %s raised %r" % (name, e))
print("%s" % ("FAIL" if failures else "PASS"))
sys.exit(1 if failures else 0)
