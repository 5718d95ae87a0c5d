#!/usr/bin/python3
"""demo_client.py: a small protocol-v1 client for the demo runtime's integration tests.

Each scenario connects to a running `swarmtop demo`, drives it, asserts on what
comes back and exits 0 (pass) or 1 with "FAIL: why" on stderr. Every wait is
bounded. Usage: demo_client.py SCENARIO URL [--token T] [--expect-instance ID] ...
"""
import argparse
import asyncio
import json
import os
import sys

import websockets

TIMEOUT = 20.0
PFX = os.urandom(3).hex() + "-"   # command ids are unique per run (repeats are idempotent)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.stderr.flush()
    os._exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


async def connect(args, **kw):
    headers = {}
    if args.token:
        headers["Authorization"] = "Bearer " + args.token
    return await websockets.connect(args.url, subprotocols=["swarmtop.v1"],
                                    extra_headers=headers, max_size=None, max_queue=None,
                                    **kw)


async def recv_within(ws, timeout):
    """ws.recv() bounded in time (asyncio.wait_for makes websockets 10.4 crawl)."""
    async with asyncio.timeout(timeout):
        return await ws.recv()


async def recv_json(ws, timeout=TIMEOUT):
    raw = await recv_within(ws, timeout)
    check(isinstance(raw, str), "runtime sent a binary message")
    msg = json.loads(raw)
    check(isinstance(msg, dict), "message is not an object")
    return msg, raw


async def hello_and_subscribe(args, since=0):
    ws = await connect(args)
    hello, _ = await recv_json(ws)
    check(hello.get("type") == "hello", "first message is not hello: %r" % hello)
    if since is not None:
        await ws.send(json.dumps({"type": "subscribe", "since": since}))
    return ws, hello


def mentions(ev, agent):
    """Does an event (other than a threads sample or an ack) concern this agent?"""
    t = ev.get("type")
    if t in ("threads", "ack", "snapshot"):
        return False
    if ev.get("agent") == agent:
        return True
    if t == "agent" and ev["agent"].get("id") == agent:
        return True
    if t == "task" and ev["task"].get("agent") == agent:
        return True
    return False


class Stream:
    """Events of one subscribed connection, with seq contiguity checked."""

    def __init__(self, ws, first_seq=None):
        self.ws = ws
        self.next = first_seq
        self.seen = []

    async def get(self, timeout=TIMEOUT):
        ev, raw = await recv_json(self.ws, timeout)
        check(ev.get("type") != "hello", "a second hello")
        seq = ev.get("seq")
        check(isinstance(seq, int) and seq >= 1, "bad seq in %r" % raw[:200])
        if self.next is not None:
            check(seq == self.next, "seq %d, expected %d" % (seq, self.next))
        self.next = seq + 1
        self.seen.append(ev)
        return ev

    async def until(self, pred, what, timeout=TIMEOUT):
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            left = end - loop.time()
            if left <= 0:
                fail("timed out waiting for " + what)
            try:
                ev = await self.get(left)
            except asyncio.TimeoutError:
                fail("timed out waiting for " + what)
            if pred(ev):
                return ev


async def live_stream(args):
    """Connect and subscribe from now on (since the hello's last_seq): the socket, a Stream."""
    ws, h = await hello_and_subscribe(args, None)
    await ws.send(json.dumps({"type": "subscribe", "since": h["last_seq"]}))
    return ws, Stream(ws, h["last_seq"] + 1)


async def command(stream, cid, action, target, **extra):
    msg = {"type": "command", "id": PFX + cid, "action": action, "target": target}
    msg.update(extra)
    await stream.ws.send(json.dumps(msg))


def is_ack(cid, status=None):
    return lambda ev: (ev["type"] == "ack" and ev["command"] == PFX + cid and
                       (status is None or ev["status"] == status))


# ---- scenarios ----

