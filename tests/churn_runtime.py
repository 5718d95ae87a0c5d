#!/usr/bin/python3
"""A protocol-v1 runtime whose agents churn, to test the bounded agent table.

Usage: churn_runtime.py --port P --flag FILE --log FILE [--old N] [--new N]
Sends hello, N finished agents "old-K", then two working agents "keeper" (Keeper) and
"zz-tagged" (Tagged). Once FILE exists, it sends N more finished agents "new-K" (enough to
make the client forget the oldest finished ones) and then a log line "churn done". Every
command it receives is appended to --log as one JSON line and acked "applied".
"""
import argparse
import asyncio
import json
import os

import websockets

TS = 1764300000000


async def handler(ws, path=None):
    seq = 0

    def ev(d):
        nonlocal seq
        seq += 1
        d["seq"] = seq
        d["ts"] = TS + seq
        return json.dumps(d)

    def agent(aid, name, status):
        return ev({"type": "agent", "agent": {"id": aid, "name": name, "role": "worker",
                                              "model": "m-1", "status": status}})
    hello = {"type": "hello", "proto": 1,
             "runtime": {"id": "churn", "instance": "i1", "name": "churn", "cores": 2},
             "capabilities": ["pause", "resume", "retry", "cancel", "inject"], "last_seq": 0}
    await ws.send(json.dumps(hello))
    try:
        await asyncio.wait_for(ws.recv(), 10)  # subscribe
        for k in range(A.old):
            await ws.send(agent("old-%d" % k, "Old %d" % k, "completed"))
        await ws.send(agent("keeper", "Keeper", "working"))
        await ws.send(agent("zz-tagged", "Tagged", "working"))
        sent = False
        while True:
            try:
                msg = await asyncio.wait_for(ws.recv(), 0.2)
            except asyncio.TimeoutError:
                msg = None
            if msg is not None:
                with open(A.log, "a") as f:
                    f.write(msg.strip() + "\n")
                c = json.loads(msg)
                if c.get("type") == "command":
                    await ws.send(ev({"type": "ack", "command": c.get("id"),
                                      "status": "applied"}))
            if not sent and os.path.exists(A.flag):
                for k in range(A.new):
                    await ws.send(agent("new-%d" % k, "New %d" % k, "completed"))
                await ws.send(ev({"type": "log", "level": "info", "text": "churn done"}))
                sent = True
    except websockets.ConnectionClosed:
        return


async def main():
    async with websockets.serve(handler, "127.0.0.1", A.port, subprotocols=["swarmtop.v1"],
                                max_size=None, ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--flag", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--old", type=int, default=100)
    ap.add_argument("--new", type=int, default=700)
    A = ap.parse_args()
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
