#!/usr/bin/env python3
"""Golden tests of transcoding between bridged sessions: pcap in -> the
dataplane's worker code on a net_pcap port -> pcap out.

The input is a 1 kHz sine, G.711-encoded here. Streams the dataplane alone
can make (Opus, G.729, G.722) come from a first pass (PCMA -> X) and are fed
back in a second (X -> PCMA). Every output stream must carry the leg's
payload type, one SSRC, sequence numbers one apart and timestamps one ptime
apart in the leg's RTP clock; what comes back as PCMA must still be the
1 kHz tone (Goertzel and zero crossings). Codecs are not bit-exact across
library versions, so only G.711 -> G.711 is compared byte for byte.

Hosts (inside the pcap files): the dataplane 10.0.0.1; A at 10.0.0.10:4000;
B at 10.0.0.20:5000.
"""
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from g711 import alaw_dec, alaw_enc, sine, tone_fraction, ulaw_enc, zero_cross_hz  # noqa: E402
from pktlib import Frame, run_golden, rtp  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
A_MAC, A_IP = "02:00:00:00:00:0a", "10.0.0.10"
B_MAC, B_IP = "02:00:00:00:00:14", "10.0.0.20"
PA, PB = 30000, 30002
HEAD = "ip 10.0.0.1/24\nports 30000-30099\n"
SSRC_A, SSRC_B = 0xA0A0A0A0, 0xB0B0B0B0
RATE = 8000
N_PKTS = 50  # one second of 20 ms packets

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


def pcma_packets(n=N_PKTS, f=1000.0):
    pcm = sine(160 * n, f)
    return [bytes(alaw_enc(v) for v in pcm[160 * i:160 * (i + 1)]) for i in range(n)]


def feed(payloads, pt, ts_step, src="a", t0=0.01, ssrc=None, seq0=1000, ts0=5000):
    """RTP packets from A (src 'a') or B, 20 ms apart."""
    mac, ip, sport, dport = (A_MAC, A_IP, 4000, PA) if src == "a" else (B_MAC, B_IP, 5000, PB)
    ssrc = ssrc if ssrc is not None else (0x1111 if src == "a" else 0x2222)
    return [(t0 + 0.02 * i, F.to_dp(mac, ip, sport, dport, rtp(pt, seq0 + i, ts0 + ts_step * i, ssrc, p), ident=i))
            for i, p in enumerate(payloads)]


def rtp_out(frames, to_mac):
    """RTP sent to one host: list of (pt, marker, seq, ts, ssrc, payload)."""
    out = []
    dst = bytes.fromhex(to_mac.replace(":", ""))
    for f in frames:
        if f[12:14] != b"\x08\x00" or f[0:6] != dst:
            continue
        r = f[14 + 20 + 8:]
        b1 = r[1]
        seq, ts, ssrc = struct.unpack("!HII", r[2:12])
        out.append((b1 & 0x7F, b1 >> 7, seq, ts, ssrc, r[12:]))
    return out


def check_stream(name, pkts, pt, ssrc, ts_step, n_min, n_max, plen=None):
    check(n_min <= len(pkts) <= n_max, "%s: %d to %d packets" % (name, n_min, n_max), len(pkts))
    if not pkts:
        return
    check(all(p[0] == pt for p in pkts), "%s: payload type %d" % (name, pt), sorted({p[0] for p in pkts}))
    check(all(p[4] == ssrc for p in pkts), "%s: one SSRC 0x%x" % (name, ssrc), sorted({hex(p[4]) for p in pkts}))
    seqs = [p[2] for p in pkts]
    check(all((b - a) & 0xFFFF == 1 for a, b in zip(seqs, seqs[1:])), "%s: sequence numbers one apart" % name, seqs[:8])
    tss = [p[3] for p in pkts]
    steps = sorted({(b - a) & 0xFFFFFFFF for a, b in zip(tss, tss[1:])})
    check(steps == [ts_step], "%s: timestamps %d apart" % (name, ts_step), steps)
    if plen is not None:
        check(all(len(p[5]) == plen for p in pkts), "%s: %d-byte payloads" % (name, plen),
              sorted({len(p[5]) for p in pkts}))


