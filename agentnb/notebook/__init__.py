"""agentnb in Jupyter: the ``%%agentteam`` magic, the live chat widget and their helpers.

Loaded by ``%load_ext agentnb``; the core never imports this package. `explore` opens the
checkpoint browser of a team (rewind, fork, X-ray at any message).
"""

from __future__ import annotations

from agentnb.notebook.checkpoints import CheckpointBrowser, explore
from agentnb.notebook.magics import register, unregister

__all__ = ["CheckpointBrowser", "explore", "register", "unregister"]
