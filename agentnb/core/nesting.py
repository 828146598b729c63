"""A team as a participant of another team: its turn is a run on what was said since its last one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from typing import Any

from agentnb.core.events import USER, Event, TextMessage
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
    yield TextMessage(source=team.name, content=(result.final if result else None) or "", step=ctx.step)