def check_tone(name, pcma_pkts, hz_tol=25):
    pcm = [alaw_dec(b) for p in pcma_pkts for b in p[5]]
    body = pcm[800:]  # past the codecs' start-up
    frac = tone_fraction(body, 1000.0)
    others = max(tone_fraction(body, f) for f in (400.0, 700.0, 1500.0, 2000.0, 3000.0))
    hz = zero_cross_hz(body)
    rms = math.sqrt(sum(v * v for v in body) / max(len(body), 1))
    check(frac > 0.8 and others < 0.02, "%s: 1 kHz holds the energy" % name, "(1 kHz %.3f, other %.4f)" % (frac, others))
    check(abs(hz - 1000) < hz_tol, "%s: zero crossings say 1 kHz" % name, "%.1f Hz" % hz)
    check(rms > 2000, "%s: the level survives" % name, "rms %.0f of 5657" % rms)


def scenario(a_opts, b_opts, extra=""):
    return (HEAD + "create a remote=10.0.0.10:4000 ssrc=%d %s\n" % (SSRC_A, a_opts) +
            "create b remote=10.0.0.20:5000 ssrc=%d %s\n" % (SSRC_B, b_opts) + "bridge a b\n" + extra +
            "run\nsleep 60\n")


def test_g711_ptime_conversion():
    # PCMA 20 ms from A, PCMA 40 ms toward B: two frames per packet, the
    # very same octets (A-law decodes and re-encodes to itself).
    src = pcma_packets()
    rep, out = run_golden(GOLDEN, scenario("codec=PCMA ptime=20", "codec=PCMA ptime=40"), ARPS + feed(src, 8, 160))
    to_b = rtp_out(out, B_MAC)
    check_stream("PCMA 20 -> 40 ms", to_b, 8, SSRC_B, 320, N_PKTS // 2, N_PKTS // 2, 320)
    check([p[5] for p in to_b] == [src[2 * i] + src[2 * i + 1] for i in range(N_PKTS // 2)],
          "PCMA 20 -> 40 ms: octets exact")
    check(rep["sessions"]["a"]["transcoding"] and rep["sessions"]["b"]["transcoding"], "both legs shown transcoding")
    check(rep["worker"]["transcoders_used"] == 1 and rep["drops"] == {}, "one transcoder, nothing dropped",
          (rep["worker"], rep["drops"]))
    check(rep["sessions"]["b"]["rtp_tx_pkts"] == N_PKTS // 2, "B's counters: 25 packets out",
          rep["sessions"]["b"]["rtp_tx_pkts"])


def test_same_codec_is_relay():
    src = pcma_packets(10)
    rep, out = run_golden(GOLDEN, scenario("codec=PCMA", "codec=PCMA"), ARPS + feed(src, 8, 160))
    to_b = rtp_out(out, B_MAC)
    check([p[5] for p in to_b] == src and [p[2] for p in to_b] == list(range(1000, 1010)),
          "same codec and ptime: relayed as before, sequence numbers kept")
    check(rep["worker"]["transcoders_used"] == 0 and not rep["sessions"]["a"]["transcoding"],
          "same codec: no transcoder taken")


def round_trip(name, codec, opts, pt, clock, plen, n_slack):
    """PCMA -> codec, then codec -> PCMA, both through the dataplane."""
    step = clock // 50
    src = pcma_packets()
    rep, out = run_golden(GOLDEN, scenario("codec=PCMA", "codec=%s %s" % (codec, opts)), ARPS + feed(src, 8, 160))
    enc = rtp_out(out, B_MAC)
    check_stream("PCMA -> %s" % name, enc, pt, SSRC_B, step, N_PKTS - n_slack, N_PKTS, plen)
    check(rep["drops"] == {}, "PCMA -> %s: nothing dropped" % name, rep["drops"])
    # Back: A now speaks the codec (the packets just made), B PCMA; and at
    # the same time B sends PCMA toward A, so both directions run.
    back_in = feed([p[5] for p in enc], pt, step) + feed(src, 8, 160, src="b", t0=0.015)
    rep, out = run_golden(GOLDEN, scenario("codec=%s %s" % (codec, opts), "codec=PCMA"), ARPS + sorted(back_in))
    dec = rtp_out(out, B_MAC)
    check_stream("%s -> PCMA" % name, dec, 8, SSRC_B, 160, len(enc) - n_slack, len(enc), 160)
    check_tone("%s -> PCMA" % name, dec)
    to_a = rtp_out(out, A_MAC)
    check_stream("PCMA -> %s, the other way at once" % name, to_a, pt, SSRC_A, step, N_PKTS - n_slack, N_PKTS, plen)
    check(rep["drops"] == {}, "%s <-> PCMA: nothing dropped" % name, rep["drops"])


def test_opus():
    round_trip("Opus", "opus", "cpt=111", 111, 48000, None, 2)


def test_g729():
    round_trip("G.729", "G729", "", 18, 8000, 20, 2)


def test_g722():
    # 16 kHz audio, 8 kHz RTP clock (RFC 3551 §4.5.2); resampled both ways.
    round_trip("G.722", "G722", "", 9, 8000, 160, 2)


def test_pcmu_to_pcma():
    pcm = sine(160 * 20)
    src = [bytes(ulaw_enc(v) for v in pcm[160 * i:160 * (i + 1)]) for i in range(20)]
    rep, out = run_golden(GOLDEN, scenario("codec=PCMU", "codec=PCMA ptime=20"), ARPS + feed(src, 0, 160))
    dec = rtp_out(out, B_MAC)
    check_stream("PCMU -> PCMA", dec, 8, SSRC_B, 160, 20, 20, 160)
    body = [alaw_dec(b) for p in dec for b in p[5]]
    err = max(abs(a - b) for a, b in zip(body, pcm))
    check(err < 600, "PCMU -> PCMA: within both companders' step", err)


def test_bad_packets_counted():
    src = pcma_packets(6)
    pkts = ARPS + feed(src, 8, 160)
    pkts.append((0.2, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(0, 1100, 99999, 0x1111, src[0]))))  # PCMU on a PCMA leg
    pkts.append((0.21, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(101, 1101, 99999, 0x1111, b"\x01\x0a\x00\xa0"))))
    pkts.append((0.22, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 1003, 5480, 0x1111, src[3]))))  # a repeat
    pkts.append((0.25, F.to_dp(B_MAC, B_IP, 5000, PB, rtp(18, 1, 160, 0x2222, b"\x01" * 7))))  # not G.729 frames
    rep, out = run_golden(GOLDEN, scenario("codec=PCMA tel=101", "codec=G729"), pkts)
    d = rep["drops"]
    check(d.get("xcode_bad_pt") == 1, "wrong payload type dropped as xcode_bad_pt", d)
    check(all(not k.startswith("dtmf_") for k in d), "a telephone-event is taken as DTMF, not dropped", d)
    check(d.get("xcode_late") == 1, "a repeated packet dropped as xcode_late", d)
    check(d.get("xcode_decode_error") == 1, "a payload the codec refuses dropped as xcode_decode_error", d)
    check(rep["sessions"]["a"]["dropped"] == 2 and rep["sessions"]["b"]["dropped"] == 1, "counted per session")
    check(len(rtp_out(out, B_MAC)) == 6, "the good packets still go through (6 G.729 packets)",
          len(rtp_out(out, B_MAC)))


