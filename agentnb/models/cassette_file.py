"""The cassette file: one interaction appended per call, and read back even when a run was cut.

The file is the indented JSON document ``json.dumps(cassette, indent=2)`` would give, so any
JSON tool reads it and cassettes written before appending load unchanged. A recording writes
the header once; each call then writes its interaction over the closing ``]}`` and writes them
again after it, so a call costs the bytes of its own interaction (not the whole file again)
and the file is complete JSON after every call. A run killed in the middle of a write leaves a
prefix of that; `read` recovers the interactions before the cut, with a warning. The file is
written and its envelope checked by `agentnb.core.saved`, like every saved format.
"""

from __future__ import annotations

import json
import re
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Any

from agentnb.core.errors import SavedFileError
from agentnb.core.saved import check_envelope, read_text, write_text

KIND, VERSION = "cassette", 1
HOW = "record one with models.record"
INDENT = "    "  # an interaction's depth in the document: the list's items
CLOSE_EMPTY = "]\n}\n"
CLOSE = "\n  ]\n}\n"
HEADER = re.compile(r'\{\n  "format": .*?\n  "interactions": \[', re.DOTALL)
RECORD_END = re.compile(r"\n    \}(,|\n|$)")  # an interaction's last line: only ever at this depth


class CassetteWriter:
    """Appends interactions to a new cassette file; every completed append leaves valid JSON."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        opening = json.dumps({**header, "interactions": []}, indent=2, ensure_ascii=False)
        head = opening.removesuffix("]\n}")  # up to and including "interactions": [
        self._end = len(head.encode("utf-8"))  # where the next interaction goes, over the closing brackets
        self._count = 0
        self._lock = threading.Lock()
        write_text(self.path, head + CLOSE_EMPTY)  # the empty cassette, atomically replacing any old one

    def append(self, interaction: dict[str, Any]) -> None:
        """Write one interaction, then the closing brackets again after it."""
        body = textwrap.indent(json.dumps(interaction, indent=2, ensure_ascii=False), INDENT)
        with self._lock, open(self.path, "r+b") as f:
            piece = (("," if self._count else "") + "\n" + body).encode("utf-8")
            f.seek(self._end)
            f.write(piece + CLOSE.encode("utf-8"))
            f.flush()
            self._end += len(piece)
            self._count += 1


def read(path: Path) -> dict[str, Any]:
    """The cassette in ``path``, its envelope checked; a recording cut in the middle of a write
    gives what it finished (with a warning). `SavedFileError` names the file and the problem."""
    text = read_text(path, KIND)
    try:
        data = json.loads(text)
    except ValueError as exc:
        recovered = complete_part(text)
        if recovered is None:
            raise SavedFileError(
                f"{path} is not a saved agentnb cassette (not JSON: {exc}), nor one cut short by an "
                "interrupted recording"
            ) from None
        check_envelope(recovered, KIND, {VERSION}, str(path), how=HOW)
        warnings.warn(
            f"cassette {path} ends in the middle of an interaction (the recording was interrupted); "
            f"replaying the {len(recovered['interactions'])} complete ones",
            stacklevel=3,
        )
        return recovered
    return check_envelope(data, KIND, {VERSION}, str(path), how=HOW)


def complete_part(text: str) -> dict[str, Any] | None:
    """The cassette with every interaction written before the cut, if ``text`` is one cut short.

    None when the text is not a cassette as `CassetteWriter` writes it, or when it is damaged
    anywhere but at its end (an interaction that is complete yet unreadable).
    """
    head = HEADER.match(text)
    if head is None:
        return None
    try:
        cassette = json.loads(text[: head.end()] + "]}")
    except ValueError:
        return None
    decoder = json.JSONDecoder()
    position = head.end()
    interactions = cassette["interactions"]
    while True:
        rest = text[position:].lstrip()
        if not rest or rest.startswith("]"):
            return cassette
        if interactions:
            if not rest.startswith(","):
                return None
            rest = rest[1:].lstrip()
        start = len(text) - len(rest)
        try:
            item, position = decoder.raw_decode(text, start)
        except ValueError:
            return None if RECORD_END.search(text, start) else cassette
        interactions.append(item)
