"""Human: a participant whose turns are typed by a person (terminal, widget or function)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

from agentnb.core.agent import check_name
from agentnb.core.events import Event, TextMessage, ToolCall
from agentnb.core.turn import TurnContext
from agentnb.core.untrusted import approval_text, terminal_text

InputFunction = Callable[[str], "str | Awaitable[str]"]
YES = {"y", "yes", "ok", "approve", "approved"}


async def ask(fn: InputFunction, prompt: str) -> str:
    """Call a sync or async input function; sync ones run in a thread (``input`` blocks)."""
    if inspect.iscoroutinefunction(fn):
        return str(await fn(prompt))
    answer = await asyncio.to_thread(fn, prompt)
    if inspect.isawaitable(answer):
        answer = await answer
    return str(answer)


class Human:
    """A person in the team.

    ``input_fn(prompt)`` returns what they say (default: the terminal's ``input``).
    ``approve_fn(prompt)`` answers approval requests for tools that need one; by default
    the same input function is asked and "y"/"yes" approves (anything else is the comment).
    """

    def __init__(
        self,
        name: str = "human",
        *,
        description: str = "A person who answers questions and gives direction.",
        input_fn: InputFunction | None = None,
        approve_fn: Callable[[str, ToolCall], tuple[bool, str] | Awaitable[tuple[bool, str]]] | None = None,
    ) -> None:
        self.name = check_name(name)
        self.description = description
        self.input_fn: InputFunction = input_fn or input
        self.approve_fn = approve_fn

    def __repr__(self) -> str:
        return f"Human({self.name!r})"

    def reset(self) -> None:
        """Humans keep no derived state."""

    async def turn(self, thread: list[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        answer = await ask(self.input_fn, f"{self.name}> ")
        yield TextMessage(source=self.name, content=answer)

    async def approve(self, agent: str, call: ToolCall) -> tuple[bool, str]:
        """Ask whether ``agent`` may run ``call``; returns (approved, comment)."""
        if self.approve_fn is not None:
            verdict = self.approve_fn(agent, call)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            return verdict  # type: ignore[return-value]
        prompt = terminal_text(approval_text(agent, call))  # decoded code, hidden characters marked
        answer = await ask(self.input_fn, f"{prompt}\nApprove? [y/N] ")
        word = answer.strip().lower()
        return word in YES, "" if word in YES or word in {"", "n", "no"} else answer.strip()
