"""Checkpoint, pause/resume, cancel, retry and inject semantics, driven through the same
command entry point the server uses (no network)."""

import queue
import threading
import unittest

from swarmtop_runtime import Cancelled, Runtime
from tests.helpers import Tap, wait_for


def cmd(rt, cid, action, **kw):
    """Send a command the way the server does."""
    msg = {"type": "command", "id": cid, "action": action, "target": kw.pop("target", {})}
    msg.update(kw)
    return rt._command(msg)


class Worker:
    """A thread running one task that loops over checkpoints until told to stop."""

    def __init__(self, rt, agent, tid="t-w"):
        self.rt, self.stop, self.steps, self.exc = rt, threading.Event(), 0, None
        self.task = rt.task("loop", agent=agent, id=tid)
        self.in_task = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        try:
            with self.task as t:
                self.in_task.set()
                while not self.stop.is_set():
                    t.checkpoint()
                    self.steps += 1
                    self.stop.wait(0.001)
        except BaseException as e:
            self.exc = e

    def join(self):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


class PauseTest(unittest.TestCase):
    def setUp(self):
        self.rt = Runtime("steer", port=0, sample_interval=0)
        self.tap = Tap(self.rt)
        self.a = self.rt.agent("w")

    def test_pause_applies_only_when_worker_reaches_checkpoint(self):
        gate = threading.Event()
        inside = threading.Event()

        def body():
            with self.rt.task("slow", agent=self.a, id="t-s") as t:
                inside.set()
                gate.wait(10)   # long step with no checkpoint
                t.checkpoint()  # blocks here while paused

        th = threading.Thread(target=body)
        th.start()
        inside.wait(10)
        cmd(self.rt, "c1", "pause", target={"agent": "w"})
        self.assertEqual(self.tap.acks("c1"), ["accepted"])  # not applied: still mid-step
        gate.set()
        self.tap.wait_ack("c1", "applied")
        self.assertEqual(self.a.status, "paused")
        self.assertTrue(self.tap.of("task", id="t-s", status="paused"))
        self.assertTrue(th.is_alive())  # blocked in checkpoint
        cmd(self.rt, "c2", "resume", target={"agent": "w"})
        th.join(10)
        self.assertFalse(th.is_alive())
        self.assertEqual(self.tap.acks("c2"), ["accepted", "applied"])
        self.assertEqual(self.tap.of("task", id="t-s")[-1]["task"]["status"], "completed")
        self.assertEqual(self.a.status, "idle")

    def test_pause_idle_agent_applies_at_once_and_blocks_next_task(self):
        cmd(self.rt, "c1", "pause", target={"agent": "w"})
        self.assertEqual(self.tap.acks("c1"), ["accepted", "applied"])
        self.assertEqual(self.a.status, "paused")
        started = threading.Event()

        def body():
            with self.rt.task("later", agent=self.a, id="t-l"):
                started.set()

        th = threading.Thread(target=body)
        th.start()
        wait_for(lambda: self.tap.of("task", id="t-l", status="paused"), what="paused task")
        self.assertFalse(started.is_set())
        cmd(self.rt, "c2", "resume", target={"agent": "w"})
        th.join(10)
        self.assertTrue(started.is_set())

    def test_pause_whole_runtime_and_task_target(self):
        w1 = Worker(self.rt, self.a, "t-1")
        w1.in_task.wait(10)
        cmd(self.rt, "c1", "pause", target={})
        self.tap.wait_ack("c1", "applied")
        steps = w1.steps
        self.assertTrue(self.tap.of("task", id="t-1", status="paused"))
        self.assertEqual(self.a.status, "paused")
        cmd(self.rt, "c2", "resume", target={"agent": "w"})
        self.assertEqual(self.tap.acks("c2"), ["rejected"])
        self.assertIn("whole runtime", self.tap.of("ack", command="c2")[0]["error"])
        cmd(self.rt, "c3", "resume", target={})
        self.tap.wait_ack("c3", "applied")
        wait_for(lambda: w1.steps > steps, what="worker progress")
        cmd(self.rt, "c4", "pause", target={"task": "t-1"})
        self.tap.wait_ack("c4", "applied")
        cmd(self.rt, "c5", "resume", target={"task": "t-1"})
        self.tap.wait_ack("c5", "applied")
        w1.join()
        self.assertIsNone(w1.exc)
        cmd(self.rt, "c6", "resume", target={})
        self.assertEqual(self.tap.acks("c6"), ["rejected"])

    def test_resume_before_checkpoint_supersedes_pause(self):
        gate = threading.Event()
        inside = threading.Event()

        def body():
            with self.rt.task("s", agent=self.a, id="t-x") as t:
                inside.set()
                gate.wait(10)
                t.checkpoint()

        th = threading.Thread(target=body)
        th.start()
        inside.wait(10)
        cmd(self.rt, "p", "pause", target={"task": "t-x"})
        cmd(self.rt, "r", "resume", target={"task": "t-x"})
        gate.set()
        th.join(10)
        self.assertEqual(self.tap.acks("p"), ["accepted", "rejected"])
        self.assertEqual(self.tap.acks("r")[0], "accepted")


