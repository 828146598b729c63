"""agentnb's side of compare_autogen.py: ``python tests/perf/agentnb_side.py <workload> <size>``.

The same instant models as bench_core.py: they ignore the request and reply at once, so the
time measured is the framework's own. Prints one JSON line (see compare_protocol.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from compare_protocol import run_side

from agentnb import Agent, Team, tool
from agentnb.core.events import USER, TextMessage, ToolCall, ToolResult, Usage
from agentnb.core.model import ModelReply, ModelRequest

USAGE = Usage(prompt_tokens=10, completion_tokens=2)


class InstantModel:
    """Replies "ok" at once: a tool call while tools are offered if it has a tool to call."""

    name = "instant"

    def __init__(self, tool_name: str | None = None) -> None:
        self.tool_name = tool_name
        self.calls = 0

    async def stream(self, request: ModelRequest) -> AsyncIterator[str | ModelReply]:
        self.calls += 1
        if self.tool_name and request.tools:
            call = ToolCall(id=f"c{self.calls}", name=self.tool_name, arguments='{"x": 1}')
            yield ModelReply(tool_calls=[call], usage=USAGE, model=self.name)
        else:
            yield ModelReply(text="ok ", usage=USAGE, model=self.name)


@tool
async def add_one(x: int) -> int:
    """Returns x + 1 as a coroutine."""
    return x + 1


@tool
def add_one_in_thread(x: int) -> int:
    """Returns x + 1 in a worker thread (the default for sync tools)."""
    return x + 1


async def round_robin(size: int) -> tuple[float, dict[str, int]]:
    """Three agents take ``size`` turns between them."""
    model = InstantModel()
    team = Team([Agent(name, f"You are {name}.") for name in ("a", "b", "c")], model=model, max_turns=size)
    started = time.perf_counter()
    result = await team.run("go")
    seconds = time.perf_counter() - started
    replies = sum(1 for m in result.messages if isinstance(m, TextMessage) and m.source != USER)
    return seconds, {"messages": replies, "model_calls": model.calls}


def tool_loop(the_tool):
    """One agent calls ``the_tool`` ``size`` times, then answers (``size`` + 1 model calls)."""

    async def workload(size: int) -> tuple[float, dict[str, int]]:
        model = InstantModel(the_tool.name)
        agent = Agent("worker", tools=[the_tool], model=model, max_tool_iterations=size)
        started = time.perf_counter()
        result = await agent.run("go")
        seconds = time.perf_counter() - started
        results = sum(1 for m in result.messages if isinstance(m, ToolResult) and not m.is_error)
        return seconds, {"tool_results": results, "model_calls": model.calls}

    return workload


if __name__ == "__main__":
    run_side(
        "agentnb",
        ["agentnb", "pydantic"],
        {
            "round_robin": round_robin,
            "tool_loop_async": tool_loop(add_one),
            "tool_loop_thread": tool_loop(add_one_in_thread),
        },
    )