def test_admission():
    sc = HEAD + "transcoders 1\n"
    for n in "abcdef":
        sc += "create %s codec=%s\n" % (n, "PCMA" if n in "ace" else ("G729" if n in "bd" else "PCMA"))
    sc += "bridge a b\nbridge c d\nbridge e f\nupdate f codec=PCMU\nupdate a codec=PCMU\n"
    sc += "destroy a\nbridge c d\n"
    rep, _ = run_golden(GOLDEN, sc, [])
    res = [(c["cmd"], c.get("session"), c["result"]) for c in rep["commands"]]
    check(res[6] == ("bridge", None, 0), "first transcoding pair admitted", res[6])
    check(res[7][2] == -28, "second transcoding pair refused with -ENOSPC (budget 1)", res[7])
    check(res[8][2] == 0, "a same-codec pair needs no budget", res[8])
    check(res[9][2] == -28, "an update that would make it transcode is refused", res[9])
    check(res[10][2] == -28, "changing a codec needs a second transcoder: refused at budget 1", res[10])
    check(res[12][2] == 0, "once a pair is gone its transcoder serves the next", res[12])
    w = rep["worker"]
    check(w["transcoders_max"] == 1 and w["transcoders_used"] == 1 and w["transcoders_refused"] == 3,
          "budget and use exported in the worker's stats", w)
    check(not rep["sessions"]["e"]["transcoding"] and rep["sessions"]["f"]["codec"] == "PCMA",
          "a refused update leaves the session as it was", rep["sessions"]["f"])


def test_bad_codec_params():
    sc = HEAD + ("create a codec=speex\ncreate b codec=opus\ncreate c codec=G729 ptime=25\n"
                 "create d codec=PCMA clock=16000\ncreate e codec=opus cpt=96\ncreate f codec=G722\n")
    rep, _ = run_golden(GOLDEN, sc, [])
    res = [c["result"] for c in rep["commands"]]
    check(res == [-22, -22, -22, -22, 0, 0], "unknown codec, opus without a PT, bad ptime, wrong clock refused", res)


