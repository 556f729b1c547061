#!/usr/bin/env python3
"""libsrtp as an oracle for nutshell-srtp's differential test (tests/libsrtp.rs).

Reads jobs on stdin, one line per item, and prints one line per op:

    job <profile> <hex(master key || master salt)> <outbound|inbound> <replay window>
    <protect|unprotect|protect_rtcp|unprotect_rtcp> <hex packet>
    ...
    end

    output: "ok <hex>" or "err <libsrtp's message>" per op, then "end" per job.

profile is AES128_CM_SHA1_80, AES128_CM_SHA1_32, AEAD_AES_128_GCM or AEAD_AES_256_GCM. Each
job is one libsrtp session (SSRC_ANY_OUTBOUND or SSRC_ANY_INBOUND), so state (ROC, replay
windows, SRTCP index) carries from op to op as it would in a call.

Needs pylibsrtp (PyPI), which bundles libsrtp 2.
"""
import sys

try:
    import pylibsrtp
except ImportError:  # pragma: no cover
    print("pylibsrtp is not installed: pip install pylibsrtp", file=sys.stderr)
    sys.exit(3)

PROFILES = {
    "AES128_CM_SHA1_80": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
    "AES128_CM_SHA1_32": pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_32,
    "AEAD_AES_128_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM,
    "AEAD_AES_256_GCM": pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
}


def session(profile, key, direction, window):
    policy = pylibsrtp.Policy(
        key=bytes.fromhex(key),
        ssrc_type=(
            pylibsrtp.Policy.SSRC_ANY_OUTBOUND
            if direction == "outbound"
            else pylibsrtp.Policy.SSRC_ANY_INBOUND
        ),
        srtp_profile=PROFILES[profile],
    )
    policy.window_size = int(window)
    # A sender may protect a packet again (NACK retransmission), as nutshell allows.
    policy.allow_repeat_tx = True
    return pylibsrtp.Session(policy=policy)


def main():
    out = []
    current = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "job":
            current = session(*words[1:5])
        elif words[0] == "end":
            out.append("end")
            current = None
        else:
            op, data = words[0], bytes.fromhex(words[1] if len(words) > 1 else "")
            if op not in ("protect", "unprotect", "protect_rtcp", "unprotect_rtcp"):
                raise SystemExit(f"unknown op {op}")
            try:
                out.append("ok " + getattr(current, op)(data).hex())
            except pylibsrtp.Error as e:
                out.append("err " + str(e))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
