"""One document, three renderings: tables as plain text, markdown and static HTML.

A table view (an eval report, a comparison, a judge's calibration) is a list of blocks — a
title line, tables, lists of notes — built once and rendered by the three functions here, so
the notebook, GitHub and a terminal show the same content. A cell may carry a tone (good,
bad, muted) that only HTML shows as colour; nothing here reads a clock, so renderings are the
same on every run.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentnb.core.untrusted import terminal_text
from agentnb.views.markup import md_text
from agentnb.views.style import FONT, NO_MATH

Tone = Literal["good", "bad", "muted", ""]
TONES = {"good": "#15803d", "bad": "#b91c1c", "muted": "#64748b", "": "inherit"}
MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,monospace"
CELL = "padding:2px 10px;border-bottom:1px solid rgba(127,127,127,0.18);white-space:nowrap"
HEAD = f"{CELL};font-size:12px;font-weight:600;color:#475569"


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and a tone HTML shows as colour."""

    text: str
    tone: Tone = ""


@dataclass
class Table:
    """Rows under a header; ``numeric`` columns are right-aligned; ``footer`` rows are totals."""

    header: list[str]
    rows: list[list[Cell]]
    numeric: set[int] = field(default_factory=set)
    footer: list[list[Cell]] = field(default_factory=list)


@dataclass
class Notes:
    """A titled list of lines (failed runs, disagreements); ``more`` counts lines left out."""

    title: str
    items: list[str]
    more: int = 0


@dataclass
class Title:
    """The headline: bold ``text``, then ``detail``."""

    text: str
    detail: str = ""


Block = Title | Table | Notes


def cells(*values: Any) -> list[Cell]:
    """A row: plain values become untoned cells."""
    return [v if isinstance(v, Cell) else Cell(str(v)) for v in values]


# ----- plain text ----------------------------------------------------------------------------


def to_text(blocks: Sequence[Block]) -> str:
    """The blocks as plain text; control characters in them are shown, not obeyed (`terminal_text`)."""
    return terminal_text("\n\n".join(_text(block) for block in blocks))


def _text(block: Block) -> str:
    if isinstance(block, Title):
        return f"{block.text}: {block.detail}" if block.detail else block.text
    if isinstance(block, Notes):
        lines = [f"{block.title}:", *(f"  - {item}" for item in block.items)]
        if block.more:
            lines.append(f"  … and {block.more} more")
        return "\n".join(lines)
    rows = [block.header, *([c.text for c in row] for row in [*block.rows, *block.footer])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(block.header))]

    def line(row: Sequence[str]) -> str:
        parts = [
            text.rjust(width) if i in block.numeric else text.ljust(width)
            for i, (text, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    out = [line(block.header), "  ".join("─" * w for w in widths)]
    out += [line([c.text for c in row]) for row in block.rows]
    if block.footer:
        out.append("  ".join("─" * w for w in widths))
        out += [line([c.text for c in row]) for row in block.footer]
    return "\n".join(out)


# ----- markdown ------------------------------------------------------------------------------


def to_markdown(blocks: Sequence[Block]) -> str:
    return "\n\n".join(_markdown(block) for block in blocks)


def _markdown(block: Block) -> str:
    if isinstance(block, Title):
        return f"**{md_text(block.text)}**" + (f": {md_text(block.detail)}" if block.detail else "")
    if isinstance(block, Notes):
        lines = [f"*{md_text(block.title)}:*", "", *(f"- {md_text(item)}" for item in block.items)]
        if block.more:
            lines.append(f"- … and {block.more} more")
        return "\n".join(lines)
    align = ["---:" if i in block.numeric else ":---" for i in range(len(block.header))]
    lines = [_md_row(block.header), "| " + " | ".join(align) + " |"]
    lines += [_md_row([c.text for c in row]) for row in block.rows]
    lines += [_md_row([c.text for c in row], bold=True) for row in block.footer]
    return "\n".join(lines)


def _md_row(texts: Sequence[str], *, bold: bool = False) -> str:
    marks = "**" if bold else ""
    return "| " + " | ".join(f"{marks}{md_text(t)}{marks}" if t else "" for t in texts) + " |"


# ----- HTML ----------------------------------------------------------------------------------


def to_html(blocks: Sequence[Block]) -> str:
    body = "".join(_html(block) for block in blocks)
    return f'<div class="agentnb-eval {NO_MATH}" style="{FONT};font-size:13px">{body}</div>'


def _html(block: Block) -> str:
    if isinstance(block, Title):
        detail = f" {html.escape(block.detail)}" if block.detail else ""
        return f'<div style="padding:2px 0 6px 0"><b>{html.escape(block.text)}</b>{detail}</div>'
    if isinstance(block, Notes):
        items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
        if block.more:
            items += f'<li style="color:{TONES["muted"]}">… and {block.more} more</li>'
        return (
            f'<div style="padding:6px 0 2px 0"><i>{html.escape(block.title)}:</i>'
            f'<ul style="margin:2px 0;padding-left:20px">{items}</ul></div>'
        )
    head = "".join(
        f'<th style="{HEAD};text-align:{"right" if i in block.numeric else "left"}">{html.escape(h)}</th>'
        for i, h in enumerate(block.header)
    )
    rows = "".join(_html_row(row, block.numeric, bold=False) for row in block.rows)
    rows += "".join(_html_row(row, block.numeric, bold=True) for row in block.footer)
    return (
        f'<table style="border-collapse:collapse;margin:2px 0 6px 0"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


def _html_row(row: Sequence[Cell], numeric: set[int], *, bold: bool) -> str:
    out = []
    for i, cell in enumerate(row):
        style = f"{CELL};text-align:{'right' if i in numeric else 'left'};color:{TONES[cell.tone]}"
        if i in numeric:
            style += f";{MONO};font-size:12px"
        if bold:
            style += ";font-weight:bold"
        out.append(f'<td style="{style}">{html.escape(cell.text)}</td>')
    return f"<tr>{''.join(out)}</tr>"


LINE = "font-family:system-ui,sans-serif;font-size:13px"


def title_line(title: str) -> dict[str, str]:
    """A one-line display (an eval's title, what its progress bar leaves behind) as text and HTML."""
    return {"text/plain": title, "text/html": f'<div style="{LINE}">{html.escape(title)}</div>'}


class Rendered:
    """Mixin: an object that builds `blocks` shows itself as HTML, markdown and text."""

    def blocks(self) -> list[Block]:
        raise NotImplementedError

    def text(self) -> str:
        return to_text(self.blocks())

    def markdown(self) -> str:
        return to_markdown(self.blocks())

    def html(self) -> str:
        return to_html(self.blocks())

    def __str__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        blocks = self.blocks()
        return {
            "text/plain": to_text(blocks),
            "text/markdown": to_markdown(blocks),
            "text/html": to_html(blocks),
        }

    def render(self, fmt: str) -> Any:
        """The view as "text", "markdown", "html" or "mimebundle" (all three), for `plugins.render`."""
        renderings = {"text": self.text, "markdown": self.markdown, "html": self.html}
        if fmt == "mimebundle":
            return self._repr_mimebundle_()
        if fmt not in renderings:
            raise ValueError(f"a table view renders as text, markdown, html or mimebundle, not {fmt!r}")
        return renderings[fmt]()
