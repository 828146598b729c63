"""Questions from a running team to the person at the notebook, answered in the chat widget.

The team runs on its own event loop in a worker thread; the widget lives in the kernel's
main thread. A `Human` gets async ``input_fn``/``approve_fn`` functions from `HumanBridge`:
each posts an `Ask` to the main thread and awaits the answer, which the widget gives with
`Ask.answer` (safe from any thread). A run that ends waiting for a decision (an approval or
an answer asked for later) is decided the same way (`HumanBridge.decider`), and goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agentnb.core.events import ToolCall
from agentnb.core.human import Human
from agentnb.core.team import Team
from agentnb.core.untrusted import approval_text


@dataclass(eq=False)
class Ask:
    """One question: free text for a human's turn, or approve/reject for a tool call."""

    human: str
    prompt: str
    call: ToolCall | None = None  # set for approval requests
    agent: str = ""
    _future: asyncio.Future[Any] | None = field(default=None, repr=False)

    @property
    def is_approval(self) -> bool:
        return self.call is not None

    def answer(self, value: str | tuple[Any, ...]) -> None:
        """Give the answer; later ones are ignored.

        Text for a turn; ``(approved, comment)`` for an approval, or ``(True, comment,
        arguments)`` when the person edited the call's arguments before approving.
        """
        future = self._future
        if future is None or future.done():
            return
        future.get_loop().call_soon_threadsafe(_settle, future, value)

    @property
    def answered(self) -> bool:
        return self._future is not None and self._future.done()


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


class HumanBridge:
    """Turns a `Human`'s questions into `Ask` objects handed to ``post`` (the main thread's inbox)."""

    def __init__(self, post: Callable[[Ask], None]) -> None:
        self.post = post

    async def _ask(self, ask: Ask) -> Any:
        ask._future = asyncio.get_running_loop().create_future()
        self.post(ask)
        return await ask._future

    def input_fn(self, human: str) -> Callable[[str], Any]:
        """An async ``input_fn`` for the human called ``human``."""

        async def ask_text(prompt: str) -> str:
            return str(await self._ask(Ask(human=human, prompt=f"{human}, your turn:")))

        return ask_text

    def approve_fn(self, human: str) -> Callable[[str, ToolCall], Any]:
        """An async ``approve_fn`` for the human called ``human``."""

        async def ask_approval(agent: str, call: ToolCall) -> tuple[Any, ...]:
            prompt = approval_text(agent, call)  # readable, hidden characters marked and warned about
            ask = Ask(human=human, prompt=prompt, call=call, agent=agent)
            approved, comment, *edited = await self._ask(ask)
            return (bool(approved), str(comment), *edited)

        return ask_approval

    def decider(self, team: Team) -> Callable[[], Awaitable[bool]]:
        """For a run of ``team`` that ended waiting: ask in the chat what it waits for, record
        the decisions (``team.approve``/``reject``/``answer``); True when there were some."""

        async def decide() -> bool:
            waiting = team.pending()
            for item in waiting:
                if item.call is not None:
                    approved, comment, *edited = await self.approve_fn(item.who)(item.agent, item.call)
                    if approved:
                        team.approve(item.call.id, edit=edited[0] if edited else None, comment=comment)
                    else:
                        team.reject(item.call.id, comment)
                else:
                    team.answer(item.who, await self.input_fn(item.who)(""))
            return bool(waiting)

        return decide

    @contextmanager
    def attached(self, human: Human) -> Iterator[Human]:
        """Let ``human`` answer through this bridge for the duration of the block."""
        saved = human.input_fn, human.approve_fn
        human.input_fn, human.approve_fn = self.input_fn(human.name), self.approve_fn(human.name)
        try:
            yield human
        finally:
            human.input_fn, human.approve_fn = saved
