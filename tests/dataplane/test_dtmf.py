#!/usr/bin/env python3
"""Golden tests of DTMF in the dataplane: pcap in -> the worker's code on a
net_pcap port -> pcap out, events read from td-golden's report.

- every /usr/share/sip-tester/dtmf_2833_*.pcap (SIPp's RFC 4733 key
  presses, as sent) into its own session: exactly one event each, with the
  right digit, and the packets relayed unchanged;
- malformed and unknown telephone-events dropped under their names, not
  relayed; a press whose end packets are lost is reported once, by timeout;
- in-band digits (two sines, at the edges of Q.24 as the detector's unit
  test proves them) on a relay G.711 session with detection on: each found
  once; speech (espeak-ng) finds none; suppression mutes them toward the peer;
- RFC 4733 -> tones -> RFC 4733 through two pairs: each digit exactly once
  at the far end, as a well-formed RFC 4733 event;
- digits sent by command as RFC 4733 events on a relay pair.

Hosts (inside the pcap files): the dataplane 10.0.0.1; A 10.0.0.10; B 10.0.0.20.
"""
import glob
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import Frame, read_pcap, run_golden, rtp  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
A_MAC, A_IP = "02:00:00:00:00:0a", "10.0.0.10"
B_MAC, B_IP = "02:00:00:00:00:14", "10.0.0.20"
HEAD = "ip 10.0.0.1/24\nports 30000-30199\n"
SIPP = "/usr/share/sip-tester"
TEL = 101

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


SEG_END = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def alaw_enc(x):
    x = max(-32768, min(32767, int(x))) >> 3
    if x >= 0:
        mask = 0xD5
    else:
        mask, x = 0x55, -x - 1
    seg = next((i for i, e in enumerate(SEG_END) if x <= e), 8)
    if seg == 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((x >> (1 if seg < 2 else seg)) & 0xF)) ^ mask


def alaw_dec(a):
    a ^= 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


KEYS = "123A456B789C*0#D"
LOW, HIGH = (697, 770, 852, 941), (1209, 1336, 1477, 1633)


def amp_dbm0(db):
    return 32767.0 * 10 ** ((db - 3.14) / 20)  # a full-scale sine is +3.14 dBm0


