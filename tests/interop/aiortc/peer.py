#!/usr/bin/env python3
"""An aiortc peer for nutshell's interop tests (tests/interop/aiortc.rs).

It sends aiortc's synthetic tracks (AudioStreamTrack: silence as Opus; VideoStreamTrack:
640x480 frames encoded as VP8 or H.264), decodes every track it receives, and talks to the
test in JSON lines:

  --role offer:  prints {"type":"offer","sdp":...}, reads {"type":"answer","sdp":...}
  --role answer: reads {"type":"offer","sdp":...}, prints {"type":"answer","sdp":...}

then, once connected, runs for --seconds and prints one report line:
{"type":"report","connection_state":...,"audio_frames":N,"video_frames":N,
 "video_size":[W,H],"audio_rate":HZ,"dtls_version":...,"dtls_cipher":...,
 "srtp_profile":...,"codecs":{...}} and exits.

With --rsa its DTLS certificate is RSA 2048 (aiortc's own is ECDSA P-256, like the browsers';
other stacks, e.g. GStreamer's webrtcbin, use RSA) and it also offers the ECDHE_RSA cipher
suites.

It gathers host candidates on --address only (aioice would otherwise use every interface)
and has no STUN server (aiortc defaults to a public one).
"""

import argparse
import asyncio
import json
import sys

import aioice.ice
from aiortc import (
    AudioStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpsender import RTCRtpSender


def use_rsa_certificates():
    from cryptography.hazmat.primitives.asymmetric import rsa
    from aiortc import rtcdtlstransport as dt

    @classmethod
    def generate(cls):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(key=key, cert=dt.generate_certificate(key))

    make_context = dt.RTCCertificate._create_ssl_context

    def context(self, srtp_profiles):
        ctx = make_context(self, srtp_profiles)
        ctx.set_cipher_list(
            b"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
            b"ECDHE-ECDSA-AES128-GCM-SHA256"
        )
        return ctx

    dt.RTCCertificate.generateCertificate = generate
    dt.RTCCertificate._create_ssl_context = context


def send(obj):
    print(json.dumps(obj), flush=True)


async def read_json():
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    if not line:
        raise SystemExit("peer.py: stdin closed")
    return json.loads(line)


def prefer(transceiver, kind, codec):
    mime = f"{kind}/{codec}".lower()
    caps = RTCRtpSender.getCapabilities(kind).codecs
    chosen = [c for c in caps if c.mimeType.lower() == mime]
    if not chosen:
        raise SystemExit(f"peer.py: aiortc has no {kind}/{codec}")
    transceiver.setCodecPreferences(chosen)
    # An answerer's codecs are fixed in setRemoteDescription, before setCodecPreferences can
    # act: narrow them here too (aiortc sends with the first one).
    if transceiver._codecs:
        transceiver._codecs = [c for c in transceiver._codecs if c.mimeType.lower() == mime]


async def consume(track, stats):
    kind = track.kind
    while True:
        try:
            frame = await track.recv()
        except MediaStreamError:
            return
        stats[f"{kind}_frames"] += 1
        if kind == "video":
            stats["video_size"] = [frame.width, frame.height]
        else:
            stats["audio_rate"] = frame.sample_rate


async def run(args):
    stats = {"audio_frames": 0, "video_frames": 0, "video_size": None, "audio_rate": None}
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    consumers = []
    connected = asyncio.Event()

    @pc.on("track")
    def on_track(track):
        consumers.append(asyncio.ensure_future(consume(track, stats)))

    @pc.on("connectionstatechange")
    def on_state():
        print(f"peer.py: connection {pc.connectionState}", file=sys.stderr, flush=True)
        if pc.connectionState in ("connected", "failed", "closed"):
            connected.set()

    if args.role == "offer":
        pc.addTrack(AudioStreamTrack())
        video = pc.addTransceiver(VideoStreamTrack(), direction="sendrecv")
        prefer(video, "video", args.video_codec)
        await pc.setLocalDescription(await pc.createOffer())
        send({"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})
        answer = await read_json()
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
    else:
        offer = await read_json()
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
        for t in pc.getTransceivers():
            if t.kind == "audio":
                t.sender.replaceTrack(AudioStreamTrack())
            else:
                t.sender.replaceTrack(VideoStreamTrack())
                prefer(t, "video", args.video_codec)
            t.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        send({"type": pc.localDescription.type, "sdp": pc.localDescription.sdp})

    try:
        await asyncio.wait_for(connected.wait(), 20)
    except asyncio.TimeoutError:
        pass
    state = pc.connectionState
    if state == "connected":
        await asyncio.sleep(args.seconds)

    report = {"type": "report", "connection_state": state, **stats}
    transceivers = pc.getTransceivers()
    if transceivers:
        dtls = transceivers[0].receiver.transport
        ssl = getattr(dtls, "_ssl", None)
        if ssl is not None:
            report["dtls_role"] = dtls._role
            report["dtls_version"] = ssl.get_protocol_version_name()
            report["dtls_cipher"] = ssl.get_cipher_name()
            profile = ssl.get_selected_srtp_profile()
            report["srtp_profile"] = profile.decode() if profile else None
            from cryptography.hazmat.primitives.asymmetric import rsa

            key = ssl.get_certificate().to_cryptography().public_key()
            report["certificate"] = "rsa" if isinstance(key, rsa.RSAPublicKey) else "ec"
        report["codecs"] = {
            t.kind: [c.mimeType for c in (t._codecs or [])] for t in transceivers
        }
    send(report)
    await pc.close()
    for c in consumers:
        c.cancel()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", choices=["offer", "answer"], required=True)
    p.add_argument("--address", required=True, help="the only address to gather on")
    p.add_argument("--video-codec", default="VP8", choices=["VP8", "H264"])
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--rsa", action="store_true", help="an RSA 2048 DTLS certificate")
    args = p.parse_args()
    if args.rsa:
        use_rsa_certificates()
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.address]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
