#!/usr/bin/env python3
"""bench.py: the `make bench` driver (bench/run.sh builds, installs, then runs this).

Owns: running every benchmark several times, the median and spread of each, one table printed
and written to docs/performance.md with the machine description, the load and the date. Every
headline figure is put next to a peer measured in the same run (these machines are shared and
noisy: an absolute number alone means little):

  ingest    demo flood over loopback -> swarmtop record (persisting), against ref_python.py and
            node/ref_node.js doing the same job; events/s committed to SQLite over a 10 s window,
            peak RSS (VmHWM), CPU per event, bytes per stored event. Rounds interleave the three.
  micro     bench_core (decode, decode+apply), bench_store (sync and async rows/s, replay read),
            bench_replay when it exists, bench_render (build and paint per view, 200x60,
            10 000 tasks, 1 000 agents) against htop's CPU per refresh.
  idle      swarmtop dashboard on an idle runtime (fleet_runtime.py) beside `htop -d 10`, both in
            200x60 tmux panes, 30 s, CPU from /proc/PID/task/*/schedstat (ns resolution).
  memory    the dashboard with 1 000 agents, 10 000 tasks and a full message ring, every view
            shown: VmHWM, beside htop's.
  startup   spawn -> first complete frame (the key bar's "Quit" arrives) on a 200x60 pty, beside
            htop measured the same way.
  scaling   1, 10 and 100 demo runtimes at a fixed total offered rate into one swarmtop record.
  sdk       bench_sdk.py (the Python runtime SDK's own overhead).

Usage: /usr/bin/python3 bench/bench.py [--quick] [--out docs/performance.md]
Environment: BENCH_NODE=0 skips the Node.js reference (marked unavailable).
"""

import argparse
import concurrent.futures
import datetime
import fcntl
import glob
import os
import platform
import pty
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "build/release/swarmtop")
BB = os.path.join(ROOT, "build/release/bench")
PY = "/usr/bin/python3"
TMP = tempfile.mkdtemp(prefix="swarmtop-bench.")
ENV = dict(os.environ, XDG_STATE_HOME=os.path.join(TMP, "state"),
           XDG_CONFIG_HOME=os.path.join(TMP, "config"), LANG="C.UTF-8", LC_ALL="C.UTF-8")
ENV.pop("NO_COLOR", None)
PROCS = []          # everything started, killed at exit
ROWS = []           # table rows
NOTES = []          # lines below the table


def log(msg):
    """Progress on stderr (the table goes to stdout)."""
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def spawn(argv, **kw):
    """Start a process in its own process group and remember it."""
    kw.setdefault("env", ENV)
    kw.setdefault("stdin", subprocess.DEVNULL)
    p = subprocess.Popen(argv, start_new_session=True, **kw)
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGTERM, timeout=10):
    """Signal a process we started and wait for it (SIGKILL after timeout)."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in PROCS:
        PROCS.remove(p)


def cleanup():
    """Kill whatever is still running, remove the temp dir."""
    for p in list(PROCS):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except OSError:
                pass
    subprocess.run(["tmux", "-L", TMUX, "kill-server"], stderr=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(TMP, ignore_errors=True)


# ---- /proc ----

def cpu_ns(pid):
    """CPU time of a process in ns: the sum over its threads of schedstat's run time."""
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def status_kb(pid, key):
    """A kB field of /proc/PID/status (VmHWM, VmRSS), 0 when gone."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def loadavg():
    """The 1, 5 and 15 minute load averages as text."""
    with open("/proc/loadavg") as fh:
        return " ".join(fh.read().split()[:3])


def machine():
    """nproc, CPU model, memory, kernel."""
    model = "?"
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = status_like("/proc/meminfo", "MemTotal")
    return (f"{os.cpu_count()} CPUs ({model}), {mem / 1048576:.1f} GiB RAM, "
            f"Linux {platform.release()}")


def status_like(path, key):
    """A kB field of a /proc file."""
    with open(path) as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


# ---- statistics and the table ----

def med(v):
    """Median, min, max of a list (None when empty)."""
    v = [x for x in v if x is not None]
    if not v:
        return None
    return statistics.median(v), min(v), max(v)


def fmt(m, unit="", prec=0):
    """'median [min-max] unit' or 'n/a'."""
    if m is None:
        return "n/a"
    a, lo, hi = m
    f = f"{{:,.{prec}f}}"
    if lo == hi:
        return f"{f.format(a)}{unit}"
    return f"{f.format(a)} [{f.format(lo)}–{f.format(hi)}]{unit}"


def row(area, measure, value, peer="", ratio="", target="", status=""):
    """One table row."""
    ROWS.append((area, measure, value, peer, ratio, target, status))


def verdict(ok):
    """Status cell."""
    return "met" if ok else "**MISSED**"


# ---- runtimes and subscribers ----

def wait_line(p, pattern, timeout=15):
    """Read p.stdout until a line matches pattern; returns the match."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            line = p.stdout.readline().decode(errors="replace")
            m = re.search(pattern, line)
            if m:
                return m
            if not line and p.poll() is not None:
                break
    raise RuntimeError(f"no line matching {pattern!r} from {p.args[:2]}")


