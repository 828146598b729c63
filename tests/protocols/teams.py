"""Teams that the protocol tests serve over MCP and A2A (imported by ``agentnb mcp serve`` and
``agentnb a2a serve`` in subprocesses, so they are module-level values).

Their models are offline and deterministic: a writer that drafts from the task and an editor
that approves, a slow agent whose tool waits until it is cancelled, and a structured one.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from pydantic import BaseModel

from agentnb import Agent, Team, tool
from agentnb.core.model import ModelRequest
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.models.scripted import call


def _last_user_text(request: ModelRequest) -> str:
    return next(
        (m["content"] for m in reversed(request.messages) if m.get("role") == "user" and m.get("content")), ""
    )


def _draft(request: ModelRequest) -> str:
    return f"Draft about {_last_user_text(request).split(':')[-1].strip()}."


writer = Agent("writer", "You write a draft.", model=FunctionModel(_draft, name="writer-model"))
editor = Agent(
    "editor", "You edit. Say APPROVED.", model=FunctionModel(lambda r: "APPROVED: the draft is fine.")
)
newsroom = Team(
    [writer, editor], name="newsroom", description="Writes and edits short news.", until="APPROVED"
)


@tool
async def wait_for_ever() -> str:
    """Wait until cancelled; leave a note in $AGENTNB_TEST_NOTES when it starts and when it is cancelled."""
    notes = Path(os.environ["AGENTNB_TEST_NOTES"])
    notes.write_text("started")
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        notes.write_text("cancelled")
        raise
    return "never"


slow = Agent(
    "slow",
    "You wait.",
    tools=[wait_for_ever],
    model=ScriptedModel({"slow": [call("wait_for_ever"), "done"]}),
)


class Verdict(BaseModel):
    """A structured answer."""

    approved: bool
    words: int


judge = Agent(
    "judge",
    "You judge.",
    output_type=Verdict,
    model=FunctionModel(lambda r: Verdict(approved=True, words=len(_last_user_text(r).split()))),
)
