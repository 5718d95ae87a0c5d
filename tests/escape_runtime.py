#!/usr/bin/python3
"""A protocol-v1 runtime whose every displayed field carries the escape corpus.

Usage: escape_runtime.py --port P --corpus DIR
Each file of DIR (tests/fixtures/escapes/*.bin, decoded as UTF-8 with surrogateescape
replaced by U+FFFD where not encodable... the raw bytes are sent as JSON \\u escapes of
their code points, so C1, BEL, ESC and invalid UTF-8 (as U+FFFD or lone surrogates) reach
the client) becomes agent k: its id, name, role and model; a task of it (name, kind, error,
input); a message, a log line, a usage record (provider, model) and a thread name. The
runtime's name, host and language carry payloads too. Then a log line with a payload every
100 ms, forever.
"""
import argparse
import asyncio
import json
import os

import websockets


def payloads(d):
    out = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".bin"):
            b = open(os.path.join(d, f), "rb").read()
            # latin-1 keeps every byte as a code point: raw C1 bytes become U+0080..U+009F;
            # a second copy decoded as UTF-8 keeps the multi-byte tricks (bidi, tags).
            out.append(b.decode("utf-8", "replace"))
            out.append(b.decode("latin-1"))
    return out


def events(ps):
    seq = 0
    ts = 1764300000000

    def ev(d):
        nonlocal seq
        seq += 1
        d["seq"] = seq
        d["ts"] = ts + seq
        return d
    out = []
    for k, p in enumerate(ps):
        aid = "a%d%s" % (k, p[:20])
        tid = "t%d%s" % (k, p[:20])
        out.append(ev({"type": "agent", "agent": {"id": aid, "name": "A%d %s" % (k, p),
                   "role": p, "model": p, "status": "working"}}))
        out.append(ev({"type": "task", "task": {"id": tid, "agent": aid, "name": "T%d %s" % (k, p),
                   "kind": p, "status": "failed", "deps": [], "error": "E%d %s" % (k, p),
                   "input": p, "output": p, "attempt": 1}}))
        out.append(ev({"type": "message", "agent": aid, "task": tid, "id": "m%d" % k,
                   "role": "assistant", "text": "M%d %s" % (k, p)}))
        out.append(ev({"type": "log", "level": "error", "text": "L%d %s" % (k, p), "agent": aid,
                   "task": tid}))
        out.append(ev({"type": "usage", "agent": aid, "task": tid, "provider": p, "model": p,
                   "input_tokens": 100 + k, "output_tokens": 10, "cost_usd": None}))
        out.append(ev({"type": "threads", "interval_ms": 1000, "cores": [0.5, 0.25],
                   "threads": [{"tid": 1000 + k, "name": p, "core": 0, "cpu": 0.5,
                                "agent": aid}]}))
    return out, seq


async def handler(ws, path=None):
    ps = STATE["ps"]
    hello = {"type": "hello", "proto": 1,
             "runtime": {"id": "evil", "instance": "i1", "name": "R " + ps[0] + ps[1],
                         "host": ps[2], "lang": ps[3], "lang_version": ps[4], "cores": 2},
             "capabilities": ["pause", "resume", "retry", "cancel", "inject"], "last_seq": 0}
    await ws.send(json.dumps(hello))
    try:
        await asyncio.wait_for(ws.recv(), 10)  # subscribe
        evs, seq = events(ps)
        for e in evs:
            await ws.send(json.dumps(e))
        k = 0
        while True:
            await asyncio.sleep(0.1)
            seq += 1
            await ws.send(json.dumps({"type": "log", "seq": seq, "ts": 1764300000000 + seq,
                                      "level": "warn", "text": "tick " + ps[k % len(ps)]}))
            k += 1
    except (websockets.ConnectionClosed, asyncio.TimeoutError):
        return


async def main(port):
    async with websockets.serve(handler, "127.0.0.1", port, subprotocols=["swarmtop.v1"],
                                max_size=None, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--corpus", required=True)
    a = ap.parse_args()
    STATE = {"ps": payloads(a.corpus)}
    try:
        asyncio.run(main(a.port))
    except KeyboardInterrupt:
        pass
