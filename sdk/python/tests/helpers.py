"""Test helpers: a tap on a runtime's event stream without any network, and bounded waits.

Owns: Tap (a Subscriber registered directly on the event log) and wait_for (poll a condition
for at most a few seconds). Must not: assert on timing; waits only bound the test's duration.
"""

import json
import threading
import time

from swarmtop_runtime._log import Subscriber


def wait_for(cond, timeout=10.0, what="condition"):
    """Poll cond() until true; fail with AssertionError after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


class Tap:
    """Every event of a runtime from seq since+1 on, decoded, as the server would send them."""

    def __init__(self, rt, since=0, limit=1 << 30):
        self._lock = threading.Lock()
        self.sub = Subscriber(limit, lambda s: None)
        self.pre = [json.loads(m) for m in rt._log.subscribe(since, self.sub)]
        self.rt = rt
        self.events = list(self.pre)

    def poll(self):
        """Move queued events into self.events; return the list."""
        items, _ = self.rt._log.take(self.sub)
        with self._lock:
            self.events.extend(json.loads(m) for m in items)
            return list(self.events)

    def of(self, etype, **match):
        """Events of one type whose fields (or nested agent/task fields) match."""
        out = []
        for e in self.poll():
            if e.get("type") != etype:
                continue
            body = e.get("agent") if etype == "agent" else e.get("task") if etype == "task" else e
            if all(body.get(k) == v for k, v in match.items()):
                out.append(e)
        return out

    def acks(self, cid):
        """The ack statuses for one command id, in order."""
        return [e["status"] for e in self.of("ack", command=cid)]

    def wait_ack(self, cid, status, timeout=10.0):
        """Wait until command cid has an ack with this status; return the ack event."""
        def got():
            for e in self.of("ack", command=cid, status=status):
                return e
            return None
        return wait_for(got, timeout, f"ack {status} for {cid}")
