"""The runtime: the public reporting API (agents, tasks, usage, messages, logs) and steering.

Owns: Runtime, Agent and Task; which thread runs which task (thread-locals and the attribution
map used by the sampler); the pause/cancel/retry/inject state and the acks of commands; agent
status bookkeeping (working while it runs a task, idle after, paused/canceled by the operator).
Lock order: the steering condition (`_cv`) may be held while emitting (the log lock); the log lock
never waits for `_cv`. The server thread only calls `_hello_json`, `_command` and the log.
Must not: block the application's threads on the network.
"""

import collections
import ipaddress
import os
import platform
import secrets
import socket
import sys
import threading
import time

from . import _encode as enc
from ._log import EventLog
from ._procstat import Sampler
from ._steer import Cancelled, Inbox, OperatorMessage

_UNSET = object()
_BUSY = ("idle",)
_AGENT_DONE = ("completed", "failed", "canceled")
_MAX_COMMANDS = 4096


def _is_loopback(host):
    """True when host names only the loopback interface."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _free_threaded():
    """True when this interpreter runs without the GIL right now."""
    f = getattr(sys, "_is_gil_enabled", None)
    return bool(f is not None and not f())


class _Exec:
    """One running attempt of a task on one thread."""

    __slots__ = ("task", "agent", "tid", "blocked", "canceled")

    def __init__(self, task, agent, tid):
        self.task, self.agent, self.tid = task, agent, tid
        self.blocked = False
        self.canceled = False


class _Pending:
    """A command accepted but not yet applied, waiting for some executions to react."""

    __slots__ = ("kind", "cid", "waiting", "on_done", "target", "fail")

    def __init__(self, kind, cid, waiting, on_done, target):
        self.kind, self.cid, self.waiting, self.on_done = kind, cid, waiting, on_done
        self.target = target
        self.fail = None


class Agent:
    """Handle for one agent; every method is safe to call from any thread."""

    def __init__(self, rt, aid):
        self._rt = rt
        self.id = aid
        self.inbox = Inbox(rt._inbox_taken)

    def update(self, name=_UNSET, role=_UNSET, model=_UNSET, parent=_UNSET, status=_UNSET):
        """Emit an agent upsert with the fields given (others keep their value)."""
        self._rt._agent_upsert(self.id, name, role, model, parent, status)

    def set_status(self, status):
        """Set this agent's status (idle, working, input-required, paused, completed, ...)."""
        self._rt._agent_upsert(self.id, _UNSET, _UNSET, _UNSET, _UNSET, status)

    @property
    def status(self):
        """The agent's current status."""
        return self._rt._agent_status.get(self.id)

    def message(self, text, role="assistant", task=_UNSET, id=None):
        """Emit a conversation message from this agent (task defaults to the current one)."""
        return self._rt.message(text, agent=self, role=role, task=task, id=id)

    def log(self, text, level="info", task=_UNSET):
        """Emit a log line attributed to this agent."""
        return self._rt.log(text, level=level, agent=self, task=task)

    def usage(self, **kw):
        """rt.usage(agent=this agent, ...)."""
        return self._rt.usage(agent=self, **kw)

    def task(self, name, **kw):
        """rt.task(name, agent=this agent, ...)."""
        return self._rt.task(name, agent=self, **kw)

    def checkpoint(self):
        """Block while this agent (or its task, or the runtime) is paused; raise Cancelled when
        canceled. Inside a task of this agent it is that task's checkpoint."""
        exe = self._rt._current_exec()
        if exe is not None and exe.agent != self.id:
            exe = None
        self._rt._checkpoint(self.id, exe)

    def context(self):
        """Context manager attributing the current thread to this agent (without a task)."""
        return _Bind(self._rt, self.id)

    @property
    def paused(self):
        """True while an operator pause applies to this agent."""
        rt = self._rt
        return rt._paused_all or self.id in rt._paused_agents

    @property
    def canceled(self):
        """True once an operator canceled this agent (or the whole runtime)."""
        rt = self._rt
        return rt._cancel_all or self.id in rt._canceled_agents

    def __repr__(self):
        return f"<Agent {self.id!r} {self.status}>"


class _Bind:
    """Context manager: this thread works for an agent (thread attribution, defaults)."""

    def __init__(self, rt, aid):
        self._rt, self._aid = rt, aid

    def __enter__(self):
        self._rt._push(self._aid, None, None)
        return self

    def __exit__(self, *exc):
        self._rt._pop()
        return False


