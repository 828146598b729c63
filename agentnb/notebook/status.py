"""What ``%agentnb`` shows: versions, the model in use and why, and how the chat will run."""

from __future__ import annotations

import html
import platform
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from agentnb.core.version import VERSION
from agentnb.models import describe_default
from agentnb.notebook.live import live_chat_available
from agentnb.notebook.pump import kernel_pump


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


@dataclass(frozen=True)
class Status:
    """Facts as (label, value) rows; renders as text, markdown and an HTML table."""

    rows: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        width = max(len(label) for label, _ in self.rows)
        return "\n".join(f"{label:<{width}}  {value}" for label, value in self.rows)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- **{label}**: {value}" for label, value in self.rows)

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td style='text-align:left'>"
            f"{html.escape(v)}</td></tr>"
            for k, v in self.rows
        )
        return f'<table class="agentnb-status-table">{cells}</table>'


def status(shell: Any, cell_model: str) -> Status:
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
    return Status(tuple(rows))
