"""The protocol v1 WebSocket server, on its own thread with its own asyncio loop.

Owns: the opening handshake (path, bearer-token check answering HTTP 401), hello, subscribe
(replay or snapshot, then the live queue), command dispatch, and closing misbehaving peers
(binary 1003, too big 1009 via the library's max_size, slow 1013, bad subscribe 4000).
Every byte from a client is hostile: anything unparseable is counted and ignored.
Must not: block or slow the application's threads; they only append to queues under the log
lock and at most schedule one wake-up per drain.
"""

import asyncio
import hmac
from http import HTTPStatus
import json
import logging
import threading

import websockets

from ._log import Subscriber

log = logging.getLogger("swarmtop_runtime")
SLOW_CLOSE = 1013


class _Conn:
    """Per-connection state."""

    __slots__ = ("ws", "sub", "sender", "event", "closing")

    def __init__(self, ws):
        self.ws = ws
        self.sub = None
        self.sender = None
        self.event = asyncio.Event()
        self.closing = False


class Server:
    """Runs websockets.serve() for one Runtime in a daemon thread."""

    def __init__(self, rt):
        self.rt = rt
        self.loop = None
        self.port = None
        self._thread = None
        self._ready = threading.Event()
        self._error = None
        self._stop = None
        self.conns = set()

    def start(self):
        """Start the thread and wait until listening; raise what binding raised."""
        self._thread = threading.Thread(target=self._run, name="swarmtop-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join(timeout=5)
            raise self._error

    def stop(self):
        """Close every connection (1001) and the listener, and join the thread."""
        loop = self.loop
        if loop is not None and self._stop is not None:
            try:
                loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self):
        """Thread body: a private event loop running _main()."""
        loop = asyncio.new_event_loop()
        self.loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as e:  # report startup failures to start()
            if not self._ready.is_set():
                self._error = e
                self._ready.set()
        finally:
            try:
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _main(self):
        """Listen until stop() is called."""
        rt = self.rt
        self._stop = asyncio.Event()
        try:
            server = await websockets.serve(
                self._handler, rt.host, rt.port, process_request=self._process_request,
                subprotocols=["swarmtop.v1"], max_size=rt.max_message, max_queue=16,
                ping_interval=rt.ping_interval, ping_timeout=rt.ping_timeout,
                close_timeout=2, compression=None,
                logger=logging.getLogger("swarmtop_runtime.ws"))
        except BaseException as e:
            self._error = e
            self._ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        await server.wait_closed()

    async def _process_request(self, path, headers):
        """Handshake gate: the bearer token (401 otherwise) and the path (404 otherwise)."""
        tok = self.rt._token
        if tok is not None:
            got = headers.get("Authorization", "")
            want = "Bearer " + tok
            if not hmac.compare_digest(got.encode("utf-8", "replace"), want.encode("utf-8")):
                self.rt.stats["auth_failures"] += 1
                return (HTTPStatus.UNAUTHORIZED, [("WWW-Authenticate", 'Bearer realm="swarmtop"'),
                              ("Content-Type", "text/plain")], b"401 unauthorized\n")
        p = path.split("?", 1)[0].rstrip("/") or "/"
        if p not in (self.rt.path.rstrip("/") or "/", "/"):
            return (HTTPStatus.NOT_FOUND, [("Content-Type", "text/plain")], b"404 not found\n")
        return None

    def _wake(self, sub):
        """From any thread: schedule a drain of this subscriber's queue."""
        self.loop.call_soon_threadsafe(self._wake_in_loop, sub)

    def _wake_in_loop(self, sub):
        """On the loop: wake the sender; a subscriber that overflowed is dropped right away."""
        c = sub.conn
        c.event.set()
        if sub.overflow and not c.closing:
            c.closing = True
            self.rt.stats["slow_clients_dropped"] += 1
            if c.sender is not None:
                c.sender.cancel()
            asyncio.ensure_future(self._close(c.ws, SLOW_CLOSE, "client too slow: send queue "
                                                               "overflow, reconnect and resume"))

    @staticmethod
    async def _close(ws, code, reason):
        """Close a slow connection: a close frame if it goes out within a second, else abort."""
        try:
            await asyncio.wait_for(ws.close(code, reason), 1.0)
        except Exception:
            pass
        if ws.transport is not None and not ws.transport.is_closing():
            ws.transport.abort()

    async def _handler(self, ws, path=None):
        """One connection: hello, then read messages until it closes."""
        c = _Conn(ws)
        self.conns.add(c)
        self.rt.stats["connections"] += 1
        try:
            await ws.send(self.rt._hello_json())
            async for msg in ws:
                if not isinstance(msg, str):
                    self.rt.stats["protocol_errors"] += 1
                    await ws.close(1003, "binary messages are not protocol v1")
                    break
                if not await self._on_text(c, msg):
                    break
        except websockets.ConnectionClosed:
            pass
        except Exception:  # a bug here must not take the server down
            log.exception("swarmtop connection handler failed")
        finally:
            self.conns.discard(c)
            if c.sub is not None:
                self.rt._log.unsubscribe(c.sub)
            if c.sender is not None:
                c.sender.cancel()

    async def _on_text(self, c, text):
        """Handle one text message; False when the connection was closed."""
        rt = self.rt
        try:
            msg = json.loads(text)
        except (ValueError, RecursionError):
            rt.stats["protocol_errors"] += 1
            return True
        if not isinstance(msg, dict):
            rt.stats["protocol_errors"] += 1
            return True
        kind = msg.get("type")
        if kind == "subscribe":
            if c.sub is not None:
                rt.stats["protocol_errors"] += 1  # exactly once: later ones are ignored
                return True
            since = msg.get("since", 0)
            if isinstance(since, bool) or not isinstance(since, int) or since < 0:
                rt.stats["protocol_errors"] += 1
                await ws_close(c.ws, 4000, "subscribe.since must be a non-negative integer")
                return False
            sub = Subscriber(rt.client_queue, self._wake)
            sub.conn = c
            c.sub = sub
            pre = rt._log.subscribe(since, sub)
            c.sender = asyncio.ensure_future(self._sender(c, pre))
            return True
        if kind == "command":
            try:
                ok = rt._command(msg)
            except Exception:
                log.exception("swarmtop command failed")
                ok = False
            if not ok:
                rt.stats["protocol_errors"] += 1
            return True
        rt.stats["unknown_messages"] += 1
        return True

    async def _sender(self, c, pre):
        """Send the replay (or snapshot), then live events as they are queued."""
        ws, sub, log_ = c.ws, c.sub, self.rt._log
        try:
            for data in pre:
                await ws.send(data)
            while True:
                items, overflow = log_.take(sub)
                if overflow:
                    return  # _wake_in_loop closes the connection
                for data in items:
                    await ws.send(data)
                if not items:
                    await c.event.wait()
                    c.event.clear()
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass


async def ws_close(ws, code, reason):
    """Close with a code and reason, ignoring errors."""
    try:
        await ws.close(code, reason)
    except Exception:
        pass
