#!/usr/bin/env python3
"""Golden tests of call recording: the worker code on a net_pcap port with
the recorder thread writing WAV files, which are then read back here.

A customer (session A) sends a 600 Hz tone in G.711 mu-law and an agent
(session B) a 1400 Hz tone in G.711 A-law through a bridged pair. Checked,
by Goertzel power over 100 ms windows: 600 Hz on the left only and 1400 Hz
on the right only, each exactly while its side sent; the mono file of
"both" carries the two mixed; one-way media leaves the silent side all
zero; a paused span is silent on both sides; a full tmpfs ends the file
as incomplete (ENOSPC) with a header matching the file while every packet
is still relayed; kill -9 mid-recording leaves a file whose header
matches its size. Each done event's SHA-256 is the file's.

Hosts (inside the pcap files): the dataplane 10.0.0.1; A at
10.0.0.10:4000; B at 10.0.0.20:5000.
"""
import hashlib
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from g711 import alaw_enc, tone_amplitude, ulaw_enc  # noqa: E402
from pktlib import Frame, read_pcap, run_golden, rtp, write_pcap  # noqa: E402

GOLDEN = os.environ.get("TD_GOLDEN") or sys.argv[1]
DP_IP = "10.0.0.1"
DP_MAC = "02:00:00:00:00:01"
A_MAC, A_IP, A_PORT = "02:00:00:00:00:0a", "10.0.0.10", 4000
B_MAC, B_IP, B_PORT = "02:00:00:00:00:14", "10.0.0.20", 5000
PA, PB = 30000, 30002
RATE = 8000
F_CUST, F_AGENT = 600.0, 1400.0

failures = 0


def check(cond, what, detail=""):
    global failures
    if cond:
        print("ok - " + what)
    else:
        failures += 1
        print("not ok - %s %s" % (what, detail))


def tone_stream(freq, t_from, t_to, ssrc, pt, enc):
    """(time, src, payload) per 20 ms packet of a sine at 8000 in G.711."""
    out = []
    n = int(round((t_to - t_from) / 0.02))
    for k in range(n):
        pcm = [int(8000 * math.sin(2 * math.pi * freq * (k * 160 + i) / RATE)) for i in range(160)]
        out.append((t_from + 0.02 * k, rtp(pt, 1000 + k, 5000 + 160 * k, ssrc, bytes(enc(s) for s in pcm))))
    return out


def frames(cust, agent):
    """Both streams into one capture, ordered by time (customer first on ties)."""
    f = Frame("ff:ff:ff:ff:ff:ff", DP_IP)
    pk = [(t, 0, f.to_dp(A_MAC, A_IP, A_PORT, PA, p)) for t, p in cust]
    pk += [(t, 1, f.to_dp(B_MAC, B_IP, B_PORT, PB, p)) for t, p in agent]
    pk.sort(key=lambda x: (x[0], x[1]))
    return [(1000.0 + t, b) for t, _, b in pk]


def cust(t_from, t_to):
    return tone_stream(F_CUST, t_from, t_to, 0xC0C0C0C0, 0, ulaw_enc)


def agent(t_from, t_to):
    return tone_stream(F_AGENT, t_from, t_to, 0xA6A6A6A6, 8, alaw_enc)


def head(recdir):
    return ("ip 10.0.0.1/24\nports 30000-30099\nrecdir %s\n"
            "create A remote=%s:%d pts=0\ncreate B remote=%s:%d pts=8\nbridge A B\n" %
            (recdir, A_IP, A_PORT, B_IP, B_PORT))


def read_wav(path):
    """(channels, [samples per channel], header facts) after checking the
    header against the file's size."""
    with open(path, "rb") as f:
        data = f.read()
    facts = {"size": len(data)}
    ok = len(data) >= 44 and data[0:4] == b"RIFF" and data[8:16] == b"WAVEfmt " and data[36:40] == b"data"
    if not ok:
        return 0, [], dict(facts, valid=False)
    riff, = struct.unpack_from("<I", data, 4)
    fmt, ch, rate, brate, align, bits = struct.unpack_from("<HHIIHH", data, 20)
    dsize, = struct.unpack_from("<I", data, 40)
    facts.update(riff_ok=riff == len(data) - 8, data_ok=dsize == len(data) - 44, fmt=(fmt, ch, rate, brate, align, bits),
                 valid=True, data=dsize)
    n = dsize // 2
    s = struct.unpack_from("<%dh" % n, data, 44)
    return ch, [list(s[c::ch]) for c in range(ch)], facts


def header_ok(facts, ch):
    return (facts.get("valid") and facts["riff_ok"] and facts["data_ok"] and
            facts["fmt"] == (1, ch, RATE, RATE * 2 * ch, 2 * ch, 16) and facts["data"] % (2 * ch) == 0)


def window(ch, t):
    i = int(t * RATE)
    return ch[i:i + 800]


