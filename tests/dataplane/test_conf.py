#!/usr/bin/env python3
"""Golden tests of conferences on a worker: pcap in -> the dataplane's
worker code on a net_pcap port -> pcap out.

Every participant sends its own tone (500, 900, 1300, 1700, 2100 Hz) as
PCMA; what the dataplane sends each one is decoded and measured by Goertzel:
mix-minus (nobody hears itself), a whisper reaches only its target,
listen-only and muted participants are heard by nobody, a role switched
mid-conference takes effect without breaking the streams (one SSRC,
sequence numbers one apart, timestamps 160 apart); talker events; admission
and command errors.

Hosts (inside the pcap files): the dataplane 10.0.0.1; participant i at
10.0.0.(10 i):4000 with MAC 02:00:00:00:00:(10 i).
"""
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from g711 import alaw_dec, alaw_enc, tone_fraction  # noqa: E402
from pktlib import Frame, run_golden, rtp  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
RATE = 8000
N_PKTS = 50  # one second of 20 ms packets each
NAMES = ["a", "b", "c", "d", "e"]
TONES = {"a": 500.0, "b": 900.0, "c": 1300.0, "d": 1700.0, "e": 2100.0}
HEAD = "ip 10.0.0.1/24\nports 30000-30099\nconf-slots %d\n"

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


def host(name):
    i = NAMES.index(name) + 1
    return "02:00:00:00:00:%02x" % (0x10 * i), "10.0.0.%d" % (10 * i), 30000 + 2 * (i - 1)


dp_mac = run_golden(GOLDEN, HEAD % 8, [])[0]["mac"]
F = Frame(dp_mac, DP_IP)


def arps(names):
    return [(0.001 * i, F.arp_request_from(host(n)[0], host(n)[1])) for i, n in enumerate(names)]


def feed(names, n=N_PKTS, t0=0.01):
    """Each participant's tone as PCMA, 20 ms packets, all senders interleaved."""
    pkts = []
    for k, name in enumerate(names):
        m, ip, port = host(name)
        pcm = [int(round(6000 * math.sin(2 * math.pi * TONES[name] * i / RATE))) for i in range(160 * n)]
        for i in range(n):
            payload = bytes(alaw_enc(v) for v in pcm[160 * i:160 * (i + 1)])
            pkts.append((t0 + 0.02 * i + 0.0005 * k,
                         F.to_dp(m, ip, 4000, port, rtp(8, 100 + i, 1000 + 160 * i, 0x1000 + k, payload), ident=i)))
    return sorted(pkts, key=lambda p: p[0])


def rtp_out(frames, to_mac):
    """RTP sent to one host: list of (pt, marker, seq, ts, ssrc, payload)."""
    out = []
    dst = bytes.fromhex(to_mac.replace(":", ""))
    for f in frames:
        if f[12:14] != b"\x08\x00" or f[0:6] != dst:
            continue
        r = f[14 + 20 + 8:]
        seq, ts, ssrc = struct.unpack("!HII", r[2:12])
        out.append((r[1] & 0x7F, r[1] >> 7, seq, ts, ssrc, r[12:]))
    return out


def check_stream(name, pkts, n_min):
    check(len(pkts) >= n_min, "%s: at least %d packets" % (name, n_min), len(pkts))
    if not pkts:
        return
    check(all(p[0] == 8 for p in pkts), "%s: PCMA (PT 8)" % name, sorted({p[0] for p in pkts}))
    check(len({p[4] for p in pkts}) == 1, "%s: one SSRC" % name, sorted({hex(p[4]) for p in pkts}))
    seqs = [p[2] for p in pkts]
    check(all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), "%s: sequence numbers one apart" % name)
    tss = [p[3] for p in pkts]
    check(all((b - a) & 0xFFFFFFFF == 160 for a, b in zip(tss, tss[1:])), "%s: timestamps 160 apart" % name)
    check(all(len(p[5]) == 160 for p in pkts), "%s: 160-octet payloads" % name)


def check_hears(who, pkts, hears, lo=5, hi=None):
    """who's received audio (packets lo..hi) holds exactly the tones of `hears`."""
    pcm = [alaw_dec(b) for p in pkts[lo:hi] for b in p[5]]
    for name in NAMES:
        fr = tone_fraction(pcm, TONES[name]) if pcm else 0
        if name in hears:
            check(fr > 0.5 / len(hears) - 0.15, "%s hears %s" % (who, name), "(fraction %.3f)" % fr)
        else:
            check(fr < 0.002, "%s does not hear %s" % (who, name), "(fraction %.4f)" % fr)


def scenario(n_slots, names, joins, extra=""):
    s = HEAD % n_slots
    for name in names:
        m, ip, port = host(name)
        s += "create %s remote=%s:4000 codec=PCMA\n" % (name, ip)
    # The ARPs first: the conference sends from its first tick on.
    s += "run %d\nconf-create 7\n" % len(names)
    for j in joins:
        s += "conf-join 7 %s\n" % j
    return s + extra


