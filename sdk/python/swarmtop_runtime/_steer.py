"""Steering primitives shared by the runtime: the Cancelled exception, operator messages and the
agent inbox.

Owns: Inbox (a thread-safe FIFO of injected operator messages that reports each message as taken,
so the runtime can ack `applied` only when the agent really read it).
Must not: know about the network or event encoding.
"""

import collections
import queue
import threading
import time


class Cancelled(Exception):
    """Raised by checkpoint() (and on entering a task) when the operator canceled this work."""


class OperatorMessage(str):
    """Text injected by an operator: a str, plus the command id and reason that carried it."""

    def __new__(cls, text, command=None, reason=None):
        o = super().__new__(cls, text)
        o.command = command
        o.reason = reason
        return o

    @property
    def text(self):
        """The injected text as a plain str."""
        return str(self)


class Inbox:
    """Operator messages for one agent. Thread-safe; iterate to drain what is queued now."""

    def __init__(self, on_take=None):
        self._q = collections.deque()
        self._cv = threading.Condition(threading.Lock())
        self._on_take = on_take

    def put(self, msg):
        """Queue a message (used by the runtime when an inject command arrives)."""
        with self._cv:
            self._q.append(msg)
            self._cv.notify()

    def _taken(self, msg):
        """Report a message as delivered to the agent."""
        if self._on_take is not None:
            self._on_take(msg)
        return msg

    def get(self, block=True, timeout=None):
        """Take the oldest message, waiting when block is true; raises queue.Empty when none."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cv:
            while not self._q:
                if not block:
                    raise queue.Empty
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise queue.Empty
                self._cv.wait(left)
            msg = self._q.popleft()
        return self._taken(msg)

    def get_nowait(self):
        """Take the oldest message or raise queue.Empty."""
        return self.get(block=False)

    def drain(self):
        """Take every queued message (possibly none) as a list."""
        with self._cv:
            items = list(self._q)
            self._q.clear()
        for m in items:
            self._taken(m)
        return items

    def __iter__(self):
        """Yield the queued messages without blocking, taking each one."""
        while True:
            try:
                yield self.get_nowait()
            except queue.Empty:
                return

    def __len__(self):
        """How many messages are waiting."""
        with self._cv:
            return len(self._q)