def tone_in(ch, freq, t_from, t_to):
    """Windows of 100 ms wholly in [t_from, t_to] all carry freq strongly."""
    t, bad = t_from, []
    while t + 0.1 <= t_to + 1e-9:
        w = window(ch, t)
        if len(w) < 800 or tone_amplitude(w, freq) < 4000:
            bad.append(round(t, 2))
        t += 0.1
    return bad


def silent(ch, t_from, t_to, freqs=(F_CUST, F_AGENT)):
    """Windows in [t_from, t_to] carry neither tone (at most 1 % of it)."""
    t, bad = t_from, []
    while t + 0.1 <= t_to + 1e-9:
        w = window(ch, t)
        if any(tone_amplitude(w, f) > 80 for f in freqs):
            bad.append(round(t, 2))
        t += 0.1
    return bad


def rec_events(report):
    return [e for e in report["events"] if e["type"] == "record"]


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_stereo_and_mono(tmp):
    """Customer 0-2.0 s, agent 0.6-2.6 s, recorded in both modes."""
    sc = head(tmp) + "record 7 A B call.wav both\nrun\nwait 300\nrecstop 7\nwait 800\n"
    report, _ = run_golden(GOLDEN, sc, frames(cust(0.0, 2.0), agent(0.6, 2.6)))
    res = {c["cmd"]: c["result"] for c in report["commands"]}
    check(res.get("record") == 0 and res.get("recstop") == 0, "record start and stop accepted", res)
    ev = rec_events(report)
    check(len(ev) == 2 and {e["file"] for e in ev} == {0, 1}, "one done event per file", ev)
    ch, (left, right), facts = read_wav(os.path.join(tmp, "call.wav"))
    check(ch == 2 and header_ok(facts, 2), "stereo file: header matches the file", facts)
    check(2.8 <= facts.get("data", 0) / 4 / RATE <= 3.4, "stereo file: as long as the call was recorded",
          facts.get("data", 0) / 4 / RATE)
    check(not tone_in(left, F_CUST, 0.05, 1.95), "600 Hz on the left while the customer spoke",
          tone_in(left, F_CUST, 0.05, 1.95))
    check(not silent(left, 2.1, 2.8), "left silent after the customer stopped", silent(left, 2.1, 2.8))
    check(not silent(left, 0.0, 2.8, (F_AGENT,)), "no 1400 Hz on the left", silent(left, 0.0, 2.8, (F_AGENT,)))
    check(not silent(right, 0.0, 0.5), "right silent before the agent spoke", silent(right, 0.0, 0.5))
    check(not tone_in(right, F_AGENT, 0.65, 2.55), "1400 Hz on the right while the agent spoke",
          tone_in(right, F_AGENT, 0.65, 2.55))
    check(not silent(right, 0.0, 2.8, (F_CUST,)), "no 600 Hz on the right", silent(right, 0.0, 2.8, (F_CUST,)))
    mch, (mono,), mfacts = read_wav(os.path.join(tmp, "call-mono.wav"))
    check(mch == 1 and header_ok(mfacts, 1), "mono file: header matches the file", mfacts)
    check(not tone_in(mono, F_CUST, 0.05, 1.95) and not tone_in(mono, F_AGENT, 0.65, 2.55),
          "mono file: both tones mixed at their times")
    for e in ev:
        path = os.path.join(tmp, "call.wav" if e["file"] == 0 else "call-mono.wav")
        check(e["complete"] and e["error"] == 0 and e["gaps"] == 0, "file %d complete, no gaps" % e["file"], e)
        check(e["bytes"] == os.path.getsize(path), "file %d: bytes as on disk" % e["file"], e)
        check(e["sha256"] == sha(path), "file %d: SHA-256 of the file" % e["file"], e)
        dur = (os.path.getsize(path) - 44) * 1000 // (2 * (2 if e["file"] == 0 else 1)) // RATE
        check(abs(e["duration_ms"] - dur) <= 1, "file %d: duration as on disk" % e["file"], e)


def test_one_way_and_pause(tmp):
    """Only the customer speaks, 0-3 s; paused from 1.0 to 2.0 s."""
    pk = frames(cust(0.0, 3.0), [])
    sc = head(tmp) + ("record 8 A B oneway.wav\nrun 50\nrecpause 8\nrecstatus\nrun 50\nrecresume 8\nrun\n"
                      "recstop 8\nwait 800\n")
    report, _ = run_golden(GOLDEN, sc, pk)
    res = [(c["cmd"], c["result"]) for c in report["commands"]]
    check(all(r == 0 for _, r in res), "record, pause, status, resume, stop accepted", res)
    st = [e for e in rec_events(report) if e["state"] == 2]
    check(len(st) == 1 and st[0]["id"] == 8, "status while paused says paused", rec_events(report))
    ch, (left, right), facts = read_wav(os.path.join(tmp, "oneway.wav"))
    check(ch == 2 and header_ok(facts, 2), "one-way file: header matches the file", facts)
    check(len(right) > 2.8 * RATE and not any(right), "one-way: the silent side is all zero", len(right))
    check(not tone_in(left, F_CUST, 0.05, 0.95) and not tone_in(left, F_CUST, 2.05, 2.95),
          "one-way: the customer's tone outside the pause")
    check(not silent(left, 1.05, 1.95), "paused span silent", silent(left, 1.05, 1.95))


