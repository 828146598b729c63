"""Teams the run-store tests write, resume and kill, and a worker that runs one in a subprocess.

``python -m tests.store.teams run STORE RUN_ID TURNS LATENCY`` runs the tool team (below) as
run RUN_ID of STORE on a model that takes LATENCY seconds a call, and prints ``done`` when it
has finished; ``resume`` goes on with a stored run instead; ``publish`` runs the approval team
until it waits, ``go-on`` goes on with it. The tests kill it, race it and decide for it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from agentnb import Agent, Team, tool
from agentnb.core.events import TIMING_FIELDS, Event, ToolCall
from agentnb.core.model import ModelReply
from agentnb.models import FunctionModel, ScriptedModel
from agentnb.models.scripted import call

NAMES = ("a", "b", "c")
PUBLISHED: list[str] = []


@tool(blocking=False)
def lookup(topic: str) -> str:
    """Look a topic up in the archive."""
    return f"archive entry on {topic}"


@tool(requires_approval=True, blocking=False)
def publish(headline: str) -> str:
    """Publish a story under a headline."""
    PUBLISHED.append(headline)
    return f"published {headline!r}"


def reply(request: Any) -> Any:
    """A pure model: the reply depends only on what the agent sees, so a resumed run continues
    exactly like one never stopped. Agent b looks something up before it answers."""
    last, seen = request.messages[-1], len(request.messages)
    if request.agent == "b" and last.get("role") != "tool":
        lookup_call = ToolCall(
            id=f"look-{seen}", name="lookup", arguments=json.dumps({"topic": f"turn {seen}"})
        )
        return ModelReply(tool_calls=[lookup_call])
    return f"{request.agent} #{seen} re {(last.get('content') or '')[:20]}"


def agents() -> list[Agent]:
    return [Agent(name, f"You are {name}.", tools=[lookup] if name == "b" else []) for name in NAMES]


def trio(latency: float = 0.0, **options: Any) -> Team:
    """Three agents in a round robin on the pure model (``latency`` seconds a model call)."""
    options.setdefault("max_turns", 6)
    return Team(agents(), model=FunctionModel(reply, latency=latency), **options)


def resumed(store: Any, run_id: str, latency: float = 0.0, **options: Any) -> Team:
    return Team.resume(store, run_id, agents(), model=FunctionModel(reply, latency=latency), **options)


def desk_model() -> ScriptedModel:
    script = {"desk": [call("publish", headline="Park opens"), "Published."], "editor": ["Good."]}
    return ScriptedModel(script, stateless=True)


def newsroom(**options: Any) -> Team:
    """A desk that publishes (a call that needs approval) and an editor; decided later."""
    options.setdefault("approver", "later")
    options.setdefault("max_turns", 2)
    return Team(newsroom_agents(), model=desk_model(), **options)


def newsroom_agents() -> list[Agent]:
    return [Agent("desk", "You publish.", tools=[publish]), Agent("editor", "You edit.")]


def plain(events: Sequence[Event]) -> list[dict[str, Any]]:
    """Events without their clock times, to compare two runs."""
    return [
        event.model_dump(exclude=set(TIMING_FIELDS) & set(type(event).__dataclass_fields__))
        for event in events
    ]


def main(argv: list[str]) -> None:
    command, store, run_id = argv[:3]
    if command == "run":
        turns, latency = int(argv[3]), float(argv[4])
        trio(latency, max_turns=turns, store=store, run_id=run_id).run_sync("go")
    elif command == "resume":
        latency = float(argv[3])
        resumed(store, run_id, latency).run_sync()
    elif command == "publish":
        newsroom(store=store, run_id=run_id).run_sync("Publish the park story.")
    elif command == "go-on":
        Team.resume(store, run_id, newsroom_agents(), model=desk_model()).run_sync()
    print(f"done {os.getpid()} {time.time()}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