class Task:
    """A unit of work: `with rt.task(...) as t:` runs it (working → completed / failed /
    canceled). Entering a finished task again starts attempt + 1."""

    def __init__(self, rt, tid, agent, name, kind, retry):
        self._rt = rt
        self.id = tid
        self.agent = agent
        self.name = name
        self.kind = kind
        self.retry = retry
        self.status = "submitted"
        self.attempt = 1
        self.output = None
        self.error = None
        self._exec = None

    def __enter__(self):
        self._rt._enter(self)
        return self

    def __exit__(self, et, ev, tb):
        self._rt._exit(self, et, ev)
        return False

    def checkpoint(self):
        """Block while paused; raise Cancelled when canceled. Call it between steps."""
        self._rt._checkpoint(self.agent, self._exec)

    def update(self, name=_UNSET, input=_UNSET, output=_UNSET, deps=_UNSET, status=_UNSET):
        """Emit a task upsert with the fields given."""
        self._rt._task_update(self, name, input, output, deps, status)

    def message(self, text, role="assistant", id=None):
        """Emit a message from this task's agent, attributed to this task."""
        return self._rt.message(text, agent=self.agent, role=role, task=self, id=id)

    def log(self, text, level="info"):
        """Emit a log line attributed to this task."""
        return self._rt.log(text, level=level, agent=self.agent, task=self)

    def usage(self, **kw):
        """rt.usage(agent=this task's agent, task=this task, ...)."""
        return self._rt.usage(agent=self.agent, task=self, **kw)

    @property
    def canceled(self):
        """True when the operator canceled this running task (or its agent, or the runtime)."""
        e = self._exec
        return self._rt._is_canceled(self.agent, e) if e is not None else False

    def __repr__(self):
        return f"<Task {self.id!r} {self.status} attempt={self.attempt}>"


def _aid(agent):
    """An agent id from an Agent, a str or None."""
    if agent is None or isinstance(agent, str):
        return agent
    if isinstance(agent, Agent):
        return agent.id
    raise TypeError(f"agent must be an Agent or an id str, not {type(agent).__name__}")


def _tid(task):
    """A task id from a Task, a str or None."""
    if task is None or isinstance(task, str):
        return task
    if isinstance(task, Task):
        return task.id
    raise TypeError(f"task must be a Task or an id str, not {type(task).__name__}")