def test_bad_commands(tmp):
    sc = head(tmp) + ("record 0 A B x.wav\nrecord 1 A B ../x.wav\nrecord 2 A B /abs.wav\n"
                      "record 3 A B a/../b.wav\nrecord 4 - - x.wav\nrecord 5 A B %s.wav\nrecord 6 A A x.wav\n"
                      "record 7 A B ok.wav\nrecord 8 A - again.wav\nrecord 7 - B dup.wav\nrecpause 99\n"
                      "recstop 99\nrecord 9 A B bad.wav wrong\nrecstop 7\nrecstop 7\nwait 500\n" % ("x" * 80))
    report, _ = run_golden(GOLDEN, sc, [])
    got = [c["result"] for c in report["commands"] if c["cmd"].startswith("rec")]
    want = [-22, -22, -22, -22, -22, -22, -22, 0, -16, -16, -2, -2, -22, 0, -114]
    check(got == want, "bad record commands refused by reason", got)


def test_disk_full(tmp):
    mnt = os.path.join(tmp, "small")
    os.mkdir(mnt)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tdrec", mnt]).returncode != 0:
        print("ok - # SKIP tmpfs cannot be mounted here")
        return
    try:
        pk = frames(cust(0.0, 4.0), agent(0.0, 4.0))
        sc = head(mnt) + "record 3 A B full.wav\nrun\nwait 300\nrecstop 3\nwait 500\n"
        report, out = run_golden(GOLDEN, sc, pk)
        ev = [e for e in rec_events(report) if e["state"] == 4]
        check(len(ev) == 1 and not ev[0]["complete"] and ev[0]["error"] == -28,
              "full disk: an incomplete-recording event with ENOSPC", ev)
        path = os.path.join(mnt, "full.wav")
        ch, _, facts = read_wav(path)
        check(header_ok(facts, 2), "full disk: header matches what is on disk", facts)
        check(ev and ev[0]["bytes"] == os.path.getsize(path) and ev[0]["sha256"] == sha(path),
              "full disk: bytes and SHA-256 as on disk", ev)
        check(ev and 500 <= ev[0]["duration_ms"] <= 1600, "full disk: the audio before the disk filled", ev)
        to_a = sum(1 for f in out if f[36:38] == struct.pack("!H", A_PORT))
        to_b = sum(1 for f in out if f[36:38] == struct.pack("!H", B_PORT))
        check(to_a >= 198 and to_b >= 198, "full disk: the call's media still relayed both ways", (to_a, to_b))
    finally:
        subprocess.run(["umount", mnt])


def test_kill(tmp):
    """kill -9 of the process mid-recording: the file plays to its last flush."""
    d = tempfile.mkdtemp(prefix="td-golden-")
    sc, inp, out, rep = (os.path.join(d, n) for n in ("scenario", "in.pcap", "out.pcap", "report.json"))
    with open(sc, "w") as f:
        f.write(head(tmp) + "record 4 A B killed.wav\nrun\nrecstop 4\nwait 500\n")
    write_pcap(inp, frames(cust(0.0, 10.0), agent(0.0, 10.0)))
    path = os.path.join(tmp, "killed.wav")
    p = subprocess.Popen([GOLDEN, sc, inp, out, rep])
    # Killed once a flush put at least a second of audio on disk (start-up
    # takes a while on a loaded machine), while the call is still going.
    seen, end = 0, time.time() + 60
    while time.time() < end and p.poll() is None:
        if os.path.exists(path) and os.path.getsize(path) >= 44:
            seen = os.path.getsize(path)
            if seen >= 44 + 4 * RATE:
                break
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    # What the killed process could not remove itself.
    if os.path.exists("/dev/shm/td-golden-%d" % p.pid):
        os.unlink("/dev/shm/td-golden-%d" % p.pid)
    shutil.rmtree("/var/run/dpdk/tdg%d" % p.pid, ignore_errors=True)
    shutil.rmtree(d, ignore_errors=True)
    check(p.returncode == -signal.SIGKILL, "killed with SIGKILL mid-call", p.returncode)
    ch, chans, facts = read_wav(path)
    check(ch == 2 and header_ok(facts, 2), "after kill -9: header matches the file", facts)
    secs = facts.get("data", 0) / 4 / RATE
    check(secs >= 1.0 and facts["size"] >= seen, "after kill -9: the audio up to the last flush", (secs, seen))
    check(ch == 2 and not tone_in(chans[0], F_CUST, 0.05, 0.75) and not tone_in(chans[1], F_AGENT, 0.05, 0.75),
          "after kill -9: the audio is the call's")


def main():
    for t in (test_stereo_and_mono, test_one_way_and_pause, test_bad_commands, test_disk_full, test_kill):
        tmp = tempfile.mkdtemp(prefix="td-rec-")
        try:
            t(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
