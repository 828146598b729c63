"""Context policies: which of an agent's context messages its next model call receives.

Everything (`Full`, the default), the last N messages (`LastN`), a token budget
(`TokenLimit`), the first and last messages (`HeadAndTail`), or a model-written summary of
older messages (`Summarize`). None ever separates a tool call from its result, drops the
task, or sends a chat that does not open with a user message (chat templates behind
llama.cpp, Ollama and vLLM reject one that opens with the assistant). Each costs the same
per turn however long the chat is. A memory note joins the system prompt, and budgets
count it: what a policy chooses is what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentnb.core.context import AgentContext, MessagesView
from agentnb.core.errors import ConfigError
from agentnb.core.model import ChatMessage, message_tokens

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentnb.core.model import Model

OPENING = {"role": "user", "content": "(The conversation so far follows.)"}


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

    def messages(self, ctx: AgentContext, system: ChatMessage | None = None) -> Sequence[ChatMessage]:
        """The messages sent: a snapshot (``system`` replaces the role's system message)."""
        if self.kept is None and not self.extra:
            return ctx.view(system)  # the whole context as it is now: O(1), whatever its length
        chosen = [ctx.messages[i] for i in self.indexes(ctx)]
        if system is not None:
            chosen[0] = system
        if self.extra:
            chosen = [*chosen[: self.extra_at], *self.extra, *chosen[self.extra_at :]]
        if self._opening_needed(ctx):
            chosen.insert(1, OPENING)
        return chosen

    def _opening_needed(self, ctx: AgentContext) -> bool:
        """A chosen chat whose first message after the system prompt is not the user's."""
        if self.kept is None:
            return False
        if self.extra and self.extra_at == 1:
            return self.extra[0].get("role") != "user"
        return len(self.kept) > 1 and ctx.messages[self.kept[1]].get("role") != "user"

    def tokens(self, ctx: AgentContext) -> int:
        """Estimated tokens of what is sent (O(1) for the whole context)."""
        extra = sum(message_tokens(m) for m in self.extra) if self.extra else 0
        if self.kept is None:
            return ctx.tokens + extra
        opening = message_tokens(OPENING) if self._opening_needed(ctx) else 0
        return extra + opening + sum(ctx.tokens_between(i, i + 1) for i in self.kept)


def _head(ctx: AgentContext, start: int) -> list[int]:
    """What opens a chat whose kept tail begins at ``start``: the task, or the last user
    message when the tail would otherwise not open with one (at most one index)."""
    task = ctx.task_index
    if task is not None and 0 < task < start:
        return [task]
    if start < len(ctx.messages) and ctx.messages[start].get("role") != "user":
        before = ctx.user_before(start)
        if before is not None:
            return [before]
    return []


def _opening(ctx: AgentContext, start: int) -> list[int]:
    """System prompt, what opens the chat (`_head`), then every message from ``start``."""
    start = max(start, 1)
    return [0, *_head(ctx, start), *range(start, len(ctx.messages))]


class ContextPolicy:
    """Chooses which of an agent's context messages its next model call receives.

    ``ctx.reserve`` is how many tokens the system prompt carries beyond the role (a memory
    note): a policy with a budget counts them.
    """

    def select(self, ctx: AgentContext) -> Selection:
        raise NotImplementedError

    def describe(self) -> str:
        return type(self).__name__


EVERYTHING = Selection(None)


class Full(ContextPolicy):
    """Send the whole conversation (the default)."""

    def select(self, ctx: AgentContext) -> Selection:
        return EVERYTHING

    def describe(self) -> str:
        return "Full(): the whole conversation"


def _count(value: object, what: str, low: int = 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{what}: expected a whole number >= {low}, got {value!r}")
    return value


class LastN(ContextPolicy):
    """The system prompt, the task, and the last ``n`` messages (whole tool-call groups)."""

    def __init__(self, n: int) -> None:
        self.n = _count(n, "LastN")

    def select(self, ctx: AgentContext) -> Selection:
        start = ctx.group_start_at_or_after(max(1, len(ctx.messages) - self.n))
        return Selection(_opening(ctx, min(start, ctx.last_group_start())))

    def describe(self) -> str:
        return f"LastN({self.n}): the task and the last {self.n} messages"


class TokenLimit(ContextPolicy):
    """As many recent messages as fit in ``max_tokens`` (system prompt, memory note and task
    included). The newest group is always sent, even if it alone is over the budget."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = _count(max_tokens, "TokenLimit")

    def select(self, ctx: AgentContext) -> Selection:
        n = len(ctx.messages)
        budget = self.max_tokens - ctx.tokens_between(0, 1) - ctx.reserve

        def size(start: int) -> int:
            head = sum(ctx.tokens_between(i, i + 1) for i in _head(ctx, start))
            return head + ctx.tokens_between(start, n)

        # The earliest group start whose tail (and what opens it) fits; size falls as start grows.
        lo, hi = 1, ctx.last_group_start()
        while lo < hi:
            mid = (lo + hi) // 2
            if size(ctx.group_start_at_or_after(mid)) <= budget:
                hi = mid
            else:
                lo = mid + 1
        return Selection(_opening(ctx, min(ctx.group_start_at_or_after(lo), ctx.last_group_start())))

    def describe(self) -> str:
        return f"TokenLimit({self.max_tokens}): the most recent messages that fit in {self.max_tokens} tokens"


class HeadAndTail(ContextPolicy):
    """The first ``head`` and the last ``tail`` messages (whole groups; the task kept)."""

    def __init__(self, head: int, tail: int) -> None:
        self.head, self.tail = _count(head, "HeadAndTail head", 0), _count(tail, "HeadAndTail tail", 0)
        if head + tail == 0:
            raise ConfigError("HeadAndTail: head and tail cannot both be 0")

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
        self.model = model
        self.keep_last = _count(keep_last, "Summarize keep_last")
        self.max_tokens = _count(max_tokens, "Summarize max_tokens")

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
        kept = _opening(ctx, start)
        head = 2 if len(kept) > 1 and kept[1] < start else 1
        return Selection(kept, [note], head)

    def describe(self) -> str:
        return f"Summarize(keep_last={self.keep_last}, max_tokens={self.max_tokens})"


def as_policy(value: ContextPolicy | None) -> ContextPolicy:
    if value is None:
        return Full()
    if not isinstance(value, ContextPolicy):
        raise ConfigError(
            f"context: expected a context policy (Full(), LastN(n), TokenLimit(n), HeadAndTail(h, t), "
            f"Summarize(...)), got {value!r}"
        )
    return value


__all__ = [
    "ContextPolicy",
    "Full",
    "HeadAndTail",
    "LastN",
    "MessagesView",
    "Selection",
    "Summarize",
    "TokenLimit",
    "as_policy",
]
