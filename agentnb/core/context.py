"""What an agent's model sees: the chat derived from a transcript, and policies that trim it.

`AgentContext` turns a team's transcript into one agent's model-facing chat (OpenAI chat
format), incrementally: each turn it converts only the events it has not seen, so a long
chat costs the same per message as a short one. It also keeps what trimming needs —
token counts, where each indivisible group starts (an assistant message with tool calls
and its tool results are one group), and where the task is.

A context policy (``Agent(context=...)``) chooses what to send: everything (`Full`, the
default), the last N messages (`LastN`), a token budget (`TokenLimit`), the first and
last messages (`HeadAndTail`), or a model-written summary of older messages
(`Summarize`). None ever separates a tool call from its result or drops the task, and
each costs the same per turn however long the chat is.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agentnb.core.events import (
    USER,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    TextMessage,
    ToolCalls,
    ToolResult,
)
from agentnb.core.model import ChatMessage, message_tokens
from agentnb.core.untrusted import md_text, terminal_text

OTHERS_KEPT = 20  # other agents' recent tool calls and results, shown to a handoff's target

if TYPE_CHECKING:
    from agentnb.core.model import Model


class AgentContext:
    """One agent's model-facing chat over one transcript, kept up to date incrementally."""

    def __init__(self, name: str, role: str) -> None:
        self.name = name
        self.role = role
        self._clear()

    def _clear(self) -> None:
        system = {"role": "system", "content": self.role}
        self.messages: list[ChatMessage] = [system]
        self.cumulative: list[int] = [message_tokens(system)]  # tokens of messages[: i + 1]
        self.group_starts: list[int] = [0]
        self.task_index: int | None = None  # the latest message from the user
        self.summary: str | None = None  # the latest summary this agent wrote of its older context
        self.summarized = 1  # messages[1 : summarized] are covered by ``summary``
        self.thread: Sequence[Event] | None = None
        self.seen = 0
        self._pending: set[str] = set()
        self._held: list[tuple[ChatMessage, bool]] = []
        self._others: list[str] = []  # other agents' tool traffic since the last turn (for handoffs)

    @property
    def tokens(self) -> int:
        return self.cumulative[-1]

    def update(self, thread: Sequence[Event]) -> None:
        """Absorb the events of ``thread`` not seen yet (from scratch if the thread changed)."""
        n = len(thread)
        if self.thread is not thread or n < self.seen:
            self._clear()
            self.thread = thread
        if n > self.seen:
            for event in thread[self.seen : n]:
                self._absorb(event)
            self.seen = n

    def _absorb(self, event: Event) -> None:
        if event.scope:
            return  # nested teams' inner events: their result arrives as a message
        kind = event.__class__
        mine = event.source == self.name
        if kind is TextMessage:
            if mine:
                data = event.data  # type: ignore[attr-defined]
                content = json.dumps(data, ensure_ascii=False) if data is not None else event.content  # type: ignore[attr-defined]
                self._add({"role": "assistant", "content": content})
            elif event.source == USER:
                self._add({"role": "user", "content": event.content}, task=True)  # type: ignore[attr-defined]
            else:
                self._add({"role": "user", "name": event.source, "content": event.content})  # type: ignore[attr-defined]
            self._others.clear()
        elif kind is ToolCalls:
            if mine:
                calls = event.calls  # type: ignore[attr-defined]
                self._append(
                    {
                        "role": "assistant",
                        "content": event.content or None,  # type: ignore[attr-defined]
                        "tool_calls": [
                            {
                                "id": c.id,
                                "type": "function",
                                "function": {"name": c.name, "arguments": c.arguments},
                            }
                            for c in calls
                        ],
                    },
                    new_group=True,
                )
                self._pending.update(c.id for c in calls)
            else:
                self._others.extend(
                    f"{event.source} called {c.name}({c.arguments})"
                    for c in event.calls  # type: ignore[attr-defined]
                    if not c.name.startswith("transfer_to_")
                )
                del self._others[:-OTHERS_KEPT]
        elif kind is ToolResult:
            if mine:
                self._pending.discard(event.call_id)  # type: ignore[attr-defined]
                self._append(
                    {"role": "tool", "tool_call_id": event.call_id, "content": event.content},  # type: ignore[attr-defined]
                    new_group=False,
                )
                if not self._pending and self._held:
                    held, self._held = self._held, []
                    for message, task in held:
                        self._add(message, task=task)
            elif not event.name.startswith("transfer_to_"):  # type: ignore[attr-defined]
                status = "error" if event.is_error else "result"  # type: ignore[attr-defined]
                self._others.append(f"{event.name} {status}: {event.content[:1000]}")  # type: ignore[attr-defined]
                del self._others[:-OTHERS_KEPT]
        elif kind is ErrorEvent and mine:
            self._add({"role": "user", "content": f"[agentnb] {event.content}"})  # type: ignore[attr-defined]
        elif kind is Handoff and not mine:
            note = f"[{event.source} handed the conversation to {event.target}]"  # type: ignore[attr-defined]
            if event.target == self.name and self._others:  # type: ignore[attr-defined]
                note += " What they did first:\n" + "\n".join(f"- {line}" for line in self._others)
            self._add({"role": "user", "name": event.source, "content": note})
            self._others.clear()
        elif kind is ContextSummary and mine:
            self.summary = event.content  # type: ignore[attr-defined]
            self.summarized = event.covers  # type: ignore[attr-defined]

    def _add(self, message: ChatMessage, *, task: bool = False) -> None:
        if self._pending:  # a tool call must be followed by its results first
            self._held.append((message, task))
            return
        if task:
            self.task_index = len(self.messages)
        self._append(message, new_group=True)

    def _append(self, message: ChatMessage, *, new_group: bool) -> None:
        if new_group:
            self.group_starts.append(len(self.messages))
        self.messages.append(message)
        self.cumulative.append(self.cumulative[-1] + message_tokens(message))

    # ----- helpers for policies ---------------------------------------------------------------

    def tokens_between(self, start: int, stop: int) -> int:
        """Tokens of ``messages[start:stop]``."""
        if start >= stop:
            return 0
        return self.cumulative[stop - 1] - (self.cumulative[start - 1] if start else 0)

    def group_start_at_or_after(self, index: int) -> int:
        """The first group boundary at or after ``index`` (``len(messages)`` if none)."""
        i = bisect.bisect_left(self.group_starts, index)
        return self.group_starts[i] if i < len(self.group_starts) else len(self.messages)

    def last_group_start(self) -> int:
        return self.group_starts[-1] if len(self.group_starts) > 1 else len(self.messages)


