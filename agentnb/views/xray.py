"""The context X-ray drawn: what an agent's next model call receives, and what was cut."""

from __future__ import annotations

import html
from typing import Any

from agentnb.core.preview import ContextPreview
from agentnb.core.untrusted import terminal_text
from agentnb.views.markup import md_text


def _head(preview: ContextPreview) -> str:
    return (
        f"context of {preview.agent} · {preview.policy} · {len(preview.sent)} messages sent, "
        f"~{preview.tokens_sent} tokens · {len(preview.cut)} cut"
    )


def xray_text(preview: ContextPreview) -> str:
    lines = [_head(preview)]
    for row in preview.rows:
        mark = "  " if row.kept else "✂ "
        who = f"{row.role}:{row.name}" if row.name else row.role
        lines.append(f"{mark}{who:<22} {row.tokens:>5}  {' '.join(row.content.split())[:70]}")
    return terminal_text("\n".join(lines))


def xray_markdown(preview: ContextPreview) -> str:
    head = f"**{md_text(_head(preview))}**\n\n| | role | tokens | content |\n|---|---|---|---|"
    rows = []
    for row in preview.rows:
        text = md_text(" ".join(row.content.split())[:80]).replace("|", "\\|")
        who = md_text(f"{row.role} ({row.name})" if row.name else row.role)
        rows.append(f"| {'' if row.kept else '✂'} | {who} | {row.tokens} | {text} |")
    return "\n".join([head, *rows])


def xray_html(preview: ContextPreview) -> str:
    cells = []
    for row in preview.rows:
        style = "" if row.kept else "opacity:0.45;text-decoration:line-through"
        who = f"{row.role} ({row.name})" if row.name else row.role
        cells.append(
            f'<tr style="{style}"><td>{"" if row.kept else "✂"}</td><td>{html.escape(who)}</td>'
            f'<td style="text-align:right">{row.tokens}</td>'
            f"<td>{html.escape(' '.join(row.content.split())[:200])}</td></tr>"
        )
    return (
        '<div class="agentnb-context tex2jax_ignore mathjax_ignore">'
        f"<div>{html.escape(_head(preview))}</div><table>"
        "<tr><th></th><th>role</th><th>tokens</th><th>content</th></tr>"
        f"{''.join(cells)}</table></div>"
    )


def xray_panel(title: str, preview: ContextPreview | None, *, note: str = "", code: str = "") -> str:
    """An X-ray under a heading: ``title`` (e.g. whose context, at which turn), then ``note``
    (where it was read) and the ``code`` that reads the same preview; without a preview,
    ``note`` says why there is none."""
    head = f"<b>{html.escape(title)}</b>"
    if preview is None:
        return f"<div class='agentnb-xray-head'>{head}: {html.escape(note)}</div>"
    where = f" · {html.escape(note)}" if note else ""
    snippet = f" · <code>{html.escape(code)}</code>" if code else ""
    return f"<div class='agentnb-xray-head'>{head}{where}{snippet}</div>{xray_html(preview)}"


def render_xray(preview: ContextPreview, fmt: str, **options: Any) -> Any:
    if fmt == "text":
        return xray_text(preview)
    return {
        "text/plain": xray_text(preview),
        "text/markdown": xray_markdown(preview),
        "text/html": xray_html(preview),
    }
