#!/usr/bin/env python3
"""aioice side of the nutshell-ice interop test.

Usage: driver.py --role controlling|controlled --bind IP [--count N]

1. Gathers host candidates on IP only (aioice would otherwise take every address of the
   namespace), prints {"ufrag","pwd","candidates":["candidate:…"]} on one line.
2. Reads the remote's line from stdin, adds its candidates and end-of-candidates, connects.
3. Sends N datagrams on the nominated pair and waits for each echo.
4. Prints {"result":{"ok":bool,"local":"…","remote":"…","echoes":N,"controlling":bool}}.
"""

import argparse
import asyncio
import json
import sys

import aioice
import aioice.ice
from aioice import Candidate


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--role", required=True, choices=["controlling", "controlled"])
    p.add_argument("--bind", required=True)
    p.add_argument("--count", type=int, default=5)
    args = p.parse_args()

    # Only the address this side was given.
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.bind]
    conn = aioice.Connection(
        ice_controlling=args.role == "controlling",
        components=1,
        stun_server=None,
        use_ipv6=False,
    )
    await conn.gather_candidates()
    print(
        json.dumps(
            {
                "ufrag": conn.local_username,
                "pwd": conn.local_password,
                "candidates": ["candidate:" + c.to_sdp() for c in conn.local_candidates],
            }
        ),
        flush=True,
    )

    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    remote = json.loads(line)
    conn.remote_username = remote["ufrag"]
    conn.remote_password = remote["pwd"]
    for c in remote["candidates"]:
        await conn.add_remote_candidate(Candidate.from_sdp(c.split(":", 1)[1]))
    await conn.add_remote_candidate(None)

    result = {"ok": False, "echoes": 0}
    try:
        await asyncio.wait_for(conn.connect(), 15)
        pair = conn._nominated.get(1)
        if pair is not None:
            result["local"] = "candidate:" + pair.local_candidate.to_sdp()
            result["remote"] = "candidate:" + pair.remote_candidate.to_sdp()
        result["controlling"] = conn.ice_controlling
        for i in range(args.count):
            payload = b"\x80aioice-%d" % i
            await conn.send(payload)
            echo = await asyncio.wait_for(conn.recv(), 5)
            if echo != payload:
                raise RuntimeError("wrong echo %r" % echo)
            result["echoes"] += 1
        result["ok"] = True
    except Exception as e:  # reported, not raised: the Rust test decides
        result["error"] = repr(e)
    print(json.dumps({"result": result}), flush=True)
    await conn.close()


asyncio.run(main())