async def sc_hello(args):
    ws, h = await hello_and_subscribe(args, since=None)
    rt = h.get("runtime", {})
    check(h.get("proto") == 1, "proto is not 1")
    check(isinstance(rt.get("id"), str) and rt["id"], "runtime.id missing")
    check(isinstance(rt.get("instance"), str) and rt["instance"], "runtime.instance missing")
    if args.expect_instance:
        check(rt["instance"] == args.expect_instance, "instance %r" % rt["instance"])
    check(rt.get("lang") == "c", "lang is not c")
    check(rt.get("free_threaded") is True, "free_threaded is not true")
    check(rt.get("cores") == os.sysconf("SC_NPROCESSORS_ONLN"), "cores %r" % rt.get("cores"))
    check(rt.get("pid", 0) > 0, "pid")
    check(sorted(h.get("capabilities", [])) ==
          ["cancel", "inject", "pause", "resume", "retry"], "capabilities")
    check(isinstance(h.get("last_seq"), int) and h["last_seq"] >= 0, "last_seq")
    check(ws.subprotocol == "swarmtop.v1", "subprotocol %r" % ws.subprotocol)
    # Before subscribe, nothing but hello.
    try:
        extra = await recv_within(ws, 1.0)
        fail("runtime sent %r before subscribe" % extra[:100])
    except asyncio.TimeoutError:
        pass
    await ws.close()


async def sc_stream(args):
    """since=0 from two clients: contiguous from 1, identical bytes, all types valid."""
    n = args.count
    ws1, _ = await hello_and_subscribe(args, 0)
    ws2, _ = await hello_and_subscribe(args, 0)
    s1, s2 = Stream(ws1, 1), Stream(ws2, 1)
    raw1, raw2 = [], []
    types = set()
    for _ in range(n):
        ev = await s1.get()
        raw1.append(json.dumps(ev, sort_keys=True))
        types.add(ev["type"])
        check(isinstance(ev.get("ts"), int), "ts missing")
    for _ in range(n):
        raw2.append(json.dumps(await s2.get(), sort_keys=True))
    check(raw1 == raw2, "two clients saw different sequences")
    for t in ("agent", "task", "usage", "message", "log"):
        check(t in types, "no %s event in the first %d" % (t, n))
    await ws1.close()
    await ws2.close()


async def sc_resume(args):
    """subscribe since=N resumes at N+1 with the same events."""
    ws1, _ = await hello_and_subscribe(args, 0)
    s1 = Stream(ws1, 1)
    first = [json.dumps(await s1.get(), sort_keys=True) for _ in range(60)]
    await ws1.close()
    ws2, h = await hello_and_subscribe(args, 25)
    check(h["last_seq"] >= 60, "last_seq went back")
    s2 = Stream(ws2, 26)
    again = [json.dumps(await s2.get(), sort_keys=True) for _ in range(35)]
    check(again == first[25:60], "replayed events differ from the originals")
    await ws2.close()


async def sc_snapshot(args):
    """A small retention: since=0 gets a snapshot, then live events from snapshot.seq+1."""
    ws, h = await hello_and_subscribe(args, 0)
    check(h["last_seq"] > args.retain, "not enough events yet (%d)" % h["last_seq"])
    snap, raw = await recv_json(ws)
    check(snap.get("type") == "snapshot", "expected a snapshot, got %r" % raw[:120])
    check(snap["seq"] >= h["last_seq"], "snapshot seq %d < last_seq %d"
          % (snap["seq"], h["last_seq"]))
    ids = [a["id"] for a in snap.get("agents", [])]
    check("planner" in ids and "reviewer" in ids, "snapshot agents %r" % ids)
    check(len(snap.get("tasks", [])) > 0, "snapshot has no tasks")
    check(len(snap.get("usage", [])) > 0, "snapshot has no usage")
    s = Stream(ws, snap["seq"] + 1)
    for _ in range(20):
        await s.get()
    await ws.close()
    # since inside the retained window still replays.
    ws, h = await hello_and_subscribe(args, None)
    since = h["last_seq"] - 5
    await ws.send(json.dumps({"type": "subscribe", "since": since}))
    s = Stream(ws, since + 1)
    for _ in range(5):
        await s.get()
    await ws.close()