class CancelRetryTest(unittest.TestCase):
    def setUp(self):
        self.rt = Runtime("steer", port=0, sample_interval=0)
        self.tap = Tap(self.rt)
        self.a = self.rt.agent("w")

    def test_cancel_raises_at_checkpoint_and_task_becomes_canceled(self):
        w = Worker(self.rt, self.a, "t-c")
        w.in_task.wait(10)
        cmd(self.rt, "c1", "cancel", target={"task": "t-c"})
        self.tap.wait_ack("c1", "applied")
        w.thread.join(10)
        self.assertIsInstance(w.exc, Cancelled)
        self.assertEqual(w.task.status, "canceled")
        self.assertEqual(self.tap.of("task", id="t-c")[-1]["task"]["status"], "canceled")
        cmd(self.rt, "c2", "cancel", target={"task": "t-c"})
        self.assertEqual(self.tap.acks("c2"), ["rejected"])

    def test_cancel_wakes_a_paused_worker(self):
        w = Worker(self.rt, self.a, "t-p")
        w.in_task.wait(10)
        cmd(self.rt, "p", "pause", target={"agent": "w"})
        self.tap.wait_ack("p", "applied")
        cmd(self.rt, "c", "cancel", target={"agent": "w"})
        self.tap.wait_ack("c", "applied")
        w.thread.join(10)
        self.assertIsInstance(w.exc, Cancelled)
        self.assertEqual(self.a.status, "canceled")
        with self.assertRaises(Cancelled):  # a canceled agent takes no new work
            with self.rt.task("more", agent=self.a):
                pass

    def test_cancel_of_task_that_completes_first_is_rejected(self):
        gate, inside = threading.Event(), threading.Event()

        def body():
            with self.rt.task("s", agent=self.a, id="t-q"):
                inside.set()
                gate.wait(10)

        th = threading.Thread(target=body)
        th.start()
        inside.wait(10)
        cmd(self.rt, "c", "cancel", target={"task": "t-q"})
        gate.set()
        th.join(10)
        self.assertEqual(self.tap.acks("c"), ["accepted", "rejected"])
        self.assertIn("completed before", self.tap.of("ack", command="c")[-1]["error"])

    def test_cancel_submitted_task(self):
        t = self.rt.task("queued", agent=self.a, id="t-sub")
        cmd(self.rt, "c", "cancel", target={"task": "t-sub"})
        self.assertEqual(self.tap.acks("c"), ["accepted", "applied"])
        with self.assertRaises(Cancelled):
            with t:
                self.fail("must not run")

    def test_retry_with_registered_callable(self):
        runs = []

        def job(t):
            runs.append(t.attempt)
            if t.attempt == 1:
                raise RuntimeError("flaky")
            return "fixed"

        t = self.rt.task("flaky", agent=self.a, id="t-r", retry=job)
        with self.assertRaises(RuntimeError):
            with t:
                job(t)
        self.assertEqual(t.status, "failed")
        cmd(self.rt, "c1", "retry", target={"task": "t-r"})
        self.tap.wait_ack("c1", "applied")
        wait_for(lambda: t.status == "completed", what="retried task completes")
        self.assertEqual(runs, [1, 2])
        last = self.tap.of("task", id="t-r")[-1]["task"]
        self.assertEqual(last["output"], "fixed")
        self.assertTrue(self.tap.of("task", id="t-r", status="working", attempt=2))
        # retry of a completed task is rejected with a clear error
        cmd(self.rt, "c2", "retry", target={"task": "t-r"})
        self.assertEqual(self.tap.acks("c2"), ["rejected"])
        self.assertIn("only failed or canceled", self.tap.of("ack", command="c2")[0]["error"])

    def test_retry_handler_and_rejections(self):
        t = self.rt.task("x", agent=self.a, id="t-h")
        with self.assertRaises(ValueError):
            with t:
                raise ValueError("bad")
        cmd(self.rt, "c0", "retry", target={"task": "t-h"})
        self.assertEqual(self.tap.acks("c0"), ["rejected"])  # no handler registered
        self.assertIn("on_retry", self.tap.of("ack", command="c0")[0]["error"])
        got = queue.Queue()

        @self.rt.on_retry
        def handler(task):
            got.put(task.attempt)
            with task:
                pass

        cmd(self.rt, "c1", "retry", target={"task": "t-h"})
        self.tap.wait_ack("c1", "applied")
        self.assertEqual(got.get(timeout=10), 2)
        cmd(self.rt, "c2", "retry", target={})
        cmd(self.rt, "c3", "retry", target={"task": "nope"})
        self.assertEqual(self.tap.acks("c2"), ["rejected"])
        self.assertEqual(self.tap.acks("c3"), ["rejected"])


