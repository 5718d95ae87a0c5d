#!/usr/bin/python3
"""A hostile protocol-v1 runtime for swarmtop's integration tests.

Speaks enough of protocol v1 (hello, subscribe with since, replay of what the
client lacks) to be resumable, and interleaves, once each over the whole run:
invalid JSON, non-objects, wrong types, 100 000-deep nesting, a binary message
(the client must close 1003), a 2 MiB message (the client must close 1009),
terminal escape sequences in names, a dependency cycle, duplicate and
backwards seqs, an unknown type and a fragmented message, between VALID events
seq 1..N. Every valid event must end up stored exactly once.

Usage: hostile_server.py --port P [--token T] [--log FILE] [--mode hostile|plain]
                         [--tls-cert PEM --tls-key PEM] [--hello-last-seq N]
  --log FILE  one line per connection ("connect"), per subscribe ("since N"),
              and "done" after the whole script has been sent.
  --mode plain: only valid events (N of them, 1 per 20 ms), for auth tests.
  --mode bigflood: every connection gets one valid event, then a 2 MiB message.
"""
import argparse
import asyncio
import json
import sys
import time
from http import HTTPStatus

import websockets

ESC = "\x1b"
N_VALID = 40


def now_ms():
    return int(time.time() * 1000)


def valid_event(seq):
    """The valid event with this seq (deterministic content)."""
    ts = 1764300000000 + seq
    if seq == 7:  # escape sequences and bidi tricks in names and text
        return {"type": "agent", "seq": seq, "ts": ts, "agent": {
            "id": "evil", "name": ESC + "[2J" + ESC + "]0;pwned\x07evil\u202ename",
            "status": "working"}}
    if seq == 8:
        return {"type": "message", "seq": seq, "ts": ts, "agent": "evil", "id": "m1",
                "role": "assistant", "text": "hi " + ESC + "[31mred\r\x08\x9b2Jend"}
    if seq == 9:  # a dependency cycle a -> b -> a
        return {"type": "task", "seq": seq, "ts": ts, "task": {
            "id": "a", "agent": "evil", "name": "cycle a", "deps": ["b"]}}
    if seq == 10:
        return {"type": "task", "seq": seq, "ts": ts, "task": {
            "id": "b", "agent": "evil", "name": "cycle b", "deps": ["a"]}}
    if seq == 12:  # an unknown type: skipped and counted, still part of the sequence
        return {"type": "x-future", "seq": seq, "ts": ts, "whatever": [1, 2, 3]}
    if seq == 13:  # an over-long name: truncated, never rejected
        return {"type": "agent", "seq": seq, "ts": ts, "agent": {
            "id": "long", "name": "n" * 5000, "status": "idle"}}
    if seq % 3 == 0:
        return {"type": "log", "seq": seq, "ts": ts, "level": "info",
                "text": "valid log %d" % seq, "agent": "evil", "task": None}
    return {"type": "task", "seq": seq, "ts": ts, "task": {
        "id": "t-%d" % seq, "agent": "evil", "name": "task %d" % seq,
        "status": "working", "attempt": 1}}


def text(o):
    return json.dumps(o, separators=(",", ":"))


# The script: ("valid", seq) or ("hostile", name, payload). Hostile items are sent once.
def build_script():
    deep = '{"type":"log","seq":999,"ts":1,"level":"info","text":"x","n":' + \
        "[" * 100000 + "]" * 100000 + "}"
    big = '{"type":"log","seq":998,"ts":1,"level":"info","text":"' + "A" * (2 << 20) + '"}'
    items = []
    hostile = {
        2: ("invalid-json", '{"type":"task","seq":'),
        3: ("not-object", "[1,2,3]"),
        4: ("wrong-types", '{"type":"task","seq":"four","ts":"yesterday","task":{"id":5}}'),
        5: ("missing-seq", '{"type":"log","ts":1,"level":"info","text":"no seq"}'),
        6: ("deep-nesting", deep),
        11: ("bad-status", '{"type":"task","seq":11,"ts":1,"task":{"id":"z","status":"zzz"}}'),
        14: ("duplicate", "DUP"),
        15: ("backwards", "BACK"),
        20: ("binary", b"\x00\x01binary\xff"),
        25: ("fragmented", "FRAG"),
        30: ("too-big", big),
    }
    for seq in range(1, N_VALID + 1):
        if seq in hostile:
            items.append(("hostile",) + hostile[seq])
        items.append(("valid", seq))
    return items


