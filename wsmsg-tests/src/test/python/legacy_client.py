#!/usr/bin/env python3
"""Interop check: the original Python wsmsg client (0.17), emulated on the wire.

The original package cannot be installed here, so this script reproduces what its client
puts on the wire (see STACK-NOTES, "The original Python package (interop facts)"):

- frames are msgpack arrays in the *legacy* element order
  ``[uid, reference, channel, subject, data]``; uid and reference are 16-byte bin,
  reference nil when there is none, channel and subject are str;
- no Authorization header (the server must run in auth mode ``none``);
- every message received is acknowledged with ``[fresh uid, received uid, "system", "ack",
  nil]``; acks received are ignored;
- ``subscribe.message`` sends two arguments ``[endpoint, uid]``;
- channel subscriptions are always made with subject pattern ``*``; the client filters
  subjects itself with ``fnmatch``;
- a ``datetime`` is encoded as a map with bin keys ``__datetime__`` (``__datetimetz__``
  when aware) and ``as_str``;
- pings every 20 s, closes after 20 s without a pong, refuses frames over 1 MiB.

It runs four scenarios against a server in auth mode ``none`` and prints one line per
scenario, then ``N passed, M failed``. Exit code 0 only when all passed.

Needs Debian's ``python3-msgpack`` (1.0.x) and ``python3-websockets`` (10.x):
    /usr/bin/python3 src/test/python/legacy_client.py --url ws://127.0.0.1:8765/
"""

import argparse
import asyncio
import datetime
import fnmatch
import sys
import urllib.parse
import uuid

try:
    import msgpack
    import websockets
except ImportError as e:  # pragma: no cover - reported, not raised
    print("cannot import %s: install the Debian packages python3-msgpack and python3-websockets"
          " (apt-get install -y python3-msgpack python3-websockets) and run with /usr/bin/python3"
          % e.name, file=sys.stderr)
    sys.exit(3)

WAIT = 20.0         # seconds to wait for any one expected message (generous: a busy shared machine)
TOTAL = 150.0       # the whole run is cut off after this
MAX_FRAME = 1 << 20  # the original client closes on frames over 1 MiB


class InteropFailure(Exception):
    """A check failed: the message says what was expected and what came."""


def new_uid():
    """The original client's uids: 16 random bytes (a uuid4)."""
    return uuid.uuid4().bytes


def hexid(b):
    return "nil" if b is None else b.hex()


# ---- the original package's datetime extension -------------------------------------------

def encode_datetime(obj):
    if isinstance(obj, datetime.datetime):
        if obj.tzinfo is None:
            return {b"__datetime__": True, b"as_str": obj.strftime("%Y%m%dT%H:%M:%S.%f")}
        return {b"__datetimetz__": True, b"as_str": obj.strftime("%Y%m%dT%H:%M:%S.%f%z")}
    return obj


def decode_datetime(obj):
    if b"__datetime__" in obj:
        return datetime.datetime.strptime(obj[b"as_str"], "%Y%m%dT%H:%M:%S.%f")
    if b"__datetimetz__" in obj:
        return datetime.datetime.strptime(obj[b"as_str"], "%Y%m%dT%H:%M:%S.%f%z")
    return obj


def pack(value):
    return msgpack.packb(value, use_bin_type=True, default=encode_datetime)


def unpack(raw):
    return msgpack.unpackb(raw, raw=False, object_hook=decode_datetime, strict_map_key=False)


# ---- messages ------------------------------------------------------------------------------

class Message:
    """One received message, decoded the way the original client decodes it."""

    def __init__(self, raw):
        self.raw = raw
        try:
            u = msgpack.Unpacker(raw=False, object_hook=decode_datetime, strict_map_key=False,
                                 max_buffer_size=MAX_FRAME)
            u.feed(raw)
            n = u.read_array_header()
            if n != 5:
                raise InteropFailure("server sent an array of %d elements, not 5" % n)
            self.uid = u.unpack()
            self.reference = u.unpack()
            self.channel = u.unpack()
            self.subject = u.unpack()
            self.data_offset = u.tell()
            self.data = u.unpack()
            if u.tell() != len(raw):
                raise InteropFailure("server sent %d stray bytes after the message" % (len(raw) - u.tell()))
        except InteropFailure:
            raise
        except Exception as e:
            raise InteropFailure("server sent a frame that is not msgpack: %r (%s)" % (raw[:64], e))
        # The original client unpacks the array as uid, reference, channel, subject, data:
        # anything else means the server did not write this connection in legacy order.
        if not isinstance(self.uid, bytes) or not 1 <= len(self.uid) <= 64:
            raise InteropFailure("element 0 (uid) is not bin: %r" % (self.uid,))
        if self.reference is not None and not isinstance(self.reference, bytes):
            raise InteropFailure("element 1 (reference) is %r, not bin or nil: the server did not use"
                                 " the legacy order [uid, reference, channel, subject, data]"
                                 % (self.reference,))
        if not isinstance(self.channel, str) or not isinstance(self.subject, str):
            raise InteropFailure("elements 2 and 3 (channel, subject) are not str: %r, %r"
                                 % (self.channel, self.subject))

    @property
    def data_bytes(self):
        """The raw msgpack bytes of data, exactly as the server sent them."""
        return self.raw[self.data_offset:]

    def __repr__(self):
        return "Message(uid=%s, ref=%s, %s/%s, data=%r)" % (
            hexid(self.uid), hexid(self.reference), self.channel, self.subject, self.data)


