#!/usr/bin/env python3
"""What the order grace (delivery.orderGraceSeconds) costs a node at start-up.

Against a running server on 127.0.0.1 (auth mode none, or pass --token), for each kind of
node it queues one message at a fresh endpoint, attaches a node and measures the time from
the end of the upgrade to the first delivery. Prints the median and max of ROUNDS tries:

- `order=seed`      names its order in the query (the Java client, the CLI, bench): no wait;
- `first frame`     names no order but sends a command right after the upgrade, as the
                    original Python client does: waits for nothing but that frame;
- `silent`          names no order and sends nothing: waits out the grace.

    scripts/bench-order-grace.py --port 8765 [--token JWT] [--rounds 20]
"""

import argparse
import asyncio
import os
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from abuse import command, connect, message, ws_frame  # noqa: E402


async def read_frame(r):
    b0, b1 = await r.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", await r.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", await r.readexactly(8))[0]
    return b0 & 0x0F, await r.readexactly(n)


async def first_delivery(port, token, kind, i):
    ep = "grace-%s-%d-%d" % (kind.replace(" ", ""), os.getpid(), i)
    # queue one message for the endpoint, through a helper node that names its order
    r, w, status, _ = await connect(port, "/grace-feeder?order=seed", token)
    w.write(ws_frame(command("subscribe.channel", ep, "grace.%s" % ep, "*")))
    w.write(ws_frame(message("grace.%s" % ep, "queued", 1)))
    await w.drain()
    await asyncio.sleep(0.2)
    w.close()
    query = "?order=seed" if kind == "order=seed" else ""
    r, w, status, _ = await connect(port, "/" + ep + query, token)
    t0 = time.perf_counter()
    if kind == "first frame":
        w.write(ws_frame(command("subscribe.channel", ep, "grace.%s" % ep, "*")))
        await w.drain()
    while True:
        op, payload = await asyncio.wait_for(read_frame(r), 10)
        if op == 2 and b"queued" in payload:
            ms = (time.perf_counter() - t0) * 1000
            w.close()
            return ms


async def run(a):
    for kind in ("order=seed", "first frame", "silent"):
        ms = [await first_delivery(a.port, a.token, kind, i) for i in range(a.rounds)]
        print("%-12s first delivery after the upgrade: median %7.1f ms, max %7.1f ms (%d tries)"
              % (kind, statistics.median(ms), max(ms), len(ms)), flush=True)


def main():
    p = argparse.ArgumentParser(description="start-up cost of the order grace (127.0.0.1 only)")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", default=None)
    p.add_argument("--rounds", type=int, default=20)
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