class State:
    def __init__(self, args):
        self.args = args
        self.sent_hostile = set()
        self.instance = args.instance
        self.log = open(args.log, "a", buffering=1) if args.log else None

    def note(self, line):
        if self.log:
            self.log.write(line + "\n")


async def handler(ws, path=None):
    st = STATE
    st.note("connect")
    if st.args.close_1008:
        await ws.close(code=1008, reason="unauthorized: bad token")
        return
    hello = {"type": "hello", "proto": 1,
             "runtime": {"id": "hostile", "instance": st.instance, "name": "Hostile " + ESC +
                         "[5mruntime", "lang": "python"},
             "capabilities": ["pause", "resume"],
             "last_seq": N_VALID if st.args.hello_last_seq is None else st.args.hello_last_seq}
    await ws.send(text(hello))
    try:
        sub = json.loads(await asyncio.wait_for(ws.recv(), 10))
        since = int(sub.get("since", 0))
    except Exception as e:  # noqa: BLE001 - any failure ends this connection
        st.note("bad subscribe %r" % (e,))
        return
    st.note("since %d" % since)
    try:
        if st.args.mode == "bigflood":
            # One valid event, then a 2 MiB message the client must refuse (1009).
            st.big = getattr(st, "big", 0) + 1
            await ws.send(text(valid_event(1)))
            await ws.send('{"type":"log","seq":2,"ts":1,"level":"info","text":"' +
                          "B" * (2 << 20) + '"}')
            st.note("big %d" % st.big)
            await asyncio.wait_for(ws.wait_closed(), 10)
            return
        if st.args.mode == "plain":
            for seq in range(since + 1, N_VALID + 1):
                await ws.send(text(valid_event(seq)))
                await asyncio.sleep(0.02)
            st.note("done")
            await ws.wait_closed()
            return
        frag_next = False
        for item in SCRIPT:
            if item[0] == "valid":
                if item[1] > since:
                    if frag_next:
                        await send_fragmented(ws, text(valid_event(item[1])))
                        frag_next = False
                    else:
                        await ws.send(text(valid_event(item[1])))
                continue
            name, payload = item[1], item[2]
            if name in st.sent_hostile:
                continue
            st.sent_hostile.add(name)
            st.note("hostile " + name)
            if payload == "DUP":
                await ws.send(text(valid_event(max(1, min(since, 13)))))
            elif payload == "BACK":
                ev = valid_event(1)
                ev["task"]["name"] = "backwards"
                await ws.send(text(ev))
            elif payload == "FRAG":
                frag_next = True  # the next valid event goes out in 7-byte frames
            else:
                await ws.send(payload)
                if name in ("binary", "too-big"):
                    # The client closes on these; wait for it.
                    await asyncio.wait_for(ws.wait_closed(), 10)
                    return
        st.note("done")
        await ws.wait_closed()
    except websockets.ConnectionClosed:
        return


async def send_fragmented(ws, s):
    await ws.send([s[i:i + 7] for i in range(0, len(s), 7)])


def process_request(path, headers):
    tok = STATE.args.token
    if tok is None:
        return None
    if headers.get("Authorization") != "Bearer " + tok:
        STATE.note("connect-unauthorized")
        return (HTTPStatus.UNAUTHORIZED, [("Content-Type", "text/plain")], b"unauthorized\n")
    return None


async def main():
    ctx = None
    if STATE.args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(STATE.args.tls_cert, STATE.args.tls_key)
    async with websockets.serve(handler, "127.0.0.1", STATE.args.port, ssl=ctx,
                                subprotocols=["swarmtop.v1"], max_size=None,
                                process_request=process_request, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--token")
    ap.add_argument("--log")
    ap.add_argument("--instance", default="h1")
    ap.add_argument("--mode", default="hostile", choices=["hostile", "plain", "bigflood"])
    ap.add_argument("--close-1008", action="store_true",
                    help="accept the handshake, then close with 1008 (policy) at once")
    ap.add_argument("--tls-cert", help="serve wss:// with this PEM certificate")
    ap.add_argument("--tls-key", help="and this PEM key")
    ap.add_argument("--hello-last-seq", type=int, default=None,
                    help="last_seq announced in hello (default N); 0 makes live-only "
                         "clients (tail, ctl) get the whole script")
    STATE = State(ap.parse_args())
    SCRIPT = build_script()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
