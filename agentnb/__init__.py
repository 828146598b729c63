"""agentnb: teams of AI agents that talk, call tools and reach a result — in notebooks.

Everything public is importable from here; modules load on first use, so ``import agentnb``
stays fast and pulls in neither openai nor anything from Jupyter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Agent": "agentnb.agent",
    "Team": "agentnb.team",
    "TeamResult": "agentnb.result",
    "Human": "agentnb.human",
    "tool": "agentnb.tools",
    "Tool": "agentnb.tools",
    "Edge": "agentnb.graph",
    "Plan": "agentnb.plan",
    "Step": "agentnb.plan",
    "PlanError": "agentnb.plan",
    "ToolOutput": "agentnb.tools",
    "Full": "agentnb.context",
    "LastN": "agentnb.context",
    "TokenLimit": "agentnb.context",
    "HeadAndTail": "agentnb.context",
    "Summarize": "agentnb.context",
    "MemoryStore": "agentnb.memory",
    "Trace": "agentnb.trace",
    "code_executor": "agentnb.execution",
    "call": "agentnb.models.scripted",
    "handoff": "agentnb.models.scripted",
    "StopCondition": "agentnb.stop",
    "MaxTurns": "agentnb.stop",
    "TextMention": "agentnb.stop",
    "TokenBudget": "agentnb.stop",
    "Timeout": "agentnb.stop",
    "Predicate": "agentnb.stop",
    "ExternalStop": "agentnb.stop",
    "AgentnbError": "agentnb.errors",
    "RunError": "agentnb.errors",
    "StructuredOutputError": "agentnb.errors",
    "TeamBusyError": "agentnb.errors",
    "CheckpointError": "agentnb.errors",
    "RunInterrupted": "agentnb.errors",
    "UnknownParticipantError": "agentnb.errors",
    "Event": "agentnb.messages",
    "TextMessage": "agentnb.messages",
    "ToolCall": "agentnb.messages",
    "ToolCalls": "agentnb.messages",
    "ToolResult": "agentnb.messages",
    "ToolProgress": "agentnb.messages",
    "Handoff": "agentnb.messages",
    "Approval": "agentnb.messages",
    "TokenDelta": "agentnb.messages",
    "SpeakerSelected": "agentnb.messages",
    "ErrorEvent": "agentnb.messages",
    "ContextSummary": "agentnb.messages",
    "PlanCreated": "agentnb.messages",
    "Replanned": "agentnb.messages",
    "StepStarted": "agentnb.messages",
    "StepFinished": "agentnb.messages",
    "StepFailed": "agentnb.messages",
    "Stop": "agentnb.messages",
    "Usage": "agentnb.messages",
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
    from agentnb.agent import Agent
    from agentnb.context import Full, HeadAndTail, LastN, Summarize, TokenLimit
    from agentnb.errors import (
        AgentnbError,
        CheckpointError,
        RunError,
        RunInterrupted,
        StructuredOutputError,
        TeamBusyError,
        UnknownParticipantError,
    )
    from agentnb.execution import code_executor
    from agentnb.graph import Edge
    from agentnb.human import Human
    from agentnb.memory import MemoryStore
    from agentnb.messages import (
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
        ToolProgress,
        ToolResult,
        Usage,
    )
    from agentnb.models.scripted import call, handoff
    from agentnb.plan import Plan, PlanError, Step
    from agentnb.result import TeamResult
    from agentnb.stop import (
        ExternalStop,
        MaxTurns,
        Predicate,
        StopCondition,
        TextMention,
        Timeout,
        TokenBudget,
    )
    from agentnb.team import Team
    from agentnb.tools import Tool, ToolOutput, tool
    from agentnb.trace import Trace


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext agentnb``: register ``%%agentteam``, ``%agentnb`` and ``%config AgentTeam``."""
    from agentnb.notebook import register

    register(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext agentnb``: remove what `load_ipython_extension` registered."""
    from agentnb.notebook import unregister

    unregister(ipython)
