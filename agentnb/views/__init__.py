"""Views of a run's state built from its events: a plan's progress, a team's checkpoints.

Static renderings (HTML, markdown, text) live here, outside `agentnb.notebook`, so saved
notebooks, terminals and the core can show them without Jupyter; the live widgets that
update them while a team runs are in `agentnb.notebook`. Names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "PlanBoard": "agentnb.views.plan",
    "plan_view": "agentnb.views.plan",
    "CheckpointList": "agentnb.views.checkpoints",
    "context_at": "agentnb.views.checkpoints",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'agentnb.views' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
