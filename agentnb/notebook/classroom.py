"""Classroom mode: the teacher records every ``%%agentteam`` cell of a notebook once; students replay.

``%agentnb classroom record FOLDER`` (the teacher, once, on a live model): from then on each
``%%agentteam`` cell that declares its team records its model's replies into a cassette of its
own in FOLDER. ``%agentnb classroom replay FOLDER`` (each student, offline, with no key): each
such cell replays its cassette instead of calling a model, so every student's chat is the
teacher's, message for message. ``%agentnb classroom off`` goes back to normal cells.

A cell's cassette is named after what the cell runs (its body and the options that shape the
team), so the same notebook works for both: only the ``classroom`` line differs. A cell changed
after the recording has no cassette, and says so instead of calling a model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from IPython.core.error import UsageError

SHAPING = ("mode", "max_turns", "until", "tools", "human")  # options that change what a cell runs
MODES = ("record", "replay", "off")


@dataclass(frozen=True)
class Classroom:
    """The notebook's classroom mode: record or replay each declared team's cell in ``folder``."""

    mode: Literal["record", "replay"]
    folder: Path

    def __str__(self) -> str:
        return f"{self.mode}:{self.folder}"

    def cassette(self, args: Any, cell: str) -> Path:
        """The cassette of the cell that runs ``cell`` with options ``args``."""
        shape = {name: getattr(args, name) for name in SHAPING}
        key = json.dumps([cell.strip(), shape], sort_keys=True, default=str)
        return self.folder / f"cell-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:16]}.json"

    def apply(self, args: Any, cell: str) -> None:
        """Set the cell's ``--record`` or ``--replay`` (and, to replay, drop its live ``--model``)."""
        if args.record or args.replay:
            return  # the cell says what it wants
        path = self.cassette(args, cell)
        if self.mode == "record":
            self.folder.mkdir(parents=True, exist_ok=True)
            args.record = str(path)
            return
        if not path.exists():
            raise UsageError(
                f"classroom replay: there is no recording of this cell in {self.folder} (a cell changed "
                "since the teacher recorded it has none): undo the change, ask for a new recording, or "
                "run the cell live after %agentnb classroom off"
            )
        args.replay, args.model = str(path), None


def parse(setting: str) -> Classroom | None:
    """The classroom a setting names ("record:FOLDER", "replay:FOLDER"; "" is off)."""
    if not setting.strip():
        return None
    mode, _, folder = setting.partition(":")
    if mode not in ("record", "replay") or not folder.strip():
        raise UsageError(
            f"classroom: expected record:FOLDER or replay:FOLDER (or '' for off), got {setting!r}"
        )
    return Classroom(mode, Path(folder.strip()).expanduser())  # type: ignore[arg-type]


def command(words: list[str]) -> str:
    """The setting that ``%agentnb classroom MODE [FOLDER]`` asks for."""
    if not words or words[0] not in MODES or (words[0] != "off") != (len(words) == 2):
        raise UsageError(
            "usage: %agentnb classroom record FOLDER | %agentnb classroom replay FOLDER | "
            "%agentnb classroom off"
        )
    return "" if words[0] == "off" else f"{words[0]}:{words[1]}"


def describe(classroom: Classroom | None) -> str:
    """One line for people: what the notebook's %%agentteam cells will do."""
    if classroom is None:
        return "classroom mode is off: %%agentteam cells call their models"
    if classroom.mode == "record":
        return (
            f"classroom mode: each %%agentteam cell that declares its team records its model's replies "
            f"in {classroom.folder}; share that folder with the class"
        )
    return (
        f"classroom mode: each %%agentteam cell that declares its team replays its recording from "
        f"{classroom.folder}: no model is called, and every chat is the recorded one"
    )
