"""G.711 and tone helpers shared by the tests: A-law and mu-law per ITU-T
G.711 (segment coding), a sine, and Goertzel measures of one frequency."""
import math

SEG_END = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def alaw_enc(x):
    x >>= 3
    if x >= 0:
        mask = 0xD5
    else:
        mask, x = 0x55, -x - 1
    seg = next((i for i, e in enumerate(SEG_END) if x <= e), 8)
    if seg == 8:
        return 0x7F ^ mask
    v = (seg << 4) | ((x >> (1 if seg < 2 else seg)) & 0xF)
    return v ^ mask


def alaw_dec(a):
    a ^= 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


def ulaw_enc(x):
    bias, clip = 0x84, 32635
    sign = 0x80 if x < 0 else 0
    x = min(-x if x < 0 else x, clip) + bias
    seg = next((i for i in range(8) if x <= (0xFF << i)), 7)
    return (~(sign | (seg << 4) | ((x >> (seg + 3)) & 0xF))) & 0xFF


def sine(n, f=1000.0, amp=8000.0, rate=8000):
    return [int(round(amp * math.sin(2 * math.pi * f * i / rate))) for i in range(n)]


def _goertzel(x, f, rate):
    c = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2, c


def tone_fraction(x, f, rate=8000):
    """Share of the signal's energy at frequency f (1.0: a pure tone)."""
    p, _ = _goertzel(x, f, rate)
    energy = sum(v * v for v in x) or 1
    return 2 * p / (len(x) * energy)


def tone_amplitude(x, f, rate=8000):
    """Goertzel amplitude of f in x (a sine of amplitude A gives about A)."""
    p, _ = _goertzel(x, f, rate)
    return 2 * math.sqrt(max(p, 0)) / len(x)


def zero_cross_hz(x, rate=8000):
    n = sum(1 for a, b in zip(x, x[1:]) if (a < 0) != (b < 0))
    return n / 2 / (len(x) / rate)