async def sc_pause(args):
    agent = args.agent
    ws, s = await live_stream(args)
    await s.until(lambda e: mentions(e, agent), "any event of %s" % agent)
    await command(s, "t-pause-1", "pause", {"agent": agent}, reason="test")
    acc = await s.until(is_ack("t-pause-1"), "an ack for the pause")
    check(acc["status"] == "accepted", "first ack is %r" % acc)
    saw_paused = [False]

    def applied(ev):
        if ev["type"] == "agent" and ev["agent"]["id"] == agent and \
                ev["agent"].get("status") == "paused":
            saw_paused[0] = True
        return is_ack("t-pause-1", "applied")(ev)
    await s.until(applied, "the applied ack of the pause")
    check(saw_paused[0], "no agent status 'paused' before the applied ack")
    # Quiet period: no events for the agent for 2 s.
    loop = asyncio.get_running_loop()
    end = loop.time() + 2.0
    count = 0
    while loop.time() < end:
        try:
            ev = await s.get(max(0.01, end - loop.time()))
        except asyncio.TimeoutError:
            break
        count += 1
        check(not mentions(ev, agent), "event for paused %s: %r" % (agent, ev))
    check(count > 0, "no events at all from the other agents while %s was paused" % agent)
    # Pausing again is applied at once; resuming an unpaused agent is rejected.
    await command(s, "t-pause-2", "pause", {"agent": agent})
    await s.until(is_ack("t-pause-2", "applied"), "the second pause applied")
    await command(s, "t-resume-1", "resume", {"agent": agent})
    acc = await s.until(is_ack("t-resume-1"), "an ack for the resume")
    check(acc["status"] == "accepted", "resume ack is %r" % acc)
    back = [False]

    def resumed(ev):
        back[0] = back[0] or mentions(ev, agent)
        return is_ack("t-resume-1", "applied")(ev)
    await s.until(resumed, "the resume applied")
    if not back[0]:
        await s.until(lambda e: mentions(e, agent), "an event of %s after resume" % agent)
    await command(s, "t-resume-2", "resume", {"agent": agent})
    rej = await s.until(is_ack("t-resume-2"), "an ack for the second resume")
    check(rej["status"] == "rejected" and "not paused" in rej.get("error", ""),
          "second resume: %r" % rej)
    # The whole runtime: applied only when every worker stopped; then resume all.
    await command(s, "t-pause-all", "pause", {})
    await s.until(is_ack("t-pause-all", "applied"), "pause all applied")
    await command(s, "t-resume-all", "resume", {})
    await s.until(is_ack("t-resume-all", "applied"), "resume all applied")
    await ws.close()


async def sc_inject(args):
    agent = args.agent
    text = "Use the EU price list."
    ws, s = await live_stream(args)
    await command(s, "t-inject-1", "inject", {"agent": agent}, text=text)
    await s.until(is_ack("t-inject-1", "accepted"), "inject accepted")
    # The accepted ack precedes the operator message, which precedes the answer.
    op = await s.until(lambda e: e["type"] == "message" and e["role"] == "operator",
                       "the operator message")
    check(op["agent"] == agent and op["text"] == text, "operator message %r" % op)
    reply = await s.until(lambda e: e["type"] == "message" and e["role"] == "assistant" and
                          e["agent"] == agent, "the agent's next assistant message")
    check(text in reply["text"], "next assistant message ignores the guidance: %r"
          % reply["text"])
    await s.until(is_ack("t-inject-1", "applied"), "inject applied")
    await command(s, "t-inject-2", "inject", {"agent": agent})
    rej = await s.until(is_ack("t-inject-2"), "ack of inject without text")
    check(rej["status"] == "rejected" and "text" in rej["error"], "%r" % rej)
    await ws.close()


