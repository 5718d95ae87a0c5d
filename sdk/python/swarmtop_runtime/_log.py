"""The event log: seq numbering, the retention ring, the state behind snapshots, fan-out.

Owns: the single lock that orders events. An event gets its seq, its ts, its place in the ring,
its effect on the snapshot state and its place in every subscriber's queue under that one lock, so
every subscriber sees exactly the same order, with no gap and no duplicate, whatever thread
reported it. JSON encoding of the body happens before the lock is taken.
Must not: block. A subscriber whose queue is full is marked overflowed (the server then drops it);
the reporting thread never waits for a network peer.
"""

import collections
import threading
import time

from . import _encode as enc

SNAPSHOT_BUDGET = (1 << 20) - 4096  # keep snapshots under the 1 MiB every client must accept


class Subscriber:
    """One client's live queue: bounded, filled under the log lock, drained by the server."""

    __slots__ = ("q", "limit", "overflow", "notified", "wake", "conn")

    def __init__(self, limit, wake):
        self.q = collections.deque()
        self.limit = limit
        self.overflow = False
        self.notified = False
        self.wake = wake  # called outside the lock, from the reporting thread
        self.conn = None


class EventLog:
    """Numbered, retained, fanned-out events plus the agent/task/usage state they build."""

    def __init__(self, retain=10000, max_tasks=10000):
        self.lock = threading.Lock()
        self.seq = 0
        self.ring = collections.deque(maxlen=max(0, int(retain)))
        self.agents = {}
        self.tasks = collections.OrderedDict()
        self.usage = {}
        self.max_tasks = max_tasks
        self.subs = []

    def reset(self):
        """Start a new instance: seq back to 0 and the ring emptied (state is kept)."""
        with self.lock:
            self.seq = 0
            self.ring.clear()

    # -- emission -------------------------------------------------------------------------

    def _publish(self, etype, tail):
        """Under the lock: number, frame, retain and queue one event; return subscribers to wake."""
        self.seq += 1
        seq = self.seq
        data = enc.frame(etype, seq, time.time_ns() // 1_000_000, tail)
        self.ring.append((seq, data))
        wake = None
        for s in self.subs:
            if s.overflow:
                continue
            if len(s.q) >= s.limit:
                s.overflow = True  # the server drops this client; always wake it for that
                s.q.clear()
                s.notified = False
            else:
                s.q.append(data)
            if not s.notified:
                s.notified = True
                if wake is None:
                    wake = [s]
                else:
                    wake.append(s)
        return seq, wake

    @staticmethod
    def _wake(wake):
        """Outside the lock: tell the server that these subscribers have something to send."""
        if wake:
            for s in wake:
                try:
                    s.wake(s)
                except Exception:  # a stopped loop: nothing to wake
                    pass

    def event(self, etype, fields):
        """Emit an event with no snapshot effect (message, log, threads, ack); return its seq."""
        tail = enc.body(fields)
        with self.lock:
            seq, wake = self._publish(etype, tail)
        self._wake(wake)
        return seq

    def agent(self, fields):
        """Emit an agent upsert and merge it into the snapshot state."""
        tail = enc.body_plain({"agent": fields})
        with self.lock:
            cur = self.agents.get(fields["id"])
            if cur is None:
                self.agents[fields["id"]] = dict(fields)
            else:
                cur.update(fields)
            seq, wake = self._publish("agent", tail)
        self._wake(wake)
        return seq

    def task(self, fields):
        """Emit a task upsert and merge it into the snapshot state (finished tasks are capped)."""
        tail = enc.body_plain({"task": fields})
        tid = fields["id"]
        with self.lock:
            cur = self.tasks.get(tid)
            if cur is None:
                cur = self.tasks[tid] = dict(fields)
                cur.setdefault("status", "submitted")
            else:
                cur.update(fields)
                self.tasks.move_to_end(tid)
            if len(self.tasks) > self.max_tasks + self.max_tasks // 10:
                self._evict_tasks()  # in batches: the scan is amortized
            seq, wake = self._publish("task", tail)
        self._wake(wake)
        return seq

    def _evict_tasks(self):
        """Drop the oldest finished tasks from the snapshot state until under the cap."""
        excess = len(self.tasks) - self.max_tasks
        victims = []
        if excess > 0:  # oldest first; the scan stops once enough finished ones are found
            for k, v in self.tasks.items():
                if v.get("status") in enc.TERMINAL_TASK:
                    victims.append(k)
                    if len(victims) >= excess:
                        break
        for tid in victims:
            del self.tasks[tid]

    def usage_delta(self, fields):
        """Emit a usage delta and add it to the per (agent, provider, model) totals."""
        tail = enc.body(fields)
        key = (fields.get("agent"), fields.get("provider"), fields.get("model"))
        with self.lock:
            tot = self.usage.get(key)
            if tot is None:
                tot = self.usage[key] = {"agent": key[0], "provider": key[1], "model": key[2]}
                for k in enc.USAGE_COUNTS:
                    tot[k] = 0
                tot["cost_usd"] = 0.0
            for k in enc.USAGE_COUNTS:
                tot[k] += fields.get(k, 0)
            cost = fields.get("cost_usd")
            # a total is billed only when every delta in it was billed: never mix silently
            if cost is None or tot["cost_usd"] is None:
                tot["cost_usd"] = None
            else:
                tot["cost_usd"] += cost
            seq, wake = self._publish("usage", tail)
        self._wake(wake)
        return seq

    # -- subscription ---------------------------------------------------------------------

    def last_seq(self):
        """The highest seq assigned so far."""
        with self.lock:
            return self.seq

    def subscribe(self, since, sub):
        """Register a subscriber; return the messages to send before its live queue.

        Either the retained events after `since`, or one snapshot when seq since+1 is no longer
        retained; registration and the copy happen under one lock, so nothing is lost or doubled.
        """
        with self.lock:
            last = self.seq
            oldest = self.ring[0][0] if self.ring else last + 1
            if since == last:
                pre, state = [], None
            elif since < last and since + 1 >= oldest:
                start = since + 1 - oldest
                pre, state = [d for _, d in list(self.ring)[start:]], None
            else:
                pre = None
                state = ([dict(a) for a in self.agents.values()],
                         [dict(t) for t in self.tasks.values()],
                         [dict(u) for u in self.usage.values()])
            self.subs.append(sub)
        if state is None:
            return pre
        return [snapshot_json(last, *state)]

    def unsubscribe(self, sub):
        """Remove a subscriber (idempotent)."""
        with self.lock:
            try:
                self.subs.remove(sub)
            except ValueError:
                pass

    def take(self, sub):
        """Drain a subscriber's queue: (messages, overflowed)."""
        with self.lock:
            items = list(sub.q)
            sub.q.clear()
            sub.notified = False
            return items, sub.overflow

    def state_copy(self):
        """Copies of the agents, tasks and usage totals (tests, restarts)."""
        with self.lock:
            return ([dict(a) for a in self.agents.values()],
                    [dict(t) for t in self.tasks.values()],
                    [dict(u) for u in self.usage.values()])


def snapshot_json(seq, agents, tasks, usage, budget=SNAPSHOT_BUDGET):
    """Encode a snapshot; when over budget, shed task texts, then the oldest finished tasks."""
    ev = {"type": "snapshot", "seq": seq, "ts": time.time_ns() // 1_000_000,
          "agents": agents, "tasks": tasks, "usage": usage}
    s = enc.dumps(ev)
    if len(s) <= budget:
        return s
    for t in tasks:
        for k in ("input", "output", "error"):
            v = t.get(k)
            if isinstance(v, str) and len(v) > 200:
                t[k] = enc.truncate(v, 200)
    s = enc.dumps(ev)
    while len(s) > budget and tasks:
        done = [i for i, t in enumerate(tasks) if t.get("status") in enc.TERMINAL_TASK]
        n = max(1, len(tasks) // 10)
        drop = set(done[:n]) if done else set(range(min(n, len(tasks))))
        tasks[:] = [t for i, t in enumerate(tasks) if i not in drop]
        s = enc.dumps(ev)
    return s
