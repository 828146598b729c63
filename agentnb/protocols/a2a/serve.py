"""A team (or an agent) as an A2A agent, with its agent card, on the official ``a2a-sdk`` server classes.

Each A2A conversation (``context_id``) gets a copy of the team that continues from message
to message, so a remote caller can talk to it as to one agent. A message's text is the
team's task; every reply of a participant is streamed as a working status update (its
author in the metadata, ``agentnb_source``), and the final answer comes as the artifact
``answer`` (text, plus a data part for structured output). A run that fails ends the task
as failed with the reason; a cancelled task stops the run. ``agentnb a2a serve my_module:team``
serves one from a terminal.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from a2a.helpers.proto_helpers import (
    get_data_parts,
    get_text_parts,
    new_data_part,
    new_task_from_user_message,
)
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Part, TaskState
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT, TransportProtocol
from starlette.applications import Starlette

from agentnb.core.errors import AgentnbError
from agentnb.core.events import USER, TextMessage
from agentnb.core.team import Team
from agentnb.protocols import agentnb_version
from agentnb.protocols.targets import final_message, runnable

SOURCE_KEY = "agentnb_source"  # metadata key naming the participant who wrote a streamed message
KEPT_CONVERSATIONS = 64  # conversations whose team copy is kept (least recently used go first)


def message_text(parts: Any) -> str:
    """The text of A2A parts: text parts, and data parts as JSON."""
    texts = list(get_text_parts(parts))
    texts.extend(json.dumps(d, ensure_ascii=False) for d in get_data_parts(parts))
    return "\n".join(t for t in texts if t)


class TeamExecutor(AgentExecutor):
    """Runs a copy of the team per A2A conversation and reports its turns as task updates."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self.conversations: OrderedDict[str, Team] = OrderedDict()

    def _team_for(self, context_id: str) -> Team:
        team = self.conversations.pop(context_id, None) or self.team.fork(0)
        self.conversations[context_id] = team
        while len(self.conversations) > KEPT_CONVERSATIONS:
            self.conversations.popitem(last=False)
        return team

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        message = context.message
        assert message is not None
        task = context.current_task
        if task is None:
            task = new_task_from_user_message(message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        team = self._team_for(task.context_id)
        await updater.start_work()
        try:
            async for event in team.stream(message_text(message.parts)):
                if event.__class__ is TextMessage and not event.scope and event.source != USER:
                    reply = updater.new_agent_message(
                        [Part(text=event.content)],  # type: ignore[attr-defined]
                        metadata={SOURCE_KEY: event.source},
                    )
                    await updater.update_status(TaskState.TASK_STATE_WORKING, message=reply)
        except AgentnbError as exc:
            await updater.failed(updater.new_agent_message([Part(text=f"the team's run failed: {exc}")]))
            return
        result = team.last_result
        final = final_message(result) if result is not None else None
        if final is None:
            reason = result.stop_reason if result is not None else "it did not run"
            await updater.failed(
                updater.new_agent_message([Part(text=f"the team stopped without an answer: {reason}")])
            )
            return
        parts = [Part(text=final.content)]
        if final.data is not None:
            parts.append(new_data_part(final.data, media_type="application/json"))
        await updater.add_artifact(parts, name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        team = self.conversations.get(context.context_id or "")
        if team is not None:
            team.stop("cancelled by the A2A client")
        if context.task_id and context.context_id:
            await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def agent_card(target: Team | Any, url: str) -> AgentCard:
    """The agent card of ``target`` at ``url``: its name, description, and a skill per participant."""
    team = runnable(target)
    skills = [
        AgentSkill(
            id=p.name, name=p.name, description=getattr(p, "description", "") or p.name, tags=["agentnb"]
        )
        for p in team.participants
    ]
    return AgentCard(
        name=getattr(target, "name", team.name),
        description=getattr(target, "description", "") or team.description,
        version=agentnb_version(),
        supported_interfaces=[
            AgentInterface(
                url=url,
                protocol_binding=TransportProtocol.JSONRPC.value,
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain", "application/json"],
        skills=skills,
    )


def as_a2a_app(target: Team | Any, *, url: str) -> Starlette:
    """An ASGI app serving ``target`` over A2A (JSON-RPC at ``/``, the card at the well-known path);
    ``url`` is the address clients reach it at, written into the card."""
    card = agent_card(target, url)
    handler = DefaultRequestHandler(
        agent_executor=TeamExecutor(runnable(target)), task_store=InMemoryTaskStore(), agent_card=card
    )
    return Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, rpc_url="/")])


def serve(target: Team | Any, *, host: str = "127.0.0.1", port: int = 8001, url: str | None = None) -> None:
    """Serve ``target`` as an A2A agent at ``http://host:port/`` until interrupted (blocks)."""
    import uvicorn

    address = url or f"http://{host}:{port}/"
    uvicorn.run(as_a2a_app(target, url=address), host=host, port=port, log_level="warning")
