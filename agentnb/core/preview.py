"""The context X-ray as data: exactly what an agent's next model call receives, and what was cut.

A `ContextPreview` is a snapshot (its rows and messages never change afterwards); the views
draw it (`agentnb.views.xray`) in a notebook, in markdown and as text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from agentnb.core.context import AgentContext
from agentnb.core.model import ChatMessage, message_tokens
from agentnb.core.plugins import Displayed
from agentnb.core.policies import ContextPolicy, Selection


@dataclass(frozen=True)
class PreviewRow:
    """One message of an agent's context as the preview shows it."""

    role: str
    name: str
    content: str
    tokens: int
    kept: bool


@dataclass(frozen=True, eq=False)
class ContextPreview(Displayed):
    """Exactly what an agent's next model call receives, and what its policy cut."""

    agent: str
    policy: str
    rows: tuple[PreviewRow, ...]
    sent: tuple[ChatMessage, ...]

    @property
    def tokens_sent(self) -> int:
        return sum(message_tokens(m) for m in self.sent)

    @property
    def cut(self) -> list[PreviewRow]:
        return [r for r in self.rows if not r.kept]

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]


def preview(
    ctx: AgentContext, selection: Selection, policy: ContextPolicy, note: str | None = None
) -> ContextPreview:
    """Every context message, marked kept or cut, and what is sent. A memory ``note`` shows as
    its own row after the role (where the recalled facts came from); it is sent joined to the
    system message, as some chat templates take only one."""
    kept = set(selection.indexes(ctx))
    anchor = selection.indexes(ctx)[selection.extra_at - 1] if selection.extra else -1
    system: ChatMessage | None = None
    if note:
        system = {"role": "system", "content": f"{ctx.messages[0]['content']}\n\n{note}"}
    rows: list[PreviewRow] = []
    for i, message in enumerate(ctx.messages):
        rows.append(_row(message, i in kept))
        if i == 0 and note:
            rows.append(_row({"role": "system", "name": "memory", "content": note}, True))
        if i == anchor:
            rows.extend(_row(m, True) for m in selection.extra)
    sent = tuple(dict(m) for m in selection.messages(ctx, system))
    return ContextPreview(ctx.name, policy.describe(), tuple(rows), sent)


def _row(message: ChatMessage, kept: bool) -> PreviewRow:
    content = message.get("content") or ""
    if message.get("tool_calls"):
        content = (content + " " if content else "") + ", ".join(
            f"{c['function']['name']}({c['function']['arguments']})" for c in message["tool_calls"]
        )
    return PreviewRow(
        role=message.get("role", ""),
        name=message.get("name", ""),
        content=content if isinstance(content, str) else json.dumps(content),
        tokens=message_tokens(message),
        kept=kept,
    )