def tone(k, on_ms, off_ms, dev=0.0, lo_db=-10, hi_db=-10):
    i = KEYS.index(k)
    fl, fh = LOW[i // 4] * (1 + dev), HIGH[i % 4] * (1 + dev)
    al, ah = amp_dbm0(lo_db), amp_dbm0(hi_db)
    on = [al * math.sin(2 * math.pi * fl * n / 8000) + ah * math.sin(2 * math.pi * fh * n / 8000)
          for n in range(8 * on_ms)]
    return on + [0.0] * (8 * off_ms)


def dtmf_power(pcm):
    """Share of a block's energy in the eight DTMF frequencies."""
    energy = sum(v * v for v in pcm) or 1.0
    tot = 0.0
    for f in LOW + HIGH:
        c = 2 * math.cos(2 * math.pi * f / 8000)
        s1 = s2 = 0.0
        for v in pcm:
            s1, s2 = v + c * s1 - s2, s1
        tot += 2 * (s1 * s1 + s2 * s2 - c * s1 * s2) / len(pcm)
    return tot / energy, energy / len(pcm)


def pcma_payloads(pcm):
    pcm = pcm + [0.0] * (-len(pcm) % 160)
    return [bytes(alaw_enc(v) for v in pcm[i:i + 160]) for i in range(0, len(pcm), 160)]


dp_mac = run_golden(GOLDEN, HEAD, [])[0]["mac"]
F = Frame(dp_mac, DP_IP)
ARPS = [(0.0, F.arp_request_from(A_MAC, A_IP)), (0.001, F.arp_request_from(B_MAC, B_IP))]


def from_a(t, sport, dport, payload, ident=0):
    return (t, F.to_dp(A_MAC, A_IP, sport, dport, payload, ident=ident))


def rtp_out(frames, to_mac, dport=None):
    """RTP sent to one host: list of (pt, marker, seq, ts, ssrc, payload)."""
    out = []
    dst = bytes.fromhex(to_mac.replace(":", ""))
    for f in frames:
        if f[12:14] != b"\x08\x00" or f[0:6] != dst:
            continue
        if dport is not None and struct.unpack("!H", f[36:38])[0] != dport:
            continue
        r = f[42:]
        seq, ts, ssrc = struct.unpack("!HII", r[2:12])
        out.append((r[1] & 0x7F, r[1] >> 7, seq, ts, ssrc, r[12:]))
    return out


def dtmf_events(rep, session=None):
    return [e for e in rep["events"] if e["type"] == "dtmf" and (session is None or e["session"] == session)]


def pair(i, a_opts, b_opts):
    """Session a<i> on 30000+4i (A at 4000+2i), b<i> next (B at 5000+2i)."""
    return ("create a%d remote=10.0.0.10:%d %s\n" % (i, 4000 + 2 * i, a_opts) +
            "create b%d remote=10.0.0.20:%d %s\n" % (i, 5000 + 2 * i, b_opts) + "bridge a%d b%d\n" % (i, i))


def test_sipp_pcaps():
    pcaps = sorted(glob.glob(os.path.join(SIPP, "dtmf_2833_*.pcap")))
    check(len(pcaps) == 12, "SIPp's twelve dtmf_2833 captures are there", len(pcaps))
    sc, pkts, want = HEAD, list(ARPS), {}
    t0 = 0.01
    for i, path in enumerate(pcaps):
        name = os.path.basename(path)[len("dtmf_2833_"):-len(".pcap")]
        want["a%d" % i] = {"pound": "#", "star": "*"}.get(name, name)
        sc += pair(i, "tel=%d" % TEL, "tel=%d" % TEL)
        cap = read_pcap(path)
        base = cap[0][0]
        for k, (ts, frame) in enumerate(cap):
            payload = frame[42:]  # Ethernet, IPv4 without options, UDP
            pkts.append(from_a(t0 + ts - base, 4000 + 2 * i, 30000 + 4 * i, payload, ident=k))
        t0 += cap[-1][0] - base + 0.05
    n_in = len(pkts) - len(ARPS)
    rep, out = run_golden(GOLDEN, sc + "run\nsleep 300\n", pkts)
    for s, digit in sorted(want.items()):
        ev = dtmf_events(rep, s)
        check(len(ev) == 1 and ev[0]["digit"] == digit and ev[0]["source"] == "rfc4733" and ev[0]["end_seen"],
              "%s: one RFC 4733 press '%s'" % (s, digit), ev)
    check(len(dtmf_events(rep)) == 12, "twelve presses in all", len(dtmf_events(rep)))
    check(all(rep["sessions"]["a%d" % i]["dtmf"]["rx"] == 1 for i in range(12)), "each session counts its press",
          [rep["sessions"]["a%d" % i]["dtmf"] for i in range(12)])
    check(rep["worker"]["dtmf_chans_used"] == 0 and rep["worker"]["dtmf_chans_max"] > 0,
          "RFC 4733 on relays takes no detector", rep["worker"])
    relayed = rtp_out(out, B_MAC)
    check(len(relayed) == n_in and all(p[0] == TEL for p in relayed),
          "every telephone-event relayed on the relay pairs", (len(relayed), n_in))
    check(rep["drops"] == {}, "nothing dropped", rep["drops"])


def test_bad_events():
    sc = HEAD + pair(0, "tel=%d" % TEL, "tel=%d" % TEL) + "run\nsleep 300\n"
    ssrc, p = 0x4733, []

    def ev(seq, ts, payload, t, marker=0):
        p.append(from_a(t, 4000, 30000, rtp(TEL, seq, ts, ssrc, payload, marker=marker), ident=seq))

    ev(1, 1000, b"\x05\x0a\x00", 0.01)  # 3 octets: malformed
    ev(2, 1000, b"", 0.02)  # empty: malformed
    ev(3, 2000, b"\xc8\x0a\x00\xa0", 0.03)  # event 200: unknown here
    # A press of 7 whose end packets are all lost: reported once, by timeout.
    for k in range(4):
        ev(4 + k, 3000, struct.pack("!BBH", 7, 0x0A, 160 * (k + 1)), 0.04 + 0.02 * k, marker=int(k == 0))
    rep, out = run_golden(GOLDEN, sc, ARPS + p)
    check(rep["drops"].get("dtmf_malformed") == 2, "malformed telephone-events counted", rep["drops"])
    check(rep["drops"].get("dtmf_unknown_event") == 1, "unknown event counted", rep["drops"])
    relayed = rtp_out(out, B_MAC)
    check(len(relayed) == 4 and all(len(r[5]) == 4 and r[5][0] == 7 for r in relayed),
          "only the good ones relayed", [r[5].hex() for r in relayed])
    evs = dtmf_events(rep, "a0")
    check(len(evs) == 1 and evs[0]["digit"] == "7" and not evs[0]["end_seen"] and evs[0]["duration_ms"] == 80,
          "a press without end packets: one event after the timeout", evs)


def relay_g711(pcm, detect="detect a0 on", sc_extra=""):
    sc = HEAD + pair(0, "codec=PCMA", "codec=PCMA") + detect + "\n" + sc_extra + "run\n"
    pkts = [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 100 + i, 160 * i, 0xA1, pl), ident=i)
            for i, pl in enumerate(pcma_payloads(pcm))]
    return run_golden(GOLDEN, sc, ARPS + pkts)


