#!/usr/bin/env python3
"""fleet_runtime.py: a minimal protocol-v1 runtime for the benchmarks (not a simulation).

Owns: a WebSocket server on 127.0.0.1 that sends `hello` on every connection and, after the
client's `subscribe`, an optional fixed population: --agents N agent upserts (a tree, 10 %
failed), --tasks N task upserts with deps, one usage delta per agent, one threads sample and
--lines N conversation messages of about 200 bytes (enough to fill the dashboard's message
ring). Then it sends nothing more: with the defaults (no population) it is the idle runtime of
the idle-CPU and startup benchmarks. Commands are answered with a rejected ack.

Prints "fleet: listening on ws://127.0.0.1:PORT/swarmtop" on stdout once ready.

    /usr/bin/python3 bench/fleet_runtime.py [--port 0] [--agents N --tasks N --lines N]
"""

import argparse
import asyncio
import json
import os
import sys
import time

import websockets


def population(args):
    """The population as JSON texts with seqs 1..n (each one event)."""
    out = []
    ts = int(time.time() * 1000) - 60000
    seq = 0

    def ev(typ, **body):
        nonlocal seq, ts
        seq += 1
        ts += 1
        d = {"type": typ, "seq": seq, "ts": ts}
        d.update(body)
        out.append(json.dumps(d, separators=(",", ":")))

    for i in range(args.agents):
        ev("agent", agent={
            "id": f"agent-{i:04d}", "name": f"worker {i:04d}", "role": "benchmark worker",
            "model": "gpt-4o" if i % 2 else "claude-sonnet-4",
            "parent": f"agent-{i // 10:04d}" if i else None,
            "status": "failed" if i % 10 == 3 else ("idle" if i % 7 == 0 else "working")})
    for i in range(args.tasks):
        deps = [f"task-{i - 1 - k:05d}" for k in range(i % 3) if i - 1 - k >= 0]
        ev("task", task={
            "id": f"task-{i:05d}", "agent": f"agent-{i % max(args.agents, 1):04d}",
            "name": f"step {i % 10} of job {i // 10}", "kind": "tool",
            "status": "working" if i % 3 == 0 else "completed", "deps": deps,
            "parent": f"task-{i // 10:05d}" if i >= 10 else None, "attempt": 1,
            "error": None, "input": "query=benchmark", "output": None})
    for i in range(args.agents):
        ev("usage", agent=f"agent-{i:04d}", task=f"task-{i:05d}",
           provider="openai" if i % 2 else "anthropic",
           model="gpt-4o" if i % 2 else "claude-sonnet-4", input_tokens=1000 + i,
           output_tokens=100 + i, cache_read_tokens=0, cache_write_tokens=0,
           reasoning_tokens=0, cost_usd=None)
    if args.agents:
        ev("threads", interval_ms=1000, cores=[(k * 37 % 100) / 100 for k in range(64)],
           threads=[{"tid": 1000 + i, "name": f"w-{i}", "core": i % 64,
                     "cpu": (i % 100) / 100, "agent": f"agent-{i % args.agents:04d}"}
                    for i in range(min(args.agents, 1000))])
    text = ("Comparing the EU and US price lists; the EU list has three tiers and a volume "
            "discount above 10k seats, the US list two tiers and none. Next: shipping terms. ")
    for i in range(args.lines):
        ev("message", agent=f"agent-{i % max(args.agents, 1):04d}",
           task=f"task-{i % max(args.tasks, 1):05d}", id=f"m-{i}",
           role="assistant", text=f"{i}: {text}")
    return out


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--agents", type=int, default=0)
    ap.add_argument("--tasks", type=int, default=0)
    ap.add_argument("--lines", type=int, default=0)
    args = ap.parse_args()
    events = population(args)
    hello = json.dumps({
        "type": "hello", "proto": 1,
        "runtime": {"id": "bench-fleet", "instance": f"{os.getpid():x}", "name": "bench fleet",
                    "host": "bench", "pid": os.getpid(), "lang": "python", "cores": 64},
        "capabilities": [], "last_seq": len(events)})

    async def serve(ws, path=None):
        await ws.send(hello)
        async for raw in ws:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("type") == "subscribe":
                since = msg.get("since", 0) if isinstance(msg.get("since"), int) else 0
                for i in range(max(since, 0), len(events), 500):
                    for e in events[i:i + 500]:
                        await ws.send(e)
            elif msg.get("type") == "command":
                pass   # read-only runtime (no capabilities): nothing to answer

    server = await websockets.serve(serve, "127.0.0.1", args.port, max_size=1 << 20,
                                    compression=None)
    port = server.sockets[0].getsockname()[1]
    print(f"fleet: listening on ws://127.0.0.1:{port}/swarmtop", flush=True)
    await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
