"""Retention ring, replay vs snapshot on subscribe, usage totals, concurrent reporting."""

import json
import threading
import unittest

from swarmtop_runtime import Runtime
from swarmtop_runtime._log import EventLog, Subscriber, snapshot_json
from tests.helpers import Tap


class RingTest(unittest.TestCase):
    def test_replay_from_since_when_retained(self):
        rt = Runtime("ring", port=0, retain=100, sample_interval=0)
        for i in range(30):
            rt.log(f"line {i}")
        tap = Tap(rt, since=25)
        self.assertEqual([e["seq"] for e in tap.pre], [26, 27, 28, 29, 30])
        rt.log("live")
        self.assertEqual([e["seq"] for e in tap.poll()], [26, 27, 28, 29, 30, 31])
        self.assertEqual(Tap(rt, since=31).pre, [])
        self.assertEqual(len(Tap(rt, since=0).pre), 31)

    def test_snapshot_when_gap_not_retained(self):
        rt = Runtime("ring", port=0, retain=10, sample_interval=0)
        a = rt.agent("a", name="A", model="m")
        with rt.task("first", agent=a, id="t-1") as t:
            t.output = "ok"
        rt.usage(agent="a", provider="p", model="m", input_tokens=10, output_tokens=2,
                 cache_read_tokens=4, cost_usd=0.5)
        rt.usage(agent="a", provider="p", model="m", input_tokens=5, output_tokens=1,
                 cost_usd=0.25)
        for i in range(20):
            rt.log(f"filler {i}")
        last = rt.last_seq
        self.assertEqual(rt._log.ring[0][0], last - 9)
        tap = Tap(rt, since=3)  # seq 4 is gone: a snapshot instead of history
        self.assertEqual(len(tap.pre), 1)
        snap = tap.pre[0]
        self.assertEqual(snap["type"], "snapshot")
        self.assertEqual(snap["seq"], last)
        self.assertEqual(snap["agents"], [{"id": "a", "name": "A", "model": "m",
                                           "status": "idle"}])
        self.assertEqual(snap["tasks"][0]["status"], "completed")
        self.assertEqual(snap["tasks"][0]["output"], "ok")
        self.assertEqual(snap["tasks"][0]["name"], "first")
        u = snap["usage"][0]
        self.assertEqual((u["input_tokens"], u["output_tokens"], u["cache_read_tokens"]),
                         (15, 3, 4))
        self.assertAlmostEqual(u["cost_usd"], 0.75)
        # a snapshot does not consume a seq: live continues from snapshot.seq + 1
        self.assertEqual(rt.last_seq, last)
        rt.log("live")
        self.assertEqual(tap.poll()[-1]["seq"], last + 1)
        # since=0 with history gone is also a snapshot; since beyond last as well
        self.assertEqual(Tap(rt, since=0).pre[0]["type"], "snapshot")
        self.assertEqual(Tap(rt, since=10 ** 9).pre[0]["type"], "snapshot")

    def test_cost_total_never_mixes_billed_and_unknown(self):
        rt = Runtime("cost", port=0, retain=0, sample_interval=0)
        rt.usage(agent="a", model="m", input_tokens=1, cost_usd=0.1)
        rt.usage(agent="a", model="m", input_tokens=1)
        rt.usage(agent="a", model="m", input_tokens=1, cost_usd=0.1)
        snap = Tap(rt).pre[0]
        self.assertEqual(snap["usage"][0]["input_tokens"], 3)
        self.assertIsNone(snap["usage"][0]["cost_usd"])

    def test_snapshot_stays_under_budget(self):
        tasks = [{"id": f"t-{i}", "status": "completed", "output": "x" * 5000}
                 for i in range(400)]
        tasks.append({"id": "live", "status": "working"})
        s = snapshot_json(9, [], tasks, [], budget=100_000)
        self.assertLessEqual(len(s), 100_000)
        ids = [t["id"] for t in json.loads(s)["tasks"]]
        self.assertIn("live", ids)  # finished tasks are shed first

    def test_finished_tasks_capped_in_state(self):
        log = EventLog(retain=10, max_tasks=50)
        for i in range(200):
            log.task({"id": f"t-{i}", "status": "completed"})
        log.task({"id": "w", "status": "working"})
        self.assertLessEqual(len(log.tasks), 51)
        self.assertIn("w", log.tasks)

    def test_slow_subscriber_overflows_without_blocking(self):
        log = EventLog(retain=10)
        woken = []
        sub = Subscriber(5, woken.append)
        log.subscribe(0, sub)
        for i in range(20):
            log.event("log", {"level": "info", "text": str(i)})
        self.assertTrue(sub.overflow)
        self.assertIn(sub, woken)
        self.assertEqual(len(sub.q), 0)


class ConcurrencyTest(unittest.TestCase):
    def test_16_threads_no_lost_or_duplicated_seq(self):
        rt = Runtime("conc", port=0, retain=100_000, sample_interval=0)
        taps = [Tap(rt) for _ in range(3)]
        n_threads, per = 16, 500
        start = threading.Barrier(n_threads)

        def worker(k):
            a = rt.agent(f"a{k}")
            start.wait()
            for i in range(per):
                if i % 50 == 0:
                    with rt.task(f"step {i}", agent=a):
                        rt.usage(input_tokens=1, output_tokens=1)
                else:
                    a.log(f"{k}:{i}")

        ths = [threading.Thread(target=worker, args=(k,)) for k in range(n_threads)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        last = rt.last_seq
        seqs = [s for s, _ in rt._log.ring]
        self.assertEqual(seqs, list(range(1, last + 1)))
        logs = [json.loads(d) for _, d in rt._log.ring]
        texts = {e["text"] for e in logs if e["type"] == "log"}
        self.assertEqual(len(texts), n_threads * per * 49 // 50)
        for tap in taps:  # every subscriber got the same complete sequence, in order
            got = [e["seq"] for e in tap.poll()]
            self.assertEqual(got, list(range(1, last + 1)))
        snap = Tap(Runtime("x", sample_interval=0)).pre  # unrelated runtime: empty
        self.assertEqual(snap, [])
        totals = rt._log.state_copy()[2]
        self.assertEqual(sum(u["input_tokens"] for u in totals), n_threads * per // 50)


if __name__ == "__main__":
    unittest.main()