def test_inband_edges():
    # Q.24 edges as the detector's unit test holds them: +-1.2 %, -25 and
    # -3 dBm0, twist +4/-8 dB, 40 ms tones with 40 ms pauses.
    cases = [("1", 0.0, -10, -10, 60, 60), ("5", 0.012, -10, -10, 60, 60), ("9", -0.012, -10, -10, 60, 60),
             ("#", 0.0, -25, -25, 60, 60), ("0", 0.0, -3, -3, 60, 60), ("*", 0.0, -14, -10, 60, 60),
             ("A", 0.0, -10, -18, 60, 60), ("D", 0.0, -10, -10, 40, 40), ("3", 0.0, -10, -10, 40, 60)]
    pcm = [0.0] * 800
    for k, dev, lo, hi, on, off in cases:
        pcm += tone(k, on, off, dev, lo, hi)
    pcm += [0.0] * 800
    rep, out = relay_g711(pcm)
    got = "".join(e["digit"] for e in dtmf_events(rep, "a0"))
    want = "".join(c[0] for c in cases)
    check(got == want, "in-band digits at Q.24's edges: each once", "got %r want %r" % (got, want))
    check(rep["sessions"]["a0"]["dtmf"] == {"rx": len(cases), "tx": 0, "detect": 1},
          "the session's counters: presses received, detection on", rep["sessions"]["a0"]["dtmf"])
    check(rep["worker"]["dtmf_chans_used"] == 1, "one detector in use", rep["worker"])
    check(all(e["source"] == "inband" for e in dtmf_events(rep)), "reported as in-band")
    relayed = rtp_out(out, B_MAC)
    check(len(relayed) == len(pcma_payloads(pcm)), "the audio is relayed, all of it", len(relayed))
    # Beyond the non-operate limits: nothing.
    rep, _ = relay_g711([0.0] * 400 + tone("5", 50, 50, 0.035) + tone("5", 20, 60) + [0.0] * 400)
    check(dtmf_events(rep) == [], "+3.5 % and a 20 ms tone: no digit", dtmf_events(rep))
    # Detection off: no detector runs.
    rep, _ = relay_g711([0.0] * 400 + tone("5", 80, 80) + [0.0] * 400, detect="detect a0 off")
    check(dtmf_events(rep) == [], "detection off: no digit", dtmf_events(rep))


