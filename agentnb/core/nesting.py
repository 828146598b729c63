"""A team inside another team's run: as a participant (its turn is a run on what was said since
its last one), or as a tool an agent calls (each call a run of a fresh copy). Either way its
events are recorded in the outer run, scoped under its name: traces, costs and chats see them.

Only the top run waits for a person: a nested run that ends waiting (an approval or a
`Human` answer decided later) has no answer, and says so with what it waited for (`answer_of`),
rather than passing off a draft written before the wait as the team's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

from agentnb.core.events import USER, Event, Stop, TextMessage
from agentnb.core.tools import Tool, tool
from agentnb.core.toolsets import event_reporter
from agentnb.core.turn import TurnContext


async def nested_turn(team: Any, thread: Sequence[Event], ctx: TurnContext) -> AsyncIterator[Event]:
    """Run ``team`` on the outer conversation's news; its events come out scoped under its name,
    and its final answer is its message in the outer chat."""
    if ctx.fallback is not None:
        team.use_outer_model(ctx.fallback)
    news: list[TextMessage] = []
    for i in range(len(thread) - 1, -1, -1):
        event = thread[i]
        if isinstance(event, TextMessage) and not event.scope:
            if event.source == team.name:
                break
            news.append(event)
    news.reverse()
    task = "\n\n".join(e.content if e.source == USER else f"{e.source}: {e.content}" for e in news)
    async for event in team.stream(task or None):
        scope = f"{team.name}/{event.scope}" if event.scope else team.name
        yield dataclasses.replace(event, scope=scope, step=ctx.step or event.step)
    result = team.last_result
    yield TextMessage(source=team.name, content=answer_of(result) if result else "", step=ctx.step)


def answer_of(result: Any) -> str:
    """A nested run's answer: its final message ('' if none); for a run that ended waiting for a
    person (an approval or an answer decided later), a note of what it waited for, since nobody in
    the outer run can give it (what an agent said before the wait stays in the scoped events)."""
    stop = result.messages[-1] if result.messages else None
    if isinstance(stop, Stop) and stop.waiting:
        return (
            f"(the team stopped without an answer: {stop.reason}; a team inside another team "
            "does not wait for a person)"
        )
    return result.final or ""


class TeamTool(Tool):
    """A team as a tool: each call runs a fresh copy of the team on the task the model gives, and
    the copy's events stream into the calling run (`agentnb.core.toolsets.event_reporter`)."""

    reports_progress: ClassVar[bool] = True


def team_tool(team: Any, name: str, description: str) -> TeamTool:
    """``team.as_tool()``: a tool whose call runs a fork of ``team`` from its start on ``task``."""

    async def run_team(task: str) -> str:
        report = event_reporter()
        copy = team.fork(0)
        async for event in copy.stream(task):
            report(event)
        result = copy.last_result
        return answer_of(result) or f"(the team stopped without an answer: {result.stop_reason})"

    made = tool(run_team, name=name, description=description)
    return TeamTool(made.name, made.description, made.fn, made.arguments_model)
