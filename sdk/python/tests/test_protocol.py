"""The runtime over a real WebSocket: hello, subscribe/replay/snapshot, commands and acks seen
by every client, auth (HTTP 401), and hostile clients (garbage, huge, binary, unknown commands,
a client that never reads) that must neither crash the service nor block agent threads."""

import asyncio
import base64
import json
import os
import socket
import struct
import threading
import unittest

import websockets

from swarmtop_runtime import Runtime
from tests.helpers import wait_for

T = 10  # seconds: bound on every network wait (not a performance assertion)


async def recv_json(ws):
    """Next message as JSON, skipping threads samples."""
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), T))
        if m.get("type") != "threads":
            return m


async def recv_until(ws, pred):
    """Read messages until pred(msg) is true; return all read (threads samples skipped)."""
    out = []
    while True:
        m = await recv_json(ws)
        out.append(m)
        if pred(m):
            return out


def connect(url, **kw):
    """A client that keeps reading (unbounded queue): closing never waits on our backlog."""
    kw.setdefault("max_queue", None)
    kw.setdefault("close_timeout", 2)
    return websockets.connect(url, **kw)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


class ProtocolTest(unittest.TestCase):
    def setUp(self):
        self.rt = Runtime("proto", port=0, sample_interval=0, retain=50).start()
        self.addCleanup(self.rt.stop)

    def test_hello_subscribe_replay_then_live(self):
        a = self.rt.agent("a")
        for i in range(5):
            a.log(f"l{i}")

        async def go():
            async with connect(self.rt.url, subprotocols=["swarmtop.v1"]) as ws:
                self.assertEqual(ws.subprotocol, "swarmtop.v1")
                hello = await recv_json(ws)
                self.assertEqual(hello["type"], "hello")
                self.assertEqual(hello["last_seq"], 6)
                self.assertEqual(hello["runtime"]["id"], "proto")
                with self.assertRaises(asyncio.TimeoutError):  # nothing before subscribe
                    await asyncio.wait_for(ws.recv(), 0.2)
                await ws.send(json.dumps({"type": "subscribe", "since": 2}))
                got = [await recv_json(ws) for _ in range(4)]
                self.assertEqual([m["seq"] for m in got], [3, 4, 5, 6])
                a.log("live")
                m = await recv_json(ws)
                self.assertEqual((m["seq"], m["text"]), (7, "live"))
                return hello["runtime"]["instance"]

        inst = run(go())
        self.assertEqual(inst, self.rt.instance)

    def test_resume_after_reconnect_loses_nothing(self):
        a = self.rt.agent("a")
        stop = threading.Event()

        def producer():
            i = 0
            while not stop.is_set() and i < 3000:
                a.log(f"p{i}")
                i += 1

        async def go():
            seen = []
            th = threading.Thread(target=producer)
            th.start()
            for round_ in range(3):
                async with connect(self.rt.url) as ws:
                    await recv_json(ws)
                    since = seen[-1] if seen else 0
                    await ws.send(json.dumps({"type": "subscribe", "since": since}))
                    for _ in range(100):
                        m = await recv_json(ws)
                        self.assertNotEqual(m["type"], "snapshot")
                        seen.append(m["seq"])
            stop.set()
            th.join()
            return seen

        self.rt._log.ring = __import__("collections").deque(self.rt._log.ring, maxlen=100000)
        seen = run(go())
        self.assertEqual(seen, list(range(1, len(seen) + 1)))

    def test_snapshot_when_history_is_gone(self):
        a = self.rt.agent("a", name="A")
        with self.rt.task("t", agent=a, id="t-1"):
            pass
        for i in range(100):
            a.log(str(i))

        async def go():
            async with connect(self.rt.url) as ws:
                await recv_json(ws)
                await ws.send(json.dumps({"type": "subscribe", "since": 1}))
                snap = await recv_json(ws)
                a.log("after")
                nxt = await recv_json(ws)
                return snap, nxt

        snap, nxt = run(go())
        self.assertEqual(snap["type"], "snapshot")
        self.assertEqual(snap["agents"][0]["id"], "a")
        self.assertEqual(snap["tasks"][0]["status"], "completed")
        self.assertEqual(nxt["seq"], snap["seq"] + 1)

    def test_commands_ack_to_every_client(self):
        a = self.rt.agent("planner")

        async def go():
            async with connect(self.rt.url) as c1, \
                    connect(self.rt.url) as c2:
                for ws in (c1, c2):
                    await recv_json(ws)
                    await ws.send(json.dumps({"type": "subscribe", "since": self.rt.last_seq}))
                await c1.send(json.dumps({"type": "command", "id": "k-1", "action": "inject",
                                          "target": {"agent": "planner"}, "text": "hi"}))
                await c1.send(json.dumps({"type": "command", "id": "k-2", "action": "retry",
                                          "target": {"task": "nope"}}))
                for ws in (c1, c2):
                    msgs = await recv_until(ws, lambda m: m.get("command") == "k-2")
                    kinds = [(m["type"], m.get("status") or m.get("role")) for m in msgs]
                    self.assertEqual(kinds, [("ack", "accepted"), ("message", "operator"),
                                             ("ack", "rejected")])
                self.assertEqual(a.inbox.get(timeout=T), "hi")
                for ws in (c1, c2):
                    m = await recv_json(ws)
                    self.assertEqual((m["command"], m["status"]), ("k-1", "applied"))

        run(go())

    def test_hostile_clients_do_not_crash_or_block(self):
        a = self.rt.agent("steady")
        count = [0]
        stop = threading.Event()

        def agent_thread():
            while not stop.is_set():
                a.log("tick")
                count[0] += 1
                stop.wait(0.001)

        th = threading.Thread(target=agent_thread)
        th.start()
        self.addCleanup(lambda: (stop.set(), th.join()))

        async def go():
            async with connect(self.rt.url) as ws:
                await recv_json(ws)
                for junk in ("", "{", "nul\x00l", "[1,2]", "42", '"str"', "[" * 100000,
                             '{"type":"subscribe","since":-1}'[:-3],
                             json.dumps({"type": "wat"}), json.dumps({"type": "command"}),
                             json.dumps({"type": "command", "id": "z", "action": "format-disk",
                                         "target": {}}),
                             json.dumps({"type": "command", "id": "y", "action": "pause",
                                         "target": "everything"})):
                    await ws.send(junk)
                await ws.send(json.dumps({"type": "subscribe", "since": self.rt.last_seq}))
                msgs = await recv_until(ws, lambda m: m.get("type") == "log")
                self.assertEqual(msgs[-1]["text"], "tick")
                # the acks for z and y were emitted before subscribing: find them in the ring
            ring = [json.loads(d) for _, d in self.rt._log.ring]
            acks = {m["command"]: m for m in ring if m["type"] == "ack"}
            self.assertEqual(acks["z"]["status"], "rejected")
            self.assertIn("unknown action", acks["z"]["error"])
            self.assertEqual(acks["y"]["status"], "rejected")

            with self.assertRaises(websockets.ConnectionClosed) as cm:  # > 1 MiB: 1009
                async with connect(self.rt.url, max_size=None) as ws:
                    await recv_json(ws)
                    await ws.send("x" * ((1 << 20) + 10))
                    await asyncio.wait_for(ws.recv(), T)
            self.assertEqual(cm.exception.code, 1009)

            async with connect(self.rt.url) as ws:  # exactly 1 MiB is accepted
                await recv_json(ws)
                pad = " " * ((1 << 20) - 60)
                await ws.send('{"type":"command","id":"big","action":"nope"}' + pad)
                await ws.send(json.dumps({"type": "subscribe", "since": self.rt.last_seq}))
                await recv_json(ws)

            with self.assertRaises(websockets.ConnectionClosed) as cm:  # binary: 1003
                async with connect(self.rt.url) as ws:
                    await recv_json(ws)
                    await ws.send(b"\x00\x01binary")
                    while True:
                        await asyncio.wait_for(ws.recv(), T)
            self.assertEqual(cm.exception.code, 1003)

            with self.assertRaises(websockets.ConnectionClosed) as cm:  # bad since: 4000
                async with connect(self.rt.url) as ws:
                    await recv_json(ws)
                    await ws.send(json.dumps({"type": "subscribe", "since": "yesterday"}))
                    while True:
                        await asyncio.wait_for(ws.recv(), T)
            self.assertEqual(cm.exception.code, 4000)

        before = count[0]
        run(go())
        ring = [json.loads(d) for _, d in self.rt._log.ring]
        self.assertTrue(any(m["type"] == "ack" and m["command"] == "big" for m in ring))
        wait_for(lambda: count[0] > before + 10, what="agent thread keeps reporting")
        self.assertTrue(th.is_alive())
        self.assertGreaterEqual(self.rt.stats["protocol_errors"], 8)

    def test_client_that_never_reads_is_dropped_not_waited_for(self):
        rt = Runtime("slow", port=0, sample_interval=0, client_queue=200).start()
        self.addCleanup(rt.stop)
        a = rt.agent("flood")
        s = raw_subscribe(rt.port, "/swarmtop")
        self.addCleanup(s.close)
        wait_for(lambda: rt._log.subs, what="subscription")
        done = threading.Event()

        def flood():
            for i in range(50000):
                a.log("x" * 200)
            done.set()

        th = threading.Thread(target=flood)
        th.start()
        th.join(60)
        self.assertTrue(done.is_set())  # the reporting thread was never blocked by the peer
        wait_for(lambda: rt.stats["slow_clients_dropped"] == 1, what="slow client dropped")
        wait_for(lambda: not rt._log.subs, what="slow client unsubscribed", timeout=30)

        async def fresh():  # the service still serves others
            async with connect(rt.url) as ws:
                h = await recv_json(ws)
                return h["last_seq"]
        self.assertGreaterEqual(run(fresh()), 50001)


