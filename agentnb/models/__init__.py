"""Models: the protocol, deterministic offline models, spec strings and the default."""

import importlib
from typing import Any

from agentnb.models.auto import AutoModel
from agentnb.models.base import (
    Model,
    ModelError,
    ModelReply,
    ModelRequest,
    OfflineModel,
    complete,
    estimate_tokens,
)
from agentnb.models.scripted import FunctionModel, ScriptedModel, call, handoff
from agentnb.models.spec import default, describe_default, resolve, scripted, set_default

__all__ = [
    "AutoModel",
    "FunctionModel",
    "Model",
    "ModelError",
    "ModelReply",
    "ModelRequest",
    "OfflineModel",
    "OpenAIModel",
    "ScriptedModel",
    "call",
    "complete",
    "default",
    "describe_default",
    "estimate_tokens",
    "handoff",
    "resolve",
    "scripted",
    "set_default",
]

# Loaded on first use, so importing agentnb.models does not import openai.
_LAZY = {"OpenAIModel": "agentnb.models.openai_compat"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentnb.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
