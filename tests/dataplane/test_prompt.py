#!/usr/bin/env python3
"""Golden tests of prompts and tones played by the dataplane's worker code
on a net_pcap port (td-golden).

A WAV written here (8 kHz 16-bit: 0.5 s of 700 Hz then 0.5 s of 1300 Hz) is
loaded and played to a PCMA session and to a G.722 session: the frames sent
toward each remote are counted, their RTP header checked (payload type, one
SSRC, sequence one apart, timestamps 160 apart), their spacing in capture
time looked at, and their decoded audio correlated with the file (G.722
decoded with spandsp through ctypes). Then loop, stop, the peer's media
dropped while a prompt plays, PLAYBACK_DONE for each ending, the busy and
ringback tones by Goertzel power and cadence (North American values), and
the commands' refusals.

Hosts (inside the pcap files): the dataplane 10.0.0.1; A at 10.0.0.10:4000;
C at 10.0.0.30:6000.
"""
import ctypes
import ctypes.util
import math
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pktlib import Frame, read_pcap, rtp, run_golden, write_pcap  # noqa: E402,F401

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
A_MAC, A_IP = "02:00:00:00:00:0a", "10.0.0.10"
C_MAC, C_IP = "02:00:00:00:00:1e", "10.0.0.30"
HEAD = "ip 10.0.0.1/24\nports 30000-30099\n"
RATE = 8000

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


def alaw_dec(a):
    a ^= 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def g722_decoder():
    lib = ctypes.CDLL(ctypes.util.find_library("spandsp") or "libspandsp.so.2")
    lib.g722_decode_init.restype = ctypes.c_void_p
    lib.g722_decode_init.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.g722_decode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_char_p, ctypes.c_int]
    st = lib.g722_decode_init(None, 64000, 0)

    def dec(payload):
        out = (ctypes.c_int16 * (2 * len(payload)))()
        n = lib.g722_decode(st, out, payload, len(payload))
        return list(out[:n])
    return dec


def goertzel_power(x, f, rate=RATE):
    w = 2 * math.pi * f / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return (s1 * s1 + s2 * s2 - c * s1 * s2) / max(len(x), 1) ** 2


def corr(a, b):
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    ma, mb = sum(a) / n, sum(b) / n
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) or 1
    return num / den


def best_corr(ref, got, max_lag):
    return max(corr(ref, got[lag:]) for lag in range(0, max_lag + 1))


def wav(path, pcm, rate=8000, channels=1, fmt=1, bits=16):
    data = b"".join(struct.pack("<h", v) for v in pcm) if bits == 16 else bytes(pcm)
    hdr = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, fmt, channels, rate,
                      rate * channels * bits // 8, channels * bits // 8, bits, b"data", len(data))
    with open(path, "wb") as f:
        f.write(hdr + data)


SRC = ([int(8000 * math.sin(2 * math.pi * 700 * i / RATE)) for i in range(4000)] +
       [int(8000 * math.sin(2 * math.pi * 1300 * i / RATE)) for i in range(4000)])
tmp = tempfile.mkdtemp(prefix="td-prompt-")
WAV = os.path.join(tmp, "two-tones.wav")
STEREO = os.path.join(tmp, "stereo.wav")
wav(WAV, SRC)
wav(STEREO, SRC[:1600], channels=2)

dp_mac = run_golden(GOLDEN, HEAD, [])[0]["mac"]
F = Frame(dp_mac, DP_IP)
ARPS = [(0.0, F.arp_request_from(A_MAC, A_IP)), (0.001, F.arp_request_from(C_MAC, C_IP))]


def rtp_out(frames, to_mac):
    """RTP sent to one host: list of (pt, marker, seq, ts, ssrc, payload, time)."""
    out = []
    dst = bytes.fromhex(to_mac.replace(":", ""))
    for t, f in frames:
        if f[12:14] != b"\x08\x00" or f[0:6] != dst or f[23] != 17:
            continue
        r = f[14 + 20 + 8:]
        seq, ts, ssrc = struct.unpack("!HII", r[2:12])
        out.append((r[1] & 0x7F, r[1] >> 7, seq, ts, ssrc, r[12:], t))
    return out


def golden(scenario, pkts=()):
    """run_golden, keeping the output frames' capture times."""
    import pktlib
    times = []
    orig = pktlib.read_pcap

    def keep(path):
        rows = orig(path)  # capture times to the nanosecond when the file says so
        times.extend(rows)
        return rows
    pktlib.read_pcap = keep
    try:
        rep, _ = run_golden(GOLDEN, scenario, ARPS + list(pkts))
    finally:
        pktlib.read_pcap = orig
    return rep, times


def events(rep, typ):
    return [e for e in rep["events"] if e["type"] == typ]


