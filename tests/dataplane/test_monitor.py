#!/usr/bin/env python3
"""Golden tests of supervisor monitoring: pcap in -> the dataplane's worker
code on a net_pcap port -> pcap out.

A call: the customer (c, 500 Hz) bridged to the agent (a, 900 Hz), both
PCMA; the supervisor (s, 1300 Hz) speaks PCMU. What each one receives is
decoded and measured by Goertzel in every mode: listen (the supervisor
hears both, nobody hears it), whisper (the agent hears the supervisor, the
customer gets the agent's payloads byte for byte), barge (each hears the
other two), off (plain relay again, byte for byte both ways, the
supervisor gets nothing); switching listen -> whisper -> barge -> off in
one call keeps the customer's stream one unbroken RTP stream with audio in
every packet; every bad request refused with its reason; a monitor ends
with a session or the bridge, and control is told.

Hosts (inside the pcap files): the dataplane 10.0.0.1; c at 10.0.0.10,
a at 10.0.0.20, s at 10.0.0.30, all sending from port 4000.
"""
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from g711 import alaw_dec, alaw_enc, tone_fraction, ulaw_enc  # noqa: E402
from pktlib import Frame, run_golden, rtp  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
RATE = 8000
N_PKTS = 50  # one second of 20 ms packets from each sender
NAMES = ["c", "a", "s"]
TONES = {"c": 500.0, "a": 900.0, "s": 1300.0}
CODEC = {"c": "PCMA", "a": "PCMA", "s": "PCMU"}
HEAD = "ip 10.0.0.1/24\nports 30000-30099\nconf-slots %d\n"

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