@dataclass(frozen=True)
class Selection:
    """What a policy chose: message indexes into the context, plus any synthetic messages.

    ``kept`` are indexes of ``AgentContext.messages`` (system first); ``extra`` are
    messages (a summary) inserted after the first ``extra_at`` kept ones.
    """

    kept: list[int] | None  # None: every message, without building a list of them
    extra: list[ChatMessage] = field(default_factory=list)
    extra_at: int = 1

    def indexes(self, ctx: AgentContext) -> list[int]:
        return list(range(len(ctx.messages))) if self.kept is None else self.kept

    def messages(self, ctx: AgentContext) -> list[ChatMessage]:
        if self.kept is None and not self.extra:
            return ctx.messages  # the whole context as it is: no copy, whatever its length
        chosen = [ctx.messages[i] for i in self.indexes(ctx)]
        if not self.extra:
            return chosen
        return [*chosen[: self.extra_at], *self.extra, *chosen[self.extra_at :]]

    def tokens(self, ctx: AgentContext) -> int:
        """Estimated tokens of what is sent (O(1) for the whole context)."""
        extra = sum(message_tokens(m) for m in self.extra) if self.extra else 0
        if self.kept is None:
            return ctx.tokens + extra
        return extra + sum(ctx.tokens_between(i, i + 1) for i in self.kept)


def _with_task(ctx: AgentContext, start: int) -> list[int]:
    """System prompt, the task if it falls before ``start``, then everything from ``start``."""
    head = [0]
    if ctx.task_index is not None and 0 < ctx.task_index < start:
        head.append(ctx.task_index)
    return [*head, *range(max(start, 1), len(ctx.messages))]


class ContextPolicy:
    """Chooses which of an agent's context messages its next model call receives."""

    def select(self, ctx: AgentContext) -> Selection:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


class Full(ContextPolicy):
    """Send the whole conversation (the default)."""

    def select(self, ctx: AgentContext) -> Selection:
        return Selection(None)

    def describe(self) -> str:
        return "Full(): the whole conversation"


