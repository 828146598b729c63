"""What a renderer shows when it cannot render its input: the input as escaped, truncated text."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

from agentnb.core.events import TIMING_FIELDS
from agentnb.core.untrusted import terminal_text
from agentnb.core.words import short
from agentnb.views.colors import NOTE_COLOR
from agentnb.views.markup import md_code
from agentnb.views.style import FONT, NO_MATH

FALLBACK_LIMIT = 2_000
TIMING = TIMING_FIELDS | {"usage"}  # fields a fallback leaves out: static output stays deterministic


def raw(*args: Any) -> str:
    """What a renderer was given, as plain text: each event's kind and fields (no timings), truncated."""
    parts: list[str] = []
    for arg in args:
        if isinstance(arg, str):
            parts.append(arg)
        elif _is_record(arg):
            parts.append(_raw_model(arg))
        elif isinstance(arg, list | tuple):
            parts.extend(_raw_model(item) for item in arg[:20] if _is_record(item))
        if sum(map(len, parts)) > FALLBACK_LIMIT:
            break
    return short("\n".join(parts), FALLBACK_LIMIT)


def _is_record(value: Any) -> bool:
    """An event (a dataclass) or a pydantic model: something with named fields."""
    if dataclasses.is_dataclass(value):
        return not isinstance(value, type)
    return hasattr(type(value), "model_fields")


def _field_names(value: Any) -> list[str]:
    if dataclasses.is_dataclass(value):
        return [f.name for f in dataclasses.fields(value)]
    return list(type(value).model_fields)


def _raw_model(model: Any) -> str:
    fields = []
    for name in _field_names(model):
        if name in TIMING:
            continue
        value = getattr(model, name, None)
        if value is None or value == "":
            continue
        try:
            text = value if isinstance(value, str) else repr(value)
        except Exception:  # e.g. RecursionError on deeply nested data
            text = f"<{type(value).__name__}>"
        fields.append(f"{name}={short(text, 500)}")
    return f"{type(model).__name__}({', '.join(fields)})"


def raw_text(*args: Any, **_: Any) -> str:
    return terminal_text(raw(*args)) + "\n"  # text may reach a terminal: controls shown, not obeyed


def raw_markdown(*args: Any, **_: Any) -> str:
    return md_code(raw(*args))


def raw_html(*args: Any, **_: Any) -> str:
    style = f"white-space:pre-wrap;{FONT};font-size:12px;color:{NOTE_COLOR};padding:2px 0"
    return f'<pre class="agentnb-raw {NO_MATH}" style="{style}">{html.escape(raw(*args))}</pre>'
