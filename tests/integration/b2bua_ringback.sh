#!/usr/bin/env bash
# Local ringback: the callee (SIPp) answers 180 without SDP and rings on.
# tongdai answers the caller 180 with SDP (RFC 3960; the caller's own A-law) and the
# dataplane plays the ringback tone to it (440 + 480 Hz, ITU-T E.180 /
# North American cadence: 2 s on). The caller then cancels: 487, and the
# callee gets the CANCEL.
. "$(dirname "$0")/lib.sh"
H=$TD_KERNEL_IP

td_setup_net
dp_start
ctl_start --sip-digest md5
wait_for 10 cli show dataplane || fail "control did not attach"
for u in 1001 1002; do cli user add "$u" "pw-$u" >/dev/null || fail "user add $u"; done
sipp_register 5070 1002 pw-1002 || fail "1002 did not register"
ip netns exec "$NS" sipp -sf "$TD_TOP/bench/sipp/uas_ring.xml" -i "$H" -p 5070 -m 1 -nostdin -timeout 30 \
	-mp 6300 >"$TMP/sipp-1002.log" 2>&1 &
callee=$!
ip netns exec "$NS" python3 - "$H" "$TD_TOP/tests" >"$TMP/caller.json" <<'PY' || fail "the caller: $(cat "$TMP/caller.json")"
import json, random, re, socket, sys, time
host, tests = sys.argv[1], sys.argv[2]
sys.path.insert(0, tests + "/integration")
sys.path.insert(0, tests + "/dataplane")
from sip_client import authorization, challenges
from g711 import alaw_dec, tone_fraction
sig = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sig.bind((host, 5080))
med = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
med.bind((host, 6990))
cid, tag, uri = "%x@rb" % random.getrandbits(48), "%x" % random.getrandbits(32), "sip:1002@%s" % host
sdp = ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio 6990 RTP/AVP 8 101\r\n"
       "a=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n" % (host, host))
def invite(cseq, branch, auth=""):
    return ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5080;branch=%s;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:1001@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: %d INVITE\r\n"
            "Contact: <sip:1001@%s:5080>\r\n%sContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
            % (uri, host, branch, host, tag, uri, cid, cseq, host, auth, len(sdp), sdp))
def recv(sock, t):
    sock.settimeout(t)
    return sock.recv(65535)
sig.sendto(invite(1, "z9hG4bKrb1").encode(), (host, 5060))
while True:
    r = recv(sig, 3).decode()
    if int(r.split(" ", 2)[1]) >= 200:
        break
to = re.search(r"^To: (.*?)\r$", r, re.M).group(1)
sig.sendto(("ACK %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5080;branch=z9hG4bKrb1;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:1001@%s>;tag=%s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
            % (uri, host, host, tag, to, cid)).encode(), (host, 5060))
auth = authorization("Proxy-Authorization", challenges(r)[0], "1001", "pw-1001", "INVITE", uri)
sig.sendto(invite(2, "z9hG4bKrb2", auth).encode(), (host, 5060))
out = {"provisional": [], "sdp_port": None, "pts": [], "packets": 0}
end = time.time() + 4
while time.time() < end:
    r = recv(sig, 3).decode()
    code = int(r.split(" ", 2)[1])
    out["provisional"].append(code)
    if code == 180 and "\r\n\r\nv=0" in r:
        m = re.search(r"^m=audio (\d+) RTP/AVP ([\d ]+)\r$", r, re.M)
        out["sdp_port"], out["sdp_fmts"] = int(m.group(1)), m.group(2).split()
        break
pcm, start = [], time.time()
while time.time() - start < 1.5:
    try:
        p = recv(med, 1.5)
    except socket.timeout:
        break
    out["packets"] += 1
    out["pts"] = sorted(set(out["pts"]) | {p[1] & 0x7F})
    pcm += [alaw_dec(b) for b in p[12:]]
out["tone_440_480"] = tone_fraction(pcm, 440.0) + tone_fraction(pcm, 480.0) if pcm else 0
sig.sendto(("CANCEL %s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5080;branch=z9hG4bKrb2;rport\r\nMax-Forwards: 70\r\n"
            "From: <sip:1001@%s>;tag=%s\r\nTo: <%s>\r\nCall-ID: %s\r\nCSeq: 2 CANCEL\r\nContent-Length: 0\r\n\r\n"
            % (uri, host, host, tag, uri, cid)).encode(), (host, 5060))
finals = []
end = time.time() + 3
while time.time() < end and 487 not in finals:
    r = recv(sig, 3).decode()
    finals.append(int(r.split(" ", 2)[1]))
out["finals"] = finals
print(json.dumps(out))
PY
json "d['provisional'][-1] == 180 and d['sdp_fmts'] == ['8', '101'] and d['sdp_port'] > 0 and \
	d['packets'] >= 50 and d['pts'] == [8] and d['tone_440_480'] > 0.8 and 487 in d['finals']" \
	<"$TMP/caller.json" | grep -qx True || fail "the caller saw: $(cat "$TMP/caller.json")"
ok "180 with SDP of the caller's A-law, then $(json "d['packets']" <"$TMP/caller.json") packets of 440 + 480 Hz ringback; CANCEL gave 487"
wait "$callee" || fail "the callee: $(tail -5 "$TMP/sipp-1002.log")"
cli show calls --json | json "d['stats']['ringbacks'] == 1 and d['stats']['cancelled'] == 1" | grep -qx True ||
	fail "counters: $(cli show calls --json)"
wait_for 5 no_sessions || fail "sessions left: $(cli show sessions)"
ok "the callee got the CANCEL; one ringback counted; no session left"
td_done
