"""Positional makers for the events the hot path builds for every message.

Calling an event class with keywords costs about 550 ns in CPython 3.11: ``type.__call__``
packs the keywords into a dict that the dataclass ``__init__`` unpacks again. A maker takes
the fields that vary positionally, sets every other field to its declared default (``at`` to
the time of the call) and costs about 200 ns (a statement per field: a tuple assignment
would build and unpack a tuple). What it returns equals the event the class
makes from the same values: ``tests/core/test_makers.py`` compares every field, so a field
added to one of these events fails there until its maker sets it too.
"""

from __future__ import annotations

import time

from agentnb.core.events import SpeakerSelected, TextMessage, TokenDelta, Usage

_new = object.__new__
_now = time.time


def speaker_selected(
    source: str,
    speaker: str,
    turn: int,
    reason: str,
    usage: Usage | None,
    model: str | None,
    request_model: str | None,
    started_at: float | None,
) -> SpeakerSelected:
    """``SpeakerSelected(source=..., speaker=..., turn=..., ...)``, made faster."""
    e = _new(SpeakerSelected)
    e.source = source
    e.scope = ""
    e.step = ""
    e.at = _now()
    e.type = "speaker"
    e.speaker = speaker
    e.turn = turn
    e.reason = reason
    e.usage = usage
    e.model = model
    e.request_model = request_model
    e.started_at = started_at
    e.shared_view = None  # (the readers' cache: set, so that reading it never misses)
    return e


def reply_message(
    source: str,
    content: str,
    step: str,
    usage: Usage | None,
    model: str | None,
    request_model: str | None,
    started_at: float | None,
    first_token_at: float | None,
) -> TextMessage:
    """``TextMessage(source=..., content=..., ...)`` for a model's reply, made faster."""
    e = _new(TextMessage)
    e.source = source
    e.scope = ""
    e.step = step
    e.at = _now()
    e.usage = usage
    e.model = model
    e.request_model = request_model
    e.started_at = started_at
    e.first_token_at = first_token_at
    e.type = "text"
    e.content = content
    e.data = None
    e.cut_off = False
    e.shared_view = None
    return e


def token_delta(source: str, text: str, step: str) -> TokenDelta:
    """``TokenDelta(source=..., text=..., step=...)``, made faster."""
    e = _new(TokenDelta)
    e.source = source
    e.scope = ""
    e.step = step
    e.at = _now()
    e.type = "token"
    e.text = text
    e.shared_view = None
    return e
