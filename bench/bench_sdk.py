#!/usr/bin/env python3
"""bench_sdk.py: overhead of the Python runtime SDK (swarmtop_runtime).

Owns: two figures. (1) The cost of one reported event in the application thread (a log line,
a usage delta, a task enter+exit counted as its two events), median over many batches, with one
subscriber attached so the fan-out path is included. Target <= 20 us. (2) The /proc sampler's
CPU use as a share of one core, measured from the sampler thread's own utime+stime over ~10 s
while 8 busy threads are being sampled. Target <= 0.5 %. Prints a small table; exit 1 when a
target is missed (BENCH_STRICT=0 to report only).

    PYTHONPATH=sdk/python /usr/bin/python3 bench/bench_sdk.py [--seconds 10]
"""

import argparse
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk",
                                "python"))

from swarmtop_runtime import Runtime  # noqa: E402
from swarmtop_runtime._log import Subscriber  # noqa: E402
from swarmtop_runtime._procstat import CLK_TCK, parse_task_stat  # noqa: E402


def per_event_us(fn, batch=2000, rounds=25, events_per_call=1):
    """Median microseconds per event of fn() over `rounds` batches of `batch` calls:
    (CPU time of this thread, wall time). CPU time is the cost the application thread pays;
    wall time also counts waiting for a core on a loaded machine."""
    cpu, wall = [], []
    for _ in range(rounds):
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        for _ in range(batch):
            fn()
        c1, t1 = time.thread_time_ns(), time.perf_counter_ns()
        cpu.append((c1 - c0) / batch / events_per_call / 1000)
        wall.append((t1 - t0) / batch / events_per_call / 1000)
    return statistics.median(cpu), statistics.median(wall)


def event_costs():
    """Per-event costs of the common reporting calls, with one drained subscriber attached."""
    rt = Runtime("bench", port=0, sample_interval=0, retain=10000)
    sub = Subscriber(1 << 30, lambda s: None)
    rt._log.subscribe(0, sub)
    a = rt.agent("bench-agent")
    stop = threading.Event()

    def drain():  # stands in for the server thread emptying the client queue
        while not stop.is_set():
            rt._log.take(sub)
            time.sleep(0.001)

    d = threading.Thread(target=drain, daemon=True)
    d.start()
    rows = []
    rows.append(("log line", per_event_us(lambda: a.log("tool call finished in 120 ms"))))
    rows.append(("usage delta", per_event_us(lambda: rt.usage(
        agent=a, provider="openai", model="gpt-5", input_tokens=1200, output_tokens=350,
        cache_read_tokens=800, reasoning_tokens=120))))

    def task():
        with rt.task("step", agent=a, kind="tool") as t:
            t.checkpoint()
    # a task is 3 events (submitted, working, completed)
    rows.append(("task (3 events)", per_event_us(task, batch=500, events_per_call=3)))
    rows.append(("checkpoint (no event)", per_event_us(a.checkpoint, batch=20000)))
    stop.set()
    d.join()
    return rows


def sample_cost_ms():
    """CPU milliseconds of one sampler pass (read /proc, build the event), median of 50."""
    from swarmtop_runtime._procstat import Sampler
    rt = Runtime("bench-sample", port=0, sample_interval=0)
    s = Sampler(lambda f: None, rt.attribution)
    costs = []
    for _ in range(50):
        c0 = time.thread_time_ns()
        s.sample()
        costs.append((time.thread_time_ns() - c0) / 1e6)
    return statistics.median(costs)


def sampler_cpu(seconds):
    """Share of one core used by the sampler thread over `seconds`, with 8 threads to sample."""
    rt = Runtime("bench-sampler", port=0, sample_interval=1.0)
    a = rt.agent("busy")
    stop = threading.Event()

    def busy():
        with rt.task("spin", agent=a):
            while not stop.is_set():
                time.sleep(0.01)

    workers = [threading.Thread(target=busy, daemon=True) for _ in range(8)]
    for w in workers:
        w.start()
    rt.start()
    try:
        time.sleep(0.5)
        tid = next(t.native_id for t in threading.enumerate() if t.name == "swarmtop-sampler")

        def ticks():
            with open(f"/proc/self/task/{tid}/stat") as f:
                return parse_task_stat(f.read())[1]

        t0, w0 = ticks(), time.monotonic()
        time.sleep(seconds)
        t1, w1 = ticks(), time.monotonic()
    finally:
        stop.set()
        rt.stop()
    return (t1 - t0) / CLK_TCK / (w1 - w0) * 100.0


def main():
    """Run both measurements and print the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    rows = event_costs()
    per_sample = sample_cost_ms()
    cpu = sampler_cpu(args.seconds)
    load = os.getloadavg()[0]
    print(f"swarmtop_runtime overhead (Python {sys.version.split()[0]}, {os.cpu_count()} cores,"
          f" load {load:.1f})")
    print(f"{'measure':<34}{'cpu time':>12}{'wall':>12}  target")
    worst = 0.0
    for name, (c, w) in rows:
        print(f"{'per event: ' + name:<34}{c:>9.2f} us{w:>9.2f} us  <= 20 us (cpu)")
        worst = max(worst, c)
    sampler = per_sample / 10.0  # one pass per second: ms per s -> % of a core
    print(f"{'sampler: one pass':<34}{per_sample:>9.3f} ms{'':>12}")
    print(f"{'sampler CPU at 1 Hz (pass x 1/s)':<34}{sampler:>10.3f} %{'':>12}  <= 0.5 % of a core")
    print(f"{'sampler thread, measured ' + str(int(args.seconds)) + ' s':<34}{cpu:>10.3f} %"
          f"{'':>12}  (resolution {100 / CLK_TCK / args.seconds:.2f} %)")
    cpu = max(cpu, sampler)
    ok = worst <= 20.0 and cpu <= 0.5
    print("result:", "within targets" if ok else "TARGET MISSED")
    if not ok and os.environ.get("BENCH_STRICT", "1") != "0":
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
