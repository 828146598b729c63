"""Text from models, tools and files, made safe to show: in a terminal, in an approval, in markdown.

What a model or a tool writes is data, but a terminal obeys the control characters in it
and a reader trusts what the characters look like. So:

- `terminal_text` shows every control character as a visible escape (``\\x1b``, ``\\x9b``,
  ``\\u202e``): printed text cannot clear the screen, set the window title, write the
  clipboard, hide a link, move the cursor over earlier lines or reverse what you read.
  Everything agentnb prints goes through it.
- `mark_hidden` marks characters that change how text reads without showing themselves
  (bidirectional overrides, zero-width and other invisible characters) as ``⟦U+202E⟧``, and
  `hidden_warning` says what they are: a person approving a tool call sees them.
- `approval_text` is a tool call as a person approves it, in the terminal or the notebook:
  code decoded from its JSON (not ``\\u``-escaped), the tool's note (where the code runs),
  hidden characters marked and warned about.
- `md_text` is text made literal inside markdown.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from agentnb.core.events import ToolCall

# C0 controls but tab and newline, DEL, C1 controls; the bidirectional controls; invisible
# characters a terminal prints as nothing (joiners aside: emoji sequences need them).
_CONTROLS = [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]
BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
INVISIBLE = frozenset(
    [
        *(0x00AD, 0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x200B, 0x200C, 0x200D),
        *(0x2028, 0x2029, 0x3164, 0xFEFF, 0xFFA0),
        *range(0x2060, 0x2065),
        *range(0x206A, 0x2070),
        *range(0xE0000, 0xE0080),  # tags: invisible letters that can smuggle instructions
    ]
)
HIDDEN = BIDI | INVISIBLE
_TERMINAL_SHOWN = {*_CONTROLS, *BIDI, *(INVISIBLE - {0x200C, 0x200D})}
MARK = "⟦U+{:04X}⟧"
CODE_INDENT = "    "
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>!#|~&])")
DOLLAR = "<span>&#36;</span>"  # a $ that neither JupyterLab's MathJax nor GitHub reads as math


def _char_class(codes: Iterable[int]) -> str:
    """A regex character class of ``codes``, written as ranges (a long list of single characters is slow)."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return "[" + "".join(parts) + "]"


_HIDDEN_RE = re.compile(_char_class(HIDDEN))


def _escape(code: int) -> str:
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_TERMINAL = {code: _escape(code) for code in _TERMINAL_SHOWN} | {0x0D: "\\r"}
_TERMINAL_RE = re.compile(_char_class(_TERMINAL))


def terminal_text(text: str) -> str:
    """``text`` safe to print to a terminal: control characters shown as escapes, lines kept.

    Newlines and tabs stay (``\\r\\n`` becomes ``\\n``); every other C0 or C1 control,
    DEL, bidirectional control and invisible character is written as its escape, so an
    escape sequence prints as text (``\\x1b]52;c;...``) instead of acting.
    """
    if _TERMINAL_RE.search(text) is None:  # the usual case, found at C speed
        return text
    return _TERMINAL_RE.sub(lambda m: _TERMINAL[ord(m.group())], text.replace("\r\n", "\n"))


def hidden_characters(text: str) -> list[str]:
    """The distinct hidden characters in ``text`` (bidirectional controls, invisible ones), in order."""
    return list(dict.fromkeys(_HIDDEN_RE.findall(text)))


def mark_hidden(text: str) -> str:
    """``text`` with each hidden character replaced by a visible mark such as ``⟦U+202E⟧``."""
    return _HIDDEN_RE.sub(lambda m: MARK.format(ord(m.group())), text)


def hidden_warning(text: str) -> str:
    """A warning naming the hidden characters in ``text`` ('' when there are none)."""
    found = hidden_characters(text)
    if not found:
        return ""
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'UNNAMED')}" for c in found)
    kind = "direction-changing or invisible character" + ("s" if len(found) > 1 else "")
    return (
        f"⚠ Warning: {kind} marked ⟦U+…⟧: {names}. They make text read differently from what "
        "the computer runs; reject unless you know why they are there."
    )


def code_argument(call: ToolCall | None) -> tuple[str, dict[str, Any]] | None:
    """A call's ``code`` argument (the code sandbox's ``run_python``) and its other arguments.

    Code reads best as a code block, not as one line of JSON; None when there is no code.
    """
    if call is None:
        return None
    try:
        arguments = json.loads(call.arguments or "{}")
    except (ValueError, RecursionError):
        return None
    code = arguments.get("code") if isinstance(arguments, dict) else None
    if not isinstance(code, str):
        return None
    return code, {k: v for k, v in arguments.items() if k != "code"}


def readable_arguments(call: ToolCall) -> str:
    """A call's arguments as a person reads them: JSON with characters decoded, not ``\\u``-escaped."""
    try:
        return json.dumps(json.loads(call.arguments or "{}"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return call.arguments


def approval_warning(call: ToolCall) -> str:
    """The warning `approval_text` ends with for ``call`` ('' when nothing in it is hidden)."""
    found = code_argument(call)
    text = readable_arguments(call) if found is None else found[0] + json.dumps(found[1], ensure_ascii=False)
    return hidden_warning(call.name + text)


def approval_text(agent: str, call: ToolCall) -> str:
    """What a person reads to approve ``call``: the call, its code as a block, the tool's note
    (``call.note``: where a code executor's code runs), marks and a warning.

    Hidden characters anywhere in the call (its name, arguments or code) are marked and
    named in a warning on the last line.
    """
    found = code_argument(call)
    origin = f" from {call.origin}" if call.origin else ""
    if found is None:
        text = f"{agent} wants to run {call.name}({readable_arguments(call)}){origin}"
    else:
        code, others = found
        rest = json.dumps(others, ensure_ascii=False) if others else ""
        lines = code.splitlines() or [""]
        text = f"{agent} wants to run {call.name}({rest}){origin} with this code:\n" + "\n".join(
            CODE_INDENT + line for line in lines
        )
    if call.note:
        text += f"\n{call.note}"
    warning = hidden_warning(text)
    return mark_hidden(text) + (f"\n{warning}" if warning else "")


def md_text(text: str) -> str:
    """``text`` as literal markdown on one line: markup characters escaped, ``$`` never math."""
    text = _MD_SPECIAL.sub(r"\\\1", _LINE_BREAK.sub(" ", text))
    return text.replace("$", DOLLAR)
