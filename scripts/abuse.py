#!/usr/bin/env python3
"""Hostile clients for scripts/bench-abuse.sh: each attack runs for a while against a wsmsg
server on 127.0.0.1 and prints one JSON line saying what it did and what the server answered.

Only the standard library: WebSocket framing and the few msgpack values needed are written
by hand, so an attack can send exactly the bytes it wants (half a handshake, a frame with
RSV1 set, garbage, ...). It refuses any host but 127.0.0.1.

    scripts/abuse.py ATTACK --port P --token JWT [--seconds S]
    attacks: slowloris flood bomb churn glob memory
"""

import argparse
import asyncio
import base64
import json
import os
import struct
import sys
import time
import zlib

HOST = "127.0.0.1"
# Attackers connect from another loopback address, as they would from another machine: the
# per-address connection limit then applies to them and not to the healthy client.
SOURCE = "127.0.0.2"


# ---- msgpack, just enough ------------------------------------------------------------------

def mp(v):
    if v is None:
        return b"\xc0"
    if isinstance(v, bool):
        return b"\xc3" if v else b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        if len(b) < 256:
            return b"\xd9" + bytes([len(b)]) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, (bytes, bytearray)):
        if len(v) < 256:
            return b"\xc4" + bytes([len(v)]) + bytes(v)
        return b"\xc6" + struct.pack(">I", len(v)) + bytes(v)
    if isinstance(v, list):
        out = bytes([0x90 | len(v)]) if len(v) < 16 else b"\xdc" + struct.pack(">H", len(v))
        return out + b"".join(mp(x) for x in v)
    raise TypeError(type(v))


def message(channel, subject, data, reference=None):
    """A seed-order frame [uid, channel, subject, reference, data] with a random uid."""
    return mp([os.urandom(16), channel, subject, reference, data])


def command(subject, *args):
    return message("system", subject, list(args))


# ---- WebSocket, just enough ----------------------------------------------------------------

def ws_frame(payload, opcode=2, rsv1=False):
    """A masked client frame (mask key 0: the payload goes as it is, which keeps this cheap)."""
    b0 = 0x80 | opcode | (0x40 if rsv1 else 0)
    n = len(payload)
    if n < 126:
        head = bytes([b0, 0x80 | n])
    elif n < 65536:
        head = bytes([b0, 0x80 | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 0x80 | 127]) + struct.pack(">Q", n)
    return head + b"\x00\x00\x00\x00" + payload


def handshake(port, path, token, extensions=None):
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (HOST, port), "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
    if token:
        lines.append("Authorization: Bearer " + token)
    if extensions:
        lines.append("Sec-WebSocket-Extensions: " + extensions)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def connect(port, path, token, extensions=None, timeout=10):
    """Opens a WebSocket; returns (reader, writer, status line, response headers)."""
    r, w = await asyncio.wait_for(asyncio.open_connection(HOST, port, local_addr=(SOURCE, 0)), timeout)
    w.write(handshake(port, path, token, extensions))
    head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), timeout)
    text = head.decode("latin-1")
    return r, w, text.split("\r\n", 1)[0], text


async def drain_reads(r):
    """Reads and discards whatever the server sends (a well-behaved reader)."""
    try:
        while await r.read(65536):
            pass
    except Exception:
        pass


# ---- attacks -------------------------------------------------------------------------------

async def slowloris(a):
    """2,000 connections that send half an upgrade request and then a header now and then."""
    n = a.count or 2000
    conns, refused = [], 0
    for i in range(n):
        try:
            r, w = await asyncio.open_connection(HOST, a.port, local_addr=(SOURCE, 0))
            w.write(b"GET /slow%d HTTP/1.1\r\nHost: %s\r\n" % (i, HOST.encode()))
            conns.append((r, w))
        except OSError:
            refused += 1
    opened = len(conns)
    deadline = time.time() + a.seconds
    while time.time() < deadline:
        await asyncio.sleep(2)
        for r, w in conns:
            if not w.is_closing():
                try:
                    w.write(b"X-Slow: 1\r\n")
                except Exception:
                    pass
    alive = 0
    for r, w in conns:
        # a closed connection shows as EOF on read
        try:
            data = await asyncio.wait_for(r.read(1), 0.01)
            if data:
                alive += 1  # the server answered something (a refusal) but kept it open
        except asyncio.TimeoutError:
            alive += 1
        except Exception:
            pass
        w.close()
    return {"opened": opened, "refused": refused, "stillOpenAtEnd": alive}


