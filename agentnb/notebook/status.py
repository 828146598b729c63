"""What ``%agentnb`` shows: versions, the model in use and why, and how the chat will run."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

from agentnb.core.version import VERSION
from agentnb.models import describe_default
from agentnb.notebook.live import live_chat_available
from agentnb.notebook.pump import kernel_pump
from agentnb.views.status import StatusTable


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def status(shell: Any, cell_model: str) -> StatusTable:
    """The status of agentnb in ``shell``; ``cell_model`` is ``%config AgentTeam.model``."""
    choice = describe_default()
    rows = [
        (
            "agentnb",
            f"{VERSION} (Python {platform.python_version()}, IPython {version('ipython')}, "
            f"ipykernel {version('ipykernel')}, ipywidgets {version('ipywidgets')})",
        ),
        ("model", f"{choice.spec} — {choice.source}"),
    ]
    if cell_model:
        rows.append(("%%agentteam model", f"{cell_model} — %config AgentTeam.model (cells without --model)"))
    if not live_chat_available(shell):
        chat = "text only: no kernel, so no widgets (results still display)"
    elif kernel_pump(shell) is None:
        chat = "live widget; its buttons work only after the cell (unknown ipykernel internals)"
    else:
        chat = "live widget with working Stop, input and approval buttons"
    rows.append(("chat", chat))
    rows.append(("change model", "%agentnb model SPEC, %%agentteam --model SPEC, or AGENTNB_MODEL"))
    return StatusTable(tuple(rows))