def start_demo(rate, seed=1, pause=True):
    """A demo runtime in flood mode with its three simulated agents paused (they burn real CPU
    doing fake work; the flood generator keeps running). Returns (process, url)."""
    p = spawn([BIN, "demo", "--port", "0", "--agents", "3", "--rate", str(rate),
               "--seed", str(seed), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    url = wait_line(p, r"^demo: listening on (ws:\S+)").group(1)
    if pause:
        for a in ("planner", "researcher-1", "reviewer"):
            ctl(url, a)
    return p, url


def ctl(url, agent):
    """Pause one agent of a demo runtime."""
    subprocess.run([BIN, "ctl", "--db", os.path.join(TMP, "ctl.db"), url, "pause", "--agent",
                    agent], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=30)


def start_fleet(*args):
    """fleet_runtime.py (idle runtime, or a fixed population). Returns (process, url)."""
    p = spawn([PY, os.path.join(ROOT, "bench/fleet_runtime.py"), *args],
              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p, wait_line(p, r"^fleet: listening on (ws:\S+)").group(1)


def db_rows(path):
    """Committed events in a database (max rowid of events; 0 when not there yet)."""
    if not os.path.exists(path):
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            r = db.execute("SELECT max(id) FROM events").fetchone()[0]
        finally:
            db.close()
        return r or 0
    except sqlite3.Error:
        return 0


SUBSCRIBERS = {
    "swarmtop": lambda db, urls: [BIN, "record", "--db", db, *urls],
    "python": lambda db, urls: [PY, os.path.join(ROOT, "bench/ref_python.py"), "--db", db,
                                urls[0]],
    "node": lambda db, urls: ["node", os.path.join(ROOT, "bench/node/ref_node.js"), "--db", db,
                              urls[0]],
}


def measure_ingest(name, urls, demos, window, warm=2.0, tag=""):
    """Run one subscriber against running runtimes; events/s committed over the window."""
    db = os.path.join(TMP, f"{name}{tag}.db")
    for f in glob.glob(db + "*"):
        os.unlink(f)
    p = spawn(SUBSCRIBERS[name](db, urls), stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL)
    end = time.monotonic() + 15
    while db_rows(db) == 0 and time.monotonic() < end and p.poll() is None:
        time.sleep(0.1)
    time.sleep(warm)
    n0, t0, c0 = db_rows(db), time.monotonic(), cpu_ns(p.pid)
    d0 = sum(cpu_ns(d.pid) for d in demos)
    time.sleep(window)
    n1, t1, c1 = db_rows(db), time.monotonic(), cpu_ns(p.pid)
    d1 = sum(cpu_ns(d.pid) for d in demos)
    hwm = status_kb(p.pid, "VmHWM")
    alive = p.poll() is None
    stop(p, signal.SIGINT if name == "swarmtop" else signal.SIGTERM)
    rows = db_rows(db)
    size = sum(os.path.getsize(f) for f in glob.glob(db + "*"))
    for f in glob.glob(db + "*"):
        os.unlink(f)
    if not alive or n1 <= n0:
        return None
    ev = n1 - n0
    return {"rate": ev / (t1 - t0), "hwm_mb": hwm / 1024, "cpu_us": (c1 - c0) / 1e3 / ev,
            "cpu_share": (c1 - c0) / 1e9 / (t1 - t0), "demo_share": (d1 - d0) / 1e9 / (t1 - t0),
            "bytes": size / rows if rows else None}


def wait_npm(limit=600):
    """Wait for run.sh's background npm install (BENCH_NPM_PID), if any, to finish."""
    pid = os.environ.get("BENCH_NPM_PID")
    if not pid:
        return
    end = time.monotonic() + limit
    if os.path.exists(f"/proc/{pid}"):
        log("waiting for the Node.js modules to finish building")
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < end:
        time.sleep(1)
    NOTES.append("- This run installed the Node.js modules (better-sqlite3 compiled from source) "
                 "in the background at nice 19 while the benchmarks before ingest ran.")


def node_ready():
    """True when the Node.js reference can run."""
    return os.environ.get("BENCH_NODE") != "0" and subprocess.run(
        ["node", os.path.join(ROOT, "bench/node/check.js")], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0


def bench_ingest(rounds, window):
    """Ingest end to end: rounds x (python, node, swarmtop), interleaved, a fresh demo each."""
    names = ["python", "node", "swarmtop"]
    if not node_ready():
        names.remove("node")
    res = {n: [] for n in SUBSCRIBERS}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            d, url = start_demo(0, seed=1)
            log(f"ingest round {r + 1}/{rounds}: {n} (load {loadavg()})")
            res[n].append(measure_ingest(n, [url], [d], window))
            stop(d)
    return res


def bench_scaling(window, total_rate):
    """1, 10 and 100 demo runtimes at total_rate events/s in all into one swarmtop record."""
    out = {}
    for n in (1, 10, 100):
        log(f"scaling: {n} runtimes (load {loadavg()})")
        demos = []
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            for r in ex.map(lambda i: start_demo(max(total_rate // n, 1), seed=i + 1), range(n)):
                demos.append(r)
        procs = [d for d, _ in demos]
        m = measure_ingest("swarmtop", [u for _, u in demos], procs, window, warm=3.0,
                           tag=f"-scale{n}")
        for d in procs:
            d.send_signal(signal.SIGTERM)
        for d in procs:
            stop(d)
        out[n] = m
        if m and m["rate"] < 0.5 * total_rate and m["cpu_share"] < 0.2:
            NOTES.append(f"- Scaling, {n} runtimes: {m['rate']:,.0f} of {total_rate:,} ev/s offered "
                         f"arrived while swarmtop used {m['cpu_share'] * 100:.0f} % of a core: "
                         f"the {n} demo processes (each with its simulated agents until paused "
                         f"by ctl) limit this row, not swarmtop.")
    return out


# ---- tmux, idle, memory, startup ----

TMUX = f"swarmtop-bench-{os.getpid()}"


def tmux(*args):
    """Run a tmux command on the private server; returns its stdout."""
    return subprocess.run(["tmux", "-L", TMUX, "-f", "/dev/null", *args], env=ENV,
                          capture_output=True, text=True, timeout=10).stdout.strip()


def tmux_start(name, cmd):
    """A detached 200x60 session running cmd (exec'd: the pane pid is the program's)."""
    tmux("new-session", "-d", "-s", name, "-x", "200", "-y", "60", f"exec {cmd}")
    return int(tmux("display", "-p", "-t", name, "#{pane_pid}"))


def env_cmd():
    """The environment prefix for commands run in tmux panes."""
    return (f"env XDG_STATE_HOME={TMP}/state XDG_CONFIG_HOME={TMP}/config LANG=C.UTF-8 "
            f"LC_ALL=C.UTF-8")


def bench_idle(seconds, windows=3):
    """CPU share of the dashboard on an idle runtime beside htop -d 10 over the same seconds."""
    f, url = start_fleet()
    st = tmux_start("idle-st", f"{env_cmd()} {BIN} {url}")
    ht = tmux_start("idle-ht", f"{env_cmd()} htop -d 10")
    time.sleep(3)
    per = seconds / windows
    s_sh, h_sh = [], []
    s_all = h_all = 0
    for _ in range(windows):
        s0, h0, t0 = cpu_ns(st), cpu_ns(ht), time.monotonic()
        time.sleep(per)
        s1, h1, dt = cpu_ns(st), cpu_ns(ht), time.monotonic() - t0
        s_sh.append((s1 - s0) / 1e9 / dt * 100)
        h_sh.append((h1 - h0) / 1e9 / dt * 100)
        s_all += s1 - s0
        h_all += h1 - h0
    hwm_ht = status_kb(ht, "VmHWM")
    screen = tmux("capture-pane", "-p", "-t", "idle-st")
    tmux("kill-session", "-t", "idle-st")
    tmux("kill-session", "-t", "idle-ht")
    stop(f)
    return {"st": s_sh, "ht": h_sh, "ratio": s_all / h_all if h_all else None,
            "htop_refresh_ms": h_all / 1e6 / seconds, "htop_hwm_mb": hwm_ht / 1024,
            "connected": "connected" in screen}


def bench_memory(runs):
    """Peak RSS of the dashboard holding 1 000 agents, 10 000 tasks and a full message ring,
    after showing every view."""
    f, url = start_fleet("--agents", "1000", "--tasks", "10000", "--lines", "10100")
    out = []
    for r in range(runs):
        pid = tmux_start(f"mem{r}", f"{env_cmd()} {BIN} {url}")
        # Wait until the population is in: the header counts 1000 agents.
        end = time.monotonic() + 30
        while time.monotonic() < end and "agents 1000" not in tmux("capture-pane", "-p", "-t",
                                                                     f"mem{r}"):
            time.sleep(0.2)
        ok = "agents 1000" in tmux("capture-pane", "-p", "-t", f"mem{r}")
        for key in "234561":
            tmux("send-keys", "-t", f"mem{r}", key)
            time.sleep(0.4)
        out.append(status_kb(pid, "VmHWM") / 1024 if ok else None)
        tmux("send-keys", "-t", f"mem{r}", "q")
        time.sleep(0.3)
        tmux("kill-session", "-t", f"mem{r}")
    stop(f)
    return out


def first_frame_ms(argv, marker=b"Quit", timeout=10):
    """ms from fork to the first complete frame on a 200x60 pty (the marker in the key bar,
    the last row ncurses paints); then q to quit."""
    t0 = time.monotonic()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, dict(ENV, TERM="xterm-256color", COLUMNS="200", LINES="60"))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 60, 200, 0, 0))
    buf, got = b"", None
    end = t0 + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if marker in buf:
                got = (time.monotonic() - t0) * 1e3
                break
    try:
        os.write(fd, b"q")
        end = time.monotonic() + 3
        while time.monotonic() < end and os.waitpid(pid, os.WNOHANG) == (0, 0):
            try:
                select.select([fd], [], [], 0.05)
                os.read(fd, 65536)
            except OSError:
                pass
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    os.close(fd)
    return got


def bench_startup(runs):
    """Time to first frame: swarmtop on the idle runtime, htop, alternating."""
    f, url = start_fleet()
    st, ht = [], []
    for _ in range(runs):
        st.append(first_frame_ms([BIN, url]))
        ht.append(first_frame_ms(["htop", "-d", "10"]))
    stop(f)
    return st, ht


# ---- micro benchmarks (C programs) ----

def run_lines(argv, timeout=300):
    """Run a program, return its stdout ('' when missing or failing)."""
    if not os.path.exists(argv[0]):
        return ""
    try:
        r = subprocess.run(argv, env=ENV, capture_output=True, text=True, timeout=timeout)
        return r.stdout if r.returncode == 0 else ""
    except subprocess.TimeoutExpired:
        return ""


def grab(text, pattern):
    """The float a regexp's first group finds in text, or None."""
    m = re.search(pattern, text)
    return float(m.group(1).replace(",", "")) if m else None


def bench_micro(runs, core_events, store_events):
    """bench_core, bench_store and bench_replay, runs times each."""
    r = {k: [] for k in ("decode", "decode_apply", "sync", "async", "async_loop", "read",
                         "disk", "replay_open", "replay_seek_med", "replay_seek_max",
                         "replay_read", "replay_index", "replay_hwm")}
    for i in range(runs):
        log(f"micro run {i + 1}/{runs} (load {loadavg()})")
        out = run_lines([os.path.join(BB, "bench_core"), str(core_events)])
        r["decode"].append(grab(out, r"(?m)^decode: (\d+)"))
        r["decode_apply"].append(grab(out, r"decode\+apply: (\d+)"))
        out = run_lines([os.path.join(BB, "bench_store"), str(store_events), TMP])
        r["sync"].append(grab(out, r"sync\s+insert\s+(\d+)"))
        r["async"].append(grab(out, r"async\s+insert\s+(\d+)"))
        r["async_loop"].append(grab(out, r"async\s+insert.*\((\d+) rows per CPU-s\)"))
        r["read"].append(grab(out, r"sync\s+replay read\s+(\d+)"))
        r["disk"].append(grab(out, r"sync\s+replay read.*disk (\d+)"))
        if os.path.exists(os.path.join(BB, "bench_replay")):
            # The 1M-event session is generated on the first run and reused after.
            out = run_lines([os.path.join(BB, "bench_replay"), "1000000",
                             os.path.join(TMP, "replay.db")], timeout=180)
            r["replay_index"].append(grab(out, r"indexed: ([\d.]+) s"))
            r["replay_hwm"].append(grab(out, r"peak RSS: ([\d.]+) MB"))
            r["replay_open"].append(grab(out, r"(?i)first frame\D*?([\d.]+) ?ms"))
            r["replay_seek_med"].append(grab(out, r"(?i)seek.*?median\D*?([\d.]+)"))
            r["replay_seek_max"].append(grab(out, r"(?i)seek.*?(?:worst|max)\D*?([\d.]+)"))
            r["replay_read"].append(grab(out, r"(?i)read\D*?([\d,]+) ?(?:events|rows)/s"))
    return r


def bench_render():
    """bench_render in a 200x60 tmux pane (paint needs a terminal)."""
    out = os.path.join(TMP, "render.txt")
    exe = os.path.join(BB, "bench_render")
    if not os.path.exists(exe):
        return {}
    tmux("new-session", "-d", "-s", "render", "-x", "200", "-y", "60",
         f"exec {env_cmd()} {exe} {out} --paint")
    end = time.monotonic() + 120
    while time.monotonic() < end and "render" in tmux("list-sessions", "-F", "#S"):
        time.sleep(0.3)
    res = {}
    if os.path.exists(out):
        with open(out) as fh:
            for line in fh:
                p = line.split()
                if p and p[0] == "view":
                    v = [float(x) for x in p[3:6] + p[7:10] + p[11:14]]
                    res[p[1]] = {"build": tuple(v[0:3]), "paint": tuple(v[3:6]),
                                 "switch": tuple(v[6:9])}
    return res


def bench_sdk(seconds):
    """bench_sdk.py: per-event cost in the application thread, sampler CPU."""
    r = subprocess.run([PY, os.path.join(ROOT, "bench/bench_sdk.py"), "--seconds", str(seconds)],
                       env=dict(ENV, BENCH_STRICT="0"), capture_output=True, text=True,
                       timeout=120)
    return r.stdout


# ---- the report ----

def build_table(a):
    """All rows from the collected results."""
    ing = a["ingest"]
    m = {n: med([x["rate"] for x in ing[n] if x]) for n in ing}
    st = m.get("swarmtop")
    for n in ("python", "node"):
        if not ing[n]:
            row("ingest", f"{n} reference: events/s committed", "not run", "", "", "", "")
    if st:
        py, nd = m.get("python"), m.get("node")
        rp = st[0] / py[0] if py else None
        rn = st[0] / nd[0] if nd else None
        row("ingest", "swarmtop record: events/s committed (10 s window)", fmt(st, " ev/s"),
            f"Python {fmt(py)}" if py else "Python n/a", f"{rp:.2f}× Python" if rp else "",
            "≥ 150 000 ev/s", verdict(st[0] >= 150000))
        row("ingest", "  ratio to the Python reference", f"{rp:.2f}×" if rp else "n/a",
            f"Python {fmt(py, ' ev/s')}" if py else "", "", "≥ 2×",
            verdict(rp is not None and rp >= 2))
        row("ingest", "  ratio to the Node.js reference", f"{rn:.2f}×" if rn else "n/a",
            f"Node {fmt(nd, ' ev/s')}" if nd else "not measured", "", "> 1× (ahead)",
            verdict(rn is not None and rn > 1))
        for n, label in (("swarmtop", "swarmtop"), ("python", "Python"), ("node", "Node.js")):
            xs = [x for x in ing[n] if x]
            if not xs:
                continue
            row("ingest", f"  {label}: peak RSS / CPU per event / runtime CPU",
                f"{fmt(med([x['hwm_mb'] for x in xs]), ' MB', 1)} / "
                f"{fmt(med([x['cpu_us'] for x in xs]), ' µs', 2)} / "
                f"{fmt(med([x['demo_share'] * 100 for x in xs]), ' %')}")
        b = med([x["bytes"] for x in ing["swarmtop"] if x])
        bp = med([x["bytes"] for x in ing["python"] if x])
        row("memory", "bytes per stored event on disk (db + WAL)", fmt(b, " B"),
            f"Python ref {fmt(bp, ' B')}" if bp else "",
            f"{b[0] / bp[0]:.2f}×" if b and bp else "", "", "")
    else:
        row("ingest", "swarmtop record: events/s committed", "FAILED", "", "", "≥ 150 000 ev/s",
            "**MISSED**")

    mi = a["micro"]
    row("core", "decode alone (bench_core, one thread)", fmt(med(mi["decode"]), " ev/s"))
    da = med(mi["decode_apply"])
    row("core", "decode + apply (bench_core, one thread)", fmt(da, " ev/s"), "", "",
        "≥ 400 000 ev/s", verdict(da is not None and da[0] >= 400000))
    sy, asy = med(mi["sync"]), med(mi["async"])
    row("store", "store alone, sync (bench_store, wall)", fmt(sy, " rows/s"), "", "",
        "≥ 250 000 rows/s", verdict(sy is not None and sy[0] >= 250000))
    row("store", "store alone, STORE_ASYNC end to end (wall)", fmt(asy, " rows/s"), "", "",
        "≥ 250 000 rows/s", verdict(asy is not None and asy[0] >= 250000))
    row("store", "  STORE_ASYNC: rows per CPU-s of the loop thread", fmt(med(mi["async_loop"])))
    row("replay", "replay read alone (bench_store read-back)", fmt(med(mi["read"]), " rows/s"))
    if any(x is not None for x in mi["replay_open"] + mi["replay_seek_med"]):
        row("replay", "replay: open 1M-event session to first frame",
            fmt(med(mi["replay_open"]), " ms", 1), "", "", "≤ 1 000 ms",
            verdict(med(mi["replay_open"]) and med(mi["replay_open"])[0] <= 1000))
        row("replay", "replay: seek median / worst of 50",
            f"{fmt(med(mi['replay_seek_med']), ' ms', 1)} / "
            f"{fmt(med(mi['replay_seek_max']), ' ms', 1)}", "", "", "≤ 300 ms",
            verdict(med(mi["replay_seek_max"]) and med(mi["replay_seek_max"])[0] <= 300))
        row("replay", "replay: background index of the 1M events / peak RSS",
            f"{fmt(med(mi['replay_index']), ' s', 2)} / {fmt(med(mi['replay_hwm']), ' MB')}")
    else:
        row("replay", "replay: open 1M-event session, 50 seeks (bench_replay)", "pending",
            "", "", "≤ 1 s open, ≤ 300 ms seek", "pending")

    idle = a["idle"]
    href = idle["htop_refresh_ms"] if idle else None
    rend = a["render"]
    if rend:
        for v, x in rend.items():
            tot = x["build"][0] + x["paint"][0]
            row("render", f"{v}: build + paint per frame, 200x60, 10k tasks, 1k agents",
                f"{x['build'][0]:.2f} [{x['build'][1]:.2f}–{x['build'][2]:.2f}] + "
                f"{x['paint'][0]:.2f} ms = {tot:.2f} ms (view switch paint "
                f"{x['switch'][0]:.2f} ms)",
                f"htop refresh {href:.2f} ms" if href else "",
                f"{tot / href:.2f}×" if href else "", "≤ 3 ms", verdict(tot <= 3))
    else:
        row("render", "build + paint per frame", "FAILED", "", "", "≤ 3 ms", "**MISSED**")

    if idle:
        s, h = med(idle["st"]), med(idle["ht"])
        row("idle", "CPU share over 30 s on an idle runtime (3 × 10 s windows)",
            fmt(s, " %", 3), f"htop -d 10 {fmt(h, ' %', 3)}",
            f"{idle['ratio']:.2f}× htop" if idle["ratio"] else "", "≤ 0.5× htop",
            verdict(idle["ratio"] is not None and idle["ratio"] <= 0.5))
    mem = med(a["memory"])
    row("memory", "peak RSS, 1k agents, 10k tasks, full message ring, every view shown",
        fmt(mem, " MB", 1), f"htop {idle['htop_hwm_mb']:.1f} MB" if idle else "",
        f"{mem[0] / idle['htop_hwm_mb']:.2f}× htop" if mem and idle else "", "≤ 20 MB",
        verdict(mem is not None and mem[0] <= 20))
    s, h = med(a["startup"][0]), med(a["startup"][1])
    row("startup", "time to first frame (200x60 pty, idle runtime)", fmt(s, " ms", 1),
        f"htop {fmt(h, ' ms', 1)}", f"{s[0] / h[0]:.2f}× htop" if s and h else "", "≤ 50 ms",
        verdict(s is not None and s[0] <= 50))

    sc = a["scaling"]
    base = sc.get(1)
    for n, x in sc.items():
        if not x:
            row("scaling", f"{n} runtimes", "FAILED")
            continue
        rel = (f"{x['cpu_us'] / base['cpu_us']:.2f}× CPU/event of 1 runtime"
               if base else "")
        row("scaling", f"{n} runtime{'s' if n > 1 else ''} at {a['scale_rate']:,} ev/s total",
            f"{x['rate']:,.0f} ev/s, CPU {x['cpu_share'] * 100:.0f} %, "
            f"{x['cpu_us']:.2f} µs/ev, RSS {x['hwm_mb']:.1f} MB", "", rel, "linear at most", "")

    sdk = a["sdk"]
    for name in ("log line", "usage delta", "task (3 events)"):
        v = grab(sdk, rf"per event: {re.escape(name)}\s+([\d.]+) us")
        row("sdk", f"Python SDK: one {name} in the app thread (CPU)",
            f"{v:.2f} µs" if v is not None else "n/a", "", "", "≤ 20 µs",
            verdict(v is not None and v <= 20))
    v = grab(sdk, r"sampler CPU at 1 Hz \(pass x 1/s\)\s+([\d.]+) %")
    row("sdk", "Python SDK: /proc sampler at 1 Hz", f"{v:.3f} % of a core" if v is not None
        else "n/a", "", "", "≤ 0.5 %", verdict(v is not None and v <= 0.5))


def render_table():
    """The table as Markdown."""
    head = ["area", "measure", "swarmtop: median [min–max]", "peer (same run)", "ratio",
            "target", "status"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in ROWS:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer, shorter runs (a smoke test)")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/performance.md"))
    args = ap.parse_args()
    q = args.quick
    rounds, window = (1, 4) if q else (3, 10)
    t_start = time.monotonic()
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load0 = loadavg()
    os.makedirs(ENV["XDG_CONFIG_HOME"], exist_ok=True)
    a = {"scale_rate": 30000}
    try:
        log(f"start: load {load0}")
        a["micro"] = bench_micro(1 if q else 3, 300000 if q else 1000000,
                                 100000 if q else 300000)
        log("render")
        a["render"] = bench_render()
        log(f"idle ({9 if q else 30} s)")
        a["idle"] = bench_idle(9 if q else 30)
        log("memory")
        a["memory"] = bench_memory(1 if q else 3)
        log("startup")
        a["startup"] = bench_startup(3 if q else 7)
        log("sdk")
        a["sdk"] = bench_sdk(3 if q else 5)
        wait_npm()
        a["ingest"] = bench_ingest(rounds, window)
        a["scaling"] = bench_scaling(4 if q else 8, a["scale_rate"])
    finally:
        cleanup()
    load1 = loadavg()
    build_table(a)
    table = render_table()
    minutes = (time.monotonic() - t_start) / 60
    node_v = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    info = [
        f"- Date: {when}; `make bench` measuring time {minutes:.1f} min"
        f"{' (--quick: one short run each, not for the record)' if q else ''}.",
        f"- Machine: {machine()}.",
        f"- Load average (1/5/15 min) at start: {load0}; at end: {load1}. The machine is shared:"
        f" compare ratios, not absolute numbers.",
        f"- Software: swarmtop release build (-O2, no sanitizers); Python "
        f"{platform.python_version()} (/usr/bin/python3, websockets, sqlite3 "
        f"{sqlite3.sqlite_version}); Node.js {node_v} (ws, better-sqlite3 12).",
    ]
    doc = "\n".join([
        "# Performance", "",
        "Generated by `make bench` (bench/run.sh, bench/bench.py); do not edit by hand: the "
        "numbers here are always the last measured ones.", "",
        *info, "", table, "",
        *NOTES,
        "## What limits the missed targets (callgrind profiles; `perf stat` has no hardware "
        "counters on these VMs)", "",
        "- **Ingest** (`swarmtop record`): the loop thread costs ~27.9 k instructions per "
        "event. libwebsockets 4.1.6 parses client frames one byte at a time (~18.6 k, about 85 "
        "per byte); proto_decode on the hand-written json.c reader is ~6.9 k and model_apply "
        "~1.3 k; SQLite runs on the store's writer thread (STORE_ASYNC, ~11.4 k there). Reaching "
        "150 k ev/s needs WebSocket framing that is not byte by byte: our own framing over a raw "
        "socket in src/conn.c, or a libwebsockets with a block payload path.",
        "- **Decode + apply**: at the edge of 400 k ev/s (median of runs ~398-400 k, single "
        "runs 373-486 k on a loaded machine). Decode is ~10 k instructions per event; apply "
        "~2.3 k, mostly task_upsert's string copies and strmap lookups.",
        "- **Store**: SQLite's floor on this schema is ~11.7 k instructions per row, the same as "
        "a bare prepared-insert loop; 250 k rows/s is beyond one core of this machine class.",
        "- **Memory** (dashboard, 1 k agents, 10 k tasks, full ring): the Graph view's layout "
        "(node and segment arrays, ~2 MB plus fragmentation), the task array (~1.6 MB), message "
        "text in the ring (~1.9 MB), ncurses' windows (1 MB) and OpenSSL pages touched by the "
        "handshake (1.4 MB). Next: a smaller graph node struct and interned strings in the model.",
        "",
        "## How each figure is measured", "",
        "- **Ingest**: `swarmtop demo --rate 0 --agents 3 --seed 1` (flood mode; its three "
        "simulated agents are paused with `swarmtop ctl` first because they burn real CPU) over "
        "loopback into one subscriber; a fresh demo per run; rounds interleave the subscribers. "
        "Events/s = rows committed to SQLite (max rowid, read-only connection) over a 10 s window "
        "after 2 s of warm-up. The references (bench/ref_python.py, bench/node/ref_node.js) parse "
        "every message and store every one with the same schema shape, the same batching (1000 "
        "events or 100 ms per transaction) and the same durability (WAL, synchronous=NORMAL). "
        "The runtime shares the two cores with the subscriber: its CPU share is shown.",
        "- **Decode + apply, store, replay read**: bench/bench_core.c, bench/bench_store.c "
        "(and bench/bench_replay.c when present), CPU or wall time as each prints.",
        "- **Render**: bench/bench_render.c builds the model through proto_decode + model_apply, "
        "then per view times frame_draw (build) and crt_paint (ncurses, in a 200x60 tmux pane) "
        "as CPU time per frame, the clock advancing 1 s per frame; 7 × 20 frames. The peer is "
        "htop's CPU per refresh (its 30 s idle CPU / 30 refreshes, ~130 processes).",
        "- **Idle**: dashboard and `htop -d 10` side by side in 200x60 tmux panes for 30 s; CPU "
        "from /proc/PID/task/*/schedstat. The idle runtime is bench/fleet_runtime.py (hello, "
        "then nothing).",
        "- **Memory**: the dashboard on fleet_runtime.py --agents 1000 --tasks 10000 --lines "
        "10100, every view shown once, VmHWM.",
        "- **Startup**: fork/exec on a 200x60 pty until the key bar (the last row painted, "
        "`Quit`) arrives; then `q`.",
        "- **Scaling**: N demo runtimes (flood mode, agents paused) each at 30 000/N events/s, "
        "one `swarmtop record` subscribed to all; 8 s window.",
        "- **SDK**: bench/bench_sdk.py.",
        ""])
    print()
    print(table)
    for n in NOTES:
        print(n)
    with open(args.out, "w") as fh:
        fh.write(doc)
    log(f"wrote {os.path.relpath(args.out, ROOT)} ({minutes:.1f} min)")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
