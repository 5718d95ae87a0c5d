#!/usr/bin/env python3
"""ref_python.py: the Python reference subscriber for the ingest benchmark.

What a competent user would write instead of `swarmtop record`: asyncio + websockets + json +
sqlite3. It does the same job: connect, read `hello`, send `subscribe` (since 0), parse every
message with json.loads, and store every message (hello included) in SQLite with the same
schema shape as swarmtop's store (an `events` table of columns seq, ts, recv_ms, type plus the
raw JSON text, a unique (stream, seq) index, INSERT OR IGNORE for duplicates), the same batching
(a transaction per 1000 events or 100 ms, whichever comes first, executemany per batch) and the
same durability settings (WAL, synchronous=NORMAL, 16 MiB page cache). Runs until SIGTERM or
SIGINT, then commits what it holds and exits.

    /usr/bin/python3 bench/ref_python.py --db PATH URL
"""

import argparse
import asyncio
import json
import signal
import sqlite3
import time

import websockets

BATCH_EVENTS = 1000
BATCH_SECONDS = 0.1

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (id INTEGER PRIMARY KEY, runtime_id TEXT NOT NULL,
    instance TEXT NOT NULL, UNIQUE (runtime_id, instance));
CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, session INTEGER NOT NULL,
    stream INTEGER NOT NULL, seq INTEGER, ts INTEGER, recv_ms INTEGER NOT NULL,
    type TEXT NOT NULL, raw TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_seq ON events (stream, seq);
"""


class Writer:
    """Batches rows and commits them with executemany in one transaction."""

    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA cache_size = -16384")
        self.db.executescript(SCHEMA)
        self.rows = []
        self.first = 0.0

    def stream(self, runtime_id, instance):
        """The stream id of a runtime instance (created on first sight)."""
        self.db.execute("INSERT OR IGNORE INTO streams (runtime_id, instance) VALUES (?, ?)",
                        (runtime_id, instance))
        return self.db.execute("SELECT id FROM streams WHERE runtime_id = ? AND instance = ?",
                               (runtime_id, instance)).fetchone()[0]

    def add(self, row):
        """Queue one row; commit when the batch is full."""
        if not self.rows:
            self.first = time.monotonic()
        self.rows.append(row)
        if len(self.rows) >= BATCH_EVENTS:
            self.flush()

    def flush(self):
        """Commit the batch (one transaction)."""
        if not self.rows:
            return
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR IGNORE INTO events (session, stream, seq, ts, recv_ms, "
                            "type, raw) VALUES (1, ?, ?, ?, ?, ?, ?)", self.rows)
        self.db.execute("COMMIT")
        self.rows = []


async def run(url, w, stop):
    """Subscribe and store until stop is set (then close the socket)."""
    async with websockets.connect(url, max_size=1 << 20, compression=None) as ws:
        raw = await ws.recv()
        hello = json.loads(raw)
        rt = hello["runtime"]
        sid = w.stream(rt["id"], rt["instance"])
        w.add((sid, None, None, int(time.time() * 1000), "hello", raw))
        await ws.send(json.dumps({"type": "subscribe", "since": 0}))

        async def ticker():
            while True:
                await asyncio.sleep(BATCH_SECONDS / 2)
                if w.rows and time.monotonic() - w.first >= BATCH_SECONDS:
                    w.flush()

        async def closer():
            await stop.wait()
            await ws.close()

        tasks = [asyncio.ensure_future(ticker()), asyncio.ensure_future(closer())]
        try:
            async for raw in ws:
                if isinstance(raw, bytes):
                    continue
                try:
                    m = json.loads(raw)
                    row = (sid, m["seq"], m["ts"], int(time.time() * 1000), m["type"], raw)
                except (ValueError, KeyError, TypeError):
                    continue
                w.add(row)
                if time.monotonic() - w.first >= BATCH_SECONDS:
                    w.flush()
        except websockets.ConnectionClosed:
            pass
        finally:
            for t in tasks:
                t.cancel()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("url")
    args = ap.parse_args()
    w = Writer(args.db)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    try:
        loop.run_until_complete(run(args.url, w, stop))
    finally:
        w.flush()
        w.db.close()


if __name__ == "__main__":
    main()
