"""AutoGen's side of compare_autogen.py, run with the Python of AutoGen's own virtualenv.

``<autogen venv>/bin/python tests/perf/autogen_side.py <workload> <size>`` prints one JSON line
(see compare_protocol.py). It never imports agentnb. The model is a minimal
`ChatCompletionClient` that replies at once without looking at the messages: AutoGen's own
``ReplayChatCompletionClient`` (in autogen-ext) tokenizes the whole context and records every
call, work that grows with the chat and is not the framework's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, Literal

from autogen_agentchat.agents import AssistantAgent
from autogen_agentchat.conditions import MaxMessageTermination
from autogen_agentchat.messages import TextMessage, ToolCallExecutionEvent
from autogen_agentchat.teams import RoundRobinGroupChat
from autogen_core import CancellationToken, FunctionCall
from autogen_core.models import (
    ChatCompletionClient,
    CreateResult,
    LLMMessage,
    ModelCapabilities,
    ModelInfo,
    RequestUsage,
)
from autogen_core.tools import Tool, ToolSchema
from compare_protocol import run_side
from pydantic import BaseModel

USAGE = RequestUsage(prompt_tokens=10, completion_tokens=2)
# vision=True spares AutoGen its per-call pass that strips images from the whole context.
INFO = ModelInfo(
    vision=True, function_calling=True, json_output=False, family="unknown", structured_output=False
)


class InstantClient(ChatCompletionClient):
    """Replies "ok" at once: a tool call while tools are offered if it has a tool to call."""

    def __init__(self, tool_name: str | None = None) -> None:
        self.tool_name = tool_name
        self.calls = 0

    async def create(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
    ) -> CreateResult:
        self.calls += 1
        if self.tool_name and tools and tool_choice != "none":
            call = FunctionCall(id=f"c{self.calls}", name=self.tool_name, arguments='{"x": 1}')
            return CreateResult(finish_reason="function_calls", content=[call], usage=USAGE, cached=False)
        return CreateResult(finish_reason="stop", content="ok ", usage=USAGE, cached=False)

    async def create_stream(
        self,
        messages: Sequence[LLMMessage],
        *,
        tools: Sequence[Tool | ToolSchema] = (),
        tool_choice: Tool | Literal["auto", "required", "none"] = "auto",
        json_output: bool | type[BaseModel] | None = None,
        extra_create_args: Mapping[str, Any] | None = None,
        cancellation_token: CancellationToken | None = None,
    ) -> AsyncGenerator[str | CreateResult, None]:
        yield await self.create(messages, tools=tools, tool_choice=tool_choice)

    async def close(self) -> None:
        return None

    def actual_usage(self) -> RequestUsage:
        return USAGE

    def total_usage(self) -> RequestUsage:
        return USAGE

    def count_tokens(self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()) -> int:
        return 0

    def remaining_tokens(
        self, messages: Sequence[LLMMessage], *, tools: Sequence[Tool | ToolSchema] = ()
    ) -> int:
        return 1_000_000

    @property
    def capabilities(self) -> ModelCapabilities:  # type: ignore[override]
        return ModelCapabilities(vision=True, function_calling=True, json_output=False)

    @property
    def model_info(self) -> ModelInfo:
        return INFO


async def add_one(x: int) -> int:
    """Returns x + 1 as a coroutine."""
    return x + 1


def add_one_in_thread(x: int) -> int:
    """Returns x + 1 in a worker thread (AutoGen's way with a sync function)."""
    return x + 1


async def round_robin(size: int) -> tuple[float, dict[str, int]]:
    """Three agents take ``size`` turns between them (the task message counts as one more)."""
    client = InstantClient()
    agents = [AssistantAgent(name, client, system_message=f"You are {name}.") for name in ("a", "b", "c")]
    team = RoundRobinGroupChat(agents, termination_condition=MaxMessageTermination(size + 1))
    started = time.perf_counter()
    result = await team.run(task="go")
    seconds = time.perf_counter() - started
    replies = sum(1 for m in result.messages if isinstance(m, TextMessage) and m.source != "user")
    return seconds, {"messages": replies, "model_calls": client.calls}


def tool_loop(fn):
    """One agent calls ``fn`` ``size`` times, then answers (``size`` + 1 model calls).

    ``max_tool_iterations`` bounds the loop; ``reflect_on_tool_use`` makes the last model call
    a text answer without tools, as agentnb's agent does when its iterations run out.
    """

    async def workload(size: int) -> tuple[float, dict[str, int]]:
        client = InstantClient(fn.__name__)
        agent = AssistantAgent(
            "worker", client, tools=[fn], max_tool_iterations=size, reflect_on_tool_use=True
        )
        started = time.perf_counter()
        result = await agent.run(task="go")
        seconds = time.perf_counter() - started
        results = sum(
            1
            for m in result.messages
            if isinstance(m, ToolCallExecutionEvent)
            for r in m.content
            if not r.is_error
        )
        return seconds, {"tool_results": results, "model_calls": client.calls}

    return workload


if __name__ == "__main__":
    run_side(
        "autogen",
        ["autogen-agentchat", "autogen-core", "pydantic"],
        {
            "round_robin": round_robin,
            "tool_loop_async": tool_loop(add_one),
            "tool_loop_thread": tool_loop(add_one_in_thread),
        },
    )
