"""Event encoding: the JSON each reporting call produces, per protocol v1, and validation."""

import json
import unittest

from swarmtop_runtime import Runtime, usage_from_anthropic, usage_from_openai
from swarmtop_runtime import _encode as enc
from tests.helpers import Tap


class EncodingTest(unittest.TestCase):
    def setUp(self):
        self.rt = Runtime("enc-test", port=0, sample_interval=0)
        self.tap = Tap(self.rt)

    def test_envelope_and_agent_upsert(self):
        self.rt.agent("planner", name="Planner", role="plans work", model="gpt-5")
        ev = self.tap.poll()[0]
        self.assertEqual(ev["type"], "agent")
        self.assertEqual(ev["seq"], 1)
        self.assertIsInstance(ev["ts"], int)
        self.assertGreater(ev["ts"], 1_600_000_000_000)
        self.assertEqual(ev["agent"], {"id": "planner", "name": "Planner", "role": "plans work",
                                       "model": "gpt-5", "status": "idle"})
        # an update carries only the fields given: absent fields keep their value
        self.rt.agent("planner", parent=None)
        self.assertEqual(self.tap.poll()[1]["agent"], {"id": "planner", "parent": None})

    def test_task_lifecycle_and_failure_text(self):
        a = self.rt.agent("w")
        with self.rt.task("search", agent=a, kind="tool", deps=["t-a", "t-b"], input="q=1") as t:
            t.output = "3 hits"
        with self.assertRaises(ZeroDivisionError):
            with self.rt.task("divide", agent=a, id="t-div"):
                1 / 0
        tasks = [e["task"] for e in self.tap.of("task")]
        self.assertEqual(tasks[0]["status"], "submitted")
        self.assertEqual(tasks[0]["deps"], ["t-a", "t-b"])
        self.assertEqual(tasks[0]["kind"], "tool")
        self.assertEqual(tasks[0]["input"], "q=1")
        self.assertEqual(tasks[0]["attempt"], 1)
        self.assertEqual(tasks[1]["status"], "working")
        self.assertEqual(tasks[2], {"id": t.id, "status": "completed", "output": "3 hits"})
        failed = [x for x in tasks if x["id"] == "t-div" and x.get("status") == "failed"]
        self.assertEqual(failed[0]["error"], "ZeroDivisionError: division by zero")
        # agent went working then idle around the tasks
        statuses = [e["agent"].get("status") for e in self.tap.of("agent", id="w")]
        self.assertEqual(statuses[:3], ["idle", "working", "idle"])

    def test_seq_is_contiguous_and_json_is_compact(self):
        self.rt.log("hello", level="warn")
        self.rt.message("hi", agent="x", role="user")
        evs = self.tap.poll()
        self.assertEqual([e["seq"] for e in evs], [1, 2])
        self.assertEqual(evs[0], {"type": "log", "seq": 1, "ts": evs[0]["ts"], "level": "warn",
                                  "text": "hello"})
        self.assertEqual(evs[1]["role"], "user")
        self.assertTrue(evs[1]["id"].startswith("m-"))
        raw = self.rt._log.ring[0][1]
        self.assertNotIn(" ", raw.replace("hello", ""))
        self.assertTrue(raw.startswith('{"type":"log","seq":1,"ts":'))

    def test_limits_and_validation(self):
        with self.assertRaises(ValueError):
            self.rt.agent("")
        with self.assertRaises(ValueError):
            self.rt.agent("x" * 129)
        with self.assertRaises(TypeError):
            self.rt.agent(7)
        with self.assertRaises(ValueError):
            self.rt.log("x", level="loud")
        with self.assertRaises(ValueError):
            self.rt.message("x", role="robot")
        with self.assertRaises(ValueError):
            self.rt.agent("ok").set_status("sleeping")
        self.rt.log("é" * 40000)  # 80000 bytes: truncated to 64 KiB at a character boundary
        text = self.tap.of("log")[-1]["text"]
        self.assertLessEqual(len(text.encode()), enc.TEXT_MAX)
        self.assertEqual(set(text), {"é"})
        self.rt.agent("n", name="N" * 1000)
        self.assertEqual(len(self.tap.of("agent", id="n")[0]["agent"]["name"]), enc.NAME_MAX)
        self.assertEqual(enc.truncate("aé", 2), "a")

    def test_usage_event_and_validation(self):
        self.rt.usage(agent="r", task="t-1", provider="openai", model="gpt-5", input_tokens=1200,
                      output_tokens=350, cache_read_tokens=800, reasoning_tokens=120)
        ev = self.tap.of("usage")[0]
        for k, v in {"agent": "r", "task": "t-1", "provider": "openai", "model": "gpt-5",
                     "input_tokens": 1200, "output_tokens": 350, "cache_read_tokens": 800,
                     "cache_write_tokens": 0, "reasoning_tokens": 120, "cost_usd": None}.items():
            self.assertEqual(ev[k], v, k)
        with self.assertRaises(ValueError):
            self.rt.usage(input_tokens=-1)
        with self.assertRaises(TypeError):
            self.rt.usage(input_tokens=True)
        with self.assertRaises(ValueError):  # cache tokens are part of input tokens
            self.rt.usage(input_tokens=10, cache_read_tokens=20)
        with self.assertRaises(ValueError):
            self.rt.usage(output_tokens=1, reasoning_tokens=2)
        with self.assertRaises(ValueError):
            self.rt.usage(cost_usd=-0.5)
        self.assertEqual(len(self.tap.of("usage")), 1)

    def test_hello(self):
        h = json.loads(self.rt._hello_json())
        self.assertEqual(h["type"], "hello")
        self.assertEqual(h["proto"], 1)
        self.assertNotIn("seq", h)
        self.assertEqual(h["runtime"]["id"], "enc-test")
        self.assertEqual(h["runtime"]["lang"], "python")
        self.assertIsInstance(h["runtime"]["free_threaded"], bool)
        self.assertEqual(len(h["runtime"]["instance"]), 8)
        self.assertEqual(h["capabilities"], ["pause", "resume", "retry", "cancel", "inject"])
        self.assertEqual(h["last_seq"], 0)

    def test_insecure_bind_refused(self):
        with self.assertRaises(ValueError):
            Runtime("x", host="0.0.0.0")
        Runtime("x", host="0.0.0.0", token="s3cret")
        Runtime("x", host="0.0.0.0", allow_insecure=True)
        Runtime("x", host="::1")


