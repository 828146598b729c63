"""Notebook-wide settings of ``%%agentteam``, changed with ``%config AgentTeam.<name> = ...``."""

from __future__ import annotations

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable


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