class LastN(ContextPolicy):
    """The system prompt, the task, and the last ``n`` messages (whole tool-call groups)."""

    def __init__(self, n: int) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"LastN: expected a positive number of messages, got {n!r}")
        self.n = n

    def select(self, ctx: AgentContext) -> Selection:
        start = ctx.group_start_at_or_after(max(1, len(ctx.messages) - self.n))
        return Selection(_with_task(ctx, min(start, ctx.last_group_start())))

    def describe(self) -> str:
        return f"LastN({self.n}): the task and the last {self.n} messages"


class TokenLimit(ContextPolicy):
    """As many recent messages as fit in ``max_tokens`` (system prompt and task included).

    The newest group is always sent, even if it alone is over the budget.
    """

    def __init__(self, max_tokens: int) -> None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise ValueError(f"TokenLimit: expected a positive number of tokens, got {max_tokens!r}")
        self.max_tokens = max_tokens

    def select(self, ctx: AgentContext) -> Selection:
        n = len(ctx.messages)
        budget = self.max_tokens - ctx.tokens_between(0, 1)
        task = ctx.task_index
        # Find the earliest start whose tail fits: tokens(start..n) is monotone in start.
        lo, hi = 1, ctx.last_group_start()
        while lo < hi:
            mid = (lo + hi) // 2
            start = ctx.group_start_at_or_after(mid)
            extra = ctx.tokens_between(task, task + 1) if task is not None and task < start else 0
            if ctx.tokens_between(start, n) + extra <= budget:
                hi = mid
            else:
                lo = mid + 1
        return Selection(_with_task(ctx, min(ctx.group_start_at_or_after(lo), ctx.last_group_start())))

    def describe(self) -> str:
        return f"TokenLimit({self.max_tokens}): the most recent messages that fit in {self.max_tokens} tokens"


class HeadAndTail(ContextPolicy):
    """The first ``head`` and the last ``tail`` messages (whole groups; the task kept)."""

    def __init__(self, head: int, tail: int) -> None:
        for label, value in (("head", head), ("tail", tail)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"HeadAndTail: {label} must be a number of messages >= 0, got {value!r}")
        if head + tail == 0:
            raise ValueError("HeadAndTail: head and tail cannot both be 0")
        self.head, self.tail = head, tail

    def select(self, ctx: AgentContext) -> Selection:
        n = len(ctx.messages)
        head_end = ctx.group_start_at_or_after(1 + self.head)
        tail_start = min(ctx.group_start_at_or_after(max(1, n - self.tail)), ctx.last_group_start())
        if head_end >= tail_start:
            return Selection(None)
        kept = [0, *range(1, head_end)]
        if ctx.task_index is not None and head_end <= ctx.task_index < tail_start:
            kept.append(ctx.task_index)
        return Selection([*kept, *range(tail_start, n)])

    def describe(self) -> str:
        return f"HeadAndTail({self.head}, {self.tail}): the first {self.head} and last {self.tail} messages"


class Summarize(ContextPolicy):
    """Keep the last ``keep_last`` messages; older ones are replaced by a model-written summary.

    When the messages not yet summarized (before the kept tail) pass ``max_tokens``, the
    agent asks ``model`` (default: its own) to summarize them together with the previous
    summary, before its next model call. The summary is recorded in the transcript as a
    `ContextSummary` event, so rewinds, forks and saved runs keep it without a new call.
    """

    def __init__(
        self, model: Model | str | None = None, *, keep_last: int = 8, max_tokens: int = 1500
    ) -> None:
        if not isinstance(keep_last, int) or keep_last < 1:
            raise ValueError(f"Summarize: keep_last must be a positive number of messages, got {keep_last!r}")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"Summarize: max_tokens must be a positive number of tokens, got {max_tokens!r}")
        self.model = model
        self.keep_last = keep_last
        self.max_tokens = max_tokens

    def tail_start(self, ctx: AgentContext) -> int:
        n = len(ctx.messages)
        return min(ctx.group_start_at_or_after(max(1, n - self.keep_last)), ctx.last_group_start())

    def due(self, ctx: AgentContext) -> tuple[int, int] | None:
        """The (from, to) message range to summarize now, or None."""
        start, end = ctx.summarized, self.tail_start(ctx)
        if end <= start or ctx.tokens_between(start, end) <= self.max_tokens:
            return None
        return start, end

    def select(self, ctx: AgentContext) -> Selection:
        if ctx.summary is None:
            return Selection(None)
        start = max(ctx.summarized, 1)
        note = {"role": "user", "content": f"[summary of the earlier conversation]\n{ctx.summary}"}
        kept = _with_task(ctx, start)
        head = 2 if len(kept) > 1 and kept[1] < start else 1
        return Selection(kept, [note], head)

    def describe(self) -> str:
        return f"Summarize(keep_last={self.keep_last}, max_tokens={self.max_tokens})"


