"""Facts as (label, value) rows — what ``%agentnb`` shows — as text, markdown and an HTML table."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StatusTable:
    """Rows of (label, value), shown as a table in notebooks and aligned text in terminals."""

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