async def sc_reject(args):
    ws, h = await hello_and_subscribe(args, 0)
    s = Stream(ws, 1)
    # A task that is not failed: the plan task once it completed, or anything working.
    ev = await s.until(lambda e: e["type"] == "task" and
                       e["task"]["status"] in ("working", "completed", "submitted"),
                       "a task that is not failed")
    tid, st = ev["task"]["id"], ev["task"]["status"]
    await command(s, "t-retry-bad", "retry", {"task": tid})
    rej = await s.until(is_ack("t-retry-bad"), "ack of retry")
    check(rej["status"] == "rejected", "retry of a %s task was %s" % (st, rej["status"]))
    check("only failed or canceled tasks can be retried" in rej["error"] and tid in rej["error"],
          "error text %r" % rej["error"])
    await command(s, "t-unknown", "pause", {"agent": "nobody"})
    rej = await s.until(is_ack("t-unknown"), "ack of unknown agent")
    check(rej["status"] == "rejected" and rej["error"] == "unknown agent 'nobody'",
          "unknown agent: %r" % rej)
    await command(s, "t-unknown-task", "cancel", {"task": "t-999999"})
    rej = await s.until(is_ack("t-unknown-task"), "ack of unknown task")
    check(rej["error"] == "unknown task 't-999999'", "%r" % rej)
    await command(s, "t-bad-action", "explode", {})
    rej = await s.until(is_ack("t-bad-action"), "ack of unknown action")
    check(rej["status"] == "rejected" and "unknown action" in rej["error"], "%r" % rej)
    # A repeated id is the same command: the same answer again, nothing re-applied.
    await command(s, "t-unknown", "pause", {"agent": "planner"})
    rej = await s.until(is_ack("t-unknown"), "re-ack of a repeated id")
    check(rej["status"] == "rejected" and rej["error"] == "unknown agent 'nobody'",
          "repeat answered differently: %r" % rej)
    # Malformed commands are ignored; the stream goes on.
    await ws.send('{"type":"command","action":"pause"}')
    await ws.send('{"type":"subscribe","since":"x"}')
    await command(s, "t-after", "pause", {"agent": "nobody-2"})
    await s.until(is_ack("t-after", "rejected"), "an ack after malformed input")
    await ws.close()


async def sc_retry(args):
    """Wait for a failed task, retry it: attempt + 1 and it runs again."""
    ws, h = await hello_and_subscribe(args, 0)
    s = Stream(ws, 1)
    state = {}

    def failed_now(ev):
        if ev["type"] == "task" and ev["task"].get("parent") is None:
            state[ev["task"]["id"]] = ev["task"]
        if ev["seq"] < h["last_seq"]:
            return False    # still replaying: only the current state counts
        return any(t["status"] == "failed" for t in state.values())
    await s.until(failed_now, "a failed task", timeout=args.wait)
    ev = {"task": [t for t in state.values() if t["status"] == "failed"][-1]}
    tid, attempt = ev["task"]["id"], ev["task"]["attempt"]
    await command(s, "t-retry-ok", "retry", {"task": tid})
    acc = await s.until(is_ack("t-retry-ok"), "ack of retry")
    check(acc["status"] == "accepted", "retry of failed %s: %r" % (tid, acc))
    again = await s.until(lambda e: e["type"] == "task" and e["task"]["id"] == tid,
                          "the retried task")
    check(again["task"]["attempt"] == attempt + 1, "attempt %r after retry of attempt %d"
          % (again["task"]["attempt"], attempt))
    check(again["task"]["status"] == "submitted", "status %r" % again["task"]["status"])
    await s.until(is_ack("t-retry-ok", "applied"), "retry applied")
    await s.until(lambda e: e["type"] == "task" and e["task"]["id"] == tid and
                  e["task"]["status"] == "working", "the retried task running")
    await ws.close()