def results(rep):
    return [(c["cmd"], c["result"]) for c in rep["commands"]]


def check_stream(name, pkts, pt, ts_step, n):
    check(len(pkts) == n, "%s: %d packets" % (name, n), len(pkts))
    if not pkts:
        return
    check(all(p[0] == pt for p in pkts), "%s: payload type %d" % (name, pt), sorted({p[0] for p in pkts}))
    check(len({p[4] for p in pkts}) == 1, "%s: one SSRC" % name)
    seqs = [p[2] for p in pkts]
    check(all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), "%s: sequence numbers one apart" % name)
    steps = sorted({(b[3] - a[3]) & 0xFFFFFFFF for a, b in zip(pkts, pkts[1:])})
    check(steps == [ts_step], "%s: timestamps %d apart" % (name, ts_step), steps)
    check(pkts[0][1] == 1 and all(p[1] == 0 for p in pkts[1:]), "%s: marker on the first packet only" % name)
    span = pkts[-1][6] - pkts[0][6]
    want = 0.02 * (n - 1)
    check(want * 0.8 < span < want * 1.5 + 0.2, "%s: sent over %.2f s (%.2f s)" % (name, want, span))


def test_pcma_once():
    sc = (HEAD + "create a remote=10.0.0.10:4000 codec=PCMA tag=7\nrun 2\n" + "load 1 %s\n" % WAV + "play a 1\nwait 1400\n")
    rep, out = golden(sc)
    check(results(rep)[2:] == [("load", 0), ("play", 0), ("wait", 0)], "load and play accepted", results(rep))
    check(rep["commands"][2]["count"] == 50, "load: 50 frames of 20 ms", rep["commands"][2])
    pk = rtp_out(out, A_MAC)
    check_stream("PCMA", pk, 8, 160, 50)
    pcm = [alaw_dec(b) for p in pk for b in p[5]]
    check(len(pcm) == 8000 and corr(SRC, pcm) > 0.99, "PCMA: the file's audio, sample for sample",
          "corr %.4f" % corr(SRC, pcm))
    ev = events(rep, "playback_done")
    check(len(ev) == 1 and ev[0]["why"] == 1 and ev[0]["frames"] == 50 and ev[0]["loops"] == 0 and
          ev[0]["prompt"] == 1, "one PLAYBACK_DONE: finished, 50 frames", ev)


def test_g722_once():
    sc = (HEAD + "create b remote=10.0.0.10:4000 codec=G722\nrun 2\n" + "load 3 %s\n" % WAV + "play b 3\nwait 1400\n")
    rep, out = golden(sc)
    pk = rtp_out(out, A_MAC)
    check_stream("G722", pk, 9, 160, 50)
    check(all(len(p[5]) == 160 for p in pk), "G722: 160-byte payloads")
    dec = g722_decoder()
    pcm16 = [v for p in pk for v in dec(p[5])]
    ref16 = [v for i in range(len(SRC)) for v in (SRC[i], SRC[i])]  # only for its shape
    # The file went 8 -> 16 kHz and through G.722: compare each half's
    # tone by Goertzel at 16 kHz, and the envelope by correlation.
    first, second = pcm16[1600:7000], pcm16[9600:15000]
    ok1 = goertzel_power(first, 700, 16000) > 50 * goertzel_power(first, 1300, 16000)
    ok2 = goertzel_power(second, 1300, 16000) > 50 * goertzel_power(second, 700, 16000)
    check(len(pcm16) == 16000 and ok1 and ok2, "G722: 700 Hz then 1300 Hz, as in the file")
    # Correlation against the file upsampled by repetition, allowing the
    # codec's and the resampler's delay.
    c = best_corr(ref16[2000:14000], pcm16[2000:], 120)
    check(c > 0.8, "G722: decoded audio correlates with the file", "corr %.3f" % c)
    check(len(events(rep, "playback_done")) == 1, "G722: one PLAYBACK_DONE")


