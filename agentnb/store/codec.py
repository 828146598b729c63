"""Events and run states as stored data: JSON only, read back with validation, never code.

An event is stored as its JSON without the fields that hold their default value (about 60%
of the full JSON), with its ``type`` tag first, so `event_from_json` reads it back and
validates it. A run's state (a `RunState`: counters, the stop condition's value, the mode's)
is stored as tagged JSON of plain values: numbers, text, tuples (JSON arrays), lists, sets,
mappings, events, plans and the state records agentnb defines (`RECORDS`; `register` adds
one). Reading builds only those: a file from someone else cannot make it run anything.
A state holding anything else (a custom condition's own object) is not stored: that
snapshot is skipped, and resuming folds the run's events instead — slower, never wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from agentnb.core.events import Event, event_from_data, event_from_json
from agentnb.core.modes.graph import GraphState
from agentnb.core.modes.handoff import Floor
from agentnb.core.modes.plan import PlanState
from agentnb.core.plan import Plan
from agentnb.core.state import RunState

RECORDS: dict[str, type] = {cls.__name__: cls for cls in (RunState, GraphState, Floor, PlanState)}
EVENT_CLASSES = frozenset(Event.__args__)  # type: ignore[attr-defined]
FLOATS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class NotStorable(TypeError):
    """A state holds a value that is not data (an object of the user's own class)."""


class Damaged(ValueError):
    """Stored data that is not what agentnb writes."""


def register(record: type) -> type:
    """Let states hold ``record`` (a NamedTuple of plain values, e.g. a custom mode's state)."""
    if not (isinstance(record, type) and issubclass(record, tuple) and hasattr(record, "_fields")):
        raise TypeError(f"register: expected a NamedTuple class, got {record!r}")
    RECORDS[record.__name__] = record
    return record


# ----- events ------------------------------------------------------------------------------------


def event_text(event: Event) -> str:
    """One event as compact JSON text: its tag, then the fields that differ from their defaults."""
    body = event.model_dump_json(exclude_defaults=True)
    return f'{{"type":"{event.type}",{body[1:]}'


def event_of(text: str | bytes) -> Event:
    """The event stored as ``text`` (validated like any event read from JSON)."""
    return event_from_json(text)


# ----- states --------------------------------------------------------------------------------------


def state_text(state: Any) -> str:
    """A state as tagged JSON; `NotStorable` when it holds something that is not data."""
    return json.dumps(_encode(state), ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def state_of(text: str | bytes) -> Any:
    """The state stored as ``text``; `Damaged` when it is not what `state_text` writes."""
    try:
        return _decode(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise Damaged(f"a stored state is damaged ({exc})") from None


def _encode(value: Any) -> Any:
    kind = value.__class__
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if kind is tuple:
        return [_encode(v) for v in value]
    if kind in EVENT_CLASSES:
        return {"event": value.model_dump(mode="json")}
    if isinstance(value, tuple) and RECORDS.get(kind.__name__) is kind:
        return {"record": kind.__name__, "values": [_encode(v) for v in value]}
    if kind is list:
        return {"list": [_encode(v) for v in value]}
    if kind is frozenset or kind is set:
        return {"set": [_encode(v) for v in value]}
    if isinstance(value, Mapping):
        return {"map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if kind is Plan:
        return {"plan": value.model_dump(mode="json")}
    raise NotStorable(f"a {kind.__qualname__} is not stored data")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    if not isinstance(value, dict):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("a number that is not finite")
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "list":
            return [_decode(v) for v in inner]
        if tag == "set":
            return frozenset(_decode(v) for v in inner)
        if tag == "map":
            return {_decode(k): _decode(v) for k, v in inner}
        if tag == "event":
            return event_from_data(inner)
        if tag == "plan":
            return Plan.model_validate(inner)
        if tag == "float":
            return FLOATS[inner]
    if set(value) == {"record", "values"}:
        record = RECORDS[value["record"]]
        values = [_decode(v) for v in value["values"]]
        if len(values) != len(record._fields):  # type: ignore[attr-defined]
            raise ValueError(f"{value['record']} has {len(record._fields)} fields, not {len(values)}")  # type: ignore[attr-defined]
        return record(*values)
    raise ValueError(f"unknown tag in {str(value)[:60]}")