def test_speech():
    if shutil.which("espeak-ng") is None:
        check(False, "espeak-ng is installed (speech for the no-digit test)")
        return
    d = tempfile.mkdtemp(prefix="td-dtmf-")
    wav = os.path.join(d, "s.wav")
    subprocess.run(["espeak-ng", "-w", wav, "Thank you for calling. For billing, press one. For support, "
                    "press two. Our office is open from nine in the morning until six."], check=True)
    with wave.open(wav) as w:
        rate, raw = w.getframerate(), w.readframes(w.getnframes())
    shutil.rmtree(d)
    src = struct.unpack("<%dh" % (len(raw) // 2), raw)
    pcm = [float(src[int(i * rate / 8000)]) for i in range(int(len(src) * 8000 / rate))]
    rep, out = relay_g711(pcm)
    check(len(pcm) > 8000 * 3, "several seconds of speech", len(pcm) / 8000)
    check(dtmf_events(rep) == [], "speech: no digit", [e["digit"] for e in dtmf_events(rep)])


def test_suppress():
    pcm = [0.0] * 800 + tone("8", 200, 100) + [0.0] * 800
    rep, out = relay_g711(pcm, detect="detect a0 on suppress")
    check([e["digit"] for e in dtmf_events(rep)] == ["8"], "suppressed digit still reported", dtmf_events(rep))
    relayed = rtp_out(out, B_MAC)
    # packets 5..14 carry the tone; from the second one on it is muted
    muted = [i for i, p in enumerate(relayed) if p[5] == b"\xd5" * 160]
    tonal = [i for i, p in enumerate(relayed) if 5 <= i < 15 and p[5] != b"\xd5" * 160]
    check(len(relayed) == len(pcma_payloads(pcm)), "every packet relayed", len(relayed))
    check(len(tonal) <= 3 and set(range(8, 15)) <= set(muted), "tone muted toward the peer once recognised",
          (tonal, muted))


def te_events(pkts):
    """Group RFC 4733 packets by timestamp: [(digit, marker seen, ends, durations)]."""
    evs = {}
    for pt, m, seq, ts, ssrc, pl in pkts:
        e = evs.setdefault(ts, {"digit": KEYS_BY_CODE.get(pl[0]), "first_marker": None, "ends": 0, "durs": []})
        if e["first_marker"] is None:
            e["first_marker"] = m
        e["ends"] += pl[1] >> 7
        e["durs"].append(pl[2] << 8 | pl[3])
    return [evs[k] for k in sorted(evs)]


KEYS_BY_CODE = {i: c for i, c in enumerate("0123456789*#ABCD")}


def well_formed(name, pkts, digits):
    evs = te_events(pkts)
    check("".join(e["digit"] or "?" for e in evs) == digits, "%s: events %s, each once" % (name, digits),
          [e["digit"] for e in evs])
    for e in evs:
        d = e["durs"]
        check(e["first_marker"] == 1 and e["ends"] == 3 and d == sorted(d) and d[-1] == d[-2] == d[-3] and
              len(d) <= d[-1] // 160 + 4,
              "%s: '%s' marker first, durations grow by a packet each, three end packets" % (name, e["digit"]), e)
    seqs = [p[2] for p in pkts]
    check(len(set(p[4] for p in pkts)) <= 1, "%s: one SSRC" % name)
    return evs


def test_convert_chain():
    # Pair 1: a0 (PCMA + telephone-event) <-> b0 (PCMA only): a DSP pair.
    # A sends audio (silence) and RFC 4733 presses of 1, 5, #.
    digits = "15#"
    sc = HEAD + pair(0, "codec=PCMA tel=%d" % TEL, "codec=PCMA") + "run\nwait 200\n"
    p, seq = list(ARPS), 10
    silence = bytes([0xD5]) * 160
    n_audio = 100
    presses = {20: "1", 45: "5", 70: "#"}
    active = None
    for i in range(n_audio):
        t = 0.01 + 0.02 * i
        p.append(from_a(t, 4000, 30000, rtp(8, seq, 160 * i, 0xA1, silence), ident=seq))
        seq += 1
        if i in presses:
            active = (presses[i], 160 * i, i)
        if active:
            k, ts0, i0 = active
            code = "0123456789*#".index(k)
            n = i - i0 + 1
            end = n >= 6  # 120 ms
            for rep_ in range(3 if end else 1):
                p.append(from_a(t + 0.001 * (rep_ + 1), 4000, 30000,
                                rtp(TEL, seq, ts0, 0xA1, struct.pack("!BBH", code, 0x8A if end else 0x0A, 160 * n),
                                    marker=int(n == 1)), ident=seq))
                seq += 1
            if end:
                active = None
    rep, out = run_golden(GOLDEN, sc, p)
    got = "".join(e["digit"] for e in dtmf_events(rep, "a0"))
    check(got == digits, "pair 1: each RFC 4733 press reported once", got)
    check(rep["sessions"]["a0"]["transcoding"], "telephone-event on one side only: a DSP pair")
    to_b = rtp_out(out, B_MAC)
    check(to_b and all(x[0] == 8 for x in to_b), "pair 1: only PCMA toward B (events became tones)",
          sorted({x[0] for x in to_b}))
    check(rep["drops"] == {}, "pair 1: nothing dropped", rep["drops"])
    # Pair 2: what B got, fed from A's side into c (PCMA only) <-> d (PCMA
    # + telephone-event): the tones become RFC 4733 events toward d's remote.
    sc2 = HEAD + pair(0, "codec=PCMA", "codec=PCMA tel=%d" % TEL) + "detect a0 on suppress\nrun\nwait 300\n"
    p2 = list(ARPS) + [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 500 + i, 160 * i, 0xC1, x[5]), ident=i)
                       for i, x in enumerate(to_b)]
    rep2, out2 = run_golden(GOLDEN, sc2, p2)
    got2 = "".join(e["digit"] for e in dtmf_events(rep2, "a0"))
    check(got2 == digits, "pair 2: each tone detected once", got2)
    to_d = rtp_out(out2, B_MAC)
    te = [x for x in to_d if x[0] == TEL]
    well_formed("pair 2 toward D", te, digits)
    audio = [x for x in to_d if x[0] == 8]
    loud = [i for i, x in enumerate(audio) if dtmf_power([alaw_dec(b) for b in x[5]])[1] > 1e4]
    check(len(loud) <= 2 * len(digits), "pair 2: suppression leaves at most the tones' first packets audible",
          "%d audible packets" % len(loud))
    durs = [e["duration_ms"] for e in dtmf_events(rep2, "a0")]
    check(all(90 <= d <= 160 for d in durs), "pair 2: the 120 ms tones measured 90..160 ms", durs)
    seqs = sorted(x[2] for x in to_d)
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "pair 2: events and audio share one sequence",
          seqs[:5])
    check(len(audio) > 0, "pair 2: audio goes on around the events")


