"""What one execution in a kernel produced, gathered from its iopub messages within limits.

Text (stdout, stderr, results, the text of displays) and the exception are what the model
reads, cut together at ``max_output`` characters with a note; images and markdown are kept
as mime bundles for people. HTML, JavaScript and widget outputs are dropped: the code is untrusted and the
chat never renders its HTML. Terminal colour codes are stripped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Terminal escape sequences (ECMA-48), in their 7-bit and 8-bit forms: CSI (colours, cursor,
# screen clears); OSC, DCS, SOS, PM and APC strings (window titles, clipboard writes, hidden
# links) up to BEL or ST, or to the next escape when unterminated; and the short ESC sequences.
ANSI_ESCAPE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
RICH_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "text/markdown")
KEPT_TYPES = (*RICH_TYPES, "text/plain")
MAX_DISPLAYS = 20
MAX_DISPLAY_CHARS = 4_000_000  # all rich outputs of one execution together (base64 images)
MAX_TRACEBACK_CHARS = 4_000
TRACEBACK_HEADER = re.compile(r"^\w[\w.]*\s+Traceback \(most recent call last\)")


def strip_ansi(text: str) -> str:
    return ANSI_ESCAPE.sub("", text)


@dataclass
class Outputs:
    """The bounded outputs of one execution: text for the model, rich outputs for people."""

    max_output: int
    text: list[str] = field(default_factory=list)
    size: int = 0
    dropped: int = 0
    display: list[dict[str, str]] = field(default_factory=list)
    display_size: int = 0
    dropped_displays: int = 0
    error: str = ""
    error_name: str = ""

    def add(self, msg: dict[str, Any]) -> None:
        """Take one iopub message (of this execution)."""
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "stream":
            self._add_text(strip_ansi(str(content.get("text", ""))))
        elif kind in ("execute_result", "display_data"):
            self._add_bundle(content.get("data") or {})
        elif kind == "error":
            self.error_name = str(content.get("ename", "Error"))
            self.error = _error_text(content, self.max_output)

    def _add_text(self, text: str) -> None:
        room = self.max_output - self.size
        if room >= len(text):
            self.text.append(text)
            self.size += len(text)
            return
        if room > 0:
            self.text.append(text[:room])
            self.size += room
        self.dropped += len(text) - max(room, 0)

    def _add_bundle(self, data: dict[str, Any]) -> None:
        bundle = {k: v for k, v in data.items() if k in KEPT_TYPES and isinstance(v, str)}
        plain = bundle.get("text/plain")
        rich = [k for k in RICH_TYPES if k in bundle]
        if rich:
            size = sum(len(v) for v in bundle.values())
            if len(self.display) < MAX_DISPLAYS and self.display_size + size <= MAX_DISPLAY_CHARS:
                self.display.append(bundle)
                self.display_size += size
                shown = f"[{rich[0]} output shown to the user]"
            else:
                self.dropped_displays += 1
                shown = f"[{rich[0]} output not shown: too many or too large]"
            self._add_text(f"{shown} {plain}\n" if plain else f"{shown}\n")
        elif plain is not None:
            self._add_text(strip_ansi(plain) + "\n")

    def output(self) -> str:
        """The text output, in what the exception left of ``max_output``, with a note when some was cut."""
        text = "".join(self.text)
        room = max(self.max_output - len(self.error), 0)
        dropped = self.dropped + max(len(text) - room, 0)
        if dropped:
            text = text[:room] + (
                f"\n[output truncated: {dropped:,} more characters not shown; "
                "print less, e.g. a summary or the first rows]"
            )
        return text


def _error_text(content: dict[str, Any], limit: int) -> str:
    """``Name: value``, then the traceback without colours, separators or its repeated ends.

    At most ``limit`` characters (plus notes): the start of the message, the end of the traceback.
    """
    headline = f"{content.get('ename', 'Error')}: {content.get('evalue', '')}".rstrip(": ")
    headline = strip_ansi(headline)
    lines = strip_ansi("\n".join(str(line) for line in content.get("traceback") or ())).splitlines()
    lines = [line for line in lines if line.strip("-") or not line]
    if lines and TRACEBACK_HEADER.match(lines[0]):
        lines = lines[1:]
    if lines and lines[-1].strip().rstrip(": ") == headline:
        lines = lines[:-1]
    if len(headline) > limit // 2:
        cut = len(headline) - limit // 2
        headline = f"{headline[: limit // 2]} [message cut: {cut:,} more characters not shown]"
    traceback = "\n".join(lines).strip("\n")
    room = min(MAX_TRACEBACK_CHARS, max(limit - len(headline), 0))
    if len(traceback) > room:
        traceback = "[...]\n" + traceback[len(traceback) - room :] if room else ""
    return f"{headline}\n{traceback}" if traceback else headline