def result(rep, i):
    return rep["commands"][i]["result"]


def test_roles():
    # a, b speak; c whispers to b; d listens; e is muted. All five send.
    sc = scenario(5, NAMES, ["a", "b speaker", "c whisper b", "d listen", "e muted"], "run\nwait 100\n")
    rep, out = run_golden(GOLDEN, sc, arps(NAMES) + feed(NAMES))
    cmds = rep["commands"]
    check(all(c["result"] == 0 for c in cmds), "conference made and joined", [(c["cmd"], c["result"]) for c in cmds])
    heard = {"a": {"b"}, "b": {"a", "c"}, "c": {"a", "b"}, "d": {"a", "b"}, "e": {"a", "b"}}
    for name in NAMES:
        pkts = rtp_out(out, host(name)[0])
        check_stream("to %s" % name, pkts, N_PKTS - 5)
        check_hears(name, pkts, heard[name])
    talkers = {e["session"] for e in rep["events"] if e["type"] == "talker" and e["talking"]}
    check(talkers == set(NAMES), "a talker event for every participant that sent a tone", talkers)
    check(rep["drops"] == {}, "nothing dropped", rep["drops"])


def test_switch_mid_conference():
    # a, b, c speak; half way c starts whispering to a, then speaks again.
    names = ["a", "b", "c"]
    half = 3 * (N_PKTS // 2)
    sc = scenario(8, names, ["a", "b", "c"],
                  "run %d\nconf-role c whisper a\nrun %d\nwait 100\n" % (half, 3 * N_PKTS - half))
    rep, out = run_golden(GOLDEN, sc, arps(names) + feed(names))
    check(all(c["result"] == 0 for c in rep["commands"]), "role switched",
          [(c["cmd"], c["result"]) for c in rep["commands"]])
    to_a, to_b = rtp_out(out, host("a")[0]), rtp_out(out, host("b")[0])
    check_stream("to a across the switch", to_a, N_PKTS - 5)
    check_stream("to b across the switch", to_b, N_PKTS - 5)
    # Each side of the switch, leaving two packets either side for its ramp
    # and for the tick's phase against the packets.
    k = N_PKTS // 2
    check_hears("a before the switch", to_a, {"b", "c"}, 5, k - 3)
    check_hears("b before the switch", to_b, {"a", "c"}, 5, k - 3)
    check_hears("a after the switch", to_a, {"b", "c"}, k + 3, N_PKTS - 3)
    check_hears("b after the switch", to_b, {"a"}, k + 3, N_PKTS - 3)


def test_errors():
    names = ["a", "b", "c", "d", "e"]
    sc = (HEAD % 2 + "".join("create %s remote=%s:4000 codec=PCMA\n" % (n, host(n)[1]) for n in names[:3]) +
          "create d remote=10.0.0.40:4000 codec=G722\n"
          "create e remote=10.0.0.50:4000 codec=PCMA\n"
          "conf-join 7 a\n"              # 0 no such conference
          "conf-create 7\n"
          "conf-create 7\n"              # 2 exists
          "conf-create 0\n"              # 3 bad number
          "conf-create 8\n"              # 4 two slots: one conference
          "conf-join 7 d\n"              # 5 G.722 not mixed yet
          "bridge b c\n"
          "conf-join 7 b\n"              # 7 bridged
          "conf-join 7 a\n"
          "conf-join 7 a\n"              # 9 already in
          "conf-join 7 e whisper c\n"    # 10 target not in it
          "conf-join 7 e\n"
          "conf-leave c\n"               # 12 not in one
          "unbridge b\n"
          "conf-join 7 b\n"              # 14 over the budget
          "bridge a e\n"                 # 15 in a conference
          "conf-leave a\n"
          "conf-join 7 b\n"              # 17 a slot is free again
          "conf-role b whisper e\n"
          "conf-role b loud\n"           # 19 no such role
          "destroy e\n"                  # leaves with its session
          "conf-destroy 7\n"
          "conf-destroy 7\n"             # 22 gone
          "bridge a b\n")                # 23 b left with the conference
    rep, _ = run_golden(GOLDEN, sc, [])
    got = [(c["cmd"], c["result"]) for c in rep["commands"] if c["cmd"] not in ("create",)]
    want = [("conf-join", -2), ("conf-create", 0), ("conf-create", -17), ("conf-create", -22), ("conf-create", -28),
            ("conf-join", -95), ("bridge", 0), ("conf-join", -16), ("conf-join", 0), ("conf-join", -16),
            ("conf-join", -22), ("conf-join", 0), ("conf-leave", -107), ("unbridge", 0), ("conf-join", -28),
            ("bridge", -16), ("conf-leave", 0), ("conf-join", 0), ("conf-role", 0), ("conf-role", -22),
            ("destroy", 0), ("conf-destroy", 0), ("conf-destroy", -2), ("bridge", 0)]
    check(got == want, "every command answered as expected", "\n  got  %s\n  want %s" % (got, want))


test_roles()
test_switch_mid_conference()
test_errors()
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