def test_send_rfc4733_relay():
    sc = HEAD + pair(0, "tel=%d" % TEL, "tel=%d" % TEL) + "run\ndtmf b0 42 duration=100\nwait 700\n"
    pkts = [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 100 + i, 160 * i, 0xA1, b"\xd5" * 160), ident=i)
            for i in range(5)]
    rep, out = run_golden(GOLDEN, sc, ARPS + pkts)
    to_b = rtp_out(out, B_MAC)
    te = [x for x in to_b if x[0] == TEL]
    evs = well_formed("sent toward B", te, "42")
    check(all(e["durs"][-1] == 800 for e in evs), "100 ms at 8 kHz: duration 800", [e["durs"] for e in evs])
    check(len({x[4] for x in to_b}) == 1, "events in the relayed stream's SSRC")
    seqs = [x[2] for x in to_b]
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "sequence numbers one apart", seqs)
    check(rep["sessions"]["b0"]["dtmf"]["tx"] == 2, "B counts two digits sent", rep["sessions"]["b0"]["dtmf"])
    cmds = [c for c in rep["commands"] if c["cmd"] == "dtmf"]
    check(cmds and cmds[0]["result"] == 0, "dtmf command accepted", cmds)
    # Errors: a bad digit, an unbridged session.
    rep, _ = run_golden(GOLDEN, HEAD + "create x tel=101\ncreate y\ncreate z tel=101\nbridge x y\n"
                        "dtmf x 1X\ndtmf z 1\n", [])
    res = [c["result"] for c in rep["commands"] if c["cmd"] == "dtmf"]
    check(res == [-22, -107], "bad digit -EINVAL, unbridged -ENOTCONN", res)


def test_wideband_leg():
    # The 16 kHz path: RFC 4733 -> tones in G.722 (PCMA+101 <-> G722), then
    # G.722 tones detected on a transcoding leg -> RFC 4733 (G722 <-> PCMA+101).
    sc = HEAD + pair(0, "codec=PCMA tel=%d" % TEL, "codec=G722") + "run\nwait 200\n"
    p, seq = list(ARPS), 10
    for i in range(60):
        t = 0.01 + 0.02 * i
        p.append(from_a(t, 4000, 30000, rtp(8, seq, 160 * i, 0xA1, b"\xd5" * 160), ident=seq))
        seq += 1
        if 10 <= i < 16:
            n = i - 9
            end = n == 6
            for k in range(3 if end else 1):
                p.append(from_a(t + 0.001 * (k + 1), 4000, 30000,
                                rtp(TEL, seq, 1600, 0xA1, struct.pack("!BBH", 4, 0x8A if end else 0x0A, 160 * n),
                                    marker=int(n == 1)), ident=seq))
                seq += 1
    rep, out = run_golden(GOLDEN, sc, p)
    to_b = rtp_out(out, B_MAC)
    check(to_b and all(x[0] == 9 for x in to_b), "G.722 toward B", sorted({x[0] for x in to_b}))
    sc2 = HEAD + pair(0, "codec=G722", "codec=PCMA tel=%d" % TEL) + "run\nwait 300\n"
    p2 = list(ARPS) + [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(9, 500 + i, 160 * i, 0xC1, x[5]), ident=i)
                       for i, x in enumerate(to_b)]
    rep2, out2 = run_golden(GOLDEN, sc2, p2)
    check([e["digit"] for e in dtmf_events(rep2, "a0")] == ["4"], "the tone found once on the 16 kHz leg",
          dtmf_events(rep2))
    te = [x for x in rtp_out(out2, B_MAC) if x[0] == TEL]
    well_formed("G.722 tones -> RFC 4733", te, "4")


