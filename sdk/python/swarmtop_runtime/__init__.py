"""swarmtop_runtime: make a Python agent service observable and steerable by swarmtop.

Owns: the public names. A Runtime serves protocol v1 (see docs/protocol.md) from a background
thread; agents, tasks, usage, messages and logs are reported from any thread; operators pause,
resume, cancel, retry and inject through checkpoints, retry handlers and agent inboxes.

    from swarmtop_runtime import Runtime
    with Runtime("my-service", port=7700) as rt:
        a = rt.agent("researcher", role="finds sources", model="gpt-5")
        with rt.task("search: pricing", agent=a, kind="tool") as t:
            t.checkpoint()
            t.output = "3 results"
"""

from ._encode import ACTIONS
from ._runtime import Agent, Runtime, Task
from ._steer import Cancelled, Inbox, OperatorMessage
from .usage import usage_from_anthropic, usage_from_openai

__version__ = "0.1.0"
__all__ = ["Runtime", "Agent", "Task", "Cancelled", "Inbox", "OperatorMessage",
           "usage_from_openai", "usage_from_anthropic", "ACTIONS", "__version__"]
