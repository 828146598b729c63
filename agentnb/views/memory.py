"""A memory store's facts and audit log as tables: HTML, markdown and plain text from one set of cells.

Renderings are deterministic except the "when" column, which a table made with
``times=False`` leaves out so a saved notebook (and nbval) sees the same output on every run.
Facts are data written by models: no rendering turns them into markup (no links, images,
emphasis or HTML).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentnb.memory.records import Change, Fact
from agentnb.memory.tables import AuditLog, FactTable, Table
from agentnb.memory.text import one_line, short
from agentnb.views.style import NO_MATH

CELL_LIMIT = 80  # characters of a cell in the plain-text table
# The characters that make markup inside a table cell: link and image brackets, emphasis, code
# spans, strike-through, the cell separator and the escape itself (<, > and & become entities).
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


@dataclass(frozen=True, slots=True)
class Edit:
    """A text change in a cell: ``old`` struck out, then ``new`` (either may be missing)."""

    old: str | None
    new: str | None


Cell = str | Edit


def when(at: float) -> str:
    """A timestamp as local time, to the second."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at))


def markdown_text(text: str) -> str:
    """``text`` on one line, shown literally by a markdown renderer: markup characters are
    escaped (``[x](javascript:…)`` stays text, never a link) and HTML is entities."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(one_line(text), quote=False))


def status_text(fact: Fact) -> str:
    """``active``, ``active, replaces #3``, ``superseded by #7`` or ``forgotten``."""
    if fact.status == "superseded":
        return f"superseded by #{fact.superseded_by}"
    if fact.replaces is not None:
        return f"{fact.status}, replaces #{fact.replaces}"
    return fact.status


def fact_cells(row: Fact, times: bool) -> list[Cell]:
    status = status_text(row)
    if times and row.status == "active" and row.expires_at is not None:
        status += f", until {when(row.expires_at)}"  # a time: shown only with the "when" column
    return [f"#{row.id}", row.text, ", ".join(row.tags), row.by, row.why, status, when(row.at)]


def change_cells(row: Change, times: bool) -> list[Cell]:
    fact = f"#{row.fact_id}" if row.previous_id is None else f"#{row.previous_id} → #{row.fact_id}"
    return [str(row.seq), row.action, fact, row.by, row.why, Edit(row.old_text, row.new_text), when(row.at)]


@dataclass(frozen=True)
class Kind:
    """How one kind of table is drawn: its title, what an empty one says, its columns and cells
    (one per column, "when" last)."""

    title: str
    empty: str
    columns: tuple[str, ...]
    cells: Callable[[Any, bool], list[Cell]]


FACTS = Kind("Facts", "no facts", ("id", "fact", "tags", "by", "why", "status"), fact_cells)
AUDIT = Kind("Memory audit", "no changes yet", ("#", "action", "fact", "by", "why", "change"), change_cells)


class TableView:
    """One `agentnb.memory.tables.Table` drawn as `Kind` says."""

    def __init__(self, table: Table[Any], kind: Kind) -> None:
        self.table = table
        self.kind = kind

    def caption(self) -> str:
        return f"{self.kind.title} · {len(self.table.rows)}"

    def header(self) -> list[str]:
        return list(self.kind.columns) + (["when"] if self.table.times else [])

    def body(self) -> list[list[Cell]]:
        times = self.table.times
        rows = (self.kind.cells(row, times) for row in self.table.rows)
        return [cells if times else cells[:-1] for cells in rows]

    def html(self) -> str:
        e = html.escape
        style = "text-align:left;vertical-align:top;padding:2px 8px"

        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return e(value)
            old = f"<del>{e(value.old)}</del>" if value.old is not None else ""
            new = e(value.new) if value.new is not None else ""
            return old + (" → " if old and new else "") + new

        head = "".join(f'<th style="{style}">{e(name)}</th>' for name in self.header())
        body = "".join(
            "<tr>" + "".join(f'<td style="{style}">{cell(c)}</td>' for c in cells) + "</tr>"
            for cells in self.body()
        )
        if not self.table.rows:
            empty = e(self.kind.empty)
            body = f'<tr><td colspan="{len(self.header())}" style="{style}"><i>{empty}</i></td></tr>'
        return (
            f'<table class="agentnb-memory {NO_MATH}" style="border-collapse:collapse;font-size:90%">'
            f'<caption style="text-align:left;font-weight:bold">{e(self.caption())}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def markdown(self) -> str:
        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return markdown_text(value)
            old = f"~~{markdown_text(value.old)}~~" if value.old else ""
            return old + (" → " if old and value.new else "") + markdown_text(value.new or "")

        if not self.table.rows:
            return f"**{self.caption()}**\n\n*{self.kind.empty}*"
        header = self.header()
        lines = [
            f"**{self.caption()}**",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
        ]
        lines += ["| " + " | ".join(cell(c) for c in cells) + " |" for cells in self.body()]
        return "\n".join(lines)

    def text(self) -> str:
        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return short(one_line(value), CELL_LIMIT)
            # old → new: each side gets half the room, so the new text is never cut away
            parts = [t for t in (value.old, value.new) if t is not None]
            room = max(12, (CELL_LIMIT - 3 * (len(parts) - 1)) // max(1, len(parts)))
            return " → ".join(short(one_line(t), room) for t in parts)

        if not self.table.rows:
            return f"{self.caption()}: {self.kind.empty}"
        grid = [self.header(), *([cell(c) for c in cells] for cells in self.body())]
        widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in grid]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return f"{self.caption()}\n" + "\n".join(lines)

    def render(self, fmt: str) -> Any:
        """ "text", "markdown", "html" or "mimebundle" (all three), as `agentnb.core.plugins.render` asks."""
        if fmt == "mimebundle":
            return {"text/plain": self.text(), "text/markdown": self.markdown(), "text/html": self.html()}
        return {"text": self.text, "markdown": self.markdown, "html": self.html}[fmt]()


def draw_facts(table: FactTable, fmt: str, **options: Any) -> Any:
    return TableView(table, FACTS).render(fmt)


def draw_audit(table: AuditLog, fmt: str, **options: Any) -> Any:
    return TableView(table, AUDIT).render(fmt)