def ulaw_dec(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return 0x84 - t if u & 0x80 else t - 0x84


def host(name):
    i = NAMES.index(name) + 1
    return "02:00:00:00:00:%02x" % (0x10 * i), "10.0.0.%d" % (10 * i), 30000 + 2 * (i - 1)


dp_mac = run_golden(GOLDEN, HEAD % 8, [])[0]["mac"]
F = Frame(dp_mac, DP_IP)
ARPS = [(0.001 * i, F.arp_request_from(host(n)[0], host(n)[1])) for i, n in enumerate(NAMES)]


def payloads(name, n):
    enc = alaw_enc if CODEC[name] == "PCMA" else ulaw_enc
    pcm = [int(round(6000 * math.sin(2 * math.pi * TONES[name] * i / RATE))) for i in range(160 * n)]
    return [bytes(enc(v) for v in pcm[160 * i:160 * (i + 1)]) for i in range(n)]


def feed(n=N_PKTS, t0=0.01):
    """Each party's tone, 20 ms packets, the three senders interleaved."""
    pkts = []
    for k, name in enumerate(NAMES):
        m, ip, port = host(name)
        pt = 8 if CODEC[name] == "PCMA" else 0
        for i, pl in enumerate(payloads(name, n)):
            pkts.append((t0 + 0.02 * i + 0.0005 * k,
                         F.to_dp(m, ip, 4000, port, rtp(pt, 100 + i, 1000 + 160 * i, 0x1000 + k, pl), ident=i)))
    return sorted(pkts, key=lambda p: p[0])


def rtp_out(frames, name):
    """RTP sent to one host: list of (pt, marker, seq, ts, ssrc, payload)."""
    out = []
    dst = bytes.fromhex(host(name)[0].replace(":", ""))
    for f in frames:
        if f[12:14] != b"\x08\x00" or f[0:6] != dst:
            continue
        r = f[14 + 20 + 8:]
        seq, ts, ssrc = struct.unpack("!HII", r[2:12])
        out.append((r[1] & 0x7F, r[1] >> 7, seq, ts, ssrc, r[12:]))
    return out


def pcm_of(name, pkts):
    dec = alaw_dec if CODEC[name] == "PCMA" else ulaw_dec
    return [dec(b) for p in pkts for b in p[5]]


def check_stream(name, pkts, n_min, n_max=None):
    check(len(pkts) >= n_min and (n_max is None or len(pkts) <= n_max),
          "to %s: %d..%s packets" % (name, n_min, n_max), len(pkts))
    if not pkts:
        return
    pt = 8 if CODEC[name] == "PCMA" else 0
    check(all(p[0] == pt for p in pkts), "to %s: PT %d" % (name, pt), sorted({p[0] for p in pkts}))
    check(len({p[4] for p in pkts}) == 1, "to %s: one SSRC" % name, sorted({hex(p[4]) for p in pkts}))
    seqs = [p[2] for p in pkts]
    bad = [(a, b) for a, b in zip(seqs, seqs[1:]) if (b - a) & 0xFFFF != 1]
    check(not bad, "to %s: sequence numbers one apart" % name, bad[:5])
    tss = [p[3] for p in pkts]
    bad = [(a, b) for a, b in zip(tss, tss[1:]) if (b - a) & 0xFFFFFFFF != 160]
    check(not bad, "to %s: timestamps 160 apart" % name, bad[:5])
    check(all(len(p[5]) == 160 for p in pkts), "to %s: 160-octet payloads" % name)


def check_hears(who, pkts, hears, lo=5, hi=None):
    """who's received audio (packets lo..hi) holds exactly the tones of `hears`."""
    pcm = pcm_of(who, pkts[lo:hi])
    for name in NAMES:
        if name == who:
            continue
        fr = tone_fraction(pcm, TONES[name]) if pcm else 0
        if name in hears:
            check(fr > 0.5 / len(hears) - 0.15, "%s hears %s" % (who, name), "(fraction %.3f)" % fr)
        else:
            # Not a trace (where no mix happens the payloads are also
            # compared byte for byte).
            check(fr < 0.0001, "%s does not hear %s" % (who, name), "(fraction %.5f)" % fr)


def call(extra, n_slots=8):
    s = HEAD % n_slots
    for name in NAMES:
        s += "create %s remote=%s:4000 codec=%s\n" % (name, host(name)[1], CODEC[name])
    return s + "bridge c a\nrun %d\n" % len(ARPS) + extra


def test_mode(mode, hears):
    rep, out = run_golden(GOLDEN, call("monitor a %s s\nrun\nwait 100\n" % mode), ARPS + feed())
    check([c["result"] for c in rep["commands"]] == [0] * len(rep["commands"]), "%s: monitor started" % mode,
          [(c["cmd"], c["result"]) for c in rep["commands"]])
    to = {n: rtp_out(out, n) for n in NAMES}
    check_stream("c", to["c"], N_PKTS, N_PKTS)
    check_stream("a", to["a"], N_PKTS, N_PKTS)
    if hears["s"]:
        check_stream("s", to["s"], N_PKTS - 5, N_PKTS + 8)
    else:
        check(to["s"] == [], "%s: nothing sent to the supervisor" % mode, len(to["s"]))
    for name in NAMES:
        if to[name]:
            check_hears(name, to[name], hears[name])
    sent = {n: payloads(n, N_PKTS) for n in NAMES}
    if "s" not in hears["c"]:
        check([p[5] for p in to["c"]] == sent["a"], "%s: the customer gets the agent's payloads byte for byte" % mode)
    if "s" not in hears["a"]:
        check([p[5] for p in to["a"]] == sent["c"], "%s: the agent gets the customer's payloads byte for byte" % mode)
    check(rep["drops"] == {}, "%s: nothing dropped" % mode, rep["drops"])


def test_switches():
    # 25 packets from each party per mode: listen, whisper, barge, off.
    k = 25
    steps = "".join("monitor a %s s\nrun %d\n" % (m, 3 * k) for m in ("listen", "whisper", "barge", "off"))
    rep, out = run_golden(GOLDEN, call(steps + "wait 100\n"), ARPS + feed(4 * k))
    check(all(c["result"] == 0 for c in rep["commands"]), "switched listen, whisper, barge, off",
          [(c["cmd"], c["result"]) for c in rep["commands"]])
    to_c, to_a, to_s = rtp_out(out, "c"), rtp_out(out, "a"), rtp_out(out, "s")
    # The customer's stream: every packet the agent sent, one stream across
    # every switch, audio in each packet.
    check_stream("c", to_c, 4 * k, 4 * k)
    check_stream("a", to_a, 4 * k, 4 * k)
    quiet = [i for i, p in enumerate(to_c) if sum(v * v for v in pcm_of("c", [p])) / 160 < 1e6]
    check(not quiet, "the customer has audio in every packet", quiet[:10])
    check_hears("c", to_c, {"a"}, 3, 2 * k)                 # listen, whisper
    check_hears("c", to_c, {"a", "s"}, 2 * k + 3, 3 * k)    # barge
    check_hears("c", to_c, {"a"}, 3 * k + 1, 4 * k)         # off
    check_hears("a", to_a, {"c"}, 3, k)                     # listen
    check_hears("a", to_a, {"c", "s"}, k + 3, 3 * k)        # whisper, barge
    check_hears("a", to_a, {"c"}, 3 * k + 1, 4 * k)         # off
    sent = {n: payloads(n, 4 * k) for n in NAMES}
    check([p[5] for p in to_c[:2 * k]] == sent["a"][:2 * k], "listen, whisper: the agent's payloads to the customer")
    check([p[5] for p in to_c[3 * k + 1:]] == sent["a"][3 * k + 1:], "off: the agent's payloads to the customer")
    check([p[5] for p in to_a[3 * k + 1:]] == sent["c"][3 * k + 1:], "off: the customer's payloads to the agent")
    # The supervisor: one stream while it listens, nothing once off.
    check(3 * k - 6 <= len(to_s) <= 3 * k + 6, "the supervisor gets about %d packets until off" % (3 * k), len(to_s))
    check_stream("s", to_s, 3 * k - 6)
    check_hears("s", to_s, {"c", "a"}, 3, len(to_s) - 2)


def test_errors():
    sc = (HEAD % 5 +  # budget: one monitor (three slots)
          "create c remote=10.0.0.10:4000 codec=PCMA\n"
          "create a remote=10.0.0.20:4000 codec=PCMA\n"
          "create s remote=10.0.0.30:4000 codec=PCMU\n"
          "create g remote=10.0.0.40:4000 codec=G722\n"
          "create x remote=10.0.0.50:4000 codec=PCMA\n"
          "create y remote=10.0.0.60:4000 codec=PCMA\n"
          "create z remote=10.0.0.70:4000 codec=PCMA\n"
          "monitor a listen s\n"
          "bridge c a\n"
          "monitor a listen g\n"
          "monitor a listen a\n"
          "monitor a listen c\n"
          "monitor a loud s\n"
          "bridge x y\n"
          "monitor a listen x\n"
          "monitor-stop a\n"
          "monitor a listen s\n"
          "monitor a whisper s\n"
          "monitor c listen s\n"
          "monitor x listen y\n"
          "bridge s z\n"
          "conf-create 1\n"
          "conf-join 1 s\n"
          "update a codec=PCMU\n"
          "update s codec=G722\n"
          "monitor x barge z\n"
          "monitor-stop a\n"
          "monitor x barge z\n"
          "monitor a listen s\n"
          "destroy z\n"
          "monitor x listen s\n"
          "unbridge y\n"
          "monitor-stop x\n"
          "bridge s x\n")
    rep, _ = run_golden(GOLDEN, sc, [])
    got = [(c["cmd"], c["result"]) for c in rep["commands"] if c["cmd"] != "create"]
    want = [("monitor", -107),       # not bridged: ENOTCONN
            ("bridge", 0),
            ("monitor", -95),        # a G.722 supervisor: ENOTSUP
            ("monitor", -22),        # the agent as its own supervisor
            ("monitor", -22),        # the customer as supervisor
            ("monitor", -22),        # no such mode
            ("bridge", 0),
            ("monitor", -16),        # a bridged supervisor: EBUSY
            ("monitor-stop", -107),  # nothing to stop
            ("monitor", 0),
            ("monitor", 0),          # switched to whisper
            ("monitor", -16),        # the customer is monitored already
            ("monitor", -22),        # y is x's customer
            ("bridge", -16),         # a supervisor cannot be bridged
            ("conf-create", 0),
            ("conf-join", -16),      # nor join a conference
            ("update", -95),         # the agent's leg would transcode
            ("update", -95),         # the supervisor would leave G.711
            ("monitor", -28),        # over the budget: ENOSPC
            ("monitor-stop", 0),
            ("monitor", 0),          # its slots free again
            ("monitor", -28),        # and now a's does not fit
            ("destroy", 0),          # x's supervisor goes: event
            ("monitor", 0),
            ("unbridge", 0),         # x's call unbridged: event
            ("monitor-stop", -107),
            ("bridge", 0)]           # s is free once its monitor ended
    check(got == want, "every command answered as expected", "\n  got  %s\n  want %s" % (got, want))
    ev = [(e["agent"], e["customer"], e["supervisor"], e["why"]) for e in rep["events"] if e["type"] == "monitor"]
    check(ev == [("x", "y", "z", 1), ("x", "y", "s", 2)], "an event each time a monitor ends with a session or bridge",
          ev)


def test_session_gone():
    sc = call("monitor a barge s\nrun 30\ndestroy s\nrun\nwait 60\n")
    rep, out = run_golden(GOLDEN, sc, ARPS + feed())
    ev = [(e["agent"], e["customer"], e["why"]) for e in rep["events"] if e["type"] == "monitor"]
    check(ev == [("a", "c", 1)], "an event when the supervisor's session goes", ev)
    to_c = rtp_out(out, "c")
    check_stream("c", to_c, N_PKTS, N_PKTS)
    check([p[5] for p in to_c[12:]] == payloads("a", N_PKTS)[12:],
          "the call relayed byte for byte once the supervisor is gone")


test_errors()
for mode, hears in (("listen", {"c": {"a"}, "a": {"c"}, "s": {"c", "a"}}),
                    ("whisper", {"c": {"a"}, "a": {"c", "s"}, "s": {"c", "a"}}),
                    ("barge", {"c": {"a", "s"}, "a": {"c", "s"}, "s": {"c", "a"}}),
                    ("off", {"c": {"a"}, "a": {"c"}, "s": set()})):
    test_mode(mode, hears)
test_switches()
test_session_gone()
sys.exit(1 if failures else 0)