async def sc_cancel(args):
    ws, s = await live_stream(args)
    ev = await s.until(lambda e: e["type"] == "task" and e["task"]["status"] == "submitted" and
                       e["task"]["name"].startswith(("code:", "review:", "summarize:")),
                       "a new submitted task", timeout=args.wait)
    tid = ev["task"]["id"]
    await command(s, "t-cancel-1", "cancel", {"task": tid})
    acc = await s.until(is_ack("t-cancel-1"), "cancel ack")
    check(acc["status"] == "accepted", "cancel of submitted %s: %r" % (tid, acc))
    c = await s.until(lambda e: e["type"] == "task" and e["task"]["id"] == tid,
                      "the canceled task")
    check(c["task"]["status"] == "canceled", "status %r" % c["task"]["status"])
    await s.until(is_ack("t-cancel-1", "applied"), "cancel applied")
    await command(s, "t-cancel-2", "cancel", {"task": tid})
    rej = await s.until(is_ack("t-cancel-2"), "second cancel")
    check(rej["status"] == "rejected" and "canceled" in rej["error"], "%r" % rej)
    # A canceled task can be retried.
    await command(s, "t-cancel-retry", "retry", {"task": tid})
    await s.until(is_ack("t-cancel-retry", "applied"), "retry of the canceled task")
    await ws.close()


async def sc_lifecycle(args):
    """Cancel an agent (then it refuses steering), inject while paused, cancel everything."""
    agent = args.agent
    ws, s = await live_stream(args)
    # Inject while paused: accepted now, answered (applied) only after resume.
    await command(s, "lc-pause", "pause", {"agent": "researcher-2"})
    await s.until(is_ack("lc-pause", "applied"), "pause of researcher-2 applied")
    await command(s, "lc-inject", "inject", {"agent": "researcher-2"}, text="cite sources")
    await s.until(is_ack("lc-inject", "accepted"), "inject accepted while paused")
    early = [False]

    def resumed(ev):
        early[0] = early[0] or is_ack("lc-inject", "applied")(ev)
        return is_ack("lc-resume", "applied")(ev)
    await command(s, "lc-resume", "resume", {"agent": "researcher-2"})
    await s.until(resumed, "resume of researcher-2 applied")
    if not early[0]:
        await s.until(is_ack("lc-inject", "applied"), "inject applied after resume")
    # Cancel an agent: canceled status, then steering it is refused.
    await command(s, "lc-cancel", "cancel", {"agent": agent})
    await s.until(is_ack("lc-cancel", "accepted"), "cancel accepted")
    await s.until(lambda e: e["type"] == "agent" and e["agent"]["id"] == agent and
                  e["agent"]["status"] == "canceled", "agent canceled")
    await s.until(is_ack("lc-cancel", "applied"), "cancel applied")
    for cid, action, extra in (("lc-p2", "pause", {}), ("lc-r2", "resume", {}),
                               ("lc-i2", "inject", {"text": "hello?"}),
                               ("lc-c2", "cancel", {})):
        await command(s, cid, action, {"agent": agent}, **extra)
        rej = await s.until(is_ack(cid), "ack of %s on a canceled agent" % action)
        check(rej["status"] == "rejected" and "canceled" in rej["error"],
              "%s of a canceled agent: %r" % (action, rej))
    # Cancel the whole runtime's work: the planner starts a new goal afterwards.
    await command(s, "lc-all", "cancel", {})
    await s.until(is_ack("lc-all", "applied"), "cancel all applied")
    await s.until(lambda e: e["type"] == "task" and e["task"]["name"].startswith("plan:") and
                  e["task"]["status"] == "submitted", "a new goal after cancel all",
                  timeout=args.wait)
    await ws.close()


