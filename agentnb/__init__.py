"""agentnb: teams of AI agents that talk, call tools and reach a result — in notebooks.

Everything public is importable from here; modules load on first use, so ``import agentnb``
stays fast and pulls in neither openai nor anything from Jupyter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from agentnb.core import plugins
from agentnb.core.version import VERSION as __version__

_EXPORTS = {
    "Agent": "agentnb.core.agent",
    "Team": "agentnb.core.team",
    "TeamResult": "agentnb.core.result",
    "TeamState": "agentnb.core.team_state",
    "Human": "agentnb.core.human",
    "tool": "agentnb.core.tools",
    "Tool": "agentnb.core.tools",
    "ToolOutput": "agentnb.core.tools",
    "Edge": "agentnb.core.modes.graph",
    "Plan": "agentnb.core.plan",
    "Step": "agentnb.core.plan",
    "PlanError": "agentnb.core.plan",
    "DraftStep": "agentnb.core.modes.planner",
    "PlanDraft": "agentnb.core.modes.planner",
    "ContextPolicy": "agentnb.core.policies",
    "Selection": "agentnb.core.policies",
    "Full": "agentnb.core.policies",
    "LastN": "agentnb.core.policies",
    "TokenLimit": "agentnb.core.policies",
    "HeadAndTail": "agentnb.core.policies",
    "Summarize": "agentnb.core.policies",
    "MemoryStore": "agentnb.memory",
    "Trace": "agentnb.trace",
    "code_executor": "agentnb.execution",
    "call": "agentnb.models.scripted",
    "handoff": "agentnb.models.scripted",
    "StopCondition": "agentnb.core.stop",
    "MaxTurns": "agentnb.core.stop",
    "TextMention": "agentnb.core.stop",
    "TokenBudget": "agentnb.core.stop",
    "Timeout": "agentnb.core.stop",
    "Predicate": "agentnb.core.stop",
    "ExternalStop": "agentnb.core.stop",
    "AgentnbError": "agentnb.core.errors",
    "ConfigError": "agentnb.core.errors",
    "RunError": "agentnb.core.errors",
    "StructuredOutputError": "agentnb.core.errors",
    "TeamBusyError": "agentnb.core.errors",
    "CheckpointError": "agentnb.core.errors",
    "SavedFileError": "agentnb.core.errors",
    "StoreError": "agentnb.core.errors",
    "RunBusyError": "agentnb.core.errors",
    "RunInterrupted": "agentnb.core.errors",
    "UnknownParticipantError": "agentnb.core.errors",
    "Event": "agentnb.core.events",
    "TextMessage": "agentnb.core.events",
    "ToolCall": "agentnb.core.events",
    "ToolCalls": "agentnb.core.events",
    "ToolResult": "agentnb.core.events",
    "ToolProgress": "agentnb.core.events",
    "Handoff": "agentnb.core.events",
    "ApprovalRequested": "agentnb.core.events",
    "Approval": "agentnb.core.events",
    "TokenDelta": "agentnb.core.events",
    "SpeakerSelected": "agentnb.core.events",
    "ErrorEvent": "agentnb.core.events",
    "ContextSummary": "agentnb.core.events",
    "PlanCreated": "agentnb.core.events",
    "Replanned": "agentnb.core.events",
    "StepStarted": "agentnb.core.events",
    "StepFinished": "agentnb.core.events",
    "StepFailed": "agentnb.core.events",
    "Stop": "agentnb.core.events",
    "Usage": "agentnb.core.events",
}
_MODULES = {"models": "agentnb.models", "modes": "agentnb.core.modes"}

__all__ = [*_EXPORTS, *_MODULES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentnb' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from agentnb import models
    from agentnb.core import modes
    from agentnb.core.agent import Agent
    from agentnb.core.errors import (
        AgentnbError,
        CheckpointError,
        ConfigError,
        RunBusyError,
        RunError,
        RunInterrupted,
        SavedFileError,
        StoreError,
        StructuredOutputError,
        TeamBusyError,
        UnknownParticipantError,
    )
    from agentnb.core.events import (
        Approval,
        ApprovalRequested,
        ContextSummary,
        ErrorEvent,
        Event,
        Handoff,
        PlanCreated,
        Replanned,
        SpeakerSelected,
        StepFailed,
        StepFinished,
        StepStarted,
        Stop,
        TextMessage,
        TokenDelta,
        ToolCall,
        ToolCalls,
        ToolProgress,
        ToolResult,
        Usage,
    )
    from agentnb.core.human import Human
    from agentnb.core.modes.graph import Edge
    from agentnb.core.modes.planner import DraftStep, PlanDraft
    from agentnb.core.plan import Plan, PlanError, Step
    from agentnb.core.policies import (
        ContextPolicy,
        Full,
        HeadAndTail,
        LastN,
        Selection,
        Summarize,
        TokenLimit,
    )
    from agentnb.core.result import TeamResult
    from agentnb.core.stop import (
        ExternalStop,
        MaxTurns,
        Predicate,
        StopCondition,
        TextMention,
        Timeout,
        TokenBudget,
    )
    from agentnb.core.team import Team
    from agentnb.core.team_state import TeamState
    from agentnb.core.tools import Tool, ToolOutput, tool
    from agentnb.execution import code_executor
    from agentnb.memory import MemoryStore
    from agentnb.models.scripted import call, handoff
    from agentnb.trace import Trace


# ----- the composition root: the layers above the core plug into it here ---------------------


def _resolve_model(spec: Any) -> Any:
    from agentnb.models.spec import resolve

    return resolve(spec)


def _check_model(spec: str) -> None:
    from agentnb.models.spec import check_spec

    check_spec(spec)


def _solo_team(agent: Any, name: str) -> Any:
    from agentnb.core.team import Team

    return Team([agent], name=name, max_turns=1)


def _load_views() -> None:
    import agentnb.views


def _open_store(spec: Any) -> Any:
    from agentnb.store import open_store

    return open_store(spec)


def _trace_of(events: Any, **options: Any) -> Any:
    from agentnb.trace import Trace

    return Trace.from_events(events, **options)


plugins.plug("resolve_model", _resolve_model)
plugins.plug("check_model", _check_model)
plugins.plug("solo_team", _solo_team)
plugins.plug("load_views", _load_views)
plugins.plug("trace_of", _trace_of)
plugins.plug("open_store", _open_store)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agentnb``: register ``%%agentteam``, ``%agentnb`` and ``%config AgentTeam``."""
    from agentnb.notebook import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext agentnb``: remove what `load_ipython_extension` registered."""
    from agentnb.notebook import unregister

    unregister(ipython)