def jittery(n, jitter_ms=0.0, loss=0.0, drift=0.0, seed=7):
    """n PCMA packets of the 1 kHz tone from A: frame i leaves at 20 ms * i
    on a clock `drift` fast, arrives up to jitter_ms late (so packets pass
    each other), a share `loss` never arrives."""
    rnd = random.Random(seed)
    src = pcma_packets(n)
    lost = set(rnd.sample(range(5, n - 5), int(n * loss)))
    pkts = []
    for i, p in enumerate(src):
        if i in lost:
            continue
        t = 0.01 + 0.02 * i / (1 + drift) + rnd.uniform(0, jitter_ms / 1000)
        pkts.append((t, F.to_dp(A_MAC, A_IP, 4000, PA, rtp(8, 1000 + i, 5000 + 160 * i, 0x1111, p), ident=i)))
    return ARPS + sorted(pkts, key=lambda x: x[0]), lost


def check_continuous(name, pkts, n_in, hz_tol=25):
    """PCMA 40 ms toward B: one stream, no hole in time or in sound. After
    the sender stops the buffer conceals until it gives up (at most its
    200 ms maximum delay: 5 packets), hence the margin above."""
    check_stream(name, pkts, 8, SSRC_B, 320, n_in // 2 - 4, n_in // 2 + 8, 320)
    body = pkts[:n_in // 2 - 3]  # what the sender's 3 s make, less the buffer's delay
    rms = [math.sqrt(sum(alaw_dec(b) ** 2 for b in p[5]) / 320) for p in body[2:]]
    check(rms and min(rms) > 1500, "%s: every packet carries sound (no gap)" % name,
          "min rms %.0f at %s" % (min(rms) if rms else 0, [i for i, r in enumerate(rms) if r <= 1500]))
    check_tone(name, body, hz_tol)


def few_late(drops):
    """Nothing dropped, but for at most 2 packets late: the harness paces
    packets by the wall clock, and a loaded machine can hold one back past
    the buffer's delay."""
    return set(drops) <= {"xcode_late"} and drops.get("xcode_late", 0) <= 2


def test_jitter_buffer():
    # A sends PCMA 20 ms, B gets PCMA 40 ms: a transcoding pair; with jbuf
    # A's packets wait in A's leg's jitter buffer before decode.
    n = 150  # 3 s
    sc = lambda a: scenario("codec=PCMA " + a, "codec=PCMA ptime=40").replace("sleep 60", "wait 400")
    pkts, lost = jittery(n, jitter_ms=60, loss=0.05)
    reordered = sum(1 for a, b in zip(pkts[2:], pkts[3:]) if struct.unpack("!H", a[1][44:46]) >
                    struct.unpack("!H", b[1][44:46]))
    check(reordered > 10 and len(lost) == 7, "the stream: %d packets passed by the next, %d lost" % (reordered, len(lost)))
    rep, out = run_golden(GOLDEN, sc("jbuf"), pkts)
    check(few_late(rep["drops"]), "jitter, reorder, 5 % loss: nothing dropped with a jitter buffer", rep["drops"])
    # Concealed frames are the tone's likeness, not the tone: zero
    # crossings within 10 %.
    check_continuous("jitter, reorder, 5 % loss", rtp_out(out, B_MAC), n, 100)
    # The same stream decoded as it comes: the overtaken packets are lost.
    rep, out = run_golden(GOLDEN, sc(""), pkts)
    check(rep["drops"].get("xcode_late", 0) >= reordered // 2,
          "without the jitter buffer the packets that came late are dropped", rep["drops"])
    for drift in (0.02, -0.02):
        name = "sender clock %+d %%" % round(drift * 100)
        pkts, _ = jittery(n, jitter_ms=5, drift=drift)
        rep, out = run_golden(GOLDEN, sc("jbuf"), pkts)
        check(few_late(rep["drops"]), "%s: nothing dropped" % name, rep["drops"])
        check_continuous(name, rtp_out(out, B_MAC), n)


for t in [test_g711_ptime_conversion, test_same_codec_is_relay, test_opus, test_g729, test_g722, test_pcmu_to_pcma,
          test_bad_packets_counted, test_admission, test_bad_codec_params, test_jitter_buffer]:
    print("# " + t.__name__)
    t()
sys.exit(1 if failures else 0)