def test_unbridged_detect():
    # Detection does not need a peer (an IVR listening on its own session).
    sc = HEAD + "create a0 remote=10.0.0.10:4000 codec=PCMA\ndetect a0 on\nrun\n"
    pcm = [0.0] * 800 + tone("6", 80, 80) + [0.0] * 800
    pkts = [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 100 + i, 160 * i, 0xA1, pl), ident=i)
            for i, pl in enumerate(pcma_payloads(pcm))]
    rep, out = run_golden(GOLDEN, sc, ARPS + pkts)
    check([e["digit"] for e in dtmf_events(rep)] == ["6"], "unbridged session: the digit found", dtmf_events(rep))
    check(rep["drops"].get("rtp_unbridged") == len(pkts), "and its audio dropped as unbridged, as before",
          rep["drops"])


def test_rfc4733_across_codecs():
    # PCMA with telephone-event 101 <-> PCMU with telephone-event 96: the
    # press goes to B as an event of its own payload type and timestamps.
    sc = HEAD + pair(0, "codec=PCMA tel=%d" % TEL, "codec=PCMU tel=96") + "run\nwait 400\n"
    p, seq = list(ARPS), 10
    for i in range(40):
        t = 0.01 + 0.02 * i
        p.append(from_a(t, 4000, 30000, rtp(8, seq, 1000 + 160 * i, 0xA1, b"\xd5" * 160), ident=seq))
        seq += 1
        if 10 <= i < 16:
            n = i - 9
            end = n == 6
            for k in range(3 if end else 1):
                p.append(from_a(t + 0.001 * (k + 1), 4000, 30000,
                                rtp(TEL, seq, 1000 + 1600, 0xA1, struct.pack("!BBH", 11, 0x8A if end else 0x0A, 160 * n),
                                    marker=int(n == 1)), ident=seq))
                seq += 1
    rep, out = run_golden(GOLDEN, sc, p)
    check([e["digit"] for e in dtmf_events(rep, "a0")] == ["#"], "the press reported once on A", dtmf_events(rep))
    to_b = rtp_out(out, B_MAC)
    te = [x for x in to_b if x[0] == 96]
    check(not [x for x in to_b if x[0] == TEL], "no packet with A's telephone-event type reaches B")
    evs = well_formed("toward B with payload type 96", te, "#")
    check(all(e["durs"][-1] == 960 for e in evs), "duration kept: 120 ms", [e["durs"] for e in evs])
    audio = [x for x in to_b if x[0] == 0]
    check(te and audio and min(x[3] for x in audio) <= te[0][3] <= max(x[3] for x in audio),
          "the event's timestamp lies in B's stream", (te[:1], audio[:1]))
    seqs = sorted(x[2] for x in to_b)
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "events and audio share B's sequence", seqs[:4])


def test_send_tones_relay():
    # No telephone-event toward B: the digits become tones in the G.711
    # relayed to it; detected again in a second pass, each once.
    sc = HEAD + pair(0, "codec=PCMA", "codec=PCMA") + "run 3\ndtmf b0 73 duration=80\nrun\n"
    pkts = [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 100 + i, 160 * i, 0xA1, b"\xd5" * 160), ident=i)
            for i in range(40)]
    rep, out = run_golden(GOLDEN, sc, ARPS + pkts)
    to_b = rtp_out(out, B_MAC)
    check(len(to_b) == 40 and sum(1 for x in to_b if x[5] != b"\xd5" * 160) >= 8, "tones written into B's audio",
          len(to_b))
    sc2 = HEAD + pair(0, "codec=PCMA", "codec=PCMA") + "detect a0 on\nrun\n"
    p2 = [from_a(0.01 + 0.02 * i, 4000, 30000, rtp(8, 100 + i, 160 * i, 0xA1, x[5]), ident=i)
          for i, x in enumerate(to_b)]
    rep2, _ = run_golden(GOLDEN, sc2, ARPS + p2)
    check("".join(e["digit"] for e in dtmf_events(rep2)) == "73", "the tones are the digits 7, 3, each once",
          dtmf_events(rep2))


for t in (test_sipp_pcaps, test_bad_events, test_inband_edges, test_speech, test_suppress, test_convert_chain,
          test_send_rfc4733_relay, test_unbridged_detect, test_rfc4733_across_codecs, test_send_tones_relay,
          test_wideband_leg):
    print("# " + t.__name__)
    t()
print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