class InjectAndCommandTest(unittest.TestCase):
    def setUp(self):
        self.rt = Runtime("steer", port=0, sample_interval=0)
        self.tap = Tap(self.rt)
        self.a = self.rt.agent("planner")

    def test_inject_queues_to_inbox_and_applies_when_read(self):
        cmd(self.rt, "i1", "inject", target={"agent": "planner"}, text="Use the EU price list.")
        self.assertEqual(self.tap.acks("i1"), ["accepted"])
        msg = self.tap.of("message", role="operator")[0]
        self.assertEqual((msg["agent"], msg["text"]), ("planner", "Use the EU price list."))
        self.assertEqual(len(self.a.inbox), 1)
        got = list(self.a.inbox)
        self.assertEqual(got, ["Use the EU price list."])
        self.assertEqual(got[0].command, "i1")
        self.assertEqual(self.tap.acks("i1"), ["accepted", "applied"])
        with self.assertRaises(queue.Empty):
            self.a.inbox.get(timeout=0.01)

    def test_inject_rejections(self):
        cmd(self.rt, "i1", "inject", target={"agent": "planner"})
        cmd(self.rt, "i2", "inject", target={"agent": "ghost"}, text="x")
        cmd(self.rt, "i3", "inject", target={}, text="x")
        cmd(self.rt, "i4", "inject", target={"agent": "planner"}, text=42)
        for c in ("i1", "i2", "i3", "i4"):
            self.assertEqual(self.tap.acks(c), ["rejected"], c)
            self.assertTrue(self.tap.of("ack", command=c)[0]["error"])
        self.assertEqual(len(self.a.inbox), 0)

    def test_bad_commands_and_idempotent_ids(self):
        self.assertFalse(self.rt._command({"type": "command", "action": "pause"}))
        self.assertFalse(self.rt._command({"type": "command", "id": 5, "action": "pause"}))
        self.assertFalse(self.rt._command({"type": "command", "id": "x" * 200}))
        cmd(self.rt, "u", "explode")
        self.assertEqual(self.tap.acks("u"), ["rejected"])
        self.rt._command({"type": "command", "id": "t", "action": "pause", "target": [1]})
        self.assertEqual(self.tap.acks("t"), ["rejected"])
        self.rt._command({"type": "command", "id": "t2", "action": "pause",
                          "target": {"agent": 3}})
        self.assertEqual(self.tap.acks("t2"), ["rejected"])
        cmd(self.rt, "k", "inject", target={"agent": "planner"}, text="once")
        cmd(self.rt, "k", "inject", target={"agent": "planner"}, text="once")  # resent
        self.assertEqual(len(self.a.inbox), 1)  # the effect happened once
        self.assertEqual(len(self.tap.of("message", role="operator")), 1)
        self.assertEqual(self.tap.acks("k"), ["accepted", "accepted"])


class AttributionTest(unittest.TestCase):
    def test_thread_attribution_follows_task_context(self):
        rt = Runtime("attr", port=0, sample_interval=0)
        a = rt.agent("coder")
        seen = {}
        release = threading.Event()
        ready = threading.Event()

        def body():
            native = threading.get_native_id()
            with a.context():
                seen["agent_only"] = rt.attribution().get(native)
                with rt.task("outer", id="t-o") as t:
                    self.assertEqual(t.agent, "coder")  # defaulted from the context
                    with rt.task("inner", id="t-i") as inner:
                        seen["parent"] = rt._log.tasks["t-i"].get("parent")
                        seen["inner"] = rt.attribution().get(native)
                        self.assertIs(rt.current()[1], inner)
                    seen["outer"] = rt.attribution().get(native)
                    ready.set()
                    release.wait(10)
            seen["after"] = rt.attribution().get(native)

        th = threading.Thread(target=body)
        th.start()
        ready.wait(10)
        self.assertEqual(rt.attribution().get(th.native_id), ("coder", "t-o"))
        self.assertIsNone(rt.attribution().get(threading.get_native_id()))
        release.set()
        th.join(10)
        self.assertEqual(seen["agent_only"], ("coder", None))
        self.assertEqual(seen["inner"], ("coder", "t-i"))
        self.assertEqual(seen["parent"], "t-o")
        self.assertEqual(seen["outer"], ("coder", "t-o"))
        self.assertIsNone(seen["after"])


if __name__ == "__main__":
    unittest.main()