class UsageAdapterTest(unittest.TestCase):
    def test_openai_chat_dict(self):
        u = {"prompt_tokens": 1200, "completion_tokens": 350,
             "prompt_tokens_details": {"cached_tokens": 800},
             "completion_tokens_details": {"reasoning_tokens": 120}}
        self.assertEqual(usage_from_openai(u), {"input_tokens": 1200, "output_tokens": 350,
                                                "cache_read_tokens": 800,
                                                "cache_write_tokens": 0,
                                                "reasoning_tokens": 120})

    def test_openai_responses_object(self):
        class O:
            def __init__(self, **kw):
                self.__dict__.update(kw)
        resp = O(usage=O(input_tokens=50, output_tokens=20,
                         input_tokens_details=O(cached_tokens=10),
                         output_tokens_details=O(reasoning_tokens=5)))
        self.assertEqual(usage_from_openai(resp), {"input_tokens": 50, "output_tokens": 20,
                                                   "cache_read_tokens": 10,
                                                   "cache_write_tokens": 0,
                                                   "reasoning_tokens": 5})
        self.assertEqual(usage_from_openai({"prompt_tokens": 3, "completion_tokens": None,
                                            "prompt_tokens_details": None})["input_tokens"], 3)

    def test_anthropic_cache_tokens_become_inclusive(self):
        u = {"input_tokens": 100, "output_tokens": 40, "cache_read_input_tokens": 2000,
             "cache_creation_input_tokens": 300}
        got = usage_from_anthropic(u)
        self.assertEqual(got, {"input_tokens": 2400, "output_tokens": 40,
                               "cache_read_tokens": 2000, "cache_write_tokens": 300,
                               "reasoning_tokens": 0})
        rt = Runtime("u", port=0, sample_interval=0)
        rt.usage(provider="anthropic", model="claude", **got)  # consistent with the protocol
        self.assertEqual(usage_from_anthropic({"input_tokens": 5, "output_tokens": 1,
                                               "cache_read_input_tokens": None})["input_tokens"], 5)


if __name__ == "__main__":
    unittest.main()
