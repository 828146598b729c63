"""What kind of event an event is, for the code that folds and reads runs (fast checks by class)."""

from __future__ import annotations

from typing import Any

from agentnb.core.events import (
    USER,
    ContextSummary,
    ErrorEvent,
    Handoff,
    SpeakerSelected,
    TextMessage,
    TokenDelta,
    ToolCalls,
    ToolProgress,
    Usage,
)

PRICED = frozenset({TextMessage, ToolCalls, ErrorEvent, ContextSummary, SpeakerSelected})
"""The event kinds that carry a model call's ``usage``."""

EPHEMERAL = frozenset({TokenDelta, ToolProgress})
"""Event kinds streamed to views as a run goes but not kept in the transcript."""


def usage_of(event: Any) -> Usage | None:
    """The usage an event carries, if it is a kind that has one (fast: no attribute miss)."""
    return event.usage if event.__class__ in PRICED else None


def is_turn_end(event: Any) -> bool:
    """True for the event that closes a participant's turn at the top level."""
    if event.scope:
        return False
    kind = event.__class__
    if kind is TextMessage:
        return event.source != USER
    return kind is Handoff
