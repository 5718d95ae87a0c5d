"""/proc parsing and the threads sample: per-core utilization, per-thread share, attribution."""

import os
import threading
import time
import unittest

from swarmtop_runtime import Runtime
from swarmtop_runtime._procstat import (CLK_TCK, Sampler, core_util, parse_proc_stat,
                                        parse_task_stat)

STAT1 = """cpu  100 0 100 800 0 0 0 0 0 0
cpu0 50 0 50 400 0 0 0 0 0 0
cpu1 50 0 50 400 0 0 0 0 0 0
intr 12345
ctxt 999
"""
STAT2 = """cpu  300 0 100 1000 0 0 0 0 0 0
cpu0 150 0 50 400 0 0 0 0 0 0
cpu1 50 0 50 600 0 0 0 0 0 0
"""


class ParseTest(unittest.TestCase):
    def test_proc_stat_cores(self):
        a, b = parse_proc_stat(STAT1), parse_proc_stat(STAT2)
        self.assertEqual(sorted(a), [0, 1])
        self.assertEqual(a[0], (100, 500))
        self.assertEqual(core_util(a, b), [1.0, 0.0])
        self.assertEqual(core_util({}, b), [0.0, 0.0])
        self.assertEqual(parse_proc_stat("cpuX 1 2\ncpu3 a b\n"), {})

    def test_task_stat_with_hostile_comm(self):
        fields = ["S"] + [str(i) for i in range(4, 53)]
        fields[14 - 3] = "70"   # utime
        fields[15 - 3] = "30"   # stime
        fields[39 - 3] = "5"    # processor
        line = "4122 (evil) (name 1) " + " ".join(fields) + "\n"
        self.assertEqual(parse_task_stat(line), ("evil) (name 1", 100, 5))
        self.assertIsNone(parse_task_stat("4122 (short) S 1 2"))
        self.assertIsNone(parse_task_stat("garbage"))
        self.assertIsNone(parse_task_stat(""))

    def test_real_self_stat_parses(self):
        with open(f"/proc/self/task/{threading.get_native_id()}/stat") as f:
            p = parse_task_stat(f.read())
        self.assertIsNotNone(p)
        self.assertLess(p[2], os.cpu_count() + 64)


class SampleTest(unittest.TestCase):
    def test_busy_thread_is_attributed_to_its_task(self):
        rt = Runtime("samp", port=0, sample_interval=0)
        a = rt.agent("hasher")
        sampler = Sampler(lambda f: None, rt.attribution, interval=1.0)
        sampler.sample()  # baseline
        spun = threading.Event()
        release = threading.Event()

        def body():
            threading.current_thread().name = "busy-worker"
            with rt.task("hash", agent=a, id="t-hash"):
                t0 = time.thread_time()
                x = 0
                while time.thread_time() - t0 < 0.1:  # 0.1 s of this thread's own CPU
                    x += 1
                spun.set()
                release.wait(10)

        th = threading.Thread(target=body)
        th.start()
        spun.wait(20)
        fields = sampler.sample()
        release.set()
        th.join(10)
        self.assertIsNotNone(fields)
        with open("/proc/stat") as f:
            self.assertEqual(len(fields["cores"]), len(parse_proc_stat(f.read())))
        self.assertTrue(all(0.0 <= c <= 1.0 for c in fields["cores"]))
        rows = {r["tid"]: r for r in fields["threads"]}
        row = rows[th.native_id]
        self.assertEqual(row["name"], "busy-worker")
        self.assertEqual(row["agent"], "hasher")
        self.assertEqual(row["task"], "t-hash")
        self.assertGreater(row["cpu"], 0.0)  # >= 0.1 s of CPU in the interval
        self.assertIsInstance(row["core"], int)
        main = rows[threading.main_thread().native_id]
        self.assertNotIn("agent", main)
        self.assertGreater(fields["interval_ms"], 0)
        self.assertGreaterEqual(CLK_TCK, 1)

    def test_sampler_thread_emits_threads_events(self):
        rt = Runtime("samp2", port=0, sample_interval=0.05)
        got = []
        s = Sampler(got.append, rt.attribution, interval=0.05)
        s.start()
        try:
            end = time.monotonic() + 10
            while len(got) < 2 and time.monotonic() < end:
                time.sleep(0.01)
        finally:
            s.stop()
        self.assertGreaterEqual(len(got), 2)
        self.assertIn("threads", got[0])


if __name__ == "__main__":
    unittest.main()