def as_policy(value: ContextPolicy | None) -> ContextPolicy:
    if value is None:
        return Full()
    if not isinstance(value, ContextPolicy):
        raise ValueError(
            f"context: expected a context policy (Full(), LastN(n), TokenLimit(n), HeadAndTail(h, t), "
            f"Summarize(...)), got {value!r}"
        )
    return value


@dataclass
class PreviewRow:
    """One message of an agent's context as the preview shows it."""

    role: str
    name: str
    content: str
    tokens: int
    kept: bool


@dataclass
class ContextPreview:
    """Exactly what an agent's next model call receives, and what its policy cut."""

    agent: str
    policy: str
    rows: list[PreviewRow]
    sent: list[ChatMessage]

    @property
    def tokens_sent(self) -> int:
        return sum(message_tokens(m) for m in self.sent)

    @property
    def cut(self) -> list[PreviewRow]:
        return [r for r in self.rows if not r.kept]

    def __str__(self) -> str:
        lines = [
            f"context of {self.agent} · {self.policy} · {len(self.sent)} messages sent, "
            f"~{self.tokens_sent} tokens · {len(self.cut)} cut"
        ]
        for row in self.rows:
            mark = "  " if row.kept else "✂ "
            who = f"{row.role}:{row.name}" if row.name else row.role
            text = " ".join(row.content.split())
            lines.append(f"{mark}{who:<22} {row.tokens:>5}  {text[:70]}")
        return terminal_text("\n".join(lines))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_markdown_(self) -> str:
        head = (
            f"**context of {md_text(self.agent)}** · {md_text(self.policy)} · {len(self.sent)} messages "
            f"sent, ~{self.tokens_sent} tokens · {len(self.cut)} cut\n\n"
            "| | role | tokens | content |\n|---|---|---|---|"
        )
        rows = []
        for row in self.rows:
            text = md_text(" ".join(row.content.split())[:80])  # message text is data, never markup
            who = md_text(f"{row.role} ({row.name})" if row.name else row.role)
            rows.append(f"| {'' if row.kept else '✂'} | {who} | {row.tokens} | {text} |")
        return "\n".join([head, *rows])

    def _repr_html_(self) -> str:
        import html

        cells = []
        for row in self.rows:
            style = "" if row.kept else "opacity:0.45;text-decoration:line-through"
            who = f"{row.role} ({row.name})" if row.name else row.role
            cells.append(
                f'<tr style="{style}"><td>{"" if row.kept else "✂"}</td><td>{html.escape(who)}</td>'
                f'<td style="text-align:right">{row.tokens}</td>'
                f"<td>{html.escape(' '.join(row.content.split())[:200])}</td></tr>"
            )
        head = (
            f"<div><b>context of {html.escape(self.agent)}</b> · {html.escape(self.policy)} · "
            f"{len(self.sent)} messages sent, ~{self.tokens_sent} tokens · {len(self.cut)} cut</div>"
        )
        return (
            f'<div class="agentnb-context tex2jax_ignore mathjax_ignore">{head}<table>'
            "<tr><th></th><th>role</th><th>tokens</th><th>content</th></tr>"
            f"{''.join(cells)}</table></div>"
        )


def preview(
    ctx: AgentContext, selection: Selection, policy: ContextPolicy, extra_rows: Sequence[ChatMessage] = ()
) -> ContextPreview:
    """The rows of a preview: every context message, marked kept or cut."""
    indexes = selection.indexes(ctx)
    kept = set(indexes)
    rows = []
    for i, message in enumerate(ctx.messages):
        rows.append(_row(message, i in kept))
        if i == 0:
            rows.extend(_row(m, True) for m in extra_rows)
        if i == (indexes[selection.extra_at - 1] if selection.extra else -1):
            rows.extend(_row(m, True) for m in selection.extra)
    sent = selection.messages(ctx)
    if extra_rows:
        sent = [sent[0], *extra_rows, *sent[1:]]
    return ContextPreview(ctx.name, policy.describe(), rows, sent)


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
