"""Models: the protocol, offline, live and embedded models, record/replay, cache, specs, default."""

import importlib
from typing import Any

from agentnb.core.model import Model, ModelError, ModelReply, ModelRequest, complete, estimate_tokens
from agentnb.models.auto import AutoModel
from agentnb.models.base import OfflineModel
from agentnb.models.scripted import FunctionModel, ScriptedModel, call, handoff
from agentnb.models.spec import check_spec, default, describe_default, record, resolve, scripted, set_default

__all__ = [
    "AutoModel",
    "CachedModel",
    "CassetteError",
    "FunctionModel",
    "LocalModel",
    "Model",
    "ModelError",
    "ModelReply",
    "ModelRequest",
    "OfflineModel",
    "OpenAIModel",
    "RecordingModel",
    "ReplayModel",
    "ScriptedModel",
    "cached",
    "call",
    "check_spec",
    "complete",
    "default",
    "describe_default",
    "estimate_tokens",
    "handoff",
    "record",
    "replay",
    "resolve",
    "scripted",
    "set_default",
]

# Loaded on first use, so importing agentnb.models stays light (no openai, no llama_cpp).
_LAZY = {
    "OpenAIModel": "agentnb.models.openai_compat",
    "LocalModel": "agentnb.models.local",
    "CassetteError": "agentnb.models.cassette",
    "RecordingModel": "agentnb.models.cassette",
    "ReplayModel": "agentnb.models.cassette",
    "replay": "agentnb.models.cassette",
    "CachedModel": "agentnb.models.cache",
    "cached": "agentnb.models.cache",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentnb.models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