class LegacyClient:
    """One node attached to one endpoint, behaving like the original client."""

    def __init__(self, base_url, endpoint):
        self.url = base_url + urllib.parse.quote(endpoint, safe="")
        self.endpoint = endpoint
        self.ws = None
        self.reader = None
        self.subscriptions = []   # (channel pattern, subject pattern, queue)
        self.awaiting = {}        # uid -> queue, for message subscriptions (replies)
        self.errors = asyncio.Queue()
        self.received = 0
        self.acks_sent = 0
        self.failure = None

    async def connect(self):
        # No Authorization header, no query parameters: just the endpoint in the path.
        try:
            self.ws = await websockets.connect(self.url, max_size=MAX_FRAME, ping_interval=20,
                                               ping_timeout=20, open_timeout=WAIT, close_timeout=2)
        except asyncio.TimeoutError:
            raise InteropFailure("no WebSocket handshake from %s within %.0f s" % (self.url, WAIT))
        except websockets.exceptions.InvalidStatusCode as e:
            raise InteropFailure("%s refused the upgrade with HTTP %s (is auth.mode \"none\"?)"
                                 % (self.url, e.status_code))
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except (asyncio.CancelledError, Exception):
                pass

    # ---- sending ----

    async def send(self, channel, subject, data, reference=None, uid=None):
        uid = uid or new_uid()
        await self.ws.send(pack([uid, reference, channel, subject, data]))
        return uid

    async def send_raw(self, frame):
        await self.ws.send(frame)

    async def command(self, subject, args, uid=None):
        return await self.send("system", subject, args, uid=uid)

    async def subscribe(self, channel_pattern, subject_pattern="*"):
        """Subscribes with subject pattern '*' and filters subjects locally, as the original does."""
        q = asyncio.Queue()
        self.subscriptions.append((channel_pattern, subject_pattern, q))
        await self.command("subscribe.channel", [self.endpoint, channel_pattern, "*"])
        return q

    async def subscribe_message(self, uid):
        """Replies to uid come to this endpoint: two arguments [endpoint, uid]."""
        q = asyncio.Queue()
        self.awaiting[uid] = q
        await self.command("subscribe.message", [self.endpoint, uid])
        return q

    async def sync(self):
        """Returns once everything this node sent before is in effect on the server.

        The server holds a node's input until its commands are applied, so a message that
        this node sends after them and that comes back to it (through a message
        subscription) proves that its earlier subscriptions are live for everyone.
        """
        uid = new_uid()
        q = await self.subscribe_message(uid)
        await self.send("legacy.sync", "sync", None, reference=uid)
        m = await self.expect(q, "its own sync message")
        if m.reference != uid:
            raise InteropFailure("sync came back with reference %s, not %s" % (hexid(m.reference), hexid(uid)))
        del self.awaiting[uid]
        await self.command("unsubscribe.message", [self.endpoint, uid])

    # ---- receiving ----

    async def expect(self, q, what, timeout=WAIT):
        get = asyncio.ensure_future(q.get())
        failed = asyncio.ensure_future(self._wait_failure())
        done, _ = await asyncio.wait({get, failed}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for t in (get, failed):
            if t not in done:
                t.cancel()
        if get in done:
            return get.result()
        if failed in done:
            raise InteropFailure("endpoint %s: %s" % (self.endpoint, self.failure))
        raise InteropFailure("endpoint %s: %s did not arrive within %.0f s" % (self.endpoint, what, timeout))

    async def _wait_failure(self):
        while self.failure is None:
            await asyncio.sleep(0.02)

    async def _read(self):
        try:
            async for frame in self.ws:
                if isinstance(frame, str):
                    raise InteropFailure("server sent a text frame: %r" % frame[:80])
                m = Message(frame)
                self.received += 1
                if m.channel == "system" and m.subject == "ack":
                    continue  # the original client ignores acks it receives
                # it acknowledges everything else: fresh uid, reference = the received uid
                await self.send("system", "ack", None, reference=m.uid)
                self.acks_sent += 1
                self._dispatch(m)
        except InteropFailure as e:
            self.failure = str(e)
        except websockets.exceptions.ConnectionClosed as e:
            self.failure = "the server closed the connection (code %s, reason %r)" % (e.code, e.reason)
        except Exception as e:  # report, never hang
            self.failure = "reader crashed: %r" % (e,)
        if self.failure is None:
            self.failure = "the connection ended"

    def _dispatch(self, m):
        if m.channel == "system" and m.subject == "error":
            self.errors.put_nowait(m)
            return
        if m.reference is not None and m.reference in self.awaiting:
            self.awaiting[m.reference].put_nowait(m)
            return
        for channel_pattern, subject_pattern, q in self.subscriptions:
            if fnmatch.fnmatchcase(m.channel, channel_pattern) and fnmatch.fnmatch(m.subject, subject_pattern):
                q.put_nowait(m)
                return
        # not for us (or filtered out by subject): acked above, dropped here, as the original does


# ---- scenarios -----------------------------------------------------------------------------

async def scenario_pubsub(base, run):
    a = await LegacyClient(base, "legacy-a-" + run).connect()
    b = await LegacyClient(base, "legacy-b-" + run).connect()
    try:
        inbox = await a.subscribe("news.*", "result.*")
        await a.sync()
        when = datetime.datetime(2024, 2, 29, 13, 37, 42, 123456)
        sent = [
            ("result.football", {"home": "Ajax", "away": "PSV", "score": [2, 1]}),
            ("result.tennis", when),
            ("result.chess", "1-0"),
            ("gossip", "filtered out by the client's own fnmatch filter"),
            ("result.rowing", [1.5, -3, None, True, b"\x00\xffbin"]),
            ("result.darts", 180),
        ]
        packed = {}
        for subject, data in sent:
            uid = await b.send("news.sport", subject, data)
            packed[uid] = (subject, data, pack(data))
        want = [(u, s, d, p) for u, (s, d, p) in packed.items() if fnmatch.fnmatch(s, "result.*")]
        for i, (uid, subject, data, raw) in enumerate(want):
            m = await a.expect(inbox, "message %d of %d on news.sport" % (i + 1, len(want)))
            if m.uid != uid:
                raise InteropFailure("message %d: uid %s, expected %s (order or loss)" % (i + 1, hexid(m.uid), hexid(uid)))
            if (m.channel, m.subject, m.reference) != ("news.sport", subject, None):
                raise InteropFailure("message %d: header %r" % (i + 1, m))
            if m.data != data:
                raise InteropFailure("message %d: data %r, sent %r" % (i + 1, m.data, data))
            if m.data_bytes != raw:
                raise InteropFailure("message %d: data bytes %s, sent %s" % (i + 1, m.data_bytes.hex(), raw.hex()))
        if not inbox.empty():
            raise InteropFailure("unexpected extra message: %r" % inbox.get_nowait())
        dt = [w for w in want if isinstance(w[2], datetime.datetime)][0]
        return ("A got all %d messages on news.* (datetime map %s byte for byte), acked %d, 1 filtered locally"
                % (len(want), dt[3].hex(), a.acks_sent))
    finally:
        await a.close()
        await b.close()


async def scenario_rpc(base, run):
    responder = await LegacyClient(base, "legacy-calc-" + run).connect()
    requester = await LegacyClient(base, "legacy-caller-" + run).connect()
    serving = None
    try:
        requests = await responder.subscribe("calc.request")
        await responder.sync()

        async def serve():
            while True:
                req = await requests.get()
                await responder.send("calc.reply", "sum", sum(req.data), reference=req.uid)

        serving = asyncio.ensure_future(serve())
        cases = [[1, 2, 3, 4], [10, -3, 0.5], [2 ** 40, 2 ** 40, 7]]
        for numbers in cases:
            uid = new_uid()
            replies = await requester.subscribe_message(uid)  # [endpoint, uid]: two arguments
            await requester.send("calc.request", "add", numbers, uid=uid)
            reply = await requester.expect(replies, "the reply to %r" % (numbers,))
            if reply.reference != uid:
                raise InteropFailure("reply reference %s, expected the request uid %s" % (hexid(reply.reference), hexid(uid)))
            if reply.channel != "calc.reply" or reply.data != sum(numbers):
                raise InteropFailure("reply %r, expected %r on calc.reply" % (reply, sum(numbers)))
            if serving.done():
                raise InteropFailure("responder stopped: %r" % (serving.exception(),))
        return "%d requests answered on calc.reply with reference = request uid and the right sums" % len(cases)
    finally:
        if serving is not None:
            serving.cancel()
        await responder.close()
        await requester.close()


async def scenario_errors(base, run):
    c = await LegacyClient(base, "legacy-err-" + run).connect()
    try:
        await c.sync()  # the original client's first frames are valid commands
        bad_uid = new_uid()
        four_uid = new_uid()
        malformed = [
            ("bytes that are not msgpack", b"\xc1\x00\x01", None),
            # its uid is readable, so the error references it
            ("an array of 4 elements", pack([four_uid, None, "news.x", "four"]), four_uid),
            ("a channel that is an integer", pack([bad_uid, None, 42, "subject", None]), bad_uid),
        ]
        for what, frame, ref in malformed:
            await c.send_raw(frame)
            err = await c.expect(c.errors, "the error for %s" % what)
            if not (isinstance(err.data, list) and len(err.data) == 2):
                raise InteropFailure("error data for %s is %r, not [code, text]" % (what, err.data))
            code, text = err.data
            if code != "bad_frame":
                raise InteropFailure("error code for %s is %r (%s), expected bad_frame" % (what, code, text))
            if err.reference != ref:
                raise InteropFailure("error for %s references %s, expected %s" % (what, hexid(err.reference), hexid(ref)))
        await c.sync()  # still connected and served
        return "%d malformed frames answered with error bad_frame, connection still works" % len(malformed)
    finally:
        await c.close()


async def scenario_backlog(base, run):
    """A worker that reconnects to an endpoint holding queued jobs gets every one of them.

    The original client subscribes right after connecting; a server that sent the first
    queued job before that frame, in seed order, made it misread the job, drop the connection
    without acking and lose the job (and the next one on each reconnect).
    """
    endpoint = "legacy-worker-" + run
    worker = await LegacyClient(base, endpoint).connect()
    await worker.subscribe("jobs." + run)
    await worker.sync()
    await worker.close()  # the worker goes away; jobs pile up at its endpoint
    boss = await LegacyClient(base, "legacy-boss-" + run).connect()
    n = 20
    try:
        sent = [await boss.send("jobs." + run, "job", i) for i in range(n)]
        await boss.sync()
        # back again, as the original client would come back: connect, then re-subscribe
        worker = await LegacyClient(base, endpoint).connect()
        jobs = await worker.subscribe("jobs." + run)
        got = []
        for i in range(n):
            m = await worker.expect(jobs, "queued job %d of %d (got %d so far)" % (i + 1, n, len(got)))
            got.append(m.uid)
        if got != sent:
            raise InteropFailure("jobs came back out of order or changed: %s" % [hexid(u) for u in got])
        return "a reconnecting worker got all %d queued jobs in legacy order and acked them" % n
    finally:
        await boss.close()
        await worker.close()


SCENARIOS = [("pubsub", scenario_pubsub), ("rpc", scenario_rpc), ("errors", scenario_errors),
             ("backlog", scenario_backlog)]


async def run_all(base):
    run = uuid.uuid4().hex[:8]
    passed = failed = 0
    for name, fn in SCENARIOS:
        try:
            detail = await asyncio.wait_for(fn(base, run), timeout=WAIT * 2)
            print("PASS %s: %s" % (name, detail), flush=True)
            passed += 1
        except asyncio.TimeoutError:
            print("FAIL %s: timed out after %.0f s" % (name, WAIT * 2), flush=True)
            failed += 1
        except InteropFailure as e:
            print("FAIL %s: %s" % (name, e), flush=True)
            failed += 1
        except (OSError, websockets.exceptions.WebSocketException) as e:
            print("FAIL %s: cannot talk to %s: %s" % (name, base, e), flush=True)
            failed += 1
    return passed, failed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--url", required=True, help="server root, e.g. ws://127.0.0.1:8765/")
    args = p.parse_args()
    u = urllib.parse.urlsplit(args.url)
    if u.scheme != "ws" or u.hostname != "127.0.0.1" or u.port is None:
        print("--url must be ws://127.0.0.1:PORT/ (this check only talks to a local server)", file=sys.stderr)
        return 2
    base = args.url if args.url.endswith("/") else args.url + "/"
    loop = asyncio.new_event_loop()
    try:
        passed, failed = loop.run_until_complete(asyncio.wait_for(run_all(base), timeout=TOTAL))
    except asyncio.TimeoutError:
        print("FAIL: the run did not finish within %.0f s" % TOTAL, flush=True)
        return 1
    finally:
        loop.close()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
