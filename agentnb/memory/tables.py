"""Facts and the audit log as tables: HTML, markdown and plain text from one set of cells.

Renderings are deterministic except the "when" column, which ``times=False`` leaves out so
a saved notebook (and nbval) sees the same output on every run. Facts are data written by
models: no rendering turns them into markup (no links, images, emphasis or HTML).
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, overload

from agentnb.memory.records import Change, Fact
from agentnb.memory.text import one_line, short
from agentnb.views.chat import NO_MATH

Row = TypeVar("Row", Fact, Change)
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


class Table(Sequence[Row], Generic[Row]):
    """A list of records that renders as a table in notebooks, markdown and terminals."""

    title = ""
    empty = "nothing"
    columns: tuple[str, ...] = ()

    def __init__(self, rows: Iterable[Row], *, times: bool = True) -> None:
        self.rows = list(rows)
        self.times = times

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def cells(self, row: Row) -> list[Cell]:
        """One cell per column, "when" last."""
        raise NotImplementedError

    def caption(self) -> str:
        return f"{self.title} · {len(self.rows)}"

    def _header(self) -> list[str]:
        return list(self.columns) + (["when"] if self.times else [])

    def _body(self) -> list[list[Cell]]:
        return [cells if self.times else cells[:-1] for cells in map(self.cells, self.rows)]

    def _repr_html_(self) -> str:
        e = html.escape
        style = "text-align:left;vertical-align:top;padding:2px 8px"

        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return e(value)
            old = f"<del>{e(value.old)}</del>" if value.old is not None else ""
            new = e(value.new) if value.new is not None else ""
            return old + (" → " if old and new else "") + new

        head = "".join(f'<th style="{style}">{e(name)}</th>' for name in self._header())
        body = "".join(
            "<tr>" + "".join(f'<td style="{style}">{cell(c)}</td>' for c in cells) + "</tr>"
            for cells in self._body()
        )
        if not self.rows:
            body = f'<tr><td colspan="{len(self._header())}" style="{style}"><i>{e(self.empty)}</i></td></tr>'
        return (
            f'<table class="agentnb-memory {NO_MATH}" style="border-collapse:collapse;font-size:90%">'
            f'<caption style="text-align:left;font-weight:bold">{e(self.caption())}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def _repr_markdown_(self) -> str:
        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return markdown_text(value)
            old = f"~~{markdown_text(value.old)}~~" if value.old else ""
            return old + (" → " if old and value.new else "") + markdown_text(value.new or "")

        if not self.rows:
            return f"**{self.caption()}**\n\n*{self.empty}*"
        header = self._header()
        lines = [
            f"**{self.caption()}**",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "|".join("---" for _ in header) + "|",
        ]
        lines += ["| " + " | ".join(cell(c) for c in cells) + " |" for cells in self._body()]
        return "\n".join(lines)

    def __str__(self) -> str:
        def cell(value: Cell) -> str:
            if isinstance(value, str):
                return short(one_line(value), CELL_LIMIT)
            # old → new: each side gets half the room, so the new text is never cut away
            parts = [t for t in (value.old, value.new) if t is not None]
            room = max(12, (CELL_LIMIT - 3 * (len(parts) - 1)) // max(1, len(parts)))
            return " → ".join(short(one_line(t), room) for t in parts)

        if not self.rows:
            return f"{self.caption()}: {self.empty}"
        grid = [self._header(), *([cell(c) for c in cells] for cells in self._body())]
        widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in grid]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return f"{self.caption()}\n" + "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def status_text(fact: Fact) -> str:
    """``active``, ``active, replaces #3``, ``superseded by #7`` or ``forgotten``."""
    if fact.status == "superseded":
        return f"superseded by #{fact.superseded_by}"
    if fact.replaces is not None:
        return f"{fact.status}, replaces #{fact.replaces}"
    return fact.status


class FactTable(Table[Fact]):
    """Facts of a memory store (`MemoryStore.facts`, `MemoryStore.history`)."""

    title = "Facts"
    empty = "no facts"
    columns = ("id", "fact", "tags", "by", "why", "status")

    def cells(self, row: Fact) -> list[Cell]:
        status = status_text(row)
        if self.times and row.status == "active" and row.expires_at is not None:
            status += f", until {when(row.expires_at)}"  # a time: shown only with the "when" column
        return [f"#{row.id}", row.text, ", ".join(row.tags), row.by, row.why, status, when(row.at)]


class AuditLog(Table[Change]):
    """Every change to a memory store, oldest first (`MemoryStore.audit`)."""

    title = "Memory audit"
    empty = "no changes yet"
    columns = ("#", "action", "fact", "by", "why", "change")

    def cells(self, row: Change) -> list[Cell]:
        fact = f"#{row.fact_id}" if row.previous_id is None else f"#{row.previous_id} → #{row.fact_id}"
        return [
            str(row.seq),
            row.action,
            fact,
            row.by,
            row.why,
            Edit(row.old_text, row.new_text),
            when(row.at),
        ]