class Runtime:
    """A protocol v1 runtime: serves swarmtop clients from a background thread.

    Runtime(id, host="127.0.0.1", port=7700, token=None, retain=10000). port=0 picks a free
    port (see .port and .url after start()). A non-loopback host needs a token unless
    allow_insecure=True.
    """

    def __init__(self, id, host="127.0.0.1", port=7700, token=None, retain=10000, *, name=None,
                 path="/swarmtop", allow_insecure=False, sample_interval=1.0,
                 client_queue=10000, max_message=1 << 20, ping_interval=20.0, ping_timeout=30.0,
                 max_tasks=10000):
        self.id = enc.ident(id, "runtime id")
        if token is not None and (not isinstance(token, str) or not token):
            raise ValueError("token must be a non-empty str")
        if not _is_loopback(host) and token is None and not allow_insecure:
            raise ValueError(f"refusing to serve on {host!r} without a token: pass token=... "
                             "(or allow_insecure=True if the network is trusted)")
        self.name = enc.name(name) if name is not None else None
        self.host = host
        self.port = port
        self.path = path
        self._token = token
        self.sample_interval = sample_interval
        self.client_queue = client_queue
        self.max_message = max_message
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.max_tasks = max_tasks
        self.instance = secrets.token_hex(4)
        self.started_ts = None
        self._log = EventLog(retain, max_tasks)
        self._cv = threading.Condition(threading.Lock())
        self._life = threading.Lock()
        self._agents = {}
        self._agent_status = {}
        self._agent_prev = {}
        self._tasks = collections.OrderedDict()
        self._execs = set()
        self._paused_all = False
        self._paused_agents = set()
        self._paused_tasks = set()
        self._cancel_all = False
        self._canceled_agents = set()
        self._canceled_tasks = set()
        self._exec_cancels = 0
        self._steering = False
        self._pending = []
        self._commands = collections.OrderedDict()
        self._retry_wait = {}
        self._retry_handler = None
        self._tls = threading.local()
        self._attr = {}
        self._next = 0
        self._server = None
        self._sampler = None
        self._stopped = False
        self.stats = collections.Counter()

    # -- lifecycle ------------------------------------------------------------------------

    def start(self):
        """Start serving (and sampling) in background threads; returns self."""
        from ._server import Server
        with self._life:
            if self._server is not None:
                return self
            if self._stopped:  # a restart is a new instance: seq starts again at 1
                self.instance = secrets.token_hex(4)
                self._log.reset()
                agents, tasks, _ = self._log.state_copy()
                for a in agents:
                    self._log.agent(a)
                for t in tasks:
                    self._log.task(t)
            self.started_ts = time.time_ns() // 1_000_000
            srv = Server(self)
            srv.start()
            self._server = srv
            self.port = srv.port
            if self.sample_interval:
                self._sampler = Sampler(lambda f: self._log.event("threads", f),
                                        lambda: dict(self._attr), self.sample_interval)
                self._sampler.start()
        return self

    def stop(self):
        """Close every connection (1001), stop the server and the sampler."""
        with self._life:
            if self._sampler is not None:
                self._sampler.stop()
                self._sampler = None
            if self._server is not None:
                self._server.stop()
                self._server = None
                self._stopped = True

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def url(self):
        """ws://host:port/path of this runtime."""
        h = self.host
        if ":" in h and not h.startswith("["):
            h = f"[{h}]"
        return f"ws://{h}:{self.port}{self.path}"

    @property
    def last_seq(self):
        """The highest seq assigned so far in this instance."""
        return self._log.last_seq()

    def _hello_json(self):
        """The hello message for a new connection."""
        rt = {"id": self.id, "instance": self.instance, "host": socket.gethostname(),
              "pid": os.getpid(), "lang": "python", "lang_version": platform.python_version(),
              "free_threaded": _free_threaded(), "cores": os.cpu_count() or 1,
              "started_ts": self.started_ts or time.time_ns() // 1_000_000}
        if self.name:
            rt["name"] = self.name
        return enc.dumps({"type": "hello", "proto": enc.PROTO, "runtime": rt,
                          "capabilities": list(enc.ACTIONS), "last_seq": self._log.last_seq()})

    def _new_id(self, prefix):
        """A runtime-unique id like t-12 or m-40."""
        with self._cv:
            self._next += 1
            return f"{prefix}-{self._next}"

    # -- thread context -------------------------------------------------------------------

    def _stack(self):
        """This thread's stack of (agent, task, exec) contexts."""
        s = getattr(self._tls, "stack", None)
        if s is None:
            s = self._tls.stack = []
        return s

    def _push(self, agent, task, exe):
        """Enter a context on this thread and update the sampler's attribution."""
        s = self._stack()
        s.append((agent, task, exe))
        self._attr[threading.get_native_id()] = (agent, task.id if task is not None else None)

    def _pop(self):
        """Leave the innermost context on this thread."""
        s = self._stack()
        if s:
            s.pop()
        tid = threading.get_native_id()
        if s:
            a, t, _ = s[-1]
            self._attr[tid] = (a, t.id if t is not None else None)
        else:
            self._attr.pop(tid, None)

    def current(self):
        """(agent id, Task) this thread is working for, or (None, None)."""
        s = getattr(self._tls, "stack", None)
        if not s:
            return None, None
        return s[-1][0], s[-1][1]

    def _current_exec(self):
        """The innermost running task execution on this thread, if any."""
        s = getattr(self._tls, "stack", None)
        return s[-1][2] if s else None

    def attribution(self):
        """{native thread id: (agent, task)} as the sampler sees it."""
        return dict(self._attr)

    # -- reporting API --------------------------------------------------------------------

    def agent(self, id, name=_UNSET, role=_UNSET, model=_UNSET, parent=_UNSET, status=_UNSET):
        """Create or update an agent and return its handle (same handle for the same id)."""
        enc.ident(id, "agent id")
        with self._cv:
            a = self._agents.get(id)
            new = a is None
            if new:
                a = self._agents[id] = Agent(self, id)
        if new and status is _UNSET:
            status = "idle"
        if new or any(v is not _UNSET for v in (name, role, model, parent, status)):
            self._agent_upsert(id, name, role, model, parent, status)
        return a

    def _agent_upsert(self, aid, name, role, model, parent, status):
        """Validate and emit an agent upsert."""
        f = {"id": aid}
        if name is not _UNSET:
            f["name"] = enc.name(name)
        if role is not _UNSET:
            f["role"] = enc.name(role)
        if model is not _UNSET:
            f["model"] = enc.name(model)
        if parent is not _UNSET:
            f["parent"] = enc.opt_ident(_aid(parent), "parent")
        with self._cv:
            if status is not _UNSET:
                f["status"] = enc.choice(status, enc.AGENT_STATUSES, "agent status")
                self._agent_status[aid] = status
            self._log.agent(f)

    def _set_agent_status(self, aid, status):
        """Under _cv: emit an agent status change when it changes."""
        if self._agent_status.get(aid) != status:
            self._agent_status[aid] = status
            self._log.agent({"id": aid, "status": status})

    def task(self, name, agent=None, deps=None, kind=None, input=None, parent=_UNSET, id=None,
             retry=None):
        """Declare a task (emitted as submitted); use it with `with` to run it.

        agent defaults to the thread's current agent, parent to the thread's current task;
        deps are task ids or Task handles; retry is a callable re-run (as fn(task), inside the
        task) when an operator retries it after a failure or cancel.
        """
        cur_agent, cur_task = self.current()
        aid = enc.opt_ident(_aid(agent) if agent is not None else cur_agent, "agent")
        tid = enc.ident(id, "task id") if id is not None else self._new_id("t")
        if parent is _UNSET:
            parent = cur_task
        f = {"id": tid, "name": enc.name(name), "status": "submitted", "attempt": 1}
        if aid is not None:
            f["agent"] = aid
        if kind is not None:
            f["kind"] = enc.name(kind)
        if deps is not None:
            f["deps"] = [enc.ident(_tid(d), "dep") for d in deps]
        if parent is not None:
            f["parent"] = enc.ident(_tid(parent), "parent")
        if input is not None:
            f["input"] = enc.text(input)
        if retry is not None and not callable(retry):
            raise TypeError("retry must be callable")
        with self._cv:
            t = self._tasks.get(tid)
            if t is not None and t._exec is not None:
                raise RuntimeError(f"task {tid} is running")
            t = Task(self, tid, aid, f["name"], f.get("kind"), retry)
            self._tasks[tid] = t
            self._tasks.move_to_end(tid)
            self._trim_tasks()
            self._log.task(f)
        return t

    def _trim_tasks(self):
        """Under _cv: forget the oldest finished Task handles beyond max_tasks (in batches of
        a tenth, so the scan is amortized)."""
        if len(self._tasks) <= self.max_tasks + self.max_tasks // 10:
            return
        excess = len(self._tasks) - self.max_tasks
        victims = []
        if excess > 0:  # oldest first; the scan stops once enough finished ones are found
            for k, t in self._tasks.items():
                if t.status in enc.TERMINAL_TASK:
                    victims.append(k)
                    if len(victims) >= excess:
                        break
        for tid in victims:
            del self._tasks[tid]

    def _task_update(self, t, name, input, output, deps, status):
        """Validate and emit a task upsert for a Task handle."""
        f = {"id": t.id}
        if name is not _UNSET:
            f["name"] = t.name = enc.name(name)
        if input is not _UNSET:
            f["input"] = enc.text(input)
        if output is not _UNSET:
            t.output = output
            f["output"] = enc.text(output)
        if deps is not _UNSET:
            f["deps"] = [enc.ident(_tid(d), "dep") for d in (deps or ())]
        with self._cv:
            if status is not _UNSET:
                f["status"] = t.status = enc.choice(status, enc.TASK_STATUSES, "task status")
            self._log.task(f)

    def usage(self, agent=_UNSET, task=_UNSET, provider=None, model=None, input_tokens=0,
              output_tokens=0, cache_read_tokens=0, cache_write_tokens=0, reasoning_tokens=0,
              cost_usd=None):
        """Emit one model call's usage (a delta). Inclusive accounting: cache tokens are part of
        input_tokens, reasoning tokens part of output_tokens (see usage_from_anthropic)."""
        cur_agent, cur_task = self.current()
        f = {}
        a = cur_agent if agent is _UNSET else _aid(agent)
        t = cur_task if task is _UNSET else task
        if a is not None:
            f["agent"] = enc.ident(a, "agent")
        if t is not None:
            f["task"] = enc.ident(_tid(t), "task")
        f["provider"] = enc.name(provider)
        f["model"] = enc.name(model)
        f["input_tokens"] = i = enc.count(input_tokens, "input_tokens")
        f["output_tokens"] = o = enc.count(output_tokens, "output_tokens")
        f["cache_read_tokens"] = cr = enc.count(cache_read_tokens, "cache_read_tokens")
        f["cache_write_tokens"] = cw = enc.count(cache_write_tokens, "cache_write_tokens")
        f["reasoning_tokens"] = r = enc.count(reasoning_tokens, "reasoning_tokens")
        if cr + cw > i:
            raise ValueError("cache_read_tokens + cache_write_tokens exceed input_tokens: the "
                             "protocol counts cache tokens inside input_tokens "
                             "(Anthropic usage: use usage_from_anthropic())")
        if r > o:
            raise ValueError("reasoning_tokens exceed output_tokens: the protocol counts "
                             "reasoning tokens inside output_tokens")
        if cost_usd is not None:
            if isinstance(cost_usd, bool) or not isinstance(cost_usd, (int, float)) \
                    or not cost_usd >= 0 or cost_usd == float("inf"):
                raise ValueError(f"cost_usd must be a non-negative number or None, not {cost_usd!r}")
        f["cost_usd"] = cost_usd
        return self._log.usage_delta(f)

    def message(self, text, agent=_UNSET, role="assistant", task=_UNSET, id=None):
        """Emit a conversation message (agent/task default to this thread's context)."""
        cur_agent, cur_task = self.current()
        a = cur_agent if agent is _UNSET else _aid(agent)
        t = cur_task if task is _UNSET else task
        f = {}
        if a is not None:
            f["agent"] = enc.ident(a, "agent")
        if t is not None:
            f["task"] = enc.ident(_tid(t), "task")
        f["id"] = enc.ident(id, "message id") if id is not None else self._new_id("m")
        f["role"] = enc.choice(role, enc.ROLES, "role")
        f["text"] = enc.text(text)
        return self._log.event("message", f)

    def log(self, text, level="info", agent=_UNSET, task=_UNSET):
        """Emit a log line (agent/task default to this thread's context)."""
        cur_agent, cur_task = self.current()
        a = cur_agent if agent is _UNSET else _aid(agent)
        t = cur_task if task is _UNSET else task
        f = {"level": enc.choice(level, enc.LEVELS, "level"), "text": enc.text(text)}
        if a is not None:
            f["agent"] = enc.ident(a, "agent")
        if t is not None:
            f["task"] = enc.ident(_tid(t), "task")
        return self._log.event("log", f)

    def on_retry(self, fn):
        """Register fn(task) called (on a new thread) when an operator retries a failed or
        canceled task that has no retry= callable; the task already carries attempt + 1 and
        fn runs it, e.g. `with task: ...`. Returns fn (usable as a decorator)."""
        if fn is not None and not callable(fn):
            raise TypeError("on_retry needs a callable")
        self._retry_handler = fn
        return fn

    def checkpoint(self):
        """Checkpoint for the current thread's task/agent (no-op when there is none)."""
        a, _ = self.current()
        self._checkpoint(a, self._current_exec())

    # -- running tasks --------------------------------------------------------------------

    def _enter(self, t):
        """Start an attempt of a task on this thread: checkpoint first, then working."""
        native = threading.get_native_id()
        with self._cv:
            if t._exec is not None:
                raise RuntimeError(f"task {t.id} is already running")
            if t.status in enc.TERMINAL_TASK:
                t.attempt += 1
            exe = _Exec(t, t.agent, native)
            t._exec = exe
            self._execs.add(exe)
            cid = self._retry_wait.pop(t.id, None)
            if cid is not None:
                self._ack(cid, "applied")
        self._push(t.agent, t, exe)
        try:
            self._checkpoint(t.agent, exe)
        except BaseException as e:
            self._pop()
            self._finish(t, exe, type(e), e)
            raise
        with self._cv:
            t.status = "working"
            t.error = None
            self._log.task({"id": t.id, "status": "working", "attempt": t.attempt,
                            "error": None, "output": None})
            if t.agent is not None and self._agent_status.get(t.agent) in (None, "idle"):
                self._set_agent_status(t.agent, "working")

    def _exit(self, t, et, ev):
        """End the running attempt of a task on this thread."""
        exe = t._exec
        if exe is None:
            return
        self._pop()
        self._finish(t, exe, et, ev)

    def _finish(self, t, exe, et, ev):
        """Record how an attempt ended, emit it, and let pending commands progress."""
        if et is None:
            status, err = "completed", None
        elif issubclass(et, Cancelled):
            status, err = "canceled", str(ev) or "canceled by operator"
        elif issubclass(et, Exception):
            status, err = "failed", f"{et.__name__}: {ev}" if str(ev) else et.__name__
        else:
            status, err = "canceled", et.__name__
        f = {"id": t.id, "status": status}
        if status == "completed":
            if t.output is not None:
                f["output"] = enc.text(t.output)
        else:
            f["error"] = enc.text(err)
        with self._cv:
            self._execs.discard(exe)
            t._exec = None
            t.status = status
            t.error = err
            if exe.canceled:
                self._exec_cancels -= 1
            if status == "canceled":
                self._canceled_tasks.discard(t.id)
            self._update_steering()
            self._log.task(f)
            self._progress(exe, "exit", status)
            a = t.agent
            if a is not None and self._agent_status.get(a) == "working" \
                    and not any(e.agent == a for e in self._execs):
                self._set_agent_status(a, "idle")
            self._trim_tasks()

    # -- steering -------------------------------------------------------------------------

    def _update_steering(self):
        """Under _cv: recompute the fast-path flag read by checkpoint()."""
        self._steering = bool(self._paused_all or self._cancel_all or self._paused_agents
                              or self._paused_tasks or self._canceled_agents
                              or self._canceled_tasks or self._exec_cancels)

    def _is_paused(self, aid, exe):
        """Under _cv: does a pause apply to this agent/execution?"""
        return (self._paused_all or (aid is not None and aid in self._paused_agents)
                or (exe is not None and exe.task.id in self._paused_tasks))

    def _is_canceled(self, aid, exe):
        """Does a cancel apply to this agent/execution?"""
        return (self._cancel_all or (aid is not None and aid in self._canceled_agents)
                or (exe is not None and (exe.canceled or exe.task.id in self._canceled_tasks)))

    def _checkpoint(self, aid, exe):
        """Block while paused; raise Cancelled when canceled. Cheap when nothing is steered."""
        if not self._steering:
            return
        with self._cv:
            if self._is_canceled(aid, exe):
                raise Cancelled("canceled by operator")
            if not self._is_paused(aid, exe):
                return
            t = exe.task if exe is not None else None
            if exe is not None:
                exe.blocked = True
                t.status = "paused"
                self._log.task({"id": t.id, "status": "paused"})
                self._progress(exe, "block")
            try:
                while self._is_paused(aid, exe) and not self._is_canceled(aid, exe):
                    self._cv.wait()
            finally:
                if exe is not None:
                    exe.blocked = False
                    self._progress(exe, "wake")
            if self._is_canceled(aid, exe):
                raise Cancelled("canceled by operator")
            if t is not None:
                t.status = "working"
                self._log.task({"id": t.id, "status": "working"})

    def _progress(self, exe, what, outcome=None):
        """Under _cv: an execution blocked, woke or exited; finish commands waiting on it."""
        if not self._pending:
            return
        for p in list(self._pending):
            if exe not in p.waiting:
                continue
            if p.kind == "pause" and what in ("block", "exit"):
                p.waiting.discard(exe)
            elif p.kind == "resume" and what in ("wake", "exit"):
                p.waiting.discard(exe)
            elif p.kind == "cancel" and what == "exit":
                p.waiting.discard(exe)
                if p.target[0] == "task" and outcome != "canceled":
                    p.fail = (f"task {exe.task.id} was {outcome} before it reached a "
                              "checkpoint")
            if not p.waiting:
                self._pending.remove(p)
                self._done(p)

    def _done(self, p):
        """Under _cv: a pending command's effect happened (or became impossible)."""
        if p.fail:
            self._ack(p.cid, "rejected", p.fail)
            return
        if p.on_done is not None:
            p.on_done()
        self._ack(p.cid, "applied")

    def _pend(self, kind, cid, waiting, on_done=None, target=None):
        """Under _cv: apply now when nothing must react, else wait for the executions."""
        p = _Pending(kind, cid, set(waiting), on_done, target)
        if p.waiting:
            self._pending.append(p)
        else:
            self._done(p)

    def _ack(self, cid, status, error=None):
        """Under _cv: emit an ack and remember it for repeated command ids."""
        f = {"command": cid, "status": status}
        if error is not None:
            f["error"] = enc.text(error)
        self._commands[cid] = (status, error)
        self._log.event("ack", f)

    def _pause_agents(self, aids):
        """Under _cv: show agents as paused, remembering what they were."""
        for a in aids:
            st = self._agent_status.get(a)
            if st not in _AGENT_DONE and st != "paused":
                self._agent_prev[a] = st
                self._set_agent_status(a, "paused")

    def _restore_agents(self, aids):
        """Under _cv: agents shown as paused go back to working/idle/input-required."""
        for a in aids:
            if self._agent_status.get(a) != "paused":
                continue
            prev = self._agent_prev.pop(a, None)
            if prev == "input-required":
                self._set_agent_status(a, prev)
            else:
                busy = any(e.agent == a for e in self._execs)
                self._set_agent_status(a, "working" if busy else "idle")

    def _command(self, msg):
        """Handle one command from a client (server thread). Returns False when it had no
        usable id (nothing can be acked), True otherwise."""
        cid = msg.get("id")
        if not isinstance(cid, str) or not 1 <= len(cid.encode("utf-8", "replace")) <= enc.ID_MAX:
            return False
        with self._cv:
            rec = self._commands.get(cid)
            if rec is not None:  # a repeated id is the same command: say where it is again
                self._log.event("ack", {"command": cid, "status": rec[0],
                                        **({"error": rec[1]} if rec[1] else {})})
                return True
            self._commands[cid] = ("accepted", None)
            while len(self._commands) > _MAX_COMMANDS:
                self._commands.popitem(last=False)
            action = msg.get("action")
            target = msg.get("target", {})
            if target is None:
                target = {}
            if action not in enc.ACTIONS:
                self._ack(cid, "rejected", f"unknown action {action!r}; this runtime accepts "
                                           + ", ".join(enc.ACTIONS))
                return True
            if not isinstance(target, dict):
                self._ack(cid, "rejected", "target must be an object: {}, {\"agent\":ID} or "
                                           "{\"task\":ID}")
                return True
            a, t = target.get("agent"), target.get("task")
            for v, what in ((a, "agent"), (t, "task")):
                if v is not None and (not isinstance(v, str) or not v):
                    self._ack(cid, "rejected", f"target.{what} must be a non-empty string")
                    return True
            getattr(self, "_cmd_" + action)(cid, msg, a, t)
            return True

    def _task_or_reject(self, cid, t):
        """Under _cv: the Task for an id, or None after a rejection ack."""
        tk = self._tasks.get(t)
        if tk is None:
            self._ack(cid, "rejected", f"unknown task {t}")
        return tk

    def _agent_or_reject(self, cid, a):
        """Under _cv: True when the agent exists, else a rejection ack and False."""
        if a not in self._agents:
            self._ack(cid, "rejected", f"unknown agent {a}")
            return False
        return True

    def _cmd_pause(self, cid, msg, a, t):
        """pause: work stops at its next checkpoint; applied once every running execution of
        the target has reached one (at once when the target is idle)."""
        if t is not None:
            tk = self._task_or_reject(cid, t)
            if tk is None:
                return
            if tk.status in enc.TERMINAL_TASK:
                self._ack(cid, "rejected", f"task {t} is {tk.status}; only submitted or running "
                                           "tasks can be paused")
                return
            self._paused_tasks.add(t)
            self._update_steering()
            self._ack(cid, "accepted")
            if tk._exec is None:
                tk.status = "paused"
                self._log.task({"id": t, "status": "paused"})
                self._pend("pause", cid, (), None, ("task", t))
            else:
                self._pend("pause", cid, [e for e in self._execs
                                          if e.task is tk and not e.blocked],
                           None, ("task", t))
            return
        if a is not None:
            if not self._agent_or_reject(cid, a):
                return
            if self._agent_status.get(a) == "canceled":
                self._ack(cid, "rejected", f"agent {a} is canceled")
                return
            self._paused_agents.add(a)
            self._update_steering()
            self._ack(cid, "accepted")
            self._pend("pause", cid, [e for e in self._execs if e.agent == a and not e.blocked],
                       lambda: self._pause_agents([a]), ("agent", a))
            return
        self._paused_all = True
        self._update_steering()
        self._ack(cid, "accepted")
        self._pend("pause", cid, [e for e in self._execs if not e.blocked],
                   lambda: self._pause_agents(list(self._agents)), ("all",))

    def _supersede(self, cid, match):
        """Under _cv: reject pending pauses that a resume made moot."""
        for p in list(self._pending):
            if p.kind == "pause" and match(p):
                self._pending.remove(p)
                self._ack(p.cid, "rejected", f"resumed by command {cid} before it was applied")

    def _cmd_resume(self, cid, msg, a, t):
        """resume: paused work continues; applied once the blocked executions woke."""
        if t is not None:
            tk = self._task_or_reject(cid, t)
            if tk is None:
                return
            if t not in self._paused_tasks:
                why = (f"task {t} is paused because " + ("the runtime is paused"
                       if self._paused_all else f"agent {tk.agent} is paused")
                       if self._is_paused(tk.agent, tk._exec) else f"task {t} is not paused")
                self._ack(cid, "rejected", why)
                return
            self._paused_tasks.discard(t)
            self._ack(cid, "accepted")
            self._supersede(cid, lambda p: p.target == ("task", t))
            if tk._exec is None and tk.status == "paused":
                tk.status = "submitted"
                self._log.task({"id": t, "status": "submitted"})
            aids = []
        elif a is not None:
            if not self._agent_or_reject(cid, a):
                return
            if a not in self._paused_agents:
                self._ack(cid, "rejected", "the whole runtime is paused; resume it with an "
                          "empty target" if self._paused_all else f"agent {a} is not paused")
                return
            self._paused_agents.discard(a)
            self._ack(cid, "accepted")
            self._supersede(cid, lambda p: p.target == ("agent", a))
            aids = [a]
        else:
            if not (self._paused_all or self._paused_agents or self._paused_tasks):
                self._ack(cid, "rejected", "nothing is paused")
                return
            self._paused_all = False
            self._paused_agents.clear()
            for tid in self._paused_tasks:
                tk = self._tasks.get(tid)
                if tk is not None and tk._exec is None and tk.status == "paused":
                    tk.status = "submitted"
                    self._log.task({"id": tid, "status": "submitted"})
            self._paused_tasks.clear()
            self._ack(cid, "accepted")
            self._supersede(cid, lambda p: True)
            aids = list(self._agents)
        self._update_steering()
        waking = [e for e in self._execs if e.blocked and not self._is_paused(e.agent, e)]
        self._cv.notify_all()
        self._pend("resume", cid, waking, lambda: self._restore_agents(aids))

    def _cmd_cancel(self, cid, msg, a, t):
        """cancel: the task/agent/runtime stops (Cancelled at the next checkpoint) and becomes
        canceled; applied once the running executions ended."""
        if t is not None:
            tk = self._task_or_reject(cid, t)
            if tk is None:
                return
            if tk.status in enc.TERMINAL_TASK:
                self._ack(cid, "rejected", f"task {t} is already {tk.status}")
                return
            self._ack(cid, "accepted")
            exe = tk._exec
            if exe is None:
                self._canceled_tasks.add(t)
                self._paused_tasks.discard(t)
                tk.status = "canceled"
                tk.error = "canceled by operator"
                self._log.task({"id": t, "status": "canceled", "error": tk.error})
                self._update_steering()
                self._pend("cancel", cid, (), None, ("task", t))
                return
            if not exe.canceled:
                exe.canceled = True
                self._exec_cancels += 1
            self._update_steering()
            self._cv.notify_all()
            self._pend("cancel", cid, [exe], None, ("task", t))
            return
        if a is not None:
            if not self._agent_or_reject(cid, a):
                return
            if self._agent_status.get(a) == "canceled":
                self._ack(cid, "rejected", f"agent {a} is already canceled")
                return
            self._canceled_agents.add(a)
            self._update_steering()
            self._ack(cid, "accepted")
            self._cv.notify_all()
            self._pend("cancel", cid, [e for e in self._execs if e.agent == a],
                       lambda: self._set_agent_status(a, "canceled"), ("agent", a))
            return
        self._cancel_all = True
        self._update_steering()
        self._ack(cid, "accepted")
        self._cv.notify_all()

        def done():
            for x in self._agents:
                if self._agent_status.get(x) not in ("completed", "failed"):
                    self._set_agent_status(x, "canceled")
        self._pend("cancel", cid, list(self._execs), done, ("all",))

    def _cmd_retry(self, cid, msg, a, t):
        """retry: a failed or canceled task runs again with attempt + 1, through its retry=
        callable or the on_retry handler; applied when the new attempt started."""
        if t is None:
            self._ack(cid, "rejected", "retry needs a task target")
            return
        tk = self._task_or_reject(cid, t)
        if tk is None:
            return
        if tk.status not in ("failed", "canceled"):
            self._ack(cid, "rejected", f"task {t} is {tk.status}; only failed or canceled tasks "
                                       "can be retried")
            return
        fn, handler = tk.retry, self._retry_handler
        if fn is None and handler is None:
            self._ack(cid, "rejected", f"task {t} cannot be retried: no retry callable was "
                                       "given to rt.task() and no rt.on_retry() handler is set")
            return
        if self._cancel_all:
            self._ack(cid, "rejected", "the runtime was canceled")
            return
        self._ack(cid, "accepted")
        tk.attempt += 1
        tk.status = "submitted"
        tk.error = tk.output = None
        self._canceled_tasks.discard(t)
        if tk.agent in self._canceled_agents:
            self._canceled_agents.discard(tk.agent)
            self._set_agent_status(tk.agent, "idle")
        self._update_steering()
        self._retry_wait[t] = cid
        self._log.task({"id": t, "status": "submitted", "attempt": tk.attempt, "error": None,
                        "output": None})
        threading.Thread(target=self._run_retry, args=(tk, fn, handler, cid),
                         name=f"swarmtop-retry-{t}"[:60], daemon=True).start()

    def _run_retry(self, tk, fn, handler, cid):
        """Retry thread: run the task again (retry= callable) or hand it to the handler."""
        try:
            if fn is not None:
                with tk:
                    out = fn(tk)
                    if out is not None and tk.output is None:
                        tk.output = out
            else:
                handler(tk)
        except Exception as e:  # the task recorded its own failure; a handler error is acked
            with self._cv:
                if self._retry_wait.pop(tk.id, None) == cid:
                    self._ack(cid, "rejected", f"retry handler failed: {type(e).__name__}: {e}")
                    tk.status = "failed"
                    tk.error = f"retry handler failed: {e}"
                    self._log.task({"id": tk.id, "status": "failed", "error": enc.text(tk.error)})
        except BaseException:
            pass

    def _cmd_inject(self, cid, msg, a, t):
        """inject: queue operator text to an agent's inbox and emit it as a message; applied
        when the agent takes it from its inbox."""
        if a is None:
            self._ack(cid, "rejected", "inject needs an agent target")
            return
        if not self._agent_or_reject(cid, a):
            return
        text = msg.get("text")
        if not isinstance(text, str) or not text.strip():
            self._ack(cid, "rejected", "inject needs a non-empty text")
            return
        text = enc.text(text)
        reason = msg.get("reason") if isinstance(msg.get("reason"), str) else None
        self._ack(cid, "accepted")
        self._next += 1
        self._log.event("message", {"agent": a, "id": f"m-{self._next}", "role": "operator",
                                    "text": text})
        self._agents[a].inbox.put(OperatorMessage(text, cid, reason))

    def _inbox_taken(self, msg):
        """An agent took an operator message from its inbox: its inject is applied."""
        cid = getattr(msg, "command", None)
        if cid is None:
            return
        with self._cv:
            rec = self._commands.get(cid)
            if rec is None or rec[0] != "applied":
                self._ack(cid, "applied")
