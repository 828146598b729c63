"""Agents' colours: one palette slot per participant, in team order, the same in every view."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from agentnb.core.events import Event, TextMessage, TokenDelta, ToolCalls

# Ten hues in team order, each readable as text on white and on dark themes (contrast >= 3
# against #fff and #1e1e1e) and as the background of a white initial.
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


class Colors:
    """Palette slots for one chat: the team's order first, then other names as they appear.

    Participant i gets slot i (wrapping only beyond the palette), so agents of a team never
    share a colour and keep it run after run; ``user`` is always grey.
    """

    def __init__(self, participants: Sequence[str] = ()) -> None:
        self._slots: dict[str, int] = {}
        for name in participants:
            self.slot(name)

    def slot(self, name: str) -> int | None:
        """``name``'s palette index (assigned now if new), or None for the user."""
        if name == "user":
            return None
        return self._slots.setdefault(name, len(self._slots)) % len(PALETTE)

    def names(self) -> list[str]:
        """The names with a colour, in slot order (pass it as ``participants`` to get the same colours)."""
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
