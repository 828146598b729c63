"""agentnb in Jupyter: the ``%%agentteam`` magic, the live chat widget and their helpers.

Loaded by ``%load_ext agentnb``; the core never imports this package.
"""

from __future__ import annotations

from agentnb.notebook.magics import register, unregister

__all__ = ["register", "unregister"]
