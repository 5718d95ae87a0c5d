"""Thread and core sampling from /proc for `threads` events.

Owns: parsing /proc/stat (per-core busy/total jiffies) and /proc/self/task/*/stat (per-thread
utime+stime and last CPU), the deltas between two samples, and the background thread that emits
one `threads` event per interval with each thread attributed to the agent/task it is running.
Must not: touch the network or the application's threads; a missing or odd /proc line is skipped,
never fatal.
"""

import os
import threading
import time

try:
    CLK_TCK = os.sysconf("SC_CLK_TCK")
except (ValueError, OSError, AttributeError):
    CLK_TCK = 100

MAX_THREADS = 256


def parse_proc_stat(data):
    """Per-core (busy, total) jiffies from the text of /proc/stat: {cpu_index: (busy, total)}."""
    out = {}
    for line in data.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        parts = line.split()
        try:
            idx = int(parts[0][3:])
            vals = [int(v) for v in parts[1:9]]
        except (ValueError, IndexError):
            continue
        vals += [0] * (8 - len(vals))
        total = sum(vals)
        idle = vals[3] + vals[4]  # idle + iowait
        out[idx] = (total - idle, total)
    return out


def core_util(prev, cur):
    """Utilization 0..1 of each logical CPU between two parse_proc_stat() results, as a list."""
    if not cur:
        return []
    res = [0.0] * (max(cur) + 1)
    for i, (busy, total) in cur.items():
        p = prev.get(i)
        if p is None:
            continue
        dt = total - p[1]
        if dt > 0:
            res[i] = round(min(1.0, max(0.0, (busy - p[0]) / dt)), 3)
    return res


def parse_task_stat(data):
    """(comm, utime+stime jiffies, last cpu) from one /proc/<pid>/task/<tid>/stat text, or None.

    comm sits in parentheses and may itself contain spaces and parentheses, so the fields are
    counted from the last ')'.
    """
    lo = data.find("(")
    hi = data.rfind(")")
    if lo < 0 or hi < lo:
        return None
    rest = data[hi + 1:].split()
    # rest[0] is field 3 (state); utime=14, stime=15, processor=39
    try:
        return data[lo + 1:hi], int(rest[11]) + int(rest[12]), int(rest[36])
    except (IndexError, ValueError):
        return None


def _read(path):
    """The text of a small /proc file, or None when it vanished."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


class Sampler:
    """Background thread: every `interval` seconds, read /proc and emit one `threads` event."""

    def __init__(self, emit, attribution, interval=1.0, proc="/proc"):
        self.emit = emit                # emit(fields) -> seq
        self.attribution = attribution  # () -> {native_tid: (agent, task)}
        self.interval = interval
        self.proc = proc
        self._stop = threading.Event()
        self._thread = None
        self._prev_cores = {}
        self._prev_threads = {}
        self._prev_t = None

    def start(self):
        """Start the sampling thread (daemon)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="swarmtop-sampler", daemon=True)
        self._thread.start()

    def stop(self):
        """Stop the sampling thread and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self):
        """The loop: a first baseline read, then one sample per interval until stopped."""
        self.sample()
        while not self._stop.wait(self.interval):
            try:
                fields = self.sample()
            except Exception:  # never let sampling kill anything
                continue
            if fields is not None:
                self.emit(fields)

    def sample(self):
        """Read /proc once; return the `threads` event body, or None for the baseline read."""
        now = time.monotonic()
        stat = _read(self.proc + "/stat")
        cores_now = parse_proc_stat(stat) if stat else {}
        tdir = self.proc + "/self/task"
        try:
            tids = os.listdir(tdir)
        except OSError:
            tids = []
        threads_now = {}
        for t in tids:
            s = _read(tdir + "/" + t + "/stat")
            p = parse_task_stat(s) if s else None
            if p is not None:
                try:
                    threads_now[int(t)] = p
                except ValueError:
                    pass
        prev_t, prev_c, prev_th = self._prev_t, self._prev_cores, self._prev_threads
        self._prev_t, self._prev_cores, self._prev_threads = now, cores_now, threads_now
        if prev_t is None or now <= prev_t:
            return None
        dt = now - prev_t
        names = {th.native_id: th.name for th in threading.enumerate()
                 if getattr(th, "native_id", None) is not None}
        attr = self.attribution()
        rows = []
        for tid, (comm, ticks, cpu) in threads_now.items():
            before = prev_th.get(tid)
            used = ticks - before[1] if before else ticks
            share = round(min(1.0, max(0.0, used / CLK_TCK / dt)), 3)
            row = {"tid": tid, "name": names.get(tid, comm)[:64], "core": cpu, "cpu": share}
            a = attr.get(tid)
            if a is not None:
                if a[0] is not None:
                    row["agent"] = a[0]
                if a[1] is not None:
                    row["task"] = a[1]
            rows.append(row)
        if len(rows) > MAX_THREADS:
            rows.sort(key=lambda r: r["cpu"], reverse=True)
            del rows[MAX_THREADS:]
        return {"interval_ms": int(round(dt * 1000)), "cores": core_util(prev_c, cores_now),
                "threads": rows}
