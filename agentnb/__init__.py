"""agentnb: teams of AI agents that talk, call tools and reach a result — in notebooks.

Everything public is importable from here; modules load on first use, so ``import agentnb``
stays fast and pulls in neither openai nor anything from Jupyter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Agent": "agentnb.core.agent",
    "Team": "agentnb.core.team",
    "TeamResult": "agentnb.core.result",
    "Human": "agentnb.core.human",
    "tool": "agentnb.core.tools",
    "Tool": "agentnb.core.tools",
    "Edge": "agentnb.core.graph",
    "Plan": "agentnb.core.plan",
    "Step": "agentnb.core.plan",
    "PlanError": "agentnb.core.plan",
    "ToolOutput": "agentnb.core.tools",
    "Full": "agentnb.core.context",
    "LastN": "agentnb.core.context",
    "TokenLimit": "agentnb.core.context",
    "HeadAndTail": "agentnb.core.context",
    "Summarize": "agentnb.core.context",
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
    "RunError": "agentnb.core.errors",
    "StructuredOutputError": "agentnb.core.errors",
    "TeamBusyError": "agentnb.core.errors",
    "CheckpointError": "agentnb.core.errors",
    "RunInterrupted": "agentnb.core.errors",
    "UnknownParticipantError": "agentnb.core.errors",
    "Event": "agentnb.core.events",
    "TextMessage": "agentnb.core.events",
    "ToolCall": "agentnb.core.events",
    "ToolCalls": "agentnb.core.events",
    "ToolResult": "agentnb.core.events",
    "Handoff": "agentnb.core.events",
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

__all__ = [*_EXPORTS, "models", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "models":
        return importlib.import_module("agentnb.models")
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
    from agentnb.core.agent import Agent
    from agentnb.core.context import Full, HeadAndTail, LastN, Summarize, TokenLimit
    from agentnb.core.errors import (
        AgentnbError,
        CheckpointError,
        RunError,
        RunInterrupted,
        StructuredOutputError,
        TeamBusyError,
        UnknownParticipantError,
    )
    from agentnb.core.events import (
        Approval,
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
        ToolResult,
        Usage,
    )
    from agentnb.core.graph import Edge
    from agentnb.core.human import Human
    from agentnb.core.plan import Plan, PlanError, Step
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
    from agentnb.core.tools import Tool, ToolOutput, tool
    from agentnb.execution import code_executor
    from agentnb.memory import MemoryStore
    from agentnb.models.scripted import call, handoff
    from agentnb.trace import Trace


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agentnb``: register ``%%agentteam``, ``%agentnb`` and ``%config AgentTeam``."""
    from agentnb.notebook import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext agentnb``: remove what `load_ipython_extension` registered."""
    from agentnb.notebook import unregister

    unregister(ipython)
