"""Team modes — who speaks when — as objects behind one contract (`agentnb.core.modes.base`).

``Team(participants, mode=...)`` takes one of these, or its name as text: "round_robin",
"selector", "handoff", "sequential", "graph" or "plan".
"""

from __future__ import annotations

from typing import Any

from agentnb.core.errors import ConfigError
from agentnb.core.modes.base import Choice, Mode, Outcome, RunView, Start
from agentnb.core.modes.graph import Edge, Graph, Sequential
from agentnb.core.modes.handoff import Handoff
from agentnb.core.modes.round_robin import RoundRobin
from agentnb.core.modes.selector import Selector

MODES = ("round_robin", "selector", "handoff", "sequential", "graph", "plan")
__all__ = [
    "MODES",
    "Choice",
    "Edge",
    "Graph",
    "Handoff",
    "Mode",
    "Outcome",
    "Plan",
    "RoundRobin",
    "RunView",
    "Selector",
    "Sequential",
    "Start",
    "mode_from",
]


def __getattr__(name: str) -> Any:
    """``Plan`` (plan mode) loads on first use: it brings pydantic, for the planner's schema."""
    if name == "Plan":
        from agentnb.core.modes.plan import PlanMode

        return PlanMode
    raise AttributeError(f"module 'agentnb.core.modes' has no attribute {name!r}")


def mode_from(name: str, options: dict[str, Any]) -> Mode:
    """The mode a name stands for, built from ``Team(...)``'s mode options (each checked)."""
    if name not in MODES:
        raise ConfigError(f"mode: {name!r} is not a team mode; allowed: {', '.join(MODES)}")
    given = {k for k, v in options.items() if v is not None and v is not False}
    allowed = {
        "selector": {"selector_prompt", "selector_func", "candidate_func", "allow_repeated_speaker"},
        "graph": {"edges"},
        "plan": {"planner", "max_replans", "step_retries", "max_parallel"},
    }.get(name, set())
    for key in sorted(given - allowed):
        if key == "edges":
            hint = (
                "sequential mode runs participants in the order given; use mode='graph'"
                if name == "sequential"
                else (f"only graph mode uses edges (mode is {name!r})")
            )
            raise ConfigError(f"edges: {hint}")
        if key in ("selector_prompt", "selector_func", "candidate_func", "allow_repeated_speaker"):
            raise ConfigError(f"{key}: only selector mode uses it (mode is {name!r})")
        if key in ("planner", "max_replans", "step_retries", "max_parallel"):
            raise ConfigError(f"{key}: only plan mode uses it (mode is {name!r})")
    if name == "round_robin":
        return RoundRobin()
    if name == "selector":
        return Selector(
            options.get("selector_prompt"),
            bool(options.get("allow_repeated_speaker")),
            selector_func=options.get("selector_func"),
            candidate_func=options.get("candidate_func"),
        )
    if name == "handoff":
        return Handoff()
    if name == "sequential":
        return Sequential()
    if name == "graph":
        return Graph(options.get("edges") or [])
    from agentnb.core.modes.plan import PlanMode

    plan_options = {
        k: options[k] for k in ("max_replans", "step_retries", "max_parallel") if options.get(k) is not None
    }
    return PlanMode(options.get("planner"), **plan_options)
