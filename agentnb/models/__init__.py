"""Models: the protocol, deterministic offline models, spec strings and the default."""

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
