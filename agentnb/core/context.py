"""What an agent's model sees: the chat derived from a transcript, kept up to date cheaply.

`AgentContext` turns a team's transcript into one agent's model-facing chat (OpenAI chat
format), incrementally: each turn it converts only the events it has not seen, so a long
chat costs the same per message as a short one. It also keeps what trimming needs —
token counts, where each indivisible group starts (an assistant message with tool calls
and its tool results are one group), and where the task is. Its message list only ever
grows, so a `MessagesView` of its first ``n`` messages is a snapshot that costs O(1) and
never changes afterwards: that is what a `ModelRequest` carries.

The policies that choose what to send (`Full`, `LastN`, ...) are in `agentnb.core.policies`.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from typing import Any, overload

from agentnb.core.events import (
    USER,
    ContextSummary,
    ErrorEvent,
    Event,
    Handoff,
    SpeakerSelected,
    TextMessage,
    ToolCalls,
    ToolResult,
)
from agentnb.core.model import ChatMessage, message_tokens

OTHERS_KEPT = 20  # other agents' recent tool calls and results, shown to a handoff's target


class MessagesView(Sequence[ChatMessage]):
    """The first ``n`` messages of an append-only list, optionally with another system
    message first: a snapshot in O(1) (the list is never changed before position ``n``)."""

    __slots__ = ("_head", "_items", "_n")

    def __init__(self, items: list[ChatMessage], n: int, head: ChatMessage | None = None) -> None:
        self._items, self._n, self._head = items, n, head

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, index: int) -> ChatMessage: ...

    @overload
    def __getitem__(self, index: slice) -> list[ChatMessage]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._n))]
        if index < 0:
            index += self._n
        if not 0 <= index < self._n:
            raise IndexError(f"message {index} out of range ({self._n} messages)")
        if index == 0 and self._head is not None:
            return self._head
        return self._items[index]

    def __iter__(self) -> Iterator[ChatMessage]:
        if self._head is None:
            yield from self._items[: self._n] if self._n < len(self._items) else self._items
            return
        yield self._head
        yield from self._items[1 : self._n]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class AgentContext:
    """One agent's model-facing chat over one transcript, kept up to date incrementally."""

    def __init__(self, name: str, role: str) -> None:
        self.name = name
        self.role = role
        self.clear()

    def clear(self) -> None:
        """Start over (the thread changed): new lists, so views of the old ones stay valid."""
        system = {"role": "system", "content": self.role}
        self.messages: list[ChatMessage] = [system]
        self.cumulative: list[int] = [message_tokens(system)]  # tokens of messages[: i + 1]
        self.continuations: list[int] = []  # messages that continue the group before them (tool results)
        self.task_index: int | None = None  # the latest message from the user
        self.summary: str | None = None  # the latest summary this agent wrote of its older context
        self.summarized = 1  # messages[1 : summarized] are covered by ``summary``
        self.thread: Sequence[Event] | None = None
        self.seen = 0
        self.reserve = 0  # tokens the next system message carries beyond the role (a memory note)
        self._pending: set[str] = set()
        self._held: list[tuple[ChatMessage, bool]] = []
        self._others: list[str] = []  # other agents' tool traffic since the last turn (for handoffs)

    @property
    def tokens(self) -> int:
        return self.cumulative[-1]

    def view(self, head: ChatMessage | None = None) -> MessagesView:
        """A snapshot of the whole chat as it is now."""
        return MessagesView(self.messages, len(self.messages), head)

    def update(self, thread: Sequence[Event]) -> None:
        """Absorb the events of ``thread`` not seen yet (from scratch if the thread changed).

        The common message (a top-level text with no tool call pending and no structured
        data) is converted inline: this loop runs for every agent on every message. What every
        other agent sees of a message is one dict, kept on the event and shared.
        """
        seen = self.seen
        if thread is not self.thread:
            self.clear()
            self.thread, seen = thread, 0
        since = getattr(thread, "since", None)  # an append-only transcript: what it added since
        if since is not None:
            events = since(seen)
            if not events:
                return
        else:
            n = len(thread)
            if n < seen:  # a list that shrank: start over
                self.clear()
                self.thread, seen = thread, 0
            if n <= seen:
                return
            events = thread[seen:n]
        name, messages, cumulative = self.name, self.messages, self.cumulative
        pending, others = self._pending, self._others
        total = cumulative[-1]
        for event in events:
            if event.__class__ is TextMessage and not (event.scope or pending or event.data is not None):  # type: ignore[attr-defined]
                source, content = event.source, event.content  # type: ignore[attr-defined]
                if source == name:
                    message: ChatMessage = {"role": "assistant", "content": content}
                elif source == USER:
                    self.task_index = len(messages)
                    message = {"role": "user", "content": content}
                else:
                    try:
                        message = event.shared_view
                    except AttributeError:  # an event not made by the core's makers: not set yet
                        message = None  # type: ignore[assignment]
                    if message is None:
                        message = event.shared_view = {"role": "user", "name": source, "content": content}
                messages.append(message)
                total += (len(content) + 19) >> 2  # message_tokens: 4 + (len + 3) // 4
                cumulative.append(total)
                if others:
                    others.clear()
            elif event.__class__ is not SpeakerSelected:  # (a speaker's choice: nothing a model reads)
                self._absorb(event)
                total = cumulative[-1]
        self.seen = seen + len(events)

    def _absorb(self, event: Event) -> None:
        if event.scope:
            return  # nested teams' inner events: their result arrives as a message
        kind = event.__class__
        mine = event.source == self.name
        if kind is TextMessage:
            self._text(event, mine)  # type: ignore[arg-type]
        elif kind is ToolCalls:
            self._calls(event, mine)  # type: ignore[arg-type]
        elif kind is ToolResult:
            self._result(event, mine)  # type: ignore[arg-type]
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

    def _text(self, event: TextMessage, mine: bool) -> None:
        if mine:
            data = event.data
            content = json.dumps(data, ensure_ascii=False) if data is not None else event.content
            self._add({"role": "assistant", "content": content})
        elif event.source == USER:
            self._add({"role": "user", "content": event.content}, task=True)
        else:
            self._add({"role": "user", "name": event.source, "content": event.content})
        if self._others:
            self._others.clear()

    def _calls(self, event: ToolCalls, mine: bool) -> None:
        if mine:
            self._append(
                {
                    "role": "assistant",
                    "content": event.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": c.arguments},
                        }
                        for c in event.calls
                    ],
                },
                new_group=True,
            )
            self._pending.update(c.id for c in event.calls)
            return
        self._others.extend(
            f"{event.source} called {c.name}({c.arguments})"
            for c in event.calls
            if not c.name.startswith("transfer_to_")
        )
        del self._others[:-OTHERS_KEPT]

    def _result(self, event: ToolResult, mine: bool) -> None:
        if mine:
            self._pending.discard(event.call_id)
            self._append(
                {"role": "tool", "tool_call_id": event.call_id, "content": event.content}, new_group=False
            )
            if not self._pending and self._held:
                held, self._held = self._held, []
                for message, task in held:
                    self._add(message, task=task)
        elif not event.name.startswith("transfer_to_"):
            status = "error" if event.is_error else "result"
            self._others.append(f"{event.name} {status}: {event.content[:1000]}")
            del self._others[:-OTHERS_KEPT]

    def _add(self, message: ChatMessage, *, task: bool = False) -> None:
        if self._pending:  # a tool call must be followed by its results first
            self._held.append((message, task))
            return
        if task:
            self.task_index = len(self.messages)
        self._append(message, new_group=True)

    def _append(self, message: ChatMessage, *, new_group: bool) -> None:
        if not new_group:
            self.continuations.append(len(self.messages))
        self.messages.append(message)
        self.cumulative.append(self.cumulative[-1] + message_tokens(message))

    @property
    def unanswered(self) -> set[str]:
        """Ids of this agent's tool calls that have no result yet."""
        return set(self._pending)

    # ----- helpers for policies ---------------------------------------------------------------

    def tokens_between(self, start: int, stop: int) -> int:
        """Tokens of ``messages[start:stop]``."""
        if start >= stop:
            return 0
        return self.cumulative[stop - 1] - (self.cumulative[start - 1] if start else 0)

    def _continues(self, index: int) -> bool:
        cont = self.continuations
        j = bisect_left(cont, index)
        return j < len(cont) and cont[j] == index

    def group_start_at_or_after(self, index: int) -> int:
        """The first group boundary at or after ``index`` (``len(messages)`` if none)."""
        n = len(self.messages)
        while index < n and self._continues(index):
            index += 1
        return min(index, n)

    def last_group_start(self) -> int:
        """Where the newest group begins (``len(messages)`` when there is only the system prompt)."""
        index = len(self.messages) - 1
        while index > 0 and self._continues(index):
            index -= 1
        return index if index > 0 else len(self.messages)

    def user_before(self, index: int) -> int | None:
        """The last user message before ``index`` (what a trimmed chat opens with), if any."""
        messages = self.messages
        for i in range(min(index, len(messages)) - 1, 0, -1):
            if messages[i].get("role") == "user":
                return i
        return None