def test_loop_stop_and_peer_muted():
    # A plays the prompt looped while C (bridged to A) sends PCMA: C's
    # packets are dropped as play_peer_muted; stop ends it.
    cpk = [(0.05 + 0.02 * i, F.to_dp(C_MAC, C_IP, 6000, 30002, rtp(8, 100 + i, 160 * i, 0xC0C0, b"\xd5" * 160)))
           for i in range(25)]
    sc = (HEAD + "create a remote=10.0.0.10:4000 codec=PCMA\ncreate c remote=10.0.0.30:6000 codec=PCMA\n"
          "bridge a c\nrun 2\n" + "load 1 %s\n" % WAV + "play a 1 loop\nrun\nwait 1900\nstopplay a\nstopplay a\nwait 100\n")
    rep, out = golden(sc, cpk)
    pk = rtp_out(out, A_MAC)
    r = results(rep)
    check(("stopplay", 0) in r and r[-2] == ("stopplay", -114), "stop: 0, then -EALREADY", r)
    check(135 >= len(pk) >= 100, "loop: about 2.4 s of frames", len(pk))
    check(all(p[0] == 8 for p in pk) and len({p[4] for p in pk}) == 1, "loop: PCMA, one SSRC")
    seqs = [p[2] for p in pk]
    check(all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), "loop: sequence continuous across the wrap")
    pcm = [alaw_dec(b) for p in pk for b in p[5]]
    check(len(pcm) > 16000 and corr(SRC, pcm[8000:16000]) > 0.99, "loop: second round is the file again")
    check(rep["drops"].get("play_peer_muted") == 25, "C's 25 packets dropped as play_peer_muted", rep["drops"])
    ev = events(rep, "playback_done")
    check(len(ev) == 1 and ev[0]["why"] == 2 and ev[0]["loops"] >= 1 and ev[0]["frames"] == len(pk),
          "one PLAYBACK_DONE: stopped, loops and frames counted", ev)


def tone_check(name, tone, on_s, off_s, f1, f2, wait_ms):
    sc = HEAD + "create a remote=10.0.0.10:4000 pts=0\nrun 2\n" + "play a %s loop\nwait %d\nstopplay a\n" % (tone, wait_ms)
    rep, out = golden(sc)
    pk = rtp_out(out, A_MAC)
    check(pk and all(p[0] == 0 for p in pk), "%s: PCMU by the session's payload types" % name)
    pcm = [ulaw_dec(b) for p in pk for b in p[5]]
    # 20 ms windows: on when both frequencies are there, off when silent.
    states = []
    for i in range(0, len(pcm) - 160, 160):
        x = pcm[i:i + 160]
        e = sum(v * v for v in x) / 160
        on = goertzel_power(x, f1) > 1000 and goertzel_power(x, f2) > 1000
        states.append("1" if on else ("0" if e < 100 else "?"))
    s = "".join(states)
    # A window wholly inside an on (off) part must be on (off); one across
    # a change may be anything.
    on_ms, cyc_ms = int(on_s * 1000), int((on_s + off_s) * 1000)
    want = ""
    for i in range(len(s)):
        a, b = (20 * i) % cyc_ms, (20 * i + 19) % cyc_ms
        want += "1" if a < on_ms and b < on_ms and a <= b else "0" if a >= on_ms and b >= on_ms else "."
    diff = sum(1 for a, b in zip(s, want) if b != "." and a != b)
    check(diff <= 2, "%s: %g s on, %g s off at %d+%d Hz" % (name, on_s, off_s, f1, f2), s)
    others = [goertzel_power(pcm[:800], f) for f in (350, 550, 1000)]
    check(max(others) < goertzel_power(pcm[:800], f1) / 100, "%s: nothing at other frequencies" % name)


def ulaw_dec(u):
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def test_tones():
    tone_check("busy", "busy", 0.5, 0.5, 480, 620, 2100)
    tone_check("congestion", "congestion", 0.25, 0.25, 480, 620, 1100)
    tone_check("ringback", "ringback", 2.0, 4.0, 440, 480, 2600)


def test_refusals():
    sc = (HEAD + "create a remote=10.0.0.10:4000 codec=PCMA\ncreate n remote=10.0.0.10:4002\nrun 2\n"
          "load 2 %s\n" % STEREO + "load 2 /nonexistent/x.wav\nload 0 %s\n" % WAV + "load 2 %s\n" % WAV +
          "load 2 %s\n" % WAV + "play a 9\nplay n 2\nplay a 2\nunload 2\nplay a 2\nunload 2\nload 2 %s\n" % WAV +
          "stopplay a\nwait 100\n")
    rep, _ = golden(sc)
    r = [x[1] for x in results(rep)[3:]]
    want = [-44, -2, -22, 0, -17, -2, -22, 0, 0, -2, -2, -16, 0, 0]
    check(r == want, "refusals: stereo -ECHRNG, missing -ENOENT, id 0 -EINVAL, twice -EEXIST, unknown -ENOENT, "
          "no codec -EINVAL, unload while playing then play -ENOENT, reload while held -EBUSY", r)
    ev = events(rep, "playback_done")
    check(len(ev) == 1 and ev[0]["why"] == 2, "the play of an unloaded prompt runs to its stop", ev)


test_pcma_once()
test_g722_once()
test_loop_stop_and_peer_muted()
test_tones()
test_refusals()
for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
print("%d failed" % failures)
sys.exit(1 if failures else 0)
