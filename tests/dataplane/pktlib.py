"""Packet and pcap building blocks for the dataplane golden tests.

Only the standard library: every byte of every packet is spelled out here,
so a test states exactly what goes in and what must come out.
"""
import os
import socket
import struct
import subprocess
import json
import tempfile

LINKTYPE_ETHERNET = 1


def write_pcap(path, pkts):
    """pkts: list of (time in seconds, frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for ts, data in pkts:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack_from(endian + "I", data, 0)[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        raise ValueError("%s: not a pcap file (magic %08x)" % (path, magic))
    scale = 1e9 if magic == 0xA1B23C4D else 1e6  # nanosecond or microsecond stamps
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from(endian + "IIII", data, off)
        off += 16
        out.append((sec + frac / scale, data[off:off + incl]))
        off += incl
    return out


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def ip4(s):
    return socket.inet_aton(s)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload):
    return mac(dst) + mac(src) + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=0, ttl=64, ihl=5, total=None, frag=0, bad_csum=False):
    total = 4 * ihl + len(payload) if total is None else total
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, ttl, proto, 0, ip4(src), ip4(dst))
    hdr += b"\0" * (4 * ihl - 20)
    c = csum(hdr)
    if bad_csum:
        c ^= 0x1111
    hdr = hdr[:10] + struct.pack("!H", c) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload, length=None, cs=0):
    length = 8 + len(payload) if length is None else length
    return struct.pack("!HHHH", sport, dport, length, cs) + payload


def rtp(pt, seq, ts, ssrc, payload, marker=0, csrcs=(), ext=None, pad=0, version=2):
    b0 = (version << 6) | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrcs)
    h = struct.pack("!BBHII", b0, (marker << 7) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    for c in csrcs:
        h += struct.pack("!I", c)
    if ext is not None:
        h += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    body = h + payload
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    return body


def rtcp_sr(ssrc, ntp_sec, ntp_frac, rtp_ts, pkts, octets, blocks=()):
    body = struct.pack("!IIIIII", ssrc, ntp_sec, ntp_frac, rtp_ts, pkts, octets)
    for b in blocks:
        body += report_block(*b)
    return struct.pack("!BBH", 0x80 | len(blocks), 200, len(body) // 4) + body


def rtcp_rr(ssrc, blocks=()):
    body = struct.pack("!I", ssrc)
    for b in blocks:
        body += report_block(*b)
    return struct.pack("!BBH", 0x80 | len(blocks), 201, len(body) // 4) + body


def report_block(ssrc, fraction, cum_lost, ext_seq, jitter, lsr, dlsr):
    return struct.pack("!IIIIII", ssrc, (fraction << 24) | (cum_lost & 0xFFFFFF), ext_seq, jitter, lsr, dlsr)


def rtcp_sdes(ssrc, cname=b"x"):
    item = bytes([1, len(cname)]) + cname + b"\0"
    item += b"\0" * (-(4 + len(item)) % 4)
    body = struct.pack("!I", ssrc) + item
    return struct.pack("!BBH", 0x81, 202, len(body) // 4) + body


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac(sha), ip4(spa), mac(tha), ip4(tpa))


class Frame:
    """A UDP frame between two hosts, for brevity in tests."""

    def __init__(self, dp_mac, dp_ip):
        self.dp_mac, self.dp_ip = dp_mac, dp_ip

    def to_dp(self, src_mac, src_ip, sport, dport, payload, **kw):
        return eth(self.dp_mac, src_mac, 0x0800, ipv4(src_ip, self.dp_ip, 17, udp(sport, dport, payload), **kw))

    def from_dp(self, dst_mac, dst_ip, sport, dport, payload, ident=0):
        """What the dataplane sends: our MAC and address, TTL 64, UDP
        checksum 0, the IP identification kept from the packet relayed."""
        return eth(dst_mac, self.dp_mac, 0x0800, ipv4(self.dp_ip, dst_ip, 17, udp(sport, dport, payload), ident=ident))

    def arp_request_from(self, src_mac, src_ip):
        return eth("ff:ff:ff:ff:ff:ff", src_mac, 0x0806, arp(1, src_mac, src_ip, "00:00:00:00:00:00", self.dp_ip))


def run_golden(binary, scenario, pkts):
    """Run td-golden; returns (report dict, list of output frames)."""
    d = tempfile.mkdtemp(prefix="td-golden-")
    sc, inp, out, rep = (os.path.join(d, n) for n in ("scenario", "in.pcap", "out.pcap", "report.json"))
    with open(sc, "w") as f:
        f.write(scenario)
    write_pcap(inp, pkts)
    r = subprocess.run([binary, sc, inp, out, rep], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError("td-golden failed (%d): %s" % (r.returncode, r.stderr))
    with open(rep) as f:
        report = json.load(f)
    frames = [p for _, p in read_pcap(out)] if os.path.exists(out) else []
    for n in (sc, inp, out, rep):
        if os.path.exists(n):
            os.unlink(n)
    os.rmdir(d)
    return report, frames
