"""Agents' colours: one palette slot per name, kept for the whole session, the same in every view.

A name keeps its colour from chat to chat within one Python process (a notebook's kernel):
the writer of lesson 1's first team is the writer of its last. A new name takes the first
colour no earlier name has; agents of one chat never share a colour.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from agentnb.core.events import Event, TextMessage, TokenDelta, ToolCalls

# Ten hues, each readable as text on white and on dark themes (contrast >= 3 against #fff and
# #1e1e1e) and as the background of a white initial.
PALETTE = [
    "#2563eb",  # blue
    "#ea580c",  # orange
    "#16a34a",  # green
    "#9333ea",  # purple
    "#dc2626",  # red
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#4d7c0f",  # olive
    "#a16207",  # brown
    "#6366f1",  # indigo
]
ANSI = [26, 166, 35, 98, 160, 31, 162, 64, 130, 63]  # the nearest xterm-256 colours
USER_COLOR = "#475569"
NOTE_COLOR = "#64748b"

_remembered: dict[str, int] = {}  # name -> palette slot, for this process
_lock = threading.Lock()


def forget_colors() -> None:
    """Forget which name had which colour (a new kernel starts like this; tests call it)."""
    with _lock:
        _remembered.clear()


class Colors:
    """Palette slots for one chat: each name's colour of the session, distinct within the chat.

    ``participants`` (the team's order) are placed first: a name keeps the colour it had in
    earlier chats unless a participant listed before it already holds that colour; a name
    never seen takes the first colour no name has (wrapping only beyond ten names). Other
    names get theirs as they appear; ``user`` is always grey.
    """

    def __init__(self, participants: Sequence[str] = ()) -> None:
        self._slots: dict[str, int] = {}
        names = [name for name in dict.fromkeys(participants) if name != "user"]
        with _lock:
            for name in names:  # first the colours they had, where still free in this chat
                slot = _remembered.get(name)
                if slot is not None and slot not in self._slots.values():
                    self._slots[name] = slot
            for name in names:
                if name not in self._slots:
                    self._slots[name] = self._new(name)
        self._slots = {name: self._slots[name] for name in names}  # in team order

    def _new(self, name: str) -> int:
        """A colour for ``name`` in this chat (call with the lock held); remembered if it is its first."""
        used = set(self._slots.values())
        slot = _remembered.get(name)
        if slot is None or slot in used:
            taken = used | set(_remembered.values())
            free = [s for s in range(len(PALETTE)) if s not in taken] or [
                s for s in range(len(PALETTE)) if s not in used
            ]
            slot = free[0] if free else len(self._slots) % len(PALETTE)
        _remembered.setdefault(name, slot)
        return slot

    def slot(self, name: str) -> int | None:
        """``name``'s palette index (assigned now if new), or None for the user."""
        if name == "user":
            return None
        if name not in self._slots:
            with _lock:
                self._slots[name] = self._new(name)
        return self._slots[name]

    def names(self) -> list[str]:
        """The names with a colour (pass them as ``participants`` to get the same colours)."""
        return list(self._slots)

    def html(self, name: str) -> str:
        slot = self.slot(name)
        return USER_COLOR if slot is None else PALETTE[slot]

    def sgr(self, name: str) -> str:
        """ANSI select-graphic-rendition parameters: bold, in ``name``'s colour."""
        slot = self.slot(name)
        return "1;90" if slot is None else f"1;38;5;{ANSI[slot]}"


def html_color(name: str, participants: Sequence[str] = ()) -> str:
    """``name``'s colour in a chat of ``participants`` (team order)."""
    return Colors(participants).html(name)


def speakers(events: Iterable[Event], colors: Colors) -> None:
    """Assign colours in order of first appearance, as the live views do while events arrive."""
    for event in events:
        if isinstance(event, TextMessage | ToolCalls | TokenDelta):
            colors.slot(event.source)
