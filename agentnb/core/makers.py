"""Positional makers for the events the hot path builds for every message.

Calling an event class with keywords costs about 550 ns in CPython 3.11: ``type.__call__``
packs the keywords into a dict that the dataclass ``__init__`` unpacks again. A maker takes
the fields it names positionally, fills every other field with its declared default (a
default factory is called, so ``at`` is the time of the call), runs ``__post_init__`` when the
class has one, and costs about 200 ns. What it returns equals the event the class would make
from the same values (``tests/core/test_makers.py`` checks every maker the core uses).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from agentnb.core.events import SpeakerSelected, TextMessage, TokenDelta


def maker(cls: type, *names: str) -> Callable[..., Any]:
    """A function ``make(*values)`` that builds a ``cls`` event from ``names``' values, in that order."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [name for name in names if name not in fields]
    if unknown:
        raise TypeError(f"maker: {cls.__name__} has no field {unknown[0]!r}")
    env: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    lines = []
    for name, f in fields.items():
        if name in names:
            value = name
        elif f.default is not dataclasses.MISSING:
            env[f"_default_{name}"] = f.default
            value = f"_default_{name}"
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{name}"] = f.default_factory
            value = f"_factory_{name}()"
        else:
            raise TypeError(f"maker: {cls.__name__}'s required field {name!r} must be one of the names")
        lines.append(f"    e.{name} = {value}")
    # slots beyond the fields are caches (`events._Dumps.shared_view`): set, so a reader's miss is cheap
    extra = {s for base in cls.__mro__ for s in getattr(base, "__slots__", ())} - set(fields)
    lines += [f"    e.{slot} = None" for slot in sorted(extra)]
    if hasattr(cls, "__post_init__"):
        lines.append("    e.__post_init__()")
    source = f"def make({', '.join(names)}):\n    e = _new(_cls)\n" + "\n".join(lines) + "\n    return e\n"
    exec(source, env)  # (code made from the dataclass's own fields, as dataclasses does)
    make = env["make"]
    make.__qualname__ = make.__name__ = f"make_{cls.__name__}"
    make.__doc__ = f"A {cls.__name__} from ({', '.join(names)}), the other fields their defaults."
    return make


speaker_selected = maker(
    SpeakerSelected, "source", "speaker", "turn", "reason", "usage", "model", "request_model", "started_at"
)
reply_message = maker(
    TextMessage, "source", "content", "step", "usage", "model", "request_model", "started_at",
    "first_token_at",
)  # fmt: skip
token_delta = maker(TokenDelta, "source", "text", "step")
