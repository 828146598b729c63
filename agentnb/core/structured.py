"""Structured replies as text people (and small models) read easily.

An agent with an ``output_type`` replies with JSON; the chat, the other agents and
``until=`` read it as short markdown instead: the object's own ``__str__`` when its class
defines one, else one ``Field: value`` line per field (lists as bullets). The JSON stays
in the event's ``data``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel


def strip_code_fence(text: str) -> str:
    """Models often wrap JSON in a markdown fence; structured output accepts that."""
    text = text.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else text[3:]
        text = text.rsplit("```", 1)[0]
    return text.strip()


def validate_reply(output_type: type[BaseModel], text: str) -> tuple[BaseModel | None, str]:
    """The reply validated into ``output_type``, or None and what is wrong, field by field."""
    from pydantic import ValidationError

    try:
        return output_type.model_validate_json(strip_code_fence(text)), ""
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        return None, problems


def readable(value: BaseModel) -> str:
    """The reply as text: the class's own ``__str__``, or its fields as markdown lines."""
    from pydantic import BaseModel

    if type(value).__str__ is not BaseModel.__str__:
        return str(value)
    return describe(value.model_dump(mode="json"))


def describe(data: Any, depth: int = 0) -> str:
    """JSON data as compact markdown: ``**Field:** value`` lines, bullets for lists."""
    pad = "  " * depth
    if isinstance(data, dict):
        lines = []
        for key, value in data.items():
            label = _label(key)
            if isinstance(value, dict | list) and value:
                lines.append(f"{pad}**{label}:**")
                lines.append(describe(value, depth + 1))
            else:
                lines.append(f"{pad}**{label}:** {_scalar(value)}")
        return "\n".join(lines)
    if isinstance(data, list):
        lines = []
        for item in data:
            if isinstance(item, dict):
                parts = "; ".join(f"{_label(k)}: {_scalar(v)}" for k, v in item.items())
                lines.append(f"{pad}- {parts}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return "\n".join(lines)
    return f"{pad}{_scalar(data)}"


def _label(key: str) -> str:
    words = str(key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _scalar(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return ", ".join(_scalar(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)


def parse_data(output_type: type[BaseModel], data: Any) -> BaseModel | None:
    """The object behind a reply's ``data`` (JSON mode, as the reply was validated), or None."""
    if data is None:
        return None
    try:
        return output_type.model_validate_json(json.dumps(data))
    except Exception:  # a type changed since the run was recorded: the data stays available
        return None
