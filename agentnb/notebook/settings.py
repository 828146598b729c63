"""Notebook-wide settings of ``%%agentteam``, changed with ``%config AgentTeam.<name> = ...``."""

from __future__ import annotations

import sys
from typing import Any

from IPython.core.error import UsageError
from traitlets import Bool, Float, Int, TraitError, Unicode, observe, validate
from traitlets.config import Configurable

from agentnb.notebook.classroom import parse
from agentnb.views.chat import presentation


class AgentTeam(Configurable):
    """Defaults for ``%%agentteam`` cells; a cell's options override them."""

    model = Unicode(
        "",
        help="Model spec for %%agentteam cells without --model (empty: agentnb.models.default()).",
    ).tag(config=True)
    mode = Unicode("round_robin", help="Team mode when a cell gives no --mode.").tag(config=True)
    max_turns = Int(20, help="Turn limit when a cell gives no --max-turns.").tag(config=True)
    stream = Bool(True, help="Show the live chat while a cell runs (False: like --no-stream).").tag(
        config=True
    )
    max_updates_per_second = Float(
        20.0, help="How often the live chat may redraw; tokens arriving in between are batched."
    ).tag(config=True)
    trace = Bool(
        False,
        help="Show each run's trace beside the live chat, and without clock times in the saved "
        "output (like --trace in every cell).",
    ).tag(config=True)
    presentation = Bool(
        False,
        help="Large, high-contrast chats, plans and results for projecting to a room (like --big "
        "in every cell; agentnb.views.chat.presentation(True) in Python).",
    ).tag(config=True)

    classroom = Unicode(
        "",
        help="Classroom mode: 'record:FOLDER' records each %%agentteam cell that declares its team into "
        "FOLDER (the teacher, once, live); 'replay:FOLDER' replays those recordings (the students, "
        "offline); '' is off. Also %agentnb classroom record|replay FOLDER | off.",
    ).tag(config=True)

    @validate("classroom")
    def _valid_classroom(self, proposal: dict[str, Any]) -> str:
        try:
            parse(proposal["value"])
        except UsageError as exc:
            raise TraitError(str(exc)) from None
        return str(proposal["value"])

    @observe("presentation")
    def _presentation_changed(self, change: dict[str, Any]) -> None:
        presentation(bool(change["new"]))


def settings_for(shell: Any) -> AgentTeam:
    """The shell's `AgentTeam` settings. A value ``%config`` refused stays in the shell's config
    and would make every later ``%load_ext agentnb`` fail: it is dropped here, with a warning
    that names it, so a typo never locks a kernel out of agentnb."""
    try:
        return AgentTeam(parent=shell)
    except TraitError:
        pass
    saved = shell.config.get("AgentTeam", {})
    for name in list(saved):
        try:
            AgentTeam(**{name: saved[name]})
        except (TraitError, TypeError) as exc:
            del saved[name]
            print(f"%config AgentTeam.{name} is ignored: {exc}", file=sys.stderr)
    return AgentTeam(parent=shell)
