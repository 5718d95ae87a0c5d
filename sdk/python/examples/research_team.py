#!/usr/bin/env python3
"""research_team.py: a small multi-agent service made observable and steerable by swarmtop.

Owns: the example only. A planner splits each round into searches and summaries for several
workers (real threads doing real CPU work: PBKDF2 rounds between simulated LLM calls that report
token usage with cache and reasoning tokens), a reviewer checks the summaries and sometimes
rejects one (the review runs again as attempt 2), and tool calls fail now and then (those stay
failed until an operator retries them). Everyone reads their inbox for injected guidance.
No network LLM: everything is simulated except the CPU work and the protocol.

    python3 sdk/python/examples/research_team.py --port 7700
    swarmtop ws://127.0.0.1:7700/swarmtop

Round 1's first search always fails (a scripted outage), so there is always a task to retry:
    swarmtop ctl ws://127.0.0.1:7700/swarmtop retry --task r1-search-0
"""

import argparse
import hashlib
import os
import queue
import random
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from swarmtop_runtime import (Cancelled, Runtime, usage_from_anthropic,  # noqa: E402
                              usage_from_openai)

TOPICS = ["vendor pricing", "GPU availability", "EU data residency", "latency budgets",
          "token costs", "rate limits", "fine-tuning options", "eval harnesses"]


class ToolError(Exception):
    """A simulated tool failure (rate limit, outage)."""


class ReviewRejected(Exception):
    """The reviewer did not accept a summary."""


class Team:
    """The service: agents, a work queue, and the loops each thread runs."""

    def __init__(self, rt, workers, seed, fail_rate, speed):
        self.rt = rt
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.fail_rate = fail_rate
        self.speed = speed
        self.stop = threading.Event()
        self.work = queue.Queue()
        self.done = queue.Queue()
        self.guidance = []
        self.planner = rt.agent("planner", name="Planner", role="splits questions into research",
                                model="gpt-5")
        self.workers = [rt.agent(f"worker-{i}", name=f"Researcher {i}",
                                 role="searches and summarizes", model="claude-sonnet-4",
                                 parent="planner") for i in range(workers)]
        self.reviewer = rt.agent("reviewer", name="Reviewer", role="checks summaries",
                                 model="o3", parent="planner")

    def rand(self):
        """A random float from the seeded generator (thread-safe)."""
        with self.rng_lock:
            return self.rng.random()

    def nap(self, t, seconds):
        """Sleep in small steps, stopping at checkpoints (pause blocks, cancel raises)."""
        end = time.monotonic() + seconds / self.speed
        while not self.stop.is_set():
            t.checkpoint()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(0.05, left))

    def crunch(self, t, chunks):
        """Real CPU work: PBKDF2 rounds (hashlib releases the GIL), a checkpoint between."""
        digest = b"seed"
        for _ in range(chunks):
            t.checkpoint()
            digest = hashlib.pbkdf2_hmac("sha256", digest, b"swarmtop", 20000)
        return digest.hex()[:12]

    def read_inbox(self, agent):
        """Take injected operator guidance; acknowledge it in the conversation."""
        for msg in agent.inbox:
            self.guidance.append(str(msg))
            agent.message(f"Noted operator guidance: {msg}", role="assistant")

    def llm(self, t, agent, provider, model, prompt, reasoning=False):
        """A simulated model call: latency, then a usage event in the provider's own format."""
        self.nap(t, 0.15 + 0.3 * self.rand())
        inp = int(800 + 3000 * self.rand())
        out = int(100 + 600 * self.rand())
        cached = int(inp * 0.6 * self.rand())
        if provider == "anthropic":  # Anthropic's input_tokens excludes cache tokens
            raw = {"input_tokens": inp - cached, "output_tokens": out,
                   "cache_read_input_tokens": cached, "cache_creation_input_tokens": 0}
            counts = usage_from_anthropic(raw)
        else:
            raw = {"prompt_tokens": inp, "completion_tokens": out,
                   "prompt_tokens_details": {"cached_tokens": cached},
                   "completion_tokens_details":
                       {"reasoning_tokens": int(out * 0.5) if reasoning else 0}}
            counts = usage_from_openai(raw)
        self.rt.usage(agent=agent, task=t, provider=provider, model=model, **counts)
        text = f"[{model}] {prompt[:80]}"
        agent.message(text, task=t)
        return text

    # -- agent loops ----------------------------------------------------------------------

    def planner_loop(self):
        """Each round: plan, then hand searches and summaries to the workers, then review."""
        rnd = 0
        with self.planner.context():
            while not self.stop.is_set() and not self.planner.canceled:
                rnd += 1
                topic = TOPICS[(rnd - 1) % len(TOPICS)]
                try:
                    self.planner.checkpoint()
                    self.read_inbox(self.planner)
                    hint = f" (operator: {self.guidance[-1]})" if self.guidance else ""
                    with self.rt.task(f"plan: {topic}", id=f"r{rnd}-plan", kind="llm",
                                      input=topic) as plan:
                        self.llm(plan, self.planner, "openai", "gpt-5",
                                 f"Split '{topic}' into {len(self.workers)} questions{hint}")
                        plan.output = f"{len(self.workers)} questions"
                    summaries = []
                    for i, w in enumerate(self.workers):
                        s = self.rt.task(f"search: {topic} #{i}", agent=w, kind="tool",
                                         id=f"r{rnd}-search-{i}", deps=[plan], parent=None,
                                         input=f"q={topic.replace(' ', '+')}&part={i}",
                                         retry=self.search_body)
                        m = self.rt.task(f"summarize: {topic} #{i}", agent=w, kind="llm",
                                         id=f"r{rnd}-summary-{i}", deps=[s], parent=None,
                                         retry=self.summary_body)
                        self.work.put((w, s, m))
                        summaries.append(m)
                    review = self.rt.task(f"review: {topic}", agent=self.reviewer, kind="llm",
                                          id=f"r{rnd}-review", deps=summaries, parent=None)
                    self.done.put((review, summaries))
                    # wait for the round (bounded) before planning the next one
                    end = time.monotonic() + 20 / self.speed
                    while not self.stop.is_set() and time.monotonic() < end \
                            and review.status in ("submitted", "paused", "working"):
                        self.planner.checkpoint()
                        self.read_inbox(self.planner)
                        time.sleep(0.05)
                except Cancelled:
                    self.planner.log("planning canceled by operator", level="warn")

    def search_body(self, t):
        """A tool call: CPU work between checkpoints; fails now and then."""
        self.crunch(t, 3 + int(4 * self.rand()))
        self.nap(t, 0.2)
        if t.id == "r1-search-0" and t.attempt == 1:
            raise ToolError("search backend unavailable (scripted outage: retry me)")
        if self.rand() < self.fail_rate:
            raise ToolError("429 rate limited by search API")
        return f"{2 + int(8 * self.rand())} results, digest {self.crunch(t, 1)}"

    def summary_body(self, t):
        """A summary: CPU work plus a simulated model call."""
        agent = self.rt._agents[t.agent]
        self.read_inbox(agent)
        self.crunch(t, 2)
        return self.llm(t, agent, "anthropic", "claude-sonnet-4", f"Summarize {t.name}")

    def worker_loop(self, agent):
        """Take (search, summary) pairs; run them; a failed search leaves its summary waiting."""
        with agent.context():
            while not self.stop.is_set() and not agent.canceled:
                try:
                    agent.checkpoint()
                    self.read_inbox(agent)
                    w, s, m = self.work.get(timeout=0.2)
                except queue.Empty:
                    continue
                except Cancelled:
                    break
                if w is not agent:
                    self.work.put((w, s, m))
                    time.sleep(0.01)
                    continue
                try:
                    with s:
                        s.output = self.search_body(s)
                    with m:
                        m.output = self.summary_body(m)
                except ToolError as e:
                    agent.log(f"{s.id}: {e}", level="error")
                except Cancelled:
                    agent.log("work canceled by operator", level="warn")

    def reviewer_loop(self):
        """Review each round once its summaries are done; sometimes reject and review again."""
        with self.reviewer.context():
            while not self.stop.is_set() and not self.reviewer.canceled:
                try:
                    review, summaries = self.done.get(timeout=0.2)
                except queue.Empty:
                    continue
                end = time.monotonic() + 15 / self.speed
                while not self.stop.is_set() and time.monotonic() < end and any(
                        m.status in ("submitted", "working", "paused") for m in summaries):
                    time.sleep(0.05)
                for attempt in range(2):
                    try:
                        with review:
                            self.read_inbox(self.reviewer)
                            self.llm(review, self.reviewer, "openai", "o3",
                                     f"Review {len(summaries)} summaries", reasoning=True)
                            if attempt == 0 and self.rand() < 0.3:
                                raise ReviewRejected("summary lacks sources; asking for a redo")
                            ok = sum(m.status == "completed" for m in summaries)
                            review.output = f"accepted {ok}/{len(summaries)} summaries"
                        break
                    except ReviewRejected as e:
                        self.reviewer.log(f"{review.id}: {e}", level="warn")
                    except Cancelled:
                        break