async def sc_hostile(args):
    """Garbage, binary and oversized client messages never hurt the server."""
    ws, h = await hello_and_subscribe(args, None)
    for junk in ["not json", "[1,2,3]", '{"type":42}', '{"type":"nope"}', "{" * 5000,
                 '{"type":"subscribe"}', '{"type":"command","id":"","action":"pause"}']:
        await ws.send(junk)
    await ws.send(json.dumps({"type": "subscribe", "since": h["last_seq"]}))
    s = Stream(ws, h["last_seq"] + 1)
    await s.get()
    await ws.close()
    ws, h = await hello_and_subscribe(args, None)
    await ws.send(b"\x00\x01binary")
    try:
        await recv_within(ws, TIMEOUT)
        fail("connection stayed open after a binary message")
    except websockets.ConnectionClosed as e:
        check(e.rcvd is not None and e.rcvd.code == 1003, "close code %r" % (e.rcvd,))
    ws, h = await hello_and_subscribe(args, None)
    await ws.send("x" * (2 * 1024 * 1024))
    try:
        await recv_within(ws, TIMEOUT)
        fail("connection stayed open after a 2 MiB message")
    except websockets.ConnectionClosed as e:
        check(e.rcvd is not None and e.rcvd.code == 1009, "close code %r" % (e.rcvd,))
    # Just under the limit is fine (ignored as not JSON), and the server lives on.
    ws, h = await hello_and_subscribe(args, None)
    await ws.send(" " * (1024 * 1024 - 64) + "{}")
    await ws.send(json.dumps({"type": "subscribe", "since": h["last_seq"]}))
    await Stream(ws, h["last_seq"] + 1).get()
    await ws.close()


async def sc_auth(args):
    token = args.token
    args.token = None
    try:
        ws = await connect(args)
        await ws.close()
        fail("connected without a token")
    except websockets.InvalidStatusCode as e:
        check(e.status_code == 401, "status %d, want 401" % e.status_code)
    args.token = token + "x"
    try:
        ws = await connect(args)
        await ws.close()
        fail("connected with a wrong token")
    except websockets.InvalidStatusCode as e:
        check(e.status_code == 401, "status %d, want 401" % e.status_code)
    args.token = token
    ws, h = await hello_and_subscribe(args, 0)
    await Stream(ws, 1).get()
    await ws.close()


async def sc_drop(args):
    """--drop-after N: the server closes after N events; resuming loses nothing."""
    got = []
    since = 0
    for _ in range(3):
        ws, h = await hello_and_subscribe(args, since)
        s = Stream(ws, since + 1)
        try:
            while True:
                got.append(await s.get())
        except websockets.ConnectionClosed as e:
            check(e.rcvd is not None and e.rcvd.code == 1001, "close %r" % (e.rcvd,))
        check(len(s.seen) == args.count, "%d events before the drop, want %d"
              % (len(s.seen), args.count))
        since = got[-1]["seq"]
    check([e["seq"] for e in got] == list(range(1, 3 * args.count + 1)), "gaps across drops")


async def sc_flood(args):
    """Count events for a few seconds (fast path: raw frames, no JSON parsing)."""
    ws, h = await hello_and_subscribe(args, None)
    await ws.send(json.dumps({"type": "subscribe", "since": h["last_seq"]}))
    loop = asyncio.get_running_loop()
    n = 0
    last = None
    start = loop.time()
    while loop.time() - start < args.seconds:
        raw = await recv_within(ws, TIMEOUT)
        n += 1
        last = raw
    secs = loop.time() - start
    seq = json.loads(last)["seq"]
    check(seq == h["last_seq"] + n, "seq %d after %d events from %d" % (seq, n, h["last_seq"]))
    print("%d events in %.1f s = %.0f events/s" % (n, secs, n / secs))
    await ws.close()


SCENARIOS = {
    "hello": sc_hello, "stream": sc_stream, "resume": sc_resume, "snapshot": sc_snapshot,
    "pause": sc_pause, "inject": sc_inject, "reject": sc_reject, "retry": sc_retry,
    "cancel": sc_cancel, "hostile": sc_hostile, "lifecycle": sc_lifecycle, "auth": sc_auth, "drop": sc_drop,
    "flood": sc_flood,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("url")
    ap.add_argument("--token")
    ap.add_argument("--expect-instance")
    ap.add_argument("--agent", default="researcher-1")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--retain", type=int, default=0)
    ap.add_argument("--wait", type=float, default=60.0)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    try:
        asyncio.run(asyncio.wait_for(SCENARIOS[args.scenario](args), 120))
    except asyncio.TimeoutError:
        fail("scenario %s timed out" % args.scenario)
    except (OSError, websockets.WebSocketException) as e:
        fail("%s: %s: %s" % (args.scenario, type(e).__name__, e))


if __name__ == "__main__":
    main()