async def flood(a):
    """Connections that send garbage frames as fast as they can and never read an answer."""
    n = a.count or 10
    garbage = ws_frame(b"\xc1\x00\x01" * 10)
    stats = {"connections": n, "closedByServer": 0, "framesSent": 0, "refusedUpgrade": 0}

    async def one(i):
        try:
            r, w, status, _ = await connect(a.port, "/flood%d" % i, a.token)
        except Exception:
            stats["refusedUpgrade"] += 1
            return
        if " 101 " not in status:
            stats["refusedUpgrade"] += 1
            return
        deadline = time.time() + a.seconds
        try:
            while time.time() < deadline:
                w.write(garbage * 50)
                stats["framesSent"] += 50
                await asyncio.wait_for(w.drain(), 5)
        except Exception:
            stats["closedByServer"] += 1
        finally:
            w.close()

    await asyncio.gather(*(one(i) for i in range(n)))
    return stats


async def bomb(a):
    """Offers permessage-deflate, then sends a compressed frame that inflates to 256 MiB."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\x00" * (1 << 20)
    body = b"".join(z.compress(chunk) for _ in range(256)) + z.flush(zlib.Z_SYNC_FLUSH)
    body = body[:-4]  # permessage-deflate drops the trailing 00 00 ff ff
    stats = {"attempts": 0, "negotiated": 0, "closedByServer": 0, "compressedBytes": len(body)}
    deadline = time.time() + a.seconds
    while time.time() < deadline:
        stats["attempts"] += 1
        try:
            r, w, status, head = await connect(a.port, "/bomb", a.token, "permessage-deflate")
        except Exception:
            await asyncio.sleep(0.2)
            continue
        if "permessage-deflate" in head.lower():
            stats["negotiated"] += 1
        try:
            w.write(ws_frame(body, rsv1=True))
            await w.drain()
            got = await asyncio.wait_for(r.read(), 10)  # the server's close, then EOF
            stats["closedByServer"] += 1
            stats["lastClose"] = got[:40].hex()
        except Exception:
            pass
        w.close()
        await asyncio.sleep(0.1)
    return stats


async def churn(a):
    """Connect, subscribe a fresh endpoint to a fresh channel, disconnect; over and over."""
    stats = {"cycles": 0, "refused": 0}
    deadline = time.time() + a.seconds
    i = 0
    while time.time() < deadline:
        i += 1
        ep = "churn-%d-%d" % (os.getpid(), i)
        try:
            r, w, status, _ = await connect(a.port, "/" + ep, a.token)
            if " 101 " not in status:
                stats["refused"] += 1
                w.close()
                continue
            w.write(ws_frame(command("subscribe.channel", ep, "churn.%d" % i, "*")))
            await w.drain()
            await asyncio.sleep(0.002)
            w.write(ws_frame(b"\x88\x02\x03\xe8", opcode=8))
            w.close()
            stats["cycles"] += 1
        except Exception:
            stats["refused"] += 1
    return stats


async def glob(a):
    """Expensive wildcard subscriptions, then fresh 255-character subjects that defeat caches."""
    r, w, status, _ = await connect(a.port, "/globber", a.token)
    if " 101 " not in status:
        return {"refused": status}
    reader = asyncio.ensure_future(drain_reads(r))
    for k in range(50):
        pattern = "orders.*a*a*a*a*a*a*a*a*a*b" + "?" * k
        w.write(ws_frame(command("subscribe.channel", "globber", "orders.*", pattern)))
    await w.drain()
    sent = 0
    deadline = time.time() + a.seconds
    while time.time() < deadline:
        batch = b"".join(ws_frame(message("orders.x", "a" * 254 + chr(97 + (sent + j) % 26), None))
                         for j in range(100))
        w.write(batch)
        sent += 100
        try:
            await asyncio.wait_for(w.drain(), 5)
        except Exception:
            break
    w.close()
    reader.cancel()
    return {"subscriptions": 50, "published": sent, "closedByServer": time.time() < deadline}


async def memory(a):
    """512 KiB messages into a channel whose only subscriber is an endpoint nobody reads."""
    r, w, status, _ = await connect(a.port, "/filler", a.token)
    if " 101 " not in status:
        return {"refused": status}
    reader = asyncio.ensure_future(drain_reads(r))
    w.write(ws_frame(command("subscribe.channel", "nobody-reads", "fill", "*")))
    payload = os.urandom(512 * 1024)
    sent = 0
    deadline = time.time() + a.seconds
    try:
        while time.time() < deadline:
            w.write(ws_frame(message("fill", "big", payload)))
            sent += 1
            await asyncio.wait_for(w.drain(), 5)
    except Exception:
        pass
    w.close()
    reader.cancel()
    return {"published": sent, "mib": sent // 2, "closedByServer": time.time() < deadline}


ATTACKS = {"slowloris": slowloris, "flood": flood, "bomb": bomb, "churn": churn, "glob": glob, "memory": memory}


def main():
    p = argparse.ArgumentParser(description="hostile clients for bench-abuse.sh (127.0.0.1 only)")
    p.add_argument("attack", choices=sorted(ATTACKS))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", default=None)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--count", type=int, default=0)
    a = p.parse_args()
    t0 = time.time()
    result = asyncio.run(ATTACKS[a.attack](a))
    result["attack"] = a.attack
    result["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