def raw_subscribe(port, path):
    """A raw WebSocket client with a tiny receive buffer that subscribes and never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(T)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(1)
    assert buf.startswith(b"HTTP/1.1 101"), buf
    payload = json.dumps({"type": "subscribe", "since": 0}).encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    s.sendall(struct.pack("!BB", 0x81, 0x80 | len(payload)) + mask + masked)
    return s


class AuthTest(unittest.TestCase):
    def test_token_required_401_otherwise(self):
        rt = Runtime("auth", port=0, token="s3cret-token", sample_interval=0).start()
        self.addCleanup(rt.stop)

        async def go():
            for headers in ({}, {"Authorization": "Bearer wrong"},
                            {"Authorization": "s3cret-token"}):
                with self.assertRaises(websockets.InvalidStatusCode) as cm:
                    async with connect(rt.url, extra_headers=headers):
                        pass
                self.assertEqual(cm.exception.status_code, 401)
            async with connect(
                    rt.url, extra_headers={"Authorization": "Bearer s3cret-token"}) as ws:
                self.assertEqual((await recv_json(ws))["type"], "hello")
            with self.assertRaises(websockets.InvalidStatusCode) as cm:
                async with connect(
                        f"ws://127.0.0.1:{rt.port}/elsewhere",
                        extra_headers={"Authorization": "Bearer s3cret-token"}):
                    pass
            self.assertEqual(cm.exception.status_code, 404)

        run(go())
        self.assertEqual(rt.stats["auth_failures"], 3)

    def test_bind_error_is_raised_and_restart_is_new_instance(self):
        rt = Runtime("r", port=0, sample_interval=0).start()
        try:
            with self.assertRaises(OSError):
                Runtime("r2", port=rt.port, sample_interval=0).start()
        finally:
            rt.stop()
        rt.agent("kept")
        first = rt.instance
        rt.start()
        self.addCleanup(rt.stop)
        self.assertNotEqual(rt.instance, first)
        self.assertEqual(rt._log.ring[0][0], 1)  # seq starts again at 1 ...
        self.assertIn('"kept"', rt._log.ring[0][1])  # ... re-announcing the state


if __name__ == "__main__":
    unittest.main()
