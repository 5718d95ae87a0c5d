"""agui_server.py: a WebSocket server that plays recorded AG-UI 1.0 streams.

    /usr/bin/python3 agui_server.py PORT FIXTURE_DIR

ws://127.0.0.1:PORT/NAME sends every line of FIXTURE_DIR/NAME.jsonl as one text
message, in order, then keeps the connection open (an AG-UI stream cannot be
resumed: a reconnect would play it again). Unknown names are closed with 1008.
"""
import asyncio
import os
import sys

import websockets


async def main():
    port, fixtures = int(sys.argv[1]), sys.argv[2]

    async def play(ws, path=None):
        path = path or getattr(getattr(ws, "request", None), "path", None) or ws.path
        name = os.path.basename(path.strip("/"))
        file = os.path.join(fixtures, name + ".jsonl")
        if not name or not os.path.isfile(file):
            await ws.close(1008, "no such stream")
            return
        with open(file, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    await ws.send(line.rstrip("\n"))
        try:
            await ws.wait_closed()
        except Exception:
            pass

    async with websockets.serve(play, "127.0.0.1", port, max_size=None):
        await asyncio.Future()


asyncio.run(main())