def main(argv=None):
    """Parse arguments, start the runtime and the agents, run until Ctrl-C or --duration."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=7700)
    ap.add_argument("--token", default=os.environ.get("SWARMTOP_TOKEN"))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--duration", type=float, default=0, help="seconds (0: until Ctrl-C)")
    ap.add_argument("--fail-rate", type=float, default=0.1)
    ap.add_argument("--speed", type=float, default=1.0, help="time compression factor")
    ap.add_argument("--retain", type=int, default=10000, help="events kept for resuming clients")
    args = ap.parse_args(argv)

    rt = Runtime("research-team", host=args.host, port=args.port, token=args.token,
                 retain=args.retain, name="Research team (example)")
    team = Team(rt, max(1, args.workers), args.seed, args.fail_rate, args.speed)
    signal.signal(signal.SIGTERM, lambda *_: team.stop.set())
    with rt:
        print(f"research-team serving {rt.url} (instance {rt.instance})", flush=True)
        threads = [threading.Thread(target=team.planner_loop, name="planner", daemon=True),
                   threading.Thread(target=team.reviewer_loop, name="reviewer", daemon=True)]
        threads += [threading.Thread(target=team.worker_loop, args=(w,), name=w.id, daemon=True)
                    for w in team.workers]
        for t in threads:
            t.start()
        end = time.monotonic() + args.duration if args.duration > 0 else None
        try:
            while not team.stop.is_set() and (end is None or time.monotonic() < end):
                team.stop.wait(0.2)
        except KeyboardInterrupt:
            pass
        team.stop.set()
        rt.log("research team shutting down")
        for t in threads:
            t.join(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
