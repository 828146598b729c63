"""Human: a participant whose turns are typed by a person (terminal, widget or function).

A person who is not at hand is ``Human(name, input_fn="later")``: their turn, and their
approvals, end the run waiting for them (`agentnb.core.waiting`); ``team.answer(name, text)``
or ``team.approve(call_id)`` records what they say, in this process or another, and
``run()`` goes on. A front end that attaches an input function (the notebook's chat) makes
them answer in the run again. A person asked at a terminal that has none (standard input is
closed: a server, a worker, ``python job.py < /dev/null``) answers later from then on.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable

from agentnb.core.agent import check_name
from agentnb.core.calls import LATER
from agentnb.core.errors import ConfigError
from agentnb.core.events import Event, Stop, TextMessage, ToolCall
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

    ``input_fn(prompt)`` returns what they say (default: the terminal's ``input``);
    ``input_fn="later"`` means nobody is at hand: the run waits for them (see the module).
    ``approve_fn(prompt)`` answers approval requests for tools that need one; by default
    the same input function is asked and "y"/"yes" approves (anything else is the comment).
    """

    def __init__(
        self,
        name: str = "human",
        *,
        description: str = "A person who answers questions and gives direction.",
        input_fn: InputFunction | str | None = None,
        approve_fn: Callable[[str, ToolCall], tuple[bool, str] | Awaitable[tuple[bool, str]]] | None = None,
    ) -> None:
        self.name = check_name(name)
        self.description = description
        if not (input_fn is None or input_fn == LATER or callable(input_fn)):
            raise ConfigError(
                f"input_fn: expected a function (prompt) -> text, or 'later' for a person who answers "
                f"later (the run waits for them), got {input_fn!r}"
            )
        self.input_fn: InputFunction | str = input_fn or input
        self.approve_fn = approve_fn

    def __repr__(self) -> str:
        return f"Human({self.name!r}{', input_fn=' + repr(LATER) if self.answers_later else ''})"

    @property
    def answers_later(self) -> bool:
        """True when nobody answers for this person now: their turns end the run, waiting."""
        return self.input_fn == LATER

    def reset(self) -> None:
        """Humans keep no derived state."""

    async def turn(self, thread: list[Event], ctx: TurnContext) -> AsyncIterator[Event]:
        if self.input_fn != LATER:
            answer = await self._ask(f"{self.name}> ")
            if answer is not None:
                yield TextMessage(source=self.name, content=answer)
                return
        yield Stop(source=self.name, reason=f"awaiting an answer from {self.name}", waiting=True)

    async def _ask(self, prompt: str) -> str | None:
        """What the person says, or None when they cannot be asked now: the terminal ``input``
        found no terminal (end of input), so the person answers later (``team.answer``)."""
        try:
            return await ask(self.input_fn, prompt)  # type: ignore[arg-type]
        except EOFError:
            if self.input_fn is not input:
                raise
            self.input_fn = LATER
            return None

    async def approve(self, agent: str, call: ToolCall) -> tuple[bool, str] | str:
        """Ask whether ``agent`` may run ``call``; returns (approved, comment), or `LATER`."""
        if self.approve_fn is not None:
            verdict = self.approve_fn(agent, call)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            return verdict  # type: ignore[return-value]
        if self.input_fn == LATER:
            return LATER
        prompt = terminal_text(approval_text(agent, call))  # decoded code, hidden characters marked
        answer = await self._ask(f"{prompt}\nApprove? [y/N] ")
        if answer is None:
            return LATER
        word = answer.strip().lower()
        return word in YES, "" if word in YES or word in {"", "n", "no"} else answer.strip()
