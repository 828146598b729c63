"""A minimal A2A agent written with the a2a-sdk only (no agentnb), as another framework's agent would be.

It answers a message at once with the text in capitals, unless the text says otherwise:
``ask`` asks for input (task state input-required), ``fail`` fails the task, and ``work``
reports a working update and then completes the task with an artifact.
"""

from __future__ import annotations

from a2a.helpers.proto_helpers import get_message_text, new_task_from_user_message, new_text_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Part, TaskState
from starlette.applications import Starlette


class ShoutingExecutor(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None
        text = get_message_text(context.message)
        if text.startswith(("ask", "fail", "work")) or context.current_task is not None:
            task = context.current_task or new_task_from_user_message(context.message)
            if context.current_task is None:
                await event_queue.enqueue_event(task)
            updater = TaskUpdater(event_queue, task.id, task.context_id)
            if text.startswith("ask"):
                await updater.requires_input(updater.new_agent_message([Part(text="Which city?")]))
            elif text.startswith("fail"):
                await updater.failed(updater.new_agent_message([Part(text="the weather service is down")]))
            else:
                await updater.update_status(
                    TaskState.TASK_STATE_WORKING,
                    message=updater.new_agent_message([Part(text="looking it up")]),
                )
                await updater.add_artifact([Part(text=f"report on {text}")], name="report")
                await updater.complete()
            return
        await event_queue.enqueue_event(new_text_message(text.upper(), context_id=context.context_id))

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


def app(url: str) -> Starlette:
    card = AgentCard(
        name="shouter",
        description="Repeats what it is told, louder.",
        version="1.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="shout", name="shout", description="Says it in capitals.", tags=["demo"])],
    )
    handler = DefaultRequestHandler(
        agent_executor=ShoutingExecutor(), task_store=InMemoryTaskStore(), agent_card=card
    )
    return Starlette(routes=[*create_agent_card_routes(card), *create_jsonrpc_routes(handler, rpc_url="/")])
