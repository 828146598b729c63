"""What the protocol servers serve: a team or an agent, named on a command line as ``module:name``."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

from agentnb.core.agent import Agent
from agentnb.core.events import USER, Stop, TextMessage
from agentnb.core.result import TeamResult
from agentnb.core.team import Team
from agentnb.protocols.errors import ProtocolError


def runnable(target: Team | Agent) -> Team:
    """The team to run: the team itself, or a one-turn team around an agent."""
    if isinstance(target, Team):
        return target
    if isinstance(target, Agent):
        return Team([target], name=f"{target.name}_team", description=target.description, max_turns=1)
    raise TypeError(f"expected an agentnb Team or Agent, got {type(target).__name__}")


def final_message(result: TeamResult) -> TextMessage | None:
    """The run's answer: the last top-level message a participant wrote (None if none did, or if
    the run ended waiting for a person: what an agent said before the wait is a draft, not the
    answer, and nobody on the other side of the protocol can give what the run waits for)."""
    last = result.messages[-1] if result.messages else None
    if last.__class__ is Stop and last.waiting:  # type: ignore[union-attr]
        return None
    return next(
        (
            e
            for e in reversed(result.messages)
            if e.__class__ is TextMessage and e.source != USER and not e.scope
        ),
        None,
    )  # type: ignore[return-value]


def load_target(spec: str) -> Team | Agent:
    """The team or agent ``module:name`` names (``my_team.py:team`` works too); the current
    folder is importable, as for ``python -m``."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ProtocolError(f"{spec!r}: name a team as module:variable, e.g. my_module:team")
    if module_name.endswith(".py"):
        module_name = Path(module_name).with_suffix("").as_posix().replace("/", ".")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ProtocolError(
            f"{spec!r}: cannot import {module_name!r} ({exc}); run from the folder that has it"
        ) from None
    value: Any = module
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ProtocolError(f"{spec!r}: module {module_name!r} has no {attribute!r}")
        value = getattr(value, part)
    if not isinstance(value, Team | Agent):
        raise ProtocolError(f"{spec!r} is a {type(value).__name__}, not an agentnb Team or Agent")
    return value
